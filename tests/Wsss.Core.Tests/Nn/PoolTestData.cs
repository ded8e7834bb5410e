using Wsss.Core.Tensors;

namespace Wsss.Core.Tests.Nn;

/// <summary>Inputs for gradient checks.</summary>
internal static class PoolTestData
{
    /// <summary>
    /// A tensor whose values are a random permutation of −spacing·n/2 … spacing·n/2 (all distinct, at
    /// least <paramref name="spacing"/> apart), so max-type ops have no ties within finite-difference steps.
    /// </summary>
    public static Tensor Distinct(ulong seed, float spacing, params int[] shape)
    {
        var t = Tensor.Zeros(shape);
        var d = t.Data;
        var g = new Generator(seed);
        for (int i = 0; i < d.Length; i++) d[i] = (i - d.Length / 2) * spacing;
        for (int i = d.Length - 1; i > 0; i--)
        {
            int j = g.NextInt(i + 1);
            (d[i], d[j]) = (d[j], d[i]);
        }
        return t;
    }
}
