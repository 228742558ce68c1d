"""The shared argument checks of the core: every public function validates with these.

A course tool shows its numbers, so the core refuses what would make one wrong:
non-finite input (NaN, ±inf), arguments of the wrong kind or range, shapes that
do not fit, and work or memory beyond a budget (``_check_budget``), each with a
``ValueError`` naming the argument and the shapes (``3×3×1``, see
:func:`fmt_shape`). Integer arithmetic is exact (``_int_sums_fit``,
``_exact_to_int64``); float arithmetic that overflows its dtype is redone on
power-of-two rescaled operands (``_scaled``, ``_fit_float``).

The subject modules (:mod:`.conv`, :mod:`.pool`, ...) start with their
mathematics; what they share for checking lives here, apart (as SciPy keeps
``_ni_support`` beside ``_filters``).
"""

from __future__ import annotations

import math
import numbers
from functools import lru_cache
from typing import Any, Callable, Iterable, Sequence

import numpy as np

__all__ = ['fmt_shape']


def _fmt(shape: Sequence[Any]) -> str:
    """A shape for an error message, whatever it holds (no validation)."""
    shape = tuple(shape)
    return "×".join(str(d) for d in shape) if shape else "scalar"


def fmt_shape(shape: Any) -> str:
    """Format a shape the notebook's way: ``(3, 3, 1) -> "3×3×1"``.

    Accepts a tuple/list of non-negative ints, a single int, or an array (its
    ``.shape`` is used). The empty shape of a scalar is written ``"scalar"``.
    """
    if type(shape) is tuple and all(type(d) is int and d >= 0 for d in shape):
        return _fmt(shape)  # the common case, fast
    if _is_int(shape):  # before .shape: a NumPy integer has .shape == ()
        shape = (shape,)
    elif isinstance(shape, np.ndarray):
        shape = shape.shape
    elif not isinstance(shape, (tuple, list)):
        raise ValueError(f"fmt_shape needs a shape (a tuple of sizes, a size or an array), "
                         f"got {shape!r}")
    if not all(_is_int(d) and d >= 0 for d in shape):
        raise ValueError(f"fmt_shape: a shape must hold sizes (integers >= 0), got {shape!r}")
    return _fmt(int(d) for d in shape)


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _check_int(value: Any, name: str, minimum: int, context: str = "") -> int:
    """Return ``value`` as an int, or raise if it is not an integer >= minimum."""
    prefix = f"{context}: " if context else ""
    if not _is_int(value):
        raise ValueError(f"{prefix}{name} must be an integer, got {value!r}")
    if value < minimum:
        kind = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"{prefix}{name} must be {kind}, got {value}")
    return int(value)


