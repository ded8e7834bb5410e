namespace Wsss.Core.Tensors.Kernels;

/// <summary>Placeholder SGEMM (replaced by the packed kernel).</summary>
public static unsafe partial class Gemm
{
    /// <summary>Which micro-kernel runs on this machine.</summary>
    public static string ActivePath => "scalar (placeholder)";

    /// <summary>C[m,n] = alpha·op(A)·op(B) + beta·C, row-major.</summary>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc, int maxDegreeOfParallelism = -1)
    {
        fixed (float* pa = a) fixed (float* pb = b) fixed (float* pc = c)
            Sgemm(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc, maxDegreeOfParallelism);
    }

    /// <summary>Pointer form of <see cref="Sgemm(bool, bool, int, int, int, float, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, float, Span{float}, int, int)"/>.</summary>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, int maxDegreeOfParallelism = -1)
    {
        nint pa = (nint)a, pb = (nint)b, pc = (nint)c;
        Parallel.For(0, m, new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism }, i =>
        {
            float* A = (float*)pa, B = (float*)pb, C = (float*)pc;
            for (int j = 0; j < n; j++)
            {
                float s = 0;
                for (int p = 0; p < k; p++)
                    s += (transA ? A[p * lda + i] : A[i * lda + p]) * (transB ? B[j * ldb + p] : B[p * ldb + j]);
                C[i * ldc + j] = beta == 0 ? alpha * s : alpha * s + beta * C[i * ldc + j];
            }
        });
    }
}
