using Wsss.Core.Tensors;

namespace Wsss.Core.Models;

/// <summary>What the shared U-Net encoder hands to each decoder.</summary>
/// <param name="Bottleneck">The deepest feature map.</param>
/// <param name="Skips">Skip features from the shallowest to the deepest.</param>
public sealed record UNetFeatures(Tensor Bottleneck, IReadOnlyList<Tensor> Skips);
