using Wsss.Core.Nn;

namespace Wsss.Core.Tests.Models;

/// <summary>
/// The fixture scripts' deterministic weights (Fixtures/resnet/make_resnet_fixtures.py): the j-th state-dict entry
/// (num_batches_tracked skipped), flat index i, s = sin(0.37 i + 0.11 j); conv/fc weights 1.4/sqrt(fan_in)·s, BN weight
/// 1 + 0.1 s, BN bias and other vectors 0.1 s, running_var 1 + 0.5 s².
/// </summary>
internal static class FormulaWeights
{
    public static void Set(Module m)
    {
        int j = 0;
        foreach (var (name, t) in m.StateDict())
        {
            if (name.EndsWith("num_batches_tracked", StringComparison.Ordinal)) continue;
            var d = t.Data;
            for (int i = 0; i < d.Length; i++)
            {
                double s = Math.Sin(0.37 * i + 0.11 * j);
                double v = t.Rank >= 2 ? 1.4 / Math.Sqrt(t.Numel / t.Size(0)) * s
                    : name.EndsWith("running_var", StringComparison.Ordinal) ? 1 + 0.5 * s * s
                    : (name.Contains(".bn", StringComparison.Ordinal) || name.StartsWith("bn", StringComparison.Ordinal) || name.Contains("downsample.1", StringComparison.Ordinal))
                        ? (name.EndsWith("weight", StringComparison.Ordinal) ? 1 + 0.1 * s : 0.1 * s)
                        : 0.1 * s;
                d[i] = (float)v;
            }
            j++;
        }
    }
}
