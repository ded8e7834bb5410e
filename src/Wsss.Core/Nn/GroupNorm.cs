using Wsss.Core.Tensors;

namespace Wsss.Core.Nn;

/// <summary>Group normalisation over (N, C, …) with per-channel affine parameters.</summary>
/// <remarks>torch.nn.GroupNorm.</remarks>
public sealed class GroupNorm : Module<Tensor, Tensor>
{
    /// <summary>Creates the layer.</summary>
    public GroupNorm(int numGroups, int numChannels, float eps = 1e-5f, bool affine = true)
    {
        if (numGroups <= 0 || numChannels <= 0 || numChannels % numGroups != 0)
            throw new ArgumentException($"numGroups {numGroups} must divide numChannels {numChannels}", nameof(numGroups));
        NumGroups = numGroups;
        NumChannels = numChannels;
        Eps = eps;
        using var suspend = TensorScope.Suspend();
        Weight = affine ? RegisterParameter("weight", new Parameter(Tensor.Ones(numChannels))) : null;
        Bias = affine ? RegisterParameter("bias", new Parameter(Tensor.Zeros(numChannels))) : null;
    }

    /// <summary>Groups.</summary>
    public int NumGroups { get; }

    /// <summary>Channels.</summary>
    public int NumChannels { get; }

    /// <summary>ε.</summary>
    public float Eps { get; }

    /// <summary>Scale.</summary>
    public Parameter? Weight { get; }

    /// <summary>Shift.</summary>
    public Parameter? Bias { get; }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => Functional.GroupNorm(input, NumGroups, Weight, Bias, Eps);
}
