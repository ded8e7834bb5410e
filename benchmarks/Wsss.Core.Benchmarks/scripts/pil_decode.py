#!/usr/bin/python3
"""Times PIL's JPEG decode (Debian python3-pil, libjpeg-turbo) of one file from memory, to compare with
JpegBenchmarks.  Usage: /usr/bin/python3 pil_decode.py [file.jpg] [repetitions]"""
import io
import sys
import time

from PIL import Image

path = sys.argv[1] if len(sys.argv) > 1 else "benchmarks/Wsss.Core.Benchmarks/msrc_14_10_s.jpg"
reps = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
data = open(path, "rb").read()


def decode():
    im = Image.open(io.BytesIO(data))
    im.load()
    return im


for _ in range(100):
    decode()
best = float("inf")
for _ in range(5):
    t = time.perf_counter()
    for _ in range(reps):
        decode()
    best = min(best, (time.perf_counter() - t) / reps)
print(f"{path}: PIL {Image.__version__} decode {best * 1e6:.1f} us (best of 5 x {reps})")
