using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Wsss.Core.Tensors;

namespace Wsss.Core.Crf;

public sealed partial class DenseCrf
{
    /// <summary>Negated energy of the padding lanes: exp of it underflows to exactly 0.</summary>
    private const float PadEnergy = -1e30f;

    private const int PixelChunk = 2048;
    private const int VertexChunk = 1024;

    private PairwiseTerm[] _built = [];
    private PairwiseTerm[] _pottsTerms = [];
    private PairwiseTerm[] _otherTerms = [];

    // State shared with the parallel bodies (set before each parallel loop).
    private PairwiseTerm? _blurTerm;
    private float[] _blurSrc = [];
    private float[] _blurDst = [];
    private int _blurAxis;

    /// <summary>
    /// Runs <paramref name="iterations"/> mean-field iterations from Q₀ = softmax(−U) and returns the marginals
    /// (pydensecrf's <c>inference</c>, reshaped to (L, H, W)). Zero iterations return softmax(−U).
    /// </summary>
    /// <param name="iterations">Number of iterations (≥ 0).</param>
    /// <returns>Q of shape (L, H, W).</returns>
    /// <exception cref="InvalidOperationException">No unary energies were set.</exception>
    public Tensor Inference(int iterations)
    {
        if (iterations < 0) CrfThrowHelper.OutOfRange(nameof(iterations), iterations, "The number of iterations must be non-negative.");
        StartInference();
        for (int it = 0; it < iterations; it++) StepInference();
        return CurrentQ();
    }

    /// <summary>Runs <paramref name="iterations"/> iterations and returns the label map (argmax of Q, first on ties), length N.</summary>
    /// <param name="iterations">Number of iterations (≥ 0).</param>
    /// <returns>The label of each pixel n = y·W + x.</returns>
    public int[] Map(int iterations)
    {
        if (iterations < 0) CrfThrowHelper.OutOfRange(nameof(iterations), iterations, "The number of iterations must be non-negative.");
        StartInference();
        for (int it = 0; it < iterations; it++) StepInference();
        return CurrentMap();
    }

    /// <summary>Starts step-by-step inference: Q = softmax(−U) (<c>startInference</c>).</summary>
    /// <exception cref="InvalidOperationException">No unary energies were set.</exception>
    public void StartInference()
    {
        float[] negU = _negUnary ?? throw new InvalidOperationException("Set the unary energies (SetUnaryEnergy or SetUnaryFromProbabilities) before inference.");
        var q = _q ?? new float[negU.Length];
        int lp = _lp;
        Parallelism.ForChunks(PixelCount, (start, length) =>
        {
            for (int i = start; i < start + length; i++) CrfVectorMath.Softmax(negU.AsSpan(i * lp, lp), q.AsSpan(i * lp, lp));
        });
        _q = q;
    }

    /// <summary>One mean-field iteration: Q ← softmax(−U + Σ_k message_k(Q)) (<c>stepInference</c>).</summary>
    /// <exception cref="InvalidOperationException"><see cref="StartInference"/> has not run.</exception>
    public void StepInference()
    {
        if (_q is null) CrfThrowHelper.InvalidOperation("Call StartInference before StepInference.");
        EnsureBuilt();
        if (_built.Length == 0) return; // no pairwise terms: Q stays softmax(−U)
        SplatAll();
        foreach (var term in _built) ReduceAndBlur(term);
        int chunks = (PixelCount + PixelChunk - 1) / PixelChunk;
        if (_partitions == 1) for (int c = 0; c < chunks; c++) SliceSoftmaxChunk(c);
        else Parallel.For(0, chunks, Parallelism.Options, SliceSoftmaxChunk);
    }

    /// <summary>The current marginals Q, (L, H, W) (a copy).</summary>
    /// <returns>A new tensor.</returns>
    public Tensor CurrentQ()
    {
        float[] q = _q ?? throw new InvalidOperationException("Call StartInference (or Inference) first.");
        int n = PixelCount, l = Labels, lp = _lp;
        var t = Tensor.Zeros(l, Height, Width);
        Span<float> dst = t.Data;
        for (int i = 0; i < n; i++)
        {
            for (int k = 0; k < l; k++) dst[k * n + i] = q[i * lp + k];
        }

        return t;
    }

