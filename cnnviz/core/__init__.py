"""The numeric core of cnnviz: every number a scene shows is computed here.

NumPy only (no Manim), so it is fast to import and easy to test. One module per
subject, each opening with what it computes:

==================================  ==============================================
:mod:`~cnnviz.core.conv`            convolution: geometry, forward, one step, backward
                                    (one image or a mini-batch)
:mod:`~cnnviz.core.pool`            max and average pooling, and their backward passes
:mod:`~cnnviz.core.activations`     ReLU, softmax, softmax with cross-entropy, backward
:mod:`~cnnviz.core.dense`           flattening, dense layers, MLPs, backward
:mod:`~cnnviz.core.regularization`  dropout (and its backward pass), batch norm, augmentation
:mod:`~cnnviz.core.params`          parameter counts
:mod:`~cnnviz.core.train`           the training schedule; SGD with momentum; the
                                    TinyCNN and the MLP trained by backpropagation
:mod:`~cnnviz.core.checks`          the argument checks they share
==================================  ==============================================

``cnnviz.core`` re-exports every public name: ``from cnnviz import core;
core.conv2d(x, w)``.

Conventions (the notebook's, channels-last):

* an input is ``(H, W)`` or ``(H, W, C)``;
* one kernel is ``(kh, kw)`` or ``(kh, kw, C)``; a bank of ``M`` kernels is
  ``(kh, kw, C, M)`` (usually ``kh == kw == F``);
* "convolution" is the deep-learning one, i.e. cross-correlation: the kernel
  is *not* flipped.

Every bad input raises :class:`ValueError` with a message that names the
offending argument and the shapes involved, written the notebook's way
(``3×3×1``, see :func:`fmt_shape`), so a user never sees a raw NumPy traceback.
All public functions validate with the same private helpers, kept apart in
:mod:`cnnviz.core.checks` so that each subject module opens with its mathematics.

No silent wrong numbers
-----------------------
*Non-finite input is refused.* NaN and ±inf are rejected by every function,
in every argument (arrays such as an input, kernel, bias, delta, mask, gamma
or beta, and numbers such as a pad value, ``eps`` or ``p``): the call raises
``ValueError`` naming the argument and the position of the first bad entry.
A course tool shows its numbers, and a NaN or inf on screen is never a lesson,
only a bug upstream; refusing at the door also lets every function promise:

*Finite input never gives a wrong, wrapped-around, NaN or inf result.*

* Integer arithmetic is exact. It runs in int64 when the result is bounded
  inside int64 (checked from the data), else in exact Python integers; a
  result that does not fit int64 raises ``ValueError`` (pass floats for an
  approximate answer). ``uint64`` data above ``2**63 − 1`` is handled exactly.
* Floating-point arithmetic that overflows in the data's dtype (float16 past
  65504, float32 past 3.4e38, float64 past 1.8e308) is redone in float64 (or
  wider) with power-of-two rescaled operands, which gives the right value
  whenever an intermediate overflowed but the result itself is representable;
  a result that cannot be represented in the dtype raises ``ValueError``.
  Statistics (softmax sums, pooling means, batch-norm mean and variance) are
  computed on rescaled data too, so ``batch_norm`` of huge or tiny values is
  right. Ordinary inputs take the plain fast path, unchanged.

Impossible sizes
----------------
One call may allocate at most ``_MEMORY_BUDGET`` bytes (1 GiB) and do at
most ``_WORK_BUDGET`` elementary operations (2**32, tens of seconds): a
request beyond either (huge padding, a 60000×60000 input, a 10⁵×10⁵
coverage map or window list, a giant dropout mask, ...) is refused by
:func:`_check_budget` *before* anything is allocated, with a ``ValueError``
naming the shape and the memory (or work) it would need.
"""

from __future__ import annotations

from .checks import fmt_shape
from .conv import (
    Connection,
    ConvGeometry,
    ConvGrads,
    ConvStep,
    conv2d,
    conv2d_backward,
    conv2d_batch,
    conv2d_batch_backward,
    conv_connections,
    conv_geometry,
    conv_output_shape,
    conv_step,
    conv_windows,
    coverage_map,
    edge_kernel,
    output_size,
    pad,
)
from .pool import avg_pool, avg_pool_backward, max_pool, max_pool_backward, pool_output_shape, pool_windows
from .activations import SoftmaxCrossEntropy, relu, relu_backward, softmax, softmax_cross_entropy
from .dense import (
    DenseGrads, dense, dense_backward, flatten, flatten_backward, lit_positions, mlp_forward, mlp_init,
    position_overlap,
)
from .regularization import (
    AugmentResult,
    BatchNormResult,
    RunningStats,
    batch_norm,
    batch_norm_eval,
    dropout,
    dropout_backward,
    dropout_mask,
    random_flip_crop,
    running_stats_update,
)
from .params import conv_param_terms, conv_params, dense_params, mlp_param_terms, mlp_params, pool_params
from .train import (
    NetworkGrads, TinyCNNForward, TinyCNNParams, TrainingLog, TrainingRun, TrainingSchedule,
    classify, mlp_gradients, sgd_momentum, tiny_cnn_forward, tiny_cnn_gradients, tiny_cnn_init, train_network,
    training_schedule,
)

__all__ = [
    "AugmentResult",
    "avg_pool",
    "avg_pool_backward",
    "batch_norm",
    "batch_norm_eval",
    "BatchNormResult",
    "Connection",
    "conv2d",
    "conv2d_backward",
    "conv2d_batch",
    "conv2d_batch_backward",
    "conv_connections",
    "conv_geometry",
    "conv_output_shape",
    "conv_param_terms",
    "conv_params",
    "conv_step",
    "conv_windows",
    "ConvGeometry",
    "ConvGrads",
    "ConvStep",
    "coverage_map",
    "dense",
    "dense_backward",
    "DenseGrads",
    "dense_params",
    "dropout",
    "dropout_backward",
    "dropout_mask",
    "edge_kernel",
    "flatten",
    "flatten_backward",
    "fmt_shape",
    "lit_positions",
    "max_pool",
    "max_pool_backward",
    "mlp_forward",
    "mlp_init",
    "mlp_param_terms",
    "mlp_params",
    "output_size",
    "pad",
    "pool_output_shape",
    "pool_params",
    "pool_windows",
    "position_overlap",
    "random_flip_crop",
    "relu",
    "relu_backward",
    "running_stats_update",
    "RunningStats",
    "softmax",
    "softmax_cross_entropy",
    "SoftmaxCrossEntropy",
    "sgd_momentum",
    "classify",
    "mlp_gradients",
    "NetworkGrads",
    "tiny_cnn_forward",
    "tiny_cnn_gradients",
    "tiny_cnn_init",
    "TinyCNNForward",
    "TinyCNNParams",
    "train_network",
    "training_schedule",
    "TrainingLog",
    "TrainingRun",
    "TrainingSchedule",
]
