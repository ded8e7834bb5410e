#!/usr/bin/python3
"""Makes the PNG/BMP test corpus and PIL's reference decodes (run with Debian's python3-pil 9.4).

PNG files are assembled here byte by byte (every colour type x bit depth, all five filters cycled row by
row, Adam7, split IDAT chunks, ancillary chunks), because PIL's writer cannot produce interlaced or
low-bit-depth files; a few files come from PIL's own writer. BMP files are assembled per Microsoft's
BITMAPINFOHEADER / BITMAPV4HEADER / BITMAPV5HEADER docs, plus PIL-written ones.

For every image NAME.EXT the expected decode is NAME.EXT.npy, made by PIL as (H, W, C) uint8 with:
  mode 1 -> convert('L'); mode I (16-bit gray) -> value >> 8 (the high byte, as PIL does for 16-bit RGB);
  mode LA -> convert('RGBA'); mode P -> convert('RGBA') when a tRNS chunk exists, else convert('RGB');
  BMP palettes (P, L, 1) -> convert('RGB').
Palette PNGs also get NAME.png.idx.npy = np.array(Image.open(...)) (the indices); label maps copied from
../shared/data/msrc get NAME.png.labels.npy; pil_rgb.png.L.npy is PIL's convert('L').
"""
import os, shutil, struct, zlib
import numpy as np
from PIL import Image

OUT = os.path.dirname(os.path.abspath(__file__))
rng = np.random.RandomState(5)
ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def chunk(kind, data):
    return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data) & 0xFFFFFFFF)


