using System.Buffers;
using System.Numerics.Tensors;
using Wsss.Core.Tensors;
using Tensor = Wsss.Core.Tensors.Tensor;

namespace Wsss.Core.Nn;

/// <summary>Kernels and argument checks behind the losses of <see cref="Functional"/>.</summary>
internal static class LossKernels
{
    internal static Tensor ClassIndexLoss(string op, Tensor input, Tensor target, Tensor? weight, int ignoreIndex, Reduction reduction, bool fromLogits)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        CheckReduction(reduction);
        if (input.Rank < 1)
            ThrowHelper.Argument(nameof(input), $"{op}: expected an input of shape (N, C), (N, C, d1, ...) or (C), got {Tensor.ShapeString(input.ShapeSpan)}");
        var ishape = input.ShapeSpan;
        int n, c, inner;
        int[] tshape;
        if (input.Rank == 1)
        {
            n = 1;
            c = ishape[0];
            inner = 1;
            tshape = Array.Empty<int>();
        }
        else
        {
            n = ishape[0];
            c = ishape[1];
            tshape = new int[input.Rank - 1];
            tshape[0] = n;
            inner = 1;
            for (int d = 2; d < input.Rank; d++)
            {
                tshape[d - 1] = ishape[d];
                inner *= ishape[d];
            }
        }
        if (!target.ShapeSpan.SequenceEqual(tshape))
            ThrowHelper.Argument(nameof(target), $"{op}: expected target of shape {Tensor.ShapeString(tshape)} for input {Tensor.ShapeString(ishape)}, got {Tensor.ShapeString(target.ShapeSpan)}");
        if (weight is not null && (weight.Rank != 1 || weight.ShapeSpan[0] != c))
            ThrowHelper.Argument(nameof(weight), $"{op}: expected weight of shape ({c},) (one value per class), got {Tensor.ShapeString(weight.ShapeSpan)}");

        int positions = n * inner;
        var classes = new int[positions];
        var td = target.Data;
        for (int i = 0; i < positions; i++)
        {
            float v = td[i];
            if (v == ignoreIndex)
            {
                classes[i] = -1;
                continue;
            }
            if (!float.IsFinite(v) || v != MathF.Floor(v))
                ThrowHelper.Argument(nameof(target), $"{op}: class indices must be integers, got {v} at flat index {i}");
            if (v < 0 || v >= c)
                ThrowHelper.Argument(nameof(target), $"{op}: class index {v} at flat index {i} is out of range [0, {c}) (ignoreIndex {ignoreIndex})");
            classes[i] = (int)v;
        }
        var wcls = weight?.Data.ToArray();
        var xb = input.Buffer;
        // Per position: w[t] (0 when ignored) and the unweighted loss.
        var pw = new float[positions];
        var lse = fromLogits ? new float[positions] : null;
        if (lse is not null && c > 0) LogSumExpOverClasses(xb, n, c, inner, lse);
        var loss = new double[positions];
        for (int p = 0; p < positions; p++)
        {
            int t = classes[p];
            if (t < 0) continue;
            int b = p / inner, j = p - b * inner;
            float xt = xb[(b * c + t) * inner + j];
            float w = wcls is null ? 1f : wcls[t];
            pw[p] = w;
            loss[p] = w * (lse is null ? -(double)xt : (double)lse[p] - xt);
        }

