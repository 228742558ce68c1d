"""Chapter 1 scenes: each data function against an independent computation. Each scene's layout with
an example other than the notebook's: tests/test_scenes.py::test_layout_other_example (tests/layout_examples.py)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from cnnviz import images


def raw_photo(name: str, mode: str, box=None) -> np.ndarray:
    """The photo file read straight with Pillow (no cnnviz), as floats, cropped to ``box``."""
    a = np.asarray(Image.open(images.ASSETS / f"{name}.png").convert(mode), dtype=np.float64)
    if box is not None:
        left, top, right, bottom = box
        a = a[top:bottom, left:right]
    return a


def assert_pixels_of_file(pixels, name, mode, box, factor):
    """Every value shown is the rounded mean of its factor×factor block of the file."""
    ref = images.block_mean(raw_photo(name, mode, box), factor)
    assert pixels.shape == ref.shape
    assert np.abs(pixels.astype(np.float64) - ref).max() <= 0.5 + 1e-9


# ============================================================ RealGrayscaleToMatrixV2
def test_grayscale_matrix_values_are_the_photos_pixels():
    from scenes.ch1_images import grayscale_matrix_data

    d = grayscale_matrix_data()
    assert d.pixels.shape == (12, 12) and d.shape == (12, 12, 1)
    assert_pixels_of_file(d.pixels, "camera", "L", d.box, d.factor)
    full = raw_photo("camera", "L").astype(np.uint8)
    assert d.photo_size == full.shape == (512, 512) and d.preview_step == 2
    np.testing.assert_array_equal(d.preview, full[::2, ::2])
    # darkest / brightest by an explicit scan
    cells = [(int(d.pixels[i, j]), i, j) for i in range(12) for j in range(12)]
    lo, hi = min(cells), max(cells)
    assert d.pixels[d.darkest] == lo[0] and d.pixels[d.brightest] == hi[0]
    assert d.pixels.min() < 30 and d.pixels.max() > 200  # a real range of greys


def test_grayscale_zoom_patch_has_the_widest_spread():
    from scenes.ch1_images import grayscale_matrix_data

    d = grayscale_matrix_data(box=(0, 0, 512, 512), factor=32, zoom_size=5)
    r, c, k = d.zoom
    best = max(int(d.pixels[a:a + k, b:b + k].max()) - int(d.pixels[a:a + k, b:b + k].min())
               for a in range(16 - k + 1) for b in range(16 - k + 1))
    patch = d.pixels[r:r + k, c:c + k]
    assert k == 5 and int(patch.max()) - int(patch.min()) == best


# ============================================================ shared drawings added for chapter 1
def test_fade_scales_opacity_in_place_and_restores_it():
    from manim import Square, linear

    from cnnviz.drawings import Fade, PixelImage

    sq = Square().set_fill("#FF0000", opacity=0.8).set_stroke(opacity=0.5)
    img = PixelImage(np.full((2, 2), 200, dtype=np.uint8), height=1, border=None)
    anim = Fade(sq, img, rate_func=linear)
    anim.begin()
    assert anim.starting_mobject is anim.mobject  # nothing copied
    anim.interpolate(0.25)
    assert sq.get_fill_opacity() == pytest.approx(0.6) and sq.get_stroke_opacity() == pytest.approx(0.375)
    assert (img.image.pixel_array[:, :, 3] == round(255 * 0.75)).all()
    anim.interpolate(1.0)
    assert sq.get_fill_opacity() == 0 and (img.image.pixel_array[:, :, 3] == 0).all()
    fade_in = Fade(img, out=False, rate_func=linear)  # fades in to the opacities it has when it begins
    img.image.pixel_array[:, :, 3] = 255
    fade_in.begin()
    fade_in.interpolate(0.5)
    assert (img.image.pixel_array[:, :, 3] == 128).all()


def test_fade_in_adds_and_fade_out_removes():
    """Fade in adds the mobjects, fade out removes them and restores their opacities."""
    from manim import Square, tempconfig

    from cnnviz.drawings import CnnvizScene, Fade

    sq, sq2 = Square().set_fill("#00FF00", opacity=0.7), Square()
    seen = {}

    class S(CnnvizScene):
        def construct(self):
            self.play(Fade(sq, sq2, out=False))
            seen["in"] = (sq in self.mobjects, sq2 in self.mobjects, sq.get_fill_opacity())
            self.play(Fade(sq))
            seen["out"] = (sq in self.mobjects, sq2 in self.mobjects, sq.get_fill_opacity())

    with tempconfig({"dry_run": True, "disable_caching": True, "verbosity": "ERROR", "progress_bar": "none"}):
        S(skip_animations=True).render()
    assert seen["in"] == (True, True, pytest.approx(0.7))
    assert seen["out"] == (False, True, pytest.approx(0.7))


# ============================================================ TensorExplanationFastSimple
def test_tensor_data_is_the_notebooks_example():
    from scenes.ch1_images import tensor_data

    d = tensor_data()
    assert d.scalar.shape == () and d.scalar == 5
    assert d.vector.tolist() == [0, 255, 12, 45]
    assert_pixels_of_file(d.matrix, "camera", "L", (120, 60, 330, 270), 70)
    assert d.matrix.shape == (3, 3) and d.volume == (3, 3, 3)
    assert d.channel_counts == (2, 5, 7, 100)
    assert d.stacks == ((3, 3, 2), (3, 3, 5), (3, 3, 7), (3, 3, 100))
    assert d.ndims == (0, 1, 2, 3, 3, 3, 3, 3)  # a 3-D tensor keeps 3 axes whatever C


# ============================================================ RGBAbstractTensor
def test_rgb_tensor_values_are_the_photos_pixels():
    from scenes.ch1_images import rgb_tensor_data

    d = rgb_tensor_data()
    assert d.shape == (4, 4, 3) and d.box == (228, 208, 292, 272) and d.factor == 16
    assert_pixels_of_file(d.pixels, "chelsea", "RGB", d.box, d.factor)
    raw = raw_photo("chelsea", "RGB", d.box)
    for k in range(3):  # each matrix is one channel of the file, averaged block by block
        ref = raw[:, :, k].reshape(4, 16, 4, 16).mean(axis=(1, 3))
        assert np.abs(d.channels[k] - ref).max() <= 0.5 + 1e-9
    # the nose is red-orange: more red than green than blue on average
    assert d.channels[0].mean() > d.channels[1].mean() > d.channels[2].mean()
    best = max((int(max(d.pixels[i, j])) - int(min(d.pixels[i, j])), -i, -j) for i in range(4) for j in range(4))
    assert d.pick == (-best[1], -best[2])
    full = raw_photo("chelsea", "RGB").astype(np.uint8)
    np.testing.assert_array_equal(d.preview, full[::d.preview_step, ::d.preview_step])
    assert d.preview_step == 2 and d.photo_size == (300, 451)


def test_channel_grid_runs_from_black_to_the_channel_colour():
    from cnnviz import theme
    from cnnviz.drawings import ChannelGrid

    g = ChannelGrid(np.array([[0, 255, 128]]), theme.GREEN)
    fills = [g.cell(0, k).get_fill_color().to_hex().upper() for k in range(3)]
    assert fills[0] == "#000000" and fills[1] == theme.GREEN.upper() and fills[2] not in fills[:2]
    assert [t.original_text for t in g.labels] == ["0", "255", "128"]
    assert g.label_at(0, 0).get_fill_color().to_hex().upper() == "#FFFFFF"  # white on black


def test_color_cells_fill_each_cell_with_its_pixel():
    from cnnviz.drawings import color_cells

    px = np.array([[[255, 0, 0], [0, 128, 255]]], dtype=np.uint8)
    g = color_cells(px, cell_size=0.5)
    assert len(g.cells) == 2 and len(g.labels) == 0
    assert g.cell(0, 0).get_fill_color().to_hex().upper() == "#FF0000"
    assert g.cell(0, 1).get_fill_color().to_hex().upper() == "#0080FF"
    with pytest.raises(ValueError, match="H×W×3"):
        color_cells(px[:, :, 0])


# ============================================================ the MLP drawing (section II's scenes: tests/test_ch1_mlp.py)
def test_mlp_diagram_samples_big_layers():
    from cnnviz.drawings import MLPDiagram, NeuronLayer

    assert NeuronLayer.sampling(10) == (list(range(10)), [10])
    idx, (gap, tail) = NeuronLayer.sampling(784)
    assert len(idx) == 10 and idx[:gap] == list(range(gap)) and idx[gap:] == list(range(784 - tail, 784))
    net = MLPDiagram((784, 100, 100, 10), width=9, height=4)
    assert [len(layer) for layer in net.layers] == [10, 10, 10, 10]
    assert [len(e) for e in net.edges] == [100, 100, 100]
    assert [t.original_text for t in net.size_labels] == ["784", "100", "100", "10"]
    assert net.layers[0].ellipsis is not None and net.layers[3].ellipsis is None
    assert net.width <= 9 + 0.3 and net.layers.height <= 4 + 0.01
    # the first edge of layer 0 → 1 starts at neuron 0 and ends at neuron 0
    np.testing.assert_allclose(net.edges[0][0].get_start(), net.layers[0].neurons[0].get_right(), atol=1e-6)
    with pytest.raises(ValueError, match="two layers"):
        MLPDiagram((784,))
    # a chosen sample of input neurons: the ellipsis sits in its widest gap
    net = MLPDiagram((784, 10), shown=[[100, 101, 102, 400, 401, 600]])
    assert net.shown[0] == [100, 101, 102, 400, 401, 600] and len(net.layers[0].ellipses) == 1
    e = net.layers[0].ellipsis.get_y()
    assert net.layers[0].neurons[2].get_y() > e > net.layers[0].neurons[3].get_y()
    with pytest.raises(ValueError, match="not distinct neurons"):
        MLPDiagram((784, 10), shown=[[5, 900], None])


# ============================================================ core additions (chapter 1)
def test_mlp_init_is_seeded_he_normal():
    from cnnviz import core

    params = core.mlp_init((784, 100, 10), seed=3)
    rng = np.random.default_rng(3)
    w1 = rng.normal(0.0, np.sqrt(2 / 784), size=(784, 100))
    w2 = rng.normal(0.0, np.sqrt(2 / 100), size=(100, 10))
    np.testing.assert_array_equal(params[0][0], w1)
    np.testing.assert_array_equal(params[1][0], w2)
    assert not params[0][1].any() and params[1][1].shape == (10,)
    with pytest.raises(ValueError, match="seed"):
        core.mlp_init((4, 2), seed=-1)
    with pytest.raises(ValueError, match="at least an input and an output"):
        core.mlp_init((4,))


def test_mlp_forward_against_explicit_loops():
    from cnnviz import core

    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, size=6)
    params = [(rng.normal(size=(6, 4)), rng.normal(size=4)), (rng.normal(size=(4, 3)), rng.normal(size=3))]
    acts = core.mlp_forward(x, params)
    # layer by layer, neuron by neuron
    h = [max(0.0, sum(x[i] * params[0][0][i, j] for i in range(6)) + params[0][1][j]) for j in range(4)]
    z = [sum(h[i] * params[1][0][i, j] for i in range(4)) + params[1][1][j] for j in range(3)]
    e = [np.exp(v - max(z)) for v in z]
    out = [v / sum(e) for v in e]
    np.testing.assert_allclose(acts[1], h)
    np.testing.assert_allclose(acts[2], out)
    assert len(acts) == 3 and acts[2].sum() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="layer 2 cannot take layer 1's output of 4 value"):
        core.mlp_forward(x, [params[0], (np.zeros((5, 3)), np.zeros(3))])
    with pytest.raises(ValueError, match="flatten it first"):
        core.mlp_forward(np.zeros((2, 3)), params)


def test_lit_positions_and_overlap_against_loops():
    from cnnviz import core

    img = np.zeros((5, 4), dtype=np.uint8)
    img[1, 2], img[3, 0], img[4, 3], img[2, 2] = 200, 255, 90, 130
    expected = [r * 4 + c for r in range(5) for c in range(4) if img[r, c] >= 128]
    assert core.lit_positions(img).tolist() == expected == [6, 10, 12]
    assert core.lit_positions(img, threshold=1).tolist() == [6, 10, 12, 19]
    count, frac = core.position_overlap([6, 10, 12], [10, 12, 13, 14])
    assert (count, frac) == (len({6, 10, 12} & {10, 12, 13, 14}), 2 / 3)
    assert core.position_overlap([], [1]) == (0, 0.0)
    with pytest.raises(ValueError, match="H×W"):
        core.lit_positions(np.zeros(5))


def test_pixel_cells_flatten_to_their_positions():
    from manim import DOWN

    from cnnviz.drawings import PixelCells

    img = np.array([[0, 255, 0], [128, 0, 64]], dtype=np.uint8)
    cells = PixelCells(img, height=2.0)
    assert sorted(cells.cells) == [(0, 1), (1, 0), (1, 2)] and len(cells.rows) == 2
    assert cells.pixel_size == pytest.approx(1.0) and cells.width == pytest.approx(3.0)
    pos = np.arange(6).reshape(2, 3)
    flat = cells.flat_layout(pos, start=[0, 0, 0], length=6.0, thickness=0.5, direction=DOWN)
    # pixel (1, 2) → slot 5: centred 5.5 slots below the start; row 1's bar covers slots 3–5
    np.testing.assert_allclose(flat[1][2].get_center(), [0, -5.5, 0], atol=1e-9)
    assert flat[1][0].height == pytest.approx(3.0) and flat[1][0].width == pytest.approx(0.5)
    np.testing.assert_allclose(flat[0][1].get_center(), [0, -1.5, 0], atol=1e-9)
    with pytest.raises(ValueError, match="positions"):
        cells.flat_layout(pos[:1], start=[0, 0, 0], length=1, thickness=1)


# ============================================================ STRATEGIE1
def test_scan_counts_every_pixel_in_reading_order():
    from scenes.ch1_strategies import scan_data

    d = scan_data()
    assert d.pixels.shape == (30, 45, 3) and d.total == 30 * 45 == 1350
    assert_pixels_of_file(d.pixels, "chelsea", "RGB", d.box, d.factor)
    kinds = [s.kind for s in d.steps]
    assert kinds == ["pixel"] * 5 + ["row"] * 6 + ["fast"] * 24  # then every remaining row, fast
    for s in d.steps:  # pixels read so far = every full row above + the columns up to c1, counted
        read = 0
        for r in range(30):
            for c in range(45):
                if (r, c) <= (s.r, s.c1):
                    read += 1
        assert s.count == read
    assert [s.count for s in d.steps[:6]] == [1, 2, 3, 4, 5, 45] and d.steps[-1].count == d.total
    assert all(a.count < b.count for a, b in zip(d.steps, d.steps[1:]))  # the counter only goes up


# ============================================================ STRATEGIE2
def test_feature_detectors_against_scipy():
    from scipy.signal import correlate2d

    from cnnviz import core
    from scenes.ch1_strategies import CAT_BACKGROUND, CAT_REGIONS, LINE_KERNEL, feature_data

    d = feature_data()
    sobel_v = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]])
    sobel_h = sobel_v.T
    kernels = {"edges": (sobel_v, sobel_h), "ears": (sobel_v + sobel_h, sobel_v - sobel_h),
               "whiskers": (LINE_KERNEL,), "fur": (sobel_v,)}
    np.testing.assert_array_equal(core.edge_kernel("vertical"), sobel_v)

    def response(box, name):
        g = images.photo("chelsea", "L", box=box, factor=2).astype(float)
        assert_pixels_of_file(g, "chelsea", "L", box, 2)
        return np.sqrt(sum(correlate2d(g, k, mode="valid") ** 2 for k in kernels[name]))

    assert [det.name for det in d.detections] == ["edges", "ears", "whiskers", "fur"]
    for det, (name, what, box) in zip(d.detections, CAT_REGIONS):
        ref = response(box, name)
        np.testing.assert_allclose(det.response, ref)
        assert det.peak == pytest.approx(ref.max())
        assert det.background == pytest.approx(response(CAT_BACKGROUND, name).max())
        assert det.fired == (ref.max() >= 3 * det.background) and det.fired  # every feature is found
    assert d.evidence == 4 and d.preview_step == 2


def test_clear_all_and_reveal_curtains():
    """reveal fades a background-coloured curtain out; clear_all keeps the summary (nothing fades away)."""
    from manim import Square, tempconfig

    from cnnviz.drawings import CnnvizScene

    seen = {}

    class S(CnnvizScene):
        def construct(self):
            sq = Square()
            self.reveal(sq, run_time=0.5)
            seen["after reveal"] = [type(m).__name__ for m in self.mobjects]
            self.clear_all()
            seen["after clear"] = [type(m).__name__ for m in self.mobjects]
            seen["time"] = self.renderer.time

    with tempconfig({"dry_run": True, "disable_caching": True, "verbosity": "ERROR", "progress_bar": "none"}):
        S(skip_animations=True).render()
    assert seen["after reveal"] == ["Square"]  # the curtain is gone
    assert seen["after clear"] == ["Square"] and seen["time"] == pytest.approx(0.5)
