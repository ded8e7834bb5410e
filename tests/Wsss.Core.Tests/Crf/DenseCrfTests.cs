using Wsss.Core.Crf;
using Wsss.Core.Tensors;

namespace Wsss.Core.Tests.Crf;

/// <summary>Behaviour beyond the fixtures: compatibilities, normalisation modes, API contracts and bad input.</summary>
public class DenseCrfTests
{
    private const int W = 37, H = 23; // N = 851, not a multiple of 4

    private static Tensor Probs(int labels, ulong seed)
    {
        var logits = TestUtil.Randn(seed, labels, H, W);
        var p = Tensor.Zeros(labels, H, W);
        Span<float> l = logits.Data, d = p.Data;
        int n = H * W;
        for (int i = 0; i < n; i++)
        {
            double sum = 0;
            for (int k = 0; k < labels; k++) sum += Math.Exp(2 * l[k * n + i]);
            for (int k = 0; k < labels; k++) d[k * n + i] = (float)(Math.Exp(2 * l[k * n + i]) / sum);
        }

        return p;
    }

    private static byte[] Image(int channels, ulong seed)
    {
        var bytes = new byte[H * W * channels];
        var g = new Generator(seed);
        var noise = new float[bytes.Length];
        g.FillUniform(noise, 0, 40);
        for (int y = 0; y < H; y++)
        {
            for (int x = 0; x < W; x++)
            {
                for (int c = 0; c < channels; c++)
                {
                    int i = (y * W + x) * channels + c;
                    bytes[i] = (byte)Math.Clamp((x < W / 2 ? 60 : 190) + 20 * c + noise[i], 0, 255);
                }
            }
        }

        return bytes;
    }

    private static DenseCrf Crf(int labels, LabelCompatibility gauss, LabelCompatibility bilat, CrfNormalization norm = CrfNormalization.Symmetric, int channels = 3)
    {
        var crf = new DenseCrf(W, H, labels);
        crf.SetUnaryFromProbabilities(Probs(labels, 1));
        crf.AddPairwiseGaussian(3, 3, gauss, norm);
        crf.AddPairwiseBilateral(20, 20, [13f], Image(channels, 2), channels, bilat, norm);
        return crf;
    }

    private static void AssertRowsSumToOne(Tensor q)
    {
        int l = q.Size(0), n = q.Numel / l;
        ReadOnlySpan<float> d = q.Data;
        for (int i = 0; i < n; i++)
        {
            double s = 0;
            for (int k = 0; k < l; k++)
            {
                Assert.That(float.IsFinite(d[k * n + i]) && d[k * n + i] >= 0, Is.True);
                s += d[k * n + i];
            }

            Assert.That(s, Is.EqualTo(1).Within(1e-5));
        }
    }

    [Test]
    public void ParallelInferenceIsDeterministic()
    {
        // 256×192 pixels: two splat partitions on two or more cores. Every run must give the same bits (a partition
        // splatting into another's buffer made the sums order- and timing-dependent).
        const int w = 256, h = 192, l = 21;
        var g = new Generator(11);
        var image = new byte[w * h * 3];
        for (int i = 0; i < image.Length; i++) image[i] = (byte)(128 + 100 * MathF.Sin(0.05f * (i / 3 % w) + 0.07f * (i / 3 / w) + i % 3) + 20 * g.NextFloat());
        var probs = (Tensor.Randn(new[] { l, h, w }, g) * 3f).Softmax(0);
        float[]? first = null;
        for (int run = 0; run < 6; run++)
        {
            using var crf = new DenseCrf(w, h, l);
            crf.SetUnaryFromProbabilities(probs);
            crf.AddPairwiseGaussian(3, 3);
            crf.AddPairwiseBilateral(80, 13, image, 3, 10);
            float[] q = crf.Inference(5).ToArray();
            if (first is null) first = q;
            else Assert.That(q, Is.EqualTo(first), $"run {run} differs from run 0");
        }
    }

