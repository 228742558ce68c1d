"""Chapter 2, section I — the convolution operator as block diagrams: one channel and one filter, two filters, three channels, five filters (``ArchitectureChoreography``, one choreography for the family, with the sizes, the stride and the padding computed).

Each scene: a pure data function (inputs → every number and sentence shown, from ``cnnviz.core``)
and the choreography that draws it with the shared drawings.
Render one with ``render.py render Architecture_1_Grey_1Filter --set n=7 --set stride=2``.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Annotated

from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    Arrow,
    Create,
    DashedVMobject,
    FadeIn,
    FadeOut,
    GrowArrow,
    Indicate,
    LaggedStart,
    Rectangle,
    ReplacementTransform,
    Transform,
    TransformFromCopy,
    VGroup,
    config,
    interpolate_color,
)
from manim.utils.color import ManimColor

from cnnviz import core, theme
from cnnviz.drawings import (
    CnnvizScene,
    ShapeArrow,
    TensorStack,
    caption,
    cell_center,
    grid_lines,
    label,
    title,
)
from cnnviz.params import Param

# ============================================================ the architecture family (Architecture_1_Grey_1Filter,
# Architecture_2_Grey_2Filters, Architecture_3_RGB_1Filter, FullCNNSequence): one choreography, four parameter sets.

#: The largest padded input side (cells, padding included) each scene draws with every cell at least as tall as a
#: digit of its smallest text (registry.min_font: 30 at half width, 20 for FullCNNSequence), at its tallest case
#: (a rectangular input: two size lines under the row): measured in tests/test_ch2_architecture.py. The layout check
#: passes far beyond (a diagram has no text in its cells): the cells are what must stay countable.
MAX_PADDED = 12       # Architecture_1_Grey_1Filter, Architecture_2_Grey_2Filters (13: 0.31 < 0.32, a digit at 30)
MAX_PADDED_RGB = 11   # Architecture_3_RGB_1Filter: three channel sheets take height (12: 0.30)
MAX_PADDED_FULL = 16  # FullCNNSequence, with its most channels and filters (17: 0.207 < 0.211, a digit at 20)
#: The most channels / filters FullCNNSequence draws: with the input at MAX_PADDED_FULL cells a side, one more
#: channel sheet or map (each stacked a little further back) makes the cells shorter than a digit (6 channels:
#: 0.208; 7 filters: 0.208). At 5 cells a side the layout check passes with 10 channels and 8 filters (9: too long).
MAX_CHANNELS = 5
MAX_FILTERS = 6


def _sides(limit: int) -> tuple:
    """The size parameters of a scene whose padded input is at most ``limit`` cells a side: n, n_cols, f, f_cols,
    stride (a window moving further than the padded side meets nothing new) and padding (a ring a side)."""
    return (Annotated[int, Param("the input's height in pixels (and its width, unless n_cols is given)", min=1,
                                 max=limit)],
            Annotated[int | None, Param("the input's width in pixels (default: n, a square input)", min=1, max=limit)],
            Annotated[int, Param("the kernel's height (and its width, unless f_cols is given)", min=1, max=limit)],
            Annotated[int | None, Param("the kernel's width (default: f, a square kernel)", min=1, max=limit)],
            Annotated[int, Param("how many pixels the window moves per step", min=1, max=limit)],
            Annotated[int, Param("rings of zeros around the input", min=0, max=(limit - 1) // 2)])


_N, _N_COLS, _F, _F_COLS, _STRIDE, _PADDING = _sides(MAX_PADDED)
_C = Annotated[int, Param("channels of the input (each filter is as deep)", min=1, max=MAX_CHANNELS)]
_M = Annotated[int, Param("how many filters (one map each)", min=1, max=MAX_FILTERS)]


@dataclass(frozen=True)
class ArchitectureData:
    in_shape: tuple          # H×W×C input
    kernel_shape: tuple      # kh×kw×C: one filter, as deep as the input
    bank_shape: tuple        # kh×kw×C×M: the M filters
    out_shape: tuple         # core.conv_output_shape(input, bank, stride, padding): H'×W'×M
    map_shape: tuple         # core.conv_output_shape(input, one filter, …): one filter's 2-D map
    windows: tuple           # top-left (row, col) of every window, in padded coordinates (core.conv_windows), raster order
    channel_names: tuple     # ("grey",), ("R", "G", "B") or ("channel 1", …)
    equation: str            # e.g. "5×5×3 ⊛ 3×3×3 ×5 → 3×3×5"
    stride: int = 1
    padding: int = 0
    padded_shape: tuple = ()  # (H + 2P, W + 2P): the grid the window moves over
    size_lines: tuple = ()    # the output size from the formula ⌊(N − F + 2P) / S⌋ + 1, one line per side that differs
    heading: str = ""         # the title
    setting: str = ""         # "stride 1 · padding 0" (+ what the padding is)
    notes: tuple = ()         # the teacher's note of each beat, in order (see ArchitectureChoreography)


def _plural(k: int, word: str) -> str:
    return f"{k} {word}{'' if k == 1 else 's'}"


def _check(value, name: str, lo: int, hi: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    if value < lo or (hi is not None and value > hi):
        rng = f"from {lo} to {hi}" if hi is not None else f"at least {lo}"
        raise ValueError(f"{name} is {value}: it must be {rng}")
    return value


def architecture_data(n: _N = 5, f: _F = 3, c: _C = 1, m: _M = 1, stride: _STRIDE = 1, padding: _PADDING = 0,
                      n_cols: _N_COLS = None, f_cols: _F_COLS = None, max_padded: int = MAX_PADDED) -> ArchitectureData:
    """An H×W×C input convolved with M filters of kh×kw×C, with a stride and a padding: every shape
    from the core, every sentence from the shapes.

    The defaults are Architecture_1_Grey_1Filter's (5×5×1 ⊛ 3×3×1 → 3×3×1); the other scenes of
    the family bind ``c`` and ``m`` (FullCNNSequence takes them as parameters, :func:`full_cnn_data`).
    """
    H = _check(n, "n", 1)
    W = _check(n if n_cols is None else n_cols, "n_cols", 1)
    kh = _check(f, "f", 1, max_padded)
    kw = _check(f if f_cols is None else f_cols, "f_cols", 1, max_padded)
    C = _check(c, "c", 1, MAX_CHANNELS)
    M = _check(m, "m", 1, MAX_FILTERS)
    S = _check(stride, "stride", 1, max_padded)
    P = _check(padding, "padding", 0, (max_padded - 1) // 2)
    Hp, Wp = H + 2 * P, W + 2 * P
    if max(Hp, Wp) > max_padded:
        side = max_padded - 2 * P
        raise ValueError(f"n: the {H}×{W} input with padding {P} is too large: an input of at most {side}×{side} "
                         f"(with padding {P}) fits this scene at a readable size")
    if kh > Hp or kw > Wp:
        which = "f" if kh > Hp else "f_cols"
        raise ValueError(f"{which}: the {kh}×{kw} kernel is larger than the {Hp}×{Wp} "
                         f"{'padded ' if P else ''}input: it must fit inside it")
    in_shape, kernel_shape, bank_shape = (H, W, C), (kh, kw, C), (kh, kw, C, M)
    out_shape = core.conv_output_shape(in_shape, bank_shape, S, P)
    map_shape = core.conv_output_shape(in_shape, kernel_shape, S, P)
    windows = tuple(core.conv_windows(in_shape, kernel_shape, S, P))
    names = {1: ("grey",), 3: ("R", "G", "B")}.get(C, tuple(f"channel {k + 1}" for k in range(C)))
    fs = core.fmt_shape
    equation = f"{fs(in_shape)} ⊛ {fs(kernel_shape)}{f' ×{M}' if M > 1 else ''} → {fs(out_shape)}"
    oh, ow = map_shape

    def side(n_, f_, o_):
        return f"⌊({n_} − {f_} + 2×{P}) / {S}⌋ + 1 = {o_}"

    if (H, kh) == (W, kw):
        size_lines = (f"output side: {side(H, kh, oh)}",)
    else:
        size_lines = (f"rows: {side(H, kh, oh)}", f"columns: {side(W, kw, ow)}")
    kind = {1: "Grey input (1 channel)", 3: "RGB input (3 channels)"}.get(C, f"{C}-channel input")
    heading = f"{kind}, {_plural(M, 'filter')} → {_plural(M, 'map')}"
    ring = "" if P == 0 else ": a ring of zeros" if P == 1 else f": {P} rings of zeros"
    setting = f"stride {S} · padding {P}{ring}"

    # the teacher's notes, beat by beat (the choreography's beats, in order)
    image = "grey image" if C == 1 else "colour image" if C == 3 else f"{C}-channel image"
    steps = "1 pixel" if S == 1 else f"{S} pixels"
    padded = f" (padded with {_plural(P, 'ring')} of zeros to {Hp}×{Wp})" if P else ""
    positions = len(windows)
    notes = [f"The input is a {H}×{W} {image}{padded}. We choose {_plural(M, 'filter')} of {fs(kernel_shape)}: "
             f"a filter is as deep as the input ({_plural(C, 'channel')})."]
    for k in range(M):
        if k == 0 and C > 1:
            notes += [f"Filter 1 is taken apart: one {kh}×{kw} slice per channel, "
                      f"{', '.join(names[:-1])} and {names[-1]}; each channel meets its own slice.",
                      f"Each slice slides over its channel, {steps} per step: {positions} positions, "
                      f"so {_plural(C, 'partial map')} of {oh}×{ow}.",
                      f"The {C} partial maps add up, cell by cell, into ONE {oh}×{ow} map: one filter gives one map, "
                      f"however many channels the input has.",
                      f"Filter 1's map takes its place as the first slice of the output."]
        else:
            again = "" if k == 0 else "Another filter, another map: "
            notes.append(f"{again}{'f' if k else 'F'}ilter {k + 1} slides over the input, {steps} per step; "
                         f"at each of the {positions} positions it multiplies and sums (a dot product): "
                         f"one number each, so its map is {oh}×{ow}.")
    formula = ("⌊(N − F + 2P) / S⌋ + 1 = " + (f"{oh}" if (H, kh) == (W, kw) else f"{oh} rows and {ow} columns"))
    stacked = "1 filter gives 1 map" if M == 1 else f"{M} filters give {M} maps, stacked"
    notes.append(f"{stacked}: the output is {fs(out_shape)}. Its size comes from {formula}.")
    return ArchitectureData(in_shape, kernel_shape, bank_shape, out_shape, map_shape, windows, names, equation,
                            S, P, (Hp, Wp), size_lines, heading, setting, tuple(notes))


_N_RGB, _N_COLS_RGB, _F_RGB, _F_COLS_RGB, _STRIDE_RGB, _PADDING_RGB = _sides(MAX_PADDED_RGB)


def rgb_architecture_data(n: _N_RGB = 5, f: _F_RGB = 3, stride: _STRIDE_RGB = 1, padding: _PADDING_RGB = 0,
                          n_cols: _N_COLS_RGB = None, f_cols: _F_COLS_RGB = None) -> ArchitectureData:
    """Architecture_3_RGB_1Filter's data: :func:`architecture_data` with 3 channels and 1 filter, its sides at most
    MAX_PADDED_RGB (the three channel sheets take height)."""
    return architecture_data(n=n, f=f, c=3, m=1, stride=stride, padding=padding, n_cols=n_cols, f_cols=f_cols,
                             max_padded=MAX_PADDED_RGB)


_N_FULL, _N_COLS_FULL, _F_FULL, _F_COLS_FULL, _STRIDE_FULL, _PADDING_FULL = _sides(MAX_PADDED_FULL)


def full_cnn_data(n: _N_FULL = 5, f: _F_FULL = 3, c: _C = 3, m: _M = 5, stride: _STRIDE_FULL = 1,
                  padding: _PADDING_FULL = 0, n_cols: _N_COLS_FULL = None, f_cols: _F_COLS_FULL = None
                  ) -> ArchitectureData:
    """FullCNNSequence's data: :func:`architecture_data` with the notebook's 3 channels and 5 filters as defaults,
    its sides at most MAX_PADDED_FULL (the scene is shown at 80 % of the notebook's width)."""
    return architecture_data(n=n, f=f, c=c, m=m, stride=stride, padding=padding, n_cols=n_cols, f_cols=f_cols,
                             max_padded=MAX_PADDED_FULL)


def _sheet_fill(color: str) -> ManimColor:
    """A sheet's fill: its colour over the background, as TensorStack fills its sheets."""
    return interpolate_color(ManimColor(theme.BACKGROUND), ManimColor(color), theme.TINT_SHEET)


def _cells(box, rows: int, cols: int, color: str, stroke: str | None = None) -> VGroup:
    """``box`` cut into rows × cols filled cells (a map that can fill in cell by cell)."""
    w, h = box.width / cols, box.height / rows
    return VGroup(*(Rectangle(width=w, height=h, stroke_color=stroke or color, stroke_width=1.5)
                    .set_fill(_sheet_fill(color), opacity=0.9).move_to(cell_center(box, rows, cols, i, j))
                    for i in range(rows) for j in range(cols)))


def _ring(box, rows: int, cols: int, p: int) -> VGroup:
    """The padding: the cells of the rows × cols grid ``box`` that lie in its outer ``p`` rings (zeros)."""
    w, h = box.width / cols, box.height / rows
    return VGroup(*(Rectangle(width=w, height=h, stroke_color=theme.GRID_LINE, stroke_width=1.5)
                    .set_fill(theme.PADDING, opacity=1).move_to(cell_center(box, rows, cols, i, j))
                    for i in range(rows) for j in range(cols)
                    if i < p or j < p or i >= rows - p or j >= cols - p))


def _padded(h: int, w: int, p: int, unit: float, color: str, fill: str | None = None):
    """One channel as a sheet with its padding ring and grid lines: (the group, the padded box the window moves over)."""
    box = Rectangle(width=(w + 2 * p) * unit, height=(h + 2 * p) * unit, stroke_width=0)
    sheet = Rectangle(width=w * unit, height=h * unit, stroke_color=color, stroke_width=2)
    sheet.set_fill(_sheet_fill(fill or color), opacity=0.85)
    group = VGroup(sheet, _ring(box, h + 2 * p, w + 2 * p, p), grid_lines(box, h + 2 * p, w + 2 * p,
                                                                          color=theme.BACKGROUND, width=2))
    return VGroup(box, group), box


def _timing(n: int, budget: float, longest: float = 0.4, shortest: float = 0.1) -> list[tuple[int, int, float]]:
    """The plays of a sweep over ``n`` positions in about ``budget`` seconds: (first, last + 1, run time) each;
    one position per play when they are at least ``shortest`` apart, else a few at a time."""
    per = max(1, math.ceil(n * shortest / budget))
    plays = [(a, min(a + per, n)) for a in range(0, n, per)]
    dt = min(longest, budget / len(plays))
    return [(a, b, dt) for a, b in plays]


class ArchitectureChoreography:
    """The architecture family's one choreography (a mixin for :class:`CnnvizScene`): an H×W×C
    input (with its padding ring), M filters of kh×kw×C (one colour each; with more than one
    channel, each filter's slices are outlined in the channel colours), each filter sliding over
    the input — stride cells per step — to make one map, and the M maps stacking, in the filters'
    colours, into the output, whose size the formula ⌊(N − F + 2P) / S⌋ + 1 gives.

    With more than one channel, filter 1 is taken apart: each channel ⊛ its slice gives a
    partial map, and the partial maps add up into the filter's single map. Every filter is swept
    position by position, the later ones faster. Beats: the opening picture (title, stride and
    padding, the input and the filters), each filter's map (filter 1's in four steps when it is
    taken apart), and the summary (the output's size, from the formula)."""

    #: the smallest text of the scene: 30 for the scenes the notebook shows at half width
    label_size: float = 30

    def construct(self):
        d = self.data()
        H, W, C = d.in_shape
        kh, kw = d.kernel_shape[:2]
        M = d.bank_shape[3]
        oh, ow = d.map_shape
        Hp, Wp = d.padded_shape
        P = d.padding
        ls = self.label_size
        fs = core.fmt_shape
        f_colors = [theme.kernel_color(k) for k in range(M)]
        c_colors = [theme.CHANNELS[k] for k in range(C)] if C == 3 else [theme.INPUT] * C
        self.f_colors, self.c_colors = f_colors, c_colors

        head = title(d.heading, size=34)
        setting = label(d.setting, size=ls, color=theme.MUTED).next_to(head, DOWN, buff=0.15)
        done = caption(d.equation, size=ls, color=theme.OUTPUT)
        sizes = VGroup(*(label(s, size=ls, color=theme.OUTPUT) for s in d.size_lines)).arrange(DOWN, buff=0.1)
        sizes.next_to(done, UP, buff=0.15)
        self.head = head

        # the row: input ⊛ filters → output, as large as the band between the setting and the sizes allows
        band_top, band_bot = setting.get_bottom()[1] - 0.25, sizes.get_top()[1] + 0.2
        band = band_top - band_bot
        in_label = label(f"input {fs(d.in_shape)}", size=ls)
        out_label = label(f"output {fs(d.out_shape)}", size=ls, color=theme.OUTPUT)
        # one or two filters: each labelled below; more: a grid of filters under one heading (two columns from 4)
        many = M > 2
        f_cols = 2 if M > 3 else 1
        f_rows = math.ceil(M / f_cols)
        f_names = [] if many else [label(fs(d.kernel_shape) if M > 1 else f"filter {fs(d.kernel_shape)}", size=ls,
                                         color=f_colors[k]) for k in range(M)]
        heading = (label(f"{M} filters" + (f" of {fs(d.kernel_shape)}" if many else ""), size=ls, color=theme.KERNEL)
                   if M > 1 else VGroup())
        lab_h, lab_buff = in_label.height, 0.2
        off = 0.2 if C > 1 else 0
        off_f = (0.12 if many else 0.2) if C > 1 else 0
        off_o = min(0.2, 1.3 / max(M - 1, 1))
        head_h = heading.height + 0.15 if M > 1 else 0
        u = min(1.0, (band - lab_h - lab_buff - (C - 1) * off) / Hp,
                (band - lab_h - lab_buff - (M - 1) * off_o) / oh)
        u_f = min(u, ((band - head_h - 0.25 * (f_rows - 1)) / f_rows - (C - 1) * off_f
                      - (0 if many else lab_h + 0.15)) / kh)
        avail = config.frame_width - 0.7
        g_op, g_arrow = 0.9, 1.5

        def widths(u, u_f):
            w_in = max(Wp * u + (C - 1) * off, in_label.width)
            w_f = max(f_cols * (kw * u_f + (C - 1) * off_f) + 0.3 * (f_cols - 1),
                      max((t.width for t in f_names), default=0), heading.width if M > 1 else 0)
            w_out = max(ow * u + (M - 1) * off_o, out_label.width)
            return w_in, w_f, w_out

        for _ in range(40):  # shrink the sheets until the row fits the frame's width
            if sum(widths(u, u_f)) + g_op + g_arrow <= avail:
                break
            u, u_f = u * 0.95, u_f * 0.95
        w_in, w_f, w_out = widths(u, u_f)
        extra = max(0.0, avail - (w_in + w_f + w_out + g_op + g_arrow))
        g_op, g_arrow = g_op + min(extra / 2, 0.6), g_arrow + min(extra / 2, 0.9)
        y_c = (band_top + band_bot + lab_h + lab_buff) / 2

        # every channel's sheet at its padded size (the channels behind show past the front one's ring of zeros)
        inp = TensorStack(Hp, Wp, C, unit=u, colors=c_colors, offset=off, max_side=100, label_text="", label_size=ls)
        inp.remove(inp.shape_label)
        pad_box = Rectangle(width=Wp * u, height=Hp * u, stroke_width=0).move_to(inp.front)
        ring = _ring(pad_box, Hp, Wp, P)
        in_lines = grid_lines(pad_box, Hp, Wp, color=theme.BACKGROUND, width=2)
        in_pic = VGroup(inp, pad_box, ring, in_lines)
        filters = VGroup()
        for k in range(M):
            flt = TensorStack(kh, kw, C, unit=u_f, colors=(f_colors[k],), offset=off_f, max_side=100, label_text="")
            flt.remove(flt.shape_label)
            if C > 1:  # slice c of a filter meets channel c of the input
                for c in range(C):
                    flt.sheet(c).set_stroke(c_colors[c])
            flt.add(grid_lines(flt.front, kh, kw, color=theme.BACKGROUND, width=1.5))
            if not many:
                flt.shape_label = f_names[k]
                flt.shape_label.next_to(flt.sheets, DOWN, buff=0.15)
                flt.add(flt.shape_label)
            filters.add(flt)
        if many:
            filters.arrange_in_grid(rows=f_rows, cols=f_cols, buff=(0.3, 0.25))
        else:
            filters.arrange(DOWN, buff=0.25)
        column = VGroup(heading, filters)
        if M > 1:
            heading.next_to(filters, UP, buff=0.15)
        # the output: map k lands on the maps before it (map 1 at the back, the last one in front)
        out = TensorStack(oh, ow, M, unit=u, colors=f_colors[::-1], offset=off_o, max_side=100, label_text="")
        out.remove(out.shape_label)
        maps = [out.sheet(M - 1 - k) for k in range(M)]

        x = -avail / 2 + (avail - (w_in + w_f + w_out + g_op + g_arrow)) / 2
        in_pic.move_to([x + w_in / 2, y_c, 0])
        x += w_in + g_op
        column.move_to([x + w_f / 2, y_c, 0])
        column.shift(DOWN * max(0.0, column.get_top()[1] - band_top) + UP * max(0.0, band_bot - column.get_bottom()[1]))
        x += w_f + g_arrow
        out.move_to([x + w_out / 2, y_c, 0])
        in_label.next_to(in_pic, DOWN, buff=lab_buff)
        out_label.next_to(out, DOWN, buff=lab_buff)
        star = label("⊛", size=40).move_to([(in_pic.get_right()[0] + column.get_left()[0]) / 2, y_c, 0])
        arrow = ShapeArrow([column.get_right()[0] + 0.15, y_c, 0], [out.get_left()[0] - 0.15, y_c, 0])
        # the output's M slots, dashed in their filters' colours: map k fills in over the maps before it
        slots = VGroup(*(DashedVMobject(maps[k].copy().set_fill(opacity=0).set_stroke(f_colors[k], 2),
                                        num_dashes=24).set_z_index(k - 0.5) for k in range(M)))
        for k in range(M):
            maps[k].set_z_index(k)
        main = [setting, in_pic, in_label, star, column, arrow, slots]

        # the opening picture: title, stride and padding, the input and every filter
        self.add(head, *main)
        notes = iter(d.notes)
        self.beat(note=next(notes), hold=1.0)

        for k in range(M):
            sheet = maps[k]
            if k == 0 and C > 1:
                made = self.channels_summed(d, inp, filters[0], main, notes)
            else:
                made = self.sweep(d, pad_box, filters[k], sheet, f_colors[k], u, first=k == 0)
            made.set_z_index(k)
            self.play(ReplacementTransform(made, sheet), FadeOut(slots[k]), run_time=0.6 if k == 0 else 0.4)
            self.add(grid_lines(sheet, oh, ow, color=theme.BACKGROUND, width=2).set_z_index(k + 0.1))
            self.beat(note=next(notes), hold=0.8)

        self.play(FadeIn(out_label), FadeIn(sizes), FadeIn(done), run_time=0.8)
        self.beat(note=next(notes), hold=2.0)
        self.clear_all()

    def must_show(self, d) -> list[str]:
        fs = core.fmt_shape
        M, C = d.bank_shape[3], d.in_shape[2]
        shown = [d.setting, f"input {fs(d.in_shape)}", f"output {fs(d.out_shape)}", d.equation, *d.size_lines,
                 f"filter {fs(d.kernel_shape)}" if M == 1 else f"{M} filters"]
        if C > 1:
            shown.append(f"→ ONE {fs(d.map_shape)} map")
        return shown

    def sweep(self, d, box, flt, slot, color, u, first: bool):
        """A filter slides over the (padded) input, stride cells per step: its window visits every position
        and fills the map cell by cell (returned, to land in its slot). The first filter slowly, the others fast."""
        Hp, Wp = d.padded_shape
        kh, kw = d.kernel_shape[:2]
        oh, ow = d.map_shape
        centre = lambda r, c: cell_center(box, Hp, Wp, r + (kh - 1) / 2, c + (kw - 1) / 2)  # noqa: E731
        window = Rectangle(width=kw * u, height=kh * u, stroke_color=theme.HIGHLIGHT, stroke_width=5)
        window.move_to(centre(*d.windows[0]))
        cells = _cells(slot, oh, ow, color).set_z_index(slot.z_index)
        outline = flt.front.copy().set_fill(opacity=0)  # the filter's outline becomes the window
        self.play(Indicate(flt.sheets, scale_factor=1.08, color=color), ReplacementTransform(outline, window),
                  run_time=0.6 if first else 0.4)
        for a, b, dt in _timing(len(d.windows), 3.0 if first else 1.5, longest=0.4 if first else 0.2):
            moves = [window.animate.move_to(centre(*d.windows[b - 1]))] if b > 1 else []
            self.play(*moves, *(FadeIn(cells[q], scale=1.3) for q in range(a, b)), run_time=dt)
        self.play(FadeOut(window), run_time=0.25)
        return cells

    def channels_summed(self, d, inp, flt, main, notes):
        """Filter 1 on a C-channel input, taken apart: channel c ⊛ slice c → a partial map per
        channel, all at once; the C partial maps add up into ONE map (returned, in place)."""
        H, W, C = d.in_shape
        kh, kw = d.kernel_shape[:2]
        oh, ow = d.map_shape
        Hp, Wp = d.padded_shape
        P = d.padding
        ls = self.label_size
        fs = core.fmt_shape
        color, c_colors = self.f_colors[0], self.c_colors
        hw, hh = config.frame_width / 2, config.frame_height / 2
        tags = VGroup(*(label(name, size=ls, color=c_colors[c], weight="BOLD") for c, name in enumerate(d.channel_names)))
        heads = [label("channel", size=ls, color=theme.MUTED), label("slice of filter 1", size=ls, color=color),
                 label("partial map", size=ls, color=theme.MUTED), label("filter 1's map", size=ls, color=color)]
        note = VGroup(label(" + ".join(d.channel_names) if C <= 3 else f"the {C} partial maps added",
                            size=ls, color=color),
                      label(f"→ ONE {fs(d.map_shape)} map", size=ls, color=color)).arrange(DOWN, buff=0.12)
        heads_y = self.head.get_bottom()[1] - 0.2 - heads[0].height / 2
        rows_top, rows_bot, gap = heads_y - heads[0].height / 2 - 0.2, -hh + 0.35, 0.3
        rh = (rows_top - rows_bot - gap * (C - 1)) / C
        us = min(1.0, rh / max(Hp, kh, oh))
        u1 = min(1.2, 3.4 / max(oh, ow), (rows_top - rows_bot - note.height - 0.3) / oh)
        tag_w = max(t.width for t in tags)
        avail = 2 * hw - 0.7

        def need(us, u1):
            """the gaps between the columns (their heads must not touch) and the row's width"""
            w = [Wp * us, kw * us, ow * us, max(ow * u1, note.width)]
            g = [max(0.8, (heads[i].width + heads[i + 1].width) / 2 + 0.3 - (w[i] + w[i + 1]) / 2) for i in range(3)]
            g[2] = max(g[2], 1.2)
            return w, g, tag_w + 0.25 + sum(w) + sum(g)

        for _ in range(40):
            w, g, total = need(us, u1)
            if total <= avail:
                break
            us, u1 = us * 0.95, u1 * 0.95
        extra = max(0.0, avail - total)
        g = [g[0] + extra * 0.25, g[1] + extra * 0.25, g[2] + extra * 0.5]
        x = -hw + 0.35 + (avail - (tag_w + 0.25 + sum(w) + sum(g))) / 2 + tag_w + 0.25
        xs = []
        for i in range(4):
            xs.append(x + w[i] / 2)
            x += w[i] + (g[i] if i < 3 else 0)
        rows_y = [rows_top - rh / 2 - r * (rh + gap) for r in range(C)]
        ch, boxes, sl, parts, ops = [], [], [], [], VGroup()
        for c, y in enumerate(rows_y):
            tags[c].move_to([xs[0] - Wp * us / 2 - 0.25 - tags[c].width / 2, y, 0])
            pic, box = _padded(H, W, P, us, c_colors[c])
            pic.move_to([xs[0], y, 0])
            k = Rectangle(width=kw * us, height=kh * us, stroke_color=c_colors[c], stroke_width=2)
            k.set_fill(_sheet_fill(color), opacity=0.85).move_to([xs[1], y, 0])
            k = VGroup(k, grid_lines(k, kh, kw, color=theme.BACKGROUND, width=1.5))
            p = Rectangle(width=ow * us, height=oh * us, stroke_width=0).move_to([xs[2], y, 0])
            ops.add(label("⊛", size=32).move_to([(pic.get_right()[0] + k.get_left()[0]) / 2, y, 0]),
                    label("=", size=32).move_to([(k.get_right()[0] + p.get_left()[0]) / 2, y, 0]))
            if c and rows_y[c - 1] - y - oh * us > 0.6:
                ops.add(label("+", size=36).move_to([xs[2], (rows_y[c - 1] + y) / 2, 0]))
            ch.append(pic)
            boxes.append(box)
            sl.append(k)
            parts.append(p)
        for i, hd in enumerate(heads):
            hd.move_to([xs[i], heads_y, 0])
        one = Rectangle(width=ow * u1, height=oh * u1, stroke_width=0)
        one.move_to([xs[3], (rows_top + rows_bot + note.height + 0.25) / 2, 0])
        note.next_to(one, DOWN, buff=0.25)
        one_slot = DashedVMobject(one.copy().set_stroke(color, 2), num_dashes=24)
        total = _cells(one, oh, ow, color)
        plus_arrow = Arrow([xs[2] + ow * us / 2 + 0.2, one.get_y(), 0], [one.get_left()[0] - 0.2, one.get_y(), 0],
                           buff=0, stroke_width=4, color=theme.MUTED)
        view = VGroup(tags, *heads, ops, *ch, *sl, one_slot)

        # the rest steps aside, then the input and filter 1 come apart into their channels / slices
        self.play(*(FadeOut(m) for m in main), run_time=0.5)
        self.play(*(TransformFromCopy(inp.sheet(c), ch[c][1][0]) for c in range(C)),
                  *(TransformFromCopy(flt.sheet(c), sl[c][0]) for c in range(C)),
                  *(FadeIn(VGroup(ch[c][1][1:], sl[c][1])) for c in range(C)),
                  FadeIn(tags), *(FadeIn(hd) for hd in heads), FadeIn(ops), Create(one_slot), run_time=1.0)
        self.add(*ch, *sl)
        self.beat(note=next(notes), hold=0.8)

        # every channel with its slice at once: one window per channel, one partial map per channel
        centre = lambda c, r, q: cell_center(boxes[c], Hp, Wp, r + (kh - 1) / 2, q + (kw - 1) / 2)  # noqa: E731
        windows = VGroup(*(Rectangle(width=kw * us, height=kh * us, stroke_color=theme.HIGHLIGHT, stroke_width=4)
                           .move_to(centre(c, *d.windows[0])) for c in range(C)))
        cells = [_cells(parts[c], oh, ow, c_colors[c]) for c in range(C)]
        self.play(*(ReplacementTransform(sl[c][0].copy().set_fill(opacity=0), windows[c]) for c in range(C)), run_time=0.6)
        for a, b, dt in _timing(len(d.windows), 3.0, longest=0.35):
            moves = [windows[c].animate.move_to(centre(c, *d.windows[b - 1])) for c in range(C)] if b > 1 else []
            self.play(*moves, *(FadeIn(cells[c][q], scale=1.3) for c in range(C) for q in range(a, b)), run_time=dt)
        self.play(FadeOut(windows), run_time=0.25)
        self.beat(note=next(notes), hold=0.8)

        # the partial maps add up, cell by cell, into ONE map: cell q of every partial map flies onto cell q
        flying = VGroup(*(cells[c][q].copy() for c in range(C) for q in range(oh * ow)))
        landing = VGroup(*(total[q].copy() for c in range(C) for q in range(oh * ow)))
        self.play(GrowArrow(plus_arrow), Transform(flying, landing), FadeIn(note), run_time=1.2)
        self.remove(flying)
        self.add(total)
        self.beat(note=next(notes), hold=1.0)

        # back to the whole picture, with the one map
        self.play(FadeOut(VGroup(view, plus_arrow, note, *cells)), run_time=0.5)
        self.play(*(FadeIn(m) for m in main), run_time=0.6)
        return total


class Architecture_1_Grey_1Filter(ArchitectureChoreography, CnnvizScene):
    data = staticmethod(functools.partial(architecture_data, c=1, m=1))


class Architecture_2_Grey_2Filters(ArchitectureChoreography, CnnvizScene):
    data = staticmethod(functools.partial(architecture_data, c=1, m=2))


class Architecture_3_RGB_1Filter(ArchitectureChoreography, CnnvizScene):
    data = staticmethod(rgb_architecture_data)


class FullCNNSequence(ArchitectureChoreography, CnnvizScene):
    label_size = theme.SMALL_SIZE  # shown at 80 % of the notebook's width: the full-width minimum holds
    data = staticmethod(full_cnn_data)
