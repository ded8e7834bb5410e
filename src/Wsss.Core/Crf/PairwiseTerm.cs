using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using Wsss.Core.Tensors;

namespace Wsss.Core.Crf;

/// <summary>
/// One pairwise potential of a <see cref="DenseCrf"/>: its features (until the lattice is built), the
/// lattice, the per-pixel normalisers, and the reusable (pooled) value buffers of the iteration.
/// The message of the term at pixel i is <c>SliceScale · slice_i · K(pre ⊙ Q)</c> (Potts), where
/// <c>SliceScale</c> folds α and the Potts weight and <c>slice_i</c> is the normaliser where the mode applies it after filtering.
/// </summary>
internal sealed class PairwiseTerm
{
    public PairwiseTerm(LatticeFeatures features, LabelCompatibility compatibility, CrfNormalization normalization)
    {
        Features = features;
        Compatibility = compatibility;
        Normalization = normalization;
    }

    public LatticeFeatures? Features { get; private set; }

    public LabelCompatibility Compatibility { get; }

    public CrfNormalization Normalization { get; }

    public PermutohedralLattice? Lattice { get; private set; }

    /// <summary>
    /// Whether the (symmetric) normaliser is folded into the lattice's barycentric weights: then <see cref="Pre"/> and
    /// <see cref="Post"/> are null, and n_i = Σ_r w_ir (the unscaled weights sum to 1).
    /// </summary>
    public bool NormalizerInWeights { get; private set; }

    /// <summary>Per-pixel scale applied to Q before splatting (the normaliser), or null for 1.</summary>
    public float[]? Pre { get; private set; }

    /// <summary>Per-pixel scale applied after slicing (the normaliser), or null for 1.</summary>
    public float[]? Post { get; private set; }

    /// <summary>Constant scale after slicing: α·w for Potts, α otherwise.</summary>
    public float SliceScale { get; private set; }

    /// <summary>For matrix terms: −W as row-major Lp×Lp (the symmetrised matrix), padding zero.</summary>
    public float[]? NegMatrix { get; private set; }

    /// <summary>For diagonal terms: −v padded to Lp.</summary>
    public float[]? NegDiagonal { get; private set; }

    /// <summary>Value buffers of (M+1)·Lp floats each (row 0 stays zero): one splat buffer per partition, at least two (the blur ping-pongs).</summary>
    public CrfBuffer[] Buffers { get; private set; } = [];

    /// <summary>The buffer holding the blurred values after the last blur.</summary>
    public CrfBuffer? Blurred { get; set; }

    /// <summary>Bytes this term holds once built (lattice arrays, normalisers, value buffers).</summary>
    public long HeldBytes { get; private set; }

    /// <summary>Builds the lattice and normalisers and rents the iteration buffers.</summary>
    public void Build(int labels, int paddedLabels, int partitions)
    {
        if (Lattice is not null) return;
        var lattice = new PermutohedralLattice(Features!, pooled: true);
        int n = lattice.PointCount;
        var mode = Normalization;
        // Symmetric: the same n_i scales pixel i before the splat and after the slice, so it goes straight into the
        // pixel's barycentric weights (both sides use them) and no normaliser array is kept: 4 bytes per pixel less.
        bool fold = mode is CrfNormalization.Symmetric;
        float[]? k1 = fold || mode is CrfNormalization.None ? null : CrfPool<float>.Rent(n);
        Normaliser(lattice, k1, partitions, mode);

        bool potts = Compatibility.IsPotts;
        float alpha = lattice.Alpha;
        SliceScale = potts ? Compatibility.PottsWeight * alpha : alpha;
        long held = 8L * n * (lattice.Dimensions + 1) + 8L * (lattice.Dimensions + 1) * lattice.VertexCount;
        NormalizerInWeights = fold;
        if (k1 is not null)
        {
            if (mode is CrfNormalization.Before) Pre = k1;
            if (mode is CrfNormalization.After) Post = k1;
            held += 4L * n;
        }

        if (Compatibility.DiagonalValues is { } diag)
        {
            var nd = new float[paddedLabels];
            for (int l = 0; l < labels; l++) nd[l] = -diag[l];
            NegDiagonal = nd;
        }
        else if (Compatibility.SymmetricMatrix is { } mat)
        {
            var nm = new float[paddedLabels * paddedLabels];
            for (int a = 0; a < labels; a++)
            {
                for (int b = 0; b < labels; b++) nm[a * paddedLabels + b] = -mat[a * labels + b];
            }

            NegMatrix = nm;
        }

        long size = ((long)lattice.VertexCount + 1) * paddedLabels;
        if (size > CrfBuffer.MaxLength)
            CrfThrowHelper.Argument("features", $"The lattice values need {size} floats, more than a .NET array holds.");
        var buffers = new CrfBuffer[Math.Max(2, partitions)];
        for (int p = 0; p < buffers.Length; p++)
        {
            buffers[p] = CrfBuffer.Rent(size);
            buffers[p].Slice(0, paddedLabels).Clear(); // row 0: the zero row of missing neighbours
        }

        Buffers = buffers;
        HeldBytes = held + 4L * size * buffers.Length;
        Lattice = lattice;
        Features = null;
    }

