using System.Buffers.Binary;
using System.IO.Compression;
using Wsss.Core.Tensors;

namespace Wsss.Core.IO;

/// <summary>
/// Reads PyTorch <c>.pth</c> state dicts (the zip format of <c>torch.save</c> since 1.6: <c>NAME/data.pkl</c> plus one
/// raw storage per tensor) as float32 tensors with their PyTorch key names, through a restricted unpickler that only
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
        ZipArchive zip;
        try
        {
            zip = ZipFile.OpenRead(path);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: not a zip-format PyTorch checkpoint (torch.save since 1.6): {e.Message}", e);
        }
        using (zip)
        {
            var pkl = zip.Entries.FirstOrDefault(e => e.FullName.EndsWith("data.pkl", StringComparison.Ordinal) && e.FullName.Count(c => c == '/') == 1)
                      ?? throw new InvalidDataException($"{path}: no data.pkl in the archive");
            string prefix = pkl.FullName[..^"data.pkl".Length];
            var root = TorchPickle.Load(ReadAll(pkl, path), path);
            if (entry is not null)
            {
                var top = root as TorchPickle.PyDict ?? throw new InvalidDataException($"{path}: the checkpoint is not a dict, so it has no entry '{entry}'");
                root = top.Items.FirstOrDefault(kv => kv.Key as string == entry).Value ?? throw new InvalidDataException($"{path}: no entry '{entry}'");
            }
            var dict = root as TorchPickle.PyDict ?? throw new InvalidDataException($"{path}: the checkpoint is not a dict of tensors");
            var result = new Dictionary<string, Tensor>();
            var storages = new Dictionary<string, byte[]>();
            using var suspend = TensorScope.Suspend();
            foreach (var (k, v) in dict.Items)
            {
                if (k is not string key) throw new InvalidDataException($"{path}: a key of the state dict is not a string");
                if (v is not TorchPickle.TensorRef t)
                    throw new InvalidDataException($"{path}: entry '{key}' is a {v?.GetType().Name ?? "None"}, not a tensor (pass the nesting key as entry, if the state dict is nested)");
                if (!storages.TryGetValue(t.Storage.Key, out var bytes))
                {
                    var e = zip.GetEntry(prefix + "data/" + t.Storage.Key) ?? throw new InvalidDataException($"{path}: storage '{t.Storage.Key}' of '{key}' is missing");
                    storages[t.Storage.Key] = bytes = ReadAll(e, path);
                }
                result[key] = ToTensor(t, bytes, path, key);
            }
            return result;
        }
    }

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
        int elem = t.Storage.DType switch
        {
            "FloatStorage" or "IntStorage" => 4,
            "HalfStorage" or "BFloat16Storage" or "ShortStorage" => 2,
            "DoubleStorage" or "LongStorage" => 8,
            _ => 1,
        };
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
