using Wsss.Core.Tensors;

namespace Wsss.Core.Cam;

/// <summary>What IRNet's <c>make_cam</c> saves for one image.</summary>
/// <param name="Keys">The present classes (0-based indices into the classifier's classes), ascending.</param>
/// <param name="Strided">CAMs of the present classes at stride 4: (K, (H−1)/4+1, (W−1)/4+1), each divided by its maximum + 1e-5.</param>
/// <param name="HighRes">CAMs of the present classes at the image's size (K, H, W), normalised the same way.</param>
public sealed record IrnCamResult(int[] Keys, Tensor Strided, Tensor HighRes);
