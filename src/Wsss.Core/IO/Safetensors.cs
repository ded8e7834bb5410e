using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Wsss.Core.IO;

/// <summary>
/// Reads and writes the safetensors format used by Hugging Face and PyTorch tooling.
/// </summary>
/// <remarks>
/// <para>
/// Layout: an unsigned 64-bit little-endian header length N; N bytes of UTF-8 JSON mapping each
/// tensor name to <c>{"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}</c> (offsets
/// relative to the byte buffer that follows the header), plus an optional <c>"__metadata__"</c>
/// object of string values; then the byte buffer.
/// </para>
/// <para>
/// On read the header is validated like the reference implementation: N at most 100,000,000 and
/// within the file, well-formed JSON, known dtypes, byte sizes equal to element count × element
/// size, and tensors covering the buffer contiguously without gaps or overlaps. Defects raise an
/// <see cref="InvalidDataException"/> naming the file and the tensor.
/// </para>
/// <para>
/// On write the header is padded with spaces to a multiple of 8 bytes, <c>"__metadata__"</c> comes
/// first (its keys in ordinal order), and tensors are laid out like the reference Python/Rust
/// library: by dtype in decreasing alignment (I64, F64, F32, I32, BF16, F16, U8, BOOL), then by
/// ordinal name, so every tensor's data is aligned to its element size.
/// </para>
/// </remarks>
public static class Safetensors
{
    /// <summary>Largest accepted header, as in the reference implementation.</summary>
    public const long MaxHeaderLength = 100_000_000;

    private const string Kind = "safetensors";
    private const string MetadataKey = "__metadata__";
    private const int Alignment = 8;

    /// <summary>Reads every tensor of a safetensors file.</summary>
    /// <param name="path">File to read.</param>
    /// <returns>Tensors by name, in the order of their data in the file.</returns>
    /// <exception cref="InvalidDataException">The file is corrupt, truncated or uses an unsupported dtype.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static IReadOnlyDictionary<string, SafetensorsTensor> Read(string path) => Read(path, out _);

