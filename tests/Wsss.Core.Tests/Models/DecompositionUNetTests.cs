using Wsss.Core.Data;
using Wsss.Core.Losses;
using Wsss.Core.Models;
using Wsss.Core.Nn;
using Wsss.Core.Optim;
using Wsss.Core.Tensors;

namespace Wsss.Core.Tests.Models;

public class DecompositionUNetTests
{
    private static long Count(IEnumerable<Conv2d> convs) => convs.Sum(c => c.ParameterCount());

    [Test]
    public void PaperLayoutHasTheAppendixParameterCounts()
    {
        var net = new DecompositionUNet(classes: 2, width: 64, layout: UNetLayout.Paper);
        Assert.That(net.Encoder.ParameterCount(), Is.EqualTo(9_404_992));
        Assert.That(net.ImageDecoderParameterCount, Is.EqualTo(12_576_070));
        var convs = net.ImageDecoder.NamedChildren().Select(c => (Conv2d)c.Module).ToList();
        var perLayer = new[]
        {
            Count(convs.Take(2)), Count(convs.Skip(2).Take(2)), Count(convs.Skip(4).Take(2)), Count(convs.Skip(6).Take(2)),
            convs[8].ParameterCount(), net.ImageHead.ParameterCount(),
        };
        Assert.That(perLayer, Is.EqualTo(new long[] { 9_438_208, 2_359_808, 590_080, 147_584, 36_928, 3_462 }));
        Assert.That(net.ParameterCount(), Is.EqualTo(34_554_824));
    }

    [Test]
    public void ReferenceLayoutHasTheReferenceCodeCounts()
    {
        var net = new DecompositionUNet(classes: 2, width: 64, layout: UNetLayout.Reference);
        Assert.That(net.Encoder.ParameterCount(), Is.EqualTo(14_124_096));
        Assert.That(net.ImageDecoderParameterCount, Is.EqualTo(7_856_966));
        Assert.That(net.ParameterCount(), Is.EqualTo(29_835_720));
    }

    [Test]
    public void ParameterNamesFollowPyTorchDottedConvention()
    {
        var names = new DecompositionUNet(width: 4).NamedParameters().Select(p => p.Name).ToList();
        Assert.That(names[0], Is.EqualTo("encoder.0.weight"));
        Assert.That(names, Does.Contain("image_decoder.8.bias"));
        Assert.That(names[^1], Is.EqualTo("mask_head.bias"));
    }

    /// <summary>Sets the j-th parameter (named_parameters order) to the fixture script's formula.</summary>
    private static void SetFormulaWeights(Module m, double amp)
    {
        int j = 0;
        foreach (var (_, p) in m.NamedParameters())
        {
            var d = p.Data;
            double a = amp == 0 || p.Rank == 1 ? 0.1 : amp / Math.Sqrt(p.Numel / p.Size(0));
            for (int i = 0; i < d.Length; i++) d[i] = (float)(a * Math.Sin(0.37 * i + 0.11 * j));
            j++;
        }
    }

    [TestCase("unet_narrow", UNetLayout.Reference)]
    [TestCase("unet_narrow_paper", UNetLayout.Paper)]
    public void NarrowNetworkMatchesPyTorch(string name, UNetLayout layout)
    {
        var f = TorchFixture.Load(name);
        var net = new DecompositionUNet(classes: 2, width: 4, layout: layout);
        SetFormulaWeights(net, f.Float("p_weight_amp"));
        var output = net.Forward(f.T("x"));
        // README recommendation for this deep network: a 5e-5 absolute floor on the activations.
        TestUtil.AssertClose(output.MaskLogits.Data, f.T("mask_logits").Data, 1e-4, 5e-5, "mask_logits");
        TestUtil.AssertClose(output.Imagelets.Data, f.T("imagelets").Data, 1e-4, 5e-5, "imagelets");
        var recon = output.Reconstruction();
        TestUtil.AssertClose(recon.Data, f.T("recon").Data, 1e-4, 5e-5, "recon");
        var lRecon = ReconstructionLosses.Reconstruction(recon, f.T("target"));
        var lMask = ReconstructionLosses.MaskPresence(output.MaskLogits, f.T("label"), ClassReduction.Sum);
        f.AssertClose(lRecon, "L_recon");
        f.AssertClose(lMask, "L_mask");
        var loss = lRecon + lMask * 1e-3f;
        f.AssertClose(loss, "loss");
        loss.Backward();
        AssertNormClose(net.Encoder.NamedParameters().First().Parameter.Grad!, f.T("grad_enc0_w"));
        AssertNormClose(net.MaskHead.Weight.Grad!, f.T("grad_head_mask_w"));
        AssertNormClose(net.MaskHead.Bias!.Grad!, f.T("grad_head_mask_b"));
        AssertNormClose(net.ImageHead.Bias!.Grad!, f.T("grad_head_img_b"));
    }

