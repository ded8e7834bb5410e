using Wsss.Core.Tensors;

namespace Wsss.Core.Nn;

/// <summary>x for x &gt; 0, α(eˣ − 1) otherwise.</summary>
/// <remarks>torch.nn.ELU.</remarks>
public sealed class ELU : Module<Tensor, Tensor>
{
    /// <summary>Creates the activation.</summary>
    public ELU(float alpha = 1f) => Alpha = alpha;

    /// <summary>α.</summary>
    public float Alpha { get; }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => input.Elu(Alpha);
}
