using Wsss.Core.Nn;
using Wsss.Core.Tensors;

namespace Wsss.Core.Tests.Tensors;

/// <summary>Finite-difference checks of every op's backward on small random inputs.</summary>
public class GradCheckTests
{
    private static Tensor R(ulong seed, params int[] shape) => TestUtil.Randn(seed, shape);

    /// <summary>Random values kept at least 0.1 away from zero (kinks of abs, relu, …).</summary>
    private static Tensor AwayFromZero(ulong seed, params int[] shape)
    {
        var t = R(seed, shape);
        var d = t.Data;
        for (int i = 0; i < d.Length; i++) d[i] = d[i] >= 0 ? d[i] + 0.1f : d[i] - 0.1f;
        return t;
    }

    private static Tensor Positive(ulong seed, params int[] shape)
    {
        var t = TestUtil.Rand(seed, shape);
        var d = t.Data;
        for (int i = 0; i < d.Length; i++) d[i] = 0.5f + 1.5f * d[i];
        return t;
    }

    [Test] public void Add() => GradCheck.Check(t => t[0] + t[1], new[] { R(1, 2, 3, 4), R(2, 3, 1) });
    [Test] public void Sub() => GradCheck.Check(t => t[0] - t[1], new[] { R(1, 3, 1), R(2, 1, 4) });
    [Test] public void Mul() => GradCheck.Check(t => t[0] * t[1], new[] { R(1, 2, 3, 4), R(2, 4) });
    [Test] public void Div() => GradCheck.Check(t => t[0] / t[1], new[] { R(1, 2, 3), Positive(2, 2, 3) });
    [Test] public void DivBroadcast() => GradCheck.Check(t => t[0] / t[1], new[] { R(1, 2, 3), Positive(2, 1) });
    [Test] public void PowTensor() => GradCheck.Check(t => Tensor.Pow(t[0], t[1]), new[] { Positive(1, 2, 3), R(2, 3) });
    [Test] public void PowScalar() => GradCheck.Check(t => t[0].Pow(2.5f), new[] { Positive(1, 2, 3) });
    [Test] public void PowSquare() => GradCheck.Check(t => t[0].Pow(2f), new[] { R(1, 2, 3) });
    [Test] public void Maximum() => GradCheck.Check(t => Tensor.Maximum(t[0], t[1]), new[] { R(1, 2, 3), R(2, 2, 3) }, eps: 1e-3);
    [Test] public void Minimum() => GradCheck.Check(t => Tensor.Minimum(t[0], t[1]), new[] { R(1, 2, 3), R(2, 3) }, eps: 1e-3);
    [Test] public void Scalars() => GradCheck.Check(t => (2f - t[0] * 3f + 1f) / 2f + 1f / (t[0] + 5f), new[] { R(1, 4) });
    [Test] public void Neg() => GradCheck.Check(t => -t[0], new[] { R(1, 5) });
    [Test] public void Exp() => GradCheck.Check(t => t[0].Exp(), new[] { R(1, 5) });
    [Test] public void Log() => GradCheck.Check(t => t[0].Log(), new[] { Positive(1, 5) });
    [Test] public void Sqrt() => GradCheck.Check(t => t[0].Sqrt(), new[] { Positive(1, 5) });
    [Test] public void Abs() => GradCheck.Check(t => t[0].Abs(), new[] { AwayFromZero(1, 7) });
    [Test] public void Clamp() => GradCheck.Check(t => t[0].Clamp(-0.5f, 0.6f), new[] { AwayFromZero(1, 9) }, eps: 1e-3);
    [Test] public void Sigmoid() => GradCheck.Check(t => t[0].Sigmoid(), new[] { R(1, 6) });
    [Test] public void Tanh() => GradCheck.Check(t => t[0].Tanh(), new[] { R(1, 6) });
    [Test] public void Relu() => GradCheck.Check(t => t[0].Relu(), new[] { AwayFromZero(1, 8) });
    [Test] public void LeakyRelu() => GradCheck.Check(t => t[0].LeakyRelu(0.2f), new[] { AwayFromZero(1, 8) });
    [Test] public void Elu() => GradCheck.Check(t => t[0].Elu(1.3f), new[] { AwayFromZero(1, 8) });
    [Test] public void Gelu() => GradCheck.Check(t => t[0].Gelu(), new[] { R(1, 8) });
    [Test] public void GeluTanh() => GradCheck.Check(t => t[0].Gelu(approximateTanh: true), new[] { R(1, 8) });
    [Test] public void Softmax([Values(0, 1, 2)] int dim) => GradCheck.Check(t => t[0].Softmax(dim), new[] { R(1, 2, 3, 4) });
    [Test] public void LogSoftmax([Values(0, 1, 2)] int dim) => GradCheck.Check(t => t[0].LogSoftmax(dim), new[] { R(1, 2, 3, 4) });
    [Test] public void SumAll() => GradCheck.Check(t => t[0].Sum(), new[] { R(1, 2, 3) });
    [Test] public void SumDims() => GradCheck.Check(t => t[0].Sum(new[] { 0, 2 }, keepDim: true), new[] { R(1, 2, 3, 4) });
    [Test] public void MeanDims() => GradCheck.Check(t => t[0].Mean(new[] { -1 }), new[] { R(1, 2, 3, 4) });
    [Test] public void MeanAll() => GradCheck.Check(t => t[0].Mean(), new[] { R(1, 2, 3, 4) });
    [Test] public void MaxDim() => GradCheck.Check(t => t[0].Max(1).Values, new[] { R(1, 2, 5, 3) }, eps: 1e-3);
    [Test] public void MinDim() => GradCheck.Check(t => t[0].Min(-1, keepDim: true).Values, new[] { R(1, 2, 5, 3) }, eps: 1e-3);
    [Test] public void MaxAll() => GradCheck.Check(t => t[0].Max(), new[] { R(1, 4, 3) }, eps: 1e-3);
    [Test] public void Reshape() => GradCheck.Check(t => t[0].Reshape(3, -1) * t[1], new[] { R(1, 2, 3, 2), R(2, 3, 4) });
    [Test] public void Permute() => GradCheck.Check(t => t[0].Permute(2, 0, 1), new[] { R(1, 2, 3, 4) });
    [Test] public void Transpose() => GradCheck.Check(t => t[0].Transpose(0, 2), new[] { R(1, 2, 3, 4) });
    [Test] public void Slice() => GradCheck.Check(t => t[0].Slice(1, 1, 5, 2), new[] { R(1, 2, 6, 3) });
    [Test] public void Cat() => GradCheck.Check(t => Tensor.Cat(new[] { t[0], t[1] }, 1), new[] { R(1, 2, 2, 3), R(2, 2, 4, 3) });
    [Test] public void Stack() => GradCheck.Check(t => Tensor.Stack(new[] { t[0], t[1] }, 2), new[] { R(1, 2, 3), R(2, 2, 3) });
    [Test] public void Split() => GradCheck.Check(t => t[0].Split(2, 1)[1] * 2f, new[] { R(1, 2, 5) });
    [Test] public void Flip() => GradCheck.Check(t => t[0].Flip(0, 2), new[] { R(1, 2, 3, 4) });
    [Test] public void PadConstant() => GradCheck.Check(t => t[0].Pad(new[] { 1, 2, 0, 1 }, PadMode.Constant, 3f), new[] { R(1, 2, 3, 4) });
    [Test] public void PadReplicate() => GradCheck.Check(t => t[0].Pad(new[] { 2, 1, 1, 2 }, PadMode.Replicate), new[] { R(1, 2, 3, 4) });
    [Test] public void IndexSelect() => GradCheck.Check(t => t[0].IndexSelect(1, new[] { 2, 0, 2 }), new[] { R(1, 2, 3, 4) });
    [Test] public void Gather() => GradCheck.Check(t => t[0].Gather(1, Tensor.FromArray(new float[] { 0, 2, 1, 1, 0, 0 }, 2, 3)), new[] { R(1, 2, 3) });
    [Test] public void Where() => GradCheck.Check(t => Tensor.Where(Tensor.FromArray(new float[] { 1, 0, 1 }, 3), t[0], t[1]), new[] { R(1, 2, 3), R(2, 1) });
    [Test] public void MaskedFill() => GradCheck.Check(t => t[0].MaskedFill(Tensor.FromArray(new float[] { 0, 1, 0 }, 3), 7f), new[] { R(1, 2, 3) });
    [Test] public void Expand() => GradCheck.Check(t => t[0].Expand(2, 3, 4), new[] { R(1, 3, 1) });
    [Test] public void Matmul() => GradCheck.Check(t => Tensor.Matmul(t[0], t[1]), new[] { R(1, 2, 1, 3, 4), R(2, 5, 4, 2) });
    [Test] public void MatmulVectors() => GradCheck.Check(t => Tensor.Matmul(t[0], t[1]), new[] { R(1, 4), R(2, 3, 4, 2) });
    [Test] public void Linear() => GradCheck.Check(t => Tensor.Linear(t[0], t[1], t[2]), new[] { R(1, 2, 3, 4), R(2, 5, 4), R(3, 5) });

