using Wsss.Core.IO;
using Wsss.Core.Nn;
using Wsss.Core.Tensors;

namespace Wsss.Core.Tests.Nn;

/// <summary>PyTorch golden fixtures (Fixtures/torch/*.npz) for the Nn tests.</summary>
internal static class NnFixtures
{
    /// <summary>README tolerance: |a − e| ≤ 1e-4·|e| + 1e-5.</summary>
    public const double Rtol = 1e-4, Atol = 1e-5;

    public static string Directory => Path.Combine(AppContext.BaseDirectory, "Fixtures", "torch");

    /// <summary>Case names (file names without .npz) starting with one of <paramref name="prefixes"/> and none of <paramref name="excludePrefixes"/>.</summary>
    public static string[] Names(string[] prefixes, params string[] excludePrefixes)
    {
        if (!System.IO.Directory.Exists(Directory)) return Array.Empty<string>();
        return System.IO.Directory.GetFiles(Directory, "*.npz")
            .Select(Path.GetFileNameWithoutExtension)
            .OfType<string>()
            .Where(n => prefixes.Any(n.StartsWith) && !excludePrefixes.Any(n.StartsWith))
            .OrderBy(n => n, StringComparer.Ordinal)
            .ToArray();
    }

    public static IEnumerable<TestCaseData> Cases(string[] prefixes, params string[] excludePrefixes)
        => Names(prefixes, excludePrefixes).Select(n => new TestCaseData(n).SetArgDisplayNames(n));

    public static Case Load(string name) => new(name, Npz.Read(Path.Combine(Directory, name + ".npz")));

    public sealed class Case
    {
        private readonly IReadOnlyDictionary<string, NpyArray> _arrays;

        public Case(string name, IReadOnlyDictionary<string, NpyArray> arrays)
        {
            Name = name;
            _arrays = arrays;
        }

        public string Name { get; }

        public bool Has(string key) => _arrays.ContainsKey(key);

        /// <summary>The array as a float tensor (int64 targets become floats holding integers).</summary>
        public Tensor T(string key)
        {
            Assert.That(_arrays.ContainsKey(key), Is.True, $"{Name}: missing key '{key}'");
            var a = _arrays[key];
            return Tensor.FromArray(a.ToFloat32(), a.Shape.ToArray());
        }

        public Tensor? Opt(string key) => Has(key) ? T(key) : null;

        public float F(string key) => _arrays[key].ToFloat32()[0];

        public long L(string key) => _arrays[key].ToInt64()[0];

        public long[] Longs(string key) => _arrays[key].ToInt64();

        public global::Wsss.Core.Nn.Reduction Reduction => L("p_reduction") switch
        {
            0 => global::Wsss.Core.Nn.Reduction.None,
            1 => global::Wsss.Core.Nn.Reduction.Mean,
            2 => global::Wsss.Core.Nn.Reduction.Sum,
            var r => throw new InvalidOperationException($"{Name}: unknown p_reduction {r}"),
        };

        /// <summary>Asserts <paramref name="actual"/> matches the stored array <paramref name="key"/> within the README tolerance.</summary>
        public void AssertMatches(Tensor? actual, string key)
        {
            Assert.That(actual, Is.Not.Null, $"{Name}: no value for '{key}'");
            TestUtil.AssertClose(actual!, T(key), Rtol, Atol, $"{Name}: {key}");
        }
    }
}
