"""A scene's parameters: read from its data function's signature, checked before anything renders.

A scene's parameters live in one place, its **data function's signature** — the type, the
default (the notebook's example) and one line of meaning, with ``typing.Annotated``::

    from typing import Annotated
    from cnnviz.params import Param, Grid

    def conv_example_data(
        x: Annotated[Grid, Param("the input image: rows of numbers", max_shape=(9, 9), noun="input")] = EXAMPLE,
        w: Annotated[Grid | None, Param("the kernel (default: a vertical-edge detector)")] = None,
    ) -> ConvExampleData: ...

The command line (``render --set``, ``--photo``, ``--params``, ``params NAME``), the Python
and Jupyter API (:mod:`cnnviz.api`) and the README's table all read them from here, never
from a second list:

* :func:`scene_params` — a scene's parameters as :class:`ParamSpec` (name, type, default,
  meaning, limits).  Only parameters annotated with a :class:`Param` are parameters; keywords
  a scene binds with ``functools.partial`` are not;
* :func:`parse_literal` — a value typed by a person (``7``, ``0.5``, ``[[1, 2], [3, 4]]``,
  ``"text"``, ``true``): literals only, parsed from Python's syntax tree with bounds on its
  length, depth and size; **nothing is ever evaluated**;
* :func:`coerce` — each value checked against its type and limits: one line per problem,
  naming the parameter and the limit (:class:`ParamError`);
* :func:`cnnviz.api.check` — then the scene's own data function on those values (the core's
  refusal in its words) and the layout check on the scene drawn with them;
* :func:`parametrised` — the scene class that renders them: a subclass whose ``data`` is
  ``functools.partial(original, **values)``, so scene code keeps calling ``self.data()``.

Value types: ``int``, ``float``, ``bool``, ``str``, ``typing.Literal[...]`` (choices),
:class:`Grid` (rows of numbers → a tuple of tuples), :class:`Vector` (a tuple of numbers),
:class:`Tensor3` (H rows of W cells of C numbers → nested tuples), ``tuple[int, ...]`` (and
``tuple[float | str | Literal, ...]``), :class:`Photo` (a built-in photo's name or a path to a
PNG/JPEG; the file's content goes in the cache key) and ``X | None``.

This module imports neither Manim nor the scene modules, nor, even inside its functions, any
module that a render does not need: scene modules import it, and the cache key follows their
imports.
"""

from __future__ import annotations

import ast
import dataclasses
import difflib
import functools
import hashlib
import inspect
import json
import math
import re
import types
import typing
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "Param", "Grid", "Vector", "Tensor3", "Photo", "ParamSpec", "ParamError", "RESERVED",
    "scene_params", "data_function", "coerce", "custom_values", "parse_literal", "check_literal",
    "parametrised", "photo_files", "variant_suffix", "to_json", "show_value", "Request",
    "load_params_file",
]


# ------------------------------------------------------------------------------------------ types


class Grid:
    """A 2-D grid of numbers: rows of equal length (``[[1, 2], [3, 4]]`` → ``((1, 2), (3, 4))``)."""


class Vector:
    """A 1-D list of numbers (``[1, 2, 3]`` → ``(1, 2, 3)``)."""


class Tensor3:
    """A 3-D block of numbers: H rows of W cells of C numbers each (nested tuples)."""


class Photo:
    """A photo: a built-in one's name (``cnnviz.images.PHOTOS``) or a path to a PNG or JPEG file."""


@dataclasses.dataclass(frozen=True)
class Param:
    """The meaning and limits of one data-function parameter (``Annotated[type, Param(...)]``).

    ``help``: one line of meaning.  ``min``/``max``: bounds of a number, or of every number
    of a Grid/Vector/Tensor3/tuple.  ``max_shape``: the largest Grid/Vector/Tensor3 (or
    tuple length) the scene draws readably; the message names it ("an input of at most 9×9
    fits this scene at a readable size", ``noun`` being "input").  ``choices``: the values a
    ``str`` (or ``int``) may take.
    """

    help: str
    min: float | None = dataclasses.field(default=None, kw_only=True)
    max: float | None = dataclasses.field(default=None, kw_only=True)
    max_shape: tuple[int, ...] | None = dataclasses.field(default=None, kw_only=True)
    choices: tuple | None = dataclasses.field(default=None, kw_only=True)
    #: how a too-large value is named in the message ("input", "kernel"); default: "value"
    noun: str | None = dataclasses.field(default=None, kw_only=True)


