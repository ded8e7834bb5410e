namespace Wsss.Core.Imaging.Png;

/// <summary>The decoded IHDR chunk and the sizes that follow from it.</summary>
internal readonly record struct PngHeader(int Width, int Height, int BitDepth, PngColorType ColorType, bool Interlaced)
{
    /// <summary>Samples per pixel in the datastream.</summary>
    internal int SourceChannels => ColorType switch
    {
        PngColorType.Gray or PngColorType.Palette => 1,
        PngColorType.GrayAlpha => 2,
        PngColorType.Rgb => 3,
        _ => 4,
    };

    /// <summary>Bits per pixel.</summary>
    internal int BitsPerPixel => SourceChannels * BitDepth;

    /// <summary>The filter's "bpp": bytes per complete pixel, at least 1 (§7.3).</summary>
    internal int FilterStride => Math.Max(1, BitsPerPixel / 8);

    /// <summary>Bytes of one scanline of <paramref name="width"/> pixels, without the filter byte.</summary>
    internal long RowBytes(int width) => ((long)width * BitsPerPixel + 7) / 8;

    /// <summary>Width and height of a reduced image: the whole image, or Adam7 pass <paramref name="pass"/>.</summary>
    internal (int Width, int Height) PassSize(int pass)
    {
        if (!Interlaced) return (Width, Height);
        var (x0, y0, dx, dy) = PngConstants.Adam7[pass];
        int w = Width > x0 ? (Width - x0 + dx - 1) / dx : 0;
        int h = Height > y0 ? (Height - y0 + dy - 1) / dy : 0;
        return (w, h);
    }

    /// <summary>Number of passes: 7 for Adam7, else 1.</summary>
    internal int PassCount => Interlaced ? 7 : 1;

    /// <summary>Bytes of the filtered, decompressed image data (filter bytes included).</summary>
    internal long RawSize()
    {
        long total = 0;
        for (int p = 0; p < PassCount; p++)
        {
            var (w, h) = PassSize(p);
            if (w == 0 || h == 0) continue;
            total += h * (RowBytes(w) + 1);
        }
        return total;
    }

    /// <summary>Whether the bit depth is allowed for the colour type (§11.2.2, table 11.1).</summary>
    internal static bool IsValidCombination(PngColorType colorType, int bitDepth) => colorType switch
    {
        PngColorType.Gray => bitDepth is 1 or 2 or 4 or 8 or 16,
        PngColorType.Palette => bitDepth is 1 or 2 or 4 or 8,
        PngColorType.Rgb or PngColorType.GrayAlpha or PngColorType.Rgba => bitDepth is 8 or 16,
        _ => false,
    };
}
