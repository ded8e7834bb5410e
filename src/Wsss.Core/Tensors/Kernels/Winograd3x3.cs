using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Wsss.Core.Tensors.Kernels;

/// <summary>
/// Winograd F(2×2, 3×3) convolution for 3×3, stride-1, dilation-1 kernels: each 4×4 input tile d becomes Bᵀ d B,
/// each filter g becomes G g Gᵀ, the 16 element-wise products summed over channels are 16 GEMMs
/// (C_out × C_in by C_in × tiles), and Aᵀ m A turns each 4×4 result into a 2×2 output tile — 16 multiplies per
/// 4 outputs instead of 36. Tiles are processed in blocks of whole tile rows so the transformed input and
/// products of a block stay in the last-level cache.
/// </summary>
internal static unsafe class Winograd3x3
{
    /// <summary>Smallest C_in·C_out that takes this path (below it the transforms cost more than the saved multiplies).</summary>
    internal static long MinChannelProduct = 64 * 64;

    /// <summary>Fewest output tiles that take this path: on tiny images the per-GEMM packing of the 16 weight matrices dominates.</summary>
    internal static int MinTiles = 64;

    /// <summary>Tests set this to force the path on (true) or off (false) regardless of the size thresholds.</summary>
    internal static bool? Force;

    /// <summary>Budget in floats (16 MB, half the L3 measured on) for the transformed input plus products of one block of tiles.</summary>
    internal static int BlockFloats = 1 << 22;

    /// <summary>Whether the convolution of <paramref name="g"/> with <paramref name="cout"/> filters takes this path.</summary>
    public static bool Applies(in ConvGeometry g, int cout)
    {
        if (g.KernelH != 3 || g.KernelW != 3 || g.StrideH != 1 || g.StrideW != 1 || g.DilationH != 1 || g.DilationW != 1) return false;
        if (g.PadH < 0 || g.PadH > 2 || g.PadW < 0 || g.PadW > 2 || g.OutH < 1 || g.OutW < 1) return false;
        if (Force is bool forced) return forced;
        long tiles = (long)((g.OutH + 1) / 2) * ((g.OutW + 1) / 2);
        return (long)g.Channels * cout >= MinChannelProduct && tiles >= MinTiles;
    }

    /// <summary>
    /// y (cout × OutH·OutW) = conv(x, w) for one sample and group; w is cout × (C_in·9), or, when
    /// <paramref name="flipTranspose"/> is set, C_in × (cout·9) holding the kernel that is to be flipped and
    /// in/out-swapped (the input gradient of a stride-1 convolution), so that kernel is never materialised.
    /// </summary>
    public static void Convolve(in ConvGeometry g, float* x, float* w, int cout, float* y, bool flipTranspose = false)
    {
        int cin = g.Channels;
        var (tilesH, tilesW, tilesWPad, rowsPerBlock, ldv, threads, rowLen, scratchPerPart) = Layout(g, cin, cout);
        float[] u = TensorPool.Rent(16 * cout * cin, clear: false);
        float[] v = TensorPool.Rent(16 * cin * ldv + 8, clear: false);
        float[] m = TensorPool.Rent(16 * cout * ldv + 8, clear: false);
        float[] scratch = TensorPool.Rent(Math.Max(TensorPool.MinPooledLength, threads * scratchPerPart), clear: false);
        try
        {
            fixed (float* pu = u) fixed (float* pv = v) fixed (float* pm = m) fixed (float* ps = scratch)
            {
                var geo = g;
                nint xs = (nint)x, ws = (nint)w, ys = (nint)y, us = (nint)pu, vs = (nint)pv, ms = (nint)pm, ss = (nint)ps;
                // Flipping g spatially swaps rows and columns 0 and 3 of G g Gᵀ, so the flipped, transposed kernel's
                // matrix e = 4i + j is the transpose of matrix 4π(i) + π(j) of the stored kernel, π = (0 3).
                if (flipTranspose) RunParts(cin, (long)cout * 16, threads, (p, o0, o1) => TransformWeights((float*)ws, (float*)us, cout, cin, o0, o1));
                else RunParts(cout, (long)cin * 16, threads, (p, o0, o1) => TransformWeights((float*)ws, (float*)us, cin, cout, o0, o1));
                for (int ty0 = 0; ty0 < tilesH; ty0 += rowsPerBlock)
                {
                    int ty1 = Math.Min(tilesH, ty0 + rowsPerBlock);
                    int nb = (ty1 - ty0) * tilesW;
                    RunParts(cin, (long)nb * 16, threads, (p, c0, c1) =>
                        TransformInput(geo, (float*)xs, (float*)vs, ldv, c0, c1, ty0, ty1, tilesW, (float*)ss + (nint)p * scratchPerPart, rowLen));
                    Action<int> gemm = e => Gemm.Sgemm(flipTranspose, false, cout, nb, cin, 1f,
                        (float*)us + (nint)(flipTranspose ? FlippedIndex(e) : e) * cout * cin, flipTranspose ? cout : cin,
                        (float*)vs + (nint)e * cin * ldv, ldv, 0f, (float*)ms + (nint)e * cout * ldv, ldv, 1);
                    if (threads > 1 && (long)cout * cin * nb >= 1 << 18) Parallel.For(0, 16, Parallelism.Options, gemm);
                    else for (int e = 0; e < 16; e++) gemm(e);
                    RunParts(cout, (long)nb * 16, threads, (p, o0, o1) =>
                        TransformOutput(geo, (float*)ms, ldv, cout, (float*)ys, o0, o1, ty0, ty1, tilesW, (float*)ss + (nint)p * scratchPerPart));
                }
            }
        }
        finally
        {
            ReturnAll(u, v, m, scratch);
        }
    }

