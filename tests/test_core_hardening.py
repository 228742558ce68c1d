"""Issue 10, the numeric core: nothing cnnviz.core returns may ever be silently wrong.

Each test here failed on the core before the hardening (a wrapped-around or
inf/NaN number, a raw NumPy error, an allocation of tens of GiB, or garbage
accepted) and passes after. The last part throws random bad arguments at every
public name of ``cnnviz.core`` (``core.__all__``): a new function needs an entry
in ``BASELINES`` below.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import re
import time
import warnings
from fractions import Fraction
from typing import Any, NamedTuple

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from cnnviz import core
from cnnviz.core import checks
from helpers import examples

GIB_MESSAGE = re.compile(r"it would need [\d.]+ GiB of memory")
NAN, INF = float("nan"), float("inf")


def raises(pattern: str):
    return pytest.raises(ValueError, match=pattern)


# ----------------------------------------------------------------------------
# Integer data: exact, or refused — never wrapped around
# ----------------------------------------------------------------------------


def test_conv2d_int64_overflow_is_refused_not_wrapped():
    # 2**62 · 4 = 2**64: int64 wraps it to 0
    with raises(r"exact result 18446744073709551616 .*does not fit int64.*input and kernel"):
        core.conv2d([[2**62]], [[4]])
    with raises(r"does not fit int64.*input, kernel and bias"):
        core.conv2d([[2**62]], [[1]], b=2**62)


def test_conv2d_uint64_data_is_exact():
    # 2**63 + 10 (uint64) − 20 = 2**63 − 10 fits int64; NumPy mixes uint64 and int64 into float64
    x = np.array([[2**63 + 10]], dtype=np.uint64)
    out = core.conv2d(x, [[1]], b=-20)
    assert out.dtype == np.int64 and out.tolist() == [[2**63 - 10]]
    big = np.array([[2**53 + 1]], dtype=np.int64)
    out = core.conv2d(big, np.array([[1]], dtype=np.uint64))
    assert out.dtype == np.int64 and out.tolist() == [[2**53 + 1]]  # float64 would say 2**53
    with raises("does not fit int64"):
        core.conv2d(np.array([[2**64 - 1]], dtype=np.uint64), [[1]])


def test_conv2d_big_integers_that_cancel_stay_exact():
    """A guard (right before too, by int64's modular arithmetic): the exact path agrees."""
    out = core.conv2d([[2**62, 2**62, 3]], [[4, -4, 1]])
    assert out.dtype == np.int64 and out.tolist() == [[3]]


def test_conv_step_int64_overflow_is_refused():
    # the products 2**64 and the total wrapped around before
    with raises(r"at \(0, 0\): the exact result .*does not fit int64"):
        core.conv_step([[2**62, 1]], [[4, 1]], 0, 0)
    # a uint64 window value above 2**63 − 1 cannot be shown as int64 either
    with raises("does not fit int64"):
        core.conv_step(np.array([[2**63 + 10]], dtype=np.uint64), [[1]], 0, 0, b=-20)
    step = core.conv_step([[2**61, 1]], [[2, 1]], 0, 0)
    assert step.products.tolist() == [[2**62, 1]] and step.output == 2**62 + 1


def test_conv2d_backward_int64_overflow_is_refused():
    with raises(r"kernel gradient dW.*does not fit int64.*input and delta"):
        core.conv2d_backward([[2**62]], [[1]], [[4]])
    with raises(r"input gradient dX.*does not fit int64.*kernel and delta"):
        core.conv2d_backward([[1]], [[2**62]], [[4]])


def test_coverage_map_with_huge_padding_is_exact_and_fast():
    # the old per-offset loop was O(kh·kw) Python iterations and allocated the padded grid
    counts = core.coverage_map((5, 5), (3, 3), padding=10**20)
    assert counts.tolist() == [[9] * 5] * 5
    t = time.process_time()
    assert core.coverage_map((3000, 3000), (3000, 3000)).sum() == 9_000_000
    assert time.process_time() - t < 5


# ----------------------------------------------------------------------------
# Floats: never inf or NaN from finite data
# ----------------------------------------------------------------------------


def test_conv2d_float16_overflow_is_refused():
    x = np.full((3, 3), 300, dtype=np.float16)
    with raises(r"overflows float16 \(largest 6.55e\+04\); the true value is about 8.1e\+05"):
        core.conv2d(x, x)


def test_conv2d_intermediate_overflow_gives_the_right_value():
    # 300·300 = 90000 overflows float16, but 90000 − 90000 = 0 does not (inf − inf = NaN before)
    out = core.conv2d(np.array([[300, 300]], np.float16), np.array([[300, -300]], np.float16))
    assert out.dtype == np.float16 and out.tolist() == [[0.0]]
    assert core.conv2d([[1e300, 1e300]], [[1e10, -1e10]]).tolist() == [[0.0]]
    out = core.conv2d(np.full((2, 2), 3e38, np.float32), np.full((2, 2), 0.25, np.float32))
    assert out.dtype == np.float32 and out[0, 0] == np.float32(3e38)  # 4 · 7.5e37: the sum overflowed
    with raises("overflows float64 .*the true value is beyond float64 too"):
        core.conv2d([[1e300]], [[1e10]])


def test_conv_step_and_backward_float_overflow():
    x = np.full((2, 2), 300, dtype=np.float16)
    with raises("overflows float16"):
        core.conv_step(x, x, 0, 0)
    with raises(r"a channel sum at index \(0,\) overflows float16 .*about 8e\+04"):  # products fit
        core.conv_step(np.array([[200, 200]], np.float16), np.array([[200, 200]], np.float16), 0, 0)
    # 1e308 + 1e308 − 1e308 overflowed midway (inf before); the total 1e308 itself fits
    step = core.conv_step([[1e308, 1e308, -1e308]], [[1.0, 1.0, 1.0]], 0, 0, b=-1e307)
    assert step.total == 1e308 and step.channel_sums.tolist() == [1e308]
    assert step.output == pytest.approx(9e307)

    with raises(r"kernel gradient dW \(input × delta\).*overflows float16"):
        core.conv2d_backward(np.full((3, 3), 300, np.float16), np.ones((2, 2), np.float16),
                             np.full((2, 2), 300, np.float16))


def test_conv_step_products_that_overflow_are_refused():
    # a product beyond float16 cannot be shown even if the sum cancels
    with raises(r"a product .*overflows float16"):
        core.conv_step(np.array([[300, 300]], np.float16), np.array([[300, -300]], np.float16), 0, 0)


def test_avg_pool_of_huge_values_does_not_overflow():
    assert core.avg_pool(np.full((2, 2), 1e308)).tolist() == [[1e308]]
    out = core.avg_pool(np.full((2, 2), 3e38, np.float32))
    assert out.dtype == np.float32 and out[0, 0] == np.float32(3e38)


def test_softmax_float16_long_axis_sums_to_one():
    p = core.softmax(np.zeros(70_000, np.float16))  # the float16 sum overflowed: all zeros before
    assert p.dtype == np.float16
    assert abs(float(p.astype(np.float64).sum()) - 1) < 0.01


def test_softmax_of_extreme_finite_values():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(core.softmax([-1.7e308, 1.7e308]), [0.0, 1.0])


def test_dropout_overflow_is_refused():
    with raises(r"z / \(1 − p\) with p = 0.5 .*overflows float64"):
        core.dropout([1e308], 0.5, mask=[1])


# ----------------------------------------------------------------------------
# batch_norm
# ----------------------------------------------------------------------------


def test_batch_norm_squares_that_overflow():
    # (2e154 − mean)² overflows float64, the variance (4.4e307) does not: x_hat was all 0
    x = np.array([2e154] + [0.0] * 7)
    r = core.batch_norm(x)
    expected = core.batch_norm(x / 1e154, eps=0.0).x_hat  # x_hat is scale-free (eps negligible)
    np.testing.assert_allclose(r.x_hat, expected, rtol=1e-12)
    assert r.var == pytest.approx(np.var(x / 1e154) * 1e308)
    assert r.mean == pytest.approx(2.5e153)


def test_batch_norm_variance_beyond_float64_is_refused():
    # [1e200, −1e200] has variance 1e400: no float64 holds it, so the result cannot be given
    with raises(r"the variance .*overflows float64"):
        core.batch_norm([[1e200], [-1e200]])


def test_batch_norm_mean_that_overflows():
    r = core.batch_norm([1e308, 1e308])  # the sum overflowed: mean inf, x_hat NaN before
    assert float(r.mean) == 1e308 and float(r.var) == 0.0
    assert r.x_hat.tolist() == [0.0, 0.0]


def test_batch_norm_tiny_values():
    r = core.batch_norm([1e-200, -1e-200], eps=0.0)  # the squares underflowed: ±inf before
    np.testing.assert_allclose(r.x_hat, [1.0, -1.0])
    r = core.batch_norm([1e-200, -1e-200])
    np.testing.assert_allclose(r.x_hat, [1e-200 / math.sqrt(1e-5), -1e-200 / math.sqrt(1e-5)])


def test_batch_norm_float16_variance_beyond_float16_is_refused():
    with raises(r"variance at index \(0,\) overflows float16 .*the true value is about 8.99"):
        core.batch_norm(np.array([300, -300], np.float16))


@pytest.mark.parametrize("eps", [float("nan"), float("inf"), True, 10**400])
def test_batch_norm_bad_eps(eps):
    with raises("eps"):
        core.batch_norm([1.0, 2.0], eps=eps)


def test_batch_norm_eps_zero_on_a_constant_feature():
    with raises(r"eps = 0 with a constant feature gives x_hat = 0/0"):
        core.batch_norm([[1.0, 2.0], [1.0, 3.0]], eps=0.0)


@pytest.mark.parametrize("axis", [(), []])
def test_batch_norm_bad_axis(axis):
    with raises("axis"):
        core.batch_norm(np.ones((3, 2)), axis=axis)


def test_batch_norm_huge_gamma():
    # x_hat = [√2, −√2/2, −√2/2]: gamma·x_hat overflows at 0, but y = 1.414e308 − 0.5e308 does not
    r = core.batch_norm([2.0, -1.0, -1.0], gamma=1e308, beta=-5e307, eps=0.0)
    x_hat = np.array([math.sqrt(2), -math.sqrt(0.5), -math.sqrt(0.5)])
    np.testing.assert_allclose(r.y, [1e308 * v - 5e307 for v in x_hat], rtol=1e-12)
    with raises(r"y = gamma·x_hat \+ beta at index \(1,\) overflows float64"):
        core.batch_norm([1.0, -1.0, 0.0], gamma=1e308, beta=-1e308)  # −1.22e308 − 1e308


# ----------------------------------------------------------------------------
# Non-finite input: refused by every function, naming the argument
# ----------------------------------------------------------------------------

NAN_CASES = [
    ("conv2d input", lambda v: core.conv2d([[v, 1.0]], [[1.0]]), "input"),
    ("conv2d kernel", lambda v: core.conv2d([[1.0]], [[v]]), "kernel"),
    ("conv2d bias", lambda v: core.conv2d([[1.0]], [[1.0]], b=v), "bias"),
    ("conv_step", lambda v: core.conv_step([[v]], [[1.0]], 0, 0), "input"),
    ("conv2d_backward delta", lambda v: core.conv2d_backward([[1.0]], [[1.0]], [[v]]), "delta"),
    ("pad input", lambda v: core.pad([[v]], 1), "input"),
    ("pad value", lambda v: core.pad([[1.0]], 1, value=v), "pad value"),
    ("max_pool", lambda v: core.max_pool([[v, 1.0], [1.0, 1.0]]), "input"),
    ("avg_pool", lambda v: core.avg_pool([[v, 1.0], [1.0, 1.0]]), "input"),
    ("relu", lambda v: core.relu([v]), "input"),
    ("flatten", lambda v: core.flatten([[v]]), "input"),
    ("softmax", lambda v: core.softmax([v, 1.0]), "input"),
    ("dropout z", lambda v: core.dropout([v], 0.5, seed=0), "z"),
    ("dropout z eval", lambda v: core.dropout([v], 0.5, training=False), "z"),
    ("batch_norm batch", lambda v: core.batch_norm([v, 1.0]), "batch"),
    ("batch_norm gamma", lambda v: core.batch_norm([0.0, 1.0], gamma=v), "gamma"),
    ("batch_norm beta", lambda v: core.batch_norm([0.0, 1.0], beta=v), "beta"),
]


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
@pytest.mark.parametrize("name,call,names", NAN_CASES, ids=[c[0] for c in NAN_CASES])
def test_non_finite_input_is_refused(name, call, names, value):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with raises(names):
            call(value)


def test_softmax_never_turns_input_into_nan():
    with raises(r"holds inf at index \(0,\)"):
        core.softmax([np.inf, 1.0])


# ----------------------------------------------------------------------------
# Impossible sizes: refused at once, naming the shape and the memory
# ----------------------------------------------------------------------------

HUGE = np.broadcast_to(np.float64(1.0), (60_000, 60_000))  # 26.8 GiB if it were real

SIZE_CASES = [
    ("conv2d huge padding", lambda: core.conv2d(np.ones((5, 5)), np.ones((3, 3)), padding=10**6),
     "2000005×2000005×1 padded input"),
    ("conv2d 60000×60000", lambda: core.conv2d(HUGE, np.ones((3, 3))), "60000×60000×1 padded input"),
    ("conv_step huge padding", lambda: core.conv_step(np.ones((3, 3)), np.ones((3, 3)), 0, 0, padding=10**9),
     None),
    ("conv_step huge kernel", lambda: core.conv_step(HUGE, HUGE, 1, 2, padding=1), "60000×60000×1 window"),
    ("conv2d_backward huge padding",
     lambda: core.conv2d_backward(np.ones((1, 1)), np.ones((1, 1)), np.broadcast_to(1.0, (2 * 10**5 + 1,) * 2),
                                  padding=10**5),
     "padded input"),
    ("pad", lambda: core.pad(np.ones((5, 5)), 10**5), "200005×200005 padded input"),
    ("coverage_map 10⁵×10⁵", lambda: core.coverage_map((10**5, 10**5), (3, 3)), "100000×100000 coverage map"),
    ("conv_windows 10⁵×10⁵", lambda: core.conv_windows((10**5, 10**5), (3, 3)), "99998×99998 list of windows"),
    ("pool_windows 10⁵×10⁵", lambda: core.pool_windows((10**5, 10**5), 1), "100000×100000 list of windows"),
    ("dropout_mask giant", lambda: core.dropout_mask((10**5, 10**5), 0.5), "100000×100000 random numbers"),
    ("dropout giant", lambda: core.dropout(HUGE, 0.5, seed=0), "60000×60000"),
    ("relu", lambda: core.relu(HUGE), "60000×60000 output"),
    ("flatten", lambda: core.flatten(HUGE), "3600000000 output"),
    ("softmax", lambda: core.softmax(HUGE), "60000×60000"),
    ("batch_norm", lambda: core.batch_norm(HUGE), "60000×60000"),
    ("avg_pool", lambda: core.avg_pool(HUGE, 1), "60000×60000 output"),
]


@pytest.mark.parametrize("name,call,shape", SIZE_CASES, ids=[c[0] for c in SIZE_CASES])
def test_impossible_sizes_are_refused_quickly(name, call, shape):
    t = time.process_time()
    if shape is None:  # conv_step no longer pads the whole input: it just works
        assert call().output == 0
    else:
        with pytest.raises(ValueError) as info:
            call()
        msg = str(info.value)
        assert shape in msg and GIB_MESSAGE.search(msg) and "1.0 GiB one cnnviz.core call may use" in msg, msg
    assert time.process_time() - t < 2


@pytest.mark.parametrize("call", [
    lambda: core.max_pool(np.broadcast_to(1.0, (20_000, 20_000)), 10_000, 1),
    lambda: core.conv2d(np.zeros((2000, 2000)), np.ones((1000, 1000)), padding=500),
], ids=["max_pool 10⁴ window", "conv2d 10³ kernel"])
def test_hopeless_work_is_refused_quickly(call):
    t = time.process_time()
    with raises(r"it would take about [\d.e+]+ operations, more than the 4.29e\+09"):
        call()
    assert time.process_time() - t < 2


def test_the_budget_is_one_shared_helper(monkeypatch):
    monkeypatch.setattr(checks, "_MEMORY_BUDGET", 1000)
    with raises(r"cannot pad a 5×5 input with padding 10: it would need 4.9 KiB .*25×25 padded input"):
        core.pad(np.ones((5, 5)), 10)
    with raises("more than the 1000 bytes one cnnviz.core call may use"):
        core.conv2d(np.ones((20, 20)), np.ones((3, 3)))
    core.pad(np.ones((5, 5)), 1)  # 392 bytes: fine


# ----------------------------------------------------------------------------
# Shapes, sizes, seeds, flags, pad values: the same helpers everywhere
# ----------------------------------------------------------------------------

VALIDATION_CASES = [
    ("pool_output_shape negative channels", lambda: core.pool_output_shape((4, 4, -3)), r"input shape \(4, 4, -3\) has a negative size"),
    ("pool_windows negative", lambda: core.pool_windows((4, -4)), "negative size"),
    ("conv_output_shape negative", lambda: core.conv_output_shape((5, 5), (3, -3)), "kernel shape .*negative"),
    ("coverage_map dict", lambda: core.coverage_map({5: 1, 6: 2}, (3, 3)), "input shape must be a tuple"),
    ("dropout_mask negative", lambda: core.dropout_mask((3, -1), 0.5), r"mask shape \(3, -1\) has a negative size"),
    ("mlp_params dict", lambda: core.mlp_params({784: 1, 10: 2}), "layer sizes must be a tuple"),
    ("pool_params junk size", lambda: core.pool_params("x"), "window size"),
    ("pool_params bad channels", lambda: core.pool_params(2, -1), "number of channels C"),
    ("pool_params size triple", lambda: core.pool_params((2, 2, 2)), "window size must be an int or a pair"),
    ("dropout_mask seed -1", lambda: core.dropout_mask(3, 0.5, seed=-1), "seed must be an integer >= 0"),
    ("dropout_mask seed float", lambda: core.dropout_mask(3, 0.5, seed=1.5), "seed must be an integer"),
    ("dropout_mask seed bool", lambda: core.dropout_mask(3, 0.5, seed=True), "seed must be an integer"),
    ("dropout_mask seed list", lambda: core.dropout_mask(3, 0.5, seed=[1, 2]), "seed must be an integer"),
    ("dropout_mask rng int", lambda: core.dropout_mask(3, 0.5, rng=42), "rng must be a numpy.random.Generator"),
    ("dropout_mask legacy rng", lambda: core.dropout_mask(3, 0.5, rng=np.random.RandomState(0)), "rng must be"),
    ("dropout rng", lambda: core.dropout([1.0], 0.5, rng="x"), "rng must be"),
    ("dropout seed eval mode", lambda: core.dropout([1.0], 0.5, seed=-5, training=False), "seed"),
    ("dropout training string", lambda: core.dropout([1.0], 0.5, training="no"), "training must be True or False"),
    ("dropout training None", lambda: core.dropout([1.0], 0.5, training=None), "training must be True or False"),
    ("dropout training 1", lambda: core.dropout([1.0], 0.5, training=1), "training must be True or False"),
    ("dropout mask and seed", lambda: core.dropout([1.0], 0.5, mask=[1], seed=3), "either a mask or a seed/rng"),
    ("dropout bad mask eval", lambda: core.dropout([1.0, 2.0], 0.5, mask=[7, 0], training=False), "0s and 1s"),
    ("pad value 0.5 on ints", lambda: core.pad(np.ones((2, 2), int), 1, value=0.5), "pad value 0.5 is not an integer"),
    ("pad value -1 on uint8", lambda: core.pad(np.ones((2, 2), np.uint8), 1, value=-1), r"pad value -1 does not fit .*uint8"),
    ("pad value 2**63", lambda: core.pad(np.ones((2, 2), int), 1, value=2**63), "does not fit"),
    ("pad value 1e5 on float16", lambda: core.pad(np.ones((2, 2), np.float16), 1, value=1e5), "overflows .*float16"),
    ("pad value string", lambda: core.pad(np.ones((2, 2)), 1, value="0"), "pad value must be a real number"),
    ("pad value bool", lambda: core.pad(np.ones((2, 2)), 1, value=True), "pad value must be a real number"),
    ("fmt_shape string", lambda: core.fmt_shape("abc"), "fmt_shape needs a shape"),
    ("fmt_shape None", lambda: core.fmt_shape(None), "fmt_shape needs a shape"),
    ("fmt_shape float", lambda: core.fmt_shape(3.5), "fmt_shape needs a shape"),
    ("fmt_shape bool", lambda: core.fmt_shape(True), "fmt_shape needs a shape"),
    ("fmt_shape negative", lambda: core.fmt_shape((3, -1)), r"got \(3, -1\)"),
    ("fmt_shape float dims", lambda: core.fmt_shape([1.5, 2]), "sizes"),
    ("fmt_shape nested", lambda: core.fmt_shape([[1, 2]]), "sizes"),
    ("conv_step m=False", lambda: core.conv_step(np.ones((3, 3)), np.ones((2, 2)), 0, 0, m=False), "kernel index m must be an integer"),
    ("conv_params bias string", lambda: core.conv_params(3, 1, 1, bias="no"), "bias must be True or False"),
    ("conv_param_terms bias None", lambda: core.conv_param_terms(3, 1, 1, bias=None), "bias must be True or False"),
    ("dense_params bias 0", lambda: core.dense_params(3, 2, bias=0), "bias must be True or False"),
    ("edge_kernel kind list", lambda: core.edge_kernel("vertical", ["sobel"]), "kind"),
    ("array of huge ints", lambda: core.relu([2**70]), "integers beyond 64 bits"),
]


@pytest.mark.parametrize("name,call,pattern", VALIDATION_CASES, ids=[c[0] for c in VALIDATION_CASES])
def test_bad_arguments_are_refused_by_the_shared_helpers(name, call, pattern):
    with raises(pattern):
        call()


GUARD_CASES = [  # refused before the hardening too: they must stay refused
    ("batch_norm eps -1", lambda: core.batch_norm([1.0, 2.0], eps=-1.0), "eps"),
    ("batch_norm eps string", lambda: core.batch_norm([1.0, 2.0], eps="0.1"), "eps"),
    ("batch_norm eps None", lambda: core.batch_norm([1.0, 2.0], eps=None), "eps"),
    *[(f"batch_norm axis {a!r}", lambda a=a: core.batch_norm(np.ones((3, 2)), axis=a), "axis")
      for a in (True, 1.0, (0, 0), 2, "0", None)],
    *[(f"dropout p {v}", lambda v=v: core.dropout([1.0], v, seed=0), "dropout rate") for v in (NAN, INF, -INF)],
    *[(f"dropout mask {v}", lambda v=v: core.dropout([1.0], 0.5, mask=[v]), "mask") for v in (NAN, INF, -INF)],
    ("conv_output_shape string", lambda: core.conv_output_shape("55", (3, 3)), "input shape must be a tuple"),
    ("mlp_params string", lambda: core.mlp_params("784"), "layer sizes"),
    ("pool size bool", lambda: core.max_pool(np.ones((4, 4)), True), "window size must be an integer"),
    ("pool size float", lambda: core.avg_pool(np.ones((4, 4)), 2.0), "window size must be an integer"),
    ("pool stride bool", lambda: core.max_pool(np.ones((4, 4)), 2, True), "stride must be an integer"),
    ("pad padding bool", lambda: core.pad(np.ones((2, 2)), True), "padding must be an integer"),
    ("conv_step m=True on a bank", lambda: core.conv_step(np.ones((3, 3)), np.ones((2, 2, 1, 2)), 0, 0, m=True), "kernel index m"),
    ("edge_kernel direction list", lambda: core.edge_kernel(["vertical"]), "direction"),
    ("softmax axis bool", lambda: core.softmax([1.0, 2.0], axis=True), "axis"),
]


@pytest.mark.parametrize("name,call,pattern", GUARD_CASES, ids=[c[0] for c in GUARD_CASES])
def test_cases_refused_before_stay_refused(name, call, pattern):
    with raises(pattern):
        call()


def test_fmt_shape_of_numpy_integers():
    assert core.fmt_shape(np.int64(5)) == "5"  # not "scalar" (a NumPy int has .shape == ())
    assert core.fmt_shape((np.int32(3), 4)) == "3×4"
    assert core.fmt_shape(np.zeros((0, 2))) == "0×2"


def test_valid_seeds_rngs_and_flags_still_work():
    """A guard: the stricter checks still take every valid form (NumPy ints and bools, ranges)."""
    assert core.dropout_mask(4, 0.5, seed=np.int64(3)).tolist() == core.dropout_mask(4, 0.5, seed=3).tolist()
    core.dropout([1.0, 2.0], 0.5, training=np.bool_(False))
    core.dropout([1.0, 2.0], 0.5, rng=np.random.default_rng(1))
    assert core.conv_params(3, 1, 32, bias=np.bool_(False)) == 288
    assert core.pool_params((2, 3), 4) == 0
    assert core.pad(np.ones((1, 1), np.uint8), 1, value=255)[0, 0] == 255
    assert core.pad(np.ones((1, 1), int), 1, value=2.0)[0, 0] == 2  # an integral float is fine
    assert core.mlp_params(np.array([784, 100, 10])) == 79_510
    assert core.conv_output_shape(range(5, 7), [3, 3]) == (3, 4)


# ----------------------------------------------------------------------------
# Fuzz: random bad arguments thrown at every public name of cnnviz.core
# ----------------------------------------------------------------------------


class Call(NamedTuple):
    """Valid baseline keyword arguments, and the words an error about each must contain."""

    kwargs: dict[str, Any]
    names: dict[str, tuple[str, ...]]
    shape_only: tuple[str, ...] = ()  # arguments whose array *contents* are never read

RESULT_TYPE = "a result type: returned by functions, not called by users"

X55 = np.arange(25.0).reshape(5, 5) - 12
W33 = np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]])
CONV = {"x": ("input",), "w": ("kernel",), "b": ("bias",), "stride": ("stride",), "padding": ("padding",)}
SHAPES = {"x_shape": ("input",), "in_shape": ("input",), "k_shape": ("kernel",), "stride": ("stride",),
          "padding": ("padding",)}
