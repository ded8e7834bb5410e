using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Wsss.Core.Labels;
using Wsss.Core.Propagation;
using Wsss.Core.Tensors;

namespace Wsss.Core.Benchmarks;

/// <summary>
/// Random walk T^256 (radius 5, β 10, 3 channels) over growing maps: the references' method (a dense N×N
/// transition matrix squared 8 times, here on the engine's GEMM) against the sparse stencil propagator.
/// Maps above 63×47 are in <see cref="PascalPropagationBenchmarks"/> (the dense method needs 0.55 GB and
/// ~26 TFLOP at 125×94).
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
    [Params("32x24", "48x36", "63x47")]
    public string Map { get; set; } = "32x24";

    internal int W => int.Parse(Map.Split('x')[0]);

    internal int H => int.Parse(Map.Split('x')[1]);

    internal (Tensor Cams, Tensor Boundary, AffinityGraph Graph) Inputs => (_cams, _boundary, _graph);

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

    /// <summary>The references' dense squaring.</summary>
    [Benchmark(Baseline = true)]
    public float DenseSquaring()
    {
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
}

/// <summary>
/// The sparse walk, IRNet's propagate_to_edge and the whole IRNet semantic-label step (affinity graph, walk,
/// ×4 upsampling to 500×375, argmax) at PASCAL size (a 500×375 image at stride 4 gives a 125×94 map) and twice it.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, warmupCount: 2, iterationCount: 10)]
public class PascalPropagationBenchmarks
{
    private readonly PropagationBenchmarks _inputs = new();
    private readonly RandomWalkPropagator _sparse = new(8);
    private Tensor _cams = null!;
    private Tensor _boundary = null!;
    private AffinityGraph _graph = null!;

    /// <summary>Map size as "W×H".</summary>
    [Params("125x94", "250x188")]
    public string Map { get; set; } = "125x94";

    [GlobalSetup]
    public void Setup()
    {
        _inputs.Map = Map;
        _inputs.Setup();
        (_cams, _boundary, _graph) = _inputs.Inputs;
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

    /// <summary>The semantic-label step, with labels at 4× the map size.</summary>
    [Benchmark]
    public int SemanticLabelsIrn()
    {
        using var scope = TensorScope.Begin();
        return SemanticLabels.Irn(_cams, _boundary, new[] { 0, 3, 7, 12 }, 4 * _inputs.H - 1, 4 * _inputs.W)[0];
    }
}
