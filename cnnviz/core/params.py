"""Parameter counts: what a layer learns.

    convolution   F·F·C·M weights + M biases
    dense         n_in·n_out weights + n_out biases
    pooling       0
    MLP           Σ_l (n_{l−1}·n_l + n_l)
"""

from __future__ import annotations

from typing import Sequence



from .checks import _check_bool, _check_int, _check_shape_tuple
from .pool import _pool_size

__all__ = ['conv_param_terms', 'conv_params', 'dense_params', 'mlp_param_terms', 'mlp_params', 'pool_params']


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
    bias = _check_bool(bias, "bias")
    return (kh * kw * c * m, m if bias else 0)


def pool_params(size: int | tuple[int, int] = 2, c: int = 1) -> int:
    """Parameters of a pooling layer: always 0 (max/average pooling learns nothing)."""
    ctx = "invalid pooling layer"
    _pool_size(size, ctx)
    _check_int(c, "number of channels C", 1, context=ctx)
    return 0


def dense_params(n_in: int, n_out: int, bias: bool = True) -> int:
    """Parameters of a dense layer: ``n_in·n_out + n_out``."""
    n_in = _check_int(n_in, "n_in", 1)
    n_out = _check_int(n_out, "n_out", 1)
    bias = _check_bool(bias, "bias")
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
