using Wsss.Core.Nn;
using Wsss.Core.Propagation;
using Wsss.Core.Tensors;

namespace Wsss.Core.Tests.Propagation;

public class AffinityTests
{
    [Test]
    public void FromBoundaryMatchesIrn()
    {
        var f = IrnPsaFixture.Load("irn_losses_r10_24x26.npz");
        var edge = Tensor.FromArray(f.Floats("edge_logit"), 1, 1, 24, 26).Sigmoid();
        var aff = Affinity.FromBoundary(edge, new PathIndex(10, 24, 26));
        Assert.That(aff.Shape, Is.EqualTo(new[] { 1, 152, 120 }));
        TestUtil.AssertClose(aff.Data, f.Floats("aff"), 1e-5, 1e-5, "aff");
    }

    [Test]
    public void PairDisplacementMatchesIrn()
    {
        var f = IrnPsaFixture.Load("irn_losses_r10_24x26.npz");
        var dp = Tensor.FromArray(f.Floats("dp"), 1, 2, 24, 26);
        var pair = Affinity.PairDisplacement(dp, new PathIndex(10, 24, 26));
        Assert.That(pair.Shape, Is.EqualTo(new[] { 1, 2, 152, 120 }));
        TestUtil.AssertClose(pair.Data, f.Floats("pair_disp"), 1e-5, 1e-5, "pair_disp");
    }

    [Test]
    public void PairDisplacementGradient()
    {
        var index = new PathIndex(3, 6, 7);
        GradCheck.Check(t => Affinity.PairDisplacement(t[0], index), [TestUtil.Randn(8, 1, 2, 6, 7)]);
        Assert.That(Assert.Throws<ArgumentException>(() => Affinity.PairDisplacement(Tensor.Zeros(1, 2, 5, 7), index))!.ParamName, Is.EqualTo("displacement"));
    }

    [Test]
    public void FromFeaturesMatchesAffinityNetHead()
    {
        var f = IrnPsaFixture.Load("psa_affinity_rw_9x12.npz");
        Tensor Load(string k) => Tensor.FromArray(f.Floats(k), f[k].GetShape());
        // "feat" is the AffinityNet head's output on the reference's backbone features (see shrink_psa_affinity.py).
        var x = Load("feat");
        var (from, to) = PathIndex.GetEnumerationPairs(5, 9, 12);
        var aff = Affinity.FromFeatures(x, from, to);
        Assert.That(aff.Shape, Is.EqualTo(new[] { 1, 34, 20 }));
        TestUtil.AssertClose(aff.Data, f.Floats("aff_sparse"), 1e-5, 1e-5, "aff_sparse");
    }

    [Test]
    public void FromBoundaryGradient()
    {
        var index = new PathIndex(3, 6, 7);
        // Well-separated values (spacing 1/84 ≫ eps) so no finite difference crosses a tie of the max.
        var rng = new Random(3);
        var values = Enumerable.Range(0, 84).Select(i => (i + 0.5f) / 84f).OrderBy(_ => rng.Next()).ToArray();
        var b = Tensor.FromArray(values, 2, 1, 6, 7);
        GradCheck.Check(t => Affinity.FromBoundary(t[0], index), [b], eps: 1e-3);
    }

    [Test]
    public void FromFeaturesGradient()
    {
        var (from, to) = PathIndex.GetEnumerationPairs(3, 5, 6);
        var x = TestUtil.Randn(4, 2, 3, 5, 6);
        GradCheck.Check(t => Affinity.FromFeatures(t[0], from, to), [x], eps: 1e-3);
    }

    [Test]
    public void BadBoundaryIsRejected()
    {
        var index = new PathIndex(5, 12, 14);
        var b = Tensor.Full(new[] { 1, 1, 12, 14 }, 0.5f);
        b.Data[3] = 1.5f;
        Assert.That(Assert.Throws<ArgumentException>(() => Affinity.FromBoundary(b, index))!.ParamName, Is.EqualTo("boundary"));
        b.Data[3] = float.NaN;
        Assert.That(Assert.Throws<ArgumentException>(() => Affinity.FromBoundary(b, index))!.ParamName, Is.EqualTo("boundary"));
        Assert.That(Assert.Throws<ArgumentException>(() => Affinity.FromBoundary(Tensor.Zeros(1, 1, 12, 13), index))!.ParamName, Is.EqualTo("boundary"));
    }
}
