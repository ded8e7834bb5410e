using System.Buffers.Binary;
using System.IO.Compression;
using Wsss.Core.Imaging.Png.Filters;

namespace Wsss.Core.Imaging.Png;

/// <summary>
/// Decodes a complete PNG datastream held in memory: walks the chunks (CRC of every chunk checked,
/// ordering rules enforced), inflates the concatenated IDAT data (zlib header and Adler-32 checked,
/// decompressed size checked against the size IHDR implies), reverses the filters pass by pass and
/// unpacks the samples to 8 bits. Every defect raises <see cref="InvalidDataException"/> naming the file.
/// </summary>
internal sealed class PngDecoderCore
{
    private readonly string? _name;
    private PngHeader _header;
    private bool _haveHeader;
    private byte[]? _palette;       // RGB triplets
    private byte[]? _paletteAlpha;  // tRNS for colour type 3

    internal PngDecoderCore(string? name) => _name = name;

    /// <summary>The header of the last decoded datastream.</summary>
    internal PngHeader Header => _header;

    /// <summary>The PLTE entries (RGB triplets), if any.</summary>
    internal byte[]? Palette => _palette;

    /// <summary>Decodes <paramref name="data"/>[0..<paramref name="length"/>) to an image (see the README for the channel rules).</summary>
    internal ImageBuffer DecodeImage(byte[] data, int length)
    {
        byte[] samples = DecodeSamples(data, length, labels: false);
        var h = _header;
        int n = h.Width * h.Height;
        switch (h.ColorType)
        {
            case PngColorType.Gray:
                return new ImageBuffer(h.Width, h.Height, 1, samples);
            case PngColorType.Rgb:
                return new ImageBuffer(h.Width, h.Height, 3, samples);
            case PngColorType.Rgba:
                return new ImageBuffer(h.Width, h.Height, 4, samples);
            case PngColorType.GrayAlpha:
            {
                var dst = new byte[n * 4];
                for (int i = 0, s = 0, d = 0; i < n; i++, s += 2, d += 4)
                {
                    byte v = samples[s];
                    dst[d] = v; dst[d + 1] = v; dst[d + 2] = v; dst[d + 3] = samples[s + 1];
                }
                return new ImageBuffer(h.Width, h.Height, 4, dst);
            }
            default:
                return ExpandPalette(samples, n);
        }
    }

    /// <summary>Decodes a palette (indices kept) or grayscale datastream to a label map.</summary>
    internal LabelMap DecodeLabels(byte[] data, int length)
    {
        byte[] samples = DecodeSamples(data, length, labels: true);
        return new LabelMap(_header.Width, _header.Height, samples);
    }

    private ImageBuffer ExpandPalette(byte[] indices, int n)
    {
        var h = _header;
        var pal = _palette!;
        int entries = pal.Length / 3;
        // Out-of-range indices read as opaque black (PIL pads its palette with black).
        Span<byte> lut = stackalloc byte[256 * 4];
        lut.Clear();
        for (int i = 0; i < 256; i++)
        {
            if (i < entries)
            {
                lut[i * 4] = pal[i * 3];
                lut[i * 4 + 1] = pal[i * 3 + 1];
                lut[i * 4 + 2] = pal[i * 3 + 2];
            }
            lut[i * 4 + 3] = _paletteAlpha is { } a && i < a.Length ? a[i] : (byte)255;
        }
        int c = _paletteAlpha is null ? 3 : 4;
        var dst = new byte[(long)n * c];
        for (int i = 0, d = 0; i < n; i++, d += c)
        {
            int k = indices[i] * 4;
            dst[d] = lut[k]; dst[d + 1] = lut[k + 1]; dst[d + 2] = lut[k + 2];
            if (c == 4) dst[d + 3] = lut[k + 3];
        }
        return new ImageBuffer(h.Width, h.Height, c, dst);
    }

