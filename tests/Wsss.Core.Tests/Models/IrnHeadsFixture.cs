using Wsss.Core.IO;
using Wsss.Core.Nn;
using Wsss.Core.Tensors;

namespace Wsss.Core.Tests.Models;

/// <summary>The formulas and files of Fixtures/irn_heads/make_irn_heads_fixtures.py.</summary>
internal static class IrnHeadsFixture
{
    public static Dictionary<string, Tensor> Load(string file) => TensorFiles.LoadNpz(TestUtil.FixturePath("irn_heads", file));

    public static string[] KeyLines(string file)
        => File.ReadAllLines(TestUtil.FixturePath("irn_heads", file)).Where(l => l.Length > 0).Select(l => l.TrimEnd()).ToArray();

    /// <summary>h(i) = 7919 i mod 10007, the script's scrambled index.</summary>
    private static double Scrambled(long i) => i * 7919 % 10007;

    /// <summary>The script's value of entry <paramref name="j"/> of the state dict.</summary>
    public static void Fill(string name, Tensor t, int j)
    {
        var d = t.Data;
        for (int i = 0; i < d.Length; i++)
        {
            double s = Math.Sin(0.37 * Scrambled(i) + 0.11 * j);
            double v = t.Rank >= 2 ? 1.4 / Math.Sqrt(t.Numel / t.Size(0)) * s
                : name.EndsWith("running_var", StringComparison.Ordinal) ? 1 + 0.5 * s * s
                : name.EndsWith("weight", StringComparison.Ordinal) ? 1 + 0.1 * s
                : 0.1 * s;
            d[i] = (float)v;
        }
    }

    /// <summary>Formula weights over the state dict in order, skipping num_batches_tracked and the mean shift (set to (0.25, −0.15)).</summary>
    public static void SetFormulaWeights(Module m)
    {
        int j = 0;
        foreach (var (name, t) in m.StateDict())
        {
            if (name.EndsWith("num_batches_tracked", StringComparison.Ordinal)) continue;
            if (name.StartsWith("mean_shift.", StringComparison.Ordinal)) { t.Data[0] = 0.25f; t.Data[1] = -0.15f; continue; }
            Fill(name, t, j++);
        }
    }

    /// <summary>The script's formula features: sin(0.37 h(i) + 0.5 k) (1 + k) / 2.</summary>
    public static Tensor Features(int k, params int[] shape)
    {
        var t = Tensor.Zeros(shape);
        var d = t.Data;
        for (int i = 0; i < d.Length; i++) d[i] = (float)(Math.Sin(0.37 * Scrambled(i) + 0.5 * k) * (1 + k) / 2);
        return t;
    }
}
