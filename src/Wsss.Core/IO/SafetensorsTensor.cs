using System.Collections.ObjectModel;

namespace Wsss.Core.IO;

/// <summary>
/// One tensor of a safetensors file: a dtype, a C-order shape and the raw little-endian element bytes.
/// </summary>
/// <remarks>
/// Instances are immutable. An empty shape denotes a 0-d (scalar) tensor holding one element.
/// </remarks>
public sealed class SafetensorsTensor
{
    private readonly byte[] _data;
    private readonly int[] _shape;

    private SafetensorsTensor(SafetensorsDType dtype, int[] shape, byte[] data, long length)
    {
        DType = dtype;
        _shape = shape;
        _data = data;
        Length = length;
        Shape = new ReadOnlyCollection<int>(shape);
    }

    /// <summary>Element type.</summary>
    public SafetensorsDType DType { get; }

    /// <summary>The dtype as written in the file header, e.g. <c>"BF16"</c>.</summary>
    public string DTypeName => GetDTypeName(DType);

    /// <summary>Dimensions in C order; empty for a 0-d tensor.</summary>
    public IReadOnlyList<int> Shape { get; }

    /// <summary>Number of elements: the product of <see cref="Shape"/>.</summary>
    public long Length { get; }

    /// <summary>Raw element bytes, little-endian, C-contiguous.</summary>
    public ReadOnlyMemory<byte> Data => _data;

    /// <summary>Size in bytes of one element.</summary>
    public int ElementSize => GetElementSize(DType);

    /// <summary>Returns a copy of <see cref="Shape"/> as an array.</summary>
    /// <returns>A new array with the dimensions.</returns>
    public int[] GetShape() => (int[])_shape.Clone();

    /// <summary>Size in bytes of one element of <paramref name="dtype"/>.</summary>
    /// <param name="dtype">The element type.</param>
    /// <returns>1, 2, 4 or 8.</returns>
    public static int GetElementSize(SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.F64 or SafetensorsDType.I64 => 8,
        SafetensorsDType.F32 or SafetensorsDType.I32 => 4,
        SafetensorsDType.F16 or SafetensorsDType.BF16 => 2,
        SafetensorsDType.U8 or SafetensorsDType.Bool => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown SafetensorsDType."),
    };

    /// <summary>The header string of <paramref name="dtype"/>, e.g. <c>"F32"</c> or <c>"BOOL"</c>.</summary>
    /// <param name="dtype">The element type.</param>
    /// <returns>The dtype string used in safetensors headers.</returns>
    public static string GetDTypeName(SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.F64 => "F64",
        SafetensorsDType.F32 => "F32",
        SafetensorsDType.F16 => "F16",
        SafetensorsDType.BF16 => "BF16",
        SafetensorsDType.I64 => "I64",
        SafetensorsDType.I32 => "I32",
        SafetensorsDType.U8 => "U8",
        SafetensorsDType.Bool => "BOOL",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown SafetensorsDType."),
    };

    /// <summary>Parses a header dtype string; returns <see langword="false"/> for unsupported ones.</summary>
    /// <param name="name">The dtype string, e.g. <c>"F16"</c>.</param>
    /// <param name="dtype">The parsed element type.</param>
    /// <returns>Whether <paramref name="name"/> is supported.</returns>
    public static bool TryParseDType(string name, out SafetensorsDType dtype)
    {
        ArgumentNullException.ThrowIfNull(name);
        (bool ok, dtype) = name switch
        {
            "F64" => (true, SafetensorsDType.F64),
            "F32" => (true, SafetensorsDType.F32),
            "F16" => (true, SafetensorsDType.F16),
            "BF16" => (true, SafetensorsDType.BF16),
            "I64" => (true, SafetensorsDType.I64),
            "I32" => (true, SafetensorsDType.I32),
            "U8" => (true, SafetensorsDType.U8),
            "BOOL" => (true, SafetensorsDType.Bool),
            _ => (false, default),
        };
        return ok;
    }

