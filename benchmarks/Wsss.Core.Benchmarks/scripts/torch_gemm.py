#!/usr/bin/python3
"""torch.mm float32 GFLOP/s (2*n^3 / median time) for n = 256, 512, 1024, 2048 on 1 and 2 threads.
Run: /usr/bin/python3 torch_gemm.py   (Debian python3-torch). One line per (threads, n).

Each thread count runs in a fresh subprocess with OMP_NUM_THREADS / OPENBLAS_NUM_THREADS /
MKL_NUM_THREADS set as well as torch.set_num_threads, because torch.mm goes to whatever
libblas.so.3 Debian's alternatives select (reference netlib BLAS by default = single-threaded,
slow; OpenBLAS if libopenblas0 is installed or LD_LIBRARY_PATH points at it), and OpenBLAS
ignores torch.set_num_threads.
"""
import os
import statistics
import subprocess
import sys
import time


def blas_lib():
    try:
        for line in open(f"/proc/{os.getpid()}/maps"):
            if "blas" in line:
                return line.split()[-1]
    except OSError:
        pass
    return "?"


def run(threads):
    import torch
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    torch.mm(torch.ones(8, 8), torch.ones(8, 8))
    print(f"threads={threads} torch_version {torch.__version__} blas {blas_lib()}", flush=True)
    for n in (256, 512, 1024, 2048):
        a = torch.randn(n, n)
        b = torch.randn(n, n)
        c = torch.empty(n, n)
        reps = {256: 50, 512: 20, 1024: 8, 2048: 4}[n]
        for _ in range(2):
            torch.mm(a, b, out=c)
        ts = []
        for _ in range(reps):
            t0 = time.perf_counter()
            torch.mm(a, b, out=c)
            ts.append(time.perf_counter() - t0)
        t = statistics.median(ts)
        print(f"gemm threads={threads} n={n} median_ms {t * 1e3:.3f} gflops {2 * n ** 3 / t / 1e9:.1f}",
              flush=True)


if __name__ == "__main__":
    if len(sys.argv) > 1:
        run(int(sys.argv[1]))
    else:
        for threads in (1, 2):
            env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
                       MKL_NUM_THREADS=str(threads))
            subprocess.run([sys.executable, os.path.abspath(__file__), str(threads)], env=env,
                           check=True)
