using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Wsss.Core.Losses;
using Wsss.Core.Models;
using Wsss.Core.Optim;
using Wsss.Core.Tensors;

namespace Wsss.Core.Benchmarks;

/// <summary>
/// One training step (forward, L_recon + 1e-3·L_mask, backward, Adam) of the full-width U-Net pair, K = 2,
/// 1×3×224×224 — the same step scripts/torch_unet_step.py times in PyTorch.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, warmupCount: 2, iterationCount: 8)]
public class UNetTrainingStepBenchmarks
{
    private DecompositionUNet _net = null!;
    private Adam _opt = null!;
    private Tensor _x = null!;
    private Tensor _labels = null!;

    /// <summary>U-Net layout.</summary>
    [Params(UNetLayout.Reference, UNetLayout.Paper)]
    public UNetLayout Layout { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _net = new DecompositionUNet(2, 64, Layout, generator: new Generator(0));
        _opt = new Adam(_net.Parameters(), 1e-4);
        _x = Tensor.Rand(new[] { 1, 3, 224, 224 }, new Generator(1));
        _labels = Tensor.Ones(1, 2);
    }

    [Benchmark]
    public float TrainingStep()
    {
        using var scope = TensorScope.Begin();
        _opt.ZeroGrad();
        var o = _net.Forward(_x);
        var loss = ReconstructionLosses.Reconstruction(o.Reconstruction(), _x)
                   + ReconstructionLosses.MaskPresence(o.MaskLogits, _labels, ClassReduction.Sum) * 1e-3f;
        loss.Backward();
        _opt.Step();
        return loss.Item();
    }
}
