namespace Wsss.Core.Imaging.Png;

/// <summary>
/// Decodes PNG files (W3C PNG specification): every colour type, bit depths 1-16, Adam7 interlacing,
/// CRC and zlib (header, Adler-32, size) checks. See <c>Imaging/Png/README.md</c> for the channel rules.
/// </summary>
/// <remarks>
/// Images: gray → 1 channel; RGB → 3; RGBA → 4; gray + alpha → RGBA (gray replicated); palette → RGB, or
/// RGBA when a tRNS chunk is present. Gray below 8 bits is scaled to 0-255 and 16-bit samples are reduced to
/// their high byte, both as PIL does (PIL keeps 16-bit gray as mode "I"; this decoder returns value &gt;&gt; 8).
/// Corrupt, truncated or unsupported data raises <see cref="InvalidDataException"/> naming the file.
/// </remarks>
public static class PngDecoder
{
    /// <summary>Decodes a PNG file to an image.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The image.</returns>
    /// <exception cref="InvalidDataException">The file is not a valid or supported PNG.</exception>
    public static ImageBuffer Decode(string path)
    {
        var (data, length) = ImageCodecs.ReadAll(path);
        return new PngDecoderCore(path).DecodeImage(data, length);
    }

    /// <summary>Decodes a PNG datastream read from the current position to the end of <paramref name="stream"/>.</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="nameForErrors">Name used in error messages, typically the file path.</param>
    /// <returns>The image.</returns>
    /// <exception cref="InvalidDataException">The data is not a valid or supported PNG.</exception>
    public static ImageBuffer Decode(Stream stream, string? nameForErrors = null)
    {
        var (data, length) = ImageCodecs.ReadAll(stream, nameForErrors);
        return new PngDecoderCore(nameForErrors).DecodeImage(data, length);
    }

    /// <summary>
    /// Decodes a palette PNG to its palette indices (a VOC <c>SegmentationClass</c> map: 255 = void), or a
    /// grayscale PNG to its gray values (16-bit gray must hold values ≤ 255).
    /// </summary>
    /// <param name="path">The file.</param>
    /// <returns>The label map.</returns>
    /// <exception cref="InvalidDataException">The file is not a valid PNG, or not a palette or grayscale one.</exception>
    public static LabelMap DecodeLabels(string path)
    {
        var (data, length) = ImageCodecs.ReadAll(path);
        return new PngDecoderCore(path).DecodeLabels(data, length);
    }

    /// <summary>As <see cref="DecodeLabels(string)"/>, reading from the current position to the end of <paramref name="stream"/>.</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="nameForErrors">Name used in error messages, typically the file path.</param>
    /// <returns>The label map.</returns>
    /// <exception cref="InvalidDataException">The data is not a valid PNG, or not a palette or grayscale one.</exception>
    public static LabelMap DecodeLabels(Stream stream, string? nameForErrors = null)
    {
        var (data, length) = ImageCodecs.ReadAll(stream, nameForErrors);
        return new PngDecoderCore(nameForErrors).DecodeLabels(data, length);
    }
}
