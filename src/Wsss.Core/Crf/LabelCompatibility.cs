using System.Globalization;

namespace Wsss.Core.Crf;

/// <summary>
/// The label compatibility μ of a pairwise term, as densecrf 2.2's <c>LabelCompatibility</c> classes.
/// The mean-field update subtracts <c>μ·(filtered Q)</c> from the energy, so
/// <see cref="Potts"/>(w) ≡ <see cref="Diagonal"/>(−w·1) ≡ <see cref="Matrix"/>(−w·I): a positive Potts weight
/// rewards equal labels.
/// </summary>
/// <remarks>pydensecrf's <c>compat</c> argument: a number selects Potts, a 1-D array Diagonal, a 2-D array Matrix.</remarks>
public sealed class LabelCompatibility
{
    private LabelCompatibility(float pottsWeight, float[]? diagonal, float[]? matrix, int labels)
    {
        PottsWeight = pottsWeight;
        DiagonalValues = diagonal;
        SymmetricMatrix = matrix;
        Labels = labels;
    }

    /// <summary>The Potts weight w (energy term +w·filtered Q); zero for the other kinds.</summary>
    public float PottsWeight { get; }

    /// <summary>True for <see cref="Potts"/>.</summary>
    public bool IsPotts => DiagonalValues is null && SymmetricMatrix is null;

    /// <summary>Number of labels the compatibility is defined for (0 for Potts, which fits any count).</summary>
    public int Labels { get; }

    internal float[]? DiagonalValues { get; }

    /// <summary>Row-major L×L, already symmetrised as ½(M + Mᵀ).</summary>
    internal float[]? SymmetricMatrix { get; }

    /// <summary>Potts compatibility: the energy gains +w·(filtered Q) (<c>PottsCompatibility(w)</c>).</summary>
    /// <param name="weight">The weight w (pydensecrf's scalar <c>compat</c>); must be finite.</param>
    /// <returns>The compatibility.</returns>
    public static LabelCompatibility Potts(float weight)
    {
        CrfThrowHelper.CheckFinite(weight, nameof(weight));
        return new LabelCompatibility(weight, null, null, 0);
    }

    /// <summary>Diagonal compatibility: the energy loses v ⊙ (filtered Q) (<c>DiagonalCompatibility(v)</c>).</summary>
    /// <param name="values">One finite value per label.</param>
    /// <returns>The compatibility.</returns>
    public static LabelCompatibility Diagonal(ReadOnlySpan<float> values)
    {
        if (values.IsEmpty) CrfThrowHelper.Argument(nameof(values), "The diagonal compatibility needs one value per label; got none.");
        if (CrfThrowHelper.FirstNonFinite(values) is var bad and >= 0)
            CrfThrowHelper.Argument(nameof(values), $"Diagonal compatibility value {bad} is not finite.");
        return new LabelCompatibility(0f, values.ToArray(), null, values.Length);
    }

    /// <summary>
    /// Full matrix compatibility: the energy loses W·(filtered Q) with W = ½(M + Mᵀ), symmetrised at
    /// construction as densecrf 2.2's <c>MatrixCompatibility</c> does.
    /// </summary>
    /// <param name="matrix">Row-major L×L values M[l, l'] (finite).</param>
    /// <param name="labels">L.</param>
    /// <returns>The compatibility.</returns>
    public static LabelCompatibility Matrix(ReadOnlySpan<float> matrix, int labels)
    {
        if (labels < 1) CrfThrowHelper.OutOfRange(nameof(labels), labels, "The number of labels must be at least 1.");
        if (matrix.Length != labels * labels)
            CrfThrowHelper.Argument(nameof(matrix), string.Create(CultureInfo.InvariantCulture, $"A {labels}x{labels} compatibility needs {labels * labels} values; got {matrix.Length}."));
        if (CrfThrowHelper.FirstNonFinite(matrix) is var bad and >= 0)
            CrfThrowHelper.Argument(nameof(matrix), $"Compatibility matrix element {bad} is not finite.");
        var w = new float[labels * labels];
        for (int i = 0; i < labels; i++)
        {
            for (int j = 0; j < labels; j++)
            {
                w[i * labels + j] = 0.5f * (matrix[i * labels + j] + matrix[j * labels + i]);
            }
        }

        return new LabelCompatibility(0f, null, w, labels);
    }

    /// <summary>A Potts compatibility of weight <paramref name="weight"/>.</summary>
    /// <param name="weight">The Potts weight.</param>
    public static implicit operator LabelCompatibility(float weight) => Potts(weight);

    /// <summary>Creates a Potts compatibility (the named alternative of the implicit conversion).</summary>
    /// <param name="weight">The Potts weight.</param>
    /// <returns>The compatibility.</returns>
    public static LabelCompatibility FromSingle(float weight) => Potts(weight);
}