def _check_bool(value: Any, name: str, context: str = "") -> bool:
    """Return ``value`` as a bool, or raise if it is not ``True``/``False`` (NumPy bools too)."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    prefix = f"{context}: " if context else ""
    raise ValueError(f"{prefix}{name} must be True or False, got {value!r}")


def _check_real(value: Any, name: str, context: str = "") -> float:
    """Return a finite real number (not a bool) as a float, or raise."""
    prefix = f"{context}: " if context else ""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ValueError(f"{prefix}{name} must be a real number, got {value!r}")
    try:
        f = float(value)
    except OverflowError:  # an int beyond float64
        raise ValueError(f"{prefix}{name} {value!r} is too large") from None
    if not math.isfinite(f):
        raise ValueError(f"{prefix}{name} must be finite, got {value!r} "
                         f"(cnnviz.core refuses NaN and ±inf)")
    return f


def _at_least(arr: np.ndarray, threshold: Any) -> np.ndarray:
    """``arr >= threshold`` exactly, for any real dtype and any finite real ``threshold``.

    NumPy casts a Python scalar to the array's dtype before comparing, so a
    threshold beyond a narrow dtype's range overflows (``float16 >= 65520.0``
    warns and compares with inf) and a fractional one is truncated for integers.
    Here integers compare with ``ceil(threshold)`` (all or nothing beyond the
    dtype's range) and floats in float64 against the threshold's nearest float64,
    adjusted by one step when that rounding crossed the true value.
    """
    if arr.dtype.kind in "iu":
        limit = math.ceil(threshold)  # exact for ints, floats and Fractions alike
        info = np.iinfo(arr.dtype)
        if limit > info.max:
            return np.zeros(arr.shape, dtype=bool)
        if limit <= info.min:
            return np.ones(arr.shape, dtype=bool)
        return arr >= arr.dtype.type(limit)
    wide = arr.astype(np.float64, copy=False) if arr.dtype.itemsize < 8 else arr
    nearest = float(threshold)
    if nearest < threshold:  # Python compares a float with an int or a Fraction exactly
        return wide > nearest  # no float lies in (nearest, threshold]: x >= threshold ⟺ x > nearest
    return wide >= nearest  # nearest ≥ threshold and no float lies in [threshold, nearest)


def _first_bad(mask: np.ndarray) -> tuple[int, ...]:
    return tuple(int(k) for k in np.argwhere(mask)[0])


def _distinct(arr: np.ndarray) -> np.ndarray:
    """A view of ``arr`` without its broadcast (stride-0) axes: each stored entry once."""
    if arr.size and 0 in arr.strides:
        return arr[tuple(slice(0, 1) if st == 0 else slice(None) for st in arr.strides)]
    return arr


def _as_array(value: Any, name: str) -> np.ndarray:
    """``np.asarray`` that only accepts finite real numbers; bools become int64.

    NaN and ±inf are refused (the module's non-finite policy), naming ``name``
    and the position of the first one.
    """
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError, OverflowError) as exc:  # ragged nested lists, ...
        raise ValueError(f"{name} is not a rectangular array of numbers") from exc
    kind = arr.dtype.kind
    if kind == "b":
        return arr.astype(np.int64)
    if kind == "f":
        if not _finite(_distinct(arr)):
            idx = _first_bad(~np.isfinite(arr))
            raise ValueError(f"{name} of shape {_fmt(arr.shape)} holds {arr[idx]} at index "
                             f"{idx}: cnnviz.core refuses NaN and ±inf")
        return arr
    if kind not in "iu":
        hint = " (integers beyond 64 bits, None or mixed objects)" if kind == "O" else ""
        raise ValueError(
            f"{name} of shape {_fmt(arr.shape)} must hold real numbers, got dtype {arr.dtype}{hint}"
        )
    return arr


def _check_shape_tuple(shape: Any, name: str) -> tuple[int, ...]:
    """A shape as a tuple of ints >= 0 (a tuple, list, range or 1-D integer array)."""
    if isinstance(shape, np.ndarray) and shape.ndim == 1:
        shape = shape.tolist()
    if not isinstance(shape, (tuple, list, range)):
        raise ValueError(f"{name} must be a tuple of sizes, got {shape!r}")
    if not all(_is_int(d) for d in shape):
        raise ValueError(f"{name} must be a tuple of integer sizes, got {shape!r}")
    shape = tuple(int(d) for d in shape)
    if any(d < 0 for d in shape):
        raise ValueError(f"{name} {shape!r} has a negative size")
    return shape


def _compute_dtype(*arrays: Any) -> np.dtype:
    """Result dtype: ``np.result_type``, but all-integer operands compute in int64.

    Widening avoids silent wrap-around (a uint8 image convolved with a negative
    kernel, or int8 products overflowing); int64 mixed with uint64 stays exact
    integers instead of NumPy's float64. Overflow past int64 itself is caught
    by :func:`_int_sums_fit` (the callers then compute exactly).
    """
    dt = np.result_type(*arrays)
    if dt.kind in "biu" or (dt.kind == "f" and all(np.result_type(a).kind in "biu" for a in arrays)):
        return np.dtype(np.int64)
    return dt


def _scalar(value: Any) -> int | float:
    """A NumPy scalar as a plain Python number (for display)."""
    return value.item() if hasattr(value, "item") else value


def _readonly(arr: np.ndarray) -> np.ndarray:
    arr = np.array(arr)  # own copy
    arr.flags.writeable = False
    return arr


#: The most memory one call may allocate, all its arrays and lists together.
_MEMORY_BUDGET = 1 << 30  # 1 GiB


#: The most elementary operations (multiply-adds, comparisons) one call may do.
_WORK_BUDGET = 1 << 32


#: The most a whole training run may do (its steps are calls, each within the budget above):
#: a few minutes. A step is counted as its multiply-adds plus ``_STEP_WORK`` for its fixed cost.
_TRAINING_WORK_BUDGET = 1 << 36


_STEP_WORK = 1_000_000


#: Bytes per entry of a list of (row, col) tuples, and of an exact Python-int array.
_LIST_ENTRY_BYTES = 120


_OBJECT_ENTRY_BYTES = 40


#: One operation on exact Python ints costs about this many NumPy ones.
_OBJECT_WORK = 50


#: One step of a Python loop that builds a result object costs about this many NumPy ones.
_PYTHON_WORK = 1000


def _approx(n: int | float) -> str:
    return f"{float(n):.3g}" if n < 1e300 else "more than 1e300"


def _fmt_bytes(n: int) -> str:
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{_approx(n // size) if n >= size << 40 else f'{n / size:.1f}'} {unit}"
    return f"{n} bytes"


def _check_budget(context: str | Callable[[], str], items: Iterable[tuple[str, Sequence[int], int]],
                  work: int = 0, training: bool = False) -> None:
    """Refuse, before anything is allocated, a call that needs more than the budget.

    ``items`` are the arrays or lists the call would create, as ``(what, shape,
    bytes per entry)``; ``work`` is the number of elementary operations (a whole
    training run, ``training=True``, has ``_TRAINING_WORK_BUDGET``). Raises
    ``ValueError`` naming the biggest one's shape and the memory (or work) needed,
    after ``context`` (a string, or a function making it, called only on error).
    """
    sizes = [math.prod(shape) * per_entry for _, shape, per_entry in items]
    total = sum(sizes)
    work_budget = _TRAINING_WORK_BUDGET if training else _WORK_BUDGET
    if total <= _MEMORY_BUDGET and work <= work_budget:
        return
    context = context() if callable(context) else context
    if total > _MEMORY_BUDGET:
        nbytes, (what, shape, _) = max(zip(sizes, items), key=lambda pair: pair[0])
        raise ValueError(
            f"{context}: it would need {_fmt_bytes(total)} of memory (the {_fmt(shape)} {what} "
            f"alone is {_fmt_bytes(nbytes)}), more than the {_fmt_bytes(_MEMORY_BUDGET)} one "
            f"cnnviz.core call may use"
        )
    if work > work_budget:
        raise ValueError(
            f"{context}: it would take about {_approx(work)} operations, more than the "
            f"{_approx(work_budget)} one cnnviz.core {'training run' if training else 'call'} may do"
        )


_INT64_MAX = 2**63 - 1


_INT64_MIN = -(2**63)


@lru_cache(maxsize=None)
def _dtype_abs_max(dt: np.dtype) -> int:
    info = np.iinfo(dt)
    return max(-int(info.min), int(info.max))


def _abs_max_int(arr: np.ndarray) -> int:
    """The largest ``|entry|`` of an integer array, as a Python int."""
    if arr.size == 0:
        return 0
    hi = int(np.maximum.reduce(arr, axis=None))
    if arr.dtype.kind == "u":
        return hi
    return max(hi, -int(np.minimum.reduce(arr, axis=None)))


def _int_sums_fit(n_terms: int, factors: Sequence[np.ndarray], extra: Sequence[np.ndarray] = ()) -> bool:
    """True if every sum of ``n_terms`` products (one entry of each array in
    ``factors``) plus one entry of each array in ``extra`` surely fits int64.

    Cheap: a bound from the dtypes first, then from the data.
    """
    for bound in (lambda a: _dtype_abs_max(a.dtype), _abs_max_int):
        total = n_terms
        for a in factors:
            total *= bound(a)
        total += sum(bound(a) for a in extra)
        if total <= _INT64_MAX:
            return True
    return False


def _exact_to_int64(arr: np.ndarray, context: str, operands: str) -> np.ndarray:
    """An array of exact Python ints as int64, or ValueError if an entry does not fit."""
    flat = arr.reshape(-1)
    for k, v in enumerate(flat):
        if not _INT64_MIN <= v <= _INT64_MAX:
            idx = tuple(int(t) for t in np.unravel_index(k, arr.shape))
            raise ValueError(
                f"{context}: the exact result {v} at index {idx} does not fit int64 "
                f"(|value| < 2**63): the {operands} are too large for integer arithmetic; "
                f"pass them as floats for an approximate result"
            )
    return arr.astype(np.int64)


def _wide(dtype: np.dtype) -> np.dtype:
    """The dtype a float computation is redone in: float64, or wider if the data is wider."""
    return np.result_type(dtype, np.float64)


def _exponent(arr: np.ndarray) -> int:
    """``e`` such that ``|ldexp(arr, -e)| <= 1`` everywhere (0 for zeros or an empty array)."""
    if arr.size == 0:
        return 0
    return int(np.frexp(np.max(np.abs(arr)))[1])


def _scaled(arr: Any, dtype: np.dtype) -> tuple[np.ndarray, int]:
    """``(arr / 2**e, e)`` in ``dtype`` (a float dtype), with the result's entries in [-1, 1]."""
    a = np.asarray(arr).astype(dtype)
    e = _exponent(a)
    return np.ldexp(a, -e), e


def _finite(arr: Any) -> bool:
    return bool(np.isfinite(arr).all())


def _fmt_float(value: Any) -> str:
    """A float of any width for a message: 4 significant digits (``6.55e+04``)."""
    return np.format_float_scientific(value, precision=3, trim="-")


def _fit_float(value: Any, dtype: np.dtype, context: str, what: str) -> np.ndarray:
    """``value`` (computed wide) cast to ``dtype``; ValueError if it overflows there."""
    value = np.asarray(value)
    with np.errstate(over="ignore", invalid="ignore"):
        out = value.astype(dtype)
    if not _finite(out):
        idx = _first_bad(~np.isfinite(out))
        shown = value[idx]
        true = (f"beyond {value.dtype} too" if not np.isfinite(shown)
                else f"about {_fmt_float(shown)}")
        where = f" at index {idx}" if idx else ""
        raise ValueError(
            f"{context}: {what}{where} overflows {dtype} (largest {_fmt_float(np.finfo(dtype).max)}); "
            f"the true value is {true}"
        )
    return out


def _quiet():
    """Silence NumPy's overflow warnings where the result is checked right after."""
    return np.errstate(over="ignore", invalid="ignore")


def _float64_array(value: Any, name: str, context: str) -> np.ndarray:
    """A finite real array as float64 (NaN, ±inf and values beyond float64 are refused, naming ``name``)."""
    arr = _as_array(value, name)
    if arr.dtype.kind == "f" and arr.dtype.itemsize > 8:
        with np.errstate(over="ignore"):
            small = arr.astype(np.float64)
    else:
        small = arr.astype(np.float64) if arr.dtype.kind != "f" or arr.dtype != np.float64 else arr
    if not np.isfinite(_distinct(small)).all():
        raise ValueError(f"{context}: the {name} holds NaN, infinity or a value beyond float64")
    return small


def _check_unit(value: Any, name: str, context: str, closed_top: bool = True) -> float:
    """A real number in [0, 1] (``closed_top=False``: [0, 1))."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ValueError(f"{context}: {name} must be a number in [0, 1], got {value!r}")
    try:
        f = float(value)
    except (OverflowError, ValueError):
        raise ValueError(f"{context}: {name} must be a number in [0, 1], got {value!r}") from None
    if not (0.0 <= f <= 1.0) or (not closed_top and f == 1.0):
        raise ValueError(f"{context}: {name} must be a number in [0, 1{']' if closed_top else ')'}, got {value!r}")
    return f


#: Elements an intermediate array of these functions may hold (a 60,000² padded batch would not fit in memory).
_MAX_BATCH_ELEMENTS = 50_000_000


def _check_axes(axis: Any, ndim: int, shape: tuple[int, ...], fn: str) -> tuple[int, ...]:
    axes = (axis,) if _is_int(axis) else tuple(axis) if isinstance(axis, (tuple, list)) else None
    if axes is None or not axes or not all(_is_int(a) and -ndim <= a < ndim for a in axes) \
            or len({a % ndim for a in axes}) != len(axes):
        raise ValueError(f"{fn} axis {axis!r} is not valid for a batch of shape {fmt_shape(shape)}")
    return tuple(int(a) % ndim for a in axes)


def _class_labels(labels: Any, n: int | None, k: int, ctx: str) -> np.ndarray:
    """Class indices 0..k−1 as int64: one per sample (``n`` of them), or a single one (``n is None``)."""
    try:
        arr = np.asarray(labels)
    except (ValueError, TypeError, OverflowError):
        raise ValueError(f"{ctx}: the labels are not a rectangular array of class indices") from None
    if arr.dtype.kind not in "iu":
        raise ValueError(f"{ctx}: the labels must be integer class indices 0..{k - 1}, got dtype {arr.dtype}")
    want = () if n is None else (n,)
    if arr.shape != want:
        raise ValueError(f"{ctx}: labels of shape {fmt_shape(arr.shape)} do not fit: expected "
                         f"{'one class index' if n is None else f'{n} class indices, one per sample'}")
    if arr.size and (int(arr.min()) < 0 or int(arr.max()) >= k):
        bad = arr.reshape(-1)[int(np.argmax((arr.reshape(-1) < 0) | (arr.reshape(-1) >= k)))]
        raise ValueError(f"{ctx}: the label {int(bad)} is not a class index 0..{k - 1}")
    return arr.astype(np.int64)
