"""PyTorch 1.13 / torchvision 0.14 outputs for Wsss.Core's IRNet and AffinityNet heads. Run with /usr/bin/python3.

The networks below are small re-implementations written from the reference digest (IRNet net/resnet50_irn.py,
psa network/resnet38_aff.py): the same modules, attribute names and attribute order, so state_dict() lists the
reference's keys. Nothing here reads the reference repositories.

Formula weights (both sides identical): over state_dict() in order, skipping num_batches_tracked, the MeanShift
buffers and IRNet's alias keys (stage*, backbone.*, edge_layers.*, dp_layers.*), the j-th entry with flat index i
and s = sin(0.37 h(i) + 0.11 j), h(i) = 7919 i mod 10007 (a scrambled index: with plain i every 1x1 convolution
weight would be a rank-2 matrix and the AffinityNet head's output would collapse to a near-constant), is
  conv weights (rank >= 2)   1.4 / sqrt(fan_in) * s
  running_var                1 + 0.5 s^2
  other *weight (BN, GN)     1 + 0.1 s
  everything else            0.1 s       (biases, running_mean)
computed in float64, rounded to float32. MeanShift.running_mean is set to (0.25, -0.15).

Files (float32 arrays):
  irn_net.npz          x (2, 3, 50, 66) uniform [0, 1) seed 0;
                       edge (2, 1, 13, 17) = Net.forward edge logits, dp (2, 2, 13, 17) eval mode (MeanShift
                       subtracted), dp_train = the same in training mode (backbone kept in eval mode)
  irn_infer.npz        image (3, 45, 57) uniform seed 1; EdgeDisplacement(crop_size=64, stride=4) on
                       [image, flip(image)]: edge (1, 12, 15) boundary probabilities, dp (2, 12, 15)
  irn_net_keys.txt     "name shape..." per line, Net.state_dict() order (aliases included)
  psa_head.npz         AffinityNet head (512, 1024, 4096 -> 64, 128, 256; f9 448) on formula features
                       conv4/conv5/conv6 (1, C, 9, 12), feature k: sin(0.37 h(i) + 0.5 k) * (1 + k) / 2, k = 0, 1, 2;
                       feat (1, 448, 9, 12) and aff (1, 34, 20) = exp(-mean_c |f_from - f_to|), pairs of radius 5
                       in enumeration order (from rows [0, H-4), columns [4, W-4))
  psa_head_keys.txt    the head's state_dict keys
  aff_resnet50.npz     AffinityNet over ResNet-50 with output stride 8 (torchvision's
                       replace_stride_with_dilation=[False, True, True]: dilation 2 in layer3, 4 in layer4, a
                       layer's first block keeping the previous dilation), heads fed by layer2/3/4 (512, 1024, 2048):
                       x (1, 3, 44, 52) seed 2; feat (1, 448, 6, 7)
"""
import math
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

OUT = os.path.dirname(os.path.abspath(__file__))
ALIASES = ("stage", "backbone.", "edge_layers.", "dp_layers.")


def scrambled(n):
    return ((torch.arange(n, dtype=torch.int64) * 7919) % 10007).to(torch.float64)


def formula(name, t, j):
    i = scrambled(t.numel())
    s = torch.sin(0.37 * i + 0.11 * j)
    if t.dim() >= 2:
        v = 1.4 / math.sqrt(t[0].numel()) * s
    elif name.endswith("running_var"):
        v = 1 + 0.5 * s * s
    elif name.endswith("weight"):
        v = 1 + 0.1 * s
    else:
        v = 0.1 * s
    return v.reshape(t.shape).to(t.dtype)


def set_weights(model):
    j = 0
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if name.endswith("num_batches_tracked") or name.startswith(ALIASES) or name.startswith("mean_shift.") \
                    or name == "fc_dp7.4.running_mean":
                continue
            t.copy_(formula(name, t, j))
            j += 1
        model.mean_shift.running_mean.copy_(torch.tensor([0.25, -0.15]))


def write_keys(model, file):
    with open(os.path.join(OUT, file), "w") as f:
        for k, t in model.state_dict().items():
            f.write(k + " " + " ".join(str(d) for d in t.shape) + "\n")


# ---------------------------------------------------------------------------------------------- IRNet

class MeanShift(nn.Module):
    """Buffer running_mean; identity while training, subtracts the buffer in eval mode."""

    def __init__(self, channels):
        super().__init__()
        self.register_buffer("running_mean", torch.zeros(channels))

    def forward(self, x):
        return x if self.training else x - self.running_mean.view(1, -1, 1, 1)


