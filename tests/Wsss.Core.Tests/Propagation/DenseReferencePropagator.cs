using Wsss.Core.Propagation;
using Wsss.Core.Tensors;

namespace Wsss.Core.Tests.Propagation;

/// <summary>
/// The references' method, for small maps only: the dense transition matrix T = A·D⁻¹ squared expTimes times
/// with the engine's GEMM, then x·T^t.
/// </summary>
internal sealed class DenseReferencePropagator(int expTimes) : ILabelPropagator
{
    public Tensor Propagate(Tensor scores, AffinityGraph graph)
    {
        using var noGrad = Autograd.NoGrad();
        int n = graph.NodeCount;
        if (n > 4096) throw new ArgumentException("the dense reference is for small maps only", nameof(graph));
        var t = graph.ToCsr(normalized: true).ToDense();
        for (int i = 0; i < expTimes; i++) t = Tensor.Matmul(t, t);
        var x = scores.Reshape(scores.Numel / n, n);
        return Tensor.Matmul(x, t).Reshape(scores.Shape);
    }
}
