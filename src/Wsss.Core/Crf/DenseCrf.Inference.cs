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
            for (int i = start; i < start + length; i++) Softmax(negU.AsSpan(i * lp, lp), q.AsSpan(i * lp, lp));
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
        for (int p = 0; p < _partitions; p++) SplatPartition(t, p);
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
    }

    // ---- splat --------------------------------------------------------------------------------

    private void SplatAll()
    {
        int tasks = _built.Length * _partitions;
        if (tasks == 1 || _partitions == 1 && PixelCount < MinPixelsPerPartition)
        {
            foreach (var t in _built)
                for (int p = 0; p < _partitions; p++) SplatPartition(t, p);
            return;
        }

        Parallel.For(0, tasks, Parallelism.Options, SplatTask);
    }

    private void SplatTask(int task) => SplatPartition(_built[task / _partitions], task % _partitions);

    private void SplatPartition(PairwiseTerm term, int partition)
    {
        float[] buf = term.SplatBuffers[partition];
        Array.Clear(buf);
        int n = PixelCount, parts = _partitions, lp = _lp;
        int start = (int)((long)n * partition / parts), end = (int)((long)n * (partition + 1) / parts);
        var lattice = term.Lattice!;
        int d1 = lattice.Dimensions + 1;
        int[] off = lattice.Offsets;
        float[] wts = lattice.Weights;
        float[] pre = term.Pre;
        float[] q = _q!;
        Span<float> scaled = stackalloc float[lp];
        ref float b0 = ref MemoryMarshal.GetArrayDataReference(buf);
        ref float s0 = ref MemoryMarshal.GetReference(scaled);
        for (int i = start; i < end; i++)
        {
            var s = Vector256.Create(pre[i]);
            ref float qi = ref q[i * lp];
            for (int c = 0; c < lp; c += 8) Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref qi, (nuint)c) * s, ref s0, (nuint)c);
            int ob = i * d1;
            for (int r = 0; r < d1; r++)
            {
                nuint o = (nuint)(off[ob + r] * lp);
                var w = Vector256.Create(wts[ob + r]);
                for (int c = 0; c < lp; c += 8)
                {
                    nuint at = o + (nuint)c;
                    Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref b0, at) + w * Vector256.LoadUnsafe(ref s0, (nuint)c), ref b0, at);
                }
            }
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

    private void SliceSoftmaxChunk(int chunk)
    {
        int lp = _lp;
        int i0 = chunk * PixelChunk, i1 = Math.Min(PixelCount, i0 + PixelChunk);
        Span<float> acc = stackalloc float[lp];
        Span<float> m = stackalloc float[lp];
        float[] negU = _negUnary!, q = _q!;
        PairwiseTerm[] terms = _built;
        for (int i = i0; i < i1; i++)
        {
            negU.AsSpan(i * lp, lp).CopyTo(acc);
            for (int t = 0; t < terms.Length; t++) AddMessage(terms[t], i, acc, m);
            Softmax(acc, q.AsSpan(i * lp, lp));
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

    /// <summary>q = exp(t − max t) / Σ exp(t − max t) over the padded label row (padding lanes give exactly 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Softmax(ReadOnlySpan<float> t, Span<float> q)
    {
        int lp = t.Length;
        ref float t0 = ref MemoryMarshal.GetReference(t);
        ref float q0 = ref MemoryMarshal.GetReference(q);
        var mx = Vector256.LoadUnsafe(ref t0);
        for (int c = 8; c < lp; c += 8) mx = Vector256.Max(mx, Vector256.LoadUnsafe(ref t0, (nuint)c));
        var m4 = Vector128.Max(mx.GetLower(), mx.GetUpper());
        float hm = MathF.Max(MathF.Max(m4[0], m4[1]), MathF.Max(m4[2], m4[3]));
        var vm = Vector256.Create(hm);
        var sum = Vector256<float>.Zero;
        for (int c = 0; c < lp; c += 8)
        {
            var e = Vector256.Exp(Vector256.LoadUnsafe(ref t0, (nuint)c) - vm);
            sum += e;
            Vector256.StoreUnsafe(e, ref q0, (nuint)c);
        }

        var total = Vector256.Create(Vector256.Sum(sum));
        for (int c = 0; c < lp; c += 8) Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref q0, (nuint)c) / total, ref q0, (nuint)c);
    }
}
