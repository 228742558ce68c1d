"""Chapter 1, section III (scenes/ch1_strategies.py): STRATEGIE1's counter against the cursor at every frame,
STRATEGIE2's regions and words for a photo nobody chose regions for, the parameters' limits.

The values of the notebook's example: tests/test_ch1.py; the layout with the other example:
tests/test_scenes.py::test_layout_other_example (tests/layout_examples.py)."""

from __future__ import annotations

import numpy as np
import pytest

from cnnviz import images, layout, params
from tests.layout_examples import with_example
from tests.test_ch1 import assert_pixels_of_file


# ============================================================ STRATEGIE1
def test_fast_steps_cover_every_row_in_order():
    from scenes.ch1_strategies import fast_step

    for n in (1, 2, 7, 24):
        seen = [fast_step(k / 600, n) for k in range(601)]
        assert seen[0] == 0 and seen[-1] == n - 1 and sorted(set(seen)) == list(range(n))
        assert all(a <= b for a, b in zip(seen, seen[1:]))


def _scan_frames(media_dir, **kwargs):
    """Run STRATEGIE1 (dry run), driving its fast scan through every alpha a 60 fps render would draw,
    and return what it drew: (step, counter text, cursor centre, cursor width) per state, and the scene."""
    from manim import UpdateFromAlphaFunc, tempconfig

    from scenes.ch1_strategies import STRATEGIE1

    cls = with_example(STRATEGIE1, **kwargs) if kwargs else STRATEGIE1
    box = {}

    class Probe(cls):
        def play(self, *anims, **kw):
            for a in anims:
                if isinstance(a, UpdateFromAlphaFunc):
                    frames = int(60 * kw.get("run_time", 1.0))
                    for k in range(frames + 1):
                        a.update_function(a.mobject, k / frames)
                        box.setdefault("texts", []).append(self.shown[-1])
            super().play(*anims, **kw)

    # a media folder of its own: Manim's text cache is not safe against another process writing the same text
    with tempconfig({"dry_run": True, "disable_caching": True, "verbosity": "ERROR", "progress_bar": "none",
                     "media_dir": str(media_dir)}):
        scene = Probe(skip_animations=True)
        scene.render()
    return scene, box.get("texts", [])


@pytest.mark.parametrize("kwargs", [{}, dict(photo="astronaut", box=None, factor=16, first_pixels=3, first_rows=2)])
def test_counter_matches_the_cursor_at_every_frame(kwargs, tmp_path):
    """The issue's case: the counter read 1,350 / 1,350 while the scan was at row 9 of 30."""
    scene, during = _scan_frames(tmp_path, **kwargs)
    d = scene.d
    h, w = d.pixels.shape[:2]
    img = scene.img
    assert len(scene.shown) >= len(d.steps)
    for st, text, centre, width in scene.shown:
        read = sum(1 for r in range(h) for c in range(w) if (r, c) <= (st.r, st.c1))  # reading order, counted
        assert st.count == read
        assert text.replace(" ", "") == f"pixel{read:,}/{h * w:,}"
        # the cursor frames exactly columns c0..c1 of row r
        left = img.image.get_left()[0] + st.c0 * img.pixel_size
        right = img.image.get_left()[0] + (st.c1 + 1) * img.pixel_size
        assert centre[0] == pytest.approx((left + right) / 2, abs=1e-6)
        assert centre[1] == pytest.approx(img.pixel_center(st.r, 0)[1], abs=1e-6)
        assert width == pytest.approx(right - left, abs=1e-6)
    # every fast row was drawn, in order, each with its own count
    fast = [s for s in d.steps if s.kind == "fast"]
    drawn = [st for st, *_ in during]
    assert [s for s in fast if s in drawn] == fast and drawn == sorted(drawn, key=lambda s: s.count)
    assert scene.shown[-1][0].count == d.total


