using Wsss.Core.Imaging;

namespace Wsss.Core.Data;

/// <summary>One generated scene: the RGB photo, its exact label map (0 background, 1..K classes, 255 void), and its tags.</summary>
/// <param name="Image">RGB image.</param>
/// <param name="Labels">Label map.</param>
/// <param name="PresentClasses">Object classes in the image, ascending (empty for a negative).</param>
public sealed record SyntheticScene(ImageBuffer Image, LabelMap Labels, IReadOnlyList<int> PresentClasses);
