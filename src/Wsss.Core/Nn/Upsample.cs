using Wsss.Core.Tensors;

namespace Wsss.Core.Nn;

/// <summary>Resizes (N, C, H, W) maps by a scale factor or to a size.</summary>
/// <remarks>torch.nn.Upsample.</remarks>
public sealed class Upsample : Module<Tensor, Tensor>
{
    /// <summary>Scales by <paramref name="scaleFactor"/> on both axes.</summary>
    public Upsample(double scaleFactor, InterpolateMode mode = InterpolateMode.Nearest, bool? alignCorners = null)
    {
        if (!(scaleFactor > 0)) throw new ArgumentOutOfRangeException(nameof(scaleFactor), scaleFactor, "must be positive");
        ScaleFactor = (scaleFactor, scaleFactor);
        Mode = mode;
        AlignCorners = alignCorners;
    }

    /// <summary>Resizes to <paramref name="size"/>.</summary>
    public Upsample((int H, int W) size, InterpolateMode mode = InterpolateMode.Nearest, bool? alignCorners = null)
    {
        Size = size;
        Mode = mode;
        AlignCorners = alignCorners;
    }

    /// <summary>Scale factor, if set.</summary>
    public (double H, double W)? ScaleFactor { get; }

    /// <summary>Output size, if set.</summary>
    public (int H, int W)? Size { get; }

    /// <summary>Interpolation mode.</summary>
    public InterpolateMode Mode { get; }

    /// <summary>Corner alignment (bilinear only).</summary>
    public bool? AlignCorners { get; }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => Functional.Interpolate(input, Size, ScaleFactor, Mode, AlignCorners);
}
