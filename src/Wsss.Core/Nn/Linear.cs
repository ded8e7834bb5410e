using Wsss.Core.Tensors;

namespace Wsss.Core.Nn;

/// <summary>Fully connected layer y = x·Wᵀ + b with PyTorch's default initialisation.</summary>
/// <remarks>torch.nn.Linear; parameters <c>weight</c> (out, in) and <c>bias</c> (out).</remarks>
public sealed class Linear : Module<Tensor, Tensor>
{
    /// <summary>Creates the layer.</summary>
    public Linear(int inFeatures, int outFeatures, bool bias = true, Generator? generator = null)
    {
        if (inFeatures <= 0) throw new ArgumentOutOfRangeException(nameof(inFeatures), inFeatures, "must be positive");
        if (outFeatures <= 0) throw new ArgumentOutOfRangeException(nameof(outFeatures), outFeatures, "must be positive");
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        using var suspend = TensorScope.Suspend();
        Weight = RegisterParameter("weight", new Parameter(Tensor.Zeros(outFeatures, inFeatures)))!;
        Bias = bias ? RegisterParameter("bias", new Parameter(Tensor.Zeros(outFeatures))) : RegisterParameter("bias", null);
        Init.DefaultLayerInit(Weight, Bias, generator);
    }

    /// <summary>Input features.</summary>
    public int InFeatures { get; }

    /// <summary>Output features.</summary>
    public int OutFeatures { get; }

    /// <summary>The weight.</summary>
    public Parameter Weight { get; }

    /// <summary>The bias, if any.</summary>
    public Parameter? Bias { get; }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => Tensor.Linear(input, Weight, Bias);
}
