"""The course's notation, in one place: how numbers, positions, photos and symbols are written on screen.

Scenes write what they show through these helpers, and the layout check's ``notation`` rule
(:func:`strays`) finds texts that break a convention:

* **one convolution symbol**, :data:`CONV` = ⊛ (never ⋆, ⊗, ∗ or ``*``); a product is ×;
* **thousands separators** from 1,000 up: :func:`fmt_int` (``1,419``, ``-1,419``) and :func:`fmt_num`
  (``12,345.5``) — "-1419" next to "1,419" is the defect;
* sizes with ×, not x (``28×28``, not ``28x28``);
* **1-based rows and columns** on screen, whatever the code's indices: :func:`row_col` writes
  "row 1, column 3" from the 0-based ``(0, 2)``; "row 0" or "column 0" is a stray;
* **photos named by what they show** (:func:`photo_name`: "the cameraman photo", "a cat photo"),
  never by their file stems (``camera``, ``chelsea``);
* **no code identifiers** (``core.conv2d``, ``ValueError``, ``np.stack``, ``snake_case``, ``f()``) —
  except a text shown *as code on purpose*, marked with :func:`as_code` (e.g. MiniBatchTraining's
  ``np.stack`` line, which teaches the call itself). Deliberate code is drawn in ``theme.MONO``.

No Manim import: the rules read plain strings; :func:`as_code` only sets an attribute.
"""

from __future__ import annotations

import math
import re

import numpy as np

__all__ = [
    "CONV", "fmt_int", "fmt_num", "row_col", "row_name", "column_name", "PHOTO_NAMES", "photo_name",
    "as_code", "is_code", "plain", "strays", "CODE_ATTR",
]

#: The convolution operator, in every scene and caption.
CONV = "⊛"
#: Symbols that other texts use for a convolution; the course writes :data:`CONV`.
OTHER_CONV_SYMBOLS = ("⋆", "⊗", "∗", "✱")

#: What each built-in photo shows, as a caption names it (``cnnviz.images.PHOTOS`` are the stems).
PHOTO_NAMES = {
    "camera": "the cameraman photo",
    "chelsea": "a cat photo",
    "astronaut": "the astronaut photo",
}


# ---------------------------------------------------------------- numbers
def fmt_int(n) -> str:
    """A whole number with thousands separators, as the notebook writes them: ``89,610``, ``-1,419``, ``7``."""
    return f"{int(n):,}"


def fmt_num(v, decimals: int = 2) -> str:
    """A number for display: whole numbers with thousands separators (:func:`fmt_int`), others rounded
    to ``decimals`` places without trailing zeros (``41.25``, ``16.67``, ``12,345.5``); ``-0`` is ``0``."""
    if isinstance(v, (bool, np.bool_)):
        return str(int(v))
    if isinstance(v, (int, np.integer)):
        return fmt_int(v)
    f = float(v)
    if not math.isfinite(f):
        return str(f)
    if abs(f - round(f)) < 1e-9:
        return fmt_int(round(f))
    s = f"{f:,.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


# ---------------------------------------------------------------- positions
def row_name(r: int) -> str:
    """The on-screen name of the 0-based row index ``r``: ``row_name(0) == "row 1"``."""
    return f"row {int(r) + 1}"


def column_name(c: int) -> str:
    """The on-screen name of the 0-based column index ``c``: ``column_name(2) == "column 3"``."""
    return f"column {int(c) + 1}"


def row_col(r: int, c: int) -> str:
    """A position on screen from 0-based indices, 1-based as people count: ``row_col(0, 2) == "row 1, column 3"``."""
    return f"{row_name(r)}, {column_name(c)}"


# ---------------------------------------------------------------- photos
def photo_name(name_or_path) -> str:
    """How a caption names a photo: a built-in by what it shows (``photo_name("camera") == "the cameraman
    photo"``); a teacher's own file (a path, or any other name) is "your photo"."""
    stem = str(name_or_path)
    if stem in PHOTO_NAMES:
        return PHOTO_NAMES[stem]
    return "your photo"


# ---------------------------------------------------------------- code shown on purpose
#: The attribute :func:`as_code` sets on a mobject (kept by copies, so a faded or moved copy stays code).
CODE_ATTR = "cnnviz_code"


