"""Chapter 2, sections III and V (branch ch2b): Stride4x4Comparison, PaddingOneByOneEng,
KernelSizeAndDepthClean, FeatureDetectionGray, FeatureDetectionRGB.

Each scene's data against an independent computation (explicit loops, SciPy, NumPy on
the photo's pixels), and the layout of each scene family with more examples than the
notebook's and tests/layout_examples.py's (the choreography adapts to the sizes it is given)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import correlate2d

from cnnviz.layout import check_scene


def _layout_with(scene_cls, data_fn, **kwargs):
    """The layout problems of ``scene_cls`` when its data function gets ``kwargs`` (more examples than
    tests/test_scenes.py::test_layout_other_example's), but for the rules tests/layout_known.py still
    lists for the scene."""
    from layout_known import unexpected

    other = type(scene_cls.__name__, (scene_cls,), {"data": staticmethod(lambda: data_fn(**kwargs))})
    return unexpected(scene_cls.__name__, check_scene(other, pacing=(5, 40)))


# ----------------------------------------------------------------- Stride4x4Comparison
def _windows_by_loops(n, f, s):
    """Top-left corners of every window, sliding by hand until the window falls off."""
    out = []
    r = 0
    while r + f <= n:
        c = 0
        while c + f <= n:
            out.append((r, c))
            c += s
        r += s
    return out


def test_stride_data_notebook_example():
    from scenes.ch2_hyperparams import stride_data

    d = stride_data()
    assert d.x.shape == (4, 4) and d.w.shape == (2, 2) and d.strides == (1, 2)
    assert [o.shape for o in d.outs] == [(3, 3), (2, 2)]  # the notebook's 3×3 vs 2×2
    assert [c.size for c in d.cases] == [3, 2]
    for s, wins, out, case in zip(d.strides, d.windows, d.outs, d.cases):
        assert list(wins) == _windows_by_loops(4, 2, s)
        np.testing.assert_array_equal(out, correlate2d(d.x, d.w, mode="valid")[::s, ::s])
        assert case.size ** 2 == len(wins)
    # stride 2 visits the corners of the stride-1 windows: the same values
    assert [d.windows[0][k] for k in d.common] == list(d.windows[1])
    np.testing.assert_array_equal(d.outs[0].ravel()[list(d.common)], d.outs[1].ravel())
    assert len(np.unique(d.outs[0])) > 4  # a readable, non-trivial map


def test_stride_data_other_example():
    from scenes.ch2_hyperparams import stride_data

    rng = np.random.default_rng(3)
    x, w = rng.integers(0, 9, (7, 7)), rng.integers(-1, 2, (3, 3))
    d = stride_data(x=x, w=w, strides=(1, 3))
    assert [o.shape for o in d.outs] == [(5, 5), (2, 2)]  # ⌊(7 − 3)/3⌋ + 1 = 2: the floor matters
    for s, wins, out in zip(d.strides, d.windows, d.outs):
        assert list(wins) == _windows_by_loops(7, 3, s)
        np.testing.assert_array_equal(out, correlate2d(x, w, mode="valid")[::s, ::s])
    with pytest.raises(ValueError, match="square"):
        stride_data(x=np.zeros((3, 4)))
    with pytest.raises(ValueError, match="^strides: two different strides"):
        stride_data(strides=(2, 2))


@pytest.mark.parametrize("example", [  # 5×5, kernel 3, strides 1 and 2: tests/layout_examples.py
    dict(x=np.arange(25).reshape(5, 5) % 5, w=((1, 1, 1), (0, 0, 0), (-1, -1, -1)), strides=(1, 3)),
], ids=["5x5-k3-s3"])
def test_stride_layout_other_example(example):
    from scenes.ch2_hyperparams import Stride4x4Comparison, stride_data

    problems = _layout_with(Stride4x4Comparison, stride_data, **example)
    assert not problems, "\n".join(map(str, problems))


# ----------------------------------------------------------------- PaddingOneByOneEng
def _coverage_by_loops(n, f, p, s):
    """Slide the window over the zero-padded input by hand; count, per input pixel, the windows holding it."""
    counts = np.zeros((n, n), dtype=int)
    for r in range(0, n + 2 * p - f + 1, s):
        for c in range(0, n + 2 * p - f + 1, s):
            for a in range(r, r + f):
                for b in range(c, c + f):
                    if p <= a < p + n and p <= b < p + n:
                        counts[a - p, b - p] += 1
    return counts


def test_padding_data_notebook_example():
    from scenes.ch2_hyperparams import padding_data

    d = padding_data()
    assert d.x.shape == (5, 5) and d.f == 3 and [st.p for st in d.stages] == [0, 1, 2]
    assert [st.case.size for st in d.stages] == [3, 5, 7]  # P = 1 keeps the 5×5 size
    covs = [st.coverage for st in d.stages]
    assert [int(c[0, 0]) for c in covs] == [1, 4, 9] and [int(c[2, 2]) for c in covs] == [9, 9, 9]
    for st in d.stages:
        np.testing.assert_array_equal(st.coverage, _coverage_by_loops(5, 3, st.p, 1))
        assert st.padded.shape == (5 + 2 * st.p,) * 2
        assert st.padded.sum() == d.x.sum() and (st.padded[st.p:st.p + 5, st.p:st.p + 5] == d.x).all()
        assert len(st.corner_windows) == st.coverage[0, 0] and len(st.centre_windows) == st.coverage[2, 2]
        for r, c in st.corner_windows:  # each listed window really holds the corner pixel (padded coords)
            assert r <= st.p < r + 3 and c <= st.p < c + 3
        assert st.case.size == len(range(0, 5 + 2 * st.p - 3 + 1))


def test_padding_data_other_example():
    from scenes.ch2_hyperparams import padding_data

    x = np.arange(36).reshape(6, 6)
    d = padding_data(x=x, f=4, padding=2, stride=2)
    for st in d.stages:
        np.testing.assert_array_equal(st.coverage, _coverage_by_loops(6, 4, st.p, 2))
        assert st.case.size == len(range(0, 6 + 2 * st.p - 4 + 1, 2))
        assert len(st.corner_windows) == st.coverage[0, 0] and len(st.centre_windows) == st.coverage[3, 3]
    with pytest.raises(ValueError, match="square"):
        padding_data(x=np.zeros((2, 3)))


@pytest.mark.parametrize("example", [  # 4×4, kernel 2, padding 1: tests/layout_examples.py
    dict(x=np.arange(36).reshape(6, 6) % 10, f=3, padding=1),
    dict(x=np.arange(16).reshape(4, 4) % 10, f=4, padding=3, stride=2),
], ids=["6x6-k3-p1", "4x4-k4-p3-s2"])
def test_padding_layout_other_example(example):
    from scenes.ch2_hyperparams import PaddingOneByOneEng, padding_data

    problems = _layout_with(PaddingOneByOneEng, padding_data, **example)
    assert not problems, "\n".join(map(str, problems))


# ----------------------------------------------------------------- KernelSizeAndDepthClean
def _receptive_field(n, f, out_pixel):
    """Input pixels that change the output pixel when perturbed (SciPy's valid correlation with an all-ones kernel)."""
    seen = 0
    for r in range(n):
        for c in range(n):
            onehot = np.zeros((n, n))
            onehot[r, c] = 1
            seen += correlate2d(onehot, np.ones((f, f)), mode="valid")[out_pixel] != 0
    return seen


def test_kernel_depth_data_notebook_example():
    from scenes.ch2_hyperparams import kernel_depth_data

    d = kernel_depth_data()
    assert (d.n, d.c, d.m) == (7, 3, 5) and [ch.f for ch in d.choices] == [3, 5]
    assert [ch.case.size for ch in d.choices] == [5, 3]
    assert [ch.seen for ch in d.choices] == [9, 25]
    assert [ch.params for ch in d.choices] == [3 * 3 * 3 * 5 + 5, 5 * 5 * 3 * 5 + 5] == [140, 380]
    for ch in d.choices:
        assert ch.seen == _receptive_field(7, ch.f, ch.centre_out)
        assert list(ch.windows) == _windows_by_loops(7, ch.f, 1)
        assert ch.out_shape == (7 - ch.f + 1, 7 - ch.f + 1, 5)
        assert ch.terms == (ch.f * ch.f * 3 * 5, 5)
        # the centre window is the one whose output pixel is the centre of the output
        i, j = ch.centre_out
        assert ch.centre_window == (i, j) and 2 * i + 1 == ch.case.size


def test_kernel_depth_data_other_example():
    from scenes.ch2_hyperparams import kernel_depth_data

    d = kernel_depth_data(n=9, sizes=(1, 7), c=1, m=32)
    assert [ch.case.size for ch in d.choices] == [9, 3] and [ch.seen for ch in d.choices] == [1, 49]
    assert [ch.params for ch in d.choices] == [1 * 1 * 1 * 32 + 32, 7 * 7 * 1 * 32 + 32]
    for ch in d.choices:
        assert ch.seen == _receptive_field(9, ch.f, ch.centre_out)
        assert ch.out_shape == (9 - ch.f + 1, 9 - ch.f + 1, 32)


@pytest.mark.parametrize("example", [  # 9×9, kernels 3 and 7, 8 filters: tests/layout_examples.py
    dict(n=6, sizes=(1, 3), c=3, m=2),
], ids=["6x6-k1k3-m2"])
def test_kernel_depth_layout_other_example(example):
    from scenes.ch2_hyperparams import KernelSizeAndDepthClean, kernel_depth_data

    problems = _layout_with(KernelSizeAndDepthClean, kernel_depth_data, **example)
    assert not problems, "\n".join(map(str, problems))


# ----------------------------------------------------------------- FeatureDetectionGray / FeatureDetectionRGB
SOBEL_VERTICAL = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]])


