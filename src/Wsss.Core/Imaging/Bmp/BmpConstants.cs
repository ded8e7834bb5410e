namespace Wsss.Core.Imaging.Bmp;

/// <summary>Numbers of the Windows bitmap format.</summary>
internal static class BmpConstants
{
    /// <summary>BITMAPFILEHEADER size.</summary>
    internal const int FileHeaderSize = 14;

    /// <summary>BITMAPCOREHEADER (OS/2 1.x) size.</summary>
    internal const int CoreHeaderSize = 12;

    /// <summary>BITMAPINFOHEADER size.</summary>
    internal const int InfoHeaderSize = 40;

    /// <summary>BITMAPV4HEADER size.</summary>
    internal const int V4HeaderSize = 108;

    /// <summary>BITMAPV5HEADER size.</summary>
    internal const int V5HeaderSize = 124;

    /// <summary>biCompression: uncompressed.</summary>
    internal const uint BiRgb = 0;

    /// <summary>biCompression: uncompressed with channel masks.</summary>
    internal const uint BiBitfields = 3;

    /// <summary>biCompression: uncompressed with channel masks including alpha (Windows CE).</summary>
    internal const uint BiAlphaBitfields = 6;
}
