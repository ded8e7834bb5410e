using NUnit.Framework;
using Wsss.Core.Tensors.Kernels;

namespace Wsss.Core.Tests.Tensors.Kernels;

/// <summary>
/// Tests for <see cref="Gemm"/>. Results are compared against a naive triple loop accumulated in double.
/// Tolerance: |actual - expected| &lt;= 1e-5 * (|alpha| * sum_p |a_ip * b_pj| + |beta * c_ij|) + 1e-6, i.e. a
/// relative error of 1e-5 (about 170 float32 ulps) of the magnitude of the terms being summed.
/// </summary>
[TestFixture]
public unsafe class GemmTests
{
    private const double RelativeTolerance = 1e-5;
    private const double AbsoluteTolerance = 1e-6;

    private static readonly (int M, int N, int K)[] Shapes =
    [
        (1, 1, 1),
        (1, 5, 7),
        (5, 1, 7),
        (7, 5, 1),
        (6, 16, 8),
        (8, 32, 9),
        (17, 31, 33),
        (33, 17, 31),
        (31, 33, 17),
        (65, 97, 5),
        (97, 65, 257),
        (12, 48, 600),
        (257, 17, 7),
        (13, 4099, 7),
        (7, 2000, 300),
        (300, 257, 301),
    ];

    private static readonly (float Alpha, float Beta)[] Scalars =
    [
        (1f, 0f),
        (1f, 1f),
        (-0.75f, 0.5f),
        (2f, 0f),
    ];

    /// <summary>Names of the kernel families that can run on this machine.</summary>
    public static IEnumerable<string> SupportedPaths() =>
        Enum.GetValues<GemmKernelPath>().Where(Gemm.IsSupported).Select(p => p.ToString());

    /// <summary>Every shape x transpose combination x alpha/beta pair.</summary>
    public static IEnumerable<TestCaseData> ProductCases()
    {
        foreach ((int m, int n, int k) in Shapes)
        {
            foreach (bool transA in new[] { false, true })
            {
                foreach (bool transB in new[] { false, true })
                {
                    foreach ((float alpha, float beta) in Scalars)
                    {
                        // Keep the suite fast: the largest shapes get two representative alpha/beta pairs.
                        if ((long)m * n * k > 1_000_000 && !(alpha == 1f && beta == 0f) && beta != 0.5f)
                        {
                            continue;
                        }

                        yield return new TestCaseData(transA, transB, m, n, k, alpha, beta)
                            .SetArgDisplayNames($"{(transA ? "T" : "N")}{(transB ? "T" : "N")}", $"{m}x{n}x{k}", $"alpha={alpha}", $"beta={beta}");
                    }
                }
            }
        }
    }

    /// <summary>The public span overload matches the reference for every case.</summary>
    [TestCaseSource(nameof(ProductCases))]
    public void Sgemm_MatchesNaiveReference(bool transA, bool transB, int m, int n, int k, float alpha, float beta)
    {
        var problem = new Problem(transA, transB, m, n, k, alpha, beta, seed: m * 1_000_003 + n * 1009 + k);

        Gemm.Sgemm(transA, transB, m, n, k, alpha, problem.A, problem.Lda, problem.B, problem.Ldb, beta,
            problem.C, problem.Ldc);

        problem.AssertMatchesReference();
    }

    /// <summary>Each available kernel family (scalar, Vector256, emulated Vector512) matches the reference.</summary>
    [Test]
    public void Sgemm_EveryKernelPath_MatchesNaiveReference(
        [ValueSource(nameof(SupportedPaths))] string pathName,
        [Values(false, true)] bool transA,
        [Values(false, true)] bool transB,
        [Values(0, 1, 2, 3)] int shapeIndex)
    {
        (int m, int n, int k)[] shapes = [(1, 1, 1), (17, 31, 33), (65, 97, 257), (131, 150, 301)];
        (int m, int n, int k) = shapes[shapeIndex];
        var path = Enum.Parse<GemmKernelPath>(pathName);
        var problem = new Problem(transA, transB, m, n, k, alpha: 1.5f, beta: 0.5f, seed: shapeIndex);

        fixed (float* a = problem.A)
        fixed (float* b = problem.B)
        fixed (float* c = problem.C)
        {
            Gemm.Sgemm(path, transA, transB, m, n, k, 1.5f, a, problem.Lda, b, problem.Ldb, 0.5f, c, problem.Ldc);
        }

        problem.AssertMatchesReference();
    }

