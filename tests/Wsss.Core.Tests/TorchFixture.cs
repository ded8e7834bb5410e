using System.Globalization;
using Wsss.Core.IO;
using Wsss.Core.Tensors;

namespace Wsss.Core.Tests;

/// <summary>
/// One PyTorch golden case, Fixtures/torch/&lt;name&gt;.npz (see the README there for the key conventions):
/// inputs (<c>x</c>, <c>w</c>, <c>target</c>, ...), upstream gradient <c>gy</c>, output <c>y</c>,
/// gradients <c>grad_&lt;input&gt;</c>, int64 indices, parameters <c>p_*</c>.
/// </summary>
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

    // ------------------------------------------------------------------ cases

    /// <summary>The torch fixture folder next to the test assembly (usable at test discovery time).</summary>
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "Fixtures", "torch");

    public static TorchFixture Load(string name) => new(name, Npz.Read(Path.Combine(Directory, name + ".npz")));

    /// <summary>
    /// Case names (file names without .npz, ordinal order) starting with one of <paramref name="prefixes"/> and
    /// none of <paramref name="excludePrefixes"/>; empty if there are none or the folder is missing.
    /// </summary>
    public static string[] Names(string[] prefixes, params string[] excludePrefixes)
    {
        if (!System.IO.Directory.Exists(Directory)) return Array.Empty<string>();
        return System.IO.Directory.GetFiles(Directory, "*.npz")
            .Select(Path.GetFileNameWithoutExtension)
            .OfType<string>()
            .Where(n => prefixes.Any(p => n.StartsWith(p, StringComparison.Ordinal))
                        && !excludePrefixes.Any(p => n.StartsWith(p, StringComparison.Ordinal)))
            .OrderBy(n => n, StringComparer.Ordinal)
            .ToArray();
    }

    /// <summary><see cref="Names(string[], string[])"/> for a single prefix.</summary>
    public static string[] Names(string prefix) => Names(new[] { prefix });

    /// <summary>Like <see cref="Names(string[], string[])"/>, but throws if no case matches (so an empty source is an error, not zero tests).</summary>
    public static IEnumerable<string> Cases(params string[] prefixes)
    {
        var names = Names(prefixes);
        if (names.Length == 0) throw new InvalidOperationException($"no torch fixtures with prefixes {string.Join(", ", prefixes)} in {Directory}");
        return names;
    }

    /// <summary>NUnit case data, one per name of <see cref="Names(string[], string[])"/>, displayed as the bare case name.</summary>
    public static IEnumerable<TestCaseData> CaseData(string[] prefixes, params string[] excludePrefixes)
        => Names(prefixes, excludePrefixes).Select(n => new TestCaseData(n).SetArgDisplayNames(n));

    // ------------------------------------------------------------------ getters

    public bool Has(string key) => _arrays.ContainsKey(key);

    private NpyArray Raw(string key)
    {
        if (!_arrays.TryGetValue(key, out var a)) Assert.Fail($"{Name}: key '{key}' missing (keys: {string.Join(", ", _arrays.Keys)})");
        return a!;
    }

    /// <summary>The array as a float32 tensor (int64 targets become floats holding integers).</summary>
    public Tensor T(string key, bool requiresGrad = false)
    {
        var t = Raw(key).ToTensor();
        t.RequiresGrad = requiresGrad;
        return t;
    }

    /// <summary><see cref="T"/> if the key is stored, otherwise null (optional inputs such as loss weights).</summary>
    public Tensor? Opt(string key) => Has(key) ? T(key) : null;

    public long[] Longs(string key) => Raw(key).ToInt64();

    /// <summary>A single-element integer parameter.</summary>
    public int Int(string key) => checked((int)Longs(key).Single());

    /// <summary>A single-element float parameter.</summary>
    public float Float(string key) => Raw(key).ToFloat32().Single();

    /// <summary>A required 0/1 parameter.</summary>
    public bool Bool(string key) => Int(key) != 0;

    /// <summary>An optional 0/1 parameter: false if the key is absent.</summary>
    public bool Flag(string key) => Has(key) && Bool(key);

    /// <summary>A two-element integer parameter (kernel size, stride, ...).</summary>
    public (int H, int W) Pair(string key)
    {
        var v = Longs(key);
        Assert.That(v, NUnit.Framework.Has.Length.EqualTo(2), $"{Name}: {key}");
        return (checked((int)v[0]), checked((int)v[1]));
    }

    /// <summary>A float32 pair widened to the shortest decimal that round-trips (1.7f → 1.7), i.e. the Python float the script passed.</summary>
    public (double H, double W) DoublePair(string key)
    {
        var v = Raw(key).ToFloat32();
        Assert.That(v, NUnit.Framework.Has.Length.EqualTo(2), $"{Name}: {key}");
        static double Widen(float f) => double.Parse(f.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        return (Widen(v[0]), Widen(v[1]));
    }

    /// <summary><c>p_reduction</c>: 0 = none, 1 = mean, 2 = sum.</summary>
    public global::Wsss.Core.Nn.Reduction Reduction => Int("p_reduction") switch
    {
        0 => global::Wsss.Core.Nn.Reduction.None,
        1 => global::Wsss.Core.Nn.Reduction.Mean,
        2 => global::Wsss.Core.Nn.Reduction.Sum,
        var r => throw new InvalidOperationException($"{Name}: unknown p_reduction {r}"),
    };

    // ------------------------------------------------------------------ checks

    /// <summary>Asserts <paramref name="actual"/> equals the stored <paramref name="key"/> (shape and values) within the README tolerance.</summary>
    public void AssertClose(Tensor? actual, string key)
    {
        Assert.That(actual, Is.Not.Null, $"{Name}: {key} missing");
        TestUtil.AssertClose(actual!, T(key), Rtol, Atol, $"{Name}: {key}");
    }

    /// <summary>Asserts integer-valued <paramref name="actual"/> equals the stored int64 <paramref name="key"/> exactly (shape and values).</summary>
    public void AssertIndices(Tensor actual, string key = "indices")
    {
        var a = Raw(key);
        Assert.That(actual.Shape, Is.EqualTo(a.GetShape()), $"{Name}: shape of {key}");
        Assert.That(actual.ToArray().Select(v => (long)v).ToArray(), Is.EqualTo(a.ToInt64()), $"{Name}: {key}");
    }

    /// <summary>Back-propagates the stored upstream gradient <c>gy</c> from <paramref name="y"/>.</summary>
    public void Backward(Tensor y) => y.Backward(T("gy"));

    /// <summary>Runs <paramref name="op"/> on <c>x</c>, compares <c>y</c>, back-propagates <c>gy</c> and compares <c>grad_x</c>.</summary>
    public Tensor CheckForwardBackward(Func<Tensor, Tensor> op)
    {
        var x = T("x", requiresGrad: true);
        var y = op(x);
        AssertClose(y, "y");
        Backward(y);
        AssertClose(x.Grad, "grad_x");
        return y;
    }
}
