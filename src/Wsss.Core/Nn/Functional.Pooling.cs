using Wsss.Core.Tensors;
using Wsss.Core.Tensors.Kernels;

namespace Wsss.Core.Nn;

/// <summary>
/// Stateless neural-network operations on tensors, mirroring <c>torch.nn.functional</c>.
/// Images are NCHW; every operation records its backward pass when an input requires grad.
/// </summary>
public static partial class Functional
{
    // ------------------------------------------------------------------------------------ max pool

    /// <summary>
    /// 2-D max pooling over an NCHW tensor with a square window (torch.nn.functional.max_pool2d).
    /// </summary>
    /// <param name="x">Input of shape (N, C, H, W).</param>
    /// <param name="kernelSize">Window size (positive).</param>
    /// <param name="stride">Window step (positive); defaults to <paramref name="kernelSize"/>.</param>
    /// <param name="padding">Implicit −∞ padding on each side; at most kernelSize / 2.</param>
    /// <param name="dilation">Spacing between window taps (positive).</param>
    /// <param name="ceilMode">Round the output size up instead of down (the last window must still start inside the input or the left padding).</param>
    /// <returns>Shape (N, C, OH, OW) with OH = floor((H + 2p − d(k−1) − 1) / s) + 1 (ceil in ceil mode).</returns>
    /// <remarks>The gradient flows to the first maximum of each window in row-major scan order (NaN counts as the maximum), as PyTorch on the CPU.</remarks>
    /// <exception cref="ArgumentException">The input is not 4-D, a size is out of range, or the output would be empty.</exception>
    public static Tensor MaxPool2d(Tensor x, int kernelSize, int? stride = null, int padding = 0, int dilation = 1, bool ceilMode = false)
        => MaxPool2d(x, (kernelSize, kernelSize), stride is int s ? (s, s) : null, (padding, padding), (dilation, dilation), ceilMode);

    /// <summary>
    /// 2-D max pooling over an NCHW tensor (torch.nn.functional.max_pool2d).
    /// </summary>
    /// <param name="x">Input of shape (N, C, H, W).</param>
    /// <param name="kernelSize">Window (height, width), positive.</param>
    /// <param name="stride">Window step (height, width), positive; defaults to <paramref name="kernelSize"/>.</param>
    /// <param name="padding">Implicit −∞ padding (height, width); each at most half the kernel size.</param>
    /// <param name="dilation">Spacing between window taps (height, width), positive; defaults to (1, 1).</param>
    /// <param name="ceilMode">Round the output size up instead of down (the last window must still start inside the input or the left padding).</param>
    /// <returns>Shape (N, C, OH, OW).</returns>
    /// <remarks>The gradient flows to the first maximum of each window in row-major scan order (NaN counts as the maximum), as PyTorch on the CPU.</remarks>
    /// <exception cref="ArgumentException">The input is not 4-D, a size is out of range, or the output would be empty.</exception>
    public static Tensor MaxPool2d(Tensor x, (int H, int W) kernelSize, (int H, int W)? stride = null, (int H, int W) padding = default,
        (int H, int W)? dilation = null, bool ceilMode = false)
        => MaxPool2dCore(x, kernelSize, stride, padding, dilation, ceilMode, wantIndices: false, out _);

