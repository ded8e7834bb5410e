using System.Diagnostics;
using Wsss.Core.Imaging;
using Wsss.Core.Imaging.Jpeg;
using Wsss.Core.IO;

namespace Wsss.Core.Tests.Imaging.Jpeg;

/// <summary>
/// Decodes the committed corpus (made by <c>Fixtures/imaging/jpeg/make_jpeg_corpus.py</c>) and compares each
/// file with PIL's decode (Debian python3-pil 9.4 on libjpeg-turbo 2.1.5).
/// </summary>
/// <remarks>
/// Tolerance: the decoder reproduces libjpeg's default pipeline (islow IDCT, fancy up-sampling, fixed-point
/// colour tables), so every corpus file matches exactly today; the asserted bound is the one T.81 and libjpeg
/// allow between conforming IDCTs: max |Δ| ≤ <see cref="MaxAbs"/> levels and mean |Δ| ≤ <see cref="MeanAbs"/>.
/// </remarks>
[TestFixture]
public class JpegDecoderTests
{
    /// <summary>Largest accepted per-sample difference from PIL.</summary>
    public const int MaxAbs = 2;

    /// <summary>Largest accepted mean absolute difference from PIL.</summary>
    public const double MeanAbs = 0.5;

    internal static string Dir => Path.Combine(TestContext.CurrentContext.TestDirectory, "Fixtures", "imaging", "jpeg");

    private static IEnumerable<string> CorpusFiles()
    {
        string dir = Path.Combine(Path.GetDirectoryName(typeof(JpegDecoderTests).Assembly.Location)!, "Fixtures", "imaging", "jpeg");
        return Directory.GetFiles(dir, "*.jpg").Select(Path.GetFileName).Order()!;
    }

    [TestCaseSource(nameof(CorpusFiles))]
    public void MatchesPil(string file)
    {
        string path = Path.Combine(Dir, file);
        bool exif = file.StartsWith("exif_", StringComparison.Ordinal);
        var image = JpegDecoder.Decode(path, applyExifOrientation: exif);
        var reference = Npz.Read(Path.ChangeExtension(path, ".npz"))["pixels"];
        var shape = reference.GetShape();
        int channels = shape.Length == 2 ? 1 : shape[2];
        Assert.That((image.Height, image.Width, image.Channels), Is.EqualTo((shape[0], shape[1], channels)), "shape");
        var (max, mean) = Difference(image.Pixels, reference.Data.Span);
        TestContext.Out.WriteLine($"{file}: max |diff| {max}, mean |diff| {mean:F4}");
        Assert.That(max, Is.LessThanOrEqualTo(MaxAbs), "max abs difference");
        Assert.That(mean, Is.LessThanOrEqualTo(MeanAbs), "mean abs difference");
    }

    internal static (int Max, double Mean) Difference(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        Assert.That(a.Length, Is.EqualTo(b.Length));
        int max = 0;
        long sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            int d = Math.Abs(a[i] - b[i]);
            sum += d;
            if (d > max) max = d;
        }
        return (max, a.Length == 0 ? 0 : (double)sum / a.Length);
    }

    [Test]
    public void EveryCorpusFileIsExact()
    {
        // Documents what is achieved today (bit-exact with libjpeg-turbo); MatchesPil asserts the looser contract.
        foreach (var file in CorpusFiles())
        {
            string path = Path.Combine(Dir, file);
            var image = JpegDecoder.Decode(path, file.StartsWith("exif_", StringComparison.Ordinal));
            var reference = Npz.Read(Path.ChangeExtension(path, ".npz"))["pixels"];
            Assert.That(Difference(image.Pixels, reference.Data.Span).Max, Is.Zero, file);
        }
    }

    [Test]
    public void StreamAndPathDecodesAgree()
    {
        string path = Path.Combine(Dir, "progressive_420.jpg");
        var a = JpegDecoder.Decode(path);
        using var fs = File.OpenRead(path);
        var b = JpegDecoder.Decode(fs, "x.jpg");
        Assert.That(b.Pixels, Is.EqualTo(a.Pixels));
    }

    [Test]
    public void ExifOrientationIsIgnoredUnlessRequested()
    {
        var raw = JpegDecoder.Decode(Path.Combine(Dir, "exif_orientation_6.jpg"));
        Assert.That((raw.Width, raw.Height), Is.EqualTo((23, 17)));
        var upright = JpegDecoder.Decode(Path.Combine(Dir, "exif_orientation_6.jpg"), applyExifOrientation: true);
        Assert.That((upright.Width, upright.Height), Is.EqualTo((17, 23)));
    }

    [Test]
    public void GrayscaleHasOneChannelAndColourThree()
    {
        Assert.That(JpegDecoder.Decode(Path.Combine(Dir, "gray.jpg")).Channels, Is.EqualTo(1));
        Assert.That(JpegDecoder.Decode(Path.Combine(Dir, "cmyk_adobe.jpg")).Channels, Is.EqualTo(3));
    }
}
