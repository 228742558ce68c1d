"""Chapter 3, section II — the convolution as a neural-network layer: shared weights and one bias, the activation, sparse versus dense connections, and the dimensions of real layers.

Each scene: a pure data function (inputs → every number shown, from ``cnnviz.core``)
and the choreography that draws it with the shared drawings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

import numpy as np
from manim import (
    DOWN,
    LEFT,
    ORIGIN,
    RIGHT,
    UP,
    Arrow,
    Axes,
    Circumscribe,
    Create,
    DashedLine,
    Dot,
    FadeIn,
    FadeOut,
    GrowArrow,
    Line,
    ReplacementTransform,
    TransformFromCopy,
    VGroup,
    config,
)

from cnnviz import core, notation, theme
from cnnviz.drawings import (
    CnnvizScene,
    KernelGrid,
    NeuronLayer,
    TensorStack,
    ValueGrid,
    caption,
    connect,
    contrast_text,
    fit_width,
    fmt_int,
    fmt_num,
    label,
    shade_signed,
    sub,
    title,
)
from cnnviz.formula import Formula
from cnnviz.params import Grid, Param


# ============================================================ ConvView_Final_Title_SharedBias
@dataclass(frozen=True)
class PaddedEdge:
    """One weighted edge of the layer view, on the padded input: output ``out_index`` (row-major), padded input
    cell ``cell`` (row-major in the padded grid), kernel weight ``weight_index``; ``pad``: the cell is a padding
    zero (its edge carries weight × 0), else ``in_index`` is its input neuron (row-major in X)."""

    out_index: int
    cell: int
    weight_index: int
    pad: bool
    in_index: int | None


@dataclass(frozen=True)
class SharedWeightsData:
    x: np.ndarray            # H×W input x₁₁ … (the notebook: 3×3)
    w: np.ndarray            # kh×kw kernel w₁ … (the notebook: 2×2, row-major numbering)
    b: int | float           # the one bias of the filter
    stride: int              # how far the window moves per step
    padding: int             # rings of zeros around X
    xp: np.ndarray           # X with its rings of zeros: the input column, row-major
    pad_mask: np.ndarray     # True where xp is a padding zero
    z: np.ndarray            # conv2d(x, w, b, stride, padding): z₁ … row-major
    steps: tuple             # one core.ConvStep per output, raster order
    edges: tuple             # core.conv_connections: (output, input, weight) of every edge from an input neuron
    cell_edges: tuple        # PaddedEdge: every kernel cell of every window, padding zeros included
    pad_edges: int           # the edges from padding zeros (weight × 0: they add nothing)
    dense_edges: int         # the edges a dense layer between the same neurons would have
    weights: int             # learnable weights of the layer (shared by every output)
    biases: int              # learnable biases (one per filter)
    n_explained: int         # outputs explained term by term; the rest go faster


#: The most output neurons the layer view draws readably (their values, names and edges), measured with the
#: layout check on the widest numbers the limits allow (b = -99, every x and w ±9) and 4 outputs worked out:
#: 8 pass (a 4×4 input, a 1×3 kernel); 9 (a 2×2 kernel) put a result over an output's name, and last over 40 s.
MAX_SHARED_OUTPUTS = 8
#: The input column's height, in places: two input neurons next to each other are one place apart, a step to
#: or from a padding zero (drawn smaller, unnamed) half a place. 18.5 places (a 4×3 input with padding 1, or 2×2
#: with padding 2) keep a gap of at least NAME_GAP between named neighbours (their step is 0.25 units, a name
#: 0.17 tall); the next column, 19 places (3×4 with padding 1), does not. (The layout check's boxes pass up to 32, a 3×4 input with
#: padding 2, but there, rendered, the names' glyphs touch.)
MAX_COLUMN_PLACES = 18.5
#: the gap kept between two input names, one above the other (4 px at 480p): chosen by looking at the renders
NAME_GAP = 0.08
#: the room the input column fills, top to bottom
COLUMN_TOP, COLUMN_BOTTOM = 2.85, -2.15


def column_spacing(places: float) -> float:
    """The step between two named input neurons in a column ``places`` tall (a padding step is half of it)."""
    return min(0.62, (COLUMN_TOP - COLUMN_BOTTOM) / (places + 1.4))


def column_places(pad_mask: np.ndarray) -> float:
    """The input column's height in places (see :data:`MAX_COLUMN_PLACES`): ``pad_mask`` row-major."""
    flat = np.asarray(pad_mask).ravel()
    return float(sum(1.0 if not (a or b) else 0.5 for a, b in zip(flat[:-1], flat[1:])))