POOL = {"x": ("input",), "x_shape": ("input",), "size": ("window",), "stride": ("stride",)}

TINY_X = np.linspace(0.0, 1.0, 3 * 6 * 6).reshape(3, 6, 6)   # 3 images 6×6 for the small networks
TINY_Y = np.array([3, 0, 9])
TINY_PARAMS = core.TinyCNNParams(W33.reshape(3, 3, 1, 1) / 4, np.zeros(1), np.ones((4, 10)) / 4, np.zeros(10))
MLP_PARAMS = [(np.ones((36, 5)) / 36, np.zeros(5)), (np.ones((5, 10)) / 5, np.zeros(10))]
NET_PARAMS = ("params", "kernel", "weights", "bias", "biases", "dense", "layer")

#: One entry per name in core.__all__: a NEW PUBLIC FUNCTION NEEDS ONE HERE.
BASELINES: dict[str, Call | str] = {
    "BatchNormResult": RESULT_TYPE,
    "ConvGeometry": RESULT_TYPE,
    "ConvGrads": RESULT_TYPE,
    "ConvStep": RESULT_TYPE,
    "fmt_shape": Call({"shape": (3, 3, 1)}, {"shape": ("shape",)}, shape_only=("shape",)),
    "output_size": Call({"n": 28, "f": 3, "p": 1, "s": 1},
                        {"n": ("input",), "f": ("kernel",), "p": ("padding",), "s": ("stride",)}),
    "pad": Call({"x": X55, "p": 1, "value": 0.0}, {"x": ("input",), "p": ("padding",), "value": ("pad value",)}),
    "conv_geometry": Call({"in_shape": (5, 5, 2), "k_shape": (3, 3, 2, 4), "stride": 1, "padding": 1}, SHAPES),
    "conv_output_shape": Call({"in_shape": (5, 5), "k_shape": (3, 3), "stride": 2, "padding": 0}, SHAPES),
    "conv_windows": Call({"x_shape": (5, 5), "k_shape": (3, 3), "stride": 1, "padding": 1}, SHAPES),
    "coverage_map": Call({"in_shape": (5, 5), "k_shape": (3, 3), "stride": 1, "padding": 1}, SHAPES),
    "conv2d": Call({"x": X55, "w": W33, "b": 0.5, "stride": 1, "padding": 1}, CONV),
    "conv_step": Call({"x": X55, "w": W33, "i": 1, "j": 2, "stride": 1, "padding": 1, "b": 0.5, "m": None},
                      {**CONV, "i": ("position",), "j": ("position",), "m": ("kernel index",)}),
    "conv2d_backward": Call({"x": X55, "w": W33, "delta": np.ones((5, 5)), "stride": 1, "padding": 1},
                            {**CONV, "delta": ("delta",)}),
    "edge_kernel": Call({"direction": "vertical", "kind": "sobel"},
                        {"direction": ("direction",), "kind": ("kind",)}),
    "pool_output_shape": Call({"x_shape": (4, 4, 3), "size": 2, "stride": None}, POOL),
    "pool_windows": Call({"x_shape": (4, 4), "size": (2, 2), "stride": 1}, POOL),
    "max_pool": Call({"x": X55, "size": 2, "stride": 1}, POOL),
    "avg_pool": Call({"x": X55, "size": 2, "stride": None}, POOL),
    "relu": Call({"x": X55}, {"x": ("input",)}),
    "flatten": Call({"x": X55, "batch": False}, {"x": ("input",), "batch": ("batch",)}),
    "softmax": Call({"x": X55, "axis": -1}, {"x": ("input",), "axis": ("axis",)}),
    "dropout_mask": Call({"shape": (4, 5), "p": 0.5, "seed": 0, "rng": None},
                         {"shape": ("shape",), "p": ("dropout rate", "p"), "seed": ("seed",), "rng": ("rng",)}),
    "dropout": Call({"z": X55, "p": 0.4, "mask": None, "seed": 1, "training": True, "rng": None},
                    {"z": ("z",), "p": ("dropout rate", "p"), "mask": ("mask",), "seed": ("seed",),
                     "training": ("training",), "rng": ("rng",)}),
    "batch_norm": Call({"x": X55, "gamma": 1.5, "beta": 0.5, "eps": 1e-5, "axis": 0},
                       {"x": ("batch",), "gamma": ("gamma",), "beta": ("beta",), "eps": ("eps",), "axis": ("axis",)}),
    "conv_params": Call({"f": 3, "c": 1, "m": 32, "bias": True},
                        {"f": ("kernel size", "kernel height", "kernel width"), "c": ("channels",),
                         "m": ("kernels",), "bias": ("bias",)}),
    "conv_param_terms": Call({"f": (3, 5), "c": 2, "m": 4, "bias": False},
                             {"f": ("kernel size", "kernel height", "kernel width"), "c": ("channels",),
                              "m": ("kernels",), "bias": ("bias",)}),
    "pool_params": Call({"size": 2, "c": 1}, {"size": ("window",), "c": ("channels",)}),
    "dense_params": Call({"n_in": 784, "n_out": 100, "bias": True},
                         {"n_in": ("n_in",), "n_out": ("n_out",), "bias": ("bias",)}),
    "mlp_param_terms": Call({"sizes": [784, 100, 10]}, {"sizes": ("layer sizes", "mlp")}),
    "mlp_params": Call({"sizes": (784, 100, 100, 10)}, {"sizes": ("layer sizes", "mlp")}),
    "Connection": RESULT_TYPE,
    "conv_connections": Call({"in_shape": (3, 3), "k_shape": (2, 2), "stride": 1, "padding": 0}, SHAPES),
    "AugmentResult": RESULT_TYPE, "RunningStats": RESULT_TYPE, "TrainingSchedule": RESULT_TYPE,
    "conv2d_batch": Call({"x": np.stack([X55, -X55]), "w": W33, "b": 0.5, "stride": 1, "padding": 1},
                         {**CONV, "x": ("input",)}),
    "training_schedule": Call({"dataset_size": 8000, "batch_size": 32, "epochs": 20, "drop_last": False},
                              {"dataset_size": ("dataset size",), "batch_size": ("batch size",),
                               "epochs": ("epochs",), "drop_last": ("drop_last",)}),
    "running_stats_update": Call({"running_mean": np.zeros(5), "running_var": np.ones(5), "batch": X55,
                                  "momentum": 0.1, "axis": 0, "unbiased": True},
                                 {"running_mean": ("running mean",), "running_var": ("running variance",),
                                  "batch": ("batch",), "momentum": ("momentum",), "axis": ("axis",),
                                  "unbiased": ("unbiased",)}),
    "batch_norm_eval": Call({"x": X55, "running_mean": np.arange(5.0), "running_var": np.full(5, 2.0),
                             "gamma": 1.5, "beta": 0.5, "eps": 1e-5, "axis": 0},
                            {"x": ("batch",), "running_mean": ("running mean",),
                             "running_var": ("running variance",), "gamma": ("gamma",), "beta": ("beta",),
                             "eps": ("eps",), "axis": ("axis",)}),
    "random_flip_crop": Call({"x": X55, "pad": 2, "flip_p": 0.5, "seed": 3, "rng": None, "training": True},
                             {"x": ("image",), "pad": ("padding",), "flip_p": ("flip",), "seed": ("seed",),
                              "rng": ("rng",), "training": ("training",)}),
    "mlp_init": Call({"sizes": (6, 4, 3), "seed": 0}, {"sizes": ("layer sizes", "mlp"), "seed": ("seed",)}),
    "mlp_forward": Call({"x": np.arange(4.0) - 1.5,
                         "params": [(np.ones((4, 3)) / 4, np.zeros(3)), (np.ones((3, 2)) / 3, np.zeros(2))]},
                        {"x": ("input",), "params": ("layer", "params", "parameters")}),
    "lit_positions": Call({"img": X55 + 12, "threshold": 10}, {"img": ("image",), "threshold": ("threshold",)}),
    "position_overlap": Call({"a": [1, 5, 7], "b": [5, 7, 9]}, {"a": ("positions",), "b": ("positions",)}),
    "dense": Call({"x": np.arange(4.0) - 1.5, "w": np.arange(12.0).reshape(4, 3) - 6, "b": np.ones(3)},
                  {"x": ("input",), "w": ("weights", "dense"), "b": ("bias",)}),
    # issue 14: the backward passes, the loss, and training
    "relu_backward": Call({"x": X55, "delta": X55 / 3}, {"x": ("input",), "delta": ("delta",)}),
    "max_pool_backward": Call({"x": X55, "delta": np.ones((4, 4)), "size": 2, "stride": 1},
                              {**POOL, "delta": ("delta",)}),
    "avg_pool_backward": Call({"x_shape": (5, 5), "delta": np.ones((2, 2)), "size": 2, "stride": None},
                              {**POOL, "delta": ("delta",)}),
    "flatten_backward": Call({"x_shape": (5, 5), "delta": np.arange(25.0)}, {"x_shape": ("input",), "delta": ("delta",)}),
    "dense_backward": Call({"x": np.arange(8.0).reshape(2, 4) - 3, "w": np.arange(12.0).reshape(4, 3) - 6,
                            "delta": np.ones((2, 3))},
                           {"x": ("input",), "w": ("weights", "dense"), "delta": ("delta",)}),
    "DenseGrads": RESULT_TYPE,
    "softmax_cross_entropy": Call({"z": X55[:4], "labels": np.array([0, 4, 2, 1])},
                                  {"z": ("logits",), "labels": ("labels", "label")}),
    "SoftmaxCrossEntropy": RESULT_TYPE,
    "dropout_backward": Call({"delta": X55, "mask": np.eye(5, dtype=int), "p": 0.4},
                             {"delta": ("delta",), "mask": ("mask",), "p": ("dropout rate", "p")}),
    "conv2d_batch_backward": Call({"x": np.stack([X55, -X55]), "w": W33, "delta": np.ones((2, 5, 5)), "stride": 1,
                                   "padding": 1}, {**CONV, "x": ("input",), "delta": ("delta",)}),
    "NetworkGrads": RESULT_TYPE, "TinyCNNForward": RESULT_TYPE, "TinyCNNParams": RESULT_TYPE,
    "TrainingLog": RESULT_TYPE, "TrainingRun": RESULT_TYPE,
    "tiny_cnn_init": Call({"seed": 0, "image_shape": (6, 6), "n_filters": 2, "kernel_size": 3, "n_classes": 10},
                          {"seed": ("seed",), "image_shape": ("image shape", "image"), "n_filters": ("filters",),
                           "kernel_size": ("kernel",), "n_classes": ("classes",)}),
    "tiny_cnn_forward": Call({"x": TINY_X, "params": TINY_PARAMS}, {"x": ("images", "input"), "params": NET_PARAMS}),
    "tiny_cnn_gradients": Call({"x": TINY_X, "labels": TINY_Y, "params": TINY_PARAMS},
                               {"x": ("images", "input"), "labels": ("labels", "label"), "params": NET_PARAMS}),
    "mlp_gradients": Call({"x": TINY_X.reshape(3, -1), "labels": TINY_Y, "params": MLP_PARAMS},
                          {"x": ("inputs", "input"), "labels": ("labels", "label"), "params": NET_PARAMS}),
    "classify": Call({"network": "mlp", "params": MLP_PARAMS, "images": TINY_X},
                     {"network": ("network",), "params": NET_PARAMS, "images": ("images", "input")}),
    "sgd_momentum": Call({"params": [np.ones(3), X55], "grads": [np.arange(3.0), X55 / 7],
                          "velocity": [np.zeros(3), np.zeros((5, 5))], "lr": 0.1, "momentum": 0.9},
                         {"params": ("params",), "grads": ("grads",), "velocity": ("velocity",),
                          "lr": ("learning rate", "lr"), "momentum": ("momentum",)}),
    "train_network": Call({"network": "tiny_cnn", "images": TINY_X, "labels": TINY_Y, "epochs": 1, "batch_size": 2,
                           "lr": 0.05, "momentum": 0.9, "seed": 0, "log_every": 1, "val_images": TINY_X[:2],
                           "val_labels": TINY_Y[:2], "snapshots": 3},
                          {"network": ("network",), "images": ("images",), "labels": ("labels", "label"),
                           "epochs": ("epochs",), "batch_size": ("batch size",), "lr": ("learning rate", "lr"),
                           "momentum": ("momentum",), "seed": ("seed",), "log_every": ("log_every",),
                           "val_images": ("held-out", "val_images"), "val_labels": ("held-out", "val_labels"),
                           "snapshots": ("snapshots",)}),
}


