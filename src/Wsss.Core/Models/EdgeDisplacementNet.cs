using System.Globalization;
using Wsss.Core.Nn;
using Wsss.Core.Optim;
using Wsss.Core.Tensors;

namespace Wsss.Core.Models;

/// <summary>
/// IRNet's inter-pixel relation network: a frozen ResNet-50 (strides (2, 2, 2, 1), output stride 16) whose five
/// stage outputs feed a class-boundary branch and a displacement-field branch, both predicting on the stride-4 grid.
/// </summary>
/// <remarks>
/// <para>IRNet: <c>net/resnet50_irn.Net</c> (forward), <c>EdgeDisplacement</c> (<see cref="Infer"/>),
/// <c>trainable_parameters</c> (<see cref="ParameterGroups"/>).</para>
/// <para>Stage outputs (all detached): x1 = conv1 + bn1 + ReLU + max pool (64 channels, stride 4), x2 = layer1 (256, s4),
/// x3 = layer2 (512, s8), x4 = layer3 (1024, s16), x5 = layer4 (2048, s16). Every head block is a bias-free 1×1
/// convolution, GroupNorm, an optional bilinear up-sampling (align_corners false) and ReLU (Sequential indices 0, 1,
/// 2[, 3]); up-sampled maps are cropped at the bottom/right to the finer map before concatenation.</para>
/// <para>Edge branch: fc_edge1..5 map x1..x5 to 32 channels each (GroupNorm 4 groups; ×2, ×4, ×4 up-sampling for x3,
/// x4, x5), <c>fc_edge6</c> = 1×1 convolution 160 → 1 with bias → boundary logit. Displacement branch: fc_dp1 (64 → 64,
/// GN 8), fc_dp2 (256 → 128, GN 16), fc_dp3 (512 → 256), fc_dp4 / fc_dp5 (1024 / 2048 → 256, ×2 to stride 8), fc_dp6
/// (768 → 256, ×2 to stride 4), fc_dp7 = 448 → 256 + GN 16 + ReLU, then 256 → 2 (indices 0, 1, 2, 3), then
/// <see cref="MeanShift"/>.</para>
/// <para>State-dict keys: <c>resnet50.*</c> (torchvision's ResNet-50 names without <c>fc</c>), <c>mean_shift.running_mean</c>,
/// <c>fc_edge{1..6}.*</c>, <c>fc_dp{1..7}.*</c>. The reference module registers the same tensors again under aliases
/// (<c>stage1.0</c> = conv1, <c>stage1.1</c> = bn1, <c>stage{k}.0</c> = layer{k−1}, <c>backbone.{i}</c> = stage{i+1},
/// <c>edge_layers.{i}</c> = fc_edge{i+1}, <c>dp_layers.{i}</c> = fc_dp{i+1}, <c>fc_dp7.4</c> = mean_shift);
/// <see cref="LoadReferenceStateDict"/> accepts them and <see cref="ReferenceStateDict"/> writes them, so PyTorch's
/// <c>load_state_dict</c> matches strictly in both directions.</para>
/// </remarks>
public sealed class EdgeDisplacementNet : Module<Tensor, EdgeDisplacementOutput>
{
    /// <summary>The output stride of both branches.</summary>
    public const int Stride = 4;

    private readonly ResNet _backbone;
    private readonly Sequential[] _edge;
    private readonly Conv2d _edge6;
    private readonly Sequential[] _dp;

    /// <summary>Creates the network with PyTorch's default initialisation (the backbone stays random until <see cref="LoadBackbone"/>).</summary>
    /// <param name="generator">Random source of the initialisation (null: the global one).</param>
    public EdgeDisplacementNet(Generator? generator = null)
    {
        _backbone = RegisterModule("resnet50", ResNet.ResNet50(ResNetOptions.Irn, generator));
        _backbone.FreezeBatchNorm();
        _backbone.RequiresGrad_(false);
        _backbone.Train(false);
        MeanShift = RegisterModule("mean_shift", new MeanShift(2));
        _edge = new[]
        {
            RegisterModule("fc_edge1", Block(64, 32, 4, null, generator)),
            RegisterModule("fc_edge2", Block(256, 32, 4, null, generator)),
            RegisterModule("fc_edge3", Block(512, 32, 4, 2, generator)),
            RegisterModule("fc_edge4", Block(1024, 32, 4, 4, generator)),
            RegisterModule("fc_edge5", Block(2048, 32, 4, 4, generator)),
        };
        _edge6 = RegisterModule("fc_edge6", new Conv2d(160, 1, 1, bias: true, generator: generator));
        _dp = new[]
        {
            RegisterModule("fc_dp1", Block(64, 64, 8, null, generator)),
            RegisterModule("fc_dp2", Block(256, 128, 16, null, generator)),
            RegisterModule("fc_dp3", Block(512, 256, 16, null, generator)),
            RegisterModule("fc_dp4", Block(1024, 256, 16, 2, generator)),
            RegisterModule("fc_dp5", Block(2048, 256, 16, 2, generator)),
            RegisterModule("fc_dp6", Block(768, 256, 16, 2, generator)),
            RegisterModule("fc_dp7", new Sequential(
                new Conv2d(448, 256, 1, bias: false, generator: generator), new GroupNorm(16, 256), new ReLU(),
                new Conv2d(256, 2, 1, bias: false, generator: generator))),
        };
    }

