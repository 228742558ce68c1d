"""Chapter 2, section I — the convolution operator as block diagrams: one channel and one filter, two filters, three channels, five filters (``ArchitectureChoreography``, one choreography for the family, with the sizes computed).

Each scene: a pure data function (inputs → every number shown, from ``cnnviz.core``)
and the choreography that draws it with the shared drawings.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

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
    Square,
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


# ============================================================ the architecture family (Architecture_1_Grey_1Filter,
# Architecture_2_Grey_2Filters, Architecture_3_RGB_1Filter, FullCNNSequence): one choreography, four parameter sets.
@dataclass(frozen=True)
class ArchitectureData:
    in_shape: tuple          # N×N×C input
    kernel_shape: tuple      # F×F×C: one filter, as deep as the input
    bank_shape: tuple        # F×F×C×M: the M filters
    out_shape: tuple         # core.conv_output_shape(input, bank): (N−F+1)×(N−F+1)×M
    map_shape: tuple         # core.conv_output_shape(input, one filter): one filter's 2-D map
    windows: tuple           # top-left (row, col) of every window position (core.conv_windows), raster order
    channel_names: tuple     # ("grey",), ("R", "G", "B") or ("channel 1", …)
    equation: str            # e.g. "5×5×3 ⊛ 3×3×3 ×5 → 3×3×5"


def architecture_data(n: int = 5, f: int = 3, c: int = 1, m: int = 1) -> ArchitectureData:
    """An N×N×C input convolved with M filters of F×F×C: every shape from the core.

    The defaults are Architecture_1_Grey_1Filter's (5×5×1 ⊛ 3×3×1 → 3×3×1); the other
    scenes of the family choose ``c`` and ``m``.
    """
    in_shape, kernel_shape, bank_shape = (n, n, c), (f, f, c), (f, f, c, m)
    out_shape = core.conv_output_shape(in_shape, bank_shape)
    map_shape = core.conv_output_shape(in_shape, kernel_shape)
    windows = tuple(core.conv_windows(in_shape, kernel_shape))
    names = {1: ("grey",), 3: ("R", "G", "B")}.get(c, tuple(f"channel {k + 1}" for k in range(c)))
    fs = core.fmt_shape
    equation = f"{fs(in_shape)} ⊛ {fs(kernel_shape)}{f' ×{m}' if m > 1 else ''} → {fs(out_shape)}"
    return ArchitectureData(in_shape, kernel_shape, bank_shape, out_shape, map_shape, windows, names, equation)


def _sheet_fill(color: str) -> ManimColor:
    """A sheet's fill: its colour over the background, as TensorStack fills its sheets."""
    return interpolate_color(ManimColor(theme.BACKGROUND), ManimColor(color), theme.TINT_SHEET)


def _cells(box, rows: int, cols: int, color: str, stroke: str | None = None) -> VGroup:
    """``box`` cut into rows × cols filled squares (a map that can fill in cell by cell)."""
    side = box.width / cols
    return VGroup(*(Square(side, stroke_color=stroke or color, stroke_width=1.5)
                    .set_fill(_sheet_fill(color), opacity=0.9).move_to(cell_center(box, rows, cols, i, j))
                    for i in range(rows) for j in range(cols)))


