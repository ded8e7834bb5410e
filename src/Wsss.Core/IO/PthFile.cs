using System.Buffers.Binary;
using System.IO.Compression;
using Wsss.Core.Tensors;

namespace Wsss.Core.IO;

/// <summary>
/// Reads PyTorch <c>.pth</c> state dicts (the zip format of <c>torch.save</c> since 1.6: <c>NAME/data.pkl</c> plus one
/// raw storage per tensor; and the legacy format before it, in which most IRNet/psa-era checkpoints and torchvision's early
/// ImageNet weights are stored) as float32 tensors with their PyTorch key names, through a restricted unpickler that only
/// rebuilds tensors: a checkpoint holding any other object is refused with <see cref="InvalidDataException"/>.
/// </summary>
public static class PthFile
{
    /// <summary>
    /// Loads the tensors of <paramref name="path"/>. When the pickled dict nests the state dict under a key (e.g.
    /// <c>{"model": state_dict}</c>), pass that key as <paramref name="entry"/>.
    /// </summary>
    public static Dictionary<string, Tensor> Load(string path, string? entry = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Span<byte> head = stackalloc byte[LegacyMagic.Length];
        int got;
        using (var f = File.OpenRead(path)) got = f.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        if (got == head.Length && head.SequenceEqual(LegacyMagic)) return LoadLegacy(File.ReadAllBytes(path), path, entry);
        return LoadZip(path, entry);
    }

    /// <summary>The first bytes of a legacy (pre-1.6, non-zip) checkpoint: the pickled magic number 0x1950a86a20f9469cfc6c, protocol 2.</summary>
    private static ReadOnlySpan<byte> LegacyMagic => [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e];

    private static Dictionary<string, Tensor> LoadZip(string path, string? entry)
    {
        ZipArchive zip;
        try
        {
            zip = ZipFile.OpenRead(path);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: not a PyTorch checkpoint (neither the zip format of torch.save since 1.6 nor the legacy format before it): {e.Message}", e);
        }
        using (zip)
        {
            var pkl = zip.Entries.FirstOrDefault(e => e.FullName.EndsWith("data.pkl", StringComparison.Ordinal) && e.FullName.Count(c => c == '/') == 1)
                      ?? throw new InvalidDataException($"{path}: no data.pkl in the archive");
            string prefix = pkl.FullName[..^"data.pkl".Length];
            var root = TorchPickle.Load(ReadAll(pkl, path), path);
            var storages = new Dictionary<string, byte[]>();
            return Tensors(root, path, entry, key =>
            {
                if (!storages.TryGetValue(key, out var bytes))
                {
                    var e = zip.GetEntry(prefix + "data/" + key) ?? throw new InvalidDataException($"{path}: storage '{key}' is missing");
                    storages[key] = bytes = ReadAll(e, path);
                }

                return bytes;
            });
        }
    }

    /// <summary>
    /// The legacy format of torch.save before 1.6 (IRNet's and psa's era, and torchvision's early ImageNet weights such as
    /// resnet50-19c8e357.pth): consecutive pickles of the magic number, the protocol version (1001), the system info and
    /// the object, then the pickled list of storage keys, then each storage in that order as an int64 element count and
    /// its raw little-endian bytes.
    /// </summary>
    private static Dictionary<string, Tensor> LoadLegacy(byte[] data, string path, string? entry)
    {
        int pos = LegacyMagic.Length;
        if (TorchPickle.Load(data, pos, out pos, path) is not 1001L)
            throw new InvalidDataException($"{path}: unsupported legacy checkpoint protocol version (expected 1001)");
        if (TorchPickle.Load(data, pos, out pos, path) is not TorchPickle.PyDict sysInfo)
            throw new InvalidDataException($"{path}: malformed legacy checkpoint (no system info)");
        if (sysInfo.Items.Any(kv => kv.Key is "little_endian" && kv.Value is false))
            throw new InvalidDataException($"{path}: the checkpoint was written on a big-endian machine, which this reader does not support");
        var root = TorchPickle.Load(data, pos, out pos, path);
        if (TorchPickle.Load(data, pos, out pos, path) is not List<object?> keys || keys.Any(k => k is not string))
            throw new InvalidDataException($"{path}: malformed legacy checkpoint (no storage key list)");
        var sizes = new Dictionary<string, long>(StringComparer.Ordinal);
        CollectStorages(root, sizes);
        var storages = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (string key in keys.Cast<string>())
        {
            if (pos + 8 > data.Length) throw new InvalidDataException($"{path}: the checkpoint is truncated (storage '{key}')");
            long count = BinaryPrimitives.ReadInt64LittleEndian(data.AsSpan(pos, 8));
            pos += 8;
            if (!sizes.TryGetValue(key, out long elem)) throw new InvalidDataException($"{path}: storage '{key}' is not used by any tensor");
            if (count < 0 || count > (data.Length - pos) / elem) throw new InvalidDataException($"{path}: the checkpoint is truncated (storage '{key}')");
            long bytes = count * elem;
            storages[key] = data.AsSpan(pos, (int)bytes).ToArray();
            pos += (int)bytes;
        }

        return Tensors(root, path, entry, key => storages.TryGetValue(key, out var b) ? b : throw new InvalidDataException($"{path}: storage '{key}' is missing"));
    }

