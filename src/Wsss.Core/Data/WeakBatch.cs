using Wsss.Core.Tensors;

namespace Wsss.Core.Data;

/// <summary>A training batch: normalised images (B, 3, S, S), multi-hot tags (B, C − 1) over the object classes, and label maps (B, S, S) as float class ids (255 void) when the set has them.</summary>
/// <param name="Indices">Dataset indices of the batch items.</param>
/// <param name="Images">Images.</param>
/// <param name="Tags">Tags.</param>
/// <param name="Labels">Ground truth, or null.</param>
public sealed record WeakBatch(int[] Indices, Tensor Images, Tensor Tags, Tensor? Labels);