def as_code(mob):
    """Mark a text (or a group of texts) as code shown on purpose: the ``notation`` rule lets its
    identifiers through. Returns ``mob``::

        call = as_code(label("np.stack(images)", mono=True))
    """
    setattr(mob, CODE_ATTR, True)
    return mob


def is_code(mob) -> bool:
    return bool(getattr(mob, CODE_ATTR, False))


# ---------------------------------------------------------------- strays
_LATEX_COLOR = re.compile(r"\\(?:color|textcolor)\{[^}]*\}")
_HEX = re.compile(r"#[0-9A-Fa-f]{6}\b")
#: four or more digits in a row that are not the decimals of a number, nor part of a longer word
_LONG_INT = re.compile(r"(?<![\d.,\w])\d{4,}(?![\d\w])")
_SIZE_X = re.compile(r"\b\d+\s?x\s?\d+\b")
_ZERO_BASED = re.compile(r"\b(?:row|column|col)\s+0\b", re.IGNORECASE)
_DOTTED = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]+\.[A-Za-z_][A-Za-z0-9_]*\b")
_SNAKE = re.compile(r"\b[A-Za-z][A-Za-z0-9]*_[A-Za-z0-9_]+\b")
_EXCEPTION = re.compile(r"\b[A-Z][A-Za-z]*(?:Error|Exception|Warning)\b")
_CALL = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*\(\)")
_STEM = re.compile(r"\b(" + "|".join(PHOTO_NAMES) + r")\b(?!\s+photo)", re.IGNORECASE)
_MARKUP_TAG = re.compile(r"<[^>]+>")


def plain(text: str, latex: bool = False) -> str:
    """``text`` as read for the rules: a formula's colour commands dropped, ``{,}`` a comma, no hex colours."""
    if latex:
        text = _LATEX_COLOR.sub("", text)
        text = text.replace("{,}", ",")
    return _HEX.sub("", text)


def strays(text: str, *, latex: bool = False, markup: bool = False, code: bool = False) -> list[str]:
    """The conventions ``text`` breaks, one short phrase each (empty when it follows them all).

    ``latex``: a :class:`~cnnviz.formula.Formula`'s source (colour commands and ``{,}`` understood;
    the identifier rules, which LaTeX syntax would trip, are not applied); ``markup``: Pango markup
    (tags ignored); ``code``: a text marked :func:`as_code` (identifiers allowed).

    >>> strays("sum = -1419")
    ['"1419": write thousands with a separator (1,419)']
    """
    found: list[str] = []
    if markup:
        text = _MARKUP_TAG.sub("", text)
    plain_text = plain(text, latex)
    for sym in OTHER_CONV_SYMBOLS:
        if sym in plain_text:
            found.append(f'"{sym}": the course writes a convolution as {CONV}')
    if latex and re.search(r"\\(?:star|otimes|ast)\b", plain_text):
        found.append(f"\\star/\\otimes/\\ast: the course writes a convolution as {CONV}")
    if not latex and not code and re.search(r"(?<=\S) \* (?=\S)", plain_text):
        found.append(f'"*": write {CONV} for a convolution, × for a product')
    for m in _LONG_INT.finditer(plain_text):
        found.append(f'"{m.group()}": write thousands with a separator ({fmt_int(m.group())})')
    for m in _SIZE_X.finditer(plain_text):
        found.append(f'"{m.group()}": write sizes with × ({m.group().replace("x", "×").replace(" ", "")})')
    for m in _ZERO_BASED.finditer(plain_text):
        found.append(f'"{m.group()}": rows and columns are 1-based on screen (notation.row_col)')
    for m in _STEM.finditer(plain_text):
        found.append(f'"{m.group()}": name the photo by what it shows ({photo_name(m.group().lower())})')
    if not latex and not code:
        for pattern in (_DOTTED, _EXCEPTION, _CALL, _SNAKE):
            for m in pattern.finditer(plain_text):
                found.append(f'"{m.group()}": a code identifier on screen (say it in words, or mark the text '
                             "notation.as_code if the code is the lesson)")
    return found
