"""Chapter 2, sections II–IV (branch ch-hyper): ConvDimensionsSimpleCentered, OutputSizeFormula,
PaddingOneByOneEng, Stride4x4Comparison, KernelSizeAndDepthClean.

The words on screen against the numbers they state (computed here independently), the parameters'
limits (the limit passes the layout check, the next size is refused with the readable-size message),
and bad input refused with one clear ValueError naming the argument."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from scipy.signal import correlate2d

from cnnviz import params
from cnnviz.layout import check_scene


def _layout(scene_cls, **kwargs):
    cls = type(scene_cls.__name__, (scene_cls,), {"data": staticmethod(functools.partial(scene_cls.data, **kwargs))})
    return check_scene(cls, pacing=(5, 40))


# ----------------------------------------------------------------- ConvDimensionsSimpleCentered
def test_conv_dimensions_says_the_refusal_in_words():
    from scenes.ch2_hyperparams import conv_dimensions_data
    from cnnviz import notation

    for bad_input, bad_kernel, ci, ck in (((3, 3, 1), (2, 2, 3), 1, 3), ((5, 5, 2), (3, 3, 4), 2, 4)):
        d = conv_dimensions_data(bad_input=bad_input, bad_kernel=bad_kernel)
        text = " ".join(d.refusal)
        assert f"the input has {ci} channel" in text and f"the kernel {ck} channels" in text and f"({ci} ≠ {ck})" in text
        for line in d.refusal:
            assert notation.strays(line) == [], line  # no code words, the course's notation
        assert "ValueError" not in text and "conv2d" not in text


def test_conv_dimensions_refuses_bad_input_clearly():
    from scenes.ch2_hyperparams import conv_dimensions_data

    with pytest.raises(ValueError, match=r"^f: a 6×6 kernel does not fit in a 5×5 input"):
        conv_dimensions_data(f=6)
    with pytest.raises(ValueError, match="^bad_input is three whole numbers"):
        conv_dimensions_data(bad_input=(3, 3))
    with pytest.raises(ValueError, match="^bad_input and bad_kernel: both have 2 channels"):
        conv_dimensions_data(bad_input=(3, 3, 2), bad_kernel=(2, 2, 2))
    with pytest.raises(params.ParamError, match="m"):
        from scenes.ch2_hyperparams import ConvDimensionsSimpleCentered

        params.coerce(ConvDimensionsSimpleCentered, {"m": 0})


def test_conv_dimensions_layout_at_its_limits():
    """Every size at its limit, 999 (the largest without a thousands separator, which the shapes on screen
    do not write: 1,000 fails the notation rule), passes every layout rule."""
    from scenes.ch2_hyperparams import ConvDimensionsSimpleCentered

    problems = _layout(ConvDimensionsSimpleCentered, n=999, f=998, c=999, m=999, bad_input=(999, 999, 999),
                       bad_kernel=(999, 999, 1))
    assert not problems, "\n".join(map(str, problems))


def test_conv_dimensions_refuses_the_next_size():
    from scenes.ch2_hyperparams import CONV_DIM_MAX, ConvDimensionsSimpleCentered, conv_dimensions_data

    assert CONV_DIM_MAX == 999
    for name in ("n", "f", "c", "m"):
        with pytest.raises(params.ParamError, match=rf"^{name} is 1000: it must be from 1 to 999"):
            params.coerce(ConvDimensionsSimpleCentered, {name: 1000})
    with pytest.raises(params.ParamError, match="bad_input"):
        params.coerce(ConvDimensionsSimpleCentered, {"bad_input": (1000, 3, 1)})
    with pytest.raises(ValueError, match=r"^n: a 1000×1000 input is too large: an input of at most 999×999 fits this "
                                         "scene at a readable size"):
        conv_dimensions_data(n=1000)
    with pytest.raises(ValueError, match=r"^m: 1000 filters are too many: at most 999 fit this scene at a readable"):
        conv_dimensions_data(m=1000)
    with pytest.raises(ValueError, match=r"^bad_kernel: a 2×1000×3 kernel is too large: at most 999 a side and 999 "
                                         "channels fit this scene at a readable size"):
        conv_dimensions_data(bad_kernel=(2, 1000, 3))


# ----------------------------------------------------------------- OutputSizeFormula
def _size_by_sliding(n, f, p, s):
    return len(range(0, n + 2 * p - f + 1, s))


@pytest.mark.parametrize("case, heading, result", [
    ((28, 3, 1, 1), "Notebook example: N = 28, F = 3, P = 1, S = 1", "28×28 → 28×28: padding P = 1 keeps the size"),
    ((32, 5, 2, 2), "Example: N = 32, F = 5, P = 2, S = 2", "32×32 → 16×16: the output is 16 smaller"),
    ((28, 3, 0, 1), "Example: N = 28, F = 3, P = 0, S = 1", "28×28 → 26×26: the output is 2 smaller"),
    ((4, 1, 2, 1), "Example: N = 4, F = 1, P = 2, S = 1", "4×4 → 8×8: the output is 4 larger"),
    ((6, 1, 0, 1), "Example: N = 6, F = 1, P = 0, S = 1", "6×6 → 6×6: the size is kept"),
])
def test_output_size_words_follow_the_numbers(case, heading, result):
    from scenes.ch2_hyperparams import output_size_data

    d = output_size_data(example=case)
    n, f, p, s = case
    assert d.notebook.size == _size_by_sliding(n, f, p, s)
    assert d.ex_heading == heading and d.ex_result == result
    assert d.is_notebook == (case == (28, 3, 1, 1))


def test_output_size_floor_case_words():
    from scenes.ch2_hyperparams import output_size_data

    d = output_size_data()  # 8, 3, 0, 2: windows at cells 1, 3, 5; the 4th would need 7–9 of 8
    assert d.floor_heading.startswith("When the floor matters")
    assert d.floor_miss == "window 4 would need cells 7–9: only 8 exist"
    assert d.floor_result == "5/2 = 2.5 → floor 2 → 3 windows, output 3×3"
    d = output_size_data(floor_case=(10, 3, 1, 3))  # padded 12 cells: windows at 1, 4, 7, 10
    assert d.floor_case.size == _size_by_sliding(10, 3, 1, 3) == 4
    assert d.floor_heading.startswith("A case where the windows fit exactly")  # (10 − 3 + 2)/3 = 3
    assert d.floor_miss == "window 5 would need cells 13–15: the padded strip has 12"
    assert d.floor_result == "9/3 = 3 → floor 3 → 4 windows, output 4×4"
    with pytest.raises(ValueError, match="^example: N, F and S are at least 1"):
        output_size_data(example=(8, 3, 0, 0))


def test_output_size_limits_are_the_measured_ones():
    """The floor case's strip: 19 cells (with the window after the last) pass every layout rule next to the
    largest first case; 20 are refused with the readable-size message (20 reach the frame's edge)."""
    from scenes.ch2_hyperparams import FLOOR_MAX_CELLS, SIZE_MAX, OutputSizeFormula, output_size_data

    assert (FLOOR_MAX_CELLS, SIZE_MAX) == (19, 999)
    problems = _layout(OutputSizeFormula, example=(999, 1, 999, 1), floor_case=(18, 1, 0, 1))  # 999 → 2,997
    assert not problems, "\n".join(map(str, problems))
    with pytest.raises(ValueError, match=r"^floor_case: its strip of 19 cells and the window after the last need 20 "
                                         "cells: a strip of at most 19 cells fits this scene at a readable size"):
        output_size_data(floor_case=(19, 1, 0, 1))
    with pytest.raises(params.ParamError, match=r"floor_case"):
        params.coerce(OutputSizeFormula, {"floor_case": (20, 3, 0, 2)})
    with pytest.raises(params.ParamError, match=r"example"):
        params.coerce(OutputSizeFormula, {"example": (1000, 3, 1, 1)})


# ----------------------------------------------------------------- PaddingOneByOneEng
def test_padding_summary_matches_the_grid():
    """The summary frames the stage the grid shows: P = 1 keeps 5×5, and the grid goes back to P = 1."""
    from scenes.ch2_hyperparams import _padding_summary, padding_data

    d = padding_data()
    shown, text = _padding_summary(d)
    assert shown.p == 1 and text == "P = 1 keeps the 5×5 size, and the corner pixel is in 4 windows instead of 1"
    d = padding_data(x=np.arange(16).reshape(4, 4), f=2, padding=2)  # F = 2: no padding keeps 4×4 (4 − 2 + 2P + 1)
    shown, text = _padding_summary(d)
    assert shown.p == 2 and text == "each ring of zeros puts the corner pixel in more windows: 1 → 4"
    assert [st.case.size for st in d.stages] == [3, 5, 7]


@pytest.mark.parametrize("kw, message", [
    (dict(padding=-1), r"^padding: the rings of zeros are 0 or more, got -1"),
    (dict(padding=3), r"^padding: a 5×5 input with 3 rings of zeros is 11×11: a padded input of at most 10×10 "
                      "fits this scene at a readable size"),
    (dict(f=6), r"^f: a 6×6 kernel does not fit the 5×5 input"),
    (dict(x=np.zeros((2, 3))), r"^x: padding_data needs a square N×N input, got 2×3"),
])
def test_padding_refuses_clearly(kw, message):
    from scenes.ch2_hyperparams import padding_data

    with pytest.raises(ValueError, match=message):
        padding_data(**kw)


def test_padding_params_refuse_a_7x7_input():
    from scenes.ch2_hyperparams import PaddingOneByOneEng

    with pytest.raises(params.ParamError, match="at most 6×6 fits this scene at a readable size"):
        params.coerce(PaddingOneByOneEng, {"x": np.ones((7, 7), int).tolist()})
    with pytest.raises(params.ParamError, match="padding"):
        params.coerce(PaddingOneByOneEng, {"padding": -1})
    assert params.coerce(PaddingOneByOneEng, {"x": np.ones((6, 6), int).tolist(), "padding": 2})
    # the measured limits: −99 … 999 (−999 and 1,000 push the padded grid out of the frame), F ≤ N ≤ 6,
    # P ≤ 4 (N + 2P ≤ 10), a stride up to the padded side 10
    for value in (-100, 1000):
        with pytest.raises(params.ParamError, match=r"^x holds -?\d+: every number must be from -99 to 999"):
            params.coerce(PaddingOneByOneEng, {"x": [[value, 1], [2, 3]]})
    for name, value, most in (("f", 7, 6), ("padding", 5, 4), ("stride", 11, 10)):
        with pytest.raises(params.ParamError, match=rf"^{name} is {value}: it must be from \d to {most}"):
            params.coerce(PaddingOneByOneEng, {name: value})


@pytest.mark.parametrize("kw", [
    # 6×6 + 2 rings = 10×10, the widest values (−99, 999) and the largest kernel: the limits
    dict(x=np.where(np.arange(36).reshape(6, 6) % 2, 999, -99), f=6, padding=2),
    dict(x=((1, 2), (3, 4)), f=1, padding=4, stride=10),  # 2×2 + 4 rings = 10×10, a stride past the padded side
], ids=["6x6-f6-p2-limit", "2x2-p4-s10"])
def test_padding_layout_at_its_limits(kw):
    from scenes.ch2_hyperparams import PaddingOneByOneEng

    problems = _layout(PaddingOneByOneEng, **kw)
    assert not problems, "\n".join(map(str, problems))


# ----------------------------------------------------------------- Stride4x4Comparison
def test_stride_words_follow_the_strides():
    from scenes.ch2_hyperparams import _stride_words, stride_data

    done, same = _stride_words(stride_data())
    assert done == "Stride 2: 4 windows instead of 9 → a 2×2 output instead of 3×3, fewer computations"
    assert same == "stride 2 keeps 4 of the stride-1 windows: the same values"
    x = np.arange(25).reshape(5, 5) % 10
    d = stride_data(x=x, w=((1, 0, -1),) * 3, strides=(3, 1))  # the larger stride first: 1 window vs 9
    assert [o.shape for o in d.outs] == [(1, 1), (3, 3)]
    np.testing.assert_array_equal(d.outs[1], correlate2d(x, np.array(((1, 0, -1),) * 3), mode="valid"))
    done, same = _stride_words(d)
    assert done == "Stride 1: 9 windows instead of 1 → a 3×3 output instead of 1×1, more computations"
    assert same is None


def test_stride_limits():
    from scenes.ch2_hyperparams import Stride4x4Comparison, stride_data

    with pytest.raises(params.ParamError, match="at most 5×5 fits this scene at a readable size"):
        params.coerce(Stride4x4Comparison, {"x": np.ones((6, 6), int).tolist()})
    with pytest.raises(params.ParamError, match="at most 3×3 fits this scene at a readable size"):
        params.coerce(Stride4x4Comparison, {"w": np.ones((4, 4), int).tolist()})
    with pytest.raises(ValueError, match="^w: a 3×3 kernel does not fit the 2×2 input"):
        stride_data(x=((1, 2), (3, 4)), w=np.ones((3, 3), int))
    with pytest.raises(ValueError, match="^strides: two different strides"):
        stride_data(strides=(1,))
    # 25 under a 2×2 kernel of −1s sums to −100: its cells widen the input out of the frame (measured)
    with pytest.raises(params.ParamError, match=r"^x holds 25: every number must be from 0 to 24"):
        params.coerce(Stride4x4Comparison, {"x": [[25, 1], [2, 3]]})


@pytest.mark.parametrize("kw", [
    dict(x=np.full((5, 5), 24), w=-np.ones((2, 2), int), strides=(1, 2)),  # the limits: the widest 4×4 output, −96
    dict(x=((1, 2), (3, 4)), w=((1,),), strides=(3, 1)),
], ids=["5x5-k3-limit", "2x2-k1-s3s1"])
def test_stride_layout_at_its_limits(kw):
    from scenes.ch2_hyperparams import Stride4x4Comparison

    problems = _layout(Stride4x4Comparison, **kw)
    assert not problems, "\n".join(map(str, problems))


# ----------------------------------------------------------------- KernelSizeAndDepthClean
def test_kernel_sizes_are_two_and_the_words_follow_them():
    from scenes.ch2_hyperparams import _kernel_moral, kernel_depth_data

    assert _kernel_moral(kernel_depth_data()) == "3×3: fine details · 5×5: broader patterns, and a smaller output"
    assert _kernel_moral(kernel_depth_data(n=9, sizes=(1, 7))).startswith("1×1: fine details · 7×7: broader")
    for sizes in ((3,), (3, 5, 7), (5, 3), (3, 3)):
        with pytest.raises(ValueError, match=r"^sizes: the scene compares two kernel sizes, the smaller first"):
            kernel_depth_data(sizes=sizes)
    with pytest.raises(ValueError, match=r"^sizes: each kernel size is from 1 to the input size N = 7"):
        kernel_depth_data(sizes=(3, 9))


def _windows_by_loops(n, f, s, p):
    """Top-left corners (padded coordinates) of every F×F window S apart on the (N + 2P)-sided padded input."""
    starts = [r for r in range(0, n + 2 * p) if r + f <= n + 2 * p and r % s == 0]
    return [(r, c) for r in starts for c in starts]


def _padding_cells_by_loops(n, p, r, c, f):
    """How many cells of the window at (r, c) are padding (outside the input's rows and columns p … p + n − 1)."""
    return sum(1 for i in range(r, r + f) for j in range(c, c + f) if not (p <= i < p + n and p <= j < p + n))


@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1), dict(n=9, sizes=(3, 7), stride=3, padding=2, c=1, m=8),
                                dict(n=4, sizes=(1, 4), stride=2, padding=3, c=2, m=3)],
                         ids=["notebook", "s2-p1", "n9-s3-p2", "n4-s2-p3"])
