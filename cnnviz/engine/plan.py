"""Planning: which scenes, where each output goes, and how it is decided that a scene is unchanged.

No Manim and no dask here: planning a run (and the whole "nothing changed"
path) takes milliseconds.

**Unchanged** (:func:`is_unchanged`) means all of:

* the manifest (``DIR/.cnnviz-manifest.json``, :mod:`cnnviz.engine.manifest`)
  has an entry for the output path whose **key** equals the key computed now;
* the output file exists with the size and the SHA-256 recorded when it was
  written (a file damaged or replaced in place, even with the same size and
  timestamps, renders again).

The **key** (:func:`scene_key`) is a SHA-256 over everything that could change
the output: the scene's module and, transitively, the local modules it imports
(found with ``ast``, never imported); every file of the ``cnnviz`` package that
can change a render (its ``.py`` files and ``assets/``; not the gallery); the
options (quality, format, layout, transparency); the versions of cnnviz, Manim,
PyAV, Pillow, ziamath and NumPy; and :data:`PIPELINE_VERSION`.  A custom render
(a :class:`Variant`: a teacher's own values) adds its values and the SHA-256 of
every photo file among them (changing the file renders again).

A custom render never writes where the notebook's example goes: its file name
gets a readable suffix from its values (``ConvExampleExplainedClean@x=6x6-3fa2c1.gif``)
or the name given to it (``--name``), always in the flat layout.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import importlib.metadata
import json
from pathlib import Path

from cnnviz import registry
from cnnviz.files import printable, sha256_file

__all__ = [
    "QUALITIES", "RES_DIRS", "FORMATS", "LAYOUTS", "NOTEBOOK_RES", "PIPELINE_VERSION",
    "SelectionError", "select", "Options", "Variant", "Task", "Plan", "make_plan", "output_path", "THEMES", "KINDS",
    "res_dir", "deck_rel", "SLIDES_DIR",
    "KeyContext", "scene_files", "scene_source_files", "scene_key", "is_unchanged", "sha256_file",
]

#: the project root: the directory holding the ``cnnviz`` package (and ``scenes``)
ROOT = Path(__file__).resolve().parents[2]
#: bump when the way outputs are produced changes in a way the key would not see
PIPELINE_VERSION = "3"  # 2: the dask engine; outputs are checked by SHA-256; 3: videos start on the first beat

#: -q flag → (resolution folder, width, height, fps)
QUALITIES = {
    "l": ("480p15", 854, 480, 15),
    "m": ("720p30", 1280, 720, 30),
    "h": ("1080p60", 1920, 1080, 60),
    "k": ("2160p60", 3840, 2160, 60),
}
RES_DIRS = [q[0] for q in QUALITIES.values()]
FORMATS = ("gif", "webp", "mp4", "webm", "png")
LAYOUTS = ("flat", "notebook")
THEMES = ("dark", "light")  # cnnviz.theme.THEMES (no Manim import here either)
#: How a GIF gets its colours (worker.video_to_gif): one palette for the scene (shared), each frame its
#: own (per-frame), or per-frame only where one palette would keep the scene below 50 dB (auto).
GIF_COLORS = ("shared", "per-frame", "auto")
#: what a job makes: one file per scene (video), or a deck's clips and posters (slides)
KINDS = ("video", "slides")
SLIDES_DIR = "slides"
NOTEBOOK_RES = "720p30"

#: files of the package that cannot change a rendered output (kept out of the key)
NOT_IN_KEY = ("cnnviz/gallery.py", "cnnviz/templates/")


def _version(dist: str, fallback: str = "unknown") -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return fallback


# ------------------------------------------------------------------------------------------ selection


class SelectionError(ValueError):
    """The names / --all / --chapter given do not select scenes (the message says why)."""


def select(names: tuple[str, ...] | list[str], all_: bool = False, chapter: int | None = None) -> list[registry.SceneSpec]:
    """Scenes selected by names, --all or --chapter, in catalog order."""
    if not names and not all_ and chapter is None:
        raise SelectionError("name at least one scene, or use --all or --chapter N (see `list`).")
    try:
        catalog = registry.all_specs(include_planned=True)
    except ValueError as exc:  # a malformed CNNVIZ_EXTRA_SCENES
        raise SelectionError(str(exc)) from exc
    listed = {s.name for s in registry.CATALOG}

    def renderable(spec: registry.SceneSpec) -> bool:  # an extra scene is; a catalog scene once its class exists
        return spec.name not in listed or registry.is_implemented(spec)

    by_name = {s.name: s for s in catalog}
    chosen: set[str] = set()
    for name in names:  # only the named scenes' modules are read, unless a name is unknown
        spec = by_name.get(name)
        if spec is not None and renderable(spec):
            chosen.add(name)
        elif spec is not None:
            raise SelectionError(f"scene '{name}' is in the catalog but not implemented yet.")
        else:
            renderable_names = sorted(s.name for s in catalog if renderable(s))  # suggest only scenes that render
            close = difflib.get_close_matches(name, renderable_names, n=3, cutoff=0.5)
            if not close:
                lower = {n.lower(): n for n in renderable_names}
                close = [lower[c] for c in difflib.get_close_matches(name.lower(), list(lower), n=3, cutoff=0.3)]
            hint = f"; did you mean: {', '.join(close)}?" if close else "; see `list`."
            raise SelectionError(f"unknown scene '{printable(name, limit=100)}'{hint}")
    if all_:
        chosen.update(s.name for s in catalog if renderable(s))
    if chapter is not None:
        chosen.update(s.name for s in catalog if s.chapter == chapter and renderable(s))
    return [s for s in catalog if s.name in chosen]


# ------------------------------------------------------------------------------------------ cache key


def _module_path(module: str, roots: list[Path]) -> Path | None:
    parts = module.split(".")
    for root in roots:
        cand = root.joinpath(*parts)
        if cand.with_suffix(".py").is_file():
            return cand.with_suffix(".py")
        if (cand / "__init__.py").is_file():
            return cand / "__init__.py"
    return None


def _local_imports(path: Path, module: str, roots: list[Path]) -> set[Path]:
    """Files of the local modules ``path`` imports (resolved under ``roots`` only; never imports)."""
    try:
        imports = registry.source_facts(path).imports
    except (OSError, SyntaxError, ValueError):
        return set()
    package = module.rpartition(".")[0] if path.name != "__init__.py" else module
    found: set[Path] = set()
    for from_, level, imported in imports:
        names: list[str] = list(imported)
        if from_ is not None or level:  # from ... import ...
            base = from_ or ""
            if level:
                pkg_parts = package.split(".") if package else []
                pkg_parts = pkg_parts[: len(pkg_parts) - (level - 1)] if level > 1 else pkg_parts
                base = ".".join([*pkg_parts, base] if base else pkg_parts)
            names = [base] + [f"{base}.{a}" for a in imported if base]
        for name in names:
            parts = name.split(".")
            for i in range(1, len(parts) + 1):  # the package __init__ files along the way too
                p = _module_path(".".join(parts[:i]), roots)
                if p is not None:
                    found.add(p)
    return found


def scene_files(spec: registry.SceneSpec) -> dict[Path, str]:
    """The scene's module and, transitively, the local modules it imports: file → module name."""
    start = registry.module_file(spec)
    if start is None:
        return {}
    depth = len(spec.module_name.split("."))
    if start.name == "__init__.py":
        depth += 1
    top_root = start.parents[depth - 1]
    roots = [top_root] if top_root == ROOT else [top_root, ROOT]
    seen: dict[Path, str] = {start: spec.module_name}
    todo = [start]
    while todo:
        path = todo.pop()
        for dep in _local_imports(path, seen[path], roots):
            if dep not in seen:
                root = next((r for r in roots if dep.is_relative_to(r)), None)
                if root is None:
                    continue
                rel = dep.relative_to(root).with_suffix("")
                parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
                seen[dep] = ".".join(parts)
                todo.append(dep)
    return dict(sorted(seen.items()))


