"""cnnviz's command line: list the scenes, render them on a dask cluster, build a gallery.

    python render.py list [--json] [--planned]
    python render.py params NAME [--json]
    python render.py render NAME... | --all | --chapter N  [-q l|m|h|k] [--format gif|webp|mp4|webm|png]
                            [-j N | --cluster tcp://HOST:8786] [--out DIR] [--layout flat|notebook]
                            [--force] [--transparent] [--memory-limit SIZE] [-v]
                            [--set NAME=VALUE]... [--photo PATH] [--name NAME] [--params FILE.toml]
    python render.py slides NAME... | --all | --chapter N  [--to html|pptx|png] [-q …] [--theme dark|light] [--out DIR]
    python render.py gallery [--out DIR]

(also installed as the ``cnnviz`` console script).  This module holds only the
commands, their options and what they print; the engine is ``cnnviz.engine``
(``plan`` → ``execute`` → ``worker``), the gallery ``cnnviz.gallery``.
Neither Manim nor dask is imported until there is something to render, so
``list``, usage errors and the "nothing changed" path are instant.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.metadata
import json
import signal
import sys
import time
from pathlib import Path

import click

from cnnviz import registry
from cnnviz.engine import outputs
from cnnviz.engine import plan as planning
from cnnviz.engine.manifest import MANIFEST_NAME, Manifest  # noqa: F401  (MANIFEST_NAME: for scripts and tests)
from cnnviz.engine.plan import QUALITIES
from cnnviz.files import printable

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def _version(dist: str, fallback: str = "0") -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return fallback


def human_size(n: int | None) -> str:
    if n is None:
        return ""
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def _specs(include_planned: bool = False) -> list[registry.SceneSpec]:
    try:
        return registry.all_specs(include_planned=include_planned)
    except ValueError as exc:  # a malformed CNNVIZ_EXTRA_SCENES
        raise click.UsageError(str(exc)) from exc


class _Cli(click.Group):
    """The command group.  Click's own error messages quote what the user typed (``No such option:
    …``, a bad value): like everything cnnviz echoes, they go through :func:`printable`.  Ctrl-C
    before a command has its own handling exits 130, not click's "Aborted!" 1."""

    def make_context(self, *args, **kwargs):
        try:
            return super().make_context(*args, **kwargs)
        except click.ClickException as exc:
            exc.message = printable(exc.message)
            raise

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except click.ClickException as exc:
            exc.message = printable(exc.message)
            raise
        except KeyboardInterrupt:
            sys.exit(EXIT_INTERRUPTED)


@click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(_version("cnnviz"), prog_name="cnnviz")
def cli() -> None:
    """cnnviz: render the Manim animations of the CNN course notebook."""


# ------------------------------------------------------------------------------------------ list


@cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of objects.")
@click.option("--planned", is_flag=True, help="Also list catalog scenes that are not implemented yet.")
def list_cmd(as_json: bool, planned: bool) -> None:
    """One line per implemented scene: NAME<TAB>CHAPTER<TAB>NOTEBOOK PATH (or '->').

    With --planned, scenes not implemented yet follow with a 4th column 'planned'.
    """
    implemented = {s.name for s in _specs()}
    rows = [{"name": s.name, "chapter": s.chapter, "section": s.section, "notebook_path": s.notebook_path,
             "module": s.module_name, "implemented": s.name in implemented} for s in _specs(include_planned=planned)]
    if as_json:
        for r, s in zip(rows, _specs(include_planned=planned)):  # imports the scene modules (and Manim)
            r["parameters"] = _parameters_json(s) if r["implemented"] else []
        click.echo(json.dumps(rows, indent=2))
        return
    for r in rows:
        cols = [printable(r["name"]), str(r["chapter"]), printable(r["notebook_path"] or "->")]
        if not r["implemented"]:
            cols.append("planned")
        click.echo("\t".join(cols))


def _parameters_json(spec) -> list[dict] | None:
    """A scene's parameters for ``list --json`` (None when its module cannot be imported)."""
    from cnnviz import params

    try:
        return [p.as_dict() for p in params.scene_params(spec.load()).values()]
    except Exception:  # noqa: BLE001 - listed without them; `params NAME` says why
        return None