#: Names no parameter may take: the Python API's own arguments (``cnnviz.render(name, quality,
#: fmt, theme, out, force, **params)``) and the ``--params`` file's ``name`` key.
RESERVED = frozenset({"name", "quality", "fmt", "theme", "out", "force"})

#: the kinds of value a parameter may hold
KINDS = ("int", "float", "bool", "str", "choice", "grid", "vector", "tensor3", "tuple", "photo")

#: Bounds on a typed value, whatever its parameter (a person's input, or a file's).
MAX_TEXT = 20_000  # characters of one --set value
MAX_DEPTH = 4  # nesting of lists (a Tensor3 is 3)
MAX_ITEMS = 20_000  # numbers and lists in one value
MAX_MAGNITUDE = 10**9  # |number| in a Grid/Vector/Tensor3/tuple without its own min/max
MAX_STR = 1_000  # characters of one text value


class ParamError(ValueError):
    """Values a scene cannot take: ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


@dataclasses.dataclass(frozen=True)
class ParamSpec:
    """One parameter of a scene, as its data function's signature declares it."""

    name: str
    kind: str  # one of KINDS
    default: Any
    help: str
    optional: bool = False  # ``X | None``: None is accepted (and means the scene's own choice)
    min: float | None = None
    max: float | None = None
    max_shape: tuple[int, ...] | None = None
    choices: tuple | None = None
    noun: str | None = None
    element: str | None = None  # the kind of a tuple's elements: "int" | "float" | "str" | "choice"
    annotation: Any = None

    @property
    def numeric(self) -> bool:
        return self.kind in ("int", "float")

    def type_text(self) -> str:
        """``int``, ``grid``, ``tuple of int``, ``photo | none``, ``one of: a, b`` …"""
        if self.kind == "tuple":
            t = f"tuple of {'text' if self.element == 'str' else self.element}"
        elif self.kind == "choice":
            t = "choice"
        elif self.kind == "str":
            t = "text"
        else:
            t = self.kind
        return f"{t} | none" if self.optional else t

    def limits_text(self) -> str:
        """The limits in words: ``1 to 3``, ``at most 9×9``, ``one of: vertical, horizontal``."""
        parts = []
        if self.min is not None and self.max is not None:
            parts.append(f"{_num(self.min)} to {_num(self.max)}")
        elif self.min is not None:
            parts.append(f"at least {_num(self.min)}")
        elif self.max is not None:
            parts.append(f"at most {_num(self.max)}")
        if self.kind in ("grid", "vector", "tensor3", "tuple") and parts:
            parts = [f"each {parts[0]}"]
        if self.max_shape:
            parts.append(("at most " + "×".join(map(str, self.max_shape))) if self.kind != "tuple"
                         else f"at most {self.max_shape[0]} items")
        if self.choices:
            parts.append("one of: " + ", ".join(map(str, self.choices)))
        if self.kind == "photo":
            parts.append("a built-in name or a PNG/JPEG file")
        return "; ".join(parts)

    def as_dict(self) -> dict:
        """JSON-ready (``list --json``, ``params NAME --json``)."""
        return {"name": self.name, "type": self.type_text(), "kind": self.kind, "optional": self.optional,
                "default": to_json(self.default), "help": self.help, "min": self.min, "max": self.max,
                "max_shape": list(self.max_shape) if self.max_shape else None,
                "choices": list(self.choices) if self.choices else None, "limits": self.limits_text()}


def _num(v) -> str:
    return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)


# ------------------------------------------------------------------------------------------ signature


