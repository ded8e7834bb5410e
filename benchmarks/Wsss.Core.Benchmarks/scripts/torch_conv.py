#!/usr/bin/python3
"""Time F.conv2d 3x3 (padding 1, batch 1) forward and forward+backward on the U-Net layers that
Conv2dBenchmarks measures, with 2 threads. Prints "layer fwd_ms fwd_gflops bwd_ms bwd_gflops" lines
(backward counted as 2x the forward FLOPs; best of 5 after 2 warm-ups).
Run: /usr/bin/python3 torch_conv.py   (Debian python3-torch)"""
import time

import torch
import torch.nn.functional as F

torch.set_num_threads(2)
LAYERS = ["64-64-224", "128-128-112", "256-256-56", "512-512-28", "1536-512-14", "3-64-224", "64-2-224"]
print(f"torch {torch.__version__} threads {torch.get_num_threads()} mkldnn {torch.backends.mkldnn.is_available()}")
for layer in LAYERS:
    cin, cout, h = map(int, layer.split("-"))
    g = torch.Generator().manual_seed(1)
    x = torch.randn(1, cin, h, h, generator=g, requires_grad=True)
    w = torch.randn(cout, cin, 3, 3, generator=g, requires_grad=True)
    b = torch.randn(cout, generator=g, requires_grad=True)
    flop = 2.0 * cin * cout * 9 * h * h
    tf, tb = [], []
    for r in range(7):
        t0 = time.perf_counter()
        y = F.conv2d(x, w, b, padding=1)
        t1 = time.perf_counter()
        y.backward(y.detach())
        t2 = time.perf_counter()
        x.grad = w.grad = b.grad = None
        if r >= 2:
            tf.append(t1 - t0)
            tb.append(t2 - t1)
    f, bb = min(tf), min(tb)
    print(f"{layer} {f * 1e3:.1f} {flop / f / 1e9:.1f} {bb * 1e3:.1f} {2 * flop / bb / 1e9:.1f}")
