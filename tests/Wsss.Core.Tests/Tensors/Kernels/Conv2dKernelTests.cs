using Wsss.Core.Nn;
using Wsss.Core.Tensors;
using Wsss.Core.Tensors.Kernels;

namespace Wsss.Core.Tests.Tensors.Kernels;

/// <summary>
/// Conv2d forward and gradients against a direct double-precision loop, on shapes large enough to span several
/// GEMM k-blocks, column blocks and threads of the implicit-im2col path.
/// </summary>
[TestFixture]
public class Conv2dKernelTests
{
    [TestCase(2, 13, 3, 9, 70, 3, 3, 1, 1, 1, 1)]
    [TestCase(1, 64, 16, 40, 60, 3, 3, 1, 1, 1, 1)]
    [TestCase(1, 64, 2, 48, 48, 3, 3, 1, 1, 1, 1)]
    [TestCase(1, 70, 19, 20, 30, 3, 3, 1, 2, 2, 1)]
    [TestCase(2, 24, 10, 17, 23, 3, 5, 2, 1, 1, 1)]
    [TestCase(1, 12, 8, 15, 15, 3, 3, 1, 1, 1, 2)]
    [TestCase(1, 9, 5, 11, 13, 1, 1, 1, 0, 1, 1)]
    public void MatchesDirectConvolution(int n, int cin, int cout, int h, int w, int kh, int kw, int stride, int pad, int dil, int groups) =>
        CheckAgainstDirect(n, cin, cout, h, w, kh, kw, stride, pad, dil, groups);

    // Forced through Winograd F(2×2, 3×3) (forward and the stride-1 input gradient): odd and even output sizes,
    // partial 8-tile vectors, paddings 0–2, several tile-row blocks, groups and batches. F(2, 3) loses about one
    // decimal digit against direct summation, so the tolerance is the same as for the GEMM path.
    [TestCase(1, 16, 12, 9, 70, 1, 1)]
    [TestCase(2, 13, 7, 17, 23, 0, 1)]
    [TestCase(1, 8, 24, 20, 19, 2, 1)]
    [TestCase(1, 70, 40, 30, 34, 1, 1)]
    [TestCase(1, 12, 8, 15, 15, 1, 2)]
    [TestCase(1, 3, 5, 3, 4, 1, 1)]
    public void WinogradMatchesDirectConvolution(int n, int cin, int cout, int h, int w, int pad, int groups)
    {
        int blockFloats = Winograd3x3.BlockFloats;
        Winograd3x3.Force = true;
        Winograd3x3.BlockFloats = 16 * (cin + cout) * 8;
        try
        {
            CheckAgainstDirect(n, cin, cout, h, w, 3, 3, 1, pad, 1, groups);
        }
        finally
        {
            Winograd3x3.Force = null;
            Winograd3x3.BlockFloats = blockFloats;
        }
    }

    [Test]
    public void WinogradGradientsMatchFiniteDifferences()
    {
        Winograd3x3.Force = true;
        try
        {
            GradCheck.Check(t => Functional.Conv2d(t[0], t[1], t[2], padding: (1, 1)),
                new[] { TestUtil.Randn(1, 1, 3, 7, 6), TestUtil.Randn(2, 4, 3, 3, 3), TestUtil.Randn(3, 4) });
        }
        finally
        {
            Winograd3x3.Force = null;
        }
    }

    [Test]
    public void WinogradThresholdSelectsLargeLayersOnly()
    {
        Assert.That(Winograd3x3.Applies(new ConvGeometry(64, 56, 56, 3, 3, 1, 1, 1, 1, 1, 1, 56, 56), 64), Is.True);
        Assert.That(Winograd3x3.Applies(new ConvGeometry(3, 224, 224, 3, 3, 1, 1, 1, 1, 1, 1, 224, 224), 64), Is.False);
        Assert.That(Winograd3x3.Applies(new ConvGeometry(64, 56, 56, 3, 3, 2, 2, 1, 1, 1, 1, 28, 28), 64), Is.False);
        Assert.That(Winograd3x3.Applies(new ConvGeometry(64, 56, 56, 3, 3, 1, 1, 2, 2, 2, 2, 56, 56), 64), Is.False);
    }

    private static void CheckAgainstDirect(int n, int cin, int cout, int h, int w, int kh, int kw, int stride, int pad, int dil, int groups)
    {
        var x = TestUtil.Randn(1, n, cin, h, w).RequiresGrad_();
        var wt = TestUtil.Randn(2, cout, cin / groups, kh, kw).RequiresGrad_();
        var b = TestUtil.Randn(3, cout).RequiresGrad_();
        var y = Functional.Conv2d(x, wt, b, (stride, stride), (pad, pad), (dil, dil), groups);
        int oh = y.Size(2), ow = y.Size(3);
        var gy = TestUtil.Randn(4, n, cout, oh, ow);
        (y * gy).Sum().Backward();

        int cinG = cin / groups, coutG = cout / groups;
        var xd = x.Data; var wd = wt.Data; var gyd = gy.Data;
        var yRef = new double[n * cout * oh * ow];
        var gxRef = new double[xd.Length];
        var gwRef = new double[wd.Length];
        for (int s = 0; s < n; s++)
        for (int o = 0; o < cout; o++)
        {
            int grp = o / coutG;
            for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++)
            {
                int yi = ((s * cout + o) * oh + oy) * ow + ox;
                double acc = b.Data[o];
                for (int c = 0; c < cinG; c++)
                for (int i = 0; i < kh; i++)
                for (int j = 0; j < kw; j++)
                {
                    int iy = oy * stride - pad + i * dil, ix = ox * stride - pad + j * dil;
                    if ((uint)iy >= (uint)h || (uint)ix >= (uint)w) continue;
                    int xi = ((s * cin + grp * cinG + c) * h + iy) * w + ix;
                    int wi = ((o * cinG + c) * kh + i) * kw + j;
                    acc += (double)wd[wi] * xd[xi];
                    gxRef[xi] += (double)wd[wi] * gyd[yi];
                    gwRef[wi] += (double)xd[xi] * gyd[yi];
                }
                yRef[yi] = acc;
            }
        }

        double scale = Math.Sqrt(cinG * kh * kw);
        TestUtil.AssertClose(y.Data, yRef.Select(v => (float)v).ToArray(), 1e-4, 1e-4 * scale, "y");
        TestUtil.AssertClose(x.Grad!.Data, gxRef.Select(v => (float)v).ToArray(), 1e-4, 1e-4 * Math.Sqrt(coutG * kh * kw), "gx");
        TestUtil.AssertClose(wt.Grad!.Data, gwRef.Select(v => (float)v).ToArray(), 1e-4, 1e-4 * Math.Sqrt(n * oh * ow), "gw");
    }
}
