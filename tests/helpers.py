"""Helpers shared by the CLI and engine tests: run the real CLI, check outputs, watch processes."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
EXTRAS = ",".join(f"cli_scenes:{n}" for n in (
    "CliQuick", "CliBroken", "CliSlow", "CliTiny", "CliKilledOnce", "CliKilledAlways", "CliMemoryHog", "CliParams"))
LOW = (854, 480)


def examples(n: int) -> int:
    """Hypothesis examples per test: ``n`` in CI (a fixed, derandomized set, see ``conftest.py``);
    ``n × CNNVIZ_FUZZ`` random new ones under ``make fuzz``."""
    return n * max(1, int(os.environ.get("CNNVIZ_FUZZ") or 1))


def cli_env(tmp_path: Path, **extra: str) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(FIXTURES), str(ROOT), env.get("PYTHONPATH", "")]))
    env["CNNVIZ_EXTRA_SCENES"] = EXTRAS
    tmp = tmp_path / "tmp"
    tmp.mkdir(exist_ok=True)
    env["TMPDIR"] = str(tmp)  # worker temp dirs land here: the tests can check they are cleaned up
    env.update(extra)
    return env


def run_cli(tmp_path: Path, *args: str, timeout: float = 180, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "render.py"), *args],
        cwd=tmp_path,
        env=cli_env(tmp_path, **extra),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def assert_no_junk(out: Path, tmp_path: Path) -> None:
    parts = [p for p in out.rglob("*") if p.name.endswith((".part", ".tmp"))]
    assert not parts, parts
    left = [p.name for p in (tmp_path / "tmp").iterdir() if p.name.startswith(("cnnviz-work-", "cnnviz-dask-"))]
    assert not left, f"temporary directories left behind: {left}"


def assert_looping_gif(path: Path, size: tuple[int, int]) -> Image.Image:
    im = Image.open(path)
    assert im.format == "GIF" and im.size == size
    assert im.info.get("loop") == 0
    assert im.n_frames > 1
    return im


def gif_frames(path: Path) -> list:
    """Every frame of a GIF as Pillow composes it (RGBA bytes), with its duration."""
    im = Image.open(path)
    frames = []
    for i in range(im.n_frames):
        im.seek(i)
        frames.append((im.convert("RGBA").tobytes(), im.info.get("duration")))
    return frames


# ------------------------------------------------------------------------------------------ processes


def _stat(pid: int) -> tuple[int, str, int] | None:
    """(ppid, state, pgrp) of a live process, or None."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[1]), fields[0], int(fields[2])


def all_pids() -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]


def descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for p in all_pids():
        st = _stat(p)
        if st:
            children.setdefault(st[0], []).append(p)
    found, todo = set(), [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            if c not in found:
                found.add(c)
                todo.append(c)
    return found


def in_groups(pgids: set[int]) -> set[int]:
    return {p for p in all_pids() if (st := _stat(p)) and st[2] in pgids}


def alive(pids) -> list[int]:
    """The pids still running (zombies, which only wait to be reaped, do not count)."""
    return [p for p in pids if (st := _stat(p)) and st[1] != "Z"]


class ProcessWatch:
    """Collects, every 0.1 s, the descendants of a process while it runs."""

    def __init__(self, pid: int):
        self.pid, self.seen = pid, set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.seen |= descendants(self.pid)
            self._stop.wait(0.1)

    def stop(self) -> set[int]:
        self._stop.set()
        self._thread.join()
        return self.seen


def left_behind(pids, grace: float = 5.0) -> list[int]:
    """The pids still running after ``grace`` seconds (multiprocessing's resource tracker takes a
    moment to exit after its parent)."""
    import time

    deadline = time.monotonic() + grace
    while alive(pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return alive(pids)


# ------------------------------------------------------------------------------------------ a real dask cluster


class DaskProcesses:
    """``dask scheduler`` / ``dask worker`` processes on 127.0.0.1 for a test, each in its own process
    group with its log under ``tmp_path/cluster-logs``; :meth:`stop` ends them and all their children."""

    DASK = str(Path(sys.executable).with_name("dask"))

    def __init__(self, tmp_path: Path):
        self.tmp_path, self.env = tmp_path, cli_env(tmp_path)
        self.logs = tmp_path / "cluster-logs"
        self.logs.mkdir()
        self.procs: list[subprocess.Popen] = []

    def start(self, name: str, *args: str) -> subprocess.Popen:
        with open(self.logs / f"{name}.log", "wb") as log:
            self.procs.append(subprocess.Popen([self.DASK, *args], cwd=self.tmp_path, env=self.env, stdout=log,
                                               stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                               start_new_session=True))
        return self.procs[-1]

    def start_scheduler(self, timeout: float = 60) -> tuple[str, subprocess.Popen]:
        """Start the scheduler; return its address (once it has written it) and its process."""
        import json
        import time

        scheduler_file = self.tmp_path / "scheduler.json"
        scheduler = self.start("scheduler", "scheduler", "--host", "127.0.0.1", "--port", "0",
                               "--dashboard-address", "127.0.0.1:0", "--scheduler-file", str(scheduler_file))
        deadline = time.monotonic() + timeout
        while True:
            try:  # the scheduler writes the file while we may read it
                address = json.loads(scheduler_file.read_text()).get("address")
            except (OSError, ValueError):
                address = None
            if address:
                return address, scheduler
            assert scheduler.poll() is None, (self.logs / "scheduler.log").read_text()
            assert time.monotonic() < deadline, "timed out waiting for the scheduler"
            time.sleep(0.1)

    def start_worker(self, address: str, *extra: str, name: str = "worker") -> subprocess.Popen:
        return self.start(name, "worker", address, "--nthreads", "1", "--preload", "cnnviz.engine.worker",
                          "--host", "127.0.0.1", "--no-dashboard", *extra)

    def stop(self) -> list[int]:
        """SIGTERM every process group, SIGKILL what is left after 20 s; the pids that survived even that."""
        import signal
        import time

        groups = {p.pid for p in self.procs}
        members = in_groups(groups)
        for p in self.procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        while alive(members | in_groups(groups)) and time.monotonic() < deadline:
            time.sleep(0.2)
        for pid in alive(members | in_groups(groups)):
            os.kill(pid, signal.SIGKILL)
        for p in self.procs:
            p.wait(timeout=10)
        return alive(members | in_groups(groups))


def read_gif(data: bytes):
    """(frames as RGB or RGBA arrays, durations in ms, info of frame 0) as Pillow composes them."""
    im = Image.open(io.BytesIO(data))
    info = dict(im.info)
    frames, durations = [], []
    for i in range(im.n_frames):
        im.seek(i)
        durations.append(im.info["duration"])
        frames.append(np.asarray(im.convert("RGBA")))
    return frames, durations, info
