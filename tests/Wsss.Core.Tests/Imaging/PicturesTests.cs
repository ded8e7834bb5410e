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

    [Test]
    public void HeatmapUsesJet()
    {
        var cam = Wsss.Core.Tensors.Tensor.FromArray(new float[] { 0, 2, 4, -1 }, 1, 4);
        var h = Pictures.Heatmap(cam);
        // matplotlib jet: 0 → (0, 0, 0.5), 0.5 → (0.5, 1, 0.5), 1 → (0.5, 0, 0); negatives count as 0.
        Assert.That(h.Pixels, Is.EqualTo(new byte[] { 0, 0, 128, 128, 255, 128, 128, 0, 0, 0, 0, 128 }));
        var photo = new ImageBuffer(4, 1, 3);
        Assert.That(Pictures.Heatmap(cam, photo, 0.5f).Pixels[2], Is.EqualTo(64));
        Assert.That(Assert.Throws<ArgumentException>(() => Pictures.Heatmap(Wsss.Core.Tensors.Tensor.Zeros(2)))!.ParamName, Is.EqualTo("cam"));
    }

    [Test]
    public void SvgChartIsWellFormedAndScaled()
    {
        var svg = SvgChart.LineChart(new[] { ("loss", (IReadOnlyList<(double, double)>)new[] { (0.0, 1.0), (10.0, 0.5), (20.0, 0.25) }) }, "Training <curve>");
        var doc = System.Xml.Linq.XDocument.Parse(svg);
        var ns = doc.Root!.Name.Namespace;
        var line = doc.Root.Element(ns + "polyline")!.Attribute("points")!.Value.Split(' ');
        Assert.That(line, Has.Length.EqualTo(3));
        Assert.That(line[0], Is.EqualTo("70,40"), "first point at the top left (max loss)");
        Assert.That(line[2], Is.EqualTo("620,350"), "last point at the bottom right");
        Assert.That(svg, Does.Contain("Training &lt;curve&gt;"));
        Assert.Throws<ArgumentException>(() => SvgChart.LineChart(Array.Empty<(string, IReadOnlyList<(double, double)>)>()));
    }
}
