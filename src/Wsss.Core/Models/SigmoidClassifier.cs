using Wsss.Core.Nn;
using Wsss.Core.Tensors;

namespace Wsss.Core.Models;

/// <summary>
/// The reconstruction paper's classifier g: torchvision ResNet-18 whose fc is replaced by a Linear(512, outputs), with a
/// sigmoid on top (one output for a single foreground class, K−1 in general), trained with binary cross-entropy.
/// Frozen, it drives L_cls (<see cref="Losses.ReconstructionLosses.ClassifierGuidance"/>).
/// </summary>
/// <remarks>
/// xuanrui-work/WSSSByRec <c>classifier.Classifier</c>: the network is the attribute <c>resnet18</c>, so keys are
/// <c>resnet18.conv1.weight</c>, …, <c>resnet18.fc.weight</c>; <see cref="LoadBackboneStateDict"/> takes torchvision's
/// ImageNet weights (its 1000-way fc dropped).
/// </remarks>
public sealed class SigmoidClassifier : Module<Tensor, Tensor>
{
    /// <summary>ResNet-18 with <paramref name="outputs"/> sigmoid outputs (the paper: 1).</summary>
    public SigmoidClassifier(int outputs = 1, Generator? generator = null)
        : this(ResNet.ResNet18(new ResNetOptions { NumClasses = CheckOutputs(outputs) }, generator))
    {
    }

    /// <summary>Any ResNet with an fc layer as the network (its fc outputs become the sigmoid outputs); registered as <c>resnet18</c>.</summary>
    public SigmoidClassifier(ResNet network)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (network.Options.NumClasses < 1)
            throw new ArgumentException("the network needs an fc layer (ResNetOptions.NumClasses ≥ 1)", nameof(network));
        Outputs = network.Options.NumClasses;
        Network = RegisterModule("resnet18", network);
    }

    private static int CheckOutputs(int outputs)
        => outputs >= 1 ? outputs : throw new ArgumentOutOfRangeException(nameof(outputs), outputs, "the classifier needs at least one output");

    /// <summary>Number of sigmoid outputs.</summary>
    public int Outputs { get; }

    /// <summary>The ResNet.</summary>
    public ResNet Network { get; }

    /// <summary>Probabilities sigmoid(resnet(x)) (N, <see cref="Outputs"/>) for normalised images (N, 3, H, W).</summary>
    public override Tensor Forward(Tensor input) => Network.Call(input).Sigmoid();

    /// <summary>The reference's loss: binary cross-entropy of <paramref name="probabilities"/> against <paramref name="targets"/> (mean).</summary>
    public static Tensor Loss(Tensor probabilities, Tensor targets) => Functional.BinaryCrossEntropy(probabilities, targets);

    /// <summary>The reference's accuracy: the fraction of outputs with |p − y| ≤ 0.5.</summary>
    public static double Accuracy(Tensor probabilities, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        ArgumentNullException.ThrowIfNull(targets);
        if (!probabilities.ShapeSpan.SequenceEqual(targets.ShapeSpan))
            throw new ArgumentException($"targets {Tensor.ShapeString(targets.ShapeSpan)} must have the probabilities' shape {Tensor.ShapeString(probabilities.ShapeSpan)}", nameof(targets));
        if (probabilities.Numel == 0) throw new ArgumentException("no predictions", nameof(probabilities));
        var p = probabilities.Data;
        var y = targets.Data;
        int hits = 0;
        for (int i = 0; i < p.Length; i++) if (Math.Abs(p[i] - y[i]) <= 0.5f) hits++;
        return (double)hits / p.Length;
    }

    /// <summary>Loads torchvision ImageNet ResNet weights (<c>conv1.weight</c>, …) into the network; <c>fc.*</c> is dropped and stays as initialised.</summary>
    public LoadStateDictResult LoadBackboneStateDict(IReadOnlyDictionary<string, Tensor> torchvisionState, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(torchvisionState);
        var filtered = torchvisionState.Where(kv => !kv.Key.StartsWith("fc.", StringComparison.Ordinal)).ToDictionary(kv => kv.Key, kv => kv.Value);
        var own = Network.StateDict().Keys.Where(k => !k.StartsWith("fc.", StringComparison.Ordinal)).ToList();
        var missing = own.Where(k => !filtered.ContainsKey(k)).ToList();
        var unexpected = filtered.Keys.Where(k => !own.Contains(k)).ToList();
        if (strict && (missing.Count > 0 || unexpected.Count > 0))
            throw new ArgumentException($"Error loading backbone: missing keys [{string.Join(", ", missing)}], unexpected keys [{string.Join(", ", unexpected)}]", nameof(torchvisionState));
        Network.LoadStateDict(filtered, strict: false);
        return new LoadStateDictResult(missing, unexpected);
    }
}