    /// <summary>
    /// 2-D max pooling that also returns the position of each maximum
    /// (torch.nn.functional.max_pool2d with <c>return_indices=True</c>).
    /// </summary>
    /// <param name="x">Input of shape (N, C, H, W).</param>
    /// <param name="kernelSize">Window (height, width), positive.</param>
    /// <param name="indices">Receives, for every output element, the flat position h·W + w of its maximum within its (n, c) plane, stored as float (exact below 2²⁴). Not differentiable.</param>
    /// <param name="stride">Window step (height, width), positive; defaults to <paramref name="kernelSize"/>.</param>
    /// <param name="padding">Implicit −∞ padding (height, width); each at most half the kernel size.</param>
    /// <param name="dilation">Spacing between window taps (height, width), positive; defaults to (1, 1).</param>
    /// <param name="ceilMode">Round the output size up instead of down.</param>
    /// <returns>The pooled values, shape (N, C, OH, OW).</returns>
    /// <exception cref="ArgumentException">The input is not 4-D, a size is out of range, or the output would be empty.</exception>
    public static Tensor MaxPool2d(Tensor x, (int H, int W) kernelSize, out Tensor indices, (int H, int W)? stride = null,
        (int H, int W) padding = default, (int H, int W)? dilation = null, bool ceilMode = false)
    {
        var y = MaxPool2dCore(x, kernelSize, stride, padding, dilation, ceilMode, wantIndices: true, out var idx);
        indices = IndicesToTensor(idx!, y.Shape);
        return y;
    }

    private static Tensor MaxPool2dCore(Tensor x, (int H, int W) kernelSize, (int H, int W)? stride, (int H, int W) padding,
        (int H, int W)? dilation, bool ceilMode, bool wantIndices, out int[]? indices)
    {
        var (n, c, h, w) = PoolCheck4D(x, nameof(x), "MaxPool2d");
        var s = stride ?? kernelSize;
        var d = dilation ?? (1, 1);
        PoolCheckPositive(kernelSize, nameof(kernelSize), "MaxPool2d");
        PoolCheckPositive(s, nameof(stride), "MaxPool2d");
        PoolCheckPositive(d, nameof(dilation), "MaxPool2d");
        PoolCheckPadding(padding, kernelSize, "MaxPool2d");
        int oh = PoolOutputSize(h, kernelSize.H, padding.H, s.H, d.H, ceilMode, x, "MaxPool2d", "height");
        int ow = PoolOutputSize(w, kernelSize.W, padding.W, s.W, d.W, ceilMode, x, "MaxPool2d", "width");
        var g = new Pool2dGeometry(h, w, oh, ow, kernelSize.H, kernelSize.W, s.H, s.W, padding.H, padding.W, d.H, d.W);

        var y = Tensor.Allocate(new[] { n, c, oh, ow }, clear: false);
        int planes = n * c;
        bool record = Autograd.ShouldRecord(x);
        var idx = record || wantIndices ? new int[y.Numel] : null;
        PoolingKernels.MaxPoolForward(x.Buffer, y.Buffer, idx, planes, g);
        indices = idx;
        if (!record) return Autograd.Check("max_pool2d", y);
        var xShape = x.Shape;
        return Autograd.Record("max_pool2d", y, new[] { x }, gy =>
        {
            var gx = Tensor.Allocate(xShape, clear: false);
            PoolingKernels.ScatterToArgmax(gy.Buffer, idx!, gx.Buffer, planes, g.InPlane, g.OutPlane);
            return new Tensor?[] { gx };
        });
    }

    // ------------------------------------------------------------------------------------ avg pool

    /// <summary>
    /// 2-D average pooling over an NCHW tensor with a square window (torch.nn.functional.avg_pool2d).
    /// </summary>
    /// <param name="x">Input of shape (N, C, H, W).</param>
    /// <param name="kernelSize">Window size (positive).</param>
    /// <param name="stride">Window step (positive); defaults to <paramref name="kernelSize"/>.</param>
    /// <param name="padding">Implicit zero padding on each side; at most kernelSize / 2.</param>
    /// <param name="ceilMode">Round the output size up instead of down.</param>
    /// <param name="countIncludePad">Divide by the window size clipped to the padded input (true) or by the number of real input elements (false).</param>
    /// <param name="divisorOverride">If set (non-zero), the divisor of every window.</param>
    /// <returns>Shape (N, C, OH, OW).</returns>
    /// <exception cref="ArgumentException">The input is not 4-D, a size is out of range, the divisor is zero, or the output would be empty.</exception>
    public static Tensor AvgPool2d(Tensor x, int kernelSize, int? stride = null, int padding = 0, bool ceilMode = false,
        bool countIncludePad = true, int? divisorOverride = null)
        => AvgPool2d(x, (kernelSize, kernelSize), stride is int s ? (s, s) : null, (padding, padding), ceilMode, countIncludePad, divisorOverride);

