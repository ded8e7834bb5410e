using Wsss.Core.Data;
using Wsss.Core.Imaging;
using Wsss.Core.Imaging.Png;

namespace Wsss.Core.Tests.Data;

public class LoaderTests
{
    [Test]
    public void FolderDatasetTagsByFolder()
    {
        string root = Path.Combine(Path.GetTempPath(), $"wsss-folders-{Guid.NewGuid():N}");
        try
        {
            foreach (var (folder, n) in new[] { ("dog", 2), ("cat", 1), ("neg", 2) })
            {
                Directory.CreateDirectory(Path.Combine(root, folder));
                for (int i = 0; i < n; i++) PngEncoder.Write(Path.Combine(root, folder, $"{folder}{i}.png"), new ImageBuffer(4, 3, 3));
            }
            File.WriteAllText(Path.Combine(root, "dog", "notes.txt"), "not an image");
            var ds = new FolderDataset(root, negativeFolder: "neg");
            Assert.That(ds.ClassNames, Is.EqualTo(new[] { "background", "cat", "dog" }));
            Assert.That(ds.Count, Is.EqualTo(5));
            var tags = Enumerable.Range(0, ds.Count).ToDictionary(ds.Id, i => ds.Tags(i).ToArray());
            Assert.That(tags["cat0"], Is.EqualTo(new[] { 1 }));
            Assert.That(tags["dog1"], Is.EqualTo(new[] { 2 }));
            Assert.That(tags["neg0"], Is.Empty);
            Assert.That(ds.LoadImage(0).Width, Is.EqualTo(4));
            Assert.That(ds.LoadLabels(0), Is.Null);
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, true);
        }
    }

    [Test]
    public void BatchesAreStackedReproducibleAndCoverTheEpoch()
    {
        string root = Path.Combine(Path.GetTempPath(), $"wsss-loader-{Guid.NewGuid():N}");
        try
        {
            var scenes = new SyntheticScenes(new SyntheticSceneOptions { Size = 40, Classes = 3, Seed = 1 });
            VocDataset.WriteSynthetic(root, scenes, count: 10, trainCount: 10);
            var ds = new VocDataset(root);
            (ImageBuffer, LabelMap?) Transform(ImageBuffer img, LabelMap? lab, Wsss.Core.Tensors.Generator g)
            {
                var (a, b) = Augmentation.RandomFlip(img, lab, g);
                return Augmentation.RandomCrop(a, b, 32, g);
            }
            var loader = new WeakBatchLoader(ds, 4, Transform, seed: 3, withLabels: true);
            var epoch = loader.Epoch(0).ToList();
            Assert.That(epoch, Has.Count.EqualTo(2));
            Assert.That(epoch[0].Images.Shape, Is.EqualTo(new[] { 4, 3, 32, 32 }));
            Assert.That(epoch[0].Tags.Shape, Is.EqualTo(new[] { 4, 3 }));
            Assert.That(epoch[0].Labels!.Shape, Is.EqualTo(new[] { 4, 32, 32 }));
            for (int k = 0; k < 4; k++)
            {
                var expected = ds.Tags(epoch[0].Indices[k]);
                for (int c = 1; c <= 3; c++) Assert.That(epoch[0].Tags[k, c - 1], Is.EqualTo(expected.Contains(c) ? 1f : 0f));
            }
            Assert.That(epoch.SelectMany(b => b.Indices).Distinct().Count(), Is.EqualTo(8));
            var again = loader.Epoch(0).ToList();
            Assert.That(again[1].Images.ToArray(), Is.EqualTo(epoch[1].Images.ToArray()));
            Assert.That(loader.Epoch(1).First().Indices, Is.Not.EqualTo(epoch[0].Indices));
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, true);
        }
    }

    [Test]
    public void ACorruptImageSurfacesAsTheDecodersErrorNamingTheFile()
    {
        string root = Path.Combine(Path.GetTempPath(), $"wsss-loader-bad-{Guid.NewGuid():N}");
        try
        {
            var scenes = new SyntheticScenes(new SyntheticSceneOptions { Size = 32, Classes = 2, Seed = 1 });
            VocDataset.WriteSynthetic(root, scenes, count: 4, trainCount: 4);
            string victim = Path.Combine(root, "JPEGImages", "synth_000002.png");
            File.WriteAllBytes(victim, File.ReadAllBytes(victim)[..40]);
            var loader = new WeakBatchLoader(new VocDataset(root), 4, (img, lab, g) => (img, lab), shuffle: false);
            var ex = Assert.Throws<InvalidDataException>(() => loader.Epoch(0).ToList());
            Assert.That(ex!.Message, Does.Contain("synth_000002.png"));
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, true);
        }
    }
}
