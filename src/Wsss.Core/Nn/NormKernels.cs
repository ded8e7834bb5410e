using System.Numerics;
using System.Runtime.InteropServices;
using Wsss.Core.Tensors;

namespace Wsss.Core.Nn;

/// <summary>
/// Vectorised span kernels shared by the normalisation layers and the losses: sums accumulated in
/// float64 (float32 data widened lane by lane) and fused affine maps.
/// </summary>
internal static class NormKernels
{
    /// <summary>Σ x, accumulated in double.</summary>
    public static double Sum(ReadOnlySpan<float> x)
    {
        int i = 0;
        double s = 0;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<float>.Count)
        {
            var xv = MemoryMarshal.Cast<float, Vector<float>>(x);
            Vector<double> a0 = Vector<double>.Zero, a1 = Vector<double>.Zero;
            for (int k = 0; k < xv.Length; k++)
            {
                Vector.Widen(xv[k], out var lo, out var hi);
                a0 += lo;
                a1 += hi;
            }
            s = Vector.Sum(a0 + a1);
            i = xv.Length * Vector<float>.Count;
        }
        for (; i < x.Length; i++) s += x[i];
        return s;
    }

    /// <summary>Σ (x − m)², accumulated in double.</summary>
    public static double SumSqDev(ReadOnlySpan<float> x, double m)
    {
        int i = 0;
        double s = 0;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<float>.Count)
        {
            var xv = MemoryMarshal.Cast<float, Vector<float>>(x);
            var mv = new Vector<double>(m);
            Vector<double> a0 = Vector<double>.Zero, a1 = Vector<double>.Zero;
            for (int k = 0; k < xv.Length; k++)
            {
                Vector.Widen(xv[k], out var lo, out var hi);
                lo -= mv;
                hi -= mv;
                a0 += lo * lo;
                a1 += hi * hi;
            }
            s = Vector.Sum(a0 + a1);
            i = xv.Length * Vector<float>.Count;
        }
        for (; i < x.Length; i++)
        {
            double d = x[i] - m;
            s += d * d;
        }
        return s;
    }

    /// <summary>(Σ g, Σ g·(x − m)), accumulated in double.</summary>
    public static (double SumG, double SumGX) SumGradDot(ReadOnlySpan<float> g, ReadOnlySpan<float> x, double m)
    {
        int i = 0;
        double sg = 0, sgx = 0;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<float>.Count)
        {
            var xv = MemoryMarshal.Cast<float, Vector<float>>(x);
            var gv = MemoryMarshal.Cast<float, Vector<float>>(g[..x.Length]);
            var mv = new Vector<double>(m);
            Vector<double> g0 = Vector<double>.Zero, g1 = Vector<double>.Zero, p0 = Vector<double>.Zero, p1 = Vector<double>.Zero;
            for (int k = 0; k < xv.Length; k++)
            {
                Vector.Widen(xv[k], out var xlo, out var xhi);
                Vector.Widen(gv[k], out var glo, out var ghi);
                g0 += glo;
                g1 += ghi;
                p0 += glo * (xlo - mv);
                p1 += ghi * (xhi - mv);
            }
            sg = Vector.Sum(g0 + g1);
            sgx = Vector.Sum(p0 + p1);
            i = xv.Length * Vector<float>.Count;
        }
        for (; i < x.Length; i++)
        {
            sg += g[i];
            sgx += g[i] * (x[i] - m);
        }
        return (sg, sgx);
    }

    /// <summary>(Σ g·w, Σ g·w·(x − m)), accumulated in double (w element-wise).</summary>
    public static (double SumG, double SumGX) SumGradDot(ReadOnlySpan<float> g, ReadOnlySpan<float> w, ReadOnlySpan<float> x, double m)
    {
        int i = 0;
        double sg = 0, sgx = 0;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<float>.Count)
        {
            var xv = MemoryMarshal.Cast<float, Vector<float>>(x);
            var gv = MemoryMarshal.Cast<float, Vector<float>>(g[..x.Length]);
            var wv = MemoryMarshal.Cast<float, Vector<float>>(w[..x.Length]);
            var mv = new Vector<double>(m);
            Vector<double> g0 = Vector<double>.Zero, g1 = Vector<double>.Zero, p0 = Vector<double>.Zero, p1 = Vector<double>.Zero;
            for (int k = 0; k < xv.Length; k++)
            {
                Vector.Widen(xv[k], out var xlo, out var xhi);
                Vector.Widen(gv[k] * wv[k], out var glo, out var ghi);
                g0 += glo;
                g1 += ghi;
                p0 += glo * (xlo - mv);
                p1 += ghi * (xhi - mv);
            }
            sg = Vector.Sum(g0 + g1);
            sgx = Vector.Sum(p0 + p1);
            i = xv.Length * Vector<float>.Count;
        }
        for (; i < x.Length; i++)
        {
            double gw = g[i] * w[i];
            sg += gw;
            sgx += gw * (x[i] - m);
        }
        return (sg, sgx);
    }

    /// <summary>y = x·a + b.</summary>
    public static void Affine(ReadOnlySpan<float> x, float a, float b, Span<float> y)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<float>.Count)
        {
            var xv = MemoryMarshal.Cast<float, Vector<float>>(x);
            var yv = MemoryMarshal.Cast<float, Vector<float>>(y[..x.Length]);
            var av = new Vector<float>(a);
            var bv = new Vector<float>(b);
            for (int k = 0; k < xv.Length; k++) yv[k] = xv[k] * av + bv;
            i = xv.Length * Vector<float>.Count;
        }
        for (; i < x.Length; i++) y[i] = x[i] * a + b;
    }

    /// <summary>d = g·k1 + x·k2 + k3.</summary>
    public static void Affine2(ReadOnlySpan<float> g, float k1, ReadOnlySpan<float> x, float k2, float k3, Span<float> d)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<float>.Count)
        {
            var xv = MemoryMarshal.Cast<float, Vector<float>>(x);
            var gv = MemoryMarshal.Cast<float, Vector<float>>(g[..x.Length]);
            var dv = MemoryMarshal.Cast<float, Vector<float>>(d[..x.Length]);
            var v1 = new Vector<float>(k1);
            var v2 = new Vector<float>(k2);
            var v3 = new Vector<float>(k3);
            for (int k = 0; k < xv.Length; k++) dv[k] = gv[k] * v1 + (xv[k] * v2 + v3);
            i = xv.Length * Vector<float>.Count;
        }
        for (; i < x.Length; i++) d[i] = g[i] * k1 + (x[i] * k2 + k3);
    }

    /// <summary>y = (x·a + b)·w + c with element-wise w and c (either may be empty: 1 and 0).</summary>
    public static void AffineElementwise(ReadOnlySpan<float> x, float a, float b, ReadOnlySpan<float> w, ReadOnlySpan<float> c, Span<float> y)
    {
        bool hasW = !w.IsEmpty, hasC = !c.IsEmpty;
        for (int i = 0; i < x.Length; i++)
        {
            float v = x[i] * a + b;
            if (hasW) v *= w[i];
            if (hasC) v += c[i];
            y[i] = v;
        }
    }

    /// <summary>d = g·w·k1 + x·k2 + k3 with element-wise w (empty: 1).</summary>
    public static void Affine2Elementwise(ReadOnlySpan<float> g, ReadOnlySpan<float> w, float k1, ReadOnlySpan<float> x, float k2, float k3, Span<float> d)
    {
        if (w.IsEmpty)
        {
            Affine2(g, k1, x, k2, k3, d);
            return;
        }
        int i = 0;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<float>.Count)
        {
            var xv = MemoryMarshal.Cast<float, Vector<float>>(x);
            var gv = MemoryMarshal.Cast<float, Vector<float>>(g[..x.Length]);
            var wv = MemoryMarshal.Cast<float, Vector<float>>(w[..x.Length]);
            var dv = MemoryMarshal.Cast<float, Vector<float>>(d[..x.Length]);
            var v1 = new Vector<float>(k1);
            var v2 = new Vector<float>(k2);
            var v3 = new Vector<float>(k3);
            for (int k = 0; k < xv.Length; k++) dv[k] = gv[k] * wv[k] * v1 + (xv[k] * v2 + v3);
            i = xv.Length * Vector<float>.Count;
        }
        for (; i < x.Length; i++) d[i] = g[i] * w[i] * k1 + (x[i] * k2 + k3);
    }

    /// <summary>How many contiguous ranges to split <paramref name="n"/> items into for parallel work.</summary>
    public static int RangeCount(int n, long workPerItem)
    {
        if (n <= 0) return 0;
        if (n == 1 || Parallelism.MaxDegreeOfParallelism == 1 || workPerItem * n < 32768) return 1;
        return (int)Math.Min(n, 4L * Parallelism.MaxDegreeOfParallelism);
    }

    /// <summary>Runs body(rangeIndex, start, end) over <paramref name="ranges"/> contiguous ranges covering [0, n).</summary>
    public static void ForRanges(int n, int ranges, Action<int, int, int> body)
    {
        if (ranges <= 0) return;
        if (ranges == 1)
        {
            body(0, 0, n);
            return;
        }
        Parallel.For(0, ranges, Parallelism.Options, r =>
        {
            int s = (int)((long)n * r / ranges), e = (int)((long)n * (r + 1) / ranges);
            body(r, s, e);
        });
    }

    /// <summary>Element-wise sum of per-range float64 partial sums into a new tensor of the given shape.</summary>
    public static Tensor SumPartials(double[][] partials, int m, int[] shape)
    {
        var t = Tensor.Allocate((int[])shape.Clone(), clear: false);
        var d = t.Data;
        for (int j = 0; j < m; j++)
        {
            double acc = 0;
            foreach (var p in partials) acc += p[j];
            d[j] = (float)acc;
        }
        return t;
    }

    /// <summary>Checks that an optional per-channel tensor has shape (C).</summary>
    public static void CheckChannelVector(Tensor? t, int c, string argName, string op)
    {
        if (t is null) return;
        if (t.Rank != 1 || t.ShapeSpan[0] != c)
            ThrowHelper.Argument(argName, $"{op}: expected {argName} of shape ({c},) (one value per channel), got {Tensor.ShapeString(t.ShapeSpan)}");
    }

    /// <summary>The differentiable inputs [x, weight?, bias?] and the positions of weight and bias (−1 when absent).</summary>
    public static Tensor[] CollectInputs(Tensor x, Tensor? weight, Tensor? bias, out int wIndex, out int bIndex)
    {
        var list = new List<Tensor>(3) { x };
        wIndex = bIndex = -1;
        if (weight is not null) { wIndex = list.Count; list.Add(weight); }
        if (bias is not null) { bIndex = list.Count; list.Add(bias); }
        return list.ToArray();
    }

    /// <summary>Gradients laid out like <see cref="CollectInputs"/>.</summary>
    public static Tensor?[] Grads(int count, Tensor? gx, int wIndex, Tensor? gw, int bIndex, Tensor? gb)
    {
        var r = new Tensor?[count];
        r[0] = gx;
        if (wIndex >= 0) r[wIndex] = gw;
        if (bIndex >= 0) r[bIndex] = gb;
        return r;
    }
}
