namespace Wsss.Core.IO;

/// <summary>Element types supported in safetensors files; the names match the format's dtype strings.</summary>
public enum SafetensorsDType
{
    /// <summary>64-bit IEEE float (<c>"F64"</c>, <c>torch.float64</c>).</summary>
    F64,

    /// <summary>32-bit IEEE float (<c>"F32"</c>, <c>torch.float32</c>).</summary>
    F32,

    /// <summary>16-bit IEEE half float (<c>"F16"</c>, <c>torch.float16</c>), read through <see cref="Half"/>.</summary>
    F16,

    /// <summary>bfloat16: the upper 16 bits of a float32 (<c>"BF16"</c>, <c>torch.bfloat16</c>).</summary>
    BF16,

    /// <summary>64-bit signed integer (<c>"I64"</c>, <c>torch.int64</c>).</summary>
    I64,

    /// <summary>32-bit signed integer (<c>"I32"</c>, <c>torch.int32</c>).</summary>
    I32,

    /// <summary>Unsigned byte (<c>"U8"</c>, <c>torch.uint8</c>).</summary>
    U8,

    /// <summary>Boolean stored as one byte 0/1 (<c>"BOOL"</c>, <c>torch.bool</c>).</summary>
    Bool,
}
