using Wsss.Core.Data;
using Wsss.Core.Imaging;

namespace Wsss.Core.Tests.Data;

public class VocDatasetTests
{
    [Test]
    public void SyntheticSetRoundTripsThroughVocLayout()
    {
        string root = Path.Combine(Path.GetTempPath(), $"wsss-voc-{Guid.NewGuid():N}");
        try
        {
            var scenes = new SyntheticScenes(new SyntheticSceneOptions { Size = 48, Classes = 3, Seed = 6, VoidBorder = 1 });
            VocDataset.WriteSynthetic(root, scenes, count: 10, trainCount: 8);
            var train = new VocDataset(root, "train");
            var val = new VocDataset(root, "val");
            Assert.That((train.Count, val.Count), Is.EqualTo((8, 2)));
            Assert.That(train.ClassNames, Is.EqualTo(scenes.ClassNames));
            for (int i = 0; i < train.Count; i++)
            {
                var scene = scenes.Generate(i);
                Assert.That(train.Id(i), Is.EqualTo($"synth_{i:D6}"));
                Assert.That(train.LoadImage(i).Pixels, Is.EqualTo(scene.Image.Pixels));
                Assert.That(train.LoadLabels(i)!.Labels, Is.EqualTo(scene.Labels.Labels));
                Assert.That(train.Tags(i), Is.EqualTo(scene.PresentClasses));
            }
            // Without cls_labels.txt the tags come from the ground-truth maps.
            File.Delete(Path.Combine(root, "cls_labels.txt"));
            var fromMaps = new VocDataset(root, "train");
            for (int i = 0; i < fromMaps.Count; i++) Assert.That(fromMaps.Tags(i), Is.EqualTo(scenes.Generate(i).PresentClasses));
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, true);
        }
    }

    [Test]
    public void MissingFilesAndBadTagsAreReported()
    {
        string root = Path.Combine(Path.GetTempPath(), $"wsss-voc-{Guid.NewGuid():N}");
        try
        {
            Assert.Throws<DirectoryNotFoundException>(() => _ = new VocDataset(root));
            Directory.CreateDirectory(Path.Combine(root, "ImageSets", "Segmentation"));
            Assert.Throws<FileNotFoundException>(() => _ = new VocDataset(root, "val"));
            File.WriteAllText(Path.Combine(root, "ImageSets", "Segmentation", "train.txt"), "a\n");
            File.WriteAllText(Path.Combine(root, "cls_labels.txt"), "a 3 x\n");
            var ex = Assert.Throws<InvalidDataException>(() => _ = new VocDataset(root));
            Assert.That(ex!.Message, Does.Contain("cls_labels.txt:1"));
            File.WriteAllText(Path.Combine(root, "cls_labels.txt"), "a 3\n");
            var ds = new VocDataset(root);
            Assert.That(ds.ClassNames, Has.Count.EqualTo(21));
            Assert.Throws<FileNotFoundException>(() => ds.LoadImage(0));
            Assert.That(ds.LoadLabels(0), Is.Null);
            Assert.Throws<ArgumentOutOfRangeException>(() => ds.Id(1));
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, true);
        }
    }
}
