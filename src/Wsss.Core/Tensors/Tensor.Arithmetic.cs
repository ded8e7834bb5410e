using System.Numerics.Tensors;

namespace Wsss.Core.Tensors;

public partial class Tensor
{
    private static Tensor BinaryForward<TOp>(Tensor a, Tensor b, string op) where TOp : IBinaryOp
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var shape = Broadcasting.Shape(a.ShapeSpan, b.ShapeSpan, op);
        var y = Allocate(shape, clear: false);
        Broadcasting.Run<TOp>(a, b, y);
        return y;
    }

    internal static Tensor AddNoGrad(Tensor a, Tensor b) => BinaryForward<AddOp>(a, b, "add");

    /// <summary>a + b with broadcasting.</summary>
    public static Tensor Add(Tensor a, Tensor b)
    {
        var y = BinaryForward<AddOp>(a, b, "add");
        if (!Autograd.ShouldRecord(a, b)) return Autograd.Check("add", y);
        var sa = a.Shape; var sb = b.Shape;
        return Autograd.Record("add", y, new[] { a, b }, g => new[] { a.RequiresGrad ? g.SumToShape(sa) : null, b.RequiresGrad ? g.SumToShape(sb) : null });
    }

    /// <summary>a − b with broadcasting.</summary>
    public static Tensor Sub(Tensor a, Tensor b)
    {
        var y = BinaryForward<SubOp>(a, b, "sub");
        if (!Autograd.ShouldRecord(a, b)) return Autograd.Check("sub", y);
        var sa = a.Shape; var sb = b.Shape;
        return Autograd.Record("sub", y, new[] { a, b }, g => new[] { a.RequiresGrad ? g.SumToShape(sa) : null, b.RequiresGrad ? g.Neg().SumToShape(sb) : null });
    }

    /// <summary>a · b element-wise with broadcasting.</summary>
    public static Tensor Mul(Tensor a, Tensor b)
    {
        var y = BinaryForward<MulOp>(a, b, "mul");
        if (!Autograd.ShouldRecord(a, b)) return Autograd.Check("mul", y);
        return Autograd.Record("mul", y, new[] { a, b }, g => new[]
        {
            a.RequiresGrad ? BinaryForward<MulOp>(g, b, "mul").SumToShape(a.Shape) : null,
            b.RequiresGrad ? BinaryForward<MulOp>(g, a, "mul").SumToShape(b.Shape) : null,
        });
    }

    /// <summary>a / b element-wise with broadcasting.</summary>
    public static Tensor Div(Tensor a, Tensor b)
    {
        var y = BinaryForward<DivOp>(a, b, "div");
        if (!Autograd.ShouldRecord(a, b)) return Autograd.Check("div", y);
        return Autograd.Record("div", y, new[] { a, b }, g =>
        {
            Tensor? ga = a.RequiresGrad ? BinaryForward<DivOp>(g, b, "div").SumToShape(a.Shape) : null;
            Tensor? gb = null;
            if (b.RequiresGrad)
            {
                // d(a/b)/db = −y/b
                var t = BinaryForward<MulOp>(g, y, "mul");
                var u = BinaryForward<DivOp>(t, b, "div");
                gb = u.Neg().SumToShape(b.Shape);
            }
            return new[] { ga, gb };
        });
    }

    /// <summary>a raised to b element-wise with broadcasting.</summary>
    public static Tensor Pow(Tensor a, Tensor b)
    {
        var y = BinaryForward<PowOp>(a, b, "pow");
        if (!Autograd.ShouldRecord(a, b)) return Autograd.Check("pow", y);
        return Autograd.Record("pow", y, new[] { a, b }, g =>
        {
            Tensor? ga = null, gb = null;
            if (a.RequiresGrad)
            {
                // b · a^(b−1)
                var bm1 = b.AddScalar(-1f);
                var p = BinaryForward<PowOp>(a, bm1, "pow");
                ga = BinaryForward<MulOp>(BinaryForward<MulOp>(p, b, "mul"), g, "mul").SumToShape(a.Shape);
            }
            if (b.RequiresGrad)
            {
                var la = a.Map(TensorPrimitives.Log);
                gb = BinaryForward<MulOp>(BinaryForward<MulOp>(y, la, "mul"), g, "mul").SumToShape(b.Shape);
            }
            return new[] { ga, gb };
        });
    }

    /// <summary>Element-wise maximum with broadcasting (gradient to the larger; ties split evenly as PyTorch does).</summary>
    public static Tensor Maximum(Tensor a, Tensor b) => MinMaxBinary<MaximumOp>(a, b, "maximum", true);

    /// <summary>Element-wise minimum with broadcasting.</summary>
    public static Tensor Minimum(Tensor a, Tensor b) => MinMaxBinary<MinimumOp>(a, b, "minimum", false);

    private static Tensor MinMaxBinary<TOp>(Tensor a, Tensor b, string op, bool isMax) where TOp : IBinaryOp
    {
        var y = BinaryForward<TOp>(a, b, op);
        if (!Autograd.ShouldRecord(a, b)) return Autograd.Check(op, y);
        return Autograd.Record(op, y, new[] { a, b }, g =>
        {
            var ae = a.BroadcastTo(y.ShapeSpan); var be = b.BroadcastTo(y.ShapeSpan);
            var wa = Allocate(y.Shape, false); var wb = Allocate(y.Shape, false);
            var av = ae.Data; var bv = be.Data; var gv = g.Data; var wav = wa.Data; var wbv = wb.Data;
            for (int i = 0; i < gv.Length; i++)
            {
                float x = av[i], z = bv[i];
                float fa = x == z ? 0.5f : ((isMax ? x > z : x < z) ? 1f : 0f);
                wav[i] = gv[i] * fa;
                wbv[i] = gv[i] * (1f - fa);
            }
            return new[] { a.RequiresGrad ? wa.SumToShape(a.Shape) : null, b.RequiresGrad ? wb.SumToShape(b.Shape) : null };
        });
    }

    /// <summary>this + value.</summary>
    public Tensor AddScalar(float value) => UnaryOp("add", (x, y) => TensorPrimitives.Add(x, value, y), (x, y, g) => g.Clone());

    /// <summary>this · value.</summary>
    public Tensor MulScalar(float value) => UnaryOp("mul", (x, y) => TensorPrimitives.Multiply(x, value, y), (x, y, g) => g.MulScalarNoGrad(value));

    /// <summary>this / value.</summary>
    public Tensor DivScalar(float value) => MulScalar(1f / value);

    /// <summary>value − this.</summary>
    public Tensor RSubScalar(float value) => UnaryOp("rsub", (x, y) => TensorPrimitives.Subtract(value, x, y), (x, y, g) => g.MulScalarNoGrad(-1f));

    /// <summary>value / this.</summary>
    public Tensor RDivScalar(float value) => UnaryOp("rdiv", (x, y) => TensorPrimitives.Divide(value, x, y), (x, y, g) =>
    {
        // −value/x² = −y/x
        var t = BinaryForward<MulOp>(g, y, "mul");
        return BinaryForward<DivOp>(t, x, "div").MulScalarNoGrad(-1f);
    });

    internal Tensor MulScalarNoGrad(float value)
    {
        var y = Allocate(Shape, false);
        TensorPrimitives.Multiply(Data, value, y.Data);
        return y;
    }

    /// <summary>a + b.</summary>
    public static Tensor operator +(Tensor a, Tensor b) => Add(a, b);

    /// <summary>a − b.</summary>
    public static Tensor operator -(Tensor a, Tensor b) => Sub(a, b);

    /// <summary>a · b element-wise.</summary>
    public static Tensor operator *(Tensor a, Tensor b) => Mul(a, b);

    /// <summary>a / b element-wise.</summary>
    public static Tensor operator /(Tensor a, Tensor b) => Div(a, b);

    /// <summary>a + s.</summary>
    public static Tensor operator +(Tensor a, float s) => a.AddScalar(s);

    /// <summary>s + a.</summary>
    public static Tensor operator +(float s, Tensor a) => a.AddScalar(s);

    /// <summary>a − s.</summary>
    public static Tensor operator -(Tensor a, float s) => a.AddScalar(-s);

    /// <summary>s − a.</summary>
    public static Tensor operator -(float s, Tensor a) => a.RSubScalar(s);

    /// <summary>a · s.</summary>
    public static Tensor operator *(Tensor a, float s) => a.MulScalar(s);

    /// <summary>s · a.</summary>
    public static Tensor operator *(float s, Tensor a) => a.MulScalar(s);

    /// <summary>a / s.</summary>
    public static Tensor operator /(Tensor a, float s) => a.DivScalar(s);

    /// <summary>s / a.</summary>
    public static Tensor operator /(float s, Tensor a) => a.RDivScalar(s);

    /// <summary>−a.</summary>
    public static Tensor operator -(Tensor a) => a.Neg();

    /// <summary>Sums a gradient down to <paramref name="shape"/> over the broadcast dimensions.</summary>
    internal Tensor SumToShape(ReadOnlySpan<int> shape)
    {
        if (ShapeSpan.SequenceEqual(shape)) return this;
        int r = Rank;
        var dims = new List<int>();
        for (int d = 0; d < r; d++)
        {
            int o = d - (r - shape.Length);
            int target = o >= 0 ? shape[o] : 1;
            if (target == 1 && _shape[d] != 1) dims.Add(d);
            else if (target != _shape[d]) ThrowHelper.InvalidOperation($"cannot sum shape {ShapeString(_shape)} to {ShapeString(shape)}");
        }
        var s = dims.Count > 0 ? SumNoGrad(dims.ToArray(), keepDim: true) : this;
        return s.ReshapeNoGrad(shape.ToArray());
    }
}
