using System.Numerics.Tensors;

namespace Wsss.Core.Tensors;

/// <summary>y = f(x) over spans.</summary>
internal delegate void SpanMap(ReadOnlySpan<float> x, Span<float> y);

/// <summary>d = f(a, b) over spans of equal length.</summary>
internal delegate void SpanZip(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> d);

/// <summary>d = f(a, b, c) over spans of equal length.</summary>
internal delegate void SpanZip3(ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c, Span<float> d);

public partial class Tensor
{
    /// <summary>Applies <paramref name="f"/> chunk-wise in parallel; not recorded.</summary>
    internal Tensor Map(SpanMap f)
    {
        var y = Allocate(Shape, false);
        var xb = Buffer; var yb = y.Buffer;
        Parallelism.ForChunks(Numel, (s, len) => f(xb.AsSpan(s, len), yb.AsSpan(s, len)));
        return y;
    }

    /// <summary>d = f(a, b) chunk-wise for equal shapes; not recorded.</summary>
    internal static Tensor Zip(Tensor a, Tensor b, SpanZip f)
    {
        if (!a.ShapeSpan.SequenceEqual(b.ShapeSpan)) ThrowHelper.ShapeMismatch(nameof(b), "zip", a.ShapeSpan, b.ShapeSpan);
        var y = Allocate(a.Shape, false);
        var ab = a.Buffer; var bb = b.Buffer; var yb = y.Buffer;
        Parallelism.ForChunks(a.Numel, (s, len) => f(ab.AsSpan(s, len), bb.AsSpan(s, len), yb.AsSpan(s, len)));
        return y;
    }

    /// <summary>d = f(a, b, c) chunk-wise for equal shapes; not recorded.</summary>
    internal static Tensor Zip(Tensor a, Tensor b, Tensor c, SpanZip3 f)
    {
        if (!a.ShapeSpan.SequenceEqual(b.ShapeSpan)) ThrowHelper.ShapeMismatch(nameof(b), "zip", a.ShapeSpan, b.ShapeSpan);
        if (!a.ShapeSpan.SequenceEqual(c.ShapeSpan)) ThrowHelper.ShapeMismatch(nameof(c), "zip", a.ShapeSpan, c.ShapeSpan);
        var y = Allocate(a.Shape, false);
        var ab = a.Buffer; var bb = b.Buffer; var cb = c.Buffer; var yb = y.Buffer;
        Parallelism.ForChunks(a.Numel, (s, len) => f(ab.AsSpan(s, len), bb.AsSpan(s, len), cb.AsSpan(s, len), yb.AsSpan(s, len)));
        return y;
    }

    /// <summary>An element-wise op y = f(x) with backward g ↦ backward(x, y, g).</summary>
    internal Tensor UnaryOp(string op, SpanMap forward, Func<Tensor, Tensor, Tensor, Tensor> backward)
    {
        var y = Map(forward);
        if (!Autograd.ShouldRecord(this)) return Autograd.Check(op, y);
        var x = this;
        return Autograd.Record(op, y, new[] { x }, g => new[] { backward(x, y, g) });
    }

    /// <summary>−x.</summary>
    public Tensor Neg() => UnaryOp("neg", TensorPrimitives.Negate, (x, y, g) => g.Map(TensorPrimitives.Negate));

    /// <summary>eˣ.</summary>
    public Tensor Exp() => UnaryOp("exp", TensorPrimitives.Exp, (x, y, g) => Zip(g, y, TensorPrimitives.Multiply));

    /// <summary>Natural logarithm.</summary>
    public Tensor Log() => UnaryOp("log", TensorPrimitives.Log, (x, y, g) => Zip(g, x, TensorPrimitives.Divide));

    /// <summary>Square root.</summary>
    public Tensor Sqrt() => UnaryOp("sqrt", TensorPrimitives.Sqrt, (x, y, g) => Zip(g, y, static (gs, ys, d) =>
    {
        TensorPrimitives.Divide(gs, ys, d);
        TensorPrimitives.Multiply(d, 0.5f, d);
    }));

