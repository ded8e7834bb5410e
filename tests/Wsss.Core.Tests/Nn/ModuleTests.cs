using Wsss.Core.IO;
using Wsss.Core.Nn;
using Wsss.Core.Tensors;

namespace Wsss.Core.Tests.Nn;

public class ModuleTests
{
    private sealed class Net : Module<Tensor, Tensor>
    {
        public Net()
        {
            Features = RegisterModule("features", new Sequential(new Conv2d(3, 4, 3, padding: 1, generator: new Generator(1)), new ReLU(), new Conv2d(4, 2, 1, generator: new Generator(2))));
            Fc = RegisterModule("fc", new Linear(2, 3, generator: new Generator(3)));
        }

        public Sequential Features { get; }

        public Linear Fc { get; }

        public override Tensor Forward(Tensor input) => Fc.Forward(Features.Forward(input).Mean(new[] { 2, 3 }));
    }

    [Test]
    public void NamesFollowPyTorch()
    {
        var names = new Net().NamedParameters().Select(p => p.Name).ToArray();
        Assert.That(names, Is.EqualTo(new[] { "features.0.weight", "features.0.bias", "features.2.weight", "features.2.bias", "fc.weight", "fc.bias" }));
        Assert.That(new Net().ParameterCount(), Is.EqualTo(4 * 3 * 9 + 4 + 2 * 4 + 2 + 3 * 2 + 3));
    }

    [Test]
    public void DefaultInitialisationHasPyTorchBounds()
    {
        var conv = new Conv2d(16, 8, 3, generator: new Generator(4));
        double bound = 1 / Math.Sqrt(16 * 9);
        var w = conv.Weight.ToArray();
        Assert.That(w.Max(), Is.LessThanOrEqualTo(bound).And.GreaterThan(0.9 * bound));
        Assert.That(w.Min(), Is.GreaterThanOrEqualTo(-bound).And.LessThan(-0.9 * bound));
        var b = conv.Bias!.ToArray();
        Assert.That(b.All(v => Math.Abs(v) <= bound), Is.True);
        var t = Tensor.Zeros(2000, 500);
        Init.KaimingNormal(t, generator: new Generator(1), nonlinearity: "relu");
        double std = Math.Sqrt(t.ToArray().Select(v => (double)v * v).Average());
        Assert.That(std, Is.EqualTo(Math.Sqrt(2.0 / 500)).Within(0.01 * Math.Sqrt(2.0 / 500)));
        Init.XavierUniform(t, generator: new Generator(2));
        Assert.That(t.ToArray().Max(), Is.LessThanOrEqualTo(Math.Sqrt(6.0 / 2500)).And.GreaterThan(0.99 * Math.Sqrt(6.0 / 2500)));
    }

    [Test]
    public void StateDictSaveLoadRoundTripsThroughSafetensors()
    {
        var a = new Net();
        var b = new Net();
        Init.Constant(b.Fc.Weight, 0);
        var path = Path.Combine(Path.GetTempPath(), $"wsss-sd-{Guid.NewGuid():N}.safetensors");
        try
        {
            StateDictFile.Save(path, a);
            var result = StateDictFile.Load(path, b);
            Assert.That(result.MissingKeys, Is.Empty);
            Assert.That(result.UnexpectedKeys, Is.Empty);
            foreach (var ((n1, p1), (_, p2)) in a.NamedParameters().Zip(b.NamedParameters()))
                Assert.That(p2.ToArray(), Is.EqualTo(p1.ToArray()), n1);
            var x = TestUtil.Randn(5, 1, 3, 6, 6);
            Assert.That(b.Forward(x).ToArray(), Is.EqualTo(a.Forward(x).ToArray()));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void LoadStateDictReportsMissingUnexpectedAndShapeMismatch()
    {
        var net = new Net();
        var sd = net.StateDict();
        sd.Remove("fc.bias");
        sd["extra.weight"] = Tensor.Zeros(1);
        var ex = Assert.Throws<ArgumentException>(() => net.LoadStateDict(sd));
        Assert.That(ex!.Message, Does.Contain("fc.bias").And.Contain("extra.weight"));
        var r = net.LoadStateDict(sd, strict: false);
        Assert.That(r.MissingKeys, Is.EqualTo(new[] { "fc.bias" }));
        Assert.That(r.UnexpectedKeys, Is.EqualTo(new[] { "extra.weight" }));
        var bad = net.StateDict();
        bad["fc.weight"] = Tensor.Zeros(2, 2);
        Assert.That(Assert.Throws<ArgumentException>(() => net.LoadStateDict(bad))!.Message, Does.Contain("size mismatch for fc.weight"));
    }

    [Test]
    public void TrainEvalAndFreezingPropagate()
    {
        var net = new Net();
        net.Eval();
        Assert.That(net.NamedModules().All(m => !m.Module.Training), Is.True);
        net.Train();
        Assert.That(net.Features[0].Training, Is.True);
        net.Features.RequiresGrad_(false);
        Assert.That(net.Parameters().Count(p => p.RequiresGrad), Is.EqualTo(2));
        var y = net.Forward(TestUtil.Randn(1, 1, 3, 4, 4)).Sum();
        y.Backward();
        Assert.That(net.Fc.Weight.Grad, Is.Not.Null);
        Assert.That(((Conv2d)net.Features[0]).Weight.Grad, Is.Null);
        net.ZeroGrad();
        Assert.That(net.Fc.Weight.Grad, Is.Null);
    }
}
