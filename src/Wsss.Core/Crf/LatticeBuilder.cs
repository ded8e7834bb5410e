using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Wsss.Core.Tensors;

namespace Wsss.Core.Crf;

/// <summary>
/// The fast construction of a <see cref="PermutohedralLattice"/>: the same vertices, ids, weights and
/// neighbours as densecrf 2.2's sequential construction (and as <see cref="PermutohedralLattice"/>'s
/// reference build), computed
/// <list type="bullet">
/// <item>eight points at a time with <see cref="Vector256"/>: elevation, round-half-even, ranks, wrap-around
/// fix-up and barycentric weights lane by lane in float32 with densecrf's operation order (no fused
/// multiply-adds), so every lane is bit-identical to the scalar code; lanes beyond float's exact range or with
/// inconsistent ranks fall back to the scalar double-precision path;</item>
/// <item>keys packed into one 63-bit mixed-radix number over a box bounding every vertex and neighbour (derived
/// from the feature ranges), so lookups compare one <c>ulong</c> and a neighbour key is the vertex key plus a
/// constant;</item>
/// <item>on all cores: each partition of consecutive points numbers its vertices in a private table, then the
/// tables are merged in partition order, which reproduces the global first-appearance order exactly.</item>
/// </list>
/// </summary>
[System.Runtime.CompilerServices.SkipLocalsInit]
internal static class LatticeBuilder
{
    private const int Block = 64;
    private const int MinPointsPerPartition = 16384;
    private const float FloatExactLimit = 1 << 20;
    private const double KeyLimit = 1.152921504606846976e18; // 2^60

    /// <summary>Partitions used for <paramref name="points"/> points (1 when small or single-threaded).</summary>
    public static int DefaultPartitions(int points)
    {
        int cores = Math.Min(Parallelism.MaxDegreeOfParallelism, Environment.ProcessorCount);
        return Math.Max(1, Math.Min(cores, points / MinPointsPerPartition));
    }

    /// <summary>densecrf's scale factors: inv_std_dev = √(2/3)(d+1) as float, sf_i = inv_std_dev/√((i+1)(i+2)) in double, stored as float.</summary>
    public static float[] ScaleFactors(int d)
    {
        float invStdDev = (float)(Math.Sqrt(2.0 / 3.0) * (d + 1));
        var s = new float[d];
        for (int i = 0; i < d; i++) s[i] = (float)(1.0 / Math.Sqrt((double)(i + 2) * (i + 1)) * invStdDev);
        return s;
    }

    /// <summary>
    /// Builds the lattice into <paramref name="offsets"/> (vertex id + 1 per point and remainder) and
    /// <paramref name="weights"/>; returns false, touching nothing, when the key box does not fit in 62 bits
    /// (extreme feature ranges), leaving the caller to use the reference construction.
    /// </summary>
    public static bool TryBuild(LatticeFeatures features, int[] offsets, float[] weights, int partitions, out int vertexCount, out int[] neighbors)
        => TryBuild(features, offsets, weights, partitions, null, false, out vertexCount, out neighbors, out _);

