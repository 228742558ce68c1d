"""The shared drawings: one visual language for every scene.

Value grids, tensor stacks, sliding windows, neurons and edges, arrows with a
shape label, titles. Scenes compose these; when two scenes need the same
picture it lives here, once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    Animation,
    AnimationGroup,
    Arrow,
    Circle,
    FadeIn,
    FadeOut,
    Group,
    ImageMobject,
    Line,
    Mobject,
    MoveToTarget,
    Rectangle,
    Scene,
    ShowPassingFlash,
    Square,
    Succession,
    Text,
    VGroup,
    VMobject,
    Wait,
    config,
    interpolate_color,
)
from manim.constants import RESAMPLING_ALGORITHMS
from manim.utils.color import ManimColor

from . import theme


# ---------------------------------------------------------------- numbers & text
def fmt_num(v, decimals: int = 2) -> str:
    """Format a number for display: integers plainly, floats rounded without trailing zeros."""
    if isinstance(v, (bool, np.bool_)):
        return str(int(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    f = float(v)
    if np.isfinite(f) and abs(f - round(f)) < 1e-9:
        return str(int(round(f)))
    s = f"{f:.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def fmt_int(n: int) -> str:
    """Thousands with a comma, as the notebook writes them: 89,610."""
    return f"{int(n):,}"


def label(text: str, size: float = theme.BODY_SIZE, color: str = theme.TEXT, mono: bool = False, **kw) -> Text:
    """A line of text in the theme's font."""
    return Text(text, font=theme.MONO if mono else theme.FONT, font_size=size, color=color, **kw)


def title(text: str, size: float = theme.TITLE_SIZE) -> Text:
    """A title pinned to the top edge of the frame."""
    t = label(text, size=size, weight="BOLD")
    t.to_edge(UP, buff=0.3)
    return t


def fit_width(mob, max_width: float):
    """Shrink ``mob`` (never enlarge) so it is at most ``max_width`` wide."""
    if mob.width > max_width:
        mob.scale_to_fit_width(max_width)
    return mob


def shade_gray(v: float, vmin: float = 0, vmax: float = 255) -> ManimColor:
    """Grey level of a pixel value: vmin → black, vmax → white."""
    t = 0.0 if vmax == vmin else float(np.clip((v - vmin) / (vmax - vmin), 0, 1))
    return interpolate_color(ManimColor("#000000"), ManimColor("#FFFFFF"), t)


def shade_signed(v: float, vmax: float) -> ManimColor:
    """Diverging shade: negative → theme NEGATIVE, positive → theme POSITIVE, 0 → panel."""
    t = 0.0 if vmax == 0 else float(np.clip(abs(v) / vmax, 0, 1))
    end = theme.NEGATIVE if v < 0 else theme.POSITIVE
    return interpolate_color(ManimColor(theme.PANEL), ManimColor(end), 0.25 + 0.75 * t if v else 0)


def shade_heat(v: float, vmin: float, vmax: float) -> ManimColor:
    """Sequential shade for counts and magnitudes: vmin → panel, vmax → theme HIGHLIGHT."""
    t = 0.0 if vmax == vmin else float(np.clip((v - vmin) / (vmax - vmin), 0, 1))
    return interpolate_color(ManimColor(theme.PANEL), ManimColor(theme.HIGHLIGHT), 0.15 + 0.85 * t)


def contrast_text(fill: ManimColor) -> str:
    """Black or white text, whichever reads on ``fill``."""
    r, g, b = fill.to_rgb()
    return "#000000" if 0.299 * r + 0.587 * g + 0.114 * b > 0.55 else "#FFFFFF"


