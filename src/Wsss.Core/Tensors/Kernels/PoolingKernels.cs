namespace Wsss.Core.Tensors.Kernels;

/// <summary>Window geometry of a 2-D pooling over planes of H×W producing OH×OW.</summary>
internal readonly record struct Pool2dGeometry(
    int H, int W, int OH, int OW,
    int KH, int KW, int SH, int SW, int PH, int PW, int DH, int DW)
{
    public int InPlane => H * W;

    public int OutPlane => OH * OW;
}

/// <summary>
/// Raw NCHW pooling kernels over contiguous float buffers, one plane (n, c) at a time, parallel over
/// planes. They follow ATen's CPU kernels (MaxPoolKernel.cpp, AvgPoolKernel.cpp,
/// AdaptiveAvgPoolKernel.cpp, AdaptiveMaxPoolKernel.cpp) window for window.
/// </summary>
internal static class PoolingKernels
{
    /// <summary>
    /// ATen's pooling_output_shape: floor((in + 2p − d(k−1) − 1 [+ s − 1 if ceil]) / s) + 1, minus one
    /// in ceil mode when the last window would start in the right padding.
    /// </summary>
    public static long OutputSize(long input, long kernel, long pad, long stride, long dilation, bool ceilMode)
    {
        long numer = input + 2 * pad - dilation * (kernel - 1) - 1 + (ceilMode ? stride - 1 : 0);
        long o = FloorDiv(numer, stride) + 1;
        if (ceilMode && (o - 1) * stride >= input + pad) o--;
        return o;
    }

    private static long FloorDiv(long a, long b)
    {
        long q = a / b;
        if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
        return q;
    }

    /// <summary>Adaptive window start: floor(i·in/out).</summary>
    public static int AdaptiveStart(int i, int outSize, int inSize) => (int)((long)i * inSize / outSize);

    /// <summary>Adaptive window end (exclusive): ceil((i+1)·in/out).</summary>
    public static int AdaptiveEnd(int i, int outSize, int inSize) => (int)(((long)(i + 1) * inSize + outSize - 1) / outSize);

    private static long Work(int outPlane, int window) => Math.Max(1L, (long)outPlane * Math.Max(1, window));

    // ---------------------------------------------------------------- max pool

    /// <summary>
    /// Max over each dilated window (padding ignored); <paramref name="indices"/> (optional) receives the
    /// flat h·W+w position of the first maximum in scan order (NaN wins, as in ATen).
    /// </summary>
    public static unsafe void MaxPoolForward(float[] x, float[] y, int[]? indices, int planes, Pool2dGeometry g)
    {
        Parallelism.For(planes, Work(g.OutPlane, g.KH * g.KW), p =>
        {
            fixed (float* xBase = x)
            fixed (float* yBase = y)
            fixed (int* iBase = indices)
            {
                float* xp = xBase + (long)p * g.InPlane;
                float* yp = yBase + (long)p * g.OutPlane;
                int* ip = iBase is null ? null : iBase + (long)p * g.OutPlane;
                int w = g.W, dh = g.DH, dw = g.DW;
                for (int oh = 0; oh < g.OH; oh++)
                {
                    int ih0 = oh * g.SH - g.PH;
                    int ih1 = Math.Min(ih0 + (g.KH - 1) * dh + 1, g.H);
                    while (ih0 < 0) ih0 += dh;
                    for (int ow = 0; ow < g.OW; ow++)
                    {
                        int iw0 = ow * g.SW - g.PW;
                        int iw1 = Math.Min(iw0 + (g.KW - 1) * dw + 1, w);
                        while (iw0 < 0) iw0 += dw;
                        int maxIndex = ih0 * w + iw0;
                        float maxVal = float.NegativeInfinity;
                        for (int ih = ih0; ih < ih1; ih += dh)
                        {
                            int row = ih * w;
                            for (int iw = iw0; iw < iw1; iw += dw)
                            {
                                // Branch-free select (random data mispredicts a branch half the time).
                                float v = xp[row + iw];
                                bool take = v > maxVal | float.IsNaN(v);
                                maxVal = take ? v : maxVal;
                                maxIndex = take ? row + iw : maxIndex;
                            }
                        }
                        int o = oh * g.OW + ow;
                        yp[o] = maxVal;
                        if (ip != null) ip[o] = maxIndex;
                    }
                }
            }
        });
    }