    /// <summary>
    /// <see cref="TryBuild(LatticeFeatures, int[], float[], int, out int, out int[])"/>; <paramref name="directKeys"/> forces the
    /// direct (true, where the key box allows it) or the hashed (false) vertex table instead of choosing by the box size
    /// (null), and <paramref name="direct"/> says which one was used; with <paramref name="pooled"/> the neighbour table
    /// comes from <see cref="CrfPool{T}"/> (it may be longer than 2·(d+1)·M).
    /// </summary>
    public static bool TryBuild(LatticeFeatures features, int[] offsets, float[] weights, int partitions, bool? directKeys, bool pooled, out int vertexCount, out int[] neighbors, out bool direct)
    {
        direct = false;
        int d = features.Dimensions, d1 = d + 1, n = features.Count;
        vertexCount = 0;
        neighbors = [];
        float[] scale = ScaleFactors(d);
        if (!TryPack(features, scale, out long[] low, out long[] size, out long[] stride, out double cells)) return false;

        partitions = Math.Clamp(partitions, 1, Math.Max(1, n / 64));
        // A key box of few cells (low-dimensional features) is indexed directly: one table per partition, at most
        // 32 bytes per point in all.
        bool small = directKeys ?? cells * partitions <= 8.0 * n + 65536;
        long directCells = small && cells <= LatticeVertexTable.MaxDirectCells ? (long)cells : 0;
        direct = directCells > 0;
        var tables = new LatticeVertexTable[partitions];
        var ctx = new Context(features, scale, low, size, stride, offsets, weights, directCells);
        void Part(int t)
        {
            int start = (int)((long)n * t / partitions), end = (int)((long)n * (t + 1) / partitions);
            tables[t] = ctx.Run(start, end);
        }

        if (partitions == 1) Part(0);
        else Parallel.For(0, partitions, Parallelism.Options, Part);

        // Merge in partition order: partition 0's ids are global; later partitions' new keys follow in their
        // local first-appearance order, which is exactly the sequential first-appearance order.
        LatticeVertexTable global = tables[0];
        var maps = new int[partitions][];
        for (int t = 1; t < partitions; t++)
        {
            LatticeVertexTable local = tables[t];
            var map = new int[local.Count];
            ulong[] keys = local.Keys;
            for (int k = 0; k < map.Length; k++) map[k] = global.FindOrInsert(keys[k]) + 1;
            maps[t] = map;
            local.Release();
        }

        if (partitions > 1)
        {
            Parallel.For(1, partitions, Parallelism.Options, t =>
            {
                int[] map = maps[t];
                long start = (long)n * t / partitions * d1, end = (long)n * (t + 1) / partitions * d1;
                for (long e = start; e < end; e++) offsets[e] = map[offsets[e] - 1];
            });
        }

        vertexCount = global.Count;
        neighbors = Neighbors(global, d, stride, pooled);
        global.Release();
        return true;
    }

    /// <summary>
    /// The key box: for every stored coordinate j &lt; d, the elevated value is linear in the features, so interval
    /// arithmetic over the feature ranges bounds it; the box is widened so that every vertex (within 2(d+1) of its
    /// point's elevation) and every blur neighbour (within d of a vertex) lies inside.
    /// </summary>
    private static bool TryPack(LatticeFeatures features, float[] scale, out long[] low, out long[] size, out long[] stride, out double cells)
    {
        int d = features.Dimensions;
        low = new long[d];
        size = new long[d];
        stride = new long[d];
        var lo = new double[d];
        var hi = new double[d];
        features.Bounds(lo, hi);
        long margin = 4L * (d + 1) + 2;
        double total = 1;
        cells = 0;
        for (int j = 0; j < d; j++)
        {
            // el[j] = Σ_{k ≥ j} cf_k − j·cf_{j−1}, cf_k = f_k·scale_k (el[0] = Σ cf).
            double a = 0, b = 0;
            for (int k = j; k < d; k++)
            {
                a += lo[k] * scale[k];
                b += hi[k] * scale[k];
            }

            if (j > 0)
            {
                double c1 = -j * lo[j - 1] * scale[j - 1], c2 = -j * hi[j - 1] * scale[j - 1];
                a += Math.Min(c1, c2);
                b += Math.Max(c1, c2);
            }

            if (!(b - a < 1e15) || !(Math.Abs(a) < 1e15) || !(Math.Abs(b) < 1e15)) return false;
            low[j] = (long)Math.Floor(a) - margin;
            size[j] = (long)Math.Ceiling(b) + margin - low[j] + 1;
            total *= size[j];
        }

        if (!(total < 4.0e18)) return false;
        cells = total;
        long s = 1;
        for (int j = d - 1; j >= 0; j--)
        {
            stride[j] = s;
            s *= size[j];
        }

        return true;
    }

