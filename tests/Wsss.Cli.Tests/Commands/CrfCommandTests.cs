using Wsss.Core.IO;

namespace Wsss.Cli.Tests.Commands;

/// <summary><c>wsss crf</c> against pydensecrf's outputs (the library tests' c64x48_L5_psa case) and its error messages.</summary>
[NonParallelizable]
public class CrfCommandTests
{
    private string _dir = "";
    private IReadOnlyDictionary<string, NpyArray> _case = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = Cli.TempDir();
        _case = Npz.Read(Cli.Fixture("c64x48_L5_psa.npz"));
        Npy.Write(Path.Combine(_dir, "image.npy"), _case["image"]);
        Npy.Write(Path.Combine(_dir, "probs.npy"), _case["probs"]);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    [Test]
    public void ProbabilitiesFormMatchesPydensecrfAfterTenIterations()
    {
        var (exit, _, err) = Cli.Run("crf", "--image", P("image.npy"), "--probs", P("probs.npy"), "--out", P("q.npy"), "--timing");
        Assert.That(exit, Is.EqualTo(0), err);
        var q = Npy.Read(P("q.npy"));
        Assert.That(q.GetShape(), Is.EqualTo(new[] { 5, 48, 64 }), "the CLI writes (L, H, W)");
        float[] actual = q.ToFloat32(), expected = _case["Q10"].ToFloat32(); // (L, N) = (L, H·W)
        double worst = 0;
        for (int i = 0; i < actual.Length; i++) worst = Math.Max(worst, Math.Abs(actual[i] - expected[i]));
        Assert.That(worst, Is.LessThan(1e-3), "max |ΔQ| after 10 iterations");
    }

    [Test]
    public void IterationsFlagIsHonoured()
    {
        var (exit, _, err) = Cli.Run("crf", "--image", P("image.npy"), "--probs", P("probs.npy"), "--out", P("q1.npy"), "--iterations", "1");
        Assert.That(exit, Is.EqualTo(0), err);
        float[] actual = Npy.Read(P("q1.npy")).ToFloat32(), expected = _case["Q1"].ToFloat32();
        Assert.That(actual, Has.Length.EqualTo(5 * 48 * 64));
        for (int i = 0; i < actual.Length; i++) Assert.That(actual[i], Is.EqualTo(expected[i]).Within(1e-5), $"element {i}");
    }

    [Test]
    public void LabelsFormGivesProbabilitiesThatFollowTheLabels()
    {
        var map = _case["map10"].ToInt32();
        Npy.Write(P("labels.npy"), NpyArray.FromInt32(map, 48, 64));
        var (exit, _, err) = Cli.Run("crf", "--image", P("image.npy"), "--labels", P("labels.npy"), "--n-labels", "5", "--gt-prob", "0.7", "--out", P("q.npy"));
        Assert.That(exit, Is.EqualTo(0), err);
        var q = Npy.Read(P("q.npy"));
        Assert.That(q.GetShape(), Is.EqualTo(new[] { 5, 48, 64 }));
        float[] v = q.ToFloat32();
        int n = 48 * 64, agree = 0;
        for (int i = 0; i < n; i++)
        {
            double sum = 0;
            int best = 0;
            for (int k = 0; k < 5; k++)
            {
                sum += v[k * n + i];
                if (v[k * n + i] > v[best * n + i]) best = k;
            }

            Assert.That(sum, Is.EqualTo(1).Within(1e-4), $"pixel {i} sums to 1");
            if (best == map[i]) agree++;
        }

        Assert.That(agree, Is.GreaterThan(n * 9 / 10), "a confident label map mostly survives the CRF");
    }

    [TestCase("--bilateral-srgb", "0")]
    [TestCase("--gaussian-sxy", "-1")]
    [TestCase("--bilateral-sxy", "NaN")]
    [TestCase("--gaussian-compat", "Infinity")]
    public void BadParametersAreReportedByTheirFlag(string flag, string value)
    {
        var (exit, _, err) = Cli.Run("crf", "--image", P("image.npy"), "--probs", P("probs.npy"), "--out", P("q.npy"), flag, value);
        Assert.That(exit, Is.Not.EqualTo(0));
        Assert.That(err, Does.StartWith("error: " + flag));
        Assert.That(err.TrimEnd().Split('\n'), Has.Length.EqualTo(1), "one line");
        Assert.That(File.Exists(P("q.npy")), Is.False);
    }

    [Test]
    public void InconsistentInputsAreReported()
    {
        var both = Cli.Run("crf", "--image", P("image.npy"), "--probs", P("probs.npy"), "--labels", P("probs.npy"), "--out", P("q.npy"));
        Assert.That(both.Err, Does.Contain("exactly one of --probs or --labels"));
        Npy.Write(P("small.npy"), NpyArray.FromFloat32(new float[5 * 10 * 10], 5, 10, 10));
        var shape = Cli.Run("crf", "--image", P("image.npy"), "--probs", P("small.npy"), "--out", P("q.npy"));
        Assert.That(shape.Exit, Is.Not.EqualTo(0));
        Assert.That(shape.Err, Does.Contain("--probs").And.Contain("(L, 48, 64)"));
        var missing = Cli.Run("crf", "--image", P("nope.npy"), "--probs", P("probs.npy"), "--out", P("q.npy"));
        Assert.That(missing.Exit, Is.Not.EqualTo(0));
        Assert.That(missing.Err, Does.StartWith("error:").And.Contain("nope.npy"));
        Npy.Write(P("labels.npy"), NpyArray.FromInt32(new int[48 * 64], 48, 64));
        var noCount = Cli.Run("crf", "--image", P("image.npy"), "--labels", P("labels.npy"), "--out", P("q.npy"));
        Assert.That(noCount.Err, Does.Contain("--n-labels"));
        var badGt = Cli.Run("crf", "--image", P("image.npy"), "--labels", P("labels.npy"), "--n-labels", "5", "--gt-prob", "1.5", "--out", P("q.npy"));
        Assert.That(badGt.Err, Does.Contain("--gt-prob"));
    }
}
