namespace Wsss.Core.IO;

/// <summary>Bounded reads that report truncation instead of throwing <see cref="EndOfStreamException"/>.</summary>
internal static class StreamHelper
{
    /// <summary>Largest block allocated before any of its bytes have arrived on a non-seekable stream.</summary>
    private const int InitialChunk = 16 << 20;

    /// <summary>Reads until <paramref name="buffer"/> is full or the stream ends; returns the bytes read.</summary>
    internal static int ReadAtMost(Stream stream, Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = stream.Read(buffer[total..]);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }

    /// <summary>Number of bytes left in a seekable stream, or <see langword="null"/> when unknown.</summary>
    internal static long? Remaining(Stream stream)
    {
        if (!stream.CanSeek)
        {
            return null;
        }

        return Math.Max(0, stream.Length - stream.Position);
    }

    /// <summary>
    /// Reads exactly <paramref name="count"/> bytes (at most <see cref="Array.MaxLength"/>). On a
    /// non-seekable stream the buffer grows as data arrives, so a corrupt size field cannot make
    /// this allocate far more memory than the stream actually holds.
    /// </summary>
    internal static byte[] ReadBlock(Stream stream, long count, string? name, string kind, string what)
    {
        if (count == 0)
        {
            return [];
        }

        if (count <= InitialChunk || stream.CanSeek)
        {
            var exact = new byte[count];
            int read = ReadAtMost(stream, exact);
            if (read < count)
            {
                IoThrowHelper.ThrowTruncated(name, kind, what, count, read);
            }

            return exact;
        }

        byte[] buffer = new byte[InitialChunk];
        int filled = 0;
        while (filled < count)
        {
            if (filled == buffer.Length)
            {
                Array.Resize(ref buffer, (int)Math.Min(count, (long)buffer.Length * 2));
            }

            int n = stream.Read(buffer, filled, buffer.Length - filled);
            if (n == 0)
            {
                IoThrowHelper.ThrowTruncated(name, kind, what, count, filled);
            }

            filled += n;
        }

        return buffer;
    }
}
