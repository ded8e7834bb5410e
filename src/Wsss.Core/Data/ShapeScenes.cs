using Wsss.Core.Tensors;

namespace Wsss.Core.Data;

/// <summary>
/// A minimal generator of synthetic weakly labelled scenes with exact ground truth: a textured
/// background, and in positive images one object (a disc or a square of a random saturated colour).
/// Deterministic: batch <c>i</c> of a generator depends only on its seed and <c>i</c>.
/// </summary>
public sealed class ShapeScenes
{
    /// <summary>Creates the generator.</summary>
    /// <param name="size">Image side in pixels (≥ 16).</param>
    /// <param name="seed">Seed of every batch.</param>
    public ShapeScenes(int size, ulong seed = 0)
    {
        if (size < 16) throw new ArgumentOutOfRangeException(nameof(size), size, "must be at least 16");
        Size = size;
        Seed = seed;
    }

    /// <summary>Image side.</summary>
    public int Size { get; }

    /// <summary>Seed.</summary>
    public ulong Seed { get; }

    /// <summary>
    /// Batch <paramref name="index"/>: <paramref name="positives"/> images with an object followed by as many
    /// without (the reference's (pos, neg) pairing). Images (B, 3, S, S) in [0, 1]; labels (B, 2) with columns
    /// (object, background); masks (B, S, S) with 0 = object, 1 = background.
    /// </summary>
    public (Tensor Images, Tensor Labels, Tensor Masks) Batch(int index, int positives)
    {
        if (positives <= 0) throw new ArgumentOutOfRangeException(nameof(positives), positives, "must be positive");
        if (index < 0) throw new ArgumentOutOfRangeException(nameof(index), index, "must be non-negative");
        var g = new Generator(Seed * 0x9E3779B97F4A7C15UL + (ulong)index + 1);
        int b = 2 * positives, s = Size;
        var images = Tensor.Zeros(b, 3, s, s);
        var labels = Tensor.Zeros(b, 2);
        var masks = Tensor.Ones(b, s, s);
        var img = images.Data;
        var msk = masks.Data;
        for (int n = 0; n < b; n++)
        {
            // Background: a smooth two-tone gradient with speckle.
            var bg0 = new[] { 0.1f + 0.3f * g.NextFloat(), 0.1f + 0.3f * g.NextFloat(), 0.1f + 0.3f * g.NextFloat() };
            float fx = 0.5f + 3 * g.NextFloat(), fy = 0.5f + 3 * g.NextFloat();
            for (int y = 0; y < s; y++)
                for (int x = 0; x < s; x++)
                {
                    float wave = 0.08f * MathF.Sin(fx * x * 6.2831853f / s) * MathF.Cos(fy * y * 6.2831853f / s);
                    float speckle = 0.06f * (g.NextFloat() - 0.5f);
                    for (int c = 0; c < 3; c++) img[((n * 3 + c) * s + y) * s + x] = Math.Clamp(bg0[c] + wave + speckle, 0f, 1f);
                }
            labels[n, 1] = 1;
            if (n >= positives) continue;
            labels[n, 0] = 1;
            bool disc = g.NextInt(2) == 0;
            int r = s / 8 + g.NextInt(Math.Max(1, s / 6));
            int cy = r + g.NextInt(Math.Max(1, s - 2 * r)), cx = r + g.NextInt(Math.Max(1, s - 2 * r));
            int hue = g.NextInt(6);
            var colour = new float[3];
            colour[hue % 3] = 0.85f + 0.15f * g.NextFloat();
            colour[(hue + 1 + hue / 3) % 3] = 0.5f * g.NextFloat();
            for (int y = 0; y < s; y++)
                for (int x = 0; x < s; x++)
                {
                    int dy = y - cy, dx = x - cx;
                    bool inside = disc ? dy * dy + dx * dx <= r * r : Math.Abs(dy) <= r && Math.Abs(dx) <= r;
                    if (!inside) continue;
                    msk[(n * s + y) * s + x] = 0;
                    float shade = 0.9f + 0.1f * g.NextFloat();
                    for (int c = 0; c < 3; c++) img[((n * 3 + c) * s + y) * s + x] = colour[c] * shade;
                }
        }
        return (images, labels, masks);
    }
}
