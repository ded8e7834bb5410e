namespace Wsss.Core.IO;

/// <summary>Element types supported in <c>.npy</c>/<c>.npz</c> files.</summary>
/// <remarks>
/// Files with any other dtype (for example <c>'&lt;f2'</c>, <c>'&lt;u2'</c>, structured or object
/// arrays) are rejected with an <see cref="InvalidDataException"/> naming the dtype found.
/// </remarks>
public enum NpyDType
{
    /// <summary>32-bit IEEE float, NumPy <c>'&lt;f4'</c> (<c>float32</c>).</summary>
    Float32,

    /// <summary>64-bit IEEE float, NumPy <c>'&lt;f8'</c> (<c>float64</c>).</summary>
    Float64,

    /// <summary>Unsigned byte, NumPy <c>'|u1'</c> (<c>uint8</c>).</summary>
    UInt8,

    /// <summary>32-bit signed integer, NumPy <c>'&lt;i4'</c> (<c>int32</c>).</summary>
    Int32,

    /// <summary>64-bit signed integer, NumPy <c>'&lt;i8'</c> (<c>int64</c>).</summary>
    Int64,

    /// <summary>Boolean stored as one byte (0 or 1), NumPy <c>'|b1'</c> (<c>bool</c>).</summary>
    Bool,
}
