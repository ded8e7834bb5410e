using Wsss.Core.Tensors;

namespace Wsss.Core.Cam;

/// <summary>What psa's <c>infer_cls.py</c> saves for one image (its <c>cam_dict</c>).</summary>
/// <param name="Keys">The present classes (0-based), ascending.</param>
/// <param name="Cams">Their CAMs at the image's size (K, H, W), each divided by its maximum + 1e-5.</param>
public sealed record PsaCamResult(int[] Keys, Tensor Cams);
