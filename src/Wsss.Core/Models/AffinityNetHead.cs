using Wsss.Core.Nn;
using Wsss.Core.Propagation;
using Wsss.Core.Tensors;

namespace Wsss.Core.Models;

/// <summary>
/// AffinityNet's embedding head, independent of the backbone: three bias-free 1×1 projections of three backbone
/// feature maps to 64, 128 and 256 channels (<c>f8_3</c>, <c>f8_4</c>, <c>f8_5</c>), each followed by ELU, concatenated
/// (448 channels) and mixed by a bias-free 1×1 convolution 448 → 448 (<c>f9</c>) + ELU. Pixel affinities are
/// w_ij = exp(−mean_c |f_i − f_j|) (<see cref="Affinities"/>).
/// </summary>
/// <remarks>
/// psa: <c>network/resnet38_aff.Net</c> (head and <c>forward</c>), where the inputs are ResNet-38's conv4, conv5 and conv6
/// (512, 1024, 4096 channels, stride 8). Initialisation as psa: Kaiming normal (fan-in, gain √2) for f8_*, Xavier
/// uniform with gain 4 for f9.
/// </remarks>
public sealed class AffinityNetHead : Module
{
    /// <summary>Channels of the embedding (64 + 128 + 256).</summary>
    public const int OutChannels = 448;

    private readonly Conv2d _f83, _f84, _f85, _f9;

    /// <summary>Creates the head.</summary>
    /// <param name="inChannels3">Channels of the shallowest input (psa: ResNet-38 conv4, 512).</param>
    /// <param name="inChannels4">Channels of the middle input (psa: conv5, 1024).</param>
    /// <param name="inChannels5">Channels of the deepest input (psa: conv6, 4096).</param>
    /// <param name="generator">Random source of the initialisation (null: the global one).</param>
    /// <exception cref="ArgumentOutOfRangeException">A channel count is not positive.</exception>
    public AffinityNetHead(int inChannels3 = 512, int inChannels4 = 1024, int inChannels5 = 4096, Generator? generator = null)
    {
        _f83 = RegisterModule("f8_3", new Conv2d(inChannels3, 64, 1, bias: false, generator: generator));
        _f84 = RegisterModule("f8_4", new Conv2d(inChannels4, 128, 1, bias: false, generator: generator));
        _f85 = RegisterModule("f8_5", new Conv2d(inChannels5, 256, 1, bias: false, generator: generator));
        _f9 = RegisterModule("f9", new Conv2d(OutChannels, OutChannels, 1, bias: false, generator: generator));
        Init.KaimingNormal(_f83.Weight, generator: generator);
        Init.KaimingNormal(_f84.Weight, generator: generator);
        Init.KaimingNormal(_f85.Weight, generator: generator);
        Init.XavierUniform(_f9.Weight, 4, generator);
    }

    /// <summary>Input channels of f8_3, f8_4, f8_5.</summary>
    public (int F3, int F4, int F5) InChannels => (_f83.InChannels, _f84.InChannels, _f85.InChannels);

    /// <summary>The embedding (B, 448, H, W) of three feature maps of equal batch and spatial size.</summary>
    /// <param name="features3">(B, inChannels3, H, W).</param>
    /// <param name="features4">(B, inChannels4, H, W).</param>
    /// <param name="features5">(B, inChannels5, H, W).</param>
    /// <exception cref="ArgumentException">A map is not 4-D, has the wrong channel count, or differs in batch or spatial size from <paramref name="features3"/>.</exception>
    public Tensor Forward(Tensor features3, Tensor features4, Tensor features5)
    {
        ArgumentNullException.ThrowIfNull(features3);
        ArgumentNullException.ThrowIfNull(features4);
        ArgumentNullException.ThrowIfNull(features5);
        Check(features3, _f83.InChannels, features3, nameof(features3));
        Check(features4, _f84.InChannels, features3, nameof(features4));
        Check(features5, _f85.InChannels, features3, nameof(features5));
        var cat = Tensor.Cat(new[] { _f83.Call(features3).Elu(), _f84.Call(features4).Elu(), _f85.Call(features5).Elu() }, 1);
        return _f9.Call(cat).Elu();
    }

    private static void Check(Tensor t, int channels, Tensor reference, string argName)
    {
        var s = t.ShapeSpan;
        var r = reference.ShapeSpan;
        if (s.Length != 4 || s[1] != channels)
            throw new ArgumentException($"expected ({(r.Length == 4 ? r[0] : "B")}, {channels}, H, W) features, got {Tensor.ShapeString(s)}", argName);
        if (r.Length == 4 && (s[0] != r[0] || s[2] != r[2] || s[3] != r[3]))
            throw new ArgumentException($"expected features of batch and size ({r[0]}, _, {r[2]}, {r[3]}) like features3, got {Tensor.ShapeString(s)}", argName);
    }

    /// <summary>
    /// AffinityNet's pair affinities w_ij = exp(−mean_c |f_i − f_j|) over the pairs within <paramref name="radius"/> in
    /// psa's enumeration order (<see cref="PathIndex.GetEnumerationPairs"/>: sources in rows [0, H − r + 1) and columns
    /// [r − 1, W − r + 1)), differentiable.
    /// </summary>
    /// <param name="features">Embedding (B, C, H, W), e.g. the output of <see cref="Forward"/>.</param>
    /// <param name="radius">Search radius (psa: 5, i.e. 34 directions).</param>
    /// <returns>(B, directions, N).</returns>
    /// <exception cref="ArgumentException">The features are not 4-D, or the map has no source pixel for the radius.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="radius"/> is below 2.</exception>
    /// <remarks>psa: the affinity part of <c>network/resnet38_aff.Net.forward</c> (with <c>to_dense=False</c>).</remarks>
    public static Tensor Affinities(Tensor features, int radius = 5)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (features.Rank != 4)
            throw new ArgumentException($"expected (B, C, H, W) features, got {Tensor.ShapeString(features.ShapeSpan)}", nameof(features));
        if (radius < 2) throw new ArgumentOutOfRangeException(nameof(radius), radius, "the radius must be at least 2");
        int h = features.Size(2), w = features.Size(3);
        if (h < radius || w < 2 * radius - 1)
            throw new ArgumentException($"a {h}x{w} map has no source pixel for radius {radius} (needs H ≥ radius and W ≥ 2·radius − 1)", nameof(features));
        var (from, to) = PathIndex.GetEnumerationPairs(radius, h, w);
        return Affinity.FromFeatures(features, from, to);
    }
}
