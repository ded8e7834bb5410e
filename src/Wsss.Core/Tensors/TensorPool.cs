using System.Numerics;

namespace Wsss.Core.Tensors;

/// <summary>
/// Recycles the large float buffers behind tensors so that a training loop that disposes its
/// intermediates (see <see cref="TensorScope"/>) does not churn the large-object heap.
/// Buffers come in power-of-two size classes; small ones are plain allocations.
/// </summary>
public static class TensorPool
{
    /// <summary>Buffers shorter than this many floats are not pooled (the small-object heap handles them well).</summary>
    public const int MinPooledLength = 4096;

    private static readonly Stack<float[]>[] Buckets = CreateBuckets();
    private static long _retainedBytes;

    /// <summary>Upper bound on the bytes the pool keeps idle; returns beyond it are left to the GC. Default 2 GiB.</summary>
    public static long MaxRetainedBytes { get; set; } = 2L << 30;

    /// <summary>Bytes currently idle in the pool.</summary>
    public static long RetainedBytes => Interlocked.Read(ref _retainedBytes);

    private static Stack<float[]>[] CreateBuckets()
    {
        var b = new Stack<float[]>[32];
        for (int i = 0; i < b.Length; i++) b[i] = new Stack<float[]>();
        return b;
    }

    internal static bool IsPoolable(int length) => length >= MinPooledLength;

    private static int BucketOf(int length) => BitOperations.Log2(BitOperations.RoundUpToPowerOf2((uint)length));

    /// <summary>Gets a buffer of at least <paramref name="length"/> floats; zeroed when <paramref name="clear"/> is set.</summary>
    internal static float[] Rent(int length, bool clear)
    {
        if (!IsPoolable(length)) return new float[length];
        int bucket = BucketOf(length);
        float[]? array = null;
        var stack = Buckets[bucket];
        lock (stack)
        {
            if (stack.Count > 0) array = stack.Pop();
        }
        if (array is null) return clear ? new float[1 << bucket] : GC.AllocateUninitializedArray<float>(1 << bucket);
        Interlocked.Add(ref _retainedBytes, -(long)array.Length * sizeof(float));
        if (clear) Array.Clear(array, 0, length);
        return array;
    }

    /// <summary>Returns a buffer obtained from <see cref="Rent"/>.</summary>
    internal static void Return(float[] array)
    {
        if (!IsPoolable(array.Length) || !BitOperations.IsPow2(array.Length)) return;
        long bytes = (long)array.Length * sizeof(float);
        if (RetainedBytes + bytes > MaxRetainedBytes) return;
        var stack = Buckets[BucketOf(array.Length)];
        lock (stack) stack.Push(array);
        Interlocked.Add(ref _retainedBytes, bytes);
    }

    /// <summary>Drops every idle buffer.</summary>
    public static void Trim()
    {
        foreach (var stack in Buckets)
        {
            lock (stack)
            {
                while (stack.Count > 0) Interlocked.Add(ref _retainedBytes, -(long)stack.Pop().Length * sizeof(float));
            }
        }
    }
}
