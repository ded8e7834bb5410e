using Wsss.Core.Nn;
using Wsss.Core.Tensors;

namespace Wsss.Core.Tests.Nn;

[TestFixture]
public class LossTests
{
    // ---------------------------------------------------------------- fixtures

    private static IEnumerable<TestCaseData> MseCases() => TorchFixture.CaseData(new[] { "mse_loss_" });

    private static IEnumerable<TestCaseData> L1Cases() => TorchFixture.CaseData(new[] { "l1_loss_" });

    private static IEnumerable<TestCaseData> BceCases() => TorchFixture.CaseData(new[] { "bce_" }, "bce_logits_");

    private static IEnumerable<TestCaseData> BceLogitsCases() => TorchFixture.CaseData(new[] { "bce_logits_" });

    private static IEnumerable<TestCaseData> MultilabelCases() => TorchFixture.CaseData(new[] { "multilabel_soft_margin_" });

    private static IEnumerable<TestCaseData> CrossEntropyCases() => TorchFixture.CaseData(new[] { "cross_entropy_" });

    private static IEnumerable<TestCaseData> NllCases() => TorchFixture.CaseData(new[] { "nll_loss_" });

    [Test]
    public void FixtureFamiliesArePresent()
    {
        Assert.Multiple(() =>
        {
            Assert.That(TorchFixture.Names(new[] { "mse_loss_" }), Has.Length.GreaterThanOrEqualTo(3), $"mse_loss fixtures in {TorchFixture.Directory}");
            Assert.That(TorchFixture.Names(new[] { "l1_loss_" }), Has.Length.GreaterThanOrEqualTo(3), "l1_loss fixtures");
            Assert.That(TorchFixture.Names(new[] { "bce_" }, "bce_logits_"), Has.Length.GreaterThanOrEqualTo(6), "bce fixtures");
            Assert.That(TorchFixture.Names(new[] { "bce_logits_" }), Has.Length.GreaterThanOrEqualTo(6), "bce_logits fixtures");
            Assert.That(TorchFixture.Names(new[] { "multilabel_soft_margin_" }), Has.Length.GreaterThanOrEqualTo(4), "multilabel fixtures");
            Assert.That(TorchFixture.Names(new[] { "cross_entropy_" }), Has.Length.GreaterThanOrEqualTo(7), "cross_entropy fixtures");
            Assert.That(TorchFixture.Names(new[] { "nll_loss_" }), Has.Length.GreaterThanOrEqualTo(5), "nll_loss fixtures");
        });
    }

    [TestCaseSource(nameof(MseCases))]
    public void MseLossMatchesTorch(string name)
    {
        var c = TorchFixture.Load(name);
        c.CheckForwardBackward(x => Functional.MseLoss(x, c.T("target"), c.Reduction));
    }

    [TestCaseSource(nameof(L1Cases))]
    public void L1LossMatchesTorch(string name)
    {
        var c = TorchFixture.Load(name);
        c.CheckForwardBackward(x => Functional.L1Loss(x, c.T("target"), c.Reduction));
    }

    [TestCaseSource(nameof(BceCases))]
    public void BinaryCrossEntropyMatchesTorch(string name)
    {
        var c = TorchFixture.Load(name);
        c.CheckForwardBackward(x => Functional.BinaryCrossEntropy(x, c.T("target"), c.Opt("weight"), c.Reduction));
    }

    [TestCaseSource(nameof(BceLogitsCases))]
    public void BinaryCrossEntropyWithLogitsMatchesTorch(string name)
    {
        var c = TorchFixture.Load(name);
        c.CheckForwardBackward(x => Functional.BinaryCrossEntropyWithLogits(x, c.T("target"), c.Opt("weight"), c.Opt("pos_weight"), c.Reduction));
    }

    [TestCaseSource(nameof(MultilabelCases))]
    public void MultilabelSoftMarginLossMatchesTorch(string name)
    {
        var c = TorchFixture.Load(name);
        c.CheckForwardBackward(x => Functional.MultilabelSoftMarginLoss(x, c.T("target"), c.Opt("weight"), c.Reduction));
    }

    [TestCaseSource(nameof(CrossEntropyCases))]
    public void CrossEntropyMatchesTorch(string name)
    {
        var c = TorchFixture.Load(name);
        c.CheckForwardBackward(x => Functional.CrossEntropy(x, c.T("target"), c.Opt("weight"), c.Int("p_ignore_index"), c.Reduction));
    }

