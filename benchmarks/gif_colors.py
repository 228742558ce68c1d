#!/usr/bin/env python
"""GIF colours: one shared palette against each frame's own (``--gif-colors per-frame``; issue 18, goal 2).

    .venv/bin/python benchmarks/gif_colors.py [SCENE ...] [-q m] [--reps 3]

Renders each scene once (default: the photo scenes FeatureDetectionRGB, FeatureDetectionGray,
MiniBatchTraining and the diagram ConvExampleExplainedClean), keeps its lossless frame store,
then encodes it ``--reps`` times each way, alternating, in this process. Prints per scene and
way: the GIF's bytes, its PSNR against the lossless frames (the GIF's picture at each frame's
start, rounded to the centisecond as the GIF's delays are), and the median CPU seconds of the
encoding. Results go to benchmarks/results/gif_colors.json.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ["FeatureDetectionRGB", "FeatureDetectionGray", "MiniBatchTraining", "ConvExampleExplainedClean"]


def gif_psnr(gif: Path, store: Path) -> float:
    """PSNR of ``gif`` against the frame store ``store``, frame by frame in time (streaming)."""
    from PIL import Image

    from cnnviz.engine.framestore import read_frames

    im = Image.open(gif)
    sq, n, k, end, shown = 0.0, 0, -1, 0.0, None
    for run in read_frames(store, 3):
        fps = Fraction(1) / Fraction(run.duration).limit_denominator(1000)
        for _ in range(run.repeat):
            t = 10 * math.floor(Fraction(n * 100) / fps + Fraction(1, 2))
            while k + 1 < im.n_frames and end <= t:
                k += 1
                im.seek(k)
                shown, end = np.asarray(im.convert("RGB")).astype(np.float64), end + im.info["duration"]
            sq += ((run.pixels - shown) ** 2).mean()
            n += 1
    return float("inf") if sq == 0 else float(10 * np.log10(255**2 * n / sq))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenes", nargs="*", default=DEFAULT)
    ap.add_argument("-q", "--quality", default="m")
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    import cnnviz.engine.worker as w
    from cnnviz.registry import all_specs

    specs = {s.name: s for s in all_specs()}
    rows = []
    encode = w.video_to_gif
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.scenes:
            store = Path(tmp) / f"{name}.store"

            def keep(src, dst, _store=store, **kw):
                shutil.copy(src, _store)
                return encode(src, dst, **kw)

            w.video_to_gif = keep
            try:
                r = w.render_scene(w.RenderJob(scene=name, module=specs[name].module, quality=args.quality, fmt="gif"))
            finally:
                w.video_to_gif = encode
            if r.status != "ok":
                raise SystemExit(f"{name}: {r.error}")
            cpu = {"shared": [], "per-frame": []}
            out = {c: Path(tmp) / f"{name}.{c}.gif" for c in cpu}
            for rep in range(args.reps):
                for colors in (("shared", "per-frame") if rep % 2 == 0 else ("per-frame", "shared")):
                    t0 = time.process_time()
                    w.video_to_gif(store, out[colors], colors=colors)
                    cpu[colors].append(time.process_time() - t0)
            row = {"scene": name, "quality": args.quality, "load": os.getloadavg()[0]}
            for colors, path in out.items():
                row[colors] = {"bytes": path.stat().st_size, "psnr_db": round(gif_psnr(path, store), 2),
                               "cpu_s_median": round(statistics.median(cpu[colors]), 2),
                               "cpu_s": [round(c, 2) for c in cpu[colors]]}
            s, p = row["shared"], row["per-frame"]
            print(f"{name:<28} shared {s['bytes'] / 1e6:6.2f} MB {s['psnr_db']:6.2f} dB {s['cpu_s_median']:6.1f} s"
                  f" | per-frame {p['bytes'] / 1e6:6.2f} MB ({p['bytes'] / s['bytes']:.2f}×) {p['psnr_db']:6.2f} dB"
                  f" {p['cpu_s_median']:6.1f} s ({p['cpu_s_median'] / s['cpu_s_median']:.1f}×)", flush=True)
            rows.append(row)
    dest = ROOT / "benchmarks" / "results" / "gif_colors.json"
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps(rows, indent=1) + "\n")
    print(f"wrote {dest.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
