"""Pooling: a window slides (stride = window size by default) and keeps one number per window.

    max pooling      Y[i, j, c] = max_{a<ph, b<pw} X[i·S + a, j·S + b, c]
    average pooling  Y[i, j, c] = (1 / (ph·pw)) Σ_{a, b} X[i·S + a, j·S + b, c]

Channels are pooled independently (and the images of a batch ``N×H×W×C``);
there is no padding and nothing to learn (0 parameters). A window that does
not tile the map leaves the last rows or columns unpooled: the output is
⌊(H − ph) / S⌋ + 1 high.

Backward, given δ = ∂L/∂Y: each window sends its δ back to the pixels it read.

    max pooling      ∂L/∂X[i·S + a*, j·S + b*, c] += δ[i, j, c]   at the window's maximum (a*, b*)
    average pooling  ∂L/∂X[i·S + a, j·S + b, c]   += δ[i, j, c] / (ph·pw)   for every (a, b)

A window whose maximum appears more than once sends δ to the *first* one in
raster order (row by row, then column by column), as PyTorch does. Overlapping
windows (stride < size) add their contributions; unpooled rows and columns get 0.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .checks import (
    _LIST_ENTRY_BYTES, _OBJECT_ENTRY_BYTES, _OBJECT_WORK, _PYTHON_WORK, _as_array, _check_budget, _check_int,
    _check_shape_tuple, _compute_dtype, _exact_to_int64, _finite, _fit_float, _int_sums_fit, _quiet, _scaled,
    _wide, fmt_shape,
)

__all__ = ['avg_pool', 'avg_pool_backward', 'max_pool', 'max_pool_backward', 'pool_output_shape', 'pool_windows']


def _pool_size(size: Any, context: str) -> tuple[int, int]:
    """A pooling window size (an int or a pair) as ``(ph, pw)``."""
    if isinstance(size, (tuple, list)):
        if len(size) != 2:
            raise ValueError(f"{context}: the window size must be an int or a pair, got {size!r}")
        return (_check_int(size[0], "window height", 1, context=context),
                _check_int(size[1], "window width", 1, context=context))
    ph = _check_int(size, "window size", 1, context=context)
    return ph, ph


def _pool_params(x_shape: tuple[int, ...], size: Any, stride: Any, op: str):
    """Validate pooling arguments; return (ph, pw, s, out_h, out_w)."""
    if len(x_shape) not in (2, 3, 4):
        raise ValueError(
            f"{op} needs an H×W or H×W×C input (or a batch N×H×W×C), got a {len(x_shape)}-D array of shape "
            f"{fmt_shape(x_shape)}"
        )
    ctx = f"cannot {op} a {fmt_shape(x_shape)} input"
    if 0 in x_shape:
        raise ValueError(f"{ctx}: the input has an empty dimension")
    ph, pw = _pool_size(size, ctx)
    s = ph if stride is None else _check_int(stride, "stride", 1, context=ctx)
    H, W = _spatial(x_shape)
    if ph > H or pw > W:
        raise ValueError(f"{ctx}: the {ph}×{pw} pooling window is larger than the {H}×{W} input")
    return ph, pw, s, (H - ph) // s + 1, (W - pw) // s + 1


def _spatial(x_shape: tuple[int, ...]) -> tuple[int, int]:
    """``(H, W)`` of an ``H×W``, ``H×W×C`` or ``N×H×W×C`` shape."""
    return x_shape[1:3] if len(x_shape) == 4 else x_shape[:2]


def _as_batch(shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """The same data seen as a batch ``N×H×W×C`` (N = 1 and C = 1 where the shape has none)."""
    if len(shape) == 4:
        return shape
    return (1,) + tuple(shape[:2]) + ((shape[2],) if len(shape) == 3 else (1,))


def _out_shape(x_shape: tuple[int, ...], oh: int, ow: int) -> tuple[int, ...]:
    if len(x_shape) == 4:
        return (x_shape[0], oh, ow, x_shape[3])
    return (oh, ow) + tuple(x_shape[2:])


def pool_output_shape(x_shape: Sequence[int], size: int | tuple[int, int] = 2,
                      stride: int | None = None) -> tuple[int, ...]:
    """Shape of a pooling output: ``(H', W')``, ``(H', W', C)`` or, for a batch, ``(N, H', W', C)``."""
    x_shape = _check_shape_tuple(x_shape, "input shape")
    _, _, _, oh, ow = _pool_params(x_shape, size, stride, "pool")
    return _out_shape(x_shape, oh, ow)


def pool_windows(x_shape: Sequence[int], size: int | tuple[int, int] = 2,
                 stride: int | None = None) -> list[tuple[int, int]]:
    """Top-left ``(row, col)`` of every pooling window in raster order (stride defaults to size)."""
    x_shape = _check_shape_tuple(x_shape, "input shape")
    ph, pw, s, oh, ow = _pool_params(x_shape, size, stride, "pool")
    _check_budget(f"cannot list the {ph}×{pw} pooling windows (stride {s}) of a {fmt_shape(x_shape)} input",
                  [("list of windows", (oh, ow), _LIST_ENTRY_BYTES)], work=oh * ow)
    return [(i * s, j * s) for i in range(oh) for j in range(ow)]


def _windows(x4: np.ndarray, ph: int, pw: int, s: int, oh: int, ow: int) -> np.ndarray:
    """The pooling windows of a batch ``N×H×W×C``: shape ``(N, H', W', C, ph, pw)``, a read-only view."""
    sn, sh, sw, sc = x4.strides
    step_h, step_w = (sh * s if oh > 1 else 0), (sw * s if ow > 1 else 0)  # one window: s unused
    return as_strided(x4, shape=(x4.shape[0], oh, ow, x4.shape[3], ph, pw),
                      strides=(sn, step_h, step_w, sc, sh, sw), writeable=False)


def _offset_views(x4: np.ndarray, geometry: tuple[int, int, int, int, int]):
    """For each offset (a, b) of the window, the ``(N, H', W', C)`` view of the pixels it reads
    in every window (offset (a, b) of window (i, j) is pixel (i·S + a, j·S + b))."""
    ph, pw, s, oh, ow = geometry
    step_i, step_j = (s if oh > 1 else 1), (s if ow > 1 else 1)  # one window: s unused
    for a in range(ph):
        for b in range(pw):
            yield a, b, (slice(None), slice(a, a + s * (oh - 1) + 1, step_i), slice(b, b + s * (ow - 1) + 1, step_j))


#: Windows up to this many pixels are reduced offset by offset (a few whole-array operations,
#: much faster than NumPy's reduction over tiny strided axes); larger ones over a strided view.
_SMALL_WINDOW = 16


def _pool(x: Any, size: Any, stride: Any, op: str, reduce) -> np.ndarray:
    x = _as_array(x, "input")
    ph, pw, s, oh, ow = _pool_params(x.shape, size, stride, op)
    ctx = lambda: f"cannot {op} a {fmt_shape(x.shape)} input with a {ph}×{pw} window (stride {s})"  # noqa: E731
    out_shape = _out_shape(x.shape, oh, ow)
    _check_budget(ctx, [("output", out_shape, 8)], work=math.prod(out_shape) * ph * pw)
    batch = _as_batch(x.shape)
    geometry = (ph, pw, s, oh, ow)

    def pooled(a: np.ndarray) -> np.ndarray:
        a4 = a.reshape(batch)
        if reduce is np.max and ph * pw <= _SMALL_WINDOW:
            views = _offset_views(a4, geometry)
            out = a4[next(views)[2]].copy()
            for _, _, at in views:
                np.maximum(out, a4[at], out=out)
            return out.reshape(out_shape)
        return reduce(_windows(a4, ph, pw, s, oh, ow), axis=(-2, -1)).reshape(out_shape)

    with _quiet():
        out = pooled(x)
    if out.dtype.kind == "f" and not _finite(out):  # a mean whose sum overflowed: rescale
        _check_budget(ctx, [("output", out_shape, 8), ("rescaled input", x.shape, 8)],
                      work=math.prod(out_shape) * ph * pw)
        xs, e = _scaled(x, _wide(x.dtype))
        with _quiet():
            out = _fit_float(np.ldexp(pooled(xs), e), out.dtype, ctx(), "a pooled value")
    return out


def max_pool(x: Any, size: int | tuple[int, int] = 2, stride: int | None = None) -> np.ndarray:
    """Max pooling of ``(H, W)``, ``(H, W, C)`` (per channel) or a batch ``(N, H, W, C)``; no padding,
    stride defaults to size."""
    return _pool(x, size, stride, "max-pool", np.max)


def avg_pool(x: Any, size: int | tuple[int, int] = 2, stride: int | None = None) -> np.ndarray:
    """Average pooling of ``(H, W)``, ``(H, W, C)`` (per channel) or a batch ``(N, H, W, C)``; integers
    give floats."""
    return _pool(x, size, stride, "average-pool", np.mean)


def _pool_delta(delta: Any, x_shape: tuple[int, ...], size: Any, stride: Any, op: str):
    """Validated ``delta`` for the backward pass of pooling an ``x_shape`` input, with the geometry."""
    ph, pw, s, oh, ow = _pool_params(x_shape, size, stride, op)
    delta = _as_array(delta, "delta")
    out_shape = _out_shape(x_shape, oh, ow)
    if delta.shape != out_shape:
        raise ValueError(f"a delta of shape {fmt_shape(delta.shape)} does not match the {fmt_shape(out_shape)} "
                         f"output of pooling a {fmt_shape(x_shape)} input with a {ph}×{pw} window (stride {s})")
    ctx = f"cannot back-propagate through {op}ing a {fmt_shape(x_shape)} input with a {ph}×{pw} window (stride {s})"
    return delta, (ph, pw, s, oh, ow), ctx


def _spread(d4: np.ndarray, share: Callable[[np.ndarray, int, int], np.ndarray], batch: tuple[int, ...],
            geometry: tuple[int, int, int, int, int]) -> np.ndarray:
    """``∂L/∂X`` of a batch from ``d4`` (δ as ``N×H'×W'×C``): ``share(d4, a, b)``, the part of δ each
    window sends to its pixel (a, b), added there for each of the ph·pw offsets (vectorised over windows)."""
    dx = np.zeros(batch, dtype=d4.dtype)
    for a, b, at in _offset_views(dx, geometry):
        dx[at] += share(d4, a, b)
    return dx


def _pool_backward(delta: np.ndarray, x_shape: tuple[int, ...], geometry, ctx: str, dtype: np.dtype,
                   share: Callable[[np.ndarray, int, int], np.ndarray], terms: int, what: str) -> np.ndarray:
    """:func:`_spread` with the core's guarantees: exact integers, no float overflow.

    ``share(d4, a, b)`` is the part of ``d4`` (δ as ``N×H'×W'×C``) sent to offset (a, b);
    a pixel adds at most ``terms`` windows' shares."""
    batch = _as_batch(x_shape)
    ph, pw, s, oh, ow = geometry
    d4 = delta.reshape(_as_batch(delta.shape))
    _check_budget(ctx, [("input gradient", batch, dtype.itemsize), ("window shares", d4.shape, 16)],
                  work=(math.prod(d4.shape) * 2 + _PYTHON_WORK) * ph * pw)  # one Python step per offset
    if dtype.kind == "i" and not _int_sums_fit(terms, (d4,)):
        _check_budget(ctx + " in exact integers", [("input gradient", batch, _OBJECT_ENTRY_BYTES)],
                      work=math.prod(d4.shape) * ph * pw * _OBJECT_WORK)
        dx = _spread(d4.astype(object), share, batch, geometry)
        return _exact_to_int64(dx.reshape(x_shape), ctx, what)
    with _quiet():
        dx = _spread(d4.astype(dtype, copy=False), share, batch, geometry)
    if dtype.kind == "f" and not _finite(dx):  # overlapping windows' sum overflowed: rescaled, wide
        ds, e = _scaled(d4, _wide(dtype))
        with _quiet():
            dx = np.ldexp(_spread(ds, share, batch, geometry), e)
        dx = _fit_float(dx.reshape(x_shape), dtype, ctx, f"the input gradient ({what})")
    return dx.reshape(x_shape)


