namespace Wsss.Core.Imaging.Png;

/// <summary>Numbers fixed by the PNG specification (W3C, third edition).</summary>
internal static class PngConstants
{
    /// <summary>The eight signature bytes every PNG datastream starts with (§5.2).</summary>
    internal static ReadOnlySpan<byte> Signature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Largest chunk length allowed (2³¹ − 1, §5.3).</summary>
    internal const uint MaxChunkLength = int.MaxValue;

    /// <summary>Length of the IHDR chunk's data.</summary>
    internal const int HeaderLength = 13;

    /// <summary>Upper bound of the DEFLATE expansion ratio (a 258-byte match per 2 bits, ≈ 1032:1), plus slack.</summary>
    internal const int MaxInflateRatio = 1040;

    /// <summary>Size of the IDAT chunks the encoder writes.</summary>
    internal const int EncoderIdatSize = 1 << 18;

    /// <summary>Adam7 passes as (x0, y0, dx, dy) (§8.2).</summary>
    internal static readonly (int X0, int Y0, int Dx, int Dy)[] Adam7 =
    [
        (0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2),
    ];
}
