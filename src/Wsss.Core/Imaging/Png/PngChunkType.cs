namespace Wsss.Core.Imaging.Png;

/// <summary>Chunk type codes as big-endian 32-bit integers (§5.6, §11).</summary>
internal static class PngChunkType
{
    internal const uint Header = 0x49484452;       // IHDR
    internal const uint Palette = 0x504C5445;      // PLTE
    internal const uint Data = 0x49444154;         // IDAT
    internal const uint End = 0x49454E44;          // IEND
    internal const uint Transparency = 0x74524E53; // tRNS

    /// <summary>The four letters of a chunk type, non-letters escaped, for messages.</summary>
    internal static string Name(uint type)
    {
        Span<char> s = stackalloc char[4];
        for (int i = 0; i < 4; i++)
        {
            char c = (char)((type >> (24 - 8 * i)) & 0xFF);
            s[i] = char.IsAsciiLetter(c) ? c : '?';
        }
        return new string(s);
    }

    /// <summary>True when all four bytes are ASCII letters (§5.3).</summary>
    internal static bool IsValid(uint type)
    {
        for (int i = 0; i < 4; i++)
            if (!char.IsAsciiLetter((char)((type >> (24 - 8 * i)) & 0xFF))) return false;
        return true;
    }

    /// <summary>Critical chunks have an upper-case first letter (bit 5 of the first byte clear).</summary>
    internal static bool IsCritical(uint type) => (type & 0x20000000) == 0;
}
