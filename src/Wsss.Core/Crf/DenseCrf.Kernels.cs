using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Wsss.Core.Crf;

/// <summary>
/// The register-resident per-pixel kernels of the iteration (Potts terms, up to 24 labels, AVX2): the label row
/// lives in one to three <see cref="Vector256{T}"/> registers from load to store, and the terms' arrays are
/// hoisted out of the pixel loop. The arithmetic is that of the generic kernels, operation for operation, except
/// that the softmax sums each row's exponentials in label order (eight rows at a time) rather than lane-wise.
/// </summary>
public sealed partial class DenseCrf
{
    private KernelTerm[] _kernelTerms = [];

    /// <summary>Whether the register kernels apply: SIMD, at most 24 labels, Potts terms only.</summary>
    private bool UseRegisterKernels { get; set; }

    private void PrepareKernels()
    {
        bool ok = Vector256.IsHardwareAccelerated && Avx.IsSupported && _lp <= 24;
        foreach (var t in _built) ok &= t.Compatibility.IsPotts;
        UseRegisterKernels = ok;
        if (_kernelTerms.Length != _built.Length) _kernelTerms = new KernelTerm[_built.Length];
        for (int k = 0; k < _built.Length; k++)
        {
            var t = _built[k];
            _kernelTerms[k] = new KernelTerm
            {
                Offsets = t.Lattice!.Offsets,
                Weights = t.Lattice.Weights,
                Pre = t.Pre,
                Post = t.Post,
                SliceScale = t.SliceScale,
                D1 = t.Lattice.Dimensions + 1,
            };
        }
    }

    private void SplatRegisters(int partition, int start, int end, bool fromUnary)
    {
        if (_qInLabelMajor && !fromUnary)
        {
            switch (_lp / 8)
            {
                case 1: SplatRegisters<ICrfVectorWidth.One, ICrfSwitch.On>(partition, start, end, fromUnary); break;
                case 2: SplatRegisters<ICrfVectorWidth.Two, ICrfSwitch.On>(partition, start, end, fromUnary); break;
                default: SplatRegisters<ICrfVectorWidth.Three, ICrfSwitch.On>(partition, start, end, fromUnary); break;
            }

            return;
        }

        switch (_lp / 8)
        {
            case 1: SplatRegisters<ICrfVectorWidth.One, ICrfSwitch.Off>(partition, start, end, fromUnary); break;
            case 2: SplatRegisters<ICrfVectorWidth.Two, ICrfSwitch.Off>(partition, start, end, fromUnary); break;
            default: SplatRegisters<ICrfVectorWidth.Three, ICrfSwitch.Off>(partition, start, end, fromUnary); break;
        }
    }

    private void SliceRegisters(int chunk)
    {
        if (_qOutLabelMajor)
        {
            switch (_lp / 8)
            {
                case 1: SliceRegisters<ICrfVectorWidth.One, ICrfSwitch.On>(chunk); break;
                case 2: SliceRegisters<ICrfVectorWidth.Two, ICrfSwitch.On>(chunk); break;
                default: SliceRegisters<ICrfVectorWidth.Three, ICrfSwitch.On>(chunk); break;
            }

            return;
        }

        switch (_lp / 8)
        {
            case 1: SliceRegisters<ICrfVectorWidth.One, ICrfSwitch.Off>(chunk); break;
            case 2: SliceRegisters<ICrfVectorWidth.Two, ICrfSwitch.Off>(chunk); break;
            default: SliceRegisters<ICrfVectorWidth.Three, ICrfSwitch.Off>(chunk); break;
        }
    }