# ------------------------------------------------------------------------------------------ params


def _esc_user(text) -> str:
    """A user-supplied value (a path, a --set value, a message quoting one) made safe to print with
    click: control characters escaped by the one helper, :func:`cnnviz.files.printable`."""
    return printable(text)


def _usage_problems(lines: list[str]) -> None:
    """Say every problem on its own line (stderr) and exit 2: a usage error, found before anything renders."""
    for line in lines:
        click.echo(f"error: {_esc_user(line)}", err=True)
    sys.exit(EXIT_USAGE)


@cli.command("params")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of objects.")
def params_cmd(name: str, as_json: bool) -> None:
    """The parameters of scene NAME: name, type, default (the notebook's example), limits, meaning.

    Give values with `render NAME --set NAME=VALUE` (VALUE: a number, [[rows], [of numbers]],
    "text" or true/false), `--photo PATH`, or a `--params FILE.toml`.
    """
    from cnnviz import api, params

    try:
        specs = params.scene_params(api.load_scene(api.scene_spec(name)))
    except params.ParamError as exc:
        _usage_problems(exc.problems)
    if as_json:
        click.echo(json.dumps([p.as_dict() for p in specs.values()], indent=2, ensure_ascii=False))
        return
    if not specs:
        click.echo(f"{name} takes no parameters yet: it renders the notebook's example.")
        return
    rows = [(p.name, p.type_text(), params.show_value(p.default, 36) if p.default is not None else "none",
             p.limits_text() or "-", p.help) for p in specs.values()]
    head = ("parameter", "type", "default", "limits", "meaning")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(4)]
    for r in [head, *rows]:
        click.echo("  ".join(c.ljust(w) for c, w in zip(r[:4], widths)) + "  " + r[4])
    example = next(iter(specs))
    click.echo(f"\nrender with: render.py render {name} --set {example}=VALUE"
               + (" (or --photo PATH)" if any(p.kind == "photo" for p in specs.values()) else ""))


def _parse_sets(sets: tuple[str, ...]) -> tuple[dict, list[str]]:
    """``--set NAME=VALUE`` options → (name → value, problems); values are literals, never code."""
    from cnnviz.params import parse_literal, show_value

    raw, problems = {}, []
    for item in sets:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key.isidentifier():
            problems.append(f"--set {show_value(item)}: write NAME=VALUE, e.g. --set n=7 or --set 'x=[[1, 2], [3, 4]]'")
            continue
        try:
            raw[key] = parse_literal(text)
        except ValueError as exc:
            problems.append(f"--set {key}={show_value(text)}: {exc}")
    return raw, problems


def _photo_param(cls) -> tuple[str | None, str]:
    from cnnviz.params import scene_params

    photos = [p.name for p in scene_params(cls).values() if p.kind == "photo"]
    if len(photos) == 1:
        return photos[0], ""
    if not photos:
        return None, f"{cls.__name__} takes no photo (--photo): see `render.py params {cls.__name__}`"
    return None, f"{cls.__name__} takes several photos ({', '.join(photos)}): use --set {photos[0]}=PATH"


def _requests(specs, names, sets, photo, name, params_file) -> tuple[list, dict, list[str]]:
    """What to plan (scenes and Variants), the scene classes imported, and the problems found."""
    from cnnviz import api
    from cnnviz.params import ParamError, load_params_file

    problems: list[str] = []
    items, classes = [], {}
    raw, set_problems = _parse_sets(sets)
    problems += set_problems
    custom = bool(sets or photo or name)
    for spec in specs:
        if spec.chapter == 0 and spec.path and spec.name not in classes:  # a teacher's own scene file
            try:
                classes[spec.name] = api.load_scene(spec)
            except ParamError as exc:
                problems += exc.problems
                continue
        if not custom or spec.name not in names:
            items.append(spec)
            continue
        values = dict(raw)
        try:
            cls = classes.get(spec.name) or api.load_scene(spec)
            classes[spec.name] = cls
            if photo:
                key, why = _photo_param(cls)
                if key is None:
                    problems.append(why)
                    continue
                if key in values:
                    problems.append(f"{spec.name}: --photo and --set {key}= both give the photo: give one")
                    continue
                values[key] = photo
            item, _ = api.prepare(spec, values, name=name)
            items.append(item)
        except ParamError as exc:
            problems += [f"{spec.name}: {line}" for line in exc.problems]
    if params_file is not None:
        try:
            requests = load_params_file(params_file)
        except ParamError as exc:
            requests = []
            problems += exc.problems
        for req in requests:
            try:
                spec = planning.select([req.scene])[0]
            except planning.SelectionError as exc:
                problems.append(f"{params_file.name}: {exc}")
                continue
            try:
                item, cls = api.prepare(spec, req.raw, name=req.name, base=req.base)
                if cls is not None:
                    classes[spec.name] = cls
                items.append(item)
            except ParamError as exc:
                problems += [f"{params_file.name}: {spec.name}: {line}" for line in exc.problems]
    return items, classes, problems