    /// <summary>The label map of the current Q: argmax over labels (first index on ties), length N.</summary>
    /// <returns>The label of each pixel n = y·W + x.</returns>
    public int[] CurrentMap()
    {
        float[] q = _q ?? throw new InvalidOperationException("Call StartInference (or Inference) first.");
        int n = PixelCount, l = Labels, lp = _lp;
        var map = new int[n];
        for (int i = 0; i < n; i++)
        {
            int best = 0;
            float bv = q[i * lp];
            for (int k = 1; k < l; k++)
            {
                if (q[i * lp + k] > bv)
                {
                    bv = q[i * lp + k];
                    best = k;
                }
            }

            map[i] = best;
        }

        return map;
    }

    /// <summary>
    /// The KL divergence of the current Q from the CRF's distribution up to a constant, as densecrf's
    /// <c>klDivergence</c>: Σ Q log Q + Σ U Q + Σ_k Σ Q ⊙ μ_k(K̃_k Q).
    /// </summary>
    /// <returns>The value (double precision accumulation).</returns>
    public double KlDivergence()
    {
        float[] q = _q ?? throw new InvalidOperationException("Call StartInference (or Inference) first.");
        float[] negU = _negUnary!;
        int n = PixelCount, l = Labels, lp = _lp;
        double kl = 0;
        for (int i = 0; i < n; i++)
        {
            for (int k = 0; k < l; k++)
            {
                float v = q[i * lp + k];
                kl += v * Math.Log(Math.Max(v, 1e-20f));
                kl -= negU[i * lp + k] * (double)v;
            }
        }

        EnsureBuilt();
        var msg = new float[q.Length];
        for (int t = 0; t < _built.Length; t++)
        {
            ComputeMessage(t, msg);
            for (int i = 0; i < n; i++)
            {
                for (int k = 0; k < l; k++) kl -= (double)q[i * lp + k] * msg[i * lp + k];
            }
        }

        return kl;
    }

    /// <summary>
    /// The energy term pairwise term <paramref name="term"/> adds in the next iteration, computed from the
    /// current Q: for Potts +w·n ⊙ K(n ⊙ Q) (pixel-major N·Lp in <paramref name="destination"/>).
    /// </summary>
    internal void ComputeMessage(int term, float[] destination)
    {
        if (_q is null) CrfThrowHelper.InvalidOperation("Call StartInference first.");
        EnsureBuilt();
        var t = _built[term];
        SplatTerm(t);
        ReduceAndBlur(t);
        Span<float> acc = stackalloc float[_lp];
        Span<float> m = stackalloc float[_lp];
        for (int i = 0; i < PixelCount; i++)
        {
            acc.Clear();
            AddMessage(t, i, acc, m);
            acc.CopyTo(destination.AsSpan(i * _lp, _lp));
        }
    }

    internal int PaddedLabels => _lp;

    internal float[]? PixelMajorQ => _q;

    internal PermutohedralLattice GetLattice(int term)
    {
        EnsureBuilt();
        return _built[term].Lattice!;
    }

    internal float[] GetPre(int term)
    {
        EnsureBuilt();
        return _built[term].Pre;
    }

    private void EnsureBuilt()
    {
        if (_built.Length == _terms.Count) return;
        int n = PixelCount;
        int cores = Math.Min(Parallelism.MaxDegreeOfParallelism, Environment.ProcessorCount);
        _partitions = n >= 2 * MinPixelsPerPartition ? Math.Max(1, Math.Min(cores, n / MinPixelsPerPartition)) : 1;
        var pending = _terms.Where(t => t.Lattice is null).ToArray();
        if (pending.Length > 1 && cores > 1 && n >= MinPixelsPerPartition)
            Parallel.For(0, pending.Length, Parallelism.Options, i => pending[i].Build(Labels, _lp, _partitions));
        else
            foreach (var t in pending) t.Build(Labels, _lp, _partitions);
        _built = [.. _terms];
        _pottsTerms = [.. _terms.Where(t => t.Compatibility.IsPotts)];
        _otherTerms = [.. _terms.Where(t => !t.Compatibility.IsPotts)];
    }

