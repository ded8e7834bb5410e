using System.Runtime.Intrinsics;

namespace Wsss.Core.Imaging.Jpeg;

/// <summary>
/// The accurate integer inverse DCT: the Loeffler–Ligtenberg–Moschytz factorisation with 13-bit
/// constants and 2 extra bits between passes (the algorithm T.81 A.3.3 describes exactly, in the
/// fixed-point form the Independent JPEG Group's "islow" method uses), so that results agree with
/// libjpeg's default decode. Output is clamped to 0..255 through a wrap-around range table.
/// </summary>
internal static partial class JpegIdct
{
    /// <summary>Lets tests force the scalar path to check that both paths agree.</summary>
    internal static bool UseVector = true;

    private const int ConstBits = 13;
    private const int Pass1Bits = 2;
    private const int Fix0_298631336 = 2446;
    private const int Fix0_390180644 = 3196;
    private const int Fix0_541196100 = 4433;
    private const int Fix0_765366865 = 6270;
    private const int Fix0_899976223 = 7373;
    private const int Fix1_175875602 = 9633;
    private const int Fix1_501321110 = 12299;
    private const int Fix1_847759065 = 15137;
    private const int Fix1_961570560 = 16069;
    private const int Fix2_053119869 = 16819;
    private const int Fix2_562915447 = 20995;
    private const int Fix3_072711026 = 25172;

    /// <summary>Post-IDCT range table indexed by (value &amp; 1023): value + 128 clamped to 0..255, wrapping beyond ±512.</summary>
    private static readonly byte[] RangeLimit = BuildRangeLimit();

    private static byte[] BuildRangeLimit()
    {
        var t = new byte[1024];
        for (int i = 0; i < 1024; i++)
        {
            int v = i < 512 ? i : i - 1024;
            t[i] = (byte)Math.Clamp(v + 128, 0, 255);
        }
        return t;
    }

    /// <summary>Dequantises and inverse-transforms one block (natural order) into 8 rows of <paramref name="output"/>.</summary>
    /// <param name="coefficients">64 quantised coefficients.</param>
    /// <param name="quant">64 quantisation steps, natural order.</param>
    /// <param name="workspace">64-int scratch.</param>
    /// <param name="output">Destination; row r starts at r × <paramref name="stride"/>.</param>
    /// <param name="stride">Row stride of the destination.</param>
    public static unsafe void Transform(ReadOnlySpan<short> coefficients, ReadOnlySpan<ushort> quant, Span<int> workspace, Span<byte> output, int stride)
    {
        if (coefficients.Length < 64 || quant.Length < 64 || workspace.Length < 64 || output.Length < (7 * stride) + 8)
            throw new ArgumentException("IDCT spans too short");
        fixed (short* c = coefficients)
        fixed (ushort* q = quant)
        fixed (int* ws = workspace)
        fixed (byte* o = output)
        fixed (byte* r = RangeLimit)
        {
            Transform(c, q, ws, o, stride, r);
        }
    }

