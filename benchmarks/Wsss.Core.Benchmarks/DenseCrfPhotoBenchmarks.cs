using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Wsss.Core.Crf;
using Wsss.Core.Imaging;
using Wsss.Core.Tensors;

namespace Wsss.Core.Benchmarks;

/// <summary>
/// The dense CRF of <see cref="DenseCrfBenchmarks"/> (psa's parameters, 21 labels, lattice construction included) on a
/// real photograph at native resolution: a 500×375 crop of a 2×2 mosaic of four 320×213 MSRC photos. Its bilateral
/// lattice has about 16k vertices, where the noisy synthetic image has about 57k: lattice size drives the blur and,
/// through cache misses, the splat and slice.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, warmupCount: 6, iterationCount: 12)]
public class DenseCrfPhotoBenchmarks
{
    private const int W = 500, H = 375, Labels = 21;
    private byte[] _image = [];
    private Tensor _probs = null!;

    /// <summary>Mean-field iterations.</summary>
    [Params(5, 10)]
    public int Iterations { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        string[] names = ["msrc_14_10_s.jpg", "msrc_1_27_s.jpg", "msrc_5_3_s.jpg", "msrc_8_10_s.jpg"];
        _image = new byte[W * H * 3];
        for (int t = 0; t < 4; t++)
        {
            var photo = ImageCodecs.Decode(Path.Combine(AppContext.BaseDirectory, names[t])).ToRgb();
            int ox = (t % 2) * photo.Width, oy = (t / 2) * photo.Height;
            for (int y = oy; y < Math.Min(H, oy + photo.Height); y++)
            {
                for (int x = ox; x < Math.Min(W, ox + photo.Width); x++)
                {
                    for (int c = 0; c < 3; c++) _image[(y * W + x) * 3 + c] = photo[y - oy, x - ox, c];
                }
            }
        }

        var logits = Tensor.Randn(new[] { Labels, H, W }, new Generator(7)) * 3f;
        _probs = logits.Softmax(0);
    }

    [Benchmark]
    public float Inference()
    {
        using var scope = TensorScope.Begin();
        using var crf = new DenseCrf(W, H, Labels);
        crf.SetUnaryFromProbabilities(_probs);
        crf.AddPairwiseGaussian(3, 3);
        crf.AddPairwiseBilateral(80, 13, _image, 3, 10);
        return crf.Inference(Iterations).Data[0];
    }
}
