using Wsss.Core.Imaging;
using Wsss.Core.IO;
using Wsss.Core.Tensors;
using static Wsss.Core.Tests.Imaging.ImagingTestHelpers;

namespace Wsss.Core.Tests.Imaging;

[TestFixture]
public class ImageBufferTests
{
    [Test]
    public void ConstructorValidates()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImageBuffer(0, 1, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImageBuffer(1, 1, 2));
        Assert.Throws<ArgumentException>(() => new ImageBuffer(2, 2, 3, new byte[11]));
        var img = new ImageBuffer(2, 3, 4);
        Assert.That(img.Pixels, Has.Length.EqualTo(24));
        img[2, 1, 3] = 9;
        Assert.That(img.Pixels[(2 * 2 + 1) * 4 + 3], Is.EqualTo(9));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = img[3, 0, 0]);
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = img[0, 0, 4]);
    }

    [Test]
    public void ToGrayMatchesPilConvertL()
    {
        var img = ImageCodecs.Decode(Fixture("pil_rgb.png"));
        var (_, expected) = LoadU8(Fixture("pil_rgb.png.L.npy"));
        Assert.That(img.ToGray().Pixels, Is.EqualTo(expected));
        Assert.That(ImageCodecs.Decode(Fixture("pil_rgba.png")).ToGray().Pixels, Is.EqualTo(expected));
    }

    [Test]
    public void ToGrayRoundsAsPilOnEveryGrayLevel()
    {
        var img = new ImageBuffer(256, 1, 3);
        for (int v = 0; v < 256; v++) { img[0, v, 0] = (byte)v; img[0, v, 1] = (byte)v; img[0, v, 2] = (byte)v; }
        Assert.That(img.ToGray().Pixels, Is.EqualTo(Enumerable.Range(0, 256).Select(v => (byte)v).ToArray()));
        var red = new ImageBuffer(1, 1, 3, [255, 0, 0]);
        Assert.That(red.ToGray().Pixels[0], Is.EqualTo(76)); // PIL: Image.new('RGB', (1, 1), (255, 0, 0)).convert('L') → 76
    }

    [Test]
    public void ToRgbReplicatesGrayAndDropsAlpha()
    {
        var gray = new ImageBuffer(2, 1, 1, [10, 20]);
        Assert.That(gray.ToRgb().Pixels, Is.EqualTo(new byte[] { 10, 10, 10, 20, 20, 20 }));
        var rgba = new ImageBuffer(1, 1, 4, [1, 2, 3, 4]);
        Assert.That(rgba.ToRgb().Pixels, Is.EqualTo(new byte[] { 1, 2, 3 }));
    }

    [Test]
    public void ToTensorIsChwOver255AndNormalizeIsTorchvisions()
    {
        var img = new ImageBuffer(2, 1, 3, [0, 128, 255, 51, 102, 204]);
        var t = img.ToTensor();
        Assert.That(t.Shape, Is.EqualTo(new[] { 3, 1, 2 }));
        Assert.That(t.ToArray(), Is.EqualTo(new[] { 0f, 51 / 255f, 128 / 255f, 102 / 255f, 1f, 204 / 255f }));
        var n = img.ToNormalizedTensor(ImageBuffer.ImageNetMean, ImageBuffer.ImageNetStd);
        float[] expected = [(0f - 0.485f) / 0.229f, (51 / 255f - 0.485f) / 0.229f, (128 / 255f - 0.456f) / 0.224f, (102 / 255f - 0.456f) / 0.224f, (1f - 0.406f) / 0.225f, (204 / 255f - 0.406f) / 0.225f];
        Assert.That(n.ToArray(), Is.EqualTo(expected));
        Assert.Throws<ArgumentException>(() => img.ToNormalizedTensor([0.5f], [0.5f]));
    }

    [Test]
    public void FromTensorClampsAndRounds()
    {
        var t = Tensor.FromArray([-0.5f, 0f, 0.5f / 255f, 1.5f / 255f, 0.2f, 1f, 3f, float.NaN], 2, 2, 2);
        Assert.Throws<ArgumentException>(() => ImageBuffer.FromTensor(t));
        var t1 = t.Reshape(1, 2, 4);
        var img = ImageBuffer.FromTensor(t1);
        Assert.That(img.Pixels, Is.EqualTo(new byte[] { 0, 0, 0, 2, 51, 255, 255, 0 }));
        var src = ImageCodecs.Decode(Fixture("png_c6_d8.png"));
        Assert.That(ImageBuffer.FromTensor(src.ToTensor()).Pixels, Is.EqualTo(src.Pixels));
    }

    [Test]
    public void LabelMapConvertsToAndFromTensors()
    {
        var map = new LabelMap(3, 2, [0, 1, 255, 20, 3, 0]);
        var t = map.ToTensor();
        Assert.That(t.Shape, Is.EqualTo(new[] { 2, 3 }));
        Assert.That(t.ToArray(), Is.EqualTo(new[] { 0f, 1f, 255f, 20f, 3f, 0f }));
        Assert.That(LabelMap.FromTensor(t).Labels, Is.EqualTo(map.Labels));
        Assert.Throws<ArgumentException>(() => LabelMap.FromTensor(Tensor.FromArray([0.5f], 1, 1)));
        Assert.Throws<ArgumentException>(() => LabelMap.FromTensor(Tensor.FromArray([256f], 1, 1)));
        Assert.Throws<ArgumentException>(() => LabelMap.FromTensor(Tensor.FromArray([1f], 1, 1, 1)));
        Assert.Throws<ArgumentException>(() => new LabelMap(2, 2, new byte[3]));
        Assert.That(map[1, 0], Is.EqualTo(20));
    }

    [Test]
    public void NpyArraysDecodeAsImagesAndLabels()
    {
        string dir = NewTempDirectory();
        try
        {
            var data = Enumerable.Range(0, 2 * 3 * 3).Select(i => (byte)(i * 9)).ToArray();
            string p = Path.Combine(dir, "img.npy");
            Npy.Write(p, NpyArray.FromUInt8(data, 2, 3, 3));
            var img = ImageCodecs.Decode(p);
            Assert.That((img.Width, img.Height, img.Channels), Is.EqualTo((3, 2, 3)));
            Assert.That(img.Pixels, Is.EqualTo(data));

            string l = Path.Combine(dir, "lab.npy");
            Npy.Write(l, NpyArray.FromUInt8([1, 2, 255, 4], 2, 2));
            Assert.That(ImageCodecs.DecodeLabels(l).Labels, Is.EqualTo(new byte[] { 1, 2, 255, 4 }));

            string f = Path.Combine(dir, "f.npy");
            Npy.Write(f, NpyArray.FromFloat32(new float[12], 2, 2, 3));
            var ex = Assert.Throws<InvalidDataException>(() => ImageCodecs.Decode(f));
            Assert.That(ex!.Message, Does.Contain("f.npy").And.Contain("uint8"));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Test]
    public void DetectFormatRecognisesMagicBytes()
    {
        Assert.That(ImageCodecs.DetectFormat([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]), Is.EqualTo(ImageFormat.Png));
        Assert.That(ImageCodecs.DetectFormat([0xFF, 0xD8, 0xFF, 0xE0]), Is.EqualTo(ImageFormat.Jpeg));
        Assert.That(ImageCodecs.DetectFormat("BM"u8), Is.EqualTo(ImageFormat.Bmp));
        Assert.That(ImageCodecs.DetectFormat([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0]), Is.EqualTo(ImageFormat.Npy));
        Assert.That(ImageCodecs.DetectFormat("GIF89a"u8), Is.EqualTo(ImageFormat.Unknown));
        Assert.That(ImageCodecs.DetectFormat([]), Is.EqualTo(ImageFormat.Unknown));
    }
}
