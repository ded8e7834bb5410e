namespace Wsss.Core.Imaging.Jpeg;

/// <summary>
/// The EXIF orientation tag (TIFF 6.0 IFD0 tag 0x0112, EXIF 2.3 §4.6.4) and the transposition it asks for,
/// with the same meaning as PIL's <c>ImageOps.exif_transpose</c>.
/// </summary>
internal static class JpegExif
{
    /// <summary>Reads the orientation from a TIFF header + IFD0; returns 1 when absent, malformed or out of range.</summary>
    public static int ReadOrientation(ReadOnlySpan<byte> tiff)
    {
        if (tiff.Length < 8) return 1;
        bool little;
        if (tiff[0] == 'I' && tiff[1] == 'I') little = true;
        else if (tiff[0] == 'M' && tiff[1] == 'M') little = false;
        else return 1;
        if (U16(tiff, little, 2) != 42) return 1;
        long ifd = U32(tiff, little, 4);
        if (ifd < 8 || ifd + 2 > tiff.Length) return 1;
        int n = U16(tiff, little, (int)ifd);
        for (int i = 0; i < n; i++)
        {
            long e = ifd + 2 + (12L * i);
            if (e + 12 > tiff.Length) return 1;
            int o = (int)e;
            if (U16(tiff, little, o) != 0x0112) continue;
            int type = U16(tiff, little, o + 2);
            int value = type == 3 ? U16(tiff, little, o + 8) : type == 4 ? (int)Math.Min(U32(tiff, little, o + 8), 9) : 0;
            return value is >= 1 and <= 8 ? value : 1;
        }
        return 1;
    }

    private static int U16(ReadOnlySpan<byte> t, bool little, int o) =>
        little ? t[o] | (t[o + 1] << 8) : (t[o] << 8) | t[o + 1];

    private static long U32(ReadOnlySpan<byte> t, bool little, int o) => little
        ? (uint)(t[o] | (t[o + 1] << 8) | (t[o + 2] << 16) | (t[o + 3] << 24))
        : (uint)((t[o] << 24) | (t[o + 1] << 16) | (t[o + 2] << 8) | t[o + 3]);

    /// <summary>Returns the image transposed so that it displays upright (orientation 1 returns the input).</summary>
    public static ImageBuffer Apply(ImageBuffer image, int orientation)
    {
        if (orientation is < 2 or > 8) return image;
        int w = image.Width, h = image.Height, ch = image.Channels;
        bool swap = orientation >= 5;
        int ow = swap ? h : w, oh = swap ? w : h;
        var dst = new byte[image.Pixels.Length];
        var src = image.Pixels;
        for (int y = 0; y < oh; y++)
        {
            for (int x = 0; x < ow; x++)
            {
                // (sx, sy): the source pixel shown at output (x, y).
                (int sx, int sy) = orientation switch
                {
                    2 => (w - 1 - x, y),             // mirror horizontally
                    3 => (w - 1 - x, h - 1 - y),     // rotate 180
                    4 => (x, h - 1 - y),             // mirror vertically
                    5 => (y, x),                     // transpose
                    6 => (y, h - 1 - x),             // rotate 90 clockwise to display
                    7 => (w - 1 - y, h - 1 - x),     // transverse
                    _ => (w - 1 - y, x),             // 8: rotate 90 counter-clockwise to display
                };
                src.AsSpan(((sy * w) + sx) * ch, ch).CopyTo(dst.AsSpan(((y * ow) + x) * ch, ch));
            }
        }
        return new ImageBuffer(ow, oh, ch, dst);
    }
}
