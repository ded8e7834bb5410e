using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Wsss.Core.Crf;

/// <summary>
/// Vector helpers of the CRF's hot loops: a single-precision exp (Cephes <c>expf</c>: range reduction by
/// ln 2 in two parts and a degree-6 polynomial, ≈1 ulp) and the in-row softmax built on it.
/// <see cref="Vector256.Exp(Vector256{float})"/> widens to double and is about twice as slow.
/// </summary>
internal static class CrfVectorMath
{
    private const float ExpHi = 88.3762626647949f;
    // Below ExpLo the result is flushed to exactly 0; clamping there (not at ln FLT_MIN = −87.34) keeps the
    // product y·2^n normal: a denormal result costs a micro-code assist of ~100 cycles per instruction.
    private const float ExpLo = -87f;

    /// <summary>exp(x) per lane; lanes below −87 give exactly 0, lanes above 88.38 give exp(88.38).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        var under = Vector256.LessThan(x, Vector256.Create(ExpLo));
        x = Vector256.MinNative(Vector256.MaxNative(x, Vector256.Create(ExpLo)), Vector256.Create(ExpHi));
        var fx = Vector256.Floor(Vector256.FusedMultiplyAdd(x, Vector256.Create(1.44269504088896341f), Vector256.Create(0.5f)));
        x = Vector256.FusedMultiplyAdd(fx, Vector256.Create(-0.693359375f), x);
        x = Vector256.FusedMultiplyAdd(fx, Vector256.Create(2.12194440e-4f), x);
        var y = Vector256.Create(1.9875691500E-4f);
        y = Vector256.FusedMultiplyAdd(y, x, Vector256.Create(1.3981999507E-3f));
        y = Vector256.FusedMultiplyAdd(y, x, Vector256.Create(8.3334519073E-3f));
        y = Vector256.FusedMultiplyAdd(y, x, Vector256.Create(4.1665795894E-2f));
        y = Vector256.FusedMultiplyAdd(y, x, Vector256.Create(1.6666665459E-1f));
        y = Vector256.FusedMultiplyAdd(y, x, Vector256.Create(5.0000001201E-1f));
        y = Vector256.FusedMultiplyAdd(y, x * x, x + Vector256<float>.One);
        // fx is integral and in [−126, 128]: a plain truncating conversion suffices (the saturating
        // Vector256.ConvertToInt32 needs a slow fix-up sequence without AVX-512).
        var n = Avx.IsSupported ? Avx.ConvertToVector256Int32WithTruncation(fx) : Vector256.ConvertToInt32(fx);
        var pow2 = Vector256.ShiftLeft(n + Vector256.Create(127), 23).AsSingle();
        return Vector256.AndNot(y * pow2, under.AsSingle());
    }

    /// <summary>
    /// ln(x) per lane for positive finite x (Cephes <c>logf</c>: x = m·2^e with m in [√½, √2), a degree-8
    /// polynomial in m − 1, ln 2 in two parts). Within 1 ulp of the correctly rounded value over the probabilities
    /// a CRF takes ([1e-5, 1] checked exhaustively); <see cref="Vector256.Log(Vector256{float})"/> and
    /// <c>TensorPrimitives.Log</c> are within 2 ulps and several times slower here.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Log(Vector256<float> x)
    {
        // Subnormal x (a clip below 2^-126): scaled by 2^23 into the normal range, 23·ln 2 taken off at the end.
        var subnormal = Vector256.LessThan(x, Vector256.Create(1.17549435e-38f));
        x = Vector256.ConditionalSelect(subnormal, x * Vector256.Create(8388608f), x);
        var bits = x.AsInt32();
        var m = ((bits & Vector256.Create(0x007FFFFF)) | Vector256.Create(0x3F800000)).AsSingle(); // [1, 2)
        var big = Vector256.GreaterThanOrEqual(m, Vector256.Create(1.41421356237f));
        m = Vector256.ConditionalSelect(big, m * Vector256.Create(0.5f), m);
        // big is −1 where set: e = exponent + 1 there.
        var e = Vector256.ConvertToSingle(Vector256.ShiftRightLogical(bits, 23) - Vector256.Create(127) - big.AsInt32());
        var t = m - Vector256<float>.One;
        var z = t * t;
        var y = Vector256.Create(7.0376836292E-2f);
        y = Vector256.FusedMultiplyAdd(y, t, Vector256.Create(-1.1514610310E-1f));
        y = Vector256.FusedMultiplyAdd(y, t, Vector256.Create(1.1676998740E-1f));
        y = Vector256.FusedMultiplyAdd(y, t, Vector256.Create(-1.2420140846E-1f));
        y = Vector256.FusedMultiplyAdd(y, t, Vector256.Create(1.4249322787E-1f));
        y = Vector256.FusedMultiplyAdd(y, t, Vector256.Create(-1.6668057665E-1f));
        y = Vector256.FusedMultiplyAdd(y, t, Vector256.Create(2.0000714765E-1f));
        y = Vector256.FusedMultiplyAdd(y, t, Vector256.Create(-2.4999993993E-1f));
        y = Vector256.FusedMultiplyAdd(y, t, Vector256.Create(3.3333331174E-1f));
        y = y * t * z;
        y = Vector256.FusedMultiplyAdd(e, Vector256.Create(-2.12194440e-4f), y);
        y = Vector256.FusedMultiplyAdd(z, Vector256.Create(-0.5f), y);
        var r = Vector256.FusedMultiplyAdd(e, Vector256.Create(0.693359375f), t + y);
        return r - (Vector256.Create(15.942385152878742f) & subnormal.AsSingle());
    }

    /// <summary>
    /// destination = −ln(clamp(source, clip, 1)) with <see cref="Log(Vector256{float})"/> (scalar <see cref="MathF.Log(float)"/>
    /// without SIMD); the spans may be the same. The caller has checked that every value is a non-negative finite number.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void NegLogClamped(ReadOnlySpan<float> source, Span<float> destination, float clip)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref float s0 = ref MemoryMarshal.GetReference(source);
            ref float d0 = ref MemoryMarshal.GetReference(destination);
            var lo = Vector256.Create(clip);
            for (; i + 8 <= source.Length; i += 8)
            {
                var v = Vector256.MinNative(Vector256.MaxNative(Vector256.LoadUnsafe(ref s0, (nuint)i), lo), Vector256<float>.One);
                Vector256.StoreUnsafe(-Log(v), ref d0, (nuint)i);
            }
        }

        for (; i < source.Length; i++) destination[i] = -LogOne(Math.Clamp(source[i], clip, 1f));
    }

    /// <summary>ln(x) of one value: a lane of <see cref="Log(Vector256{float})"/> where SIMD runs, so a value's log does not depend on its position.</summary>
    private static float LogOne(float x) => Vector256.IsHardwareAccelerated ? Log(Vector256.Create(x)).ToScalar() : MathF.Log(x);

    /// <summary>
    /// q = exp(t − max t) / Σ exp(t − max t) over one padded label row (length a multiple of 8; padding
    /// lanes hold −1e30 and give exactly 0); the input row <paramref name="t0"/> and the output row <paramref name="q0"/> may be the same.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Softmax(ref float t0, ref float q0, int lp)
    {
        if (!Vector256.IsHardwareAccelerated)
        {
            SoftmaxScalar(ref t0, ref q0, lp);
            return;
        }

        var mx = Vector256.LoadUnsafe(ref t0);
        for (int c = 8; c < lp; c += 8) mx = Vector256.MaxNative(mx, Vector256.LoadUnsafe(ref t0, (nuint)c));
        var m4 = Vector128.MaxNative(mx.GetLower(), mx.GetUpper());
        m4 = Vector128.MaxNative(m4, Vector128.Shuffle(m4, Vector128.Create(2, 3, 0, 1)));
        m4 = Vector128.MaxNative(m4, Vector128.Shuffle(m4, Vector128.Create(1, 0, 3, 2)));
        var vm = Vector256.Create(m4, m4);
        var sum = Vector256<float>.Zero;
        for (int c = 0; c < lp; c += 8)
        {
            var e = Exp(Vector256.LoadUnsafe(ref t0, (nuint)c) - vm);
            sum += e;
            Vector256.StoreUnsafe(e, ref q0, (nuint)c);
        }

        var inv = Vector256.Create(1f / Vector256.Sum(sum));
        for (int c = 0; c < lp; c += 8) Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref q0, (nuint)c) * inv, ref q0, (nuint)c);
    }

    /// <summary>
    /// Softmax of eight consecutive rows (stride <paramref name="lp"/>, a multiple of 8 up to 24) in place, computed
    /// across the rows: each 8×8 tile is transposed so that one vector holds one label of the eight pixels. Max, exp
    /// and sum are then lane-wise, with no horizontal reductions, and the eight pixels' dependency chains interleave
    /// (row by row, one pixel's chain of max, exp, sum and division is long enough to stall the pipeline). Labels from
    /// <paramref name="labels"/> on (the padding) come out exactly 0. Each value equals <see cref="Softmax(ref float, ref float, int)"/>'s
    /// up to the order in which the row's sum is accumulated. Needs AVX.
    /// </summary>
    [SkipLocalsInit]
    public static void SoftmaxRows8(ref float rows, int lp, int labels)
    {
        Span<Vector256<float>> cols = stackalloc Vector256<float>[24];
        ref Vector256<float> c0 = ref MemoryMarshal.GetReference(cols);
        for (int kb = 0; kb < lp; kb += 8)
        {
            ref float s = ref Unsafe.Add(ref rows, kb);
            var r0 = Vector256.LoadUnsafe(ref s);
            var r1 = Vector256.LoadUnsafe(ref s, (nuint)lp);
            var r2 = Vector256.LoadUnsafe(ref s, (nuint)(2 * lp));
            var r3 = Vector256.LoadUnsafe(ref s, (nuint)(3 * lp));
            var r4 = Vector256.LoadUnsafe(ref s, (nuint)(4 * lp));
            var r5 = Vector256.LoadUnsafe(ref s, (nuint)(5 * lp));
            var r6 = Vector256.LoadUnsafe(ref s, (nuint)(6 * lp));
            var r7 = Vector256.LoadUnsafe(ref s, (nuint)(7 * lp));
            CrfTranspose.Transpose(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
            ref Vector256<float> c = ref Unsafe.Add(ref c0, kb);
            c = r0;
            Unsafe.Add(ref c, 1) = r1;
            Unsafe.Add(ref c, 2) = r2;
            Unsafe.Add(ref c, 3) = r3;
            Unsafe.Add(ref c, 4) = r4;
            Unsafe.Add(ref c, 5) = r5;
            Unsafe.Add(ref c, 6) = r6;
            Unsafe.Add(ref c, 7) = r7;
        }

        SoftmaxLanes(ref c0, labels);
        for (int j = labels; j < lp; j++) Unsafe.Add(ref c0, j) = Vector256<float>.Zero;
        for (int kb = 0; kb < lp; kb += 8)
        {
            ref Vector256<float> c = ref Unsafe.Add(ref c0, kb);
            var r0 = c;
            var r1 = Unsafe.Add(ref c, 1);
            var r2 = Unsafe.Add(ref c, 2);
            var r3 = Unsafe.Add(ref c, 3);
            var r4 = Unsafe.Add(ref c, 4);
            var r5 = Unsafe.Add(ref c, 5);
            var r6 = Unsafe.Add(ref c, 6);
            var r7 = Unsafe.Add(ref c, 7);
            CrfTranspose.Transpose(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
            ref float d = ref Unsafe.Add(ref rows, kb);
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

    /// <summary>
    /// Eight pixels from label-major columns (label k at k·<paramref name="stride"/>) to padded pixel rows:
    /// <c>rows[j·lp + k] = columns[k·stride + j]</c> for k &lt; <paramref name="labels"/>, 0 in the padding lanes; the 8×8
    /// tiles are transposed in registers. Needs AVX; lp a multiple of 8 up to 24.
    /// </summary>
    [SkipLocalsInit]
    public static void ColumnsToRows8(ref float columns, int stride, int labels, ref float rows, int lp)
    {
        Span<Vector256<float>> cols = stackalloc Vector256<float>[24];
        ref Vector256<float> c0 = ref MemoryMarshal.GetReference(cols);
        for (int k = 0; k < labels; k++) Unsafe.Add(ref c0, k) = Vector256.LoadUnsafe(ref columns, (nuint)((nint)k * stride));
        for (int k = labels; k < lp; k++) Unsafe.Add(ref c0, k) = Vector256<float>.Zero;
        for (int kb = 0; kb < lp; kb += 8)
        {
            ref Vector256<float> c = ref Unsafe.Add(ref c0, kb);
            var r0 = c;
            var r1 = Unsafe.Add(ref c, 1);
            var r2 = Unsafe.Add(ref c, 2);
            var r3 = Unsafe.Add(ref c, 3);
            var r4 = Unsafe.Add(ref c, 4);
            var r5 = Unsafe.Add(ref c, 5);
            var r6 = Unsafe.Add(ref c, 6);
            var r7 = Unsafe.Add(ref c, 7);
            CrfTranspose.Transpose(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
            ref float d = ref Unsafe.Add(ref rows, kb);
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

    /// <summary>
    /// The softmax of eight padded rows t (<c>rows[j·lp + k]</c>, padding lanes ignored) written label-major:
    /// <c>q[k·qStride + j]</c> for k &lt; <paramref name="labels"/>. The rows are transposed to label vectors in registers
    /// and the softmax is lane-wise, as in <see cref="SoftmaxRows8(ref float, int, int)"/>. Needs AVX; lp a multiple of 8 up to 24.
    /// </summary>
    [SkipLocalsInit]
    public static void RowsToColumnsSoftmax8(ref float rows, int lp, ref float q, int qStride, int labels)
    {
        Span<Vector256<float>> cols = stackalloc Vector256<float>[24];
        ref Vector256<float> c0 = ref MemoryMarshal.GetReference(cols);
        for (int kb = 0; kb < lp; kb += 8)
        {
            ref float s = ref Unsafe.Add(ref rows, kb);
            var r0 = Vector256.LoadUnsafe(ref s);
            var r1 = Vector256.LoadUnsafe(ref s, (nuint)lp);
            var r2 = Vector256.LoadUnsafe(ref s, (nuint)(2 * lp));
            var r3 = Vector256.LoadUnsafe(ref s, (nuint)(3 * lp));
            var r4 = Vector256.LoadUnsafe(ref s, (nuint)(4 * lp));
            var r5 = Vector256.LoadUnsafe(ref s, (nuint)(5 * lp));
            var r6 = Vector256.LoadUnsafe(ref s, (nuint)(6 * lp));
            var r7 = Vector256.LoadUnsafe(ref s, (nuint)(7 * lp));
            CrfTranspose.Transpose(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
            ref Vector256<float> c = ref Unsafe.Add(ref c0, kb);
            c = r0;
            Unsafe.Add(ref c, 1) = r1;
            Unsafe.Add(ref c, 2) = r2;
            Unsafe.Add(ref c, 3) = r3;
            Unsafe.Add(ref c, 4) = r4;
            Unsafe.Add(ref c, 5) = r5;
            Unsafe.Add(ref c, 6) = r6;
            Unsafe.Add(ref c, 7) = r7;
        }

        SoftmaxLanes(ref c0, labels);
        for (int k = 0; k < labels; k++) Vector256.StoreUnsafe(Unsafe.Add(ref c0, k), ref q, (nuint)((nint)k * qStride));
    }

    /// <summary>In place, per lane: c_k ← exp(c_k − max c) / Σ exp(c − max c) over the <paramref name="labels"/> vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SoftmaxLanes(ref Vector256<float> c0, int labels)
    {
        var mx = c0;
        for (int k = 1; k < labels; k++) mx = Vector256.MaxNative(mx, Unsafe.Add(ref c0, k));
        var sum = Vector256<float>.Zero;
        for (int k = 0; k < labels; k++)
        {
            ref Vector256<float> c = ref Unsafe.Add(ref c0, k);
            var e = Exp(c - mx);
            c = e;
            sum += e;
        }

        var inv = Vector256<float>.One / sum;
        for (int k = 0; k < labels; k++) Unsafe.Add(ref c0, k) *= inv;
    }

    private static void SoftmaxScalar(ref float t0, ref float q0, int lp)
    {
        float mx = t0;
        for (int c = 1; c < lp; c++) mx = MathF.Max(mx, Unsafe.Add(ref t0, c));
        float sum = 0;
        for (int c = 0; c < lp; c++)
        {
            float v = Unsafe.Add(ref t0, c) - mx;
            float e = v < ExpLo ? 0f : MathF.Exp(v);
            sum += e;
            Unsafe.Add(ref q0, c) = e;
        }

        float inv = 1f / sum;
        for (int c = 0; c < lp; c++) Unsafe.Add(ref q0, c) *= inv;
    }

    /// <summary>Softmax of a span row (see <see cref="Softmax(ref float, ref float, int)"/>).</summary>
    public static void Softmax(ReadOnlySpan<float> t, Span<float> q) =>
        Softmax(ref MemoryMarshal.GetReference(t), ref MemoryMarshal.GetReference(q), t.Length);
}