    private static Sequential Block(int inChannels, int outChannels, int groups, int? upsample, Generator? generator)
    {
        var s = new Sequential(new Conv2d(inChannels, outChannels, 1, bias: false, generator: generator), new GroupNorm(groups, outChannels));
        if (upsample is int f) s.Append(new Upsample(f, InterpolateMode.Bilinear, alignCorners: false));
        return s.Append(new ReLU());
    }

    /// <summary>The frozen ResNet-50 backbone (key prefix <c>resnet50.</c>).</summary>
    public ResNet Backbone => _backbone;

    /// <summary>The displacement re-centring applied after fc_dp7 (<c>mean_shift</c>).</summary>
    public MeanShift MeanShift { get; }

    /// <summary>Parameters of the boundary branch (fc_edge1..6), in order.</summary>
    public IEnumerable<Parameter> EdgeParameters()
        => _edge.SelectMany(m => m.Parameters()).Concat(_edge6.Parameters());

    /// <summary>Parameters of the displacement branch (fc_dp1..7), in order.</summary>
    public IEnumerable<Parameter> DisplacementParameters() => _dp.SelectMany(m => m.Parameters());

    /// <summary>
    /// The two optimiser groups of <c>train_irn</c>: the boundary branch at <paramref name="learningRate"/> and the
    /// displacement branch at 10 × <paramref name="learningRate"/> (0.1 and 1.0 by default); the backbone does not train.
    /// </summary>
    /// <param name="learningRate">Base learning rate (IRNet: 0.1).</param>
    /// <param name="weightDecay">Weight decay of both groups (IRNet: 1e-4).</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is negative or NaN.</exception>
    public IReadOnlyList<ParamGroup> ParameterGroups(double learningRate = 0.1, double weightDecay = 1e-4)
        => new[]
        {
            new ParamGroup(EdgeParameters(), learningRate, weightDecay),
            new ParamGroup(DisplacementParameters(), 10 * learningRate, weightDecay),
        };

    /// <summary>Sets the heads' mode; the backbone always stays in eval mode (IRNet's <c>train</c> override).</summary>
    public override Module Train(bool mode = true)
    {
        base.Train(mode);
        _backbone.Train(false);
        return this;
    }

    /// <summary>Boundary logits and displacement on the stride-4 grid of a normalised (B, 3, H, W) batch.</summary>
    /// <exception cref="ArgumentException">The input is not (B, 3, H, W) with H, W ≥ 32.</exception>
    public override EdgeDisplacementOutput Forward(Tensor input)
    {
        var (edge, raw) = ForwardRaw(input);
        return new EdgeDisplacementOutput(edge, MeanShift.Call(raw));
    }

    /// <summary>The forward pass without the mean shift.</summary>
    private (Tensor Edge, Tensor Displacement) ForwardRaw(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        IReadOnlyList<Tensor> stages;
        using (Autograd.NoGrad()) stages = _backbone.ForwardStages(input);
        var x = stages.Select(s => s.Detach()).ToArray();

        var e2 = _edge[1].Call(x[1]);
        int h = e2.Size(2), w = e2.Size(3);
        var edge = _edge6.Call(Tensor.Cat(new[]
        {
            _edge[0].Call(x[0]), e2,
            Crop(_edge[2].Call(x[2]), h, w), Crop(_edge[3].Call(x[3]), h, w), Crop(_edge[4].Call(x[4]), h, w),
        }, 1));

        var d3 = _dp[2].Call(x[2]);
        int h3 = d3.Size(2), w3 = d3.Size(3);
        var d4 = Crop(_dp[3].Call(x[3]), h3, w3);
        var d5 = Crop(_dp[4].Call(x[4]), h3, w3);
        var d2 = _dp[1].Call(x[1]);
        var up = Crop(_dp[5].Call(Tensor.Cat(new[] { d3, d4, d5 }, 1)), d2.Size(2), d2.Size(3));
        var dp = _dp[6].Call(Tensor.Cat(new[] { _dp[0].Call(x[0]), d2, up }, 1));
        return (edge, dp);
    }

