using Wsss.Core.Nn;
using Wsss.Core.Propagation;
using Wsss.Core.Tensors;

namespace Wsss.Core.Tests.Propagation;

public class RandomWalkTests
{
    [Test]
    public void PropagateToEdgeMatchesIrn()
    {
        var f = IrnPsaFixture.Load("irn_propagate_13x17.npz");
        var edge = Tensor.FromArray(f.Floats("edge"), 1, 13, 17);
        var cams = Tensor.FromArray(f.Floats("cams"), 2, 13, 17);
        var rw = RandomWalk.PropagateToEdge(cams, edge, radius: 5, beta: 10, expTimes: 8);
        Assert.That(rw.Shape, Is.EqualTo(new[] { 2, 13, 17 }));
        TestUtil.AssertClose(rw.Data, f.Floats("rw"), 0, 1e-4, "rw");
    }

    [Test]
    public void AffinityNetGraphAndWalkMatchPsa()
    {
        var f = IrnPsaFixture.Load("psa_affinity_rw_9x12.npz");
        var graph = AffinityGraph.FromPairAffinities(f.Floats("aff_sparse"), 9, 12, 5, PathIndex.EnumerationDirections(5), beta: 8);
        var dense = graph.ToCsr().ToDense();
        var expected = f.Floats("aff_dense").Select(a => MathF.Pow(a, 8)).ToArray();
        TestUtil.AssertClose(dense.Data, expected, 1e-5, 1e-6, "aff_dense^8");

        var pooled = Functional.AvgPool2d(Tensor.FromArray(f.Floats("cam_full"), 1, 21, 72, 96), 8, 8);
        var rw = new RandomWalkPropagator(8).Propagate(pooled, graph);
        TestUtil.AssertClose(rw.Data, f.Floats("rw"), 0, 1e-4, "rw");
    }

    [TestCase(1, 9, 11, 5, 10f, 8)]
    [TestCase(3, 13, 17, 5, 10f, 8)]
    [TestCase(5, 7, 30, 3, 4f, 6)]
    [TestCase(6, 20, 21, 5, 10f, 4)]
    [TestCase(2, 1, 12, 2, 1f, 3)]
    public void SparseAgreesWithDenseReference(int channels, int h, int w, int radius, float beta, int expTimes)
    {
        var boundary = TestUtil.Rand((ulong)(h * w), h, w);
        var graph = AffinityGraph.FromBoundary(boundary.Data, h, w, radius, beta);
        var x = TestUtil.Rand(7, channels, h, w);
        var sparse = new RandomWalkPropagator(expTimes).Propagate(x, graph);
        var dense = new DenseReferencePropagator(expTimes).Propagate(x, graph);
        // The references' float32 repeated squaring drifts by up to ~1e-4 at t = 256; the sparse walk stays near float64.
        TestUtil.AssertClose(sparse, dense, 0, 1e-4, "sparse vs dense float32 squaring");
        TestUtil.AssertClose(sparse.Data, DensePower64(graph, x, expTimes), 0, 1e-5, "sparse vs dense float64 power");
    }

