using System.Numerics;
using System.Collections.ObjectModel;
using System.Globalization;

namespace Wsss.Core.IO;

/// <summary>
/// An n-dimensional array as stored in a <c>.npy</c> file: an element type, a C-order (row-major)
/// shape and the raw little-endian element bytes.
/// </summary>
/// <remarks>
/// Instances are immutable: factories copy their input and <see cref="Data"/> is read-only.
/// An empty shape denotes a 0-d (scalar) array holding exactly one element, as in NumPy.
/// </remarks>
public sealed class NpyArray
{
    private readonly byte[] _data;
    private readonly int[] _shape;

    private NpyArray(NpyDType dtype, int[] shape, byte[] data, long length)
    {
        DType = dtype;
        _shape = shape;
        _data = data;
        Length = length;
        Shape = new ReadOnlyCollection<int>(shape);
    }

    /// <summary>Element type.</summary>
    public NpyDType DType { get; }

    /// <summary>Dimensions in C order; empty for a 0-d array.</summary>
    public IReadOnlyList<int> Shape { get; }

    /// <summary>Number of dimensions (0 for a scalar).</summary>
    public int Rank => _shape.Length;

    /// <summary>Number of elements: the product of <see cref="Shape"/> (1 for a 0-d array).</summary>
    public long Length { get; }

    /// <summary>Raw element bytes in little-endian order, C-contiguous.</summary>
    public ReadOnlyMemory<byte> Data => _data;

    /// <summary>Size in bytes of one element of <see cref="DType"/>.</summary>
    public int ElementSize => GetElementSize(DType);

    /// <summary>Returns a copy of <see cref="Shape"/> as an array.</summary>
    /// <returns>A new array with the dimensions.</returns>
    public int[] GetShape() => (int[])_shape.Clone();

    /// <summary>Size in bytes of one element of <paramref name="dtype"/>.</summary>
    /// <param name="dtype">The element type.</param>
    /// <returns>1, 4 or 8.</returns>
    public static int GetElementSize(NpyDType dtype) => dtype switch
    {
        NpyDType.Float32 or NpyDType.Int32 => 4,
        NpyDType.Float64 or NpyDType.Int64 => 8,
        NpyDType.UInt8 or NpyDType.Bool => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown NpyDType."),
    };

    /// <summary>
    /// Creates an array from raw little-endian element bytes. The bytes are used without copying, so
    /// the caller must not modify <paramref name="littleEndianData"/> afterwards.
    /// </summary>
    /// <param name="dtype">Element type.</param>
    /// <param name="littleEndianData">Element bytes, C order; length must be element count × element size.</param>
    /// <param name="shape">Dimensions; empty for a 0-d array.</param>
    /// <returns>The array.</returns>
    /// <exception cref="ArgumentException">The shape has a negative dimension or does not match the data length.</exception>
    public static NpyArray FromRawBytes(NpyDType dtype, byte[] littleEndianData, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(littleEndianData);
        ArgumentNullException.ThrowIfNull(shape);
        int size = GetElementSize(dtype);
        long count = CheckedElementCount(shape, nameof(shape));
        if (littleEndianData.Length % size != 0 || littleEndianData.Length / size != count)
        {
            IoThrowHelper.ThrowArgument(
                nameof(littleEndianData),
                $"Shape {IoThrowHelper.FormatShape(shape)} of {dtype} needs {count * size} bytes but the data has {littleEndianData.Length}.");
        }

        return new NpyArray(dtype, (int[])shape.Clone(), littleEndianData, count);
    }

    /// <summary>Creates a <see cref="NpyDType.Float32"/> array (the data is copied).</summary>
    /// <param name="data">Elements in C order.</param>
    /// <param name="shape">Dimensions; empty for a 0-d array (then <paramref name="data"/> must hold one element).</param>
    /// <returns>The array.</returns>
    /// <exception cref="ArgumentException">The shape does not match the data length.</exception>
    public static NpyArray FromFloat32(float[] data, params int[] shape) => Create<float>(NpyDType.Float32, data, shape);

