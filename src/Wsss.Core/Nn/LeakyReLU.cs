using Wsss.Core.Tensors;

namespace Wsss.Core.Nn;

/// <summary>x for x &gt; 0, slope·x otherwise.</summary>
/// <remarks>torch.nn.LeakyReLU (default slope 0.01).</remarks>
public sealed class LeakyReLU : Module<Tensor, Tensor>
{
    /// <summary>Creates the activation.</summary>
    public LeakyReLU(float negativeSlope = 0.01f) => NegativeSlope = negativeSlope;

    /// <summary>Slope for negative inputs.</summary>
    public float NegativeSlope { get; }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => input.LeakyRelu(NegativeSlope);
}
