"""Training: the schedule of mini-batch steps, and mini-batch SGD with momentum on the course's two networks.

    steps per epoch = ⌈N / B⌉ (⌊N / B⌋ with ``drop_last``),   updates = steps per epoch × epochs

One step on a mini-batch (X, y) of B samples:

    forward    every layer in turn, then the loss  L = (1/B) Σ_n −log softmax(z_n)[y_n]
    backward   ∂L/∂θ for every parameter θ: the layers' backward passes in reverse order (the chain rule)
    update     v ← μ·v − η·∂L/∂θ,   θ ← θ + v        (SGD with momentum μ and learning rate η)

The two networks (inputs are pixel values / 255, channels last as everywhere in the core):

    TinyCNN   x (28×28×1) → conv, 4 kernels 3×3 + bias → ReLU → 2×2 max-pool → flatten (13·13·4 = 676)
              → dense 676 → 10 → softmax
    MLP       x (784) → dense 100 → ReLU → dense 100 → ReLU → dense 10 → softmax

Each layer is the core's own function (:func:`~cnnviz.core.conv.conv2d_batch`,
:func:`~cnnviz.core.activations.relu`, :func:`~cnnviz.core.pool.max_pool`, …) and
so is each backward pass; the gradients of the whole networks are checked
against finite differences in the tests. Everything is seeded: the same seed
gives the same run.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple, Sequence

import numpy as np

from .activations import relu, relu_backward, softmax, softmax_cross_entropy
from .checks import (
    _STEP_WORK, _check_bool, _check_budget, _check_int, _check_real, _check_shape_tuple, _check_unit,
    _class_labels, _float64_array, fmt_shape,
)
from .conv import conv2d_batch, conv2d_batch_backward
from .dense import dense, dense_backward, flatten, flatten_backward, mlp_init
from .pool import max_pool, max_pool_backward

__all__ = ['NetworkGrads', 'TinyCNNForward', 'TinyCNNParams', 'TrainingLog', 'TrainingRun',
           'TrainingSchedule', 'classify', 'mlp_gradients', 'sgd_momentum', 'tiny_cnn_forward', 'tiny_cnn_gradients',
           'tiny_cnn_init', 'train_network', 'training_schedule']

NETWORKS = ("tiny_cnn", "mlp")
MLP_SIZES = (784, 100, 100, 10)


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
    drop = _check_bool(drop_last, "drop_last", "training_schedule")
    if bs > n and drop:
        raise ValueError(f"a batch size of {bs} with drop_last leaves no batch of a dataset size of {n}")
    steps = n // bs if drop else -(-n // bs)
    last = bs if drop or n % bs == 0 else n % bs
    return TrainingSchedule(n, bs, ep, steps, last, steps * ep)


# ---------------------------------------------------------------- the TinyCNN
class TinyCNNParams(NamedTuple):
    """The TinyCNN's parameters: 4·9 + 4 for the convolution, 676·10 + 10 for the dense layer."""

    kernels: np.ndarray     # (F, F, 1, M): M kernels F×F over one channel
    conv_bias: np.ndarray   # (M,)
    dense_w: np.ndarray     # (H'·W'·M, K), H'×W' the pooled maps' size, K classes
    dense_b: np.ndarray     # (K,)


class TinyCNNForward(NamedTuple):
    """Every intermediate value of the TinyCNN on a batch of N images (see :func:`tiny_cnn_forward`)."""

    x: np.ndarray       # (N, H, W, 1): the input
    z: np.ndarray       # (N, H − F + 1, W − F + 1, M): the convolution's maps
    a: np.ndarray       # the maps after ReLU
    p: np.ndarray       # (N, H', W', M): after max-pooling
    flat: np.ndarray    # (N, H'·W'·M): flattened, image by image
    logits: np.ndarray  # (N, K)
    probs: np.ndarray   # (N, K): softmax of the logits