def scene_source_files(spec: registry.SceneSpec) -> list[Path]:
    """The files of :func:`scene_files`, sorted."""
    return list(scene_files(spec))


def rel_to_root(path: Path) -> str:
    """``path`` relative to the project root (how workers find their own copy), else absolute."""
    try:
        return path.relative_to(ROOT).as_posix()
    except ValueError:
        return path.as_posix()


def _module_name(rel: str) -> str:
    """``cnnviz/engine/plan.py`` → ``cnnviz.engine.plan``; ``cnnviz/__init__.py`` → ``cnnviz``."""
    parts = rel[: -len(".py")].split("/")
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@dataclasses.dataclass
class KeyContext:
    """Digests shared by every scene of one run (computed once)."""

    package_files: dict[str, str]  # path relative to the project root → SHA-256
    versions: dict[str, str]

    def worker_files(self) -> dict[str, str]:
        """The package files as a worker checks them: modules by name (found wherever the worker
        installed them), data files by path relative to the directory holding ``cnnviz``."""
        return {(_module_name(rel) if rel.endswith(".py") else rel): digest for rel, digest in self.package_files.items()}

    @classmethod
    def collect(cls) -> KeyContext:
        pkg = ROOT / "cnnviz"
        files: dict[str, str] = {}
        if pkg.is_dir():
            for p in sorted(pkg.rglob("*")):
                if not p.is_file() or "__pycache__" in p.parts or p.suffix in (".pyc", ".pyo"):
                    continue
                rel = rel_to_root(p)
                if rel.startswith(NOT_IN_KEY):
                    continue
                if p.suffix == ".py" or "assets" in p.relative_to(pkg).parts:
                    files[rel] = sha256_file(p)
        versions = {
            "cnnviz": _version("cnnviz"),
            "manim": _version("manim"),
            "av": _version("av"),
            "pillow": _version("pillow"),
            "ziamath": _version("ziamath"),
            "numpy": _version("numpy"),
            "pipeline": PIPELINE_VERSION,
        }
        return cls(files, versions)


