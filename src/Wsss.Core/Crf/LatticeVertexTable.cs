using System.Numerics;
using System.Runtime.CompilerServices;

namespace Wsss.Core.Crf;

/// <summary>
/// Map from a packed lattice key (a non-negative 63-bit mixed-radix number, see <see cref="LatticeBuilder"/>) to a
/// vertex id, ids assigned in insertion order; the keys are also kept in id order. Two layouts:
/// <list type="bullet">
/// <item>direct: when the key box has few cells (low-dimensional features such as the smoothness kernel's (x, y)), an
/// array indexed by the key itself holds id + 1, so a lookup is one load and never probes;</item>
/// <item>hashed: open addressing with linear probing, load factor at most ½.</item>
/// </list>
/// </summary>
internal sealed class LatticeVertexTable
{
    /// <summary>Largest key box indexed directly (cells; 1 GiB of ids).</summary>
    public const long MaxDirectCells = 1L << 28;

    private int[]? _direct;
    private Slot[] _slots;
    private int _mask;
    private int _shift;
    private ulong[] _keys;

    /// <summary>
    /// A table for about <paramref name="expected"/> keys; <paramref name="directCells"/> &gt; 0 (all keys below it) selects
    /// the direct layout. The arrays come from <see cref="CrfPool{T}"/>; <see cref="Release"/> gives them back.
    /// </summary>
    public LatticeVertexTable(int expected, long directCells = 0)
    {
        if (directCells > 0)
        {
            if (directCells > MaxDirectCells) CrfThrowHelper.OutOfRange(nameof(directCells), directCells, "The key box is too large to index directly.");
            _direct = CrfPool<int>.Rent(directCells);
            Array.Clear(_direct, 0, (int)directCells);
            _slots = [];
        }
        else
        {
            int capacity = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Clamp(2 * expected, 64, 1 << 30));
            _slots = RentSlots(capacity);
            _capacity = capacity;
            _mask = capacity - 1;
            _shift = 64 - BitOperations.Log2((uint)capacity);
        }

        _keys = CrfPool<ulong>.Rent(Math.Max(16, expected));
    }

    private int _capacity;

    /// <summary>Gives the arrays back to the pool; the table is unusable afterwards.</summary>
    public void Release()
    {
        CrfPool<int>.Return(_direct);
        CrfPool<Slot>.Return(_slots);
        CrfPool<ulong>.Return(_keys);
        _direct = null;
        _slots = [];
        _keys = [];
    }

    private static Slot[] RentSlots(int capacity)
    {
        Slot[] slots = CrfPool<Slot>.Rent(capacity);
        Array.Clear(slots, 0, capacity);
        return slots;
    }

    /// <summary>Whether keys index the id array directly.</summary>
    public bool IsDirect => _direct is not null;

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
        if (_direct is { } direct)
        {
            ref int cell = ref direct[(nint)key];
            if (cell != 0) return cell - 1;
            int id = Append(key);
            cell = id + 1;
            return id;
        }

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
        int id = Append(key);
        s.Key = key + 1;
        s.Id = id;
        if (2L * Count > _capacity) Grow();
        return id;
    }

    /// <summary>Appends <paramref name="key"/> to the id-ordered key list; returns its id.</summary>
    private int Append(ulong key)
    {
        int id = Count;
        if (id == _keys.Length)
        {
            if (id >= Array.MaxLength / 2) CrfThrowHelper.Argument("features", "The lattice has more vertices than this implementation supports.");
            ulong[] keys = CrfPool<ulong>.Rent(Math.Min(Array.MaxLength, 2L * id));
            Array.Copy(_keys, keys, id);
            CrfPool<ulong>.Return(_keys);
            _keys = keys;
        }

        _keys[id] = key;
        Count = id + 1;
        return id;
    }

    /// <summary>The id of <paramref name="key"/>, or −1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Find(ulong key)
    {
        if (_direct is { } direct) return direct[(nint)key] - 1;
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
        if (_capacity >= 1 << 30) CrfThrowHelper.Argument("features", "The lattice has more vertices than this implementation supports.");
        _capacity *= 2;
        var slots = RentSlots(_capacity);
        CrfPool<Slot>.Return(_slots);
        _slots = slots;
        _mask = _capacity - 1;
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
