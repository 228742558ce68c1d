"""One colour theme, fonts and sizes for every scene (plain values: no Manim import)."""

from __future__ import annotations

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

# One colour per filter of a kernel bank, filter 1 in the kernel's colour (cycled beyond five);
# none of them is a channel's or a role's colour, so "which filter made this map" reads at a glance.
FILTERS = (KERNEL, "#F06595", "#9775FA", "#CED4DA", "#A9744F")