def test_scan_parameters_and_limits():
    from scenes.ch1_strategies import SCAN_MAX_SIDE, STRATEGIE1, scan_data

    d = scan_data(photo="astronaut", box=None, factor=16, first_pixels=3, first_rows=2)
    assert d.pixels.shape == (32, 32, 3) and d.total == 1024 and d.name == "the astronaut photo"
    assert_pixels_of_file(d.pixels, "astronaut", "RGB", None, 16)
    assert [s.kind for s in d.steps] == ["pixel"] * 3 + ["row"] * 3 + ["fast"] * 29
    d = scan_data(box=(0, 0, 448, 294), factor=7)
    assert d.pixels.shape == (42, SCAN_MAX_SIDE, 3)
    with pytest.raises(ValueError, match=r"^factor: a 75×112 image is too large: at most 64×64 pixels fit"):
        scan_data(box=None, factor=4)
    with pytest.raises(params.ParamError, match="first_pixels is 62: it must be from 1 to 61"):
        params.coerce(STRATEGIE1, {"first_pixels": 62})
    with pytest.raises(params.ParamError, match="first_rows is 9: it must be from 0 to 8"):
        params.coerce(STRATEGIE1, {"first_rows": 9})
    with pytest.raises(ValueError, match="first_rows"):
        scan_data(first_rows=-1)
    assert set(params.scene_params(STRATEGIE1)) == {"photo", "box", "factor", "first_pixels", "first_rows"}


# ============================================================ STRATEGIE2
def test_place_words():
    from scenes.ch1_strategies import place_words

    assert place_words((0, 0, 10, 10), (300, 300)) == "top left"
    assert place_words((140, 140, 160, 160), (300, 300)) == "the middle"
    assert place_words((250, 120, 300, 170), (300, 300)) == "middle right"
    assert place_words((100, 250, 200, 300), (300, 300)) == "bottom centre"


def test_features_on_a_photo_without_chosen_regions():
    """The cameraman: each detector looks where it responds most; the verdict never says "cat" there."""
    from scipy.signal import correlate2d

    from scenes.ch1_strategies import LINE_KERNEL, STRATEGIE2, feature_data

    d = feature_data(photo="camera")
    assert not d.chosen and d.name == "the cameraman photo"
    sobel_v = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]])
    kernels = {"edges": (sobel_v, sobel_v.T), "ears": (sobel_v + sobel_v.T, sobel_v - sobel_v.T),
               "whiskers": (LINE_KERNEL,), "fur": (sobel_v,)}

    def response(box, name):
        g = images.photo("camera", "L", box=box, factor=2).astype(float)
        return np.sqrt(sum(correlate2d(g, k, mode="valid") ** 2 for k in kernels[name]))

    boxes = [det.box for det in d.detections]
    for a in range(len(boxes)):  # inside the photo, no two overlapping
        l, t, r, b = boxes[a]
        assert 0 <= l < r <= 512 and 0 <= t < b <= 512
        for c in range(a):
            l2, t2, r2, b2 = boxes[c]
            assert r <= l2 or r2 <= l or b <= t2 or b2 <= t
    for det in d.detections:
        np.testing.assert_allclose(det.response, response(det.box, det.name))
        assert det.background == pytest.approx(response(d.background_box, det.name).max())
        assert det.fired == (det.peak >= 3 * det.background)
        assert det.what.startswith("its strongest patch, ")
    n = len(d.detections)
    assert STRATEGIE2.verdict_text(d) == f"{d.evidence} of {n} detectors fired"
    assert "\u201ccat\u201d" not in STRATEGIE2.verdict_note(d)
    shown = STRATEGIE2().must_show(d)
    assert all(f"{round(det.peak):,}" in shown for det in d.detections)


def test_feature_verdicts_follow_the_evidence():
    from scenes.ch1_strategies import CAT_BACKGROUND, CAT_REGIONS, STRATEGIE2, feature_data

    d = feature_data()
    assert d.chosen and d.name == "a cat photo" and STRATEGIE2.verdict_text(d) == "4 of 4 features found → cat"
    d = feature_data(fire_ratio=20.0)  # stricter: only a peak 20 times its background counts (whiskers: 293 vs 14)
    fired = [det.peak >= 20 * det.background for det in d.detections]
    assert d.evidence == sum(fired) < 4
    assert STRATEGIE2.verdict_text(d) == f"{sum(fired)} of 4 features found"
    with pytest.raises(ValueError, match=r"^regions: 5 regions: one region for each of 1 to 4 detectors \(edges, ears, "
                                         r"whiskers, fur\)"):
        feature_data(regions=CAT_REGIONS + CAT_REGIONS[:1], background=CAT_BACKGROUND)
    with pytest.raises(ValueError, match=r"^regions: one region per detector, but edges has more than one"):
        feature_data(regions=CAT_REGIONS[:2] + CAT_REGIONS[:1], background=CAT_BACKGROUND)
    with pytest.raises(params.ParamError, match="factor"):
        params.coerce(STRATEGIE2, {"factor": 9})