def head_block(cin, cout, groups, up=None):
    layers = [nn.Conv2d(cin, cout, 1, bias=False), nn.GroupNorm(groups, cout)]
    if up is not None:
        layers.append(nn.Upsample(scale_factor=up, mode="bilinear", align_corners=False))
    layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def irn_resnet50():
    r = torchvision.models.resnet50()
    r.layer4[0].conv2.stride = (1, 1)
    r.layer4[0].downsample[0].stride = (1, 1)
    del r.fc
    del r.avgpool
    return r


class IrnNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.resnet50 = irn_resnet50()
        r = self.resnet50
        self.stage1 = nn.Sequential(r.conv1, r.bn1, r.relu, r.maxpool)
        self.stage2 = nn.Sequential(r.layer1)
        self.stage3 = nn.Sequential(r.layer2)
        self.stage4 = nn.Sequential(r.layer3)
        self.stage5 = nn.Sequential(r.layer4)
        self.mean_shift = MeanShift(2)
        self.fc_edge1 = head_block(64, 32, 4)
        self.fc_edge2 = head_block(256, 32, 4)
        self.fc_edge3 = head_block(512, 32, 4, 2)
        self.fc_edge4 = head_block(1024, 32, 4, 4)
        self.fc_edge5 = head_block(2048, 32, 4, 4)
        self.fc_edge6 = nn.Conv2d(160, 1, 1, bias=True)
        self.fc_dp1 = head_block(64, 64, 8)
        self.fc_dp2 = head_block(256, 128, 16)
        self.fc_dp3 = head_block(512, 256, 16)
        self.fc_dp4 = head_block(1024, 256, 16, 2)
        self.fc_dp5 = head_block(2048, 256, 16, 2)
        self.fc_dp6 = head_block(768, 256, 16, 2)
        self.fc_dp7 = nn.Sequential(nn.Conv2d(448, 256, 1, bias=False), nn.GroupNorm(16, 256), nn.ReLU(),
                                    nn.Conv2d(256, 2, 1, bias=False), self.mean_shift)
        self.backbone = nn.ModuleList([self.stage1, self.stage2, self.stage3, self.stage4, self.stage5])
        self.edge_layers = nn.ModuleList([self.fc_edge1, self.fc_edge2, self.fc_edge3, self.fc_edge4,
                                          self.fc_edge5, self.fc_edge6])
        self.dp_layers = nn.ModuleList([self.fc_dp1, self.fc_dp2, self.fc_dp3, self.fc_dp4, self.fc_dp5,
                                        self.fc_dp6, self.fc_dp7])

    def train(self, mode=True):
        super().train(mode)
        self.backbone.eval()
        return self

    def forward(self, x):
        x1 = self.stage1(x).detach()
        x2 = self.stage2(x1).detach()
        x3 = self.stage3(x2).detach()
        x4 = self.stage4(x3).detach()
        x5 = self.stage5(x4).detach()
        e2 = self.fc_edge2(x2)
        h, w = e2.shape[2], e2.shape[3]
        edges = [self.fc_edge1(x1), e2] + [m(v)[..., :h, :w] for m, v in
                                            ((self.fc_edge3, x3), (self.fc_edge4, x4), (self.fc_edge5, x5))]
        edge = self.fc_edge6(torch.cat(edges, 1))
        d3 = self.fc_dp3(x3)
        h3, w3 = d3.shape[2], d3.shape[3]
        d4 = self.fc_dp4(x4)[..., :h3, :w3]
        d5 = self.fc_dp5(x5)[..., :h3, :w3]
        d2 = self.fc_dp2(x2)
        up = self.fc_dp6(torch.cat([d3, d4, d5], 1))[..., :d2.shape[2], :d2.shape[3]]
        dp = self.fc_dp7(torch.cat([self.fc_dp1(x1), d2, up], 1))
        return edge, dp


def edge_displacement(net, image, crop_size, stride=4):
    """IRNet's inference: [image, hflip(image)], zero pad right/bottom to crop_size, crop to the stride-4 grid."""
    x = torch.stack([image, image.flip(-1)])
    h, w = (x.shape[2] - 1) // stride + 1, (x.shape[3] - 1) // stride + 1
    x = F.pad(x, [0, crop_size - x.shape[3], 0, crop_size - x.shape[2]])
    edge, dp = net(x)
    edge, dp = edge[..., :h, :w], dp[..., :h, :w]
    return torch.sigmoid(edge[0] / 2 + edge[1].flip(-1) / 2), dp[0]


# ---------------------------------------------------------------------------------------------- AffinityNet

