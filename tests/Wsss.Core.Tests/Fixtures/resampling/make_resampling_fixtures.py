"""PIL (Debian python3-pil 9.4) resize outputs for Wsss.Core's PilResampler. Run with /usr/bin/python3.
Writes pil_resize.npz: rgb (48, 64, 3) and gray (37, 29) uint8 inputs, and for every case key
'{input}_{filter}_{outW}x{outH}' the PIL output array."""
import os

import numpy as np
from PIL import Image

rng = np.random.default_rng(5)
yy, xx = np.mgrid[0:48, 0:64]
rgb = np.stack([128 + 100 * np.sin(xx / 5.0), 128 + 100 * np.cos(yy / 7.0), (xx * 3 + yy * 2) % 256], -1)
rgb = np.clip(rgb + rng.normal(0, 20, rgb.shape), 0, 255).astype(np.uint8)
gray = rng.integers(0, 256, (37, 29)).astype(np.uint8)
out = {"rgb": rgb, "gray": gray}
filters = {"nearest": Image.NEAREST, "bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC}
sizes = {"rgb": [(23, 17), (32, 24), (96, 72), (100, 31), (64, 30), (13, 48)],
         "gray": [(10, 13), (58, 74), (44, 56), (29, 19)]}
for name, arr in (("rgb", rgb), ("gray", gray)):
    im = Image.fromarray(arr)
    for fname, f in filters.items():
        for (w, h) in sizes[name]:
            out[f"{name}_{fname}_{w}x{h}"] = np.array(im.resize((w, h), resample=f))
np.savez_compressed(os.path.join(os.path.dirname(os.path.abspath(__file__)), "pil_resize.npz"), **out)
print(len(out) - 2, "cases")