def data_function(scene_cls_or_fn) -> tuple[Any, dict]:
    """(the underlying function, the keywords bound by ``functools.partial``) of a scene's data.

    Accepts a Scene class (its ``data``; ``(None, {})`` without one), a function or a partial.
    """
    fn = scene_cls_or_fn
    if isinstance(fn, type):
        fn = inspect.getattr_static(fn, "data", None)
        if isinstance(fn, staticmethod):
            fn = fn.__func__
        if fn is None:  # a scene without a data function: no parameters
            return None, {}
    bound: dict = {}
    positional = 0
    while isinstance(fn, functools.partial):
        bound = {**fn.keywords, **bound}
        positional += len(fn.args)
        fn = fn.func
    if positional:
        bound["*positional"] = positional
    return fn, bound


def _split_optional(tp) -> tuple[Any, bool]:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1 and len(args) < len(typing.get_args(tp)):
            return args[0], True
    return tp, False


def _scalar_kind(tp) -> tuple[str, tuple | None]:
    if typing.get_origin(tp) is Literal:
        return "choice", tuple(typing.get_args(tp))
    for py, kind in ((bool, "bool"), (int, "int"), (float, "float"), (str, "str")):
        if tp is py:
            return kind, None
    raise TypeError(f"unsupported parameter type {tp!r}")


def _kind(tp) -> tuple[str, str | None, tuple | None]:
    """(kind, element kind, choices) of a parameter type (without ``| None``)."""
    for marker, kind in ((Grid, "grid"), (Vector, "vector"), (Tensor3, "tensor3"), (Photo, "photo")):
        if tp is marker:
            return kind, None, None
    if typing.get_origin(tp) is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            element, choices = _scalar_kind(args[0])
            if element == "bool":
                raise TypeError("tuple[bool, ...] is not a supported parameter type")
            return "tuple", element, choices
        raise TypeError(f"unsupported parameter type {tp!r}: use tuple[int, ...] (any length)")
    kind, choices = _scalar_kind(tp)
    return kind, None, choices


@functools.lru_cache(maxsize=256)
def _params_of(fn, bound_names: frozenset, skip_positional: int) -> dict[str, ParamSpec]:
    sig = inspect.signature(fn)
    hints = typing.get_type_hints(fn, include_extras=True)
    specs: dict[str, ParamSpec] = {}
    for i, (pname, p) in enumerate(sig.parameters.items()):
        if i < skip_positional or pname in bound_names:
            continue
        hint = hints.get(pname)
        if typing.get_origin(hint) is not typing.Annotated:
            continue
        base, *meta = typing.get_args(hint)
        info = next((m for m in meta if isinstance(m, Param)), None)
        if info is None:
            continue
        where = f"{fn.__module__}.{fn.__qualname__}({pname})"
        if pname in RESERVED or pname.startswith("_"):
            raise TypeError(f"{where}: a parameter may not be called {pname!r} (reserved)")
        if p.default is inspect.Parameter.empty:
            raise TypeError(f"{where}: a parameter needs a default (the notebook's example)")
        if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.VAR_POSITIONAL,
                      inspect.Parameter.VAR_KEYWORD):
            raise TypeError(f"{where}: parameters are passed by keyword")
        inner, optional = _split_optional(base)
        kind, element, lit_choices = _kind(inner)
        choices = tuple(info.choices) if info.choices is not None else lit_choices
        if kind == "choice" and not choices:
            raise TypeError(f"{where}: a Literal needs choices")
        specs[pname] = ParamSpec(
            name=pname, kind=kind, default=p.default, help=info.help, optional=optional,
            min=info.min, max=info.max, max_shape=tuple(info.max_shape) if info.max_shape else None,
            choices=choices, noun=info.noun, element=element, annotation=base)
    return specs


def scene_params(scene_cls) -> dict[str, ParamSpec]:
    """name → :class:`ParamSpec` of every parameter of the scene's data function, in signature order.

    A parameter is one annotated ``Annotated[type, Param(...)]``; keywords bound with
    ``functools.partial`` (``data = staticmethod(partial(fn, c=3))``) are not parameters.
    """
    fn, bound = data_function(scene_cls)
    if fn is None:
        return {}
    skip = bound.pop("*positional", 0)
    return dict(_params_of(fn, frozenset(bound), skip))


# ------------------------------------------------------------------------------------------ literals

