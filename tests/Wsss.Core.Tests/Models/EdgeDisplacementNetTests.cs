using Wsss.Core.Models;
using Wsss.Core.Nn;
using Wsss.Core.Tensors;

namespace Wsss.Core.Tests.Models;

/// <summary>
/// IRNet's EdgeDisplacementNet against a PyTorch 1.13 re-implementation of <c>resnet50_irn</c>
/// (Fixtures/irn_heads/make_irn_heads_fixtures.py: same formula weights, torchvision ResNet-50 backbone).
/// </summary>
public class EdgeDisplacementNetTests
{
    private EdgeDisplacementNet _net = null!;

    [OneTimeSetUp]
    public void CreateNet()
    {
        _net = new EdgeDisplacementNet(new Generator(3));
        IrnHeadsFixture.SetFormulaWeights(_net);
    }

    [Test]
    public void ForwardMatchesReference()
    {
        var f = IrnHeadsFixture.Load("irn_net.npz");
        _net.Eval();
        using (Autograd.NoGrad())
        {
            var o = _net.Forward(f["x"]);
            Assert.That(o.EdgeLogits.Shape, Is.EqualTo(new[] { 2, 1, 13, 17 }), "stride 4 of 50x66");
            TestUtil.AssertCloseL2(o.EdgeLogits, f["edge"], 1e-4, 1e-4, 2e-5, "edge logits");
            TestUtil.AssertCloseL2(o.Displacement, f["dp"], 1e-4, 1e-4, 2e-5, "displacement (eval)");
        }
        _net.Train();
        try
        {
            using var noGrad = Autograd.NoGrad();
            var o = _net.Forward(f["x"]);
            TestUtil.AssertCloseL2(o.Displacement, f["dp_train"], 1e-4, 1e-4, 2e-5, "displacement (training: no mean shift)");
            Assert.That(_net.Backbone.Training, Is.False, "the backbone stays in eval mode");
            Assert.That(_net.MeanShift.Training, Is.True);
        }
        finally
        {
            _net.Eval();
        }
    }

    [Test]
    public void InferMatchesReference()
    {
        var f = IrnHeadsFixture.Load("irn_infer.npz");
        _net.Train();
        var r = _net.Infer(f["image"], cropSize: 64);
        Assert.That(_net.Training, Is.True, "mode restored");
        _net.Eval();
        Assert.That(r.Boundary.Shape, Is.EqualTo(new[] { 1, 12, 15 }), "((45 − 1) / 4 + 1, (57 − 1) / 4 + 1)");
        Assert.That(r.Boundary.RequiresGrad, Is.False);
        TestUtil.AssertCloseL2(r.Boundary, f["edge"], 1e-4, 1e-4, 1e-6, "boundary");
        TestUtil.AssertCloseL2(r.Displacement, f["dp"], 1e-4, 1e-4, 2e-5, "displacement");
        var batched = _net.Infer(f["image"].Reshape(1, 3, 45, 57), cropSize: 64);
        Assert.That(batched.Boundary.ToArray(), Is.EqualTo(r.Boundary.ToArray()), "(1, 3, H, W) input");
    }

    [Test]
    public void ReferenceKeysRoundTripStrictly()
    {
        var lines = IrnHeadsFixture.KeyLines("irn_net_keys.txt");
        var reference = _net.ReferenceStateDict();
        Assert.That(reference.Select(kv => (kv.Key + " " + string.Join(' ', kv.Value.Shape)).TrimEnd()).ToArray(), Is.EqualTo(lines),
            "the reference Net.state_dict(): keys, order and shapes");
        var canonical = _net.StateDict().Keys.ToArray();
        Assert.That(canonical, Has.Length.EqualTo(lines.Length - lines.Count(l => l.StartsWith("stage", StringComparison.Ordinal) || l.StartsWith("backbone.", StringComparison.Ordinal)
            || l.StartsWith("edge_layers.", StringComparison.Ordinal) || l.StartsWith("dp_layers.", StringComparison.Ordinal) || l.StartsWith("fc_dp7.4.", StringComparison.Ordinal))));
        Assert.That(canonical.Take(3), Is.EqualTo(new[] { "resnet50.conv1.weight", "resnet50.bn1.weight", "resnet50.bn1.bias" }));
        Assert.That(canonical, Does.Contain("fc_dp7.3.weight").And.Contain("mean_shift.running_mean").And.Contain("fc_edge6.bias"));

        // a checkpoint as PyTorch writes it (every alias a copy, plus the training-loss buffers) loads strictly
        var checkpoint = reference.ToDictionary(kv => kv.Key, kv => kv.Value);
        checkpoint["path_indices0"] = Tensor.Zeros(3, 4);
        checkpoint["disp_target"] = Tensor.Zeros(1, 2, 3, 1);
        var fresh = new EdgeDisplacementNet(new Generator(4));
        var result = fresh.LoadReferenceStateDict(checkpoint);
        Assert.That(result.MissingKeys, Is.Empty);
        Assert.That(result.UnexpectedKeys, Is.Empty);
        foreach (var (key, t) in _net.StateDict())
            Assert.That(fresh.StateDict()[key].ToArray(), Is.EqualTo(t.ToArray()), key);
        Assert.That(fresh.MeanShift.RunningMean.ToArray(), Is.EqualTo(new[] { 0.25f, -0.15f }));

        // only the alias names (stage*, edge_layers, dp_layers, fc_dp7.4) still load
        var aliasesOnly = checkpoint.Where(kv => !kv.Key.StartsWith("resnet50.", StringComparison.Ordinal) && !kv.Key.StartsWith("fc_", StringComparison.Ordinal)
            && !kv.Key.StartsWith("mean_shift.", StringComparison.Ordinal) && !kv.Key.StartsWith("backbone.", StringComparison.Ordinal)).ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.That(fresh.LoadReferenceStateDict(aliasesOnly).MissingKeys, Is.Empty);
    }