    /// <summary>
    /// gw (cout × C_in·9) = beta·gw + ∂/∂w of Σ gy·conv(x, w), as the exact backward of the Winograd forward:
    /// gU[e] = (A gY Aᵀ)[e] · (Bᵀ d B)[e]ᵀ summed over tiles, then gw = Gᵀ gU G.
    /// </summary>
    public static void WeightGradient(in ConvGeometry g, float* x, float* gy, int cout, float* gw, float beta)
    {
        int cin = g.Channels;
        var (tilesH, tilesW, tilesWPad, rowsPerBlock, ldv, threads, rowLen, scratchPerPart) = Layout(g, cin, cout);
        float[] u = TensorPool.Rent(16 * cout * cin, clear: false);
        float[] v = TensorPool.Rent(16 * cin * ldv + 8, clear: false);
        float[] m = TensorPool.Rent(16 * cout * ldv + 8, clear: false);
        float[] scratch = TensorPool.Rent(Math.Max(TensorPool.MinPooledLength, threads * scratchPerPart), clear: false);
        try
        {
            fixed (float* pu = u) fixed (float* pv = v) fixed (float* pm = m) fixed (float* ps = scratch)
            {
                var geo = g;
                nint xs = (nint)x, gys = (nint)gy, ws = (nint)gw, us = (nint)pu, vs = (nint)pv, ms = (nint)pm, ss = (nint)ps;
                for (int ty0 = 0; ty0 < tilesH; ty0 += rowsPerBlock)
                {
                    int ty1 = Math.Min(tilesH, ty0 + rowsPerBlock);
                    int nb = (ty1 - ty0) * tilesW;
                    float betaU = ty0 == 0 ? 0f : 1f;
                    RunParts(cin, (long)nb * 16, threads, (p, c0, c1) =>
                        TransformInput(geo, (float*)xs, (float*)vs, ldv, c0, c1, ty0, ty1, tilesW, (float*)ss + (nint)p * scratchPerPart, rowLen));
                    RunParts(cout, (long)nb * 16, threads, (p, o0, o1) =>
                        TransformGradOutput(geo, (float*)gys, (float*)ms, ldv, cout, o0, o1, ty0, ty1, tilesW, (float*)ss + (nint)p * scratchPerPart));
                    Action<int> gemm = e => Gemm.Sgemm(false, true, cout, cin, nb, 1f,
                        (float*)ms + (nint)e * cout * ldv, ldv, (float*)vs + (nint)e * cin * ldv, ldv, betaU, (float*)us + (nint)e * cout * cin, cin, 1);
                    if (threads > 1 && (long)cout * cin * nb >= 1 << 18) Parallel.For(0, 16, Parallelism.Options, gemm);
                    else for (int e = 0; e < 16; e++) gemm(e);
                }
                RunParts(cout, (long)cin * 16, threads, (p, o0, o1) => WeightGradientFromU((float*)us, (float*)ws, cin, cout, o0, o1, beta));
            }
        }
        finally
        {
            ReturnAll(u, v, m, scratch);
        }
    }

