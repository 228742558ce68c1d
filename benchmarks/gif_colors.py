#!/usr/bin/env python
"""GIF colours: one shared palette against each frame's own (``--gif-colors per-frame``; issue 18, goal 2).

    .venv/bin/python benchmarks/gif_colors.py [SCENE ...] [-q m] [--reps 3]

Renders each scene once (default: the photo scenes FeatureDetectionRGB, FeatureDetectionGray,
MiniBatchTraining, TinyCNN_ImageInput, RealGrayscaleToMatrixV2 and the diagram
ConvExampleExplainedClean), keeps its lossless frame store, then encodes it ``--reps`` times each
way, alternating, in this process. Prints per scene and way: the GIF's bytes, its PSNR against
the lossless frames (the GIF's picture at each frame's start, rounded to the centisecond as the
GIF's delays are; decoded by Pillow, not the writer's own figure), the median CPU seconds of the
encoding, and for per-frame the moving tolerance it settled on and in how many passes. Results
go to benchmarks/results/gif_colors.json.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ["FeatureDetectionRGB", "FeatureDetectionGray", "MiniBatchTraining", "TinyCNN_ImageInput",
           "RealGrayscaleToMatrixV2", "ConvExampleExplainedClean"]


def gif_psnr(gif: Path, store: Path) -> float:
    """PSNR of ``gif`` against the frame store ``store``, frame by frame in time (streaming)."""
    from bench_render import _gif_frames  # this folder

    from cnnviz.engine.framestore import read_frames

    shown = _gif_frames(gif)  # (frame, start ms), composed by Pillow
    picture, nxt = None, next(shown)
    sq, n = 0.0, 0
    for run in read_frames(store, 3):
        fps = Fraction(1) / Fraction(run.duration).limit_denominator(1000)
        for _ in range(run.repeat):
            t = 10 * math.floor(Fraction(n * 100) / fps + Fraction(1, 2))  # its start, rounded to the cs
            while nxt is not None and nxt[1] <= t:
                picture, nxt = nxt[0].astype(np.float64), next(shown, None)
            sq += ((run.pixels - picture) ** 2).mean()
            n += 1
    return float("inf") if sq == 0 else float(10 * np.log10(255**2 * n / sq))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenes", nargs="*", default=DEFAULT)
    ap.add_argument("-q", "--quality", default="m")
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from bench_render import render_keeping_store  # this folder

    import cnnviz.engine.worker as w

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.scenes:
            store = Path(tmp) / f"{name}.store"
            render_keeping_store(name, args.quality, store)
            cpu = {"shared": [], "per-frame": []}
            stats = {}
            out = {c: Path(tmp) / f"{name}.{c}.gif" for c in cpu}
            for rep in range(args.reps):
                for colors in (("shared", "per-frame") if rep % 2 == 0 else ("per-frame", "shared")):
                    t0 = time.process_time()
                    stats[colors] = w.video_to_gif(store, out[colors], colors=colors)
                    cpu[colors].append(time.process_time() - t0)
            row = {"scene": name, "quality": args.quality, "load": os.getloadavg()[0]}
            for colors, path in out.items():
                row[colors] = {"bytes": path.stat().st_size, "psnr_db": round(gif_psnr(path, store), 2),
                               "cpu_s_median": round(statistics.median(cpu[colors]), 2),
                               "cpu_s": [round(c, 2) for c in cpu[colors]]}
            row["per-frame"].update({k: stats["per-frame"][k] for k in ("gif_tolerance", "gif_passes", "gif_psnr_db")})
            s, p = row["shared"], row["per-frame"]
            print(f"{name:<28} shared {s['bytes'] / 1e6:6.2f} MB {s['psnr_db']:6.2f} dB {s['cpu_s_median']:6.1f} s"
                  f" | per-frame {p['bytes'] / 1e6:6.2f} MB ({p['bytes'] / s['bytes']:.2f}×) {p['psnr_db']:6.2f} dB"
                  f" {p['cpu_s_median']:6.1f} s ({p['cpu_s_median'] / s['cpu_s_median']:.1f}×)"
                  f" tolerance {p['gif_tolerance']}, {p['gif_passes']} pass(es)", flush=True)
            rows.append(row)
    dest = ROOT / "benchmarks" / "results" / "gif_colors.json"
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps(rows, indent=1) + "\n")
    print(f"wrote {dest.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