def test_kernel_depth_sizes_windows_and_parameters_against_loops(kw):
    from scenes.ch2_hyperparams import kernel_depth_data

    d = kernel_depth_data(**kw)
    n, s, p = kw.get("n", 7), kw.get("stride", 1), kw.get("padding", 0)
    c, m = kw.get("c", 3), kw.get("m", 5)
    assert (d.n, d.stride, d.padding, d.padded) == (n, s, p, n + 2 * p)
    for ch, f in zip(d.choices, kw.get("sizes", (3, 5))):
        wins = _windows_by_loops(n, f, s, p)
        size = int(np.sqrt(len(wins)))
        assert list(ch.windows) == wins and ch.case.size == size
        assert ch.out_shape == (size, size, m)
        # the centre output pixel's window, and how much of it is padding, counted cell by cell
        r, col = wins[(size // 2) * size + size // 2]
        assert ch.centre_window == (r, col) and ch.zeros_seen == _padding_cells_by_loops(n, p, r, col, f)
        assert ch.seen == f * f and ch.terms == (f * f * c * m, m) and ch.params == f * f * c * m + m


def test_kernel_depth_padding_matches_a_direct_convolution():
    """The output sizes the scene draws are those of a real convolution of the zero-padded input (SciPy)."""
    from scenes.ch2_hyperparams import kernel_depth_data

    d = kernel_depth_data(n=7, sizes=(3, 5), stride=2, padding=1)
    x = np.pad(np.arange(49.0).reshape(7, 7), 1)
    for ch in d.choices:
        full = correlate2d(x, np.ones((ch.f, ch.f)), mode="valid")[::2, ::2]  # every window, then stride 2
        assert full.shape == (ch.case.size, ch.case.size)
    assert [ch.case.size for ch in d.choices] == [4, 3]


def test_kernel_depth_words_follow_stride_and_padding():
    from scenes.ch2_hyperparams import (_hyper_words, _kernel_moral, _seen_words, _sweep_words,
                                        kernel_depth_data)

    d = kernel_depth_data()
    assert _hyper_words(d) == "stride S = 1 · no padding"
    assert _sweep_words(d) == "The larger kernel fits fewer positions: 25 windows give 5×5, 9 give 3×3."
    assert [_seen_words(ch) for ch in d.choices] == ["one output pixel sees 3×3 = 9 pixels",
                                                     "one output pixel sees 5×5 = 25 pixels"]
    d = kernel_depth_data(stride=2, padding=1)  # 9×9 padded: windows at 0, 2, 4, 6 (3×3) and 0, 2, 4 (5×5)
    assert _hyper_words(d) == "stride S = 2 · padding P = 1: 1 ring of zeros"
    assert _sweep_words(d) == ("Moving 2 pixels per step, the larger kernel fits fewer positions: "
                               "16 windows give 4×4, 9 give 3×3.")
    assert _kernel_moral(d).endswith("and a smaller output")
    d = kernel_depth_data(n=3, sizes=(3, 5), padding=1)  # the 5×5 window is the whole padded 5×5 input
    assert _seen_words(d.choices[1]) == "one output pixel sees 5×5 = 25 pixels, 16 of them padding"
    assert _seen_words(kernel_depth_data(n=2, sizes=(1, 2)).choices[0]) == "one output pixel sees 1×1 = 1 pixel"
    d = kernel_depth_data(n=8, sizes=(3, 4), stride=2)  # ⌊5/2⌋ + 1 = ⌊4/2⌋ + 1 = 3: the same size
    assert [ch.case.size for ch in d.choices] == [3, 3]
    assert _kernel_moral(d) == "3×3: fine details · 4×4: broader patterns, and the same output size"
    assert _sweep_words(d).startswith("Moving 2 pixels per step, the two kernels fit as many positions: 9 windows")


@pytest.mark.parametrize("kw, message", [
    (dict(padding=-1), r"^padding: the rings of zeros are 0 or more, got -1"),
    (dict(stride=0), r"^stride: the window moves at least 1 pixel per step, got 0"),
    (dict(sizes=(3, 11), padding=1), r"^sizes: each kernel size is from 1 to the padded input's size N \+ 2P = 9"),
    (dict(n=14, padding=1), r"^n: a 14×14 input with padding 1 is 16×16: an input of at most 13×13 \(with padding 1\) "
                            "fits this scene at a readable size"),
    (dict(n=16, sizes=(3, 5)), r"^n: a 16×16 input is too large: an input of at most 15×15 fits this scene at a "
                               "readable size"),
    (dict(n=2, sizes=(1, 2), padding=7), r"^padding: 7 rings of zeros make the 2×2 input 16×16: at most 15×15, "
                                         "padding included, fits this scene at a readable size"),
])
def test_kernel_depth_refuses_clearly(kw, message):
    from scenes.ch2_hyperparams import kernel_depth_data

    with pytest.raises(ValueError, match=message):
        kernel_depth_data(**kw)


def test_kernel_depth_limits_are_the_measured_ones():
    """N + 2P ≤ 15 (a 16-cell padded input puts its zeros into each other), C ≤ 999 (1,000 would need a
    thousands separator in the shapes), M ≤ 54 (55 filters last longer than 40 s): the next value is refused."""
    from scenes.ch2_hyperparams import (KERNEL_MAX_CHANNELS, KERNEL_MAX_FILTERS, KERNEL_MAX_PADDED,
                                        KernelSizeAndDepthClean)

    assert (KERNEL_MAX_PADDED, KERNEL_MAX_CHANNELS, KERNEL_MAX_FILTERS) == (15, 999, 54)
    for name, value in (("n", 16), ("c", 1000), ("m", 55), ("padding", 7)):
        with pytest.raises(params.ParamError, match=rf"^{name} is {value}: it must be from"):
            params.coerce(KernelSizeAndDepthClean, {name: value})
    assert params.coerce(KernelSizeAndDepthClean, {"n": 13, "padding": 1, "c": 999, "m": 54, "stride": 2})


def test_kernel_depth_layout_at_its_limits():
    """The largest padded input (13×13 + 1 ring = 15×15) beside its widest output (a 1×1 kernel keeps 15×15),
    with the most channels and filters, passes every layout rule."""
    from scenes.ch2_hyperparams import KernelSizeAndDepthClean

    problems = _layout(KernelSizeAndDepthClean, n=13, sizes=(1, 2), padding=1, c=999, m=54)
    assert not problems, "\n".join(map(str, problems))


def test_kernel_depth_layout_with_narrow_panels():
    """Tiny grids (a 2×2 input, a kernel as large as the padded input): the panels widen for the texts under
    them, so the two panels' notes and formulas never run into each other."""
    from scenes.ch2_hyperparams import KernelSizeAndDepthClean

    problems = _layout(KernelSizeAndDepthClean, n=2, sizes=(1, 6), padding=2, stride=3)
    assert not problems, "\n".join(map(str, problems))