def baseline(name: str) -> Call | str:
    if name not in BASELINES:
        pytest.fail(f"cnnviz.core.{name} is public (in __all__) but has no entry in BASELINES in "
                    f"{__file__}: add its valid baseline arguments and the words its errors use")
    return BASELINES[name]


def test_every_public_name_has_a_fuzz_baseline():
    missing = [name for name in core.__all__ if name not in BASELINES]
    assert not missing, (f"add BASELINES entries in tests/test_core_hardening.py for the new public "
                         f"name(s) {missing}")
    assert not set(BASELINES) - set(core.__all__), "BASELINES lists names that are not in core.__all__"


@pytest.mark.parametrize("name", core.__all__)
def test_fuzz_baselines_are_valid_and_complete(name):
    call = baseline(name)
    if call == RESULT_TYPE:
        assert isinstance(getattr(core, name), type)
        return
    params = inspect.signature(getattr(core, name)).parameters
    assert set(call.kwargs) == set(params), f"{name}: the baseline must give every parameter"
    assert set(call.names) >= set(params), f"{name}: say which words name each parameter"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_finite(getattr(core, name)(**call.kwargs), name)


JUNK = [
    None, True, False, np.bool_(True), 0, -1, 1, 2, 3, 7, 10**5, 10**30, -(10**30), 2**63, 2**64,
    np.int64(3), np.uint8(2), 1.5, -0.5, 0.0, 2.0, 1e-300, 1e308, -1e308, NAN, INF, -INF, np.float64(NAN),
    "3", "", "sobel", b"x", 1j, object(), {}, {1: 2}, {3, 3}, [], (), [1, -1], (4, 4, -3), (10**5, 10**5),
    (60_000, 60_000), (2, 2), (3,), (3, 3, 1, 2), [[1, 2], [3]], [[1.5, 2]], (2, 2.0), ("a", 2), range(3),
    np.array(5), np.array([]), np.zeros((0, 3)), np.zeros((2, 0)), np.ones((2, 3, 4, 5, 6)),
    np.array([["a"]]), np.array([[1 + 1j]]), np.array([[2**70]], dtype=object), np.array([[None]]),
    np.array([[NAN, 1.0]]), np.array([[1.0, -INF]]), np.full((3, 3), 2**62), np.full((3, 3), -(2**63)),
    np.full((3, 3), 1e300), np.full((3, 3), 6e4, np.float16), np.full((3, 3), 3e38, np.float32),
    np.full((3, 3), 2**64 - 1, np.uint64), np.array([[1e-300, -1e-300]]), np.ones((3, 3), bool),
    np.broadcast_to(np.float64(1.0), (60_000, 60_000)), np.broadcast_to(np.float16(6e4), (6, 6)),
    np.random.default_rng(0), np.random.RandomState(0), np.float64,
    10**400, -0.0, Fraction(1, 3), np.float16(65504), np.int8(-128), np.array(NAN), [[NAN]], [1.0, INF],
    np.full((3, 3), np.longdouble("1e4000")), np.array([[2**63 + 10]], dtype=np.uint64),
]


