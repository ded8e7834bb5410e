using Wsss.Core.Tensors;

namespace Wsss.Core.Crf;

/// <summary>
/// Refines per-pixel class scores with the image they belong to (a dense CRF, or any other refiner), so
/// pipelines depend on "a refiner" rather than on <see cref="DenseCrf"/>.
/// </summary>
public interface IMaskRefiner
{
    /// <summary>Refines <paramref name="probabilities"/> using <paramref name="image"/>.</summary>
    /// <param name="image">(C, H, W) image in the units the refiner's colour parameters expect (0..255 for 8-bit images).</param>
    /// <param name="probabilities">(L, H, W) non-negative class probabilities.</param>
    /// <returns>Refined (L, H, W) probabilities (each pixel sums to 1).</returns>
    Tensor Refine(Tensor image, Tensor probabilities);
}
