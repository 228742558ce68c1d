"""The numeric core of cnnviz: every number a scene shows is computed here.

NumPy only (no Manim), so it is fast to import and easy to test.

Conventions (the notebook's, channels-last):

* an input is ``(H, W)`` or ``(H, W, C)``;
* one kernel is ``(kh, kw)`` or ``(kh, kw, C)``; a bank of ``M`` kernels is
  ``(kh, kw, C, M)`` (usually ``kh == kw == F``);
* "convolution" is the deep-learning one, i.e. cross-correlation: the kernel
  is *not* flipped.

Every bad input raises :class:`ValueError` with a message that names the
shapes involved, written the notebook's way (``3×3×1``, see :func:`fmt_shape`),
so a user never sees a raw NumPy traceback.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any, NamedTuple, Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = [
    "AugmentResult",
    "BatchNormResult",
    "ConvGeometry",
    "ConvGrads",
    "ConvStep",
    "RunningStats",
    "TrainingSchedule",
    "avg_pool",
    "batch_norm",
    "batch_norm_eval",
    "conv2d",
    "conv2d_backward",
    "conv2d_batch",
    "conv_geometry",
    "conv_output_shape",
    "conv_param_terms",
    "conv_params",
    "conv_step",
    "conv_windows",
    "coverage_map",
    "dense_params",
    "dropout",
    "dropout_mask",
    "edge_kernel",
    "flatten",
    "fmt_shape",
    "max_pool",
    "mlp_param_terms",
    "mlp_params",
    "output_size",
    "pad",
    "pool_output_shape",
    "pool_params",
    "pool_windows",
    "random_flip_crop",
    "relu",
    "running_stats_update",
    "softmax",
    "training_schedule",
]


# ----------------------------------------------------------------------------
# Formatting and validation helpers
# ----------------------------------------------------------------------------


def fmt_shape(shape: Any) -> str:
    """Format a shape the notebook's way: ``(3, 3, 1) -> "3×3×1"``.

    Accepts a tuple/list of ints, a single int, or an array (its ``.shape`` is
    used). The empty shape of a scalar is written ``"scalar"``.
    """
    if hasattr(shape, "shape") and not isinstance(shape, (tuple, list)):
        shape = shape.shape
    if isinstance(shape, numbers.Integral):
        shape = (shape,)
    shape = tuple(shape)
    if not shape:
        return "scalar"
    return "×".join(str(int(d)) if isinstance(d, numbers.Integral) else str(d) for d in shape)


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _check_int(value: Any, name: str, minimum: int, context: str = "") -> int:
    """Return ``value`` as an int, or raise if it is not an integer >= minimum."""
    prefix = f"{context}: " if context else ""
    if not _is_int(value):
        raise ValueError(f"{prefix}{name} must be an integer, got {value!r}")
    if value < minimum:
        kind = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"{prefix}{name} must be {kind}, got {value}")
    return int(value)


def _as_array(value: Any, name: str) -> np.ndarray:
    """``np.asarray`` that only accepts real numbers; bools become int64."""
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError) as exc:  # ragged nested lists, ...
        raise ValueError(f"{name} is not a rectangular array of numbers") from exc
    if arr.dtype.kind == "b":
        arr = arr.astype(np.int64)
    if arr.dtype.kind not in "iuf":
        raise ValueError(
            f"{name} of shape {fmt_shape(arr.shape)} must hold real numbers, got dtype {arr.dtype}"
        )
    return arr


def _check_shape_tuple(shape: Any, name: str) -> tuple[int, ...]:
    try:
        shape = tuple(shape)
    except TypeError:
        raise ValueError(f"{name} must be a tuple of sizes, got {shape!r}") from None
    if not all(_is_int(d) for d in shape):
        raise ValueError(f"{name} must be a tuple of integer sizes, got {shape!r}")
    return tuple(int(d) for d in shape)


def _compute_dtype(*arrays: Any) -> np.dtype:
    """Result dtype: ``np.result_type``, but integer results are widened to int64.

    Widening avoids silent wrap-around (a uint8 image convolved with a negative
    kernel, or int8 products overflowing).
    """
    dt = np.result_type(*arrays)
    if dt.kind in "biu":
        return np.dtype(np.int64)
    return dt


def _scalar(value: Any) -> int | float:
    """A NumPy scalar as a plain Python number (for display)."""
    return value.item() if hasattr(value, "item") else value


def _readonly(arr: np.ndarray) -> np.ndarray:
    arr = np.array(arr)  # own copy
    arr.flags.writeable = False
    return arr


# ----------------------------------------------------------------------------
# Sizes and padding
# ----------------------------------------------------------------------------


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


def pad(x: Any, p: int, value: float = 0.0) -> np.ndarray:
    """Pad the two spatial axes of an ``(H, W)`` or ``(H, W, C)`` array by ``p`` on every side.

    The dtype of ``x`` is kept (``value`` is cast to it).
    """
    x = _as_array(x, "input")
    if x.ndim not in (2, 3):
        raise ValueError(
            f"can only pad an H×W or H×W×C input, got a {x.ndim}-D array of shape {fmt_shape(x.shape)}"
        )
    p = _check_int(p, "padding", 0, context=f"cannot pad a {fmt_shape(x.shape)} input")
    widths = [(p, p), (p, p)] + [(0, 0)] * (x.ndim - 2)
    return np.pad(x, widths, mode="constant", constant_values=value)


# ----------------------------------------------------------------------------
# Convolution geometry
# ----------------------------------------------------------------------------


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
    empty dimensions, a channel mismatch, a bad stride or padding, or a kernel
    larger than the padded input.
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
    if 0 in in_shape or any(d < 0 for d in in_shape):
        raise ValueError(f"{ctx}: the input has an empty dimension")
    if 0 in k_shape or any(d < 0 for d in k_shape):
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
    return [(i * g.stride, j * g.stride) for i in range(g.out_h) for j in range(g.out_w)]


def coverage_map(in_shape: Sequence[int], k_shape: Sequence[int], stride: int = 1,
                 padding: int = 0) -> np.ndarray:
    """For every pixel of the (unpadded) ``H×W`` input, the number of windows it takes part in."""
    g = conv_geometry(in_shape, k_shape, stride, padding)
    Hp, Wp = g.padded_shape
    counts = np.zeros((Hp, Wp), dtype=np.int64)
    last_i = g.stride * (g.out_h - 1) + 1
    last_j = g.stride * (g.out_w - 1) + 1
    for a in range(g.kh):  # loop over kernel offsets, vectorised over windows
        for b in range(g.kw):
            counts[a:a + last_i:g.stride, b:b + last_j:g.stride] += 1
    p = g.padding
    return counts[p:p + g.H, p:p + g.W].copy()


# ----------------------------------------------------------------------------
# Convolution
# ----------------------------------------------------------------------------


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
    """Strided windows of the padded input: shape (H', W', C, kh, kw) (a view)."""
    win = sliding_window_view(xp3, (g.kh, g.kw), axis=(0, 1))
    return win[::g.stride, ::g.stride][:g.out_h, :g.out_w]


def conv2d(x: Any, w: Any, b: Any = None, stride: int = 1, padding: int = 0) -> np.ndarray:
    """2-D convolution (cross-correlation) of ``x`` with one kernel or a bank of kernels.

    ``x``: ``(H, W)`` or ``(H, W, C)``. ``w``: ``(kh, kw)``, ``(kh, kw, C)`` or
    ``(kh, kw, C, M)``. ``b``: None, a scalar, or shape ``(M,)``.
    Returns ``(H', W')`` for a single kernel, ``(H', W', M)`` for a bank.
    Integer data (and an int/None bias) give an int64 result; otherwise float.
    """
    x, w, x3, w4, g = _conv_operands(x, w, stride, padding)
    bias = _bias_vector(b, g)
    dtype = _compute_dtype(x, w) if bias is None else _compute_dtype(x, w, bias)
    xp = pad(x3, g.padding).astype(dtype, copy=False)
    win = _windows(xp, g)
    out = np.einsum("ijcab,abcm->ijm", win, w4.astype(dtype, copy=False))
    if bias is not None:
        out = out + bias.astype(dtype, copy=False)
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


def conv_step(x: Any, w: Any, i: int, j: int, stride: int = 1, padding: int = 0, b: Any = None,
              m: int | None = None) -> ConvStep:
    """Break output pixel ``(i, j)`` of ``conv2d(x, w, b, stride, padding)`` into its pieces.

    For a bank ``w`` of shape ``(kh, kw, C, M)`` pick the kernel with ``m``.
    """
    x, w, x3, w4, g = _conv_operands(x, w, stride, padding)
    ctx = f"cannot take a step of convolving a {fmt_shape(x.shape)} input with a {fmt_shape(w.shape)} {g.kernel_noun}"
    if g.single:
        if m not in (None, 0):
            raise ValueError(f"{ctx}: a single kernel has no kernel index m={m!r}")
        m_idx = 0
    else:
        if m is None:
            raise ValueError(f"{ctx}: choose one of its {g.M} kernels with m=0..{g.M - 1}")
        m_idx = _check_int(m, "kernel index m", 0, context=ctx)
        if m_idx >= g.M:
            raise ValueError(f"{ctx}: kernel index m={m_idx} is not in 0..{g.M - 1}")
    i_ok = _is_int(i) and 0 <= i < g.out_h
    j_ok = _is_int(j) and 0 <= j < g.out_w
    if not (i_ok and j_ok):
        raise ValueError(f"{ctx}: output position ({i!r}, {j!r}) is outside the "
                         f"{g.out_h}×{g.out_w} output")
    i, j = int(i), int(j)
    bias_vec = _bias_vector(b, g)
    dtype = _compute_dtype(x, w) if bias_vec is None else _compute_dtype(x, w, bias_vec)
    r0, c0 = i * g.stride, j * g.stride
    xp = pad(x3, g.padding).astype(dtype, copy=False)
    window3 = xp[r0:r0 + g.kh, c0:c0 + g.kw, :]
    kernel3 = w4[:, :, :, m_idx].astype(dtype, copy=False)
    products3 = window3 * kernel3
    channel_sums = products3.sum(axis=(0, 1))
    total = channel_sums.sum()
    bias = bias_vec[m_idx].astype(dtype) if bias_vec is not None else dtype.type(0)
    k_shape = w.shape if g.single else w.shape[:3]
    return ConvStep(
        out_pos=(i, j),
        window_pos=(r0, c0),
        kernel_index=None if g.single else m_idx,
        kernel=_readonly(kernel3.reshape(k_shape)),
        window=_readonly(window3.reshape(k_shape)),
        products=_readonly(products3.reshape(k_shape)),
        channel_sums=_readonly(channel_sums),
        total=_scalar(total),
        bias=_scalar(bias),
        output=_scalar(total + bias),
    )


class ConvGrads(NamedTuple):
    """Gradients of a loss L through a convolution, given ``delta = ∂L/∂out``.

    ``dW`` has the kernel's shape, ``dX`` the (unpadded) input's shape; ``db``
    is a scalar for a single kernel and shape ``(M,)`` for a bank.
    """

    dW: np.ndarray
    db: Any
    dX: np.ndarray


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
    d3 = delta.reshape(g.out_h, g.out_w, g.M).astype(dtype, copy=False)
    w4 = w4.astype(dtype, copy=False)
    xp = pad(x3, g.padding).astype(dtype, copy=False)

    dW4 = np.einsum("ijcab,ijm->abcm", _windows(xp, g), d3)
    db = d3.sum(axis=(0, 1))

    dXp = np.zeros(xp.shape, dtype=dtype)
    last_i = g.stride * (g.out_h - 1) + 1
    last_j = g.stride * (g.out_w - 1) + 1
    for a in range(g.kh):  # loop over kernel offsets, vectorised over output pixels
        for b in range(g.kw):
            dXp[a:a + last_i:g.stride, b:b + last_j:g.stride, :] += d3 @ w4[a, b].T
    p = g.padding
    dX = dXp[p:p + g.H, p:p + g.W, :]
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
    if kind not in _EDGE_KERNELS:
        raise ValueError(f"unknown edge kernel kind {kind!r}: choose one of {', '.join(_EDGE_KERNELS)}")
    k = np.array(_EDGE_KERNELS[kind], dtype=np.int64)
    if direction == "vertical":
        return k
    if direction == "horizontal":
        return k.T.copy()
    raise ValueError(f"unknown edge direction {direction!r}: choose 'vertical' or 'horizontal'")


# ----------------------------------------------------------------------------
# Pooling
# ----------------------------------------------------------------------------


def _pool_params(x_shape: tuple[int, ...], size: Any, stride: Any, op: str):
    """Validate pooling arguments; return (ph, pw, s, out_h, out_w)."""
    if len(x_shape) not in (2, 3):
        raise ValueError(
            f"{op} needs an H×W or H×W×C input, got a {len(x_shape)}-D array of shape "
            f"{fmt_shape(x_shape)}"
        )
    ctx = f"cannot {op} a {fmt_shape(x_shape)} input"
    if 0 in x_shape:
        raise ValueError(f"{ctx}: the input has an empty dimension")
    if isinstance(size, (tuple, list)):
        if len(size) != 2:
            raise ValueError(f"{ctx}: the window size must be an int or a pair, got {size!r}")
        ph = _check_int(size[0], "window height", 1, context=ctx)
        pw = _check_int(size[1], "window width", 1, context=ctx)
    else:
        ph = pw = _check_int(size, "window size", 1, context=ctx)
    s = ph if stride is None else _check_int(stride, "stride", 1, context=ctx)
    H, W = x_shape[:2]
    if ph > H or pw > W:
        raise ValueError(f"{ctx}: the {ph}×{pw} pooling window is larger than the {H}×{W} input")
    return ph, pw, s, (H - ph) // s + 1, (W - pw) // s + 1


def pool_output_shape(x_shape: Sequence[int], size: int | tuple[int, int] = 2,
                      stride: int | None = None) -> tuple[int, ...]:
    """Shape of a pooling output: ``(H', W')`` or ``(H', W', C)``."""
    x_shape = _check_shape_tuple(x_shape, "input shape")
    _, _, _, oh, ow = _pool_params(x_shape, size, stride, "pool")
    return (oh, ow) + tuple(x_shape[2:])


def pool_windows(x_shape: Sequence[int], size: int | tuple[int, int] = 2,
                 stride: int | None = None) -> list[tuple[int, int]]:
    """Top-left ``(row, col)`` of every pooling window in raster order (stride defaults to size)."""
    x_shape = _check_shape_tuple(x_shape, "input shape")
    _, _, s, oh, ow = _pool_params(x_shape, size, stride, "pool")
    return [(i * s, j * s) for i in range(oh) for j in range(ow)]


def _pool(x: Any, size: Any, stride: Any, op: str, reduce) -> np.ndarray:
    x = _as_array(x, "input")
    ph, pw, s, oh, ow = _pool_params(x.shape, size, stride, op)
    win = sliding_window_view(x, (ph, pw), axis=(0, 1))[::s, ::s][:oh, :ow]
    return reduce(win, axis=(-2, -1))


def max_pool(x: Any, size: int | tuple[int, int] = 2, stride: int | None = None) -> np.ndarray:
    """Max pooling of ``(H, W)`` or ``(H, W, C)`` (per channel); no padding, stride defaults to size."""
    return _pool(x, size, stride, "max-pool", np.max)


def avg_pool(x: Any, size: int | tuple[int, int] = 2, stride: int | None = None) -> np.ndarray:
    """Average pooling of ``(H, W)`` or ``(H, W, C)`` (per channel); integers give floats."""
    return _pool(x, size, stride, "average-pool", np.mean)


# ----------------------------------------------------------------------------
# Activations and reshaping
# ----------------------------------------------------------------------------


def relu(x: Any) -> np.ndarray:
    """``max(x, 0)`` elementwise (dtype kept)."""
    x = _as_array(x, "input")
    return np.maximum(x, 0).astype(x.dtype, copy=False)


def flatten(x: Any) -> np.ndarray:
    """Flatten row by row (C order): ``x[r, c]`` of an ``H×W`` map lands at index ``r*W + c``."""
    x = _as_array(x, "input")
    return x.reshape(-1).copy()


def softmax(x: Any, axis: int = -1) -> np.ndarray:
    """Numerically stable softmax along ``axis`` (the max is subtracted first)."""
    x = _as_array(x, "input")
    if x.ndim == 0:
        raise ValueError("softmax needs at least one axis, got a scalar")
    if not _is_int(axis) or not -x.ndim <= axis < x.ndim:
        raise ValueError(f"softmax axis {axis!r} is out of range for an input of shape {fmt_shape(x.shape)}")
    if x.shape[axis] == 0:
        raise ValueError(f"softmax over an empty axis of an input of shape {fmt_shape(x.shape)}")
    x = x.astype(np.result_type(x.dtype, np.float64) if x.dtype.kind != "f" else x.dtype)
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


# ----------------------------------------------------------------------------
# Dropout
# ----------------------------------------------------------------------------


def _check_p(p: Any) -> float:
    if not isinstance(p, numbers.Real) or isinstance(p, bool) or not (0.0 <= float(p) < 1.0):
        raise ValueError(f"the dropout rate p must be a number in [0, 1), got {p!r}")
    return float(p)


def dropout_mask(shape: int | Sequence[int], p: float, seed: int | None = None,
                 rng: np.random.Generator | None = None) -> np.ndarray:
    """A 0/1 int array: each entry is 1 (kept) with probability ``1 − p``.

    Random numbers come from ``rng`` or else ``np.random.default_rng(seed)``
    (a fixed seed gives a reproducible mask).
    """
    p = _check_p(p)
    if _is_int(shape):
        shape = (shape,)
    shape = _check_shape_tuple(shape, "mask shape")
    if any(d < 0 for d in shape):
        raise ValueError(f"a dropout mask cannot have shape {fmt_shape(shape)}")
    if rng is not None and seed is not None:
        raise ValueError("give dropout_mask either a seed or an rng, not both")
    if rng is None:
        rng = np.random.default_rng(seed)
    return (rng.random(shape) >= p).astype(np.int64)


def dropout(z: Any, p: float, mask: Any = None, seed: int | None = None, training: bool = True,
            rng: np.random.Generator | None = None) -> np.ndarray:
    """Inverted dropout.

    Training: ``z * mask / (1 − p)`` (a fresh mask from ``seed``/``rng`` if none
    is given). Evaluation (``training=False``): ``z`` unchanged — no mask, no scaling.
    """
    p = _check_p(p)
    z = _as_array(z, "z")
    if not training:
        return z
    if mask is None:
        mask = dropout_mask(z.shape, p, seed=seed, rng=rng)
    else:
        mask = _as_array(mask, "mask")
        if mask.shape != z.shape:
            raise ValueError(
                f"a dropout mask of shape {fmt_shape(mask.shape)} does not match z of shape "
                f"{fmt_shape(z.shape)}"
            )
        if not np.isin(mask, (0, 1)).all():
            raise ValueError(f"a dropout mask (shape {fmt_shape(mask.shape)}) must hold only 0s and 1s")
    return z * mask / (1.0 - p)


# ----------------------------------------------------------------------------
# Batch normalisation
# ----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class BatchNormResult:
    """Batch statistics and outputs of :func:`batch_norm` (mean/var have ``axis`` reduced)."""

    mean: np.ndarray
    var: np.ndarray
    x_hat: np.ndarray
    y: np.ndarray


def batch_norm(x: Any, gamma: Any = 1.0, beta: Any = 0.0, eps: float = 1e-5,
               axis: int | tuple[int, ...] = 0) -> BatchNormResult:
    """Batch normalisation with batch statistics (biased variance, as in training mode).

    ``x_hat = (x − mean) / sqrt(var + eps)``, ``y = gamma * x_hat + beta``; the
    statistics are taken over ``axis`` (e.g. ``axis=0`` for an ``N×D`` batch,
    ``axis=(0, 1, 2)`` for an ``N×H×W×C`` batch of feature maps). ``gamma`` and
    ``beta`` are scalars or have the shape of ``mean``.
    """
    x = _as_array(x, "batch")
    x = x.astype(np.float64) if x.dtype.kind != "f" else x
    if x.ndim == 0:
        raise ValueError("batch_norm needs a batch, got a scalar")
    axes = (axis,) if _is_int(axis) else tuple(axis) if isinstance(axis, (tuple, list)) else None
    if axes is None or not all(_is_int(a) and -x.ndim <= a < x.ndim for a in axes) \
            or len({a % x.ndim for a in axes}) != len(axes):
        raise ValueError(f"batch_norm axis {axis!r} is not valid for a batch of shape {fmt_shape(x.shape)}")
    axes = tuple(a % x.ndim for a in axes)
    if any(x.shape[a] == 0 for a in axes):
        raise ValueError(f"batch_norm needs at least one sample, got a batch of shape {fmt_shape(x.shape)}")
    if not isinstance(eps, numbers.Real) or eps < 0:
        raise ValueError(f"batch_norm eps must be a number >= 0, got {eps!r}")
    mean_k = x.mean(axis=axes, keepdims=True)
    var_k = ((x - mean_k) ** 2).mean(axis=axes, keepdims=True)
    stat_shape = tuple(np.squeeze(mean_k, axis=axes).shape)

    def affine(value: Any, name: str) -> np.ndarray:
        arr = _as_array(value, name)
        if arr.ndim == 0:
            return arr
        if arr.shape == stat_shape:
            return arr.reshape(mean_k.shape)
        raise ValueError(
            f"batch_norm {name} of shape {fmt_shape(arr.shape)} does not match the statistics of "
            f"shape {fmt_shape(stat_shape)} (batch {fmt_shape(x.shape)}, axis {axis!r})"
        )

    g = affine(gamma, "gamma")
    b = affine(beta, "beta")
    x_hat = (x - mean_k) / np.sqrt(var_k + eps)
    y = g * x_hat + b
    return BatchNormResult(
        mean=np.squeeze(mean_k, axis=axes),
        var=np.squeeze(var_k, axis=axes),
        x_hat=x_hat,
        y=y,
    )


# ----------------------------------------------------------------------------
# Parameter counts
# ----------------------------------------------------------------------------


def conv_params(f: int | tuple[int, int], c: int, m: int, bias: bool = True) -> int:
    """Parameters of a conv layer of ``m`` kernels ``F×F×C``: ``F·F·C·M + M`` (``f`` may be ``(kh, kw)``)."""
    return sum(conv_param_terms(f, c, m, bias))


def conv_param_terms(f: int | tuple[int, int], c: int, m: int, bias: bool = True) -> tuple[int, int]:
    """``(weights, biases)`` of a conv layer: ``(kh·kw·C·M, M)`` (biases 0 without bias)."""
    if isinstance(f, (tuple, list)):
        if len(f) != 2:
            raise ValueError(f"a kernel size must be F or (kh, kw), got {f!r}")
        kh = _check_int(f[0], "kernel height", 1)
        kw = _check_int(f[1], "kernel width", 1)
    else:
        kh = kw = _check_int(f, "kernel size F", 1)
    c = _check_int(c, "number of channels C", 1)
    m = _check_int(m, "number of kernels M", 1)
    return (kh * kw * c * m, m if bias else 0)


def pool_params(size: int | tuple[int, int] = 2, c: int = 1) -> int:
    """Parameters of a pooling layer: always 0 (max/average pooling learns nothing)."""
    return 0


def dense_params(n_in: int, n_out: int, bias: bool = True) -> int:
    """Parameters of a dense layer: ``n_in·n_out + n_out``."""
    n_in = _check_int(n_in, "n_in", 1)
    n_out = _check_int(n_out, "n_out", 1)
    return n_in * n_out + (n_out if bias else 0)


def mlp_param_terms(sizes: Sequence[int]) -> list[tuple[int, int]]:
    """Per-layer ``(weights, biases)`` of an MLP with layer sizes ``sizes``.

    ``[784, 100, 100, 10] -> [(78400, 100), (10000, 100), (1000, 10)]``.
    """
    sizes = _check_shape_tuple(sizes, "layer sizes")
    if len(sizes) < 2:
        raise ValueError(f"an MLP needs at least an input and an output size, got {list(sizes)}")
    for n in sizes:
        _check_int(n, "a layer size", 1, context=f"invalid MLP sizes {list(sizes)}")
    return [(a * b, b) for a, b in zip(sizes[:-1], sizes[1:])]


def mlp_params(sizes: Sequence[int]) -> int:
    """Total parameters of an MLP: ``[784, 100, 100, 10] -> 89,610``."""
    return sum(w + b for w, b in mlp_param_terms(sizes))


# ----------------------------------------------------------------------------
# Training (Chapter 3 scenes Dropout, BackpropWeightSharing, BatchNormStep,
# MiniBatchTraining, TrainVsEval): mini-batches, the training schedule,
# batch norm in evaluation mode and its running statistics, augmentation
# ----------------------------------------------------------------------------


def _ch3b_real_array(value: Any, name: str, context: str) -> np.ndarray:
    """A finite real array as float64 (NaN, ±inf and values beyond float64 are refused, naming ``name``)."""
    arr = _as_array(value, name)
    if arr.dtype.kind == "f" and arr.dtype.itemsize > 8:
        with np.errstate(over="ignore"):
            small = arr.astype(np.float64)
    else:
        small = arr.astype(np.float64) if arr.dtype.kind != "f" or arr.dtype != np.float64 else arr
    if not np.isfinite(_ch3b_distinct(small)).all():
        raise ValueError(f"{context}: the {name} holds NaN, infinity or a value beyond float64")
    return small


def _ch3b_distinct(arr: np.ndarray) -> np.ndarray:
    """The distinct memory of ``arr``: a broadcast array (stride 0) is read once, not once per view."""
    return arr[tuple(0 if st == 0 and n > 1 else slice(None) for st, n in zip(arr.strides, arr.shape))]


def _ch3b_bool(value: Any, name: str, context: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{context}: {name} must be True or False, got {value!r}")
    return bool(value)


def _ch3b_unit(value: Any, name: str, context: str, closed_top: bool = True) -> float:
    """A real number in [0, 1] (``closed_top=False``: [0, 1))."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ValueError(f"{context}: {name} must be a number in [0, 1], got {value!r}")
    try:
        f = float(value)
    except (OverflowError, ValueError):
        raise ValueError(f"{context}: {name} must be a number in [0, 1], got {value!r}") from None
    if not (0.0 <= f <= 1.0) or (not closed_top and f == 1.0):
        raise ValueError(f"{context}: {name} must be a number in [0, 1{']' if closed_top else ')'}, got {value!r}")
    return f