    /// <summary>|x| (gradient sign(x), 0 at 0).</summary>
    public Tensor Abs() => UnaryOp("abs", TensorPrimitives.Abs, (x, y, g) => Zip(g, x, static (gs, xs, d) =>
    {
        for (int i = 0; i < d.Length; i++) d[i] = xs[i] > 0 ? gs[i] : xs[i] < 0 ? -gs[i] : 0f;
    }));

    /// <summary>xᵖ for a scalar exponent.</summary>
    public Tensor Pow(float exponent)
    {
        if (exponent == 2f) return UnaryOp("pow", static (xs, d) => TensorPrimitives.Multiply(xs, xs, d), (x, y, g) => Zip(g, x, static (gs, xs, d) =>
        {
            TensorPrimitives.Multiply(gs, xs, d);
            TensorPrimitives.Multiply(d, 2f, d);
        }));
        return UnaryOp("pow", (xs, d) => TensorPrimitives.Pow(xs, exponent, d), (x, y, g) => Zip(g, x, (gs, xs, d) =>
        {
            for (int i = 0; i < d.Length; i++) d[i] = gs[i] * exponent * MathF.Pow(xs[i], exponent - 1f);
        }));
    }

    /// <summary>Limits values to [min, max] (either bound optional); the gradient passes where min ≤ x ≤ max.</summary>
    public Tensor Clamp(float? min = null, float? max = null)
    {
        if (min is null && max is null) ThrowHelper.Argument(nameof(min), "Clamp needs at least one of min and max");
        if (min is float mn && max is float mx && mn > mx) ThrowHelper.Argument(nameof(min), $"min {mn} is greater than max {mx}");
        float lo = min ?? float.NegativeInfinity, hi = max ?? float.PositiveInfinity;
        return UnaryOp("clamp", (xs, d) => TensorPrimitives.Clamp(xs, lo, hi, d), (x, y, g) => Zip(g, x, (gs, xs, d) =>
        {
            for (int i = 0; i < d.Length; i++) d[i] = xs[i] >= lo && xs[i] <= hi ? gs[i] : 0f;
        }));
    }

    /// <summary>Logistic sigmoid.</summary>
    public Tensor Sigmoid() => UnaryOp("sigmoid", TensorPrimitives.Sigmoid, (x, y, g) => Zip(g, y, static (gs, ys, d) =>
    {
        for (int i = 0; i < d.Length; i++) d[i] = gs[i] * ys[i] * (1f - ys[i]);
    }));

    /// <summary>Hyperbolic tangent.</summary>
    public Tensor Tanh() => UnaryOp("tanh", TensorPrimitives.Tanh, (x, y, g) => Zip(g, y, static (gs, ys, d) =>
    {
        for (int i = 0; i < d.Length; i++) d[i] = gs[i] * (1f - ys[i] * ys[i]);
    }));

    /// <summary>max(x, 0).</summary>
    public Tensor Relu() => UnaryOp("relu", static (xs, d) => TensorPrimitives.Max(xs, 0f, d), (x, y, g) => Zip(g, x, static (gs, xs, d) =>
    {
        for (int i = 0; i < d.Length; i++) d[i] = xs[i] > 0 ? gs[i] : 0f;
    }));

    /// <summary>x for x &gt; 0, slope·x otherwise.</summary>
    public Tensor LeakyRelu(float negativeSlope = 0.01f) => UnaryOp("leaky_relu", (xs, d) =>
    {
        for (int i = 0; i < d.Length; i++) d[i] = xs[i] > 0 ? xs[i] : xs[i] * negativeSlope;
    }, (x, y, g) => Zip(g, x, (gs, xs, d) =>
    {
        for (int i = 0; i < d.Length; i++) d[i] = xs[i] > 0 ? gs[i] : gs[i] * negativeSlope;
    }));

    /// <summary>x for x &gt; 0, α(eˣ − 1) otherwise.</summary>
    public Tensor Elu(float alpha = 1f) => UnaryOp("elu", (xs, d) =>
    {
        for (int i = 0; i < d.Length; i++) d[i] = xs[i] > 0 ? xs[i] : alpha * (MathF.Exp(xs[i]) - 1f);
    }, (x, y, g) => Zip(g, x, y, (gs, xs, ys, d) =>
    {
        for (int i = 0; i < d.Length; i++) d[i] = xs[i] > 0 ? gs[i] : gs[i] * (ys[i] + alpha);
    }));

