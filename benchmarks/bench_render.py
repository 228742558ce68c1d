#!/usr/bin/env python
"""Benchmark ``cnnviz render``: speed against the previous engine and plain ``manim``, the cost
of the dask cluster itself, worker memory, GIF size and fidelity.

    .venv/bin/python benchmarks/bench_render.py                 # everything, 3 repetitions
    .venv/bin/python benchmarks/bench_render.py --reps 1 --only speed
    .venv/bin/python benchmarks/bench_render.py --scenes OutputSizeFormula --only size

The measurements (the real, implemented scenes of chapters 1-3 unless --scenes):

speed     the catalog at 480p15 (GIF), in the same repetition: ``render -j 2``
          (dask engine: a LocalCluster of 2 warm workers), the previous engine
          (one fresh process per scene; checked out from git into a temporary
          copy of the project, see ``old_engine``), and the same scenes one
          after another with plain ``manim -ql --format gif`` and ``manim -ql``
          (MP4).  Plus the gain from warm workers: what a cold start (fresh
          Python + Manim + the scene modules) costs, and how many the run saved.
overhead  the cluster's own cost: LocalCluster start-up (2 workers, dashboard on,
          as the CLI starts it) and shut-down, and the scheduling cost of one
          task (a no-op, one after another and 100 at once).
memory    peak RSS at 720p30 (GIF) with ``-j 2``: each scene's own peak (the
          kernel's high-water mark is reset per scene) and each worker's peak
          over its whole life (it renders several scenes), including a long
          fixture scene (``CliLong`` × ``--long-repeat``).
size      bytes of our GIF versus Manim's ``--format gif`` for the same scene and
          quality (-q m), plus fidelity against a lossless reference render
          (PSNR; share of pixels off by more than 24/255), Manim's own GIF peak RSS,
          and a side-by-side PNG of one frame (ours | Manim's, with a 3× zoom).

Results go to ``benchmarks/results/`` (git-ignored): ``bench-<time>.json``,
``latest.md`` (the tables) and ``side_by_side_<Scene>.png``.  The CPU may be
shared: ``uptime`` load averages are recorded next to every measurement, every
comparison is made within one repetition, and medians are reported — re-run on
a quiet machine for absolute figures.
"""

from __future__ import annotations

import argparse
import contextlib
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


# ------------------------------------------------------------------------------------- the previous engine


def old_engine_rev() -> str:
    """The last commit with the previous engine (a process per scene): the parent of the commit that
    removed ``cnnviz/render_worker.py``."""
    git = ["git", "-C", str(ROOT)]
    exists = subprocess.run([*git, "cat-file", "-e", "HEAD:cnnviz/render_worker.py"], capture_output=True)
    if exists.returncode == 0:
        return "HEAD"
    removed = subprocess.run([*git, "rev-list", "-n", "1", "HEAD", "--", "cnnviz/render_worker.py"],
                             capture_output=True, text=True, check=True).stdout.strip()
    if not removed:
        raise SystemExit("cannot find the previous engine in git history (cnnviz/render_worker.py)")
    return f"{removed}^"


OLD_ENGINE_FILES = ("render.py", "cnnviz/render_worker.py", "cnnviz/gifenc.py", "cnnviz/files.py")


def old_engine(dest: Path) -> Path:
    """A copy of today's project (scenes, drawings, registry) with the previous engine's files
    checked out from git over it (and today's GIF encoder); returns its render.py."""
    rev = old_engine_rev()
    for sub in ("cnnviz", "scenes"):
        shutil.copytree(ROOT / sub, dest / sub, ignore=shutil.ignore_patterns("__pycache__"))
    for rel in OLD_ENGINE_FILES:
        blob = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:{rel}"], capture_output=True, check=True).stdout
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        (dest / rel).write_bytes(blob)
    # the GIF encoder did not change with the engine, but it was fixed since (a palette crash on some
    # photo scenes): the old engine gets today's encoder, so both engines encode the same way
    shutil.copyfile(ROOT / "cnnviz" / "engine" / "gifenc.py", dest / "cnnviz" / "gifenc.py")
    return dest / "render.py"


def old_env(old_root: Path) -> dict:
    """Imports resolve in the old copy first (the editable install's finder comes after sys.path)."""
    env = bench_env()
    env["PYTHONPATH"] = os.pathsep.join([str(old_root), str(FIXTURES)])
    return env


# ------------------------------------------------------------------------------------- speed


