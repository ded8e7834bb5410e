namespace Wsss.Core.Imaging.Resampling;

/// <summary>PIL's resampling filters (Image.NEAREST, BILINEAR, BICUBIC).</summary>
public enum PilFilter
{
    /// <summary>Nearest neighbour: source index ⌊(i + ½)·in/out⌋ (accumulated in double, as PIL's affine scaler).</summary>
    Nearest,

    /// <summary>Triangle filter (support 1), antialiased when downscaling.</summary>
    Bilinear,

    /// <summary>Cubic filter with a = −0.5 (support 2), antialiased when downscaling.</summary>
    Bicubic,
}
