using System.Buffers.Binary;
using System.IO.Compression;
using Wsss.Core.Imaging.Png.Filters;

namespace Wsss.Core.Imaging.Png;

/// <summary>Writes 8-bit, non-interlaced PNG datastreams: IHDR, optional PLTE, IDAT chunks, IEND.</summary>
internal static class PngEncoderCore
{
    /// <summary>
    /// Encodes <paramref name="samples"/> (W·H·channels bytes). Palette images use filter None on every row
    /// (the specification's advice for palette images); the others choose a filter per row by the
    /// minimum-sum-of-absolute-differences heuristic.
    /// </summary>
    internal static void Write(Stream stream, int width, int height, PngColorType colorType, byte[] samples,
        ReadOnlySpan<byte> palette, CompressionLevel level)
    {
        int channels = colorType switch
        {
            PngColorType.Gray or PngColorType.Palette => 1,
            PngColorType.GrayAlpha => 2,
            PngColorType.Rgb => 3,
            _ => 4,
        };
        int rowBytes = width * channels;

        Span<byte> ihdr = stackalloc byte[PngConstants.HeaderLength];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr[4..], height);
        ihdr[8] = 8;
        ihdr[9] = (byte)colorType;
        ihdr[10] = 0;
        ihdr[11] = 0;
        ihdr[12] = 0;

        var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, level, leaveOpen: true))
        {
            var line = new byte[rowBytes + 1];
            var scratch = new byte[rowBytes];
            var zeros = new byte[rowBytes];
            for (int y = 0; y < height; y++)
            {
                var row = new ReadOnlySpan<byte>(samples, y * rowBytes, rowBytes);
                if (colorType == PngColorType.Palette)
                {
                    line[0] = 0;
                    row.CopyTo(line.AsSpan(1));
                }
                else
                {
                    ReadOnlySpan<byte> prev = y == 0 ? zeros : new ReadOnlySpan<byte>(samples, (y - 1) * rowBytes, rowBytes);
                    PngFilters.FilterAdaptive(row, prev, channels, line, scratch);
                }
                z.Write(line);
            }
        }

        stream.Write(PngConstants.Signature);
        WriteChunk(stream, PngChunkType.Header, ihdr);
        if (colorType == PngColorType.Palette) WriteChunk(stream, PngChunkType.Palette, palette);
        var all = compressed.GetBuffer().AsSpan(0, (int)compressed.Length);
        for (int o = 0; o < all.Length; o += PngConstants.EncoderIdatSize)
            WriteChunk(stream, PngChunkType.Data, all.Slice(o, Math.Min(PngConstants.EncoderIdatSize, all.Length - o)));
        WriteChunk(stream, PngChunkType.End, []);
    }

    private static void WriteChunk(Stream stream, uint type, ReadOnlySpan<byte> data)
    {
        Span<byte> head = stackalloc byte[8];
        BinaryPrimitives.WriteInt32BigEndian(head, data.Length);
        BinaryPrimitives.WriteUInt32BigEndian(head[4..], type);
        uint crc = PngCrc32.Update(0xFFFFFFFFu, head[4..]);
        crc = PngCrc32.Update(crc, data) ^ 0xFFFFFFFFu;
        Span<byte> tail = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(tail, crc);
        stream.Write(head);
        stream.Write(data);
        stream.Write(tail);
    }
}
