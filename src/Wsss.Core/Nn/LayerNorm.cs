using Wsss.Core.Tensors;

namespace Wsss.Core.Nn;

/// <summary>Layer normalisation over the trailing dimensions.</summary>
/// <remarks>torch.nn.LayerNorm.</remarks>
public sealed class LayerNorm : Module<Tensor, Tensor>
{
    private readonly int[] _shape;

    /// <summary>Creates the layer.</summary>
    public LayerNorm(int[] normalizedShape, float eps = 1e-5f, bool elementwiseAffine = true)
    {
        ArgumentNullException.ThrowIfNull(normalizedShape);
        if (normalizedShape.Length == 0 || normalizedShape.Any(d => d <= 0))
            throw new ArgumentException($"normalizedShape must be non-empty and positive, got {Tensor.ShapeString(normalizedShape)}", nameof(normalizedShape));
        _shape = (int[])normalizedShape.Clone();
        Eps = eps;
        using var suspend = TensorScope.Suspend();
        Weight = elementwiseAffine ? RegisterParameter("weight", new Parameter(Tensor.Ones(_shape))) : null;
        Bias = elementwiseAffine ? RegisterParameter("bias", new Parameter(Tensor.Zeros(_shape))) : null;
    }

    /// <summary>Normalised trailing shape.</summary>
    public int[] NormalizedShape => (int[])_shape.Clone();

    /// <summary>ε.</summary>
    public float Eps { get; }

    /// <summary>Scale.</summary>
    public Parameter? Weight { get; }

    /// <summary>Shift.</summary>
    public Parameter? Bias { get; }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => Functional.LayerNorm(input, _shape, Weight, Bias, Eps);
}
