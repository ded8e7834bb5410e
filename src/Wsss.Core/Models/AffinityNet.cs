using Wsss.Core.Nn;
using Wsss.Core.Optim;
using Wsss.Core.Tensors;

namespace Wsss.Core.Models;

/// <summary>
/// AffinityNet over a ResNet-50 backbone: the <see cref="AffinityNetHead"/> fed by layer2, layer3 and layer4
/// (512, 1024, 2048 channels) of a ResNet-50 with output stride 8 (strides (2, 2, 1, 1), dilation 2 in layer3 and 4 in
/// layer4), so the embedding lies on the stride-8 grid as in the paper.
/// </summary>
/// <remarks>
/// <para>psa: <c>network/resnet38_aff.Net</c>. The paper's backbone is a wide ResNet-38 whose ImageNet weights exist only
/// as MXNet parameter files out of reach here; the head does not depend on the backbone, and ResNet-50 takes its place
/// with torchvision ImageNet weights (<see cref="LoadBackbone"/>). The dilated layers follow torchvision's
/// <c>replace_stride_with_dilation=[False, True, True]</c>: a layer's first block keeps the previous layer's dilation.</para>
/// <para>As psa freezes ResNet-38's first blocks (conv1a, b2, b2_1, b2_2) and every BatchNorm, this freezes conv1, bn1,
/// layer1 and every BatchNorm; layer2..4 and the head train. State-dict keys: <c>backbone.*</c> (torchvision names
/// without <c>fc</c>) and <c>head.f8_3.weight</c>, <c>head.f8_4.weight</c>, <c>head.f8_5.weight</c>, <c>head.f9.weight</c>.</para>
/// </remarks>
public sealed class AffinityNet : Module<Tensor, Tensor>
{
    private readonly ResNet _backbone;

    /// <summary>Creates the network (random backbone until <see cref="LoadBackbone"/>; psa's head initialisation).</summary>
    /// <param name="generator">Random source of the initialisation (null: the global one).</param>
    public AffinityNet(Generator? generator = null)
    {
        _backbone = RegisterModule("backbone", ResNet.ResNet50(new ResNetOptions { Strides = (2, 2, 1, 1), Dilations = (2, 4), NumClasses = 0 }, generator));
        _backbone.FreezeBatchNorm();
        foreach (var (name, p) in _backbone.NamedParameters())
            if (name.StartsWith("conv1.", StringComparison.Ordinal) || name.StartsWith("layer1.", StringComparison.Ordinal)) p.RequiresGrad = false;
        Head = RegisterModule("head", new AffinityNetHead(512, 1024, 2048, generator));
    }

    /// <summary>The ResNet-50 backbone (output stride 8).</summary>
    public ResNet Backbone => _backbone;

    /// <summary>The embedding head.</summary>
    public AffinityNetHead Head { get; }

    /// <summary>The embedding (B, 448, h, w) on the stride-8 grid of a normalised (B, 3, H, W) batch.</summary>
    /// <exception cref="ArgumentException">The input is not (B, 3, H, W) with H and W at least the backbone's MinInputSize (8 for output stride 8).</exception>
    public override Tensor Forward(Tensor input)
    {
        var stages = _backbone.ForwardStages(input);
        return Head.Forward(stages[2], stages[3], stages[4]);
    }

    /// <summary>Pair affinities (B, directions, N) of the embedding of <paramref name="input"/> (<see cref="AffinityNetHead.Affinities"/>).</summary>
    /// <param name="input">Normalised (B, 3, H, W) batch.</param>
    /// <param name="radius">Search radius on the stride-8 grid (psa: 5).</param>
    /// <exception cref="ArgumentException">The input is invalid or its stride-8 map is too small for the radius.</exception>
    public Tensor Affinities(Tensor input, int radius = 5) => AffinityNetHead.Affinities(Forward(input), radius);

    /// <summary>
    /// Loads torchvision ResNet-50 weights (<c>conv1.weight</c>, <c>layer1.0.conv1.weight</c>, …) into the backbone;
    /// <c>fc.weight</c> and <c>fc.bias</c> are dropped.
    /// </summary>
    /// <param name="state">A torchvision ResNet-50 state dict.</param>
    /// <param name="strict">Throw on missing or unexpected keys (otherwise they are reported).</param>
    /// <exception cref="ArgumentException">Strict and a key is missing or unexpected, or a shape differs.</exception>
    public LoadStateDictResult LoadBackbone(IReadOnlyDictionary<string, Tensor> state, bool strict = true)
        => EdgeDisplacementNet.LoadTorchvisionBackbone(_backbone, state, strict);

    /// <summary>
    /// psa's learning-rate groups for this network: the trainable backbone weights (layer2..4 convolutions) at
    /// <paramref name="learningRate"/> and the head, trained from scratch, at 10 × <paramref name="learningRate"/>.
    /// (psa's two bias groups at 2× and 20× are empty here: the convolutions have no bias and BatchNorm is frozen.)
    /// </summary>
    /// <param name="learningRate">Base learning rate (psa: 0.1).</param>
    /// <param name="weightDecay">Weight decay (psa: 5e-4).</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is negative or NaN.</exception>
    /// <remarks>psa: <c>network/resnet38_aff.Net.get_parameter_groups</c> with the multipliers of <c>train_aff.py</c>.</remarks>
    public IReadOnlyList<ParamGroup> ParameterGroups(double learningRate = 0.1, double weightDecay = 5e-4)
        => new[]
        {
            new ParamGroup(_backbone.Parameters().Where(p => p.RequiresGrad), learningRate, weightDecay),
            new ParamGroup(Head.Parameters(), 10 * learningRate, weightDecay),
        };
}
