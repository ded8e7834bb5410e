using Wsss.Core.Imaging.Bmp;
using Wsss.Core.Imaging.Jpeg;
using Wsss.Core.Imaging.Png;
using Wsss.Core.IO;

namespace Wsss.Core.Imaging;

/// <summary>
/// Decodes images by content, not by file extension: the first bytes select PNG, JPEG, BMP or a NumPy
/// <c>.npy</c> array (uint8, (H, W, 3), (H, W, 4), (H, W, 1) or (H, W)).
/// </summary>
/// <remarks>
/// Corrupt, truncated or unsupported files raise <see cref="InvalidDataException"/> naming the file and the
/// problem. Declared sizes above <see cref="MaxPixels"/> are rejected before any pixel buffer is allocated.
/// </remarks>
public static class ImageCodecs
{
    /// <summary>
    /// The largest width·height accepted from any file (PIL's decompression-bomb error threshold,
    /// 2 × <c>Image.MAX_IMAGE_PIXELS</c>).
    /// </summary>
    public const long MaxPixels = 178_956_970;

    /// <summary>Largest file read into memory.</summary>
    internal const long MaxFileBytes = 1L << 30;

    /// <summary>Recognises a format from the first bytes of a file (8 are enough).</summary>
    /// <param name="header">The first bytes.</param>
    /// <returns>The format, or <see cref="ImageFormat.Unknown"/>.</returns>
    public static ImageFormat DetectFormat(ReadOnlySpan<byte> header)
    {
        if (header.StartsWith(PngConstants.Signature)) return ImageFormat.Png;
        if (header.Length >= 3 && header[0] == 0xFF && header[1] == 0xD8 && header[2] == 0xFF) return ImageFormat.Jpeg;
        if (header.Length >= 2 && header[0] == (byte)'B' && header[1] == (byte)'M') return ImageFormat.Bmp;
        if (header.StartsWith((ReadOnlySpan<byte>)[0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'])) return ImageFormat.Npy;
        return ImageFormat.Unknown;
    }

    /// <summary>Decodes an image file of any supported format.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The image (gray, RGB or RGBA; see the codecs for the channel rules).</returns>
    /// <exception cref="InvalidDataException">The file is corrupt, truncated or of an unsupported format.</exception>
    public static ImageBuffer Decode(string path)
    {
        var (data, length) = ReadAll(path);
        return DecodeCore(data, length, path);
    }

    /// <summary>Decodes an image read from the current position to the end of <paramref name="stream"/>.</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="nameForErrors">Name used in error messages, typically the file path.</param>
    /// <returns>The image.</returns>
    /// <exception cref="InvalidDataException">The data is corrupt, truncated or of an unsupported format.</exception>
    public static ImageBuffer Decode(Stream stream, string? nameForErrors = null)
    {
        var (data, length) = ReadAll(stream, nameForErrors);
        return DecodeCore(data, length, nameForErrors);
    }

    /// <summary>
    /// Decodes a label map: a palette or grayscale PNG (the indices / gray values, see
    /// <see cref="PngDecoder.DecodeLabels(string)"/>) or an (H, W) / (H, W, 1) uint8 <c>.npy</c>.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <returns>The label map.</returns>
    /// <exception cref="InvalidDataException">The file is corrupt, truncated or not a label map.</exception>
    public static LabelMap DecodeLabels(string path)
    {
        var (data, length) = ReadAll(path);
        return DecodeLabelsCore(data, length, path);
    }

    /// <summary>As <see cref="DecodeLabels(string)"/>, reading from the current position to the end of <paramref name="stream"/>.</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="nameForErrors">Name used in error messages, typically the file path.</param>
    /// <returns>The label map.</returns>
    /// <exception cref="InvalidDataException">The data is corrupt, truncated or not a label map.</exception>
    public static LabelMap DecodeLabels(Stream stream, string? nameForErrors = null)
    {
        var (data, length) = ReadAll(stream, nameForErrors);
        return DecodeLabelsCore(data, length, nameForErrors);
    }

    private static ImageBuffer DecodeCore(byte[] data, int length, string? name)
    {
        var head = new ReadOnlySpan<byte>(data, 0, length);
        switch (DetectFormat(head))
        {
            case ImageFormat.Png:
                return new PngDecoderCore(name).DecodeImage(data, length);
            case ImageFormat.Bmp:
                return new BmpDecoderCore(name).Decode(data, length);
            case ImageFormat.Jpeg:
                return JpegDecoder.Decode(new MemoryStream(data, 0, length, writable: false), name);
            case ImageFormat.Npy:
            {
                var a = ReadNpy(data, length, name);
                var s = a.Shape;
                if (a.DType != NpyDType.UInt8 || !(s.Count == 2 || (s.Count == 3 && s[2] is 1 or 3 or 4)) || s[0] < 1 || s[1] < 1)
                    return Fail<ImageBuffer>(name, ".npy image", $"expected a uint8 array of shape (H, W, 3), (H, W, 4), (H, W, 1) or (H, W), got {a.DType} {IoThrowHelper.FormatShape(s)}");
                return new ImageBuffer(s[1], s[0], s.Count == 2 ? 1 : s[2], a.Data.ToArray());
            }
            default:
                return Fail<ImageBuffer>(name, "image", $"unrecognised format (first bytes {Convert.ToHexString(head[..Math.Min(8, length)])}); expected PNG, JPEG, BMP or .npy");
        }
    }

    private static LabelMap DecodeLabelsCore(byte[] data, int length, string? name)
    {
        var head = new ReadOnlySpan<byte>(data, 0, length);
        switch (DetectFormat(head))
        {
            case ImageFormat.Png:
                return new PngDecoderCore(name).DecodeLabels(data, length);
            case ImageFormat.Npy:
            {
                var a = ReadNpy(data, length, name);
                var s = a.Shape;
                if (a.DType != NpyDType.UInt8 || !(s.Count == 2 || (s.Count == 3 && s[2] == 1)) || s[0] < 1 || s[1] < 1)
                    return Fail<LabelMap>(name, ".npy label map", $"expected a uint8 array of shape (H, W) or (H, W, 1), got {a.DType} {IoThrowHelper.FormatShape(s)}");
                return new LabelMap(s[1], s[0], a.Data.ToArray());
            }
            default:
                return Fail<LabelMap>(name, "label map", $"unrecognised format (first bytes {Convert.ToHexString(head[..Math.Min(8, length)])}); expected a palette or grayscale PNG, or a uint8 .npy");
        }
    }

    private static NpyArray ReadNpy(byte[] data, int length, string? name) =>
        Npy.Read(new MemoryStream(data, 0, length, writable: false), name);

    private static T Fail<T>(string? name, string kind, string problem) => IoThrowHelper.ThrowInvalidData<T>(name, kind, problem);

    /// <summary>Reads a whole file (at most <see cref="MaxFileBytes"/>).</summary>
    internal static (byte[] Data, int Length) ReadAll(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        return ReadAll(fs, path);
    }

    /// <summary>Reads from the current position to the end (at most <see cref="MaxFileBytes"/>).</summary>
    internal static (byte[] Data, int Length) ReadAll(Stream stream, string? name)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (stream.CanSeek)
        {
            long remaining = Math.Max(0, stream.Length - stream.Position);
            if (remaining > MaxFileBytes)
                IoThrowHelper.ThrowInvalidData(name, "image", $"{remaining} bytes exceed the {MaxFileBytes}-byte limit for an image file");
            var buf = new byte[remaining];
            int got = StreamHelper.ReadAtMost(stream, buf);
            return (buf, got);
        }

        var ms = new MemoryStream();
        var chunk = new byte[81920];
        int n;
        while ((n = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            if (ms.Length + n > MaxFileBytes)
                IoThrowHelper.ThrowInvalidData(name, "image", $"the stream exceeds the {MaxFileBytes}-byte limit for an image file");
            ms.Write(chunk, 0, n);
        }
        return (ms.GetBuffer(), (int)ms.Length);
    }
}
