using Wsss.Core.Tensors;

namespace Wsss.Core.Tests;

/// <summary>Shared assertions and fixture paths.</summary>
internal static class TestUtil
{
    public static string FixturePath(params string[] parts)
        => Path.Combine(new[] { TestContext.CurrentContext.TestDirectory, "Fixtures" }.Concat(parts).ToArray());

    /// <summary>Asserts |a − e| ≤ atol + rtol·|e| element-wise, reporting the worst element.</summary>
    public static void AssertClose(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, double rtol, double atol, string what = "")
    {
        Assert.That(actual.Length, Is.EqualTo(expected.Length), $"{what}: length");
        int worst = -1;
        double worstExcess = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double a = actual[i], e = expected[i];
            if (double.IsNaN(e) && double.IsNaN(a)) continue;
            double excess = Math.Abs(a - e) - (atol + rtol * Math.Abs(e));
            if (double.IsNaN(a) || excess > worstExcess) { worstExcess = double.IsNaN(a) ? double.PositiveInfinity : excess; worst = i; }
        }
        if (worst >= 0)
            Assert.Fail($"{what}: element {worst} is {actual[worst]}, expected {expected[worst]} (rtol {rtol}, atol {atol})");
    }

    public static void AssertClose(Tensor actual, Tensor expected, double rtol, double atol, string what = "")
    {
        Assert.That(actual.Shape, Is.EqualTo(expected.Shape), $"{what}: shape");
        AssertClose(actual.Data, expected.Data, rtol, atol, what);
    }

    /// <summary>Relative L2 error ≤ <paramref name="relative"/> and |a − e| ≤ atol + rtol |e| element-wise; logs both, and fails on a vanishing reference.</summary>
    public static void AssertCloseL2(Tensor actual, Tensor expected, double relative, double rtol, double atol, string what = "")
    {
        Assert.That(actual.Shape, Is.EqualTo(expected.Shape), $"{what}: shape");
        double diff = 0, norm = 0, worst = 0;
        for (int i = 0; i < actual.Numel; i++)
        {
            double e = expected.Data[i], d = actual.Data[i] - e;
            diff += d * d;
            norm += e * e;
            worst = Math.Max(worst, Math.Abs(d));
        }
        TestContext.Out.WriteLine($"{what}: relative L2 error {Math.Sqrt(diff / norm):E2}, max abs error {worst:E2}, rms {Math.Sqrt(norm / Math.Max(actual.Numel, 1)):E2}");
        Assert.That(norm, Is.GreaterThan(1e-12), $"{what}: the reference must not vanish");
        Assert.That(Math.Sqrt(diff / norm), Is.LessThanOrEqualTo(relative), $"{what}: relative L2 error");
        AssertClose(actual.Data, expected.Data, rtol, atol, what);
    }

    public static Tensor Randn(ulong seed, params int[] shape) => Tensor.Randn(shape, new Generator(seed));

    public static Tensor Rand(ulong seed, params int[] shape) => Tensor.Rand(shape, new Generator(seed));

    /// <summary>Runs <paramref name="run"/> on one thread and then on all cores and asserts bit-identical results.</summary>
    public static void AssertParallelMatchesSerial(Func<(Tensor Output, Tensor Gradient)> run)
    {
        int saved = Parallelism.MaxDegreeOfParallelism;
        (Tensor Output, Tensor Gradient) serial;
        try
        {
            Parallelism.MaxDegreeOfParallelism = 1;
            serial = run();
        }
        finally
        {
            Parallelism.MaxDegreeOfParallelism = saved;
        }
        var parallel = run();
        Assert.That(parallel.Output.ToArray(), Is.EqualTo(serial.Output.ToArray()), "output");
        Assert.That(parallel.Gradient.ToArray(), Is.EqualTo(serial.Gradient.ToArray()), "gradient");
    }
}
