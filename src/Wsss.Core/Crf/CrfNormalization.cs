namespace Wsss.Core.Crf;

/// <summary>
/// How a pairwise kernel is normalised (densecrf 2.2's <c>NormalizationType</c>). With
/// <c>K1</c> = the lattice's approximation of Σ_j k(f_i, f_j) (self term and alpha included):
/// </summary>
public enum CrfNormalization
{
    /// <summary><c>NORMALIZE_SYMMETRIC</c> (the default): n = 1/√(K1 + 1e-20), out = n ⊙ K(n ⊙ Q).</summary>
    Symmetric = 0,

    /// <summary><c>NORMALIZE_AFTER</c> (NIPS 2011 / DeepLab v1): n = 1/(K1 + 1e-20), out = n ⊙ K(Q).</summary>
    After = 1,

    /// <summary><c>NORMALIZE_BEFORE</c>: n = 1/(K1 + 1e-20), out = K(n ⊙ Q).</summary>
    Before = 2,

    /// <summary>
    /// <c>NO_NORMALIZATION</c>: out = K(Q). densecrf 2.2 computes a mean normaliser for this mode but its
    /// filter never applies it, so neither does this port.
    /// </summary>
    None = 3,
}
