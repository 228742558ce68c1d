"""Math typeset without LaTeX: ziamath → SVG → Manim ``SVGMobject``.

ziamath (pure Python, STIX Two Math bundled) turns a LaTeX math string into
SVG paths; ``svg2 = False`` makes it emit plain SVG 1.1 that Manim reads
correctly. Glyphs without an explicit ``\\color{...}`` get the theme's text
colour; coloured parts keep their colour.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import ziamath
from manim import SVGMobject

from . import theme
from .files import atomic_write_text

ziamath.config.svg2 = False

#: ziamath's em size (px) used to lay out the SVG; the result is rescaled to the
#: requested font size, so this only sets the precision of the path numbers.
_ZM_SIZE = 48
#: Scene units per SVG px at font size ``_ZM_SIZE``, calibrated so that
#: ``Formula("x", font_size=s)`` has the x-height of ``Text("x", font_size=s)``
#: (measured: 0.3461 / 23.472 at size 48).
_UNITS_PER_PX = 0.014745


def _cache_dir() -> Path:
    default = Path(tempfile.gettempdir()) / f"cnnviz-formulas-{os.getuid()}"
    d = Path(os.environ.get("CNNVIZ_FORMULA_CACHE", default))
    d.mkdir(parents=True, exist_ok=True)
    return d


def formula_svg(latex: str, color: str | None = None) -> str:
    """The SVG text of a LaTeX math string (ziamath, SVG 1.1); uncoloured glyphs in ``color`` (the theme's text)."""
    return ziamath.Latex(latex, size=_ZM_SIZE, color=color or theme.TEXT).svg()


def formula_file(latex: str, color: str | None = None) -> Path:
    """Write the formula's SVG once, content-addressed, and return its path."""
    color = color or theme.TEXT  # the current theme's (read now, not at import)
    key = f"{ziamath.__version__}|{_ZM_SIZE}|{color}|{latex}"
    path = _cache_dir() / f"{hashlib.sha1(key.encode()).hexdigest()[:20]}.svg"
    if not path.exists():
        atomic_write_text(path, formula_svg(latex, color))
    return path


class Formula(SVGMobject):
    """A typeset formula. ``Formula(r"\\frac{N-F+2P}{S}", font_size=34)``.

    Colour parts with ``{\\color{#F4A259} w}`` (theme colours are hex strings),
    or with :meth:`set_color` on the whole formula. ``latex`` is kept for tests.
    """

    def __init__(self, latex: str, font_size: float = theme.FORMULA_SIZE, color: str | None = None, **kwargs):
        self.latex = latex
        color = color or theme.TEXT  # the current theme's (read now, not at import)
        try:
            self._build(latex, color, **kwargs)
        except FileNotFoundError:  # the cache file vanished (a temp cleaner, another process's purge): write it again
            formula_file(latex, color).unlink(missing_ok=True)
            self._build(latex, color, **kwargs)
        self.scale(font_size / _ZM_SIZE * _UNITS_PER_PX)
        self._font_size, self._initial_height = font_size, self.height
        lean(self)

    def _build(self, latex: str, color: str, **kwargs):
        super().__init__(
            str(formula_file(latex, color)),
            height=None,
            svg_default={
                "color": None,
                "opacity": None,
                "fill_color": None,
                "fill_opacity": 1.0,
                "stroke_color": None,
                "stroke_opacity": None,
                "stroke_width": 0,
            },
            **kwargs,
        )

    @property
    def font_size(self) -> float:
        """The size it is drawn at now (scaling the formula scales it), comparable with ``Text.font_size``."""
        return self._font_size * self.height / self._initial_height if self._initial_height else self._font_size


def lean(mob):
    """Drop what an SVG-drawn mobject (``Text``, :class:`Formula`) keeps only to build itself: each
    glyph's parsed ``svgelements`` path and the id → group map (used by Tex, not by Text or Formula).

    The drawing is unchanged; a copy, which every FadeIn/FadeOut/Transform makes, becomes ~30× cheaper
    (a 25-glyph Text: ≈50 ms → ≈2 ms). Returns ``mob``.
    """
    for sm in mob.get_family():
        if getattr(sm, "path_obj", None) is not None:
            sm.path_obj = None
    if getattr(mob, "id_to_vgroup_dict", None):
        mob.id_to_vgroup_dict = {}
    return mob
