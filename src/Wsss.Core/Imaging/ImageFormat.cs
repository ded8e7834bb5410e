namespace Wsss.Core.Imaging;

/// <summary>A file format recognised by its first bytes (<see cref="ImageCodecs.DetectFormat"/>).</summary>
public enum ImageFormat
{
    /// <summary>None of the formats below.</summary>
    Unknown = 0,

    /// <summary>PNG (signature 89 50 4E 47 0D 0A 1A 0A).</summary>
    Png,

    /// <summary>JPEG (SOI marker FF D8 followed by another marker).</summary>
    Jpeg,

    /// <summary>Windows bitmap ("BM").</summary>
    Bmp,

    /// <summary>NumPy .npy (93 "NUMPY"), read as an (H, W, C) or (H, W) uint8 array.</summary>
    Npy,
}
