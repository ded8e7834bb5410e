using Wsss.Core.Tensors;

namespace Wsss.Core.IO;

/// <summary>Conversions between <see cref="Tensor"/> and the array file formats.</summary>
public static class TensorFiles
{
    /// <summary>The array as a float32 tensor (any numeric dtype is converted).</summary>
    public static Tensor ToTensor(this NpyArray array)
    {
        ArgumentNullException.ThrowIfNull(array);
        return Tensor.FromArray(array.ToFloat32(), array.GetShape());
    }

    /// <summary>The tensor as a float32 array.</summary>
    public static NpyArray ToNpy(this Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return NpyArray.FromFloat32(tensor.ToArray(), tensor.Shape);
    }

    /// <summary>Reads a .npy file as a float32 tensor.</summary>
    public static Tensor LoadNpy(string path) => Npy.Read(path).ToTensor();

    /// <summary>Writes a tensor as a float32 .npy file (atomically).</summary>
    public static void SaveNpy(string path, Tensor tensor) => Npy.Write(path, tensor.ToNpy());

    /// <summary>Reads every array of a .npz file as float32 tensors.</summary>
    public static Dictionary<string, Tensor> LoadNpz(string path)
        => Npz.Read(path).ToDictionary(kv => kv.Key, kv => kv.Value.ToTensor());

    /// <summary>Writes tensors as float32 arrays of a .npz file (atomically).</summary>
    public static void SaveNpz(string path, IReadOnlyDictionary<string, Tensor> tensors, bool compressed = false)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        Npz.Write(path, tensors.ToDictionary(kv => kv.Key, kv => kv.Value.ToNpy()), compressed);
    }
}
