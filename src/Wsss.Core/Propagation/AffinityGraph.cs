using System.Runtime.CompilerServices;
using Wsss.Core.Tensors;

namespace Wsss.Core.Propagation;

/// <summary>
/// The sparse affinity graph of one image: A_ij = a_ij^β for the pixel pairs within a radius, A_ii = 1,
/// A symmetric, and the column sums d_j = Σ_i A_ij that normalise the transition matrix T = A·D⁻¹.
/// </summary>
/// <remarks>
/// <para>Storage is a regular stencil, not CSR: for each of the directions (dy, dx) of the half disk, one weight per
/// pixel p holding A(p, p + (dy, dx)) (0 where the pair is absent), on the h×w grid padded by r − 1 on every side
/// and flattened row-major. A product A·y is then, for every direction, two contiguous multiply-adds over a row
/// (y shifted forward with the weights at p, y shifted back with the weights at p − offset): SIMD without gathers.
/// Memory is (h + 2r − 2)(w + 2r − 2) floats per direction (1.8 MB for a 125×94 map at r = 5).
/// <see cref="ToCsr"/> gives the same matrix in CSR form.</para>
/// <para>IRNet (<c>propagate_to_edge</c>): <see cref="FromBoundary"/> — the reference pads the boundary map with 1.0
/// so that every real pixel is a source, then crops the dense matrix to the real pixels; that equals taking every
/// pair of real pixels, since a path never leaves the bounding box of its ends. AffinityNet (<c>infer_aff.py</c>):
/// <see cref="FromPairAffinities"/> with the unpadded source region, so pairs whose source lies in the bottom
/// r − 1 rows or the left/right r − 1 columns are absent.</para>
/// </remarks>
public sealed class AffinityGraph
{
    internal readonly int Halo;       // r − 1
    internal readonly int PaddedWidth;
    internal readonly int PaddedHeight;
    internal readonly int Slack;      // extra floats before and after the padded grid
    internal readonly int Stride;     // floats per plane = PaddedHeight·PaddedWidth + 2·Slack
    internal readonly int[] Offsets;  // flat offset of each direction on the padded grid
    internal readonly float[] Weights; // Offsets.Length planes of Stride floats
    internal readonly float[] InverseDegree; // one plane: 1/d at real pixels, 0 elsewhere
    private readonly (int Dy, int Dx)[] _directions;

    private AffinityGraph(int height, int width, int radius)
    {
        Height = height;
        Width = width;
        Radius = radius;
        Halo = radius - 1;
        PaddedWidth = width + 2 * Halo;
        PaddedHeight = height + 2 * Halo;
        Slack = Halo + 8;
        Stride = PaddedHeight * PaddedWidth + 2 * Slack;
        _directions = PathIndex.EnumerationDirections(radius);
        Offsets = _directions.Select(d => d.Dy * PaddedWidth + d.Dx).ToArray();
        Weights = new float[Offsets.Length * Stride];
        InverseDegree = new float[Stride];
    }

    /// <summary>Map height h.</summary>
    public int Height { get; }

    /// <summary>Map width w.</summary>
    public int Width { get; }

    /// <summary>Number of nodes h·w.</summary>
    public int NodeCount => Height * Width;

    /// <summary>Search radius r.</summary>
    public int Radius { get; }

    /// <summary>The stencil directions (dy, dx), in enumeration order.</summary>
    public IReadOnlyList<(int Dy, int Dx)> Directions => _directions;

    /// <summary>
    /// IRNet's graph from a boundary map: every pair of pixels within the radius, A = (1 − max over the path of B)^β.
    /// </summary>
    /// <param name="boundary">Boundary probabilities in [0, 1], row-major h·w.</param>
    /// <param name="height">Map height h ≥ 1.</param>
    /// <param name="width">Map width w ≥ 1.</param>
    /// <param name="radius">Search radius r ≥ 2 (5 in IRNet).</param>
    /// <param name="beta">Exponent β ≥ 0 (10 in IRNet).</param>
    /// <exception cref="ArgumentException">
    /// A size is not positive, the boundary length differs from h·w or holds NaN or values outside [0, 1]
    /// (<c>boundary</c>), the radius is below 2, or β is negative or not finite.
    /// </exception>
    public static AffinityGraph FromBoundary(ReadOnlySpan<float> boundary, int height, int width, int radius = 5, float beta = 10f)
    {
        CheckSize(height, width);
        PathIndex.CheckRadius(radius, nameof(radius));
        CheckBeta(beta);
        if (boundary.Length != height * width)
            ThrowHelper.Argument(nameof(boundary), $"expected a {height}×{width} boundary map ({height * width} values), got {boundary.Length}");
        Affinity.CheckUnitInterval(boundary, nameof(boundary));

        var g = new AffinityGraph(height, width, radius);
        var b = boundary.ToArray();
        var dirs = g._directions;
        var paths = dirs.Select(d => PathIndex.PathOf(d.Dy, d.Dx).Select(p => p.Dy * width + p.Dx).ToArray()).ToArray();
        Parallelism.For(dirs.Length, (long)height * width * 8, k => g.FillFromBoundary(k, paths[k], b, beta));
        g.ComputeDegrees();
        return g;
    }

