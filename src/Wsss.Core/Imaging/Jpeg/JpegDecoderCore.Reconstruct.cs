using System.Buffers;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Wsss.Core.Imaging.Jpeg;

/// <summary>Inverse DCT, chroma up-sampling (libjpeg's "fancy" triangle filters) and colour conversion.</summary>
internal sealed partial class JpegDecoderCore
{
    private ImageBuffer Reconstruct()
    {
        int nc = _components.Length;
        var planes = new byte[nc][];
        var strides = new int[nc];
        Span<int> workspace = stackalloc int[64];
        for (int i = 0; i < nc; i++)
        {
            var c = _components[i];
            // A component never named by any scan keeps zero coefficients (mid-grey), as in libjpeg.
            var quant = c.Quant ?? _quant[c.QuantTable] ?? new ushort[64];
            int stride = c.DataBlocksPerLine * 8;
            var plane = ArrayPool<byte>.Shared.Rent(stride * c.DataBlocksPerColumn * 8);
            for (int by = 0; by < c.DataBlocksPerColumn; by++)
            {
                for (int bx = 0; bx < c.DataBlocksPerLine; bx++)
                {
                    var block = c.Coefficients.AsSpan(((by * c.BlocksPerLine) + bx) * 64, 64);
                    JpegIdct.Transform(block, quant, workspace, plane.AsSpan((by * 8 * stride) + (bx * 8)), stride);
                }
            }
            ArrayPool<short>.Shared.Return(c.Coefficients); // release early
            c.Coefficients = [];
            planes[i] = plane;
            strides[i] = stride;
        }

        JpegColorSpace space = ColorSpace();
        int outChannels = nc == 1 ? 1 : 3;
        var result = new ImageBuffer(_width, _height, outChannels);
        var rows = new byte[nc][];
        for (int i = 0; i < nc; i++) rows[i] = new byte[Math.Max(_width, 2 * _components[i].Width) + 16];
        var colSums = new ushort[_width + 16];
        var pixels = result.Pixels;
        for (int y = 0; y < _height; y++)
        {
            for (int i = 0; i < nc; i++)
                UpsampleRow(_components[i], planes[i], strides[i], y, rows[i], colSums);
            var dst = pixels.AsSpan(y * _width * outChannels, _width * outChannels);
            JpegColorConverter.Convert(space, rows, _width, dst);
        }
        foreach (var plane in planes) ArrayPool<byte>.Shared.Return(plane);
        return result;
    }

    private JpegColorSpace ColorSpace()
    {
        if (_components.Length == 1) return JpegColorSpace.Gray;
        if (_components.Length == 3)
        {
            if (_sawJfif) return JpegColorSpace.YCbCr;
            if (_sawAdobe) return _adobeTransform == 0 ? JpegColorSpace.Rgb : JpegColorSpace.YCbCr;
            var c = _components;
            if (c[0].Id == 'R' && c[1].Id == 'G' && c[2].Id == 'B') return JpegColorSpace.Rgb;
            return JpegColorSpace.YCbCr;
        }
        if (_sawAdobe) return _adobeTransform == 0 ? JpegColorSpace.Cmyk : JpegColorSpace.Ycck;
        return JpegColorSpace.Cmyk;
    }

    /// <summary>Produces full-resolution row <paramref name="y"/> of a component, as libjpeg's jdsample.c does by default.</summary>
    private void UpsampleRow(JpegComponent c, byte[] plane, int stride, int y, byte[] dst, ushort[] colSums)
    {
        int hs = _hMax / c.H, vs = _vMax / c.V;
        int w = c.Width, lastRow = c.Height - 1;
        if (hs == 1 && vs == 1)
        {
            plane.AsSpan(y * stride, _width).CopyTo(dst);
            return;
        }
        if (hs == 2 && vs == 1 && w > 2)
        {
            var a = plane.AsSpan(y * stride, w);
            for (int i = 0; i < w; i++)
            {
                int t = 3 * a[i];
                int l = a[i == 0 ? 0 : i - 1], r = a[i == w - 1 ? w - 1 : i + 1];
                dst[2 * i] = (byte)((t + l + 1) >> 2);
                dst[(2 * i) + 1] = (byte)((t + r + 2) >> 2);
            }
            return;
        }
        if (hs == 1 && vs == 2)
        {
            int inRow = y >> 1;
            bool upper = (y & 1) == 0;
            int nb = Math.Clamp(upper ? inRow - 1 : inRow + 1, 0, lastRow);
            int bias = upper ? 1 : 2;
            var a = plane.AsSpan(inRow * stride, _width);
            var b = plane.AsSpan(nb * stride, _width);
            for (int x = 0; x < _width; x++) dst[x] = (byte)(((3 * a[x]) + b[x] + bias) >> 2);
            return;
        }
        if (hs == 2 && vs == 2 && w > 2)
        {
            int inRow = y >> 1;
            int nb = Math.Clamp((y & 1) == 0 ? inRow - 1 : inRow + 1, 0, lastRow);
            var a = plane.AsSpan(inRow * stride, w);
            var b = plane.AsSpan(nb * stride, w);
            var cs = colSums.AsSpan(0, w);
            for (int i = 0; i < cs.Length; i++) cs[i] = (ushort)((3 * a[i]) + b[i]);
            var d = dst.AsSpan(0, 2 * w);
            d[0] = (byte)((4 * cs[0] + 8) >> 4);
            d[1] = (byte)((3 * cs[0] + cs[1] + 7) >> 4);
            int start = 1;
            if (Vector128.IsHardwareAccelerated && BitConverter.IsLittleEndian && JpegColorConverter.UseVector)
            {
                // Eight input columns per step in 16-bit lanes (sums stay below 4096); each output pair
                // (even, odd) is packed into one little-endian ushort.
                ref ushort csRef = ref MemoryMarshal.GetReference(cs);
                ref byte dRef = ref MemoryMarshal.GetReference(d);
                var eight = Vector128.Create((ushort)8);
                var seven = Vector128.Create((ushort)7);
                for (; start + 8 <= w - 1; start += 8)
                {
                    var l = Vector128.LoadUnsafe(ref csRef, (nuint)(start - 1));
                    var mid = Vector128.LoadUnsafe(ref csRef, (nuint)start);
                    var r = Vector128.LoadUnsafe(ref csRef, (nuint)(start + 1));
                    var t = mid * (ushort)3;
                    var even = (t + l + eight) >> 4;
                    var odd = (t + r + seven) >> 4;
                    (even | (odd << 8)).AsByte().StoreUnsafe(ref dRef, (nuint)(2 * start));
                }
            }
            for (int i = start; i < w - 1; i++)
            {
                int t = 3 * cs[i];
                d[2 * i] = (byte)((t + cs[i - 1] + 8) >> 4);
                d[(2 * i) + 1] = (byte)((t + cs[i + 1] + 7) >> 4);
            }
            d[(2 * w) - 2] = (byte)((3 * cs[w - 1] + cs[w - 2] + 8) >> 4);
            d[(2 * w) - 1] = (byte)((4 * cs[w - 1] + 7) >> 4);
            return;
        }
        // Integral factors without a fancy filter: pixel replication (libjpeg's int_upsample / h2v1 / h2v2 box).
        var src = plane.AsSpan((y / vs) * stride, stride);
        for (int x = 0; x < _width; x++) dst[x] = src[x / hs];
    }
}
