using Wsss.Core.Imaging;
using Wsss.Core.Imaging.Png;

namespace Wsss.Cli.Tests.Commands;

/// <summary><c>wsss info</c>, <c>eval</c>, <c>overlay</c> and <c>synth</c> on the MSRC mini set and generated scenes.</summary>
[NonParallelizable]
public class DatasetCommandTests
{
    private static string Msrc(params string[] parts) => Cli.Fixture(["msrc_mini", .. parts]);

    [Test]
    public void InfoReportsVersionAndSimd()
    {
        var (exit, stdout, _) = Cli.Run("info");
        Assert.That(exit, Is.EqualTo(0));
        Assert.That(stdout, Does.Contain("Wsss.Core").And.Contain("Vector256:").And.Contain("cores:"));
    }

    [Test]
    public void EvalScoresPerfectAndDamagedPredictions()
    {
        string gt = Msrc("SegmentationClass");
        var perfect = Cli.Run("eval", "--pred", gt, "--gt", gt, "--num-classes", "24");
        Assert.That(perfect.Exit, Is.EqualTo(0), perfect.Err);
        Assert.That(perfect.Out, Does.Contain("images: 4").And.Contain("mIoU: 1.0000"));

        string dir = Cli.TempDir();
        try
        {
            // One prediction entirely background: the mIoU must drop below 1 and be reported in the JSON too.
            foreach (var file in Directory.GetFiles(gt, "*.png")) File.Copy(file, Path.Combine(dir, Path.GetFileName(file)));
            var first = Directory.GetFiles(dir, "*.png").Order(StringComparer.Ordinal).First();
            var map = ImageCodecs.DecodeLabels(first);
            PngEncoder.WriteLabels(first, new LabelMap(map.Width, map.Height));
            var damaged = Cli.Run("eval", "--pred", dir, "--gt", gt, "--num-classes", "24", "--json", Path.Combine(dir, "scores.json"));
            Assert.That(damaged.Exit, Is.EqualTo(0), damaged.Err);
            string last = damaged.Out.TrimEnd().Split('\n')[^1];
            Assert.That(last, Does.StartWith("mIoU: 0."));
            Assert.That(File.ReadAllText(Path.Combine(dir, "scores.json")), Does.Contain("miou").IgnoreCase);
            var missing = Cli.Run("eval", "--pred", Path.Combine(dir, "none"), "--gt", gt, "--num-classes", "24");
            Assert.That(missing.Err, Does.StartWith("error: --pred folder"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void OverlayWithAlphaZeroWritesThePhoto()
    {
        string dir = Cli.TempDir();
        try
        {
            string photo = Msrc("JPEGImages", "12_8_s.jpg"), labels = Msrc("SegmentationClass", "12_8_s.png"), output = Path.Combine(dir, "o.png");
            var (exit, _, err) = Cli.Run("overlay", "--image", photo, "--labels", labels, "--out", output, "--alpha", "0");
            Assert.That(exit, Is.EqualTo(0), err);
            Assert.That(ImageCodecs.Decode(output).Pixels, Is.EqualTo(ImageCodecs.Decode(photo).ToRgb().Pixels));
            var blended = Cli.Run("overlay", "--image", photo, "--labels", labels, "--out", output, "--alpha", "0.5");
            Assert.That(blended.Exit, Is.EqualTo(0), blended.Err);
            Assert.That(ImageCodecs.Decode(output).Pixels, Is.Not.EqualTo(ImageCodecs.Decode(photo).ToRgb().Pixels));
            var bad = Cli.Run("overlay", "--image", photo, "--labels", labels, "--out", output, "--alpha", "2");
            Assert.That(bad.Err, Does.StartWith("error:").And.Contain("--alpha"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void SynthWritesAVocLayoutSetThatEvalReads()
    {
        string dir = Cli.TempDir();
        try
        {
            var (exit, stdout, err) = Cli.Run("synth", "--out", dir, "--count", "5", "--size", "48", "--seed", "3", "--classes", "2");
            Assert.That(exit, Is.EqualTo(0), err);
            Assert.That(stdout, Does.Contain("wrote 5 scenes"));
            Assert.That(Directory.GetFiles(Path.Combine(dir, "JPEGImages")), Has.Length.EqualTo(5));
            Assert.That(Directory.GetFiles(Path.Combine(dir, "SegmentationClass"), "*.png"), Has.Length.EqualTo(5));
            string gt = Path.Combine(dir, "SegmentationClass");
            var eval = Cli.Run("eval", "--pred", gt, "--gt", gt, "--num-classes", "3");
            Assert.That(eval.Out, Does.Contain("mIoU: 1.0000"), eval.Err);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void UnknownCommandsAndOptionsFail()
    {
        Assert.That(Cli.Run("no-such-command").Exit, Is.Not.EqualTo(0));
        Assert.That(Cli.Run("info", "--no-such-option").Exit, Is.Not.EqualTo(0));
    }
}
