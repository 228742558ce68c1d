"""A scene's beats without rendering its video: each beat's held frame, its note and its time.

Runs ``construct`` the way the layout check does (no frame drawn while animating, about a
second per scene) and draws one frame at the end of each beat's hold and one at the end of
the scene. A real render starts on the first of these frames (the opening picture, see
:class:`cnnviz.drawings.CnnvizScene`) and ends on the last one; the tests check every
scene's with it, and compare it with a few real renders.

    from cnnviz.beats import held_frames
    h = held_frames(ConvExampleExplainedClean, quality="l")
    h.frames[0]      # the opening picture (H×W×3 uint8), h.end: the last frame
"""

from __future__ import annotations

import dataclasses

import numpy as np

__all__ = ["HeldFrames", "held_frames", "frame_now", "background_share"]

_QUALITY = {"l": "low_quality", "m": "medium_quality", "h": "high_quality", "k": "fourk_quality"}


@dataclasses.dataclass
class HeldFrames:
    scene: str
    frames: list[np.ndarray]  # the held frame of each beat (RGB)
    notes: list[str]
    times: list[float]  # scene time at the end of each beat's hold
    end: np.ndarray  # the frame at the end of the scene
    opening_time: float | None  # scene time where the video starts (the first beat's hold)
    seconds: float  # the length of the video (what is played)
    background: tuple[int, int, int]


def frame_now(scene) -> np.ndarray:
    """The picture ``scene`` shows now (RGB), drawn even while its animations are skipped."""
    renderer = scene.renderer
    renderer.static_image = None
    renderer.update_frame(scene)
    return np.ascontiguousarray(renderer.get_frame()[:, :, :3])


def held_frames(scene_cls: type, quality: str = "l", theme: str | None = None) -> HeldFrames:
    """Run ``scene_cls`` without drawing its animations and return its held frames (see the module doc).

    ``theme``: ``"dark"``/``"light"`` (the scene's modules must have been imported under it:
    :func:`cnnviz.theme.use` before importing them).
    """
    from manim import tempconfig

    from cnnviz import theme as th

    if theme is not None and theme != th.current():
        raise ValueError(f"the scene modules are imported under the {th.current()} theme, not {theme}: "
                         "call cnnviz.theme.use() before importing them")
    frames: list[np.ndarray] = []

    class Captured(scene_cls):  # type: ignore[misc, valid-type]
        def setup(self):
            super().setup()
            self.on_beat = lambda s: frames.append(frame_now(s))

    Captured.__name__ = scene_cls.__name__
    with tempconfig({"quality": _QUALITY[quality], "dry_run": True, "disable_caching": True,
                     "notify_outdated_version": False, "verbosity": "ERROR", "progress_bar": "none"}):
        scene = Captured(skip_animations=True)
        scene.render()
        end = frame_now(scene)
    bg = tuple(int(round(c * 255)) for c in scene.camera.background_color.to_rgb())
    return HeldFrames(scene=scene_cls.__name__, frames=frames, notes=list(scene.notes), times=list(scene.beats),
                      end=end, opening_time=scene.opening_time, seconds=scene.played_seconds(), background=bg)


def background_share(frame: np.ndarray, background: tuple[int, int, int], tolerance: int = 8) -> float:
    """The share of ``frame``'s pixels within ``tolerance`` (per channel) of the background colour."""
    diff = np.abs(frame[:, :, :3].astype(np.int16) - np.array(background, dtype=np.int16)).max(axis=2)
    return float((diff <= tolerance).mean())
