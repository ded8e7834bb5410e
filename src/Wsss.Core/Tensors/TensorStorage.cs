namespace Wsss.Core.Tensors;

/// <summary>Reference-counted float buffer shared by a tensor and its views.</summary>
internal sealed class TensorStorage
{
    private float[]? _array;
    private readonly bool _pooled;
    private int _refs = 1;

    public TensorStorage(float[] array, bool pooled)
    {
        _array = array;
        _pooled = pooled;
    }

    public float[] Array => _array ?? throw new ObjectDisposedException(nameof(Tensor), "The tensor's storage was disposed (by Dispose or by the end of its TensorScope).");

    public bool IsDisposed => _array is null;

    public void AddRef() => Interlocked.Increment(ref _refs);

    public void Release()
    {
        if (Interlocked.Decrement(ref _refs) != 0) return;
        var a = Interlocked.Exchange(ref _array, null);
        if (a is not null && _pooled) TensorPool.Return(a);
    }
}
