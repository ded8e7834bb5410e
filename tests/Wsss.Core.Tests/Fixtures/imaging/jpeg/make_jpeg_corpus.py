#!/usr/bin/python3
"""Builds the JPEG test corpus and its reference decodes.

Run with Debian's python3-pil (PIL 9.4, libjpeg62-turbo 2.1.5) and libjpeg-turbo-progs (cjpeg, jpegtran):
    cd tests/Wsss.Core.Tests/Fixtures/imaging/jpeg && /usr/bin/python3 make_jpeg_corpus.py /work/shared/data/msrc/JPEGImages

Every <name>.jpg gets <name>.npz (key 'pixels', HxW or HxWx3 uint8): PIL's decode (L for grayscale, RGB otherwise; CMYK files through
convert("RGB")); files named exif_* are decoded through ImageOps.exif_transpose.
Files in unsupported/ have no reference: the decoder must reject them with InvalidDataException.
"""
import io
import os
import shutil
import subprocess
import sys

import numpy as np
from PIL import Image, ImageOps

src_dir = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data/msrc/JPEGImages"
here = os.path.dirname(os.path.abspath(__file__))
os.chdir(here)
os.makedirs("unsupported", exist_ok=True)

MSRC = ["14_10_s.jpg", "10_19_s.jpg", "20_9_s.jpg"]  # 320x213, 213x320, 320x239

# A real photo, cropped to sizes that are not multiples of the MCU size.
photo = Image.open(os.path.join(src_dir, MSRC[0])).convert("RGB")
base = photo.crop((40, 30, 117, 81))  # 77 x 51
tiny = photo.crop((60, 60, 83, 77))    # 23 x 17


def save_pil(name, im, **kw):
    im.save(name, "JPEG", **kw)


def ppm(im):
    path = "/tmp/_corpus_src.ppm"
    im.save(path)
    return path


def cjpeg(name, im, *args):
    subprocess.run(["cjpeg", *args, "-outfile", name, ppm(im)], check=True)


def jpegtran(name, src, *args):
    subprocess.run(["jpegtran", *args, "-outfile", name, src], check=True)


save_pil("baseline_444.jpg", base, quality=90, subsampling=0)
save_pil("baseline_422.jpg", base, quality=90, subsampling=1)
save_pil("baseline_420.jpg", base, quality=75, subsampling=2)
cjpeg("baseline_411.jpg", base, "-quality", "85", "-sample", "4x1")
cjpeg("baseline_440.jpg", base, "-quality", "85", "-sample", "1x2")
cjpeg("baseline_420_tiny2x2.jpg", photo.crop((0, 0, 3, 3)), "-quality", "85", "-sample", "2x2")
cjpeg("baseline_420_width4.jpg", photo.crop((10, 10, 4 + 10, 9 + 10)), "-quality", "85", "-sample", "2x2")
cjpeg("optimized_q100_444.jpg", tiny, "-quality", "100", "-optimize", "-sample", "1x1")
cjpeg("extended_16bit_quant.jpg", base, "-quality", "3", "-sample", "2x2")  # SOF1 with 16-bit DQT
save_pil("gray.jpg", base.convert("L"), quality=85)
save_pil("progressive_420.jpg", base, quality=85, subsampling=2, progressive=True)
save_pil("progressive_444.jpg", base, quality=95, subsampling=0, progressive=True)
save_pil("progressive_gray.jpg", base.convert("L"), quality=85, progressive=True)
cjpeg("restart_420_rows.jpg", base, "-quality", "80", "-sample", "2x2", "-restart", "1")
cjpeg("restart_422_blocks.jpg", base, "-quality", "80", "-sample", "2x1", "-restart", "3B")
jpegtran("restart_progressive.jpg", "baseline_420.jpg", "-progressive", "-restart", "2B")
cjpeg("rgb_adobe.jpg", base, "-quality", "90", "-rgb")  # RGB colour space, no colour transform

# CMYK (PIL writes Adobe inverted CMYK, transform 0).
cmyk = base.convert("CMYK")
arr = np.asarray(cmyk).copy()
arr[..., 3] = (np.arange(arr.shape[1])[None, :] * 2 + np.arange(arr.shape[0])[:, None]) % 200  # some black
cmyk = Image.fromarray(arr, "CMYK")
save_pil("cmyk_adobe.jpg", cmyk, quality=90)

# YCCK: the same CMYK data with C, M, Y stored as YCbCr of (255 - C, 255 - M, 255 - Y) as libjpeg's
# encoder would (inverted convention), then the Adobe transform flag set to 2.
inv = 255 - arr[..., :3].astype(np.float64)  # what the file stores for C, M, Y is 255 - ink
r, g, b = inv[..., 0], inv[..., 1], inv[..., 2]
y = 0.299 * r + 0.587 * g + 0.114 * b
cb = -0.168736 * r - 0.331264 * g + 0.5 * b + 128
cr = 0.5 * r - 0.418688 * g - 0.081312 * b + 128
ycc = np.stack([y, cb, cr], axis=-1).round().clip(0, 255).astype(np.uint8)
stored = np.concatenate([255 - ycc, arr[..., 3:]], axis=-1)  # PIL inverts on save ("CMYK;I")
buf = io.BytesIO()
Image.fromarray(stored, "CMYK").save(buf, "JPEG", quality=95)
data = bytearray(buf.getvalue())
i = data.find(b"\xff\xee")
assert i > 0 and data[i + 4:i + 9] == b"Adobe"
data[i + 4 + 11] = 2  # transform = YCCK
open("ycck_adobe.jpg", "wb").write(bytes(data))

# EXIF orientations 2..8 on a small non-square image.
for o in range(2, 9):
    exif = Image.Exif()
    exif[0x0112] = o
    save_pil(f"exif_orientation_{o}.jpg", tiny, quality=90, exif=exif.tobytes())

# Three MSRC photos as shipped.
for m in MSRC:
    shutil.copyfile(os.path.join(src_dir, m), "msrc_" + m)

# Unsupported processes (must be rejected).
cjpeg("unsupported/arithmetic.jpg", tiny, "-arithmetic")

for f in sorted(os.listdir(".")):
    if not f.endswith(".jpg"):
        continue
    im = Image.open(f)
    if f.startswith("exif_"):
        im = ImageOps.exif_transpose(im)
    if im.mode not in ("L", "RGB"):
        im = im.convert("RGB")
    np.savez_compressed(f[:-4] + ".npz", pixels=np.asarray(im))
    print(f, im.mode, im.size)
