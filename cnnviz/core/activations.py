"""Activations: ReLU and softmax.

    ReLU(z) = max(z, 0)                       (elementwise)
    softmax(z)_k = exp(z_k − max z) / Σ_j exp(z_j − max z)

Subtracting the maximum changes nothing mathematically and keeps exp from
overflowing; the outputs are positive and sum to 1 (the class probabilities).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .checks import _as_array, _check_budget, _finite, _fit_float, _is_int, _quiet, _wide, fmt_shape

__all__ = ['relu', 'softmax']


def relu(x: Any) -> np.ndarray:
    """``max(x, 0)`` elementwise (dtype kept)."""
    x = _as_array(x, "input")
    _check_budget(lambda: f"cannot apply ReLU to a {fmt_shape(x.shape)} input",
                  [("output", x.shape, x.dtype.itemsize)], work=x.size)
    return np.maximum(x, 0).astype(x.dtype, copy=False)


def softmax(x: Any, axis: int = -1) -> np.ndarray:
    """Numerically stable softmax along ``axis`` (the max is subtracted first).

    Never NaN (non-finite input is refused); the sums are redone in float64
    where a float16 sum would overflow.
    """
    x = _as_array(x, "input")
    if x.ndim == 0:
        raise ValueError("softmax needs at least one axis, got a scalar input")
    if not _is_int(axis) or not -x.ndim <= axis < x.ndim:
        raise ValueError(f"softmax axis {axis!r} is out of range for an input of shape {fmt_shape(x.shape)}")
    if x.shape[axis] == 0:
        raise ValueError(f"softmax over an empty axis of an input of shape {fmt_shape(x.shape)}")
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
    ctx = lambda: f"cannot take the softmax of a {fmt_shape(x.shape)} input"  # noqa: E731
    _check_budget(ctx, [("input copy", x.shape, dtype.itemsize)] * 3, work=3 * x.size)
    x = x.astype(dtype)
    with _quiet():  # x − max may overflow to −inf: exp gives the right 0
        e = np.exp(x - np.max(x, axis=axis, keepdims=True))
        total = np.sum(e, axis=axis, keepdims=True)
        if dtype.itemsize <= 2 and not _finite(total):  # float16 sums past 65504 (wider: never)
            return _fit_float(e / np.sum(e, axis=axis, keepdims=True, dtype=_wide(dtype)), dtype,
                              ctx(), "a probability")
        return e / total
