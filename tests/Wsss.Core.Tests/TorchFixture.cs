using Wsss.Core.IO;
using Wsss.Core.Tensors;

namespace Wsss.Core.Tests;

/// <summary>One PyTorch golden case (see Fixtures/torch/README.md for the key conventions).</summary>
internal sealed class TorchFixture
{
    /// <summary>|a − e| ≤ Rtol·|e| + Atol, the README's tolerance.</summary>
    public const double Rtol = 1e-4, Atol = 1e-5;

    private readonly IReadOnlyDictionary<string, NpyArray> _arrays;

    private TorchFixture(string name, IReadOnlyDictionary<string, NpyArray> arrays)
    {
        Name = name;
        _arrays = arrays;
    }

    public string Name { get; }

    public static TorchFixture Load(string name) => new(name, Npz.Read(TestUtil.FixturePath("torch", name + ".npz")));

    /// <summary>Case names (file names without extension) starting with any of the prefixes.</summary>
    public static IEnumerable<string> Cases(params string[] prefixes)
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "Fixtures", "torch");
        var names = Directory.Exists(dir)
            ? Directory.GetFiles(dir, "*.npz").Select(Path.GetFileNameWithoutExtension).Where(n => prefixes.Any(p => n!.StartsWith(p, StringComparison.Ordinal))).OrderBy(n => n).ToList()
            : new List<string?>();
        if (names.Count == 0) throw new InvalidOperationException($"no torch fixtures with prefixes {string.Join(", ", prefixes)} in {dir}");
        return names!;
    }

    public bool Has(string key) => _arrays.ContainsKey(key);

    public Tensor T(string key, bool requiresGrad = false)
    {
        if (!_arrays.TryGetValue(key, out var a)) throw new KeyNotFoundException($"{Name}: no key '{key}'");
        var t = a.ToTensor();
        t.RequiresGrad = requiresGrad;
        return t;
    }

    public long[] Longs(string key) => _arrays[key].ToInt64();

    public int Int(string key) => (int)_arrays[key].ToInt64()[0];

    public float Float(string key) => _arrays[key].ToFloat32()[0];

    public bool Flag(string key) => Has(key) && _arrays[key].ToInt64()[0] != 0;

    public (int, int) Pair(string key)
    {
        var v = _arrays[key].ToInt64();
        return ((int)v[0], (int)v[v.Length > 1 ? 1 : 0]);
    }

    /// <summary>Asserts <paramref name="actual"/> equals the stored <paramref name="key"/> within the README tolerance.</summary>
    public void AssertClose(Tensor? actual, string key)
    {
        Assert.That(actual, Is.Not.Null, $"{Name}: {key} missing");
        var expected = T(key);
        Assert.That(actual!.Shape, Is.EqualTo(expected.Shape), $"{Name}: shape of {key}");
        TestUtil.AssertClose(actual.Data, expected.Data, Rtol, Atol, $"{Name}: {key}");
    }

    /// <summary>Asserts integer-valued <paramref name="actual"/> equals the stored int64 <paramref name="key"/> exactly.</summary>
    public void AssertIndices(Tensor actual, string key)
    {
        var expected = Longs(key);
        Assert.That(actual.ToArray().Select(v => (long)v).ToArray(), Is.EqualTo(expected), $"{Name}: {key}");
    }

    /// <summary>Back-propagates the stored upstream gradient <c>gy</c> from <paramref name="y"/>.</summary>
    public void Backward(Tensor y) => y.Backward(T("gy"));
}
