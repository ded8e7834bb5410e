using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Wsss.Core.Tensors.Kernels;

/// <summary>
/// 2-D convolution on top of <see cref="Gemm"/>: per sample and group, an implicit-im2col GEMM whose B panels
/// are packed straight from the image (<see cref="Im2ColPacker"/>); 1×1 stride-1 convolutions go straight to GEMM,
/// and stride-1 convolutions with few output channels (the U-Net heads) use a direct row kernel.
/// Stride-1 input gradients are convolutions with the flipped kernel; others use a GEMM plus col2im over column tiles.
/// Large 3×3 stride-1 layers take <see cref="Winograd3x3"/> for the forward pass and both gradients.
/// </summary>
internal static unsafe class Conv2dKernels
{
    // About 4 MB of im2col columns per tile: measured best on U-Net layers (8 MB spills the cache, 1 MB starves the GEMM).
    private const int TargetTileFloats = 1 << 20;

    private static int TileColumns(in ConvGeometry g) => Math.Max(1, Math.Min(g.Columns, Math.Max(256, TargetTileFloats / Math.Max(1, g.Rows))));

    private static void ScatterParallel(ConvGeometry g, float[] cols, float[] gx, int gxOffset, int p0, int count)
    {
        int planeLen = g.Channels * g.Height * g.Width;
        int parts = g.Rows * count < 65536 ? 1 : Math.Min(Parallelism.MaxDegreeOfParallelism, g.Channels);
        if (parts <= 1)
        {
            Im2Col.Scatter(g, cols.AsSpan(0, g.Rows * count), gx.AsSpan(gxOffset, planeLen), p0, count, 0, g.Channels);
            return;
        }
        Parallel.For(0, parts, Parallelism.Options, t =>
        {
            int c0 = g.Channels * t / parts, c1 = g.Channels * (t + 1) / parts;
            Im2Col.Scatter(g, cols.AsSpan(0, g.Rows * count), gx.AsSpan(gxOffset, planeLen), p0, count, c0, c1);
        });
    }

    /// <summary>y = conv(x, w) + bias. <paramref name="g"/> describes one group of one sample.</summary>
    public static void Forward(float[] x, float[] w, float[]? bias, float[] y, int n, int groups, int coutPerGroup, in ConvGeometry g)
    {
        int cinG = g.Channels, k = g.Rows, p = g.Columns, hw = g.Height * g.Width;
        int cin = cinG * groups, cout = coutPerGroup * groups;
        fixed (float* px = x) fixed (float* pw = w) fixed (float* py = y)
        {
            for (int s = 0; s < n; s++)
            {
                for (int grp = 0; grp < groups; grp++)
                {
                    float* xg = px + (long)(s * cin + grp * cinG) * hw;
                    float* yg = py + (long)(s * cout + grp * coutPerGroup) * p;
                    float* wg = pw + (long)grp * coutPerGroup * k;
                    ConvolveGroup(g, xg, wg, coutPerGroup, yg);
                }
            }
        }
        if (bias is not null)
        {
            Parallelism.For(n * cout, p, i =>
            {
                var plane = y.AsSpan(i * p, p);
                System.Numerics.Tensors.TensorPrimitives.Add(plane, bias[i % cout], plane);
            });
        }
    }

    // y (cout x P) = w (cout x K) * im2col(x) (K x P), the columns packed straight from x.
    private static void ConvolveGroup(in ConvGeometry g, float* x, float* w, int cout, float* y)
    {
        int k = g.Rows, p = g.Columns;
        if (UseDirect(g, cout))
        {
            DirectSmallCout(g, x, w, cout, y);
            return;
        }
        if (Winograd3x3.Applies(g, cout))
        {
            Winograd3x3.Convolve(g, x, w, cout, y);
            return;
        }
        if (g.IsPointwise)
        {
            Gemm.Sgemm(false, false, cout, p, k, 1f, w, k, x, p, 0f, y, p, Parallelism.MaxDegreeOfParallelism);
            return;
        }
        Gemm.SgemmPackedB(false, cout, p, k, 1f, w, k, new Im2ColPacker(g, x, transposed: false), 0f, y, p, Parallelism.MaxDegreeOfParallelism);
    }

    // Below this many output channels the GEMM's 6-row micro-kernel mostly multiplies padding and the
    // im2col packing is not amortised; a direct convolution along output rows is several times faster.
    private const int DirectMaxCout = 8;

    private static bool UseDirect(in ConvGeometry g, int cout) =>
        cout <= DirectMaxCout && g.StrideH == 1 && g.StrideW == 1 && !g.IsPointwise && Fma.IsSupported && Vector256.IsHardwareAccelerated;