    // ---- splat --------------------------------------------------------------------------------

    private const int SplatBlock = 512;

    /// <summary>Splats pre ⊙ Q into every term's lattice: one pass over Q, pixels split into private per-partition buffers.</summary>
    private void SplatAll()
    {
        if (_partitions == 1) SplatPartition(0);
        else Parallel.For(0, _partitions, Parallelism.Options, SplatPartition);
    }

    private void SplatPartition(int partition)
    {
        int n = PixelCount, parts = _partitions;
        int start = (int)((long)n * partition / parts), end = (int)((long)n * (partition + 1) / parts);
        PairwiseTerm[] terms = _built;
        foreach (var t in terms) Array.Clear(t.SplatBuffers[partition]);
        for (int b0 = start; b0 < end; b0 += SplatBlock)
        {
            int b1 = Math.Min(end, b0 + SplatBlock);
            foreach (var t in terms) SplatRange(t, t.SplatBuffers[partition], b0, b1);
        }
    }

    /// <summary>buf[off_r] += w_r · pre_i · Q_i for the pixels [i0, i1) (the row order of each vertex's sum is the pixel order).</summary>
    private void SplatRange(PairwiseTerm term, float[] buf, int i0, int i1)
    {
        int lp = _lp;
        var lattice = term.Lattice!;
        int d1 = lattice.Dimensions + 1;
        ref int off = ref MemoryMarshal.GetArrayDataReference(lattice.Offsets);
        ref float wts = ref MemoryMarshal.GetArrayDataReference(lattice.Weights);
        ref float pre = ref MemoryMarshal.GetArrayDataReference(term.Pre);
        ref float b0 = ref MemoryMarshal.GetArrayDataReference(buf);
        ref float q0 = ref MemoryMarshal.GetArrayDataReference(_q!);
        if (Vector256.IsHardwareAccelerated)
        {
            for (int i = i0; i < i1; i++)
            {
                var s = Vector256.Create(Unsafe.Add(ref pre, i));
                ref float qi = ref Unsafe.Add(ref q0, (nint)i * lp);
                ref int oi = ref Unsafe.Add(ref off, (nint)i * d1);
                ref float wi = ref Unsafe.Add(ref wts, (nint)i * d1);
                for (int c = 0; c < lp; c += 8)
                {
                    var v = Vector256.LoadUnsafe(ref qi, (nuint)c) * s;
                    for (int r = 0; r < d1; r++)
                    {
                        nuint at = (nuint)((nint)Unsafe.Add(ref oi, r) * lp + c);
                        var w = Vector256.Create(Unsafe.Add(ref wi, r));
                        Vector256.StoreUnsafe(Vector256.FusedMultiplyAdd(w, v, Vector256.LoadUnsafe(ref b0, at)), ref b0, at);
                    }
                }
            }

            return;
        }

        for (int i = i0; i < i1; i++)
        {
            float s = Unsafe.Add(ref pre, i);
            ref float qi = ref Unsafe.Add(ref q0, (nint)i * lp);
            for (int r = 0; r < d1; r++)
            {
                ref float row = ref Unsafe.Add(ref b0, (nint)Unsafe.Add(ref off, (nint)i * d1 + r) * lp);
                float w = Unsafe.Add(ref wts, (nint)i * d1 + r);
                for (int c = 0; c < lp; c++) Unsafe.Add(ref row, c) = MathF.FusedMultiplyAdd(w, Unsafe.Add(ref qi, c) * s, Unsafe.Add(ref row, c));
            }
        }
    }

    /// <summary>Splats one term from all partitions (used outside the iteration, e.g. by <see cref="ComputeMessage"/>).</summary>
    private void SplatTerm(PairwiseTerm term)
    {
        for (int p = 0; p < _partitions; p++)
        {
            float[] buf = term.SplatBuffers[p];
            Array.Clear(buf);
            int n = PixelCount;
            SplatRange(term, buf, (int)((long)n * p / _partitions), (int)((long)n * (p + 1) / _partitions));
        }
    }

