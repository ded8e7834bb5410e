namespace Wsss.Core.Metrics;

/// <summary>
/// Pixel confusion matrix of semantic segmentation (rows: ground truth, columns: prediction) with the VOC
/// protocol's void label ignored, and the scores derived from it: per-class IoU, mean IoU, pixel accuracy,
/// per-class precision and recall.
/// </summary>
public sealed class ConfusionMatrix
{
    private readonly long[] _counts;

    /// <summary>An empty matrix for <paramref name="numClasses"/> classes.</summary>
    /// <param name="numClasses">Classes, background included (21 for VOC).</param>
    /// <param name="ignoreIndex">Ground-truth value that is not scored (255 = void in VOC).</param>
    public ConfusionMatrix(int numClasses, int ignoreIndex = 255)
    {
        if (numClasses < 1) throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "must be positive");
        NumClasses = numClasses;
        IgnoreIndex = ignoreIndex;
        _counts = new long[numClasses * numClasses];
    }

    /// <summary>Number of classes.</summary>
    public int NumClasses { get; }

    /// <summary>Ignored ground-truth value.</summary>
    public int IgnoreIndex { get; }

    /// <summary>Pixels with ground truth <paramref name="truth"/> predicted as <paramref name="predicted"/>.</summary>
    public long this[int truth, int predicted] => _counts[truth * NumClasses + predicted];

    /// <summary>Scored pixels so far.</summary>
    public long Total => _counts.Sum();

    /// <summary>Adds one image. Pixels whose ground truth is <see cref="IgnoreIndex"/> are skipped; any other value outside [0, NumClasses) throws.</summary>
    public void Add(ReadOnlySpan<int> prediction, ReadOnlySpan<int> groundTruth)
    {
        if (prediction.Length != groundTruth.Length)
            throw new ArgumentException($"prediction has {prediction.Length} pixels, ground truth {groundTruth.Length}", nameof(prediction));
        int n = NumClasses;
        for (int i = 0; i < prediction.Length; i++)
        {
            int g = groundTruth[i];
            if (g == IgnoreIndex) continue;
            int p = prediction[i];
            if ((uint)g >= (uint)n) throw new ArgumentException($"ground-truth label {g} at pixel {i} is outside [0, {n}) and is not the ignore index {IgnoreIndex}", nameof(groundTruth));
            if ((uint)p >= (uint)n) throw new ArgumentException($"predicted label {p} at pixel {i} is outside [0, {n})", nameof(prediction));
            _counts[g * n + p]++;
        }
    }

    /// <summary>Adds one image of byte label maps.</summary>
    public void Add(ReadOnlySpan<byte> prediction, ReadOnlySpan<byte> groundTruth)
    {
        var p = new int[prediction.Length];
        var g = new int[groundTruth.Length];
        for (int i = 0; i < p.Length; i++) p[i] = prediction[i];
        for (int i = 0; i < g.Length; i++) g[i] = groundTruth[i];
        Add(p, g);
    }

    /// <summary>Adds the counts of another matrix of the same size.</summary>
    public void Add(ConfusionMatrix other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.NumClasses != NumClasses) throw new ArgumentException($"matrix has {other.NumClasses} classes, expected {NumClasses}", nameof(other));
        for (int i = 0; i < _counts.Length; i++) _counts[i] += other._counts[i];
    }

    private long TruePositives(int c) => this[c, c];

    private long GroundTruthCount(int c)
    {
        long s = 0;
        for (int p = 0; p < NumClasses; p++) s += this[c, p];
        return s;
    }

    private long PredictedCount(int c)
    {
        long s = 0;
        for (int g = 0; g < NumClasses; g++) s += this[g, c];
        return s;
    }

    /// <summary>IoU = TP / (TP + FP + FN) per class; a class with empty union gets NaN, 1 or 0 by <paramref name="absent"/>.</summary>
    public double[] IoU(AbsentClassPolicy absent = AbsentClassPolicy.Exclude)
    {
        var iou = new double[NumClasses];
        for (int c = 0; c < NumClasses; c++)
        {
            long tp = TruePositives(c), union = GroundTruthCount(c) + PredictedCount(c) - tp;
            iou[c] = union > 0 ? (double)tp / union : absent switch
            {
                AbsentClassPolicy.CountAsOne => 1.0,
                AbsentClassPolicy.CountAsZero => 0.0,
                _ => double.NaN,
            };
        }
        return iou;
    }

    /// <summary>Mean of <see cref="IoU"/> (NaN entries left out under <see cref="AbsentClassPolicy.Exclude"/>; NaN when nothing is left).</summary>
    public double MeanIoU(AbsentClassPolicy absent = AbsentClassPolicy.Exclude) => NanMean(IoU(absent));

    /// <summary>Correct pixels / scored pixels (NaN when empty).</summary>
    public double PixelAccuracy()
    {
        long total = Total, correct = 0;
        for (int c = 0; c < NumClasses; c++) correct += TruePositives(c);
        return total > 0 ? (double)correct / total : double.NaN;
    }

    /// <summary>Per class TP / (TP + FP): how much of what was predicted as the class is right (NaN if never predicted).</summary>
    public double[] Precision()
    {
        var r = new double[NumClasses];
        for (int c = 0; c < NumClasses; c++)
        {
            long pred = PredictedCount(c);
            r[c] = pred > 0 ? (double)TruePositives(c) / pred : double.NaN;
        }
        return r;
    }

    /// <summary>Per class TP / (TP + FN): how much of the class was found (NaN if absent from the ground truth).</summary>
    public double[] Recall()
    {
        var r = new double[NumClasses];
        for (int c = 0; c < NumClasses; c++)
        {
            long gt = GroundTruthCount(c);
            r[c] = gt > 0 ? (double)TruePositives(c) / gt : double.NaN;
        }
        return r;
    }

    /// <summary>Mean over the non-NaN entries (NaN when there are none).</summary>
    public static double NanMean(IEnumerable<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        double sum = 0;
        int n = 0;
        foreach (double v in values)
        {
            if (double.IsNaN(v)) continue;
            sum += v;
            n++;
        }
        return n > 0 ? sum / n : double.NaN;
    }
}
