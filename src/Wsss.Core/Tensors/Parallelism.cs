namespace Wsss.Core.Tensors;

/// <summary>Splits element-wise work into cache-sized chunks and spreads them over the cores.</summary>
public static class Parallelism
{
    /// <summary>Floats per chunk (64 KiB): small enough for TensorPrimitives to stay on its fast path.</summary>
    public const int ChunkSize = 16384;

    private static int _maxDegree = Environment.ProcessorCount;

    /// <summary>How many threads engine kernels may use (default: all cores).</summary>
    public static int MaxDegreeOfParallelism
    {
        get => _maxDegree;
        set
        {
            if (value < 1) ThrowHelper.ArgumentOutOfRange(nameof(value), value, "must be at least 1");
            _maxDegree = value;
        }
    }

    internal static ParallelOptions Options => new() { MaxDegreeOfParallelism = _maxDegree };

    /// <summary>Runs <paramref name="body"/>(start, length) over [0, n) in chunks, in parallel when large.</summary>
    internal static void ForChunks(int n, Action<int, int> body)
    {
        if (n <= 0) return;
        int chunks = (n + ChunkSize - 1) / ChunkSize;
        if (chunks <= 1 || _maxDegree == 1)
        {
            for (int c = 0; c < chunks; c++)
            {
                int s = c * ChunkSize;
                body(s, Math.Min(ChunkSize, n - s));
            }
            return;
        }
        Parallel.For(0, chunks, Options, c =>
        {
            int s = c * ChunkSize;
            body(s, Math.Min(ChunkSize, n - s));
        });
    }

    /// <summary>Runs <paramref name="body"/>(i) for i in [0, n), in parallel when <paramref name="workPerItem"/>·n is large.</summary>
    internal static void For(int n, long workPerItem, Action<int> body)
    {
        if (n <= 0) return;
        if (n == 1 || _maxDegree == 1 || workPerItem * n < 32768)
        {
            for (int i = 0; i < n; i++) body(i);
            return;
        }
        Parallel.For(0, n, Options, body);
    }
}
