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
    /// The fast construction (SIMD elevation, packed keys, partitions numbered privately then merged) must give the
    /// very lattice of the sequential reference construction: the same vertices in the same order, weights,
    /// neighbours and filter output, bit for bit, for any number of partitions, with the vertex table chosen by the key
    /// box's size, hashed, or indexed directly by key (where the box has at most 2^28 cells).
    /// </summary>
    [TestCase(61, 47, 2, 3f, 1f, 1)]
    [TestCase(61, 47, 2, 3f, 1f, 3)]
    [TestCase(33, 20, 2, 1f, 1f, 2)]
    [TestCase(17, 9, 2, 80f, 1f, 2)]
    [TestCase(40, 30, 2, 0.3f, 1f, 4)]
    [TestCase(37, 23, 5, 20f, 13f, 1)]
    [TestCase(37, 23, 5, 20f, 13f, 3)]
    [TestCase(64, 48, 5, 80f, 13f, 2)]
    [TestCase(50, 31, 5, 3f, 1.5f, 5)]
    [TestCase(16, 12, 2, 2e-6f, 1f, 2)] // elevated values beyond float's exact range: the double-precision lanes
    [TestCase(16, 12, 5, 3f, 1e-3f, 2)] // the key box exceeds 62 bits: the reference construction is used
    [TestCase(29, 7, 4, 5f, 7f, 2)]
    [TestCase(20, 15, 5, 0.05f, 0.3f, 2)] // a key box of ~10^16 cells: too large for keys in double lanes, packed lane by lane
    public void FastBuildEqualsReferenceBuild(int w, int h, int d, float s, float sc, int partitions)
    {
        bool expectFast = sc > 0.01f;
        float[] f = Features(w, h, s, d - 2, sc, 13);
        var reference = new PermutohedralLattice(new LatticeFeatures.Points(f, d), pooled: false, reference: true);
        Assert.That(reference.UsesReferenceBuild, Is.True);
        var v = new float[w * h * 3];
        new Generator(11).FillUniform(v);
        var b = new float[v.Length];
        reference.Filter(v, b, 3);
        foreach (bool? direct in new bool?[] { null, false, true })
        {
            var fast = new PermutohedralLattice(new LatticeFeatures.Points(f, d), pooled: false, partitions: partitions, directKeys: direct);
            string how = direct is null ? "automatic table" : direct.Value ? "direct table" : "hashed table";
            Assert.That(fast.UsesReferenceBuild, Is.EqualTo(!expectFast), how);
            if (expectFast && direct == false) Assert.That(fast.UsesDirectKeys, Is.False, how);
            if (direct == true && d == 2 && s >= 0.3f) Assert.That(fast.UsesDirectKeys, Is.True, how);
            Assert.That(fast.VertexCount, Is.EqualTo(reference.VertexCount), how);
            Assert.That(fast.Offsets, Is.EqualTo(reference.Offsets), how);
            Assert.That(fast.Weights, Is.EqualTo(reference.Weights), how);
            Assert.That(fast.Neighbors, Is.EqualTo(reference.Neighbors), how);
            var a = new float[v.Length];
            fast.Filter(v, a, 3);
            Assert.That(a, Is.EqualTo(b), how);
        }
    }

    /// <summary>The smoothness kernel's (x, y) lattice of a photo-sized image takes the direct vertex table by itself.</summary>
    [Test]
    public void SmoothnessLatticeIndexesItsVerticesDirectly()
    {
        var gauss = new PermutohedralLattice(new LatticeFeatures.Image(500, 375, 3f, 3f, null, null, []), pooled: false);
        Assert.That(gauss.UsesDirectKeys, Is.True);
        Assert.That(gauss.VertexCount, Is.EqualTo(24540), "the spec's vertex count for 500×375 at sxy 3 (section 3.6)");
    }

    /// <summary>The image features computed on the fly equal the pixel-major features the public API builds.</summary>
    [Test]
    public void ImageFeaturesEqualMaterialisedFeatures()
    {
        const int w = 23, h = 11, c = 3;
        var img = new byte[w * h * c];
        new Random(5).NextBytes(img);
        float[] sc = [13f, 7.5f, 0.3f];
        var f = new float[w * h * (2 + c)];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                int i = y * w + x, o = i * (2 + c);
                f[o] = x / 80f;
                f[o + 1] = y / 3f;
                for (int k = 0; k < c; k++) f[o + 2 + k] = img[i * c + k] / sc[k];
            }
        }

        var fromImage = new PermutohedralLattice(new LatticeFeatures.Image(w, h, 80f, 3f, img, null, sc), pooled: false, partitions: 2);
        var fromArray = new PermutohedralLattice(f, 2 + c);
        Assert.That(fromImage.Offsets, Is.EqualTo(fromArray.Offsets));
        Assert.That(fromImage.Weights, Is.EqualTo(fromArray.Weights));
        Assert.That(fromImage.Neighbors, Is.EqualTo(fromArray.Neighbors));
    }
}