def cold_start_seconds(scenes: list[str], reps: int = 3) -> float:
    """Wall time of a fresh Python importing Manim, the engine's worker and the scenes' modules:
    what each scene paid in the previous engine, and a warm worker pays once."""
    mods = sorted({registry.get(n).module_name for n in scenes})
    code = "import manim, cnnviz.engine.worker; " + "; ".join(f"import {m}" for m in mods)
    walls = [run_timed([PY, "-c", code], env=bench_env())[0] for _ in range(reps)]
    return median(walls)


def bench_speed(scenes: list[str], reps: int, jobs: int) -> dict:
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-old-engine-") as old_dir:
        old_render = old_engine(Path(old_dir))
        for rep in range(reps):
            before = uptime()
            # plain manim, one scene after another: GIF (the same output), and its default MP4 (less work)
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
            runs = {}
            # (the old engine's workers run `python -m cnnviz.render_worker`: from its own directory, so that
            # the current directory does not put today's cnnviz first on sys.path)
            for label, cmd, env, cwd in (("old", [PY, str(old_render)], old_env(Path(old_dir)), Path(old_dir)),
                                         ("new", [PY, str(ROOT / "render.py")], bench_env(), ROOT)):
                with tempfile.TemporaryDirectory(prefix=f"bench-{label}-") as d:
                    wall, _, code, err = run_timed(
                        [*cmd, "render", *scenes, "-j", str(jobs), "-q", "l", "--force", "--out", d], env=env, cwd=cwd)
                    if code != 0:
                        raise SystemExit(f"{label} engine failed:\n{err}")
                    manifest = json.loads((Path(d) / ".cnnviz-manifest.json").read_text())["outputs"]
                    imports = [e.get("import_seconds") for e in manifest.values() if e.get("import_seconds") is not None]
                    runs[label] = (wall, imports)
            t_gif, per_scene = baselines["gif"]
            t_mp4 = baselines["mp4"][0]
            t_old, t_new = runs["old"][0], runs["new"][0]
            after = uptime()
            row = {"rep": rep + 1, "manim_gif_s": round(t_gif, 2), "manim_mp4_s": round(t_mp4, 2),
                   "old_engine_s": round(t_old, 2), "new_engine_s": round(t_new, 2),
                   "speedup_vs_gif": round(t_gif / t_new, 2), "speedup_vs_mp4": round(t_mp4 / t_new, 2),
                   "speedup_vs_old": round(t_old / t_new, 2), "manim_per_scene_s": per_scene,
                   "new_import_seconds": runs["new"][1], "uptime_before": before, "uptime_after": after}
            print(f"  speed rep {rep + 1}: manim gif {t_gif:.1f}s, manim mp4 {t_mp4:.1f}s, old engine {t_old:.1f}s,"
                  f" dask engine {t_new:.1f}s → ×{t_gif / t_new:.2f} vs gif, ×{t_old / t_new:.2f} vs old   ({after})")
            rows.append(row)
    cold = cold_start_seconds(scenes)
    frames = []
    animation_s = None
    with contextlib.suppress(Exception):  # the animation's length, from the GIF frame counts at 15 fps
        with tempfile.TemporaryDirectory(prefix="bench-len-") as d:
            subprocess.run([PY, str(ROOT / "render.py"), "render", *scenes, "-q", "l", "-j", str(jobs), "--out", d],
                           env=bench_env(), check=True, capture_output=True)
            m = json.loads((Path(d) / ".cnnviz-manifest.json").read_text())["outputs"]
            frames = [e.get("frames_in", 0) for e in m.values()]
            animation_s = round(sum(frames) / 15, 1)
    med_new = median([r["new_engine_s"] for r in rows])
    return {
        "scenes": scenes,
        "jobs": jobs,
        "old_engine_rev": old_engine_rev(),
        "reps": rows,
        "median_manim_gif_s": round(median([r["manim_gif_s"] for r in rows]), 2),
        "median_manim_mp4_s": round(median([r["manim_mp4_s"] for r in rows]), 2),
        "median_old_engine_s": round(median([r["old_engine_s"] for r in rows]), 2),
        "median_new_engine_s": round(med_new, 2),
        "median_speedup_vs_gif": round(median([r["speedup_vs_gif"] for r in rows]), 2),
        "median_speedup_vs_mp4": round(median([r["speedup_vs_mp4"] for r in rows]), 2),
        "median_speedup_vs_old": round(median([r["speedup_vs_old"] for r in rows]), 2),
        "cold_start_s": round(cold, 2),
        "cold_starts_saved": max(0, len(scenes) - jobs),
        "warm_gain_s": round(cold * max(0, len(scenes) - jobs) / jobs, 2),
        "animation_s": animation_s,
        "faster_than_animation": round(animation_s / med_new, 2) if animation_s else None,
    }


