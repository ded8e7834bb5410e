using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Wsss.Core.Tensors.Kernels;

public static unsafe partial class Gemm
{
    /// <summary>
    /// 6x16 AVX2/FMA micro-kernel: 12 ymm accumulators + 2 for the B row + 1 broadcast of A fit the
    /// 16 architectural ymm registers without spilling.
    /// </summary>
    private struct Vector256Kernel : IMicroKernel
    {
        public static int MR => 6;

        public static int NR => 16;

        public static bool IsSupported => Fma.IsSupported && Avx2.IsSupported;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Run(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
        {
            Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default;
            Vector256<float> c20 = default, c21 = default, c30 = default, c31 = default;
            Vector256<float> c40 = default, c41 = default, c50 = default, c51 = default;

            // The C tile is usually cold; start fetching it now so the final update does not stall.
            Sse.Prefetch0(c);
            Sse.Prefetch0(c + 15);
            Sse.Prefetch0(c + ldc);
            Sse.Prefetch0(c + ldc + 15);
            Sse.Prefetch0(c + 2 * ldc);
            Sse.Prefetch0(c + 2 * ldc + 15);
            Sse.Prefetch0(c + 3 * ldc);
            Sse.Prefetch0(c + 3 * ldc + 15);
            Sse.Prefetch0(c + 4 * ldc);
            Sse.Prefetch0(c + 4 * ldc + 15);
            Sse.Prefetch0(c + 5 * ldc);
            Sse.Prefetch0(c + 5 * ldc + 15);

            int p = 0;
            for (; p + 2 <= kc; p += 2)
            {
                Vector256<float> b0 = Avx.LoadAlignedVector256(b);
                Vector256<float> b1 = Avx.LoadAlignedVector256(b + 8);

                Vector256<float> av = Avx.BroadcastScalarToVector256(a);
                c00 = Fma.MultiplyAdd(av, b0, c00);
                c01 = Fma.MultiplyAdd(av, b1, c01);
                av = Avx.BroadcastScalarToVector256(a + 1);
                c10 = Fma.MultiplyAdd(av, b0, c10);
                c11 = Fma.MultiplyAdd(av, b1, c11);
                av = Avx.BroadcastScalarToVector256(a + 2);
                c20 = Fma.MultiplyAdd(av, b0, c20);
                c21 = Fma.MultiplyAdd(av, b1, c21);
                av = Avx.BroadcastScalarToVector256(a + 3);
                c30 = Fma.MultiplyAdd(av, b0, c30);
                c31 = Fma.MultiplyAdd(av, b1, c31);
                av = Avx.BroadcastScalarToVector256(a + 4);
                c40 = Fma.MultiplyAdd(av, b0, c40);
                c41 = Fma.MultiplyAdd(av, b1, c41);
                av = Avx.BroadcastScalarToVector256(a + 5);
                c50 = Fma.MultiplyAdd(av, b0, c50);
                c51 = Fma.MultiplyAdd(av, b1, c51);


                b0 = Avx.LoadAlignedVector256(b + 16);
                b1 = Avx.LoadAlignedVector256(b + 24);

                av = Avx.BroadcastScalarToVector256(a + 6);
                c00 = Fma.MultiplyAdd(av, b0, c00);
                c01 = Fma.MultiplyAdd(av, b1, c01);
                av = Avx.BroadcastScalarToVector256(a + 7);
                c10 = Fma.MultiplyAdd(av, b0, c10);
                c11 = Fma.MultiplyAdd(av, b1, c11);
                av = Avx.BroadcastScalarToVector256(a + 8);
                c20 = Fma.MultiplyAdd(av, b0, c20);
                c21 = Fma.MultiplyAdd(av, b1, c21);
                av = Avx.BroadcastScalarToVector256(a + 9);
                c30 = Fma.MultiplyAdd(av, b0, c30);
                c31 = Fma.MultiplyAdd(av, b1, c31);
                av = Avx.BroadcastScalarToVector256(a + 10);
                c40 = Fma.MultiplyAdd(av, b0, c40);
                c41 = Fma.MultiplyAdd(av, b1, c41);
                av = Avx.BroadcastScalarToVector256(a + 11);
                c50 = Fma.MultiplyAdd(av, b0, c50);
                c51 = Fma.MultiplyAdd(av, b1, c51);


                a += 12;
                b += 32;
            }

            if (p < kc)
            {
                Vector256<float> b0 = Avx.LoadAlignedVector256(b);
                Vector256<float> b1 = Avx.LoadAlignedVector256(b + 8);

                Vector256<float> av = Avx.BroadcastScalarToVector256(a);
                c00 = Fma.MultiplyAdd(av, b0, c00);
                c01 = Fma.MultiplyAdd(av, b1, c01);
                av = Avx.BroadcastScalarToVector256(a + 1);
                c10 = Fma.MultiplyAdd(av, b0, c10);
                c11 = Fma.MultiplyAdd(av, b1, c11);
                av = Avx.BroadcastScalarToVector256(a + 2);
                c20 = Fma.MultiplyAdd(av, b0, c20);
                c21 = Fma.MultiplyAdd(av, b1, c21);
                av = Avx.BroadcastScalarToVector256(a + 3);
                c30 = Fma.MultiplyAdd(av, b0, c30);
                c31 = Fma.MultiplyAdd(av, b1, c31);
                av = Avx.BroadcastScalarToVector256(a + 4);
                c40 = Fma.MultiplyAdd(av, b0, c40);
                c41 = Fma.MultiplyAdd(av, b1, c41);
                av = Avx.BroadcastScalarToVector256(a + 5);
                c50 = Fma.MultiplyAdd(av, b0, c50);
                c51 = Fma.MultiplyAdd(av, b1, c51);

                        }

            Vector256<float> va = Vector256.Create(alpha);
            if (beta == 0f)
            {
                StoreRow(c, c00, c01, va);
                StoreRow(c + ldc, c10, c11, va);
                StoreRow(c + 2 * ldc, c20, c21, va);
                StoreRow(c + 3 * ldc, c30, c31, va);
                StoreRow(c + 4 * ldc, c40, c41, va);
                StoreRow(c + 5 * ldc, c50, c51, va);
            }
            else
            {
                Vector256<float> vb = Vector256.Create(beta);
                UpdateRow(c, c00, c01, va, vb);
                UpdateRow(c + ldc, c10, c11, va, vb);
                UpdateRow(c + 2 * ldc, c20, c21, va, vb);
                UpdateRow(c + 3 * ldc, c30, c31, va, vb);
                UpdateRow(c + 4 * ldc, c40, c41, va, vb);
                UpdateRow(c + 5 * ldc, c50, c51, va, vb);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void StoreRow(float* c, Vector256<float> x0, Vector256<float> x1, Vector256<float> alpha)
        {
            Avx.Store(c, Avx.Multiply(x0, alpha));
            Avx.Store(c + 8, Avx.Multiply(x1, alpha));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void UpdateRow(float* c, Vector256<float> x0, Vector256<float> x1, Vector256<float> alpha, Vector256<float> beta)
        {
            Avx.Store(c, Fma.MultiplyAdd(x0, alpha, Avx.Multiply(Avx.LoadVector256(c), beta)));
            Avx.Store(c + 8, Fma.MultiplyAdd(x1, alpha, Avx.Multiply(Avx.LoadVector256(c + 8), beta)));
        }
    }
}
