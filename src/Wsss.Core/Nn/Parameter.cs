using Wsss.Core.Tensors;

namespace Wsss.Core.Nn;

/// <summary>A learnable tensor owned by a <see cref="Module"/>: requires grad and belongs to no <see cref="TensorScope"/>.</summary>
/// <remarks>torch.nn.Parameter.</remarks>
public sealed class Parameter : Tensor
{
    /// <summary>Wraps <paramref name="data"/>'s storage (no copy) as a parameter.</summary>
    public Parameter(Tensor data, bool requiresGrad = true) : base(data)
    {
        RequiresGrad = requiresGrad;
    }
}
