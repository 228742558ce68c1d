"""Tests of cnnviz.core against independent references (SciPy, explicit loops, hand formulas)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.signal import correlate2d

from cnnviz import core
from helpers import examples
from cnnviz.core import (
    avg_pool,
    batch_norm,
    conv2d,
    conv2d_backward,
    conv_output_shape,
    conv_param_terms,
    conv_params,
    conv_step,
    conv_windows,
    coverage_map,
    dense_params,
    dropout,
    dropout_mask,
    flatten,
    fmt_shape,
    max_pool,
    mlp_param_terms,
    mlp_params,
    output_size,
    pad,
    pool_output_shape,
    pool_params,
    pool_windows,
    relu,
    softmax,
)

FAST = settings(max_examples=examples(100), deadline=None)


# ----------------------------------------------------------------------------
# Independent references
# ----------------------------------------------------------------------------


def ref_pad(x3: np.ndarray, p: int) -> np.ndarray:
    """Zero padding by hand (no np.pad)."""
    H, W, C = x3.shape
    out = np.zeros((H + 2 * p, W + 2 * p, C), dtype=x3.dtype)
    out[p:p + H, p:p + W, :] = x3
    return out


def ref_conv_loop(x3, w4, b=None, stride=1, padding=0) -> np.ndarray:
    """Cross-correlation with explicit Python loops over every index."""
    xp = ref_pad(x3, padding)
    Hp, Wp, C = xp.shape
    kh, kw, _, M = w4.shape
    oh = (Hp - kh) // stride + 1
    ow = (Wp - kw) // stride + 1
    out = np.zeros((oh, ow, M), dtype=np.result_type(x3, w4, np.int64))
    for i in range(oh):
        for j in range(ow):
            for m in range(M):
                acc = 0
                for a in range(kh):
                    for bb in range(kw):
                        for c in range(C):
                            acc += xp[i * stride + a, j * stride + bb, c] * w4[a, bb, c, m]
                out[i, j, m] = acc + (0 if b is None else b[m])
    return out


def ref_conv_scipy(x3, w4, b=None, stride=1, padding=0) -> np.ndarray:
    """scipy.signal.correlate2d (valid) summed over channels, then subsampled for the stride."""
    xp = ref_pad(x3, padding)
    kh, kw, C, M = w4.shape
    maps = []
    for m in range(M):
        acc = sum(correlate2d(xp[:, :, c], w4[:, :, c, m], mode="valid") for c in range(C))
        acc = acc[::stride, ::stride]
        if b is not None:
            acc = acc + b[m]
        maps.append(acc)
    return np.stack(maps, axis=-1)


def ref_pool_loop(x, size, stride, reduce):
    x3 = x if x.ndim == 3 else x[:, :, None]
    H, W, C = x3.shape
    oh = (H - size) // stride + 1
    ow = (W - size) // stride + 1
    out = np.zeros((oh, ow, C))
    for i in range(oh):
        for j in range(ow):
            for c in range(C):
                vals = [x3[i * stride + a, j * stride + b, c] for a in range(size) for b in range(size)]
                out[i, j, c] = reduce(vals)
    return out if x.ndim == 3 else out[:, :, 0]


# ----------------------------------------------------------------------------
# Random convolution problems
# ----------------------------------------------------------------------------


@st.composite
def conv_problems(draw, integer=None):
    """(x, w, b, stride, padding, x3, w4, b_vec) with the kernel in one of its accepted forms."""
    H = draw(st.integers(1, 9))
    W = draw(st.integers(1, 9))
    P = draw(st.integers(0, 2))
    kh = draw(st.integers(1, H + 2 * P))
    kw = draw(st.integers(1, W + 2 * P))
    S = draw(st.integers(1, 3))
    form = draw(st.sampled_from(["x2w2", "x2w3", "x2w4", "x3w3", "x3w4", "x3w2"]))
    C = 1 if form.startswith("x2") or form == "x3w2" else draw(st.integers(1, 3))
    M = draw(st.integers(1, 3)) if form.endswith("w4") else 1
    if integer is None:
        integer = draw(st.booleans())
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if integer:
        x3 = rng.integers(-9, 10, size=(H, W, C))
        w4 = rng.integers(-3, 4, size=(kh, kw, C, M))
        b_vec = rng.integers(-5, 6, size=M) if draw(st.booleans()) else None
    else:
        x3 = rng.standard_normal((H, W, C))
        w4 = rng.standard_normal((kh, kw, C, M))
        b_vec = rng.standard_normal(M) if draw(st.booleans()) else None
    x = x3[:, :, 0] if form.startswith("x2") else x3
    w = {"2": w4[:, :, 0, 0], "3": w4[:, :, :, 0], "4": w4}[form[-1]]
    b = b_vec
    if b_vec is not None and form[-1] != "4" and draw(st.booleans()):
        b = b_vec[0].item()  # a plain scalar bias for a single kernel
    return x, w, b, S, P, x3, w4, b_vec


def as_map(out, w):
    """conv2d output to (H', W', M)."""
    return out if np.ndim(w) == 4 else out[:, :, None]


# ----------------------------------------------------------------------------
# fmt_shape, output_size, pad
# ----------------------------------------------------------------------------


def test_fmt_shape():
    assert fmt_shape((3, 3, 1)) == "3×3×1"
    assert fmt_shape([28, 28]) == "28×28"
    assert fmt_shape(5) == "5"
    assert fmt_shape(np.zeros((2, 4))) == "2×4"
    assert fmt_shape(()) == "scalar"


@pytest.mark.parametrize("n,f,p,s,expected", [
    (28, 3, 1, 1, 28),  # 'same' padding keeps 28
    (8, 3, 0, 2, 3),  # (8 − 3)/2 = 2.5 → floor → 2, + 1 = 3
    (5, 3, 0, 1, 3),
    (32, 5, 0, 1, 28),
    (7, 7, 0, 1, 1),
    (4, 2, 0, 2, 2),
])
def test_output_size_notebook_numbers(n, f, p, s, expected):
    assert output_size(n, f, p, s) == expected


@FAST
@given(n=st.integers(1, 30), p=st.integers(0, 3), s=st.integers(1, 4), data=st.data())
def test_output_size_matches_brute_force(n, p, s, data):
    f = data.draw(st.integers(1, n + 2 * p))
    # count the window start positions by walking along the padded axis
    count = sum(1 for start in range(0, n + 2 * p, s) if start + f <= n + 2 * p)
    assert output_size(n, f, p, s) == count


def test_pad():
    x = np.arange(1, 7).reshape(2, 3)
    xp = pad(x, 1)
    assert xp.shape == (4, 5) and xp.dtype == x.dtype
    assert xp[1:3, 1:4].tolist() == x.tolist()
    assert xp.sum() == x.sum()
    x3 = np.ones((2, 2, 3))
    assert pad(x3, 2).shape == (6, 6, 3)
    assert pad(x3, 0).tolist() == x3.tolist()
    assert (pad(x, 1, value=-1)[0] == -1).all()


# ----------------------------------------------------------------------------
# conv2d
# ----------------------------------------------------------------------------


def test_conv2d_small_known_example():
    # vertical-edge kernel on a step image
    x = np.array([[10, 10, 0, 0]] * 4)
    w = np.array([[1, 0, -1]] * 3)
    out = conv2d(x, w)
    assert out.tolist() == [[30, 30], [30, 30]]
    assert out.dtype.kind == "i"
    assert conv2d(x, w, b=1).tolist() == [[31, 31], [31, 31]]
    assert conv2d(x, w, b=0.5).dtype.kind == "f"


def test_conv2d_no_flip():
    # cross-correlation: an asymmetric kernel is used as is
    x = np.array([[1, 2], [3, 4]])
    w = np.array([[1, 0], [0, 0]])
    assert conv2d(x, w).tolist() == [[1]]


@FAST
@given(conv_problems())
def test_conv2d_matches_scipy_and_loops(problem):
    x, w, b, S, P, x3, w4, b_vec = problem
    out = conv2d(x, w, b=b, stride=S, padding=P)
    expected_shape = conv_output_shape(x.shape, w.shape, S, P)
    assert out.shape == expected_shape
    assert out.ndim == (3 if w.ndim == 4 else 2)
    got = as_map(out, w)
    ref_scipy = ref_conv_scipy(x3, w4, b_vec, S, P)
    ref_loop = ref_conv_loop(x3, w4, b_vec, S, P)
    assert got.shape == ref_scipy.shape == ref_loop.shape
    if x3.dtype.kind == "i":
        assert out.dtype.kind == "i"
        np.testing.assert_array_equal(got, ref_loop)
        np.testing.assert_array_equal(got, ref_scipy)
    else:
        assert out.dtype.kind == "f"
        np.testing.assert_allclose(got, ref_loop, rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(got, ref_scipy, rtol=1e-10, atol=1e-10)


def test_conv2d_dtypes():
    x = np.arange(9, dtype=np.uint8).reshape(3, 3)
    w = -np.ones((2, 2), dtype=np.int8)
    out = conv2d(x, w)
    assert out.dtype.kind == "i" and (out < 0).all()  # no uint8 wrap-around
    assert conv2d(x.astype(np.float32), w.astype(np.float32)).dtype == np.float32
    assert conv2d(x, w, b=np.array(1.5)).dtype.kind == "f"
    assert conv2d(x.tolist(), w.tolist()).tolist() == out.tolist()  # nested lists accepted


def test_conv2d_bank_bias_vector_and_scalar():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 5, (4, 4, 2))
    w = rng.integers(-1, 2, (3, 3, 2, 3))
    base = conv2d(x, w)
    assert base.shape == (2, 2, 3)
    np.testing.assert_array_equal(conv2d(x, w, b=[1, 2, 3]), base + np.array([1, 2, 3]))
    np.testing.assert_array_equal(conv2d(x, w, b=7), base + 7)


# ----------------------------------------------------------------------------
# conv_windows, conv_step, coverage_map
# ----------------------------------------------------------------------------


@FAST
@given(conv_problems())
def test_conv_windows_and_steps_match_conv2d(problem):
    x, w, b, S, P, x3, w4, b_vec = problem
    out = as_map(conv2d(x, w, b=b, stride=S, padding=P), w)
    oh, ow, M = out.shape
    windows = conv_windows(x.shape, w.shape, S, P)
    assert len(windows) == oh * ow
    assert oh == output_size(x.shape[0], w.shape[0], P, S)
    assert ow == output_size(x.shape[1], w.shape[1], P, S)
    xp = ref_pad(x3, P)
    k_shape = w.shape if w.ndim < 4 else w.shape[:3]
    for idx, (r, c) in enumerate(windows):
        i, j = divmod(idx, ow)  # raster order
        assert (r, c) == (i * S, j * S)
        for m in range(M):
            step = conv_step(x, w, i, j, stride=S, padding=P, b=b, m=None if w.ndim < 4 else m)
            assert step.out_pos == (i, j) and step.window_pos == (r, c)
            assert step.window.shape == step.products.shape == step.kernel.shape == k_shape
            assert step.channel_sums.shape == (x3.shape[2],)
            np.testing.assert_array_equal(step.window.reshape(-1),
                                          xp[r:r + w4.shape[0], c:c + w4.shape[1], :].reshape(-1))
            np.testing.assert_array_equal(step.kernel.reshape(-1), w4[:, :, :, m].reshape(-1))
            np.testing.assert_array_equal(step.products, step.window * step.kernel)
            if x3.dtype.kind == "i":
                assert step.output == out[i, j, m]
                assert step.total == step.channel_sums.sum() == step.products.sum()
                assert step.output == step.total + step.bias
                assert isinstance(step.output, int)
            else:
                assert step.output == pytest.approx(out[i, j, m], rel=1e-12, abs=1e-12)
                assert step.total == pytest.approx(step.products.sum(), rel=1e-12, abs=1e-12)
            assert step.bias == (0 if b_vec is None else b_vec[m])


def test_conv_step_notebook_style_multichannel():
    x = np.arange(18).reshape(3, 3, 2)
    w = np.ones((2, 2, 2), dtype=int)
    step = conv_step(x, w, 0, 0, b=1)
    assert step.channel_sums.tolist() == [0 + 2 + 6 + 8, 1 + 3 + 7 + 9]
    assert step.total == 36 and step.output == 37
    assert step.kernel_index is None
    with pytest.raises(ValueError):
        step.window[0, 0, 0] = 5  # read-only


def test_conv_step_bank_requires_m():
    x = np.ones((3, 3))
    w = np.ones((2, 2, 1, 2))
    with pytest.raises(ValueError, match=re.escape("3×3 input with a 2×2×1×2 kernel bank")):
        conv_step(x, w, 0, 0)
    with pytest.raises(ValueError, match="m=2"):
        conv_step(x, w, 0, 0, m=2)
    assert conv_step(x, w, 0, 0, m=1).kernel_index == 1


def test_conv_step_position_outside_output():
    with pytest.raises(ValueError, match=re.escape("outside the 2×2 output")):
        conv_step(np.ones((3, 3)), np.ones((2, 2)), 2, 0)


def ref_coverage(H, W, kh, kw, S, P):
    counts = np.zeros((H, W), dtype=int)
    for r in range(H):
        for c in range(W):
            rp, cp = r + P, c + P  # padded coordinates
            for top in range(0, H + 2 * P - kh + 1, S):
                for left in range(0, W + 2 * P - kw + 1, S):
                    if top <= rp < top + kh and left <= cp < left + kw:
                        counts[r, c] += 1
    return counts


def test_coverage_map_corners_and_centre():
    with_pad = coverage_map((5, 5), (3, 3), stride=1, padding=1)
    assert with_pad[0, 0] == with_pad[0, 4] == with_pad[4, 0] == with_pad[4, 4] == 4
    assert with_pad[2, 2] == 9
    no_pad = coverage_map((5, 5), (3, 3))
    assert no_pad[0, 0] == no_pad[4, 4] == 1
    assert no_pad[2, 2] == 9
    assert no_pad[0, 2] == 3
    assert coverage_map((5, 5, 3), (3, 3, 3, 8)).tolist() == no_pad.tolist()


@FAST
@given(H=st.integers(1, 9), W=st.integers(1, 9), P=st.integers(0, 2), S=st.integers(1, 3),
       data=st.data())
def test_coverage_map_brute_force(H, W, P, S, data):
    kh = data.draw(st.integers(1, H + 2 * P))
    kw = data.draw(st.integers(1, W + 2 * P))
    got = coverage_map((H, W), (kh, kw), S, P)
    assert got.shape == (H, W)
    np.testing.assert_array_equal(got, ref_coverage(H, W, kh, kw, S, P))
    # every window has kh·kw cells; the ones on the input are counted
    oh, ow = conv_output_shape((H, W), (kh, kw), S, P)
    assert got.sum() <= oh * ow * kh * kw


# ----------------------------------------------------------------------------
# conv2d_backward
# ----------------------------------------------------------------------------


def loss(x, w, b, delta, S, P):
    """L = Σ out · delta, via the loop reference (so ∂L/∂out = delta)."""
    x3 = x if x.ndim == 3 else x[:, :, None]
    w4 = w.reshape(w.shape[0], w.shape[1], x3.shape[2], -1)
    b_vec = np.broadcast_to(np.asarray(b, float), (w4.shape[3],))
    out = ref_conv_loop(x3, w4, b_vec, S, P)
    return float(np.sum(out * delta.reshape(out.shape)))


def numeric_grad(f, arr, h=1e-6):
    grad = np.zeros_like(arr, dtype=float)
    for idx in np.ndindex(arr.shape):
        old = arr[idx]
        arr[idx] = old + h
        up = f()
        arr[idx] = old - h
        down = f()
        arr[idx] = old
        grad[idx] = (up - down) / (2 * h)
    return grad


@pytest.mark.parametrize("x_shape,w_shape,S,P", [
    ((5, 5), (3, 3), 1, 0),
    ((5, 4), (2, 3), 2, 1),
    ((6, 6, 2), (3, 3, 2), 2, 0),
    ((5, 5, 2), (3, 3, 2, 3), 1, 1),
    ((7, 6, 3), (3, 2, 3, 2), 3, 2),
    ((4, 4), (3, 3, 1, 2), 2, 2),
    ((3, 3, 1), (1, 1, 1), 1, 0),
])
def test_conv2d_backward_finite_differences(x_shape, w_shape, S, P):
    rng = np.random.default_rng(hash((x_shape, w_shape, S, P)) % 2**32)
    x = rng.standard_normal(x_shape)
    w = rng.standard_normal(w_shape)
    out_shape = conv_output_shape(x_shape, w_shape, S, P)
    delta = rng.standard_normal(out_shape)
    b = np.zeros(w_shape[3]) if len(w_shape) == 4 else np.zeros(())

    grads = conv2d_backward(x, w, delta, stride=S, padding=P)
    assert grads.dW.shape == w.shape
    assert grads.dX.shape == x.shape
    assert np.shape(grads.db) == (() if len(w_shape) < 4 else (w_shape[3],))

    f = lambda: loss(x, w, b, delta, S, P)  # noqa: E731
    np.testing.assert_allclose(grads.dW, numeric_grad(f, w), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(grads.dX, numeric_grad(f, x), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(grads.db, numeric_grad(f, b), rtol=1e-6, atol=1e-6)


@FAST
@given(conv_problems(integer=True))
def test_conv2d_backward_adjoint_identity(problem):
    """L(x, w) = Σ out·δ is bilinear, so Σ dX·x = Σ dW·w = L(x, w) without bias (exact for ints)."""
    x, w, _, S, P, x3, w4, _ = problem
    rng = np.random.default_rng(int(np.abs(x3).sum()))
    out = ref_conv_loop(x3, w4, None, S, P)  # (H', W', M)
    delta = rng.integers(-4, 5, size=out.shape)
    delta_arg = delta if w.ndim == 4 else delta[:, :, 0]
    grads = conv2d_backward(x, w, delta_arg, stride=S, padding=P)
    L = int(np.sum(out * delta))
    assert int(np.sum(grads.dX * x)) == L
    assert int(np.sum(grads.dW * w)) == L
    np.testing.assert_array_equal(np.asarray(grads.db).reshape(-1), delta.sum(axis=(0, 1)))


@FAST
@given(H=st.integers(1, 8), W=st.integers(1, 8), data=st.data())
def test_grad_w_is_x_correlated_with_delta(H, W, data):
    """∇W = X ⋆ δ for stride 1, no padding, 2-D data."""
    kh = data.draw(st.integers(1, H))
    kw = data.draw(st.integers(1, W))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    x = rng.integers(-5, 6, (H, W))
    w = rng.integers(-2, 3, (kh, kw))
    delta = rng.integers(-3, 4, (H - kh + 1, W - kw + 1))
    grads = conv2d_backward(x, w, delta)
    np.testing.assert_array_equal(grads.dW, conv2d(x, delta))
    np.testing.assert_array_equal(grads.dW, correlate2d(x, delta, mode="valid"))
    # and ∇X is the full convolution (flipped kernel) of δ with W
    from scipy.signal import convolve2d
    np.testing.assert_array_equal(grads.dX, convolve2d(delta, w, mode="full"))


# ----------------------------------------------------------------------------
# Pooling
# ----------------------------------------------------------------------------


def test_pool_notebook_window():
    window = np.array([[164, 0], [1, 0]])
    assert max_pool(window).tolist() == [[164]]
    assert avg_pool(window).tolist() == [[41.25]]
    assert avg_pool(window).dtype.kind == "f"
    assert max_pool(window).dtype.kind == "i"


def test_pool_4x4():
    x = np.array([[1, 3, 2, 1], [4, 6, 5, 0], [7, 2, 9, 8], [1, 1, 3, 4]])
    assert max_pool(x).tolist() == [[6, 5], [7, 9]]
    assert avg_pool(x).tolist() == [[3.5, 2.0], [2.75, 6.0]]
    assert pool_windows(x.shape) == [(0, 0), (0, 2), (2, 0), (2, 2)]
    assert pool_output_shape((4, 4, 3)) == (2, 2, 3)


@FAST
@given(H=st.integers(1, 9), W=st.integers(1, 9), C=st.sampled_from([None, 1, 2, 3]),
       data=st.data())
def test_pool_matches_loops(H, W, C, data):
    size = data.draw(st.integers(1, min(H, W)))
    stride = data.draw(st.one_of(st.none(), st.integers(1, 3)))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    shape = (H, W) if C is None else (H, W, C)
    x = rng.integers(-50, 50, shape) if data.draw(st.booleans()) else rng.standard_normal(shape)
    s = size if stride is None else stride
    ref_max = ref_pool_loop(x, size, s, max)
    ref_avg = ref_pool_loop(x, size, s, lambda v: sum(v) / len(v))
    np.testing.assert_array_equal(max_pool(x, size, stride), ref_max)
    np.testing.assert_allclose(avg_pool(x, size, stride), ref_avg, rtol=1e-12, atol=1e-12)
    assert max_pool(x, size, stride).shape == pool_output_shape(shape, size, stride)
    assert len(pool_windows(shape, size, stride)) == ref_max.shape[0] * ref_max.shape[1]


# ----------------------------------------------------------------------------
# Activations, flatten, softmax
# ----------------------------------------------------------------------------


def test_relu():
    x = np.array([[-3, 0, 2], [5, -1, -7]])
    out = relu(x)
    assert out.tolist() == [[0, 0, 2], [5, 0, 0]]
    assert out.dtype == x.dtype
    assert relu([-0.5, 0.5]).tolist() == [0.0, 0.5]


def test_flatten_row_by_row():
    H, W = 4, 5
    x = np.arange(H * W).reshape(H, W) * 10
    v = flatten(x)
    assert v.shape == (H * W,)
    for r in range(H):
        for c in range(W):
            assert v[r * W + c] == x[r, c]
    # vertically adjacent pixels end up W apart
    for r in range(H - 1):
        i1 = int(np.flatnonzero(v == x[r, 2])[0])
        i2 = int(np.flatnonzero(v == x[r + 1, 2])[0])
        assert i2 - i1 == W
    x3 = np.arange(2 * 3 * 4).reshape(2, 3, 4)
    assert flatten(x3).tolist() == list(range(24))


def ref_softmax(v):
    e = [np.exp(t) for t in v]
    return np.array(e) / sum(e)


def test_softmax():
    v = np.array([1.0, 2.0, 3.0])
    p = softmax(v)
    np.testing.assert_allclose(p, ref_softmax(v))
    assert p.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(softmax(v + 100), p)  # shift invariant
    big = softmax(np.array([1000.0, 1000.0, 999.0]))
    assert np.isfinite(big).all()
    np.testing.assert_allclose(big, ref_softmax([1.0, 1.0, 0.0]))
    np.testing.assert_allclose(softmax([1000, 0]), [1.0, 0.0])
    m = np.array([[1.0, 2.0], [3.0, 5.0]])
    np.testing.assert_allclose(softmax(m, axis=0).sum(axis=0), [1, 1])
    np.testing.assert_allclose(softmax(m)[1], ref_softmax([3.0, 5.0]))


@FAST
@given(st.lists(st.floats(-1000, 1000), min_size=1, max_size=12), st.floats(-500, 500))
def test_softmax_properties(values, shift):
    v = np.array(values)
    p = softmax(v)
    assert np.isfinite(p).all() and (p >= 0).all()
    assert p.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(softmax(v + shift), p, atol=1e-9)


# ----------------------------------------------------------------------------
# Dropout
# ----------------------------------------------------------------------------


def test_dropout_notebook_example():
    z = np.array([10, 20, 30, 40, 50])
    out1 = dropout(z, 0.4, mask=[1, 0, 1, 0, 1])
    out2 = dropout(z, 0.4, mask=[0, 1, 1, 1, 0])
    np.testing.assert_allclose(out1, np.array([10, 0, 30, 0, 50]) / 0.6)
    np.testing.assert_allclose(out2, np.array([0, 20, 30, 40, 0]) / 0.6)
    assert out1[0] == pytest.approx(16.6667, abs=1e-4)  # not the notebook's rounded 16.7
    assert out1[2] == pytest.approx(50.0)
    assert out1[4] == pytest.approx(83.3333, abs=1e-4)
    assert out2[1] == pytest.approx(33.3333, abs=1e-4)


def test_dropout_eval_mode_is_identity():
    z = np.array([10.0, 20.0, 30.0])
    np.testing.assert_array_equal(dropout(z, 0.4, training=False), z)
    np.testing.assert_array_equal(dropout(z, 0.4, mask=[0, 0, 0], training=False), z)


def test_dropout_mask_seeded_and_rate():
    m1 = dropout_mask((4, 5), 0.5, seed=42)
    m2 = dropout_mask((4, 5), 0.5, seed=42)
    assert m1.dtype.kind == "i" and set(np.unique(m1)) <= {0, 1}
    np.testing.assert_array_equal(m1, m2)
    np.testing.assert_array_equal(m1, dropout_mask((4, 5), 0.5, rng=np.random.default_rng(42)))
    np.testing.assert_array_equal(dropout(np.ones((4, 5)), 0.5, seed=42), m1 / 0.5)
    for p in (0.1, 0.4, 0.8):
        big = dropout_mask(200_000, p, seed=1)
        assert big.mean() == pytest.approx(1 - p, abs=0.01)
    assert dropout_mask(100, 0.0, seed=0).all()


# ----------------------------------------------------------------------------
# Batch norm
# ----------------------------------------------------------------------------


def test_batch_norm_known_numbers():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    r = batch_norm(x, eps=0.0)
    assert float(r.mean) == 2.5
    assert float(r.var) == 1.25  # biased: Σ(x − μ)² / N = 5 / 4
    np.testing.assert_allclose(r.x_hat, [-1.5 / np.sqrt(1.25), -0.5 / np.sqrt(1.25),
                                         0.5 / np.sqrt(1.25), 1.5 / np.sqrt(1.25)])
    np.testing.assert_allclose(r.x_hat, [-1.341641, -0.447214, 0.447214, 1.341641], atol=1e-6)
    r2 = batch_norm(x, gamma=2.0, beta=1.0, eps=0.0)
    np.testing.assert_allclose(r2.y, 2 * r.x_hat + 1)


def test_batch_norm_per_feature_vs_formula():
    rng = np.random.default_rng(3)
    X = rng.normal(5, 3, size=(16, 4))
    gamma = np.array([1.0, 2.0, 0.5, -1.0])
    beta = np.array([0.0, 1.0, -2.0, 3.0])
    eps = 1e-5
    r = batch_norm(X, gamma, beta, eps=eps)
    N = X.shape[0]
    for d in range(4):
        col = list(X[:, d])
        mu = sum(col) / N
        var = sum((v - mu) ** 2 for v in col) / N
        assert r.mean[d] == pytest.approx(mu)
        assert r.var[d] == pytest.approx(var)
        for n in range(N):
            xh = (col[n] - mu) / (var + eps) ** 0.5
            assert r.x_hat[n, d] == pytest.approx(xh)
            assert r.y[n, d] == pytest.approx(gamma[d] * xh + beta[d])
    np.testing.assert_allclose(r.x_hat.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(r.x_hat.var(axis=0), 1, atol=1e-5)


def test_batch_norm_feature_maps_channels_last():
    rng = np.random.default_rng(4)
    X = rng.normal(2, 4, size=(8, 5, 5, 3))
    r = batch_norm(X, gamma=np.ones(3), beta=np.zeros(3), axis=(0, 1, 2))
    assert r.mean.shape == (3,)
    for c in range(3):
        assert r.mean[c] == pytest.approx(X[..., c].mean())
        assert r.var[c] == pytest.approx(X[..., c].var())
    np.testing.assert_allclose(r.x_hat.mean(axis=(0, 1, 2)), 0, atol=1e-12)
    np.testing.assert_allclose(r.x_hat.var(axis=(0, 1, 2)), 1, atol=1e-5)


# ----------------------------------------------------------------------------
# Parameter counts and shapes
# ----------------------------------------------------------------------------


def test_param_counts():
    assert mlp_params([784, 100, 100, 10]) == 89_610
    terms = mlp_param_terms([784, 100, 100, 10])
    assert terms == [(78_400, 100), (10_000, 100), (1_000, 10)]
    assert [t for pair in terms for t in pair] == [78400, 100, 10000, 100, 1000, 10]
    assert conv_params(3, 1, 32) == 320
    assert conv_params(5, 3, 64) == 4864
    assert conv_params((3, 5), 2, 4) == 3 * 5 * 2 * 4 + 4
    assert conv_params(3, 1, 32, bias=False) == 288
    assert conv_param_terms(5, 3, 64) == (4800, 64)
    assert dense_params(784, 100) == 78_500
    assert pool_params() == 0


def test_conv_output_shape():
    assert conv_output_shape((28, 28, 1), (3, 3, 1, 32), 1, 1) == (28, 28, 32)
    assert conv_output_shape((32, 32, 3), (5, 5, 3, 64)) == (28, 28, 64)
    assert conv_output_shape((8, 8), (3, 3), stride=2) == (3, 3)
    assert conv_output_shape((8, 8), (3, 3, 1)) == (6, 6)


# ----------------------------------------------------------------------------
# Errors: ValueError with the shapes in the message
# ----------------------------------------------------------------------------

X331 = np.ones((3, 3, 1))
W223 = np.ones((2, 2, 3))
X55 = np.ones((5, 5))
W33 = np.ones((3, 3))

ERROR_CASES = [
    ("channel mismatch",
     lambda: conv2d(X331, W223),
     re.escape("cannot convolve a 3×3×1 input with a 2×2×3 kernel: the input has 1 channel(s), "
               "the kernel 3")),
    ("channel mismatch (bank)",
     lambda: conv2d(np.ones((4, 4, 2)), np.ones((3, 3, 3, 8))), "4×4×2 input with a 3×3×3×8 kernel bank"),
    ("channel mismatch (shape)",
     lambda: conv_output_shape((3, 3, 1), (2, 2, 3)),
     re.escape("the input has 1 channel(s), the kernel 3")),
    ("channel mismatch (windows)",
     lambda: conv_windows((3, 3, 1), (2, 2, 3)), "3×3×1 input with a 2×2×3 kernel"),
    ("channel mismatch (step)",
     lambda: conv_step(X331, W223, 0, 0), "3×3×1 input with a 2×2×3 kernel"),
    ("channel mismatch (backward)",
     lambda: conv2d_backward(X331, W223, np.ones((2, 2))), "3×3×1 input with a 2×2×3 kernel"),
    ("2-D kernel on a 3-channel input",
     lambda: conv2d(np.ones((4, 4, 3)), W33), "4×4×3 input with a 3×3 kernel: the input has 3"),
    ("kernel larger than padded input",
     lambda: conv2d(np.ones((3, 3)), np.ones((5, 5))), "3×3 input with a 5×5 kernel.*larger than the 3×3"),
    ("kernel larger than padded input (padding)",
     lambda: conv2d(np.ones((3, 3)), np.ones((6, 6)), padding=1), "larger than the 5×5 padded input"),
    ("rectangular kernel too wide",
     lambda: conv2d(np.ones((5, 2)), np.ones((2, 3))), "5×2 input with a 2×3 kernel"),
    ("stride 0", lambda: conv2d(X55, W33, stride=0), "5×5 input with a 3×3 kernel: stride"),
    ("negative stride", lambda: conv2d(X55, W33, stride=-1), "5×5 input with a 3×3 kernel: stride"),
    ("non-integer stride", lambda: conv2d(X55, W33, stride=1.5), "5×5 input with a 3×3 kernel: stride"),
    ("bool stride", lambda: conv2d(X55, W33, stride=True), "stride must be an integer"),
    ("negative padding", lambda: conv2d(X55, W33, padding=-1), "5×5 input with a 3×3 kernel: padding"),
    ("pad negative", lambda: pad(X55, -1), "5×5 input: padding"),
    ("pad 1-D", lambda: pad(np.ones(4), 1), "shape 4"),
    ("x 1-D", lambda: conv2d(np.ones(5), W33), "5 input with a 3×3 kernel: the input must be H×W"),
    ("x 4-D", lambda: conv2d(np.ones((2, 5, 5, 1)), W33), "2×5×5×1 input with a 3×3 kernel"),
    ("w 1-D", lambda: conv2d(X55, np.ones(3)), "5×5 input with a 3 kernel: the kernel must be"),
    ("w 5-D", lambda: conv2d(X55, np.ones((3, 3, 1, 2, 2))), "5×5 input with a 3×3×1×2×2 kernel"),
    ("empty input", lambda: conv2d(np.ones((0, 3)), W33), "0×3 input"),
    ("ragged input", lambda: conv2d([[1, 2], [3]], W33), "not a rectangular array"),
    ("string input", lambda: conv2d(np.array([["a"]]), W33), "1×1 must hold real numbers"),
    ("bias wrong length",
     lambda: conv2d(X55, np.ones((3, 3, 1, 4)), b=[1, 2]), "bias of shape 2 .*3×3×1×4 kernel bank"),
    ("bias wrong length (single kernel)",
     lambda: conv2d(X55, W33, b=[1, 2, 3]), "bias of shape 3 .*3×3 kernel"),
    ("delta wrong shape",
     lambda: conv2d_backward(X55, W33, np.ones((2, 2))), "delta of shape 2×2 .*3×3 output.*5×5 input"),
    ("delta wrong shape (bank)",
     lambda: conv2d_backward(X55, np.ones((3, 3, 1, 4)), np.ones((3, 3))),
     "delta of shape 3×3 .*3×3×4 output"),
    ("output_size kernel too big", lambda: output_size(3, 5), "size 5 .*size 3"),
    ("output_size stride 0", lambda: output_size(5, 3, 0, 0), "stride"),
    ("output_size negative padding", lambda: output_size(5, 3, -1), "padding"),
    ("output_size n 0", lambda: output_size(0, 1), "input size"),
    ("output_size f 0", lambda: output_size(5, 0), "kernel size"),
    ("dropout p = 1", lambda: dropout([1.0, 2.0], 1.0), r"\[0, 1\)"),
    ("dropout p < 0", lambda: dropout([1.0, 2.0], -0.1), r"\[0, 1\)"),
    ("dropout p eval mode", lambda: dropout([1.0, 2.0], 1.5, training=False), r"\[0, 1\)"),
    ("dropout_mask p", lambda: dropout_mask((3,), 1.0), r"\[0, 1\)"),
    ("mask shape mismatch", lambda: dropout([10, 20, 30, 40, 50], 0.4, mask=[1, 0, 1]),
     "mask of shape 3 does not match z of shape 5"),
    ("mask not 0/1", lambda: dropout([1, 2], 0.5, mask=[2, 0]), "0s and 1s"),
    ("pool window too big", lambda: max_pool(np.ones((2, 2)), 3), "2×2 input: the 3×3 pooling window"),
    ("avg pool window too big", lambda: avg_pool(np.ones((2, 3, 4)), 3), "2×3×4 input: the 3×3"),
    ("pool 1-D", lambda: max_pool(np.ones(4)), "shape 4"),
    ("pool stride 0", lambda: max_pool(np.ones((4, 4)), 2, 0), "4×4 input: stride"),
    ("coverage channels", lambda: coverage_map((5, 5, 1), (3, 3, 2)), "5×5×1 input with a 3×3×2"),
    ("conv_step out of range", lambda: conv_step(X55, W33, 3, 0), "outside the 3×3 output"),
    ("softmax axis", lambda: softmax(np.ones((2, 3)), axis=2), "2×3"),
    ("batch_norm gamma shape", lambda: batch_norm(np.ones((4, 3)), gamma=np.ones(2)),
     "gamma of shape 2 .*batch 4×3"),
    ("mlp sizes", lambda: mlp_params([784]), "784"),
    ("conv_params", lambda: conv_params(0, 1, 1), "kernel size"),
]


@pytest.mark.parametrize("name,call,pattern", ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
def test_errors_are_value_errors_naming_shapes(name, call, pattern):
    # literal × and : are fine in a regex; the patterns above use .* only where intended
    with pytest.raises(ValueError, match=pattern):
        call()


def test_exact_channel_mismatch_message():
    with pytest.raises(ValueError) as info:
        conv2d(np.ones((3, 3, 1)), np.ones((2, 2, 3)))
    assert str(info.value) == (
        "cannot convolve a 3×3×1 input with a 2×2×3 kernel: "
        "the input has 1 channel(s), the kernel 3"
    )


def test_module_has_no_manim_import():
    from pathlib import Path

    modules = sorted(Path(core.__file__).parent.glob("*.py"))
    assert len(modules) >= 8
    for path in modules:
        src = path.read_text(encoding="utf-8")
        assert "import manim" not in src and "from manim" not in src, path.name


# ----------------------------------------------------------------- edge kernels
def test_edge_kernels_respond_to_their_edge_only():
    from scipy.signal import correlate2d

    from cnnviz.core import edge_kernel

    step = np.zeros((6, 6)); step[:, :3] = 9  # bright left half: a vertical edge
    for kind in ("sobel", "prewitt"):
        v, h = edge_kernel("vertical", kind), edge_kernel("horizontal", kind)
        np.testing.assert_array_equal(h, v.T)
        assert v.sum() == 0 and h.sum() == 0  # flat regions give 0
        out_v = correlate2d(step, v, mode="valid")
        assert (out_v[:, 1] > 0).all() and (out_v[:, [0, 3]] == 0).all()
        assert (correlate2d(step, h, mode="valid") == 0).all()
        np.testing.assert_array_equal(conv2d(step, v), out_v)
    with pytest.raises(ValueError, match="diagonal"):
        edge_kernel("diagonal")
    with pytest.raises(ValueError, match="laplace"):
        edge_kernel("vertical", "laplace")


# ----------------------------------------------------------------------------
# Backward passes of every layer (issue 14): finite differences, the forward
# functions themselves, exact integers, and PyTorch where it is installed
# ----------------------------------------------------------------------------


def check_gradient(forward, backward_result, arr, delta, h=1e-6, tol=1e-6):
    """``backward_result`` must be ∂/∂arr of L = Σ forward()·delta, by central differences."""
    f = lambda: float(np.sum(np.asarray(forward(), dtype=float) * delta))  # noqa: E731
    np.testing.assert_allclose(backward_result, numeric_grad(f, arr, h), rtol=tol, atol=tol)


def test_relu_backward_finite_differences_and_zero():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 4, 2))
    delta = rng.standard_normal(x.shape)
    check_gradient(lambda: relu(x), core.relu_backward(x, delta), x, delta)
    # at 0 ReLU has no derivative: the gradient is 0 there (PyTorch's choice); dtype and values kept
    out = core.relu_backward(np.array([-1, 0, 2]), np.array([5, 6, 7], dtype=np.int8))
    assert out.tolist() == [0, 0, 7] and out.dtype == np.int8
    with pytest.raises(ValueError, match=r"delta of shape 2 does not match the 3 input"):
        core.relu_backward([1.0, 2.0, 3.0], [1.0, 2.0])


POOL_CASES = [((4, 4), 2, None), ((5, 7), 2, None), ((6, 6, 3), 3, 2), ((5, 5), 3, 1), ((7, 6, 2), (2, 3), 1),
              ((2, 6, 6, 3), 2, None), ((3, 5, 5, 2), 2, 1), ((4, 4), 1, 3)]


@pytest.mark.parametrize("shape,size,stride", POOL_CASES)
def test_max_and_avg_pool_backward_finite_differences(shape, size, stride):
    rng = np.random.default_rng(sum(shape))
    x = rng.standard_normal(shape)  # no ties: max pooling is differentiable here
    delta = rng.standard_normal(pool_output_shape(shape, size, stride))
    check_gradient(lambda: max_pool(x, size, stride), core.max_pool_backward(x, delta, size, stride), x, delta)
    check_gradient(lambda: avg_pool(x, size, stride), core.avg_pool_backward(shape, delta, size, stride), x, delta)


def test_pooling_a_batch_is_pooling_each_image():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 6, 5, 2))
    delta = rng.standard_normal((3, 3, 2, 2))
    for n in range(3):
        np.testing.assert_array_equal(max_pool(x)[n], max_pool(x[n]))
        np.testing.assert_array_equal(avg_pool(x)[n], avg_pool(x[n]))
        np.testing.assert_array_equal(core.max_pool_backward(x, delta)[n], core.max_pool_backward(x[n], delta[n]))
        np.testing.assert_array_equal(core.avg_pool_backward(x.shape, delta)[n],
                                      core.avg_pool_backward(x[n].shape, delta[n]))
    assert pool_output_shape((3, 6, 5, 2)) == (3, 3, 2, 2)


def test_max_pool_backward_ties_go_to_the_first_maximum_in_raster_order():
    x = np.array([[1, 7, 7, 0],
                  [7, 7, 0, 0],
                  [3, 3, 5, 2],
                  [3, 3, 2, 5]])
    dx = core.max_pool_backward(x, [[10, 20], [30, 40]])
    assert dx.tolist() == [[0, 10, 20, 0],   # window (0,0): 7 at (0,1) before (1,0) and (1,1); (0,1): (0,2)
                           [0, 0, 0, 0],
                           [30, 0, 40, 0],   # (1,0): all 3s, the top-left one; (1,1): (2,2) before (3,3)
                           [0, 0, 0, 0]]
    # a big window (the argmax path) breaks ties the same way
    big = np.zeros((5, 5))
    assert core.max_pool_backward(big, [[1.0]], 5).tolist() == [[1.0] + [0.0] * 4] + [[0.0] * 5] * 4


@FAST
@given(H=st.integers(1, 8), W=st.integers(1, 8), C=st.sampled_from([None, 1, 2]), data=st.data())
def test_pool_backward_adjoint_identities(H, W, C, data):
    """Each window sends its δ to one pixel (max) or shares it exactly (average): Σ dx = Σ δ, and
    Σ avg_pool(x)·δ = Σ x·avg_pool_backward(δ) (the backward pass is the forward's transpose)."""
    size = data.draw(st.integers(1, min(H, W)))
    stride = data.draw(st.one_of(st.none(), st.integers(1, 3)))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    shape = (H, W) if C is None else (H, W, C)
    x = rng.integers(-3, 4, shape)  # small integers: plenty of ties
    delta = rng.integers(-9, 10, pool_output_shape(shape, size, stride))
    dx = core.max_pool_backward(x, delta, size, stride)
    assert dx.dtype == np.int64 and int(dx.sum()) == int(delta.sum())
    ref = np.zeros(shape, dtype=np.int64).reshape(H, W, -1)  # the loop reference: first max of each window
    s = size if stride is None else stride
    d3 = delta.reshape(delta.shape[0], delta.shape[1], -1)
    for i in range(d3.shape[0]):
        for j in range(d3.shape[1]):
            for c in range(ref.shape[2]):
                win = x.reshape(H, W, -1)[i * s:i * s + size, j * s:j * s + size, c]
                a, b = np.unravel_index(int(np.argmax(win)), win.shape)
                ref[i * s + a, j * s + b, c] += d3[i, j, c]
    np.testing.assert_array_equal(dx, ref.reshape(shape))
    xf = rng.standard_normal(shape)
    np.testing.assert_allclose(np.sum(avg_pool(xf, size, stride) * delta),
                               np.sum(xf * core.avg_pool_backward(shape, delta, size, stride)), rtol=1e-12)


def test_pool_backward_integers_stay_exact_or_are_refused():
    x = np.zeros((3, 3)); x[1, 1] = 1  # every 2×2 window (stride 1) has its max at the centre
    big = np.array([[2**62, -(2**62)], [2**62, 1]])
    assert core.max_pool_backward(x, big, 2, 1)[1, 1] == 2**62 + 1  # beyond the int64 bound, exact
    with pytest.raises(ValueError, match=r"does not fit int64"):
        core.max_pool_backward(x, np.full((2, 2), 2**62), 2, 1)  # 2**64
    with pytest.raises(ValueError, match=r"input gradient \(sum of delta\) at index \(1, 1\) overflows float16"):
        core.max_pool_backward(x, np.full((2, 2), 6e4, np.float16), 2, 1)
    out = core.avg_pool_backward((3, 3), np.full((2, 2), 6e4, np.float16), 2, 1)
    assert out.dtype == np.float16 and out[1, 1] == 6e4  # 4 × 6e4/4: no overflow on the way


def test_flatten_backward_undoes_flatten():
    x = np.arange(2 * 3 * 3 * 4).reshape(2, 3, 3, 4)
    np.testing.assert_array_equal(core.flatten_backward(x.shape, flatten(x)), x)
    assert flatten(x, batch=True).shape == (2, 36)
    np.testing.assert_array_equal(flatten(x, batch=True)[1], flatten(x[1]))
    np.testing.assert_array_equal(core.flatten_backward(x.shape, flatten(x, batch=True)), x)
    with pytest.raises(ValueError, match=r"flattening a 2×3 input: a delta of shape 5 is not the flattened 6"):
        core.flatten_backward((2, 3), np.ones(5))


@pytest.mark.parametrize("x_shape", [(4,), (5, 4)])
def test_dense_backward_finite_differences(x_shape):
    rng = np.random.default_rng(len(x_shape))
    x = rng.standard_normal(x_shape)
    w = rng.standard_normal((4, 3))
    b = rng.standard_normal(3)
    delta = rng.standard_normal(x_shape[:-1] + (3,))
    g = core.dense_backward(x, w, delta)
    assert g.dx.shape == x.shape and g.dW.shape == w.shape and g.db.shape == (3,)
    for arr, grad in ((x, g.dx), (w, g.dW), (b, g.db)):
        check_gradient(lambda: core.dense(x, w, b), grad, arr, delta)
    # the same numbers through the 1×1 convolution (float32 operands take that path)
    g32 = core.dense_backward(x.astype(np.float32), w.astype(np.float32), delta.astype(np.float32))
    for a, b32 in zip(g, g32):
        assert b32.dtype == np.float32
        np.testing.assert_allclose(a, b32, rtol=1e-5, atol=1e-5)


def test_dense_backward_integers_are_exact():
    x = np.array([[2**40, 3], [-1, 2]])
    w = np.array([[2**20, 1], [5, -7]])
    delta = np.array([[1, -2], [3, 4]])
    g = core.dense_backward(x, w, delta)
    assert g.dW.dtype == np.int64
    assert g.dW.tolist() == (np.array(x, dtype=object).T @ np.array(delta, dtype=object)).tolist()
    assert g.dx.tolist() == (np.array(delta, dtype=object) @ np.array(w, dtype=object).T).tolist()
    assert g.db.tolist() == [4, 2]
    with pytest.raises(ValueError, match=r"dense layer .*does not fit int64"):
        core.dense_backward([[2**62]], [[1]], [[4]])


def test_softmax_cross_entropy_loss_and_p_minus_y():
    rng = np.random.default_rng(3)
    z = rng.standard_normal((5, 10)) * 3
    y = rng.integers(0, 10, 5)
    ce = core.softmax_cross_entropy(z, y)
    p = softmax(z, axis=1)
    np.testing.assert_allclose(ce.probs, p, rtol=1e-12)
    assert ce.loss == pytest.approx(float(np.mean(-np.log(p[np.arange(5), y]))), rel=1e-12)
    np.testing.assert_allclose(ce.dz, (p - np.eye(10)[y]) / 5, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(ce.dz, numeric_grad(lambda: core.softmax_cross_entropy(z, y).loss, z),
                               rtol=1e-6, atol=1e-8)
    one = core.softmax_cross_entropy(z[0], y[0])  # one sample: p − y exactly, no 1/N
    np.testing.assert_allclose(one.dz, p[0] - np.eye(10)[y[0]], rtol=1e-12, atol=1e-15)
    # a confident wrong answer: p[y] underflows to 0, the loss stays finite (log-sum-exp)
    far = core.softmax_cross_entropy([1000.0, 0.0], 1)
    assert far.loss == pytest.approx(1000.0) and far.dz.tolist() == [1.0, -1.0]
    with pytest.raises(ValueError, match=r"the label 10 is not a class index 0..9"):
        core.softmax_cross_entropy(z, [1, 2, 3, 4, 10])
    with pytest.raises(ValueError, match=r"labels must be integer class indices"):
        core.softmax_cross_entropy(z, y.astype(float))
    with pytest.raises(ValueError, match=r"the loss overflows float64"):
        core.softmax_cross_entropy([1.7e308, -1.7e308], 1)


def test_dropout_backward_is_the_same_mask_and_scaling():
    rng = np.random.default_rng(4)
    z = rng.standard_normal((3, 5))
    mask = core.dropout_mask(z.shape, 0.4, seed=7)
    delta = rng.standard_normal(z.shape)
    d = core.dropout_backward(delta, mask, 0.4)
    np.testing.assert_array_equal(d, delta * mask / 0.6)
    assert (d[mask == 0] == 0).all()
    check_gradient(lambda: dropout(z, 0.4, mask=mask), d, z, delta)
    with pytest.raises(ValueError, match=r"mask of shape 2 does not match delta of shape 3"):
        core.dropout_backward([1.0, 2.0, 3.0], [1, 0], 0.5)
    with pytest.raises(ValueError, match=r"delta / \(1 − p\) with p = 0.5 .*overflows float64"):
        core.dropout_backward([1e308], [1], 0.5)


@pytest.mark.parametrize("x_shape,w_shape,S,P", [
    ((3, 6, 6), (3, 3, 1, 4), 1, 0),
    ((2, 5, 4, 2), (3, 2, 2, 3), 2, 1),
    ((2, 5, 5), (3, 3), 1, 1),
    ((1, 7, 6, 3), (2, 3, 3), 3, 2),
])
def test_conv2d_batch_backward_finite_differences_and_per_image(x_shape, w_shape, S, P):
    rng = np.random.default_rng(len(x_shape) + S + P)
    x = rng.standard_normal(x_shape)
    w = rng.standard_normal(w_shape)
    delta = rng.standard_normal(core.conv2d_batch(x, w, stride=S, padding=P).shape)
    g = core.conv2d_batch_backward(x, w, delta, stride=S, padding=P)
    assert g.dW.shape == w.shape and g.dX.shape == x.shape
    check_gradient(lambda: core.conv2d_batch(x, w, stride=S, padding=P), g.dW, w, delta)
    check_gradient(lambda: core.conv2d_batch(x, w, stride=S, padding=P), g.dX, x, delta)
    # the same as conv2d_backward image by image, summed over the batch for dW and db
    per = [conv2d_backward(x[n], w, delta[n], stride=S, padding=P) for n in range(x.shape[0])]
    np.testing.assert_allclose(g.dW, sum(p.dW for p in per), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(g.db, sum(np.asarray(p.db) for p in per), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(g.dX, np.stack([p.dX for p in per]), rtol=1e-12, atol=1e-12)


def test_conv2d_batch_backward_integers_exact_or_refused():
    rng = np.random.default_rng(5)
    x = rng.integers(-9, 10, (3, 5, 5, 2))
    w = rng.integers(-3, 4, (3, 3, 2, 2))
    delta = rng.integers(-4, 5, (3, 3, 3, 2))
    g = core.conv2d_batch_backward(x, w, delta)
    assert g.dW.dtype == g.dX.dtype == np.int64
    per = [conv2d_backward(x[n], w, delta[n]) for n in range(3)]
    np.testing.assert_array_equal(g.dW, sum(p.dW for p in per))
    np.testing.assert_array_equal(g.dX, np.stack([p.dX for p in per]))
    with pytest.raises(ValueError, match=r"integer input batch and delta this large could lose exactness"):
        core.conv2d_batch_backward(np.full((1, 3, 3), 2**40), np.ones((3, 3), int), np.full((1, 1, 1), 2**20))


def test_backward_passes_agree_with_pytorch():
    """Optional: the same gradients as PyTorch's autograd (skipped where torch is not installed)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 6, 6, 2))
    w = rng.standard_normal((3, 3, 2, 3))
    b = rng.standard_normal(3)
    tx = torch.tensor(x.transpose(0, 3, 1, 2), requires_grad=True)  # PyTorch is channels first
    tw = torch.tensor(w.transpose(3, 2, 0, 1), requires_grad=True)
    tb = torch.tensor(b, requires_grad=True)
    z = torch.nn.functional.conv2d(tx, tw, tb, padding=1)
    pooled = torch.nn.functional.max_pool2d(torch.relu(z), 2)
    logits = pooled.flatten(1)[:, :10]
    labels = torch.tensor([3, 7])
    torch.nn.functional.cross_entropy(logits, labels).backward()
    zc = core.conv2d_batch(x, w, b, padding=1)
    a = relu(zc)
    p = max_pool(a)
    flat_torch_order = np.moveaxis(p, 3, 1).reshape(2, -1)[:, :10]
    ce = core.softmax_cross_entropy(flat_torch_order, [3, 7])
    dflat = np.zeros((2, p[0].size))
    dflat[:, :10] = ce.dz
    dp = np.moveaxis(dflat.reshape(2, p.shape[3], p.shape[1], p.shape[2]), 1, 3)
    dz = core.relu_backward(zc, core.max_pool_backward(a, dp))
    g = core.conv2d_batch_backward(x, w, dz, padding=1)
    np.testing.assert_allclose(g.dW, tw.grad.numpy().transpose(2, 3, 1, 0), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(g.db, tb.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(g.dX, tx.grad.numpy().transpose(0, 2, 3, 1), rtol=1e-10, atol=1e-12)
