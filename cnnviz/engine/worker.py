"""Where a scene is rendered: :func:`render_scene`, the Manim side of one render.

The engine (:mod:`cnnviz.engine.execute`) submits ``render_scene(job)`` as a
dask task; it is a plain function and runs just as well on its own::

    from cnnviz.engine.worker import RenderJob, render_scene
    result = render_scene(RenderJob(scene="CliQuick", module="cli_scenes", quality="l", fmt="gif"))
    Path("CliQuick.gif").write_bytes(result.data)

One call renders one scene in the calling process:

1. checks that this process runs the same code as the client that planned the
   job (``job.expected_files``: the scene's sources and the ``cnnviz`` package,
   by SHA-256; ``job.versions``: Manim, NumPy, …) — a remote worker with another
   checkout, or one still holding modules imported before an edit, fails the
   scene with a clear message instead of rendering old code under a new key;
2. renders the scene under ``manim.tempconfig`` (Manim's config is one global
   per process, so a worker renders one scene at a time: ``--nthreads 1``) into
   a private temporary directory ``cnnviz-work-<pid>-<Scene>-*``, removed
   afterwards;
3. for a GIF or a WebP, Manim's file writer keeps a **lossless** frame store
   (:mod:`cnnviz.engine.framestore`: each frame's changed rectangles, compressed;
   a held picture once), which is read twice, streaming — once to sample frames
   for one global palette, once to feed :class:`cnnviz.engine.gifenc.GifWriter`
   — so memory stays at a few frames; slides are cut from it into beats; other
   formats are Manim's own file;
4. returns a :class:`RenderResult` holding the finished file's **bytes** (the
   client writes them atomically under ``--out``: workers need no shared disk),
   timings, the peak RSS of this scene, and on failure the error, traceback and
   everything the scene printed.  A scene that raises is a result with
   ``status="failed"``, not an exception, so it is not retried.

The module imports Manim only inside :func:`render_scene`: a worker process pays
the import once (about a second) and then renders many scenes warm.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import importlib.metadata
import importlib.util
import io
import math
import os
import re
import resource
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
import traceback
from fractions import Fraction
from pathlib import Path

from cnnviz.files import clean_stale_temp_dirs, sha256_file

__all__ = ["ATTEMPT_TOPIC", "WORK_PREFIX", "RenderJob", "RenderResult", "render_scene", "video_to_gif"]


#: the project root as this process sees it (parent of the ``cnnviz`` package)
ROOT = Path(__file__).resolve().parents[2]

MANIM_QUALITY = {"l": "low_quality", "m": "medium_quality", "h": "high_quality", "k": "fourk_quality"}

#: H.264 settings of an MP4 at 1080p and 2160p. Manim's default (x264 "medium", 40 frames of
#: look-ahead, frame threads) holds about 1.4 GB per encoder at 2160p, and two encoders overlap
#: (``max_inflight_encoders=2``); "veryfast" + "zerolatency" (no look-ahead, no B-frames, sliced
#: threads) holds about 0.3 GB, costs less CPU, and on flat diagrams gives files of about the same
#: size at the same quality factor (measured on 90 synthetic 2160p frames: 0.3 against 1.45 GB peak).
#: Below 1080p the frames are small and Manim's defaults stay.
X264_BOUNDED = {"crf": "23", "preset": "veryfast", "tune": "zerolatency"}

#: Frames sampled (evenly spaced) to build the GIF palette, and the montage size cap.
PALETTE_SAMPLES = 32
PALETTE_MAX_PIXELS = 2_000_000
#: ``--gif-colors auto`` writes a scene with per-frame colours when its shared palette keeps the
#: sampled frames below this PSNR (at 720p30 the photo scenes sample 39.9-47.7 dB, the diagrams
#: 41.6-59.9 dB: 14 of them also fall below)
AUTO_PER_FRAME_BELOW_DB = 50.0

#: prefix of the private temporary directory of one render: ``cnnviz-work-<pid>-<Scene>-XXXX``
WORK_PREFIX = "cnnviz-work-"

#: the dask event topic on which a worker announces each scene it really starts, and when it ends
#: (the client counts tries from these: see ``cnnviz.engine.execute``)
ATTEMPT_TOPIC = "cnnviz-attempt"


@dataclasses.dataclass(frozen=True)
class RenderJob:
    """Everything a worker needs to render one scene (picklable, no paths on the client's disk)."""

    scene: str
    module: str
    quality: str = "m"  # l | m | h | k
    fmt: str = "gif"  # gif | webp | mp4 | webm | png (png = the last frame)
    transparent: bool = False
    #: GIF colours (``cnnviz.engine.plan.GIF_COLORS``): shared | per-frame
    gif_colors: str = "shared"
    verbose: bool = False  # let Manim print to the worker's terminal instead of capturing it
    #: the colour theme (``cnnviz.theme``): dark (the notebook's) | light
    theme: str = "dark"
    #: video = one file (``fmt``); slides = one clip (MP4) and one poster (PNG) per beat, cut from one render
    kind: str = "video"
    #: directories to put on ``sys.path`` first (the client's project root; harmless where absent)
    sys_path: tuple[str, ...] = ()
    #: SHA-256 of each file the client planned with: by module name (``cnnviz.core``), or by path
    #: (with a ``/``: absolute, or relative to the directory holding the ``cnnviz`` package)
    expected_files: dict[str, str] = dataclasses.field(default_factory=dict)
    #: distribution → version the client planned with (Manim, NumPy, …)
    versions: dict[str, str] = dataclasses.field(default_factory=dict)
    #: a custom render: parameter → value (the scene renders ``functools.partial(data, **values)``)
    values: dict = dataclasses.field(default_factory=dict)
    #: the photo files among ``values``: the client's path → the file's bytes (written here when
    #: this machine has no identical copy at that path)
    files: dict[str, bytes] = dataclasses.field(default_factory=dict)
    #: an extra scene named by its file (``CNNVIZ_EXTRA_SCENES=/path/my_scenes.py:MyScene``)
    module_file: str = ""


@dataclasses.dataclass
class RenderResult:
    scene: str
    status: str = "failed"  # ok | failed
    data: bytes | None = None  # the finished file
    error: str = ""
    traceback: str = ""
    output: str = ""  # what the scene and Manim printed (unless verbose)
    seconds: float = 0.0  # wall time of render_scene
    import_seconds: float = 0.0  # importing Manim and the scene module (≈0 on a warm worker)
    render_seconds: float = 0.0
    encode_seconds: float = 0.0
    peak_rss_mb: float | None = None  # this scene's peak resident memory
    worker_peak_rss_mb: float | None = None  # the worker process's peak over its life
    host: str = ""
    pid: int = 0
    stats: dict = dataclasses.field(default_factory=dict)  # frames_in, frames_written, palette_colors, …
    #: a slides job's other files, by path relative to the folder of ``data`` (the deck's beats.json)
    files: dict[str, bytes] = dataclasses.field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# memory


def _vm_hwm_mb() -> float | None:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            m = re.search(r"^VmHWM:\s+(\d+) kB", fh.read(), re.M)
        return int(m.group(1)) / 1024.0 if m else None
    except OSError:
        return None


def _reset_peak_rss() -> bool:
    """Reset the kernel's high-water mark of this process (Linux ≥ 4.0), so that the peak
    measured after a scene is that scene's own, not the worker's whole life."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


#: the largest per-scene peak of this process so far (the kernel's own high-water mark is reset per scene)
_WORKER_PEAK_MB = 0.0


def _lifetime_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# --------------------------------------------------------------------------------------------
# same code as the client?


#: Manim's config is one global per process: a worker started with several threads still renders
#: one scene at a time (start workers with ``--nthreads 1`` to get the parallelism from processes)
_ONE_AT_A_TIME = threading.Lock()

#: path → digest when this process first checked it (modules are imported once per process)
_SEEN: dict[Path, str] = {}


def check_same_code(job: RenderJob) -> str:
    """'' when this process runs the files and versions the job was planned with, else why not."""
    problems = []
    for name, want in sorted(job.versions.items()):
        if name == "pipeline":
            continue
        try:
            have = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            have = "unknown"
        if have != want:
            problems.append(f"{name} {have} here, {want} on the client")
    for name, want in sorted(job.expected_files.items()):
        path = _expected_path(name)
        if path is None:
            problems.append(f"{name} is missing here")
            continue
        try:
            if path not in _SEEN:
                _SEEN[path] = sha256_file(path)
            have = _SEEN[path]
        except OSError:
            problems.append(f"{name} is missing here")
            continue
        if have != want:
            problems.append(f"{name} differs from the client's copy (or changed after this worker imported it)")
    if not problems:
        return ""
    shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
    return (f"worker {socket.gethostname()} (pid {os.getpid()}) does not run the client's code: {shown}. "
            "Install the same checkout on every worker machine and restart its dask workers.")


def _expected_path(name: str) -> Path | None:
    if "/" in name:
        return Path(name) if os.path.isabs(name) else ROOT / name
    module = sys.modules.get(name)
    origin = getattr(module, "__file__", None)
    if origin is None:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            return None
        origin = spec.origin if spec is not None else None
    return Path(origin) if origin else None


# --------------------------------------------------------------------------------------------
# GIF


def _count_frames(path: Path) -> int:
    import av

    from cnnviz.engine.framestore import count_frames, is_frame_store

    if is_frame_store(path):
        return count_frames(path)
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        if stream.frames:
            return int(stream.frames)
        return sum(1 for packet in container.demux(stream) if packet.size)


def _runs(path: Path, fmt: str):
    """Yield a :class:`cnnviz.engine.framestore.StoredFrame` for each run of equal frames of the
    intermediate ``path`` (a frame store; a movie gives runs of one frame, changed anywhere); an
    array is valid until the next one."""
    from cnnviz.engine.framestore import StoredFrame, is_frame_store, read_frames

    if is_frame_store(path):
        yield from read_frames(path, 4 if fmt == "rgba" else 3)
        return
    for arr, duration in _decode_movie(path, fmt):
        yield StoredFrame(arr, 1, duration, ((0, 0, arr.shape[1], arr.shape[0]),))


def _decode(path: Path, fmt: str):
    """Yield (ndarray, duration Fraction) for every frame of the intermediate ``path`` (a frame
    store or a movie); an array is valid until the next one."""
    for run in _runs(path, fmt):
        for _ in range(run.repeat):
            yield run.pixels, run.duration


def _decode_movie(path: Path, fmt: str):
    """Yield (ndarray, duration Fraction) for every frame of the first video stream of a movie."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        rate = stream.average_rate or stream.guessed_rate or Fraction(30)
        frame_duration = 1 / Fraction(rate)
        for frame in container.decode(stream):
            yield frame.to_ndarray(format=fmt), frame_duration


def theme_colours() -> list[tuple[int, int, int]]:
    """Every colour of ``cnnviz.theme`` as RGB: GIF palettes keep them exact (small coloured text
    beside a photo keeps its colour; see ``GifPalette.from_frames(reserved=...)``)."""
    from cnnviz import theme

    found = []
    for name, value in vars(theme).items():
        if name.startswith("_") or not name.isupper() or name == "PALETTES":  # the current theme's colours only
            continue
        items = value.values() if isinstance(value, dict) else value if isinstance(value, (tuple, list)) else (value,)
        for c in items:
            if isinstance(c, str) and re.fullmatch(r"#[0-9A-Fa-f]{6}", c):
                found.append(tuple(int(c[i:i + 2], 16) for i in (1, 3, 5)))
    return found


def video_to_gif(src: Path, dst: Path, *, transparent: bool = False, samples: int = PALETTE_SAMPLES,
                 colors: str = "shared") -> dict:
    """Encode the video ``src`` as a looping GIF at ``dst`` (streaming, bounded memory).

    ``colors``: ``shared`` (one palette for the scene, :class:`~cnnviz.engine.gifenc.GifWriter`),
    ``per-frame`` (each frame's own colours, :class:`~cnnviz.engine.giflocal.LocalTableGifWriter`;
    opaque only) or ``auto``: per-frame when the shared palette keeps the sampled frames below
    ``AUTO_PER_FRAME_BELOW_DB`` (:meth:`~cnnviz.engine.gifenc.GifPalette.psnr_db`) and the GIF is opaque, else shared.
    Per-frame is written with the moving frames' tolerance ``FIRST_TOLERANCE``, and while its
    colours are short of ``PER_FRAME_DB`` (the writer measures its own PSNR, ``colour_psnr_db``)
    again with each of ``retry_tolerances`` in turn, down to the held pictures' tolerance."""
    from cnnviz.engine.gifenc import GifPalette, GifWriter
    from cnnviz.engine.giflocal import (
        FIRST_TOLERANCE,
        PER_FRAME_DB,
        LocalTableGifWriter,
        retry_tolerances,
    )
    from cnnviz.engine.plan import GIF_COLORS

    if colors not in GIF_COLORS:
        raise ValueError(f"colors must be one of {', '.join(GIF_COLORS)}, got {colors!r}")
    if colors == "per-frame" and transparent:
        raise ValueError("per-frame GIF colours are for opaque GIFs: a transparent GIF keeps the shared palette")

    fmt = "rgba" if transparent else "rgb24"
    n = _count_frames(src)
    if n == 0:
        raise RuntimeError(f"no frames in {src}")
    wanted = sorted({round(i * (n - 1) / max(samples - 1, 1)) for i in range(min(samples, n))})
    picked = []
    step = None
    t0 = time.perf_counter()
    first = 0  # index of the run's first frame
    for run in _runs(src, fmt):
        arr = run.pixels
        if step is None:
            h, w = arr.shape[:2]
            step = max(1, math.ceil(math.sqrt(len(wanted) * h * w / PALETTE_MAX_PIXELS)))
        first += run.repeat
        while len(picked) < len(wanted) and wanted[len(picked)] < first:
            k = len(picked)  # a different sub-grid for each sample, so thin lines are seen too
            picked.append(arr[k % step :: step, (k // step) % step :: step].copy())
    palette = GifPalette.from_frames(picked, max_montage_pixels=PALETTE_MAX_PIXELS, reserved=theme_colours())
    sampled_db = palette.psnr_db(picked)
    if colors == "auto":
        colors = "per-frame" if sampled_db < AUTO_PER_FRAME_BELOW_DB and not transparent else "shared"
    del picked
    t1 = time.perf_counter()

    def encode(make_writer):
        writer = None
        try:
            for run in _runs(src, fmt):
                if writer is None:
                    height, width = run.pixels.shape[:2]
                    writer = make_writer(width, height)
                writer.add_frame(run.pixels, run.duration, repeat=run.repeat, changed=run.rects)
            if writer is None:
                raise RuntimeError(f"no frames decoded from {src}")
            writer.close()
        except BaseException:
            if writer is not None:
                writer.abort()
            raise
        return writer

    per_frame = {}
    if colors == "per-frame":  # the most lenient tolerance that keeps the scene at PER_FRAME_DB
        def write(tolerance: int) -> LocalTableGifWriter:
            return encode(lambda w, h: LocalTableGifWriter(dst, w, h, palette, loop=0, tolerance=tolerance))

        tolerance, passes = FIRST_TOLERANCE, 1
        writer = write(tolerance)
        # at 60 fps, frames shown late cost the same whatever the colours: colour_psnr_db leaves them out
        for retry in retry_tolerances(writer.colour_psnr_db, FIRST_TOLERANCE):
            tolerance, passes = retry, passes + 1
            writer = write(tolerance)
            if writer.colour_psnr_db >= PER_FRAME_DB:
                break
        per_frame = {"local_tables": writer.local_tables, "gif_tolerance": tolerance, "gif_passes": passes,
                     "gif_psnr_db": round(min(writer.psnr_db, 999.0), 2),
                     "gif_colour_psnr_db": round(min(writer.colour_psnr_db, 999.0), 2)}
    else:
        writer = encode(lambda w, h: GifWriter(dst, w, h, palette, loop=0, transparent=transparent))
    t2 = time.perf_counter()
    return {
        "frames_in": writer.frames_in,
        "frames_written": writer.frames_written,
        "frames_merged": writer.frames_merged,
        "frames_folded": writer.frames_folded,
        "gif_total_cs": writer.total_cs,
        "palette_colors": len(palette),
        "gif_colors_used": colors,
        "palette_psnr_db": round(min(sampled_db, 999.0), 2),
        **per_frame,
        "palette_seconds": round(t1 - t0, 3),
        "gif_seconds": round(t2 - t1, 3),
    }


# --------------------------------------------------------------------------------------------
# one scene


def manim_config(job: RenderJob, work: Path) -> dict:
    """The ``tempconfig`` of one render (key order matters: ``quality`` resets frame rate and size)."""
    cfg: dict = {"quality": MANIM_QUALITY[job.quality]}
    cfg.update(
        {
            "media_dir": str(work / "media"),
            "text_dir": str(work / "media" / "texts"),
            "tex_dir": str(work / "media" / "Tex"),
            "log_dir": str(work / "media" / "logs"),
            "disable_caching": True,  # "unchanged" is decided per scene, by the engine
            "notify_outdated_version": False,
            "verbosity": "INFO" if job.verbose else "WARNING",
            "progress_bar": "display" if job.verbose else "none",
            "preview": False,
            "show_in_file_browser": False,
            "write_all": False,
            "save_sections": False,
            "transparent": job.transparent,
            "max_inflight_encoders": 2,
        }
    )
    if job.fmt in ("gif", "webp") or job.kind == "slides":
        cfg["format"] = "mov"
        cfg["video_codec"] = "qtrle"
        cfg["pixel_format"] = "argb" if job.transparent else "rgb24"
    else:
        cfg["format"] = job.fmt  # mp4 | webm | png (png = last frame)
        if job.fmt == "mp4" and job.quality in ("h", "k") and not job.transparent:
            cfg["video_encoder_options"] = dict(X264_BOUNDED)
    return cfg


def _uses_frame_store(job: RenderJob) -> bool:
    """Whether the render's intermediate is a frame store (:mod:`cnnviz.engine.framestore`) rather
    than Manim's QuickTime RLE movie: for a GIF, a WebP or slides (cut into MP4 beats), unless
    ``CNNVIZ_FRAME_CACHES=0`` asks for the engine without its frame savings."""
    from cnnviz.texts import frame_caches

    return (job.fmt in ("gif", "webp") or job.kind == "slides") and frame_caches()


class Cancelled(Exception):
    """The render was cancelled (``render_scene(job, cancel=event)``: the event was set)."""


def _job_values(job: RenderJob, work: Path) -> dict:
    """``job.values`` with each photo file at a path of this machine: the client's own path when
    the file there has the same content, else a copy under ``work`` (same file name)."""
    import hashlib

    paths = {}
    for path, data in job.files.items():
        digest = hashlib.sha256(data).hexdigest()
        here = Path(path)
        try:
            same = here.is_file() and sha256_file(here) == digest
        except OSError:
            same = False
        if not same:
            here = work / "inputs" / digest[:16] / Path(path).name
            here.parent.mkdir(parents=True, exist_ok=True)
            here.write_bytes(data)
        paths[path] = str(here)
    return {k: paths.get(v, v) if isinstance(v, str) else v for k, v in job.values.items()}


def _scene_for(scene_cls, job: RenderJob, work: Path, cancel: threading.Event | None):
    """The class to render: ``scene_cls`` with the job's values (``cnnviz.params.parametrised``),
    and with ``cancel``, a check before every animation."""
    if job.values:
        from cnnviz.params import parametrised

        scene_cls = parametrised(scene_cls, _job_values(job, work))
    if cancel is None:
        return scene_cls

    def play(self, *args, **kwargs):
        if cancel.is_set():
            raise Cancelled("cancelled")
        return super(cls, self).play(*args, **kwargs)

    def wait(self, *args, **kwargs):
        if cancel.is_set():
            raise Cancelled("cancelled")
        return super(cls, self).wait(*args, **kwargs)

    cls = type(scene_cls.__name__, (scene_cls,), {"play": play, "wait": wait, "__module__": scene_cls.__module__})
    return cls


def _import_scene(job: RenderJob):
    if job.module_file:
        from cnnviz.registry import load_file_module

        module = load_file_module(job.module, job.module_file)
    else:
        module = importlib.import_module(job.module)
    scene_cls = getattr(module, job.scene, None)
    if scene_cls is None:
        raise LookupError(f"module {job.module} has no scene {job.scene}")
    return scene_cls


def _render_into(job: RenderJob, work: Path, result: RenderResult, cancel: threading.Event | None = None) -> Path:
    """Render the scene under ``work``; return the finished file."""
    t0 = time.perf_counter()
    from manim import tempconfig

    from cnnviz import theme

    if theme.switch(job.theme, also=[job.module]):  # scene modules bind theme colours when imported
        result.stats["theme_switch"] = job.theme
    scene_cls = _import_scene(job)
    result.import_seconds = round(time.perf_counter() - t0, 3)
    mismatch = check_same_code(job)
    if mismatch:
        raise RuntimeError(mismatch)
    scene_cls = _scene_for(scene_cls, job, work, cancel)
    t1 = time.perf_counter()
    with tempconfig(manim_config(job, work)):
        scene = scene_cls()
        if _uses_frame_store(job):
            from cnnviz.engine.framestore import file_writer_class

            scene.renderer.file_writer = file_writer_class()(scene.file_writer_settings)
        scene.render()
        produced = getattr(scene.renderer.file_writer, "final_file_path", None)
    t2 = time.perf_counter()
    result.render_seconds = round(t2 - t1, 3)
    if produced is None or not Path(produced).is_file():
        raise RuntimeError(f"Manim produced no {job.fmt} output for {job.scene} (a scene without animations?)")
    produced = Path(produced)
    result.stats["intermediate_bytes"] = produced.stat().st_size
    if job.kind == "slides":
        from cnnviz.engine.slidecut import cut_beats

        final = work / "beats.json"
        result.files = cut_beats(produced, scene, job, final)
        result.stats["beats"] = len(result.files) // 2
    elif job.fmt == "gif":
        final = work / f"{job.scene}.gif"
        result.stats.update(video_to_gif(produced, final, transparent=job.transparent, colors=job.gif_colors))
    elif job.fmt == "webp":
        from cnnviz.engine.webpenc import video_to_webp

        final = work / f"{job.scene}.webp"
        result.stats.update(video_to_webp(produced, final, transparent=job.transparent))
    else:
        final = produced
    result.encode_seconds = round(time.perf_counter() - t2, 3)
    return final


def render_scene(job: RenderJob, cancel: threading.Event | None = None) -> RenderResult:
    """Render one scene in this process and return the finished file's bytes (see the module doc).

    ``cancel`` (in-process renders, e.g. ``cnnviz.explore``): when set, the scene stops at its
    next animation and the result fails with ``error="cancelled"``.
    """
    with _ONE_AT_A_TIME:
        _announce(job, "start")
        try:
            return _render_scene(job, cancel)
        finally:
            _announce(job, "end")


def _announce(job: RenderJob, what: str) -> None:
    """Under a dask worker, tell the client that this scene really starts (or ended) here: dask's
    scheduler also counts a task that was only queued on a worker that died."""
    distributed = sys.modules.get("distributed")  # a dask worker has imported it; nothing else needs to
    try:
        worker = distributed.get_worker()
    except (AttributeError, ValueError):  # not in a dask worker
        return
    with contextlib.suppress(Exception):
        worker.log_event(ATTEMPT_TOPIC, {"key": worker.get_current_task(), "scene": job.scene, "what": what,
                                         "worker": worker.address, "pid": os.getpid(), "host": socket.gethostname()})


def _render_scene(job: RenderJob, cancel: threading.Event | None = None) -> RenderResult:
    start = time.perf_counter()
    result = RenderResult(scene=job.scene, host=socket.gethostname(), pid=os.getpid())
    for extra in job.sys_path:
        if extra not in sys.path:
            sys.path.insert(0, extra)
    peak_reset = _reset_peak_rss()
    clean_stale_temp_dirs()  # what killed renders left on this machine
    work = Path(tempfile.mkdtemp(prefix=f"{WORK_PREFIX}{os.getpid()}-{job.scene[:100]}-"))
    captured = io.StringIO()
    try:
        capture = contextlib.nullcontext() if job.verbose else _capture_output(captured)
        with capture:
            final = _render_into(job, work, result, cancel)
        result.data = final.read_bytes()
        result.status = "ok"
    except Cancelled:
        result.error = "cancelled"
    except Exception as exc:  # noqa: BLE001 - the scene's failure is the result
        result.error = f"{type(exc).__name__}: {exc}"
        result.traceback = traceback.format_exc()
    finally:
        shutil.rmtree(work, ignore_errors=True)
        result.output = captured.getvalue()
        result.seconds = round(time.perf_counter() - start, 3)
        global _WORKER_PEAK_MB
        hwm = _vm_hwm_mb() if peak_reset else None
        peak = hwm if hwm is not None else _lifetime_peak_mb()
        _WORKER_PEAK_MB = max(_WORKER_PEAK_MB, peak)
        result.peak_rss_mb = round(peak, 1)
        result.worker_peak_rss_mb = round(_WORKER_PEAK_MB, 1)
    return result


class _ThreadRouted:
    """``sys.stdout`` or ``sys.stderr`` while threads capture what they print: a capturing thread's
    writes go to its buffer, every other thread's to the stream this one replaced."""

    def __init__(self, stream):
        self._stream = stream
        self.buffers: dict[int, io.StringIO] = {}  # thread ident → its buffer

    def _target(self):
        return self.buffers.get(threading.get_ident(), self._stream)

    def write(self, text: str) -> int:
        return self._target().write(text)

    def flush(self) -> None:
        self._target().flush()

    def __getattr__(self, name: str):
        return getattr(self._target(), name)


_ROUTING = threading.Lock()


@contextlib.contextmanager
def _capture_output(buf: io.StringIO):
    """Send what the scene and Manim print (Manim's rich consoles write to sys.stdout/err
    at the time of writing) to ``buf``; a worker renders one scene at a time.

    In the main thread (``run_in_process`` called from a script) the streams are swapped for the
    render. In any other thread (a dask worker's task thread; ``cnnviz.explore``'s thread in a
    Jupyter kernel) swapping them would also capture what other threads print meanwhile (the
    example notebook lost its last cell's output about 1 run in 10), so the streams become
    :class:`_ThreadRouted` instead, and only this thread's writes reach ``buf``."""
    if threading.current_thread() is threading.main_thread():
        with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
            yield
        return
    me, routed = threading.get_ident(), []
    with _ROUTING:
        for name in ("stdout", "stderr"):
            stream = getattr(sys, name)
            if not isinstance(stream, _ThreadRouted):
                stream = _ThreadRouted(stream)
                setattr(sys, name, stream)  # stays: other threads go on writing through it
            stream.buffers[me] = buf
            routed.append(stream)
    try:
        yield
    finally:
        with _ROUTING:
            for stream in routed:
                stream.buffers.pop(me, None)


# --------------------------------------------------------------------------------------------
# dask preload: ``LocalCluster(preload=["cnnviz.engine.worker"])``, ``dask worker --preload cnnviz.engine.worker``


def dask_setup(worker=None) -> None:
    """Make a dask worker process a good Manim renderer (runs once, as the worker starts):

    * no statistical profiler: dask samples the running task's stack every 10 ms,
      which makes Manim's pure-Python drawing about 40 % slower;
    * glibc's malloc back to adaptive thresholds: the nanny's ``MALLOC_TRIM_THRESHOLD_``
      turns every frame buffer into an ``mmap`` (renders about 25 % slower);
    * under a nanny, SIGINT is ignored: Ctrl-C in a terminal reaches the whole process
      group, and it is the client (or the nanny) that stops the worker.
    """
    if worker is not None:
        for name in ("profile", "profile-cycle"):
            pc = worker.periodic_callbacks.pop(name, None)
            if pc is not None:
                pc.stop()
    if os.environ.get("MALLOC_TRIM_THRESHOLD_"):
        with contextlib.suppress(Exception):
            import ctypes

            libc = ctypes.CDLL("libc.so.6")
            m_trim_threshold, m_mmap_threshold = -1, -3
            libc.mallopt(m_mmap_threshold, 32 * 2**20)
            libc.mallopt(m_trim_threshold, 64 * 2**20)
    if worker is None or getattr(worker, "nanny", None):
        with contextlib.suppress(ValueError):  # not the main thread
            signal.signal(signal.SIGINT, signal.SIG_IGN)
