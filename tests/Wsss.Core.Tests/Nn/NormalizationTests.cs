using Wsss.Core.Nn;
using Wsss.Core.Tensors;

namespace Wsss.Core.Tests.Nn;

[TestFixture]
public class NormalizationTests
{
    // ---------------------------------------------------------------- fixtures

    private static IEnumerable<TestCaseData> BatchNormCases() => TorchFixture.CaseData(new[] { "batch_norm_" });

    private static IEnumerable<TestCaseData> GroupNormCases() => TorchFixture.CaseData(new[] { "group_norm_" });

    private static IEnumerable<TestCaseData> LayerNormCases() => TorchFixture.CaseData(new[] { "layer_norm_" });

    [Test]
    public void FixtureFamiliesArePresent()
    {
        Assert.That(TorchFixture.Names(new[] { "batch_norm_" }), Has.Length.GreaterThanOrEqualTo(4), $"batch_norm fixtures in {TorchFixture.Directory}");
        Assert.That(TorchFixture.Names(new[] { "group_norm_" }), Has.Length.GreaterThanOrEqualTo(3), "group_norm fixtures");
        Assert.That(TorchFixture.Names(new[] { "layer_norm_" }), Has.Length.GreaterThanOrEqualTo(2), "layer_norm fixtures");
    }

    [TestCaseSource(nameof(BatchNormCases))]
    public void BatchNormMatchesTorch(string name)
    {
        var c = TorchFixture.Load(name);
        var x = c.T("x").RequiresGrad_();
        var w = c.T("weight").RequiresGrad_();
        var b = c.T("bias").RequiresGrad_();
        var rm = c.T("running_mean");
        var rv = c.T("running_var");
        bool training = c.Bool("p_training");
        var y = Functional.BatchNorm(x, rm, rv, w, b, training, c.Float("p_momentum"), c.Float("p_eps"));
        c.AssertClose(y, "y");
        y.Backward(c.T("gy"));
        c.AssertClose(x.Grad, "grad_x");
        c.AssertClose(w.Grad, "grad_weight");
        c.AssertClose(b.Grad, "grad_bias");
        if (training)
        {
            c.AssertClose(rm, "running_mean_out");
            c.AssertClose(rv, "running_var_out");
        }
        else
        {
            Assert.That(rm.ToArray(), Is.EqualTo(c.T("running_mean").ToArray()), "eval mode must not touch running_mean");
            Assert.That(rv.ToArray(), Is.EqualTo(c.T("running_var").ToArray()), "eval mode must not touch running_var");
        }
    }

    [TestCaseSource(nameof(GroupNormCases))]
    public void GroupNormMatchesTorch(string name)
    {
        var c = TorchFixture.Load(name);
        var x = c.T("x").RequiresGrad_();
        var w = c.T("weight").RequiresGrad_();
        var b = c.T("bias").RequiresGrad_();
        var y = Functional.GroupNorm(x, c.Int("p_num_groups"), w, b, c.Float("p_eps"));
        c.AssertClose(y, "y");
        y.Backward(c.T("gy"));
        c.AssertClose(x.Grad, "grad_x");
        c.AssertClose(w.Grad, "grad_weight");
        c.AssertClose(b.Grad, "grad_bias");
    }

    [TestCaseSource(nameof(LayerNormCases))]
    public void LayerNormMatchesTorch(string name)
    {
        var c = TorchFixture.Load(name);
        var x = c.T("x").RequiresGrad_();
        var w = c.T("weight").RequiresGrad_();
        var b = c.T("bias").RequiresGrad_();
        var ns = c.Longs("p_normalized_shape").Select(v => (int)v).ToArray();
        var y = Functional.LayerNorm(x, ns, w, b, c.Float("p_eps"));
        c.AssertClose(y, "y");
        y.Backward(c.T("gy"));
        c.AssertClose(x.Grad, "grad_x");
        c.AssertClose(w.Grad, "grad_weight");
        c.AssertClose(b.Grad, "grad_bias");
    }

    // ---------------------------------------------------------------- gradient checks

    private static Tensor Affine(ulong seed, int c) => (TestUtil.Randn(seed, c) * 0.3f + 1f).Detach();

    [TestCase(new[] { 6, 3 })]
    [TestCase(new[] { 3, 2, 4 })]
    [TestCase(new[] { 2, 3, 3, 2 })]
    public void BatchNormTrainGradCheck(int[] shape)
    {
        int c = shape[1];
        var x = TestUtil.Randn(1, shape) * 1.5f + 0.4f;
        GradCheck.Check(t => Functional.BatchNorm(t[0], Tensor.Zeros(c), Tensor.Ones(c), t[1], t[2], training: true),
            new[] { x.Detach(), Affine(2, c), TestUtil.Randn(3, c).Detach() });
    }

