using Wsss.Core.Data;

namespace Wsss.Core.Tests.Data;

public class SyntheticScenesTests
{
    [Test]
    public void ScenesAreDeterministicAndTheirTagsMatchTheirLabels()
    {
        var gen = new SyntheticScenes(new SyntheticSceneOptions { Size = 64, Classes = 6, Seed = 11 });
        Assert.That(gen.ClassNames, Has.Count.EqualTo(7));
        int negatives = 0;
        var seen = new HashSet<int>();
        for (int i = 0; i < 60; i++)
        {
            var a = gen.Generate(i);
            var b = gen.Generate(i);
            Assert.That(b.Image.Pixels, Is.EqualTo(a.Image.Pixels));
            Assert.That(b.Labels.Labels, Is.EqualTo(a.Labels.Labels));
            var inMap = a.Labels.Labels.Where(v => v != 0 && v != 255).Select(v => (int)v).Distinct().Order().ToArray();
            Assert.That(a.PresentClasses, Is.EqualTo(inMap), $"scene {i}");
            Assert.That(inMap.All(c => c >= 1 && c <= 6), Is.True);
            if (inMap.Length == 0) negatives++;
            seen.UnionWith(inMap);
        }
        Assert.That(negatives, Is.InRange(4, 24), "about 20% negatives");
        Assert.That(seen.Count, Is.EqualTo(6), "every class appears");
        Assert.That(gen.Generate(0).Image.Pixels, Is.Not.EqualTo(gen.Generate(1).Image.Pixels));
    }

    [Test]
    public void CoOccurrenceAndVoidBorderFollowTheOptions()
    {
        var gen = new SyntheticScenes(new SyntheticSceneOptions { Size = 64, Classes = 4, MaxObjects = 1, NegativeFraction = 0, CoOccurrence = new[] { (1, 3, 1.0) }, VoidBorder = 1, Seed = 2 });
        int withOne = 0;
        for (int i = 0; i < 80; i++)
        {
            var s = gen.Generate(i);
            if (!s.PresentClasses.Contains(1)) continue;
            withOne++;
            Assert.That(s.Labels.Labels.Count(v => v == 255), Is.GreaterThan(0), "void band around objects");
        }
        Assert.That(withOne, Is.GreaterThan(5));
        // Class 3 always joins class 1; it is missing from the tags only when fully covered.
        int pairs = Enumerable.Range(0, 80).Select(gen.Generate).Count(s => s.PresentClasses.Contains(1) && s.PresentClasses.Contains(3));
        Assert.That(pairs, Is.GreaterThanOrEqualTo(withOne * 3 / 4));
    }

    [Test]
    public void BadOptionsNameTheSetting()
    {
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => _ = new SyntheticScenes(new SyntheticSceneOptions { Size = 8 }))!.ParamName, Is.EqualTo("Size"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => _ = new SyntheticScenes(new SyntheticSceneOptions { Classes = 9 }))!.ParamName, Is.EqualTo("Classes"));
        Assert.That(Assert.Throws<ArgumentException>(() => _ = new SyntheticScenes(new SyntheticSceneOptions { Classes = 2, CoOccurrence = new[] { (1, 3, 0.5) } }))!.ParamName, Is.EqualTo("CoOccurrence"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SyntheticScenes(new SyntheticSceneOptions()).Generate(-1));
    }
}
