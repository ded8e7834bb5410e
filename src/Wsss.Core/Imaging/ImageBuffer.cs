namespace Wsss.Core.Imaging;

/// <summary>8-bit image: Width, Height, Channels (1 = gray, 3 = RGB, 4 = RGBA), Pixels row-major interleaved (length W·H·C).</summary>
public sealed class ImageBuffer
{
    /// <summary>Wraps <paramref name="pixels"/> (not copied).</summary>
    public ImageBuffer(int width, int height, int channels, byte[] pixels)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"size {width}x{height} must be positive");
        if (channels is not (1 or 3 or 4)) throw new ArgumentOutOfRangeException(nameof(channels), channels, "must be 1, 3 or 4");
        if (pixels.Length != (long)width * height * channels) throw new ArgumentException($"{pixels.Length} bytes do not hold {width}x{height}x{channels}", nameof(pixels));
        Width = width;
        Height = height;
        Channels = channels;
        Pixels = pixels;
    }

    /// <summary>A zero-filled image.</summary>
    public ImageBuffer(int width, int height, int channels) : this(width, height, channels, new byte[checked(width * height * channels)])
    {
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>Channels per pixel.</summary>
    public int Channels { get; }

    /// <summary>Row-major interleaved samples.</summary>
    public byte[] Pixels { get; }

    /// <summary>Sample at (y, x, c).</summary>
    public byte this[int y, int x, int c]
    {
        get => Pixels[(y * Width + x) * Channels + c];
        set => Pixels[(y * Width + x) * Channels + c] = value;
    }
}