# ------------------------------------------------------------------------------------------ render

RENDER_EPILOG = """\b
Outputs (DIR = --out, default media/):
  flat      DIR/<res>/<Name>.<ext>, res = 480p15 | 720p30 | 1080p60 | 2160p60
  notebook  DIR/<the notebook's path>, e.g. DIR/media/videos/CNN/720p30/<Name>_ManimCE_v0.19.0.gif
            or DIR/assets/dropout.gif: copy DIR's contents next to the notebook.
            GIF only: with another --format, and for scenes the notebook shows no
            image for, the flat path is used (the summary says so).  The notebook
            expects 720p30 (-q m); other qualities are written there with a note.
\b
--theme light writes DIR/<res>-light/<Name>.<ext> (flat layout only): the same
colour roles on a white background, for slides.
\b
--format png writes the last frame (a poster); webp an animated WebP in full colour
(browsers and Jupyter play it; PowerPoint does not).  --transparent works with
png, webm, webp and gif (1-bit alpha in GIFs); mp4 has no alpha channel.
--gif-colors per-frame gives each GIF frame its own 255 colours, in as few
bytes as it can while keeping the scene at 50 dB or more (photo scenes get
39-48 dB from the shared palette); 0.8-1.2x the bytes, 2-6x the encoding
time (opaque GIFs only).  --gif-colors auto does that only for the scenes
the shared palette would keep below 50 dB (19 of 36 at 720p30).
\b
Where scenes render: -j N starts a local dask cluster of N single-threaded
worker processes (each imports Manim once and renders many scenes);
--cluster tcp://HOST:8786 uses a running `dask scheduler` whose workers were
started with `dask worker --nthreads 1 tcp://HOST:8786` where the project is
installed.  Workers send the finished files back; only this machine writes DIR.
\b
Unchanged scenes are skipped (key: scene sources, the cnnviz package, assets,
options, versions; stored in DIR/.cnnviz-manifest.json); --force renders again.
Failed scenes leave their traceback in DIR/logs/<Name>.log.
\b
Your own example: --set NAME=VALUE gives a parameter of the scenes named
(see `params NAME`); VALUE is a literal: 7, 0.5, [[1, 2], [3, 4]], "text",
true/false (never evaluated).  --photo PATH gives the scene's photo (a PNG or
JPEG file, or a built-in name).  --params FILE.toml renders the scenes of a
file: a table [Scene] of values each (tables [[Scene]] for several renders
of one scene; name = "..." names one).  A custom render is written as
DIR/<res>/<Name>@<values>.<ext> (or <Name>@NAME with --name NAME): never
over the notebook's file.  Values are checked before anything renders: type
and range, the scene's own refusal, and the layout check with them.
\b
A scene whose worker dies (killed, over --memory-limit) is tried once more on
another worker; each death and each retry is said as it happens.
\b
Exit codes: 0 all rendered or unchanged; 1 some scene failed; 2 usage error
(bad option, unknown scene or parameter, a value the scene cannot take,
unusable --out, a --cluster that is no dask scheduler or does not answer
within 10 s, a memory limit too small for a worker), found before anything is
written: nothing changes on disk; 130 Ctrl-C (143 SIGTERM): outputs written so
far are kept, no partial file is left.
"""


