namespace Wsss.Core.Imaging.Jpeg;

/// <summary>JPEG decoder (placeholder until the JPEG codec lands).</summary>
public static class JpegDecoder
{
    /// <summary>Decodes a JPEG stream.</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="nameForErrors">Name used in error messages.</param>
    /// <returns>The image.</returns>
    public static ImageBuffer Decode(Stream stream, string? nameForErrors) => throw new NotSupportedException("JPEG decoding is not available yet.");
}
