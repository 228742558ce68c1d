"""Chapter 2 — the convolution operator.

Each scene: a pure data function (inputs → every number shown, from
``cnnviz.core``) and the choreography that draws it with the shared drawings.
Render one with ``manim -ql scenes/ch2_convolution.py ConvExampleExplainedClean``.
"""

from __future__ import annotations

import functools
import textwrap
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from manim import (
    DOWN,
    LEFT,
    AnimationGroup,
    ArcBetweenPoints,
    Group,
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
    Rectangle,
    ReplacementTransform,
    Square,
    SurroundingRectangle,
    Transform,
    TransformFromCopy,
    VGroup,
    Write,
    config,
    interpolate_color,
)
from manim.utils.color import ManimColor

from cnnviz import core, images, theme
from cnnviz.drawings import (
    CnnvizScene,
    PixelImage,
    PixelZoom,
    contrast_text,
    fmt_int,
    map_pixels,
    zoom_callout,
    ShapeArrow,
    SlidingWindow,
    TensorStack,
    ValueGrid,
    caption,
    cell_center,
    fit_width,
    fmt_num,
    grid_lines,
    label,
    title,
)
from cnnviz.formula import Formula


# ============================================================ the numeric family (ConvExampleExplainedClean,
# Conv2FiltersExample, RGBConvStepByStepCentered): one choreography — window, products, sum, bias, output cell.

#: The 5×5 integer input of ConvExampleExplainedClean (the README's picture) and Conv2FiltersExample.
EXAMPLE_INPUT = (
    (3, 0, 1, 2, 7),
    (1, 5, 8, 9, 3),
    (2, 7, 2, 5, 1),
    (0, 1, 3, 1, 7),
    (4, 2, 1, 6, 2),
)


def _all_steps(x, w, b=None, m=None) -> tuple:
    """``core.conv_step`` for every output pixel of ``conv2d(x, w, b)``, in raster order."""
    g = core.conv_geometry(np.shape(x), np.shape(w))
    return tuple(core.conv_step(x, w, i, j, b=b, m=m) for i in range(g.out_h) for j in range(g.out_w))


def _paren(v) -> str:
    """A factor as written in a product: negatives in parentheses."""
    return f"({fmt_num(v)})" if v < 0 else fmt_num(v)


def _sign_color(v) -> str:
    return theme.NEGATIVE if v < 0 else theme.POSITIVE if v > 0 else theme.MUTED