    /// <summary>Creates a <see cref="NpyDType.Float64"/> array (the data is copied).</summary>
    /// <param name="data">Elements in C order.</param>
    /// <param name="shape">Dimensions; empty for a 0-d array.</param>
    /// <returns>The array.</returns>
    /// <exception cref="ArgumentException">The shape does not match the data length.</exception>
    public static NpyArray FromFloat64(double[] data, params int[] shape) => Create<double>(NpyDType.Float64, data, shape);

    /// <summary>Creates a <see cref="NpyDType.UInt8"/> array (the data is copied).</summary>
    /// <param name="data">Elements in C order.</param>
    /// <param name="shape">Dimensions; empty for a 0-d array.</param>
    /// <returns>The array.</returns>
    /// <exception cref="ArgumentException">The shape does not match the data length.</exception>
    public static NpyArray FromUInt8(byte[] data, params int[] shape) => Create<byte>(NpyDType.UInt8, data, shape);

    /// <summary>Creates a <see cref="NpyDType.Int32"/> array (the data is copied).</summary>
    /// <param name="data">Elements in C order.</param>
    /// <param name="shape">Dimensions; empty for a 0-d array.</param>
    /// <returns>The array.</returns>
    /// <exception cref="ArgumentException">The shape does not match the data length.</exception>
    public static NpyArray FromInt32(int[] data, params int[] shape) => Create<int>(NpyDType.Int32, data, shape);

    /// <summary>Creates a <see cref="NpyDType.Int64"/> array (the data is copied).</summary>
    /// <param name="data">Elements in C order.</param>
    /// <param name="shape">Dimensions; empty for a 0-d array.</param>
    /// <returns>The array.</returns>
    /// <exception cref="ArgumentException">The shape does not match the data length.</exception>
    public static NpyArray FromInt64(long[] data, params int[] shape) => Create<long>(NpyDType.Int64, data, shape);

    /// <summary>Creates a <see cref="NpyDType.Bool"/> array, stored as bytes 0/1 (the data is copied).</summary>
    /// <param name="data">Elements in C order.</param>
    /// <param name="shape">Dimensions; empty for a 0-d array.</param>
    /// <returns>The array.</returns>
    /// <exception cref="ArgumentException">The shape does not match the data length.</exception>
    public static NpyArray FromBool(bool[] data, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        long count = CheckShape(shape, data.Length);
        byte[] bytes = new byte[data.Length];
        for (int i = 0; i < data.Length; i++)
        {
            bytes[i] = data[i] ? (byte)1 : (byte)0;
        }

        return new NpyArray(NpyDType.Bool, (int[])shape.Clone(), bytes, count);
    }

    /// <summary>
    /// Returns the elements as <see cref="float"/>, converting from any dtype
    /// (integers and doubles are rounded to the nearest float; <see langword="true"/> becomes 1).
    /// </summary>
    /// <returns>A new array of <see cref="Length"/> elements.</returns>
    public float[] ToFloat32() => ToFloating<float>();

    /// <summary>Returns the elements as <see cref="double"/>, converting from any dtype.</summary>
    /// <returns>A new array of <see cref="Length"/> elements.</returns>
    public double[] ToFloat64() => ToFloating<double>();

    private T[] ToFloating<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        var result = new T[_data.Length / ElementSize];
        switch (DType)
        {
            case NpyDType.Float32: Widen(ByteOrder.AsElements<float>(_data), result); break;
            case NpyDType.Float64: Widen(ByteOrder.AsElements<double>(_data), result); break;
            case NpyDType.Int32: Widen(ByteOrder.AsElements<int>(_data), result); break;
            case NpyDType.Int64: Widen(ByteOrder.AsElements<long>(_data), result); break;
            case NpyDType.Bool:
                for (int i = 0; i < result.Length; i++) result[i] = _data[i] != 0 ? T.One : T.Zero;
                break;
            default: Widen<byte, T>(_data, result); break;
        }

