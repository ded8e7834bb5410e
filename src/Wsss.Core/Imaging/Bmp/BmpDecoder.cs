namespace Wsss.Core.Imaging.Bmp;

/// <summary>
/// Decodes uncompressed Windows bitmaps: 1, 4 and 8-bit palettes, 24-bit and 32-bit pixels, bottom-up and
/// top-down, with BITMAPCOREHEADER, BITMAPINFOHEADER, BITMAPV4HEADER or BITMAPV5HEADER.
/// </summary>
/// <remarks>
/// Palette and 24-bit images decode to RGB; 32-bit BI_RGB to RGB (the fourth byte is padding, as PIL reads
/// it); 32-bit BI_BITFIELDS to RGBA when it declares an alpha mask, else RGB. RLE and 16-bit files raise
/// <see cref="InvalidDataException"/>, as do corrupt or truncated ones, naming the file.
/// </remarks>
public static class BmpDecoder
{
    /// <summary>Decodes a BMP file.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The image.</returns>
    /// <exception cref="InvalidDataException">The file is not a valid or supported BMP.</exception>
    public static ImageBuffer Decode(string path)
    {
        var (data, length) = ImageCodecs.ReadAll(path);
        return new BmpDecoderCore(path).Decode(data, length);
    }

    /// <summary>Decodes a BMP read from the current position to the end of <paramref name="stream"/>.</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="nameForErrors">Name used in error messages, typically the file path.</param>
    /// <returns>The image.</returns>
    /// <exception cref="InvalidDataException">The data is not a valid or supported BMP.</exception>
    public static ImageBuffer Decode(Stream stream, string? nameForErrors = null)
    {
        var (data, length) = ImageCodecs.ReadAll(stream, nameForErrors);
        return new BmpDecoderCore(nameForErrors).Decode(data, length);
    }
}
