"""The course's trained networks, as the scenes use them (read once, cached; NumPy only, no Manim).

``cnnviz/assets/trained.npz`` is made by ``python -m cnnviz.train`` (see
:mod:`cnnviz.train`): both networks trained on :mod:`cnnviz.digits`. Inputs are
28×28 images as pixel value / 255 (channels last), as in the scenes.

>>> from cnnviz import trained, images
>>> trained.probabilities(images.digit(5)).argmax()          # the TinyCNN
5
>>> trained.probabilities(images.digit(5), "mlp").argmax()   # the MLP 784 → 100 → 100 → 10
5

* :func:`tiny_cnn` — :class:`cnnviz.core.TinyCNNParams`: ``kernels`` (3, 3, 1, 4),
  ``conv_bias`` (4,), ``dense_w`` (676, 10), ``dense_b`` (10,). The forward pass is
  ``conv2d(x, kernels, conv_bias)`` → ``relu`` → ``max_pool(·, 2)`` → ``flatten``
  → ``dense(·, dense_w, dense_b)`` → ``softmax`` with ``x = image[:, :, None] / 255``.
* :func:`mlp` — ``[(W1, b1), (W2, b2), (W3, b3)]``: 784×100, 100×100, 100×10, for
  :func:`cnnviz.core.mlp_forward` of ``image.reshape(-1) / 255``.
* :func:`log` — the :class:`cnnviz.core.TrainingLog` of a network's training: loss
  and accuracy every few updates, held-out accuracy at the same steps, and the
  TinyCNN's kernels from the random start to the end.
* :func:`held_out_accuracy`, :func:`info` — the final held-out accuracy; how the file was made.

Arrays are float64 (the stored float32 values, exactly) and read-only.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import numpy as np

from cnnviz import core
from cnnviz.core.train import MLP_SIZES, NETWORKS
from cnnviz.images import ASSETS

__all__ = ["PATH", "tiny_cnn", "mlp", "params", "log", "held_out_accuracy", "info", "probabilities"]

PATH = ASSETS / "trained.npz"


@lru_cache(maxsize=None)
def _arrays() -> dict[str, np.ndarray]:
    if not PATH.exists():
        raise FileNotFoundError(f"{PATH} is missing: make it with `python -m cnnviz.train`")
    with np.load(PATH, allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def _get(key: str) -> np.ndarray:
    value = _arrays()[key]
    out = value.astype(np.float64) if value.dtype.kind == "f" else value.copy()
    out.flags.writeable = False
    return out


def _network(network: str) -> str:
    if network not in NETWORKS:
        raise ValueError(f"unknown network {network!r}: choose one of {', '.join(NETWORKS)}")
    return network


@lru_cache(maxsize=None)
def tiny_cnn() -> core.TinyCNNParams:
    """The trained TinyCNN: kernels (3, 3, 1, 4), conv_bias (4,), dense_w (676, 10), dense_b (10,)."""
    return core.TinyCNNParams(*(_get(f"tiny_cnn.{name}") for name in core.TinyCNNParams._fields))


@lru_cache(maxsize=None)
def mlp() -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """The trained MLP 784 → 100 → 100 → 10: ``((W1, b1), (W2, b2), (W3, b3))``, ``W`` is n_in × n_out."""
    layers = len(MLP_SIZES) - 1
    return tuple((_get(f"mlp.W{k}"), _get(f"mlp.b{k}")) for k in range(1, layers + 1))


def params(network: str = "tiny_cnn") -> Any:
    """:func:`tiny_cnn` or :func:`mlp`, by name."""
    return tiny_cnn() if _network(network) == "tiny_cnn" else mlp()


@lru_cache(maxsize=None)
def log(network: str = "tiny_cnn") -> core.TrainingLog:
    """The training log of ``network`` (``"tiny_cnn"`` or ``"mlp"``), see :class:`cnnviz.core.TrainingLog`.

    ``steps`` (K,), ``loss`` (K,), ``accuracy`` (K,), ``val_accuracy`` (K,): every few
    updates; ``snapshot_steps`` (S,) and ``kernels`` (S, 3, 3, 1, 4) for the TinyCNN
    (empty for the MLP).
    """
    network = _network(network)
    return core.TrainingLog(*(_get(f"{network}.log.{f}") for f in core.TrainingLog._fields))


def held_out_accuracy(network: str = "tiny_cnn") -> float:
    """The stored weights' accuracy on the held-out digits logged during training (never trained on)."""
    return float(_arrays()[f"{_network(network)}.held_out_accuracy"])


@lru_cache(maxsize=None)
def _info() -> str:
    return str(_arrays()["info"][()])


def info() -> dict:
    """How the file was made: ``options`` (seed, sizes, hyper-parameters), the digit styles and
    augmentation, the command that reproduces it, and the environment (versions)."""
    return json.loads(_info())


def probabilities(image: Any, network: str = "tiny_cnn") -> np.ndarray:
    """The 10 class probabilities the trained ``network`` gives one 28×28 image of 0..255 values."""
    img = np.asarray(image)
    if img.shape != (28, 28):
        raise ValueError(f"the trained networks take one 28×28 image, got shape {core.fmt_shape(img.shape)}")
    return core.classify(_network(network), params(network), img[None] / 255.0)[0]
