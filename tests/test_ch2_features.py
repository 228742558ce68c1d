"""FeatureDetectionGray / FeatureDetectionRGB: parameters, their limits, a teacher's own photo, and the
words that follow the numbers (the data tests against SciPy and NumPy are in tests/test_ch2b.py)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from PIL import Image
from scipy.signal import correlate2d

warnings.filterwarnings("ignore")

SOBEL_VERTICAL = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]])


def test_parameters_listed_with_limits():
    from cnnviz import params
    from scenes.ch2_features import PATCH_MAX, FeatureDetectionGray, FeatureDetectionRGB

    assert list(params.scene_params(FeatureDetectionGray)) == ["photo", "box", "factor", "kind", "patch_size"]
    assert list(params.scene_params(FeatureDetectionRGB)) == ["photo", "box", "factor", "kind"]
    assert params.coerce(FeatureDetectionGray, {"patch_size": PATCH_MAX}) == {"patch_size": PATCH_MAX}
    for raw, name in [({"patch_size": PATCH_MAX + 1}, "patch_size"), ({"factor": 0}, "factor"),
                      ({"kind": "laplace"}, "kind"), ({"stride": 2}, "stride")]:
        with pytest.raises(params.ParamError, match=name):
            params.coerce(FeatureDetectionGray, raw)


def test_bad_input_is_one_clear_value_error():
    from scenes.ch2_features import PATCH_MAX, feature_data, feature_data_rgb

    with pytest.raises(ValueError, match="^box: a crop is four numbers"):
        feature_data(box=(0, 0, 100))
    with pytest.raises(ValueError, match="^box: .* is empty"):
        feature_data_rgb(box=(50, 0, 10, 100))
    with pytest.raises(ValueError, match="^patch_size: .*a patch of at most 3×3 \\(5×5 values of a grey photo\\) "
                                         "fits this scene at a readable size"):
        feature_data(patch_size=PATCH_MAX + 1)


def test_the_factor_limit_is_the_photos():
    """The largest block size leaves the 3×3 kernel and the zoom their pixels: for the 512×512 cameraman and a
    2×2 zoom, 4 pixels a side: 512 // 4 = 128 (129 leaves 3). For the cat's 432×288 crop and a 1×1 zoom, 3 a
    side, and the crop divides into whole blocks: 72 (288 / 72 = 4, 432 / 72 = 6); 96 = 288 // 3 does not
    divide 432, 97 leaves 2 rows. The limit is the photo's, not a hand-chosen cap: the message says so."""
    from scenes.ch2_features import feature_data, feature_data_rgb, largest_factor

    assert feature_data(factor=128).image.shape == (4, 4)
    with pytest.raises(ValueError, match="^factor: 129×129 blocks leave a photo under 4×4 pixels.*a factor of at "
                                         "most 128 fits this photo$"):
        feature_data(factor=129)
    assert feature_data_rgb(factor=72).image.shape == (4, 6, 3)
    with pytest.raises(ValueError, match="a factor of at most 72 fits this photo and crop$"):
        feature_data_rgb(factor=97)
    with pytest.raises(ValueError, match="does not divide into 73×73 blocks"):  # the photo's own rule
        feature_data_rgb(factor=73)
    brute = max(f for f in range(1, 433) if 432 % f == 0 and 288 % f == 0 and 288 // f >= 3)
    assert largest_factor((432, 288), True, 3) == brute == 72
    assert largest_factor((451, 300), False, 3) == 100  # the whole photo is trimmed to whole blocks


@pytest.mark.parametrize("name, values", [("FeatureDetectionGray", dict(factor=128)),
                                          ("FeatureDetectionRGB", dict(factor=72))])
def test_the_factor_limit_passes_the_layout_check(name, values):
    """At the photo's largest block size (a 4×4 cameraman, a 4×6 cat) every layout rule holds."""
    import sys

    sys.path.insert(0, "tests")
    from layout_examples import with_example

    import scenes.ch2_features as ch2
    from cnnviz.layout import check_scene

    problems = check_scene(with_example(getattr(ch2, name), **values), pacing=(5, 40))
    assert not problems, "\n".join(map(str, problems))


def test_the_largest_patch_fits_at_half_width():
    """patch_size = PATCH_MAX passes the layout rules (tests/layout_examples.py draws it on the astronaut);
    here: the cameraman photo, with its 3-digit and 4-digit responses."""
    import sys

    sys.path.insert(0, "tests")
    from layout_examples import with_example

    from cnnviz.layout import check_scene
    from scenes.ch2_features import PATCH_MAX, FeatureDetectionGray

    cls = with_example(FeatureDetectionGray, patch_size=PATCH_MAX)
    problems = check_scene(cls, pacing=(5, 40), mid_animation=False)
    assert not problems, "\n".join(map(str, problems))


def test_a_photo_given_as_a_file(tmp_path):
    """Her own PNG: named "your photo" on screen (never its file name), averaged in blocks like a built-in."""
    from scenes.ch2_features import FeatureDetectionGray, feature_data

    rng = np.random.default_rng(3)
    pixels = rng.integers(0, 256, (40, 60, 3), dtype=np.uint8)
    pixels[:, 30:] = 255  # a vertical edge in the middle
    path = tmp_path / "my_cat.png"
    Image.fromarray(pixels).save(path)
    d = feature_data(photo=str(path), factor=2)
    assert d.photo == "your photo" and d.source == str(path)
    grey = np.asarray(Image.open(path).convert("L"), dtype=np.float64)
    ref = grey.reshape(20, 2, 30, 2).mean(axis=(1, 3))
    assert np.abs(d.image - ref).max() <= 0.5 + 1e-9
    vertical = correlate2d(d.image.astype(np.int64), SOBEL_VERTICAL, mode="valid")
    np.testing.assert_array_equal(d.maps[0].response, vertical)
    shown = FeatureDetectionGray.must_show(None, d)
    assert "your photo" in shown and f"{int(np.abs(vertical).max()):,}" in shown
    assert not any("my_cat" in t for t in shown)


@pytest.mark.parametrize("kw", [{}, dict(photo="astronaut", factor=16, patch_size=3)], ids=["notebook", "astronaut"])
def test_must_show_is_the_data(kw):
    """Every number of the zoom and each map's white, computed independently (SciPy on the photo's pixels)."""
    from scenes.ch2_features import FeatureDetectionGray, feature_data

    d = feature_data(**kw)
    shown = set(FeatureDetectionGray.must_show(None, d))
    img = d.image.astype(np.int64)
    r, c = d.patch
    s = d.patch_size
    for k2 in (SOBEL_VERTICAL, SOBEL_VERTICAL.T):
        full = correlate2d(img, k2, mode="valid")
        assert f"{int(np.abs(full).max()):,}" in shown
        assert {f"{int(v):,}" for v in full[r:r + s, c:c + s].ravel()} <= shown
    assert {str(int(v)) for v in img[r:r + s + 2, c:c + s + 2].ravel()} <= shown
    assert d.photo in shown and d.photo == {"": "the cameraman photo"}.get(kw.get("photo", ""), "the astronaut photo")


def test_colour_must_show_has_the_channel_sums():
    from scenes.ch2_features import FeatureDetectionRGB, feature_data_rgb

    d = feature_data_rgb(photo="astronaut", box=None, factor=8)
    shown = set(FeatureDetectionRGB.must_show(None, d))
    img = d.image.astype(np.int64)
    r, c = d.patch
    parts = [int(correlate2d(img[r:r + 3, c:c + 3, ch], SOBEL_VERTICAL, mode="valid")[0, 0]) for ch in range(3)]
    assert {f"{p:,}" for p in parts} <= shown and f"{sum(parts):,}" in shown
    assert "the astronaut photo" in shown


def test_a_factor_that_leaves_too_few_pixels_is_refused_naming_it():
    from scenes.ch2_features import feature_data

    assert feature_data(factor=128).image.shape == (4, 4)  # 4×4 pixels: a 2×2 map, the 2×2 zoom fits
    with pytest.raises(ValueError, match="^factor: 200×200 blocks leave a photo under 4×4 pixels"):
        feature_data(factor=200)


def _notes(scene_cls) -> list[str]:
    """The scene's beat notes, from a dry run (no frame drawn)."""
    from manim import tempconfig

    with tempconfig({"quality": "low_quality", "dry_run": True, "disable_caching": True, "verbosity": "ERROR",
                     "progress_bar": "none"}):
        scene = scene_cls()
        scene.render()
    return scene.notes


def test_the_notes_follow_the_numbers():
    """Another photo: every note is there, and the ones that state numbers state this photo's (SciPy)."""
    import sys

    sys.path.insert(0, "tests")
    from layout_examples import with_example

    from scenes.ch2_features import FeatureDetectionGray, feature_data

    kw = dict(photo="astronaut", factor=16, patch_size=3)
    notes = _notes(with_example(FeatureDetectionGray, **kw))
    d = feature_data(**kw)
    img = d.image.astype(np.int64)
    vertical = correlate2d(img, SOBEL_VERTICAL, mode="valid")
    r, c = d.patch
    assert all(notes) and len(notes) == 8
    assert "the astronaut photo" in notes[0] and "32×32" in notes[0] and "16×16" in notes[0]
    assert f"strongest response is {int(np.abs(vertical).max()):,}" in notes[2]
    assert f"from row {r + 1}, column {c + 1} on" in notes[3]
    assert f"give {int(vertical[r, c]):,}." in notes[4]
    patch_v = np.abs(vertical[r:r + 3, c:c + 3]).max()
    patch_h = np.abs(correlate2d(img, SOBEL_VERTICAL.T, mode="valid")[r:r + 3, c:c + 3]).max()
    assert f"reach {int(patch_h):,} here, the vertical one's {int(patch_v):,}" in notes[6]
    assert "the vertical map and the horizontal map" in notes[7]