def _check_cluster(ctx, param, value):
    """--cluster: a well-formed tcp:// address, checked before anything connects."""
    if value is None:
        return None
    from cnnviz.engine.execute import parse_address

    try:
        return parse_address(value)
    except ValueError as exc:
        raise click.BadParameter(f"{printable(repr(value), limit=200)}: {exc}; give the scheduler's address, "
                                 "e.g. tcp://127.0.0.1:8786 (or no --cluster for a local cluster)") from None


def _check_memory_limit(ctx, param, value):
    """--memory-limit: a size dask understands, large enough for a worker to start."""
    if value == "auto":
        return value
    from cnnviz.engine.execute import parse_memory_limit

    try:
        parse_memory_limit(value)
    except ValueError as exc:
        raise click.BadParameter(f"{printable(repr(value), limit=100)}: {exc}") from None
    return value


@cli.command("render", epilog=RENDER_EPILOG)
@click.argument("names", nargs=-1)
@click.option("--all", "all_", is_flag=True, help="Render every implemented scene.")
@click.option("--chapter", type=click.IntRange(0, max(registry.CHAPTERS)), help="Render every implemented scene of chapter N.")
@click.option("-q", "--quality", type=click.Choice(list(QUALITIES)), default="m", show_default=True,
              help="l=480p15, m=720p30, h=1080p60, k=2160p60.")
@click.option("--format", "fmt", type=click.Choice(planning.FORMATS), default="gif", show_default=True,
              help="png = the last frame; webp = animated WebP, full colour.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes of the local cluster [default: CPU count].")
@click.option("--cluster", "cluster", metavar="ADDRESS", default=None, callback=_check_cluster,
              help="Render on a running dask scheduler (tcp://HOST:8786) instead of a local cluster.")
@click.option("--memory-limit", default="auto", show_default=True, metavar="SIZE", callback=_check_memory_limit,
              help="Per local worker (e.g. 2GiB, at least 100MiB): a scene going past it is stopped and "
                   "reported failed.")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=Path("media"),
              show_default=True, help="Output directory.")
@click.option("--layout", type=click.Choice(planning.LAYOUTS), default="flat", show_default=True)
@click.option("--force", is_flag=True, help="Render even when nothing changed.")
@click.option("--transparent", is_flag=True, help="Transparent background (png, webm, webp, gif with 1-bit alpha).")
@click.option("--theme", type=click.Choice(planning.THEMES), default="dark", show_default=True,
              help="dark = the notebook's look; light = for white slides (written under <res>-light/).")
@click.option("--gif-colors", type=click.Choice(planning.GIF_COLORS), default="shared", show_default=True,
              help="GIF only: shared = one palette for the scene (exact theme colours, fastest); per-frame = each frame its "
                   "own 255 colours, the scene kept at 50 dB or more (photos in near full colour; slower to write); "
                   "auto = per-frame for a scene one palette would keep below 50 dB, else shared.")
@click.option("-v", "--verbose", is_flag=True, help="Show Manim's and dask's output and per-frame progress.")
@click.option("--set", "sets", multiple=True, metavar="NAME=VALUE",
              help="A parameter of the scenes named (see `params NAME`); VALUE is a literal. Repeatable.")
@click.option("--photo", metavar="PATH", default=None, help="The scene's photo: a PNG/JPEG file or a built-in name.")
@click.option("--name", "variant_name", metavar="NAME", default=None,
              help="Name the custom render's output <Scene>@NAME (default: a suffix made from its values).")
@click.option("--params", "params_file", type=click.Path(dir_okay=True, path_type=Path), default=None,
              metavar="FILE.toml", help="Render the scenes of a TOML file with their values (see below).")
