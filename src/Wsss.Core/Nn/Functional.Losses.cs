using System.Buffers;
using System.Numerics.Tensors;
using Wsss.Core.Tensors;
using Tensor = Wsss.Core.Tensors.Tensor;

namespace Wsss.Core.Nn;

public static partial class Functional
{
    /// <summary>
    /// Mean squared error, torch.nn.functional.mse_loss: <c>(input − target)²</c> element-wise, then reduced.
    /// </summary>
    /// <param name="input">Prediction, any shape.</param>
    /// <param name="target">Target, same shape as <paramref name="input"/> (no broadcasting).</param>
    /// <param name="reduction">None (shape of input), Mean (over all elements; NaN for empty inputs) or Sum (0-d).</param>
    /// <returns>The loss. Gradients flow to <paramref name="input"/> and, when it requires grad, to <paramref name="target"/>.</returns>
    public static Tensor MseLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        LossKernels.CheckSameShape(input, target, "mse_loss");
        var xb = input.Buffer;
        var tb = target.Buffer;
        return LossKernels.PointwiseLoss("mse_loss", input, target, reduction, (s, loss) =>
        {
            for (int i = 0; i < loss.Length; i++)
            {
                float d = xb[s + i] - tb[s + i];
                loss[i] = d * d;
            }
        }, (s, g, gx, gt) =>
        {
            for (int i = 0; i < g.Length; i++)
            {
                float v = 2f * (xb[s + i] - tb[s + i]) * g[i];
                if (!gx.IsEmpty) gx[i] = v;
                if (!gt.IsEmpty) gt[i] = -v;
            }
        });
    }

    /// <summary>
    /// Mean absolute error, torch.nn.functional.l1_loss: <c>|input − target|</c> element-wise, then reduced.
    /// The gradient is <c>sign(input − target)</c> (0 where they are equal).
    /// </summary>
    /// <param name="input">Prediction, any shape.</param>
    /// <param name="target">Target, same shape as <paramref name="input"/>.</param>
    /// <param name="reduction">None, Mean or Sum.</param>
    /// <returns>The loss. Gradients flow to <paramref name="input"/> and, when it requires grad, to <paramref name="target"/>.</returns>
    public static Tensor L1Loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        LossKernels.CheckSameShape(input, target, "l1_loss");
        var xb = input.Buffer;
        var tb = target.Buffer;
        return LossKernels.PointwiseLoss("l1_loss", input, target, reduction, (s, loss) =>
        {
            for (int i = 0; i < loss.Length; i++) loss[i] = MathF.Abs(xb[s + i] - tb[s + i]);
        }, (s, g, gx, gt) =>
        {
            for (int i = 0; i < g.Length; i++)
            {
                float d = xb[s + i] - tb[s + i];
                float v = d > 0 ? g[i] : d < 0 ? -g[i] : 0f;
                if (!gx.IsEmpty) gx[i] = v;
                if (!gt.IsEmpty) gt[i] = -v;
            }
        });
    }

    /// <summary>
    /// Binary cross-entropy on probabilities, torch.nn.functional.binary_cross_entropy:
    /// <c>−w·(t·log(x) + (1 − t)·log(1 − x))</c> with both logarithms clamped below at −100 (as PyTorch).
    /// </summary>
    /// <param name="input">Probabilities in [0, 1], any shape.</param>
    /// <param name="target">Targets, same shape as <paramref name="input"/> (usually in [0, 1]).</param>
    /// <param name="weight">Optional rescaling weight broadcastable to the input's shape (not differentiated).</param>
    /// <param name="reduction">None, Mean (plain mean over elements, weights are not normalised) or Sum.</param>
    /// <returns>
    /// The loss. The input gradient is PyTorch's <c>w·(x − t)/max(x(1 − x), 1e−12)</c>; when the target requires
    /// grad it receives <c>−w·logit(x)</c> (as PyTorch).
    /// </returns>
    /// <exception cref="ArgumentException">An input value lies outside [0, 1] (or is NaN).</exception>
    public static Tensor BinaryCrossEntropy(Tensor input, Tensor target, Tensor? weight = null, Reduction reduction = Reduction.Mean)
    {
        LossKernels.CheckSameShape(input, target, "binary_cross_entropy");
        var xb = input.Buffer;
        var tb = target.Buffer;
        var xs = input.Data;
        for (int i = 0; i < xs.Length; i++)
        {
            if (!(xs[i] >= 0f && xs[i] <= 1f))
                ThrowHelper.Argument(nameof(input), $"binary_cross_entropy: all elements of input should be between 0 and 1, got {xs[i]} at flat index {i}");
        }
        var wb = LossKernels.ExpandWeight(weight, input, nameof(weight), "binary_cross_entropy");
        return LossKernels.PointwiseLoss("binary_cross_entropy", input, target, reduction, (s, loss) =>
        {
            int len = loss.Length;
            var xs = new ReadOnlySpan<float>(xb, s, len);
            var tmpa = ArrayPool<float>.Shared.Rent(len);
            var log1m = tmpa.AsSpan(0, len);
            TensorPrimitives.Log(xs, loss);
            TensorPrimitives.Negate(xs, log1m);
            TensorPrimitives.LogP1(log1m, log1m);
            for (int i = 0; i < len; i++)
            {
                float t = tb[s + i];
                float l = (t - 1f) * MathF.Max(log1m[i], -100f) - t * MathF.Max(loss[i], -100f);
                loss[i] = wb is null ? l : l * wb[s + i];
            }
            ArrayPool<float>.Shared.Return(tmpa);
        }, (s, g, gx, gt) =>
        {
            for (int i = 0; i < g.Length; i++)
            {
                float x = xb[s + i], t = tb[s + i];
                float gw = wb is null ? g[i] : g[i] * wb[s + i];
                if (!gx.IsEmpty) gx[i] = gw * (x - t) / MathF.Max((1f - x) * x, 1e-12f);
                if (!gt.IsEmpty) gt[i] = -gw * (MathF.Log(x) - MathF.Log(1f - x));
            }
        });
    }

    /// <summary>
    /// Binary cross-entropy on logits, torch.nn.functional.binary_cross_entropy_with_logits, in the numerically
    /// stable form <c>(1 − t)·x + (1 + (p − 1)·t)·log(1 + e^(−x))</c> (log-sum-exp with the maximum
    /// subtracted), times the weight.
    /// </summary>
    /// <param name="input">Logits, any shape.</param>
    /// <param name="target">Targets, same shape as <paramref name="input"/>.</param>
    /// <param name="weight">Optional rescaling weight broadcastable to the input's shape.</param>
    /// <param name="posWeight">Optional weight p of the positive term, broadcastable to the input's shape (typically (C) over the last dimension).</param>
    /// <param name="reduction">None, Mean or Sum.</param>
    /// <returns>
    /// The loss. The input gradient is <c>w·((p·t + 1 − t)·σ(x) − p·t)</c>; the target, when it requires grad,
    /// receives <c>w·(−x + (p − 1)·softplus(−x))</c>.
    /// </returns>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor input, Tensor target, Tensor? weight = null, Tensor? posWeight = null, Reduction reduction = Reduction.Mean)
    {
        LossKernels.CheckSameShape(input, target, "binary_cross_entropy_with_logits");
        var xb = input.Buffer;
        var tb = target.Buffer;
        var wb = LossKernels.ExpandWeight(weight, input, nameof(weight), "binary_cross_entropy_with_logits");
        var pb = LossKernels.ExpandWeight(posWeight, input, nameof(posWeight), "binary_cross_entropy_with_logits");
        return LossKernels.PointwiseLoss("binary_cross_entropy_with_logits", input, target, reduction, (s, loss) =>
        {
            int len = loss.Length;
            var xs = new ReadOnlySpan<float>(xb, s, len);
            // log(1 + e^(−x)) = log1p(e^(−|x|)) + max(−x, 0), torch's log-sum-exp with the maximum subtracted.
            TensorPrimitives.Abs(xs, loss);
            TensorPrimitives.Negate(loss, loss);
            TensorPrimitives.Exp(loss, loss);
            TensorPrimitives.LogP1(loss, loss);
            for (int i = 0; i < len; i++)
            {
                float x = xs[i], t = tb[s + i];
                float sp = loss[i] + MathF.Max(-x, 0f);
                float l = pb is null ? (1f - t) * x + sp : (1f - t) * x + ((pb[s + i] - 1f) * t + 1f) * sp;
                loss[i] = wb is null ? l : l * wb[s + i];
            }
        }, (s, g, gx, gt) =>
        {
            int len = g.Length;
            var xs = new ReadOnlySpan<float>(xb, s, len);
            if (!gx.IsEmpty)
            {
                TensorPrimitives.Sigmoid(xs, gx);
                for (int i = 0; i < len; i++)
                {
                    float sig = gx[i], t = tb[s + i];
                    float gw = wb is null ? g[i] : g[i] * wb[s + i];
                    float d = pb is null ? sig - t : (pb[s + i] * t + 1f - t) * sig - pb[s + i] * t;
                    gx[i] = d * gw;
                }
            }
            if (!gt.IsEmpty)
            {
                for (int i = 0; i < len; i++)
                {
                    float x = xs[i];
                    float gw = wb is null ? g[i] : g[i] * wb[s + i];
                    float d = -x;
                    if (pb is not null) d += (pb[s + i] - 1f) * (float)LossKernels.Softplus(-x);
                    gt[i] = d * gw;
                }
            }
        });
    }

    /// <summary>
    /// Multi-label one-versus-all loss, torch.nn.functional.multilabel_soft_margin_loss:
    /// per sample <c>(1/C)·Σ_c w_c·(−t·logσ(x) − (1 − t)·logσ(−x))</c>, then reduced over the samples.
    /// </summary>
    /// <param name="input">Logits (N, C) (or (C) for one sample).</param>
    /// <param name="target">Targets in {0, 1} (or soft), same shape as <paramref name="input"/>.</param>
    /// <param name="weight">Optional per-class weight broadcastable to the input's shape (typically (C)).</param>
    /// <param name="reduction">None (shape (N)), Mean (over N) or Sum.</param>
    /// <returns>The loss. Gradients flow to <paramref name="input"/> and, when it requires grad, to <paramref name="target"/>.</returns>
    public static Tensor MultilabelSoftMarginLoss(Tensor input, Tensor target, Tensor? weight = null, Reduction reduction = Reduction.Mean)
    {
        LossKernels.CheckSameShape(input, target, "multilabel_soft_margin_loss");
        LossKernels.CheckReduction(reduction);
        if (input.Rank < 1 || input.Rank > 2)
            ThrowHelper.Argument(nameof(input), $"multilabel_soft_margin_loss: expected an input of shape (N, C) or (C), got {Tensor.ShapeString(input.ShapeSpan)}");
        var wb = LossKernels.ExpandWeight(weight, input, nameof(weight), "multilabel_soft_margin_loss");
        int c = input.ShapeSpan[^1];
        int rows = input.Rank == 2 ? input.ShapeSpan[0] : 1;
        var xb = input.Buffer;
        var tb = target.Buffer;
        var perRow = new double[rows];
        Parallelism.For(rows, 8L * c, r =>
        {
            double acc = 0;
            for (int j = r * c; j < (r + 1) * c; j++)
            {
                double x = xb[j], t = tb[j];
                double l = t * LossKernels.Softplus(-x) + (1 - t) * LossKernels.Softplus(x);
                if (wb is not null) l *= wb[j];
                acc += l;
            }
            perRow[r] = acc / c;
        });
        Tensor y;
        if (reduction == Reduction.None)
        {
            y = Tensor.Allocate(input.Rank == 2 ? new[] { rows } : Array.Empty<int>(), clear: false);
            var yd = y.Data;
            for (int r = 0; r < rows; r++) yd[r] = (float)perRow[r];
        }
        else
        {
            double total = 0;
            foreach (double v in perRow) total += v;
            y = Tensor.Scalar((float)(reduction == Reduction.Mean ? total / rows : total));
        }
        var inputs = new[] { input, target };
        if (!Autograd.ShouldRecord(inputs)) return Autograd.Check("multilabel_soft_margin_loss", y);
        var shape = input.Shape;
        return Autograd.Record("multilabel_soft_margin_loss", y, inputs, g =>
        {
            var gx = input.RequiresGrad ? Tensor.Allocate((int[])shape.Clone(), clear: false) : null;
            var gt = target.RequiresGrad ? Tensor.Allocate((int[])shape.Clone(), clear: false) : null;
            var gb = g.Buffer;
            double scalar = reduction == Reduction.None ? 0 : reduction == Reduction.Mean ? (double)gb[0] / rows : gb[0];
            Parallelism.For(rows, 8L * c, r =>
            {
                double gr = (reduction == Reduction.None ? gb[r] : scalar) / c;
                for (int j = r * c; j < (r + 1) * c; j++)
                {
                    double x = xb[j], t = tb[j];
                    double gw = wb is null ? gr : gr * wb[j];
                    if (gx is not null) gx.Buffer[j] = (float)((1.0 / (1.0 + Math.Exp(-x)) - t) * gw);
                    if (gt is not null) gt.Buffer[j] = (float)(-x * gw);
                }
            });
            return new[] { gx, gt };
        });
    }

    /// <summary>
    /// Cross-entropy with class-index targets, torch.nn.functional.cross_entropy (= <see cref="NllLoss"/> of
    /// log_softmax over dimension 1), fused: the softmax is never materialised in the forward pass.
    /// </summary>
    /// <param name="input">Logits (N, C) or (N, C, d1, ..., dk) (or (C) for one sample).</param>
    /// <param name="target">
    /// Class indices stored as floats holding integers, shape (N) or (N, d1, ..., dk) (0-d for a (C) input); each
    /// in [0, C) or equal to <paramref name="ignoreIndex"/>. Not differentiable.
    /// </param>
    /// <param name="weight">Optional per-class weight (C) (not differentiated).</param>
    /// <param name="ignoreIndex">Target value that contributes neither to the loss nor to the gradient (e.g. 255 for "void" pixels).</param>
    /// <param name="reduction">
    /// None (shape of the target, 0 at ignored positions), Sum, or Mean = PyTorch's weighted mean:
    /// <c>Σ w[t_i]·loss_i / Σ w[t_i]</c> over the non-ignored targets. When every target is ignored the mean is
    /// 0/0 = NaN, exactly as PyTorch (≥ 1.10) returns, and the gradient is zero.
    /// </param>
    /// <returns>The loss; the gradient flows to <paramref name="input"/> only.</returns>
    /// <exception cref="ArgumentException">A target is not an integer or lies outside [0, C) without being <paramref name="ignoreIndex"/>; or the shapes do not match.</exception>
    public static Tensor CrossEntropy(Tensor input, Tensor target, Tensor? weight = null, int ignoreIndex = -100, Reduction reduction = Reduction.Mean)
        => LossKernels.ClassIndexLoss("cross_entropy", input, target, weight, ignoreIndex, reduction, fromLogits: true);

    /// <summary>
    /// Negative log-likelihood with class-index targets, torch.nn.functional.nll_loss: <c>−w[t]·input[n, t, ...]</c>
    /// on log-probabilities, with the same target, weight, ignore-index and weighted-mean rules as
    /// <see cref="CrossEntropy"/> (all targets ignored → NaN for Mean).
    /// </summary>
    /// <param name="input">Log-probabilities (N, C) or (N, C, d1, ..., dk) (or (C)).</param>
    /// <param name="target">Class indices as floats, shape (N) or (N, d1, ..., dk).</param>
    /// <param name="weight">Optional per-class weight (C).</param>
    /// <param name="ignoreIndex">Target value that is skipped.</param>
    /// <param name="reduction">None, Mean (weighted) or Sum.</param>
    /// <returns>The loss; the gradient flows to <paramref name="input"/> only.</returns>
    public static Tensor NllLoss(Tensor input, Tensor target, Tensor? weight = null, int ignoreIndex = -100, Reduction reduction = Reduction.Mean)
        => LossKernels.ClassIndexLoss("nll_loss", input, target, weight, ignoreIndex, reduction, fromLogits: false);
}
