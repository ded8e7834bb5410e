using Wsss.Core.Tensors;

namespace Wsss.Core.Cam;

/// <summary>A classifier whose last layer can be read as class activation maps (a 1x1 classifier on spatial features).</summary>
public interface ICamModel
{
    /// <summary>Number of classes (CAM channels).</summary>
    int NumClasses { get; }

    /// <summary>The smallest input side the network accepts.</summary>
    int MinInputSize { get; }

    /// <summary>Class activation maps relu(W·f) (N, <see cref="NumClasses"/>, h, w) at the feature resolution for normalised images (N, 3, H, W).</summary>
    Tensor ForwardCams(Tensor images);
}
