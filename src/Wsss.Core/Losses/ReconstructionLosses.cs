using Wsss.Core.Models;
using Wsss.Core.Nn;
using Wsss.Core.Tensors;

namespace Wsss.Core.Losses;

/// <summary>
/// The losses of WSSS by reconstruction (Zeng 2024): L = L_recon + λ_m·L_mask + λ_c·L_cls, with the reference
/// weights λ_m = λ_c = 1e-3.
/// </summary>
public static class ReconstructionLosses
{
    /// <summary>The ε inside the logarithms of L_mask, as the reference code.</summary>
    public const float MaskEpsilon = 1e-6f;

    /// <summary>L_recon = mean squared error between Î and I over B·3·H·W (eq. 2).</summary>
    public static Tensor Reconstruction(Tensor reconstruction, Tensor image) => Functional.MseLoss(reconstruction, image);

    /// <summary>
    /// L_mask (eqs. 3-4): with p_k = mean over H, W of softmax_k(mask logits), the binary cross-entropy
    /// −y_k·log(p_k + ε) − (1 − y_k)·log(1 − p_k + ε), averaged over the batch and combined over the K classes by
    /// <paramref name="classReduction"/> (the paper: mean; the reference code: sum).
    /// </summary>
    /// <param name="maskLogits">(B, K, H, W).</param>
    /// <param name="labels">(B, K) presence labels in {0, 1} (the background column is 1).</param>
    /// <param name="classReduction">Mean (paper) or sum (reference code) over classes.</param>
    /// <param name="eps">ε (1e-6 in the reference).</param>
    public static Tensor MaskPresence(Tensor maskLogits, Tensor labels, ClassReduction classReduction = ClassReduction.Mean, float eps = MaskEpsilon)
    {
        ArgumentNullException.ThrowIfNull(maskLogits);
        ArgumentNullException.ThrowIfNull(labels);
        if (maskLogits.Rank != 4) throw new ArgumentException($"mask logits must be (B, K, H, W), got {Tensor.ShapeString(maskLogits.ShapeSpan)}", nameof(maskLogits));
        int b = maskLogits.Size(0), k = maskLogits.Size(1);
        if (labels.Rank != 2 || labels.Size(0) != b || labels.Size(1) != k)
            throw new ArgumentException($"labels must be ({b}, {k}), got {Tensor.ShapeString(labels.ShapeSpan)}", nameof(labels));
        var p = maskLogits.Softmax(1).Mean(new[] { 2, 3 });
        var pos = labels * (p + eps).Log();
        var neg = (1f - labels) * (1f - p + eps).Log();
        var perClass = -(pos + neg);
        var total = perClass.Sum() / b;
        return classReduction == ClassReduction.Sum ? total : total / k;
    }

    /// <summary>
    /// L_cls with a frozen classifier g: for each mask-let k, the masked image-let x̂_k = M_k·X_k is classified and
    /// compared by binary cross-entropy with a target that is zero except column k = label k (for k &lt; K−1; the
    /// background target is all zeros); the mean over the K classes.
    /// </summary>
    /// <param name="masklets">M, (B, K, H, W).</param>
    /// <param name="imagelets">X, (B, K, 3, H, W).</param>
    /// <param name="labels">(B, K) presence labels.</param>
    /// <param name="classifier">g: (B, 3, H, W) → (B, K−1) sigmoid probabilities.</param>
    public static Tensor ClassifierGuidance(Tensor masklets, Tensor imagelets, Tensor labels, Func<Tensor, Tensor> classifier)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(masklets);
        _ = DecompositionOutput.Reconstruct(masklets, imagelets); // validates the shapes
        int b = masklets.Size(0), k = masklets.Size(1);
        if (labels.Rank != 2 || labels.Size(0) != b || labels.Size(1) != k)
            throw new ArgumentException($"labels must be ({b}, {k}), got {Tensor.ShapeString(labels.ShapeSpan)}", nameof(labels));
        Tensor? total = null;
        for (int c = 0; c < k; c++)
        {
            var masked = masklets.Narrow(1, c, 1) * imagelets.Narrow(1, c, 1).Squeeze(1);
            var probs = classifier(masked);
            if (probs.Rank != 2 || probs.Size(0) != b || probs.Size(1) != k - 1)
                throw new ArgumentException($"the classifier must return ({b}, {k - 1}) probabilities, got {Tensor.ShapeString(probs.ShapeSpan)}", nameof(classifier));
            var target = Tensor.Zeros(b, k - 1);
            if (c < k - 1)
                for (int i = 0; i < b; i++) target[i, c] = labels[i, c];
            var l = Functional.BinaryCrossEntropy(probs, target);
            total = total is null ? l : total + l;
        }
        return total! / k;
    }
}