# ---------------------------------------------------------------- value grid
class ValueGrid(VGroup):
    """A matrix drawn as square cells with its numbers.

    ``shade``: None (flat ``fill`` colour), ``"gray"`` (0–255 pixel values,
    0 black, 255 white), ``"signed"`` (negative/positive colours) or
    ``"heat"`` (a count or magnitude: low → panel, high → highlight; e.g. a
    coverage map).
    ``show_values=False`` draws the cells only (labels can be added later with
    :meth:`value_label`, e.g. an output map that fills in).
    Submobjects: ``cells`` (VGroup of Squares, row-major) and ``labels``
    (VGroup of Texts, row-major, empty if values are hidden).
    """

    def __init__(
        self,
        values,
        cell_size: float = theme.CELL_SIZE,
        font_size: float | None = None,
        color: str = theme.INPUT,
        fill: str | None = theme.PANEL,
        fill_opacity: float = 1.0,
        shade: str | None = None,
        vrange: tuple[float, float] | None = None,
        show_values: bool = True,
        stroke_width: float = 2.0,
        decimals: int = 2,
    ):
        super().__init__()
        arr = np.asarray(values)
        if arr.ndim != 2:
            raise ValueError(f"ValueGrid needs a 2-D array, got shape {arr.shape}")
        self.values = arr
        self.rows, self.cols = arr.shape
        self.cell_size = cell_size
        self.font_size = font_size if font_size is not None else theme.CELL_FONT * cell_size / theme.CELL_SIZE
        self.role_color = color
        self.decimals = decimals
        if vrange is None and arr.size:
            vrange = (float(arr.min()), float(arr.max()))
        self.vrange = vrange or (0.0, 1.0)
        self.shade = shade
        self.cells = VGroup()
        for i in range(self.rows):
            for j in range(self.cols):
                sq = Square(cell_size, stroke_color=color, stroke_width=stroke_width)
                sq.set_fill(self.cell_fill(arr[i, j], fill), opacity=fill_opacity if (fill or shade) else 0)
                sq.move_to(np.array([j * cell_size, -i * cell_size, 0.0]))
                self.cells.add(sq)
        self.labels = VGroup()
        self.add(self.cells, self.labels)
        if show_values:
            for i in range(self.rows):
                for j in range(self.cols):
                    self.labels.add(self.value_label(i, j, arr[i, j]))
        self.move_to(np.zeros(3))

    def cell_fill(self, v, fill: str | None = theme.PANEL) -> ManimColor:
        if self.shade == "gray":
            return shade_gray(v, *self.vrange)
        if self.shade == "signed":
            return shade_signed(v, max(abs(self.vrange[0]), abs(self.vrange[1])))
        if self.shade == "heat":
            return shade_heat(v, *self.vrange)
        return ManimColor(fill or theme.PANEL)

    def cell(self, i: int, j: int) -> Square:
        return self.cells[i * self.cols + j]

    def label_at(self, i: int, j: int) -> Text:
        return self.labels[i * self.cols + j]

    def value_label(self, i: int, j: int, v, color: str | None = None) -> Text:
        """A number sized and placed for cell (i, j) (not added to the grid)."""
        sq = self.cell(i, j)
        if color is None:
            color = contrast_text(sq.get_fill_color()) if self.shade else theme.TEXT
        t = Text(fmt_num(v, self.decimals), font=theme.MONO, font_size=self.font_size, color=color)
        fit_width(t, self.cell_size * 0.86)
        return t.move_to(sq.get_center())

    def heading(self, text: str) -> Text:
        """A small title above the grid, in the grid's role colour (not added to the grid)."""
        return label(text, size=theme.SMALL_SIZE, color=self.role_color).next_to(self, UP, buff=0.15)

    def window(self, i: int, j: int, h: int, w: int, color: str = theme.HIGHLIGHT, stroke_width: float = 6) -> Rectangle:
        """A frame around the h×w block of cells whose top-left cell is (i, j)."""
        r = Rectangle(width=w * self.cell_size, height=h * self.cell_size, stroke_color=color, stroke_width=stroke_width)
        return r.move_to(self.block_center(i, j, h, w))

    def block_center(self, i: int, j: int, h: int, w: int) -> np.ndarray:
        tl = self.cell(i, j).get_center()
        return tl + np.array([(w - 1) * self.cell_size / 2, -(h - 1) * self.cell_size / 2, 0.0])

    def block(self, i: int, j: int, h: int, w: int) -> VGroup:
        """The cells (and labels, if any) of the h×w block at (i, j)."""
        idx = [(a, b) for a in range(i, i + h) for b in range(j, j + w)]
        g = VGroup(*(self.cell(a, b) for a, b in idx))
        if len(self.labels):
            g.add(*(self.label_at(a, b) for a, b in idx))
        return g