def render_cmd(names, all_, chapter, quality, fmt, jobs, cluster, memory_limit, out, layout, force, transparent,
               theme, verbose, sets=(), photo=None, variant_name=None, params_file=None,
               gif_colors="shared") -> None:
    """Render scenes (NAMES, --all or --chapter N) on a dask cluster: local by default."""
    if layout == "notebook" and theme != "dark":
        raise click.UsageError("the notebook's layout is dark: use --layout flat with --theme light.")
    if transparent and fmt == "mp4":
        raise click.UsageError("--transparent needs an alpha channel: use --format png, webm, webp or gif (mp4 has none).")
    if gif_colors != "shared" and fmt != "gif":
        raise click.UsageError(f"--gif-colors applies to GIFs: drop it, or use --format gif ({fmt} requested).")
    if gif_colors == "per-frame" and transparent:
        raise click.UsageError("--gif-colors per-frame writes opaque GIFs: a transparent GIF keeps the shared "
                               "palette (or use --format webp --transparent: full colour with alpha).")
    if cluster is not None and jobs:
        raise click.UsageError("-j sets the size of the local cluster; with --cluster, the cluster's workers decide.")
    if cluster is not None and memory_limit != "auto":
        raise click.UsageError("--memory-limit applies to the local cluster; give remote workers "
                               "`dask worker --memory-limit SIZE` instead.")
    if (sets or photo or variant_name) and not names:
        raise click.UsageError("--set, --photo and --name apply to the scenes named on the command line "
                               "(use --params FILE.toml for several scenes).")
    try:
        specs = planning.select(names, all_, chapter) if (names or all_ or chapter is not None or not params_file) else []
    except planning.SelectionError as exc:
        raise click.UsageError(str(exc)) from exc
    items, classes, problems = _requests(specs, set(names), sets, photo, variant_name, params_file)
    if problems:
        _usage_problems(problems)
    options = planning.Options(quality=quality, fmt=fmt, layout=layout, transparent=transparent, theme=theme,
                               gif_colors=gif_colors)
    out = out if out.is_absolute() else Path.cwd() / out
    if items:
        try:  # before anything renders: a usage error naming the directory
            outputs.check_output_dir(out, [out / _output_rel(i, options) for i in items])
        except outputs.OutputDirError as exc:
            raise click.UsageError(str(exc)) from exc

    def check(plan) -> list[str]:  # her values, on the scenes that will render: the data, then the layout
        from cnnviz import api

        return api.check_plan(plan, classes)

    code = run_render(items, options, jobs=jobs, cluster=cluster, memory_limit=memory_limit, out=out, force=force,
                      verbose=verbose, check=check)
    sys.exit(code)


def _output_rel(item, options: planning.Options) -> str:
    if isinstance(item, planning.Variant):
        return planning.output_path(item.spec, options, item.suffix)[0]
    return planning.output_path(item, options)[0]


def _make_console():
    from rich.console import Console

    interactive = sys.stdout.isatty()
    return Console(width=None if interactive else 160, highlight=False, emoji=False)


def _esc(text, limit: int | None = None) -> str:
    """Names, paths and messages are printed as they are, never as rich markup, and with their
    control characters escaped (:func:`cnnviz.files.printable`)."""
    from rich.markup import escape

    return escape(printable(text, limit=limit))


def _display_path(p) -> str:
    if not p:
        return ""
    p = Path(p)
    with contextlib.suppress(ValueError):
        p = p.relative_to(Path.cwd())
    return _esc(p)


def _raise_interrupt(signum, frame):  # SIGTERM → the same clean-up as Ctrl-C
    from cnnviz.engine.execute import Interrupted

    raise Interrupted(128 + signum)


def run_render(specs, options: planning.Options, *, jobs, cluster, memory_limit, out: Path, force, verbose,
               check=None, on_plan=None) -> int:
    """Plan ``specs`` (scenes or Variants) and render what changed; ``check(plan)`` (custom values)
    returns the problems that stop the run before anything renders (exit 2); ``on_plan(plan, console)``
    runs after the summary (slides: write the decks) and may fail the run by returning False."""
    console = _make_console()
    if not specs:
        console.print("No implemented scenes selected: nothing to render.")
        return EXIT_OK
    # Ctrl-C must stop the run even when started with SIGINT ignored (e.g. from a script's background job)
    old_int = signal.signal(signal.SIGINT, signal.default_int_handler)
    old_term = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        return _run_render(console, specs, options, jobs=jobs, cluster=cluster, memory_limit=memory_limit, out=out,
                           force=force, verbose=verbose, check=check, on_plan=on_plan)
    except BaseException as exc:  # before anything started (planning): nothing to stop or to report
        code = _interrupted_code(exc)
        if not code:
            raise
        console.print("[yellow]interrupted[/]: nothing was rendered.")
        return code
    finally:
        signal.signal(signal.SIGTERM, old_term)
        signal.signal(signal.SIGINT, old_int)


