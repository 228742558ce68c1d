"""Every colour, font and size of every scene, for two themes (plain values: no Manim import).

``dark`` (the default) is the notebook's look; ``light`` is for white slides.  A colour
*role* means the same thing in both (input, kernel, bias, output, the current window, …);
only its shade changes so that it reads on the theme's background.  Scenes and drawings
name roles (``theme.INPUT``), never a hex colour or a Manim colour constant.

:func:`use` switches the theme: it rebinds this module's names.  Modules that bind a colour
at import time (a default argument ``color=theme.INPUT``) keep the old one, so the theme is
chosen **before** the drawings and scene modules are imported (the render worker does this,
and imports them again when a job asks for the other theme).

Contrast (WCAG 2): every colour used for text reads at ≥ 4.5:1 on the surfaces text sits on
(:data:`TEXT_ROLES` on :data:`SURFACES`), lines and cell borders at ≥ 3:1 on the background
(:data:`LINE_ROLES`); ``tests/test_theme.py`` computes it for both themes.
"""

from __future__ import annotations

import colorsys
import sys
import types
from collections.abc import Iterable
from pathlib import Path

THEMES = ("dark", "light")
DEFAULT = "dark"

# ---------------------------------------------------------------------------------- palettes
# Roles: the same colour means the same thing in every scene.
_DARK = {
    # background and text
    "BACKGROUND": "#11141B",
    "TEXT": "#ECEFF4",
    "MUTED": "#8E97A8",
    "GRID_LINE": "#677084",
    "PANEL": "#1C2130",
    # roles
    "INPUT": "#58C4DD",      # input pixels / x
    "KERNEL": "#F4A259",     # kernel weights / w
    "BIAS": "#C792EA",       # bias b
    "OUTPUT": "#7BD389",     # output / feature map / z
    "HIGHLIGHT": "#FFD166",  # the current window, the selected value
    "POSITIVE": "#5CD0B3",
    "NEGATIVE": "#FC6255",
    "PADDING": "#3A4150",    # zero-padding cells (a fill: the zeros on it are TEXT)
    "DROPPED": "#6B7282",    # switched-off neurons
    # channels of a colour image
    "RED": "#FF6B6B",
    "GREEN": "#69DB7C",
    "BLUE": "#4DABF7",
    # the padding symbol P of the size formulas
    "PAD_LABEL": "#A3B8FF",
    # filters of a bank / weights of one kernel, after KERNEL
    "KERNEL_MORE": ("#F47AA6", "#C0EB75", "#8CA2FF", "#CC9A70", "#AC8FFF", "#FFA8A8", "#FFE8CC", "#A5D8FF"),
    # hue circle (saturation, value) of kernel colours past the ninth
    "KERNEL_SV": (0.5, 0.95),
}

_LIGHT = {
    "BACKGROUND": "#FFFFFF",
    "TEXT": "#1B1F27",
    "MUTED": "#5A6272",
    "GRID_LINE": "#767E8D",
    "PANEL": "#EEF1F6",
    "INPUT": "#0A6D93",
    "KERNEL": "#A33D0C",
    "BIAS": "#8233B0",
    "OUTPUT": "#1E7535",
    "HIGHLIGHT": "#7A6400",
    "POSITIVE": "#08735F",
    "NEGATIVE": "#C42B24",
    "PADDING": "#D9DEE6",
    "DROPPED": "#8E95A3",
    "RED": "#C52828",
    "GREEN": "#237A36",
    "BLUE": "#1660A8",
    "PAD_LABEL": "#4354C8",
    "KERNEL_MORE": ("#A61E7A", "#45690A", "#2E51D3", "#80522A", "#613AD8", "#A33048", "#7A5A1E", "#1A6484"),
    "KERNEL_SV": (0.8, 0.55),
}

PALETTES = {"dark": _DARK, "light": _LIGHT}

#: roles used for text (and therefore also for lines): ≥ 4.5:1 on every surface of SURFACES
TEXT_ROLES = ("TEXT", "MUTED", "INPUT", "KERNEL", "BIAS", "OUTPUT", "HIGHLIGHT", "POSITIVE", "NEGATIVE",
              "RED", "GREEN", "BLUE", "PAD_LABEL")
#: what text sits on: the background and the cells' panel colour
SURFACES = ("BACKGROUND", "PANEL")
#: roles drawn only as lines or outlines: ≥ 3:1 on the background (GRID_LINE also on PANEL)
LINE_ROLES = ("GRID_LINE", "DROPPED")
#: fills that carry TEXT on them (the zeros of padding cells): TEXT reads at ≥ 4.5:1 on them
TEXT_FILLS = ("PADDING",)
#: how much of a role's colour tints a weight's cell and a tensor's sheet (blended into BACKGROUND);
#: a weight's cell carries its name in its own colour and its value in TEXT
TINT_CELL = 0.22
TINT_SHEET = 0.45

