using Wsss.Core.Nn;

namespace Wsss.Core.Optim;

/// <summary>A set of parameters sharing a learning rate and weight decay.</summary>
/// <remarks>An entry of torch.optim.Optimizer.param_groups.</remarks>
public sealed class ParamGroup
{
    /// <summary>Creates a group; null values take the optimiser's defaults.</summary>
    public ParamGroup(IEnumerable<Parameter> parameters, double? lr = null, double? weightDecay = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Parameters = parameters.ToList();
        if (lr is double l && !(l >= 0)) throw new ArgumentOutOfRangeException(nameof(lr), lr, "learning rate must be non-negative");
        if (weightDecay is double w && !(w >= 0)) throw new ArgumentOutOfRangeException(nameof(weightDecay), weightDecay, "weight decay must be non-negative");
        LearningRate = lr ?? double.NaN;
        WeightDecay = weightDecay ?? double.NaN;
    }

    /// <summary>The parameters.</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>Current learning rate (schedulers change it).</summary>
    public double LearningRate { get; set; }

    /// <summary>The learning rate the group started with (schedulers scale it).</summary>
    public double InitialLearningRate { get; internal set; }

    /// <summary>Weight decay.</summary>
    public double WeightDecay { get; set; }
}
