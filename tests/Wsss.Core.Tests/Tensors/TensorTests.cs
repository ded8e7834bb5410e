using Wsss.Core.Tensors;

namespace Wsss.Core.Tests.Tensors;

public class TensorTests
{
    [Test]
    public void CreationAndIndexing()
    {
        var t = Tensor.Arange(6).Reshape(2, 3);
        Assert.That(t.Shape, Is.EqualTo(new[] { 2, 3 }));
        Assert.That(t[1, 2], Is.EqualTo(5f));
        Assert.That(t[-1, -1], Is.EqualTo(5f));
        Assert.That(Tensor.Full(new[] { 2 }, 3.5f).ToArray(), Is.EqualTo(new[] { 3.5f, 3.5f }));
        Assert.That(Tensor.Arange(1, 2, 0.25f).ToArray(), Is.EqualTo(new[] { 1f, 1.25f, 1.5f, 1.75f }));
        Assert.That(Tensor.Scalar(4).Item(), Is.EqualTo(4f));
        Assert.That(Tensor.Zeros(0, 3).Numel, Is.EqualTo(0));
    }

    [Test]
    public void RandomIsDeterministicPerSeedAndWellDistributed()
    {
        var a = Tensor.Randn(new[] { 100_000 }, new Generator(7));
        var b = Tensor.Randn(new[] { 100_000 }, new Generator(7));
        Assert.That(a.ToArray(), Is.EqualTo(b.ToArray()));
        double mean = a.ToArray().Average();
        double var = a.ToArray().Select(v => (v - mean) * (v - mean)).Average();
        Assert.That(mean, Is.EqualTo(0).Within(0.02));
        Assert.That(var, Is.EqualTo(1).Within(0.02));
        var u = Tensor.Rand(new[] { 100_000 }, new Generator(8)).ToArray();
        Assert.That(u.Min(), Is.GreaterThanOrEqualTo(0f));
        Assert.That(u.Max(), Is.LessThan(1f));
        Assert.That(u.Average(), Is.EqualTo(0.5).Within(0.01));
        Assert.That(Tensor.Rand(new[] { 5 }, new Generator(9)).ToArray(), Is.Not.EqualTo(Tensor.Rand(new[] { 5 }, new Generator(10)).ToArray()));
    }

    [Test]
    public void ShapeOps()
    {
        var t = Tensor.Arange(24).Reshape(2, 3, 4);
        Assert.That(t.Permute(2, 0, 1)[3, 1, 2], Is.EqualTo(t[1, 2, 3]));
        Assert.That(t.Transpose(0, 2).Shape, Is.EqualTo(new[] { 4, 3, 2 }));
        Assert.That(t.Narrow(2, 1, 2).ToArray().Take(2), Is.EqualTo(new[] { 1f, 2f }));
        Assert.That(t.Slice(1, 0, 3, 2).Shape, Is.EqualTo(new[] { 2, 2, 4 }));
        Assert.That(t.Flip(2)[0, 0, 0], Is.EqualTo(3f));
        Assert.That(t.Unsqueeze(0).Shape, Is.EqualTo(new[] { 1, 2, 3, 4 }));
        Assert.That(t.Unsqueeze(-1).Shape, Is.EqualTo(new[] { 2, 3, 4, 1 }));
        Assert.That(t.Reshape(1, 24, 1).Squeeze().Shape, Is.EqualTo(new[] { 24 }));
        Assert.That(t.Flatten(1).Shape, Is.EqualTo(new[] { 2, 12 }));
        var parts = t.Split(new[] { 1, 3 }, 2);
        Assert.That(parts[1].Shape, Is.EqualTo(new[] { 2, 3, 3 }));
        Assert.That(Tensor.Cat(parts, 2).ToArray(), Is.EqualTo(t.ToArray()));
        Assert.That(Tensor.Stack(new[] { t, t }, 1).Shape, Is.EqualTo(new[] { 2, 2, 3, 4 }));
        var p = Tensor.Ones(1, 2).Pad(new[] { 1, 1 }, PadMode.Constant, -1f);
        Assert.That(p.ToArray(), Is.EqualTo(new[] { -1f, 1, 1, -1 }));
        var r = Tensor.FromArray(new float[] { 1, 2 }, 1, 2).Pad(new[] { 2, 1, 1, 0 }, PadMode.Replicate);
        Assert.That(r.Shape, Is.EqualTo(new[] { 2, 5 }));
        Assert.That(r.ToArray(), Is.EqualTo(new float[] { 1, 1, 1, 2, 2, 1, 1, 1, 2, 2 }));
        var g = Tensor.FromArray(new float[] { 10, 20, 30, 40 }, 2, 2).Gather(1, Tensor.FromArray(new float[] { 1, 0, 0, 0 }, 2, 2));
        Assert.That(g.ToArray(), Is.EqualTo(new float[] { 20, 10, 30, 30 }));
    }

