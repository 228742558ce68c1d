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


# ---------------------------------------------------------------------------------- rendering


def test_render_real_scene_flat_then_skip_unchanged(tmp_path):
    name = _real_scene()
    out = tmp_path / "out"
    r = run_cli(tmp_path, "render", name, "-q", "l", "--out", str(out), "-j", "2")
    assert r.returncode == 0, r.stdout + r.stderr
    gif = out / "480p15" / f"{name}.gif"
    assert_looping_gif(gif, LOW)
    assert "ok" in r.stdout and name in r.stdout
    assert "local cluster: 1 worker; dashboard: http://" in r.stdout  # one scene: one worker, whatever -j says
    manifest = json.loads((out / MANIFEST_NAME).read_text())
    assert manifest["outputs"][f"480p15/{name}.gif"]["bytes"] == gif.stat().st_size
    assert_no_junk(out, tmp_path)

    before = gif.stat().st_mtime_ns, gif.read_bytes()
    t0 = time.monotonic()
    r2 = run_cli(tmp_path, "render", name, "-q", "l", "--out", str(out))
    elapsed = time.monotonic() - t0
    assert r2.returncode == 0, r2.stdout + r2.stderr
    assert "skipped" in r2.stdout and "1 skipped" in r2.stdout
    assert elapsed < 30, f"the nothing-changed path took {elapsed:.1f}s"  # wall time: only a hang fails
    assert (gif.stat().st_mtime_ns, gif.read_bytes()) == before
    assert "dashboard" not in r2.stdout  # no cluster was started

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
