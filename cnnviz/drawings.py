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
    Group,
    ImageMobject,
    Line,
    Mobject,
    MoveToTarget,
    Rectangle,
    RoundedRectangle,
    Scene,
    ShowPassingFlash,
    Square,
    Succession,
    Text,
    Transform,
    VGroup,
    VMobject,
    Wait,
    config,
    interpolate_color,
)
from manim.constants import RESAMPLING_ALGORITHMS
from manim.mobject.types.image_mobject import AbstractImageMobject
from manim.utils.color import ManimColor

from . import notation, theme
from .texts import frame_caches, make_text


# ---------------------------------------------------------------- numbers & text
def fmt_num(v, decimals: int = 2) -> str:
    """Format a number for display (:func:`cnnviz.notation.fmt_num`): integers with thousands separators,
    floats rounded without trailing zeros."""
    return notation.fmt_num(v, decimals)


def fmt_factor(v) -> str:
    """A factor as written in a product: negatives in parentheses (``3×(-1)``)."""
    return f"({fmt_num(v)})" if v < 0 else fmt_num(v)


def fmt_int(n: int) -> str:
    """Thousands with a comma, as the notebook writes them: 89,610 (:func:`cnnviz.notation.fmt_int`)."""
    return notation.fmt_int(n)


def label(text_: str, size: float = theme.BODY_SIZE, color: str = theme.TEXT, mono: bool = False, **kw) -> Text:
    """A line of text in the theme's font."""
    return make_text(text_, font=theme.MONO if mono else theme.FONT, font_size=size, color=color, **kw)


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


def _unit(a, lo: float, hi: float) -> np.ndarray:
    """(a − lo) / (hi − lo) clipped to 0…1 (0 everywhere when hi == lo)."""
    a = np.asarray(a, dtype=np.float64)
    return np.zeros_like(a) if hi == lo else np.clip((a - lo) / (hi - lo), 0.0, 1.0)


def _rgb(color: str) -> np.ndarray:
    return np.array(ManimColor(color).to_rgb(), dtype=np.float64)


def _signed_rgb(a, vmax: float, linear: bool = False) -> np.ndarray:
    """The diverging shade of each value (…×3 floats 0–1): 0 → panel, a sign's colour from a quarter to full at |vmax|
    (``linear=True``: from none at 0 to full at |vmax|, proportional to |value|)."""
    a = np.asarray(a, dtype=np.float64)
    floor = 0.0 if linear else 0.25
    t = np.where(a != 0, floor + (1 - floor) * _unit(np.abs(a), 0.0, abs(vmax)), 0.0)[..., None]
    panel = _rgb(theme.PANEL)
    end = np.where((a < 0)[..., None], _rgb(theme.NEGATIVE), _rgb(theme.POSITIVE))
    return panel + (end - panel) * t


def shade_gray(v: float, vmin: float = 0, vmax: float = 255, tint: str = theme.PIXEL_WHITE) -> ManimColor:
    """Grey level of a pixel value: vmin → black, vmax → white (or → ``tint``: a channel's colour)."""
    return ManimColor.from_rgb(tuple(float(_unit(v, vmin, vmax)) * _rgb(tint)))


def shade_signed(v: float, vmax: float) -> ManimColor:
    """Diverging shade: negative → theme NEGATIVE, positive → theme POSITIVE, 0 → panel."""
    return ManimColor.from_rgb(tuple(_signed_rgb(v, vmax)))


def shade_heat(v: float, vmin: float, vmax: float) -> ManimColor:
    """Sequential shade for counts and magnitudes: vmin → panel, vmax → theme HIGHLIGHT."""
    t = 0.0 if vmax == vmin else float(np.clip((v - vmin) / (vmax - vmin), 0, 1))
    return interpolate_color(ManimColor(theme.PANEL), ManimColor(theme.HIGHLIGHT), 0.15 + 0.85 * t)


def contrast_text(fill: ManimColor) -> str:
    """Black or white text, whichever reads on ``fill``."""
    r, g, b = fill.to_rgb()
    return theme.INK_DARK if 0.299 * r + 0.587 * g + 0.114 * b > 0.55 else theme.INK_LIGHT


# ---------------------------------------------------------------- value grid
_WIDTHS: dict[tuple[str, str], float] = {}


def _text_width(s: str, font_size: float, font: str = theme.MONO) -> float:
    """How wide ``s`` is drawn at ``font_size`` (measured once per text at size 48, then scaled)."""
    key = (s, font)
    if key not in _WIDTHS:
        _WIDTHS[key] = make_text(s, font=font, font_size=48).width
    return _WIDTHS[key] * font_size / 48


class ValueGrid(VGroup):
    """A matrix drawn as cells with its numbers.

    ``shade``: None (flat ``fill`` colour), ``"gray"`` (0–255 pixel values,
    0 black, 255 white), ``"signed"`` (negative/positive colours) or
    ``"heat"`` (a count or magnitude: low → panel, high → highlight; e.g. a
    coverage map).
    ``show_values=False`` draws the cells only (labels can be added later with
    :meth:`value_label`, e.g. an output map that fills in).
    Submobjects: ``cells`` (VGroup of Squares, row-major) and ``labels``
    (VGroup of Texts, row-major, empty if values are hidden).

    **Numbers fit their cells.** Every number is drawn at ``font_size`` (never shrunk: one size for the
    whole grid) and takes at most ``theme.CELL_FILL`` (80 %) of its cell's width: where ``values`` at that
    size need more, the cells widen (``cell_width`` > ``cell_size``; the cells are then rectangles
    ``cell_width`` wide and ``cell_size`` tall). With ``max_width``, a grid that would be wider than that
    refuses with a ValueError naming the number, the font size and the room (use a smaller font or fewer
    columns). ``fit_values=False``: the cells will never show numbers (a grid of colours): no widening::

        ValueGrid([[1, -1419], [3, 4]], cell_size=0.62)   # cells widen so "-1,419" fills at most 80 %
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
        fit_values: bool = True,
        max_width: float | None = None,
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
        self.cell_width = cell_size
        if fit_values and arr.size:
            widest, text = self._widest(arr)
            if widest > theme.CELL_FILL * cell_size:
                self.cell_width = widest / theme.CELL_FILL
            if max_width is not None and self.cols * self.cell_width > max_width + 1e-9:
                raise ValueError(
                    f"ValueGrid: {text!r} at font size {self.font_size:.0f} is {widest:.2f} wide, so {self.cols} "
                    f"columns need {self.cols * self.cell_width:.2f} units (each number at most "
                    f"{theme.CELL_FILL:.0%} of its cell), more than the {max_width:.2f} allowed: "
                    "show fewer columns, or a smaller font (not below the scene's minimum)")
        cw, ch = self.cell_width, cell_size
        self.cells = VGroup()
        for i in range(self.rows):
            for j in range(self.cols):
                sq = (Square(cell_size, stroke_color=color, stroke_width=stroke_width) if cw == ch else
                      Rectangle(width=cw, height=ch, stroke_color=color, stroke_width=stroke_width))
                sq.set_fill(self.cell_fill(arr[i, j], fill), opacity=fill_opacity if (fill or shade) else 0)
                sq.move_to(np.array([j * cw, -i * ch, 0.0]))
                self.cells.add(sq)
        self.labels = VGroup()
        self.add(self.cells, self.labels)
        if show_values:
            for i in range(self.rows):
                for j in range(self.cols):
                    self.labels.add(self.value_label(i, j, arr[i, j]))
        self.move_to(np.zeros(3))

    def _widest(self, arr) -> tuple[float, str]:
        """The widest of the grid's numbers at its font size, and which (measured: every text of the greatest
        length, up to 40 of them in a fixed order, so the answer never depends on set order or hash seed;
        a text's ink width varies a little with its glyphs even in a monospaced font)."""
        texts = {fmt_num(v, self.decimals) for v in arr.ravel()}
        most = max(map(len, texts))
        longest = sorted(t for t in texts if len(t) == most)[:40]
        widths = [(_text_width(t, self.font_size), t) for t in longest]
        return max(widths)

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
        """The number ``v`` at the grid's font size, centred in cell (i, j) (not added to the grid).

        Never shrunk: a value the grid was not built for (``values``) may be wider than its cell,
        which the layout check's ``cell-fit`` rule reports."""
        sq = self.cell(i, j)
        if color is None:
            color = contrast_text(sq.get_fill_color()) if self.shade else theme.TEXT
        t = make_text(fmt_num(v, self.decimals), font=theme.MONO, font_size=self.font_size, color=color)
        return t.move_to(sq.get_center())

    def heading(self, text: str) -> Text:
        """A small title above the grid, in the grid's role colour (not added to the grid)."""
        return label(text, size=theme.SMALL_SIZE, color=self.role_color).next_to(self, UP, buff=0.15)

    def window(self, i: int, j: int, h: int, w: int, color: str = theme.HIGHLIGHT, stroke_width: float = 6) -> Rectangle:
        """A frame around the h×w block of cells whose top-left cell is (i, j)."""
        r = Rectangle(width=w * self.cell_width, height=h * self.cell_size, stroke_color=color, stroke_width=stroke_width)
        return r.move_to(self.block_center(i, j, h, w))

    def block_center(self, i: int, j: int, h: int, w: int) -> np.ndarray:
        tl = self.cell(i, j).get_center()
        return tl + np.array([(w - 1) * self.cell_width / 2, -(h - 1) * self.cell_size / 2, 0.0])

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
def readable_cell(values, font_size: float = theme.MIN_FONT) -> float:
    """The smallest cell (scene units) in which the widest of ``values`` reads at ``font_size``:
    a number takes at most ``theme.CELL_FILL`` of its cell's width (the layout check's ``cell-fit``)."""
    digits = max(len(str(int(v))) for v in np.ravel(values))
    return label("8" * digits, size=font_size, mono=True).width / theme.CELL_FILL


