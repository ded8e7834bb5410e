using Wsss.Core.Tensors;

namespace Wsss.Core.Models;

/// <summary>
/// Output of <see cref="DecompositionUNet"/>: mask logits (B, K, H, W) of f_m and image-lets X = sigmoid(f_x) as
/// (B, K, 3, H, W). Mask-lets are M = softmax over K; the reconstruction is Î = Σ_k M_k·X_k.
/// </summary>
/// <param name="MaskLogits">f_m(I), (B, K, H, W).</param>
/// <param name="Imagelets">X ∈ (0, 1), (B, K, 3, H, W).</param>
public sealed record DecompositionOutput(Tensor MaskLogits, Tensor Imagelets)
{
    /// <summary>M = softmax(MaskLogits) over the K mask-lets, (B, K, H, W).</summary>
    public Tensor Masklets() => MaskLogits.Softmax(1);

    /// <summary>Î = Σ_k M_k·X_k, (B, 3, H, W).</summary>
    public Tensor Reconstruction() => Reconstruct(Masklets(), Imagelets);

    /// <summary>Σ_k masklets_k · imagelets_k for (B, K, H, W) mask-lets and (B, K, C, H, W) image-lets.</summary>
    public static Tensor Reconstruct(Tensor masklets, Tensor imagelets)
    {
        ArgumentNullException.ThrowIfNull(masklets);
        ArgumentNullException.ThrowIfNull(imagelets);
        if (masklets.Rank != 4 || imagelets.Rank != 5 || masklets.Size(0) != imagelets.Size(0) || masklets.Size(1) != imagelets.Size(1)
            || masklets.Size(2) != imagelets.Size(3) || masklets.Size(3) != imagelets.Size(4))
            throw new ArgumentException($"mask-lets {Tensor.ShapeString(masklets.ShapeSpan)} do not match image-lets {Tensor.ShapeString(imagelets.ShapeSpan)}", nameof(imagelets));
        return (masklets.Unsqueeze(2) * imagelets).Sum(1);
    }

    /// <summary>The segmentation: argmax over K of the mask logits, (B, H, W), as float class indices.</summary>
    public Tensor Prediction()
    {
        using var noGrad = Autograd.NoGrad();
        return MaskLogits.Argmax(1);
    }
}
