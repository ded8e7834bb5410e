namespace Wsss.Core.Tensors;

public partial class Tensor
{
    /// <summary>A tensor of zeros.</summary>
    public static Tensor Zeros(params int[] shape) => Allocate(CopyShape(shape), clear: true);

    /// <summary>A tensor of ones.</summary>
    public static Tensor Ones(params int[] shape) => Full(shape, 1f);

    /// <summary>A tensor filled with <paramref name="value"/>.</summary>
    public static Tensor Full(int[] shape, float value)
    {
        var t = Allocate(CopyShape(shape), clear: false);
        t.Data.Fill(value);
        return t;
    }

    /// <summary>A zero tensor shaped like <paramref name="other"/>.</summary>
    public static Tensor ZerosLike(Tensor other) => Allocate(other.Shape, clear: true);

    /// <summary>A one tensor shaped like <paramref name="other"/>.</summary>
    public static Tensor OnesLike(Tensor other) => Full(other.Shape, 1f);

    /// <summary>A 0-d tensor holding <paramref name="value"/>.</summary>
    public static Tensor Scalar(float value)
    {
        var t = Allocate(Array.Empty<int>(), clear: false);
        t.Data[0] = value;
        return t;
    }

    /// <summary>Values start, start+step, … below end (1-D).</summary>
    public static Tensor Arange(float start, float end, float step = 1f)
    {
        if (step == 0 || !float.IsFinite(step)) ThrowHelper.Argument(nameof(step), $"step must be finite and non-zero, got {step}");
        double count = Math.Ceiling(((double)end - start) / step);
        if (count > Array.MaxLength) ThrowHelper.Argument(nameof(end), "too many elements");
        int n = Math.Max(0, (int)count);
        var t = Allocate(new[] { n }, clear: false);
        var d = t.Data;
        for (int i = 0; i < n; i++) d[i] = (float)(start + (double)i * step);
        return t;
    }

    /// <summary>0, 1, …, end−1 (1-D).</summary>
    public static Tensor Arange(int end) => Arange(0, end, 1);

    /// <summary>Uniform values in [0, 1) from <paramref name="generator"/> (default: <see cref="Generator.Default"/>).</summary>
    public static Tensor Rand(int[] shape, Generator? generator = null)
    {
        var t = Allocate(CopyShape(shape), clear: false);
        (generator ?? Generator.Default).FillUniform(t.Data);
        return t;
    }

    /// <summary>Standard normal values from <paramref name="generator"/> (default: <see cref="Generator.Default"/>).</summary>
    public static Tensor Randn(int[] shape, Generator? generator = null)
    {
        var t = Allocate(CopyShape(shape), clear: false);
        (generator ?? Generator.Default).FillNormal(t.Data);
        return t;
    }

    /// <summary>A tensor holding a copy of <paramref name="data"/> with the given shape.</summary>
    public static Tensor FromArray(ReadOnlySpan<float> data, params int[] shape)
    {
        var s = CopyShape(shape);
        int n = CheckedNumel(s, nameof(shape));
        if (n != data.Length) ThrowHelper.Argument(nameof(data), $"{data.Length} values do not fill shape {ShapeString(s)} ({n} elements)");
        var t = Allocate(s, clear: false);
        data.CopyTo(t.Data);
        return t;
    }

    /// <summary>A tensor that wraps <paramref name="data"/> without copying (it must not be pooled or reused elsewhere).</summary>
    public static Tensor Wrap(float[] data, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        var s = CopyShape(shape);
        int n = CheckedNumel(s, nameof(shape));
        if (n != data.Length) ThrowHelper.Argument(nameof(data), $"{data.Length} values do not fill shape {ShapeString(s)} ({n} elements)");
        return new Tensor(new TensorStorage(data, pooled: false), s, n);
    }

    private static int[] CopyShape(int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var s = (int[])shape.Clone();
        CheckedNumel(s, nameof(shape));
        return s;
    }
}
