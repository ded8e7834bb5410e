using Wsss.Core.Nn;

namespace Wsss.Core.Optim;

/// <summary>Adam with decoupled weight decay (p ← p·(1 − lr·wd) before the Adam step), as torch.optim.AdamW (default wd 0.01).</summary>
public sealed class AdamW : Adam
{
    /// <summary>Creates the optimiser over one group.</summary>
    public AdamW(IEnumerable<Parameter> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0.01)
        : this(new[] { new ParamGroup(parameters) }, lr, beta1, beta2, eps, weightDecay)
    {
    }

    /// <summary>Creates the optimiser over several groups.</summary>
    public AdamW(IEnumerable<ParamGroup> groups, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0.01)
        : base(groups, lr, beta1, beta2, eps, weightDecay, decoupled: true)
    {
    }
}