def _interrupted_code(exc: BaseException) -> int:
    """130 for Ctrl-C, 143 for SIGTERM (the handler's ``execute.Interrupted``), else 0."""
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    return getattr(exc, "code", 0) if type(exc).__name__ == "Interrupted" else 0  # execute is imported lazily


def _run_render(console, specs, options: planning.Options, *, jobs, cluster, memory_limit, out: Path, force,
                verbose, check=None, on_plan=None) -> int:
    # Nothing changes on disk until the run is sure to render: planning only reads, and --out is
    # created (leftovers cleaned, an unreadable manifest set aside) once the cluster is up.
    manifest = Manifest(out)
    try:
        plan = planning.make_plan(specs, options, out, manifest, force=force)
        problems = check(plan) if check is not None else []
    except planning.SelectionError as exc:
        problems = [str(exc)]
    if problems:
        for line in problems:
            click.echo(f"error: {_esc_user(line)}", err=True)
        return EXIT_USAGE
    total = len(plan.tasks)
    done = [total - len(plan.todo)]
    interactive = console.is_terminal and not verbose
    progress = bar = None
    where = f"-j {jobs or _cpu_count()}" if cluster is None else f"--cluster {_esc(cluster)}"

    def say(line: str) -> None:  # a worker died, a scene is retried: one line each, as it happens
        (progress.console if progress is not None else console).print(_esc(line), soft_wrap=True)

    def prepare() -> None:
        outputs.create_output_dir(out)
        cleaned = outputs.clean_stale(out)  # what killed runs left behind, whatever this run renders
        if cleaned:
            console.print(f"removed {cleaned} leftover temporary file(s) of interrupted runs")
        set_aside = manifest.set_aside()
        if set_aside:
            console.print(f"[yellow]warning[/]: {_esc(set_aside)}")

    def running_desc() -> str:
        names = [t.label for t in plan.todo if t.status == "running"]
        return _esc(", ".join(names[:3]) + (" …" if len(names) > 3 else ""))

    def on_start(task) -> None:
        if progress is not None:
            progress.update(bar, description=running_desc())

    def on_done(task) -> None:
        done[0] += 1
        if progress is not None:
            progress.update(bar, completed=done[0], description=running_desc())
            if task.status == "failed":
                progress.console.print(f"[bold red]failed[/] {_esc(task.label)} (log: {_display_path(task.log)})")
        elif not interactive:
            extra = f" (log: {_display_path(task.log)})" if task.log else ""
            console.print(f"\\[{done[0]}/{total}] {task.status:<6} {_esc(task.label)} {task.seconds:.1f}s{extra}")

    interrupted_code = 0
    t0 = time.monotonic()
    try:
        if not plan.todo:  # nothing to render: no cluster, no dask import
            prepare()
        else:
            from cnnviz.engine import execute

            try:
                n_local = min(jobs or _cpu_count(), len(plan.todo))  # no more workers than scenes to render
                with execute.connect(jobs=n_local, address=cluster, memory_limit=memory_limit,
                                     verbose=verbose) as client:
                    prepare()
                    n = len(client.scheduler_info().get("workers", {}))
                    workers = f"{n} worker{'s' if n != 1 else ''}"
                    kind = "local cluster" if client.cnnviz_local else f"cluster {_esc(cluster)}"
                    where = f"-j {n}" if client.cnnviz_local else f"{kind} ({workers})"
                    console.print(f"{kind}: {workers}; dashboard: {_esc(client.dashboard_link or 'none')}")
                    run = functools.partial(execute.run, plan, manifest, client, verbose=verbose, on_start=on_start,
                                            on_done=on_done, on_event=say)
                    if interactive:
                        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

                        progress = Progress(TextColumn("[bold]rendering"), BarColumn(), MofNCompleteColumn(),
                                            TimeElapsedColumn(), TextColumn("{task.description}"), console=console,
                                            transient=True)
                        with progress:
                            bar = progress.add_task("", total=total, completed=done[0])
                            run()
                    else:
                        run()
            except (execute.ClusterError, outputs.OutputDirError) as exc:
                console.print(f"[bold red]error[/]: {_esc(exc)}")
                return EXIT_USAGE
    except BaseException as exc:  # Ctrl-C, SIGTERM
        interrupted_code = _interrupted_code(exc)
        if not interrupted_code:
            raise
    elapsed = time.monotonic() - t0
    _print_summary(console, plan, elapsed, where, out)
    if on_plan is not None and not interrupted_code and on_plan(plan, console) is False:
        return EXIT_FAILED
    if interrupted_code:
        console.print("[yellow]interrupted[/]: workers stopped; finished outputs kept, no partial file written.")
        return interrupted_code
    return EXIT_FAILED if any(t.status == "failed" for t in plan.tasks) else EXIT_OK