def image_grid(pixels, height: float, **kw) -> ValueGrid:
    """A grayscale image as a shaded grid of its 0–255 values, ``height`` scene units tall."""
    arr = np.asarray(pixels)
    return ValueGrid(arr, cell_size=height / arr.shape[0], shade="gray", vrange=(0, 255), color=theme.GRID_LINE,
                     stroke_width=0.5, **kw)


# ---------------------------------------------------------------- pictures
class PixelImage(Group):
    """A picture drawn pixel-exact: an H×W (grey) or H×W×3 (RGB) uint8 array, ``height`` units tall.

    One raster (``ImageMobject``, nearest-neighbour), so a 300×450 photo costs
    no more to draw than a 4×4 one; a grid of numbers (:class:`ValueGrid`)
    is for the few pixels whose values are shown, e.g. in a
    :func:`zoom_callout`. ``box(r, c, h, w)`` frames a block of pixels and
    ``pixel_center(r, c)`` is where pixel (r, c) is drawn.
    """

    def __init__(self, pixels, height: float, border: str | None = theme.GRID_LINE):
        super().__init__()
        arr = np.asarray(pixels)
        if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (3, 4)) or 0 in arr.shape:
            raise ValueError(f"PixelImage needs an H×W or H×W×3 array, got shape {arr.shape}")
        if arr.dtype != np.uint8:
            raise ValueError(f"PixelImage needs uint8 pixels (0–255), got dtype {arr.dtype}")
        self.pixels = arr
        self.rows, self.cols = arr.shape[:2]
        self.image = ImageMobject(arr)
        self.image.set_resampling_algorithm(RESAMPLING_ALGORITHMS["nearest"])
        self.image.height = height
        self.add(self.image)
        self.frame = None
        if border:
            self.frame = Rectangle(width=self.image.width, height=self.image.height, stroke_color=border,
                                   stroke_width=1.5).move_to(self.image)
            self.add(self.frame)

    @property
    def pixel_size(self) -> float:
        return self.image.height / self.rows

    def pixel_center(self, r: float, c: float) -> np.ndarray:
        ul = self.image.get_corner(UP + LEFT)
        return ul + np.array([(c + 0.5) * self.pixel_size, -(r + 0.5) * self.pixel_size, 0.0])

    def box(self, r: int, c: int, h: int, w: int, color: str = theme.HIGHLIGHT, stroke_width: float = 4) -> Rectangle:
        """A frame around the h×w block of pixels whose top-left pixel is (r, c)."""
        rect = Rectangle(width=w * self.pixel_size, height=h * self.pixel_size, stroke_color=color,
                         stroke_width=stroke_width)
        return rect.move_to((self.pixel_center(r, c) + self.pixel_center(r + h - 1, c + w - 1)) / 2)


def zoom_callout(source: Mobject, target: Mobject, color: str = theme.HIGHLIGHT, width: float = 2.0) -> VGroup:
    """Two lines joining a small region (``source``, e.g. ``PixelImage.box(...)``) to its zoomed
    view (``target``, e.g. a :class:`ValueGrid` of those pixels' values), corner to facing corner."""
    d = target.get_center() - source.get_center()
    if abs(d[0]) >= abs(d[1]):
        side = RIGHT if d[0] > 0 else LEFT
        pairs = [(UP + side, UP - side), (DOWN + side, DOWN - side)]
    else:
        side = UP if d[1] > 0 else DOWN
        pairs = [(side + LEFT, -side + LEFT), (side + RIGHT, -side + RIGHT)]
    return VGroup(*(Line(source.get_corner(a), target.get_corner(b), stroke_color=color, stroke_width=width,
                         stroke_opacity=0.8) for a, b in pairs))


# ---------------------------------------------------------------- sliding window
class SlidingWindow(VGroup):
    """A highlighted kernel-sized frame that steps over a :class:`ValueGrid`.

    ``window.step_to(i, j)`` returns the animation moving it to the window
    whose top-left cell is (i, j).
    """

    def __init__(self, grid: ValueGrid, kh: int, kw: int | None = None, color: str = theme.HIGHLIGHT):
        super().__init__()
        self.grid, self.kh, self.kw = grid, kh, kw or kh
        self.frame = grid.window(0, 0, self.kh, self.kw, color=color)
        self.add(self.frame)

    def step_to(self, i: int, j: int):
        return self.animate.move_to(self.grid.block_center(i, j, self.kh, self.kw))

    def place(self, i: int, j: int) -> "SlidingWindow":
        self.move_to(self.grid.block_center(i, j, self.kh, self.kw))
        return self


