"""Chapter 2, sections II–IV — the dimensions of a convolution's output and its hyper-parameters: padding, stride, kernel size and number of filters, and the output-size formula.

Each scene: a pure data function (inputs → every number shown, from ``cnnviz.core``)
and the choreography that draws it with the shared drawings.
Render one with ``manim -ql scenes/ch2_hyperparams.py PaddingOneByOneEng``.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Annotated

import numpy as np
from manim import (
    DOWN,
    LEFT,
    AnimationGroup,
    ArcBetweenPoints,
    Succession,
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
    ReplacementTransform,
    SurroundingRectangle,
    Transform,
    VGroup,
    Write,
    config,
)

from cnnviz import core, notation, theme
from cnnviz.drawings import (
    CnnvizScene,
    contrast_text,
    fmt_int,
    zoom_callout,
    SlidingWindow,
    TensorStack,
    ValueGrid,
    caption,
    fit_width,
    fmt_num,
    label,
    title,
)
from cnnviz.formula import Formula
from cnnviz.notation import CONV
from cnnviz.params import Grid, Param


# ============================================================ ConvDimensionsSimpleCentered
@dataclass(frozen=True)
class ConvDimensionsData:
    n: int                   # input size N
    f: int                   # kernel size F
    c: int                   # channels C
    m: int                   # number of filters M
    in_shape: tuple          # N×N×C
    bank_shape: tuple        # F×F×C×M
    out_shape: tuple         # core.conv_output_shape(in_shape, bank_shape)
    out_size: int            # core.output_size(N, F) = N − F + 1
    bad_input: tuple         # an input and a kernel whose channels differ …
    bad_kernel: tuple
    error: str               # … the core's own ValueError message about them (not shown: code words) …
    refusal: tuple           # … and the refusal on screen, in the course's words (one line each)


_SHAPE3 = "three whole numbers: height, width, channels"


def _shape3(name: str, shape) -> tuple:
    shape = tuple(int(v) for v in shape)
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(f"{name} is {_SHAPE3} (each at least 1), got {shape!r}")
    return shape


def _channels(k: int) -> str:
    return f"{k} channel{'s' * (k != 1)}"


#: Every size on this scene's screen is at most 999: from 1,000 on, the shapes (``core.fmt_shape``) and the
#: formulas would need a thousands separator they do not write (the layout check's notation rule); up to 999
#: everything fits (measured with the layout check: tests/test_ch2_hyperparams.py).
CONV_DIM_MAX = 999


def conv_dimensions_data(
    n: Annotated[int, Param("the input size N (an N×N×C input)", min=1, max=CONV_DIM_MAX)] = 5,
    f: Annotated[int, Param("the kernel size F (F×F×C kernels), at most N", min=1, max=CONV_DIM_MAX)] = 3,
    c: Annotated[int, Param("the channels C of the input and of every kernel", min=1, max=CONV_DIM_MAX)] = 3,
    m: Annotated[int, Param("the number of filters M (the output's depth)", min=1, max=CONV_DIM_MAX)] = 5,
    bad_input: Annotated[tuple[int, ...], Param(f"the refused pair's input: {_SHAPE3}", min=1, max=CONV_DIM_MAX,
                                                max_shape=(3,))] = (3, 3, 1),
    bad_kernel: Annotated[tuple[int, ...], Param(f"the refused pair's kernel, with other channels: {_SHAPE3}",
                                                 min=1, max=CONV_DIM_MAX, max_shape=(3,))] = (2, 2, 3),
) -> ConvDimensionsData:
    """The size rule (N×N×C) ⊛ (F×F×C×M) → (N−F+1)×(N−F+1)×M with an instance (FullCNNSequence's
    5×5×3 and five 3×3×3 filters), and the channel rule as the core enforces it: ``core.conv2d``
    on a 3×3×1 input with a 2×2×3 kernel (the notebook's warning) raises; the screen says why in words."""
    top = CONV_DIM_MAX
    if n > top:
        raise ValueError(f"n: a {n}×{n} input is too large: an input of at most {top}×{top} fits this scene at a "
                         "readable size")
    if not 1 <= f <= n:
        raise ValueError(f"f: a {f}×{f} kernel does not fit in a {n}×{n} input (F is at most N = {n})")
    if c > top or m > top:
        name, v, what = ("c", c, "channels") if c > top else ("m", m, "filters")
        raise ValueError(f"{name}: {v} {what} are too many: at most {top} fit this scene at a readable size")
    bad_input, bad_kernel = _shape3("bad_input", bad_input), _shape3("bad_kernel", bad_kernel)
    for name, shape in (("bad_input", bad_input), ("bad_kernel", bad_kernel)):
        if max(shape) > top:
            raise ValueError(f"{name}: a {core.fmt_shape(shape)} {name[4:]} is too large: at most {top} a side and "
                             f"{top} channels fit this scene at a readable size")
    if bad_input[2] == bad_kernel[2]:
        raise ValueError(f"bad_input and bad_kernel: both have {_channels(bad_input[2])}, so the core accepts "
                         "them and there is no error to show: give them different channel counts")
    in_shape, bank_shape = (n, n, c), (f, f, c, m)
    out_shape = core.conv_output_shape(in_shape, bank_shape)
    try:
        core.conv2d(np.zeros(bad_input), np.zeros(bad_kernel))
    except ValueError as exc:
        error = str(exc)
    else:  # pragma: no cover - the core refuses every channel mismatch
        raise ValueError(f"conv_dimensions_data: the core accepts a {core.fmt_shape(bad_input)} input with a "
                         f"{core.fmt_shape(bad_kernel)} kernel, so there is no error to show")
    ci, ck = bad_input[2], bad_kernel[2]
    refusal = (f"Refused: the input has {_channels(ci)}, the kernel {_channels(ck)}.",
               f"Each kernel slice meets one input channel, so C must be the same for both "
               f"({ci} ≠ {ck}).")
    return ConvDimensionsData(n, f, c, m, in_shape, bank_shape, out_shape, core.output_size(n, f),
                              bad_input, bad_kernel, error, refusal)


def _sym(name: str, text=None) -> str:
    """A formula symbol (or its value) in the symbol's colour."""
    return rf"{{\color{{{theme.SYMBOL_COLORS[name]}}}{name if text is None else text}}}"


class ConvDimensionsSimpleCentered(CnnvizScene):
    data = staticmethod(conv_dimensions_data)

    def must_show(self, d):
        fs = core.fmt_shape
        return [f"input {fs(d.in_shape)}", f"{d.m} filters: {fs(d.bank_shape)}", f"output {fs(d.out_shape)}",
                f"input {fs(d.bad_input)}", f"kernel {fs(d.bad_kernel)}", *d.refusal]

    def construct(self):
        d = self.data()
        fs = core.fmt_shape
        head = title("The dimensions of a convolution output")
        N, F, C, M = (_sym(k) for k in "NFCM")
        rule = Formula(rf"({N} \times {N} \times {C}) \circledast ({F} \times {F} \times {C} \times {M}) \rightarrow "
                       rf"({N} - {F} + 1) \times ({N} - {F} + 1) \times {M}", font_size=40)
        fit_width(rule, config.frame_width - 0.8)
        rule.next_to(head, DOWN, buff=0.5)
        legend = VGroup(*(label(f"{k}: {what}", size=theme.SMALL_SIZE, color=theme.SYMBOL_COLORS[k])
                          for k, what in (("N", "input size"), ("F", "kernel size"), ("C", "channels"),
                                          ("M", "number of filters")))).arrange(RIGHT, buff=0.7, aligned_edge=UP)
        legend.next_to(rule, DOWN, buff=0.35)
        # the instance along the bottom, built first: the volumes get the band between the legend and it
        n, f, c, m = (_sym(k, v) for k, v in zip("NFCM", (d.n, d.f, d.c, d.m)))
        result = r" \times ".join(str(v) for v in d.out_shape)  # the core's output shape
        inst = Formula(rf"({n} \times {n} \times {c}) \circledast ({f} \times {f} \times {c} \times {m}) \rightarrow "
                       rf"({n} - {f} + 1) \times ({n} - {f} + 1) \times {m} = "
                       rf"{{\color{{{theme.OUTPUT}}}\mathbf{{{result}}}}}", font_size=34)
        fit_width(inst, config.frame_width - 0.8)
        inst.to_edge(DOWN, buff=0.45)
        band_top, band_bottom = legend.get_bottom()[1] - 0.4, inst.get_top()[1] + 0.4
        lab_h = label("input 5×5×3", size=theme.SMALL_SIZE).height + 0.2  # a shape label under its sheets
        f_colors = [theme.kernel_color(k) for k in range(d.m)]
        c_colors = list(theme.CHANNELS) if d.c == 3 else [theme.INPUT]
        off = min(0.16, 0.6 / max(d.c - 1, 1))  # many channels: the sheets closer together
        side = min(3.4, band_top - band_bottom - lab_h - (min(d.c, 8) - 1) * off)  # the input as tall as the band
        inp = TensorStack(d.n, d.n, d.c, unit=side / min(d.n, 5), colors=c_colors, max_side=side, offset=off,
                          label_text=f"input {fs(d.in_shape)}")
        bank = VGroup(*(TensorStack(d.f, d.f, d.c, unit=0.45, colors=(col,), offset=off * 0.75, max_side=1.4,
                                    label_text="")
                        for col in f_colors[:8]))
        for k in bank:  # an empty label keeps its height: drop it
            k.remove(k.shape_label)
        bank.arrange(RIGHT, buff=0.2)
        fit_width(bank, 5.0)
        bank_label = label(f"{d.m} filters: {fs(d.bank_shape)}", size=theme.SMALL_SIZE, color=theme.KERNEL)
        out = TensorStack(d.out_shape[0], d.out_shape[1], d.m, unit=side / min(d.n, 5), colors=f_colors,
                          max_side=side * 0.8, offset=min(0.16, 1.0 / max(d.m - 1, 1)),
                          label_text=f"output {fs(d.out_shape)}")
        out.shape_label.set_color(theme.OUTPUT)
        conv, arrow = label(CONV, size=36), label("→", size=36)
        row = VGroup(inp, conv, bank, arrow, out).arrange(RIGHT, buff=0.5)
        fit_width(row, config.frame_width - 0.8)
        row.move_to([0, (band_top + band_bottom) / 2, 0])
        bank_label.next_to(bank, DOWN, buff=0.2).align_to(inp.shape_label, DOWN)
        self.add(head, rule, legend, inp, conv, bank, bank_label)
        self.beat(note=f"An N×N×C input convolved with M kernels of size F×F×C gives an output of "
                       f"(N − F + 1)×(N − F + 1)×M, one map per filter: here a {fs(d.in_shape)} input "
                       f"and {d.m} filters of {fs(d.bank_shape[:3])}.", hold=1.0)

        # 1. the instance: every size from the core
        self.play(Write(inst), run_time=1.4)
        self.play(FadeIn(arrow), FadeIn(out), run_time=0.8)
        depth = "one map" if d.m == 1 else f"{d.m} maps"
        self.beat(note=f"With N = {d.n}, F = {d.f}, C = {d.c} and M = {d.m}: {d.n} − {d.f} + 1 = {d.out_size}, "
                       f"so the output is {fs(d.out_shape)}, {depth} of {d.out_size}×{d.out_size}.", hold=2.0)
        self.play(FadeOut(VGroup(inst, inp, conv, bank, bank_label, arrow, out)), run_time=0.6)

        # 2. the channel rule, as the core enforces it (said in words)
        warn = label("The input and the kernels must have the same number of channels C",
                     size=theme.BODY_SIZE, color=theme.HIGHLIGHT)
        fit_width(warn, config.frame_width - 0.8)
        warn.next_to(legend, DOWN, buff=0.35)
        bi, bk = d.bad_input, d.bad_kernel
        msg = VGroup(*(label(t, size=theme.SMALL_SIZE, color=theme.TEXT) for t in d.refusal))
        msg.arrange(DOWN, aligned_edge=LEFT, buff=0.15)
        fit_width(msg, config.frame_width - 1.4)
        frame = SurroundingRectangle(msg, color=theme.NEGATIVE, buff=0.22, stroke_width=3)
        # the pair as large as the room under the legend allows, the refusal under it
        top2, bottom2 = legend.get_bottom()[1] - 0.35, -config.frame_height / 2 + theme.EDGE_MARGIN + 0.15
        counts_h = 2 * (label("7 channels", size=theme.SMALL_SIZE).height + 0.15)  # a shape label and a count
        side2 = min(2.2, top2 - bottom2 - warn.height - 0.3 - counts_h - 0.35 - frame.height - 0.5)
        offs = [min(0.16, 0.5 / max(k - 1, 1)) for k in (bi[2], bk[2])]
        b_in = TensorStack(bi[0], bi[1], bi[2], unit=side2 / min(max(*bi[:2], *bk[:2]), 4), colors=(theme.INPUT,),
                           max_side=side2, offset=offs[0], label_text=f"input {fs(bi)}")
        b_k = TensorStack(bk[0], bk[1], bk[2], unit=side2 / min(max(*bi[:2], *bk[:2]), 4), colors=(theme.KERNEL,),
                          max_side=side2, offset=offs[1], label_text=f"kernel {fs(bk)}")
        cross = label("✗", size=60, color=theme.NEGATIVE)
        pair = VGroup(b_in, label(CONV, size=36), b_k, cross).arrange(RIGHT, buff=0.6)
        pair.next_to(warn, DOWN, buff=0.3)
        counts = VGroup(*(label(_channels(k), size=theme.SMALL_SIZE, color=theme.NEGATIVE)
                          .next_to(stack.shape_label, DOWN, buff=0.12)
                          for stack, k in ((b_in, bi[2]), (b_k, bk[2]))))
        for t in counts:  # on one line
            t.set_y(min(u.get_y() for u in counts))
        pair.add(counts)
        VGroup(msg, frame).next_to(pair, DOWN, buff=0.35)
        part2 = VGroup(warn, pair, msg, frame)  # centred in the room under the legend
        part2.shift(UP * ((top2 + bottom2) / 2 - part2.get_center()[1]))
        self.play(FadeIn(warn), run_time=0.6)
        self.play(FadeIn(pair[:3]), run_time=0.8)
        self.play(FadeIn(counts), run_time=0.5)
        self.play(FadeIn(cross, scale=1.5), Create(frame), FadeIn(msg), run_time=1.0)
        self.beat(note=f"A {fs(bi)} input cannot be convolved with a {fs(bk)} kernel: the input has "
                       f"{_channels(bi[2])}, the kernel {_channels(bk[2])}; the channel counts must match.",
                  hold=3.0)
        self.clear_all()


# ============================================================ OutputSizeFormula
@dataclass(frozen=True)
class SizeCase:
    n: int
    f: int
    p: int
    s: int
    numerator: int           # N − F + 2P
    quotient: float          # (N − F + 2P) / S
    floored: int             # ⌊(N − F + 2P) / S⌋
    size: int                # the output size
    windows: tuple           # window start positions along one axis (padded coordinates)


@dataclass(frozen=True)
class OutputSizeData:
    notebook: SizeCase       # the first case: the notebook's 28, 3, 1, 1 → 28 by default
    floor_case: SizeCase     # the second: 8, 3, 0, 2 → 3 by default, where the floor drops a window
    is_notebook: bool        # the first case is the notebook's own example
    ex_heading: str          # the first case's heading and its result, in words that follow its numbers
    ex_result: str
    floor_heading: str       # the second case's heading, its missing window and its result
    floor_miss: str
    floor_result: str


NOTEBOOK_CASE = (28, 3, 1, 1)


def size_case(n: int, f: int, p: int, s: int) -> SizeCase:
    """One case of the formula: N, F, P, S and everything computed from them (``core.output_size``)."""
    numerator = n - f + 2 * p
    size = core.output_size(n, f, p, s)
    # the windows along one axis: a one-row input and a kernel as tall as the padded row (one row of windows)
    starts = tuple(c for _, c in core.conv_windows((1, n), (1 + 2 * p, f), stride=s, padding=p))
    return SizeCase(n, f, p, s, numerator, numerator / s, numerator // s, size, starts)


_CASE = "N, F, P, S: input size, kernel size, padding, stride"


def _case(name: str, values) -> SizeCase:
    if len(values) != 4:
        raise ValueError(f"{name} is four whole numbers ({_CASE}), got {len(values)}")
    n, f, p, s = (int(v) for v in values)
    if n < 1 or f < 1 or s < 1:
        raise ValueError(f"{name}: N, F and S are at least 1 ({_CASE}), got {tuple(values)}")
    return size_case(n, f, p, s)


def _size_change(c: SizeCase) -> str:
    """What the case does to the size, in words that follow its numbers."""
    out = fmt_int(c.size)
    sizes = f"{c.n}×{c.n} → {out}×{out}"
    if c.size == c.n:
        return f"{sizes}: padding P = {c.p} keeps the size" if c.p else f"{sizes}: the size is kept"
    if c.size < c.n:
        return f"{sizes}: the output is {fmt_int(c.n - c.size)} smaller"
    return f"{sizes}: the output is {fmt_int(c.size - c.n)} larger"


#: The first case's numbers are at most 999 (from 1,000 on they would need a thousands separator the formula
#: does not write: the layout check's notation rule). The second case's strip (N + 2P cells, and the window
#: after the last one, drawn dashed) holds at most FLOOR_MAX_CELLS cells of 0.6 with the window counter beside
#: it: measured with the layout check (tests/test_ch2_hyperparams.py).
SIZE_MAX = 999
FLOOR_MAX_CELLS = 19


def output_size_data(
    example: Annotated[tuple[int, ...], Param(f"the first case: {_CASE}", min=0, max=SIZE_MAX,
                                              max_shape=(4,))] = NOTEBOOK_CASE,
    floor_case: Annotated[tuple[int, ...], Param(f"the case whose windows are counted on a strip: {_CASE}", min=0,
                                                 max=FLOOR_MAX_CELLS, max_shape=(4,))] = (8, 3, 0, 2),
) -> OutputSizeData:
    """The notebook's example (28, 3, 1, 1 → 28) and a case where the floor matters (8, 3, 0, 2 → 3);
    every sentence on screen is built here from the cases' numbers."""
    ex, fl = _case("example", example), _case("floor_case", floor_case)
    need = max(fl.n + 2 * fl.p, fl.windows[-1] + fl.s + fl.f)  # the strip, and the window after the last
    if need > FLOOR_MAX_CELLS:
        raise ValueError(f"floor_case: its strip of {fl.n + 2 * fl.p} cells and the window after the last need "
                         f"{need} cells: a strip of at most {FLOOR_MAX_CELLS} cells fits this scene at a readable size")
    is_nb = (ex.n, ex.f, ex.p, ex.s) == NOTEBOOK_CASE
    values = f"N = {ex.n}, F = {ex.f}, P = {ex.p}, S = {ex.s}"
    ex_heading = f"Notebook example: {values}" if is_nb else f"Example: {values}"
    floors = fl.numerator % fl.s != 0
    fl_values = f"N = {fl.n}, F = {fl.f}, P = {fl.p}, S = {fl.s}"
    floor_heading = (f"When the floor matters: {fl_values}" if floors
                     else f"A case where the windows fit exactly: {fl_values}")
    cells = fl.n + 2 * fl.p
    nxt = fl.windows[-1] + fl.s
    where = f"only {cells} exist" if not fl.p else f"the padded strip has {cells}"
    floor_miss = f"window {len(fl.windows) + 1} would need cells {nxt + 1}–{nxt + fl.f}: {where}"
    floor_result = (f"{fl.numerator}/{fl.s} = {fmt_num(fl.quotient)} → floor {fl.floored} → "
                    f"{_s(fl.size, 'window')}, output {fl.size}×{fl.size}")
    return OutputSizeData(ex, fl, is_nb, ex_heading, _size_change(ex), floor_heading, floor_miss, floor_result)


def _sub(case: SizeCase) -> str:
    """The formula with the case's numbers substituted, step by step."""
    c = theme.SYMBOL_COLORS
    n = rf"{{\color{{{c['N']}}}{case.n}}}"
    f = rf"{{\color{{{c['F']}}}{case.f}}}"
    p = rf"{{\color{{{c['P']}}}{case.p}}}"
    s = rf"{{\color{{{c['S']}}}{case.s}}}"
    def num(v):  # thousands separated, as LaTeX reads a comma inside a number
        return (fmt_num(v) if isinstance(v, float) else fmt_int(v)).replace(",", "{,}")

    return (rf"\left\lfloor \frac{{{n} - {f} + 2 \cdot {p}}}{{{s}}} \right\rfloor + 1"
            rf" = \left\lfloor \frac{{{num(case.numerator)}}}{{{case.s}}} \right\rfloor + 1"
            rf" = \lfloor {num(case.quotient)} \rfloor + 1 = {num(case.floored)} + 1 = \mathbf{{{num(case.size)}}}")


class OutputSizeFormula(CnnvizScene):
    data = staticmethod(output_size_data)

    def must_show(self, d):
        fl = d.floor_case
        return [d.ex_heading, d.ex_result, d.floor_heading, d.floor_miss, d.floor_result, str(len(fl.windows))]

    def construct(self):
        d = self.data()
        head = title("The output size of a convolution")
        sym = theme.SYMBOL_COLORS
        general = Formula(r"\text{Output size} = \left\lfloor \frac{{\color{%s}N} - {\color{%s}F} + 2{\color{%s}P}}"
                          r"{{\color{%s}S}} \right\rfloor + 1"
                          % (sym["N"], sym["F"], sym["P"], sym["S"]), font_size=40)
        general.next_to(head, DOWN, buff=0.45)
        legend = VGroup(
            *(label(f"{k} {name}", color=sym[k], size=theme.SMALL_SIZE)
              for k, name in (("N", "input"), ("F", "kernel"), ("P", "padding"), ("S", "stride"))),
        ).arrange(RIGHT, buff=0.6).next_to(general, DOWN, buff=0.35)
        # the opening: the formula and its legend as large as the frame allows, in the room under the title;
        # they move up to their place when the first case comes
        rule = VGroup(general, legend)
        place = rule.get_center()
        k = min(1.8, (config.frame_width - 1.0) / rule.width)
        rule.scale(k).move_to([0, (head.get_bottom()[1] - config.frame_height / 2) / 2, 0])
        self.add(head, rule)
        self.beat(note="The output size is ⌊(N − F + 2P) / S⌋ + 1: the input size N, the kernel size F, "
                       "the padding P and the stride S decide it.", hold=1.0)
        self.play(rule.animate.scale(1 / k).move_to(place), run_time=0.8)

        # 1. the first case (the notebook's example by default)
        c = d.notebook
        ex1 = label(d.ex_heading, size=theme.BODY_SIZE)
        ex1.move_to([0, 0.2, 0])
        sub1 = Formula(_sub(c), font_size=34).next_to(ex1, DOWN, buff=0.4)
        fit_width(sub1, config.frame_width - 0.8)
        res1 = label(d.ex_result, size=theme.BODY_SIZE, color=theme.OUTPUT).next_to(sub1, DOWN, buff=0.4)
        self.play(FadeIn(ex1), run_time=0.5)
        self.play(Write(sub1), run_time=1.5)
        self.play(FadeIn(res1), run_time=0.5)
        self.beat(note=f"{'In the notebook' if d.is_notebook else 'Here'}: ({c.n} − {c.f} + 2·{c.p}) / {c.s} + 1 "
                       f"= {c.size}, so {d.ex_result.split(': ', 1)[1]}.", hold=1.5)
        self.play(FadeOut(VGroup(ex1, sub1, res1)), run_time=0.5)

        # 2. the windows on a strip: where the floor matters, the last window does not fit
        c = d.floor_case
        ex2 = label(d.floor_heading, size=theme.BODY_SIZE)
        fit_width(ex2, config.frame_width - 0.8)
        ex2.move_to([0, 0.2, 0])
        sub2 = Formula(_sub(c), font_size=34).next_to(ex2, DOWN, buff=0.4)
        fit_width(sub2, config.frame_width - 0.8)
        self.play(FadeIn(ex2), run_time=0.5)
        self.play(Write(sub2), run_time=1.5)

        cells = np.concatenate([np.zeros(c.p, int), np.arange(1, c.n + 1), np.zeros(c.p, int)]).reshape(1, -1)
        strip = ValueGrid(cells, color=theme.INPUT, cell_size=0.6)
        for k in (*range(c.p), *range(c.p + c.n, 2 * c.p + c.n)):  # the padding's zeros
            strip.cell(0, k).set_fill(theme.PADDING, opacity=1)
            strip.label_at(0, k).set_color(theme.MUTED)
        strip.next_to(sub2, DOWN, buff=0.5)
        # where the next stride would put the window: past the end of the (padded) input
        nxt = c.windows[-1] + c.s
        ghost = DashedVMobject(strip.window(0, 0, 1, c.f, color=theme.NEGATIVE), num_dashes=30)
        ghost.move_to(strip.block_center(0, 0, 1, c.f) + RIGHT * nxt * strip.cell_size)
        counter_w = _counter("window", len(c.windows), "", theme.HIGHLIGHT).width  # at its widest
        row = VGroup(strip, ghost)  # strip + overhang + the counter to their right, centred together
        row.shift(RIGHT * (-(row.width + 0.35 + counter_w) / 2 - row.get_left()[0]))
        self.play(FadeIn(strip), run_time=0.4)
        win = SlidingWindow(strip, 1, c.f)
        counter = _counter("window", 1, "", theme.HIGHLIGHT)
        counter.next_to(VGroup(strip, ghost), RIGHT, buff=0.35)
        for k, start in enumerate(c.windows):
            if k == 0:
                win.place(0, start)
                self.play(Create(win), FadeIn(counter), run_time=0.5)
            else:
                self.play(win.step_to(0, start), _count(counter, k + 1), run_time=0.5)
        miss = label(d.floor_miss, size=theme.SMALL_SIZE, color=theme.NEGATIVE).next_to(strip, DOWN, buff=0.3)
        fit_width(miss, config.frame_width - 0.8)
        self.play(FadeIn(ghost), FadeIn(miss), run_time=0.6)
        self.beat(note=f"The window moves {c.s} cell{'s' * (c.s != 1)} at a time; after window {len(c.windows)} "
                       f"the next one would need cells {nxt + 1} to {nxt + c.f}, past the end, so it is not counted.",
                  hold=1.0)
        res2 = caption(d.floor_result, color=theme.OUTPUT)
        self.play(FadeOut(ghost), FadeIn(res2), run_time=0.6)
        self.beat(note=(f"{c.numerator} / {c.s} = {fmt_num(c.quotient)}: the floor keeps {c.floored} whole steps, "
                        if c.numerator % c.s else f"{c.numerator} / {c.s} = {c.floored} whole steps, ")
                  + f"plus the first window: {_s(c.size, 'window')}, an output of {c.size}×{c.size}.", hold=1.5)
        self.clear_all()


# ==================================================================================================
# Section III (hyperparameters) and V (feature detection): Stride4x4Comparison, PaddingOneByOneEng,
# KernelSizeAndDepthClean, FeatureDetectionGray, FeatureDetectionRGB.


def _size_formula(case: SizeCase, font_size: float = 30) -> Formula:
    """``⌊(N − F + 2P)/S⌋ + 1`` with the case's numbers substituted, and the size it gives (short form of _sub)."""
    c = theme.SYMBOL_COLORS
    n = rf"{{\color{{{c['N']}}}{case.n}}}"
    f = rf"{{\color{{{c['F']}}}{case.f}}}"
    p = rf"{{\color{{{c['P']}}}{case.p}}}"
    s = rf"{{\color{{{c['S']}}}{case.s}}}"
    return Formula(rf"\left\lfloor \frac{{{n} - {f} + 2 \cdot {p}}}{{{s}}} \right\rfloor + 1 = "
                   rf"{{\color{{{theme.OUTPUT}}}{case.size}}}", font_size=font_size)


def _cell_size(n_cells: float, room: float, largest: float = 0.8) -> float:
    """The cell size that fits ``n_cells`` cells in ``room`` scene units, at most ``largest``."""
    return min(largest, room / n_cells)


def _readable(cell: float) -> bool:
    """Whether numbers in cells of this size are at least theme.MIN_FONT (else draw the grid without them)."""
    return theme.CELL_FONT * cell / theme.CELL_SIZE >= theme.MIN_FONT


_NUMBERS: dict = {}


def _number_grid(values, show_values: bool = True, **kw) -> ValueGrid:
    """A ValueGrid whose numbers are built once per distinct (text, size, colour) and copied: a grid of
    small counts (a coverage map, the same input drawn twice) costs a few Texts instead of one per cell."""
    grid = ValueGrid(values, show_values=False, **kw)
    if not show_values:
        return grid
    for i in range(grid.rows):
        for j in range(grid.cols):
            cell = grid.cell(i, j)
            text = fmt_num(grid.values[i, j], grid.decimals)
            color = contrast_text(cell.get_fill_color()) if grid.shade else theme.TEXT
            key = (text, round(grid.font_size, 3), color, round(grid.cell_size, 3))
            if key not in _NUMBERS:
                _NUMBERS[key] = fit_width(label(text, size=grid.font_size, color=color, mono=True),
                                          grid.cell_size * 0.86)
            grid.labels.add(_NUMBERS[key].copy().move_to(cell.get_center()))
    return grid


def _counter(prefix: str, k: int, suffix: str, color: str) -> VGroup:
    """'prefix k suffix' as labels: a count that changes rebuilds only its number (see _count)."""
    parts = [label(prefix, size=theme.SMALL_SIZE, color=color), label(str(k), size=theme.SMALL_SIZE, color=color)]
    if suffix:
        parts.append(label(suffix, size=theme.SMALL_SIZE, color=color))
    return VGroup(*parts).arrange(RIGHT, buff=0.12)


def _count(counter: VGroup, k: int):
    """The animation turning a :func:`_counter`'s number into ``k`` in place: the old number fades out
    in the first half, the new one fades in in the second (never one text morphing into another)."""
    old = counter[1]
    new = label(str(k), size=theme.SMALL_SIZE, color=old.get_fill_color()).move_to(old, aligned_edge=LEFT)
    counter.submobjects[1] = new
    anims = [Succession(FadeOut(old), FadeIn(new))]
    if len(counter) > 2:
        anims.append(counter[2].animate.next_to(new, RIGHT, buff=0.12))
    return AnimationGroup(*anims)


# ============================================================ Stride4x4Comparison
@dataclass(frozen=True)
class StrideData:
    x: np.ndarray            # N×N input
    w: np.ndarray            # F×F kernel
    strides: tuple           # the two strides compared, e.g. (1, 2)
    cases: tuple             # one SizeCase per stride: the output-size formula's numbers
    windows: tuple           # per stride: top-left (row, col) of every window, raster order (core.conv_windows)
    outs: tuple              # per stride: the output map (core.conv2d)
    common: tuple            # indices of the first stride's windows that the second stride visits too


STRIDE_MAX_INPUT = 5     # two input grids and their outputs side by side stay readable up to 5×5
STRIDE_MAX_KERNEL = 3
#: The largest pixel value: a 2×2 kernel of −1s sums four of them into a 4×4 output, and −96 (from 24) is the
#: widest number whose cells still fit beside each other; 25 makes −100, whose wider cells push the input out
#: of the frame (measured with the layout check, like the sizes above: tests/test_ch2_hyperparams.py).
STRIDE_MAX_VALUE = 24


def stride_data(
    x: Annotated[Grid, Param("the input image: rows of numbers (a square N×N grid)", min=0, max=STRIDE_MAX_VALUE,
                             max_shape=(STRIDE_MAX_INPUT, STRIDE_MAX_INPUT), noun="input")]
        = ((1, 3, 0, 2), (4, 2, 1, 0), (0, 1, 5, 3), (2, 0, 3, 1)),
    w: Annotated[Grid, Param("the kernel: rows of numbers (a square F×F grid)", min=-1, max=1,
                             max_shape=(STRIDE_MAX_KERNEL, STRIDE_MAX_KERNEL), noun="kernel")] = ((1, 0), (0, 1)),
    strides: Annotated[tuple[int, ...], Param("the two strides compared, side by side", min=1, max=3,
                                              max_shape=(2,))] = (1, 2),
) -> StrideData:
    """One N×N input and F×F kernel convolved with two strides (the notebook's: 4×4, 2×2, stride 1 vs 2)."""
    x, w = np.asarray(x), np.asarray(w)
    if x.ndim != 2 or x.shape[0] != x.shape[1] or w.ndim != 2 or w.shape[0] != w.shape[1]:
        raise ValueError(f"x and w: stride_data needs a square N×N input and F×F kernel, got "
                         f"{core.fmt_shape(x.shape)} and {core.fmt_shape(w.shape)}")
    strides = tuple(int(v) for v in strides)
    if len(strides) != 2 or strides[0] == strides[1] or min(strides) < 1:
        raise ValueError(f"strides: two different strides of at least 1 are compared, got {strides!r}")
    if w.shape[0] > x.shape[0]:
        raise ValueError(f"w: a {core.fmt_shape(w.shape)} kernel does not fit the {core.fmt_shape(x.shape)} input")
    n, f = x.shape[0], w.shape[0]
    cases = tuple(size_case(n, f, 0, s) for s in strides)
    windows = tuple(tuple(core.conv_windows(x.shape, w.shape, stride=s)) for s in strides)
    outs = tuple(core.conv2d(x, w, stride=s) for s in strides)
    second = set(windows[1])
    common = tuple(k for k, pos in enumerate(windows[0]) if pos in second)
    return StrideData(x, w, strides, cases, windows, outs, common)


def _stride_words(d: StrideData) -> tuple:
    """The summary's sentence (the larger stride against the smaller) and, when the larger stride's windows
    are all among the smaller's, the sentence about the values they share (else None)."""
    (s1, s2), (w1, w2) = d.strides, (len(d.windows[0]), len(d.windows[1]))
    sa, sb = (core.fmt_shape(o.shape) for o in d.outs)
    if s2 > s1:
        fewer = "fewer" if w2 < w1 else "as many"
        done = (f"Stride {s2}: {_s(w2, 'window')} instead of {w1} → a {sb} output instead of {sa}, "
                f"{fewer} computations")
    else:
        more = "more" if w2 > w1 else "as many"
        done = (f"Stride {s2}: {_s(w2, 'window')} instead of {w1} → a {sb} output instead of {sa}, "
                f"{more} computations")
    small, large = (0, 1) if s1 < s2 else (1, 0)
    kept = [pos for pos in d.windows[large] if pos in set(d.windows[small])]
    same = None
    if len(kept) == len(d.windows[large]) and s1 < s2:
        same = f"stride {s2} keeps {len(kept)} of the stride-{s1} windows: the same values"
    return done, same


class Stride4x4Comparison(CnnvizScene):
    data = staticmethod(stride_data)

    def must_show(self, d):
        done, same = _stride_words(d)
        shown = [done] + ([same] if same else [])
        for out in d.outs:
            shown += [f"output {core.fmt_shape(out.shape)}", *sorted({fmt_num(v) for v in out.ravel()})]
        return shown + sorted({fmt_num(v) for v in d.x.ravel()}) + sorted({fmt_num(v) for v in d.w.ravel()})

    def construct(self):
        d = self.data()
        n, f = d.x.shape[0], d.w.shape[0]
        s1, s2 = d.strides
        head = title(f"Stride: the same {core.fmt_shape(d.x.shape)} input and {core.fmt_shape(d.w.shape)} kernel, "
                     f"stride {s1} vs {s2}", size=30)
        # the kernel once, under the title; two panels below it, each: input grid → output grid
        k_cell = 0.6 if f < 3 else 0.57
        k_grid = ValueGrid(d.w, color=theme.KERNEL, cell_size=k_cell)
        k_name = k_grid.heading(f"kernel {core.fmt_shape(d.w.shape)}")
        VGroup(k_grid, k_name).next_to(head, DOWN, buff=0.15).set_x(0)
        half = config.frame_width / 2
        gap = 0.9
        top = min(k_grid.get_bottom()[1] - 0.2, k_grid.get_center()[1] - 0.8)  # under the panels' headings
        o_max = max(o.shape[0] for o in d.outs)
        room = half - theme.EDGE_MARGIN - 0.2  # a panel's width: from the frame's margin to near the middle
        below = 2.15 - (0.4 if o_max == n else 0.0)  # formula + caption below (and the counter, as low as the input)
        cell = min(_cell_size(n + o_max, room - 0.15 - gap), (top + below) / n)
        panels = []
        for side, (s, out, case) in zip((-1, 1), zip(d.strides, d.outs, d.cases)):
            centre = side * (half - theme.EDGE_MARGIN - 0.05 + 0.15) / 2
            x_grid = _number_grid(d.x, color=theme.INPUT, cell_size=cell)
            o_grid = ValueGrid(out, color=theme.OUTPUT, cell_size=cell, show_values=False, font_size=x_grid.font_size)
            width = x_grid.width + gap + o_grid.width
            x_grid.move_to([centre - width / 2 + x_grid.width / 2, top - x_grid.height / 2, 0])
            o_grid.move_to([centre + width / 2 - o_grid.width / 2, x_grid.get_center()[1], 0])
            arrow = Arrow(x_grid.get_right(), o_grid.get_left(), buff=0.15, stroke_color=theme.MUTED,
                          stroke_width=4, max_tip_length_to_length_ratio=0.3)
            heading = VGroup(
                label(f"Stride S = {s}: steps of {_s(s, 'cell')}", size=theme.BODY_SIZE,
                      color=theme.HIGHLIGHT).move_to([side * (k_grid.width / 2 + half) / 2, k_grid.get_center()[1], 0]),
                o_grid.heading(f"output {core.fmt_shape(out.shape)}"))
            panels.append(dict(s=s, out=out, case=case, x=x_grid, o=o_grid, arrow=arrow, heading=heading,
                               centre=centre))
        self.add(head, k_grid, k_name, *(VGroup(p["x"], p["o"], p["arrow"], p["heading"]) for p in panels))
        self.beat(note=f"The same {n}×{n} input and {f}×{f} kernel, twice: on the left the window moves "
                       f"{_s(s1, 'cell')} at a time, on the right {_s(s2, 'cell')}.", hold=0.5)

        # the windows step in sync: tick k moves every panel to its k-th window
        for p, wins in zip(panels, d.windows):
            p["wins"] = wins
            p["window"] = p["x"].window(0, 0, f, f)  # a plain frame: cheap to animate (no grid to copy)
            p["target"] = p["o"].window(0, 0, 1, 1)
            p["counter"] = None
        ticks = max(len(w) for w in d.windows)
        n_slow = 3
        jumps = VGroup()
        for k in range(ticks):
            anims, finished, said = [], [], []
            for p in panels:
                wins, out_w = p["wins"], p["out"].shape[1]
                if k >= len(wins):
                    continue
                r, c = wins[k]
                i, j = divmod(k, out_w)
                centre = p["x"].block_center(r, c, f, f)
                if k == 0:
                    counter = _counter("window", 1, f"of {len(wins)}", theme.HIGHLIGHT)
                    counter.next_to(p["o"], DOWN, buff=0.2)
                    p["window"].move_to(centre)
                    anims += [Create(p["window"]), Create(p["target"]), FadeIn(counter)]
                else:
                    counter = p["counter"]
                    anims += [p["window"].animate.move_to(centre), p["target"].animate.move_to(p["o"].cell(i, j)),
                              _count(counter, k + 1)]
                    if k == 1:  # the first step: how far the window jumps
                        jumps.add(self._jump(p["x"], wins[0], wins[1], f))
                anims.append(FadeIn(p["o"].value_label(i, j, p["out"][i, j]), scale=1.4))
                said.append(f"stride {p['s']}: window {k + 1} at {notation.row_col(r, c)} gives "
                            f"{fmt_num(p['out'][i, j])}")
                p["counter"] = counter
                if k == len(wins) - 1:
                    finished.append(p)
            slow = k < n_slow
            if k == 1:
                anims.append(Create(jumps))
            if k == 2:
                anims.append(FadeOut(jumps))
            self.play(*anims, run_time=0.8 if slow else 0.35)
            if slow:
                lead = ("Each window's sum of products is one output value. " if k == 0 else
                        "The first step: the window jumps by the stride. " if k == 1 else "")
                self.beat(note=lead + "; ".join(said).capitalize() + ".", hold=0.6)
            for p in finished:  # this panel has no window left: its size, from the formula
                formula = _size_formula(p["case"], font_size=30)
                formula.next_to(VGroup(p["x"], p["counter"]), DOWN, buff=0.2).set_x(p["centre"])
                p["formula"] = formula
                self.play(FadeOut(p["window"]), FadeOut(p["target"]), FadeIn(formula), run_time=0.6)
                cs = p["case"]
                self.beat(note=f"With stride {cs.s}, ⌊({cs.n} − {cs.f}) / {cs.s}⌋ + 1 = {cs.size}: "
                               f"{_s(len(p['wins']), 'window')}, a {cs.size}×{cs.size} output.",
                          hold=0.8 if p is panels[1] and len(p["wins"]) < ticks else 0.3)

        a, b = panels
        done_text, same_text = _stride_words(d)
        done = caption(done_text, color=theme.OUTPUT)
        fit_width(done, config.frame_width - 0.8)
        self.play(FadeIn(done), run_time=0.6)
        self.beat(note=done_text + ": a larger stride makes a smaller output, with less computation.", hold=1.5)
        if same_text:  # the larger stride visits a subset of the windows
            out_w = a["out"].shape[1]
            marks = VGroup(*(a["o"].window(*divmod(k, out_w), 1, 1, color=theme.HIGHLIGHT) for k in d.common))
            marks.add(*(b["o"].window(*divmod(k, b["out"].shape[1]), 1, 1) for k in range(len(b["wins"]))))
            same = caption(same_text, color=theme.HIGHLIGHT)
            fit_width(same, config.frame_width - 0.8)
            self.play(FadeOut(done), run_time=0.4)  # one caption leaves before the next arrives
            self.play(Create(marks), FadeIn(same), run_time=0.8)
            self.beat(note=f"The stride-{s2} windows are among the stride-{s1} ones: the larger stride keeps "
                           f"{len(d.common)} of their values and skips the others.", hold=1.5)
        self.clear_all()

    @staticmethod
    def _jump(grid: ValueGrid, start, end, f: int) -> VGroup:
        """An arrow over the grid from the first window's centre to the second's: how far one step goes."""
        a = grid.block_center(*start, f, f)
        b = grid.block_center(*end, f, f)
        if start[0] == end[0]:  # a move along the row: an arc just above the grid
            y = grid.get_top()[1] + 0.12
            return VGroup(ArcBetweenPoints([a[0], y, 0], [b[0], y, 0], angle=-2.2, stroke_color=theme.HIGHLIGHT,
                                           stroke_width=5).add_tip(tip_length=0.18, tip_width=0.18))
        return VGroup(Arrow(a, b, buff=0.1, stroke_color=theme.HIGHLIGHT, stroke_width=5))


# ============================================================ PaddingOneByOneEng
@dataclass(frozen=True)
class PaddingStage:
    p: int                   # padding of this stage
    case: SizeCase           # the output-size formula's numbers
    padded: np.ndarray       # the input with p rings of zeros (core.pad)
    coverage: np.ndarray     # H×W: in how many windows each input pixel takes part (core.coverage_map)
    corner_windows: tuple    # top-left (row, col), padded coordinates, of the windows holding the corner pixel
    centre_windows: tuple    # the same for the centre pixel


@dataclass(frozen=True)
class PaddingData:
    x: np.ndarray            # N×N input
    f: int                   # kernel size F
    stride: int
    corner: tuple            # (0, 0)
    centre: tuple            # (N // 2, N // 2)
    stages: tuple            # one PaddingStage per padding 0, 1, …, P


def _windows_holding(windows, pixel, f: int, p: int) -> tuple:
    """The windows (top-left, padded coordinates) of an F×F kernel that contain input pixel ``pixel``."""
    r, c = pixel[0] + p, pixel[1] + p
    return tuple((a, b) for a, b in windows if a <= r < a + f and b <= c < b + f)


PAD_MAX_INPUT = 6        # the coverage map's numbers stay readable up to a 6×6 input
PAD_MAX_PADDED = 10      # the padded input's numbers stay readable up to 10×10 (N + 2P ≤ 10)
#: The input's values: −99 to 999 fit the padded 10×10 grid (−999 or 1,000 widen its cells past the frame's
#: edge: measured with the layout check). The kernel is at most the input (F ≤ N ≤ 6); the padding at most
#: (10 − 1) / 2 rings; a stride past the padded input's side changes nothing (one window).
PAD_MIN_VALUE, PAD_MAX_VALUE = -99, 999


def padding_data(
    x: Annotated[Grid, Param("the input image: rows of numbers (a square N×N grid)", min=PAD_MIN_VALUE,
                             max=PAD_MAX_VALUE, max_shape=(PAD_MAX_INPUT, PAD_MAX_INPUT), noun="input")]
        = ((3, 0, 1, 2, 7), (1, 5, 8, 9, 3), (2, 7, 2, 5, 1), (0, 1, 3, 1, 7), (4, 2, 1, 6, 2)),
    f: Annotated[int, Param("the kernel size F (an F×F window), at most N", min=1, max=PAD_MAX_INPUT)] = 3,
    padding: Annotated[int, Param("the rings of zeros added, one at a time, from 0 up to P", min=0,
                                  max=(PAD_MAX_PADDED - 1) // 2)] = 2,
    stride: Annotated[int, Param("how many pixels the window moves per step", min=1, max=PAD_MAX_PADDED)] = 1,
) -> PaddingData:
    """ConvExampleExplainedClean's 5×5 input and a 3×3 kernel, padded one ring of zeros at a time up to ``padding``."""
    x = np.asarray(x)
    if x.ndim != 2 or x.shape[0] != x.shape[1]:
        raise ValueError(f"x: padding_data needs a square N×N input, got {core.fmt_shape(x.shape)}")
    f, padding, stride = int(f), int(padding), int(stride)
    if padding < 0:
        raise ValueError(f"padding: the rings of zeros are 0 or more, got {padding}")
    if f < 1 or stride < 1:
        raise ValueError(f"f and stride: the kernel size and the stride are at least 1, got f = {f}, stride = {stride}")
    n = x.shape[0]
    if n + 2 * padding > PAD_MAX_PADDED:
        raise ValueError(f"padding: a {n}×{n} input with {padding} rings of zeros is {n + 2 * padding}×"
                         f"{n + 2 * padding}: a padded input of at most {PAD_MAX_PADDED}×{PAD_MAX_PADDED} fits "
                         "this scene at a readable size")
    if f > n:
        raise ValueError(f"f: a {f}×{f} kernel does not fit the {n}×{n} input without padding (F is at most N = {n})")
    corner, centre = (0, 0), (n // 2, n // 2)
    stages = []
    for p in range(padding + 1):
        windows = core.conv_windows(x.shape, (f, f), stride=stride, padding=p)
        stages.append(PaddingStage(
            p=p, case=size_case(n, f, p, stride), padded=core.pad(x, p),
            coverage=core.coverage_map(x.shape, (f, f), stride=stride, padding=p),
            corner_windows=_windows_holding(windows, corner, f, p),
            centre_windows=_windows_holding(windows, centre, f, p)))
    return PaddingData(x, f, stride, corner, centre, tuple(stages))


def _ring_cells(n: int, k: int) -> list:
    """The cells of the k-th ring around an N×N grid (input coordinates), clockwise from the top-left corner."""
    lo, hi = -k, n - 1 + k
    cells = [(lo, c) for c in range(lo, hi + 1)] + [(r, hi) for r in range(lo + 1, hi + 1)]
    cells += [(hi, c) for c in range(hi - 1, lo - 1, -1)] + [(r, lo) for r in range(hi - 1, lo, -1)]
    return cells


def _s(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _padding_summary(d: PaddingData) -> tuple:
    """The summary's stage (the one that keeps the input's size, else the last) and its sentence."""
    n = d.x.shape[0]
    cy, cx = d.corner
    first, last = d.stages[0], d.stages[-1]
    same = next((st for st in d.stages if st.case.size == n and st.p), None)
    if same is not None:
        return same, (f"P = {same.p} keeps the {n}×{n} size, and the corner pixel is in "
                      f"{_s(int(same.coverage[cy, cx]), 'window')} instead of {int(first.coverage[cy, cx])}")
    if last.p == 0:
        return last, (f"without padding the corner pixel is in {_s(int(last.coverage[cy, cx]), 'window')}, "
                      f"the centre one in {int(last.coverage[d.centre])}")
    return last, (f"each ring of zeros puts the corner pixel in more windows: "
                  f"{int(first.coverage[cy, cx])} → {int(last.coverage[cy, cx])}")


def _stage_name(p: int) -> str:
    return f"P = {p}: " + ("no padding" if p == 0 else _s(p, "ring") + " of zeros")


class PaddingOneByOneEng(CnnvizScene):
    data = staticmethod(padding_data)

    def must_show(self, d):
        n = d.x.shape[0]
        shown = [f"input {n}×{n}", _padding_summary(d)[1]]
        for st in d.stages:
            shown += [_stage_name(st.p), f"{st.case.size}×{st.case.size}"]
        shown += sorted({fmt_num(v) for v in d.x.ravel()})
        return shown

    def construct(self):
        d = self.data()
        n, f = d.x.shape[0], d.f
        last = d.stages[-1]
        head = title(f"Padding: zeros around a {core.fmt_shape(d.x.shape)} input, {f}×{f} kernel", size=30)
        # left: the input, with room for every ring; right: the coverage map and the output size
        left_x, right_x = -3.5, 3.6
        cell = min(0.8, 5.8 / (n + 2 * last.p))
        x_grid = _number_grid(d.x, color=theme.INPUT, cell_size=cell)
        x_grid.move_to([left_x, -0.3, 0])
        x_name = label(f"input {core.fmt_shape(d.x.shape)}", size=theme.SMALL_SIZE, color=theme.INPUT)
        x_name.next_to(x_grid, UP, buff=0.12 + last.p * cell)

        c_cell = min(0.75, 3.5 / n)
        vmin = min(int(s.coverage.min()) for s in d.stages)
        vmax = max(int(s.coverage.max()) for s in d.stages)

        def coverage_grid(stage):
            g = _number_grid(stage.coverage, color=theme.HIGHLIGHT, cell_size=c_cell, shade="heat",
                             vrange=(vmin, vmax))
            return g.move_to([right_x, 0.35, 0])

        def stage_texts(stage):
            name = label(_stage_name(stage.p), size=theme.BODY_SIZE, color=theme.PAD_LABEL)
            name.move_to([right_x, 2.95, 0])
            size = _size_formula(stage.case, font_size=30).move_to([right_x, -2.05, 0])
            out = label(f"output {stage.case.size}×{stage.case.size}"
                        + (" = the input's size" if stage.case.size == n else ""),
                        size=theme.SMALL_SIZE, color=theme.OUTPUT).next_to(size, DOWN, buff=0.15)
            return name, VGroup(size, out)

        cov = coverage_grid(d.stages[0])
        cov_name = label("windows each pixel is in", size=theme.SMALL_SIZE, color=theme.HIGHLIGHT)
        cov_name.next_to(cov, UP, buff=0.12)
        name, size = stage_texts(d.stages[0])
        self.add(head, x_grid, x_name, name, cov, cov_name, size)
        s0 = d.stages[0]
        self.beat(note=f"Without padding, a {f}×{f} window slides over the {n}×{n} input: the map on the right "
                       f"counts the windows each pixel is in, and the output is {s0.case.size}×{s0.case.size}.",
                  hold=0.8)

        def place(win, top_left, p):  # a window given in padded coordinates of padding p
            r, c = top_left[0] - p, top_left[1] - p
            win.move_to(x_grid.cell(0, 0).get_center() + np.array([(c + (f - 1) / 2) * cell,
                                                                   -(r + (f - 1) / 2) * cell, 0]))
            return win

        def count_windows(stage, pixel, windows, what, pace):
            """Step the window over every window holding ``pixel``, counting them; mark the pixel in both grids."""
            mark = x_grid.window(*pixel, 1, 1, color=theme.NEGATIVE, stroke_width=5)
            cov_mark = cov.window(*pixel, 1, 1, color=theme.NEGATIVE, stroke_width=5)
            total = int(stage.coverage[pixel])
            note = _counter(f"{what} pixel: window", min(1, len(windows)), f"of {total}", theme.NEGATIVE)
            note.next_to(x_grid, DOWN, buff=0.12 + stage.p * cell)
            said = (f"With P = {stage.p}, the {what} pixel is in {_s(total, 'window')}"
                    + (": a pixel that few windows see weighs less in the output." if total < f * f else "."))
            if not windows:  # a large stride can skip a pixel altogether
                self.play(Create(mark), Create(cov_mark), FadeIn(note), run_time=0.6)
                self.beat(note=said, hold=0.8)
                self.play(FadeOut(VGroup(mark, cov_mark, note)), run_time=0.4)
                return
            win = place(x_grid.window(0, 0, f, f), windows[0], stage.p)
            self.play(Create(mark), Create(cov_mark), Create(win), FadeIn(note), run_time=0.6)
            for k, pos in enumerate(windows[1:], start=2):
                self.play(win.animate.move_to(place(win.copy(), pos, stage.p)), _count(note, k), run_time=pace)
            self.beat(note=said, hold=0.8)
            self.play(FadeOut(VGroup(mark, cov_mark, win, note)), run_time=0.4)

        # no padding: a corner pixel is in one window, the centre in F·F
        cy, cx = d.corner
        count_windows(s0, d.corner, s0.corner_windows, "corner", 0.4)
        count_windows(s0, d.centre, s0.centre_windows, "centre", 0.25)

        # one ring of zeros at a time
        rings = []
        for stage in d.stages[1:]:
            p = stage.p
            ring = VGroup()
            for r, c in _ring_cells(n, p):
                sq = x_grid.cell(0, 0).copy().set_fill(theme.PADDING, opacity=1).set_stroke(theme.GRID_LINE)
                sq.shift(np.array([c * cell, -r * cell, 0]))
                ring.add(sq)
                ring.add(label(fmt_num(stage.padded[r + p, c + p]), size=x_grid.font_size, color=theme.MUTED,
                               mono=True).move_to(sq))
            rings.append(ring)
            new_cov = coverage_grid(stage)
            new_name, new_size = stage_texts(stage)
            # a text that changes leaves before its replacement arrives
            self.play(LaggedStart(*(FadeIn(m) for m in ring), lag_ratio=0.08),
                      Succession(FadeOut(name, run_time=0.5), FadeIn(new_name, run_time=0.5), run_time=1.6),
                      run_time=1.6)
            self.play(Succession(FadeOut(VGroup(cov, size)), FadeIn(VGroup(new_cov, new_size))), run_time=1.0)
            cov, name, size = new_cov, new_name, new_size
            self.beat(note=f"Padding P = {p} adds {_s(p, 'ring')} of zeros: the padded input is "
                           f"{n + 2 * p}×{n + 2 * p} and the output {stage.case.size}×{stage.case.size}.", hold=0.6)
            count_windows(stage, d.corner, stage.corner_windows, "corner",
                          0.35 if len(stage.corner_windows) < 6 else 0.2)

        # the summary: every stage in one table; the grid back to the stage the caption is about
        cols = (-2.5, -1.0, 0.6, 2.2)
        rows = [(label("P", size=theme.SMALL_SIZE, color=theme.PAD_LABEL),
                 label("output", size=theme.SMALL_SIZE, color=theme.OUTPUT),
                 label("corner", size=theme.SMALL_SIZE, color=theme.NEGATIVE),
                 label("centre", size=theme.SMALL_SIZE, color=theme.NEGATIVE))]
        for st in d.stages:
            rows.append((label(str(st.p), size=30, color=theme.PAD_LABEL),
                         label(f"{st.case.size}×{st.case.size}", size=30, color=theme.OUTPUT),
                         label(str(int(st.coverage[cy, cx])), size=30), label(str(int(st.coverage[d.centre])), size=30)))
        pitch = min(0.75, 4.2 / len(rows))
        table = VGroup()
        for k, row in enumerate(rows):
            for x0, t in zip(cols, row):
                table.add(t.move_to([right_x + x0, 1.9 - k * pitch, 0]))
        note = label("windows per pixel", size=theme.SMALL_SIZE, color=theme.HIGHLIGHT)
        note.next_to(VGroup(*rows[0][2:]), UP, buff=0.15)
        shown, text = _padding_summary(d)
        k = d.stages.index(shown) + 1
        box = SurroundingRectangle(VGroup(*rows[k]), color=theme.HIGHLIGHT, buff=0.12)
        extra = VGroup(*rings[shown.p:])  # the rings beyond the framed stage leave: the grid shows its P
        self.play(FadeOut(VGroup(cov, cov_name, size, name)), run_time=0.5)
        self.play(FadeIn(table), FadeIn(note), *([FadeOut(extra)] if len(extra) else []), run_time=0.8)
        done = caption(text, color=theme.OUTPUT)
        fit_width(done, config.frame_width - 0.8)
        self.play(Create(box), FadeIn(done), run_time=0.6)
        self.beat(note=text[0].upper() + text[1:] + ": padding lets the border pixels count as much as the others.",
                  hold=2.0)
        self.clear_all()


# ============================================================ KernelSizeAndDepthClean
@dataclass(frozen=True)
class KernelChoice:
    f: int                   # kernel size F
    case: SizeCase           # the output size ⌊(N − F + 2P)/S⌋ + 1 (the formula's numbers, core.output_size)
    windows: tuple           # top-left (row, col) of every window, padded coordinates, raster order (core.conv_windows)
    centre_out: tuple        # the centre output pixel (i, j)
    centre_window: tuple     # the window that computes it: what that one pixel sees
    seen: int                # cells one output pixel sees on one channel: F·F (core.conv_param_terms)
    zeros_seen: int          # how many of them are the padding's zeros (core.pad of a mask)
    out_shape: tuple         # N'×N'×M with M filters on the C-channel input (core.conv_output_shape)
    terms: tuple             # (F·F·C·M, M): the weights and the biases of the layer (core.conv_param_terms)
    params: int              # their sum (core.conv_params)


@dataclass(frozen=True)
class KernelDepthData:
    n: int                   # input N×N (×C)
    c: int                   # input channels C
    m: int                   # filters M
    stride: int              # S, the same for both kernels
    padding: int             # P rings of zeros, the same for both kernels
    padded: int              # N + 2P: the side of the padded input drawn
    choices: tuple           # one KernelChoice per kernel size compared


#: The largest padded input (N + 2P cells a side) part 1 draws twice, with its output beside it, with the
#: padding's zeros at the scene's minimum text size: measured with the layout check (tests/test_ch2_hyperparams.py).
KERNEL_MAX_PADDED = 15
#: The most channels: from 1,000 on, the shapes on screen would need a thousands separator the core's
#: ``fmt_shape`` does not write (the layout check's notation rule); the most filters: one more makes the
#: scene last longer than 40 s (its pacing rule; each filter adds a step). Both measured like the above.
KERNEL_MAX_CHANNELS = 999
KERNEL_MAX_FILTERS = 54


def kernel_depth_data(
    n: Annotated[int, Param("the input size N (an N×N input, N×N×C in the second part)", min=2,
                            max=KERNEL_MAX_PADDED)] = 7,
    sizes: Annotated[tuple[int, ...], Param("the two kernel sizes compared, smaller first (each at most N + 2P)",
                                            min=1, max=KERNEL_MAX_PADDED, max_shape=(2,))] = (3, 5),
    c: Annotated[int, Param("the input's channels C (and every kernel's)", min=1, max=KERNEL_MAX_CHANNELS)] = 3,
    m: Annotated[int, Param("the number of filters M: the output's depth", min=1, max=KERNEL_MAX_FILTERS)] = 5,
    stride: Annotated[int, Param("how many pixels both windows move per step", min=1,
                                 max=KERNEL_MAX_PADDED)] = 1,
    padding: Annotated[int, Param("rings of zeros around the input, for both kernels", min=0,
                                  max=(KERNEL_MAX_PADDED - 2) // 2)] = 0,
) -> KernelDepthData:
    """Kernel sizes 3×3 vs 5×5 on one N×N input (padded with P rings of zeros, windows S apart), then M = 5
    filters on N×N×3 (Chapter 2, I.4's 3 channels, 5 filters); every size from ``cnnviz.core``."""
    n, c, m, stride, padding = int(n), int(c), int(m), int(stride), int(padding)
    sizes = tuple(int(f) for f in sizes)
    if len(sizes) != 2 or sizes[0] >= sizes[1]:
        raise ValueError(f"sizes: the scene compares two kernel sizes, the smaller first (like (3, 5)), got {sizes!r}")
    if n < 2 or c < 1 or m < 1:
        raise ValueError(f"n, c and m: N is at least 2, C and M at least 1, got n = {n}, c = {c}, m = {m}")
    if stride < 1:
        raise ValueError(f"stride: the window moves at least 1 pixel per step, got {stride}")
    if padding < 0:
        raise ValueError(f"padding: the rings of zeros are 0 or more, got {padding}")
    padded = n + 2 * padding
    if padded > KERNEL_MAX_PADDED:
        most = KERNEL_MAX_PADDED - 2 * padding
        if not padding:
            raise ValueError(f"n: a {n}×{n} input is too large: an input of at most {most}×{most} fits this scene "
                             "at a readable size")
        if most < 2:
            raise ValueError(f"padding: {padding} rings of zeros make the {n}×{n} input {padded}×{padded}: at most "
                             f"{KERNEL_MAX_PADDED}×{KERNEL_MAX_PADDED}, padding included, fits this scene at a "
                             "readable size")
        raise ValueError(f"n: a {n}×{n} input with padding {padding} is {padded}×{padded}: an input of at most "
                         f"{most}×{most} (with padding {padding}) fits this scene at a readable size")
    if sizes[0] < 1 or sizes[1] > padded:
        where = f"the input size N = {n}" if not padding else f"the padded input's size N + 2P = {padded}"
        raise ValueError(f"sizes: each kernel size is from 1 to {where}, got {sizes!r}")
    inside = core.pad(np.ones((n, n), int), padding)  # 1 on the input's pixels, 0 on the padding
    choices = []
    for f in sizes:
        windows = tuple(core.conv_windows((n, n), (f, f), stride=stride, padding=padding))
        case = size_case(n, f, padding, stride)
        centre = (case.size // 2, case.size // 2)
        r, col = windows[centre[0] * case.size + centre[1]]
        seen = core.conv_param_terms(f, 1, 1)[0]
        choices.append(KernelChoice(
            f=f, case=case, windows=windows, centre_out=centre, centre_window=(r, col), seen=seen,
            zeros_seen=seen - int(inside[r:r + f, col:col + f].sum()),
            out_shape=core.conv_output_shape((n, n, c), (f, f, c, m), stride=stride, padding=padding),
            terms=core.conv_param_terms(f, c, m), params=core.conv_params(f, c, m)))
    return KernelDepthData(n, c, m, stride, padding, padded, tuple(choices))


def _hyper_words(d: KernelDepthData) -> str:
    """The stride and the padding both kernels use, in words."""
    pad = "no padding" if not d.padding else f"padding P = {d.padding}: {_s(d.padding, 'ring')} of zeros"
    return f"stride S = {d.stride} · {pad}"


def _seen_words(ch: KernelChoice) -> str:
    """What the centre output pixel sees (and how much of it is padding)."""
    text = f"one output pixel sees {ch.f}×{ch.f} = {_s(ch.seen, 'pixel')}"
    return text + (f", {ch.zeros_seen} of them padding" if ch.zeros_seen else "")


def _sweep_words(d: KernelDepthData) -> str:
    """The sweep's sentence: how many windows each kernel fits, and the output sizes they make."""
    a, b = d.choices
    na, nb = len(a.windows), len(b.windows)
    lead = f"Moving {_s(d.stride, 'pixel')} per step, the" if d.stride > 1 else "The"
    fits = "larger kernel fits fewer positions" if nb < na else "two kernels fit as many positions"
    return (f"{lead} {fits}: {_s(na, 'window')} give {a.case.size}×{a.case.size}, "
            f"{nb} give {b.case.size}×{b.case.size}.")


def _param_formula(ch: KernelChoice, c: int, m: int, font_size: float = 30) -> Formula:
    """F·F·C·M + M with the numbers substituted, each term computed, and the total."""
    sym = theme.SYMBOL_COLORS

    def col(key, v):
        return rf"{{\color{{{sym[key]}}}{v}}}"

    def num(v):
        return fmt_int(v).replace(",", "{,}")

    w, b = ch.terms
    return Formula(
        rf"{col('F', ch.f)} \cdot {col('F', ch.f)} \cdot {col('C', c)} \cdot {col('M', m)} + {col('M', m)}"
        rf" = {num(w)} + {num(b)} = {{\color{{{theme.HIGHLIGHT}}}{num(ch.params)}}}", font_size=font_size)


def _kernel_moral(d: KernelDepthData) -> str:
    small, large = d.choices
    out = "a smaller output" if large.case.size < small.case.size else "the same output size"
    return f"{small.f}×{small.f}: fine details · {large.f}×{large.f}: broader patterns, and {out}"


class KernelSizeAndDepthClean(CnnvizScene):
    data = staticmethod(kernel_depth_data)

    def must_show(self, d):
        shown = [_kernel_moral(d), _hyper_words(d), f"S = {d.stride}, P = {d.padding}", f"{d.m} filters → depth {d.m}",
                 f"output {core.fmt_shape(d.choices[0].out_shape)}"]
        for ch in d.choices:
            size = f"{ch.case.size}×{ch.case.size}"
            shown += [f"{ch.f}×{ch.f} kernel", f"output {size}", f"one output pixel sees {ch.f}×{ch.f} = {_s(ch.seen, 'pixel')}",
                      f"{_s(len(ch.windows), 'window')} → output {size}"]
            if ch.zeros_seen:
                shown.append(f"{ch.zeros_seen} of them padding")
        return shown

    def construct(self):
        d = self.data()
        self.kernel_sizes(d)
        self.filters_and_parameters(d)
        self.clear_all()

    # ------------------------------------------------------------ part 1: the receptive field
    def kernel_sizes(self, d: KernelDepthData):
        n, p, side = d.n, d.padding, d.padded
        names = " vs ".join(f"{ch.f}×{ch.f}" for ch in d.choices)
        head = title(f"Kernel size: {names} on the same {n}×{n} input", size=30)
        sub = label(_hyper_words(d), size=theme.SMALL_SIZE, color=theme.PAD_LABEL).next_to(head, DOWN, buff=0.15)
        gap, mid = 0.6, 0.5  # between a panel's input and output; between the two panels
        room = config.frame_width - 2 * theme.EDGE_MARGIN - 0.1  # both panels side by side
        # under the grids, built first so the grids get the room above them: each panel's size formula (shown
        # from the start), its receptive-field note (then its window count) and the moral along the bottom
        moral = caption(_kernel_moral(d), color=theme.KERNEL)
        fit_width(moral, config.frame_width - 0.8)
        formulas = [_size_formula(ch.case, font_size=30) for ch in d.choices]
        notes = [self._lines(_seen_words(ch), (room - mid) / 2, theme.HIGHLIGHT) for ch in d.choices]
        counts = [self._lines(f"{_s(len(ch.windows), 'window')} → output {ch.case.size}×{ch.case.size}",
                              (room - mid) / 2, theme.OUTPUT) for ch in d.choices]
        heading_h = label("3×3 kernel", size=theme.BODY_SIZE).height + 0.2
        top = sub.get_bottom()[1] - 0.2 - heading_h
        f_h = max(f.height for f in formulas)
        n_h = max(t.height for t in (*notes, *counts))
        bottom = moral.get_top()[1] + 0.3 + n_h + 0.2 + f_h + 0.25
        o_sizes = [ch.case.size for ch in d.choices]
        # one cell size for both panels (the same input twice), as large as the band's height and the row allow;
        # a panel is as wide as its grids or as the texts under them, whichever is wider
        texts_w = [max(t.width for t in group) for group in zip(formulas, notes, counts)]

        names_w = [label(f"output {o}×{o}", size=theme.SMALL_SIZE).width for o in o_sizes]

        def panel_widths(cell):  # the input, the gap (wider for a tiny output's name) and the output
            return [max((side + o) * cell + max(gap, (nw - o * cell) / 2 + 0.2), w)
                    for o, nw, w in zip(o_sizes, names_w, texts_w)]

        cell = min(0.8, (top - bottom) / side, (room - 2 * gap - mid) / (2 * side + sum(o_sizes)))
        for _ in range(100):
            if sum(panel_widths(cell)) + mid <= room:
                break
            cell *= 0.97
        y = top - side * cell / 2 - ((top - bottom) - side * cell) / 2  # spare height split above and below
        widths = panel_widths(cell)
        lefts = [-(sum(widths) + mid) / 2, -(sum(widths) + mid) / 2 + widths[0] + mid]
        ring = [(i, j) for i in range(side) for j in range(side)
                if not (p <= i < p + n and p <= j < p + n)]
        zero = label("0", size=max(theme.MIN_FONT, theme.CELL_FONT * cell / theme.CELL_SIZE), color=theme.MUTED,
                     mono=True)
        panels = []
        for left, w, ch, formula, note, count in zip(lefts, widths, d.choices, formulas, notes, counts):
            centre = left + w / 2
            x_grid = ValueGrid(np.zeros((side, side)), color=theme.INPUT, cell_size=cell, show_values=False,
                               fit_values=False)
            for i, j in ring:  # the padding: P rings of zeros around the input
                x_grid.cell(i, j).set_fill(theme.PADDING, opacity=1)
            o_grid = ValueGrid(np.zeros((ch.case.size,) * 2), color=theme.OUTPUT, cell_size=cell, show_values=False,
                               fit_values=False)
            o_name = o_grid.heading(f"output {ch.case.size}×{ch.case.size}")
            # a tiny output's name is wider than its grid: the gap keeps it clear of the input
            width = x_grid.width + max(gap, (o_name.width - o_grid.width) / 2 + 0.2) + o_grid.width
            x_grid.move_to([centre - width / 2 + x_grid.width / 2, y, 0])
            o_grid.move_to([centre + width / 2 - o_grid.width / 2, y, 0])
            o_name.next_to(o_grid, UP, buff=0.15)
            zeros = VGroup(*(zero.copy().move_to(x_grid.cell(i, j)) for i, j in ring))
            heading = label(f"{ch.f}×{ch.f} kernel", size=theme.BODY_SIZE, color=theme.KERNEL)
            heading.next_to(x_grid, UP, buff=0.2)
            formula.next_to(VGroup(x_grid, o_grid), DOWN, buff=0.25).set_x(centre)
            for t in (note, count):
                t.next_to(formula, DOWN, buff=0.2).set_x(centre)
            panels.append(dict(ch=ch, x=x_grid, zeros=zeros, o=o_grid, heading=heading, o_name=o_name,
                               formula=formula, note=note, count=count, centre=centre))
        self.add(head, sub, *(VGroup(q["x"], q["zeros"], q["o"], q["heading"], q["o_name"], q["formula"])
                              for q in panels))
        a, b = d.choices
        pad = (f", padded with {_s(p, 'ring')} of zeros to {side}×{side}" if p else "")
        self.beat(note=f"The same {n}×{n} input{pad}, with a {a.f}×{a.f} kernel and with a {b.f}×{b.f} kernel, "
                       f"stride {d.stride}: ⌊(N − F + 2P) / S⌋ + 1 gives outputs of {a.case.size}×{a.case.size} "
                       f"and {b.case.size}×{b.case.size}.", hold=0.6)

        # what the centre output pixel sees
        shown = []
        for q in panels:
            ch = q["ch"]
            r, c = ch.centre_window
            field = q["x"].window(r, c, ch.f, ch.f, color=theme.HIGHLIGHT)
            field.set_fill(theme.KERNEL, opacity=0.45)
            pixel = q["o"].window(*ch.centre_out, 1, 1, color=theme.HIGHLIGHT)
            pixel.set_fill(theme.HIGHLIGHT, opacity=0.6)
            shown.append(VGroup(field, pixel, zoom_callout(field, pixel)))
        self.play(*(Create(g) for g in shown), *(FadeIn(q["note"]) for q in panels), run_time=1.2)
        said = [f"a {ch.f}×{ch.f} patch ({_s(ch.seen, 'pixel')}"
                + (f", {ch.zeros_seen} of them padding zeros)" if ch.zeros_seen else ")") for ch in d.choices]
        self.beat(note=f"One output pixel sees {said[0]} with the small kernel, {said[1]} with the large one: "
                       "its receptive field.", hold=1.5)

        # every window, both sides in the same time: the window moves S cells per step
        sweeps = []
        for q in panels:
            ch = q["ch"]
            win = q["x"].window(0, 0, ch.f, ch.f)
            q["win"] = win
            steps = []
            for k, (r, c) in enumerate(ch.windows):
                i, j = divmod(k, ch.case.size)
                steps.append(AnimationGroup(win.animate.move_to(q["x"].block_center(r, c, ch.f, ch.f)),
                                            q["o"].cell(i, j).animate.set_fill(theme.OUTPUT, opacity=0.55)))
            sweeps.append(Succession(*steps))
        self.play(*(FadeOut(g) for g in shown), *(FadeOut(q["note"]) for q in panels),
                  *(Create(q["win"]) for q in panels), run_time=0.5)
        self.play(*sweeps, run_time=3.0)
        self.play(*(FadeOut(q["win"]) for q in panels), *(FadeIn(q["count"]) for q in panels), run_time=0.6)
        self.beat(note=_sweep_words(d), hold=1.0)
        self.play(FadeIn(moral), run_time=0.6)
        self.beat(note="Small kernels capture fine details, large kernels broader patterns"
                       + (", and they shrink the output more." if b.case.size < a.case.size else
                          "; here both give the same output size."), hold=1.5)
        self.play(*(FadeOut(m) for m in self.mobjects), run_time=0.5)

    @staticmethod
    def _lines(text: str, width: float, color: str) -> VGroup:
        """``text`` at the small size, on one line if it fits ``width``, else broken after its comma."""
        one = label(text, size=theme.SMALL_SIZE, color=color)
        if one.width <= width or ", " not in text:
            return VGroup(one)
        first, rest = text.split(", ", 1)
        return VGroup(label(first + ",", size=theme.SMALL_SIZE, color=color),
                      label(rest, size=theme.SMALL_SIZE, color=color)).arrange(DOWN, buff=0.1)

    # ------------------------------------------------------------ part 2: M filters, depth M, parameters
    def filters_and_parameters(self, d: KernelDepthData):
        ch = d.choices[0]
        f, c, m = ch.f, d.c, d.m
        oh = ch.out_shape[0]
        head = title(f"Number of filters M = {m}: the depth of the output", size=30)

        # the parameter block and the moral along the bottom, built first: the volumes get the room above them
        p_head = label("parameters to learn:", size=theme.BODY_SIZE)
        general = Formula(r"{\color{%s}F} \cdot {\color{%s}F} \cdot {\color{%s}C} \cdot {\color{%s}M} + {\color{%s}M}"
                          % (theme.SYMBOL_COLORS["F"], theme.SYMBOL_COLORS["F"], theme.SYMBOL_COLORS["C"],
                             theme.SYMBOL_COLORS["M"], theme.SYMBOL_COLORS["M"]), font_size=34)
        p_row = VGroup(p_head, general).arrange(RIGHT, buff=0.3)
        lines = [_param_formula(k, c, m, font_size=34) for k in d.choices]
        tags = [label(f"{k.f}×{k.f} kernels:", size=theme.BODY_SIZE, color=theme.KERNEL) for k in d.choices]
        tag_w = max(t.width for t in tags)
        rows = VGroup(*(VGroup(t, line) for t, line in zip(tags, lines)))
        for t, line in rows:  # tags right-aligned in one column, formulas left-aligned after it
            t.move_to([tag_w - t.width / 2, 0, 0])
            line.next_to([tag_w, 0, 0], RIGHT, buff=0.35)
        y = 0.0
        for row in rows:  # one under the other, keeping the columns
            row.shift(UP * (y - row.get_top()[1]))
            y = row.get_bottom()[1] - 0.22
        moral = caption("more filters: more features, but more parameters to learn", color=theme.TEXT)
        block = VGroup(p_row, rows).arrange(DOWN, buff=0.3)
        fit_width(block, config.frame_width - 0.6)
        block.next_to(moral, UP, buff=0.35)
        p_row.set_x(0)

        # the volumes: input ⊛ kernels → output, as large as the band between the title and the block allows
        top, bottom = head.get_bottom()[1] - 0.25, block.get_top()[1] + 0.4
        room_w = config.frame_width - 0.6
        nc_in, nc_out = min(c, 8), min(m, 8)  # sheets a TensorStack draws (its max_sheets)
        lab_h = 0.2 + label("7×7", size=theme.SMALL_SIZE).height  # a shape label under its sheets
        note_text = f"{m} filters → depth {ch.out_shape[2]}"
        a2_len = label(note_text, size=theme.BODY_SIZE).width + 0.4
        drawn = min(m, 5)
        k_name = label(f"{m} kernels {core.fmt_shape((f, f, c))}" + (f" ({drawn} drawn)" if drawn < m else ""),
                       size=theme.SMALL_SIZE, color=theme.KERNEL)
        col_h = top - bottom - k_name.height - 0.2  # the kernels' room, under their name
        hyper = label(f"S = {d.stride}, P = {d.padding}", size=theme.SMALL_SIZE, color=theme.PAD_LABEL)
        a1_len, buff, k_gap, k_off = max(1.0, hyper.width + 0.2), 0.25, 0.12, (nc_in - 1) * 0.08

        out_label_w = label(f"output {core.fmt_shape((oh, oh, m))}", size=theme.SMALL_SIZE).width

        def sizes(cols):  # the input's side and a kernel's unit with the kernels in ``cols`` columns
            rows = -(-drawn // cols)
            k_unit = ((col_h - k_gap * (rows - 1)) / rows - k_off) / f
            fixed_w = (nc_in - 1) * 0.16 + (nc_out - 1) * 0.16 + a1_len + a2_len + 4 * buff \
                + cols * (f * k_unit + k_off) + (cols - 1) * k_gap
            side = min(top - bottom - lab_h - (nc_in - 1) * 0.16,                  # the input's height
                       (top - bottom - lab_h - (nc_out - 1) * 0.16) * d.n / oh,     # the output's height
                       (room_w - fixed_w) / (1 + oh / d.n),                         # the row's width
                       room_w - fixed_w + (nc_out - 1) * 0.16 - out_label_w)       # … when its label is wider
            return side, min(k_unit, side / d.n)  # a kernel never drawn larger than the input's scale

        # as many kernel columns as draw the input and a kernel largest together (the product of their sides)
        cols = max(range(1, drawn + 1), key=lambda n: max(sizes(n)[0], 0.0) * max(sizes(n)[1], 0.0))
        side, k_unit = sizes(cols)
        unit = side / d.n
        x_stack = TensorStack(d.n, d.n, c, unit=unit, colors=theme.CHANNELS, max_side=side,
                              label_text=f"input {core.fmt_shape((d.n, d.n, c))}")
        kernels = VGroup(*(TensorStack(f, f, c, unit=k_unit, colors=(theme.KERNEL,), offset=0.08, label_text="")
                           for _ in range(drawn)))
        for k in kernels:  # an empty label keeps its height: drop it
            k.remove(k.shape_label)
        kernels.arrange_in_grid(cols=cols, buff=k_gap)
        left = drawn % cols
        if left:  # an incomplete last row, centred under the others
            VGroup(*kernels[drawn - left:]).shift(RIGHT * (cols - left) * (kernels[0].width + k_gap) / 2)

        def out_stack(depth):
            return TensorStack(oh, oh, depth, unit=unit, colors=(theme.OUTPUT,), max_side=side,
                               label_text=f"output {core.fmt_shape((oh, oh, depth))}")

        final = out_stack(m)
        # one row, centred: input, arrow, kernels, arrow, output (the output's room is its final depth's)
        widths = [x_stack.width, a1_len, kernels.width, a2_len, final.width]
        x = -(sum(widths) + 4 * buff) / 2
        xs = []
        for w in widths:
            xs.append(x + w / 2)
            x += w + buff
        # the band's spare height (when the row's width decides the size) split above and below
        used = max(x_stack.height, k_name.height + 0.2 + kernels.height)
        top -= (top - bottom - used) / 2
        x_stack.move_to([xs[0], 0, 0]).align_to([0, top, 0], UP)
        y_mid = x_stack.sheets.get_center()[1]
        k_name.move_to([xs[2], top - k_name.height / 2, 0])
        kernels.next_to(k_name, DOWN, buff=0.2).set_x(xs[2])
        out_left = xs[4] - final.width / 2

        def place(stack):  # the output's front sheet stays put as the stack deepens
            return stack.align_to([out_left, 0, 0], LEFT).align_to(x_stack, DOWN)

        a1 = Arrow([xs[1] - a1_len / 2, y_mid, 0], [xs[1] + a1_len / 2, y_mid, 0], buff=0,
                   stroke_color=theme.MUTED, stroke_width=4)
        star = label("⊛", size=36).next_to(a1, UP, buff=0.05)
        hyper.next_to(a1, DOWN, buff=0.1)
        a2 = Arrow([xs[3] - a2_len / 2, y_mid, 0], [xs[3] + a2_len / 2, y_mid, 0], buff=0,
                   stroke_color=theme.MUTED, stroke_width=4)
        self.play(FadeIn(head), FadeIn(x_stack), FadeIn(kernels), FadeIn(k_name), GrowArrow(a1), FadeIn(star),
                  FadeIn(hyper), run_time=1.0)
        stack = last_note = None
        for k in range(m):
            new = place(out_stack(k + 1)) if k < m - 1 else place(final)
            kern = kernels[min(k, drawn - 1)]
            note = label(f"filter {k + 1} → map {k + 1}", size=theme.SMALL_SIZE, color=theme.OUTPUT)
            note.next_to(a2, DOWN, buff=0.15)
            if stack is None:
                self.play(Indicate(kern, color=theme.HIGHLIGHT, scale_factor=1.15), GrowArrow(a2), FadeIn(new),
                          FadeIn(note), run_time=1.0)
                self.beat(note=f"Filter 1, a {f}×{f}×{c} kernel, slides over the input with stride {d.stride} and "
                               f"padding {d.padding} and makes one {oh}×{oh} map.", hold=0.6)
            else:  # the sheets deepen; the texts that change leave before their replacements arrive
                self.play(Indicate(kern, color=theme.HIGHLIGHT, scale_factor=1.15),
                          ReplacementTransform(stack.sheets, new.sheets),
                          Succession(FadeOut(VGroup(stack.shape_label, last_note)), FadeIn(VGroup(new.shape_label, note))),
                          run_time=0.6 if k < 3 else 0.35)
            stack, last_note = new, note
        depth = label(note_text, size=theme.BODY_SIZE, color=theme.OUTPUT)
        depth.next_to(a2, DOWN, buff=0.15)
        self.play(Succession(FadeOut(note), FadeIn(depth)), run_time=0.5)
        self.beat(note=f"Each filter makes its own map: {m} filters give an output of depth {m}, "
                       f"{core.fmt_shape(ch.out_shape)}.", hold=1.0)

        # the parameters of the layer: F·F·C·M weights + M biases, for each kernel size
        self.play(FadeIn(p_head), Write(general), run_time=0.8)
        for (tag, line), k in zip(rows, d.choices):
            self.play(FadeIn(tag), Write(line), run_time=0.9)
            self.beat(note=f"With {k.f}×{k.f} kernels: {k.f}·{k.f}·{c}·{m} = {fmt_int(k.terms[0])} weights "
                           f"plus {m} biases, {fmt_int(k.params)} parameters to learn.", hold=0.6)
        self.play(FadeIn(moral), run_time=0.5)
        self.beat(note="More filters detect more features, but every filter adds F·F·C weights and a bias "
                       "to learn.", hold=1.5)
