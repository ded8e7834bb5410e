using NUnit.Framework;
using Wsss.Core.IO;
using Wsss.Core.Nn;
using Wsss.Core.Tensors;

namespace Wsss.Core.Tests.IO;

/// <summary>.pth checkpoints written by torch.save (Fixtures/pth/make_pth_fixtures.py) against the same tensors as .npz.</summary>
public class PthFileTests
{
    private static string Fixture(string name) => TestUtil.FixturePath("pth", name);

    [TestCase("small_state")]
    [TestCase("mixed")]
    [TestCase("legacy_zip_name", "small_state")]
    [TestCase("small_state_legacy", "small_state")]
    [TestCase("small_state_legacy_v1", "small_state")]
    [TestCase("small_state_legacy_py2", "small_state")]
    [TestCase("mixed_legacy", "mixed")]
    public void EveryTensorMatchesTorch(string pth, string? npz = null)
    {
        var loaded = PthFile.Load(Fixture(pth + ".pth"));
        var expected = TensorFiles.LoadNpz(Fixture((npz ?? pth) + ".npz"));
        Assert.That(loaded.Keys, Is.EqualTo(expected.Keys), "keys in PyTorch's order");
        foreach (var (key, e) in expected)
        {
            Assert.That(loaded[key].Shape, Is.EqualTo(e.Shape), key);
            Assert.That(loaded[key].ToArray(), Is.EqualTo(e.ToArray()), key);
        }
    }

    [Test]
    public void StateDictLoadsIntoAModuleWithPyTorchNames()
    {
        var model = new Sequential(new Conv2d(3, 4, 3), new BatchNorm2d(4), new ReLU(), new Linear(4, 2));
        // torch's model has Flatten as child 2 where ours has ReLU: neither has state, so the keys line up.
        var state = PthFile.Load(Fixture("small_state.pth"));
        var result = model.LoadStateDict(state, strict: true);
        Assert.That(result.MissingKeys, Is.Empty);
        Assert.That(((BatchNorm2d)model[1]).NumBatchesTracked.Item(), Is.EqualTo(7f));
        Assert.That(((Conv2d)model[0]).Weight.ToArray(), Is.EqualTo(state["0.weight"].ToArray()));
    }

    [Test]
    public void PthAndSafetensorsOfTheSameModelLoadIdentically()
    {
        var fromPth = PthFile.Load(Fixture("small_state.pth"));
        var fromSafetensors = StateDictFile.Load(Fixture("small_state.safetensors"));
        Assert.That(fromSafetensors.Keys.OrderBy(k => k, StringComparer.Ordinal), Is.EqualTo(fromPth.Keys.OrderBy(k => k, StringComparer.Ordinal)));
        foreach (var (key, t) in fromPth)
        {
            Assert.That(fromSafetensors[key].Shape, Is.EqualTo(t.Shape), key);
            Assert.That(fromSafetensors[key].ToArray(), Is.EqualTo(t.ToArray()), key);
        }
        var a = new Sequential(new Conv2d(3, 4, 3), new BatchNorm2d(4), new ReLU(), new Linear(4, 2));
        var b = new Sequential(new Conv2d(3, 4, 3), new BatchNorm2d(4), new ReLU(), new Linear(4, 2));
        a.LoadStateDict(fromPth);
        StateDictFile.Load(Fixture("small_state.safetensors"), b, strict: true);
        foreach (var (key, t) in a.StateDict()) Assert.That(b.StateDict()[key].ToArray(), Is.EqualTo(t.ToArray()), key);
        var expected = TensorFiles.LoadNpz(Fixture("small_state.npz"));
        Assert.That(a.StateDict()["1.running_mean"].ToArray(), Is.EqualTo(expected["1.running_mean"].ToArray()));
    }

    [Test]
    public void LegacyCheckpointsNestedUnderAKeyLoad()
    {
        var loaded = PthFile.Load(Fixture("nested_legacy.pth"), entry: "model");
        var expected = TensorFiles.LoadNpz(Fixture("small_state.npz"));
        Assert.That(loaded.Keys, Is.EqualTo(expected.Keys));
        foreach (var (key, e) in expected) Assert.That(loaded[key].ToArray(), Is.EqualTo(e.ToArray()), key);
        var ex = Assert.Throws<InvalidDataException>(() => PthFile.Load(Fixture("nested_legacy.pth")))!;
        Assert.That(ex.Message, Does.Contain("pass the nesting key as entry"));
    }

    [Test]
    public void TruncatedLegacyCheckpointsAreReported()
    {
        string path = Path.Combine(Path.GetTempPath(), $"wsss-pth-{Guid.NewGuid():N}.pth");
        try
        {
            var good = File.ReadAllBytes(Fixture("small_state_legacy.pth"));
            for (int cut = 16; cut < good.Length; cut += 37)
            {
                File.WriteAllBytes(path, good[..cut]);
                var ex = Assert.Throws<InvalidDataException>(() => PthFile.Load(path), $"cut at {cut}")!;
                Assert.That(ex.Message, Does.Contain(path), $"cut at {cut}: the message names the file");
            }

            File.WriteAllBytes(path, [1, 2, 3]);
            Assert.That(Assert.Throws<InvalidDataException>(() => PthFile.Load(path))!.Message, Does.Contain("not a PyTorch checkpoint"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void CheckpointsHoldingOtherObjectsAreRefused()
    {
        var ex = Assert.Throws<InvalidDataException>(() => PthFile.Load(Fixture("not_tensors.pth")));
        Assert.That(ex!.Message, Does.Contain("__main__.Payload").And.Contain("not_tensors.pth"));
    }

    [Test]
    public void CorruptFilesAreReported()
    {
        string path = Path.Combine(Path.GetTempPath(), $"wsss-pth-{Guid.NewGuid():N}.pth");
        try
        {
            File.WriteAllBytes(path, new byte[] { 1, 2, 3 });
            Assert.That(Assert.Throws<InvalidDataException>(() => PthFile.Load(path))!.Message, Does.Contain("zip"));
            var good = File.ReadAllBytes(Fixture("small_state.pth"));
            for (int cut = 100; cut < good.Length; cut += 397)
            {
                File.WriteAllBytes(path, good[..cut]);
                Assert.Throws<InvalidDataException>(() => PthFile.Load(path), $"cut at {cut}");
            }
        }
        finally
        {
            File.Delete(path);
        }
    }
}