    /// <summary>Parses the chunks and returns W·H·channels 8-bit samples in the datastream's channel layout.</summary>
    private byte[] DecodeSamples(byte[] data, int length, bool labels)
    {
        var file = new ReadOnlySpan<byte>(data, 0, length);
        var sig = PngConstants.Signature;
        if (length < sig.Length || !file[..sig.Length].SequenceEqual(sig))
        {
            int k = Math.Min(length, sig.Length);
            PngThrowHelper.InvalidData(_name, $"bad signature; expected 89 50 4E 47 0D 0A 1A 0A, found {Convert.ToHexString(file[..k])}");
        }

        _haveHeader = false;
        _palette = null;
        _paletteAlpha = null;
        var idat = new List<(int Offset, int Length)>();
        long idatTotal = 0;
        bool idatEnded = false;
        int pos = sig.Length;
        while (true)
        {
            if (length - pos < 8)
                PngThrowHelper.Truncated(_name, $"datastream: no IEND chunk (chunk header at offset {pos} needs 8 bytes, {length - pos} remain)");
            uint len = BinaryPrimitives.ReadUInt32BigEndian(file[pos..]);
            uint type = BinaryPrimitives.ReadUInt32BigEndian(file[(pos + 4)..]);
            string typeName = PngChunkType.Name(type);
            if (!PngChunkType.IsValid(type))
                PngThrowHelper.InvalidData(_name, $"chunk at offset {pos} has an invalid type code {type:X8} (not four ASCII letters)");
            if (len > PngConstants.MaxChunkLength)
                PngThrowHelper.InvalidData(_name, $"chunk '{typeName}' at offset {pos} declares length {len}, above the limit 2^31-1");
            if ((long)length - pos - 12 < len)
                PngThrowHelper.Truncated(_name, $"chunk '{typeName}' at offset {pos}: it declares {len} data bytes plus a CRC, but only {length - pos - 8} bytes remain");
            var body = file.Slice(pos + 8, (int)len);
            uint stored = BinaryPrimitives.ReadUInt32BigEndian(file[(pos + 8 + (int)len)..]);
            uint crc = PngCrc32.Compute(file.Slice(pos + 4, (int)len + 4));
            if (crc != stored)
                PngThrowHelper.InvalidData(_name, $"CRC mismatch in chunk '{typeName}' at offset {pos}: stored {stored:X8}, computed {crc:X8}");
            if (!_haveHeader && type != PngChunkType.Header)
                PngThrowHelper.InvalidData(_name, $"the first chunk is '{typeName}'; expected IHDR");
            if (idat.Count > 0 && type != PngChunkType.Data) idatEnded = true;

            switch (type)
            {
                case PngChunkType.Header:
                    if (_haveHeader) PngThrowHelper.InvalidData(_name, "more than one IHDR chunk");
                    ReadHeader(body);
                    break;
                case PngChunkType.Palette:
                    ReadPalette(body, idat.Count > 0);
                    break;
                case PngChunkType.Transparency:
                    ReadTransparency(body, idat.Count > 0);
                    break;
                case PngChunkType.Data:
                    if (idatEnded) PngThrowHelper.InvalidData(_name, $"IDAT chunk at offset {pos} is separated from the earlier IDAT chunks (they must be consecutive)");
                    idat.Add((pos + 8, (int)len));
                    idatTotal += len;
                    break;
                case PngChunkType.End:
                    if (len != 0) PngThrowHelper.InvalidData(_name, $"IEND chunk has {len} data bytes; expected 0");
                    goto done;
                default:
                    if (PngChunkType.IsCritical(type))
                        PngThrowHelper.Unsupported(_name, $"unknown critical chunk '{typeName}' at offset {pos}");
                    break; // ancillary chunks are skipped
            }
            pos += 12 + (int)len;
        }
    done:
        if (idat.Count == 0) PngThrowHelper.InvalidData(_name, "no IDAT chunk");
        var h = _header;
        if (h.ColorType == PngColorType.Palette && _palette is null)
            PngThrowHelper.InvalidData(_name, "colour type 3 (palette) without a PLTE chunk");
        if (labels && h.ColorType is not (PngColorType.Palette or PngColorType.Gray))
            PngThrowHelper.Unsupported(_name, $"colour type {(int)h.ColorType} ({h.ColorType}) is not a label map; expected a palette (3) or grayscale (0) image");
        if (idatTotal > Array.MaxLength) PngThrowHelper.Unsupported(_name, $"{idatTotal} bytes of IDAT data exceed the largest array");

        byte[] compressed;
        int compressedLength = (int)idatTotal;
        if (idat.Count == 1)
        {
            compressed = new byte[compressedLength];
            Array.Copy(data, idat[0].Offset, compressed, 0, compressedLength);
        }
        else
        {
            compressed = new byte[compressedLength];
            int o = 0;
            foreach (var (off, l) in idat)
            {
                Array.Copy(data, off, compressed, o, l);
                o += l;
            }
        }

        byte[] raw = Inflate(compressed, compressedLength);
        Unfilter(raw);
        return Unpack(raw, labels);
    }