#: Elements an intermediate array of these functions may hold (a 60,000² padded batch would not fit in memory).
_CH3B_MAX_ELEMENTS = 50_000_000


def conv2d_batch(x: Any, w: Any, b: Any = None, stride: int = 1, padding: int = 0) -> np.ndarray:
    """:func:`conv2d` of a whole mini-batch in one vectorised call (no loop over images).

    ``x``: ``(N, H, W)`` or ``(N, H, W, C)`` — N images, channels last. ``w``, ``b``,
    ``stride`` and ``padding`` as in :func:`conv2d`. Returns ``(N, H', W', M)`` for a
    bank of kernels, ``(N, H', W')`` for a single kernel; ``out[n] == conv2d(x[n], ...)``.
    Integer data give an exact int64 result (refused if it could exceed 2⁵³, where
    float64 stops being exact); otherwise float64. NaN/inf, or a result beyond float64, are refused.
    """
    x_arr = _as_array(x, "input batch")
    w_arr = _as_array(w, "kernel")
    if x_arr.ndim not in (3, 4):
        raise ValueError(f"an input batch must be N×H×W or N×H×W×C, got a {x_arr.ndim}-D array of shape "
                         f"{fmt_shape(x_arr.shape)}")
    if x_arr.shape[0] == 0:
        raise ValueError(f"cannot convolve an empty input batch of shape {fmt_shape(x_arr.shape)}")
    g = conv_geometry(x_arr.shape[1:], w_arr.shape, stride, padding)
    n = x_arr.shape[0]
    ctx = f"cannot convolve a batch of {n} {fmt_shape(x_arr.shape[1:])} inputs with a {fmt_shape(w_arr.shape)} kernel"
    Hp, Wp = g.padded_shape
    sizes = {"padded input batch": n * Hp * Wp * g.C, "output": n * g.out_h * g.out_w * g.M,
             "kernel": g.kh * g.kw * g.C * g.M}
    for what, size in sizes.items():
        if size > _CH3B_MAX_ELEMENTS:
            raise ValueError(f"{ctx} (stride {g.stride}, padding {g.padding}): the {what} would hold {size:,} "
                             f"numbers, more than {_CH3B_MAX_ELEMENTS:,}")
    bias = None
    if b is not None:
        bias = _ch3b_real_array(_bias_vector(b, g), "bias", ctx)
    integral = x_arr.dtype.kind in "iu" and w_arr.dtype.kind in "iu" and (
        b is None or _as_array(b, "bias").dtype.kind in "iub")
    xf = _ch3b_real_array(x_arr, "input batch", ctx)
    wf = _ch3b_real_array(w_arr, "kernel", ctx)
    if integral:  # exact in float64 while every partial sum stays below 2**53
        bound = float(np.abs(_ch3b_distinct(xf)).max()) * float(np.abs(_ch3b_distinct(wf)).max()) \
            * g.kh * g.kw * g.C + (float(np.abs(bias).max()) if bias is not None else 0.0)
        if bound >= 2.0 ** 53:
            raise ValueError(f"{ctx}: integer input batch, kernel and bias this large could lose exactness "
                             f"(sums up to {bound:.3g} ≥ 2⁵³)")
    x4 = xf.reshape(n, g.H, g.W, g.C)
    w4 = wf.reshape(g.kh, g.kw, g.C, g.M)
    p = g.padding
    xp = np.zeros((n, Hp, Wp, g.C))
    xp[:, p:p + g.H, p:p + g.W, :] = x4
    last_i = g.stride * (g.out_h - 1) + 1
    last_j = g.stride * (g.out_w - 1) + 1
    out = np.zeros((n, g.out_h, g.out_w, g.M))
    with np.errstate(all="ignore"):
        for a in range(g.kh):  # loop over kernel offsets, vectorised over images and output pixels
            for c in range(g.kw):
                out += xp[:, a:a + last_i:g.stride, c:c + last_j:g.stride, :] @ w4[a, c]
        if bias is not None:
            out = out + bias
    if not np.isfinite(out).all():
        raise ValueError(f"{ctx}: the result overflows float64 (input batch, kernel or bias too large)")
    if integral:
        out = out.astype(np.int64)
    return out[..., 0] if g.single else out


