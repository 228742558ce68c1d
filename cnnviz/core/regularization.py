"""Regularisation and normalisation: dropout, batch norm (training and evaluation), augmentation.

    dropout (training)   y = z · m / (1 − p),   m_k ~ Bernoulli(1 − p)   (inverted dropout)
    dropout (evaluation) y = z
    dropout (backward)   ∂L/∂z = δ · m / (1 − p)    (the same mask, the same scaling)
    batch norm           x̂ = (x − μ_B) / √(σ²_B + ε),   y = γ·x̂ + β
    running statistics   μ ← (1 − momentum)·μ + momentum·μ_B   (the same for σ²)

In evaluation, batch norm uses the running statistics instead of the batch's.
:func:`random_flip_crop` is the usual augmentation: a random horizontal flip
and a random crop of the image padded by ``pad`` pixels.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any, NamedTuple, Sequence

import numpy as np

from .checks import (
    _MAX_BATCH_ELEMENTS, _as_array, _check_axes, _check_bool, _check_budget, _check_int, _check_real,
    _check_shape_tuple, _check_unit, _distinct, _finite, _fit_float, _float64_array, _is_int, _quiet,
    _scaled, _wide, fmt_shape,
)
from .conv import pad

__all__ = ['AugmentResult', 'BatchNormResult', 'RunningStats', 'batch_norm', 'batch_norm_eval', 'dropout',
           'dropout_backward', 'dropout_mask', 'random_flip_crop', 'running_stats_update']


def _check_p(p: Any) -> float:
    if not isinstance(p, numbers.Real) or isinstance(p, bool) or not (0 <= p < 1):
        raise ValueError(f"the dropout rate p must be a number in [0, 1), got {p!r}")
    return float(p)


def _check_seed_rng(seed: Any, rng: Any, context: str) -> None:
    if seed is not None:
        _check_int(seed, "seed", 0, context=context)
    if rng is not None and not isinstance(rng, np.random.Generator):
        raise ValueError(f"{context}: rng must be a numpy.random.Generator (np.random.default_rng()), "
                         f"got {rng!r}")
    if rng is not None and seed is not None:
        raise ValueError(f"{context}: give either a seed or an rng, not both")


def dropout_mask(shape: int | Sequence[int], p: float, seed: int | None = None,
                 rng: np.random.Generator | None = None) -> np.ndarray:
    """A 0/1 int array: each entry is 1 (kept) with probability ``1 − p``.

    Random numbers come from ``rng`` or else ``np.random.default_rng(seed)``
    (a fixed seed gives a reproducible mask; ``seed`` is an integer >= 0).
    """
    p = _check_p(p)
    if _is_int(shape):
        shape = (shape,)
    shape = _check_shape_tuple(shape, "mask shape")
    ctx = f"cannot draw a dropout mask of shape {fmt_shape(shape)}"
    _check_seed_rng(seed, rng, ctx)
    _check_budget(ctx, [("random numbers", shape, 8), ("mask", shape, 8)], work=math.prod(shape))
    if rng is None:
        rng = np.random.default_rng(seed)
    return (rng.random(shape) >= p).astype(np.int64)


def _check_mask(mask: Any, shape: tuple[int, ...], what: str, ctx: str) -> np.ndarray:
    """A dropout mask: 0s and 1s, in the shape of ``what`` (``z`` or ``delta``)."""
    mask = _as_array(mask, "mask")
    if mask.shape != shape:
        raise ValueError(
            f"a dropout mask of shape {fmt_shape(mask.shape)} does not match {what} of shape "
            f"{fmt_shape(shape)}"
        )
    # Checking the 0s and 1s makes temporaries of the mask's size (a broadcast view can be huge for free).
    _check_budget(ctx, [("mask's check", shape, 8)], work=mask.size)
    if not np.isin(mask, (0, 1)).all():
        raise ValueError(f"a dropout mask (shape {fmt_shape(mask.shape)}) must hold only 0s and 1s")
    return mask


def _masked_scaled(values: np.ndarray, mask: np.ndarray, p: float, ctx: str, name: str) -> np.ndarray:
    """``values · mask / (1 − p)``, refused if it overflows their float dtype."""
    with _quiet():
        out = values * mask / (1.0 - p)
    if out.dtype.kind == "f" and not _finite(out):
        out = _fit_float(out, out.dtype, ctx, f"{name} / (1 − p) with p = {p}")
    return out


def dropout(z: Any, p: float, mask: Any = None, seed: int | None = None, training: bool = True,
            rng: np.random.Generator | None = None) -> np.ndarray:
    """Inverted dropout.

    Training: ``z * mask / (1 − p)`` (a fresh mask from ``seed``/``rng`` if none
    is given). Evaluation (``training=False``): ``z`` unchanged — no mask, no scaling.
    Every argument is validated in both modes; give a mask or a seed/rng, not both.
    """
    p = _check_p(p)
    z = _as_array(z, "z")
    ctx = f"cannot apply dropout to z of shape {fmt_shape(z.shape)}"
    training = _check_bool(training, "training", context=ctx)
    _check_seed_rng(seed, rng, ctx)
    if mask is not None:
        if seed is not None or rng is not None:
            raise ValueError(f"{ctx}: give either a mask or a seed/rng, not both")
        mask = _check_mask(mask, z.shape, "z", ctx)
    if not training:
        return z
    _check_budget(ctx, [("output", z.shape, 8), ("mask", z.shape, 16)], work=3 * z.size)
    if mask is None:
        mask = dropout_mask(z.shape, p, seed=seed, rng=rng)
    return _masked_scaled(z, mask, p, ctx, "z")


def dropout_backward(delta: Any, mask: Any, p: float) -> np.ndarray:
    """Backward pass of :func:`dropout` in training: ``delta · mask / (1 − p)``.

    ``delta`` = ∂L/∂dropout(z); ``mask`` is the 0/1 mask the forward pass used
    (same shape), ``p`` its dropout rate: a dropped unit gets no gradient, a kept
    one its δ scaled by ``1 / (1 − p)``, exactly as its value was. (In evaluation
    dropout is the identity, and so is its backward pass.)
    """
    p = _check_p(p)
    delta = _as_array(delta, "delta")
    ctx = f"cannot back-propagate through dropout: delta of shape {fmt_shape(delta.shape)}"
    mask = _check_mask(mask, delta.shape, "delta", ctx)
    _check_budget(ctx, [("input gradient", delta.shape, 8)], work=2 * delta.size)
    return _masked_scaled(delta, mask, p, ctx, "delta")


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

    Where the textbook formulas would overflow or underflow (huge or tiny
    values, e.g. ``[1e200, -1e200]``'s squares), the statistics are recomputed
    on the data scaled by a power of two per feature (exact, so nothing else
    changes). A variance beyond the dtype's range, ``eps`` beyond it, or
    ``eps = 0`` with a constant feature (0/0) raises ``ValueError``.
    """
    x = _as_array(x, "batch")
    x = x.astype(np.float64) if x.dtype.kind != "f" else x
    if x.ndim == 0:
        raise ValueError("batch_norm needs a batch, got a scalar")
    axes = (axis,) if _is_int(axis) else tuple(axis) if isinstance(axis, (tuple, list)) else None
    if axes is None or not axes or not all(_is_int(a) and -x.ndim <= a < x.ndim for a in axes) \
            or len({a % x.ndim for a in axes}) != len(axes):
        raise ValueError(f"batch_norm axis {axis!r} is not valid for a batch of shape {fmt_shape(x.shape)}"
                         + (" (it names no axis)" if axes == () else ""))
    axes = tuple(int(a) % x.ndim for a in axes)
    if any(x.shape[a] == 0 for a in axes):
        raise ValueError(f"batch_norm needs at least one sample, got a batch of shape {fmt_shape(x.shape)}")
    ctx = f"cannot batch-normalise a batch of shape {fmt_shape(x.shape)} over axis {axis!r}"
    if isinstance(eps, (bool, np.bool_)) or not isinstance(eps, numbers.Real) or not eps >= 0:
        raise ValueError(f"batch_norm eps must be a number >= 0, got {eps!r}")
    eps = _check_real(eps, "eps", ctx)
    _check_budget(ctx, [("batch (6 arrays that size)", x.shape, 48)], work=8 * x.size)
    info = np.finfo(x.dtype)
    if eps > float(info.max):  # compared as Python floats: np.float16(65520.0) would overflow in the cast
        raise ValueError(f"{ctx}: eps = {eps!r} overflows the batch's dtype {x.dtype}")
    with _quiet():
        # the textbook formulas first (fast) ...
        mean_k = x.mean(axis=axes, keepdims=True)
        d = x - mean_k
        var_k = (d ** 2).mean(axis=axes, keepdims=True)
        den = np.sqrt(var_k + eps)
    # ... trusted when nothing overflowed and the variance is far from underflow (squares of
    # deviations below sqrt(tiny) lose digits); else the same formulas on data scaled by a
    # power of two per feature: exact, so ordinary data gets the same numbers bit for bit
    plain = den.size == 0 or (math.isfinite(den.max()) and var_k.min() >= info.tiny / info.eps)
    if not plain:
        with _quiet():
            _, ex = np.frexp(np.max(np.abs(x), axis=axes, keepdims=True))
            xs = np.ldexp(x, -ex)
            mean_s = xs.mean(axis=axes, keepdims=True)
            d_s = xs - mean_s
            var_s = (d_s ** 2).mean(axis=axes, keepdims=True)
            mean_k = np.ldexp(mean_s, ex)
            var_k = np.ldexp(var_s, 2 * ex)
        if not _finite(var_k):
            with _quiet():
                var_w = np.ldexp(var_s.astype(_wide(x.dtype)), 2 * ex)
            _fit_float(var_w, x.dtype, ctx, "the variance")
            raise ValueError(f"{ctx}: the variance overflows {x.dtype}")
        if eps == 0 and (var_s == 0).any():
            raise ValueError(f"{ctx}: eps = 0 with a constant feature gives x_hat = 0/0; use eps > 0")
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
    with _quiet():
        if plain:
            x_hat = d / den
        else:  # (x − mean) / sqrt(var + eps) = d_s / sqrt(var_s + eps / 4**e)
            eps_s = np.ldexp(x.dtype.type(eps), -2 * ex)
            # where eps dwarfs the variance (tiny data: eps_s overflows) or the variance is 0
            # (eps_s may underflow), x_hat = (x − mean) / sqrt(eps)
            by_eps = ~np.isfinite(eps_s) | (var_s == 0)
            x_hat = d_s / np.sqrt(var_s + np.where(by_eps, 1, eps_s).astype(x.dtype, copy=False))
            if by_eps.any():
                e = x.dtype.type(eps)  # 0 when eps > 0 is below the dtype's smallest number
                if e > 0:
                    with np.errstate(divide="ignore"):  # only the lanes np.where keeps are used
                        alt = np.ldexp(d_s, ex) / np.sqrt(e)
                else:  # eps underflows: only constant features are here, and their x - mean is exactly 0
                    alt = np.zeros_like(d_s)
                x_hat = np.where(by_eps, alt, x_hat)
        y = g * x_hat + b
    if not _finite(y):  # gamma·x_hat overflowed: rescale gamma and beta
        wide = _wide(y.dtype)
        gs, eg = _scaled(g, wide)
        with _quiet():
            y2 = np.ldexp(gs * x_hat + np.ldexp(np.asarray(b, dtype=wide), -eg), eg)
        y = _fit_float(y2, y.dtype, ctx, "y = gamma·x_hat + beta")
    return BatchNormResult(
        mean=np.squeeze(mean_k, axis=axes),
        var=np.squeeze(var_k, axis=axes),
        x_hat=x_hat,
        y=y,
    )


