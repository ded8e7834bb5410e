using Wsss.Core.Nn;
using Wsss.Core.Tensors;

namespace Wsss.Core.Models;

/// <summary>The shared U-Net encoder (children "0", "1", … are its 3×3 convolutions in order).</summary>
public sealed class UNetEncoder : Module<Tensor, UNetFeatures>
{
    private readonly List<Conv2d> _convs = new();

    /// <summary>Creates the encoder with widths w, 2w, 4w, 8w and a 16w bottleneck.</summary>
    public UNetEncoder(int inChannels, int width, UNetLayout layout, float negativeSlope = 0.01f, Generator? generator = null)
    {
        if (inChannels <= 0) throw new ArgumentOutOfRangeException(nameof(inChannels), inChannels, "must be positive");
        if (width <= 0) throw new ArgumentOutOfRangeException(nameof(width), width, "must be positive");
        Layout = layout;
        NegativeSlope = negativeSlope;
        int[] c = { width, 2 * width, 4 * width, 8 * width };
        var shapes = new List<(int In, int Out)>();
        int cin = inChannels;
        foreach (int ci in c)
        {
            shapes.Add((cin, ci));
            shapes.Add((ci, ci));
            cin = ci;
        }
        shapes.Add((c[3], 16 * width));
        if (layout == UNetLayout.Reference) shapes.Add((16 * width, c[3]));
        for (int i = 0; i < shapes.Count; i++)
            _convs.Add(RegisterModule(i.ToString(System.Globalization.CultureInfo.InvariantCulture), new Conv2d(shapes[i].In, shapes[i].Out, 3, padding: 1, generator: generator)));
        OutChannels = shapes[^1].Out;
    }

    /// <summary>The layout.</summary>
    public UNetLayout Layout { get; }

    /// <summary>LeakyReLU slope.</summary>
    public float NegativeSlope { get; }

    /// <summary>Channels of the bottleneck.</summary>
    public int OutChannels { get; }

    /// <inheritdoc />
    public override UNetFeatures Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 4 || input.Size(2) % 16 != 0 || input.Size(3) % 16 != 0 || input.Size(2) == 0 || input.Size(3) == 0)
            throw new ArgumentException($"the U-Net needs (N, C, H, W) input with H and W positive multiples of 16, got {Tensor.ShapeString(input.ShapeSpan)}", nameof(input));
        var skips = new List<Tensor>(4);
        var x = input;
        for (int b = 0; b < 4; b++)
        {
            x = _convs[2 * b].Call(x).LeakyRelu(NegativeSlope);
            x = _convs[2 * b + 1].Call(x).LeakyRelu(NegativeSlope);
            if (Layout == UNetLayout.Reference) skips.Add(x);
            x = Functional.MaxPool2d(x, 2);
            if (Layout == UNetLayout.Paper) skips.Add(x);
        }
        for (int i = 8; i < _convs.Count; i++) x = _convs[i].Call(x).LeakyRelu(NegativeSlope);
        return new UNetFeatures(x, skips);
    }
}