        return result;
    }

    /// <summary>Numeric conversion to the nearest representable value (doubles and large integers round).</summary>
    private static void Widen<TFrom, TTo>(ReadOnlySpan<TFrom> source, Span<TTo> destination)
        where TFrom : INumberBase<TFrom>
        where TTo : INumberBase<TTo>
    {
        for (int i = 0; i < source.Length; i++) destination[i] = TTo.CreateTruncating(source[i]);
    }

    /// <summary>
    /// Returns the elements as <see cref="int"/>. Integer and boolean dtypes are accepted;
    /// <see cref="NpyDType.Int64"/> values are range-checked.
    /// </summary>
    /// <returns>A new array of <see cref="Length"/> elements.</returns>
    /// <exception cref="OverflowException">An int64 element is outside the int32 range.</exception>
    /// <exception cref="InvalidOperationException">The dtype is floating-point.</exception>
    public int[] ToInt32()
    {
        var result = new int[_data.Length / ElementSize];
        switch (DType)
        {
            case NpyDType.Int32:
                ByteOrder.AsElements<int>(_data).CopyTo(result);
                break;
            case NpyDType.Int64:
                ReadOnlySpan<long> source = ByteOrder.AsElements<long>(_data);
                for (int i = 0; i < source.Length; i++)
                {
                    long v = source[i];
                    if (v is < int.MinValue or > int.MaxValue)
                    {
                        IoThrowHelper.ThrowOverflow("int64", "int32", i, v.ToString(CultureInfo.InvariantCulture));
                    }

                    result[i] = (int)v;
                }

                break;
            case NpyDType.UInt8:
                Convert(_data, result, static v => v);
                break;
            case NpyDType.Bool:
                Convert(_data, result, static v => v != 0 ? 1 : 0);
                break;
            default:
                IoThrowHelper.ThrowConversion(DType.ToString(), "Int32");
                break;
        }

        return result;
    }

    /// <summary>Returns the elements as <see cref="long"/>. Integer and boolean dtypes are accepted.</summary>
    /// <returns>A new array of <see cref="Length"/> elements.</returns>
    /// <exception cref="InvalidOperationException">The dtype is floating-point.</exception>
    public long[] ToInt64()
    {
        var result = new long[_data.Length / ElementSize];
        switch (DType)
        {
            case NpyDType.Int64:
                ByteOrder.AsElements<long>(_data).CopyTo(result);
                break;
            case NpyDType.Int32:
                Convert(ByteOrder.AsElements<int>(_data), result, static v => v);
                break;
            case NpyDType.UInt8:
                Convert(_data, result, static v => v);
                break;
            case NpyDType.Bool:
                Convert(_data, result, static v => v != 0 ? 1L : 0L);
                break;
            default:
                IoThrowHelper.ThrowConversion(DType.ToString(), "Int64");
                break;
        }

        return result;
    }

    /// <summary>
    /// Returns the elements as bytes. Integer and boolean dtypes are accepted; wider integers are
    /// range-checked to [0, 255].
    /// </summary>
    /// <returns>A new array of <see cref="Length"/> elements.</returns>
    /// <exception cref="OverflowException">An element is outside [0, 255].</exception>
    /// <exception cref="InvalidOperationException">The dtype is floating-point.</exception>
    public byte[] ToUInt8()
    {
        var result = new byte[_data.Length / ElementSize];
        switch (DType)
        {
            case NpyDType.UInt8:
                _data.CopyTo(result, 0);
                break;
            case NpyDType.Bool:
                Convert(_data, result, static v => v != 0 ? (byte)1 : (byte)0);
                break;
            case NpyDType.Int32:
                ReadOnlySpan<int> ints = ByteOrder.AsElements<int>(_data);
                for (int i = 0; i < ints.Length; i++)
                {
                    if ((uint)ints[i] > byte.MaxValue)
                    {
                        IoThrowHelper.ThrowOverflow("int32", "uint8", i, ints[i].ToString(CultureInfo.InvariantCulture));
                    }

                    result[i] = (byte)ints[i];
                }

                break;
            case NpyDType.Int64:
                ReadOnlySpan<long> longs = ByteOrder.AsElements<long>(_data);
                for (int i = 0; i < longs.Length; i++)
                {
                    if ((ulong)longs[i] > byte.MaxValue)
                    {
                        IoThrowHelper.ThrowOverflow("int64", "uint8", i, longs[i].ToString(CultureInfo.InvariantCulture));
                    }

                    result[i] = (byte)longs[i];
                }

                break;
            default:
                IoThrowHelper.ThrowConversion(DType.ToString(), "UInt8");
                break;
        }

        return result;
    }

    /// <summary>
    /// Returns the elements as <see cref="bool"/>: for every dtype an element is <see langword="true"/>
    /// when it is non-zero (NaN counts as non-zero), as NumPy's <c>astype(bool)</c>.
    /// </summary>
    /// <returns>A new array of <see cref="Length"/> elements.</returns>
    public bool[] ToBool()
    {
        var result = new bool[_data.Length / ElementSize];
        switch (DType)
        {
            case NpyDType.Float32:
                Convert(ByteOrder.AsElements<float>(_data), result, static v => v != 0f);
                break;
            case NpyDType.Float64:
                Convert(ByteOrder.AsElements<double>(_data), result, static v => v != 0d);
                break;
            case NpyDType.Int32:
                Convert(ByteOrder.AsElements<int>(_data), result, static v => v != 0);
                break;
            case NpyDType.Int64:
                Convert(ByteOrder.AsElements<long>(_data), result, static v => v != 0);
                break;
            default:
                Convert(_data, result, static v => v != 0);
                break;
        }

        return result;
    }

    /// <inheritdoc/>
    public override string ToString() => $"NpyArray({DType}, shape={IoThrowHelper.FormatShape(_shape)})";

    /// <summary>Wraps bytes read from a file; the caller has validated the size.</summary>
    internal static NpyArray FromValidated(NpyDType dtype, int[] shape, byte[] data, long count) =>
        new(dtype, shape, data, count);

    /// <summary>Product of the dimensions, checked for negative values and for overflow.</summary>
    internal static long CheckedElementCount(IReadOnlyList<int> shape, string paramName)
    {
        long count = 1;
        for (int i = 0; i < shape.Count; i++)
        {
            int dim = shape[i];
            if (dim < 0)
            {
                IoThrowHelper.ThrowArgumentOutOfRange(
                    paramName, dim, $"Dimension {i} of shape {IoThrowHelper.FormatShape(shape)} is negative.");
            }

            if (dim != 0 && count > Array.MaxLength / dim)
            {
                IoThrowHelper.ThrowArgument(
                    paramName, $"Shape {IoThrowHelper.FormatShape(shape)} has more than {Array.MaxLength} elements.");
            }

            count *= dim;
        }

        return count;
    }

    private static NpyArray Create<T>(NpyDType dtype, T[] data, int[] shape) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(data);
        long count = CheckShape(shape, data.Length);
        return new NpyArray(dtype, (int[])shape.Clone(), ByteOrder.ToBytes<T>(data), count);
    }

    private static long CheckShape(int[] shape, int dataLength)
    {
        ArgumentNullException.ThrowIfNull(shape);
        long count = CheckedElementCount(shape, nameof(shape));
        if (count != dataLength)
        {
            IoThrowHelper.ThrowShapeMismatch(nameof(shape), shape, count, dataLength);
        }

        return count;
    }

    private static void Convert<TFrom, TTo>(ReadOnlySpan<TFrom> source, Span<TTo> destination, Func<TFrom, TTo> convert)
    {
        for (int i = 0; i < source.Length; i++)
        {
            destination[i] = convert(source[i]);
        }
    }
}
