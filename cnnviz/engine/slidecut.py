"""Cutting one render of a scene into its beats: a clip (MP4) and a poster (PNG) per beat.

A slides job renders the scene **once** (the lossless intermediate of the GIF path); the scene
recorded where each beat ends (``CnnvizScene.beats``, scene time) and where the played part
starts (``opening_time``: everything before the first beat is set up, not played).  From the
first played frame on, scene time advances exactly one frame per frame written, so beat ``k``
ends at frame ``round((beats[k] - opening_time) * fps)``.  Beat ``k``'s clip is every frame
after beat ``k-1``'s end up to its own end: what plays from one ``beat()`` to the next, ending
on its held frame; its poster is that last frame.

Clips are H.264 (yuv420p, ``+faststart``) in MP4: what headless Chromium, browsers, PowerPoint
and LibreOffice all play.  The intermediate is decoded once, streaming (a few frames in memory).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

__all__ = ["beat_ranges", "cut_beats", "CLIP_CRF", "INDEX_VERSION"]

#: x264 quality of the clips (visually lossless for flat colours and text)
CLIP_CRF = 18
#: version of the beats.json written here (``cnnviz.slides`` reads it)
INDEX_VERSION = 1


def beat_ranges(beats: list[float], opening_time: float, fps: float, total_frames: int) -> list[tuple[int, int]]:
    """``[start, end)`` frame ranges, one per beat (frames after the last beat join the last range)."""
    if not beats:
        raise ValueError("the scene has no beats: nothing to cut")
    ends = [min(total_frames, max(0, round((t - opening_time) * fps))) for t in beats]
    ranges, start = [], 0
    for end in ends:
        end = max(end, start + 1)  # a beat always shows at least its held frame
        ranges.append((start, end))
        start = end
    last_start, last_end = ranges[-1]
    ranges[-1] = (last_start, max(last_end, total_frames))
    return ranges


class _Clip:
    """One clip being encoded into ``path`` (a file: ``+faststart`` rewrites it when closed)."""

    def __init__(self, path: Path, width: int, height: int, fps: int):
        import av

        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.container = av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"})
        self.stream = self.container.add_stream("libx264", rate=fps)
        self.stream.width, self.stream.height = width, height
        self.stream.pix_fmt = "yuv420p"
        self.stream.options = {"crf": str(CLIP_CRF), "preset": "veryfast"}
        self.frames = 0

    def add(self, arr) -> None:
        import av

        for packet in self.stream.encode(av.VideoFrame.from_ndarray(arr, format="rgb24")):
            self.container.mux(packet)
        self.frames += 1

    def close(self) -> bytes:
        for packet in self.stream.encode():
            self.container.mux(packet)
        self.container.close()
        return self.path.read_bytes()


def _png(arr) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG", compress_level=6)
    return buf.getvalue()


def cut_beats(video: Path, scene, job, index_path: Path) -> dict[str, bytes]:
    """Cut ``video`` (the scene's one render) into per-beat clips and posters; write the deck's
    ``beats.json`` at ``index_path`` and return the other files by relative path."""
    from cnnviz.engine.worker import _count_frames, _decode

    beats = list(getattr(scene, "beats", []) or [])
    notes = list(getattr(scene, "notes", []) or [])
    opening = getattr(scene, "opening_time", None)
    if not beats or opening is None:
        raise RuntimeError(f"{job.scene} has no beats (CnnvizScene.beat): a slide deck needs at least one")
    fps = int(round(scene.camera.frame_rate))
    total = _count_frames(video)
    ranges = beat_ranges(beats, opening, fps, total)
    files: dict[str, bytes] = {}
    entries = []
    work = index_path.parent / "clips"
    width = height = 0
    k, clip, last = 0, None, None
    frames = _decode(video, "rgb24")  # an array is valid until the next one: each is used at once
    try:
        for i, (arr, _) in enumerate(frames):
            height, width = arr.shape[:2]
            while k < len(ranges) and i >= ranges[k][1]:  # (only when frames run past a range)
                k += 1
            if k >= len(ranges):
                break
            if clip is None:
                clip = _Clip(work / f"{k + 1:02d}.mp4", width, height, fps)
            clip.add(arr)
            last = arr
            if i == ranges[k][1] - 1:
                _finish(files, entries, k, clip, last, notes, fps)
                clip, k = None, k + 1
    finally:
        frames.close()
    while k < len(ranges):  # a range the video did not reach (should not happen): its held frame is the last one
        if last is None:
            raise RuntimeError(f"no frames decoded from {video}")
        if clip is None:
            clip = _Clip(work / f"{k + 1:02d}.mp4", width, height, fps)
            clip.add(last)
        _finish(files, entries, k, clip, last, notes, fps)
        clip, k = None, k + 1
    index = {
        "version": INDEX_VERSION,
        "scene": job.scene,
        "theme": job.theme,
        "quality": job.quality,
        "width": width,
        "height": height,
        "fps": fps,
        "seconds": round(total / fps, 3),
        "beats": entries,
    }
    index_path.write_text(json.dumps(index, indent=1, ensure_ascii=False), encoding="utf-8")
    return files


def _finish(files: dict, entries: list, k: int, clip: _Clip, last, notes: list[str], fps: int) -> None:
    name = f"{k + 1:02d}"
    clip_rel, poster_rel = f"clips/{name}.mp4", f"posters/{name}.png"
    n = clip.frames
    files[clip_rel] = clip.close()
    files[poster_rel] = _png(last)
    entries.append({"n": k + 1, "note": notes[k] if k < len(notes) else "", "clip": clip_rel, "poster": poster_rel,
                    "frames": n, "seconds": round(n / fps, 3)})