    private static int[] Neighbors(LatticeVertexTable table, int d, long[] stride, bool pooled)
    {
        int m = table.Count, d1 = d + 1;
        long all = 0;
        foreach (long s in stride) all += s;
        var delta1 = new long[d1];
        var delta2 = new long[d1];
        for (int j = 0; j <= d; j++)
        {
            // n1 = key − 1 on every stored coordinate except j (+d); n2 = key + 1 except j (−d); j = d shifts all by ∓1.
            delta1[j] = -all + (j < d ? d1 * stride[j] : 0);
            delta2[j] = all - (j < d ? d1 * stride[j] : 0);
        }

        long len = 2L * d1 * m;
        if (len > Array.MaxLength) CrfThrowHelper.Argument("features", string.Create(CultureInfo.InvariantCulture, $"The lattice has {m} vertices, too many for its neighbour table."));
        int[] nb = pooled ? CrfPool<int>.Rent(len) : GC.AllocateUninitializedArray<int>((int)len);
        ulong[] keys = table.Keys;
        const int chunk = 4096;
        int chunks = (m + chunk - 1) / chunk;
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        void Body(int c)
        {
            int v0 = c * chunk, v1 = Math.Min(m, v0 + chunk);
            for (int j = 0; j <= d; j++)
            {
                long a = delta1[j], b = delta2[j];
                long baseIndex = 2L * j * m;
                for (int v = v0; v < v1; v++)
                {
                    ulong key = keys[v];
                    nb[baseIndex + 2 * v] = table.Find((ulong)((long)key + a)) + 1;
                    nb[baseIndex + 2 * v + 1] = table.Find((ulong)((long)key + b)) + 1;
                }
            }
        }

        if (chunks > 1 && Parallelism.MaxDegreeOfParallelism > 1) Parallel.For(0, chunks, Parallelism.Options, Body);
        else for (int c = 0; c < chunks; c++) Body(c);
        return nb;
    }

    /// <summary>The per-partition worker: elevation, keys and local numbering of a range of points.</summary>
    private sealed class Context(LatticeFeatures features, float[] scale, long[] low, long[] size, long[] stride, int[] offsets, float[] weights, long directCells)
    {
        private readonly int _d = features.Dimensions;
        private readonly long _all = stride.Sum();