    /// <summary>Reads every tensor of a safetensors file and its <c>__metadata__</c>.</summary>
    /// <param name="path">File to read.</param>
    /// <param name="metadata">The <c>__metadata__</c> entries; empty when the file has none.</param>
    /// <returns>Tensors by name, in the order of their data in the file.</returns>
    /// <exception cref="InvalidDataException">The file is corrupt, truncated or uses an unsupported dtype.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static IReadOnlyDictionary<string, SafetensorsTensor> Read(string path, out IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, FileOptions.SequentialScan);
        return Read(stream, path, out metadata);
    }

    /// <summary>Reads every tensor of a safetensors file from a stream, starting at its current position.</summary>
    /// <param name="stream">Readable stream. When seekable, its length must match the header exactly.</param>
    /// <param name="nameForErrors">Name used in error messages, typically the file path.</param>
    /// <returns>Tensors by name, in the order of their data in the file.</returns>
    /// <exception cref="InvalidDataException">The data is corrupt, truncated or uses an unsupported dtype.</exception>
    public static IReadOnlyDictionary<string, SafetensorsTensor> Read(Stream stream, string? nameForErrors = null) =>
        Read(stream, nameForErrors, out _);

    /// <summary>Reads every tensor and the <c>__metadata__</c> of a safetensors file from a stream.</summary>
    /// <param name="stream">Readable stream. When seekable, its length must match the header exactly.</param>
    /// <param name="nameForErrors">Name used in error messages, typically the file path.</param>
    /// <param name="metadata">The <c>__metadata__</c> entries; empty when the file has none.</param>
    /// <returns>Tensors by name, in the order of their data in the file.</returns>
    /// <exception cref="InvalidDataException">The data is corrupt, truncated or uses an unsupported dtype.</exception>
    public static IReadOnlyDictionary<string, SafetensorsTensor> Read(
        Stream stream, string? nameForErrors, out IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(stream);
        long? available = StreamHelper.Remaining(stream);
        (List<Entry> entries, metadata, long headerEnd) = ReadHeader(stream, nameForErrors, available);
        long dataLength = entries.Count == 0 ? 0 : entries[^1].End;
        if (available is long total)
        {
            long remaining = total - headerEnd;
            if (remaining < dataLength)
            {
                IoThrowHelper.ThrowTruncated(nameForErrors, Kind, "tensor data", dataLength, remaining);
            }

            if (remaining > dataLength)
            {
                IoThrowHelper.ThrowInvalidData(
                    nameForErrors, Kind, $"the header describes {dataLength} bytes of tensor data but {remaining} bytes follow it");
            }
        }

        var result = new Dictionary<string, SafetensorsTensor>(entries.Count, StringComparer.Ordinal);
        foreach (Entry e in entries)
        {
            long byteCount = e.End - e.Begin;
            if (byteCount > Array.MaxLength)
            {
                IoThrowHelper.ThrowInvalidData(
                    nameForErrors, Kind, $"tensor '{e.Name}' has {byteCount} bytes, more than the {Array.MaxLength}-byte limit of a .NET array");
            }

            byte[] data = StreamHelper.ReadBlock(stream, byteCount, nameForErrors, Kind, $"data of tensor '{e.Name}'");
            result.Add(e.Name, SafetensorsTensor.FromValidated(e.DType, e.Shape, data, e.Count));
        }

        return result;
    }

    /// <summary>Reads only the header of a safetensors file and returns its <c>__metadata__</c>.</summary>
    /// <param name="path">File to read.</param>
    /// <returns>The metadata entries; empty when the file has none.</returns>
    /// <exception cref="InvalidDataException">The header is corrupt.</exception>
    public static IReadOnlyDictionary<string, string> ReadMetadata(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        return ReadHeader(stream, path, stream.Length).Metadata;
    }

    /// <summary>Writes tensors to a safetensors file atomically (see <see cref="AtomicFile"/>).</summary>
    /// <param name="path">Destination file; replaced if it exists.</param>
    /// <param name="tensors">Tensors by name.</param>
    /// <param name="metadata">Optional <c>__metadata__</c> string entries.</param>
    /// <exception cref="ArgumentException">A name is empty or reserved, or a tensor is null.</exception>
    public static void Write(
        string path,
        IReadOnlyDictionary<string, SafetensorsTensor> tensors,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] header = BuildHeader(tensors, metadata, out List<KeyValuePair<string, SafetensorsTensor>> ordered);
        AtomicFile.Write(path, s => WriteCore(s, header, ordered));
    }

    /// <summary>Writes tensors in safetensors format to a stream, which is left open.</summary>
    /// <param name="stream">Writable stream.</param>
    /// <param name="tensors">Tensors by name.</param>
    /// <param name="metadata">Optional <c>__metadata__</c> string entries.</param>
    /// <exception cref="ArgumentException">A name is empty or reserved, or a tensor is null.</exception>
    public static void Write(
        Stream stream,
        IReadOnlyDictionary<string, SafetensorsTensor> tensors,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        byte[] header = BuildHeader(tensors, metadata, out List<KeyValuePair<string, SafetensorsTensor>> ordered);
        WriteCore(stream, header, ordered);
    }

    private static void WriteCore(Stream stream, byte[] header, List<KeyValuePair<string, SafetensorsTensor>> ordered)
    {
        Span<byte> lengthField = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(lengthField, (ulong)header.Length);
        stream.Write(lengthField);
        stream.Write(header);
        foreach (KeyValuePair<string, SafetensorsTensor> pair in ordered)
        {
            stream.Write(pair.Value.Data.Span);
        }
    }

    /// <summary>Rank of a dtype in the write order: decreasing alignment, ties as in the reference library.</summary>
    private static int WriteRank(SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.I64 => 0,
        SafetensorsDType.F64 => 1,
        SafetensorsDType.F32 => 2,
        SafetensorsDType.I32 => 3,
        SafetensorsDType.BF16 => 4,
        SafetensorsDType.F16 => 5,
        SafetensorsDType.U8 => 6,
        _ => 7,
    };

    private static byte[] BuildHeader(
        IReadOnlyDictionary<string, SafetensorsTensor> tensors,
        IReadOnlyDictionary<string, string>? metadata,
        out List<KeyValuePair<string, SafetensorsTensor>> ordered)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        foreach ((string name, SafetensorsTensor tensor) in tensors)
        {
            if (string.IsNullOrEmpty(name) || name == MetadataKey)
            {
                IoThrowHelper.ThrowArgument(nameof(tensors), $"Tensor name '{name}' is empty or reserved.");
            }

            if (tensor is null)
            {
                IoThrowHelper.ThrowArgument(nameof(tensors), $"Tensor '{name}' is null.");
            }
        }

        ordered = [.. tensors];
        ordered.Sort(static (a, b) =>
        {
            int byType = WriteRank(a.Value.DType).CompareTo(WriteRank(b.Value.DType));
            return byType != 0 ? byType : string.CompareOrdinal(a.Key, b.Key);
        });

        var buffer = new ArrayBufferWriter<byte>();
        var options = new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = false };
        using (var json = new Utf8JsonWriter(buffer, options))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(MetadataKey);
                foreach (KeyValuePair<string, string> pair in metadata.OrderBy(static p => p.Key, StringComparer.Ordinal))
                {
                    if (pair.Value is null)
                    {
                        IoThrowHelper.ThrowArgument(nameof(metadata), $"Metadata value for '{pair.Key}' is null.");
                    }

                    json.WriteString(pair.Key, pair.Value);
                }

                json.WriteEndObject();
            }

            long offset = 0;
            foreach ((string name, SafetensorsTensor tensor) in ordered)
            {
                json.WriteStartObject(name);
                json.WriteString("dtype", tensor.DTypeName);
                json.WriteStartArray("shape");
                foreach (int dim in tensor.Shape)
                {
                    json.WriteNumberValue(dim);
                }

                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                offset += tensor.Data.Length;
                json.WriteNumberValue(offset);
                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        int padded = (buffer.WrittenCount + Alignment - 1) / Alignment * Alignment;
        byte[] header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return header;
    }

    private static (List<Entry> Entries, IReadOnlyDictionary<string, string> Metadata, long HeaderEnd) ReadHeader(
        Stream stream, string? name, long? available)
    {
        Span<byte> lengthField = stackalloc byte[8];
        int read = StreamHelper.ReadAtMost(stream, lengthField);
        if (read < 8)
        {
            IoThrowHelper.ThrowTruncated(name, Kind, "header length field", 8, read);
        }

        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthField);
        if (headerLength > MaxHeaderLength)
        {
            IoThrowHelper.ThrowInvalidData(
                name, Kind, $"header length {headerLength} exceeds the limit of {MaxHeaderLength} bytes");
        }

        if (available is long total && (long)headerLength > total - 8)
        {
            IoThrowHelper.ThrowInvalidData(
                name, Kind, $"header length {headerLength} exceeds the {Math.Max(0, total - 8)} bytes that follow the length field (truncated file?)");
        }

        if (headerLength < 2)
        {
            IoThrowHelper.ThrowInvalidData(name, Kind, $"header length {headerLength} is too small for a JSON object");
        }

        byte[] header = StreamHelper.ReadBlock(stream, (long)headerLength, name, Kind, "header");
        if (header[0] != (byte)'{')
        {
            IoThrowHelper.ThrowInvalidData(
                name, Kind, $"the header does not start with '{{' (found byte 0x{header[0]:X2}); not a safetensors file?");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException ex)
        {
            IoThrowHelper.ThrowInvalidData(name, Kind, $"the header is not well-formed JSON ({ex.Message})", ex);
            return default;
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                IoThrowHelper.ThrowInvalidData(name, Kind, $"the header is a JSON {root.ValueKind}, expected an object");
            }

            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var entries = new List<Entry>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            bool sawMetadata = false;
            foreach (JsonProperty property in root.EnumerateObject())
            {
                if (property.Name == MetadataKey)
                {
                    if (sawMetadata)
                    {
                        IoThrowHelper.ThrowInvalidData(name, Kind, "the header has two '__metadata__' entries");
                    }

                    sawMetadata = true;
                    ReadMetadataObject(property.Value, metadata, name);
                    continue;
                }

                if (!seen.Add(property.Name))
                {
                    IoThrowHelper.ThrowInvalidData(name, Kind, $"tensor '{property.Name}' appears twice in the header");
                }

                entries.Add(ReadEntry(property.Name, property.Value, name));
            }

            entries.Sort(static (a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
            long expected = 0;
            foreach (Entry e in entries)
            {
                if (e.Begin != expected)
                {
                    string problem = e.Begin > expected ? "leaves a gap after" : "overlaps";
                    IoThrowHelper.ThrowInvalidData(
                        name, Kind, $"tensor '{e.Name}': data_offsets [{e.Begin}, {e.End}] {problem} the previous tensor data, which ends at {expected}");
                }

                expected = e.End;
            }

            return (entries, metadata, 8 + (long)headerLength);
        }
    }

    private static void ReadMetadataObject(JsonElement value, Dictionary<string, string> metadata, string? name)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            IoThrowHelper.ThrowInvalidData(name, Kind, $"'__metadata__' is a JSON {value.ValueKind}, expected an object of strings");
        }

        foreach (JsonProperty item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
            {
                IoThrowHelper.ThrowInvalidData(
                    name, Kind, $"'__metadata__' entry '{item.Name}' is a JSON {item.Value.ValueKind}, expected a string");
            }

            if (!metadata.TryAdd(item.Name, item.Value.GetString()!))
            {
                IoThrowHelper.ThrowInvalidData(name, Kind, $"'__metadata__' entry '{item.Name}' appears twice");
            }
        }
    }

    private static Entry ReadEntry(string tensor, JsonElement value, string? name)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            IoThrowHelper.ThrowInvalidData(name, Kind, $"tensor '{tensor}': entry is a JSON {value.ValueKind}, expected an object");
        }

        if (!value.TryGetProperty("dtype", out JsonElement dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
        {
            IoThrowHelper.ThrowInvalidData(name, Kind, $"tensor '{tensor}': missing or non-string 'dtype'");
        }

        string dtypeName = dtypeElement.GetString()!;
        if (!SafetensorsTensor.TryParseDType(dtypeName, out SafetensorsDType dtype))
        {
            IoThrowHelper.ThrowInvalidData(
                name, Kind, $"tensor '{tensor}': dtype '{dtypeName}' is not supported; expected F64, F32, F16, BF16, I64, I32, U8 or BOOL");
        }

        if (!value.TryGetProperty("shape", out JsonElement shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
        {
            IoThrowHelper.ThrowInvalidData(name, Kind, $"tensor '{tensor}': missing or non-array 'shape'");
        }

        var shape = new int[shapeElement.GetArrayLength()];
        int i = 0;
        long count = 1;
        bool overflow = false;
        foreach (JsonElement dim in shapeElement.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out long d) || d < 0 || d > int.MaxValue)
            {
                IoThrowHelper.ThrowInvalidData(
                    name, Kind, $"tensor '{tensor}': shape entry {i} is {dim.GetRawText()}, expected an integer from 0 to {int.MaxValue}");
                return default;
            }

            shape[i++] = (int)d;
            if (d != 0 && count > long.MaxValue / 8 / d)
            {
                overflow = true;
            }
            else
            {
                count *= d;
            }
        }

        if (shape.Contains(0))
        {
            count = 0;
            overflow = false;
        }

        if (!value.TryGetProperty("data_offsets", out JsonElement offsets)
            || offsets.ValueKind != JsonValueKind.Array
            || offsets.GetArrayLength() != 2
            || !offsets[0].TryGetInt64(out long begin)
            || !offsets[1].TryGetInt64(out long end)
            || begin < 0
            || end < begin)
        {
            IoThrowHelper.ThrowInvalidData(
                name, Kind, $"tensor '{tensor}': 'data_offsets' must be [begin, end] with 0 <= begin <= end, found {(value.TryGetProperty("data_offsets", out JsonElement raw) ? raw.GetRawText() : "nothing")}");
            return default;
        }

        int size = SafetensorsTensor.GetElementSize(dtype);
        if (overflow || count * size != end - begin)
        {
            string needed = overflow ? "more than 2^63" : (count * size).ToString(CultureInfo.InvariantCulture);
            IoThrowHelper.ThrowInvalidData(
                name,
                Kind,
                $"tensor '{tensor}': shape {IoThrowHelper.FormatShape(shape)} of {dtypeName} needs {needed} bytes but data_offsets [{begin}, {end}] span {end - begin}");
        }

        return new Entry(tensor, dtype, shape, count, begin, end);
    }

    private readonly record struct Entry(string Name, SafetensorsDType DType, int[] Shape, long Count, long Begin, long End);
}
