using Wsss.Core.Nn;
using Wsss.Core.Tensors;

namespace Wsss.Core.Tests.Nn;

[TestFixture]
public class PoolingTests
{
    // ------------------------------------------------------------------ PyTorch fixtures

    private static IEnumerable<string> MaxPoolCases() => TorchFixture.Names("max_pool2d_");
    private static IEnumerable<string> AvgPoolCases() => TorchFixture.Names("avg_pool2d_");
    private static IEnumerable<string> AdaptiveAvgCases() => TorchFixture.Names("adaptive_avg_pool2d_");
    private static IEnumerable<string> AdaptiveMaxCases() => TorchFixture.Names("adaptive_max_pool2d_");

    [TestCase("max_pool2d_")]
    [TestCase("avg_pool2d_")]
    [TestCase("adaptive_avg_pool2d_")]
    [TestCase("adaptive_max_pool2d_")]
    public void FixtureFolder_HasCases(string prefix)
    {
        Assert.That(TorchFixture.Names(prefix), Is.Not.Empty, $"no {prefix}*.npz in {TorchFixture.Directory}");
    }

    [TestCaseSource(nameof(MaxPoolCases))]
    public void MaxPool2d_MatchesTorch(string name)
    {
        var f = TorchFixture.Load(name);
        var k = f.Pair("p_kernel_size");
        var s = f.Pair("p_stride");
        var p = f.Pair("p_padding");
        var d = f.Pair("p_dilation");
        bool ceil = f.Bool("p_ceil_mode");
        f.CheckForwardBackward(x => Functional.MaxPool2d(x, k, s, p, d, ceil));

        var y = Functional.MaxPool2d(f.T("x"), k, out var indices, s, p, d, ceil);
        TestUtil.AssertClose(y, f.T("y"), 0, 0, $"{name}: y (indices overload)");
        f.AssertIndices(indices);
    }

    [TestCaseSource(nameof(AvgPoolCases))]
    public void AvgPool2d_MatchesTorch(string name)
    {
        var f = TorchFixture.Load(name);
        var k = f.Pair("p_kernel_size");
        var s = f.Pair("p_stride");
        var p = f.Pair("p_padding");
        bool ceil = f.Bool("p_ceil_mode");
        bool cip = f.Bool("p_count_include_pad");
        f.CheckForwardBackward(x => Functional.AvgPool2d(x, k, s, p, ceil, cip));
    }

    [TestCaseSource(nameof(AdaptiveAvgCases))]
    public void AdaptiveAvgPool2d_MatchesTorch(string name)
    {
        var f = TorchFixture.Load(name);
        var o = f.Pair("p_output_size");
        f.CheckForwardBackward(x => Functional.AdaptiveAvgPool2d(x, o));
    }

    [TestCaseSource(nameof(AdaptiveMaxCases))]
    public void AdaptiveMaxPool2d_MatchesTorch(string name)
    {
        var f = TorchFixture.Load(name);
        var o = f.Pair("p_output_size");
        f.CheckForwardBackward(x => Functional.AdaptiveMaxPool2d(x, o));

        var y = Functional.AdaptiveMaxPool2d(f.T("x"), o, out var indices);
        TestUtil.AssertClose(y, f.T("y"), 0, 0, $"{name}: y (indices overload)");
        f.AssertIndices(indices);
    }

    // ------------------------------------------------------------------ hand-checked semantics