    /// <summary>With beta = 0, C is overwritten without being read, so NaN garbage must not leak through.</summary>
    [Test]
    public void Sgemm_BetaZero_IgnoresNaNInC([Values(false, true)] bool transA, [Values(false, true)] bool transB)
    {
        var problem = new Problem(transA, transB, 37, 45, 29, alpha: 1f, beta: 0f, seed: 7);
        Array.Fill(problem.C, float.NaN);
        problem.RecomputeReference();

        Gemm.Sgemm(transA, transB, 37, 45, 29, 1f, problem.A, problem.Lda, problem.B, problem.Ldb, 0f,
            problem.C, problem.Ldc);

        Assert.That(problem.C.All(float.IsFinite), Is.True);
        problem.AssertMatchesReference();
    }

    /// <summary>Leading dimensions larger than the row length are honoured and C's padding is left untouched.</summary>
    [Test]
    public void Sgemm_PaddedLeadingDimensions_MatchesReferenceAndKeepsPadding(
        [Values(false, true)] bool transA, [Values(false, true)] bool transB, [Values(0f, 0.5f)] float beta)
    {
        const float Sentinel = -12345f;
        var problem = new Problem(transA, transB, 23, 41, 19, alpha: 0.5f, beta: beta, seed: 11,
            ldaPad: 3, ldbPad: 5, ldcPad: 7);
        for (int i = 0; i < 23; i++)
        {
            problem.C.AsSpan(i * problem.Ldc + 41, 7).Fill(Sentinel);
        }

        Gemm.Sgemm(transA, transB, 23, 41, 19, 0.5f, problem.A, problem.Lda, problem.B, problem.Ldb, beta,
            problem.C, problem.Ldc);

        problem.AssertMatchesReference();
        for (int i = 0; i < 23; i++)
        {
            Assert.That(problem.C.AsSpan(i * problem.Ldc + 41, 7).ToArray(), Is.All.EqualTo(Sentinel), $"padding of row {i}");
        }
    }

    /// <summary>k = 0 leaves C = beta * C (zeros for beta = 0 even over NaN garbage).</summary>
    [TestCase(0f, 0f)]
    [TestCase(0.5f, 1.5f)]
    [TestCase(1f, 3f)]
    public void Sgemm_KZero_ScalesC(float beta, float expected)
    {
        float[] c = beta == 0f ? [float.NaN, float.NaN, float.NaN, float.NaN, float.NaN, float.NaN] : [3f, 3f, 3f, 3f, 3f, 3f];

        Gemm.Sgemm(false, false, 2, 3, 0, 1f, ReadOnlySpan<float>.Empty, 1, ReadOnlySpan<float>.Empty, 3, beta, c, 3);

        Assert.That(c, Is.All.EqualTo(expected));
    }

    /// <summary>alpha = 0 skips the product: A and B are not read (NaNs there do not propagate).</summary>
    [Test]
    public void Sgemm_AlphaZero_ScalesCOnly()
    {
        float[] a = [float.NaN, float.NaN, float.NaN, float.NaN];
        float[] b = [float.NaN, float.NaN, float.NaN, float.NaN];
        float[] c = [1f, 2f, 3f, 4f];

        Gemm.Sgemm(false, false, 2, 2, 2, 0f, a, 2, b, 2, 2f, c, 2);

        Assert.That(c, Is.EqualTo(new[] { 2f, 4f, 6f, 8f }));
    }

    /// <summary>m = 0 or n = 0 is a no-op.</summary>
    [TestCase(0, 3)]
    [TestCase(3, 0)]
    public void Sgemm_EmptyOutput_DoesNothing(int m, int n)
    {
        float[] a = [1f, 2f, 3f, 4f, 5f, 6f];
        float[] b = [1f, 2f, 3f, 4f, 5f, 6f];
        float[] c = [7f, 8f, 9f];

        Gemm.Sgemm(false, false, m, n, 2, 1f, a, 2, b, 3, 0f, c, 3);

        Assert.That(c, Is.EqualTo(new[] { 7f, 8f, 9f }));
    }

