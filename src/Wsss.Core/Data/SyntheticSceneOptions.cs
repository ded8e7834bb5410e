namespace Wsss.Core.Data;

/// <summary>Settings of <see cref="SyntheticScenes"/>.</summary>
public sealed record SyntheticSceneOptions
{
    /// <summary>Image side in pixels (≥ 32).</summary>
    public int Size { get; init; } = 128;

    /// <summary>Object classes (1..8; class ids 1..Classes, 0 is background).</summary>
    public int Classes { get; init; } = 4;

    /// <summary>At most this many objects in a positive image.</summary>
    public int MaxObjects { get; init; } = 3;

    /// <summary>Fraction of images with no object (the negatives of weak supervision).</summary>
    public double NegativeFraction { get; init; } = 0.2;

    /// <summary>
    /// Class pairs that co-occur: when the first class is in an image, the second is added with the given probability
    /// (the bias SeCo and the reconstruction paper discuss, e.g. boats with water).
    /// </summary>
    public IReadOnlyList<(int A, int B, double Probability)> CoOccurrence { get; init; } = Array.Empty<(int, int, double)>();

    /// <summary>Width in pixels of the void (255) band drawn along object boundaries, as in VOC; 0 for none.</summary>
    public int VoidBorder { get; init; }

    /// <summary>Seed of the whole set: scene i depends only on it and i.</summary>
    public ulong Seed { get; init; }

    /// <summary>Throws when a setting is out of range.</summary>
    public void Validate()
    {
        if (Size < 32) throw new ArgumentOutOfRangeException(nameof(Size), Size, "must be at least 32");
        if (Classes is < 1 or > SyntheticScenes.MaxClasses) throw new ArgumentOutOfRangeException(nameof(Classes), Classes, $"must be in [1, {SyntheticScenes.MaxClasses}]");
        if (MaxObjects < 1) throw new ArgumentOutOfRangeException(nameof(MaxObjects), MaxObjects, "must be positive");
        if (!(NegativeFraction >= 0 && NegativeFraction < 1)) throw new ArgumentOutOfRangeException(nameof(NegativeFraction), NegativeFraction, "must be in [0, 1)");
        if (VoidBorder < 0) throw new ArgumentOutOfRangeException(nameof(VoidBorder), VoidBorder, "must be non-negative");
        foreach (var (a, b, p) in CoOccurrence)
        {
            if (a < 1 || a > Classes || b < 1 || b > Classes || a == b)
                throw new ArgumentException($"co-occurrence pair ({a}, {b}) must name two different classes in [1, {Classes}]", nameof(CoOccurrence));
            if (!(p >= 0 && p <= 1)) throw new ArgumentException($"co-occurrence probability {p} must be in [0, 1]", nameof(CoOccurrence));
        }
    }
}
