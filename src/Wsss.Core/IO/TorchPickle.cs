using System.Buffers.Binary;
using System.Text;

namespace Wsss.Core.IO;

/// <summary>
/// A restricted unpickler for PyTorch checkpoints: it understands the opcodes torch.save emits and allows only the
/// globals that rebuild tensors (<c>collections.OrderedDict</c>, <c>torch._utils._rebuild_tensor_v2</c> and its pre-1.0 form,
/// <c>torch._utils._rebuild_parameter</c>, <c>torch.*Storage</c>). Nothing is ever executed; any other global fails.
/// </summary>
internal static class TorchPickle
{
    internal sealed record Global(string Module, string Name);

    internal sealed record StorageRef(string DType, string Key, long Numel);

    internal sealed record TensorRef(StorageRef Storage, long Offset, long[] Size, long[] Stride);

    internal sealed class PyDict
    {
        public List<KeyValuePair<object, object?>> Items { get; } = new();
    }

    private sealed class Mark
    {
        public static readonly Mark Instance = new();
    }

    private static readonly HashSet<string> Storages = new(StringComparer.Ordinal)
    {
        "FloatStorage", "HalfStorage", "BFloat16Storage", "DoubleStorage", "LongStorage", "IntStorage", "ShortStorage", "CharStorage", "ByteStorage", "BoolStorage",
    };

    public static object? Load(byte[] data, string file) => Load(data, 0, out _, file);

    /// <summary>Unpickles the pickle that starts at <paramref name="start"/>; <paramref name="end"/> is the offset after its STOP opcode.</summary>
    public static object? Load(byte[] data, int start, out int end, string file)
    {
        var stack = new List<object?>();
        var memo = new Dictionary<long, object?>();
        int pos = start;
        Exception Bad(string why) => new InvalidDataException($"{file}: {why} (pickle offset {pos})");
        byte ReadByte() => pos < data.Length ? data[pos++] : throw Bad("the pickle ends early");
        ReadOnlySpan<byte> Take(long n, byte[] d)
        {
            if (n < 0 || pos + n > d.Length) throw Bad("the pickle ends early");
            var s = d.AsSpan(pos, (int)n);
            pos += (int)n;
            return s;
        }
        object? Pop()
        {
            if (stack.Count == 0) throw Bad("stack underflow");
            var o = stack[^1];
            stack.RemoveAt(stack.Count - 1);
            return o;
        }
        List<object?> PopToMark()
        {
            int m = stack.FindLastIndex(o => o is Mark);
            if (m < 0) throw Bad("no mark on the stack");
            var items = stack.GetRange(m + 1, stack.Count - m - 1);
            stack.RemoveRange(m, stack.Count - m);
            return items;
        }
        string ReadLine(byte[] d)
        {
            int start = pos;
            while (pos < d.Length && d[pos] != (byte)'\n') pos++;
            if (pos >= d.Length) throw Bad("unterminated text argument");
            return Encoding.UTF8.GetString(d, start, pos++ - start);
        }

