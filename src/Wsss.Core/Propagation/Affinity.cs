using Wsss.Core.Tensors;

namespace Wsss.Core.Propagation;

/// <summary>Pixel-pair affinities: from a class-boundary map (IRNet) or from feature embeddings (AffinityNet).</summary>
public static class Affinity
{
    /// <summary>
    /// IRNet's affinity from a boundary map: a_ij = 1 − max_{k ∈ Π_ij} B_k over the path of every pair (eq. 7),
    /// differentiable (the gradient of the max goes to the first maximal path pixel, as max-pooling's).
    /// </summary>
    /// <param name="boundary">Boundary probabilities in [0, 1], shape (B, 1, H, W) or (B, H, W) with H × W = the index's grid.</param>
    /// <param name="index">The pairs and their paths.</param>
    /// <returns>Shape (B, directions, N) in the index's grouped direction order.</returns>
    /// <remarks>IRNet: <c>AffinityDisplacementLoss.to_affinity</c> / <c>misc/indexing.edge_to_affinity</c>.</remarks>
    /// <exception cref="ArgumentException">A shape does not match the index, or a value is NaN or outside [0, 1] (<c>boundary</c>).</exception>
    public static Tensor FromBoundary(Tensor boundary, PathIndex index)
    {
        ArgumentNullException.ThrowIfNull(boundary);
        ArgumentNullException.ThrowIfNull(index);
        int b = CheckBoundaryShape(boundary, index.Height, index.Width, nameof(boundary));
        CheckUnitInterval(boundary.Data, nameof(boundary));
        int hw = index.Height * index.Width, n = index.SourceCount, dirs = index.DirectionCount;
        var offsets = FlatPathOffsets(index);
        var output = Tensor.Zeros(b, dirs, n);
        var argmax = new int[b * dirs * n];
        var src = index.GetSourceIndices();
        var bd = boundary.Data.ToArray();
        var od = output.Data;
        for (int s = 0; s < b; s++)
            for (int d = 0; d < dirs; d++)
            {
                var path = offsets[d];
                int baseOut = (s * dirs + d) * n;
                for (int i = 0; i < n; i++)
                {
                    int p0 = s * hw + src[i];
                    int best = p0 + path[0];
                    float max = bd[best];
                    for (int k = 1; k < path.Length; k++)
                    {
                        int p = p0 + path[k];
                        if (bd[p] > max) { max = bd[p]; best = p; }
                    }
                    od[baseOut + i] = 1f - max;
                    argmax[baseOut + i] = best;
                }
            }
        var shape = boundary.Shape;
        return Autograd.Record("AffinityFromBoundary", output, [boundary], g =>
        {
            var grad = Tensor.Zeros(shape);
            var gd = grad.Data;
            var go = g.Data;
            for (int i = 0; i < argmax.Length; i++) gd[argmax[i]] -= go[i];
            return [grad];
        });
    }

    /// <summary>
    /// IRNet's pair displacement (<c>to_pair_displacement</c>): for every direction (dy, dx) of <paramref name="index"/>
    /// and every source pixel, δ = D(source) − D(source + (dy, dx)), with sources at rows [0, H − rf) and columns
    /// [rf, W − rf). The displacement loss compares δ with (dy, dx) for foreground pairs and with 0 for background pairs.
    /// Differentiable through the engine.
    /// </summary>
    /// <param name="displacement">(B, 2, H, W) displacement field (Dy, Dx) on the map <paramref name="index"/> was made for.</param>
    /// <param name="index">The pair enumeration.</param>
    /// <returns>(B, 2, directions, N), N = CroppedHeight · CroppedWidth.</returns>
    public static Tensor PairDisplacement(Tensor displacement, PathIndex index)
    {
        ArgumentNullException.ThrowIfNull(displacement);
        ArgumentNullException.ThrowIfNull(index);
        if (displacement.Rank != 4 || displacement.Size(1) != 2 || displacement.Size(2) != index.Height || displacement.Size(3) != index.Width)
            throw new ArgumentException($"displacement must be (B, 2, {index.Height}, {index.Width}), got {Tensor.ShapeString(displacement.ShapeSpan)}", nameof(displacement));
        int b = displacement.Size(0), rf = index.RadiusFloor, ch = index.CroppedHeight, cw = index.CroppedWidth;
        var source = displacement.Narrow(2, 0, ch).Narrow(3, rf, cw);
        var pairs = new Tensor[index.DirectionCount];
        for (int d = 0; d < pairs.Length; d++)
        {
            var (dy, dx) = index.Directions[d];
            pairs[d] = source - displacement.Narrow(2, dy, ch).Narrow(3, rf + dx, cw);
        }
        return Tensor.Stack(pairs, 2).Reshape(b, 2, pairs.Length, ch * cw);
    }

