"""Chapter 2 — the convolution operator.

Each scene: a pure data function (inputs → every number shown, from
``cnnviz.core``) and the choreography that draws it with the shared drawings.
Render one with ``manim -ql scenes/ch2_convolution.py ConvExampleExplainedClean``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from manim import (
    DOWN,
    RIGHT,
    UP,
    Create,
    DashedVMobject,
    FadeIn,
    FadeOut,
    Indicate,
    ReplacementTransform,
    VGroup,
    Write,
)

from cnnviz import core, theme
from cnnviz.drawings import CnnvizScene, SlidingWindow, ValueGrid, caption, fmt_num, label, title
from cnnviz.formula import Formula


# ============================================================ ConvExampleExplainedClean
@dataclass(frozen=True)
class ConvExampleData:
    x: np.ndarray            # 5×5 input
    w: np.ndarray            # 3×3 kernel
    out: np.ndarray          # 3×3 output
    steps: tuple             # one core.ConvStep per output pixel, raster order
    n_explained: int         # the first steps shown with all 9 products


def conv_example_data() -> ConvExampleData:
    """A 5×5 integer image with a vertical edge, and a vertical-edge kernel."""
    x = np.array([
        [3, 0, 1, 2, 7],
        [1, 5, 8, 9, 3],
        [2, 7, 2, 5, 1],
        [0, 1, 3, 1, 7],
        [4, 2, 1, 6, 2],
    ])
    w = np.array([
        [1, 0, -1],
        [1, 0, -1],
        [1, 0, -1],
    ])
    out = core.conv2d(x, w)
    steps = tuple(core.conv_step(x, w, i, j) for i in range(out.shape[0]) for j in range(out.shape[1]))
    return ConvExampleData(x, w, out, steps, n_explained=2)


class ConvExampleExplainedClean(CnnvizScene):
    data = staticmethod(conv_example_data)

    def construct(self):
        d = self.data()
        n, f, o = d.x.shape[0], d.w.shape[0], d.out.shape[0]
        head = title(f"Convolution: {core.fmt_shape(d.x.shape)} input ⊛ {core.fmt_shape(d.w.shape)} kernel "
                     f"→ {core.fmt_shape(d.out.shape)} output", size=30)

        x_grid = ValueGrid(d.x, color=theme.INPUT)
        k_grid = ValueGrid(d.w, color=theme.KERNEL)
        o_grid = ValueGrid(d.out, color=theme.OUTPUT, show_values=False, cell_size=0.75,
                           font_size=x_grid.font_size)
        x_grid.move_to([-4.3, 0.75, 0])
        k_grid.move_to([-0.6, 0.75, 0])
        o_grid.move_to([3.9, 0.75, 0])
        star = label("⊛", size=40).move_to([(x_grid.get_right()[0] + k_grid.get_left()[0]) / 2, 0.75, 0])
        eq = label("=", size=40).move_to([(k_grid.get_right()[0] + o_grid.get_left()[0]) / 2, 0.75, 0])
        names = VGroup(
            x_grid.heading(f"input {n}×{n}"), k_grid.heading(f"kernel {f}×{f}"), o_grid.heading(f"output {o}×{o}"),
        )
        self.play(FadeIn(head), FadeIn(x_grid), FadeIn(k_grid), FadeIn(o_grid), FadeIn(star), FadeIn(eq),
                  FadeIn(names), run_time=1.0)

        window = SlidingWindow(x_grid, f)
        target = o_grid.window(0, 0, 1, 1, color=theme.HIGHLIGHT)
        self.play(Create(window), Create(target), run_time=0.5)

        for k, step in enumerate(d.steps):
            i, j = step.out_pos
            if k:
                self.play(window.step_to(*step.window_pos), target.animate.move_to(o_grid.cell(i, j)),
                          run_time=0.5 if k < d.n_explained else 0.3)
            value = o_grid.value_label(i, j, step.output)
            if k < d.n_explained:
                self.explain_step(step, x_grid, k_grid, value)
            else:
                self.play(FadeIn(value, scale=1.6), run_time=0.35)

        done = caption(f"{len(d.steps)} positions → a {core.fmt_shape(d.out.shape)} feature map "
                       f"(N − F + 1 = {n} − {f} + 1 = {core.output_size(n, f)})", color=theme.OUTPUT)
        self.play(FadeOut(window), FadeOut(target), FadeIn(done), run_time=0.6)
        self.beat(1.5)
        self.clear_all()

    def explain_step(self, step, x_grid: ValueGrid, k_grid: ValueGrid, value):
        """Show the products of one window, cell by cell, and their sum; then drop the sum into the output."""
        kh, kw = step.kernel.shape
        pitch_x, pitch_y = 1.05, 0.5
        origin = np.array([-1.9, -1.85, 0.0])

        def grid_of(texts):
            g = VGroup()
            for n, t in enumerate(texts):
                g.add(t.move_to(origin + [(n % kw) * pitch_x, -(n // kw) * pitch_y, 0]))
            return g

        cells = [(a, b) for a in range(kh) for b in range(kw)]
        exprs = grid_of([label(f"{fmt_num(step.window[a, b])}×{_paren(step.kernel[a, b])}", size=20, mono=True)
                         for a, b in cells])
        prods = grid_of([label(fmt_num(step.products[a, b]), size=22, mono=True, color=_sign_color(step.products[a, b]))
                         for a, b in cells])
        head = label("window × kernel, cell by cell", size=theme.SMALL_SIZE, color=theme.MUTED)
        head.next_to(exprs, UP, buff=0.25)
        total = label(f"sum = {fmt_num(step.output)}", size=30, color=theme.OUTPUT)
        total.next_to(exprs, RIGHT, buff=0.8)
        r0, c0 = step.window_pos
        sources = VGroup(*(x_grid.label_at(r0 + a, c0 + b).copy() for a, b in cells))
        self.play(FadeIn(head), ReplacementTransform(sources, exprs), Indicate(k_grid.labels, scale_factor=1.1),
                  run_time=1.0)
        self.beat(0.4)
        self.play(ReplacementTransform(exprs, prods), run_time=0.6)
        self.play(FadeIn(total, shift=RIGHT * 0.3), run_time=0.6)
        self.beat(0.6)
        self.play(ReplacementTransform(total, value), FadeOut(prods), FadeOut(head), run_time=0.8)


def _paren(v) -> str:
    """A factor as written in a product: negatives in parentheses."""
    return f"({fmt_num(v)})" if v < 0 else fmt_num(v)


def _sign_color(v) -> str:
    return theme.NEGATIVE if v < 0 else theme.POSITIVE if v > 0 else theme.MUTED


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
    notebook: SizeCase       # 28, 3, 1, 1 → 28
    floor_case: SizeCase     # 8, 3, 0, 2 → 3


def size_case(n: int, f: int, p: int, s: int) -> SizeCase:
    numerator = n - f + 2 * p
    size = core.output_size(n, f, p, s)
    starts = tuple(sorted({c for _, c in core.conv_windows((n, n), (f, f), stride=s, padding=p)}))
    return SizeCase(n, f, p, s, numerator, numerator / s, numerator // s, size, starts)


def output_size_data() -> OutputSizeData:
    return OutputSizeData(size_case(28, 3, 1, 1), size_case(8, 3, 0, 2))


def _sub(case: SizeCase) -> str:
    """The formula with the case's numbers substituted, step by step."""
    c = theme.SYMBOL_COLORS
    n = rf"{{\color{{{c['N']}}}{case.n}}}"
    f = rf"{{\color{{{c['F']}}}{case.f}}}"
    p = rf"{{\color{{{c['P']}}}{case.p}}}"
    s = rf"{{\color{{{c['S']}}}{case.s}}}"
    q = fmt_num(case.quotient)
    return (rf"\left\lfloor \frac{{{n} - {f} + 2 \cdot {p}}}{{{s}}} \right\rfloor + 1"
            rf" = \left\lfloor \frac{{{case.numerator}}}{{{case.s}}} \right\rfloor + 1"
            rf" = \lfloor {q} \rfloor + 1 = {case.floored} + 1 = \mathbf{{{case.size}}}")