def _photo_by_numpy(name, mode, box, factor):
    """The photo as NumPy sees it: Pillow only opens and converts the file; the block means are NumPy's."""
    from PIL import Image

    from cnnviz import images

    with Image.open(images.photo_path(name)) as im:
        arr = np.asarray(im.convert(mode), dtype=np.float64)
    if box is not None:
        left, top, right, bottom = box
        arr = arr[top:bottom, left:right]
    return images.block_mean(arr, factor)


def _check_feature_data(d, kernels2d):
    ref = _photo_by_numpy(d.source, d.mode, d.box, d.factor)
    assert d.image.dtype == np.uint8 and d.image.shape == ref.shape
    assert np.abs(d.image - ref).max() <= 0.5 + 1e-9  # each pixel is its block's mean, rounded
    img = d.image.astype(np.int64)
    C = 1 if img.ndim == 2 else img.shape[2]
    r, c = d.patch
    s = d.patch_size
    for m, k2 in zip(d.maps, kernels2d):
        channels = [correlate2d(img if C == 1 else img[..., ch], k2, mode="valid") for ch in range(C)]
        total = sum(channels)
        np.testing.assert_array_equal(m.response, total)
        for got, want in zip(m.channel_responses, channels):
            np.testing.assert_array_equal(got, want)
        assert m.peak == np.abs(total).max() > 0
        np.testing.assert_array_equal(m.display, np.round(255 * np.abs(total) / np.abs(total).max()))
        assert m.display.max() == 255
        peak_c = max(np.abs(ch).max() for ch in channels)
        for got, want in zip(m.channel_displays, channels):
            np.testing.assert_array_equal(got, np.round(255 * np.abs(want) / peak_c))
        # the zoom: the patch's pixels ⊛ the kernel = the map's values, channel by channel, summed
        np.testing.assert_array_equal(m.patch_out, total[r:r + s, c:c + s])
        np.testing.assert_array_equal(sum(m.patch_partials), m.patch_out)
        patch = d.patch_in.astype(np.int64)
        for ch, part in enumerate(m.patch_partials):
            one = patch if C == 1 else patch[..., ch]
            np.testing.assert_array_equal(part, correlate2d(one, k2, mode="valid"))
    np.testing.assert_array_equal(d.patch_in, d.image[r:r + s + 2, c:c + s + 2])


