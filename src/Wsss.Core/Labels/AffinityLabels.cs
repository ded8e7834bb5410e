using Wsss.Core.Propagation;
using Wsss.Core.Tensors;

namespace Wsss.Core.Labels;

/// <summary>Affinity labels from a label map with ignore regions: which pairs should have affinity 1 and which 0.</summary>
public static class AffinityLabels
{
    /// <summary>
    /// IRNet's rule: with valid = both ends &lt; <paramref name="numClasses"/>, bg_pos = same ∧ valid ∧ from = 0,
    /// fg_pos = same ∧ valid ∧ from &gt; 0, neg = different ∧ valid.
    /// </summary>
    /// <param name="labels">Label map, row-major, length H·W of the index's grid (255 or any value ≥ numClasses = ignore).</param>
    /// <param name="index">The pairs, in IRNet's grouped direction order.</param>
    /// <param name="numClasses">Labels below this are valid (21 for VOC).</param>
    /// <returns>Masks of shape (directions, N).</returns>
    /// <remarks>IRNet: <c>voc12/dataloader.GetAffinityLabelFromIndices</c>.</remarks>
    /// <exception cref="ArgumentException">The label map does not match the grid, or numClasses is not positive.</exception>
    public static AffinityLabelSet Irn(ReadOnlySpan<byte> labels, PathIndex index, int numClasses = 21)
    {
        ArgumentNullException.ThrowIfNull(index);
        if (numClasses < 1) ThrowHelper.ArgumentOutOfRange(nameof(numClasses), numClasses, "expected at least one class");
        return Build(labels, index.Height, index.Width, index.GetSourceIndices(), index.GetDestinationIndices(), (f, t) =>
        {
            bool valid = f < numClasses && t < numClasses;
            return (f == t && valid && f == 0, f == t && valid && f > 0, f != t && valid);
        });
    }

    /// <summary>
    /// AffinityNet's rule: with valid = both ends ≠ <paramref name="ignoreIndex"/>, bg_pos = same ∧ from = 0 (no validity test),
    /// fg_pos = same ∧ from ≠ 0 ∧ valid, neg = different ∧ valid; pairs in enumeration order.
    /// </summary>
    /// <param name="labels">Label map, row-major, length <paramref name="height"/>·<paramref name="width"/>.</param>
    /// <param name="height">Map height.</param>
    /// <param name="width">Map width (the reference supports square maps only; any width works here).</param>
    /// <param name="radius">Search radius (5 in AffinityNet).</param>
    /// <param name="ignoreIndex">Labels at or above this are ignored (255).</param>
    /// <returns>Masks of shape (directions, N).</returns>
    /// <remarks>AffinityNet: <c>tool/imutils.ExtractAffinityLabelInRadius</c>.</remarks>
    /// <exception cref="ArgumentException">The label map does not match the size, or the radius is below 2.</exception>
    public static AffinityLabelSet Psa(ReadOnlySpan<byte> labels, int height, int width, int radius = 5, int ignoreIndex = 255)
    {
        var (from, to) = PathIndex.GetEnumerationPairs(radius, height, width);
        return Build(labels, height, width, from, to, (f, t) =>
        {
            bool valid = f < ignoreIndex && t < ignoreIndex;
            return (f == t && f == 0, f == t && f != 0 && valid, f != t && valid);
        });
    }

    private static AffinityLabelSet Build(ReadOnlySpan<byte> labels, int height, int width, int[] from, int[] to,
        Func<int, int, (bool Bg, bool Fg, bool Neg)> rule)
    {
        if (labels.Length != height * width)
            ThrowHelper.Argument(nameof(labels), $"expected a {height}×{width} label map ({height * width} values), got {labels.Length}");
        int n = from.Length, dirs = to.Length / n;
        var bg = Tensor.Zeros(dirs, n);
        var fg = Tensor.Zeros(dirs, n);
        var neg = Tensor.Zeros(dirs, n);
        Span<float> bd = bg.Data, fd = fg.Data, nd = neg.Data;
        for (int d = 0; d < dirs; d++)
            for (int i = 0; i < n; i++)
            {
                int k = d * n + i;
                var (b, f, g) = rule(labels[from[i]], labels[to[k]]);
                bd[k] = b ? 1f : 0f;
                fd[k] = f ? 1f : 0f;
                nd[k] = g ? 1f : 0f;
            }
        return new AffinityLabelSet(bg, fg, neg);
    }
}
