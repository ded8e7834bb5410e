using Wsss.Core.Tensors;

namespace Wsss.Core.Imaging;

/// <summary>
/// A map of class indices: one byte per pixel, row-major (label (y, x) at index y·W + x), with
/// <see cref="Void"/> (255) marking pixels that are ignored, as in PASCAL VOC's <c>SegmentationClass</c> PNGs.
/// </summary>
public sealed class LabelMap
{
    /// <summary>The label of ignored ("void") pixels.</summary>
    public const byte Void = 255;

    /// <summary>Wraps <paramref name="labels"/> (not copied).</summary>
    /// <param name="width">Width in pixels (≥ 1).</param>
    /// <param name="height">Height in pixels (≥ 1).</param>
    /// <param name="labels">Row-major labels, exactly width·height bytes.</param>
    /// <exception cref="ArgumentException">A size is out of range or the length does not match.</exception>
    public LabelMap(int width, int height, byte[] labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        long n = ImageBuffer.CheckSize(width, height, 1);
        if (labels.LongLength != n)
            throw new ArgumentException($"A {width}×{height} label map needs {n} labels, got {labels.LongLength}.", nameof(labels));
        Width = width;
        Height = height;
        Labels = labels;
    }

    /// <summary>Makes a label map filled with class 0.</summary>
    /// <param name="width">Width in pixels (≥ 1).</param>
    /// <param name="height">Height in pixels (≥ 1).</param>
    public LabelMap(int width, int height)
        : this(width, height, new byte[ImageBuffer.CheckSize(width, height, 1)])
    {
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>The labels, row-major (length W·H). Writes change the map.</summary>
    public byte[] Labels { get; }

    /// <summary>The label of pixel (<paramref name="x"/>, <paramref name="y"/>).</summary>
    /// <param name="y">Row, 0 at the top.</param>
    /// <param name="x">Column, 0 at the left.</param>
    /// <exception cref="ArgumentOutOfRangeException">An index is out of range.</exception>
    public byte this[int y, int x]
    {
        get => Labels[Index(y, x)];
        set => Labels[Index(y, x)] = value;
    }

    private int Index(int y, int x)
    {
        if ((uint)y >= (uint)Height) throw new ArgumentOutOfRangeException(nameof(y), y, $"Row must be in [0, {Height}).");
        if ((uint)x >= (uint)Width) throw new ArgumentOutOfRangeException(nameof(x), x, $"Column must be in [0, {Width}).");
        return y * Width + x;
    }

    /// <summary>A deep copy.</summary>
    public LabelMap Clone() => new(Width, Height, (byte[])Labels.Clone());

    /// <summary>An (H, W) float tensor holding the labels (void stays 255).</summary>
    public Tensor ToTensor()
    {
        var t = Tensor.Zeros(Height, Width);
        var d = t.Data;
        for (int i = 0; i < d.Length; i++) d[i] = Labels[i];
        return t;
    }

    /// <summary>A label map from an (H, W) tensor whose values are integers in [0, 255].</summary>
    /// <param name="hw">The tensor.</param>
    /// <exception cref="ArgumentException">The tensor is not 2-D or holds a value that is not an integer in [0, 255].</exception>
    public static LabelMap FromTensor(Tensor hw)
    {
        ArgumentNullException.ThrowIfNull(hw);
        if (hw.Rank != 2)
            throw new ArgumentException($"Expected an (H, W) tensor, got shape {Tensor.ShapeString(hw.ShapeSpan)}.", nameof(hw));
        var map = new LabelMap(hw.Size(1), hw.Size(0));
        var d = hw.Data;
        for (int i = 0; i < d.Length; i++)
        {
            float v = d[i];
            if (!(v >= 0f && v <= 255f) || v != MathF.Floor(v))
                throw new ArgumentException($"Element {i} is {v}; labels must be integers in [0, 255].", nameof(hw));
            map.Labels[i] = (byte)v;
        }
        return map;
    }
}
