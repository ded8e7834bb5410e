using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using Wsss.Core.Nn;
using Wsss.Core.Tensors;

namespace Wsss.Core.Benchmarks;

/// <summary>
/// Conv2d 3×3 (padding 1) forward and forward+backward on U-Net-sized layers, batch 1.
/// GFLOP/s = 2·C_in·C_out·9·H·W / time (forward); the backward does twice that again.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Throughput, warmupCount: 2, iterationCount: 8)]
[Config(typeof(Conv2dBenchmarkConfig))]
public class Conv2dBenchmarks
{
    private sealed class Conv2dBenchmarkConfig : ManualConfig
    {
        public Conv2dBenchmarkConfig() => AddColumn(new GflopsColumn("2·C_in·C_out·9·H·W (×3 for forward+backward)", c =>
        {
            if (c.Parameters["Layer"] is not string layer) return null;
            var p = layer.Split('-').Select(double.Parse).ToArray();
            double forward = 2 * p[0] * p[1] * 9 * p[2] * p[2];
            return c.Descriptor.WorkloadMethod.Name == nameof(ForwardBackward) ? 3 * forward : forward;
        }));
    }

    private Tensor _x = null!;
    private Parameter _w = null!;
    private Parameter _b = null!;

    /// <summary>Layer as "C_in-C_out-H".</summary>
    [Params("3-64-224", "64-64-224", "128-128-112", "256-256-56", "512-512-28", "1536-512-14", "64-2-224")]
    public string Layer { get; set; } = "64-64-224";

    [GlobalSetup]
    public void Setup()
    {
        var p = Layer.Split('-').Select(int.Parse).ToArray();
        var g = new Generator(1);
        _x = Tensor.Randn(new[] { 1, p[0], p[2], p[2] }, g).RequiresGrad_();
        _w = new Parameter(Tensor.Randn(new[] { p[1], p[0], 3, 3 }, g));
        _b = new Parameter(Tensor.Randn(new[] { p[1] }, g));
    }

    [Benchmark]
    public float Forward()
    {
        using var scope = TensorScope.Begin();
        using var noGrad = Autograd.NoGrad();
        return Functional.Conv2d(_x, _w, _b, padding: (1, 1)).Data[0];
    }

    [Benchmark]
    public float ForwardBackward()
    {
        using var scope = TensorScope.Begin();
        var y = Functional.Conv2d(_x, _w, _b, padding: (1, 1));
        y.Backward(y);
        _x.ClearGrad();
        _w.ClearGrad();
        _b.ClearGrad();
        return y.Data[0];
    }
}
