using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Wsss.Core.Tensors.Kernels;

namespace Wsss.Core.Benchmarks;

/// <summary>
/// Square SGEMM (C = A * B, N x N) with the packed, blocked <see cref="Gemm"/> kernel against a simple
/// vectorized i-k-j loop. The GFLOP/s column is 2 * N^3 / mean time.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 3, iterationCount: 10)]
[Config(typeof(GemmBenchmarkConfig))]
public class GemmBenchmarks
{
    private float[] _a = [];
    private float[] _b = [];
    private float[] _c = [];

    /// <summary>Matrix size.</summary>
    [Params(256, 512, 1024, 2048)]
    public int N { get; set; }

    /// <summary>Fills A and B with reproducible random values.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _a = new float[N * N];
        _b = new float[N * N];
        _c = new float[N * N];
        for (int i = 0; i < _a.Length; i++)
        {
            _a[i] = (float)(random.NextDouble() * 2 - 1);
            _b[i] = (float)(random.NextDouble() * 2 - 1);
        }
    }

    /// <summary>
    /// Unblocked reference: for each row i and each p, C[i, :] += A[i, p] * B[p, :] with Vector256.
    /// It streams all of B once per row of C, so it becomes memory-bound at the larger sizes (and slow at 2048).
    /// </summary>
    [Benchmark(Baseline = true)]
    public void NaiveVectorized()
    {
        int n = N;
        ReadOnlySpan<float> a = _a, b = _b;
        Span<float> c = _c;
        c.Clear();
        for (int i = 0; i < n; i++)
        {
            Span<float> cRow = c.Slice(i * n, n);
            for (int p = 0; p < n; p++)
            {
                var aip = Vector256.Create(a[i * n + p]);
                ReadOnlySpan<float> bRow = b.Slice(p * n, n);
                int j = 0;
                for (; j <= n - Vector256<float>.Count; j += Vector256<float>.Count)
                {
                    Vector256<float> acc = Vector256.Create(cRow.Slice(j));
                    (acc + aip * Vector256.Create(bRow.Slice(j))).CopyTo(cRow.Slice(j));
                }

                for (; j < n; j++)
                {
                    cRow[j] += a[i * n + p] * bRow[j];
                }
            }
        }
    }

    /// <summary>Packed SGEMM on all cores.</summary>
    [Benchmark]
    public void Sgemm() =>
        Gemm.Sgemm(false, false, N, N, N, 1f, _a, N, _b, N, 0f, _c, N);

    /// <summary>Packed SGEMM restricted to one thread.</summary>
    [Benchmark]
    public void SgemmSingleThread() =>
        Gemm.Sgemm(false, false, N, N, N, 1f, _a, N, _b, N, 0f, _c, N, maxDegreeOfParallelism: 1);

    /// <summary>Packed SGEMM with both operands transposed (exercises the transposing pack routines).</summary>
    [Benchmark]
    public void SgemmTransposed() =>
        Gemm.Sgemm(true, true, N, N, N, 1f, _a, N, _b, N, 0f, _c, N);

    private sealed class GemmBenchmarkConfig : ManualConfig
    {
        public GemmBenchmarkConfig() => AddColumn(new GflopsColumn("2 * N^3", c => c.Parameters["N"] is int n ? 2.0 * n * n * n : null));
    }
}
