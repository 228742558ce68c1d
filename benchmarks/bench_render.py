#!/usr/bin/env python
"""Benchmark ``cnnviz render`` against plain ``manim``: speed, worker memory, GIF size and fidelity.

    .venv/bin/python benchmarks/bench_render.py                 # everything, 3 repetitions
    .venv/bin/python benchmarks/bench_render.py --reps 1 --only speed
    .venv/bin/python benchmarks/bench_render.py --scenes OutputSizeFormula --only size

Three measurements (the real, implemented scenes of chapters 1-3 unless --scenes):

speed   ``render SCENES -j 2 -q l --force`` versus the same scenes rendered one
        after another with ``manim render -ql --format gif --silent`` (fresh media
        dirs, each repetition; --silent only skips the online version check, which
        would otherwise add ~10 s per scene on an offline machine).
memory  peak RSS of each worker at 720p30 (``os.wait4`` on the worker, recorded
        by render.py in the manifest), including a long fixture scene
        (``CliLong`` × ``--long-repeat``), rendered one at a time (-j 1).
size    bytes of our GIF versus Manim's ``--format gif`` for the same scene and
        quality (-q m), plus fidelity against a lossless reference render
        (PSNR; share of pixels off by more than 24/255), Manim's own GIF peak RSS,
        and a side-by-side PNG of one frame (ours | Manim's, with a 3× zoom).

Results go to ``benchmarks/results/`` (git-ignored): ``bench-<time>.json``,
``latest.md`` (the tables) and ``side_by_side_<Scene>.png``.  The CPU may be
shared: ``uptime`` load averages are recorded next to every measurement, and
medians are reported.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
FIXTURES = ROOT / "tests" / "fixtures"
PY = sys.executable
MANIM = str(Path(sys.executable).with_name("manim"))
sys.path.insert(0, str(ROOT))

from cnnviz import registry  # noqa: E402  (no Manim import)


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "load average: " + " ".join(Path("/proc/loadavg").read_text().split()[:3])


def run_timed(cmd: list[str], env: dict | None = None, cwd: Path | None = None) -> tuple[float, float, int, str]:
    """(wall seconds, peak RSS MB of the process tree's largest child, exit code, stderr tail)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    out, err = proc.communicate()
    return wall, usage.ru_maxrss / 1024.0, proc.returncode, (err or out)[-2000:]


def bench_env(extra: dict | None = None) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(FIXTURES), str(ROOT), env.get("PYTHONPATH", "")]))
    env.update(extra or {})
    return env


def module_file(name: str) -> Path:
    path = registry.module_file(registry.get(name))
    assert path is not None, name
    return path


def manim_cmd(name: str, quality: str, media_dir: Path, *extra: str) -> list[str]:
    return [MANIM, "render", f"-q{quality}", "--silent", "--media_dir", str(media_dir), *extra,
            str(module_file(name)), name]


def median(xs):
    return statistics.median(xs) if xs else float("nan")


# ------------------------------------------------------------------------------------- speed


def bench_speed(scenes: list[str], reps: int, jobs: int) -> dict:
    rows = []
    for rep in range(reps):
        before = uptime()
        # baseline 1: the same output (GIF) with plain manim, one scene after another
        # baseline 2: plain `manim -ql` as typed, i.e. its default MP4 output (less work than a GIF)
        baselines = {}
        for fmt in ("gif", "mp4"):
            with tempfile.TemporaryDirectory(prefix="bench-manim-") as d:
                total, per_scene = 0.0, {}
                for name in scenes:
                    wall, rss, code, err = run_timed(manim_cmd(name, "l", Path(d) / name, "--format", fmt),
                                                     env=bench_env())
                    if code != 0:
                        raise SystemExit(f"manim failed on {name}:\n{err}")
                    per_scene[name] = round(wall, 2)
                    total += wall
                baselines[fmt] = (total, per_scene)
        t_base, per_scene = baselines["gif"]
        t_mp4 = baselines["mp4"][0]
        with tempfile.TemporaryDirectory(prefix="bench-cnnviz-") as d:
            wall, _, code, err = run_timed(
                [PY, str(ROOT / "render.py"), "render", *scenes, "-j", str(jobs), "-q", "l", "--force", "--out", d],
                env=bench_env())
            if code != 0:
                raise SystemExit(f"render.py failed:\n{err}")
            t_ours = wall
        after = uptime()
        row = {"rep": rep + 1, "manim_sequential_s": round(t_base, 2), "cnnviz_s": round(t_ours, 2),
               "speedup": round(t_base / t_ours, 2), "manim_per_scene_s": per_scene,
               "manim_mp4_sequential_s": round(t_mp4, 2), "speedup_vs_mp4": round(t_mp4 / t_ours, 2),
               "uptime_before": before, "uptime_after": after}
        print(f"  speed rep {rep + 1}: manim gif {t_base:.1f}s, manim mp4 {t_mp4:.1f}s, cnnviz -j {jobs} {t_ours:.1f}s"
              f" → ×{t_base / t_ours:.2f} (×{t_mp4 / t_ours:.2f} vs mp4)   ({after})")
        rows.append(row)
    return {
        "scenes": scenes,
        "jobs": jobs,
        "reps": rows,
        "median_manim_s": round(median([r["manim_sequential_s"] for r in rows]), 2),
        "median_cnnviz_s": round(median([r["cnnviz_s"] for r in rows]), 2),
        "median_speedup": round(median([r["speedup"] for r in rows]), 2),
        "median_manim_mp4_s": round(median([r["manim_mp4_sequential_s"] for r in rows]), 2),
        "median_speedup_vs_mp4": round(median([r["speedup_vs_mp4"] for r in rows]), 2),
    }


