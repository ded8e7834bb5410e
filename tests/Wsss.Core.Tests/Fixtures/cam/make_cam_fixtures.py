"""Reference CAM procedures for Wsss.Core's Cam namespace. Run with /usr/bin/python3 (Debian torch 1.13, torchvision 0.14,
Pillow 9.4).

The networks are torchvision's with formula weights (as ../resnet/make_resnet_fixtures.py: the j-th state-dict entry,
flat index i, s = sin(0.37 i + 0.11 j); conv/fc 1.4/sqrt(fan_in)·s, BN weight 1 + 0.1 s, BN bias/running_mean 0.1 s,
running_var 1 + 0.5 s^2), evaluated with BatchNorm on its running statistics. The procedures below are written from the
descriptions of jiwoon-ahn/irn (net/resnet50_cam.py, step/make_cam.py, misc/imutils.py) and jiwoon-ahn/psa (infer_cls.py).

Writes:
  irn_cam.npz   image (H, W, 3) uint8 crop of msrc_mini/JPEGImages/12_8_s.jpg, label (20,), logits (1, 20) of the CAM
                net on the normalised image, loss (multilabel soft margin), grad_classifier (20, 2048, 1, 1),
                grad_layer3_bn1 (256,) (layer3.0.bn1.weight), keys, strided (K, h4, w4), high_res (K, H, W)
  psa_cam.npz   keys, cams (K, H, W): psa's infer_cls procedure with the same network
  grad_cam.npz  x (2, 3, 96, 80), classes, layer4 (2, 2, 3, 3), layer3 (2, 2, 6, 5): Grad-CAM of a ResNet-18 (10 classes),
                in float32 and (layer4_f64, layer3_f64) computed in float64
  classifier_g.npz  x (2, 3, 64, 64), targets (2, 1), probs (2, 1), loss: ResNet-18 with fc = Linear(512, 1) + sigmoid
  irn_cam_net_keys.txt  the state_dict keys of a module laid out as IRNet's resnet50_cam.Net (resnet50.*, the stage1..4
                aliases, classifier, and the backbone/newly_added ModuleLists), i.e. what res50_cam.pth holds, each
                with the first key that shares its tensor
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
import torchvision
from PIL import Image

OUT = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(OUT, "..", "resnet"))
from make_resnet_fixtures import set_weights  # noqa: E402  (the same formula weights as the ResNet fixtures)
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
SCALES = (1.0, 0.5, 1.5, 2.0)


class CamNet(torch.nn.Module):
    """IRNet's resnet50_cam.Net with the canonical key names (resnet50.*, classifier.weight)."""

    def __init__(self):
        super().__init__()
        m = torchvision.models.resnet50()
        m.layer4[0].conv2.stride = (1, 1)
        m.layer4[0].downsample[0].stride = (1, 1)
        del m.fc
        self.resnet50 = m
        self.classifier = torch.nn.Conv2d(2048, 20, 1, bias=False)

    def features(self, x, detach_low=False):
        m = self.resnet50
        x = m.layer2(m.layer1(m.maxpool(m.relu(m.bn1(m.conv1(x))))))
        if detach_low:
            x = x.detach()
        return m.layer4(m.layer3(x))

    def forward(self, x):
        x = self.features(x, detach_low=True)
        x = x.mean((2, 3), keepdim=True)
        return self.classifier(x).view(-1, 20)

    def forward_cam(self, x):
        return F.relu(F.conv2d(self.features(x), self.classifier.weight))


def normalize(img):
    # imutils TorchvisionNormalize / psa Normalize: float64 arithmetic, stored as float32.
    out = np.empty(img.shape, np.float32)
    for c in range(3):
        out[..., c] = (img[..., c] / 255.0 - MEAN[c]) / STD[c]
    return out


def pil_rescale(img, scale):
    h, w = img.shape[:2]
    size = (int(np.round(h * scale)), int(np.round(w * scale)))
    if size[0] == h and size[1] == w:
        return img
    return np.asarray(Image.fromarray(img).resize(size[::-1], Image.BICUBIC))