class RunningStats(NamedTuple):
    """Batch norm's running estimates of the mean and variance (used in evaluation mode)."""

    mean: np.ndarray
    var: np.ndarray


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
    m = _check_unit(momentum, "the momentum", fn)
    unb = _check_bool(unbiased, "unbiased", fn)
    x = _float64_array(batch, "batch", fn)
    if x.ndim == 0 or 0 in x.shape:
        raise ValueError(f"{fn} needs a batch of values, got shape {fmt_shape(x.shape)}")
    axes = _check_axes(axis, x.ndim, x.shape, fn)
    stat_shape = tuple(d for a, d in enumerate(x.shape) if a not in axes)
    nvals = int(np.prod([x.shape[a] for a in axes]))
    if x.size > _MAX_BATCH_ELEMENTS:
        raise ValueError(f"{fn}: a batch of shape {fmt_shape(x.shape)} holds more than {_MAX_BATCH_ELEMENTS:,} numbers")
    if unb and nvals < 2:
        raise ValueError(f"{fn}: an unbiased variance needs at least 2 values per feature, got a batch of shape "
                         f"{fmt_shape(x.shape)} (axis {axis!r})")
    rm = _float64_array(running_mean, "running mean", fn)
    rv = _float64_array(running_var, "running variance", fn)
    for arr, name in ((rm, "running mean"), (rv, "running variance")):
        if arr.ndim and arr.shape != stat_shape:
            raise ValueError(f"{fn}: a {name} of shape {fmt_shape(arr.shape)} does not match the statistics of shape "
                             f"{fmt_shape(stat_shape)} (batch {fmt_shape(x.shape)}, axis {axis!r})")
    if (rv < 0).any():
        raise ValueError(f"{fn}: a running variance cannot be negative")
    with np.errstate(all="ignore"):
        scale = np.max(np.abs(_distinct(x))) or 1.0   # statistics of x / scale: no overflow in the squares
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
    axes = _check_axes(axis, arr.ndim, arr.shape, fn)
    try:
        eps_f = float(eps) if isinstance(eps, numbers.Real) and not isinstance(eps, (bool, np.bool_)) else -1.0
    except OverflowError:
        eps_f = np.inf
    if not 0 <= eps_f < np.inf:
        raise ValueError(f"{fn} eps must be a finite number >= 0, got {eps!r}")
    keep = tuple(1 if a in axes else d for a, d in enumerate(arr.shape))
    stat_shape = tuple(d for a, d in enumerate(arr.shape) if a not in axes)

    def param(value: Any, name: str) -> np.ndarray:
        p = _float64_array(value, name, fn)
        if p.ndim == 0:
            return p
        if p.shape == stat_shape:
            return p.reshape(keep)
        raise ValueError(f"{fn} {name} of shape {fmt_shape(p.shape)} does not match the statistics "
                         f"of shape {fmt_shape(stat_shape)} (batch {fmt_shape(arr.shape)}, axis {axis!r})")

    rm, rv = param(running_mean, "running mean"), param(running_var, "running variance")
    g, b = param(gamma, "gamma"), param(beta, "beta")
    if arr.size > _MAX_BATCH_ELEMENTS:
        raise ValueError(f"{fn}: a batch of shape {fmt_shape(arr.shape)} holds more than {_MAX_BATCH_ELEMENTS:,} numbers")
    xf = _float64_array(arr, "batch", fn)
    if (rv < 0).any():
        raise ValueError(f"{fn}: a running variance cannot be negative")
    with np.errstate(over="ignore"):  # rv + eps beyond float64 (both near 1.8e308): halve under the root
        denom = np.sqrt(rv + eps_f)
    if not np.isfinite(denom).all():
        denom = np.where(np.isfinite(denom), denom, 2 * np.sqrt(rv / 4 + eps_f / 4))
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
    if img.dtype.kind == "f" and not np.isfinite(_distinct(img)).all():
        raise ValueError(f"{fn}: the image holds NaN or infinity")
    if img.size > _MAX_BATCH_ELEMENTS:
        raise ValueError(f"{fn}: an image of shape {fmt_shape(img.shape)} holds more than {_MAX_BATCH_ELEMENTS:,} numbers")
    H, W = img.shape[:2]
    pad = _check_int(pad, "padding", 0, context=f"cannot augment a {fmt_shape(img.shape)} image")
    if pad > max(H, W):
        raise ValueError(f"cannot augment a {fmt_shape(img.shape)} image with padding {pad}: at most {max(H, W)} "
                         f"(a larger shift moves the whole image out)")
    flip_p = _check_unit(flip_p, "the flip probability flip_p", fn)
    if seed is not None:
        _check_int(seed, "seed", 0, context=fn)
    if rng is not None and not isinstance(rng, np.random.Generator):
        raise ValueError(f"{fn}: rng must be a numpy.random.Generator (np.random.default_rng()), got {rng!r}")
    if rng is not None and seed is not None:
        raise ValueError(f"{fn}: give either a seed or an rng, not both")
    if not _check_bool(training, "training", fn):
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