# ---------------------------------------------------------------- tensor stack
class TensorStack(VGroup):
    """An H×W×C tensor as C offset sheets: channel 0 in front (bottom-left), the
    later channels behind it, each shifted up and to the right.

    Shows at most ``max_sheets`` sheets (a large C is drawn with that many,
    the label still tells the true shape). ``colors``: one colour per sheet,
    cycled. ``sheet(k)`` is channel k's sheet; ``sheets`` holds them back to
    front (drawing order). The label (``shape_label``) sits below.
    """

    def __init__(
        self,
        h: int,
        w: int,
        c: int,
        unit: float = 0.3,
        colors: Sequence[str] = (theme.INPUT,),
        max_sheets: int = 8,
        offset: float = 0.16,
        label_text: str | None = None,
        label_size: float = theme.SMALL_SIZE,
        max_side: float = 2.6,
        fill_opacity: float = 0.85,
    ):
        super().__init__()
        self.shape = (h, w, c)
        scale = min(1.0, max_side / max(h * unit, w * unit))
        sw, sh = w * unit * scale, h * unit * scale
        n = min(c, max_sheets)
        self.sheets = VGroup()
        for k in reversed(range(n)):
            col = colors[k % len(colors)]
            r = Rectangle(width=sw, height=sh, stroke_color=col, stroke_width=2)
            r.set_fill(interpolate_color(ManimColor(theme.BACKGROUND), ManimColor(col), 0.45), opacity=fill_opacity)
            r.shift(np.array([k * offset, k * offset, 0.0]))
            self.sheets.add(r)  # back to front: the front sheet is drawn last, on top
        self.add(self.sheets)
        text = label_text if label_text is not None else f"{h}×{w}×{c}"
        self.shape_label = label(text, size=label_size)
        self.shape_label.next_to(self.sheets, DOWN, buff=0.2)
        self.add(self.shape_label)

    def sheet(self, k: int) -> Rectangle:
        """The sheet of channel ``k`` (0 = front)."""
        return self.sheets[len(self.sheets) - 1 - k]

    @property
    def front(self) -> Rectangle:
        return self.sheet(0)


# ---------------------------------------------------------------- neurons & edges
class NeuronLayer(VGroup):
    """A vertical column of neurons. With ``ellipsis_after=k`` the column shows
    the first k and the last ``n_shown - k`` neurons with a "⋮" between, for
    layers too big to draw (784, 100…)."""

    def __init__(
        self,
        n_shown: int,
        radius: float = 0.16,
        spacing: float = 0.45,
        color: str = theme.INPUT,
        ellipsis_after: int | None = None,
        fill_opacity: float = 0.0,
    ):
        super().__init__()
        self.neurons = VGroup()
        self.ellipsis = None
        y = 0.0
        positions = []
        for k in range(n_shown):
            if ellipsis_after is not None and k == ellipsis_after:
                self.ellipsis = label("⋮", size=theme.BODY_SIZE, color=theme.MUTED).move_to([0, y, 0])
                y -= spacing
            positions.append(y)
            y -= spacing
        for y in positions:
            c = Circle(radius=radius, stroke_color=color, stroke_width=2.5)
            c.set_fill(color, opacity=fill_opacity)
            self.neurons.add(c.move_to([0, y, 0]))
        self.add(self.neurons)
        if self.ellipsis is not None:
            self.add(self.ellipsis)
        self.move_to(np.zeros(3))

    def __len__(self) -> int:  # the neurons, not the ellipsis
        return len(self.neurons)


def edge(a: VMobject, b: VMobject, color: str = theme.MUTED, width: float = 1.5, opacity: float = 0.6) -> Line:
    """A straight edge from the right of ``a`` to the left of ``b``."""
    return Line(a.get_right(), b.get_left(), stroke_color=color, stroke_width=width, stroke_opacity=opacity)


