namespace Wsss.Core.Imaging;

/// <summary>
/// The PASCAL VOC colour map: 256 RGB entries where entry i takes the bits of i, three at a time, into
/// the top bits of R, G and B (bit 0 → R bit 7, bit 1 → G bit 7, bit 2 → B bit 7, bit 3 → R bit 6, …),
/// as the VOC development kit's <c>labelcolormap</c> / <c>VOClabelcolormap</c> builds it.
/// Class 0 is black, 1 is (128, 0, 0), 15 (person) is (192, 128, 128), 255 (void) is (224, 224, 192).
/// </summary>
public static class VocPalette
{
    private static readonly byte[] s_rgb = Build();

    /// <summary>The 256 entries as 768 bytes R, G, B, R, G, B, … (a copy).</summary>
    public static byte[] ToArray() => (byte[])s_rgb.Clone();

    /// <summary>The 768 palette bytes without copying.</summary>
    internal static ReadOnlySpan<byte> Span => s_rgb;

    /// <summary>The colour of <paramref name="label"/>.</summary>
    /// <param name="label">A class index (255 = void).</param>
    public static (byte R, byte G, byte B) Color(byte label) => (s_rgb[label * 3], s_rgb[label * 3 + 1], s_rgb[label * 3 + 2]);

    private static byte[] Build()
    {
        var p = new byte[256 * 3];
        for (int i = 0; i < 256; i++)
        {
            int r = 0, g = 0, b = 0, c = i;
            for (int j = 0; j < 8; j++)
            {
                r |= ((c >> 0) & 1) << (7 - j);
                g |= ((c >> 1) & 1) << (7 - j);
                b |= ((c >> 2) & 1) << (7 - j);
                c >>= 3;
            }
            p[i * 3] = (byte)r;
            p[i * 3 + 1] = (byte)g;
            p[i * 3 + 2] = (byte)b;
        }
        return p;
    }
}