def preview_step(shape, longest: int = 300) -> int:
    """The stride that shows a whole photo with at most ``longest`` pixels on its long side: a photo
    drawn a few units wide needs no more, and a smaller raster is cheaper to draw on every frame."""
    return max(1, -(-max(shape[:2]) // longest))


def photo_box(img: "PixelImage", box: tuple, step: int = 1, **kw) -> Rectangle:
    """The frame of a crop ``box = (left, top, right, bottom)`` (photo pixels) on a preview drawn
    with every ``step``-th pixel."""
    left, top, right, bottom = box
    kw.setdefault("stroke_width", 3)
    return img.box(top / step, left / step, (bottom - top) / step, (right - left) / step, **kw)


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

    def __deepcopy__(self, memo):
        # A copy (every ``.animate`` step makes one) steps over the same grid: share it
        # rather than deep-copy the whole grid of numbers at every step.
        memo.setdefault(id(self.grid), self.grid)
        return super().__deepcopy__(memo)


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
            r.set_fill(interpolate_color(ManimColor(theme.BACKGROUND), ManimColor(col), theme.TINT_SHEET), opacity=fill_opacity)
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
    """A vertical column of neurons, whole or sampled: a "⋮" stands where neurons are left out.

    ``NeuronLayer(5)`` draws five neurons; ``NeuronLayer(6, ellipsis_after=3)`` three, ⋮, three;
    ``NeuronLayer([4, 4, 1])`` groups of neurons with a ⋮ between groups (e.g. two image rows, then
    the last pixel of 784). Across a ⋮ neighbouring neurons are ``spacing·(1 + gap)`` apart (``gap=1``:
    the ⋮ takes one neuron's place). :meth:`sample` draws a sample of a big layer and remembers which
    neurons it drew (``indices``)::

        layer = NeuronLayer.sample(784)                      # neurons 0…6, ⋮, 781…783
        chosen = NeuronLayer.sample(676, shown=[0, 1, 300, 675])   # 0 1 ⋮ 300 ⋮ 675
        names = layer.labels_beside(["x₁", …], LEFT)         # texts beside the neurons (not added)
        self.play(*layer.switch([1, 0, 1, …]))               # neurons off (dropout) and back on

    Parts: ``neurons`` (VGroup of circles, top to bottom), ``ellipses`` (the ⋮, top to bottom;
    ``ellipsis`` is the first or None), ``indices`` (the neuron of the whole layer each circle
    draws) and ``size`` (the whole layer's size). Works with :func:`connect` (``len`` counts the
    neurons drawn).
    """

    def __init__(
        self,
        neurons: int | Sequence[int],
        radius: float = 0.16,
        spacing: float = 0.45,
        color: str = theme.INPUT,
        ellipsis_after: int | None = None,
        fill_opacity: float = 0.0,
        gap: float = 1.0,
        ellipsis_size: float = theme.BODY_SIZE,
    ):
        super().__init__()
        if isinstance(neurons, (int, np.integer)):
            n = int(neurons)
            groups = [n] if ellipsis_after is None else [int(ellipsis_after), n - int(ellipsis_after)]
        else:
            if ellipsis_after is not None:
                raise ValueError("ellipsis_after is for a number of neurons, not for groups (the ⋮ go between groups)")
            groups = [int(g) for g in neurons]
        if min(groups, default=-1) < 0 or sum(groups) < 1:
            raise ValueError(f"a layer needs at least one neuron, got groups {groups}")
        self.color, self.fill_opacity = color, fill_opacity
        self.neurons, self.ellipses = VGroup(), VGroup()
        half_gap = spacing * (1 + gap) / 2
        y, last = 0.0, None  # where the last item went, and what it was ("n" neuron, "e" ellipsis)
        for g, n in enumerate(groups):
            if g:  # neighbours across a gap are spacing·(1 + gap) apart, the ⋮ halfway
                y -= half_gap if last else 0.0
                self.ellipses.add(label("⋮", size=ellipsis_size, color=theme.MUTED).move_to([0, y, 0]))
                last = "e"
            for _ in range(n):
                y -= 0.0 if last is None else spacing if last == "n" else half_gap
                c = Circle(radius=radius, stroke_color=color, stroke_width=2.5)
                c.set_fill(color, opacity=fill_opacity)
                self.neurons.add(c.move_to([0, y, 0]))
                last = "n"
        self.ellipsis = self.ellipses[0] if len(self.ellipses) else None
        self.size = len(self.neurons)
        self.indices = list(range(self.size))
        self.on = np.ones(self.size, dtype=np.int64)
        self.add(self.neurons, self.ellipses)
        self.move_to(np.zeros(3))

    def __len__(self) -> int:  # the neurons, not the ellipses
        return len(self.neurons)

    # -------------------------------------------------------- sampling a big layer
    @staticmethod
    def sampling(size: int, shown: Sequence[int] | None = None, max_shown: int = 10,
                 max_ellipses: int | None = None) -> tuple[list[int], list[int]]:
        """Which neurons of a layer of ``size`` to draw, and in which groups: ``(indices, groups)``.

        ``shown=None``: every neuron if they fit in ``max_shown``, else the first
        ``max_shown - max_shown // 3`` and the last ``max_shown // 3`` (784 → 0…6 and 781…783, groups
        [7, 3]). Chosen neurons (``shown``): a ⋮ wherever indices are not consecutive, or only in the
        ``max_ellipses`` widest such gaps.
        """
        size = int(size)
        if size < 1:
            raise ValueError(f"a layer needs at least one neuron, got size {size}")
        if shown is None:
            if size <= max_shown:
                return list(range(size)), [size]
            tail = max(1, max_shown // 3)
            head = max_shown - tail
            return list(range(head)) + list(range(size - tail, size)), [head, tail]
        idx = sorted(int(i) for i in shown)
        if not idx or idx[0] < 0 or idx[-1] >= size or len(set(idx)) != len(idx):
            raise ValueError(f"neurons {idx} are not distinct neurons of a layer of {size}")
        breaks = [k for k in range(1, len(idx)) if idx[k] - idx[k - 1] > 1]  # a ⋮ before idx[k]
        if max_ellipses is not None:
            widest = sorted(breaks, key=lambda k: (-(idx[k] - idx[k - 1]), k))[:max_ellipses]
            breaks = sorted(widest)
        cuts = [0] + breaks + [len(idx)]
        return idx, [b - a for a, b in zip(cuts[:-1], cuts[1:])]

    @classmethod
    def sample(cls, size: int, shown: Sequence[int] | None = None, max_shown: int = 10,
               max_ellipses: int | None = None, **kw) -> "NeuronLayer":
        """A layer of ``size`` neurons drawn as the sample of :meth:`sampling` (keywords as for the
        constructor); ``indices[k]`` is the neuron the k-th circle stands for."""
        idx, groups = cls.sampling(size, shown, max_shown, max_ellipses)
        layer = cls(groups, **kw)
        layer.indices, layer.size = idx, int(size)
        return layer

    # -------------------------------------------------------- texts beside and inside
    def labels_beside(self, texts: Sequence[str], side=LEFT, size: float = theme.SMALL_SIZE,
                      color: str = theme.TEXT, buff: float = 0.12, **kw) -> VGroup:
        """One label beside each neuron (e.g. x₁₁ … x₃₃ to the left); not added to the layer."""
        return VGroup(*(label(t, size=size, color=color, **kw).next_to(n, side, buff=buff)
                        for t, n in zip(texts, self.neurons)))

    def values_inside(self, values, size: float = theme.SMALL_SIZE, color: str | Sequence[str] = theme.TEXT,
                      decimals: int = 2) -> VGroup:
        """Each value written inside its neuron, all at one size: ``size``, or smaller so that the widest
        takes at most ``theme.CELL_FILL`` of a neuron's diameter, but never below ``theme.MIN_FONT`` (a
        value still too wide then is the layout check's ``cell-fit`` problem: larger neurons, or fewer
        digits). ``color``: one colour, or one per value (e.g. black or white, whichever reads on each fill)."""
        colors = [color] * len(self.neurons) if isinstance(color, str) else list(color)
        pairs = list(zip(values, self.neurons, colors))
        texts = [fmt_num(v, decimals) for v, _, _ in pairs]
        if pairs:
            room = theme.CELL_FILL * min(n.width for _, n, _ in pairs)
            widest = max(_text_width(t, size) for t in texts)
            if widest > room:
                size = max(size * room / widest, min(size, theme.MIN_FONT))
        g = VGroup()
        for t, (_, n, col) in zip(texts, pairs):
            g.add(make_text(t, font=theme.MONO, font_size=size, color=col).move_to(n.get_center()))
        return g

    # -------------------------------------------------------- neurons switched off (dropout)
    def _style(self, neuron: VMobject, on) -> VMobject:
        color = self.color if on else theme.DROPPED
        return neuron.set_stroke(color, opacity=1.0).set_fill(color, opacity=self.fill_opacity if on else 0.5)

    def _mask(self, mask) -> np.ndarray:
        mask = np.asarray(mask).reshape(-1)
        if mask.shape != (len(self.neurons),):
            raise ValueError(f"a mask of {mask.size} entries for a layer of {len(self.neurons)} neurons drawn")
        return mask.astype(np.int64)

    def set_on(self, mask) -> "NeuronLayer":
        """Neurons where ``mask`` (one entry per neuron drawn) is 0 switched off — drawn in
        ``theme.DROPPED`` — and the others on, in place."""
        self.on = self._mask(mask)
        for neuron, on in zip(self.neurons, self.on):
            self._style(neuron, on)
        return self

    def switch(self, mask) -> list[Animation]:
        """Animations to the state ``mask``: one per neuron that changes (``self.play(*layer.switch(m))``)."""
        new = self._mask(mask)
        anims: list[Animation] = []
        for neuron, was, now in zip(self.neurons, self.on, new):
            if was != now:
                self._style(neuron.generate_target(), now)
                anims.append(MoveToTarget(neuron))
        self.on = new
        return anims


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
    """Edges between two layers: all pairs (dense) by default, or the given (i, j) pairs of neurons drawn."""
    if pairs is None:
        pairs = [(i, j) for i in range(len(left)) for j in range(len(right))]
    base = kw.pop("color", theme.MUTED)
    g = VGroup()
    for k, (i, j) in enumerate(pairs):
        col = colors[k % len(colors)] if colors else base
        g.add(edge(left.neurons[i], right.neurons[j], color=col, **kw))
    return g


class MLPDiagram(VGroup):
    """A fully connected network ``sizes[0] → sizes[1] → …``: big layers sampled, neurons that dropout switches off.

    Each layer is a :class:`NeuronLayer` — every neuron of a small layer, a sample of a big one
    (:meth:`NeuronLayer.sampling`: ``max_shown`` neurons, or the indices ``shown[k]``, with one ⋮ in
    the widest gap); neighbouring layers are joined by dense edges between the neurons drawn; each
    layer's size is written under it (``size_labels``). The drawing fits ``width × height`` (neurons
    included). Colours: input ``theme.INPUT``, hidden ``theme.TEXT``, output ``theme.OUTPUT`` (or ``colors``)::

        net = MLPDiagram((784, 100, 100, 10), width=9, height=4)   # a sampled MNIST MLP with its sizes
        drop = MLPDiagram((3, 5, 5, 2), width=10, height=4.9, max_radius=0.3, size_labels=False)
        self.play(*drop.mask_animations({1: [1, 0, 1, 0, 1]}))     # hidden neurons 2 and 4 off
        self.play(drop.pulse())                                      # a forward pass on the live edges

    Parts: ``layers`` (left to right), ``edges`` (``edges[k]`` joins layer k to k + 1; ``pairs[k]``
    their (i, j) neurons drawn, row-major), ``size_labels``, ``shown[k]`` (the neurons of layer k
    drawn), ``masks[k]`` (one 0/1 per neuron of the whole layer k).
    """

    def __init__(
        self,
        sizes: Sequence[int],
        width: float = 9.0,
        height: float = 4.5,
        max_shown: int = 10,
        shown: Sequence[Sequence[int] | None] | None = None,
        colors: Sequence[str] | None = None,
        max_radius: float = 0.16,
        fill_opacity: float = 0.0,
        edge_width: float = 1.0,
        edge_opacity: float = 0.35,
        size_labels: bool = True,
        label_size: float = theme.SMALL_SIZE,
    ):
        super().__init__()
        self.sizes = tuple(int(n) for n in sizes)
        if len(self.sizes) < 2 or min(self.sizes) < 1:
            raise ValueError(f"an MLP needs at least two layers of at least one neuron, got sizes {list(sizes)}")
        self.colors = tuple(colors) if colors else ((theme.INPUT,) + (theme.TEXT,) * (len(self.sizes) - 2)
                                                    + (theme.OUTPUT,))
        self.edge_opacity = edge_opacity
        shown = list(shown or ()) + [None] * (len(self.sizes) - len(shown or ()))
        one_gap = [None if s is None else 1 for s in shown]  # a chosen sample: one ⋮, in its widest gap
        samples = [NeuronLayer.sampling(n, s, max_shown, g) for n, s, g in zip(self.sizes, shown, one_gap)]
        slots = max(sum(groups) + len(groups) - 1 for _, groups in samples)  # a ⋮ takes a neuron's place
        ratio = 0.34  # radius / spacing
        if slots == 1:
            spacing, radius = height, min(max_radius, height / 2)
        else:
            spacing = height / (slots - 1 + 2 * ratio)
            radius = ratio * spacing
            if radius > max_radius:
                radius = max_radius
                spacing = (height - 2 * radius) / (slots - 1)
        xs = np.linspace(-width / 2 + radius, width / 2 - radius, len(self.sizes))
        self.layers = VGroup()
        for k, x in enumerate(xs):
            layer = NeuronLayer.sample(self.sizes[k], shown[k], max_shown, one_gap[k], radius=radius, spacing=spacing,
                                       color=self.colors[k % len(self.colors)], fill_opacity=fill_opacity)
            self.layers.add(layer.move_to([x, 0, 0]))
        self.shown = [layer.indices for layer in self.layers]
        self.pairs = [[(i, j) for i in range(len(a)) for j in range(len(b))]
                      for a, b in zip(self.layers[:-1], self.layers[1:])]
        self.edges = VGroup(*(connect(a, b, width=edge_width, opacity=edge_opacity)
                              for a, b in zip(self.layers[:-1], self.layers[1:])))
        self.masks = [np.ones(n, dtype=np.int64) for n in self.sizes]
        self.add(self.edges, self.layers)  # edges first: the neurons are drawn over them
        self.size_labels = VGroup()
        if size_labels:
            bottom = min(layer.get_bottom()[1] for layer in self.layers)
            for n, layer in zip(self.sizes, self.layers):
                self.size_labels.add(label(fmt_int(n), size=label_size, color=theme.TEXT)
                                     .move_to([layer.get_x(), bottom - 0.3, 0]))
            self.add(self.size_labels)
        self.move_to(np.zeros(3))

    # -------------------------------------------------------- dropout: neurons switched off
    def _checked(self, k: int, mask) -> np.ndarray:
        mask = np.asarray(mask).reshape(-1)
        if mask.shape != (self.sizes[k],):
            raise ValueError(f"a mask of {mask.size} entries for layer {k} of {self.sizes[k]} neurons")
        return mask.astype(np.int64)

    def _live(self, masks, g: int, i: int, j: int) -> bool:
        return bool(masks[g][self.shown[g][i]] and masks[g + 1][self.shown[g + 1][j]])

    def _edge_opacity(self, masks, g: int, i: int, j: int) -> float:
        return self.edge_opacity if self._live(masks, g, i, j) else 0.06

    def set_mask(self, k: int, mask) -> "MLPDiagram":
        """Switch off the neurons of layer ``k`` where ``mask`` (one entry per neuron of the whole layer)
        is 0 — drawn in ``theme.DROPPED`` — and dim every edge that touches one; a mask of ones switches
        them back on. In place (``self.play(net.animate.set_mask(1, m))`` animates it, at the cost of two
        copies of the network: :meth:`mask_animations` is cheaper)."""
        self.masks[k] = self._checked(k, mask)
        self.layers[k].set_on(self.masks[k][self.shown[k]])
        for g in (k - 1, k):
            if 0 <= g < len(self.edges):
                for e, (i, j) in zip(self.edges[g], self.pairs[g]):
                    e.set_stroke(opacity=self._edge_opacity(self.masks, g, i, j))
        return self

    def mask_animations(self, masks: dict) -> list[Animation]:
        """Animations to the state ``masks`` (``{layer: mask}``): one per neuron or edge that changes.

        Play them with ``self.play(*net.mask_animations({1: m1, 2: m2}))``; ``net.masks`` is updated at
        once; a mask that changes nothing gives no animation.
        """
        old = [m.copy() for m in self.masks]
        anims: list[Animation] = []
        for k, mask in masks.items():
            self.masks[k] = self._checked(k, mask)
            anims += self.layers[k].switch(self.masks[k][self.shown[k]])
        for g in range(len(self.edges)):
            for e, (i, j) in zip(self.edges[g], self.pairs[g]):
                before, after = self._edge_opacity(old, g, i, j), self._edge_opacity(self.masks, g, i, j)
                if before != after:
                    e.generate_target().set_stroke(opacity=after)
                    anims.append(MoveToTarget(e))
        return anims

    def live_edges(self, g: int) -> list[Line]:
        """The edges between layers g and g + 1 whose two neurons are both on."""
        return [e for e, (i, j) in zip(self.edges[g], self.pairs[g]) if self._live(self.masks, g, i, j)]

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


# ---------------------------------------------------------------- ch2a: cells on a sheet
def grid_lines(box: Mobject, rows: int, cols: int, color: str = theme.GRID_LINE, width: float = 1.5) -> VGroup:
    """The inner lines that divide ``box`` (e.g. ``TensorStack.front``) into ``rows`` × ``cols`` cells.

    ``grid_lines(stack.front, 5, 5)`` turns a 5×5×C stack's front sheet into a 5×5
    grid that a kernel-sized window can step over (see :func:`cell_center`).
    """
    x0, y1 = box.get_corner(UP + LEFT)[:2]
    x1, y0 = box.get_corner(DOWN + RIGHT)[:2]
    lines = VGroup()
    for r in range(1, rows):
        y = y1 - r * (y1 - y0) / rows
        lines.add(Line([x0, y, 0], [x1, y, 0], stroke_color=color, stroke_width=width))
    for c in range(1, cols):
        x = x0 + c * (x1 - x0) / cols
        lines.add(Line([x, y0, 0], [x, y1, 0], stroke_color=color, stroke_width=width))
    return lines


def cell_center(box: Mobject, rows: int, cols: int, r: float, c: float) -> np.ndarray:
    """Where cell (r, c) of ``box`` divided into ``rows`` × ``cols`` cells is centred; fractional
    indices too, e.g. ``cell_center(front, 5, 5, 1 + 1, 0 + 1)`` is the centre of the 3×3 block at (1, 0)."""
    x0, y1 = box.get_corner(UP + LEFT)[:2]
    x1, y0 = box.get_corner(DOWN + RIGHT)[:2]
    return np.array([x0 + (c + 0.5) * (x1 - x0) / cols, y1 - (r + 0.5) * (y1 - y0) / rows, 0.0])


# ---------------------------------------------------------------- Chapter 3 (ch3a): layers of neurons, kernels, maps, probabilities
_SUBSCRIPTS = str.maketrans("0123456789+-()", "₀₁₂₃₄₅₆₇₈₉₊₋₍₎")


def sub(text) -> str:
    """Digits as Unicode subscripts, for names like ``"x" + sub(11)`` → x₁₁ (no LaTeX needed)."""
    return str(text).translate(_SUBSCRIPTS)


class KernelGrid(ValueGrid):
    """A kernel whose every cell carries its weight's colour (:func:`theme.kernel_color`) and name.

    ``KernelGrid([[-1, 2], [1, -2]], name="w")`` draws four cells named w₁…w₄
    (row-major, the notebook's numbering) with their values below the names;
    ``names`` (VGroup, row-major) holds the name texts, ``labels`` the values.
    ``show_names=False`` draws coloured cells with values only (a kernel too
    large for names, e.g. 3×3 in a small legend); ``show_values=False`` the
    names only, centred (a legend of which colour is which weight).
    """

    def __init__(self, values, cell_size: float = 0.9, name: str = "w", show_names: bool = True,
                 font_size: float | None = None, name_size: float = theme.MIN_FONT, show_values: bool = True):
        super().__init__(values, cell_size=cell_size, color=theme.KERNEL, show_values=False,
                         font_size=font_size if font_size is not None else 26 * cell_size / 0.9)
        self.names = VGroup()
        for k, sq in enumerate(self.cells):
            col = theme.kernel_color(k)
            sq.set_stroke(col, width=3)
            sq.set_fill(interpolate_color(ManimColor(theme.BACKGROUND), ManimColor(col), theme.TINT_CELL), opacity=1)
            i, j = divmod(k, self.cols)
            v = self.value_label(i, j, self.values[i, j], color=theme.TEXT)
            if show_names:
                n = label(f"{name}{sub(k + 1)}", size=name_size, color=col).move_to(sq.get_center())
                if show_values:
                    n.shift(UP * cell_size * 0.22)
                    v.move_to(sq.get_center() + DOWN * cell_size * 0.2)
                self.names.add(n)
            if show_values:
                self.labels.add(v)
        self.add(self.names)


def map_pixels(values, vrange: tuple[float, float] | None = None, signed: bool = False, magnitude: bool = False,
               tint: str | None = None, linear: bool = False) -> np.ndarray:
    """A real-valued map as uint8 pixels for :class:`PixelImage`, shaded as :class:`ValueGrid` shades cells;
    :func:`map_note` says how, in words, for the caption.

    * default: ``vrange = (lo, hi)`` (default: the map's min and max) stretched linearly to black … white,
      values outside clipped: ``round(255 · (v − lo) / (hi − lo))``;
    * ``magnitude=True``: the same on ``|values|``, from 0 (default ``vrange = (0, max |v|)``): a response
      whose sign does not matter, its strongest white;
    * ``tint``: black … that colour instead of black … white (one channel of a colour image); an H×W×3 array;
    * ``signed=True``: 0 is the panel colour, negatives shade towards NEGATIVE and positives towards
      POSITIVE, full colour at ``max(|lo|, |hi|)`` (:func:`shade_signed`); an H×W×3 array. Every non-zero
      value starts at a quarter of its colour (small values stay visible); ``linear=True``: the colour is
      proportional to |value| (what "red = −2.6 … dark = 0 … green = +2.6" says).

    A stack of maps (…×H×W) is shaded on one scale::

        PixelImage(map_pixels(z, (-zmax, zmax), signed=True), height=2)     # a signed feature map
        map_pixels(response, magnitude=True)                                 # |response|, max → 255
    """
    a = np.asarray(values, dtype=np.float64)
    if a.ndim < 2 or 0 in a.shape:
        raise ValueError(f"map_pixels needs a non-empty 2-D map (or a stack of maps), got shape {a.shape}")
    if magnitude:
        a = np.abs(a)
    lo, hi = vrange if vrange is not None else ((0.0 if magnitude else float(a.min())), float(a.max()))
    if signed:
        return np.round(_signed_rgb(a, max(abs(lo), abs(hi)), linear) * 255).astype(np.uint8)
    levels = np.zeros_like(a) if hi == lo else np.clip(255 * (a - lo) / (hi - lo), 0, 255)
    if tint is not None:
        return np.round(levels[..., None] * _rgb(tint)).astype(np.uint8)
    return np.round(levels).astype(np.uint8)


def _fmt_level(v, decimals: int) -> str:
    """A shading end for a caption: a whole number with thousands commas, else :func:`fmt_num`."""
    return fmt_int(v) if float(v).is_integer() else fmt_num(v, decimals)


def map_note(vrange: tuple[float, float], signed: bool = False, magnitude: bool = False, tinted: bool = False,
             decimals: int = 2) -> str:
    """How :func:`map_pixels` shaded a map (same keywords), in words for a caption:

    ``map_note((0, 1.9))`` → "black = 0 … white = 1.9"; ``map_note((0, 1020), magnitude=True)`` →
    "|value|: 0 black … 1,020 white"; ``signed=True`` → "red = −2.6 … dark = 0 … green = +2.6";
    ``tinted=True`` (a ``tint``): "full colour" instead of "white".
    """
    lo, hi = vrange
    top = "full colour" if tinted else "white"
    if signed:
        vmax = _fmt_level(max(abs(lo), abs(hi)), decimals)
        return f"red = −{vmax} … dark = 0 … green = +{vmax}"
    if magnitude:
        return f"|value|: 0 black … {_fmt_level(hi, decimals)} {top}"
    return f"black = {_fmt_level(lo, decimals)} … {top} = {_fmt_level(hi, decimals)}"


class ProbabilityBars(VGroup):
    """Class probabilities as horizontal bars: one row per class with its name, a bar ∝ p, and p.

    ``bar_length`` is the length of a bar at p = 1. The most probable class is
    drawn in HIGHLIGHT, the others in OUTPUT. ``names``, ``bars``, ``values``
    (VGroups, one per class) can be animated separately (e.g. bars grow from
    zero with ``GrowFromEdge(bar, LEFT)``).
    """

    def __init__(self, probs, names: Sequence[str] | None = None, bar_length: float = 4.0,
                 row_height: float = 0.42, size: float = theme.SMALL_SIZE, decimals: int = 2):
        super().__init__()
        p = np.asarray(probs, dtype=np.float64).ravel()
        names = list(names) if names is not None else [str(k) for k in range(p.size)]
        if len(names) != p.size:
            raise ValueError(f"ProbabilityBars: {p.size} probabilities but {len(names)} names")
        self.probs, self.best = p, int(np.argmax(p))
        self.names, self.bars, self.values = VGroup(), VGroup(), VGroup()
        for k, (pk, n) in enumerate(zip(p, names)):
            y = -k * row_height
            col = theme.HIGHLIGHT if k == self.best else theme.OUTPUT
            t = label(n, size=size, color=col)
            t.next_to(np.array([-0.15, y, 0]), LEFT, buff=0)
            bar = Rectangle(width=max(float(pk) * bar_length, 0.02), height=row_height * 0.62,
                            stroke_width=0, fill_color=col, fill_opacity=0.85)
            bar.move_to([bar.width / 2, y, 0])
            v = label(fmt_num(pk, decimals), size=size, color=col, mono=True)
            v.next_to(bar, RIGHT, buff=0.12)
            self.names.add(t)
            self.bars.add(bar)
            self.values.add(v)
        self.add(self.names, self.bars, self.values)


class Pipeline(VGroup):
    """Stages joined by arrows, left to right: a network's layers, or the steps of a loop.

    ``stages``: names, or ``(name, colour)`` pairs (plain names in ``theme.TEXT``). Plain (the default), a
    one-line header of words and "→" — ``Pipeline(["Conv", "ReLU", "MaxPool"], size=24)`` — whose
    :meth:`focus` lights the stage a scene is at; ``boxed=True``, a layer chain: each stage a rounded box
    of its colour, joined by arrows — ``Pipeline([("Conv2d", theme.KERNEL), ("ReLU", theme.OUTPUT)],
    boxed=True)``. Parts: ``stages`` (the Texts; when boxed, ``VGroup(box, text)`` each) and ``arrows``
    (``arrows[k]`` joins stage k to k + 1). (Bring a pipeline to the front, ``scene.bring_to_front(p)``,
    before animating it: Manim redraws every mobject after an animated one on every frame.)
    """

    def __init__(self, stages: Sequence, size: float = theme.BODY_SIZE, buff: float | None = None,
                 boxed: bool = False):
        super().__init__()
        items = [(s, theme.TEXT) if isinstance(s, str) else tuple(s) for s in stages]
        if not items:
            raise ValueError("a pipeline needs at least one stage")
        self.colors = [col for _, col in items]
        self.boxed = boxed
        if boxed:
            self.stages = VGroup()
            for text, col in items:
                t = label(text, size=size, color=col)
                box = RoundedRectangle(corner_radius=0.12, width=t.width + 0.5, height=1.0, stroke_color=col,
                                       stroke_width=2.5).set_fill(col, opacity=0.12)
                self.stages.add(VGroup(box, t.move_to(box)))
            self.stages.arrange(RIGHT, buff=0.6 if buff is None else buff)
            self.arrows = VGroup(*(Arrow(a.get_right(), b.get_left(), buff=0.05, stroke_width=3, color=theme.MUTED,
                                         max_tip_length_to_length_ratio=0.35)
                                   for a, b in zip(self.stages[:-1], self.stages[1:])))
        else:
            self.stages = VGroup(*(label(text, size=size, color=col) for text, col in items))
            self.arrows = VGroup(*(label("→", size=size, color=theme.MUTED) for _ in items[1:]))
            parts = [self.stages[0]]
            for a, st in zip(self.arrows, self.stages[1:]):
                parts += [a, st]
            VGroup(*parts).arrange(RIGHT, buff=0.18 if buff is None else buff)
        self.add(self.arrows, self.stages)

    def focus(self, k: int | None, run_time: float = 0.4):
        """Light stage ``k`` (HIGHLIGHT) and dim the others; ``None``: every stage in its own colour.
        One Transform of ``stages``: nothing is added to the scene."""
        target = self.stages.copy()
        for i, (st, col) in enumerate(zip(target, self.colors)):
            st.set_color(theme.HIGHLIGHT if i == k else col if k is None else theme.MUTED)
        return Transform(self.stages, target, run_time=run_time)

# ---------------------------------------------------------------- drawings added by ch2b (feature detection)
class PixelZoom(VGroup):
    """An image with a zoomed patch of numbers: a block of a :class:`PixelImage` framed, its values as a
    :class:`ValueGrid` placed next to the image, and :func:`zoom_callout` lines joining the two.

    ``values`` are the numbers shown (default: the block's own pixels, for a grey image); pass them for
    a channel of a colour photo or for a feature map drawn as a picture (its signed responses).
    ``direction``/``buff`` place the grid beside the image, centred on the block along the other axis
    (the caller may move ``grid`` and call :meth:`reconnect`); ``highlight`` colours the frame and the
    lines, the other keywords go to the ValueGrid. Parts: ``box``, ``lines``, ``grid``::

        photo = PixelImage(pixels, height=3)
        zoom = PixelZoom(photo, 20, 4, 5, 5, cell_size=0.55)      # pixels[20:25, 4:9] under the photo
        self.play(Create(zoom.box)); self.play(Create(zoom.lines), FadeIn(zoom.grid))
    """

    def __init__(self, image: PixelImage, r: int, c: int, h: int, w: int, values=None,
                 cell_size: float = theme.CELL_SIZE, direction=DOWN, buff: float = 0.5,
                 highlight: str = theme.HIGHLIGHT, **grid_kw):
        super().__init__()
        if not (0 <= r and 0 <= c and r + h <= image.rows and c + w <= image.cols):
            raise ValueError(f"a {h}×{w} block at ({r}, {c}) does not fit the {image.rows}×{image.cols} image")
        if values is None:
            if image.pixels.ndim != 2:
                raise ValueError("a colour image has no single value per pixel: pass the values to show")
            values = image.pixels[r:r + h, c:c + w]
            grid_kw = {"shade": "gray", "vrange": (0, 255), **grid_kw}
        values = np.asarray(values)
        if values.shape != (h, w):
            raise ValueError(f"{values.shape} values for a {h}×{w} block")
        self.highlight = highlight
        self.box = image.box(r, c, h, w, color=highlight)
        self.grid = ValueGrid(values, cell_size=cell_size, **grid_kw)
        self.grid.next_to(image, direction, buff=buff)
        if direction[0] == 0:  # below/above: centred under the block
            self.grid.set_x(self.box.get_x())
        else:
            self.grid.set_y(self.box.get_y())
        self.lines = zoom_callout(self.box, self.grid, color=highlight)
        self.add(self.box, self.lines, self.grid)

    def reconnect(self) -> "PixelZoom":
        """Redraw the callout lines after moving the grid or the image."""
        self.lines.become(zoom_callout(self.box, self.grid, color=self.highlight))
        return self
# ---------------------------------------------------------------- chapter 1 (images as numbers, MLP)
class Fade(Animation):
    """Fade mobjects in (``out=False``) or out (``out=True``) by scaling their opacity in place.

    Looks like ``FadeIn``/``FadeOut`` without a shift, but copies nothing:
    Manim's fades deep-copy their mobject two or three times when they begin,
    which for a grid of a hundred cells and numbers costs more than drawing its
    frames. ``Fade`` keeps the original opacities (cheap NumPy copies of the
    alpha channels, images included) and scales them; after a fade-out the
    mobjects leave the scene with their opacities restored, ready to come back.

    >>> self.play(Fade(grid.labels, out=False))   # the numbers appear
    >>> self.play(Fade(*self.mobjects))           # everything fades away
    """

    def __init__(self, *mobjects: Mobject, out: bool = True, **kwargs):
        self.members = list(mobjects)
        group = mobjects[0] if len(mobjects) == 1 else Group(*mobjects)
        kwargs.setdefault("run_time", theme.NORMAL)
        super().__init__(group, remover=out, introducer=not out, **kwargs)
        self.out = out
        self._saved: list = []

    def _setup_scene(self, scene) -> None:
        if scene is not None and not self.out:
            present = scene.get_mobject_family_members()
            scene.add(*(m for m in self.members if m not in present))

    def create_starting_mobject(self) -> Mobject:
        return self.mobject  # no copy: only opacities change

    def begin(self) -> None:
        self._saved = []
        for sm in self.mobject.get_family():
            if isinstance(sm, VMobject):
                self._saved.append((sm, [(name, getattr(sm, name)[:, 3].copy()) for name in
                                         ("fill_rgbas", "stroke_rgbas", "background_stroke_rgbas")
                                         if len(getattr(sm, name, ()))]))
            elif isinstance(sm, AbstractImageMobject) and getattr(sm, "pixel_array", None) is not None:
                self._saved.append((sm, [("pixel_array", sm.pixel_array[:, :, 3].copy())]))
        super().begin()

    def _scale(self, k: float) -> None:
        for sm, channels in self._saved:
            for name, alpha in channels:
                arr = getattr(sm, name)
                if name == "pixel_array":
                    arr[:, :, 3] = np.round(alpha * k).astype(arr.dtype)
                else:
                    arr[:, 3] = alpha * k

    def interpolate_mobject(self, alpha: float) -> None:
        a = self.rate_func(alpha)
        self._scale(1 - a if self.out else a)

    def clean_up_from_scene(self, scene) -> None:
        super().clean_up_from_scene(scene)
        if self.out:
            scene.remove(*self.members)
            self._scale(1.0)  # off screen, opacities restored


class ChannelGrid(ValueGrid):
    """One colour channel (0–255) as a :class:`ValueGrid` whose cells run from black (0) to the
    channel's colour (255), e.g. the R, G and B matrices of a colour image; numbers in black or
    white, whichever reads on the cell.

    >>> ChannelGrid(pixels[:, :, 0], theme.RED)   # the red matrix of an H×W×3 image
    """

    def __init__(self, values, tint: str, **kwargs):
        self.tint = tint
        kwargs.setdefault("vrange", (0, 255))
        kwargs.setdefault("color", tint)
        super().__init__(values, shade="tint", **kwargs)

    def cell_fill(self, v, fill: str | None = theme.PANEL) -> ManimColor:
        return shade_gray(v, *self.vrange, tint=self.tint)


def color_cells(pixels, cell_size: float = theme.CELL_SIZE, stroke: str = theme.GRID_LINE) -> ValueGrid:
    """An H×W×3 uint8 image as a grid of cells filled with each pixel's colour (no numbers).

    Unlike :class:`PixelImage` (one raster), its cells are vector squares, so a copy of it can
    morph into other grids cheaply — e.g. a colour crop splitting into its :class:`ChannelGrid` grids.
    """
    arr = np.asarray(pixels)
    if arr.ndim != 3 or arr.shape[2] != 3:
        raise ValueError(f"color_cells needs an H×W×3 image, got shape {arr.shape}")
    g = ValueGrid(arr[:, :, 0], cell_size=cell_size, color=stroke, show_values=False, stroke_width=1.0,
                  fit_values=False)
    for i in range(arr.shape[0]):
        for j in range(arr.shape[1]):
            g.cell(i, j).set_fill(ManimColor.from_rgb(tuple(int(c) for c in arr[i, j])), opacity=1)
    return g


class PixelCells(VGroup):
    """A small grayscale image (e.g. a 28×28 digit) as vector cells that can move row by row.

    One dark bar per row and one square per pixel whose value is above ``threshold``
    (shaded 0 black → 255 white, or by ``color_of(r, c, v)``): a digit has about 160 inked
    pixels of 784, so this costs a fraction of a full :class:`ValueGrid`, and unlike a
    :class:`PixelImage` its rows can travel. :meth:`flat_layout` gives the same cells
    laid out as the flattened vector, a thin bar, to morph into (``Transform`` row by row).

    Attributes: ``rows[r]`` (``VGroup(bar, *squares of row r)``), ``cells[(r, c)]`` (the
    square of an inked pixel), ``frame`` (the border), ``pixel_size``.

    >>> digit = PixelCells(images.digit(5), height=4)
    >>> strip = digit.flat_layout(positions, start=[-6, -3, 0], length=12, thickness=0.4, direction=RIGHT)
    """

    def __init__(self, pixels, height: float, threshold: float = 0, color_of=None, border: str | None = theme.GRID_LINE):
        super().__init__()
        arr = np.asarray(pixels)
        if arr.ndim != 2 or 0 in arr.shape:
            raise ValueError(f"PixelCells needs an H×W grayscale image, got shape {arr.shape}")
        self.pixels = arr
        self.n_rows, self.n_cols = arr.shape
        s = self.pixel_size = height / self.n_rows
        color_of = color_of or (lambda r, c, v: shade_gray(v))
        self.rows = VGroup()
        self.cells: dict[tuple[int, int], Square] = {}
        for r in range(self.n_rows):
            y = -(r + 0.5) * s
            bar = Rectangle(width=self.n_cols * s, height=s, stroke_width=0).set_fill(theme.PIXEL_BLACK, opacity=1)
            row = VGroup(bar.move_to([self.n_cols * s / 2, y, 0]))
            for c in range(self.n_cols):
                if arr[r, c] > threshold:
                    sq = Square(s, stroke_width=0).set_fill(color_of(r, c, arr[r, c]), opacity=1)
                    self.cells[(r, c)] = sq.move_to([(c + 0.5) * s, y, 0])
                    row.add(sq)
            self.rows.add(row)
        self.add(self.rows)
        self.frame = None
        if border:
            self.frame = Rectangle(width=self.n_cols * s, height=self.n_rows * s, stroke_color=border,
                                   stroke_width=1.5).move_to([self.n_cols * s / 2, -self.n_rows * s / 2, 0])
            self.add(self.frame)
        self.move_to(np.zeros(3))

    def flat_layout(self, positions, start, length: float, thickness: float, direction=RIGHT) -> VGroup:
        """Copies of :attr:`rows` laid out as the flattened vector: pixel (r, c) in slot
        ``positions[r, c]`` of ``H·W`` slots along a bar from ``start``, ``length`` long in
        ``direction`` (RIGHT or DOWN), ``thickness`` thick. ``positions``: where each pixel
        lands, e.g. from :func:`cnnviz.core.flatten` of the pixels' indices."""
        pos = np.asarray(positions)
        if pos.shape != self.pixels.shape:
            raise ValueError(f"positions of shape {pos.shape} do not match the image's {self.pixels.shape}")
        n = self.pixels.size
        d = np.asarray(direction, dtype=float)
        d = d / np.linalg.norm(d)
        horizontal = abs(d[0]) > abs(d[1])
        slot = length / n
        start = np.asarray(start, dtype=float)

        def place(mob, k0: float, k1: float):  # slots k0..k1 inclusive
            along = (k1 - k0 + 1) * slot
            w, h = (along, thickness) if horizontal else (thickness, along)
            mob.stretch_to_fit_width(w).stretch_to_fit_height(h)
            return mob.move_to(start + d * (k0 + k1 + 1) / 2 * slot)

        out = VGroup()
        for r, row in enumerate(self.rows):
            copy = row.copy()
            place(copy[0], pos[r].min(), pos[r].max())
            inked = [c for c in range(self.n_cols) if (r, c) in self.cells]
            for sq, c in zip(copy[1:], inked):
                place(sq, pos[r, c], pos[r, c])
            out.add(copy)
        return out
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


# ---------------------------------------------------------------- the scene base
class CnnvizScene(Scene):
    """Every cnnviz scene: themed background; ``data`` is the scene's pure data function.

    Teaching steps end with :meth:`beat` (never a bare ``wait``): a beat holds the picture and
    carries the teacher's note for that step. The beats shape every output:

    * **the opening picture** — everything the scene does before its first beat is set up
      instantly, not played (a Manim section with ``skip_animations``): every GIF, MP4 and
      WebM starts on the first beat's held frame, so the scene's first beat must hold its
      opening picture (title + the inputs it starts from);
    * **the summary** — the scene ends on its last beat's held frame (:meth:`clear_all` no
      longer fades to an empty screen; a looping GIF cuts from the summary to the opening);
    * **slides** — one slide per beat: what plays from one beat to the next, ending on its
      held frame (``render.py slides``).

    Cheap fades of whole pictures: :meth:`reveal`, :meth:`fade_out_around`; :class:`Fade` for the rest.
    """

    data = None  # set to staticmethod(<data function>) by each scene

    def __init__(self, *args, **kwargs):
        from .camera import CnnvizCamera

        if frame_caches():  # same pixels as Manim's, images drawn for less
            kwargs.setdefault("camera_class", CnnvizCamera)
        super().__init__(*args, **kwargs)

    def setup(self):
        self.camera.background_color = ManimColor(theme.BACKGROUND)
        #: scene time at the end of each beat's hold (seconds, on the scene's own clock)
        self.beats: list[float] = []
        #: the teacher's note of each beat (same order as :attr:`beats`)
        self.notes: list[str] = []
        #: scene time where the played part starts (the first beat's hold); None before the first beat
        self.opening_time: float | None = None
        #: called with the scene after each beat's hold (tests capture the held frames with it)
        self.on_beat = None
        # the opening is set up, not played: replaces Manim's automatic first section
        self.next_section("opening", skip_animations=True)

    def beat(self, note: str = "", hold: float = theme.PAUSE):
        """The end of a teaching step: hold the picture for ``hold`` seconds.

        ``note`` is what the teacher says at this step (one or two sentences from the
        scene's notebook section); it becomes the slide's speaker note. The first beat
        starts the played part of the scene: what came before it is its opening picture.
        ``self.beats`` holds the scene time at the end of each beat, ``self.notes`` the notes.
        """
        if not isinstance(note, str):
            raise TypeError(f"beat(note, hold): the note is text, got {note!r} (write beat(hold={note!r}))")
        if self.opening_time is None:
            self.opening_time = self.renderer.time
            self.next_section("beat 1")
        else:
            self.next_section(f"beat {len(self.beats) + 1}")
        self.wait(hold)
        self.beats.append(self.renderer.time)
        self.notes.append(note)
        if self.on_beat is not None:
            self.on_beat(self)

    def linger(self, seconds: float):
        """Hold a picture for ``seconds`` *inside* a teaching step (a scan shown pixel by pixel):
        not a beat, so no slide ends here and no note belongs to it."""
        self.wait(seconds)

    def played_seconds(self) -> float:
        """How long the rendered video lasts: from the first beat's hold to the end."""
        if self.opening_time is None:
            return 0.0
        return self.renderer.time - self.opening_time

    def must_show(self, d) -> list[str]:
        """The texts (numbers as formatted on screen) this scene must display at some point, given its
        data ``d`` (the layout check's ``hidden`` rule); every catalog scene overrides it."""
        return []

    def tear_down(self):
        if self.opening_time is None and self.renderer.file_writer.output_spec.is_video:
            raise RuntimeError(f"{type(self).__name__} never calls self.beat(): a cnnviz scene's video starts on "
                               "its first beat (the opening picture), so it needs at least one")

    def curtain(self) -> Rectangle:
        """A whole-frame rectangle of the background colour (not added): fading it in or out over still
        pictures looks like fading them, but only the curtain is redrawn on each frame."""
        veil = Rectangle(width=config.frame_width, height=config.frame_height, stroke_width=0)
        return veil.set_fill(self.camera.background_color, opacity=1)

    def reveal(self, *mobjects: Mobject, run_time: float = theme.NORMAL):
        """The fade-in of a picture on an empty screen (photos included), drawn cheaply: the mobjects
        are put under a :meth:`curtain` that fades away. Only for what appears on an empty screen (the
        curtain covers the whole frame); before the first beat it is set up instantly like the rest::

            self.reveal(head, photo, photo_name, run_time=0.7)
        """
        veil = self.curtain()
        self.add(*mobjects, veil)
        self.play(Fade(veil), run_time=run_time)

    def fade_out_around(self, keep: Sequence[Mobject], top: float | None = None, run_time: float = 0.5):
        """Fade out everything below ``top`` (default: the frame's top) except the mobjects ``keep``,
        then remove it from the scene; the kept mobjects stay, untouched.

        Background-coloured sheets fade in around ``keep[0]``'s box (the picture that stays in view) instead
        of each mobject fading on its own, so the pictures under them stay still (drawn once, not
        re-composited on every frame). The other kept mobjects must lie above ``top`` (e.g. a header)::

            self.fade_out_around([pooled, pipeline], top=pipeline.get_bottom()[1] - 0.1)
        """
        hw, hh = config.frame_width / 2, config.frame_height / 2
        top = hh if top is None else top
        (x0, y0, _), (x1, y1, _) = keep[0].get_corner(DOWN + LEFT) - 0.12, keep[0].get_corner(UP + RIGHT) + 0.12
        strips = [(-hw, x0, -hh, top), (x1, hw, -hh, top), (x0, x1, -hh, y0), (x0, x1, y1, top)]
        covers = VGroup()
        for a, b, c, d in strips:
            if b - a > 1e-3 and d - c > 1e-3:
                covers.add(Rectangle(width=b - a, height=d - c, stroke_width=0)
                           .set_fill(self.camera.background_color, 1).move_to([(a + b) / 2, (c + d) / 2, 0]))
        self.play(Fade(covers, out=False), run_time=run_time)
        kept = {id(m) for k in keep for m in k.get_family()}
        self.remove(*(m for m in self.mobjects if id(m) not in kept), covers)

    def clear_all(self):
        """The end of a scene: it keeps its last beat's picture (the summary).

        Nothing fades to an empty screen any more: the last frame of every GIF, MP4 and WebM is
        the last beat's held frame, and a looping GIF cuts from this summary back to the opening
        picture. Kept so that every scene still says where it ends.
        """


__all__ = [
    "readable_cell", "preview_step", "photo_box",
    "fmt_num", "fmt_int", "label", "title", "fit_width", "shade_gray", "shade_signed", "shade_heat", "contrast_text",
    "ValueGrid", "image_grid", "PixelImage", "zoom_callout", "SlidingWindow", "TensorStack", "NeuronLayer", "edge", "connect",
    "ShapeArrow", "caption", "CnnvizScene",
    "grid_lines", "cell_center",
    # Chapter 3 (ch3a)
    "sub", "KernelGrid",
    "map_pixels", "map_note", "ProbabilityBars", "Pipeline",

    "PixelZoom",
    # Chapter 1
    "Fade", "ChannelGrid", "color_cells", "MLPDiagram", "PixelCells",
    "value_vector",
]
