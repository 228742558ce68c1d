"""cnnviz's command line: list the scenes, render them in parallel, build a gallery.

    python render.py list [--json] [--planned]
    python render.py render NAME... | --all | --chapter N  [-q l|m|h|k] [--format gif|mp4|webm|png]
                            [-j N] [--out DIR] [--layout flat|notebook] [--force] [--transparent] [-v]
    python render.py gallery [--out DIR]

(also installed as the ``cnnviz`` console script).  This module never imports
Manim: each scene renders in its own worker process (``cnnviz.render_worker``),
so ``list``, usage errors and the "nothing changed" path are instant.

Design, in short:

* **one process per scene**, at most ``-j`` at a time, each in its own process
  group with a private temporary Manim media/text/tex dir; Ctrl-C kills the
  workers' process groups and exits 130;
* **incremental**: a scene is rendered again only when its key changes (its
  module and the local modules it imports, every file of the ``cnnviz``
  package, ``cnnviz/assets``, quality, format, layout, transparency, the cnnviz
  and Manim versions).  Keys live in ``DIR/.cnnviz-manifest.json``;
* **atomic**: workers write to a hidden temporary file in the destination
  directory that is ``os.replace``\\d into place only after success;
* **GIFs** go through a lossless intermediate and the streaming encoder in
  ``cnnviz.gifenc`` (small files, bounded memory) instead of Manim's own GIF path.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import hashlib
import html
import importlib.metadata
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

import click

from cnnviz import registry
from cnnviz.files import atomic_write_text

ROOT = Path(__file__).resolve().parent
#: bump when the way outputs are produced changes in a way the key would not see
PIPELINE_VERSION = "1"
MANIFEST_NAME = ".cnnviz-manifest.json"
LOG_DIR_NAME = "logs"

#: -q flag → (resolution folder, width, height, fps)
QUALITIES = {
    "l": ("480p15", 854, 480, 15),
    "m": ("720p30", 1280, 720, 30),
    "h": ("1080p60", 1920, 1080, 60),
    "k": ("2160p60", 3840, 2160, 60),
}
RES_DIRS = [q[0] for q in QUALITIES.values()]
FORMATS = ("gif", "mp4", "webm", "png")
NOTEBOOK_RES = "720p30"


# --------------------------------------------------------------------------------------
# small helpers


def _version(dist: str, fallback: str = "unknown") -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return fallback


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def human_size(n: int | None) -> str:
    if n is None:
        return ""
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


# --------------------------------------------------------------------------------------
# scene catalog access


def _specs(include_planned: bool = False) -> list[registry.SceneSpec]:
    try:
        return registry.all_specs(include_planned=include_planned)
    except ValueError as exc:  # a malformed CNNVIZ_EXTRA_SCENES
        raise click.UsageError(str(exc)) from exc


def _spec_dict(spec: registry.SceneSpec, implemented: bool) -> dict:
    return {
        "name": spec.name,
        "chapter": spec.chapter,
        "section": spec.section,
        "notebook_path": spec.notebook_path,
        "module": spec.module_name,
        "implemented": implemented,
    }


def resolve_scenes(names: tuple[str, ...], all_: bool, chapter: int | None) -> list[registry.SceneSpec]:
    """Scenes selected by names / --all / --chapter, in catalog order; raises click.UsageError."""
    if not names and not all_ and chapter is None:
        raise click.UsageError("name at least one scene, or use --all or --chapter N (see `list`).")
    implemented = _specs()
    by_name = {s.name: s for s in implemented}
    catalog_names = {s.name for s in _specs(include_planned=True)}
    chosen: set[str] = set()
    for name in names:
        if name in by_name:
            chosen.add(name)
        elif name in catalog_names:
            raise click.UsageError(f"scene '{name}' is in the catalog but not implemented yet.")
        else:
            close = difflib.get_close_matches(name, sorted(catalog_names), n=3, cutoff=0.5)
            if not close:
                close = difflib.get_close_matches(name.lower(), sorted(catalog_names), n=3, cutoff=0.3)
            hint = f"; did you mean: {', '.join(close)}?" if close else "; see `list --planned`."
            raise click.UsageError(f"unknown scene '{name}'{hint}")
    if all_:
        chosen.update(by_name)
    if chapter is not None:
        chosen.update(s.name for s in implemented if s.chapter == chapter)
    return [s for s in implemented if s.name in chosen]


# --------------------------------------------------------------------------------------
# cache keys


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
    import ast

    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return set()
    package = module.rpartition(".")[0] if path.name != "__init__.py" else module
    found: set[Path] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg_parts = package.split(".") if package else []
                pkg_parts = pkg_parts[: len(pkg_parts) - (node.level - 1)] if node.level > 1 else pkg_parts
                base = ".".join([*pkg_parts, base] if base else pkg_parts)
            names = [base] + [f"{base}.{a.name}" for a in node.names if base]
        for name in names:
            parts = name.split(".")
            for i in range(1, len(parts) + 1):  # the package __init__ files along the way too
                p = _module_path(".".join(parts[:i]), roots)
                if p is not None:
                    found.add(p)
    return found


def scene_source_files(spec: registry.SceneSpec) -> list[Path]:
    """The scene's module and, transitively, the local modules it imports."""
    start = registry.module_file(spec)
    if start is None:
        return []
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
    return sorted(seen)


