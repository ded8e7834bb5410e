namespace Wsss.Core.Models;

/// <summary>Which U-Net the decomposition network uses.</summary>
public enum UNetLayout
{
    /// <summary>
    /// Zeng 2024, appendix A: four ConvBlock(c) encoders (skip = pooled block output) and a 1024-channel
    /// bottleneck; four ConvBlock'(c) decoders that concatenate the skip at their input, convolve, upsample ×2
    /// and convolve again; then Conv3×3(64)+LeakyReLU. Encoder 9,404,992 parameters; image decoder with K=2
    /// 12,576,070.
    /// </summary>
    Paper,

    /// <summary>
    /// The public reference code (WSSSByRec <c>seg_model_unet.GenWeakSegNet</c>): skips taken before each pool,
    /// bottleneck 1024→512, decoders upsample, concatenate, then two convolutions. Encoder 14,124,096 parameters.
    /// </summary>
    Reference,
}
