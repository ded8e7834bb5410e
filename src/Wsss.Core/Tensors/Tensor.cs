using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Wsss.Core.Tensors;

/// <summary>
/// A float32 tensor: contiguous, row-major (NCHW for images), with reverse-mode autograd.
/// Every operation checks shapes and throws an <see cref="ArgumentException"/> naming the argument
/// and the shapes involved. Reshapes share storage; every other operation returns a new tensor.
/// </summary>
/// <remarks>Mirrors torch.Tensor: <c>RequiresGrad</c>, <c>Backward()</c>, <c>Grad</c>, <c>Detach()</c>.</remarks>
public partial class Tensor : IDisposable
{
    internal readonly TensorStorage Storage;
    internal readonly int[] _shape;
    private readonly int _numel;
    private bool _requiresGrad;
    private bool _disposed;

    internal Tensor(TensorStorage storage, int[] shape, int numel, bool registerInScope = true)
    {
        Storage = storage;
        _shape = shape;
        _numel = numel;
        if (registerInScope) TensorScope.Register(this);
    }

    /// <summary>Makes a tensor that shares <paramref name="source"/>'s storage and belongs to no scope (for <c>Parameter</c>).</summary>
    protected Tensor(Tensor source)
    {
        ArgumentNullException.ThrowIfNull(source);
        source.Storage.AddRef();
        Storage = source.Storage;
        _shape = (int[])source._shape.Clone();
        _numel = source._numel;
    }

    /// <summary>Allocates an uninitialised (or zeroed) tensor from the pool.</summary>
    internal static Tensor Allocate(int[] shape, bool clear)
    {
        int n = CheckedNumel(shape, nameof(shape));
        return new Tensor(new TensorStorage(TensorPool.Rent(n, clear), pooled: true), shape, n);
    }

    internal static Tensor Empty(ReadOnlySpan<int> shape) => Allocate(shape.ToArray(), clear: false);

    internal static int CheckedNumel(ReadOnlySpan<int> shape, string argName)
    {
        long n = 1;
        foreach (int d in shape)
        {
            if (d < 0) ThrowHelper.Argument(argName, $"dimensions must be non-negative, got {ShapeString(shape)}");
            n *= d;
            if (n > Array.MaxLength) ThrowHelper.Argument(argName, $"shape {ShapeString(shape)} holds more than {Array.MaxLength} elements");
        }
        return (int)n;
    }

    /// <summary>The dimensions (a copy).</summary>
    public int[] Shape => (int[])_shape.Clone();

    /// <summary>The dimensions, without copying.</summary>
    public ReadOnlySpan<int> ShapeSpan => _shape;

    /// <summary>Number of dimensions.</summary>
    public int Rank => _shape.Length;

    /// <summary>Number of elements.</summary>
    public int Numel => _numel;

    /// <summary>Size of dimension <paramref name="dim"/> (negative counts from the end).</summary>
    public int Size(int dim) => _shape[NormalizeDim(dim, Rank, nameof(dim))];

    /// <summary>The elements in row-major order. Writing through this span bypasses autograd.</summary>
    public Span<float> Data
    {
        get
        {
            if (_disposed) ThrowDisposed();
            return Storage.Array.AsSpan(0, _numel);
        }
    }

    internal float[] Buffer
    {
        get
        {
            if (_disposed) ThrowDisposed();
            return Storage.Array;
        }
    }

    /// <summary>True once <see cref="Dispose"/> ran (directly or through a <see cref="TensorScope"/>).</summary>
    public bool IsDisposed => _disposed;

    /// <summary>The element at the given indices (one per dimension).</summary>
    [System.Runtime.CompilerServices.IndexerName("Element")]
    public float this[params int[] indices]
    {
        get => Data[FlatIndex(indices)];
        set => Data[FlatIndex(indices)] = value;
    }

    private int FlatIndex(int[] indices)
    {
        if (indices.Length != Rank) ThrowHelper.Argument(nameof(indices), $"expected {Rank} indices for shape {ShapeString(_shape)}, got {indices.Length}");
        int flat = 0;
        for (int d = 0; d < indices.Length; d++)
        {
            int i = indices[d];
            if (i < 0) i += _shape[d];
            if ((uint)i >= (uint)_shape[d]) ThrowHelper.Argument(nameof(indices), $"index {indices[d]} is out of range for dimension {d} of size {_shape[d]}");
            flat = flat * _shape[d] + i;
        }
        return flat;
    }