    /// <summary>gx[plane, idx] += gy for every output element; each plane of <paramref name="gx"/> is overwritten (cleared first, so it may hold garbage).</summary>
    public static void ScatterToArgmax(float[] gy, int[] indices, float[] gx, int planes, int inPlane, int outPlane)
    {
        Parallelism.For(planes, Math.Max(1, outPlane), p =>
        {
            var gyp = new ReadOnlySpan<float>(gy, p * outPlane, outPlane);
            var ip = new ReadOnlySpan<int>(indices, p * outPlane, outPlane);
            var gxp = new Span<float>(gx, p * inPlane, inPlane);
            gxp.Clear();
            for (int o = 0; o < outPlane; o++)
            {
                int i = ip[o];
                // An empty window (possible only with odd dilation/padding combinations) has no source.
                if ((uint)i < (uint)inPlane) gxp[i] += gyp[o];
            }
        });
    }

    // ---------------------------------------------------------------- avg pool

    /// <summary>ATen's avg_pool2d divisor for one window and its clipped input range.</summary>
    private static int AvgWindow(int oh, int ow, in Pool2dGeometry g, bool countIncludePad, int? divisorOverride,
        out int ih0, out int ih1, out int iw0, out int iw1)
    {
        ih0 = oh * g.SH - g.PH;
        iw0 = ow * g.SW - g.PW;
        ih1 = Math.Min(ih0 + g.KH, g.H + g.PH);
        iw1 = Math.Min(iw0 + g.KW, g.W + g.PW);
        int poolSize = (ih1 - ih0) * (iw1 - iw0);
        ih0 = Math.Max(ih0, 0);
        iw0 = Math.Max(iw0, 0);
        ih1 = Math.Min(ih1, g.H);
        iw1 = Math.Min(iw1, g.W);
        if (divisorOverride is int d) return d;
        return countIncludePad ? poolSize : (ih1 - ih0) * (iw1 - iw0);
    }

    /// <summary>Average over each window with ATen's divisor rules (empty windows give 0).</summary>
    public static void AvgPoolForward(float[] x, float[] y, int planes, Pool2dGeometry g, bool countIncludePad, int? divisorOverride)
    {
        Parallelism.For(planes, Work(g.OutPlane, g.KH * g.KW), p =>
        {
            var xp = new ReadOnlySpan<float>(x, p * g.InPlane, g.InPlane);
            var yp = new Span<float>(y, p * g.OutPlane, g.OutPlane);
            for (int oh = 0; oh < g.OH; oh++)
            {
                for (int ow = 0; ow < g.OW; ow++)
                {
                    int div = AvgWindow(oh, ow, g, countIncludePad, divisorOverride, out int ih0, out int ih1, out int iw0, out int iw1);
                    int o = oh * g.OW + ow;
                    if (ih0 >= ih1 || iw0 >= iw1)
                    {
                        yp[o] = 0f;
                        continue;
                    }
                    float sum = 0f;
                    for (int ih = ih0; ih < ih1; ih++)
                    {
                        var row = xp.Slice(ih * g.W, g.W);
                        for (int iw = iw0; iw < iw1; iw++) sum += row[iw];
                    }
                    yp[o] = sum / div;
                }
            }
        });
    }

    /// <summary>Spreads gy / divisor over each window; each plane of <paramref name="gx"/> is overwritten (cleared first, so it may hold garbage).</summary>
    public static void AvgPoolBackward(float[] gy, float[] gx, int planes, Pool2dGeometry g, bool countIncludePad, int? divisorOverride)
    {
        Parallelism.For(planes, Work(g.OutPlane, g.KH * g.KW), p =>
        {
            var gyp = new ReadOnlySpan<float>(gy, p * g.OutPlane, g.OutPlane);
            var gxp = new Span<float>(gx, p * g.InPlane, g.InPlane);
            gxp.Clear();
            for (int oh = 0; oh < g.OH; oh++)
            {
                for (int ow = 0; ow < g.OW; ow++)
                {
                    int div = AvgWindow(oh, ow, g, countIncludePad, divisorOverride, out int ih0, out int ih1, out int iw0, out int iw1);
                    if (ih0 >= ih1 || iw0 >= iw1) continue;
                    float delta = gyp[oh * g.OW + ow] / div;
                    for (int ih = ih0; ih < ih1; ih++)
                    {
                        var row = gxp.Slice(ih * g.W, g.W);
                        for (int iw = iw0; iw < iw1; iw++) row[iw] += delta;
                    }
                }
            }
        });
    }