    private static Tensor Crop(Tensor x, int height, int width)
        => x.Size(2) == height && x.Size(3) == width ? x : x.Narrow(2, 0, height).Narrow(3, 0, width);

    /// <summary>
    /// IRNet's inference for one image: the image and its horizontal flip are zero-padded at the right and bottom to
    /// <paramref name="cropSize"/> × <paramref name="cropSize"/>, run in eval mode without gradients, and cropped to
    /// ((H − 1) / 4 + 1) × ((W − 1) / 4 + 1); boundary = sigmoid(logit / 2 + flip(flipped logit) / 2), displacement =
    /// the un-flipped image's (mean shift subtracted). The module's mode is restored afterwards.
    /// </summary>
    /// <param name="image">Normalised image, (3, H, W) or (1, 3, H, W), with 4 ≤ H, W ≤ <paramref name="cropSize"/>.</param>
    /// <param name="cropSize">Padded input size (IRNet: 512, enough for VOC's ≤ 500-pixel images); at least 32.</param>
    /// <exception cref="ArgumentException">The image is not a 3-channel image, is larger than the crop size or smaller than the stride.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="cropSize"/> is below 32.</exception>
    /// <remarks>IRNet: <c>net/resnet50_irn.EdgeDisplacement.forward</c> (crop_size 512, stride 4) on the scale-1.0 input of <c>make_sem_seg_labels</c>.</remarks>
    public BoundaryDisplacement Infer(Tensor image, int cropSize = 512)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (cropSize < 32) throw new ArgumentOutOfRangeException(nameof(cropSize), cropSize, "the crop size must be at least 32 (the backbone's minimum input)");
        var s = image.ShapeSpan;
        if (!((s.Length == 3 && s[0] == 3) || (s.Length == 4 && s[0] == 1 && s[1] == 3)))
            throw new ArgumentException($"expected a normalised RGB image of shape (3, H, W) or (1, 3, H, W), got {Tensor.ShapeString(s)}", nameof(image));
        int height = s[^2], width = s[^1];
        if (height > cropSize || width > cropSize)
            throw new ArgumentException($"the image {height}x{width} is larger than the crop size {cropSize}x{cropSize}; pass a larger cropSize or resize the image", nameof(image));
        if (height < Stride || width < Stride)
            throw new ArgumentException($"the image {height}x{width} is smaller than the stride {Stride}", nameof(image));
        int h = (height - 1) / Stride + 1, w = (width - 1) / Stride + 1;

