using Wsss.Core.Nn;
using Wsss.Core.Tensors;

namespace Wsss.Core.Tests.Nn;

[TestFixture]
public class InterpolateTests
{
    // ------------------------------------------------------------------ PyTorch fixtures

    private static IEnumerable<string> NearestCases() => TorchFixture.Names("interp_nearest_");
    private static IEnumerable<string> BilinearCases() => TorchFixture.Names("interp_bilinear_");

    [TestCase("interp_nearest_")]
    [TestCase("interp_bilinear_")]
    public void FixtureFolder_HasCases(string prefix)
    {
        Assert.That(TorchFixture.Names(prefix), Is.Not.Empty, $"no {prefix}*.npz in {TorchFixture.Directory}");
    }

    [TestCaseSource(nameof(NearestCases))]
    [TestCaseSource(nameof(BilinearCases))]
    public void Interpolate_MatchesTorch(string name)
    {
        var f = TorchFixture.Load(name);
        var mode = f.Bool("p_mode_bilinear") ? InterpolateMode.Bilinear : InterpolateMode.Nearest;
        (int H, int W)? size = f.Has("p_size") ? f.Pair("p_size") : null;
        (double H, double W)? scale = f.Has("p_scale") ? f.DoublePair("p_scale") : null;
        bool? ac = f.Has("p_align_corners") ? f.Bool("p_align_corners") : null;
        Assert.That(size is null, Is.Not.EqualTo(scale is null), $"{name}: exactly one of p_size / p_scale");
        f.CheckForwardBackward(x => Functional.Interpolate(x, size, scale, mode, ac));
    }

    // ------------------------------------------------------------------ hand-checked semantics

    [Test]
    public void Nearest_UsesFloorOfDstTimesScale()
    {
        var x = Tensor.FromArray(new float[] { 0, 1, 2, 3, 4 }, 1, 1, 1, 5);
        // size: scale = 5/3 -> floor(0), floor(1.67), floor(3.33) = 0, 1, 3
        Assert.That(Functional.Interpolate(x, size: (1, 3)).ToArray(), Is.EqualTo(new float[] { 0, 1, 3 }));
        // scale_factor 1.7: out = floor(8.5) = 8, mapping with 1/1.7 (not 5/8).
        Assert.That(Functional.Interpolate(x, scaleFactor: (1, 1.7)).ToArray(), Is.EqualTo(new float[] { 0, 0, 1, 1, 2, 2, 3, 4 }));
        // exact doubling: src = dst >> 1
        Assert.That(Functional.Interpolate(x, scaleFactor: (1, 2)).ToArray(), Is.EqualTo(new float[] { 0, 0, 1, 1, 2, 2, 3, 3, 4, 4 }));
    }

    [Test]
    public void Nearest_ScaleFactorGivingSameOrDoubleSize_StillUsesReciprocalScale()
    {
        // torch 1.13 NCHW forward (C > 1): 5 wide with scale 1.1 -> 5 wide, src = floor(dst / 1.1) = 0, 0, 1, 2, 3
        // (not the identity), and 6 wide with 2.01 -> 12 wide, src = floor(dst / 2.01).
        var x = Tensor.FromArray(new float[] { 0, 1, 2, 3, 4, 10, 11, 12, 13, 14 }, 1, 2, 1, 5);
        Assert.That(Functional.Interpolate(x, scaleFactor: (1, 1.1)).ToArray(), Is.EqualTo(new float[] { 0, 0, 1, 2, 3, 10, 10, 11, 12, 13 }));
        var x6 = Tensor.FromArray(new float[] { 0, 1, 2, 3, 4, 5 }, 1, 1, 1, 6);
        Assert.That(Functional.Interpolate(x6, scaleFactor: (1, 2.01)).ToArray(), Is.EqualTo(new float[] { 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5 }));
    }

