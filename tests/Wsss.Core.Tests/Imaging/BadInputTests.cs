using System.Buffers.Binary;
using System.IO.Compression;
using Wsss.Core.Imaging;
using Wsss.Core.Imaging.Bmp;
using Wsss.Core.Imaging.Png;
using static Wsss.Core.Tests.Imaging.ImagingTestHelpers;

namespace Wsss.Core.Tests.Imaging;

/// <summary>Corrupt, truncated and unsupported files raise InvalidDataException naming the file and the problem.</summary>
[TestFixture]
public class BadInputTests
{
    private const string Name = "bad.png";

    private static byte[] Chunk(string type, byte[] data)
    {
        var b = new byte[12 + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(b, data.Length);
        System.Text.Encoding.ASCII.GetBytes(type, b.AsSpan(4));
        data.CopyTo(b, 8);
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(8 + data.Length), PngCrc32.Compute(b.AsSpan(4, 4 + data.Length)));
        return b;
    }

    private static byte[] Zlib(byte[] raw)
    {
        var ms = new MemoryStream();
        using (var z = new ZLibStream(ms, CompressionLevel.Optimal, true)) z.Write(raw);
        return ms.ToArray();
    }

    private static byte[] Ihdr(int w, int h, int depth = 8, int ct = 2, int interlace = 0)
    {
        var d = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(d, w);
        BinaryPrimitives.WriteInt32BigEndian(d.AsSpan(4), h);
        d[8] = (byte)depth; d[9] = (byte)ct; d[12] = (byte)interlace;
        return d;
    }