class OutputSizeFormula(CnnvizScene):
    data = staticmethod(output_size_data)

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
        self.play(FadeIn(head), Write(general), run_time=1.2)
        self.play(FadeIn(legend), run_time=0.5)

        # 1. The notebook's example: padding keeps the size
        c = d.notebook
        ex1 = label(f"Notebook example: N = {c.n}, F = {c.f}, P = {c.p}, S = {c.s}", size=theme.BODY_SIZE)
        ex1.move_to([0, 0.2, 0])
        sub1 = Formula(_sub(c), font_size=34).next_to(ex1, DOWN, buff=0.4)
        res1 = label(f"{c.n}×{c.n} → {c.size}×{c.size}: padding P = {c.p} keeps the size",
                     size=theme.BODY_SIZE, color=theme.OUTPUT).next_to(sub1, DOWN, buff=0.4)
        self.play(FadeIn(ex1), run_time=0.5)
        self.play(Write(sub1), run_time=1.5)
        self.play(FadeIn(res1), run_time=0.5)
        self.beat(1.5)
        self.play(FadeOut(VGroup(ex1, sub1, res1)), run_time=0.5)

        # 2. Where the floor matters: the last window does not fit
        c = d.floor_case
        ex2 = label(f"When the floor matters: N = {c.n}, F = {c.f}, P = {c.p}, S = {c.s}", size=theme.BODY_SIZE)
        ex2.move_to([0, 0.2, 0])
        sub2 = Formula(_sub(c), font_size=34).next_to(ex2, DOWN, buff=0.4)
        self.play(FadeIn(ex2), run_time=0.5)
        self.play(Write(sub2), run_time=1.5)

        strip = ValueGrid(np.arange(1, c.n + 1).reshape(1, -1), color=theme.INPUT, cell_size=0.6)
        strip.next_to(sub2, DOWN, buff=0.5)
        # where the next stride would put the window: past the end of the input
        nxt = c.windows[-1] + c.s
        ghost = DashedVMobject(strip.window(0, 0, 1, c.f, color=theme.NEGATIVE), num_dashes=30)
        ghost.move_to(strip.block_center(0, 0, 1, c.f) + RIGHT * nxt * strip.cell_size)
        VGroup(strip, ghost).set_x(-0.8)  # strip + overhang centred, the counter to their right
        self.play(FadeIn(strip), run_time=0.4)
        win = SlidingWindow(strip, 1, c.f)
        counter = None
        for k, start in enumerate(c.windows):
            new_counter = label(f"window {k + 1}", size=theme.SMALL_SIZE, color=theme.HIGHLIGHT)
            new_counter.next_to(VGroup(strip, ghost), RIGHT, buff=0.35)
            if counter is None:
                win.place(0, start)
                self.play(Create(win), FadeIn(new_counter), run_time=0.5)
            else:
                self.play(win.step_to(0, start), ReplacementTransform(counter, new_counter), run_time=0.5)
            counter = new_counter
        miss = label(f"window {len(c.windows) + 1} would need cells {nxt + 1}–{nxt + c.f}: only {c.n} exist",
                     size=theme.SMALL_SIZE, color=theme.NEGATIVE).next_to(strip, DOWN, buff=0.3)
        self.play(FadeIn(ghost), FadeIn(miss), run_time=0.6)
        self.beat(1.0)
        res2 = caption(f"{c.numerator}/{c.s} = {fmt_num(c.quotient)} → floor {c.floored} → {c.size} windows, "
                       f"output {c.size}×{c.size}", color=theme.OUTPUT)
        self.play(FadeOut(ghost), FadeIn(res2), run_time=0.6)
        self.beat(1.5)
        self.clear_all()


# ==================================================================================================
# Section III (hyperparameters) and V (feature detection): Stride4x4Comparison, PaddingOneByOneEng,
# KernelSizeAndDepthClean, FeatureDetectionGray, FeatureDetectionRGB.
# (Imports of this block kept here so that scenes added above merge cleanly.)
from manim import (  # noqa: E402
    LEFT, AnimationGroup, ArcBetweenPoints, Arrow, Group, GrowArrow, LaggedStart, Succession, SurroundingRectangle,
    Transform, TransformFromCopy, config,
)

from numpy.lib.stride_tricks import sliding_window_view  # noqa: E402

from cnnviz import images  # noqa: E402
from cnnviz.drawings import (  # noqa: E402
    PixelImage, PixelZoom, TensorStack, contrast_text, fit_width, fmt_int, zoom_callout,
)


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
    """'prefix k suffix' as three labels: a count that changes rebuilds only its number (see _count)."""
    return VGroup(label(prefix, size=theme.SMALL_SIZE, color=color), label(str(k), size=theme.SMALL_SIZE, color=color),
                  label(suffix, size=theme.SMALL_SIZE, color=color)).arrange(RIGHT, buff=0.12)


def _count(counter: VGroup, k: int):
    """The animation turning a :func:`_counter`'s number into ``k`` (in place; the suffix makes room)."""
    old, suffix = counter[1], counter[2]
    new = label(str(k), size=theme.SMALL_SIZE, color=old.get_fill_color()).move_to(old, aligned_edge=LEFT)
    return AnimationGroup(Transform(old, new), suffix.animate.next_to(new, RIGHT, buff=0.12))


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


def stride_data(x=((1, 3, 0, 2), (4, 2, 1, 0), (0, 1, 5, 3), (2, 0, 3, 1)),
                w=((1, 0), (0, 1)), strides=(1, 2)) -> StrideData:
    """One N×N input and F×F kernel convolved with two strides (the notebook's: 4×4, 2×2, stride 1 vs 2)."""
    x, w = np.asarray(x), np.asarray(w)
    if x.ndim != 2 or x.shape[0] != x.shape[1] or w.ndim != 2 or w.shape[0] != w.shape[1]:
        raise ValueError(f"stride_data needs a square N×N input and F×F kernel, got {core.fmt_shape(x.shape)} "
                         f"and {core.fmt_shape(w.shape)}")
    if len(strides) != 2:
        raise ValueError(f"stride_data compares two strides, got {strides!r}")
    n, f = x.shape[0], w.shape[0]
    cases = tuple(size_case(n, f, 0, s) for s in strides)
    windows = tuple(tuple(core.conv_windows(x.shape, w.shape, stride=s)) for s in strides)
    outs = tuple(core.conv2d(x, w, stride=s) for s in strides)
    second = set(windows[1])
    common = tuple(k for k, pos in enumerate(windows[0]) if pos in second)
    return StrideData(x, w, tuple(strides), cases, windows, outs, common)


class Stride4x4Comparison(CnnvizScene):
    data = staticmethod(stride_data)

    def construct(self):
        d = self.data()
        n, f = d.x.shape[0], d.w.shape[0]
        s1, s2 = d.strides
        head = title(f"Stride: the same {core.fmt_shape(d.x.shape)} input and {core.fmt_shape(d.w.shape)} kernel, "
                     f"stride {s1} vs {s2}", size=30)
        # the kernel once, under the title; two panels below it, each: input grid → output grid
        k_cell = max(min(0.6, 2.4 / f), 0.3)
        k_grid = ValueGrid(d.w, color=theme.KERNEL, cell_size=k_cell, show_values=_readable(k_cell))
        k_name = k_grid.heading(f"kernel {core.fmt_shape(d.w.shape)}")
        VGroup(k_grid, k_name).next_to(head, DOWN, buff=0.15).set_x(0)
        half = config.frame_width / 2
        gap = 0.9
        top = k_grid.get_bottom()[1] - 0.2
        o_max = max(o.shape[0] for o in d.outs)
        cell = min(_cell_size(n + o_max, half - 0.45 - gap), (top + 2.15) / n)  # formula + caption below
        show = _readable(cell)
        panels = []
        for side, (s, out, case) in zip((-1, 1), zip(d.strides, d.outs, d.cases)):
            centre = side * (half / 2 + 0.05)
            x_grid = _number_grid(d.x, color=theme.INPUT, cell_size=cell, show_values=show)
            o_grid = ValueGrid(out, color=theme.OUTPUT, cell_size=cell, show_values=False, font_size=x_grid.font_size)
            width = x_grid.width + gap + o_grid.width
            x_grid.move_to([centre - width / 2 + x_grid.width / 2, top - x_grid.height / 2, 0])
            o_grid.move_to([centre + width / 2 - o_grid.width / 2, x_grid.get_center()[1], 0])
            arrow = Arrow(x_grid.get_right(), o_grid.get_left(), buff=0.15, stroke_color=theme.MUTED,
                          stroke_width=4, max_tip_length_to_length_ratio=0.3)
            heading = VGroup(
                label(f"Stride S = {s}: steps of {s} cell{'s' if s > 1 else ''}", size=theme.BODY_SIZE,
                      color=theme.HIGHLIGHT).move_to([side * (k_grid.width / 2 + half) / 2, k_grid.get_center()[1], 0]),
                o_grid.heading(f"output {core.fmt_shape(out.shape)}"))
            panels.append(dict(s=s, out=out, case=case, x=x_grid, o=o_grid, arrow=arrow, heading=heading,
                               centre=centre))
        self.play(FadeIn(head), FadeIn(k_grid), FadeIn(k_name),
                  *(FadeIn(VGroup(p["x"], p["o"], p["arrow"], p["heading"])) for p in panels), run_time=1.0)
        self.beat(0.5)

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
            anims, finished = [], []
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
                if show:
                    anims.append(FadeIn(p["o"].value_label(i, j, p["out"][i, j]), scale=1.4))
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
                self.beat(0.6)
            for p in finished:  # this panel has no window left: its size, from the formula
                formula = _size_formula(p["case"], font_size=30)
                formula.next_to(p["x"], DOWN, buff=0.2).set_x(p["centre"])
                p["formula"] = formula
                self.play(FadeOut(p["window"]), FadeOut(p["target"]), FadeIn(formula), run_time=0.6)
                self.beat(0.8 if p is panels[1] and len(p["wins"]) < ticks else 0.3)

        a, b = panels
        sa, sb = core.fmt_shape(a["out"].shape), core.fmt_shape(b["out"].shape)
        done = caption(f"Stride {s2}: {len(b['wins'])} windows instead of {len(a['wins'])} → "
                       f"a {sb} output instead of {sa}, fewer computations", color=theme.OUTPUT)
        self.play(FadeIn(done), run_time=0.6)
        self.beat(1.5)
        if show and len(d.common) == len(b["wins"]):  # the larger stride visits a subset of the windows
            out_w = a["out"].shape[1]
            marks = VGroup(*(a["o"].window(*divmod(k, out_w), 1, 1, color=theme.HIGHLIGHT) for k in d.common))
            marks.add(*(b["o"].window(*divmod(k, b["out"].shape[1]), 1, 1) for k in range(len(b["wins"]))))
            same = caption(f"stride {s2} keeps {len(d.common)} of the stride-{s1} windows: the same values",
                           color=theme.HIGHLIGHT)
            self.play(Create(marks), FadeOut(done), FadeIn(same), run_time=0.8)
            self.beat(1.5)
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


