using System.Numerics.Tensors;

namespace Wsss.Core.Tensors;

public partial class Tensor
{
    /// <summary>(outer, size, inner) around dimension <paramref name="dim"/>.</summary>
    internal (int outer, int size, int inner) SplitAt(int dim)
    {
        int outer = 1, inner = 1;
        for (int i = 0; i < dim; i++) outer *= _shape[i];
        for (int i = dim + 1; i < Rank; i++) inner *= _shape[i];
        return (outer, _shape[dim], inner);
    }

    private int[] ReducedShape(int dim, bool keepDim)
    {
        var s = new List<int>(_shape);
        if (keepDim) s[dim] = 1; else s.RemoveAt(dim);
        return s.ToArray();
    }

    private int[] NormalizeDims(int[] dims, string argName)
    {
        var nd = new int[dims.Length];
        for (int i = 0; i < dims.Length; i++) nd[i] = NormalizeDim(dims[i], Rank, argName);
        if (nd.Distinct().Count() != nd.Length) ThrowHelper.Argument(argName, $"dimensions [{string.Join(", ", dims)}] repeat");
        return nd;
    }

    private Tensor SumDimNoGrad(int dim, bool keepDim)
    {
        var (outer, size, inner) = SplitAt(dim);
        var y = Allocate(ReducedShape(dim, keepDim), clear: inner > 1);
        var xb = Buffer; var yb = y.Buffer;
        if (inner == 1)
        {
            Parallelism.For(outer, size, o => yb[o] = TensorPrimitives.Sum(new ReadOnlySpan<float>(xb, o * size, size)));
        }
        else
        {
            Parallelism.For(outer, (long)size * inner, o =>
            {
                var dst = yb.AsSpan(o * inner, inner);
                for (int r = 0; r < size; r++) TensorPrimitives.Add(dst, new ReadOnlySpan<float>(xb, (o * size + r) * inner, inner), dst);
            });
        }
        return y;
    }

    internal Tensor SumNoGrad(int[] dims, bool keepDim)
    {
        var nd = NormalizeDims(dims, nameof(dims)).OrderByDescending(d => d).ToArray();
        Tensor t = this;
        foreach (int d in nd) t = t.SumDimNoGrad(d, keepDim: true);
        if (nd.Length == 0) t = Clone();
        if (!keepDim)
        {
            var s = new List<int>();
            for (int i = 0; i < Rank; i++) if (!nd.Contains(i)) s.Add(_shape[i]);
            t = t.ReshapeNoGrad(s.ToArray());
        }
        return t;
    }

    /// <summary>Sum of all elements (0-d).</summary>
    public Tensor Sum()
    {
        var y = Scalar(TensorPrimitives.Sum(Data));
        if (!Autograd.ShouldRecord(this)) return Autograd.Check("sum", y);
        var shape = Shape;
        return Autograd.Record("sum", y, new[] { this }, g => new[] { Full(shape, g.Data[0]) });
    }

    /// <summary>Sum over <paramref name="dims"/>.</summary>
    public Tensor Sum(int[] dims, bool keepDim = false)
    {
        ArgumentNullException.ThrowIfNull(dims);
        var y = SumNoGrad(dims, keepDim);
        if (!Autograd.ShouldRecord(this)) return Autograd.Check("sum", y);
        var keptShape = KeptShape(dims);
        var shape = Shape;
        return Autograd.Record("sum", y, new[] { this }, g => new[] { g.ReshapeNoGrad(keptShape).BroadcastToNoGrad(shape, "grad") });
    }

    /// <summary>Sum over one dimension.</summary>
    public Tensor Sum(int dim, bool keepDim = false) => Sum(new[] { dim }, keepDim);

    private int[] KeptShape(int[] dims)
    {
        var nd = NormalizeDims(dims, nameof(dims));
        var s = Shape;
        foreach (int d in nd) s[d] = 1;
        return s;
    }

    /// <summary>Mean of all elements (0-d).</summary>
    public Tensor Mean()
    {
        if (Numel == 0) ThrowHelper.InvalidOperation("Mean() of an empty tensor");
        return Sum().MulScalar(1f / Numel);
    }

    /// <summary>Mean over <paramref name="dims"/>.</summary>
    public Tensor Mean(int[] dims, bool keepDim = false)
    {
        var nd = NormalizeDims(dims, nameof(dims));
        long count = 1;
        foreach (int d in nd) count *= _shape[d];
        if (count == 0) ThrowHelper.InvalidOperation("Mean over an empty dimension");
        return Sum(dims, keepDim).MulScalar((float)(1.0 / count));
    }

