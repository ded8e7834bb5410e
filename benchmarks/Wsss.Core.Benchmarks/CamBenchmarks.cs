using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Wsss.Core.Cam;
using Wsss.Core.Imaging;
using Wsss.Core.Imaging.Resampling;
using Wsss.Core.Models;
using Wsss.Core.Tensors;

namespace Wsss.Core.Benchmarks;

/// <summary>
/// ResNet-50 inference: torchvision's ResNet-50 forward at 1×3×512×512, and IRNet's multi-scale CAM inference
/// (CAM network with strides (2, 2, 2, 1); scales 1.0, 0.5, 1.5, 2.0, each with its flip; strided and high-res CAMs)
/// for one 500×375 image — what scripts/torch_resnet_cam.py times in PyTorch.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, warmupCount: 2, iterationCount: 8)]
public class CamBenchmarks
{
    private ResNet _resnet = null!;
    private CamClassifier _cam = null!;
    private Tensor _x = null!;
    private ImageBuffer _image = null!;
    private readonly float[] _labels = new float[20];

    [GlobalSetup]
    public void Setup()
    {
        _resnet = ResNet.ResNet50(generator: new Generator(0));
        _resnet.Eval();
        _cam = new CamClassifier(20, new Generator(1));
        _cam.Eval();
        _x = Tensor.Rand(new[] { 1, 3, 512, 512 }, new Generator(2));
        // The benchmark photo upscaled to VOC's typical 500×375 (PIL bicubic, as the script does).
        var photo = ImageCodecs.Decode(Path.Combine(AppContext.BaseDirectory, "msrc_14_10_s.jpg")).ToRgb();
        _image = new ImageBuffer(500, 375, 3, PilResampler.Resize(photo.Pixels, photo.Width, photo.Height, 3, 500, 375, PilFilter.Bicubic));
        _labels[4] = _labels[14] = 1;
    }

    [Benchmark]
    public float ResNet50Forward512()
    {
        using var scope = TensorScope.Begin();
        using var noGrad = Autograd.NoGrad();
        return _resnet.Forward(_x).Data[0];
    }

    [Benchmark]
    public float MultiScaleCam500x375()
    {
        using var scope = TensorScope.Begin();
        var r = CamInference.Irn(_cam, _image, _labels);
        return r.HighRes.Data[0];
    }
}