def scene_sources(spec: registry.SceneSpec) -> dict[str, str]:
    """file (relative to the project root) → SHA-256 of the scene's module and its local imports."""
    return {rel_to_root(p): sha256_file(p) for p in scene_source_files(spec)}


def scene_key(spec: registry.SceneSpec, ctx: KeyContext, options: dict, sources: dict[str, str] | None = None,
              variant: Variant | None = None) -> str:
    payload = {
        "scene": spec.name,
        "module": spec.module_name,
        "sources": scene_sources(spec) if sources is None else sources,
        "package": ctx.package_files,
        "versions": ctx.versions,
        "options": options,
    }
    if variant is not None and variant.values:  # the notebook's example keeps the key it always had
        payload["values"] = variant.json_values()
        payload["files"] = {path: hashlib.sha256(data).hexdigest() for path, data in sorted(variant.files.items())}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def is_unchanged(task: Task, entry: dict | None) -> bool:
    """The one rule: the manifest's entry for this output has today's key, and the file is there
    with the size and content (SHA-256) recorded when it was written (a deck: every file of it)."""
    if not entry or entry.get("key") != task.key or not entry.get("sha256"):
        return False
    try:
        if not (task.output.stat().st_size == entry.get("bytes") and sha256_file(task.output) == entry["sha256"]):
            return False
        for rel, (size, digest) in (entry.get("files") or {}).items():
            path = task.output.parent / rel
            if path.stat().st_size != size or sha256_file(path) != digest:
                return False
        return True
    except OSError:
        return False


# ------------------------------------------------------------------------------------------ tasks


@dataclasses.dataclass(frozen=True)
class Options:
    quality: str = "m"
    fmt: str = "gif"
    layout: str = "flat"
    transparent: bool = False
    theme: str = "dark"
    kind: str = "video"
    #: GIF colours: shared (one palette for the scene) | per-frame (each frame its own; opaque GIFs) |
    #: auto (per-frame for a scene its shared palette would keep below 50 dB, else shared)
    gif_colors: str = "shared"

    def as_dict(self) -> dict:
        """The options as keyed and recorded in the manifest."""
        d = {"quality": self.quality, "format": self.fmt, "layout": self.layout, "transparent": self.transparent,
             "theme": self.theme}
        if self.kind != "video":
            d["kind"] = self.kind
        if self.gif_colors != "shared":  # absent by default, so earlier renders keep their keys
            d["gif_colors"] = self.gif_colors
        return d


@dataclasses.dataclass
class Variant:
    """A scene with a teacher's own values (checked by ``cnnviz.params.coerce``), rendered under
    its own name.

    ``values``: parameter → value, only those that differ from the notebook's example;
    ``files``: path → content of every photo file among them (the content is keyed, and
    shipped to the worker: no shared disk needed); ``name``: the ``--name`` given, else the
    output's suffix comes from the values (:func:`cnnviz.params.variant_suffix`).
    """

    spec: registry.SceneSpec
    values: dict = dataclasses.field(default_factory=dict)
    name: str | None = None
    files: dict[str, bytes] = dataclasses.field(default_factory=dict)

    @property
    def suffix(self) -> str:
        from cnnviz.params import variant_suffix

        return variant_suffix(self.values, self.name)

    def json_values(self) -> dict:
        from cnnviz.params import to_json

        return {k: to_json(v) for k, v in self.values.items()}


@dataclasses.dataclass
class Task:
    """One output to produce; ``status``: pending | running | ok | skipped | failed | interrupted | not started."""

    spec: registry.SceneSpec
    output: Path  # final path
    rel: str  # relative to DIR (the manifest key)
    key: str
    #: module name → SHA-256 of the scene's own files (workers check they render this code)
    modules: dict[str, str] = dataclasses.field(default_factory=dict)
    note: str = ""
    status: str = "pending"
    seconds: float | None = None
    peak_rss_mb: float | None = None
    size: int | None = None
    log: Path | None = None
    error: str = ""
    worker: str = ""
    #: a custom render's values (parameter → value), its photo files, and its file-name suffix
    values: dict = dataclasses.field(default_factory=dict)
    files: dict[str, bytes] = dataclasses.field(default_factory=dict)
    suffix: str = ""

    @property
    def label(self) -> str:
        """How the task is named in messages and logs: the scene, and ``@suffix`` for a custom render."""
        return f"{self.spec.name}@{self.suffix}" if self.suffix else self.spec.name


