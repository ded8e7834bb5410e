namespace Wsss.Core.Propagation;

/// <summary>Directions of <see cref="PathIndex"/> sharing one path length (IRNet's <c>search_paths[g]</c>).</summary>
/// <param name="PathLength">Pixels per path, source and destination included.</param>
/// <param name="FirstDirection">Index of the group's first direction in <see cref="PathIndex.Directions"/>.</param>
/// <param name="DirectionCount">Directions in the group.</param>
public readonly record struct PathGroup(int PathLength, int FirstDirection, int DirectionCount);
