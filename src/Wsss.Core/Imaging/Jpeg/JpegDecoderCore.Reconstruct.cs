using System.Buffers;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Wsss.Core.Imaging.Jpeg;

/// <summary>Inverse DCT, chroma up-sampling (libjpeg's "fancy" triangle filters) and colour conversion.</summary>
internal sealed partial class JpegDecoderCore
{
    /// <summary>Images with at least this many pixels are reconstructed on two threads.</summary>
    private const int ParallelMinPixels = 32768;

    /// <summary>
    /// What reconstruction needs of one component, copied out of the decoder so that a second thread never reads
    /// objects the entropy decoder keeps writing (which would bounce their cache lines between the cores).
    /// </summary>
    private sealed class Plane
    {
        public required byte[] Data;
        public required int Stride;
        public required ushort[] Quant;
        public required short[] Coefficients;
        public required int Hs, Vs, V, Width, LastRow, DataBlocksPerLine, DataBlocksPerColumn, BlocksPerLine;
    }

    private ImageBuffer Reconstruct()
    {
        int nc = _components.Length;
        JpegColorSpace space = ColorSpace();
        int outChannels = nc == 1 ? 1 : 3;
        if (_idctTask is not null)
        {
            _idctTask.Wait();
            _idctTask = null;
            // The pipelined work saw the final coefficients only if no later scan changed them.
            if (_scanCount == 1 && space == _pipelineSpace)
            {
                var done = _pixels!;
                _pixels = null;
                ReleaseBuffers();
                return new ImageBuffer(_width, _height, outChannels, done);
            }
        }
        _planes ??= AllocatePlanes();
        var planes = _planes;
        int width = _width, height = _height;
        bool parallel = UseParallel();
        if (parallel) Parallel.For(0, 2, part => TransformBlocks(planes, part, 2));
        else TransformBlocks(planes, 0, 1);

        // Every sample is written below, so the array need not be zeroed.
        var pixels = _pixels ?? GC.AllocateUninitializedArray<byte>(width * height * outChannels);
        _pixels = null;

        // Each half writes disjoint output rows with the same arithmetic, so the result does not depend on the split.
        if (parallel)
            Parallel.For(0, 2, part => UpsampleAndConvert(space, planes, width, pixels, part * height / 2, (part + 1) * height / 2, (part + 1) * height / 2));
        else
            UpsampleAndConvert(space, planes, width, pixels, 0, height, height);

        ReleaseBuffers();
        return new ImageBuffer(width, height, outChannels, pixels);
    }

    private bool UseParallel() => Environment.ProcessorCount > 1 && (long)_width * _height >= ParallelMinPixels;

    private Plane[] AllocatePlanes()
    {
        var planes = new Plane[_components.Length];
        for (int i = 0; i < planes.Length; i++)
        {
            var c = _components[i];
            if (c.Quant is null && !_progressive) Array.Clear(c.Coefficients);
            int stride = c.DataBlocksPerLine * 8;
            planes[i] = new Plane
            {
                Data = ArrayPool<byte>.Shared.Rent(stride * c.DataBlocksPerColumn * 8),
                Stride = stride,
                // A component never named by any scan keeps zero coefficients (mid-grey), as in libjpeg.
                Quant = c.Quant ?? _quant[c.QuantTable] ?? new ushort[64],
                Coefficients = c.Coefficients,
                Hs = _hMax / c.H,
                Vs = _vMax / c.V,
                V = c.V,
                Width = c.Width,
                LastRow = c.Height - 1,
                DataBlocksPerLine = c.DataBlocksPerLine,
                DataBlocksPerColumn = c.DataBlocksPerColumn,
                BlocksPerLine = c.BlocksPerLine,
            };
        }
        return planes;
    }

    /// <summary>Waits for a pipelined transform still running (after an error), then returns coefficients and planes to the pool.</summary>
    private void ReleaseBuffers()
    {
        if (_idctTask is not null)
        {
            try
            {
                _idctTask.Wait();
            }
            catch (AggregateException)
            {
                // Only reached after the scan itself failed; that error is the one reported.
            }
            _idctTask = null;
        }
        foreach (var c in _components)
        {
            if (c is null) continue; // frame header rejected half-way
            if (c.Coefficients.Length > 0) ArrayPool<short>.Shared.Return(c.Coefficients);
            c.Coefficients = [];
        }
        if (_planes is not null)
        {
            foreach (var plane in _planes) ArrayPool<byte>.Shared.Return(plane.Data);
            _planes = null;
        }
    }