    // y[o, oy, :] = Σ_{c,i,j} w[o, c, i, j] · x[c, oy·sh − ph + i·dh, (ox − pw + j·dw)]: per output row, the needed input
    // rows are copied zero-padded into a thread-local buffer; two output channels × 32 columns stay in registers.
    private static void DirectSmallCout(ConvGeometry g, float* x, float* w, int cout, float* y)
    {
        int oh = g.OutH, ow = g.OutW, rowsK = g.Channels * g.KernelH, kw = g.KernelW, k = g.Rows;
        int owr = (ow + 31) & ~31;
        int len = owr + g.DilationW * (kw - 1);
        int parts = Math.Min(Parallelism.MaxDegreeOfParallelism, oh);
        if ((long)k * cout * oh * ow < 1 << 18) parts = 1;
        nint xs = (nint)x, ws = (nint)w, ys = (nint)y;
        Action<int> body = t =>
        {
            float[] buffer = TensorPool.Rent(rowsK * len + 2 * owr, clear: false);
            try
            {
                fixed (float* buf = buffer)
                {
                    float* outRows = buf + (nint)rowsK * len;
                    for (int oy = oh * t / parts, end = oh * (t + 1) / parts; oy < end; oy++)
                    {
                        FillRows(g, (float*)xs, oy, buf, len);
                        for (int o = 0; o < cout; o += 2)
                        {
                            int o1 = Math.Min(o + 1, cout - 1);
                            float* w0 = (float*)ws + (nint)o * k, w1 = (float*)ws + (nint)o1 * k;
                            for (int ox = 0; ox < owr; ox += 32)
                                DirectBlock(buf + ox, len, rowsK, kw, g.DilationW, w0, w1, outRows + ox, outRows + owr + ox);
                            new ReadOnlySpan<float>(outRows, ow).CopyTo(new Span<float>((float*)ys + ((nint)o * oh + oy) * ow, ow));
                            new ReadOnlySpan<float>(outRows + owr, ow).CopyTo(new Span<float>((float*)ys + ((nint)o1 * oh + oy) * ow, ow));
                        }
                    }
                }
            }
            finally
            {
                TensorPool.Return(buffer);
            }
        };
        if (parts == 1) body(0);
        else Parallel.For(0, parts, Parallelism.Options, body);
    }

    // buf[(c·kh + i)·len + t] = x[c, iy(i), t − pw] (0 outside the image).
    private static void FillRows(in ConvGeometry g, float* x, int oy, float* buf, int len)
    {
        int h = g.Height, wd = g.Width, pw = g.PadW;
        for (int c = 0; c < g.Channels; c++)
        {
            for (int i = 0; i < g.KernelH; i++)
            {
                float* d = buf + (nint)(c * g.KernelH + i) * len;
                int iy = oy * g.StrideH - g.PadH + i * g.DilationH;
                if ((uint)iy >= (uint)h)
                {
                    new Span<float>(d, len).Clear();
                    continue;
                }
                int lo = Math.Min(pw, len), hi = Math.Min(pw + wd, len);
                new Span<float>(d, lo).Clear();
                new ReadOnlySpan<float>(x + ((nint)c * h + iy) * wd, hi - lo).CopyTo(new Span<float>(d + lo, hi - lo));
                new Span<float>(d + hi, len - hi).Clear();
            }
        }
    }

