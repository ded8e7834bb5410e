namespace Wsss.Core.Tensors;

public partial class Tensor
{
    /// <summary>Elements start..start+length−1 along <paramref name="dim"/> (a copy).</summary>
    public Tensor Narrow(int dim, int start, int length) => Slice(dim, start, start + length, 1);

    /// <summary>Elements start, start+step, … below end along <paramref name="dim"/> (Python slicing; negative start/end count from the end).</summary>
    public Tensor Slice(int dim, int start, int end, int step = 1)
    {
        dim = NormalizeDim(dim, Rank, nameof(dim));
        int size = _shape[dim];
        if (step <= 0) ThrowHelper.Argument(nameof(step), $"step must be positive, got {step}");
        if (start < 0) start += size;
        if (end < 0) end += size;
        if (start < 0 || start > size) ThrowHelper.Argument(nameof(start), $"start {start} is out of range for dimension {dim} of size {size}");
        if (end < start || end > size) ThrowHelper.Argument(nameof(end), $"end {end} is out of range [{start}, {size}] for dimension {dim}");
        int len = (end - start + step - 1) / step;
        var (outer, _, inner) = SplitAt(dim);
        var outShape = Shape;
        outShape[dim] = len;
        var y = Allocate(outShape, false);
        var xb = Buffer; var yb = y.Buffer;
        int st = start, sp = step;
        Parallelism.For(outer, (long)len * inner, o =>
        {
            for (int i = 0; i < len; i++)
                Array.Copy(xb, (o * size + st + i * sp) * inner, yb, (o * len + i) * inner, inner);
        });
        if (!Autograd.ShouldRecord(this)) return y;
        var xShape = Shape;
        return Autograd.Record("slice", y, new[] { this }, g =>
        {
            var gx = Zeros(xShape);
            var gb = g.Buffer; var gxb = gx.Buffer;
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < len; i++)
                    Array.Copy(gb, (o * len + i) * inner, gxb, (o * size + st + i * sp) * inner, inner);
            return new[] { gx };
        });
    }

    /// <summary>Joins tensors along <paramref name="dim"/>; all other dimensions must agree.</summary>
    public static Tensor Cat(IReadOnlyList<Tensor> tensors, int dim = 0)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Count == 0) ThrowHelper.Argument(nameof(tensors), "Cat needs at least one tensor");
        var first = tensors[0];
        dim = NormalizeDim(dim, first.Rank, nameof(dim));
        int total = 0;
        for (int i = 0; i < tensors.Count; i++)
        {
            var t = tensors[i];
            if (t.Rank != first.Rank) ThrowHelper.Argument(nameof(tensors), $"Cat: tensor {i} has rank {t.Rank}, tensor 0 has rank {first.Rank}");
            for (int d = 0; d < first.Rank; d++)
                if (d != dim && t._shape[d] != first._shape[d])
                    ThrowHelper.Argument(nameof(tensors), $"Cat along {dim}: tensor {i} has shape {ShapeString(t._shape)}, tensor 0 has {ShapeString(first._shape)}");
            total += t._shape[dim];
        }
        var outShape = first.Shape;
        outShape[dim] = total;
        var y = Allocate(outShape, false);
        var (outer, _, inner) = y.SplitAt(dim);
        var yb = y.Buffer;
        int offset = 0;
        var offsets = new int[tensors.Count];
        for (int i = 0; i < tensors.Count; i++)
        {
            var t = tensors[i];
            int sz = t._shape[dim];
            offsets[i] = offset;
            var tb = t.Buffer;
            int off = offset;
            Parallelism.For(outer, (long)sz * inner, o => Array.Copy(tb, o * sz * inner, yb, (o * total + off) * inner, sz * inner));
            offset += sz;
        }
        var inputs = tensors.ToArray();
        if (!Autograd.ShouldRecord(inputs)) return y;
        return Autograd.Record("cat", y, inputs, g =>
        {
            var grads = new Tensor?[inputs.Length];
            for (int i = 0; i < inputs.Length; i++)
                if (inputs[i].RequiresGrad) grads[i] = g.Slice(dim, offsets[i], offsets[i] + inputs[i]._shape[dim]);
            return grads;
        });
    }

    /// <summary>Stacks equally shaped tensors along a new dimension <paramref name="dim"/>.</summary>
    public static Tensor Stack(IReadOnlyList<Tensor> tensors, int dim = 0)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Count == 0) ThrowHelper.Argument(nameof(tensors), "Stack needs at least one tensor");
        for (int i = 1; i < tensors.Count; i++)
            if (!tensors[i].ShapeSpan.SequenceEqual(tensors[0].ShapeSpan))
                ThrowHelper.Argument(nameof(tensors), $"Stack: tensor {i} has shape {ShapeString(tensors[i]._shape)}, tensor 0 has {ShapeString(tensors[0]._shape)}");
        return Cat(tensors.Select(t => t.Unsqueeze(dim)).ToArray(), dim);
    }

    /// <summary>Splits along <paramref name="dim"/> into pieces of <paramref name="splitSize"/> (the last may be smaller).</summary>
    public Tensor[] Split(int splitSize, int dim = 0)
    {
        if (splitSize <= 0) ThrowHelper.Argument(nameof(splitSize), $"split size must be positive, got {splitSize}");
        int d = NormalizeDim(dim, Rank, nameof(dim));
        var sizes = new List<int>();
        for (int s = 0; s < _shape[d]; s += splitSize) sizes.Add(Math.Min(splitSize, _shape[d] - s));
        return Split(sizes.ToArray(), dim);
    }

    /// <summary>Splits along <paramref name="dim"/> into pieces of the given sizes (which must add up to the dimension).</summary>
    public Tensor[] Split(int[] sizes, int dim = 0)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        int d = NormalizeDim(dim, Rank, nameof(dim));
        if (sizes.Any(s => s < 0) || sizes.Sum() != _shape[d])
            ThrowHelper.Argument(nameof(sizes), $"split sizes [{string.Join(", ", sizes)}] do not add up to dimension {d} of size {_shape[d]}");
        var parts = new Tensor[sizes.Length];
        int start = 0;
        for (int i = 0; i < sizes.Length; i++)
        {
            parts[i] = Narrow(d, start, sizes[i]);
            start += sizes[i];
        }
        return parts;
    }

    /// <summary>Reverses the order of elements along <paramref name="dims"/>.</summary>
    public Tensor Flip(params int[] dims)
    {
        var nd = NormalizeDims(dims, nameof(dims));
        var y = FlipNoGrad(nd);
        if (!Autograd.ShouldRecord(this)) return y;
        return Autograd.Record("flip", y, new[] { this }, g => new[] { g.FlipNoGrad(nd) });
    }

    private Tensor FlipNoGrad(int[] dims)
    {
        var y = Clone();
        foreach (int d in dims)
        {
            var (outer, size, inner) = SplitAt(d);
            var src = y.Buffer;
            var dst = Allocate(Shape, false);
            var db = dst.Buffer;
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < size; i++)
                    Array.Copy(src, (o * size + i) * inner, db, (o * size + size - 1 - i) * inner, inner);
            y = dst;
        }
        return y;
    }

    /// <summary>
    /// Pads the last dimensions: <paramref name="pad"/> lists (before, after) pairs starting from the last dimension,
    /// as torch.nn.functional.pad. Negative padding crops.
    /// </summary>
    public Tensor Pad(int[] pad, PadMode mode = PadMode.Constant, float value = 0f)
    {
        ArgumentNullException.ThrowIfNull(pad);
        if (pad.Length % 2 != 0 || pad.Length / 2 > Rank)
            ThrowHelper.Argument(nameof(pad), $"pad needs (before, after) pairs for at most {Rank} dimensions, got {pad.Length} values");
        int r = Rank;
        var before = new int[r];
        var outShape = Shape;
        for (int i = 0; i < pad.Length / 2; i++)
        {
            int d = r - 1 - i;
            before[d] = pad[2 * i];
            outShape[d] = _shape[d] + pad[2 * i] + pad[2 * i + 1];
            if (outShape[d] < 0) ThrowHelper.Argument(nameof(pad), $"padding makes dimension {d} negative");
            if (mode == PadMode.Replicate && _shape[d] == 0 && outShape[d] > 0) ThrowHelper.Argument(nameof(pad), "replicate padding of an empty dimension");
        }
        var y = Allocate(outShape, false);
        var yb = y.Buffer; var xb = Buffer;
        int n = y.Numel;
        var inStrides = new int[r];
        int st = 1;
        for (int i = r - 1; i >= 0; i--) { inStrides[i] = st; st *= _shape[i]; }
        // Each output element maps to an input index (or to the fill value).
        var map = new int[n];
        var idx = new int[r];
        for (int o = 0; o < n; o++)
        {
            int off = 0;
            bool inside = true;
            for (int d = 0; d < r; d++)
            {
                int i = idx[d] - before[d];
                if (i < 0 || i >= _shape[d])
                {
                    if (mode == PadMode.Replicate) i = Math.Clamp(i, 0, _shape[d] - 1);
                    else { inside = false; break; }
                }
                off += i * inStrides[d];
            }
            map[o] = inside ? off : -1;
            for (int d = r - 1; d >= 0; d--)
            {
                if (++idx[d] < outShape[d]) break;
                idx[d] = 0;
            }
        }
        for (int o = 0; o < n; o++) yb[o] = map[o] >= 0 ? xb[map[o]] : value;
        if (!Autograd.ShouldRecord(this)) return y;
        var xShape = Shape;
        return Autograd.Record("pad", y, new[] { this }, g =>
        {
            var gx = Zeros(xShape);
            var gb = g.Buffer; var gxb = gx.Buffer;
            for (int o = 0; o < n; o++) if (map[o] >= 0) gxb[map[o]] += gb[o];
            return new[] { gx };
        });
    }

    /// <summary>Picks entries <paramref name="index"/> along <paramref name="dim"/>.</summary>
    public Tensor IndexSelect(int dim, int[] index)
    {
        ArgumentNullException.ThrowIfNull(index);
        dim = NormalizeDim(dim, Rank, nameof(dim));
        var (outer, size, inner) = SplitAt(dim);
        foreach (int i in index)
            if ((uint)i >= (uint)size) ThrowHelper.Argument(nameof(index), $"index {i} is out of range for dimension {dim} of size {size}");
        var outShape = Shape;
        outShape[dim] = index.Length;
        var y = Allocate(outShape, false);
        var xb = Buffer; var yb = y.Buffer;
        int k = index.Length;
        for (int o = 0; o < outer; o++)
            for (int j = 0; j < k; j++)
                Array.Copy(xb, (o * size + index[j]) * inner, yb, (o * k + j) * inner, inner);
        if (!Autograd.ShouldRecord(this)) return y;
        var xShape = Shape;
        return Autograd.Record("index_select", y, new[] { this }, g =>
        {
            var gx = Zeros(xShape);
            var gb = g.Buffer; var gxb = gx.Buffer;
            for (int o = 0; o < outer; o++)
                for (int j = 0; j < k; j++)
                {
                    var dst = gxb.AsSpan((o * size + index[j]) * inner, inner);
                    System.Numerics.Tensors.TensorPrimitives.Add(dst, gb.AsSpan((o * k + j) * inner, inner), dst);
                }
            return new[] { gx };
        });
    }

    /// <summary>Picks entries <paramref name="index"/> (integer-valued floats) along <paramref name="dim"/>.</summary>
    public Tensor IndexSelect(int dim, Tensor index)
    {
        ArgumentNullException.ThrowIfNull(index);
        if (index.Rank != 1) ThrowHelper.Argument(nameof(index), $"index must be 1-D, got shape {ShapeString(index._shape)}");
        return IndexSelect(dim, ToIndices(index, nameof(index)));
    }

    /// <summary>out[..., i, ...] = this[..., index[..., i, ...], ...] along <paramref name="dim"/> (torch.gather); index has this rank.</summary>
    public Tensor Gather(int dim, Tensor index)
    {
        ArgumentNullException.ThrowIfNull(index);
        dim = NormalizeDim(dim, Rank, nameof(dim));
        if (index.Rank != Rank) ThrowHelper.Argument(nameof(index), $"index rank {index.Rank} differs from input rank {Rank}");
        for (int d = 0; d < Rank; d++)
            if (d != dim && index._shape[d] > _shape[d])
                ThrowHelper.Argument(nameof(index), $"index shape {ShapeString(index._shape)} exceeds input shape {ShapeString(_shape)} at dimension {d}");
        var idx = ToIndices(index, nameof(index));
        int size = _shape[dim];
        var y = Allocate(index.Shape, false);
        var yb = y.Buffer; var xb = Buffer;
        int r = Rank;
        var xStrides = new int[r];
        int st = 1;
        for (int i = r - 1; i >= 0; i--) { xStrides[i] = st; st *= _shape[i]; }
        var src = new int[idx.Length];
        var pos = new int[r];
        for (int o = 0; o < idx.Length; o++)
        {
            int iv = idx[o];
            if ((uint)iv >= (uint)size) ThrowHelper.Argument(nameof(index), $"index {iv} is out of range for dimension {dim} of size {size}");
            int off = 0;
            for (int d = 0; d < r; d++) off += (d == dim ? iv : pos[d]) * xStrides[d];
            src[o] = off;
            yb[o] = xb[off];
            for (int d = r - 1; d >= 0; d--)
            {
                if (++pos[d] < index._shape[d]) break;
                pos[d] = 0;
            }
        }
        if (!Autograd.ShouldRecord(this)) return y;
        var xShape = Shape;
        return Autograd.Record("gather", y, new[] { this }, g =>
        {
            var gx = Zeros(xShape);
            var gb = g.Buffer; var gxb = gx.Buffer;
            for (int o = 0; o < src.Length; o++) gxb[src[o]] += gb[o];
            return new[] { gx };
        });
    }

    private static int[] ToIndices(Tensor index, string argName)
    {
        var d = index.Data;
        var r = new int[d.Length];
        for (int i = 0; i < d.Length; i++)
        {
            float v = d[i];
            if (v != MathF.Round(v) || !float.IsFinite(v)) ThrowHelper.Argument(argName, $"index values must be integers, got {v} at {i}");
            r[i] = (int)v;
        }
        return r;
    }
}

/// <summary>How <see cref="Tensor.Pad"/> fills the border.</summary>
public enum PadMode
{
    /// <summary>A constant value.</summary>
    Constant,

    /// <summary>The nearest edge value.</summary>
    Replicate,
}
