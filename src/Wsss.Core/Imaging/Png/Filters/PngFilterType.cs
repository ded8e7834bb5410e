namespace Wsss.Core.Imaging.Png.Filters;

/// <summary>The five filter types of filter method 0 (§7.3, §9.2).</summary>
internal enum PngFilterType : byte
{
    None = 0,
    Sub = 1,
    Up = 2,
    Average = 3,
    Paeth = 4,
}