    [Test]
    public void ReductionsAndBroadcasting()
    {
        var t = Tensor.Arange(6).Reshape(2, 3);
        Assert.That(t.Sum(1).ToArray(), Is.EqualTo(new float[] { 3, 12 }));
        Assert.That(t.Mean(0).ToArray(), Is.EqualTo(new float[] { 1.5f, 2.5f, 3.5f }));
        Assert.That((t + Tensor.FromArray(new float[] { 10, 20 }, 2, 1)).ToArray(), Is.EqualTo(new float[] { 10, 11, 12, 23, 24, 25 }));
        Assert.That(t.Argmax(1).ToArray(), Is.EqualTo(new float[] { 2, 2 }));
        var sm = Tensor.FromArray(new float[] { 1000, 1000 }, 2).Softmax(0).ToArray();
        Assert.That(sm, Is.EqualTo(new[] { 0.5f, 0.5f }));
    }

    [Test]
    public void BadInputNamesTheProblem()
    {
        var t = Tensor.Zeros(2, 3);
        Assert.That(Assert.Throws<ArgumentException>(() => t.Reshape(4, 2))!.Message, Does.Contain("(4, 2)"));
        Assert.That(Assert.Throws<ArgumentException>(() => _ = t + Tensor.Zeros(4))!.Message, Does.Contain("cannot be broadcast"));
        Assert.That(Assert.Throws<ArgumentException>(() => Tensor.Matmul(t, Tensor.Zeros(2, 3)))!.Message, Does.Contain("inner dimensions"));
        Assert.That(Assert.Throws<ArgumentException>(() => t.Sum(2))!.ParamName, Is.EqualTo("dims"));
        Assert.That(Assert.Throws<ArgumentException>(() => t.Permute(0, 0))!.ParamName, Is.EqualTo("dims"));
        Assert.That(Assert.Throws<ArgumentException>(() => Tensor.FromArray(new float[5], 2, 3))!.ParamName, Is.EqualTo("data"));
        Assert.That(Assert.Throws<ArgumentException>(() => Tensor.Zeros(-1))!.ParamName, Is.EqualTo("shape"));
        Assert.That(Assert.Throws<ArgumentException>(() => t.Narrow(1, 2, 3))!.ParamName, Is.EqualTo("end"));
        Assert.That(Assert.Throws<ArgumentException>(() => Tensor.Cat(new[] { t, Tensor.Zeros(3, 3) }, 1))!.Message, Does.Contain("tensor 1"));
        Assert.That(Assert.Throws<ArgumentException>(() => t.IndexSelect(1, new[] { 3 }))!.ParamName, Is.EqualTo("index"));
        Assert.That(Assert.Throws<ArgumentException>(() => t.Clamp(1, 0))!.ParamName, Is.EqualTo("min"));
        Assert.That(Assert.Throws<ArgumentException>(() => Wsss.Core.Nn.Functional.Conv2d(Tensor.Zeros(1, 3, 4, 4), Tensor.Zeros(2, 2, 3, 3)))!.ParamName, Is.EqualTo("weight"));
        Assert.That(Assert.Throws<ArgumentException>(() => Wsss.Core.Nn.Functional.Conv2d(Tensor.Zeros(1, 3, 2, 2), Tensor.Zeros(2, 3, 3, 3)))!.ParamName, Is.EqualTo("input"));
        Assert.That(Assert.Throws<ArgumentException>(() => Wsss.Core.Nn.Functional.Conv2d(Tensor.Zeros(3, 4, 4), Tensor.Zeros(2, 3, 3, 3)))!.ParamName, Is.EqualTo("input"));
    }
}
