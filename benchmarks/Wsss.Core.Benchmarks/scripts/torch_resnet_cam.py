#!/usr/bin/python3
"""Time ResNet-50 inference in PyTorch on the CPU with 2 threads (Debian python3-torch 1.13, torchvision 0.14):
  resnet50_forward_512: torchvision resnet50 (eval, no grad) on 1x3x512x512
  multiscale_cam_500x375: IRNet's make_cam for one 500x375 image (CAM net = resnet50 with strides (2,2,2,1) + 1x1
    classifier; scales 1.0, 0.5, 1.5, 2.0, each as a batch [image, flip]; PIL bicubic rescale and normalisation
    included; strided and high-res CAMs, two present classes), as CamBenchmarks.MultiScaleCam500x375.
Warm-up 2, then median of 8. Prints "metric value unit" lines.
Run: /usr/bin/python3 benchmarks/Wsss.Core.Benchmarks/scripts/torch_resnet_cam.py"""
import os
import statistics
import time

import numpy as np
import torch
import torch.nn.functional as F
import torchvision
from PIL import Image

torch.set_num_threads(2)
torch.manual_seed(0)
HERE = os.path.dirname(os.path.abspath(__file__))
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


def timed(fn, warmup=2, runs=8):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


class CamNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        m = torchvision.models.resnet50()
        m.layer4[0].conv2.stride = (1, 1)
        m.layer4[0].downsample[0].stride = (1, 1)
        del m.fc
        self.resnet50 = m
        self.classifier = torch.nn.Conv2d(2048, 20, 1, bias=False)

    def forward(self, x):
        m = self.resnet50
        x = m.layer4(m.layer3(m.layer2(m.layer1(m.maxpool(m.relu(m.bn1(m.conv1(x))))))))
        x = F.relu(F.conv2d(x, self.classifier.weight))
        return x[0] + x[1].flip(-1)


def normalize(img):
    out = np.empty(img.shape, np.float32)
    for c in range(3):
        out[..., c] = (img[..., c] / 255.0 - MEAN[c]) / STD[c]
    return out


def make_cam(net, img, label):
    h, w = img.shape[:2]
    strided_size = ((h - 1) // 4 + 1, (w - 1) // 4 + 1)
    up_size = (((h - 1) // 16 + 1) * 16, ((w - 1) // 16 + 1) * 16)
    outputs = []
    for s in (1.0, 0.5, 1.5, 2.0):
        size = (int(np.round(h * s)), int(np.round(w * s)))
        s_img = img if s == 1.0 else np.asarray(Image.fromarray(img).resize(size[::-1], Image.BICUBIC))
        chw = normalize(s_img).transpose(2, 0, 1)
        outputs.append(net(torch.from_numpy(np.stack([chw, np.flip(chw, -1)], 0).copy())))
    strided = torch.sum(torch.stack([F.interpolate(o[None], strided_size, mode="bilinear", align_corners=False)[0] for o in outputs]), 0)
    high = torch.sum(torch.stack([F.interpolate(o[:, None], up_size, mode="bilinear", align_corners=False) for o in outputs], 0), 0)[:, 0, :h, :w]
    keys = torch.nonzero(label)[:, 0]
    strided = strided[keys]
    strided /= F.adaptive_max_pool2d(strided, (1, 1)) + 1e-5
    high = high[keys]
    high /= F.adaptive_max_pool2d(high, (1, 1)) + 1e-5
    return strided, high


def main():
    resnet = torchvision.models.resnet50().eval()
    x = torch.rand(1, 3, 512, 512)
    with torch.no_grad():
        print("resnet50_forward_512 %.1f ms" % (1000 * timed(lambda: resnet(x))))
        net = CamNet().eval()
        photo = Image.open(os.path.join(HERE, "..", "msrc_14_10_s.jpg")).convert("RGB")
        img = np.asarray(photo.resize((500, 375), Image.BICUBIC))
        label = torch.zeros(20)
        label[[4, 14]] = 1
        print("multiscale_cam_500x375 %.1f ms" % (1000 * timed(lambda: make_cam(net, img, label))))
    print("torch", torch.__version__, "threads", torch.get_num_threads(), "mkldnn", torch.backends.mkldnn.is_available())


if __name__ == "__main__":
    main()
