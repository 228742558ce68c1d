"""Issue 10, the CLI and the outputs: bad inputs get a clear error, and nothing is ever silently wrong.

* an unusable ``--out`` (under a regular file, not writable, read-only) is a
  usage error naming the directory, before anything renders;
* a disk that fills up mid-run fails the affected scenes with a clear line,
  and a log that cannot be written does not abort the run (a tiny tmpfs in a
  private mount namespace: needs root and ``unshare``, else skipped);
* a manifest with wrong inner types: bad entries are ignored one by one;
* two runs saving one manifest keep each other's entries;
* an output overwritten in place (same size, same mtime) is rendered again;
* stale ``.part`` files and ``cnnviz-work-*`` directories of dead processes are
  removed by the next run, whatever it renders;
* name suggestions come only from scenes that can be rendered;
* a test-only scene name that is not a Python identifier is refused.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

import render
from cnnviz import registry
from cnnviz.engine.manifest import MANIFEST_NAME, Manifest
from helpers import LOW, ROOT, assert_looping_gif, assert_no_junk, cli_env, run_cli


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


# ------------------------------------------------------------------------------------------ --out


def test_out_under_a_regular_file_is_a_usage_error(tmp_path):
    (tmp_path / "somefile").write_text("not a directory")
    r = run_cli(tmp_path, "render", "CliQuick", "-q", "l", "--out", "somefile/sub")
    assert r.returncode == 2, r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    assert "somefile" in r.stderr and "not a directory" in r.stderr
    assert "local cluster" not in r.stdout  # checked before anything starts


def _can_run_as_nobody() -> bool:
    return os.geteuid() == 0 and shutil.which("setpriv") is not None


def test_out_without_write_permission_is_a_usage_error(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    if os.geteuid() == 0:
        if not _can_run_as_nobody():
            pytest.skip("root ignores permissions and setpriv is missing to drop them")
        # root ignores permissions: run the CLI as nobody, in a directory nobody can read
        work = Path(os.environ.get("TMPDIR", "/tmp")) / f"cnnviz-perm-{os.getpid()}"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(mode=0o755)
        try:
            os.chmod(work, 0o755)
            locked = work / "locked"
            locked.mkdir(mode=0o755)  # owned by root: not writable for nobody
            env = cli_env(tmp_path)
            env["TMPDIR"] = str(work)
            env["HOME"] = str(work)
            r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable,
                                str(ROOT / "render.py"), "render", "CliQuick", "-q", "l", "--out", str(locked / "media")],
                               cwd=work, env=env, capture_output=True, text=True, timeout=120)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    else:
        locked.chmod(0o500)
        try:
            r = run_cli(tmp_path, "render", "CliQuick", "-q", "l", "--out", str(locked / "media"))
        finally:
            locked.chmod(0o700)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    assert "locked" in r.stderr and "not writable" in r.stderr


def _unshare_ok() -> bool:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode == 0


needs_mount = pytest.mark.skipif(not _unshare_ok(), reason="needs root and `unshare -m` to mount a small tmpfs")


def _in_private_tmpfs(tmp_path: Path, size: str, options: str, *cli_args: str) -> subprocess.CompletedProcess:
    """Mount a tmpfs at tmp_path/fs in a private mount namespace, run the CLI with --out there,
    then list what is left in it (after a line ==LISTING==)."""
    fs = tmp_path / "fs"
    fs.mkdir()
    script = textwrap.dedent(f"""
        set -e
        mount -t tmpfs -o size={size}{',' + options if options else ''} tmpfs {fs}
        set +e
        "$@"
        code=$?
        echo ==LISTING==
        find {fs} -mindepth 1 -printf '%P\\n'
        exit $code
    """)
    return subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh",
                           sys.executable, str(ROOT / "render.py"), *cli_args, "--out", str(fs / "out")],
                          cwd=tmp_path, env=cli_env(tmp_path), capture_output=True, text=True, timeout=240)


@needs_mount
def test_read_only_out_is_a_usage_error(tmp_path):
    r = _in_private_tmpfs(tmp_path, "1m", "ro", "render", "CliQuick", "-q", "l")
    assert r.returncode == 2, r.stdout + r.stderr
    assert "Traceback" not in r.stderr and "not writable" in r.stderr and "fs/out" in r.stderr


@needs_mount
def test_disk_full_fails_the_affected_scenes_and_the_run_goes_on(tmp_path):
    # one 4 KB page: room for one log, not for a GIF (CliQuick ≈ 9 KB, CliTiny ≈ 14 KB) nor a second log
    r = _in_private_tmpfs(tmp_path, "4k", "", "render", "CliQuick", "CliTiny", "-q", "l", "-j", "2")
    out, listing = r.stdout.split("==LISTING==")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "Traceback" not in r.stderr, r.stderr
    summary = out.replace("\n", " ")
    for name in ("CliQuick", "CliTiny"):
        assert f"FAILED {name}: cannot write" in summary and "No space left on device" in summary, out
    assert "2 failed" in out
    assert summary.count("its log could not be written ([Errno 28] No space left on device)") == 1, out
    assert not [p for p in listing.split() if p.endswith(".part")], listing


# ------------------------------------------------------------------------------------------ manifest


def _render_quick(tmp_path: Path, *extra: str) -> tuple[subprocess.CompletedProcess, Path]:
    out = tmp_path / "out"
    r = run_cli(tmp_path, "render", "CliQuick", "-q", "l", "--out", str(out), *extra)
    return r, out


BAD_ENTRIES = {
    "480p15/Number.gif": 5,
    "480p15/String.gif": "a string",
    "480p15/List.gif": [1, 2],
    "480p15/BadBytes.gif": {"scene": "CliTiny", "key": "k", "bytes": "12"},
    "480p15/BadKey.gif": {"scene": "CliTiny", "key": 12, "bytes": 12},
    "480p15/BadSeconds.gif": {"scene": "CliQuick", "key": "k", "bytes": 1, "seconds": "slow"},
    "480p15/BadQuality.gif": {"scene": "CliQuick", "key": "k", "bytes": 1, "quality": ["l"], "chapter": "x"},
    "480p15/NoScene.gif": {"key": "k", "bytes": 1},
}


def test_manifest_entries_of_the_wrong_type_are_ignored_one_by_one(tmp_path):
    r, out = _render_quick(tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    path = out / MANIFEST_NAME
    data = json.loads(path.read_text())
    good = data["outputs"]["480p15/CliQuick.gif"]
    data["outputs"].update(BAD_ENTRIES)
    path.write_text(json.dumps(data))

    m = Manifest(out)
    assert set(m.entries) == {"480p15/CliQuick.gif"}
    assert m.entries["480p15/CliQuick.gif"]["key"] == good["key"]

    r = run_cli(tmp_path, "render", "CliQuick", "-q", "l", "--out", str(out))
    assert r.returncode == 0 and "1 skipped" in r.stdout, r.stdout + r.stderr  # the good entry still counts
    r = run_cli(tmp_path, "render", "CliQuick", "-q", "l", "--out", str(out), "--force")
    assert r.returncode == 0 and "1 rendered" in r.stdout, r.stdout + r.stderr
    r = run_cli(tmp_path, "gallery", "--out", str(out))
    assert r.returncode == 0 and "1 scene" in r.stdout, r.stdout + r.stderr

    for outputs in ([], {"a": None}, "x"):  # wrong types at the top
        path.write_text(json.dumps({"version": 1, "outputs": outputs}))
        assert Manifest(out).entries == {}
    path.write_text(json.dumps([1, 2]))
    assert Manifest(out).entries == {}


def test_two_runs_saving_one_manifest_keep_each_others_entries(tmp_path):
    entry = {"scene": "A", "key": "k", "bytes": 1}
    first, second = Manifest(tmp_path), Manifest(tmp_path)  # two runs that started together
    first.record("480p15/A.gif", entry)
    first.save()
    second.record("480p15/B.gif", {**entry, "scene": "B"})
    second.save()
    first.record("480p15/C.gif", {**entry, "scene": "C"})
    first.save()
    assert set(Manifest(tmp_path).entries) == {"480p15/A.gif", "480p15/B.gif", "480p15/C.gif"}
    assert not list(tmp_path.glob("*.tmp"))


def test_output_overwritten_in_place_is_rendered_again(tmp_path):
    r, out = _render_quick(tmp_path)
    assert r.returncode == 0, r.stderr
    gif = out / "480p15" / "CliQuick.gif"
    good = gif.read_bytes()
    st = gif.stat()
    with open(gif, "r+b") as fh:  # the same size, a damaged middle, the old timestamps
        fh.seek(len(good) // 2)
        fh.write(b"\0" * 64)
    os.utime(gif, ns=(st.st_atime_ns, st.st_mtime_ns))
    r = run_cli(tmp_path, "render", "CliQuick", "-q", "l", "--out", str(out))
    assert r.returncode == 0 and "1 rendered" in r.stdout, r.stdout + r.stderr
    assert gif.read_bytes() == good


def test_stale_parts_and_work_dirs_are_cleaned_by_the_next_run(tmp_path):
    r, out = _render_quick(tmp_path)
    assert r.returncode == 0, r.stderr
    dead, live = _dead_pid(), os.getpid()
    stale = [out / "480p15" / f".CliQuick.gif.{dead}.part", out / "media" / "deep" / f".Other.gif.{dead}.part"]
    for p in stale:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"partial")
    kept = out / "480p15" / f".CliQuick.gif.{live}.part"  # a run still going: left alone
    kept.write_bytes(b"in progress")
    tmp = tmp_path / "tmp"
    stale_dirs = [tmp / f"cnnviz-work-{dead}-CliQuick-abc", tmp / f"cnnviz-dask-{dead}-xyz"]
    for d in stale_dirs:
        (d / "media").mkdir(parents=True)
    kept_dir = tmp / f"cnnviz-work-{live}-CliQuick-def"
    kept_dir.mkdir()

    r = run_cli(tmp_path, "render", "CliQuick", "-q", "l", "--out", str(out))  # renders nothing
    assert r.returncode == 0 and "1 skipped" in r.stdout, r.stdout + r.stderr
    assert not [p for p in stale if p.exists()]
    assert not [d for d in stale_dirs if d.exists()]
    assert kept.exists() and kept_dir.exists()
    kept.unlink()
    kept_dir.rmdir()
    assert_no_junk(out, tmp_path)


# ------------------------------------------------------------------------------------------ names


@pytest.fixture()
def runner(monkeypatch):
    monkeypatch.setenv("CNNVIZ_EXTRA_SCENES", "cli_scenes:CliQuick")
    return CliRunner()


def test_suggestions_come_only_from_renderable_scenes(runner, monkeypatch):
    # the catalog is complete: pretend two scenes are still only planned
    real = registry.is_implemented
    monkeypatch.setattr(registry, "is_implemented", lambda spec: spec.name not in ("Dropout", "STRATEGIE2") and real(spec))
    planned = [s.name for s in registry.CATALOG if not registry.is_implemented(s)]
    assert planned == ["STRATEGIE2", "Dropout"]
    renderable = {s.name for s in registry.all_specs()}
    for name in planned[:5]:
        typo = name[:-1]
        result = runner.invoke(render.cli, ["render", typo])
        assert result.exit_code == 2, result.output
        assert f"unknown scene '{typo}'" in result.output
        if "did you mean:" in result.output:
            suggested = result.output.split("did you mean:")[1].split("?")[0].replace(",", " ").split()
            assert set(suggested) <= renderable, (typo, suggested)
    result = runner.invoke(render.cli, ["render", "CliQuik"])
    assert "did you mean: CliQuick" in result.output


@pytest.mark.parametrize("extra", ["cli_scenes:Not-AName", "cli_scenes:../../etc", "bad module:CliQuick",
                                   "cli_scenes:CliQuick:x", "cli_scenes:1abc", "cli_scenes:class"])
def test_extra_scene_names_must_be_python_identifiers(tmp_path, extra):
    name = extra.split(":", 1)[1]
    r = run_cli(tmp_path, "render", name, "-q", "l", "--out", str(tmp_path / "out"), CNNVIZ_EXTRA_SCENES=extra)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    assert "CNNVIZ_EXTRA_SCENES" in r.stderr and "identifier" in r.stderr
    assert not (tmp_path / "out").exists()
    r = run_cli(tmp_path, "list", CNNVIZ_EXTRA_SCENES=extra)
    assert r.returncode == 2 and "identifier" in r.stderr, r.stdout + r.stderr


def test_paths_and_names_are_printed_literally(tmp_path):
    """Rich markup and emoji codes in a user's path must be printed as they are."""
    out = tmp_path / "media[/x]:x:"
    r = run_cli(tmp_path, "render", "CliQuick", "-q", "l", "--out", str(out))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "media[/x]:x:" in r.stdout.replace("\n", "")
    assert_looping_gif(out / "480p15" / "CliQuick.gif", LOW)