        bool training = Training;
        Eval();
        try
        {
            using var noGrad = Autograd.NoGrad();
            var x = image.Reshape(3, height, width);
            var batch = Tensor.Stack(new[] { x, x.Flip(2) }).Pad(new[] { 0, cropSize - width, 0, cropSize - height });
            var output = Forward(batch);
            var edge = Crop(output.EdgeLogits, h, w);
            var logits = edge.Narrow(0, 0, 1).Reshape(1, h, w) / 2f + edge.Narrow(0, 1, 1).Reshape(1, h, w).Flip(2) / 2f;
            var dp = Crop(output.Displacement, h, w).Narrow(0, 0, 1).Reshape(2, h, w);
            return new BoundaryDisplacement(logits.Sigmoid(), dp);
        }
        finally
        {
            Train(training);
        }
    }

    /// <summary>
    /// Runs the network (eval mode, no gradients) over <paramref name="batches"/> and sets the mean shift to the mean
    /// over the batches of the per-channel mean displacement, as <c>train_irn</c> does after training (over
    /// top-left 512 crops of the inference images, batches of 32). The measured output is the raw one, before any
    /// current mean shift (the reference measures with a zero mean shift). The module's mode is restored afterwards.
    /// </summary>
    /// <param name="batches">Normalised (B, 3, H, W) image batches.</param>
    /// <returns>The new running mean (y, x).</returns>
    /// <exception cref="ArgumentException">There is no batch or a batch is not a valid input.</exception>
    public float[] CalibrateMeanShift(IEnumerable<Tensor> batches)
    {
        ArgumentNullException.ThrowIfNull(batches);
        bool training = Training;
        Eval();
        try
        {
            using var noGrad = Autograd.NoGrad();
            return MeanShift.Calibrate(batches.Select(b => ForwardRaw(b).Displacement));
        }
        finally
        {
            Train(training);
        }
    }

    /// <summary>
    /// Loads torchvision ResNet-50 weights (names <c>conv1.weight</c>, <c>layer1.0.conv1.weight</c>, …, e.g. ImageNet's
    /// <c>resnet50-19c8e357.pth</c> read with <see cref="IO.PthFile"/>) into the backbone; <c>fc.weight</c> and
    /// <c>fc.bias</c> are dropped, as IRNet does.
    /// </summary>
    /// <param name="state">A torchvision ResNet-50 state dict.</param>
    /// <param name="strict">Throw on missing or unexpected keys (otherwise they are reported).</param>
    /// <exception cref="ArgumentException">Strict and a key is missing or unexpected, or a shape differs.</exception>
    public LoadStateDictResult LoadBackbone(IReadOnlyDictionary<string, Tensor> state, bool strict = true)
        => LoadTorchvisionBackbone(_backbone, state, strict);

    internal static LoadStateDictResult LoadTorchvisionBackbone(ResNet backbone, IReadOnlyDictionary<string, Tensor> state, bool strict)
    {
        ArgumentNullException.ThrowIfNull(state);
        var filtered = state.Where(kv => kv.Key is not ("fc.weight" or "fc.bias")).ToDictionary(kv => kv.Key, kv => kv.Value);
        return backbone.LoadStateDict(filtered, strict);
    }

    /// <summary>
    /// Loads a state dict of IRNet's <c>resnet50_irn</c> networks (<c>Net</c>, <c>EdgeDisplacement</c>, or the
    /// <c>res50_irn.pth</c> checkpoint of <c>AffinityDisplacementLoss</c>): alias keys are mapped to this module's names
    /// (see the class remarks) and must agree with them when both are present; the training-loss buffers
    /// <c>path_indices*</c>, <c>disp_target</c>, <c>ind_from</c> and <c>ind_to</c> are ignored.
    /// </summary>
    /// <param name="state">The state dict, e.g. read with <see cref="IO.PthFile"/>.</param>
    /// <param name="strict">Throw on missing or unexpected keys (otherwise they are reported, by this module's names).</param>
    /// <exception cref="ArgumentException">Strict and a key is missing or unexpected, a shape differs, or an alias disagrees with its target.</exception>
    public LoadStateDictResult LoadReferenceStateDict(IReadOnlyDictionary<string, Tensor> state, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(state);
        var mapped = new Dictionary<string, Tensor>();
        var source = new Dictionary<string, string>();
        foreach (var (key, value) in state)
        {
            if (IsLossBuffer(key)) continue;
            var canonical = CanonicalKey(key);
            if (mapped.TryGetValue(canonical, out var other))
            {
                if (!other.ShapeSpan.SequenceEqual(value.ShapeSpan) || !other.Data.SequenceEqual(value.Data))
                    throw new ArgumentException($"'{key}' and '{source[canonical]}' name the same tensor '{canonical}' but hold different values", nameof(state));
                continue;
            }
            mapped[canonical] = value;
            source[canonical] = key;
        }
        return LoadStateDict(mapped, strict);
    }

    private static bool IsLossBuffer(string key)
        => key is "disp_target" or "ind_from" or "ind_to"
           || (key.StartsWith("path_indices", StringComparison.Ordinal) && key.Length > 12 && key.AsSpan(12).IndexOfAnyExceptInRange('0', '9') < 0);

    /// <summary>This module's name for a key of the reference state dict (aliases resolved; other keys unchanged).</summary>
    internal static string CanonicalKey(string key)
    {
        if (TrySplit(key, "backbone.", out int i, out var rest)) key = $"stage{i + 1}.{rest}";
        else if (TrySplit(key, "edge_layers.", out i, out rest)) return $"fc_edge{i + 1}.{rest}";
        else if (TrySplit(key, "dp_layers.", out i, out rest)) key = $"fc_dp{i + 1}.{rest}";

        if (key.StartsWith("fc_dp7.4.", StringComparison.Ordinal)) return "mean_shift." + key["fc_dp7.4.".Length..];
        if (key.StartsWith("stage1.0.", StringComparison.Ordinal)) return "resnet50.conv1." + key["stage1.0.".Length..];
        if (key.StartsWith("stage1.1.", StringComparison.Ordinal)) return "resnet50.bn1." + key["stage1.1.".Length..];
        for (int k = 2; k <= 5; k++)
        {
            var prefix = $"stage{k}.0.";
            if (key.StartsWith(prefix, StringComparison.Ordinal)) return $"resnet50.layer{k - 1}." + key[prefix.Length..];
        }
        return key;
    }

    private static bool TrySplit(string key, string prefix, out int index, out string rest)
    {
        index = -1;
        rest = "";
        if (!key.StartsWith(prefix, StringComparison.Ordinal)) return false;
        int dot = key.IndexOf('.', prefix.Length);
        if (dot < 0 || !int.TryParse(key.AsSpan(prefix.Length, dot - prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out index)) return false;
        rest = key[(dot + 1)..];
        return true;
    }

    /// <summary>
    /// The state dict under every name the reference module registers, in PyTorch's order: <c>resnet50.*</c>,
    /// <c>stage1..5.*</c>, <c>mean_shift.running_mean</c>, <c>fc_edge*</c>, <c>fc_dp*</c> (with <c>fc_dp7.4.running_mean</c>),
    /// <c>backbone.*</c>, <c>edge_layers.*</c>, <c>dp_layers.*</c>; aliases share storage. Saved as a <c>.pth</c> or
    /// safetensors file it loads strictly into the reference <c>Net</c> / <c>EdgeDisplacement</c>.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, Tensor>> ReferenceStateDict()
    {
        var own = StateDict();
        var result = new List<KeyValuePair<string, Tensor>>();
        void AddWhere(Func<string, string?> rename)
        {
            foreach (var (key, t) in own)
                if (rename(key) is string name) result.Add(new(name, t));
        }
        static string? Stage(string key)
        {
            if (key.StartsWith("resnet50.conv1.", StringComparison.Ordinal)) return "1.0." + key["resnet50.conv1.".Length..];
            if (key.StartsWith("resnet50.bn1.", StringComparison.Ordinal)) return "1.1." + key["resnet50.bn1.".Length..];
            for (int k = 1; k <= 4; k++)
            {
                var prefix = $"resnet50.layer{k}.";
                if (key.StartsWith(prefix, StringComparison.Ordinal)) return $"{k + 1}.0." + key[prefix.Length..];
            }
            return null;
        }
        static int StageOf(string key) => Stage(key) is string s ? s[0] - '0' : 0;

        AddWhere(k => k.StartsWith("resnet50.", StringComparison.Ordinal) ? k : null);
        for (int stage = 1; stage <= 5; stage++)
        {
            int st = stage;
            AddWhere(k => StageOf(k) == st ? "stage" + Stage(k) : null);
        }
        AddWhere(k => k.StartsWith("mean_shift.", StringComparison.Ordinal) ? k : null);
        AddWhere(k => k.StartsWith("fc_edge", StringComparison.Ordinal) ? k : null);
        for (int d = 1; d <= 7; d++)
        {
            var prefix = $"fc_dp{d}.";
            AddWhere(k => k.StartsWith(prefix, StringComparison.Ordinal) ? k : null);
            if (d == 7) AddWhere(k => k.StartsWith("mean_shift.", StringComparison.Ordinal) ? "fc_dp7.4." + k["mean_shift.".Length..] : null);
        }
        for (int stage = 1; stage <= 5; stage++)
        {
            int st = stage;
            AddWhere(k => StageOf(k) == st ? $"backbone.{st - 1}." + Stage(k)![2..] : null);
        }
        for (int e = 1; e <= 6; e++)
        {
            var prefix = $"fc_edge{e}.";
            int ee = e;
            AddWhere(k => k.StartsWith(prefix, StringComparison.Ordinal) ? $"edge_layers.{ee - 1}." + k[prefix.Length..] : null);
        }
        for (int d = 1; d <= 7; d++)
        {
            var prefix = $"fc_dp{d}.";
            int dd = d;
            AddWhere(k => k.StartsWith(prefix, StringComparison.Ordinal) ? $"dp_layers.{dd - 1}." + k[prefix.Length..] : null);
            if (d == 7) AddWhere(k => k.StartsWith("mean_shift.", StringComparison.Ordinal) ? "dp_layers.6.4." + k["mean_shift.".Length..] : null);
        }
        return result;
    }
}
