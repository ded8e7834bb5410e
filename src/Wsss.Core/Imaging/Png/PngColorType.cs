namespace Wsss.Core.Imaging.Png;

/// <summary>The IHDR colour type (§11.2.2).</summary>
internal enum PngColorType : byte
{
    Gray = 0,
    Rgb = 2,
    Palette = 3,
    GrayAlpha = 4,
    Rgba = 6,
}
