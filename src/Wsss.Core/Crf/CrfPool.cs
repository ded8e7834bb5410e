using System.Runtime.CompilerServices;

namespace Wsss.Core.Crf;

/// <summary>
/// Recycles the CRF's large work buffers (lattice indices and weights, Q, −U, lattice values) across
/// <see cref="DenseCrf"/> instances, so refining image after image neither churns the large-object heap
/// nor page-faults fresh memory in. At most <see cref="MaxRetainedBytes"/> of idle buffers are kept (per
/// element type); the oldest are dropped beyond that.
/// </summary>
/// <typeparam name="T">Element type.</typeparam>
internal static class CrfPool<T>
    where T : unmanaged
{
    /// <summary>Buffers shorter than this are plain allocations.</summary>
    private const int MinPooledLength = 16384;

    /// <summary>Upper bound on idle bytes kept (512 MiB per element type).</summary>
    public const long MaxRetainedBytes = 512L << 20;

    private static readonly List<T[]> Idle = [];
    private static long _retained;

    /// <summary>Bytes currently idle in the pool.</summary>
    public static long RetainedBytes
    {
        get
        {
            lock (Idle) return _retained;
        }
    }

    /// <summary>
    /// An uninitialised buffer of at least <paramref name="length"/> elements (at most 25 % + 4096 longer, so a
    /// pooled buffer never wastes much memory). Callers must use <paramref name="length"/>, not the array length.
    /// </summary>
    public static T[] Rent(long length)
    {
        if (length > Array.MaxLength) CrfThrowHelper.Argument(nameof(length), $"A CRF buffer of {length} elements exceeds the .NET array limit.");
        int n = (int)length;
        if (n < MinPooledLength) return new T[n];
        long limit = n + (n >> 2) + 4096;
        lock (Idle)
        {
            int best = -1;
            for (int i = 0; i < Idle.Count; i++)
            {
                int len = Idle[i].Length;
                if (len >= n && len <= limit && (best < 0 || len < Idle[best].Length)) best = i;
            }

            if (best >= 0)
            {
                T[] found = Idle[best];
                Idle.RemoveAt(best);
                _retained -= Bytes(found);
                return found;
            }
        }

        return GC.AllocateUninitializedArray<T>(n, pinned: true); // pinned: CrfBuffer relies on a fixed address
    }

    /// <summary>Returns a buffer obtained from <see cref="Rent"/> (null and small buffers are ignored).</summary>
    public static void Return(T[]? array)
    {
        if (array is null || array.Length < MinPooledLength || Bytes(array) > MaxRetainedBytes) return;
        lock (Idle)
        {
            foreach (var a in Idle)
            {
                if (ReferenceEquals(a, array)) return;
            }

            while (_retained + Bytes(array) > MaxRetainedBytes && Idle.Count > 0)
            {
                _retained -= Bytes(Idle[0]);
                Idle.RemoveAt(0);
            }

            Idle.Add(array);
            _retained += Bytes(array);
        }
    }

    private static long Bytes(T[] a) => (long)a.Length * Unsafe.SizeOf<T>();
}