    // gw[o, c] = beta·gw[o, c] + Gᵀ gU G, the transpose of the weight transform.
    private static void WeightGradientFromU(float* u, float* gw, int cin, int cout, int o0, int o1, float beta)
    {
        nint plane = (nint)cout * cin;
        float* t = stackalloc float[12];
        for (int o = o0; o < o1; o++)
        {
            for (int c = 0; c < cin; c++)
            {
                float* src = u + (nint)o * cin + c;
                for (int j = 0; j < 4; j++)
                {
                    float a = src[j * plane], b = src[(4 + j) * plane], d = src[(8 + j) * plane], f = src[(12 + j) * plane];
                    t[j] = a + 0.5f * (b + d);
                    t[4 + j] = 0.5f * (b - d);
                    t[8 + j] = 0.5f * (b + d) + f;
                }
                float* k = gw + ((nint)o * cin + c) * 9;
                for (int i = 0; i < 3; i++)
                {
                    float a = t[4 * i], b = t[4 * i + 1], d = t[4 * i + 2], f = t[4 * i + 3];
                    float k0 = a + 0.5f * (b + d), k1 = 0.5f * (b - d), k2 = 0.5f * (b + d) + f;
                    if (beta == 0f)
                    {
                        k[3 * i] = k0; k[3 * i + 1] = k1; k[3 * i + 2] = k2;
                    }
                    else
                    {
                        k[3 * i] = beta * k[3 * i] + k0; k[3 * i + 1] = beta * k[3 * i + 1] + k1; k[3 * i + 2] = beta * k[3 * i + 2] + k2;
                    }
                }
            }
        }
    }

