"""The photos and the digit: every pixel value a scene shows, recomputed with NumPy from the file."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from cnnviz import images


@pytest.mark.parametrize("name, mode, box, factor", [
    ("camera", "L", None, 32),
    ("camera", "L", (200, 100, 300, 200), 10),
    ("chelsea", "RGB", (150, 60, 310, 220), 10),
    ("astronaut", "RGB", (0, 0, 512, 512), 16),
])
def test_photo_values_are_block_means_of_the_file(name, mode, box, factor):
    raw = Image.open(images.ASSETS / f"{name}.png")
    full = np.asarray(raw.convert(mode), dtype=np.float64)
    if box:
        left, top, right, bottom = box
        full = full[top:bottom, left:right]
    got = images.photo(name, mode, box=box, factor=factor)
    assert got.dtype == np.uint8 and got.shape[:2] == (full.shape[0] // factor, full.shape[1] // factor)
    assert np.array_equal(got, np.floor(images.block_mean(full, factor) + 0.5))  # rounded, halves up


def test_photo_rounds_exactly_where_pillows_reduce_does_not():
    """Pillow's fixed-point Image.reduce is off by one on some blocks (factor 42 on the cameraman);
    photo() is exact: checked block by block in Python integers."""
    raw = np.asarray(Image.open(images.ASSETS / "camera.png").convert("L"), dtype=np.int64)[:504, :504]
    got = images.photo("camera", "L", box=(0, 0, 504, 504), factor=42)
    for i in range(12):
        for j in range(12):
            total = int(raw[i * 42:(i + 1) * 42, j * 42:(j + 1) * 42].sum())
            assert got[i, j] == (2 * total + 1764) // 3528, (i, j)


def test_grayscale_is_the_luma_of_rgb():
    rgb = np.asarray(Image.open(images.ASSETS / "chelsea.png").convert("RGB"), dtype=np.float64)
    luma = rgb @ [0.299, 0.587, 0.114]
    assert np.abs(images.photo("chelsea", "L") - luma).max() <= 1.0


def test_photo_refuses_bad_requests():
    with pytest.raises(ValueError, match="unknown photo"):
        images.photo("dog")
    with pytest.raises(ValueError, match="does not fit"):
        images.photo("camera", box=(0, 0, 600, 10))
    with pytest.raises(ValueError, match="blocks"):
        images.photo("camera", box=(0, 0, 15, 15), factor=10)
    with pytest.raises(ValueError, match="mode"):
        images.photo("camera", "CMYK")


@pytest.mark.parametrize("value", images.DIGITS)
def test_digit_is_mnist_like(value):
    d = images.digit(value)
    assert d.shape == (28, 28) and d.dtype == np.uint8 and d.max() == 255
    ys, xs = np.nonzero(d)
    assert ys.max() - ys.min() + 1 <= 20 and xs.max() - xs.min() + 1 <= 20  # fits the 20×20 box
    assert max(ys.max() - ys.min(), xs.max() - xs.min()) + 1 >= 19  # and fills it
    assert ((d > 0) & (d < 255)).sum() > 20  # anti-aliased strokes
    w = d.astype(float)
    cy, cx = (np.indices(d.shape) * w).sum(axis=(1, 2)) / w.sum()
    assert abs(cy - 13.5) <= 0.5 and abs(cx - 13.5) <= 0.5  # centred by mass
    np.testing.assert_array_equal(d, images.digit(value))  # deterministic


def test_shift_moves_pixels_without_wrapping():
    a = np.arange(1, 10).reshape(3, 3)
    np.testing.assert_array_equal(images.shift(a, dx=1), [[0, 1, 2], [0, 4, 5], [0, 7, 8]])
    np.testing.assert_array_equal(images.shift(a, dx=-1, dy=1), [[0, 0, 0], [2, 3, 0], [5, 6, 0]])
    assert not images.shift(a, dx=3).any()
