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

        params.coerce(ConvDimensionsSimpleCentered, {"m": 9})


def test_conv_dimensions_layout_at_its_limits():
    from scenes.ch2_hyperparams import ConvDimensionsSimpleCentered

    problems = _layout(ConvDimensionsSimpleCentered, n=999, f=998, c=8, m=8, bad_input=(99, 99, 8),
                       bad_kernel=(99, 99, 1))
    assert not problems, "\n".join(map(str, problems))


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


@pytest.mark.parametrize("kw", [
    dict(x=np.where(np.arange(36).reshape(6, 6) % 2, 99, -9), f=5, padding=2),  # 6×6 + 2 rings = 10×10: the limit
    dict(x=((1, 2), (3, 4)), f=1, padding=3, stride=3),  # 2×2 + 3 rings, a stride that skips pixels
], ids=["6x6-p2-limit", "2x2-p3-s3"])
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


@pytest.mark.parametrize("kw", [
    dict(x=np.full((5, 5), 9), w=-np.ones((3, 3), int), strides=(1, 2)),  # the limit, the widest outputs
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


def test_kernel_depth_layout_at_its_limits():
    from scenes.ch2_hyperparams import KernelSizeAndDepthClean

    problems = _layout(KernelSizeAndDepthClean, n=12, sizes=(1, 12), c=8, m=16)
    assert not problems, "\n".join(map(str, problems))
    with pytest.raises(params.ParamError, match="m"):
        params.coerce(KernelSizeAndDepthClean, {"m": 17})
