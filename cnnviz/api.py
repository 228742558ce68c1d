"""Python and Jupyter: render a scene with your own values, show it inline, explore its parameters.

::

    import cnnviz

    path = cnnviz.render("ConvExampleExplainedClean", x=[[1, 2, 0, 1], [0, 1, 3, 2], [2, 2, 1, 0], [1, 0, 0, 2]])
    cnnviz.show("FeatureDetectionGray", photo="my_cat.png")     # inline in Jupyter: the GIF
    cnnviz.explore("OutputSizeFormula")                          # controls, a poster, then the animation

The same engine as the command line (:mod:`cnnviz.engine`): the same checks before anything
renders (:func:`cnnviz.params.coerce`, the scene's data function, the layout check), the same
cache key and manifest — a second identical call returns at once — and the same output names
(``media/480p15/<Scene>@<values>.gif``: a custom render never replaces the notebook's file).
Scenes render in this process (no cluster to start; Manim is imported once, on the first
render), one at a time.

Importing this module (and ``cnnviz``) imports neither Manim nor dask.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import html
import inspect
import json
import threading
from pathlib import Path

from cnnviz import params as P
from cnnviz import registry
from cnnviz.engine import outputs
from cnnviz.engine import plan as planning
from cnnviz.params import ParamError

__all__ = ["render", "show", "explore", "parameters", "prepare", "check", "check_plan", "RenderError", "Cancelled",
           "Explorer", "ParamError"]


class RenderError(RuntimeError):
    """A scene failed to render (the message says why and where its log is)."""


class Cancelled(RuntimeError):
    """The render was cancelled (by a newer request in :func:`explore`)."""


# ------------------------------------------------------------------------------------------ shared with the CLI


def scene_spec(name: str) -> registry.SceneSpec:
    """The implemented scene called ``name`` (``ParamError`` with suggestions otherwise)."""
    try:
        return planning.select([name])[0]
    except planning.SelectionError as exc:
        raise ParamError(str(exc)) from None


def load_scene(spec: registry.SceneSpec):
    """The scene's class; an import failure is one line (``ParamError``)."""
    try:
        return spec.load()
    except Exception as exc:  # noqa: BLE001 - a teacher's own file may raise anything
        where = spec.path or spec.module_name
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise ParamError(f"cannot import scene {spec.name} from {where}: {type(exc).__name__}"
                         f"{': ' + first if first else ''}") from None


def prepare(spec: registry.SceneSpec, raw: dict, *, name: str | None = None, base: Path | None = None):
    """What to plan for ``spec`` with the values ``raw``, and the scene class (None when not imported).

    ``raw`` is checked (:func:`cnnviz.params.coerce`, ``ParamError``); values equal to the
    notebook's example are dropped; with none left and no ``name``, the scene itself is planned
    (the notebook's file).  Otherwise a :class:`cnnviz.engine.plan.Variant` carrying the values
    and the bytes of every photo file among them.
    """
    if not raw and not name:
        return spec, None
    if name is not None:
        try:
            P.variant_suffix({}, name)
        except ValueError as exc:
            raise ParamError(str(exc)) from None
    cls = load_scene(spec)
    values = P.coerce(cls, raw, base=base)
    custom = P.custom_values(cls, values)
    if not custom and not name:
        return spec, cls
    try:
        files = P.photo_files(cls, custom)
    except OSError as exc:
        raise ParamError(f"cannot read a photo file: {exc.strerror or exc}") from None
    return planning.Variant(spec, custom, name, files), cls


def _layout_problems(spec, cls) -> list:
    """The layout check on ``cls``, with Manim's text cache in a temporary folder (not ./media)."""
    import tempfile

    from manim import tempconfig

    from cnnviz import layout

    kwargs = {}
    params = inspect.signature(layout.check_scene).parameters
    if spec is not None and "min_font" in params and hasattr(registry, "min_font"):
        kwargs["min_font"] = registry.min_font(spec)
    with tempfile.TemporaryDirectory(prefix="cnnviz-check-") as tmp:
        media = Path(tmp) / "media"
        with tempconfig({"media_dir": str(media), "text_dir": str(media / "texts"), "tex_dir": str(media / "Tex")}):
            return layout.check_scene(cls, **kwargs)


@functools.lru_cache(maxsize=64)
def _default_problem_kinds(spec, scene_cls) -> frozenset[str]:
    """The kinds of layout problem ``scene_cls`` has with its own example (the notebook's): a known
    defect of the scene, which a teacher's values neither cause nor can fix.  Empty once the scene
    passes the layout check (``make test`` holds every catalog scene to that)."""
    try:
        return frozenset(p.kind for p in _layout_problems(spec, scene_cls))
    except Exception:  # noqa: BLE001 - then nothing is excused
        return frozenset()