# ------------------------------------------------------------------------------------- cluster overhead


def _noop(x):
    return x


def bench_overhead(reps: int, jobs: int) -> dict:
    """LocalCluster start-up and shut-down as the CLI does them, and the scheduling cost of a task."""
    from cnnviz.engine import execute

    starts, closes, latency, throughput = [], [], [], []
    for _ in range(reps):
        t0 = time.perf_counter()
        with execute.connect(jobs=jobs) as client:
            client.wait_for_workers(jobs)
            t1 = time.perf_counter()
            starts.append(t1 - t0)
            client.submit(_noop, -1, pure=False).result()  # warm the path once
            lat = []
            for i in range(30):
                a = time.perf_counter()
                client.submit(_noop, i, pure=False).result()
                lat.append(time.perf_counter() - a)
            latency.append(median(lat))
            a = time.perf_counter()
            client.gather(client.map(_noop, range(100), pure=False))
            throughput.append((time.perf_counter() - a) / 100)
            t2 = time.perf_counter()
        closes.append(time.perf_counter() - t2)
    res = {"jobs": jobs, "reps": reps,
           "start_s": round(median(starts), 2), "close_s": round(median(closes), 2),
           "task_round_trip_ms": round(1000 * median(latency), 1),
           "task_in_batch_ms": round(1000 * median(throughput), 1), "uptime": uptime()}
    print(f"  overhead: LocalCluster({jobs}) start {res['start_s']} s, close {res['close_s']} s, "
          f"one task {res['task_round_trip_ms']} ms round trip, {res['task_in_batch_ms']} ms each in a batch of 100")
    return res


# ------------------------------------------------------------------------------------- memory


