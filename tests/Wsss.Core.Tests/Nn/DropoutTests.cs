using Wsss.Core.Nn;
using Wsss.Core.Tensors;

namespace Wsss.Core.Tests.Nn;

[TestFixture]
public class DropoutTests
{
    /// <summary>|zeros − n·p| within 5 standard deviations of the binomial.</summary>
    private static void AssertBinomial(int zeros, int n, double p)
    {
        double sd = Math.Sqrt(n * p * (1 - p));
        Assert.That(Math.Abs(zeros - n * p), Is.LessThanOrEqualTo(5 * sd), $"{zeros} of {n} zeroed, expected {n * p} ± {5 * sd}");
    }

    [TestCase(0.1f)]
    [TestCase(0.3f)]
    [TestCase(0.5f)]
    [TestCase(0.9f)]
    public void DropoutZeroesFractionPAndScalesKeptExactly(float p)
    {
        const int n = 200_000;
        var x = TestUtil.Randn(1, n) + 10f; // no exact zeros in x
        var y = Functional.Dropout(x, p, training: true, new Generator(1234));
        float scale = 1f / (1f - p);
        var xs = x.Data;
        var ys = y.Data;
        int zeros = 0;
        for (int i = 0; i < n; i++)
        {
            if (ys[i] == 0f) zeros++;
            else Assert.That(ys[i], Is.EqualTo(xs[i] * scale), $"element {i} must be x·1/(1−p) exactly");
        }
        AssertBinomial(zeros, n, p);
    }

    [Test]
    public void DropoutIsDeterministicPerSeed()
    {
        var x = Tensor.Ones(10_000);
        var a = Functional.Dropout(x, 0.4f, true, new Generator(7)).ToArray();
        var b = Functional.Dropout(x, 0.4f, true, new Generator(7)).ToArray();
        var c = Functional.Dropout(x, 0.4f, true, new Generator(8)).ToArray();
        Assert.That(a, Is.EqualTo(b));
        Assert.That(a, Is.Not.EqualTo(c));
        var g = new Generator(7);
        var first = Functional.Dropout(x, 0.4f, true, g).ToArray();
        var second = Functional.Dropout(x, 0.4f, true, g).ToArray();
        Assert.That(first, Is.EqualTo(a));
        Assert.That(second, Is.Not.EqualTo(first), "the generator advances between calls");
    }

    [Test]
    public void DropoutIsIdentityWhenNotTrainingOrPIsZero()
    {
        var x = TestUtil.Randn(2, 3, 4).RequiresGrad_();
        Assert.That(Functional.Dropout(x, 0.5f, training: false), Is.SameAs(x));
        Assert.That(Functional.Dropout(x, 0f, training: true), Is.SameAs(x));
        var x4 = TestUtil.Randn(4, 2, 3, 4, 4);
        Assert.That(Functional.Dropout2d(x4, 0.7f, training: false), Is.SameAs(x4));
    }

    [Test]
    public void DropoutWithPOneGivesZerosAndZeroGradient()
    {
        var x = TestUtil.Randn(5, 4, 5).RequiresGrad_();
        var y = Functional.Dropout(x, 1f, true, new Generator(1));
        Assert.That(y.ToArray(), Is.All.EqualTo(0f));
        y.Backward(TestUtil.Randn(6, 4, 5));
        Assert.That(x.Grad!.ToArray(), Is.All.EqualTo(0f));
    }

    [Test]
    public void DropoutGradientUsesTheForwardMask()
    {
        const float p = 0.35f;
        var x = (TestUtil.Randn(7, 50, 40) + 5f).RequiresGrad_();
        var y = Functional.Dropout(x, p, true, new Generator(99));
        var gy = TestUtil.Randn(8, 50, 40);
        y.Backward(gy);
        float scale = 1f / (1f - p);
        var ys = y.Data;
        var gs = gy.Data;
        var gx = x.Grad!.Data;
        int zeros = 0;
        for (int i = 0; i < ys.Length; i++)
        {
            float expected = ys[i] == 0f ? 0f : gs[i] * scale;
            if (ys[i] == 0f) zeros++;
            Assert.That(gx[i], Is.EqualTo(expected), $"element {i}");
        }
        Assert.That(zeros, Is.GreaterThan(0).And.LessThan(ys.Length));
    }

    [Test]
    public void DropoutGradCheck()
    {
        GradCheck.Check(t => Functional.Dropout(t[0], 0.4f, true, new Generator(3)), new[] { TestUtil.Randn(9, 3, 5).Detach() });
        GradCheck.Check(t => Functional.Dropout2d(t[0], 0.4f, true, new Generator(4)), new[] { TestUtil.Randn(10, 2, 4, 2, 3).Detach() });
    }

    [Test]
    public void Dropout2dZeroesWholeChannels()
    {
        const float p = 0.3f;
        int n = 40, c = 50, h = 3, w = 4;
        var x = TestUtil.Randn(11, n, c, h, w) + 10f;
        var y = Functional.Dropout2d(x, p, true, new Generator(5));
        float scale = 1f / (1f - p);
        int zeroPlanes = 0;
        for (int plane = 0; plane < n * c; plane++)
        {
            var ys = y.Data.Slice(plane * h * w, h * w);
            var xs = x.Data.Slice(plane * h * w, h * w);
            bool dropped = ys[0] == 0f;
            if (dropped) zeroPlanes++;
            for (int i = 0; i < ys.Length; i++)
                Assert.That(ys[i], Is.EqualTo(dropped ? 0f : xs[i] * scale), $"plane {plane}, element {i}");
        }
        AssertBinomial(zeroPlanes, n * c, p);
    }

    [Test]
    public void Dropout2dAcceptsUnbatchedInputAndReusesMaskInBackward()
    {
        var x = (TestUtil.Randn(12, 64, 2, 2) + 5f).RequiresGrad_();
        var y = Functional.Dropout2d(x, 0.5f, true, new Generator(6));
        y.Backward(Tensor.OnesLike(y));
        var ys = y.Data;
        var gx = x.Grad!.Data;
        for (int i = 0; i < ys.Length; i++) Assert.That(gx[i], Is.EqualTo(ys[i] == 0f ? 0f : 2f));
        for (int ch = 0; ch < 64; ch++)
        {
            var plane = ys.Slice(ch * 4, 4).ToArray();
            Assert.That(plane.All(v => v == 0f) || plane.All(v => v != 0f), Is.True, $"channel {ch} must be dropped as a whole");
        }
    }

    [Test]
    public void DropoutRejectsBadProbabilityAndShape()
    {
        var x = TestUtil.Randn(13, 2, 3, 4, 4);
        foreach (float p in new[] { -0.1f, 1.1f, float.NaN })
        {
            var ex = Assert.Throws<ArgumentException>(() => Functional.Dropout(x, p, true))!;
            Assert.That(ex.ParamName, Is.EqualTo("p"));
            ex = Assert.Throws<ArgumentException>(() => Functional.Dropout2d(x, p, true))!;
            Assert.That(ex.ParamName, Is.EqualTo("p"));
        }
        var e2 = Assert.Throws<ArgumentException>(() => Functional.Dropout2d(TestUtil.Randn(14, 2, 3), 0.5f, true))!;
        Assert.That(e2.ParamName, Is.EqualTo("x"));
        Assert.That(e2.Message, Does.Contain("(2, 3)"));
    }
}