    /// <summary>
    /// AffinityNet's affinity from feature embeddings: w_ij = exp(−mean_c |f_i − f_j|), differentiable.
    /// </summary>
    /// <param name="features">Shape (B, C, H, W).</param>
    /// <param name="from">Flat source indices (length N) into the H×W grid.</param>
    /// <param name="to">Flat destination indices, shape (directions, N) row-major (e.g. <see cref="PathIndex.GetEnumerationPairs"/>).</param>
    /// <returns>Shape (B, directions, N).</returns>
    /// <remarks>AffinityNet: <c>network/resnet38_aff.Net.forward</c> (the mean over channels, not the paper's L1 norm).</remarks>
    /// <exception cref="ArgumentException">The features are not 4-D, the index lengths disagree, or an index is outside the grid.</exception>
    public static Tensor FromFeatures(Tensor features, int[] from, int[] to)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        if (features.Rank != 4)
            ThrowHelper.Argument(nameof(features), $"Affinity.FromFeatures: expected (B, C, H, W), got {Tensor.ShapeString(features.ShapeSpan)}");
        int b = features.Size(0), c = features.Size(1), hw = features.Size(2) * features.Size(3), n = from.Length;
        if (n == 0 || to.Length % n != 0)
            ThrowHelper.Argument(nameof(to), $"Affinity.FromFeatures: expected a multiple of the {n} sources, got {to.Length} destinations");
        foreach (int i in from) if ((uint)i >= (uint)hw) ThrowHelper.Argument(nameof(from), $"Affinity.FromFeatures: index {i} is outside the {hw}-pixel grid");
        foreach (int i in to) if ((uint)i >= (uint)hw) ThrowHelper.Argument(nameof(to), $"Affinity.FromFeatures: index {i} is outside the {hw}-pixel grid");
        int dirs = to.Length / n;
        var f = features.Data.ToArray();
        var output = Tensor.Zeros(b, dirs, n);
        float invC = 1f / c;
        Parallelism.For(b * dirs, (long)n * c, bd =>
        {
            int s = bd / dirs, d = bd % dirs;
            var od = output.Data;
            int fb = s * c * hw;
            for (int i = 0; i < n; i++)
            {
                int pi = from[i], pj = to[d * n + i];
                float sum = 0f;
                for (int ch = 0; ch < c; ch++) sum += MathF.Abs(f[fb + ch * hw + pi] - f[fb + ch * hw + pj]);
                od[bd * n + i] = MathF.Exp(-sum * invC);
            }
        });
        var shape = features.Shape;
        return Autograd.Record("AffinityFromFeatures", output, [features], g =>
        {
            var grad = Tensor.Zeros(shape);
            var gd = grad.Data;
            var go = g.Data;
            var od = output.Data;
            for (int s = 0; s < b; s++)
                for (int d = 0; d < dirs; d++)
                    for (int i = 0; i < n; i++)
                    {
                        int o = (s * dirs + d) * n + i;
                        float coef = -go[o] * od[o] * invC;
                        if (coef == 0f) continue;
                        int pi = s * c * hw + from[i], pj = s * c * hw + to[d * n + i];
                        for (int ch = 0; ch < c; ch++)
                        {
                            float diff = f[pi + ch * hw] - f[pj + ch * hw];
                            float sg = diff > 0 ? coef : diff < 0 ? -coef : 0f;
                            gd[pi + ch * hw] += sg;
                            gd[pj + ch * hw] -= sg;
                        }
                    }
            return [grad];
        });
    }

    /// <summary>Per direction (grouped order), the flat offsets of the path pixels relative to the source.</summary>
    internal static int[][] FlatPathOffsets(PathIndex index)
    {
        var result = new int[index.DirectionCount][];
        for (int d = 0; d < result.Length; d++)
            result[d] = index.GetPath(d).Select(p => p.Dy * index.Width + p.Dx).ToArray();
        return result;
    }

    internal static int CheckBoundaryShape(Tensor boundary, int height, int width, string argName)
    {
        var s = boundary.ShapeSpan;
        bool ok = (s.Length == 4 && s[1] == 1 && s[2] == height && s[3] == width) || (s.Length == 3 && s[1] == height && s[2] == width);
        if (!ok)
            ThrowHelper.Argument(argName, $"expected a boundary map of shape (B, 1, {height}, {width}) or (B, {height}, {width}), got {Tensor.ShapeString(s)}");
        return s[0];
    }

    internal static void CheckUnitInterval(ReadOnlySpan<float> values, string argName)
    {
        for (int i = 0; i < values.Length; i++)
        {
            float v = values[i];
            if (!(v >= 0f && v <= 1f))
                ThrowHelper.Argument(argName, $"expected boundary values in [0, 1], got {v} at element {i}");
        }
    }
}
