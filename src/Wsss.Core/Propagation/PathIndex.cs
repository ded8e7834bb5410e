using Wsss.Core.Tensors;

namespace Wsss.Core.Propagation;

/// <summary>
/// The pixel pairs within a radius on an H×W grid, the straight path between the two ends of each pair,
/// and the flat index arrays that gather them — IRNet's pair enumeration.
/// </summary>
/// <remarks>
/// <para>IRNet: <c>misc/indexing.PathIndex</c>. Search directions form a half disk so each unordered pair
/// appears once: (0, x) for x = 1..r−1, then (y, x) for y = 1..r−1, x = −(r−1)..r−1 with x² + y² &lt; r²
/// (<see cref="EnumerationDirections"/>, which is also AffinityNet's pair order). The path of (dy, dx) holds the
/// pixels of its bounding box whose distance to the segment line is below 1, destination first and source last.
/// Directions are grouped by path length (increasing; enumeration order inside a group), and that grouped order
/// (<see cref="Directions"/>) is the direction axis of every per-pair tensor in IRNet.</para>
/// <para>Sources are the pixels of rows [0, H − rf) and columns [rf, W − rf) with rf = r − 1, so every
/// destination lies on the grid. Flat indices are y·W + x.</para>
/// </remarks>
public sealed class PathIndex
{
    private readonly (int Dy, int Dx)[] _directions;
    private readonly (int Dy, int Dx)[][] _paths;
    private readonly PathGroup[] _groups;

    /// <summary>Enumerates the pairs within <paramref name="radius"/> on a <paramref name="height"/>×<paramref name="width"/> grid.</summary>
    /// <param name="radius">Search radius r ≥ 2 (5 at inference, 10 for training in IRNet).</param>
    /// <param name="height">Grid height, at least r − 1 + 1.</param>
    /// <param name="width">Grid width, at least 2(r − 1) + 1.</param>
    /// <exception cref="ArgumentException">The radius is below 2, or the grid has no source pixel.</exception>
    public PathIndex(int radius, int height, int width)
    {
        CheckRadius(radius, nameof(radius));
        int rf = radius - 1;
        if (height - rf < 1)
            ThrowHelper.Argument(nameof(height), $"PathIndex: height must be at least radius ({radius}) for a source row, got {height}");
        if (width - 2 * rf < 1)
            ThrowHelper.Argument(nameof(width), $"PathIndex: width must be at least 2·radius − 1 ({2 * radius - 1}) for a source column, got {width}");
        Radius = radius;
        Height = height;
        Width = width;
        RadiusFloor = rf;
        CroppedHeight = height - rf;
        CroppedWidth = width - 2 * rf;

        var enumeration = EnumerationDirections(radius);
        var paths = enumeration.Select(d => PathOf(d.Dy, d.Dx)).ToArray();
        var lengths = paths.Select(p => p.Length).Distinct().OrderBy(l => l).ToArray();
        var dirs = new List<(int, int)>();
        var orderedPaths = new List<(int, int)[]>();
        _groups = new PathGroup[lengths.Length];
        for (int g = 0; g < lengths.Length; g++)
        {
            int first = dirs.Count;
            for (int k = 0; k < enumeration.Length; k++)
            {
                if (paths[k].Length != lengths[g]) continue;
                dirs.Add(enumeration[k]);
                orderedPaths.Add(paths[k]);
            }
            _groups[g] = new PathGroup(lengths[g], first, dirs.Count - first);
        }
        _directions = dirs.ToArray();
        _paths = orderedPaths.ToArray();
    }

    /// <summary>Search radius r.</summary>
    public int Radius { get; }

    /// <summary>Grid height H.</summary>
    public int Height { get; }

    /// <summary>Grid width W.</summary>
    public int Width { get; }

    /// <summary>rf = r − 1: the largest offset of a direction along either axis.</summary>
    public int RadiusFloor { get; }

    /// <summary>Rows holding sources: H − rf.</summary>
    public int CroppedHeight { get; }

    /// <summary>Columns holding sources: W − 2·rf.</summary>
    public int CroppedWidth { get; }

    /// <summary>Number of sources N = CroppedHeight · CroppedWidth.</summary>
    public int SourceCount => CroppedHeight * CroppedWidth;

    /// <summary>Number of directions (34 for r = 5, 152 for r = 10).</summary>
    public int DirectionCount => _directions.Length;

    /// <summary>Directions (dy, dx) in IRNet's grouped order (<c>search_dst</c>).</summary>
    public IReadOnlyList<(int Dy, int Dx)> Directions => _directions;

