#!/usr/bin/python3
"""The references' random walk in PyTorch: a dense N x N transition matrix squared 8 times (T^256), then
applied to 3 channels — IRNet's propagate_to_edge / psa's infer_aff. Times the squaring + product for the
map sizes PropagationBenchmarks uses (the 125x94 PASCAL map, N = 11750, needs 0.55 GB per matrix and
~26 TFLOP; it is skipped unless --all is given). 2 threads; median of 3.
Run: /usr/bin/python3 torch_dense_walk.py [--all]  (Debian python3-torch; matmul uses Debian's
libblas.so.3 — set LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread for OpenBLAS)."""
import statistics
import sys
import time

import torch

torch.set_num_threads(2)
sizes = [(32, 24), (63, 47)] + ([(125, 94)] if "--all" in sys.argv else [])
print(f"torch {torch.__version__} threads {torch.get_num_threads()}")
for w, h in sizes:
    n = w * h
    g = torch.Generator().manual_seed(0)
    a = torch.rand(n, n, generator=g)
    t = a / a.sum(0, keepdim=True)
    x = torch.rand(3, n, generator=g)
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        m = t
        for _ in range(8):
            m = torch.matmul(m, m)
        y = torch.matmul(x, m)
        times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    print(f"dense_walk {w}x{h} n {n} median_ms {med * 1e3:.1f} gflops {8 * 2 * n ** 3 / med / 1e9:.1f} memory_mb {n * n * 4 / 1e6:.1f}")