class ArchitectureChoreography:
    """The architecture family's one choreography (a mixin for :class:`CnnvizScene`): an N×N×C
    input, M filters of F×F×C (one colour each; for an RGB input each filter's slices are
    outlined in the channel colours), each filter sliding over the input to make one map, and
    the M maps stacking, in the filters' colours, into the (N−F+1)×(N−F+1)×M output. With more
    than one channel, the first filter is taken apart: each channel ⊛ its slice gives a partial
    map, and the partial maps add up into the filter's single map."""

    def construct(self):
        d = self.data()
        N, _, C = d.in_shape
        F, M, O = d.kernel_shape[0], d.bank_shape[3], d.map_shape[0]
        fs = core.fmt_shape
        f_colors = [theme.kernel_color(k) for k in range(M)]
        c_colors = [theme.CHANNELS[k] for k in range(C)] if C == 3 else [theme.INPUT] * C
        kind = {1: "Grey input (1 channel)", 3: "RGB input (3 channels)"}.get(C, f"{C}-channel input")
        head = title(f"{kind}, {M} filter{'s' * (M > 1)} → {M} map{'s' * (M > 1)}", size=32)

        # sizes: the input and output share one cell size, as large as the frame allows;
        # the filter column fits M filters (their labels to their right when there are many)
        off = 0.2
        labels_right = M > 2
        off_f = 0.12 if labels_right else off
        off_o = min(off, 1.3 / max(M - 1, 1))
        gap_op, gap_arrow = 1.0, 2.0
        column = 5.2 if labels_right else 5.9  # the filters' column height (with a heading when labels are right)
        room = (column - 0.3 * (M - 1)) / M - (C - 1) * off_f - (0 if labels_right else 0.5)
        u = min(0.9 if M <= 2 else 0.75, (5.0 - (C - 1) * off) / N)
        for _ in range(4):  # shrink until the row fits the frame's width
            u_f = min(u, room / F)
            width = ((N + O) * u + (C - 1) * off + (M - 1) * off_o + gap_op + gap_arrow
                     + F * u_f + (C - 1) * off_f + (1.3 if labels_right else 0))
            u *= min(1.0, 12.9 / width)
        u_f = min(u, room / F)

        inp = TensorStack(N, N, C, unit=u, colors=c_colors, offset=off, max_side=100,
                          label_text=f"input {fs(d.in_shape)}")
        filters = VGroup()
        for k in range(M):
            name = fs(d.kernel_shape) if labels_right else (f"filter {k + 1}: " if M > 1 else "filter ") + fs(d.kernel_shape)
            flt = TensorStack(F, F, C, unit=u_f, colors=(f_colors[k],), offset=off_f, max_side=100, label_text=name)
            flt.shape_label.set_color(f_colors[k])
            if C > 1:  # slice c of a filter meets channel c of the input
                for c in range(C):
                    flt.sheet(c).set_stroke(c_colors[c])
            flt.add(grid_lines(flt.front, F, F, color=theme.BACKGROUND, width=1.5))
            if labels_right:
                flt.shape_label.next_to(flt.sheets, RIGHT, buff=0.2)
            filters.add(flt)
        filters.arrange(DOWN, buff=0.3)
        out = TensorStack(O, O, M, unit=u, colors=f_colors, offset=off_o, max_side=100,
                          label_text=f"output {fs(d.out_shape)}")
        out.shape_label.set_color(theme.OUTPUT)

        total = inp.width + gap_op + filters.width + gap_arrow + out.width
        x = -total / 2
        inp.move_to([x + inp.width / 2, 0, 0]).shift(UP * (0.05 - inp.sheets.get_y()))
        x += inp.width + gap_op
        filters.move_to([x + filters.width / 2, 0, 0])
        x += filters.width + gap_arrow
        out.move_to([x + out.width / 2, 0, 0]).shift(UP * (0.05 - out.sheets.get_y()))
        star = label("⊛", size=40).move_to([inp.get_right()[0] + gap_op / 2, 0.05, 0])
        arrow = ShapeArrow([filters.get_right()[0] + 0.2, 0.05, 0], [out.get_left()[0] - 0.2, 0.05, 0])
        in_lines = grid_lines(inp.front, N, N, color=theme.BACKGROUND, width=2)
        # the output's M slots, dashed in their filters' colours, drawn back to front: each map lands in its slot
        slots = VGroup(*(DashedVMobject(out.sheet(k).copy().set_fill(opacity=0).set_stroke(f_colors[k], 2),
                                        num_dashes=24).set_z_index(-k - 0.5) for k in range(M)))
        for k in range(M):
            out.sheet(k).set_z_index(-k)
        heading = VGroup()
        if labels_right:
            heading.add(label(f"{M} filters", size=theme.SMALL_SIZE, color=theme.KERNEL).next_to(filters, UP, buff=0.15))

        self.play(FadeIn(head), FadeIn(inp), FadeIn(in_lines), run_time=0.8)
        self.beat(hold=0.6)
        self.play(FadeIn(star), LaggedStart(*(FadeIn(flt) for flt in filters), lag_ratio=0.3), FadeIn(heading),
                  run_time=1.0)
        self.play(Create(arrow), FadeIn(slots), run_time=0.6)
        self.beat(hold=0.8)
        main = [inp, in_lines, star, filters, heading, arrow, slots]

        for k in range(M):
            sheet = out.sheet(k)
            if k == 0 and C > 1:
                made = self.channels_summed(d, inp, filters[0], f_colors[0], c_colors, u, main)
            elif k == 0:
                made = self.sweep(d, inp, filters[0], sheet, f_colors[0], u)
            else:
                made = self.fast_filter(d, inp, filters[k], f_colors[k], u, arrow.arrow.get_end(), sheet)
            self.play(ReplacementTransform(made, sheet), FadeOut(slots[k]), run_time=0.8 if k == 0 else 0.5)
            if k == 0:
                self.add(grid_lines(out.front, O, O, color=theme.BACKGROUND, width=2))
                self.beat(hold=0.5)

        done = caption(d.equation, size=30, color=theme.OUTPUT)
        self.play(FadeIn(out.shape_label), FadeIn(done), run_time=0.8)
        self.beat(hold=2.0)
        self.clear_all()

    def sweep(self, d, inp, flt, slot, color, u):
        """Filter 1 slides over the input: its window visits every position and fills the map cell by cell."""
        N, F, O = d.in_shape[0], d.kernel_shape[0], d.map_shape[0]
        window = Rectangle(width=F * u, height=F * u, stroke_color=theme.HIGHLIGHT, stroke_width=5)
        centre = lambda r, c: cell_center(inp.front, N, N, r + (F - 1) / 2, c + (F - 1) / 2)  # noqa: E731
        window.move_to(centre(*d.windows[0]))
        cells = _cells(slot, O, O, color)
        self.play(Indicate(flt.sheets, scale_factor=1.08, color=color), TransformFromCopy(flt.front, window),
                  run_time=0.8)
        for k, (r, c) in enumerate(d.windows):
            moves = [window.animate.move_to(centre(r, c))] if k else []
            self.play(*moves, FadeIn(cells[k], scale=1.3), run_time=0.4 if k < 2 else 0.2)
        self.play(FadeOut(window), run_time=0.3)
        return cells

    def fast_filter(self, d, inp, flt, color, u, tip, slot):
        """A later filter, quickly: its window sweeps the input once, and its map comes out of the
        arrow's tip (returned, to land in its slot)."""
        N, F = d.in_shape[0], d.kernel_shape[0]
        centre = lambda r, c: cell_center(inp.front, N, N, r + (F - 1) / 2, c + (F - 1) / 2)  # noqa: E731
        window = Rectangle(width=F * u, height=F * u, stroke_color=color, stroke_width=5)
        window.move_to(centre(*d.windows[0]))
        self.play(Indicate(flt.sheets, scale_factor=1.08, color=color), TransformFromCopy(flt.front, window),
                  run_time=0.6)
        made = slot.copy().scale(0.25).move_to(tip)  # keeps the slot's depth: it slides in behind the maps before it
        self.play(window.animate.move_to(centre(*d.windows[-1])), run_time=0.5)
        self.play(FadeOut(window), FadeIn(made), run_time=0.3)
        return made

    def channels_summed(self, d, inp, flt, color, c_colors, u, main):
        """Filter 1 on a C-channel input, taken apart: channel c ⊛ slice c → a partial map per
        channel, all at once; the C partial maps add up into ONE map (returned, in place)."""
        N, C = d.in_shape[0], d.in_shape[2]
        F, O = d.kernel_shape[0], d.map_shape[0]
        fs = core.fmt_shape
        top, bottom, gap = 2.75, -3.5, 0.3
        rh = (top - bottom - gap * (C - 1)) / C
        us = min(u, (rh - 0.1) / N, 2.4 / N)
        rows_y = [top - rh / 2 - r * (rh + gap) for r in range(C)]
        tags = VGroup(*(label(d.channel_names[c], size=30 if len(d.channel_names[c]) < 3 else theme.SMALL_SIZE,
                              color=c_colors[c], weight="BOLD") for c in range(C)))
        # columns: channel, slice of filter 1, partial map (the tags to the channels' left)
        ch_x = max(-4.6, -config.frame_width / 2 + 0.25 + max(t.width for t in tags) + 0.25 + N * us / 2)
        sl_x, p_x = ch_x + 3.0, ch_x + 5.8
        ch, sl, parts, ops = [], [], [], VGroup()
        for c, y in enumerate(rows_y):
            tags[c].move_to([ch_x - N * us / 2 - 0.25 - tags[c].width / 2, y, 0])
            s = Rectangle(width=N * us, height=N * us, stroke_color=c_colors[c], stroke_width=2)
            s.set_fill(_sheet_fill(c_colors[c]), opacity=0.85).move_to([ch_x, y, 0])
            k = Rectangle(width=F * us, height=F * us, stroke_color=c_colors[c], stroke_width=2)
            k.set_fill(_sheet_fill(color), opacity=0.85).move_to([sl_x, y, 0])
            p = Rectangle(width=O * us, height=O * us).move_to([p_x, y, 0])
            ops.add(label("⊛", size=32).move_to([(s.get_right()[0] + k.get_left()[0]) / 2, y, 0]),
                    label("=", size=32).move_to([(k.get_right()[0] + p.get_left()[0]) / 2, y, 0]))
            if c:
                ops.add(label("+", size=40).move_to([p_x, (rows_y[c - 1] + y) / 2, 0]))
            ch.append(s)
            sl.append(k)
            parts.append(p)
        grids = VGroup(*(grid_lines(s, N, N, color=theme.BACKGROUND, width=2) for s in ch),
                       *(grid_lines(k, F, F, color=theme.BACKGROUND, width=1.5) for k in sl))
        heads = VGroup(label("channel", size=theme.SMALL_SIZE, color=theme.MUTED).next_to(ch[0], UP, buff=0.15),
                       label("slice of filter 1", size=theme.SMALL_SIZE, color=color).next_to(sl[0], UP, buff=0.15),
                       label("partial map", size=theme.SMALL_SIZE, color=theme.MUTED).next_to(parts[0], UP, buff=0.15))

        # the input and filter 1 come apart into their channels / slices; the rest steps aside
        self.play(*(FadeOut(m) for m in main),
                  *(TransformFromCopy(inp.sheet(c), ch[c]) for c in range(C)),
                  *(TransformFromCopy(flt.sheet(c), sl[c]) for c in range(C)),
                  FadeIn(tags), FadeIn(heads), FadeIn(ops), FadeIn(grids), run_time=1.2)
        self.beat(hold=0.6)

        # every channel with its slice at once: one window per channel, one partial map per channel
        centre = lambda s, r, c: cell_center(s, N, N, r + (F - 1) / 2, c + (F - 1) / 2)  # noqa: E731
        windows = VGroup(*(Rectangle(width=F * us, height=F * us, stroke_color=theme.HIGHLIGHT, stroke_width=4)
                           .move_to(centre(ch[c], *d.windows[0])) for c in range(C)))
        cells = [_cells(parts[c], O, O, c_colors[c]) for c in range(C)]
        self.play(*(TransformFromCopy(sl[c], windows[c]) for c in range(C)), run_time=0.6)
        for k, (r, cc) in enumerate(d.windows):
            moves = [windows[c].animate.move_to(centre(ch[c], r, cc)) for c in range(C)] if k else []
            self.play(*moves, *(FadeIn(cells[c][k], scale=1.3) for c in range(C)), run_time=0.35 if k < 2 else 0.18)
        self.play(FadeOut(windows), run_time=0.3)
        self.beat(hold=0.6)

        # the partial maps add up, cell by cell, into ONE map
        side = min(O * us * 1.6, 2.6)
        one = Rectangle(width=side, height=side).move_to([(parts[0].get_right()[0] + 0.5 + config.frame_width / 2) / 2 + 0.25,
                                                         sum(rows_y) / C, 0])
        total = _cells(one, O, O, color)
        names = " + ".join(d.channel_names)
        if len(names) > 16:
            names = f"the {C} partial maps added"
        note = VGroup(label(f"{names}", size=theme.BODY_SIZE, color=color),
                      label(f"→ ONE {fs(d.map_shape)} map", size=theme.BODY_SIZE, color=color)).arrange(DOWN, buff=0.12)
        note.next_to(one, DOWN, buff=0.3)
        note.shift(LEFT * max(0.0, note.get_right()[0] - config.frame_width / 2 + 0.25))
        plus_arrow = Arrow(parts[0].get_right() * [1, 0, 0] + [0.3, one.get_y(), 0], one.get_left() + [-0.15, 0, 0],
                           buff=0, stroke_width=4, color=theme.MUTED)
        # cell q of every partial map flies onto cell q of the one map
        flying = VGroup(*(cells[c][q].copy() for c in range(C) for q in range(O * O)))
        landing = VGroup(*(total[q].copy() for c in range(C) for q in range(O * O)))
        self.play(GrowArrow(plus_arrow), Transform(flying, landing), FadeIn(note), run_time=1.2)
        self.remove(flying)
        self.add(total)
        self.beat(hold=1.0)

        # back to the whole picture, with the one map
        self.play(FadeOut(VGroup(tags, heads, ops, grids, plus_arrow, note, *ch, *sl, *cells)),
                  *(FadeIn(m) for m in main), run_time=0.8)
        return total


class Architecture_1_Grey_1Filter(ArchitectureChoreography, CnnvizScene):
    data = staticmethod(functools.partial(architecture_data, c=1, m=1))


class Architecture_2_Grey_2Filters(ArchitectureChoreography, CnnvizScene):
    data = staticmethod(functools.partial(architecture_data, c=1, m=2))


class Architecture_3_RGB_1Filter(ArchitectureChoreography, CnnvizScene):
    data = staticmethod(functools.partial(architecture_data, c=3, m=1))


class FullCNNSequence(ArchitectureChoreography, CnnvizScene):
    data = staticmethod(functools.partial(architecture_data, c=3, m=5))
