"""The numeric core of cnnviz: every number a scene shows is computed here.

NumPy only (no Manim), so it is fast to import and easy to test.

Conventions (the notebook's, channels-last):

* an input is ``(H, W)`` or ``(H, W, C)``;
* one kernel is ``(kh, kw)`` or ``(kh, kw, C)``; a bank of ``M`` kernels is
  ``(kh, kw, C, M)`` (usually ``kh == kw == F``);
* "convolution" is the deep-learning one, i.e. cross-correlation: the kernel
  is *not* flipped.

Every bad input raises :class:`ValueError` with a message that names the
offending argument and the shapes involved, written the notebook's way
(``3×3×1``, see :func:`fmt_shape`), so a user never sees a raw NumPy traceback.
All public functions validate with the same private helpers (``_as_array``,
``_check_int``, ``_check_bool``, ``_check_real``, ``_check_shape_tuple``,
``_check_budget``, ...).

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

import math
import numbers
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Iterable, NamedTuple, Sequence

import numpy as np
from numpy.lib.stride_tricks import as_strided

__all__ = [
    "AugmentResult",
    "BatchNormResult",
    "ConvGeometry",
    "ConvGrads",
    "ConvStep",
    "Connection",
    "RunningStats",
    "TrainingSchedule",
    "avg_pool",
    "batch_norm",
    "batch_norm_eval",
    "conv2d",
    "conv2d_backward",
    "conv_connections",
    "conv2d_batch",
    "conv_geometry",
    "conv_output_shape",
    "conv_param_terms",
    "conv_params",
    "conv_step",
    "conv_windows",
    "coverage_map",
    "dense",
    "dense_params",
    "dropout",
    "dropout_mask",
    "edge_kernel",
    "flatten",
    "fmt_shape",
    "lit_positions",
    "max_pool",
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
    "running_stats_update",
    "softmax",
    "training_schedule",
]


# ----------------------------------------------------------------------------
# Formatting and validation helpers
# ----------------------------------------------------------------------------


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


# ----------------------------------------------------------------------------
# The memory and work budget
# ----------------------------------------------------------------------------

#: The most memory one call may allocate, all its arrays and lists together.
_MEMORY_BUDGET = 1 << 30  # 1 GiB
#: The most elementary operations (multiply-adds, comparisons) one call may do.
_WORK_BUDGET = 1 << 32
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
                  work: int = 0) -> None:
    """Refuse, before anything is allocated, a call that needs more than the budget.

    ``items`` are the arrays or lists the call would create, as ``(what, shape,
    bytes per entry)``; ``work`` is the number of elementary operations. Raises
    ``ValueError`` naming the biggest one's shape and the memory (or work) needed,
    after ``context`` (a string, or a function making it, called only on error).
    """
    sizes = [math.prod(shape) * per_entry for _, shape, per_entry in items]
    total = sum(sizes)
    if total <= _MEMORY_BUDGET and work <= _WORK_BUDGET:
        return
    context = context() if callable(context) else context
    if total > _MEMORY_BUDGET:
        nbytes, (what, shape, _) = max(zip(sizes, items), key=lambda pair: pair[0])
        raise ValueError(
            f"{context}: it would need {_fmt_bytes(total)} of memory (the {_fmt(shape)} {what} "
            f"alone is {_fmt_bytes(nbytes)}), more than the {_fmt_bytes(_MEMORY_BUDGET)} one "
            f"cnnviz.core call may use"
        )
    if work > _WORK_BUDGET:
        raise ValueError(
            f"{context}: it would take about {_approx(work)} operations, more than the "
            f"{_approx(_WORK_BUDGET)} one cnnviz.core call may do"
        )


# ----------------------------------------------------------------------------
# Exact integers and overflow-free floats
# ----------------------------------------------------------------------------

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


# ----------------------------------------------------------------------------
# Sizes and padding
# ----------------------------------------------------------------------------


def output_size(n: int, f: int, p: int = 0, s: int = 1) -> int:
    """Output size along one axis: ``⌊(N − F + 2P) / S⌋ + 1``.

    ``n`` input size, ``f`` kernel (or window) size, ``p`` padding, ``s`` stride.
    """
    n = _check_int(n, "input size N", 1)
    f = _check_int(f, "kernel size F", 1)
    p = _check_int(p, "padding P", 0)
    s = _check_int(s, "stride S", 1)
    if f > n + 2 * p:
        raise ValueError(
            f"a kernel of size {f} does not fit an input of size {n} with padding {p} "
            f"(padded size {n + 2 * p})"
        )
    return (n - f + 2 * p) // s + 1


def _check_pad_value(value: Any, dtype: np.dtype, context: str) -> int | float:
    """A pad value that ``dtype`` stores without change (finite; integral and in range for ints)."""
    f = _check_real(value, "pad value", context)
    if dtype.kind in "iu":
        if not f.is_integer():
            raise ValueError(f"{context}: pad value {value!r} is not an integer, but the input "
                             f"holds {dtype} integers")
        v = int(value) if _is_int(value) else int(f)
        info = np.iinfo(dtype)
        if not info.min <= v <= info.max:
            raise ValueError(f"{context}: pad value {value!r} does not fit the input's dtype "
                             f"{dtype} ({info.min}..{info.max})")
        return v
    if abs(f) > float(np.finfo(dtype).max):
        raise ValueError(f"{context}: pad value {value!r} overflows the input's dtype {dtype}")
    return f


def _pad_spatial(x: np.ndarray, p: int, value: Any = 0) -> np.ndarray:
    """``x`` (``H×W…``) padded by ``p`` on both spatial axes, C-contiguous like ``np.pad``'s
    output (einsum's summation order, so the last bits of a float sum, depend on the strides);
    ``x`` itself when ``p == 0`` and it is contiguous already."""
    if p == 0:
        return np.ascontiguousarray(x)
    H, W = x.shape[:2]
    shape = (H + 2 * p, W + 2 * p) + x.shape[2:]
    out = np.zeros(shape, dtype=x.dtype) if value == 0 else np.full(shape, value, dtype=x.dtype)
    out[p:p + H, p:p + W] = x
    return out


def pad(x: Any, p: int, value: float = 0.0) -> np.ndarray:
    """Pad the two spatial axes of an ``(H, W)`` or ``(H, W, C)`` array by ``p`` on every side.

    The dtype of ``x`` is kept; ``value`` must be stored in it unchanged (an
    integer in range for integer data, no overflow for floats).
    """
    x = _as_array(x, "input")
    if x.ndim not in (2, 3):
        raise ValueError(
            f"can only pad an H×W or H×W×C input, got a {x.ndim}-D array of shape {fmt_shape(x.shape)}"
        )
    ctx = f"cannot pad a {fmt_shape(x.shape)} input"
    p = _check_int(p, "padding", 0, context=ctx)
    value = _check_pad_value(value, x.dtype, ctx)
    shape = (x.shape[0] + 2 * p, x.shape[1] + 2 * p) + x.shape[2:]
    _check_budget(f"{ctx} with padding {p}", [("padded input", shape, x.dtype.itemsize)],
                  work=math.prod(shape))
    out = _pad_spatial(x, p, value)
    return out.copy() if out is x else out


# ----------------------------------------------------------------------------
# Convolution geometry
# ----------------------------------------------------------------------------


class ConvGeometry(NamedTuple):
    """Everything about a convolution that depends only on shapes."""

    in_shape: tuple[int, ...]  # as given: (H, W) or (H, W, C)
    k_shape: tuple[int, ...]  # as given: (kh, kw), (kh, kw, C) or (kh, kw, C, M)
    H: int
    W: int
    C: int
    kh: int
    kw: int
    M: int
    single: bool  # one kernel (output H'×W') rather than a bank (output H'×W'×M)
    stride: int
    padding: int
    out_h: int
    out_w: int

    @property
    def out_shape(self) -> tuple[int, ...]:
        """``(H', W')`` for a single kernel, ``(H', W', M)`` for a bank."""
        if self.single:
            return (self.out_h, self.out_w)
        return (self.out_h, self.out_w, self.M)

    @property
    def padded_shape(self) -> tuple[int, int]:
        return (self.H + 2 * self.padding, self.W + 2 * self.padding)

    @property
    def kernel_noun(self) -> str:
        return "kernel" if self.single else "kernel bank"


def conv_geometry(in_shape: Sequence[int], k_shape: Sequence[int], stride: int = 1,
                  padding: int = 0) -> ConvGeometry:
    """Validate the shapes of a convolution and work out its geometry.

    Raises ``ValueError`` (naming the shapes) for a wrong number of dimensions,
    empty or negative dimensions, a channel mismatch, a bad stride or padding,
    or a kernel larger than the padded input.
    """
    in_shape = _check_shape_tuple(in_shape, "input shape")
    k_shape = _check_shape_tuple(k_shape, "kernel shape")
    if len(in_shape) not in (2, 3):
        raise ValueError(
            f"a convolution input must be H×W or H×W×C, got a {len(in_shape)}-D input "
            f"of shape {fmt_shape(in_shape)}"
        )
    if len(k_shape) not in (2, 3, 4):
        raise ValueError(
            f"a convolution kernel must be F×F, F×F×C or a bank F×F×C×M, got a "
            f"{len(k_shape)}-D kernel of shape {fmt_shape(k_shape)}"
        )
    single = len(k_shape) < 4
    noun = "kernel" if single else "kernel bank"
    ctx = f"cannot convolve a {fmt_shape(in_shape)} input with a {fmt_shape(k_shape)} {noun}"
    if 0 in in_shape:
        raise ValueError(f"{ctx}: the input has an empty dimension")
    if 0 in k_shape:
        raise ValueError(f"{ctx}: the {noun} has an empty dimension")
    H, W = in_shape[:2]
    C = in_shape[2] if len(in_shape) == 3 else 1
    kh, kw = k_shape[:2]
    kc = k_shape[2] if len(k_shape) >= 3 else 1
    M = k_shape[3] if len(k_shape) == 4 else 1
    if kc != C:
        raise ValueError(f"{ctx}: the input has {C} channel(s), the kernel {kc}")
    stride = _check_int(stride, "stride", 1, context=ctx)
    padding = _check_int(padding, "padding", 0, context=ctx)
    Hp, Wp = H + 2 * padding, W + 2 * padding
    if kh > Hp or kw > Wp:
        raise ValueError(
            f"{ctx}: the {kh}×{kw} kernel is larger than the {Hp}×{Wp} padded input "
            f"(padding {padding})"
        )
    out_h = (Hp - kh) // stride + 1
    out_w = (Wp - kw) // stride + 1
    return ConvGeometry(in_shape, k_shape, H, W, C, kh, kw, M, single, stride, padding,
                        out_h, out_w)


def _conv_context(g: ConvGeometry, op: str = "convolve") -> str:
    return (f"cannot {op} a {fmt_shape(g.in_shape)} input with a {fmt_shape(g.k_shape)} "
            f"{g.kernel_noun} (stride {g.stride}, padding {g.padding})")


def conv_output_shape(in_shape: Sequence[int], k_shape: Sequence[int], stride: int = 1,
                      padding: int = 0) -> tuple[int, ...]:
    """Shape of ``conv2d``'s output: ``(H', W', M)`` for a bank, ``(H', W')`` for one kernel."""
    return conv_geometry(in_shape, k_shape, stride, padding).out_shape


def conv_windows(x_shape: Sequence[int], k_shape: Sequence[int], stride: int = 1,
                 padding: int = 0) -> list[tuple[int, int]]:
    """Top-left ``(row, col)`` of every window, in padded-input coordinates, in raster order.

    Output pixel ``(i, j)`` is computed from the window at ``(i*stride, j*stride)``
    and is element ``i*W' + j`` of the list.
    """
    g = conv_geometry(x_shape, k_shape, stride, padding)
    _check_budget(_conv_context(g, "list the windows of convolving"),
                  [("list of windows", (g.out_h, g.out_w), _LIST_ENTRY_BYTES)], work=g.out_h * g.out_w)
    return [(i * g.stride, j * g.stride) for i in range(g.out_h) for j in range(g.out_w)]


def _coverage_1d(n: int, k: int, s: int, p: int, out: int) -> np.ndarray:
    """How many of the ``out`` windows (size ``k``, stride ``s``) cover each of ``n`` input positions."""
    big = n + 2 * p + k + out + s >= 2**62  # beyond int64 arithmetic: exact Python ints
    rp = np.arange(n, dtype=object if big else np.int64) + p  # padded coordinates
    first = np.maximum(-((k - 1 - rp) // s), 0)  # first window i with i*s + k - 1 >= rp
    last = np.minimum(rp // s, out - 1)  # last window i with i*s <= rp
    return np.maximum(last - first + 1, 0)


def coverage_map(in_shape: Sequence[int], k_shape: Sequence[int], stride: int = 1,
                 padding: int = 0) -> np.ndarray:
    """For every pixel of the (unpadded) ``H×W`` input, the number of windows it takes part in.

    The windows form a grid, so the count is (windows covering the row) × (windows
    covering the column): O(H·W) work whatever the kernel size or padding.
    """
    g = conv_geometry(in_shape, k_shape, stride, padding)
    ctx = _conv_context(g, "map the coverage of convolving")
    _check_budget(ctx, [("coverage map", (g.H, g.W), 8)], work=g.H * g.W)
    rows = _coverage_1d(g.H, g.kh, g.stride, g.padding, g.out_h)
    cols = _coverage_1d(g.W, g.kw, g.stride, g.padding, g.out_w)
    if int(rows.max()) * int(cols.max()) > _INT64_MAX or rows.dtype == object:
        counts = np.multiply.outer(rows.astype(object), cols.astype(object))
        return _exact_to_int64(counts, ctx, "input and kernel")
    return np.multiply.outer(rows, cols).astype(np.int64, copy=False)


# ----------------------------------------------------------------------------
# Convolution
# ----------------------------------------------------------------------------


def _conv_operands(x: Any, w: Any, stride: int, padding: int, op: str = "convolve"):
    """Arrays + geometry; x as (H, W, C) and w as (kh, kw, C, M)."""
    x = _as_array(x, "input")
    w = _as_array(w, "kernel")
    ctx = f"cannot {op} a {fmt_shape(x.shape)} input with a {fmt_shape(w.shape)} kernel"
    if x.ndim not in (2, 3):
        raise ValueError(f"{ctx}: the input must be H×W or H×W×C, not {x.ndim}-D")
    if w.ndim not in (2, 3, 4):
        raise ValueError(
            f"{ctx}: the kernel must be F×F, F×F×C or a bank F×F×C×M, not {w.ndim}-D"
        )
    g = conv_geometry(x.shape, w.shape, stride, padding)
    x3 = x.reshape(g.H, g.W, g.C)
    w4 = w.reshape(g.kh, g.kw, g.C, g.M)
    return x, w, x3, w4, g


def _bias_vector(b: Any, g: ConvGeometry) -> np.ndarray | None:
    """The bias as shape (M,) (or None)."""
    if b is None:
        return None
    b_arr = _as_array(b, "bias")
    if b_arr.ndim == 0:
        return np.broadcast_to(b_arr, (g.M,))
    if b_arr.shape != (g.M,):
        expected = "a scalar" + (f" or {g.M} value(s)" if not g.single else " or 1 value")
        raise ValueError(
            f"a bias of shape {fmt_shape(b_arr.shape)} does not match the {fmt_shape(g.k_shape)} "
            f"{g.kernel_noun} ({g.M} kernel(s)): expected {expected}"
        )
    return b_arr


def _windows(xp3: np.ndarray, g: ConvGeometry) -> np.ndarray:
    """Strided windows of the padded input: shape (H', W', C, kh, kw) (a read-only view)."""
    s0, s1, s2 = xp3.strides
    step_h = s0 * g.stride if g.out_h > 1 else 0  # a single window: the (maybe huge) stride is unused
    step_w = s1 * g.stride if g.out_w > 1 else 0
    return as_strided(xp3, shape=(g.out_h, g.out_w, g.C, g.kh, g.kw),
                      strides=(step_h, step_w, s2, s0, s1), writeable=False)


def _offsets(g: ConvGeometry):
    """``(a, b, rows, cols)`` for every kernel offset: the slices of the padded input it meets."""
    last_i = g.stride * (g.out_h - 1) + 1
    last_j = g.stride * (g.out_w - 1) + 1
    step_i = g.stride if g.out_h > 1 else 1  # a single window: the (maybe huge) stride is unused
    step_j = g.stride if g.out_w > 1 else 1
    for a in range(g.kh):
        for b in range(g.kw):
            yield a, b, slice(a, a + last_i, step_i), slice(b, b + last_j, step_j)


def _operand_names(*names: str | None) -> str:
    names = [n for n in names if n]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _quiet():
    """Silence NumPy's overflow warnings where the result is checked right after."""
    return np.errstate(over="ignore", invalid="ignore")


def _conv_forward(x3: np.ndarray, w4: np.ndarray, bias: np.ndarray | None, g: ConvGeometry) -> np.ndarray:
    """conv2d as ``(H', W', M)``, exact for integers and overflow-checked for floats."""
    operands = (x3, w4) if bias is None else (x3, w4, bias)
    dtype = _compute_dtype(*operands)
    ctx = lambda: _conv_context(g)  # noqa: E731 (built only for an error)
    what = _operand_names("input", "kernel", None if bias is None else "bias")
    n_terms = g.kh * g.kw * g.C
    out_shape = (g.out_h, g.out_w, g.M)
    padded = g.padded_shape + (g.C,)
    work = g.out_h * g.out_w * g.M * n_terms
    _check_budget(ctx, [("padded input", padded, dtype.itemsize), ("output", out_shape, dtype.itemsize)],
                  work)
    if dtype.kind == "i" and not _int_sums_fit(n_terms, (x3, w4), () if bias is None else (bias,)):
        _check_budget(lambda: ctx() + " in exact integers", [("padded input", padded, _OBJECT_ENTRY_BYTES),
                                                   ("output", out_shape, _OBJECT_ENTRY_BYTES)],
                      work * _OBJECT_WORK)
        xp = _pad_spatial(x3.astype(object), g.padding)
        wo = w4.astype(object)
        out = np.zeros(out_shape, dtype=object)
        for a, b, rows, cols in _offsets(g):
            out += xp[rows, cols, :] @ wo[a, b]
        if bias is not None:
            out += bias.astype(object)
        return _exact_to_int64(out, ctx(), what)
    xp = _pad_spatial(x3.astype(dtype, copy=False), g.padding)
    with _quiet():
        out = np.einsum("ijcab,abcm->ijm", _windows(xp, g), w4.astype(dtype, copy=False))
        if bias is not None:
            out = out + bias.astype(dtype, copy=False)
    if dtype.kind == "f" and not _finite(out):  # overflowed: redo wide, with rescaled operands
        wide = _wide(dtype)
        xs, ex = _scaled(x3, wide)
        ws, ew = _scaled(w4, wide)
        with _quiet():
            out = np.einsum("ijcab,abcm->ijm", _windows(_pad_spatial(xs, g.padding), g), ws)
            if bias is not None:
                out = out + np.ldexp(bias.astype(wide), -(ex + ew))
            out = np.ldexp(out, ex + ew)
        out = _fit_float(out, dtype, ctx(), f"the result of the {what}")
    return out


def conv2d(x: Any, w: Any, b: Any = None, stride: int = 1, padding: int = 0) -> np.ndarray:
    """2-D convolution (cross-correlation) of ``x`` with one kernel or a bank of kernels.

    ``x``: ``(H, W)`` or ``(H, W, C)``. ``w``: ``(kh, kw)``, ``(kh, kw, C)`` or
    ``(kh, kw, C, M)``. ``b``: None, a scalar, or shape ``(M,)``.
    Returns ``(H', W')`` for a single kernel, ``(H', W', M)`` for a bank.
    Integer data (and an int/None bias) give an exact int64 result (ValueError
    if it does not fit int64); otherwise float (ValueError on overflow).
    """
    x, w, x3, w4, g = _conv_operands(x, w, stride, padding)
    out = _conv_forward(x3, w4, _bias_vector(b, g), g)
    return out[:, :, 0] if g.single else out


@dataclass(frozen=True, eq=False)
class ConvStep:
    """One output pixel of a convolution, broken down for display.

    ``window`` and ``products`` have the kernel's shape (``(kh, kw)`` or
    ``(kh, kw, C)``); ``channel_sums`` has length C (1 for a 2-D kernel).
    ``output == total + bias`` equals ``conv2d(...)[i, j]`` (``[i, j, m]`` for a bank).
    Arrays are read-only.
    """

    out_pos: tuple[int, int]  # (i, j) in the output
    window_pos: tuple[int, int]  # top-left (row, col) of the window in the padded input
    kernel_index: int | None  # m for a bank, None for a single kernel
    kernel: np.ndarray
    window: np.ndarray
    products: np.ndarray
    channel_sums: np.ndarray
    total: int | float
    bias: int | float
    output: int | float


def _window_at(x3: np.ndarray, g: ConvGeometry, r0: int, c0: int) -> np.ndarray:
    """The ``(kh, kw, C)`` window at ``(r0, c0)`` of the padded input, without padding it all."""
    win = np.zeros((g.kh, g.kw, g.C), dtype=x3.dtype)
    top, left = r0 - g.padding, c0 - g.padding  # in input coordinates
    r_lo, r_hi = max(top, 0), min(top + g.kh, g.H)
    c_lo, c_hi = max(left, 0), min(left + g.kw, g.W)
    if r_lo < r_hi and c_lo < c_hi:
        win[r_lo - top:r_hi - top, c_lo - left:c_hi - left] = x3[r_lo:r_hi, c_lo:c_hi]
    return win


def conv_step(x: Any, w: Any, i: int, j: int, stride: int = 1, padding: int = 0, b: Any = None,
              m: int | None = None) -> ConvStep:
    """Break output pixel ``(i, j)`` of ``conv2d(x, w, b, stride, padding)`` into its pieces.

    For a bank ``w`` of shape ``(kh, kw, C, M)`` pick the kernel with ``m``.
    """
    x, w, x3, w4, g = _conv_operands(x, w, stride, padding)
    ctx = f"cannot take a step of convolving a {fmt_shape(x.shape)} input with a {fmt_shape(w.shape)} {g.kernel_noun}"
    if m is not None:
        m = _check_int(m, "kernel index m", 0, context=ctx)
    if g.single:
        if m not in (None, 0):
            raise ValueError(f"{ctx}: a single kernel has no kernel index m={m!r}")
        m_idx = 0
    else:
        if m is None:
            raise ValueError(f"{ctx}: choose one of its {g.M} kernels with m=0..{g.M - 1}")
        m_idx = m
        if m_idx >= g.M:
            raise ValueError(f"{ctx}: kernel index m={m_idx} is not in 0..{g.M - 1}")
    i_ok = _is_int(i) and 0 <= i < g.out_h
    j_ok = _is_int(j) and 0 <= j < g.out_w
    if not (i_ok and j_ok):
        raise ValueError(f"{ctx}: output position ({i!r}, {j!r}) is outside the "
                         f"{g.out_h}×{g.out_w} output (stride {g.stride}, padding {g.padding})")
    i, j = int(i), int(j)
    bias_vec = _bias_vector(b, g)
    dtype = _compute_dtype(x, w) if bias_vec is None else _compute_dtype(x, w, bias_vec)
    r0, c0 = i * g.stride, j * g.stride
    window_src = _window_at(x3, g, r0, c0)
    kernel_src = w4[:, :, :, m_idx]
    bias_src = bias_vec[m_idx:m_idx + 1] if bias_vec is not None else np.zeros(1, dtype=np.int64)
    k_shape = w.shape if g.single else w.shape[:3]
    what = _operand_names("input", "kernel", None if bias_vec is None else "bias")
    n_terms = g.kh * g.kw * g.C
    if dtype.kind == "i" and not _int_sums_fit(n_terms, (window_src, kernel_src), (bias_src,)):
        # exact Python ints; every number shown must fit int64
        window_o, kernel_o = window_src.astype(object), kernel_src.astype(object)
        products_o = window_o * kernel_o
        sums_o = products_o.sum(axis=(0, 1))
        total_o = sum(sums_o.tolist())
        bias_o = int(bias_src[0])
        checked = [_exact_to_int64(np.asarray(v, dtype=object), f"{ctx} at ({i}, {j})",
                                   what).reshape(np.shape(v))
                   for v in (window_o, kernel_o, products_o, sums_o, total_o, bias_o, total_o + bias_o)]
        window3, kernel3, products3, channel_sums = checked[:4]
        total, bias, output = (int(v) for v in checked[4:])
    else:
        window3 = window_src.astype(dtype, copy=False)
        kernel3 = kernel_src.astype(dtype, copy=False)
        with _quiet():
            products3 = window3 * kernel3
            channel_sums = products3.sum(axis=(0, 1))
            total = channel_sums.sum()
            bias = bias_src[0].astype(dtype)
            output = total + bias
        if dtype.kind == "f" and not (_finite(products3) and _finite(channel_sums)
                                      and _finite(total) and _finite(output)):
            wide = _wide(dtype)
            at = f"{ctx} at ({i}, {j})"
            with _quiet():
                prod_w = window3.astype(wide) * kernel3.astype(wide)
            products3 = _fit_float(prod_w, dtype, at, "a product")
            sums_w = _stable_sum(prod_w, (0, 1))
            channel_sums = _fit_float(sums_w, dtype, at, "a channel sum")
            total_w = _stable_sum(sums_w, None)
            total = _fit_float(total_w, dtype, at, "the total")[()]
            output = _fit_float(_stable_sum(np.array([total_w, bias.astype(wide)]), None), dtype, at,
                                f"the output (total + bias) of the {what}")[()]
        total, bias, output = _scalar(total), _scalar(bias), _scalar(output)
    return ConvStep(
        out_pos=(i, j),
        window_pos=(r0, c0),
        kernel_index=None if g.single else m_idx,
        kernel=_readonly(kernel3.reshape(k_shape)),
        window=_readonly(window3.reshape(k_shape)),
        products=_readonly(products3.reshape(k_shape)),
        channel_sums=_readonly(channel_sums),
        total=total,
        bias=bias,
        output=output,
    )


def _stable_sum(arr: np.ndarray, axis: Any) -> np.ndarray:
    """``arr.sum(axis)`` of a float array, summed rescaled so no partial sum overflows."""
    scaled, e = _scaled(arr, arr.dtype)
    with _quiet():
        return np.ldexp(scaled.sum(axis=axis), e)


class ConvGrads(NamedTuple):
    """Gradients of a loss L through a convolution, given ``delta = ∂L/∂out``.

    ``dW`` has the kernel's shape, ``dX`` the (unpadded) input's shape; ``db``
    is a scalar for a single kernel and shape ``(M,)`` for a bank.
    """

    dW: np.ndarray
    db: Any
    dX: np.ndarray


def _backward_core(xp: np.ndarray, w4: np.ndarray, d3: np.ndarray, g: ConvGeometry,
                   exact: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dW4, db, dX3) in the dtype of the operands (object arrays for ``exact``)."""
    if exact:
        dW4 = np.zeros((g.kh, g.kw, g.C, g.M), dtype=object)
        for a, b, rows, cols in _offsets(g):
            dW4[a, b] = np.tensordot(xp[rows, cols, :], d3, axes=([0, 1], [0, 1]))
    else:
        dW4 = np.einsum("ijcab,ijm->abcm", _windows(xp, g), d3)
    db = d3.sum(axis=(0, 1))
    dXp = np.zeros(xp.shape, dtype=xp.dtype)
    for a, b, rows, cols in _offsets(g):  # vectorised over output pixels
        dXp[rows, cols, :] += d3 @ w4[a, b].T
    p = g.padding
    return dW4, db, dXp[p:p + g.H, p:p + g.W, :]


def conv2d_backward(x: Any, w: Any, delta: Any, stride: int = 1, padding: int = 0) -> ConvGrads:
    """Backward pass of :func:`conv2d`: gradients w.r.t. the kernel, the bias and the input.

    ``delta`` is ``∂L/∂out`` with conv2d's output shape (``(H', W')`` for a
    single kernel, ``(H', W', M)`` for a bank). With stride 1, no padding and
    2-D data, ``dW == conv2d(x, delta)`` (∇W = X ⋆ δ).
    """
    x, w, x3, w4, g = _conv_operands(x, w, stride, padding, op="back-propagate")
    delta = _as_array(delta, "delta")
    if delta.shape != g.out_shape:
        raise ValueError(
            f"a delta of shape {fmt_shape(delta.shape)} does not match the {fmt_shape(g.out_shape)} "
            f"output of convolving a {fmt_shape(x.shape)} input with a {fmt_shape(w.shape)} "
            f"{g.kernel_noun} (stride {g.stride}, padding {g.padding})"
        )
    dtype = _compute_dtype(x, w, delta)
    ctx = lambda: _conv_context(g, "back-propagate through")  # noqa: E731
    d3_src = delta.reshape(g.out_h, g.out_w, g.M)
    padded = g.padded_shape + (g.C,)
    n_out = g.out_h * g.out_w
    n_k = g.kh * g.kw * g.C
    items = [("padded input", padded, dtype.itemsize), ("padded input gradient", padded, dtype.itemsize)]
    work = 2 * n_out * g.M * n_k
    _check_budget(ctx, items, work)
    if dtype.kind == "i" and not (_int_sums_fit(n_out, (x3, d3_src))
                                  and _int_sums_fit(g.kh * g.kw * g.M, (d3_src, w4))):
        _check_budget(lambda: ctx() + " in exact integers",
                      [(what, shape, _OBJECT_ENTRY_BYTES) for what, shape, _ in items],
                      work * _OBJECT_WORK)
        dW4, db, dX = _backward_core(_pad_spatial(x3.astype(object), g.padding), w4.astype(object),
                                     d3_src.astype(object), g, exact=True)
        dW4 = _exact_to_int64(dW4, ctx() + ": the kernel gradient dW", "input and delta")
        db = _exact_to_int64(db, ctx() + ": the bias gradient db", "delta")
        dX = _exact_to_int64(dX, ctx() + ": the input gradient dX", "kernel and delta")
    else:
        d3 = d3_src.astype(dtype, copy=False)
        xp = _pad_spatial(x3.astype(dtype, copy=False), g.padding)
        with _quiet():
            dW4, db, dX = _backward_core(xp, w4.astype(dtype, copy=False), d3, g)
        if dtype.kind == "f" and not (_finite(dW4) and _finite(db) and _finite(dX)):
            wide = _wide(dtype)
            xs, ex = _scaled(x3, wide)
            ws, ew = _scaled(w4, wide)
            ds, ed = _scaled(d3_src, wide)
            with _quiet():
                dW4, db, dX = _backward_core(_pad_spatial(xs, g.padding), ws, ds, g)
                dW4, db, dX = np.ldexp(dW4, ex + ed), np.ldexp(db, ed), np.ldexp(dX, ed + ew)
            dW4 = _fit_float(dW4, dtype, ctx(), "the kernel gradient dW (input × delta)")
            db = _fit_float(db, dtype, ctx(), "the bias gradient db (sum of delta)")
            dX = _fit_float(dX, dtype, ctx(), "the input gradient dX (kernel × delta)")
    return ConvGrads(
        dW=dW4.reshape(w.shape),
        db=db[0] if g.single else db,
        dX=dX.reshape(x.shape),
    )


#: The classic 3×3 edge detectors, written for a *vertical* edge (bright left,
#: dark right gives a positive response); the horizontal ones are their transposes.
_EDGE_KERNELS = {
    "prewitt": ((1, 0, -1), (1, 0, -1), (1, 0, -1)),
    "sobel": ((1, 0, -1), (2, 0, -2), (1, 0, -1)),
}


def edge_kernel(direction: str = "vertical", kind: str = "sobel") -> np.ndarray:
    """A real 3×3 edge-detection kernel (int64), for :func:`conv2d`.

    ``direction``: ``"vertical"`` responds to vertical edges (a change from left
    to right: bright-to-dark left→right is positive), ``"horizontal"`` to
    horizontal ones (bright-to-dark top→bottom is positive). ``kind``:
    ``"sobel"`` (centre row weighted 2) or ``"prewitt"`` (all weights 1).
    """
    if not isinstance(kind, str) or kind not in _EDGE_KERNELS:
        raise ValueError(f"unknown edge kernel kind {kind!r}: choose one of {', '.join(_EDGE_KERNELS)}")
    if not isinstance(direction, str) or direction not in ("vertical", "horizontal"):
        raise ValueError(f"unknown edge direction {direction!r}: choose 'vertical' or 'horizontal'")
    k = np.array(_EDGE_KERNELS[kind], dtype=np.int64)
    if direction == "vertical":
        return k
    return k.T.copy()


# ----------------------------------------------------------------------------
# Pooling
# ----------------------------------------------------------------------------


def _pool_size(size: Any, context: str) -> tuple[int, int]:
    """A pooling window size (an int or a pair) as ``(ph, pw)``."""
    if isinstance(size, (tuple, list)):
        if len(size) != 2:
            raise ValueError(f"{context}: the window size must be an int or a pair, got {size!r}")
        return (_check_int(size[0], "window height", 1, context=context),
                _check_int(size[1], "window width", 1, context=context))
    ph = _check_int(size, "window size", 1, context=context)
    return ph, ph


def _pool_params(x_shape: tuple[int, ...], size: Any, stride: Any, op: str):
    """Validate pooling arguments; return (ph, pw, s, out_h, out_w)."""
    if len(x_shape) not in (2, 3):
        raise ValueError(
            f"{op} needs an H×W or H×W×C input, got a {len(x_shape)}-D array of shape "
            f"{fmt_shape(x_shape)}"
        )
    ctx = f"cannot {op} a {fmt_shape(x_shape)} input"
    if 0 in x_shape:
        raise ValueError(f"{ctx}: the input has an empty dimension")
    ph, pw = _pool_size(size, ctx)
    s = ph if stride is None else _check_int(stride, "stride", 1, context=ctx)
    H, W = x_shape[:2]
    if ph > H or pw > W:
        raise ValueError(f"{ctx}: the {ph}×{pw} pooling window is larger than the {H}×{W} input")
    return ph, pw, s, (H - ph) // s + 1, (W - pw) // s + 1


def pool_output_shape(x_shape: Sequence[int], size: int | tuple[int, int] = 2,
                      stride: int | None = None) -> tuple[int, ...]:
    """Shape of a pooling output: ``(H', W')`` or ``(H', W', C)``."""
    x_shape = _check_shape_tuple(x_shape, "input shape")
    _, _, _, oh, ow = _pool_params(x_shape, size, stride, "pool")
    return (oh, ow) + tuple(x_shape[2:])


def pool_windows(x_shape: Sequence[int], size: int | tuple[int, int] = 2,
                 stride: int | None = None) -> list[tuple[int, int]]:
    """Top-left ``(row, col)`` of every pooling window in raster order (stride defaults to size)."""
    x_shape = _check_shape_tuple(x_shape, "input shape")
    ph, pw, s, oh, ow = _pool_params(x_shape, size, stride, "pool")
    _check_budget(f"cannot list the {ph}×{pw} pooling windows (stride {s}) of a {fmt_shape(x_shape)} input",
                  [("list of windows", (oh, ow), _LIST_ENTRY_BYTES)], work=oh * ow)
    return [(i * s, j * s) for i in range(oh) for j in range(ow)]


def _pool(x: Any, size: Any, stride: Any, op: str, reduce) -> np.ndarray:
    x = _as_array(x, "input")
    ph, pw, s, oh, ow = _pool_params(x.shape, size, stride, op)
    ctx = lambda: f"cannot {op} a {fmt_shape(x.shape)} input with a {ph}×{pw} window (stride {s})"  # noqa: E731
    out_shape = (oh, ow) + x.shape[2:]
    _check_budget(ctx, [("output", out_shape, 8)], work=math.prod(out_shape) * ph * pw)

    def windows(a: np.ndarray) -> np.ndarray:  # (H', W', [C,] ph, pw), a read-only view
        s0, s1 = a.strides[:2]
        step_h, step_w = (s0 * s if oh > 1 else 0), (s1 * s if ow > 1 else 0)  # one window: s unused
        return as_strided(a, shape=out_shape + (ph, pw), strides=(step_h, step_w) + a.strides[2:] + (s0, s1),
                          writeable=False)

    with _quiet():
        out = reduce(windows(x), axis=(-2, -1))
    if out.dtype.kind == "f" and not _finite(out):  # a mean whose sum overflowed: rescale
        _check_budget(ctx, [("output", out_shape, 8), ("rescaled input", x.shape, 8)],
                      work=math.prod(out_shape) * ph * pw)
        xs, e = _scaled(x, _wide(x.dtype))
        with _quiet():
            out = _fit_float(np.ldexp(reduce(windows(xs), axis=(-2, -1)), e), out.dtype, ctx(),
                             "a pooled value")
    return out


def max_pool(x: Any, size: int | tuple[int, int] = 2, stride: int | None = None) -> np.ndarray:
    """Max pooling of ``(H, W)`` or ``(H, W, C)`` (per channel); no padding, stride defaults to size."""
    return _pool(x, size, stride, "max-pool", np.max)


def avg_pool(x: Any, size: int | tuple[int, int] = 2, stride: int | None = None) -> np.ndarray:
    """Average pooling of ``(H, W)`` or ``(H, W, C)`` (per channel); integers give floats."""
    return _pool(x, size, stride, "average-pool", np.mean)


# ----------------------------------------------------------------------------
# Activations and reshaping
# ----------------------------------------------------------------------------


def relu(x: Any) -> np.ndarray:
    """``max(x, 0)`` elementwise (dtype kept)."""
    x = _as_array(x, "input")
    _check_budget(lambda: f"cannot apply ReLU to a {fmt_shape(x.shape)} input",
                  [("output", x.shape, x.dtype.itemsize)], work=x.size)
    return np.maximum(x, 0).astype(x.dtype, copy=False)


def flatten(x: Any) -> np.ndarray:
    """Flatten row by row (C order): ``x[r, c]`` of an ``H×W`` map lands at index ``r*W + c``."""
    x = _as_array(x, "input")
    _check_budget(lambda: f"cannot flatten a {fmt_shape(x.shape)} input",
                  [("output", (x.size,), x.dtype.itemsize)], work=x.size)
    return x.reshape(-1).copy()


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


# ----------------------------------------------------------------------------
# Dropout
# ----------------------------------------------------------------------------


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
        mask = _as_array(mask, "mask")
        if mask.shape != z.shape:
            raise ValueError(
                f"a dropout mask of shape {fmt_shape(mask.shape)} does not match z of shape "
                f"{fmt_shape(z.shape)}"
            )
        if not np.isin(mask, (0, 1)).all():
            raise ValueError(f"a dropout mask (shape {fmt_shape(mask.shape)}) must hold only 0s and 1s")
    if not training:
        return z
    _check_budget(ctx, [("output", z.shape, 8), ("mask", z.shape, 16)], work=3 * z.size)
    if mask is None:
        mask = dropout_mask(z.shape, p, seed=seed, rng=rng)
    with _quiet():
        out = z * mask / (1.0 - p)
    if out.dtype.kind == "f" and not _finite(out):
        out = _fit_float(out, out.dtype, ctx, f"z / (1 − p) with p = {p}")
    return out


# ----------------------------------------------------------------------------
# Batch normalisation
# ----------------------------------------------------------------------------


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
    if eps > info.max:
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
                x_hat = np.where(by_eps, np.ldexp(d_s, ex) / np.sqrt(x.dtype.type(eps)), x_hat)
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


# ----------------------------------------------------------------------------
# Parameter counts
# ----------------------------------------------------------------------------


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


# ----------------------------------------------------------------------------
# Convolution as a neural-network layer, and the dense layer
# (Chapter 3: ConvView_Final_Title_SharedBias, SparseVsDense, TinyCNN_ImageInput,
# NeuralNetworkAnimation)
# ----------------------------------------------------------------------------


#: What one :class:`Connection` in a tuple costs in memory (a small tuple of three ints).
_CONNECTION_BYTES = 120


class Connection(NamedTuple):
    """One edge of a convolution drawn as a neural-network layer.

    Indices are flat, row-major (C order): ``in_index`` into ``x.reshape(-1)``
    (the unpadded input), ``out_index`` into ``conv2d(x, w).reshape(-1)`` and
    ``weight_index`` into ``w.reshape(-1)``. So
    ``out.flat[o] == sum(x.flat[i] * w.flat[k] for each (o, i, k)) + bias``.
    """

    out_index: int
    in_index: int
    weight_index: int


def conv_connections(in_shape: Sequence[int], k_shape: Sequence[int], stride: int = 1,
                     padding: int = 0) -> tuple[Connection, ...]:
    """Every edge of the convolution seen as a layer of neurons: which input feeds which output, by which weight.

    Sorted by output, then by weight. Kernel positions that fall on zero
    padding have no input neuron and no edge. With a 3×3 input and a 2×2
    kernel each of the 4 outputs has 4 edges (16 in all, against 9·4 = 36 for
    a dense layer), and every output uses the same 4 weights.
    """
    g = conv_geometry(in_shape, k_shape, stride, padding)
    per_window = g.M * g.kh * g.kw * g.C
    # an input pixel meets each kernel position in at most one window: at most H·W·… edges
    n_edges = min(g.out_h * g.out_w, g.H * g.W) * per_window
    _check_budget(lambda: _conv_context(g, "list the connections of"),
                  [("edge list", (n_edges,), _CONNECTION_BYTES)],
                  work=g.out_h * g.out_w * per_window * _PYTHON_WORK)
    edges = []
    for i in range(g.out_h):
        for j in range(g.out_w):
            for m in range(g.M):
                out_index = (i * g.out_w + j) * g.M + m if not g.single else i * g.out_w + j
                for a in range(g.kh):
                    for b in range(g.kw):
                        r = i * g.stride + a - g.padding
                        c = j * g.stride + b - g.padding
                        if not (0 <= r < g.H and 0 <= c < g.W):
                            continue  # a padding cell: no neuron
                        for ch in range(g.C):
                            in_index = (r * g.W + c) * g.C + ch
                            weight_index = ((a * g.kw + b) * g.C + ch) * g.M + m
                            edges.append(Connection(out_index, in_index, weight_index))
    return tuple(edges)


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


# ----------------------------------------------------------------------------
# Chapter 1 — MLP_Style_NoText_Fixed, DigitShiftBig: an MLP's forward pass, lit pixels
# ----------------------------------------------------------------------------


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
    threshold = _check_real(threshold, "threshold", context=ctx)
    _check_budget(ctx, [("lit mask", img.shape, 1), ("index list", img.shape, 8)])
    return np.flatnonzero(img.reshape(-1) >= threshold)  # flatten()'s order, without its copy


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
# Training (Chapter 3 scenes Dropout, BackpropWeightSharing, BatchNormStep,
# MiniBatchTraining, TrainVsEval): mini-batches, the training schedule,
# batch norm in evaluation mode and its running statistics, augmentation
# ----------------------------------------------------------------------------


def _ch3b_real_array(value: Any, name: str, context: str) -> np.ndarray:
    """A finite real array as float64 (NaN, ±inf and values beyond float64 are refused, naming ``name``)."""
    arr = _as_array(value, name)
    if arr.dtype.kind == "f" and arr.dtype.itemsize > 8:
        with np.errstate(over="ignore"):
            small = arr.astype(np.float64)
    else:
        small = arr.astype(np.float64) if arr.dtype.kind != "f" or arr.dtype != np.float64 else arr
    if not np.isfinite(_ch3b_distinct(small)).all():
        raise ValueError(f"{context}: the {name} holds NaN, infinity or a value beyond float64")
    return small


def _ch3b_distinct(arr: np.ndarray) -> np.ndarray:
    """The distinct memory of ``arr``: a broadcast array (stride 0) is read once, not once per view."""
    return arr[tuple(0 if st == 0 and n > 1 else slice(None) for st, n in zip(arr.strides, arr.shape))]


def _ch3b_bool(value: Any, name: str, context: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{context}: {name} must be True or False, got {value!r}")
    return bool(value)


def _ch3b_unit(value: Any, name: str, context: str, closed_top: bool = True) -> float:
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
_CH3B_MAX_ELEMENTS = 50_000_000


def conv2d_batch(x: Any, w: Any, b: Any = None, stride: int = 1, padding: int = 0) -> np.ndarray:
    """:func:`conv2d` of a whole mini-batch in one vectorised call (no loop over images).

    ``x``: ``(N, H, W)`` or ``(N, H, W, C)`` — N images, channels last. ``w``, ``b``,
    ``stride`` and ``padding`` as in :func:`conv2d`. Returns ``(N, H', W', M)`` for a
    bank of kernels, ``(N, H', W')`` for a single kernel; ``out[n] == conv2d(x[n], ...)``.
    Integer data give an exact int64 result (refused if it could exceed 2⁵³, where
    float64 stops being exact); otherwise float64. NaN/inf, or a result beyond float64, are refused.
    """
    x_arr = _as_array(x, "input batch")
    w_arr = _as_array(w, "kernel")
    if x_arr.ndim not in (3, 4):
        raise ValueError(f"an input batch must be N×H×W or N×H×W×C, got a {x_arr.ndim}-D array of shape "
                         f"{fmt_shape(x_arr.shape)}")
    if x_arr.shape[0] == 0:
        raise ValueError(f"cannot convolve an empty input batch of shape {fmt_shape(x_arr.shape)}")
    g = conv_geometry(x_arr.shape[1:], w_arr.shape, stride, padding)
    n = x_arr.shape[0]
    ctx = f"cannot convolve a batch of {n} {fmt_shape(x_arr.shape[1:])} inputs with a {fmt_shape(w_arr.shape)} kernel"
    Hp, Wp = g.padded_shape
    sizes = {"padded input batch": n * Hp * Wp * g.C, "output": n * g.out_h * g.out_w * g.M,
             "kernel": g.kh * g.kw * g.C * g.M}
    for what, size in sizes.items():
        if size > _CH3B_MAX_ELEMENTS:
            raise ValueError(f"{ctx} (stride {g.stride}, padding {g.padding}): the {what} would hold {size:,} "
                             f"numbers, more than {_CH3B_MAX_ELEMENTS:,}")
    bias = None
    if b is not None:
        bias = _ch3b_real_array(_bias_vector(b, g), "bias", ctx)
    integral = x_arr.dtype.kind in "iu" and w_arr.dtype.kind in "iu" and (
        b is None or _as_array(b, "bias").dtype.kind in "iub")
    xf = _ch3b_real_array(x_arr, "input batch", ctx)
    wf = _ch3b_real_array(w_arr, "kernel", ctx)
    if integral:  # exact in float64 while every partial sum stays below 2**53
        bound = float(np.abs(_ch3b_distinct(xf)).max()) * float(np.abs(_ch3b_distinct(wf)).max()) \
            * g.kh * g.kw * g.C + (float(np.abs(bias).max()) if bias is not None else 0.0)
        if bound >= 2.0 ** 53:
            raise ValueError(f"{ctx}: integer input batch, kernel and bias this large could lose exactness "
                             f"(sums up to {bound:.3g} ≥ 2⁵³)")
    x4 = xf.reshape(n, g.H, g.W, g.C)
    w4 = wf.reshape(g.kh, g.kw, g.C, g.M)
    p = g.padding
    xp = np.zeros((n, Hp, Wp, g.C))
    xp[:, p:p + g.H, p:p + g.W, :] = x4
    last_i = g.stride * (g.out_h - 1) + 1
    last_j = g.stride * (g.out_w - 1) + 1
    out = np.zeros((n, g.out_h, g.out_w, g.M))
    with np.errstate(all="ignore"):
        for a in range(g.kh):  # loop over kernel offsets, vectorised over images and output pixels
            for c in range(g.kw):
                out += xp[:, a:a + last_i:g.stride, c:c + last_j:g.stride, :] @ w4[a, c]
        if bias is not None:
            out = out + bias
    if not np.isfinite(out).all():
        raise ValueError(f"{ctx}: the result overflows float64 (input batch, kernel or bias too large)")
    if integral:
        out = out.astype(np.int64)
    return out[..., 0] if g.single else out


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
    drop = _ch3b_bool(drop_last, "drop_last", "training_schedule")
    if bs > n and drop:
        raise ValueError(f"a batch size of {bs} with drop_last leaves no batch of a dataset size of {n}")
    steps = n // bs if drop else -(-n // bs)
    last = bs if drop or n % bs == 0 else n % bs
    return TrainingSchedule(n, bs, ep, steps, last, steps * ep)


class RunningStats(NamedTuple):
    """Batch norm's running estimates of the mean and variance (used in evaluation mode)."""

    mean: np.ndarray
    var: np.ndarray


def _ch3b_axes(axis: Any, ndim: int, shape: tuple[int, ...], fn: str) -> tuple[int, ...]:
    axes = (axis,) if _is_int(axis) else tuple(axis) if isinstance(axis, (tuple, list)) else None
    if axes is None or not axes or not all(_is_int(a) and -ndim <= a < ndim for a in axes) \
            or len({a % ndim for a in axes}) != len(axes):
        raise ValueError(f"{fn} axis {axis!r} is not valid for a batch of shape {fmt_shape(shape)}")
    return tuple(int(a) % ndim for a in axes)


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
    m = _ch3b_unit(momentum, "the momentum", fn)
    unb = _ch3b_bool(unbiased, "unbiased", fn)
    x = _ch3b_real_array(batch, "batch", fn)
    if x.ndim == 0 or 0 in x.shape:
        raise ValueError(f"{fn} needs a batch of values, got shape {fmt_shape(x.shape)}")
    axes = _ch3b_axes(axis, x.ndim, x.shape, fn)
    stat_shape = tuple(d for a, d in enumerate(x.shape) if a not in axes)
    nvals = int(np.prod([x.shape[a] for a in axes]))
    if x.size > _CH3B_MAX_ELEMENTS:
        raise ValueError(f"{fn}: a batch of shape {fmt_shape(x.shape)} holds more than {_CH3B_MAX_ELEMENTS:,} numbers")
    if unb and nvals < 2:
        raise ValueError(f"{fn}: an unbiased variance needs at least 2 values per feature, got a batch of shape "
                         f"{fmt_shape(x.shape)} (axis {axis!r})")
    rm = _ch3b_real_array(running_mean, "running mean", fn)
    rv = _ch3b_real_array(running_var, "running variance", fn)
    for arr, name in ((rm, "running mean"), (rv, "running variance")):
        if arr.ndim and arr.shape != stat_shape:
            raise ValueError(f"{fn}: a {name} of shape {fmt_shape(arr.shape)} does not match the statistics of shape "
                             f"{fmt_shape(stat_shape)} (batch {fmt_shape(x.shape)}, axis {axis!r})")
    if (rv < 0).any():
        raise ValueError(f"{fn}: a running variance cannot be negative")
    with np.errstate(all="ignore"):
        scale = np.max(np.abs(_ch3b_distinct(x))) or 1.0   # statistics of x / scale: no overflow in the squares
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
    axes = _ch3b_axes(axis, arr.ndim, arr.shape, fn)
    try:
        eps_f = float(eps) if isinstance(eps, numbers.Real) and not isinstance(eps, (bool, np.bool_)) else -1.0
    except OverflowError:
        eps_f = np.inf
    if not 0 <= eps_f < np.inf:
        raise ValueError(f"{fn} eps must be a finite number >= 0, got {eps!r}")
    keep = tuple(1 if a in axes else d for a, d in enumerate(arr.shape))
    stat_shape = tuple(d for a, d in enumerate(arr.shape) if a not in axes)

    def param(value: Any, name: str) -> np.ndarray:
        p = _ch3b_real_array(value, name, fn)
        if p.ndim == 0:
            return p
        if p.shape == stat_shape:
            return p.reshape(keep)
        raise ValueError(f"{fn} {name} of shape {fmt_shape(p.shape)} does not match the statistics "
                         f"of shape {fmt_shape(stat_shape)} (batch {fmt_shape(arr.shape)}, axis {axis!r})")

    rm, rv = param(running_mean, "running mean"), param(running_var, "running variance")
    g, b = param(gamma, "gamma"), param(beta, "beta")
    if arr.size > _CH3B_MAX_ELEMENTS:
        raise ValueError(f"{fn}: a batch of shape {fmt_shape(arr.shape)} holds more than {_CH3B_MAX_ELEMENTS:,} numbers")
    xf = _ch3b_real_array(arr, "batch", fn)
    if (rv < 0).any():
        raise ValueError(f"{fn}: a running variance cannot be negative")
    denom = np.sqrt(rv + eps_f)
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
    if img.dtype.kind == "f" and not np.isfinite(_ch3b_distinct(img)).all():
        raise ValueError(f"{fn}: the image holds NaN or infinity")
    if img.size > _CH3B_MAX_ELEMENTS:
        raise ValueError(f"{fn}: an image of shape {fmt_shape(img.shape)} holds more than {_CH3B_MAX_ELEMENTS:,} numbers")
    H, W = img.shape[:2]
    pad = _check_int(pad, "padding", 0, context=f"cannot augment a {fmt_shape(img.shape)} image")
    if pad > max(H, W):
        raise ValueError(f"cannot augment a {fmt_shape(img.shape)} image with padding {pad}: at most {max(H, W)} "
                         f"(a larger shift moves the whole image out)")
    flip_p = _ch3b_unit(flip_p, "the flip probability flip_p", fn)
    if seed is not None:
        _check_int(seed, "seed", 0, context=fn)
    if rng is not None and not isinstance(rng, np.random.Generator):
        raise ValueError(f"{fn}: rng must be a numpy.random.Generator (np.random.default_rng()), got {rng!r}")
    if rng is not None and seed is not None:
        raise ValueError(f"{fn}: give either a seed or an rng, not both")
    if not _ch3b_bool(training, "training", fn):
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
