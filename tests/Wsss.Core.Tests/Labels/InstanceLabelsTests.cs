using Wsss.Core.Labels;
using Wsss.Core.Tensors;
using Wsss.Core.Tests.Propagation;

namespace Wsss.Core.Tests.Labels;

/// <summary>IRNet's instance pseudo labels against irn_instance_13x17.npz (two synthetic instances, 13×17 map, 50×67 image).</summary>
public class InstanceLabelsTests
{
    private static Tensor T(IReadOnlyDictionary<string, Wsss.Core.IO.NpyArray> f, string key, params int[] shape)
        => Tensor.FromArray(f.Floats(key), shape.Length > 0 ? shape : f[key].GetShape());

    [Test]
    public void CentroidsAndClustersMatchIrnExactly()
    {
        var f = IrnPsaFixture.Load("irn_instance_13x17.npz");
        var dp = T(f, "dp");
        var centroids = InstanceLabels.FindCentroids(dp);
        Assert.That(centroids, Is.EqualTo(f.Ints("centroids")));
        var masks = InstanceLabels.ClusterCentroids(centroids, dp);
        Assert.That(masks.Shape, Is.EqualTo(f["instance_masks"].GetShape()));
        Assert.That(masks.ToArray().Select(v => v != 0).ToArray(), Is.EqualTo(f["instance_masks"].ToBool()));
    }

    [Test]
    public void InstanceWalkAndDetectionsMatchIrn()
    {
        var f = IrnPsaFixture.Load("irn_instance_13x17.npz");
        var cams = T(f, "cams");
        var dp = T(f, "dp");
        var edge = T(f, "edge", 13, 17);
        int[] keys = f.Ints("keys");
        var (c, k, scores) = InstanceLabels.InstanceScores(cams, dp, edge, keys, 50, 67);
        Assert.That((c, k), Is.EqualTo((2, 4)));
        // Random-walk outputs: 1e-4 absolute (digest §6.4).
        TestUtil.AssertClose(scores.Data, f.Floats("rw_inst_up_norm"), 0, 1e-4, "rw_inst_up_norm");

        var index = CamUtils.Argmax(CamUtils.WithBackgroundThreshold(scores, 0.25f));
        var expectedIndex = f.Ints("argmax_index");
        // The argmax is exact wherever the reference's top two scores are more than 1e-4 apart.
        var reference = f.Floats("rw_inst_up_norm");
        int n = 50 * 67, mismatches = 0;
        for (int p = 0; p < n; p++)
        {
            if (index[p] == expectedIndex[p]) continue;
            var col = new List<float> { 0.25f };
            for (int m = 0; m < c * k; m++) col.Add(reference[m * n + p]);
            var sorted = col.OrderDescending().ToArray();
            Assert.That(sorted[0] - sorted[1], Is.LessThan(1e-4), $"pixel {p}: {index[p]} vs {expectedIndex[p]} with a clear margin");
            mismatches++;
        }
        Assert.That(mismatches, Is.LessThanOrEqualTo(n / 1000));

        var detections = InstanceLabels.Synthesize(cams, dp, edge, keys, 50, 67);
        var scoresRef = f.Floats("det_score");
        var classesRef = f.Ints("det_class");
        var masksRef = f["det_mask"].ToBool();
        Assert.That(detections.Count, Is.EqualTo(scoresRef.Length));
        for (int i = 0; i < detections.Count; i++)
        {
            Assert.That(detections[i].ClassId, Is.EqualTo(classesRef[i]), $"class of detection {i}");
            Assert.That(detections[i].Score, Is.EqualTo(scoresRef[i]).Within(1e-4), $"score of detection {i}");
            Assert.That(detections[i].Mask, Is.EqualTo(masksRef.AsSpan(i * n, n).ToArray()), $"mask of detection {i}");
        }
        Assert.That(detections.Count(d => d.Score == 0), Is.GreaterThan(0), "the 1% fragment rule must zero some fragments");
    }

    [Test]
    public void NothingDetectedIsAnEmptyListNotACrash()
    {
        var cams = Tensor.Zeros(1, 8, 8);
        var dp = Tensor.Zeros(2, 8, 8);
        var edge = Tensor.Zeros(8, 8);
        var detections = InstanceLabels.Synthesize(cams, dp, edge, new[] { 3 }, 32, 32);
        Assert.That(detections, Is.Empty);
    }

    [Test]
    public void ConnectedComponentsAreNumberedInRasterOrder()
    {
        bool[] mask =
        {
            false, true, false, true,
            true, true, false, true,
            false, false, false, false,
            true, false, true, true,
        };
        var labels = new int[16];
        int count = ConnectedComponents.Label4(mask, 4, 4, labels);
        Assert.That(count, Is.EqualTo(4));
        Assert.That(labels, Is.EqualTo(new[] { 0, 1, 0, 2, 1, 1, 0, 2, 0, 0, 0, 0, 3, 0, 4, 4 }));
    }

    [Test]
    public void BadInputIsRejected()
    {
        Assert.That(Assert.Throws<ArgumentException>(() => InstanceLabels.FindCentroids(Tensor.Zeros(3, 4, 4)))!.ParamName, Is.EqualTo("displacement"));
        var nan = Tensor.Zeros(2, 4, 4);
        nan[0, 1, 1] = float.NaN;
        Assert.That(Assert.Throws<ArgumentException>(() => InstanceLabels.FindCentroids(nan))!.ParamName, Is.EqualTo("displacement"));
        Assert.That(Assert.Throws<ArgumentException>(() => InstanceLabels.ClusterCentroids(new int[5], Tensor.Zeros(2, 4, 4)))!.ParamName, Is.EqualTo("centroids"));
        Assert.That(Assert.Throws<ArgumentException>(() => InstanceLabels.Synthesize(Tensor.Zeros(2, 4, 4), Tensor.Zeros(2, 4, 4), Tensor.Zeros(4, 4), new[] { 1 }, 16, 16))!.ParamName, Is.EqualTo("keys"));
    }
}