def bench_memory(scenes: list[str], long_repeat: int, out: Path, jobs: int) -> dict:
    extras = "cli_scenes:CliLong"
    env = bench_env({"CNNVIZ_EXTRA_SCENES": extras, "CLI_LONG_REPEAT": str(long_repeat)})
    before = uptime()
    wall, _, code, err = run_timed(
        [PY, str(ROOT / "render.py"), "render", *scenes, "CliLong", "-j", str(jobs), "-q", "m", "--force",
         "--out", str(out)], env=env)
    if code != 0:
        raise SystemExit(f"render.py failed:\n{err}")
    manifest = json.loads((out / ".cnnviz-manifest.json").read_text())["outputs"]
    rows = []
    for rel, e in sorted(manifest.items()):
        if e.get("quality") != "m" or e.get("format") != "gif":
            continue
        rows.append({"scene": e["scene"], "peak_rss_mb": e.get("peak_rss_mb"),
                     "worker_peak_rss_mb": e.get("worker_peak_rss_mb"), "seconds": e.get("seconds"),
                     "frames": e.get("frames_in"), "gif_bytes": e.get("bytes"), "path": rel})
        print(f"  memory: {e['scene']:<28} {e.get('frames_in', '?'):>5} frames  scene peak {e.get('peak_rss_mb')} MB"
              f"  worker peak so far {e.get('worker_peak_rss_mb')} MB")
    return {"rows": rows, "jobs": jobs, "max_peak_rss_mb": max(r["peak_rss_mb"] for r in rows),
            "max_worker_peak_rss_mb": max(r["worker_peak_rss_mb"] or 0 for r in rows), "long_repeat": long_repeat,
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


def render_keeping_store(name: str, quality: str, store: Path, **job):
    """Render scene ``name`` to GIF in this process, copying its lossless frame store (the GIF's
    intermediate) to ``store``; return the worker's result (``data``: the GIF)."""
    import cnnviz.engine.worker as w

    encode = w.video_to_gif

    def keep(src, dst, **kw):
        shutil.copy(src, store)
        return encode(src, dst, **kw)

    w.video_to_gif = keep
    try:
        spec = registry.get(name)
        r = w.render_scene(w.RenderJob(scene=name, module=spec.module_name, quality=quality, fmt="gif", **job))
    finally:
        w.video_to_gif = encode
    if r.status != "ok":
        raise SystemExit(f"{name}: {r.error}")
    return r


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
        j = sp["jobs"]
        lines += ["## Speed (-q l, GIF)", "", f"scenes: {', '.join(sp['scenes'])}", "",
                  f"| rep | manim -ql --format gif, sequential (s) | manim -ql (mp4), sequential (s) "
                  f"| previous engine -j {j} (s) | dask engine -j {j} (s) | vs manim gif | vs previous | load after |",
                  "|---|---|---|---|---|---|---|---|"]
        for r in sp["reps"]:
            load = r["uptime_after"].split("load average:")[-1].strip()
            lines.append(f"| {r['rep']} | {r['manim_gif_s']} | {r['manim_mp4_s']} | {r['old_engine_s']} | {r['new_engine_s']} "
                         f"| ×{r['speedup_vs_gif']} | ×{r['speedup_vs_old']} | {load} |")
        lines += [f"| **median** | **{sp['median_manim_gif_s']}** | **{sp['median_manim_mp4_s']}** "
                  f"| **{sp['median_old_engine_s']}** | **{sp['median_new_engine_s']}** "
                  f"| **×{sp['median_speedup_vs_gif']}** | **×{sp['median_speedup_vs_old']}** | |", "",
                  f"previous engine: `{sp['old_engine_rev']}`; animation length {sp['animation_s']} s → rendered "
                  f"×{sp['faster_than_animation']} faster than it plays", "",
                  f"warm workers: a cold start (fresh Python + Manim + scene modules) costs {sp['cold_start_s']} s; "
                  f"{sp['cold_starts_saved']} saved with {len(sp['scenes'])} scenes on {j} workers "
                  f"(≈{sp['warm_gain_s']} s of wall time)", ""]
    ov = res.get("overhead")
    if ov:
        lines += ["## Cluster overhead", "",
                  f"LocalCluster of {ov['jobs']} workers (dashboard on): start {ov['start_s']} s, shut down {ov['close_s']} s; "
                  f"one task: {ov['task_round_trip_ms']} ms round trip, {ov['task_in_batch_ms']} ms each in a batch of 100 "
                  f"(medians of {ov['reps']}; {ov['uptime']})", ""]
    mem = res.get("memory")
    if mem:
        lines += [f"## Peak RSS (-q m = 720p30, GIF, -j {mem['jobs']})", "",
                  "| scene | frames | scene's own peak (MB) | its worker's peak so far (MB) | seconds |", "|---|---|---|---|---|"]
        for r in mem["rows"]:
            lines.append(f"| {r['scene']} | {r['frames']} | {r['peak_rss_mb']} | {r['worker_peak_rss_mb']} | {r['seconds']} |")
        lines += ["", f"max: **{mem['max_peak_rss_mb']} MB** for one scene, **{mem['max_worker_peak_rss_mb']} MB** for a "
                  f"worker over its life; CliLong is the long fixture scene (its animation × {mem['long_repeat']}); "
                  f"{mem['uptime_after']}", ""]
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
    ap.add_argument("--only", choices=["speed", "overhead", "memory", "size"], action="append")
    ap.add_argument("--long-repeat", type=int, default=6, help="CliLong repetitions for the memory run (≈7 s each)")
    args = ap.parse_args()

    scenes = [s for s in args.scenes.split(",") if s] or [s.name for s in registry.all_specs() if s.chapter > 0]
    if not scenes:
        raise SystemExit("no implemented scenes")
    parts = args.only or ["speed", "overhead", "memory", "size"]
    RESULTS.mkdir(parents=True, exist_ok=True)
    res = {"started": time.strftime("%Y-%m-%d %H:%M:%S"), "cpus": os.cpu_count(), "uptime_start": uptime(),
           "scenes": scenes}
    print(f"scenes: {', '.join(scenes)}\n{res['uptime_start']}")
    with tempfile.TemporaryDirectory(prefix="bench-out-") as d:
        out = Path(d)
        if "speed" in parts:
            res["speed"] = bench_speed(scenes, args.reps, args.jobs)
        if "overhead" in parts:
            res["overhead"] = bench_overhead(args.reps, args.jobs)
        if "memory" in parts:
            res["memory"] = bench_memory(scenes, args.long_repeat, out, args.jobs)
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


if __name__ == "__main__":  # (also guards the local cluster's spawned workers)
    sys.exit(main())