def connect(
    left: NeuronLayer,
    right: NeuronLayer,
    pairs: Iterable[tuple[int, int]] | None = None,
    colors: Sequence[str] | None = None,
    **kw,
) -> VGroup:
    """Edges between two layers: all pairs (dense) by default, or the given (i, j) pairs."""
    if pairs is None:
        pairs = [(i, j) for i in range(len(left)) for j in range(len(right))]
    base = kw.pop("color", theme.MUTED)
    g = VGroup()
    for k, (i, j) in enumerate(pairs):
        col = colors[k % len(colors)] if colors else base
        g.add(edge(left.neurons[i], right.neurons[j], color=col, **kw))
    return g


# ---------------------------------------------------------------- arrows & captions
class ShapeArrow(VGroup):
    """An arrow with a label (a shape like "3×3×1", or an operation) above it."""

    def __init__(self, start, end, text: str = "", color: str = theme.MUTED, size: float = theme.SMALL_SIZE):
        super().__init__()
        self.arrow = Arrow(start, end, buff=0.1, stroke_color=color, stroke_width=4, max_tip_length_to_length_ratio=0.2)
        self.arrow.set_fill(color)
        self.add(self.arrow)
        self.text = None
        if text:
            self.text = label(text, size=size, color=theme.TEXT)
            self.text.next_to(self.arrow, UP, buff=0.08)
            self.add(self.text)


def caption(text: str, size: float = theme.BODY_SIZE, color: str = theme.TEXT) -> Text:
    """A caption line pinned to the bottom edge."""
    t = label(text, size=size, color=color)
    fit_width(t, config.frame_width - 0.6)
    return t.to_edge(DOWN, buff=0.3)


# ---------------------------------------------------------------- ch3 training (Dropout, BatchNormStep, TrainVsEval, ...)
def value_vector(values, vertical: bool = False, **kw) -> ValueGrid:
    """A vector of numbers as one row of cells (``vertical=True``: one column).

    ``value_vector([10, 20, 30], color=theme.INPUT)`` is a 1×3 :class:`ValueGrid`
    (``cell(0, k)``/``label_at(0, k)`` is entry k); vertically it is 3×1
    (``cell(k, 0)``). Every ``ValueGrid`` keyword (cell_size, shade, decimals…)
    passes through.
    """
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"value_vector needs a 1-D array, got shape {arr.shape}")
    return ValueGrid(arr.reshape(-1, 1) if vertical else arr.reshape(1, -1), **kw)


