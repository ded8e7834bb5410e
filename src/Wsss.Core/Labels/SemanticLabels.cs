using Wsss.Core.Nn;
using Wsss.Core.Propagation;
using Wsss.Core.Tensors;

namespace Wsss.Core.Labels;

/// <summary>Semantic pseudo labels from CAMs by a random walk: IRNet's and AffinityNet's heads.</summary>
public static class SemanticLabels
{
    /// <summary>
    /// IRNet's head after the walk: ×4 bilinear upsampling (half-pixel centres), crop to the image size, division by the global
    /// maximum over all channels (skipped when that maximum is not positive).
    /// </summary>
    /// <param name="walked">Propagated maps on the stride-4 grid, shape (C, h, w).</param>
    /// <param name="height">Image height H ≤ 4h.</param>
    /// <param name="width">Image width W ≤ 4w.</param>
    /// <returns>Shape (C, H, W).</returns>
    /// <exception cref="ArgumentException">The maps are not 3-D, or the image is larger than 4h × 4w or empty.</exception>
    public static Tensor UpsampleAndNormalize(Tensor walked, int height, int width)
    {
        CamUtils.Check3D(walked, nameof(walked));
        int c = walked.Size(0), h = walked.Size(1), w = walked.Size(2);
        if (height < 1 || height > 4 * h) ThrowHelper.ArgumentOutOfRange(nameof(height), height, $"expected an image height in [1, {4 * h}]");
        if (width < 1 || width > 4 * w) ThrowHelper.ArgumentOutOfRange(nameof(width), width, $"expected an image width in [1, {4 * w}]");
        using var noGrad = Autograd.NoGrad();
        var up = Functional.Interpolate(walked.Reshape(c, 1, h, w), scaleFactor: (4, 4), mode: InterpolateMode.Bilinear, alignCorners: false);
        var output = Tensor.Zeros(c, height, width);
        var o = output.Data;
        var u = up.Data;
        int uw = 4 * w, uh = 4 * h;
        float max = float.NegativeInfinity;
        for (int k = 0; k < c; k++)
            for (int y = 0; y < height; y++)
            {
                var row = u.Slice((k * uh + y) * uw, width);
                row.CopyTo(o.Slice((k * height + y) * width, width));
                foreach (float v in row) max = MathF.Max(max, v);
            }
        if (max > 0f)
            for (int i = 0; i < o.Length; i++) o[i] /= max;
        return output;
    }

    /// <summary>
    /// IRNet's semantic labels (<c>step/make_sem_seg_labels.py</c>): walk the CAMs over the boundary map, upsample ×4, crop,
    /// normalise by the global maximum, prepend a constant background plane, take the argmax and map it through the keys.
    /// </summary>
    /// <param name="cams">Stride-4 CAMs of the present classes only, shape (C, h, w).</param>
    /// <param name="boundary">Boundary map in [0, 1], shape (h, w) or (1, h, w).</param>
    /// <param name="keys">Label of each argmax index, length C + 1 (<see cref="CamUtils.Keys"/>: [0, class + 1, ...]).</param>
    /// <param name="height">Image height H ≤ 4h.</param>
    /// <param name="width">Image width W ≤ 4w.</param>
    /// <param name="radius">Search radius (5).</param>
    /// <param name="beta">β (10).</param>
    /// <param name="expTimes">Squarings (8).</param>
    /// <param name="backgroundThreshold">Background score (0.25).</param>
    /// <returns>Labels, row-major H·W.</returns>
    /// <exception cref="ArgumentException">Mismatched shapes or key count, or any invalid walk argument (see <see cref="RandomWalk.PropagateToEdge"/>).</exception>
    public static int[] Irn(Tensor cams, Tensor boundary, ReadOnlySpan<int> keys, int height, int width,
        int radius = 5, float beta = 10f, int expTimes = 8, float backgroundThreshold = 0.25f)
    {
        CamUtils.Check3D(cams, nameof(cams));
        if (keys.Length != cams.Size(0) + 1)
            ThrowHelper.Argument(nameof(keys), $"expected {cams.Size(0) + 1} keys (background + one per CAM), got {keys.Length}");
        var walked = RandomWalk.PropagateToEdge(cams, boundary, radius, beta, expTimes);
        var scores = CamUtils.WithBackgroundThreshold(UpsampleAndNormalize(walked, height, width), backgroundThreshold);
        var index = CamUtils.Argmax(scores);
        for (int i = 0; i < index.Length; i++) index[i] = keys[index[i]];
        return index;
    }

    /// <summary>
    /// AffinityNet's labels (<c>infer_aff.py</c>): zero-pad the scores to multiples of 8, 8×8 average pooling, walk over the graph,
    /// bilinear upsampling back to the padded size, argmax, crop.
    /// </summary>
    /// <param name="scores">Full-resolution scores with the background first, shape (K, H, W) (<see cref="CamUtils.WithBackgroundPower"/> with α = 16 over all classes, absent ones 0).</param>
    /// <param name="graph">The affinity graph on the ⌈H/8⌉ × ⌈W/8⌉ grid (β already applied).</param>
    /// <param name="expTimes">Squarings (logt = 8).</param>
    /// <returns>Argmax channel per pixel, row-major H·W.</returns>
    /// <exception cref="ArgumentException">The graph's size is not ⌈H/8⌉ × ⌈W/8⌉, or expTimes is out of range.</exception>
    public static int[] AffinityNet(Tensor scores, AffinityGraph graph, int expTimes = 8)
    {
        CamUtils.Check3D(scores, nameof(scores));
        ArgumentNullException.ThrowIfNull(graph);
        int k = scores.Size(0), height = scores.Size(1), width = scores.Size(2);
        int dh = (height + 7) / 8, dw = (width + 7) / 8;
        if (graph.Height != dh || graph.Width != dw)
            ThrowHelper.Argument(nameof(graph), $"expected a {dh}×{dw} graph for a {height}×{width} image, got {graph.Height}×{graph.Width}");
        using var noGrad = Autograd.NoGrad();
        int ph = dh * 8, pw = dw * 8;
        var padded = Tensor.Zeros(1, k, ph, pw);
        var s = scores.Data;
        var pd = padded.Data;
        for (int c = 0; c < k; c++)
            for (int y = 0; y < height; y++)
                s.Slice((c * height + y) * width, width).CopyTo(pd.Slice((c * ph + y) * pw, width));
        var pooled = Functional.AvgPool2d(padded, 8, 8);
        var walked = new RandomWalkPropagator(expTimes).Propagate(pooled, graph);
        var up = Functional.Interpolate(walked, size: (ph, pw), mode: InterpolateMode.Bilinear, alignCorners: false);
        var full = CamUtils.Argmax(up.Reshape(k, ph, pw));
        var result = new int[height * width];
        for (int y = 0; y < height; y++) full.AsSpan(y * pw, width).CopyTo(result.AsSpan(y * width, width));
        return result;
    }
}