        Tensor y;
        double weightSum = 0;
        foreach (float w in pw) weightSum += w;
        if (reduction == Reduction.None)
        {
            y = Tensor.Allocate(tshape, clear: false);
            var yd = y.Data;
            for (int p = 0; p < positions; p++) yd[p] = (float)loss[p];
        }
        else
        {
            double total = 0;
            foreach (double v in loss) total += v;
            y = Tensor.Scalar((float)(reduction == Reduction.Mean ? total / weightSum : total));
        }
        if (!Autograd.ShouldRecord(input)) return Autograd.Check(op, y);
        var xShape = input.Shape;
        return Autograd.Record(op, y, new[] { input }, g =>
        {
            var gb = g.Buffer;
            var coef = new float[positions];
            double scalar = reduction == Reduction.Mean ? gb[0] / weightSum : gb[0];
            for (int p = 0; p < positions; p++)
            {
                if (classes[p] < 0) continue;
                coef[p] = (float)(pw[p] * (reduction == Reduction.None ? gb[p] : scalar));
            }
            Tensor gx;
            if (lse is null)
            {
                gx = Tensor.Allocate((int[])xShape.Clone(), clear: true);
                var gxb = gx.Buffer;
                for (int p = 0; p < positions; p++)
                {
                    int t = classes[p];
                    if (t < 0) continue;
                    int b = p / inner, j = p - b * inner;
                    gxb[(b * c + t) * inner + j] = -coef[p];
                }
            }
            else
            {
                gx = Tensor.Allocate((int[])xShape.Clone(), clear: false);
                SoftmaxMinusOneHot(xb, lse, coef, classes, n, c, inner, gx.Buffer);
            }
            return new Tensor?[] { gx };
        });
    }

    internal const int ClassBlock = 1024;

    /// <summary>lse[b, j] = log Σ_c exp(x[b, c, j]) for x laid out (n, c, inner).</summary>
    internal static void LogSumExpOverClasses(float[] xb, int n, int c, int inner, float[] lse)
    {
        if (inner == 1)
        {
            int ranges = NormKernels.RangeCount(n, 4L * c);
            NormKernels.ForRanges(n, ranges, (_, r0, r1) =>
            {
                var tmp = ArrayPool<float>.Shared.Rent(c);
                for (int b = r0; b < r1; b++)
                {
                    var row = new ReadOnlySpan<float>(xb, b * c, c);
                    float mx = TensorPrimitives.Max(row);
                    var t = tmp.AsSpan(0, c);
                    TensorPrimitives.Subtract(row, mx, t);
                    TensorPrimitives.Exp(t, t);
                    lse[b] = mx + MathF.Log(TensorPrimitives.Sum(t));
                }
                ArrayPool<float>.Shared.Return(tmp);
            });
            return;
        }
        int blocks = (inner + ClassBlock - 1) / ClassBlock;
        Parallelism.For(n * blocks, 4L * c * Math.Min(inner, ClassBlock), task =>
        {
            int b = task / blocks, j0 = (task % blocks) * ClassBlock, len = Math.Min(ClassBlock, inner - j0);
            var pool = ArrayPool<float>.Shared;
            var mxa = pool.Rent(len);
            var suma = pool.Rent(len);
            var tmpa = pool.Rent(len);
            var mx = mxa.AsSpan(0, len);
            var sum = suma.AsSpan(0, len);
            var tmp = tmpa.AsSpan(0, len);
            new ReadOnlySpan<float>(xb, b * c * inner + j0, len).CopyTo(mx);
            for (int k = 1; k < c; k++) TensorPrimitives.Max(mx, new ReadOnlySpan<float>(xb, (b * c + k) * inner + j0, len), mx);
            sum.Clear();
            for (int k = 0; k < c; k++)
            {
                TensorPrimitives.Subtract(new ReadOnlySpan<float>(xb, (b * c + k) * inner + j0, len), mx, tmp);
                TensorPrimitives.Exp(tmp, tmp);
                TensorPrimitives.Add(sum, tmp, sum);
            }
            TensorPrimitives.Log(sum, sum);
            TensorPrimitives.Add(sum, mx, lse.AsSpan(b * inner + j0, len));
            pool.Return(mxa);
            pool.Return(suma);
            pool.Return(tmpa);
        });
    }

    /// <summary>gx[b, c, j] = coef[b, j]·(exp(x[b, c, j] − lse[b, j]) − [c = t[b, j]]).</summary>
    internal static void SoftmaxMinusOneHot(float[] xb, float[] lse, float[] coef, int[] classes, int n, int c, int inner, float[] gx)
    {
        if (inner == 1)
        {
            int ranges = NormKernels.RangeCount(n, 4L * c);
            NormKernels.ForRanges(n, ranges, (_, r0, r1) =>
            {
                for (int b = r0; b < r1; b++)
                {
                    var d = gx.AsSpan(b * c, c);
                    TensorPrimitives.Subtract(new ReadOnlySpan<float>(xb, b * c, c), lse[b], d);
                    TensorPrimitives.Exp(d, d);
                    TensorPrimitives.Multiply(d, coef[b], d);
                    if (classes[b] >= 0) d[classes[b]] -= coef[b];
                }
            });
            return;
        }
        int blocks = (inner + ClassBlock - 1) / ClassBlock;
        Parallelism.For(n * blocks, 4L * c * Math.Min(inner, ClassBlock), task =>
        {
            int b = task / blocks, j0 = (task % blocks) * ClassBlock, len = Math.Min(ClassBlock, inner - j0);
            var l = new ReadOnlySpan<float>(lse, b * inner + j0, len);
            var cf = new ReadOnlySpan<float>(coef, b * inner + j0, len);
            for (int k = 0; k < c; k++)
            {
                var d = gx.AsSpan((b * c + k) * inner + j0, len);
                TensorPrimitives.Subtract(new ReadOnlySpan<float>(xb, (b * c + k) * inner + j0, len), l, d);
                TensorPrimitives.Exp(d, d);
                TensorPrimitives.Multiply(d, cf, d);
            }
            for (int j = 0; j < len; j++)
            {
                int p = b * inner + j0 + j, t = classes[p];
                if (t >= 0) gx[(b * c + t) * inner + j0 + j] -= coef[p];
            }
        });
    }

    /// <summary>log(1 + eˣ), stable for large |x|.</summary>
    internal static double Softplus(double x) => Math.Max(x, 0.0) + Math.Log(1.0 + Math.Exp(-Math.Abs(x)));

    internal delegate void LossChunkForward(int start, Span<float> loss);

    internal delegate void LossChunkBackward(int start, ReadOnlySpan<float> g, Span<float> gradInput, Span<float> gradTarget);

    /// <summary>Element-wise loss driver: forward per chunk (float64 partial sums for Mean/Sum), backward with the upstream gradient expanded per element.</summary>
    internal static Tensor PointwiseLoss(string op, Tensor input, Tensor target, Reduction reduction, LossChunkForward forward, LossChunkBackward backward)
    {
        CheckReduction(reduction);
        int n = input.Numel;
        Tensor y;
        if (reduction == Reduction.None)
        {
            y = Tensor.Allocate(input.Shape, clear: false);
            var yb = y.Buffer;
            Parallelism.ForChunks(n, (s, len) => forward(s, yb.AsSpan(s, len)));
        }
        else
        {
            var partial = new double[(n + Parallelism.ChunkSize - 1) / Parallelism.ChunkSize];
            Parallelism.ForChunks(n, (s, len) =>
            {
                var buf = ArrayPool<float>.Shared.Rent(len);
                forward(s, buf.AsSpan(0, len));
                partial[s / Parallelism.ChunkSize] = NormKernels.Sum(buf.AsSpan(0, len));
                ArrayPool<float>.Shared.Return(buf);
            });
            double total = 0;
            foreach (double v in partial) total += v;
            y = Tensor.Scalar((float)(reduction == Reduction.Mean ? total / n : total));
        }
        var inputs = new[] { input, target };
        if (!Autograd.ShouldRecord(inputs)) return Autograd.Check(op, y);
        var shape = input.Shape;
        return Autograd.Record(op, y, inputs, g =>
        {
            var gx = input.RequiresGrad ? Tensor.Allocate((int[])shape.Clone(), clear: false) : null;
            var gt = target.RequiresGrad ? Tensor.Allocate((int[])shape.Clone(), clear: false) : null;
            var gb = g.Buffer;
            float scalar = reduction == Reduction.None ? 0f : (float)(reduction == Reduction.Mean ? (double)gb[0] / n : gb[0]);
            Parallelism.ForChunks(n, (s, len) =>
            {
                float[]? tmp = null;
                ReadOnlySpan<float> gs;
                if (reduction == Reduction.None)
                {
                    gs = new ReadOnlySpan<float>(gb, s, len);
                }
                else
                {
                    tmp = ArrayPool<float>.Shared.Rent(len);
                    tmp.AsSpan(0, len).Fill(scalar);
                    gs = tmp.AsSpan(0, len);
                }
                backward(s, gs, gx is null ? Span<float>.Empty : gx.Buffer.AsSpan(s, len), gt is null ? Span<float>.Empty : gt.Buffer.AsSpan(s, len));
                if (tmp is not null) ArrayPool<float>.Shared.Return(tmp);
            });
            return new[] { gx, gt };
        });
    }

    internal static void CheckReduction(Reduction reduction)
    {
        if (reduction is not (Reduction.None or Reduction.Mean or Reduction.Sum))
            ThrowHelper.Argument(nameof(reduction), $"expected Reduction.None, Mean or Sum, got {(int)reduction}");
    }

    internal static void CheckSameShape(Tensor input, Tensor target, string op)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        if (!target.ShapeSpan.SequenceEqual(input.ShapeSpan))
            ThrowHelper.Argument(nameof(target), $"{op}: expected target of shape {Tensor.ShapeString(input.ShapeSpan)} (the input's shape), got {Tensor.ShapeString(target.ShapeSpan)}");
    }

    /// <summary>The weight broadcast to the input's shape (materialised), or null.</summary>
    internal static float[]? ExpandWeight(Tensor? weight, Tensor input, string argName, string op)
    {
        if (weight is null) return null;
        var ws = weight.ShapeSpan;
        var xs = input.ShapeSpan;
        bool ok = ws.Length <= xs.Length;
        for (int i = 1; ok && i <= ws.Length; i++) ok = ws[^i] == 1 || ws[^i] == xs[^i];
        if (!ok)
            ThrowHelper.Argument(argName, $"{op}: expected {argName} broadcastable to the input's shape {Tensor.ShapeString(xs)}, got {Tensor.ShapeString(ws)}");
        if (ws.SequenceEqual(xs)) return weight.Data.ToArray();
        using var expanded = weight.BroadcastToNoGrad(xs, argName);
        return expanded.Data.ToArray();
    }
}
