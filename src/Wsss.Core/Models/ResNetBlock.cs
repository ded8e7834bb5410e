using Wsss.Core.Nn;
using Wsss.Core.Tensors;

namespace Wsss.Core.Models;

/// <summary>
/// A ResNet residual block with torchvision's layout and names: BasicBlock (two 3×3 convolutions) or Bottleneck
/// (1×1, 3×3 carrying the stride — torchvision's "v1.5" — and 1×1 with 4× expansion); <c>downsample</c> = 1×1
/// convolution + BatchNorm when the shape changes.
/// </summary>
public sealed class ResNetBlock : Module<Tensor, Tensor>
{
    private readonly Conv2d _conv1, _conv2;
    private readonly Conv2d? _conv3;
    private readonly BatchNorm2d _bn1, _bn2;
    private readonly BatchNorm2d? _bn3;
    private readonly Sequential? _downsample;

    /// <summary>Creates the block.</summary>
    public ResNetBlock(int inChannels, int planes, int stride, int dilation, bool bottleneck, Generator? generator = null)
    {
        Bottleneck = bottleneck;
        OutChannels = bottleneck ? planes * 4 : planes;
        if (bottleneck)
        {
            _conv1 = RegisterModule("conv1", new Conv2d(inChannels, planes, 1, bias: false, generator: generator));
            _bn1 = RegisterModule("bn1", new BatchNorm2d(planes));
            _conv2 = RegisterModule("conv2", new Conv2d(planes, planes, (3, 3), (stride, stride), (dilation, dilation), (dilation, dilation), bias: false, generator: generator));
            _bn2 = RegisterModule("bn2", new BatchNorm2d(planes));
            _conv3 = RegisterModule("conv3", new Conv2d(planes, OutChannels, 1, bias: false, generator: generator));
            _bn3 = RegisterModule("bn3", new BatchNorm2d(OutChannels));
        }
        else
        {
            _conv1 = RegisterModule("conv1", new Conv2d(inChannels, planes, (3, 3), (stride, stride), (dilation, dilation), (dilation, dilation), bias: false, generator: generator));
            _bn1 = RegisterModule("bn1", new BatchNorm2d(planes));
            _conv2 = RegisterModule("conv2", new Conv2d(planes, planes, (3, 3), (1, 1), (dilation, dilation), (dilation, dilation), bias: false, generator: generator));
            _bn2 = RegisterModule("bn2", new BatchNorm2d(planes));
        }
        if (stride != 1 || inChannels != OutChannels)
            _downsample = RegisterModule("downsample", new Sequential(new Conv2d(inChannels, OutChannels, 1, stride: stride, bias: false, generator: generator), new BatchNorm2d(OutChannels)));
    }

    /// <summary>Bottleneck (true) or basic (false) block.</summary>
    public bool Bottleneck { get; }

    /// <summary>Output channels.</summary>
    public int OutChannels { get; }

    /// <summary>
    /// The block's output. Without gradient recording the block's intermediates go back to the pool as soon as the
    /// output exists (as PyTorch frees them), so inference holds one block's activations at a time; a forward hook on a
    /// layer inside the block that keeps its output must copy it under <see cref="TensorScope.Suspend"/>.
    /// </summary>
    public override Tensor Forward(Tensor input)
    {
        if (Autograd.IsGradEnabled) return Compute(input);
        using var scope = TensorScope.Begin();
        return scope.Keep(Compute(input));
    }

    private Tensor Compute(Tensor input)
    {
        var x = _bn1.Call(_conv1.Call(input)).Relu();
        x = _bn2.Call(_conv2.Call(x));
        if (_conv3 is not null) x = _bn3!.Call(_conv3.Call(x.Relu()));
        var identity = _downsample is null ? input : _downsample.Call(input);
        return (x + identity).Relu();
    }
}