    private void ReadHeader(ReadOnlySpan<byte> b)
    {
        if (b.Length != PngConstants.HeaderLength)
            PngThrowHelper.InvalidData(_name, $"IHDR has {b.Length} data bytes; expected {PngConstants.HeaderLength}");
        uint w = BinaryPrimitives.ReadUInt32BigEndian(b);
        uint hgt = BinaryPrimitives.ReadUInt32BigEndian(b[4..]);
        int depth = b[8];
        var ct = (PngColorType)b[9];
        if (w == 0 || hgt == 0 || w > int.MaxValue || hgt > int.MaxValue)
            PngThrowHelper.InvalidData(_name, $"IHDR size {w}×{hgt}; width and height must be in [1, 2^31-1]");
        if ((ulong)w * hgt > ImageCodecs.MaxPixels)
            PngThrowHelper.Unsupported(_name, $"declared size {w}×{hgt} = {(ulong)w * hgt} pixels exceeds the limit of {ImageCodecs.MaxPixels} pixels (decompression bomb guard)");
        if (b[9] is not (0 or 2 or 3 or 4 or 6))
            PngThrowHelper.InvalidData(_name, $"IHDR colour type {b[9]}; expected 0, 2, 3, 4 or 6");
        if (!PngHeader.IsValidCombination(ct, depth))
            PngThrowHelper.InvalidData(_name, $"bit depth {depth} is not allowed for colour type {b[9]} ({ct})");
        if (b[10] != 0) PngThrowHelper.Unsupported(_name, $"compression method {b[10]}; only 0 (deflate) is defined");
        if (b[11] != 0) PngThrowHelper.Unsupported(_name, $"filter method {b[11]}; only 0 is defined");
        if (b[12] > 1) PngThrowHelper.Unsupported(_name, $"interlace method {b[12]}; expected 0 (none) or 1 (Adam7)");
        _header = new PngHeader((int)w, (int)hgt, depth, ct, b[12] == 1);
        _haveHeader = true;
    }

    private void ReadPalette(ReadOnlySpan<byte> b, bool afterData)
    {
        if (afterData) PngThrowHelper.InvalidData(_name, "PLTE chunk after IDAT");
        if (_palette is not null) PngThrowHelper.InvalidData(_name, "more than one PLTE chunk");
        var ct = _header.ColorType;
        if (ct is PngColorType.Gray or PngColorType.GrayAlpha)
            PngThrowHelper.InvalidData(_name, $"PLTE chunk in a grayscale image (colour type {(int)ct})");
        if (b.Length == 0 || b.Length % 3 != 0 || b.Length > 768)
            PngThrowHelper.InvalidData(_name, $"PLTE chunk of {b.Length} bytes; expected 3 to 768 bytes, a multiple of 3");
        if (ct == PngColorType.Palette && b.Length / 3 > (1 << _header.BitDepth))
            PngThrowHelper.InvalidData(_name, $"PLTE has {b.Length / 3} entries, more than bit depth {_header.BitDepth} can index");
        if (ct == PngColorType.Palette) _palette = b.ToArray(); // a suggested palette of an RGB image is ignored
    }

