namespace Wsss.Core.Tensors.Kernels;

/// <summary>Per-axis source taps and weights of a linear resize: out[i] = l0[i]·in[i0[i]] + l1[i]·in[i1[i]].</summary>
internal sealed class LinearTaps
{
    public readonly int[] I0;
    public readonly int[] I1;
    public readonly float[] L0;
    public readonly float[] L1;

    public LinearTaps(int n)
    {
        I0 = new int[n];
        I1 = new int[n];
        L0 = new float[n];
        L1 = new float[n];
    }
}

/// <summary>
/// Raw NCHW resize kernels (legacy 'nearest' and 'bilinear') over contiguous float buffers, parallel
/// over planes. Index and weight tables are computed once per axis, exactly as ATen's CPU kernels
/// (UpSample.h / UpSampleKernel.cpp: compute_scales_value, area_pixel_compute_source_index,
/// HelperInterpNearest, compute_source_index_and_lambda) do it in float32.
/// </summary>
internal static class InterpolateKernels
{
    /// <summary>ATen compute_scales_value&lt;float&gt;: 1/scale when a positive scale factor was given, else in/out.</summary>
    public static float ScaleValue(double? scaleFactor, int inSize, int outSize)
        => scaleFactor is double s && s > 0 ? (float)(1.0 / s) : (float)inSize / outSize;

    /// <summary>
    /// Source index of every output index for legacy 'nearest': min(floor(dst · scale), in − 1) with the
    /// float32 scale of <see cref="ScaleValue"/> (ATen HelperInterpNearest, the NCHW CPU forward).
    /// </summary>
    /// <remarks>
    /// ATen 1.13's CPU backward (and its channels-last forward) use nearest_idx instead, which maps
    /// out == in to the identity and out == 2·in to dst / 2 even when a scale factor such as 1.1 or
    /// 2.01 was given. The two agree for every size-given case and every scale factor whose reciprocal
    /// is exact (0.5, 1, 2, 4, ...); here forward and backward share one table so the gradient is the
    /// true gradient of the forward.
    /// </remarks>
    public static int[] NearestIndices(int inSize, int outSize, double? scaleFactor)
    {
        var idx = new int[outSize];
        float scale = ScaleValue(scaleFactor, inSize, outSize);
        for (int i = 0; i < outSize; i++)
            idx[i] = (int)Math.Min((long)MathF.Floor(i * scale), inSize - 1);
        return idx;
    }

    /// <summary>ATen compute_source_index_and_lambda for every output index of one axis.</summary>
    public static LinearTaps LinearIndices(int inSize, int outSize, bool alignCorners, double? scaleFactor)
    {
        var t = new LinearTaps(outSize);
        if (outSize == inSize)
        {
            for (int i = 0; i < outSize; i++)
            {
                t.I0[i] = i;
                t.I1[i] = i;
                t.L0[i] = 1f;
                t.L1[i] = 0f;
            }
            return t;
        }
        // area_pixel_compute_scale
        float ratio = alignCorners
            ? (outSize > 1 ? (float)(inSize - 1) / (outSize - 1) : 0f)
            : ScaleValue(scaleFactor, inSize, outSize);
        for (int i = 0; i < outSize; i++)
        {
            // area_pixel_compute_source_index (the half-pixel form is evaluated in double, then rounded).
            float real;
            if (alignCorners)
            {
                real = ratio * i;
            }
            else
            {
                real = (float)(ratio * (i + 0.5) - 0.5);
                if (real < 0f) real = 0f;
            }
            int i0 = (int)Math.Min((long)real, inSize - 1);
            int i1 = i0 + (i0 < inSize - 1 ? 1 : 0);
            float l1 = Math.Min(Math.Max(real - i0, 0f), 1f);
            t.I0[i] = i0;
            t.I1[i] = i1;
            t.L1[i] = l1;
            t.L0[i] = 1f - l1;
        }
        return t;
    }