    // m[e][o][(ty − ty0)·tilesW + tx] = (A gY Aᵀ)[e] for the 2×2 output-gradient tile at (2ty, 2tx) (0 outside the
    // output), A = [1 0; 1 1; 1 −1; 0 −1]. The two gY rows are first copied zero-padded into `rows`.
    private static void TransformGradOutput(in ConvGeometry g, float* gy, float* m, int ldm, int cout, int o0, int o1,
        int ty0, int ty1, int tilesW, float* rows)
    {
        int oh = g.OutH, ow = g.OutW, tilesWPad = (tilesW + 7) & ~7;
        int len = 2 * tilesWPad;
        nint plane = (nint)ldm * cout;
        float* row0 = rows, row1 = rows + len;
        bool simd = Avx2.IsSupported;
        float* tmp = stackalloc float[16 * 8];
        new Span<float>(rows, 2 * len).Clear();
        for (int o = o0; o < o1; o++)
        {
            for (int ty = ty0; ty < ty1; ty++)
            {
                float* yo = gy + ((nint)o * oh + 2 * ty) * ow;
                new ReadOnlySpan<float>(yo, ow).CopyTo(new Span<float>(row0, ow));
                if (2 * ty + 1 < oh) new ReadOnlySpan<float>(yo + ow, ow).CopyTo(new Span<float>(row1, ow));
                else new Span<float>(row1, ow).Clear();
                float* dst = m + (nint)o * ldm + (nint)(ty - ty0) * tilesW;
                if (!simd)
                {
                    for (int tx = 0; tx < tilesW; tx++)
                    {
                        float p = row0[2 * tx], q = row0[2 * tx + 1], r = row1[2 * tx], s = row1[2 * tx + 1];
                        float u0 = p, u1 = p + q, u2 = p - q, u3 = -q;
                        float w0 = r, w1 = r + s, w2 = r - s, w3 = -s;
                        dst[tx] = u0; dst[plane + tx] = u1; dst[2 * plane + tx] = u2; dst[3 * plane + tx] = u3;
                        dst[4 * plane + tx] = u0 + w0; dst[5 * plane + tx] = u1 + w1; dst[6 * plane + tx] = u2 + w2; dst[7 * plane + tx] = u3 + w3;
                        dst[8 * plane + tx] = u0 - w0; dst[9 * plane + tx] = u1 - w1; dst[10 * plane + tx] = u2 - w2; dst[11 * plane + tx] = u3 - w3;
                        dst[12 * plane + tx] = -w0; dst[13 * plane + tx] = -w1; dst[14 * plane + tx] = -w2; dst[15 * plane + tx] = -w3;
                    }
                    continue;
                }
                for (int tx = 0; tx < tilesW; tx += 8)
                {
                    Vector256<float> lo = Avx.LoadVector256(row0 + 2 * tx), hi = Avx.LoadVector256(row0 + 2 * tx + 8);
                    Vector256<float> p = Even(lo, hi), q = Odd(lo, hi);
                    lo = Avx.LoadVector256(row1 + 2 * tx);
                    hi = Avx.LoadVector256(row1 + 2 * tx + 8);
                    Vector256<float> r = Even(lo, hi), s = Odd(lo, hi);
                    Vector256<float> u0 = p, u1 = p + q, u2 = p - q, u3 = -q;
                    Vector256<float> w0 = r, w1 = r + s, w2 = r - s, w3 = -s;
                    int count = Math.Min(8, tilesW - tx);
                    bool full = count == 8;
                    float* d = full ? dst + tx : tmp;
                    nint st = full ? plane : 8;
                    u0.Store(d); u1.Store(d + st); u2.Store(d + 2 * st); u3.Store(d + 3 * st);
                    (u0 + w0).Store(d + 4 * st); (u1 + w1).Store(d + 5 * st); (u2 + w2).Store(d + 6 * st); (u3 + w3).Store(d + 7 * st);
                    (u0 - w0).Store(d + 8 * st); (u1 - w1).Store(d + 9 * st); (u2 - w2).Store(d + 10 * st); (u3 - w3).Store(d + 11 * st);
                    (-w0).Store(d + 12 * st); (-w1).Store(d + 13 * st); (-w2).Store(d + 14 * st); (-w3).Store(d + 15 * st);
                    if (!full)
                    {
                        for (int e = 0; e < 16; e++)
                            new ReadOnlySpan<float>(tmp + 8 * e, count).CopyTo(new Span<float>(dst + e * plane + tx, count));
                    }
                }
            }
        }
    }

    // Tile rows per block within BlockFloats, as equal-sized blocks rather than full blocks plus a thin remainder.
    /// <summary>Tile counts, block size and per-thread scratch layout shared by the forward and weight-gradient passes.</summary>
    private static (int TilesH, int TilesW, int TilesWPad, int RowsPerBlock, int Ldv, int Threads, int RowLen, int ScratchPerPart) Layout(in ConvGeometry g, int cin, int cout)
    {
        int tilesH = (g.OutH + 1) / 2, tilesW = (g.OutW + 1) / 2;
        int tilesWPad = (tilesW + 7) & ~7;
        int rowsPerBlock = RowsPerBlock(tilesH, tilesW, cin + cout);
        int rowLen = 2 * tilesWPad + 8;
        return (tilesH, tilesW, tilesWPad, rowsPerBlock, rowsPerBlock * tilesW, Parallelism.MaxDegreeOfParallelism, rowLen, 4 * rowLen + 4 * tilesWPad);
    }

    private static void ReturnAll(params float[][] buffers)
    {
        foreach (var b in buffers) TensorPool.Return(b);
    }

    private static int RowsPerBlock(int tilesH, int tilesW, int channels)
    {
        int rows = Math.Clamp(BlockFloats / (16 * channels * tilesW), 1, tilesH);
        int blocks = (tilesH + rows - 1) / rows;
        return (tilesH + blocks - 1) / blocks;
    }