    // ---- reduce + blur ------------------------------------------------------------------------

    private void ReduceAndBlur(PairwiseTerm term)
    {
        var lattice = term.Lattice!;
        int m = lattice.VertexCount;
        int chunks = (m + VertexChunk - 1) / VertexChunk;
        bool parallel = _partitions > 1 && chunks > 1;
        float[] a = term.SplatBuffers[0];
        _blurTerm = term;
        if (term.SplatBuffers.Length > 1)
        {
            _blurSrc = a;
            if (parallel) Parallel.For(0, chunks, Parallelism.Options, ReduceChunk);
            else for (int c = 0; c < chunks; c++) ReduceChunk(c);
        }

        float[] src = a, dst = term.BlurBuffer;
        for (int j = 0; j <= lattice.Dimensions; j++)
        {
            _blurSrc = src;
            _blurDst = dst;
            _blurAxis = j;
            if (parallel) Parallel.For(0, chunks, Parallelism.Options, BlurChunk);
            else for (int c = 0; c < chunks; c++) BlurChunk(c);
            (src, dst) = (dst, src);
        }

        term.Blurred = src;
        _blurTerm = null;
    }

    private void ReduceChunk(int chunk)
    {
        var term = _blurTerm!;
        int m = term.Lattice!.VertexCount, lp = _lp;
        int v0 = chunk * VertexChunk, v1 = Math.Min(m, v0 + VertexChunk);
        Span<float> dst = _blurSrc.AsSpan((v0 + 1) * lp, (v1 - v0) * lp);
        for (int p = 1; p < term.SplatBuffers.Length; p++)
            TensorPrimitives.Add(dst, term.SplatBuffers[p].AsSpan((v0 + 1) * lp, (v1 - v0) * lp), dst);
    }

    private void BlurChunk(int chunk)
    {
        var lattice = _blurTerm!.Lattice!;
        int m = lattice.VertexCount, lp = _lp, j = _blurAxis;
        int v0 = chunk * VertexChunk, v1 = Math.Min(m, v0 + VertexChunk);
        int[] nb = lattice.Neighbors;
        ref float src = ref MemoryMarshal.GetArrayDataReference(_blurSrc);
        ref float dst = ref MemoryMarshal.GetArrayDataReference(_blurDst);
        var half = Vector256.Create(0.5f);
        int nbBase = 2 * j * m;
        for (int v = v0; v < v1; v++)
        {
            nuint o = (nuint)((v + 1) * lp);
            nuint n1 = (nuint)(nb[nbBase + 2 * v] * lp);
            nuint n2 = (nuint)(nb[nbBase + 2 * v + 1] * lp);
            for (int c = 0; c < lp; c += 8)
            {
                nuint cc = (nuint)c;
                var r = Vector256.LoadUnsafe(ref src, o + cc) + half * (Vector256.LoadUnsafe(ref src, n1 + cc) + Vector256.LoadUnsafe(ref src, n2 + cc));
                Vector256.StoreUnsafe(r, ref dst, o + cc);
            }
        }
    }

    // ---- slice + unary + softmax ----------------------------------------------------------------