    [TestCaseSource(nameof(NllCases))]
    public void NllLossMatchesTorch(string name)
    {
        var c = TorchFixture.Load(name);
        c.CheckForwardBackward(x => Functional.NllLoss(x, c.T("target"), c.Opt("weight"), c.Int("p_ignore_index"), c.Reduction));
    }

    // ---------------------------------------------------------------- gradient checks

    private static readonly Reduction[] AllReductions = { Reduction.None, Reduction.Mean, Reduction.Sum };

    [TestCaseSource(nameof(AllReductions))]
    public void MseLossGradCheck(Reduction r)
    {
        GradCheck.Check(t => Functional.MseLoss(t[0], t[1], r), new[] { TestUtil.Randn(1, 3, 4).Detach(), TestUtil.Randn(2, 3, 4).Detach() });
    }

    [TestCaseSource(nameof(AllReductions))]
    public void L1LossGradCheck(Reduction r)
    {
        // Keep |x − t| ≥ 0.1 so the finite differences never straddle the kink.
        var x = TestUtil.Randn(3, 3, 4);
        var off = TestUtil.Rand(4, 3, 4).Data.ToArray();
        var sign = TestUtil.Randn(5, 3, 4).Data.ToArray();
        var t = x.Clone();
        for (int i = 0; i < off.Length; i++) t.Data[i] += (sign[i] >= 0 ? 1 : -1) * (0.1f + off[i]);
        GradCheck.Check(v => Functional.L1Loss(v[0], v[1], r), new[] { x.Detach(), t });
    }

    [TestCaseSource(nameof(AllReductions))]
    public void BinaryCrossEntropyGradCheck(Reduction r)
    {
        var x = (TestUtil.Rand(6, 3, 4) * 0.8f + 0.1f).Detach();
        var t = TestUtil.Rand(7, 3, 4);
        var w = (TestUtil.Rand(8, 4) + 0.5f).Detach();
        GradCheck.Check(v => Functional.BinaryCrossEntropy(v[0], v[1], w, r), new[] { x, t }, eps: 1e-3);
        GradCheck.Check(v => Functional.BinaryCrossEntropy(v[0], v[1], null, r), new[] { x, t }, eps: 1e-3);
    }

    [TestCaseSource(nameof(AllReductions))]
    public void BinaryCrossEntropyWithLogitsGradCheck(Reduction r)
    {
        var x = (TestUtil.Randn(9, 3, 4) * 2f).Detach();
        var t = TestUtil.Rand(10, 3, 4);
        var w = (TestUtil.Rand(11, 3, 4) + 0.5f).Detach();
        var pw = (TestUtil.Rand(12, 4) * 2f + 0.5f).Detach();
        GradCheck.Check(v => Functional.BinaryCrossEntropyWithLogits(v[0], v[1], null, null, r), new[] { x, t });
        GradCheck.Check(v => Functional.BinaryCrossEntropyWithLogits(v[0], v[1], w, pw, r), new[] { x, t });
    }

    [TestCaseSource(nameof(AllReductions))]
    public void MultilabelSoftMarginLossGradCheck(Reduction r)
    {
        var x = (TestUtil.Randn(13, 3, 5) * 2f).Detach();
        var t = TestUtil.Rand(14, 3, 5).Data.ToArray().Select(v => v > 0.5f ? 1f : 0f).ToArray();
        var w = (TestUtil.Rand(15, 5) + 0.5f).Detach();
        GradCheck.Check(v => Functional.MultilabelSoftMarginLoss(v[0], v[1], w, r), new[] { x, Tensor.FromArray(t, 3, 5) });
        GradCheck.Check(v => Functional.MultilabelSoftMarginLoss(v[0], v[1], null, r), new[] { x, Tensor.FromArray(t, 3, 5) });
    }

    private static Tensor ClassTargets(ulong seed, int classes, int ignoreIndex, params int[] shape)
    {
        var g = new Generator(seed);
        var t = Tensor.Full(shape, 0f);
        var d = t.Data;
        for (int i = 0; i < d.Length; i++) d[i] = i % 4 == 3 ? ignoreIndex : g.NextInt(classes);
        return t;
    }

    [TestCaseSource(nameof(AllReductions))]
    public void CrossEntropyGradCheck(Reduction r)
    {
        var t2 = ClassTargets(16, 4, 255, 5);
        var t4 = ClassTargets(17, 3, -100, 2, 2, 3);
        var w3 = (TestUtil.Rand(18, 3) + 0.5f).Detach();
        GradCheck.Check(v => Functional.CrossEntropy(v[0], t2, null, 255, r), new[] { (TestUtil.Randn(19, 5, 4) * 2f).Detach() });
        GradCheck.Check(v => Functional.CrossEntropy(v[0], t4, w3, -100, r), new[] { (TestUtil.Randn(20, 2, 3, 2, 3) * 2f).Detach() });
    }

