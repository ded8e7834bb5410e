using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Wsss.Core.Imaging.Jpeg;

/// <summary>Colour space of the decoded components (JFIF, Adobe APP14 transform flag, component ids).</summary>
internal enum JpegColorSpace
{
    Gray,
    YCbCr,
    Rgb,
    Cmyk,
    Ycck,
}

/// <summary>
/// Colour conversion with libjpeg's fixed-point tables (jdcolor.c: 16 fractional bits, round half up),
/// so that results match libjpeg bit for bit. CMYK and YCCK are converted to RGB the way PIL's
/// <c>convert("RGB")</c> does for Adobe (inverted) CMYK: with the stored values C', M', Y', K'
/// (inverted ink), R = K' − round(K'·(255 − C')/255) and likewise for G and B.
/// </summary>
internal static class JpegColorConverter
{
    private const int ScaleBits = 16;
    private const int OneHalf = 1 << (ScaleBits - 1);

    private static readonly int[] CrR = new int[256], CbB = new int[256], CrG = new int[256], CbG = new int[256];

    /// <summary>Lets tests force the scalar path to check that both paths agree.</summary>
    internal static bool UseVector = true;

    private static readonly int FixCrR = Fix(1.40200), FixCbB = Fix(1.77200), FixCrG = Fix(0.71414), FixCbG = Fix(0.34414);

    private static int Fix(double x) => (int)((x * (1 << ScaleBits)) + 0.5);

    static JpegColorConverter()
    {
        for (int i = 0; i < 256; i++)
        {
            int x = i - 128;
            CrR[i] = ((FixCrR * x) + OneHalf) >> ScaleBits;
            CbB[i] = ((FixCbB * x) + OneHalf) >> ScaleBits;
            CrG[i] = -FixCrG * x;
            CbG[i] = (-FixCbG * x) + OneHalf;
        }
    }

    private static byte Clamp(int v) => (byte)Math.Clamp(v, 0, 255);

    /// <summary>PIL's MULDIV255: round(a·b/255) for bytes.</summary>
    private static int MulDiv255(int a, int b)
    {
        int t = (a * b) + 128;
        return ((t >> 8) + t) >> 8;
    }

    /// <summary>Clamp table: index v + 256 for v in −256..511.</summary>
    private static readonly byte[] ClampTable = BuildClamp();

    private static byte[] BuildClamp()
    {
        var t = new byte[768];
        for (int i = 0; i < t.Length; i++) t[i] = (byte)Math.Clamp(i - 256, 0, 255);
        return t;
    }

    private static unsafe void ConvertYCbCr(byte[] yRow, byte[] cbRow, byte[] crRow, int width, Span<byte> dst)
    {
        if (yRow.Length < width || cbRow.Length < width || crRow.Length < width || dst.Length < 3 * width)
            throw new ArgumentException("colour conversion rows too short");
        fixed (byte* py = yRow, pcb = cbRow, pcr = crRow, pd = dst, clamp = ClampTable)
        fixed (int* crr = CrR, cbb = CbB, crg = CrG, cbg = CbG)
        {
            byte* c = clamp + 256;
            byte* o = pd;
            int x = 0;
            if (Avx2.IsSupported && UseVector)
            {
                // The same fixed-point formulas as the tables, eight pixels per step. Each pixel is packed as
                // R | G << 8 | B << 16 in a 32-bit lane, compacted to 12 bytes per 128-bit half and stored as two
                // 16-byte writes; the 4 bytes written past the 24 are overwritten by the next step, so the loop
                // stops while they would still fall outside dst.
                var half = Vector256.Create(OneHalf);
                var center = Vector256.Create(128);
                var max = Vector256.Create(255);
                var crR = Vector256.Create(FixCrR);
                var cbB = Vector256.Create(FixCbB);
                var crG = Vector256.Create(-FixCrG);
                var cbG = Vector256.Create(-FixCbG);
                var compact = Vector256.Create(
                    (byte)0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, 0x80, 0x80, 0x80, 0x80,
                    0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, 0x80, 0x80, 0x80, 0x80);
                int limit = Math.Min(width - 8, (dst.Length - 28) / 3);
                for (; x <= limit; x += 8, o += 24)
                {
                    var yv = Avx2.ConvertToVector256Int32(py + x);
                    var cbv = Avx2.ConvertToVector256Int32(pcb + x) - center;
                    var crv = Avx2.ConvertToVector256Int32(pcr + x) - center;
                    var rv = yv + (((crv * crR) + half) >> ScaleBits);
                    var gv = yv + (((cbv * cbG) + half + (crv * crG)) >> ScaleBits);
                    var bv = yv + (((cbv * cbB) + half) >> ScaleBits);
                    rv = Vector256.Min(Vector256.Max(rv, Vector256<int>.Zero), max);
                    gv = Vector256.Min(Vector256.Max(gv, Vector256<int>.Zero), max);
                    bv = Vector256.Min(Vector256.Max(bv, Vector256<int>.Zero), max);
                    var packed = Avx2.Shuffle((rv | (gv << 8) | (bv << 16)).AsByte(), compact);
                    packed.GetLower().Store(o);
                    packed.GetUpper().Store(o + 12);
                }
            }
            for (; x < width; x++, o += 3)
            {
                int yy = py[x], b = pcb[x], r = pcr[x];
                o[0] = c[yy + crr[r]];
                o[1] = c[yy + ((cbg[b] + crg[r]) >> ScaleBits)];
                o[2] = c[yy + cbb[b]];
            }
        }
    }

    public static void Convert(JpegColorSpace space, byte[][] rows, int width, Span<byte> dst)
    {
        switch (space)
        {
            case JpegColorSpace.Gray:
                rows[0].AsSpan(0, width).CopyTo(dst);
                return;
            case JpegColorSpace.Rgb:
                {
                    var r = rows[0]; var g = rows[1]; var b = rows[2];
                    for (int x = 0; x < width; x++)
                    {
                        dst[3 * x] = r[x]; dst[(3 * x) + 1] = g[x]; dst[(3 * x) + 2] = b[x];
                    }
                    return;
                }
            case JpegColorSpace.YCbCr:
                ConvertYCbCr(rows[0], rows[1], rows[2], width, dst);
                return;
            default:
                {
                    bool ycck = space == JpegColorSpace.Ycck;
                    var c0 = rows[0]; var c1 = rows[1]; var c2 = rows[2]; var k = rows[3];
                    for (int x = 0; x < width; x++)
                    {
                        int c, m, yl;
                        if (ycck)
                        {
                            int yy = c0[x], b = c1[x], r = c2[x];
                            c = 255 - Clamp(yy + CrR[r]);
                            m = 255 - Clamp(yy + ((CbG[b] + CrG[r]) >> ScaleBits));
                            yl = 255 - Clamp(yy + CbB[b]);
                        }
                        else
                        {
                            c = c0[x]; m = c1[x]; yl = c2[x];
                        }
                        // PIL reads Adobe CMYK inverted ("CMYK;I"): ink = 255 − stored; then cmyk2rgb.
                        int nk = k[x];
                        dst[3 * x] = Clamp(nk - MulDiv255(255 - c, nk));
                        dst[(3 * x) + 1] = Clamp(nk - MulDiv255(255 - m, nk));
                        dst[(3 * x) + 2] = Clamp(nk - MulDiv255(255 - yl, nk));
                    }
                    return;
                }
        }
    }
}
