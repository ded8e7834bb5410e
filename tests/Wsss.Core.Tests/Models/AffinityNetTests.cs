using Wsss.Core.Models;
using Wsss.Core.Nn;
using Wsss.Core.Propagation;
using Wsss.Core.Tensors;

namespace Wsss.Core.Tests.Models;

/// <summary>
/// AffinityNet's head and its ResNet-50 composition against a PyTorch 1.13 re-implementation of psa's
/// <c>resnet38_aff</c> head (Fixtures/irn_heads/make_irn_heads_fixtures.py: formula weights and features).
/// </summary>
public class AffinityNetTests
{
    [Test]
    public void HeadAndAffinitiesMatchReference()
    {
        var head = new AffinityNetHead(generator: new Generator(1));
        Assert.That(head.StateDict().Select(kv => (kv.Key + " " + string.Join(' ', kv.Value.Shape))).ToArray(),
            Is.EqualTo(IrnHeadsFixture.KeyLines("psa_head_keys.txt")), "psa's names and shapes");
        int j = 0;
        foreach (var (name, t) in head.StateDict()) IrnHeadsFixture.Fill(name, t, j++);
        var f = IrnHeadsFixture.Load("psa_head.npz");
        using var noGrad = Autograd.NoGrad();
        var feat = head.Forward(IrnHeadsFixture.Features(0, 1, 512, 9, 12), IrnHeadsFixture.Features(1, 1, 1024, 9, 12), IrnHeadsFixture.Features(2, 1, 4096, 9, 12));
        TestUtil.AssertCloseL2(feat, f["feat"], 1e-4, 1e-4, 1e-5, "embedding");
        var aff = AffinityNetHead.Affinities(feat);
        Assert.That(aff.Shape, Is.EqualTo(new[] { 1, 34, 20 }), "34 directions, sources (9 − 4) × (12 − 8)");
        TestUtil.AssertCloseL2(aff, f["aff"], 1e-4, 1e-4, 1e-6, "affinities");
        Assert.That(aff.ToArray().Min(), Is.LessThan(0.6f), "the affinities are not all near 1");
    }

    [Test]
    public void ResNet50CompositionMatchesReference()
    {
        var net = new AffinityNet(new Generator(2));
        int j = 0;
        foreach (var (name, t) in net.StateDict())
            if (!name.EndsWith("num_batches_tracked", StringComparison.Ordinal)) IrnHeadsFixture.Fill(name, t, j++);
        net.Eval();
        var f = IrnHeadsFixture.Load("aff_resnet50.npz");
        using var noGrad = Autograd.NoGrad();
        var feat = net.Forward(f["x"]);
        Assert.That(feat.Shape, Is.EqualTo(new[] { 1, 448, 6, 7 }), "stride 8 of 44x52");
        TestUtil.AssertCloseL2(feat, f["feat"], 1e-4, 1e-4, 1e-5, "embedding");
        var aff = net.Affinities(f["x"], radius: 3);
        Assert.That(aff.Shape, Is.EqualTo(new[] { 1, PathIndex.EnumerationDirections(3).Length, 4 * 3 }));
    }