def max_pool_backward(x: Any, delta: Any, size: int | tuple[int, int] = 2,
                      stride: int | None = None) -> np.ndarray:
    """Backward pass of :func:`max_pool`: ``∂L/∂x``, each window's δ sent to its maximum.

    ``x`` is the pooled input (``(H, W)``, ``(H, W, C)`` or ``(N, H, W, C)``), ``delta``
    = ∂L/∂max_pool(x) (the pooled shape). Ties go to the first maximum in raster
    order (PyTorch's rule). Returns ``x``'s shape in ``delta``'s dtype (int64 for
    integers: exact, as overlapping windows add).
    """
    x = _as_array(x, "input")
    delta, geometry, ctx = _pool_delta(delta, x.shape, size, stride, "max-pool")
    ph, pw, s, oh, ow = geometry
    batch = _as_batch(x.shape)
    x4 = x.reshape(batch)
    _check_budget(ctx, [("windows", (batch[0], oh, ow, batch[3], ph * pw), 8), ("argmax", delta.shape, 8)],
                  work=math.prod(delta.shape) * ph * pw * 3)
    if ph * pw <= _SMALL_WINDOW:  # offset by offset: a pixel wins if it is the max and none before it was
        views = list(_offset_views(x4, geometry))
        top = x4[views[0][2]].copy()
        for _, _, at in views[1:]:
            np.maximum(top, x4[at], out=top)
        taken = np.zeros(top.shape, dtype=bool)
        wins = {}
        for a, b, at in views:
            wins[a, b] = (x4[at] == top) & ~taken
            taken |= wins[a, b]
        winner = lambda a, b: wins[a, b]  # noqa: E731
    else:
        wins = _windows(x4, ph, pw, s, oh, ow)
        first_max = np.argmax(wins.reshape(wins.shape[:4] + (ph * pw,)), axis=-1)  # (N, H', W', C): a·pw + b
        winner = lambda a, b: first_max == a * pw + b  # noqa: E731

    def share(d4: np.ndarray, a: int, b: int) -> np.ndarray:
        return np.where(winner(a, b), d4, 0)

    terms = -(-ph // s) * -(-pw // s)  # windows that can share a pixel
    dtype = _compute_dtype(delta)
    return _pool_backward(delta, x.shape, geometry, ctx, dtype, share, terms, "sum of delta")


def avg_pool_backward(x_shape: Sequence[int], delta: Any, size: int | tuple[int, int] = 2,
                      stride: int | None = None) -> np.ndarray:
    """Backward pass of :func:`avg_pool`: ``∂L/∂x``, each window's δ shared equally by its ph·pw pixels.

    Only the input's shape matters (``x_shape``: ``(H, W)``, ``(H, W, C)`` or
    ``(N, H, W, C)``); ``delta`` = ∂L/∂avg_pool(x). Returns ``x_shape`` in float
    (``delta``'s float dtype; float64 for integers), like :func:`avg_pool`.
    """
    x_shape = _check_shape_tuple(x_shape, "input shape")
    delta, geometry, ctx = _pool_delta(delta, x_shape, size, stride, "average-pool")
    ph, pw, s, _, _ = geometry
    n = ph * pw
    dtype = delta.dtype if delta.dtype.kind == "f" else np.dtype(np.float64)

    def share(d4: np.ndarray, a: int, b: int) -> np.ndarray:
        return d4 / n

    terms = -(-ph // s) * -(-pw // s)
    return _pool_backward(delta, x_shape, geometry, ctx, dtype, share, terms, f"delta / {n}")
