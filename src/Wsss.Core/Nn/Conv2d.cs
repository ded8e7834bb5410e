using Wsss.Core.Tensors;

namespace Wsss.Core.Nn;

/// <summary>2-D convolution layer with PyTorch's default initialisation.</summary>
/// <remarks>torch.nn.Conv2d; parameters <c>weight</c> (C_out, C_in/groups, kH, kW) and <c>bias</c> (C_out).</remarks>
public sealed class Conv2d : Module<Tensor, Tensor>
{
    /// <summary>Creates the layer; <paramref name="padding"/> −1 means "same" for odd kernels with stride 1.</summary>
    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int dilation = 1, int groups = 1, bool bias = true, Generator? generator = null)
        : this(inChannels, outChannels, (kernelSize, kernelSize), (stride, stride), (padding, padding), (dilation, dilation), groups, bias, generator)
    {
    }

    /// <summary>Creates the layer with per-axis kernel, stride, padding and dilation.</summary>
    public Conv2d(int inChannels, int outChannels, (int H, int W) kernelSize, (int H, int W) stride, (int H, int W) padding, (int H, int W) dilation, int groups = 1, bool bias = true, Generator? generator = null)
    {
        if (inChannels <= 0) throw new ArgumentOutOfRangeException(nameof(inChannels), inChannels, "must be positive");
        if (outChannels <= 0) throw new ArgumentOutOfRangeException(nameof(outChannels), outChannels, "must be positive");
        if (groups <= 0 || inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"groups {groups} must divide in_channels {inChannels} and out_channels {outChannels}", nameof(groups));
        if (kernelSize.H <= 0 || kernelSize.W <= 0) throw new ArgumentException($"kernel size must be positive, got {kernelSize}", nameof(kernelSize));
        if (padding.H == -1) padding = ((kernelSize.H - 1) * dilation.H / 2, (kernelSize.W - 1) * dilation.W / 2);
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Stride = stride;
        Padding = padding;
        Dilation = dilation;
        Groups = groups;
        using var suspend = TensorScope.Suspend();
        Weight = RegisterParameter("weight", new Parameter(Tensor.Zeros(outChannels, inChannels / groups, kernelSize.H, kernelSize.W)))!;
        Bias = bias ? RegisterParameter("bias", new Parameter(Tensor.Zeros(outChannels))) : RegisterParameter("bias", null);
        Init.DefaultLayerInit(Weight, Bias, generator);
    }

    /// <summary>Input channels.</summary>
    public int InChannels { get; }

    /// <summary>Output channels.</summary>
    public int OutChannels { get; }

    /// <summary>Kernel size (H, W).</summary>
    public (int H, int W) KernelSize { get; }

    /// <summary>Stride (H, W).</summary>
    public (int H, int W) Stride { get; }

    /// <summary>Zero padding (H, W).</summary>
    public (int H, int W) Padding { get; }

    /// <summary>Dilation (H, W).</summary>
    public (int H, int W) Dilation { get; }

    /// <summary>Groups.</summary>
    public int Groups { get; }

    /// <summary>The weight.</summary>
    public Parameter Weight { get; }

    /// <summary>The bias, if any.</summary>
    public Parameter? Bias { get; }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => Functional.Conv2d(input, Weight, Bias, Stride, Padding, Dilation, Groups);
}
