#!/usr/bin/python3
"""Time one training step (forward, backward, Adam step) of the full-width WSSSByRec U-Net pair
(K=2, input 1x3x224x224, loss = mse recon + 1e-3 * mask loss) on CPU with 2 threads.
Warm-up 3 steps, then median of 10. Prints one "metric value unit" line per metric.
Run: /usr/bin/python3 torch_unet_step.py [repo|paper]   (Debian python3-torch)
Layout 'repo' (default) = WSSSByRec seg_model_unet.py (UNetPair(layout='repo') in
tests/Wsss.Core.Tests/Fixtures/torch/make_torch_fixtures.py, Wsss.Core's UNetLayout.Reference);
'paper' = the layout that reproduces the paper's appendix counts (UNetLayout.Paper)."""
import resource
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(2)
torch.manual_seed(0)
K, W, H = 2, 64, 224
LAYOUT = sys.argv[1] if len(sys.argv) > 1 else "repo"
assert LAYOUT in ("repo", "paper"), LAYOUT


def conv3(a, b):
    return nn.Conv2d(a, b, 3, padding=1, bias=True)


class UNetPair(nn.Module):
    def __init__(self, K=2, w=64):
        super().__init__()
        c = [w, 2 * w, 4 * w, 8 * w]
        if LAYOUT == "repo":
            enc = [(3, c[0]), (c[0], c[0]), (c[0], c[1]), (c[1], c[1]), (c[1], c[2]), (c[2], c[2]),
                   (c[2], c[3]), (c[3], c[3]), (c[3], 16 * w), (16 * w, c[3])]
            dec = [(2 * c[3], c[3]), (c[3], c[2]), (2 * c[2], c[2]), (c[2], c[1]),
                   (2 * c[1], c[1]), (c[1], c[0]), (2 * c[0], c[0]), (c[0], c[0])]
        else:
            enc = [(3, c[0]), (c[0], c[0]), (c[0], c[1]), (c[1], c[1]), (c[1], c[2]), (c[2], c[2]),
                   (c[2], c[3]), (c[3], c[3]), (c[3], 16 * w)]
            dec = [(16 * w + c[3], c[3]), (c[3], c[3]), (c[3] + c[2], c[2]), (c[2], c[2]),
                   (c[2] + c[1], c[1]), (c[1], c[1]), (c[1] + c[0], c[0]), (c[0], c[0]), (c[0], c[0])]
        self.K = K
        self.enc = nn.ModuleList(conv3(a, b) for a, b in enc)
        self.dec_img = nn.ModuleList(conv3(a, b) for a, b in dec)
        self.dec_mask = nn.ModuleList(conv3(a, b) for a, b in dec)
        self.head_img = conv3(c[0], 3 * K)
        self.head_mask = conv3(c[0], K)

    def forward(self, x):
        B, _, h, w = x.shape
        skips = []
        for i, conv in enumerate(self.enc):
            x = F.leaky_relu(conv(x), 0.01)
            if i in (1, 3, 5, 7):
                if LAYOUT == "repo":
                    skips.append(x)
                x = F.max_pool2d(x, 2)
                if LAYOUT == "paper":
                    skips.append(x)

        def up(z):
            return F.interpolate(z, scale_factor=2.0, mode="bilinear", align_corners=False)

        def dec(convs, z):
            s = list(skips)
            for i, conv in enumerate(convs):
                if i in (0, 2, 4, 6):
                    z = torch.cat([up(z), s.pop()], 1) if LAYOUT == "repo" else torch.cat([z, s.pop()], 1)
                z = F.leaky_relu(conv(z), 0.01)
                if LAYOUT == "paper" and i in (0, 2, 4, 6):
                    z = up(z)
            return z

        imgs = torch.sigmoid(self.head_img(dec(self.dec_img, x)).view(B, self.K, 3, h, w))
        return imgs, self.head_mask(dec(self.dec_mask, x))


def losses(x, label, imgs, logits):
    sm = F.softmax(logits, 1)
    recon = (sm.unsqueeze(2) * imgs).sum(1)
    p = sm.mean((-2, -1))
    lm = (-label * torch.log(p + 1e-6) - (1 - label) * torch.log(1 - p + 1e-6)).sum() / label.shape[0]
    return F.mse_loss(recon, x) + 1e-3 * lm


model = UNetPair(K, W)
opt = torch.optim.Adam(model.parameters(), lr=1e-4)
x = torch.rand(1, 3, H, H)
label = torch.tensor([[1.0, 1.0]])


def step():
    t0 = time.perf_counter()
    opt.zero_grad(set_to_none=True)
    imgs, logits = model(x)
    t1 = time.perf_counter()
    loss = losses(x, label, imgs, logits)
    loss.backward()
    t2 = time.perf_counter()
    opt.step()
    t3 = time.perf_counter()
    return t3 - t0, t1 - t0, t2 - t1, t3 - t2


for _ in range(3):
    step()
times = [step() for _ in range(10)]
med = [statistics.median(t[i] for t in times) for i in range(4)]
print(f"torch_version {torch.__version__}")
print(f"layout {LAYOUT}")
print(f"threads {torch.get_num_threads()}")
print(f"params {sum(p.numel() for p in model.parameters())}")
print(f"step_median_s {med[0]:.4f}")
print(f"step_min_s {min(t[0] for t in times):.4f}")
print(f"forward_median_s {med[1]:.4f}")
print(f"loss_backward_median_s {med[2]:.4f}")
print(f"adam_step_median_s {med[3]:.4f}")
print("step_times_s " + ",".join(f"{t[0]:.3f}" for t in times))
print(f"peak_rss_mb {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f}")