    private static int FlippedIndex(int e)
    {
        int i = e >> 2, j = e & 3;
        i = i == 0 ? 3 : i == 3 ? 0 : i;
        j = j == 0 ? 3 : j == 3 ? 0 : j;
        return 4 * i + j;
    }

    // Splits [0, count) into one contiguous range per thread.
    private static void RunParts(int count, long workPerItem, int threads, Action<int, int, int> body)
    {
        int parts = workPerItem * count < 1 << 15 ? 1 : Math.Min(threads, count);
        if (parts <= 1)
        {
            body(0, 0, count);
            return;
        }
        Parallel.For(0, parts, Parallelism.Options, p => body(p, (int)((long)count * p / parts), (int)((long)count * (p + 1) / parts)));
    }

    // u[e][o][c] = (G g Gᵀ)[e] for g = w[o, c], G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1].
    private static void TransformWeights(float* w, float* u, int cin, int cout, int o0, int o1)
    {
        nint plane = (nint)cout * cin;
        float* t = stackalloc float[12];
        for (int o = o0; o < o1; o++)
        {
            for (int c = 0; c < cin; c++)
            {
                float* k = w + ((nint)o * cin + c) * 9;
                for (int j = 0; j < 3; j++)
                {
                    float a = k[j], b = k[3 + j], d = k[6 + j];
                    t[j] = a;
                    t[3 + j] = 0.5f * (a + b + d);
                    t[6 + j] = 0.5f * (a - b + d);
                    t[9 + j] = d;
                }
                float* dst = u + (nint)o * cin + c;
                for (int i = 0; i < 4; i++)
                {
                    float a = t[3 * i], b = t[3 * i + 1], d = t[3 * i + 2];
                    dst[(4 * i) * plane] = a;
                    dst[(4 * i + 1) * plane] = 0.5f * (a + b + d);
                    dst[(4 * i + 2) * plane] = 0.5f * (a - b + d);
                    dst[(4 * i + 3) * plane] = d;
                }
            }
        }
    }

    // v[e][c][(ty − ty0)·tilesW + tx] = (Bᵀ d B)[e] for the 4×4 tile d at input (2ty − padH, 2tx − padW),
    // Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]. The four input rows of a tile row are first copied
    // zero-padded into `rows`, so tiles never test the image bounds.
    private static void TransformInput(in ConvGeometry g, float* x, float* v, int ldv, int c0, int c1, int ty0, int ty1,
        int tilesW, float* rows, int rowLen)
    {
        int h = g.Height, wd = g.Width, pw = g.PadW;
        nint plane = (nint)g.Channels * ldv;
        bool simd = Avx2.IsSupported;
        float* r0 = rows, r1 = rows + rowLen, r2 = rows + 2 * rowLen, r3 = rows + 3 * rowLen;
        for (int c = c0; c < c1; c++)
        {
            float* xc = x + (nint)c * h * wd;
            for (int ty = ty0; ty < ty1; ty++)
            {
                for (int r = 0; r < 4; r++)
                {
                    float* d = rows + (nint)r * rowLen;
                    int iy = 2 * ty - g.PadH + r;
                    new Span<float>(d, rowLen).Clear();
                    if ((uint)iy >= (uint)h) continue;
                    int n = Math.Min(wd, rowLen - pw);
                    new ReadOnlySpan<float>(xc + (nint)iy * wd, n).CopyTo(new Span<float>(d + pw, n));
                }
                float* dst = v + (nint)c * ldv + (nint)(ty - ty0) * tilesW;
                if (simd) InputTilesAvx2(r0, r1, r2, r3, dst, plane, tilesW);
                else InputTilesScalar(r0, r1, r2, r3, dst, plane, tilesW);
            }
        }
    }

