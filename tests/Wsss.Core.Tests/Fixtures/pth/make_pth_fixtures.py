"""Small PyTorch checkpoints for Wsss.Core's .pth reader (Debian python3-torch 1.13). Run with /usr/bin/python3.
small_state.pth:  torch.save(model.state_dict()) of a tiny conv/bn/linear model (float32 + int64 num_batches_tracked)
mixed.pth:        an OrderedDict with float16, bfloat16, float64, int32, bool tensors, a non-contiguous (transposed)
                  tensor and a tensor that is a view at an offset into a shared storage
small_state.npz / mixed.npz: the same tensors as float32 (bool/int as float) for comparison
not_tensors.pth:  a pickled dict holding a plain Python object (must be rejected)
legacy_zip_name.pth: small_state saved under another archive folder name
small_state_legacy.pth / mixed_legacy.pth: the same dicts in torch.save's legacy (pre-1.6, non-zip) format
small_state_legacy_v1.pth: small_state_legacy.pth with the pre-1.0 rebuild function name (torch._utils._rebuild_tensor)
nested_legacy.pth: {"model": small_state, "epoch": 3} in the legacy format (read with entry="model")
small_state_legacy_py2.pth: small_state_legacy.pth with its short strings re-encoded as Python 2's SHORT_BINSTRING
                  (how checkpoints pickled under Python 2 store key names)
small_state.safetensors: the same state dict laid out as safetensors.torch.save_file does (tensors ordered by dtype
                  alignment, then name; header JSON padded with spaces to 8 bytes; metadata {"format": "pt"}). The
                  safetensors package is not in Debian, so the bytes are assembled here per the format.
"""
import collections
import os

import numpy as np
import torch

OUT = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.Flatten(), torch.nn.Linear(4, 2))
model[1].running_mean.uniform_()
model[1].num_batches_tracked += 7
sd = model.state_dict()
torch.save(sd, os.path.join(OUT, "small_state.pth"))
np.savez(os.path.join(OUT, "small_state.npz"), **{k: v.float().numpy() for k, v in sd.items()})

base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
mixed = collections.OrderedDict()
mixed["half"] = torch.randn(3, 5).half()
mixed["bfloat"] = torch.randn(2, 3).bfloat16()
mixed["double"] = torch.randn(4).double()
mixed["int"] = torch.arange(-3, 3, dtype=torch.int32).reshape(2, 3)
mixed["flags"] = torch.tensor([True, False, True])
mixed["transposed"] = base.t()
mixed["view"] = base[1:3, 2:5]
mixed["scalar"] = torch.tensor(2.5)
torch.save(mixed, os.path.join(OUT, "mixed.pth"))
np.savez(os.path.join(OUT, "mixed.npz"), **{k: v.float().contiguous().numpy() for k, v in mixed.items()})


class Payload:
    def __init__(self):
        self.x = 1


torch.save({"weight": torch.zeros(2), "evil": Payload()}, os.path.join(OUT, "not_tensors.pth"))
torch.save(sd, os.path.join(OUT, "legacy_zip_name.pth"), _use_new_zipfile_serialization=True)


def save_safetensors(state, path):
    import json
    import struct
    names = {torch.float32: "F32", torch.int64: "I64"}
    items = sorted(state.items(), key=lambda kv: (-kv[1].element_size(), kv[0]))
    header = {"__metadata__": {"format": "pt"}}
    blobs, offset = [], 0
    for name, t in items:
        raw = t.contiguous().numpy().tobytes()
        header[name] = {"dtype": names[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


save_safetensors(sd, os.path.join(OUT, "small_state.safetensors"))

torch.save(sd, os.path.join(OUT, "small_state_legacy.pth"), _use_new_zipfile_serialization=False)
torch.save(mixed, os.path.join(OUT, "mixed_legacy.pth"), _use_new_zipfile_serialization=False)
torch.save({"model": sd, "epoch": 3}, os.path.join(OUT, "nested_legacy.pth"), _use_new_zipfile_serialization=False)
with open(os.path.join(OUT, "small_state_legacy.pth"), "rb") as f:
    legacy = f.read()
# GLOBAL is newline-terminated text, so the name can change length; the v2 arguments extend v1's four.
assert legacy.count(b"_rebuild_tensor_v2\n") > 0
with open(os.path.join(OUT, "small_state_legacy_v1.pth"), "wb") as f:
    f.write(legacy.replace(b"_rebuild_tensor_v2\n", b"_rebuild_tensor\n"))


def as_python2_strings(blob):
    """Re-emits every pickle in blob, turning BINUNICODE strings shorter than 256 bytes into SHORT_BINSTRING."""
    import io
    import pickletools
    out = bytearray()
    stream = io.BytesIO(blob)
    while stream.tell() < len(blob):
        start = stream.tell()
        ops = list(pickletools.genops(stream))
        end = stream.tell()
        if not ops or ops[-1][0].name != "STOP":
            out += blob[start:]
            break
        for i, (op, arg, pos) in enumerate(ops):
            nxt = ops[i + 1][2] if i + 1 < len(ops) else end
            raw = blob[pos:nxt]
            if op.name == "BINUNICODE" and len(arg.encode("latin-1", "ignore")) == len(arg) < 256:
                out += b"U" + bytes([len(arg)]) + arg.encode("latin-1")
            else:
                out += raw
    return bytes(out)


# The legacy file is five pickles (magic, protocol, sys info, object, storage keys) followed by raw storages: rewrite
# the pickles and copy the storages unchanged.
def split_legacy(blob):
    import io
    import pickletools
    stream = io.BytesIO(blob)
    for _ in range(5):
        for _op in pickletools.genops(stream):
            pass
    return blob[:stream.tell()], blob[stream.tell():]


pickles, storages = split_legacy(legacy)
with open(os.path.join(OUT, "small_state_legacy_py2.pth"), "wb") as f:
    f.write(as_python2_strings(pickles) + storages)
print("ok")