def _rel(path: Path) -> str:
    try:
        return path.relative_to(ROOT).as_posix()
    except ValueError:
        return path.as_posix()


@dataclasses.dataclass
class KeyContext:
    """Digests shared by every scene of one run (computed once)."""

    package_files: dict[str, str]
    versions: dict[str, str]

    @classmethod
    def collect(cls) -> KeyContext:
        pkg = ROOT / "cnnviz"
        files: dict[str, str] = {}
        if pkg.is_dir():
            for p in sorted(pkg.rglob("*")):
                if not p.is_file() or "__pycache__" in p.parts or p.suffix in (".pyc", ".pyo"):
                    continue
                if p.suffix == ".py" or "assets" in p.relative_to(pkg).parts:
                    files[_rel(p)] = _sha256_file(p)
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


def scene_key(spec: registry.SceneSpec, ctx: KeyContext, options: dict) -> str:
    sources = {_rel(p): _sha256_file(p) for p in scene_source_files(spec)}
    payload = {
        "scene": spec.name,
        "module": spec.module_name,
        "sources": sources,
        "package": ctx.package_files,
        "versions": ctx.versions,
        "options": options,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


# --------------------------------------------------------------------------------------
# manifest


class Manifest:
    """``DIR/.cnnviz-manifest.json``: per output path, the key it was rendered with."""

    def __init__(self, out: Path):
        self.path = out / MANIFEST_NAME
        self.entries: dict[str, dict] = {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if isinstance(data, dict) and isinstance(data.get("outputs"), dict):
                self.entries = data["outputs"]
        except (OSError, ValueError):
            pass

    def is_fresh(self, rel: str, key: str, path: Path) -> bool:
        entry = self.entries.get(rel)
        if not entry or entry.get("key") != key:
            return False
        try:
            return path.stat().st_size == entry.get("bytes")
        except OSError:
            return False

    def record(self, rel: str, entry: dict) -> None:
        self.entries[rel] = entry

    def save(self) -> None:
        atomic_write_text(self.path, json.dumps({"version": 1, "outputs": self.entries}, indent=1, sort_keys=True))

    def previous_seconds(self, scene: str) -> float | None:
        times = [e.get("seconds") for e in self.entries.values() if e.get("scene") == scene and e.get("seconds")]
        return max(times) if times else None


# --------------------------------------------------------------------------------------
# planning


@dataclasses.dataclass
class Task:
    spec: registry.SceneSpec
    output: Path  # final path
    rel: str  # relative to DIR (manifest key)
    key: str
    note: str = ""
    status: str = "pending"  # pending | running | ok | skipped | failed | interrupted
    seconds: float | None = None
    peak_rss_mb: float | None = None
    size: int | None = None
    log: Path | None = None
    error: str = ""
    # runtime
    proc: subprocess.Popen | None = None
    work_dir: Path | None = None
    tmp_output: Path | None = None
    started: float = 0.0
    stdout_file: object = None


def flat_rel(name: str, quality: str, fmt: str) -> str:
    return f"{QUALITIES[quality][0]}/{name}.{fmt}"


def plan_output(spec: registry.SceneSpec, quality: str, fmt: str, layout: str) -> tuple[str, str]:
    """(path relative to DIR, note) for one scene."""
    if layout == "notebook":
        if fmt != "gif":
            return flat_rel(spec.name, quality, fmt), f"flat path: the notebook layout is GIF-only ({fmt} requested)"
        if not spec.notebook_path:
            return flat_rel(spec.name, quality, fmt), "flat path: the notebook shows no image for this scene"
        return Path(spec.notebook_path).as_posix(), ""
    return flat_rel(spec.name, quality, fmt), ""


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _clean_stale_parts(target: Path) -> None:
    """Remove ``.NAME.*.part`` files left by a run that was killed hard (its pid is gone)."""
    if not target.parent.is_dir():
        return
    for p in target.parent.glob(f".{target.name}.*.part"):
        try:
            pid = int(p.name[len(target.name) + 2 :].split(".")[0])
        except ValueError:
            continue
        if not _pid_alive(pid):
            with contextlib.suppress(OSError):
                p.unlink()


# --------------------------------------------------------------------------------------
# running workers


class Interrupted(Exception):
    def __init__(self, code: int):
        self.code = code


def _raise_interrupt(signum, frame):  # SIGTERM → same cleanup as Ctrl-C
    raise Interrupted(128 + signum)


@contextlib.contextmanager
def _signals_deferred():
    """Hold SIGINT/SIGTERM while a worker is started or finished, so that an interrupt
    never lands between "process spawned" and "process tracked" (or mid-replace)."""
    sigs = {signal.SIGINT, signal.SIGTERM}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, sigs)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _kill_group(proc: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def _reap(task: Task, block: bool = False) -> bool:
    """Collect a finished worker; True when it has exited.

    The exit is first observed without reaping (``WNOWAIT``), so the worker's
    process group can still be killed safely (its id cannot be reused while the
    zombie leader exists); then ``wait4`` reaps it and gives its own peak RSS.
    """
    proc = task.proc
    assert proc is not None
    if proc.returncode is not None:
        return True
    try:
        info = os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT | (0 if block else os.WNOHANG))
    except ChildProcessError:
        proc.poll()
        return proc.returncode is not None
    if info is None:
        return False
    _kill_group(proc, signal.SIGKILL)  # anything the worker may have spawned
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    task.peak_rss_mb = round(usage.ru_maxrss / 1024.0, 1)
    return True


class Runner:
    def __init__(self, out: Path, tasks: list[Task], jobs: int, quality: str, fmt: str, transparent: bool,
                 verbose: bool, manifest: Manifest, options: dict, console, reporter):
        self.out = out
        self.tasks = tasks
        self.jobs = jobs
        self.quality = quality
        self.fmt = fmt
        self.transparent = transparent
        self.verbose = verbose
        self.manifest = manifest
        self.options = options
        self.console = console
        self.report = reporter
        self.on_start = lambda task: None  # e.g. to show the running scenes in the progress bar
        self.running: list[Task] = []

    # -- start / finish ------------------------------------------------------------
    def start(self, task: Task) -> None:
        task.output.parent.mkdir(parents=True, exist_ok=True)
        _clean_stale_parts(task.output)
        task.work_dir = Path(tempfile.mkdtemp(prefix=f"cnnviz-work-{task.spec.name}-"))
        task.tmp_output = task.output.with_name(f".{task.output.name}.{os.getpid()}.part")
        job = {
            "scene": task.spec.name,
            "module": task.spec.module_name,
            "quality": self.quality,
            "format": self.fmt,
            "transparent": self.transparent,
            "verbose": self.verbose,
            "work_dir": str(task.work_dir),
            "output": str(task.tmp_output),
            "sys_path": [str(ROOT)],
            "parent_pid": os.getpid(),
        }
        job_path = task.work_dir / "job.json"
        job_path.write_text(json.dumps(job), encoding="utf-8")
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
        env.setdefault("PYTHONUNBUFFERED", "1")
        if self.verbose:
            stdout = stderr = None
        else:
            task.stdout_file = open(task.work_dir / "worker.log", "wb")
            stdout, stderr = task.stdout_file, subprocess.STDOUT
        task.started = time.monotonic()
        task.proc = subprocess.Popen(
            [sys.executable, "-m", "cnnviz.render_worker", str(job_path)],
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            env=env,
            start_new_session=True,  # own process group: Ctrl-C reaches only us, we kill the group
        )
        task.status = "running"
        self.running.append(task)
        self.on_start(task)

    def finish(self, task: Task) -> None:
        proc = task.proc
        assert proc is not None and task.work_dir is not None and task.tmp_output is not None
        task.seconds = round(time.monotonic() - task.started, 2)
        if task.stdout_file is not None:
            task.stdout_file.close()
        result: dict = {}
        with contextlib.suppress(OSError, ValueError):
            result = json.loads((task.work_dir / "result.json").read_text(encoding="utf-8"))
        log_path = self.out / LOG_DIR_NAME / f"{task.spec.name}.log"
        ok = proc.returncode == 0 and result.get("status") == "ok" and task.tmp_output.is_file()
        if ok:
            os.replace(task.tmp_output, task.output)
            task.status = "ok"
            task.size = task.output.stat().st_size
            with contextlib.suppress(OSError):
                log_path.unlink()
            self.manifest.record(task.rel, {
                "scene": task.spec.name,
                "chapter": task.spec.chapter,
                "section": task.spec.section,
                "key": task.key,
                "bytes": task.size,
                "seconds": task.seconds,
                "peak_rss_mb": task.peak_rss_mb,
                "rendered_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
                **self.options,
                **{k: result[k] for k in ("frames_in", "frames_written", "palette_colors") if k in result},
            })
            self.manifest.save()
        else:
            task.status = "failed"
            with contextlib.suppress(OSError):
                task.tmp_output.unlink()
            worker_log = ""
            with contextlib.suppress(OSError):
                worker_log = (task.work_dir / "worker.log").read_text(encoding="utf-8", errors="replace")
            tb = result.get("traceback", "")
            task.error = result.get("error") or f"worker exited with code {proc.returncode}"
            text = [f"scene {task.spec.name} ({task.spec.module_name}) failed: {task.error}",
                    f"exit code {proc.returncode}, {task.seconds} s", ""]
            if tb and tb not in worker_log:
                text += ["Traceback from the worker:", tb, ""]
            if worker_log:
                text += ["Worker output:", worker_log]
            log_path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(log_path, "\n".join(text))
            task.log = log_path
            if not self.verbose:
                tail = "\n".join((worker_log or tb).rstrip().splitlines()[-25:])
                if tail:
                    sys.stderr.write(f"--- {task.spec.name} (worker stderr, last lines) ---\n{tail}\n")
                    sys.stderr.flush()
        shutil.rmtree(task.work_dir, ignore_errors=True)
        self.running.remove(task)
        self.report(task)

    def kill_all(self) -> None:
        for task in self.running:
            _kill_group(task.proc, signal.SIGTERM)
        deadline = time.monotonic() + 3.0
        for task in list(self.running):
            while not _reap(task) and time.monotonic() < deadline:
                time.sleep(0.05)
            if task.proc.returncode is None:
                _kill_group(task.proc, signal.SIGKILL)
                _reap(task, block=True)
            if task.stdout_file is not None:
                task.stdout_file.close()
            if task.tmp_output is not None:
                with contextlib.suppress(OSError):
                    task.tmp_output.unlink()
            if task.work_dir is not None:
                shutil.rmtree(task.work_dir, ignore_errors=True)
            task.status = "interrupted"
            task.seconds = round(time.monotonic() - task.started, 2)
        self.running.clear()

    def run(self, todo: list[Task]) -> None:
        queue = list(todo)
        try:
            while queue or self.running:
                while queue and len(self.running) < self.jobs:
                    with _signals_deferred():
                        self.start(queue.pop(0))
                for task in list(self.running):
                    with _signals_deferred():
                        if _reap(task):
                            self.finish(task)
                time.sleep(0.05)
        except BaseException:
            with _signals_deferred():  # a second Ctrl-C must not cut the clean-up short
                self.kill_all()
            raise


# --------------------------------------------------------------------------------------
# CLI


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(_version("cnnviz", "0"), prog_name="cnnviz")
def cli() -> None:
    """cnnviz: render the Manim animations of the CNN course notebook."""


@cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of objects.")
@click.option("--planned", is_flag=True, help="Also list catalog scenes that are not implemented yet.")
def list_cmd(as_json: bool, planned: bool) -> None:
    """One line per implemented scene: NAME<TAB>CHAPTER<TAB>NOTEBOOK PATH (or '->').

    With --planned, scenes not implemented yet follow with a 4th column 'planned'.
    """
    implemented = {s.name for s in _specs()}
    specs = _specs(include_planned=planned)
    rows = [_spec_dict(s, s.name in implemented) for s in specs]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for r in rows:
        cols = [r["name"], str(r["chapter"]), r["notebook_path"] or "->"]
        if not r["implemented"]:
            cols.append("planned")
        click.echo("\t".join(cols))


RENDER_EPILOG = """\b
Outputs (DIR = --out, default media/):
  flat      DIR/<res>/<Name>.<ext>, res = 480p15 | 720p30 | 1080p60 | 2160p60
  notebook  DIR/<the notebook's path>, e.g. DIR/media/videos/CNN/720p30/<Name>_ManimCE_v0.19.0.gif
            or DIR/assets/dropout.gif: copy DIR's contents next to the notebook.
            GIF only: with another --format, and for scenes the notebook shows no
            image for, the flat path is used (the summary says so).  The notebook
            expects 720p30 (-q m); other qualities are written there with a note.
\b
--format png writes the last frame (a poster).  --transparent works with png,
webm and gif (1-bit alpha in GIFs); mp4 has no alpha channel.
\b
Unchanged scenes are skipped (key: scene sources, the cnnviz package, assets,
options, versions; stored in DIR/.cnnviz-manifest.json); --force renders again.
Failed scenes leave their traceback in DIR/logs/<Name>.log; exit 1 if any
failed, 130 on Ctrl-C (previous outputs are left untouched).
"""


@cli.command("render", epilog=RENDER_EPILOG)
@click.argument("names", nargs=-1)
@click.option("--all", "all_", is_flag=True, help="Render every implemented scene.")
@click.option("--chapter", type=click.IntRange(0, max(registry.CHAPTERS)), help="Render every implemented scene of chapter N.")
@click.option("-q", "--quality", type=click.Choice(list(QUALITIES)), default="m", show_default=True,
              help="l=480p15, m=720p30, h=1080p60, k=2160p60.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="gif", show_default=True,
              help="png = the last frame.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Scenes rendered at once, one process each [default: CPU count].")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=Path("media"),
              show_default=True, help="Output directory.")