    [Test]
    public void BatchNormTrainWithoutAffineOrRunningStatsGradCheck()
    {
        var x = (TestUtil.Randn(4, 3, 2, 5) * 2f).Detach();
        GradCheck.Check(t => Functional.BatchNorm(t[0], null, null, null, null, training: true), new[] { x });
    }

    [TestCase(new[] { 4, 3 })]
    [TestCase(new[] { 2, 3, 2, 3 })]
    public void BatchNormEvalGradCheck(int[] shape)
    {
        int c = shape[1];
        var rm = TestUtil.Randn(5, c).Detach();
        var rv = (TestUtil.Rand(6, c) + 0.5f).Detach();
        GradCheck.Check(t => Functional.BatchNorm(t[0], rm, rv, t[1], t[2], training: false),
            new[] { TestUtil.Randn(7, shape).Detach(), Affine(8, c), TestUtil.Randn(9, c).Detach() });
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(4)]
    public void GroupNormGradCheck(int groups)
    {
        var x = (TestUtil.Randn(10, 2, 4, 2, 3) * 1.5f + 0.3f).Detach();
        GradCheck.Check(t => Functional.GroupNorm(t[0], groups, t[1], t[2]),
            new[] { x, Affine(11, 4), TestUtil.Randn(12, 4).Detach() });
    }

    [Test]
    public void GroupNormWithoutAffineGradCheck()
    {
        GradCheck.Check(t => Functional.GroupNorm(t[0], 3, null, null), new[] { TestUtil.Randn(13, 2, 6, 5).Detach() });
    }

    [TestCase(1)]
    [TestCase(2)]
    public void LayerNormGradCheck(int nd)
    {
        var shape = new[] { 2, 3, 4 };
        var ns = shape[^nd..];
        var w = (TestUtil.Randn(14, ns) * 0.3f + 1f).Detach();
        GradCheck.Check(t => Functional.LayerNorm(t[0], ns, t[1], t[2]),
            new[] { (TestUtil.Randn(15, shape) * 2f).Detach(), w, TestUtil.Randn(16, ns).Detach() });
    }

    [Test]
    public void LayerNormWithoutAffineGradCheck()
    {
        GradCheck.Check(t => Functional.LayerNorm(t[0], new[] { 5 }), new[] { TestUtil.Randn(17, 3, 5).Detach() });
    }

    // ---------------------------------------------------------------- semantics

    [Test]
    public void BatchNormTrainUpdatesRunningStatsWithUnbiasedVarianceAndMomentum()
    {
        var x = Tensor.FromArray(new float[] { 1, 10, 3, 20, 5, 60 }, 3, 2); // channel 0: 1, 3, 5; channel 1: 10, 20, 60
        var rm = Tensor.FromArray(new float[] { 0.5f, -1f }, 2);
        var rv = Tensor.FromArray(new float[] { 2f, 1f }, 2);
        Functional.BatchNorm(x, rm, rv, null, null, training: true, momentum: 0.25f);
        // ch0: mean 3, unbiased var 4; ch1: mean 30, unbiased var 700.
        Assert.That(rm.ToArray(), Is.EqualTo(new[] { 0.75f * 0.5f + 0.25f * 3f, 0.75f * -1f + 0.25f * 30f }).Within(1e-6));
        Assert.That(rv.ToArray(), Is.EqualTo(new[] { 0.75f * 2f + 0.25f * 4f, 0.75f * 1f + 0.25f * 700f }).Within(1e-4));
    }

    [Test]
    public void BatchNormTrainNormalisesWithBiasedVariance()
    {
        var x = Tensor.FromArray(new float[] { 1, 3, 5 }, 3, 1);
        var y = Functional.BatchNorm(x, null, null, null, null, training: true, eps: 0f);
        float s = MathF.Sqrt(8f / 3f);
        Assert.That(y.ToArray(), Is.EqualTo(new[] { -2f / s, 0f, 2f / s }).Within(1e-6));
    }

    [Test]
    public void FrozenBatchNormPassesGradientToInputOnlyAndKeepsStats()
    {
        var rm = TestUtil.Randn(20, 3);
        var rv = TestUtil.Rand(21, 3) + 0.5f;
        var rm0 = rm.ToArray();
        var rv0 = rv.ToArray();
        var w = TestUtil.Randn(22, 3); // frozen: RequiresGrad false
        var b = TestUtil.Randn(23, 3);
        var x = TestUtil.Randn(24, 2, 3, 4, 4).RequiresGrad_();
        var y = Functional.BatchNorm(x, rm, rv, w, b, training: false);
        y.Sum().Backward();
        Assert.That(rm.ToArray(), Is.EqualTo(rm0));
        Assert.That(rv.ToArray(), Is.EqualTo(rv0));
        Assert.That(w.Grad, Is.Null);
        Assert.That(b.Grad, Is.Null);
        var gx = x.Grad!.ToArray();
        for (int i = 0; i < gx.Length; i++)
        {
            int ch = i / 16 % 3;
            Assert.That(gx[i], Is.EqualTo(w.ToArray()[ch] / MathF.Sqrt(rv0[ch] + 1e-5f)).Within(1e-5));
        }
    }

