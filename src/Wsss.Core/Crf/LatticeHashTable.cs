using System.Numerics;
using System.Runtime.CompilerServices;

namespace Wsss.Core.Crf;

/// <summary>
/// Open-addressing (linear probing) map from a packed lattice key (a non-negative 63-bit mixed-radix
/// number, see <see cref="LatticeBuilder"/>) to a vertex id, ids assigned in insertion order. The load
/// factor stays at most ½; the keys are also kept in id order.
/// </summary>
internal sealed class LatticeHashTable
{
    private Slot[] _slots;
    private int _mask;
    private int _shift;
    private ulong[] _keys;

    public LatticeHashTable(int expected)
    {
        int capacity = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Clamp(2 * expected, 64, 1 << 30));
        _slots = new Slot[capacity];
        _mask = capacity - 1;
        _shift = 64 - BitOperations.Log2((uint)capacity);
        _keys = new ulong[Math.Max(16, expected)];
    }

    /// <summary>Number of keys (= the next id).</summary>
    public int Count { get; private set; }

    /// <summary>The keys in id order (the first <see cref="Count"/> entries).</summary>
    public ulong[] Keys => _keys;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Home(ulong key) => (int)((key * 0x9E3779B97F4A7C15UL) >> _shift);

    /// <summary>The id of <paramref name="key"/>, inserting it with the next id if absent.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int FindOrInsert(ulong key)
    {
        ulong stored = key + 1;
        Slot[] slots = _slots;
        int h = Home(key);
        while (true)
        {
            ref Slot s = ref slots[h];
            if (s.Key == stored) return s.Id;
            if (s.Key == 0) return Insert(ref s, key);
            h = (h + 1) & _mask;
        }
    }

    private int Insert(ref Slot s, ulong key)
    {
        int id = Count;
        if (id == _keys.Length)
        {
            if (id >= Array.MaxLength / 2) CrfThrowHelper.Argument("features", "The lattice has more vertices than this implementation supports.");
            Array.Resize(ref _keys, (int)Math.Min(Array.MaxLength, 2L * id));
        }

        _keys[id] = key;
        s.Key = key + 1;
        s.Id = id;
        Count = id + 1;
        if (2L * Count > _slots.Length) Grow();
        return id;
    }

    /// <summary>The id of <paramref name="key"/>, or −1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Find(ulong key)
    {
        ulong stored = key + 1;
        Slot[] slots = _slots;
        int h = Home(key);
        while (true)
        {
            ref Slot s = ref slots[h];
            if (s.Key == stored) return s.Id;
            if (s.Key == 0) return -1;
            h = (h + 1) & _mask;
        }
    }

    private void Grow()
    {
        if (_slots.Length >= 1 << 30) CrfThrowHelper.Argument("features", "The lattice has more vertices than this implementation supports.");
        var slots = new Slot[_slots.Length * 2];
        _slots = slots;
        _mask = slots.Length - 1;
        _shift--;
        for (int id = 0; id < Count; id++)
        {
            ulong key = _keys[id];
            int h = Home(key);
            while (slots[h].Key != 0) h = (h + 1) & _mask;
            slots[h].Key = key + 1;
            slots[h].Id = id;
        }
    }

    private struct Slot
    {
        public ulong Key; // packed key + 1; 0 = empty
        public int Id;
    }
}
