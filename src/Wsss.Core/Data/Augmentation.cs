using Wsss.Core.Imaging;
using Wsss.Core.Imaging.Resampling;
using Wsss.Core.Tensors;

namespace Wsss.Core.Data;

/// <summary>
/// The training-time augmentations of IRNet and AffinityNet (<c>misc/imutils.py</c>, <c>tool/imutils.py</c>) on
/// 8-bit images and their label maps: random long-side resize, random rescale (bicubic image, nearest labels, with
/// numpy's half-to-even size rounding), horizontal flip, random crop into a filled container, and colour jitter.
/// Randomness comes from a seeded <see cref="Generator"/> (the streams differ from Python's <c>random</c>).
/// </summary>
public static class Augmentation
{
    /// <summary>Rescales by <paramref name="scale"/>: the image with PIL bicubic, the labels (if any) with PIL nearest.</summary>
    public static (ImageBuffer Image, LabelMap? Labels) Rescale(ImageBuffer image, LabelMap? labels, double scale)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (!(scale > 0) || double.IsInfinity(scale)) throw new ArgumentOutOfRangeException(nameof(scale), scale, "must be positive and finite");
        CheckSameSize(image, labels);
        var (h, w) = PilResampler.RescaledSize(image.Height, image.Width, scale);
        if (h < 1 || w < 1) throw new ArgumentOutOfRangeException(nameof(scale), scale, $"rescaling {image.Width}x{image.Height} by {scale} leaves no pixels");
        var img = new ImageBuffer(w, h, image.Channels, PilResampler.Resize(image.Pixels, image.Width, image.Height, image.Channels, w, h, PilFilter.Bicubic));
        var lab = labels is null ? null : new LabelMap(w, h, PilResampler.Resize(labels.Labels, labels.Width, labels.Height, 1, w, h, PilFilter.Nearest));
        return (img, lab);
    }

    /// <summary>IRNet's <c>random_resize_long</c>: the longer side becomes a random integer in [minLong, maxLong].</summary>
    public static (ImageBuffer Image, LabelMap? Labels) RandomResizeLong(ImageBuffer image, LabelMap? labels, int minLong, int maxLong, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(generator);
        if (minLong < 1 || maxLong < minLong) throw new ArgumentOutOfRangeException(nameof(minLong), $"need 1 ≤ minLong ≤ maxLong, got [{minLong}, {maxLong}]");
        int target = minLong + generator.NextInt(maxLong - minLong + 1);
        double scale = image.Width < image.Height ? (double)target / image.Height : (double)target / image.Width;
        return Rescale(image, labels, scale);
    }

    /// <summary>IRNet's <c>random_scale</c>: a uniform scale in [low, high).</summary>
    public static (ImageBuffer Image, LabelMap? Labels) RandomScale(ImageBuffer image, LabelMap? labels, double low, double high, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        if (!(low > 0) || !(high >= low)) throw new ArgumentOutOfRangeException(nameof(low), $"need 0 < low ≤ high, got [{low}, {high}]");
        return Rescale(image, labels, low + generator.NextDouble() * (high - low));
    }

    /// <summary>Mirrors left–right with probability ½ (the same decision for image and labels).</summary>
    public static (ImageBuffer Image, LabelMap? Labels) RandomFlip(ImageBuffer image, LabelMap? labels, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(generator);
        CheckSameSize(image, labels);
        if (generator.NextInt(2) == 0) return (image, labels);
        return (FlipHorizontal(image), labels is null ? null : new LabelMap(labels.Width, labels.Height, FlipHorizontal(AsImage(labels)).Pixels));
    }

    /// <summary>A horizontally mirrored copy.</summary>
    public static ImageBuffer FlipHorizontal(ImageBuffer image)
    {
        ArgumentNullException.ThrowIfNull(image);
        int w = image.Width, c = image.Channels;
        var dst = new byte[image.Pixels.Length];
        for (int y = 0; y < image.Height; y++)
            for (int x = 0; x < w; x++)
                Array.Copy(image.Pixels, (y * w + x) * c, dst, (y * w + (w - 1 - x)) * c, c);
        return new ImageBuffer(w, image.Height, c, dst);
    }

    /// <summary>
    /// IRNet's <c>random_crop</c>: a <paramref name="size"/>×<paramref name="size"/> container filled with the fill values
    /// (per channel for the image; IRNet uses 0 for the normalised image and 255 = ignore for labels); a larger image is
    /// cropped at a random offset, a smaller one placed at a random offset. Image and labels share the offsets.
    /// </summary>
    public static (ImageBuffer Image, LabelMap? Labels) RandomCrop(ImageBuffer image, LabelMap? labels, int size, Generator generator,
        ReadOnlySpan<byte> imageFill = default, byte labelFill = 255)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(generator);
        if (size < 1) throw new ArgumentOutOfRangeException(nameof(size), size, "must be positive");
        CheckSameSize(image, labels);
        if (!imageFill.IsEmpty && imageFill.Length != image.Channels)
            throw new ArgumentException($"imageFill has {imageFill.Length} values for {image.Channels} channels", nameof(imageFill));
        int w = image.Width, h = image.Height, cw = Math.Min(size, w), ch = Math.Min(size, h);
        int wSpace = w - size, hSpace = h - size;
        int contLeft = 0, imgLeft = 0, contTop = 0, imgTop = 0;
        if (wSpace > 0) imgLeft = generator.NextInt(wSpace + 1);
        else contLeft = generator.NextInt(-wSpace + 1);
        if (hSpace > 0) imgTop = generator.NextInt(hSpace + 1);
        else contTop = generator.NextInt(-hSpace + 1);
        var fill = imageFill.IsEmpty ? new byte[image.Channels] : imageFill.ToArray();
        var img = Place(image, size, fill, contTop, contLeft, imgTop, imgLeft, ch, cw);
        var lab = labels is null ? null : new LabelMap(size, size, Place(AsImage(labels), size, new[] { labelFill }, contTop, contLeft, imgTop, imgLeft, ch, cw).Pixels);
        return (img, lab);
    }

    private static ImageBuffer Place(ImageBuffer src, int size, byte[] fill, int contTop, int contLeft, int imgTop, int imgLeft, int ch, int cw)
    {
        int c = src.Channels;
        var dst = new byte[size * size * c];
        for (int i = 0; i < size * size; i++) Array.Copy(fill, 0, dst, i * c, c);
        for (int y = 0; y < ch; y++)
            Array.Copy(src.Pixels, ((imgTop + y) * src.Width + imgLeft) * c, dst, ((contTop + y) * size + contLeft) * c, cw * c);
        return new ImageBuffer(size, size, c, dst);
    }

    /// <summary>
    /// Colour jitter in random order as torchvision's ColorJitter on PIL images (psa: 0.3, 0.3, 0.3, 0.1): brightness
    /// and contrast and saturation factors uniform in [1 − x, 1 + x] blended as PIL's ImageEnhance, hue shifted by a
    /// uniform offset in [−hue, hue] of a full turn in HSV. RGB images only.
    /// </summary>
    public static ImageBuffer ColorJitter(ImageBuffer image, float brightness, float contrast, float saturation, float hue, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(generator);
        if (image.Channels != 3) throw new ArgumentException($"colour jitter needs an RGB image, got {image.Channels} channels", nameof(image));
        if (brightness < 0 || contrast < 0 || saturation < 0) throw new ArgumentOutOfRangeException(nameof(brightness), "jitter strengths must be non-negative");
        if (hue < 0 || hue > 0.5f) throw new ArgumentOutOfRangeException(nameof(hue), hue, "must be in [0, 0.5]");
        var px = (byte[])image.Pixels.Clone();
        var order = new[] { 0, 1, 2, 3 };
        for (int i = 3; i > 0; i--)
        {
            int j = generator.NextInt(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        foreach (int op in order)
        {
            switch (op)
            {
                case 0 when brightness > 0:
                    Blend(px, null, Factor(brightness, generator));
                    break;
                case 1 when contrast > 0:
                    {
                        double mean = 0;
                        for (int i = 0; i < px.Length; i += 3) mean += Luma(px[i], px[i + 1], px[i + 2]);
                        byte m = (byte)Math.Clamp((int)(mean / (px.Length / 3) + 0.5), 0, 255);
                        Blend(px, _ => m, Factor(contrast, generator));
                        break;
                    }
                case 2 when saturation > 0:
                    {
                        var gray = new byte[px.Length / 3];
                        for (int i = 0; i < gray.Length; i++) gray[i] = Luma(px[3 * i], px[3 * i + 1], px[3 * i + 2]);
                        Blend(px, i => gray[i / 3], Factor(saturation, generator));
                        break;
                    }
                case 3 when hue > 0:
                    ShiftHue(px, (float)((generator.NextDouble() * 2 - 1) * hue));
                    break;
            }
        }
        return new ImageBuffer(image.Width, image.Height, 3, px);
    }

    private static double Factor(float strength, Generator g) => Math.Max(0, 1 - strength + g.NextDouble() * 2 * strength);

    /// <summary>PIL's "L" conversion: L = (R·299 + G·587 + B·114) / 1000, rounded.</summary>
    private static byte Luma(byte r, byte g, byte b) => (byte)((r * 299 + g * 587 + b * 114 + 500) / 1000);

    /// <summary>px ← degenerate + factor·(px − degenerate) (PIL ImageEnhance), degenerate 0 when null.</summary>
    private static void Blend(byte[] px, Func<int, byte>? degenerate, double factor)
    {
        for (int i = 0; i < px.Length; i++)
        {
            double d = degenerate is null ? 0 : degenerate(i);
            px[i] = (byte)Math.Clamp((int)Math.Round(d + factor * (px[i] - d)), 0, 255);
        }
    }

    private static void ShiftHue(byte[] px, float shift)
    {
        for (int i = 0; i < px.Length; i += 3)
        {
            float r = px[i] / 255f, g = px[i + 1] / 255f, b = px[i + 2] / 255f;
            float max = MathF.Max(r, MathF.Max(g, b)), min = MathF.Min(r, MathF.Min(g, b)), delta = max - min;
            float h = 0;
            if (delta > 0)
            {
                if (max == r) h = (g - b) / delta / 6f;
                else if (max == g) h = ((b - r) / delta + 2) / 6f;
                else h = ((r - g) / delta + 4) / 6f;
            }
            h = ((h + shift) % 1f + 1f) % 1f;
            float s = max > 0 ? delta / max : 0, v = max;
            float hh = h * 6f;
            int sector = (int)hh % 6;
            float f = hh - MathF.Floor(hh), p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
            (r, g, b) = sector switch
            {
                0 => (v, t, p),
                1 => (q, v, p),
                2 => (p, v, t),
                3 => (p, q, v),
                4 => (t, p, v),
                _ => (v, p, q),
            };
            px[i] = (byte)Math.Clamp((int)MathF.Round(r * 255), 0, 255);
            px[i + 1] = (byte)Math.Clamp((int)MathF.Round(g * 255), 0, 255);
            px[i + 2] = (byte)Math.Clamp((int)MathF.Round(b * 255), 0, 255);
        }
    }

    private static ImageBuffer AsImage(LabelMap labels) => new(labels.Width, labels.Height, 1, labels.Labels);

    private static void CheckSameSize(ImageBuffer image, LabelMap? labels)
    {
        if (labels is not null && (labels.Width != image.Width || labels.Height != image.Height))
            throw new ArgumentException($"labels are {labels.Width}x{labels.Height}, the image is {image.Width}x{image.Height}", nameof(labels));
    }
}
