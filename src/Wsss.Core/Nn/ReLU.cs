using Wsss.Core.Tensors;

namespace Wsss.Core.Nn;

/// <summary>max(x, 0).</summary>
/// <remarks>torch.nn.ReLU.</remarks>
public sealed class ReLU : Module<Tensor, Tensor>
{
    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => input.Relu();
}
