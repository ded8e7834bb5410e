using Wsss.Core.Tensors;

namespace Wsss.Core.Nn;

public static partial class Functional
{
    /// <summary>
    /// Inverted dropout, torch.nn.functional.dropout: in training mode every element is zeroed
    /// independently with probability <paramref name="p"/> and the kept ones are multiplied by
    /// 1/(1 − <paramref name="p"/>), so the expectation is unchanged; the backward pass reuses the same mask.
    /// </summary>
    /// <param name="x">Input of any shape.</param>
    /// <param name="p">Probability of zeroing an element, in [0, 1]. p = 1 gives <c>x·0</c> (zeros, with zero gradient).</param>
    /// <param name="training">False (evaluation): returns <paramref name="x"/> itself.</param>
    /// <param name="generator">Source of the mask (default <see cref="Generator.Default"/>); the same seed gives the same mask.</param>
    /// <returns><c>x ⊙ mask</c> with mask elements in {0, 1/(1 − p)}; <paramref name="x"/> itself when not training, when p = 0 or when x is empty.</returns>
    /// <remarks>
    /// The mask is generated in parallel blocks, each seeded from <paramref name="generator"/> in order, so it depends only on
    /// the generator's state and the number of elements. The random stream differs from PyTorch's. Like torch,
    /// <c>NaN·0 = NaN</c> propagates.
    /// </remarks>
    public static Tensor Dropout(Tensor x, float p = 0.5f, bool training = true, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        DropoutKernels.CheckDropoutP(p);
        if (!training || p == 0f || x.Numel == 0) return x;
        var mask = Tensor.Allocate(x.Shape, clear: p >= 1f); // p = 1: all zeros
        if (p < 1f) DropoutKernels.FillDropoutMask(mask.Buffer, x.Numel, p, generator ?? Generator.Default);
        return DropoutKernels.ApplyDropoutMask(x, mask, "dropout");
    }

    /// <summary>
    /// Channel dropout, torch.nn.functional.dropout2d: in training mode every whole channel (feature map) of
    /// <paramref name="x"/> (N, C, H, W) is zeroed with probability <paramref name="p"/>, the kept channels are
    /// scaled by 1/(1 − <paramref name="p"/>); the backward pass reuses the same mask.
    /// </summary>
    /// <param name="x">Input (N, C, H, W), or unbatched (C, H, W) (one mask value per channel).</param>
    /// <param name="p">Probability of zeroing a channel, in [0, 1].</param>
    /// <param name="training">False (evaluation): returns <paramref name="x"/> itself.</param>
    /// <param name="generator">Source of the mask (default <see cref="Generator.Default"/>).</param>
    /// <returns><c>x ⊙ mask</c> with one mask value in {0, 1/(1 − p)} per (sample, channel).</returns>
    /// <remarks>A 3-D input is read as (C, H, W), as current PyTorch does (torch 1.13 read it as (N, C, L) with a warning).</remarks>
    public static Tensor Dropout2d(Tensor x, float p = 0.5f, bool training = true, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank != 3 && x.Rank != 4)
            ThrowHelper.Argument(nameof(x), $"dropout2d: expected an input of shape (N, C, H, W) or (C, H, W), got {Tensor.ShapeString(x.ShapeSpan)}");
        DropoutKernels.CheckDropoutP(p);
        if (!training || p == 0f || x.Numel == 0) return x;
        int planes = x.Rank == 4 ? x.ShapeSpan[0] * x.ShapeSpan[1] : x.ShapeSpan[0];
        int s = x.Numel / planes;
        var planeMask = new float[planes];
        if (p < 1f) DropoutKernels.FillDropoutMask(planeMask, planes, p, generator ?? Generator.Default);
        var mask = Tensor.Allocate(x.Shape, clear: false);
        var mb = mask.Buffer;
        for (int i = 0; i < planes; i++) mb.AsSpan(i * s, s).Fill(planeMask[i]);
        return DropoutKernels.ApplyDropoutMask(x, mask, "dropout2d");
    }
}
