using Wsss.Core.Tensors;

namespace Wsss.Core.Crf;

/// <summary>
/// One image for <see cref="DenseCrfRefiner.RefineMany"/>: class probabilities (L, H, W) and the image, either a
/// (C, H, W) tensor or interleaved (H, W, C) bytes.
/// </summary>
public sealed class DenseCrfWorkItem
{
    /// <summary>An item with a (C, H, W) image tensor (values in the units of the colour standard deviation, 0..255 for 8-bit images).</summary>
    /// <param name="image">(C, H, W) image.</param>
    /// <param name="probabilities">(L, H, W) non-negative class probabilities.</param>
    public DenseCrfWorkItem(Tensor image, Tensor probabilities)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(probabilities);
        Image = image;
        Probabilities = probabilities;
        Channels = image.Rank == 3 ? image.ShapeSpan[0] : 0;
    }

    /// <summary>An item with an interleaved (H, W, C) byte image (the layout of a NumPy uint8 image).</summary>
    /// <param name="image">H·W·C bytes.</param>
    /// <param name="channels">C ≥ 1.</param>
    /// <param name="probabilities">(L, H, W) non-negative class probabilities.</param>
    public DenseCrfWorkItem(ReadOnlyMemory<byte> image, int channels, Tensor probabilities)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        ImageBytes = image;
        Channels = channels;
        Probabilities = probabilities;
    }

    /// <summary>The (C, H, W) image tensor, or null for a byte image.</summary>
    public Tensor? Image { get; }

    /// <summary>The interleaved byte image (empty for a tensor image).</summary>
    public ReadOnlyMemory<byte> ImageBytes { get; }

    /// <summary>Number of image channels C.</summary>
    public int Channels { get; }

    /// <summary>The (L, H, W) class probabilities.</summary>
    public Tensor Probabilities { get; }
}
