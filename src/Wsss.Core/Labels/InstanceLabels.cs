using Wsss.Core.Propagation;
using Wsss.Core.Tensors;

namespace Wsss.Core.Labels;

/// <summary>
/// IRNet's instance pseudo labels (<c>step/make_ins_seg_labels.py</c>): centroids refined along the displacement
/// field, clustering of centroids by the weak-displacement regions, instance-wise CAMs, random walk, and detections.
/// </summary>
public static class InstanceLabels
{
    /// <summary>
    /// Moves every pixel's centroid estimate <paramref name="iterations"/> times by the bilinearly sampled displacement
    /// (float32, corners from floor/ceil, clipped to the map), then rounds half to even. Returns (2, h, w) row-major:
    /// the y plane, then the x plane.
    /// </summary>
    /// <param name="displacement">(2, h, w): Dy, Dx.</param>
    /// <param name="iterations">Refinement steps (300 in IRNet).</param>
    public static int[] FindCentroids(Tensor displacement, int iterations = 300)
    {
        var (h, w) = CheckDisplacement(displacement);
        if (iterations < 0) throw new ArgumentOutOfRangeException(nameof(iterations), iterations, "must be non-negative");
        var d = displacement.Data;
        int n = h * w;
        var cy = new float[n];
        var cx = new float[n];
        for (int p = 0; p < n; p++)
        {
            cy[p] = p / w;
            cx[p] = p % w;
        }
        for (int it = 0; it < iterations; it++)
        {
            for (int p = 0; p < n; p++)
            {
                float y = cy[p], x = cx[p];
                int uy = (int)MathF.Ceiling(y), dy = (int)MathF.Floor(y), ux = (int)MathF.Ceiling(x), dx = (int)MathF.Floor(x);
                float yc = y - dy, xc = x - dx;
                int uu = uy * w + ux, du = dy * w + ux, ud = uy * w + dx, dd = dy * w + dx;
                // The reference's float32 evaluation order: ((D·y_c)·x_c) + ((D·(1−y_c))·x_c) + …, left to right.
                float my = d[uu] * yc * xc + d[du] * (1 - yc) * xc + d[ud] * yc * (1 - xc) + d[dd] * (1 - yc) * (1 - xc);
                float mx = d[n + uu] * yc * xc + d[n + du] * (1 - yc) * xc + d[n + ud] * yc * (1 - xc) + d[n + dd] * (1 - yc) * (1 - xc);
                cy[p] = Math.Clamp(y + my, 0f, h - 1);
                cx[p] = Math.Clamp(x + mx, 0f, w - 1);
            }
        }
        var result = new int[2 * n];
        for (int p = 0; p < n; p++)
        {
            result[p] = (int)MathF.Round(cy[p]);
            result[n + p] = (int)MathF.Round(cx[p]);
        }
        return result;
    }

    /// <summary>
    /// Groups pixels by the weak-displacement region (|D| &lt; <paramref name="threshold"/>, 4-connected) their centroid
    /// lands in; pixels whose centroid lands outside every weak region form one more group. Returns the instance masks
    /// (K, h, w) as 0/1 floats, groups ordered as IRNet's (outside-group first, then regions in raster order).
    /// </summary>
    public static Tensor ClusterCentroids(ReadOnlySpan<int> centroids, Tensor displacement, float threshold = 2.5f)
    {
        var (h, w) = CheckDisplacement(displacement);
        int n = h * w;
        if (centroids.Length != 2 * n) throw new ArgumentException($"centroids must hold 2x{h}x{w} values, got {centroids.Length}", nameof(centroids));
        var d = displacement.Data;
        var weak = new bool[n];
        for (int p = 0; p < n; p++) weak[p] = MathF.Sqrt(d[n + p] * d[n + p] + d[p] * d[p]) < threshold;
        var region = new int[n];
        ConnectedComponents.Label4(weak, h, w, region);
        var cluster = new int[n];
        for (int p = 0; p < n; p++)
        {
            int y = centroids[p], x = centroids[n + p];
            if ((uint)y >= (uint)h || (uint)x >= (uint)w) throw new ArgumentException($"centroid ({y}, {x}) of pixel {p} is outside the {h}x{w} map", nameof(centroids));
            cluster[p] = region[y * w + x];
        }
        // Compress the used cluster ids to 0..K−1 in increasing order.
        var ids = cluster.Distinct().Order().ToArray();
        var rank = new Dictionary<int, int>();
        for (int i = 0; i < ids.Length; i++) rank[ids[i]] = i;
        var masks = Tensor.Zeros(ids.Length, h, w);
        var m = masks.Data;
        for (int p = 0; p < n; p++) m[rank[cluster[p]] * n + p] = 1f;
        return masks;
    }

