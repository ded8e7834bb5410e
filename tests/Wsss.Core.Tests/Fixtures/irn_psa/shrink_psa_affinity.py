"""Shrinks the shared psa_affinity_rw_9x12.npz (7.5 MB: AffinityNet head weights and backbone features) to
the arrays the tests use, replacing weights + backbone features by the head's output features, computed
here in float64 with numpy exactly as psa's AffinityNet head does (three 1x1 convs + ELU on conv4/5/6,
concatenation, 1x1 conv + ELU) and rounded to float32.

Run from the repository root (Debian numpy, /usr/bin/python3):
    /usr/bin/python3 tests/Wsss.Core.Tests/Fixtures/irn_psa/shrink_psa_affinity.py ../shared/fixtures/irn_psa/psa_affinity_rw_9x12.npz
"""
import os
import sys

import numpy as np


def conv1x1_elu(x, w):
    y = np.einsum("oc,nchw->nohw", w[:, :, 0, 0].astype(np.float64), x.astype(np.float64))
    return np.where(y > 0, y, np.expm1(y))


def main(src):
    d = np.load(src)
    f8 = conv1x1_elu(d["conv4"], d["w_f8_3"])
    f9 = conv1x1_elu(d["conv5"], d["w_f8_4"])
    f10 = conv1x1_elu(d["conv6"], d["w_f8_5"])
    feat = conv1x1_elu(np.concatenate([f8, f9, f10], axis=1), d["w_f9"]).astype(np.float32)
    keep = {k: d[k] for k in ("ind_from", "ind_to", "aff_sparse", "aff_dense", "cam_full", "rw", "pred")}
    keep["feat"] = feat
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "psa_affinity_rw_9x12.npz")
    np.savez_compressed(out, **keep)
    print(out, os.path.getsize(out), "bytes")


if __name__ == "__main__":
    main(sys.argv[1])
