"""Every scene under the light theme: the layout check, and its opening and summary are pictures.

The scene modules are imported again under the light theme (``cnnviz.theme.scene_under``) and
the layout check's run also captures each beat's held frame (no second run). At the end the
dark theme is restored and the modules are imported again, as the other tests expect.
"""

from __future__ import annotations

import numpy as np
import pytest

from cnnviz import registry, theme
from cnnviz.beats import background_share, frame_now
from cnnviz.layout import check_scene
from layout_known import KNOWN

SPECS = [s for s in registry.CATALOG if registry.is_implemented(s)]
IDS = [s.name for s in SPECS]


@pytest.fixture(scope="module", autouse=True)
def light():
    theme.switch("light")
    yield
    theme.switch("dark")


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_layout_and_frames_in_the_light_theme(spec):
    cls = theme.scene_under(spec.load(), "light")
    frames: list[np.ndarray] = []

    class Captured(cls):  # type: ignore[misc, valid-type]
        def setup(self):
            super().setup()
            self.on_beat = lambda s: frames.append(frame_now(s))

    Captured.__name__ = cls.__name__
    # the rules a scene still breaks in the dark theme (tests/layout_known.py) are tested there, strictly
    problems = [p for p in check_scene(Captured, pacing=(5, 40)) if p.kind not in KNOWN.get(spec.name, ())]
    assert not problems, "\n".join(map(str, problems))
    bg = tuple(int(theme.BACKGROUND[i:i + 2], 16) for i in (1, 3, 5))
    assert bg == (255, 255, 255)
    assert frames and frames[0].mean() > 128  # a white slide
    for which, f in (("opening", frames[0]), ("summary", frames[-1])):
        assert 1 - background_share(f, bg) >= 0.02, f"the {which} is (nearly) empty"
