"""Chapter 1, section I (scenes/ch1_images.py): the words each scene writes follow its data, its parameters'
limits refuse what does not fit, every number against the photo file read straight with Pillow.

The values of the notebook's example: tests/test_ch1.py; the layout with the other example:
tests/test_scenes.py::test_layout_other_example (tests/layout_examples.py)."""

from __future__ import annotations

import numpy as np
import pytest

from cnnviz import images, layout, params
from tests.layout_examples import with_example
from tests.test_ch1 import assert_pixels_of_file, raw_photo


# ============================================================ RealGrayscaleToMatrixV2
def test_grayscale_says_exactly_what_is_averaged():
    """The issue's case: the caption said 512×512 while a 480×480 crop was averaged."""
    from scenes.ch1_images import grayscale_matrix_data

    d = grayscale_matrix_data()
    assert d.photo_size == (512, 512) and d.box == (0, 0, 480, 480)
    assert d.source == "a 480×480 crop" and d.blocks == "40×40 blocks averaged" and d.result == "→ 12×12 pixels"
    assert d.name == "the cameraman photo"
    # a second example: a wide crop of another photo, rows × columns as H × W × C
    d = grayscale_matrix_data(photo="astronaut", box=(0, 64, 512, 320), factor=32, zoom_size=3)
    assert d.source == "a 256×512 crop" and d.result == "→ 8×16 pixels" and d.shape == (8, 16, 1)
    assert d.name == "the astronaut photo"
    assert_pixels_of_file(d.pixels, "astronaut", "L", (0, 64, 512, 320), 32)
    # no box: the whole photo (512 is a multiple of 32: nothing trimmed)
    d = grayscale_matrix_data(box=None, factor=32)
    assert d.box == (0, 0, 512, 512) and d.source == "the whole photo" and d.result == "→ 16×16 pixels"
    assert_pixels_of_file(d.pixels, "camera", "L", None, 32)


def test_grayscale_own_photo_is_named_your_photo(tmp_path):
    from PIL import Image

    from scenes.ch1_images import RealGrayscaleToMatrixV2, grayscale_matrix_data

    rng = np.random.default_rng(3)
    a = rng.integers(0, 256, (60, 90), dtype=np.uint8)
    path = tmp_path / "my_cat.png"
    Image.fromarray(a).save(path)
    d = grayscale_matrix_data(photo=str(path), box=None, factor=10, zoom_size=3)
    assert d.name == "your photo" and d.source == "the whole photo" and d.shape == (6, 9, 1)
    ref = a.astype(float).reshape(6, 10, 9, 10).mean(axis=(1, 3))
    assert np.abs(d.pixels - ref).max() <= 0.5 + 1e-9
    shown = RealGrayscaleToMatrixV2().must_show(d)
    r, c, k = d.zoom
    assert [str(int(v)) for v in d.pixels[r:r + k, c:c + k].ravel()] == shown[:k * k]
    assert "6×9×1" in shown


def test_grayscale_limits():
    from scenes.ch1_images import GRAY_MAX_SIDE, RealGrayscaleToMatrixV2, grayscale_matrix_data

    assert grayscale_matrix_data(factor=15).shape == (GRAY_MAX_SIDE, GRAY_MAX_SIDE, 1)  # 480 / 15 = 32
    with pytest.raises(ValueError, match=r"^factor: a 40×40 matrix is too large: at most 32×32 pixels fit this "
                                         "scene at a readable size"):
        grayscale_matrix_data(factor=12)
    with pytest.raises(ValueError, match="zoom_size"):
        grayscale_matrix_data(zoom_size=6)
    with pytest.raises(params.ParamError, match="zoom_size"):
        params.coerce(RealGrayscaleToMatrixV2, {"zoom_size": 6})
    with pytest.raises(ValueError, match="does not divide"):
        grayscale_matrix_data(factor=7)
    with pytest.raises(ValueError, match="box: a crop box is four numbers"):
        grayscale_matrix_data(box=(0, 0, 480))
    assert set(params.scene_params(RealGrayscaleToMatrixV2)) == {"photo", "box", "factor", "zoom_size"}


