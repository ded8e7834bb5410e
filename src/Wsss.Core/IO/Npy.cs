using System.Buffers.Binary;
using System.Text;

namespace Wsss.Core.IO;

/// <summary>
/// Reads and writes NumPy <c>.npy</c> files (format versions 1.0, 2.0 and 3.0), as produced by
/// <c>numpy.save</c> and read by <c>numpy.load</c>.
/// </summary>
/// <remarks>
/// Layout: the magic bytes <c>\x93NUMPY</c>, a major and minor version byte, the header length
/// (uint16 little-endian in version 1.0, uint32 in 2.0 and 3.0), an ASCII/Latin-1 (UTF-8 in 3.0)
/// Python dict literal with the keys <c>descr</c>, <c>fortran_order</c> and <c>shape</c>, padded
/// with spaces and a final newline, then the raw C-order element bytes.
/// Supported dtypes are those of <see cref="NpyDType"/>; big-endian files (<c>'&gt;f4'</c> etc.)
/// are converted to little-endian on read. Fortran-order arrays are rejected.
/// Every defect in a file is reported as an <see cref="InvalidDataException"/> naming the file.
/// </remarks>
public static class Npy
{
    /// <summary>Headers longer than this are rejected as corrupt (real headers are well under 1 KB).</summary>
    internal const int MaxHeaderLength = 1 << 20;