    [TestCase(1, 1, 0, 1, 1)]
    [TestCase(2, 1, 1, 1, 1)]
    [TestCase(1, 2, 2, 1, 1)]
    [TestCase(1, 1, 1, 2, 2)]
    [TestCase(2, 2, 1, 1, 4)]
    public void Conv2d(int stride, int dilation, int padding, int groups, int channels)
    {
        int cout = 2 * groups;
        GradCheck.Check(t => Functional.Conv2d(t[0], t[1], t[2], (stride, stride), (padding, padding), (dilation, dilation), groups),
            new[] { R(1, 2, channels, 6, 5), R(2, cout, channels / groups, 3, 3), R(3, cout) });
    }

    // Small C_out (the U-Net heads) and odd geometries: 1×1 with padding (input gradient via col2im, since the
    // padding exceeds d·(k−1)) and a non-square kernel (checks the kernel flip of the stride-1 input gradient).
    [TestCase(1, 3, 3, 1)]
    [TestCase(2, 3, 3, 1)]
    [TestCase(6, 3, 3, 1)]
    [TestCase(2, 1, 1, 1)]
    [TestCase(3, 3, 2, 2)]
    public void Conv2dSmallCout(int cout, int kh, int kw, int padding)
    {
        GradCheck.Check(t => Functional.Conv2d(t[0], t[1], t[2], padding: (padding, padding)),
            new[] { R(1, 1, 8, 20, 20), R(2, cout, 8, kh, kw), R(3, cout) });
    }

    [Test]
    public void Conv2dPointwise() => GradCheck.Check(t => Functional.Conv2d(t[0], t[1], t[2]), new[] { R(1, 2, 3, 4, 5), R(2, 4, 3, 1, 1), R(3, 4) });
}