    /// <summary>A hand-computed 2x3 * 3x2 product, with and without transposes.</summary>
    [Test]
    public void Sgemm_SmallKnownProduct_GivesExactValues()
    {
        float[] a = [1f, 2f, 3f, 4f, 5f, 6f];       // 2x3
        float[] aT = [1f, 4f, 2f, 5f, 3f, 6f];      // stored 3x2
        float[] b = [7f, 8f, 9f, 10f, 11f, 12f];    // 3x2
        float[] bT = [7f, 9f, 11f, 8f, 10f, 12f];   // stored 2x3
        float[] expected = [58f, 64f, 139f, 154f];

        float[] c1 = new float[4];
        Gemm.Sgemm(false, false, 2, 2, 3, 1f, a, 3, b, 2, 0f, c1, 2);
        float[] c2 = new float[4];
        Gemm.Sgemm(true, true, 2, 2, 3, 1f, aT, 2, bT, 3, 0f, c2, 2);
        float[] c3 = [1f, 1f, 1f, 1f];
        Gemm.Sgemm(true, false, 2, 2, 3, 2f, aT, 2, b, 2, -1f, c3, 2);

        Assert.That(c1, Is.EqualTo(expected));
        Assert.That(c2, Is.EqualTo(expected));
        Assert.That(c3, Is.EqualTo(new[] { 115f, 127f, 277f, 307f }));
    }

    /// <summary>The threaded result is bit-identical to the single-threaded one (same summation order).</summary>
    [Test]
    public void Sgemm_Threaded_EqualsSingleThreadedBitwise([Values(false, true)] bool transA, [Values(false, true)] bool transB)
    {
        var single = new Problem(transA, transB, 300, 257, 301, alpha: 1f, beta: 0.5f, seed: 3);
        var threaded = new Problem(transA, transB, 300, 257, 301, alpha: 1f, beta: 0.5f, seed: 3);

        Gemm.Sgemm(transA, transB, 300, 257, 301, 1f, single.A, single.Lda, single.B, single.Ldb, 0.5f, single.C, single.Ldc, 1);
        Gemm.Sgemm(transA, transB, 300, 257, 301, 1f, threaded.A, threaded.Lda, threaded.B, threaded.Ldb, 0.5f, threaded.C, threaded.Ldc, 2);

        single.AssertMatchesReference();
        Assert.That(threaded.C, Is.EqualTo(single.C));
    }

    /// <summary>The pointer overload computes the same product as the span overload.</summary>
    [Test]
    public void Sgemm_PointerOverload_MatchesReference()
    {
        var problem = new Problem(false, true, 45, 70, 130, alpha: 1f, beta: 1f, seed: 5);
        fixed (float* a = problem.A)
        fixed (float* b = problem.B)
        fixed (float* c = problem.C)
        {
            Gemm.Sgemm(false, true, 45, 70, 130, 1f, a, problem.Lda, b, problem.Ldb, 1f, c, problem.Ldc, maxDegreeOfParallelism: 1);
        }

        problem.AssertMatchesReference();
    }

    /// <summary>Negative sizes are rejected, naming the argument and the actual value.</summary>
    [TestCase(-1, 2, 2, "m")]
    [TestCase(2, -1, 2, "n")]
    [TestCase(2, 2, -1, "k")]
    public void Sgemm_NegativeSize_Throws(int m, int n, int k, string parameter)
    {
        float[] buffer = new float[16];

        var ex = Assert.Throws<ArgumentOutOfRangeException>(
            () => Gemm.Sgemm(false, false, m, n, k, 1f, buffer, 4, buffer, 4, 0f, buffer, 4));

        Assert.That(ex!.ParamName, Is.EqualTo(parameter));
        Assert.That(ex.Message, Does.Contain("-1"));
    }

