using Wsss.Core.Tensors;

namespace Wsss.Core.Labels;

/// <summary>The three pair masks that supervise affinities, each float32 of shape (directions, N) holding 0 or 1.</summary>
/// <param name="BackgroundPositive">Both ends background (label 0).</param>
/// <param name="ForegroundPositive">Both ends the same foreground class.</param>
/// <param name="Negative">Ends of different classes.</param>
public sealed record AffinityLabelSet(Tensor BackgroundPositive, Tensor ForegroundPositive, Tensor Negative);