    private static void DirectBlock(float* rows, int len, int rowsK, int kw, int dw, float* w0, float* w1, float* out0, float* out1)
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default;
        for (int r = 0; r < rowsK; r++)
        {
            float* row = rows + (nint)r * len;
            for (int j = 0; j < kw; j++)
            {
                float* s = row + j * dw;
                Vector256<float> x0 = Vector256.Load(s), x1 = Vector256.Load(s + 8), x2 = Vector256.Load(s + 16), x3 = Vector256.Load(s + 24);
                Vector256<float> u = Vector256.Create(w0[j]), v = Vector256.Create(w1[j]);
                a0 = Fma.MultiplyAdd(x0, u, a0); a1 = Fma.MultiplyAdd(x1, u, a1); a2 = Fma.MultiplyAdd(x2, u, a2); a3 = Fma.MultiplyAdd(x3, u, a3);
                b0 = Fma.MultiplyAdd(x0, v, b0); b1 = Fma.MultiplyAdd(x1, v, b1); b2 = Fma.MultiplyAdd(x2, v, b2); b3 = Fma.MultiplyAdd(x3, v, b3);
            }
            w0 += kw;
            w1 += kw;
        }
        a0.Store(out0); a1.Store(out0 + 8); a2.Store(out0 + 16); a3.Store(out0 + 24);
        b0.Store(out1); b1.Store(out1 + 8); b2.Store(out1 + 16); b3.Store(out1 + 24);
    }

    // The input gradient of a stride-1 convolution is a stride-1 convolution of gY with the flipped,
    // in/out-swapped kernel and padding d*(k-1)-p, which needs that padding to be non-negative.
    private static bool CanBackpropAsConvolution(in ConvGeometry g) =>
        g.StrideH == 1 && g.StrideW == 1 && g.PadH <= g.DilationH * (g.KernelH - 1) && g.PadW <= g.DilationW * (g.KernelW - 1);

    /// <summary>Gradients of the input (<paramref name="gx"/>, overwritten) and/or weight (<paramref name="gw"/>, overwritten).</summary>
    public static void Backward(float[] x, float[] w, float[] gy, float[]? gx, float[]? gw, int n, int groups, int coutPerGroup, in ConvGeometry g)
    {
        int cinG = g.Channels, k = g.Rows, p = g.Columns, hw = g.Height * g.Width;
        int cin = cinG * groups, cout = coutPerGroup * groups;
        int tile = TileColumns(g);
        bool pointwise = g.IsPointwise;
        bool asConv = !pointwise && CanBackpropAsConvolution(g);
        float[]? gcols = pointwise || asConv || gx is null ? null : TensorPool.Rent(k * tile, clear: false);
        var gt = new ConvGeometry(coutPerGroup, g.OutH, g.OutW, g.KernelH, g.KernelW, 1, 1,
            g.DilationH * (g.KernelH - 1) - g.PadH, g.DilationW * (g.KernelW - 1) - g.PadW, g.DilationH, g.DilationW, g.Height, g.Width);
        bool winogradX = asConv && gx is not null && Winograd3x3.Applies(gt, cinG);
        float[]? wt = asConv && gx is not null && !winogradX ? TensorPool.Rent(cout * k, clear: false) : null;
        if (gx is not null && gcols is not null) Array.Clear(gx, 0, n * cin * hw);
        try
        {
            if (wt is not null) FlipTranspose(w, wt, groups, coutPerGroup, cinG, g.KernelH * g.KernelW);
            fixed (float* px = x) fixed (float* pw = w) fixed (float* pgy = gy) fixed (float* pgx = gx) fixed (float* pgw = gw)
            fixed (float* pgc = gcols) fixed (float* pwt = wt)
            {
                for (int s = 0; s < n; s++)
                {
                    for (int grp = 0; grp < groups; grp++)
                    {
                        int xOff = (s * cin + grp * cinG) * hw;
                        float* gyg = pgy + (long)(s * cout + grp * coutPerGroup) * p;
                        float* wg = pw + (long)grp * coutPerGroup * k;
                        float* gwg = pgw + (long)grp * coutPerGroup * k;
                        float betaW = s == 0 ? 0f : 1f;
                        if (pointwise)
                        {
                            // gW += gY · Xᵀ ; gX = Wᵀ · gY
                            if (gw is not null) Gemm.Sgemm(false, true, coutPerGroup, k, p, 1f, gyg, p, px + xOff, p, betaW, gwg, k, Parallelism.MaxDegreeOfParallelism);
                            if (gx is not null) Gemm.Sgemm(true, false, k, p, coutPerGroup, 1f, wg, k, gyg, p, 0f, pgx + xOff, p, Parallelism.MaxDegreeOfParallelism);
                            continue;
                        }
                        if (gw is not null && Winograd3x3.Applies(g, coutPerGroup))
                        {
                            Winograd3x3.WeightGradient(g, px + xOff, gyg, coutPerGroup, gwg, betaW);
                        }
                        else if (gw is not null)
                        {
                            // gW (cout x K) += gY (cout x P) · im2col(x)ᵀ (P x K)
                            Gemm.SgemmPackedB(false, coutPerGroup, k, p, 1f, gyg, p, new Im2ColPacker(g, px + xOff, transposed: true), betaW, gwg, k, Parallelism.MaxDegreeOfParallelism);
                        }
                        if (gx is null) continue;
                        if (winogradX)
                        {
                            Winograd3x3.Convolve(gt, gyg, wg, cinG, pgx + xOff, flipTranspose: true);
                            continue;
                        }
                        if (asConv)
                        {
                            ConvolveGroup(gt, gyg, pwt + (long)grp * cinG * coutPerGroup * g.KernelH * g.KernelW, cinG, pgx + xOff);
                            continue;
                        }
                        for (int p0 = 0; p0 < p; p0 += tile)
                        {
                            int cnt = Math.Min(tile, p - p0);
                            Gemm.Sgemm(true, false, k, cnt, coutPerGroup, 1f, wg, k, gyg + p0, p, 0f, pgc, cnt, Parallelism.MaxDegreeOfParallelism);
                            ScatterParallel(g, gcols!, gx, xOff, p0, cnt);
                        }
                    }
                }
            }
        }
        finally
        {
            if (gcols is not null) TensorPool.Return(gcols);
            if (wt is not null) TensorPool.Return(wt);
        }
    }

    // wt[grp][ci][co][taps reversed] = w[grp][co][ci][taps].
    private static void FlipTranspose(float[] w, float[] wt, int groups, int coutG, int cinG, int taps)
    {
        for (int grp = 0; grp < groups; grp++)
        {
            int baseOff = grp * coutG * cinG * taps;
            for (int co = 0; co < coutG; co++)
            {
                for (int ci = 0; ci < cinG; ci++)
                {
                    int src = baseOff + (co * cinG + ci) * taps;
                    int dst = baseOff + (ci * coutG + co) * taps + taps - 1;
                    for (int t = 0; t < taps; t++) wt[dst - t] = w[src + t];
                }
            }
        }
    }
}