        /// <summary>
        /// Whether every packed key, and every partial sum on the way to it, stays below 2^52, so that the keys of eight
        /// points can be computed exactly in double lanes (<see cref="PackKeysSimd"/>). False only for enormous key boxes.
        /// </summary>
        private readonly bool _vectorKeys = Avx2.IsSupported && (double)stride[0] * size[0] * (features.Dimensions + 2) < 4.5e15;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public LatticeVertexTable Run(int start, int end)
        {
            int d = _d, d1 = d + 1;
            var table = new LatticeVertexTable(Math.Max(64, (end - start) / 8), directCells);
            Span<float> block = stackalloc float[d * Block];
            Span<int> rem = stackalloc int[d1 * 8];
            Span<int> rank = stackalloc int[d1 * 8];
            Span<float> bary = stackalloc float[d1 * 8];
            Span<ulong> keys = stackalloc ulong[d1 * 8];
            Span<ulong> lastKey = stackalloc ulong[d1];
            Span<int> lastId = stackalloc int[d1];
            Span<ulong> packed = stackalloc ulong[d1];
            Span<int> inv = stackalloc int[d1];
            Span<long> remLong = stackalloc long[d1];
            Span<int> rankOne = stackalloc int[d1];
            Span<float> baryOne = stackalloc float[d1];
            Span<float> point = stackalloc float[d];
            lastKey.Fill(ulong.MaxValue);
            lastId.Clear();
            bool havePrevious = false;
            ref float w0 = ref MemoryMarshal.GetArrayDataReference(weights);
            ref int o0 = ref MemoryMarshal.GetArrayDataReference(offsets);
            ref long prevRem = ref MemoryMarshal.GetReference(remLong);
            ref int prevRank = ref MemoryMarshal.GetReference(rankOne);
            ref ulong lastKey0 = ref MemoryMarshal.GetReference(lastKey);
            ref int lastId0 = ref MemoryMarshal.GetReference(lastId);
            ref ulong packed0 = ref MemoryMarshal.GetReference(packed);
            bool simd = Vector256.IsHardwareAccelerated;
            for (int b0 = start; b0 < end; b0 += Block)
            {
                int count = Math.Min(Block, end - b0);
                features.Fill(b0, count, block, Block);
                for (int j0 = 0; j0 < count; j0 += 8)
                {
                    int lanes = Math.Min(8, count - j0);
                    int bad = simd ? ElevateSimd(block, j0, lanes, rem, rank, bary) : 0xFF;
                    bool vectorKeys = _vectorKeys && bad != 0xFF;
                    if (vectorKeys) bad |= PackKeysSimd(rem, rank, keys);
                    for (int lane = 0; lane < lanes; lane++)
                    {
                        int p = b0 + j0 + lane;
                        long e = (long)p * d1;
                        ref float we = ref Unsafe.Add(ref w0, (nint)e);
                        if (vectorKeys && (bad >> lane & 1) == 0)
                        {
                            // Keys computed for all eight lanes: weights, then a lookup only where a vertex key changed.
                            ref float bl = ref Unsafe.Add(ref MemoryMarshal.GetReference(bary), lane);
                            ref ulong kl = ref Unsafe.Add(ref MemoryMarshal.GetReference(keys), lane);
                            ref int oe = ref Unsafe.Add(ref o0, (nint)e);
                            for (int r = 0; r <= d; r++)
                            {
                                Unsafe.Add(ref we, r) = Unsafe.Add(ref bl, r * 8);
                                ulong key = Unsafe.Add(ref kl, r * 8);
                                ref ulong lk = ref Unsafe.Add(ref lastKey0, r);
                                ref int li = ref Unsafe.Add(ref lastId0, r);
                                if (key != lk)
                                {
                                    lk = key;
                                    li = table.FindOrInsert(key) + 1;
                                }

                                Unsafe.Add(ref oe, r) = li;
                            }

                            havePrevious = false;
                            continue;
                        }

                        if ((bad >> lane & 1) == 0)
                        {
                            bool same = havePrevious;
                            ref int rl = ref Unsafe.Add(ref MemoryMarshal.GetReference(rem), lane);
                            ref int kl = ref Unsafe.Add(ref MemoryMarshal.GetReference(rank), lane);
                            ref float bl = ref Unsafe.Add(ref MemoryMarshal.GetReference(bary), lane);
                            for (int i = 0; i <= d; i++)
                            {
                                long rv = Unsafe.Add(ref rl, i * 8);
                                int kv = Unsafe.Add(ref kl, i * 8);
                                ref long pr = ref Unsafe.Add(ref prevRem, i);
                                ref int pk = ref Unsafe.Add(ref prevRank, i);
                                same &= (rv == pr) & (kv == pk);
                                pr = rv;
                                pk = kv;
                                Unsafe.Add(ref we, i) = Unsafe.Add(ref bl, i * 8);
                            }

                            if (same)
                            {
                                // Same simplex as the previous point (common in smooth images): same vertices.
                                ref int oe = ref Unsafe.Add(ref o0, (nint)e);
                                for (int r = 0; r <= d; r++) Unsafe.Add(ref oe, r) = Unsafe.Add(ref lastId0, r);
                                continue;
                            }

                            havePrevious = true;
                        }
                        else
                        {
                            for (int k = 0; k < d; k++) point[k] = block[k * Block + j0 + lane];
                            LocateScalar(point, p, remLong, rankOne, baryOne);
                            havePrevious = false;
                            for (int i = 0; i <= d; i++) Unsafe.Add(ref we, i) = baryOne[i];
                        }

                        PackKeys(ref prevRem, ref prevRank, ref MemoryMarshal.GetReference(inv), ref MemoryMarshal.GetReference(packed));
                        ref int oo = ref Unsafe.Add(ref o0, (nint)e);
                        for (int r = 0; r <= d; r++)
                        {
                            ulong key = Unsafe.Add(ref packed0, r);
                            ref ulong lk = ref Unsafe.Add(ref lastKey0, r);
                            ref int li = ref Unsafe.Add(ref lastId0, r);
                            if (key != lk)
                            {
                                lk = key;
                                li = table.FindOrInsert(key) + 1;
                            }

                            Unsafe.Add(ref oo, r) = li;
                        }
                    }
                }
            }

            return table;
        }

