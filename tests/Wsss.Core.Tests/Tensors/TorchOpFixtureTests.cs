using Wsss.Core.Nn;
using Wsss.Core.Tensors;

namespace Wsss.Core.Tests.Tensors;

/// <summary>Outputs and gradients of the core ops against PyTorch 1.13 (Fixtures/torch).</summary>
public class TorchOpFixtureTests
{
    private static IEnumerable<string> ConvCases() => TorchFixture.Cases("conv2d_");

    [TestCaseSource(nameof(ConvCases))]
    public void Conv2d(string name)
    {
        var f = TorchFixture.Load(name);
        var x = f.T("x", true);
        var w = f.T("w", true);
        var b = f.Flag("p_has_bias") ? f.T("b", true) : null;
        var y = Functional.Conv2d(x, w, b, f.Pair("p_stride"), f.Pair("p_padding"), f.Pair("p_dilation"), f.Int("p_groups"));
        f.AssertClose(y, "y");
        f.Backward(y);
        f.AssertClose(x.Grad, "grad_x");
        f.AssertClose(w.Grad, "grad_w");
        if (b is not null) f.AssertClose(b.Grad, "grad_b");
    }

    private static IEnumerable<string> MatmulCases() => TorchFixture.Cases("matmul_");

    [TestCaseSource(nameof(MatmulCases))]
    public void Matmul(string name)
    {
        var f = TorchFixture.Load(name);
        var x = f.T("x", true);
        var w = f.T("w", true);
        var y = Tensor.Matmul(x, w);
        f.AssertClose(y, "y");
        f.Backward(y);
        f.AssertClose(x.Grad, "grad_x");
        f.AssertClose(w.Grad, "grad_w");
    }

    private static IEnumerable<string> LinearCases() => TorchFixture.Cases("linear_");

    [TestCaseSource(nameof(LinearCases))]
    public void Linear(string name)
    {
        var f = TorchFixture.Load(name);
        var x = f.T("x", true);
        var w = f.T("w", true);
        var b = f.Flag("p_has_bias") ? f.T("b", true) : null;
        var y = Tensor.Linear(x, w, b);
        f.AssertClose(y, "y");
        f.Backward(y);
        f.AssertClose(x.Grad, "grad_x");
        f.AssertClose(w.Grad, "grad_w");
        if (b is not null) f.AssertClose(b.Grad, "grad_b");
    }

    private static IEnumerable<string> SumMeanCases() => TorchFixture.Cases("sum_", "mean_");

    [TestCaseSource(nameof(SumMeanCases))]
    public void SumMean(string name)
    {
        var f = TorchFixture.Load(name);
        var x = f.T("x", true);
        bool mean = name.StartsWith("mean", StringComparison.Ordinal);
        Tensor y;
        if (f.Flag("p_dim_all")) y = mean ? x.Mean() : x.Sum();
        else
        {
            var dims = f.Longs("p_dim").Select(v => (int)v).ToArray();
            bool keep = f.Flag("p_keepdim");
            y = mean ? x.Mean(dims, keep) : x.Sum(dims, keep);
        }
        f.AssertClose(y, "y");
        f.Backward(y);
        f.AssertClose(x.Grad, "grad_x");
    }

    private static IEnumerable<string> MaxMinCases() => TorchFixture.Cases("max_dim", "max_all", "min_");

    [TestCaseSource(nameof(MaxMinCases))]
    public void MaxMin(string name)
    {
        var f = TorchFixture.Load(name);
        var x = f.T("x", true);
        bool isMax = name.StartsWith("max", StringComparison.Ordinal);
        string idxKey = isMax ? "argmax" : "argmin";
        Tensor y;
        if (f.Flag("p_dim_all"))
        {
            y = isMax ? x.Max() : x.Min();
            int flat = isMax ? x.Argmax() : Array.IndexOf(x.ToArray(), x.ToArray().Min());
            Assert.That(flat, Is.EqualTo(f.Longs(idxKey)[0]));
        }
        else
        {
            var (values, indices) = isMax ? x.Max(f.Int("p_dim"), f.Flag("p_keepdim")) : x.Min(f.Int("p_dim"), f.Flag("p_keepdim"));
            f.AssertIndices(indices, idxKey);
            y = values;
        }
        f.AssertClose(y, "y");
        f.Backward(y);
        f.AssertClose(x.Grad, "grad_x");
    }

    private static IEnumerable<string> ArgmaxCases() => TorchFixture.Cases("argmax_");

    [TestCaseSource(nameof(ArgmaxCases))]
    public void Argmax(string name)
    {
        var f = TorchFixture.Load(name);
        f.AssertIndices(f.T("x").Argmax(f.Int("p_dim")), "argmax");
    }

    private static IEnumerable<string> BinaryCases() => TorchFixture.Cases("add_", "sub_", "mul_", "div_", "pow_tensor");

    [TestCaseSource(nameof(BinaryCases))]
    public void Binary(string name)
    {
        var f = TorchFixture.Load(name);
        var x = f.T("x", true);
        var o = f.T("other", true);
        var y = name.Split('_')[0] switch
        {
            "add" => x + o,
            "sub" => x - o,
            "mul" => x * o,
            "div" => x / o,
            "pow" => Tensor.Pow(x, o),
            _ => throw new InvalidOperationException(name),
        };
        f.AssertClose(y, "y");
        f.Backward(y);
        f.AssertClose(x.Grad, "grad_x");
        f.AssertClose(o.Grad, "grad_other");
    }

    // "log" also selects the log_softmax cases.
    private static IEnumerable<string> UnaryCases() => TorchFixture.Cases(
        "abs", "exp", "log", "neg", "sqrt", "relu", "sigmoid", "tanh", "gelu_", "elu_", "leaky_relu_", "pow_scalar_", "clamp_", "softmax_");

    [TestCaseSource(nameof(UnaryCases))]
    public void Unary(string name)
    {
        var f = TorchFixture.Load(name);
        var x = f.T("x", true);
        Tensor y;
        if (name.StartsWith("log_softmax", StringComparison.Ordinal)) y = x.LogSoftmax(f.Int("p_dim"));
        else if (name.StartsWith("softmax", StringComparison.Ordinal)) y = x.Softmax(f.Int("p_dim"));
        else if (name.StartsWith("leaky_relu", StringComparison.Ordinal)) y = x.LeakyRelu(f.Float("p_negative_slope"));
        else if (name.StartsWith("elu", StringComparison.Ordinal)) y = x.Elu(f.Float("p_alpha"));
        else if (name.StartsWith("gelu", StringComparison.Ordinal)) y = x.Gelu(approximateTanh: name.EndsWith("tanh", StringComparison.Ordinal));
        else if (name.StartsWith("pow_scalar", StringComparison.Ordinal)) y = x.Pow(f.Float("p_exponent"));
        else if (name.StartsWith("clamp", StringComparison.Ordinal)) y = x.Clamp(f.Has("p_min") ? f.Float("p_min") : null, f.Has("p_max") ? f.Float("p_max") : null);
        else y = name switch
        {
            "abs" => x.Abs(),
            "exp" => x.Exp(),
            "log" => x.Log(),
            "neg" => x.Neg(),
            "sqrt" => x.Sqrt(),
            "relu" => x.Relu(),
            "sigmoid" => x.Sigmoid(),
            "tanh" => x.Tanh(),
            _ => throw new InvalidOperationException(name),
        };
        f.AssertClose(y, "y");
        f.Backward(y);
        f.AssertClose(x.Grad, "grad_x");
    }
}