    /// <summary>
    /// The normaliser of every pixel: K1 = the lattice filter of ones (splat the weights, blur, slice with α; partitions
    /// splat privately, then the partial sums are added), then, as densecrf computes it in double, 1/√(K1 + 1e-20)
    /// (symmetric) or 1/(K1 + 1e-20) (before, after), into <paramref name="norm"/>, or, when it is null, multiplied
    /// into each pixel's weights (symmetric, folded). Skipped without normalisation.
    /// </summary>
    private static void Normaliser(PermutohedralLattice lattice, float[]? norm, int partitions, CrfNormalization mode)
    {
        if (mode is CrfNormalization.None) return;
        int n = lattice.PointCount, d1 = lattice.Dimensions + 1, m = lattice.VertexCount;
        int[] off = lattice.Offsets;
        float[] w = lattice.Weights;
        int parts = Math.Max(1, partitions);
        var partial = new float[parts][];
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        void Splat(int p)
        {
            var values = new float[m + 1];
            long start = (long)n * p / parts * d1, end = (long)n * (p + 1) / parts * d1;
            ref float v0 = ref MemoryMarshal.GetArrayDataReference(values);
            ref int o0 = ref MemoryMarshal.GetArrayDataReference(off);
            ref float w0 = ref MemoryMarshal.GetArrayDataReference(w);
            for (nint e = (nint)start; e < (nint)end; e++) Unsafe.Add(ref v0, Unsafe.Add(ref o0, e)) += Unsafe.Add(ref w0, e);
            partial[p] = values;
        }

        if (parts == 1) Splat(0);
        else Parallel.For(0, parts, Parallelism.Options, Splat);
        float[] sum = partial[0];
        for (int p = 1; p < parts; p++) TensorPrimitives.Add(sum, partial[p], sum);

        float[] blurred = lattice.BlurInPlace(sum, new float[m + 1], 1);
        float alpha = lattice.Alpha;
        Parallelism.ForChunks(n, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (s, len) =>
        {
            ref float b0 = ref MemoryMarshal.GetArrayDataReference(blurred);
            ref int o0 = ref MemoryMarshal.GetArrayDataReference(off);
            ref float w0 = ref MemoryMarshal.GetArrayDataReference(w);
            Span<float> block = stackalloc float[1024];
            for (int i0 = s; i0 < s + len; i0 += block.Length)
            {
                int count = Math.Min(block.Length, s + len - i0);
                Span<float> k = norm is null ? block[..count] : norm.AsSpan(i0, count);
                for (int j = 0; j < count; j++)
                {
                    float acc = 0;
                    nint e = (nint)(i0 + j) * d1;
                    for (int r = 0; r < d1; r++) acc += Unsafe.Add(ref w0, e + r) * alpha * Unsafe.Add(ref b0, Unsafe.Add(ref o0, e + r));
                    k[j] = acc;
                }

                Invert(k, mode == CrfNormalization.Symmetric);
                if (norm is not null) continue;
                for (int j = 0; j < count; j++)
                {
                    // Folded: w_ir ← w_ir · n_i (this pixel's K1 above used the unscaled weights).
                    ref float wi = ref Unsafe.Add(ref w0, (nint)(i0 + j) * d1);
                    for (int r = 0; r < d1; r++) Unsafe.Add(ref wi, r) *= k[j];
                }
            }
        });
    }

    /// <summary>k ← 1/√(k + 1e-20) (symmetric) or 1/(k + 1e-20), in double as densecrf, four lanes at a time where SIMD runs.</summary>
    private static void Invert(Span<float> k, bool symmetric)
    {
        int j = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            // The same correctly rounded sqrt and division as the scalar code.
            var tiny = Vector256.Create(1e-20);
            var one = Vector256<double>.One;
            ref float k0 = ref MemoryMarshal.GetReference(k);
            for (; j + 4 <= k.Length; j += 4)
            {
                var x = Vector256.WidenLower(Vector128.LoadUnsafe(ref k0, (nuint)j).ToVector256Unsafe()) + tiny;
                var y = one / (symmetric ? Vector256.Sqrt(x) : x);
                Vector128.StoreUnsafe(Vector256.Narrow(y, y).GetLower(), ref k0, (nuint)j);
            }
        }

        for (; j < k.Length; j++) k[j] = symmetric ? (float)(1.0 / Math.Sqrt(k[j] + 1e-20)) : (float)(1.0 / (k[j] + 1e-20));
    }

    /// <summary>Returns the pooled arrays; the term must not be used afterwards.</summary>
    public void Release()
    {
        Lattice?.Release();
        foreach (var b in Buffers) CrfBuffer.Return(b);
        CrfPool<float>.Return(Pre ?? Post);
        Buffers = [];
        Blurred = null;
        Pre = null;
        Post = null;
    }
}
