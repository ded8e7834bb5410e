namespace Wsss.Core.Crf;

/// <summary>
/// Recycles the CRF's large work buffers (lattice indices and weights, Q, −U, lattice values) across
/// <see cref="DenseCrf"/> instances, so refining image after image neither churns the large-object heap
/// nor page-faults fresh memory in. Idle buffers are held through weak references: the GC reclaims them
/// at its next full collection, so the pool never pins memory a process needs elsewhere.
/// </summary>
/// <typeparam name="T">Element type.</typeparam>
internal static class CrfPool<T>
    where T : unmanaged
{
    /// <summary>Buffers shorter than this are plain allocations.</summary>
    private const int MinPooledLength = 16384;

    private const int MaxIdle = 32;

    private static readonly List<WeakReference<T[]>> Idle = [];

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
            long bestLength = long.MaxValue;
            for (int i = Idle.Count - 1; i >= 0; i--)
            {
                if (!Idle[i].TryGetTarget(out var a))
                {
                    Idle.RemoveAt(i);
                    if (best > i) best--;
                    continue;
                }

                if (a.Length >= n && a.Length <= limit && a.Length < bestLength)
                {
                    best = i;
                    bestLength = a.Length;
                }
            }

            if (best >= 0 && Idle[best].TryGetTarget(out var found))
            {
                Idle.RemoveAt(best);
                return found;
            }
        }

        return GC.AllocateUninitializedArray<T>(n);
    }

    /// <summary>Returns a buffer obtained from <see cref="Rent"/> (null and small buffers are ignored).</summary>
    public static void Return(T[]? array)
    {
        if (array is null || array.Length < MinPooledLength) return;
        lock (Idle)
        {
            for (int i = Idle.Count - 1; i >= 0; i--)
            {
                if (!Idle[i].TryGetTarget(out var a)) Idle.RemoveAt(i);
                else if (ReferenceEquals(a, array)) return;
            }

            if (Idle.Count >= MaxIdle) Idle.RemoveAt(0);
            Idle.Add(new WeakReference<T[]>(array));
        }
    }
}