# ============================================================ RGBAbstractTensor
def test_rgb_words_and_limits():
    from scenes.ch1_images import RGB_MAX_SIDE, RGBAbstractTensor, rgb_tensor_data

    d = rgb_tensor_data()
    assert d.name == "a cat photo" and d.source == "a 64×64 crop" and d.shape == (4, 4, 3)
    d = rgb_tensor_data(photo="astronaut", box=(160, 80, 260, 180), factor=20)
    assert d.name == "the astronaut photo" and d.source == "a 100×100 crop" and d.shape == (5, 5, 3)
    raw = raw_photo("astronaut", "RGB", (160, 80, 260, 180))
    for k in range(3):
        ref = raw[:, :, k].reshape(5, 20, 5, 20).mean(axis=(1, 3))
        assert np.abs(d.channels[k] - ref).max() <= 0.5 + 1e-9
    shown = RGBAbstractTensor().must_show(d)
    assert all(str(int(v)) in shown for ch in d.channels for v in ch.ravel()) and "5×5×3" in shown
    # the limit: 6×6 fits, 8×8 is refused with the size that fits
    assert rgb_tensor_data(box=(228, 200, 324, 296), factor=16).shape == (RGB_MAX_SIDE, RGB_MAX_SIDE, 3)
    with pytest.raises(ValueError, match=r"^factor: a 8×8 crop is too large: at most 6×6 pixels fit this scene"):
        rgb_tensor_data(factor=8)


# ============================================================ TensorExplanationFastSimple
def test_tensor_limits_and_words():
    from scenes.ch1_images import TensorExplanationFastSimple, tensor_data

    d = tensor_data(vector=(1, 2, 3, 4, 5, 6), channel_counts=(1, 3, 64, 9999), box=(0, 0, 480, 480), factor=120)
    assert d.matrix.shape == (4, 4) and d.stacks[-1] == (4, 4, 9999) and d.ndims == (0, 1, 2, 3, 3, 3, 3, 3)
    shown = TensorExplanationFastSimple().must_show(d)
    # "C = 2 · 3 axes" read as "2 times 3": each count is written "C = 9,999, still 3 axes"
    assert "C = 9,999," in shown and "4×4×9,999" in shown
    with pytest.raises(ValueError, match=r"^vector: 7 numbers: a vector of 1 to 6 numbers fits"):
        tensor_data(vector=(1, 2, 3, 4, 5, 6, 7))
    with pytest.raises(ValueError, match="^channel_counts"):
        tensor_data(channel_counts=(1, 2, 3, 4, 5))
    with pytest.raises(ValueError, match=r"^factor: a 6×6 matrix is too large: at most 4×4 pixels fit"):
        tensor_data(box=(0, 0, 480, 480), factor=80)
    with pytest.raises(params.ParamError, match="vector"):
        params.coerce(TensorExplanationFastSimple, {"vector": [1, 2, 3, 4, 5, 6, 7]})


# ============================================================ the layout at each limit (a check of a few seconds each)
@pytest.mark.slow
@pytest.mark.parametrize("scene, kwargs", [
    ("RealGrayscaleToMatrixV2", dict(factor=15, zoom_size=5)),
    ("RGBAbstractTensor", dict(box=(228, 200, 324, 296), factor=16)),
    ("TensorExplanationFastSimple", dict(scalar=-999, vector=(-999, 255, 12, 45, 7, 100), box=(0, 0, 480, 480),
                                         factor=120, channel_counts=(9999, 1, 3, 64))),
])
def test_layout_at_the_limits(scene, kwargs):
    import scenes.ch1_images as module

    assert layout.check_scene(with_example(getattr(module, scene), **kwargs), pacing=(5, 40)) == []


def test_another_photo_alone_is_averaged_whole():
    """``--photo`` alone: on another photo the notebook's crop means the whole photo (trimmed, centred, to whole
    blocks) and the block size brings it to about the notebook's size."""
    from scenes.ch1_images import grayscale_matrix_data, rgb_tensor_data, tensor_data

    d = grayscale_matrix_data(photo="chelsea")  # 300×451: 37×37 blocks, 4 rows and 7 columns trimmed
    assert d.factor == 37 and d.box == (3, 2, 447, 298) and d.shape == (8, 12, 1)
    assert d.source == "a 296×444 crop" and d.result == "→ 8×12 pixels"
    assert_pixels_of_file(d.pixels, "chelsea", "L", (3, 2, 447, 298), 37)
    d = rgb_tensor_data(photo="camera")  # 512×512 in 128×128 blocks
    assert d.source == "the whole photo" and d.shape == (4, 4, 3) and d.factor == 128
    assert tensor_data(photo="astronaut").matrix.shape == (3, 3)
