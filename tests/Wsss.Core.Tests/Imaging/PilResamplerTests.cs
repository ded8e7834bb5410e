using Wsss.Core.IO;
using Wsss.Core.Imaging.Resampling;

namespace Wsss.Core.Tests.Imaging;

/// <summary>PilResampler against Pillow 9.4's Image.resize (Fixtures/resampling/make_resampling_fixtures.py): exact.</summary>
public class PilResamplerTests
{
    private static IReadOnlyDictionary<string, NpyArray> Load() => Npz.Read(TestUtil.FixturePath("resampling", "pil_resize.npz"));

    private static IEnumerable<string> Cases()
    {
        var keys = Load().Keys.Where(k => k.Contains('_')).Order().ToList();
        if (keys.Count == 0) throw new InvalidOperationException("no resampling fixtures");
        return keys;
    }

    [TestCaseSource(nameof(Cases))]
    public void MatchesPillowExactly(string key)
    {
        var f = Load();
        var parts = key.Split('_');
        var input = f[parts[0]];
        var shape = input.GetShape();
        int h = shape[0], w = shape[1], c = shape.Length == 3 ? shape[2] : 1;
        var size = parts[2].Split('x').Select(int.Parse).ToArray();
        var filter = parts[1] switch { "nearest" => PilFilter.Nearest, "bilinear" => PilFilter.Bilinear, _ => PilFilter.Bicubic };
        var actual = PilResampler.Resize(input.ToUInt8(), w, h, c, size[0], size[1], filter);
        var expected = f[key].ToUInt8();
        Assert.That(actual.Length, Is.EqualTo(expected.Length));
        int mismatches = actual.Where((v, i) => v != expected[i]).Count();
        Assert.That(mismatches, Is.Zero, $"{key}: {mismatches} of {expected.Length} values differ from Pillow");
    }

    [Test]
    public void RescaledSizeUsesBankersRounding()
    {
        Assert.That(PilResampler.RescaledSize(375, 125, 0.5), Is.EqualTo((188, 62)));
        Assert.That(PilResampler.RescaledSize(100, 30, 1.5), Is.EqualTo((150, 45)));
    }

    [Test]
    public void BadArgumentsAreRejected()
    {
        Assert.That(Assert.Throws<ArgumentException>(() => PilResampler.Resize(new byte[5], 2, 2, 1, 3, 3, PilFilter.Bicubic))!.ParamName, Is.EqualTo("pixels"));
        Assert.Throws<ArgumentOutOfRangeException>(() => PilResampler.Resize(new byte[4], 2, 2, 1, 0, 3, PilFilter.Bicubic));
    }
}
