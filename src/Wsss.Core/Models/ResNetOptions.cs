namespace Wsss.Core.Models;

/// <summary>Stride and dilation layout of a <see cref="ResNet"/> (torchvision's defaults; IRNet uses strides (2, 2, 2, 1)).</summary>
public sealed record ResNetOptions
{
    /// <summary>Stride of conv1 and of layers 2, 3, 4 (layer1 follows the stride-2 max pool with stride 1): (2, 2, 2, 2) is torchvision's output stride 32.</summary>
    public (int Conv1, int Layer2, int Layer3, int Layer4) Strides { get; init; } = (2, 2, 2, 2);

    /// <summary>
    /// Dilation of the 3×3 convolutions in layers 3 and 4 (1 = none), for output stride 16 or 8; as torchvision's
    /// <c>replace_stride_with_dilation</c>, a layer's first block keeps the previous layer's dilation (IRNet's own
    /// <c>_make_layer</c> gives every first block dilation 1 instead; its CAM and IRNet networks use no dilation).
    /// </summary>
    public (int Layer3, int Layer4) Dilations { get; init; } = (1, 1);

    /// <summary>Classes of the final fully connected layer <c>fc</c>; 0 leaves it out (a feature backbone).</summary>
    public int NumClasses { get; init; } = 1000;

    /// <summary>IRNet's stride layout for ResNet-50: output stride 16.</summary>
    public static ResNetOptions Irn => new() { Strides = (2, 2, 2, 1), NumClasses = 0 };
}
