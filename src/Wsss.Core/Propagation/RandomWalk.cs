using Wsss.Core.Tensors;

namespace Wsss.Core.Propagation;

/// <summary>IRNet's boundary-guided random walk in one call.</summary>
public static class RandomWalk
{
    /// <summary>
    /// IRNet's <c>propagate_to_edge</c>: builds the graph from the boundary map (all pairs within the radius,
    /// A = (1 − max over the path)^β, unit self loops), masks the scores by (1 − B) and applies T^(2^expTimes).
    /// </summary>
    /// <param name="scores">Score maps of shape (C, h, w) or (C, 1, h, w), finite.</param>
    /// <param name="boundary">Boundary probabilities in [0, 1], shape (h, w) or (1, h, w).</param>
    /// <param name="radius">Search radius r ≥ 2 (5).</param>
    /// <param name="beta">Exponent β ≥ 0 (10).</param>
    /// <param name="expTimes">Squarings of T in the reference, [0, 16] (8, i.e. T^256).</param>
    /// <returns>The propagated maps, same shape as <paramref name="scores"/>.</returns>
    /// <exception cref="ArgumentException">
    /// Mismatched sizes (<c>scores</c>), boundary values NaN or outside [0, 1] (<c>boundary</c>), radius below 2,
    /// β negative, or expTimes outside [0, 16].
    /// </exception>
    public static Tensor PropagateToEdge(Tensor scores, Tensor boundary, int radius = 5, float beta = 10f, int expTimes = 8)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(boundary);
        RandomWalkPropagator.CheckExpTimes(expTimes);
        var bs = boundary.ShapeSpan;
        if (!(bs.Length == 2 || (bs.Length == 3 && bs[0] == 1)))
            ThrowHelper.Argument(nameof(boundary), $"expected a boundary map of shape (h, w) or (1, h, w), got {Tensor.ShapeString(bs)}");
        int h = bs[^2], w = bs[^1];
        var s = scores.ShapeSpan;
        if (!((s.Length == 3 || (s.Length == 4 && s[1] == 1)) && s[^2] == h && s[^1] == w))
            ThrowHelper.Argument(nameof(scores), $"expected scores of shape (C, {h}, {w}) or (C, 1, {h}, {w}) to match the boundary map, got {Tensor.ShapeString(s)}");
        var graph = AffinityGraph.FromBoundary(boundary.Data, h, w, radius, beta);
        var masked = scores.Data.ToArray();
        var b = boundary.Data;
        int n = h * w;
        for (int i = 0; i < masked.Length; i++)
        {
            if (!float.IsFinite(masked[i]))
                ThrowHelper.Argument(nameof(scores), $"expected finite scores, got {masked[i]} at element {i}");
            masked[i] *= 1f - b[i % n];
        }
        var output = Tensor.Zeros(scores.Shape);
        RandomWalkPropagator.Propagate(graph, masked, output.Data, expTimes);
        return output;
    }
}
