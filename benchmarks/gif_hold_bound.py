#!/usr/bin/env python
"""How far could a GIF get by redrawing a photo exactly while the picture is held? (issue 18, goal 2)

    .venv/bin/python benchmarks/gif_hold_bound.py [SCENE] [-q m]

Renders SCENE (default FeatureDetectionRGB) to GIF, keeping the lossless frame store, and compares
the GIF with it frame by frame (the GIF's frames expanded back to the frame rate). Prints:

* the PSNR of the GIF against the lossless frames, over all frames;
* the share of the squared error in frames held for at least ``HOLD`` frames, and the PSNR if
  those frames were exact;
* the PSNR if each hold made the whole frame exact and each pixel stayed exact until it next
  changed: an upper bound for tiles with their own colour tables written during holds (extra
  sub-images cannot go inside moving frames: browsers show one under 2 cs for 10 cs).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
HOLD = 8  # frames: a run at least this long is a hold (a beat holds 0.5 s and more)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scene", nargs="?", default="FeatureDetectionRGB")
    ap.add_argument("-q", "--quality", default="m")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from bench_render import (  # this folder
        _gif_frames,  # the GIF's frames with their start times
        render_keeping_store,
    )

    from cnnviz.engine.framestore import count_frames, read_frames

    with tempfile.TemporaryDirectory() as tmp:
        kept = {"store": Path(tmp) / "scene.store", "gif": Path(tmp) / "scene.gif"}
        r = render_keeping_store(args.scene, args.quality, kept["store"])
        kept["gif"].write_bytes(r.data)
        fps = 1 / next(read_frames(kept["store"])).duration
        n = count_frames(kept["store"])
        shown = list(_gif_frames(kept["gif"]))  # (frame, start ms), composed by Pillow
        gif = []  # the GIF's picture at each frame of the render
        for k, (frame, start) in enumerate(shown):
            end = round(shown[k + 1][1] * fps / 1000) if k + 1 < len(shown) else n
            gif += [frame] * (end - round(start * fps / 1000))
        errors, held, bound = [], [], 0.0
        dirty, prev, k = None, None, 0
        for run in read_frames(kept["store"], 3):
            px = run.pixels
            if prev is not None:
                changed = np.any(px != prev, axis=2)
                dirty = changed if dirty is None else dirty | changed
            for _ in range(run.repeat):
                if k < len(gif):
                    e = ((px.astype(np.float64) - gif[k]) ** 2).mean(axis=2)
                    errors.append(e.mean())
                    held.append(run.repeat >= HOLD)
                    if run.repeat < HOLD:
                        bound += e[dirty].sum() / e.size if dirty is not None else e.mean()
                k += 1
            if run.repeat >= HOLD:
                dirty = np.zeros(px.shape[:2], bool)
            prev = px.copy()
    errors, held = np.array(errors), np.array(held)

    def psnr(mse: float) -> float:
        return 10 * np.log10(255**2 / mse)

    rest = errors.copy()
    rest[held] = 0
    print(f"{args.scene} at -q {args.quality}: {len(errors)} frames, GIF {len(r.data) / 1e6:.2f} MB")
    print(f"GIF against the lossless frames: {psnr(errors.mean()):.2f} dB")
    print(f"{held.sum()} frames held (runs of {HOLD}+) carry {errors[held].sum() / errors.sum():.1%} of the squared error; "
          f"exact, the scene would be at {psnr(rest.mean()):.2f} dB")
    print(f"each hold exact, and every pixel exact until it next changes: {psnr(bound / len(errors)):.2f} dB")


if __name__ == "__main__":
    main()
