"""Reads the mini MSRC set with PIL and numpy and writes expected.json: per image, the size, the sorted unique
label values of the ground truth, the tags and the mean of each RGB channel. Run with Debian's /usr/bin/python3."""
import json
import os

import numpy as np
from PIL import Image

root = os.path.dirname(os.path.abspath(__file__))
ids = [l.strip() for l in open(os.path.join(root, "ImageSets", "Segmentation", "train.txt")) if l.strip()]
tags = {l.split()[0]: [int(t) for t in l.split()[1:]] for l in open(os.path.join(root, "cls_labels.txt")) if l.strip()}
out = {}
for i in ids:
    im = np.array(Image.open(os.path.join(root, "JPEGImages", i + ".jpg")).convert("RGB"))
    lab = np.array(Image.open(os.path.join(root, "SegmentationClass", i + ".png")))
    out[i] = {"height": im.shape[0], "width": im.shape[1], "labels": sorted(int(v) for v in np.unique(lab)),
              "tags": tags[i], "channel_means": [float(im[..., c].mean()) for c in range(3)],
              "label_histogram": {str(int(v)): int((lab == v).sum()) for v in np.unique(lab)}}
json.dump(out, open(os.path.join(root, "expected.json"), "w"), indent=1)
print(len(out), "images")