        /// <summary>Packed keys of the d+1 vertices: key_r[i] = rem0[i] + r − (d+1)·[rank[i] &gt; d − r] for i &lt; d.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void PackKeys(ref long rem0, ref int rank, ref int inv, ref ulong packed)
        {
            int d = _d, d1 = d + 1;
            ref long lo = ref MemoryMarshal.GetArrayDataReference(low);
            ref long sz = ref MemoryMarshal.GetArrayDataReference(size);
            ref long st = ref MemoryMarshal.GetArrayDataReference(stride);
            long b = 0;
            for (int i = 0; i < d; i++)
            {
                long rel = Unsafe.Add(ref rem0, i) - Unsafe.Add(ref lo, i);
                if ((ulong)(rel - 2 * d1) > (ulong)(Unsafe.Add(ref sz, i) - 1 - 4 * d1))
                    CrfThrowHelper.InvalidOperation("Internal error: a lattice key fell outside the bounds computed from the feature ranges.");
                b += rel * Unsafe.Add(ref st, i);
            }

            for (int i = 0; i <= d; i++) Unsafe.Add(ref inv, Unsafe.Add(ref rank, i)) = i;
            long t = 0, all = _all;
            packed = (ulong)b;
            for (int r = 1; r <= d; r++)
            {
                int i = Unsafe.Add(ref inv, d - r + 1);
                if (i < d) t += Unsafe.Add(ref st, i);
                Unsafe.Add(ref packed, r) = (ulong)(b + r * all - d1 * t);
            }
        }

        /// <summary>
        /// The packed keys of the d+1 vertices of eight points (<see cref="PackKeys"/>'s values) from their remainder-0
        /// coordinates and ranks (lane-strided, as <see cref="ElevateSimd"/> writes them), four lanes of double at a time:
        /// key_r = Σ_i (rem0[i] − low[i])·stride[i] + r·all − (d+1)·Σ_i [rank[i] &gt; d − r]·stride[i] over i &lt; d. Exact
        /// because <see cref="_vectorKeys"/> bounds every term below 2^52. Returns the lanes whose coordinates fall outside
        /// the key box (the scalar path reports them).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private int PackKeysSimd(ReadOnlySpan<int> rem, ReadOnlySpan<int> rank, Span<ulong> keysOut)
        {
            int d = _d, d1 = d + 1;
            ref int re0 = ref MemoryMarshal.GetReference(rem);
            ref int ra0 = ref MemoryMarshal.GetReference(rank);
            ref ulong k0 = ref MemoryMarshal.GetReference(keysOut);
            var magic = Vector256.Create(4503599627370496.0); // 2^52: adding it puts an integer below 2^52 in the mantissa
            var magicBits = Vector256.Create(0x4330000000000000UL);
            var all = Vector256.Create((double)_all);
            var d1v = Vector256.Create((double)d1);
            int outside = 0;
            for (int half = 0; half < 2; half++)
            {
                var b = Vector256<double>.Zero;
                var bad = Vector256<double>.Zero;
                for (int i = 0; i < d; i++)
                {
                    var r32 = Vector128.LoadUnsafe(ref Unsafe.Add(ref re0, i * 8 + half * 4));
                    var rel = Avx.ConvertToVector256Double(r32) - Vector256.Create((double)low[i]);
                    bad |= Vector256.LessThan(rel, Vector256.Create(2.0 * d1)) | Vector256.GreaterThan(rel, Vector256.Create((double)(size[i] - 1 - 2 * d1)));
                    b += rel * Vector256.Create((double)stride[i]);
                }

                outside |= (int)Vector256.ExtractMostSignificantBits(bad) << (half * 4);
                Vector256.StoreUnsafe((b + magic).AsUInt64() ^ magicBits, ref k0, (nuint)(half * 4));
                for (int r = 1; r <= d; r++)
                {
                    var threshold = Vector128.Create(d - r);
                    var t = Vector256<double>.Zero;
                    for (int i = 0; i < d; i++)
                    {
                        var ra = Vector128.LoadUnsafe(ref Unsafe.Add(ref ra0, i * 8 + half * 4));
                        var above = Avx2.ConvertToVector256Int64(Vector128.GreaterThan(ra, threshold)).AsDouble();
                        t += above & Vector256.Create((double)stride[i]);
                    }

                    var key = b + Vector256.Create((double)r) * all - d1v * t;
                    Vector256.StoreUnsafe((key + magic).AsUInt64() ^ magicBits, ref k0, (nuint)(r * 8 + half * 4));
                }
            }

            return outside;
        }

