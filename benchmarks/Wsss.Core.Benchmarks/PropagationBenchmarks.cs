using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Wsss.Core.Labels;
using Wsss.Core.Propagation;
using Wsss.Core.Tensors;

namespace Wsss.Core.Benchmarks;

/// <summary>
/// Random walk T^256 (radius 5, β 10, 3 channels) over growing maps: the references' method (a dense N×N
/// transition matrix squared 8 times, here on the engine's GEMM; baseline, small maps only) against the sparse
/// stencil propagator, and the whole IRNet semantic-label step at PASCAL size (125×94 map → 500×375 labels).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, warmupCount: 2, iterationCount: 8)]
public class PropagationBenchmarks
{
    private Tensor _cams = null!;
    private Tensor _boundary = null!;
    private AffinityGraph _graph = null!;
    private readonly RandomWalkPropagator _sparse = new(8);

    /// <summary>Map size as "W×H" (125×94 is a PASCAL image at stride 4).</summary>
    [Params("32x24", "63x47", "125x94", "250x188")]
    public string Map { get; set; } = "32x24";

    private int W => int.Parse(Map.Split('x')[0]);

    private int H => int.Parse(Map.Split('x')[1]);

    [GlobalSetup]
    public void Setup()
    {
        var g = new Generator(3);
        _cams = Tensor.Rand(new[] { 3, H, W }, g);
        // A smooth boundary map with a few ridges, in [0, 1].
        _boundary = Tensor.Zeros(H, W);
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
                _boundary[y, x] = 0.5f + 0.5f * MathF.Sin(0.3f * x) * MathF.Cos(0.2f * y);
        _graph = AffinityGraph.FromBoundary(_boundary.Data, H, W, 5, 10f);
    }

    /// <summary>The references' dense squaring (N ≤ 4096 only: 63×47 already needs 8 GEMMs of 2961³).</summary>
    [Benchmark(Baseline = true)]
    public float DenseSquaring()
    {
        if (_graph.NodeCount > 4096) return float.NaN;
        using var scope = TensorScope.Begin();
        using var noGrad = Autograd.NoGrad();
        var t = _graph.ToCsr(normalized: true).ToDense();
        for (int i = 0; i < 8; i++) t = Tensor.Matmul(t, t);
        return Tensor.Matmul(_cams.Reshape(3, _graph.NodeCount), t).Data[0];
    }

    [Benchmark]
    public float SparseWalk()
    {
        using var scope = TensorScope.Begin();
        return _sparse.Propagate(_cams, _graph).Data[0];
    }

    /// <summary>IRNet's propagate_to_edge: graph from the boundary (padded with 1.0) plus the walk.</summary>
    [Benchmark]
    public float PropagateToEdge()
    {
        using var scope = TensorScope.Begin();
        return RandomWalk.PropagateToEdge(_cams, _boundary, 5, 10f, 8).Data[0];
    }

    /// <summary>The whole IRNet semantic-label step: affinity graph, walk, ×4 upsampling to 500×375, argmax (PASCAL size only).</summary>
    [Benchmark]
    public int SemanticLabelsIrn()
    {
        if (Map != "125x94") return -1;
        using var scope = TensorScope.Begin();
        return SemanticLabels.Irn(_cams, _boundary, new[] { 0, 3, 7, 12 }, 375, 500)[0];
    }
}
