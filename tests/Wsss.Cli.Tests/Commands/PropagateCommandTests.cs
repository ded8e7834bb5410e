using Wsss.Core.IO;

namespace Wsss.Cli.Tests.Commands;

/// <summary><c>wsss propagate</c> against IRNet's propagate_to_edge (the library tests' irn_propagate_13x17 case).</summary>
[NonParallelizable]
public class PropagateCommandTests
{
    [Test]
    public void MatchesIrnsDenseRandomWalk()
    {
        string dir = Cli.TempDir();
        try
        {
            var f = Npz.Read(Cli.Fixture("irn_propagate_13x17.npz"));
            Npy.Write(Path.Combine(dir, "cams.npy"), f["cams"]);
            Npy.Write(Path.Combine(dir, "edge.npy"), NpyArray.FromFloat32(f["edge"].ToFloat32(), 13, 17));
            var (exit, stdout, err) = Cli.Run("propagate", "--cams", Path.Combine(dir, "cams.npy"), "--boundary", Path.Combine(dir, "edge.npy"),
                "--out", Path.Combine(dir, "rw.npy"), "--timing");
            Assert.That(exit, Is.EqualTo(0), err);
            Assert.That(stdout, Does.Match(@"time_ms: \d+\.\d"));
            var rw = Npy.Read(Path.Combine(dir, "rw.npy"));
            Assert.That(rw.GetShape(), Is.EqualTo(new[] { 2, 13, 17 }));
            float[] actual = rw.ToFloat32(), expected = f["rw"].ToFloat32(); // (C, 1, h, w)
            Assert.That(actual, Has.Length.EqualTo(expected.Length));
            for (int i = 0; i < actual.Length; i++) Assert.That(actual[i], Is.EqualTo(expected[i]).Within(1e-4), $"element {i}");

            var bad = Cli.Run("propagate", "--cams", Path.Combine(dir, "cams.npy"), "--boundary", Path.Combine(dir, "cams.npy"), "--out", Path.Combine(dir, "x.npy"));
            Assert.That(bad.Exit, Is.Not.EqualTo(0));
            Assert.That(bad.Err, Does.StartWith("error: --boundary"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
