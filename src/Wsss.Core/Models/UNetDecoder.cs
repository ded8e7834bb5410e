using Wsss.Core.Nn;
using Wsss.Core.Tensors;

namespace Wsss.Core.Models;

/// <summary>One U-Net decoder (children "0", "1", … are its 3×3 convolutions); returns width-w features at full resolution.</summary>
public sealed class UNetDecoder : Module<UNetFeatures, Tensor>
{
    private readonly List<Conv2d> _convs = new();

    /// <summary>Creates a decoder matching <see cref="UNetEncoder"/> of the same width and layout.</summary>
    public UNetDecoder(int width, UNetLayout layout, float negativeSlope = 0.01f, Generator? generator = null)
    {
        if (width <= 0) throw new ArgumentOutOfRangeException(nameof(width), width, "must be positive");
        Layout = layout;
        NegativeSlope = negativeSlope;
        int[] c = { width, 2 * width, 4 * width, 8 * width };
        var shapes = new List<(int In, int Out)>();
        if (layout == UNetLayout.Paper)
        {
            int cin = 16 * width;
            for (int b = 3; b >= 0; b--)
            {
                shapes.Add((cin + c[b], c[b]));
                shapes.Add((c[b], c[b]));
                cin = c[b];
            }
            shapes.Add((c[0], c[0]));
        }
        else
        {
            for (int b = 3; b >= 0; b--)
            {
                shapes.Add((2 * c[b], c[b]));
                shapes.Add((c[b], b > 0 ? c[b - 1] : c[0]));
            }
        }
        for (int i = 0; i < shapes.Count; i++)
            _convs.Add(RegisterModule(i.ToString(System.Globalization.CultureInfo.InvariantCulture), new Conv2d(shapes[i].In, shapes[i].Out, 3, padding: 1, generator: generator)));
    }

    /// <summary>The layout.</summary>
    public UNetLayout Layout { get; }

    /// <summary>LeakyReLU slope.</summary>
    public float NegativeSlope { get; }

    private static Tensor Up(Tensor x) => Functional.Interpolate(x, scaleFactor: (2.0, 2.0), mode: InterpolateMode.Bilinear, alignCorners: false);

    /// <inheritdoc />
    public override Tensor Forward(UNetFeatures input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Skips.Count != 4) throw new ArgumentException($"expected 4 skip features, got {input.Skips.Count}", nameof(input));
        var x = input.Bottleneck;
        for (int b = 0; b < 4; b++)
        {
            var skip = input.Skips[3 - b];
            if (Layout == UNetLayout.Paper)
            {
                x = _convs[2 * b].Call(Tensor.Cat(new[] { x, skip }, 1)).LeakyRelu(NegativeSlope);
                x = _convs[2 * b + 1].Call(Up(x)).LeakyRelu(NegativeSlope);
            }
            else
            {
                x = _convs[2 * b].Call(Tensor.Cat(new[] { Up(x), skip }, 1)).LeakyRelu(NegativeSlope);
                x = _convs[2 * b + 1].Call(x).LeakyRelu(NegativeSlope);
            }
        }
        if (Layout == UNetLayout.Paper) x = _convs[8].Call(x).LeakyRelu(NegativeSlope);
        return x;
    }
}