    /// <summary>
    /// Starts the inverse transform, up-sampling and colour conversion of a sequential interleaved scan on another
    /// thread, following the entropy decoder MCU row by MCU row (it publishes its progress in <see cref="_progress"/>).
    /// </summary>
    private void StartPipelinedTransform()
    {
        var planes = AllocatePlanes();
        _planes = planes;
        var space = ColorSpace();
        _pipelineSpace = space;
        var pixels = GC.AllocateUninitializedArray<byte>(_width * _height * (_components.Length == 1 ? 1 : 3));
        _pixels = pixels;
        var progress = _progress;
        Volatile.Write(ref progress[ProgressSlot], 0);
        int width = _width, height = _height, mcuRows = _mcusPerColumn, mcuHeight = 8 * _vMax, vMax = _vMax;
        _idctTask = Task.Run(() => PipelinedTransform(planes, progress, space, pixels, width, height, mcuRows, mcuHeight, vMax));
    }

    private static void PipelinedTransform(Plane[] planes, int[] progress, JpegColorSpace space, byte[] pixels, int width, int height, int mcuRows, int mcuHeight, int vMax)
    {
        Span<int> workspace = stackalloc int[64];
        var rows = NewRowBuffers(planes, width, out var colSums);
        int y = 0;
        for (int my = 0; my < mcuRows; my++)
        {
            if (Volatile.Read(ref progress[ProgressSlot]) <= my)
            {
                var spin = default(SpinWait);
                while (Volatile.Read(ref progress[ProgressSlot]) <= my) spin.SpinOnce(sleep1Threshold: -1);
            }
            foreach (var p in planes)
            {
                int end = Math.Min((my + 1) * p.V, p.DataBlocksPerColumn);
                for (int by = my * p.V; by < end; by++) TransformBlockRow(p, by, workspace);
            }
            // Output rows whose up-sampling context (one component row below) is already transformed.
            int ready = my == mcuRows - 1 ? height : Math.Min(height, ((my + 1) * mcuHeight) - vMax);
            for (; y < ready; y++) UpsampleAndConvertRow(space, planes, width, pixels, y, height, rows, colSums);
        }
    }

    private static void TransformBlockRow(Plane p, int by, Span<int> workspace)
    {
        for (int bx = 0; bx < p.DataBlocksPerLine; bx++)
        {
            var block = p.Coefficients.AsSpan(((by * p.BlocksPerLine) + bx) * 64, 64);
            JpegIdct.Transform(block, p.Quant, workspace, p.Data.AsSpan((by * 8 * p.Stride) + (bx * 8)), p.Stride);
        }
    }

    /// <summary>Inverse-transforms block rows [part·n/parts, (part+1)·n/parts) of every component.</summary>
    private static void TransformBlocks(Plane[] planes, int part, int parts)
    {
        Span<int> workspace = stackalloc int[64];
        foreach (var p in planes)
        {
            int n = p.DataBlocksPerColumn;
            for (int by = part * n / parts; by < (part + 1) * n / parts; by++) TransformBlockRow(p, by, workspace);
        }
    }

    private static byte[][] NewRowBuffers(Plane[] planes, int width, out ushort[] colSums)
    {
        var rows = new byte[planes.Length][];
        for (int i = 0; i < planes.Length; i++) rows[i] = new byte[Math.Max(width, 2 * planes[i].Width) + 16];
        colSums = new ushort[width + 16];
        return rows;
    }

    /// <summary>Up-samples and colour-converts output rows [y0, y1); vector stores may spill a few bytes up to row <paramref name="yLimit"/>.</summary>
    private static void UpsampleAndConvert(JpegColorSpace space, Plane[] planes, int width, byte[] pixels, int y0, int y1, int yLimit)
    {
        var rows = NewRowBuffers(planes, width, out var colSums);
        for (int y = y0; y < y1; y++) UpsampleAndConvertRow(space, planes, width, pixels, y, yLimit, rows, colSums);
    }

    private static void UpsampleAndConvertRow(JpegColorSpace space, Plane[] planes, int width, byte[] pixels, int y, int yLimit, byte[][] rows, ushort[] colSums)
    {
        for (int i = 0; i < planes.Length; i++) UpsampleRow(planes[i], width, y, rows[i], colSums);
        int rowBytes = width * (planes.Length == 1 ? 1 : 3);
        // Up to yLimit, not just the row: the bytes spilt into the next row are rewritten when that row is
        // converted, by the same thread (another one may be writing from yLimit on).
        JpegColorConverter.Convert(space, rows, width, pixels.AsSpan(y * rowBytes, (yLimit - y) * rowBytes));
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
    private static void UpsampleRow(Plane p, int width, int y, byte[] dst, ushort[] colSums)
    {
        int hs = p.Hs, vs = p.Vs;
        int w = p.Width, lastRow = p.LastRow;
        var plane = p.Data;
        int stride = p.Stride;
        if (hs == 1 && vs == 1)
        {
            plane.AsSpan(y * stride, width).CopyTo(dst);
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
            var a = plane.AsSpan(inRow * stride, width);
            var b = plane.AsSpan(nb * stride, width);
            for (int x = 0; x < width; x++) dst[x] = (byte)(((3 * a[x]) + b[x] + bias) >> 2);
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
        for (int x = 0; x < width; x++) dst[x] = src[x / hs];
    }
}
