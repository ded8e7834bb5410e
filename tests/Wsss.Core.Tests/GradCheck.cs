using Wsss.Core.Tensors;

namespace Wsss.Core.Tests;

/// <summary>
/// Finite-difference gradient check: compares the analytic gradient of L = Σ f(inputs) ⊙ W (W a fixed
/// random weight, so every output element matters) against central differences of L evaluated in
/// float64 over float32 forward passes.
/// </summary>
internal static class GradCheck
{
    public static void Check(Func<Tensor[], Tensor> f, Tensor[] inputs, double eps = 1e-2, double rtol = 2e-2, double atol = 2e-3, ulong seed = 99)
    {
        foreach (var x in inputs) x.RequiresGrad = true;
        var y = f(inputs);
        var w = Tensor.Randn(y.Shape, new Generator(seed));
        foreach (var x in inputs) x.Grad = null;
        (y * w).Sum().Backward();
        var analytic = inputs.Select(x => x.Grad?.ToArray() ?? new float[x.Numel]).ToArray();

        using var noGrad = Autograd.NoGrad();
        double Loss()
        {
            var yy = f(inputs).Data;
            var ww = w.Data;
            double s = 0;
            for (int i = 0; i < yy.Length; i++) s += (double)yy[i] * ww[i];
            return s;
        }

        for (int t = 0; t < inputs.Length; t++)
        {
            var data = inputs[t].Data;
            for (int i = 0; i < data.Length; i++)
            {
                float orig = data[i];
                data[i] = (float)(orig + eps);
                double lp = Loss();
                data[i] = (float)(orig - eps);
                double lm = Loss();
                data[i] = orig;
                double numeric = (lp - lm) / (2 * eps);
                double a = analytic[t][i];
                if (Math.Abs(a - numeric) > atol + rtol * Math.Abs(numeric))
                    Assert.Fail($"input {t}, element {i}: analytic gradient {a}, numeric {numeric}");
            }
        }
    }
}
