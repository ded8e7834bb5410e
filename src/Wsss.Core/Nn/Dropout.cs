using Wsss.Core.Tensors;

namespace Wsss.Core.Nn;

/// <summary>Inverted dropout, active only in training mode.</summary>
/// <remarks>torch.nn.Dropout.</remarks>
public sealed class Dropout : Module<Tensor, Tensor>
{
    private readonly Generator? _generator;

    /// <summary>Creates the layer.</summary>
    public Dropout(float p = 0.5f, Generator? generator = null)
    {
        if (!(p >= 0 && p <= 1)) throw new ArgumentOutOfRangeException(nameof(p), p, "must be in [0, 1]");
        P = p;
        _generator = generator;
    }

    /// <summary>Drop probability.</summary>
    public float P { get; }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => Functional.Dropout(input, P, Training, _generator);
}
