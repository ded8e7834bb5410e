using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Wsss.Core.Crf;

/// <summary>
/// Moves label maps between the caller's label-major layout (L rows of N pixels) and the CRF's pixel-major rows
/// (N rows of Lp labels), in 8×8 tiles transposed in AVX registers where available, scalar otherwise.
/// </summary>
internal static class CrfTranspose
{
    /// <summary>
    /// rows[i·lp + k] = labelMajor[k·n + i] for pixels i in [<paramref name="i0"/>, <paramref name="i1"/>) and
    /// labels k &lt; <paramref name="l"/>; the padding lanes l ≤ k &lt; lp get <paramref name="pad"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ToRows(ref float labelMajor, int n, int l, ref float rows, int lp, int i0, int i1, float pad)
    {
        int i = i0;
        if (Avx.IsSupported)
        {
            var padVec = Vector256.Create(pad);
            for (; i + 8 <= i1; i += 8)
            {
                for (int kb = 0; kb < lp; kb += 8)
                {
                    var r0 = Row(ref labelMajor, n, l, kb, i, padVec);
                    var r1 = Row(ref labelMajor, n, l, kb + 1, i, padVec);
                    var r2 = Row(ref labelMajor, n, l, kb + 2, i, padVec);
                    var r3 = Row(ref labelMajor, n, l, kb + 3, i, padVec);
                    var r4 = Row(ref labelMajor, n, l, kb + 4, i, padVec);
                    var r5 = Row(ref labelMajor, n, l, kb + 5, i, padVec);
                    var r6 = Row(ref labelMajor, n, l, kb + 6, i, padVec);
                    var r7 = Row(ref labelMajor, n, l, kb + 7, i, padVec);
                    Transpose(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
                    ref float d = ref Unsafe.Add(ref rows, (nint)i * lp + kb);
                    Vector256.StoreUnsafe(r0, ref d);
                    Vector256.StoreUnsafe(r1, ref d, (nuint)lp);
                    Vector256.StoreUnsafe(r2, ref d, (nuint)(2 * lp));
                    Vector256.StoreUnsafe(r3, ref d, (nuint)(3 * lp));
                    Vector256.StoreUnsafe(r4, ref d, (nuint)(4 * lp));
                    Vector256.StoreUnsafe(r5, ref d, (nuint)(5 * lp));
                    Vector256.StoreUnsafe(r6, ref d, (nuint)(6 * lp));
                    Vector256.StoreUnsafe(r7, ref d, (nuint)(7 * lp));
                }
            }
        }

        for (; i < i1; i++)
        {
            ref float d = ref Unsafe.Add(ref rows, (nint)i * lp);
            for (int k = 0; k < l; k++) Unsafe.Add(ref d, k) = Unsafe.Add(ref labelMajor, (nint)k * n + i);
            for (int k = l; k < lp; k++) Unsafe.Add(ref d, k) = pad;
        }
    }

    /// <summary>labelMajor[k·n + i] = rows[i·lp + k] for pixels i in [<paramref name="i0"/>, <paramref name="i1"/>) and labels k &lt; <paramref name="l"/>.</summary>
    public static void ToLabelMajor(ref float rows, int lp, ref float labelMajor, int n, int l, int i0, int i1)
    {
        int i = i0;
        if (Avx.IsSupported)
        {
            for (; i + 8 <= i1; i += 8)
            {
                for (int kb = 0; kb < l; kb += 8)
                {
                    ref float s = ref Unsafe.Add(ref rows, (nint)i * lp + kb);
                    var r0 = Vector256.LoadUnsafe(ref s);
                    var r1 = Vector256.LoadUnsafe(ref s, (nuint)lp);
                    var r2 = Vector256.LoadUnsafe(ref s, (nuint)(2 * lp));
                    var r3 = Vector256.LoadUnsafe(ref s, (nuint)(3 * lp));
                    var r4 = Vector256.LoadUnsafe(ref s, (nuint)(4 * lp));
                    var r5 = Vector256.LoadUnsafe(ref s, (nuint)(5 * lp));
                    var r6 = Vector256.LoadUnsafe(ref s, (nuint)(6 * lp));
                    var r7 = Vector256.LoadUnsafe(ref s, (nuint)(7 * lp));
                    Transpose(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
                    int valid = Math.Min(8, l - kb);
                    ref float d = ref Unsafe.Add(ref labelMajor, (nint)kb * n + i);
                    Vector256.StoreUnsafe(r0, ref d);
                    if (valid > 1) Vector256.StoreUnsafe(r1, ref d, (nuint)n);
                    if (valid > 2) Vector256.StoreUnsafe(r2, ref d, (nuint)(2L * n));
                    if (valid > 3) Vector256.StoreUnsafe(r3, ref d, (nuint)(3L * n));
                    if (valid > 4) Vector256.StoreUnsafe(r4, ref d, (nuint)(4L * n));
                    if (valid > 5) Vector256.StoreUnsafe(r5, ref d, (nuint)(5L * n));
                    if (valid > 6) Vector256.StoreUnsafe(r6, ref d, (nuint)(6L * n));
                    if (valid > 7) Vector256.StoreUnsafe(r7, ref d, (nuint)(7L * n));
                }
            }
        }

        for (int k = 0; k < l; k++)
        {
            ref float d = ref Unsafe.Add(ref labelMajor, (nint)k * n);
            for (int j = i; j < i1; j++) Unsafe.Add(ref d, j) = Unsafe.Add(ref rows, (nint)j * lp + k);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Row(ref float labelMajor, int n, int l, int k, int i, Vector256<float> pad)
        => k < l ? Vector256.LoadUnsafe(ref labelMajor, (nuint)((long)k * n + i)) : pad;

    /// <summary>Transposes the 8×8 tile held in r0..r7 (row j becomes column j); needs AVX.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Transpose(ref Vector256<float> r0, ref Vector256<float> r1, ref Vector256<float> r2, ref Vector256<float> r3,
        ref Vector256<float> r4, ref Vector256<float> r5, ref Vector256<float> r6, ref Vector256<float> r7)
    {
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);
        var s0 = Avx.Shuffle(t0, t2, 0x44);
        var s1 = Avx.Shuffle(t0, t2, 0xEE);
        var s2 = Avx.Shuffle(t1, t3, 0x44);
        var s3 = Avx.Shuffle(t1, t3, 0xEE);
        var s4 = Avx.Shuffle(t4, t6, 0x44);
        var s5 = Avx.Shuffle(t4, t6, 0xEE);
        var s6 = Avx.Shuffle(t5, t7, 0x44);
        var s7 = Avx.Shuffle(t5, t7, 0xEE);
        r0 = Avx.Permute2x128(s0, s4, 0x20);
        r1 = Avx.Permute2x128(s1, s5, 0x20);
        r2 = Avx.Permute2x128(s2, s6, 0x20);
        r3 = Avx.Permute2x128(s3, s7, 0x20);
        r4 = Avx.Permute2x128(s0, s4, 0x31);
        r5 = Avx.Permute2x128(s1, s5, 0x31);
        r6 = Avx.Permute2x128(s2, s6, 0x31);
        r7 = Avx.Permute2x128(s3, s7, 0x31);
    }
}