def extreme_like(value: Any):
    """Arrays of the baseline's shape (so they pass the shape checks) with extreme finite data."""
    shape = np.shape(value)
    dtypes = st.sampled_from([np.int8, np.uint8, np.int16, np.int32, np.int64, np.uint64,
                              np.float16, np.float32, np.float64])
    return dtypes.flatmap(lambda dt: hnp.arrays(
        dt, shape, elements=hnp.from_dtype(np.dtype(dt), allow_nan=False, allow_infinity=False)))


def bad_value(value: Any):
    options = [st.sampled_from(JUNK)]
    if isinstance(value, np.ndarray):
        options.append(extreme_like(value))
        options.append(hnp.arrays(np.float64, np.shape(value), elements=st.sampled_from(
            [0.0, 1.0, -1.0, 1e300, -1e300, 1e-300, NAN, INF, -INF, 2.0**1023, 65504.0])))
    options.append(st.integers(-(2**70), 2**70) | st.floats())
    return st.one_of(options)


def has_non_finite(value: Any) -> bool:
    if isinstance(value, (float, np.floating)):
        return not math.isfinite(value)
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return not np.isfinite(checks._distinct(value)).all()
    if isinstance(value, (list, tuple)):
        return any(has_non_finite(v) for v in value)
    return False