_TRUE = {"true": True, "True": True, "false": False, "False": False}
_NONE = {"None", "none", "null"}
#: a bare word taken as text: a name, a path, a file name (no brackets, quotes, commas or colons)
_BARE = re.compile(r"[\w.~/\\+\- ]+")
#: what Python reads as an expression but a person meant as a path: ``cat.png``, ``photos/cat.png``
_PATHLIKE = re.compile(r"[\w.~/\\+\- ]*([/\\~][\w.~/\\+\- ]*|\.[A-Za-z]\w{0,4})")


def _ast_value(node: ast.AST, depth: int, count: list[int]):
    count[0] += 1
    if count[0] > MAX_ITEMS:
        raise ValueError(f"too many numbers (more than {MAX_ITEMS:,})")
    if isinstance(node, (ast.List, ast.Tuple)):
        if depth >= MAX_DEPTH:
            raise ValueError(f"nested more than {MAX_DEPTH} deep")
        return [_ast_value(e, depth + 1, count) for e in node.elts]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        inner = node.operand
        if isinstance(inner, ast.Constant) and type(inner.value) in (int, float):
            return -inner.value if isinstance(node.op, ast.USub) else inner.value
        raise ValueError("a sign goes before a number")
    if isinstance(node, ast.Constant):
        v = node.value
        if type(v) in (int, float, str, bool) or v is None:
            return v
        raise ValueError(f"{type(v).__name__} values are not accepted")
    if isinstance(node, ast.Name):
        if node.id in _TRUE:
            return _TRUE[node.id]
        if node.id in _NONE:
            return None
        raise ValueError(f"{node.id!r} inside a list is not a value (quote text: \"{node.id}\")")
    raise ValueError("only numbers, [lists], \"text\", true/false and none are accepted")


def check_literal(value, what: str = "value"):
    """Refuse values outside the bounds of :func:`parse_literal` (for values from a TOML file,
    which arrive already parsed): too deep, too many items, text too long, numbers not finite
    or not representable.  Returns the value with tuples as lists."""
    count = [0]

    def walk(v, depth: int):
        count[0] += 1
        if count[0] > MAX_ITEMS:
            raise ValueError(f"{what}: too many numbers (more than {MAX_ITEMS:,})")
        if isinstance(v, (list, tuple)):
            if depth >= MAX_DEPTH:
                raise ValueError(f"{what}: nested more than {MAX_DEPTH} deep")
            return [walk(e, depth + 1) for e in v]
        if isinstance(v, float) and not math.isfinite(v):
            raise ValueError(f"{what}: {v} is not a finite number")
        if isinstance(v, str) and len(v) > MAX_STR:
            raise ValueError(f"{what}: text longer than {MAX_STR:,} characters")
        if v is None or type(v) in (int, float, str, bool):
            return v
        raise ValueError(f"{what}: a {type(v).__name__} is not a value here (numbers, lists, text, true/false)")

    return walk(value, 0)


