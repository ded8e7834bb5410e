namespace Wsss.Core.Tensors.Kernels;

/// <summary>
/// 2-D convolution on top of <see cref="Gemm"/>: per sample and group, output columns are processed in
/// tiles whose im2col buffer stays around 8 MB; 1×1 stride-1 convolutions go straight to GEMM.
/// </summary>
internal static unsafe class Conv2dKernels
{
    // About 4 MB of im2col columns per tile: measured best on U-Net layers (8 MB spills the cache, 1 MB starves the GEMM).
    private const int TargetTileFloats = 1 << 20;

    private static int TileColumns(in ConvGeometry g) => Math.Max(1, Math.Min(g.Columns, Math.Max(256, TargetTileFloats / Math.Max(1, g.Rows))));

    private static void GatherParallel(ConvGeometry g, float[] x, int xOffset, float[] cols, int p0, int count)
    {
        int rows = g.Rows;
        int planeLen = g.Channels * g.Height * g.Width;
        int parts = rows * count < 65536 ? 1 : Math.Min(Parallelism.MaxDegreeOfParallelism, rows);
        if (parts <= 1)
        {
            Im2Col.Gather(g, x.AsSpan(xOffset, planeLen), cols.AsSpan(0, rows * count), p0, count, 0, rows);
            return;
        }
        Parallel.For(0, parts, Parallelism.Options, t =>
        {
            int k0 = rows * t / parts, k1 = rows * (t + 1) / parts;
            Im2Col.Gather(g, x.AsSpan(xOffset, planeLen), cols.AsSpan(0, rows * count), p0, count, k0, k1);
        });
    }

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
        int tile = TileColumns(g);
        float[]? cols = g.IsPointwise ? null : TensorPool.Rent(k * tile, clear: false);
        try
        {
            fixed (float* px = x) fixed (float* pw = w) fixed (float* py = y)
            {
                for (int s = 0; s < n; s++)
                {
                    for (int grp = 0; grp < groups; grp++)
                    {
                        int xOff = (s * cin + grp * cinG) * hw;
                        float* yg = py + (long)(s * cout + grp * coutPerGroup) * p;
                        float* wg = pw + (long)grp * coutPerGroup * k;
                        if (cols is null)
                        {
                            Gemm.Sgemm(false, false, coutPerGroup, p, k, 1f, wg, k, px + xOff, p, 0f, yg, p, Parallelism.MaxDegreeOfParallelism);
                            continue;
                        }
                        fixed (float* pc = cols)
                        {
                            for (int p0 = 0; p0 < p; p0 += tile)
                            {
                                int cnt = Math.Min(tile, p - p0);
                                GatherParallel(g, x, xOff, cols, p0, cnt);
                                Gemm.Sgemm(false, false, coutPerGroup, cnt, k, 1f, wg, k, pc, cnt, 0f, yg + p0, p, Parallelism.MaxDegreeOfParallelism);
                            }
                        }
                    }
                }
            }
        }
        finally
        {
            if (cols is not null) TensorPool.Return(cols);
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

    /// <summary>Gradients of the input (<paramref name="gx"/>, overwritten) and/or weight (<paramref name="gw"/>, overwritten).</summary>
    public static void Backward(float[] x, float[] w, float[] gy, float[]? gx, float[]? gw, int n, int groups, int coutPerGroup, in ConvGeometry g)
    {
        int cinG = g.Channels, k = g.Rows, p = g.Columns, hw = g.Height * g.Width;
        int cin = cinG * groups, cout = coutPerGroup * groups;
        int tile = TileColumns(g);
        bool pointwise = g.IsPointwise;
        float[]? cols = pointwise || gw is null ? null : TensorPool.Rent(k * tile, clear: false);
        float[]? gcols = pointwise || gx is null ? null : TensorPool.Rent(k * tile, clear: false);
        if (gx is not null && !pointwise) Array.Clear(gx, 0, n * cin * hw);
        try
        {
            fixed (float* px = x) fixed (float* pw = w) fixed (float* pgy = gy) fixed (float* pgx = gx) fixed (float* pgw = gw)
            fixed (float* pc = cols) fixed (float* pgc = gcols)
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
                        for (int p0 = 0; p0 < p; p0 += tile)
                        {
                            int cnt = Math.Min(tile, p - p0);
                            if (gw is not null)
                            {
                                GatherParallel(g, x, xOff, cols!, p0, cnt);
                                float beta = s == 0 && p0 == 0 ? 0f : 1f;
                                Gemm.Sgemm(false, true, coutPerGroup, k, cnt, 1f, gyg + p0, p, pc, cnt, beta, gwg, k, Parallelism.MaxDegreeOfParallelism);
                            }
                            if (gx is not null)
                            {
                                Gemm.Sgemm(true, false, k, cnt, coutPerGroup, 1f, wg, k, gyg + p0, p, 0f, pgc, cnt, Parallelism.MaxDegreeOfParallelism);
                                ScatterParallel(g, gcols!, gx, xOff, p0, cnt);
                            }
                        }
                    }
                }
            }
        }
        finally
        {
            if (cols is not null) TensorPool.Return(cols);
            if (gcols is not null) TensorPool.Return(gcols);
        }
    }
}
