namespace Wsss.Core.Labels;

/// <summary>4-connected component labelling (skimage.measure.label with connectivity 1, background 0).</summary>
public static class ConnectedComponents
{
    /// <summary>
    /// Labels the true pixels of a row-major (height, width) mask: components get 1, 2, … in raster order of their
    /// first pixel, background stays 0. Returns the number of components.
    /// </summary>
    public static int Label4(ReadOnlySpan<bool> mask, int height, int width, Span<int> labels)
    {
        if (height < 0 || width < 0) throw new ArgumentOutOfRangeException(nameof(height), $"size {height}x{width} must be non-negative");
        int n = checked(height * width);
        if (mask.Length != n) throw new ArgumentException($"mask has {mask.Length} pixels, expected {height}x{width} = {n}", nameof(mask));
        if (labels.Length != n) throw new ArgumentException($"labels has {labels.Length} entries, expected {n}", nameof(labels));
        labels.Clear();
        int count = 0;
        var stack = new Stack<int>();
        for (int start = 0; start < n; start++)
        {
            if (!mask[start] || labels[start] != 0) continue;
            labels[start] = ++count;
            stack.Push(start);
            while (stack.Count > 0)
            {
                int p = stack.Pop();
                int y = p / width, x = p % width;
                for (int dir = 0; dir < 4; dir++)
                {
                    int q = dir switch
                    {
                        0 => y > 0 ? p - width : -1,
                        1 => y < height - 1 ? p + width : -1,
                        2 => x > 0 ? p - 1 : -1,
                        _ => x < width - 1 ? p + 1 : -1,
                    };
                    if (q >= 0 && mask[q] && labels[q] == 0)
                    {
                        labels[q] = count;
                        stack.Push(q);
                    }
                }
            }
        }
        return count;
    }
}
