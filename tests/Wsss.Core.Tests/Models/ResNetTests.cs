using Wsss.Core.IO;
using Wsss.Core.Models;
using Wsss.Core.Nn;
using Wsss.Core.Tensors;

namespace Wsss.Core.Tests.Models;

/// <summary>ResNet against torchvision 0.14 (Fixtures/resnet/make_resnet_fixtures.py: same formula weights, eval mode).</summary>
public class ResNetTests
{
    private static void AssertKeysMatchTorchvision(Module m, string keysFile)
    {
        var expected = File.ReadAllLines(TestUtil.FixturePath("resnet", keysFile)).Where(l => l.Length > 0).ToArray();
        var actual = m.StateDict().Select(kv => (kv.Key + " " + string.Join(' ', kv.Value.Shape)).TrimEnd()).ToArray();
        Assert.That(actual, Is.EqualTo(expected.Select(l => l.TrimEnd()).ToArray()));
    }

    [Test]
    public void ResNet18MatchesTorchvision()
    {
        var net = ResNet.ResNet18(new ResNetOptions { NumClasses = 10 });
        AssertKeysMatchTorchvision(net, "resnet18_c10_keys.txt");
        FormulaWeights.Set(net);
        net.Eval();
        var f = TensorFiles.LoadNpz(TestUtil.FixturePath("resnet", "resnet18_c10.npz"));
        using var noGrad = Autograd.NoGrad();
        var y = net.Forward(f["x"]);
        TestUtil.AssertCloseL2(y, f["out"], 1e-4, 1e-4, 1e-4, "logits");
    }

    [Test]
    public void ResNet50WithIrnStridesMatchesTorchvision()
    {
        var net = ResNet.ResNet50(ResNetOptions.Irn);
        AssertKeysMatchTorchvision(net, "resnet50_irn_keys.txt");
        FormulaWeights.Set(net);
        net.Eval();
        var f = TensorFiles.LoadNpz(TestUtil.FixturePath("resnet", "resnet50_irn.npz"));
        using var noGrad = Autograd.NoGrad();
        var y = net.Forward(f["x"]);
        Assert.That(y.Shape, Is.EqualTo(new[] { 1, 2048, 4, 3 }), "output stride 16");
        TestUtil.AssertCloseL2(y, f["out"], 1e-4, 1e-3, 1e-5, "layer4");
    }

    [Test]
    public void StagesFrozenBatchNormAndBadInput()
    {
        var net = ResNet.ResNet18(new ResNetOptions { NumClasses = 0, Dilations = (1, 2), Strides = (2, 2, 2, 1) }, new Generator(1));
        var stages = net.ForwardStages(TestUtil.Rand(2, 1, 3, 64, 64));
        Assert.That(stages.Select(s => s.Shape[1]), Is.EqualTo(new[] { 64, 64, 128, 256, 512 }));
        Assert.That(stages[^1].Shape, Is.EqualTo(new[] { 1, 512, 4, 4 }));
        net.FreezeBatchNorm();
        Assert.That(net.Parameters().Count(p => !p.RequiresGrad), Is.EqualTo(net.NamedParameters().Count(p => p.Name.Contains("bn") || p.Name.Contains("downsample.1"))));
        Assert.That(Assert.Throws<ArgumentException>(() => net.Forward(Tensor.Zeros(1, 3, 8, 64)))!.Message, Does.Contain("smaller than the network's stride (16x16 at least)"));
        Assert.That(Assert.Throws<ArgumentException>(() => net.Forward(Tensor.Zeros(1, 1, 64, 64)))!.ParamName, Is.EqualTo("input"));
        Assert.That(ResNet.ResNet50().ParameterCount(), Is.EqualTo(25_557_032), "torchvision resnet50");
        Assert.That(ResNet.ResNet18().ParameterCount(), Is.EqualTo(11_689_512), "torchvision resnet18");
        Assert.That(ResNet.ResNet34().ParameterCount(), Is.EqualTo(21_797_672), "torchvision resnet34");
    }
}