    /// <summary>
    /// 2-D average pooling over an NCHW tensor (torch.nn.functional.avg_pool2d).
    /// </summary>
    /// <param name="x">Input of shape (N, C, H, W).</param>
    /// <param name="kernelSize">Window (height, width), positive.</param>
    /// <param name="stride">Window step (height, width), positive; defaults to <paramref name="kernelSize"/>.</param>
    /// <param name="padding">Implicit zero padding (height, width); each at most half the kernel size.</param>
    /// <param name="ceilMode">Round the output size up instead of down (the last window must still start inside the input or the left padding).</param>
    /// <param name="countIncludePad">
    /// True: divide by the number of window elements inside the padded input [−p, in + p) (so a window that
    /// overhangs because of ceil mode is divided by less than kH·kW). False: divide by the number of real input elements.
    /// </param>
    /// <param name="divisorOverride">If set (non-zero), the divisor of every window.</param>
    /// <returns>Shape (N, C, OH, OW).</returns>
    /// <exception cref="ArgumentException">The input is not 4-D, a size is out of range, the divisor is zero, or the output would be empty.</exception>
    public static Tensor AvgPool2d(Tensor x, (int H, int W) kernelSize, (int H, int W)? stride = null, (int H, int W) padding = default,
        bool ceilMode = false, bool countIncludePad = true, int? divisorOverride = null)
    {
        var (n, c, h, w) = PoolCheck4D(x, nameof(x), "AvgPool2d");
        var s = stride ?? kernelSize;
        PoolCheckPositive(kernelSize, nameof(kernelSize), "AvgPool2d");
        PoolCheckPositive(s, nameof(stride), "AvgPool2d");
        PoolCheckPadding(padding, kernelSize, "AvgPool2d");
        if (divisorOverride == 0) ThrowHelper.Argument(nameof(divisorOverride), "AvgPool2d: divisorOverride must be non-zero (or null), got 0");
        int oh = PoolOutputSize(h, kernelSize.H, padding.H, s.H, 1, ceilMode, x, "AvgPool2d", "height");
        int ow = PoolOutputSize(w, kernelSize.W, padding.W, s.W, 1, ceilMode, x, "AvgPool2d", "width");
        var g = new Pool2dGeometry(h, w, oh, ow, kernelSize.H, kernelSize.W, s.H, s.W, padding.H, padding.W, 1, 1);

        var y = Tensor.Allocate(new[] { n, c, oh, ow }, clear: false);
        int planes = n * c;
        PoolingKernels.AvgPoolForward(x.Buffer, y.Buffer, planes, g, countIncludePad, divisorOverride);
        if (!Autograd.ShouldRecord(x)) return Autograd.Check("avg_pool2d", y);
        var xShape = x.Shape;
        return Autograd.Record("avg_pool2d", y, new[] { x }, gy =>
        {
            var gx = Tensor.Allocate(xShape, clear: false);
            PoolingKernels.AvgPoolBackward(gy.Buffer, gx.Buffer, planes, g, countIncludePad, divisorOverride);
            return new Tensor?[] { gx };
        });
    }

    // ------------------------------------------------------------------------------------ adaptive pools

