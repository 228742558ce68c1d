"""Convolution: geometry, the forward pass, one step as a scene shows it, and the backward pass.

The deep-learning convolution is a cross-correlation (the kernel is not flipped).
For an input X (H×W×C), a bank of M kernels W (F×F×C×M), biases b, stride S
and zero padding P, output pixel (i, j) of map m is

    Z[i, j, m] = b[m] + Σ_{a<F} Σ_{b<F} Σ_{c<C} Xp[i·S + a, j·S + b, c] · W[a, b, c, m]

where Xp is X padded by P zeros on every side; the output is H'×W'×M with

    H' = ⌊(H − F + 2P) / S⌋ + 1        (:func:`output_size`).

:func:`conv_step` returns the numbers of one window (products, channel sums,
bias, output) that the chapter-2 scenes write out; :func:`conv2d_backward` the
gradients given δ = ∂L/∂Z:

    ∂L/∂W[a, b, c, m] = Σ_{i,j} Xp[i·S + a, j·S + b, c] · δ[i, j, m]     (∇W = X ⊛ δ)
    ∂L/∂b[m] = Σ_{i,j} δ[i, j, m]
    ∂L/∂X = the padding cropped from Σ_m (δ[·, ·, m] spread back through W[·, ·, ·, m]).

:func:`conv2d_batch` and :func:`conv2d_batch_backward` do the same for a
mini-batch of N images at once (the kernel gradients summed over the batch), as
training needs: one matrix product per kernel offset covers every image.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, NamedTuple, Sequence

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .checks import (
    _INT64_MAX, _LIST_ENTRY_BYTES, _MAX_BATCH_ELEMENTS, _OBJECT_ENTRY_BYTES, _OBJECT_WORK, _PYTHON_WORK,
    _as_array, _check_budget, _check_int, _check_real, _check_shape_tuple, _compute_dtype, _distinct,
    _exact_to_int64, _finite, _fit_float, _float64_array, _int_sums_fit, _is_int, _quiet, _readonly,
    _scalar, _scaled, _wide, fmt_shape,
)

__all__ = ['Connection', 'ConvGeometry', 'ConvGrads', 'ConvStep', 'conv2d', 'conv2d_backward', 'conv2d_batch',
           'conv2d_batch_backward', 'conv_connections', 'conv_geometry', 'conv_output_shape', 'conv_step', 'conv_windows', 'coverage_map', 'edge_kernel', 'output_size', 'pad']


def output_size(n: int, f: int, p: int = 0, s: int = 1) -> int:
    """Output size along one axis: ``⌊(N − F + 2P) / S⌋ + 1``.

    ``n`` input size, ``f`` kernel (or window) size, ``p`` padding, ``s`` stride.
    """
    n = _check_int(n, "input size N", 1)
    f = _check_int(f, "kernel size F", 1)
    p = _check_int(p, "padding P", 0)
    s = _check_int(s, "stride S", 1)
    if f > n + 2 * p:
        raise ValueError(
            f"a kernel of size {f} does not fit an input of size {n} with padding {p} "
            f"(padded size {n + 2 * p})"
        )
    return (n - f + 2 * p) // s + 1


def _check_pad_value(value: Any, dtype: np.dtype, context: str) -> int | float:
    """A pad value that ``dtype`` stores without change (finite; integral and in range for ints)."""
    f = _check_real(value, "pad value", context)
    if dtype.kind in "iu":
        if not f.is_integer():
            raise ValueError(f"{context}: pad value {value!r} is not an integer, but the input "
                             f"holds {dtype} integers")
        v = int(value) if _is_int(value) else int(f)
        info = np.iinfo(dtype)
        if not info.min <= v <= info.max:
            raise ValueError(f"{context}: pad value {value!r} does not fit the input's dtype "
                             f"{dtype} ({info.min}..{info.max})")
        return v
    if abs(f) > float(np.finfo(dtype).max):
        raise ValueError(f"{context}: pad value {value!r} overflows the input's dtype {dtype}")
    return f


def _pad_spatial(x: np.ndarray, p: int, value: Any = 0) -> np.ndarray:
    """``x`` (``H×W…``) padded by ``p`` on both spatial axes, C-contiguous like ``np.pad``'s
    output (einsum's summation order, so the last bits of a float sum, depend on the strides);
    ``x`` itself when ``p == 0`` and it is contiguous already."""
    if p == 0:
        return np.ascontiguousarray(x)
    H, W = x.shape[:2]
    shape = (H + 2 * p, W + 2 * p) + x.shape[2:]
    out = np.zeros(shape, dtype=x.dtype) if value == 0 else np.full(shape, value, dtype=x.dtype)
    out[p:p + H, p:p + W] = x
    return out


def pad(x: Any, p: int, value: float = 0.0) -> np.ndarray:
    """Pad the two spatial axes of an ``(H, W)`` or ``(H, W, C)`` array by ``p`` on every side.

    The dtype of ``x`` is kept; ``value`` must be stored in it unchanged (an
    integer in range for integer data, no overflow for floats).
    """
    x = _as_array(x, "input")
    if x.ndim not in (2, 3):
        raise ValueError(
            f"can only pad an H×W or H×W×C input, got a {x.ndim}-D array of shape {fmt_shape(x.shape)}"
        )
    ctx = f"cannot pad a {fmt_shape(x.shape)} input"
    p = _check_int(p, "padding", 0, context=ctx)
    value = _check_pad_value(value, x.dtype, ctx)
    shape = (x.shape[0] + 2 * p, x.shape[1] + 2 * p) + x.shape[2:]
    _check_budget(f"{ctx} with padding {p}", [("padded input", shape, x.dtype.itemsize)],
                  work=math.prod(shape))
    out = _pad_spatial(x, p, value)
    return out.copy() if out is x else out


class ConvGeometry(NamedTuple):
    """Everything about a convolution that depends only on shapes."""

    in_shape: tuple[int, ...]  # as given: (H, W) or (H, W, C)
    k_shape: tuple[int, ...]  # as given: (kh, kw), (kh, kw, C) or (kh, kw, C, M)
    H: int
    W: int
    C: int
    kh: int
    kw: int
    M: int
    single: bool  # one kernel (output H'×W') rather than a bank (output H'×W'×M)
    stride: int
    padding: int
    out_h: int
    out_w: int

    @property
    def out_shape(self) -> tuple[int, ...]:
        """``(H', W')`` for a single kernel, ``(H', W', M)`` for a bank."""
        if self.single:
            return (self.out_h, self.out_w)
        return (self.out_h, self.out_w, self.M)

    @property
    def padded_shape(self) -> tuple[int, int]:
        return (self.H + 2 * self.padding, self.W + 2 * self.padding)

    @property
    def kernel_noun(self) -> str:
        return "kernel" if self.single else "kernel bank"


def conv_geometry(in_shape: Sequence[int], k_shape: Sequence[int], stride: int = 1,
                  padding: int = 0) -> ConvGeometry:
    """Validate the shapes of a convolution and work out its geometry.

    Raises ``ValueError`` (naming the shapes) for a wrong number of dimensions,
    empty or negative dimensions, a channel mismatch, a bad stride or padding,
    or a kernel larger than the padded input.
    """
    in_shape = _check_shape_tuple(in_shape, "input shape")
    k_shape = _check_shape_tuple(k_shape, "kernel shape")
    if len(in_shape) not in (2, 3):
        raise ValueError(
            f"a convolution input must be H×W or H×W×C, got a {len(in_shape)}-D input "
            f"of shape {fmt_shape(in_shape)}"
        )
    if len(k_shape) not in (2, 3, 4):
        raise ValueError(
            f"a convolution kernel must be F×F, F×F×C or a bank F×F×C×M, got a "
            f"{len(k_shape)}-D kernel of shape {fmt_shape(k_shape)}"
        )
    single = len(k_shape) < 4
    noun = "kernel" if single else "kernel bank"
    ctx = f"cannot convolve a {fmt_shape(in_shape)} input with a {fmt_shape(k_shape)} {noun}"
    if 0 in in_shape:
        raise ValueError(f"{ctx}: the input has an empty dimension")
    if 0 in k_shape:
        raise ValueError(f"{ctx}: the {noun} has an empty dimension")
    H, W = in_shape[:2]
    C = in_shape[2] if len(in_shape) == 3 else 1
    kh, kw = k_shape[:2]
    kc = k_shape[2] if len(k_shape) >= 3 else 1
    M = k_shape[3] if len(k_shape) == 4 else 1
    if kc != C:
        raise ValueError(f"{ctx}: the input has {C} channel(s), the kernel {kc}")
    stride = _check_int(stride, "stride", 1, context=ctx)
    padding = _check_int(padding, "padding", 0, context=ctx)
    Hp, Wp = H + 2 * padding, W + 2 * padding
    if kh > Hp or kw > Wp:
        raise ValueError(
            f"{ctx}: the {kh}×{kw} kernel is larger than the {Hp}×{Wp} padded input "
            f"(padding {padding})"
        )
    out_h = (Hp - kh) // stride + 1
    out_w = (Wp - kw) // stride + 1
    return ConvGeometry(in_shape, k_shape, H, W, C, kh, kw, M, single, stride, padding,
                        out_h, out_w)


def _conv_context(g: ConvGeometry, op: str = "convolve") -> str:
    return (f"cannot {op} a {fmt_shape(g.in_shape)} input with a {fmt_shape(g.k_shape)} "
            f"{g.kernel_noun} (stride {g.stride}, padding {g.padding})")


def conv_output_shape(in_shape: Sequence[int], k_shape: Sequence[int], stride: int = 1,
                      padding: int = 0) -> tuple[int, ...]:
    """Shape of ``conv2d``'s output: ``(H', W', M)`` for a bank, ``(H', W')`` for one kernel."""
    return conv_geometry(in_shape, k_shape, stride, padding).out_shape


def conv_windows(x_shape: Sequence[int], k_shape: Sequence[int], stride: int = 1,
                 padding: int = 0) -> list[tuple[int, int]]:
    """Top-left ``(row, col)`` of every window, in padded-input coordinates, in raster order.

    Output pixel ``(i, j)`` is computed from the window at ``(i*stride, j*stride)``
    and is element ``i*W' + j`` of the list.
    """
    g = conv_geometry(x_shape, k_shape, stride, padding)
    _check_budget(_conv_context(g, "list the windows of convolving"),
                  [("list of windows", (g.out_h, g.out_w), _LIST_ENTRY_BYTES)], work=g.out_h * g.out_w)
    return [(i * g.stride, j * g.stride) for i in range(g.out_h) for j in range(g.out_w)]


def _coverage_1d(n: int, k: int, s: int, p: int, out: int) -> np.ndarray:
    """How many of the ``out`` windows (size ``k``, stride ``s``) cover each of ``n`` input positions."""
    big = n + 2 * p + k + out + s >= 2**62  # beyond int64 arithmetic: exact Python ints
    rp = np.arange(n, dtype=object if big else np.int64) + p  # padded coordinates
    first = np.maximum(-((k - 1 - rp) // s), 0)  # first window i with i*s + k - 1 >= rp
    last = np.minimum(rp // s, out - 1)  # last window i with i*s <= rp
    return np.maximum(last - first + 1, 0)


def coverage_map(in_shape: Sequence[int], k_shape: Sequence[int], stride: int = 1,
                 padding: int = 0) -> np.ndarray:
    """For every pixel of the (unpadded) ``H×W`` input, the number of windows it takes part in.

    The windows form a grid, so the count is (windows covering the row) × (windows
    covering the column): O(H·W) work whatever the kernel size or padding.
    """
    g = conv_geometry(in_shape, k_shape, stride, padding)
    ctx = _conv_context(g, "map the coverage of convolving")
    _check_budget(ctx, [("coverage map", (g.H, g.W), 8)], work=g.H * g.W)
    rows = _coverage_1d(g.H, g.kh, g.stride, g.padding, g.out_h)
    cols = _coverage_1d(g.W, g.kw, g.stride, g.padding, g.out_w)
    if int(rows.max()) * int(cols.max()) > _INT64_MAX or rows.dtype == object:
        counts = np.multiply.outer(rows.astype(object), cols.astype(object))
        return _exact_to_int64(counts, ctx, "input and kernel")
    return np.multiply.outer(rows, cols).astype(np.int64, copy=False)


def _conv_operands(x: Any, w: Any, stride: int, padding: int, op: str = "convolve"):
    """Arrays + geometry; x as (H, W, C) and w as (kh, kw, C, M)."""
    x = _as_array(x, "input")
    w = _as_array(w, "kernel")
    ctx = f"cannot {op} a {fmt_shape(x.shape)} input with a {fmt_shape(w.shape)} kernel"
    if x.ndim not in (2, 3):
        raise ValueError(f"{ctx}: the input must be H×W or H×W×C, not {x.ndim}-D")
    if w.ndim not in (2, 3, 4):
        raise ValueError(
            f"{ctx}: the kernel must be F×F, F×F×C or a bank F×F×C×M, not {w.ndim}-D"
        )
    g = conv_geometry(x.shape, w.shape, stride, padding)
    x3 = x.reshape(g.H, g.W, g.C)
    w4 = w.reshape(g.kh, g.kw, g.C, g.M)
    return x, w, x3, w4, g


def _bias_vector(b: Any, g: ConvGeometry) -> np.ndarray | None:
    """The bias as shape (M,) (or None)."""
    if b is None:
        return None
    b_arr = _as_array(b, "bias")
    if b_arr.ndim == 0:
        return np.broadcast_to(b_arr, (g.M,))
    if b_arr.shape != (g.M,):
        expected = "a scalar" + (f" or {g.M} value(s)" if not g.single else " or 1 value")
        raise ValueError(
            f"a bias of shape {fmt_shape(b_arr.shape)} does not match the {fmt_shape(g.k_shape)} "
            f"{g.kernel_noun} ({g.M} kernel(s)): expected {expected}"
        )
    return b_arr


def _windows(xp3: np.ndarray, g: ConvGeometry) -> np.ndarray:
    """Strided windows of the padded input: shape (H', W', C, kh, kw) (a read-only view)."""
    s0, s1, s2 = xp3.strides
    step_h = s0 * g.stride if g.out_h > 1 else 0  # a single window: the (maybe huge) stride is unused
    step_w = s1 * g.stride if g.out_w > 1 else 0
    return as_strided(xp3, shape=(g.out_h, g.out_w, g.C, g.kh, g.kw),
                      strides=(step_h, step_w, s2, s0, s1), writeable=False)


def _offsets(g: ConvGeometry):
    """``(a, b, rows, cols)`` for every kernel offset: the slices of the padded input it meets."""
    last_i = g.stride * (g.out_h - 1) + 1
    last_j = g.stride * (g.out_w - 1) + 1
    step_i = g.stride if g.out_h > 1 else 1  # a single window: the (maybe huge) stride is unused
    step_j = g.stride if g.out_w > 1 else 1
    for a in range(g.kh):
        for b in range(g.kw):
            yield a, b, slice(a, a + last_i, step_i), slice(b, b + last_j, step_j)


def _operand_names(*names: str | None) -> str:
    names = [n for n in names if n]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _conv_forward(x3: np.ndarray, w4: np.ndarray, bias: np.ndarray | None, g: ConvGeometry) -> np.ndarray:
    """conv2d as ``(H', W', M)``, exact for integers and overflow-checked for floats."""
    operands = (x3, w4) if bias is None else (x3, w4, bias)
    dtype = _compute_dtype(*operands)
    ctx = lambda: _conv_context(g)  # noqa: E731 (built only for an error)
    what = _operand_names("input", "kernel", None if bias is None else "bias")
    n_terms = g.kh * g.kw * g.C
    out_shape = (g.out_h, g.out_w, g.M)
    padded = g.padded_shape + (g.C,)
    work = g.out_h * g.out_w * g.M * n_terms
    _check_budget(ctx, [("padded input", padded, dtype.itemsize), ("output", out_shape, dtype.itemsize)],
                  work)
    if dtype.kind == "i" and not _int_sums_fit(n_terms, (x3, w4), () if bias is None else (bias,)):
        _check_budget(lambda: ctx() + " in exact integers", [("padded input", padded, _OBJECT_ENTRY_BYTES),
                                                   ("output", out_shape, _OBJECT_ENTRY_BYTES)],
                      work * _OBJECT_WORK)
        xp = _pad_spatial(x3.astype(object), g.padding)
        wo = w4.astype(object)
        out = np.zeros(out_shape, dtype=object)
        for a, b, rows, cols in _offsets(g):
            out += xp[rows, cols, :] @ wo[a, b]
        if bias is not None:
            out += bias.astype(object)
        return _exact_to_int64(out, ctx(), what)
    xp = _pad_spatial(x3.astype(dtype, copy=False), g.padding)
    with _quiet():
        out = np.einsum("ijcab,abcm->ijm", _windows(xp, g), w4.astype(dtype, copy=False))
        if bias is not None:
            out = out + bias.astype(dtype, copy=False)
    if dtype.kind == "f" and not _finite(out):  # overflowed: redo wide, with rescaled operands
        wide = _wide(dtype)
        xs, ex = _scaled(x3, wide)
        ws, ew = _scaled(w4, wide)
        with _quiet():
            out = np.einsum("ijcab,abcm->ijm", _windows(_pad_spatial(xs, g.padding), g), ws)
            if bias is not None:
                out = out + np.ldexp(bias.astype(wide), -(ex + ew))
            out = np.ldexp(out, ex + ew)
        out = _fit_float(out, dtype, ctx(), f"the result of the {what}")
    return out


def conv2d(x: Any, w: Any, b: Any = None, stride: int = 1, padding: int = 0) -> np.ndarray:
    """2-D convolution (cross-correlation) of ``x`` with one kernel or a bank of kernels.

    ``x``: ``(H, W)`` or ``(H, W, C)``. ``w``: ``(kh, kw)``, ``(kh, kw, C)`` or
    ``(kh, kw, C, M)``. ``b``: None, a scalar, or shape ``(M,)``.
    Returns ``(H', W')`` for a single kernel, ``(H', W', M)`` for a bank.
    Integer data (and an int/None bias) give an exact int64 result (ValueError
    if it does not fit int64); otherwise float (ValueError on overflow).
    """
    x, w, x3, w4, g = _conv_operands(x, w, stride, padding)
    out = _conv_forward(x3, w4, _bias_vector(b, g), g)
    return out[:, :, 0] if g.single else out


@dataclass(frozen=True, eq=False)
class ConvStep:
    """One output pixel of a convolution, broken down for display.

    ``window`` and ``products`` have the kernel's shape (``(kh, kw)`` or
    ``(kh, kw, C)``); ``channel_sums`` has length C (1 for a 2-D kernel).
    ``output == total + bias`` equals ``conv2d(...)[i, j]`` (``[i, j, m]`` for a bank).
    Arrays are read-only.
    """

    out_pos: tuple[int, int]  # (i, j) in the output
    window_pos: tuple[int, int]  # top-left (row, col) of the window in the padded input
    kernel_index: int | None  # m for a bank, None for a single kernel
    kernel: np.ndarray
    window: np.ndarray
    products: np.ndarray
    channel_sums: np.ndarray
    total: int | float
    bias: int | float
    output: int | float


def _window_at(x3: np.ndarray, g: ConvGeometry, r0: int, c0: int) -> np.ndarray:
    """The ``(kh, kw, C)`` window at ``(r0, c0)`` of the padded input, without padding it all."""
    win = np.zeros((g.kh, g.kw, g.C), dtype=x3.dtype)
    top, left = r0 - g.padding, c0 - g.padding  # in input coordinates
    r_lo, r_hi = max(top, 0), min(top + g.kh, g.H)
    c_lo, c_hi = max(left, 0), min(left + g.kw, g.W)
    if r_lo < r_hi and c_lo < c_hi:
        win[r_lo - top:r_hi - top, c_lo - left:c_hi - left] = x3[r_lo:r_hi, c_lo:c_hi]
    return win


def conv_step(x: Any, w: Any, i: int, j: int, stride: int = 1, padding: int = 0, b: Any = None,
              m: int | None = None) -> ConvStep:
    """Break output pixel ``(i, j)`` of ``conv2d(x, w, b, stride, padding)`` into its pieces.

    For a bank ``w`` of shape ``(kh, kw, C, M)`` pick the kernel with ``m``.
    """
    x, w, x3, w4, g = _conv_operands(x, w, stride, padding)
    ctx = f"cannot take a step of convolving a {fmt_shape(x.shape)} input with a {fmt_shape(w.shape)} {g.kernel_noun}"
    if m is not None:
        m = _check_int(m, "kernel index m", 0, context=ctx)
    if g.single:
        if m not in (None, 0):
            raise ValueError(f"{ctx}: a single kernel has no kernel index m={m!r}")
        m_idx = 0
    else:
        if m is None:
            raise ValueError(f"{ctx}: choose one of its {g.M} kernels with m=0..{g.M - 1}")
        m_idx = m
        if m_idx >= g.M:
            raise ValueError(f"{ctx}: kernel index m={m_idx} is not in 0..{g.M - 1}")
    i_ok = _is_int(i) and 0 <= i < g.out_h
    j_ok = _is_int(j) and 0 <= j < g.out_w
    if not (i_ok and j_ok):
        raise ValueError(f"{ctx}: output position ({i!r}, {j!r}) is outside the "
                         f"{g.out_h}×{g.out_w} output (stride {g.stride}, padding {g.padding})")
    i, j = int(i), int(j)
    bias_vec = _bias_vector(b, g)
    dtype = _compute_dtype(x, w) if bias_vec is None else _compute_dtype(x, w, bias_vec)
    r0, c0 = i * g.stride, j * g.stride
    n_terms = g.kh * g.kw * g.C
    # the window, the kernel's copy and the products, each the kernel's size (a kernel as large as
    # a 60000×60000 input needs 26.8 GiB for one step)
    _check_budget(ctx, [("window", (g.kh, g.kw, g.C), dtype.itemsize)] * 3, work=3 * n_terms)
    window_src = _window_at(x3, g, r0, c0)
    kernel_src = w4[:, :, :, m_idx]
    bias_src = bias_vec[m_idx:m_idx + 1] if bias_vec is not None else np.zeros(1, dtype=np.int64)
    k_shape = w.shape if g.single else w.shape[:3]
    what = _operand_names("input", "kernel", None if bias_vec is None else "bias")
    if dtype.kind == "i" and not _int_sums_fit(n_terms, (window_src, kernel_src), (bias_src,)):
        _check_budget(lambda: ctx + " in exact integers",
                      [("window", (g.kh, g.kw, g.C), _OBJECT_ENTRY_BYTES)] * 3, work=3 * n_terms)
        # exact Python ints; every number shown must fit int64
        window_o, kernel_o = window_src.astype(object), kernel_src.astype(object)
        products_o = window_o * kernel_o
        sums_o = products_o.sum(axis=(0, 1))
        total_o = sum(sums_o.tolist())
        bias_o = int(bias_src[0])
        checked = [_exact_to_int64(np.asarray(v, dtype=object), f"{ctx} at ({i}, {j})",
                                   what).reshape(np.shape(v))
                   for v in (window_o, kernel_o, products_o, sums_o, total_o, bias_o, total_o + bias_o)]
        window3, kernel3, products3, channel_sums = checked[:4]
        total, bias, output = (int(v) for v in checked[4:])
    else:
        window3 = window_src.astype(dtype, copy=False)
        kernel3 = kernel_src.astype(dtype, copy=False)
        with _quiet():
            products3 = window3 * kernel3
            channel_sums = products3.sum(axis=(0, 1))
            total = channel_sums.sum()
            bias = bias_src[0].astype(dtype)
            output = total + bias
        if dtype.kind == "f" and not (_finite(products3) and _finite(channel_sums)
                                      and _finite(total) and _finite(output)):
            wide = _wide(dtype)
            at = f"{ctx} at ({i}, {j})"
            with _quiet():
                prod_w = window3.astype(wide) * kernel3.astype(wide)
            products3 = _fit_float(prod_w, dtype, at, "a product")
            sums_w = _stable_sum(prod_w, (0, 1))
            channel_sums = _fit_float(sums_w, dtype, at, "a channel sum")
            total_w = _stable_sum(sums_w, None)
            total = _fit_float(total_w, dtype, at, "the total")[()]
            output = _fit_float(_stable_sum(np.array([total_w, bias.astype(wide)]), None), dtype, at,
                                f"the output (total + bias) of the {what}")[()]
        total, bias, output = _scalar(total), _scalar(bias), _scalar(output)
    return ConvStep(
        out_pos=(i, j),
        window_pos=(r0, c0),
        kernel_index=None if g.single else m_idx,
        kernel=_readonly(kernel3.reshape(k_shape)),
        window=_readonly(window3.reshape(k_shape)),
        products=_readonly(products3.reshape(k_shape)),
        channel_sums=_readonly(channel_sums),
        total=total,
        bias=bias,
        output=output,
    )


def _stable_sum(arr: np.ndarray, axis: Any) -> np.ndarray:
    """``arr.sum(axis)`` of a float array, summed rescaled so no partial sum overflows."""
    scaled, e = _scaled(arr, arr.dtype)
    with _quiet():
        return np.ldexp(scaled.sum(axis=axis), e)


class ConvGrads(NamedTuple):
    """Gradients of a loss L through a convolution, given ``delta = ∂L/∂out``.

    ``dW`` has the kernel's shape, ``dX`` the (unpadded) input's shape; ``db``
    is a scalar for a single kernel and shape ``(M,)`` for a bank.
    """

    dW: np.ndarray
    db: Any
    dX: np.ndarray


def _backward_core(xp: np.ndarray, w4: np.ndarray, d3: np.ndarray, g: ConvGeometry,
                   exact: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dW4, db, dX3) in the dtype of the operands (object arrays for ``exact``)."""
    if exact:
        dW4 = np.zeros((g.kh, g.kw, g.C, g.M), dtype=object)
        for a, b, rows, cols in _offsets(g):
            dW4[a, b] = np.tensordot(xp[rows, cols, :], d3, axes=([0, 1], [0, 1]))
    else:
        dW4 = np.einsum("ijcab,ijm->abcm", _windows(xp, g), d3)
    db = d3.sum(axis=(0, 1))
    dXp = np.zeros(xp.shape, dtype=xp.dtype)
    for a, b, rows, cols in _offsets(g):  # vectorised over output pixels
        dXp[rows, cols, :] += d3 @ w4[a, b].T
    p = g.padding
    return dW4, db, dXp[p:p + g.H, p:p + g.W, :]


def conv2d_backward(x: Any, w: Any, delta: Any, stride: int = 1, padding: int = 0) -> ConvGrads:
    """Backward pass of :func:`conv2d`: gradients w.r.t. the kernel, the bias and the input.

    ``delta`` is ``∂L/∂out`` with conv2d's output shape (``(H', W')`` for a
    single kernel, ``(H', W', M)`` for a bank). With stride 1, no padding and
    2-D data, ``dW == conv2d(x, delta)`` (∇W = X ⋆ δ).
    """
    x, w, x3, w4, g = _conv_operands(x, w, stride, padding, op="back-propagate")
    delta = _as_array(delta, "delta")
    if delta.shape != g.out_shape:
        raise ValueError(
            f"a delta of shape {fmt_shape(delta.shape)} does not match the {fmt_shape(g.out_shape)} "
            f"output of convolving a {fmt_shape(x.shape)} input with a {fmt_shape(w.shape)} "
            f"{g.kernel_noun} (stride {g.stride}, padding {g.padding})"
        )
    dtype = _compute_dtype(x, w, delta)
    ctx = lambda: _conv_context(g, "back-propagate through")  # noqa: E731
    d3_src = delta.reshape(g.out_h, g.out_w, g.M)
    padded = g.padded_shape + (g.C,)
    n_out = g.out_h * g.out_w
    n_k = g.kh * g.kw * g.C
    items = [("padded input", padded, dtype.itemsize), ("padded input gradient", padded, dtype.itemsize)]
    work = 2 * n_out * g.M * n_k
    _check_budget(ctx, items, work)
    if dtype.kind == "i" and not (_int_sums_fit(n_out, (x3, d3_src))
                                  and _int_sums_fit(g.kh * g.kw * g.M, (d3_src, w4))):
        _check_budget(lambda: ctx() + " in exact integers",
                      [(what, shape, _OBJECT_ENTRY_BYTES) for what, shape, _ in items],
                      work * _OBJECT_WORK)
        dW4, db, dX = _backward_core(_pad_spatial(x3.astype(object), g.padding), w4.astype(object),
                                     d3_src.astype(object), g, exact=True)
        dW4 = _exact_to_int64(dW4, ctx() + ": the kernel gradient dW", "input and delta")
        db = _exact_to_int64(db, ctx() + ": the bias gradient db", "delta")
        dX = _exact_to_int64(dX, ctx() + ": the input gradient dX", "kernel and delta")
    else:
        d3 = d3_src.astype(dtype, copy=False)
        xp = _pad_spatial(x3.astype(dtype, copy=False), g.padding)
        with _quiet():
            dW4, db, dX = _backward_core(xp, w4.astype(dtype, copy=False), d3, g)
        if dtype.kind == "f" and not (_finite(dW4) and _finite(db) and _finite(dX)):
            wide = _wide(dtype)
            xs, ex = _scaled(x3, wide)
            ws, ew = _scaled(w4, wide)
            ds, ed = _scaled(d3_src, wide)
            with _quiet():
                dW4, db, dX = _backward_core(_pad_spatial(xs, g.padding), ws, ds, g)
                dW4, db, dX = np.ldexp(dW4, ex + ed), np.ldexp(db, ed), np.ldexp(dX, ed + ew)
            dW4 = _fit_float(dW4, dtype, ctx(), "the kernel gradient dW (input × delta)")
            db = _fit_float(db, dtype, ctx(), "the bias gradient db (sum of delta)")
            dX = _fit_float(dX, dtype, ctx(), "the input gradient dX (kernel × delta)")
    return ConvGrads(
        dW=dW4.reshape(w.shape),
        db=db[0] if g.single else db,
        dX=dX.reshape(x.shape),
    )


#: The classic 3×3 edge detectors, written for a *vertical* edge (bright left,
#: dark right gives a positive response); the horizontal ones are their transposes.
_EDGE_KERNELS = {
    "prewitt": ((1, 0, -1), (1, 0, -1), (1, 0, -1)),
    "sobel": ((1, 0, -1), (2, 0, -2), (1, 0, -1)),
}


def edge_kernel(direction: str = "vertical", kind: str = "sobel") -> np.ndarray:
    """A real 3×3 edge-detection kernel (int64), for :func:`conv2d`.

    ``direction``: ``"vertical"`` responds to vertical edges (a change from left
    to right: bright-to-dark left→right is positive), ``"horizontal"`` to
    horizontal ones (bright-to-dark top→bottom is positive). ``kind``:
    ``"sobel"`` (centre row weighted 2) or ``"prewitt"`` (all weights 1).
    """
    if not isinstance(kind, str) or kind not in _EDGE_KERNELS:
        raise ValueError(f"unknown edge kernel kind {kind!r}: choose one of {', '.join(_EDGE_KERNELS)}")
    if not isinstance(direction, str) or direction not in ("vertical", "horizontal"):
        raise ValueError(f"unknown edge direction {direction!r}: choose 'vertical' or 'horizontal'")
    k = np.array(_EDGE_KERNELS[kind], dtype=np.int64)
    if direction == "vertical":
        return k
    return k.T.copy()


#: What one :class:`Connection` in a tuple costs in memory (a small tuple of three ints).
_CONNECTION_BYTES = 120


class Connection(NamedTuple):
    """One edge of a convolution drawn as a neural-network layer.

    Indices are flat, row-major (C order): ``in_index`` into ``x.reshape(-1)``
    (the unpadded input), ``out_index`` into ``conv2d(x, w).reshape(-1)`` and
    ``weight_index`` into ``w.reshape(-1)``. So
    ``out.flat[o] == sum(x.flat[i] * w.flat[k] for each (o, i, k)) + bias``.
    """

    out_index: int
    in_index: int
    weight_index: int


def conv_connections(in_shape: Sequence[int], k_shape: Sequence[int], stride: int = 1,
                     padding: int = 0) -> tuple[Connection, ...]:
    """Every edge of the convolution seen as a layer of neurons: which input feeds which output, by which weight.

    Sorted by output, then by weight. Kernel positions that fall on zero
    padding have no input neuron and no edge. With a 3×3 input and a 2×2
    kernel each of the 4 outputs has 4 edges (16 in all, against 9·4 = 36 for
    a dense layer), and every output uses the same 4 weights.
    """
    g = conv_geometry(in_shape, k_shape, stride, padding)
    per_window = g.M * g.kh * g.kw * g.C
    # an input pixel meets each kernel position in at most one window: at most H·W·… edges
    n_edges = min(g.out_h * g.out_w, g.H * g.W) * per_window
    _check_budget(lambda: _conv_context(g, "list the connections of"),
                  [("edge list", (n_edges,), _CONNECTION_BYTES)],
                  work=g.out_h * g.out_w * per_window * _PYTHON_WORK)
    edges = []
    for i in range(g.out_h):
        for j in range(g.out_w):
            for m in range(g.M):
                out_index = (i * g.out_w + j) * g.M + m if not g.single else i * g.out_w + j
                for a in range(g.kh):
                    for b in range(g.kw):
                        r = i * g.stride + a - g.padding
                        c = j * g.stride + b - g.padding
                        if not (0 <= r < g.H and 0 <= c < g.W):
                            continue  # a padding cell: no neuron
                        for ch in range(g.C):
                            in_index = (r * g.W + c) * g.C + ch
                            weight_index = ((a * g.kw + b) * g.C + ch) * g.M + m
                            edges.append(Connection(out_index, in_index, weight_index))
    return tuple(edges)


class _BatchOperands(NamedTuple):
    """A mini-batch convolution's operands as float64, channels last, with its geometry."""

    n: int
    x_shape: tuple[int, ...]   # as given: (N, H, W) or (N, H, W, C)
    g: ConvGeometry
    xp: np.ndarray             # (N, H + 2P, W + 2P, C), zero-padded
    w4: np.ndarray             # (kh, kw, C, M)
    integral: bool             # every operand holds integers: the result is exact int64 (or refused)
    ctx: str


def _batch_operands(x: Any, w: Any, op: str, stride: int, padding: int,
                    more: Sequence[tuple[str, Any]] = ()) -> tuple[_BatchOperands, list[np.ndarray]]:
    """Validate a batch ``x`` and a kernel ``w``, pad ``x``; ``more`` are further ``(name, value)``
    operands (bias, delta), returned as float64 (None stays None) for the caller to check."""
    x_arr = _as_array(x, "input batch")
    w_arr = _as_array(w, "kernel")
    if x_arr.ndim not in (3, 4):
        raise ValueError(f"an input batch must be N×H×W or N×H×W×C, got a {x_arr.ndim}-D array of shape "
                         f"{fmt_shape(x_arr.shape)}")
    if x_arr.shape[0] == 0:
        raise ValueError(f"cannot {op} an empty input batch of shape {fmt_shape(x_arr.shape)}")
    g = conv_geometry(x_arr.shape[1:], w_arr.shape, stride, padding)
    n = x_arr.shape[0]
    ctx = (f"cannot {op} a batch of {n} {fmt_shape(x_arr.shape[1:])} inputs with a {fmt_shape(w_arr.shape)} "
           f"kernel (stride {g.stride}, padding {g.padding})")
    Hp, Wp = g.padded_shape
    sizes = {"padded input batch": n * Hp * Wp * g.C, "output": n * g.out_h * g.out_w * g.M,
             "kernel": g.kh * g.kw * g.C * g.M}
    for what, size in sizes.items():
        if size > _MAX_BATCH_ELEMENTS:
            raise ValueError(f"{ctx}: the {what} would hold {size:,} numbers, more than {_MAX_BATCH_ELEMENTS:,}")
    _check_budget(ctx, [("windows as rows", (n * g.out_h * g.out_w, g.kh * g.kw * g.C), 8),
                        ("output", (n, g.out_h, g.out_w, g.M), 8)],
                  work=2 * sizes["output"] * g.kh * g.kw * g.C + g.kh * g.kw * _PYTHON_WORK)
    arrays = [(name, None if v is None else _as_array(v, name)) for name, v in more]
    integral = all(a is None or a.dtype.kind in "iu" for a in [x_arr, w_arr] + [a for _, a in arrays])
    xf = _float64_array(x_arr, "input batch", ctx)
    wf = _float64_array(w_arr, "kernel", ctx)
    p = g.padding
    xp = np.zeros((n, Hp, Wp, g.C))
    xp[:, p:p + g.H, p:p + g.W, :] = xf.reshape(n, g.H, g.W, g.C)
    rest = [None if a is None else _float64_array(a, name, ctx) for name, a in arrays]
    return _BatchOperands(n, x_arr.shape, g, xp, wf.reshape(g.kh, g.kw, g.C, g.M), integral, ctx), rest


def _abs_max(arr: np.ndarray) -> float:
    return float(np.abs(_distinct(arr)).max()) if arr.size else 0.0


def _exact_below_2_53(ops: _BatchOperands, bound: Callable[[], float], what: str) -> None:
    """Integer operands are computed in float64: exact while every partial sum stays below 2⁵³
    (``bound()``, the largest sum possible, is only worked out for integer operands)."""
    if ops.integral and (largest := bound()) >= 2.0 ** 53:
        raise ValueError(f"{ops.ctx}: integer {what} this large could lose exactness (sums up to {largest:.3g} ≥ 2⁵³)")


def _columns(ops: _BatchOperands) -> np.ndarray:
    """The windows of the padded batch as rows (“im2col”): ``(N·H'·W', kh·kw·C)``, row ``(n, i, j)``
    holding window (i, j) of image n in the kernel's order, so that ``columns @ W.reshape(-1, M)``
    is the convolution. Built offset by offset into its transpose (long contiguous copies); the
    transpose is a view that BLAS reads as it is."""
    g = ops.g
    rows_t = np.empty((g.kh, g.kw, g.C, ops.n, g.out_h, g.out_w))
    for a, b, rows, cols in _offsets(g):
        rows_t[a, b] = np.moveaxis(ops.xp[:, rows, cols, :], 3, 0)
    return rows_t.reshape(g.kh * g.kw * g.C, -1).T


def conv2d_batch(x: Any, w: Any, b: Any = None, stride: int = 1, padding: int = 0) -> np.ndarray:
    """:func:`conv2d` of a whole mini-batch in one vectorised call (no loop over images).

    ``x``: ``(N, H, W)`` or ``(N, H, W, C)`` — N images, channels last. ``w``, ``b``,
    ``stride`` and ``padding`` as in :func:`conv2d`. Returns ``(N, H', W', M)`` for a
    bank of kernels, ``(N, H', W')`` for a single kernel; ``out[n] == conv2d(x[n], ...)``.
    Integer data give an exact int64 result (refused if it could exceed 2⁵³, where
    float64 stops being exact); otherwise float64. NaN/inf, or a result beyond float64, are refused.

    Vectorised as one matrix product: every window of every image as a row
    (:func:`_columns`, “im2col”) times the kernels as columns.
    """
    ops, (bias,) = _batch_operands(x, w, "convolve", stride, padding, [("bias", b)])
    g = ops.g
    if bias is not None:
        bias = _bias_vector(bias, g)
    _exact_below_2_53(ops, lambda: _abs_max(ops.xp) * _abs_max(ops.w4) * g.kh * g.kw * g.C
                      + (_abs_max(bias) if bias is not None else 0.0), "input batch, kernel and bias")
    with np.errstate(all="ignore"):
        out = (_columns(ops) @ ops.w4.reshape(-1, g.M)).reshape(ops.n, g.out_h, g.out_w, g.M)
        if bias is not None:
            out += bias
    if not np.isfinite(out).all():
        raise ValueError(f"{ops.ctx}: the result overflows float64 (input batch, kernel or bias too large)")
    if ops.integral:
        out = out.astype(np.int64)
    return out[..., 0] if g.single else out


def conv2d_batch_backward(x: Any, w: Any, delta: Any, stride: int = 1, padding: int = 0) -> ConvGrads:
    """Backward pass of :func:`conv2d_batch`: the gradients of a loss summed over the mini-batch.

    ``delta`` = ∂L/∂out, shaped like conv2d_batch's output (``(N, H', W')`` for a
    single kernel, ``(N, H', W', M)`` for a bank). Returns :class:`ConvGrads` with
    ``dW`` (the kernel's shape) and ``db`` summed over the images —
    ``dW == Σ_n conv2d_backward(x[n], w, delta[n]).dW`` — and ``dX`` per image
    (``x``'s shape). As in :func:`conv2d_batch`: float64, or exact int64 for
    integer operands (refused past 2⁵³); a result beyond float64 is refused.
    """
    ops, (d,) = _batch_operands(x, w, "back-propagate through convolving", stride, padding,
                                [("delta", _as_array(delta, "delta"))])
    g = ops.g
    want = (ops.n,) + g.out_shape
    if d.shape != want:
        raise ValueError(f"a delta of shape {fmt_shape(np.shape(delta))} does not match the {fmt_shape(want)} "
                         f"output of convolving a batch of {ops.n} {fmt_shape(g.in_shape)} inputs with a "
                         f"{fmt_shape(g.k_shape)} {g.kernel_noun} (stride {g.stride}, padding {g.padding})")
    d4 = d.reshape(ops.n, g.out_h, g.out_w, g.M)
    n_out = ops.n * g.out_h * g.out_w
    _exact_below_2_53(ops, lambda: max(_abs_max(ops.xp), 1.0) * _abs_max(d4) * n_out, "input batch and delta")
    _exact_below_2_53(ops, lambda: _abs_max(ops.w4) * _abs_max(d4) * g.kh * g.kw * g.M, "kernel and delta")
    d2 = d4.reshape(-1, g.M)
    dXp = np.zeros(ops.xp.shape)
    with np.errstate(all="ignore"):
        dW4 = (_columns(ops).T @ d2).reshape(g.kh, g.kw, g.C, g.M)  # ∇W = X ⋆ δ: windows × δ, summed
        # each window's share of ∂L/∂X (δ through the kernels), offset by offset, added back where it was read
        spread = (ops.w4.reshape(-1, g.M) @ d2.T).reshape(g.kh, g.kw, g.C, ops.n, g.out_h, g.out_w)
        for a, c, rows, cols in _offsets(g):
            dXp[:, rows, cols, :] += np.moveaxis(spread[a, c], 0, 3)
        db = d2.sum(axis=0)
    p = g.padding
    dX = dXp[:, p:p + g.H, p:p + g.W, :]
    for name, arr in (("the kernel gradient dW (input batch × delta)", dW4), ("the bias gradient db (sum of delta)", db),
                      ("the input gradient dX (kernel × delta)", dX)):
        if not np.isfinite(arr).all():
            raise ValueError(f"{ops.ctx}: {name} overflows float64")
    if ops.integral:
        dW4, db, dX = dW4.astype(np.int64), db.astype(np.int64), dX.astype(np.int64)
    return ConvGrads(dW=dW4.reshape(g.k_shape), db=db[0] if g.single else db, dX=np.ascontiguousarray(dX).reshape(ops.x_shape))
