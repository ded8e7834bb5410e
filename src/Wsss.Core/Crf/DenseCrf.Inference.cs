using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Wsss.Core.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Wsss.Core.Crf;

public sealed partial class DenseCrf : IDisposable
{
    /// <summary>Negated energy of the padding lanes: exp of it underflows to exactly 0.</summary>
    private const float PadEnergy = -1e30f;

    private const int PixelChunk = 2048;
    private const int VertexChunk = 1024;
    private const int SplatBlock = 512;

    private PairwiseTerm[] _built = [];

    // State shared with the parallel bodies (set before each parallel loop).
    private PairwiseTerm? _blurTerm;
    private CrfBuffer? _blurSrc;
    private CrfBuffer? _blurDst;
    private int _blurAxis;
    private float[]? _output;
    private bool _splatFromUnary;

    private enum QState
    {
        /// <summary>No inference started (or the model changed since).</summary>
        None,

        /// <summary>Q = softmax(−U), not yet written to <see cref="_q"/> (the first splat computes it on the fly).</summary>
        Pending,

        /// <summary><see cref="_q"/> holds Q.</summary>
        Materialized,
    }

    /// <summary>
    /// Runs <paramref name="iterations"/> mean-field iterations from Q₀ = softmax(−U) and returns the marginals
    /// (pydensecrf's <c>inference</c>, reshaped to (L, H, W)). Zero iterations return softmax(−U).
    /// </summary>
    /// <param name="iterations">Number of iterations (≥ 0).</param>
    /// <returns>Q of shape (L, H, W).</returns>
    /// <exception cref="InvalidOperationException">No unary energies were set.</exception>
    public Tensor Inference(int iterations) => InferenceCore(iterations, CancellationToken.None);

    /// <summary><see cref="Inference(int)"/>, checking <paramref name="cancellationToken"/> between iterations.</summary>
    internal Tensor InferenceCore(int iterations, CancellationToken cancellationToken)
    {
        if (iterations < 0) CrfThrowHelper.OutOfRange(nameof(iterations), iterations, "The number of iterations must be non-negative.");
        StartInference();
        if (iterations == 0) return CurrentQ();
        for (int it = 1; it < iterations; it++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            StepInference();
        }

        cancellationToken.ThrowIfCancellationRequested();
        var q = Tensor.Empty([Labels, Height, Width]);
        Step(GetArray(q));
        return q;
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
        ThrowIfDisposed();
        if (_negUnary is null) CrfThrowHelper.InvalidOperation("Set the unary energies (SetUnaryEnergy or SetUnaryFromProbabilities) before inference.");
        _q ??= CrfBuffer.Rent((long)PixelCount * _lp);
        _qState = QState.Pending;
    }

    /// <summary>One mean-field iteration: Q ← softmax(−U + Σ_k message_k(Q)) (<c>stepInference</c>).</summary>
    /// <exception cref="InvalidOperationException"><see cref="StartInference"/> has not run.</exception>
    public void StepInference() => Step(null);

    /// <summary>The current marginals Q, (L, H, W) (a copy).</summary>
    /// <returns>A new tensor.</returns>
    public Tensor CurrentQ()
    {
        CrfBuffer q = MaterializedQ();
        var t = Tensor.Empty([Labels, Height, Width]);
        WriteLabelMajor(q, GetArray(t));
        return t;
    }

    /// <summary>The label map of the current Q: argmax over labels (first index on ties), length N.</summary>
    /// <returns>The label of each pixel n = y·W + x.</returns>
    public int[] CurrentMap()
    {
        CrfBuffer qb = MaterializedQ();
        int n = PixelCount, l = Labels, lp = _lp;
        var map = new int[n];
        Parallelism.ForChunks(n, (s, len) =>
        {
            Span<float> q = qb.Span;
            for (int i = s; i < s + len; i++)
            {
                int o = i * lp;
                int best = 0;
                float bv = q[o];
                for (int k = 1; k < l; k++)
                {
                    if (q[o + k] > bv)
                    {
                        bv = q[o + k];
                        best = k;
                    }
                }

                map[i] = best;
            }
        });
        return map;
    }

