using System.Globalization;
using Wsss.Core.IO;
using Wsss.Core.Tensors;

namespace Wsss.Core.Tests.Nn;

/// <summary>
/// One PyTorch golden case (Fixtures/torch/&lt;name&gt;.npz, see the README there): inputs <c>x</c>, upstream
/// gradient <c>gy</c>, output <c>y</c>, input gradient <c>grad_x</c>, parameters <c>p_*</c>.
/// </summary>
internal sealed class PoolFixture
{
    /// <summary>Tolerance stated in Fixtures/torch/README.md: |a − e| ≤ 1e-4·|e| + 1e-5.</summary>
    public const double Rtol = 1e-4, Atol = 1e-5;

    private readonly IReadOnlyDictionary<string, NpyArray> _arrays;

    private PoolFixture(string name, IReadOnlyDictionary<string, NpyArray> arrays)
    {
        Name = name;
        _arrays = arrays;
    }

    public string Name { get; }

    /// <summary>The torch fixture folder next to the test assembly (usable at test discovery time).</summary>
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "Fixtures", "torch");

    /// <summary>Names (without .npz) of the cases whose file name starts with <paramref name="prefix"/>; empty if the folder is missing.</summary>
    public static string[] CaseNames(string prefix)
    {
        if (!System.IO.Directory.Exists(Directory)) return Array.Empty<string>();
        return System.IO.Directory.GetFiles(Directory, prefix + "*.npz")
            .Select(p => Path.GetFileNameWithoutExtension(p))
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal))
            .OrderBy(n => n, StringComparer.Ordinal)
            .ToArray();
    }

    /// <summary>NUnit case data, one per fixture file with the given prefix.</summary>
    public static IEnumerable<TestCaseData> Cases(string prefix)
        => CaseNames(prefix).Select(n => new TestCaseData(n));

    public static PoolFixture Load(string name)
        => new(name, Npz.Read(Path.Combine(Directory, name + ".npz")));

    public bool Contains(string key) => _arrays.ContainsKey(key);

    private NpyArray Raw(string key)
    {
        if (!_arrays.TryGetValue(key, out var a)) Assert.Fail($"{Name}: key '{key}' missing (keys: {string.Join(", ", _arrays.Keys)})");
        return a!;
    }

    public Tensor Get(string key)
    {
        var a = Raw(key);
        return Tensor.FromArray(a.ToFloat32(), a.GetShape());
    }

    public long[] Ints(string key) => Raw(key).ToInt64();

    public int Int(string key) => checked((int)Ints(key).Single());

    public bool Bool(string key) => Int(key) != 0;

    public (int H, int W) Pair(string key)
    {
        var v = Ints(key);
        Assert.That(v, Has.Length.EqualTo(2), $"{Name}: {key}");
        return (checked((int)v[0]), checked((int)v[1]));
    }

    /// <summary>A float32 pair widened to the shortest decimal that round-trips (1.7f → 1.7), i.e. the Python float the script passed.</summary>
    public (double H, double W) DoublePair(string key)
    {
        var v = Raw(key).ToFloat32();
        Assert.That(v, Has.Length.EqualTo(2), $"{Name}: {key}");
        static double Widen(float f) => double.Parse(f.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        return (Widen(v[0]), Widen(v[1]));
    }

    /// <summary>Runs <paramref name="op"/> on <c>x</c>, compares <c>y</c>, back-propagates <c>gy</c> and compares <c>grad_x</c>.</summary>
    public Tensor CheckForwardBackward(Func<Tensor, Tensor> op)
    {
        var x = Get("x").RequiresGrad_();
        var y = op(x);
        TestUtil.AssertClose(y, Get("y"), Rtol, Atol, $"{Name}: y");
        y.Backward(Get("gy"));
        Assert.That(x.Grad, Is.Not.Null, $"{Name}: grad_x");
        TestUtil.AssertClose(x.Grad!, Get("grad_x"), Rtol, Atol, $"{Name}: grad_x");
        return y;
    }

    /// <summary>Asserts that float-stored indices equal the int64 <c>indices</c> of the fixture exactly.</summary>
    public void CheckIndices(Tensor indices)
    {
        var a = Raw("indices");
        Assert.That(indices.Shape, Is.EqualTo(a.GetShape()), $"{Name}: indices shape");
        var expected = a.ToInt64();
        var actual = indices.ToArray();
        for (int i = 0; i < expected.Length; i++)
            Assert.That((long)actual[i], Is.EqualTo(expected[i]), $"{Name}: indices[{i}] (value {actual[i]})");
    }
}

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