    /// <summary>
    /// Adaptive 2-D average pooling to a fixed output size (torch.nn.functional.adaptive_avg_pool2d).
    /// Output (i, j) averages rows [floor(i·H/OH), ceil((i+1)·H/OH)) and columns [floor(j·W/OW), ceil((j+1)·W/OW)).
    /// </summary>
    /// <param name="x">Input of shape (N, C, H, W).</param>
    /// <param name="outputSize">Output (height, width), positive.</param>
    /// <returns>Shape (N, C, OH, OW).</returns>
    /// <exception cref="ArgumentException">The input is not 4-D (with H, W ≥ 1) or an output size is not positive.</exception>
    public static Tensor AdaptiveAvgPool2d(Tensor x, (int H, int W) outputSize)
    {
        var (n, c, h, w) = PoolCheck4D(x, nameof(x), "AdaptiveAvgPool2d");
        PoolCheckPositive(outputSize, nameof(outputSize), "AdaptiveAvgPool2d");
        var (oh, ow) = outputSize;
        var y = Tensor.Allocate(new[] { n, c, oh, ow }, clear: false);
        int planes = n * c;
        PoolingKernels.AdaptiveAvgForward(x.Buffer, y.Buffer, planes, h, w, oh, ow);
        if (!Autograd.ShouldRecord(x)) return Autograd.Check("adaptive_avg_pool2d", y);
        var xShape = x.Shape;
        return Autograd.Record("adaptive_avg_pool2d", y, new[] { x }, gy =>
        {
            var gx = Tensor.Allocate(xShape, clear: false);
            PoolingKernels.AdaptiveAvgBackward(gy.Buffer, gx.Buffer, planes, h, w, oh, ow);
            return new Tensor?[] { gx };
        });
    }

    /// <summary>Adaptive 2-D average pooling to a square output size (see <see cref="AdaptiveAvgPool2d(Tensor, ValueTuple{int, int})"/>).</summary>
    /// <param name="x">Input of shape (N, C, H, W).</param>
    /// <param name="outputSize">Output height and width, positive.</param>
    /// <returns>Shape (N, C, outputSize, outputSize).</returns>
    public static Tensor AdaptiveAvgPool2d(Tensor x, int outputSize) => AdaptiveAvgPool2d(x, (outputSize, outputSize));

    /// <summary>
    /// Adaptive 2-D max pooling to a fixed output size (torch.nn.functional.adaptive_max_pool2d), with the
    /// windows of <see cref="AdaptiveAvgPool2d(Tensor, ValueTuple{int, int})"/>.
    /// </summary>
    /// <param name="x">Input of shape (N, C, H, W).</param>
    /// <param name="outputSize">Output (height, width), positive.</param>
    /// <returns>Shape (N, C, OH, OW).</returns>
    /// <remarks>The gradient flows to the first maximum of each window in row-major scan order (NaN counts as the maximum).</remarks>
    /// <exception cref="ArgumentException">The input is not 4-D (with H, W ≥ 1) or an output size is not positive.</exception>
    public static Tensor AdaptiveMaxPool2d(Tensor x, (int H, int W) outputSize)
        => AdaptiveMaxPool2dCore(x, outputSize, wantIndices: false, out _);

    /// <summary>
    /// Adaptive 2-D max pooling that also returns the position of each maximum
    /// (torch.nn.functional.adaptive_max_pool2d with <c>return_indices=True</c>).
    /// </summary>
    /// <param name="x">Input of shape (N, C, H, W).</param>
    /// <param name="outputSize">Output (height, width), positive.</param>
    /// <param name="indices">Receives the flat position h·W + w of each maximum within its (n, c) plane, stored as float. Not differentiable.</param>
    /// <returns>The pooled values, shape (N, C, OH, OW).</returns>
    /// <exception cref="ArgumentException">The input is not 4-D (with H, W ≥ 1) or an output size is not positive.</exception>
    public static Tensor AdaptiveMaxPool2d(Tensor x, (int H, int W) outputSize, out Tensor indices)
    {
        var y = AdaptiveMaxPool2dCore(x, outputSize, wantIndices: true, out var idx);
        indices = IndicesToTensor(idx!, y.Shape);
        return y;
    }