    [Test]
    public void BatchNormWithoutGradRecordsNothing()
    {
        var x = TestUtil.Randn(25, 4, 3);
        var y = Functional.BatchNorm(x, null, null, null, null, training: true);
        Assert.That(y.RequiresGrad, Is.False);
        Assert.That(y.IsLeaf, Is.True);
    }

    // Larger inputs exercise the vectorised and parallel paths; references are composed from autograd ops.

    [Test]
    public void BatchNormLargeMatchesComposedReference()
    {
        int n = 4, c = 6, h = 40, wd = 41;
        var xv = TestUtil.Randn(30, n, c, h, wd) * 3f + 2f;
        var wv = TestUtil.Randn(31, c);
        var bv = TestUtil.Randn(32, c);
        var gy = TestUtil.Randn(33, n, c, h, wd);

        var (x1, w1, b1) = (xv.Detach().RequiresGrad_(), wv.Detach().RequiresGrad_(), bv.Detach().RequiresGrad_());
        var y1 = Functional.BatchNorm(x1, null, null, w1, b1, training: true);
        y1.Backward(gy);

        var (x2, w2, b2) = (xv.Detach().RequiresGrad_(), wv.Detach().RequiresGrad_(), bv.Detach().RequiresGrad_());
        var mean = x2.Mean(new[] { 0, 2, 3 }, keepDim: true);
        var d = x2 - mean;
        var v = (d * d).Mean(new[] { 0, 2, 3 }, keepDim: true);
        var y2 = d / (v + 1e-5f).Sqrt() * w2.Reshape(1, c, 1, 1) + b2.Reshape(1, c, 1, 1);
        y2.Backward(gy);

        TestUtil.AssertClose(y1, y2, 1e-4, 1e-4, "y");
        TestUtil.AssertClose(x1.Grad!, x2.Grad!, 1e-3, 1e-4, "grad_x");
        TestUtil.AssertClose(w1.Grad!, w2.Grad!, 1e-3, 1e-2, "grad_w");
        TestUtil.AssertClose(b1.Grad!, b2.Grad!, 1e-3, 1e-2, "grad_b");
    }

    [Test]
    public void GroupNormLargeMatchesComposedReference()
    {
        int n = 2, c = 8, g = 2, h = 33, wd = 35;
        var xv = TestUtil.Randn(40, n, c, h, wd) * 2f - 1f;
        var wv = TestUtil.Randn(41, c);
        var bv = TestUtil.Randn(42, c);
        var gy = TestUtil.Randn(43, n, c, h, wd);

        var (x1, w1, b1) = (xv.Detach().RequiresGrad_(), wv.Detach().RequiresGrad_(), bv.Detach().RequiresGrad_());
        var y1 = Functional.GroupNorm(x1, g, w1, b1);
        y1.Backward(gy);

        var (x2, w2, b2) = (xv.Detach().RequiresGrad_(), wv.Detach().RequiresGrad_(), bv.Detach().RequiresGrad_());
        var xg = x2.Reshape(n, g, -1);
        var d = xg - xg.Mean(2, keepDim: true);
        var v = (d * d).Mean(2, keepDim: true);
        var y2 = (d / (v + 1e-5f).Sqrt()).Reshape(n, c, h, wd) * w2.Reshape(1, c, 1, 1) + b2.Reshape(1, c, 1, 1);
        y2.Backward(gy);

        TestUtil.AssertClose(y1, y2, 1e-4, 1e-4, "y");
        TestUtil.AssertClose(x1.Grad!, x2.Grad!, 1e-3, 1e-4, "grad_x");
        TestUtil.AssertClose(w1.Grad!, w2.Grad!, 1e-3, 1e-2, "grad_w");
        TestUtil.AssertClose(b1.Grad!, b2.Grad!, 1e-3, 1e-2, "grad_b");
    }