# Pixels are data, not theme: a pixel value of 0 is black and 255 white in both themes.
PIXEL_BLACK = "#000000"
PIXEL_WHITE = "#FFFFFF"
#: text drawn on a shaded cell: whichever of the two reads on the cell's own shade
INK_DARK = "#000000"
INK_LIGHT = "#FFFFFF"

# Fonts (DejaVu ships with every Debian that has Pango)
FONT = "DejaVu Sans"
MONO = "DejaVu Sans Mono"

# Sizes (Manim font sizes; scene units for lengths). Readable at 480p: body ≥ 22.
TITLE_SIZE = 36
BODY_SIZE = 26
SMALL_SIZE = 22
CELL_SIZE = 0.62
CELL_FONT = 22
FORMULA_SIZE = 34
#: The smallest text any scene may show (the layout check enforces it): the
#: size of ConvExampleExplainedClean's products, readable at 480p and on a slide.
MIN_FONT = 20

# Timing (seconds)
FAST = 0.25
NORMAL = 0.6
SLOW = 1.0
PAUSE = 1.2

# -------------------------------------------------------------- the current theme's names
_current = DEFAULT
BACKGROUND = TEXT = MUTED = GRID_LINE = PANEL = ""
INPUT = KERNEL = BIAS = OUTPUT = HIGHLIGHT = POSITIVE = NEGATIVE = PADDING = DROPPED = ""
RED = GREEN = BLUE = PAD_LABEL = ""
CHANNELS: tuple[str, str, str] = ("", "", "")
#: The symbols of the size formulas, coloured by what they measure
SYMBOL_COLORS: dict[str, str] = {}
#: One palette for "which kernel, which weight": colour k is filter k of a kernel bank (the architecture
#: scenes) and weight k of one kernel (row-major, the shared-weights scenes), so "colour k means filter or
#: weight k" holds in every scene. Colour 1 is the kernel's own colour; none is a role's or a channel's colour.
KERNEL_COLORS: tuple[str, ...] = ()
_KERNEL_SV = (0.5, 0.95)


def use(name: str) -> None:
    """Make ``name`` (``"dark"`` or ``"light"``) the current theme: rebinds this module's colours.

    Modules imported before keep the colours they bound at import (see the module doc).
    """
    global _current, BACKGROUND, TEXT, MUTED, GRID_LINE, PANEL, INPUT, KERNEL, BIAS, OUTPUT, HIGHLIGHT
    global POSITIVE, NEGATIVE, PADDING, DROPPED, RED, GREEN, BLUE, PAD_LABEL, CHANNELS, SYMBOL_COLORS
    global KERNEL_COLORS, _KERNEL_SV
    if name not in PALETTES:
        raise ValueError(f"unknown theme {name!r}: choose one of {', '.join(THEMES)}")
    p = PALETTES[name]
    BACKGROUND, TEXT, MUTED, GRID_LINE, PANEL = p["BACKGROUND"], p["TEXT"], p["MUTED"], p["GRID_LINE"], p["PANEL"]
    INPUT, KERNEL, BIAS, OUTPUT, HIGHLIGHT = p["INPUT"], p["KERNEL"], p["BIAS"], p["OUTPUT"], p["HIGHLIGHT"]
    POSITIVE, NEGATIVE, PADDING, DROPPED = p["POSITIVE"], p["NEGATIVE"], p["PADDING"], p["DROPPED"]
    RED, GREEN, BLUE, PAD_LABEL = p["RED"], p["GREEN"], p["BLUE"], p["PAD_LABEL"]
    CHANNELS = (RED, GREEN, BLUE)
    SYMBOL_COLORS = {"N": INPUT, "F": KERNEL, "P": PAD_LABEL, "S": HIGHLIGHT, "C": INPUT, "M": OUTPUT}
    KERNEL_COLORS = (KERNEL, *p["KERNEL_MORE"])
    _KERNEL_SV = p["KERNEL_SV"]
    _current = name


#: modules of the package that read the theme when called, never at import: never forgotten by :func:`switch`
CALL_TIME_MODULES = ("cnnviz", "cnnviz.theme", "cnnviz.formula", "cnnviz.layout", "cnnviz.beats", "cnnviz.images",
                     "cnnviz.registry", "cnnviz.params", "cnnviz.files", "cnnviz.gallery", "cnnviz.slides",
                     "cnnviz.notation")
