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

/// <summary>im2col / col2im over a range of output columns, so column buffers stay cache-sized.</summary>
internal static class Im2Col
{
    /// <summary>cols[k, p − p0] for p in [p0, p0+count): the input pixel feeding output column p through kernel tap k (0 outside).</summary>
    public static void Gather(in ConvGeometry g, ReadOnlySpan<float> input, Span<float> cols, int p0, int count, int k0, int k1)
    {
        int kh = g.KernelH, kw = g.KernelW, ow = g.OutW;
        for (int k = k0; k < k1; k++)
        {
            int c = k / (kh * kw), r = k % (kh * kw), i = r / kw, j = r % kw;
            var dst = cols.Slice(k * count, count);
            var plane = input.Slice(c * g.Height * g.Width, g.Height * g.Width);
            int p = p0, end = p0 + count;
            while (p < end)
            {
                int oy = p / ow, ox = p % ow;
                int run = Math.Min(ow - ox, end - p);
                int iy = oy * g.StrideH - g.PadH + i * g.DilationH;
                var d = dst.Slice(p - p0, run);
                if ((uint)iy >= (uint)g.Height)
                {
                    d.Clear();
                }
                else
                {
                    var row = plane.Slice(iy * g.Width, g.Width);
                    int ix0 = ox * g.StrideW - g.PadW + j * g.DilationW;
                    if (g.StrideW == 1 && ix0 >= 0 && ix0 + run <= g.Width)
                    {
                        row.Slice(ix0, run).CopyTo(d);
                    }
                    else
                    {
                        for (int t = 0; t < run; t++)
                        {
                            int ix = ix0 + t * g.StrideW;
                            d[t] = (uint)ix < (uint)g.Width ? row[ix] : 0f;
                        }
                    }
                }
                p += run;
            }
        }
    }

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
