"""Flattening and dense (fully connected) layers, and what flattening does to positions.

    flatten:  x[r, c] of an H×W map lands at index r·W + c (row by row)
    dense:    y = x·W + b      (x: n_in values, W: n_in×n_out, b: n_out)
    MLP:      a_0 = x,  a_l = ReLU(a_{l−1}·W_l + b_l),  the last layer without ReLU

Backward, given δ = ∂L/∂y (one row per sample of a batch X, N×n_in):

    flatten   ∂L/∂x = δ put back in x's shape (flattening only moves numbers)
    dense     ∂L/∂X = δ·Wᵀ,   ∂L/∂W = Xᵀ·δ = Σ_n x_nᵀ δ_n,   ∂L/∂b = Σ_n δ_n

A dense layer is a 1×1 convolution with n_out kernels over n_in channels:
∂L/∂W = Xᵀ·δ is ∇W = X ⋆ δ. Float64 data, the common case, is computed as the
matrix products above; any other dtype, or a float64 product that overflowed,
as that convolution (:func:`~cnnviz.core.conv.conv2d`,
:func:`~cnnviz.core.conv.conv2d_backward`), with its exact integers and
overflow-safe floats.

:func:`lit_positions` and :func:`position_overlap` measure how a shifted digit
lights other positions of the flattened vector (no translation invariance).
"""

from __future__ import annotations

from typing import Any, NamedTuple, Sequence

import numpy as np

from .checks import (
    _as_array, _at_least, _check_bool, _check_budget, _check_int, _check_real, _check_shape_tuple, _finite,
    _fit_float, _quiet, fmt_shape,
)
from .conv import conv2d, conv2d_backward
from .activations import relu, softmax
from .params import mlp_param_terms

__all__ = ['DenseGrads', 'dense', 'dense_backward', 'flatten', 'flatten_backward', 'lit_positions', 'mlp_forward', 'mlp_init',
           'position_overlap']


def flatten(x: Any, batch: bool = False) -> np.ndarray:
    """Flatten row by row (C order): ``x[r, c]`` of an ``H×W`` map lands at index ``r*W + c``.

    An ``H×W×C`` map gives ``(H·W·C,)`` with the channels of a pixel side by side.
    With ``batch=True`` the first axis counts images and each is flattened:
    ``(N, …)`` gives ``(N, size)``.
    """
    x = _as_array(x, "input")
    batch = _check_bool(batch, "batch", f"cannot flatten a {fmt_shape(x.shape)} input")
    if batch and (x.ndim < 1 or x.shape[0] == 0):
        raise ValueError(f"cannot flatten a {fmt_shape(x.shape)} input as a batch: it has no images "
                         f"(the first axis counts them)")
    _check_budget(lambda: f"cannot flatten a {fmt_shape(x.shape)} input",
                  [("output", (x.size,), x.dtype.itemsize)], work=x.size)
    return x.reshape((x.shape[0], -1) if batch else -1).copy()


