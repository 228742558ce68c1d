"""The command line (render.py / the ``cnnviz`` script): list, render, errors, incremental, interrupts.

Rendering tests run the real CLI in a subprocess at -q l.  Test-only scenes
come from ``tests/fixtures/cli_scenes.py`` through ``CNNVIZ_EXTRA_SCENES``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner
from PIL import Image

import render
from cnnviz import registry
from cnnviz.engine import plan as planning
from cnnviz.engine.manifest import MANIFEST_NAME

from helpers import (EXTRAS, FIXTURES, LOW, ROOT, ProcessWatch, assert_looping_gif, assert_no_junk, cli_env,
                     left_behind, run_cli)


def _real_scene(with_notebook_path: bool = True) -> str:
    """A real (lead-written) scene to render, else the quick fixture."""
    implemented = {s.name: s for s in registry.all_specs()}
    for name in ("TinyMaxPoolingFixed", "ConvExampleExplainedClean", "OutputSizeFormula"):
        spec = implemented.get(name)
        if spec and (spec.notebook_path or not with_notebook_path):
            return name
    pytest.skip("no real scene with a notebook path is implemented yet")


@pytest.fixture()
def runner(monkeypatch):
    monkeypatch.setenv("CNNVIZ_EXTRA_SCENES", EXTRAS)
    return CliRunner()


# ---------------------------------------------------------------------------------- list


def test_list_text(runner):
    result = runner.invoke(render.cli, ["list"])
    assert result.exit_code == 0, result.output
    rows = [line.split("\t") for line in result.output.splitlines()]
    assert rows and all(len(r) == 3 for r in rows)
    names = [r[0] for r in rows]
    assert names == [s.name for s in registry.all_specs()]
    quick = rows[names.index("CliQuick")]
    assert quick == ["CliQuick", "0", "->"]
    for spec in registry.all_specs():
        row = rows[names.index(spec.name)]
        assert row[1] == str(spec.chapter) and row[2] == (spec.notebook_path or "->")


@pytest.fixture()
def one_planned(monkeypatch):
    """The catalog is complete: pretend one scene is still only planned."""
    name = "Dropout"
    real = registry.is_implemented
    monkeypatch.setattr(registry, "is_implemented", lambda spec: spec.name != name and real(spec))
    return name


def test_list_json_and_planned(runner, one_planned):
    result = runner.invoke(render.cli, ["list", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert {d["name"] for d in data} == {s.name for s in registry.all_specs()}
    assert all(set(d) >= {"name", "chapter", "section", "notebook_path", "module"} for d in data)
    assert all(d["implemented"] for d in data)

    planned = json.loads(runner.invoke(render.cli, ["list", "--json", "--planned"]).output)
    assert len(planned) == len(registry.all_specs(include_planned=True))
    not_done = [d for d in planned if not d["implemented"]]
    assert [d["name"] for d in not_done] == [one_planned]
    text = runner.invoke(render.cli, ["list", "--planned"]).output.splitlines()
    marked = [line.split("\t") for line in text if line.endswith("\tplanned")]
    assert {r[0] for r in marked} == {d["name"] for d in not_done}
    assert all(len(r) == 4 for r in marked)


def test_list_does_not_import_manim():
    code = "import sys, render; render.cli(['list'], standalone_mode=False); print('MANIM' if 'manim' in sys.modules else 'NO-MANIM')"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("NO-MANIM")


# ---------------------------------------------------------------------------------- usage errors


def test_unknown_scene_suggests_close_names(runner):
    result = runner.invoke(render.cli, ["render", "TinyMaxPooling"])
    assert result.exit_code == 2
    assert "unknown scene 'TinyMaxPooling'" in result.output
    assert "did you mean: TinyMaxPoolingFixed" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["render", "CliQuick", "-q", "z"],
        ["render", "CliQuick", "--format", "avi"],
        ["render", "CliQuick", "-j", "0"],
        ["render", "CliQuick", "--layout", "tree"],
        ["render", "CliQuick", "--bogus"],
        ["render"],  # no names, no --all/--chapter
        ["render", "CliQuick", "--format", "mp4", "--transparent"],
        ["render", "CliQuick", "--gif-colors", "all"],
        ["render", "CliQuick", "--format", "mp4", "--gif-colors", "per-frame"],  # GIF only
        ["render", "CliQuick", "--transparent", "--gif-colors", "per-frame"],  # opaque GIFs only
        ["render", "CliQuick", "--cluster", "tcp://127.0.0.1:8786", "-j", "2"],  # -j is the local cluster's size
        ["render", "CliQuick", "--cluster", "tcp://127.0.0.1:8786", "--memory-limit", "1GiB"],
    ],
)
def test_bad_options_are_usage_errors(runner, args):
    result = runner.invoke(render.cli, args)
    assert result.exit_code == 2, result.output
    assert "Usage:" in result.output


def test_unreachable_cluster_is_a_usage_error(tmp_path):
    out = tmp_path / "out"
    r = run_cli(tmp_path, "render", "CliQuick", "-q", "l", "--out", str(out), "--cluster", "tcp://127.0.0.1:9")
    assert r.returncode == 2, r.stdout + r.stderr
    assert "cannot reach the dask scheduler at tcp://127.0.0.1:9" in r.stdout
    assert "Traceback" not in r.stderr
    assert not (out / "480p15").exists()


def test_planned_scene_is_reported_as_not_implemented(runner, one_planned):
    result = runner.invoke(render.cli, ["render", one_planned])
    assert result.exit_code == 2
    assert "not implemented" in result.output


def test_help_documents_the_layout_fallback(runner):
    result = runner.invoke(render.cli, ["render", "--help"])
    assert result.exit_code == 0
    assert "notebook" in result.output and "flat path is used" in result.output


# ---------------------------------------------------------------------------------- cache key


def test_key_covers_the_scene_module_and_its_local_imports():
    name = _real_scene(with_notebook_path=False)
    files = {p.relative_to(ROOT).as_posix() for p in planning.scene_source_files(registry.get(name))}
    assert registry.get(name).module_name.replace(".", "/") + ".py" in files
    assert "cnnviz/drawings.py" in files
    ctx = planning.KeyContext.collect()
    assert "cnnviz/engine/gifenc.py" in ctx.package_files and "cnnviz/engine/worker.py" in ctx.package_files and "cnnviz/registry.py" in ctx.package_files
    assert set(ctx.versions) >= {"cnnviz", "manim"}
    spec = registry.get(name)
    opts = {"quality": "l", "format": "gif", "layout": "flat", "transparent": False}
    key = planning.scene_key(spec, ctx, opts)
    assert key == planning.scene_key(spec, ctx, dict(opts))
    for change in ({"quality": "m"}, {"format": "png"}, {"layout": "notebook"}, {"transparent": True}):
        assert planning.scene_key(spec, ctx, {**opts, **change}) != key


def _walked_imports(path: Path) -> list:
    """The reference: every import ``ast.walk`` finds."""
    import ast
    nodes = [n for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))) if isinstance(n, (ast.Import, ast.ImportFrom))]
    return [(None, 0, tuple(a.name for a in n.names)) if isinstance(n, ast.Import)
            else (n.module, n.level, tuple(a.name for a in n.names)) for n in nodes]


def test_source_facts_find_every_import_ast_walk_finds(tmp_path):
    """registry.source_facts walks statements only (the cheap walk behind the nothing-changed
    path): it must find every import ``ast.walk`` finds, in every file of the project and in
    imports nested in every kind of block."""
    nested = tmp_path / "nested.py"
    nested.write_text(
        "import a.b, c as d\nfrom . import e\nfrom ..f import (g,\n    h)\n"
        "class K:\n    import i\n    def m(self):\n        from j import k\n"
        "def f(x):\n    if x:\n        import l\n    elif x > 1:\n        import m2\n    else:\n        import n\n"
        "    for _ in x:\n        import o\n    else:\n        import p\n"
        "    while x:\n        import q\n    with x:\n        import r\n"
        "    try:\n        import s\n    except ImportError:\n        import t\n    else:\n        import u\n"
        "    finally:\n        import v\n"
        "    match x:\n        case 1:\n            import w\n"
        "async def g():\n    async with x:\n        import y\n    async for _ in x:\n        import z\n"
        "class Outer:\n    class Inner:\n        pass\n")
    files = [nested, *sorted(ROOT.glob("cnnviz/**/*.py")), *sorted(ROOT.glob("scenes/*.py")), ROOT / "render.py"]
    for path in files:
        got = registry.source_facts(path).imports
        assert sorted(got, key=repr) == sorted(_walked_imports(path), key=repr), path
    facts = registry.source_facts(nested)
    assert len(facts.imports) == 19 and facts.classes == {"K", "Outer"}  # Inner is not top level
    assert (None, 0, ("a.b", "c")) in facts.imports and (None, 1, ("e",)) in facts.imports
    assert ("f", 2, ("g", "h")) in facts.imports


def test_the_named_scene_is_the_only_module_read(monkeypatch):
    """Naming one scene reads that scene's module only, not every chapter's (the nothing-changed
    path stays well under a second of CPU); --all reads them all."""
    name = _real_scene()
    read = []
    real = registry.is_implemented
    monkeypatch.setattr(registry, "is_implemented", lambda spec: read.append(spec.name) or real(spec))
    assert [s.name for s in planning.select((name,))] == [name]
    assert read == [name]
    read.clear()
    everything = planning.select((), all_=True)
    assert len(read) == len(registry.CATALOG) and len(everything) == len(registry.all_specs())


# ---------------------------------------------------------------------------------- rendering


def test_render_real_scene_flat_then_skip_unchanged(tmp_path):
    name = _real_scene()
    out = tmp_path / "out"
    r = run_cli(tmp_path, "render", name, "-q", "l", "--out", str(out), "-j", "2")
    assert r.returncode == 0, r.stdout + r.stderr
    gif = out / "480p15" / f"{name}.gif"
    assert_looping_gif(gif, LOW)
    assert "ok" in r.stdout and name in r.stdout, r.stdout
    assert "local cluster: 1 worker; dashboard: http://" in r.stdout, r.stdout  # one scene: one worker, whatever -j says
    manifest = json.loads((out / MANIFEST_NAME).read_text())
    assert manifest["outputs"][f"480p15/{name}.gif"]["bytes"] == gif.stat().st_size, manifest
    assert_no_junk(out, tmp_path)

    before = gif.stat().st_mtime_ns, gif.read_bytes()
    t0 = time.monotonic()
    r2 = run_cli(tmp_path, "render", name, "-q", "l", "--out", str(out))
    elapsed = time.monotonic() - t0
    assert r2.returncode == 0, r2.stdout + r2.stderr
    assert "skipped" in r2.stdout and "1 skipped" in r2.stdout, r2.stdout
    assert elapsed < 30, f"the nothing-changed path took {elapsed:.1f}s"  # wall time: only a hang fails
    assert (gif.stat().st_mtime_ns, gif.read_bytes()) == before, "the unchanged GIF was written again"
    assert "dashboard" not in r2.stdout, r2.stdout  # no cluster was started

    # in process: no Manim, no dask, well under a second of CPU (CPU time, not wall time: a busy
    # machine slows the wall clock, not the work; the work is what this bounds)
    code = ("import sys, time, render; t = time.process_time()\n"
            f"try: render.cli(['render', {name!r}, '-q', 'l', '--out', {str(out)!r}], standalone_mode=False)\n"
            "except SystemExit: pass\n"
            "print('TIME', time.process_time() - t, sorted(m for m in ('manim', 'dask', 'distributed') if m in sys.modules))")
    r3 = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=cli_env(tmp_path), capture_output=True, text=True,
                        timeout=60)
    line = r3.stdout.strip().splitlines()[-1]
    assert line.endswith("[]"), line
    assert float(line.split()[1]) < 1.0, line


def test_force_renders_again(tmp_path):
    out = tmp_path / "out"
    assert run_cli(tmp_path, "render", "CliQuick", "-q", "l", "--out", str(out)).returncode == 0
    gif = out / "480p15" / "CliQuick.gif"
    mtime = gif.stat().st_mtime_ns
    r = run_cli(tmp_path, "render", "CliQuick", "-q", "l", "--out", str(out), "--force")
    assert r.returncode == 0, r.stderr
    assert "1 rendered" in r.stdout and gif.stat().st_mtime_ns != mtime


def test_changed_scene_source_renders_again(tmp_path):
    mod_dir = tmp_path / "mods"
    mod_dir.mkdir()
    source = (FIXTURES / "cli_scenes.py").read_text()
    (mod_dir / "keyed_scenes.py").write_text(source)
    extra = {"CNNVIZ_EXTRA_SCENES": "keyed_scenes:CliQuick", "PYTHONPATH": os.pathsep.join([str(mod_dir), str(ROOT)])}
    out = tmp_path / "out"
    args = ("render", "CliQuick", "-q", "l", "--out", str(out))
    assert "1 rendered" in run_cli(tmp_path, *args, **extra).stdout
    assert "1 skipped" in run_cli(tmp_path, *args, **extra).stdout
    (mod_dir / "keyed_scenes.py").write_text(source + "\n# an edit\n")
    assert "1 rendered" in run_cli(tmp_path, *args, **extra).stdout


def test_render_notebook_layout(tmp_path):
    name = _real_scene(with_notebook_path=True)
    out = tmp_path / "nb"
    r = run_cli(tmp_path, "render", name, "CliQuick", "-q", "l", "--layout", "notebook", "--out", str(out))
    assert r.returncode == 0, r.stdout + r.stderr
    nb_path = out / registry.get(name).notebook_path
    assert_looping_gif(nb_path, LOW)
    # a scene without a notebook path falls back to the flat path, and the summary says so
    assert_looping_gif(out / "480p15" / "CliQuick.gif", LOW)
    assert "CliQuick: flat path" in r.stdout.replace("\n", " ")
    assert "expects 720p30" in r.stdout
    assert_no_junk(out, tmp_path)


def test_failing_scene_does_not_stop_the_others(tmp_path):
    out = tmp_path / "out"
    # -j 1: the same warm worker renders the failing scene, then the good one
    r = run_cli(tmp_path, "render", "CliBroken", "CliQuick", "-q", "l", "--out", str(out), "-j", "1")
    assert r.returncode == 1
    assert_looping_gif(out / "480p15" / "CliQuick.gif", LOW)
    assert not (out / "480p15" / "CliBroken.gif").exists()
    log = out / "logs" / "CliBroken.log"
    text = log.read_text()
    assert "Traceback" in text and "RuntimeError: CliBroken fails on purpose" in text
    assert "failed" in r.stdout and "CliBroken.log" in r.stdout
    assert "CliBroken fails on purpose" in r.stderr  # the worker's traceback is forwarded
    assert_no_junk(out, tmp_path)


def test_interrupt_keeps_the_previous_output(tmp_path):
    out = tmp_path / "out"
    first = run_cli(tmp_path, "render", "CliSlow", "-q", "l", "--out", str(out), CLI_SLOW_SECONDS="0.3")
    assert first.returncode == 0, first.stderr
    gif = out / "480p15" / "CliSlow.gif"
    good = gif.read_bytes()

    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "render.py"), "render", "CliSlow", "CliQuick", "-q", "l", "--out", str(out),
         "--force", "-j", "2"],
        cwd=tmp_path,
        env=cli_env(tmp_path, CLI_SLOW_SECONDS="120"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    watch = ProcessWatch(proc.pid)
    try:
        deadline = time.monotonic() + 60
        work = tmp_path / "tmp"
        # wait until a worker is rendering CliSlow (its media dir exists)
        while time.monotonic() < deadline and not list(work.glob("cnnviz-work-*-CliSlow-*/media")):
            time.sleep(0.1)
        time.sleep(1.0)
        assert proc.poll() is None
        workers = watch.seen.copy()
        assert len(workers) >= 2, "the local cluster's worker processes were not seen"
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        seen = watch.stop()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, stdout + stderr
    assert "interrupted" in stdout
    assert gif.read_bytes() == good
    assert_no_junk(out, tmp_path)
    assert not left_behind(seen), "worker processes survived the interrupt"
    assert "Traceback" not in stderr and "Warning" not in stderr, stderr


def test_png_is_the_last_frame_at_the_right_size(tmp_path):
    out = tmp_path / "out"
    r = run_cli(tmp_path, "render", "CliQuick", "-q", "l", "--format", "png", "--out", str(out))
    assert r.returncode == 0, r.stderr
    im = Image.open(out / "480p15" / "CliQuick.png")
    assert im.format == "PNG" and im.size == LOW


def test_transparent_gif_has_transparent_background(tmp_path):
    out = tmp_path / "out"
    r = run_cli(tmp_path, "render", "CliQuick", "-q", "l", "--transparent", "--out", str(out))
    assert r.returncode == 0, r.stderr
    im = assert_looping_gif(out / "480p15" / "CliQuick.gif", LOW)
    rgba = im.convert("RGBA")
    alpha = rgba.getchannel("A")
    assert alpha.getextrema() == (0, 255)
    assert rgba.getpixel((5, 5))[3] == 0  # the corner is background


# ---------------------------------------------------------------------------------- your own example (issue 16)

import re  # noqa: E402
import textwrap  # noqa: E402

from test_params import make_photos  # noqa: E402


@pytest.fixture()
def params_runner(monkeypatch):
    """The in-process CLI with the fixture scenes importable (CliParams is imported to read its signature)."""
    monkeypatch.setenv("CNNVIZ_EXTRA_SCENES", EXTRAS)
    monkeypatch.syspath_prepend(str(FIXTURES))
    return CliRunner()


def _errors(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("error: ")]


def test_params_command_prints_name_type_default_limits_meaning(params_runner):
    r = params_runner.invoke(render.cli, ["params", "CliParams"])
    assert r.exit_code == 0, r.output
    rows = [re.split(r"\s{2,}", line.strip()) for line in r.output.splitlines()[:5]]
    assert rows[0] == ["parameter", "type", "default", "limits", "meaning"]
    assert rows[1] == ["n", "int", "3", "1 to 12", "how many squares"]
    assert rows[2] == ["grid", "grid", "[[1, 2], [3, 4]]", "each -99 to 99; at most 3×3", "numbers whose sum is shown"]
    assert rows[3][:3] == ["photo", "photo", '"camera"'] and "PNG/JPEG" in rows[3][3]
    assert rows[4][:3] == ["label", "text", '"cnnviz"']
    assert "colour" not in r.output  # not annotated: not a parameter
    data = json.loads(params_runner.invoke(render.cli, ["params", "CliParams", "--json"]).output)
    assert [d["name"] for d in data] == ["n", "grid", "photo", "label"]
    assert data[0] == {**data[0], "type": "int", "default": 3, "min": 1, "max": 12, "help": "how many squares"}
    r = params_runner.invoke(render.cli, ["params", "CliQuick"])
    assert r.exit_code == 0 and "takes no parameters yet" in r.output
    r = params_runner.invoke(render.cli, ["params", "CliParam"])
    assert r.exit_code == 2 and "did you mean: CliParams" in r.output


def test_list_json_includes_parameters(params_runner):
    data = {d["name"]: d for d in json.loads(params_runner.invoke(render.cli, ["list", "--json"]).output)}
    assert [p["name"] for p in data["CliParams"]["parameters"]] == ["n", "grid", "photo", "label"]
    assert [p["name"] for p in data["ConvExampleExplainedClean"]["parameters"]] == ["x", "w", "stride", "padding", "n_explained"]
    assert data["ConvExampleExplainedClean"]["parameters"][0]["limits"] == "each -99 to 99; at most 6×6"
    assert data["CliQuick"]["parameters"] == []


def test_bad_values_are_one_line_each_exit_2_before_anything_renders(tmp_path):
    out = tmp_path / "out"
    r = run_cli(tmp_path, "render", "CliParams", "-q", "l", "--out", str(out),
                "--set", "n=0", "--set", "grid=[[1, 2], [3]]", "--set", "nn=1", "--set", "grid2=1",
                "--set", 'label=__import__("os").system("touch PWNED")', "--set", "x=[[1, 2]", "--set", "oops")
    assert r.returncode == 2, r.stdout + r.stderr
    errors = _errors(r.stderr)
    assert errors[0].startswith('error: --set label="__import__(') and errors[0].endswith(
        ': only numbers, [lists], "text", true/false and none are accepted')
    assert errors[1:] == [
        'error: --set x="[[1, 2]": not a value: give a number, [lists of numbers], "text" or true/false',
        'error: --set "oops": write NAME=VALUE, e.g. --set n=7 or --set \'x=[[1, 2], [3, 4]]\'',
        "error: CliParams: unknown parameter 'nn' for CliParams; did you mean: n? (see `render.py params CliParams`)",
        "error: CliParams: unknown parameter 'grid2' for CliParams; did you mean: grid? (see `render.py params "
        "CliParams`)",
        "error: CliParams: n is 0: it must be from 1 to 12",
        "error: CliParams: grid is not rectangular: row 2 has 1 number and row 1 has 2 numbers",
    ], r.stderr
    assert "Traceback" not in r.stderr and "dashboard" not in r.stdout
    assert not out.exists() and not (tmp_path / "PWNED").exists()


def test_the_scenes_own_refusal_and_the_layout_check_stop_the_run(tmp_path):
    out = tmp_path / "out"
    r = run_cli(tmp_path, "render", "CliParams", "-q", "l", "--out", str(out), "--set", "n=7")
    assert r.returncode == 2, r.stdout + r.stderr
    assert _errors(r.stderr) == ["error: CliParams@n=7: seven squares are refused by this scene's data function"]
    r = run_cli(tmp_path, "render", "CliParams", "-q", "l", "--out", str(out), "--set", "n=12")
    assert r.returncode == 2, r.stdout + r.stderr
    errors = _errors(r.stderr)
    assert len(errors) == 1 and errors[0].startswith(
        "error: CliParams@n=12: does not fit the screen with these values: out-of-frame: Square of VGroup spans"), errors
    r = run_cli(tmp_path, "render", "CliParams", "-q", "l", "--out", str(out), "--set", "grid=[[1, 2, 3, 4]]")
    assert r.returncode == 2
    assert _errors(r.stderr) == ["error: CliParams: grid: a 1×4 grid is too large: a grid of at most 3×3 fits this "
                                 "scene at a readable size"]
    assert "dashboard" not in r.stdout and not (out / "480p15").exists()


def test_photos_that_are_not_photos_are_one_line_each(tmp_path):
    photos = make_photos(tmp_path / "photos")
    toml = tmp_path / "bad.toml"
    toml.write_text("".join(f'[[CliParams]]\nphoto = "photos/{photos[k].name}"\n'
                            for k in ("text", "truncated", "gif", "bomb")), encoding="utf-8")
    r = run_cli(tmp_path, "render", "--params", str(toml), "-q", "l", "--out", str(tmp_path / "out"))
    assert r.returncode == 2, r.stdout + r.stderr
    errors = _errors(r.stderr)
    assert len(errors) == 4, r.stderr
    assert errors[0] == ("error: bad.toml: CliParams: photo: notes.png is not an image (not a PNG or JPEG file "
                         "Pillow can read)")
    assert errors[1].startswith("error: bad.toml: CliParams: photo: broken.jpg cannot be decoded as an image (")
    assert errors[2] == "error: bad.toml: CliParams: photo: anim.gif is a GIF image: give a PNG or JPEG file"
    assert errors[3] == ("error: bad.toml: CliParams: photo: bomb.png has more pixels than Pillow's safety limit of "
                         "89,478,485 (a decompression bomb?): give a smaller image")
    r = run_cli(tmp_path, "render", "CliParams", "--photo", str(photos["bomb"]), "-q", "l")
    assert r.returncode == 2 and len(_errors(r.stderr)) == 1 and "decompression bomb" in r.stderr
    r = run_cli(tmp_path, "render", "CliQuick", "--photo", str(photos["png"]), "-q", "l")
    assert r.returncode == 2 and _errors(r.stderr) == [
        "error: CliQuick takes no photo (--photo): see `render.py params CliQuick`"]


def test_custom_renders_in_one_run_never_overwrite_the_default_and_the_manifest_records_their_values(tmp_path):
    """A --params file (a course variant): the notebook's example, three custom renders of one scene (a photo
    given by a relative path with a space, a named one, text in the suffix) and another scene, in one run."""
    photos = make_photos(tmp_path / "course" / "photos")
    toml = tmp_path / "course" / "variant.toml"
    toml.write_text(textwrap.dedent('''
        # a course variant: CliParams as the notebook has it, three renders of your own, and CliQuick
        [[CliParams]]
        [[CliParams]]
        n = 2
        grid = [[5, 6], [7, 8]]
        photo = "photos/my photo.jpg"
        [[CliParams]]
        n = 4
        name = "week3"
        [[CliParams]]
        n = 1
        label = "week 3"

        [CliQuick]
    '''), encoding="utf-8")
    out = tmp_path / "out"
    r = run_cli(tmp_path, "render", "--params", str(toml), "-q", "l", "--out", str(out), "-j", "1",
                "--layout", "notebook")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "5 rendered" in r.stdout and "a custom example never replaces the notebook's file" in r.stdout
    custom = f"480p15/CliParams@n=2,grid=2x2-{_digest([[5, 6], [7, 8]])},photo=my_photo.gif"
    outputs = json.loads((out / MANIFEST_NAME).read_text())["outputs"]
    assert sorted(outputs) == sorted(["480p15/CliParams.gif", custom, "480p15/CliParams@week3.gif",
                                      "480p15/CliParams@n=1,label=week_3.gif", "480p15/CliQuick.gif"])
    mine = str(photos["jpeg"].resolve())
    assert outputs[custom]["values"] == {"n": 2, "grid": [[5, 6], [7, 8]], "photo": mine}
    assert outputs[custom]["photos"] == {mine: _sha(photos["jpeg"])} and outputs[custom]["variant"] == custom[len("480p15/CliParams@"):-4]
    assert outputs["480p15/CliParams@week3.gif"]["values"] == {"n": 4}
    assert "values" not in outputs["480p15/CliParams.gif"]
    default = out / "480p15" / "CliParams.gif"
    before = default.read_bytes()
    assert_looping_gif(out / custom, LOW)
    assert (out / custom).read_bytes() != before

    # the same values from the command line (--set, --photo, --name): unchanged, nothing renders
    r = run_cli(tmp_path, "render", "CliParams", "-q", "l", "--out", str(out), "--layout", "notebook",
                "--set", "n=2", "--set", "grid=[[5, 6], [7, 8]]", "--photo", "course/photos/my photo.jpg")
    assert r.returncode == 0 and "1 skipped" in r.stdout and "dashboard" not in r.stdout, r.stdout + r.stderr
    r = run_cli(tmp_path, "render", "CliParams", "-q", "l", "--out", str(out), "--layout", "notebook",
                "--set", "n=4", "--name", "week3")
    assert r.returncode == 0 and "1 skipped" in r.stdout and "CliParams@week3.gif" in r.stdout, r.stdout
    r = run_cli(tmp_path, "render", "CliParams", "-q", "l", "--out", str(out), "--layout", "notebook",
                "--set", "n=3")  # the notebook's value: the notebook's file
    assert r.returncode == 0 and "1 skipped" in r.stdout and "CliParams.gif" in r.stdout

    # her photo changed: rendered again, at the same path; the notebook's file untouched
    Image.open(photos["png"]).save(photos["jpeg"])
    r = run_cli(tmp_path, "render", "CliParams", "-q", "l", "--out", str(out), "-j", "1", "--layout", "notebook",
                "--set", "n=2", "--set", "grid=[[5, 6], [7, 8]]", "--photo", "course/photos/my photo.jpg")
    assert r.returncode == 0 and "1 rendered, 0 skipped" in r.stdout, r.stdout
    assert json.loads((out / MANIFEST_NAME).read_text())["outputs"][custom]["photos"] == {mine: _sha(photos["jpeg"])}
    assert default.read_bytes() == before

    r = run_cli(tmp_path, "gallery", "--out", str(out))
    page = (out / "index.html").read_text()
    assert r.returncode == 0 and 'id="CliParams@week3"' in page
    assert f"your example: grid = [[5, 6], [7, 8]], n = 2, photo = {mine}</p>" in page
    assert "your example: n = 4</p>" in page and "(notebook path)" not in page


def _sha(path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def _digest(value) -> str:
    import hashlib

    return hashlib.sha256(json.dumps(value).encode()).hexdigest()[:6]


def test_params_file_problems_are_usage_errors(tmp_path):
    toml = tmp_path / "variant.toml"
    toml.write_text('[CliParam]\nn = 1\n[CliParams]\nm = 1\n', encoding="utf-8")
    r = run_cli(tmp_path, "render", "--params", str(toml), "-q", "l", "--out", str(tmp_path / "out"))
    assert r.returncode == 2
    assert _errors(r.stderr) == [
        "error: variant.toml: unknown scene 'CliParam'; did you mean: CliParams?",
        "error: variant.toml: CliParams: unknown parameter 'm' for CliParams; it takes n, grid, photo, label (see "
        "`render.py params CliParams`)"]
    r = run_cli(tmp_path, "render", "--params", str(tmp_path / "nope.toml"), "-q", "l")
    assert r.returncode == 2 and _errors(r.stderr) == [f"error: nope.toml: no such file ({tmp_path / 'nope.toml'})"]


def test_set_needs_named_scenes(params_runner):
    r = params_runner.invoke(render.cli, ["render", "--all", "--set", "n=3"])
    assert r.exit_code == 2 and "--set, --photo and --name apply to the scenes named" in r.output


def _readme_recipe() -> tuple[str, str]:
    """The README's "scene of your own" recipe: its Python file and its command."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    code = re.search(r"```python\n(# my_scenes\.py.*?)```", text, re.S).group(1)
    command = re.search(r"```sh\n(CNNVIZ_EXTRA_SCENES=\S*my_scenes\.py:\S+ [^\n]*)\n```", text).group(1)
    return code, command