    /// <summary>
    /// Splats pre ⊙ Q (Q₀ = softmax(−U) on the first iteration) of the pixels [start, end) into this partition's
    /// buffers. The first two terms (the usual smoothness + appearance pair) have their array references in locals:
    /// the JIT keeps them in registers instead of reloading each term's fields from the heap for every pixel.
    /// </summary>
    private void SplatRegisters<TW, TColumns>(int partition, int start, int end, bool fromUnary)
        where TW : struct, ICrfVectorWidth
        where TColumns : struct, ICrfSwitch
    {
        int lp = _lp, nt = _kernelTerms.Length, labels = Labels;
        bool two = nt >= 2;
        // Rows of −U (first iteration) or of Q; Q handed over label-major is turned into rows eight pixels at a time in
        // the small buffer (the partition starts on a multiple of 8, and whole last blocks stay inside the array).
        bool columns = TColumns.IsOn;
        ref float src0 = ref fromUnary ? ref _negUnary!.Ref : ref _qIn![columns ? 0 : _qInBase];
        RowBlock block = default; // a local, not a stackalloc: the kernels keep their frames free of localloc
        ref float block0 = ref block[0];
        KernelTerm ta = _kernelTerms[0], tb = _kernelTerms[two ? 1 : 0];
        ref int offA = ref MemoryMarshal.GetArrayDataReference(ta.Offsets);
        ref float wA = ref MemoryMarshal.GetArrayDataReference(ta.Weights);
        ref float valsA = ref _built[0].Buffers[partition].Ref;
        ref float preA = ref ta.Pre is { } pa ? ref MemoryMarshal.GetArrayDataReference(pa) : ref Unsafe.NullRef<float>();
        bool hasPreA = ta.Pre is not null;
        int d1A = ta.D1;
        ref int offB = ref MemoryMarshal.GetArrayDataReference(tb.Offsets);
        ref float wB = ref MemoryMarshal.GetArrayDataReference(tb.Weights);
        ref float valsB = ref _built[two ? 1 : 0].Buffers[partition].Ref;
        ref float preB = ref tb.Pre is { } pb ? ref MemoryMarshal.GetArrayDataReference(pb) : ref Unsafe.NullRef<float>();
        bool hasPreB = tb.Pre is not null;
        int d1B = tb.D1;
        KernelTerm[] extra = ExtraTerms(partition);
        for (int i = start; i < end; i++)
        {
            scoped ref float si = ref Unsafe.Add(ref src0, (nint)i * lp);
            if (columns)
            {
                int j = (i - start) & 7;
                if (j == 0)
                {
                    // A last partial block value by value: the handed-over array may end right after L·N values.
                    if (end - i >= 8) CrfVectorMath.ColumnsToRows8(ref Unsafe.Add(ref src0, i), PixelCount, labels, ref block0, lp);
                    else GatherRows(ref Unsafe.Add(ref src0, i), PixelCount, labels, ref block0, lp, end - i);
                }

                si = ref Unsafe.Add(ref block0, j * lp);
            }

            var a0 = Vector256.LoadUnsafe(ref si);
            var a1 = TW.Count > 1 ? Vector256.LoadUnsafe(ref si, 8) : default;
            var a2 = TW.Count > 2 ? Vector256.LoadUnsafe(ref si, 16) : default;
            if (fromUnary) Softmax<TW>(ref a0, ref a1, ref a2);
            Scatter<TW>(ref Unsafe.Add(ref offA, (nint)i * d1A), ref Unsafe.Add(ref wA, (nint)i * d1A), ref valsA, d1A, lp,
                Vector256.Create(hasPreA ? Unsafe.Add(ref preA, i) : 1f), a0, a1, a2);
            if (two)
            {
                Scatter<TW>(ref Unsafe.Add(ref offB, (nint)i * d1B), ref Unsafe.Add(ref wB, (nint)i * d1B), ref valsB, d1B, lp,
                    Vector256.Create(hasPreB ? Unsafe.Add(ref preB, i) : 1f), a0, a1, a2);
            }

            foreach (ref KernelTerm t in extra.AsSpan())
            {
                Scatter<TW>(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(t.Offsets), (nint)i * t.D1),
                    ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(t.Weights), (nint)i * t.D1), ref t.Values.Ref, t.D1, lp,
                    Vector256.Create(t.Pre is { } pre ? pre[i] : 1f), a0, a1, a2);
            }
        }
    }

    /// <summary>
    /// The slice + unary + softmax of the pixels of one chunk: t = −U + Σ_k message_k goes to Q's row, and every eight
    /// rows are turned into Q together by <see cref="CrfVectorMath.SoftmaxRows8"/> (a last partial block row by row). On
    /// the last step of Inference the rows go to a small buffer and <see cref="CrfVectorMath.RowsToColumnsSoftmax8"/>
    /// writes them label-major into Q's array.
    /// Array references are hoisted as in <see cref="SplatRegisters{TW, TColumns}(int, int, int, bool)"/>.
    /// </summary>
    private void SliceRegisters<TW, TColumns>(int chunk)
        where TW : struct, ICrfVectorWidth
        where TColumns : struct, ICrfSwitch
    {
        int lp = _lp, n = PixelCount, labels = Labels, nt = _kernelTerms.Length;
        int i0 = chunk * PixelChunk, i1 = Math.Min(n, i0 + PixelChunk);
        bool two = nt >= 2;
        ref float u0 = ref _negUnary!.Ref;
        // The next Q's rows, or, on the last step of Inference, eight rows at a time in the small buffer, then label-major.
        bool columns = TColumns.IsOn;
        ref float q0 = ref _qOut![columns ? 0 : _qOutBase];
        RowBlock block = default; // a local, not a stackalloc: the kernels keep their frames free of localloc
        ref float block0 = ref block[0];
        KernelTerm ta = _kernelTerms[0], tb = _kernelTerms[two ? 1 : 0];
        ref int offA = ref MemoryMarshal.GetArrayDataReference(ta.Offsets);
        ref float wA = ref MemoryMarshal.GetArrayDataReference(ta.Weights);
        ref float valsA = ref _built[0].Blurred!.Ref;
        ref float postA = ref ta.Post is { } pa ? ref MemoryMarshal.GetArrayDataReference(pa) : ref Unsafe.NullRef<float>();
        bool hasPostA = ta.Post is not null;
        float scaleA = ta.SliceScale;
        int d1A = ta.D1;
        ref int offB = ref MemoryMarshal.GetArrayDataReference(tb.Offsets);
        ref float wB = ref MemoryMarshal.GetArrayDataReference(tb.Weights);
        ref float valsB = ref _built[two ? 1 : 0].Blurred!.Ref;
        ref float postB = ref tb.Post is { } pb ? ref MemoryMarshal.GetArrayDataReference(pb) : ref Unsafe.NullRef<float>();
        bool hasPostB = tb.Post is not null;
        float scaleB = tb.SliceScale;
        int d1B = tb.D1;
        KernelTerm[] extra = ExtraTerms(-1);
        for (int i = i0; i < i1; i++)
        {
            ref float ui = ref Unsafe.Add(ref u0, (nint)i * lp);
            var a0 = Vector256.LoadUnsafe(ref ui);
            var a1 = TW.Count > 1 ? Vector256.LoadUnsafe(ref ui, 8) : default;
            var a2 = TW.Count > 2 ? Vector256.LoadUnsafe(ref ui, 16) : default;
            Gather<TW>(ref Unsafe.Add(ref offA, (nint)i * d1A), ref Unsafe.Add(ref wA, (nint)i * d1A), ref valsA, d1A, lp,
                Vector256.Create(hasPostA ? scaleA * Unsafe.Add(ref postA, i) : scaleA), ref a0, ref a1, ref a2);
            if (two)
            {
                Gather<TW>(ref Unsafe.Add(ref offB, (nint)i * d1B), ref Unsafe.Add(ref wB, (nint)i * d1B), ref valsB, d1B, lp,
                    Vector256.Create(hasPostB ? scaleB * Unsafe.Add(ref postB, i) : scaleB), ref a0, ref a1, ref a2);
            }

            foreach (ref KernelTerm t in extra.AsSpan())
            {
                Gather<TW>(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(t.Offsets), (nint)i * t.D1),
                    ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(t.Weights), (nint)i * t.D1), ref t.Values.Ref, t.D1, lp,
                    Vector256.Create(t.Post is { } post ? t.SliceScale * post[i] : t.SliceScale), ref a0, ref a1, ref a2);
            }

            int j = (i - i0) & 7;
            scoped ref float qi = ref columns ? ref Unsafe.Add(ref block0, j * lp) : ref Unsafe.Add(ref q0, (nint)i * lp);
            Vector256.StoreUnsafe(a0, ref qi);
            if (TW.Count > 1) Vector256.StoreUnsafe(a1, ref qi, 8);
            if (TW.Count > 2) Vector256.StoreUnsafe(a2, ref qi, 16);
            if (j != 7) continue;
            if (columns) CrfVectorMath.RowsToColumnsSoftmax8(ref block0, lp, ref Unsafe.Add(ref q0, i - 7), n, labels);
            else CrfVectorMath.SoftmaxRows8(ref Unsafe.Add(ref qi, -7 * lp), lp, labels);
        }

        int tail = (i1 - i0) & 7;
        for (int j = 0; j < tail; j++)
        {
            int i = i1 - tail + j;
            scoped ref float qi = ref columns ? ref Unsafe.Add(ref block0, j * lp) : ref Unsafe.Add(ref q0, (nint)i * lp);
            CrfVectorMath.Softmax(ref qi, ref qi, lp);
            if (columns)
            {
                for (int k = 0; k < labels; k++) Unsafe.Add(ref q0, (nint)k * n + i) = Unsafe.Add(ref qi, k);
            }
        }
    }

    /// <summary>rows[j·lp + k] = columns[k·stride + j] for the first <paramref name="count"/> (&lt; 8) pixels, 0 in the padding lanes.</summary>
    private static void GatherRows(ref float columns, int stride, int labels, ref float rows, int lp, int count)
    {
        for (int j = 0; j < count; j++)
        {
            ref float row = ref Unsafe.Add(ref rows, j * lp);
            for (int k = 0; k < lp; k++) Unsafe.Add(ref row, k) = k < labels ? Unsafe.Add(ref columns, (nint)k * stride + j) : 0f;
        }
    }

    /// <summary>
    /// Private copies of the terms after the first two, each with the splat buffer of <paramref name="partition"/>, or
    /// (−1) the blurred values (partitions run concurrently, so the shared array must not carry a partition's buffer);
    /// empty, without allocating, for up to two terms.
    /// </summary>
    private KernelTerm[] ExtraTerms(int partition)
    {
        int nt = _kernelTerms.Length;
        if (nt <= 2) return [];
        var extra = new KernelTerm[nt - 2];
        for (int k = 2; k < nt; k++)
        {
            extra[k - 2] = _kernelTerms[k];
            extra[k - 2].Values = partition >= 0 ? _built[k].Buffers[partition] : _built[k].Blurred!;
        }

        return extra;
    }

    /// <summary>rows[off_r] += w_r · s · a for the d1 vertices of one pixel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Scatter<TW>(ref int off, ref float w, ref float vals, int d1, int lp, Vector256<float> s,
        Vector256<float> a0, Vector256<float> a1, Vector256<float> a2)
        where TW : struct, ICrfVectorWidth
    {
        var b0 = a0 * s;
        var b1 = TW.Count > 1 ? a1 * s : default;
        var b2 = TW.Count > 2 ? a2 * s : default;
        for (int r = 0; r < d1; r++)
        {
            ref float row = ref Unsafe.Add(ref vals, (nint)Unsafe.Add(ref off, r) * lp);
            var wr = Vector256.Create(Unsafe.Add(ref w, r));
            Vector256.StoreUnsafe(Vector256.FusedMultiplyAdd(wr, b0, Vector256.LoadUnsafe(ref row)), ref row);
            if (TW.Count > 1) Vector256.StoreUnsafe(Vector256.FusedMultiplyAdd(wr, b1, Vector256.LoadUnsafe(ref row, 8)), ref row, 8);
            if (TW.Count > 2) Vector256.StoreUnsafe(Vector256.FusedMultiplyAdd(wr, b2, Vector256.LoadUnsafe(ref row, 16)), ref row, 16);
        }
    }

    /// <summary>a += scale · Σ_r w_r · rows[off_r] for the d1 vertices of one pixel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Gather<TW>(ref int off, ref float w, ref float vals, int d1, int lp, Vector256<float> scale,
        ref Vector256<float> a0, ref Vector256<float> a1, ref Vector256<float> a2)
        where TW : struct, ICrfVectorWidth
    {
        var s0 = Vector256<float>.Zero;
        var s1 = Vector256<float>.Zero;
        var s2 = Vector256<float>.Zero;
        for (int r = 0; r < d1; r++)
        {
            ref float row = ref Unsafe.Add(ref vals, (nint)Unsafe.Add(ref off, r) * lp);
            var wr = Vector256.Create(Unsafe.Add(ref w, r));
            s0 = Vector256.FusedMultiplyAdd(wr, Vector256.LoadUnsafe(ref row), s0);
            if (TW.Count > 1) s1 = Vector256.FusedMultiplyAdd(wr, Vector256.LoadUnsafe(ref row, 8), s1);
            if (TW.Count > 2) s2 = Vector256.FusedMultiplyAdd(wr, Vector256.LoadUnsafe(ref row, 16), s2);
        }

        a0 = Vector256.FusedMultiplyAdd(scale, s0, a0);
        if (TW.Count > 1) a1 = Vector256.FusedMultiplyAdd(scale, s1, a1);
        if (TW.Count > 2) a2 = Vector256.FusedMultiplyAdd(scale, s2, a2);
    }

    /// <summary>Softmax over the row held in registers, as <see cref="CrfVectorMath.Softmax(ref float, ref float, int)"/> computes it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Softmax<TW>(ref Vector256<float> a0, ref Vector256<float> a1, ref Vector256<float> a2)
        where TW : struct, ICrfVectorWidth
    {
        var mx = a0;
        if (TW.Count > 1) mx = Vector256.MaxNative(mx, a1);
        if (TW.Count > 2) mx = Vector256.MaxNative(mx, a2);
        var m4 = Vector128.MaxNative(mx.GetLower(), mx.GetUpper());
        m4 = Vector128.MaxNative(m4, Vector128.Shuffle(m4, Vector128.Create(2, 3, 0, 1)));
        m4 = Vector128.MaxNative(m4, Vector128.Shuffle(m4, Vector128.Create(1, 0, 3, 2)));
        var vm = Vector256.Create(m4, m4);
        a0 = CrfVectorMath.Exp(a0 - vm);
        var sum = Vector256<float>.Zero + a0;
        if (TW.Count > 1)
        {
            a1 = CrfVectorMath.Exp(a1 - vm);
            sum += a1;
        }

        if (TW.Count > 2)
        {
            a2 = CrfVectorMath.Exp(a2 - vm);
            sum += a2;
        }

        var inv = Vector256.Create(1f / Vector256.Sum(sum));
        a0 *= inv;
        if (TW.Count > 1) a1 *= inv;
        if (TW.Count > 2) a2 *= inv;
    }

    /// <summary>Eight padded label rows (8 × 24 floats).</summary>
    [InlineArray(8 * 24)]
    private struct RowBlock
    {
        private float _element;
    }

    /// <summary>One term's arrays, hoisted for the pixel loops.</summary>
    private struct KernelTerm
    {
        public int[] Offsets;
        public float[] Weights;
        public float[]? Pre;
        public float[]? Post;
        public float SliceScale;
        public int D1;
        public CrfBuffer Values;
    }
}