    /// <summary>‖a − e‖ ≤ 1e-4·‖e‖ (the README's criterion for gradients of the deep network).</summary>
    private static void AssertNormClose(Tensor actual, Tensor expected)
    {
        Assert.That(actual.Shape, Is.EqualTo(expected.Shape));
        double diff = 0, norm = 0;
        for (int i = 0; i < actual.Numel; i++)
        {
            double d = actual.Data[i] - expected.Data[i];
            diff += d * d;
            norm += (double)expected.Data[i] * expected.Data[i];
        }
        Assert.That(Math.Sqrt(diff), Is.LessThanOrEqualTo(1e-4 * Math.Sqrt(norm)));
        Assert.That(norm, Is.GreaterThan(1e-12), "gradient must not vanish");
    }

    [Test]
    public void MaskLossMeanOverClassesIsSumOverK()
    {
        var logits = TestUtil.Randn(3, 2, 3, 4, 4);
        var labels = Tensor.FromArray(new float[] { 1, 0, 1, 1, 1, 1, 0, 1 }.Take(6).ToArray(), 2, 3);
        float sum = ReconstructionLosses.MaskPresence(logits, labels, ClassReduction.Sum).Item();
        float mean = ReconstructionLosses.MaskPresence(logits, labels).Item();
        Assert.That(mean, Is.EqualTo(sum / 3).Within(1e-6));
        // Hand check: p_k of uniform logits is 1/K.
        var uniform = Tensor.Zeros(1, 2, 2, 2);
        float l = ReconstructionLosses.MaskPresence(uniform, Tensor.FromArray(new float[] { 1, 0 }, 1, 2), ClassReduction.Sum).Item();
        Assert.That(l, Is.EqualTo(-Math.Log(0.5 + 1e-6) - Math.Log(0.5 + 1e-6)).Within(1e-5));
    }

    [Test]
    public void ClassifierGuidanceTargetsOnlyTheMaskedClass()
    {
        int calls = 0;
        var masks = Tensor.Full(new[] { 1, 2, 4, 4 }, 0.5f);
        var imgs = Tensor.Full(new[] { 1, 2, 3, 4, 4 }, 0.5f);
        var labels = Tensor.FromArray(new float[] { 1, 1 }, 1, 2);
        // A classifier that answers 0.8 for everything: BCE(0.8, 1) for k=0 and BCE(0.8, 0) for the background.
        var loss = ReconstructionLosses.ClassifierGuidance(masks, imgs, labels, x => { calls++; return Tensor.Full(new[] { 1, 1 }, 0.8f); });
        Assert.That(calls, Is.EqualTo(2));
        Assert.That(loss.Item(), Is.EqualTo((-Math.Log(0.8) - Math.Log(0.2)) / 2).Within(1e-5));
    }

    [Test]
    public void RejectsInputNotDivisibleBy16()
    {
        var net = new DecompositionUNet(width: 2);
        var ex = Assert.Throws<ArgumentException>(() => net.Forward(Tensor.Zeros(1, 3, 30, 32)));
        Assert.That(ex!.ParamName, Is.EqualTo("input"));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new DecompositionUNet(classes: 1));
    }

    [Test]
    public void NarrowNetworkLearnsToReconstruct()
    {
        var net = new DecompositionUNet(classes: 2, width: 8, generator: new Generator(5));
        var opt = new Adam(net.Parameters(), lr: 3e-3);
        var (images, labels, _) = new ShapeScenes(32, seed: 1).Batch(0, positives: 2);
        var losses = new List<float>();
        for (int step = 0; step < 80; step++)
        {
            using var scope = TensorScope.Begin();
            opt.ZeroGrad();
            var o = net.Forward(images);
            var loss = ReconstructionLosses.Reconstruction(o.Reconstruction(), images)
                       + ReconstructionLosses.MaskPresence(o.MaskLogits, labels) * 1e-3f;
            loss.Backward();
            opt.Step();
            losses.Add(loss.Item());
        }
        TestContext.Out.WriteLine("loss: " + string.Join(" ", losses.Where((_, i) => i % 10 == 0 || i == losses.Count - 1).Select(l => l.ToString("F4", System.Globalization.CultureInfo.InvariantCulture))));
        // Fitting a fixed batch of 4 scenes: the loss must fall at least fivefold within 80 Adam steps (it falls about 8x).
        Assert.That(losses[^1], Is.LessThan(losses[0] / 5f));
    }
}
