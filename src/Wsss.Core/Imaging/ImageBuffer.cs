using Wsss.Core.Tensors;

namespace Wsss.Core.Imaging;

/// <summary>
/// An 8-bit image: <see cref="Width"/> × <see cref="Height"/> pixels of <see cref="Channels"/> samples
/// (1 = gray, 3 = RGB, 4 = RGBA), stored row-major and interleaved in <see cref="Pixels"/>
/// (length W·H·C; sample (y, x, c) at index (y·W + x)·C + c).
/// </summary>
/// <remarks>
/// Conversions follow the Python references: <see cref="ToGray"/> is PIL's <c>convert("L")</c>,
/// <see cref="ToTensor"/> is torchvision's <c>ToTensor</c>, <see cref="ToNormalizedTensor"/> adds
/// torchvision's <c>Normalize</c>.
/// </remarks>
public sealed class ImageBuffer
{
    /// <summary>The ImageNet channel means (R, G, B) used by torchvision's pretrained models.</summary>
    public static IReadOnlyList<float> ImageNetMean { get; } = Array.AsReadOnly(new[] { 0.485f, 0.456f, 0.406f });

    /// <summary>The ImageNet channel standard deviations (R, G, B) used by torchvision's pretrained models.</summary>
    public static IReadOnlyList<float> ImageNetStd { get; } = Array.AsReadOnly(new[] { 0.229f, 0.224f, 0.225f });

