using Wsss.Core.IO;
using Wsss.Core.Nn;
using Wsss.Core.Optim;
using Wsss.Core.Tensors;

namespace Wsss.Core.Tests.Optim;

/// <summary>Parameter trajectories against torch.optim (Fixtures/optim/make_optim_fixtures.py).</summary>
public class OptimizerFixtureTests
{
    private static Optimizer Make(string name, Parameter a, Parameter b) => name switch
    {
        "sgd_plain" => new Sgd(new[] { a, b }, lr: 0.1),
        "sgd_momentum_wd" => new Sgd(new[] { a, b }, lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 0.01),
        "sgd_nesterov" => new Sgd(new[] { a, b }, lr: 0.05, momentum: 0.9, weightDecay: 1e-3, nesterov: true),
        "adam" => new Adam(new[] { a, b }, lr: 1e-2),
        "adam_wd" => new Adam(new[] { a, b }, lr: 1e-2, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.1),
        "adamw" => new AdamW(new[] { a, b }, lr: 1e-2, weightDecay: 0.05),
        "sgd_groups_poly" => new Sgd(new[] { new ParamGroup(new[] { a }, lr: 0.1, weightDecay: 1e-2), new ParamGroup(new[] { b }, lr: 0.01) }, lr: 0.5, momentum: 0.9),
        _ => throw new ArgumentException(name),
    };

    [TestCase("sgd_plain")]
    [TestCase("sgd_momentum_wd")]
    [TestCase("sgd_nesterov")]
    [TestCase("adam")]
    [TestCase("adam_wd")]
    [TestCase("adamw")]
    [TestCase("sgd_groups_poly")]
    public void TrajectoryMatchesPyTorch(string name)
    {
        var f = TensorFiles.LoadNpz(TestUtil.FixturePath("optim", name + ".npz"));
        var a = new Parameter(f["p0"]);
        var b = new Parameter(f["p1"]);
        var opt = Make(name, a, b);
        LrScheduler? sched = name.EndsWith("poly", StringComparison.Ordinal) ? new PolyLR(opt, maxSteps: 10, power: 0.9) : null;
        for (int t = 0; t < 6; t++)
        {
            var lrs = f[$"lr{t}"].ToArray();
            for (int gi = 0; gi < opt.Groups.Count; gi++)
                Assert.That(opt.Groups[gi].LearningRate, Is.EqualTo(lrs[gi]).Within(1e-6 * lrs[gi]), $"lr of group {gi} at step {t}");
            a.Grad = f[$"g{t}_0"];
            b.Grad = f[$"g{t}_1"];
            opt.Step();
            sched?.Step();
            TestUtil.AssertClose(a.Data, f[$"after{t}_0"].Data, 1e-5, 1e-6, $"{name} p0 step {t}");
            TestUtil.AssertClose(b.Data, f[$"after{t}_1"].Data, 1e-5, 1e-6, $"{name} p1 step {t}");
        }
    }

    [Test]
    public void StateDictRoundTripResumesIdentically()
    {
        var f = TensorFiles.LoadNpz(TestUtil.FixturePath("optim", "adam.npz"));
        var a1 = new Parameter(f["p0"]); var b1 = new Parameter(f["p1"]);
        var a2 = new Parameter(f["p0"]); var b2 = new Parameter(f["p1"]);
        var o1 = new Adam(new[] { a1, b1 }, lr: 1e-2);
        var o2 = new Adam(new[] { a2, b2 }, lr: 1e-2);
        for (int t = 0; t < 3; t++)
        {
            a1.Grad = f[$"g{t}_0"]; b1.Grad = f[$"g{t}_1"]; o1.Step();
            a2.Grad = f[$"g{t}_0"]; b2.Grad = f[$"g{t}_1"]; o2.Step();
        }
        var path = Path.Combine(Path.GetTempPath(), $"wsss-opt-{Guid.NewGuid():N}.safetensors");
        try
        {
            StateDictFile.Save(path, o1.StateDict());
            var o3 = new Adam(new[] { a2, b2 }, lr: 1e-2);
            o3.LoadStateDict(StateDictFile.Load(path));
            Assert.That(o3.StepCount, Is.EqualTo(3));
            for (int t = 3; t < 6; t++)
            {
                a1.Grad = f[$"g{t}_0"]; b1.Grad = f[$"g{t}_1"]; o1.Step();
                a2.Grad = f[$"g{t}_0"]; b2.Grad = f[$"g{t}_1"]; o3.Step();
            }
            Assert.That(a2.ToArray(), Is.EqualTo(a1.ToArray()));
            Assert.That(b2.ToArray(), Is.EqualTo(b1.ToArray()));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void SchedulesFollowTheirFormulas()
    {
        var p = new Parameter(Tensor.Zeros(2));
        var opt = new Sgd(new[] { p }, lr: 1.0);
        var warm = new LinearWarmupLR(opt, warmupSteps: 4, startFactor: 0.2, totalSteps: 14, power: 1.0);
        Assert.That(opt.Groups[0].LearningRate, Is.EqualTo(0.2).Within(1e-12));
        warm.SetStep(2);
        Assert.That(opt.Groups[0].LearningRate, Is.EqualTo(0.6).Within(1e-12));
        warm.SetStep(4);
        Assert.That(opt.Groups[0].LearningRate, Is.EqualTo(1.0).Within(1e-12));
        warm.SetStep(9);
        Assert.That(opt.Groups[0].LearningRate, Is.EqualTo(0.5).Within(1e-12));
        warm.SetStep(20);
        Assert.That(opt.Groups[0].LearningRate, Is.EqualTo(0.0).Within(1e-12));
    }

    [Test]
    public void BadArgumentsAreRejected()
    {
        var p = new Parameter(Tensor.Zeros(2));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => _ = new Sgd(new[] { p }, lr: -1))!.ParamName, Is.EqualTo("lr"));
        Assert.That(Assert.Throws<ArgumentException>(() => _ = new Sgd(new[] { p }, lr: 0.1, nesterov: true))!.ParamName, Is.EqualTo("nesterov"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => _ = new Adam(new[] { p }, beta1: 1.0))!.ParamName, Is.EqualTo("beta1"));
        Assert.That(Assert.Throws<ArgumentException>(() => _ = new Adam(Array.Empty<Parameter>()))!.ParamName, Is.EqualTo("groups"));
        Assert.That(Assert.Throws<ArgumentException>(() => _ = new Sgd(new[] { p, p }, lr: 0.1))!.ParamName, Is.EqualTo("groups"));
    }
}
