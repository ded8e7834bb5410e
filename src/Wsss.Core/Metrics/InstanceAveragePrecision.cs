namespace Wsss.Core.Metrics;

/// <summary>
/// Instance-segmentation average precision (AP^r) as the VOC instance protocol is computed by chainercv's
/// <c>eval_instance_segmentation_voc</c>: per class, predictions sorted by score are matched greedily to the
/// ground-truth instance of highest mask IoU; a match at IoU ≥ threshold is a true positive unless that ground
/// truth was already taken (false positive) or is difficult (ignored); AP is the area under the precision envelope
/// (or the VOC07 11-point average). mAP is the mean over classes that have ground truth or predictions, NaN-mean.
/// </summary>
public static class InstanceAveragePrecision
{
    /// <summary>Per-class AP (index = class; NaN where a class has no ground truth) and their NaN-mean.</summary>
    public static (double[] PerClass, double Mean) Evaluate(IReadOnlyList<InstanceSegmentation> predictions, IReadOnlyList<InstanceSegmentation> groundTruths,
        double iouThreshold = 0.5, bool use07Metric = false)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(groundTruths);
        if (predictions.Count != groundTruths.Count)
            throw new ArgumentException($"{predictions.Count} predicted images but {groundTruths.Count} ground-truth images", nameof(predictions));
        if (!(iouThreshold > 0 && iouThreshold <= 1)) throw new ArgumentOutOfRangeException(nameof(iouThreshold), iouThreshold, "must be in (0, 1]");
        var nPos = new Dictionary<int, int>();
        var scores = new Dictionary<int, List<float>>();
        var matches = new Dictionary<int, List<int>>();
        for (int img = 0; img < predictions.Count; img++)
        {
            var pred = predictions[img];
            var gt = groundTruths[img];
            Validate(pred, nameof(predictions), img, needScores: true);
            Validate(gt, nameof(groundTruths), img, needScores: false);
            foreach (int l in pred.Labels.Concat(gt.Labels).Distinct())
            {
                // chainercv sorts with argsort()[::-1]: descending score, ties in reverse input order.
                var predIdx = Enumerable.Range(0, pred.Labels.Count).Where(i => pred.Labels[i] == l)
                    .OrderByDescending(i => pred.Scores![i]).ThenByDescending(i => i).ToList();
                var gtIdx = Enumerable.Range(0, gt.Labels.Count).Where(i => gt.Labels[i] == l).ToList();
                bool Difficult(int g) => gt.Difficult is not null && gt.Difficult[g];
                nPos[l] = nPos.GetValueOrDefault(l) + gtIdx.Count(g => !Difficult(g));
                var sl = scores.TryGetValue(l, out var s0) ? s0 : scores[l] = new List<float>();
                var ml = matches.TryGetValue(l, out var m0) ? m0 : matches[l] = new List<int>();
                foreach (int p in predIdx) sl.Add(pred.Scores![p]);
                if (predIdx.Count == 0) continue;
                if (gtIdx.Count == 0)
                {
                    foreach (int _ in predIdx) ml.Add(0);
                    continue;
                }
                var taken = new bool[gtIdx.Count];
                foreach (int p in predIdx)
                {
                    int best = -1;
                    double bestIou = -1;
                    for (int k = 0; k < gtIdx.Count; k++)
                    {
                        double iou = MaskIoU(pred.Masks[p], gt.Masks[gtIdx[k]]);
                        if (iou > bestIou) { bestIou = iou; best = k; }
                    }
                    if (bestIou < iouThreshold) { ml.Add(0); continue; }
                    if (Difficult(gtIdx[best])) ml.Add(-1);
                    else ml.Add(taken[best] ? 0 : 1);
                    taken[best] = true;
                }
            }
        }
        int numClasses = nPos.Keys.Concat(scores.Keys).DefaultIfEmpty(-1).Max() + 1;
        var ap = new double[numClasses];
        for (int l = 0; l < numClasses; l++)
        {
            if (!nPos.TryGetValue(l, out int pos) || pos == 0) { ap[l] = double.NaN; continue; }
            var sl = scores[l];
            var ml = matches[l];
            var order = Enumerable.Range(0, sl.Count).OrderByDescending(i => sl[i]).ThenByDescending(i => i).ToArray();
            int tp = 0, fp = 0;
            var prec = new List<double>();
            var rec = new List<double>();
            foreach (int i in order)
            {
                if (ml[i] == 1) tp++;
                else if (ml[i] == 0) fp++;
                prec.Add(tp + fp > 0 ? (double)tp / (tp + fp) : double.NaN);
                rec.Add((double)tp / pos);
            }
            ap[l] = use07Metric ? Ap07(prec, rec) : ApArea(prec, rec);
        }
        return (ap, ConfusionMatrix.NanMean(ap));
    }

    /// <summary>|a ∧ b| / |a ∨ b| (0 when both are empty).</summary>
    public static double MaskIoU(ReadOnlySpan<bool> a, ReadOnlySpan<bool> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"masks of {a.Length} and {b.Length} pixels", nameof(b));
        long inter = 0, union = 0;
        for (int i = 0; i < a.Length; i++)
        {
            if (a[i] && b[i]) inter++;
            if (a[i] || b[i]) union++;
        }
        return union > 0 ? (double)inter / union : 0;
    }

    private static double ApArea(List<double> prec, List<double> rec)
    {
        // Precision envelope over [0, 1] recall (VOC2010+): NaN precision (no detection yet) counts as 0, as numpy's maximum.accumulate of nan_to_num.
        int n = prec.Count;
        var mpre = new double[n + 2];
        var mrec = new double[n + 2];
        mrec[n + 1] = 1;
        for (int i = 0; i < n; i++)
        {
            mpre[i + 1] = double.IsNaN(prec[i]) ? 0 : prec[i];
            mrec[i + 1] = rec[i];
        }
        for (int i = mpre.Length - 2; i >= 0; i--) mpre[i] = Math.Max(mpre[i], mpre[i + 1]);
        double ap = 0;
        for (int i = 0; i < mrec.Length - 1; i++)
            if (mrec[i + 1] != mrec[i]) ap += (mrec[i + 1] - mrec[i]) * mpre[i + 1];
        return ap;
    }

    private static double Ap07(List<double> prec, List<double> rec)
    {
        double ap = 0;
        for (int k = 0; k <= 10; k++)
        {
            double t = k / 10.0, p = 0;
            for (int i = 0; i < rec.Count; i++)
                if (rec[i] >= t && !double.IsNaN(prec[i])) p = Math.Max(p, prec[i]);
            ap += p / 11;
        }
        return ap;
    }

    private static void Validate(InstanceSegmentation s, string argName, int image, bool needScores)
    {
        ArgumentNullException.ThrowIfNull(s, argName);
        if (s.Masks.Count != s.Labels.Count)
            throw new ArgumentException($"image {image}: {s.Masks.Count} masks but {s.Labels.Count} labels", argName);
        if (needScores && (s.Scores is null || s.Scores.Count != s.Labels.Count))
            throw new ArgumentException($"image {image}: predictions need one score per instance", argName);
        if (s.Difficult is not null && s.Difficult.Count != s.Labels.Count)
            throw new ArgumentException($"image {image}: {s.Difficult.Count} difficult flags for {s.Labels.Count} instances", argName);
        if (s.Labels.Any(l => l < 0)) throw new ArgumentException($"image {image}: negative class label", argName);
    }
}