def res_dir(quality: str, theme: str = "dark") -> str:
    """The folder of one quality and theme: ``720p30`` (dark, the notebook's), ``720p30-light``."""
    return QUALITIES[quality][0] + ("" if theme == "dark" else f"-{theme}")


def flat_rel(name: str, quality: str, fmt: str, theme: str = "dark") -> str:
    return f"{res_dir(quality, theme)}/{name}.{fmt}"


def deck_rel(name: str, quality: str, theme: str = "dark") -> str:
    """A scene's slide deck folder relative to DIR: ``slides/720p30/<Name>`` (``slides/720p30-light/<Name>``)."""
    return f"{SLIDES_DIR}/{res_dir(quality, theme)}/{name}"


#: the note of a custom render in the notebook layout
CUSTOM_NOTE = "flat path: a custom example never replaces the notebook's file"


def output_path(spec: registry.SceneSpec, options: Options, suffix: str = "") -> tuple[str, str]:
    """(path relative to DIR, note) for one scene; ``suffix``: a custom render's (flat, ``Name@suffix``)."""
    name = f"{spec.name}@{suffix}" if suffix else spec.name
    if options.kind == "slides":  # the deck's index of beats; its clips and posters lie beside it
        return f"{deck_rel(name, options.quality, options.theme)}/beats.json", ""
    if suffix:
        return flat_rel(name, options.quality, options.fmt, options.theme), (
            CUSTOM_NOTE if options.layout == "notebook" else "")
    if options.theme != "dark":
        return flat_rel(spec.name, options.quality, options.fmt, options.theme), ""
    if options.layout == "notebook":
        if options.fmt != "gif":
            return (flat_rel(spec.name, options.quality, options.fmt),
                    f"flat path: the notebook layout is GIF-only ({options.fmt} requested)")
        if not spec.notebook_path:
            return flat_rel(spec.name, options.quality, options.fmt), "flat path: the notebook shows no image for this scene"
        return Path(spec.notebook_path).as_posix(), ""
    return flat_rel(spec.name, options.quality, options.fmt), ""


@dataclasses.dataclass
class Plan:
    out: Path
    options: Options
    tasks: list[Task]
    todo: list[Task]  # tasks to render, longest first (times of previous runs)
    notes: dict[str, list[str]]  # note → scenes it applies to
    ctx: KeyContext


def make_plan(specs: list[registry.SceneSpec | Variant], options: Options, out: Path, manifest,
              force: bool = False) -> Plan:
    """Tasks for ``specs`` (scenes, or :class:`Variant` s: scenes with a teacher's values) under
    ``out``; those unchanged since the manifest's run are ``skipped``.  Two variants that would
    write one file with different values are a :class:`SelectionError`."""
    ctx = KeyContext.collect()
    opts = options.as_dict()
    tasks: list[Task] = []
    seen_rel: dict[str, Task] = {}
    notes: dict[str, list[str]] = {}
    for item in specs:
        variant = item if isinstance(item, Variant) else None
        spec = variant.spec if variant else item
        suffix = variant.suffix if variant else ""
        rel, note = output_path(spec, options, suffix)
        if rel in seen_rel:
            if variant and seen_rel[rel].values != variant.values:
                raise SelectionError(f"two renders of {spec.name} would both write {rel}: "
                                     "give them different names (--name, or name = \"…\" in a --params file)")
            continue
        files = scene_files(spec)
        digests = {p: sha256_file(p) for p in files}
        sources = {rel_to_root(p): d for p, d in digests.items()}
        task = Task(spec=spec, output=out / rel, rel=rel, key=scene_key(spec, ctx, opts, sources, variant),
                    modules={files[p]: d for p, d in digests.items()}, note=note,
                    values=dict(variant.values) if variant else {}, files=dict(variant.files) if variant else {},
                    suffix=suffix)
        seen_rel[rel] = task
        if note:
            notes.setdefault(note, []).append(task.label)
        tasks.append(task)
    if options.layout == "notebook" and options.fmt == "gif" and options.quality != "m":
        notes.setdefault(f"the notebook expects {NOTEBOOK_RES} (-q m); these GIFs are "
                         f"{QUALITIES[options.quality][0]} but were written at the notebook's paths", [])
    todo = []
    for task in tasks:
        if not force and is_unchanged(task, manifest.get(task.rel)):
            task.status = "skipped"
            task.size = task.output.stat().st_size
            task.seconds = 0.0
        else:
            todo.append(task)
    todo.sort(key=lambda t: -(manifest.previous_seconds(t.spec.name) or 1e9))  # unknown first
    return Plan(out=out, options=options, tasks=tasks, todo=todo, notes=notes, ctx=ctx)
