using Wsss.Core.Tensors;

namespace Wsss.Core.Propagation;

/// <summary>Spreads per-pixel class scores over an image's affinity graph (the seam pipelines plug propagators into).</summary>
public interface ILabelPropagator
{
    /// <summary>Propagates every h×w plane of <paramref name="scores"/> over <paramref name="graph"/>.</summary>
    /// <param name="scores">Scores of shape (..., h, w) matching the graph.</param>
    /// <param name="graph">The image's affinity graph.</param>
    /// <returns>A new tensor of the same shape.</returns>
    /// <exception cref="ArgumentException">The score shape does not end with the graph's (h, w).</exception>
    Tensor Propagate(Tensor scores, AffinityGraph graph);
}