    // ---------------------------------------------------------------- adaptive pools

    private static long AdaptiveWork(int h, int w, int oh, int ow)
        => Math.Max(1L, (long)oh * ow * ((h + oh - 1) / oh + 1) * ((w + ow - 1) / ow + 1));

    /// <summary>Adaptive average: mean over [floor(i·in/out), ceil((i+1)·in/out)) per axis.</summary>
    public static void AdaptiveAvgForward(float[] x, float[] y, int planes, int h, int w, int oh, int ow)
    {
        Parallelism.For(planes, AdaptiveWork(h, w, oh, ow), p =>
        {
            var xp = new ReadOnlySpan<float>(x, p * h * w, h * w);
            var yp = new Span<float>(y, p * oh * ow, oh * ow);
            for (int i = 0; i < oh; i++)
            {
                int ih0 = AdaptiveStart(i, oh, h), ih1 = AdaptiveEnd(i, oh, h);
                int kh = ih1 - ih0;
                for (int j = 0; j < ow; j++)
                {
                    int iw0 = AdaptiveStart(j, ow, w), iw1 = AdaptiveEnd(j, ow, w);
                    int kw = iw1 - iw0;
                    float sum = 0f;
                    for (int ih = ih0; ih < ih1; ih++)
                    {
                        var row = xp.Slice(ih * w, w);
                        for (int iw = iw0; iw < iw1; iw++) sum += row[iw];
                    }
                    yp[i * ow + j] = sum / kh / kw;
                }
            }
        });
    }

    /// <summary>Backward of <see cref="AdaptiveAvgForward"/>; each plane of <paramref name="gx"/> is overwritten (cleared first, so it may hold garbage).</summary>
    public static void AdaptiveAvgBackward(float[] gy, float[] gx, int planes, int h, int w, int oh, int ow)
    {
        Parallelism.For(planes, AdaptiveWork(h, w, oh, ow), p =>
        {
            var gyp = new ReadOnlySpan<float>(gy, p * oh * ow, oh * ow);
            var gxp = new Span<float>(gx, p * h * w, h * w);
            gxp.Clear();
            for (int i = 0; i < oh; i++)
            {
                int ih0 = AdaptiveStart(i, oh, h), ih1 = AdaptiveEnd(i, oh, h);
                int kh = ih1 - ih0;
                for (int j = 0; j < ow; j++)
                {
                    int iw0 = AdaptiveStart(j, ow, w), iw1 = AdaptiveEnd(j, ow, w);
                    int kw = iw1 - iw0;
                    float delta = gyp[i * ow + j] / kh / kw;
                    for (int ih = ih0; ih < ih1; ih++)
                    {
                        var row = gxp.Slice(ih * w, w);
                        for (int iw = iw0; iw < iw1; iw++) row[iw] += delta;
                    }
                }
            }
        });
    }

    /// <summary>Adaptive max with first-maximum (NaN-propagating) flat h·W+w indices.</summary>
    public static void AdaptiveMaxForward(float[] x, float[] y, int[]? indices, int planes, int h, int w, int oh, int ow)
    {
        Parallelism.For(planes, AdaptiveWork(h, w, oh, ow), p =>
        {
            var xp = new ReadOnlySpan<float>(x, p * h * w, h * w);
            var yp = new Span<float>(y, p * oh * ow, oh * ow);
            var ip = indices is null ? Span<int>.Empty : new Span<int>(indices, p * oh * ow, oh * ow);
            for (int i = 0; i < oh; i++)
            {
                int ih0 = AdaptiveStart(i, oh, h), ih1 = AdaptiveEnd(i, oh, h);
                for (int j = 0; j < ow; j++)
                {
                    int iw0 = AdaptiveStart(j, ow, w), iw1 = AdaptiveEnd(j, ow, w);
                    int maxIndex = ih0 * w + iw0;
                    float maxVal = float.NegativeInfinity;
                    for (int ih = ih0; ih < ih1; ih++)
                    {
                        int row = ih * w;
                        for (int iw = iw0; iw < iw1; iw++)
                        {
                            float v = xp[row + iw];
                            if (v > maxVal || float.IsNaN(v))
                            {
                                maxVal = v;
                                maxIndex = row + iw;
                            }
                        }
                    }
                    int o = i * ow + j;
                    yp[o] = maxVal;
                    if (!ip.IsEmpty) ip[o] = maxIndex;
                }
            }
        });
    }
}
