using Wsss.Core.Cam;
using Wsss.Core.IO;
using Wsss.Core.Models;
using Wsss.Core.Nn;
using Wsss.Core.Tensors;
using Wsss.Core.Tests.Models;

namespace Wsss.Core.Tests.Cam;

/// <summary>Grad-CAM against PyTorch autograd on a torchvision ResNet-18 (Fixtures/cam/make_cam_fixtures.py).</summary>
public class GradCamTests
{
    private static ResNet Net()
    {
        var net = ResNet.ResNet18(new ResNetOptions { NumClasses = 10 });
        FormulaWeights.Set(net);
        net.Eval();
        return net;
    }

    [TestCase("layer4")]
    [TestCase("layer3")]
    public void MatchesTorchAutograd(string layer)
    {
        var f = TensorFiles.LoadNpz(TestUtil.FixturePath("cam", "grad_cam.npz"));
        var net = Net();
        var gradCam = new GradCam(net, layer);
        var maps = gradCam.Compute(f["x"], new[] { 5, 7 });
        var exact = f[layer + "_f64"];
        Assert.That(maps.Shape, Is.EqualTo(f[layer].Shape));
        Assert.That(exact.Max().Item(), Is.GreaterThan(0f), "the fixture must have active maps");
        // Σ_k α_k·A_k cancels heavily at layer3 (class 7 is a small remainder of ± terms): there PyTorch's own float32
        // result is ~1e-6 (0.6%) away from float64, so the reference is the float64 run. We sum in double and stay
        // within 1e-6 of the peak (measured: 3e-9 at layer3, 1e-8 at layer4).
        float peak = exact.Max().Item();
        TestUtil.AssertCloseL2(maps, exact, 1e-5, 1e-4, 1e-6 * peak, $"Grad-CAM of {layer} against float64");
    }

    [Test]
    public void LeavesTheModelsGradientsAndHooksUntouched()
    {
        var f = TensorFiles.LoadNpz(TestUtil.FixturePath("cam", "grad_cam.npz"));
        var net = Net();
        var frozen = net.Layer(1).Parameters().First();
        frozen.RequiresGrad = false;
        var single = new GradCam(net, net.Layer(4)).Compute(f["x"], 5);
        Assert.That(single.Shape, Is.EqualTo(new[] { 2, 3, 3 }));
        TestUtil.AssertClose(single, f["layer4"].Narrow(1, 0, 1).Squeeze(1), 1e-4, 1e-8, "class 5");
        Assert.That(net.Parameters().All(p => p.Grad is null), "no parameter gradient is written");
        Assert.That(frozen.RequiresGrad, Is.False);
        Assert.That(net.Parameters().Count(p => p.RequiresGrad), Is.EqualTo(net.Parameters().Count() - 1), "RequiresGrad flags are restored");
        // The hook is gone: a plain forward gives the ordinary logits.
        using var noGrad = Autograd.NoGrad();
        var a = net.Call(f["x"]);
        Assert.That(a.Shape, Is.EqualTo(new[] { 2, 10 }));
    }

    [Test]
    public void BadArgumentsAreRejected()
    {
        var net = Net();
        Assert.That(Assert.Throws<ArgumentException>(() => new GradCam(net, "layer9"))!.ParamName, Is.EqualTo("layerName"));
        Assert.That(Assert.Throws<ArgumentException>(() => new GradCam(net, new Conv2d(3, 3, 1)))!.ParamName, Is.EqualTo("targetLayer"));
        var gc = new GradCam(net, "layer4");
        var x = TestUtil.Rand(1, 1, 3, 64, 64);
        Assert.That(Assert.Throws<ArgumentException>(() => gc.Compute(x, 10))!.ParamName, Is.EqualTo("classes"));
        Assert.That(Assert.Throws<ArgumentException>(() => gc.Compute(x, Array.Empty<int>()))!.ParamName, Is.EqualTo("classes"));
    }

    [Test]
    public void ALayerOutsideTheGradientPathIsReported()
    {
        // The CAM classifier runs layer1 and layer2 without gradient tracking, so Grad-CAM cannot see through them.
        var net = new CamClassifier(4, new Generator(3));
        net.Eval();
        var gc = new GradCam(net, "resnet50.layer1");
        var ex = Assert.Throws<InvalidOperationException>(() => gc.Compute(TestUtil.Rand(2, 1, 3, 32, 32), 0))!;
        Assert.That(ex.Message, Does.Contain("do not depend on the target layer"));
        var ok = new GradCam(net, "resnet50.layer4").Compute(TestUtil.Rand(2, 1, 3, 32, 32), 0);
        Assert.That(ok.Shape, Is.EqualTo(new[] { 1, 2, 2 }));
    }
}
