using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Wsss.Core.Tensors.Kernels;

/// <summary>Identifies which micro-kernel family the SGEMM driver uses.</summary>
internal enum GemmKernelPath
{
    /// <summary>Portable scalar 4x4 micro-kernel.</summary>
    Scalar,

    /// <summary>AVX2 + FMA 6x16 micro-kernel.</summary>
    Vector256,

    /// <summary>Vector512 8x32 micro-kernel (software-emulated when the hardware lacks AVX-512).</summary>
    Vector512,
}

/// <summary>
/// Single-precision general matrix multiplication (SGEMM) on row-major storage, using packed
/// panels, cache blocking, register-tiled SIMD micro-kernels and optional multi-threading.
/// </summary>
public static unsafe partial class Gemm
{
    // Cache blocking, tuned on Zen 4 (32 KiB L1d, 1 MiB L2): a KC x NR packed B micro-panel (32 KiB for
    // the 6x16 kernel) is reused from L1 across a whole MC x KC block of packed A (144 KiB, in L2); the
    // KC x NC packed B block (4 MiB) lives in L3. KC = 512 halves the passes over C compared with 256.
    private const int KC = 512;
    private const int MCTarget = 72;
    private const int NC = 2048;

    // Below this many multiply-adds the fork/join cost of Parallel.For outweighs the gain.
    private const long ParallelThreshold = 1L << 22;

    // Largest MR * NR of any kernel: the scratch tile for edge tiles is sized by this.
    private const int MaxTile = 8 * 32;

    private const string Vector512Switch = "Wsss.Core.Gemm.UseVector512";

    /// <summary>The kernel family chosen for this process from the available instruction sets.</summary>
    internal static readonly GemmKernelPath DefaultPath = SelectDefaultPath();

    /// <summary>The micro-kernel used on this machine: "Vector512 8x32", "Vector256+FMA 6x16" or "scalar 4x4".</summary>
    public static string ActivePath => DefaultPath switch
    {
        GemmKernelPath.Vector512 => "Vector512 8x32",
        GemmKernelPath.Vector256 => "Vector256+FMA 6x16",
        _ => "scalar 4x4",
    };

    [ThreadStatic] private static float[]? t_packA;
    [ThreadStatic] private static float[]? t_packB;

    private interface IMicroKernel
    {
        /// <summary>Rows of C produced per kernel call.</summary>
        static abstract int MR { get; }

        /// <summary>Columns of C produced per kernel call.</summary>
        static abstract int NR { get; }

        /// <summary>Whether the kernel can run on this machine.</summary>
        static abstract bool IsSupported { get; }

        /// <summary>
        /// C[0..MR, 0..NR] = alpha * (packed A panel x packed B panel) + beta * C; beta == 0 must not read C.
        /// The B panel is 64-byte aligned.
        /// </summary>
        static abstract void Run(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta);
    }

