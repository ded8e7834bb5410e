using Wsss.Core.Imaging;

namespace Wsss.Core.Data;

/// <summary>One generated scene: the RGB photo, its exact label map (0 background, 1..K classes, 255 void), and its tags.</summary>
/// <param name="Image">RGB image.</param>
/// <param name="Labels">One-channel label map.</param>
/// <param name="PresentClasses">Object classes in the image, ascending (empty for a negative).</param>
public sealed record SyntheticScene(ImageBuffer Image, ImageBuffer Labels, IReadOnlyList<int> PresentClasses);
