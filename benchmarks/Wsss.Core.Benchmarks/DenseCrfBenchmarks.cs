using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Wsss.Core.Crf;
using Wsss.Core.Tensors;

namespace Wsss.Core.Benchmarks;

/// <summary>
/// Dense CRF with psa's parameters (Gaussian sxy 3 compat 3; bilateral sxy 80 srgb 13 compat 10) on a smooth
/// synthetic RGB image with L-label probabilities, lattice construction included, as issue 3 specifies. The
/// result tensor goes back to the tensor pool with the scope, so "Allocated" is what one call allocates afresh.
/// pydensecrf on one core of this machine class: 517 ms (500×375, 21 labels, 10 iterations), 2.68 s (1024×768),
/// 11.6 s (2048×1536).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, warmupCount: 6, iterationCount: 12)]
public class DenseCrfBenchmarks
{
    private byte[] _image = [];
    private Tensor _probs = null!;

    /// <summary>Image size as "W×H".</summary>
    [Params("500x375", "1024x768", "2048x1536")]
    public string Size { get; set; } = "500x375";

    /// <summary>Mean-field iterations.</summary>
    [Params(5, 10)]
    public int Iterations { get; set; }

    private int W => int.Parse(Size.Split('x')[0]);

    private int H => int.Parse(Size.Split('x')[1]);

    [GlobalSetup]
    public void Setup()
    {
        const int labels = 21;
        var g = new Generator(7);
        _image = new byte[W * H * 3];
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
                for (int c = 0; c < 3; c++)
                    _image[(y * W + x) * 3 + c] = (byte)(127 + 100 * MathF.Sin(0.02f * x * (c + 1) + 0.03f * y) + 20 * (g.NextFloat() - 0.5f));
        var logits = Tensor.Randn(new[] { labels, H, W }, g) * 3f;
        _probs = logits.Softmax(0);
    }

    [Benchmark]
    public float Inference()
    {
        using var scope = TensorScope.Begin();
        using var crf = new DenseCrf(W, H, _probs.Size(0)); // Dispose returns the work buffers to the CRF's pool
        crf.SetUnaryFromProbabilities(_probs);
        crf.AddPairwiseGaussian(3, 3);
        crf.AddPairwiseBilateral(80, 13, _image, 3, 10);
        return crf.Inference(Iterations).Data[0];
    }
}
