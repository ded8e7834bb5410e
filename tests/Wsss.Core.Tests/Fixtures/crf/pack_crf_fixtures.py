"""Re-packs the pydensecrf reference outputs of ../shared/fixtures/crf (see its README) into the
compressed .npz files the CRF tests read. Run from this folder:

    /usr/bin/python3 pack_crf_fixtures.py /path/to/shared/fixtures/crf

64x48 cases: image, unary, Q1, Q10, map10 and the float64 re-implementation's normalisers and
first-iteration messages (ref_*); c64x48_L5_psa also keeps probs, Q0, Q2 and Q5.
The 500x375 case keeps its image, input labels, map1 and map10 in full, and Q1 / Q10 only at every
STRIDE-th pixel (pixel indices in `pixels`), because full float32 marginals do not compress.
"""
import json
import os
import sys

import numpy as np

STRIDE = 9


def load(src, name):
    return np.load(os.path.join(src, name))


def main(src):
    cases = json.load(open(os.path.join(src, "cases.json")))
    for case in ["c64x48_L5_psa", "c64x48_L5_irn", "c64x48_L5_dlpt", "c64x48_L2_psa", "c64x48_L21_psa"]:
        names = ["image", "unary", "Q1", "Q10", "map10", "ref_norm_gauss", "ref_norm_bilat",
                 "ref_msg_gauss_from_Q0", "ref_msg_bilat_from_Q0"]
        if case == "c64x48_L5_psa":
            names += ["probs", "Q0", "Q2", "Q5"]
        arrays = {n: load(src, f"{case}_{n}.npy") for n in names}
        np.savez_compressed(f"{case}.npz", **arrays)
    case = "c500x375_L5_irnlabels"
    n = cases[case]["W"] * cases[case]["H"]
    pixels = np.arange(0, n, STRIDE, dtype=np.int32)
    arrays = {
        "image": load(src, f"{case}_image.npy"),
        "labels_in": load(src, f"{case}_labels_in.npy").astype(np.int32),
        "map1": load(src, f"{case}_map1.npy"),
        "map10": load(src, f"{case}_map10.npy"),
        "pixels": pixels,
        "Q1_sampled": np.ascontiguousarray(load(src, f"{case}_Q1.npy")[:, pixels]),
        "Q10_sampled": np.ascontiguousarray(load(src, f"{case}_Q10.npy")[:, pixels]),
    }
    np.savez_compressed(f"{case}.npz", **arrays)
    pt = {n: load(src, f"pytest_{n}.npy") for n in ["image", "unary", "dcrf2d_Q10", "dcrf_generic_yx_Q10", "features_generic"]}
    np.savez_compressed("pytest.npz", **pt)
    slim = {k: v for k, v in cases.items()}
    json.dump(slim, open("cases.json", "w"), indent=1)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../../../../../shared/fixtures/crf")
