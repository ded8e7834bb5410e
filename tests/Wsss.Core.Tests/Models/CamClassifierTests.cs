using Wsss.Core.IO;
using Wsss.Core.Models;
using Wsss.Core.Nn;
using Wsss.Core.Optim;
using Wsss.Core.Tensors;
using Wsss.Core.Tests.Cam;

namespace Wsss.Core.Tests.Models;

/// <summary>IRNet's CAM network (resnet50_cam.Net) against PyTorch with formula weights (Fixtures/cam/make_cam_fixtures.py).</summary>
public class CamClassifierTests
{
    private static CamClassifier FreshNet()
    {
        var net = new CamClassifier(20);
        FormulaWeights.Set(net);
        return net;
    }

    [Test]
    public void KeysAreIrnsAndOnlyLayer3Layer4AndTheClassifierTrain()
    {
        var net = new CamClassifier();
        var keys = net.StateDict().Keys.ToList();
        Assert.That(keys[0], Is.EqualTo("resnet50.conv1.weight"));
        Assert.That(keys[^1], Is.EqualTo("classifier.weight"));
        Assert.That(net.Classifier.Weight.Shape, Is.EqualTo(new[] { 20, 2048, 1, 1 }));
        Assert.That(net.Classifier.Bias, Is.Null);
        var trainable = net.NamedParameters().Where(p => p.Parameter.RequiresGrad).Select(p => p.Name).ToList();
        Assert.That(trainable, Has.All.Matches<string>(n => n.StartsWith("resnet50.layer3.") || n.StartsWith("resnet50.layer4.") || n == "classifier.weight"));
        Assert.That(trainable, Does.Contain("resnet50.layer3.0.bn1.weight"), "FixedBatchNorm's affine weights still train in the reference");
        var groups = net.ParameterGroups(0.1);
        Assert.That(groups[0].LearningRate, Is.EqualTo(0.1));
        Assert.That(groups[1].LearningRate, Is.EqualTo(1.0).Within(1e-12));
        Assert.That(groups[0].Parameters.Count + groups[1].Parameters.Count, Is.EqualTo(trainable.Count));
    }

    [Test]
    public void LogitsLossAndGradientsMatchTheReference()
    {
        var f = CamFixture.Irn;
        var net = FreshNet();
        var x = CamFixture.Image().ToNormalizedTensor(Wsss.Core.Imaging.ImageBuffer.ImageNetMean, Wsss.Core.Imaging.ImageBuffer.ImageNetStd).Unsqueeze(0);
        var labels = Tensor.FromArray(CamFixture.Labels(), 1, 20);
        var logits = net.Call(x);
        TestUtil.AssertClose(logits, f["logits"].ToTensor(), 1e-4, 1e-5, "logits");
        var loss = CamClassifier.Loss(logits, labels);
        Assert.That(loss.Item(), Is.EqualTo(f["loss"].ToFloat32()[0]).Within(1e-5));
        loss.Backward();
        TestUtil.AssertClose(net.Classifier.Weight.Grad!, f["grad_classifier"].ToTensor(), 1e-4, 1e-8, "classifier gradient");
        var bn = net.NamedParameters().Single(p => p.Name == "resnet50.layer3.0.bn1.weight").Parameter;
        TestUtil.AssertClose(bn.Grad!, f["grad_layer3_bn1"].ToTensor(), 1e-4, 1e-8, "layer3.0.bn1.weight gradient");
        Assert.That(net.NamedParameters().Where(p => p.Name.StartsWith("resnet50.layer2.")).All(p => p.Parameter.Grad is null), "layer2 gets no gradient");
    }

    [Test]
    public void PredictScoresAreCamsAtTheInputSize()
    {
        var net = CamFixture.Network;
        using var noGrad = Autograd.NoGrad();
        var x = TestUtil.Rand(5, 2, 3, 40, 56);
        var cams = net.ForwardCams(x);
        Assert.That(cams.Shape, Is.EqualTo(new[] { 2, 20, 3, 4 }), "output stride 16, rounded up");
        Assert.That(cams.Min().Item(), Is.GreaterThanOrEqualTo(0f), "ReLU'd");
        var scores = net.PredictScores(x);
        Assert.That(scores.Shape, Is.EqualTo(new[] { 2, 20, 40, 56 }));
        var expected = Functional.Interpolate(cams, size: (40, 56), mode: InterpolateMode.Bilinear, alignCorners: false);
        TestUtil.AssertClose(scores, expected, 0, 0, "bilinear upsampling");
    }

    [Test]
    public void LoadsIrnCheckpointsWithTheirStageAliasesAndTorchvisionBackbones()
    {
        var source = FreshNet();
        var state = source.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Clone());
        // IRNet registers the backbone again as stage1..stage4; its checkpoints repeat those tensors.
        state["stage1.0.weight"] = state["resnet50.conv1.weight"];
        state["stage1.1.running_var"] = state["resnet50.bn1.running_var"];
        state["stage1.4.2.conv3.weight"] = state["resnet50.layer1.2.conv3.weight"];
        state["stage3.0.5.bn2.bias"] = state["resnet50.layer3.5.bn2.bias"];
        var target = new CamClassifier(20);
        var result = target.LoadReferenceStateDict(state);
        Assert.That(result.MissingKeys, Is.Empty);
        Assert.That(result.UnexpectedKeys, Is.Empty);
        Assert.That(target.Classifier.Weight.Data.ToArray(), Is.EqualTo(source.Classifier.Weight.Data.ToArray()));