class AffHead(nn.Module):
    def __init__(self, c3, c4, c5):
        super().__init__()
        self.f8_3 = nn.Conv2d(c3, 64, 1, bias=False)
        self.f8_4 = nn.Conv2d(c4, 128, 1, bias=False)
        self.f8_5 = nn.Conv2d(c5, 256, 1, bias=False)
        self.f9 = nn.Conv2d(448, 448, 1, bias=False)

    def forward(self, a, b, c):
        cat = torch.cat([F.elu(self.f8_3(a)), F.elu(self.f8_4(b)), F.elu(self.f8_5(c))], 1)
        return F.elu(self.f9(cat))


def pairs(radius, h, w):
    """Sources rows [0, h-rf), columns [rf, w-rf); directions in AffinityNet's enumeration order."""
    rf = radius - 1
    dirs = [(0, dx) for dx in range(1, radius)]
    for dy in range(1, radius):
        for dx in range(-radius + 1, radius):
            if dx * dx + dy * dy < radius * radius:
                dirs.append((dy, dx))
    full = np.arange(h * w).reshape(h, w)
    ch, cw = h - rf, w - 2 * rf
    src = full[:ch, rf:rf + cw].ravel()
    dst = np.concatenate([full[dy:dy + ch, rf + dx:rf + dx + cw].ravel() for dy, dx in dirs])
    return src, dst, len(dirs)


def affinity(feat, radius):
    src, dst, n_dirs = pairs(radius, feat.shape[2], feat.shape[3])
    f = feat.reshape(feat.shape[0], feat.shape[1], -1)
    ff = f[:, :, torch.from_numpy(src)].unsqueeze(2)
    ft = f[:, :, torch.from_numpy(dst)].view(f.shape[0], f.shape[1], n_dirs, -1)
    return torch.exp(-torch.mean(torch.abs(ft - ff), dim=1))


def formula_features(shape, k):
    i = scrambled(int(np.prod(shape)))
    return (torch.sin(0.37 * i + 0.5 * k) * (1 + k) / 2).reshape(shape).float()


class AffResNet50(nn.Module):
    def __init__(self):
        super().__init__()
        r = torchvision.models.resnet50(replace_stride_with_dilation=[False, True, True])
        del r.fc
        del r.avgpool
        self.backbone = r
        self.head = AffHead(512, 1024, 2048)

    def forward(self, x):
        r = self.backbone
        x = r.layer1(r.maxpool(r.relu(r.bn1(r.conv1(x)))))
        a = r.layer2(x)
        b = r.layer3(a)
        c = r.layer4(b)
        return self.head(a, b, c)


def main():
    torch.set_num_threads(1)

    net = IrnNet()
    write_keys(net, "irn_net_keys.txt")
    set_weights(net)
    net.eval()
    torch.manual_seed(0)
    x = torch.rand(2, 3, 50, 66)
    with torch.no_grad():
        edge, dp = net(x)
        net.train()
        _, dp_train = net(x)
        net.eval()
    np.savez_compressed(os.path.join(OUT, "irn_net.npz"), x=x.numpy(), edge=edge.numpy(), dp=dp.numpy(),
                        dp_train=dp_train.numpy())
    print("irn_net", tuple(edge.shape), tuple(dp.shape), float(edge.abs().mean()), float(dp.abs().mean()))

    torch.manual_seed(1)
    image = torch.rand(3, 45, 57)
    with torch.no_grad():
        e, d = edge_displacement(net, image, 64)
    np.savez_compressed(os.path.join(OUT, "irn_infer.npz"), image=image.numpy(), edge=e.numpy(), dp=d.numpy())
    print("irn_infer", tuple(e.shape), tuple(d.shape), float(e.mean()), float(d.abs().mean()))

    head = AffHead(512, 1024, 4096)
    write_keys(head, "psa_head_keys.txt")
    with torch.no_grad():
        for j, (name, t) in enumerate(head.state_dict().items()):
            t.copy_(formula(name, t, j))
        feats = [formula_features((1, c, 9, 12), k) for k, c in enumerate((512, 1024, 4096))]
        feat = head(*feats)
        aff = affinity(feat, 5)
    np.savez_compressed(os.path.join(OUT, "psa_head.npz"), feat=feat.numpy(), aff=aff.numpy())
    print("psa_head", tuple(feat.shape), tuple(aff.shape), float(aff.mean()))

    m = AffResNet50()
    m.eval()
    with torch.no_grad():
        for j, (name, t) in enumerate((n, t) for n, t in m.state_dict().items() if not n.endswith("num_batches_tracked")):
            t.copy_(formula(name, t, j))
        torch.manual_seed(2)
        x = torch.rand(1, 3, 44, 52)
        feat = m(x)
    np.savez_compressed(os.path.join(OUT, "aff_resnet50.npz"), x=x.numpy(), feat=feat.numpy())
    print("aff_resnet50", tuple(feat.shape), float(feat.abs().mean()))


if __name__ == "__main__":
    main()