    [Test]
    public void InitialisationFollowsPsa()
    {
        var head = new AffinityNetHead(generator: new Generator(3));
        var named = head.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.ToArray());
        foreach (var (name, fanIn) in new[] { ("f8_3.weight", 512), ("f8_4.weight", 1024), ("f8_5.weight", 4096) })
        {
            var w = named[name];
            double std = Math.Sqrt(w.Sum(v => (double)v * v) / w.Length);
            Assert.That(std, Is.EqualTo(Math.Sqrt(2.0 / fanIn)).Within(3).Percent, $"{name}: Kaiming normal, gain √2, fan-in");
        }
        var f9 = named["f9.weight"];
        double bound = 4 * Math.Sqrt(6.0 / (448 + 448));
        Assert.That(f9.Max(), Is.LessThanOrEqualTo(bound).And.GreaterThan(0.95 * bound), "Xavier uniform, gain 4");
        Assert.That(f9.Min(), Is.GreaterThanOrEqualTo(-bound).And.LessThan(-0.95 * bound));
        Assert.That(head.NamedParameters().Select(p => p.Name), Has.None.Contains("bias"));
    }

    [Test]
    public void HeadGradientsMatchFiniteDifferences()
    {
        var head = new AffinityNetHead(3, 4, 5, new Generator(4));
        var inputs = new[] { TestUtil.Randn(5, 1, 3, 5, 7), TestUtil.Randn(6, 1, 4, 5, 7), TestUtil.Randn(7, 1, 5, 5, 7) };
        GradCheck.Check(x => head.Forward(x[0], x[1], x[2]), inputs);
        GradCheck.Check(x => AffinityNetHead.Affinities(head.Forward(x[0], x[1], x[2]), radius: 3), inputs, rtol: 3e-2, atol: 3e-3);
        var f83 = (Tensor)head.NamedParameters().First(p => p.Name == "f8_3.weight").Parameter;
        GradCheck.Check(_ => head.Forward(inputs[0], inputs[1], inputs[2]), new[] { f83 });
    }

    [Test]
    public void FrozenLayersAndParameterGroups()
    {
        var net = new AffinityNet(new Generator(8));
        var frozen = net.Backbone.NamedParameters().Where(p => !p.Parameter.RequiresGrad).Select(p => p.Name).ToArray();
        Assert.That(frozen, Has.All.Matches<string>(n => n.StartsWith("conv1.") || n.StartsWith("layer1.") || n.Contains("bn") || n.Contains("downsample.1")));
        Assert.That(frozen, Does.Contain("layer1.2.conv3.weight").And.Contain("conv1.weight").And.Contain("layer4.0.bn2.weight"));
        Assert.That(net.Backbone.NamedParameters().Where(p => p.Parameter.RequiresGrad).Select(p => p.Name), Does.Contain("layer2.0.conv1.weight"));
        var groups = net.ParameterGroups();
        Assert.That(groups.Select(g => g.LearningRate), Is.EqualTo(new[] { 0.1, 1.0 }).Within(1e-12));
        Assert.That(groups[1].Parameters, Has.Count.EqualTo(4));
        Assert.That(groups.Sum(g => g.Parameters.Count), Is.EqualTo(net.Parameters().Count(p => p.RequiresGrad)));
        Assert.That(net.StateDict().Keys, Does.Contain("head.f9.weight").And.Contain("backbone.layer4.2.conv3.weight"));
        var tv = net.Backbone.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Clone());
        tv["fc.weight"] = Tensor.Zeros(1000, 2048);
        tv["fc.bias"] = Tensor.Zeros(1000);
        Assert.That(net.LoadBackbone(tv).UnexpectedKeys, Is.Empty, "torchvision's fc is dropped");
    }

    [Test]
    public void BadInputThrows()
    {
        var head = new AffinityNetHead(3, 4, 5, new Generator(9));
        var a = Tensor.Zeros(1, 3, 5, 7);
        var b = Tensor.Zeros(1, 4, 5, 7);
        var c = Tensor.Zeros(1, 5, 5, 7);
        var e = Assert.Throws<ArgumentException>(() => head.Forward(a, Tensor.Zeros(1, 5, 5, 7), c))!;
        Assert.That(e.ParamName, Is.EqualTo("features4"));
        Assert.That(e.Message, Does.Contain("(1, 4, H, W)"));
        e = Assert.Throws<ArgumentException>(() => head.Forward(a, b, Tensor.Zeros(1, 5, 4, 7)))!;
        Assert.That(e.ParamName, Is.EqualTo("features5"));
        Assert.That(e.Message, Does.Contain("like features3"));
        Assert.That(Assert.Throws<ArgumentException>(() => head.Forward(Tensor.Zeros(3, 5, 7), b, c))!.ParamName, Is.EqualTo("features3"));
        Assert.That(Assert.Throws<ArgumentException>(() => AffinityNetHead.Affinities(Tensor.Zeros(1, 8, 4, 20)))!.Message, Does.Contain("no source pixel"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => AffinityNetHead.Affinities(Tensor.Zeros(1, 8, 9, 9), radius: 1))!.ParamName, Is.EqualTo("radius"));
        Assert.That(Assert.Throws<ArgumentException>(() => AffinityNetHead.Affinities(Tensor.Zeros(8, 9, 9)))!.ParamName, Is.EqualTo("features"));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new AffinityNetHead(0, 4, 5));
    }
}