    private static byte[] Png(params byte[][] chunks) =>
        new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }.Concat(chunks.SelectMany(c => c)).ToArray();

    /// <summary>A valid 4×2 RGB PNG's filtered image data (filter byte 0 per row).</summary>
    private static byte[] Raw4x2() => Enumerable.Range(0, 2 * 13).Select(i => (byte)(i % 13 == 0 ? 0 : i * 5)).ToArray();

    private static InvalidDataException Fails(byte[] png, params string[] fragments)
    {
        var ex = Assert.Throws<InvalidDataException>(() => PngDecoder.Decode(new MemoryStream(png), Name))!;
        Assert.That(ex.Message, Does.Contain(Name));
        foreach (var f in fragments) Assert.That(ex.Message, Does.Contain(f).IgnoreCase);
        return ex;
    }

    [Test]
    public void HandMadePngDecodes()
    {
        var png = Png(Chunk("IHDR", Ihdr(4, 2)), Chunk("IDAT", Zlib(Raw4x2())), Chunk("IEND", []));
        var img = PngDecoder.Decode(new MemoryStream(png));
        Assert.That(img.Pixels[0], Is.EqualTo(5));
    }

    [Test]
    public void SignatureAndEmptyInput()
    {
        Fails([], "signature");
        Fails("GIF89a.."u8.ToArray(), "signature");
        var ex = Assert.Throws<InvalidDataException>(() => ImageCodecs.Decode(new MemoryStream("GIF89a.."u8.ToArray()), "x.gif"));
        Assert.That(ex!.Message, Does.Contain("x.gif").And.Contain("unrecognised format"));
    }

    [Test]
    public void CrcMismatchIsReported()
    {
        var png = File.ReadAllBytes(Fixture("png_c2_d8.png"));
        var idat = Chunks(png).First(c => c.Type == "IDAT");
        png[idat.Offset + 10] ^= 0x40;
        Fails(png, "CRC mismatch", "IDAT");
    }

    [Test]
    public void EveryTruncationIsReported()
    {
        var png = File.ReadAllBytes(Fixture("png_c3_d8_trns_adam7.png"));
        for (int n = 0; n < png.Length; n++)
            Assert.Throws<InvalidDataException>(() => PngDecoder.Decode(new MemoryStream(png, 0, n), Name), $"length {n}");
        var bmp = File.ReadAllBytes(Fixture("bmp_4bit.bmp"));
        for (int n = 0; n < bmp.Length; n++)
            Assert.Throws<InvalidDataException>(() => BmpDecoder.Decode(new MemoryStream(bmp, 0, n), "t.bmp"), $"length {n}");
    }

    [Test]
    public void DecompressionBombsAreRejectedBeforeAllocating()
    {
        Fails(Png(Chunk("IHDR", Ihdr(100_000, 100_000)), Chunk("IDAT", Zlib(Raw4x2())), Chunk("IEND", [])), "decompression bomb");
        // Under the pixel limit, but 1 KB of zlib data cannot hold 300 MB of image data.
        Fails(Png(Chunk("IHDR", Ihdr(10_000, 10_000)), Chunk("IDAT", Zlib(Raw4x2())), Chunk("IEND", [])), "cannot hold");
        // A stream that inflates to more than the image needs.
        Fails(Png(Chunk("IHDR", Ihdr(4, 2)), Chunk("IDAT", Zlib(new byte[100_000])), Chunk("IEND", [])), "more than");
    }

    [Test]
    public void ZlibDefectsAreReported()
    {
        var z = Zlib(Raw4x2());
        var badAdler = (byte[])z.Clone();
        badAdler[^1] ^= 1;
        Fails(Png(Chunk("IHDR", Ihdr(4, 2)), Chunk("IDAT", badAdler), Chunk("IEND", [])), "zlib");
        Fails(Png(Chunk("IHDR", Ihdr(4, 2)), Chunk("IDAT", z[..^4]), Chunk("IEND", [])), "Adler-32");
        Fails(Png(Chunk("IHDR", Ihdr(4, 2)), Chunk("IDAT", z[..^10]), Chunk("IEND", [])));
        var badHeader = (byte[])z.Clone();
        badHeader[1] ^= 1;
        Fails(Png(Chunk("IHDR", Ihdr(4, 2)), Chunk("IDAT", badHeader), Chunk("IEND", [])), "zlib header");
        Fails(Png(Chunk("IHDR", Ihdr(4, 3)), Chunk("IDAT", z), Chunk("IEND", [])), "truncated");
    }

    [Test]
    public void StructuralDefectsAreReported()
    {
        var z = Zlib(Raw4x2());
        Fails(Png(Chunk("IDAT", z), Chunk("IEND", [])), "first chunk");
        Fails(Png(Chunk("IHDR", Ihdr(4, 2)), Chunk("IDAT", z)), "IEND");
        Fails(Png(Chunk("IHDR", Ihdr(4, 2)), Chunk("IEND", [])), "no IDAT");
        Fails(Png(Chunk("IHDR", Ihdr(4, 2)), Chunk("ABCD", [1]), Chunk("IDAT", z), Chunk("IEND", [])), "unknown critical chunk 'ABCD'");
        Assert.That(PngDecoder.Decode(new MemoryStream(Png(Chunk("IHDR", Ihdr(4, 2)), Chunk("abCD", [1]), Chunk("IDAT", z), Chunk("IEND", [])))).Width, Is.EqualTo(4));
        Fails(Png(Chunk("IHDR", Ihdr(4, 2, depth: 4, ct: 2)), Chunk("IDAT", z), Chunk("IEND", [])), "bit depth 4");
        Fails(Png(Chunk("IHDR", Ihdr(0, 2)), Chunk("IDAT", z), Chunk("IEND", [])), "width and height");
        Fails(Png(Chunk("IHDR", Ihdr(4, 2, depth: 8, ct: 3)), Chunk("IDAT", z), Chunk("IEND", [])), "PLTE");
        Fails(Png(Chunk("IHDR", Ihdr(4, 2)), Chunk("IDAT", z[..5]), Chunk("tEXt", [65, 0, 66]), Chunk("IDAT", z[5..]), Chunk("IEND", [])), "consecutive");
        var raw = Raw4x2();
        raw[13] = 9;
        Fails(Png(Chunk("IHDR", Ihdr(4, 2)), Chunk("IDAT", Zlib(raw)), Chunk("IEND", [])), "filter type 9");
        var split = Png(Chunk("IHDR", Ihdr(4, 2)), Chunk("IDAT", z[..3]), Chunk("IDAT", z[3..7]), Chunk("IDAT", z[7..]), Chunk("IEND", []));
        Assert.That(PngDecoder.Decode(new MemoryStream(split)).Pixels[0], Is.EqualTo(5));
    }

    [Test]
    public void MessagesNameTheFileOnDisk()
    {
        string dir = NewTempDirectory();
        try
        {
            string p = Path.Combine(dir, "broken.png");
            var png = File.ReadAllBytes(Fixture("png_c2_d8.png"));
            File.WriteAllBytes(p, png[..(png.Length / 2)]);
            var ex = Assert.Throws<InvalidDataException>(() => ImageCodecs.Decode(p));
            Assert.That(ex!.Message, Does.Contain(p).And.Contain("truncated"));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    private static byte[] Bmp(int bits, uint compression, int width = 2, int height = 2, int headerSize = 40)
    {
        int stride = (width * bits + 31) / 32 * 4;
        int palette = bits <= 8 ? (1 << bits) * 4 : 0;
        int offset = 14 + headerSize + palette;
        var b = new byte[offset + (int)Math.Min(4096L, (long)stride * Math.Abs(height))];
        b[0] = (byte)'B'; b[1] = (byte)'M';
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(2), b.Length);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(10), offset);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(14), headerSize);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(18), width);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(22), height);
        BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(28), (short)bits);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(30), compression);
        return b;
    }

    private static void BmpFails(byte[] bmp, string fragment)
    {
        var ex = Assert.Throws<InvalidDataException>(() => ImageCodecs.Decode(new MemoryStream(bmp), "bad.bmp"))!;
        Assert.That(ex.Message, Does.Contain("bad.bmp").And.Contain(fragment));
    }

    [Test]
    public void BmpDefectsAreReported()
    {
        Assert.That(ImageCodecs.Decode(new MemoryStream(Bmp(24, 0))).Channels, Is.EqualTo(3));
        Assert.That(ImageCodecs.Decode(new MemoryStream(Bmp(8, 0, height: -2))).Height, Is.EqualTo(2));
        BmpFails(Bmp(8, 1), "BI_RLE8");
        BmpFails(Bmp(4, 2), "BI_RLE4");
        BmpFails(Bmp(16, 0), "16 bits per pixel");
        BmpFails(Bmp(24, 3), "BI_BITFIELDS with 24");
        BmpFails(Bmp(24, 0, headerSize: 41), "DIB header size 41");
        BmpFails(Bmp(24, 0, width: 0), "width and height");
        BmpFails(Bmp(24, 0, width: 100_000, height: 100_000), "decompression bomb");
        BmpFails(Bmp(24, 0)[..60], "truncated");
        var odd = Bmp(32, 3);
        odd = odd[..54].Concat(new byte[] { 0xF0, 0x0F, 0, 0, 0, 0xFF, 0, 0, 0xFF, 0, 0, 0 }).Concat(odd[54..]).ToArray();
        BinaryPrimitives.WriteInt32LittleEndian(odd.AsSpan(10), 66);
        BmpFails(odd, "mask");
        var manyColours = Bmp(1, 0);
        BinaryPrimitives.WriteInt32LittleEndian(manyColours.AsSpan(46), 3);
        BmpFails(manyColours, "palette of 3 colours");
    }
}