    [Test]
    public void PottsDiagonalAndMatrixCompatibilitiesAgree()
    {
        const int L = 4;
        var potts = Crf(L, 3f, 10f).Inference(5);
        var diag = Crf(L, LabelCompatibility.Diagonal([-3f, -3f, -3f, -3f]), LabelCompatibility.Diagonal([-10f, -10f, -10f, -10f])).Inference(5);
        float[] m3 = new float[L * L], m10 = new float[L * L];
        for (int i = 0; i < L; i++) { m3[i * L + i] = -3; m10[i * L + i] = -10; }
        var matrix = Crf(L, LabelCompatibility.Matrix(m3, L), LabelCompatibility.Matrix(m10, L)).Inference(5);
        TestUtil.AssertClose(diag, potts, 0, 2e-6, "diagonal vs potts");
        TestUtil.AssertClose(matrix, potts, 0, 2e-6, "matrix vs potts");
    }

    [Test]
    public void ThreeAndOnePottsTermsAgreeWithTheGenericKernels()
    {
        // Potts terms take the register kernels (two terms hoisted, more through the term loop); a diagonal
        // compatibility with the same weights takes the generic per-pixel path for every term.
        foreach (int terms in new[] { 1, 3 })
        {
            const int L = 5;
            DenseCrf Make(bool potts)
            {
                LabelCompatibility C(float w) => potts ? LabelCompatibility.Potts(w) : LabelCompatibility.Diagonal(Enumerable.Repeat(-w, L).ToArray());
                var crf = new DenseCrf(W, H, L);
                crf.SetUnaryFromProbabilities(Probs(L, 3));
                crf.AddPairwiseBilateral(20, 20, [13f], Image(3, 2), 3, C(4f));
                if (terms == 3)
                {
                    crf.AddPairwiseGaussian(3, 3, C(3f));
                    crf.AddPairwiseGaussian(1.5f, 2.5f, C(2f));
                }

                return crf;
            }

            var fast = Make(potts: true).Inference(5);
            var generic = Make(potts: false).Inference(5);
            TestUtil.AssertClose(fast, generic, 0, 2e-6, $"{terms} term(s): register vs generic kernels");
            AssertRowsSumToOne(fast);
        }
    }

    [Test]
    public void InferenceHandsOverQWithoutLaterStepsTouchingIt()
    {
        var crf = Crf(4, 3f, 10f);
        float[] scoped;
        using (TensorScope.Begin())
        {
            scoped = crf.Inference(5).ToArray();
        }

        // The scope disposed the returned tensor; the CRF's own reference keeps its Q.
        Assert.That(crf.CurrentQ().ToArray(), Is.EqualTo(scoped), "Q survives the scope of the returned tensor");
        var q5 = crf.Inference(5);
        float[] before = q5.ToArray();
        Assert.That(before, Is.EqualTo(scoped));
        int[] map = crf.CurrentMap();
        int n = W * H;
        for (int i = 0; i < n; i++)
        {
            int best = 0;
            for (int k = 1; k < 4; k++) if (before[k * n + i] > before[best * n + i]) best = k;
            Assert.That(map[i], Is.EqualTo(best), $"CurrentMap reads the returned marginals (pixel {i})");
        }

        Assert.That(crf.CurrentQ().ToArray(), Is.EqualTo(before), "CurrentQ equals the returned marginals");
        crf.StepInference();
        Assert.That(q5.ToArray(), Is.EqualTo(before), "a later step writes to new memory");
        var q6 = crf.CurrentQ();
        Assert.That(q6.ToArray(), Is.Not.EqualTo(before), "the step did run");
        Assert.That(q6.ToArray(), Is.EqualTo(Crf(4, 3f, 10f).Inference(6).ToArray()), "a step from the handed-over Q equals a sixth iteration");
        var again = crf.Inference(5);
        Assert.That(again.ToArray(), Is.EqualTo(before), "Inference restarts from softmax(-U)");
        Assert.That(q5.ToArray(), Is.EqualTo(before), "a second Inference leaves the first result alone");
        crf.Dispose();
        Assert.That(again.ToArray(), Is.EqualTo(before), "the returned marginals outlive the CRF");
        Assert.That(q5.ToArray(), Is.EqualTo(before));
    }