# ------------------------------------------------------------------------------------- memory


def bench_memory(scenes: list[str], long_repeat: int, out: Path) -> dict:
    extras = "cli_scenes:CliLong"
    env = bench_env({"CNNVIZ_EXTRA_SCENES": extras, "CLI_LONG_REPEAT": str(long_repeat)})
    before = uptime()
    wall, _, code, err = run_timed(
        [PY, str(ROOT / "render.py"), "render", *scenes, "CliLong", "-j", "1", "-q", "m", "--force", "--out", str(out)],
        env=env)
    if code != 0:
        raise SystemExit(f"render.py failed:\n{err}")
    manifest = json.loads((out / ".cnnviz-manifest.json").read_text())["outputs"]
    rows = []
    for rel, e in sorted(manifest.items()):
        if e.get("quality") != "m" or e.get("format") != "gif":
            continue
        rows.append({"scene": e["scene"], "peak_rss_mb": e.get("peak_rss_mb"), "seconds": e.get("seconds"),
                     "frames": e.get("frames_in"), "gif_bytes": e.get("bytes"), "path": rel})
        print(f"  memory: {e['scene']:<28} {e.get('frames_in', '?'):>5} frames  peak RSS {e.get('peak_rss_mb')} MB")
    return {"rows": rows, "max_peak_rss_mb": max(r["peak_rss_mb"] for r in rows), "long_repeat": long_repeat,
            "uptime_before": before, "uptime_after": uptime(), "wall_s": round(wall, 1)}


# ------------------------------------------------------------------------------------- size + fidelity


def _decode_video(path: Path):
    import av

    with av.open(str(path)) as c:
        s = c.streams.video[0]
        for f in c.decode(s):
            yield f.to_ndarray(format="rgb24")


def _gif_frames(path: Path):
    """(frame RGB array, start ms) for each GIF frame (Pillow composes them)."""
    import numpy as np
    from PIL import Image

    im = Image.open(path)
    t = 0
    for i in range(im.n_frames):
        im.seek(i)
        yield np.asarray(im.convert("RGB")), t
        t += im.info.get("duration", 0)


def fidelity(gif: Path, reference: Path, fps: int) -> dict:
    """PSNR and bad-pixel share of a GIF against the lossless reference, frame by frame in time."""
    import numpy as np

    ref_iter = enumerate(_decode_video(reference))
    ref_idx, ref = next(ref_iter)
    sq, n, bad_max, bad_sum = 0.0, 0, 0.0, 0.0
    for frame, start_ms in _gif_frames(gif):
        target = round(start_ms * fps / 1000)
        while ref_idx < target:
            try:
                ref_idx, ref = next(ref_iter)
            except StopIteration:
                break
        diff = frame.astype(np.int16) - ref.astype(np.int16)
        sq += float((diff.astype(np.int32) ** 2).mean())
        bad = float((np.abs(diff).max(axis=2) > 24).mean())
        bad_max, bad_sum, n = max(bad_max, bad), bad_sum + bad, n + 1
    mse = sq / max(n, 1)
    psnr = 99.0 if mse == 0 else 10 * np.log10(255**2 / mse)
    return {"psnr_db": round(float(psnr), 2), "bad_px_mean_pct": round(100 * bad_sum / max(n, 1), 3),
            "bad_px_worst_frame_pct": round(100 * bad_max, 3), "frames_compared": n}


