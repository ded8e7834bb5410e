using System.IO.Compression;
using Wsss.Core.IO;

namespace Wsss.Core.Imaging.Png;

/// <summary>
/// Writes PNG files: gray8, RGB8 and RGBA8 images, and label maps as 8-bit palette images (the VOC
/// colour map by default, so the files look like PASCAL VOC's <c>SegmentationClass</c> PNGs and PIL
/// reads the indices back unchanged). File writes are atomic (<see cref="AtomicFile"/>).
/// </summary>
public static class PngEncoder
{
    /// <summary>Writes <paramref name="image"/> to <paramref name="path"/> atomically (gray → colour type 0, RGB → 2, RGBA → 6; 8 bits).</summary>
    /// <param name="path">Destination file; replaced if it exists.</param>
    /// <param name="image">The image.</param>
    /// <param name="compressionLevel">zlib effort (<see cref="CompressionLevel.Optimal"/> is zlib's default level, as PIL uses).</param>
    public static void Write(string path, ImageBuffer image, CompressionLevel compressionLevel = CompressionLevel.Optimal)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(image);
        AtomicFile.Write(path, s => Write(s, image, compressionLevel));
    }

    /// <summary>Writes <paramref name="image"/> as a PNG datastream to <paramref name="stream"/>.</summary>
    /// <param name="stream">Writable stream.</param>
    /// <param name="image">The image.</param>
    /// <param name="compressionLevel">zlib effort.</param>
    public static void Write(Stream stream, ImageBuffer image, CompressionLevel compressionLevel = CompressionLevel.Optimal)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(image);
        var ct = image.Channels switch { 1 => PngColorType.Gray, 3 => PngColorType.Rgb, _ => PngColorType.Rgba };
        PngEncoderCore.Write(stream, image.Width, image.Height, ct, image.Pixels, [], compressionLevel);
    }

    /// <summary>Writes <paramref name="labels"/> to <paramref name="path"/> atomically as an 8-bit palette PNG whose indices are the labels.</summary>
    /// <param name="path">Destination file; replaced if it exists.</param>
    /// <param name="labels">The label map.</param>
    /// <param name="palette">RGB triplets (1-256 entries); null for the 256-entry <see cref="VocPalette"/>. Every label must index an entry.</param>
    /// <param name="compressionLevel">zlib effort.</param>
    /// <exception cref="ArgumentException">The palette is malformed or a label has no entry.</exception>
    public static void WriteLabels(string path, LabelMap labels, byte[]? palette = null, CompressionLevel compressionLevel = CompressionLevel.Optimal)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(labels);
        CheckPalette(labels, palette);
        AtomicFile.Write(path, s => WriteLabels(s, labels, palette, compressionLevel));
    }

    /// <summary>Writes <paramref name="labels"/> as an 8-bit palette PNG datastream to <paramref name="stream"/>.</summary>
    /// <param name="stream">Writable stream.</param>
    /// <param name="labels">The label map.</param>
    /// <param name="palette">RGB triplets (1-256 entries); null for the 256-entry <see cref="VocPalette"/>. Every label must index an entry.</param>
    /// <param name="compressionLevel">zlib effort.</param>
    /// <exception cref="ArgumentException">The palette is malformed or a label has no entry.</exception>
    public static void WriteLabels(Stream stream, LabelMap labels, byte[]? palette = null, CompressionLevel compressionLevel = CompressionLevel.Optimal)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(labels);
        CheckPalette(labels, palette);
        ReadOnlySpan<byte> pal = palette ?? VocPalette.Span;
        PngEncoderCore.Write(stream, labels.Width, labels.Height, PngColorType.Palette, labels.Labels, pal, compressionLevel);
    }

    private static void CheckPalette(LabelMap labels, byte[]? palette)
    {
        if (palette is null) return;
        if (palette.Length == 0 || palette.Length % 3 != 0 || palette.Length > 768)
            throw new ArgumentException($"A palette holds 1 to 256 RGB triplets (3 to 768 bytes, a multiple of 3), got {palette.Length} bytes.", nameof(palette));
        int entries = palette.Length / 3;
        if (entries == 256) return;
        var l = labels.Labels;
        for (int i = 0; i < l.Length; i++)
            if (l[i] >= entries)
                throw new ArgumentException($"Label {l[i]} at ({i % labels.Width}, {i / labels.Width}) has no entry in the {entries}-entry palette.", nameof(palette));
    }
}
