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
    LEFT, AnimationGroup, ArcBetweenPoints, Arrow, GrowArrow, LaggedStart, Succession, SurroundingRectangle, config,
)

from cnnviz.drawings import TensorStack, fmt_int, zoom_callout  # noqa: E402


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
            x_grid = ValueGrid(d.x, color=theme.INPUT, cell_size=cell, show_values=show)
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
                counter = label(f"window {k + 1} of {len(wins)}", size=theme.SMALL_SIZE, color=theme.HIGHLIGHT)
                counter.next_to(p["o"], DOWN, buff=0.2)
                centre = p["x"].block_center(r, c, f, f)
                if k == 0:
                    p["window"].move_to(centre)
                    anims += [Create(p["window"]), Create(p["target"]), FadeIn(counter)]
                else:
                    anims += [p["window"].animate.move_to(centre), p["target"].animate.move_to(p["o"].cell(i, j)),
                              ReplacementTransform(p["counter"], counter)]
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
        x_grid = ValueGrid(d.x, color=theme.INPUT, cell_size=cell, show_values=show)
        x_grid.move_to([left_x, -0.3, 0])
        x_name = label(f"input {core.fmt_shape(d.x.shape)}", size=theme.SMALL_SIZE, color=theme.INPUT)
        x_name.next_to(x_grid, UP, buff=0.12 + last.p * cell)

        c_cell = min(0.75, 3.3 / n)
        vmin = min(int(s.coverage.min()) for s in d.stages)
        vmax = max(int(s.coverage.max()) for s in d.stages)

        def coverage_grid(stage):
            g = ValueGrid(stage.coverage, color=theme.HIGHLIGHT, cell_size=c_cell, shade="heat", vrange=(vmin, vmax),
                          show_values=_readable(c_cell))
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

        def count_windows(stage, pixel, windows, note_text, pace):
            """Step the window over every window holding ``pixel``, counting them; mark the pixel in both grids."""
            mark = x_grid.window(*pixel, 1, 1, color=theme.NEGATIVE, stroke_width=5)
            cov_mark = cov.window(*pixel, 1, 1, color=theme.NEGATIVE, stroke_width=5)
            note = label(note_text(min(1, len(windows))), size=theme.SMALL_SIZE, color=theme.NEGATIVE)
            note.next_to(x_grid, DOWN, buff=0.12 + stage.p * cell)
            if not windows:  # a large stride can skip a pixel altogether
                self.play(Create(mark), Create(cov_mark), FadeIn(note), run_time=0.6)
                self.beat(0.8)
                self.play(FadeOut(VGroup(mark, cov_mark, note)), run_time=0.4)
                return
            win = place(x_grid.window(0, 0, f, f), windows[0], stage.p)
            self.play(Create(mark), Create(cov_mark), Create(win), FadeIn(note), run_time=0.6)
            for k, pos in enumerate(windows[1:], start=2):
                new_note = label(note_text(k), size=theme.SMALL_SIZE, color=theme.NEGATIVE).move_to(note)
                self.play(win.animate.move_to(place(win.copy(), pos, stage.p)), ReplacementTransform(note, new_note),
                          run_time=pace)
                note = new_note
            self.beat(0.8)
            self.play(FadeOut(VGroup(mark, cov_mark, win, note)), run_time=0.4)

        # no padding: a corner pixel is in one window, the centre in F·F
        s0 = d.stages[0]
        cy, cx = d.corner
        count_windows(s0, d.corner, s0.corner_windows,
                      lambda k: f"corner pixel: window {k} of {s0.coverage[cy, cx]}", 0.4)
        count_windows(s0, d.centre, s0.centre_windows,
                      lambda k: f"centre pixel: window {k} of {s0.coverage[d.centre]}", 0.25)

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
            self.play(LaggedStart(*(FadeIn(m) for m in ring), lag_ratio=0.08), ReplacementTransform(name, new_name),
                      run_time=1.6)
            self.play(ReplacementTransform(cov, new_cov), ReplacementTransform(size, new_size), run_time=1.0)
            cov, name, size = new_cov, new_name, new_size
            self.beat(0.6)
            count_windows(stage, d.corner, stage.corner_windows,
                          lambda k, s=stage: f"corner pixel: window {k} of {s.coverage[cy, cx]}",
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