    [TestCaseSource(nameof(AllReductions))]
    public void NllLossGradCheck(Reduction r)
    {
        var t2 = ClassTargets(21, 4, -100, 5);
        var t4 = ClassTargets(22, 3, 255, 2, 2, 3);
        var w3 = (TestUtil.Rand(23, 3) + 0.5f).Detach();
        GradCheck.Check(v => Functional.NllLoss(v[0], t2, null, -100, r), new[] { TestUtil.Randn(24, 5, 4).Detach() });
        GradCheck.Check(v => Functional.NllLoss(v[0], t4, w3, 255, r), new[] { TestUtil.Randn(25, 2, 3, 2, 3).Detach() });
    }

    // ---------------------------------------------------------------- semantics

    [Test]
    public void CrossEntropyWithEveryTargetIgnoredIsNaNForMeanAndZeroForSum()
    {
        var t = Tensor.Full(new[] { 3 }, 255f);
        var x = TestUtil.Randn(30, 3, 4).RequiresGrad_();
        var mean = Functional.CrossEntropy(x, t, null, 255);
        Assert.That(float.IsNaN(mean.Item()), Is.True, "torch returns NaN (0/0) for the mean over no targets");
        mean.Backward();
        Assert.That(x.Grad!.ToArray(), Is.All.EqualTo(0f), "gradient is zero when everything is ignored");
        Assert.That(Functional.CrossEntropy(x, t, null, 255, Reduction.Sum).Item(), Is.EqualTo(0f));
        Assert.That(Functional.NllLoss(x, t, null, 255, Reduction.None).ToArray(), Is.All.EqualTo(0f));
    }

    [Test]
    public void CrossEntropyWeightedMeanDividesBySumOfTargetWeights()
    {
        var x = TestUtil.Randn(31, 4, 3);
        var t = Tensor.FromArray(new float[] { 0, 2, -100, 2 }, 4);
        var w = Tensor.FromArray(new float[] { 0.5f, 1f, 3f }, 3);
        var none = Functional.CrossEntropy(x, t, w, reduction: Reduction.None).ToArray();
        Assert.That(none[2], Is.EqualTo(0f));
        float expected = (none[0] + none[1] + none[3]) / (0.5f + 3f + 3f);
        Assert.That(Functional.CrossEntropy(x, t, w).Item(), Is.EqualTo(expected).Within(1e-5));
        var lsm = x.LogSoftmax(1).ToArray();
        Assert.That(none[1], Is.EqualTo(-3f * lsm[1 * 3 + 2]).Within(1e-5));
    }

    [Test]
    public void CrossEntropyAcceptsUnbatchedInput()
    {
        var x = TestUtil.Randn(32, 5);
        var y = Functional.CrossEntropy(x, Tensor.Scalar(3f));
        Assert.That(y.Rank, Is.EqualTo(0));
        Assert.That(y.Item(), Is.EqualTo(-x.LogSoftmax(0).ToArray()[3]).Within(1e-5));
    }

    [TestCase(3000, 7, 1, 1)] // rows path, parallel
    [TestCase(2, 5, 40, 41)]  // spatial path with several blocks of positions
    public void CrossEntropyLargeMatchesComposedReference(int n, int c, int h, int w)
    {
        var shape = h == 1 ? new[] { n, c } : new[] { n, c, h, w };
        var tshape = h == 1 ? new[] { n } : new[] { n, h, w };
        var xv = TestUtil.Randn(33, shape) * 3f;
        var t = ClassTargets(34, c, 255, tshape);
        var cw = TestUtil.Rand(35, c) + 0.5f;

        var x1 = xv.Detach().RequiresGrad_();
        var y1 = Functional.CrossEntropy(x1, t, cw, 255);
        y1.Backward();

        // Reference: −Σ w[t]·log_softmax(x)[t] / Σ w[t], with a weighted one-hot mask.
        var mask = Tensor.Full(shape, 0f);
        int inner = h == 1 ? 1 : h * w;
        double wsum = 0;
        for (int p = 0; p < t.Numel; p++)
        {
            int cls = (int)t.Data[p];
            if (cls == 255) continue;
            int b = p / inner, j = p % inner;
            mask.Data[(b * c + cls) * inner + j] = cw.Data[cls];
            wsum += cw.Data[cls];
        }
        var x2 = xv.Detach().RequiresGrad_();
        var y2 = -(x2.LogSoftmax(1) * mask).Sum() / (float)wsum;
        y2.Backward();

        Assert.That(y1.Item(), Is.EqualTo(y2.Item()).Within(1e-4 * Math.Abs(y2.Item()) + 1e-5));
        TestUtil.AssertClose(x1.Grad!, x2.Grad!, 1e-3, 1e-7, "grad_x");
    }

