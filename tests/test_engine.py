"""The render engine: ``render_scene`` on its own, and the reliability of runs on dask.

* a worker SIGKILLed in the middle of a scene: the scene is retried once on a
  live worker; killed again, it is reported failed with a log; the other
  scenes finish; nothing partial is written; each death and retry is told;
* a scene going over the per-worker memory limit is stopped and reported;
* a real cluster (``dask scheduler`` + two ``dask worker --nthreads 1``
  processes on 127.0.0.1) renders two scenes whose decoded frames equal a
  local render's, and every process the test started is stopped.

The scenes are the tiny fixtures of ``tests/fixtures/cli_scenes.py`` at 480p.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cnnviz.engine.worker import RenderJob, render_scene
from helpers import (FIXTURES, LOW, ROOT, DaskProcesses, ProcessWatch, assert_looping_gif, assert_no_junk, cli_env,
                     gif_frames, left_behind)



# ------------------------------------------------------------------------------------------ render_scene


@pytest.fixture()
def fixtures_on_path(monkeypatch):
    monkeypatch.syspath_prepend(str(FIXTURES))


def test_webp_holds_the_lossless_frames_exactly(tmp_path):
    """``video_to_webp``: every frame of the lossless intermediate, pixel for pixel, in order, looping."""
    import av
    import numpy as np
    from PIL import Image

    from cnnviz.engine.webpenc import video_to_webp

    rng = np.random.default_rng(7)
    frames = [rng.integers(0, 256, (48, 64, 3), dtype=np.uint8) for _ in range(5)]
    frames.insert(2, frames[1].copy())  # an unchanged frame lengthens the one before
    src = tmp_path / "in.mov"
    with av.open(str(src), "w") as out:
        stream = out.add_stream("qtrle", rate=15)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "rgb24"
        for arr in frames:
            out.mux(stream.encode(av.VideoFrame.from_ndarray(arr, format="rgb24")))
        out.mux(stream.encode())
    stats = video_to_webp(src, tmp_path / "out.webp")
    im = Image.open(tmp_path / "out.webp")
    assert im.format == "WEBP" and im.is_animated and im.info.get("loop") == 0
    assert stats["frames_in"] == len(frames)
    shown = []  # each source frame, as long as it is shown (in 1/15 s)
    for i in range(im.n_frames):
        im.seek(i)
        shown += [np.asarray(im.convert("RGB"))] * round(im.info["duration"] * 15 / 1000)
    assert len(shown) == len(frames)
    for i, (have, want) in enumerate(zip(shown, frames)):
        assert np.array_equal(have, want), i


def test_render_scene_writes_webp(fixtures_on_path, tmp_path):
    result = render_scene(RenderJob(scene="CliTiny", module="cli_scenes", quality="l", fmt="webp"))
    assert result.status == "ok", result.traceback
    (tmp_path / "tiny.webp").write_bytes(result.data)
    from PIL import Image

    im = Image.open(tmp_path / "tiny.webp")
    assert im.format == "WEBP" and im.size == (854, 480) and im.n_frames == result.stats["frames_in"] >= 9


def test_render_scene_returns_the_finished_file(fixtures_on_path, tmp_path):
    result = render_scene(RenderJob(scene="CliTiny", module="cli_scenes", quality="l", fmt="gif"))
    assert result.status == "ok", result.traceback
    path = tmp_path / "tiny.gif"
    path.write_bytes(result.data)
    assert_looping_gif(path, LOW)
    assert result.peak_rss_mb and result.peak_rss_mb > 50
    assert result.stats["frames_in"] >= 9  # 0.6 s at 15 fps


def test_render_scene_reports_a_failing_scene_as_a_result(fixtures_on_path):
    result = render_scene(RenderJob(scene="CliBroken", module="cli_scenes", quality="l"))
    assert result.status == "failed" and result.data is None
    assert result.error == "RuntimeError: CliBroken fails on purpose"
    assert "Traceback" in result.traceback and "cli_scenes.py" in result.traceback


def test_render_scene_refuses_code_that_differs_from_the_client(fixtures_on_path):
    job = RenderJob(scene="CliTiny", module="cli_scenes", quality="l",
                    expected_files={"cli_scenes": "0" * 64}, versions={"manim": "0.0.1"})
    result = render_scene(job)
    assert result.status == "failed"
    assert "does not run the client's code" in result.error
    assert "cli_scenes differs" in result.error and "manim" in result.error


# ------------------------------------------------------------------------------------------ reliability


def _run(tmp_path: Path, *args: str, **env: str) -> tuple[subprocess.CompletedProcess, set[int]]:
    """Run the CLI; return its result and every process it started."""
    proc = subprocess.Popen([sys.executable, str(ROOT / "render.py"), *args], cwd=tmp_path,
                            env=cli_env(tmp_path, **env), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    watch = ProcessWatch(proc.pid)
    try:
        stdout, stderr = proc.communicate(timeout=300)
    finally:
        seen = watch.stop()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr), seen


def _attempts(kill_dir: Path, scene: str) -> list[tuple[int, int]]:
    """(attempt, pid) of each time ``scene`` started, in order."""
    found = [p.name.split("-") for p in kill_dir.glob(f"{scene}-*")]
    return sorted((int(n), int(pid)) for _, n, pid in found)


def test_killed_worker_retries_once_then_reports(tmp_path):
    out, kills = tmp_path / "out", tmp_path / "kills"
    r, seen = _run(tmp_path, "render", "CliKilledOnce", "CliKilledAlways", "CliQuick", "-q", "l", "-j", "2",
                   "--out", str(out), CLI_KILL_DIR=str(kills))
    assert r.returncode == 1, r.stdout + r.stderr

    # killed once: retried on a live worker (another process), and rendered
    once = _attempts(kills, "CliKilledOnce")
    assert len(once) >= 2 and once[0][1] != once[1][1], once
    assert_looping_gif(out / "480p15" / "CliKilledOnce.gif", LOW)

    # killed every time: tried exactly twice, then reported failed with a log
    always = _attempts(kills, "CliKilledAlways")
    assert [n for n, _ in always] == [0, 1] and always[0][1] != always[1][1], always
    assert not (out / "480p15" / "CliKilledAlways.gif").exists()
    log = (out / "logs" / "CliKilledAlways.log").read_text()
    assert "died on both tries" in log and "KilledWorker" in log
    assert "FAILED CliKilledAlways: the worker rendering it died on both tries" in r.stdout.replace("\n", " ")
    # each death and each retry is told as it happens, one line each
    lines = r.stdout.splitlines()
    for name in ("CliKilledOnce", "CliKilledAlways"):
        assert sum(f"died (killed by a signal, or it crashed) while rendering {name} (try 1): it will be retried "
                   "on another worker" in line for line in lines) == 1, r.stdout
        assert sum(line.startswith(f"retrying {name} on worker ") and line.endswith("(try 2 of 2)")
                   for line in lines) == 1, r.stdout
    assert sum("while rendering CliKilledAlways (try 2): it is not retried again" in line for line in lines) == 1

    # the other scene finished; nothing partial anywhere; no process left
    assert_looping_gif(out / "480p15" / "CliQuick.gif", LOW)
    manifest = json.loads((out / ".cnnviz-manifest.json").read_text())["outputs"]
    assert set(manifest) == {"480p15/CliKilledOnce.gif", "480p15/CliQuick.gif"}
    assert_no_junk(out, tmp_path)
    assert not left_behind(seen), "worker processes left behind"


def test_scene_over_the_memory_limit_is_stopped_and_reported(tmp_path):
    out = tmp_path / "out"
    r, seen = _run(tmp_path, "render", "CliMemoryHog", "CliQuick", "-q", "l", "-j", "2", "--memory-limit", "600MB",
                   "--out", str(out), CLI_HOG_MB="3000")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "FAILED CliMemoryHog: stopped: its worker went over the memory limit" in r.stdout.replace("\n", " ")
    told = [line for line in r.stdout.splitlines() if "while rendering CliMemoryHog" in line]
    assert len(told) == 2 and all("went over the memory limit" in line for line in told), r.stdout
    assert "killed by a signal" not in r.stdout
    log = (out / "logs" / "CliMemoryHog.log").read_text()
    assert "memory limit" in log and "limit 572 MB" in log
    assert not (out / "480p15" / "CliMemoryHog.gif").exists()
    assert_looping_gif(out / "480p15" / "CliQuick.gif", LOW)
    assert_no_junk(out, tmp_path)
    assert not left_behind(seen), "worker processes left behind"


# ------------------------------------------------------------------------------------------ a real cluster


@pytest.fixture()
def real_cluster(tmp_path):
    """``dask scheduler`` and two ``dask worker --nthreads 1`` on 127.0.0.1, each in its own
    process group; all of them (and their children) are stopped afterwards."""
    cluster = DaskProcesses(tmp_path)
    try:
        address, _ = cluster.start_scheduler()
        for i in range(2):
            cluster.start_worker(address, "--name", f"w{i}", name=f"worker{i}")
        from distributed import Client

        with Client(address, timeout="30s", set_as_default=False) as client:
            client.wait_for_workers(2, timeout=90)
        yield address
    finally:
        assert not cluster.stop(), "cluster processes survived the test"


def test_real_cluster_renders_the_same_frames_as_a_local_run(real_cluster, tmp_path):
    scenes = ("CliQuick", "CliTiny")
    remote, local = tmp_path / "remote", tmp_path / "local"
    r, seen = _run(tmp_path, "render", *scenes, "-q", "l", "--cluster", real_cluster, "--out", str(remote))
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"cluster {real_cluster}: 2 workers; dashboard: http://" in r.stdout
    assert not left_behind(seen), "the client left processes behind"
    r = subprocess.run([sys.executable, str(ROOT / "render.py"), "render", *scenes, "-q", "l", "-j", "2",
                        "--out", str(local)], cwd=tmp_path, env=cli_env(tmp_path), capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    for name in scenes:
        a, b = gif_frames(remote / "480p15" / f"{name}.gif"), gif_frames(local / "480p15" / f"{name}.gif")
        assert len(a) > 1 and a == b, name
    manifest = json.loads((remote / ".cnnviz-manifest.json").read_text())["outputs"]
    assert set(manifest) == {f"480p15/{n}.gif" for n in scenes}
    assert_no_junk(remote, tmp_path)