class TrainingSchedule(NamedTuple):
    """How many weight updates a training run makes (see :func:`training_schedule`)."""

    dataset_size: int
    batch_size: int
    epochs: int
    steps_per_epoch: int   # one step = one mini-batch: forward, backward, update
    last_batch_size: int   # the size of an epoch's last batch (smaller if B does not divide N)
    total_updates: int     # steps_per_epoch × epochs


def training_schedule(dataset_size: int, batch_size: int, epochs: int = 1,
                      drop_last: bool = False) -> TrainingSchedule:
    """Steps per epoch and total updates: ``⌈N / B⌉`` steps per epoch (``⌊N / B⌋`` with
    ``drop_last``, as PyTorch's DataLoader), times the number of epochs.

    >>> training_schedule(8000, 32, 20).total_updates
    5000
    """
    n = _check_int(dataset_size, "dataset size N", 1)
    bs = _check_int(batch_size, "batch size B", 1)
    ep = _check_int(epochs, "number of epochs", 1)
    drop = _ch3b_bool(drop_last, "drop_last", "training_schedule")
    if bs > n and drop:
        raise ValueError(f"a batch size of {bs} with drop_last leaves no batch of a dataset size of {n}")
    steps = n // bs if drop else -(-n // bs)
    last = bs if drop or n % bs == 0 else n % bs
    return TrainingSchedule(n, bs, ep, steps, last, steps * ep)


