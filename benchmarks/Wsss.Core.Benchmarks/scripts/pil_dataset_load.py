#!/usr/bin/python3
"""PIL baseline for DatasetLoadingBenchmarks: the 4 MSRC images of tests/Wsss.Core.Tests/Fixtures/msrc_mini
(JPEG -> RGB array, palette PNG -> label array, tags from cls_labels.txt) read 25 times each, sequentially and
with a multiprocessing pool of 2 workers (as a 2-worker DataLoader would). Median of 10 runs.
Run from the repository root: /usr/bin/python3 benchmarks/Wsss.Core.Benchmarks/scripts/pil_dataset_load.py"""
import multiprocessing
import os
import statistics
import time

import numpy as np
from PIL import Image

ROOT = os.path.join("tests", "Wsss.Core.Tests", "Fixtures", "msrc_mini")
IDS = [l.strip() for l in open(os.path.join(ROOT, "ImageSets", "Segmentation", "train.txt")) if l.strip()]
TAGS = {l.split()[0]: [int(t) for t in l.split()[1:]] for l in open(os.path.join(ROOT, "cls_labels.txt")) if l.strip()}


def load(k):
    i = IDS[k % len(IDS)]
    img = np.asarray(Image.open(os.path.join(ROOT, "JPEGImages", i + ".jpg")).convert("RGB"))
    lab = np.asarray(Image.open(os.path.join(ROOT, "SegmentationClass", i + ".png")))
    return int(img[0, 0, 0]) + int(lab[0, 0]) + len(TAGS[i])


def main():
    n = 25 * len(IDS)
    seq, par = [], []
    with multiprocessing.Pool(2) as pool:
        pool.map(load, range(n))
        for _ in range(10):
            t0 = time.perf_counter()
            sum(load(k) for k in range(n))
            seq.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            sum(pool.map(load, range(n), chunksize=10))
            par.append(time.perf_counter() - t0)
    print(f"pil_sequential_ms {statistics.median(seq) * 1e3:.1f} for {n} items")
    print(f"pil_pool2_ms {statistics.median(par) * 1e3:.1f} for {n} items")


if __name__ == "__main__":
    main()