        var bad = new Dictionary<string, Tensor>(state) { ["stage2.0.0.conv1.weight"] = Tensor.Zeros(128, 256, 1, 1) };
        Assert.That(Assert.Throws<ArgumentException>(() => target.LoadReferenceStateDict(bad))!.Message, Does.Contain("differs from 'resnet50.layer2.0.conv1.weight'"));
        var missing = new Dictionary<string, Tensor>(state);
        missing.Remove("classifier.weight");
        Assert.That(Assert.Throws<ArgumentException>(() => target.LoadReferenceStateDict(missing))!.Message, Does.Contain("missing keys [classifier.weight]"));
        var wrongShape = new Dictionary<string, Tensor>(state) { ["classifier.weight"] = Tensor.Zeros(21, 2048, 1, 1) };
        Assert.That(Assert.Throws<ArgumentException>(() => target.LoadReferenceStateDict(wrongShape))!.Message, Does.Contain("size mismatch for classifier.weight"));

        // torchvision ImageNet weights: backbone keys without prefix, fc dropped.
        var tv = ResNet.ResNet50().StateDict();
        FormulaWeights.Set(ResNet.ResNet50());
        var r = target.LoadBackboneStateDict(tv);
        Assert.That(r.MissingKeys, Is.Empty);
        Assert.That(target.Backbone.Layer(4).Parameters().First().Data.ToArray(), Is.EqualTo(tv["layer4.0.conv1.weight"].Data.ToArray()));
    }

    [Test]
    public void LoadsAStateDictWithEveryKeyOfIrnsModuleLayout()
    {
        // Fixtures/cam/irn_cam_net_keys.txt: the 956 keys of IRNet's resnet50_cam.Net state dict (resnet50.*, stage1..4,
        // classifier, backbone.0..3, newly_added.0), each with the key whose tensor it shares.
        var source = FreshNet();
        var own = source.StateDict();
        var state = new Dictionary<string, Tensor>();
        foreach (var line in File.ReadAllLines(TestUtil.FixturePath("cam", "irn_cam_net_keys.txt")).Where(l => l.Length > 0))
        {
            var parts = line.Split(' ');
            state[parts[0]] = own[parts[1]].Clone();
        }

        Assert.That(state, Has.Count.EqualTo(956));
        Assert.That(state.Keys, Does.Contain("backbone.3.0.2.conv3.weight").And.Contain("newly_added.0.weight").And.Contain("stage1.4.0.conv1.weight"));
        var target = new CamClassifier(20);
        var result = target.LoadReferenceStateDict(state, strict: true);
        Assert.That(result.MissingKeys, Is.Empty);
        Assert.That(result.UnexpectedKeys, Is.Empty);
        foreach (var (key, t) in own) Assert.That(target.StateDict()[key].ToArray(), Is.EqualTo(t.ToArray()), key);
        state["backbone.1.0.0.conv1.weight"] = Tensor.Zeros(128, 256, 1, 1);
        Assert.That(Assert.Throws<ArgumentException>(() => target.LoadReferenceStateDict(state))!.Message, Does.Contain("differs from 'resnet50.layer2.0.conv1.weight'"));
    }

    [Test]
    public void RejectsBadConfigurations()
    {
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => new CamClassifier(0))!.ParamName, Is.EqualTo("numClasses"));
        Assert.That(Assert.Throws<ArgumentException>(() => new CamClassifier(ResNet.ResNet18(), 3))!.ParamName, Is.EqualTo("backbone"));
        var net = new CamClassifier(ResNet.ResNet18(new ResNetOptions { NumClasses = 0 }), 3, "backbone");
        Assert.That(net.StateDict().Keys.First(), Is.EqualTo("backbone.conv1.weight"));
        Assert.That(Assert.Throws<ArgumentException>(() => net.Call(Tensor.Zeros(1, 3, 16, 16)))!.Message, Does.Contain("smaller than the network's stride"));
        Assert.That(Assert.Throws<ArgumentException>(() => net.Call(Tensor.Zeros(1, 4, 64, 64)))!.ParamName, Is.EqualTo("input"));
    }

    [Test]
    public void ATinyCamNetLearnsTwoTags()
    {
        // Two constant-colour image types; the classifier must tell which tag each carries.
        var net = new CamClassifier(ResNet.ResNet18(new ResNetOptions { NumClasses = 0 }, new Generator(1)), 2, "backbone", new Generator(2));
        var opt = new Sgd(net.ParameterGroups(0.05, 0), 0.05, momentum: 0.9);
        var x = Tensor.Zeros(4, 3, 32, 32);
        var y = Tensor.Zeros(4, 2);
        for (int b = 0; b < 4; b++)
        {
            int c = b % 2;
            x.Data.Slice(b * 3 * 1024 + c * 1024, 1024).Fill(2f);
            y[b, c] = 1f;
        }
        float first = 0, last = 0;
        for (int step = 0; step < 30; step++)
        {
            opt.ZeroGrad();
            var loss = CamClassifier.Loss(net.Call(x), y);
            loss.Backward();
            opt.Step();
            if (step == 0) first = loss.Item();
            last = loss.Item();
        }
        Assert.That(last, Is.LessThan(first / 3), $"loss {first} -> {last}");
    }
}
