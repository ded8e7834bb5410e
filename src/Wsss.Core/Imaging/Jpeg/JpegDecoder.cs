namespace Wsss.Core.Imaging.Jpeg;

/// <summary>
/// Decodes JPEG files (ITU-T T.81): baseline and extended sequential Huffman, progressive Huffman,
/// any integral chroma subsampling (4:4:4, 4:2:2, 4:4:0, 4:2:0, 4:1:1), restart intervals, grayscale,
/// YCbCr, RGB, and Adobe CMYK/YCCK, with optional EXIF orientation.
/// </summary>
/// <remarks>
/// Results follow libjpeg's default decode as PIL uses it: the accurate integer IDCT ("islow"),
/// "fancy" triangle-filter chroma up-sampling for 2:1 ratios, libjpeg's fixed-point YCbCr→RGB tables.
/// Output is 1 channel for grayscale files and 3 channels (RGB) otherwise; CMYK/YCCK are converted to RGB
/// as PIL's <c>convert("RGB")</c> does for Adobe (inverted) CMYK. Arithmetic coding, 12-bit precision,
/// lossless and hierarchical files are rejected. Every defect is reported as an
/// <see cref="InvalidDataException"/> that names the file and the problem.
/// </remarks>
public static class JpegDecoder
{
    /// <summary>Decodes a JPEG from a stream (read to its end).</summary>
    /// <param name="stream">Readable stream positioned at the SOI marker.</param>
    /// <param name="nameForErrors">File name quoted in error messages, or null.</param>
    /// <param name="applyExifOrientation">Rotate/mirror the image as its EXIF orientation tag says (as PIL's <c>ImageOps.exif_transpose</c>).</param>
    /// <returns>The decoded image: 1 channel (gray) or 3 channels (RGB).</returns>
    /// <exception cref="InvalidDataException">The data is corrupt, truncated, or uses an unsupported JPEG process.</exception>
    public static ImageBuffer Decode(Stream stream, string? nameForErrors = null, bool applyExifOrientation = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        byte[] data;
        int length;
        if (stream is MemoryStream ms && ms.TryGetBuffer(out var segment) && segment.Offset == 0)
        {
            data = segment.Array!;
            length = segment.Count;
            int start = (int)ms.Position;
            if (start != 0)
            {
                data = segment.AsSpan(start).ToArray();
                length = data.Length;
            }
        }
        else
        {
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            if (copy.Length > JpegConstants.MaxFileBytes)
                JpegThrowHelper.ThrowInvalid(nameForErrors, $"file of {copy.Length} bytes exceeds the limit of {JpegConstants.MaxFileBytes}");
            data = copy.GetBuffer();
            length = (int)copy.Length;
        }
        var core = new JpegDecoderCore(data, length, nameForErrors);
        var image = core.Decode();
        return applyExifOrientation ? JpegExif.Apply(image, core.ExifOrientation) : image;
    }

    /// <summary>Decodes a JPEG file.</summary>
    /// <param name="path">File to read.</param>
    /// <param name="applyExifOrientation">Rotate/mirror the image as its EXIF orientation tag says.</param>
    /// <returns>The decoded image: 1 channel (gray) or 3 channels (RGB).</returns>
    /// <exception cref="InvalidDataException">The file is corrupt, truncated, or uses an unsupported JPEG process.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static ImageBuffer Decode(string path, bool applyExifOrientation = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var data = File.ReadAllBytes(path);
        var core = new JpegDecoderCore(data, data.Length, path);
        var image = core.Decode();
        return applyExifOrientation ? JpegExif.Apply(image, core.ExifOrientation) : image;
    }
}