class NeuronNetwork(VGroup):
    """A dense MLP whose neurons can be switched off (dropout): :class:`NeuronLayer` columns side
    by side, every pair of neighbouring layers fully connected.

    ``net = NeuronNetwork((3, 5, 5, 2), width=7, height=4)``: ``net.layers[k]`` is layer k,
    ``net.edges[k]`` the edges between layers k and k + 1 (``net.pairs[k]`` their ``(i, j)``,
    row-major). ``net.set_mask(k, mask)`` switches off the neurons of layer k whose mask entry
    is 0 — drawn in ``theme.DROPPED`` — and dims every edge that touches one; a mask of ones
    switches them back on. It works in place, so ``self.play(net.animate.set_mask(1, m))``
    animates it. ``net.pulse()`` is a forward pass: a flash along the live edges, layer by layer.
    Colours: the input layer ``theme.INPUT``, hidden layers ``theme.TEXT``, the output layer
    ``theme.OUTPUT`` (or one colour per layer in ``colors``).
    """

    def __init__(
        self,
        sizes: Sequence[int],
        width: float = 7.0,
        height: float = 4.0,
        colors: Sequence[str] | None = None,
        max_radius: float = 0.3,
        edge_width: float = 1.5,
        edge_opacity: float = 0.6,
        fill_opacity: float = 0.45,
    ):
        super().__init__()
        sizes = tuple(int(n) for n in sizes)
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"NeuronNetwork needs at least two layers of at least one neuron, got {sizes}")
        self.sizes = sizes
        if colors is None:
            colors = [theme.INPUT] + [theme.TEXT] * (len(sizes) - 2) + [theme.OUTPUT]
        self.colors = tuple(colors)
        self.edge_opacity, self.fill_opacity = edge_opacity, fill_opacity
        spacing = height / max(max(sizes) - 1, 1)
        radius = min(max_radius, 0.32 * spacing)
        self.layers = []
        for k, n in enumerate(sizes):
            layer = NeuronLayer(n, radius=radius, spacing=spacing, color=self.colors[k], fill_opacity=fill_opacity)
            layer.move_to([(k / (len(sizes) - 1) - 0.5) * width, 0, 0])
            self.layers.append(layer)
        self.pairs = [[(i, j) for i in range(a) for j in range(b)] for a, b in zip(sizes[:-1], sizes[1:])]
        self.edges = [connect(self.layers[k], self.layers[k + 1], width=edge_width, opacity=edge_opacity)
                      for k in range(len(sizes) - 1)]
        self.masks = [np.ones(n, dtype=np.int64) for n in sizes]
        self.add(*self.edges, *self.layers)  # edges first: the neurons are drawn over them

    def _checked(self, k: int, mask) -> np.ndarray:
        mask = np.asarray(mask).reshape(-1)
        if mask.shape != (self.sizes[k],):
            raise ValueError(f"a mask of {mask.size} entries for layer {k} of {self.sizes[k]} neurons")
        return mask.astype(np.int64)

    def _style_neuron(self, neuron: VMobject, k: int, on) -> VMobject:
        color = self.colors[k] if on else theme.DROPPED
        return neuron.set_stroke(color, opacity=1.0).set_fill(color, opacity=self.fill_opacity if on else 0.5)

    def _edge_opacity(self, masks, g: int, i: int, j: int) -> float:
        return self.edge_opacity if masks[g][i] and masks[g + 1][j] else 0.06

    def set_mask(self, k: int, mask) -> "NeuronNetwork":
        """Switch off the neurons of layer ``k`` where ``mask`` is 0 (and on where it is 1)."""
        self.masks[k] = self._checked(k, mask)
        for neuron, on in zip(self.layers[k].neurons, self.masks[k]):
            self._style_neuron(neuron, k, on)
        for g in (k - 1, k):
            if 0 <= g < len(self.edges):
                for e, (i, j) in zip(self.edges[g], self.pairs[g]):
                    e.set_stroke(opacity=self._edge_opacity(self.masks, g, i, j))
        return self

    def mask_animations(self, masks: dict) -> list[Animation]:
        """Animations to the state ``masks`` (``{layer: mask}``): one per neuron or edge that changes.

        Cheaper than ``net.animate.set_mask(...)`` (which copies the whole network twice); play
        them with ``self.play(*net.mask_animations({1: m1, 2: m2}))``. ``net.masks`` is updated
        at once; a mask that changes nothing gives no animation.
        """
        old = [m.copy() for m in self.masks]
        for k, mask in masks.items():
            self.masks[k] = self._checked(k, mask)
        anims: list[Animation] = []
        for k in masks:
            for neuron, was, now in zip(self.layers[k].neurons, old[k], self.masks[k]):
                if was != now:
                    self._style_neuron(neuron.generate_target(), k, now)
                    anims.append(MoveToTarget(neuron))
        for g in range(len(self.edges)):
            for e, (i, j) in zip(self.edges[g], self.pairs[g]):
                before, after = self._edge_opacity(old, g, i, j), self._edge_opacity(self.masks, g, i, j)
                if before != after:
                    e.generate_target().set_stroke(opacity=after)
                    anims.append(MoveToTarget(e))
        return anims

    def live_edges(self, g: int) -> list[Line]:
        """The edges between layers g and g + 1 whose two neurons are both on."""
        return [e for e, (i, j) in zip(self.edges[g], self.pairs[g]) if self.masks[g][i] and self.masks[g + 1][j]]

    def pulse(self, color: str = theme.HIGHLIGHT, run_time: float = 1.2) -> Animation:
        """A forward pass: a flash runs along the live edges, one layer after the other."""
        steps = []
        for g in range(len(self.edges)):
            flashes = [ShowPassingFlash(e.copy().set_stroke(color, width=3.5, opacity=1.0), time_width=0.6)
                       for e in self.live_edges(g)]
            if flashes:
                steps.append(AnimationGroup(*flashes))
        if not steps:
            return Wait(run_time)
        return Succession(*steps, run_time=run_time)