def _best_patch_by_loops(d):
    """Where the first kernel's |response| most exceeds the others', by brute force."""
    s = d.patch_size
    best, where = None, None
    H, W = d.maps[0].response.shape
    for r in range(H - s + 1):
        for c in range(W - s + 1):
            sums = [np.abs(m.response[r:r + s, c:c + s]).sum() for m in d.maps]
            score = sums[0] - (max(sums[1:]) if len(sums) > 1 else 0)
            if best is None or score > best:
                best, where = score, (r, c)
    return where


def test_feature_gray_data():
    from scenes.ch2_features import feature_data

    d = feature_data()
    assert (d.photo, d.source, d.mode, d.factor) == ("the cameraman photo", "camera", "L", 8) and d.image.shape == (64, 64)
    assert [m.direction for m in d.maps] == ["vertical", "horizontal"]
    _check_feature_data(d, [SOBEL_VERTICAL, SOBEL_VERTICAL.T])
    assert d.maps[0].response.shape == (62, 62)
    assert d.patch == _best_patch_by_loops(d)
    # the zoomed patch shows a vertical edge: the vertical kernel answers far more strongly there
    assert np.abs(d.maps[0].patch_out).max() > 2 * np.abs(d.maps[1].patch_out).max()


def test_feature_rgb_data():
    from scenes.ch2_features import feature_data_rgb

    d = feature_data_rgb()
    assert (d.photo, d.source, d.mode) == ("a cat photo", "chelsea", "RGB") and d.image.shape == (48, 72, 3)
    (m,) = d.maps
    assert m.kernel.shape == (3, 3, 3)
    for ch in range(3):  # the vertical-edge kernel on each channel
        np.testing.assert_array_equal(m.kernel[..., ch], SOBEL_VERTICAL)
    _check_feature_data(d, [SOBEL_VERTICAL])
    assert m.response.shape == (46, 70) and d.patch_size == 1
    assert d.patch == _best_patch_by_loops(d)
    # one output value is the sum of three per-channel sums, none of them zero
    assert all(p[0, 0] != 0 for p in m.patch_partials)