class RunningStats(NamedTuple):
    """Batch norm's running estimates of the mean and variance (used in evaluation mode)."""

    mean: np.ndarray
    var: np.ndarray


def _ch3b_axes(axis: Any, ndim: int, shape: tuple[int, ...], fn: str) -> tuple[int, ...]:
    axes = (axis,) if _is_int(axis) else tuple(axis) if isinstance(axis, (tuple, list)) else None
    if axes is None or not axes or not all(_is_int(a) and -ndim <= a < ndim for a in axes) \
            or len({a % ndim for a in axes}) != len(axes):
        raise ValueError(f"{fn} axis {axis!r} is not valid for a batch of shape {fmt_shape(shape)}")
    return tuple(int(a) % ndim for a in axes)


def running_stats_update(running_mean: Any, running_var: Any, batch: Any, momentum: float = 0.1,
                         axis: int | tuple[int, ...] = 0, unbiased: bool = True) -> RunningStats:
    """One training step's update of batch norm's running statistics (PyTorch's rule)::

        mean ← (1 − momentum) · mean + momentum · μ_B
        var  ← (1 − momentum) · var  + momentum · σ²_B

    ``μ_B`` and ``σ²_B`` are taken over ``axis`` of ``batch`` as in :func:`batch_norm`;
    with ``unbiased`` (PyTorch's choice) the variance that enters the running
    estimate is the unbiased one, ``σ²_B · n / (n − 1)`` for ``n`` values per feature.
    PyTorch starts from ``mean = 0``, ``var = 1``.
    """
    fn = "running_stats_update"
    m = _ch3b_unit(momentum, "the momentum", fn)
    unb = _ch3b_bool(unbiased, "unbiased", fn)
    x = _ch3b_real_array(batch, "batch", fn)
    if x.ndim == 0 or 0 in x.shape:
        raise ValueError(f"{fn} needs a batch of values, got shape {fmt_shape(x.shape)}")
    axes = _ch3b_axes(axis, x.ndim, x.shape, fn)
    stat_shape = tuple(d for a, d in enumerate(x.shape) if a not in axes)
    nvals = int(np.prod([x.shape[a] for a in axes]))
    if x.size > _CH3B_MAX_ELEMENTS:
        raise ValueError(f"{fn}: a batch of shape {fmt_shape(x.shape)} holds more than {_CH3B_MAX_ELEMENTS:,} numbers")
    if unb and nvals < 2:
        raise ValueError(f"{fn}: an unbiased variance needs at least 2 values per feature, got a batch of shape "
                         f"{fmt_shape(x.shape)} (axis {axis!r})")
    rm = _ch3b_real_array(running_mean, "running mean", fn)
    rv = _ch3b_real_array(running_var, "running variance", fn)
    for arr, name in ((rm, "running mean"), (rv, "running variance")):
        if arr.ndim and arr.shape != stat_shape:
            raise ValueError(f"{fn}: a {name} of shape {fmt_shape(arr.shape)} does not match the statistics of shape "
                             f"{fmt_shape(stat_shape)} (batch {fmt_shape(x.shape)}, axis {axis!r})")
    if (rv < 0).any():
        raise ValueError(f"{fn}: a running variance cannot be negative")
    with np.errstate(all="ignore"):
        scale = np.max(np.abs(_ch3b_distinct(x))) or 1.0   # statistics of x / scale: no overflow in the squares
        xs = x / scale
        mean_s = xs.mean(axis=axes)
        var_s = ((xs - np.expand_dims(mean_s, axes)) ** 2).mean(axis=axes)
        if unb:
            var_s = var_s * nvals / (nvals - 1)
        new_mean = (1 - m) * rm + m * (mean_s * scale)
        new_var = (1 - m) * rv + m * (var_s * scale) * scale
    if not (np.isfinite(new_mean).all() and np.isfinite(new_var).all()):
        raise ValueError(f"{fn}: the running mean or running variance overflows float64 (batch too large)")
    return RunningStats(mean=new_mean, var=new_var)