    /// <summary>Leading dimensions shorter than the stored row length are rejected with expected and actual values.</summary>
    [TestCase(false, false, 2, 4, 3, "lda", "at least max(1, k) = 3", "but was 2")]
    [TestCase(true, false, 3, 4, 4, "lda", "at least max(1, m (transA)) = 4", "but was 3")]
    [TestCase(false, false, 3, 3, 4, "ldb", "at least max(1, n) = 4", "but was 3")]
    [TestCase(false, true, 3, 2, 4, "ldb", "at least max(1, k (transB)) = 3", "but was 2")]
    [TestCase(false, false, 3, 4, 3, "ldc", "at least max(1, n) = 4", "but was 3")]
    public void Sgemm_LeadingDimensionTooSmall_Throws(bool transA, bool transB, int lda, int ldb, int ldc,
        string parameter, string expectedText, string actualText)
    {
        // op(A) is 4x3, op(B) is 3x4, C is 4x4.
        float[] buffer = new float[64];

        var ex = Assert.Throws<ArgumentOutOfRangeException>(
            () => Gemm.Sgemm(transA, transB, 4, 4, 3, 1f, buffer, lda, buffer, ldb, 0f, buffer, ldc));

        Assert.That(ex!.ParamName, Is.EqualTo(parameter));
        Assert.That(ex.Message, Does.Contain(expectedText).And.Contain(actualText));
    }

