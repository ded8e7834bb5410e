using Wsss.Core.Nn;
using Wsss.Core.Tensors;

namespace Wsss.Core.Tests.Nn;

/// <summary>The module wrappers around the functional ops: parameters, buffers, modes.</summary>
public class LayerModuleTests
{
    [Test]
    public void BatchNorm2dTracksRunningStatisticsInTrainingOnly()
    {
        var bn = new BatchNorm2d(3);
        Assert.That(bn.StateDict().Keys, Is.EquivalentTo(new[] { "weight", "bias", "running_mean", "running_var", "num_batches_tracked" }));
        var x = TestUtil.Randn(1, 4, 3, 5, 5) * 2f + 1f;
        var y = bn.Forward(x);
        // Training normalises with batch statistics: every channel of y has mean 0 and (biased) variance ~1.
        var mean = y.Mean(new[] { 0, 2, 3 }).ToArray();
        Assert.That(mean.All(m => Math.Abs(m) < 1e-5), Is.True);
        var xm = x.Mean(new[] { 0, 2, 3 }).ToArray();
        for (int c = 0; c < 3; c++) Assert.That(bn.RunningMean[c], Is.EqualTo(0.1f * xm[c]).Within(1e-5));
        Assert.That(bn.NumBatchesTracked.Item(), Is.EqualTo(1));
        bn.Eval();
        var before = bn.RunningMean.ToArray();
        var ye = bn.Forward(x);
        Assert.That(bn.RunningMean.ToArray(), Is.EqualTo(before));
        Assert.That(bn.NumBatchesTracked.Item(), Is.EqualTo(1));
        // Eval uses the running statistics: (x − rm)/sqrt(rv + eps).
        float expected = (x[0, 1, 2, 2] - bn.RunningMean[1]) / MathF.Sqrt(bn.RunningVar[1] + 1e-5f);
        Assert.That(ye[0, 1, 2, 2], Is.EqualTo(expected).Within(1e-5));
    }

    [Test]
    public void FrozenBatchNormUsesRunningStatisticsAndFreezesAffine()
    {
        var bn = new BatchNorm2d(2).Freeze();
        bn.Train();
        var x = TestUtil.Randn(2, 2, 2, 3, 3).RequiresGrad_();
        bn.Forward(x).Sum().Backward();
        Assert.That(bn.RunningMean.ToArray(), Is.EqualTo(new float[] { 0, 0 }));
        Assert.That(bn.Weight!.Grad, Is.Null);
        Assert.That(bn.Weight.RequiresGrad, Is.False);
        Assert.That(x.Grad, Is.Not.Null);
        Assert.That(x.Grad!.ToArray().All(v => Math.Abs(v - 1 / MathF.Sqrt(1 + 1e-5f)) < 1e-6), Is.True);
    }

    [Test]
    public void NormAndPoolModulesMatchTheirFunctionalForms()
    {
        var x = TestUtil.Randn(3, 2, 4, 6, 6);
        var gn = new GroupNorm(2, 4);
        Init.Normal(gn.Weight!, generator: new Generator(1));
        TestUtil.AssertClose(gn.Forward(x), Functional.GroupNorm(x, 2, gn.Weight, gn.Bias), 0, 0);
        var ln = new LayerNorm(new[] { 6, 6 });
        TestUtil.AssertClose(ln.Forward(x), Functional.LayerNorm(x, new[] { 6, 6 }, ln.Weight, ln.Bias), 0, 0);
        Assert.That(new MaxPool2d(2).Forward(x).Shape, Is.EqualTo(new[] { 2, 4, 3, 3 }));
        Assert.That(new Upsample(2.0, InterpolateMode.Bilinear, alignCorners: false).Forward(x).Shape, Is.EqualTo(new[] { 2, 4, 12, 12 }));
        Assert.That(new Upsample((5, 7)).Forward(x).Shape, Is.EqualTo(new[] { 2, 4, 5, 7 }));
        Assert.Throws<ArgumentException>(() => _ = new GroupNorm(3, 4));
        Assert.Throws<ArgumentException>(() => _ = new LayerNorm(Array.Empty<int>()));
    }

    [Test]
    public void DropoutModuleIsIdentityInEvalMode()
    {
        var d = new Dropout(0.5f, new Generator(3));
        var x = Tensor.Ones(1000);
        var y = d.Forward(x).ToArray();
        Assert.That(y.Count(v => v == 0), Is.InRange(400, 600));
        Assert.That(y.Where(v => v != 0).All(v => v == 2f), Is.True);
        d.Eval();
        Assert.That(d.Forward(x).ToArray(), Is.EqualTo(x.ToArray()));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new Dropout(1.5f));
    }

    [Test]
    public void ActivationModules()
    {
        var x = Tensor.FromArray(new float[] { -2, 0.5f }, 2);
        Assert.That(new ReLU().Forward(x).ToArray(), Is.EqualTo(new float[] { 0, 0.5f }));
        Assert.That(new LeakyReLU(0.1f).Forward(x).ToArray(), Is.EqualTo(new float[] { -0.2f, 0.5f }));
        Assert.That(new ELU().Forward(x)[0], Is.EqualTo(MathF.Exp(-2) - 1).Within(1e-6));
        Assert.That(new GELU().Forward(x)[1], Is.EqualTo(0.5 * SpecialFunctions.NormalCdf(0.5)).Within(1e-6));
        var seq = new Sequential(new Linear(2, 3, generator: new Generator(1)), new ReLU());
        Assert.That(seq.Forward(Tensor.Ones(4, 2)).Shape, Is.EqualTo(new[] { 4, 3 }));
        var list = new ModuleList<Linear>(new Linear(1, 1), new Linear(1, 2));
        Assert.That(list.NamedParameters().Select(p => p.Name), Is.EqualTo(new[] { "0.weight", "0.bias", "1.weight", "1.bias" }));
    }
}