def batch_norm_eval(x: Any, running_mean: Any, running_var: Any, gamma: Any = 1.0, beta: Any = 0.0,
                    eps: float = 1e-5, axis: int | tuple[int, ...] = 0) -> BatchNormResult:
    """Batch normalisation in evaluation mode: the saved running statistics replace the batch's.

    ``x_hat = (x − running_mean) / sqrt(running_var + eps)``, ``y = gamma * x_hat + beta``:
    each sample is normalised on its own, whatever else is in the batch. ``axis`` names the
    batch axes as in :func:`batch_norm` (the statistics have the shape of the other axes).
    The result's ``mean``/``var`` are the running statistics used.
    """
    fn = "batch_norm_eval"
    arr = _as_array(x, "batch")
    if arr.ndim == 0 or 0 in arr.shape:
        raise ValueError(f"{fn} needs a batch of values, got shape {fmt_shape(arr.shape)}")
    axes = _ch3b_axes(axis, arr.ndim, arr.shape, fn)
    try:
        eps_f = float(eps) if isinstance(eps, numbers.Real) and not isinstance(eps, (bool, np.bool_)) else -1.0
    except OverflowError:
        eps_f = np.inf
    if not 0 <= eps_f < np.inf:
        raise ValueError(f"{fn} eps must be a finite number >= 0, got {eps!r}")
    keep = tuple(1 if a in axes else d for a, d in enumerate(arr.shape))
    stat_shape = tuple(d for a, d in enumerate(arr.shape) if a not in axes)

    def param(value: Any, name: str) -> np.ndarray:
        p = _ch3b_real_array(value, name, fn)
        if p.ndim == 0:
            return p
        if p.shape == stat_shape:
            return p.reshape(keep)
        raise ValueError(f"{fn} {name} of shape {fmt_shape(p.shape)} does not match the statistics "
                         f"of shape {fmt_shape(stat_shape)} (batch {fmt_shape(arr.shape)}, axis {axis!r})")

    rm, rv = param(running_mean, "running mean"), param(running_var, "running variance")
    g, b = param(gamma, "gamma"), param(beta, "beta")
    if arr.size > _CH3B_MAX_ELEMENTS:
        raise ValueError(f"{fn}: a batch of shape {fmt_shape(arr.shape)} holds more than {_CH3B_MAX_ELEMENTS:,} numbers")
    xf = _ch3b_real_array(arr, "batch", fn)
    if (rv < 0).any():
        raise ValueError(f"{fn}: a running variance cannot be negative")
    denom = np.sqrt(rv + eps_f)
    if (denom == 0).any():
        raise ValueError(f"{fn}: running variance + eps is 0, nothing to divide by (use eps > 0)")
    with np.errstate(all="ignore"):
        x_hat = (xf - rm) / denom
        y = g * x_hat + b
    if not (np.isfinite(x_hat).all() and np.isfinite(y).all()):
        raise ValueError(f"{fn}: the result overflows float64 (batch, running mean, running variance, eps, "
                         f"gamma or beta too extreme)")
    return BatchNormResult(mean=np.asarray(rm, dtype=np.float64).reshape(stat_shape) if rm.ndim else rm,
                           var=np.asarray(rv, dtype=np.float64).reshape(stat_shape) if rv.ndim else rv,
                           x_hat=x_hat, y=y)


