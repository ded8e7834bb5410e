using Wsss.Core.Propagation;

namespace Wsss.Core.Tests.Propagation;

public class PathIndexTests
{
    [TestCase("irn_pathindex_r5_12x14.npz", 5, 12, 14)]
    [TestCase("irn_pathindex_r10_24x26.npz", 10, 24, 26)]
    public void MatchesIrnPathIndex(string file, int radius, int height, int width)
    {
        var f = IrnPsaFixture.Load(file);
        var index = new PathIndex(radius, height, width);
        Assert.That(index.Directions.SelectMany(d => new[] { d.Dy, d.Dx }).ToArray(), Is.EqualTo(f.Ints("search_dst")), "search_dst");
        Assert.That(index.GetSourceIndices(), Is.EqualTo(f.Ints("src_indices")), "src_indices");
        Assert.That(index.GetDestinationIndices(), Is.EqualTo(f.Ints("dst_indices")), "dst_indices");
        Assert.That(index.Groups, Has.Count.EqualTo(f.Keys.Count(k => k.StartsWith("search_paths_", StringComparison.Ordinal))));
        for (int g = 0; g < index.Groups.Count; g++)
        {
            var group = index.Groups[g];
            var paths = Enumerable.Range(group.FirstDirection, group.DirectionCount)
                .SelectMany(d => index.GetPath(d)).SelectMany(p => new[] { p.Dy, p.Dx }).ToArray();
            Assert.That(paths, Is.EqualTo(f.Ints($"search_paths_{g}")), $"search_paths_{g}");
            Assert.That(f[$"search_paths_{g}"].Shape[1], Is.EqualTo(group.PathLength));
            Assert.That(index.GetPathIndices(g), Is.EqualTo(f.Ints($"path_indices_{g}")), $"path_indices_{g}");
        }
    }

    [Test]
    public void DirectionCountsMatchTheDigest()
    {
        Assert.That(new PathIndex(5, 20, 20).DirectionCount, Is.EqualTo(34));
        Assert.That(new PathIndex(10, 40, 40).DirectionCount, Is.EqualTo(152));
        var lengths = new PathIndex(5, 20, 20).Groups.Select(g => (g.PathLength, g.DirectionCount)).ToArray();
        Assert.That(lengths, Is.EqualTo(new[] { (2, 2), (3, 2), (4, 4), (5, 2), (6, 4), (7, 2), (8, 8), (10, 6), (11, 4) }));
    }

    [Test]
    public void EnumerationPairsMatchAffinityNet()
    {
        var f = IrnPsaFixture.Load("psa_affinity_rw_9x12.npz");
        var (from, to) = PathIndex.GetEnumerationPairs(5, 9, 12);
        Assert.That(from, Is.EqualTo(f.Ints("ind_from")));
        Assert.That(to, Is.EqualTo(f.Ints("ind_to")));
    }

    [Test]
    public void DiagonalPathHoldsTheWholeBlock()
        => Assert.That(PathIndex.PathOf(1, -1), Is.EqualTo(new[] { (1, -1), (0, -1), (1, 0), (0, 0) }));

    [Test]
    public void BadArgumentsAreNamed()
    {
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => new PathIndex(1, 10, 10))!.ParamName, Is.EqualTo("radius"));
        Assert.That(Assert.Throws<ArgumentException>(() => new PathIndex(5, 4, 20))!.ParamName, Is.EqualTo("height"));
        Assert.That(Assert.Throws<ArgumentException>(() => new PathIndex(5, 20, 8))!.ParamName, Is.EqualTo("width"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => new PathIndex(5, 20, 20).GetPathIndices(9))!.ParamName, Is.EqualTo("group"));
    }
}
