"""Chapter 2, branch ch2a: the numeric convolution family, the architecture family and
ConvDimensionsSimpleCentered — each scene's data against an independent computation
(explicit loops, SciPy), and each family's layout with another example than the notebook's."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from scipy.signal import correlate2d

from cnnviz.layout import check_scene


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


def _layout_ok(scene_cls, data_fn):
    """The scene's layout (frame, overlaps, text size, pacing) with another data function."""
    Other = type(scene_cls.__name__, (scene_cls,), {"data": staticmethod(data_fn)})
    problems = check_scene(Other, pacing=(5, 40))
    assert not problems, "\n".join(map(str, problems))


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
    from scenes.ch2_convolution import conv_example_data

    d = conv_example_data()
    np.testing.assert_array_equal(d.x, [[3, 0, 1, 2, 7], [1, 5, 8, 9, 3], [2, 7, 2, 5, 1],
                                        [0, 1, 3, 1, 7], [4, 2, 1, 6, 2]])
    np.testing.assert_array_equal(d.w, VERTICAL_EDGE)
    np.testing.assert_array_equal(d.out, correlate2d(d.x, d.w, mode="valid"))
    np.testing.assert_array_equal(d.out, [[-5, -4, 0], [-10, -2, 2], [0, -2, -4]])
    assert d.n_explained == 2


def test_conv_example_data_other_example():
    from scenes.ch2_convolution import conv_example_data

    w = np.array([[1, -1], [2, 0]])
    d = conv_example_data(x=OTHER_X, w=w, n_explained=1)
    assert d.out.shape == (5, 5) and len(d.steps) == 25
    np.testing.assert_array_equal(d.out, _loop_conv(OTHER_X, w))
    for step in d.steps:
        i, j = step.out_pos
        np.testing.assert_array_equal(step.window, OTHER_X[i:i + 2, j:j + 2])
        np.testing.assert_array_equal(step.products, OTHER_X[i:i + 2, j:j + 2] * w)
        assert step.output == d.out[i, j]


def test_conv_example_layout_other_example():
    from scenes.ch2_convolution import ConvExampleExplainedClean, conv_example_data

    _layout_ok(ConvExampleExplainedClean,
               functools.partial(conv_example_data, x=OTHER_X, w=[[1, -1], [2, 0]], n_explained=1))


def test_two_filters_data():
    from scenes.ch2_convolution import conv_example_data, two_filters_data

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
    from scenes.ch2_convolution import Conv2FiltersExample, two_filters_data

    kernels = ([[1, -1], [1, -1]], [[1, 1], [-1, -1]])
    x = OTHER_X[:4, :4]
    d = two_filters_data(x=x, kernels=kernels)
    assert d.out.shape == (3, 3, 2)
    for m, k in enumerate(kernels):
        np.testing.assert_array_equal(d.out[:, :, m], _loop_conv(x, k))
    with pytest.raises(ValueError, match="names"):
        two_filters_data(kernels=kernels[:1])
    _layout_ok(Conv2FiltersExample, functools.partial(two_filters_data, x=x, kernels=kernels))


def test_rgb_conv_data():
    from scenes.ch2_convolution import rgb_conv_data

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
    from scenes.ch2_convolution import RGBConvStepByStepCentered, rgb_conv_data

    rng = np.random.default_rng(7)
    channels = [rng.integers(0, 6, (4, 4)) for _ in range(3)]
    slices = [rng.integers(-2, 3, (2, 2)) for _ in range(3)]
    d = rgb_conv_data(channels=channels, kernel_slices=slices, bias=-2, n_explained=1)
    assert d.out.shape == (3, 3)
    np.testing.assert_array_equal(d.out, _loop_conv(np.stack(channels, -1), np.stack(slices, -1), b=-2))
    with pytest.raises(ValueError, match="channel names"):
        rgb_conv_data(channel_names=("R", "G"))
    _layout_ok(RGBConvStepByStepCentered,
               functools.partial(rgb_conv_data, channels=channels, kernel_slices=slices, bias=-2, n_explained=1))
