using Wsss.Core.Cam;
using Wsss.Core.Nn;
using Wsss.Core.Optim;
using Wsss.Core.Tensors;

namespace Wsss.Core.Models;

/// <summary>
/// IRNet's CAM network: a ResNet backbone (ResNet-50 with strides (2, 2, 2, 1), output stride 16, frozen BatchNorm),
/// global average pooling and a bias-free 1x1 classifier, trained with the multilabel soft-margin loss. Its CAMs are
/// relu(W·f) on the last feature map.
/// </summary>
/// <remarks>
/// <para>jiwoon-ahn/irn <c>net/resnet50_cam.Net</c> and <c>CAM</c>. Parameter names are the reference's
/// (<c>resnet50.conv1.weight</c>, …, <c>classifier.weight</c>). The reference also registers the backbone again as
/// <c>stage1</c> … <c>stage4</c> and in the ModuleLists <c>backbone</c> and <c>newly_added</c>, so its checkpoints
/// repeat every tensor under those names; <see cref="LoadReferenceStateDict"/> accepts them and checks they agree.</para>
/// <para>What trains, as the reference: the stem, layer1 and layer2 run without gradient (the reference detaches
/// layer2's output), so only layer3, layer4 and the classifier learn. BatchNorm always normalises with its running
/// statistics (IRNet's FixedBatchNorm), but the affine weights of layer3 and layer4's BatchNorms still learn, because the
/// reference's optimiser includes them.</para>
/// </remarks>
public sealed class CamClassifier : Module<Tensor, Tensor>, ICamModel, ISegmentationModel
{
    /// <summary>The key under which IRNet registers its backbone.</summary>
    public const string IrnBackboneKey = "resnet50";

    private readonly string _backboneKey;

    /// <summary>IRNet's network: ResNet-50 with strides (2, 2, 2, 1), frozen BatchNorm, <paramref name="numClasses"/> outputs (20 for VOC).</summary>
    public CamClassifier(int numClasses = 20, Generator? generator = null)
        : this(ResNet.ResNet50(ResNetOptions.Irn, generator), numClasses, IrnBackboneKey, generator)
    {
    }