class QuickFade(Animation):
    """A fade in (``fade_in=True``) or out of vector graphics that copies nothing.

    Manim's ``FadeIn``/``FadeOut`` are transforms: each makes two deep copies of
    the whole mobject (every glyph of every number), which dominates the render
    time of text-heavy scenes. This scales the fill and stroke opacities of the
    mobject's own parts instead, and restores them when done (a faded-out
    mobject leaves the scene with its original opacities, like ``FadeOut``).
    The same picture as ``FadeIn(m)``/``FadeOut(m)`` without ``shift``/``scale``.
    For a group holding pictures (``ImageMobject``) use :func:`fade_in`/:func:`fade_out`,
    which fall back to Manim's fades.
    """

    _ARRAYS = ("fill_rgbas", "stroke_rgbas", "background_stroke_rgbas")

    def __init__(self, mobject: Mobject, fade_in: bool = True, **kwargs):
        if not _vector_only(mobject):
            raise TypeError("QuickFade fades vector graphics only; use fade_in/fade_out for pictures")
        self.fade_in = fade_in
        self._parts: list = []
        super().__init__(mobject, introducer=fade_in, remover=not fade_in, **kwargs)

    def create_starting_mobject(self) -> Mobject:
        return Mobject()  # nothing to remember but the opacities (see begin)

    def begin(self) -> None:
        self._parts = [(sm, name, getattr(sm, name)[:, 3].copy())
                       for sm in self.mobject.family_members_with_points()
                       for name in self._ARRAYS if getattr(sm, name, None) is not None]
        super().begin()

    def interpolate_mobject(self, alpha: float) -> None:
        a = alpha if self.fade_in else 1.0 - alpha
        for sm, name, orig in self._parts:
            getattr(sm, name)[:, 3] = orig * a

    def clean_up_from_scene(self, scene: Scene) -> None:
        super().clean_up_from_scene(scene)
        if not self.fade_in:
            for sm, name, orig in self._parts:
                getattr(sm, name)[:, 3] = orig


def _vector_only(mobject: Mobject) -> bool:
    return all(isinstance(sm, VMobject) for sm in mobject.family_members_with_points())


def fade_in(mobject: Mobject, **kwargs) -> Animation:
    """``FadeIn(mobject)``, without its copies when the mobject is all vector graphics (:class:`QuickFade`)."""
    return QuickFade(mobject, True, **kwargs) if _vector_only(mobject) else FadeIn(mobject, **kwargs)


def fade_out(mobject: Mobject, **kwargs) -> Animation:
    """``FadeOut(mobject)``, without its copies when the mobject is all vector graphics (:class:`QuickFade`)."""
    return QuickFade(mobject, False, **kwargs) if _vector_only(mobject) else FadeOut(mobject, **kwargs)


# ---------------------------------------------------------------- the scene base
class CnnvizScene(Scene):
    """Every cnnviz scene: themed background; ``data`` is the scene's pure data function.

    Teaching steps end with :meth:`beat` (never a bare ``wait``), and the scene
    ends with :meth:`clear_all`.
    """

    data = None  # set to staticmethod(<data function>) by each scene

    def setup(self):
        self.camera.background_color = ManimColor(theme.BACKGROUND)
        self.beats: list[float] = []

    def beat(self, hold: float = theme.PAUSE):
        """The end of a teaching step: hold the picture for ``hold`` seconds.

        Every step of every scene ends here, so the beats are one place to
        change: a presenter's step-through (e.g. Manim's ``next_section`` per
        beat, or a slide deck) needs no edit of any scene. ``self.beats`` holds
        the scene time of each beat.
        """
        self.wait(hold)
        self.beats.append(self.renderer.time)

    def clear_all(self, run_time: float = 0.5):
        """Fade everything out: the last animation, so the GIF loops back to its empty first frame.

        When only the last frame is saved (``-s``, ``--format png``: a poster for
        slides) the scene keeps its final picture instead.
        """
        if config.save_last_frame:
            return
        mobs = [m for m in self.mobjects if m.family_members_with_points()]
        if mobs:
            self.play(*(FadeOut(m) for m in mobs), run_time=run_time)


__all__ = [
    "fmt_num", "fmt_int", "label", "title", "fit_width", "shade_gray", "shade_signed", "shade_heat", "contrast_text",
    "ValueGrid", "image_grid", "PixelImage", "zoom_callout", "SlidingWindow", "TensorStack", "NeuronLayer", "edge", "connect",
    "ShapeArrow", "caption", "CnnvizScene",
    "value_vector", "NeuronNetwork", "QuickFade", "fade_in", "fade_out",
]