    /// <summary>y[p, oh, ow] = x[p, rows[oh], cols[ow]].</summary>
    public static void NearestForward(float[] x, float[] y, int planes, int h, int w, int[] rows, int[] cols)
    {
        int oh = rows.Length, ow = cols.Length;
        Parallelism.For(planes, Math.Max(1L, (long)oh * ow), p =>
        {
            var xp = new ReadOnlySpan<float>(x, p * h * w, h * w);
            var yp = new Span<float>(y, p * oh * ow, oh * ow);
            for (int i = 0; i < oh; i++)
            {
                var src = xp.Slice(rows[i] * w, w);
                var dst = yp.Slice(i * ow, ow);
                for (int j = 0; j < ow; j++) dst[j] = src[cols[j]];
            }
        });
    }

    /// <summary>gx[p, rows[oh], cols[ow]] += gy[p, oh, ow]; each plane of <paramref name="gx"/> is overwritten (cleared first, so it may hold garbage).</summary>
    public static void NearestBackward(float[] gy, float[] gx, int planes, int h, int w, int[] rows, int[] cols)
    {
        int oh = rows.Length, ow = cols.Length;
        Parallelism.For(planes, Math.Max(1L, (long)oh * ow), p =>
        {
            var gyp = new ReadOnlySpan<float>(gy, p * oh * ow, oh * ow);
            var gxp = new Span<float>(gx, p * h * w, h * w);
            gxp.Clear();
            for (int i = 0; i < oh; i++)
            {
                var dst = gxp.Slice(rows[i] * w, w);
                var src = gyp.Slice(i * ow, ow);
                for (int j = 0; j < ow; j++) dst[cols[j]] += src[j];
            }
        });
    }

    /// <summary>Bilinear forward: y = l0h·(l0w·x00 + l1w·x01) + l1h·(l0w·x10 + l1w·x11).</summary>
    public static void BilinearForward(float[] x, float[] y, int planes, int h, int w, LinearTaps th, LinearTaps tw)
    {
        int oh = th.I0.Length, ow = tw.I0.Length;
        Parallelism.For(planes, Math.Max(1L, 4L * oh * ow), p =>
        {
            var xp = new ReadOnlySpan<float>(x, p * h * w, h * w);
            var yp = new Span<float>(y, p * oh * ow, oh * ow);
            for (int i = 0; i < oh; i++)
            {
                var r0 = xp.Slice(th.I0[i] * w, w);
                var r1 = xp.Slice(th.I1[i] * w, w);
                float lh0 = th.L0[i], lh1 = th.L1[i];
                var dst = yp.Slice(i * ow, ow);
                for (int j = 0; j < ow; j++)
                {
                    int c0 = tw.I0[j], c1 = tw.I1[j];
                    float lw0 = tw.L0[j], lw1 = tw.L1[j];
                    float t0 = r0[c0] * lw0 + r0[c1] * lw1;
                    float t1 = r1[c0] * lw0 + r1[c1] * lw1;
                    dst[j] = t0 * lh0 + t1 * lh1;
                }
            }
        });
    }

    /// <summary>Bilinear backward: scatters gy·lh·lw to the four taps; each plane of <paramref name="gx"/> is overwritten (cleared first, so it may hold garbage).</summary>
    public static void BilinearBackward(float[] gy, float[] gx, int planes, int h, int w, LinearTaps th, LinearTaps tw)
    {
        int oh = th.I0.Length, ow = tw.I0.Length;
        Parallelism.For(planes, Math.Max(1L, 4L * oh * ow), p =>
        {
            var gyp = new ReadOnlySpan<float>(gy, p * oh * ow, oh * ow);
            var gxp = new Span<float>(gx, p * h * w, h * w);
            gxp.Clear();
            for (int i = 0; i < oh; i++)
            {
                int r0 = th.I0[i] * w, r1 = th.I1[i] * w;
                float lh0 = th.L0[i], lh1 = th.L1[i];
                var src = gyp.Slice(i * ow, ow);
                for (int j = 0; j < ow; j++)
                {
                    int c0 = tw.I0[j], c1 = tw.I1[j];
                    float lw0 = tw.L0[j], lw1 = tw.L1[j];
                    float g = src[j];
                    gxp[r0 + c0] += lh0 * lw0 * g;
                    gxp[r0 + c1] += lh0 * lw1 * g;
                    gxp[r1 + c0] += lh1 * lw0 * g;
                    gxp[r1 + c1] += lh1 * lw1 * g;
                }
            }
        });
    }
}