        /// <summary>
        /// Eight points (lanes; <paramref name="lanes"/> valid) from the block at column <paramref name="j0"/>: remainder-0
        /// coordinates, ranks and barycentric weights, bit-identical to the scalar float path. Returns a mask of the lanes
        /// that need the scalar path (beyond float's exact range or inconsistent ranks).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private int ElevateSimd(ReadOnlySpan<float> block, int j0, int lanes, Span<int> remOut, Span<int> rankOut, Span<float> baryOut)
        {
            int d = _d, d1 = d + 1;
            Span<Vector256<float>> el = stackalloc Vector256<float>[d1];
            Span<Vector256<float>> rem0 = stackalloc Vector256<float>[d1];
            Span<Vector256<int>> rank = stackalloc Vector256<int>[d1];
            ref float f0 = ref MemoryMarshal.GetReference(block);
            var sm = Vector256<float>.Zero;
            for (int j = d; j > 0; j--)
            {
                var cf = Vector256.LoadUnsafe(ref f0, (nuint)((j - 1) * Block + j0)) * Vector256.Create(scale[j - 1]);
                el[j] = sm - Vector256.Create((float)j) * cf;
                sm += cf;
            }

            el[0] = sm;
            var dp1 = Vector256.Create((float)d1);
            var invDp1 = Vector256.Create(1f / d1);
            var limit = Vector256.Create(FloatExactLimit);
            var badMask = Vector256<int>.Zero;
            var sum = Vector256<float>.Zero;
            for (int i = 0; i <= d; i++)
            {
                badMask |= Vector256.GreaterThanOrEqual(Vector256.Abs(el[i]), limit).AsInt32();
                var v = Vector256.Round(invDp1 * el[i]);
                rem0[i] = v * dp1;
                sum += v;
                rank[i] = Vector256<int>.Zero;
            }

            for (int i = 0; i < d; i++)
            {
                var di = el[i] - rem0[i];
                for (int j = i + 1; j <= d; j++)
                {
                    var lt = Vector256.LessThan(di, el[j] - rem0[j]).AsInt32(); // −1 where true
                    rank[i] -= lt;
                    rank[j] += lt + Vector256<int>.One;
                }
            }

            badMask |= Vector256.GreaterThan(Vector256.Abs(sum), dp1).AsInt32();
            var s = Vector256.ConvertToInt32(sum);
            var vd1 = Vector256.Create(d1);
            var zero = Vector256<int>.Zero;
            for (int i = 0; i <= d; i++)
            {
                var r = rank[i] + s;
                var neg = Vector256.LessThan(r, zero);
                var over = Vector256.GreaterThanOrEqual(r, vd1);
                r += vd1 & neg;
                r -= vd1 & over;
                rem0[i] += dp1 & neg.AsSingle();
                rem0[i] -= dp1 & over.AsSingle();
                badMask |= Vector256.LessThan(r, zero) | Vector256.GreaterThanOrEqual(r, vd1);
                rank[i] = r;
            }

            // bary[k] = v_{rank = d−k} − v_{rank = d−k+1}; bary[0] = v_{rank = d} + (1 − v_{rank = 0}): each slot receives
            // one addition and one subtraction, so this equals densecrf's accumulation bit for bit.
            Span<Vector256<float>> v2 = stackalloc Vector256<float>[d1];
            for (int i = 0; i <= d; i++) v2[i] = (el[i] - rem0[i]) * invDp1;
            ref float b0 = ref MemoryMarshal.GetReference(baryOut);
            for (int k = 0; k <= d; k++)
            {
                var plus = Vector256<float>.Zero;
                var minus = Vector256<float>.Zero;
                var tp = Vector256.Create(d - k);
                var tm = Vector256.Create(d - k + 1);
                for (int i = 0; i <= d; i++)
                {
                    plus = Vector256.ConditionalSelect(Vector256.Equals(rank[i], tp).AsSingle(), v2[i], plus);
                    minus = Vector256.ConditionalSelect(Vector256.Equals(rank[i], tm).AsSingle(), v2[i], minus);
                }

                if (k == 0)
                {
                    var last = Vector256<float>.Zero;
                    for (int i = 0; i <= d; i++) last = Vector256.ConditionalSelect(Vector256.Equals(rank[i], zero).AsSingle(), v2[i], last);
                    Vector256.StoreUnsafe(plus + (Vector256<float>.One - last), ref b0, (nuint)(k * 8));
                }
                else
                {
                    Vector256.StoreUnsafe(plus - minus, ref b0, (nuint)(k * 8));
                }
            }

            ref int re0 = ref MemoryMarshal.GetReference(remOut);
            ref int ra0 = ref MemoryMarshal.GetReference(rankOut);
            for (int i = 0; i <= d; i++)
            {
                Vector256.StoreUnsafe(Vector256.ConvertToInt32(rem0[i]), ref re0, (nuint)(i * 8));
                Vector256.StoreUnsafe(rank[i], ref ra0, (nuint)(i * 8));
            }

            uint mask = Vector256.ExtractMostSignificantBits(badMask.AsSingle());
            return (int)(mask & ((1u << lanes) - 1));
        }

