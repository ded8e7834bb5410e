using Wsss.Core.Imaging;
using Wsss.Core.Tensors;

namespace Wsss.Core.Data;

/// <summary>
/// Generates weakly labelled scenes with exact ground truth: every class has its own shape, colour and texture
/// (disc with stripes, square with dots, triangle with checks, ring, cross, diamond, ellipse, star), drawn with
/// random size, position and shading over a cluttered, textured background (gradients, soft blobs, lines, noise);
/// some images hold no object (negatives); chosen class pairs co-occur with a set probability. Scene i is a pure
/// function of (options, i), so sets are reproducible at any size.
/// </summary>
public sealed class SyntheticScenes
{
    /// <summary>Number of distinct class designs.</summary>
    public const int MaxClasses = 8;

    private static readonly string[] ShapeNames = { "disc", "square", "triangle", "ring", "cross", "diamond", "ellipse", "star" };
    private static readonly float[] Hues = { 0.0f, 0.33f, 0.62f, 0.12f, 0.8f, 0.5f, 0.92f, 0.2f };

    /// <summary>Creates the generator.</summary>
    public SyntheticScenes(SyntheticSceneOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
    }

    /// <summary>The settings.</summary>
    public SyntheticSceneOptions Options { get; }

    /// <summary>Class names, background first (as a VOC classes.txt).</summary>
    public IReadOnlyList<string> ClassNames => new[] { "background" }.Concat(ShapeNames.Take(Options.Classes)).ToArray();

    /// <summary>Scene <paramref name="index"/>.</summary>
    public SyntheticScene Generate(int index)
    {
        if (index < 0) throw new ArgumentOutOfRangeException(nameof(index), index, "must be non-negative");
        var o = Options;
        var g = new Generator(o.Seed * 0x9E3779B97F4A7C15UL ^ (ulong)index * 0xD1B54A32D192ED03UL ^ 0x5DEECE66DUL);
        int s = o.Size;
        var image = new ImageBuffer(s, s, 3);
        var labels = new LabelMap(s, s);
        DrawBackground(image, g);

        var classes = new List<int>();
        if (g.NextDouble() >= o.NegativeFraction)
        {
            int count = 1 + g.NextInt(o.MaxObjects);
            for (int i = 0; i < count; i++) classes.Add(1 + g.NextInt(o.Classes));
            foreach (var (a, b, p) in o.CoOccurrence)
                if (classes.Contains(a) && !classes.Contains(b) && g.NextDouble() < p) classes.Add(b);
        }
        var objectMask = new int[s * s];
        foreach (int c in classes) DrawObject(image, objectMask, c, g);
        for (int p = 0; p < objectMask.Length; p++) labels.Labels[p] = (byte)objectMask[p];
        if (o.VoidBorder > 0) AddVoidBorder(labels, objectMask, o.VoidBorder);
        var present = objectMask.Where(v => v > 0).Distinct().Order().ToArray();
        return new SyntheticScene(image, labels, present);
    }

    private static void DrawBackground(ImageBuffer img, Generator g)
    {
        int s = img.Width;
        float[] c0 = Rgb(g.NextFloat(), 0.15f + 0.2f * g.NextFloat(), 0.35f + 0.3f * g.NextFloat());
        float[] c1 = Rgb(g.NextFloat(), 0.15f + 0.2f * g.NextFloat(), 0.35f + 0.3f * g.NextFloat());
        float angle = g.NextFloat() * MathF.Tau;
        float ca = MathF.Cos(angle), sa = MathF.Sin(angle);
        var px = new float[s * s * 3];
        for (int y = 0; y < s; y++)
            for (int x = 0; x < s; x++)
            {
                float t = 0.5f + 0.5f * ((x - s / 2f) * ca + (y - s / 2f) * sa) / s;
                for (int c = 0; c < 3; c++) px[(y * s + x) * 3 + c] = c0[c] * (1 - t) + c1[c] * t;
            }
        // Clutter: soft blobs and thin lines in background-like colours.
        int blobs = 3 + g.NextInt(5);
        for (int b = 0; b < blobs; b++)
        {
            float cx = g.NextFloat() * s, cy = g.NextFloat() * s, r = s * (0.05f + 0.2f * g.NextFloat());
            var col = Rgb(g.NextFloat(), 0.2f * g.NextFloat(), 0.3f + 0.4f * g.NextFloat());
            for (int y = 0; y < s; y++)
                for (int x = 0; x < s; x++)
                {
                    float d2 = ((x - cx) * (x - cx) + (y - cy) * (y - cy)) / (r * r);
                    if (d2 > 4) continue;
                    float a = 0.6f * MathF.Exp(-d2);
                    for (int c = 0; c < 3; c++) px[(y * s + x) * 3 + c] += a * (col[c] - px[(y * s + x) * 3 + c]);
                }
        }
        int lines = 2 + g.NextInt(4);
        for (int l = 0; l < lines; l++)
        {
            float x0 = g.NextFloat() * s, y0 = g.NextFloat() * s, dir = g.NextFloat() * MathF.Tau;
            var col = Rgb(g.NextFloat(), 0.1f, 0.2f + 0.5f * g.NextFloat());
            for (int t = 0; t < 2 * s; t++)
            {
                int x = (int)(x0 + t * 0.5f * MathF.Cos(dir)), y = (int)(y0 + t * 0.5f * MathF.Sin(dir));
                if ((uint)x >= (uint)s || (uint)y >= (uint)s) continue;
                for (int c = 0; c < 3; c++) px[(y * s + x) * 3 + c] = 0.5f * px[(y * s + x) * 3 + c] + 0.5f * col[c];
            }
        }
        for (int i = 0; i < px.Length; i++) img.Pixels[i] = ToByte(px[i] + 0.06f * (g.NextFloat() - 0.5f));
    }