    /// <summary>
    /// A graph from per-pair affinities over the sources of rows [0, h − r + 1) and columns [r − 1, w − r + 1)
    /// (the unpadded source region of <see cref="PathIndex"/>), A = a^β; pairs with other sources are absent.
    /// </summary>
    /// <param name="affinities">Affinities ≥ 0, shape (directions, N) row-major, N = (h − r + 1)(w − 2r + 2).</param>
    /// <param name="height">Map height h ≥ r.</param>
    /// <param name="width">Map width w ≥ 2r − 1.</param>
    /// <param name="radius">Search radius r ≥ 2.</param>
    /// <param name="directions">The direction of each row of <paramref name="affinities"/>: distinct members of the radius-r half disk
    /// (<see cref="PathIndex.EnumerationDirections"/> for AffinityNet, <see cref="PathIndex.Directions"/> for IRNet's grouped order).</param>
    /// <param name="beta">Exponent β ≥ 0 (8 in AffinityNet).</param>
    /// <remarks>AffinityNet: <c>infer_aff.py</c> (<c>aff_mat ** beta</c> of the dense matrix built from the sparse affinities).</remarks>
    /// <exception cref="ArgumentException">
    /// The affinity count does not match, a value is NaN, negative or infinite (<c>affinities</c>), a direction is repeated or outside the
    /// half disk (<c>directions</c>), the grid has no source, the radius is below 2, or β is negative or not finite.
    /// </exception>
    public static AffinityGraph FromPairAffinities(ReadOnlySpan<float> affinities, int height, int width, int radius,
        IReadOnlyList<(int Dy, int Dx)> directions, float beta)
    {
        ArgumentNullException.ThrowIfNull(directions);
        var index = new PathIndex(radius, height, width); // checks the radius and that the grid has sources
        CheckBeta(beta);
        var g = new AffinityGraph(height, width, radius);
        var plane = new Dictionary<(int, int), int>();
        for (int k = 0; k < g._directions.Length; k++) plane[g._directions[k]] = k;
        var used = new HashSet<(int, int)>();
        foreach (var d in directions)
            if (!plane.ContainsKey(d) || !used.Add(d))
                ThrowHelper.Argument(nameof(directions), $"direction ({d.Dy}, {d.Dx}) is repeated or outside the radius-{radius} half disk");
        int n = index.SourceCount, rf = index.RadiusFloor;
        if (affinities.Length != directions.Count * n)
            ThrowHelper.Argument(nameof(affinities), $"expected {directions.Count}×{n} affinities, got {affinities.Length}");
        for (int i = 0; i < affinities.Length; i++)
            if (!(affinities[i] >= 0f && affinities[i] < float.PositiveInfinity))
                ThrowHelper.Argument(nameof(affinities), $"expected finite non-negative affinities, got {affinities[i]} at element {i}");
        for (int d = 0; d < directions.Count; d++)
        {
            var w = g.Weights.AsSpan(plane[directions[d]] * g.Stride, g.Stride);
            for (int y = 0; y < index.CroppedHeight; y++)
                for (int x = 0; x < index.CroppedWidth; x++)
                    w[g.Index(y, x + rf)] = Power(affinities[d * n + y * index.CroppedWidth + x], beta);
        }
        g.ComputeDegrees();
        return g;
    }

    /// <summary>The column sums d_j = Σ_i A_ij (self loop included), row-major h·w.</summary>
    public float[] GetDegrees()
    {
        var d = new float[NodeCount];
        for (int y = 0; y < Height; y++)
            for (int x = 0; x < Width; x++)
                d[y * Width + x] = 1f / InverseDegree[Index(y, x)];
        return d;
    }

