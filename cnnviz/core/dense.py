"""Flattening and dense (fully connected) layers, and what flattening does to positions.

    flatten:  x[r, c] of an H×W map lands at index r·W + c (row by row)
    dense:    y = x·W + b      (x: n_in values, W: n_in×n_out, b: n_out)
    MLP:      a_0 = x,  a_l = ReLU(a_{l−1}·W_l + b_l),  the last layer without ReLU

:func:`lit_positions` and :func:`position_overlap` measure how a shifted digit
lights other positions of the flattened vector (no translation invariance).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .checks import (
    _as_array, _at_least, _check_budget, _check_int, _check_real, _check_shape_tuple, _fit_float,
    fmt_shape,
)
from .conv import conv2d
from .activations import relu, softmax
from .params import mlp_param_terms

__all__ = ['dense', 'flatten', 'lit_positions', 'mlp_forward', 'mlp_init', 'position_overlap']


def flatten(x: Any) -> np.ndarray:
    """Flatten row by row (C order): ``x[r, c]`` of an ``H×W`` map lands at index ``r*W + c``."""
    x = _as_array(x, "input")
    _check_budget(lambda: f"cannot flatten a {fmt_shape(x.shape)} input",
                  [("output", (x.size,), x.dtype.itemsize)], work=x.size)
    return x.reshape(-1).copy()


def dense(x: Any, w: Any, b: Any = None) -> np.ndarray:
    """A fully connected layer: ``x @ w + b``.

    ``x``: ``(n_in,)`` or a batch ``(N, n_in)``; ``w``: ``(n_in, n_out)``;
    ``b``: None, a scalar or ``(n_out,)``. Returns ``(n_out,)`` or ``(N, n_out)``.
    It is computed as what it is, a 1×1 convolution with ``n_out`` kernels over
    ``n_in`` channels, so it inherits :func:`conv2d`'s guarantees (exact
    integers, no silent overflow, the memory budget).
    """
    x = _as_array(x, "input")
    w = _as_array(w, "weights")
    ctx = f"cannot apply a {fmt_shape(w.shape)} dense layer to a {fmt_shape(x.shape)} input"
    if w.ndim != 2:
        raise ValueError(f"{ctx}: the weights must be n_in×n_out, not {w.ndim}-D")
    if x.ndim not in (1, 2):
        raise ValueError(f"{ctx}: the input must be a vector n_in or a batch N×n_in, not {x.ndim}-D")
    if 0 in w.shape or 0 in x.shape:
        raise ValueError(f"{ctx}: the {'weights have' if 0 in w.shape else 'input has'} an empty dimension")
    if x.shape[-1] != w.shape[0]:
        raise ValueError(f"{ctx}: the input has {x.shape[-1]} value(s), the layer expects {w.shape[0]}")
    if b is not None:
        b = _as_array(b, "bias")
        if b.ndim not in (0, 1) or (b.ndim == 1 and b.shape != (w.shape[1],)):
            raise ValueError(f"{ctx}: a bias of shape {fmt_shape(b.shape)} does not match the "
                             f"{w.shape[1]} output(s)")
    n_in, n_out = w.shape
    batch = x.reshape(-1, 1, n_in)  # N×1 "image" with n_in channels
    try:
        out = conv2d(batch, w.reshape(1, 1, n_in, n_out), b)
    except ValueError as exc:  # overflow or budget: say it of the dense layer
        raise ValueError(f"{ctx}: {exc}") from None
    return out.reshape(x.shape[:-1] + (n_out,))


def mlp_init(sizes: Sequence[int], seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """Seeded random parameters of an MLP with layer sizes ``sizes``: per layer ``(W, b)``.

    ``W`` is ``n_in × n_out`` drawn from a normal distribution with standard
    deviation ``sqrt(2 / n_in)`` (He initialisation, the usual start for ReLU
    layers), ``b`` is zeros. An *untrained* network: what it computes shows how
    activations flow, not a prediction.
    """
    terms = mlp_param_terms(sizes)  # validates the sizes
    sizes = _check_shape_tuple(sizes, "layer sizes")
    seed = _check_int(seed, "seed", 0, context="mlp_init")
    _check_budget(lambda: f"cannot initialise an MLP with layer sizes {list(sizes)}",
                  [(f"layer {k + 1} weights", (a, b), 8) for k, (a, b) in enumerate(zip(sizes[:-1], sizes[1:]))],
                  work=sum(w + b for w, b in terms))
    rng = np.random.default_rng(seed)
    return [(rng.normal(0.0, np.sqrt(2.0 / a), size=(a, b)), np.zeros(b)) for a, b in zip(sizes[:-1], sizes[1:])]


def mlp_forward(x: Any, params: Sequence[tuple[Any, Any]]) -> list[np.ndarray]:
    """The activations of every layer of an MLP for one input vector ``x``.

    ``params``: one ``(W, b)`` pair per layer (as :func:`mlp_init` makes them).
    Hidden layers are ``relu(dense(a, W, b))``, the last layer is
    ``softmax(dense(a, W, b))``. Returns ``[x, h1, …, output]`` (float64). The
    shapes must chain: a message names the layer that does not fit.
    """
    a = _as_array(x, "input")
    if a.ndim != 1:
        raise ValueError(f"an MLP takes a flat vector, got an input of shape {fmt_shape(a.shape)}: flatten it first")
    a = _fit_float(a, np.dtype(np.float64), "mlp_forward", "the input")
    if isinstance(params, (str, bytes)) or not isinstance(params, Sequence):
        raise ValueError(f"MLP params must be a list of (W, b) pairs, one per layer, got {type(params).__name__}")
    if not params:
        raise ValueError("an MLP needs at least one layer of parameters (params is empty)")
    acts = [a]
    for k, pair in enumerate(params):
        if isinstance(pair, (str, bytes)) or not isinstance(pair, Sequence) or len(pair) != 2:
            raise ValueError(f"MLP params: layer {k + 1} must be a (W, b) pair, got {type(pair).__name__}")
        w = _fit_float(_as_array(pair[0], f"the weights of layer {k + 1}"), np.dtype(np.float64),
                       "mlp_forward", f"the weights of layer {k + 1}")
        b = _fit_float(_as_array(pair[1], f"the biases of layer {k + 1}"), np.dtype(np.float64),
                       "mlp_forward", f"the biases of layer {k + 1}")
        if w.ndim != 2 or w.shape[0] != a.shape[0] or b.shape != (w.shape[1],):
            source = "the input" if k == 0 else f"layer {k}'s output"
            raise ValueError(
                f"layer {k + 1} cannot take {source} of {a.shape[0]} value(s): weights "
                f"{fmt_shape(w.shape)}, biases {fmt_shape(b.shape)} (need {a.shape[0]}×n and n)"
            )
        try:
            z = dense(a, w, b)
        except ValueError as exc:
            raise ValueError(f"MLP layer {k + 1}: {exc}") from None
        a = softmax(z) if k == len(params) - 1 else relu(z)
        acts.append(a)
    return acts


def lit_positions(img: Any, threshold: float = 128) -> np.ndarray:
    """Where an image is "lit" once flattened: the indices of :func:`flatten`'s vector whose
    value is at least ``threshold`` (e.g. the ink of a digit), sorted."""
    img = _as_array(img, "image")
    if img.ndim not in (2, 3):
        raise ValueError(f"lit_positions needs an H×W or H×W×C image, got shape {fmt_shape(img.shape)}")
    ctx = f"cannot find the lit positions of a {fmt_shape(img.shape)} image"
    _check_real(threshold, "threshold", context=ctx)  # refuses non-reals, NaN, ±inf, ints beyond float64
    _check_budget(ctx, [("lit mask", img.shape, 1), ("float64 copy", img.shape, 8), ("index list", img.shape, 8)])
    # flatten()'s order, without its copy; exact whatever the dtype (a threshold beyond float16 is no overflow)
    return np.flatnonzero(_at_least(img.reshape(-1), threshold))


def position_overlap(a: Any, b: Any) -> tuple[int, float]:
    """How many positions two sets of lit positions share, and that count as a fraction of ``a``
    (the reference): ``(count, count / len(a))``; the fraction is 0 when ``a`` is empty."""
    def positions(value: Any, which: str) -> np.ndarray:
        arr = _as_array(value, f"positions {which}")
        if arr.ndim != 1 or (arr.size and arr.dtype.kind not in "iu"):
            raise ValueError(f"positions {which} must be a flat list of integer indices, got "
                             f"{arr.dtype} of shape {fmt_shape(arr.shape)}")
        return np.unique(arr)

    a, b = positions(a, "a"), positions(b, "b")
    count = int(np.intersect1d(a, b).size)
    return count, (count / a.size if a.size else 0.0)
