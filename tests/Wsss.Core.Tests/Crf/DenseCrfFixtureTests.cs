using Wsss.Core.Crf;
using Wsss.Core.IO;

namespace Wsss.Core.Tests.Crf;

/// <summary>
/// Agreement with pydensecrf (densecrf 2.2) on the shared fixture cases (Fixtures/crf, re-packed by
/// pack_crf_fixtures.py): after 1 iteration max |ΔQ| &lt; 1e-5; after 10 max |ΔQ| &lt; 1e-3 and ≥ 99.99 % equal labels.
/// </summary>
public class DenseCrfFixtureTests
{
    internal static IReadOnlyDictionary<string, NpyArray> Load(string name) => Npz.Read(TestUtil.FixturePath("crf", name + ".npz"));

    /// <summary>Max |a − e| between pixel-major padded marginals and label-major (L, N) expectations.</summary>
    internal static double MaxDiff(float[] pixelMajor, int lp, float[] labelMajor, int labels, int n)
    {
        double worst = 0;
        for (int l = 0; l < labels; l++)
        {
            for (int i = 0; i < n; i++) worst = Math.Max(worst, Math.Abs(pixelMajor[i * lp + l] - labelMajor[l * n + i]));
        }

        return worst;
    }

    internal static double MaxDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> e)
    {
        Assert.That(a.Length, Is.EqualTo(e.Length));
        double worst = 0;
        for (int i = 0; i < a.Length; i++) worst = Math.Max(worst, Math.Abs(a[i] - e[i]));
        return worst;
    }

    internal static double Agreement(int[] map, byte[] expected)
    {
        int same = 0;
        for (int i = 0; i < map.Length; i++) same += map[i] == expected[i] ? 1 : 0;
        return (double)same / map.Length;
    }

    private static DenseCrf Build(IReadOnlyDictionary<string, NpyArray> f, int labels, float gs, float gc, float bs, float br, float bc)
    {
        var image = f["image"];
        int h = image.Shape[0], w = image.Shape[1];
        var crf = new DenseCrf(w, h, labels);
        crf.SetUnaryEnergy(f["unary"].ToFloat32());
        crf.AddPairwiseGaussian(gs, gs, LabelCompatibility.Potts(gc));
        crf.AddPairwiseBilateral(bs, bs, [br], image.ToUInt8(), 3, LabelCompatibility.Potts(bc));
        return crf;
    }

    [TestCase("c64x48_L5_psa", 5, 3f, 3f, 80f, 13f, 10f, 454, 1204)]
    [TestCase("c64x48_L5_irn", 5, 3f, 3f, 50f, 5f, 10f, 454, 5362)]
    [TestCase("c64x48_L5_dlpt", 5, 1f, 3f, 67f, 3f, 4f, 3590, 8556)]
    [TestCase("c64x48_L2_psa", 2, 3f, 3f, 80f, 13f, 10f, 454, 1204)]
    [TestCase("c64x48_L21_psa", 21, 3f, 3f, 80f, 13f, 10f, 454, 1204)]
    public void MatchesPydensecrf(string name, int labels, float gs, float gc, float bs, float br, float bc, int gaussVertices, int bilatVertices)
    {
        var f = Load(name);
        var crf = Build(f, labels, gs, gc, bs, br, bc);
        int n = crf.PixelCount;

        var q1 = crf.Inference(1);
        double d1 = MaxDiff(q1.Data, f["Q1"].ToFloat32());
        var q10 = crf.Inference(10);
        double d10 = MaxDiff(q10.Data, f["Q10"].ToFloat32());
        double agree = Agreement(crf.CurrentMap(), f["map10"].ToUInt8());
        TestContext.Out.WriteLine($"{name}: max|dQ1| {d1:E2}, max|dQ10| {d10:E2}, labels {agree:P3}");
        Assert.Multiple(() =>
        {
            Assert.That(crf.GetLattice(0).VertexCount, Is.EqualTo(gaussVertices), "gaussian lattice vertices");
            Assert.That(crf.GetLattice(1).VertexCount, Is.EqualTo(bilatVertices), "bilateral lattice vertices");
            Assert.That(d1, Is.LessThan(1e-5), "Q1");
            Assert.That(d10, Is.LessThan(1e-3), "Q10");
            Assert.That(agree, Is.GreaterThanOrEqualTo(0.9999), "map10");
        });

        // Normalisers and first-iteration messages against the float64 re-implementation.
        TestUtil.AssertClose(crf.GetPre(0), f["ref_norm_gauss"].ToFloat32(), 2e-6, 0, "norm gauss");
        TestUtil.AssertClose(crf.GetPre(1), f["ref_norm_bilat"].ToFloat32(), 2e-6, 0, "norm bilat");
        crf.StartInference();
        var msg = new float[n * crf.PaddedLabels];
        string[] refs = ["ref_msg_gauss_from_Q0", "ref_msg_bilat_from_Q0"];
        for (int k = 0; k < 2; k++)
        {
            crf.ComputeMessage(k, msg);
            float[] expected = f[refs[k]].ToFloat32();
            double worst = 0;
            for (int l = 0; l < labels; l++)
            {
                for (int i = 0; i < n; i++)
                {
                    double e = expected[l * n + i];
                    worst = Math.Max(worst, Math.Abs(msg[i * crf.PaddedLabels + l] - e) / (1 + Math.Abs(e)));
                }
            }

            Assert.That(worst, Is.LessThan(2e-6), refs[k]);
        }
    }

    [Test]
    public void IntermediateIterationsAndStepApiMatch()
    {
        var f = Load("c64x48_L5_psa");
        var crf = Build(f, 5, 3, 3, 80, 13, 10);
        Assert.That(MaxDiff(crf.Inference(0).Data, f["Q0"].ToFloat32()), Is.LessThan(1e-6), "Q0");
        Assert.That(MaxDiff(crf.Inference(2).Data, f["Q2"].ToFloat32()), Is.LessThan(1e-4), "Q2");
        crf.StartInference();
        for (int i = 0; i < 5; i++) crf.StepInference();
        Assert.That(MaxDiff(crf.CurrentQ().Data, f["Q5"].ToFloat32()), Is.LessThan(1e-3), "Q5 via steps");
    }

    [Test]
    public void UnaryFromSoftmaxMatchesTheFixtureUnary()
    {
        var f = Load("c64x48_L5_psa");
        var probs = f["probs"].ToTensor();
        var u = CrfUnary.FromSoftmax(probs);
        TestUtil.AssertClose(u.Data, f["unary"].ToFloat32(), 1e-6, 1e-6, "unary_from_softmax");
    }

    [Test]
    public void LargeImageFromLabelsMatches()
    {
        var f = Load("c500x375_L5_irnlabels");
        var image = f["image"];
        int h = image.Shape[0], w = image.Shape[1], n = h * w;
        var crf = new DenseCrf(w, h, 5);
        crf.SetUnaryEnergy(CrfUnary.FromLabels(f["labels_in"].ToInt32(), h, w, 5, 0.7, zeroUnsure: false));
        crf.AddPairwiseGaussian(3, 3, LabelCompatibility.Potts(3));
        crf.AddPairwiseBilateral(50, 50, [5f], image.ToUInt8(), 3, LabelCompatibility.Potts(10));
        int[] pixels = f["pixels"].ToInt32();
        foreach (var (iters, qName, mapName, tol) in new[] { (1, "Q1_sampled", "map1", 1e-5), (10, "Q10_sampled", "map10", 1e-3) })
        {
            var q = crf.Inference(iters).Data;
            float[] expected = f[qName].ToFloat32();
            double worst = 0;
            for (int l = 0; l < 5; l++)
            {
                for (int s = 0; s < pixels.Length; s++)
                    worst = Math.Max(worst, Math.Abs(q[l * n + pixels[s]] - expected[l * pixels.Length + s]));
            }

            double agree = Agreement(crf.CurrentMap(), f[mapName].ToUInt8());
            TestContext.Out.WriteLine($"500x375 irn labels, {iters} it: max|dQ| {worst:E2} on {pixels.Length} pixels, labels {agree:P4}");
            Assert.That(worst, Is.LessThan(tol), qName);
            Assert.That(agree, Is.GreaterThanOrEqualTo(0.9999), mapName);
        }
    }

    [Test]
    public void PydensecrfOwnTestCaseMatches()
    {
        var f = Load("pytest");
        var image = f["image"];
        int h = image.Shape[0], w = image.Shape[1];
        float[] unary = f["unary"].ToFloat32();

        var crf2d = new DenseCrf(w, h, 2);
        crf2d.SetUnaryEnergy(unary);
        crf2d.AddPairwiseBilateral(2, 2, [2f], image.ToUInt8(), 3, LabelCompatibility.Potts(3));
        double d2d = MaxDiff(crf2d.Inference(10).Data, f["dcrf2d_Q10"].ToFloat32());

        var generic = new DenseCrf(w, h, 2);
        generic.SetUnaryEnergy(unary);
        generic.AddPairwiseEnergy(f["features_generic"].ToTensor(), LabelCompatibility.Potts(3));
        double dyx = MaxDiff(generic.Inference(10).Data, f["dcrf_generic_yx_Q10"].ToFloat32());
        TestContext.Out.WriteLine($"pytest: dcrf2d {d2d:E2}, generic yx {dyx:E2}");
        Assert.That(d2d, Is.LessThan(1e-3));
        Assert.That(dyx, Is.LessThan(1e-3));
        int[] map = crf2d.CurrentMap();
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
                Assert.That(map[y * w + x], Is.EqualTo(y is >= 2 and <= 7 && x is >= 2 and <= 7 ? 1 : 0), $"map at ({y}, {x})");
        }
    }
}
