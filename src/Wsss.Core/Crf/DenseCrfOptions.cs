namespace Wsss.Core.Crf;

/// <summary>Parameters of <see cref="DenseCrfRefiner"/>; the defaults are psa's / pydensecrf's README values.</summary>
public sealed record DenseCrfOptions
{
    /// <summary>Mean-field iterations (psa and IRN use 10).</summary>
    public int Iterations { get; init; } = 10;

    /// <summary>Smoothness kernel spatial standard deviation (pixels).</summary>
    public float GaussianSxy { get; init; } = 3f;

    /// <summary>Smoothness kernel Potts weight.</summary>
    public float GaussianCompat { get; init; } = 3f;

    /// <summary>Appearance kernel spatial standard deviation (pixels).</summary>
    public float BilateralSxy { get; init; } = 80f;

    /// <summary>Appearance kernel colour standard deviation (image units, every channel).</summary>
    public float BilateralSrgb { get; init; } = 13f;

    /// <summary>Appearance kernel Potts weight.</summary>
    public float BilateralCompat { get; init; } = 10f;

    /// <summary>Optional <c>unary_from_softmax</c> scale in (0, 1]; null = none.</summary>
    public float? Scale { get; init; }

    /// <summary>Lower probability clip before −log.</summary>
    public float Clip { get; init; } = CrfUnary.DefaultClip;

    /// <summary>Kernel normalisation of both kernels.</summary>
    public CrfNormalization Normalization { get; init; } = CrfNormalization.Symmetric;
}
