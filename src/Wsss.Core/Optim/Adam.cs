using System.Runtime.Intrinsics;
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
        var wa = p.Buffer; var ga = p.Grad!.Buffer; var ma = ((Tensor)state["exp_avg"]).Buffer; var va = ((Tensor)state["exp_avg_sq"]).Buffer;
        Parallelism.ForChunks(w.Length, (start, len) => Kernel(wa, ga, ma, va, start, len, b1, b2, eps, stepSize, invSqrtBc2, decoupled ? decay : 1f, decoupled ? 0f : wd));
    }

    /// <summary>One Adam update over [start, start+len): w ← w·decay; g ← g + l2·w; moments; w ← w − step·m/(√v/√bc2 + ε).</summary>
    private static void Kernel(float[] w, float[] grad, float[] m, float[] v, int start, int len, float b1, float b2, float eps, float stepSize, float invSqrtBc2, float decay, float l2)
    {
        int i = start, end = start + len;
        if (Vector256.IsHardwareAccelerated)
        {
            var vb1 = Vector256.Create(b1); var vb1c = Vector256.Create(1 - b1);
            var vb2 = Vector256.Create(b2); var vb2c = Vector256.Create(1 - b2);
            var veps = Vector256.Create(eps); var vstep = Vector256.Create(stepSize); var vinv = Vector256.Create(invSqrtBc2);
            var vdecay = Vector256.Create(decay); var vl2 = Vector256.Create(l2);
            for (; i <= end - 8; i += 8)
            {
                var wi = Vector256.LoadUnsafe(ref w[i]) * vdecay;
                var gi = Vector256.LoadUnsafe(ref grad[i]) + vl2 * wi;
                var mi = vb1 * Vector256.LoadUnsafe(ref m[i]) + vb1c * gi;
                var vi = vb2 * Vector256.LoadUnsafe(ref v[i]) + vb2c * gi * gi;
                mi.StoreUnsafe(ref m[i]);
                vi.StoreUnsafe(ref v[i]);
                (wi - vstep * mi / (Vector256.Sqrt(vi) * vinv + veps)).StoreUnsafe(ref w[i]);
            }
        }
        for (; i < end; i++)
        {
            float wi = w[i] * decay;
            float g = grad[i] + l2 * wi;
            float mi = b1 * m[i] + (1 - b1) * g;
            float vi = b2 * v[i] + (1 - b2) * g * g;
            m[i] = mi;
            v[i] = vi;
            w[i] = wi - stepSize * mi / (MathF.Sqrt(vi) * invSqrtBc2 + eps);
        }
    }
}
