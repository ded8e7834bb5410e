using Wsss.Core.Data;
using Wsss.Core.Imaging;
using Wsss.Core.Tensors;

namespace Wsss.Core.Tests.Data;

public class AugmentationTests
{
    /// <summary>Channel 0 holds x, channel 1 holds y, channel 2 a ramp: every pixel is unique.</summary>
    private static ImageBuffer Ramp(int w, int h, int c)
    {
        var img = new ImageBuffer(w, h, c);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int ch = 0; ch < c; ch++)
                    img[y, x, ch] = (byte)(ch == 0 ? x : ch == 1 ? y : (x * 7 + y * 3) % 251);
        return img;
    }

    private static LabelMap Labels(int w, int h)
    {
        var lab = new LabelMap(w, h);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                lab[y, x] = (byte)(x < w / 2 ? 3 : y < h / 2 ? 0 : 255);
        return lab;
    }

    [Test]
    public void CropOfALargerImageIsAWindowOfIt()
    {
        var img = Ramp(40, 30, 3);
        var (crop, lab) = Augmentation.RandomCrop(img, Labels(40, 30), 16, new Generator(1));
        Assert.That((crop.Width, crop.Height), Is.EqualTo((16, 16)));
        int ox = crop[0, 0, 0], oy = crop[0, 0, 1];
        Assert.That(ox, Is.InRange(0, 24));
        Assert.That(oy, Is.InRange(0, 14));
        var full = Labels(40, 30);
        for (int y = 0; y < 16; y++)
            for (int x = 0; x < 16; x++)
            {
                for (int c = 0; c < 3; c++) Assert.That(crop[y, x, c], Is.EqualTo(img[oy + y, ox + x, c]));
                Assert.That(lab![y, x], Is.EqualTo(full[oy + y, ox + x]));
            }
    }

    [Test]
    public void SmallerImageIsPlacedInAFilledContainer()
    {
        var img = Ramp(5, 4, 3);
        var (crop, lab) = Augmentation.RandomCrop(img, Labels(5, 4), 8, new Generator(2), imageFill: new byte[] { 1, 2, 3 });
        int filled = 0, ignore = 0;
        for (int y = 0; y < 8; y++)
            for (int x = 0; x < 8; x++)
            {
                if (crop[y, x, 0] == 1 && crop[y, x, 1] == 2 && crop[y, x, 2] == 3) filled++;
                if (lab![y, x] == 255) ignore++;
            }
        Assert.That(filled, Is.EqualTo(64 - 20));
        Assert.That(ignore, Is.EqualTo(64 - 20 + 6)); // the container plus the 3x2 void quadrant of the label map
    }

    [Test]
    public void RescaleRoundsLikeNumpyAndKeepsLabelValues()
    {
        var img = Ramp(125, 375, 3);
        var (small, lab) = Augmentation.Rescale(img, Labels(125, 375), 0.5);
        Assert.That((small.Width, small.Height), Is.EqualTo((62, 188)));
        Assert.That(lab!.Labels.Distinct().Order(), Is.EqualTo(new byte[] { 0, 3, 255 }));
        var (big, _) = Augmentation.RandomResizeLong(img, null, 320, 320, new Generator(3));
        Assert.That((big.Width, big.Height), Is.EqualTo((107, 320)));
    }

    [Test]
    public void FlipIsDeterministicPerSeedAndShared()
    {
        var img = Ramp(6, 2, 1);
        var flipped = Augmentation.FlipHorizontal(img);
        Assert.That(flipped[1, 0, 0], Is.EqualTo(img[1, 5, 0]));
        int flips = 0;
        var g = new Generator(9);
        var asLabels = new LabelMap(6, 2, (byte[])img.Pixels.Clone());
        for (int i = 0; i < 200; i++)
        {
            var (a, b) = Augmentation.RandomFlip(img, asLabels, g);
            Assert.That(a.Pixels, Is.EqualTo(b!.Labels));
            if (!ReferenceEquals(a, img)) flips++;
        }
        Assert.That(flips, Is.InRange(70, 130));
    }

    [Test]
    public void ColorJitterBrightnessScalesAndNoJitterIsIdentity()
    {
        var img = Ramp(8, 8, 3);
        Assert.That(Augmentation.ColorJitter(img, 0, 0, 0, 0, new Generator(1)).Pixels, Is.EqualTo(img.Pixels));
        var bright = Augmentation.ColorJitter(img, 0.3f, 0, 0, 0, new Generator(4));
        double ratio = bright.Pixels.Zip(img.Pixels).Where(p => p.Second > 50 && p.First < 255).Average(p => (double)p.First / p.Second);
        Assert.That(ratio, Is.InRange(0.69, 1.31));
        Assert.That(ratio, Is.Not.EqualTo(1.0).Within(1e-3));
        var hueOnly = Augmentation.ColorJitter(img, 0, 0, 0, 0.1f, new Generator(5));
        Assert.That(hueOnly.Pixels, Is.Not.EqualTo(img.Pixels));
        Assert.Throws<ArgumentException>(() => Augmentation.ColorJitter(new ImageBuffer(2, 2, 1), 0.3f, 0, 0, 0, new Generator(1)));
    }

    [Test]
    public void BadArgumentsAreRejected()
    {
        var img = Ramp(4, 4, 3);
        Assert.That(Assert.Throws<ArgumentException>(() => Augmentation.RandomCrop(img, Labels(5, 4), 8, new Generator(1)))!.ParamName, Is.EqualTo("labels"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => Augmentation.Rescale(img, null, 0))!.ParamName, Is.EqualTo("scale"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => Augmentation.RandomCrop(img, null, 0, new Generator(1)))!.ParamName, Is.EqualTo("size"));
    }
}
