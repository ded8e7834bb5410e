using Wsss.Core.Imaging;
using Wsss.Core.Imaging.Bmp;
using Wsss.Core.Imaging.Png;
using static Wsss.Core.Tests.Imaging.ImagingTestHelpers;

namespace Wsss.Core.Tests.Imaging;

/// <summary>
/// Every file of Fixtures/imaging (made by make_imaging_fixtures.py) decodes exactly as PIL 9.4 decodes it
/// (the script states PIL's mode-to-channel mapping the reference follows).
/// </summary>
[TestFixture]
public class ImageCorpusTests
{
    public static IEnumerable<string> ImageFiles() =>
        Directory.EnumerateFiles(TestUtil.FixturePath("imaging"))
            .Where(f => f.EndsWith(".png", StringComparison.Ordinal) || f.EndsWith(".bmp", StringComparison.Ordinal))
            .Where(f => File.Exists(f + ".npy"))
            .Select(Path.GetFileName)
            .Select(f => f!)
            .OrderBy(f => f, StringComparer.Ordinal);

    [Test]
    public void CorpusCoversEveryPngColourTypeAndDepthPlainAndAdam7()
    {
        var names = ImageFiles().ToHashSet();
        foreach (var (c, d) in new[] { (0, 1), (0, 2), (0, 4), (0, 8), (0, 16), (2, 8), (2, 16), (3, 1), (3, 2), (3, 4), (3, 8), (4, 8), (4, 16), (6, 8), (6, 16) })
        {
            Assert.That(names, Does.Contain($"png_c{c}_d{d}.png"));
            Assert.That(names, Does.Contain($"png_c{c}_d{d}_adam7.png"));
        }
        Assert.That(names.Count(n => n.EndsWith(".bmp", StringComparison.Ordinal)), Is.GreaterThanOrEqualTo(16));
    }

    [TestCaseSource(nameof(ImageFiles))]
    public void DecodesExactlyAsPil(string file)
    {
        string path = Fixture(file);
        var (shape, expected) = LoadU8(path + ".npy");
        var img = ImageCodecs.Decode(path);
        Assert.That(new[] { img.Height, img.Width, img.Channels }, Is.EqualTo(shape), "shape (H, W, C)");
        Assert.That(img.Pixels, Is.EqualTo(expected));

        var viaCodec = file.EndsWith(".png", StringComparison.Ordinal) ? PngDecoder.Decode(path) : BmpDecoder.Decode(path);
        Assert.That(viaCodec.Pixels, Is.EqualTo(expected));
        using var fs = File.OpenRead(path);
        Assert.That(ImageCodecs.Decode(new NonSeekable(fs), file).Pixels, Is.EqualTo(expected), "non-seekable stream");
    }

    public static IEnumerable<string> PaletteFiles() =>
        Directory.EnumerateFiles(TestUtil.FixturePath("imaging"), "*.png.idx.npy")
            .Select(f => Path.GetFileName(f)![..^".idx.npy".Length])
            .OrderBy(f => f, StringComparer.Ordinal);

    [TestCaseSource(nameof(PaletteFiles))]
    public void PaletteIndicesAreKeptAsLabels(string file)
    {
        var (shape, expected) = LoadU8(Fixture(file + ".idx.npy"));
        var labels = PngDecoder.DecodeLabels(Fixture(file));
        Assert.That(new[] { labels.Height, labels.Width }, Is.EqualTo(shape));
        Assert.That(labels.Labels, Is.EqualTo(expected));
    }

    [TestCase("label_1_27_s.png")]
    [TestCase("label_7_3_s.png")]
    [TestCase("raw_10_11_s.png")]
    public void MsrcLabelMapsDecodeToPilIndices(string file)
    {
        var (shape, expected) = LoadU8(Fixture(file + ".labels.npy"));
        var labels = ImageCodecs.DecodeLabels(Fixture(file));
        Assert.That(new[] { labels.Height, labels.Width }, Is.EqualTo(shape));
        Assert.That(labels.Labels, Is.EqualTo(expected));
        Assert.That(labels.Labels.Distinct().Count(), Is.GreaterThan(1));
    }

    [Test]
    public void VocLabelMapHasVoidPixelsAndVocColours()
    {
        var labels = PngDecoder.DecodeLabels(Fixture("label_7_3_s.png"));
        Assert.That(labels.Labels.Contains(LabelMap.Void), Is.True, "void pixels");
        var rgb = PngDecoder.Decode(Fixture("label_7_3_s.png"));
        Assert.That(rgb.Channels, Is.EqualTo(3));
        for (int i = 0; i < labels.Labels.Length; i += 97)
        {
            var (r, g, b) = VocPalette.Color(labels.Labels[i]);
            Assert.That(new[] { rgb.Pixels[i * 3], rgb.Pixels[i * 3 + 1], rgb.Pixels[i * 3 + 2] }, Is.EqualTo(new[] { r, g, b }));
        }
    }

    [Test]
    public void GrayPngDecodesAsLabelsAndRgbPngDoesNot()
    {
        var (_, expected) = LoadU8(Fixture("png_c0_d8.png.npy"));
        Assert.That(ImageCodecs.DecodeLabels(Fixture("png_c0_d8.png")).Labels, Is.EqualTo(expected));
        var ex = Assert.Throws<InvalidDataException>(() => PngDecoder.DecodeLabels(Fixture("png_c2_d8.png")));
        Assert.That(ex!.Message, Does.Contain("png_c2_d8.png").And.Contain("not a label map"));
        Assert.Throws<InvalidDataException>(() => PngDecoder.DecodeLabels(Fixture("png_c0_d16.png"))); // random 16-bit values exceed 255
    }

    /// <summary>A read-only wrapper hiding seekability.</summary>
    private sealed class NonSeekable(Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, Math.Min(count, 7));
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