def flatten_backward(x_shape: Sequence[int], delta: Any) -> np.ndarray:
    """Backward pass of :func:`flatten`: ``delta`` (∂L/∂flatten(x)) put back in the input's shape.

    ``delta`` is ``(size,)``, or ``(N, size / N)`` for a batch flattened with
    ``batch=True`` (then ``x_shape`` starts with N). The numbers are not changed.
    """
    x_shape = _check_shape_tuple(x_shape, "input shape")
    delta = _as_array(delta, "delta")
    size = int(np.prod(x_shape, dtype=object))
    shapes = [(size,)] + ([(x_shape[0], size // x_shape[0])] if x_shape and x_shape[0] else [])
    if delta.shape not in shapes:
        raise ValueError(f"cannot back-propagate through flattening a {fmt_shape(x_shape)} input: a delta of "
                         f"shape {fmt_shape(delta.shape)} is not the flattened "
                         f"{' or '.join(fmt_shape(s) for s in shapes)}")
    _check_budget(lambda: f"cannot back-propagate through flattening a {fmt_shape(x_shape)} input",
                  [("input gradient", x_shape, delta.dtype.itemsize)], work=size)
    return delta.reshape(x_shape).copy()


def _dense_operands(x: Any, w: Any, ctx_verb: str) -> tuple[np.ndarray, np.ndarray, str]:
    """``x`` (n_in or N×n_in) and ``w`` (n_in×n_out) checked against each other, and the context."""
    x = _as_array(x, "input")
    w = _as_array(w, "weights")
    ctx = f"cannot {ctx_verb} a {fmt_shape(w.shape)} dense layer {'to' if ctx_verb == 'apply' else 'for'} a {fmt_shape(x.shape)} input"
    if w.ndim != 2:
        raise ValueError(f"{ctx}: the weights must be n_in×n_out, not {w.ndim}-D")
    if x.ndim not in (1, 2):
        raise ValueError(f"{ctx}: the input must be a vector n_in or a batch N×n_in, not {x.ndim}-D")
    if 0 in w.shape or 0 in x.shape:
        raise ValueError(f"{ctx}: the {'weights have' if 0 in w.shape else 'input has'} an empty dimension")
    if x.shape[-1] != w.shape[0]:
        raise ValueError(f"{ctx}: the input has {x.shape[-1]} value(s), the layer expects {w.shape[0]}")
    return x, w, ctx


def dense(x: Any, w: Any, b: Any = None) -> np.ndarray:
    """A fully connected layer: ``x @ w + b``.

    ``x``: ``(n_in,)`` or a batch ``(N, n_in)``; ``w``: ``(n_in, n_out)``;
    ``b``: None, a scalar or ``(n_out,)``. Returns ``(n_out,)`` or ``(N, n_out)``.
    Float64 data is one matrix product; anything else (or a product that
    overflowed) is computed as what the layer is, a 1×1 convolution with ``n_out``
    kernels over ``n_in`` channels, with :func:`conv2d`'s guarantees (exact
    integers, no silent overflow, the memory budget).
    """
    x, w, ctx = _dense_operands(x, w, "apply")
    if b is not None:
        b = _as_array(b, "bias")
        if b.ndim not in (0, 1) or (b.ndim == 1 and b.shape != (w.shape[1],)):
            raise ValueError(f"{ctx}: a bias of shape {fmt_shape(b.shape)} does not match the "
                             f"{w.shape[1]} output(s)")
    n_in, n_out = w.shape
    if _float64(x, w, b):  # the common case: one matrix product, kept if nothing overflowed
        _check_budget(ctx, [("output", x.shape[:-1] + (n_out,), 8)], work=x.size * n_out)
        with _quiet():
            out = x @ w if b is None else x @ w + b
        if _finite(out):
            return out
    batch = x.reshape(-1, 1, n_in)  # N×1 "image" with n_in channels
    try:
        out = conv2d(batch, w.reshape(1, 1, n_in, n_out), b)
    except ValueError as exc:  # overflow or budget: say it of the dense layer
        raise ValueError(f"{ctx}: {exc}") from None
    return out.reshape(x.shape[:-1] + (n_out,))


def _float64(*arrays: np.ndarray | None) -> bool:
    return all(a is None or a.dtype == np.float64 for a in arrays)


class DenseGrads(NamedTuple):
    """Gradients of a loss through a dense layer (see :func:`dense_backward`)."""

    dx: np.ndarray   # ∂L/∂x = δ·Wᵀ, the input's shape
    dW: np.ndarray   # ∂L/∂W = xᵀ·δ (summed over the batch), n_in×n_out
    db: np.ndarray   # ∂L/∂b = Σ δ over the batch, (n_out,)


def dense_backward(x: Any, w: Any, delta: Any) -> DenseGrads:
    """Backward pass of :func:`dense`: the gradients w.r.t. the input, the weights and the bias.

    ``x``: the layer's input, ``(n_in,)`` or a batch ``(N, n_in)``; ``w``: ``(n_in, n_out)``;
    ``delta`` = ∂L/∂(x·w + b): ``(n_out,)`` or ``(N, n_out)``. The weight and bias
    gradients are summed over the batch. Float64 data is three matrix products;
    anything else as :func:`conv2d_backward` of the 1×1 convolution that the layer
    is, with its guarantees (exact integers, no silent overflow, the memory budget).
    """
    x, w, ctx = _dense_operands(x, w, "back-propagate through")
    delta = _as_array(delta, "delta")
    n_in, n_out = w.shape
    if delta.shape != x.shape[:-1] + (n_out,):
        raise ValueError(f"{ctx}: a delta of shape {fmt_shape(delta.shape)} does not match the layer's "
                         f"{fmt_shape(x.shape[:-1] + (n_out,))} output")
    if _float64(x, w, delta):  # the common case: three matrix products, kept if nothing overflowed
        _check_budget(ctx, [("input gradient", x.shape, 8), ("weight gradient", w.shape, 8)],
                      work=2 * x.size * n_out)
        x2, d2 = x.reshape(-1, n_in), delta.reshape(-1, n_out)
        with _quiet():
            grads = DenseGrads(dx=(d2 @ w.T).reshape(x.shape), dW=x2.T @ d2, db=d2.sum(axis=0))
        if all(_finite(g) for g in grads):
            return grads
    try:
        grads = conv2d_backward(x.reshape(-1, 1, n_in), w.reshape(1, 1, n_in, n_out), delta.reshape(-1, 1, n_out))
    except ValueError as exc:  # overflow or budget: say it of the dense layer
        raise ValueError(f"{ctx}: {exc}") from None
    return DenseGrads(dx=grads.dX.reshape(x.shape), dW=grads.dW.reshape(n_in, n_out), db=grads.db)


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
