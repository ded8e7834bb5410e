using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Wsss.Core.Imaging.Jpeg;

/// <summary>
/// The same islow transform on eight columns (pass 1) and eight rows (pass 2) at once with <see cref="Vector256{T}"/>
/// of int: every lane performs exactly the scalar arithmetic (wrapping 32-bit products, arithmetic shifts),
/// so results are bit-identical to <see cref="Transform(ReadOnlySpan{short}, ReadOnlySpan{ushort}, Span{int}, Span{byte}, int)"/>'s scalar path.
/// </summary>
internal static partial class JpegIdct
{
    private static unsafe void TransformVector256(short* coefficients, ushort* quant, int* workspace, byte* output, int stride)
    {
        // Pass 1: lane = column; x_k = dequantised row k.
        var x0 = Load(coefficients, quant, 0);
        var x1 = Load(coefficients, quant, 1);
        var x2 = Load(coefficients, quant, 2);
        var x3 = Load(coefficients, quant, 3);
        var x4 = Load(coefficients, quant, 4);
        var x5 = Load(coefficients, quant, 5);
        var x6 = Load(coefficients, quant, 6);
        var x7 = Load(coefficients, quant, 7);
        Kernel(ref x0, ref x1, ref x2, ref x3, ref x4, ref x5, ref x6, ref x7, ConstBits - Pass1Bits);
        x0.Store(workspace);
        x1.Store(workspace + 8);
        x2.Store(workspace + 16);
        x3.Store(workspace + 24);
        x4.Store(workspace + 32);
        x5.Store(workspace + 40);
        x6.Store(workspace + 48);
        x7.Store(workspace + 56);

        // Pass 2: lane = row; x_k = column k of the workspace.
        x0 = Column(workspace, 0);
        x1 = Column(workspace, 1);
        x2 = Column(workspace, 2);
        x3 = Column(workspace, 3);
        x4 = Column(workspace, 4);
        x5 = Column(workspace, 5);
        x6 = Column(workspace, 6);
        x7 = Column(workspace, 7);
        Kernel(ref x0, ref x1, ref x2, ref x3, ref x4, ref x5, ref x6, ref x7, ConstBits + Pass1Bits + 3);
        Limit(x0).Store(workspace);
        Limit(x1).Store(workspace + 8);
        Limit(x2).Store(workspace + 16);
        Limit(x3).Store(workspace + 24);
        Limit(x4).Store(workspace + 32);
        Limit(x5).Store(workspace + 40);
        Limit(x6).Store(workspace + 48);
        Limit(x7).Store(workspace + 56);
        for (int r = 0; r < 8; r++)
        {
            byte* o = output + (r * stride);
            int* w = workspace + r;
            o[0] = (byte)w[0]; o[1] = (byte)w[8]; o[2] = (byte)w[16]; o[3] = (byte)w[24];
            o[4] = (byte)w[32]; o[5] = (byte)w[40]; o[6] = (byte)w[48]; o[7] = (byte)w[56];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<int> Load(short* c, ushort* q, int row)
    {
        var cv = Vector256.WidenLower(Vector128.Load(c + (row * 8)).ToVector256Unsafe());
        var qv = Vector256.WidenLower(Vector128.Load(q + (row * 8)).ToVector256Unsafe());
        return cv * qv.AsInt32();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<int> Column(int* w, int k) =>
        Vector256.Create(w[k], w[8 + k], w[16 + k], w[24 + k], w[32 + k], w[40 + k], w[48 + k], w[56 + k]);

    /// <summary>The wrap-around range limit of <see cref="RangeLimit"/>: u = (x + 128) &amp; 1023; u below 256 stays, below 640 is 255, else 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Limit(Vector256<int> x)
    {
        var u = (x + Vector256.Create(128)) & Vector256.Create(1023);
        return Vector256.Min(u, Vector256.Create(255)) & Vector256.LessThan(u, Vector256.Create(640));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Kernel(
        ref Vector256<int> x0, ref Vector256<int> x1, ref Vector256<int> x2, ref Vector256<int> x3,
        ref Vector256<int> x4, ref Vector256<int> x5, ref Vector256<int> x6, ref Vector256<int> x7, int shift)
    {
        var round = Vector256.Create(1 << (shift - 1));
        var z1 = (x2 + x6) * Vector256.Create(Fix0_541196100);
        var tmp2 = z1 + (x6 * Vector256.Create(-Fix1_847759065));
        var tmp3 = z1 + (x2 * Vector256.Create(Fix0_765366865));
        var tmp0 = (x0 + x4) << ConstBits;
        var tmp1 = (x0 - x4) << ConstBits;
        var tmp10 = tmp0 + tmp3;
        var tmp13 = tmp0 - tmp3;
        var tmp11 = tmp1 + tmp2;
        var tmp12 = tmp1 - tmp2;

        tmp0 = x7; tmp1 = x5; tmp2 = x3; tmp3 = x1;
        var o1 = tmp0 + tmp3;
        var o2 = tmp1 + tmp2;
        var o3 = tmp0 + tmp2;
        var o4 = tmp1 + tmp3;
        var z5 = (o3 + o4) * Vector256.Create(Fix1_175875602);
        tmp0 *= Vector256.Create(Fix0_298631336);
        tmp1 *= Vector256.Create(Fix2_053119869);
        tmp2 *= Vector256.Create(Fix3_072711026);
        tmp3 *= Vector256.Create(Fix1_501321110);
        o1 *= Vector256.Create(-Fix0_899976223);
        o2 *= Vector256.Create(-Fix2_562915447);
        o3 = (o3 * Vector256.Create(-Fix1_961570560)) + z5;
        o4 = (o4 * Vector256.Create(-Fix0_390180644)) + z5;
        tmp0 += o1 + o3;
        tmp1 += o2 + o4;
        tmp2 += o2 + o3;
        tmp3 += o1 + o4;

        x0 = (tmp10 + tmp3 + round) >> shift;
        x7 = (tmp10 - tmp3 + round) >> shift;
        x1 = (tmp11 + tmp2 + round) >> shift;
        x6 = (tmp11 - tmp2 + round) >> shift;
        x2 = (tmp12 + tmp1 + round) >> shift;
        x5 = (tmp12 - tmp1 + round) >> shift;
        x3 = (tmp13 + tmp0 + round) >> shift;
        x4 = (tmp13 - tmp0 + round) >> shift;
    }
}
