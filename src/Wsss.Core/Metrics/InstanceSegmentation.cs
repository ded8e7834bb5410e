namespace Wsss.Core.Metrics;

/// <summary>One image's instances: row-major (height, width) masks with a class each (and a score for predictions).</summary>
/// <param name="Masks">Instance masks, each of Height·Width pixels.</param>
/// <param name="Labels">Class of each instance.</param>
/// <param name="Scores">Confidence of each predicted instance (null for ground truth).</param>
/// <param name="Difficult">Ground-truth instances to ignore (matched predictions neither count nor penalise), or null.</param>
public sealed record InstanceSegmentation(IReadOnlyList<bool[]> Masks, IReadOnlyList<int> Labels, IReadOnlyList<float>? Scores = null, IReadOnlyList<bool>? Difficult = null);
