using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Wsss.Core.Crf;

/// <summary>
/// The permutohedral lattice of Adams, Baek &amp; Davis (2010) built exactly as densecrf 2.2 builds it
/// (its x86/SSE path): the same scale factors, elevation order, round-half-even, rank tie rule,
/// barycentric weights and vertex set, so filtering gives the same numbers as pydensecrf.
/// <see cref="Filter"/> approximates out_i = Σ_j exp(−½‖f_i − f_j‖²) in_j (self term included).
/// </summary>
/// <remarks>
/// <para>Features are pixel-major: point i's <see cref="Dimensions"/> values are contiguous. Lattice keys
/// are 64-bit (densecrf uses int16, which overflows and corrupts its hash table for tiny standard
/// deviations); points whose elevated coordinates exceed float32's exact range are placed in double
/// precision, and values beyond ±2^60 are rejected. Sizes are checked in 64-bit arithmetic, so
/// inputs too large for .NET arrays fail with an <see cref="ArgumentException"/> instead of overflowing.</para>
/// <para>Unlike densecrf's SSE build, no phantom all-zero points are inserted when the point count is not
/// a multiple of 4 (see the spec's section 12).</para>
/// </remarks>
public sealed class PermutohedralLattice
{
    /// <summary>|elevated coordinate| above which a point is placed in double precision (float32 ulp ≥ 1/8).</summary>
    private const float FloatExactLimit = 1 << 20;

    private const double KeyLimit = 1.152921504606846976e18; // 2^60

    private readonly bool _pooled;
    private readonly int _d;
    private readonly int _n;
    private readonly int _m;

    /// <summary>(d+1)·N: value row (vertex index + 1) of each point's enclosing-simplex vertex r.</summary>
    private int[] _offsets;

    /// <summary>
    /// (d+1)·N: barycentric weight of each point's vertex r. A CRF term with symmetric normalisation scales point i's
    /// weights by its normaliser once built (they then sum to n_i, not 1), so its filter is the normalised one.
    /// </summary>
    private float[] _weights;

    /// <summary>2·(d+1)·M (a pooled array may be longer): for axis j and vertex v, the rows of neighbours n1 (at 2(jM+v)) and n2 (at 2(jM+v)+1); 0 = missing.</summary>
    private int[] _neighbors;

    /// <summary>Builds the lattice of <paramref name="features"/>.</summary>
    /// <param name="features">N·d values, pixel-major (point i's coordinates at [i·d, (i+1)·d)); finite.</param>
    /// <param name="dimensions">The feature dimension d ≥ 1.</param>
    /// <exception cref="ArgumentException">Empty or non-finite features, a length not divisible by d, or a lattice too large.</exception>
    public PermutohedralLattice(ReadOnlySpan<float> features, int dimensions)
        : this(Validate(features, dimensions), pooled: false)
    {
    }

    /// <summary>
    /// Builds the lattice of <paramref name="features"/>; <paramref name="pooled"/> rents the per-point arrays from
    /// <see cref="CrfPool{T}"/> (give them back with <see cref="Release"/>); <paramref name="partitions"/> &gt; 0 forces
    /// the number of parallel partitions, <paramref name="reference"/> the sequential reference construction and
    /// <paramref name="directKeys"/> the direct or hashed vertex table (tests; null chooses by the key box's size).
    /// </summary>
    internal PermutohedralLattice(LatticeFeatures features, bool pooled, int partitions = 0, bool reference = false, bool? directKeys = null)
    {
        _d = features.Dimensions;
        _n = features.Count;
        long entries = (long)_n * (_d + 1);
        if (entries > Array.MaxLength / 2)
            CrfThrowHelper.Argument("features", string.Create(CultureInfo.InvariantCulture, $"{_n} points of dimension {_d} need {entries} lattice entries, more than this lattice supports ({Array.MaxLength / 2})."));
        _pooled = pooled;
        _offsets = pooled ? CrfPool<int>.Rent(entries) : new int[entries];
        _weights = pooled ? CrfPool<float>.Rent(entries) : new float[entries];
        if (!reference && LatticeBuilder.TryBuild(features, _offsets, _weights, partitions > 0 ? partitions : LatticeBuilder.DefaultPartitions(_n), directKeys, pooled, out _m, out _neighbors, out bool direct))
        {
            UsesDirectKeys = direct;
            return;
        }

        UsesReferenceBuild = true;
        float[] values = features is LatticeFeatures.Points pts ? pts.Values : Materialize(features);
        _m = Build(values);
        _neighbors = new int[2L * (_d + 1) * _m];
        BuildNeighbors();
        _table = null;
    }