    /// <summary>
    /// The KL divergence of the current Q from the CRF's distribution up to a constant, as densecrf's
    /// <c>klDivergence</c>: Σ Q log Q + Σ U Q + Σ_k Σ Q ⊙ μ_k(K̃_k Q).
    /// </summary>
    /// <returns>The value (double precision accumulation).</returns>
    public double KlDivergence()
    {
        Span<float> q = MaterializedQ().Span;
        Span<float> negU = _negUnary!.Span;
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
        var msg = new float[(long)n * lp];
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
    /// Returns the pooled work buffers (lattices, Q, −U, lattice values) for reuse by the next CRF; the instance
    /// cannot be used afterwards. Optional: without it the buffers are simply garbage-collected.
    /// </summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var t in _terms) t.Release();
        _terms.Clear();
        _built = [];
        CrfBuffer.Return(_q);
        CrfBuffer.Return(_negUnary);
        _q = null;
        _negUnary = null;
        _qState = QState.None;
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    /// <summary>The array behind a freshly allocated (contiguous, offset 0) tensor.</summary>
    private static float[] GetArray(Tensor t) => t.Storage.Array;

    /// <summary>
    /// The energy term pairwise term <paramref name="term"/> adds in the next iteration, computed from the
    /// current Q (pixel-major N·Lp in <paramref name="destination"/>).
    /// </summary>
    internal void ComputeMessage(int term, float[] destination)
    {
        CrfBuffer q = MaterializedQ();
        EnsureBuilt();
        var t = _built[term];
        t.Buffers[0].Span.Clear();
        SplatRange(t, t.Buffers[0], q, 0, PixelCount, fromUnary: false);
        Blur(t, reduce: false);
        Span<float> m = stackalloc float[_lp];
        for (int i = 0; i < PixelCount; i++)
        {
            Span<float> acc = destination.AsSpan(i * _lp, _lp);
            acc.Clear();
            AddMessage(t, i, acc, m);
        }
    }

    internal int PaddedLabels => _lp;

    internal PermutohedralLattice GetLattice(int term)
    {
        EnsureBuilt();
        return _built[term].Lattice!;
    }

    internal float[] GetPre(int term)
    {
        EnsureBuilt();
        return _built[term].Pre![..PixelCount];
    }

    /// <summary>
    /// A conservative estimate of the memory one CRF with <paramref name="labels"/> labels, the smoothness kernel and an
    /// appearance kernel over <paramref name="channels"/> channels needs for a <paramref name="width"/>×<paramref name="height"/>
    /// image: Q and −U (labels padded to a multiple of 8), the returned marginals, per-pixel lattice indices, weights and
    /// normalisers, and lattice value buffers for up to N/2 vertices per kernel (typical photos need 0.03–0.5 N; very
    /// small standard deviations need more). <see cref="DenseCrfRefiner.RefineMany"/> budgets with it.
    /// </summary>
    /// <param name="width">Image width ≥ 1.</param>
    /// <param name="height">Image height ≥ 1.</param>
    /// <param name="labels">Number of labels ≥ 1.</param>
    /// <param name="channels">Image channels ≥ 0 (3 for RGB).</param>
    /// <returns>Bytes.</returns>
    public static long EstimateWorkingSetBytes(int width, int height, int labels, int channels = 3)
    {
        if (width < 1) CrfThrowHelper.OutOfRange(nameof(width), width, "The width must be at least 1.");
        if (height < 1) CrfThrowHelper.OutOfRange(nameof(height), height, "The height must be at least 1.");
        if (labels < 1) CrfThrowHelper.OutOfRange(nameof(labels), labels, "The CRF needs at least one label.");
        if (channels < 0) CrfThrowHelper.OutOfRange(nameof(channels), channels, "The channel count must be non-negative.");
        long n = (long)width * height, lp = (labels + 7) & ~7;
        int cores = Math.Min(Parallelism.MaxDegreeOfParallelism, Environment.ProcessorCount);
        long buffers = Math.Max(2, Math.Min(cores, Math.Max(1, n / MinPixelsPerPartition)));
        long bytes = 2 * 4 * n * lp + 4 * n * labels + n * channels;
        foreach (int d in (ReadOnlySpan<int>)[2, 2 + channels])
        {
            long m = n / 2 + 1;
            bytes += n * (d + 1) * 8 + 4 * n;        // offsets, weights, normaliser
            bytes += buffers * (m + 1) * lp * 4;     // value buffers
            bytes += 2L * (d + 1) * m * 4 + 32 * m; // neighbours, hash tables while building
        }

        return bytes;
    }

    /// <summary>Bytes of work memory this instance holds now (pooled buffers included, the returned tensors excluded).</summary>
    internal long HeldBytes
    {
        get
        {
            long b = 4L * PixelCount * _lp * ((_negUnary is null ? 0 : 1) + (_q is null ? 0 : 1));
            foreach (var t in _built) b += t.HeldBytes;
            return b;
        }
    }

    private CrfBuffer MaterializedQ()
    {
        ThrowIfDisposed();
        if (_qState == QState.None) CrfThrowHelper.InvalidOperation("Call StartInference (or Inference) first.");
        CrfBuffer q = _q!;
        if (_qState == QState.Pending)
        {
            CrfBuffer negU = _negUnary!;
            int lp = _lp;
            Parallelism.ForChunks(PixelCount, (start, length) =>
            {
                for (int i = start; i < start + length; i++) CrfVectorMath.Softmax(negU.Slice((long)i * lp, lp), q.Slice((long)i * lp, lp));
            });
            _qState = QState.Materialized;
        }

        return q;
    }

    private void EnsureBuilt()
    {
        if (_built.Length == _terms.Count) return;
        int n = PixelCount;
        int cores = Math.Min(Parallelism.MaxDegreeOfParallelism, Environment.ProcessorCount);
        _partitions = n >= 2 * MinPixelsPerPartition ? Math.Max(1, Math.Min(cores, n / MinPixelsPerPartition)) : 1;
        foreach (var t in _terms) t.Build(Labels, _lp, _partitions);
        _built = [.. _terms];
    }

    /// <summary>One iteration; with <paramref name="output"/>, Q is also written label-major there.</summary>
    private void Step(float[]? output)
    {
        ThrowIfDisposed();
        if (_qState == QState.None) CrfThrowHelper.InvalidOperation("Call StartInference before StepInference.");
        EnsureBuilt();
        if (_built.Length == 0)
        {
            // No pairwise terms: Q stays softmax(−U).
            CrfBuffer q = MaterializedQ();
            if (output is not null) WriteLabelMajor(q, output);
            return;
        }

        _splatFromUnary = _qState == QState.Pending;
        PrepareKernels();
        if (_partitions == 1) SplatPartition(0);
        else Parallel.For(0, _partitions, Parallelism.Options, SplatPartition);
        foreach (var term in _built) Blur(term, reduce: _partitions > 1);
        _output = output;
        int chunks = (PixelCount + PixelChunk - 1) / PixelChunk;
        Action<int> slice = UseRegisterKernels ? SliceRegisters : SliceSoftmaxChunk;
        if (_partitions == 1) for (int c = 0; c < chunks; c++) slice(c);
        else Parallel.For(0, chunks, Parallelism.Options, slice);
        _output = null;
        _qState = QState.Materialized;
    }

    private void WriteLabelMajor(CrfBuffer q, float[] output)
    {
        Parallelism.ForChunks(PixelCount, (s, len) =>
        {
            for (int i = s; i < s + len; i += PixelChunk) WriteLabelMajor(q, output, i, Math.Min(s + len, i + PixelChunk));
        });
    }

    // ---- splat --------------------------------------------------------------------------------

    /// <summary>Splats pre ⊙ Q of one pixel range into every term's private buffer of this partition.</summary>
    private void SplatPartition(int partition)
    {
        int n = PixelCount, parts = _partitions;
        int start = (int)((long)n * partition / parts), end = (int)((long)n * (partition + 1) / parts);
        PairwiseTerm[] terms = _built;
        foreach (var t in terms) t.Buffers[partition].Span.Clear();
        CrfBuffer q = _q!;
        bool fromUnary = _splatFromUnary;
        if (UseRegisterKernels)
        {
            SplatRegisters(partition, start, end, fromUnary);
            return;
        }

        for (int b0 = start; b0 < end; b0 += SplatBlock)
        {
            int b1 = Math.Min(end, b0 + SplatBlock);
            if (fromUnary)
            {
                // Q₀ = softmax(−U) for this block, written to Q (the slice pass overwrites it later).
                CrfBuffer negU = _negUnary!;
                int lp = _lp;
                for (int i = b0; i < b1; i++) CrfVectorMath.Softmax(negU.Slice((long)i * lp, lp), q.Slice((long)i * lp, lp));
            }

            foreach (var t in terms) SplatRange(t, t.Buffers[partition], q, b0, b1, fromUnary);
        }
    }

    /// <summary>buf[off_r] += w_r · pre_i · Q_i for the pixels [i0, i1) (each vertex accumulates in pixel order).</summary>
    private void SplatRange(PairwiseTerm term, CrfBuffer buf, CrfBuffer q, int i0, int i1, bool fromUnary)
    {
        _ = fromUnary;
        int lp = _lp;
        var lattice = term.Lattice!;
        int d1 = lattice.Dimensions + 1;
        ref int off = ref MemoryMarshal.GetArrayDataReference(lattice.Offsets);
        ref float wts = ref MemoryMarshal.GetArrayDataReference(lattice.Weights);
        float[]? preArr = term.Pre;
        ref float b0 = ref buf.Ref;
        ref float q0 = ref q.Ref;
        if (Vector256.IsHardwareAccelerated)
        {
            int nv = lp / 8;
            Span<Vector256<float>> qv = stackalloc Vector256<float>[nv];
            for (int i = i0; i < i1; i++)
            {
                var s = Vector256.Create(preArr is null ? 1f : preArr[i]);
                ref float qi = ref Unsafe.Add(ref q0, (nint)i * lp);
                for (int c = 0; c < nv; c++) qv[c] = Vector256.LoadUnsafe(ref qi, (nuint)(c * 8)) * s;
                ref int oi = ref Unsafe.Add(ref off, (nint)i * d1);
                ref float wi = ref Unsafe.Add(ref wts, (nint)i * d1);
                for (int r = 0; r < d1; r++)
                {
                    ref float row = ref Unsafe.Add(ref b0, (nint)Unsafe.Add(ref oi, r) * lp);
                    var w = Vector256.Create(Unsafe.Add(ref wi, r));
                    for (int c = 0; c < nv; c++)
                    {
                        nuint at = (nuint)(c * 8);
                        Vector256.StoreUnsafe(Vector256.FusedMultiplyAdd(w, qv[c], Vector256.LoadUnsafe(ref row, at)), ref row, at);
                    }
                }
            }

            return;
        }

        for (int i = i0; i < i1; i++)
        {
            float s = preArr is null ? 1f : preArr[i];
            ref float qi = ref Unsafe.Add(ref q0, (nint)i * lp);
            for (int r = 0; r < d1; r++)
            {
                ref float row = ref Unsafe.Add(ref b0, (nint)Unsafe.Add(ref off, (nint)i * d1 + r) * lp);
                float w = Unsafe.Add(ref wts, (nint)i * d1 + r);
                for (int c = 0; c < lp; c++) Unsafe.Add(ref row, c) = MathF.FusedMultiplyAdd(w, Unsafe.Add(ref qi, c) * s, Unsafe.Add(ref row, c));
            }
        }
    }

    // ---- reduce + blur ------------------------------------------------------------------------

    private void Blur(PairwiseTerm term, bool reduce)
    {
        var lattice = term.Lattice!;
        int m = lattice.VertexCount;
        int chunks = (m + VertexChunk - 1) / VertexChunk;
        bool parallel = _partitions > 1 && chunks > 1;
        _blurTerm = term;
        if (reduce)
        {
            if (parallel) Parallel.For(0, chunks, Parallelism.Options, ReduceChunk);
            else for (int c = 0; c < chunks; c++) ReduceChunk(c);
        }

        CrfBuffer src = term.Buffers[0], dst = term.Buffers[1];
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
        Span<float> dst = term.Buffers[0].Slice((long)(v0 + 1) * lp, (v1 - v0) * lp);
        for (int p = 1; p < _partitions; p++)
            TensorPrimitives.Add(dst, term.Buffers[p].Slice((long)(v0 + 1) * lp, (v1 - v0) * lp), dst);
    }

    private void BlurChunk(int chunk)
    {
        var lattice = _blurTerm!.Lattice!;
        int m = lattice.VertexCount, lp = _lp, j = _blurAxis;
        int v0 = chunk * VertexChunk, v1 = Math.Min(m, v0 + VertexChunk);
        ref int nb = ref MemoryMarshal.GetArrayDataReference(lattice.Neighbors);
        ref float src = ref _blurSrc!.Ref;
        ref float dst = ref _blurDst!.Ref;
        nint nbBase = 2 * (nint)j * m;
        if (Vector256.IsHardwareAccelerated)
        {
            var half = Vector256.Create(0.5f);
            for (int v = v0; v < v1; v++)
            {
                nuint o = (nuint)((nint)(v + 1) * lp);
                nuint n1 = (nuint)((nint)Unsafe.Add(ref nb, nbBase + 2 * v) * lp);
                nuint n2 = (nuint)((nint)Unsafe.Add(ref nb, nbBase + 2 * v + 1) * lp);
                for (int c = 0; c < lp; c += 8)
                {
                    nuint cc = (nuint)c;
                    var r = Vector256.LoadUnsafe(ref src, o + cc) + half * (Vector256.LoadUnsafe(ref src, n1 + cc) + Vector256.LoadUnsafe(ref src, n2 + cc));
                    Vector256.StoreUnsafe(r, ref dst, o + cc);
                }
            }

            return;
        }

        for (int v = v0; v < v1; v++)
        {
            nint o = (nint)(v + 1) * lp;
            nint n1 = (nint)Unsafe.Add(ref nb, nbBase + 2 * v) * lp;
            nint n2 = (nint)Unsafe.Add(ref nb, nbBase + 2 * v + 1) * lp;
            for (int c = 0; c < lp; c++)
                Unsafe.Add(ref dst, o + c) = Unsafe.Add(ref src, o + c) + 0.5f * (Unsafe.Add(ref src, n1 + c) + Unsafe.Add(ref src, n2 + c));
        }
    }

    // ---- slice + unary + softmax ----------------------------------------------------------------

    /// <summary>
    /// For the pixels of one chunk: t = −U + Σ_k message_k (sliced from the blurred lattices), then Q = softmax(t),
    /// written in place of Q (each pixel reads only its own row of Q, which slicing does not need), and label-major
    /// to the output of the last iteration.
    /// </summary>
    private void SliceSoftmaxChunk(int chunk)
    {
        int lp = _lp, n = PixelCount;
        int i0 = chunk * PixelChunk, i1 = Math.Min(n, i0 + PixelChunk);
        Span<float> m = stackalloc float[lp];
        CrfBuffer q = _q!;
        float[]? output = _output;
        ref float u0 = ref _negUnary!.Ref;
        ref float q0 = ref q.Ref;
        PairwiseTerm[] terms = _built;
        bool simd = Vector256.IsHardwareAccelerated;
        int nv = lp / 8;
        Span<Vector256<float>> acc = stackalloc Vector256<float>[nv];
        for (int i = i0; i < i1; i++)
        {
            ref float qi = ref Unsafe.Add(ref q0, (nint)i * lp);
            ref float ui = ref Unsafe.Add(ref u0, (nint)i * lp);
            Unsafe.CopyBlockUnaligned(ref Unsafe.As<float, byte>(ref qi), ref Unsafe.As<float, byte>(ref ui), (uint)(lp * sizeof(float)));
            foreach (var t in terms)
            {
                if (simd && t.Compatibility.IsPotts)
                {
                    var lattice = t.Lattice!;
                    int d1 = lattice.Dimensions + 1;
                    ref int oi = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(lattice.Offsets), (nint)i * d1);
                    ref float wi = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(lattice.Weights), (nint)i * d1);
                    ref float vals = ref t.Blurred!.Ref;
                    acc.Clear();
                    for (int r = 0; r < d1; r++)
                    {
                        ref float row = ref Unsafe.Add(ref vals, (nint)Unsafe.Add(ref oi, r) * lp);
                        var w = Vector256.Create(Unsafe.Add(ref wi, r));
                        for (int c = 0; c < nv; c++) acc[c] = Vector256.FusedMultiplyAdd(w, Vector256.LoadUnsafe(ref row, (nuint)(c * 8)), acc[c]);
                    }

                    var scale = Vector256.Create(t.Post is { } post ? t.SliceScale * post[i] : t.SliceScale);
                    for (int c = 0; c < nv; c++)
                    {
                        nuint at = (nuint)(c * 8);
                        Vector256.StoreUnsafe(Vector256.FusedMultiplyAdd(scale, acc[c], Vector256.LoadUnsafe(ref qi, at)), ref qi, at);
                    }
                }
                else
                {
                    AddMessage(t, i, MemoryMarshal.CreateSpan(ref qi, lp), m);
                }
            }

            CrfVectorMath.Softmax(ref qi, ref qi, lp);
        }