    /// <summary>
    /// The whole instance-label step: centroids, clusters, instance-wise CAMs (CAM of class c inside cluster k),
    /// random walk over the boundary's affinities, ×4 upsampling, crop to (height, width), global-max normalisation,
    /// a constant background plane, argmax, and the detections (<see cref="Detect"/>). Returns no detection, not a
    /// crash, when nothing is found.
    /// </summary>
    /// <param name="cams">(C, h, w) CAMs of the present classes.</param>
    /// <param name="displacement">(2, h, w) displacement field.</param>
    /// <param name="boundary">(h, w) class-boundary map in [0, 1].</param>
    /// <param name="keys">Class key of each CAM (C values).</param>
    /// <param name="height">Image height (≤ 4h).</param>
    /// <param name="width">Image width (≤ 4w).</param>
    /// <param name="backgroundThreshold">Constant background score (0.25 in IRNet).</param>
    /// <param name="radius">Walk radius.</param>
    /// <param name="beta">Affinity power.</param>
    /// <param name="expTimes">log₂ of the walk length.</param>
    /// <param name="fragmentFraction">Components smaller than this fraction of the image score 0 (IRNet: 1%).</param>
    public static IReadOnlyList<InstanceDetection> Synthesize(Tensor cams, Tensor displacement, Tensor boundary, ReadOnlySpan<int> keys,
        int height, int width, float backgroundThreshold = 0.25f, int radius = 5, float beta = 10f, int expTimes = 8, float fragmentFraction = 0.01f)
    {
        var (c, k, scores) = InstanceScores(cams, displacement, boundary, keys, height, width, radius, beta, expTimes);
        var index = CamUtils.Argmax(CamUtils.WithBackgroundThreshold(scores, backgroundThreshold));
        var classes = new int[c * k];
        for (int i = 0; i < classes.Length; i++) classes[i] = keys[i / k];
        return Detect(scores, index, classes, fragmentFraction * height * width);
    }

    /// <summary>The normalised instance score maps (C·K, height, width) before the background plane and argmax; C·K is c-major.</summary>
    public static (int Classes, int Instances, Tensor Scores) InstanceScores(Tensor cams, Tensor displacement, Tensor boundary, ReadOnlySpan<int> keys,
        int height, int width, int radius = 5, float beta = 10f, int expTimes = 8)
    {
        CamUtils.Check3D(cams, nameof(cams));
        var (h, w) = CheckDisplacement(displacement);
        int c = cams.Size(0);
        if (cams.Size(1) != h || cams.Size(2) != w)
            throw new ArgumentException($"cams {Tensor.ShapeString(cams.ShapeSpan)} do not match the displacement map {h}x{w}", nameof(cams));
        if (keys.Length != c) throw new ArgumentException($"expected {c} keys (one per CAM), got {keys.Length}", nameof(keys));
        using var noGrad = Autograd.NoGrad();
        var masks = ClusterCentroids(FindCentroids(displacement), displacement);
        int k = masks.Size(0);
        var instanceCams = (cams.Reshape(c, 1, h, w) * masks.Reshape(1, k, h, w)).Reshape(c * k, h, w);
        var walked = RandomWalk.PropagateToEdge(instanceCams, boundary, radius, beta, expTimes);
        return (c, k, SemanticLabels.UpsampleAndNormalize(walked, height, width));
    }

    /// <summary>
    /// IRNet's <c>detect_instance</c>: every channel's argmax region is split into 4-connected components; each becomes
    /// a detection scored by the channel's maximum over it, or 0 when smaller than <paramref name="minFragmentPixels"/>.
    /// </summary>
    /// <param name="scores">(M, H, W) score maps.</param>
    /// <param name="argmax">(H·W) argmax over the background plane and the M maps (0 = background, m + 1 = map m).</param>
    /// <param name="classes">Class of each map (M values).</param>
    /// <param name="minFragmentPixels">Size floor for a scored component.</param>
    public static IReadOnlyList<InstanceDetection> Detect(Tensor scores, ReadOnlySpan<int> argmax, ReadOnlySpan<int> classes, float minFragmentPixels)
    {
        CamUtils.Check3D(scores, nameof(scores));
        int mCount = scores.Size(0), hh = scores.Size(1), ww = scores.Size(2), n = hh * ww;
        if (argmax.Length != n) throw new ArgumentException($"argmax has {argmax.Length} pixels, expected {hh}x{ww}", nameof(argmax));
        if (classes.Length != mCount) throw new ArgumentException($"expected {mCount} classes, got {classes.Length}", nameof(classes));
        var s = scores.Data;
        var detections = new List<InstanceDetection>();
        var mask = new bool[n];
        var labels = new int[n];
        for (int m = 0; m < mCount; m++)
        {
            bool any = false;
            for (int p = 0; p < n; p++) any |= mask[p] = argmax[p] == m + 1;
            if (!any) continue;
            int components = ConnectedComponents.Label4(mask, hh, ww, labels);
            for (int comp = 1; comp <= components; comp++)
            {
                var seg = new bool[n];
                int area = 0;
                float best = 0f;
                for (int p = 0; p < n; p++)
                {
                    if (labels[p] != comp) continue;
                    seg[p] = true;
                    area++;
                    best = MathF.Max(best, s[m * n + p]);
                }
                detections.Add(new InstanceDetection(area < minFragmentPixels ? 0f : best, classes[m], seg));
            }
        }
        return detections;
    }

    private static (int H, int W) CheckDisplacement(Tensor displacement)
    {
        ArgumentNullException.ThrowIfNull(displacement);
        if (displacement.Rank != 3 || displacement.Size(0) != 2 || displacement.Size(1) == 0 || displacement.Size(2) == 0)
            throw new ArgumentException($"displacement must be (2, h, w) with h, w > 0, got {Tensor.ShapeString(displacement.ShapeSpan)}", nameof(displacement));
        foreach (float v in displacement.Data)
            if (!float.IsFinite(v)) throw new ArgumentException("displacement holds NaN or Inf", nameof(displacement));
        return (displacement.Size(1), displacement.Size(2));
    }
}