def _cpu_count() -> int:
    import os

    return os.cpu_count() or 1


def _print_summary(console, plan, elapsed: float, where: str, out: Path) -> None:
    from rich.table import Table

    table = Table(title=None, show_lines=False, header_style="bold")
    for col, kw in (("scene", {}), ("status", {}), ("seconds", {"justify": "right"}),
                    ("peak MB", {"justify": "right"}), ("output", {"overflow": "fold"}), ("size", {"justify": "right"})):
        table.add_column(col, **kw)
    style = {"ok": "green", "skipped": "dim", "failed": "bold red", "interrupted": "yellow", "not started": "yellow"}
    for t in plan.tasks:
        if t.status in ("pending", "running"):
            t.status = "not started" if t.status == "pending" else "interrupted"
        shown_path = t.output if t.status in ("ok", "skipped") else (t.log or "")
        table.add_row(_esc(t.label), f"[{style.get(t.status, '')}]{t.status}[/]",
                      f"{t.seconds:.1f}" if t.seconds is not None else "",
                      f"{t.peak_rss_mb:.0f}" if t.peak_rss_mb else "",
                      _display_path(shown_path), human_size(t.size) if t.status in ("ok", "skipped") else "")
    console.print(table)
    for note, names in plan.notes.items():
        console.print(_esc(f"note: {', '.join(names)}: {note}" if names else f"note: {note}"))
    counts = {s: sum(t.status == s for t in plan.tasks) for s in ("ok", "skipped", "failed")}
    console.print(f"{counts['ok']} rendered, {counts['skipped']} skipped (unchanged), {counts['failed']} failed "
                  f"in {elapsed:.1f}s with {where}; outputs under {_display_path(out)}")
    for t in plan.tasks:
        if t.status == "failed":
            log = f"  (log: {_display_path(t.log)})" if t.log else ""
            console.print(f"[bold red]FAILED[/] {_esc(t.label)}: {_esc(t.error)}{log}")


# ------------------------------------------------------------------------------------------ slides

SLIDES_EPILOG = """\b
One render per scene, cut into its beats (one beat = what plays from one
`beat()` to the next, ending on its held frame): DIR/slides/<res>/<Name>/
holds clips/NN.mp4, posters/NN.png and beats.json (the notes), cached and
skipped when unchanged like `render` (a --theme light deck: <res>-light).
\b
--to html  DIR/slides/<res>/<Name>/index.html: open it in a browser (works
           from file://, no network). Right arrow, Space, PageDown: next
           beat (a presentation clicker works); Left, PageUp: back; Home,
           End; F: full screen; N: the notes; #<Name>/3 opens beat 3.
           DIR/slides/<res>/index.html lists the decks.
--to pptx  DIR/slides/<res>/<Name>.pptx: a title slide, then one slide
           per beat whose clip starts by itself; the beat's held frame is
           the poster, the note the speaker notes.
--to png   the posters: DIR/slides/<res>/<Name>/posters/NN.png (handouts).
\b
Decks default to 720p30 (-q m).  Exit codes as for `render`.
"""


