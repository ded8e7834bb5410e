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
    private bool _splatFromUnary;
    private float[]? _qIn;      // the Q this step splats: rows from _qInBase, or label-major from 0
    private int _qInBase;
    private bool _qInLabelMajor;
    private float[]? _qOut;     // where this step's slice writes: rows from _qOutBase, or label-major (the last step of Inference)
    private int _qOutBase;
    private bool _qOutLabelMajor;

    private enum QState
    {
        /// <summary>No inference started (or the model changed since).</summary>
        None,

        /// <summary>Q = softmax(−U), not yet written to Q (the first splat computes it on the fly).</summary>
        Pending,

        /// <summary>Q holds the marginals.</summary>
        Materialized,
    }

    /// <summary>
    /// Runs <paramref name="iterations"/> mean-field iterations from Q₀ = softmax(−U) and returns the marginals
    /// (pydensecrf's <c>inference</c>, reshaped to (L, H, W)). Zero iterations return softmax(−U).
    /// </summary>
    /// <remarks>
    /// The returned tensor is the CRF's own Q, not a copy (the marginals are held once): <see cref="CurrentQ"/>,
    /// <see cref="CurrentMap"/>, <see cref="KlDivergence"/> and the next <see cref="StepInference"/> read it, so changing
    /// the tensor in place changes what they see, and a further step starts from the changed values. That step (and
    /// <see cref="StartInference"/>) then writes to new memory and leaves the tensor as it is. Modify a copy to keep
    /// the CRF's state as inference left it.
    /// </remarks>
    /// <param name="iterations">Number of iterations (≥ 0).</param>
    /// <returns>Q of shape (L, H, W).</returns>
    /// <exception cref="InvalidOperationException">No unary energies were set.</exception>
    public Tensor Inference(int iterations) => InferenceCore(iterations, CancellationToken.None);

    /// <summary><see cref="Inference(int)"/>, checking <paramref name="cancellationToken"/> between iterations.</summary>
    internal Tensor InferenceCore(int iterations, CancellationToken cancellationToken)
    {
        if (iterations < 0) CrfThrowHelper.OutOfRange(nameof(iterations), iterations, "The number of iterations must be non-negative.");
        StartInference();
        for (int it = 0; it < iterations; it++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Step(labelMajor: it == iterations - 1); // the last step writes the caller's layout, in place
        }

        MaterializedQ(labelMajor: true);
        int size = Labels * PixelCount;
        if ((long)PixelCount * _lp + 16 > size + (size >> 2) + 4096)
        {
            // Few labels: the rows' padding would make the returned array several times L·N. Hand over a tight copy.
            var tight = new TensorStorage(TensorPool.Rent(size, clear: false), pooled: true);
            _qStorage!.Array.AsSpan(0, size).CopyTo(tight.Array);
            _qStorage.Release();
            (_qStorage, _qOffset) = (tight, 0);
        }

        TensorStorage storage = _qStorage!;
        storage.AddRef();
        _qShared = true;
        return new Tensor(storage, [Labels, Height, Width], Labels * PixelCount);
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
        if (_qStorage is null || _qShared)
        {
            _qStorage?.Release();
            (_qStorage, _qOffset) = RentQ();
            _qShared = false;
        }

        _qLabelMajor = false;
        _qState = QState.Pending;
    }

    /// <summary>
    /// Storage for Q from the tensor pool: N·Lp floats of rows starting on a 64-byte boundary (the offset returned), in
    /// an array whose start can also hold L·N label-major values.
    /// </summary>
    private (TensorStorage Storage, int Offset) RentQ()
    {
        float[] a = TensorPool.Rent(PixelCount * _lp + 16, clear: false);
        int offset;
        unsafe
        {
            // The array is not pinned: a move would only cost alignment, since the offset is kept, not recomputed.
            offset = (int)((64 - ((nint)Unsafe.AsPointer(ref a[0]) & 63)) & 63) / sizeof(float);
        }

        return (new TensorStorage(a, pooled: true), offset);
    }

    /// <summary>One mean-field iteration: Q ← softmax(−U + Σ_k message_k(Q)) (<c>stepInference</c>).</summary>
    /// <exception cref="InvalidOperationException"><see cref="StartInference"/> has not run.</exception>
    public void StepInference() => Step(labelMajor: false);

    /// <summary>The current marginals Q, (L, H, W) (a copy).</summary>
    /// <returns>A new tensor.</returns>
    public Tensor CurrentQ()
    {
        MaterializedQ(labelMajor: false);
        var t = Tensor.Empty([Labels, Height, Width]);
        float[] q = _qStorage!.Array;
        if (_qLabelMajor) q.AsSpan(0, Labels * PixelCount).CopyTo(GetArray(t));
        else WriteLabelMajor(q, _qOffset, GetArray(t));
        return t;
    }

    /// <summary>The label map of the current Q: argmax over labels (first index on ties), length N.</summary>
    /// <returns>The label of each pixel n = y·W + x.</returns>
    public int[] CurrentMap()
    {
        MaterializedQ(labelMajor: false);
        int n = PixelCount, l = Labels, lp = _lp;
        var map = new int[n];
        float[] qa = _qStorage!.Array;
        if (_qLabelMajor)
        {
            LabelMajorArgmax(qa, map);
            return map;
        }

        int offset = _qOffset;
        Parallelism.ForChunks(n, (s, len) =>
        {
            Span<float> q = qa.AsSpan(offset);
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

    /// <summary>The argmax over labels (first on ties) of label-major Q, eight pixels at a time down the labels.</summary>
    private void LabelMajorArgmax(float[] qa, int[] map)
    {
        int n = PixelCount, l = Labels;
        Parallelism.ForChunks(n, (s, len) =>
        {
            ref float q = ref MemoryMarshal.GetArrayDataReference(qa);
            ref int m0 = ref MemoryMarshal.GetArrayDataReference(map);
            int i = s;
            if (Vector256.IsHardwareAccelerated)
            {
                for (; i + 8 <= s + len; i += 8)
                {
                    var best = Vector256.LoadUnsafe(ref q, (nuint)i);
                    var index = Vector256<int>.Zero;
                    for (int k = 1; k < l; k++)
                    {
                        var v = Vector256.LoadUnsafe(ref q, (nuint)((long)k * n + i));
                        var greater = Vector256.GreaterThan(v, best); // strictly: the first label wins ties
                        best = Vector256.ConditionalSelect(greater, v, best);
                        index = Vector256.ConditionalSelect(greater.AsInt32(), Vector256.Create(k), index);
                    }

                    Vector256.StoreUnsafe(index, ref m0, (nuint)i);
                }
            }

            for (; i < s + len; i++)
            {
                int best = 0;
                float bv = Unsafe.Add(ref q, i);
                for (int k = 1; k < l; k++)
                {
                    float v = Unsafe.Add(ref q, (nint)((long)k * n + i));
                    if (v > bv)
                    {
                        bv = v;
                        best = k;
                    }
                }

                Unsafe.Add(ref m0, i) = best;
            }
        });
    }

    /// <summary>Q of label <paramref name="k"/> at pixel <paramref name="i"/> in the current layout.</summary>
    private float QAt(float[] q, int k, int i) => _qLabelMajor ? q[(long)k * PixelCount + i] : q[_qOffset + (long)i * _lp + k];

    /// <summary>
    /// The KL divergence of the current Q from the CRF's distribution up to a constant, as densecrf's
    /// <c>klDivergence</c>: Σ Q log Q + Σ U Q + Σ_k Σ Q ⊙ μ_k(K̃_k Q).
    /// </summary>
    /// <returns>The value (double precision accumulation).</returns>
    public double KlDivergence()
    {
        MaterializedQ(labelMajor: false);
        float[] q = _qStorage!.Array;
        Span<float> negU = _negUnary!.Span;
        int n = PixelCount, l = Labels, lp = _lp;
        double kl = 0;
        for (int i = 0; i < n; i++)
        {
            for (int k = 0; k < l; k++)
            {
                float v = QAt(q, k, i);
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
                for (int k = 0; k < l; k++) kl -= (double)QAt(q, k, i) * msg[i * lp + k];
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
        _qStorage?.Release(); // a tensor Inference returned keeps its marginals
        _qStorage = null;
        CrfBuffer.Return(_negUnary);
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
        MaterializedQ(labelMajor: false);
        EnsureBuilt();
        var t = _built[term];
        t.Buffers[0].Span.Clear();
        float[] q = _qStorage!.Array;
        float[] rows = q;
        int first = _qOffset;
        if (_qLabelMajor)
        {
            rows = new float[(long)PixelCount * _lp];
            first = 0;
            CrfTranspose.ToRows(ref q[0], PixelCount, Labels, ref rows[0], _lp, 0, PixelCount, 0f);
        }

        SplatRange(t, t.Buffers[0], ref rows[first], 0, PixelCount);
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

    /// <summary>Term <paramref name="term"/>'s lattice (diagnostics; a symmetric term's weights include its normaliser).</summary>
    internal PermutohedralLattice GetLattice(int term)
    {
        EnsureBuilt();
        return _built[term].Lattice!;
    }

    /// <summary>The normaliser of every pixel applied before the splat (diagnostics; recovered from the weights when folded in).</summary>
    internal float[] GetPre(int term)
    {
        EnsureBuilt();
        var t = _built[term];
        if (!t.NormalizerInWeights) return t.Pre![..PixelCount];
        var lattice = t.Lattice!;
        int d1 = lattice.Dimensions + 1;
        var n = new float[PixelCount];
        for (int i = 0; i < n.Length; i++)
        {
            float sum = 0;
            for (int r = 0; r < d1; r++) sum += lattice.Weights[i * d1 + r];
            n[i] = sum;
        }

        return n;
    }

    /// <summary>
    /// A conservative estimate of the memory one CRF with <paramref name="labels"/> labels, the smoothness kernel and an
    /// appearance kernel over <paramref name="channels"/> channels needs for a <paramref name="width"/>×<paramref name="height"/>
    /// image: Q (which becomes the returned marginals) and −U (labels padded to a multiple of 8), per-pixel lattice indices, weights and
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
        long bytes = 2 * 4 * n * lp + n * channels;
        foreach (int d in (ReadOnlySpan<int>)[2, 2 + channels])
        {
            long m = n / 2 + 1;
            bytes += n * (d + 1) * 8 + 4 * n;        // offsets, weights, normaliser
            bytes += buffers * (m + 1) * lp * 4;     // value buffers
            bytes += 2L * (d + 1) * m * 4 + 32 * m; // neighbours, hash tables while building
        }

        return bytes;
    }

    /// <summary>
    /// Bytes of work memory this instance holds now (pooled buffers included; Q counted even while it is also the tensor
    /// <see cref="Inference"/> returned, other returned tensors excluded).
    /// </summary>
    internal long HeldBytes
    {
        get
        {
            long b = 4L * PixelCount * _lp * ((_negUnary is null ? 0 : 1) + (_qStorage is null ? 0 : 1));
            foreach (var t in _built) b += t.HeldBytes;
            return b;
        }
    }

    /// <summary>
    /// Makes Q hold the marginals: computes Q₀ = softmax(−U) if inference has just started (label-major when
    /// <paramref name="labelMajor"/>, to be handed over, rows otherwise), or lays rows out label-major when asked to.
    /// </summary>
    private void MaterializedQ(bool labelMajor)
    {
        ThrowIfDisposed();
        if (_qState == QState.None) CrfThrowHelper.InvalidOperation("Call StartInference (or Inference) first.");
        float[] q = _qStorage!.Array;
        if (_qState == QState.Pending)
        {
            CrfBuffer negU = _negUnary!;
            int n = PixelCount, l = Labels, lp = _lp, offset = _qOffset;
            if (labelMajor)
            {
                Parallelism.ForChunks(n, (start, length) =>
                {
                    float[] rows = CrfPool<float>.Rent((long)PixelChunk * lp);
                    for (int i0 = start; i0 < start + length; i0 += PixelChunk)
                    {
                        int count = Math.Min(PixelChunk, start + length - i0);
                        for (int j = 0; j < count; j++) CrfVectorMath.Softmax(negU.Slice((long)(i0 + j) * lp, lp), rows.AsSpan(j * lp, lp));
                        CrfTranspose.ToLabelMajor(ref rows[0], lp, ref q[i0], n, l, 0, count);
                    }

                    CrfPool<float>.Return(rows);
                });
            }
            else
            {
                Parallelism.ForChunks(n, (start, length) =>
                {
                    for (int i = start; i < start + length; i++) CrfVectorMath.Softmax(negU.Slice((long)i * lp, lp), q.AsSpan(offset + i * lp, lp));
                });
            }

            _qLabelMajor = labelMajor;
            _qState = QState.Materialized;
        }
        else if (labelMajor && !_qLabelMajor)
        {
            // Rows wanted label-major (Inference without pairwise terms): through a pooled copy of the label-major values.
            int size = Labels * PixelCount;
            float[] copy = CrfPool<float>.Rent(size);
            WriteLabelMajor(q, _qOffset, copy);
            copy.AsSpan(0, size).CopyTo(q);
            CrfPool<float>.Return(copy);
            _qLabelMajor = true;
        }
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

    /// <summary>
    /// One iteration: splat Q (or Q₀ = softmax(−U) on the first), blur, then slice + unary + softmax into the next Q,
    /// as rows or, for the last step of <see cref="Inference"/>, label-major in the same array.
    /// </summary>
    private void Step(bool labelMajor)
    {
        ThrowIfDisposed();
        if (_qState == QState.None) CrfThrowHelper.InvalidOperation("Call StartInference before StepInference.");
        EnsureBuilt();
        if (_built.Length == 0)
        {
            // No pairwise terms: Q stays softmax(−U).
            MaterializedQ(labelMajor);
            return;
        }

        _splatFromUnary = _qState == QState.Pending;
        PrepareKernels();
        // While Inference's tensor shares Q, the slice writes to fresh storage and the tensor keeps the old marginals.
        // Otherwise in place: the splat is done with Q before the slice writes (in either layout).
        (TensorStorage Storage, int Offset)? next = _qShared ? RentQ() : null;
        _qIn = _qStorage!.Array;
        _qInBase = _qOffset;
        _qInLabelMajor = _qLabelMajor;
        _qOut = next?.Storage.Array ?? _qIn;
        _qOutBase = next?.Offset ?? _qOffset;
        _qOutLabelMajor = labelMajor;
        if (_partitions == 1) SplatPartition(0);
        else Parallel.For(0, _partitions, Parallelism.Options, SplatPartition);
        foreach (var term in _built) Blur(term, reduce: _partitions > 1);
        int chunks = (PixelCount + PixelChunk - 1) / PixelChunk;
        Action<int> slice = UseRegisterKernels ? SliceRegisters : SliceSoftmaxChunk;
        if (_partitions == 1) for (int c = 0; c < chunks; c++) slice(c);
        else Parallel.For(0, chunks, Parallelism.Options, slice);
        if (next is { } fresh)
        {
            _qStorage.Release();
            (_qStorage, _qOffset) = fresh;
            _qShared = false;
        }

        _qIn = _qOut = null;
        _qLabelMajor = labelMajor;
        _qState = QState.Materialized;
    }

    /// <summary>output[k·N + i] = rows of Q from <paramref name="offset"/> in <paramref name="q"/>, in 8×8 tiles on all cores.</summary>
    private void WriteLabelMajor(float[] q, int offset, float[] output) =>
        Parallelism.ForChunks(PixelCount, (s, len) =>
            CrfTranspose.ToLabelMajor(ref q[offset], _lp, ref MemoryMarshal.GetArrayDataReference(output), PixelCount, Labels, s, s + len));

    // ---- splat --------------------------------------------------------------------------------

    /// <summary>The first pixel of splat partition <paramref name="partition"/> (a multiple of 8, so the kernels can work in whole blocks of eight).</summary>
    private int PartitionStart(int partition) => partition >= _partitions ? PixelCount : (int)(((long)PixelCount * partition / _partitions) & ~7L);

    /// <summary>Splats pre ⊙ Q of one pixel range into every term's private buffer of this partition.</summary>
    private void SplatPartition(int partition)
    {
        int start = PartitionStart(partition), end = PartitionStart(partition + 1);
        PairwiseTerm[] terms = _built;
        foreach (var t in terms) t.Buffers[partition].Span.Clear();
        bool fromUnary = _splatFromUnary;
        if (UseRegisterKernels)
        {
            SplatRegisters(partition, start, end, fromUnary);
            return;
        }

        int lp = _lp;
        float[] q = _qIn!;
        float[]? rows = _qInLabelMajor && !fromUnary ? CrfPool<float>.Rent((long)SplatBlock * lp) : null;
        for (int b0 = start; b0 < end; b0 += SplatBlock)
        {
            int b1 = Math.Min(end, b0 + SplatBlock);
            if (fromUnary)
            {
                // Q₀ = softmax(−U) for this block, written to Q's rows (the slice pass overwrites them later).
                CrfBuffer negU = _negUnary!;
                for (int i = b0; i < b1; i++) CrfVectorMath.Softmax(negU.Slice((long)i * lp, lp), q.AsSpan(_qInBase + i * lp, lp));
            }

            if (rows is not null)
            {
                // Q handed over label-major: this block's rows first.
                CrfTranspose.ToRows(ref q[b0], PixelCount, Labels, ref rows[0], lp, 0, b1 - b0, 0f);
                foreach (var t in terms) SplatRange(t, t.Buffers[partition], ref rows[0], b0, b1);
            }
            else
            {
                foreach (var t in terms) SplatRange(t, t.Buffers[partition], ref q[_qInBase + b0 * lp], b0, b1);
            }
        }

        CrfPool<float>.Return(rows);
    }

    /// <summary>buf[off_r] += w_r · pre_i · Q_i for the pixels [i0, i1), whose rows start at <paramref name="rows"/> (each vertex accumulates in pixel order).</summary>
    private void SplatRange(PairwiseTerm term, CrfBuffer buf, ref float rows, int i0, int i1)
    {
        int lp = _lp;
        var lattice = term.Lattice!;
        int d1 = lattice.Dimensions + 1;
        ref int off = ref MemoryMarshal.GetArrayDataReference(lattice.Offsets);
        ref float wts = ref MemoryMarshal.GetArrayDataReference(lattice.Weights);
        float[]? preArr = term.Pre;
        ref float b0 = ref buf.Ref;
        if (Vector256.IsHardwareAccelerated)
        {
            int nv = lp / 8;
            Span<Vector256<float>> qv = stackalloc Vector256<float>[nv];
            for (int i = i0; i < i1; i++)
            {
                var s = Vector256.Create(preArr is null ? 1f : preArr[i]);
                ref float qi = ref Unsafe.Add(ref rows, (nint)(i - i0) * lp);
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
            ref float qi = ref Unsafe.Add(ref rows, (nint)(i - i0) * lp);
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
    /// For the pixels of one chunk: t = −U + Σ_k message_k (sliced from the blurred lattices), then Q = softmax(t), as
    /// rows of the next Q or, on the last step of <see cref="Inference"/>, label-major (through a scratch buffer: rows
    /// written to Q's array would overlap other chunks' label-major values).
    /// </summary>
    private void SliceSoftmaxChunk(int chunk)
    {
        int lp = _lp, n = PixelCount;
        int i0 = chunk * PixelChunk, i1 = Math.Min(n, i0 + PixelChunk);
        Span<float> m = stackalloc float[lp];
        // Rows go to Q, or, when this step writes label-major, to a scratch buffer first.
        float[]? scratch = _qOutLabelMajor ? CrfPool<float>.Rent((long)PixelChunk * lp) : null;
        ref float u0 = ref _negUnary!.Ref;
        ref float q0 = ref scratch is null ? ref _qOut![_qOutBase + i0 * lp] : ref scratch[0]; // row of pixel i0
        PairwiseTerm[] terms = _built;
        bool simd = Vector256.IsHardwareAccelerated;
        int nv = lp / 8;
        Span<Vector256<float>> acc = stackalloc Vector256<float>[nv];
        for (int i = i0; i < i1; i++)
        {
            ref float qi = ref Unsafe.Add(ref q0, (nint)(i - i0) * lp);
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

        if (scratch is null) return;
        CrfTranspose.ToLabelMajor(ref scratch[0], lp, ref _qOut![i0], n, Labels, 0, i1 - i0);
        CrfPool<float>.Return(scratch);
    }

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
