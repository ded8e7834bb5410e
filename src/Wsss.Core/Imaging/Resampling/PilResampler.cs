namespace Wsss.Core.Imaging.Resampling;

/// <summary>
/// Resizes 8-bit interleaved images exactly as Pillow's <c>Image.resize</c> does: separable convolution with the
/// filter support widened by the scale when downscaling (antialiasing), coefficients normalised in double and
/// quantised to 22-bit fixed point, a horizontal pass (rounded to 8 bits) over the rows the vertical pass needs,
/// then the vertical pass; NEAREST through the affine scaler. IRNet rescales photos with BICUBIC and label maps
/// with NEAREST, so matching PIL here is matching the reference data.
/// </summary>
public static class PilResampler
{
    private const int PrecisionBits = 32 - 8 - 2;

    /// <summary>Resizes <paramref name="pixels"/> (height, width, channels interleaved) to (outHeight, outWidth).</summary>
    public static byte[] Resize(ReadOnlySpan<byte> pixels, int width, int height, int channels, int outWidth, int outHeight, PilFilter filter)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"image size {width}x{height} must be positive");
        if (channels <= 0) throw new ArgumentOutOfRangeException(nameof(channels), channels, "must be positive");
        if (outWidth <= 0 || outHeight <= 0) throw new ArgumentOutOfRangeException(nameof(outWidth), $"output size {outWidth}x{outHeight} must be positive");
        if (pixels.Length != (long)width * height * channels)
            throw new ArgumentException($"{pixels.Length} bytes do not hold a {width}x{height}x{channels} image", nameof(pixels));
        if (outWidth == width && outHeight == height) return pixels.ToArray();
        return filter switch
        {
            PilFilter.Nearest => Nearest(pixels, width, height, channels, outWidth, outHeight),
            PilFilter.Bilinear => Convolve(pixels, width, height, channels, outWidth, outHeight, 1.0, Triangle),
            PilFilter.Bicubic => Convolve(pixels, width, height, channels, outWidth, outHeight, 2.0, Cubic),
            _ => throw new ArgumentOutOfRangeException(nameof(filter), filter, "unknown filter"),
        };
    }

    /// <summary>numpy's round-half-to-even of h·s and w·s, as IRNet's <c>pil_rescale</c> computes target sizes.</summary>
    public static (int Height, int Width) RescaledSize(int height, int width, double scale)
        => ((int)Math.Round(height * scale, MidpointRounding.ToEven), (int)Math.Round(width * scale, MidpointRounding.ToEven));

    private static double Triangle(double x)
    {
        x = Math.Abs(x);
        return x < 1.0 ? 1.0 - x : 0.0;
    }

    private static double Cubic(double x)
    {
        const double a = -0.5;
        x = Math.Abs(x);
        if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
        return 0.0;
    }

    /// <summary>Per output index: first source index, tap count, and fixed-point weights (ksize per output).</summary>
    private static (int[] Bounds, int[] Weights, int KSize) Coefficients(int inSize, int outSize, double support, Func<double, double> filter)
    {
        double scale = (double)inSize / outSize;
        double filterScale = Math.Max(scale, 1.0);
        double sup = support * filterScale;
        int ksize = (int)Math.Ceiling(sup) * 2 + 1;
        var bounds = new int[outSize * 2];
        var weights = new int[outSize * ksize];
        var k = new double[ksize];
        for (int xx = 0; xx < outSize; xx++)
        {
            double center = (xx + 0.5) * scale;
            double ss = 1.0 / filterScale;
            int xmin = (int)(center - sup + 0.5);
            if (xmin < 0) xmin = 0;
            int xmax = (int)(center + sup + 0.5);
            if (xmax > inSize) xmax = inSize;
            xmax -= xmin;
            double ww = 0.0;
            for (int x = 0; x < xmax; x++)
            {
                double w = filter((x + xmin - center + 0.5) * ss);
                k[x] = w;
                ww += w;
            }
            for (int x = 0; x < xmax; x++)
            {
                double v = ww != 0.0 ? k[x] / ww : k[x];
                weights[xx * ksize + x] = v < 0 ? (int)(-0.5 + v * (1 << PrecisionBits)) : (int)(0.5 + v * (1 << PrecisionBits));
            }
            bounds[2 * xx] = xmin;
            bounds[2 * xx + 1] = xmax;
        }
        return (bounds, weights, ksize);
    }

    private static byte Clip8(int v)
    {
        int s = v >> PrecisionBits;
        return (byte)(s < 0 ? 0 : s > 255 ? 255 : s);
    }

    private static byte[] Convolve(ReadOnlySpan<byte> src, int w, int h, int c, int ow, int oh, double support, Func<double, double> filter)
    {
        bool horizontal = ow != w, vertical = oh != h;
        var (bv, kv, ksv) = Coefficients(h, oh, support, filter);
        // Rows of the source the vertical pass reads.
        int yFirst = vertical ? bv[0] : 0;
        int yLast = vertical ? bv[2 * oh - 2] + bv[2 * oh - 1] : h;
        byte[] temp;
        int tempH;
        if (horizontal)
        {
            var (bh, kh, ksh) = Coefficients(w, ow, support, filter);
            tempH = yLast - yFirst;
            temp = new byte[tempH * ow * c];
            var source = src.ToArray();
            Parallel.For(0, tempH, y =>
            {
                int rowIn = (y + yFirst) * w * c, rowOut = y * ow * c;
                for (int x = 0; x < ow; x++)
                {
                    int xmin = bh[2 * x], n = bh[2 * x + 1], kOff = x * ksh;
                    for (int ch = 0; ch < c; ch++)
                    {
                        int ss = 1 << (PrecisionBits - 1);
                        for (int t = 0; t < n; t++) ss += source[rowIn + (xmin + t) * c + ch] * kh[kOff + t];
                        temp[rowOut + x * c + ch] = Clip8(ss);
                    }
                }
            });
        }
        else
        {
            tempH = yLast - yFirst;
            temp = src.Slice(yFirst * w * c, tempH * w * c).ToArray();
        }
        if (!vertical) return temp;
        var output = new byte[oh * ow * c];
        int rowLen = ow * c;
        Parallel.For(0, oh, y =>
        {
            int ymin = bv[2 * y] - yFirst, n = bv[2 * y + 1], kOff = y * ksv;
            for (int i = 0; i < rowLen; i++)
            {
                int ss = 1 << (PrecisionBits - 1);
                for (int t = 0; t < n; t++) ss += temp[(ymin + t) * rowLen + i] * kv[kOff + t];
                output[y * rowLen + i] = Clip8(ss);
            }
        });
        return output;
    }

    private static byte[] Nearest(ReadOnlySpan<byte> src, int w, int h, int c, int ow, int oh)
    {
        // PIL's affine scaler accumulates the source coordinate in double: x_o = ½·a, then += a per pixel.
        double ax = (double)w / ow, ay = (double)h / oh;
        var xs = new int[ow];
        double xo = ax * 0.5;
        for (int x = 0; x < ow; x++, xo += ax) xs[x] = Math.Min((int)xo, w - 1);
        var output = new byte[oh * ow * c];
        double yo = ay * 0.5;
        for (int y = 0; y < oh; y++, yo += ay)
        {
            int yi = Math.Min((int)yo, h - 1);
            for (int x = 0; x < ow; x++)
                src.Slice((yi * w + xs[x]) * c, c).CopyTo(output.AsSpan((y * ow + x) * c, c));
        }
        return output;
    }
}
