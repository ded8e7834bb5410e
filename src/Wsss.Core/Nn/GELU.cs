using Wsss.Core.Tensors;

namespace Wsss.Core.Nn;

/// <summary>Gaussian error linear unit x·Φ(x) (or its tanh approximation).</summary>
/// <remarks>torch.nn.GELU(approximate='none' | 'tanh').</remarks>
public sealed class GELU : Module<Tensor, Tensor>
{
    /// <summary>Creates the activation.</summary>
    public GELU(bool approximateTanh = false) => ApproximateTanh = approximateTanh;

    /// <summary>Use the tanh approximation.</summary>
    public bool ApproximateTanh { get; }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => input.Gelu(ApproximateTanh);
}
