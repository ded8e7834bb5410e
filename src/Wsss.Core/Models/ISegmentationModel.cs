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

    /// <summary>
    /// Per-pixel class scores (N, <see cref="NumClasses"/>, H, W) for normalised images (N, 3, H, W). With a background
    /// channel the argmax over dim 1 is the mask; models without one (CAMs) say so and leave the background to the caller.
    /// </summary>
    Tensor PredictScores(Tensor images);
}