    /// <summary>Mean over one dimension.</summary>
    public Tensor Mean(int dim, bool keepDim = false) => Mean(new[] { dim }, keepDim);

    /// <summary>Largest element (0-d); the gradient is shared evenly among ties, as PyTorch's amax.</summary>
    public Tensor Max() => ExtremeAll(isMax: true);

    /// <summary>Smallest element (0-d).</summary>
    public Tensor Min() => ExtremeAll(isMax: false);

    private Tensor ExtremeAll(bool isMax)
    {
        string op = isMax ? "max" : "min";
        if (Numel == 0) ThrowHelper.InvalidOperation($"{op}() of an empty tensor");
        var d = Data;
        float v = isMax ? TensorPrimitives.Max(d) : TensorPrimitives.Min(d);
        var y = Scalar(v);
        if (!Autograd.ShouldRecord(this)) return Autograd.Check(op, y);
        var x = this;
        return Autograd.Record(op, y, new[] { x }, g =>
        {
            var gx = ZerosLike(x);
            var xs = x.Data; var gs = gx.Data;
            int count = 0;
            for (int i = 0; i < xs.Length; i++) if (xs[i] == v || (float.IsNaN(v) && float.IsNaN(xs[i]))) count++;
            float share = g.Data[0] / Math.Max(count, 1);
            for (int i = 0; i < xs.Length; i++) if (xs[i] == v || (float.IsNaN(v) && float.IsNaN(xs[i]))) gs[i] = share;
            return new[] { gx };
        });
    }

    /// <summary>Maximum along <paramref name="dim"/>: values and (float-valued) indices of the first maximum.</summary>
    public (Tensor Values, Tensor Indices) Max(int dim, bool keepDim = false) => ExtremeDim(dim, keepDim, isMax: true);

    /// <summary>Minimum along <paramref name="dim"/>: values and (float-valued) indices of the first minimum.</summary>
    public (Tensor Values, Tensor Indices) Min(int dim, bool keepDim = false) => ExtremeDim(dim, keepDim, isMax: false);

    /// <summary>Index of the first maximum along <paramref name="dim"/>, as floats (exact below 2²⁴).</summary>
    public Tensor Argmax(int dim, bool keepDim = false)
    {
        using var ng = Autograd.NoGrad();
        return ExtremeDim(dim, keepDim, isMax: true).Indices;
    }

    /// <summary>Index of the first minimum along <paramref name="dim"/>, as floats.</summary>
    public Tensor Argmin(int dim, bool keepDim = false)
    {
        using var ng = Autograd.NoGrad();
        return ExtremeDim(dim, keepDim, isMax: false).Indices;
    }

    /// <summary>Flat index of the first maximum of all elements.</summary>
    public int Argmax()
    {
        if (Numel == 0) ThrowHelper.InvalidOperation("Argmax() of an empty tensor");
        return TensorPrimitives.IndexOfMax(Data);
    }

    private (Tensor Values, Tensor Indices) ExtremeDim(int dim, bool keepDim, bool isMax)
    {
        string op = isMax ? "max" : "min";
        dim = NormalizeDim(dim, Rank, nameof(dim));
        var (outer, size, inner) = SplitAt(dim);
        if (size == 0) ThrowHelper.InvalidOperation($"{op} over an empty dimension");
        var shape = ReducedShape(dim, keepDim);
        var values = Allocate(shape, false);
        var indices = Allocate((int[])shape.Clone(), false);
        var xb = Buffer; var vb = values.Buffer; var ib = indices.Buffer;
        Parallelism.For(outer, (long)size * inner, o =>
        {
            for (int j = 0; j < inner; j++)
            {
                int baseIdx = o * size * inner + j;
                float best = xb[baseIdx];
                int bi = 0;
                if (!float.IsNaN(best))
                {
                    for (int r = 1; r < size; r++)
                    {
                        float v = xb[baseIdx + r * inner];
                        if (float.IsNaN(v)) { best = v; bi = r; break; }
                        if (isMax ? v > best : v < best) { best = v; bi = r; }
                    }
                }
                vb[o * inner + j] = best;
                ib[o * inner + j] = bi;
            }
        });
        if (!Autograd.ShouldRecord(this)) return (Autograd.Check(op, values), indices);
        var xShape = Shape;
        Autograd.Record(op, values, new[] { this }, g =>
        {
            var gx = Zeros(xShape);
            var gb = g.Buffer; var gxb = gx.Buffer;
            for (int o = 0; o < outer; o++)
                for (int j = 0; j < inner; j++)
                    gxb[(o * size + (int)ib[o * inner + j]) * inner + j] = gb[o * inner + j];
            return new[] { gx };
        });
        return (values, indices);
    }

