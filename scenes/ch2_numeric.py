"""Chapter 2, section I — the convolution operator with numbers: a window, its products, their sum and the output cell (``NumericConvChoreography``), for one filter, two filters and three channels with a bias.

Each scene: a pure data function (inputs → every number shown, from ``cnnviz.core``)
and the choreography that draws it with the shared drawings.
Render one with ``manim -ql scenes/ch2_numeric.py ConvExampleExplainedClean``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    Create,
    FadeIn,
    FadeOut,
    Indicate,
    ReplacementTransform,
    TransformFromCopy,
    VGroup,
    config,
)

from cnnviz import core, theme
from cnnviz.params import Grid, Param
from cnnviz.drawings import (
    CnnvizScene,
    SlidingWindow,
    TensorStack,
    ValueGrid,
    caption,
    fmt_factor,
    fmt_num,
    label,
    title,
)


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
            exprs.add(slot.place([label(f"{fmt_num(window[a, b, c])}×{fmt_factor(kernel[a, b, c])}", size=20, mono=True)
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
            self.beat(hold=0.4)
            self.play(ReplacementTransform(exprs, prods), run_time=0.6)
        else:
            self.play(FadeIn(heads), ReplacementTransform(sources, prods), *pulse, run_time=1.0)
        self.play(FadeIn(sums, shift=RIGHT * 0.3), run_time=0.6)
        self.beat(hold=0.6)
        if C == 1 and bias is None:  # the sum is the output value
            self.play(ReplacementTransform(sums[0], value), FadeOut(prods), FadeOut(heads), run_time=0.8)
            return

        # the channels' sums (+ the bias) add up to the output value, each term named above it
        terms = [(slot.name or f"channel {c + 1}", step.channel_sums[c], slot.color) for c, slot in enumerate(slots)]
        if bias is not None:
            terms.append(("bias", step.bias, theme.BIAS))
        numbers = [label(fmt_factor(v), color=col) for _, v, col in terms]
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
        self.beat(hold=0.6)
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


def conv_example_data(
    x: Annotated[Grid, Param("the input image: rows of numbers", min=-999, max=999, max_shape=(6, 6),
                             noun="input")] = EXAMPLE_INPUT,
    w: Annotated[Grid | None, Param("the kernel (default: a 3×3 vertical-edge detector)", min=-99, max=99,
                                    max_shape=(5, 5), noun="kernel")] = None,
    n_explained: Annotated[int, Param("how many window positions are explained product by product",
                                      min=0, max=4)] = 2,
) -> ConvExampleData:
    """A 5×5 integer image and a vertical-edge kernel (``core.edge_kernel("vertical", "prewitt")``)."""
    x = np.asarray(x)
    w = core.edge_kernel("vertical", "prewitt") if w is None else np.asarray(w)
    for name, a in (("input", x), ("kernel", w)):  # the scene labels both N×N and F×F
        if a.ndim == 2 and a.shape[0] != a.shape[1]:
            raise ValueError(f"this scene draws a square {name}: got {core.fmt_shape(a.shape)}")
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
        self.beat(hold=1.5)
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
        self.beat(hold=1.5)
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
        self.beat(hold=1.5)
        self.clear_all()