    [Test]
    public void Bilinear_AlignCorners_MapsCornersOntoCorners()
    {
        var x = Tensor.FromArray(new float[] { 0, 1, 2 }, 1, 1, 1, 3);
        var y = Functional.Interpolate(x, size: (1, 5), mode: InterpolateMode.Bilinear, alignCorners: true);
        TestUtil.AssertClose(y.Data, new float[] { 0, 0.5f, 1, 1.5f, 2 }, 0, 1e-6, "ac=true");
        var y2 = Functional.Interpolate(x, size: (1, 6), mode: InterpolateMode.Bilinear, alignCorners: false);
        // src = (dst + 0.5) / 2 - 0.5 clamped at 0: 0, 0.25, 0.75, 1.25, 1.75, 2.25 (-> clamped tap 2)
        TestUtil.AssertClose(y2.Data, new float[] { 0, 0.25f, 0.75f, 1.25f, 1.75f, 2 }, 0, 1e-6, "ac=false");
        var y3 = Functional.Interpolate(x, size: (1, 6), mode: InterpolateMode.Bilinear);
        Assert.That(y3.ToArray(), Is.EqualTo(y2.ToArray()), "alignCorners null means false");
    }

    [Test]
    public void SameSize_IsIdentity()
    {
        var x = TestUtil.Randn(3, 2, 3, 4, 5);
        Assert.That(Functional.Interpolate(x, size: (4, 5)).ToArray(), Is.EqualTo(x.ToArray()));
        Assert.That(Functional.Interpolate(x, size: (4, 5), mode: InterpolateMode.Bilinear).ToArray(), Is.EqualTo(x.ToArray()));
        Assert.That(Functional.Interpolate(x, size: (4, 5), mode: InterpolateMode.Bilinear, alignCorners: true).ToArray(), Is.EqualTo(x.ToArray()));
    }

    [Test]
    public void Backward_ConservesGradientMass()
    {
        foreach (var mode in new[] { InterpolateMode.Nearest, InterpolateMode.Bilinear })
        {
            var x = TestUtil.Randn(7, 2, 3, 5, 7).RequiresGrad_();
            var y = Functional.Interpolate(x, size: (9, 4), mode: mode);
            y.Sum().Backward();
            Assert.That(x.Grad!.Sum().Item(), Is.EqualTo(2 * 3 * 9 * 4).Within(1e-3), mode.ToString());
        }
    }

    [Test]
    public void LargeInput_ParallelPathMatchesSerial()
    {
        var x = TestUtil.Randn(4, 2, 16, 24, 24);
        var g = TestUtil.Randn(5, 2, 16, 48, 37);
        TestUtil.AssertParallelMatchesSerial(Run);

        (Tensor, Tensor) Run()
        {
            var xx = x.Clone().RequiresGrad_();
            var y = Functional.Interpolate(xx, size: (48, 37), mode: InterpolateMode.Bilinear)
                    + Functional.Interpolate(xx, size: (48, 37), mode: InterpolateMode.Bilinear, alignCorners: true)
                    + Functional.Interpolate(xx, size: (48, 37));
            y.Backward(g);
            return (y, xx.Grad!);
        }
    }

    [Test]
    public void NoGrad_RecordsNothing()
    {
        var x = TestUtil.Randn(3, 1, 1, 4, 4);
        Assert.That(Functional.Interpolate(x, scaleFactor: (2, 2)).GradFnName, Is.Null);
        x.RequiresGrad = true;
        Assert.That(Functional.Interpolate(x, scaleFactor: (2, 2)).GradFnName, Is.EqualTo("upsample_nearest2d"));
        Assert.That(Functional.Interpolate(x, scaleFactor: (2, 2), mode: InterpolateMode.Bilinear, alignCorners: false).GradFnName, Is.EqualTo("upsample_bilinear2d"));
        using (Autograd.NoGrad())
            Assert.That(Functional.Interpolate(x, scaleFactor: (2, 2), mode: InterpolateMode.Bilinear).GradFnName, Is.Null);
    }