    [TestCase(21)]
    [TestCase(2)]
    public void StepsFromTheHandedOverQMatchAFreshInferenceAcrossPartitions(int labels)
    {
        // N = 16637: two splat partitions, and a last block of 5 pixels. With 2 labels Q is handed over as a tight
        // L·N array (the rows' padding would waste most of it); with 21 labels the rows' array itself.
        const int w = 131, h = 127;
        var probs = (Tensor.Randn(new[] { labels, h, w }, new Generator(5)) * 2f).Softmax(0);
        var image = new byte[w * h * 3];
        for (int i = 0; i < image.Length; i++) image[i] = (byte)((i * 37 + i / 393 * 11) & 255);
        DenseCrf Make()
        {
            var crf = new DenseCrf(w, h, labels);
            crf.SetUnaryFromProbabilities(probs);
            crf.AddPairwiseGaussian(3, 3);
            crf.AddPairwiseBilateral(20, 13, image, 3, 5);
            return crf;
        }

        var a = Make();
        var q3 = a.Inference(3);
        int n = w * h;
        if (labels == 2) Assert.That(q3.Storage.Array.Length, Is.LessThan(labels * n * 1.5 + 4096), "a tight result, not the padded rows' array");
        float[] q3Values = q3.ToArray();
        a.StepInference();
        Assert.That(a.CurrentQ().ToArray(), Is.EqualTo(Make().Inference(4).ToArray()), "a step from the handed-over Q");
        Assert.That(q3.ToArray(), Is.EqualTo(q3Values), "the returned marginals stay as they were");
    }

    [Test]
    public void MatrixCompatibilityIsSymmetrised()
    {
        const int L = 3;
        float[] m = [-1, 2, 0.5f, -3, -2, 1, 4, 0, -5];
        float[] mt = new float[9];
        for (int i = 0; i < L; i++) for (int j = 0; j < L; j++) mt[i * L + j] = m[j * L + i];
        var a = Crf(L, 3f, LabelCompatibility.Matrix(m, L)).Inference(3);
        var b = Crf(L, 3f, LabelCompatibility.Matrix(mt, L)).Inference(3);
        TestUtil.AssertClose(a, b, 0, 1e-6, "M vs M^T");
    }

    [TestCase(CrfNormalization.Symmetric)]
    [TestCase(CrfNormalization.After)]
    [TestCase(CrfNormalization.Before)]
    [TestCase(CrfNormalization.None)]
    public void NormalisationModesFilterAsTheReference(CrfNormalization mode)
    {
        // One Potts(1) kernel: message = post ⊙ K(pre ⊙ Q) with K the lattice filter (α included).
        const int L = 3;
        var crf = new DenseCrf(W, H, L);
        crf.SetUnaryFromProbabilities(Probs(L, 4));
        crf.AddPairwiseGaussian(3, 3, 1f, mode);
        crf.StartInference();
        int n = W * H, lp = crf.PaddedLabels;
        var msg = new float[n * lp];
        crf.ComputeMessage(0, msg);

        var f = new float[n * 2];
        for (int y = 0; y < H; y++) for (int x = 0; x < W; x++) { f[2 * (y * W + x)] = x / 3f; f[2 * (y * W + x) + 1] = y / 3f; }
        var lattice = new PermutohedralLattice(f, 2);
        var ones = Enumerable.Repeat(1f, n).ToArray();
        var k1 = new float[n];
        lattice.Filter(ones, k1, 1);
        float[] q = crf.CurrentQ().ToArray();
        var pre = new float[n * L];
        for (int i = 0; i < n; i++)
        {
            double norm = mode == CrfNormalization.Symmetric ? 1 / Math.Sqrt(k1[i] + 1e-20) : 1 / (k1[i] + 1e-20);
            double a = mode is CrfNormalization.Symmetric or CrfNormalization.Before ? norm : 1;
            for (int k = 0; k < L; k++) pre[i * L + k] = (float)(a * q[k * n + i]);
        }

        var filtered = new float[n * L];
        lattice.Filter(pre, filtered, L);
        double worst = 0;
        for (int i = 0; i < n; i++)
        {
            double norm = mode == CrfNormalization.Symmetric ? 1 / Math.Sqrt(k1[i] + 1e-20) : 1 / (k1[i] + 1e-20);
            double b = mode is CrfNormalization.Symmetric or CrfNormalization.After ? norm : 1;
            for (int k = 0; k < L; k++) worst = Math.Max(worst, Math.Abs(msg[i * lp + k] - b * filtered[i * L + k]) / (1 + Math.Abs(b * filtered[i * L + k])));
        }

        Assert.That(worst, Is.LessThan(2e-6));
    }