def check(scene_cls, values: dict, *, spec=None, layout: bool = True) -> list[str]:
    """What stops ``scene_cls`` from rendering ``values`` (already :func:`coerce`-d), one line each:

    1. the scene's data function called with them: a ``ValueError`` is the core's (or the
       data function's) refusal, reported in its own words;
    2. with ``layout``, the layout check (:func:`cnnviz.layout.check_scene`) on the scene drawn
       with them: text too small, out of frame, overlapping, a value not shown.

    An empty list: the values are good.  Anything else the data function or the scene raises
    is a bug of the scene (not of the values): reported as such, as one line.
    """
    if not values:
        return []
    cls = P.parametrised(scene_cls, values)
    try:
        cls.data()
    except ValueError as exc:
        return [str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__]
    except Exception as exc:  # noqa: BLE001 - a bug, said in one line
        return [f"the scene's data function failed on these values ({type(exc).__name__}: {exc}): "
                "a bug in the scene, please report it"]
    if not layout:
        return []
    try:
        problems = _layout_problems(spec, cls)
    except ValueError as exc:
        return [str(exc).strip().splitlines()[0]]
    except Exception as exc:  # noqa: BLE001
        return [f"the scene cannot draw these values ({type(exc).__name__}: {exc}): "
                "a bug in the scene, please report it"]
    if problems:  # the scene's own defects (its notebook example has them too) are not her values' fault
        inherited = _default_problem_kinds(spec, scene_cls)
        problems = [p for p in problems if p.kind not in inherited]
    by_kind: dict[str, list] = {}
    for p in problems:
        by_kind.setdefault(p.kind, []).append(p)
    lines = []
    for kind, found in by_kind.items():  # one line per kind of problem: the first, and how many more
        first = found[0]
        more = f" (and {len(found) - 1} more like it)" if len(found) > 1 else ""
        lines.append(f"does not fit the screen with these values: {kind}: {first.what} ({first.step}){more}")
    return lines


_CHECKED: dict[str, list[str]] = {}  # what check_plan found, by scene, values and code (this process)


def check_plan(plan: planning.Plan, classes: dict[str, type], layout: bool = True) -> list[str]:
    """The problems (``Scene: line``) of every custom render ``plan`` will render: the data
    function's refusal and (with ``layout``) the layout check on her values (:func:`check`).
    ``classes``: scene name → class.  Renders that are unchanged were checked when they were made."""
    problems = []
    for task in plan.todo:
        if not task.values:
            continue
        memo = json.dumps([task.spec.name, {k: P.to_json(v) for k, v in task.values.items()},
                           sorted(hashlib.sha256(d).hexdigest() for d in task.files.values()),
                           sorted(task.modules.items()), plan.ctx.package_files, layout], sort_keys=True)
        if memo not in _CHECKED:
            cls = classes.get(task.spec.name) or load_scene(task.spec)
            _CHECKED[memo] = check(cls, task.values, spec=task.spec, layout=layout)
        problems += [f"{task.label}: {line}" for line in _CHECKED[memo]]
    return problems


def options_for(quality: str, fmt: str, theme: str | None = None, layout: str = "flat",
                gif_colors: str = "shared") -> planning.Options:
    if quality not in planning.QUALITIES:
        raise ParamError(f"quality {quality!r}: choose one of {', '.join(planning.QUALITIES)}")
    if fmt not in planning.FORMATS:
        raise ParamError(f"format {fmt!r}: choose one of {', '.join(planning.FORMATS)}")
    kwargs = {}
    if theme is not None:
        if theme not in planning.THEMES:
            raise ParamError(f"theme {theme!r}: choose one of {', '.join(planning.THEMES)}")
        kwargs["theme"] = theme
    if gif_colors not in planning.GIF_COLORS:
        raise ParamError(f"gif_colors {gif_colors!r}: choose one of {', '.join(planning.GIF_COLORS)}")
    if gif_colors != "shared" and fmt != "gif":
        raise ParamError(f"gif_colors={gif_colors!r} applies to GIFs, not to format {fmt!r}")
    kwargs["gif_colors"] = gif_colors
    return planning.Options(quality=quality, fmt=fmt, layout=layout, **kwargs)


# ------------------------------------------------------------------------------------------ render


