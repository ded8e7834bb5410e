using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Wsss.Core.Tensors.Kernels;

/// <summary>Geometry of one 2-D convolution (per sample, per group).</summary>
internal readonly record struct ConvGeometry(
    int Channels, int Height, int Width, int KernelH, int KernelW,
    int StrideH, int StrideW, int PadH, int PadW, int DilationH, int DilationW, int OutH, int OutW)
{
    public int Rows => Channels * KernelH * KernelW;

    public int Columns => OutH * OutW;

    public bool IsPointwise => KernelH == 1 && KernelW == 1 && StrideH == 1 && StrideW == 1 && PadH == 0 && PadW == 0;
}

/// <summary>col2im over a range of output columns, so column buffers stay cache-sized.</summary>
internal static class Im2Col
{
    /// <summary>Adds cols[k, p − p0] into the input-gradient pixels they came from, for channels [c0, c1).</summary>
    public static void Scatter(in ConvGeometry g, ReadOnlySpan<float> cols, Span<float> gradInput, int p0, int count, int c0, int c1)
    {
        int kh = g.KernelH, kw = g.KernelW, ow = g.OutW;
        for (int c = c0; c < c1; c++)
        {
            var plane = gradInput.Slice(c * g.Height * g.Width, g.Height * g.Width);
            for (int i = 0; i < kh; i++)
            {
                for (int j = 0; j < kw; j++)
                {
                    int k = (c * kh + i) * kw + j;
                    var src = cols.Slice(k * count, count);
                    int p = p0, end = p0 + count;
                    while (p < end)
                    {
                        int oy = p / ow, ox = p % ow;
                        int run = Math.Min(ow - ox, end - p);
                        int iy = oy * g.StrideH - g.PadH + i * g.DilationH;
                        if ((uint)iy < (uint)g.Height)
                        {
                            var row = plane.Slice(iy * g.Width, g.Width);
                            var s = src.Slice(p - p0, run);
                            int ix0 = ox * g.StrideW - g.PadW + j * g.DilationW;
                            if (g.StrideW == 1 && ix0 >= 0 && ix0 + run <= g.Width)
                            {
                                var d = row.Slice(ix0, run);
                                System.Numerics.Tensors.TensorPrimitives.Add(d, s, d);
                            }
                            else
                            {
                                for (int t = 0; t < run; t++)
                                {
                                    int ix = ix0 + t * g.StrideW;
                                    if ((uint)ix < (uint)g.Width) row[ix] += s[t];
                                }
                            }
                        }
                        p += run;
                    }
                }
            }
        }
    }
}

/// <summary>Packs GEMM B panels straight from an image: B = im2col(x) (taps x pixels) or its transpose.</summary>
internal sealed unsafe class Im2ColPacker : BPanelPacker
{
    // Upper bound of the columns of one packing unit of any micro-kernel (see Gemm.UnitPanels).
    private const int MaxUnitColumns = 128;

    [ThreadStatic] private static float[]? t_rows;

    private readonly ConvGeometry _g;
    private readonly float* _x;
    private readonly bool _transposed;

    /// <param name="g">Geometry of one group of one sample.</param>
    /// <param name="x">The group's input planes (Channels x Height x Width).</param>
    /// <param name="transposed">False: B[tap, pixel] (forward); true: B[pixel, tap] (weight gradient).</param>
    public Im2ColPacker(in ConvGeometry g, float* x, bool transposed)
    {
        _g = g;
        _x = x;
        _transposed = transposed;
    }

    // Transposed panels gather whole kc-pixel rows whatever the unit width, so single panels cost nothing extra.
    public override bool SinglePanelUnits => _transposed;

