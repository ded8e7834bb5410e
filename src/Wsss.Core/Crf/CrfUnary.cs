using System.Globalization;
using Wsss.Core.Tensors;

namespace Wsss.Core.Crf;

/// <summary>Unary energies for <see cref="DenseCrf"/>, as pydensecrf's <c>utils.unary_from_softmax</c> / <c>unary_from_labels</c>.</summary>
public static class CrfUnary
{
    /// <summary>The reference's lower clip of probabilities.</summary>
    public const float DefaultClip = 1e-5f;

    /// <summary>
    /// U = −log(clip(P, <paramref name="clip"/>, 1)), after the optional P ← scale·P + (1 − scale)/L
    /// (<c>unary_from_softmax</c>; the log is taken in float32 without scale and in double with scale, as NumPy does).
    /// </summary>
    /// <param name="probabilities">(L, ...) non-negative finite scores, label axis first (e.g. (L, H, W)).</param>
    /// <param name="scale">Optional confidence in (0, 1].</param>
    /// <param name="clip">Lower clip in (0, 1].</param>
    /// <returns>Energies of the same shape.</returns>
    /// <exception cref="ArgumentException">Empty input, NaN/Inf or negative probabilities, or a bad scale/clip.</exception>
    public static Tensor FromSoftmax(Tensor probabilities, float? scale = null, float clip = DefaultClip)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        if (probabilities.Rank < 2 || probabilities.Numel == 0)
            CrfThrowHelper.Argument(nameof(probabilities), $"Expected non-empty probabilities of shape (L, H, W); got {Tensor.ShapeString(probabilities.ShapeSpan)}.");
        if (scale is { } s0 && !(s0 > 0f && s0 <= 1f)) CrfThrowHelper.OutOfRange(nameof(scale), s0, "The scale must be in (0, 1].");
        if (!(clip > 0f && clip <= 1f)) CrfThrowHelper.OutOfRange(nameof(clip), clip, "The clip must be in (0, 1].");
        ReadOnlySpan<float> p = probabilities.Data;
        CheckProbabilities(p, nameof(probabilities));
        var u = Tensor.Zeros(probabilities.Shape);
        Span<float> dst = u.Data;
        int labels = probabilities.Size(0);
        if (scale is { } s)
        {
            double uniform = (1.0 - s) * (1.0 / labels);
            for (int i = 0; i < p.Length; i++)
            {
                double v = s * p[i] + uniform;
                dst[i] = (float)-Math.Log(Math.Clamp(v, clip, 1.0));
            }
        }
        else
        {
            // Vectorised clip, log and negation: the same values as the CRF's own unary path.
            CrfVectorMath.NegLogClamped(p, dst, clip);
        }

        return u;
    }

    /// <summary>
    /// Energies from a label map (<c>unary_from_labels</c>): −log(gtProb) at the given label and
    /// −log((1 − gtProb)/(L − 1)) elsewhere. With <paramref name="zeroUnsure"/>, label 0 means "unknown"
    /// (uniform −log(1/L)) and labels 1..L stand for classes 0..L−1.
    /// </summary>
    /// <param name="labels">H·W labels, row-major.</param>
    /// <param name="height">H.</param>
    /// <param name="width">W.</param>
    /// <param name="labelCount">L ≥ 2.</param>
    /// <param name="gtProb">Confidence in the given labels, in (0, 1) (double, as Python passes it).</param>
    /// <param name="zeroUnsure">Whether label 0 means unknown (pydensecrf's default).</param>
    /// <returns>Energies (L, H, W).</returns>
    /// <exception cref="ArgumentException">Wrong length, a label out of range, or bad parameters.</exception>
    public static Tensor FromLabels(ReadOnlySpan<int> labels, int height, int width, int labelCount, double gtProb, bool zeroUnsure = true)
    {
        if (width < 1) CrfThrowHelper.OutOfRange(nameof(width), width, "The image is empty: width must be at least 1.");
        if (height < 1) CrfThrowHelper.OutOfRange(nameof(height), height, "The image is empty: height must be at least 1.");
        if (labelCount < 2) CrfThrowHelper.OutOfRange(nameof(labelCount), labelCount, "unary_from_labels needs at least 2 labels.");
        if (!(gtProb > 0 && gtProb < 1)) CrfThrowHelper.OutOfRange(nameof(gtProb), gtProb, "gtProb must be in (0, 1).");
        long n = (long)height * width;
        if (labels.Length != n)
            CrfThrowHelper.Argument(nameof(labels), string.Create(CultureInfo.InvariantCulture, $"Expected {n} labels ({height}x{width}); got {labels.Length}."));
        float nEnergy = (float)-Math.Log((1.0 - gtProb) / (labelCount - 1));
        float pEnergy = (float)-Math.Log(gtProb);
        float unsure = (float)-Math.Log(1.0 / labelCount);
        var u = Tensor.Full([labelCount, height, width], nEnergy);
        Span<float> dst = u.Data;
        int max = zeroUnsure ? labelCount : labelCount - 1;
        for (int i = 0; i < labels.Length; i++)
        {
            int y = labels[i];
            if (y < 0 || y > max)
                CrfThrowHelper.Argument(nameof(labels), string.Create(CultureInfo.InvariantCulture, $"Label {y} at pixel {i} is outside [0, {max}]."));
            if (zeroUnsure && y == 0)
            {
                for (int k = 0; k < labelCount; k++) dst[(int)(k * n) + i] = unsure;
            }
            else
            {
                dst[(int)((zeroUnsure ? y - 1 : y) * n) + i] = pEnergy;
            }
        }

        return u;
    }

    /// <summary>Throws unless every value is finite and non-negative.</summary>
    internal static void CheckProbabilities(ReadOnlySpan<float> p, string argName)
    {
        for (int i = 0; i < p.Length; i++)
        {
            float v = p[i];
            if (!float.IsFinite(v))
                CrfThrowHelper.Argument(argName, string.Create(CultureInfo.InvariantCulture, $"Probability {i} is not finite ({v}); clean NaN/Inf scores before the CRF."));
            if (v < 0f)
                CrfThrowHelper.Argument(argName, string.Create(CultureInfo.InvariantCulture, $"Probability {i} is negative ({v})."));
        }
    }
}
