using Wsss.Core.Tensors;

namespace Wsss.Core.Nn;

/// <summary>
/// Stateless neural-network functions with torch.nn.functional's semantics (normalisation, dropout,
/// losses, ...). Every function checks its arguments and throws an <see cref="ArgumentException"/>
/// naming the offending argument with the expected and the actual shape or value.
/// </summary>
public static partial class Functional
{
    /// <summary>
    /// Batch normalisation over the channel dimension 1 of <paramref name="x"/> of shape (N, C), (N, C, L)
    /// or (N, C, H, W) (any (N, C, *) works), torch.nn.functional.batch_norm.
    /// </summary>
    /// <param name="x">Input (N, C, *).</param>
    /// <param name="runningMean">Running mean (C); updated in place in training mode; required in evaluation mode. May be null in training mode (then no statistics are tracked).</param>
    /// <param name="runningVar">Running variance (C); like <paramref name="runningMean"/>.</param>
    /// <param name="weight">Optional per-channel scale γ (C).</param>
    /// <param name="bias">Optional per-channel shift β (C).</param>
    /// <param name="training">
    /// True: normalise with the batch statistics (mean and biased variance over N and the spatial
    /// dimensions) and update the running statistics in place:
    /// <c>rm = (1 − momentum)·rm + momentum·mean</c>, <c>rv = (1 − momentum)·rv + momentum·var·n/(n − 1)</c>
    /// (unbiased variance, n = N·H·W). False: normalise with the running statistics, which are left
    /// unchanged; gradients still flow to <paramref name="x"/>, <paramref name="weight"/> and <paramref name="bias"/>.
    /// A "frozen" batch norm (as used when fine-tuning a pretrained backbone) is simply
    /// <c>training: false</c> with <paramref name="weight"/> and <paramref name="bias"/> not requiring grad.
    /// </param>
    /// <param name="momentum">Weight of the batch statistics in the running-statistics update.</param>
    /// <param name="eps">Added to the variance before the square root.</param>
    /// <returns><c>(x − mean)/sqrt(var + eps)·γ + β</c>, shaped like <paramref name="x"/>.</returns>
    /// <remarks>
    /// The forward and backward passes are fused kernels, parallel over channels; statistics are
    /// accumulated in float64. Training needs more than one value per channel (N·H·W &gt; 1), as in torch.
    /// The running statistics are written through <see cref="Tensor.Data"/> (not recorded by autograd).
    /// </remarks>
    public static Tensor BatchNorm(Tensor x, Tensor? runningMean, Tensor? runningVar, Tensor? weight, Tensor? bias,
        bool training, float momentum = 0.1f, float eps = 1e-5f)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank < 2)
            ThrowHelper.Argument(nameof(x), $"batch_norm: expected an input of shape (N, C), (N, C, L) or (N, C, H, W), got {Tensor.ShapeString(x.ShapeSpan)}");
        int n = x.ShapeSpan[0], c = x.ShapeSpan[1];
        int s = n * c == 0 ? 0 : x.Numel / (n * c);
        long count = (long)n * s;
        NormKernels.CheckChannelVector(runningMean, c, nameof(runningMean), "batch_norm");
        NormKernels.CheckChannelVector(runningVar, c, nameof(runningVar), "batch_norm");
        NormKernels.CheckChannelVector(weight, c, nameof(weight), "batch_norm");
        NormKernels.CheckChannelVector(bias, c, nameof(bias), "batch_norm");
        if ((runningMean is null) != (runningVar is null))
            ThrowHelper.Argument(runningMean is null ? nameof(runningMean) : nameof(runningVar), "batch_norm: runningMean and runningVar must be given together (both or neither)");
        if (!training)
        {
            if (runningMean is null) ThrowHelper.Argument(nameof(runningMean), "batch_norm: running statistics are required in evaluation mode (training = false), got null");
        }
        else if (count == 1)
        {
            ThrowHelper.Argument(nameof(x), $"batch_norm: expected more than 1 value per channel when training, got input of shape {Tensor.ShapeString(x.ShapeSpan)}");
        }

        var mean = new double[c];
        var invStd = new double[c];
        var y = Tensor.Allocate(x.Shape, clear: false);
        var xb = x.Buffer;
        var yb = y.Buffer;
        var wb = weight?.Data.ToArray();
        var bb = bias?.Data.ToArray();
        float[]? rm = runningMean?.Buffer, rv = runningVar?.Buffer;
        bool useBatch = training;
        bool updateRunning = training && rm is not null && count > 0;
        double m = momentum;

        Parallelism.For(c, 3 * count, ch =>
        {
            double mu, istd;
            if (useBatch)
            {
                if (count == 0)
                {
                    mu = 0;
                    istd = 1;
                }
                else
                {
                    double sum = 0;
                    for (int i = 0; i < n; i++) sum += NormKernels.Sum(new ReadOnlySpan<float>(xb, (i * c + ch) * s, s));
                    mu = sum / count;
                    double sq = 0;
                    for (int i = 0; i < n; i++) sq += NormKernels.SumSqDev(new ReadOnlySpan<float>(xb, (i * c + ch) * s, s), mu);
                    double var = sq / count;
                    istd = 1.0 / Math.Sqrt(var + eps);
                    if (updateRunning)
                    {
                        rm![ch] = (float)((1 - m) * rm[ch] + m * mu);
                        rv![ch] = (float)((1 - m) * rv[ch] + m * (sq / (count - 1)));
                    }
                }
            }
            else
            {
                mu = rm![ch];
                istd = 1.0 / Math.Sqrt(rv![ch] + (double)eps);
            }
            mean[ch] = mu;
            invStd[ch] = istd;
            double a = istd * (wb is null ? 1.0 : wb[ch]);
            double b = (bb is null ? 0.0 : bb[ch]) - mu * a;
            for (int i = 0; i < n; i++)
            {
                int o = (i * c + ch) * s;
                NormKernels.Affine(new ReadOnlySpan<float>(xb, o, s), (float)a, (float)b, yb.AsSpan(o, s));
            }
        });

        var inputs = NormKernels.CollectInputs(x, weight, bias, out int wIndex, out int bIndex);
        if (!Autograd.ShouldRecord(inputs)) return Autograd.Check("batch_norm", y);
        var xShape = x.Shape;
        return Autograd.Record("batch_norm", y, inputs, g =>
        {
            var gb = g.Buffer;
            bool needX = x.RequiresGrad, needW = weight is not null && weight.RequiresGrad, needB = bias is not null && bias.RequiresGrad;
            var gx = needX ? Tensor.Allocate((int[])xShape.Clone(), clear: false) : null;
            var gw = needW ? Tensor.Allocate(new[] { c }, clear: false) : null;
            var gbias = needB ? Tensor.Allocate(new[] { c }, clear: false) : null;
            var gxb = gx?.Buffer;
            Parallelism.For(c, 3 * count, ch =>
            {
                double mu = mean[ch], istd = invStd[ch];
                double sg = 0, sgx = 0;
                if (needW || needB || useBatch)
                {
                    for (int i = 0; i < n; i++)
                    {
                        int o = (i * c + ch) * s;
                        var (a1, a2) = NormKernels.SumGradDot(new ReadOnlySpan<float>(gb, o, s), new ReadOnlySpan<float>(xb, o, s), mu);
                        sg += a1;
                        sgx += a2;
                    }
                }
                if (gw is not null) gw.Buffer[ch] = (float)(sgx * istd);
                if (gbias is not null) gbias.Buffer[ch] = (float)sg;
                if (gxb is null) return;
                double w = wb is null ? 1.0 : wb[ch];
                double k1 = w * istd, k2 = 0, k3 = 0;
                if (useBatch && count > 0)
                {
                    k2 = -w * istd * istd * istd * sgx / count;
                    k3 = -w * istd * sg / count - mu * k2;
                }
                for (int i = 0; i < n; i++)
                {
                    int o = (i * c + ch) * s;
                    NormKernels.Affine2(new ReadOnlySpan<float>(gb, o, s), (float)k1, new ReadOnlySpan<float>(xb, o, s), (float)k2, (float)k3, gxb.AsSpan(o, s));
                }
            });
            return NormKernels.Grads(inputs.Length, gx, wIndex, gw, bIndex, gbias);
        });
    }

    /// <summary>
    /// Group normalisation, torch.nn.functional.group_norm: the C channels of <paramref name="x"/> (N, C, *)
    /// are split into <paramref name="numGroups"/> groups, each normalised per sample over its channels and
    /// spatial positions (biased variance), then scaled and shifted per channel.
    /// </summary>
    /// <param name="x">Input (N, C, *).</param>
    /// <param name="numGroups">Number of groups; must divide C.</param>
    /// <param name="weight">Optional per-channel scale γ (C).</param>
    /// <param name="bias">Optional per-channel shift β (C).</param>
    /// <param name="eps">Added to the variance before the square root.</param>
    /// <returns>The normalised tensor, shaped like <paramref name="x"/>.</returns>
    /// <remarks>Fused forward and backward kernels, parallel over (sample, channel); statistics in float64.</remarks>
    public static Tensor GroupNorm(Tensor x, int numGroups, Tensor? weight = null, Tensor? bias = null, float eps = 1e-5f)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank < 2)
            ThrowHelper.Argument(nameof(x), $"group_norm: expected an input of shape (N, C, *), got {Tensor.ShapeString(x.ShapeSpan)}");
        int n = x.ShapeSpan[0], c = x.ShapeSpan[1];
        if (numGroups <= 0 || c % numGroups != 0)
            ThrowHelper.Argument(nameof(numGroups), $"group_norm: expected numGroups to be a positive divisor of the number of channels C = {c}, got {numGroups}");
        NormKernels.CheckChannelVector(weight, c, nameof(weight), "group_norm");
        NormKernels.CheckChannelVector(bias, c, nameof(bias), "group_norm");
        int s = n * c == 0 ? 0 : x.Numel / (n * c);
        int groups = numGroups, cg = c / groups;
        long groupSize = (long)cg * s;
        int planes = n * c;

        var xb = x.Buffer;
        var y = Tensor.Allocate(x.Shape, clear: false);
        var yb = y.Buffer;
        var wb = weight?.Data.ToArray();
        var bb = bias?.Data.ToArray();
        var partial = new double[planes];
        var mean = new double[n * groups];
        var rstd = new double[n * groups];

        Parallelism.For(planes, s, p => partial[p] = NormKernels.Sum(new ReadOnlySpan<float>(xb, p * s, s)));
        for (int q = 0; q < n * groups; q++)
        {
            double sum = 0;
            for (int k = 0; k < cg; k++) sum += partial[q * cg + k];
            mean[q] = groupSize == 0 ? 0 : sum / groupSize;
        }
        Parallelism.For(planes, s, p => partial[p] = NormKernels.SumSqDev(new ReadOnlySpan<float>(xb, p * s, s), mean[p / cg]));
        for (int q = 0; q < n * groups; q++)
        {
            double sq = 0;
            for (int k = 0; k < cg; k++) sq += partial[q * cg + k];
            rstd[q] = 1.0 / Math.Sqrt((groupSize == 0 ? 0 : sq / groupSize) + eps);
        }
        Parallelism.For(planes, s, p =>
        {
            int ch = p % c, q = p / cg;
            double a = rstd[q] * (wb is null ? 1.0 : wb[ch]);
            double b = (bb is null ? 0.0 : bb[ch]) - mean[q] * a;
            NormKernels.Affine(new ReadOnlySpan<float>(xb, p * s, s), (float)a, (float)b, yb.AsSpan(p * s, s));
        });

        var inputs = NormKernels.CollectInputs(x, weight, bias, out int wIndex, out int bIndex);
        if (!Autograd.ShouldRecord(inputs)) return Autograd.Check("group_norm", y);
        var xShape = x.Shape;
        return Autograd.Record("group_norm", y, inputs, g =>
        {
            var gb = g.Buffer;
            var sg = new double[planes];
            var sgx = new double[planes];
            Parallelism.For(planes, 2L * s, p =>
            {
                var (a1, a2) = NormKernels.SumGradDot(new ReadOnlySpan<float>(gb, p * s, s), new ReadOnlySpan<float>(xb, p * s, s), mean[p / cg]);
                sg[p] = a1;
                sgx[p] = a2;
            });
            Tensor? gx = null, gw = null, gbias = null;
            if (x.RequiresGrad)
            {
                gx = Tensor.Allocate((int[])xShape.Clone(), clear: false);
                var gxb = gx.Buffer;
                // Per group: A = Σ γ_c Σ g, B = Σ γ_c Σ g (x − μ).
                var ka = new double[n * groups];
                var kb = new double[n * groups];
                for (int q = 0; q < n * groups; q++)
                {
                    double a = 0, b = 0;
                    for (int k = 0; k < cg; k++)
                    {
                        int p = q * cg, ch = (p + k) % c;
                        double w = wb is null ? 1.0 : wb[ch];
                        a += w * sg[p + k];
                        b += w * sgx[p + k];
                    }
                    ka[q] = a;
                    kb[q] = b;
                }
                Parallelism.For(planes, 2L * s, p =>
                {
                    int ch = p % c, q = p / cg;
                    double r = rstd[q], w = wb is null ? 1.0 : wb[ch];
                    double k1 = r * w;
                    double k2 = groupSize == 0 ? 0 : -r * r * r * kb[q] / groupSize;
                    double k3 = groupSize == 0 ? 0 : -r * ka[q] / groupSize - mean[q] * k2;
                    NormKernels.Affine2(new ReadOnlySpan<float>(gb, p * s, s), (float)k1, new ReadOnlySpan<float>(xb, p * s, s), (float)k2, (float)k3, gxb.AsSpan(p * s, s));
                });
            }
            if (weight is not null && weight.RequiresGrad)
            {
                gw = Tensor.Allocate(new[] { c }, clear: false);
                for (int ch = 0; ch < c; ch++)
                {
                    double acc = 0;
                    for (int i = 0; i < n; i++) acc += sgx[i * c + ch] * rstd[(i * c + ch) / cg];
                    gw.Buffer[ch] = (float)acc;
                }
            }
            if (bias is not null && bias.RequiresGrad)
            {
                gbias = Tensor.Allocate(new[] { c }, clear: false);
                for (int ch = 0; ch < c; ch++)
                {
                    double acc = 0;
                    for (int i = 0; i < n; i++) acc += sg[i * c + ch];
                    gbias.Buffer[ch] = (float)acc;
                }
            }
            return NormKernels.Grads(inputs.Length, gx, wIndex, gw, bIndex, gbias);
        });
    }

    /// <summary>
    /// Layer normalisation, torch.nn.functional.layer_norm: normalises <paramref name="x"/> over its trailing
    /// dimensions <paramref name="normalizedShape"/> (biased variance), then applies the element-wise affine
    /// <paramref name="weight"/> and <paramref name="bias"/> (both shaped <paramref name="normalizedShape"/>).
    /// </summary>
    /// <param name="x">Input (*, normalizedShape).</param>
    /// <param name="normalizedShape">The trailing dimensions to normalise over (at least one).</param>
    /// <param name="weight">Optional element-wise scale, shaped <paramref name="normalizedShape"/>.</param>
    /// <param name="bias">Optional element-wise shift, shaped <paramref name="normalizedShape"/>.</param>
    /// <param name="eps">Added to the variance before the square root.</param>
    /// <returns>The normalised tensor, shaped like <paramref name="x"/>.</returns>
    /// <remarks>Fused forward and backward kernels, parallel over rows; statistics in float64.</remarks>
    public static Tensor LayerNorm(Tensor x, int[] normalizedShape, Tensor? weight = null, Tensor? bias = null, float eps = 1e-5f)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(normalizedShape);
        normalizedShape = (int[])normalizedShape.Clone();
        int nd = normalizedShape.Length;
        if (nd == 0)
            ThrowHelper.Argument(nameof(normalizedShape), "layer_norm: expected normalizedShape to have at least one dimension, got ()");
        if (nd > x.Rank || !x.ShapeSpan[(x.Rank - nd)..].SequenceEqual(normalizedShape))
            ThrowHelper.Argument(nameof(normalizedShape), $"layer_norm: expected the trailing dimensions of x {Tensor.ShapeString(x.ShapeSpan)} to equal normalizedShape {Tensor.ShapeString(normalizedShape)}");
        if (weight is not null && !weight.ShapeSpan.SequenceEqual(normalizedShape))
            ThrowHelper.Argument(nameof(weight), $"layer_norm: expected weight of shape {Tensor.ShapeString(normalizedShape)}, got {Tensor.ShapeString(weight.ShapeSpan)}");
        if (bias is not null && !bias.ShapeSpan.SequenceEqual(normalizedShape))
            ThrowHelper.Argument(nameof(bias), $"layer_norm: expected bias of shape {Tensor.ShapeString(normalizedShape)}, got {Tensor.ShapeString(bias.ShapeSpan)}");
        int m = 1;
        foreach (int d in normalizedShape) m *= d;
        int rows = m == 0 ? 0 : x.Numel / m;

        var xb = x.Buffer;
        var y = Tensor.Allocate(x.Shape, clear: false);
        var yb = y.Buffer;
        var wb = weight?.Data.ToArray();
        var bb = bias?.Data.ToArray();
        var mean = new double[rows];
        var rstd = new double[rows];
        Parallelism.For(rows, 3L * m, r =>
        {
            var row = new ReadOnlySpan<float>(xb, r * m, m);
            double mu = m == 0 ? 0 : NormKernels.Sum(row) / m;
            double var = m == 0 ? 0 : NormKernels.SumSqDev(row, mu) / m;
            double rs = 1.0 / Math.Sqrt(var + eps);
            mean[r] = mu;
            rstd[r] = rs;
            NormKernels.AffineElementwise(row, (float)rs, (float)(-mu * rs), wb, bb, yb.AsSpan(r * m, m));
        });

        var inputs = NormKernels.CollectInputs(x, weight, bias, out int wIndex, out int bIndex);
        if (!Autograd.ShouldRecord(inputs)) return Autograd.Check("layer_norm", y);
        var xShape = x.Shape;
        return Autograd.Record("layer_norm", y, inputs, g =>
        {
            var gb = g.Buffer;
            bool needX = x.RequiresGrad, needW = weight is not null && weight.RequiresGrad, needB = bias is not null && bias.RequiresGrad;
            var gx = needX ? Tensor.Allocate((int[])xShape.Clone(), clear: false) : null;
            var gxb = gx?.Buffer;
            int ranges = NormKernels.RangeCount(rows, 3L * m);
            var accW = needW ? new double[ranges][] : null;
            var accB = needB ? new double[ranges][] : null;
            NormKernels.ForRanges(rows, ranges, (ri, r0, r1) =>
            {
                double[]? aw = needW ? accW![ri] = new double[m] : null;
                double[]? ab = needB ? accB![ri] = new double[m] : null;
                for (int r = r0; r < r1; r++)
                {
                    var gr = new ReadOnlySpan<float>(gb, r * m, m);
                    var xr = new ReadOnlySpan<float>(xb, r * m, m);
                    double mu = mean[r], rs = rstd[r];
                    if (aw is not null)
                        for (int j = 0; j < m; j++) aw[j] += gr[j] * ((xr[j] - mu) * rs);
                    if (ab is not null)
                        for (int j = 0; j < m; j++) ab[j] += gr[j];
                    if (gxb is null) continue;
                    // A = Σ g·γ, B = Σ g·γ·(x − μ); dx = rs·γ·g − rs³·B/M·(x − μ) − rs·A/M.
                    var (a, b) = wb is null ? NormKernels.SumGradDot(gr, xr, mu) : NormKernels.SumGradDot(gr, wb, xr, mu);
                    double k2 = -rs * rs * rs * b / m;
                    double k3 = -rs * a / m - mu * k2;
                    NormKernels.Affine2Elementwise(gr, wb, (float)rs, xr, (float)k2, (float)k3, gxb.AsSpan(r * m, m));
                }
            });
            Tensor? gw = null, gbias = null;
            if (needW) gw = NormKernels.SumPartials(accW!, m, normalizedShape);
            if (needB) gbias = NormKernels.SumPartials(accB!, m, normalizedShape);
            return NormKernels.Grads(inputs.Length, gx, wIndex, gw, bIndex, gbias);
        });
    }
}