def padding_data(x=((3, 0, 1, 2, 7), (1, 5, 8, 9, 3), (2, 7, 2, 5, 1), (0, 1, 3, 1, 7), (4, 2, 1, 6, 2)),
                 f: int = 3, padding: int = 2, stride: int = 1) -> PaddingData:
    """ConvExampleExplainedClean's 5×5 input and a 3×3 kernel, padded one ring of zeros at a time up to ``padding``."""
    x = np.asarray(x)
    if x.ndim != 2 or x.shape[0] != x.shape[1]:
        raise ValueError(f"padding_data needs a square N×N input, got {core.fmt_shape(x.shape)}")
    n = x.shape[0]
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


class PaddingOneByOneEng(CnnvizScene):
    data = staticmethod(padding_data)

    def construct(self):
        d = self.data()
        n, f = d.x.shape[0], d.f
        last = d.stages[-1]
        head = title(f"Padding: zeros around a {core.fmt_shape(d.x.shape)} input, {f}×{f} kernel", size=30)
        # left: the input, with room for every ring; right: the coverage map and the output size
        left_x, right_x = -3.5, 3.6
        cell = min(0.8, 5.8 / (n + 2 * last.p))
        show = _readable(cell)
        x_grid = _number_grid(d.x, color=theme.INPUT, cell_size=cell, show_values=show)
        x_grid.move_to([left_x, -0.3, 0])
        x_name = label(f"input {core.fmt_shape(d.x.shape)}", size=theme.SMALL_SIZE, color=theme.INPUT)
        x_name.next_to(x_grid, UP, buff=0.12 + last.p * cell)

        c_cell = min(0.75, 3.3 / n)
        vmin = min(int(s.coverage.min()) for s in d.stages)
        vmax = max(int(s.coverage.max()) for s in d.stages)

        def coverage_grid(stage):
            g = _number_grid(stage.coverage, color=theme.HIGHLIGHT, cell_size=c_cell, shade="heat",
                             vrange=(vmin, vmax), show_values=_readable(c_cell))
            return g.move_to([right_x, 0.55, 0])

        def stage_texts(stage):
            name = label(f"P = {stage.p}: " + ("no padding" if stage.p == 0 else _s(stage.p, "ring") + " of zeros"),
                         size=theme.BODY_SIZE, color=theme.PAD_LABEL)
            name.move_to([right_x, 2.95, 0])
            size = _size_formula(stage.case, font_size=30).move_to([right_x, -2.05, 0])
            out = label(f"output {stage.case.size}×{stage.case.size}"
                        + (" = the input's size" if stage.case.size == n else ""),
                        size=theme.SMALL_SIZE, color=theme.OUTPUT).next_to(size, DOWN, buff=0.15)
            return name, VGroup(size, out)

        cov = coverage_grid(d.stages[0])
        cov_name = label("windows each pixel is in", size=theme.SMALL_SIZE, color=theme.HIGHLIGHT)
        cov_name.next_to(cov, UP, buff=0.15)
        name, size = stage_texts(d.stages[0])
        self.play(FadeIn(head), FadeIn(x_grid), FadeIn(x_name), FadeIn(name), run_time=0.8)
        self.play(FadeIn(cov), FadeIn(cov_name), FadeIn(size), run_time=0.8)
        self.beat(0.8)

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
            if not windows:  # a large stride can skip a pixel altogether
                self.play(Create(mark), Create(cov_mark), FadeIn(note), run_time=0.6)
                self.beat(0.8)
                self.play(FadeOut(VGroup(mark, cov_mark, note)), run_time=0.4)
                return
            win = place(x_grid.window(0, 0, f, f), windows[0], stage.p)
            self.play(Create(mark), Create(cov_mark), Create(win), FadeIn(note), run_time=0.6)
            for k, pos in enumerate(windows[1:], start=2):
                self.play(win.animate.move_to(place(win.copy(), pos, stage.p)), _count(note, k), run_time=pace)
            self.beat(0.8)
            self.play(FadeOut(VGroup(mark, cov_mark, win, note)), run_time=0.4)

        # no padding: a corner pixel is in one window, the centre in F·F
        s0 = d.stages[0]
        cy, cx = d.corner
        count_windows(s0, d.corner, s0.corner_windows, "corner", 0.4)
        count_windows(s0, d.centre, s0.centre_windows, "centre", 0.25)

        # one ring of zeros at a time
        zero_cache: dict = {}
        for stage in d.stages[1:]:
            p = stage.p
            ring = VGroup()
            for r, c in _ring_cells(n, p):
                sq = x_grid.cell(0, 0).copy().set_fill(theme.PADDING, opacity=1).set_stroke(theme.GRID_LINE)
                sq.shift(np.array([c * cell, -r * cell, 0]))
                ring.add(sq)
                if show:
                    v = stage.padded[r + p, c + p]
                    if v not in zero_cache:
                        zero_cache[v] = label(fmt_num(v), size=x_grid.font_size, color=theme.MUTED, mono=True)
                    ring.add(zero_cache[v].copy().move_to(sq))
            new_cov = coverage_grid(stage)
            new_name, new_size = stage_texts(stage)
            # what changes goes to the top of the drawing order, so the rest stays static (drawn once per play)
            self.bring_to_front(name, cov, size)
            self.play(LaggedStart(*(FadeIn(m) for m in ring), lag_ratio=0.08), ReplacementTransform(name, new_name),
                      run_time=1.6)
            self.play(ReplacementTransform(cov, new_cov), ReplacementTransform(size, new_size), run_time=1.0)
            cov, name, size = new_cov, new_name, new_size
            self.beat(0.6)
            count_windows(stage, d.corner, stage.corner_windows, "corner",
                          0.35 if len(stage.corner_windows) < 6 else 0.2)

        # the summary: every stage in one table; the stage that keeps the input's size ("same" padding) framed
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
        first = d.stages[0]
        same = next((st for st in d.stages if st.case.size == n and st.p), None)
        if same is not None:
            k = d.stages.index(same) + 1
            box = SurroundingRectangle(VGroup(*rows[k]), color=theme.HIGHLIGHT, buff=0.12)
            text = (f"P = {same.p} keeps the {n}×{n} size, and the corner pixel is in "
                    f"{_s(int(same.coverage[cy, cx]), 'window')} instead of {int(first.coverage[cy, cx])}")
        else:
            box = VGroup()
            text = (f"each ring of zeros puts the corner pixel in more windows: "
                    f"{int(first.coverage[cy, cx])} → {int(last.coverage[cy, cx])}")
        self.play(FadeOut(VGroup(cov, cov_name, size, name)), FadeIn(table), FadeIn(note), run_time=0.8)
        done = caption(text, color=theme.OUTPUT)
        self.play(Create(box), FadeIn(done), run_time=0.6)
        self.beat(2.0)
        self.clear_all()