def test_feature_factor_limits_are_what_the_data_function_accepts(tmp_path):
    """factor: 1 to 8 on any photo; on the cat only 1 or 2, because the cat's boxes are whole multiples of 2 pixels
    a side and not of 3 or more (their sides' greatest common divisor, computed here). Both refusals come before
    anything renders, in one line with exit 2."""
    import math

    from click.testing import CliRunner

    import render
    from scenes.ch1_strategies import CAT_BACKGROUND, CAT_REGIONS, MAX_FEATURE_FACTOR, STRATEGIE2, feature_data

    sides = [v for _, _, (l, t, r, b) in CAT_REGIONS for v in (r - l, b - t)]
    sides += [CAT_BACKGROUND[2] - CAT_BACKGROUND[0], CAT_BACKGROUND[3] - CAT_BACKGROUND[1]]
    assert math.gcd(*sides) == 2
    spec = params.scene_params(STRATEGIE2)["factor"]
    assert (spec.min, spec.max) == (1, MAX_FEATURE_FACTOR) == (1, 8)
    assert params.coerce(STRATEGIE2, {"factor": 1}) == {"factor": 1}
    assert feature_data(factor=1).factor == 1
    for bad in (0, 9):
        with pytest.raises(params.ParamError) as err:
            params.coerce(STRATEGIE2, {"factor": bad})
        assert err.value.problems == [f"factor is {bad}: it must be from 1 to 8"]
        with pytest.raises(ValueError, match=r"^factor: 1 to 8"):
            feature_data(factor=bad)
    for bad in (3, 5, 8):  # the cat's regions do not divide into these blocks
        with pytest.raises(ValueError, match=rf"does not divide into {bad}×{bad} blocks"):
            feature_data(factor=bad)
    assert feature_data(photo="camera", factor=5).factor == 5  # another photo, its own regions
    r = CliRunner().invoke(render.cli, ["render", "STRATEGIE2", "-q", "l", "--out", str(tmp_path / "out"),
                                        "--set", "factor=5"])
    assert r.exit_code == 2 and r.output.count("\n") == 1 and "does not divide into 5×5 blocks" in r.output, r.output
    assert not (tmp_path / "out").exists()  # refused before anything renders


@pytest.mark.slow
@pytest.mark.parametrize("scene, kwargs", [
    ("STRATEGIE1", dict(box=(0, 0, 448, 294), factor=7, first_pixels=61, first_rows=8)),
    ("STRATEGIE2", dict(photo="camera")),
])
def test_layout_at_the_limits(scene, kwargs):
    import scenes.ch1_strategies as module

    assert layout.check_scene(with_example(getattr(module, scene), **kwargs), pacing=(5, 40)) == []


@pytest.mark.heavy
@pytest.mark.slow
@pytest.mark.parametrize("first_pixels, first_rows", [(62, 8), (61, 9)])
def test_scan_past_its_limits_lasts_too_long(first_pixels, first_rows, monkeypatch):
    """first_pixels and first_rows are the fit: one more slow pixel, or one more slow row, and the longest scan
    lasts over 40 s (the layout check's pacing)."""
    import scenes.ch1_strategies as module

    monkeypatch.setattr(module, "MAX_FIRST_PIXELS", 99)
    monkeypatch.setattr(module, "MAX_FIRST_ROWS", 99)
    problems = layout.check_scene(with_example(module.STRATEGIE1, box=(0, 0, 448, 294), factor=7,
                                               first_pixels=first_pixels, first_rows=first_rows), pacing=(5, 40))
    assert [p.kind for p in problems] == ["pacing"]