    private const string Kind = ".npy";
    private const int PreambleLength = 8; // magic (6) + version (2)
    private const int Alignment = 64;

    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Reads a <c>.npy</c> file.</summary>
    /// <param name="path">File to read.</param>
    /// <returns>The array.</returns>
    /// <exception cref="InvalidDataException">The file is corrupt, truncated or uses an unsupported dtype or layout.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static NpyArray Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, FileOptions.SequentialScan);
        return ReadCore(stream, path, StreamHelper.Remaining(stream));
    }

    /// <summary>
    /// Reads one <c>.npy</c> record from <paramref name="stream"/>, starting at its current position
    /// and leaving it just after the array data.
    /// </summary>
    /// <param name="stream">Readable stream. When it is seekable its length bounds every size field.</param>
    /// <param name="nameForErrors">Name used in error messages, typically the file path.</param>
    /// <returns>The array.</returns>
    /// <exception cref="InvalidDataException">The data is corrupt, truncated or uses an unsupported dtype or layout.</exception>
    public static NpyArray Read(Stream stream, string? nameForErrors = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return ReadCore(stream, nameForErrors, StreamHelper.Remaining(stream));
    }

    /// <summary>Writes <paramref name="array"/> to <paramref name="path"/> atomically (see <see cref="AtomicFile"/>).</summary>
    /// <param name="path">Destination file; replaced if it exists.</param>
    /// <param name="array">The array.</param>
    public static void Write(string path, NpyArray array)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(array);
        AtomicFile.Write(path, s => Write(s, array));
    }

    /// <summary>
    /// Writes <paramref name="array"/> as a <c>.npy</c> record (format 1.0, or 2.0 when the header
    /// exceeds 65535 bytes) with the header padded so the data starts on a 64-byte boundary.
    /// </summary>
    /// <param name="stream">Writable stream.</param>
    /// <param name="array">The array.</param>
    public static void Write(Stream stream, NpyArray array)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(array);

        string dict = NpyHeader.Format(GetDescr(array.DType), array.Shape);
        int version = 1;
        int lengthFieldSize = 2;
        int total = Align(PreambleLength + lengthFieldSize + dict.Length + 1);
        if (total - PreambleLength - lengthFieldSize > ushort.MaxValue)
        {
            version = 2;
            lengthFieldSize = 4;
            total = Align(PreambleLength + lengthFieldSize + dict.Length + 1);
        }

        int headerLength = total - PreambleLength - lengthFieldSize;
        byte[] prefix = new byte[total];
        Magic.CopyTo(prefix);
        prefix[6] = (byte)version;
        prefix[7] = 0;
        if (version == 1)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(prefix.AsSpan(PreambleLength), (ushort)headerLength);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(prefix.AsSpan(PreambleLength), (uint)headerLength);
        }

        Span<byte> header = prefix.AsSpan(PreambleLength + lengthFieldSize);
        header.Fill((byte)' ');
        Encoding.ASCII.GetBytes(dict, header);
        header[^1] = (byte)'\n';

        stream.Write(prefix);
        stream.Write(array.Data.Span);
    }

    /// <summary>The NumPy descr string written for <paramref name="dtype"/>.</summary>
    internal static string GetDescr(NpyDType dtype) => dtype switch
    {
        NpyDType.Float32 => "<f4",
        NpyDType.Float64 => "<f8",
        NpyDType.UInt8 => "|u1",
        NpyDType.Int32 => "<i4",
        NpyDType.Int64 => "<i8",
        NpyDType.Bool => "|b1",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown NpyDType."),
    };

    /// <summary>
    /// Reads one record. <paramref name="available"/> is the number of bytes the record may occupy
    /// at most (the rest of a seekable stream, or an archive member's size), when known.
    /// </summary>
    internal static NpyArray ReadCore(Stream stream, string? name, long? available)
    {
        Span<byte> preamble = stackalloc byte[PreambleLength + 4];
        int read = StreamHelper.ReadAtMost(stream, preamble[..PreambleLength]);
        if (read == 0)
        {
            IoThrowHelper.ThrowInvalidData(name, Kind, "empty input; expected the magic bytes 93 4E 55 4D 50 59 ('\\x93NUMPY')");
        }

        int magicRead = Math.Min(read, Magic.Length);
        if (!preamble[..magicRead].SequenceEqual(Magic[..magicRead]))
        {
            IoThrowHelper.ThrowInvalidData(
                name, Kind, $"bad magic; expected 93 4E 55 4D 50 59 ('\\x93NUMPY'), found {Hex(preamble[..magicRead])}");
        }

        if (read < PreambleLength)
        {
            IoThrowHelper.ThrowTruncated(name, Kind, "preamble", PreambleLength, read);
        }

        byte major = preamble[6];
        byte minor = preamble[7];
        if (major is < 1 or > 3 || minor != 0)
        {
            IoThrowHelper.ThrowInvalidData(name, Kind, $"unsupported format version {major}.{minor}; expected 1.0, 2.0 or 3.0");
        }

        int lengthFieldSize = major == 1 ? 2 : 4;
        read = StreamHelper.ReadAtMost(stream, preamble.Slice(PreambleLength, lengthFieldSize));
        if (read < lengthFieldSize)
        {
            IoThrowHelper.ThrowTruncated(name, Kind, "header length field", lengthFieldSize, read);
        }

        long headerLength = major == 1
            ? BinaryPrimitives.ReadUInt16LittleEndian(preamble[PreambleLength..])
            : BinaryPrimitives.ReadUInt32LittleEndian(preamble[PreambleLength..]);
        long consumed = PreambleLength + lengthFieldSize;
        if (headerLength > MaxHeaderLength)
        {
            IoThrowHelper.ThrowInvalidData(
                name, Kind, $"header length {headerLength} exceeds the limit of {MaxHeaderLength} bytes");
        }

        if (available is long avail && headerLength > avail - consumed)
        {
            IoThrowHelper.ThrowTruncated(name, Kind, "header", headerLength, Math.Max(0, avail - consumed));
        }

        byte[] headerBytes = StreamHelper.ReadBlock(stream, headerLength, name, Kind, "header");
        consumed += headerLength;
        string text;
        if (major == 3)
        {
            try
            {
                text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(headerBytes);
            }
            catch (DecoderFallbackException ex)
            {
                IoThrowHelper.ThrowInvalidData(name, Kind, "corrupt header: invalid UTF-8", ex);
                return null!;
            }
        }
        else
        {
            text = Encoding.Latin1.GetString(headerBytes);
        }

        NpyHeader header = NpyHeader.Parse(text, name);
        (NpyDType dtype, bool swap) = ParseDescr(header.Descr, name);
        if (header.FortranOrder)
        {
            IoThrowHelper.ThrowInvalidData(
                name, Kind, $"Fortran order not supported (shape {IoThrowHelper.FormatShape(header.Shape)}); save a C-contiguous array, e.g. numpy.ascontiguousarray(a)");
        }

        int size = NpyArray.GetElementSize(dtype);
        long count = ElementCount(header.Shape, size, name);
        long byteCount = count * size;
        if (available is long left && byteCount > left - consumed)
        {
            IoThrowHelper.ThrowInvalidData(
                name,
                Kind,
                $"truncated data; shape {IoThrowHelper.FormatShape(header.Shape)} of '{header.Descr}' needs {byteCount} bytes but only {Math.Max(0, left - consumed)} remain");
        }

        if (byteCount > Array.MaxLength)
        {
            IoThrowHelper.ThrowInvalidData(
                name, Kind, $"array data of {byteCount} bytes exceeds the {Array.MaxLength}-byte limit of a single .NET array");
        }

        byte[] data = StreamHelper.ReadBlock(stream, byteCount, name, Kind, "data");
        if (swap)
        {
            ByteOrder.Swap(data, size);
        }

        return NpyArray.FromValidated(dtype, header.Shape, data, count);
    }

    private static (NpyDType DType, bool Swap) ParseDescr(string descr, string? name)
    {
        ReadOnlySpan<char> code = descr;
        char order = '=';
        if (code.Length > 0 && code[0] is '<' or '>' or '|' or '=')
        {
            order = code[0];
            code = code[1..];
        }

        NpyDType? dtype = code switch
        {
            "f4" => NpyDType.Float32,
            "f8" => NpyDType.Float64,
            "u1" => NpyDType.UInt8,
            "i4" => NpyDType.Int32,
            "i8" => NpyDType.Int64,
            "b1" => NpyDType.Bool,
            _ => null,
        };

        if (dtype is null)
        {
            IoThrowHelper.ThrowInvalidData(
                name,
                Kind,
                $"dtype '{NpyHeader.Sanitize(descr)}' is not supported; expected one of '<f4', '<f8', '|u1', '<i4', '<i8', '|b1' (or their big-endian forms)");
        }

        bool bigEndian = order == '>' || (order == '=' && !BitConverter.IsLittleEndian);
        return (dtype.Value, bigEndian && NpyArray.GetElementSize(dtype.Value) > 1);
    }

    private static long ElementCount(int[] shape, int elementSize, string? name)
    {
        long count = 1;
        foreach (int dim in shape)
        {
            if (dim != 0 && count > long.MaxValue / elementSize / dim)
            {
                IoThrowHelper.ThrowInvalidData(
                    name, Kind, $"shape {IoThrowHelper.FormatShape(shape)} is too large; its byte size overflows a 64-bit integer");
            }

            count *= dim;
        }

        return count;
    }

    private static int Align(int length) => (length + Alignment - 1) / Alignment * Alignment;

    private static string Hex(ReadOnlySpan<byte> bytes) =>
        string.Join(' ', bytes.ToArray().Select(static b => b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture)));
}
