#!/usr/bin/env python
"""Benchmark the cost of frames (issue 18): the cached image camera, and 4K MP4 memory.

    .venv/bin/python benchmarks/bench_frames.py camera [--scenes A,B] [--reps 3] [-q m]
    .venv/bin/python benchmarks/bench_frames.py mp4 [--scene TinyMaxPoolingFixed] [--reps 3] [-q k]
    .venv/bin/python benchmarks/bench_frames.py catalog [--scenes all] [--reps 3] [-q m] [-j 2] [--base REV]
    .venv/bin/python benchmarks/bench_frames.py gif [--scenes A,B] [--reps 3] [-q m] [--base REV]
    .venv/bin/python benchmarks/bench_frames.py store [--scenes A,B] [--reps 3] [-q m]

camera  each scene rendered in a fresh process (GIF intermediate, no encoding: Manim's own
        movie writing off), once with Manim's ``Camera`` and once with ``CnnvizCamera``,
        alternately; the figure is the CPU seconds of ``scene.render()`` (less sensitive to a
        shared machine than wall time), and the ratio is taken within each repetition.
mp4     ``render NAME -q k --format mp4 -j 1 --force`` (this engine: the worker's peak RSS as the
        engine reports it, and the wall time) against plain ``manim -qk`` on the same scene file
        (the peak RSS of the manim process: ``RUSAGE_CHILDREN``), alternately.
catalog ``render --all -q m -j 2 --force`` (or the scenes named) with the frame caches off
        (``CNNVIZ_FRAME_CACHES=0``: Manim's Camera, every Text built anew, Manim's QuickTime RLE
        movie as the intermediate — the engine as it was before issue 18, on today's scenes) and on with an empty text cache on disk ("cold"), and
        with ``--warm`` once more reading what the cold run stored, and with ``--gif-auto`` once more
        cold with ``--gif-colors auto`` (per-frame colours where the shared palette falls short of
        50 dB; "off" keeps the shared palette, as the engine before issue 18 had only that); the
        order swaps each repetition; wall seconds of the whole command, the ratio taken within each repetition.
        ``--base REV`` (not HEAD) adds a run of the project as it was at REV (``git archive``), caches on
        with its own empty text cache, and reports this tree against it, and how many of the outputs
        are byte-identical.
gif     the GIF encoder alone: each scene's lossless intermediate (a QuickTime RLE movie, which
        the encoder at any revision reads) is rendered once, then encoded
        by ``cnnviz/engine/gifenc.py`` as it is at ``--base`` (a git revision, default HEAD) and as
        it is in the working tree, alternately, in this process; CPU seconds of
        ``video_to_gif``, the ratio within each repetition, and the two GIFs must be byte-identical.
store   the GIF intermediate: each scene rendered to GIF in this process, warm, alternately through
        the frame store and through Manim's QuickTime RLE movie; CPU seconds of the whole render
        (the encoder threads included), the ratio within each repetition; the GIFs must be
        byte-identical.

Medians are printed with the load average; results also go to ``benchmarks/results/frames-*.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
PY = sys.executable
MANIM = str(Path(sys.executable).with_name("manim"))
QUALITY = {"l": "low_quality", "m": "medium_quality", "h": "high_quality", "k": "fourk_quality"}

_CHILD = r"""
import sys, time, json
from manim import Camera, tempconfig
from cnnviz import registry
from cnnviz.camera import CnnvizCamera
name, which, quality = sys.argv[1:4]
cls = next(s for s in registry.CATALOG if s.name == name).load()
cam = {"manim": Camera, "cnnviz": CnnvizCamera}[which]
with tempconfig({"quality": quality, "disable_caching": True, "write_to_movie": False,
                 "media_dir": sys.argv[4], "progress_bar": "none", "verbosity": "WARNING"}):
    scene = cls(camera_class=cam)
    t = time.process_time()
    scene.render()
    print(json.dumps({"cpu": time.process_time() - t}))
