using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using Wsss.Core.Crf;
using Wsss.Core.Tensors;

namespace Wsss.Core.Tests.Crf;

/// <summary>The vector softmax kernels of the CRF iteration.</summary>
public class CrfVectorMathTests
{
    [TestCase(1, 8)]
    [TestCase(5, 8)]
    [TestCase(8, 8)]
    [TestCase(9, 16)]
    [TestCase(16, 16)]
    [TestCase(21, 24)]
    [TestCase(24, 24)]
    public void SoftmaxRows8AgreesWithTheRowSoftmaxAndZeroesThePadding(int labels, int lp)
    {
        if (!Avx.IsSupported) Assert.Ignore("SoftmaxRows8 needs AVX.");
        var g = new Generator((ulong)(labels * 31 + lp));
        var t = new float[8 * lp];
        g.FillUniform(t, -40, 40);
        for (int i = 0; i < 8; i++)
        {
            for (int k = labels; k < lp; k++) t[i * lp + k] = -1e30f; // the padding energy
        }

        t[3 * lp] = 80; // one dominant label, one row with a huge spread
        t[5 * lp + labels - 1] = -200;
        var rows = (float[])t.Clone();
        CrfVectorMath.SoftmaxRows8(ref MemoryMarshal.GetArrayDataReference(rows), lp, labels);
        for (int i = 0; i < 8; i++)
        {
            var expected = new float[lp];
            CrfVectorMath.Softmax(t.AsSpan(i * lp, lp), expected);
            double mx = double.NegativeInfinity, z = 0;
            for (int k = 0; k < labels; k++) mx = Math.Max(mx, t[i * lp + k]);
            for (int k = 0; k < labels; k++) z += Math.Exp(t[i * lp + k] - mx);
            float sum = 0;
            for (int k = 0; k < lp; k++)
            {
                float got = rows[i * lp + k];
                if (k >= labels)
                {
                    Assert.That(got, Is.EqualTo(0f), $"row {i} padding lane {k}");
                    continue;
                }

                // Only the order of the row sum differs from the row-by-row softmax: a few ulps at most.
                Assert.That(got, Is.EqualTo(expected[k]).Within(4).Ulps, $"row {i} label {k}");
                Assert.That(got, Is.EqualTo(Math.Exp(t[i * lp + k] - mx) / z).Within(2e-5 * Math.Exp(t[i * lp + k] - mx) / z + 1e-37), $"row {i} label {k} vs double (exp flushes below −87 to 0)");
                sum += got;
            }

            Assert.That(sum, Is.EqualTo(1f).Within(1e-5f), $"row {i} sums to one");
        }
    }

    [TestCase(1, 8)]
    [TestCase(5, 8)]
    [TestCase(9, 16)]
    [TestCase(21, 24)]
    [TestCase(24, 24)]
    public void ColumnKernelsMoveEightPixelsBetweenRowsAndLabelMajor(int labels, int lp)
    {
        if (!Avx.IsSupported) Assert.Ignore("The eight-pixel kernels need AVX.");
        const int stride = 13; // label k of the eight pixels at k·13
        var g = new Generator((ulong)(labels * 7 + lp));
        var t = new float[8 * lp];
        g.FillUniform(t, -30, 30);
        var q = new float[labels * stride];
        Array.Fill(q, -9f);
        CrfVectorMath.RowsToColumnsSoftmax8(ref MemoryMarshal.GetArrayDataReference(t), lp, ref MemoryMarshal.GetArrayDataReference(q), stride, labels);
        var rows = (float[])t.Clone();
        CrfVectorMath.SoftmaxRows8(ref MemoryMarshal.GetArrayDataReference(rows), lp, labels);
        var back = new float[8 * lp];
        Array.Fill(back, 5f);
        CrfVectorMath.ColumnsToRows8(ref MemoryMarshal.GetArrayDataReference(q), stride, labels, ref MemoryMarshal.GetArrayDataReference(back), lp);
        for (int j = 0; j < 8; j++)
        {
            for (int k = 0; k < lp; k++)
            {
                if (k < labels)
                {
                    Assert.That(q[k * stride + j], Is.EqualTo(rows[j * lp + k]), $"label-major softmax = row softmax, pixel {j} label {k}");
                    Assert.That(back[j * lp + k], Is.EqualTo(rows[j * lp + k]), $"back to rows, pixel {j} label {k}");
                }
                else
                {
                    Assert.That(back[j * lp + k], Is.EqualTo(0f), $"padding lane {k} of pixel {j}");
                }
            }
        }

        for (int k = 0; k < labels; k++)
        {
            for (int j = 8; j < stride; j++) Assert.That(q[k * stride + j], Is.EqualTo(-9f), "only eight pixels are written");
        }
    }

    [Test]
    public void LogIsWithinOneUlpOverTheProbabilityRange()
    {
        // Every 37th float in [1e-5, 1] (about 3.9 million values) and the ends; the full range was checked once, offline.
        int lo = BitConverter.SingleToInt32Bits(1e-5f), hi = BitConverter.SingleToInt32Bits(1f);
        var x = new float[8];
        long worst = 0;
        float worstAt = 0;
        for (long b = lo; b <= hi + 7L * 37; b += 8 * 37)
        {
            for (int j = 0; j < 8; j++) x[j] = BitConverter.Int32BitsToSingle((int)Math.Min(hi, b + j * 37L));
            var y = CrfVectorMath.Log(System.Runtime.Intrinsics.Vector256.Create(x));
            for (int j = 0; j < 8; j++)
            {
                long ulps = Math.Abs((long)BitConverter.SingleToInt32Bits(y[j]) - BitConverter.SingleToInt32Bits((float)Math.Log(x[j])));
                if (ulps > worst)
                {
                    worst = ulps;
                    worstAt = x[j];
                }
            }
        }

        Assert.That(worst, Is.LessThanOrEqualTo(1), $"worst at {worstAt}");
        Assert.That(CrfVectorMath.Log(System.Runtime.Intrinsics.Vector256.Create(1f))[0], Is.EqualTo(0f), "ln 1 is exactly 0");
        foreach (float tiny in new[] { 1e-40f, 1e-45f, 1.17549435e-38f, 2e-38f })
        {
            float got = CrfVectorMath.Log(System.Runtime.Intrinsics.Vector256.Create(tiny))[0];
            Assert.That(got, Is.EqualTo(Math.Log(tiny)).Within(2e-6 * Math.Abs(Math.Log(tiny))), $"subnormal-range input {tiny}");
        }
    }

    [Test]
    public void NegLogClampedClipsThenNegatesTheLog()
    {
        float[] p = [0f, 1e-7f, 1e-5f, 0.25f, 0.5f, 1f, 0.999f, 3e-3f, 0.7f, 1f, 0.1f];
        var u = new float[p.Length];
        CrfVectorMath.NegLogClamped(p, u, 1e-5f);
        for (int i = 0; i < p.Length; i++)
            Assert.That(u[i], Is.EqualTo((float)-Math.Log(Math.Clamp(p[i], 1e-5f, 1f))).Within(1).Ulps, $"p = {p[i]}");
        Assert.That(u[5], Is.EqualTo(0f));
    }
}