    /// <summary>
    /// The matrix in CSR form: A (β-powered affinities, unit diagonal) or, when <paramref name="normalized"/>,
    /// the transition matrix T = A·D⁻¹ whose columns sum to 1. Rows and columns are pixels y·w + x.
    /// </summary>
    /// <param name="normalized">Divide each column by its sum.</param>
    public SparseMatrix ToCsr(bool normalized = false)
    {
        int n = NodeCount;
        var rowPointers = new int[n + 1];
        var cols = new List<int>(n * (2 * Offsets.Length + 1));
        var vals = new List<float>(cols.Capacity);
        var row = new List<(int Col, float Val)>();
        for (int y = 0; y < Height; y++)
            for (int x = 0; x < Width; x++)
            {
                row.Clear();
                int p = Index(y, x);
                row.Add((y * Width + x, 1f));
                for (int k = 0; k < Offsets.Length; k++)
                {
                    var (dy, dx) = _directions[k];
                    float fw = Weights[k * Stride + p];
                    if (fw != 0f) row.Add(((y + dy) * Width + x + dx, fw));
                    float bw = Weights[k * Stride + p - Offsets[k]];
                    if (bw != 0f) row.Add(((y - dy) * Width + x - dx, bw));
                }
                row.Sort((a, b) => a.Col.CompareTo(b.Col));
                foreach (var (c, v) in row)
                {
                    cols.Add(c);
                    vals.Add(normalized ? v * InverseDegree[Index(c / Width, c % Width)] : v);
                }
                rowPointers[y * Width + x + 1] = cols.Count;
            }
        return new SparseMatrix(n, n, rowPointers, cols.ToArray(), vals.ToArray());
    }

    /// <summary>Position of real pixel (y, x) in a padded plane.</summary>
    internal int Index(int y, int x) => Slack + (y + Halo) * PaddedWidth + x + Halo;

    /// <summary>Start of the real rows (full padded width) in a plane, and their length.</summary>
    internal (int Start, int Length) ActiveRange => (Slack + Halo * PaddedWidth, Height * PaddedWidth);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void FillFromBoundary(int k, int[] path, float[] b, float beta)
    {
        int height = Height, width = Width;
        var (dy, dx) = _directions[k];
        var w = Weights.AsSpan(k * Stride, Stride);
        int x0 = Math.Max(0, -dx), x1 = Math.Min(width, width - dx);
        for (int y = 0; y + dy < height; y++)
        {
            int row = Index(y, 0);
            for (int x = x0; x < x1; x++)
            {
                int p0 = y * width + x;
                float max = b[p0 + path[0]];
                for (int i = 1; i < path.Length; i++) max = MathF.Max(max, b[p0 + path[i]]);
                w[row + x] = Power(1f - max, beta);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ComputeDegrees()
    {
        for (int y = 0; y < Height; y++)
            for (int x = 0; x < Width; x++)
            {
                int p = Index(y, x);
                double sum = 1.0;
                for (int k = 0; k < Offsets.Length; k++)
                    sum += Weights[k * Stride + p] + (double)Weights[k * Stride + p - Offsets[k]];
                InverseDegree[p] = (float)(1.0 / sum);
            }
    }

    private static float Power(float a, float beta)
    {
        if (beta == 1f) return a;
        if (beta != MathF.Floor(beta) || beta > 64f) return MathF.Pow(a, beta);
        // Integer β (the references' 8 and 10): square-and-multiply, several times faster than Pow.
        float result = 1f, b = a;
        for (int e = (int)beta; e > 0; e >>= 1)
        {
            if ((e & 1) != 0) result *= b;
            b *= b;
        }
        return result;
    }

    private static void CheckSize(int height, int width)
    {
        if (height < 1) ThrowHelper.ArgumentOutOfRange(nameof(height), height, "expected a positive map height");
        if (width < 1) ThrowHelper.ArgumentOutOfRange(nameof(width), width, "expected a positive map width");
    }

    private static void CheckBeta(float beta)
    {
        if (!(beta >= 0f && beta < float.PositiveInfinity))
            ThrowHelper.ArgumentOutOfRange(nameof(beta), beta, "expected a finite non-negative beta");
    }
}