def pack_row(samples, depth):
    if depth == 8:
        return samples.astype(np.uint8).tobytes()
    if depth == 16:
        return samples.astype('>u2').tobytes()
    per = 8 // depth
    out = bytearray((len(samples) * depth + 7) // 8)
    for i, s in enumerate(samples):
        out[i // per] |= int(s) << (8 - depth * (i % per + 1))
    return bytes(out)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def filter_row(ftype, raw, prev, bpp):
    out = bytearray(len(raw))
    for i in range(len(raw)):
        a = raw[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        pred = [0, a, b, (a + b) // 2, paeth(a, b, c)][ftype]
        out[i] = (raw[i] - pred) & 0xFF
    return bytes([ftype]) + bytes(out)


def png_bytes(samples, ctype, depth, interlace=False, palette=None, trns=None, idat_split=None, extra=True):
    h, w, ch = samples.shape
    bpp = max(1, ch * depth // 8)
    passes = ADAM7 if interlace else [(0, 0, 1, 1)]
    raw = bytearray()
    counter = 0
    for (x0, y0, dx, dy) in passes:
        sub = samples[y0::dy, x0::dx]
        if sub.shape[0] == 0 or sub.shape[1] == 0:
            continue
        prev = bytes(len(pack_row(sub[0].reshape(-1), depth)))
        for row in sub:
            r = pack_row(row.reshape(-1), depth)
            raw += filter_row(counter % 5, r, prev, bpp)
            counter += 1
            prev = r
    z = zlib.compress(bytes(raw), 9)
    out = b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, depth, ctype, 0, 0, 1 if interlace else 0))
    if extra:
        out += chunk(b'gAMA', struct.pack('>I', 45455)) + chunk(b'tEXt', b'Comment\x00wsss fixture')
    if palette is not None:
        out += chunk(b'PLTE', bytes(np.asarray(palette, np.uint8).reshape(-1)))
    if trns is not None:
        out += chunk(b'tRNS', trns)
    step = idat_split or len(z)
    for i in range(0, len(z), step):
        out += chunk(b'IDAT', z[i:i + step])
    return out + chunk(b'IEND', b'')


def reference(path, is_png):
    im = Image.open(path)
    im.load()
    if im.mode == 'P':
        if is_png:
            np.save(path + '.idx.npy', np.array(im))
        im = im.convert('RGBA') if (is_png and 'transparency' in im.info) else im.convert('RGB')
    elif im.mode == '1':
        im = im.convert('L') if is_png else im.convert('RGB')
    elif im.mode == 'L' and not is_png:
        im = im.convert('RGB')
    elif im.mode == 'LA':
        im = im.convert('RGBA')
    if im.mode in ('I', 'I;16', 'I;16B'):
        a = (np.array(im).astype(np.int64) >> 8).astype(np.uint8)
    else:
        a = np.array(im)
    if a.ndim == 2:
        a = a[:, :, None]
    np.save(path + '.npy', np.ascontiguousarray(a.astype(np.uint8)))


def write_png(name, data):
    p = os.path.join(OUT, name)
    with open(p, 'wb') as f:
        f.write(data)
    reference(p, True)


def samples_for(ctype, depth, h, w):
    hi = (1 << depth)
    return rng.randint(0, hi, size=(h, w, CHANNELS[ctype])).astype(np.int64)


def pngs():
    h, w = 11, 13
    combos = [(0, 1), (0, 2), (0, 4), (0, 8), (0, 16), (2, 8), (2, 16), (3, 1), (3, 2), (3, 4), (3, 8),
              (4, 8), (4, 16), (6, 8), (6, 16)]
    for ctype, depth in combos:
        for interlace in (False, True):
            palette = None
            s = samples_for(ctype, depth, h, w)
            if ctype == 3:
                n = min(1 << depth, 200)
                palette = rng.randint(0, 256, size=(n, 3))
                s = rng.randint(0, n, size=(h, w, 1))
            name = f'png_c{ctype}_d{depth}{"_adam7" if interlace else ""}.png'
            write_png(name, png_bytes(s, ctype, depth, interlace, palette, idat_split=37 if interlace else None))
    # palette with transparency (fewer tRNS entries than palette entries), 8 and 4 bit, plain and Adam7
    for depth, interlace in ((8, False), (8, True), (4, False)):
        n = min(1 << depth, 40)
        palette = rng.randint(0, 256, size=(n, 3))
        s = rng.randint(0, n, size=(h, w, 1))
        trns = bytes([0, 128, 255, 7])
        write_png(f'png_c3_d{depth}_trns{"_adam7" if interlace else ""}.png', png_bytes(s, 3, depth, interlace, palette, trns))
    # gray and RGB with tRNS (a colour key: the image stays gray / RGB, as PIL keeps mode L / RGB)
    write_png('png_c0_d8_trns.png', png_bytes(samples_for(0, 8, h, w), 0, 8, trns=struct.pack('>H', 3)))
    write_png('png_c2_d8_trns.png', png_bytes(samples_for(2, 8, h, w), 2, 8, trns=struct.pack('>HHH', 1, 2, 3)))
    # tiny Adam7 images with empty passes
    for (hh, ww) in ((1, 1), (2, 3), (5, 1), (1, 9)):
        write_png(f'png_c2_d8_adam7_{ww}x{hh}.png', png_bytes(samples_for(2, 8, hh, ww), 2, 8, True))
    # PIL's own writer
    rgb = rng.randint(0, 256, size=(9, 14, 3)).astype(np.uint8)
    for mode, name in (('RGB', 'pil_rgb.png'), ('L', 'pil_gray.png'), ('P', 'pil_palette.png'), ('RGBA', 'pil_rgba.png')):
        im = Image.fromarray(rgb)
        im = im.convert('RGBA') if mode == 'RGBA' else im.convert(mode) if mode != 'P' else im.quantize(16)
        p = os.path.join(OUT, name)
        im.save(p, optimize=(mode == 'L'))
        reference(p, True)
    # PIL's convert('L') of an RGB image, for ImageBuffer.ToGray
    np.save(os.path.join(OUT, 'pil_rgb.png.L.npy'), np.array(Image.open(os.path.join(OUT, 'pil_rgb.png')).convert('L')))


def bmp_bytes(pixels, bits, palette=None, topdown=False, header=40, compression=0, masks=None, clr_used=0):
    """pixels: (H, W) indices for bits <= 8, else (H, W, 3|4) RGB(A) uint8."""
    h, w = pixels.shape[:2]
    stride = ((w * bits + 31) // 32) * 4
    rows = []
    for y in range(h):
        row = pixels[y]
        if bits <= 8:
            r = pack_row(row.reshape(-1), bits) if bits < 8 else row.astype(np.uint8).tobytes()
        elif bits == 24:
            r = row[:, ::-1].astype(np.uint8).tobytes()
        else:  # 32: B G R A/X
            bgra = np.zeros((w, 4), np.uint8)
            bgra[:, 0], bgra[:, 1], bgra[:, 2] = row[:, 2], row[:, 1], row[:, 0]
            bgra[:, 3] = row[:, 3] if row.shape[1] == 4 else 0x5A
            r = bgra.tobytes()
        rows.append(r + b'\0' * (stride - len(r)))
    data = b''.join(rows if topdown else rows[::-1])
    info = struct.pack('<iiiHHIIiiII', header, w, -h if topdown else h, 1, bits, compression, len(data), 2835, 2835, clr_used, 0)
    extra = b''
    if header >= 108:
        m = masks or (0, 0, 0, 0)
        info += struct.pack('<IIII', *m) + b'BGRs' + b'\0' * 36 + b'\0' * 12
        if header == 124:
            info += struct.pack('<IIII', 4, 0, 0, 0)
    elif compression == 3:
        extra = struct.pack('<III', *masks[:3])
    pal = b''
    if palette is not None:
        pal = b''.join(bytes([b, g, r, 0]) for (r, g, b) in np.asarray(palette, np.uint8))
    offset = 14 + len(info) + len(extra) + len(pal)
    return b'BM' + struct.pack('<IHHI', offset + len(data), 0, 0, offset) + info + extra + pal + data


def write_bmp(name, data):
    p = os.path.join(OUT, name)
    with open(p, 'wb') as f:
        f.write(data)
    reference(p, False)


def bmps():
    h, w = 7, 13
    for bits in (1, 4, 8):
        n = 1 << bits if bits < 8 else 100
        palette = rng.randint(0, 256, size=(n, 3))
        idx = rng.randint(0, n, size=(h, w))
        for topdown in (False, True):
            write_bmp(f'bmp_{bits}bit{"_topdown" if topdown else ""}.bmp',
                      bmp_bytes(idx, bits, palette, topdown, clr_used=100 if bits == 8 else 0))
    rgb = rng.randint(0, 256, size=(h, w, 3))
    write_bmp('bmp_24bit.bmp', bmp_bytes(rgb, 24))
    write_bmp('bmp_24bit_topdown.bmp', bmp_bytes(rgb, 24, topdown=True))
    write_bmp('bmp_24bit_v5.bmp', bmp_bytes(rgb, 24, header=124))
    write_bmp('bmp_32bit.bmp', bmp_bytes(rgb, 32))
    write_bmp('bmp_32bit_bitfields.bmp', bmp_bytes(rgb, 32, compression=3, masks=(0xFF0000, 0xFF00, 0xFF)))
    rgba = rng.randint(0, 256, size=(h, w, 4))
    write_bmp('bmp_32bit_v4_alpha.bmp', bmp_bytes(rgba, 32, header=108, compression=3, masks=(0xFF0000, 0xFF00, 0xFF, 0xFF000000)))
    write_bmp('bmp_32bit_v5_topdown.bmp', bmp_bytes(rgba, 32, topdown=True, header=124, compression=3, masks=(0xFF0000, 0xFF00, 0xFF, 0xFF000000)))
    img = rng.randint(0, 256, size=(6, 10, 3)).astype(np.uint8)
    for mode, name in (('RGB', 'pil_rgb.bmp'), ('L', 'pil_gray.bmp'), ('1', 'pil_bilevel.bmp')):
        p = os.path.join(OUT, name)
        Image.fromarray(img).convert(mode).save(p)
        reference(p, False)
    p = os.path.join(OUT, 'pil_palette.bmp')
    Image.fromarray(img).quantize(20).save(p)
    reference(p, False)


def label_maps():
    src = '/work/shared/data/msrc'
    for sub, name in (('SegmentationClass', '1_27_s.png'), ('SegmentationClass', '7_3_s.png'), ('SegmentationClassRaw', '10_11_s.png')):
        dst = os.path.join(OUT, ('raw_' if sub.endswith('Raw') else 'label_') + name)
        shutil.copyfile(os.path.join(src, sub, name), dst)
        np.save(dst + '.labels.npy', np.array(Image.open(dst)))


if __name__ == '__main__':
    pngs()
    bmps()
    label_maps()
