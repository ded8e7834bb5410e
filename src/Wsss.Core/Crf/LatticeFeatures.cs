using System.Globalization;

namespace Wsss.Core.Crf;

/// <summary>
/// The feature vectors a <see cref="PermutohedralLattice"/> is built from, produced block by block so the
/// CRF's image kernels never materialise an N·d feature array. Implementations must produce exactly the
/// float32 values densecrf computes (e.g. <c>x / sx</c> as one float division).
/// </summary>
internal abstract class LatticeFeatures
{
    protected LatticeFeatures(int dimensions, int count)
    {
        Dimensions = dimensions;
        Count = count;
    }

    /// <summary>The feature dimension d.</summary>
    public int Dimensions { get; }

    /// <summary>The number of points N.</summary>
    public int Count { get; }

    /// <summary>Writes feature k of point <paramref name="start"/> + j to <c>destination[k·stride + j]</c> for j &lt; <paramref name="count"/>.</summary>
    public abstract void Fill(int start, int count, Span<float> destination, int stride);

    /// <summary>Per-dimension minimum and maximum over all points (every feature is finite).</summary>
    public abstract void Bounds(Span<double> lo, Span<double> hi);

    /// <summary>Feature vectors held pixel-major in an array (the public lattice constructor and custom energies).</summary>
    internal sealed class Points : LatticeFeatures
    {
        private readonly float[] _values;

        public Points(float[] values, int dimensions)
            : base(dimensions, values.Length / dimensions) => _values = values;

        public float[] Values => _values;

        public override void Fill(int start, int count, Span<float> destination, int stride)
        {
            int d = Dimensions;
            ReadOnlySpan<float> src = _values.AsSpan(start * d, count * d);
            for (int j = 0; j < count; j++)
            {
                for (int k = 0; k < d; k++) destination[k * stride + j] = src[j * d + k];
            }
        }

        public override void Bounds(Span<double> lo, Span<double> hi)
        {
            int d = Dimensions;
            lo.Fill(double.PositiveInfinity);
            hi.Fill(double.NegativeInfinity);
            for (int p = 0; p < Count; p++)
            {
                for (int k = 0; k < d; k++)
                {
                    float v = _values[p * d + k];
                    if (v < lo[k]) lo[k] = v;
                    if (v > hi[k]) hi[k] = v;
                }
            }
        }
    }

    /// <summary>
    /// densecrf's <c>DenseCRF2D</c> features computed on the fly: (x/sx, y/sy) followed by one value/s_c per
    /// channel, from an interleaved (H, W, C) byte image or a planar (C, H, W) float image (or no channels).
    /// </summary>
    internal sealed class Image : LatticeFeatures
    {
        private readonly int _width;
        private readonly int _height;
        private readonly float _sx;
        private readonly float _sy;
        private readonly byte[]? _bytes;
        private readonly float[]? _planar;
        private readonly float[] _colorStdDevs;
        private readonly int _channels;
        private readonly float[] _xFeature;
        private readonly float[] _yFeature;
        private readonly float[][]? _byteFeature;

        /// <summary>Creates the features; <paramref name="bytes"/> (interleaved) or <paramref name="planar"/> holds the channels, or neither for the smoothness kernel.</summary>
        public Image(int width, int height, float sx, float sy, byte[]? bytes, float[]? planar, float[] colorStdDevs)
            : base(2 + colorStdDevs.Length, checked(width * height))
        {
            _width = width;
            _height = height;
            _sx = sx;
            _sy = sy;
            _bytes = bytes;
            _planar = planar;
            _colorStdDevs = colorStdDevs;
            _channels = colorStdDevs.Length;
            if (_channels > 0 && bytes is null && planar is null)
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{_channels} colour channels but no image."), nameof(colorStdDevs));

            // Every feature is one float division of a value from a small set (x, y, or a byte): tabulate them once.
            _xFeature = new float[width];
            for (int x = 0; x < width; x++) _xFeature[x] = x / sx;
            _yFeature = new float[height];
            for (int y = 0; y < height; y++) _yFeature[y] = y / sy;
            if (bytes is not null)
            {
                _byteFeature = new float[_channels][];
                for (int ch = 0; ch < _channels; ch++)
                {
                    var table = new float[256];
                    for (int v = 0; v < 256; v++) table[v] = v / colorStdDevs[ch];
                    _byteFeature[ch] = table;
                }
            }
        }

        public override void Fill(int start, int count, Span<float> destination, int stride)
        {
            int w = _width, c = _channels, n = Count;
            float[] xs = _xFeature, ys = _yFeature;
            int x = start % w, y = start / w;
            Span<float> fx = destination[..count], fy = destination.Slice(stride, count);
            for (int j = 0; j < count; j++)
            {
                fx[j] = xs[x];
                fy[j] = ys[y];
                if (++x == w)
                {
                    x = 0;
                    y++;
                }
            }

            for (int ch = 0; ch < c; ch++)
            {
                Span<float> dst = destination.Slice((2 + ch) * stride, count);
                if (_bytes is { } b)
                {
                    float[] table = _byteFeature![ch];
                    ReadOnlySpan<byte> src = b.AsSpan(start * c + ch);
                    for (int j = 0; j < count; j++) dst[j] = table[src[j * c]];
                }
                else
                {
                    float s = _colorStdDevs[ch];
                    ReadOnlySpan<float> src = _planar.AsSpan(ch * n + start, count);
                    for (int j = 0; j < count; j++) dst[j] = src[j] / s;
                }
            }
        }

        public override void Bounds(Span<double> lo, Span<double> hi)
        {
            lo[0] = 0;
            hi[0] = (_width - 1) / _sx;
            lo[1] = 0;
            hi[1] = (_height - 1) / _sy;
            int c = _channels, n = Count;
            for (int ch = 0; ch < c; ch++)
            {
                float mn = float.PositiveInfinity, mx = float.NegativeInfinity;
                if (_bytes is { } b)
                {
                    int bmn = 255, bmx = 0;
                    for (int i = ch; i < b.Length; i += c)
                    {
                        int v = b[i];
                        if (v < bmn) bmn = v;
                        if (v > bmx) bmx = v;
                    }

                    mn = bmn;
                    mx = bmx;
                }
                else
                {
                    ReadOnlySpan<float> src = _planar.AsSpan(ch * n, n);
                    mn = System.Numerics.Tensors.TensorPrimitives.Min(src);
                    mx = System.Numerics.Tensors.TensorPrimitives.Max(src);
                }

                // Division by a positive float is monotone, so these are the extreme feature values exactly.
                lo[2 + ch] = mn / _colorStdDevs[ch];
                hi[2 + ch] = mx / _colorStdDevs[ch];
            }
        }
    }
}
