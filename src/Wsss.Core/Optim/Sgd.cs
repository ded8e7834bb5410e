using System.Numerics.Tensors;
using Wsss.Core.Nn;
using Wsss.Core.Tensors;
using Tensor = Wsss.Core.Tensors.Tensor;

namespace Wsss.Core.Optim;

/// <summary>Stochastic gradient descent with momentum, dampening, Nesterov and L2 weight decay, exactly as torch.optim.SGD.</summary>
public sealed class Sgd : Optimizer
{
    /// <summary>Creates the optimiser over one group.</summary>
    public Sgd(IEnumerable<Parameter> parameters, double lr, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false)
        : this(new[] { new ParamGroup(parameters) }, lr, momentum, dampening, weightDecay, nesterov)
    {
    }

    /// <summary>Creates the optimiser over several groups.</summary>
    public Sgd(IEnumerable<ParamGroup> groups, double lr, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false)
        : base(groups, lr, weightDecay)
    {
        if (!(momentum >= 0)) throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "must be non-negative");
        if (nesterov && (momentum <= 0 || dampening != 0)) throw new ArgumentException("Nesterov momentum requires a momentum and zero dampening", nameof(nesterov));
        Momentum = momentum;
        Dampening = dampening;
        Nesterov = nesterov;
    }

    /// <summary>Momentum factor.</summary>
    public double Momentum { get; }

    /// <summary>Dampening for momentum.</summary>
    public double Dampening { get; }

    /// <summary>Nesterov momentum.</summary>
    public bool Nesterov { get; }

    /// <inheritdoc />
    protected override void Update(ParamGroup group, Parameter p, Span<float> grad, Dictionary<string, Tensor> state)
    {
        var w = p.Data;
        int n = w.Length;
        float[] d = System.Buffers.ArrayPool<float>.Shared.Rent(n);
        var g = d.AsSpan(0, n);
        try
        {
            grad.CopyTo(g);
            if (group.WeightDecay != 0) TensorPrimitives.MultiplyAdd(w, (float)group.WeightDecay, g, g);
            if (Momentum != 0)
            {
                var buf = Buffer(state, "momentum_buffer", p, out bool created).Data;
                if (created) g.CopyTo(buf);
                else
                {
                    TensorPrimitives.Multiply(buf, (float)Momentum, buf);
                    TensorPrimitives.MultiplyAdd(g, (float)(1 - Dampening), buf, buf);
                }
                if (Nesterov) TensorPrimitives.MultiplyAdd(buf, (float)Momentum, g, g);
                else buf.CopyTo(g);
            }
            TensorPrimitives.MultiplyAdd(g, (float)-group.LearningRate, w, w);
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(d);
        }
    }
}