    private static LatticeFeatures.Points Validate(ReadOnlySpan<float> features, int dimensions)
    {
        if (dimensions < 1 || dimensions > 64) CrfThrowHelper.OutOfRange(nameof(dimensions), dimensions, "The feature dimension must be in [1, 64].");
        if (features.IsEmpty) CrfThrowHelper.Argument(nameof(features), "No feature vectors: the lattice needs at least one point.");
        if (features.Length % dimensions != 0)
            CrfThrowHelper.Argument(nameof(features), string.Create(CultureInfo.InvariantCulture, $"{features.Length} values are not a whole number of {dimensions}-dimensional vectors."));
        if (CrfThrowHelper.FirstNonFinite(features) is var bad and >= 0)
            CrfThrowHelper.Argument(nameof(features), string.Create(CultureInfo.InvariantCulture, $"Feature value {bad} (point {bad / dimensions}) is not finite."));
        return new LatticeFeatures.Points(features.ToArray(), dimensions);
    }

    private static float[] Materialize(LatticeFeatures features)
    {
        int d = features.Dimensions, n = features.Count;
        var values = new float[(long)n * d];
        const int block = 256;
        var soa = new float[d * block];
        for (int p0 = 0; p0 < n; p0 += block)
        {
            int count = Math.Min(block, n - p0);
            features.Fill(p0, count, soa, block);
            for (int j = 0; j < count; j++)
            {
                for (int k = 0; k < d; k++) values[(long)(p0 + j) * d + k] = soa[k * block + j];
            }
        }

        return values;
    }

    /// <summary>Returns pooled per-point arrays to <see cref="CrfPool{T}"/>; the lattice is unusable afterwards.</summary>
    internal void Release()
    {
        if (!_pooled) return;
        CrfPool<int>.Return(_offsets);
        CrfPool<float>.Return(_weights);
        if (!UsesReferenceBuild) CrfPool<int>.Return(_neighbors);
        _offsets = [];
        _weights = [];
        _neighbors = [];
    }

    /// <summary>The feature dimension d.</summary>
    public int Dimensions => _d;

    /// <summary>The number of points N.</summary>
    public int PointCount => _n;

    /// <summary>The number of lattice vertices M.</summary>
    public int VertexCount => _m;

    /// <summary>densecrf's slice scaling α = 1/(1 + 2^−d) (0.8 for d = 2, 32/33 for d = 5).</summary>
    public float Alpha => 1.0f / (1 + MathF.Pow(2, -_d));

    internal int[] Offsets => _offsets;

    internal float[] Weights => _weights;

    internal int[] Neighbors => _neighbors;

    /// <summary>Whether the sequential reference construction was used (forced, or the key box exceeds 62 bits).</summary>
    internal bool UsesReferenceBuild { get; }

    /// <summary>Whether the fast construction indexed the vertex table directly by key (a small key box) rather than hashing.</summary>
    internal bool UsesDirectKeys { get; }

    /// <summary>
    /// Filters <paramref name="input"/> (N rows of <paramref name="valueSize"/> values, point-major) into
    /// <paramref name="output"/>: splat with the barycentric weights, blur with [½, 1, ½] along axes 0..d
    /// (double-buffered, missing neighbours count as 0), slice with weights·α. Allocates its buffers.
    /// </summary>
    /// <param name="input">N·V values.</param>
    /// <param name="output">N·V values (may not overlap <paramref name="input"/>).</param>
    /// <param name="valueSize">V ≥ 1.</param>
    public void Filter(ReadOnlySpan<float> input, Span<float> output, int valueSize)
    {
        if (valueSize < 1) CrfThrowHelper.OutOfRange(nameof(valueSize), valueSize, "The value size must be at least 1.");
        long len = (long)_n * valueSize;
        if (input.Length != len) CrfThrowHelper.Argument(nameof(input), string.Create(CultureInfo.InvariantCulture, $"Expected {len} values ({_n} points x {valueSize}); got {input.Length}."));
        if (output.Length != len) CrfThrowHelper.Argument(nameof(output), string.Create(CultureInfo.InvariantCulture, $"Expected {len} values ({_n} points x {valueSize}); got {output.Length}."));
        int v = valueSize, d1 = _d + 1;
        var values = new float[((long)_m + 1) * v];
        var scratch = new float[values.Length];
        for (int i = 0; i < _n; i++)
        {
            ReadOnlySpan<float> src = input.Slice(i * v, v);
            for (int r = 0; r < d1; r++)
            {
                int o = _offsets[i * d1 + r] * v;
                float w = _weights[i * d1 + r];
                for (int k = 0; k < v; k++) values[o + k] += w * src[k];
            }
        }

        float[] result = BlurInPlace(values, scratch, v);
        float alpha = Alpha;
        for (int i = 0; i < _n; i++)
        {
            Span<float> dst = output.Slice(i * v, v);
            dst.Clear();
            for (int r = 0; r < d1; r++)
            {
                int o = _offsets[i * d1 + r] * v;
                float w = _weights[i * d1 + r] * alpha;
                for (int k = 0; k < v; k++) dst[k] += w * result[o + k];
            }
        }
    }