        if (output is not null) WriteLabelMajor(q, output, i0, i1);
    }

    /// <summary>
    /// Copies the pixels [i0, i1) of the pixel-major Q into the label-major output in 8×8 tiles, while the chunk of Q
    /// is still in cache (instead of L strided stores per pixel).
    /// </summary>
    private void WriteLabelMajor(CrfBuffer q, float[] output, int i0, int i1)
        => CrfTranspose.ToLabelMajor(ref q.Ref, _lp, ref MemoryMarshal.GetArrayDataReference(output), PixelCount, Labels, i0, i1);

    /// <summary>acc += the energy term of <paramref name="term"/> at pixel <paramref name="i"/> (from its blurred values).</summary>
    private void AddMessage(PairwiseTerm term, int i, Span<float> acc, Span<float> m)
    {
        int lp = _lp;
        var lattice = term.Lattice!;
        int d1 = lattice.Dimensions + 1;
        int[] off = lattice.Offsets;
        float[] wts = lattice.Weights;
        Span<float> vals = term.Blurred!.Span;
        m.Clear();
        long ob = (long)i * d1;
        for (int r = 0; r < d1; r++)
        {
            float w = wts[ob + r];
            int o = off[ob + r] * lp;
            for (int c = 0; c < lp; c++) m[c] = MathF.FusedMultiplyAdd(w, vals[o + c], m[c]);
        }

        float post = term.Post is { } p ? term.SliceScale * p[i] : term.SliceScale;
        for (int c = 0; c < lp; c++) m[c] *= post;
        if (term.NegMatrix is { } nm)
        {
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
            for (int c = 0; c < lp; c++) acc[c] += m[c] * nd[c];
            return;
        }

        for (int c = 0; c < lp; c++) acc[c] += m[c];
    }
}