    [Test]
    public void StepApiEqualsInferenceAndKlBehaves()
    {
        var crf = Crf(5, 3f, 10f);
        var q10 = crf.Inference(10);
        crf.StartInference();
        double kl0 = crf.KlDivergence();
        for (int i = 0; i < 10; i++) crf.StepInference();
        TestUtil.AssertClose(crf.CurrentQ(), q10, 0, 0, "steps vs Inference(10)");
        double kl10 = crf.KlDivergence();
        Assert.That(double.IsFinite(kl0) && double.IsFinite(kl10), Is.True);
        Assert.That(kl10, Is.LessThan(kl0), "mean field lowers the KL divergence here");

        // Without pairwise terms, KL(softmax(−U)) = −Σ_i log Z_i.
        var unaryOnly = new DenseCrf(W, H, 3);
        var energies = TestUtil.Randn(9, 3, H, W);
        unaryOnly.SetUnaryEnergy(energies);
        unaryOnly.StartInference();
        var u = energies.Data;
        int n = W * H;
        double expected = 0;
        for (int i = 0; i < n; i++)
        {
            double z = 0;
            for (int k = 0; k < 3; k++) z += Math.Exp(-u[k * n + i]);
            expected -= Math.Log(z);
        }

        Assert.That(unaryOnly.KlDivergence(), Is.EqualTo(expected).Within(1e-5 * Math.Abs(expected)));
    }

    [TestCase(1)]
    [TestCase(4)]
    [TestCase(7)]
    public void AnyNumberOfChannelsWorks(int channels)
    {
        var q = Crf(3, 3f, 10f, channels: channels).Inference(5);
        AssertRowsSumToOne(q);
    }

    [Test]
    public void SingleLabelAndTinyImagesWork()
    {
        var crf = new DenseCrf(1, 1, 1);
        crf.SetUnaryEnergy(Tensor.Zeros(1, 1, 1));
        crf.AddPairwiseGaussian(3, 3f);
        crf.AddPairwiseBilateral(80, 13, new byte[] { 1, 2, 3 }, 3, 10);
        Assert.That(crf.Inference(3).ToArray(), Is.EqualTo(new[] { 1f }));
        Assert.That(crf.Map(3), Is.EqualTo(new[] { 0 }));
    }

    [Test]
    public void TinyColourStdDevDoesNotCrash()
    {
        var crf = new DenseCrf(W, H, 3);
        crf.SetUnaryFromProbabilities(Probs(3, 1));
        crf.AddPairwiseBilateral(80, 80, [1e-8f], Image(3, 2), 3, 10f);
        AssertRowsSumToOne(crf.Inference(5));
    }

    [Test]
    public void RefinerValidatesItsInput()
    {
        var refiner = new DenseCrfRefiner();
        var probs = Probs(3, 1);
        var image = Tensor.Full([3, H, W], 100f);
        AssertRowsSumToOne(refiner.Refine(image, probs));
        var bad = probs.Clone();
        Assert.Multiple(() =>
        {
            Assert.That(() => refiner.Refine(Tensor.Zeros(3, H, W + 1), probs), Throws.InstanceOf<ArgumentException>().With.Property("ParamName").EqualTo("image"));
            Assert.That(() => refiner.Refine(Tensor.Zeros(3, 0, 0), Tensor.Zeros(3, 0, 0)), Throws.InstanceOf<ArgumentException>().With.Property("ParamName").EqualTo("probabilities"));
            Assert.That(() => refiner.Refine(new byte[H * W * 3 - 1], 3, probs), Throws.InstanceOf<ArgumentException>().With.Property("ParamName").EqualTo("image"));
        });
        foreach (float v in new[] { float.NaN, float.PositiveInfinity, -0.1f })
        {
            bad.Data[17] = v;
            Assert.That(() => refiner.Refine(image, bad), Throws.InstanceOf<ArgumentException>().With.Property("ParamName").EqualTo("probabilities"), $"value {v}");
        }
    }

