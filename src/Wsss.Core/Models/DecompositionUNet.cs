using Wsss.Core.Nn;
using Wsss.Core.Tensors;

namespace Wsss.Core.Models;

/// <summary>
/// The mask network f_m and decomposition network f_x of Zeng 2024 ("Semantic Segmentation from Image Labels by
/// Reconstruction from Structured Decomposition"): a shared U-Net encoder and two decoders; f_m ends in a
/// Conv3×3(K) head (mask logits), f_x in a Conv3×3(3K) head viewed as (K, 3, H, W) under a sigmoid (image-lets).
/// </summary>
/// <remarks>Children: <c>encoder</c>, <c>image_decoder</c>, <c>mask_decoder</c>, <c>image_head</c>, <c>mask_head</c>.</remarks>
public sealed class DecompositionUNet : Module<Tensor, DecompositionOutput>, ISegmentationModel
{
    /// <summary>Creates the pair for <paramref name="classes"/> mask-lets (K; the last one is background).</summary>
    /// <param name="classes">K ≥ 2.</param>
    /// <param name="width">Base width w (64 in the paper; narrower copies for tests and CPU runs).</param>
    /// <param name="layout">The paper's U-Net or the reference code's.</param>
    /// <param name="negativeSlope">LeakyReLU slope (0.01).</param>
    /// <param name="generator">Initialisation randomness (PyTorch's default layer init).</param>
    public DecompositionUNet(int classes = 2, int width = 64, UNetLayout layout = UNetLayout.Paper, float negativeSlope = 0.01f, Generator? generator = null)
    {
        if (classes < 2) throw new ArgumentOutOfRangeException(nameof(classes), classes, "K must be at least 2 (objects plus background)");
        Classes = classes;
        Width = width;
        Layout = layout;
        Encoder = RegisterModule("encoder", new UNetEncoder(3, width, layout, negativeSlope, generator));
        ImageDecoder = RegisterModule("image_decoder", new UNetDecoder(width, layout, negativeSlope, generator));
        MaskDecoder = RegisterModule("mask_decoder", new UNetDecoder(width, layout, negativeSlope, generator));
        ImageHead = RegisterModule("image_head", new Conv2d(width, 3 * classes, 3, padding: 1, generator: generator));
        MaskHead = RegisterModule("mask_head", new Conv2d(width, classes, 3, padding: 1, generator: generator));
    }

    /// <summary>K.</summary>
    public int Classes { get; }

    /// <summary>Base width.</summary>
    public int Width { get; }

    /// <summary>U-Net layout.</summary>
    public UNetLayout Layout { get; }

    /// <summary>Shared encoder.</summary>
    public UNetEncoder Encoder { get; }

    /// <summary>Decoder of f_x.</summary>
    public UNetDecoder ImageDecoder { get; }

    /// <summary>Decoder of f_m.</summary>
    public UNetDecoder MaskDecoder { get; }

    /// <summary>Conv3×3(3K) head of f_x.</summary>
    public Conv2d ImageHead { get; }

    /// <summary>Conv3×3(K) head of f_m.</summary>
    public Conv2d MaskHead { get; }

    /// <summary>Parameters of f_x alone (its decoder and head).</summary>
    public long ImageDecoderParameterCount => ImageDecoder.ParameterCount() + ImageHead.ParameterCount();

    /// <summary>Same as <see cref="Classes"/>.</summary>
    public int NumClasses => Classes;

    /// <summary>The masklets softmax(f_m(x)) (N, K, H, W); the last channel is background.</summary>
    public Tensor PredictScores(Tensor images) => Call(images).Masklets();

    /// <inheritdoc />
    public override DecompositionOutput Forward(Tensor input)
    {
        var features = Encoder.Call(input);
        var maskLogits = MaskHead.Call(MaskDecoder.Call(features));
        var img = ImageHead.Call(ImageDecoder.Call(features));
        int b = input.Size(0), h = input.Size(2), w = input.Size(3);
        var imagelets = img.Reshape(b, Classes, 3, h, w).Sigmoid();
        return new DecompositionOutput(maskLogits, imagelets);
    }
}