    [Test]
    public void StrictLoadingReportsMissingUnexpectedAndConflictingKeys()
    {
        var net = new EdgeDisplacementNet(new Generator(5));
        var checkpoint = net.ReferenceStateDict().ToDictionary(kv => kv.Key, kv => kv.Value);

        var missing = new Dictionary<string, Tensor>(checkpoint);
        foreach (var k in new[] { "fc_edge3.1.bias", "edge_layers.2.1.bias" }) missing.Remove(k);
        var e = Assert.Throws<ArgumentException>(() => net.LoadReferenceStateDict(missing))!;
        Assert.That(e.Message, Does.Contain("missing keys [fc_edge3.1.bias]"));
        Assert.That(e.ParamName, Is.EqualTo("state"));
        Assert.That(net.LoadReferenceStateDict(missing, strict: false).MissingKeys, Is.EqualTo(new[] { "fc_edge3.1.bias" }));

        var unexpected = new Dictionary<string, Tensor>(checkpoint) { ["fc_edge7.weight"] = Tensor.Zeros(1) };
        Assert.That(Assert.Throws<ArgumentException>(() => net.LoadReferenceStateDict(unexpected))!.Message, Does.Contain("unexpected keys [fc_edge7.weight]"));
        Assert.That(net.LoadReferenceStateDict(unexpected, strict: false).UnexpectedKeys, Is.EqualTo(new[] { "fc_edge7.weight" }));

        var conflicting = new Dictionary<string, Tensor>(checkpoint);
        conflicting["dp_layers.6.3.weight"] = checkpoint["dp_layers.6.3.weight"] + 1f;
        Assert.That(Assert.Throws<ArgumentException>(() => net.LoadReferenceStateDict(conflicting))!.Message,
            Does.Contain("dp_layers.6.3.weight").And.Contain("fc_dp7.3.weight").And.Contain("different values"));

        var wrongShape = new Dictionary<string, Tensor>(checkpoint) { ["fc_edge6.bias"] = Tensor.Zeros(2), ["edge_layers.5.bias"] = Tensor.Zeros(2) };
        Assert.That(Assert.Throws<ArgumentException>(() => net.LoadReferenceStateDict(wrongShape))!.Message, Does.Contain("size mismatch for fc_edge6.bias"));
    }

    [Test]
    public void LoadBackboneTakesTorchvisionNames()
    {
        var net = new EdgeDisplacementNet(new Generator(6));
        var tv = File.ReadAllLines(TestUtil.FixturePath("resnet", "resnet50_irn_keys.txt")).Where(l => l.Length > 0)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToDictionary(p => p[0], p => Tensor.Full(p.Skip(1).Select(int.Parse).ToArray(), 0.5f));
        tv["fc.weight"] = Tensor.Zeros(1000, 2048);
        tv["fc.bias"] = Tensor.Zeros(1000);
        var r = net.LoadBackbone(tv);
        Assert.That(r.MissingKeys, Is.Empty);
        Assert.That(net.StateDict()["resnet50.layer4.2.conv3.weight"].Data[7], Is.EqualTo(0.5f));
        tv.Remove("layer2.0.bn1.running_var");
        Assert.That(Assert.Throws<ArgumentException>(() => net.LoadBackbone(tv))!.Message, Does.Contain("layer2.0.bn1.running_var"));
    }

