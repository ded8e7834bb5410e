using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Wsss.Core.Tensors.Kernels;

public static unsafe partial class Gemm
{
    /// <summary>
    /// 8x32 Vector512 micro-kernel: 16 zmm accumulators + 2 for the B row + 1 broadcast of A, well
    /// inside the 32 zmm registers. Written with the cross-platform Vector512 API so it stays correct
    /// (emulated, slowly) where AVX-512 is absent.
    /// </summary>
    private struct Vector512Kernel : IMicroKernel
    {
        public static int MR => 8;

        public static int NR => 32;

        public static bool IsSupported => true;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Run(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
        {
            Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default;
            Vector512<float> c20 = default, c21 = default, c30 = default, c31 = default;
            Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default;
            Vector512<float> c60 = default, c61 = default, c70 = default, c71 = default;

            for (int p = 0; p < kc; p++)
            {
                Vector512<float> b0 = Vector512.LoadAligned(b);
                Vector512<float> b1 = Vector512.LoadAligned(b + 16);

                Vector512<float> av = Vector512.Create(a[0]);
                c00 = Vector512.FusedMultiplyAdd(av, b0, c00);
                c01 = Vector512.FusedMultiplyAdd(av, b1, c01);
                av = Vector512.Create(a[1]);
                c10 = Vector512.FusedMultiplyAdd(av, b0, c10);
                c11 = Vector512.FusedMultiplyAdd(av, b1, c11);
                av = Vector512.Create(a[2]);
                c20 = Vector512.FusedMultiplyAdd(av, b0, c20);
                c21 = Vector512.FusedMultiplyAdd(av, b1, c21);
                av = Vector512.Create(a[3]);
                c30 = Vector512.FusedMultiplyAdd(av, b0, c30);
                c31 = Vector512.FusedMultiplyAdd(av, b1, c31);
                av = Vector512.Create(a[4]);
                c40 = Vector512.FusedMultiplyAdd(av, b0, c40);
                c41 = Vector512.FusedMultiplyAdd(av, b1, c41);
                av = Vector512.Create(a[5]);
                c50 = Vector512.FusedMultiplyAdd(av, b0, c50);
                c51 = Vector512.FusedMultiplyAdd(av, b1, c51);
                av = Vector512.Create(a[6]);
                c60 = Vector512.FusedMultiplyAdd(av, b0, c60);
                c61 = Vector512.FusedMultiplyAdd(av, b1, c61);
                av = Vector512.Create(a[7]);
                c70 = Vector512.FusedMultiplyAdd(av, b0, c70);
                c71 = Vector512.FusedMultiplyAdd(av, b1, c71);

                a += 8;
                b += 32;
            }

            Vector512<float> va = Vector512.Create(alpha);
            Vector512<float> vb = Vector512.Create(beta);
            bool overwrite = beta == 0f;
            StoreRow(c, c00, c01, va, vb, overwrite);
            StoreRow(c + ldc, c10, c11, va, vb, overwrite);
            StoreRow(c + 2 * ldc, c20, c21, va, vb, overwrite);
            StoreRow(c + 3 * ldc, c30, c31, va, vb, overwrite);
            StoreRow(c + 4 * ldc, c40, c41, va, vb, overwrite);
            StoreRow(c + 5 * ldc, c50, c51, va, vb, overwrite);
            StoreRow(c + 6 * ldc, c60, c61, va, vb, overwrite);
            StoreRow(c + 7 * ldc, c70, c71, va, vb, overwrite);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void StoreRow(float* c, Vector512<float> x0, Vector512<float> x1, Vector512<float> alpha,
            Vector512<float> beta, bool overwrite)
        {
            if (overwrite)
            {
                Vector512.Store(x0 * alpha, c);
                Vector512.Store(x1 * alpha, c + 16);
            }
            else
            {
                Vector512.Store(Vector512.FusedMultiplyAdd(x0, alpha, Vector512.Load(c) * beta), c);
                Vector512.Store(Vector512.FusedMultiplyAdd(x1, alpha, Vector512.Load(c + 16) * beta), c + 16);
            }
        }
    }
}
