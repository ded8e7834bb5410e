using Wsss.Core.Tensors;
using Wsss.Core.Tensors.Kernels;

namespace Wsss.Core.Nn;

/// <summary>Resampling algorithm of <see cref="Functional.Interpolate"/>.</summary>
public enum InterpolateMode
{
    /// <summary>PyTorch's legacy <c>'nearest'</c>: source index floor(dst · scale) (not <c>'nearest-exact'</c>).</summary>
    Nearest,

    /// <summary>PyTorch's <c>'bilinear'</c>: linear interpolation along H and W between the two nearest source pixels.</summary>
    Bilinear,
}

public static partial class Functional
{
    /// <summary>
    /// Resizes the spatial dimensions of an NCHW tensor (torch.nn.functional.interpolate with
    /// <c>recompute_scale_factor=None</c>, <c>antialias=False</c>).
    /// </summary>
    /// <param name="x">Input of shape (N, C, H, W).</param>
    /// <param name="size">Output (height, width), positive. Exactly one of <paramref name="size"/> and <paramref name="scaleFactor"/> must be given.</param>
    /// <param name="scaleFactor">
    /// Multipliers (height, width), positive and finite: the output size is floor(in · s), and the
    /// coordinate mapping uses 1 / s (not in / out) unless <paramref name="alignCorners"/> is true, as PyTorch does.
    /// </param>
    /// <param name="mode">Nearest (legacy) or bilinear.</param>
    /// <param name="alignCorners">
    /// Bilinear only (null means false): true maps corner pixel centres onto each other
    /// (src = dst · (in − 1) / (out − 1)); false uses half-pixel centres (src = (dst + 0.5) · scale − 0.5, clamped at 0).
    /// Must be null for <see cref="InterpolateMode.Nearest"/>.
    /// </param>
    /// <returns>Shape (N, C, OH, OW).</returns>
    /// <remarks>The backward pass scatter-adds the upstream gradient to the same source taps with the same weights.</remarks>
    /// <exception cref="ArgumentException">
    /// The input is not 4-D (<c>x</c>); neither size nor scale factor was given (<c>size</c>) or both were (<c>scaleFactor</c>);
    /// a size or scale factor is not positive, or the scaled size rounds to zero; alignCorners was set for nearest (<c>alignCorners</c>);
    /// the mode is not defined (<c>mode</c>).
    /// </exception>
    public static Tensor Interpolate(Tensor x, (int H, int W)? size = null, (double H, double W)? scaleFactor = null,
        InterpolateMode mode = InterpolateMode.Nearest, bool? alignCorners = null)
    {
        var (n, c, h, w) = PoolCheck4D(x, nameof(x), "Interpolate");
        if (mode is not (InterpolateMode.Nearest or InterpolateMode.Bilinear))
            ThrowHelper.Argument(nameof(mode), $"Interpolate: expected mode Nearest or Bilinear, got {(int)mode}");
        if (size is null && scaleFactor is null)
            ThrowHelper.Argument(nameof(size), "Interpolate: expected exactly one of size and scaleFactor, got neither");
        if (size is not null && scaleFactor is not null)
            ThrowHelper.Argument(nameof(scaleFactor), $"Interpolate: expected exactly one of size and scaleFactor, got both (size ({size.Value.H}, {size.Value.W}), scaleFactor ({scaleFactor.Value.H}, {scaleFactor.Value.W}))");
        if (mode == InterpolateMode.Nearest && alignCorners is not null)
            ThrowHelper.Argument(nameof(alignCorners), $"Interpolate: alignCorners applies to Bilinear only and must be null for Nearest, got {alignCorners.Value}");

        int oh, ow;
        double? sh = null, sw = null;
        if (size is (int H, int W) sz)
        {
            if (sz.H <= 0 || sz.W <= 0)
                ThrowHelper.Argument(nameof(size), $"Interpolate: expected a positive size, got ({sz.H}, {sz.W})");
            (oh, ow) = sz;
        }
        else
        {
            var sf = scaleFactor!.Value;
            if (!(sf.H > 0) || !(sf.W > 0) || !double.IsFinite(sf.H) || !double.IsFinite(sf.W))
                ThrowHelper.Argument(nameof(scaleFactor), $"Interpolate: expected a positive finite scaleFactor, got ({sf.H}, {sf.W})");
            double fh = Math.Floor(h * sf.H), fw = Math.Floor(w * sf.W);
            if (fh < 1 || fw < 1 || fh > int.MaxValue || fw > int.MaxValue)
                ThrowHelper.Argument(nameof(scaleFactor), $"Interpolate: scaleFactor ({sf.H}, {sf.W}) maps input size ({h}, {w}) to ({fh}, {fw}); expected an output size between 1 and {int.MaxValue}");
            oh = (int)fh;
            ow = (int)fw;
            sh = sf.H;
            sw = sf.W;
        }

        var y = Tensor.Allocate(new[] { n, c, oh, ow }, clear: false);
        int planes = n * c;
        bool record = Autograd.ShouldRecord(x);
        var xShape = record ? x.Shape : null;
        if (mode == InterpolateMode.Nearest)
        {
            var rows = InterpolateKernels.NearestIndices(h, oh, sh);
            var cols = InterpolateKernels.NearestIndices(w, ow, sw);
            InterpolateKernels.NearestForward(x.Buffer, y.Buffer, planes, h, w, rows, cols);
            if (!record) return Autograd.Check("upsample_nearest2d", y);
            return Autograd.Record("upsample_nearest2d", y, new[] { x }, gy =>
            {
                var gx = Tensor.Allocate(xShape!, clear: false);
                InterpolateKernels.NearestBackward(gy.Buffer, gx.Buffer, planes, h, w, rows, cols);
                return new Tensor?[] { gx };
            });
        }
        else
        {
            bool ac = alignCorners ?? false;
            var th = InterpolateKernels.LinearIndices(h, oh, ac, sh);
            var tw = InterpolateKernels.LinearIndices(w, ow, ac, sw);
            InterpolateKernels.BilinearForward(x.Buffer, y.Buffer, planes, h, w, th, tw);
            if (!record) return Autograd.Check("upsample_bilinear2d", y);
            return Autograd.Record("upsample_bilinear2d", y, new[] { x }, gy =>
            {
                var gx = Tensor.Allocate(xShape!, clear: false);
                InterpolateKernels.BilinearBackward(gy.Buffer, gx.Buffer, planes, h, w, th, tw);
                return new Tensor?[] { gx };
            });
        }
    }
}
