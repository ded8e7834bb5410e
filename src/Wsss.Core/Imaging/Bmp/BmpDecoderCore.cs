using System.Buffers.Binary;
using System.Numerics;

namespace Wsss.Core.Imaging.Bmp;

/// <summary>
/// Decodes an uncompressed Windows bitmap held in memory: BITMAPCOREHEADER, BITMAPINFOHEADER (and its
/// 52/56-byte extensions), BITMAPV4HEADER and BITMAPV5HEADER; 1, 4 and 8-bit palettes, 24-bit BGR,
/// 32-bit BGRX (BI_RGB) and 32-bit BI_BITFIELDS with byte-aligned 8-bit masks; bottom-up and top-down rows.
/// </summary>
internal sealed class BmpDecoderCore
{
    private readonly string? _name;

    internal BmpDecoderCore(string? name) => _name = name;

    internal ImageBuffer Decode(byte[] data, int length)
    {
        var file = new ReadOnlySpan<byte>(data, 0, length);
        if (length < 2 || file[0] != (byte)'B' || file[1] != (byte)'M')
            BmpThrowHelper.InvalidData(_name, $"bad signature; expected 'BM' (42 4D), found {Convert.ToHexString(file[..Math.Min(2, length)])}");
        if (length < BmpConstants.FileHeaderSize + 4)
            BmpThrowHelper.Truncated(_name, $"headers: {length} bytes");
        uint dataOffset = BinaryPrimitives.ReadUInt32LittleEndian(file[10..]);
        uint headerSize = BinaryPrimitives.ReadUInt32LittleEndian(file[14..]);
        if (headerSize is not (BmpConstants.CoreHeaderSize or BmpConstants.InfoHeaderSize or 52 or 56 or 64
            or BmpConstants.V4HeaderSize or BmpConstants.V5HeaderSize))
            BmpThrowHelper.Unsupported(_name, $"DIB header size {headerSize}; expected 12, 40, 52, 56, 64, 108 or 124");
        if (length < BmpConstants.FileHeaderSize + (long)headerSize)
            BmpThrowHelper.Truncated(_name, $"DIB header: it declares {headerSize} bytes, {length - BmpConstants.FileHeaderSize} remain");
        var hdr = file.Slice(BmpConstants.FileHeaderSize, (int)headerSize);

        long width, height;
        int planes, bits;
        uint compression = BmpConstants.BiRgb;
        uint colorsUsed = 0;
        int paletteEntrySize = 4;
        if (headerSize == BmpConstants.CoreHeaderSize)
        {
            width = BinaryPrimitives.ReadUInt16LittleEndian(hdr[4..]);
            height = BinaryPrimitives.ReadUInt16LittleEndian(hdr[6..]);
            planes = BinaryPrimitives.ReadUInt16LittleEndian(hdr[8..]);
            bits = BinaryPrimitives.ReadUInt16LittleEndian(hdr[10..]);
            paletteEntrySize = 3;
        }
        else
        {
            width = BinaryPrimitives.ReadInt32LittleEndian(hdr[4..]);
            height = BinaryPrimitives.ReadInt32LittleEndian(hdr[8..]);
            planes = BinaryPrimitives.ReadUInt16LittleEndian(hdr[12..]);
            bits = BinaryPrimitives.ReadUInt16LittleEndian(hdr[14..]);
            compression = BinaryPrimitives.ReadUInt32LittleEndian(hdr[16..]);
            colorsUsed = BinaryPrimitives.ReadUInt32LittleEndian(hdr[32..]);
        }

        bool topDown = height < 0;
        height = Math.Abs(height);
        if (width < 1 || height < 1)
            BmpThrowHelper.InvalidData(_name, $"size {width}×{(topDown ? -height : height)}; width and height must be non-zero (a negative height means top-down)");
        if (width * height > ImageCodecs.MaxPixels)
            BmpThrowHelper.Unsupported(_name, $"declared size {width}×{height} = {width * height} pixels exceeds the limit of {ImageCodecs.MaxPixels} pixels (decompression bomb guard)");
        if (planes != 1)
            BmpThrowHelper.InvalidData(_name, $"{planes} colour planes; expected 1");
        if (bits is not (1 or 4 or 8 or 24 or 32))
            BmpThrowHelper.Unsupported(_name, $"{bits} bits per pixel; supported: 1, 4, 8, 24, 32");
        if (topDown && headerSize == BmpConstants.CoreHeaderSize)
            BmpThrowHelper.InvalidData(_name, "negative height in a BITMAPCOREHEADER");

        // Channel masks for 32-bit BI_BITFIELDS: inside the header from 52 bytes on, else right after it.
        uint rMask = 0, gMask = 0, bMask = 0, aMask = 0;
        bool bitfields = false;
        int afterHeader = BmpConstants.FileHeaderSize + (int)headerSize;
        if (compression is BmpConstants.BiBitfields or BmpConstants.BiAlphaBitfields)
        {
            if (bits != 32)
                BmpThrowHelper.Unsupported(_name, $"BI_BITFIELDS with {bits} bits per pixel; supported only with 32");
            bitfields = true;
            ReadOnlySpan<byte> masks;
            if (headerSize >= 52)
            {
                masks = hdr[40..];
            }
            else
            {
                int n = compression == BmpConstants.BiAlphaBitfields ? 16 : 12;
                if (length < afterHeader + n) BmpThrowHelper.Truncated(_name, "BI_BITFIELDS masks");
                masks = file.Slice(afterHeader, n);
                afterHeader += n;
            }
            rMask = BinaryPrimitives.ReadUInt32LittleEndian(masks);
            gMask = BinaryPrimitives.ReadUInt32LittleEndian(masks[4..]);
            bMask = BinaryPrimitives.ReadUInt32LittleEndian(masks[8..]);
            if (masks.Length >= 16) aMask = BinaryPrimitives.ReadUInt32LittleEndian(masks[12..]);
            foreach (uint m in (ReadOnlySpan<uint>)[rMask, gMask, bMask])
                if (!IsByteMask(m)) BmpThrowHelper.Unsupported(_name, $"BI_BITFIELDS mask {m:X8}; supported only masks of one whole byte (FF, FF00, FF0000, FF000000)");
            if (aMask != 0 && !IsByteMask(aMask))
                BmpThrowHelper.Unsupported(_name, $"BI_BITFIELDS alpha mask {aMask:X8}; supported only masks of one whole byte or 0");
        }
        else if (compression != BmpConstants.BiRgb)
        {
            string what = compression switch { 1 => "BI_RLE8", 2 => "BI_RLE4", 4 => "BI_JPEG", 5 => "BI_PNG", _ => $"{compression}" };
            BmpThrowHelper.Unsupported(_name, $"compression {what}; supported: BI_RGB, and BI_BITFIELDS for 32 bits per pixel");
        }

        // Palette.
        byte[]? palette = null;
        if (bits <= 8)
        {
            long entries = colorsUsed == 0 ? 1L << bits : colorsUsed;
            if (entries > 1L << bits)
                BmpThrowHelper.InvalidData(_name, $"palette of {entries} colours for {bits} bits per pixel (at most {1 << bits})");
            long bytes = entries * paletteEntrySize;
            if (afterHeader + bytes > length)
                BmpThrowHelper.Truncated(_name, $"palette: {entries} entries need {bytes} bytes, {Math.Max(0, length - afterHeader)} remain");
            palette = new byte[256 * 3]; // indices beyond the palette read as black
            for (int i = 0; i < entries; i++)
            {
                int o = afterHeader + i * paletteEntrySize;
                palette[i * 3] = file[o + 2];
                palette[i * 3 + 1] = file[o + 1];
                palette[i * 3 + 2] = file[o];
            }
        }

        int w = (int)width, h = (int)height;
        long stride = ((width * bits + 31) / 32) * 4;
        long need = stride * height;
        if (dataOffset > length || length - dataOffset < need)
            BmpThrowHelper.Truncated(_name, $"pixel data: {w}×{h} at {bits} bits per pixel needs {need} bytes from offset {dataOffset}, the file has {Math.Max(0, length - (long)dataOffset)}");

        int channels = bitfields && aMask != 0 ? 4 : 3;
        var img = new ImageBuffer(w, h, channels);
        var dst = img.Pixels;
        int rs = Shift(rMask), gs = Shift(gMask), bs = Shift(bMask), as_ = Shift(aMask);
        for (int y = 0; y < h; y++)
        {
            int srcRow = topDown ? y : h - 1 - y;
            var row = file.Slice((int)(dataOffset + srcRow * stride), (int)stride);
            int d = y * w * channels;
            switch (bits)
            {
                case 24:
                    for (int x = 0, s = 0; x < w; x++, s += 3, d += 3)
                    {
                        dst[d] = row[s + 2]; dst[d + 1] = row[s + 1]; dst[d + 2] = row[s];
                    }
                    break;
                case 32 when !bitfields:
                    for (int x = 0, s = 0; x < w; x++, s += 4, d += 3)
                    {
                        dst[d] = row[s + 2]; dst[d + 1] = row[s + 1]; dst[d + 2] = row[s];
                    }
                    break;
                case 32:
                    for (int x = 0, s = 0; x < w; x++, s += 4, d += channels)
                    {
                        uint px = BinaryPrimitives.ReadUInt32LittleEndian(row[s..]);
                        dst[d] = (byte)(px >> rs);
                        dst[d + 1] = (byte)(px >> gs);
                        dst[d + 2] = (byte)(px >> bs);
                        if (channels == 4) dst[d + 3] = (byte)(px >> as_);
                    }
                    break;
                default:
                {
                    int mask = (1 << bits) - 1, perByte = 8 / bits;
                    for (int x = 0; x < w; x++, d += 3)
                    {
                        int idx = (row[x / perByte] >> (8 - bits * (x % perByte + 1))) & mask;
                        dst[d] = palette![idx * 3]; dst[d + 1] = palette[idx * 3 + 1]; dst[d + 2] = palette[idx * 3 + 2];
                    }
                    break;
                }
            }
        }
        return img;
    }

    private static bool IsByteMask(uint m) => m is 0xFFu or 0xFF00u or 0xFF0000u or 0xFF000000u;

    private static int Shift(uint m) => m == 0 ? 0 : BitOperations.TrailingZeroCount(m);
}
