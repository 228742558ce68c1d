"""Every scene's beats: the opening picture, the summary, the notes (no video rendered: cnnviz.beats).

A real render starts on the first beat's held frame and ends on the last one; these tests check
every scene's held frames at 480p without encoding anything (about a second a scene), and
``test_real_render_starts_and_ends_on_held_frames`` checks against real GIF/MP4 renders.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from cnnviz import registry
from cnnviz.beats import background_share, held_frames

from notes_known import NOTES_MISSING

SPECS = [s for s in registry.CATALOG if registry.is_implemented(s)]
IDS = [s.name for s in SPECS]
#: at least this share of a frame's pixels differs from the background colour (a title alone is about 1 %)
MIN_DRAWN = 0.02


@functools.lru_cache(maxsize=None)
def _held(name: str):
    return held_frames(registry.get(name).load(), quality="l")


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_first_and_last_frames_are_pictures(spec):
    h = _held(spec.name)
    assert h.frames, f"{spec.name} has no beat"
    first, last = h.frames[0], h.frames[-1]
    assert 1 - background_share(first, h.background) >= MIN_DRAWN, "the opening picture is (nearly) empty"
    assert 1 - background_share(last, h.background) >= MIN_DRAWN, "the summary is (nearly) empty"
    # nothing plays after the last beat: the video's last frame is the last beat's held frame
    assert np.array_equal(h.end, last), "something changes the picture after the last beat"
    assert h.opening_time is not None and h.seconds > 0


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_every_beat_has_a_note(spec, request):
    if spec.name in NOTES_MISSING:
        request.applymarker(pytest.mark.xfail(strict=True, reason="notes not written yet (tests/notes_known.py)"))
    h = _held(spec.name)
    empty = [k + 1 for k, note in enumerate(h.notes) if not note.strip()]
    assert not empty, f"beats without a note: {empty} of {len(h.notes)}"


def test_notes_known_lists_only_catalog_scenes():
    assert NOTES_MISSING <= {s.name for s in registry.CATALOG}


def test_must_show_defaults_to_nothing():
    from cnnviz.drawings import CnnvizScene

    assert CnnvizScene.must_show(CnnvizScene.__new__(CnnvizScene), None) == []


def test_a_beat_note_must_be_text():
    from manim import FadeIn, tempconfig

    from cnnviz.drawings import CnnvizScene, label

    class OldStyle(CnnvizScene):
        def construct(self):
            self.play(FadeIn(label("x")))
            self.beat(0.5)  # the hold given where the note goes

    with tempconfig({"dry_run": True, "disable_caching": True, "verbosity": "ERROR", "progress_bar": "none"}):
        with pytest.raises(TypeError, match=r"beat\(hold=0.5\)"):
            OldStyle(skip_animations=True).render()


# ------------------------------------------------------------------ real renders


def _decoded(path):
    """Every frame (RGB) and the video's length in seconds (a GIF's frames have their own delays)."""
    import av

    with av.open(str(path)) as c:
        decoded = list(c.decode(c.streams.video[0]))
        frames = [f.to_ndarray(format="rgb24") for f in decoded]
        end = decoded[-1]
        seconds = float((end.pts + (end.duration or 0)) * end.time_base) if end.duration else len(decoded) / 15
    return frames, seconds


def _changed(a: np.ndarray, b: np.ndarray) -> float:
    """The share of pixels that differ visibly (by more than 40 in some channel)."""
    return float((np.abs(a.astype(int) - b.astype(int)).max(axis=2) > 40).mean())


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["gif", "mp4"])
def test_real_render_starts_and_ends_on_held_frames(fmt, tmp_path):
    """The first frame of a real render is the first beat's held frame, the last one the last beat's."""
    from cnnviz.engine.worker import RenderJob, render_scene

    spec = registry.get("ActivationFunctionStep")
    result = render_scene(RenderJob(scene=spec.name, module=spec.module_name, quality="l", fmt=fmt))
    assert result.status == "ok", result.error + result.traceback
    path = tmp_path / f"out.{fmt}"
    path.write_bytes(result.data)
    frames, seconds = _decoded(path)
    h = _held(spec.name)
    first, last = frames[0], frames[-1]
    # the same picture up to the GIF palette / H.264's blur of thin coloured edges: next to no pixel differs
    # visibly, and far fewer than from the other end's picture (the opening and the summary differ)
    for got, same, other, which in ((first, h.frames[0], h.frames[-1], "first"), (last, h.frames[-1], h.frames[0], "last")):
        d_same, d_other = _changed(got, same), _changed(got, other)
        assert d_same < 0.005 and 2 * d_same < d_other, f"the {which} frame is not its beat's held frame"
    # the video lasts what is played (whole frames per animation: a little longer than the scene clock says)
    assert seconds == pytest.approx(h.seconds, rel=0.05)
