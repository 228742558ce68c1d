"""Scenes render with plain Manim too (`manim -ql scenes/<module>.py <Scene>`), without LaTeX."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_plain_manim_renders_last_frame(tmp_path):
    env = {**os.environ, "PATH": os.path.dirname(sys.executable) + os.pathsep + "/usr/bin:/bin"}
    cmd = [sys.executable, "-m", "manim", "render", "-ql", "-s", "--disable_caching", "--progress_bar", "none",
           "--media_dir", str(tmp_path), "scenes/ch2_numeric.py", "ConvExampleExplainedClean"]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    pngs = list(tmp_path.rglob("ConvExampleExplainedClean*.png"))
    assert len(pngs) == 1, proc.stdout[-2000:]
    im = np.asarray(Image.open(pngs[0]).convert("RGB"))
    assert im.shape == (480, 854, 3)
    # a poster: the final picture (the full output map), not the fade-out that closes the GIF loop
    background = np.array([0x11, 0x14, 0x1B])
    assert (np.abs(im.astype(int) - background).sum(axis=2) > 30).mean() > 0.03
