"""Perturbed MSRC ground-truth label maps and their confusion-matrix scores computed with numpy, to check
Wsss.Core.Metrics independently. Run from the repository root with Debian's python3-numpy and python3-pil:
    /usr/bin/python3 tests/Wsss.Core.Tests/Fixtures/metrics/make_metrics_fixtures.py ../shared/data/msrc
Writes msrc_perturbed.npz: gt{i}, pred{i} (H, W) uint8 for i < 3, and per convention the per-class IoU
(nan for classes absent from both), mIoU with nanmean, pixel accuracy, precision and recall, over all 3 images.
"""
import os
import sys

import numpy as np
from PIL import Image

NUM_CLASSES = 17
IDS = ["10_11_s", "7_5_s", "18_2_s"]


def perturb(gt, rng):
    pred = gt.copy()
    pred[pred == 255] = 0                        # predictions have no void
    pred = np.roll(pred, shift=(3, -2), axis=(0, 1))  # a misalignment
    h, w = pred.shape
    for _ in range(6):                           # blocks of wrong labels
        y, x = rng.integers(0, h - 20), rng.integers(0, w - 20)
        pred[y:y + 20, x:x + 20] = rng.integers(0, NUM_CLASSES)
    return pred.astype(np.uint8)


def main(msrc):
    rng = np.random.default_rng(7)
    out = {}
    conf = np.zeros((NUM_CLASSES, NUM_CLASSES), np.int64)
    for i, name in enumerate(IDS):
        gt = np.array(Image.open(os.path.join(msrc, "SegmentationClass", name + ".png")))
        pred = perturb(gt, rng)
        out[f"gt{i}"], out[f"pred{i}"] = gt, pred
        valid = gt != 255
        conf += np.bincount(NUM_CLASSES * gt[valid].astype(np.int64) + pred[valid], minlength=NUM_CLASSES ** 2).reshape(NUM_CLASSES, NUM_CLASSES)
    tp = np.diag(conf).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        iou = tp / (conf.sum(0) + conf.sum(1) - tp)
        out["iou"] = iou
        out["miou_exclude"] = np.array(np.nanmean(iou))
        out["miou_one"] = np.array(np.mean(np.where(np.isnan(iou), 1.0, iou)))
        out["miou_zero"] = np.array(np.mean(np.where(np.isnan(iou), 0.0, iou)))
        out["pixel_accuracy"] = np.array(tp.sum() / conf.sum())
        out["precision"] = tp / conf.sum(0)
        out["recall"] = tp / conf.sum(1)
    out["confusion"] = conf
    np.savez_compressed(os.path.join(os.path.dirname(os.path.abspath(__file__)), "msrc_perturbed.npz"), **out)
    print("mIoU", out["miou_exclude"], "absent classes", int(np.isnan(iou).sum()))


if __name__ == "__main__":
    main(sys.argv[1])