    [Test]
    public void MaxPool2d_TiesGoToFirstInScanOrder_AndPaddingIsIgnored()
    {
        // All-negative input with padding: -inf padding must never win.
        var x = Tensor.FromArray(new float[] { -3, -1, -1, -2 }, 1, 1, 2, 2).RequiresGrad_();
        var y = Functional.MaxPool2d(x, (3, 3), out var idx, stride: (1, 1), padding: (1, 1));
        Assert.That(y.Shape, Is.EqualTo(new[] { 1, 1, 2, 2 }));
        Assert.That(y.ToArray(), Is.EqualTo(new float[] { -1, -1, -1, -1 }));
        Assert.That(idx.ToArray(), Is.EqualTo(new float[] { 1, 1, 1, 1 }));
        y.Sum().Backward();
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(new float[] { 0, 4, 0, 0 }));
    }

    [Test]
    public void MaxPool2d_CeilModeDropsWindowStartingInRightPadding()
    {
        // in 5, k 2, s 2, p 1, ceil: ceil((5+2-2)/2)+1 = 4, but window 3 starts at 5 = in + p -> 3.
        var x = TestUtil.Randn(1, 1, 1, 5, 5);
        var y = Functional.MaxPool2d(x, 2, stride: 2, padding: 1, ceilMode: true);
        Assert.That(y.Shape, Is.EqualTo(new[] { 1, 1, 3, 3 }));
        var y2 = Functional.MaxPool2d(x, 2, stride: 2, padding: 1, ceilMode: false);
        Assert.That(y2.Shape, Is.EqualTo(new[] { 1, 1, 3, 3 }));
        // in 6, k 3, s 2, ceil: ceil(3/2)+1 = 3 (the last window overhangs by one column).
        var y3 = Functional.MaxPool2d(TestUtil.Randn(2, 1, 1, 6, 6), 3, stride: 2, ceilMode: true);
        Assert.That(y3.Shape, Is.EqualTo(new[] { 1, 1, 3, 3 }));
    }

    [Test]
    public void AvgPool2d_DivisorRules()
    {
        // 1x1x3x3 of ones, k 2, s 2, ceil: windows [0,2) and [2,3) (overhang past the input).
        var ones = Tensor.Ones(1, 1, 3, 3);
        // count_include_pad with p = 0: overhang is not counted -> all ones.
        Assert.That(Functional.AvgPool2d(ones, 2, ceilMode: true).ToArray(), Is.EqualTo(new float[] { 1, 1, 1, 1 }));
        // p = 1, k 2, s 2: windows start at -1, 1, (3 = in + p dropped): divisor 4 with count_include_pad.
        Assert.That(Functional.AvgPool2d(ones, 2, padding: 1, ceilMode: true).ToArray(), Is.EqualTo(new float[] { 0.25f, 0.5f, 0.5f, 1 }));
        Assert.That(Functional.AvgPool2d(ones, 2, padding: 1, countIncludePad: false).ToArray(), Is.EqualTo(new float[] { 1, 1, 1, 1 }));
        Assert.That(Functional.AvgPool2d(ones, 2, padding: 1, divisorOverride: 2).ToArray(), Is.EqualTo(new float[] { 0.5f, 1, 1, 2 }));
    }

    [Test]
    public void AdaptivePools_OverlappingWindows()
    {
        // 1-D view: in 5 -> out 3: windows [0,2), [1,4), [3,5).
        var x = Tensor.FromArray(new float[] { 1, 2, 3, 4, 5 }, 1, 1, 1, 5);
        Assert.That(Functional.AdaptiveAvgPool2d(x, (1, 3)).ToArray(), Is.EqualTo(new float[] { 1.5f, 3f, 4.5f }));
        Assert.That(Functional.AdaptiveMaxPool2d(x, (1, 3)).ToArray(), Is.EqualTo(new float[] { 2, 4, 5 }));
        Assert.That(Functional.AdaptiveAvgPool2d(x, 1).ToArray(), Is.EqualTo(new float[] { 3 }));
    }

    [Test]
    public void Pools_WithoutGrad_RecordNothing()
    {
        var x = TestUtil.Randn(3, 2, 3, 6, 6);
        Assert.That(Functional.MaxPool2d(x, 2).GradFnName, Is.Null);
        x.RequiresGrad = true;
        using (Autograd.NoGrad())
            Assert.That(Functional.AvgPool2d(x, 2).GradFnName, Is.Null);
        Assert.That(Functional.MaxPool2d(x, 2).GradFnName, Is.EqualTo("max_pool2d"));
        Assert.That(Functional.AvgPool2d(x, 2).GradFnName, Is.EqualTo("avg_pool2d"));
        Assert.That(Functional.AdaptiveAvgPool2d(x, (2, 3)).GradFnName, Is.EqualTo("adaptive_avg_pool2d"));
        Assert.That(Functional.AdaptiveMaxPool2d(x, (2, 3)).GradFnName, Is.EqualTo("adaptive_max_pool2d"));
        Functional.MaxPool2d(x, (2, 2), out var idx);
        Assert.That(idx.RequiresGrad, Is.False);
    }

    [Test]
    public void LargeInput_ParallelPathMatchesSerial()
    {
        var x = TestUtil.Randn(4, 2, 16, 40, 40);
        var g = TestUtil.Randn(5, 2, 16, 20, 20);
        TestUtil.AssertParallelMatchesSerial(Run);

        (Tensor, Tensor) Run()
        {
            var xx = x.Clone().RequiresGrad_();
            var y = Functional.MaxPool2d(xx, 3, stride: 2, padding: 1) + Functional.AvgPool2d(xx, 2)
                    + Functional.AdaptiveAvgPool2d(xx, (20, 20)) + Functional.AdaptiveMaxPool2d(xx, (20, 20));
            y.Backward(g);
            return (y, xx.Grad!);
        }
    }

    // ------------------------------------------------------------------ gradient checks

    private static IEnumerable<TestCaseData> MaxPoolGradConfigs()
    {
        // kernel, stride, padding, dilation, ceil, input H, W
        yield return new TestCaseData(2, 2, 0, 1, false, 6, 6).SetName("MaxPool2d_GradCheck(k2 s2)");
        yield return new TestCaseData(3, 2, 1, 1, false, 7, 6).SetName("MaxPool2d_GradCheck(k3 s2 p1)");
        yield return new TestCaseData(3, 2, 0, 1, true, 6, 7).SetName("MaxPool2d_GradCheck(k3 s2 ceil)");
        yield return new TestCaseData(3, 2, 1, 1, true, 6, 5).SetName("MaxPool2d_GradCheck(k3 s2 p1 ceil)");
        yield return new TestCaseData(3, 1, 1, 2, false, 7, 6).SetName("MaxPool2d_GradCheck(k3 s1 p1 d2)");
        yield return new TestCaseData(3, 1, 0, 1, false, 5, 5).SetName("MaxPool2d_GradCheck(k3 s1 overlapping)");
    }

    [TestCaseSource(nameof(MaxPoolGradConfigs))]
    public void MaxPool2d_GradCheck(int k, int s, int p, int d, bool ceil, int h, int w)
    {
        var x = PoolTestData.Distinct((ulong)(h * 31 + w + k), 0.05f, 2, 2, h, w);
        GradCheck.Check(t => Functional.MaxPool2d(t[0], k, s, p, d, ceil), new[] { x });
    }

    private static IEnumerable<TestCaseData> AvgPoolGradConfigs()
    {
        // kernel, stride, padding, ceil, count_include_pad, divisor override, input H, W
        yield return new TestCaseData(2, 2, 0, false, true, null, 6, 6).SetName("AvgPool2d_GradCheck(k2 s2)");
        yield return new TestCaseData(3, 2, 1, false, true, null, 7, 6).SetName("AvgPool2d_GradCheck(k3 s2 p1 cip)");
        yield return new TestCaseData(3, 2, 1, false, false, null, 7, 6).SetName("AvgPool2d_GradCheck(k3 s2 p1 nocip)");
        yield return new TestCaseData(3, 2, 1, true, true, null, 6, 5).SetName("AvgPool2d_GradCheck(k3 s2 p1 ceil cip)");
        yield return new TestCaseData(3, 2, 1, true, false, null, 6, 5).SetName("AvgPool2d_GradCheck(k3 s2 p1 ceil nocip)");
        yield return new TestCaseData(2, 2, 0, true, true, null, 5, 7).SetName("AvgPool2d_GradCheck(k2 s2 ceil odd)");
        yield return new TestCaseData(3, 1, 1, false, true, 5, 5, 5).SetName("AvgPool2d_GradCheck(k3 s1 p1 divisor5)");
    }

    [TestCaseSource(nameof(AvgPoolGradConfigs))]
    public void AvgPool2d_GradCheck(int k, int s, int p, bool ceil, bool cip, int? div, int h, int w)
    {
        var x = TestUtil.Randn((ulong)(h * 17 + w + k), 2, 2, h, w);
        GradCheck.Check(t => Functional.AvgPool2d(t[0], k, s, p, ceil, cip, div), new[] { x });
    }

    [TestCase(1, 1, 5, 7)]
    [TestCase(3, 4, 7, 9)]
    [TestCase(4, 3, 4, 3)]
    [TestCase(5, 5, 4, 4)]
    public void AdaptiveAvgPool2d_GradCheck(int oh, int ow, int h, int w)
    {
        var x = TestUtil.Randn((ulong)(oh * 100 + ow * 10 + h), 2, 2, h, w);
        GradCheck.Check(t => Functional.AdaptiveAvgPool2d(t[0], (oh, ow)), new[] { x });
    }

    [TestCase(1, 1, 5, 7)]
    [TestCase(3, 4, 7, 9)]
    [TestCase(4, 3, 4, 3)]
    [TestCase(5, 5, 4, 4)]
    public void AdaptiveMaxPool2d_GradCheck(int oh, int ow, int h, int w)
    {
        var x = PoolTestData.Distinct((ulong)(oh * 100 + ow * 10 + h), 0.05f, 2, 2, h, w);
        GradCheck.Check(t => Functional.AdaptiveMaxPool2d(t[0], (oh, ow)), new[] { x });
    }

    // ------------------------------------------------------------------ bad input

    private static ArgumentException Throws(TestDelegate action, string paramName)
    {
        var ex = Assert.Throws(Is.InstanceOf<ArgumentException>(), action) as ArgumentException;
        Assert.That(ex!.ParamName, Is.EqualTo(paramName), ex.Message);
        return ex;
    }

    [Test]
    public void BadInput_NotFourD()
    {
        var x3 = Tensor.Zeros(2, 4, 4);
        var ex = Throws(() => Functional.MaxPool2d(x3, 2), "x");
        Assert.That(ex.Message, Does.Contain("4-D").And.Contain("(2, 4, 4)"));
        Throws(() => Functional.AvgPool2d(x3, 2), "x");
        Throws(() => Functional.AdaptiveAvgPool2d(x3, (2, 2)), "x");
        Throws(() => Functional.AdaptiveMaxPool2d(x3, (2, 2)), "x");
        Throws(() => Functional.MaxPool2d(Tensor.Zeros(1, 1, 0, 4), 1), "x");
        Assert.Throws<ArgumentNullException>(() => Functional.MaxPool2d(null!, 2));
    }

    [Test]
    public void BadInput_KernelStrideDilation()
    {
        var x = Tensor.Zeros(1, 1, 4, 4);
        var ex = Throws(() => Functional.MaxPool2d(x, 0), "kernelSize");
        Assert.That(ex.Message, Does.Contain("(0, 0)"));
        Throws(() => Functional.MaxPool2d(x, (2, -1)), "kernelSize");
        Throws(() => Functional.MaxPool2d(x, 2, stride: 0), "stride");
        Throws(() => Functional.MaxPool2d(x, 2, dilation: 0), "dilation");
        Throws(() => Functional.AvgPool2d(x, -2), "kernelSize");
        Throws(() => Functional.AvgPool2d(x, 2, stride: -1), "stride");
        Throws(() => Functional.AvgPool2d(x, 2, divisorOverride: 0), "divisorOverride");
    }

    [Test]
    public void BadInput_Padding()
    {
        var x = Tensor.Zeros(1, 1, 6, 6);
        var ex = Throws(() => Functional.MaxPool2d(x, 3, padding: 2), "padding");
        Assert.That(ex.Message, Does.Contain("half").And.Contain("(2, 2)"));
        Throws(() => Functional.MaxPool2d(x, (2, 4), padding: (1, 3)), "padding");
        Throws(() => Functional.AvgPool2d(x, 2, padding: 2), "padding");
        Throws(() => Functional.AvgPool2d(x, 2, padding: -1), "padding");
        Assert.That(Functional.MaxPool2d(x, 3, padding: 1).Shape, Is.EqualTo(new[] { 1, 1, 2, 2 }));
    }

    [Test]
    public void BadInput_OutputTooSmall()
    {
        var x = Tensor.Zeros(1, 1, 2, 5);
        var ex = Throws(() => Functional.MaxPool2d(x, 3), "x");
        Assert.That(ex.Message, Does.Contain("height").And.Contain("got 0"));
        Throws(() => Functional.MaxPool2d(x, 2, dilation: 2), "x");
        Throws(() => Functional.AvgPool2d(x, (3, 1)), "x");
        Throws(() => Functional.AdaptiveAvgPool2d(x, (0, 2)), "outputSize");
        Throws(() => Functional.AdaptiveMaxPool2d(x, (2, -1)), "outputSize");
        Throws(() => Functional.AdaptiveMaxPool2d(x, (2, 0), out _), "outputSize");
    }
}