@click.option("--layout", type=click.Choice(["flat", "notebook"]), default="flat", show_default=True)
@click.option("--force", is_flag=True, help="Render even when nothing changed.")
@click.option("--transparent", is_flag=True, help="Transparent background (png, webm, gif with 1-bit alpha).")
@click.option("-v", "--verbose", is_flag=True, help="Show Manim's output and per-frame progress.")
def render_cmd(names, all_, chapter, quality, fmt, jobs, out, layout, force, transparent, verbose) -> None:
    """Render scenes (NAMES, --all or --chapter N) in parallel worker processes."""
    if transparent and fmt == "mp4":
        raise click.UsageError("--transparent needs an alpha channel: use --format png, webm or gif (mp4 has none).")
    specs = resolve_scenes(names, all_, chapter)
    code = run_render(specs, quality=quality, fmt=fmt, jobs=jobs or os.cpu_count() or 1, out=out,
                      layout=layout, force=force, transparent=transparent, verbose=verbose)
    sys.exit(code)


def _make_console(stderr: bool = False):
    from rich.console import Console

    interactive = sys.stdout.isatty() if not stderr else sys.stderr.isatty()
    return Console(stderr=stderr, width=None if interactive else 160, highlight=False)


def run_render(specs, *, quality, fmt, jobs, out: Path, layout, force, transparent, verbose) -> int:
    from rich.table import Table

    console = _make_console()
    out = out.resolve() if not out.is_absolute() else out
    if not specs:
        console.print("No implemented scenes selected: nothing to render.")
        return 0
    out.mkdir(parents=True, exist_ok=True)
    options = {"quality": quality, "format": fmt, "layout": layout, "transparent": transparent}
    ctx = KeyContext.collect()
    manifest = Manifest(out)
    tasks: list[Task] = []
    seen_rel: set[str] = set()
    notes: dict[str, list[str]] = {}  # reason → scenes
    for spec in specs:
        rel, note = plan_output(spec, quality, fmt, layout)
        if rel in seen_rel:
            continue
        seen_rel.add(rel)
        task = Task(spec=spec, output=out / rel, rel=rel, key=scene_key(spec, ctx, options), note=note)
        if note:
            notes.setdefault(note, []).append(spec.name)
        tasks.append(task)
    if layout == "notebook" and fmt == "gif" and quality != "m":
        notes.setdefault(f"the notebook expects {NOTEBOOK_RES} (-q m); these GIFs are {QUALITIES[quality][0]} "
                         "but were written at the notebook's paths", [])

    todo = []
    for task in tasks:
        if not force and manifest.is_fresh(task.rel, task.key, task.output):
            task.status = "skipped"
            task.size = task.output.stat().st_size
            task.seconds = 0.0
        else:
            todo.append(task)
    # longest first (times from previous runs; unknown scenes first) for a short makespan
    todo.sort(key=lambda t: -(manifest.previous_seconds(t.spec.name) or 1e9))

    done = [len(tasks) - len(todo)]
    total = len(tasks)
    progress = None
    bar = None
    interactive = console.is_terminal and not verbose

    def report(task: Task) -> None:
        done[0] += 1
        if progress is not None:
            progress.update(bar, completed=done[0],
                            description=_running_desc(runner.running))
        elif not interactive:
            extra = f" (log: {task.log})" if task.log else ""
            console.print(f"[{done[0]}/{total}] {task.status:<6} {task.spec.name} {task.seconds:.1f}s{extra}")

    runner = Runner(out, tasks, jobs, quality, fmt, transparent, verbose, manifest, options, console, report)
    # Ctrl-C must stop the run even when started with SIGINT ignored (e.g. from a script's background job)
    old_int = signal.signal(signal.SIGINT, signal.default_int_handler)
    old_term = signal.signal(signal.SIGTERM, _raise_interrupt)
    interrupted_code = 0
    t0 = time.monotonic()
    try:
        if todo:
            if interactive:
                from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

                progress = Progress(TextColumn("[bold]rendering"), BarColumn(), MofNCompleteColumn(),
                                    TimeElapsedColumn(), TextColumn("{task.description}"), console=console,
                                    transient=True)
                with progress:
                    bar = progress.add_task("", total=total, completed=done[0])
                    runner.report = _wrap_progress(report, progress)
                    runner.on_start = lambda _task: progress.update(bar, description=_running_desc(runner.running))
                    runner.run(todo)
            else:
                runner.run(todo)
    except KeyboardInterrupt:
        interrupted_code = 130
    except Interrupted as exc:
        interrupted_code = exc.code
    finally:
        signal.signal(signal.SIGTERM, old_term)
        signal.signal(signal.SIGINT, old_int)
    elapsed = time.monotonic() - t0

    table = Table(title=None, show_lines=False, header_style="bold")
    for col, kw in (("scene", {}), ("status", {}), ("seconds", {"justify": "right"}),
                    ("peak MB", {"justify": "right"}), ("output", {"overflow": "fold"}), ("size", {"justify": "right"})):
        table.add_column(col, **kw)
    style = {"ok": "green", "skipped": "dim", "failed": "bold red", "interrupted": "yellow", "not started": "yellow"}
    for t in tasks:
        if t.status in ("pending", "running"):
            t.status = "not started"
        shown_path = t.output if t.status in ("ok", "skipped") else (t.log or "")
        table.add_row(t.spec.name, f"[{style.get(t.status, '')}]{t.status}[/]",
                      f"{t.seconds:.1f}" if t.seconds is not None else "",
                      f"{t.peak_rss_mb:.0f}" if t.peak_rss_mb else "",
                      _display_path(shown_path), human_size(t.size) if t.status in ("ok", "skipped") else "")
    console.print(table)
    for note, names in notes.items():
        console.print(f"note: {', '.join(names)}: {note}" if names else f"note: {note}")
    failed = [t for t in tasks if t.status == "failed"]
    counts = {s: sum(t.status == s for t in tasks) for s in ("ok", "skipped", "failed")}
    console.print(f"{counts['ok']} rendered, {counts['skipped']} skipped (unchanged), {counts['failed']} failed "
                  f"in {elapsed:.1f}s with -j {jobs}; outputs under {_display_path(out)}")
    for t in failed:
        console.print(f"[bold red]FAILED[/] {t.spec.name}: {t.error}  (traceback: {_display_path(t.log)})")
    if interrupted_code:
        console.print("[yellow]interrupted[/]: workers stopped; previous outputs left untouched.")
        return interrupted_code
    return 1 if failed else 0