    // ------------------------------------------------------------------ gradient checks

    private static IEnumerable<TestCaseData> GradConfigs()
    {
        foreach (var mode in new[] { InterpolateMode.Nearest, InterpolateMode.Bilinear })
        {
            var acs = mode == InterpolateMode.Nearest ? new bool?[] { null } : new bool?[] { false, true };
            foreach (var ac in acs)
            {
                string m = mode == InterpolateMode.Nearest ? "nearest" : $"bilinear ac={ac}";
                yield return new TestCaseData(mode, ac, 4, 7, null, null).SetName($"Interpolate_GradCheck({m}, size 4x7)");
                yield return new TestCaseData(mode, ac, 10, 3, null, null).SetName($"Interpolate_GradCheck({m}, size 10x3)");
                yield return new TestCaseData(mode, ac, 1, 1, null, null).SetName($"Interpolate_GradCheck({m}, size 1x1)");
                yield return new TestCaseData(mode, ac, 0, 0, 1.7, 0.6).SetName($"Interpolate_GradCheck({m}, scale 1.7x0.6)");
                yield return new TestCaseData(mode, ac, 0, 0, 2.0, 2.0).SetName($"Interpolate_GradCheck({m}, scale 2)");
            }
        }
    }

    [TestCaseSource(nameof(GradConfigs))]
    public void Interpolate_GradCheck(InterpolateMode mode, bool? ac, int oh, int ow, double? sh, double? sw)
    {
        var x = TestUtil.Randn((ulong)(oh * 13 + ow + (int)mode), 2, 2, 5, 6);
        (int, int)? size = sh is null ? (oh, ow) : null;
        (double, double)? scale = sh is null ? null : (sh.Value, sw!.Value);
        GradCheck.Check(t => Functional.Interpolate(t[0], size, scale, mode, ac), new[] { x });
    }

    // ------------------------------------------------------------------ bad input

    private static ArgumentException Throws(TestDelegate action, string paramName)
    {
        var ex = Assert.Throws(Is.InstanceOf<ArgumentException>(), action) as ArgumentException;
        Assert.That(ex!.ParamName, Is.EqualTo(paramName), ex.Message);
        return ex;
    }

    [Test]
    public void BadInput()
    {
        var x = Tensor.Zeros(1, 2, 4, 4);
        var ex = Throws(() => Functional.Interpolate(Tensor.Zeros(2, 4, 4), size: (8, 8)), "x");
        Assert.That(ex.Message, Does.Contain("4-D").And.Contain("(2, 4, 4)"));
        Throws(() => Functional.Interpolate(x), "size");
        Throws(() => Functional.Interpolate(x, size: (8, 8), scaleFactor: (2, 2)), "scaleFactor");
        Throws(() => Functional.Interpolate(x, size: (0, 8)), "size");
        Throws(() => Functional.Interpolate(x, size: (8, -1), mode: InterpolateMode.Bilinear), "size");
        Throws(() => Functional.Interpolate(x, scaleFactor: (0, 2)), "scaleFactor");
        Throws(() => Functional.Interpolate(x, scaleFactor: (2, double.NaN)), "scaleFactor");
        Throws(() => Functional.Interpolate(x, scaleFactor: (2, double.PositiveInfinity)), "scaleFactor");
        ex = Throws(() => Functional.Interpolate(x, scaleFactor: (0.2, 1)), "scaleFactor");
        Assert.That(ex.Message, Does.Contain("(0, 4)"));
        Throws(() => Functional.Interpolate(x, size: (8, 8), alignCorners: false), "alignCorners");
        Throws(() => Functional.Interpolate(x, size: (8, 8), mode: (InterpolateMode)7), "mode");
        Assert.Throws<ArgumentNullException>(() => Functional.Interpolate(null!, size: (2, 2)));
    }
}