    /// <summary>Blurs rows 1..M of <paramref name="values"/> along every axis; returns the buffer holding the result.</summary>
    internal float[] BlurInPlace(float[] values, float[] scratch, int v)
    {
        float[] src = values, dst = scratch;
        for (int j = 0; j <= _d; j++)
        {
            for (int vertex = 0; vertex < _m; vertex++)
            {
                int n1 = _neighbors[2 * (j * _m + vertex)] * v;
                int n2 = _neighbors[2 * (j * _m + vertex) + 1] * v;
                int o = (vertex + 1) * v;
                for (int k = 0; k < v; k++) dst[o + k] = src[o + k] + 0.5f * (src[n1 + k] + src[n2 + k]);
            }

            (src, dst) = (dst, src);
        }

        return src;
    }

    // ---- construction -------------------------------------------------------------------------

    private long[] _keys = [];
    private int[]? _table;
    private int _filled;

    /// <summary>The sequential reference construction (densecrf's algorithm with 64-bit keys and a hash table).</summary>
    private int Build(ReadOnlySpan<float> features)
    {
        int d = _d, d1 = d + 1;
        // Constants exactly as densecrf: inv_std_dev is a float, scale factors computed in double, stored as float.
        float invStdDev = (float)(Math.Sqrt(2.0 / 3.0) * d1);
        var scaleF = new float[d];
        var scaleD = new double[d];
        for (int i = 0; i < d; i++)
        {
            scaleF[i] = (float)(1.0 / Math.Sqrt((double)(i + 2) * (i + 1)) * invStdDev);
            scaleD[i] = scaleF[i];
        }

        int capacity = (int)Math.Min(1L << 30, BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, 2 * Math.Min(_n, 1 << 29))));
        _table = new int[capacity];
        Array.Fill(_table, -1);

        _keys = new long[(capacity / 2 + 1) * d];

        var canonical = new int[d1 * d1];
        for (int i = 0; i <= d; i++)
        {
            for (int j = 0; j <= d - i; j++) canonical[i * d1 + j] = i;
            for (int j = d - i + 1; j <= d; j++) canonical[i * d1 + j] = i - d1;
        }

        Span<float> elF = stackalloc float[d1];
        Span<float> remF = stackalloc float[d1];
        Span<float> baryF = stackalloc float[d + 2];
        Span<double> elD = stackalloc double[d1];
        Span<double> remD = stackalloc double[d1];
        Span<double> baryD = stackalloc double[d + 2];
        Span<long> rem0 = stackalloc long[d1];
        Span<int> rank = stackalloc int[d1];
        Span<long> key = stackalloc long[d];
        for (int p = 0; p < _n; p++)
        {
            ReadOnlySpan<float> f = features.Slice(p * d, d);
            long baseIndex = (long)p * d1;
            if (Locate<float>(f, scaleF, elF, remF, baryF, rank, out bool large) && !large)
            {
                for (int i = 0; i <= d; i++) rem0[i] = (long)remF[i];
                for (int r = 0; r <= d; r++) _weights[baseIndex + r] = baryF[r];
            }
            else if (Locate<double>(f, scaleD, elD, remD, baryD, rank, out _) && MaxAbs(remD) < KeyLimit)
            {
                for (int i = 0; i <= d; i++) rem0[i] = (long)remD[i];
                for (int r = 0; r <= d; r++) _weights[baseIndex + r] = (float)baryD[r];
            }
            else
            {
                CrfThrowHelper.Argument("features", string.Create(CultureInfo.InvariantCulture, $"Point {p} has feature values too large for the lattice (a standard deviation is too small for the data range)."));
            }

            for (int r = 0; r <= d; r++)
            {
                for (int i = 0; i < d; i++) key[i] = rem0[i] + canonical[r * d1 + rank[i]];
                _offsets[baseIndex + r] = FindOrInsert(key) + 1;
            }
        }

        return _filled;
    }

    private static double MaxAbs(ReadOnlySpan<double> values)
    {
        double m = 0;
        foreach (double v in values) m = Math.Max(m, Math.Abs(v));
        return m;
    }

    /// <summary>
    /// Elevates one point, finds its remainder-0 vertex, rank and barycentric weights exactly as densecrf's
    /// SSE path (for T = float). Returns false when the ranks come out inconsistent (only possible when T's
    /// precision is exhausted); <paramref name="large"/> reports elevated values beyond float's exact range.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool Locate<T>(ReadOnlySpan<float> f, ReadOnlySpan<T> scale, Span<T> el, Span<T> rem0, Span<T> bary, Span<int> rank, out bool large)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int d = f.Length;
        T dp1 = T.CreateChecked(d + 1);
        T invDp1 = T.One / dp1;
        T sm = T.Zero;
        for (int j = d; j > 0; j--)
        {
            T cf = T.CreateChecked(f[j - 1]) * scale[j - 1];
            el[j] = sm - T.CreateChecked(j) * cf;
            sm += cf;
        }

        el[0] = sm;
        large = false;
        T limit = T.CreateChecked(FloatExactLimit);
        T sum = T.Zero;
        for (int i = 0; i <= d; i++)
        {
            if (T.Abs(el[i]) >= limit) large = true;
            T v = T.Round(invDp1 * el[i], MidpointRounding.ToEven);
            rem0[i] = v * dp1;
            sum += v;
        }

        rank.Clear();
        for (int i = 0; i < d; i++)
        {
            T di = el[i] - rem0[i];
            for (int j = i + 1; j <= d; j++)
            {
                if (di < el[j] - rem0[j]) rank[i]++;
                else rank[j]++;
            }
        }

        if (T.Abs(sum) > dp1) return false;
        int s = int.CreateChecked(sum);
        for (int i = 0; i <= d; i++)
        {
            rank[i] += s;
            if (rank[i] < 0)
            {
                rank[i] += d + 1;
                rem0[i] += dp1;
            }
            else if (rank[i] >= d + 1)
            {
                rank[i] -= d + 1;
                rem0[i] -= dp1;
            }

            if ((uint)rank[i] > (uint)d) return false;
        }

        bary.Clear();
        for (int i = 0; i <= d; i++)
        {
            T v = (el[i] - rem0[i]) * invDp1;
            bary[d - rank[i]] += v;
            bary[d - rank[i] + 1] -= v;
        }

        bary[0] += T.One + bary[d + 1];
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Hash(ReadOnlySpan<long> key)
    {
        ulong h = 0;
        foreach (long k in key) h = (h + (ulong)k) * 0x9E3779B97F4A7C15UL;
        return h ^ (h >> 29);
    }

    private int FindOrInsert(ReadOnlySpan<long> key)
    {
        int[] table = _table!;
        if (2L * _filled >= table.Length) table = Grow();
        int mask = table.Length - 1;
        int d = _d;
        int h = (int)(Hash(key) & (uint)mask);
        while (true)
        {
            int e = table[h];
            if (e < 0)
            {
                key.CopyTo(_keys.AsSpan(_filled * d, d));
                table[h] = _filled;
                return _filled++;
            }

            if (key.SequenceEqual(_keys.AsSpan(e * d, d))) return e;
            h = (h + 1) & mask;
        }
    }

    private int Find(ReadOnlySpan<long> key, int[] table)
    {
        int mask = table.Length - 1;
        int d = _d;
        int h = (int)(Hash(key) & (uint)mask);
        while (true)
        {
            int e = table[h];
            if (e < 0) return -1;
            if (key.SequenceEqual(_keys.AsSpan(e * d, d))) return e;
            h = (h + 1) & mask;
        }
    }

    private int[] Grow()
    {
        int[] old = _table!;
        if (old.Length >= 1 << 30) CrfThrowHelper.Argument("features", "The lattice has more vertices than this implementation supports.");
        var table = new int[old.Length * 2];
        Array.Fill(table, -1);
        int mask = table.Length - 1, d = _d;
        for (int e = 0; e < _filled; e++)
        {
            int h = (int)(Hash(_keys.AsSpan(e * d, d)) & (uint)mask);
            while (table[h] >= 0) h = (h + 1) & mask;
            table[h] = e;
        }

        Array.Resize(ref _keys, (table.Length / 2 + 1) * d);
        _table = table;
        return table;
    }

    private void BuildNeighbors()
    {
        int d = _d, m = _m;
        int[] table = _table ?? [];
        int[] neighbors = _neighbors;
        void Axis(int j)
        {
            Span<long> n1 = stackalloc long[d];
            Span<long> n2 = stackalloc long[d];
            for (int v = 0; v < m; v++)
            {
                ReadOnlySpan<long> key = _keys.AsSpan(v * d, d);
                for (int k = 0; k < d; k++)
                {
                    n1[k] = key[k] - 1;
                    n2[k] = key[k] + 1;
                }

                if (j < d)
                {
                    n1[j] = key[j] + d;
                    n2[j] = key[j] - d;
                }

                neighbors[2 * (j * m + v)] = Find(n1, table) + 1;
                neighbors[2 * (j * m + v) + 1] = Find(n2, table) + 1;
            }
        }

        if ((long)m * (d + 1) < 20000 || Tensors.Parallelism.MaxDegreeOfParallelism == 1)
        {
            for (int j = 0; j <= d; j++) Axis(j);
        }
        else
        {
            Parallel.For(0, d + 1, Tensors.Parallelism.Options, Axis);
        }

        _keys = [];
    }
}