def shared_weights_data(
    x: Annotated[Grid, Param("the input map X: rows of numbers (the notebook's x₁₁ … x₃₃)", min=-9, max=9,
                             max_shape=(4, 4), noun="input")] = ((2, 0, 1), (1, 3, 2), (0, 1, 4)),
    w: Annotated[Grid, Param("the kernel W: rows of weights (the notebook's w₁ … w₄)", min=-9, max=9,
                             max_shape=(3, 3), noun="kernel")] = ((-1, 2), (1, -2)),
    b: Annotated[float, Param("the filter's one bias b, shared by every output", min=-99, max=99)] = 1,
    stride: Annotated[int, Param("how many cells the window moves per step (at most 4: the farthest a window "
                                 "can move in the largest padded input drawn, 7 cells with a 3-cell kernel)", min=1,
                                 max=4)] = 1,
    padding: Annotated[int, Param("rings of zeros around X, drawn as padding neurons (less than the kernel's "
                                  "side: a wider ring gives windows that see only zeros)", min=0, max=2)] = 0,
    n_explained: Annotated[int, Param("how many outputs are worked out term by term (the rest go faster; 5 of "
                                      "8 outputs with a 3×3 kernel last over 40 s)", min=0, max=4)] = 2,
) -> SharedWeightsData:
    """The notebook's II.1–II.2 layout (3×3 input, 2×2 kernel, one bias) with small integers.

    The notebook names x₁₁…x₃₃, w₁…w₄ and b without values; these give
    z with both signs, which ActivationFunctionStep then passes through ReLU. With ``padding``, the zeros
    around X are input neurons too (padding neurons: their edges carry weight × 0); with ``stride``, the
    windows, and so each output's edges, move that many cells.
    """
    x, w = np.asarray(x), np.asarray(w)
    for name, a in (("x", x), ("w", w)):
        if a.ndim != 2 or a.size == 0:
            raise ValueError(f"{name}: rows of numbers of equal length, got shape {core.fmt_shape(a.shape)}")
    for name, v, lo in (("stride", stride, 1), ("padding", padding, 0)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
            raise ValueError(f"{name}: a whole number of at least {lo}, got {v!r}")
    stride, padding = int(stride), int(padding)
    if padding >= min(w.shape):
        raise ValueError(f"padding: a padding of {padding} around a {core.fmt_shape(w.shape)} kernel gives windows "
                         f"that see only zeros: at most {min(w.shape) - 1} (less than the kernel's side)")
    xp = np.pad(x, padding)
    if w.shape[0] > xp.shape[0] or w.shape[1] > xp.shape[1]:
        padded = f" (padded {core.fmt_shape(xp.shape)})" if padding else ""
        raise ValueError(f"w: a {core.fmt_shape(w.shape)} kernel does not fit in the {core.fmt_shape(x.shape)} "
                         f"input{padded}")
    pad_mask = np.pad(np.zeros(x.shape, dtype=bool), padding, constant_values=True)
    places = column_places(pad_mask)
    if places > MAX_COLUMN_PLACES:
        raise ValueError(f"padding: padding {padding} makes the {core.fmt_shape(x.shape)} input a column of "
                         f"{xp.size} neurons ({int(pad_mask.sum())} padding zeros), {fmt_num(places)} places tall: a "
                         f"column of at most {fmt_num(MAX_COLUMN_PLACES)} places (e.g. a 4×3 input with padding 1) "
                         "fits this scene at a readable size")
    out_shape = core.conv_output_shape(x.shape, w.shape, stride, padding)
    if int(np.prod(out_shape)) > MAX_SHARED_OUTPUTS:
        raise ValueError(f"w: a {core.fmt_shape(w.shape)} kernel on a {core.fmt_shape(x.shape)} input "
                         f"(stride {stride}, padding {padding}) gives {int(np.prod(out_shape))} outputs: at most "
                         f"{MAX_SHARED_OUTPUTS} output neurons fit this scene at a readable size (use a larger kernel, "
                         "a larger stride or a smaller input)")
    if isinstance(b, float) and b.is_integer():
        b = int(b)
    z = core.conv2d(x, w, b, stride, padding)
    steps = tuple(core.conv_step(x, w, i, j, stride=stride, padding=padding, b=b)
                  for i in range(z.shape[0]) for j in range(z.shape[1]))
    edges = core.conv_connections(x.shape, w.shape, stride, padding)
    (kh, kw), wp = w.shape, xp.shape[1]
    cell_edges = []
    for k, step in enumerate(steps):
        r0, c0 = step.window_pos
        for a in range(kh):
            for c in range(kw):
                r, col = r0 + a, c0 + c
                pad = bool(pad_mask[r, col])
                cell_edges.append(PaddedEdge(k, r * wp + col, a * kw + c, pad,
                                             None if pad else (r - padding) * x.shape[1] + col - padding))
    n_w, n_b = core.conv_param_terms(w.shape, 1, 1)
    return SharedWeightsData(x, w, b, stride, padding, xp, pad_mask, z, steps, edges, tuple(cell_edges),
                             sum(e.pad for e in cell_edges), dense_edges=x.size * z.size, weights=n_w, biases=n_b,
                             n_explained=n_explained)


def shared_weights_summary(d: SharedWeightsData) -> tuple[str, ...]:
    """The scene's last lines, from the sizes: the edges drawn from input neurons (the bias edges, and those from
    padding zeros, counted apart) against a dense layer's, and the parameters the layer learns."""
    n_out = d.z.size
    lines = [f"{fmt_int(len(d.edges))} weighted edges (+{fmt_int(n_out)} bias), "
             f"not the {fmt_int(d.dense_edges)} of a dense layer"]
    if d.pad_edges:
        lines.append(f"and {fmt_int(d.pad_edges)} edge{'s' if d.pad_edges != 1 else ''} from padding zeros, "
                     "which add 0")
    lines.append(f"only {fmt_int(d.weights)} weights + {fmt_int(d.biases)} bias = "
                 f"{fmt_int(d.weights + d.biases)} parameters")
    return tuple(lines)


def _grid_names(prefix: str, shape) -> list[str]:
    """x₁₁ … names of a matrix's entries (row, column from 1) — the notebook's notation."""
    rows, cols = shape
    return [f"{prefix}{sub(f'{i + 1}{j + 1}')}" for i in range(rows) for j in range(cols)]


def _flat_names(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{sub(k + 1)}" for k in range(n)]


def _tex_num(v) -> str:
    return f"({fmt_num(v)})" if v < 0 else fmt_num(v)


class ConvView_Final_Title_SharedBias(CnnvizScene):
    data = staticmethod(shared_weights_data)

    def construct(self):
        d = self.data()
        Hp, Wp = d.xp.shape
        kh, kw = d.w.shape
        oh, ow = d.z.shape
        n_in, n_out, P, S = d.x.size, d.z.size, d.padding, d.stride
        head = title("Convolution = a layer of neurons with shared weights", size=32)

        # --- left: the input grid (with its rings of zeros), the kernel and the bias
        cell = min(0.8, 2.6 / max(Hp, Wp))  # the numbers never below the smallest font: the cells widen if need be
        x_grid = ValueGrid(d.xp, color=theme.INPUT, cell_size=cell, font_size=max(theme.MIN_FONT, 26 * cell / 0.8))
        for (i, j), pad in np.ndenumerate(d.pad_mask):
            if pad:
                x_grid.cell(i, j).set_fill(theme.PADDING, opacity=1).set_stroke(theme.GRID_LINE)
                x_grid.label_at(i, j).set_color(theme.PAD_LABEL)
        x_grid.move_to([-5.3, 0, 0]).align_to([0, 2.75, 0], UP)
        x_grid.shift(RIGHT * max(0.0, -6.7 - x_grid.get_left()[0]))
        x_head = x_grid.heading(f"input X {core.fmt_shape(d.x.shape)}" + (f" + padding {P}" if P else ""))
        x_head.shift(RIGHT * max(0.0, -config.frame_width / 2 + theme.EDGE_MARGIN + 0.05 - x_head.get_left()[0]))
        kcell = min(0.85, 2.2 / max(kh, kw))
        k_grid = KernelGrid(d.w, cell_size=kcell)
        b_box = ValueGrid(np.array([[d.b]]), color=theme.BIAS, cell_size=kcell, font_size=k_grid.font_size)
        VGroup(k_grid, b_box).arrange(RIGHT, buff=0.55).move_to([-5.0, 0, 0])
        VGroup(k_grid, b_box).shift(UP * (min(-0.5, x_grid.get_bottom()[1] - 0.6) - k_grid.get_top()[1]))
        k_head = k_grid.heading(f"kernel W {core.fmt_shape(d.w.shape)}")
        k_head.set_color(theme.KERNEL)
        b_head = label("bias b", size=theme.SMALL_SIZE, color=theme.BIAS).next_to(b_box, UP, buff=0.15)
        b_head.align_to(k_head, DOWN)
        clash = k_head.get_right()[0] + 0.3 - b_head.get_left()[0]
        if clash > 0:  # a narrow kernel: its heading is wider than its cells, the bias moves right
            VGroup(b_box, b_head).shift(RIGHT * clash)

        # --- middle: the same numbers as a layer of neurons (padding zeros smaller, unnamed), plus the bias neuron
        top = COLUMN_TOP
        spacing = column_spacing(column_places(d.pad_mask))
        radius = min(0.24, spacing * 0.4)
        pads = d.pad_mask.ravel()
        inputs = NeuronLayer(d.xp.size, radius=radius, spacing=spacing, color=theme.INPUT)
        y = top
        for k, neuron in enumerate(inputs.neurons):
            if k:
                y -= spacing if not (pads[k - 1] or pads[k]) else spacing / 2
            if pads[k]:
                neuron.scale(0.42).set_stroke(theme.PAD_LABEL, width=2).set_fill(theme.PADDING, opacity=1)
            neuron.move_to([-1.7, y, 0])
        real = [k for k in range(d.xp.size) if not pads[k]]  # the input neurons x₁₁ …, in X's order
        outputs_y = (top + y) / 2
        widest = max(label(fmt_num(v), size=theme.SMALL_SIZE).width for v in d.z.ravel())
        outputs = NeuronLayer(n_out, radius=max(0.3, widest / (2 * theme.CELL_FILL) + 0.02),
                              spacing=min(1.1, 4.6 / n_out), color=theme.OUTPUT)
        outputs.move_to([1.55, outputs_y, 0])
        bias = NeuronLayer(1, radius=radius, color=theme.BIAS).move_to(
            [inputs.get_center()[0] + 1.2, y - spacing * 0.9, 0])
        in_names = VGroup(*(label(n, size=theme.SMALL_SIZE, color=theme.INPUT).next_to(inputs.neurons[k], LEFT, buff=0.12)
                            for n, k in zip(_grid_names("x", d.x.shape), real)))
        values_fit = radius >= 0.2
        in_vals = VGroup(*(v for k, v in enumerate(inputs.values_inside(d.xp.ravel())) if not pads[k])) \
            if values_fit else VGroup()
        out_names = outputs.labels_beside(_flat_names("z", n_out), RIGHT, size=theme.BODY_SIZE, color=theme.OUTPUT)
        b_name = label("b", size=theme.SMALL_SIZE, color=theme.BIAS).next_to(bias, LEFT, buff=0.12)
        b_val = bias.values_inside([d.b]) if values_fit else VGroup()

        # --- right: the output map
        zcell = min(0.95, 2.2 / max(oh, ow))
        z_grid = ValueGrid(d.z, color=theme.OUTPUT, cell_size=zcell, show_values=False, font_size=26)
        z_grid.move_to([5.0, 0, 0]).align_to([0, 2.75, 0], UP)
        z_head = z_grid.heading(f"output Z {core.fmt_shape(d.z.shape)}" + (f", stride {S}" if S != 1 else ""))
        # the equations go under the network, right of the kernel
        low = min(bias.get_bottom()[1], outputs.get_bottom()[1])
        edge = config.frame_width / 2 - theme.EDGE_MARGIN - 0.05
        floor = -config.frame_height / 2 + theme.EDGE_MARGIN + 0.05
        eq_box = (max(b_box.get_right()[0], k_grid.get_right()[0]) + 0.3, edge, low - 0.2, floor)
        if k_grid.get_bottom()[1] > eq_box[2]:  # the kernel ends above: the whole width is free
            eq_box = (-edge, edge, min(low, k_grid.get_bottom()[1]) - 0.2, floor)
        z_cell_names = VGroup(*(label(n, size=theme.SMALL_SIZE, color=theme.MUTED).move_to(z_grid.cells[k])
                                for k, n in enumerate(_flat_names("z", n_out))))

        self.play(FadeIn(head), FadeIn(x_grid), FadeIn(x_head), FadeIn(k_grid), FadeIn(k_head), FadeIn(b_box),
                  FadeIn(b_head), FadeIn(z_grid), FadeIn(z_head), FadeIn(z_cell_names), run_time=1.0)
        self.play(FadeIn(inputs), FadeIn(in_names), FadeIn(in_vals), FadeIn(outputs), FadeIn(out_names),
                  FadeIn(bias), FadeIn(b_name), FadeIn(b_val), run_time=0.8)
        n_pad = int(d.pad_mask.sum())
        self.beat(f"The input X, the kernel W and the one bias b, and the same numbers as a layer of neurons: "
                  f"{n_in} inputs x" + (f", {n_pad} padding zeros (the small neurons, always 0)" if P else "") +
                  f", {n_out} outputs z and a bias neuron.", hold=0.6)

        by_out: dict[int, list] = {}
        for e in d.cell_edges:
            by_out.setdefault(e.out_index, []).append(e)
        by_weight = {m: VGroup() for m in range(d.w.size)}
        b_lines = VGroup()
        window = x_grid.window(0, 0, kh, kw)
        all_edges, pad_lines = VGroup(), VGroup()
        cell_names = ["0"] * d.xp.size
        for name, k in zip(_grid_names("x", d.x.shape), real):
            cell_names[k] = name
        note = None
        for k, step in enumerate(d.steps):
            i, j = step.out_pos
            slow = k < d.n_explained
            es = by_out[k]
            reals = [e for e in es if not e.pad]
            lines = VGroup(*(connect(inputs, outputs, pairs=[(e.cell, k)], color=theme.kernel_color(e.weight_index),
                                     width=4 if not e.pad else 2, opacity=1.0 if not e.pad else 0.35)[0] for e in es))
            b_line = connect(bias, outputs, pairs=[(0, k)], color=theme.BIAS, width=3, opacity=0.9)
            lit = VGroup(*(inputs.neurons[e.cell] for e in reals))
            target = window.copy().move_to(x_grid.block_center(*step.window_pos, kh, kw))
            moves = [Create(window)] if k == 0 else [window.animate.move_to(target)]
            dim = [all_edges.animate.set_stroke(width=1.5, opacity=0.35)] if len(all_edges) else []
            self.play(*moves, *dim, *([lit.animate.set_fill(theme.HIGHLIGHT, opacity=0.35)] if len(lit) else []),
                      Create(lines), Create(b_line), FadeOut(z_cell_names[k]), run_time=1.0 if slow else 0.5)

            value = z_grid.value_label(i, j, step.output)
            z_val = outputs.values_inside([step.output] * n_out)[k]
            moved = _window_move_words(d, k)
            if slow:
                sym, num = self.equation(d, step, k, es, cell_names, eq_box[1] - eq_box[0], eq_box[2] - eq_box[3])
                res = num[-1][-len(fmt_num(step.output)):]
                if len(sym) == len(num) == 1:  # both fit: names above, numbers below
                    VGroup(sym, num).arrange(DOWN, buff=0.25).move_to([sum(eq_box[:2]) / 2, sum(eq_box[2:]) / 2, 0])
                    self.play(FadeIn(sym), run_time=0.6)
                    self.play(FadeIn(num), run_time=0.6)
                else:  # a large kernel: the names, then the numbers in their place
                    for f in (sym, num):
                        f.move_to([sum(eq_box[:2]) / 2, sum(eq_box[2:]) / 2, 0])
                    self.play(FadeIn(sym), run_time=0.6)
                    self.beat(f"z{sub(k + 1)} is a neuron's weighted sum: each of its {len(es)} inputs times its "
                              "kernel weight, plus the bias b." +
                              (" A padding zero adds 0." if len(reals) < len(es) else ""), hold=0.6)
                    self.play(FadeOut(sym), run_time=0.3)
                    self.play(FadeIn(num), run_time=0.5)
                    sym = VGroup()
                if note is not None:  # the old sentence leaves before the result flies past it, and the new one comes
                    self.play(FadeOut(note), run_time=0.3)
                    note = None
                self.play(TransformFromCopy(res, z_val), TransformFromCopy(res, value), run_time=0.7)
                zeros = len(es) - len(reals)
                text = (f"sparse: z{sub(k + 1)} sees only\n{len(reals)} of the {n_in} inputs" +
                        (f"\n(+{zeros} padding zero{'s' if zeros != 1 else ''})" if zeros else "") if k == 0
                        else f"shared: the same\n{d.weights} weights, the same b")
                new_note = label(text, size=theme.SMALL_SIZE, color=theme.HIGHLIGHT)
                new_note.next_to(z_grid, DOWN, buff=0.5)
                self.play(FadeIn(new_note), run_time=0.4)
                note = new_note
                if k > 0:
                    self.play(Circumscribe(VGroup(k_grid, b_box), color=theme.HIGHLIGHT, buff=0.12), run_time=0.9)
                    say = (f"z{sub(k + 1)} = {fmt_num(step.output)}: {moved}, another region, but exactly the same "
                           f"{d.weights} weights and the same bias b as z₁: this is parameter sharing.")
                else:
                    say = (f"z₁ = {fmt_num(step.output)} is connected to only {len(reals)} of the {n_in} inputs, the "
                           "ones under the kernel: sparse connectivity. A fully connected neuron would see all "
                           f"{n_in}." + (f" Its {zeros} other edge{'s come' if zeros != 1 else ' comes'} from padding "
                                         "zeros, weight × 0." if zeros else ""))
                self.beat(say, hold=1.0)
                self.play(FadeOut(sym), FadeOut(num), run_time=0.3)
            else:
                self.play(FadeIn(z_val), FadeIn(value), run_time=0.5)
                self.beat(f"z{sub(k + 1)} = {fmt_num(step.output)}: {moved}; the same weights and bias on the window "
                          f"at {notation.row_col(*step.window_pos)}{' of the padded input' if P else ''}.", hold=0.3)
            if len(lit):
                self.play(lit.animate.set_fill(theme.INPUT, opacity=0), run_time=0.2)
            for line, e in zip(lines, es):
                if e.pad:
                    pad_lines.add(line)
                else:
                    by_weight[e.weight_index].add(line)
                    all_edges.add(line)
            b_lines.add(b_line)
            all_edges.add(b_line)

        # parameter sharing, weight by weight: each weight's edges reach every output
        if note is not None:
            self.play(FadeOut(note), run_time=0.3)
        self.play(FadeOut(window), all_edges.animate.set_stroke(width=1.5, opacity=0.25), run_time=0.5)
        groups = [(by_weight[m], k_grid.cells[m]) for m in range(d.w.size)] + [(b_lines, b_box.cells[0])]
        prev = None
        for g, src in groups:
            anims = [Circumscribe(src, color=theme.HIGHLIGHT, buff=0.04, stroke_width=5)]
            if len(g):
                anims.append(g.animate.set_stroke(width=5, opacity=1.0))
            if prev is not None and len(prev):
                anims.append(prev.animate.set_stroke(width=1.5, opacity=0.25))
            self.play(*anims, run_time=min(0.55, 3.3 / len(groups)))  # a large kernel's sweep no longer in all
            prev = g
        end = VGroup(*(label(t, size=theme.BODY_SIZE) for t in shared_weights_summary(d)))
        end.arrange(DOWN, buff=0.12)
        fit_width(end, config.frame_width - 2 * theme.EDGE_MARGIN - 0.2)
        end.move_to([0, floor + end.height / 2, 0])
        kernel_row = VGroup(k_grid, b_box, k_head, b_head)
        if end.get_top()[1] > kernel_row.get_bottom()[1] - 0.15 and end.get_left()[0] < kernel_row.get_right()[0] + 0.15:
            fit_width(end, edge - kernel_row.get_right()[0] - 0.3)  # beside the kernel
            end.move_to([(kernel_row.get_right()[0] + 0.3 + edge) / 2, floor + end.height / 2, 0])
        self.play(all_edges.animate.set_stroke(width=3, opacity=0.9), FadeIn(end), run_time=0.6)
        self.beat(("Every weight's colour reaches every output" if not d.pad_edges else
                   "Every weight is shared by every output (on a padding zero it multiplies 0)") +
                  f": {fmt_int(len(d.edges))} weighted edges from the inputs and "
                  f"{fmt_int(n_out)} bias edges, but only {fmt_int(d.weights)} weights and {fmt_int(d.biases)} bias "
                  f"to learn. A dense layer between the same neurons would need {fmt_int(d.dense_edges)} weights.",
                  hold=2.0)
        self.clear_all()

    def must_show(self, d) -> list[str]:
        nums = [*d.x.ravel(), *d.w.ravel(), d.b, *d.z.ravel()]
        heads = [f"input X {core.fmt_shape(d.x.shape)} + padding {d.padding}"] * bool(d.padding) + \
            [f"output Z {core.fmt_shape(d.z.shape)}, stride {d.stride}"] * (d.stride != 1)
        return [fmt_num(v) for v in nums] + list(shared_weights_summary(d)) + heads

    @staticmethod
    def equation(d, step, k, es, cell_names, width: float, height: float):
        """z_k = Σ x·w + b with names, and with the numbers: each a VGroup of 1–3 lines at most ``width`` wide.
        ``es``: the output's PaddedEdges (a padding zero is named 0, in the padding colour)."""
        cx, cb, co, cp = theme.INPUT, theme.BIAS, theme.OUTPUT, theme.PAD_LABEL
        xv, wv = d.xp.ravel(), d.w.ravel()

        def x_sym(e):
            if e.pad:
                return rf"{{\color{{{cp}}}0}}\cdot"
            return rf"{{\color{{{cx}}}x_{{{cell_names[e.cell][1:].translate(_UNSUB)}}}}}\,"

        sym_terms = [x_sym(e) + rf"{{\color{{{theme.kernel_color(e.weight_index)}}}w_{{{e.weight_index + 1}}}}}"
                     for e in es]
        num_terms = [rf"{{\color{{{cp if e.pad else cx}}}{_tex_num(xv[e.cell])}}}\cdot"
                     rf"{{\color{{{theme.kernel_color(e.weight_index)}}}{_tex_num(wv[e.weight_index])}}}" for e in es]
        sym = _formula_lines(rf"{{\color{{{co}}}z_{{{k + 1}}}}} = ", sym_terms, rf" + {{\color{{{cb}}}b}}", width,
                             height=height)
        num = _formula_lines(r"= ", num_terms,
                             rf" + {{\color{{{cb}}}{_tex_num(step.bias)}}} = {{\color{{{co}}}{fmt_num(step.output)}}}",
                             width, height=height)
        return sym, num


def _window_move_words(d: SharedWeightsData, k: int) -> str:
    """How output ``k``'s window moved from output ``k − 1``'s: "its window moved 2 cells to the right" (the stride)."""
    if k == 0:
        return "the first window"
    (r0, c0), (r1, c1) = d.steps[k - 1].window_pos, d.steps[k].window_pos
    cells = lambda n: f"{n} cell{'s' if n != 1 else ''}"  # noqa: E731
    if r1 == r0:
        return f"its window moved {cells(c1 - c0)} to the right"
    return f"its window moved {cells(r1 - r0)} down, back to the left edge"


def _formula_lines(head: str, terms: list[str], tail: str, width: float, font_size: float = 34,
                   min_size: float = 22, height: float | None = None) -> VGroup:
    """``head t₁ + t₂ + … tail`` as Formula lines (split between terms) no wider than ``width`` (and no
    taller than ``height``).

    Uses as few lines as fit at ``font_size``; if even 3 lines do not, the 3
    lines are shrunk, never below ``min_size``.
    """
    for n_lines in (1, 2, 3):
        per = -(-len(terms) // n_lines)
        chunks = [terms[i:i + per] for i in range(0, len(terms), per)]
        lines = VGroup()
        for c, chunk in enumerate(chunks):
            text = (head if c == 0 else r"+\; ") + " + ".join(chunk) + (tail if c == len(chunks) - 1 else "")
            lines.add(Formula(text, font_size=font_size))
        lines.arrange(DOWN, aligned_edge=LEFT, buff=0.2)
        if lines.width <= width and (height is None or lines.height <= height):
            return lines
    room = min(width / lines.width, 1.0 if height is None else height / lines.height)
    return lines.scale(max(room, min_size / font_size))


_UNSUB = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")


# ============================================================ SparseVsDense (the notebook's assets/output.gif)
@dataclass(frozen=True)
class SparseDenseData:
    in_shape: tuple          # the input map, e.g. (3, 3)
    kernel_shape: tuple      # e.g. (2, 2)
    out_shape: tuple         # the convolution's output, e.g. (2, 2)
    n_in: int                # input neurons (9)
    n_out: int               # output neurons (4)
    dense_weights: int       # n_in·n_out: one weight per edge (36)
    dense_biases: int        # one per output (4)
    dense_total: int         # core.dense_params
    conv_edges: tuple        # core.conv_connections: 4 per output, each with its weight index
    conv_weights: int        # kh·kw·C (4), shared by every output
    conv_biases: int         # 1, shared
    conv_total: int          # core.conv_params


#: the most output neurons drawn (each with its edges) beside the input column (see MAX_SPARSE_SIDE)
MAX_SPARSE_OUTPUTS = 25
#: the largest input side: measured with the layout check, a 6×6 input with a 2×2 kernel (25 outputs) fits 40 s,
#: a 7×7 one with a 3×3 kernel (25 outputs too) lasts 41.8 s; 36 outputs (6×6, 1×1) last 47.7 s
MAX_SPARSE_SIDE = 6


def sparse_vs_dense_data(
    in_shape: Annotated[tuple[int, ...], Param("the input map's size: rows, columns", min=1, max=MAX_SPARSE_SIDE,
                                               max_shape=(2,), noun="input size")] = (3, 3),
    kernel_shape: Annotated[tuple[int, ...], Param("the kernel's size: rows, columns", min=1, max=5,
                                                   max_shape=(2,), noun="kernel size")] = (2, 2),
) -> SparseDenseData:
    """The same layer of neurons, n_in → n_out, wired densely and as a convolution (the notebook's II.4)."""
    in_shape, kernel_shape = tuple(int(v) for v in in_shape), tuple(int(v) for v in kernel_shape)
    for name, shape in (("in_shape", in_shape), ("kernel_shape", kernel_shape)):
        if len(shape) != 2 or min(shape) < 1:
            raise ValueError(f"{name}: two sizes (rows, columns), each at least 1, got {list(shape)}")
    if kernel_shape[0] > in_shape[0] or kernel_shape[1] > in_shape[1]:
        raise ValueError(f"kernel_shape: a {core.fmt_shape(kernel_shape)} kernel does not fit in the "
                         f"{core.fmt_shape(in_shape)} input")
    n_out = (in_shape[0] - kernel_shape[0] + 1) * (in_shape[1] - kernel_shape[1] + 1)
    if n_out > MAX_SPARSE_OUTPUTS:
        raise ValueError(f"kernel_shape: a {core.fmt_shape(kernel_shape)} kernel on a {core.fmt_shape(in_shape)} input "
                         f"gives {n_out} outputs: at most {MAX_SPARSE_OUTPUTS} output neurons fit this scene at a "
                         "readable size (use a larger kernel or a smaller input)")
    out_shape = core.conv_output_shape(in_shape, kernel_shape)
    n_in, n_out = int(np.prod(in_shape)), int(np.prod(out_shape))
    (dense_w, dense_b), = core.mlp_param_terms([n_in, n_out])
    channels = in_shape[2] if len(in_shape) == 3 else 1
    conv_w, conv_b = core.conv_param_terms(kernel_shape[:2], channels, 1)
    return SparseDenseData(in_shape, kernel_shape, out_shape, n_in, n_out, dense_w, dense_b,
                           core.dense_params(n_in, n_out), core.conv_connections(in_shape, kernel_shape),
                           conv_w, conv_b, core.conv_params(kernel_shape[:2], channels, 1))


def sparse_dense_summary(d: SparseDenseData) -> str:
    """The last line: both parameter counts and their ratio."""
    return (f"{fmt_int(d.dense_total)} parameters vs {fmt_int(d.conv_total)}: "
            f"sparse, shared connections ({fmt_num(d.dense_total / d.conv_total, 1)}× fewer)")


class SparseVsDense(CnnvizScene):
    data = staticmethod(sparse_vs_dense_data)

    def construct(self):
        d = self.data()
        head = title(f"Fully connected vs convolution: the same {d.n_in} → {d.n_out} layer", size=32)
        fit_width(head, config.frame_width - 2 * theme.EDGE_MARGIN - 0.2)
        column = 5.0  # each side's lines fit under its network
        top, bottom = 2.3, -1.45
        spacing = min(0.5, (top - bottom) / (d.n_in + 0.2))
        radius = min(0.2, spacing * 0.4)
        out_spacing = min(0.95, (top - bottom) / max(d.n_out, 1))
        out_radius = min(0.28, out_spacing * 0.4)

        def network(x_in: float, x_out: float, bias_name: str):
            ins = NeuronLayer(d.n_in, radius=radius, spacing=spacing, color=theme.INPUT)
            ins.move_to([x_in, top - (d.n_in - 1) * spacing / 2, 0])
            outs = NeuronLayer(d.n_out, radius=out_radius, spacing=out_spacing, color=theme.OUTPUT)
            outs.move_to([x_out, ins.get_center()[1], 0])
            bias = NeuronLayer(1, radius=radius, color=theme.BIAS)
            bias.move_to([x_in + 1.0, ins.neurons[-1].get_center()[1] - spacing * 1.1, 0])
            b_name = label(bias_name, size=theme.SMALL_SIZE, color=theme.BIAS).next_to(bias, LEFT, buff=0.1)
            return ins, outs, bias, b_name

        d_in, d_out, d_bias, d_bname = network(-6.2, -1.9, f"b{sub(1)}…b{sub(d.n_out)}" if d.n_out > 1 else "b")
        c_in, c_out, c_bias, c_bname = network(0.5, 4.6, "b")
        d_head = label("fully connected", size=theme.BODY_SIZE).move_to([-4.05, 2.85, 0])
        c_head = label(f"convolution, {core.fmt_shape(d.kernel_shape)} kernel", size=theme.BODY_SIZE)
        c_head.move_to([2.65, 2.85, 0])
        legend = KernelGrid(np.zeros(d.kernel_shape[:2]), cell_size=min(0.6, 1.3 / max(d.kernel_shape[:2])),
                            show_values=False)
        legend.next_to(c_out, RIGHT, buff=0.55)
        legend_head = label("kernel", size=theme.SMALL_SIZE, color=theme.KERNEL).next_to(legend, UP, buff=0.15)
        self.play(FadeIn(head), FadeIn(d_head), FadeIn(c_head), FadeIn(d_in), FadeIn(d_out), FadeIn(c_in),
                  FadeIn(c_out), run_time=1.0)
        self.beat(f"The same layer twice: {fmt_int(d.n_in)} input neurons (a {core.fmt_shape(d.in_shape)} map) and "
                  f"{fmt_int(d.n_out)} output neurons, wired fully connected on the left and as a convolution with "
                  f"a {core.fmt_shape(d.kernel_shape)} kernel on the right.", hold=0.5)

        # --- dense: every input to every output, each edge its own weight
        count = None
        dense_edges = VGroup()
        for o in range(d.n_out):
            lines = connect(d_in, d_out, pairs=[(i, o) for i in range(d.n_in)], color=theme.MUTED, width=2,
                            opacity=0.8)
            dense_edges.add(lines)
            n_edges = sum(len(g) for g in dense_edges)  # the edges drawn so far
            new = fit_width(label(f"{fmt_int(n_edges)} weighted edges", size=24), column)
            new.move_to([-4.05, -2.4, 0])
            # the old count leaves while the edges grow, then the new one arrives: never one over the other
            self.play(Create(lines), *([FadeOut(count)] if count is not None else []), run_time=0.6 if o == 0 else 0.3)
            self.play(FadeIn(new), run_time=0.2)
            count = new
        d_bias_edges = connect(d_bias, d_out, color=theme.BIAS, width=2, opacity=0.9)
        d_sum = label(f"{fmt_int(d.dense_weights)} weights + {d.dense_biases} biases = {fmt_int(d.dense_total)}",
                      size=theme.BODY_SIZE)
        fit_width(d_sum, column).move_to([-4.05, -2.95, 0])
        self.play(FadeIn(d_bias), FadeIn(d_bname), Create(d_bias_edges), FadeIn(d_sum), run_time=0.8)
        self.beat(f"Fully connected: every output sees all {fmt_int(d.n_in)} inputs, each edge with its own weight: "
                  f"{fmt_int(d.dense_weights)} weights, plus one bias per output, {fmt_int(d.dense_total)} "
                  "parameters.", hold=0.8)

        # --- convolution: each output sees a window; the edges reuse the kernel's weights
        self.play(FadeIn(legend), FadeIn(legend_head), run_time=0.5)
        by_out: dict[int, list] = {}
        for e in d.conv_edges:
            by_out.setdefault(e.out_index, []).append(e)
        ccount = None
        conv_lines = VGroup()
        by_weight: dict[int, VGroup] = {}
        for o in range(d.n_out):
            es = by_out.get(o, [])
            lines = connect(c_in, c_out, pairs=[(e.in_index, o) for e in es],
                            colors=[theme.kernel_color(e.weight_index) for e in es], width=3, opacity=1.0)
            for line, e in zip(lines, es):
                by_weight.setdefault(e.weight_index, VGroup()).add(line)
            conv_lines.add(lines)
            n_edges = sum(len(g) for g in conv_lines)  # the edges drawn so far
            new = fit_width(label(f"{fmt_int(n_edges)} weighted edges, {fmt_int(d.conv_weights)} weights", size=24),
                            column)
            new.move_to([2.65, -2.4, 0])
            self.play(Create(lines), *([FadeOut(ccount)] if ccount is not None else []),
                      run_time=0.7 if o < 2 else 0.35)
            self.play(FadeIn(new), run_time=0.2)
            if o == 0:
                self.beat(f"With the convolution, the first output is connected only to the {len(es)} inputs under "
                          "the kernel: sparse connectivity.", hold=0.3)
            elif o == 1:
                self.beat(f"The next output sees another window but reuses the same {fmt_int(d.conv_weights)} "
                          "weights, the same colours: parameter sharing.", hold=0.3)
            ccount = new
        c_bias_edges = connect(c_bias, c_out, color=theme.BIAS, width=2, opacity=0.9)
        c_sum = label(f"{d.conv_weights} weights + {d.conv_biases} bias = {fmt_int(d.conv_total)}",
                      size=theme.BODY_SIZE).move_to([2.65, -2.95, 0])
        self.play(FadeIn(c_bias), FadeIn(c_bname), Create(c_bias_edges), FadeIn(c_sum), run_time=0.8)
        self.beat(f"The convolution draws {fmt_int(len(d.conv_edges))} weighted edges, but they share only "
                  f"{fmt_int(d.conv_weights)} weights and one bias: {fmt_int(d.conv_total)} parameters.", hold=0.8)

        # --- one colour = one shared weight: each lights up on every output
        self.play(conv_lines.animate.set_stroke(opacity=0.25), run_time=0.4)
        for m in sorted(by_weight):
            self.play(by_weight[m].animate.set_stroke(width=5, opacity=1.0),
                      Circumscribe(legend.cells[m], color=theme.HIGHLIGHT, buff=0.03), run_time=0.5)
            self.play(by_weight[m].animate.set_stroke(width=3, opacity=0.25), run_time=0.2)
        self.play(conv_lines.animate.set_stroke(opacity=1.0), run_time=0.4)
        end = caption(sparse_dense_summary(d), color=theme.HIGHLIGHT)
        self.play(FadeIn(end), run_time=0.6)
        self.beat(f"Each colour is one weight, used by every output. {fmt_int(d.dense_total)} parameters against "
                  f"{fmt_int(d.conv_total)}: the convolution is a layer with sparse, shared connections.", hold=2.0)
        self.clear_all()

    def must_show(self, d) -> list[str]:
        return [f"{fmt_int(d.n_in)} → {fmt_int(d.n_out)}", f"{fmt_int(d.n_in * d.n_out)} weighted edges",
                f"{fmt_int(len(d.conv_edges))} weighted edges", f"= {fmt_int(d.dense_total)}",
                f"= {fmt_int(d.conv_total)}", sparse_dense_summary(d)]


# ============================================================ ActivationFunctionStep
@dataclass(frozen=True)
class ActivationData:
    z: np.ndarray            # the linear map Z (both signs)
    a: np.ndarray            # A = f(Z), same shape
    n_explained: int         # entries explained one by one; the rest go faster
    from_conv: bool          # Z was computed here as X ⊛ W + b (not given)
    activation: str          # "relu" or "leaky_relu"
    slope: float             # leaky ReLU's slope for negative z (0 for ReLU)


#: the largest Z whose numbers stay at a readable size beside the graph
MAX_ACTIVATION_SHAPE = (4, 4)


def activation_data(
    x: Annotated[Grid, Param("the input X that gives Z = X ⊛ W + b (used when z is not given)", min=-9, max=9,
                             max_shape=(6, 6), noun="input")] = ((2, 0, 1), (1, 3, 2), (0, 1, 4)),
    w: Annotated[Grid, Param("the kernel W that gives Z = X ⊛ W + b", min=-9, max=9, max_shape=(3, 3),
                             noun="kernel")] = ((-1, 2), (1, -2)),
    b: Annotated[float, Param("the bias b that gives Z = X ⊛ W + b", min=-99, max=99)] = 1,
    z: Annotated[Grid | None, Param("Z itself, rows of numbers (default: X ⊛ W + b, the previous scene's Z)",
                                    min=-99, max=99, max_shape=MAX_ACTIVATION_SHAPE, noun="map Z")] = None,
    activation: Annotated[Literal["relu", "leaky_relu"],
                          Param("the activation: ReLU, max(0, z), or leaky ReLU, max(slope·z, z)")] = "relu",
    slope: Annotated[float, Param("leaky ReLU's slope for negative z (ReLU ignores it)", min=0.01,
                                  max=0.5)] = 0.1,
    n_explained: Annotated[int, Param("how many entries are explained one by one (the rest go faster)",
                                      min=0, max=4)] = 2,
) -> ActivationData:
    """A = ReLU(Z) (or leaky ReLU) for the Z of ConvView_Final_Title_SharedBias (X ⊛ W + b), or for a given ``z``."""
    if activation not in ("relu", "leaky_relu"):
        raise ValueError(f"activation: 'relu' or 'leaky_relu', got {activation!r}")
    from_conv = z is None
    if from_conv:
        x, w = np.asarray(x), np.asarray(w)
        for name, arr in (("x", x), ("w", w)):
            if arr.ndim != 2 or arr.size == 0:
                raise ValueError(f"{name}: rows of numbers of equal length, got shape {core.fmt_shape(arr.shape)}")
        if w.shape[0] > x.shape[0] or w.shape[1] > x.shape[1]:
            raise ValueError(f"w: a {core.fmt_shape(w.shape)} kernel does not fit in the "
                             f"{core.fmt_shape(x.shape)} input")
        z = core.conv2d(x, w, b)
    else:
        z = np.asarray(z)
    if z.ndim != 2 or z.size == 0:
        raise ValueError(f"z: Z must be a 2-D map, got shape {core.fmt_shape(z.shape)}")
    if z.shape[0] > MAX_ACTIVATION_SHAPE[0] or z.shape[1] > MAX_ACTIVATION_SHAPE[1]:
        raise ValueError(f"x: Z = X ⊛ W + b is {core.fmt_shape(z.shape)}: a Z of at most "
                         f"{core.fmt_shape(MAX_ACTIVATION_SHAPE)} fits this scene at a readable size")
    if activation == "relu":
        a, slope = core.relu(z), 0.0
    else:
        a = np.where(z > 0, z, slope * z)
    return ActivationData(z, a, n_explained, from_conv, activation, float(slope))


def activation_words(d: ActivationData) -> dict[str, str]:
    """What the scene writes about ``d``'s activation: its name, its rule, what a negative z becomes,
    and the last line, counted from ``d.z``."""
    n_neg = int((d.z < 0).sum())
    if d.activation == "relu":
        name, rule, neg, said = "ReLU", r"\max(0,\, z)", "negative → 0", "max(0, z)"
    else:
        name, rule, neg = "LeakyReLU", rf"\max({fmt_num(d.slope)}\, z,\, z)", f"negative → ×{fmt_num(d.slope)}"
        said = f"max({fmt_num(d.slope)}·z, z)"
    end = (f"{n_neg} negative → {'0' if d.activation == 'relu' else '×' + fmt_num(d.slope)}, "
           f"{d.z.size - n_neg} unchanged: A keeps the shape of Z, {core.fmt_shape(d.a.shape)}")
    return {"name": name, "rule": rule, "negative": neg, "end": end, "said": said}


def _sign_color(v) -> str:
    """A number's text colour by its sign (theme roles, readable on a panel in both themes)."""
    return theme.NEGATIVE if v < 0 else theme.POSITIVE if v > 0 else theme.MUTED


def _nice_step(span: float, max_ticks: int = 3) -> float:
    """A 1-2-5 tick step giving at most ``max_ticks`` ticks over ``span``."""
    if span <= 0:
        return 1.0
    raw = span / max_ticks
    p = 10 ** np.floor(np.log10(raw))
    return float(next(m * p for m in (1, 2, 5, 10) if m * p >= raw))


class ActivationFunctionStep(CnnvizScene):
    data = staticmethod(activation_data)

    def construct(self):
        d = self.data()
        words = activation_words(d)
        rows, cols = d.z.shape
        head = title(f"The activation: A = {words['name']}(Z), entry by entry", size=32)
        vmax = float(max(np.abs(d.z).max(), 1))
        cell = min(1.1, 2.8 / max(rows, cols))
        font = max(theme.MIN_FONT + 2, 30 * cell / 1.1)
        # plain panel cells, every number in its sign's colour: one rule for the whole grid, in both themes
        z_grid = ValueGrid(d.z, color=theme.OUTPUT, cell_size=cell, font_size=font)
        for (i, j), v in np.ndenumerate(d.z):
            z_grid.label_at(i, j).set_color(_sign_color(v))
        a_grid = ValueGrid(d.a, color=theme.OUTPUT, cell_size=cell, font_size=font, show_values=False)
        z_head = z_grid.heading(f"{'Z = X ⊛ W + b' if d.from_conv else 'Z'}  {core.fmt_shape(d.z.shape)}")
        a_head = a_grid.heading(f"A = {words['name']}(Z)  {core.fmt_shape(d.a.shape)}")
        for h in (z_head, a_head):
            h.set_color(theme.TEXT)
        edge = config.frame_width / 2 - theme.EDGE_MARGIN - 0.1
        left, right = VGroup(z_grid, z_head), VGroup(a_grid, a_head)
        left.shift([-edge - left.get_left()[0], 0.1 - z_grid.get_center()[1], 0])
        right.shift([edge - right.get_right()[0], 0.1 - a_grid.get_center()[1], 0])

        # the graph, equal scales on both axes so the positive part rises at 45°, between the two grids
        step = _nice_step(vmax)
        reach = step * np.ceil(vmax / step)
        low = -d.slope * reach
        gap = (left.get_right()[0] + 0.7, right.get_left()[0] - 0.5)
        rule = Formula(rf"\mathrm{{{words['name']}}}(z) = {words['rule']}", font_size=34)
        rule.next_to(head, DOWN, buff=0.35).set_x(sum(gap) / 2)
        tall = 2 * (rule.get_bottom()[1] - 0.4 + 0.1)  # the axes (centred at y = -0.1) stay under the rule
        x_len = min(6.6, gap[1] - gap[0], tall * 2 * reach / (reach - low))
        y_len = x_len / 2 * (reach - low) / reach
        axes = Axes(x_range=[-reach, reach, step], y_range=[low, reach, step], x_length=x_len, y_length=y_len,
                    tips=False, axis_config={"include_numbers": False, "color": theme.MUTED, "stroke_width": 2})
        axes.move_to([sum(gap) / 2, -0.1, 0])
        # every k-th tick is numbered, k the smallest that keeps the numbers apart on a narrow graph
        widest = max(label(fmt_num(v), size=theme.MIN_FONT).width for v in (-reach, reach))
        every = next(k for k in range(1, 100) if k * step * x_len / (2 * reach) >= widest + 0.4)
        ticks = VGroup(*(label(fmt_num(v), size=theme.MIN_FONT, color=theme.MUTED).next_to(axes.c2p(v, 0), DOWN, 0.15)
                         for v in np.arange(-reach, reach + step / 2, step) if round(v / step) % every == 0))
        ticks.add(*(label(fmt_num(v), size=theme.MIN_FONT, color=theme.MUTED).next_to(axes.c2p(0, v), LEFT, 0.12)
                    for v in np.arange(step, reach + step / 2, step)))
        graph = VGroup(Line(axes.c2p(-reach, low), axes.c2p(0, 0)), Line(axes.c2p(0, 0), axes.c2p(reach, reach)))
        graph.set_stroke(theme.HIGHLIGHT, width=5)

        self.add(head, z_grid, z_head, a_grid, a_head, axes, ticks, rule, graph)
        self.beat(f"The linear map Z{' = X ⊛ W + b from the convolution' if d.from_conv else ''} has both signs. "
                  f"The activation {words['name']}(z) = {words['said']} is applied to each "
                  "entry on its own, like in an MLP.", hold=0.6)

        frame_z = z_grid.window(0, 0, 1, 1)
        frame_a = a_grid.window(0, 0, 1, 1)
        for k in range(d.z.size):
            i, j = divmod(k, cols)
            z, a = d.z[i, j], d.a[i, j]
            slow = k < d.n_explained
            rt = 1.0 if slow else 0.45
            if k == 0:
                self.play(Create(frame_z), Create(frame_a), run_time=0.4)
            else:
                self.play(frame_z.animate.move_to(z_grid.cell(i, j)), frame_a.animate.move_to(a_grid.cell(i, j)),
                          run_time=0.3)
            dot = Dot(axes.c2p(z, 0), radius=0.1, color=theme.HIGHLIGHT)
            value = a_grid.value_label(i, j, a, color=_sign_color(a))
            color = _sign_color(z)
            guide = DashedLine(axes.c2p(z, 0), axes.c2p(z, a), color=color, stroke_width=3) if a else VGroup()
            if slow:
                inner = (f"0,\\, {{\\color{{{color}}}{fmt_num(z)}}}" if d.activation == "relu" else
                         f"{fmt_num(d.slope)}\\cdot{{\\color{{{color}}}{_tex_num(z)}}},\\, {{\\color{{{color}}}{fmt_num(z)}}}")
                calc = Formula(rf"\max({inner}) = {fmt_num(a)}", font_size=34)
                calc.next_to(ticks, DOWN, buff=0.35).set_x(axes.get_center()[0])
                self.play(FadeIn(dot, scale=2.5), run_time=rt)
                self.play(dot.animate.move_to(axes.c2p(z, a)), Create(guide), FadeIn(calc), run_time=rt)
                why = label(words["negative"] if z < 0 else "positive: kept as is" if z > 0 else "zero stays 0",
                            size=theme.BODY_SIZE, color=color).next_to(calc, DOWN, buff=0.25)
                self.play(FadeIn(why), FadeIn(value), run_time=0.8)
                self.beat(f"z = {fmt_num(z)} at {notation.row_col(i, j)} is "
                          f"{'negative' if z < 0 else 'positive' if z > 0 else 'zero'}: "
                          f"{words['name']} gives {fmt_num(a)}"
                          f"{' (the slope times z)' if z < 0 and d.activation != 'relu' else ''}.", hold=0.8)
                self.play(FadeOut(calc), FadeOut(why), FadeOut(dot), FadeOut(guide), run_time=0.3)
            else:
                self.play(FadeIn(dot, scale=2.5), run_time=0.3)
                self.play(dot.animate.move_to(axes.c2p(z, a)), Create(guide), run_time=0.35)
                self.play(FadeIn(value), FadeOut(dot), FadeOut(guide), run_time=0.35)
                self.beat(f"z = {fmt_num(z)} gives {fmt_num(a)}.", hold=0.2)
        end = caption(words["end"], color=theme.TEXT)
        self.play(FadeOut(frame_z), FadeOut(frame_a), FadeIn(end), run_time=0.6)
        self.beat(f"Entry by entry: {words['end'].replace(':', ';')}. The negative entries are the only ones "
                  f"{'set to 0' if d.activation == 'relu' else 'scaled down'}.", hold=2.0)
        self.clear_all()

    def must_show(self, d) -> list[str]:
        return [fmt_num(v) for v in (*d.z.ravel(), *d.a.ravel())] + [activation_words(d)["end"]]


# ============================================================ DimensionExamplesSideBySide
@dataclass(frozen=True)
class DimensionExample:
    in_shape: tuple          # H×W×C
    n_filters: int           # M
    f: int                   # kernel size F
    stride: int
    padding: int
    kernel_shape: tuple      # F×F×C×M
    weights: int             # F·F·C·M
    biases: int              # M: one per filter
    total: int               # core.conv_params
    out_shape: tuple         # H'×W'×M


@dataclass(frozen=True)
class DimensionData:
    examples: tuple          # DimensionExample, shown side by side


def dimension_example(in_shape, n_filters: int, f: int, stride: int = 1, padding: int = 0) -> DimensionExample:
    """One conv layer's shapes and parameter count, from the core."""
    in_shape = tuple(in_shape)
    if len(in_shape) != 3:
        raise ValueError(f"an example input is H×W×C, got {core.fmt_shape(in_shape)}")
    c = in_shape[2]
    kernel_shape = (f, f, c, n_filters)
    weights, biases = core.conv_param_terms(f, c, n_filters)
    return DimensionExample(in_shape, n_filters, f, stride, padding, kernel_shape, weights, biases,
                            core.conv_params(f, c, n_filters),
                            core.conv_output_shape(in_shape, kernel_shape, stride, padding))


_EXAMPLE_HELP = "input height, width, channels, number of filters, kernel size F"


def dimension_examples_data(
    first: Annotated[tuple[int, ...], Param(f"the left example: {_EXAMPLE_HELP}", min=1, max=99,
                                            max_shape=(5,), noun="example")] = (28, 28, 1, 32, 3),
    second: Annotated[tuple[int, ...], Param(f"the right example: {_EXAMPLE_HELP}", min=1, max=99,
                                             max_shape=(5,), noun="example")] = (32, 32, 3, 64, 5),
    stride: Annotated[int, Param("how many pixels the filters move per step (both examples; two digits, like "
                                 "every size here)", min=1, max=99)] = 1,
    padding: Annotated[int, Param("rings of zeros around each input (both examples; two digits, like every size "
                                  "here)", min=0, max=99)] = 0,
) -> DimensionData:
    """The notebook's two examples: input H×W×C, number of filters, kernel size F each."""
    examples = []
    for name, ex in (("first", first), ("second", second)):
        ex = tuple(int(v) for v in ex)
        if len(ex) != 5 or min(ex) < 1:
            raise ValueError(f"{name}: five whole numbers, each at least 1 ({_EXAMPLE_HELP}), got {list(ex)}")
        h, w, c, m, f = ex
        examples.append(dimension_example((h, w, c), m, f, stride, padding))
    return DimensionData(tuple(examples))


def _channel_words(c: int) -> str:
    return {1: "1 channel (grayscale)", 3: "3 channels (RGB)"}.get(c, f"{c} channels")


class DimensionExamplesSideBySide(CnnvizScene):
    data = staticmethod(dimension_examples_data)

    def construct(self):
        d = self.data()
        n = len(d.examples)
        head = title("Dimension examples: kernel shape and biases", size=32)
        rule = Formula(r"\text{kernel } F \times F \times C_{\text{in}} \times N_{\text{filters}}"
                       r"\qquad \text{biases } N_{\text{filters}}", font_size=30).next_to(head, DOWN, buff=0.25)
        # the channel rule, on the examples with several channels: the last lines, along the bottom
        multi = [ex for ex in d.examples if ex.in_shape[2] > 1]
        end = VGroup(label("kernel depth = input depth: " +
                           ", ".join(f"{ex.kernel_shape[2]} = {ex.in_shape[2]}" for ex in d.examples),
                           size=24, color=theme.HIGHLIGHT))
        if multi:
            end.add(label(f"the {multi[0].in_shape[2]} channel sums make one map, then its one bias is added",
                          size=24, color=theme.HIGHLIGHT))
        for line in end:
            fit_width(line, config.frame_width - 0.6)
        end.arrange(DOWN, buff=0.12).to_edge(DOWN, buff=theme.EDGE_MARGIN + 0.05)

        # each example: its heading, its volumes, its lines; the volumes get the height the text leaves
        width = (config.frame_width - 0.4) / n
        centres = [-config.frame_width / 2 + 0.2 + width * (k + 0.5) for k in range(n)]
        heads = [label(f"Example {k + 1}: {_channel_words(ex.in_shape[2])}", size=theme.BODY_SIZE)
                 for k, ex in enumerate(d.examples)]
        for h, cx in zip(heads, centres):
            fit_width(h, width - 0.3)
            h.move_to([cx, rule.get_bottom()[1] - 0.25 - h.height / 2, 0])
        lines = [self.lines(ex, width) for ex in d.examples]
        lines_h = max(g.height for g in lines)
        row_top = min(h.get_bottom()[1] for h in heads) - 0.2
        row_bottom = end.get_top()[1] + 0.3 + lines_h + 0.25
        rows = [self.fit_row(ex, width - 0.5, row_top - row_bottom) for ex in d.examples]
        floor = row_top - max(r[-1].height for r in rows)  # every example's shapes on one line
        for row, cx in zip(rows, centres):
            row[-1].set_x(cx).align_to([0, floor, 0], DOWN)
        lines_top = min(r[-1].get_bottom()[1] for r in rows) - 0.25  # every example's lines on one level
        for g, cx in zip(lines, centres):
            g.move_to([cx, 0, 0]).align_to([0, lines_top, 0], UP)
        # the opening picture: the rule, and each example's input
        self.add(head, rule, *heads, *(row[0] for row in rows))
        self.beat("We write a layer's kernel as F × F × input channels × number of filters, and it has one bias "
                  "per filter. " + " ".join(f"Example {k + 1}: a {core.fmt_shape(ex.in_shape)} input, "
                                            f"{ex.n_filters} filters of {ex.f}×{ex.f}."
                                            for k, ex in enumerate(d.examples)), hold=0.6)
        for k, (ex, row, g) in enumerate(zip(d.examples, rows, lines)):
            self.show_example(k, ex, row, g)
        self.play(FadeIn(end), run_time=0.6)
        say = ("The kernel's depth always equals the input's depth. " +
               (f"With {multi[0].in_shape[2]} channels, the {multi[0].in_shape[2]} channel sums are added into one "
                "map before its single bias is added: the bias is per filter, not per channel."
                if multi else "Each filter's one bias is added to its whole output map."))
        self.beat(say, hold=2.5)
        self.clear_all()

    def must_show(self, d) -> list[str]:
        shown = []
        for ex in d.examples:
            shown += [f"kernel {core.fmt_shape(ex.kernel_shape)}", f"biases {fmt_int(ex.biases)}",
                      f"= {fmt_int(ex.total)}", core.fmt_shape(ex.out_shape)]
        return shown

    def lines(self, ex: DimensionExample, width: float) -> VGroup:
        fw, fc, fm = ex.f, ex.in_shape[2], ex.n_filters
        lines = VGroup(
            label(f"kernel {core.fmt_shape(ex.kernel_shape)}", size=theme.BODY_SIZE, color=theme.KERNEL),
            label(f"biases {ex.biases} (one per filter)", size=theme.BODY_SIZE, color=theme.BIAS),
            label(f"parameters {fw}·{fw}·{fc}·{fm} + {fm} = {fmt_int(ex.total)}", size=theme.BODY_SIZE),
            label(f"output {self.size_text(ex)} → {core.fmt_shape(ex.out_shape)}", size=theme.BODY_SIZE,
                  color=theme.OUTPUT),
        )
        if lines[3].width * theme.SMALL_SIZE / theme.BODY_SIZE > width - 0.4:
            # a size computation too long even at the small size: the shape it gives on a line of its own
            lines.remove(lines[3])
            lines.add(VGroup(label(f"output {self.size_text(ex)}", size=theme.BODY_SIZE, color=theme.OUTPUT),
                             label(f"→ {core.fmt_shape(ex.out_shape)}", size=theme.BODY_SIZE, color=theme.OUTPUT))
                      .arrange(DOWN, aligned_edge=LEFT, buff=0.1))
        for line in lines:
            fit_width(line, width - 0.4)
        return lines.arrange(DOWN, aligned_edge=LEFT, buff=0.1)

    def fit_row(self, ex: DimensionExample, width: float, height: float):
        """The volumes as large as ``width`` × ``height`` allows. One trial row gives the parts that do not
        grow with ``side`` (labels, sheet offsets, the arrow and its load); the row's size as a function of
        ``side`` follows, and the largest side that fits is found on it, then the row built once."""
        H, W, _ = ex.in_shape
        oh, ow, _ = ex.out_shape
        big = max(H, W)
        inp, star, filt, times, arrow, out, row = self.volumes(ex, 1.0)
        off_in, off_out = inp.sheets.height - H / big, out.sheets.height - oh / big   # the sheets' offsets
        lab_in, lab_out = inp.shape_label.width, out.shape_label.width
        lab_h = inp.shape_label.height + 0.2
        above = VGroup(star, filt.sheets, times).get_top()[1] - arrow.get_center()[1]      # the load over the arrow
        middle = out.get_left()[0] - inp.get_right()[0]                                    # gap, arrow, gap

        def size(side):
            h_in, h_out = side * H / big + off_in, side * oh / big + off_out
            w = max(side * W / big + off_in, lab_in) + middle + max(side * ow / big + off_out, lab_out)
            return w, max(h_in, h_out, side * H / big / 2 + above) + lab_h  # over the front sheets' floor

        lo, hi = 0.3, 2 * height
        for _ in range(30):  # bisection on the row's size: cheap arithmetic, no drawing
            mid = (lo + hi) / 2
            w, h = size(mid)
            lo, hi = (mid, hi) if w <= width and h <= height else (lo, mid)
        return self.volumes(ex, lo)

    def show_example(self, k: int, ex: DimensionExample, parts, lines):
        inp, star, filt, times, arrow, out, row = parts
        fw, c, m = ex.f, ex.in_shape[2], ex.n_filters
        self.play(GrowArrow(arrow), FadeIn(star), FadeIn(filt), FadeIn(times), FadeIn(lines[0]), run_time=0.8)
        self.beat(f"Example {k + 1}: each of the {m} filters is {fw}×{fw} and as deep as the input, {c} "
                  f"channel{'s' if c != 1 else ''}, so the kernel is {core.fmt_shape(ex.kernel_shape)}.", hold=0.6)
        self.play(FadeIn(lines[1]), run_time=0.5)
        self.play(FadeIn(lines[2]), run_time=0.6)
        self.beat(f"One bias per filter: {fmt_int(ex.biases)} biases, so the layer learns {fw}·{fw}·{c}·{m} + {m} "
                  f"= {fmt_int(ex.total)} parameters.", hold=0.6)
        self.play(FadeIn(out), FadeIn(lines[3]), run_time=0.8)
        self.beat(f"Each filter makes one output map, so the output is {core.fmt_shape(ex.out_shape)}: "
                  f"{self.size_text(ex)} a side, one map per filter.", hold=1.0)

    @staticmethod
    def volumes(ex: DimensionExample, side: float):
        """input —(⊛ one filter × M)→ output: TensorStacks, input and output to one scale, ``side`` the
        input's larger side; the filter rides on the arrow, its shape under it."""
        H, W, C = ex.in_shape
        oh, ow, M = ex.out_shape
        in_colors = theme.CHANNELS if C == 3 else (theme.INPUT,)
        unit = side / max(H, W)
        inp = TensorStack(H, W, C, unit=unit, colors=in_colors, max_side=side, offset=0.1, max_sheets=6,
                          label_text=core.fmt_shape(ex.in_shape))
        filt = TensorStack(ex.f, ex.f, C, unit=max(unit, 0.6 / ex.f), colors=in_colors if C == 3 else (theme.KERNEL,),
                           max_side=0.9, offset=0.09, max_sheets=6, label_text=core.fmt_shape(ex.kernel_shape[:3]))
        for sheet in filt.sheets:
            sheet.set_stroke(theme.KERNEL, width=2.5)
        times = label(f"× {ex.n_filters}", size=theme.BODY_SIZE, color=theme.KERNEL)
        star = label("⊛", size=34)
        load = VGroup(star, filt.sheets, times).arrange(RIGHT, buff=0.12)  # what rides on the arrow
        length = max(load.width, filt.shape_label.width) + 0.4
        out = TensorStack(oh, ow, M, unit=unit, colors=(theme.OUTPUT,), max_side=side, offset=0.08, max_sheets=6,
                          label_text=core.fmt_shape(ex.out_shape))
        gap = 0.15
        inp.move_to(ORIGIN, aligned_edge=LEFT)
        y = inp.front.get_center()[1]
        x0 = inp.get_right()[0] + gap
        arrow = Arrow([x0, y, 0], [x0 + length, y, 0], buff=0, stroke_width=4, color=theme.MUTED,
                      max_tip_length_to_length_ratio=0.12)
        load.move_to([x0 + length / 2, 0, 0]).align_to([0, y + 0.12, 0], DOWN)
        star.set_y(filt.sheets.get_center()[1])
        times.set_y(filt.sheets.get_center()[1])
        filt.shape_label.move_to([x0 + length / 2, 0, 0]).align_to([0, y - 0.12, 0], UP)
        # the front sheets on one floor: both shapes on one line
        out.shift([x0 + length + gap - out.get_left()[0], inp.front.get_bottom()[1] - out.front.get_bottom()[1], 0])
        row = VGroup(inp, star, filt, times, arrow, out)
        return inp, star, filt, times, arrow, out, row

    @staticmethod
    def size_text(ex: DimensionExample) -> str:
        """The output side, worked out the notebook's way."""
        N, F, P, S = ex.in_shape[0], ex.f, ex.padding, ex.stride
        if P == 0 and S == 1:
            return f"{N} − {F} + 1 = {ex.out_shape[0]}"
        return f"⌊({N} − {F} + 2·{P})/{S}⌋ + 1 = {ex.out_shape[0]}"
