using Wsss.Core.Imaging;

namespace Wsss.Core.Data;

/// <summary>
/// Folder-per-class images (ImageNet style, as the reconstruction paper's dog / not-dog set): every sub-folder of the root
/// is a class (sorted by name, ids 1, 2, …); images in the folder named <see cref="NegativeFolder"/>, if any, carry no tag.
/// No ground-truth maps.
/// </summary>
public sealed class FolderDataset : IWeakDataset
{
    private static readonly string[] Extensions = { ".jpg", ".jpeg", ".png", ".bmp" };
    private readonly List<(string Path, int Class)> _items = new();

    /// <summary>Indexes <paramref name="root"/>.</summary>
    public FolderDataset(string root, string? negativeFolder = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"dataset folder '{root}' does not exist");
        NegativeFolder = negativeFolder;
        var folders = Directory.GetDirectories(root).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        var classes = folders.Where(f => f != negativeFolder).ToList();
        ClassNames = new[] { "background" }.Concat(classes!).ToArray()!;
        foreach (var folder in folders)
        {
            int cls = folder == negativeFolder ? 0 : classes.IndexOf(folder) + 1;
            foreach (var file in Directory.GetFiles(Path.Combine(root, folder!)).Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant())).Order(StringComparer.Ordinal))
                _items.Add((file, cls));
        }
        if (_items.Count == 0) throw new InvalidDataException($"no images under '{root}'");
    }

    /// <summary>Folder of images without objects, if any.</summary>
    public string? NegativeFolder { get; }

    /// <inheritdoc />
    public int Count => _items.Count;

    /// <inheritdoc />
    public IReadOnlyList<string> ClassNames { get; }

    /// <inheritdoc />
    public string Id(int index) => Path.GetFileNameWithoutExtension(Item(index).Path);

    /// <inheritdoc />
    public ImageBuffer LoadImage(int index) => ImageCodecs.Decode(Item(index).Path).ToRgb();

    /// <inheritdoc />
    public IReadOnlyList<int> Tags(int index) => Item(index).Class == 0 ? Array.Empty<int>() : new[] { Item(index).Class };

    /// <inheritdoc />
    public LabelMap? LoadLabels(int index)
    {
        Item(index);
        return null;
    }

    private (string Path, int Class) Item(int index)
    {
        if ((uint)index >= (uint)_items.Count) throw new ArgumentOutOfRangeException(nameof(index), index, $"the set has {_items.Count} images");
        return _items[index];
    }
}
