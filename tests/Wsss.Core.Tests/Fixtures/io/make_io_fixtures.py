#!/usr/bin/env python3
"""Regenerates the .npy/.npz/.safetensors reference files used by tests/Wsss.Core.Tests/IO.

Run from this folder with Debian's python3-numpy and python3-torch installed:
    /usr/bin/python3 make_io_fixtures.py
numpy writes the .npy/.npz files itself. The safetensors package is not packaged in Debian, so
safetensors files are assembled byte by byte following the format specification
(https://github.com/huggingface/safetensors#format); torch provides the float16/bfloat16
rounding that the C# writer is checked against.
"""
import json
import struct

import numpy as np
import torch

np.random.seed(1234)


def save(name, arr, version=None):
    if version is None:
        np.save(name, arr)
    else:
        with open(name, "wb") as f:
            np.lib.format.write_array(f, arr, version=version)


# ---- .npy: one file per dtype and several ranks -------------------------------------------
save("f4_3d.npy", (np.arange(24, dtype="<f4").reshape(2, 3, 4) * 0.5 - 3.0))
save("f8_1d.npy", np.array([0.1, -2.5, 1e300, -np.inf, np.inf, 5e-324], dtype="<f8"))
save("u1_2d.npy", (np.arange(12, dtype=np.uint8).reshape(3, 4) * 21))
save("i4_1d.npy", np.array([-2147483648, -1, 0, 1, 2147483647], dtype="<i4"))
save("i8_3d.npy", np.array([-(2**62), -1, 0, 1, 2**40, 2**62 + 5], dtype="<i8").reshape(2, 1, 3))
save("b1_1d.npy", np.array([True, False, True, True, False]))
save("f4_0d.npy", np.array(3.25, dtype="<f4"))
save("i8_empty.npy", np.zeros((0, 3), dtype="<i8"))
# Format versions 2.0 and 3.0, forced (numpy only picks 2.0 by itself for headers over 64 KiB).
save("f4_v2.npy", np.array([[1.5, -2.0], [0.25, 8.0]], dtype="<f4"), version=(2, 0))
save("f8_v3.npy", np.array([1.0, 2.0, 3.0], dtype="<f8"), version=(3, 0))
# Must be rejected or converted.
save("f4_fortran.npy", np.asfortranarray(np.arange(6, dtype="<f4").reshape(2, 3)))
save("f4_bigendian.npy", np.arange(6, dtype=">f4").reshape(2, 3) - 2.5)
save("i8_bigendian.npy", np.array([1, -2, 2**40], dtype=">i8"))
save("f2_half.npy", np.array([1.0, 2.0], dtype="<f2"))

# ---- .npz: numpy.savez (stored) and numpy.savez_compressed (deflated) ----------------------
npz_arrays = dict(
    image=np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3),
    cams=(np.arange(6, dtype=np.float32).reshape(2, 3) / 7.0),
    labels=np.array([3, -1, 20], dtype=np.int64),
    valid=np.array(True),
)
np.savez("savez_stored.npz", **npz_arrays)
np.savez_compressed("savez_compressed.npz", **npz_arrays)


# ---- .safetensors, assembled per the format ------------------------------------------------
def write_safetensors(path, tensors, metadata=None):
    """tensors: list of (name, dtype string, shape, raw bytes) in the order to lay out the data."""
    header = {}
    if metadata:
        header["__metadata__"] = metadata
    offset = 0
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for _, _, _, raw in tensors:
            f.write(raw)


def raw(t):
    if t.dtype in (torch.float16, torch.bfloat16):
        return t.contiguous().view(torch.int16).numpy().tobytes()
    return t.contiguous().numpy().tobytes()


weight = torch.arange(6, dtype=torch.float32).reshape(2, 3) * 0.75 - 1.0
half = torch.tensor([0.1, -2.0, 65504.0, 1e-5], dtype=torch.float32)
brain = torch.tensor([0.1, -3.0e38, 1.0 / 3.0], dtype=torch.float32)
steps = torch.tensor([7, -(2**40)], dtype=torch.int64)
# Layout in the reference library's order: dtype by decreasing alignment, then name.
mixed = [
    ("bn.num_batches_tracked", "I64", steps.shape, raw(steps)),
    ("conv.weight", "F32", weight.shape, raw(weight)),
    ("brain", "BF16", brain.shape, raw(brain.to(torch.bfloat16))),
    ("half", "F16", half.shape, raw(half.to(torch.float16))),
]
write_safetensors("mixed.safetensors", mixed, {"format": "pt", "source": "make_io_fixtures.py"})
with open("mixed_expected.json", "w") as f:
    json.dump({
        "conv.weight": weight.flatten().tolist(),
        "half": half.to(torch.float16).float().tolist(),
        "brain": brain.to(torch.bfloat16).float().tolist(),
        "bn.num_batches_tracked": steps.tolist(),
    }, f, indent=1)

# float -> float16/bfloat16 rounding reference: random values plus ties, overflow, subnormals.
special = [0.0, -0.0, 1.0, -1.0, float("inf"), float("-inf"), float("nan"),
           3.4e38, -3.4e38, 65504.0, 65520.0, 1e-8, 6e-8, 1e-40, 1.00390625, 1.01171875,
           struct.unpack("<f", struct.pack("<I", 0x3F808000))[0],  # exact bf16 tie, rounds to even (down)
           struct.unpack("<f", struct.pack("<I", 0x3F818000))[0],  # exact bf16 tie, rounds to even (up)
           struct.unpack("<f", struct.pack("<I", 0x7F7FFFFF))[0]]  # max float -> inf in bf16
rng = np.random.default_rng(42)
values = np.concatenate([np.array(special, dtype=np.float32),
                         (rng.standard_normal(45) * 10.0 ** rng.integers(-6, 6, 45)).astype(np.float32)])
src = torch.from_numpy(values)
write_safetensors("rounding.safetensors", [
    ("src", "F32", src.shape, raw(src)),
    ("bf16", "BF16", src.shape, raw(src.to(torch.bfloat16))),
    ("f16", "F16", src.shape, raw(src.to(torch.float16))),
])
print("fixtures written")
