using Wsss.Core.Tensors;

namespace Wsss.Core.Labels;

/// <summary>Helpers shared by the CAM-based label syntheses: background planes, class keys, argmax.</summary>
public static class CamUtils
{
    /// <summary>Prepends a constant background plane (IRNet: 0.25 for labels, 0.15 for CAM evaluation).</summary>
    /// <param name="scores">Class scores of shape (C, H, W).</param>
    /// <param name="threshold">The background score.</param>
    /// <returns>Shape (C + 1, H, W), background first.</returns>
    /// <exception cref="ArgumentException">The scores are not 3-D, or the threshold is NaN.</exception>
    public static Tensor WithBackgroundThreshold(Tensor scores, float threshold)
    {
        Check3D(scores, nameof(scores));
        if (float.IsNaN(threshold)) ThrowHelper.Argument(nameof(threshold), "expected a number, got NaN");
        int plane = scores.Size(1) * scores.Size(2);
        var output = Tensor.Zeros(scores.Size(0) + 1, scores.Size(1), scores.Size(2));
        output.Data[..plane].Fill(threshold);
        scores.Data.CopyTo(output.Data[plane..]);
        return output;
    }

    /// <summary>Prepends AffinityNet's background plane (1 − max_c CAM_c)^α (1 where there is no class).</summary>
    /// <param name="cams">Class activation maps in [0, 1], shape (C, H, W).</param>
    /// <param name="alpha">Power α (AffinityNet: 4 low, 32 high, 16 for the walk).</param>
    /// <returns>Shape (C + 1, H, W), background first.</returns>
    /// <exception cref="ArgumentException">The CAMs are not 3-D, or α is negative or not finite.</exception>
    public static Tensor WithBackgroundPower(Tensor cams, float alpha)
    {
        Check3D(cams, nameof(cams));
        if (!(alpha >= 0f && alpha < float.PositiveInfinity)) ThrowHelper.ArgumentOutOfRange(nameof(alpha), alpha, "expected a finite non-negative alpha");
        int c = cams.Size(0), plane = cams.Size(1) * cams.Size(2);
        var output = Tensor.Zeros(c + 1, cams.Size(1), cams.Size(2));
        var o = output.Data;
        var x = cams.Data;
        x.CopyTo(o[plane..]);
        for (int p = 0; p < plane; p++)
        {
            float max = float.NegativeInfinity;
            for (int k = 0; k < c; k++) max = MathF.Max(max, x[k * plane + p]);
            o[p] = c == 0 ? 1f : MathF.Pow(1f - max, alpha);
        }
        return output;
    }

    /// <summary>IRNet's keys: [0] followed by (class + 1) for every present class, in increasing class order.</summary>
    /// <param name="presence">Image-level labels, one per foreground class (non-zero = present).</param>
    public static int[] Keys(ReadOnlySpan<float> presence)
    {
        var keys = new List<int> { 0 };
        for (int c = 0; c < presence.Length; c++) if (presence[c] != 0f) keys.Add(c + 1);
        return keys.ToArray();
    }

    /// <summary>Index of the first maximum over the leading axis of (K, H, W) scores, row-major H·W (ties: the lowest index, as torch/numpy).</summary>
    /// <param name="scores">Scores of shape (K, H, W), K ≥ 1.</param>
    /// <exception cref="ArgumentException">The scores are not 3-D or have no channel.</exception>
    public static int[] Argmax(Tensor scores)
    {
        Check3D(scores, nameof(scores));
        int k = scores.Size(0), plane = scores.Size(1) * scores.Size(2);
        if (k == 0) ThrowHelper.Argument(nameof(scores), "expected at least one channel");
        var s = scores.Data;
        var result = new int[plane];
        for (int p = 0; p < plane; p++)
        {
            float best = s[p];
            int arg = 0;
            for (int c = 1; c < k; c++)
            {
                float v = s[c * plane + p];
                if (v > best || (float.IsNaN(v) && !float.IsNaN(best))) { best = v; arg = c; }
            }
            result[p] = arg;
        }
        return result;
    }

    internal static void Check3D(Tensor t, string argName)
    {
        ArgumentNullException.ThrowIfNull(t, argName);
        if (t.Rank != 3) ThrowHelper.Argument(argName, $"expected shape (C, H, W), got {Tensor.ShapeString(t.ShapeSpan)}");
    }
}
