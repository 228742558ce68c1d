#!/usr/bin/env python
"""GIF bytes: the encoders at a git revision against the working tree, on the same lossless frames.

    .venv/bin/python benchmarks/gif_bytes.py [SCENE ...] [--all] [-q m] [--base HEAD] [--reps 1]
                                             [--per-frame SCENE,SCENE]

Renders each scene once in this process and keeps its lossless frame store, then encodes it with
``cnnviz`` as it is at ``--base`` (extracted with ``git archive``) and as it is in the working tree,
each in a fresh process, ``--reps`` times, alternating which goes first. Prints per scene the
bytes of each and the median CPU seconds of ``video_to_gif``. With the shared palette the two
GIFs must show the same frames (decoded by Pillow, frame by frame, with the same delays); with
``--per-frame`` scenes (``--gif-colors per-frame``) the PSNR against the lossless frames is
printed instead (decoded, frame by frame in time), and whether the two files are byte-identical.
Totals at the end (bytes, and the CPU medians summed); results go to
benchmarks/results/gif_bytes.json.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
from itertools import zip_longest
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

ENCODE = """
import json, sys, time
from pathlib import Path
import cnnviz, cnnviz.engine.worker as w
assert Path(cnnviz.__file__).resolve().is_relative_to(Path.cwd().resolve()), cnnviz.__file__
t = time.process_time()
stats = w.video_to_gif(Path(sys.argv[1]), Path(sys.argv[2]), colors=sys.argv[3])
cpu = time.process_time() - t
print(json.dumps({"cpu_s": cpu, "bytes": Path(sys.argv[2]).stat().st_size,
                  "gif_tolerance": stats.get("gif_tolerance"), "gif_passes": stats.get("gif_passes")}))
"""


def encode(tree: Path, store: Path, out: Path, colors: str) -> dict:
    """Encode ``store`` to ``out`` with the cnnviz package under ``tree``, in a fresh process."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    r = subprocess.run([sys.executable, "-c", ENCODE, str(store), str(out), colors], cwd=tree, env=env,
                       capture_output=True, text=True, check=False)
    if r.returncode:
        raise SystemExit(f"encoding {store.name} in {tree} failed:\n{r.stderr}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def decoded(gif: Path):
    """(frame, duration) pairs as Pillow composes them, one at a time (bench_render's _gif_frames
    gives start times instead, which leave out the last frame's delay)."""
    from PIL import Image

    with Image.open(io.BytesIO(gif.read_bytes())) as im:
        for i in range(im.n_frames):
            im.seek(i)
            yield np.asarray(im.convert("RGB")), im.info["duration"]


def same_frames(a: Path, b: Path) -> bool:
    missing = object()
    for fa, fb in zip_longest(decoded(a), decoded(b), fillvalue=missing):
        if fa is missing or fb is missing or fa[1] != fb[1] or not np.array_equal(fa[0], fb[0]):
            return False
    return True


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenes", nargs="*")
    ap.add_argument("--all", action="store_true", help="every implemented scene")
    ap.add_argument("-q", "--quality", default="m")
    ap.add_argument("--base", default="HEAD")
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--per-frame", default="", help="comma-separated scenes also encoded per frame")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_render import render_keeping_store
    from gif_colors import gif_psnr

    from cnnviz.registry import all_specs

    names = [s.name for s in all_specs()] if args.all else args.scenes
    per_frame = [n for n in args.per_frame.split(",") if n]
    names += [n for n in per_frame if n not in names]
    rows, totals = [], {"shared": [0, 0], "per-frame": [0, 0]}
    cpu = {"shared": [0.0, 0.0], "per-frame": [0.0, 0.0]}  # the medians, summed
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base"
        base.mkdir()
        archive = subprocess.run(["git", "archive", args.base, "cnnviz"], cwd=ROOT, check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(base)], input=archive, check=True)
        trees = {"base": base, "tree": ROOT}
        for name in names:
            store = Path(tmp) / f"{name}.store"
            render_keeping_store(name, args.quality, store)
            for colors in ["shared"] + (["per-frame"] if name in per_frame else []):
                runs = {"base": [], "tree": []}
                out = {k: Path(tmp) / f"{name}.{colors}.{k}.gif" for k in trees}
                for rep in range(args.reps):
                    for which in (("base", "tree") if rep % 2 == 0 else ("tree", "base")):
                        runs[which].append(encode(trees[which], store, out[which], colors))
                row = {"scene": name, "colors": colors, "load": os.getloadavg()[0]}
                for which in trees:
                    row[which] = {"bytes": runs[which][-1]["bytes"],
                                  "cpu_s_median": round(statistics.median(r["cpu_s"] for r in runs[which]), 2),
                                  "cpu_s": [round(r["cpu_s"], 2) for r in runs[which]]}
                    if colors == "per-frame":
                        row[which].update(psnr_db=round(gif_psnr(out[which], store), 2),
                                          gif_tolerance=runs[which][-1]["gif_tolerance"],
                                          gif_passes=runs[which][-1]["gif_passes"])
                b, t = row["base"], row["tree"]
                row["identical_bytes"] = out["base"].read_bytes() == out["tree"].read_bytes()
                if colors == "shared":
                    row["same_frames"] = same_frames(out["base"], out["tree"])
                    check = "same frames" if row["same_frames"] else "FRAMES DIFFER"
                else:
                    check = (f"{b['psnr_db']:.2f} → {t['psnr_db']:.2f} dB, tolerance {b['gif_tolerance']} → "
                             f"{t['gif_tolerance']}" + (", identical bytes" if row["identical_bytes"] else ""))
                totals[colors][0] += b["bytes"]
                totals[colors][1] += t["bytes"]
                cpu[colors][0] += b["cpu_s_median"]
                cpu[colors][1] += t["cpu_s_median"]
                print(f"{name:<34} {colors:<9} {b['bytes'] / 1e6:7.3f} → {t['bytes'] / 1e6:7.3f} MB "
                      f"({t['bytes'] / b['bytes'] - 1:+6.1%}), CPU {b['cpu_s_median']:5.1f} → {t['cpu_s_median']:5.1f} s "
                      f"(×{b['cpu_s_median'] / max(t['cpu_s_median'], 1e-9):.2f}), {check}", flush=True)
                rows.append(row)
    for colors, (b, t) in totals.items():
        if b:
            cb, ct = cpu[colors]
            print(f"total {colors}: {b / 1e6:.2f} → {t / 1e6:.2f} MB ({t / b - 1:+.2%}); CPU medians summed "
                  f"{cb:.1f} → {ct:.1f} s (×{cb / max(ct, 1e-9):.2f})")
    if any(r.get("same_frames") is False for r in rows):
        raise SystemExit("some shared-palette GIFs show different frames")
    dest = ROOT / "benchmarks" / "results" / "gif_bytes.json"
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps({"base": args.base, "quality": args.quality, "rows": rows}, indent=1) + "\n")
    print(f"wrote {dest.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
