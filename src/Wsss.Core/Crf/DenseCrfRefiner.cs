using Wsss.Core.Tensors;

namespace Wsss.Core.Crf;

/// <summary>
/// The dense CRF as an <see cref="IMaskRefiner"/>: unary from the probabilities (<c>unary_from_softmax</c>),
/// a smoothness and an appearance kernel, <see cref="DenseCrfOptions.Iterations"/> mean-field iterations
/// (psa's <c>crf_inference</c> with the default options).
/// </summary>
public sealed class DenseCrfRefiner : IMaskRefiner
{
    /// <summary>Creates a refiner.</summary>
    /// <param name="options">Parameters; null uses the defaults.</param>
    public DenseCrfRefiner(DenseCrfOptions? options = null)
    {
        Options = options ?? new DenseCrfOptions();
        if (Options.Iterations < 0) CrfThrowHelper.OutOfRange(nameof(options), Options.Iterations, "Iterations must be non-negative.");
        CrfThrowHelper.CheckStdDev(Options.GaussianSxy, nameof(DenseCrfOptions.GaussianSxy));
        CrfThrowHelper.CheckStdDev(Options.BilateralSxy, nameof(DenseCrfOptions.BilateralSxy));
        CrfThrowHelper.CheckStdDev(Options.BilateralSrgb, nameof(DenseCrfOptions.BilateralSrgb));
    }

    /// <summary>The parameters.</summary>
    public DenseCrfOptions Options { get; }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The shapes disagree, the image is empty, or the probabilities are NaN/Inf or negative.</exception>
    public Tensor Refine(Tensor image, Tensor probabilities)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(probabilities);
        ReadOnlySpan<int> ps = probabilities.ShapeSpan, im = image.ShapeSpan;
        if (ps.Length != 3 || ps[0] < 1 || ps[1] < 1 || ps[2] < 1)
            CrfThrowHelper.Argument(nameof(probabilities), $"Expected non-empty probabilities of shape (L, H, W); got {Tensor.ShapeString(ps)}.");
        if (im.Length != 3 || im[0] < 1 || im[1] != ps[1] || im[2] != ps[2])
            CrfThrowHelper.Argument(nameof(image), $"Expected an image of shape (C, {ps[1]}, {ps[2]}) to match the probabilities {Tensor.ShapeString(ps)}; got {Tensor.ShapeString(im)}.");
        var crf = Create(ps[2], ps[1], ps[0]);
        crf.SetUnaryFromProbabilities(probabilities, Options.Scale, Options.Clip);
        crf.AddPairwiseBilateral(Options.BilateralSxy, Options.BilateralSxy, [Options.BilateralSrgb], image, LabelCompatibility.Potts(Options.BilateralCompat), Options.Normalization);
        return crf.Inference(Options.Iterations);
    }

    /// <summary>Refines probabilities with an interleaved (H, W, C) byte image (the layout of a NumPy uint8 image).</summary>
    /// <param name="image">H·W·C bytes.</param>
    /// <param name="channels">C ≥ 1.</param>
    /// <param name="probabilities">(L, H, W) non-negative class probabilities.</param>
    /// <returns>Refined (L, H, W) probabilities.</returns>
    public Tensor Refine(ReadOnlySpan<byte> image, int channels, Tensor probabilities)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        ReadOnlySpan<int> ps = probabilities.ShapeSpan;
        if (ps.Length != 3 || ps[0] < 1 || ps[1] < 1 || ps[2] < 1)
            CrfThrowHelper.Argument(nameof(probabilities), $"Expected non-empty probabilities of shape (L, H, W); got {Tensor.ShapeString(ps)}.");
        var crf = Create(ps[2], ps[1], ps[0]);
        crf.SetUnaryFromProbabilities(probabilities, Options.Scale, Options.Clip);
        crf.AddPairwiseBilateral(Options.BilateralSxy, Options.BilateralSxy, [Options.BilateralSrgb], image, channels, LabelCompatibility.Potts(Options.BilateralCompat), Options.Normalization);
        return crf.Inference(Options.Iterations);
    }

    private DenseCrf Create(int width, int height, int labels)
    {
        var crf = new DenseCrf(width, height, labels);
        crf.AddPairwiseGaussian(Options.GaussianSxy, Options.GaussianSxy, LabelCompatibility.Potts(Options.GaussianCompat), Options.Normalization);
        return crf;
    }
}