    /// <summary>Element sizes of the storages the pickled object refers to.</summary>
    private static void CollectStorages(object? o, Dictionary<string, long> sizes)
    {
        switch (o)
        {
            case TorchPickle.TensorRef t:
                sizes[t.Storage.Key] = ElementSize(t.Storage.DType);
                break;
            case TorchPickle.PyDict d:
                foreach (var kv in d.Items) CollectStorages(kv.Value, sizes);
                break;
            case object?[] tuple:
                foreach (var item in tuple) CollectStorages(item, sizes);
                break;
            case List<object?> list:
                foreach (var item in list) CollectStorages(item, sizes);
                break;
        }
    }

    /// <summary>The state dict (or the one nested under <paramref name="entry"/>) as float32 tensors.</summary>
    private static Dictionary<string, Tensor> Tensors(object? root, string path, string? entry, Func<string, byte[]> storage)
    {
        if (entry is not null)
        {
            var top = root as TorchPickle.PyDict ?? throw new InvalidDataException($"{path}: the checkpoint is not a dict, so it has no entry '{entry}'");
            root = top.Items.FirstOrDefault(kv => kv.Key as string == entry).Value ?? throw new InvalidDataException($"{path}: no entry '{entry}'");
        }

        var dict = root as TorchPickle.PyDict ?? throw new InvalidDataException($"{path}: the checkpoint is not a dict of tensors");
        var result = new Dictionary<string, Tensor>();
        using var suspend = TensorScope.Suspend();
        foreach (var (k, v) in dict.Items)
        {
            if (k is not string key) throw new InvalidDataException($"{path}: a key of the state dict is not a string");
            if (v is not TorchPickle.TensorRef t)
                throw new InvalidDataException($"{path}: entry '{key}' is a {v?.GetType().Name ?? "None"}, not a tensor (pass the nesting key as entry, if the state dict is nested)");
            result[key] = ToTensor(t, storage(t.Storage.Key), path, key);
        }

        return result;
    }

    private static int ElementSize(string dtype) => dtype switch
    {
        "FloatStorage" or "IntStorage" => 4,
        "HalfStorage" or "BFloat16Storage" or "ShortStorage" => 2,
        "DoubleStorage" or "LongStorage" => 8,
        _ => 1,
    };

    private static byte[] ReadAll(ZipArchiveEntry e, string path)
    {
        if (e.Length > int.MaxValue) throw new InvalidDataException($"{path}: entry {e.FullName} is too large");
        using var s = e.Open();
        var buffer = new byte[e.Length];
        int read = 0;
        while (read < buffer.Length)
        {
            int n = s.Read(buffer, read, buffer.Length - read);
            if (n == 0) throw new InvalidDataException($"{path}: entry {e.FullName} is truncated");
            read += n;
        }
        return buffer;
    }

    private static Tensor ToTensor(TorchPickle.TensorRef t, byte[] bytes, string path, string key)
    {
        int elem = ElementSize(t.Storage.DType);
        if ((long)bytes.Length < t.Storage.Numel * elem)
            throw new InvalidDataException($"{path}: storage of '{key}' holds {bytes.Length} bytes, expected {t.Storage.Numel * elem}");
        var shape = t.Size.Select(s => s is < 0 or > int.MaxValue ? throw new InvalidDataException($"{path}: '{key}' has a bad size") : (int)s).ToArray();
        long numel = shape.Aggregate(1L, (a, b) => a * b);
        if (numel > int.MaxValue) throw new InvalidDataException($"{path}: '{key}' is too large");
        var values = new float[numel];
        var idx = new long[shape.Length];
        for (long n = 0; n < numel; n++)
        {
            long off = t.Offset;
            for (int d = 0; d < shape.Length; d++) off += idx[d] * t.Stride[d];
            if (off < 0 || off >= t.Storage.Numel) throw new InvalidDataException($"{path}: '{key}' reads outside its storage");
            values[n] = Read(bytes, off, elem, t.Storage.DType);
            for (int d = shape.Length - 1; d >= 0; d--)
            {
                if (++idx[d] < shape[d]) break;
                idx[d] = 0;
            }
        }
        return Tensor.FromArray(values, shape);
    }

    private static float Read(byte[] b, long i, int elem, string dtype)
    {
        var s = b.AsSpan((int)(i * elem), elem);
        return dtype switch
        {
            "FloatStorage" => BinaryPrimitives.ReadSingleLittleEndian(s),
            "HalfStorage" => (float)BinaryPrimitives.ReadHalfLittleEndian(s),
            "BFloat16Storage" => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(s) << 16),
            "DoubleStorage" => (float)BinaryPrimitives.ReadDoubleLittleEndian(s),
            "LongStorage" => BinaryPrimitives.ReadInt64LittleEndian(s),
            "IntStorage" => BinaryPrimitives.ReadInt32LittleEndian(s),
            "ShortStorage" => BinaryPrimitives.ReadInt16LittleEndian(s),
            "CharStorage" => (sbyte)s[0],
            _ => s[0],
        };
    }
}
