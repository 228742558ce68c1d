"""Chapter 2, branch ch2a: the numeric convolution family, the architecture family and
ConvDimensionsSimpleCentered — each scene's data against an independent computation
(explicit loops, SciPy). Each scene's layout with another example than the notebook's:
tests/test_scenes.py::test_layout_other_example (tests/layout_examples.py)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import correlate2d



def _loop_conv(x, w, b=0):
    """Valid cross-correlation of an H×W×C input with one F×F×C kernel, by explicit loops."""
    x = np.asarray(x)
    w = np.asarray(w)
    if x.ndim == 2:
        x, w = x[:, :, None], w[:, :, None]
    H, W, C = x.shape
    F = w.shape[0]
    out = np.zeros((H - F + 1, W - F + 1), dtype=np.int64)
    for i in range(H - F + 1):
        for j in range(W - F + 1):
            s = 0
            for a in range(F):
                for bb in range(F):
                    for c in range(C):
                        s += int(x[i + a, j + bb, c]) * int(w[a, bb, c])
            out[i, j] = s + b
    return out


# ----------------------------------------------------------------- the numeric family
VERTICAL_EDGE = np.array([[1, 0, -1], [1, 0, -1], [1, 0, -1]])

OTHER_X = np.array([  # a 6×6 example, not the notebook's
    [1, 4, 0, 2, 3, 1],
    [2, 0, 5, 1, 0, 2],
    [3, 1, 2, 4, 1, 0],
    [0, 2, 1, 0, 3, 4],
    [1, 3, 0, 2, 1, 2],
    [4, 0, 2, 1, 0, 3],
])


def test_conv_example_data_is_the_readme_picture():
    from scenes.ch2_numeric import conv_example_data

    d = conv_example_data()
    np.testing.assert_array_equal(d.x, [[3, 0, 1, 2, 7], [1, 5, 8, 9, 3], [2, 7, 2, 5, 1],
                                        [0, 1, 3, 1, 7], [4, 2, 1, 6, 2]])
    np.testing.assert_array_equal(d.w, VERTICAL_EDGE)
    np.testing.assert_array_equal(d.out, correlate2d(d.x, d.w, mode="valid"))
    np.testing.assert_array_equal(d.out, [[-5, -4, 0], [-10, -2, 2], [0, -2, -4]])
    assert d.n_explained == 2


def test_conv_example_data_other_example():
    from scenes.ch2_numeric import conv_example_data

    w = np.array([[1, -1], [2, 0]])
    d = conv_example_data(x=OTHER_X, w=w, n_explained=1)
    assert d.out.shape == (5, 5) and len(d.steps) == 25
    np.testing.assert_array_equal(d.out, _loop_conv(OTHER_X, w))
    for step in d.steps:
        i, j = step.out_pos
        np.testing.assert_array_equal(step.window, OTHER_X[i:i + 2, j:j + 2])
        np.testing.assert_array_equal(step.products, OTHER_X[i:i + 2, j:j + 2] * w)
        assert step.output == d.out[i, j]


def test_two_filters_data():
    from scenes.ch2_numeric import conv_example_data, two_filters_data

    d = two_filters_data()
    np.testing.assert_array_equal(d.x, conv_example_data().x)  # the same input as the first example
    assert d.bank.shape == (3, 3, 1, 2) and d.out.shape == (3, 3, 2)
    np.testing.assert_array_equal(d.bank[:, :, 0, 0], VERTICAL_EDGE)
    np.testing.assert_array_equal(d.bank[:, :, 0, 1], VERTICAL_EDGE.T)  # horizontal edge
    assert d.names == ("vertical edge", "horizontal edge")
    for m in range(2):
        np.testing.assert_array_equal(d.out[:, :, m], correlate2d(d.x, d.bank[:, :, 0, m], mode="valid"))
        assert len(d.steps[m]) == 9
        for step in d.steps[m]:
            i, j = step.out_pos
            assert step.kernel_index == m
            assert step.products.sum() == step.total == step.output == d.out[i, j, m]
    assert not np.array_equal(d.out[:, :, 0], d.out[:, :, 1])  # two kernels, two different maps


def test_two_filters_other_example():
    from scenes.ch2_numeric import two_filters_data

    kernels = ([[1, -1], [1, -1]], [[1, 1], [-1, -1]])
    x = OTHER_X[:4, :4]
    d = two_filters_data(x=x, kernels=kernels)
    assert d.out.shape == (3, 3, 2)
    for m, k in enumerate(kernels):
        np.testing.assert_array_equal(d.out[:, :, m], _loop_conv(x, k))
    with pytest.raises(ValueError, match="names"):
        two_filters_data(kernels=kernels[:1], names=("a", "b"))


def test_rgb_conv_data():
    from scenes.ch2_numeric import rgb_conv_data

    d = rgb_conv_data()
    assert d.x.shape == (5, 5, 3) and d.w.shape == (3, 3, 3) and d.out.shape == (3, 3)
    assert np.issubdtype(d.x.dtype, np.integer) and 0 <= d.x.min() and d.x.max() <= 9  # small, readable
    assert d.b == 1 and d.channel_names == ("R", "G", "B")
    # one map: the three channels' correlations added, plus the single bias (SciPy, channel by channel)
    per_channel = [correlate2d(d.x[:, :, c], d.w[:, :, c], mode="valid") for c in range(3)]
    np.testing.assert_array_equal(d.out, sum(per_channel) + 1)
    np.testing.assert_array_equal(d.out, _loop_conv(d.x, d.w, b=1))
    assert len(d.steps) == 9 and d.n_explained == 2
    for step in d.steps:
        i, j = step.out_pos
        np.testing.assert_array_equal(step.channel_sums, [pc[i, j] for pc in per_channel])
        assert step.total == sum(pc[i, j] for pc in per_channel) and step.bias == 1
        assert step.output == d.out[i, j]
    # the explained positions show three different, non-zero partial sums
    for step in d.steps[:d.n_explained]:
        assert 0 not in step.channel_sums and len(set(step.channel_sums.tolist())) == 3


def test_rgb_conv_other_example():
    from scenes.ch2_numeric import rgb_conv_data

    rng = np.random.default_rng(7)
    channels = [rng.integers(0, 6, (4, 4)) for _ in range(3)]
    slices = [rng.integers(-2, 3, (2, 2)) for _ in range(3)]
    d = rgb_conv_data(channels=channels, kernel_slices=slices, bias=-2, n_explained=1)
    assert d.out.shape == (3, 3)
    np.testing.assert_array_equal(d.out, _loop_conv(np.stack(channels, -1), np.stack(slices, -1), b=-2))
    with pytest.raises(ValueError, match="channel names"):
        rgb_conv_data(channel_names=("R", "G"))


# ----------------------------------------------------------------- the architecture family
ARCHITECTURES = {  # scene → (C, M), the notebook's four cases
    "Architecture_1_Grey_1Filter": (1, 1),
    "Architecture_2_Grey_2Filters": (1, 2),
    "Architecture_3_RGB_1Filter": (3, 1),
    "FullCNNSequence": (3, 5),
}


@pytest.mark.parametrize("name", ARCHITECTURES)
def test_architecture_data(name):
    import scenes.ch2_architecture as ch2

    c, m = ARCHITECTURES[name]
    d = getattr(ch2, name).data()
    assert d.in_shape == (5, 5, c) and d.kernel_shape == (3, 3, c) and d.bank_shape == (3, 3, c, m)
    # the output of a real convolution with those shapes, by SciPy: one valid correlation per
    # filter, summed over the channels; M of them stacked
    rng = np.random.default_rng(0)
    x, bank = rng.integers(0, 9, d.in_shape), rng.integers(-2, 3, d.bank_shape)
    out = np.stack([sum(correlate2d(x[:, :, k], bank[:, :, k, f], mode="valid") for k in range(c))
                    for f in range(m)], axis=-1)
    assert d.out_shape == out.shape == (3, 3, m)
    assert d.map_shape == out.shape[:2]
    # every window position, by explicit loops
    assert d.windows == tuple((i, j) for i in range(5) for j in range(5) if i + 3 <= 5 and j + 3 <= 5)
    assert d.equation == {"Architecture_1_Grey_1Filter": "5×5×1 ⊛ 3×3×1 → 3×3×1",
                          "Architecture_2_Grey_2Filters": "5×5×1 ⊛ 3×3×1 ×2 → 3×3×2",
                          "Architecture_3_RGB_1Filter": "5×5×3 ⊛ 3×3×3 → 3×3×1",
                          "FullCNNSequence": "5×5×3 ⊛ 3×3×3 ×5 → 3×3×5"}[name]
    assert d.channel_names == (("grey",) if c == 1 else ("R", "G", "B"))


def test_architecture_is_one_data_function_with_keyword_parameters():
    import scenes.ch2_architecture as ch2

    d = ch2.architecture_data(n=7, f=2, c=4, m=3)
    assert (d.in_shape, d.bank_shape, d.out_shape) == ((7, 7, 4), (2, 2, 4, 3), (6, 6, 3))
    assert len(d.windows) == 36 and d.equation == "7×7×4 ⊛ 2×2×4 ×3 → 6×6×3"
    assert d.channel_names == ("channel 1", "channel 2", "channel 3", "channel 4")
    # the four scenes override only C and M: any size can be asked of any of them
    assert ch2.FullCNNSequence.data(n=6).out_shape == (4, 4, 5)
    with pytest.raises(ValueError, match="larger"):
        ch2.architecture_data(n=2, f=3)


def test_grid_lines_and_cell_center():
    from manim import Rectangle

    from cnnviz.drawings import cell_center, grid_lines

    box = Rectangle(width=3.0, height=2.0).move_to([1.0, -1.0, 0])
    lines = grid_lines(box, 2, 3)
    assert len(lines) == (2 - 1) + (3 - 1)
    ys = sorted({round(float(ln.get_start()[1]), 6) for ln in lines if ln.get_start()[1] == ln.get_end()[1]})
    xs = sorted({round(float(ln.get_start()[0]), 6) for ln in lines if ln.get_start()[0] == ln.get_end()[0]})
    assert ys == [-1.0] and xs == [0.5, 1.5]
    np.testing.assert_allclose(cell_center(box, 2, 3, 0, 0), [0.0, -0.5, 0])
    np.testing.assert_allclose(cell_center(box, 2, 3, 1, 2), [2.0, -1.5, 0])
    np.testing.assert_allclose(cell_center(box, 2, 3, 0.5, 1), [1.0, -1.0, 0])  # fractional: a block's centre


# ----------------------------------------------------------------- ConvDimensionsSimpleCentered
def test_conv_dimensions_data():
    from scenes.ch2_hyperparams import conv_dimensions_data

    d = conv_dimensions_data()
    assert (d.n, d.f, d.c, d.m) == (5, 3, 3, 5)
    assert d.in_shape == (5, 5, 3) and d.bank_shape == (3, 3, 3, 5)
    assert d.out_shape == (5 - 3 + 1, 5 - 3 + 1, 5) and d.out_size == 3
    # the notebook's warning, in the core's own words
    assert d.bad_input == (3, 3, 1) and d.bad_kernel == (2, 2, 3)
    assert "3×3×1" in d.error and "2×2×3" in d.error and "channel" in d.error
    with pytest.raises(ValueError) as exc:
        from cnnviz import core

        core.conv2d(np.ones((3, 3, 1)), np.ones((2, 2, 3)))
    assert str(exc.value) == d.error


def test_conv_dimensions_other_example():
    from scenes.ch2_hyperparams import conv_dimensions_data

    kw = dict(n=9, f=4, c=1, m=3, bad_input=(5, 5, 2), bad_kernel=(3, 3, 4))
    d = conv_dimensions_data(**kw)
    x, w = np.ones((9, 9)), np.ones((4, 4))
    assert d.out_shape == correlate2d(x, w, mode="valid").shape + (3,) == (6, 6, 3)
    assert "5×5×2" in d.error and "3×3×4" in d.error
    with pytest.raises(ValueError, match="no error to show"):
        conv_dimensions_data(bad_input=(3, 3, 2), bad_kernel=(2, 2, 2))


def test_sliding_window_copy_shares_its_grid():
    """Every ``window.animate`` step copies the window: the grid it steps over is shared, not copied."""
    from cnnviz.drawings import SlidingWindow, ValueGrid

    grid = ValueGrid(np.arange(25).reshape(5, 5))
    window = SlidingWindow(grid, 3).place(1, 2)
    twin = window.copy()
    assert twin.grid is grid and twin.frame is not window.frame
    np.testing.assert_allclose(twin.get_center(), grid.block_center(1, 2, 3, 3), atol=1e-9)
    twin.step_to(2, 2)  # still steps over the same grid
    assert len(grid.labels) == 25 and grid.label_at(0, 0).original_text == "0"