def _render(name: str, quality: str, fmt: str, theme: str | None, out, force: bool, raw: dict,
            cancel: threading.Event | None = None, layout: bool = True, gif_colors: str = "shared") -> Path:
    from cnnviz.engine.manifest import Manifest

    spec = scene_spec(name)
    options = options_for(quality, fmt, theme, gif_colors=gif_colors)
    item, cls = prepare(spec, raw)
    out = Path(out).expanduser().resolve()
    suffix = item.suffix if isinstance(item, planning.Variant) else ""
    try:
        outputs.check_output_dir(out, [out / planning.output_path(spec, options, suffix)[0]])
    except outputs.OutputDirError as exc:
        raise ParamError(str(exc)) from None
    out.mkdir(parents=True, exist_ok=True)
    outputs.clean_stale(out)
    manifest = Manifest(out)
    plan = planning.make_plan([item], options, out, manifest, force=force)
    task = plan.tasks[0]
    if plan.todo:
        problems = check_plan(plan, {spec.name: cls} if cls is not None else {}, layout=layout)
        if problems:
            raise ParamError(problems)
        from cnnviz.engine import execute

        execute.run_in_process(plan, manifest, cancel=cancel)
    if task.status == "cancelled":
        raise Cancelled(f"{task.label}: cancelled")
    if task.status == "failed":
        log = f" (log: {task.log})" if task.log else ""
        raise RenderError(f"{task.label} failed: {task.error}{log}")
    return task.output


def render(name: str, quality: str = "l", fmt: str = "gif", theme: str | None = None, *,
           out: str | Path = "media", force: bool = False, gif_colors: str = "shared", **params) -> Path:
    """Render scene ``name`` with your values (``**params``); return the output file.

    ``quality``: ``l`` (480p15, default), ``m`` (720p30, the notebook's), ``h``, ``k``;
    ``fmt``: ``gif``, ``mp4``, ``webm`` or ``png`` (the final picture); ``out``: the output
    folder (flat layout: ``out/480p15/<Scene>.gif``, or ``<Scene>@<values>.gif`` with values);
    ``gif_colors``: ``shared`` (one palette), ``per-frame`` (each frame its own colours, the scene
    kept at 50 dB PSNR or more: photos in near full colour, slower to write) or ``auto`` (per-frame
    for a scene one palette would keep below 50 dB, else shared).
    Values not given keep the notebook's example (``cnnviz.parameters(name)`` lists them).
    Raises :class:`cnnviz.params.ParamError` (one line per problem) before anything renders,
    :class:`RenderError` if the scene fails.  Unchanged since the last call: returned at once.
    """
    return _render(name, quality, fmt, theme, out, force, params, gif_colors=gif_colors)


def _display(path: Path, fmt: str) -> None:
    from IPython.display import Image, Video, display

    if fmt in ("gif", "png"):
        display(Image(filename=str(path)))
    else:
        display(Video(str(path), embed=True, mimetype=f"video/{fmt}"))


def show(name: str, quality: str = "l", fmt: str = "gif", theme: str | None = None, *,
         out: str | Path = "media", force: bool = False, gif_colors: str = "shared", **params) -> None:
    """:func:`render`, then display the result inline (Jupyter): a GIF or PNG as an image, an
    MP4/WebM as an embedded video.  A second identical call displays the file already made."""
    _display(render(name, quality, fmt, theme, out=out, force=force, gif_colors=gif_colors, **params), fmt)


def parameters(name: str) -> dict[str, P.ParamSpec]:
    """Scene ``name``'s parameters (name → :class:`cnnviz.params.ParamSpec`)."""
    return P.scene_params(load_scene(scene_spec(name)))


# ------------------------------------------------------------------------------------------ explore