    private void ReadTransparency(ReadOnlySpan<byte> b, bool afterData)
    {
        if (afterData) PngThrowHelper.InvalidData(_name, "tRNS chunk after IDAT");
        if (_header.ColorType != PngColorType.Palette) return; // a colour key: the image keeps its channels, as in PIL
        if (_palette is null) PngThrowHelper.InvalidData(_name, "tRNS chunk before PLTE");
        if (_paletteAlpha is not null) PngThrowHelper.InvalidData(_name, "more than one tRNS chunk");
        if (b.Length > _palette.Length / 3)
            PngThrowHelper.InvalidData(_name, $"tRNS has {b.Length} entries but PLTE only {_palette.Length / 3}");
        _paletteAlpha = b.ToArray();
    }

    private byte[] Inflate(byte[] compressed, int length)
    {
        var h = _header;
        long expected = h.RawSize();
        if (expected > Array.MaxLength)
            PngThrowHelper.Unsupported(_name, $"{h.Width}×{h.Height} image data of {expected} bytes exceeds the largest array");
        if (length < 6)
            PngThrowHelper.Truncated(_name, $"zlib stream in IDAT: {length} bytes, less than the 2-byte header plus the 4-byte Adler-32");
        if (expected > (long)length * PngConstants.MaxInflateRatio + 1024)
            PngThrowHelper.InvalidData(_name, $"{length} bytes of compressed data cannot hold the {expected} bytes a {h.Width}×{h.Height} image needs (truncated data or a false size)");
        int cmf = compressed[0], flg = compressed[1];
        if ((cmf & 0x0F) != 8 || (cmf >> 4) > 7)
            PngThrowHelper.InvalidData(_name, $"zlib header {cmf:X2} {flg:X2}: compression method must be 8 (deflate) with a window of at most 32 KiB");
        if ((cmf * 256 + flg) % 31 != 0)
            PngThrowHelper.InvalidData(_name, $"zlib header {cmf:X2} {flg:X2} fails its check bits");
        if ((flg & 0x20) != 0)
            PngThrowHelper.InvalidData(_name, "zlib stream asks for a preset dictionary, which PNG forbids");

        var raw = new byte[expected];
        int got = 0;
        bool extra = false;
        try
        {
            using var z = new ZLibStream(new MemoryStream(compressed, 0, length, writable: false), CompressionMode.Decompress);
            while (got < raw.Length)
            {
                int n = z.Read(raw, got, raw.Length - got);
                if (n == 0) break;
                got += n;
            }
            if (got == raw.Length)
            {
                Span<byte> probe = stackalloc byte[1];
                extra = z.Read(probe) > 0; // also lets zlib reach and verify the stream's end
            }
        }
        catch (InvalidDataException ex)
        {
            PngThrowHelper.InvalidData(_name, $"corrupt zlib data in IDAT after {got} of {expected} decompressed bytes ({ex.Message})", ex);
        }
        if (got < expected)
            PngThrowHelper.Truncated(_name, $"image data: the zlib stream ends after {got} of the {expected} bytes a {h.Width}×{h.Height} image needs");
        if (extra)
            PngThrowHelper.InvalidData(_name, $"the zlib stream holds more than the {expected} bytes a {h.Width}×{h.Height} image needs");
        uint stored = BinaryPrimitives.ReadUInt32BigEndian(compressed.AsSpan(length - 4));
        uint adler = Adler32.Compute(raw);
        if (stored != adler)
            PngThrowHelper.InvalidData(_name, $"Adler-32 mismatch at the end of the zlib stream: stored {stored:X8}, computed {adler:X8} (corrupt or truncated data)");
        return raw;
    }

