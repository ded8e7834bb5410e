using Wsss.Core.Models;
using Wsss.Core.Tensors;

namespace Wsss.Core.Tests.Models;

/// <summary>IRNet's MeanShift and the bad-input paths of EdgeDisplacementNet.</summary>
public class MeanShiftTests
{
    [Test]
    public void IdentityInTrainingSubtractsInEval()
    {
        var m = new MeanShift();
        Assert.That(m.StateDict().Keys, Is.EqualTo(new[] { "running_mean" }));
        Assert.That(m.RunningMean.ToArray(), Is.EqualTo(new[] { 0f, 0f }));
        m.SetRunningMean(new[] { 1.5f, -2f });
        var x = TestUtil.Randn(1, 2, 2, 3, 4);
        Assert.That(m.Forward(x).ToArray(), Is.EqualTo(x.ToArray()), "training mode: identity");
        m.Eval();
        var y = m.Forward(x);
        for (int i = 0; i < x.Numel; i++)
            Assert.That(y.Data[i], Is.EqualTo(x.Data[i] - (i / 12 % 2 == 0 ? 1.5f : -2f)), $"element {i}");
        GradCheck.Check(t => m.Forward(t[0]), new[] { TestUtil.Randn(2, 1, 2, 3, 3) });
    }

    [Test]
    public void CalibrateAveragesBatchMeans()
    {
        var m = new MeanShift();
        var a = Tensor.Full(new[] { 2, 2, 3, 3 }, 1f);
        for (int n = 0; n < 2; n++) a.Data.Slice((n * 2 + 1) * 9, 9).Fill(0f);
        var b = Tensor.Zeros(1, 2, 5, 4);
        b.Data.Fill(3f);
        var mean = m.Calibrate(new[] { a, b });
        Assert.That(mean, Is.EqualTo(new[] { 2f, 1.5f }));
        Assert.That(m.RunningMean.ToArray(), Is.EqualTo(mean));
    }

    [Test]
    public void BadInputThrows()
    {
        var m = new MeanShift();
        Assert.That(Assert.Throws<ArgumentException>(() => m.SetRunningMean(new[] { 1f }))!.ParamName, Is.EqualTo("mean"));
        Assert.That(Assert.Throws<ArgumentException>(() => m.SetRunningMean(new[] { 1f, float.NaN }))!.Message, Does.Contain("finite"));
        Assert.That(Assert.Throws<ArgumentException>(() => m.Calibrate(Array.Empty<Tensor>()))!.Message, Does.Contain("no displacement batch"));
        Assert.That(Assert.Throws<ArgumentException>(() => m.Calibrate(new[] { Tensor.Zeros(1, 3, 2, 2) }))!.ParamName, Is.EqualTo("displacements"));
        Assert.That(Assert.Throws<ArgumentException>(() => m.Forward(Tensor.Zeros(1, 3, 2, 2)))!.ParamName, Is.EqualTo("input"));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new MeanShift(0));
    }

    [Test]
    public void EdgeDisplacementBadInputThrows()
    {
        var net = new EdgeDisplacementNet(new Generator(1));
        var e = Assert.Throws<ArgumentException>(() => net.Infer(Tensor.Zeros(3, 70, 40), cropSize: 64))!;
        Assert.That(e.ParamName, Is.EqualTo("image"));
        Assert.That(e.Message, Does.Contain("70x40 is larger than the crop size 64x64"));
        Assert.That(Assert.Throws<ArgumentException>(() => net.Infer(Tensor.Zeros(3, 3, 40), cropSize: 64))!.Message, Does.Contain("smaller than the stride 4"));
        Assert.That(Assert.Throws<ArgumentException>(() => net.Infer(Tensor.Zeros(4, 40, 40), cropSize: 64))!.Message, Does.Contain("(3, H, W)"));
        Assert.That(Assert.Throws<ArgumentException>(() => net.Infer(Tensor.Zeros(2, 3, 40, 40), cropSize: 64))!.ParamName, Is.EqualTo("image"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => net.Infer(Tensor.Zeros(3, 20, 20), cropSize: 16))!.ParamName, Is.EqualTo("cropSize"));
        Assert.That(Assert.Throws<ArgumentException>(() => net.Forward(Tensor.Zeros(1, 1, 40, 40)))!.ParamName, Is.EqualTo("input"));
        Assert.That(Assert.Throws<ArgumentException>(() => net.Forward(Tensor.Zeros(1, 3, 8, 40)))!.Message, Does.Contain("smaller than the network's stride (16x16 at least)"));
        Assert.That(Assert.Throws<ArgumentException>(() => net.CalibrateMeanShift(Array.Empty<Tensor>()))!.Message, Does.Contain("no displacement batch"));
        Assert.That(net.Training, Is.True, "mode restored after a failure");
    }
}
