using Wsss.Core.Metrics;

namespace Wsss.Core.Tests.Metrics;

public class InstanceAveragePrecisionTests
{
    private static bool[] Mask(params int[] pixels)
    {
        var m = new bool[16];
        foreach (int p in pixels) m[p] = true;
        return m;
    }

    [Test]
    public void HandCheckedCase()
    {
        // Class 0: ground truth A = {0..3}, B = {8..11}. Predictions by score: A (TP), A again (duplicate → FP), most of B (IoU 0.75 → TP).
        var gt = new InstanceSegmentation(new[] { Mask(0, 1, 2, 3), Mask(8, 9, 10, 11) }, new[] { 0, 0 });
        var pred = new InstanceSegmentation(new[] { Mask(0, 1, 2, 3), Mask(0, 1, 2, 3), Mask(8, 9, 10) }, new[] { 0, 0, 0 }, new[] { 0.9f, 0.8f, 0.7f });
        // precision 1, 1/2, 2/3 at recall 1/2, 1/2, 1 → envelope area 1/2·1 + 1/2·2/3 = 5/6.
        var (perClass, mean) = InstanceAveragePrecision.Evaluate(new[] { pred }, new[] { gt });
        Assert.That(perClass[0], Is.EqualTo(5.0 / 6).Within(1e-12));
        Assert.That(mean, Is.EqualTo(5.0 / 6).Within(1e-12));
        // VOC07 11-point: six recall points at precision 1, five at 2/3.
        var (ap07, _) = InstanceAveragePrecision.Evaluate(new[] { pred }, new[] { gt }, use07Metric: true);
        Assert.That(ap07[0], Is.EqualTo((6 + 5 * 2.0 / 3) / 11).Within(1e-12));
        // At IoU 0.8 the B prediction no longer matches: AP = 1/2 (recall stops at 1/2 with precision 1).
        Assert.That(InstanceAveragePrecision.Evaluate(new[] { pred }, new[] { gt }, iouThreshold: 0.8).PerClass[0], Is.EqualTo(0.5).Within(1e-12));
    }

    [Test]
    public void DifficultInstancesAreIgnoredAndAbsentClassesAreNaN()
    {
        var gt = new InstanceSegmentation(new[] { Mask(0, 1), Mask(4, 5), Mask(12, 13) }, new[] { 1, 1, 2 }, Difficult: new[] { false, true, false });
        // Class 1: a prediction on the difficult instance (ignored) ranked above one on the real one: AP stays 1.
        // Class 3: predicted but never in the ground truth: NaN, left out of the mean.
        var pred = new InstanceSegmentation(new[] { Mask(4, 5), Mask(0, 1), Mask(7) }, new[] { 1, 1, 3 }, new[] { 0.9f, 0.5f, 0.8f });
        var (perClass, mean) = InstanceAveragePrecision.Evaluate(new[] { pred }, new[] { gt });
        Assert.That(perClass.Length, Is.EqualTo(4));
        Assert.That(double.IsNaN(perClass[0]), Is.True);
        Assert.That(perClass[1], Is.EqualTo(1.0).Within(1e-12));
        Assert.That(perClass[2], Is.EqualTo(0.0), "class 2 has ground truth but no prediction");
        Assert.That(double.IsNaN(perClass[3]), Is.True);
        Assert.That(mean, Is.EqualTo(0.5).Within(1e-12));
    }

    [Test]
    public void BadInputIsRejected()
    {
        var gt = new InstanceSegmentation(new[] { Mask(0) }, new[] { 0 });
        var noScores = new InstanceSegmentation(new[] { Mask(0) }, new[] { 0 });
        Assert.That(Assert.Throws<ArgumentException>(() => InstanceAveragePrecision.Evaluate(new[] { noScores }, new[] { gt }))!.ParamName, Is.EqualTo("predictions"));
        Assert.That(Assert.Throws<ArgumentException>(() => InstanceAveragePrecision.Evaluate(Array.Empty<InstanceSegmentation>(), new[] { gt }))!.ParamName, Is.EqualTo("predictions"));
        Assert.Throws<ArgumentOutOfRangeException>(() => InstanceAveragePrecision.Evaluate(new[] { gt }, new[] { gt }, iouThreshold: 0));
    }
}
