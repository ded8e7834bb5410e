using Wsss.Core.Tensors;
using Wsss.Core.Tensors.Kernels;

namespace Wsss.Core.Nn;

/// <summary>Functional forms of the layers (torch.nn.functional).</summary>
public static partial class Functional
{
    /// <summary>
    /// 2-D convolution of (N, C_in, H, W) input with (C_out, C_in/groups, kH, kW) weight.
    /// </summary>
    /// <remarks>torch.nn.functional.conv2d.</remarks>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null,
        (int H, int W)? stride = null, (int H, int W)? padding = null, (int H, int W)? dilation = null, int groups = 1)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        var (sh, sw) = stride ?? (1, 1);
        var (ph, pw) = padding ?? (0, 0);
        var (dh, dw) = dilation ?? (1, 1);
        if (input.Rank != 4) throw new ArgumentException($"conv2d expects (N, C, H, W) input, got {Tensor.ShapeString(input.ShapeSpan)}", nameof(input));
        if (weight.Rank != 4) throw new ArgumentException($"conv2d expects (C_out, C_in/groups, kH, kW) weight, got {Tensor.ShapeString(weight.ShapeSpan)}", nameof(weight));
        if (groups < 1) throw new ArgumentException($"groups must be positive, got {groups}", nameof(groups));
        if (sh < 1 || sw < 1) throw new ArgumentException($"stride must be positive, got ({sh}, {sw})", nameof(stride));
        if (dh < 1 || dw < 1) throw new ArgumentException($"dilation must be positive, got ({dh}, {dw})", nameof(dilation));
        if (ph < 0 || pw < 0) throw new ArgumentException($"padding must be non-negative, got ({ph}, {pw})", nameof(padding));
        int n = input.Size(0), cin = input.Size(1), h = input.Size(2), w = input.Size(3);
        int cout = weight.Size(0), cinG = weight.Size(1), kh = weight.Size(2), kw = weight.Size(3);
        if (cin % groups != 0 || cout % groups != 0)
            throw new ArgumentException($"groups {groups} must divide both C_in {cin} and C_out {cout}", nameof(groups));
        if (cinG * groups != cin)
            throw new ArgumentException($"weight {Tensor.ShapeString(weight.ShapeSpan)} expects {cinG * groups} input channels, input {Tensor.ShapeString(input.ShapeSpan)} has {cin}", nameof(weight));
        if (bias is not null && (bias.Rank != 1 || bias.Size(0) != cout))
            throw new ArgumentException($"bias must be ({cout},), got {Tensor.ShapeString(bias.ShapeSpan)}", nameof(bias));
        int oh = (h + 2 * ph - dh * (kh - 1) - 1) / sh + 1;
        int ow = (w + 2 * pw - dw * (kw - 1) - 1) / sw + 1;
        if (h + 2 * ph - dh * (kh - 1) - 1 < 0 || w + 2 * pw - dw * (kw - 1) - 1 < 0 || oh <= 0 || ow <= 0)
            throw new ArgumentException($"input {h}x{w} with padding ({ph}, {pw}) is smaller than the dilated kernel {dh * (kh - 1) + 1}x{dw * (kw - 1) + 1}", nameof(input));

        var g = new ConvGeometry(cinG, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow);
        int coutG = cout / groups;
        var y = Tensor.Allocate(new[] { n, cout, oh, ow }, clear: n == 0);
        Conv2dKernels.Forward(input.Buffer, weight.Buffer, bias?.Buffer, y.Buffer, n, groups, coutG, g);
        var inputs = bias is null ? new[] { input, weight } : new[] { input, weight, bias };
        if (!Autograd.ShouldRecord(inputs)) return Autograd.Check("conv2d", y);
        return Autograd.Record("conv2d", y, inputs, gy =>
        {
            Tensor? gx = input.RequiresGrad ? Tensor.Allocate(input.Shape, clear: false) : null;
            Tensor? gw = weight.RequiresGrad ? Tensor.Allocate(weight.Shape, clear: n == 0) : null;
            if (gx is not null || gw is not null)
                Conv2dKernels.Backward(input.Buffer, weight.Buffer, gy.Buffer, gx?.Buffer, gw?.Buffer, n, groups, coutG, g);
            Tensor? gb = null;
            if (bias is not null && bias.RequiresGrad) gb = gy.SumNoGrad(new[] { 0, 2, 3 }, keepDim: false);
            return bias is null ? new[] { gx, gw } : new[] { gx, gw, gb };
        });
    }
}
