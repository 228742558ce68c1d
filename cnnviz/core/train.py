"""Training: the schedule of mini-batch steps.

    steps per epoch = ⌈N / B⌉ (⌊N / B⌋ with ``drop_last``),   updates = steps per epoch × epochs
"""

from __future__ import annotations

from typing import NamedTuple



from .checks import _check_bool, _check_int

__all__ = ['TrainingSchedule', 'training_schedule']


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
