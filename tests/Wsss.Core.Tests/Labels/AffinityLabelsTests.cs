using Wsss.Core.Labels;
using Wsss.Core.Propagation;
using Wsss.Core.Tests.Propagation;

namespace Wsss.Core.Tests.Labels;

public class AffinityLabelsTests
{
    [Test]
    public void IrnRuleMatchesReference()
    {
        var f = IrnPsaFixture.Load("irn_losses_r10_24x26.npz");
        var set = AffinityLabels.Irn(f["label"].ToUInt8(), new PathIndex(10, 24, 26));
        Assert.That(set.BackgroundPositive.ToArray(), Is.EqualTo(f.Floats("aff_bg_pos")));
        Assert.That(set.ForegroundPositive.ToArray(), Is.EqualTo(f.Floats("aff_fg_pos")));
        Assert.That(set.Negative.ToArray(), Is.EqualTo(f.Floats("aff_neg")));
    }

    [Test]
    public void PsaRuleMatchesReference()
    {
        var f = IrnPsaFixture.Load("psa_afflabels_12x12.npz");
        var set = AffinityLabels.Psa(f["label"].ToUInt8(), 12, 12, 5);
        Assert.That(set.BackgroundPositive.ToArray(), Is.EqualTo(f.Floats("bg_pos")));
        Assert.That(set.ForegroundPositive.ToArray(), Is.EqualTo(f.Floats("fg_pos")));
        Assert.That(set.Negative.ToArray(), Is.EqualTo(f.Floats("neg")));
    }

    [Test]
    public void MismatchedLabelMapIsRejected()
        => Assert.That(Assert.Throws<ArgumentException>(() => AffinityLabels.Irn(new byte[10], new PathIndex(5, 12, 14)))!.ParamName, Is.EqualTo("labels"));
}
