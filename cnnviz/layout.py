"""Layout check: run a scene's ``construct`` without drawing frames and inspect
what is on screen at the end of every animation.

Three rules, checked after each ``play``/``wait`` and at the end:
- nothing visible lies outside the frame;
- no two visible text labels (``Text``, ``MarkupText``, ``Formula``) overlap;
- no visible label is drawn smaller than ``theme.MIN_FONT`` (readable at 480p
  and on a slide; a grid too big for readable numbers shows a zoomed patch).

With ``pacing=(lo, hi)`` the scene must also last lo–hi seconds and end its
teaching steps on beats (``CnnvizScene.beat``), at least one.

Usage (tests): ``problems = check_scene(SceneClass)``; an empty list is a pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from manim import MarkupText, Mobject, Paragraph, Text, VMobject, config, tempconfig

from . import theme
from .formula import Formula

TEXT_TYPES = (Text, MarkupText, Paragraph, Formula)
#: how far (scene units) a box may poke out of the frame / into another label
#: before it counts: anti-aliasing slack, invisible at any resolution.
TOLERANCE = 0.02


@dataclass(frozen=True)
class Problem:
    step: str
    kind: str  # "out-of-frame" | "overlap" | "too-small" | "pacing"
    what: str

    def __str__(self) -> str:
        return f"[{self.step}] {self.kind}: {self.what}"


def _visible(m: Mobject) -> bool:
    for sm in m.family_members_with_points():
        if isinstance(sm, VMobject):
            try:
                if sm.get_fill_opacity() > 0.01 or (sm.get_stroke_opacity() > 0.01 and sm.get_stroke_width() > 0):
                    return True
            except IndexError:  # no colours set at all: drawn with defaults
                return True
        elif getattr(sm, "fill_opacity", 1.0) > 0.01:  # an image (ImageMobject keeps its opacity here)
            return True
    return False


def _box(m: Mobject) -> np.ndarray:
    pts = [sm.points for sm in m.family_members_with_points() if len(sm.points)]
    if not pts:
        return np.array([np.nan] * 4)
    allp = np.concatenate(pts)
    return np.array([allp[:, 0].min(), allp[:, 1].min(), allp[:, 0].max(), allp[:, 1].max()])


#: Cairo draws a stroke of width w as w × this many scene units (Manim's ``cairo_line_width_multiple``).
STROKE_UNIT = 0.01


def _half_stroke(m: Mobject) -> float:
    """How far a visible outline reaches past the path it strokes (half the line width), in scene units."""
    if isinstance(m, VMobject):
        try:
            if m.get_stroke_opacity() > 0.01:
                return m.get_stroke_width() * STROKE_UNIT / 2
        except IndexError:
            pass
    return 0.0


def _describe(m: Mobject) -> str:
    if isinstance(m, (Text, MarkupText)):
        return f"{type(m).__name__}({getattr(m, 'original_text', m.text)!r})"
    if isinstance(m, Formula):
        return f"Formula({m.latex!r})"
    return type(m).__name__


def _labels(mobjects: list[Mobject]) -> list[Mobject]:
    found: list[Mobject] = []

    def walk(m: Mobject) -> None:
        if isinstance(m, TEXT_TYPES):
            found.append(m)
            return  # a label's glyphs are not labels of their own
        for sm in m.submobjects:
            walk(sm)

    for m in mobjects:
        walk(m)
    return [m for m in found if _visible(m)]


def inspect(mobjects: list[Mobject], step: str) -> list[Problem]:
    """The layout problems of what is on screen now."""
    problems: list[Problem] = []
    hw, hh = config.frame_width / 2 + TOLERANCE, config.frame_height / 2 + TOLERANCE
    for m in mobjects:
        for sm in m.get_family():
            if not sm.submobjects and len(sm.points) and _visible(sm):
                x0, y0, x1, y1 = _box(sm) + _half_stroke(sm) * np.array([-1, -1, 1, 1])
                if x0 < -hw or x1 > hw or y0 < -hh or y1 > hh:
                    owner = next((t for t in _labels([m]) if sm in t.get_family()), m)
                    problems.append(Problem(step, "out-of-frame",
                                            f"{_describe(owner)} spans x[{x0:.2f}, {x1:.2f}] y[{y0:.2f}, {y1:.2f}]"))
                    break
    labels = _labels(mobjects)
    for t in labels:
        size = getattr(t, "font_size", None)
        if size is not None and size < theme.MIN_FONT - 0.5:
            problems.append(Problem(step, "too-small", f"{_describe(t)} at font size {size:.1f} < {theme.MIN_FONT}"))
    if len(labels) > 1:
        boxes = np.array([_box(t) for t in labels])
        ox = np.minimum(boxes[:, None, 2], boxes[None, :, 2]) - np.maximum(boxes[:, None, 0], boxes[None, :, 0])
        oy = np.minimum(boxes[:, None, 3], boxes[None, :, 3]) - np.maximum(boxes[:, None, 1], boxes[None, :, 1])
        hit = (ox > TOLERANCE) & (oy > TOLERANCE)
        for a, b in zip(*np.nonzero(np.triu(hit, k=1))):
            problems.append(Problem(step, "overlap", f"{_describe(labels[a])} and {_describe(labels[b])}"))
    return problems


def check_scene(scene_cls: type, max_problems: int = 20,
                pacing: tuple[float, float] | None = None, theme: str | None = None) -> list[Problem]:
    """Run ``scene_cls.construct`` with no frames drawn; return the layout problems found.

    ``pacing=(lo, hi)``: also require a length of lo–hi seconds (what the video plays: from the
    first beat on, see ``CnnvizScene.played_seconds``) and at least one beat.
    ``theme="light"|"dark"``: check the scene as imported under that theme (``cnnviz.theme.scene_under``).
    """
    if theme is not None:
        from .theme import scene_under

        scene_cls = scene_under(scene_cls, theme)
    problems: list[Problem] = []
    counter = {"n": 0}

    class Checked(scene_cls):  # type: ignore[misc, valid-type]
        def play(self, *args, **kwargs):
            super().play(*args, **kwargs)
            counter["n"] += 1
            problems.extend(inspect(self.mobjects, f"play {counter['n']}"))

        def wait(self, *args, **kwargs):
            super().wait(*args, **kwargs)
            counter["n"] += 1
            problems.extend(inspect(self.mobjects, f"wait {counter['n']}"))

    Checked.__name__ = scene_cls.__name__
    with tempconfig({"quality": "low_quality", "dry_run": True, "disable_caching": True,
                     "notify_outdated_version": False, "verbosity": "ERROR",
                     "progress_bar": "none"}):
        scene = Checked(skip_animations=True)
        scene.render()
        problems.extend(inspect(scene.mobjects, "end"))
        if pacing is not None:
            lo, hi = pacing
            played = getattr(scene, "played_seconds", None)
            length = played() if played is not None else scene.renderer.time
            if not lo <= length <= hi:
                problems.append(Problem("end", "pacing", f"the scene lasts {length:.1f} s, not {lo:g}–{hi:g} s"))
            if not getattr(scene, "beats", None):
                problems.append(Problem("end", "pacing", "no teaching step ends on a beat (CnnvizScene.beat)"))
    # the same problem usually persists over many steps: report each once, first step wins
    seen, unique = set(), []
    for p in problems:
        key = (p.kind, p.what)
        if key not in seen:
            seen.add(key)
            unique.append(p)
    return unique[:max_problems]
