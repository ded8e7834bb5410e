using Wsss.Core.Nn;
using Wsss.Core.Tensors;

namespace Wsss.Core.IO;

/// <summary>
/// Saves and loads state dicts as safetensors with PyTorch's key names, so weights move between
/// PyTorch (<c>safetensors.torch.save_file(model.state_dict(), ...)</c>) and Wsss.Core unchanged.
/// Integer entries PyTorch keeps as int64 (<c>num_batches_tracked</c>) are written as I64.
/// </summary>
public static class StateDictFile
{
    /// <summary>Writes <paramref name="state"/> (atomically); floats as <paramref name="storeAs"/> (F32, F16 or BF16).</summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> state, SafetensorsDType storeAs = SafetensorsDType.F32, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (storeAs is not (SafetensorsDType.F32 or SafetensorsDType.F16 or SafetensorsDType.BF16))
            throw new ArgumentException($"weights can be stored as F32, F16 or BF16, not {storeAs}", nameof(storeAs));
        var entries = new Dictionary<string, SafetensorsTensor>();
        foreach (var (key, t) in state)
        {
            entries[key] = IsIntegerKey(key)
                ? SafetensorsTensor.FromInt64(t.ToArray().Select(v => (long)v).ToArray(), t.Shape)
                : SafetensorsTensor.FromFloat32(t.ToArray(), t.Shape, storeAs);
        }
        Safetensors.Write(path, entries, metadata);
    }

    /// <summary>Writes a module's parameters and buffers.</summary>
    public static void Save(string path, Module module, SafetensorsDType storeAs = SafetensorsDType.F32)
    {
        ArgumentNullException.ThrowIfNull(module);
        Save(path, module.StateDict(), storeAs);
    }

    /// <summary>Reads every tensor of a safetensors file as float32 (integers converted).</summary>
    public static Dictionary<string, Tensor> Load(string path)
    {
        var d = new Dictionary<string, Tensor>();
        using var suspend = TensorScope.Suspend();
        foreach (var (key, t) in Safetensors.Read(path))
            d[key] = Tensor.FromArray(t.ToFloat32(), t.GetShape());
        return d;
    }

    /// <summary>Loads a safetensors file into <paramref name="module"/>; see <see cref="Module.LoadStateDict"/>.</summary>
    public static LoadStateDictResult Load(string path, Module module, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(module);
        return module.LoadStateDict(Load(path), strict);
    }

    private static bool IsIntegerKey(string key) => key == "num_batches_tracked" || key.EndsWith(".num_batches_tracked", StringComparison.Ordinal);
}
