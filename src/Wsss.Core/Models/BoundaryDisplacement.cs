using Wsss.Core.Tensors;

namespace Wsss.Core.Models;

/// <summary>
/// IRNet's inference result for one image (<see cref="EdgeDisplacementNet.Infer"/>), on the grid
/// ((H − 1) / 4 + 1) × ((W − 1) / 4 + 1) of an H × W image: the inputs of the random walk and of instance synthesis.
/// </summary>
/// <param name="Boundary">Class-boundary probabilities in (0, 1), (1, h, w): the sigmoid of the mean of the image's and the
/// flipped image's logits (as <see cref="Propagation.RandomWalk.PropagateToEdge"/> takes it).</param>
/// <param name="Displacement">Displacement field of the un-flipped image, (2, h, w) (y, x), with the mean shift subtracted.</param>
/// <remarks>IRNet: the <c>(edge, dp)</c> pair returned by <c>net/resnet50_irn.EdgeDisplacement.forward</c>.</remarks>
public sealed record BoundaryDisplacement(Tensor Boundary, Tensor Displacement);
