"""Pooling: a window slides (stride = window size by default) and keeps one number per window.

    max pooling      Y[i, j, c] = max_{a<ph, b<pw} X[i·S + a, j·S + b, c]
    average pooling  Y[i, j, c] = (1 / (ph·pw)) Σ_{a, b} X[i·S + a, j·S + b, c]

Channels are pooled independently; there is no padding and nothing to learn
(0 parameters). A window that does not tile the map leaves the last rows or
columns unpooled: the output is ⌊(H − ph) / S⌋ + 1 high.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .checks import (
    _LIST_ENTRY_BYTES, _as_array, _check_budget, _check_int, _check_shape_tuple, _finite, _fit_float,
    _quiet, _scaled, _wide, fmt_shape,
)

__all__ = ['avg_pool', 'max_pool', 'pool_output_shape', 'pool_windows']


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
    if len(x_shape) not in (2, 3):
        raise ValueError(
            f"{op} needs an H×W or H×W×C input, got a {len(x_shape)}-D array of shape "
            f"{fmt_shape(x_shape)}"
        )
    ctx = f"cannot {op} a {fmt_shape(x_shape)} input"
    if 0 in x_shape:
        raise ValueError(f"{ctx}: the input has an empty dimension")
    ph, pw = _pool_size(size, ctx)
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
    ph, pw, s, oh, ow = _pool_params(x_shape, size, stride, "pool")
    _check_budget(f"cannot list the {ph}×{pw} pooling windows (stride {s}) of a {fmt_shape(x_shape)} input",
                  [("list of windows", (oh, ow), _LIST_ENTRY_BYTES)], work=oh * ow)
    return [(i * s, j * s) for i in range(oh) for j in range(ow)]


def _pool(x: Any, size: Any, stride: Any, op: str, reduce) -> np.ndarray:
    x = _as_array(x, "input")
    ph, pw, s, oh, ow = _pool_params(x.shape, size, stride, op)
    ctx = lambda: f"cannot {op} a {fmt_shape(x.shape)} input with a {ph}×{pw} window (stride {s})"  # noqa: E731
    out_shape = (oh, ow) + x.shape[2:]
    _check_budget(ctx, [("output", out_shape, 8)], work=math.prod(out_shape) * ph * pw)

    def windows(a: np.ndarray) -> np.ndarray:  # (H', W', [C,] ph, pw), a read-only view
        s0, s1 = a.strides[:2]
        step_h, step_w = (s0 * s if oh > 1 else 0), (s1 * s if ow > 1 else 0)  # one window: s unused
        return as_strided(a, shape=out_shape + (ph, pw), strides=(step_h, step_w) + a.strides[2:] + (s0, s1),
                          writeable=False)

    with _quiet():
        out = reduce(windows(x), axis=(-2, -1))
    if out.dtype.kind == "f" and not _finite(out):  # a mean whose sum overflowed: rescale
        _check_budget(ctx, [("output", out_shape, 8), ("rescaled input", x.shape, 8)],
                      work=math.prod(out_shape) * ph * pw)
        xs, e = _scaled(x, _wide(x.dtype))
        with _quiet():
            out = _fit_float(np.ldexp(reduce(windows(xs), axis=(-2, -1)), e), out.dtype, ctx(),
                             "a pooled value")
    return out


def max_pool(x: Any, size: int | tuple[int, int] = 2, stride: int | None = None) -> np.ndarray:
    """Max pooling of ``(H, W)`` or ``(H, W, C)`` (per channel); no padding, stride defaults to size."""
    return _pool(x, size, stride, "max-pool", np.max)


def avg_pool(x: Any, size: int | tuple[int, int] = 2, stride: int | None = None) -> np.ndarray:
    """Average pooling of ``(H, W)`` or ``(H, W, C)`` (per channel); integers give floats."""
    return _pool(x, size, stride, "average-pool", np.mean)
