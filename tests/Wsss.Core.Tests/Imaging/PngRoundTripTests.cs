using Wsss.Core.Imaging;
using Wsss.Core.Imaging.Png;
using Wsss.Core.Tensors;
using static Wsss.Core.Tests.Imaging.ImagingTestHelpers;

namespace Wsss.Core.Tests.Imaging;

[TestFixture]
public class PngRoundTripTests
{
    private static ImageBuffer Random(int w, int h, int c, ulong seed, bool smooth)
    {
        var g = new Generator(seed);
        var img = new ImageBuffer(w, h, c);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int k = 0; k < c; k++)
                    img[y, x, k] = smooth ? (byte)((x * 3 + y * 5 + k * 40 + (int)(g.NextFloat() * 6)) & 0xFF) : (byte)(g.NextFloat() * 256);
        return img;
    }

    [TestCase(1, 1, 1)]
    [TestCase(17, 5, 1)]
    [TestCase(64, 33, 3)]
    [TestCase(3, 40, 3)]
    [TestCase(31, 9, 4)]
    public void ImageWriteReadIsExact(int w, int h, int c)
    {
        foreach (bool smooth in new[] { false, true })
        {
            var img = Random(w, h, c, (ulong)(w * 100 + h + c), smooth);
            var ms = new MemoryStream();
            PngEncoder.Write(ms, img);
            ms.Position = 0;
            var back = PngDecoder.Decode(ms);
            Assert.That((back.Width, back.Height, back.Channels), Is.EqualTo((w, h, c)));
            Assert.That(back.Pixels, Is.EqualTo(img.Pixels));
        }
    }

    [Test]
    public void FileWriteIsAtomicAndReadable()
    {
        string dir = NewTempDirectory();
        try
        {
            string path = Path.Combine(dir, "a.png");
            var img = Random(20, 10, 3, 3, true);
            PngEncoder.Write(path, img);
            PngEncoder.Write(path, img); // replaces
            Assert.That(Directory.GetFiles(dir), Has.Length.EqualTo(1));
            Assert.That(ImageCodecs.Decode(path).Pixels, Is.EqualTo(img.Pixels));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Test]
    public void LabelMapsKeepTheirIndicesWithTheVocPalette()
    {
        string dir = NewTempDirectory();
        try
        {
            var src = PngDecoder.DecodeLabels(Fixture("label_7_3_s.png"));
            string path = Path.Combine(dir, "l.png");
            PngEncoder.WriteLabels(path, src);
            var back = ImageCodecs.DecodeLabels(path);
            Assert.That(back.Labels, Is.EqualTo(src.Labels));
            // The colours are VOC's, and identical to the original file's colours.
            Assert.That(PngDecoder.Decode(path).Pixels, Is.EqualTo(PngDecoder.Decode(Fixture("label_7_3_s.png")).Pixels));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Test]
    public void EveryLabelValueRoundTripsWithACustomPalette()
    {
        var map = new LabelMap(16, 16);
        for (int i = 0; i < 256; i++) map.Labels[i] = (byte)i;
        var palette = new byte[768];
        for (int i = 0; i < 768; i++) palette[i] = (byte)(i * 7);
        var ms = new MemoryStream();
        PngEncoder.WriteLabels(ms, map, palette);
        ms.Position = 0;
        Assert.That(PngDecoder.DecodeLabels(ms).Labels, Is.EqualTo(map.Labels));
        ms.Position = 0;
        var rgb = PngDecoder.Decode(ms);
        Assert.That(rgb.Pixels, Is.EqualTo(palette));
    }

    [Test]
    public void LabelsOutsideAShortPaletteAreRejected()
    {
        var map = new LabelMap(2, 1, [0, 5]);
        var ex = Assert.Throws<ArgumentException>(() => PngEncoder.WriteLabels(new MemoryStream(), map, new byte[9]));
        Assert.That(ex!.ParamName, Is.EqualTo("palette"));
        Assert.Throws<ArgumentException>(() => PngEncoder.WriteLabels(new MemoryStream(), map, new byte[10]));
    }

    [Test]
    public void VocPaletteIsTheStandardColourMap()
    {
        Assert.That(VocPalette.Color(0), Is.EqualTo(((byte)0, (byte)0, (byte)0)));
        Assert.That(VocPalette.Color(1), Is.EqualTo(((byte)128, (byte)0, (byte)0)));
        Assert.That(VocPalette.Color(2), Is.EqualTo(((byte)0, (byte)128, (byte)0)));
        Assert.That(VocPalette.Color(15), Is.EqualTo(((byte)192, (byte)128, (byte)128)));
        Assert.That(VocPalette.Color(20), Is.EqualTo(((byte)0, (byte)64, (byte)128)));
        Assert.That(VocPalette.Color(255), Is.EqualTo(((byte)224, (byte)224, (byte)192)));
        Assert.That(VocPalette.ToArray(), Has.Length.EqualTo(768));
    }

    [Test]
    public void LabelMapPngIsSmallAndCompressesLikeAFilterNoneImage()
    {
        var src = PngDecoder.DecodeLabels(Fixture("label_1_27_s.png"));
        var ms = new MemoryStream();
        PngEncoder.WriteLabels(ms, src);
        Assert.That(ms.Length, Is.LessThan(8000));
    }
}
