using System.Globalization;
using Wsss.Core.Imaging;

namespace Wsss.Core.Data;

/// <summary>
/// A set in PASCAL VOC layout: <c>JPEGImages/ID.jpg</c> (or .png), <c>SegmentationClass/ID.png</c> (palette PNG,
/// 255 void; <c>SegmentationClassAug</c> works too), <c>ImageSets/Segmentation/{split}.txt</c>, <c>cls_labels.txt</c>
/// (<c>ID c1 c2 …</c>, object class ids ≥ 1) and <c>classes.txt</c> (names, background first). Without
/// cls_labels.txt the tags are read off the segmentation maps; without classes.txt the 21 VOC names are used.
/// </summary>
public sealed class VocDataset : IWeakDataset
{
    /// <summary>The PASCAL VOC 2012 class names.</summary>
    public static readonly IReadOnlyList<string> VocClassNames = new[]
    {
        "background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
        "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor",
    };

    private readonly string[] _ids;
    private readonly Dictionary<string, int[]>? _tags;

    /// <summary>Opens <paramref name="root"/> for the ids of <paramref name="split"/>.</summary>
    public VocDataset(string root, string split = "train", string labelFolder = "SegmentationClass")
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"dataset folder '{root}' does not exist");
        Root = root;
        LabelFolder = labelFolder;
        string list = Path.Combine(root, "ImageSets", "Segmentation", split + ".txt");
        if (!File.Exists(list)) throw new FileNotFoundException($"split list '{list}' does not exist", list);
        _ids = File.ReadAllLines(list).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        string classes = Path.Combine(root, "classes.txt");
        ClassNames = File.Exists(classes) ? File.ReadAllLines(classes).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray() : VocClassNames;
        string tags = Path.Combine(root, "cls_labels.txt");
        if (File.Exists(tags))
        {
            _tags = new Dictionary<string, int[]>();
            int lineNo = 0;
            foreach (var line in File.ReadLines(tags))
            {
                lineNo++;
                var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length == 0) continue;
                var ids = new int[parts.Length - 1];
                for (int i = 1; i < parts.Length; i++)
                {
                    if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out ids[i - 1]) || ids[i - 1] < 1 || ids[i - 1] >= ClassNames.Count)
                        throw new InvalidDataException($"{tags}:{lineNo}: '{parts[i]}' is not an object class id in [1, {ClassNames.Count})");
                }
                _tags[parts[0]] = ids.Distinct().Order().ToArray();
            }
        }
    }

    /// <summary>The dataset folder.</summary>
    public string Root { get; }

    /// <summary>Folder of the ground-truth maps.</summary>
    public string LabelFolder { get; }

    /// <inheritdoc />
    public int Count => _ids.Length;

    /// <inheritdoc />
    public IReadOnlyList<string> ClassNames { get; }

    /// <inheritdoc />
    public string Id(int index) => _ids[CheckIndex(index)];

    /// <inheritdoc />
    public ImageBuffer LoadImage(int index)
    {
        string id = Id(index);
        foreach (var ext in new[] { ".jpg", ".jpeg", ".png", ".bmp" })
        {
            string path = Path.Combine(Root, "JPEGImages", id + ext);
            if (File.Exists(path)) return ImageCodecs.Decode(path).ToRgb();
        }
        throw new FileNotFoundException($"no image for '{id}' in {Path.Combine(Root, "JPEGImages")}");
    }

    /// <inheritdoc />
    public LabelMap? LoadLabels(int index)
    {
        string path = Path.Combine(Root, LabelFolder, Id(index) + ".png");
        return File.Exists(path) ? ImageCodecs.DecodeLabels(path) : null;
    }

    /// <inheritdoc />
    public IReadOnlyList<int> Tags(int index)
    {
        string id = Id(index);
        if (_tags is not null)
            return _tags.TryGetValue(id, out var t) ? t : throw new InvalidDataException($"cls_labels.txt has no line for '{id}'");
        var labels = LoadLabels(index) ?? throw new InvalidDataException($"'{id}' has neither a cls_labels.txt line nor a ground-truth map");
        return labels.Labels.Where(v => v != 0 && v != LabelMap.Void).Select(v => (int)v).Distinct().Order().ToArray();
    }

    private int CheckIndex(int index)
    {
        if ((uint)index >= (uint)_ids.Length) throw new ArgumentOutOfRangeException(nameof(index), index, $"the split has {_ids.Length} images");
        return index;
    }

    /// <summary>
    /// Writes synthetic scenes in VOC layout (images as PNG in JPEGImages, since the library has no JPEG encoder; this
    /// reader and most tools accept them). The first <paramref name="trainCount"/> scenes form train.txt, the rest val.txt.
    /// </summary>
    public static void WriteSynthetic(string root, SyntheticScenes scenes, int count, int trainCount, IProgress<int>? progress = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        ArgumentNullException.ThrowIfNull(scenes);
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count, "must be positive");
        if (trainCount < 0 || trainCount > count) throw new ArgumentOutOfRangeException(nameof(trainCount), trainCount, $"must be in [0, {count}]");
        foreach (var d in new[] { "JPEGImages", "SegmentationClass", Path.Combine("ImageSets", "Segmentation") })
            Directory.CreateDirectory(Path.Combine(root, d));
        var ids = Enumerable.Range(0, count).Select(i => $"synth_{i:D6}").ToArray();
        var tagLines = new string[count];
        int done = 0;
        try
        {
            Parallel.For(0, count, i =>
            {
                var scene = scenes.Generate(i);
                Imaging.Png.PngEncoder.Write(Path.Combine(root, "JPEGImages", ids[i] + ".png"), scene.Image);
                Imaging.Png.PngEncoder.WriteLabels(Path.Combine(root, "SegmentationClass", ids[i] + ".png"), scene.Labels);
                tagLines[i] = string.Join(' ', new[] { ids[i] }.Concat(scene.PresentClasses.Select(c => c.ToString(CultureInfo.InvariantCulture))));
                progress?.Report(Interlocked.Increment(ref done));
            });
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
            throw;
        }
        IO.AtomicFile.Write(Path.Combine(root, "cls_labels.txt"), s => WriteLines(s, tagLines));
        IO.AtomicFile.Write(Path.Combine(root, "classes.txt"), s => WriteLines(s, scenes.ClassNames));
        IO.AtomicFile.Write(Path.Combine(root, "ImageSets", "Segmentation", "train.txt"), s => WriteLines(s, ids.Take(trainCount)));
        IO.AtomicFile.Write(Path.Combine(root, "ImageSets", "Segmentation", "val.txt"), s => WriteLines(s, ids.Skip(trainCount)));
    }

    private static void WriteLines(Stream stream, IEnumerable<string> lines)
    {
        using var w = new StreamWriter(stream, new System.Text.UTF8Encoding(false), leaveOpen: true) { NewLine = "\n" };
        foreach (var l in lines) w.WriteLine(l);
    }
}
