using Wsss.Core.IO;
using Wsss.Core.Metrics;

namespace Wsss.Core.Tests.Metrics;

public class ConfusionMatrixTests
{
    [Test]
    public void HandCheckedTwoClassCase()
    {
        // gt:   0 0 1 1 255 1     pred: 0 1 1 1 0 0
        var m = new ConfusionMatrix(3);
        m.Add(new[] { 0, 1, 1, 1, 0, 0 }, new[] { 0, 0, 1, 1, 255, 1 });
        Assert.That(m.Total, Is.EqualTo(5));
        Assert.That(m[0, 0], Is.EqualTo(1));
        Assert.That(m[0, 1], Is.EqualTo(1));
        Assert.That(m[1, 1], Is.EqualTo(2));
        Assert.That(m[1, 0], Is.EqualTo(1));
        var iou = m.IoU();
        Assert.That(iou[0], Is.EqualTo(1.0 / 3).Within(1e-12)); // TP 1, FP 1, FN 1
        Assert.That(iou[1], Is.EqualTo(2.0 / 4).Within(1e-12)); // TP 2, FP 1, FN 1
        Assert.That(double.IsNaN(iou[2]), Is.True);              // class 2 appears nowhere
        Assert.That(m.MeanIoU(), Is.EqualTo((1.0 / 3 + 0.5) / 2).Within(1e-12));
        Assert.That(m.MeanIoU(AbsentClassPolicy.CountAsOne), Is.EqualTo((1.0 / 3 + 0.5 + 1) / 3).Within(1e-12));
        Assert.That(m.MeanIoU(AbsentClassPolicy.CountAsZero), Is.EqualTo((1.0 / 3 + 0.5) / 3).Within(1e-12));
        Assert.That(m.PixelAccuracy(), Is.EqualTo(3.0 / 5).Within(1e-12));
        Assert.That(m.Precision()[1], Is.EqualTo(2.0 / 3).Within(1e-12));
        Assert.That(m.Recall()[0], Is.EqualTo(0.5).Within(1e-12));
    }

    [Test]
    public void PerturbedMsrcMapsMatchNumpy()
    {
        var f = Npz.Read(TestUtil.FixturePath("metrics", "msrc_perturbed.npz"));
        var m = new ConfusionMatrix(17);
        for (int i = 0; i < 3; i++) m.Add(f[$"pred{i}"].ToUInt8(), f[$"gt{i}"].ToUInt8());
        var conf = f["confusion"].ToInt64();
        for (int g = 0; g < 17; g++)
            for (int p = 0; p < 17; p++)
                Assert.That(m[g, p], Is.EqualTo(conf[g * 17 + p]), $"confusion[{g}, {p}]");
        Assert.That(m.IoU(), Is.EqualTo(f["iou"].ToFloat64()).Within(1e-12));
        Assert.That(m.MeanIoU(), Is.EqualTo(f["miou_exclude"].ToFloat64()[0]).Within(1e-12));
        Assert.That(m.MeanIoU(AbsentClassPolicy.CountAsOne), Is.EqualTo(f["miou_one"].ToFloat64()[0]).Within(1e-12));
        Assert.That(m.MeanIoU(AbsentClassPolicy.CountAsZero), Is.EqualTo(f["miou_zero"].ToFloat64()[0]).Within(1e-12));
        Assert.That(m.PixelAccuracy(), Is.EqualTo(f["pixel_accuracy"].ToFloat64()[0]).Within(1e-12));
        Assert.That(m.Precision(), Is.EqualTo(f["precision"].ToFloat64()).Within(1e-12));
        Assert.That(m.Recall(), Is.EqualTo(f["recall"].ToFloat64()).Within(1e-12));
    }

    [Test]
    public void BadLabelsAreRejected()
    {
        var m = new ConfusionMatrix(2);
        Assert.That(Assert.Throws<ArgumentException>(() => m.Add(new[] { 0 }, new[] { 2 }))!.ParamName, Is.EqualTo("groundTruth"));
        Assert.That(Assert.Throws<ArgumentException>(() => m.Add(new[] { 5 }, new[] { 1 }))!.ParamName, Is.EqualTo("prediction"));
        Assert.That(Assert.Throws<ArgumentException>(() => m.Add(new[] { 0, 1 }, new[] { 1 }))!.ParamName, Is.EqualTo("prediction"));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new ConfusionMatrix(0));
        Assert.That(double.IsNaN(new ConfusionMatrix(2).MeanIoU()), Is.True);
    }
}
