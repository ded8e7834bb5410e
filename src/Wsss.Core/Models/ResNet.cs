using Wsss.Core.Nn;
using Wsss.Core.Tensors;

namespace Wsss.Core.Models;

/// <summary>
/// ResNet-18/34/50 with torchvision's architecture and parameter names (<c>conv1</c>, <c>bn1</c>, <c>layer1.0.conv1</c>,
/// …, <c>fc</c>), so torchvision state dicts load unchanged; configurable strides and dilations per stage, frozen
/// BatchNorm, and access to every stage's output.
/// </summary>
public sealed class ResNet : Module<Tensor, Tensor>
{
    private readonly Conv2d _conv1;
    private readonly BatchNorm2d _bn1;
    private readonly Sequential[] _layers;
    private readonly Linear? _fc;

    private ResNet(int[] blocks, bool bottleneck, ResNetOptions options, Generator? generator)
    {
        ArgumentNullException.ThrowIfNull(options);
        var (s1, s2, s3, s4) = options.Strides;
        var (d3, d4) = options.Dilations;
        if (new[] { s1, s2, s3, s4, d3, d4 }.Any(v => v < 1)) throw new ArgumentException("strides and dilations must be positive", nameof(options));
        if (options.NumClasses < 0) throw new ArgumentException($"NumClasses must be non-negative, got {options.NumClasses}", nameof(options));
        Options = options;
        _conv1 = RegisterModule("conv1", new Conv2d(3, 64, (7, 7), (s1, s1), (3, 3), (1, 1), bias: false, generator: generator));
        _bn1 = RegisterModule("bn1", new BatchNorm2d(64));
        int[] planes = { 64, 128, 256, 512 };
        int[] strides = { 1, s2, s3, s4 };
        int[] dilations = { 1, 1, d3, d4 };
        int inChannels = 64;
        _layers = new Sequential[4];
        for (int l = 0; l < 4; l++)
        {
            var layer = new Sequential();
            for (int b = 0; b < blocks[l]; b++)
            {
                // torchvision's _make_layer: a layer's first block keeps the previous layer's dilation.
                var block = new ResNetBlock(inChannels, planes[l], b == 0 ? strides[l] : 1, b == 0 && l > 0 ? dilations[l - 1] : dilations[l], bottleneck, generator);
                layer.Append(block);
                inChannels = block.OutChannels;
            }
            _layers[l] = RegisterModule($"layer{l + 1}", layer);
        }
        OutChannels = inChannels;
        if (options.NumClasses > 0) _fc = RegisterModule("fc", new Linear(inChannels, options.NumClasses, generator: generator));
    }

    /// <summary>ResNet-18 (BasicBlock, 2-2-2-2).</summary>
    public static ResNet ResNet18(ResNetOptions? options = null, Generator? generator = null) => new(new[] { 2, 2, 2, 2 }, false, options ?? new ResNetOptions(), generator);

    /// <summary>ResNet-34 (BasicBlock, 3-4-6-3).</summary>
    public static ResNet ResNet34(ResNetOptions? options = null, Generator? generator = null) => new(new[] { 3, 4, 6, 3 }, false, options ?? new ResNetOptions(), generator);

    /// <summary>ResNet-50 (Bottleneck, 3-4-6-3).</summary>
    public static ResNet ResNet50(ResNetOptions? options = null, Generator? generator = null) => new(new[] { 3, 4, 6, 3 }, true, options ?? new ResNetOptions(), generator);

    /// <summary>Stride and dilation layout.</summary>
    public ResNetOptions Options { get; }

    /// <summary>Channels of layer4's output (512 or 2048).</summary>
    public int OutChannels { get; }

    /// <summary>Puts every BatchNorm in frozen mode (running statistics, no affine gradients), as IRNet's and psa's backbones.</summary>
    public ResNet FreezeBatchNorm(bool frozen = true)
    {
        foreach (var (_, m) in NamedModules())
            if (m is BatchNorm2d bn) bn.Freeze(frozen);
        return this;
    }

    /// <summary>
    /// The smallest input side accepted, the network's output stride: 32 for torchvision's layout, 16 for IRNet's. This is a
    /// policy (padded convolutions would return a pixel at any size): a smaller image has no spatial information left.
    /// </summary>
    public int MinInputSize
    {
        get
        {
            var (s1, s2, s3, s4) = Options.Strides;
            return s1 * 2 * s2 * s3 * s4;
        }
    }

    /// <summary>The residual stage <c>layer1</c> … <c>layer4</c> (<paramref name="index"/> 1 to 4, as torchvision's names).</summary>
    public Sequential Layer(int index)
    {
        if (index < 1 || index > 4) throw new ArgumentOutOfRangeException(nameof(index), index, "layer index must be 1, 2, 3 or 4");
        return _layers[index - 1];
    }

    /// <summary>conv1 → bn1 → ReLU → 3x3 max pool (stride 2), after checking that <paramref name="input"/> is (N, 3, H, W) and not smaller than <see cref="MinInputSize"/>.</summary>
    public Tensor ForwardStem(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 4 || input.Size(1) != 3)
            throw new ArgumentException($"ResNet expects (N, 3, H, W) input, got {Tensor.ShapeString(input.ShapeSpan)}", nameof(input));
        int min = MinInputSize;
        if (input.Size(2) < min || input.Size(3) < min)
            throw new ArgumentException($"the input {input.Size(2)}x{input.Size(3)} is smaller than the network's stride ({min}x{min} at least)", nameof(input));
        if (Autograd.IsGradEnabled) return Functional.MaxPool2d(_bn1.Call(_conv1.Call(input)).Relu(), 3, 2, 1);
        using var scope = TensorScope.Begin();
        return scope.Keep(Functional.MaxPool2d(_bn1.Call(_conv1.Call(input)).Relu(), 3, 2, 1));
    }

    /// <summary>The outputs of the stem (after the max pool) and of layer1 … layer4.</summary>
    public IReadOnlyList<Tensor> ForwardStages(Tensor input)
    {
        var stages = new List<Tensor>(5);
        var x = ForwardStem(input);
        stages.Add(x);
        foreach (var layer in _layers)
        {
            x = layer.Call(x);
            stages.Add(x);
        }
        return stages;
    }

    /// <summary>Class logits through global average pooling and <c>fc</c>, or layer4's features when there is no fc.</summary>
    public override Tensor Forward(Tensor input)
    {
        var features = ForwardStages(input)[^1];
        if (_fc is null) return features;
        return _fc.Call(features.Mean(new[] { 2, 3 }));
    }
}
