using Wsss.Core.IO;
using Wsss.Core.Models;
using Wsss.Core.Tensors;

namespace Wsss.Core.Tests.Models;

/// <summary>The reconstruction paper's classifier g against PyTorch (Fixtures/cam/make_cam_fixtures.py).</summary>
public class SigmoidClassifierTests
{
    [Test]
    public void MatchesTheReference()
    {
        var f = TensorFiles.LoadNpz(TestUtil.FixturePath("cam", "classifier_g.npz"));
        var g = new SigmoidClassifier();
        Assert.That(g.StateDict().Keys.First(), Is.EqualTo("resnet18.conv1.weight"));
        Assert.That(g.StateDict().Keys.Last(), Is.EqualTo("resnet18.fc.bias"));
        Assert.That(g.Network.StateDict()["fc.weight"].Shape, Is.EqualTo(new[] { 1, 512 }));
        FormulaWeights.Set(g);
        g.Eval();
        using var noGrad = Autograd.NoGrad();
        var p = g.Call(f["x"]);
        TestUtil.AssertClose(p, f["probs"], 1e-5, 1e-6, "probabilities");
        Assert.That(SigmoidClassifier.Loss(p, f["targets"]).Item(), Is.EqualTo(f["loss"].Item()).Within(1e-5));
        Assert.That(SigmoidClassifier.Accuracy(p, f["targets"]), Is.EqualTo(0.5), "p ≈ 0.476 for both: right on the negative only");
    }

    [Test]
    public void LoadsTorchvisionWeightsAndRejectsBadInput()
    {
        var g = new SigmoidClassifier(3);
        var tv = ResNet.ResNet18().StateDict();
        FormulaWeights.Set(ResNet.ResNet18());
        var fcBefore = g.Network.StateDict()["fc.weight"].Data.ToArray();
        var r = g.LoadBackboneStateDict(tv);
        Assert.That(r.MissingKeys, Is.EqualTo(Array.Empty<string>()));
        Assert.That(g.Network.StateDict()["layer2.0.conv1.weight"].Data.ToArray(), Is.EqualTo(tv["layer2.0.conv1.weight"].Data.ToArray()));
        Assert.That(g.Network.StateDict()["fc.weight"].Data.ToArray(), Is.EqualTo(fcBefore), "the 3-way fc is kept");
        var partial = tv.Where(kv => kv.Key != "layer1.0.conv1.weight").ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.That(Assert.Throws<ArgumentException>(() => g.LoadBackboneStateDict(partial))!.Message, Does.Contain("missing keys [layer1.0.conv1.weight]"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => new SigmoidClassifier(0))!.ParamName, Is.EqualTo("outputs"));
        Assert.That(Assert.Throws<ArgumentException>(() => SigmoidClassifier.Accuracy(Tensor.Zeros(2, 1), Tensor.Zeros(2, 2)))!.ParamName, Is.EqualTo("targets"));
    }
}
