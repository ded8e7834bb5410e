using Wsss.Core.Nn;
using Wsss.Core.Tensors;

namespace Wsss.Core.Optim;

/// <summary>
/// Adam (and, with <c>decoupledWeightDecay</c>, AdamW) exactly as torch.optim.Adam/AdamW:
/// m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², p ← p − lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε).
/// </summary>
public class Adam : Optimizer
{
    /// <summary>Creates the optimiser over one group.</summary>
    public Adam(IEnumerable<Parameter> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0)
        : this(new[] { new ParamGroup(parameters) }, lr, beta1, beta2, eps, weightDecay)
    {
    }

    /// <summary>Creates the optimiser over several groups.</summary>
    public Adam(IEnumerable<ParamGroup> groups, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0)
        : this(groups, lr, beta1, beta2, eps, weightDecay, decoupled: false)
    {
    }

    /// <summary>Shared constructor for Adam and AdamW.</summary>
    protected Adam(IEnumerable<ParamGroup> groups, double lr, double beta1, double beta2, double eps, double weightDecay, bool decoupled)
        : base(groups, lr, weightDecay)
    {
        if (!(beta1 >= 0 && beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(beta1), beta1, "must be in [0, 1)");
        if (!(beta2 >= 0 && beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(beta2), beta2, "must be in [0, 1)");
        if (!(eps >= 0)) throw new ArgumentOutOfRangeException(nameof(eps), eps, "must be non-negative");
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
        DecoupledWeightDecay = decoupled;
    }

    /// <summary>β₁.</summary>
    public double Beta1 { get; }

    /// <summary>β₂.</summary>
    public double Beta2 { get; }

    /// <summary>ε.</summary>
    public double Eps { get; }

    /// <summary>True for AdamW (decay applied to the weights, not added to the gradient).</summary>
    public bool DecoupledWeightDecay { get; }

    /// <inheritdoc />
    protected override void Update(ParamGroup group, Parameter p, Span<float> grad, Dictionary<string, Tensor> state)
    {
        var m = Buffer(state, "exp_avg", p, out _).Data;
        var v = Buffer(state, "exp_avg_sq", p, out _).Data;
        var stepT = state.TryGetValue("step", out var st) ? st : state["step"] = Tensor.Scalar(0);
        float t = stepT.Data[0] + 1;
        stepT.Data[0] = t;
        var w = p.Data;
        float lr = (float)group.LearningRate, wd = (float)group.WeightDecay;
        float b1 = (float)Beta1, b2 = (float)Beta2, eps = (float)Eps;
        double bc1 = 1 - Math.Pow(Beta1, t), bc2 = 1 - Math.Pow(Beta2, t);
        float stepSize = (float)(group.LearningRate / bc1);
        float invSqrtBc2 = (float)(1 / Math.Sqrt(bc2));
        bool decoupled = DecoupledWeightDecay;
        float decay = decoupled ? 1f - lr * wd : 1f;
        var wa = p.Buffer; var ga = grad.ToArray(); var ma = ((Tensor)state["exp_avg"]).Buffer; var va = ((Tensor)state["exp_avg_sq"]).Buffer;
        Parallelism.ForChunks(w.Length, (start, len) =>
        {
            for (int i = start; i < start + len; i++)
            {
                float g = ga[i];
                if (wd != 0)
                {
                    if (decoupled) wa[i] *= decay;
                    else g += wd * wa[i];
                }
                float mi = b1 * ma[i] + (1 - b1) * g;
                float vi = b2 * va[i] + (1 - b2) * g * g;
                ma[i] = mi;
                va[i] = vi;
                wa[i] -= stepSize * mi / (MathF.Sqrt(vi) * invSqrtBc2 + eps);
            }
        });
    }
}