def numbers_in(result: Any):
    if isinstance(result, np.ndarray):
        if result.dtype.kind in "fc":
            yield result
        return
    if dataclasses.is_dataclass(result):
        for f in dataclasses.fields(result):
            yield from numbers_in(getattr(result, f.name))
    elif isinstance(result, (list, tuple)):
        if all(type(r) is int or (type(r) is tuple and all(type(v) is int for v in r)) for r in result):
            return  # plain ints, or tuples of them (conv_windows' millions of corners): no float to check
        for r in result:
            yield from numbers_in(r)
    elif isinstance(result, (float, np.floating)):
        yield np.asarray(result)


def assert_finite(result: Any, where: str) -> None:
    for arr in numbers_in(result):
        assert np.isfinite(arr).all(), f"{where} returned a non-finite number from finite input: {arr!r}"


def names_one_of(message: str, words: tuple[str, ...]) -> bool:
    message = message.lower()
    return any(re.search(rf"(?<![a-z_]){re.escape(w.lower())}(?![a-z_])", message) for w in words)


def check_call(name: str, fn, kwargs: dict[str, Any], perturbed: list[str], words: tuple[str, ...],
               shape_only: tuple[str, ...] = ()) -> None:
    """Only a ValueError/TypeError naming a perturbed argument, or a result with no NaN/inf
    (NaN/inf anywhere in the input must be refused); no overflow warnings; quickly."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warnings either: checked, not leaked
        start = time.perf_counter()
        try:
            result = fn(**kwargs)
        except (ValueError, TypeError) as exc:
            elapsed = time.perf_counter() - start
            assert names_one_of(str(exc), words), (
                f"{name}({', '.join(perturbed)} perturbed) raised {type(exc).__name__}: {exc} — "
                f"the message names none of {words}")
        else:
            elapsed = time.perf_counter() - start  # the call alone: not this test's own checks below
            assert not any(has_non_finite(v) for k, v in kwargs.items() if k not in shape_only), (
                f"{name} accepted NaN/inf in {perturbed} instead of refusing it")
            assert_finite(result, name)
    # Generous: it catches hopeless work, not a busy machine (a 0.3 s call once took 6 s, and the long fuzz
    # beside a full test run saw 4× slowdowns). A training run may take a few minutes by contract
    # (cnnviz.core's training budget, 2³⁶ operations: about 2 min here), so it gets more.
    limit = TRAINING_SECONDS if name in TRAINING_FUNCTIONS else CALL_SECONDS
    assert elapsed < limit, f"{name} took {elapsed:.1f} s (limit {limit} s)"


CALL_SECONDS = 30
TRAINING_SECONDS = 600
TRAINING_FUNCTIONS = {"train_network"}


@pytest.mark.parametrize("name", core.__all__)
def test_every_junk_value_in_every_argument(name):
    """Exhaustive: each JUNK value in each argument of each public function, one at a time."""
    call = baseline(name)
    if call == RESULT_TYPE:
        return
    fn = getattr(core, name)
    failures = []
    for param in call.kwargs:
        for value in JUNK:
            try:
                check_call(name, fn, {**call.kwargs, param: value}, [param], call.names[param],
                           call.shape_only)
            except Exception as exc:  # collect them all, report at once
                failures.append(f"{param}={value!r:.60}: {type(exc).__name__}: {exc}"[:400])
    assert not failures, f"{len(failures)} failure(s):\n" + "\n".join(failures)


#: Every case the random fuzz ever found, kept as explicit regressions: (function, the perturbed
#: arguments). ``make fuzz`` searches for new ones (thousands of random examples per function);
#: add what it prints here (its "Draw" lines name the perturbed arguments and their values).
FUZZ_REGRESSIONS = [
    # issue 20: a float16 image against a threshold beyond float16's range warned "overflow in cast"
    ("lit_positions", {"img": np.zeros((5, 5), np.float16), "threshold": 65520.0}),
    ("lit_positions", {"img": np.full((5, 5), 65504, np.float16), "threshold": 1e300}),
    ("lit_positions", {"img": np.full((5, 5), 7, np.uint8), "threshold": -1e30}),
    ("lit_positions", {"img": np.full((5, 5), 7, np.int8), "threshold": 2**70}),
    # make fuzz, 2026-12-07: a float16 batch with an eps beyond float16 ("overflow in cast"), and with an
    # eps below float16's smallest number beside constant features ("divide by zero")
    ("batch_norm", {"x": np.full((3, 3), 6e4, np.float16), "eps": 65520.0}),
    ("batch_norm", {"x": np.array([[0.0] + [1.0] * 4] + [[1.0] * 5] * 4, np.float16), "eps": 2.2250738585e-313}),
    # make fuzz FUZZ=1000, 2026-12-07: running variance + eps beyond float64 warned "overflow encountered in add"
    ("batch_norm_eval", {"running_var": np.full(5, 1.7e308), "eps": 1.7e308}),
    # make fuzz, 2026-12-07: held-out images that overflow the TinyCNN were reported as "training diverged"
    ("train_network", {"val_images": np.full((2, 6, 6), 9.2751650828e307)}),
    ("train_network", {"val_images": np.full((2, 6, 6), 1e308)}),
    # make fuzz beside make test, 2026-12-07: timed out the test's own bound (53.5 s and 40.3 s under load).
    # conv_windows returns 2.16 M corners in 0.6 s; walking them for floats took the test 10 s (now skipped).
    # 2,400 epochs train in 9 s here, within the training budget, which allows minutes.
    ("conv_windows", {"padding": 733}),
    ("train_network", {"epochs": 2400}),
    # make fuzz, 2026-12-07: a 60000×60000 broadcast mask was checked for 0s and 1s before the memory budget
    # (MemoryError: 26.8 GiB)
    ("dropout_backward", {"delta": np.broadcast_to(1.0, (60000, 60000)),
                          "mask": np.broadcast_to(1.0, (60000, 60000))}),
    ("dropout", {"z": np.broadcast_to(1.0, (60000, 60000)), "mask": np.broadcast_to(1, (60000, 60000)),
                 "seed": None}),
    # make fuzz, 2026-12-07 (second run): a kernel as large as a 60000×60000 input made conv_step
    # allocate its one window, 26.8 GiB (MemoryError), with no budget check
    ("conv_step", {"x": np.broadcast_to(1.0, (60000, 60000)), "w": np.broadcast_to(1.0, (60000, 60000))}),
    ("conv_step", {"x": np.broadcast_to(1, (60000, 60000)), "w": np.broadcast_to(1, (60000, 60000))}),
]


@pytest.mark.parametrize("name, perturbed", FUZZ_REGRESSIONS, ids=[n for n, _ in FUZZ_REGRESSIONS])
def test_fuzz_regressions(name, perturbed):
    call = baseline(name)
    words = tuple(w for p in perturbed for w in call.names[p])
    check_call(name, getattr(core, name), {**call.kwargs, **perturbed}, sorted(perturbed), words, call.shape_only)


def test_lit_positions_compares_exactly_whatever_the_dtype():
    """The mathematically right answer for thresholds outside the image's dtype, with no warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert core.lit_positions(np.zeros((5, 5), np.float16), 65520.0).size == 0
        assert core.lit_positions(np.full((2, 2), 65504, np.float16), 65504).tolist() == [0, 1, 2, 3]
        assert core.lit_positions(np.full((2, 2), 65504, np.float16), 65504.5).size == 0
        # 2**53 + 1 is no float64: float64(2**53) is below it, 2**53 + 2 above
        assert core.lit_positions(np.array([[2.0**53, 2.0**53 + 2]]), 2**53 + 1).tolist() == [1]
        assert core.lit_positions(np.array([[1, 2, 3]], np.uint8), 2.5).tolist() == [2]  # not truncated to 2
        assert core.lit_positions(np.array([[1, 2, 3]], np.uint8), -300).tolist() == [0, 1, 2]
        assert core.lit_positions(np.array([[1, 2, 3]], np.int8), 2**70).size == 0
        assert core.lit_positions(np.array([[2**63 - 1]], np.int64), 2**63 - 1).tolist() == [0]
        assert core.lit_positions(np.array([[0.3333333333333333, 0.33333334]]), Fraction(1, 3)).tolist() == [1]