    [Test]
    public void LayerNormLargeMatchesComposedReference()
    {
        int rows = 700, m1 = 6, m2 = 11;
        var xv = TestUtil.Randn(50, rows, m1, m2) * 2f + 0.5f;
        var wv = TestUtil.Randn(51, m1, m2);
        var bv = TestUtil.Randn(52, m1, m2);
        var gy = TestUtil.Randn(53, rows, m1, m2);

        var (x1, w1, b1) = (xv.Detach().RequiresGrad_(), wv.Detach().RequiresGrad_(), bv.Detach().RequiresGrad_());
        var y1 = Functional.LayerNorm(x1, new[] { m1, m2 }, w1, b1);
        y1.Backward(gy);

        var (x2, w2, b2) = (xv.Detach().RequiresGrad_(), wv.Detach().RequiresGrad_(), bv.Detach().RequiresGrad_());
        var d = x2 - x2.Mean(new[] { 1, 2 }, keepDim: true);
        var v = (d * d).Mean(new[] { 1, 2 }, keepDim: true);
        var y2 = d / (v + 1e-5f).Sqrt() * w2 + b2;
        y2.Backward(gy);

        TestUtil.AssertClose(y1, y2, 1e-4, 1e-4, "y");
        TestUtil.AssertClose(x1.Grad!, x2.Grad!, 1e-3, 1e-4, "grad_x");
        TestUtil.AssertClose(w1.Grad!, w2.Grad!, 1e-3, 1e-2, "grad_w");
        TestUtil.AssertClose(b1.Grad!, b2.Grad!, 1e-3, 1e-2, "grad_b");
    }

    // ---------------------------------------------------------------- bad input

    private static void AssertArgument(TestDelegate code, string paramName, params string[] messageParts)
    {
        var ex = Assert.Throws<ArgumentException>(code)!;
        Assert.That(ex.ParamName, Is.EqualTo(paramName), ex.Message);
        foreach (var part in messageParts) Assert.That(ex.Message, Does.Contain(part));
    }

    [Test]
    public void BatchNormRejectsWrongRunningStatSizes()
    {
        var x = TestUtil.Randn(60, 2, 3, 4);
        AssertArgument(() => Functional.BatchNorm(x, Tensor.Zeros(4), Tensor.Ones(3), null, null, true), "runningMean", "(3,)", "(4,)");
        AssertArgument(() => Functional.BatchNorm(x, Tensor.Zeros(3), Tensor.Ones(3, 1), null, null, true), "runningVar", "(3,)", "(3, 1)");
        AssertArgument(() => Functional.BatchNorm(x, null, null, Tensor.Ones(2), null, true), "weight", "(3,)", "(2,)");
        AssertArgument(() => Functional.BatchNorm(x, null, null, null, Tensor.Ones(5), true), "bias", "(3,)", "(5,)");
    }

    [Test]
    public void BatchNormRejectsMissingRunningStatsInEvalAndSingleValueInTraining()
    {
        AssertArgument(() => Functional.BatchNorm(TestUtil.Randn(61, 2, 3), null, null, null, null, training: false), "runningMean");
        AssertArgument(() => Functional.BatchNorm(TestUtil.Randn(62, 1, 3), null, null, null, null, training: true), "x", "(1, 3)");
        AssertArgument(() => Functional.BatchNorm(TestUtil.Randn(63, 3), null, null, null, null, training: true), "x", "(3,)");
    }

    [Test]
    public void GroupNormRejectsNonDividingGroupsAndWrongAffine()
    {
        var x = TestUtil.Randn(64, 2, 4, 3);
        AssertArgument(() => Functional.GroupNorm(x, 3), "numGroups", "C = 4", "3");
        AssertArgument(() => Functional.GroupNorm(x, 0), "numGroups");
        AssertArgument(() => Functional.GroupNorm(x, 2, Tensor.Ones(2)), "weight", "(4,)", "(2,)");
        AssertArgument(() => Functional.GroupNorm(x, 2, null, Tensor.Ones(8)), "bias", "(4,)", "(8,)");
    }

    [Test]
    public void LayerNormRejectsMismatchedShapes()
    {
        var x = TestUtil.Randn(65, 2, 3, 4);
        AssertArgument(() => Functional.LayerNorm(x, new[] { 3 }), "normalizedShape", "(2, 3, 4)", "(3,)");
        AssertArgument(() => Functional.LayerNorm(x, new[] { 5, 2, 3, 4 }), "normalizedShape");
        AssertArgument(() => Functional.LayerNorm(x, Array.Empty<int>()), "normalizedShape");
        AssertArgument(() => Functional.LayerNorm(x, new[] { 3, 4 }, Tensor.Ones(4)), "weight", "(3, 4)", "(4,)");
        AssertArgument(() => Functional.LayerNorm(x, new[] { 4 }, null, Tensor.Ones(1, 4)), "bias", "(4,)", "(1, 4)");
    }
}