    /// <summary>Wraps <paramref name="pixels"/> (not copied) as a <paramref name="width"/> × <paramref name="height"/> image.</summary>
    /// <param name="width">Width in pixels (≥ 1).</param>
    /// <param name="height">Height in pixels (≥ 1).</param>
    /// <param name="channels">1 (gray), 3 (RGB) or 4 (RGBA).</param>
    /// <param name="pixels">Row-major interleaved samples, exactly width·height·channels bytes.</param>
    /// <exception cref="ArgumentException">A size is out of range or the length of <paramref name="pixels"/> does not match.</exception>
    public ImageBuffer(int width, int height, int channels, byte[] pixels)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        long n = CheckSize(width, height, channels);
        if (pixels.LongLength != n)
            throw new ArgumentException($"A {width}×{height} image with {channels} channel(s) needs {n} bytes, got {pixels.LongLength}.", nameof(pixels));
        Width = width;
        Height = height;
        Channels = channels;
        Pixels = pixels;
    }

    /// <summary>Makes a zero-filled (black, transparent) image.</summary>
    /// <param name="width">Width in pixels (≥ 1).</param>
    /// <param name="height">Height in pixels (≥ 1).</param>
    /// <param name="channels">1 (gray), 3 (RGB) or 4 (RGBA).</param>
    /// <exception cref="ArgumentException">A size is out of range.</exception>
    public ImageBuffer(int width, int height, int channels)
        : this(width, height, channels, new byte[CheckSize(width, height, channels)])
    {
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>Samples per pixel: 1 (gray), 3 (RGB) or 4 (RGBA).</summary>
    public int Channels { get; }

    /// <summary>The samples, row-major and interleaved (length W·H·C). Writes change the image.</summary>
    public byte[] Pixels { get; }

    /// <summary>Sample <paramref name="c"/> of pixel (<paramref name="x"/>, <paramref name="y"/>).</summary>
    /// <param name="y">Row, 0 at the top.</param>
    /// <param name="x">Column, 0 at the left.</param>
    /// <param name="c">Channel.</param>
    /// <exception cref="ArgumentOutOfRangeException">An index is out of range.</exception>
    public byte this[int y, int x, int c]
    {
        get => Pixels[Index(y, x, c)];
        set => Pixels[Index(y, x, c)] = value;
    }

    private int Index(int y, int x, int c)
    {
        if ((uint)y >= (uint)Height) throw new ArgumentOutOfRangeException(nameof(y), y, $"Row must be in [0, {Height}).");
        if ((uint)x >= (uint)Width) throw new ArgumentOutOfRangeException(nameof(x), x, $"Column must be in [0, {Width}).");
        if ((uint)c >= (uint)Channels) throw new ArgumentOutOfRangeException(nameof(c), c, $"Channel must be in [0, {Channels}).");
        return (y * Width + x) * Channels + c;
    }

    internal static long CheckSize(int width, int height, int channels)
    {
        if (width < 1) throw new ArgumentOutOfRangeException(nameof(width), width, "Width must be at least 1.");
        if (height < 1) throw new ArgumentOutOfRangeException(nameof(height), height, "Height must be at least 1.");
        if (channels is not (1 or 3 or 4)) throw new ArgumentOutOfRangeException(nameof(channels), channels, "Channels must be 1 (gray), 3 (RGB) or 4 (RGBA).");
        long n = (long)width * height * channels;
        if (n > Array.MaxLength) throw new ArgumentException($"A {width}×{height}×{channels} image exceeds the largest array ({Array.MaxLength} bytes).", nameof(width));
        return n;
    }

    /// <summary>A deep copy.</summary>
    public ImageBuffer Clone() => new(Width, Height, Channels, (byte[])Pixels.Clone());

    /// <summary>
    /// An RGB copy: gray is replicated into R, G and B, RGBA drops alpha (PIL's <c>convert("RGB")</c>,
    /// which does not composite). An RGB image is copied.
    /// </summary>
    public ImageBuffer ToRgb()
    {
        int n = Width * Height;
        var dst = new byte[n * 3];
        var src = Pixels;
        switch (Channels)
        {
            case 1:
                for (int i = 0, j = 0; i < n; i++, j += 3)
                {
                    byte v = src[i];
                    dst[j] = v; dst[j + 1] = v; dst[j + 2] = v;
                }
                break;
            case 3:
                src.CopyTo(dst, 0);
                break;
            default:
                for (int i = 0, j = 0, k = 0; i < n; i++, j += 3, k += 4)
                {
                    dst[j] = src[k]; dst[j + 1] = src[k + 1]; dst[j + 2] = src[k + 2];
                }
                break;
        }
        return new ImageBuffer(Width, Height, 3, dst);
    }

    /// <summary>
    /// A gray copy by the ITU-R 601-2 luma transform, bit-exact with PIL's <c>convert("L")</c>:
    /// L = (R·19595 + G·38470 + B·7471 + 0x8000) &gt;&gt; 16 (the weights 0.299, 0.587, 0.114 in 16-bit
    /// fixed point, rounded to nearest). Alpha is ignored; a gray image is copied.
    /// </summary>
    public ImageBuffer ToGray()
    {
        if (Channels == 1) return Clone();
        int n = Width * Height, c = Channels;
        var dst = new byte[n];
        var src = Pixels;
        for (int i = 0, k = 0; i < n; i++, k += c)
            dst[i] = Luma(src[k], src[k + 1], src[k + 2]);
        return new ImageBuffer(Width, Height, 1, dst);
    }

    internal static byte Luma(byte r, byte g, byte b) => (byte)((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16);

    /// <summary>
    /// A (C, H, W) float tensor with values v / 255 in [0, 1], as torchvision's <c>ToTensor</c>
    /// (all channels, alpha included).
    /// </summary>
    public Tensor ToTensor()
    {
        int hw = Width * Height, c = Channels;
        var t = Tensor.Zeros(c, Height, Width);
        var d = t.Data;
        var src = Pixels;
        for (int ch = 0; ch < c; ch++)
        {
            var plane = d.Slice(ch * hw, hw);
            for (int i = 0, k = ch; i < hw; i++, k += c) plane[i] = src[k] / 255f;
        }
        return t;
    }

    /// <summary>
    /// <see cref="ToTensor"/> followed by torchvision's <c>Normalize(mean, std)</c>:
    /// (v / 255 − mean[c]) / std[c] per channel, in float32.
    /// </summary>
    /// <param name="mean">One mean per channel (e.g. <see cref="ImageNetMean"/>).</param>
    /// <param name="std">One standard deviation per channel (e.g. <see cref="ImageNetStd"/>), all non-zero.</param>
    /// <exception cref="ArgumentException">The lengths differ from <see cref="Channels"/> or a deviation is zero.</exception>
    public Tensor ToNormalizedTensor(IReadOnlyList<float> mean, IReadOnlyList<float> std)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        if (mean.Count != Channels) throw new ArgumentException($"Expected {Channels} means (one per channel), got {mean.Count}.", nameof(mean));
        if (std.Count != Channels) throw new ArgumentException($"Expected {Channels} standard deviations (one per channel), got {std.Count}.", nameof(std));
        for (int c = 0; c < std.Count; c++)
            if (std[c] == 0f) throw new ArgumentException($"Standard deviation {c} is zero.", nameof(std));
        var t = ToTensor();
        var d = t.Data;
        int hw = Width * Height;
        for (int c = 0; c < Channels; c++)
        {
            float m = mean[c], s = std[c];
            var plane = d.Slice(c * hw, hw);
            for (int i = 0; i < plane.Length; i++) plane[i] = (plane[i] - m) / s;
        }
        return t;
    }

    /// <summary>
    /// An image from a (C, H, W) tensor with C = 1, 3 or 4 and values in [0, 1]: each value is clamped to
    /// [0, 1], multiplied by 255 and rounded to the nearest integer (ties to even); NaN becomes 0.
    /// </summary>
    /// <param name="chw">The tensor.</param>
    /// <exception cref="ArgumentException">The tensor is not (C, H, W) with C in {1, 3, 4}.</exception>
    public static ImageBuffer FromTensor(Tensor chw)
    {
        ArgumentNullException.ThrowIfNull(chw);
        if (chw.Rank != 3 || chw.Size(0) is not (1 or 3 or 4))
            throw new ArgumentException($"Expected a (C, H, W) tensor with C = 1, 3 or 4, got shape {Tensor.ShapeString(chw.ShapeSpan)}.", nameof(chw));
        int c = chw.Size(0), h = chw.Size(1), w = chw.Size(2);
        var img = new ImageBuffer(w, h, c);
        var d = chw.Data;
        var dst = img.Pixels;
        int hw = w * h;
        for (int ch = 0; ch < c; ch++)
        {
            var plane = d.Slice(ch * hw, hw);
            for (int i = 0, k = ch; i < hw; i++, k += c)
            {
                float v = plane[i];
                v = v > 0f ? (v < 1f ? v : 1f) : 0f; // NaN fails both tests and becomes 0
                dst[k] = (byte)MathF.Round(v * 255f, MidpointRounding.ToEven);
            }
        }
        return img;
    }
}
