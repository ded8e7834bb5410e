namespace Wsss.Core.Imaging;

/// <summary>Pictures for looking at results: label maps in the VOC palette, label overlays on photos, side-by-side grids.</summary>
public static class Pictures
{
    /// <summary>The label map coloured with the VOC palette (void 255 is the palette's cream colour), as an RGB image.</summary>
    public static ImageBuffer Colorize(LabelMap labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var img = new ImageBuffer(labels.Width, labels.Height, 3);
        var palette = VocPalette.ToArray();
        for (int i = 0; i < labels.Labels.Length; i++)
            Array.Copy(palette, labels.Labels[i] * 3, img.Pixels, i * 3, 3);
        return img;
    }

    /// <summary>
    /// The label map's VOC colours blended over the photo: out = (1 − α)·photo + α·colour for every labelled pixel
    /// (void pixels keep the photo). α = 0 returns the photo unchanged.
    /// </summary>
    public static ImageBuffer Overlay(ImageBuffer photo, LabelMap labels, float alpha = 0.5f)
    {
        ArgumentNullException.ThrowIfNull(photo);
        ArgumentNullException.ThrowIfNull(labels);
        if (!(alpha >= 0 && alpha <= 1)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "must be in [0, 1]");
        if (photo.Width != labels.Width || photo.Height != labels.Height)
            throw new ArgumentException($"labels are {labels.Width}x{labels.Height}, the photo is {photo.Width}x{photo.Height}", nameof(labels));
        var rgb = photo.ToRgb();
        if (alpha == 0) return rgb;
        var output = new ImageBuffer(rgb.Width, rgb.Height, 3, (byte[])rgb.Pixels.Clone());
        var palette = VocPalette.ToArray();
        for (int i = 0; i < labels.Labels.Length; i++)
        {
            byte l = labels.Labels[i];
            if (l == LabelMap.Void) continue;
            for (int c = 0; c < 3; c++)
                output.Pixels[i * 3 + c] = (byte)MathF.Round((1 - alpha) * rgb.Pixels[i * 3 + c] + alpha * palette[l * 3 + c]);
        }
        return output;
    }

    /// <summary>Images side by side in rows of <paramref name="columns"/>, each cell the size of the largest image, with a gap.</summary>
    public static ImageBuffer Grid(IReadOnlyList<ImageBuffer> images, int columns, int gap = 4, byte background = 255)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count == 0) throw new ArgumentException("no images to arrange", nameof(images));
        if (columns < 1) throw new ArgumentOutOfRangeException(nameof(columns), columns, "must be positive");
        if (gap < 0) throw new ArgumentOutOfRangeException(nameof(gap), gap, "must be non-negative");
        int cw = images.Max(i => i.Width), chh = images.Max(i => i.Height);
        int rows = (images.Count + columns - 1) / columns, cols = Math.Min(columns, images.Count);
        int w = cols * cw + (cols - 1) * gap, h = rows * chh + (rows - 1) * gap;
        var grid = new ImageBuffer(w, h, 3);
        Array.Fill(grid.Pixels, background);
        for (int k = 0; k < images.Count; k++)
        {
            var img = images[k].ToRgb();
            int ox = (k % columns) * (cw + gap), oy = (k / columns) * (chh + gap);
            for (int y = 0; y < img.Height; y++)
                Array.Copy(img.Pixels, y * img.Width * 3, grid.Pixels, ((oy + y) * w + ox) * 3, img.Width * 3);
        }
        return grid;
    }

    /// <summary>
    /// A CAM (H, W) as a jet heatmap (values normalised by the map's maximum; negative values count as 0), blended over the
    /// photo with weight <paramref name="alpha"/> when one is given.
    /// </summary>
    public static ImageBuffer Heatmap(Tensors.Tensor cam, ImageBuffer? photo = null, float alpha = 0.5f)
    {
        ArgumentNullException.ThrowIfNull(cam);
        if (cam.Rank != 2) throw new ArgumentException($"expected an (H, W) map, got {Tensors.Tensor.ShapeString(cam.ShapeSpan)}", nameof(cam));
        if (!(alpha >= 0 && alpha <= 1)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "must be in [0, 1]");
        int h = cam.Size(0), w = cam.Size(1);
        if (photo is not null && (photo.Width != w || photo.Height != h))
            throw new ArgumentException($"the photo is {photo.Width}x{photo.Height}, the map {w}x{h}", nameof(photo));
        var v = cam.Data;
        float max = 0;
        foreach (float x in v)
        {
            if (!float.IsFinite(x)) throw new ArgumentException("the map holds NaN or Inf", nameof(cam));
            max = MathF.Max(max, x);
        }
        var rgb = photo?.ToRgb();
        var output = new ImageBuffer(w, h, 3);
        Span<float> jet = stackalloc float[3];
        for (int i = 0; i < v.Length; i++)
        {
            float t = max > 0 ? MathF.Max(v[i], 0) / max : 0;
            (jet[0], jet[1], jet[2]) = (Jet(t - 0.25f), Jet(t), Jet(t + 0.25f)); // r, g, b
            for (int c = 0; c < 3; c++)
            {
                float colour = 255 * jet[c];
                float value = rgb is null ? colour : (1 - alpha) * rgb.Pixels[i * 3 + c] + alpha * colour;
                output.Pixels[i * 3 + c] = (byte)Math.Clamp(MathF.Round(value), 0, 255);
            }
        }
        return output;
    }

    /// <summary>matplotlib's jet channel profile: 1.5 − |4t − 2| clipped to [0, 1] (shifted per channel by the caller).</summary>
    private static float Jet(float t) => Math.Clamp(1.5f - MathF.Abs(4 * t - 2), 0f, 1f);
}