    /// <summary>Softmax along <paramref name="dim"/>.</summary>
    public Tensor Softmax(int dim)
    {
        dim = NormalizeDim(dim, Rank, nameof(dim));
        var y = SoftmaxForward(dim, log: false);
        if (!Autograd.ShouldRecord(this)) return Autograd.Check("softmax", y);
        return Autograd.Record("softmax", y, new[] { this }, g =>
        {
            // gx = y ⊙ (g − Σ g⊙y)
            var gy = Zip(g, y, TensorPrimitives.Multiply);
            var s = gy.SumNoGrad(new[] { dim }, keepDim: true);
            var t = BinaryForward<SubOp>(g, s, "sub");
            return new[] { Zip(t, y, TensorPrimitives.Multiply) };
        });
    }

    /// <summary>Log-softmax along <paramref name="dim"/>.</summary>
    public Tensor LogSoftmax(int dim)
    {
        dim = NormalizeDim(dim, Rank, nameof(dim));
        var y = SoftmaxForward(dim, log: true);
        if (!Autograd.ShouldRecord(this)) return Autograd.Check("log_softmax", y);
        return Autograd.Record("log_softmax", y, new[] { this }, g =>
        {
            // gx = g − exp(y) Σ g
            var s = g.SumNoGrad(new[] { dim }, keepDim: true);
            var p = y.Map(TensorPrimitives.Exp);
            var ps = BinaryForward<MulOp>(p, s, "mul");
            return new[] { Zip(g, ps, TensorPrimitives.Subtract) };
        });
    }

    private Tensor SoftmaxForward(int dim, bool log)
    {
        var (outer, size, inner) = SplitAt(dim);
        var y = Allocate(Shape, false);
        var xb = Buffer; var yb = y.Buffer;
        if (inner == 1)
        {
            Parallelism.For(outer, size * 4L, o =>
            {
                var x = new ReadOnlySpan<float>(xb, o * size, size);
                var d = yb.AsSpan(o * size, size);
                float m = TensorPrimitives.Max(x);
                TensorPrimitives.Subtract(x, m, d);
                if (log)
                {
                    float sum = 0;
                    for (int i = 0; i < size; i++) sum += MathF.Exp(d[i]);
                    TensorPrimitives.Subtract(d, MathF.Log(sum), d);
                }
                else
                {
                    TensorPrimitives.Exp(d, d);
                    TensorPrimitives.Multiply(d, 1f / TensorPrimitives.Sum(d), d);
                }
            });
            return y;
        }
        Parallelism.For(outer, (long)size * inner * 4, o =>
        {
            var mx = new float[inner];
            var sum = new float[inner];
            int b0 = o * size * inner;
            new ReadOnlySpan<float>(xb, b0, inner).CopyTo(mx);
            for (int r = 1; r < size; r++) TensorPrimitives.Max(mx, new ReadOnlySpan<float>(xb, b0 + r * inner, inner), mx);
            for (int r = 0; r < size; r++)
            {
                var d = yb.AsSpan(b0 + r * inner, inner);
                TensorPrimitives.Subtract(new ReadOnlySpan<float>(xb, b0 + r * inner, inner), mx, d);
                if (log)
                {
                    for (int j = 0; j < inner; j++) sum[j] += MathF.Exp(d[j]);
                }
                else
                {
                    TensorPrimitives.Exp(d, d);
                    TensorPrimitives.Add(sum, d, sum);
                }
            }
            if (log) TensorPrimitives.Log(sum, sum);
            else TensorPrimitives.Reciprocal(sum, sum);
            for (int r = 0; r < size; r++)
            {
                var d = yb.AsSpan(b0 + r * inner, inner);
                if (log) TensorPrimitives.Subtract(d, sum, d);
                else TensorPrimitives.Multiply(d, sum, d);
            }
        });
        return y;
    }
}
