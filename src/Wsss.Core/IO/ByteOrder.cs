using System.Runtime.InteropServices;

namespace Wsss.Core.IO;

/// <summary>
/// Little-endian views over raw element bytes. On little-endian hosts (every platform .NET ships on
/// today) the bytes are reinterpreted in place; elsewhere a byte-swapped copy is made.
/// </summary>
internal static class ByteOrder
{
    /// <summary>Views little-endian bytes as elements of <typeparamref name="T"/>.</summary>
    internal static unsafe ReadOnlySpan<T> AsElements<T>(ReadOnlySpan<byte> littleEndian) where T : unmanaged
    {
        if (BitConverter.IsLittleEndian || sizeof(T) == 1)
        {
            return MemoryMarshal.Cast<byte, T>(littleEndian);
        }

        byte[] copy = littleEndian.ToArray();
        Swap(copy, sizeof(T));
        return MemoryMarshal.Cast<byte, T>(copy);
    }

    /// <summary>Copies elements into a new little-endian byte array.</summary>
    internal static unsafe byte[] ToBytes<T>(ReadOnlySpan<T> values) where T : unmanaged
    {
        byte[] bytes = MemoryMarshal.AsBytes(values).ToArray();
        if (!BitConverter.IsLittleEndian && sizeof(T) > 1)
        {
            Swap(bytes, sizeof(T));
        }

        return bytes;
    }

    /// <summary>Reverses the byte order of every <paramref name="elementSize"/>-byte element in place.</summary>
    internal static void Swap(Span<byte> bytes, int elementSize)
    {
        if (elementSize <= 1)
        {
            return;
        }

        for (int i = 0; i + elementSize <= bytes.Length; i += elementSize)
        {
            bytes.Slice(i, elementSize).Reverse();
        }
    }
}