    private static unsafe void Transform(short* coefficients, ushort* quant, int* workspace, byte* output, int stride, byte* range)
    {
        // Fast path: DC only (the common case in smooth areas) gives a flat block.
        bool acZero = coefficients[1] == 0 && coefficients[2] == 0 && coefficients[3] == 0;
        ulong* lanes = (ulong*)coefficients;
        for (int i = 1; i < 16 && acZero; i++) acZero = lanes[i] == 0;
        if (acZero)
        {
            int dc = (coefficients[0] * quant[0]) << Pass1Bits;
            byte v = range[((dc + (1 << (Pass1Bits + 2))) >> (Pass1Bits + 3)) & 1023];
            ulong fill = 0x0101010101010101UL * v;
            for (int row = 0; row < 8; row++) *(ulong*)(output + (row * stride)) = fill;
            return;
        }
        if (Vector256.IsHardwareAccelerated && UseVector)
        {
            TransformVector256(coefficients, quant, workspace, output, stride);
            return;
        }

        for (int col = 0; col < 8; col++)
        {
            if (coefficients[8 + col] == 0 && coefficients[16 + col] == 0 && coefficients[24 + col] == 0 && coefficients[32 + col] == 0
                && coefficients[40 + col] == 0 && coefficients[48 + col] == 0 && coefficients[56 + col] == 0)
            {
                int dc = (coefficients[col] * quant[col]) << Pass1Bits;
                for (int r = 0; r < 8; r++) workspace[r * 8 + col] = dc;
                continue;
            }

            int z2 = coefficients[16 + col] * quant[16 + col];
            int z3 = coefficients[48 + col] * quant[48 + col];
            int z1 = (z2 + z3) * Fix0_541196100;
            int tmp2 = z1 + z3 * -Fix1_847759065;
            int tmp3 = z1 + z2 * Fix0_765366865;
            z2 = coefficients[col] * quant[col];
            z3 = coefficients[32 + col] * quant[32 + col];
            int tmp0 = (z2 + z3) << ConstBits;
            int tmp1 = (z2 - z3) << ConstBits;
            int tmp10 = tmp0 + tmp3, tmp13 = tmp0 - tmp3, tmp11 = tmp1 + tmp2, tmp12 = tmp1 - tmp2;

            tmp0 = coefficients[56 + col] * quant[56 + col];
            tmp1 = coefficients[40 + col] * quant[40 + col];
            tmp2 = coefficients[24 + col] * quant[24 + col];
            tmp3 = coefficients[8 + col] * quant[8 + col];
            Odd(ref tmp0, ref tmp1, ref tmp2, ref tmp3);

            const int s1 = ConstBits - Pass1Bits, r1 = 1 << (s1 - 1);
            workspace[col] = (tmp10 + tmp3 + r1) >> s1;
            workspace[56 + col] = (tmp10 - tmp3 + r1) >> s1;
            workspace[8 + col] = (tmp11 + tmp2 + r1) >> s1;
            workspace[48 + col] = (tmp11 - tmp2 + r1) >> s1;
            workspace[16 + col] = (tmp12 + tmp1 + r1) >> s1;
            workspace[40 + col] = (tmp12 - tmp1 + r1) >> s1;
            workspace[24 + col] = (tmp13 + tmp0 + r1) >> s1;
            workspace[32 + col] = (tmp13 - tmp0 + r1) >> s1;
        }

        const int s2 = ConstBits + Pass1Bits + 3, r2 = 1 << (s2 - 1);
        for (int row = 0; row < 8; row++)
        {
            int* w = workspace + (row * 8);
            byte* o = output + (row * stride);
            if ((w[1] | w[2] | w[3] | w[4] | w[5] | w[6] | w[7]) == 0)
            {
                *(ulong*)o = 0x0101010101010101UL * range[((w[0] + (1 << (Pass1Bits + 2))) >> (Pass1Bits + 3)) & 1023];
                continue;
            }

            int z2 = w[2], z3 = w[6];
            int z1 = (z2 + z3) * Fix0_541196100;
            int tmp2 = z1 + z3 * -Fix1_847759065;
            int tmp3 = z1 + z2 * Fix0_765366865;
            int tmp0 = (w[0] + w[4]) << ConstBits;
            int tmp1 = (w[0] - w[4]) << ConstBits;
            int tmp10 = tmp0 + tmp3, tmp13 = tmp0 - tmp3, tmp11 = tmp1 + tmp2, tmp12 = tmp1 - tmp2;

            tmp0 = w[7]; tmp1 = w[5]; tmp2 = w[3]; tmp3 = w[1];
            Odd(ref tmp0, ref tmp1, ref tmp2, ref tmp3);

            o[0] = range[((tmp10 + tmp3 + r2) >> s2) & 1023];
            o[7] = range[((tmp10 - tmp3 + r2) >> s2) & 1023];
            o[1] = range[((tmp11 + tmp2 + r2) >> s2) & 1023];
            o[6] = range[((tmp11 - tmp2 + r2) >> s2) & 1023];
            o[2] = range[((tmp12 + tmp1 + r2) >> s2) & 1023];
            o[5] = range[((tmp12 - tmp1 + r2) >> s2) & 1023];
            o[3] = range[((tmp13 + tmp0 + r2) >> s2) & 1023];
            o[4] = range[((tmp13 - tmp0 + r2) >> s2) & 1023];
        }
    }

    /// <summary>Odd part of the 8-point transform; inputs are the coefficients 7, 5, 3, 1.</summary>
    private static void Odd(ref int tmp0, ref int tmp1, ref int tmp2, ref int tmp3)
    {
        int z1 = tmp0 + tmp3, z2 = tmp1 + tmp2, z3 = tmp0 + tmp2, z4 = tmp1 + tmp3;
        int z5 = (z3 + z4) * Fix1_175875602;
        tmp0 *= Fix0_298631336;
        tmp1 *= Fix2_053119869;
        tmp2 *= Fix3_072711026;
        tmp3 *= Fix1_501321110;
        z1 *= -Fix0_899976223;
        z2 *= -Fix2_562915447;
        z3 = z3 * -Fix1_961570560 + z5;
        z4 = z4 * -Fix0_390180644 + z5;
        tmp0 += z1 + z3;
        tmp1 += z2 + z4;
        tmp2 += z2 + z3;
        tmp3 += z1 + z4;
    }
}
