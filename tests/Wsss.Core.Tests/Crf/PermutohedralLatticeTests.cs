using Wsss.Core.Crf;
using Wsss.Core.Tensors;

namespace Wsss.Core.Tests.Crf;

public class PermutohedralLatticeTests
{
    /// <summary>Features of a W×H image: (x/s, y/s) plus <paramref name="channels"/> smooth random channels / sc.</summary>
    private static float[] Features(int w, int h, float s, int channels, float sc, ulong seed)
    {
        int d = 2 + channels;
        var rng = new Generator(seed);
        var f = new float[w * h * d];
        var phase = new float[channels * 2];
        rng.FillUniform(phase);
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                int i = (y * w + x) * d;
                f[i] = x / s;
                f[i + 1] = y / s;
                for (int c = 0; c < channels; c++)
                    f[i + 2 + c] = (float)(127.5 + 100 * Math.Sin(0.3 * x * (1 + phase[2 * c]) + 0.2 * y * (1 + phase[2 * c + 1]))) / sc;
            }
        }

        return f;
    }

    private static double[] Exact(float[] f, int d, float[] v)
    {
        int n = f.Length / d;
        var r = new double[n];
        for (int i = 0; i < n; i++)
        {
            double s = 0;
            for (int j = 0; j < n; j++)
            {
                double d2 = 0;
                for (int k = 0; k < d; k++)
                {
                    double t = f[i * d + k] - f[j * d + k];
                    d2 += t * t;
                }

                s += Math.Exp(-0.5 * d2) * v[j];
            }

            r[i] = s;
        }

        return r;
    }

    /// <summary>
    /// The lattice approximates Σ_j exp(−½‖f_i − f_j‖²) v_j, and only roughly: densecrf's construction
    /// (which we reproduce exactly) under-estimates the un-normalised sum, more so as d grows.
    /// Accepted error, measured on these inputs (d=2: 0.011 / [0.77, 0.89]; d=3: 0.100 / [0.39, 0.85];
    /// d=5: 0.096 / [0.26, 0.61]) plus margin: the normalised filter K v / K 1 (what a normalised CRF
    /// kernel effectively averages) within <paramref name="meanTol"/> of the exact weighted mean for values
    /// in [0, 1], and K 1 within [<paramref name="minRatio"/>, 1] times the exact sum.
    /// </summary>
    [TestCase(2, 0, 3f, 1f, 0.02, 0.7)]
    [TestCase(3, 1, 4f, 20f, 0.12, 0.3)]
    [TestCase(5, 3, 5f, 30f, 0.12, 0.2)]
    public void FilterApproximatesTheExactGaussianSum(int d, int channels, float s, float sc, double meanTol, double minRatioTol)
    {
        const int w = 24, h = 20;
        float[] f = Features(w, h, s, channels, sc, 7);
        int n = w * h;
        var v = new float[n];
        new Generator(3).FillUniform(v);
        var ones = Enumerable.Repeat(1f, n).ToArray();
        var lattice = new PermutohedralLattice(f, d);
        var kv = new float[n];
        var k1 = new float[n];
        lattice.Filter(v, kv, 1);
        lattice.Filter(ones, k1, 1);
        double[] ev = Exact(f, d, v), e1 = Exact(f, d, ones);
        double worstMean = 0, minRatio = double.MaxValue, maxRatio = 0;
        for (int i = 0; i < n; i++)
        {
            worstMean = Math.Max(worstMean, Math.Abs(kv[i] / k1[i] - ev[i] / e1[i]));
            minRatio = Math.Min(minRatio, k1[i] / e1[i]);
            maxRatio = Math.Max(maxRatio, k1[i] / e1[i]);
        }

        TestContext.Out.WriteLine($"d={d}: vertices {lattice.VertexCount}, max |normalised error| {worstMean:F4}, K1 lattice/exact in [{minRatio:F3}, {maxRatio:F3}]");
        Assert.That(worstMean, Is.LessThan(meanTol));
        Assert.That(minRatio, Is.GreaterThan(minRatioTol));
        Assert.That(maxRatio, Is.LessThanOrEqualTo(1.0));
    }

    [Test]
    public void ConstantsAndVertexSetOfASinglePoint()
    {
        var lattice = new PermutohedralLattice([0f, 0f], 2);
        Assert.That(lattice.VertexCount, Is.EqualTo(3));
        Assert.That(lattice.Alpha, Is.EqualTo(0.8f));
        Assert.That(new PermutohedralLattice(new float[5], 5).Alpha, Is.EqualTo(32f / 33f).Within(1e-7));
        Assert.That(lattice.Weights.Sum(), Is.EqualTo(1f).Within(1e-6));
    }

    [Test]
    public void BadInputIsRejected()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => new PermutohedralLattice([], 2), Throws.InstanceOf<ArgumentException>().With.Property("ParamName").EqualTo("features"));
            Assert.That(() => new PermutohedralLattice([1f, 2f, 3f], 2), Throws.InstanceOf<ArgumentException>().With.Property("ParamName").EqualTo("features"));
            Assert.That(() => new PermutohedralLattice([1f, float.NaN], 2), Throws.InstanceOf<ArgumentException>().With.Property("ParamName").EqualTo("features"));
            Assert.That(() => new PermutohedralLattice([1f, 2f], 0), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("dimensions"));
            Assert.That(() => new PermutohedralLattice([1e30f, 2f], 2), Throws.InstanceOf<ArgumentException>().With.Property("ParamName").EqualTo("features"));
        });
    }

    [Test]
    public void HugeFeatureValuesDoNotCorruptTheLattice()
    {
        // srgb = 1e-8 (pydensecrf #98 crashes): every distinct colour is its own isolated vertex set.
        float[] f = Features(16, 12, 3f, 3, 1e-8f, 5);
        var lattice = new PermutohedralLattice(f, 5);
        var ones = Enumerable.Repeat(1f, 16 * 12).ToArray();
        var k1 = new float[ones.Length];
        lattice.Filter(ones, k1, 1);
        Assert.That(k1.All(float.IsFinite), Is.True);
        Assert.That(k1.Min(), Is.GreaterThan(0f));
    }

    /// <summary>
    /// The smoothness kernel's regular (x, y) lattice is indexed directly (no hash table); it must be the very
    /// same lattice: the same vertices in the same order, weights, neighbours and filter output, bit for bit.
    /// </summary>
    [TestCase(61, 47, 3f, 3f, true)]
    [TestCase(33, 20, 1f, 2.5f, true)]
    [TestCase(17, 9, 80f, 80f, true)]
    [TestCase(40, 30, 0.3f, 0.7f, false)] // the key box is too sparse: the hash table is kept
    public void DenseIndexLatticeEqualsHashTableLattice(int w, int h, float sx, float sy, bool expectDense)
    {
        var f = new float[w * h * 2];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                f[2 * (y * w + x)] = x / sx;
                f[2 * (y * w + x) + 1] = y / sy;
            }
        }

        var dense = new PermutohedralLattice(f, 2);
        var hashed = new PermutohedralLattice(f, 2, allowDenseIndex: false);
        Assert.That(dense.UsesDenseIndex, Is.EqualTo(expectDense));
        Assert.That(hashed.UsesDenseIndex, Is.False);
        Assert.That(dense.VertexCount, Is.EqualTo(hashed.VertexCount));
        Assert.That(dense.Offsets, Is.EqualTo(hashed.Offsets));
        Assert.That(dense.Weights, Is.EqualTo(hashed.Weights));
        Assert.That(dense.Neighbors, Is.EqualTo(hashed.Neighbors));
        var v = new float[w * h * 3];
        new Generator(11).FillUniform(v);
        var a = new float[v.Length];
        var b = new float[v.Length];
        dense.Filter(v, a, 3);
        hashed.Filter(v, b, 3);
        Assert.That(a, Is.EqualTo(b));
    }
}
