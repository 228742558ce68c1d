#!/usr/bin/env python
"""Per-frame GIF colours: how each frame's colour table is made, swept over the moving tolerance.

    .venv/bin/python benchmarks/gif_table_rules.py [SCENE ...] [-q m] [--tolerances 30,45,67,100,150]
                                                   [--rules fresh,refresh,warm,best,lean] [--store-dir DIR]

An open-ended search, not a test: it measures rules that ``cnnviz/engine/giflocal.py`` does not
use (yet), by replacing its ``local_table`` in a fresh process per (scene, tolerance, rule), on
the same lossless frame store. The rules, for a frame whose wrong pixels have more than 255
colours:

fresh    what the writer does: Pillow's median cut on a sample, then 3 Lloyd steps;
warm     3 Lloyd steps from the previous frame's table (a median cut for the first one, and again
         when the warm table's mean squared error exceeds 999 times the last median cut's);
refresh  the same with 1.2 instead of 999;
best     both tables every frame (3 Lloyd steps from the previous frame's, and a fresh one), the
         one with the smaller mean squared error kept;
lean     the same, the warm table kept unless the fresh one's error is 1.5 times smaller.

Each run is one pass at one tolerance (no retries). Prints per scene and rule the bytes, the
writer's PSNR (the same as decoding the file, tested) and the CPU seconds of each pass, and the
fewest bytes at 50 dB or more on the grid. Stores are rendered once (default scenes: the five
photo scenes) and kept in ``--store-dir`` if given. Results go to benchmarks/results/gif_table_rules.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENES = ["FeatureDetectionRGB", "FeatureDetectionGray", "MiniBatchTraining", "TinyCNN_ImageInput",
          "RealGrayscaleToMatrixV2"]
ALPHA = {"fresh": 0.0, "refresh": 1.2, "warm": 999.0, "best": -1.0, "lean": -1.5}

ONE_PASS = r"""
import json, sys, time
from pathlib import Path
import numpy as np
from scipy.spatial import cKDTree
import cnnviz.engine.giflocal as gl, cnnviz.engine.worker as w

store, out, tol, alpha = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
last, made = {}, {"fresh": 0, "warm": 0}


def table_for(colors, *, n=255, lloyd=3, sample=65536, seed=0):
    uniq, inverse, counts = np.unique(gl._pack_rgb(colors), return_inverse=True, return_counts=True)
    inverse = inverse.reshape(-1)
    if len(uniq) <= n:
        return gl._unpack(uniq), inverse
    ucols = gl._unpack(uniq)
    weighted = ucols * counts[:, None].astype(np.float64)

    def refine(table):
        d, nearest = cKDTree(table).query(ucols)
        for _ in range(lloyd):
            count = np.bincount(nearest, counts, minlength=len(table))
            sums = np.stack([np.bincount(nearest, weighted[:, k], minlength=len(table)) for k in range(3)], axis=1)
            used = count > 0
            table[used] = np.clip(np.round(sums[used] / count[used, None]), 0, 255)
            d, nearest = cKDTree(table).query(ucols)
        return table, nearest, float((d**2 * counts).sum()) / counts.sum()

    def fresh():
        pick = colors
        if len(colors) > sample:
            pick = colors[np.random.default_rng(seed).choice(len(colors), sample, replace=False)]
        return refine(gl._median_cut(pick, n).astype(np.float64))

    got = None
    if alpha < 0 and "t" in last:  # best / lean: both tables, the warm one unless fresh is -alpha times better
        warm, new = refine(last["t"].astype(np.float64)), fresh()
        got = warm if warm[2] <= -alpha * new[2] else new
        made["warm" if got is warm else "fresh"] += 1
    elif alpha > 0 and "t" in last:
        got = refine(last["t"].astype(np.float64))
        if got[2] > alpha * last["ref"]:
            got = None
        else:
            made["warm"] += 1
    if got is None:
        got = fresh()
        last["ref"] = max(got[2], 1e-9)
        made["fresh"] += 1
    table = got[0].astype(np.uint8)
    if len(table) == n:
        last["t"] = table
    return table, got[1][inverse]


if alpha != 0:
    gl.local_table = table_for
gl.FIRST_TOLERANCE = tol
gl.retry_tolerances = lambda *a, **k: []
t = time.process_time()
stats = w.video_to_gif(store, out, colors="per-frame")
print(json.dumps({"cpu_s": round(time.process_time() - t, 2), "bytes": out.stat().st_size,
                  "psnr_db": stats["gif_psnr_db"], "tables": made}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenes", nargs="*", default=SCENES)
    ap.add_argument("-q", "--quality", default="m")
    ap.add_argument("--tolerances", default="30,45,67,100,150")
    ap.add_argument("--rules", default="fresh,refresh,warm")
    ap.add_argument("--store-dir", type=Path, default=None, help="keep (and reuse) the frame stores here")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_render import render_keeping_store

    tolerances = [int(t) for t in args.tolerances.split(",")]
    rules = args.rules.split(",")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        stores = args.store_dir or Path(tmp)
        stores.mkdir(parents=True, exist_ok=True)
        for name in args.scenes:
            store = stores / f"{name}.{args.quality}.store"
            if not store.exists():
                render_keeping_store(name, args.quality, store)
            for rule in rules:
                runs = []
                for tol in tolerances:
                    out = Path(tmp) / f"{name}.{rule}.{tol}.gif"
                    r = subprocess.run([sys.executable, "-c", ONE_PASS, str(store), str(out), str(tol), str(ALPHA[rule])],
                                       cwd=ROOT, capture_output=True, text=True, check=False)
                    if r.returncode:
                        raise SystemExit(f"{name} {rule} {tol} failed:\n{r.stderr}")
                    runs.append({"scene": name, "rule": rule, "tolerance": tol,
                                 **json.loads(r.stdout.strip().splitlines()[-1])})
                rows += runs
                ok = [r for r in runs if r["psnr_db"] >= 50]
                best = min(ok, key=lambda r: r["bytes"]) if ok else None
                grid = "  ".join(f"{r['tolerance']}: {r['bytes'] / 1e6:.2f} MB {r['psnr_db']:.2f} dB {r['cpu_s']:.1f} s"
                                 for r in runs)
                fewest = (f"{best['bytes'] / 1e6:.2f} MB at {best['tolerance']} ({best['psnr_db']:.2f} dB)"
                          if best else "none at 50 dB")
                print(f"{name:<24} {rule:<8} fewest at ≥ 50 dB: {fewest:<28} | {grid}", flush=True)
    dest = ROOT / "benchmarks" / "results" / "gif_table_rules.json"
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps({"quality": args.quality, "rows": rows}, indent=1) + "\n")
    print(f"wrote {dest.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