def tiny_cnn_init(seed: int = 0, image_shape: Sequence[int] = (28, 28), n_filters: int = 4, kernel_size: int = 3,
                  n_classes: int = 10) -> TinyCNNParams:
    """Seeded random starting parameters of the TinyCNN (He initialisation, zero biases).

    Kernels ~ N(0, 2/(F·F)) (the usual start before a ReLU), dense weights
    ~ N(0, 1/n_in) where n_in is the number of pooled values (2×2 pooling);
    all from ``np.random.default_rng(seed)``.
    """
    ctx = "tiny_cnn_init"
    seed = _check_int(seed, "seed", 0, context=ctx)
    shape = _check_shape_tuple(image_shape, "image shape")
    m = _check_int(n_filters, "number of filters", 1, context=ctx)
    f = _check_int(kernel_size, "kernel size", 1, context=ctx)
    k = _check_int(n_classes, "number of classes", 1, context=ctx)
    if len(shape) != 2 or min(shape) < f + 1:
        raise ValueError(f"{ctx}: a {f}×{f} kernel and 2×2 pooling need an image shape H×W of at least "
                         f"{f + 1}×{f + 1}, got {fmt_shape(shape)}")
    n_in = ((shape[0] - f + 1) // 2) * ((shape[1] - f + 1) // 2) * m
    size = fmt_shape(shape)
    _check_budget(lambda: f"{ctx}: a TinyCNN for image shape {size}, {m} filters and {k} classes",
                  [("dense weights", (n_in, k), 8), ("kernels", (f, f, m), 8)], work=n_in * k + f * f * m)
    rng = np.random.default_rng(seed)
    kernels = rng.normal(0.0, math.sqrt(2.0 / (f * f)), (f, f, 1, m))
    dense_w = rng.normal(0.0, math.sqrt(1.0 / n_in), (n_in, k))
    return TinyCNNParams(kernels, np.zeros(m), dense_w, np.zeros(k))


def _tiny_cnn_params(params: Any) -> TinyCNNParams:
    if isinstance(params, (str, bytes)) or not isinstance(params, Sequence) or len(params) != 4:
        raise ValueError(f"TinyCNN params must be (kernels, conv_bias, dense_w, dense_b), got "
                         f"{type(params).__name__}")
    names = TinyCNNParams._fields
    out = TinyCNNParams(*(_float64_array(v, f"params' {n}", "TinyCNN") for n, v in zip(names, params)))
    if out.kernels.ndim != 4 or out.kernels.shape[2] != 1:
        raise ValueError(f"TinyCNN params: the kernels must be a bank F×F×1×M (M kernels over one channel), got "
                         f"shape {fmt_shape(out.kernels.shape)}")
    return out


def _images(x: Any, what: str, name: str = "images") -> np.ndarray:
    """A batch of images ``(N, H, W)`` or ``(N, H, W, 1)`` as float64 ``(N, H, W, 1)``."""
    x = _float64_array(x, name, what)
    if x.ndim == 4 and x.shape[3] == 1:
        x = x[..., 0]
    if x.ndim != 3 or 0 in x.shape:
        raise ValueError(f"{what}: the {name} must be a batch N×H×W (or N×H×W×1) of gray images, got shape "
                         f"{fmt_shape(x.shape)}")
    return x[..., None]


def tiny_cnn_forward(x: Any, params: Any) -> TinyCNNForward:
    """The TinyCNN on a batch of images ``x`` (``(N, H, W)`` or ``(N, H, W, 1)``, pixel values / 255):
    conv → ReLU → max-pool → flatten → dense → softmax, every intermediate value kept.

    ``params``: :class:`TinyCNNParams` (the pooling window is 2×2). Image ``n`` gives
    the same numbers as the one-image functions: ``conv2d(x[n], kernels, conv_bias)``,
    ``relu``, ``max_pool(·, 2)``, ``flatten``, ``dense(·, dense_w, dense_b)``, ``softmax``.
    """
    what = "cannot run the TinyCNN on these images with these params"
    x4 = _images(x, what)
    pr = _tiny_cnn_params(params)
    try:
        z = conv2d_batch(x4, pr.kernels, pr.conv_bias)
        a = relu(z)
        p = max_pool(a, 2)
        flat = flatten(p, batch=True)
        logits = dense(flat, pr.dense_w, pr.dense_b)
    except ValueError as exc:
        raise ValueError(f"{what}: {exc}") from None
    return TinyCNNForward(x4, z, a, p, flat, logits, softmax(logits, axis=-1))


class NetworkGrads(NamedTuple):
    """One step's forward and backward pass: the mean loss, the probabilities, and ∂loss/∂θ for every
    parameter (the params' structure: :class:`TinyCNNParams`, or ``[(dW, db), …]`` for an MLP)."""

    loss: float
    probs: np.ndarray
    grads: Any


def tiny_cnn_gradients(x: Any, labels: Any, params: Any) -> NetworkGrads:
    """The TinyCNN's loss on a batch (images ``x``, true classes ``labels``) and its gradient w.r.t.
    every parameter, by backpropagation through the core's backward passes::

        dz     = (p − y) / N                            softmax_cross_entropy
        dense  → d flat, dW, db                         dense_backward
        flat   → d pooled                               flatten_backward
        pool   → d ReLU output (to each window's max)   max_pool_backward
        ReLU   → d conv output                          relu_backward
        conv   → d kernels, d conv bias                 conv2d_batch_backward
    """
    f = tiny_cnn_forward(x, params)
    pr = _tiny_cnn_params(params)
    what = "cannot back-propagate through the TinyCNN with these labels"
    try:
        ce = softmax_cross_entropy(f.logits, labels)
    except ValueError as exc:
        raise ValueError(f"{what}: {exc}") from None
    g_dense = dense_backward(f.flat, pr.dense_w, ce.dz)
    d_pooled = flatten_backward(f.p.shape, g_dense.dx)
    d_relu = max_pool_backward(f.a, d_pooled, 2)
    d_conv = relu_backward(f.z, d_relu)
    g_conv = conv2d_batch_backward(f.x, pr.kernels, d_conv)
    grads = TinyCNNParams(g_conv.dW, np.asarray(g_conv.db).reshape(pr.conv_bias.shape), g_dense.dW, g_dense.db)
    return NetworkGrads(ce.loss, ce.probs, grads)


# ---------------------------------------------------------------- the MLP
def _mlp_params(params: Any) -> list[tuple[np.ndarray, np.ndarray]]:
    if isinstance(params, (str, bytes)) or not isinstance(params, Sequence) or not params:
        raise ValueError(f"MLP params must be a non-empty list of (W, b) pairs, one per layer, got "
                         f"{type(params).__name__}")
    out = []
    for k, pair in enumerate(params):
        if isinstance(pair, (str, bytes)) or not isinstance(pair, Sequence) or len(pair) != 2:
            raise ValueError(f"MLP params: layer {k + 1} must be a (W, b) pair, got {type(pair).__name__}")
        out.append((_float64_array(pair[0], f"weights of layer {k + 1}", "MLP params"),
                    _float64_array(pair[1], f"biases of layer {k + 1}", "MLP params")))
    return out


def _mlp_layers(a: np.ndarray, layers: list[tuple[np.ndarray, np.ndarray]], what: str):
    """The MLP's forward pass on a batch: the pre-activations ``z_l`` of every layer (the last are the
    logits) and the activations ``[x, a_1, …, a_{L−1}]`` that feed each layer."""
    zs, acts = [], [a]
    try:
        for k, (w, b) in enumerate(layers):
            zs.append(dense(acts[-1], w, b))
            if k < len(layers) - 1:
                acts.append(relu(zs[-1]))
    except ValueError as exc:
        raise ValueError(f"{what}: {exc}") from None
    return zs, acts


def mlp_gradients(x: Any, labels: Any, params: Any) -> NetworkGrads:
    """An MLP's loss on a batch of flat inputs ``x`` (``(N, n_in)``) with true classes ``labels``,
    and its gradient w.r.t. every layer's ``(W, b)``, by backpropagation::

        forward    z_l = dense(a_{l−1}, W_l, b_l),  a_l = ReLU(z_l) (the last layer: the logits z_L)
        backward   δ_L = (p − y) / N;  dW_l, db_l, d a_{l−1} = dense_backward(a_{l−1}, W_l, δ_l);
                   δ_{l−1} = relu_backward(z_{l−1}, d a_{l−1})

    ``params``: ``[(W, b), …]`` as :func:`~cnnviz.core.dense.mlp_init` makes them. Image by
    image the probabilities are :func:`~cnnviz.core.dense.mlp_forward`'s last activations.
    """
    what = "cannot run the MLP on these inputs with these params"
    a = _float64_array(x, "inputs", what)
    if a.ndim != 2 or 0 in a.shape:
        raise ValueError(f"{what}: the inputs must be a batch N×n of flat vectors, got shape {fmt_shape(a.shape)}")
    layers = _mlp_params(params)
    zs, acts = _mlp_layers(a, layers, what)
    try:
        ce = softmax_cross_entropy(zs[-1], labels)
    except ValueError as exc:
        raise ValueError(f"{what}: {exc}") from None
    grads: list[tuple[np.ndarray, np.ndarray]] = [None] * len(layers)  # type: ignore[list-item]
    delta = ce.dz
    for k in range(len(layers) - 1, -1, -1):
        g = dense_backward(acts[k], layers[k][0], delta)
        grads[k] = (g.dW, g.db)
        if k:
            delta = relu_backward(zs[k - 1], g.dx)
    return NetworkGrads(ce.loss, ce.probs, grads)


# ---------------------------------------------------------------- the update and the loop
def sgd_momentum(params: Sequence[Any], grads: Sequence[Any], velocity: Sequence[Any], lr: float,
                 momentum: float = 0.9) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """One SGD-with-momentum update of a list of parameter arrays::

        v ← momentum · v − lr · g,      θ ← θ + v

    ``params``, ``grads`` and ``velocity`` are lists of arrays of matching shapes
    (``velocity`` starts as zeros). Returns the new ``(params, velocity)``; nothing
    is changed in place. With ``momentum = 0`` it is plain gradient descent.
    """
    ctx = "sgd_momentum"
    lr = _check_real(lr, "the learning rate lr", ctx)
    if lr <= 0:
        raise ValueError(f"{ctx}: the learning rate lr must be > 0, got {lr!r}")
    mu = _check_unit(momentum, "the momentum", ctx, closed_top=False)
    lists = []
    for name, value in (("params", params), ("grads", grads), ("velocity", velocity)):
        if isinstance(value, (str, bytes, np.ndarray)) or not isinstance(value, Sequence):
            raise ValueError(f"{ctx}: {name} must be a list of arrays, got {type(value).__name__}")
        lists.append([_float64_array(v, f"{name} entry {k}", ctx) for k, v in enumerate(value)])
    p, g, v = lists
    if not (len(p) == len(g) == len(v)) or any(a.shape != b.shape or a.shape != c.shape for a, b, c in zip(p, g, v)):
        raise ValueError(f"{ctx}: params, grads and velocity must hold arrays of the same shapes, got "
                         f"{[fmt_shape(a.shape) for a in p]}, {[fmt_shape(a.shape) for a in g]} and "
                         f"{[fmt_shape(a.shape) for a in v]}")
    new_v, new_p = [], []
    with np.errstate(all="ignore"):
        for pk, gk, vk in zip(p, g, v):
            new_v.append(mu * vk - lr * gk)
            new_p.append(pk + new_v[-1])
    if not all(np.isfinite(a).all() for a in new_v + new_p):
        raise ValueError(f"{ctx}: the update overflows float64 (params, grads or velocity too large for the "
                         f"learning rate lr = {lr!r} and momentum {mu!r})")
    return new_p, new_v


class TrainingLog(NamedTuple):
    """What a training run recorded (see :func:`train_network`).

    Every ``log_every`` updates: the mean loss and the accuracy over the mini-batches
    since the last entry, and the held-out accuracy at that step (if a held-out set
    was given). The TinyCNN's kernels at ``snapshot_steps`` (from 0, the random
    start, to the last update).
    """

    steps: np.ndarray           # (K,) int: updates done at each entry
    loss: np.ndarray            # (K,) mean training loss of the batches since the previous entry
    accuracy: np.ndarray        # (K,) their accuracy (fraction of samples classified right)
    val_accuracy: np.ndarray    # (K,) held-out accuracy after steps[k] updates (empty without a held-out set)
    snapshot_steps: np.ndarray  # (S,) int
    kernels: np.ndarray         # (S, F, F, 1, M): the TinyCNN's kernels then ((0,) for the MLP)


class TrainingRun(NamedTuple):
    """A trained network: its final parameters and the log of its training."""

    network: str
    params: Any                 # TinyCNNParams, or [(W, b), …] for the MLP
    log: TrainingLog


def _flat(network: str, params: Any) -> list[np.ndarray]:
    if network == "tiny_cnn":
        return list(params)
    return [a for pair in params for a in pair]


def _unflat(network: str, arrays: list[np.ndarray]) -> Any:
    if network == "tiny_cnn":
        return TinyCNNParams(*arrays)
    return [(arrays[k], arrays[k + 1]) for k in range(0, len(arrays), 2)]


def _network(network: Any) -> str:
    if not isinstance(network, str) or network not in NETWORKS:
        raise ValueError(f"unknown network {network!r}: choose one of {', '.join(NETWORKS)}")
    return network


def _inputs(network: str, images: Any, what: str, name: str = "images") -> np.ndarray:
    """Images ``(N, 28, 28)`` as each network takes them: ``(N, H, W, 1)``, or flattened ``(N, H·W)``."""
    x = _images(images, what, name)
    return x if network == "tiny_cnn" else x.reshape(x.shape[0], -1)


def classify(network: str, params: Any, images: Any) -> np.ndarray:
    """The class probabilities ``(N, K)`` a network gives a batch of images ``(N, H, W)`` (pixel values / 255).

    ``network``: ``"tiny_cnn"`` (``params``: :class:`TinyCNNParams`) or ``"mlp"``
    (``params``: ``[(W, b), …]``; each image is flattened row by row first).
    """
    network = _network(network)
    return _probs(network, params, _inputs(network, images, f"cannot classify these images with the {network}"))


def _probs(network: str, params: Any, x: np.ndarray) -> np.ndarray:
    """:func:`classify` of inputs already shaped for the network."""
    if network == "tiny_cnn":
        return tiny_cnn_forward(x, params).probs
    zs, _ = _mlp_layers(x, _mlp_params(params), "cannot classify these images with the MLP and these params")
    return softmax(zs[-1], axis=-1)


def _held_out_accuracy(network: str, params: Any, val: tuple[np.ndarray, np.ndarray]) -> float:
    """The share of the held-out images ``val = (inputs, labels)`` that ``params`` classify right."""
    return float((_probs(network, params, val[0]).argmax(axis=1) == val[1]).mean())


def _snapshot_steps(total: int, count: int) -> np.ndarray:
    """``count`` steps from 0 to ``total``, spaced evenly on a log scale (most change is early)."""
    if count <= 1 or total == 0:
        return np.array([0, total][:max(count, 1)] if total else [0], dtype=np.int64)
    inner = np.unique(np.round(np.geomspace(1, total, count - 1)).astype(np.int64))
    return np.unique(np.concatenate([[0], inner, [total]]))


def _sample_work(network: str, x: np.ndarray, params: Any) -> int:
    """Multiply-adds of one sample's forward and backward pass (about 3× the forward's)."""
    if network == "tiny_cnn":
        k = np.shape(params[0])
        conv = (x.shape[1] - k[0] + 1) * (x.shape[2] - k[1] + 1) * int(np.prod(k))
        return 3 * (conv + int(np.prod(np.shape(params[2]))))
    return 3 * sum(int(np.prod(np.shape(pair[0]))) for pair in params)


def train_network(network: str, images: Any, labels: Any, epochs: int = 3, batch_size: int = 64,
                  lr: float = 0.05, momentum: float = 0.9, seed: int = 0, log_every: int = 20,
                  val_images: Any = None, val_labels: Any = None, snapshots: int = 8) -> TrainingRun:
    """Train ``network`` (``"tiny_cnn"`` or ``"mlp"``, the course's sizes) by mini-batch SGD with momentum.

    ``images``: ``(N, 28, 28)`` pixel values / 255 (any finite values), ``labels``: their
    classes 0–9. Each epoch visits the samples in a new random order, ``batch_size``
    at a time (the last batch may be smaller); each batch is one update
    (:func:`sgd_momentum`). The starting parameters are :func:`tiny_cnn_init` or
    :func:`~cnnviz.core.dense.mlp_init` of ``seed``; the order of the samples comes from
    ``seed`` too, so a run is reproducible. Every ``log_every`` updates the log
    records the training loss and accuracy since the previous entry and, with
    ``val_images``/``val_labels``, the held-out accuracy; the TinyCNN's kernels are
    kept at ``snapshots`` steps (see :class:`TrainingLog`). A learning rate so large
    that the numbers overflow is reported as a ``ValueError``, and so is a run beyond
    the training budget (about 2³⁶ operations, a few minutes: the course's run is a
    twentieth of it), before it starts.
    """
    network = _network(network)
    what = f"cannot train the {network} on these images"
    epochs = _check_int(epochs, "number of epochs", 1, context=what)
    batch_size = _check_int(batch_size, "batch size", 1, context=what)
    seed = _check_int(seed, "seed", 0, context=what)
    log_every = _check_int(log_every, "log_every", 1, context=what)
    snapshots = _check_int(snapshots, "number of snapshots", 1, context=what)
    _check_real(lr, "the learning rate lr", what)
    if not lr > 0:
        raise ValueError(f"{what}: the learning rate lr must be > 0, got {lr!r}")
    _check_unit(momentum, "the momentum", what, closed_top=False)
    x = _inputs(network, images, what)
    n = x.shape[0]
    y = _class_labels(labels, n, MLP_SIZES[-1], what)
    val = None
    if (val_images is None) != (val_labels is None):
        raise ValueError(f"{what}: give both val_images and val_labels (the held-out set), or neither")
    if val_images is not None:
        vx = _inputs(network, val_images, what, "held-out images")
        if vx.shape[1:] != x.shape[1:]:
            raise ValueError(f"{what}: held-out images of shape {fmt_shape(vx.shape[1:])} are not the training "
                             f"images' {fmt_shape(x.shape[1:])}")
        val = (vx, _class_labels(val_labels, vx.shape[0], MLP_SIZES[-1], what + " (held-out labels)"))
    params = (tiny_cnn_init(seed, image_shape=x.shape[1:3]) if network == "tiny_cnn"
              else mlp_init((x.shape[1],) + MLP_SIZES[1:], seed))
    schedule = training_schedule(n, min(batch_size, n), epochs)
    steps = schedule.total_updates
    per_sample = _sample_work(network, x, params)
    val_n = 0 if val is None else val[0].shape[0]
    _check_budget(lambda: f"{what}: {epochs} epochs of {n} images, batch size {batch_size}", [],
                  work=steps * (_STEP_WORK + min(batch_size, n) * per_sample)
                  + (steps // log_every + 1) * val_n * per_sample // 3, training=True)
    grad_fn = tiny_cnn_gradients if network == "tiny_cnn" else mlp_gradients
    order_rng = np.random.default_rng([seed, 1])
    theta = _flat(network, params)
    velocity = [np.zeros_like(a) for a in theta]
    snap_at = set(_snapshot_steps(steps, min(snapshots, steps + 1)).tolist())
    log_steps, log_loss, log_acc, log_val, snap_steps, snap_kernels = [], [], [], [], [], []
    since_loss, since_right, since_n = 0.0, 0, 0
    step = 0
    if network == "tiny_cnn" and 0 in snap_at:
        snap_steps.append(0)
        snap_kernels.append(theta[0].copy())
    if val is not None:
        val_top = float(np.max(np.abs(val[0])))  # named if the held-out set overflows the network
        # The held-out set through the starting network: a set that overflows it is said before training.
        try:
            _held_out_accuracy(network, params, val)
        except ValueError as exc:
            raise ValueError(f"{what}: the held-out images (val_images, values up to {val_top:.3g}) cannot be "
                             f"classified: {exc}") from None
    for _ in range(epochs):
        order = order_rng.permutation(n)
        for lo in range(0, n, schedule.batch_size):
            idx = order[lo:lo + schedule.batch_size]
            try:
                out = grad_fn(x[idx], y[idx], _unflat(network, theta))
                theta, velocity = sgd_momentum(theta, _flat(network, out.grads), velocity, lr, momentum)
            except ValueError as exc:
                if step == 0:  # the data or the start: say it as it is
                    raise
                raise ValueError(f"{what}: training diverged at step {step} (learning rate lr = {lr!r}, momentum "
                                 f"{momentum!r}, batch size {batch_size}): {exc}") from None
            step += 1
            since_loss += out.loss * len(idx)
            since_right += int((out.probs.argmax(axis=1) == y[idx]).sum())
            since_n += len(idx)
            if step % log_every == 0 or step == steps:
                log_steps.append(step)
                log_loss.append(since_loss / since_n)
                log_acc.append(since_right / since_n)
                since_loss, since_right, since_n = 0.0, 0, 0
                if val is not None:
                    try:
                        log_val.append(_held_out_accuracy(network, _unflat(network, theta), val))
                    except ValueError as exc:
                        # They went through the starting network: the images are too large for the updated
                        # parameters, or training diverged. Both are said.
                        raise ValueError(
                            f"{what}: at step {step} the held-out images (val_images, values up to {val_top:.3g}) "
                            f"overflow the network: they are too large, or training diverged (learning rate "
                            f"lr = {lr!r}, momentum {momentum!r}): {exc}") from None
            if network == "tiny_cnn" and step in snap_at:
                snap_steps.append(step)
                snap_kernels.append(theta[0].copy())
    kernels = np.array(snap_kernels) if snap_kernels else np.zeros((0,))
    log = TrainingLog(np.array(log_steps, dtype=np.int64), np.array(log_loss), np.array(log_acc),
                      np.array(log_val), np.array(snap_steps, dtype=np.int64), kernels)
    return TrainingRun(network, _unflat(network, theta), log)