    private static Tensor AdaptiveMaxPool2dCore(Tensor x, (int H, int W) outputSize, bool wantIndices, out int[]? indices)
    {
        var (n, c, h, w) = PoolCheck4D(x, nameof(x), "AdaptiveMaxPool2d");
        PoolCheckPositive(outputSize, nameof(outputSize), "AdaptiveMaxPool2d");
        var (oh, ow) = outputSize;
        var y = Tensor.Allocate(new[] { n, c, oh, ow }, clear: false);
        int planes = n * c;
        bool record = Autograd.ShouldRecord(x);
        var idx = record || wantIndices ? new int[y.Numel] : null;
        PoolingKernels.AdaptiveMaxForward(x.Buffer, y.Buffer, idx, planes, h, w, oh, ow);
        indices = idx;
        if (!record) return Autograd.Check("adaptive_max_pool2d", y);
        var xShape = x.Shape;
        return Autograd.Record("adaptive_max_pool2d", y, new[] { x }, gy =>
        {
            var gx = Tensor.Allocate(xShape, clear: false);
            PoolingKernels.ScatterToArgmax(gy.Buffer, idx!, gx.Buffer, planes, h * w, oh * ow);
            return new Tensor?[] { gx };
        });
    }

    // ------------------------------------------------------------------------------------ helpers

    private static Tensor IndicesToTensor(int[] idx, int[] shape)
    {
        var t = Tensor.Allocate(shape, clear: false);
        var d = t.Data;
        for (int i = 0; i < d.Length; i++) d[i] = idx[i];
        return t;
    }

    /// <summary>Checks for an (N, C, H, W) input with non-empty planes.</summary>
    internal static (int N, int C, int H, int W) PoolCheck4D(Tensor x, string argName, string op)
    {
        ArgumentNullException.ThrowIfNull(x, argName);
        var s = x.ShapeSpan;
        if (s.Length != 4)
            ThrowHelper.Argument(argName, $"{op}: expected a 4-D (N, C, H, W) tensor, got shape {Tensor.ShapeString(s)} ({s.Length}-D)");
        if (s[2] <= 0 || s[3] <= 0)
            ThrowHelper.Argument(argName, $"{op}: expected non-empty spatial dimensions (H, W ≥ 1), got shape {Tensor.ShapeString(s)}");
        return (s[0], s[1], s[2], s[3]);
    }

    private static void PoolCheckPositive((int H, int W) v, string argName, string op)
    {
        if (v.H <= 0 || v.W <= 0)
            ThrowHelper.Argument(argName, $"{op}: expected {argName} to be positive, got ({v.H}, {v.W})");
    }

    private static void PoolCheckPadding((int H, int W) padding, (int H, int W) kernelSize, string op)
    {
        if (padding.H < 0 || padding.W < 0)
            ThrowHelper.Argument(nameof(padding), $"{op}: expected padding to be non-negative, got ({padding.H}, {padding.W})");
        if (padding.H > kernelSize.H / 2 || padding.W > kernelSize.W / 2)
            ThrowHelper.Argument(nameof(padding), $"{op}: expected padding to be at most half the kernel size ({kernelSize.H / 2}, {kernelSize.W / 2}) for kernelSize ({kernelSize.H}, {kernelSize.W}), got ({padding.H}, {padding.W})");
    }

    private static int PoolOutputSize(int input, int kernel, int pad, int stride, int dilation, bool ceilMode, Tensor x, string op, string axis)
    {
        long o = PoolingKernels.OutputSize(input, kernel, pad, stride, dilation, ceilMode);
        if (o <= 0)
            ThrowHelper.Argument(nameof(x), $"{op}: input {axis} {input} is too small for kernel {kernel} (dilation {dilation}, padding {pad}, stride {stride}): expected an output {axis} ≥ 1, got {o} (input shape {Tensor.ShapeString(x.ShapeSpan)})");
        if (o > int.MaxValue)
            ThrowHelper.Argument(nameof(x), $"{op}: output {axis} {o} is too large");
        return (int)o;
    }
}
