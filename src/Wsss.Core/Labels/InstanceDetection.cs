namespace Wsss.Core.Labels;

/// <summary>One detected instance of IRNet's instance pseudo labels.</summary>
/// <param name="Score">Confidence: the maximum of the instance's normalised score map over its pixels, 0 for fragments below the size floor.</param>
/// <param name="ClassId">The class key (as given in the keys, e.g. 0-based object classes).</param>
/// <param name="Mask">Row-major (height, width) mask of the instance.</param>
public sealed record InstanceDetection(float Score, int ClassId, bool[] Mask);
