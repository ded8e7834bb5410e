namespace Wsss.Core.Imaging.Jpeg;

/// <summary>Marker codes (ITU-T T.81 Table B.1), limits and the zig-zag order.</summary>
internal static class JpegConstants
{
    public const byte SOF0 = 0xC0, SOF1 = 0xC1, SOF2 = 0xC2, SOF3 = 0xC3, DHT = 0xC4;
    public const byte SOF5 = 0xC5, SOF6 = 0xC6, SOF7 = 0xC7, JPG = 0xC8, SOF9 = 0xC9, SOF10 = 0xCA, SOF11 = 0xCB;
    public const byte DAC = 0xCC, SOF13 = 0xCD, SOF14 = 0xCE, SOF15 = 0xCF;
    public const byte RST0 = 0xD0, RST7 = 0xD7, SOI = 0xD8, EOI = 0xD9, SOS = 0xDA, DQT = 0xDB, DNL = 0xDC, DRI = 0xDD;
    public const byte DHP = 0xDE, EXP = 0xDF, APP0 = 0xE0, APP1 = 0xE1, APP14 = 0xEE, COM = 0xFE;

    /// <summary>Largest accepted width × height; larger declarations are rejected before any allocation.</summary>
    public const long MaxPixels = 1L << 27;

    /// <summary>Largest accepted input (bytes).</summary>
    public const long MaxFileBytes = 1L << 30;

    /// <summary>Fill bytes supplied after a marker interrupts entropy-coded data before the scan is rejected.</summary>
    public const int MaxFillBytesAfterMarker = 2048;

    /// <summary>Natural-order index of the k-th coefficient in zig-zag order (Figure A.6), padded with 63s
    /// so that a corrupt run length cannot index outside a block.</summary>
    public static ReadOnlySpan<byte> ZigZag =>
    [
        0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
        12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
        35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
        58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
        63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63,
    ];
}