_ROOT = Path(__file__).resolve().parents[1]


def switch(name: str, also: Iterable[str] = ()) -> list[str]:
    """:func:`use` ``name`` and forget the modules that bound the previous theme's colours at import, so that
    the next ``import`` binds the new ones; return the names of the modules forgotten ([] if ``name`` is
    already the current theme).

    Forgotten: ``cnnviz.drawings``, the ``scenes`` package, the modules named in ``also`` (a user's scene
    module), and every other module of this project (outside ``cnnviz.core``, ``cnnviz.engine`` and
    :data:`CALL_TIME_MODULES`) that holds the theme, a forgotten module or something defined in one.
    Objects made before keep the old colours: import the scene classes again after switching.
    """
    if name not in PALETTES:
        raise ValueError(f"unknown theme {name!r}: choose one of {', '.join(THEMES)}")
    if name == _current:
        return []
    use(name)
    forget = {m for m in sys.modules if m == "cnnviz.drawings" or m == "scenes" or m.startswith("scenes.")}
    forget |= {m for m in also if m in sys.modules}
    candidates = {}
    for m, mod in list(sys.modules.items()):
        if m in forget or m in CALL_TIME_MODULES or m.startswith(("cnnviz.core", "cnnviz.engine", "test")):
            continue
        origin = getattr(mod, "__file__", None)
        if origin and Path(origin).resolve().is_relative_to(_ROOT) and "/tests/" not in origin:
            candidates[m] = mod
    changed = True
    while changed:
        changed = False
        for m, mod in list(candidates.items()):
            for value in list(vars(mod).values()):
                owner = value.__name__ if isinstance(value, types.ModuleType) else getattr(value, "__module__", None)
                if owner in forget or owner == __name__:
                    forget.add(m)
                    del candidates[m]
                    changed = True
                    break
    for m in forget:
        sys.modules.pop(m, None)
    return sorted(forget)


def scene_under(scene_cls: type, name: str) -> type:
    """``scene_cls`` as imported under the theme ``name`` (switching to it; the class itself when it
    already is): ``check_scene(scene_under(cls, "light"))``."""
    import importlib

    module = sys.modules.get(scene_cls.__module__)
    if name == _current and module is not None and getattr(module, scene_cls.__name__, None) is scene_cls:
        return scene_cls
    switch(name, also=[scene_cls.__module__])
    return getattr(importlib.import_module(scene_cls.__module__), scene_cls.__name__)


def current() -> str:
    """The name of the current theme."""
    return _current


def kernel_color(k: int) -> str:
    """The colour of filter ``k`` of a bank, or of weight ``k`` (flat, row-major) of a kernel (0-based).

    :data:`KERNEL_COLORS` for the first nine, then hues spread by the golden ratio, so a 5×5 kernel's
    25 weights (or a bank of 25 filters) stay distinguishable: ``kernel_color(0) == KERNEL``.
    """
    k = int(k)
    if k < 0:
        raise ValueError(f"kernel_color needs a 0-based index, got {k}")
    if k < len(KERNEL_COLORS):
        return KERNEL_COLORS[k]
    s, v = _KERNEL_SV
    r, g, b = colorsys.hsv_to_rgb((0.11 + k * 0.618034) % 1.0, s, v)
    return "#%02X%02X%02X" % (round(r * 255), round(g * 255), round(b * 255))

# ---------------------------------------------------------------- layout rules (cnnviz/layout.py enforces them)
#: Nothing visible comes closer than this to the frame's edge (scene units; whole-frame backgrounds excepted).
EDGE_MARGIN = 0.3
#: A number takes at most this fraction of its cell's width (a ValueGrid cell, or a neuron's diameter).
CELL_FILL = 0.8
#: Text stays at least this many pixels tall (a digit's height) where the notebook displays the scene.
MIN_DISPLAY_PX = 11
#: How wide the notebook's text column is displayed (px): a half-width cell shows a GIF ~450–550 px wide.
NOTEBOOK_COLUMN_PX = 1000
#: Manim's frame width in scene units (8 units tall, 16:9), whatever the resolution.
FRAME_WIDTH = 8 * 16 / 9
#: A digit's height in scene units per point of font size (DejaVu Sans: ``Text("0123456789",
#: font_size=20).height`` = 0.2102; 18.9 px at 720p, where 1 unit = 90 px).
DIGIT_HEIGHT = 0.01051

use(DEFAULT)