        while (true)
        {
            byte op = ReadByte();
            switch (op)
            {
                case 0x80: ReadByte(); break; // PROTO
                case 0x95: Take(8, data); break; // FRAME
                case (byte)'.':
                    end = pos;
                    return stack.Count == 1 ? stack[0] : throw Bad("the pickle did not leave exactly one object");
                case (byte)'(': stack.Add(Mark.Instance); break;
                case (byte)'}': stack.Add(new PyDict()); break;
                case (byte)']': stack.Add(new List<object?>()); break;
                case (byte)')': stack.Add(Array.Empty<object?>()); break;
                case (byte)'N': stack.Add(null); break;
                case 0x88: stack.Add(true); break;
                case 0x89: stack.Add(false); break;
                case (byte)'K': stack.Add((long)ReadByte()); break;
                case (byte)'M': stack.Add((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2, data))); break;
                case (byte)'J': stack.Add((long)BinaryPrimitives.ReadInt32LittleEndian(Take(4, data))); break;
                case 0x8a:
                    {
                        int n = ReadByte();
                        if (n > 8) throw Bad("integer too large");
                        var bytes = Take(n, data);
                        long v = 0;
                        for (int i = n - 1; i >= 0; i--) v = (v << 8) | bytes[i];
                        if (n > 0 && n < 8 && (bytes[n - 1] & 0x80) != 0) v -= 1L << (8 * n);
                        stack.Add(v);
                        break;
                    }
                case (byte)'G': stack.Add(BinaryPrimitives.ReadDoubleBigEndian(Take(8, data))); break;
                case (byte)'X': { uint n = BinaryPrimitives.ReadUInt32LittleEndian(Take(4, data)); stack.Add(Encoding.UTF8.GetString(Take(n, data))); break; }
                case 0x8c: { int n = ReadByte(); stack.Add(Encoding.UTF8.GetString(Take(n, data))); break; }
                // Python 2's byte strings (BINSTRING, SHORT_BINSTRING), found in checkpoints written under Python 2.
                case (byte)'T': { int n = BinaryPrimitives.ReadInt32LittleEndian(Take(4, data)); stack.Add(Encoding.Latin1.GetString(Take(n, data))); break; }
                case (byte)'U': { int n = ReadByte(); stack.Add(Encoding.Latin1.GetString(Take(n, data))); break; }
                case (byte)'t': stack.Add(PopToMark().ToArray()); break;
                case 0x85: stack.Add(new[] { Pop() }); break;
                case 0x86: { var b = Pop(); var a = Pop(); stack.Add(new[] { a, b }); break; }
                case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); stack.Add(new[] { a, b, c }); break; }
                case (byte)'q': memo[ReadByte()] = stack.Count > 0 ? stack[^1] : throw Bad("memo of an empty stack"); break;
                case (byte)'r': memo[BinaryPrimitives.ReadUInt32LittleEndian(Take(4, data))] = stack.Count > 0 ? stack[^1] : throw Bad("memo of an empty stack"); break;
                case 0x94: memo[memo.Count] = stack.Count > 0 ? stack[^1] : throw Bad("memo of an empty stack"); break;
                case (byte)'h': stack.Add(memo.TryGetValue(ReadByte(), out var g1) ? g1 : throw Bad("unknown memo entry")); break;
                case (byte)'j': stack.Add(memo.TryGetValue(BinaryPrimitives.ReadUInt32LittleEndian(Take(4, data)), out var g4) ? g4 : throw Bad("unknown memo entry")); break;
                case (byte)'c': stack.Add(CheckGlobal(ReadLine(data), ReadLine(data), file)); break;
                case 0x93: { var name = Pop() as string; var module = Pop() as string; stack.Add(CheckGlobal(module ?? "", name ?? "", file)); break; }
                case (byte)'Q': stack.Add(PersistentStorage(Pop(), file)); break;
                case (byte)'R': { var args = Pop() as object?[] ?? throw Bad("REDUCE without an argument tuple"); stack.Add(Reduce(Pop(), args, file)); break; }
                case 0x81: { var args = Pop() as object?[] ?? throw Bad("NEWOBJ without an argument tuple"); stack.Add(Reduce(Pop(), args, file)); break; }
                case (byte)'b':
                    {
                        Pop(); // state: the OrderedDict's _metadata (versions); nothing else may be built
                        if (stack.Count == 0 || stack[^1] is not PyDict) throw Bad("BUILD on something other than a dict");
                        break;
                    }
                case (byte)'s': { var v = Pop(); var k = Pop(); ((stack.Count > 0 ? stack[^1] as PyDict : null) ?? throw Bad("SETITEM without a dict")).Items.Add(new(k!, v)); break; }
                case (byte)'u':
                    {
                        var items = PopToMark();
                        var dict = stack.Count > 0 ? stack[^1] as PyDict : null;
                        if (dict is null || items.Count % 2 != 0) throw Bad("SETITEMS without a dict");
                        for (int i = 0; i < items.Count; i += 2) dict.Items.Add(new(items[i]!, items[i + 1]));
                        break;
                    }
                case (byte)'a': { var v = Pop(); ((stack.Count > 0 ? stack[^1] as List<object?> : null) ?? throw Bad("APPEND without a list")).Add(v); break; }
                case (byte)'e': { var items = PopToMark(); ((stack.Count > 0 ? stack[^1] as List<object?> : null) ?? throw Bad("APPENDS without a list")).AddRange(items); break; }
                default: throw Bad($"unsupported pickle opcode 0x{op:X2}");
            }
        }
    }

    private static Global CheckGlobal(string module, string name, string file)
    {
        bool ok = (module, name) is ("collections", "OrderedDict") or ("torch._utils", "_rebuild_tensor_v2") or ("torch._utils", "_rebuild_tensor")
                  or ("torch._utils", "_rebuild_parameter")
                  || (module == "torch" && Storages.Contains(name));
        if (!ok) throw new InvalidDataException($"{file}: the checkpoint holds '{module}.{name}', not only tensors; refusing to load it (only state dicts of tensors are read, nothing is executed)");
        return new Global(module, name);
    }

    /// <summary>
    /// A storage reference: ('storage', type, key, location, numel) in the zip format, with a sixth element, the view
    /// metadata, in the legacy format (None unless the tensor shares a storage view, which torch stopped writing in 1.0).
    /// </summary>
    private static StorageRef PersistentStorage(object? pid, string file)
    {
        if (pid is not object?[] { Length: 5 or 6 } t || t[0] is not "storage" || t[1] is not Global g || t[2] is not string key || t[4] is not long numel || numel < 0)
            throw new InvalidDataException($"{file}: unexpected persistent id in the pickle");
        if (t.Length == 6 && t[5] is not null)
            throw new InvalidDataException($"{file}: the legacy checkpoint stores a storage view ('{key}'), which this reader does not support; re-save it with a recent torch.save");
        return new StorageRef(g.Name, key, numel);
    }

    private static object Reduce(object? callable, object?[] args, string file)
    {
        if (callable is not Global g) throw new InvalidDataException($"{file}: REDUCE of something that is not an allowed global");
        switch (g.Name)
        {
            case "OrderedDict":
                return new PyDict();
            case "_rebuild_tensor_v2":
            case "_rebuild_tensor":
                if (args.Length < 4 || args[0] is not StorageRef s || args[1] is not long offset || args[2] is not object?[] size || args[3] is not object?[] stride
                    || size.Length != stride.Length || size.Any(v => v is not long) || stride.Any(v => v is not long))
                    throw new InvalidDataException($"{file}: malformed tensor record");
                return new TensorRef(s, offset, size.Select(v => (long)v!).ToArray(), stride.Select(v => (long)v!).ToArray());
            case "_rebuild_parameter":
                return args.Length >= 1 && args[0] is TensorRef tr ? tr : throw new InvalidDataException($"{file}: malformed parameter record");
            default:
                throw new InvalidDataException($"{file}: '{g.Module}.{g.Name}' cannot be called");
        }
    }
}