    /// <summary>The value of a one-element tensor.</summary>
    public float Item()
    {
        if (_numel != 1) ThrowHelper.InvalidOperation($"Item() needs a tensor with one element, this one has shape {ShapeString(_shape)}");
        return Data[0];
    }

    /// <summary>A copy of the elements.</summary>
    public float[] ToArray() => Data.ToArray();

    /// <summary>Whether operations on this tensor are recorded for <see cref="Backward"/>. Only leaves may be changed.</summary>
    public bool RequiresGrad
    {
        get => _requiresGrad;
        set
        {
            if (GradFn is not null && !value) ThrowHelper.InvalidOperation("RequiresGrad can only be cleared on leaf tensors; use Detach() instead");
            _requiresGrad = value;
        }
    }

    /// <summary>The accumulated gradient of a leaf after <see cref="Backward"/>.</summary>
    public Tensor? Grad { get; set; }

    internal GradNode? GradFn { get; set; }

    /// <summary>Disposes <see cref="Grad"/> (its buffer goes back to the pool) and sets it to null.</summary>
    public void ClearGrad()
    {
        Grad?.Dispose();
        Grad = null;
    }

    /// <summary>True for tensors not produced by a recorded operation.</summary>
    public bool IsLeaf => GradFn is null;

    /// <summary>The name of the operation that produced this tensor, or null for leaves.</summary>
    public string? GradFnName => GradFn?.Op;

    internal void RequiresGradInternal() => _requiresGrad = true;

    /// <summary>Sets <see cref="RequiresGrad"/> and returns this tensor.</summary>
    public Tensor RequiresGrad_(bool requiresGrad = true)
    {
        RequiresGrad = requiresGrad;
        return this;
    }

    /// <summary>A tensor sharing this one's data, cut from the graph.</summary>
    public Tensor Detach()
    {
        Storage.AddRef();
        return new Tensor(Storage, (int[])_shape.Clone(), _numel);
    }

    /// <summary>A deep copy cut from the graph.</summary>
    public Tensor Clone()
    {
        var t = Allocate((int[])_shape.Clone(), clear: false);
        Data.CopyTo(t.Data);
        return t;
    }

    /// <summary>Back-propagates from this tensor (a scalar unless <paramref name="gradient"/> is given), accumulating into the leaves' <see cref="Grad"/>.</summary>
    public void Backward(Tensor? gradient = null) => Autograd.Backward(this, gradient);

    /// <summary>Returns the storage to the pool. Using the tensor afterwards throws <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        GradFn = null;
        Storage.Release();
    }

    [DoesNotReturn]
    private static void ThrowDisposed() => throw new ObjectDisposedException(nameof(Tensor), "The tensor was disposed (by Dispose or by the end of its TensorScope).");

    internal static int NormalizeDim(int dim, int rank, string argName)
    {
        int d = dim < 0 ? dim + rank : dim;
        if ((uint)d >= (uint)Math.Max(rank, 1) || (rank == 0 && dim != 0 && dim != -1))
            ThrowHelper.Argument(argName, $"dimension {dim} is out of range for a tensor of rank {rank}");
        return rank == 0 ? 0 : d;
    }

    /// <summary>Formats a shape as "(2, 3, 4)".</summary>
    public static string ShapeString(ReadOnlySpan<int> shape)
    {
        var sb = new StringBuilder("(");
        for (int i = 0; i < shape.Length; i++)
        {
            if (i > 0) sb.Append(", ");
            sb.Append(shape[i]);
        }
        if (shape.Length == 1) sb.Append(',');
        return sb.Append(')').ToString();
    }

    /// <inheritdoc />
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append("Tensor").Append(ShapeString(_shape));
        if (GradFn is not null) sb.Append(" grad_fn=").Append(GradFn.Op);
        else if (_requiresGrad) sb.Append(" requires_grad");
        if (_disposed) return sb.Append(" [disposed]").ToString();
        sb.Append(" [");
        var d = Data;
        int show = Math.Min(d.Length, 8);
        for (int i = 0; i < show; i++)
        {
            if (i > 0) sb.Append(", ");
            sb.Append(d[i].ToString("G6", System.Globalization.CultureInfo.InvariantCulture));
        }
        if (d.Length > show) sb.Append(", ...");
        return sb.Append(']').ToString();
    }
}
