"""Layout check: run a scene's ``construct`` without drawing frames and inspect what is on screen.

The rules (``Problem.kind``), each a function of this module:

- ``out-of-frame`` / ``edge`` (:func:`frame_problems`): nothing visible beyond the frame, nor closer
  than ``theme.EDGE_MARGIN`` (0.3 units) to its edge; whole-frame backgrounds, curtains and
  background-coloured sheets are not content;
- ``overlap`` (:func:`overlap_problems`): no two visible texts (``Text``, ``MarkupText``,
  ``Formula``) overlap — at every held frame **and in the middle of every animation** (each ``play``
  is sampled at half its run time: two captions cross-fading in one place, a label flying over
  another);
- ``morph`` (:func:`morph_problems`): no ``Transform``-family animation (``Transform``,
  ``ReplacementTransform``, ``TransformFromCopy``, ``FadeTransform``, ``TransformMatchingShapes``…)
  from texts to different texts: glyphs morphing into other glyphs are garbled frames. A text that
  changes in place fades out before its replacement arrives, or moves out of the way;
- ``too-small`` (:func:`size_problems`): no text below the scene's minimum font size,
  :func:`cnnviz.registry.min_font` (``theme.MIN_FONT``; 30 for the scenes the notebook shows at half
  width); every number of a value grid counts;
- ``cell-fit`` (:func:`cell_fit_problems`): a text centred in a :class:`~cnnviz.drawings.ValueGrid`
  cell or in a neuron of a :class:`~cnnviz.drawings.NeuronLayer` is at most ``theme.CELL_FILL`` (0.8)
  of its width;
- ``hidden`` (:func:`hidden_problems`): every string of ``scene.must_show(scene.data())`` appears in
  a visible text inside the frame at some held frame (a catalog scene that declares nothing fails);
- ``notation`` (:func:`notation_problems`): visible texts follow :mod:`cnnviz.notation` (⊛, 1,000,
  1-based rows, photos by what they show, no code identifiers unless marked ``notation.as_code``);
- ``pacing`` (:func:`pacing_problems`, with ``pacing=(lo, hi)``): the scene lasts lo–hi seconds and
  ends its teaching steps on beats (``CnnvizScene.beat``), at least one.

"Held frames" are the states after every ``play``/``wait``. Steps are named
``"play 12 (beat 3, 7.3 s)"`` (the 12th play, during the 3rd teaching step, ending at 7.3 s) or
``"mid play 12 (…)"`` for the middle of that animation.

Usage (tests): ``problems = check_scene(SceneClass)``; an empty list is a pass.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

import numpy as np
from manim import MarkupText, Mobject, Paragraph, Text, VMobject, Wait, config, tempconfig
from manim.animation.transform import FadeTransform, Transform, TransformFromCopy
from manim.animation.fading import _Fade
from manim.animation.transform_matching_parts import TransformMatchingAbstractBase

from . import notation
from . import theme as theme_mod
from .formula import Formula

TEXT_TYPES = (Text, MarkupText, Paragraph, Formula)
#: how far (scene units) a box may poke out of the frame / into another label
#: before it counts: anti-aliasing slack, invisible at any resolution.
TOLERANCE = 0.02
#: font sizes are compared with this slack (a size computed as 29.8 is a 30)
FONT_SLACK = 0.5
#: every rule, in the order problems are reported
RULES = ("out-of-frame", "edge", "overlap", "morph", "too-small", "cell-fit", "hidden", "notation", "pacing")


@dataclass(frozen=True)
class Problem:
    step: str
    kind: str  # one of RULES
    what: str

    def __str__(self) -> str:
        return f"[{self.step}] {self.kind}: {self.what}"


@dataclass
class Limits:
    """The numbers the rules measure against (one scene's)."""

    min_font: float = theme_mod.MIN_FONT
    edge_margin: float = theme_mod.EDGE_MARGIN
    cell_fill: float = theme_mod.CELL_FILL
    background: object = None  # the background colour: sheets of it are not content
    rules: Collection[str] = field(default_factory=lambda: RULES)


# ---------------------------------------------------------------- what is on screen
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


def content(m: Mobject) -> str:
    """What a text says: a Text's string, a MarkupText's without its tags, a Formula's LaTeX."""
    if isinstance(m, Formula):
        return m.latex
    text = getattr(m, "original_text", None) or getattr(m, "text", "") or ""
    if isinstance(m, MarkupText):
        text = re.sub(r"<[^>]+>", "", text)
    return text


def _short(text: str, limit: int = 90) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _describe(m: Mobject) -> str:
    if isinstance(m, (Text, MarkupText)):
        return f"{type(m).__name__}({_short(content(m))!r})"
    if isinstance(m, Formula):
        return f"Formula({_short(m.latex)!r})"
    rows, cols = getattr(m, "rows", None), getattr(m, "cols", None)
    if isinstance(rows, int) and isinstance(cols, int):
        return f"{type(m).__name__} {rows}×{cols}"
    texts = _all_texts(m) if m.submobjects else []
    if texts:  # a group: name it by its first text, so it can be found in the scene
        return f"{type(m).__name__} with {_describe(texts[0])}"
    return type(m).__name__


def _labels(mobjects: Iterable[Mobject], code: set[int] | None = None) -> list[Mobject]:
    """The visible texts among ``mobjects`` (a text's glyphs are not texts of their own); the ids of
    those marked :func:`cnnviz.notation.as_code` (or inside a marked group) go into ``code``."""
    found: list[Mobject] = []

    def walk(m: Mobject, marked: bool) -> None:
        marked = marked or notation.is_code(m)
        if isinstance(m, TEXT_TYPES):
            found.append(m)
            if marked and code is not None:
                code.add(id(m))
            return
        for sm in m.submobjects:
            walk(sm, marked)

    for m in mobjects:
        walk(m, False)
    return [m for m in found if _visible(m)]


def _owner(top: Mobject, leaf: Mobject) -> tuple[str, Mobject]:
    """The most telling name of ``leaf`` inside ``top``, and that mobject: the value grid it belongs to,
    else its text, else the innermost cnnviz drawing (PixelImage, NeuronLayer…) holding it, else the
    top-level mobject (named by its first text)."""
    path: list[Mobject] = []

    def find(m: Mobject) -> bool:
        path.append(m)
        if m is leaf:
            return True
        if any(find(sm) for sm in m.submobjects):
            return True
        path.pop()
        return False

    find(top)
    from .drawings import ValueGrid

    grids = [m for m in path if isinstance(m, ValueGrid)]
    texts = [m for m in path if isinstance(m, TEXT_TYPES)]
    drawings = [m for m in path if type(m).__module__.startswith("cnnviz")]
    owner = (grids or texts or drawings or [None])[-1]
    if owner is not None:
        return _describe(owner), owner
    return (_describe(top), top) if leaf is top else (f"{type(leaf).__name__} of {_describe(top)}", top)


def _is_background(sm: Mobject, limits: Limits) -> bool:
    """A whole-frame sheet (curtain, backdrop) or a sheet of the background colour: not content."""
    x0, y0, x1, y1 = _box(sm)
    if x1 - x0 >= config.frame_width - 2 * limits.edge_margin and y1 - y0 >= config.frame_height - 2 * limits.edge_margin:
        return True
    if limits.background is not None and isinstance(sm, VMobject):
        try:
            stroke = sm.get_stroke_opacity() > 0.01 and sm.get_stroke_width() > 0
            same = sm.get_fill_color().to_hex().lower() == limits.background.to_hex().lower()
        except (IndexError, AttributeError):
            return False
        return same and not stroke
    return False


# ---------------------------------------------------------------- the rules at a held frame
def frame_problems(mobjects: list[Mobject], step: str, limits: Limits) -> list[Problem]:
    """``out-of-frame`` and ``edge``: each visible thing's distance to the frame's edge."""
    problems: list[Problem] = []
    hw, hh = config.frame_width / 2, config.frame_height / 2
    margin = limits.edge_margin - TOLERANCE
    for m in mobjects:
        worst: dict[str, tuple[float, np.ndarray]] = {}
        for sm in m.get_family():
            if sm.submobjects or not len(sm.points) or not _visible(sm):
                continue
            box = _box(sm) + _half_stroke(sm) * np.array([-1, -1, 1, 1])
            room = min(box[0] + hw, box[1] + hh, hw - box[2], hh - box[3])
            if room >= margin or _is_background(sm, limits):
                continue
            name, owner = _owner(m, sm)
            if name not in worst or room < worst[name][0]:
                worst[name] = (room, _box(owner))
        for name, (room, (x0, y0, x1, y1)) in worst.items():
            where = f"spans x[{x0:.2f}, {x1:.2f}] y[{y0:.2f}, {y1:.2f}]"
            if room < -TOLERANCE:
                problems.append(Problem(step, "out-of-frame", f"{name} {where}"))
            else:
                problems.append(Problem(step, "edge", f"{name} {where}: {max(room, 0):.2f} from the frame's edge "
                                                      f"(< {limits.edge_margin:g})"))
    return problems


def size_problems(labels: list[Mobject], step: str, limits: Limits) -> list[Problem]:
    """``too-small``: every text at least the scene's minimum font size."""
    problems = []
    for t in labels:
        size = getattr(t, "font_size", None)
        if size is not None and size < limits.min_font - FONT_SLACK:
            problems.append(Problem(step, "too-small", f"{_describe(t)} at font size {size:.1f} < {limits.min_font:g}"))
    return problems


def overlap_problems(labels: list[Mobject], step: str) -> list[Problem]:
    """``overlap``: no two texts' boxes overlap (by more than the tolerance)."""
    if len(labels) < 2:
        return []
    boxes = np.array([_box(t) for t in labels])
    ox = np.minimum(boxes[:, None, 2], boxes[None, :, 2]) - np.maximum(boxes[:, None, 0], boxes[None, :, 0])
    oy = np.minimum(boxes[:, None, 3], boxes[None, :, 3]) - np.maximum(boxes[:, None, 1], boxes[None, :, 1])
    hit = (ox > TOLERANCE) & (oy > TOLERANCE)
    return [Problem(step, "overlap", f"{_describe(labels[a])} and {_describe(labels[b])}")
            for a, b in zip(*np.nonzero(np.triu(hit, k=1)))]


def _containers(mobjects: list[Mobject]) -> list[tuple[str, Mobject, list[Mobject]]]:
    """The cells that hold numbers: each visible ValueGrid's cells and each NeuronLayer's neurons."""
    from .drawings import NeuronLayer, ValueGrid

    found = []
    seen: set[int] = set()
    for m in mobjects:
        for sm in m.get_family():
            if id(sm) in seen:
                continue
            if isinstance(sm, ValueGrid) and len(sm.cells) and _visible(sm):
                found.append(("cell", sm, list(sm.cells)))
                seen.add(id(sm))
            elif isinstance(sm, NeuronLayer) and len(sm.neurons) and _visible(sm):
                found.append(("neuron", sm, list(sm.neurons)))
                seen.add(id(sm))
    return found


def cell_fit_problems(mobjects: list[Mobject], labels: list[Mobject], step: str, limits: Limits) -> list[Problem]:
    """``cell-fit``: a text centred in a grid cell (or a neuron) is at most ``cell_fill`` of its width."""
    if not labels:
        return []
    containers = _containers(mobjects)
    if not containers:
        return []
    tboxes = np.array([_box(t) for t in labels])
    centres = (tboxes[:, :2] + tboxes[:, 2:]) / 2
    widths = tboxes[:, 2] - tboxes[:, 0]
    problems = []
    for what, owner, cells in containers:
        cboxes = np.array([_box(c) for c in cells])
        inside = ((centres[:, None, 0] > cboxes[None, :, 0]) & (centres[:, None, 0] < cboxes[None, :, 2])
                  & (centres[:, None, 1] > cboxes[None, :, 1]) & (centres[:, None, 1] < cboxes[None, :, 3]))
        for t, c in zip(*np.nonzero(inside)):
            room = limits.cell_fill * (cboxes[c, 2] - cboxes[c, 0])
            if widths[t] > room + TOLERANCE:
                problems.append(Problem(step, "cell-fit",
                                        f"{_describe(labels[t])} is {widths[t]:.2f} wide in a {what} of {_describe(owner)} "
                                        f"{cboxes[c, 2] - cboxes[c, 0]:.2f} wide (at most {limits.cell_fill:g} × that = "
                                        f"{room:.2f})"))
    return problems


def inspect(mobjects: list[Mobject], step: str, limits: Limits | None = None,
            labels: list[Mobject] | None = None) -> list[Problem]:
    """The layout problems of what is on screen now (a held frame); ``labels``: its visible texts, if known."""
    limits = limits or Limits()
    rules = limits.rules
    labels = _labels(mobjects) if labels is None else labels
    problems: list[Problem] = []
    if "out-of-frame" in rules or "edge" in rules:
        problems += [p for p in frame_problems(mobjects, step, limits) if p.kind in rules]
    if "too-small" in rules:
        problems += size_problems(labels, step, limits)
    if "overlap" in rules:
        problems += overlap_problems(labels, step)
    if "cell-fit" in rules:
        problems += cell_fit_problems(mobjects, labels, step, limits)
    return problems


# ---------------------------------------------------------------- the rules over a whole scene
def _all_texts(m: Mobject) -> list[Mobject]:
    found: list[Mobject] = []

    def walk(x: Mobject) -> None:
        if isinstance(x, TEXT_TYPES):
            found.append(x)
            return
        for sm in x.submobjects:
            walk(sm)

    walk(m)
    return found


def _morph_pair(anim) -> tuple[Mobject, Mobject] | None:
    """(source, target) of a Transform-family animation that can morph one picture into another."""
    if isinstance(anim, TransformMatchingAbstractBase):
        return anim.to_remove[0], anim.to_add
    if isinstance(anim, FadeTransform):
        return anim.mobject.submobjects[0], anim.to_add_on_completion
    if isinstance(anim, Transform) and not isinstance(anim, _Fade):
        target = anim.target_mobject
        if not target.family_members_with_points():  # a target made at begin() from the mobject itself
            return None
        if isinstance(anim, TransformFromCopy):  # it animates the target back from a copy of the source
            return target, anim.mobject
        return anim.mobject, target
    return None


def morph_problems(animations: Iterable, step: str) -> list[Problem]:
    """``morph``: Transform-family animations between texts that say different things."""
    problems = []
    for anim in animations:
        pair = _morph_pair(anim)
        if pair is None:
            if not isinstance(anim, TransformMatchingAbstractBase):
                problems += morph_problems(getattr(anim, "animations", ()), step)
            continue
        src, tgt = ([content(t) for t in _all_texts(m)] for m in pair)
        if src and tgt and src != tgt:
            changed = [(a, b) for a, b in zip(src, tgt) if a != b] or [(" ".join(src), " ".join(tgt))]
            a, b = changed[0]
            more = f" (and {len(changed) - 1} more)" if len(changed) > 1 else ""
            problems.append(Problem(step, "morph", f"{type(anim).__name__} morphs {_short(a)!r} into {_short(b)!r}{more}"))
    return problems


@functools.lru_cache(maxsize=4096)
def _shown_pattern(s: str) -> re.Pattern:
    # the value as a whole: not the tail of a longer number or word, nor its head
    return re.compile(r"(?<![\w.,\-−])" + re.escape(s) + r"(?![\w]|[.,]\d)")


def hidden_problems(declared: list[str] | None, shown: set[str], catalog: bool) -> list[Problem]:
    """``hidden``: each declared string appears in some visible text of a held frame."""
    if not declared:
        if catalog:
            return [Problem("end", "hidden", "the scene declares nothing it must show (CnnvizScene.must_show)")]
        return []
    problems = []
    for s in dict.fromkeys(str(v) for v in declared):
        pattern = _shown_pattern(s)
        if not any(pattern.search(text) for text in shown):
            problems.append(Problem("end", "hidden", f"{s!r} is never on screen (declared by must_show)"))
    return problems


def notation_problems(labels: list[Mobject], step: str, code: set[int], checked: set) -> list[Problem]:
    """``notation``: each text (checked once per scene, where it first shows) follows :mod:`cnnviz.notation`."""
    problems = []
    for t in labels:
        key = (type(t).__name__, content(t), id(t) in code)
        if key in checked:
            continue
        checked.add(key)
        for what in notation.strays(key[1], latex=isinstance(t, Formula), markup=isinstance(t, MarkupText),
                                    code=key[2]):
            problems.append(Problem(step, "notation", f"{_describe(t)}: {what}"))
    return problems


def pacing_problems(scene, lo: float, hi: float) -> list[Problem]:
    """``pacing``: the scene's length and its beats."""
    problems = []
    played = getattr(scene, "played_seconds", None)  # what the video plays: from the first beat on
    length = played() if played is not None else scene.renderer.time
    if not lo <= length <= hi:
        problems.append(Problem("end", "pacing", f"the scene lasts {length:.1f} s, not {lo:g}–{hi:g} s"))
    if not getattr(scene, "beats", None):
        problems.append(Problem("end", "pacing", "no teaching step ends on a beat (CnnvizScene.beat)"))
    return problems


# ---------------------------------------------------------------- running a scene
def _catalog_spec(scene_cls: type):
    """The catalog entry of ``scene_cls`` or of the catalog scene it derives from (another example), or None."""
    from . import registry

    names = {s.name: s for s in registry.CATALOG}
    for klass in scene_cls.__mro__:
        if klass.__name__ in names and klass.__module__ == names[klass.__name__].module_name:
            return names[klass.__name__]
    return None


def check_scene(scene_cls: type, *, pacing: tuple[float, float] | None = None, min_font: float | None = None,
                theme: str | None = None, max_problems: int | None = None,
                rules: Collection[str] | None = None, mid_animation: bool = True) -> list[Problem]:
    """Run ``scene_cls.construct`` with no frames drawn; return the layout problems found.

    ``pacing=(lo, hi)``: also require a length of lo–hi seconds and at least one beat.
    ``min_font``: the smallest text allowed (default: :func:`cnnviz.registry.min_font` of the catalog
    scene ``scene_cls`` is, or derives from; ``theme.MIN_FONT`` for others). ``theme``: the colour theme
    to check in (``theme.use(name)``, where the theme module has it). ``rules``: only these kinds
    (default: all of :data:`RULES`). ``mid_animation=False`` skips the samples in the middle of animations.
    Each problem is reported once, at the first step it shows.
    """
    from . import registry

    spec = _catalog_spec(scene_cls)
    if min_font is None:
        min_font = registry.min_font(spec) if spec is not None else theme_mod.MIN_FONT
    if theme is not None:
        scene_cls = theme_mod.scene_under(scene_cls, theme)
    limits = Limits(min_font=min_font, rules=tuple(rules) if rules is not None else RULES)
    unknown = set(limits.rules) - set(RULES)
    if unknown:
        raise ValueError(f"unknown layout rule(s) {sorted(unknown)}: choose from {', '.join(RULES)}")
    problems: list[Problem] = []
    shown: set[str] = set()  # what the visible texts said at held frames (the hidden rule)
    checked: set = set()  # texts already checked for notation
    counter = {"n": 0}
    data_fn = getattr(scene_cls, "data", None)

    class Checked(scene_cls):  # type: ignore[misc, valid-type]
        if callable(data_fn):
            # one call per check: construct and must_show see the same data
            data = staticmethod(functools.lru_cache(maxsize=1)(data_fn))

        def _step(self, what: str, n: int, back: float = 0.0) -> str:
            beat = len(getattr(self, "beats", None) or []) + 1
            return f"{what} {n} (beat {beat}, {self.renderer.time - back:.1f} s)"

        def begin_animations(self):
            if "morph" in limits.rules:
                problems.extend(morph_problems(self.animations or (), self._step("play", counter["n"] + 1)))
            super().begin_animations()

        def play_internal(self, skip_rendering: bool = False):
            if mid_animation and "overlap" in limits.rules and self.duration > 0:
                self.update_to_time(self.duration / 2)  # the middle of the animation, as the renderer draws it
                problems.extend(overlap_problems(_labels(self.mobjects), self._step("mid play", counter["n"] + 1,
                                                                                 self.duration / 2)))
            super().play_internal(skip_rendering)

        def play(self, *args, **kwargs):
            super().play(*args, **kwargs)
            counter["n"] += 1
            limits.background = self.camera.background_color
            step = self._step("wait" if len(args) == 1 and isinstance(args[0], Wait) else "play", counter["n"])
            code: set[int] = set()
            labels = _labels(self.mobjects, code)
            problems.extend(inspect(self.mobjects, step, limits, labels))
            if "notation" in limits.rules:
                problems.extend(notation_problems(labels, step, code, checked))
            if "hidden" in limits.rules:
                hw, hh = config.frame_width / 2, config.frame_height / 2
                for t in labels:
                    x, y = t.get_center()[:2]
                    if abs(x) < hw and abs(y) < hh:
                        shown.add(notation.plain(content(t), isinstance(t, Formula)))

    Checked.__name__ = scene_cls.__name__
    with tempconfig({"quality": "low_quality", "dry_run": True, "disable_caching": True,
                     "notify_outdated_version": False, "verbosity": "ERROR",
                     "progress_bar": "none"}):
        scene = Checked(skip_animations=True)
        scene.render()
        if counter["n"] == 0:
            problems.extend(inspect(scene.mobjects, "end", limits))
        if "hidden" in limits.rules:
            must_show = getattr(scene, "must_show", None)
            declared = must_show(scene.data()) if callable(must_show) and callable(data_fn) else None
            problems.extend(hidden_problems(declared, shown, catalog=spec is not None and callable(data_fn)))
        if pacing is not None and "pacing" in limits.rules:
            problems.extend(pacing_problems(scene, *pacing))
    # the same problem usually persists over many steps: report each once, first step wins
    seen, unique = set(), []
    for p in problems:
        key = (p.kind, p.what)
        if key not in seen:
            seen.add(key)
            unique.append(p)
    unique.sort(key=lambda p: RULES.index(p.kind) if p.kind in RULES else len(RULES))
    return unique if max_problems is None else unique[:max_problems]