@cli.command("slides", epilog=SLIDES_EPILOG)
@click.argument("names", nargs=-1)
@click.option("--all", "all_", is_flag=True, help="A deck for every implemented scene.")
@click.option("--chapter", type=click.IntRange(0, max(registry.CHAPTERS)), help="A deck for every scene of chapter N.")
@click.option("--to", "to", type=click.Choice(["html", "pptx", "png"]), default="html", show_default=True,
              help="What to write from the scenes' beats.")
@click.option("-q", "--quality", type=click.Choice(list(QUALITIES)), default="m", show_default=True,
              help="l=480p15, m=720p30, h=1080p60, k=2160p60.")
@click.option("--theme", type=click.Choice(planning.THEMES), default="dark", show_default=True,
              help="dark = the notebook's look; light = for white slides.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes of the local cluster [default: CPU count].")
@click.option("--cluster", "cluster", metavar="ADDRESS", default=None,
              help="Render on a running dask scheduler (tcp://HOST:8786) instead of a local cluster.")
@click.option("--memory-limit", default="auto", show_default=True, metavar="SIZE",
              help="Per local worker (e.g. 2GiB): a scene going past it is stopped and reported failed.")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=Path("media"),
              show_default=True, help="Output directory (the decks go under DIR/slides/).")
@click.option("--force", is_flag=True, help="Render even when nothing changed.")
@click.option("-v", "--verbose", is_flag=True, help="Show Manim's and dask's output and per-frame progress.")
def slides_cmd(names, all_, chapter, to, quality, theme, jobs, cluster, memory_limit, out, force, verbose) -> None:
    """Step-through decks of scenes (NAMES, --all or --chapter N): one slide per beat, HTML by default."""
    if cluster and jobs:
        raise click.UsageError("-j sets the size of the local cluster; with --cluster, the cluster's workers decide.")
    if cluster and memory_limit != "auto":
        raise click.UsageError("--memory-limit applies to the local cluster; give remote workers "
                               "`dask worker --memory-limit SIZE` instead.")
    try:
        specs = planning.select(names, all_, chapter)
    except planning.SelectionError as exc:
        raise click.UsageError(str(exc)) from exc
    options = planning.Options(quality=quality, fmt="mp4", theme=theme, kind="slides")
    out = out if out.is_absolute() else Path.cwd() / out
    if specs:
        try:
            outputs.check_output_dir(out, [out / planning.output_path(s, options)[0] for s in specs])
        except outputs.OutputDirError as exc:
            raise click.UsageError(str(exc)) from exc

    def write_decks(plan, console) -> None:
        from cnnviz import slides

        ready = [t for t in plan.tasks if t.status in ("ok", "skipped")]
        if not ready:
            return True
        try:
            made = slides.write(to, [t.output.parent for t in ready], out / planning.SLIDES_DIR /
                                planning.res_dir(quality, theme))
        except (OSError, slides.DeckError) as exc:
            console.print(f"[bold red]error[/]: {_esc(exc)}")
            return False
        for path in made:
            console.print(f"{to}: {_display_path(path)}")
        return True

    code = run_render(specs, options, jobs=jobs, cluster=cluster, memory_limit=memory_limit, out=out, force=force,
                      verbose=verbose, on_plan=write_decks)
    sys.exit(code)


# ------------------------------------------------------------------------------------------ gallery


@cli.command("gallery")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=Path("media"),
              show_default=True, help="Directory holding the rendered files (either layout).")
def gallery_cmd(out: Path) -> None:
    """Write DIR/index.html: one card per rendered scene found under DIR (relative links, no network)."""
    from cnnviz.gallery import build_gallery

    if not out.is_dir():
        raise click.UsageError(f"{printable(out)} does not exist: render something first "
                               f"(cnnviz render --all --out {printable(out)}).")
    set_aside = Manifest(out).set_aside()  # an unreadable manifest: said, and kept aside
    if set_aside:
        click.echo(f"warning: {printable(set_aside)}", err=True)
    try:
        index, n = build_gallery(out)
    except OSError as exc:
        raise click.UsageError(f"cannot write {printable(out / 'index.html')}: {exc.strerror or exc}") from exc
    click.echo(f"{printable(index)}: {n} scene(s)")


def main() -> None:
    cli(prog_name="cnnviz")


if __name__ == "__main__":
    main()
