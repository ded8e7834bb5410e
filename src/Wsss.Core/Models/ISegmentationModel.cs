using Wsss.Core.Tensors;

namespace Wsss.Core.Models;

/// <summary>
/// A model that produces masks: images in, one score map per class out, at the input's resolution. Pipelines,
/// evaluation and the command line take this rather than a concrete network.
/// </summary>
public interface ISegmentationModel
{
    /// <summary>Number of score channels (classes, background included when the model has one).</summary>
    int NumClasses { get; }

    /// <summary>Per-pixel class scores (N, <see cref="NumClasses"/>, H, W) for normalised images (N, 3, H, W); argmax over dim 1 gives the mask.</summary>
    Tensor PredictScores(Tensor images);
}