def _frame_at(gif: Path, t_ms: float):
    last = None
    for frame, start in _gif_frames(gif):
        if start > t_ms:
            break
        last = frame
    return last


def side_by_side(ours: Path, theirs: Path, dest: Path, t_ms: float) -> None:
    import numpy as np
    from PIL import Image, ImageDraw

    a, b = _frame_at(ours, t_ms), _frame_at(theirs, t_ms)
    h, w = a.shape[:2]
    # a 3x zoom of the busiest 200x120 region, to show dithering/banding
    gray = a.astype(np.int16).sum(axis=2)
    gy, gx = np.gradient(gray)
    energy = np.abs(gx) + np.abs(gy)
    cw, ch = 200, 120
    best, by, bx = -1, 0, 0
    for y in range(0, h - ch, 40):
        for x in range(0, w - cw, 40):
            e = energy[y : y + ch, x : x + cw].sum()
            if e > best:
                best, by, bx = e, y, x
    pad, label_h = 10, 28
    zoom = 3
    W = 2 * w + 3 * pad
    H = label_h + h + pad + label_h + ch * zoom + pad
    canvas = Image.new("RGB", (W, H), (255, 255, 255))
    draw = ImageDraw.Draw(canvas)
    for i, (img, label) in enumerate(((a, f"cnnviz ({ours.stat().st_size / 1e6:.2f} MB)"),
                                       (b, f"manim --format gif ({theirs.stat().st_size / 1e6:.2f} MB)"))):
        x0 = pad + i * (w + pad)
        draw.text((x0, 8), label, fill=(0, 0, 0))
        canvas.paste(Image.fromarray(img), (x0, label_h))
        crop = Image.fromarray(img[by : by + ch, bx : bx + cw]).resize((cw * zoom, ch * zoom), Image.Resampling.NEAREST)
        draw.text((x0, label_h + h + pad + 8), f"{zoom}x zoom of ({bx},{by})", fill=(0, 0, 0))
        canvas.paste(crop, (x0, label_h + h + pad + label_h))
    dest.parent.mkdir(parents=True, exist_ok=True)
    canvas.save(dest)


def bench_size(scenes: list[str], ours_dir: Path) -> dict:
    rows = []
    for name in scenes:
        ours = ours_dir / "720p30" / f"{name}.gif"
        if not ours.exists():
            subprocess.run([PY, str(ROOT / "render.py"), "render", name, "-q", "m", "--out", str(ours_dir)],
                           env=bench_env(), check=True, capture_output=True)
        with tempfile.TemporaryDirectory(prefix="bench-size-") as d:
            media = Path(d)
            wall, rss, code, err = run_timed(manim_cmd(name, "m", media / "gif", "--format", "gif"), env=bench_env())
            if code != 0:
                raise SystemExit(f"manim gif failed on {name}:\n{err}")
            theirs = next((media / "gif").rglob(f"{name}*.gif"))
            _, _, code, err = run_timed(manim_cmd(name, "m", media / "ref", "--format", "mov", "--video-codec", "qtrle",
                                                  "--pixel-format", "rgb24", "--disable_caching"), env=bench_env())
            if code != 0:
                raise SystemExit(f"manim reference failed on {name}:\n{err}")
            ref = next((media / "ref").rglob(f"{name}*.mov"))
            f_ours = fidelity(ours, ref, 30)
            f_theirs = fidelity(theirs, ref, 30)
            total_ms = sum(1 for _ in _decode_video(ref)) * 1000 / 30
            side = RESULTS / f"side_by_side_{name}.png"
            side_by_side(ours, theirs, side, total_ms * 0.6)
            row = {
                "scene": name,
                "ours_bytes": ours.stat().st_size,
                "manim_bytes": theirs.stat().st_size,
                "ratio": round(ours.stat().st_size / theirs.stat().st_size, 4),
                "manim_gif_wall_s": round(wall, 1),
                "manim_gif_peak_rss_mb": round(rss, 0),
                "ours": f_ours,
                "manim": f_theirs,
                "side_by_side": str(side.relative_to(ROOT)),
                "uptime": uptime(),
            }
        print(f"  size: {name:<28} ours {row['ours_bytes'] / 1e6:6.2f} MB  manim {row['manim_bytes'] / 1e6:7.2f} MB"
              f"  ratio {row['ratio']:.3f}  PSNR ours {f_ours['psnr_db']} dB / manim {f_theirs['psnr_db']} dB")
        rows.append(row)
    return {"rows": rows, "max_ratio": max(r["ratio"] for r in rows)}