def test_readme_recipe_for_a_scene_of_your_own_works_as_written(tmp_path):
    """A module outside the repository, named by its path: no PYTHONPATH, renders her numbers (not the default)."""
    code, command = _readme_recipe()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "my_scenes.py").write_text(code, encoding="utf-8")
    env_part, _, rest = command.partition(" ")
    entry = env_part.split("=", 1)[1].replace("/path/to/my_scenes.py", str(elsewhere / "my_scenes.py"))
    scene = entry.rpartition(":")[2]
    args = rest.split()
    assert args[:3] == [".venv/bin/python", "render.py", "render"] and args[3] == scene
    out = tmp_path / "out"
    env = {"CNNVIZ_EXTRA_SCENES": entry, "PYTHONPATH": ""}
    from cnnviz.registry import load_file_module

    mod = load_file_module("readme_recipe_check", str(elsewhere / "my_scenes.py"))
    base = getattr(mod, scene).__mro__[1].__name__  # the catalog scene it varies
    # her scene and the catalog's, one run: posters (the final picture) are quick
    r = subprocess.run([sys.executable, str(ROOT / "render.py"), *args[2:], base, "--format", "png", "--out", str(out),
                        "-j", "1"], cwd=elsewhere, env={**cli_env(tmp_path), **env}, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    poster = out / "480p15" / f"{scene}.png"
    assert Image.open(poster).size == LOW

    # her numbers, not the notebook's: the data says so, and the picture differs from the catalog scene's
    assert getattr(mod, scene).data().in_shape != getattr(mod, scene).__mro__[1].data().in_shape
    assert (out / "480p15" / f"{base}.png").read_bytes() != poster.read_bytes()


def test_the_old_recipe_is_gone_from_the_readme():
    assert "staticmethod(lambda: data_fn(n=7, f=5))" not in (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("source, message", [
    ("import does_not_exist_anywhere\n", "cannot import scene Mine from {path}: ModuleNotFoundError: No module "
                                         "named 'does_not_exist_anywhere'"),
    ("class Other:\n    pass\n", "{path} defines no class Mine"),
    ("class Mine(:\n", "cannot read {path} (line 1:"),
    (None, "no such file {path}"),
])
def test_a_scene_of_your_own_that_cannot_be_imported_is_a_usage_error(tmp_path, monkeypatch, source, message):
    path = tmp_path / "mine.py"
    if source is not None:
        path.write_text(source if "class Mine" in source or "Other" in source else source + "class Mine:\n    pass\n",
                        encoding="utf-8")
    monkeypatch.setenv("CNNVIZ_EXTRA_SCENES", f"{path}:Mine")
    r = CliRunner().invoke(render.cli, ["render", "Mine", "-q", "l", "--out", str(tmp_path / "out")])
    assert r.exit_code == 2, r.output
    assert message.format(path=path) in r.output
    assert "Traceback" not in r.output and not (tmp_path / "out").exists()
