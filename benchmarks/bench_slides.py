"""`slides --all` against `render --all` at the same quality: wall time, medians of N repetitions.

Each repetition renders the whole catalog both ways into fresh folders (``--force``, nothing
cached), one right after the other, and records the ratio within that repetition (shared
machines are noisy: compare within a run, quote medians).

    .venv/bin/python benchmarks/bench_slides.py            # 3 repetitions, -q l, -j 2
    .venv/bin/python benchmarks/bench_slides.py --reps 1 --quality m --names ConvExampleExplainedClean

Results go to ``benchmarks/results/slides-<time>.json`` (not committed).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(args: list[str], out: Path) -> float:
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, str(ROOT / "render.py"), *args, "--out", str(out), "--force"],
                       cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if r.returncode != 0:
        sys.exit(f"failed: {' '.join(args)}\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    return seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--quality", default="l")
    ap.add_argument("-j", "--jobs", default="2")
    ap.add_argument("--names", nargs="*", default=None, help="scenes (default: --all)")
    a = ap.parse_args()
    select = a.names if a.names else ["--all"]
    common = ["-q", a.quality, "-j", a.jobs]
    rows = []
    for rep in range(a.reps):
        work = Path(tempfile.mkdtemp(prefix="cnnviz-bench-slides-"))
        try:
            render = run(["render", *select, *common], work / "render")
            slides = run(["slides", *select, *common, "--to", "html"], work / "slides")
        finally:
            shutil.rmtree(work, ignore_errors=True)
        rows.append({"rep": rep + 1, "render_s": round(render, 1), "slides_s": round(slides, 1),
                     "ratio": round(slides / render, 3), "load": os.getloadavg()[0]})
        print(json.dumps(rows[-1]), flush=True)
    summary = {k: statistics.median(r[k] for r in rows) for k in ("render_s", "slides_s", "ratio")}
    result = {"quality": a.quality, "jobs": a.jobs, "select": select, "runs": rows, "median": summary}
    print("median:", json.dumps(summary))
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"slides-{time.strftime('%Y%m%d-%H%M%S')}.json").write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