# ============================================================ KernelSizeAndDepthClean
@dataclass(frozen=True)
class KernelChoice:
    f: int                   # kernel size F
    case: SizeCase           # the output size N − F + 1 (the formula's numbers)
    windows: tuple           # top-left (row, col) of every window, raster order (core.conv_windows)
    centre_out: tuple        # the centre output pixel (i, j)
    centre_window: tuple     # the window that computes it: what that one pixel sees
    seen: int                # input pixels one output pixel sees on one channel: F·F (core.conv_param_terms)
    out_shape: tuple         # N'×N'×M with M filters on the C-channel input (core.conv_output_shape)
    terms: tuple             # (F·F·C·M, M): the weights and the biases of the layer (core.conv_param_terms)
    params: int              # their sum (core.conv_params)


@dataclass(frozen=True)
class KernelDepthData:
    n: int                   # input N×N (×C)
    c: int                   # input channels C
    m: int                   # filters M
    choices: tuple           # one KernelChoice per kernel size compared


def kernel_depth_data(n: int = 7, sizes=(3, 5), c: int = 3, m: int = 5) -> KernelDepthData:
    """Kernel sizes 3×3 vs 5×5 on one N×N input, then M = 5 filters on N×N×3 (Chapter 2, I.4's 3 channels, 5 filters)."""
    choices = []
    for f in sizes:
        windows = tuple(core.conv_windows((n, n), (f, f)))
        case = size_case(n, f, 0, 1)
        centre = (case.size // 2, case.size // 2)
        choices.append(KernelChoice(
            f=f, case=case, windows=windows, centre_out=centre,
            centre_window=windows[centre[0] * case.size + centre[1]],
            seen=core.conv_param_terms(f, 1, 1)[0],
            out_shape=core.conv_output_shape((n, n, c), (f, f, c, m)),
            terms=core.conv_param_terms(f, c, m), params=core.conv_params(f, c, m)))
    return KernelDepthData(n, c, m, tuple(choices))


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


class KernelSizeAndDepthClean(CnnvizScene):
    data = staticmethod(kernel_depth_data)

    def construct(self):
        d = self.data()
        self.kernel_sizes(d)
        self.filters_and_parameters(d)
        self.clear_all()

    # ------------------------------------------------------------ part 1: the receptive field
    def kernel_sizes(self, d: KernelDepthData):
        n = d.n
        names = " vs ".join(f"{ch.f}×{ch.f}" for ch in d.choices)
        head = title(f"Kernel size: {names} on the same {n}×{n} input", size=30)
        half = config.frame_width / 2
        gap = 0.8
        o_max = max(ch.case.size for ch in d.choices)
        cell = min(_cell_size(n + o_max, half - 0.45 - gap), 4.4 / n)
        panels = []
        for side, ch in zip((-1, 1), d.choices):
            centre = side * (half / 2 + 0.05)
            x_grid = ValueGrid(np.zeros((n, n)), color=theme.INPUT, cell_size=cell, show_values=False)
            o_grid = ValueGrid(np.zeros((ch.case.size,) * 2), color=theme.OUTPUT, cell_size=cell, show_values=False)
            width = x_grid.width + gap + o_grid.width
            x_grid.move_to([centre - width / 2 + x_grid.width / 2, 0.55, 0])
            o_grid.move_to([centre + width / 2 - o_grid.width / 2, 0.55, 0])
            heading = label(f"{ch.f}×{ch.f} kernel", size=theme.BODY_SIZE, color=theme.KERNEL)
            heading.next_to(x_grid, UP, buff=0.2)
            o_name = o_grid.heading(f"output {ch.case.size}×{ch.case.size}")
            panels.append(dict(ch=ch, x=x_grid, o=o_grid, heading=heading, o_name=o_name, centre=centre))
        self.play(FadeIn(head), *(FadeIn(VGroup(p["x"], p["o"], p["heading"], p["o_name"])) for p in panels),
                  run_time=1.0)

        # what the centre output pixel sees
        shown = []
        for p in panels:
            ch = p["ch"]
            r, c = ch.centre_window
            field = p["x"].window(r, c, ch.f, ch.f, color=theme.HIGHLIGHT)
            field.set_fill(theme.KERNEL, opacity=0.45)
            pixel = p["o"].window(*ch.centre_out, 1, 1, color=theme.HIGHLIGHT)
            pixel.set_fill(theme.HIGHLIGHT, opacity=0.6)
            lines = zoom_callout(field, pixel)
            note = label(f"one output pixel sees {ch.f}×{ch.f} = {ch.seen} pixels", size=theme.SMALL_SIZE,
                         color=theme.HIGHLIGHT).next_to(VGroup(p["x"], p["o"]), DOWN, buff=0.3).set_x(p["centre"])
            shown.append(VGroup(field, pixel, lines, note))
        self.play(*(Create(VGroup(*g[:3])) for g in shown), *(FadeIn(g[3]) for g in shown), run_time=1.2)
        self.beat(1.5)

        # every window, both sides in the same time: the larger kernel has fewer positions
        sweeps = []
        for p in panels:
            ch = p["ch"]
            win = p["x"].window(0, 0, ch.f, ch.f)
            p["win"] = win
            steps = []
            for k, (r, c) in enumerate(ch.windows):
                i, j = divmod(k, ch.case.size)
                steps.append(AnimationGroup(win.animate.move_to(p["x"].block_center(r, c, ch.f, ch.f)),
                                            p["o"].cell(i, j).animate.set_fill(theme.OUTPUT, opacity=0.55)))
            sweeps.append(Succession(*steps))
        self.play(*(FadeOut(VGroup(*g[:3])) for g in shown), *(Create(p["win"]) for p in panels), run_time=0.5)
        self.play(*sweeps, run_time=3.0)
        sizes = [_size_formula(p["ch"].case, font_size=30).next_to(shown[k][3], DOWN, buff=0.2).set_x(p["centre"])
                 for k, p in enumerate(panels)]
        self.play(*(FadeOut(p["win"]) for p in panels), *(FadeIn(s) for s in sizes), run_time=0.6)
        self.beat(1.0)
        small, large = d.choices[0], d.choices[-1]
        moral = caption(f"{small.f}×{small.f}: fine details · {large.f}×{large.f}: broader patterns, "
                        f"and a smaller output", color=theme.KERNEL)
        self.play(FadeIn(moral), run_time=0.6)
        self.beat(1.5)
        self.play(*(FadeOut(m) for m in self.mobjects), run_time=0.5)

    # ------------------------------------------------------------ part 2: M filters, depth M, parameters
    def filters_and_parameters(self, d: KernelDepthData):
        ch = d.choices[0]
        f, c, m = ch.f, d.c, d.m
        oh = ch.out_shape[0]
        head = title(f"Number of filters M = {m}: the depth of the output", size=30)
        unit = 2.4 / d.n
        x_stack = TensorStack(d.n, d.n, c, unit=unit, colors=theme.CHANNELS, max_side=2.4,
                              label_text=f"input {core.fmt_shape((d.n, d.n, c))}").move_to([-5.0, 1.0, 0])
        drawn = min(m, 5)
        k_unit = min(0.2, ((3.6 - 0.12 * (drawn - 1)) / drawn - 0.16) / f)
        kernels = VGroup(*(TensorStack(f, f, c, unit=k_unit, colors=(theme.KERNEL,), offset=0.08, label_text="")
                           for _ in range(drawn)))
        for k in kernels:  # an empty label keeps its height: drop it
            k.remove(k.shape_label)
        kernels.arrange(DOWN, buff=0.12).move_to([-1.3, 0.9, 0])
        k_name = label(f"{m} kernels {core.fmt_shape((f, f, c))}", size=theme.SMALL_SIZE, color=theme.KERNEL)
        k_name.move_to([kernels.get_x(), 2.95, 0])  # above the column's room, however many kernels are drawn
        if drawn < m:
            k_name.become(label(f"{m} kernels {core.fmt_shape((f, f, c))} ({drawn} drawn)", size=theme.SMALL_SIZE,
                                color=theme.KERNEL).move_to(k_name))

        def out_stack(depth):
            return TensorStack(oh, oh, depth, unit=unit, colors=(theme.OUTPUT,), max_side=2.4,
                               label_text=f"output {core.fmt_shape((oh, oh, depth))}").move_to([4.2, 1.0, 0]) \
                .align_to(x_stack, DOWN)

        y_mid = x_stack.sheets.get_center()[1]
        a1 = Arrow([x_stack.get_right()[0] + 0.1, y_mid, 0], [kernels.get_left()[0] - 0.2, y_mid, 0], buff=0.1,
                   stroke_color=theme.MUTED, stroke_width=4)
        star = label("⊛", size=36).next_to(a1, UP, buff=0.05)
        a2 = Arrow([kernels.get_right()[0] + 0.2, y_mid, 0], [4.2 - 1.6, y_mid, 0], buff=0.1,
                   stroke_color=theme.MUTED, stroke_width=4)
        self.play(FadeIn(head), FadeIn(x_stack), FadeIn(kernels), FadeIn(k_name), GrowArrow(a1), FadeIn(star),
                  run_time=1.0)
        stack = None
        for k in range(m):
            new = out_stack(k + 1)
            kern = kernels[min(k, drawn - 1)]
            note = label(f"filter {k + 1} → map {k + 1}", size=theme.SMALL_SIZE, color=theme.OUTPUT)
            note.next_to(a2, DOWN, buff=0.15)
            if stack is None:
                self.play(Indicate(kern, color=theme.HIGHLIGHT, scale_factor=1.15), GrowArrow(a2), FadeIn(new),
                          FadeIn(note), run_time=1.0)
                self.beat(0.6)
            else:
                self.play(Indicate(kern, color=theme.HIGHLIGHT, scale_factor=1.15), ReplacementTransform(stack, new),
                          ReplacementTransform(last_note, note), run_time=0.6 if k < 3 else 0.35)
            stack, last_note = new, note
        depth = label(f"{m} filters → depth {ch.out_shape[2]}", size=theme.BODY_SIZE, color=theme.OUTPUT)
        depth.next_to(a2, DOWN, buff=0.15)
        self.play(ReplacementTransform(note, depth), run_time=0.5)
        self.beat(1.0)

        # the parameters of the layer: F·F·C·M weights + M biases, for each kernel size
        p_head = label("parameters to learn:", size=theme.BODY_SIZE)
        general = Formula(r"{\color{%s}F} \cdot {\color{%s}F} \cdot {\color{%s}C} \cdot {\color{%s}M} + {\color{%s}M}"
                          % (theme.SYMBOL_COLORS["F"], theme.SYMBOL_COLORS["F"], theme.SYMBOL_COLORS["C"],
                             theme.SYMBOL_COLORS["M"], theme.SYMBOL_COLORS["M"]), font_size=32)
        VGroup(p_head, general).arrange(RIGHT, buff=0.3).move_to([0, -1.5, 0])
        self.play(FadeIn(p_head), Write(general), run_time=0.8)
        lines = VGroup(*(_param_formula(k, c, m, font_size=34) for k in d.choices))
        lines.arrange(DOWN, aligned_edge=LEFT, buff=0.2)
        lines.next_to(VGroup(p_head, general), DOWN, buff=0.25).shift(RIGHT * 0.9)
        tags = VGroup(*(label(f"{k.f}×{k.f} kernels:", size=theme.SMALL_SIZE, color=theme.KERNEL)
                        .next_to(line, LEFT, buff=0.35) for k, line in zip(d.choices, lines)))
        for line, tag in zip(lines, tags):
            self.play(FadeIn(tag), Write(line), run_time=0.9)
            self.beat(0.6)
        moral = caption("more filters: more features, but more parameters to learn", color=theme.TEXT)
        self.play(FadeIn(moral), run_time=0.5)
        self.beat(1.5)


# ============================================================ FeatureDetectionGray / FeatureDetectionRGB
@dataclass(frozen=True)
class FeatureMap:
    direction: str           # "vertical" or "horizontal": what the kernel detects
    kernel: np.ndarray       # F×F (grey photo) or F×F×C: the 2-D edge kernel on every channel
    response: np.ndarray     # core.conv2d(photo, kernel): the feature map, signed
    channel_responses: tuple  # per channel: core.conv2d(channel, its kernel slice); they sum to ``response``
    peak: int                # the largest |response|: white in ``display``
    display: np.ndarray      # uint8 picture of the map: round(255·|response| / peak)
    channel_peak: int        # the largest |channel response|: white in ``channel_displays``
    channel_displays: tuple  # uint8 pictures of the channel responses, scaled by ``channel_peak``
    patch_partials: tuple    # per channel: its response on the zoomed patch (s×s)
    patch_out: np.ndarray    # the feature map on the zoomed patch (s×s): the partials' sum


@dataclass(frozen=True)
class FeatureData:
    photo: str               # which photo of cnnviz/assets
    mode: str                # "L" (grey) or "RGB"
    box: tuple | None        # crop of the original photo (left, top, right, bottom)
    factor: int              # block size of the downsampling
    source_shape: tuple      # the crop's size before downsampling (H, W)
    image: np.ndarray        # the photo as the convolution sees it: H×W or H×W×3, uint8
    kind: str                # edge kernel family ("sobel" or "prewitt")
    maps: tuple              # one FeatureMap per direction
    patch: tuple             # (row, col) top-left of the zoomed patch, in map coordinates
    patch_size: int          # s: the zoom shows s×s map values
    patch_in: np.ndarray     # the photo pixels they are computed from: (s+F−1)×(s+F−1)(×C)


def _to_picture(values: np.ndarray, peak) -> np.ndarray:
    """|values| as a uint8 picture: 0 → black, ``peak`` → white."""
    if peak == 0:
        return np.zeros(values.shape, dtype=np.uint8)
    return np.round(255 * np.abs(values) / peak).astype(np.uint8)


def feature_data(photo: str = "camera", mode: str = "L", box=None, factor: int = 8,
                 directions=("vertical", "horizontal"), kind: str = "sobel", patch=None,
                 patch_size: int = 3) -> FeatureData:
    """Real edge kernels on a real photo (default: the cameraman, grey, 512×512 → 64×64 by 8×8 block means).

    ``patch=None`` zooms where the first kernel responds most strongly compared with the others: the s×s
    block of the map with the largest total |response| of the first kernel minus the largest total of any
    other kernel there (with one kernel: its largest total |response|). The zoom stays readable on a slide:
    at most 7×7 photo values for a grey photo, 3×3 per channel for a colour one (``patch_size`` + F − 1).
    """
    image = images.photo(photo, mode, box=box, factor=factor)
    C = 1 if image.ndim == 2 else image.shape[2]
    maps = []
    for direction in directions:
        k2 = core.edge_kernel(direction, kind)
        kernel = k2 if C == 1 else np.stack([k2] * C, axis=-1)
        response = core.conv2d(image, kernel)
        channels = ((response,) if C == 1 else
                    tuple(core.conv2d(image[..., ch], kernel[..., ch]) for ch in range(C)))
        peak = int(np.abs(response).max())
        channel_peak = int(max(np.abs(r).max() for r in channels))
        maps.append(dict(direction=direction, kernel=kernel, response=response, channel_responses=channels,
                         peak=peak, display=_to_picture(response, peak), channel_peak=channel_peak,
                         channel_displays=tuple(_to_picture(r, channel_peak) for r in channels)))
    s = patch_size
    out_h, out_w = maps[0]["response"].shape
    f = maps[0]["kernel"].shape[0]
    if not 1 <= s <= min(out_h, out_w):
        raise ValueError(f"a {s}×{s} patch does not fit the {out_h}×{out_w} feature map")
    most = 7 if C == 1 else 3
    if s + f - 1 > most:
        raise ValueError(f"a {s}×{s} patch needs {s + f - 1}×{s + f - 1} photo values per channel: too many to "
                         f"read on a slide (at most {most}×{most} for a {'grey' if C == 1 else 'colour'} photo)")
    if patch is None:
        sums = [sliding_window_view(np.abs(m["response"]).astype(np.int64), (s, s)).sum(axis=(2, 3)) for m in maps]
        score = sums[0] - (np.max(sums[1:], axis=0) if len(sums) > 1 else 0)
        patch = tuple(int(v) for v in np.unravel_index(np.argmax(score), score.shape))
    r, c = patch
    if not (0 <= r <= out_h - s and 0 <= c <= out_w - s):
        raise ValueError(f"a {s}×{s} patch at {patch} does not fit the {out_h}×{out_w} feature map")
    patch_in = image[r:r + s + f - 1, c:c + s + f - 1].copy()
    fmaps = tuple(FeatureMap(**m, patch_partials=tuple(ch[r:r + s, c:c + s].copy() for ch in m["channel_responses"]),
                             patch_out=m["response"][r:r + s, c:c + s].copy()) for m in maps)
    H, W = image.shape[:2]
    return FeatureData(photo, mode, None if box is None else tuple(box), factor, (H * factor, W * factor), image, kind,
                       fmaps, (r, c), s, patch_in)


def feature_data_rgb(photo: str = "chelsea", mode: str = "RGB", box=(11, 6, 443, 294), factor: int = 6,
                     directions=("vertical",), kind: str = "sobel", patch=None, patch_size: int = 1) -> FeatureData:
    """The colour example: Chelsea the cat (432×288 crop → 72×48), one 3×3×3 kernel: the vertical-edge kernel
    on each of R, G and B, whose three channel responses sum into one feature map."""
    return feature_data(photo, mode, box, factor, directions, kind, patch, patch_size)


def _cell_for(values, cell: float, font: float = theme.CELL_FONT) -> float:
    """``cell``, or larger if the longest of ``values`` would not fit a cell at ``font`` (ValueGrid fits 86 %)."""
    longest = max((fmt_num(v) for v in np.asarray(values).ravel()), key=len)
    return max(cell, len(longest) * 0.17 * font / 22 / 0.86 + 0.02)  # 0.17: a DejaVu Sans Mono digit at 22


def _channel_picture(values: np.ndarray, ch: int) -> np.ndarray:
    """One channel (H×W uint8) drawn in its own colour: an RGB picture whose other channels are 0."""
    out = np.zeros(values.shape + (3,), dtype=np.uint8)
    out[..., ch] = values
    return out


_CHANNEL_NAMES = ("R", "G", "B")


class _FeatureDetection:
    """Edge kernels on a real photo: one choreography, whatever the photo (grey or colour), its size, the
    kernels and the zoomed patch. The two catalogued scenes differ only in their data (a mixin, so that
    the module's CnnvizScene classes are exactly the catalogued ones).

    1. the photo (a colour photo splits into its channels);
    2. the first kernel ⊛ the photo = its feature map, drawn as a picture (the normalisation said on screen);
       with C channels, each channel's response, and their sum: one map;
    3. a zoomed patch: the photo's numbers ⊛ the kernel = the map's numbers (per channel, then summed);
    4. every further kernel on the same patch; 5. the photo and every map side by side.
    """

    def construct(self):
        d = self.data()
        self.C = 1 if d.image.ndim == 2 else d.image.shape[2]
        self.F = d.maps[0].kernel.shape[0]
        kernels = "edge kernels" if len(d.maps) > 1 else f"one {core.fmt_shape(d.maps[0].kernel.shape)} kernel"
        self.head = title(f"Feature detection: {kernels} on a real {'colour' if self.C > 1 else 'grey'} photo",
                          size=30)
        photo = self.intro(d)
        parts = self.overview(d, d.maps[0], photo)
        parts = self.zoom(d, d.maps[0], parts)
        for fmap in d.maps[1:]:
            parts = self.next_kernel(d, fmap, parts)
        self.summary(d)
        self.clear_all()

    def play(self, *animations, **kwargs):
        """Pictures first in the drawing order, so that they stay static unless they move themselves.

        Manim redraws every mobject after the first moving one on every frame, and drawing a picture costs
        a whole-frame composite (≈25 ms at 720p); nothing is drawn under a picture, so this changes no pixel.
        """
        animations = self.compile_animations(*animations, **kwargs)
        moving: set = set()

        def collect(anims):
            for a in anims:
                moving.update(id(m) for m in a.mobject.get_family())
                collect(getattr(a, "animations", ()))

        collect(animations)
        pictures = [m for m in self.mobjects if isinstance(m, PixelImage) and id(m) not in moving]
        if pictures:
            self.bring_to_back(*pictures)
        super().play(*animations, **kwargs)

    # ------------------------------------------------------------ helpers
    def _kernel_grid(self, k2: np.ndarray, cell: float) -> ValueGrid:
        return ValueGrid(k2, color=theme.KERNEL, shade="signed", cell_size=cell)

    def _symbol(self, text: str, between_a, between_b, size: float = 36):
        x = (between_a.get_right()[0] + between_b.get_left()[0]) / 2
        return label(text, size=size).move_to([x, between_b.get_y(), 0])

    @staticmethod
    def _norm_note(peak: int, what: str = "|value|") -> str:
        return f"shown: {what}, 0 black … {fmt_int(peak)} white (the largest)"

    # ------------------------------------------------------------ 1. the photo
    def intro(self, d: FeatureData) -> PixelImage:
        H, W = d.image.shape[:2]
        h = min(4.4, 5.0 * H / W)
        photo = PixelImage(d.image, height=h).move_to([0, -0.1, 0])
        name = label(f"{d.photo}: {core.fmt_shape(d.image.shape)} pixels", size=theme.SMALL_SIZE, color=theme.INPUT)
        name.next_to(photo, UP, buff=0.15)
        how = label(f"{d.factor}×{d.factor} block means of the {d.source_shape[0]}×{d.source_shape[1]} photo",
                    size=theme.SMALL_SIZE, color=theme.MUTED).next_to(photo, DOWN, buff=0.15)
        self.play(FadeIn(self.head), FadeIn(photo), FadeIn(name), FadeIn(how), run_time=1.0)
        self.beat(1.0)
        self.photo_labels = VGroup(name, how)
        return photo

    def _move_photo(self, photo: PixelImage, height: float, centre) -> list:
        """Animations moving/resizing the photo with its two labels (name above, provenance below)."""
        name, how = self.photo_labels
        k = height / photo.height
        centre = np.array(centre, dtype=float)
        top = centre[1] + height / 2
        bottom = centre[1] - height / 2

        def x_in_frame(mob):  # a label wider than the photo stays inside the frame
            half = config.frame_width / 2 - 0.15 - mob.width / 2
            return float(np.clip(centre[0], -half, half))

        return [photo.animate.scale(k).move_to(centre),
                name.animate.move_to([x_in_frame(name), top + 0.15 + name.height / 2, 0]),
                how.animate.move_to([x_in_frame(how), bottom - 0.15 - how.height / 2, 0])]

    # ------------------------------------------------------------ 2. kernel ⊛ photo = feature map
    def overview(self, d: FeatureData, m: FeatureMap, photo: PixelImage) -> dict:
        return self._overview_grey(d, m, photo) if self.C == 1 else self._overview_colour(d, m, photo)

    def _overview_grey(self, d: FeatureData, m: FeatureMap, photo: PixelImage) -> dict:
        H, W = d.image.shape[:2]
        Ho, Wo = m.display.shape
        h = min(4.4, 4.6 * H / W)
        w = h * W / H
        self.play(*self._move_photo(photo, h, [-6.8 + w / 2, -0.1, 0]), run_time=0.8)
        pic = PixelImage(m.display, height=h * Ho / H)
        pic.move_to([6.8 - pic.width / 2, -0.1, 0])
        kernel = self._kernel_grid(m.kernel, 0.62)
        kernel.move_to([(photo.get_right()[0] + pic.get_left()[0]) / 2, -0.1, 0])
        k_name = kernel.heading(f"{m.direction}-edge kernel")
        star, eq = self._symbol("⊛", photo, kernel), self._symbol("=", kernel, pic)
        m_name = label(f"{m.direction} edges", size=theme.SMALL_SIZE, color=theme.OUTPUT).next_to(pic, UP, buff=0.15)
        note = caption(f"the map is drawn as |value|: 0 black … {fmt_int(m.peak)} (the largest) white",
                       size=theme.SMALL_SIZE, color=theme.OUTPUT)
        self.play(FadeIn(kernel), FadeIn(k_name), FadeIn(star), run_time=0.7)
        self.beat(0.6)
        self.play(FadeIn(eq), FadeIn(pic), FadeIn(m_name), FadeIn(note), run_time=1.0)
        self.beat(1.5)
        return dict(photo=photo, kernel=kernel, k_name=k_name, star=star, eq=eq, map=pic, m_name=m_name, note=note)

    def _rows(self, d: FeatureData, m: FeatureMap) -> dict:
        """Geometry of the per-channel rows (colour photos): one row per channel."""
        H, W = d.image.shape[:2]
        pitch = min(1.93, 5.8 / self.C)
        row_h = pitch - 0.23
        ys = [2.6 - row_h / 2 - k * pitch for k in range(self.C)]
        ch_h = min(row_h, 2.35 * H / W)
        cell = min(0.62, row_h / self.F)
        return dict(ys=ys, ch_h=ch_h, cell=cell, row_h=row_h)

    def _overview_colour(self, d: FeatureData, m: FeatureMap, photo: PixelImage) -> dict:
        H, W = d.image.shape[:2]
        Ho, Wo = m.display.shape
        g = self._rows(d, m)
        ys, ch_h, cell = g["ys"], g["ch_h"], g["cell"]
        # the photo splits into its channels, one row each
        chans, names = Group(), VGroup()
        for ch in range(self.C):
            pic = PixelImage(_channel_picture(d.image[..., ch], ch), height=ch_h)
            pic.move_to([-6.45 + pic.width / 2, ys[ch], 0])
            chans.add(pic)
            names.add(label(_CHANNEL_NAMES[ch % 3], size=theme.SMALL_SIZE, color=theme.CHANNELS[ch % 3])
                      .next_to(pic, LEFT, buff=0.12))
        split = caption(f"a colour photo is {self.C} channels: {core.fmt_shape(d.image.shape)}",
                        size=theme.SMALL_SIZE, color=theme.INPUT)
        self.play(*(TransformFromCopy(photo, pic) for pic in chans), FadeOut(photo), FadeOut(self.photo_labels),
                  FadeIn(names), FadeIn(split), run_time=1.2)
        self.beat(1.0)
        # one kernel slice per channel ⊛ that channel = the channel's response
        kernels = VGroup(*(self._kernel_grid(m.kernel[..., ch], cell).move_to(
            [chans[ch].get_right()[0] + 0.55 + self.F * cell / 2, ys[ch], 0]) for ch in range(self.C)))
        resp = Group(*(PixelImage(_channel_picture(m.channel_displays[ch], ch), height=ch_h * Ho / H)
                       for ch in range(self.C)))
        for ch, pic in enumerate(resp):
            pic.move_to([kernels[ch].get_right()[0] + 0.55 + pic.width / 2, ys[ch], 0])
        stars = VGroup(*(self._symbol("⊛", chans[ch], kernels[ch], size=30) for ch in range(self.C)))
        eqs = VGroup(*(self._symbol("=", kernels[ch], resp[ch], size=30) for ch in range(self.C)))
        k_name = label(f"kernel {core.fmt_shape(m.kernel.shape)}", size=theme.SMALL_SIZE, color=theme.KERNEL)
        k_name.next_to(kernels, UP, buff=0.12)
        k_note = caption(f"the {m.direction}-edge kernel on each of the {self.C} channels",
                         size=theme.SMALL_SIZE, color=theme.KERNEL)
        self.play(FadeIn(kernels), FadeIn(stars), FadeIn(k_name), ReplacementTransform(split, k_note), run_time=0.9)
        self.beat(1.0)
        r_name = label("responses", size=theme.SMALL_SIZE, color=theme.OUTPUT).next_to(resp, UP, buff=0.12)
        r_note = caption(f"each response drawn as |value|: 0 black … {fmt_int(m.channel_peak)} white",
                         size=theme.SMALL_SIZE, color=theme.OUTPUT)
        self.play(FadeIn(eqs), FadeIn(resp), FadeIn(r_name), ReplacementTransform(k_note, r_note), run_time=0.9)
        self.beat(1.0)
        # the responses add up: one feature map
        pluses = VGroup(*(label("+", size=30).move_to([resp.get_x(), (ys[k] + ys[k + 1]) / 2, 0])
                          for k in range(self.C - 1)))
        pic = PixelImage(m.display, height=min(3.0, 4.2 * Ho / Wo))
        pic.move_to([6.85 - pic.width / 2, ys[self.C // 2] if self.C % 2 else (ys[0] + ys[-1]) / 2, 0])
        arrow = Arrow([resp.get_right()[0] + 0.05, pic.get_y(), 0], [pic.get_left()[0] - 0.05, pic.get_y(), 0],
                      buff=0.1, stroke_color=theme.MUTED, stroke_width=4, max_tip_length_to_length_ratio=0.3)
        m_name = label(f"sum: one {core.fmt_shape(m.response.shape)} map", size=theme.SMALL_SIZE,
                       color=theme.OUTPUT).next_to(pic, UP, buff=0.15)
        note = caption(f"the map = {' + '.join(_CHANNEL_NAMES[:self.C])}, drawn as |value|: 0 black … "
                       f"{fmt_int(m.peak)} white", size=theme.SMALL_SIZE, color=theme.OUTPUT)
        self.play(FadeIn(pluses), GrowArrow(arrow), FadeIn(pic), FadeIn(m_name), ReplacementTransform(r_note, note),
                  run_time=1.0)
        self.beat(1.8)
        return dict(chans=chans, names=names, kernel=kernels, k_name=k_name, star=stars, eq=eqs, resp=resp,
                    r_name=r_name, pluses=pluses, arrow=arrow, map=pic, m_name=m_name, note=note)

    # ------------------------------------------------------------ 3. a zoomed patch: the numbers
    def zoom(self, d: FeatureData, m: FeatureMap, parts: dict) -> dict:
        return self._zoom_grey(d, m, parts) if self.C == 1 else self._zoom_colour(d, m, parts)

    def _zoom_grey(self, d: FeatureData, m: FeatureMap, parts: dict) -> dict:
        H, W = d.image.shape[:2]
        F, s = self.F, d.patch_size
        n_in = s + F - 1
        r, c = d.patch
        photo, pic, kernel = parts["photo"], parts["map"], parts["kernel"]
        name, how = self.photo_labels
        # photo and map become thumbnails at the top; the numbers go below them
        top = 2.75
        ht = min(2.2, 3.4 * H / W, top + 2.95 - 0.3 - n_in * 0.6)  # leave the numbers room to be readable
        photo_c = np.array([photo.get_x(), top - ht / 2, 0])
        pic_h = ht * pic.height / photo.height
        pic_c = np.array([pic.get_x(), top - pic_h / 2, 0])
        self.play(FadeOut(how), FadeOut(parts["note"]), FadeOut(parts["star"]), FadeOut(parts["eq"]),
                  FadeOut(parts["k_name"]),
                  photo.animate.scale(ht / photo.height).move_to(photo_c),
                  name.animate.move_to(photo_c + UP * (ht / 2 + 0.15 + name.height / 2)),
                  pic.animate.scale(pic_h / pic.height).move_to(pic_c),
                  parts["m_name"].animate.move_to(pic_c + UP * (pic_h / 2 + 0.15 + parts["m_name"].height / 2)),
                  run_time=1.0)
        cell = min(0.62, (top - ht - 0.3 - (-2.95)) / n_in)
        patch = PixelZoom(photo, r, c, n_in, n_in, cell_size=cell, direction=DOWN, buff=0.3)
        out = PixelZoom(pic, r, c, s, s, values=m.patch_out,
                        cell_size=_cell_for(np.concatenate([f.patch_out.ravel() for f in d.maps]), cell),
                        direction=DOWN, buff=0.3, shade="signed", color=theme.OUTPUT, font_size=patch.grid.font_size)
        out.grid.align_to(patch.grid, UP)
        for z in (patch, out):  # keep the grids inside the frame
            x0, x1 = z.grid.get_left()[0], z.grid.get_right()[0]
            z.grid.shift(RIGHT * (max(0, -6.9 - x0) - max(0, x1 - 6.9)))
            z.reconnect()
        k_target = kernel.copy().move_to([(patch.grid.get_right()[0] + out.grid.get_left()[0]) / 2,
                                          patch.grid.get_y(), 0])
        k_name = k_target.heading(f"{m.direction}-edge kernel")
        star, eq = self._symbol("⊛", patch.grid, k_target), self._symbol("=", k_target, out.grid)
        what = caption("the photo's numbers ⊛ the kernel = the map's numbers (one window per value)",
                       size=theme.SMALL_SIZE, color=theme.HIGHLIGHT)
        self.play(Create(patch.box), Create(out.box), kernel.animate.move_to(k_target), FadeIn(k_name),
                  run_time=0.8)
        self.play(Create(patch.lines), FadeIn(patch.grid), run_time=0.8)
        self.play(FadeIn(star), FadeIn(eq), Create(out.lines), FadeIn(out.grid), FadeIn(what), run_time=0.8)
        self.beat(1.0)
        # which window gives which value: the F×F window for each of the s×s values
        win = patch.grid.window(0, 0, F, F)
        cell_frame = out.grid.window(0, 0, 1, 1)
        self.play(Create(win), Create(cell_frame), run_time=0.5)
        self.beat(0.6)
        for k in range(1, s * s):
            i, j = divmod(k, s)
            self.play(win.animate.move_to(patch.grid.block_center(i, j, F, F)),
                      cell_frame.animate.move_to(out.grid.cell(i, j)), run_time=0.3)
        self.play(FadeOut(win), FadeOut(cell_frame), run_time=0.3)
        self.beat(0.8)
        parts.update(k_name=k_name, star=star, eq=eq, patch=patch, out=out, note=what)
        return parts

    def _zoom_colour(self, d: FeatureData, m: FeatureMap, parts: dict) -> dict:
        F, s = self.F, d.patch_size
        n_in = s + F - 1
        r, c = d.patch
        g = self._rows(d, m)
        ys = g["ys"]
        cz = min(g["cell"], g["row_h"] / n_in)
        chans, kernels = parts["chans"], parts["kernel"]
        zooms = [PixelZoom(chans[ch], r, c, n_in, n_in, values=d.patch_in[..., ch], cell_size=cz, direction=RIGHT,
                           buff=0.45, shade="gray", vrange=(0, 255), color=theme.CHANNELS[ch % 3])
                 for ch in range(self.C)]
        for ch, z in enumerate(zooms):  # the rows stay aligned
            z.grid.set_y(ys[ch])
            z.reconnect()
        k_targets = [kernels[ch].copy().move_to([zooms[ch].grid.get_right()[0] + 0.6 + kernels[ch].width / 2,
                                                 ys[ch], 0]) for ch in range(self.C)]
        pz = _cell_for(np.concatenate([p.ravel() for p in m.patch_partials]), cz)
        partials = VGroup(*(ValueGrid(m.patch_partials[ch], cell_size=pz, shade="signed", color=theme.OUTPUT,
                                      font_size=theme.CELL_FONT)
                            .move_to([k_targets[ch].get_right()[0] + 0.5 + s * pz / 2, ys[ch], 0])
                            for ch in range(self.C)))
        stars = VGroup(*(self._symbol("⊛", zooms[ch].grid, k_targets[ch], size=30) for ch in range(self.C)))
        eqs = VGroup(*(self._symbol("=", k_targets[ch], partials[ch], size=30) for ch in range(self.C)))
        pluses = VGroup(*(label("+", size=30).move_to([partials.get_x(), (ys[k] + ys[k + 1]) / 2, 0])
                          for k in range(self.C - 1)))
        pic = parts["map"]
        out = PixelZoom(pic, r, c, s, s, values=m.patch_out, cell_size=_cell_for(m.patch_out, max(cz, 0.6)),
                        direction=DOWN, buff=0.3, shade="signed", color=theme.OUTPUT, font_size=theme.CELL_FONT)
        arrow = Arrow([partials.get_right()[0] + 0.05, pic.get_y(), 0], [pic.get_left()[0] - 0.05, pic.get_y(), 0],
                      buff=0.1, stroke_color=theme.MUTED, stroke_width=4, max_tip_length_to_length_ratio=0.3)
        total = self._sum_line(m)
        k_name = parts["k_name"].copy().next_to(VGroup(*k_targets), UP, buff=0.12)
        self.play(FadeOut(parts["resp"]), FadeOut(parts["r_name"]), FadeOut(parts["eq"]), FadeOut(parts["star"]),
                  FadeOut(parts["pluses"]), FadeOut(parts["arrow"]), FadeOut(parts["note"]),
                  *(kernels[ch].animate.move_to(k_targets[ch]) for ch in range(self.C)),
                  parts["k_name"].animate.move_to(k_name), *(Create(z.box) for z in zooms), run_time=0.9)
        self.play(*(Create(z.lines) for z in zooms), *(FadeIn(z.grid) for z in zooms), FadeIn(stars), run_time=0.9)
        self.beat(0.8)
        self.play(FadeIn(eqs), FadeIn(partials), FadeIn(pluses), run_time=0.8)
        self.beat(0.8)
        self.play(GrowArrow(arrow), Create(out.box), Create(out.lines), FadeIn(out.grid), FadeIn(total),
                  run_time=1.0)
        self.beat(2.0)
        parts.update(zooms=zooms, partials=partials, star=stars, eq=eqs, pluses=pluses, arrow=arrow, out=out,
                     total=total)
        return parts

    def _sum_line(self, m: FeatureMap) -> VGroup:
        """A caption: R + G + B = the map, for the patch's top-left value, each term in its channel's colour."""
        terms = [label(f"the map's value = {' + '.join(_CHANNEL_NAMES[:self.C])}:", size=theme.BODY_SIZE,
                       color=theme.HIGHLIGHT)]
        for ch, part in enumerate(m.patch_partials):
            if ch:
                terms.append(label("+", size=theme.BODY_SIZE))
            terms.append(label(_paren(part[0, 0]), size=theme.BODY_SIZE, color=theme.CHANNELS[ch % 3]))
        terms += [label("=", size=theme.BODY_SIZE), label(fmt_num(m.patch_out[0, 0]), size=theme.BODY_SIZE,
                                                            color=theme.OUTPUT)]
        line = VGroup(*terms).arrange(RIGHT, buff=0.15)
        fit_width(line, config.frame_width - 0.6)
        return line.to_edge(DOWN, buff=0.3)

    # ------------------------------------------------------------ 4. the next kernel, on the same patch
    def next_kernel(self, d: FeatureData, m: FeatureMap, parts: dict) -> dict:
        prev = parts["fmap"] if "fmap" in parts else d.maps[0]
        swaps = []

        def swap(old, new):
            swaps.append(ReplacementTransform(old, new))
            return new

        kernels = parts["kernel"]
        if self.C == 1:
            parts["kernel"] = swap(kernels, self._kernel_grid(m.kernel, kernels.cell_size).move_to(kernels))
        else:
            parts["kernel"] = swap(kernels, VGroup(*(self._kernel_grid(m.kernel[..., ch], kernels[ch].cell_size)
                                                     .move_to(kernels[ch]) for ch in range(self.C))))
        old_pic = parts["map"]
        pic = PixelImage(m.display, height=old_pic.height).move_to(old_pic)
        swaps += [FadeOut(old_pic), FadeIn(pic)]
        parts["map"] = pic
        old_name = parts["m_name"]
        text = f"{m.direction} edges" if self.C == 1 else old_name.original_text
        parts["m_name"] = swap(old_name, label(text, size=theme.SMALL_SIZE, color=theme.OUTPUT).move_to(old_name))
        if self.C == 1:
            old = parts["k_name"]
            parts["k_name"] = swap(old, label(f"{m.direction}-edge kernel", size=theme.SMALL_SIZE,
                                              color=theme.KERNEL).move_to(old))
        out = parts["out"].grid
        new_out = ValueGrid(m.patch_out, cell_size=out.cell_size, shade="signed", color=theme.OUTPUT,
                            font_size=out.font_size).move_to(out)
        parts["out"].grid = swap(out, new_out)
        if self.C > 1:
            old = parts["partials"]
            parts["partials"] = swap(old, VGroup(*(
                ValueGrid(m.patch_partials[ch], cell_size=old[ch].cell_size, shade="signed", color=theme.OUTPUT,
                          font_size=old[ch].font_size).move_to(old[ch]) for ch in range(self.C))))
            parts["total"] = swap(parts["total"], self._sum_line(m))
        else:
            a, b = np.abs(prev.patch_out).max(), np.abs(m.patch_out).max()
            note = caption(f"the same pixels: the {prev.direction} kernel gives up to {fmt_int(a)}, "
                           f"the {m.direction} one up to {fmt_int(b)}", size=theme.SMALL_SIZE, color=theme.HIGHLIGHT)
            parts["note"] = swap(parts["note"], note)
        # what changes goes to the top of the drawing order, so the rest stays static (drawn once per play)
        self.bring_to_front(*(a.mobject for a in swaps if a.mobject in self.mobjects))
        self.bring_to_front(parts["out"].box, parts["out"].lines)  # the map's frame stays above the pictures
        self.play(*swaps, run_time=1.2)
        self.beat(2.0)
        parts["fmap"] = m
        return parts

    # ------------------------------------------------------------ 5. the photo and every map
    def summary(self, d: FeatureData):
        self.play(*(FadeOut(mob) for mob in self.mobjects if mob is not self.head), run_time=0.6)
        H, W = d.image.shape[:2]
        arrays = [d.image] + [m.display for m in d.maps]
        gap = 0.5
        h = min(4.0, (13.6 - gap * (len(arrays) - 1)) / len(arrays) * H / W,
                (13.6 - gap * (len(arrays) - 1)) / sum(a.shape[1] / H for a in arrays))
        pics = Group(*(PixelImage(a, height=h * a.shape[0] / H) for a in arrays)).arrange(RIGHT, buff=gap)
        pics.move_to([0, 0.1, 0])
        names = VGroup(label(f"{d.photo} {core.fmt_shape(d.image.shape)}", size=theme.SMALL_SIZE, color=theme.INPUT))
        notes = VGroup(label(f"{d.factor}×{d.factor} block means", size=theme.SMALL_SIZE, color=theme.MUTED))
        for m in d.maps:
            names.add(label(f"{m.direction} edges {core.fmt_shape(m.response.shape)}", size=theme.SMALL_SIZE,
                            color=theme.OUTPUT))
            notes.add(label(f"|value|, white = {fmt_int(m.peak)}", size=theme.SMALL_SIZE, color=theme.MUTED))
        for pic, name, note in zip(pics, names, notes):
            fit_width(name, pic.width + gap - 0.1).next_to(pic, UP, buff=0.15)
            fit_width(note, pic.width + gap - 0.1).next_to(pic, DOWN, buff=0.15)
        k = d.maps[0].kernel
        if self.C == 1:
            moral = "each kernel lights up where its own feature is: a feature detector"
        else:
            moral = (f"{self.C} channels ⊛ a {core.fmt_shape(k.shape)} kernel → one "
                     f"{core.fmt_shape(d.maps[0].response.shape)} feature map per kernel")
        self.play(FadeIn(pics), FadeIn(names), FadeIn(notes), run_time=1.0)
        self.play(FadeIn(caption(moral, size=theme.BODY_SIZE, color=theme.OUTPUT)), run_time=0.6)
        self.beat(2.0)


class FeatureDetectionGray(_FeatureDetection, CnnvizScene):
    data = staticmethod(feature_data)


class FeatureDetectionRGB(_FeatureDetection, CnnvizScene):
    data = staticmethod(feature_data_rgb)