    /// <summary>
    /// Computes <c>C = alpha * op(A) * op(B) + beta * C</c> for row-major matrices, where op(A) is
    /// <paramref name="m"/> x <paramref name="k"/> and op(B) is <paramref name="k"/> x <paramref name="n"/>.
    /// </summary>
    /// <param name="transA">If true, A is stored as a k x m matrix and op(A) is its transpose.</param>
    /// <param name="transB">If true, B is stored as an n x k matrix and op(B) is its transpose.</param>
    /// <param name="m">Rows of op(A) and of C.</param>
    /// <param name="n">Columns of op(B) and of C.</param>
    /// <param name="k">Columns of op(A) and rows of op(B).</param>
    /// <param name="alpha">Scale applied to the product.</param>
    /// <param name="a">Storage of A.</param>
    /// <param name="lda">Distance in elements between consecutive stored rows of A.</param>
    /// <param name="b">Storage of B.</param>
    /// <param name="ldb">Distance in elements between consecutive stored rows of B.</param>
    /// <param name="beta">Scale applied to the existing C; when 0, C is overwritten without being read.</param>
    /// <param name="c">Storage of C (m x n).</param>
    /// <param name="ldc">Distance in elements between consecutive rows of C.</param>
    /// <param name="maxDegreeOfParallelism">Maximum number of threads; -1 uses <see cref="Environment.ProcessorCount"/>.</param>
    /// <exception cref="ArgumentException">A size, leading dimension, span length or thread count is invalid.</exception>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc,
        int maxDegreeOfParallelism = -1)
    {
        ValidateShape(transA, transB, m, n, k, lda, ldb, ldc, maxDegreeOfParallelism);
        CheckLength(nameof(a), a.Length, transA ? k : m, transA ? m : k, lda);
        CheckLength(nameof(b), b.Length, transB ? n : k, transB ? k : n, ldb);
        CheckLength(nameof(c), c.Length, m, n, ldc);
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        {
            Run(DefaultPath, transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc, maxDegreeOfParallelism);
        }
    }

    /// <summary>
    /// Computes <c>C = alpha * op(A) * op(B) + beta * C</c> for row-major matrices given by pointers,
    /// where op(A) is <paramref name="m"/> x <paramref name="k"/> and op(B) is <paramref name="k"/> x <paramref name="n"/>.
    /// The caller guarantees the buffers are large enough; only sizes and leading dimensions are checked.
    /// </summary>
    /// <param name="transA">If true, A is stored as a k x m matrix and op(A) is its transpose.</param>
    /// <param name="transB">If true, B is stored as an n x k matrix and op(B) is its transpose.</param>
    /// <param name="m">Rows of op(A) and of C.</param>
    /// <param name="n">Columns of op(B) and of C.</param>
    /// <param name="k">Columns of op(A) and rows of op(B).</param>
    /// <param name="alpha">Scale applied to the product.</param>
    /// <param name="a">Storage of A.</param>
    /// <param name="lda">Distance in elements between consecutive stored rows of A.</param>
    /// <param name="b">Storage of B.</param>
    /// <param name="ldb">Distance in elements between consecutive stored rows of B.</param>
    /// <param name="beta">Scale applied to the existing C; when 0, C is overwritten without being read.</param>
    /// <param name="c">Storage of C (m x n).</param>
    /// <param name="ldc">Distance in elements between consecutive rows of C.</param>
    /// <param name="maxDegreeOfParallelism">Maximum number of threads; -1 uses <see cref="Environment.ProcessorCount"/>.</param>
    /// <exception cref="ArgumentException">A size, leading dimension or thread count is invalid, or a needed pointer is null.</exception>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, int maxDegreeOfParallelism = -1)
    {
        ValidateShape(transA, transB, m, n, k, lda, ldb, ldc, maxDegreeOfParallelism);
        ValidatePointers(m, n, k, alpha, a, b, c);
        Run(DefaultPath, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, maxDegreeOfParallelism);
    }

    /// <summary>Same as the pointer overload but with an explicit kernel family (used by tests).</summary>
    internal static void Sgemm(GemmKernelPath path, bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, int maxDegreeOfParallelism = -1)
    {
        ValidateShape(transA, transB, m, n, k, lda, ldb, ldc, maxDegreeOfParallelism);
        ValidatePointers(m, n, k, alpha, a, b, c);
        Run(path, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, maxDegreeOfParallelism);
    }

    /// <summary>Whether <paramref name="path"/> can run on this machine.</summary>
    internal static bool IsSupported(GemmKernelPath path) => path switch
    {
        GemmKernelPath.Scalar => ScalarKernel.IsSupported,
        GemmKernelPath.Vector256 => Vector256Kernel.IsSupported,
        GemmKernelPath.Vector512 => Vector512Kernel.IsSupported,
        _ => false,
    };

    private static GemmKernelPath SelectDefaultPath()
    {
        if (!Vector256Kernel.IsSupported)
        {
            return GemmKernelPath.Scalar;
        }

        // On the AVX-512 machines measured so far (Zen 4 executes 512-bit FMAs as two 256-bit halves)
        // the 512-bit kernel gave no extra throughput, so it is opt-in.
        bool optIn = (AppContext.TryGetSwitch(Vector512Switch, out bool enabled) && enabled)
            || Environment.GetEnvironmentVariable("WSSS_GEMM_VECTOR512") == "1";
        return optIn && Vector512.IsHardwareAccelerated ? GemmKernelPath.Vector512 : GemmKernelPath.Vector256;
    }

    private static void ValidateShape(bool transA, bool transB, int m, int n, int k, int lda, int ldb, int ldc,
        int maxDegreeOfParallelism)
    {
        if (m < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(m), m, $"m must be non-negative, but was {m}.");
        }

        if (n < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(n), n, $"n must be non-negative, but was {n}.");
        }

        if (k < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(k), k, $"k must be non-negative, but was {k}.");
        }

        CheckLeadingDimension(nameof(lda), lda, transA ? m : k, transA ? "m (transA)" : "k");
        CheckLeadingDimension(nameof(ldb), ldb, transB ? k : n, transB ? "k (transB)" : "n");
        CheckLeadingDimension(nameof(ldc), ldc, n, "n");

        if (maxDegreeOfParallelism == 0 || maxDegreeOfParallelism < -1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxDegreeOfParallelism), maxDegreeOfParallelism,
                $"maxDegreeOfParallelism must be -1 or positive, but was {maxDegreeOfParallelism}.");
        }
    }

    private static void CheckLeadingDimension(string name, int ld, int rowLength, string rowLengthName)
    {
        int required = Math.Max(1, rowLength);
        if (ld < required)
        {
            throw new ArgumentOutOfRangeException(name, ld,
                $"{name} must be at least max(1, {rowLengthName}) = {required}, but was {ld}.");
        }
    }

    private static void CheckLength(string name, int length, int rows, int cols, int ld)
    {
        long required = rows == 0 || cols == 0 ? 0 : (long)(rows - 1) * ld + cols;
        if (length < required)
        {
            throw new ArgumentException(
                $"{name} is too short for a {rows} x {cols} matrix with leading dimension {ld}: " +
                $"expected at least {required} elements, but got {length}.", name);
        }
    }

    private static void ValidatePointers(int m, int n, int k, float alpha, float* a, float* b, float* c)
    {
        if (m == 0 || n == 0)
        {
            return;
        }

        if (c == null)
        {
            throw new ArgumentNullException(nameof(c), $"c must not be null for a {m} x {n} result.");
        }

        if (k != 0 && alpha != 0f)
        {
            if (a == null)
            {
                throw new ArgumentNullException(nameof(a), $"a must not be null when m = {m} and k = {k}.");
            }

            if (b == null)
            {
                throw new ArgumentNullException(nameof(b), $"b must not be null when k = {k} and n = {n}.");
            }
        }
    }

    /// <summary>
    /// C = alpha * op(A) * B + beta * C where the panels of B (k x n) come from <paramref name="packer"/>
    /// instead of a stored matrix, so a B that is only implied (e.g. im2col columns) is never materialised.
    /// </summary>
    internal static void SgemmPackedB(bool transA, int m, int n, int k, float alpha, float* a, int lda,
        BPanelPacker packer, float beta, float* c, int ldc, int maxDegreeOfParallelism)
    {
        ValidateShape(transA, false, m, n, k, lda, Math.Max(1, n), ldc, maxDegreeOfParallelism);
        Run(DefaultPath, transA, false, m, n, k, alpha, a, lda, null, Math.Max(1, n), beta, c, ldc, maxDegreeOfParallelism, packer);
    }

    private static void Run(GemmKernelPath path, bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, int maxDegreeOfParallelism,
        BPanelPacker? packer = null)
    {
        if (m == 0 || n == 0)
        {
            return;
        }

        if (k == 0 || alpha == 0f)
        {
            ScaleC(m, n, beta, c, ldc);
            return;
        }

        int threads = maxDegreeOfParallelism == -1 ? Environment.ProcessorCount : maxDegreeOfParallelism;
        if ((long)m * n * k < ParallelThreshold)
        {
            threads = 1;
        }

        switch (path)
        {
            case GemmKernelPath.Vector512:
                Driver<Vector512Kernel>(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads, packer);
                break;
            case GemmKernelPath.Vector256:
                if (!Vector256Kernel.IsSupported)
                {
                    throw new PlatformNotSupportedException("The Vector256 SGEMM kernel needs AVX2 and FMA.");
                }

                Driver<Vector256Kernel>(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads, packer);
                break;
            default:
                Driver<ScalarKernel>(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads, packer);
                break;
        }
    }

    private static void ScaleC(int m, int n, float beta, float* c, int ldc)
    {
        if (beta == 1f)
        {
            return;
        }

        for (int i = 0; i < m; i++)
        {
            var row = new Span<float>(c + (nint)i * ldc, n);
            if (beta == 0f)
            {
                row.Clear();
            }
            else
            {
                for (int j = 0; j < row.Length; j++)
                {
                    row[j] *= beta;
                }
            }
        }
    }

    private static void Driver<TK>(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, nint lda, float* b, nint ldb, float beta, float* c, nint ldc, int threads, BPanelPacker? packer)
        where TK : struct, IMicroKernel
    {
        int mr = TK.MR, nr = TK.NR;

        // Split k and n into equal-sized blocks rather than full blocks plus a thin remainder.
        int kBlocks = (k + KC - 1) / KC;
        int kc = (k + kBlocks - 1) / kBlocks;
        int nBlocks = (n + NC - 1) / NC;
        int nc = RoundUp((n + nBlocks - 1) / nBlocks, nr);

        // With several threads, prefer splitting n: shrinking mc would cut the reuse of each packed B panel.
        int mc = Math.Max(mr, MCTarget / mr * mr);
        int wantTasks = threads > 1 ? 2 * threads : 1;
        int unitPanels = packer is not null && packer.SinglePanelUnits ? 1 : UnitPanels<TK>();
        int unitsInFirstBlock = (Math.Min(nc, n) + nr * unitPanels - 1) / (nr * unitPanels);
        if (threads > 1 && (m + mc - 1) / mc * unitsInFirstBlock < wantTasks)
        {
            mc = Math.Max(mr, RoundUp((m + wantTasks - 1) / wantTasks, mr));
        }
        else if (threads > 1 && (m + mc - 1) / mc >= wantTasks)
        {
            // Whole blocks per task: make their count a multiple of the threads so no thread idles at the end.
            int blocks = RoundUp((m + mc - 1) / mc, threads);
            mc = Math.Max(mr, RoundUp((m + blocks - 1) / blocks, mr));
        }

        int mBlocks = (m + mc - 1) / mc;

        Job<TK> job = Job<TK>.Acquire();
        job.TransA = transA;
        job.TransB = transB;
        job.M = m;
        job.Alpha = alpha;
        job.A = a;
        job.Lda = lda;
        job.B = b;
        job.Ldb = ldb;
        job.C = c;
        job.Ldc = ldc;
        job.Mc = mc;
        job.Packer = packer;
        job.UnitPanels = unitPanels;

        float[] packBArray = Rent(ref t_packB, kc * nc);
        job.PackedB = AlignedPointer(packBArray);
        ParallelOptions? options = null;
        if (threads > 1)
        {
            options = job.Options;
            options.MaxDegreeOfParallelism = threads;
        }

        for (int jc = 0; jc < n; jc += nc)
        {
            int ncur = Math.Min(nc, n - jc);
            int nPanels = (ncur + nr - 1) / nr;
            int nUnits = (nPanels + unitPanels - 1) / unitPanels;
            job.Jc = jc;
            job.Ncur = ncur;
            job.NPanels = nPanels;
            job.NUnits = nUnits;
            job.NGroups = threads > 1 && mBlocks < wantTasks
                ? Math.Min(nUnits, (wantTasks + mBlocks - 1) / mBlocks)
                : 1;

            for (int pc = 0; pc < k; pc += kc)
            {
                job.Pc = pc;
                job.Kcur = Math.Min(kc, k - pc);
                job.Beta = pc == 0 ? beta : 1f;

                job.ResetUnitStates();

                int tasks = mBlocks * job.NGroups;
                if (options is not null && tasks > 1)
                {
                    Parallel.For(0, tasks, options, job.ComputeBody);
                }
                else
                {
                    for (int t = 0; t < tasks; t++)
                    {
                        job.ComputeTask(t);
                    }
                }
            }
        }

        Return(ref t_packB, packBArray);
        job.Release();
    }

    /// <summary>Arguments and loop state shared by the tasks of one call; cached per thread to avoid allocations.</summary>
    private sealed class Job<TK> where TK : struct, IMicroKernel
    {
        [ThreadStatic] private static Job<TK>? t_cached;

        public bool TransA, TransB;
        public int M;
        public float Alpha, Beta;
        public float* A, B, C;
        public nint Lda, Ldb, Ldc;
        public float* PackedB;
        public BPanelPacker? Packer;
        public int UnitPanels;
        public int Mc, NGroups, NPanels, NUnits;
        public int Jc, Ncur, Pc, Kcur;
        public readonly Action<int> ComputeBody;
        public readonly ParallelOptions Options = new();

        // States of the B packing units of the current (jc, pc) block: 0 = not packed, 1 = being packed,
        // 2 = packed. Units are packed lazily by whichever task needs them first, which spreads packing
        // over the workers without a separate fork/join.
        private int[] _unitStates = [];

        private Job()
        {
            ComputeBody = ComputeTask;
        }

        public static Job<TK> Acquire()
        {
            Job<TK>? job = t_cached;
            t_cached = null;
            return job ?? new Job<TK>();
        }

        public void Release()
        {
            A = B = C = PackedB = null;
            Packer = null;
            t_cached = this;
        }

        public void ResetUnitStates()
        {
            if (_unitStates.Length < NUnits)
            {
                _unitStates = new int[Math.Max(NUnits, 2 * _unitStates.Length)];
            }
            else
            {
                Array.Clear(_unitStates, 0, NUnits);
            }
        }

        private void EnsurePacked(int unit)
        {
            ref int state = ref _unitStates[unit];
            if (Volatile.Read(ref state) == 2)
            {
                return;
            }

            if (Interlocked.CompareExchange(ref state, 1, 0) == 0)
            {
                int nr = TK.NR;
                int jp0 = unit * UnitPanels;
                int panels = Math.Min(UnitPanels, NPanels - jp0);
                int j = Jc + jp0 * nr;
                int cols = Math.Min(panels * nr, Jc + Ncur - j);
                float* dst = PackedB + (nint)jp0 * Kcur * nr;
                if (Packer is not null)
                {
                    Packer.Pack(Pc, Kcur, j, cols, nr, dst);
                }
                else if (TransB)
                {
                    for (int q = 0; q < panels; q++)
                    {
                        PackBTransposed(B + (j + q * nr) * Ldb + Pc, Ldb, Kcur, Math.Min(nr, cols - q * nr), nr,
                            dst + (nint)q * Kcur * nr);
                    }
                }
                else
                {
                    PackBRows(B + Pc * Ldb + j, Ldb, Kcur, cols, nr, dst);
                }

                Volatile.Write(ref state, 2);
            }
            else
            {
                var spinner = default(SpinWait);
                while (Volatile.Read(ref state) != 2)
                {
                    spinner.SpinOnce(sleep1Threshold: -1);
                }
            }
        }

        public void ComputeTask(int t)
        {
            int mr = TK.MR, nr = TK.NR;
            int ib = t / NGroups;
            int group = t - ib * NGroups;
            int i0 = ib * Mc;
            int mcur = Math.Min(Mc, M - i0);
            int kc = Kcur;
            int unitPanels = UnitPanels;
            int unit0 = (int)((long)group * NUnits / NGroups);
            int unit1 = (int)((long)(group + 1) * NUnits / NGroups);
            int jp0 = unit0 * unitPanels;
            int jp1 = Math.Min(NPanels, unit1 * unitPanels);

            float[] packAArray = Rent(ref t_packA, RoundUp(Mc, mr) * kc);
            float* packedA = AlignedPointer(packAArray);
            if (TransA)
            {
                PackATransposed(A + Pc * Lda + i0, Lda, kc, mcur, mr, packedA);
            }
            else
            {
                for (int ir = 0; ir < mcur; ir += mr)
                {
                    PackARows(A + (i0 + ir) * Lda + Pc, Lda, kc, Math.Min(mr, mcur - ir), mr, packedA + (nint)ir * kc);
                }
            }

            float* tile = stackalloc float[MaxTile];
            float alpha = Alpha, beta = Beta;
            nint ldc = Ldc;
            for (int jp = jp0; jp < jp1; jp++)
            {
                int j = Jc + jp * nr;
                int cols = Math.Min(nr, Jc + Ncur - j);
                if (jp % unitPanels == 0)
                {
                    EnsurePacked(jp / unitPanels);
                }

                float* bPanel = PackedB + (nint)jp * kc * nr;
                for (int ir = 0; ir < mcur; ir += mr)
                {
                    int rows = Math.Min(mr, mcur - ir);
                    float* aPanel = packedA + (nint)ir * kc;
                    float* cTile = C + (i0 + ir) * ldc + j;
                    if (rows == mr && cols == nr)
                    {
                        TK.Run(kc, aPanel, bPanel, cTile, ldc, alpha, beta);
                    }
                    else
                    {
                        TK.Run(kc, aPanel, bPanel, tile, nr, alpha, 0f);
                        MergeTile(tile, nr, cTile, ldc, rows, cols, beta);
                    }
                }
            }

            Return(ref t_packA, packAArray);
        }
    }

    private static void MergeTile(float* tile, int tileStride, float* c, nint ldc, int rows, int cols, float beta)
    {
        for (int i = 0; i < rows; i++)
        {
            float* src = tile + i * tileStride;
            float* dst = c + i * ldc;
            if (beta == 0f)
            {
                for (int j = 0; j < cols; j++)
                {
                    dst[j] = src[j];
                }
            }
            else
            {
                for (int j = 0; j < cols; j++)
                {
                    dst[j] = src[j] + beta * dst[j];
                }
            }
        }
    }

    // Packed A panel: for each p, the `mr` values of rows i..i+mr-1 are contiguous (zero-padded rows).
    private static void PackARows(float* src, nint lda, int kc, int rows, int mr, float* dst)
    {
        for (int r = 0; r < rows; r++)
        {
            float* s = src + r * lda;
            float* d = dst + r;
            for (int p = 0; p < kc; p++)
            {
                d[(nint)p * mr] = s[p];
            }
        }

        for (int r = rows; r < mr; r++)
        {
            float* d = dst + r;
            for (int p = 0; p < kc; p++)
            {
                d[(nint)p * mr] = 0f;
            }
        }
    }

    // A stored k x m: each source row holds `rows` consecutive i values, spread over the MR-row panels.
    private static void PackATransposed(float* src, nint lda, int kc, int rows, int mr, float* dst)
    {
        int fullPanels = rows / mr;
        int tail = rows - fullPanels * mr;
        nint panelStride = (nint)kc * mr;
        for (int p = 0; p < kc; p++)
        {
            float* s = src + p * lda;
            float* d = dst + (nint)p * mr;
            for (int q = 0; q < fullPanels; q++)
            {
                Unsafe.CopyBlockUnaligned(d + q * panelStride, s + q * mr, (uint)(mr * sizeof(float)));
            }

            if (tail > 0)
            {
                float* dt = d + fullPanels * panelStride;
                float* st = s + fullPanels * mr;
                int r = 0;
                for (; r < tail; r++)
                {
                    dt[r] = st[r];
                }

                for (; r < mr; r++)
                {
                    dt[r] = 0f;
                }
            }
        }
    }

    // Packed B panel: for each p, the `nr` values of columns j..j+nr-1 are contiguous (zero-padded columns).
    // Packs consecutive panels covering `cols` columns, reading each source row contiguously.
    private static void PackBRows(float* src, nint ldb, int kc, int cols, int nr, float* dst)
    {
        int fullPanels = cols / nr;
        int tail = cols - fullPanels * nr;
        nint panelStride = (nint)kc * nr;
        for (int p = 0; p < kc; p++)
        {
            float* s = src + p * ldb;
            float* d = dst + (nint)p * nr;
            for (int q = 0; q < fullPanels; q++)
            {
                Unsafe.CopyBlockUnaligned(d + q * panelStride, s + q * nr, (uint)(nr * sizeof(float)));
            }

            if (tail > 0)
            {
                float* dt = d + fullPanels * panelStride;
                float* st = s + fullPanels * nr;
                int c = 0;
                for (; c < tail; c++)
                {
                    dt[c] = st[c];
                }

                for (; c < nr; c++)
                {
                    dt[c] = 0f;
                }
            }
        }
    }

    internal static void PackBTransposed(float* src, nint ldb, int kc, int cols, int nr, float* dst)
    {
        if (cols == nr && nr % 8 == 0 && Avx.IsSupported)
        {
            PackBTransposedAvx(src, ldb, kc, nr, dst);
            return;
        }

        for (int c = 0; c < cols; c++)
        {
            float* s = src + c * ldb;
            float* d = dst + c;
            for (int p = 0; p < kc; p++)
            {
                d[(nint)p * nr] = s[p];
            }
        }

        for (int c = cols; c < nr; c++)
        {
            float* d = dst + c;
            for (int p = 0; p < kc; p++)
            {
                d[(nint)p * nr] = 0f;
            }
        }
    }

    // Transposes 8x8 blocks in registers so that both reads and writes are contiguous vectors.
    private static void PackBTransposedAvx(float* src, nint ldb, int kc, int nr, float* dst)
    {
        int p = 0;
        for (; p + 8 <= kc; p += 8)
        {
            for (int c0 = 0; c0 < nr; c0 += 8)
            {
                float* s = src + c0 * ldb + p;
                Vector256<float> r0 = Avx.LoadVector256(s);
                Vector256<float> r1 = Avx.LoadVector256(s + ldb);
                Vector256<float> r2 = Avx.LoadVector256(s + 2 * ldb);
                Vector256<float> r3 = Avx.LoadVector256(s + 3 * ldb);
                Vector256<float> r4 = Avx.LoadVector256(s + 4 * ldb);
                Vector256<float> r5 = Avx.LoadVector256(s + 5 * ldb);
                Vector256<float> r6 = Avx.LoadVector256(s + 6 * ldb);
                Vector256<float> r7 = Avx.LoadVector256(s + 7 * ldb);

                Vector256<float> t0 = Avx.UnpackLow(r0, r1);
                Vector256<float> t1 = Avx.UnpackHigh(r0, r1);
                Vector256<float> t2 = Avx.UnpackLow(r2, r3);
                Vector256<float> t3 = Avx.UnpackHigh(r2, r3);
                Vector256<float> t4 = Avx.UnpackLow(r4, r5);
                Vector256<float> t5 = Avx.UnpackHigh(r4, r5);
                Vector256<float> t6 = Avx.UnpackLow(r6, r7);
                Vector256<float> t7 = Avx.UnpackHigh(r6, r7);

                Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44);
                Vector256<float> u1 = Avx.Shuffle(t0, t2, 0xEE);
                Vector256<float> u2 = Avx.Shuffle(t1, t3, 0x44);
                Vector256<float> u3 = Avx.Shuffle(t1, t3, 0xEE);
                Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44);
                Vector256<float> u5 = Avx.Shuffle(t4, t6, 0xEE);
                Vector256<float> u6 = Avx.Shuffle(t5, t7, 0x44);
                Vector256<float> u7 = Avx.Shuffle(t5, t7, 0xEE);

                float* d = dst + (nint)p * nr + c0;
                Avx.Store(d, Avx.Permute2x128(u0, u4, 0x20));
                Avx.Store(d + nr, Avx.Permute2x128(u1, u5, 0x20));
                Avx.Store(d + 2 * nr, Avx.Permute2x128(u2, u6, 0x20));
                Avx.Store(d + 3 * nr, Avx.Permute2x128(u3, u7, 0x20));
                Avx.Store(d + 4 * nr, Avx.Permute2x128(u0, u4, 0x31));
                Avx.Store(d + 5 * nr, Avx.Permute2x128(u1, u5, 0x31));
                Avx.Store(d + 6 * nr, Avx.Permute2x128(u2, u6, 0x31));
                Avx.Store(d + 7 * nr, Avx.Permute2x128(u3, u7, 0x31));
            }
        }

        for (; p < kc; p++)
        {
            float* d = dst + (nint)p * nr;
            for (int c = 0; c < nr; c++)
            {
                d[c] = src[c * ldb + p];
            }
        }
    }

    // B is packed in units of several panels so that the non-transposed pack reads whole cache lines
    // (>= 512 bytes) from each source row instead of one 64-byte piece per page.
    private static int UnitPanels<TK>() where TK : struct, IMicroKernel => Math.Max(1, 128 / TK.NR);

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

    // Buffers live on the pinned object heap and are cached per thread; taking the cached array out of
    // its slot while in use keeps nested or re-entrant calls on one thread from sharing a buffer.
    private static float[] Rent(ref float[]? slot, int floats)
    {
        float[]? array = slot;
        slot = null;
        int needed = floats + 16;
        if (array is null || array.Length < needed)
        {
            // Grow in 64 Ki-float steps so slightly different shapes reuse the buffer; the size is bounded by KC * NC.
            array = GC.AllocateUninitializedArray<float>(RoundUp(needed, 1 << 16), pinned: true);
        }

        return array;
    }

    private static void Return(ref float[]? slot, float[] array)
    {
        if (slot is null || slot.Length < array.Length)
        {
            slot = array;
        }
    }

    private static float* AlignedPointer(float[] pinnedArray)
    {
        nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(pinnedArray));
        return (float*)((address + 63) & ~(nint)63);
    }
}

/// <summary>Produces packed panels of an implied B matrix for <see cref="Gemm.SgemmPackedB"/>.</summary>
internal abstract unsafe class BPanelPacker
{
    /// <summary>
    /// Writes B[k0..k0+kc, j0..j0+cols) as ceil(cols / nr) consecutive panels of kc x nr floats (row p of a
    /// panel contiguous), columns past <paramref name="cols"/> zero. Called concurrently from several threads.
    /// </summary>
    public abstract void Pack(int k0, int kc, int j0, int cols, int nr, float* dst);

    /// <summary>Whether packing one panel at a time costs no more than several (finer units balance threads better).</summary>
    public virtual bool SinglePanelUnits => false;
}