class AugmentResult(NamedTuple):
    """One augmented image and what was done to it (see :func:`random_flip_crop`)."""

    image: np.ndarray
    flipped: bool            # mirrored left ↔ right
    shift: tuple[int, int]   # (down, right): how far the content moved, in pixels


def random_flip_crop(x: Any, pad: int = 4, flip_p: float = 0.5, seed: int | None = None,
                     rng: np.random.Generator | None = None, training: bool = True) -> AugmentResult:
    """Data augmentation, the classic recipe: a random horizontal flip (probability ``flip_p``),
    then zero-pad by ``pad`` pixels on every side and crop back to the original size at a
    random position — the content moves by up to ``pad`` pixels each way, the image keeps its shape.

    ``x``: ``(H, W)`` or ``(H, W, C)`` (``pad`` at most ``max(H, W)``). Random numbers come from
    ``rng`` or else ``default_rng(seed)``. Evaluation (``training=False``): the image
    unchanged (no flip, shift (0, 0)) — augmentation is off.
    """
    fn = "random_flip_crop"
    img = _as_array(x, "image")
    if img.ndim not in (2, 3) or 0 in img.shape:
        raise ValueError(f"can only augment an H×W or H×W×C image, got shape {fmt_shape(img.shape)}")
    if img.dtype.kind == "f" and not np.isfinite(_ch3b_distinct(img)).all():
        raise ValueError(f"{fn}: the image holds NaN or infinity")
    if img.size > _CH3B_MAX_ELEMENTS:
        raise ValueError(f"{fn}: an image of shape {fmt_shape(img.shape)} holds more than {_CH3B_MAX_ELEMENTS:,} numbers")
    H, W = img.shape[:2]
    pad = _check_int(pad, "padding", 0, context=f"cannot augment a {fmt_shape(img.shape)} image")
    if pad > max(H, W):
        raise ValueError(f"cannot augment a {fmt_shape(img.shape)} image with padding {pad}: at most {max(H, W)} "
                         f"(a larger shift moves the whole image out)")
    flip_p = _ch3b_unit(flip_p, "the flip probability flip_p", fn)
    if seed is not None:
        _check_int(seed, "seed", 0, context=fn)
    if rng is not None and not isinstance(rng, np.random.Generator):
        raise ValueError(f"{fn}: rng must be a numpy.random.Generator (np.random.default_rng()), got {rng!r}")
    if rng is not None and seed is not None:
        raise ValueError(f"{fn}: give either a seed or an rng, not both")
    if not _ch3b_bool(training, "training", fn):
        return AugmentResult(img.copy(), False, (0, 0))
    if rng is None:
        rng = np.random.default_rng(seed)
    flipped = bool(rng.random() < flip_p)
    src = img[:, ::-1] if flipped else img
    dy, dx = (pad - int(v) for v in rng.integers(0, 2 * pad + 1, size=2))
    out = np.zeros_like(img)
    # the content moves by (dy, dx); what moves out is lost, what comes in is zero padding
    r0, r1 = max(0, dy), min(H, H + dy)
    c0, c1 = max(0, dx), min(W, W + dx)
    if r0 < r1 and c0 < c1:
        out[r0:r1, c0:c1] = src[r0 - dy:r1 - dy, c0 - dx:c1 - dx]
    return AugmentResult(out, flipped, (dy, dx))
