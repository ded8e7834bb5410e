using Wsss.Core.Pipelines;

namespace Wsss.Core.Tests.Pipelines;

public class ReconstructionTrainerTests
{
    private static string TempDir() => Path.Combine(Path.GetTempPath(), $"wsss-train-{Guid.NewGuid():N}");

    private static ReconstructionTrainingOptions Options(int steps) => new()
    {
        Steps = steps, Positives = 1, ImageSize = 16, Width = 2, CheckpointEvery = 2, Seed = 3,
    };

    [Test]
    public void ResumedRunEqualsUninterruptedRun()
    {
        string a = TempDir(), b = TempDir();
        try
        {
            var straight = new ReconstructionTrainer(Options(6), a);
            straight.Run();

            var first = new ReconstructionTrainer(Options(3), b);
            first.Run();
            Assert.That(first.CompletedSteps, Is.EqualTo(3));
            var reports = new List<TrainingProgress>();
            var resumed = new ReconstructionTrainer(Options(6), b);
            resumed.Run(new SyncProgress(reports.Add));
            Assert.That(reports[0].Resumed, Is.True);
            Assert.That(reports[0].Step, Is.EqualTo(3));
            Assert.That(reports.Skip(1).Select(r => r.Step), Is.EqualTo(new[] { 4, 5, 6 }));
            Assert.That(resumed.LossHistory, Is.EqualTo(straight.LossHistory));
            foreach (var ((name, p), (_, q)) in straight.Model.NamedParameters().Zip(resumed.Model.NamedParameters()))
                Assert.That(q.ToArray(), Is.EqualTo(p.ToArray()), name);
        }
        finally
        {
            if (Directory.Exists(a)) Directory.Delete(a, true);
            if (Directory.Exists(b)) Directory.Delete(b, true);
        }
    }

    [Test]
    public void CheckpointFromOtherSettingsIsRefused()
    {
        string d = TempDir();
        try
        {
            new ReconstructionTrainer(Options(2), d).Run();
            var other = new ReconstructionTrainer(Options(2) with { Width = 4 }, d);
            var ex = Assert.Throws<InvalidOperationException>(() => other.Run());
            Assert.That(ex!.Message, Does.Contain("different settings"));
        }
        finally
        {
            Directory.Delete(d, true);
        }
    }

    [Test]
    public void BadOptionsNameTheSetting()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => _ = new ReconstructionTrainer(Options(2) with { ImageSize = 20 }, TempDir()));
        Assert.That(ex!.ParamName, Is.EqualTo("ImageSize"));
    }

    private sealed class SyncProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
