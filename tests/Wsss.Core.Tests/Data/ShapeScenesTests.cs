using Wsss.Core.Data;

namespace Wsss.Core.Tests.Data;

public class ShapeScenesTests
{
    [Test]
    public void BatchesAreDeterministicAndConsistentWithTheirMasks()
    {
        var gen = new ShapeScenes(32, seed: 4);
        var (images, labels, masks) = gen.Batch(7, 3);
        var again = gen.Batch(7, 3);
        Assert.That(again.Images.ToArray(), Is.EqualTo(images.ToArray()));
        Assert.That(gen.Batch(8, 3).Images.ToArray(), Is.Not.EqualTo(images.ToArray()));
        Assert.That(images.Shape, Is.EqualTo(new[] { 6, 3, 32, 32 }));
        Assert.That(labels.ToArray(), Is.EqualTo(new float[] { 1, 1, 1, 1, 1, 1, 0, 1, 0, 1, 0, 1 }));
        for (int n = 0; n < 6; n++)
        {
            int objectPixels = 0;
            for (int y = 0; y < 32; y++)
                for (int x = 0; x < 32; x++)
                    if (masks[n, y, x] == 0) objectPixels++;
            if (n < 3) Assert.That(objectPixels, Is.GreaterThan(16), $"image {n} has an object");
            else Assert.That(objectPixels, Is.Zero, $"image {n} is a negative");
        }
        Assert.That(images.ToArray().All(v => v >= 0 && v <= 1), Is.True);
    }
}
