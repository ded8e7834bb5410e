using System.Text.Json;
using Wsss.Core.Data;
using Wsss.Core.Imaging;

namespace Wsss.Core.Tests.Data;

/// <summary>VocDataset on real MSRC files (Fixtures/msrc_mini) against what PIL and numpy read from them.</summary>
public class MsrcMiniTests
{
    [Test]
    public void ReadsRealMsrcFilesAsPilDoes()
    {
        string root = TestUtil.FixturePath("msrc_mini");
        using var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "expected.json")));
        var ds = new VocDataset(root);
        Assert.That(ds.Count, Is.EqualTo(4));
        Assert.That(ds.ClassNames, Has.Count.EqualTo(17));
        Assert.That(ds.ClassNames[0], Is.EqualTo("background"));
        for (int i = 0; i < ds.Count; i++)
        {
            var e = expected.RootElement.GetProperty(ds.Id(i));
            var img = ds.LoadImage(i);
            Assert.That((img.Height, img.Width, img.Channels), Is.EqualTo((e.GetProperty("height").GetInt32(), e.GetProperty("width").GetInt32(), 3)));
            var means = e.GetProperty("channel_means").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            for (int c = 0; c < 3; c++)
            {
                double mean = 0;
                for (int p = c; p < img.Pixels.Length; p += 3) mean += img.Pixels[p];
                Assert.That(mean / (img.Pixels.Length / 3), Is.EqualTo(means[c]).Within(1e-9), $"{ds.Id(i)} channel {c} (the decoder is bit-exact with PIL)");
            }
            var labels = ds.LoadLabels(i)!;
            var hist = e.GetProperty("label_histogram").EnumerateObject().ToDictionary(p => byte.Parse(p.Name), p => p.Value.GetInt32());
            Assert.That(labels.Labels.GroupBy(v => v).ToDictionary(g => g.Key, g => g.Count()), Is.EquivalentTo(hist));
            Assert.That(ds.Tags(i), Is.EqualTo(e.GetProperty("tags").EnumerateArray().Select(v => v.GetInt32()).ToArray()));
        }
        Assert.That(ds.Tags(3), Is.Empty, "the negative has no tags");
    }
}
