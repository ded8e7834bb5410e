using Wsss.Core.Imaging;

namespace Wsss.Core.Data;

/// <summary>A weakly labelled image set: images with image-level tags, and ground-truth maps for evaluation where present.</summary>
public interface IWeakDataset
{
    /// <summary>Number of images.</summary>
    int Count { get; }

    /// <summary>Class names, background first.</summary>
    IReadOnlyList<string> ClassNames { get; }

    /// <summary>Identifier of image <paramref name="index"/>.</summary>
    string Id(int index);

    /// <summary>The RGB image.</summary>
    ImageBuffer LoadImage(int index);

    /// <summary>Object classes present (1-based class ids; empty for a negative).</summary>
    IReadOnlyList<int> Tags(int index);

    /// <summary>Ground truth for evaluation, or null when the set has none for this image.</summary>
    LabelMap? LoadLabels(int index);
}
