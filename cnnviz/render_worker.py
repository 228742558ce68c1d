"""One scene, one process: the worker that ``render.py render`` starts per scene.

Run as ``python -m cnnviz.render_worker JOB.json``.  The job (written by the
parent) names the scene, the quality, the format and two paths: ``work_dir``, a
private temporary directory used as Manim's media/text/tex dir (no shared
partial movie files between workers), and ``output``, a temporary file *in the
destination directory* that the parent ``os.replace``\\s into place once the
worker has succeeded.  The worker writes ``result.json`` in ``work_dir``
(status, timings, peak RSS, traceback on failure) and exits 0 on success, 1
when the scene raised.

GIF pipeline: Manim renders the scene to a **lossless** QuickTime RLE
(``qtrle``, rgb24 — or argb when transparent) intermediate, which is fast to
write and to decode and has none of H.264's noise; the intermediate is then
decoded twice with PyAV in a streaming fashion — once to sample evenly spaced
frames for the global palette, once to feed :class:`cnnviz.gifenc.GifWriter`
frame by frame — so memory stays at a few frames whatever the clip length.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import resource
import shutil
import signal
import sys
import time
import traceback
from fractions import Fraction
from pathlib import Path

from cnnviz.files import atomic_write_text

MANIM_QUALITY = {"l": "low_quality", "m": "medium_quality", "h": "high_quality", "k": "fourk_quality"}

#: Frames sampled (evenly spaced) to build the GIF palette, and the montage size cap.
PALETTE_SAMPLES = 32
PALETTE_MAX_PIXELS = 2_000_000


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _count_frames(path: Path) -> int:
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        if stream.frames:
            return int(stream.frames)
        return sum(1 for packet in container.demux(stream) if packet.size)


def _decode(path: Path, fmt: str):
    """Yield (ndarray, duration Fraction) for every frame of the first video stream."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        rate = stream.average_rate or stream.guessed_rate or Fraction(30)
        frame_duration = 1 / Fraction(rate)
        for frame in container.decode(stream):
            yield frame.to_ndarray(format=fmt), frame_duration