    private static void InputTilesScalar(float* r0, float* r1, float* r2, float* r3, float* dst, nint plane, int tilesW)
    {
        float* d = stackalloc float[16];
        for (int tx = 0; tx < tilesW; tx++)
        {
            int s = 2 * tx;
            for (int j = 0; j < 4; j++)
            {
                d[j] = r0[s + j];
                d[4 + j] = r1[s + j];
                d[8 + j] = r2[s + j];
                d[12 + j] = r3[s + j];
            }
            for (int i = 0; i < 4; i++)
            {
                // Row i of Bᵀ d, then the same combination along the row.
                float a, b, e, f;
                switch (i)
                {
                    case 0: a = d[0] - d[8]; b = d[1] - d[9]; e = d[2] - d[10]; f = d[3] - d[11]; break;
                    case 1: a = d[4] + d[8]; b = d[5] + d[9]; e = d[6] + d[10]; f = d[7] + d[11]; break;
                    case 2: a = d[8] - d[4]; b = d[9] - d[5]; e = d[10] - d[6]; f = d[11] - d[7]; break;
                    default: a = d[4] - d[12]; b = d[5] - d[13]; e = d[6] - d[14]; f = d[7] - d[15]; break;
                }
                dst[(4 * i) * plane + tx] = a - e;
                dst[(4 * i + 1) * plane + tx] = b + e;
                dst[(4 * i + 2) * plane + tx] = e - b;
                dst[(4 * i + 3) * plane + tx] = b - f;
            }
        }
    }

    // Eight tiles per step: even/odd de-interleaved loads give the four columns of each input row.
    private static void InputTilesAvx2(float* r0, float* r1, float* r2, float* r3, float* dst, nint plane, int tilesW)
    {
        float* tmp = stackalloc float[16 * 8];
        for (int tx = 0; tx < tilesW; tx += 8)
        {
            int s = 2 * tx;
            RowColumns(r0 + s, out var a0, out var a1, out var a2, out var a3);
            RowColumns(r1 + s, out var b0, out var b1, out var b2, out var b3);
            RowColumns(r2 + s, out var c0, out var c1, out var c2, out var c3);
            RowColumns(r3 + s, out var d0, out var d1, out var d2, out var d3);
            int count = Math.Min(8, tilesW - tx);
            bool full = count == 8;
            float* o = full ? dst + tx : tmp;
            nint stride = full ? plane : 8;
            StoreRow(a0 - c0, a1 - c1, a2 - c2, a3 - c3, o, stride);
            StoreRow(b0 + c0, b1 + c1, b2 + c2, b3 + c3, o + 4 * stride, stride);
            StoreRow(c0 - b0, c1 - b1, c2 - b2, c3 - b3, o + 8 * stride, stride);
            StoreRow(b0 - d0, b1 - d1, b2 - d2, b3 - d3, o + 12 * stride, stride);
            if (!full)
            {
                for (int e = 0; e < 16; e++)
                    new ReadOnlySpan<float>(tmp + 8 * e, count).CopyTo(new Span<float>(dst + e * plane + tx, count));
            }
        }
    }

    private static void StoreRow(Vector256<float> a, Vector256<float> b, Vector256<float> e, Vector256<float> f, float* o, nint stride)
    {
        (a - e).Store(o);
        (b + e).Store(o + stride);
        (e - b).Store(o + 2 * stride);
        (b - f).Store(o + 3 * stride);
    }

    // For tiles t = 0..7 starting at p: c0 = p[2t], c1 = p[2t + 1], c2 = p[2t + 2], c3 = p[2t + 3].
    private static void RowColumns(float* p, out Vector256<float> c0, out Vector256<float> c1, out Vector256<float> c2, out Vector256<float> c3)
    {
        Vector256<float> lo = Avx.LoadVector256(p), hi = Avx.LoadVector256(p + 8);
        Vector256<float> lo2 = Avx.LoadVector256(p + 2), hi2 = Avx.LoadVector256(p + 10);
        c0 = Even(lo, hi);
        c1 = Odd(lo, hi);
        c2 = Even(lo2, hi2);
        c3 = Odd(lo2, hi2);
    }

    private static Vector256<float> Even(Vector256<float> a, Vector256<float> b) =>
        Avx2.Permute4x64(Avx.Shuffle(a, b, 0b10_00_10_00).AsDouble(), 0b11_01_10_00).AsSingle();

    private static Vector256<float> Odd(Vector256<float> a, Vector256<float> b) =>
        Avx2.Permute4x64(Avx.Shuffle(a, b, 0b11_01_11_01).AsDouble(), 0b11_01_10_00).AsSingle();