def parse_literal(text: str):
    """A value typed by a person, parsed as a literal — never evaluated.

    ``7`` → 7, ``-0.5`` → -0.5, ``[[1, 2], [3, 4]]`` → nested lists, ``"text"`` or
    ``'text'`` → text, ``true``/``false`` (or ``True``/``False``) → bool, ``none`` → None.
    A bare word or path (``vertical``, ``photos/cat.png``) is text.  Anything else — a call,
    an operator, a name inside a list, a dict — is refused with a ``ValueError`` saying what is
    accepted; the text is read by :mod:`ast` (bounded: at most :data:`MAX_TEXT` characters,
    :data:`MAX_DEPTH` levels, :data:`MAX_ITEMS` items) and no code runs.
    """
    if not isinstance(text, str):
        raise TypeError("parse_literal takes text")
    s = text.strip()
    if not s:
        raise ValueError("an empty value")
    if len(s) > MAX_TEXT:
        raise ValueError(f"a value longer than {MAX_TEXT:,} characters")
    depth = running = 0
    for ch in s:  # bound the nesting before the parser sees it (its recursion is not bounded)
        if ch in "[(":
            running += 1
            depth = max(depth, running)
        elif ch in "])":
            running -= 1
    if depth > MAX_DEPTH:
        raise ValueError(f"nested more than {MAX_DEPTH} deep")
    if s in _TRUE:
        return _TRUE[s]
    if s in _NONE:
        return None
    try:
        tree = ast.parse(s, mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        tree = None
    if tree is not None:
        body = tree.body
        if isinstance(body, ast.Name):  # a bare word: text
            return s
        try:
            value = _ast_value(body, 0, [0])
        except ValueError:
            if _PATHLIKE.fullmatch(s) and not s[0].isdigit() and s[0] not in "+-":
                return s  # e.g. photos/cat.png or ~/my-photo.jpg: a path, not an expression
            raise
        return check_literal(value)
    if _BARE.fullmatch(s):
        return s  # e.g. "my cat.png": not Python, plain text
    raise ValueError("not a value: give a number, [lists of numbers], \"text\" or true/false")


# ------------------------------------------------------------------------------------------ coercion


def show_value(v, limit: int = 40) -> str:
    """A value as it appears in a message: JSON-like, cut to ``limit`` characters."""
    try:
        text = json.dumps(to_json(v), ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(v)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def to_json(v):
    """Tuples as lists (JSON has no tuples); everything else as it is."""
    if isinstance(v, (list, tuple)):
        return [to_json(e) for e in v]
    return v


def _is_number(v) -> bool:
    return type(v) in (int, float)


def _article(noun: str) -> str:
    return "an" if noun[:1].lower() in "aeiou" else "a"


def _article_num(n: int) -> str:
    """"a 10×10", "an 8×8", "an 11×11"."""
    return "an" if str(n).startswith("8") or n in (11, 18) or 11_000 <= n < 12_000 else "a"


class _Problem(Exception):
    pass


def _check_int(spec: ParamSpec, v, what: str) -> int:
    if type(v) is float and v.is_integer():
        v = int(v)
    if type(v) is not int:
        raise _Problem(f"{what} must be a whole number, got {show_value(v)}")
    return v


def _bounded(spec: ParamSpec, v, what: str):
    lo, hi = spec.min, spec.max
    if lo is not None and v < lo or hi is not None and v > hi:
        rng = (f"from {_num(lo)} to {_num(hi)}" if lo is not None and hi is not None else
               f"at least {_num(lo)}" if lo is not None else f"at most {_num(hi)}")
        raise _Problem(f"{what} is {_num(v)}: it must be {rng}")
    return v


def _scalar(spec: ParamSpec, kind: str, v, what: str, choices=None):
    if kind == "bool":
        if type(v) is not bool:
            raise _Problem(f"{what} must be true or false, got {show_value(v)}")
        return v
    if kind == "int":
        v = _check_int(spec, v, what)
    elif kind == "float":
        if not _is_number(v):
            raise _Problem(f"{what} must be a number, got {show_value(v)}")
        v = float(v)
        if not math.isfinite(v):
            raise _Problem(f"{what} must be a finite number, got {v}")
    elif kind in ("str", "choice"):
        if choices and all(type(c) is not str for c in choices):  # a Literal of numbers
            if v not in choices or type(v) is bool:
                raise _Problem(f"{what} must be one of {', '.join(map(str, choices))}, got {show_value(v)}")
            return v
        if not isinstance(v, str):
            raise _Problem(f"{what} must be text, got {show_value(v)}")
        if len(v) > MAX_STR:
            raise _Problem(f"{what} is longer than {MAX_STR:,} characters")
    if choices and v not in choices:
        close = difflib.get_close_matches(str(v), [str(c) for c in choices], n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise _Problem(f"{what} must be one of {', '.join(map(str, choices))}, got {show_value(v)}{hint}")
    if kind in ("int", "float"):
        _bounded(spec, v, what)
    return v


def _shape_of(v, depth: int, what: str, kind_text: str) -> tuple[int, ...]:
    """The shape of a rectangular nest of lists of numbers ``depth`` deep (else a problem)."""
    if depth == 0:
        if not _is_number(v):
            raise _Problem(f"{what} holds {show_value(v)}, not a number: {kind_text}")
        return ()
    if not isinstance(v, (list, tuple)):
        raise _Problem(f"{what} must be {kind_text}, got {show_value(v)}")
    if not v:
        raise _Problem(f"{what} is empty: {kind_text}")
    shapes = [_shape_of(e, depth - 1, what, kind_text) for e in v]
    first = shapes[0]
    for k, sh in enumerate(shapes[1:], 2):
        if sh != first:
            unit = "row" if depth == 2 else "item"
            raise _Problem(f"{what} is not rectangular: {unit} {k} has {_fmt(sh)} and {unit} 1 has {_fmt(first)}")
    return (len(v), *first)


def _fmt(shape) -> str:
    if len(shape) == 1:
        return f"{shape[0]} number{'s' if shape[0] != 1 else ''}"
    return "×".join(map(str, shape))


_EXAMPLES = {"grid": "rows of numbers, like [[1, 2], [3, 4]]", "vector": "a list of numbers, like [1, 2, 3]",
             "tensor3": "rows of cells of numbers, like [[[1, 2], [3, 4]], [[5, 6], [7, 8]]]"}


def _array(spec: ParamSpec, v, what: str):
    depth = {"grid": 2, "vector": 1, "tensor3": 3}[spec.kind]
    shape = _shape_of(v, depth, what, _EXAMPLES[spec.kind])
    if spec.max_shape:
        if any(s > m for s, m in zip(shape, spec.max_shape)):
            noun = spec.noun or "value"
            limit = "×".join(map(str, spec.max_shape))
            if len(shape) == 1:
                raise _Problem(f"{what}: {shape[0]} numbers are too many: {_article(noun)} {noun} of at most "
                               f"{limit} numbers fits this scene at a readable size")
            size = "×".join(map(str, shape))
            raise _Problem(f"{what}: {_article_num(shape[0])} {size} {noun} is too large: {_article(noun)} {noun} "
                           f"of at most {limit} fits this scene at a readable size")
    flat: list = []

    def walk(e):
        if isinstance(e, (list, tuple)):
            return tuple(walk(x) for x in e)
        flat.append(e)
        return e

    out = walk(v)
    lo = spec.min if spec.min is not None else -MAX_MAGNITUDE
    hi = spec.max if spec.max is not None else MAX_MAGNITUDE
    for e in flat:
        if isinstance(e, float) and not math.isfinite(e):
            raise _Problem(f"{what} holds {e}: every number must be finite")
        if not lo <= e <= hi:
            raise _Problem(f"{what} holds {_num(e)}: every number must be from {_num(lo)} to {_num(hi)}")
    return out


def _tuple(spec: ParamSpec, v, what: str):
    if not isinstance(v, (list, tuple)):
        raise _Problem(f"{what} must be a list, like [1, 2, 3], got {show_value(v)}")
    if spec.max_shape and len(v) > spec.max_shape[0]:
        raise _Problem(f"{what} has {len(v)} items: at most {spec.max_shape[0]} fit this scene at a readable size")
    if not v:
        raise _Problem(f"{what} is empty")
    elem = spec.element or "int"
    if elem in ("int", "float") and spec.min is None and spec.max is None:
        spec = dataclasses.replace(spec, min=-MAX_MAGNITUDE, max=MAX_MAGNITUDE)
    return tuple(_scalar(spec, elem, e, f"{what}[{k}]", spec.choices) for k, e in enumerate(v, 1))


def _photo(spec: ParamSpec, v, what: str, base: Path | None):
    from cnnviz import images

    if isinstance(v, Path):
        v = str(v)
    if not isinstance(v, str) or not v.strip():
        raise _Problem(f"{what} must be a photo's name ({', '.join(images.PHOTOS)}) or a path to a PNG/JPEG file, "
                       f"got {show_value(v)}")
    if v in images.PHOTOS:
        return v
    path = Path(v).expanduser()
    if not path.is_absolute():
        path = (base or Path.cwd()) / path
    try:
        images.check_photo_file(path)
    except ValueError as exc:
        raise _Problem(f"{what}: {exc}") from None
    return str(path.resolve())


def _coerce_one(spec: ParamSpec, v, base: Path | None):
    what = spec.name
    if v is None:
        if spec.optional:
            return None
        raise _Problem(f"{what} cannot be none")
    if spec.kind in ("grid", "vector", "tensor3"):
        return _array(spec, v, what)
    if spec.kind == "tuple":
        return _tuple(spec, v, what)
    if spec.kind == "photo":
        return _photo(spec, v, what, base)
    return _scalar(spec, spec.kind, v, what, spec.choices)


def _unknown(scene: str, name: str, specs: dict[str, ParamSpec]) -> str:
    if not specs:
        return f"unknown parameter '{name}': {scene} takes no parameters yet"
    close = difflib.get_close_matches(name, list(specs), n=3, cutoff=0.5)
    hint = f"did you mean: {', '.join(close)}?" if close else f"it takes {', '.join(specs)}"
    return f"unknown parameter '{name}' for {scene}; {hint} (see `render.py params {scene}`)"


def coerce(scene_cls, raw: dict, *, base: Path | str | None = None) -> dict:
    """``raw`` (name → value, as parsed from ``--set``, a TOML file or Python) checked and normalised.

    Every value is checked against its parameter's type and limits; grids become tuples of
    tuples, photo paths absolute (relative ones are read from ``base``, default: the current
    directory).  Raises :class:`ParamError` with one line per problem, each naming its
    parameter.  Returns only the given names, in signature order.
    """
    specs = scene_params(scene_cls)
    scene = getattr(scene_cls, "__name__", str(scene_cls))
    base = Path(base) if base is not None else None
    problems, out = [], {}
    for name in raw:
        if name not in specs:
            problems.append(_unknown(scene, name, specs))
    for name, spec in specs.items():
        if name not in raw:
            continue
        try:
            out[name] = _coerce_one(spec, raw[name], base)
        except _Problem as exc:
            problems.append(str(exc))
    if problems:
        raise ParamError(problems)
    return out


def _normal(spec: ParamSpec, v):
    """A value as :func:`coerce` would return it (defaults compare equal to given values)."""
    if v is None:
        return None
    try:
        return _coerce_one(dataclasses.replace(spec, min=None, max=None, max_shape=None, choices=None), v, None)
    except _Problem:
        return v


def custom_values(scene_cls, values: dict) -> dict:
    """The values that differ from the notebook's defaults (what makes a render a custom one)."""
    specs = scene_params(scene_cls)
    return {k: v for k, v in values.items() if k not in specs or _normal(specs[k], specs[k].default) != v}


# ------------------------------------------------------------------------------------------ the scene


def parametrised(scene_cls, values: dict):
    """The scene rendering ``values``: a subclass of ``scene_cls`` whose ``data`` is
    ``functools.partial(original_data, **values)`` (same name; scene code calls ``self.data()``)."""
    if not values:
        return scene_cls
    original = inspect.getattr_static(scene_cls, "data")
    if isinstance(original, staticmethod):
        original = original.__func__
    cls = type(scene_cls.__name__, (scene_cls,), {
        "data": staticmethod(functools.partial(original, **values)),
        "__module__": scene_cls.__module__,
        "__qualname__": scene_cls.__qualname__,
        "cnnviz_values": dict(values),
    })
    return cls


def photo_files(scene_cls, values: dict) -> dict[str, bytes]:
    """path → content of every photo file among ``values`` (built-in photos are package assets,
    already in the cache key)."""
    from cnnviz import images

    specs = scene_params(scene_cls)
    return {v: Path(v).read_bytes() for k, v in values.items()
            if k in specs and specs[k].kind == "photo" and isinstance(v, str) and not images.is_builtin(v)}


# ------------------------------------------------------------------------------------------ naming

#: what a variant's name may be (``--name``, ``name =`` in a ``--params`` file)
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _short(v) -> str:
    if isinstance(v, bool) or v is None:
        return str(v).lower()
    if isinstance(v, (int, float)):
        return _num(v)
    if isinstance(v, str):
        p = Path(v)
        text = p.stem if (p.is_absolute() and p.suffix) else v
        return _UNSAFE.sub("_", text)[:24].strip("_") or "text"
    if isinstance(v, (list, tuple)):
        if all(isinstance(e, (int, float)) and not isinstance(e, bool) for e in v) and len(v) <= 6:
            return "-".join(_num(e) for e in v)
        shape, e = [], v
        while isinstance(e, (list, tuple)) and e:
            shape.append(len(e))
            e = e[0]
        digest = hashlib.sha256(json.dumps(to_json(v)).encode()).hexdigest()[:6]
        return "x".join(map(str, shape)) + "-" + digest
    return hashlib.sha256(repr(v).encode()).hexdigest()[:6]


def variant_suffix(values: dict, name: str | None = None) -> str:
    """The readable part of a custom render's file name: ``NAME`` or ``n=7,f=5``,
    ``x=6x6-3fa2c1`` (shape and a digest for a grid), ``photo=my_cat``; '' for no values."""
    if name:
        if not NAME_RE.fullmatch(name):
            raise ValueError(f"name {name!r}: use 1–64 letters, digits, '.', '_' or '-' (starting with a letter "
                             "or digit)")
        return name
    if not values:
        return ""
    text = ",".join(f"{k}={_short(v)}" for k, v in values.items())
    if len(text) > 80:
        digest = hashlib.sha256(json.dumps(to_json(values), sort_keys=True).encode()).hexdigest()[:8]
        text = text[:60].rstrip(",=-") + "-" + digest
    return text


# ------------------------------------------------------------------------------------------ --params FILE

#: the largest ``--params`` file read (a course variant is a few hundred lines)
MAX_PARAMS_FILE = 1_000_000


@dataclasses.dataclass(frozen=True)
class Request:
    """One render asked for in a ``--params`` file: a scene, its raw values and an optional name."""

    scene: str
    raw: dict
    name: str | None = None
    base: Path | None = None  # relative photo paths are read from here (the file's folder)


def load_params_file(path: Path | str) -> list[Request]:
    """The renders a ``--params`` TOML file asks for (a course variant in one file).

    A table per scene holds its values; an array of tables renders one scene several times;
    ``name`` names a render's output (instead of the suffix made from its values)::

        [ConvExampleExplainedClean]            # one render with these values
        x = [[1, 2, 0], [0, 1, 3], [2, 2, 1]]
        w = [[1, 0], [0, -1]]

        [[FeatureDetectionGray]]               # several renders of one scene
        photo = "photos/my_cat.png"            # relative to this file
        name = "cat"
        [[FeatureDetectionGray]]
        photo = "astronaut"

        [OutputSizeFormula]                    # an empty table: the notebook's example

    Values are TOML's own (numbers, arrays, strings, booleans), bounded like
    :func:`parse_literal`'s.  Raises :class:`ParamError` (one line per problem).
    """
    import tomllib

    path = Path(path)
    shown = path.name
    try:
        size = path.stat().st_size
        if size > MAX_PARAMS_FILE:
            raise ParamError(f"{shown} is larger than {MAX_PARAMS_FILE:,} bytes: not a --params file")
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ParamError(f"{shown}: no such file ({path})") from None
    except IsADirectoryError:
        raise ParamError(f"{shown} is a folder, not a --params file") from None
    except UnicodeDecodeError:
        raise ParamError(f"{shown} is not UTF-8 text (a --params file is TOML)") from None
    except OSError as exc:
        raise ParamError(f"cannot read {shown}: {exc.strerror or exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ParamError(f"{shown} is not valid TOML: {exc}") from None
    base = path.resolve().parent
    problems, requests = [], []
    for scene, body in data.items():
        tables = [body] if isinstance(body, dict) else body if isinstance(body, list) else None
        if tables is None or not all(isinstance(t, dict) for t in tables):
            problems.append(f"{shown}: '{scene}' must be a table [{scene}] (or tables [[{scene}]]) of the "
                            "scene's values")
            continue
        for table in tables:
            raw = dict(table)
            name = raw.pop("name", None)
            if name is not None and (not isinstance(name, str) or not NAME_RE.fullmatch(name)):
                problems.append(f"{shown}: {scene}: name {show_value(name)}: use 1–64 letters, digits, '.', '_' "
                                "or '-'")
                continue
            try:
                raw = {k: check_literal(v, f"{scene}: {k}") for k, v in raw.items()}
            except ValueError as exc:
                problems.append(f"{shown}: {exc}")
                continue
            requests.append(Request(scene, raw, name, base))
    if problems:
        raise ParamError(problems)
    return requests
