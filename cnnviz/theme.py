"""One colour theme, fonts and sizes for every scene (plain values: no Manim import)."""

from __future__ import annotations

import colorsys

# Background and text
BACKGROUND = "#11141B"
TEXT = "#ECEFF4"
MUTED = "#8E97A8"
GRID_LINE = "#5B6475"
PANEL = "#1C2130"

# Roles: the same colour means the same thing in every scene
INPUT = "#58C4DD"       # input pixels / x
KERNEL = "#F4A259"      # kernel weights / w
BIAS = "#C792EA"        # bias b
OUTPUT = "#7BD389"      # output / feature map / z
HIGHLIGHT = "#FFD166"   # the current window, the selected value
POSITIVE = "#5CD0B3"
NEGATIVE = "#FC6255"
PADDING = "#3A4150"     # zero-padding cells
DROPPED = "#4A4F5C"     # switched-off neurons

# Channels of a colour image
RED = "#FF6B6B"
GREEN = "#69DB7C"
BLUE = "#4DABF7"
CHANNELS = (RED, GREEN, BLUE)

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

# The symbols of the size formulas, coloured by what they measure
PAD_LABEL = "#A3B8FF"
SYMBOL_COLORS = {"N": INPUT, "F": KERNEL, "P": PAD_LABEL, "S": HIGHLIGHT, "C": INPUT, "M": OUTPUT}

# One palette for "which kernel, which weight": colour k is filter k of a kernel bank (the architecture
# scenes) and weight k of one kernel (row-major, the shared-weights scenes), so "colour k means filter or
# weight k" holds in every scene. Colour 1 is the kernel's own colour; none is a role's or a channel's colour.
KERNEL_COLORS = (KERNEL, "#F06595", "#C0EB75", "#748FFC", "#A9744F", "#9775FA", "#FFA8A8", "#FFE8CC", "#A5D8FF")


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
    r, g, b = colorsys.hsv_to_rgb((0.11 + k * 0.618034) % 1.0, 0.5, 0.95)
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