def video_to_gif(src: Path, dst: Path, *, transparent: bool = False, samples: int = PALETTE_SAMPLES) -> dict:
    """Encode the video ``src`` as a looping GIF at ``dst`` (streaming, bounded memory)."""
    from cnnviz.gifenc import GifPalette, GifWriter

    fmt = "rgba" if transparent else "rgb24"
    n = _count_frames(src)
    if n == 0:
        raise RuntimeError(f"no frames in {src}")
    wanted = {round(i * (n - 1) / max(samples - 1, 1)) for i in range(min(samples, n))}
    picked = []
    step = None
    t0 = time.perf_counter()
    for i, (arr, _) in enumerate(_decode(src, fmt)):
        if step is None:
            h, w = arr.shape[:2]
            step = max(1, math.ceil(math.sqrt(len(wanted) * h * w / PALETTE_MAX_PIXELS)))
        if i in wanted:  # a different sub-grid for each sample, so thin lines are seen too
            k = len(picked)
            picked.append(arr[k % step :: step, (k // step) % step :: step].copy())
    palette = GifPalette.from_frames(picked, max_montage_pixels=PALETTE_MAX_PIXELS)
    del picked
    t1 = time.perf_counter()
    height = width = None
    writer = None
    try:
        for arr, duration in _decode(src, fmt):
            if writer is None:
                height, width = arr.shape[:2]
                writer = GifWriter(dst, width, height, palette, loop=0, transparent=transparent)
            writer.add_frame(arr, duration)
        if writer is None:
            raise RuntimeError(f"no frames decoded from {src}")
        writer.close()
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    t2 = time.perf_counter()
    return {
        "frames_in": writer.frames_in,
        "frames_written": writer.frames_written,
        "frames_merged": writer.frames_merged,
        "frames_folded": writer.frames_folded,
        "gif_total_cs": writer.total_cs,
        "palette_colors": len(palette),
        "palette_seconds": round(t1 - t0, 3),
        "gif_seconds": round(t2 - t1, 3),
    }


def _manim_config(job: dict, work: Path) -> dict:
    fmt = job["format"]
    transparent = bool(job.get("transparent"))
    verbose = bool(job.get("verbose"))
    # Key order matters: "quality" resets frame_rate/size, so it goes first.
    cfg: dict = {"quality": MANIM_QUALITY[job["quality"]]}
    cfg.update(
        {
            "media_dir": str(work / "media"),
            "text_dir": str(work / "media" / "texts"),
            "tex_dir": str(work / "media" / "Tex"),
            "log_dir": str(work / "media" / "logs"),
            "disable_caching": True,
            "notify_outdated_version": False,
            "verbosity": "INFO" if verbose else "WARNING",
            "progress_bar": "display" if verbose else "none",
            "preview": False,
            "show_in_file_browser": False,
            "write_all": False,
            "save_sections": False,
            "transparent": transparent,
            "max_inflight_encoders": 2,
        }
    )
    if fmt == "gif":
        cfg["format"] = "mov"
        cfg["video_codec"] = "qtrle"
        cfg["pixel_format"] = "argb" if transparent else "rgb24"
    else:
        cfg["format"] = fmt  # mp4 | webm | png (png = last frame)
    return cfg


def run(job: dict) -> dict:
    work = Path(job["work_dir"])
    out = Path(job["output"])
    for extra in job.get("sys_path", []):
        if extra not in sys.path:
            sys.path.insert(0, extra)
    result: dict = {"scene": job["scene"], "status": "failed"}
    t0 = time.perf_counter()
    import importlib

    from manim import tempconfig

    result["import_seconds"] = round(time.perf_counter() - t0, 3)
    module = importlib.import_module(job["module"])
    scene_cls = getattr(module, job["scene"])
    t1 = time.perf_counter()
    with tempconfig(_manim_config(job, work)):
        scene = scene_cls()
        scene.render()
        produced = getattr(scene.renderer.file_writer, "final_file_path", None)
    t2 = time.perf_counter()
    result["render_seconds"] = round(t2 - t1, 3)
    if produced is None or not Path(produced).is_file():
        raise RuntimeError(
            f"Manim produced no {job['format']} output for {job['scene']} (a scene without animations?)"
        )
    produced = Path(produced)
    result["intermediate_bytes"] = produced.stat().st_size
    if job["format"] == "gif":
        result.update(video_to_gif(produced, out, transparent=bool(job.get("transparent"))))
    else:
        shutil.copyfile(produced, out)
    result["encode_seconds"] = round(time.perf_counter() - t2, 3)
    result["status"] = "ok"
    return result


def _watch_parent(parent_pid: int, output: Path, work_dir: Path) -> None:
    """If the parent dies without stopping us (SIGKILL), remove our files and exit."""
    import threading

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent_pid:
                with contextlib.suppress(OSError):
                    output.unlink()
                shutil.rmtree(work_dir, ignore_errors=True)
                os._exit(3)

    threading.Thread(target=watch, name="cnnviz-parent-watch", daemon=True).start()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # The parent starts workers with SIGINT/SIGTERM blocked (and the mask is inherited): undo that,
    # so that the parent can stop us with SIGTERM.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    job_path = Path(argv[0])
    job = json.loads(job_path.read_text(encoding="utf-8"))
    if job.get("parent_pid"):
        _watch_parent(int(job["parent_pid"]), Path(job["output"]), Path(job["work_dir"]))
    result_path = Path(job["work_dir"]) / "result.json"
    start = time.perf_counter()
    code = 0
    try:
        result = run(job)
    except BaseException as exc:  # noqa: BLE001 - report everything to the parent
        tb = traceback.format_exc()
        sys.stderr.write(tb)
        sys.stderr.flush()
        result = {"scene": job.get("scene"), "status": "failed", "error": f"{type(exc).__name__}: {exc}", "traceback": tb}
        code = 130 if isinstance(exc, KeyboardInterrupt) else 1
    result["seconds"] = round(time.perf_counter() - start, 3)
    result["peak_rss_mb"] = round(_peak_rss_mb(), 1)
    atomic_write_text(result_path, json.dumps(result, indent=1))
    return code


if __name__ == "__main__":
    sys.exit(main())