    // y[o][2ty + i][2tx + j] = (Aᵀ m A)[i][j], Aᵀ = [1 1 1 0; 0 1 −1 −1]; output rows are assembled in `rows`
    // (two of 2·tilesWPad floats) and then copied, which clips the odd last row/column.
    private static void TransformOutput(in ConvGeometry g, float* m, int ldm, int cout, float* y, int o0, int o1, int ty0, int ty1,
        int tilesW, float* rows)
    {
        int oh = g.OutH, ow = g.OutW, tilesWPad = (tilesW + 7) & ~7;
        nint plane = (nint)ldm * cout;
        float* row0 = rows, row1 = rows + 2 * tilesWPad;
        bool simd = Avx2.IsSupported;
        for (int o = o0; o < o1; o++)
        {
            for (int ty = ty0; ty < ty1; ty++)
            {
                float* src = m + (nint)o * ldm + (nint)(ty - ty0) * tilesW;
                if (simd) OutputTilesAvx2(src, plane, tilesW, row0, row1);
                else OutputTilesScalar(src, plane, tilesW, row0, row1);
                float* yo = y + ((nint)o * oh + 2 * ty) * ow;
                new ReadOnlySpan<float>(row0, ow).CopyTo(new Span<float>(yo, ow));
                if (2 * ty + 1 < oh) new ReadOnlySpan<float>(row1, ow).CopyTo(new Span<float>(yo + ow, ow));
            }
        }
    }

    private static void OutputTilesScalar(float* src, nint plane, int tilesW, float* row0, float* row1)
    {
        float* s = stackalloc float[8];
        for (int tx = 0; tx < tilesW; tx++)
        {
            for (int j = 0; j < 4; j++)
            {
                float m0 = src[j * plane + tx], m1 = src[(4 + j) * plane + tx], m2 = src[(8 + j) * plane + tx], m3 = src[(12 + j) * plane + tx];
                s[j] = m0 + m1 + m2;
                s[4 + j] = m1 - m2 - m3;
            }
            row0[2 * tx] = s[0] + s[1] + s[2];
            row0[2 * tx + 1] = s[1] - s[2] - s[3];
            row1[2 * tx] = s[4] + s[5] + s[6];
            row1[2 * tx + 1] = s[5] - s[6] - s[7];
        }
    }

    // Reads whole vectors past the last tile of a row (the product buffer has slack); those lanes are never copied out.
    private static void OutputTilesAvx2(float* src, nint plane, int tilesW, float* row0, float* row1)
    {
        for (int tx = 0; tx < tilesW; tx += 8)
        {
            float* p = src + tx;
            Vector256<float> s00, s01, s02, s03, s10, s11, s12, s13;
            Column(p, plane, out s00, out s10);
            Column(p + plane, plane, out s01, out s11);
            Column(p + 2 * plane, plane, out s02, out s12);
            Column(p + 3 * plane, plane, out s03, out s13);
            Interleave(s00 + s01 + s02, s01 - s02 - s03, row0 + 2 * tx);
            Interleave(s10 + s11 + s12, s11 - s12 - s13, row1 + 2 * tx);
        }
    }

    // Aᵀ applied down column j of the 4×4 product: p points at m[0][j], rows are 4·plane apart.
    private static void Column(float* p, nint plane, out Vector256<float> s0, out Vector256<float> s1)
    {
        Vector256<float> m0 = Avx.LoadVector256(p), m1 = Avx.LoadVector256(p + 4 * plane);
        Vector256<float> m2 = Avx.LoadVector256(p + 8 * plane), m3 = Avx.LoadVector256(p + 12 * plane);
        s0 = m0 + m1 + m2;
        s1 = m1 - m2 - m3;
    }

    private static void Interleave(Vector256<float> a, Vector256<float> b, float* dst)
    {
        Vector256<float> lo = Avx.UnpackLow(a, b), hi = Avx.UnpackHigh(a, b);
        Avx.Store(dst, Avx.Permute2x128(lo, hi, 0x20));
        Avx.Store(dst + 8, Avx.Permute2x128(lo, hi, 0x31));
    }
}