    [Test]
    public void OnlyTheHeadsTrainAndGroupsFollowTrainIrn()
    {
        var net = new EdgeDisplacementNet(new Generator(7));
        Assert.That(net.Backbone.Parameters().All(p => !p.RequiresGrad), "frozen backbone");
        Assert.That(net.Backbone.Training, Is.False);
        net.Train();
        Assert.That(net.Backbone.Training, Is.False, "Train() keeps the backbone in eval mode");
        var groups = net.ParameterGroups();
        Assert.That(groups.Select(g => g.LearningRate), Is.EqualTo(new[] { 0.1, 1.0 }).Within(1e-12));
        Assert.That(groups.Select(g => g.WeightDecay), Is.EqualTo(new[] { 1e-4, 1e-4 }));
        Assert.That(groups[0].Parameters, Has.Count.EqualTo(5 * 3 + 2), "fc_edge1..5: conv, GN weight, GN bias; fc_edge6: weight, bias");
        Assert.That(groups[1].Parameters, Has.Count.EqualTo(6 * 3 + 4), "fc_dp1..6: 3 each; fc_dp7: conv, GN weight, GN bias, conv");
        var trainable = net.Parameters().Where(p => p.RequiresGrad).ToHashSet();
        Assert.That(groups.SelectMany(g => g.Parameters).ToHashSet().SetEquals(trainable), "the groups hold exactly the trainable parameters");

        var x = TestUtil.Rand(8, 2, 3, 36, 44);
        x.RequiresGrad = true;
        var o = net.Forward(x);
        (o.EdgeLogits.Sum() + (o.Displacement * o.Displacement).Sum()).Backward();
        Assert.That(x.Grad, Is.Null, "stage outputs are detached: nothing reaches the input");
        Assert.That(net.Backbone.Parameters().All(p => p.Grad is null));
        Assert.That(groups.SelectMany(g => g.Parameters).All(p => p.Grad is not null && p.Grad.Data.ToArray().Any(v => v != 0)));
        net.Eval();
    }

    [Test]
    public void HeadGradientsMatchFiniteDifferences()
    {
        var net = new EdgeDisplacementNet(new Generator(9));
        var named = net.NamedParameters().ToDictionary(p => p.Name, p => (Tensor)p.Parameter);
        var x = TestUtil.Rand(10, 1, 3, 33, 39);
        // GroupNorm biases of +5 keep the following ReLUs of fc_edge4, fc_dp1 and fc_dp7 away from their kink, so that
        // central differences are exact up to float noise. fc_edge4 passes the ×4 up-sampling and the crop; fc_dp1
        // feeds fc_dp7 (GroupNorm, convolutions) and the mean shift.
        foreach (var name in new[] { "fc_edge4.1.bias", "fc_dp1.1.bias", "fc_dp7.1.bias" }) named[name].Data.Fill(5f);
        net.MeanShift.SetRunningMean(new[] { 0.5f, -0.5f });
        net.Eval();
        GradCheck.Check(_ => { var o = net.Forward(x); return Tensor.Cat(new[] { o.EdgeLogits, o.Displacement }, 1); },
            new[] { named["fc_edge4.1.bias"], named["fc_edge6.bias"], named["fc_dp1.1.bias"] });
    }

    [Test]
    public void MeanShiftCalibration()
    {
        var net = new EdgeDisplacementNet(new Generator(11));
        var batches = new[] { TestUtil.Rand(12, 2, 3, 40, 40), TestUtil.Rand(13, 1, 3, 36, 48) };
        net.Train();
        double[][] raw;
        using (Autograd.NoGrad())
            raw = batches.Select(b => { var d = net.Forward(b).Displacement; return new[] { (double)d.Narrow(1, 0, 1).Mean().Item(), d.Narrow(1, 1, 1).Mean().Item() }; }).ToArray();
        net.MeanShift.SetRunningMean(new[] { 5f, 5f });
        var mean = net.CalibrateMeanShift(batches);
        Assert.That(net.Training, Is.True, "mode restored");
        Assert.That(mean, Is.EqualTo(new[] { (raw[0][0] + raw[1][0]) / 2, (raw[0][1] + raw[1][1]) / 2 }).Within(1e-6), "mean of the batch means of the raw output");
        Assert.That(net.MeanShift.RunningMean.ToArray(), Is.EqualTo(mean));
        net.Eval();
        using (Autograd.NoGrad())
        {
            var dp = net.Forward(batches[0]).Displacement;
            Assert.That(dp.Narrow(1, 0, 1).Mean().Item(), Is.EqualTo((raw[0][0] - raw[1][0]) / 2).Within(1e-6), "eval mode subtracts it");
        }
    }
}
