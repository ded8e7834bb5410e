using System.Numerics;

namespace Wsss.Core.Tensors;

/// <summary>
/// Recycles the large float buffers behind tensors so that a training loop that disposes its
/// intermediates (see <see cref="TensorScope"/>) does not churn the large-object heap.
/// Buffers come in four size classes per octave (2ᵏ·{1, 1.25, 1.5, 1.75}, at most 25% slack); small ones
/// are plain allocations.
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
        var b = new Stack<float[]>[4 * 32];
        for (int i = 0; i < b.Length; i++) b[i] = new Stack<float[]>();
        return b;
    }

    internal static bool IsPoolable(int length) => length >= MinPooledLength;

    /// <summary>The size class holding <paramref name="length"/>: 4·k + q for the class size 2ᵏ·(1 + q/4).</summary>
    private static int BucketOf(int length)
    {
        int k = BitOperations.Log2((uint)length);
        if ((length & (length - 1)) == 0) return 4 * k;
        long step = 1L << Math.Max(k - 2, 0);
        int q = (int)((length - (1L << k) + step - 1) / step);
        return q == 4 ? 4 * (k + 1) : 4 * k + q;
    }

    private static long ClassSize(int bucket) => (1L << (bucket / 4)) + (bucket % 4) * (1L << Math.Max(bucket / 4 - 2, 0));

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
        if (array is null)
        {
            int size = (int)Math.Min(ClassSize(bucket), Array.MaxLength);
            return clear ? new float[size] : GC.AllocateUninitializedArray<float>(size);
        }
        Interlocked.Add(ref _retainedBytes, -(long)array.Length * sizeof(float));
        if (clear) Array.Clear(array, 0, length);
        return array;
    }

    /// <summary>Returns a buffer obtained from <see cref="Rent"/>.</summary>
    internal static void Return(float[] array)
    {
        if (!IsPoolable(array.Length)) return;
        int bucket = BucketOf(array.Length);
        if (ClassSize(bucket) != array.Length) return;
        long bytes = (long)array.Length * sizeof(float);
        if (RetainedBytes + bytes > MaxRetainedBytes) return;
        var stack = Buckets[bucket];
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
