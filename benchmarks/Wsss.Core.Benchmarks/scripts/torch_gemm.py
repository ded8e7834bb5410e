#!/usr/bin/python3
"""torch.mm float32 GFLOP/s (2*n^3 / median time) for n = 256, 512, 1024, 2048 on 1 and 2 threads.
Run: /usr/bin/python3 torch_gemm.py   (Debian python3-torch). One line per (threads, n)."""
import statistics
import time

import torch

torch.manual_seed(0)
print(f"torch_version {torch.__version__}")
for threads in (1, 2):
    torch.set_num_threads(threads)
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
        print(f"gemm threads={threads} n={n} median_ms {t * 1e3:.3f} gflops {2 * n ** 3 / t / 1e9:.1f}")