    [Test]
    public void BinaryCrossEntropyClampsLogAtMinus100()
    {
        var x = Tensor.FromArray(new float[] { 0f, 1f, 0.5f }, 3).RequiresGrad_();
        var t = Tensor.FromArray(new float[] { 1f, 0f, 0.5f }, 3);
        var y = Functional.BinaryCrossEntropy(x, t, reduction: Reduction.None);
        Assert.That(y.ToArray(), Is.EqualTo(new[] { 100f, 100f, MathF.Log(2f) }).Within(1e-5));
        y.Sum().Backward();
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(new[] { -1e12f, 1e12f, 0f }).Within(1e6)); // torch: (x − t)/max(x(1 − x), 1e-12)
    }

    [Test]
    public void BinaryCrossEntropyWithLogitsIsStableForLargeLogits()
    {
        var x = Tensor.FromArray(new float[] { 100f, -100f, 100f, -100f }, 4);
        var t = Tensor.FromArray(new float[] { 0f, 1f, 1f, 0f }, 4);
        var y = Functional.BinaryCrossEntropyWithLogits(x, t, reduction: Reduction.None).ToArray();
        Assert.That(y[0], Is.EqualTo(100f).Within(1e-4));
        Assert.That(y[1], Is.EqualTo(100f).Within(1e-4));
        Assert.That(y[2], Is.EqualTo(0f).Within(1e-6));
        Assert.That(y[3], Is.EqualTo(0f).Within(1e-6));
    }

    [Test]
    public void MseAndL1GiveTargetGradients()
    {
        var x = TestUtil.Randn(36, 2, 3).RequiresGrad_();
        var t = TestUtil.Randn(37, 2, 3).RequiresGrad_();
        Functional.MseLoss(x, t).Backward();
        TestUtil.AssertClose(t.Grad!, -x.Grad!, 0, 0, "mse target grad");
        x.Grad = null;
        t.Grad = null;
        Functional.L1Loss(x, t, Reduction.Sum).Backward();
        TestUtil.AssertClose(t.Grad!, -x.Grad!, 0, 0, "l1 target grad");
    }

    [Test]
    public void MeanOfEmptyInputIsNaN()
    {
        Assert.That(float.IsNaN(Functional.MseLoss(Tensor.Zeros(0, 3), Tensor.Zeros(0, 3)).Item()), Is.True);
        Assert.That(Functional.MseLoss(Tensor.Zeros(0, 3), Tensor.Zeros(0, 3), Reduction.Sum).Item(), Is.EqualTo(0f));
    }

    [Test]
    public void LargeMseMatchesComposedReference()
    {
        var x = TestUtil.Randn(38, 3, 3, 100, 100).RequiresGrad_();
        var t = TestUtil.Rand(39, 3, 3, 100, 100);
        var y = Functional.MseLoss(x, t);
        y.Backward();
        var x2 = x.Detach().RequiresGrad_();
        var d = x2 - t;
        var y2 = (d * d).Mean();
        y2.Backward();
        Assert.That(y.Item(), Is.EqualTo(y2.Item()).Within(1e-5 * y2.Item()));
        TestUtil.AssertClose(x.Grad!, x2.Grad!, 1e-5, 1e-10, "grad_x");
    }

    // ---------------------------------------------------------------- bad input

    private static void AssertArgument(TestDelegate code, string paramName, params string[] messageParts)
    {
        var ex = Assert.Throws<ArgumentException>(code)!;
        Assert.That(ex.ParamName, Is.EqualTo(paramName), ex.Message);
        foreach (var part in messageParts) Assert.That(ex.Message, Does.Contain(part));
    }

    [Test]
    public void ElementwiseLossesRejectShapeMismatch()
    {
        var x = TestUtil.Randn(40, 2, 3);
        var t = TestUtil.Rand(41, 3, 2);
        AssertArgument(() => Functional.MseLoss(x, t), "target", "(2, 3)", "(3, 2)");
        AssertArgument(() => Functional.L1Loss(x, TestUtil.Rand(41, 3)), "target", "(2, 3)", "(3,)");
        AssertArgument(() => Functional.BinaryCrossEntropy(TestUtil.Rand(42, 2, 3), t), "target", "(2, 3)", "(3, 2)");
        AssertArgument(() => Functional.BinaryCrossEntropyWithLogits(x, t), "target", "(2, 3)", "(3, 2)");
        AssertArgument(() => Functional.MultilabelSoftMarginLoss(x, t), "target", "(2, 3)", "(3, 2)");
    }

    [Test]
    public void BinaryCrossEntropyRejectsInputsOutsideUnitInterval()
    {
        var t = TestUtil.Rand(43, 3);
        AssertArgument(() => Functional.BinaryCrossEntropy(Tensor.FromArray(new[] { 0.5f, 1.5f, 0.2f }, 3), t), "input", "1.5");
        AssertArgument(() => Functional.BinaryCrossEntropy(Tensor.FromArray(new[] { -0.1f, 0.5f, 0.2f }, 3), t), "input", "-0.1");
        AssertArgument(() => Functional.BinaryCrossEntropy(Tensor.FromArray(new[] { float.NaN, 0.5f, 0.2f }, 3), t), "input");
    }

    [Test]
    public void LossesRejectUnbroadcastableWeights()
    {
        var x = TestUtil.Rand(44, 2, 3);
        var t = TestUtil.Rand(45, 2, 3);
        AssertArgument(() => Functional.BinaryCrossEntropy(x, t, Tensor.Ones(2)), "weight", "(2, 3)", "(2,)");
        AssertArgument(() => Functional.BinaryCrossEntropyWithLogits(x, t, Tensor.Ones(4)), "weight", "(4,)");
        AssertArgument(() => Functional.BinaryCrossEntropyWithLogits(x, t, null, Tensor.Ones(2)), "posWeight", "(2,)");
        AssertArgument(() => Functional.MultilabelSoftMarginLoss(x, t, Tensor.Ones(5)), "weight", "(5,)");
        AssertArgument(() => Functional.MultilabelSoftMarginLoss(TestUtil.Rand(46, 2, 3, 4), TestUtil.Rand(46, 2, 3, 4)), "input", "(2, 3, 4)");
    }

    [Test]
    public void ClassIndexLossesRejectBadTargetsAndWeights()
    {
        var x = TestUtil.Randn(47, 2, 3, 4);
        AssertArgument(() => Functional.CrossEntropy(x, Tensor.FromArray(new float[] { 0, 1, 3, 2, 0, 1, 1, 1 }, 2, 4)), "target", "3", "[0, 3)");
        AssertArgument(() => Functional.CrossEntropy(x, Tensor.FromArray(new float[] { 0, 1, -1, 2, 0, 1, 1, 1 }, 2, 4)), "target", "-1", "[0, 3)");
        AssertArgument(() => Functional.NllLoss(x, Tensor.FromArray(new float[] { 0, 1, 1.5f, 2, 0, 1, 1, 1 }, 2, 4)), "target", "1.5");
        AssertArgument(() => Functional.NllLoss(x, Tensor.FromArray(new float[] { 0, 1, 255, 2, 0, 1, 1, 1 }, 2, 4)), "target", "255");
        AssertArgument(() => Functional.CrossEntropy(x, Tensor.Zeros(2, 3)), "target", "(2, 4)", "(2, 3)");
        AssertArgument(() => Functional.CrossEntropy(x, Tensor.Zeros(2)), "target", "(2, 4)", "(2,)");
        AssertArgument(() => Functional.CrossEntropy(x, Tensor.Zeros(2, 4), Tensor.Ones(4)), "weight", "(3,)", "(4,)");
        AssertArgument(() => Functional.NllLoss(x, Tensor.Zeros(2, 4), Tensor.Ones(3, 1)), "weight", "(3,)", "(3, 1)");
        // ignoreIndex inside the class range is allowed and ignores that class.
        var t = Tensor.FromArray(new float[] { 0, 1, 2, 2, 0, 1, 1, 1 }, 2, 4);
        var none = Functional.CrossEntropy(x, t, null, 2, Reduction.None).ToArray();
        Assert.That(none[2], Is.EqualTo(0f));
        Assert.That(none[3], Is.EqualTo(0f));
    }

    [Test]
    public void LossesRejectUndefinedReduction()
    {
        var x = TestUtil.Randn(48, 3);
        AssertArgument(() => Functional.MseLoss(x, x, (Reduction)7), "reduction");
        AssertArgument(() => Functional.CrossEntropy(TestUtil.Randn(49, 2, 3), Tensor.Zeros(2), reduction: (Reduction)(-1)), "reduction");
    }
}