    public override void Pack(int k0, int kc, int j0, int cols, int nr, float* dst)
    {
        if (_transposed)
        {
            PackTransposed(k0, kc, j0, cols, nr, dst);
            return;
        }

        int panels = (cols + nr - 1) / nr;
        int width = panels * nr;
        float* row = stackalloc float[MaxUnitColumns + 32];
        if (width > MaxUnitColumns + 32) throw new InvalidOperationException("packing unit wider than expected");
        for (int t = cols; t < width; t++) row[t] = 0f;
        nint panelStride = (nint)kc * nr;
        for (int kk = 0; kk < kc; kk++)
        {
            GatherRow(k0 + kk, j0, cols, row);
            float* d = dst + (nint)kk * nr;
            if (nr == 16 && Vector256.IsHardwareAccelerated)
            {
                for (int q = 0; q < panels; q++)
                {
                    float* dq = d + q * panelStride;
                    Vector256.Store(Vector256.Load(row + q * 16), dq);
                    Vector256.Store(Vector256.Load(row + q * 16 + 8), dq + 8);
                }
            }
            else
            {
                for (int q = 0; q < panels; q++)
                {
                    Unsafe.CopyBlockUnaligned(d + q * panelStride, row + q * nr, (uint)(nr * sizeof(float)));
                }
            }
        }
    }

    // B[pixel, tap]: gathers nr tap rows over the kc pixels, then transposes them into the panel.
    private void PackTransposed(int k0, int kc, int j0, int cols, int nr, float* dst)
    {
        float[] buffer = t_rows ??= GC.AllocateUninitializedArray<float>(32 * 1024, pinned: true);
        if (buffer.Length < nr * kc)
        {
            buffer = t_rows = GC.AllocateUninitializedArray<float>(nr * kc, pinned: true);
        }

        fixed (float* tmp = buffer)
        {
            for (int q = 0; q * nr < cols; q++)
            {
                int tc = Math.Min(nr, cols - q * nr);
                for (int t = 0; t < tc; t++)
                {
                    GatherRow(j0 + q * nr + t, k0, kc, tmp + (nint)t * kc);
                }

                Gemm.PackBTransposed(tmp, kc, kc, tc, nr, dst + (nint)q * kc * nr);
            }
        }
    }

    // Short copies (mostly 16..224 floats): an inline vector loop beats the memmove call.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Copy(float* src, float* dst, int count)
    {
        int t = 0;
        if (Vector256.IsHardwareAccelerated && count >= 8)
        {
            for (; t + 8 <= count; t += 8)
            {
                Vector256.Store(Vector256.Load(src + t), dst + t);
            }

            if (t < count)
            {
                Vector256.Store(Vector256.Load(src + count - 8), dst + count - 8);
            }

            return;
        }

        for (; t < count; t++) dst[t] = src[t];
    }

    /// <summary>d[t] = im2col(x)[tap, p0 + t] for t in [0, count).</summary>
    private void GatherRow(int tap, int p0, int count, float* d)
    {
        ref readonly ConvGeometry g = ref _g;
        int khw = g.KernelH * g.KernelW;
        int c = tap / khw, r = tap - c * khw, i = r / g.KernelW, j = r - i * g.KernelW;
        int ow = g.OutW, w = g.Width;
        float* plane = _x + (nint)c * g.Height * w;
        int oy = p0 / ow, ox = p0 - oy * ow;
        int left = count;
        int iyStep = g.StrideH, iy = oy * g.StrideH - g.PadH + i * g.DilationH;
        int ixBase = j * g.DilationW - g.PadW;
        while (left > 0)
        {
            int run = Math.Min(ow - ox, left);
            if ((uint)iy >= (uint)g.Height)
            {
                for (int t = 0; t < run; t++) d[t] = 0f;
            }
            else
            {
                float* src = plane + (nint)iy * w;
                int ix0 = ox * g.StrideW + ixBase;
                if (g.StrideW == 1)
                {
                    int lo = Math.Clamp(-ix0, 0, run);
                    int hi = Math.Clamp(w - ix0, lo, run);
                    for (int t = 0; t < lo; t++) d[t] = 0f;
                    Copy(src + ix0 + lo, d + lo, hi - lo);
                    for (int t = hi; t < run; t++) d[t] = 0f;
                }
                else
                {
                    int sw = g.StrideW;
                    for (int t = 0; t < run; t++)
                    {
                        int ix = ix0 + t * sw;
                        d[t] = (uint)ix < (uint)w ? src[ix] : 0f;
                    }
                }
            }

            d += run;
            left -= run;
            ox = 0;
            iy += iyStep;
        }
    }
}
