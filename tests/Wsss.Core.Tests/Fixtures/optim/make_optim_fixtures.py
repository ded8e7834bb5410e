"""Golden optimiser trajectories from PyTorch (run with Debian's /usr/bin/python3 + python3-torch).

Each case: two parameters p0 (3,4) and p1 (5,), a fixed sequence of 6 gradients per parameter,
and the parameters after every step. Keys: p0, p1 (initial), g{t}_0, g{t}_1 (gradient of step t),
after{t}_0, after{t}_1 (parameters after step t), lr{t} (learning rate used at step t, for the
scheduled case). Case parameters are listed in CASES below.
"""
import os
import numpy as np
import torch

OUT = os.path.dirname(os.path.abspath(__file__))
STEPS = 6
CASES = {
    "sgd_plain": lambda ps: torch.optim.SGD(ps, lr=0.1),
    "sgd_momentum_wd": lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01),
    "sgd_nesterov": lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3),
    "adam": lambda ps: torch.optim.Adam(ps, lr=1e-2),
    "adam_wd": lambda ps: torch.optim.Adam(ps, lr=1e-2, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
    "adamw": lambda ps: torch.optim.AdamW(ps, lr=1e-2, weight_decay=0.05),
    "sgd_groups_poly": None,  # two groups with their own lr/wd and a poly schedule (power 0.9, 10 steps)
}


def main():
    torch.set_num_threads(1)
    for name, make in CASES.items():
        torch.manual_seed(sum(map(ord, name)))
        p0 = torch.randn(3, 4)
        p1 = torch.randn(5)
        grads = [(torch.randn(3, 4), torch.randn(5)) for _ in range(STEPS)]
        a = torch.nn.Parameter(p0.clone())
        b = torch.nn.Parameter(p1.clone())
        sched = None
        if make is None:
            opt = torch.optim.SGD([{"params": [a], "lr": 0.1, "weight_decay": 1e-2},
                                   {"params": [b], "lr": 0.01}], lr=0.5, momentum=0.9)
            sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: (1 - s / 10) ** 0.9)
        else:
            opt = make([a, b])
        out = {"p0": p0.numpy(), "p1": p1.numpy()}
        for t, (g0, g1) in enumerate(grads):
            a.grad = g0.clone()
            b.grad = g1.clone()
            out[f"lr{t}"] = np.array([g["lr"] for g in opt.param_groups], dtype=np.float32)
            opt.step()
            if sched is not None:
                sched.step()
            out[f"g{t}_0"] = g0.numpy()
            out[f"g{t}_1"] = g1.numpy()
            out[f"after{t}_0"] = a.detach().numpy().copy()
            out[f"after{t}_1"] = b.detach().numpy().copy()
        np.savez(os.path.join(OUT, name + ".npz"), **out)
    print("torch", torch.__version__, "cases", len(CASES))


if __name__ == "__main__":
    main()