    /// <summary>
    /// Creates a tensor from raw little-endian element bytes, used without copying (the caller must
    /// not modify <paramref name="littleEndianData"/> afterwards).
    /// </summary>
    /// <param name="dtype">Element type.</param>
    /// <param name="littleEndianData">Element bytes in C order; length must be element count × element size.</param>
    /// <param name="shape">Dimensions; empty for a 0-d tensor.</param>
    /// <returns>The tensor.</returns>
    /// <exception cref="ArgumentException">The shape is invalid or does not match the data length.</exception>
    public static SafetensorsTensor FromRawBytes(SafetensorsDType dtype, byte[] littleEndianData, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(littleEndianData);
        ArgumentNullException.ThrowIfNull(shape);
        int size = GetElementSize(dtype);
        long count = NpyArray.CheckedElementCount(shape, nameof(shape));
        if (littleEndianData.Length % size != 0 || littleEndianData.Length / size != count)
        {
            IoThrowHelper.ThrowArgument(
                nameof(littleEndianData),
                $"Shape {IoThrowHelper.FormatShape(shape)} of {GetDTypeName(dtype)} needs {count * size} bytes but the data has {littleEndianData.Length}.");
        }

        return new SafetensorsTensor(dtype, (int[])shape.Clone(), littleEndianData, count);
    }

    /// <summary>
    /// Creates a floating-point tensor from <see cref="float"/> values (copied), converting them to
    /// <paramref name="storeAs"/>: F16 through <see cref="Half"/> and BF16 with round-to-nearest-even
    /// (as <c>tensor.to(torch.bfloat16)</c>), both preserving infinities and NaN.
    /// </summary>
    /// <param name="data">Elements in C order.</param>
    /// <param name="shape">Dimensions; empty for a 0-d tensor.</param>
    /// <param name="storeAs">Stored type: <see cref="SafetensorsDType.F32"/>, <see cref="SafetensorsDType.F16"/>,
    /// <see cref="SafetensorsDType.BF16"/> or <see cref="SafetensorsDType.F64"/>.</param>
    /// <returns>The tensor.</returns>
    /// <exception cref="ArgumentException">The shape does not match the data, or <paramref name="storeAs"/> is not a float type.</exception>
    public static SafetensorsTensor FromFloat32(float[] data, int[] shape, SafetensorsDType storeAs = SafetensorsDType.F32)
    {
        ArgumentNullException.ThrowIfNull(data);
        long count = CheckShape(shape, data.Length);
        byte[] bytes;
        switch (storeAs)
        {
            case SafetensorsDType.F32:
                bytes = ByteOrder.ToBytes<float>(data);
                break;
            case SafetensorsDType.F64:
                var wide = new double[data.Length];
                for (int i = 0; i < data.Length; i++)
                {
                    wide[i] = data[i];
                }

                bytes = ByteOrder.ToBytes<double>(wide);
                break;
            case SafetensorsDType.F16:
                var halves = new ushort[data.Length];
                for (int i = 0; i < data.Length; i++)
                {
                    halves[i] = BitConverter.HalfToUInt16Bits((Half)data[i]);
                }

                bytes = ByteOrder.ToBytes<ushort>(halves);
                break;
            case SafetensorsDType.BF16:
                var brains = new ushort[data.Length];
                for (int i = 0; i < data.Length; i++)
                {
                    brains[i] = ToBFloat16Bits(data[i]);
                }

                bytes = ByteOrder.ToBytes<ushort>(brains);
                break;
            default:
                IoThrowHelper.ThrowArgumentOutOfRange(
                    nameof(storeAs), storeAs, "Expected a floating-point dtype: F32, F16, BF16 or F64.");
                return null!;
        }

        return new SafetensorsTensor(storeAs, (int[])shape.Clone(), bytes, count);
    }

    /// <summary>Creates an <see cref="SafetensorsDType.I64"/> tensor (the data is copied).</summary>
    /// <param name="data">Elements in C order.</param>
    /// <param name="shape">Dimensions; empty for a 0-d tensor.</param>
    /// <returns>The tensor.</returns>
    /// <exception cref="ArgumentException">The shape does not match the data length.</exception>
    public static SafetensorsTensor FromInt64(long[] data, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        long count = CheckShape(shape, data.Length);
        return new SafetensorsTensor(SafetensorsDType.I64, (int[])shape.Clone(), ByteOrder.ToBytes<long>(data), count);
    }

    /// <summary>Creates an <see cref="SafetensorsDType.I32"/> tensor (the data is copied).</summary>
    /// <param name="data">Elements in C order.</param>
    /// <param name="shape">Dimensions; empty for a 0-d tensor.</param>
    /// <returns>The tensor.</returns>
    /// <exception cref="ArgumentException">The shape does not match the data length.</exception>
    public static SafetensorsTensor FromInt32(int[] data, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        long count = CheckShape(shape, data.Length);
        return new SafetensorsTensor(SafetensorsDType.I32, (int[])shape.Clone(), ByteOrder.ToBytes<int>(data), count);
    }