    /// <summary>Groups of directions with equal path length, in increasing length.</summary>
    public IReadOnlyList<PathGroup> Groups => _groups;

    /// <summary>The path pixels (y, x) of direction <paramref name="direction"/> (grouped order), destination first, source (0, 0) last.</summary>
    public IReadOnlyList<(int Dy, int Dx)> GetPath(int direction) => _paths[direction];

    /// <summary>Flat indices of the sources (<c>src_indices</c>), length N, raster order.</summary>
    public int[] GetSourceIndices()
    {
        var src = new int[SourceCount];
        int i = 0;
        for (int y = 0; y < CroppedHeight; y++)
            for (int x = 0; x < CroppedWidth; x++)
                src[i++] = y * Width + RadiusFloor + x;
        return src;
    }

    /// <summary>Flat indices of the destinations (<c>dst_indices</c>), shape (directions, N) row-major.</summary>
    public int[] GetDestinationIndices() => GatherIndices(_directions);

    /// <summary>
    /// Flat indices of the path pixels of group <paramref name="group"/> (<c>path_indices[g]</c>),
    /// shape (directions in the group, path length, N) row-major.
    /// </summary>
    public int[] GetPathIndices(int group)
    {
        if ((uint)group >= (uint)_groups.Length)
            ThrowHelper.ArgumentOutOfRange(nameof(group), group, $"PathIndex: expected a group in [0, {_groups.Length})");
        var g = _groups[group];
        var offsets = new List<(int, int)>();
        for (int d = g.FirstDirection; d < g.FirstDirection + g.DirectionCount; d++) offsets.AddRange(_paths[d]);
        return GatherIndices(offsets);
    }

    /// <summary>Directions in enumeration order: AffinityNet's pair order (<c>tool/pyutils.get_indices_of_pairs</c>).</summary>
    /// <param name="radius">Search radius r ≥ 2.</param>
    /// <exception cref="ArgumentException">The radius is below 2.</exception>
    public static (int Dy, int Dx)[] EnumerationDirections(int radius)
    {
        CheckRadius(radius, nameof(radius));
        var dirs = new List<(int, int)>();
        for (int x = 1; x < radius; x++) dirs.Add((0, x));
        for (int y = 1; y < radius; y++)
            for (int x = -radius + 1; x < radius; x++)
                if (x * x + y * y < radius * radius) dirs.Add((y, x));
        return dirs.ToArray();
    }

    /// <summary>
    /// AffinityNet's pair indices (<c>get_indices_of_pairs</c>): the sources (same as <see cref="GetSourceIndices"/>)
    /// and the destinations in enumeration order, shape (directions, N) row-major.
    /// </summary>
    /// <param name="radius">Search radius r ≥ 2.</param>
    /// <param name="height">Grid height.</param>
    /// <param name="width">Grid width.</param>
    /// <exception cref="ArgumentException">The radius is below 2, or the grid has no source pixel.</exception>
    public static (int[] From, int[] To) GetEnumerationPairs(int radius, int height, int width)
    {
        var index = new PathIndex(radius, height, width);
        return (index.GetSourceIndices(), index.GatherIndices(EnumerationDirections(radius)));
    }

    private int[] GatherIndices(IReadOnlyList<(int Dy, int Dx)> offsets)
    {
        int n = SourceCount;
        var result = new int[offsets.Count * n];
        for (int k = 0; k < offsets.Count; k++)
        {
            var (dy, dx) = offsets[k];
            int i = k * n;
            for (int y = 0; y < CroppedHeight; y++)
                for (int x = 0; x < CroppedWidth; x++)
                    result[i++] = (y + dy) * Width + RadiusFloor + dx + x;
        }
        return result;
    }

    internal static (int Dy, int Dx)[] PathOf(int dy, int dx)
    {
        var pixels = new List<(int, int)>();
        int norm = dy * dy + dx * dx;
        for (int y = Math.Min(0, dy); y <= Math.Max(0, dy); y++)
            for (int x = Math.Min(0, dx); x <= Math.Max(0, dx); x++)
            {
                long cross = (long)dy * x - (long)dx * y;
                if (cross * cross < norm) pixels.Add((y, x));
            }
        // Stable sort by −(|y| + |x|): destination first, source last.
        return pixels.Select((p, i) => (p, i)).OrderBy(t => -(Math.Abs(t.p.Item1) + Math.Abs(t.p.Item2))).ThenBy(t => t.i)
            .Select(t => t.p).ToArray();
    }

    internal static void CheckRadius(int radius, string argName)
    {
        if (radius < 2)
            ThrowHelper.ArgumentOutOfRange(argName, radius, $"expected a search radius of at least 2, got {radius}");
    }
}