def test_batch_norm_eval_divides_by_a_root_beyond_float64_exactly():
    """running_var + eps > float64's max: the root (about 1.8e154) is finite, so x_hat is too, with no warning."""
    from decimal import Decimal, getcontext
    getcontext().prec = 40
    x = np.array([[1e300, -3.0, 0.0]])
    rv, eps = np.array([1.7e308, 1.0, 1.7e308]), 1.7e308
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = core.batch_norm_eval(x, np.zeros(3), rv, eps=eps).x_hat[0]
    for g, xi, v in zip(got, x[0], rv):
        want = Decimal(float(xi)) / (Decimal(float(v)) + Decimal(eps)).sqrt()
        assert g == pytest.approx(float(want), rel=1e-15)


@pytest.mark.parametrize("name", core.__all__)
@settings(max_examples=examples(60), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(data=st.data())
def test_fuzz_every_public_function(name, data):
    """Perturb one or two arguments of a valid call with junk or extreme finite data (see check_call)."""
    call = baseline(name)
    if call == RESULT_TYPE:
        return
    fn = getattr(core, name)
    perturbed = data.draw(st.lists(st.sampled_from(sorted(call.kwargs)), min_size=1, max_size=2, unique=True),
                          label="perturbed")
    kwargs = dict(call.kwargs)
    for param in perturbed:
        kwargs[param] = data.draw(bad_value(call.kwargs[param]), label=param)
    words = tuple(w for p in perturbed for w in call.names[p])
    check_call(name, fn, kwargs, perturbed, words, call.shape_only)
