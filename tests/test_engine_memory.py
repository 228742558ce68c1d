"""A 1080p60 render holds a few frames, whatever the clip's length (issue 18: the stand-in for 4K that CI affords).

``CliLong`` (tests/fixtures/cli_scenes.py) plays 10 s: 600 frames at 1080p60, 8.3 MB each as RGBA, so a
pipeline that kept them would need about 5 GB. Each format is rendered by ``render_scene`` in a fresh
process (nothing else in its memory), and the scene's peak resident memory, as the worker measures and
reports it, stays under ``BOUND_MB``. Measured on the project's machine: 435 MB for the MP4 (x264 without
look-ahead at this size), 389 MB for the GIF.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from helpers import FIXTURES, ROOT

BOUND_MB = 700  # Python + Manim + the encoder + a few frames; the 600 frames held would be ≈ 5,000 MB

_CHILD = """
import json, sys
from cnnviz.engine.worker import RenderJob, render_scene
r = render_scene(RenderJob(scene="CliLong", module="cli_scenes", quality="h", fmt=sys.argv[1]))
print(json.dumps({"status": r.status, "error": r.error, "peak": r.peak_rss_mb, "bytes": len(r.data or b""),
                  "frames": (r.stats or {}).get("frames_in")}))
"""


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["mp4", "gif"])
def test_a_1080p60_render_holds_a_few_frames(fmt):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(FIXTURES), str(ROOT)]))
    done = subprocess.run([sys.executable, "-c", _CHILD, fmt], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    r = json.loads(done.stdout.strip().splitlines()[-1])
    assert r["status"] == "ok", r["error"]
    assert r["bytes"] > 10_000
    if fmt == "gif":
        assert r["frames"] == 600  # the whole clip went through the writer
    assert r["peak"] is not None and 50 < r["peak"] <= BOUND_MB, f"{fmt}: peak {r['peak']} MB > {BOUND_MB} MB"