    private static float[] DensePower64(AffinityGraph graph, Tensor x, int expTimes)
    {
        // T = A·D⁻¹ normalised in float64 from the float32 A (a float32 T's columns miss 1 by ~1e-7, which 256 steps amplify).
        var csr = graph.ToCsr();
        int n = graph.NodeCount, c = x.Numel / n;
        var t = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int k = csr.RowPointers[i]; k < csr.RowPointers[i + 1]; k++) t[i, csr.ColumnIndices[k]] = csr.Values[k];
        for (int j = 0; j < n; j++)
        {
            double d = 0;
            for (int i = 0; i < n; i++) d += t[i, j];
            for (int i = 0; i < n; i++) t[i, j] /= d;
        }
        for (int e = 0; e < expTimes; e++)
        {
            var sq = new double[n, n];
            for (int i = 0; i < n; i++)
                for (int k = 0; k < n; k++)
                {
                    double a = t[i, k];
                    if (a == 0) continue;
                    for (int j = 0; j < n; j++) sq[i, j] += a * t[k, j];
                }
            t = sq;
        }
        var xd = x.Data;
        var result = new float[c * n];
        for (int ch = 0; ch < c; ch++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int i = 0; i < n; i++) s += xd[ch * n + i] * t[i, j];
                result[ch * n + j] = (float)s;
            }
        return result;
    }

    [Test]
    public void TransitionColumnsSumToOneAndGraphIsSymmetric()
    {
        var boundary = TestUtil.Rand(5, 8, 10);
        var graph = AffinityGraph.FromBoundary(boundary.Data, 8, 10, 4, 3f);
        var a = graph.ToCsr().ToDense().Data.ToArray();
        int n = graph.NodeCount;
        for (int i = 0; i < n; i++)
        {
            Assert.That(a[i * n + i], Is.EqualTo(1f));
            for (int j = 0; j < n; j++) Assert.That(a[i * n + j], Is.EqualTo(a[j * n + i]));
        }
        var t = graph.ToCsr(normalized: true).ToDense().Data.ToArray();
        for (int j = 0; j < n; j++)
            Assert.That(Enumerable.Range(0, n).Sum(i => (double)t[i * n + j]), Is.EqualTo(1.0).Within(1e-5));
    }

    [Test]
    public void IrnGraphEqualsThePaddedReferenceConstruction()
    {
        // Reference: pad with 1.0 (left r, right r, bottom r), PathIndex on the padded grid, crop the dense matrix.
        int h = 6, w = 7, r = 3;
        var b = TestUtil.Rand(11, h, w).Data.ToArray();
        int ph = h + r, pw = w + 2 * r;
        var padded = Enumerable.Repeat(1f, ph * pw).ToArray();
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) padded[y * pw + x + r] = b[y * w + x];
        var index = new PathIndex(r, ph, pw);
        var aff = Affinity.FromBoundary(Tensor.FromArray(padded, 1, ph, pw), index).Data.ToArray();
        var src = index.GetSourceIndices();
        var dst = index.GetDestinationIndices();
        var full = new float[ph * pw, ph * pw];
        for (int i = 0; i < ph * pw; i++) full[i, i] = 1f;
        for (int d = 0; d < index.DirectionCount; d++)
            for (int k = 0; k < src.Length; k++)
            {
                float v = aff[d * src.Length + k];
                full[src[k], dst[d * src.Length + k]] = v;
                full[dst[d * src.Length + k], src[k]] = v;
            }
        var graph = AffinityGraph.FromBoundary(b, h, w, r, beta: 1f);
        var a = graph.ToCsr().ToDense().Data.ToArray();
        for (int i = 0; i < h * w; i++)
            for (int j = 0; j < h * w; j++)
                Assert.That(a[i * h * w + j], Is.EqualTo(full[(i / w) * pw + i % w + r, (j / w) * pw + j % w + r]), $"A[{i},{j}]");
    }

    [Test]
    public void BadInputIsRejectedWithTheArgumentName()
    {
        var b = Tensor.Full(new[] { 6, 7 }, 0.3f);
        var x = Tensor.Ones(2, 6, 7);
        string Param(Action a) => Assert.Catch<ArgumentException>(() => a())!.ParamName!;

        b.Data[5] = -0.1f;
        Assert.That(Param(() => RandomWalk.PropagateToEdge(x, b)), Is.EqualTo("boundary"));
        b.Data[5] = float.NaN;
        Assert.That(Param(() => RandomWalk.PropagateToEdge(x, b)), Is.EqualTo("boundary"));
        b.Data[5] = 1.01f;
        Assert.That(Param(() => AffinityGraph.FromBoundary(b.Data, 6, 7)), Is.EqualTo("boundary"));
        b.Data[5] = 0.3f;
        Assert.That(Param(() => RandomWalk.PropagateToEdge(Tensor.Ones(2, 6, 8), b)), Is.EqualTo("scores"));
        Assert.That(Param(() => RandomWalk.PropagateToEdge(x, b, radius: 1)), Is.EqualTo("radius"));
        Assert.That(Param(() => RandomWalk.PropagateToEdge(x, b, expTimes: -1)), Is.EqualTo("expTimes"));
        Assert.That(Param(() => RandomWalk.PropagateToEdge(x, b, expTimes: 17)), Is.EqualTo("expTimes"));
        Assert.That(Param(() => RandomWalk.PropagateToEdge(x, b, beta: float.NaN)), Is.EqualTo("beta"));
        Assert.That(Param(() => new RandomWalkPropagator(20)), Is.EqualTo("expTimes"));
        var graph = AffinityGraph.FromBoundary(b.Data, 6, 7);
        Assert.That(Param(() => new RandomWalkPropagator().Propagate(Tensor.Ones(2, 7, 6), graph)), Is.EqualTo("scores"));
        Assert.That(Param(() => AffinityGraph.FromPairAffinities(new float[3], 9, 12, 5, PathIndex.EnumerationDirections(5), 8)), Is.EqualTo("affinities"));
        x.Data[0] = float.NaN;
        Assert.That(Param(() => RandomWalk.PropagateToEdge(x, b)), Is.EqualTo("scores"));
    }
}
