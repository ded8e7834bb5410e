using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Wsss.Core.Crf;

/// <summary>
/// The register-resident per-pixel kernels of the iteration (Potts terms, up to 24 labels, AVX2): the label row
/// lives in one to three <see cref="Vector256{T}"/> registers from load to store, and every term's arrays are
/// hoisted out of the pixel loop. The arithmetic is that of the generic kernels, operation for operation.
/// </summary>
public sealed partial class DenseCrf
{
    private KernelTerm[] _kernelTerms = [];

    /// <summary>Whether the register kernels apply: SIMD, at most 24 labels, Potts terms only.</summary>
    private bool UseRegisterKernels { get; set; }

    private void PrepareKernels()
    {
        bool ok = Vector256.IsHardwareAccelerated && _lp <= 24;
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
        switch (_lp / 8)
        {
            case 1: SplatRegisters<ICrfVectorWidth.One>(partition, start, end, fromUnary); break;
            case 2: SplatRegisters<ICrfVectorWidth.Two>(partition, start, end, fromUnary); break;
            default: SplatRegisters<ICrfVectorWidth.Three>(partition, start, end, fromUnary); break;
        }
    }

    private void SliceRegisters(int chunk)
    {
        switch (_lp / 8)
        {
            case 1: SliceRegisters<ICrfVectorWidth.One>(chunk); break;
            case 2: SliceRegisters<ICrfVectorWidth.Two>(chunk); break;
            default: SliceRegisters<ICrfVectorWidth.Three>(chunk); break;
        }
    }

    private void SplatRegisters<TW>(int partition, int start, int end, bool fromUnary)
        where TW : struct, ICrfVectorWidth
    {
        int lp = _lp, nt = _kernelTerms.Length;
        ref float src0 = ref (fromUnary ? _negUnary! : _q!).Ref;
        // A private copy: partitions run concurrently and each splats into its own buffers (writing Values into the
        // shared array let one partition redirect another's splat into its buffer).
        var terms = new KernelTerm[nt];
        for (int k = 0; k < nt; k++)
        {
            terms[k] = _kernelTerms[k];
            terms[k].Values = _built[k].Buffers[partition];
        }

        for (int i = start; i < end; i++)
        {
            ref float si = ref Unsafe.Add(ref src0, (nint)i * lp);
            var a0 = Vector256.LoadUnsafe(ref si);
            var a1 = TW.Count > 1 ? Vector256.LoadUnsafe(ref si, 8) : default;
            var a2 = TW.Count > 2 ? Vector256.LoadUnsafe(ref si, 16) : default;
            if (fromUnary) Softmax<TW>(ref a0, ref a1, ref a2);
            for (int k = 0; k < nt; k++)
            {
                ref KernelTerm t = ref terms[k];
                var s = Vector256.Create(t.Pre is { } pre ? pre[i] : 1f);
                var b0 = a0 * s;
                var b1 = TW.Count > 1 ? a1 * s : default;
                var b2 = TW.Count > 2 ? a2 * s : default;
                int d1 = t.D1;
                ref int oi = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(t.Offsets), (nint)i * d1);
                ref float wi = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(t.Weights), (nint)i * d1);
                ref float vals = ref t.Values.Ref;
                for (int r = 0; r < d1; r++)
                {
                    ref float row = ref Unsafe.Add(ref vals, (nint)Unsafe.Add(ref oi, r) * lp);
                    var w = Vector256.Create(Unsafe.Add(ref wi, r));
                    Vector256.StoreUnsafe(Vector256.FusedMultiplyAdd(w, b0, Vector256.LoadUnsafe(ref row)), ref row);
                    if (TW.Count > 1) Vector256.StoreUnsafe(Vector256.FusedMultiplyAdd(w, b1, Vector256.LoadUnsafe(ref row, 8)), ref row, 8);
                    if (TW.Count > 2) Vector256.StoreUnsafe(Vector256.FusedMultiplyAdd(w, b2, Vector256.LoadUnsafe(ref row, 16)), ref row, 16);
                }
            }
        }
    }

    private void SliceRegisters<TW>(int chunk)
        where TW : struct, ICrfVectorWidth
    {
        int lp = _lp, n = PixelCount, nt = _kernelTerms.Length;
        int i0 = chunk * PixelChunk, i1 = Math.Min(n, i0 + PixelChunk);
        float[]? output = _output;
        ref float u0 = ref _negUnary!.Ref;
        ref float q0 = ref _q!.Ref;
        var terms = new KernelTerm[nt];
        for (int k = 0; k < nt; k++)
        {
            terms[k] = _kernelTerms[k];
            terms[k].Values = _built[k].Blurred!;
        }

        for (int i = i0; i < i1; i++)
        {
            ref float ui = ref Unsafe.Add(ref u0, (nint)i * lp);
            var a0 = Vector256.LoadUnsafe(ref ui);
            var a1 = TW.Count > 1 ? Vector256.LoadUnsafe(ref ui, 8) : default;
            var a2 = TW.Count > 2 ? Vector256.LoadUnsafe(ref ui, 16) : default;
            for (int k = 0; k < nt; k++)
            {
                ref KernelTerm t = ref terms[k];
                int d1 = t.D1;
                ref int oi = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(t.Offsets), (nint)i * d1);
                ref float wi = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(t.Weights), (nint)i * d1);
                ref float vals = ref t.Values.Ref;
                var s0 = Vector256<float>.Zero;
                var s1 = Vector256<float>.Zero;
                var s2 = Vector256<float>.Zero;
                for (int r = 0; r < d1; r++)
                {
                    ref float row = ref Unsafe.Add(ref vals, (nint)Unsafe.Add(ref oi, r) * lp);
                    var w = Vector256.Create(Unsafe.Add(ref wi, r));
                    s0 = Vector256.FusedMultiplyAdd(w, Vector256.LoadUnsafe(ref row), s0);
                    if (TW.Count > 1) s1 = Vector256.FusedMultiplyAdd(w, Vector256.LoadUnsafe(ref row, 8), s1);
                    if (TW.Count > 2) s2 = Vector256.FusedMultiplyAdd(w, Vector256.LoadUnsafe(ref row, 16), s2);
                }

                var sc = Vector256.Create(t.Post is { } post ? t.SliceScale * post[i] : t.SliceScale);
                a0 = Vector256.FusedMultiplyAdd(sc, s0, a0);
                if (TW.Count > 1) a1 = Vector256.FusedMultiplyAdd(sc, s1, a1);
                if (TW.Count > 2) a2 = Vector256.FusedMultiplyAdd(sc, s2, a2);
            }

            Softmax<TW>(ref a0, ref a1, ref a2);
            ref float qi = ref Unsafe.Add(ref q0, (nint)i * lp);
            Vector256.StoreUnsafe(a0, ref qi);
            if (TW.Count > 1) Vector256.StoreUnsafe(a1, ref qi, 8);
            if (TW.Count > 2) Vector256.StoreUnsafe(a2, ref qi, 16);
        }

        if (output is not null) WriteLabelMajor(_q!, output, i0, i1);
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