    /// <summary>A CAM classifier on any ResNet without fc (<see cref="ResNetOptions.NumClasses"/> 0); BatchNorm is frozen.</summary>
    /// <param name="backbone">The feature extractor; its layer4 output feeds the classifier.</param>
    /// <param name="numClasses">Number of classes (≥ 1).</param>
    /// <param name="backboneKey">State-dict prefix of the backbone (IRNet: <c>resnet50</c>).</param>
    /// <param name="generator">Seeds the classifier's initialisation.</param>
    public CamClassifier(ResNet backbone, int numClasses, string backboneKey = IrnBackboneKey, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        if (numClasses < 1) throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "a CAM classifier needs at least one class");
        if (backbone.Options.NumClasses != 0)
            throw new ArgumentException($"the backbone must have no fc layer (ResNetOptions.NumClasses = 0), got {backbone.Options.NumClasses}", nameof(backbone));
        NumClasses = numClasses;
        _backboneKey = backboneKey;
        Backbone = RegisterModule(backboneKey, backbone);
        backbone.FreezeBatchNorm();
        Classifier = RegisterModule("classifier", new Conv2d(backbone.OutChannels, numClasses, 1, bias: false, generator: generator));
        SetTrainableParameters();
    }

    /// <summary>The ResNet feature extractor.</summary>
    public ResNet Backbone { get; }

    /// <summary>The bias-free 1x1 classifier (<c>classifier</c>), whose weights also make the CAMs.</summary>
    public Conv2d Classifier { get; }

    /// <inheritdoc />
    public int NumClasses { get; }

    /// <inheritdoc />
    public int MinInputSize => Backbone.MinInputSize;

    /// <summary>Runs the stem, layer1 and layer2 without recording gradients (they never train), then layer3 and layer4.</summary>
    public Tensor ForwardFeatures(Tensor images)
    {
        Tensor low;
        using (Autograd.NoGrad())
        {
            low = Backbone.Layer(2).Call(Backbone.Layer(1).Call(Backbone.ForwardStem(images)));
        }
        return Backbone.Layer(4).Call(Backbone.Layer(3).Call(low));
    }

    /// <summary>Class logits (N, C): features → global average pooling → classifier.</summary>
    public override Tensor Forward(Tensor input)
    {
        var f = ForwardFeatures(input);
        var pooled = f.Mean(new[] { 2, 3 }, keepDim: true);
        var logits = Classifier.Call(pooled);
        return logits.Reshape(logits.Size(0), NumClasses);
    }

    /// <inheritdoc />
    public Tensor ForwardCams(Tensor images) => Classifier.Call(ForwardFeatures(images)).Relu();

    /// <summary>
    /// The CAMs bilinearly resized (align_corners false) to the input's size (N, C, H, W), without gradient recording.
    /// There is no background channel: add one (e.g. <see cref="Labels.CamUtils.WithBackgroundThreshold"/>) before
    /// taking the argmax as a mask.
    /// </summary>
    public Tensor PredictScores(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        using var noGrad = Autograd.NoGrad();
        var cams = ForwardCams(images);
        return Functional.Interpolate(cams, size: (images.Size(2), images.Size(3)), mode: InterpolateMode.Bilinear, alignCorners: false);
    }

    /// <summary>IRNet's classification loss: the multilabel soft-margin loss of <paramref name="logits"/> (N, C) against 0/1 <paramref name="labels"/> (N, C), mean over classes and batch.</summary>
    public static Tensor Loss(Tensor logits, Tensor labels) => Functional.MultilabelSoftMarginLoss(logits, labels);

    /// <summary>
    /// IRNet's two learning-rate groups: the backbone's trainable parameters (layer3 and layer4) at
    /// <paramref name="lr"/> and the classifier at <paramref name="classifierLrMultiplier"/>·lr (IRNet: 0.1 and 10×).
    /// </summary>
    public IReadOnlyList<ParamGroup> ParameterGroups(double lr, double weightDecay = 1e-4, double classifierLrMultiplier = 10)
    {
        var backbone = Backbone.Layer(3).Parameters().Concat(Backbone.Layer(4).Parameters()).Where(p => p.RequiresGrad);
        return new[]
        {
            new ParamGroup(backbone, lr, weightDecay),
            new ParamGroup(Classifier.Parameters(), lr * classifierLrMultiplier, weightDecay),
        };
    }

    private void SetTrainableParameters()
    {
        foreach (var (name, p) in Backbone.NamedParameters())
            p.RequiresGrad = name.StartsWith("layer3.", StringComparison.Ordinal) || name.StartsWith("layer4.", StringComparison.Ordinal);
    }

    /// <summary>
    /// Loads torchvision ImageNet weights (<c>conv1.weight</c>, <c>layer1.0.conv1.weight</c>, …) into the backbone;
    /// <c>fc.*</c> is dropped as IRNet does. Other missing or unexpected keys throw with <paramref name="strict"/>.
    /// </summary>
    public LoadStateDictResult LoadBackboneStateDict(IReadOnlyDictionary<string, Tensor> torchvisionState, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(torchvisionState);
        var filtered = torchvisionState.Where(kv => !kv.Key.StartsWith("fc.", StringComparison.Ordinal)).ToDictionary(kv => kv.Key, kv => kv.Value);
        return Backbone.LoadStateDict(filtered, strict);
    }

    /// <summary>
    /// Loads a checkpoint of IRNet's <c>resnet50_cam.Net</c> (or this class's own <see cref="Module.StateDict"/>). The
    /// reference's duplicate <c>stage1.*</c> … <c>stage4.*</c> entries are checked against the backbone's entries and
    /// dropped; a disagreement throws.
    /// </summary>
    public LoadStateDictResult LoadReferenceStateDict(IReadOnlyDictionary<string, Tensor> state, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(state);
        var kept = new Dictionary<string, Tensor>();
        var aliases = new List<KeyValuePair<string, Tensor>>();
        foreach (var kv in state)
        {
            if (IsStageAlias(kv.Key)) aliases.Add(kv);
            else kept[kv.Key] = kv.Value;
        }
        foreach (var (alias, t) in aliases)
        {
            string canonical = CanonicalName(alias);
            if (kept.TryGetValue(canonical, out var c) && !c.Data.SequenceEqual(t.Data))
                throw new ArgumentException($"the checkpoint's '{alias}' differs from '{canonical}', which it should alias", nameof(state));
            if (!kept.ContainsKey(canonical)) kept[canonical] = t;
        }
        return LoadStateDict(kept, strict);
    }

    private static bool IsStageAlias(string key)
        => (key.Length > 7 && key.StartsWith("stage", StringComparison.Ordinal) && key[5] is >= '1' and <= '4' && key[6] == '.')
           || (key.Length > 11 && key.StartsWith("backbone.", StringComparison.Ordinal) && key[9] is >= '0' and <= '3' && key[10] == '.')
           || key.StartsWith("newly_added.0.", StringComparison.Ordinal);

    /// <summary>
    /// stage1.0 → conv1, stage1.1 → bn1, stage1.4.* → layer1.*, stageK.0.* → layer{K}.* (K = 2..4); the reference's
    /// ModuleLists: backbone.{K−1}.* = stageK.*, newly_added.0.* = classifier.*.
    /// </summary>
    private string CanonicalName(string alias)
    {
        if (alias.StartsWith("newly_added.0.", StringComparison.Ordinal)) return "classifier." + alias["newly_added.0.".Length..];
        if (alias.StartsWith("backbone.", StringComparison.Ordinal)) alias = $"stage{alias[9] - '0' + 1}{alias[10..]}";
        int stage = alias[5] - '0';
        string rest = alias[7..];
        int dot = rest.IndexOf('.', StringComparison.Ordinal);
        string head = dot < 0 ? rest : rest[..dot], tail = dot < 0 ? "" : rest[dot..];
        string mapped = (stage, head) switch
        {
            (1, "0") => "conv1" + tail,
            (1, "1") => "bn1" + tail,
            (1, "4") => "layer1" + tail,
            (> 1, "0") => $"layer{stage}" + tail,
            _ => throw new ArgumentException($"'{alias}' is not a key of IRNet's stage modules", "state"),
        };
        return _backboneKey + "." + mapped;
    }
}
