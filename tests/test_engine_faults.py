"""Issue 19, faults at the edges of the engine: no hang, no traceback, the retry the README promises.

* ``--cluster``: a malformed address (or an empty one) is a usage error before any dask client
  exists; a server that is not a dask scheduler (``python -m http.server``) or a closed port is
  one line and exit 2 within the stated timeout; a scheduler that dies mid-render fails its
  scene with one line, no client-side traceback;
* a signal while the local cluster starts: 130 / 143, no traceback from dask, nothing on disk;
* every exit-2 path leaves ``--out`` as it was (not even an empty folder);
* an unreadable manifest (100,000 nested ``[``, random bytes) is set aside with one line, by
  ``render`` and by ``gallery`` (and left alone by a usage error);
* a scene name too long for a file name is a usage error; ``CNNVIZ_EXTRA_SCENES`` lists a scene once;
* two workers SIGKILLed at once: each scene gets its one real retry, each death and retry is told;
* ``--memory-limit`` below what a worker needs to start is refused up front, naming the minimum;
* control characters in anything echoed are printed escaped.

The cluster cases use a real ``dask scheduler`` and a real non-dask server on 127.0.0.1 only,
on free ports; every process a test starts is stopped.  The tests that render frames are marked
``slow``.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import render
from cnnviz import registry
from cnnviz.engine.execute import MIN_WORKER_MEMORY, parse_address
from cnnviz.engine.manifest import MANIFEST_NAME, Manifest
from cnnviz.files import printable
from helpers import (LOW, ROOT, DaskProcesses, ProcessWatch, assert_looping_gif, assert_no_junk, cli_env, left_behind, run_cli)

#: what must never reach a terminal from a user's string
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _popen(tmp_path: Path, *args: str, **env: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(ROOT / "render.py"), *args], cwd=tmp_path,
                            env=cli_env(tmp_path, **env), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(predicate, timeout: float, what: str, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the CLI ended before {what}: {proc.communicate()}")
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _no_noise(stderr: str) -> None:
    for noise in ("Traceback", "Task exception was never retrieved", "AssertionError", "Exception ignored",
                  "distributed.client - ERROR", "Client.__del__"):
        assert noise not in stderr, stderr


# ------------------------------------------------------------------------------------------ --cluster


MALFORMED = ["not-an-address", "tcp://", "tcp://[::1", "tcp://127.0.0.1:notaport", " ", "", "ucx://127.0.0.1:8786",
             "http://127.0.0.1:8786", "tcp://127.0.0.1:99999", "tcp://127.0.0.1:0", "tcp://::1:8786",
             "tcp://127.0.0.1:8786/path"]


@pytest.mark.parametrize("address", MALFORMED)
def test_a_malformed_cluster_address_is_a_usage_error_at_once(tmp_path, address):
    out = tmp_path / "out"
    t0 = time.monotonic()
    r = run_cli(tmp_path, "render", "CliQuick", "-q", "l", "--out", str(out), "--cluster", address, timeout=60)
    elapsed = time.monotonic() - t0
    assert r.returncode == 2, r.stdout + r.stderr
    assert "Invalid value for '--cluster'" in r.stderr and "tcp://HOST" not in r.stdout
    assert elapsed < 15, f"{elapsed:.1f}s"  # no client was made: no 10 s connect, no 20 s close in Client.__del__
    _no_noise(r.stderr)
    assert "local cluster" not in r.stdout and not out.exists()
    if address.endswith(":99999"):
        assert "port 99999 is out of range" in r.stderr


def test_cluster_addresses_are_parsed_strictly():
    assert parse_address("tcp://127.0.0.1:8786") == "tcp://127.0.0.1:8786"
    assert parse_address(" 127.0.0.1:8786 ") == "tcp://127.0.0.1:8786"
    assert parse_address("tcp://scheduler.lan") == "tcp://scheduler.lan:8786"
    assert parse_address("TCP://[::1]:9000") == "tcp://[::1]:9000"
    for bad in MALFORMED + ["tcp://a b:1", "tcp://\x1b[2J:1", "tcp://h:", "tcp://[::1]x", "tcp://-bad-:1"]:
        with pytest.raises(ValueError):
            parse_address(bad)


@pytest.fixture()
def http_server(tmp_path):
    """``python -m http.server`` on a free port of 127.0.0.1 (not a dask scheduler)."""
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    try:
        def accepts() -> bool:
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", port)) == 0
        _wait_for(accepts, 30, "the HTTP server")
        yield f"tcp://127.0.0.1:{port}"
    finally:
        proc.kill()
        proc.wait(timeout=10)


def test_a_server_that_is_not_dask_is_one_line_and_exit_2_within_the_timeout(tmp_path, http_server):
    out = tmp_path / "out"
    t0 = time.monotonic()
    r = run_cli(tmp_path, "render", "CliQuick", "-q", "l", "--out", str(out), "--cluster", http_server, timeout=90)
    elapsed = time.monotonic() - t0
    assert r.returncode == 2, r.stdout + r.stderr
    assert r.stdout.strip() == (f"error: {http_server} is not a dask scheduler: something answers there, but not "
                                "dask's handshake within 10 s"), r.stdout
    assert elapsed < 60, f"{elapsed:.1f}s"  # it hung for good before
    _no_noise(r.stderr)
    assert not out.exists()  # a usage error changes nothing on disk


def test_a_closed_port_is_one_line_and_exit_2_and_changes_nothing(tmp_path):
    out = tmp_path / "deep" / "out"
    address = f"tcp://127.0.0.1:{_free_port()}"
    r = run_cli(tmp_path, "render", "CliQuick", "-q", "l", "--out", str(out), "--cluster", address, timeout=90)
    assert r.returncode == 2, r.stdout + r.stderr
    assert f"cannot reach the dask scheduler at {address}: connection refused" in r.stdout
    _no_noise(r.stderr)
    assert not (tmp_path / "deep").exists()


@pytest.fixture()
def dying_scheduler(tmp_path):
    """A ``dask scheduler`` and one ``dask worker`` on 127.0.0.1, each in its own process group;
    yields (address, scheduler process); everything is stopped afterwards."""
    cluster = DaskProcesses(tmp_path)
    try:
        address, scheduler = cluster.start_scheduler()
        cluster.start_worker(address)
        yield address, scheduler
    finally:
        cluster.stop()


def test_a_scheduler_dying_mid_render_is_one_clear_line(tmp_path, dying_scheduler):
    address, scheduler = dying_scheduler
    out = tmp_path / "out"
    proc = _popen(tmp_path, "render", "CliSlow", "-q", "l", "--out", str(out), "--cluster", address,
                  CLI_SLOW_SECONDS="120")
    watch = ProcessWatch(proc.pid)
    try:
        work = tmp_path / "tmp"
        _wait_for(lambda: list(work.glob("cnnviz-work-*-CliSlow-*/media")), 120, "CliSlow to start", proc)
        os.killpg(scheduler.pid, signal.SIGKILL)
        stdout, stderr = proc.communicate(timeout=90)
    finally:
        seen = watch.stop()
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 1, stdout + stderr
    failed = [line for line in stdout.splitlines() if line.startswith("FAILED")]
    assert len(failed) == 1 and failed[0].startswith(
        f"FAILED CliSlow: the connection to the dask scheduler at {address} was lost"), stdout
    _no_noise(stderr)
    assert "worker traceback" not in stderr, stderr
    assert "Traceback" in (out / "logs" / "CliSlow.log").read_text()  # the details are in the log
    assert not left_behind(seen), "the client left processes behind"


# ------------------------------------------------------------------------------------------ signals at start


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_while_the_local_cluster_starts(tmp_path, sig, code):
    out = tmp_path / "out"
    mark = tmp_path / "nanny-started"
    # a nanny preload that blocks 2 s: the signal lands while the cluster starts, whatever the machine's speed
    proc = _popen(tmp_path, "render", "CliQuick", "-q", "l", "-j", "1", "--out", str(out),
                  DASK_DISTRIBUTED__NANNY__PRELOAD='["slow_nanny"]', CLI_NANNY_MARK=str(mark), CLI_NANNY_SLEEP="2")
    watch = ProcessWatch(proc.pid)
    try:
        _wait_for(mark.exists, 120, "the local cluster to start", proc)
        time.sleep(0.2)
        proc.send_signal(sig)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        seen = watch.stop()
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == code, stdout + stderr
    assert "interrupted" in stdout and "could not start" not in stdout, stdout
    _no_noise(stderr)
    assert not out.exists()  # nothing was rendered: nothing on disk either
    assert not left_behind(seen), "worker processes survived"
    assert not [p for p in (tmp_path / "tmp").iterdir() if p.name.startswith("cnnviz-dask-")]


# ------------------------------------------------------------------------------------------ manifests

NESTED = "[" * 100_000 + "]" * 100_000


def _random_bytes() -> bytes:
    import random

    data = bytes(random.Random(19).randrange(256) for _ in range(2048))
    assert not data.startswith(b"{")
    return data


def _damage(out: Path, payload: str) -> bytes:
    out.mkdir(parents=True, exist_ok=True)
    data = NESTED.encode() if payload == "nested" else _random_bytes()
    (out / MANIFEST_NAME).write_bytes(data)
    return data


def _set_aside(out: Path) -> list[Path]:
    return sorted(out.glob(".cnnviz-manifest.unreadable-*.json"))


@pytest.mark.parametrize("payload", ["nested", "random"])
def test_an_unreadable_manifest_is_read_as_empty_and_set_aside(tmp_path, payload):
    data = _damage(tmp_path, payload)
    m = Manifest(tmp_path)
    assert m.entries == {} and m.problem
    line = m.set_aside()
    assert "set aside as .cnnviz-manifest.unreadable-" in line and "\n" not in line
    [aside] = _set_aside(tmp_path)
    assert aside.read_bytes() == data and not (tmp_path / MANIFEST_NAME).exists()
    assert Manifest(tmp_path).set_aside() == ""  # nothing left to set aside
    m.record("480p15/A.gif", {"scene": "A", "key": "k", "bytes": 1})
    m.save()
    assert set(Manifest(tmp_path).entries) == {"480p15/A.gif"}


@pytest.mark.parametrize("payload", ["nested", "random"])
def test_gallery_sets_an_unreadable_manifest_aside_with_one_line(tmp_path, payload):
    out = tmp_path / "out"
    data = _damage(out, payload)
    r = run_cli(tmp_path, "gallery", "--out", str(out), timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert [line for line in r.stderr.splitlines() if "set aside" in line] == [r.stderr.strip()], r.stderr
    _no_noise(r.stderr)
    [aside] = _set_aside(out)
    assert aside.read_bytes() == data


def test_render_reads_a_deeply_nested_manifest_and_a_usage_error_leaves_it_alone(tmp_path):
    out = tmp_path / "out"
    data = _damage(out, "nested")  # a RecursionError before
    address = f"tcp://127.0.0.1:{_free_port()}"  # planning reads the manifest, then the cluster is not there
    r = run_cli(tmp_path, "render", "CliTiny", "-q", "l", "--out", str(out), "--cluster", address, timeout=90)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "cannot reach the dask scheduler" in r.stdout and "set aside" not in r.stdout
    _no_noise(r.stderr)
    assert (out / MANIFEST_NAME).read_bytes() == data and not _set_aside(out)  # a usage error changes nothing


@pytest.mark.slow
def test_render_sets_an_unreadable_manifest_aside_with_one_line(tmp_path):
    out = tmp_path / "out"
    data = _damage(out, "random")  # 2 KB of random bytes were replaced silently before
    r = run_cli(tmp_path, "render", "CliTiny", "-q", "l", "--out", str(out), "-j", "1")
    assert r.returncode == 0, r.stdout + r.stderr
    said = [line for line in r.stdout.splitlines() if "set aside" in line]
    assert len(said) == 1 and "render again" in r.stdout.replace("\n", " "), r.stdout
    _no_noise(r.stderr)
    [aside] = _set_aside(out)
    assert aside.read_bytes() == data  # never replaced silently
    assert set(json.loads((out / MANIFEST_NAME).read_text())["outputs"]) == {"480p15/CliTiny.gif"}
    assert_looping_gif(out / "480p15" / "CliTiny.gif", LOW)


# ------------------------------------------------------------------------------------------ names


def test_a_scene_name_too_long_for_a_file_name_is_a_usage_error(tmp_path):
    name = "A" * 5000
    out = tmp_path / "out"
    r = run_cli(tmp_path, "render", name, "-q", "l", "--out", str(out), timeout=60,
                CNNVIZ_EXTRA_SCENES=f"cli_scenes:{name}")
    assert r.returncode == 2, r.stdout + r.stderr
    assert f"at most {registry.MAX_NAME_BYTES}" in r.stderr and "5,000 bytes" in r.stderr
    assert len(r.stderr) < 2000  # the name is not echoed in full
    _no_noise(r.stderr)
    assert not out.exists()


def test_scene_name_bounds_and_duplicates(monkeypatch):
    longest = "S" * registry.MAX_NAME_BYTES
    monkeypatch.setenv("CNNVIZ_EXTRA_SCENES", f"cli_scenes:{longest}")
    assert [s.name for s in registry.extra_specs()] == [longest]
    monkeypatch.setenv("CNNVIZ_EXTRA_SCENES", f"cli_scenes:{longest}x")
    with pytest.raises(ValueError, match="at most"):
        registry.extra_specs()
    monkeypatch.setenv("CNNVIZ_EXTRA_SCENES", "cli_scenes:" + "é" * (registry.MAX_NAME_BYTES // 2 + 1))  # 2 bytes each
    with pytest.raises(ValueError, match="bytes long"):
        registry.extra_specs()
    monkeypatch.setenv("CNNVIZ_EXTRA_SCENES", "cli_scenes:CliQuick,cli_scenes:CliQuick, cli_scenes:CliTiny")
    assert [s.name for s in registry.extra_specs()] == ["CliQuick", "CliTiny"]
    monkeypatch.setenv("CNNVIZ_EXTRA_SCENES", "cli_scenes:CliQuick,other_module:CliQuick")
    with pytest.raises(ValueError, match="already the scene of cli_scenes"):
        registry.extra_specs()
    monkeypatch.setenv("CNNVIZ_EXTRA_SCENES", "my_module:MiniBatchTraining")
    with pytest.raises(ValueError, match="already the scene of scenes.ch3_training"):
        registry.extra_specs()


def test_a_scene_given_twice_in_the_environment_is_listed_once(monkeypatch):
    monkeypatch.setenv("CNNVIZ_EXTRA_SCENES", "cli_scenes:CliQuick,cli_scenes:CliQuick")
    result = CliRunner().invoke(render.cli, ["list"])
    assert result.exit_code == 0, result.output
    assert [line.split("\t")[0] for line in result.output.splitlines()].count("CliQuick") == 1


# ------------------------------------------------------------------------------------------ the retry


@pytest.mark.slow
def test_both_workers_killed_at_once_each_scene_gets_its_one_retry(tmp_path):
    out, kills = tmp_path / "out", tmp_path / "kills"
    proc = _popen(tmp_path, "render", "CliHeldA", "CliHeldB", "-q", "l", "-j", "2", "--out", str(out),
                  CLI_KILL_DIR=str(kills), CNNVIZ_EXTRA_SCENES="cli_scenes:CliHeldA,cli_scenes:CliHeldB")
    watch = ProcessWatch(proc.pid)
    try:
        first = lambda: [p for p in kills.glob("*-0-*")] if kills.is_dir() else []  # noqa: E731
        _wait_for(lambda: len(first()) == 2, 180, "both scenes to start", proc)
        pids = {int(p.name.rsplit("-", 1)[1]) for p in first()}
        assert len(pids) == 2, first()
        for pid in pids:  # both at once
            os.kill(pid, signal.SIGKILL)
        stdout, stderr = proc.communicate(timeout=180)
    finally:
        seen = watch.stop()
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, stdout + stderr
    lines = stdout.splitlines()
    for name in ("CliHeldA", "CliHeldB"):
        tries = sorted(p.name for p in kills.glob(f"{name}-*"))
        assert [t.split("-")[1] for t in tries] == ["0", "1"], tries  # started twice: the one real retry
        assert_looping_gif(out / "480p15" / f"{name}.gif", LOW)
        died = [i for i, line in enumerate(lines) if re.search(
            rf"^worker \S+ \(pid \d+\) died \(killed by a signal, or it crashed\) while rendering {name} \(try 1\): "
            "it will be retried on another worker$", line)]
        retry = [i for i, line in enumerate(lines)
                 if re.search(rf"^retrying {name} on worker \S+ \(try 2 of 2\)$", line)]
        done = [i for i, line in enumerate(lines) if re.search(rf"^\[\d/2\] ok +{name} ", line)]
        assert len(died) == 1 and len(retry) == 1 and len(done) == 1, stdout
        assert died[0] < retry[0] < done[0], stdout  # told as it happened
    _no_noise(stderr)
    assert_no_junk(out, tmp_path)
    assert not left_behind(seen), "worker processes left behind"


def test_a_memory_limit_a_worker_cannot_start_under_is_refused_up_front(tmp_path):
    out = tmp_path / "out"
    for limit in ("50MiB", "0.000001"):
        proc = _popen(tmp_path, "render", "CliQuick", "-q", "l", "-j", "1", "--memory-limit", limit, "--out", str(out))
        watch = ProcessWatch(proc.pid)
        try:
            stdout, stderr = proc.communicate(timeout=60)
        finally:
            seen = watch.stop()
        assert proc.returncode == 2, stdout + stderr
        assert "Invalid value for '--memory-limit'" in stderr and "below what a worker needs to start" in stderr
        assert f"at least {MIN_WORKER_MEMORY // 2**20} MiB" in stderr and "about 65 MB" in stderr, stderr
        assert not seen, "a worker process was started"
        assert not out.exists()
    for bad in ("lots", "-1GB", "nan"):
        r = run_cli(tmp_path, "render", "CliQuick", "-q", "l", "--memory-limit", bad, "--out", str(out), timeout=60)
        assert r.returncode == 2 and "not a size" in r.stderr, r.stdout + r.stderr
        assert not out.exists()


# ------------------------------------------------------------------------------------------ output hygiene

HOSTILE = "\x1b]0;HACKED-TITLE\x07\x1b[2J\x1b[31mred\u202eevil\nFAKE LINE\r"


@pytest.mark.parametrize("args", [
    ["render", HOSTILE],
    ["render", "CliQuick", "--memory-limit", HOSTILE],
    ["render", "CliQuick", "--cluster", f"tcp://{HOSTILE}:1"],
    ["render", "CliQuick", f"--bogus{HOSTILE}"],
    ["render", "CliQuick", "-q", "l", "--out", f"afile/{HOSTILE}"],
    ["render", "CliQuick", "--format", HOSTILE],
    ["gallery", "--out", f"missing{HOSTILE}"],
])
def test_control_characters_in_echoed_strings_are_escaped(tmp_path, monkeypatch, args):
    monkeypatch.setenv("CNNVIZ_EXTRA_SCENES", "cli_scenes:CliQuick")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("a regular file")
    result = CliRunner().invoke(render.cli, args)
    assert result.exit_code == 2, result.output
    assert not RAW_CONTROL.search(result.output), repr(result.output)
    assert "\\x1b" in result.output, result.output
    error = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert len(error) == 1 and "FAKE LINE" not in result.output.replace(error[0], ""), result.output
    assert not (tmp_path / "media").exists()


def test_printable_escapes_controls_and_bounds_length():
    assert printable("a\x1b[2Jb\nc\u202ed\u2028e\x7f") == "a\\x1b[2Jb\\nc\\u202ed\\u2028e\\x7f"
    assert printable("naïve café ✓") == "naïve café ✓"
    assert printable("x" * 1000, limit=10) == "xxxxxxxxxx… (1,000 characters)"