    private void Unfilter(byte[] raw)
    {
        var h = _header;
        int bpp = h.FilterStride;
        int offset = 0;
        for (int p = 0; p < h.PassCount; p++)
        {
            var (w, ph) = h.PassSize(p);
            if (w == 0 || ph == 0) continue;
            int rowBytes = (int)h.RowBytes(w);
            for (int y = 0; y < ph; y++)
            {
                byte f = raw[offset];
                if (f > 4)
                    PngThrowHelper.InvalidData(_name, $"unknown filter type {f} on row {y}{(h.Interlaced ? $" of Adam7 pass {p + 1}" : "")}; expected 0-4");
                var row = raw.AsSpan(offset + 1, rowBytes);
                ReadOnlySpan<byte> prev = y == 0 ? default : raw.AsSpan(offset + 1 - (rowBytes + 1), rowBytes);
                if (y == 0)
                {
                    // First row of a pass: the previous row is all zeros, so Up = None, Average and Paeth use only a.
                    switch ((PngFilterType)f)
                    {
                        case PngFilterType.Up: break;
                        case PngFilterType.Average:
                            for (int i = bpp; i < rowBytes; i++) row[i] = (byte)(row[i] + (row[i - bpp] >> 1));
                            break;
                        case PngFilterType.Paeth:
                        case PngFilterType.Sub:
                            PngFilters.Unfilter(PngFilterType.Sub, row, prev, bpp);
                            break;
                    }
                }
                else
                {
                    PngFilters.Unfilter((PngFilterType)f, row, prev, bpp);
                }
                offset += rowBytes + 1;
            }
        }
    }

    private byte[] Unpack(byte[] raw, bool labels)
    {
        var h = _header;
        int ch = h.SourceChannels;
        int depth = h.BitDepth;
        var dst = new byte[(long)h.Width * h.Height * ch];
        // Gray below 8 bits is scaled to 0-255 (1 → 255, 2 → 85, 4 → 17 per step), as PIL and libpng do;
        // palette indices are kept.
        int scale = h.ColorType == PngColorType.Gray && depth < 8 ? 255 / ((1 << depth) - 1) : 1;
        int offset = 0;
        for (int p = 0; p < h.PassCount; p++)
        {
            var (w, ph) = h.PassSize(p);
            if (w == 0 || ph == 0) continue;
            var (x0, y0, dx, dy) = h.Interlaced ? PngConstants.Adam7[p] : (0, 0, 1, 1);
            int rowBytes = (int)h.RowBytes(w);
            for (int r = 0; r < ph; r++)
            {
                var row = new ReadOnlySpan<byte>(raw, offset + 1, rowBytes);
                int y = y0 + r * dy;
                int baseIndex = (y * h.Width + x0) * ch;
                int step = dx * ch;
                if (depth == 8)
                {
                    if (dx == 1) row.CopyTo(dst.AsSpan(baseIndex, rowBytes));
                    else
                        for (int i = 0, s = 0, d = baseIndex; i < w; i++, d += step)
                            for (int c = 0; c < ch; c++) dst[d + c] = row[s++];
                }
                else if (depth == 16)
                {
                    for (int i = 0, s = 0, d = baseIndex; i < w; i++, d += step)
                    {
                        for (int c = 0; c < ch; c++, s += 2)
                        {
                            if (labels)
                            {
                                if (row[s] != 0)
                                    PngThrowHelper.Unsupported(_name, $"16-bit gray value {row[s] << 8 | row[s + 1]} at ({x0 + i * dx}, {y}) does not fit a label map (0-255)");
                                dst[d + c] = row[s + 1];
                            }
                            else
                            {
                                dst[d + c] = row[s]; // the high byte, as PIL reduces 16-bit samples
                            }
                        }
                    }
                }
                else
                {
                    int mask = (1 << depth) - 1;
                    int perByte = 8 / depth;
                    for (int i = 0, d = baseIndex; i < w; i++, d += step)
                    {
                        int v = (row[i / perByte] >> (8 - depth * (i % perByte + 1))) & mask;
                        dst[d] = (byte)(v * scale);
                    }
                }
                offset += rowBytes + 1;
            }
        }
        return dst;
    }
}