"""


def load() -> float:
    return os.getloadavg()[0]


def camera(args) -> dict:
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.scenes.split(","):
            rows = []
            for rep in range(args.reps):
                pair = {}
                for which in ("manim", "cnnviz"):
                    r = subprocess.run([PY, "-c", _CHILD, name, which, QUALITY[args.quality], tmp],
                                       capture_output=True, text=True, cwd=ROOT, check=True)
                    pair[which] = json.loads(r.stdout.strip().splitlines()[-1])["cpu"]
                pair["ratio"] = pair["manim"] / pair["cnnviz"]
                pair["load"] = load()
                rows.append(pair)
                print(f"{name} rep {rep + 1}: Manim's camera {pair['manim']:.1f} s CPU, cnnviz's {pair['cnnviz']:.1f} s "
                      f"(×{pair['ratio']:.2f}), load {pair['load']:.1f}", flush=True)
            out[name] = {"runs": rows, "median_ratio": statistics.median(r["ratio"] for r in rows),
                         "median_manim": statistics.median(r["manim"] for r in rows),
                         "median_cnnviz": statistics.median(r["cnnviz"] for r in rows)}
            print(f"{name}: median ×{out[name]['median_ratio']:.2f} ({out[name]['median_manim']:.1f} → "
                  f"{out[name]['median_cnnviz']:.1f} s CPU)", flush=True)
    return out


def _manim_run(spec, quality: str, media: str) -> tuple[float, float]:
    path = ROOT / (spec.module.replace(".", "/") + ".py")
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.perf_counter()
    subprocess.run([MANIM, f"-q{quality}", "--disable_caching", "--media_dir", media, str(path), spec.name],
                   cwd=ROOT, check=True, capture_output=True)
    wall = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the largest child so far (kB)
    return wall, peak / 1024 if peak > before else float("nan")


def _ours_run(name: str, quality: str, out: str) -> tuple[float, float]:
    t = time.perf_counter()
    subprocess.run([PY, "render.py", "render", name, "-q", quality, "--format", "mp4", "-j", "1", "--force",
                    "--out", out], cwd=ROOT, check=True, capture_output=True)
    wall = time.perf_counter() - t
    manifest = json.loads((Path(out) / ".cnnviz-manifest.json").read_text())
    entry = next(v for v in manifest["outputs"].values() if v.get("scene") == name)
    return wall, float(entry.get("worker_peak_rss_mb") or entry.get("peak_rss_mb") or "nan")


def mp4(args) -> dict:
    sys.path.insert(0, str(ROOT))
    from cnnviz import registry

    spec = next(s for s in registry.CATALOG if s.name == args.scene)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for rep in range(args.reps):
            # plain Manim first: RUSAGE_CHILDREN's peak only grows, so it is read before our run
            m_wall, m_peak = _manim_run(spec, args.quality, os.path.join(tmp, "manim"))
            o_wall, o_peak = _ours_run(spec.name, args.quality, os.path.join(tmp, "ours"))
            row = {"manim_wall": m_wall, "manim_peak_mb": m_peak, "ours_wall": o_wall, "ours_peak_mb": o_peak,
                   "wall_ratio": o_wall / m_wall, "load": load()}
            rows.append(row)
            print(f"rep {rep + 1}: manim -q{args.quality} {m_wall:.1f} s, peak {m_peak:.0f} MB | render -q {args.quality} "
                  f"--format mp4 {o_wall:.1f} s, worker peak {o_peak:.0f} MB | time ×{row['wall_ratio']:.2f}, "
                  f"load {row['load']:.1f}", flush=True)
    med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
    print("medians: " + ", ".join(f"{k} {v:.2f}" for k, v in med.items()))
    return {"scene": spec.name, "runs": rows, "medians": med}


def _catalog_run(args, env_extra: dict, out: str, extra: tuple = (), root: Path = ROOT) -> float:
    names = ["--all"] if args.scenes == "all" else args.scenes.split(",")
    env = {**os.environ, **env_extra}
    t = time.perf_counter()
    subprocess.run([PY, "render.py", "render", *names, "-q", args.quality, "-j", str(args.jobs), "--force",
                    "--out", out, *extra], cwd=root, check=True, capture_output=True, env=env)
    return time.perf_counter() - t


def _checkout(rev: str, dest: Path) -> Path:
    """The project as it was at git revision ``rev``, written into ``dest`` (``git archive``)."""
    dest.mkdir(parents=True)
    tar = subprocess.run(["git", "archive", "--format=tar", rev], cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=tar, check=True)
    return dest


def _digests(out: str) -> dict:
    """Each output's SHA-256 by scene, from a render's manifest."""
    manifest = json.loads((Path(out) / ".cnnviz-manifest.json").read_text())["outputs"]
    return {v["scene"]: v["sha256"] for v in manifest.values()}


def catalog(args) -> dict:
    """off: no frame caches; cold: caches on, an empty text cache on disk; warm: the same again (the
    glyphs the cold run stored are read back), as when a teacher renders her own example after the default."""
    rows = []
    modes = (["off", "cold"] + (["warm"] if args.warm else []) + (["auto"] if args.gif_auto else [])
             + (["base"] if args.base != "HEAD" else []))
    with tempfile.TemporaryDirectory() as tmp:
        base_root = _checkout(args.base, Path(tmp) / "base") if "base" in modes else ROOT
        for rep in range(args.reps):
            texts = os.path.join(tmp, f"texts-{rep}")
            envs = {"off": {"CNNVIZ_FRAME_CACHES": "0"}, "cold": {"CNNVIZ_TEXT_CACHE": texts},
                    "warm": {"CNNVIZ_TEXT_CACHE": texts}, "auto": {"CNNVIZ_TEXT_CACHE": texts + "-auto"},
                    # imports resolve in the checkout first (the editable install's finder comes after sys.path)
                    "base": {"CNNVIZ_TEXT_CACHE": texts + "-base", "PYTHONPATH": str(base_root)}}
            order = modes if rep % 2 == 0 else [*modes[1:], "off"]
            row = {"load_before": load()}
            for mode in order:
                extra = ("--gif-colors", "auto") if mode == "auto" else ()
                row[mode] = _catalog_run(args, envs[mode], os.path.join(tmp, f"{mode}-{rep}"), extra,
                                         base_root if mode == "base" else ROOT)
            for mode in modes[1:]:
                row[f"speedup_{mode}"] = row["off"] / row[mode]
            if "base" in modes:  # this tree against the revision, both with the caches on
                row["speedup_cold_over_base"] = row["base"] / row["cold"]
                a, b = _digests(os.path.join(tmp, f"base-{rep}")), _digests(os.path.join(tmp, f"cold-{rep}"))
                row["identical_outputs"] = sum(a[k] == b.get(k) for k in a)
                row["outputs"] = len(a)
            row["load_after"] = load()
            rows.append(row)
            print(f"rep {rep + 1}: " + ", ".join(f"{m} {row[m]:.1f} s" for m in modes) + " | "
                  + ", ".join(f"{m} ×{row[f'speedup_{m}']:.2f}" for m in modes[1:])
                  + (f" | cold over base ×{row['speedup_cold_over_base']:.2f}, {row['identical_outputs']} of "
                     f"{row['outputs']} outputs byte-identical" if "base" in modes else "")
                  + f" (load {row['load_before']:.1f} → {row['load_after']:.1f})", flush=True)
    keys = modes + [f"speedup_{m}" for m in modes[1:]] + (["speedup_cold_over_base"] if "base" in modes else [])
    med = {k: statistics.median(r[k] for r in rows) for k in keys}
    print("medians: " + ", ".join(f"{k} {v:.2f}" for k, v in med.items()))
    return {"scenes": args.scenes, "quality": args.quality, "jobs": args.jobs, "runs": rows, "medians": med}


def _gifenc_at(rev: str, folder: str):
    """``cnnviz/engine/gifenc.py`` as it was at git revision ``rev``, imported as a module of its own
    (its source written into ``folder``)."""
    import importlib.util

    src = subprocess.run(["git", "show", f"{rev}:cnnviz/engine/gifenc.py"], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    path = Path(folder) / "gifenc_base.py"
    path.write_text(src)
    spec = importlib.util.spec_from_file_location("gifenc_base", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["gifenc_base"] = module  # dataclasses and the like look their module up
    spec.loader.exec_module(module)
    return module


def _compared(row: dict, digest: dict, before: str, after: str, differ: str) -> dict:
    """``row`` with the ratio of the two CPU times and the load; stops with ``differ`` when the
    two outputs are not byte-identical."""
    if digest[before] != digest[after]:
        raise SystemExit(differ)
    row["ratio"] = row[before] / row[after]
    row["load"] = load()
    return row


def gif(args) -> dict:
    import hashlib
    import shutil

    sys.path.insert(0, str(ROOT))
    import cnnviz.engine.gifenc as current
    import cnnviz.engine.worker as w
    from cnnviz.registry import all_specs

    specs = {s.name: s for s in all_specs()}
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        base = _gifenc_at(args.base, tmp)
        movs = {}
        keep = w.video_to_gif

        def grab(src, dst, **kw):
            movs[dst.stem] = Path(tmp) / f"{dst.stem}.mov"
            shutil.copy(src, movs[dst.stem])
            return keep(src, dst, **kw)

        uses_store = w._uses_frame_store
        w.video_to_gif = grab
        w._uses_frame_store = lambda job: False  # movies: an encoder at any revision reads them
        try:
            for name in args.scenes.split(","):
                w.render_scene(w.RenderJob(scene=name, module=specs[name].module, quality=args.quality, fmt="gif"))
        finally:
            w.video_to_gif, w._uses_frame_store = keep, uses_store
        for name, mov in movs.items():
            rows = []
            for rep in range(args.reps):
                row, digest = {}, {}
                order = ("base", "tree") if rep % 2 == 0 else ("tree", "base")
                for which in order:
                    mod = base if which == "base" else current
                    saved = current.GifPalette, current.GifWriter
                    current.GifPalette, current.GifWriter = mod.GifPalette, mod.GifWriter
                    try:
                        dst = Path(tmp) / f"{name}-{which}.gif"
                        t = time.process_time()
                        w.video_to_gif(mov, dst)
                        row[which] = time.process_time() - t
                        digest[which] = hashlib.sha256(dst.read_bytes()).hexdigest()
                    finally:
                        current.GifPalette, current.GifWriter = saved
                rows.append(_compared(row, digest, "base", "tree", f"{name}: the two encoders wrote different GIFs"))
                print(f"{name} rep {rep + 1}: {args.base} {row['base']:.2f} s CPU, working tree {row['tree']:.2f} s "
                      f"(×{row['ratio']:.2f}, identical bytes), load {row['load']:.1f}", flush=True)
            med = {k: statistics.median(r[k] for r in rows) for k in ("base", "tree", "ratio")}
            out[name] = {"runs": rows, "medians": med}
            print(f"{name}: median ×{med['ratio']:.2f} ({med['base']:.2f} → {med['tree']:.2f} s CPU)", flush=True)
    return {"base": args.base, "quality": args.quality, "scenes": out}


def store(args) -> dict:
    """Each scene rendered to GIF in this process, alternately through the frame store and through
    Manim's QuickTime RLE movie (everything else the same, warm); CPU seconds of the whole render
    (``RUSAGE_SELF``: the encoder threads included), and the two GIFs must be byte-identical."""
    import hashlib

    sys.path.insert(0, str(ROOT))
    import cnnviz.engine.worker as w
    from cnnviz.registry import all_specs

    specs = {s.name: s for s in all_specs()}
    uses_store = w._uses_frame_store
    out = {}

    def cpu() -> float:
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    for name in args.scenes.split(","):
        job = w.RenderJob(scene=name, module=specs[name].module, quality=args.quality, fmt="gif")
        w.render_scene(job)  # warm: imports, texts
        rows = []
        for rep in range(args.reps):
            row, digest = {}, {}
            for which in (("movie", "store") if rep % 2 == 0 else ("store", "movie")):
                w._uses_frame_store = uses_store if which == "store" else (lambda job: False)
                try:
                    t = cpu()
                    r = w.render_scene(job)
                    row[which] = cpu() - t
                finally:
                    w._uses_frame_store = uses_store
                if r.status != "ok":
                    raise SystemExit(f"{name}: {r.error}")
                digest[which] = hashlib.sha256(r.data).hexdigest()
                row[f"{which}_intermediate_mb"] = r.stats["intermediate_bytes"] / 1e6
            rows.append(_compared(row, digest, "movie", "store", f"{name}: the two intermediates gave different GIFs"))
            print(f"{name} rep {rep + 1}: movie {row['movie']:.2f} s CPU ({row['movie_intermediate_mb']:.1f} MB), "
                  f"store {row['store']:.2f} s ({row['store_intermediate_mb']:.1f} MB), ×{row['ratio']:.2f}, "
                  f"identical GIFs, load {row['load']:.1f}", flush=True)
        med = {k: statistics.median(r[k] for r in rows) for k in ("movie", "store", "ratio")}
        out[name] = {"runs": rows, "medians": med}
        print(f"{name}: median ×{med['ratio']:.2f} ({med['movie']:.2f} → {med['store']:.2f} s CPU)", flush=True)
    return {"quality": args.quality, "scenes": out}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=["camera", "mp4", "catalog", "gif", "store"])
    ap.add_argument("--scenes", default=None, help="comma-separated; catalog: 'all' (the default)")
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--warm", action="store_true", help="catalog: a third run reading the text cache the cold run wrote")
    ap.add_argument("--gif-auto", action="store_true",
                    help="catalog: one more run, caches on with its own empty text cache, and --gif-colors auto")
    ap.add_argument("--scene", default="TinyMaxPoolingFixed")
    ap.add_argument("--base", default="HEAD", help="gif: the git revision whose encoder is the baseline; "
                    "catalog: a revision rendered beside (not HEAD)")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("-q", "--quality", default=None)
    args = ap.parse_args()
    args.quality = args.quality or ("k" if args.what == "mp4" else "m")
    args.scenes = args.scenes or ("all" if args.what == "catalog" else "FeatureDetectionGray,STRATEGIE1,MiniBatchTraining")
    result = {"camera": camera, "mp4": mp4, "catalog": catalog, "gif": gif, "store": store}[args.what](args)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (RESULTS / f"frames-{args.what}-{stamp}.json").write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