def test_feature_data_other_examples_and_errors():
    from scenes.ch2_features import feature_data

    d = feature_data(photo="astronaut", mode="RGB", box=(0, 0, 512, 512), factor=16,
                     directions=("horizontal", "vertical"), kind="prewitt", patch=(3, 4), patch_size=1)
    prewitt = np.array([[1, 0, -1]] * 3)
    _check_feature_data(d, [prewitt.T, prewitt])
    assert d.patch == (3, 4) and d.image.shape == (32, 32, 3)
    with pytest.raises(ValueError, match="does not fit"):
        feature_data(patch=(61, 0))
    with pytest.raises(ValueError, match="patch does not fit"):
        feature_data(patch_size=63)
    with pytest.raises(ValueError, match="fits this scene at a readable size"):
        feature_data(patch_size=4)
    with pytest.raises(ValueError, match="colour"):
        feature_data(mode="RGB", patch_size=2)


@pytest.mark.parametrize("scene_name, example", [
    ("FeatureDetectionGray", dict(photo="chelsea", mode="L", box=(11, 6, 443, 294), factor=6,
                                  directions=("horizontal",), patch_size=2)),
], ids=["grey-cat-one-kernel"])  # the astronaut examples of both scenes: tests/layout_examples.py
def test_feature_layout_other_example(scene_name, example):
    import scenes.ch2_features as ch2

    problems = _layout_with(getattr(ch2, scene_name), ch2.feature_data, **example)
    assert not problems, "\n".join(map(str, problems))


def test_pixel_zoom_shows_the_block_it_frames():
    from manim import DOWN, RIGHT

    from cnnviz.drawings import PixelImage, PixelZoom

    px = (np.arange(48) * 5).astype(np.uint8).reshape(6, 8)
    img = PixelImage(px, height=3.0)
    z = PixelZoom(img, 2, 3, 3, 2, cell_size=0.5, direction=DOWN, buff=0.4)
    assert [t.original_text for t in z.grid.labels] == [str(v) for v in px[2:5, 3:5].ravel()]
    assert z.grid.get_top()[1] == pytest.approx(img.get_bottom()[1] - 0.4)
    assert z.grid.get_x() == pytest.approx(z.box.get_x())  # centred under the framed block
    np.testing.assert_allclose(z.box.get_center(), img.box(2, 3, 3, 2).get_center())
    # the callout joins the box to the grid, and follows the grid when it moves
    np.testing.assert_allclose(z.lines[0].get_start(), z.box.get_corner(DOWN + np.array([-1, 0, 0])))
    z.grid.shift(RIGHT)
    z.reconnect()
    np.testing.assert_allclose(z.lines[0].get_end(), z.grid.get_corner(np.array([-1, 1, 0])))
    # a map drawn as a picture shows its own (signed) values; a colour picture needs them
    signed = np.array([[-3, 4], [5, -6]])
    z2 = PixelZoom(img, 0, 0, 2, 2, values=signed, shade="signed", direction=RIGHT)
    assert [t.original_text for t in z2.grid.labels] == ["-3", "4", "5", "-6"]
    rgb = PixelImage(np.zeros((4, 4, 3), dtype=np.uint8), height=1)
    with pytest.raises(ValueError, match="colour"):
        PixelZoom(rgb, 0, 0, 2, 2)
    with pytest.raises(ValueError, match="does not fit"):
        PixelZoom(img, 5, 0, 2, 2)


def test_lean_text_and_formula_copy_the_same_drawing():
    from cnnviz.drawings import label
    from cnnviz.formula import Formula, lean

    for mob in (label("corner pixel: window 4 of 9"), Formula(r"\frac{N - F + 2P}{S} + 1")):
        glyphs = mob.family_members_with_points()
        assert glyphs and all(getattr(g, "path_obj", None) is None for g in glyphs)  # lean already
        twin = mob.copy()
        for a, b in zip(glyphs, twin.family_members_with_points()):
            np.testing.assert_array_equal(a.points, b.points)
            assert a.get_fill_color() == b.get_fill_color()
    from manim import Text

    raw = Text("x + 1")
    assert any(getattr(g, "path_obj", None) is not None for g in raw.family_members_with_points())
    assert lean(raw) is raw and all(getattr(g, "path_obj", None) is None for g in raw.family_members_with_points())
