"""Activations and the loss: ReLU, softmax, softmax with cross-entropy, and their backward passes.

    ReLU(z) = max(z, 0)                       (elementwise)
    softmax(z)_k = exp(z_k − max z) / Σ_j exp(z_j − max z)

Subtracting the maximum changes nothing mathematically and keeps exp from
overflowing; the outputs are positive and sum to 1 (the class probabilities).

Backward, given δ = ∂L/∂(output):

    ReLU        ∂L/∂z = δ · [z > 0]           (0 where z ≤ 0: PyTorch's choice at z = 0)
    cross-entropy of the softmax, for the true class y of each of N samples:
                L = (1/N) Σ_n −log p_n[y_n] = (1/N) Σ_n (log Σ_j exp z_n[j] − z_n[y_n])
                ∂L/∂z_n = (p_n − onehot(y_n)) / N                 (“p − y”)

The loss is computed from the logits (log-sum-exp), not from p, so it stays
finite when a probability underflows to 0.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from .checks import (
    _as_array, _check_budget, _class_labels, _finite, _fit_float, _is_int, _quiet, _scaled, _wide, fmt_shape,
)

__all__ = ['SoftmaxCrossEntropy', 'relu', 'relu_backward', 'softmax', 'softmax_cross_entropy']


def relu(x: Any) -> np.ndarray:
    """``max(x, 0)`` elementwise (dtype kept)."""
    x = _as_array(x, "input")
    _check_budget(lambda: f"cannot apply ReLU to a {fmt_shape(x.shape)} input",
                  [("output", x.shape, x.dtype.itemsize)], work=x.size)
    return np.maximum(x, 0).astype(x.dtype, copy=False)


def relu_backward(x: Any, delta: Any) -> np.ndarray:
    """Backward pass of :func:`relu`: ``delta`` where ``x > 0``, else 0 (``delta``'s dtype).

    ``x`` is ReLU's input (any shape), ``delta`` = ∂L/∂ReLU(x) of the same shape.
    At ``x == 0`` the gradient is 0 (ReLU has no derivative there; 0 is the usual choice).
    Nothing is added or multiplied, so the result is exact.
    """
    x = _as_array(x, "input")
    delta = _as_array(delta, "delta")
    if delta.shape != x.shape:
        raise ValueError(f"cannot back-propagate through ReLU: a delta of shape {fmt_shape(delta.shape)} "
                         f"does not match the {fmt_shape(x.shape)} input")
    _check_budget(lambda: f"cannot back-propagate through ReLU of a {fmt_shape(x.shape)} input",
                  [("input gradient", x.shape, delta.dtype.itemsize), ("mask", x.shape, 1)], work=2 * x.size)
    return np.where(x > 0, delta, delta.dtype.type(0))


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


class SoftmaxCrossEntropy(NamedTuple):
    """What :func:`softmax_cross_entropy` returns: the mean loss, the probabilities and ∂L/∂logits."""

    loss: float          # (1/N) Σ_n −log p_n[y_n]
    probs: np.ndarray    # softmax of the logits, the logits' shape
    dz: np.ndarray       # ∂loss/∂logits = (p − onehot(y)) / N, the logits' shape


def softmax_cross_entropy(z: Any, labels: Any) -> SoftmaxCrossEntropy:
    """Cross-entropy of the softmax of logits ``z`` against the true classes ``labels``, and its gradient.

    ``z``: ``(K,)`` logits of one sample (then ``labels`` is one class index) or a
    batch ``(N, K)`` (then ``labels`` holds N class indices in 0..K−1). The loss is the
    mean over the batch; ``dz = (softmax(z) − onehot(labels)) / N`` is its gradient
    (``p − y`` for one sample). Computed in float64 (float64 is returned whatever
    the logits' dtype); a loss beyond float64 (logits ~1e308 apart) is refused.
    """
    z = _as_array(z, "logits")
    if z.ndim not in (1, 2) or 0 in z.shape:
        raise ValueError(f"softmax_cross_entropy needs logits K or a batch N×K (K ≥ 1), got shape "
                         f"{fmt_shape(z.shape)}")
    ctx = f"cannot take the cross-entropy of {fmt_shape(z.shape)} logits"
    n, k = (None, z.shape[0]) if z.ndim == 1 else z.shape
    y = _class_labels(labels, n, k, ctx)
    _check_budget(ctx, [("logits (4 arrays that size)", z.shape, 32)], work=6 * z.size)
    z2 = _fit_float(z, np.dtype(np.float64), ctx, "the logits").reshape(-1, k)  # one row per sample
    y1 = y.reshape(-1)
    rows = np.arange(z2.shape[0])
    top = z2.max(axis=1, keepdims=True)
    with _quiet():  # z − max may overflow to −inf: exp gives the right 0
        e = np.exp(z2 - top)
        total = e.sum(axis=1, keepdims=True)
        probs = e / total
        # −log p[y] = (max − z[y]) + log Σ exp(z − max): each term ≥ 0
        gap = top[:, 0] - z2[rows, y1]
        losses = gap + np.log(total[:, 0])
    if not _finite(losses):
        raise ValueError(f"{ctx}: the loss overflows float64 (the logits are ~1e308 apart)")
    scaled, e_ = _scaled(losses, np.dtype(np.float64))
    with _quiet():
        loss = float(np.ldexp(scaled.mean(), e_))  # the mean of huge losses: no overflow in the sum
    dz = probs.copy()
    dz[rows, y1] -= 1.0
    dz /= z2.shape[0]
    return SoftmaxCrossEntropy(loss, probs.reshape(z.shape), dz.reshape(z.shape))