class Explorer:
    """Controls for a scene's parameters, a poster within seconds of each change, then the animation.

    Made by :func:`explore`; displays itself in Jupyter.  Renders run in a background thread
    of this kernel, one at a time; a change cancels the render in progress (at its next
    animation) and starts the new one with the poster.  The poster comes right after the
    quick checks (type, range, the scene's own refusal); the layout check runs before the
    animation, and what it finds is said under the poster.  ``wait()`` blocks until idle.
    """

    def __init__(self, name: str, quality: str = "l", out: str | Path = "media", **fixed):
        import ipywidgets as W

        self.name, self.quality, self.out = name, quality, out
        self.spec = scene_spec(name)
        self.params = P.scene_params(load_scene(self.spec))
        self.fixed = dict(fixed)
        self.controls = {k: w for k, s in self.params.items() if k not in fixed and (w := _widget(W, s)) is not None}
        self.status = W.HTML(value="")
        self.image = W.Image(format="png", layout=W.Layout(max_width="100%"))
        self.widget = W.VBox([W.HTML(f"<b>{html.escape(name)}</b>"), *self.controls.values(), self.status, self.image])
        self.last: Path | None = None  # the last file shown
        self.errors: list[str] = []
        self._cond = threading.Condition()
        self._pending: dict | None = None
        self._busy = False
        self._cancel = threading.Event()
        for w in self.controls.values():
            w.observe(lambda change: self.request(), names="value")
        self._thread = threading.Thread(target=self._loop, name=f"cnnviz-explore-{name}", daemon=True)
        self._thread.start()
        self.request()

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)

    def values(self) -> dict:
        """The values the controls hold now (and the fixed ones)."""
        vals = dict(self.fixed)
        for k, w in self.controls.items():
            v = w.value
            if self.params[k].kind in ("grid", "vector", "tensor3", "tuple"):
                v = P.parse_literal(v) if v.strip() else None
            vals[k] = v
        return vals

    def request(self) -> None:
        """Render the current values (cancelling the render in progress)."""
        try:
            vals = self.values()
        except ValueError as exc:
            self._say([str(exc)], error=True)
            return
        with self._cond:
            self._pending = vals
            self._cancel.set()
            self._cond.notify_all()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until every requested render is done; False if ``timeout`` passed first."""
        with self._cond:
            return self._cond.wait_for(lambda: self._pending is None and not self._busy, timeout)

    def _say(self, lines: list[str], error: bool = False) -> None:
        colour = "#c0392b" if error else "inherit"
        self.status.value = "<br>".join(f'<span style="color:{colour}">{html.escape(s)}</span>' for s in lines)

    def _show(self, path: Path, fmt: str) -> None:
        self.image.format = fmt
        self.image.value = path.read_bytes()
        self.last = path

    def _loop(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._pending is not None)
                vals, self._pending = self._pending, None
                self._cancel = cancel = threading.Event()
                self._busy = True
            try:
                self.errors = []
                self._say(["rendering the poster…"])
                poster = _render(self.name, self.quality, "png", None, self.out, False, vals, cancel, layout=False)
                self._show(poster, "png")
                self._say([f"poster: {poster.name}; rendering the animation…"])
                anim = _render(self.name, self.quality, "gif", None, self.out, False, vals, cancel)
                self._show(anim, "gif")
                self._say([f"{anim.name}"])
            except Cancelled:
                pass
            except ParamError as exc:
                self.errors = exc.problems
                self._say(exc.problems, error=True)
            except Exception as exc:  # noqa: BLE001 - shown, the explorer goes on
                self.errors = [f"{type(exc).__name__}: {exc}"]
                self._say(self.errors, error=True)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()


def _widget(W, s: P.ParamSpec):
    """An ipywidgets control for one parameter (None: the parameter is not offered)."""
    common = {"description": s.name, "continuous_update": False,
              "style": {"description_width": "initial"}, "layout": W.Layout(width="480px")}
    tip = s.help
    default = s.default
    if s.kind == "int" and not s.optional and default is not None:
        if s.min is not None and s.max is not None:
            return W.IntSlider(value=default, min=int(s.min), max=int(s.max), tooltip=tip, **common)
        return W.IntText(value=default, tooltip=tip, **{k: v for k, v in common.items() if k != "continuous_update"})
    if s.kind == "float" and not s.optional and default is not None:
        if s.min is not None and s.max is not None:
            return W.FloatSlider(value=default, min=s.min, max=s.max, step=(s.max - s.min) / 100, tooltip=tip,
                                 **common)
        return W.FloatText(value=default, tooltip=tip, **{k: v for k, v in common.items() if k != "continuous_update"})
    if s.kind == "bool":
        return W.Checkbox(value=bool(default), description=s.name, tooltip=tip)
    if s.kind == "choice" and s.choices:
        return W.Dropdown(options=list(s.choices), value=default, description=s.name, tooltip=tip)
    if s.kind == "photo":
        from cnnviz import images

        return W.Dropdown(options=list(images.PHOTOS), value=default if default in images.PHOTOS else None,
                          description=s.name, tooltip=tip)
    if s.kind in ("grid", "vector", "tuple"):
        text = "" if default is None else json.dumps(P.to_json(default))
        return W.Text(value=text, placeholder="the scene's default" if default is None else "", tooltip=tip, **common)
    return None


def explore(name: str, quality: str = "l", *, out: str | Path = "media", **fixed) -> Explorer:
    """Controls (ipywidgets) for scene ``name``'s parameters: each change shows a poster (the
    final picture, a few seconds), then the animation once the layout check has passed.  ``**fixed`` values (a photo path, say)
    are kept as given.  Returns the :class:`Explorer` (it displays itself)."""
    return Explorer(name, quality, out, **fixed)