# ------------------------------------------------------------------------------------- report


def markdown(res: dict) -> str:
    lines = [f"# cnnviz render benchmark — {res['started']}", "", f"machine: {res['cpus']} CPUs; {res['uptime_start']}", ""]
    sp = res.get("speed")
    if sp:
        lines += ["## Speed (-q l, GIF)", "", f"scenes: {', '.join(sp['scenes'])}", "",
                  "| rep | manim -ql --format gif, sequential (s) | manim -ql (mp4), sequential (s) "
                  "| cnnviz render -j %d -q l (s) | speed-up vs gif | speed-up vs mp4 | load after |" % sp["jobs"],
                  "|---|---|---|---|---|---|---|"]
        for r in sp["reps"]:
            load = r["uptime_after"].split("load average:")[-1].strip()
            lines.append(f"| {r['rep']} | {r['manim_sequential_s']} | {r['manim_mp4_sequential_s']} | {r['cnnviz_s']} "
                         f"| ×{r['speedup']} | ×{r['speedup_vs_mp4']} | {load} |")
        lines += [f"| **median** | **{sp['median_manim_s']}** | **{sp['median_manim_mp4_s']}** | **{sp['median_cnnviz_s']}** "
                  f"| **×{sp['median_speedup']}** | **×{sp['median_speedup_vs_mp4']}** | |", ""]
    mem = res.get("memory")
    if mem:
        lines += ["## Worker peak RSS (-q m = 720p30, GIF, -j 1)", "", "| scene | frames | peak RSS (MB) | seconds |", "|---|---|---|---|"]
        for r in mem["rows"]:
            lines.append(f"| {r['scene']} | {r['frames']} | {r['peak_rss_mb']} | {r['seconds']} |")
        lines += ["", f"max over all workers: **{mem['max_peak_rss_mb']} MB**; CliLong is the long fixture scene "
                  f"(its animation × {mem['long_repeat']}); {mem['uptime_after']}", ""]
    sz = res.get("size")
    if sz:
        lines += ["## GIF size and fidelity (-q m, vs a lossless reference render)", "",
                  "| scene | cnnviz | manim gif | ratio | PSNR cnnviz / manim (dB) | px off >24: cnnviz / manim (mean %) | manim gif peak RSS |",
                  "|---|---|---|---|---|---|---|"]
        for r in sz["rows"]:
            lines.append(
                f"| {r['scene']} | {r['ours_bytes'] / 1e6:.2f} MB | {r['manim_bytes'] / 1e6:.2f} MB | {r['ratio']:.3f} | "
                f"{r['ours']['psnr_db']} / {r['manim']['psnr_db']} | {r['ours']['bad_px_mean_pct']} / {r['manim']['bad_px_mean_pct']} | "
                f"{r['manim_gif_peak_rss_mb']:.0f} MB |")
        lines += [""] + [f"side by side: `{r['side_by_side']}`" for r in sz["rows"]] + [""]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--scenes", default="", help="comma-separated (default: every implemented chapter 1-3 scene)")
    ap.add_argument("--only", choices=["speed", "memory", "size"], action="append")
    ap.add_argument("--long-repeat", type=int, default=6, help="CliLong repetitions for the memory run (≈7 s each)")
    args = ap.parse_args()

    scenes = [s for s in args.scenes.split(",") if s] or [s.name for s in registry.all_specs() if s.chapter > 0]
    if not scenes:
        raise SystemExit("no implemented scenes")
    parts = args.only or ["speed", "memory", "size"]
    RESULTS.mkdir(parents=True, exist_ok=True)
    res = {"started": time.strftime("%Y-%m-%d %H:%M:%S"), "cpus": os.cpu_count(), "uptime_start": uptime(),
           "scenes": scenes}
    print(f"scenes: {', '.join(scenes)}\n{res['uptime_start']}")
    with tempfile.TemporaryDirectory(prefix="bench-out-") as d:
        out = Path(d)
        if "speed" in parts:
            res["speed"] = bench_speed(scenes, args.reps, args.jobs)
        if "memory" in parts:
            res["memory"] = bench_memory(scenes, args.long_repeat, out)
        if "size" in parts:
            res["size"] = bench_size(scenes, out)
    res["uptime_end"] = uptime()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (RESULTS / f"bench-{stamp}.json").write_text(json.dumps(res, indent=1))
    md = markdown(res)
    (RESULTS / "latest.md").write_text(md)
    print()
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
