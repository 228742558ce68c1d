"""Chapter 2, section I (scenes/ch2_numeric.py): ConvExampleExplainedClean, Conv2FiltersExample and
RGBConvStepByStepCentered — their parameters (stride, padding, other sizes) against an independent
computation (explicit loops over a zero-padded copy, SciPy), their computed words, their refusals
(one clear ValueError naming the argument) and their limits (the largest size passes, the next is
refused with the "fits this scene at a readable size" message). Cheap: data and parameter checks;
the layout at the limit is one check per scene."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import correlate2d

from cnnviz import params


def _loop(x, w, b=0, stride=1, padding=0):
    """Cross-correlation of an H×W(×C) input with one kh×kw(×C) kernel: explicit loops on a zero-padded copy."""
    x = np.asarray(x, dtype=float)
    w = np.asarray(w, dtype=float)
    if x.ndim == 2:
        x, w = x[:, :, None], w[:, :, None]
    H, W, C = x.shape
    xp = np.zeros((H + 2 * padding, W + 2 * padding, C))
    xp[padding:padding + H, padding:padding + W] = x
    kh, kw = w.shape[:2]
    rows = []
    r = 0
    while r + kh <= xp.shape[0]:
        row, c = [], 0
        while c + kw <= xp.shape[1]:
            row.append(sum(xp[r + a, c + bb, k] * w[a, bb, k] for a in range(kh) for bb in range(kw)
                           for k in range(C)) + b)
            c += stride
        rows.append(row)
        r += stride
    return np.array(rows)


X54 = [[1, 2, 3, 4], [5, 6, 7, 8], [9, 1, 2, 3], [4, 5, 6, 7], [8, 9, 1, 2]]


# ------------------------------------------------------------------ ConvExampleExplainedClean
def test_conv_example_stride_and_padding():
    from scenes.ch2_numeric import conv_example_data

    d = conv_example_data(stride=2, padding=1)
    np.testing.assert_array_equal(d.out, _loop(d.x, d.w, stride=2, padding=1))
    assert d.out.shape == (3, 3) and len(d.steps) == 9
    # the window jumps 2 cells, in the padded input's coordinates
    assert [s.window_pos for s in d.steps[:4]] == [(0, 0), (0, 2), (0, 4), (2, 0)]
    xp = np.pad(d.x, 1)
    for s in d.steps:
        r, c = s.window_pos
        np.testing.assert_array_equal(s.window, xp[r:r + 3, c:c + 3])  # the zero ring included
    assert d.size_lines == ("each side: ⌊(5 + 2×1 − 3) / 2⌋ + 1 = 3",)
    assert d.summary == "9 window positions → a 3×3 output"


def test_conv_example_words_follow_the_numbers():
    from scenes.ch2_numeric import conv_example_data

    d = conv_example_data()
    assert d.labels == ("input 5×5", "kernel 3×3", "output 3×3")
    assert d.size_lines == ("each side: 5 − 3 + 1 = 3",)
    d = conv_example_data(x=X54, w=[[1, 0, -1], [2, 0, -2]])  # not square: two lines, rows and columns
    assert d.labels == ("input 5×4", "kernel 2×3", "output 4×2")
    assert d.size_lines == ("rows: 5 − 2 + 1 = 4", "columns: 4 − 3 + 1 = 2")
    assert d.summary == "8 window positions → a 4×2 output"
    np.testing.assert_array_equal(d.out, correlate2d(X54, [[1, 0, -1], [2, 0, -2]], mode="valid"))


def test_conv_example_floats():
    from scenes.ch2_numeric import ConvExampleExplainedClean, conv_example_data

    x = [[0.5, 1, 2], [3, 0.5, 1], [1, 1, 0.5]]
    w = [[0.5, -1], [1, 0.25]]
    d = conv_example_data(x=x, w=w)
    np.testing.assert_allclose(d.out, _loop(x, w))
    shown = ConvExampleExplainedClean.must_show(None, d)
    from cnnviz.notation import fmt_num

    assert {fmt_num(v) for v in _loop(x, w).ravel()} <= set(shown)  # every output value, as written on screen
    assert {"0.25", "-1", "3"} <= set(shown)  # the first position's products: 0.5×0.5, 1×(-1), 3×1
    assert all(t in shown for t in ("input 3×3", "kernel 2×2", "output 2×2"))


@pytest.mark.parametrize("kw, match", [
    (dict(padding=-1), "padding must be a whole number ≥ 0"),
    (dict(stride=0), "stride must be a whole number ≥ 1"),
    (dict(x=[[1, 2], [3]]), "x \\(the input\\) must be rows of numbers"),
    (dict(w=[[1, 0], [0, 1]], x=[[1] * 6] * 6, padding=1), "padded input of at most 7×7"),
])
def test_conv_example_refuses_bad_input(kw, match):
    from scenes.ch2_numeric import conv_example_data

    with pytest.raises(ValueError, match=match):
        conv_example_data(**kw)


def test_conv_example_limits():
    from scenes.ch2_numeric import ConvExampleExplainedClean

    ok = params.coerce(ConvExampleExplainedClean, {"x": [[1] * 6] * 6, "w": [[1] * 4] * 4, "stride": 3,
                                                   "padding": 1, "n_explained": 3})
    assert ok["stride"] == 3
    with pytest.raises(params.ParamError, match="an input of at most 6×6 fits this scene at a readable size"):
        params.coerce(ConvExampleExplainedClean, {"x": [[1] * 7] * 7})
    with pytest.raises(params.ParamError, match="a kernel of at most 4×4 fits this scene at a readable size"):
        params.coerce(ConvExampleExplainedClean, {"w": [[1] * 5] * 5})
    assert params.coerce(ConvExampleExplainedClean, {"n_explained": 8})["n_explained"] == 8
    for name, bad in (("stride", 4), ("padding", 4), ("n_explained", 9)):
        with pytest.raises(params.ParamError, match=name):
            params.coerce(ConvExampleExplainedClean, {name: bad})
    # padding: 3 rings around a 1×1 input make the largest padded input (7×7); 3 around a 2×2 do not fit
    assert params.coerce(ConvExampleExplainedClean, {"x": [[5]], "w": [[1]], "padding": 3})["padding"] == 3
    with pytest.raises(ValueError, match="a padded input of at most 7×7 fits this scene at a readable size"):
        from scenes.ch2_numeric import conv_example_data

        conv_example_data(x=[[1, 2], [3, 4]], w=[[1]], padding=3)


# ------------------------------------------------------------------ Conv2FiltersExample
def test_two_filters_kernels_of_different_sizes_refused_clearly():
    from scenes.ch2_numeric import Conv2FiltersExample, two_filters_data

    with pytest.raises(ValueError, match="^kernels must all have one size: kernel 2 is 2×2, kernel 1 is 3×3$"):
        two_filters_data(kernels=([[1, 0, -1]] * 3, [[1, 1], [-1, -1]]))
    with pytest.raises(params.ParamError, match="kernels"):  # from the command line: the same argument named
        params.coerce(Conv2FiltersExample, {"kernels": [[[1, 0, -1]] * 3, [[1, 1], [-1, -1]]]})
    with pytest.raises(ValueError, match="names: 2 kernels but 1 names"):
        two_filters_data(names=("edges",))


def test_two_filters_stride_padding_and_words():
    from scenes.ch2_numeric import two_filters_data

    ks = ([[1, -1], [1, -1]], [[1, 1], [-1, -1]])
    d = two_filters_data(x=X54, kernels=ks, stride=2, padding=1)
    for m, k in enumerate(ks):
        np.testing.assert_array_equal(d.out[:, :, m], _loop(X54, k, stride=2, padding=1))
    assert d.out.shape == (3, 3, 2)  # ⌊(5 + 2 − 2) / 2⌋ + 1 rows, ⌊(4 + 2 − 2) / 2⌋ + 1 columns
    assert d.names == ("", "")  # her kernels: the scene does not claim what they detect
    assert d.summary == ("2 kernels → 2 maps of 3×3, one per kernel", "stacked: output 3×3×2")
    assert two_filters_data().names == ("vertical edge", "horizontal edge")
    d1 = two_filters_data(kernels=ks[:1], names=("vertical step",))
    assert d1.summary[0] == "1 kernel → 1 map of 4×4, one per kernel"


def test_two_filters_limits():
    from scenes.ch2_numeric import Conv2FiltersExample

    params.coerce(Conv2FiltersExample, {"kernels": [[[1] * 4] * 4] * 2})
    with pytest.raises(params.ParamError, match="a kernel bank of at most 2×4×4 fits this scene at a readable size"):
        params.coerce(Conv2FiltersExample, {"kernels": [[[1] * 2] * 2] * 3})
    # measured with the layout check: a 7×7 input, a third kernel, a 5×5 kernel, ±999, padding 2 (36 positions a
    # kernel) and 3 explained positions at the most positions (a 6×6 input, 1×1 kernels) each fail it
    with pytest.raises(params.ParamError, match="an input of at most 6×6 fits this scene at a readable size"):
        params.coerce(Conv2FiltersExample, {"x": [[1] * 7] * 7})
    for name, bad in (("x", [[100]]), ("padding", 2), ("n_explained", 3)):
        with pytest.raises(params.ParamError, match=name):
            params.coerce(Conv2FiltersExample, {name: bad})


# ------------------------------------------------------------------ RGBConvStepByStepCentered
def test_rgb_conv_parameters():
    from scenes.ch2_numeric import rgb_conv_data

    rng = np.random.default_rng(3)
    channels = [rng.integers(-20, 120, (4, 5)) for _ in range(3)]  # 3-digit values
    slices = [rng.integers(-3, 4, (2, 3)) for _ in range(3)]
    d = rgb_conv_data(channels=channels, kernel_slices=slices, bias=-4, stride=2, padding=1)
    want = sum(_loop(channels[c], slices[c], stride=2, padding=1) for c in range(3)) - 4
    np.testing.assert_array_equal(d.out, want)
    assert d.summary == ("3 channel sums + 1 bias → one number per position", "→ ONE 3×3 map")
    for s in d.steps:
        i, j = s.out_pos
        assert s.output == want[i, j] and s.bias == -4
    assert rgb_conv_data(bias=0.5).b == 0.5 and rgb_conv_data(bias=2.0).b == 2


@pytest.mark.parametrize("kw, match", [
    (dict(kernel_slices=(((1, 0), (0, 1)), ((1, 0), (0, 1)), ((1, 0, 0), (0, 1, 0), (0, 0, 1)))),
     "^kernel_slices must all have one size: number 3 is 3×3, number 1 is 2×2$"),
    (dict(kernel_slices=(((1, 0), (0, 1)),) * 2), "kernel_slices: 3 channels need 3 kernel slices, got 2"),
    (dict(channel_names=("R", "G")), "channel_names: 3 channels but 2 channel names"),
    (dict(padding=-1), "padding must be a whole number ≥ 0"),
    (dict(bias="one"), "bias must be a number"),
])
def test_rgb_conv_refuses_bad_input(kw, match):
    from scenes.ch2_numeric import rgb_conv_data

    with pytest.raises(ValueError, match=match):
        rgb_conv_data(**kw)


def test_rgb_conv_limits():
    from scenes.ch2_numeric import RGBConvStepByStepCentered

    params.coerce(RGBConvStepByStepCentered, {"channels": [[[99] * 5] * 5] * 3, "kernel_slices": [[[9] * 3] * 3] * 3})
    with pytest.raises(params.ParamError, match="an input of at most 3×5×5 fits this scene at a readable size"):
        params.coerce(RGBConvStepByStepCentered, {"channels": [[[1] * 6] * 6] * 3})
    with pytest.raises(params.ParamError, match="a kernel of at most 3×3×3 fits this scene at a readable size"):
        params.coerce(RGBConvStepByStepCentered, {"kernel_slices": [[[1] * 4] * 4] * 3})
    with pytest.raises(params.ParamError, match="channels holds 100"):
        params.coerce(RGBConvStepByStepCentered, {"channels": [[[100] * 5] * 5] * 3})


# ------------------------------------------------------------------ the limits, drawn (the layout check: a minute each
# on a busy machine, so two; also measured: a 6×6 input with a 2×2 kernel and n_explained=3 (25 positions, within the
# 40 s pacing), a 4×4 kernel of -99s)
AT_THE_LIMITS = [
    ("ConvExampleExplainedClean", dict(x=[[99, -99, 99, -99, 99, -99]] * 6, n_explained=3)),  # 6×6, ±99: "-594"
    ("RGBConvStepByStepCentered", dict(channels=[[[99, 0, 99, 0, 99]] * 5] * 3)),
    ("ConvExampleExplainedClean", dict(x=[[5]], w=[[1]], padding=3)),  # the most padding: 49 positions (4: 81, too long)
    ("ConvExampleExplainedClean", dict(x=[[3, 0, 1, 2, 7, 1]] * 6, w=[[2]], n_explained=8)),  # 36 positions, 8 explained
    ("Conv2FiltersExample", dict(x=[[3, 0, 1, 2, 7, 1]] * 6, kernels=[[[2]], [[-1]]], n_explained=2)),  # 2 × 36
]


@pytest.mark.slow
@pytest.mark.parametrize("name, values", AT_THE_LIMITS, ids=[f"{n}-{k}" for k, (n, _) in enumerate(AT_THE_LIMITS)])
def test_the_limits_render_readably(name, values):
    import scenes.ch2_numeric as ch2
    from cnnviz.layout import check_scene

    cls = params.parametrised(getattr(ch2, name), params.coerce(getattr(ch2, name), values))
    assert check_scene(cls, pacing=(5, 40)) == []
