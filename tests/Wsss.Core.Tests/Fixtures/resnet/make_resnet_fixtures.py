"""torchvision 0.14 (Debian python3-torchvision) ResNet outputs for Wsss.Core's ResNet. Run with /usr/bin/python3.

Weights: the j-th entry of state_dict() (skipping num_batches_tracked), flat index i, s = sin(0.37 i + 0.11 j):
  conv / fc weights  1.4 / sqrt(fan_in) * s      BN weight  1 + 0.1 s     BN bias, fc bias, running_mean  0.1 s
  running_var        1 + 0.5 s^2
computed in float64, rounded to float32; eval mode (BatchNorm uses the running statistics).
Writes <name>.npz (x, out) and <name>_keys.txt ("name shape..." per line, in state_dict order) for
  resnet18_c10:   torchvision.models.resnet18(num_classes=10), input (1, 3, 64, 64), out = logits (1, 10)
  resnet50_irn:   resnet50 with IRNet's strides (2, 2, 2, 1), no fc, input (1, 3, 64, 48), out = layer4 (1, 2048, 4, 3)
"""
import math
import os

import numpy as np
import torch
import torchvision

OUT = os.path.dirname(os.path.abspath(__file__))


def set_weights(model):
    j = 0
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if name.endswith("num_batches_tracked"):
                continue
            i = torch.arange(t.numel(), dtype=torch.float64)
            s = torch.sin(0.37 * i + 0.11 * j)
            if t.dim() >= 2:
                v = 1.4 / math.sqrt(t[0].numel()) * s
            elif name.endswith("running_var"):
                v = 1 + 0.5 * s * s
            elif ".bn" in name or name.startswith("bn") or "downsample.1" in name:
                v = (1 + 0.1 * s) if name.endswith("weight") else 0.1 * s
            else:
                v = 0.1 * s
            t.copy_(v.reshape(t.shape).to(t.dtype))
            j += 1


def run(name, model, shape):
    set_weights(model)
    model.eval()
    torch.manual_seed(0)
    x = torch.rand(*shape)
    with torch.no_grad():
        out = model(x)
    np.savez_compressed(os.path.join(OUT, name + ".npz"), x=x.numpy(), out=out.numpy())
    with open(os.path.join(OUT, name + "_keys.txt"), "w") as f:
        for k, t in model.state_dict().items():
            f.write(k + " " + " ".join(str(d) for d in t.shape) + "\n")
    print(name, tuple(out.shape), float(out.abs().mean()))


class Layer4Features(torch.nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, x):
        m = self.m
        x = m.maxpool(m.relu(m.bn1(m.conv1(x))))
        return m.layer4(m.layer3(m.layer2(m.layer1(x))))


def main():
    torch.set_num_threads(1)
    run("resnet18_c10", torchvision.models.resnet18(num_classes=10), (1, 3, 64, 64))
    m = torchvision.models.resnet50()
    m.layer4[0].conv2.stride = (1, 1)
    m.layer4[0].downsample[0].stride = (1, 1)
    del m.fc
    m.fc = torch.nn.Identity()
    set_weights(m)
    wrapper = Layer4Features(m)
    wrapper.eval()
    torch.manual_seed(0)
    x = torch.rand(1, 3, 64, 48)
    with torch.no_grad():
        out = wrapper(x)
    np.savez_compressed(os.path.join(OUT, "resnet50_irn.npz"), x=x.numpy(), out=out.numpy())
    with open(os.path.join(OUT, "resnet50_irn_keys.txt"), "w") as f:
        for k, t in m.state_dict().items():
            f.write(k + " " + " ".join(str(d) for d in t.shape) + "\n")
    print("resnet50_irn", tuple(out.shape), float(out.abs().mean()))


if __name__ == "__main__":
    main()