def irn_make_cam(net, img, label):
    h, w = img.shape[:2]
    strided_size = ((h - 1) // 4 + 1, (w - 1) // 4 + 1)
    up_size = (((h - 1) // 16 + 1) * 16, ((w - 1) // 16 + 1) * 16)
    outputs = []
    for s in SCALES:
        chw = normalize(pil_rescale(img, s)).transpose(2, 0, 1)
        pack = torch.from_numpy(np.stack([chw, np.flip(chw, -1)], 0).copy())
        x = net.forward_cam(pack)
        outputs.append(x[0] + x[1].flip(-1))
    strided = torch.sum(torch.stack([F.interpolate(o[None], strided_size, mode="bilinear", align_corners=False)[0] for o in outputs]), 0)
    high = [F.interpolate(o[:, None], up_size, mode="bilinear", align_corners=False) for o in outputs]
    high = torch.sum(torch.stack(high, 0), 0)[:, 0, :h, :w]
    keys = torch.nonzero(torch.from_numpy(label))[:, 0]
    strided = strided[keys]
    strided /= F.adaptive_max_pool2d(strided, (1, 1)) + 1e-5
    high = high[keys]
    high /= F.adaptive_max_pool2d(high, (1, 1)) + 1e-5
    return keys.numpy(), strided.numpy(), high.numpy()


def psa_infer_cls(net, img, label):
    h, w = img.shape[:2]
    pil = Image.fromarray(img)
    imgs = []
    for s in SCALES:
        size = (int(round(w * s)), int(round(h * s)))
        chw = normalize(np.asarray(pil.resize(size, resample=Image.BICUBIC))).transpose(2, 0, 1)
        imgs.append(chw)
        imgs.append(np.flip(chw, -1).copy())
    cams = []
    for i, chw in enumerate(imgs):
        cam = net.forward_cam(torch.from_numpy(chw.copy())[None])
        cam = F.interpolate(cam, (h, w), mode="bilinear", align_corners=False)[0]
        cam = cam.numpy() * label.reshape(20, 1, 1)
        if i % 2 == 1:
            cam = np.flip(cam, axis=-1)
        cams.append(cam)
    sum_cam = np.sum(cams, axis=0)
    norm_cam = sum_cam / (np.max(sum_cam, (1, 2), keepdims=True) + 1e-5)
    keys = np.array([i for i in range(20) if label[i] > 1e-5])
    return keys, norm_cam[keys]


def cam_fixtures():
    img = np.asarray(Image.open(os.path.join(OUT, "..", "msrc_mini", "JPEGImages", "12_8_s.jpg")).convert("RGB"))
    img = np.ascontiguousarray(img[20:78, 30:105])  # 58 x 75: odd sizes exercise the rounding of every scale
    label = np.zeros(20, np.float32)
    label[[3, 7, 9, 13]] = 1  # 3 and 13 are partly active, 9 everywhere, 7 nowhere (its maps stay 0)
    net = CamNet()
    set_weights(net)
    net.eval()
    for p in net.resnet50.conv1.parameters():
        p.requires_grad_(False)
    for p in net.resnet50.bn1.parameters():
        p.requires_grad_(False)
    x = torch.from_numpy(normalize(img).transpose(2, 0, 1).copy())[None]
    logits = net(x)
    loss = F.multilabel_soft_margin_loss(logits, torch.from_numpy(label)[None])
    loss.backward()
    with torch.no_grad():
        keys, strided, high = irn_make_cam(net, img, label)
        pkeys, pcams = psa_infer_cls(net, img, label)
    np.savez_compressed(os.path.join(OUT, "irn_cam.npz"), image=img, label=label, logits=logits.detach().numpy(),
                        loss=np.float32(loss.item()), grad_classifier=net.classifier.weight.grad.numpy(),
                        grad_layer3_bn1=net.resnet50.layer3[0].bn1.weight.grad.numpy(),
                        keys=keys.astype(np.int64), strided=strided, high_res=high)
    np.savez_compressed(os.path.join(OUT, "psa_cam.npz"), keys=pkeys.astype(np.int64), cams=pcams.astype(np.float32))
    assert net.resnet50.layer2[0].conv1.weight.grad is None
    print("irn", strided.shape, high.shape, float(loss), "psa", pcams.shape)


def grad_cams(x, classes, dtype):
    net = torchvision.models.resnet18(num_classes=10)
    set_weights(net)
    net = net.to(dtype)
    net.eval()
    acts = {}
    hooks = [net.layer4.register_forward_hook(lambda m, i, o: acts.__setitem__("layer4", o)),
             net.layer3.register_forward_hook(lambda m, i, o: acts.__setitem__("layer3", o))]
    out = net(x.to(dtype))
    result = {}
    for name in ("layer4", "layer3"):
        a = acts[name]
        maps = []
        for c in classes:
            g = torch.autograd.grad(out[:, c].sum(), a, retain_graph=True)[0]
            alpha = g.mean((2, 3), keepdim=True)
            maps.append(F.relu((alpha * a).sum(1)))
        result[name] = torch.stack(maps, 1).detach().numpy()
    for h in hooks:
        h.remove()
    return result


def grad_cam_fixture():
    torch.manual_seed(0)
    x = torch.rand(2, 3, 96, 80)
    classes = [5, 7]  # class 5 is active at both layers, 7 only at layer3
    result = grad_cams(x, classes, torch.float32)
    # The same network in float64: Σ α_k A_k cancels heavily at layer3, where float32 itself is ~1e-6 (0.6%) off.
    exact = {k + "_f64": v for k, v in grad_cams(x, classes, torch.float64).items()}
    np.savez_compressed(os.path.join(OUT, "grad_cam.npz"), x=x.numpy(), classes=np.array(classes, np.int64), **result, **exact)
    print("grad-cam", {k: v.shape for k, v in result.items()})


class ClassifierG(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.resnet18 = torchvision.models.resnet18()
        self.resnet18.fc = torch.nn.Linear(512, 1)

    def forward(self, x):
        return torch.sigmoid(self.resnet18(x))


def classifier_g_fixture():
    net = ClassifierG()
    set_weights(net)
    net.eval()
    torch.manual_seed(1)
    x = torch.rand(2, 3, 64, 64)
    targets = torch.tensor([[1.0], [0.0]])
    with torch.no_grad():
        probs = net(x)
        loss = F.binary_cross_entropy(probs, targets)
    np.savez_compressed(os.path.join(OUT, "classifier_g.npz"), x=x.numpy(), targets=targets.numpy(), probs=probs.numpy(),
                        loss=np.float32(loss.item()))
    print("classifier g", probs.numpy().ravel(), float(loss))


class IrnCamNetLayout(torch.nn.Module):
    """The module structure of IRNet's resnet50_cam.Net (every backbone module registered under several names)."""

    def __init__(self):
        super().__init__()
        m = CamNet().resnet50
        nn = torch.nn
        self.resnet50 = m
        self.stage1 = nn.Sequential(m.conv1, m.bn1, m.relu, m.maxpool, m.layer1)
        self.stage2 = nn.Sequential(m.layer2)
        self.stage3 = nn.Sequential(m.layer3)
        self.stage4 = nn.Sequential(m.layer4)
        self.classifier = nn.Conv2d(2048, 20, 1, bias=False)
        self.backbone = nn.ModuleList([self.stage1, self.stage2, self.stage3, self.stage4])
        self.newly_added = nn.ModuleList([self.classifier])


def irn_cam_keys():
    # "key canonical-key" per line: the canonical key is the first one sharing the tensor's storage (torch keeps
    # every name of a shared module in the state dict).
    first = {}
    lines = []
    for k, t in IrnCamNetLayout().state_dict().items():
        canonical = first.setdefault((t.data_ptr(), tuple(t.shape)), k)
        lines.append(k + " " + canonical)
    with open(os.path.join(OUT, "irn_cam_net_keys.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    torch.set_num_threads(1)
    irn_cam_keys()
    cam_fixtures()
    grad_cam_fixture()
    classifier_g_fixture()


if __name__ == "__main__":
    main()