    private static void DrawObject(ImageBuffer img, int[] mask, int cls, Generator g)
    {
        int s = img.Width;
        float r = s * (0.1f + 0.12f * g.NextFloat());
        float cx = r + g.NextFloat() * (s - 2 * r), cy = r + g.NextFloat() * (s - 2 * r);
        float rot = g.NextFloat() * MathF.Tau;
        int design = cls - 1;
        var baseColour = Rgb(Hues[design] + 0.04f * (g.NextFloat() - 0.5f), 0.75f + 0.25f * g.NextFloat(), 0.7f + 0.3f * g.NextFloat());
        var accent = Rgb(Hues[design] + 0.5f, 0.6f, 0.35f);
        float period = 3 + g.NextInt(4);
        int x0 = Math.Max(0, (int)(cx - 1.5f * r)), x1 = Math.Min(s, (int)(cx + 1.5f * r) + 1);
        int y0 = Math.Max(0, (int)(cy - 1.5f * r)), y1 = Math.Min(s, (int)(cy + 1.5f * r) + 1);
        for (int y = y0; y < y1; y++)
            for (int x = x0; x < x1; x++)
            {
                float dx = x - cx, dy = y - cy;
                float u = (dx * MathF.Cos(rot) + dy * MathF.Sin(rot)) / r, v = (-dx * MathF.Sin(rot) + dy * MathF.Cos(rot)) / r;
                if (!Inside(design, u, v)) continue;
                mask[y * s + x] = cls;
                bool textured = design switch
                {
                    0 => (int)MathF.Floor((u * r) / period) % 2 == 0,
                    1 => ((x % (int)period) - period / 2) * ((x % (int)period) - period / 2) + ((y % (int)period) - period / 2) * ((y % (int)period) - period / 2) < period * period / 8,
                    2 => (((int)MathF.Floor(x / period) + (int)MathF.Floor(y / period)) & 1) == 0,
                    _ => MathF.Sin((u + v) * r / period * 2) > 0.3f,
                };
                float shade = 0.8f + 0.2f * (1 - (u * u + v * v) / 2);
                for (int c = 0; c < 3; c++)
                    img.Pixels[(y * s + x) * 3 + c] = ToByte((textured ? accent[c] * 0.3f + baseColour[c] * 0.7f : baseColour[c]) * shade + 0.04f * (g.NextFloat() - 0.5f));
            }
    }

    /// <summary>Shape test in the object's unit frame.</summary>
    private static bool Inside(int design, float u, float v)
    {
        float au = MathF.Abs(u), av = MathF.Abs(v), rr = u * u + v * v;
        return design switch
        {
            0 => rr <= 1,
            1 => au <= 0.85f && av <= 0.85f,
            2 => v <= 0.8f && v >= -0.9f + 1.7f * au,
            3 => rr <= 1 && rr >= 0.35f,
            4 => (au <= 0.3f && av <= 1) || (av <= 0.3f && au <= 1),
            5 => au + av <= 1,
            6 => u * u / 1.3f + v * v / 0.45f <= 1,
            _ => StarInside(u, v),
        };
    }

    private static bool StarInside(float u, float v)
    {
        float r = MathF.Sqrt(u * u + v * v), a = MathF.Atan2(v, u);
        float k = MathF.Abs(((a / MathF.Tau * 5) % 1 + 1) % 1 - 0.5f) * 2; // 1 at a point, 0 between points
        return r <= 0.45f + 0.6f * k;
    }

    private static void AddVoidBorder(LabelMap labels, int[] mask, int width)
    {
        int s = labels.Width;
        for (int y = 0; y < s; y++)
            for (int x = 0; x < s; x++)
            {
                int c = mask[y * s + x];
                bool edge = false;
                for (int dy = -width; dy <= width && !edge; dy++)
                    for (int dx = -width; dx <= width && !edge; dx++)
                    {
                        int yy = y + dy, xx = x + dx;
                        if ((uint)yy < (uint)s && (uint)xx < (uint)s && mask[yy * s + xx] != c) edge = true;
                    }
                if (edge) labels.Labels[y * s + x] = LabelMap.Void;
            }
    }

    private static float[] Rgb(float h, float sat, float val)
    {
        h = (h % 1 + 1) % 1;
        float hh = h * 6, f = hh - MathF.Floor(hh), p = val * (1 - sat), q = val * (1 - sat * f), t = val * (1 - sat * (1 - f));
        return ((int)hh % 6) switch
        {
            0 => new[] { val, t, p },
            1 => new[] { q, val, p },
            2 => new[] { p, val, t },
            3 => new[] { p, q, val },
            4 => new[] { t, p, val },
            _ => new[] { val, p, q },
        };
    }

    private static byte ToByte(float v) => (byte)Math.Clamp((int)MathF.Round(v * 255), 0, 255);
}
