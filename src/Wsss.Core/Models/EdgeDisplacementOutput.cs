using Wsss.Core.Tensors;

namespace Wsss.Core.Models;

/// <summary>Output of <see cref="EdgeDisplacementNet.Forward"/>, both on the stride-4 grid of the input.</summary>
/// <param name="EdgeLogits">Class-boundary logits, (B, 1, h, w); the boundary probability is their sigmoid.</param>
/// <param name="Displacement">Displacement field (B, 2, h, w): channel 0 the row (y) displacement, channel 1 the column (x)
/// displacement, in stride-4 pixels; <see cref="MeanShift"/> already subtracted in eval mode.</param>
/// <remarks>IRNet: the <c>(edge_out, dp_out)</c> pair of <c>net/resnet50_irn.Net.forward</c>.</remarks>
public sealed record EdgeDisplacementOutput(Tensor EdgeLogits, Tensor Displacement);