    /// <summary>
    /// For the pixels of one chunk: t = −U + Σ_Potts post_k ⊙ slice_k (+ the matrix/diagonal terms), then
    /// Q = softmax(t), written in place of Q (each pixel reads only its own row of Q, which slicing does not need).
    /// </summary>
    private void SliceSoftmaxChunk(int chunk)
    {
        int lp = _lp;
        int i0 = chunk * PixelChunk, i1 = Math.Min(PixelCount, i0 + PixelChunk);
        Span<float> m = stackalloc float[lp];
        float[] q = _q!;
        ref float u0 = ref MemoryMarshal.GetArrayDataReference(_negUnary!);
        ref float q0 = ref MemoryMarshal.GetArrayDataReference(q);
        PairwiseTerm[] potts = _pottsTerms, other = _otherTerms;
        for (int i = i0; i < i1; i++)
        {
            ref float qi = ref Unsafe.Add(ref q0, (nint)i * lp);
            ref float ui = ref Unsafe.Add(ref u0, (nint)i * lp);
            if (Vector256.IsHardwareAccelerated)
            {
                for (int c = 0; c < lp; c += 8)
                {
                    var a = Vector256.LoadUnsafe(ref ui, (nuint)c);
                    foreach (var t in potts)
                    {
                        var lattice = t.Lattice!;
                        int d1 = lattice.Dimensions + 1;
                        ref int oi = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(lattice.Offsets), (nint)i * d1);
                        ref float wi = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(lattice.Weights), (nint)i * d1);
                        ref float vals = ref MemoryMarshal.GetArrayDataReference(t.Blurred);
                        var sum = Vector256<float>.Zero;
                        for (int r = 0; r < d1; r++)
                            sum = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref wi, r)), Vector256.LoadUnsafe(ref vals, (nuint)((nint)Unsafe.Add(ref oi, r) * lp + c)), sum);
                        a = Vector256.FusedMultiplyAdd(Vector256.Create(t.Post[i]), sum, a);
                    }

                    Vector256.StoreUnsafe(a, ref qi, (nuint)c);
                }
            }
            else
            {
                Unsafe.CopyBlockUnaligned(ref Unsafe.As<float, byte>(ref qi), ref Unsafe.As<float, byte>(ref ui), (uint)(lp * sizeof(float)));
                foreach (var t in potts) AddMessage(t, i, MemoryMarshal.CreateSpan(ref qi, lp), m);
            }

            foreach (var t in other) AddMessage(t, i, MemoryMarshal.CreateSpan(ref qi, lp), m);
            CrfVectorMath.Softmax(ref qi, ref qi, lp);
        }
    }

    /// <summary>acc += the energy term of <paramref name="term"/> at pixel <paramref name="i"/> (from its blurred values).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void AddMessage(PairwiseTerm term, int i, Span<float> acc, Span<float> m)
    {
        int lp = _lp;
        var lattice = term.Lattice!;
        int d1 = lattice.Dimensions + 1;
        int[] off = lattice.Offsets;
        float[] wts = lattice.Weights;
        ref float vals = ref MemoryMarshal.GetArrayDataReference(term.Blurred);
        ref float m0 = ref MemoryMarshal.GetReference(m);
        ref float a0 = ref MemoryMarshal.GetReference(acc);
        int ob = i * d1;
        for (int c = 0; c < lp; c += 8)
        {
            var s = Vector256<float>.Zero;
            for (int r = 0; r < d1; r++)
                s += Vector256.Create(wts[ob + r]) * Vector256.LoadUnsafe(ref vals, (nuint)(off[ob + r] * lp + c));
            Vector256.StoreUnsafe(s, ref m0, (nuint)c);
        }

        var post = Vector256.Create(term.Post[i]);
        if (term.NegMatrix is { } nm)
        {
            for (int c = 0; c < lp; c += 8) Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref m0, (nuint)c) * post, ref m0, (nuint)c);
            int l = Labels;
            for (int a = 0; a < l; a++)
            {
                float sum = 0;
                for (int b = 0; b < l; b++) sum += nm[a * lp + b] * m[b];
                acc[a] += sum;
            }

            return;
        }

        if (term.NegDiagonal is { } nd)
        {
            ref float d0 = ref MemoryMarshal.GetArrayDataReference(nd);
            for (int c = 0; c < lp; c += 8)
            {
                nuint cc = (nuint)c;
                var v = Vector256.LoadUnsafe(ref a0, cc) + (Vector256.LoadUnsafe(ref m0, cc) * post) * Vector256.LoadUnsafe(ref d0, cc);
                Vector256.StoreUnsafe(v, ref a0, cc);
            }

            return;
        }

        for (int c = 0; c < lp; c += 8)
        {
            nuint cc = (nuint)c;
            Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref a0, cc) + post * Vector256.LoadUnsafe(ref m0, cc), ref a0, cc);
        }
    }
}
