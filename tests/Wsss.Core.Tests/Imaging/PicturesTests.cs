using Wsss.Core.Imaging;

namespace Wsss.Core.Tests.Imaging;

public class PicturesTests
{
    [Test]
    public void OverlayBlendsVocColoursAndKeepsVoid()
    {
        var photo = new ImageBuffer(2, 1, 3, new byte[] { 100, 100, 100, 10, 20, 30 });
        var labels = new LabelMap(2, 1, new byte[] { 1, LabelMap.Void });
        var o = Pictures.Overlay(photo, labels, 0.5f);
        // VOC colour of class 1 is (128, 0, 0).
        Assert.That(o.Pixels, Is.EqualTo(new byte[] { 114, 50, 50, 10, 20, 30 }));
        Assert.That(Pictures.Overlay(photo, labels, 0).Pixels, Is.EqualTo(photo.Pixels));
        Assert.That(Pictures.Overlay(photo, labels, 1).Pixels.Take(3), Is.EqualTo(new byte[] { 128, 0, 0 }));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => Pictures.Overlay(photo, labels, 1.5f))!.ParamName, Is.EqualTo("alpha"));
        Assert.That(Assert.Throws<ArgumentException>(() => Pictures.Overlay(photo, new LabelMap(3, 1), 0.5f))!.ParamName, Is.EqualTo("labels"));
    }

    [Test]
    public void ColorizeAndGrid()
    {
        var c = Pictures.Colorize(new LabelMap(2, 1, new byte[] { 0, 15 }));
        Assert.That(c.Pixels, Is.EqualTo(new byte[] { 0, 0, 0, 192, 128, 128 })); // class 15 (person) is (192, 128, 128)
        var grid = Pictures.Grid(new[] { new ImageBuffer(3, 2, 3), new ImageBuffer(2, 2, 1), new ImageBuffer(3, 1, 3) }, columns: 2, gap: 1);
        Assert.That((grid.Width, grid.Height), Is.EqualTo((7, 5)));
        Assert.That(grid[0, 3, 0], Is.EqualTo(255), "gap column");
        Assert.That(grid[0, 0, 0], Is.EqualTo(0), "first image");
    }
}