        /// <summary>One point through the scalar path (float, else double precision), as the reference construction.</summary>
        private void LocateScalar(ReadOnlySpan<float> f, int p, Span<long> rem0, Span<int> rank, Span<float> bary)
        {
            int d = _d, d1 = d + 1;
            Span<float> elF = stackalloc float[d1];
            Span<float> remF = stackalloc float[d1];
            Span<float> baryF = stackalloc float[d + 2];
            if (PermutohedralLattice.Locate<float>(f, scale, elF, remF, baryF, rank, out bool large) && !large)
            {
                for (int i = 0; i <= d; i++)
                {
                    rem0[i] = (long)remF[i];
                    bary[i] = baryF[i];
                }

                return;
            }

            Span<double> scaleD = stackalloc double[d];
            for (int i = 0; i < d; i++) scaleD[i] = scale[i];
            Span<double> elD = stackalloc double[d1];
            Span<double> remD = stackalloc double[d1];
            Span<double> baryD = stackalloc double[d + 2];
            if (PermutohedralLattice.Locate<double>(f, scaleD, elD, remD, baryD, rank, out _) && MaxAbs(remD) < KeyLimit)
            {
                for (int i = 0; i <= d; i++)
                {
                    rem0[i] = (long)remD[i];
                    bary[i] = (float)baryD[i];
                }

                return;
            }

            CrfThrowHelper.Argument("features", string.Create(CultureInfo.InvariantCulture, $"Point {p} has feature values too large for the lattice (a standard deviation is too small for the data range)."));
        }

        private static double MaxAbs(ReadOnlySpan<double> values)
        {
            double m = 0;
            foreach (double v in values) m = Math.Max(m, Math.Abs(v));
            return m;
        }
    }
}