    [Test]
    public void BadParametersAreRejected()
    {
        var crf = new DenseCrf(W, H, 3);
        Assert.Multiple(() =>
        {
            Assert.That(() => new DenseCrf(0, 5, 2), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("width"));
            Assert.That(() => new DenseCrf(5, 0, 2), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("height"));
            Assert.That(() => new DenseCrf(5, 5, 0), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("labels"));
            Assert.That(() => new DenseCrf(100000, 100000, 21), Throws.InstanceOf<ArgumentException>().With.Property("ParamName").EqualTo("width"));
            Assert.That(() => crf.AddPairwiseGaussian(0, 3, 1f), Throws.InstanceOf<ArgumentException>().With.Property("ParamName").EqualTo("sx"));
            Assert.That(() => crf.AddPairwiseGaussian(3, -1, 1f), Throws.InstanceOf<ArgumentException>().With.Property("ParamName").EqualTo("sy"));
            Assert.That(() => crf.AddPairwiseGaussian(float.NaN, 3f), Throws.InstanceOf<ArgumentException>().With.Property("ParamName").EqualTo("sx"));
            Assert.That(() => crf.AddPairwiseBilateral(80, 0, Image(3, 1), 3, 10), Throws.InstanceOf<ArgumentException>().With.Property("ParamName").EqualTo("colorStdDevs"));
            Assert.That(() => crf.AddPairwiseBilateral(80, 13, Image(3, 1), 2, 10), Throws.InstanceOf<ArgumentException>().With.Property("ParamName").EqualTo("image"));
            Assert.That(() => crf.AddPairwiseGaussian(3, 3, LabelCompatibility.Diagonal([1f, 2f])), Throws.InstanceOf<ArgumentException>().With.Property("ParamName").EqualTo("compatibility"));
            Assert.That(() => crf.SetUnaryEnergy(Tensor.Zeros(3, H, W + 1)), Throws.InstanceOf<ArgumentException>().With.Property("ParamName").EqualTo("unary"));
            Assert.That(() => crf.SetUnaryEnergy(Tensor.Full([3, H, W], float.NaN)), Throws.InstanceOf<ArgumentException>().With.Property("ParamName").EqualTo("unary"));
            Assert.That(() => crf.SetUnaryFromProbabilities(Tensor.Zeros(2, H, W)), Throws.InstanceOf<ArgumentException>().With.Property("ParamName").EqualTo("probabilities"));
            Assert.That(() => crf.Inference(1), Throws.InvalidOperationException);
            Assert.That(() => LabelCompatibility.Matrix([1f, 2f, 3f], 2), Throws.InstanceOf<ArgumentException>().With.Property("ParamName").EqualTo("matrix"));
            Assert.That(() => new DenseCrfRefiner(new DenseCrfOptions { BilateralSrgb = 0 }), Throws.InstanceOf<ArgumentException>());
        });
    }

    [Test]
    public void UnaryHelpersFollowPydensecrf()
    {
        var u = CrfUnary.FromLabels([0, 1, 2, 3], 2, 2, 3, 0.7, zeroUnsure: true);
        float unsure = (float)-Math.Log(1.0 / 3), p = (float)-Math.Log(0.7), q = (float)-Math.Log(0.3 / 2);
        // (L, N) = label-major: pixel 0 unknown; pixel 1 → class 0; pixel 2 → class 1; pixel 3 → class 2.
        Assert.That(u.ToArray(), Is.EqualTo(new[] { unsure, p, q, q, unsure, q, p, q, unsure, q, q, p }));
        var v = CrfUnary.FromLabels([0, 2], 1, 2, 3, 0.7, zeroUnsure: false);
        Assert.That(v.ToArray(), Is.EqualTo(new[] { p, q, q, q, q, p }));
        Assert.That(() => CrfUnary.FromLabels([0, 3], 1, 2, 3, 0.7, zeroUnsure: false), Throws.InstanceOf<ArgumentException>().With.Property("ParamName").EqualTo("labels"));
        Assert.That(() => CrfUnary.FromLabels([0, 1], 1, 2, 3, 1.0), Throws.InstanceOf<ArgumentException>().With.Property("ParamName").EqualTo("gtProb"));

        var probs = Tensor.FromArray([0.5f, 0f, 0.5f, 1f], 2, 2);
        Assert.That(CrfUnary.FromSoftmax(probs).ToArray(), Is.EqualTo(new[] { -MathF.Log(0.5f), -MathF.Log(1e-5f), -MathF.Log(0.5f), 0f }).Within(1).Ulps, "one ulp: TensorPrimitives.Log differs from MathF.Log on the scalar path");
        var scaled = CrfUnary.FromSoftmax(probs, scale: 0.5f).ToArray();
        Assert.That(scaled[1], Is.EqualTo((float)-Math.Log(0.25)).Within(1e-7));
    }
}