    /// <summary>Gaussian error linear unit: x·Φ(x), or its tanh approximation.</summary>
    public Tensor Gelu(bool approximateTanh = false)
    {
        const float k = 0.7978845608028654f; // sqrt(2/π)
        const float c = 0.044715f;
        if (approximateTanh)
        {
            return UnaryOp("gelu", static (xs, d) =>
            {
                for (int i = 0; i < d.Length; i++)
                {
                    float x = xs[i];
                    d[i] = 0.5f * x * (1f + MathF.Tanh(k * (x + c * x * x * x)));
                }
            }, (x, y, g) => Zip(g, x, static (gs, xs, d) =>
            {
                for (int i = 0; i < d.Length; i++)
                {
                    float v = xs[i];
                    float t = MathF.Tanh(k * (v + c * v * v * v));
                    d[i] = gs[i] * (0.5f * (1f + t) + 0.5f * v * (1f - t * t) * k * (1f + 3f * c * v * v));
                }
            }));
        }
        return UnaryOp("gelu", static (xs, d) =>
        {
            for (int i = 0; i < d.Length; i++) d[i] = (float)(xs[i] * SpecialFunctions.NormalCdf(xs[i]));
        }, (x, y, g) => Zip(g, x, static (gs, xs, d) =>
        {
            const double invSqrt2Pi = 0.3989422804014327;
            for (int i = 0; i < d.Length; i++)
            {
                double v = xs[i];
                d[i] = (float)(gs[i] * (SpecialFunctions.NormalCdf(v) + v * invSqrt2Pi * Math.Exp(-0.5 * v * v)));
            }
        }));
    }

    /// <summary>Fills positions where <paramref name="mask"/> is non-zero with <paramref name="value"/> (mask broadcasts to this shape).</summary>
    public Tensor MaskedFill(Tensor mask, float value)
    {
        ArgumentNullException.ThrowIfNull(mask);
        var m = mask.BroadcastToNoGrad(ShapeSpan, nameof(mask));
        var y = Zip(this, m, (xs, ms, d) =>
        {
            for (int i = 0; i < d.Length; i++) d[i] = ms[i] != 0 ? value : xs[i];
        });
        if (!Autograd.ShouldRecord(this)) return Autograd.Check("masked_fill", y);
        return Autograd.Record("masked_fill", y, new[] { this }, g => new[] { Zip(g, m, static (gs, ms, d) =>
        {
            for (int i = 0; i < d.Length; i++) d[i] = ms[i] != 0 ? 0f : gs[i];
        }) });
    }

    /// <summary>Picks <paramref name="a"/> where <paramref name="condition"/> is non-zero and <paramref name="b"/> elsewhere, broadcasting all three.</summary>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var shape = Broadcasting.Shape(Broadcasting.Shape(condition.ShapeSpan, a.ShapeSpan, "where"), b.ShapeSpan, "where");
        var c = condition.BroadcastToNoGrad(shape, nameof(condition));
        var ae = a.BroadcastToNoGrad(shape, nameof(a));
        var be = b.BroadcastToNoGrad(shape, nameof(b));
        var y = Zip(ae, be, c, static (xa, xb, cs, d) =>
        {
            for (int i = 0; i < d.Length; i++) d[i] = cs[i] != 0 ? xa[i] : xb[i];
        });
        if (!Autograd.ShouldRecord(a, b)) return Autograd.Check("where", y);
        var sa = a.Shape; var sb = b.Shape;
        return Autograd.Record("where", y, new[] { a, b }, g => new[]
        {
            a.RequiresGrad ? Zip(g, c, static (gs, cs, d) => { for (int i = 0; i < d.Length; i++) d[i] = cs[i] != 0 ? gs[i] : 0f; }).SumToShape(sa) : null,
            b.RequiresGrad ? Zip(g, c, static (gs, cs, d) => { for (int i = 0; i < d.Length; i++) d[i] = cs[i] != 0 ? 0f : gs[i]; }).SumToShape(sb) : null,
        });
    }
}