    /// <summary>Returns the elements as <see cref="float"/>, converting from any dtype.</summary>
    /// <returns>A new array of <see cref="Length"/> elements.</returns>
    public float[] ToFloat32()
    {
        var result = new float[Length];
        switch (DType)
        {
            case SafetensorsDType.F32:
                ByteOrder.AsElements<float>(_data).CopyTo(result);
                break;
            case SafetensorsDType.F64:
                ReadOnlySpan<double> doubles = ByteOrder.AsElements<double>(_data);
                for (int i = 0; i < result.Length; i++)
                {
                    result[i] = (float)doubles[i];
                }

                break;
            case SafetensorsDType.F16:
                ReadOnlySpan<ushort> halves = ByteOrder.AsElements<ushort>(_data);
                for (int i = 0; i < result.Length; i++)
                {
                    result[i] = (float)BitConverter.UInt16BitsToHalf(halves[i]);
                }

                break;
            case SafetensorsDType.BF16:
                ReadOnlySpan<ushort> brains = ByteOrder.AsElements<ushort>(_data);
                for (int i = 0; i < result.Length; i++)
                {
                    result[i] = FromBFloat16Bits(brains[i]);
                }

                break;
            case SafetensorsDType.I64:
                ReadOnlySpan<long> longs = ByteOrder.AsElements<long>(_data);
                for (int i = 0; i < result.Length; i++)
                {
                    result[i] = longs[i];
                }

                break;
            case SafetensorsDType.I32:
                ReadOnlySpan<int> ints = ByteOrder.AsElements<int>(_data);
                for (int i = 0; i < result.Length; i++)
                {
                    result[i] = ints[i];
                }

                break;
            case SafetensorsDType.U8:
                for (int i = 0; i < result.Length; i++)
                {
                    result[i] = _data[i];
                }

                break;
            default:
                for (int i = 0; i < result.Length; i++)
                {
                    result[i] = _data[i] != 0 ? 1f : 0f;
                }

                break;
        }

        return result;
    }

    /// <summary>Returns the elements as <see cref="long"/>; integer and boolean dtypes only.</summary>
    /// <returns>A new array of <see cref="Length"/> elements.</returns>
    /// <exception cref="InvalidOperationException">The dtype is floating-point.</exception>
    public long[] ToInt64()
    {
        var result = new long[Length];
        switch (DType)
        {
            case SafetensorsDType.I64:
                ByteOrder.AsElements<long>(_data).CopyTo(result);
                break;
            case SafetensorsDType.I32:
                ReadOnlySpan<int> ints = ByteOrder.AsElements<int>(_data);
                for (int i = 0; i < result.Length; i++)
                {
                    result[i] = ints[i];
                }

                break;
            case SafetensorsDType.U8:
            case SafetensorsDType.Bool:
                bool isBool = DType == SafetensorsDType.Bool;
                for (int i = 0; i < result.Length; i++)
                {
                    result[i] = isBool ? (_data[i] != 0 ? 1 : 0) : _data[i];
                }

                break;
            default:
                IoThrowHelper.ThrowConversion(DTypeName, "I64");
                break;
        }

        return result;
    }

    /// <inheritdoc/>
    public override string ToString() => $"SafetensorsTensor({DTypeName}, shape={IoThrowHelper.FormatShape(_shape)})";

    /// <summary>Rounds a float to bfloat16 bits, round-to-nearest-even; NaN stays a (quiet) NaN.</summary>
    internal static ushort ToBFloat16Bits(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
        {
            return (ushort)((bits >> 16) | 0x0040);
        }

        uint roundingBias = 0x7FFFu + ((bits >> 16) & 1u);
        return (ushort)((bits + roundingBias) >> 16);
    }

    /// <summary>Widens bfloat16 bits to a float (exact).</summary>
    internal static float FromBFloat16Bits(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    /// <summary>Wraps bytes read from a file; the caller has validated the size.</summary>
    internal static SafetensorsTensor FromValidated(SafetensorsDType dtype, int[] shape, byte[] data, long count) =>
        new(dtype, shape, data, count);

    private static long CheckShape(int[] shape, int dataLength)
    {
        ArgumentNullException.ThrowIfNull(shape);
        long count = NpyArray.CheckedElementCount(shape, nameof(shape));
        if (count != dataLength)
        {
            IoThrowHelper.ThrowShapeMismatch(nameof(shape), shape, count, dataLength);
        }

        return count;
    }
}