@dataclass(frozen=True)
class ProductSlot:
    """Where one channel's products are written while a position is explained.

    ``origin``: centre of the top-left product; ``pitch``: (across, down)
    between products; ``head``: the line above them ("" for none);
    ``sum_side``: the channel's sum goes to the RIGHT of the products or DOWN
    below them; ``color``: the sum's colour (a channel's colour in RGB);
    ``name``: the channel's name ("R"), written over its sum in the total.
    """

    origin: tuple
    pitch: tuple = (1.05, 0.5)
    head: str = "window × kernel, cell by cell"
    sum_side: str = "right"
    color: str = theme.OUTPUT
    name: str = ""

    def place(self, texts, cols: int) -> VGroup:
        g = VGroup()
        o = np.array([*self.origin[:2], 0.0])
        for k, t in enumerate(texts):
            g.add(t.move_to(o + [(k % cols) * self.pitch[0], -(k // cols) * self.pitch[1], 0]))
        return g


class NumericConvChoreography:
    """The numeric convolution family's one choreography (a mixin for :class:`CnnvizScene`).

    :meth:`explain_step`: the window's values fly into ``a×b`` products with the kernel's,
    the products appear, each channel's products add up, the channels' sums (and the one
    bias) add up, and the value drops into its output cell. The scenes lay out their grids
    and call it for the positions they explain in full; the later positions just fill in.
    """

    def explain_step(self, step: core.ConvStep, inputs, kernels, slots, value, bias=None, total_at=None,
                     expressions: bool = True):
        """Explain output pixel ``step`` (a ``core.ConvStep``) in full.

        ``inputs``/``kernels``: one :class:`ValueGrid` per channel (the input's and the
        kernel's slices, values shown); ``slots``: one :class:`ProductSlot` per channel;
        ``value``: the output cell's number (placed, not yet added); ``bias``: the bias's
        grid when the scene has one (its value is added after the channel sums);
        ``total_at``: where the sum of the channels (+ bias) is written, when there is more
        than one channel or a bias. ``expressions=False`` skips the ``a×b`` stage: the window's
        values turn straight into the products (a later position, once the first showed how).
        """
        C = len(slots)
        kh, kw = step.kernel.shape[:2]
        window = step.window.reshape(kh, kw, C)
        kernel = step.kernel.reshape(kh, kw, C)
        products = step.products.reshape(kh, kw, C)
        cells = [(a, b) for a in range(kh) for b in range(kw)]
        r0, c0 = step.window_pos

        exprs, prods, heads, sums = VGroup(), VGroup(), VGroup(), []
        for c, slot in enumerate(slots):
            exprs.add(slot.place([label(f"{fmt_num(window[a, b, c])}×{_paren(kernel[a, b, c])}", size=20, mono=True)
                                  for a, b in cells], kw))
            prods.add(slot.place([label(fmt_num(products[a, b, c]), size=22, mono=True,
                                        color=_sign_color(products[a, b, c])) for a, b in cells], kw))
            if slot.head:
                heads.add(label(slot.head, size=theme.SMALL_SIZE, color=theme.MUTED).next_to(exprs[c], UP, buff=0.25))
            single = C == 1 and bias is None
            s = VGroup(label("sum =" if C == 1 else "=", size=30 if single else theme.BODY_SIZE, color=slot.color),
                       label(fmt_num(step.channel_sums[c]), size=30 if single else theme.BODY_SIZE, color=slot.color))
            s.arrange(RIGHT, buff=0.2)
            if slot.sum_side == "down":
                s.next_to(exprs[c], DOWN, buff=0.25)
            else:
                s.next_to(exprs[c], RIGHT, buff=0.8 if single else 0.35)
            sums.append(s)
        sums = VGroup(*sums)

        sources = VGroup(*(inputs[c].label_at(r0 + a, c0 + b).copy() for c in range(C) for a, b in cells))
        pulse = [Indicate(k.labels, scale_factor=1.1) for k in kernels]
        if expressions:
            self.play(FadeIn(heads), ReplacementTransform(sources, exprs), *pulse, run_time=1.0)
            self.beat(0.4)
            self.play(ReplacementTransform(exprs, prods), run_time=0.6)
        else:
            self.play(FadeIn(heads), ReplacementTransform(sources, prods), *pulse, run_time=1.0)
        self.play(FadeIn(sums, shift=RIGHT * 0.3), run_time=0.6)
        self.beat(0.6)
        if C == 1 and bias is None:  # the sum is the output value
            self.play(ReplacementTransform(sums[0], value), FadeOut(prods), FadeOut(heads), run_time=0.8)
            return

        # the channels' sums (+ the bias) add up to the output value, each term named above it
        terms = [(slot.name or f"channel {c + 1}", step.channel_sums[c], slot.color) for c, slot in enumerate(slots)]
        if bias is not None:
            terms.append(("bias", step.bias, theme.BIAS))
        numbers = [label(_paren(v), color=col) for _, v, col in terms]
        names = VGroup(*(label(name, size=theme.SMALL_SIZE, color=theme.MUTED) for name, _, _ in terms))
        result = label(fmt_num(step.output), color=theme.OUTPUT)
        row = [numbers[0]]
        for number in numbers[1:]:
            row += [label("+"), number]
        row += [label("="), result]
        widths = {id(number): max(number.width, name.width) for number, name in zip(numbers, names)}
        x = 0.0
        for part in row:  # a term is as wide as its name
            w = widths.get(id(part), part.width)
            part.set_x(x + w / 2)
            x += w + 0.2
        line = VGroup(*row).move_to(total_at)
        edge = config.frame_width / 2 - 0.25  # keep the line in the frame
        line.shift(RIGHT * (min(0.0, edge - line.get_right()[0]) + max(0.0, -edge - line.get_left()[0])))
        for number, name in zip(numbers, names):
            name.next_to(number, UP, buff=0.2)
        top = max(name.get_y() for name in names)
        for name in names:
            name.set_y(top)
        ops = VGroup(*(part for part in row[:-1] if part not in numbers))
        moves = [TransformFromCopy(sums[c][1], numbers[c]) for c in range(C)]
        if bias is not None:
            moves.append(TransformFromCopy(bias.labels[0], numbers[-1]))
        self.play(*moves, FadeIn(ops), FadeIn(names), run_time=0.8)
        self.play(FadeIn(result, shift=RIGHT * 0.3), run_time=0.5)
        self.beat(0.6)
        self.play(ReplacementTransform(result, value), FadeOut(VGroup(prods, heads, sums, names, *line[:-1])),
                  run_time=0.8)


# ============================================================ ConvExampleExplainedClean
@dataclass(frozen=True)
class ConvExampleData:
    x: np.ndarray            # N×N input
    w: np.ndarray            # F×F kernel
    out: np.ndarray          # (N−F+1)×(N−F+1) output
    steps: tuple             # one core.ConvStep per output pixel, raster order
    n_explained: int         # the first steps shown with all their products


def conv_example_data(x=EXAMPLE_INPUT, w=None, n_explained: int = 2) -> ConvExampleData:
    """A 5×5 integer image and a vertical-edge kernel (``core.edge_kernel("vertical", "prewitt")``)."""
    x = np.asarray(x)
    w = core.edge_kernel("vertical", "prewitt") if w is None else np.asarray(w)
    out = core.conv2d(x, w)
    return ConvExampleData(x, w, out, _all_steps(x, w), n_explained)


class ConvExampleExplainedClean(NumericConvChoreography, CnnvizScene):
    data = staticmethod(conv_example_data)

    def construct(self):
        d = self.data()
        n, f, o = d.x.shape[0], d.w.shape[0], d.out.shape[0]
        head = title(f"Convolution: {core.fmt_shape(d.x.shape)} input ⊛ {core.fmt_shape(d.w.shape)} kernel "
                     f"→ {core.fmt_shape(d.out.shape)} output", size=30)

        x_grid = ValueGrid(d.x, color=theme.INPUT, cell_size=min(theme.CELL_SIZE, 3.6 / n))
        k_grid = ValueGrid(d.w, color=theme.KERNEL, cell_size=min(theme.CELL_SIZE, 2.4 / f),
                           font_size=x_grid.font_size)
        o_grid = ValueGrid(d.out, color=theme.OUTPUT, show_values=False, cell_size=min(0.75, 2.7 / o),
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

        # the products go under the kernel, the sum to their right
        kh, kw = d.w.shape
        pitch = (1.05, min(0.5, 1.75 / max(kh - 1, 1)))
        slot = ProductSlot(origin=(-0.85 - (kw - 1) * pitch[0] / 2, -1.85), pitch=pitch)

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
                self.explain_step(step, [x_grid], [k_grid], [slot], value)
            else:
                self.play(FadeIn(value, scale=1.6), run_time=0.35)

        done = caption(f"{len(d.steps)} positions → a {core.fmt_shape(d.out.shape)} feature map "
                       f"(N − F + 1 = {n} − {f} + 1 = {core.output_size(n, f)})", color=theme.OUTPUT)
        self.play(FadeOut(window), FadeOut(target), FadeIn(done), run_time=0.6)
        self.beat(1.5)
        self.clear_all()


# ============================================================ Conv2FiltersExample
@dataclass(frozen=True)
class TwoFiltersData:
    x: np.ndarray            # N×N input
    bank: np.ndarray         # F×F×1×M kernel bank (M = 2: a vertical- and a horizontal-edge kernel)
    names: tuple             # what each kernel detects
    out: np.ndarray          # (N−F+1)×(N−F+1)×M output: one map per kernel
    steps: tuple             # steps[m]: one core.ConvStep per output pixel of kernel m, raster order
    n_explained: int         # the first positions shown with all their products (for every kernel)


def two_filters_data(x=EXAMPLE_INPUT, kernels=None, names=("vertical edge", "horizontal edge"),
                     n_explained: int = 1) -> TwoFiltersData:
    """The same input as ConvExampleExplainedClean, two kernels: a vertical- and a horizontal-edge
    detector (``core.edge_kernel(..., "prewitt")``), stacked into an F×F×1×M bank."""
    x = np.asarray(x)
    if kernels is None:
        kernels = (core.edge_kernel("vertical", "prewitt"), core.edge_kernel("horizontal", "prewitt"))
    kernels = [np.asarray(k) for k in kernels]
    if len(names) != len(kernels):
        raise ValueError(f"two_filters_data: {len(kernels)} kernels but {len(names)} names")
    bank = np.stack(kernels, axis=-1)[:, :, None, :]  # F×F×1×M
    out = core.conv2d(x, bank)
    steps = tuple(_all_steps(x, bank, m=m) for m in range(bank.shape[3]))
    return TwoFiltersData(x, bank, tuple(names), out, steps, n_explained)


class Conv2FiltersExample(NumericConvChoreography, CnnvizScene):
    data = staticmethod(two_filters_data)

    def construct(self):
        d = self.data()
        n, f, M = d.x.shape[0], d.bank.shape[0], d.bank.shape[3]
        o = d.out.shape[0]
        head = title(f"One input, {M} kernels: {core.fmt_shape(d.x.shape)} ⊛ {core.fmt_shape(d.bank.shape)} "
                     f"→ {core.fmt_shape(d.out.shape)}", size=30)

        # the input on the left; one row per kernel: kernel = output map, then its products
        top, bottom = 2.95, -3.25
        row_h = (top - bottom) / M
        rows_y = [top - (r + 0.5) * row_h for r in range(M)]
        x_grid = ValueGrid(d.x, color=theme.INPUT, cell_size=min(theme.CELL_SIZE, 3.1 / n))
        x_grid.move_to([-6.85 + x_grid.width / 2, sum(rows_y) / M, 0])
        ck = min(theme.CELL_SIZE, (row_h - 0.9) / f, 2.2 / f)
        co = min(0.75, (row_h - 0.9) / o, 2.4 / o)
        k_grids = [ValueGrid(d.bank[:, :, 0, m], color=theme.KERNEL, cell_size=ck, font_size=x_grid.font_size)
                   for m in range(M)]
        k_names = [k.heading(f"kernel {m + 1}: {d.names[m]}") for m, k in enumerate(k_grids)]
        # one kernel column for every row, as wide as the kernels; headings may overhang into the gaps
        column = max(k_grids[0].width, *(t.width - 1.5 for t in k_names))
        k_x = x_grid.get_right()[0] + 0.9 + column / 2
        o_grids, marks, names, slots = [], VGroup(), VGroup(), []
        for m, y in enumerate(rows_y):
            k = k_grids[m].move_to([k_x, y - 0.15, 0])
            og = ValueGrid(d.out[:, :, m], color=theme.OUTPUT, show_values=False, cell_size=co,
                           font_size=x_grid.font_size)
            og.move_to([k_x + column / 2 + 0.9 + og.width / 2, y - 0.15, 0])
            marks.add(label("⊛", size=36).move_to([x_grid.get_right()[0] + 0.45, k.get_y(), 0]),
                      label("=", size=36).move_to([(k_x + column / 2 + og.get_left()[0]) / 2, k.get_y(), 0]))
            names.add(k_names[m].next_to(k, UP, buff=0.15), og.heading(f"map {m + 1}: {o}×{o}"))
            pitch = (1.05, min(0.5, (row_h - 1.3) / max(f - 1, 1)))
            slots.append(ProductSlot(origin=(og.get_right()[0] + 1.0, k.get_top()[1] - 0.25), pitch=pitch,
                                     head=f"window × kernel {m + 1}", sum_side="down"))
            o_grids.append(og)
        names.add(x_grid.heading(f"input {n}×{n}"))
        self.play(FadeIn(head), FadeIn(x_grid), *(FadeIn(g) for g in k_grids + o_grids), FadeIn(marks),
                  FadeIn(names), run_time=1.0)

        window = SlidingWindow(x_grid, f)
        targets = VGroup(*(og.window(0, 0, 1, 1, color=theme.HIGHLIGHT) for og in o_grids))
        self.play(Create(window), Create(targets), run_time=0.5)

        n_pos = len(d.steps[0])
        for k in range(n_pos):
            i, j = d.steps[0][k].out_pos
            if k:
                self.play(window.step_to(*d.steps[0][k].window_pos),
                          *(t.animate.move_to(og.cell(i, j)) for t, og in zip(targets, o_grids)),
                          run_time=0.5 if k < d.n_explained else 0.3)
            values = [og.value_label(i, j, d.steps[m][k].output) for m, og in enumerate(o_grids)]
            if k < d.n_explained:
                for m in range(M):
                    self.explain_step(d.steps[m][k], [x_grid], [k_grids[m]], [slots[m]], values[m])
            else:
                self.play(*(FadeIn(v, scale=1.6) for v in values), run_time=0.35)

        # the M maps stack into one output volume, one sheet per kernel
        right = o_grids[0].get_right()[0]
        stack = TensorStack(o, o, M, unit=co, colors=(theme.OUTPUT,), offset=0.3,
                            label_text=f"output {core.fmt_shape(d.out.shape)}")
        stack.shape_label.set_color(theme.OUTPUT)
        stack.move_to([(right + config.frame_width / 2) / 2, sum(rows_y) / M, 0])
        done = caption(f"{M} kernels → {M} maps of {o}×{o}, one per kernel, stacked: "
                       f"{core.fmt_shape(d.out.shape)}", color=theme.OUTPUT)
        self.play(FadeOut(window), FadeOut(targets), run_time=0.3)
        self.play(*(TransformFromCopy(og.cells, stack.sheet(m)) for m, og in enumerate(o_grids)),
                  FadeIn(stack.shape_label), FadeIn(done), run_time=1.0)
        self.beat(1.5)
        self.clear_all()


# ============================================================ RGBConvStepByStepCentered
#: A small 5×5 RGB input, one 5×5 matrix per channel (R, G, B), and one 3×3 kernel slice per channel.
RGB_CHANNELS = (
    ((4, 2, 1, 2, 4), (2, 3, 1, 0, 1), (4, 4, 0, 2, 4), (4, 1, 2, 2, 1), (2, 4, 1, 2, 3)),
    ((2, 4, 1, 1, 3), (1, 2, 2, 0, 0), (3, 2, 2, 0, 0), (3, 4, 0, 1, 0), (4, 3, 1, 4, 3)),
    ((1, 4, 2, 1, 4), (1, 2, 0, 4, 0), (0, 0, 3, 2, 3), (1, 3, 1, 1, 4), (3, 1, 1, 3, 1)),
)
RGB_KERNEL_SLICES = (
    ((1, 0, -1), (1, 0, -1), (1, 0, -1)),
    ((0, -1, 0), (-1, 2, -1), (0, -1, 0)),
    ((1, 1, 1), (0, 0, 0), (-1, -1, -1)),
)


@dataclass(frozen=True)
class RGBConvData:
    x: np.ndarray            # N×N×3 input, channels last
    w: np.ndarray            # F×F×3 kernel: one F×F slice per channel
    b: int | float           # the kernel's one bias
    out: np.ndarray          # (N−F+1)×(N−F+1) output: ONE map
    steps: tuple             # one core.ConvStep per output pixel (channel_sums, total, bias, output)
    n_explained: int         # the first positions shown in full
    channel_names: tuple     # ("R", "G", "B")


def rgb_conv_data(channels=RGB_CHANNELS, kernel_slices=RGB_KERNEL_SLICES, bias=1, n_explained: int = 2,
                  channel_names=("R", "G", "B")) -> RGBConvData:
    """An N×N×C input (one matrix per channel) convolved with one F×F×C kernel (one slice per
    channel) and its single bias: ``core.conv2d`` gives one (N−F+1)×(N−F+1) map."""
    x = np.stack([np.asarray(c) for c in channels], axis=-1)
    w = np.stack([np.asarray(k) for k in kernel_slices], axis=-1)
    if len(channel_names) != x.shape[2]:
        raise ValueError(f"rgb_conv_data: {x.shape[2]} channels but {len(channel_names)} channel names")
    out = core.conv2d(x, w, bias)
    return RGBConvData(x, w, bias, out, _all_steps(x, w, b=bias), n_explained, tuple(channel_names))


class RGBConvStepByStepCentered(NumericConvChoreography, CnnvizScene):
    data = staticmethod(rgb_conv_data)

    def construct(self):
        d = self.data()
        n, f, C = d.x.shape[0], d.w.shape[0], d.x.shape[2]
        o = d.out.shape[0]
        colors = [theme.CHANNELS[c % 3] if C == 3 else theme.INPUT for c in range(C)]
        head = title(f"{core.fmt_shape(d.x.shape)} input ⊛ {core.fmt_shape(d.w.shape)} kernel + 1 bias "
                     f"→ {core.fmt_shape(d.out.shape)}: one map", size=30)

        # one row per channel: channel ⊛ kernel slice → products → channel sum; the output on the right
        top, bottom, gap = 2.7, -3.8, 0.2
        row_h = (top - bottom - gap * (C - 1)) / C
        rows_y = [top - row_h / 2 - r * (row_h + gap) for r in range(C)]
        ci = min(theme.CELL_SIZE, row_h / n)
        ck = min(theme.CELL_SIZE, row_h / f)
        font = max(theme.MIN_FONT, theme.CELL_FONT * ci / theme.CELL_SIZE)
        x_grids, k_grids, tags, marks, slots = [], [], VGroup(), VGroup(), []
        pitch = (1.05, min(0.5, (row_h - 0.35) / max(f - 1, 1)))
        for c, y in enumerate(rows_y):
            tag = label(d.channel_names[c], size=30, color=colors[c], weight="BOLD").move_to([-6.8, y, 0])
            xg = ValueGrid(d.x[:, :, c], color=colors[c], cell_size=ci, font_size=font)
            xg.move_to([tag.get_right()[0] + 0.2 + xg.width / 2, y, 0])
            kg = ValueGrid(d.w[:, :, c], color=theme.KERNEL, cell_size=ck, font_size=font)
            kg.move_to([xg.get_right()[0] + 0.75 + kg.width / 2, y, 0])
            marks.add(label("⊛", size=32).move_to([(xg.get_right()[0] + kg.get_left()[0]) / 2, y, 0]))
            slots.append(ProductSlot(origin=(kg.get_right()[0] + 1.2, y + pitch[1] * (f - 1) / 2), pitch=pitch,
                                     head="window × kernel" if c == 0 else "", color=colors[c],
                                     name=d.channel_names[c]))
            tags.add(tag)
            x_grids.append(xg)
            k_grids.append(kg)
        names = VGroup(x_grids[0].heading(f"input {core.fmt_shape(d.x.shape)}").set_color(theme.INPUT),
                       k_grids[0].heading(f"kernel {core.fmt_shape(d.w.shape)}"))

        # the right panel: the output map, the one bias, the sum of the channels
        panel_x = (slots[0].origin[0] + (f - 1) * pitch[0] + 1.9 + config.frame_width / 2) / 2
        o_grid = ValueGrid(d.out, color=theme.OUTPUT, show_values=False, cell_size=min(0.75, 2.3 / o),
                           font_size=theme.CELL_FONT)
        o_grid.move_to([panel_x, top - 0.1 - o_grid.height / 2, 0])
        b_grid = ValueGrid(np.array([[d.b]]), color=theme.BIAS, cell_size=0.75, font_size=theme.CELL_FONT)
        b_grid.next_to(o_grid, DOWN, buff=0.75)
        b_name = label("bias", size=theme.SMALL_SIZE, color=theme.BIAS).next_to(b_grid, LEFT, buff=0.25)
        names.add(o_grid.heading(f"output {core.fmt_shape(d.out.shape)}"), b_name)
        total_at = [panel_x, b_grid.get_bottom()[1] - 0.8, 0]
        self.play(FadeIn(head), FadeIn(tags), *(FadeIn(g) for g in x_grids + k_grids), FadeIn(marks),
                  FadeIn(o_grid), FadeIn(b_grid), FadeIn(names), run_time=1.0)

        windows = VGroup(*(SlidingWindow(g, f) for g in x_grids))
        windows.set_stroke(width=4)  # the channels' cells are small: a thinner frame keeps their numbers clear
        target = o_grid.window(0, 0, 1, 1, color=theme.HIGHLIGHT)
        self.play(Create(windows), Create(target), run_time=0.5)

        for k, step in enumerate(d.steps):
            i, j = step.out_pos
            if k:
                self.play(*(w.step_to(*step.window_pos) for w in windows), target.animate.move_to(o_grid.cell(i, j)),
                          run_time=0.5 if k < d.n_explained else 0.3)
            value = o_grid.value_label(i, j, step.output)
            if k < d.n_explained:
                self.explain_step(step, x_grids, k_grids, slots, value, bias=b_grid, total_at=total_at,
                                  expressions=k == 0)  # the a×b products in full once, then straight to them
            else:
                self.play(FadeIn(value, scale=1.6), run_time=0.35)

        done = VGroup(label(f"{C} channel sums + 1 bias", color=theme.OUTPUT),
                      label("→ one number per position", color=theme.OUTPUT),
                      label(f"→ ONE {o}×{o} map", color=theme.OUTPUT)).arrange(DOWN, buff=0.15)
        done.move_to([(k_grids[0].get_right()[0] + b_name.get_left()[0]) / 2, sum(rows_y) / C, 0])  # in the middle
        self.play(FadeOut(windows), FadeOut(target), FadeIn(done), run_time=0.6)
        self.beat(1.5)
        self.clear_all()


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
    return interpolate_color(ManimColor(theme.BACKGROUND), ManimColor(color), 0.45)


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
        self.beat(0.6)
        self.play(FadeIn(star), LaggedStart(*(FadeIn(flt) for flt in filters), lag_ratio=0.3), FadeIn(heading),
                  run_time=1.0)
        self.play(Create(arrow), FadeIn(slots), run_time=0.6)
        self.beat(0.8)
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
                self.beat(0.5)

        done = caption(d.equation, size=30, color=theme.OUTPUT)
        self.play(FadeIn(out.shape_label), FadeIn(done), run_time=0.8)
        self.beat(2.0)
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
        self.beat(0.6)

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
        self.beat(0.6)

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
        self.beat(1.0)

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
    error: str               # … and the core's own ValueError message about them


def conv_dimensions_data(n: int = 5, f: int = 3, c: int = 3, m: int = 5,
                         bad_input=(3, 3, 1), bad_kernel=(2, 2, 3)) -> ConvDimensionsData:
    """The size rule (N×N×C) ⊗ (F×F×C×M) → (N−F+1)×(N−F+1)×M with an instance (FullCNNSequence's
    5×5×3 and five 3×3×3 filters), and the channel rule as the core enforces it: ``core.conv2d``
    on a 3×3×1 input with a 2×2×3 kernel (the notebook's warning) raises, and its message is kept."""
    in_shape, bank_shape = (n, n, c), (f, f, c, m)
    out_shape = core.conv_output_shape(in_shape, bank_shape)
    try:
        core.conv2d(np.zeros(bad_input), np.zeros(bad_kernel))
    except ValueError as exc:
        error = str(exc)
    else:
        raise ValueError(f"conv_dimensions_data: the core accepts a {core.fmt_shape(bad_input)} input with a "
                         f"{core.fmt_shape(bad_kernel)} kernel, so there is no error to show")
    return ConvDimensionsData(n, f, c, m, in_shape, bank_shape, out_shape, core.output_size(n, f),
                              tuple(bad_input), tuple(bad_kernel), error)


def _sym(name: str, text=None) -> str:
    """A formula symbol (or its value) in the symbol's colour."""
    return rf"{{\color{{{theme.SYMBOL_COLORS[name]}}}{name if text is None else text}}}"


class ConvDimensionsSimpleCentered(CnnvizScene):
    data = staticmethod(conv_dimensions_data)

    def construct(self):
        d = self.data()
        fs = core.fmt_shape
        head = title("The dimensions of a convolution output")
        N, F, C, M = (_sym(k) for k in "NFCM")
        rule = Formula(rf"({N} \times {N} \times {C}) \otimes ({F} \times {F} \times {C} \times {M}) \rightarrow "
                       rf"({N} - {F} + 1) \times ({N} - {F} + 1) \times {M}", font_size=40)
        fit_width(rule, config.frame_width - 0.8)
        rule.next_to(head, DOWN, buff=0.5)
        legend = VGroup(*(label(f"{k}: {what}", size=theme.SMALL_SIZE, color=theme.SYMBOL_COLORS[k])
                          for k, what in (("N", "input size"), ("F", "kernel size"), ("C", "channels"),
                                          ("M", "number of filters")))).arrange(RIGHT, buff=0.7, aligned_edge=UP)
        legend.next_to(rule, DOWN, buff=0.35)
        self.play(FadeIn(head), Write(rule), run_time=1.4)
        self.play(FadeIn(legend), run_time=0.6)
        self.beat(1.0)

        # 1. an instance: every size from the core
        n, f, c, m = (_sym(k, v) for k, v in zip("NFCM", (d.n, d.f, d.c, d.m)))
        result = r" \times ".join(str(v) for v in d.out_shape)  # the core's output shape
        inst = Formula(rf"({n} \times {n} \times {c}) \otimes ({f} \times {f} \times {c} \times {m}) \rightarrow "
                       rf"({n} - {f} + 1) \times ({n} - {f} + 1) \times {m} = "
                       rf"{{\color{{{theme.OUTPUT}}}\mathbf{{{result}}}}}", font_size=34)
        fit_width(inst, config.frame_width - 0.8)
        inst.next_to(legend, DOWN, buff=0.55)
        f_colors = [theme.kernel_color(k) for k in range(d.m)]
        c_colors = list(theme.CHANNELS) if d.c == 3 else [theme.INPUT]
        inp = TensorStack(d.n, d.n, d.c, unit=0.6, colors=c_colors, max_side=2.8,
                          label_text=f"input {fs(d.in_shape)}")
        bank = VGroup(*(TensorStack(d.f, d.f, d.c, unit=0.4, colors=(col,), offset=0.12, max_side=1.2, label_text="")
                        for col in f_colors[:8]))
        bank.arrange(RIGHT, buff=0.2)
        fit_width(bank, 5.0)
        bank_label = label(f"{d.m} filters: {fs(d.bank_shape)}", size=theme.SMALL_SIZE, color=theme.KERNEL)
        out = TensorStack(d.out_shape[0], d.out_shape[1], d.m, unit=0.6, colors=f_colors, max_side=2.2,
                          offset=min(0.16, 1.0 / max(d.m - 1, 1)), label_text=f"output {fs(d.out_shape)}")
        out.shape_label.set_color(theme.OUTPUT)
        otimes, arrow = label("⊗", size=36), label("→", size=36)
        row = VGroup(inp, otimes, bank, arrow, out).arrange(RIGHT, buff=0.5)
        fit_width(row, config.frame_width - 0.8)
        row.next_to(inst, DOWN, buff=0.5)
        bank_label.next_to(bank, DOWN, buff=0.2).align_to(inp.shape_label, DOWN)
        self.play(Write(inst), run_time=1.4)
        self.play(FadeIn(inp), FadeIn(otimes), LaggedStart(*(FadeIn(b) for b in bank), lag_ratio=0.2),
                  FadeIn(bank_label), run_time=1.2)
        self.play(FadeIn(arrow), FadeIn(out), run_time=0.8)
        self.beat(2.0)
        self.play(FadeOut(VGroup(inst, inp, otimes, bank, bank_label, arrow, out)), run_time=0.6)

        # 2. the channel rule, as the core enforces it
        warn = label("The input and the kernels must have the same number of channels C",
                     size=theme.BODY_SIZE, color=theme.HIGHLIGHT)
        fit_width(warn, config.frame_width - 0.8)
        warn.next_to(legend, DOWN, buff=0.35)
        bi, bk = d.bad_input, d.bad_kernel
        b_in = TensorStack(bi[0], bi[1], bi[2] if len(bi) > 2 else 1, unit=0.4, colors=(theme.INPUT,), max_side=1.3,
                           label_text=f"input {fs(bi)}")
        b_k = TensorStack(bk[0], bk[1], bk[2] if len(bk) > 2 else 1, unit=0.4, colors=(theme.KERNEL,), max_side=1.3,
                          label_text=f"kernel {fs(bk)}")
        cross = label("✗", size=60, color=theme.NEGATIVE)
        pair = VGroup(b_in, label("⊗", size=36), b_k, cross).arrange(RIGHT, buff=0.6)
        pair.next_to(warn, DOWN, buff=0.3)
        counts = VGroup(*(label(f"{k} channel{'s' * (k != 1)}", size=theme.SMALL_SIZE, color=theme.NEGATIVE)
                          .next_to(stack.shape_label, DOWN, buff=0.12)
                          for stack, k in ((b_in, b_in.shape[2]), (b_k, b_k.shape[2]))))
        for t in counts:  # on one line
            t.set_y(min(u.get_y() for u in counts))
        pair.add(counts)
        lines = textwrap.wrap(f"ValueError: {d.error}", width=54)
        msg = VGroup(*(label(t, size=theme.SMALL_SIZE, mono=True, color=theme.TEXT) for t in lines))
        msg.arrange(DOWN, aligned_edge=LEFT, buff=0.12)
        fit_width(msg, config.frame_width - 1.4)
        said = label("core.conv2d refuses it:", size=theme.SMALL_SIZE, color=theme.MUTED)
        box = VGroup(said, msg).arrange(DOWN, aligned_edge=LEFT, buff=0.2)
        frame = SurroundingRectangle(box, color=theme.NEGATIVE, buff=0.25, stroke_width=3)
        VGroup(box, frame).next_to(pair, DOWN, buff=0.3)
        self.play(FadeIn(warn), run_time=0.6)
        self.play(FadeIn(pair[:3]), run_time=0.8)
        self.play(FadeIn(counts), run_time=0.5)
        self.play(FadeIn(cross, scale=1.5), Create(frame), FadeIn(box), run_time=1.0)
        self.beat(3.0)
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
        a1_len, buff, k_gap, k_off = 1.0, 0.25, 0.12, (nc_in - 1) * 0.08

        def sizes(cols):  # the input's side and a kernel's unit with the kernels in ``cols`` columns
            rows = -(-drawn // cols)
            k_unit = ((col_h - k_gap * (rows - 1)) / rows - k_off) / f
            fixed_w = (nc_in - 1) * 0.16 + (nc_out - 1) * 0.16 + a1_len + a2_len + 4 * buff \
                + cols * (f * k_unit + k_off) + (cols - 1) * k_gap
            side = min(top - bottom - lab_h - (nc_in - 1) * 0.16,                  # the input's height
                       (top - bottom - lab_h - (nc_out - 1) * 0.16) * d.n / oh,     # the output's height
                       (room_w - fixed_w) / (1 + oh / d.n))                         # the row's width
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
        a2 = Arrow([xs[3] - a2_len / 2, y_mid, 0], [xs[3] + a2_len / 2, y_mid, 0], buff=0,
                   stroke_color=theme.MUTED, stroke_width=4)
        self.play(FadeIn(head), FadeIn(x_stack), FadeIn(kernels), FadeIn(k_name), GrowArrow(a1), FadeIn(star),
                  run_time=1.0)
        stack = last_note = None
        for k in range(m):
            new = place(out_stack(k + 1)) if k < m - 1 else place(final)
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
        depth = label(note_text, size=theme.BODY_SIZE, color=theme.OUTPUT)
        depth.next_to(a2, DOWN, buff=0.15)
        self.play(ReplacementTransform(note, depth), run_time=0.5)
        self.beat(1.0)

        # the parameters of the layer: F·F·C·M weights + M biases, for each kernel size
        self.play(FadeIn(p_head), Write(general), run_time=0.8)
        for tag, line in rows:
            self.play(FadeIn(tag), Write(line), run_time=0.9)
            self.beat(0.6)
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
                         peak=peak, display=map_pixels(response, (0, peak), magnitude=True), channel_peak=channel_peak,
                         channel_displays=tuple(map_pixels(r, (0, channel_peak), magnitude=True) for r in channels)))
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