def _display_path(p) -> str:
    if not p:
        return ""
    p = Path(p)
    with contextlib.suppress(ValueError):
        return str(p.relative_to(Path.cwd()))
    return str(p)


def _running_desc(running: list[Task]) -> str:
    names = [t.spec.name for t in running]
    return ", ".join(names[:3]) + (" …" if len(names) > 3 else "")


def _wrap_progress(report, progress):
    def wrapped(task: Task) -> None:
        report(task)
        if task.status == "failed":
            progress.console.print(f"[bold red]failed[/] {task.spec.name} (log: {_display_path(task.log)})")
    return wrapped


# --------------------------------------------------------------------------------------
# gallery

GALLERY_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#f4f5f7;color:#1d232b}
header{padding:1.2rem 2rem;background:#1d232b;color:#fff}header h1{margin:0;font-size:1.4rem}
header p{margin:.3rem 0 0;color:#b8c0cc;font-size:.9rem}
h2{margin:1.5rem 2rem .5rem;font-size:1.1rem}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:1rem;padding:0 2rem 1rem}
.card{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.15);overflow:hidden}
.card img{display:block;width:100%;height:auto;background:#111}
.card .meta{padding:.6rem .8rem}.card h3{margin:0;font-size:1rem}
.card .section{color:#555;font-size:.85rem;margin:.2rem 0}
.card .links a{font-size:.8rem;margin-right:.6rem;color:#1a5fb4}
.none{padding:2rem;color:#666}
"""


def _find_outputs(out: Path) -> dict[str, dict]:
    """scene name → {"spec": …, "files": [(rel, label)]} for every rendered file found under ``out``."""
    specs = {s.name: s for s in registry.all_specs(include_planned=True)}
    manifest = Manifest(out)
    found: dict[str, dict] = {}

    def add(name: str, rel: str, label: str, chapter=None, section=None):
        entry = found.setdefault(name, {"name": name, "files": [], "chapter": chapter, "section": section})
        if (rel, label) not in entry["files"]:
            entry["files"].append((rel, label))

    for name, spec in specs.items():
        if spec.notebook_path and (out / spec.notebook_path).is_file():
            rel = Path(spec.notebook_path).as_posix()
            res = QUALITIES.get(manifest.entries.get(rel, {}).get("quality", ""), ("",))[0]
            add(name, rel, f"GIF {res} (notebook path)".replace("  ", " "), spec.chapter, spec.section)
        for res in RES_DIRS:
            for ext in FORMATS:
                rel = f"{res}/{name}.{ext}"
                if (out / rel).is_file():
                    add(name, rel, f"{ext.upper()} {res}", spec.chapter, spec.section)
    for rel, e in sorted(manifest.entries.items()):
        name = e.get("scene")
        if not name or not (out / rel).is_file():
            continue
        ext = Path(rel).suffix.lstrip(".")
        res = QUALITIES.get(e.get("quality", ""), ("",))[0]
        label = f"{ext.upper()} {res}".strip() + (" (notebook path)" if e.get("layout") == "notebook" and ext == "gif" else "")
        if name in found and any(r == rel for r, _ in found[name]["files"]):
            continue
        add(name, rel, label, e.get("chapter"), e.get("section"))
    for name, entry in found.items():
        spec = specs.get(name)
        if spec is not None:
            entry["chapter"], entry["section"] = spec.chapter, spec.section
    return found


def _primary(files: list[tuple[str, str]]) -> str | None:
    """The image a card shows: the GIF at the notebook's path, else the best flat GIF, else the PNG poster."""
    order = ["notebook", "720p30", "480p15", "1080p60", "2160p60"]
    gifs = [(r, label) for r, label in files if r.endswith(".gif")]
    gifs.sort(key=lambda rl: next((i for i, k in enumerate(order) if k in rl[1]), len(order)))
    if gifs:
        return gifs[0][0]
    pngs = [r for r, _ in files if r.endswith(".png")]
    return pngs[0] if pngs else None


def build_gallery(out: Path) -> tuple[Path, int]:
    found = _find_outputs(out)
    catalog_order = {s.name: i for i, s in enumerate(registry.all_specs(include_planned=True))}
    entries = sorted(found.values(), key=lambda e: (e["chapter"] if e["chapter"] is not None else 99,
                                                     catalog_order.get(e["name"], 10**6), e["name"]))
    esc = html.escape
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             "<title>cnnviz gallery</title>", f"<style>{GALLERY_CSS}</style></head><body>",
             "<header><h1>cnnviz gallery</h1>",
             f"<p>{len(entries)} rendered scene(s) &middot; built {esc(time.strftime('%Y-%m-%d %H:%M'))} "
             "&middot; open the files next to the notebook to see them in place</p></header>"]
    if not entries:
        parts.append('<p class="none">No rendered scenes found here yet: run <code>cnnviz render --all</code>.</p>')
    for chapter, group in itertools.groupby(entries, key=lambda e: e["chapter"]):
        title = registry.CHAPTERS.get(chapter, "Other scenes") if chapter is not None else "Other scenes"
        parts.append(f"<h2>{esc(f'Chapter {chapter}: {title}' if chapter else title)}</h2>")
        parts.append('<div class="grid">')
        for e in group:
            prim = _primary(e["files"])
            parts.append(f'<article class="card" id="{esc(e["name"])}">')
            if prim:
                url = esc(urllib.parse.quote(prim))
                parts.append(f'<a href="{url}"><img src="{url}" alt="{esc(e["name"])}"></a>')
            parts.append('<div class="meta">')
            parts.append(f"<h3>{esc(e['name'])}</h3>")
            parts.append(f'<p class="section">Chapter {esc(str(chapter))} &middot; {esc(e["section"] or "")}</p>')
            links = " ".join(f'<a href="{esc(urllib.parse.quote(rel))}">{esc(label)}</a>' for rel, label in e["files"])
            parts.append(f'<p class="links">{links}</p></div></article>')
        parts.append("</div>")
    parts.append("</body></html>")
    index = out / "index.html"
    atomic_write_text(index, "\n".join(parts) + "\n")
    return index, len(entries)


@cli.command("gallery")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=Path("media"),
              show_default=True, help="Directory holding the rendered files (either layout).")
def gallery_cmd(out: Path) -> None:
    """Write DIR/index.html: one card per rendered scene found under DIR (relative links, no network)."""
    if not out.is_dir():
        raise click.UsageError(f"{out} does not exist: render something first (cnnviz render --all --out {out}).")
    index, n = build_gallery(out)
    click.echo(f"{index}: {n} scene(s)")


def main() -> None:
    cli(prog_name="cnnviz")


if __name__ == "__main__":
    main()
