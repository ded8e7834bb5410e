namespace Wsss.Core.Tensors;

public partial class Tensor
{
    private int[] InferShape(int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var s = (int[])shape.Clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == -1)
            {
                if (infer >= 0) ThrowHelper.Argument(nameof(shape), $"only one dimension can be -1 in {ShapeString(shape)}");
                infer = i;
            }
            else if (s[i] < 0) ThrowHelper.Argument(nameof(shape), $"invalid dimension {s[i]} in {ShapeString(shape)}");
            else known *= s[i];
        }
        if (infer >= 0)
        {
            if (known == 0 || Numel % known != 0) ThrowHelper.Argument(nameof(shape), $"shape {ShapeString(shape)} is invalid for {Numel} elements of shape {ShapeString(_shape)}");
            s[infer] = (int)(Numel / known);
        }
        else if (known != Numel)
        {
            ThrowHelper.Argument(nameof(shape), $"shape {ShapeString(shape)} is invalid for {Numel} elements of shape {ShapeString(_shape)}");
        }
        return s;
    }

    internal Tensor ReshapeNoGrad(int[] shape)
    {
        var s = InferShape(shape);
        Storage.AddRef();
        return new Tensor(Storage, s, Numel);
    }

    /// <summary>The same elements with another shape (one dimension may be −1); shares storage.</summary>
    public Tensor Reshape(params int[] shape)
    {
        var y = ReshapeNoGrad(shape);
        if (!Autograd.ShouldRecord(this)) return y;
        var orig = Shape;
        return Autograd.Record("reshape", y, new[] { this }, g => new[] { g.ReshapeNoGrad(orig) });
    }

    /// <summary>Alias of <see cref="Reshape"/> (every tensor is contiguous).</summary>
    public Tensor View(params int[] shape) => Reshape(shape);

    /// <summary>Merges dimensions <paramref name="startDim"/>..<paramref name="endDim"/> into one.</summary>
    public Tensor Flatten(int startDim = 0, int endDim = -1)
    {
        if (Rank == 0) return Reshape(1);
        int s = NormalizeDim(startDim, Rank, nameof(startDim)), e = NormalizeDim(endDim, Rank, nameof(endDim));
        if (s > e) ThrowHelper.Argument(nameof(startDim), $"startDim {startDim} comes after endDim {endDim}");
        var shape = new List<int>();
        for (int i = 0; i < s; i++) shape.Add(_shape[i]);
        int m = 1;
        for (int i = s; i <= e; i++) m *= _shape[i];
        shape.Add(m);
        for (int i = e + 1; i < Rank; i++) shape.Add(_shape[i]);
        return Reshape(shape.ToArray());
    }

    /// <summary>Inserts a dimension of size 1 at <paramref name="dim"/>.</summary>
    public Tensor Unsqueeze(int dim)
    {
        int d = dim < 0 ? dim + Rank + 1 : dim;
        if (d < 0 || d > Rank) ThrowHelper.Argument(nameof(dim), $"dimension {dim} is out of range for unsqueeze of a rank-{Rank} tensor");
        var s = new List<int>(_shape);
        s.Insert(d, 1);
        return Reshape(s.ToArray());
    }

    /// <summary>Removes dimension <paramref name="dim"/> if it has size 1, or all size-1 dimensions when null.</summary>
    public Tensor Squeeze(int? dim = null)
    {
        var s = new List<int>(_shape);
        if (dim is int dd)
        {
            int d = NormalizeDim(dd, Rank, nameof(dim));
            if (s[d] == 1) s.RemoveAt(d);
        }
        else s.RemoveAll(v => v == 1);
        return Reshape(s.ToArray());
    }

    /// <summary>Materialises this tensor broadcast to <paramref name="shape"/> (torch expand + contiguous).</summary>
    public Tensor BroadcastTo(ReadOnlySpan<int> shape)
    {
        var y = BroadcastToNoGrad(shape, nameof(shape));
        if (ReferenceEquals(y, this) || !Autograd.ShouldRecord(this)) return y;
        var orig = Shape;
        return Autograd.Record("expand", y, new[] { this }, g => new[] { g.SumToShape(orig) });
    }

    /// <summary>Alias of <see cref="BroadcastTo"/>.</summary>
    public Tensor Expand(params int[] shape) => BroadcastTo(shape);

    internal Tensor BroadcastToNoGrad(ReadOnlySpan<int> shape, string argName)
    {
        if (ShapeSpan.SequenceEqual(shape)) return this;
        var target = shape.ToArray();
        var bs = Broadcasting.Shape(_shape, target, "broadcast");
        if (!bs.AsSpan().SequenceEqual(target))
            ThrowHelper.Argument(argName, $"shape {ShapeString(_shape)} cannot be broadcast to {ShapeString(target)}");
        var zeros = Zeros(1);
        var y = Allocate(target, false);
        Broadcasting.Run<AddOp>(this, zeros, y);
        return y;
    }

    /// <summary>Reorders dimensions (a copy).</summary>
    public Tensor Permute(params int[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        if (dims.Length != Rank) ThrowHelper.Argument(nameof(dims), $"permutation [{string.Join(", ", dims)}] does not match rank {Rank}");
        var p = NormalizeDims(dims, nameof(dims));
        var y = PermuteNoGrad(p);
        if (!Autograd.ShouldRecord(this)) return y;
        var inv = new int[p.Length];
        for (int i = 0; i < p.Length; i++) inv[p[i]] = i;
        return Autograd.Record("permute", y, new[] { this }, g => new[] { g.PermuteNoGrad(inv) });
    }

    internal Tensor PermuteNoGrad(int[] p)
    {
        int r = Rank;
        var outShape = new int[r];
        for (int i = 0; i < r; i++) outShape[i] = _shape[p[i]];
        var y = Allocate(outShape, false);
        var inStrides = new int[r];
        int st = 1;
        for (int i = r - 1; i >= 0; i--) { inStrides[i] = st; st *= _shape[i]; }
        var srcStride = new int[r];
        for (int i = 0; i < r; i++) srcStride[i] = inStrides[p[i]];
        var xb = Buffer; var yb = y.Buffer;
        int n = Numel;
        if (n == 0) return y;
        int last = r - 1;
        int innerLen = r == 0 ? 1 : outShape[last];
        int innerStride = r == 0 ? 1 : srcStride[last];
        int rows = n / Math.Max(innerLen, 1);
        Parallelism.For(rows, innerLen, row =>
        {
            int rem = row, off = 0;
            for (int d = last - 1; d >= 0; d--)
            {
                int idx = rem % outShape[d];
                rem /= outShape[d];
                off += idx * srcStride[d];
            }
            int o = row * innerLen;
            if (innerStride == 1) Array.Copy(xb, off, yb, o, innerLen);
            else for (int j = 0; j < innerLen; j++) yb[o + j] = xb[off + j * innerStride];
        });
        return y;
    }

    /// <summary>Swaps two dimensions (a copy).</summary>
    public Tensor Transpose(int dim0, int dim1)
    {
        var p = Enumerable.Range(0, Rank).ToArray();
        int a = NormalizeDim(dim0, Rank, nameof(dim0)), b = NormalizeDim(dim1, Rank, nameof(dim1));
        (p[a], p[b]) = (p[b], p[a]);
        return Permute(p);
    }

    /// <summary>Matrix transpose of a 2-D tensor.</summary>
    public Tensor T()
    {
        if (Rank != 2) ThrowHelper.InvalidOperation($"T() needs a 2-D tensor, got shape {ShapeString(_shape)}");
        return Transpose(0, 1);
    }
}