    /// <summary>Spans shorter than (rows - 1) * ld + cols are rejected with expected and actual lengths.</summary>
    [TestCase(11, 12, 16, "a", "expected at least 12 elements, but got 11")]
    [TestCase(12, 11, 16, "b", "expected at least 12 elements, but got 11")]
    [TestCase(12, 12, 15, "c", "expected at least 16 elements, but got 15")]
    public void Sgemm_SpanTooShort_Throws(int aLength, int bLength, int cLength, string parameter, string message)
    {
        // op(A) is 4x3, op(B) is 3x4, C is 4x4.
        float[] a = new float[aLength];
        float[] b = new float[bLength];
        float[] c = new float[cLength];

        var ex = Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, false, 4, 4, 3, 1f, a, 3, b, 4, 0f, c, 4));

        Assert.That(ex!.ParamName, Is.EqualTo(parameter));
        Assert.That(ex.Message, Does.Contain(message));
    }

    /// <summary>Padded leading dimensions do not require padding after the last row.</summary>
    [Test]
    public void Sgemm_SpanEndingAtLastRowWithPaddedLd_IsAccepted()
    {
        // A is 2x3 with lda 5: needs (2 - 1) * 5 + 3 = 8 elements.
        float[] a = [1f, 2f, 3f, 0f, 0f, 4f, 5f, 6f];
        float[] b = [1f, 0f, 0f, 1f, 1f, 1f];
        float[] c = new float[4];

        Gemm.Sgemm(false, false, 2, 2, 3, 1f, a, 5, b, 2, 0f, c, 2);

        Assert.That(c, Is.EqualTo(new[] { 4f, 5f, 10f, 11f }));
    }

    /// <summary>maxDegreeOfParallelism must be -1 or positive.</summary>
    [TestCase(0)]
    [TestCase(-2)]
    public void Sgemm_InvalidParallelism_Throws(int maxDegreeOfParallelism)
    {
        float[] buffer = new float[16];

        var ex = Assert.Throws<ArgumentOutOfRangeException>(
            () => Gemm.Sgemm(false, false, 4, 4, 4, 1f, buffer, 4, buffer, 4, 0f, buffer, 4, maxDegreeOfParallelism));

        Assert.That(ex!.ParamName, Is.EqualTo("maxDegreeOfParallelism"));
    }

    /// <summary>The pointer overload rejects null pointers that it would have to dereference.</summary>
    [Test]
    public void Sgemm_PointerOverloadNullPointer_Throws()
    {
        float[] buffer = new float[16];
        fixed (float* p = buffer)
        {
            float* valid = p;
            var exA = Assert.Throws<ArgumentNullException>(() => Gemm.Sgemm(false, false, 4, 4, 4, 1f, null, 4, valid, 4, 0f, valid, 4));
            var exB = Assert.Throws<ArgumentNullException>(() => Gemm.Sgemm(false, false, 4, 4, 4, 1f, valid, 4, null, 4, 0f, valid, 4));
            var exC = Assert.Throws<ArgumentNullException>(() => Gemm.Sgemm(false, false, 4, 4, 4, 1f, valid, 4, valid, 4, 0f, null, 4));

            Assert.That(exA!.ParamName, Is.EqualTo("a"));
            Assert.That(exB!.ParamName, Is.EqualTo("b"));
            Assert.That(exC!.ParamName, Is.EqualTo("c"));
        }
    }

    /// <summary>A random problem with its inputs, the initial C and a double-precision reference result.</summary>
    private sealed class Problem
    {
        private readonly bool _transA, _transB;
        private readonly int _m, _n, _k;
        private readonly float _alpha, _beta;
        private double[] _expected = [];
        private double[] _magnitude = [];

        public Problem(bool transA, bool transB, int m, int n, int k, float alpha, float beta, int seed,
            int ldaPad = 0, int ldbPad = 0, int ldcPad = 0)
        {
            (_transA, _transB, _m, _n, _k, _alpha, _beta) = (transA, transB, m, n, k, alpha, beta);
            var random = new Random(seed);
            int aRows = transA ? k : m, aCols = transA ? m : k;
            int bRows = transB ? n : k, bCols = transB ? k : n;
            Lda = Math.Max(1, aCols) + ldaPad;
            Ldb = Math.Max(1, bCols) + ldbPad;
            Ldc = Math.Max(1, n) + ldcPad;
            A = RandomArray(random, aRows * Lda);
            B = RandomArray(random, bRows * Ldb);
            C = RandomArray(random, m * Ldc);
            RecomputeReference();
        }

        public float[] A { get; }

        public float[] B { get; }

        public float[] C { get; }

        public int Lda { get; }

        public int Ldb { get; }

        public int Ldc { get; }

        /// <summary>Recomputes the expected result from the current contents of C.</summary>
        public void RecomputeReference()
        {
            float[] c0 = C;
            _expected = new double[_m * _n];
            _magnitude = new double[_m * _n];
            for (int i = 0; i < _m; i++)
            {
                for (int j = 0; j < _n; j++)
                {
                    double sum = 0, abs = 0;
                    for (int p = 0; p < _k; p++)
                    {
                        double term = (double)OpA(i, p) * OpB(p, j);
                        sum += term;
                        abs += Math.Abs(term);
                    }

                    double expected = _alpha * sum;
                    double magnitude = Math.Abs(_alpha) * abs;
                    if (_beta != 0f)
                    {
                        expected += (double)_beta * c0[i * Ldc + j];
                        magnitude += Math.Abs((double)_beta * c0[i * Ldc + j]);
                    }

                    _expected[i * _n + j] = expected;
                    _magnitude[i * _n + j] = magnitude;
                }
            }
        }

        public void AssertMatchesReference()
        {
            int failures = 0;
            string firstFailure = string.Empty;
            for (int i = 0; i < _m; i++)
            {
                for (int j = 0; j < _n; j++)
                {
                    double expected = _expected[i * _n + j];
                    double actual = C[i * Ldc + j];
                    double tolerance = RelativeTolerance * _magnitude[i * _n + j] + AbsoluteTolerance;
                    if (!(Math.Abs(actual - expected) <= tolerance))
                    {
                        if (failures++ == 0)
                        {
                            firstFailure = $"C[{i},{j}] = {actual}, expected {expected} +/- {tolerance}";
                        }
                    }
                }
            }

            Assert.That(failures, Is.Zero, $"{failures} of {_m * _n} elements out of tolerance; first: {firstFailure}");
        }

        private float OpA(int i, int p) => _transA ? A[p * Lda + i] : A[i * Lda + p];

        private float OpB(int p, int j) => _transB ? B[j * Ldb + p] : B[p * Ldb + j];

        private static float[] RandomArray(Random random, int length)
        {
            var array = new float[length];
            for (int i = 0; i < length; i++)
            {
                array[i] = (float)(random.NextDouble() * 2 - 1);
            }

            return array;
        }
    }
}
