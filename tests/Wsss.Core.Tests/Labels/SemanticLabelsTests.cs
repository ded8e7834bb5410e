using Wsss.Core.Labels;
using Wsss.Core.Propagation;
using Wsss.Core.Tensors;
using Wsss.Core.Tests.Propagation;

namespace Wsss.Core.Tests.Labels;

public class SemanticLabelsTests
{
    [Test]
    public void IrnHeadMatchesReference()
    {
        var f = IrnPsaFixture.Load("irn_propagate_13x17.npz");
        var size = f.Ints("orig_size");
        var rw = Tensor.FromArray(f.Floats("rw"), 2, 13, 17);
        var norm = SemanticLabels.UpsampleAndNormalize(rw, size[0], size[1]);
        TestUtil.AssertClose(norm.Data, f.Floats("rw_up_norm"), 1e-5, 1e-6, "rw_up_norm");

        // End to end from the CAMs: keys [0, 1, 2] give the argmax index itself; compare where the margin exceeds 1e-4.
        var labels = SemanticLabels.Irn(Tensor.FromArray(f.Floats("cams"), 2, 13, 17), Tensor.FromArray(f.Floats("edge"), 13, 17),
            new[] { 0, 1, 2 }, size[0], size[1]);
        var expected = f.Ints("pred_index");
        var refNorm = f.Floats("rw_up_norm");
        int plane = size[0] * size[1], compared = 0;
        for (int p = 0; p < plane; p++)
        {
            var s = new[] { 0.25f, refNorm[p], refNorm[plane + p] }.OrderDescending().ToArray();
            if (s[0] - s[1] <= 1e-4f) continue;
            compared++;
            Assert.That(labels[p], Is.EqualTo(expected[p]), $"pixel {p}");
        }
        Assert.That(compared, Is.GreaterThan(plane * 9 / 10));
        var mapped = SemanticLabels.Irn(Tensor.FromArray(f.Floats("cams"), 2, 13, 17), Tensor.FromArray(f.Floats("edge"), 13, 17),
            new[] { 0, 5, 12 }, size[0], size[1]);
        Assert.That(mapped.Distinct().Order(), Is.SubsetOf(new[] { 0, 5, 12 }));
    }

    [Test]
    public void AffinityNetLabelsMatchPsa()
    {
        var f = IrnPsaFixture.Load("psa_affinity_rw_9x12.npz");
        var graph = AffinityGraph.FromPairAffinities(f.Floats("aff_sparse"), 9, 12, 5, PathIndex.EnumerationDirections(5), beta: 8);
        var pred = SemanticLabels.AffinityNet(Tensor.FromArray(f.Floats("cam_full"), 21, 72, 96), graph, 8);
        var expected = f.Ints("pred");
        int mismatches = Enumerable.Range(0, pred.Length).Count(i => pred[i] != expected[i]);
        Assert.That(mismatches, Is.Zero);
    }

    [Test]
    public void BackgroundPowerMatchesPsaCamFull()
    {
        var f = IrnPsaFixture.Load("psa_affinity_rw_9x12.npz");
        var full = f.Floats("cam_full");
        int plane = 72 * 96;
        var withBg = CamUtils.WithBackgroundPower(Tensor.FromArray(full.AsSpan(plane).ToArray(), 20, 72, 96), 16f);
        TestUtil.AssertClose(withBg.Data, full, 1e-5, 1e-6, "cam_full");
    }

    [Test]
    public void KeysAndThresholdPlane()
    {
        Assert.That(CamUtils.Keys(new float[] { 0, 1, 0, 0, 1 }), Is.EqualTo(new[] { 0, 2, 5 }));
        var t = CamUtils.WithBackgroundThreshold(Tensor.Ones(1, 2, 2), 0.25f);
        Assert.That(t.ToArray(), Is.EqualTo(new[] { 0.25f, 0.25f, 0.25f, 0.25f, 1, 1, 1, 1 }));
        Assert.That(CamUtils.Argmax(Tensor.Ones(3, 1, 2)), Is.EqualTo(new[] { 0, 0 }));
    }
}
