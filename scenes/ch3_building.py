"""Chapter 3 — building the CNN.

Each scene: a pure data function (inputs → every number shown, from
``cnnviz.core``) and the choreography that draws it with the shared drawings.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    GrowFromEdge,
    Group,
    Line,
    ShowPassingFlash,
    SurroundingRectangle,
    ReplacementTransform,
    TransformFromCopy,
    VGroup,
    VMobject,
    config,
)

from cnnviz import core, images, theme
from cnnviz.drawings import (
    CnnvizScene,
    KernelGrid,
    NeuronLayer,
    Pipeline,
    PixelImage,
    ProbabilityBars,
    SlidingWindow,
    TensorStack,
    ValueGrid,
    caption,
    connect,
    contrast_text,
    edge,
    fit_width,
    fmt_int,
    fmt_num,
    label,
    map_note,
    map_pixels,
    shade_gray,
    shade_signed,
    sub,
    title,
)
from cnnviz.formula import Formula


# ============================================================ TinyMaxPoolingFixed
@dataclass(frozen=True)
class PoolingData:
    x: np.ndarray            # the feature map
    size: int                # window
    stride: int
    windows: tuple           # top-left (row, col) of each window
    max_out: np.ndarray      # max pooling
    avg_out: np.ndarray      # average pooling
    params: int              # learnable parameters of a pooling layer
    n_explained: int         # windows with both formulas shown; the rest fill in faster


def pooling_data(x=((164, 0, 12, 80), (1, 0, 45, 30), (7, 3, 55, 61), (90, 22, 18, 200)), size: int = 2,
                 stride: int | None = None, n_explained: int = 4) -> PoolingData:
    """The notebook's window [[164, 0], [1, 0]] sits top-left of a 4×4 feature map; 2×2 windows, stride 2."""
    x = np.array(x)
    stride = size if stride is None else stride
    windows = tuple(core.pool_windows(x.shape, size, stride))
    return PoolingData(x, size, stride, windows, core.max_pool(x, size, stride), core.avg_pool(x, size, stride),
                       core.pool_params(size), n_explained)


class TinyMaxPoolingFixed(CnnvizScene):
    data = staticmethod(pooling_data)

    def construct(self):
        d = self.data()
        k = d.size
        H, W = d.x.shape
        oh, ow = d.max_out.shape
        head = title(f"Pooling: {core.fmt_shape(d.x.shape)} map, {k}×{k} window, stride {d.stride} "
                     f"→ {core.fmt_shape(d.max_out.shape)}", size=30)
        # the map as large as the height under the title allows (5 units), the two results side by side on
        # the right with the formulas under them; every grid hangs from the same line under the title
        top, left_w, gap = 2.55, 5.2, 0.8
        cell = min(1.3, 5.2 / max(H, W))
        x_grid = ValueGrid(d.x, color=theme.INPUT, cell_size=cell, font_size=min(36.0, 22 * cell / 0.62))
        right_w = config.frame_width - 0.8 - left_w - gap          # the room right of the map
        ocell = min(1.3, 3.4 / max(oh, ow), (right_w - gap) / (2 * ow))
        mx = ValueGrid(d.max_out, color=theme.OUTPUT, cell_size=ocell, show_values=False,
                       font_size=min(34.0, 26 * ocell / 1.1))
        av = ValueGrid(d.avg_out, color=theme.OUTPUT, cell_size=ocell, show_values=False,
                       font_size=min(34.0, 26 * ocell / 1.1))
        x0 = -config.frame_width / 2 + 0.4
        x_grid.move_to([x0 + left_w / 2, 0, 0])
        r_mid = x0 + left_w + gap + right_w / 2
        VGroup(mx, av).arrange(RIGHT, buff=gap).move_to([r_mid, 0, 0])
        for g in (x_grid, mx, av):
            g.align_to([0, top, 0], UP)
        names = VGroup(
            x_grid.heading("feature map"), mx.heading("max pooling"), av.heading("average pooling"),
        )
        self.play(FadeIn(head), FadeIn(x_grid), FadeIn(mx), FadeIn(av), FadeIn(names), run_time=1.0)

        formula_y = min(mx.get_bottom()[1], av.get_bottom()[1]) - 0.55
        window = SlidingWindow(x_grid, k)
        for n, (r, c) in enumerate(d.windows):
            i, j = divmod(n, ow)
            if n == 0:
                window.place(r, c)
                self.play(Create(window), run_time=0.5)
            else:
                self.play(window.step_to(r, c), run_time=0.4 if n < d.n_explained else 0.25)
            m_val = mx.value_label(i, j, d.max_out[i, j])
            a_val = av.value_label(i, j, d.avg_out[i, j])
            if n >= d.n_explained:  # the rule is clear by now: the results only
                self.play(FadeIn(m_val), FadeIn(a_val), run_time=0.3)
                continue
            vals = d.x[r:r + k, c:c + k].ravel()
            f_max = Formula(rf"\max({', '.join(fmt_num(v) for v in vals)}) = {{\color{{{theme.OUTPUT}}}"
                            rf"{fmt_num(d.max_out[i, j])}}}", font_size=34)
            f_avg = Formula(rf"\frac{{{' + '.join(fmt_num(v) for v in vals)}}}{{{vals.size}}}"
                            rf" = {{\color{{{theme.OUTPUT}}}{fmt_num(d.avg_out[i, j])}}}", font_size=34)
            for f in (f_max, f_avg):
                fit_width(f, right_w)
            VGroup(f_max, f_avg).arrange(DOWN, buff=0.35).move_to([r_mid, 0, 0]).align_to([0, formula_y, 0], UP)
            slow = n == 0  # the notebook's window, explained; the others faster
            self.play(FadeIn(f_max), FadeIn(f_avg), run_time=0.8 if slow else 0.4)
            # the result's glyphs (one SVG path per glyph) fly into the output cells
            m_res = f_max[-len(fmt_num(d.max_out[i, j])):]
            a_res = f_avg[-len(fmt_num(d.avg_out[i, j])):]
            self.play(TransformFromCopy(m_res, m_val), TransformFromCopy(a_res, a_val), run_time=0.8 if slow else 0.5)
            if slow:
                note = label(f"max keeps the strong {fmt_num(d.max_out[i, j])}; "
                             f"the average dilutes it to {fmt_num(d.avg_out[i, j])}",
                             size=theme.SMALL_SIZE, color=theme.HIGHLIGHT).to_edge(DOWN, buff=0.45)
                self.play(FadeIn(note), run_time=0.5)
                self.beat(1.5)
                self.play(FadeOut(note), run_time=0.3)
            else:
                self.beat(0.4)
            self.play(FadeOut(f_max), FadeOut(f_avg), run_time=0.3)

        end = caption(f"Pooling learns nothing: {d.params} parameters (no W, no b). "
                      f"{core.fmt_shape(d.x.shape)} → {core.fmt_shape(d.max_out.shape)}", color=theme.TEXT)
        self.play(FadeOut(window), FadeIn(end), run_time=0.6)
        self.beat(1.5)
        self.clear_all()


# ============================================================ ConvView_Final_Title_SharedBias
@dataclass(frozen=True)
class SharedWeightsData:
    x: np.ndarray            # H×W input x₁₁ … (the notebook: 3×3)
    w: np.ndarray            # kh×kw kernel w₁ … (the notebook: 2×2, row-major numbering)
    b: int | float           # the one bias of the filter
    z: np.ndarray            # conv2d(x, w, b): z₁ … row-major
    steps: tuple             # one core.ConvStep per output, raster order
    edges: tuple             # core.conv_connections: (output, input, weight) of every edge
    dense_edges: int         # the edges a dense layer between the same neurons would have
    weights: int             # learnable weights of the layer (shared by every output)
    biases: int              # learnable biases (one per filter)
    n_explained: int         # outputs explained term by term; the rest go faster


def shared_weights_data(x=((2, 0, 1), (1, 3, 2), (0, 1, 4)), w=((-1, 2), (1, -2)), b=1,
                        n_explained: int = 2) -> SharedWeightsData:
    """The notebook's II.1–II.2 layout (3×3 input, 2×2 kernel, one bias) with small integers.

    The notebook names x₁₁…x₃₃, w₁…w₄ and b without values; these give
    z with both signs, which ActivationFunctionStep then passes through ReLU.
    """
    x, w = np.array(x), np.array(w)
    z = core.conv2d(x, w, b)
    steps = tuple(core.conv_step(x, w, i, j, b=b) for i in range(z.shape[0]) for j in range(z.shape[1]))
    edges = core.conv_connections(x.shape, w.shape)
    n_w, n_b = core.conv_param_terms(w.shape, 1, 1)
    return SharedWeightsData(x, w, b, z, steps, edges, dense_edges=x.size * z.size, weights=n_w, biases=n_b,
                             n_explained=n_explained)


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
        H, W = d.x.shape
        kh, kw = d.w.shape
        oh, ow = d.z.shape
        n_in, n_out = d.x.size, d.z.size
        head = title("Convolution = a layer of neurons with shared weights", size=32)

        # --- left: the input grid, the kernel and the bias
        cell = min(0.8, 2.6 / max(H, W))
        x_grid = ValueGrid(d.x, color=theme.INPUT, cell_size=cell, font_size=26 * cell / 0.8)
        x_grid.move_to([-5.3, 0, 0]).align_to([0, 2.75, 0], UP)
        x_head = x_grid.heading(f"input X {core.fmt_shape(d.x.shape)}")
        kcell = min(0.85, 2.2 / max(kh, kw))
        k_grid = KernelGrid(d.w, cell_size=kcell)
        b_box = ValueGrid(np.array([[d.b]]), color=theme.BIAS, cell_size=kcell, font_size=k_grid.font_size)
        VGroup(k_grid, b_box).arrange(RIGHT, buff=0.55).move_to([-5.0, 0, 0])
        VGroup(k_grid, b_box).shift(UP * (min(-0.5, x_grid.get_bottom()[1] - 0.6) - k_grid.get_top()[1]))
        k_head = k_grid.heading(f"kernel W {core.fmt_shape(d.w.shape)}")
        k_head.set_color(theme.KERNEL)
        b_head = label("bias b", size=theme.SMALL_SIZE, color=theme.BIAS).next_to(b_box, UP, buff=0.15)
        b_head.align_to(k_head, DOWN)

        # --- middle: the same numbers as a layer of neurons, plus the bias neuron
        top, bottom = 2.85, -2.15
        spacing = min(0.62, (top - bottom) / (n_in + 0.4))
        radius = min(0.24, spacing * 0.4)
        inputs = NeuronLayer(n_in, radius=radius, spacing=spacing, color=theme.INPUT)
        inputs.move_to([-1.7, top - (n_in - 1) * spacing / 2, 0])
        outputs = NeuronLayer(n_out, radius=0.3, spacing=min(1.1, 4.6 / n_out), color=theme.OUTPUT)
        outputs.move_to([1.55, inputs.get_center()[1], 0])
        bias = NeuronLayer(1, radius=radius, color=theme.BIAS).move_to(
            [inputs.get_center()[0] + 1.2, inputs.neurons[-1].get_center()[1] - spacing * 0.9, 0])
        in_names = inputs.labels_beside(_grid_names("x", d.x.shape), LEFT, size=theme.SMALL_SIZE, color=theme.INPUT)
        values_fit = radius >= 0.2
        in_vals = inputs.values_inside(d.x.ravel()) if values_fit else VGroup()
        out_names = outputs.labels_beside(_flat_names("z", n_out), RIGHT, size=theme.BODY_SIZE, color=theme.OUTPUT)
        b_name = label("b", size=theme.SMALL_SIZE, color=theme.BIAS).next_to(bias, LEFT, buff=0.12)
        b_val = bias.values_inside([d.b]) if values_fit else VGroup()

        # --- right: the output map
        zcell = min(0.95, 2.2 / max(oh, ow))
        z_grid = ValueGrid(d.z, color=theme.OUTPUT, cell_size=zcell, show_values=False, font_size=26)
        z_grid.move_to([5.0, 0, 0]).align_to([0, 2.75, 0], UP)
        z_head = z_grid.heading(f"output Z {core.fmt_shape(d.z.shape)}")
        # the equations go under the network, right of the kernel
        low = min(bias.get_bottom()[1], outputs.get_bottom()[1])
        eq_box = (max(b_box.get_right()[0], k_grid.get_right()[0]) + 0.3, 6.9, low - 0.2, -3.9)
        if k_grid.get_bottom()[1] > eq_box[2]:  # the kernel ends above: the whole width is free
            eq_box = (-6.9, 6.9, min(low, k_grid.get_bottom()[1]) - 0.2, -3.9)
        z_cell_names = VGroup(*(label(n, size=theme.SMALL_SIZE, color=theme.MUTED).move_to(z_grid.cells[k])
                                for k, n in enumerate(_flat_names("z", n_out))))

        self.play(FadeIn(head), FadeIn(x_grid), FadeIn(x_head), FadeIn(k_grid), FadeIn(k_head), FadeIn(b_box),
                  FadeIn(b_head), FadeIn(z_grid), FadeIn(z_head), FadeIn(z_cell_names), run_time=1.0)
        self.play(FadeIn(inputs), FadeIn(in_names), FadeIn(in_vals), FadeIn(outputs), FadeIn(out_names),
                  FadeIn(bias), FadeIn(b_name), FadeIn(b_val), run_time=0.8)
        self.beat(0.6)

        by_out: dict[int, list] = {}
        for e in d.edges:
            by_out.setdefault(e.out_index, []).append(e)
        by_weight = {m: VGroup() for m in range(d.w.size)}
        b_lines = VGroup()
        window = x_grid.window(0, 0, kh, kw)
        all_edges = VGroup()
        x_names = _grid_names("x", d.x.shape)
        note = None
        for k, step in enumerate(d.steps):
            i, j = step.out_pos
            slow = k < d.n_explained
            es = by_out[k]
            lines = connect(inputs, outputs, pairs=[(e.in_index, k) for e in es],
                            colors=[theme.kernel_color(e.weight_index) for e in es], width=4, opacity=1.0)
            b_line = connect(bias, outputs, pairs=[(0, k)], color=theme.BIAS, width=3, opacity=0.9)
            lit = VGroup(*(inputs.neurons[e.in_index] for e in es))
            target = window.copy().move_to(x_grid.block_center(*step.window_pos, kh, kw))
            moves = [Create(window)] if k == 0 else [window.animate.move_to(target)]
            dim = [all_edges.animate.set_stroke(width=1.5, opacity=0.35)] if len(all_edges) else []
            self.play(*moves, *dim, lit.animate.set_fill(theme.HIGHLIGHT, opacity=0.35),
                      Create(lines), Create(b_line), run_time=1.0 if slow else 0.5)

            value = z_grid.value_label(i, j, step.output)
            z_val = outputs.values_inside([step.output] * n_out)[k]
            if slow:
                sym, num = self.equation(d, step, k, es, x_names, eq_box[1] - eq_box[0])
                res = num[-1][-len(fmt_num(step.output)):]
                if len(sym) == len(num) == 1:  # both fit: names above, numbers below
                    VGroup(sym, num).arrange(DOWN, buff=0.25).move_to([sum(eq_box[:2]) / 2, sum(eq_box[2:]) / 2, 0])
                    self.play(FadeIn(sym), run_time=0.6)
                    self.play(FadeIn(num), run_time=0.6)
                else:  # a large kernel: the names, then the numbers in their place
                    for f in (sym, num):
                        f.move_to([sum(eq_box[:2]) / 2, sum(eq_box[2:]) / 2, 0])
                    self.play(FadeIn(sym), run_time=0.6)
                    self.beat(0.6)
                    self.play(FadeOut(sym), FadeIn(num), run_time=0.6)
                    sym = VGroup()
                self.play(TransformFromCopy(res, z_val), TransformFromCopy(res, value),
                          FadeOut(z_cell_names[k]), run_time=0.7)
                text = (f"sparse: z{sub(k + 1)} sees only\n{len(es)} of the {n_in} inputs" if k == 0
                        else f"shared: the same\n{d.weights} weights, the same b")
                new_note = label(text, size=theme.SMALL_SIZE, color=theme.HIGHLIGHT)
                new_note.next_to(z_grid, DOWN, buff=0.5)
                self.play(FadeIn(new_note) if note is None else ReplacementTransform(note, new_note), run_time=0.5)
                note = new_note
                if k > 0:
                    self.play(Circumscribe(VGroup(k_grid, b_box), color=theme.HIGHLIGHT, buff=0.12), run_time=0.9)
                self.beat(1.0)
                self.play(FadeOut(sym), FadeOut(num), run_time=0.3)
            else:
                self.play(FadeIn(z_val), FadeIn(value), FadeOut(z_cell_names[k]), run_time=0.5)
                self.beat(0.3)
            self.play(lit.animate.set_fill(theme.INPUT, opacity=0), run_time=0.2)
            for line, e in zip(lines, es):
                by_weight[e.weight_index].add(line)
            b_lines.add(b_line)
            all_edges.add(lines, b_line)

        # parameter sharing, weight by weight: each weight's edges reach every output
        if note is not None:
            self.play(FadeOut(note), run_time=0.3)
        self.play(FadeOut(window), all_edges.animate.set_stroke(width=1.5, opacity=0.25), run_time=0.5)
        groups = [(by_weight[m], k_grid.cells[m]) for m in range(d.w.size)] + [(b_lines, b_box.cells[0])]
        prev = None
        for g, src in groups:
            anims = [g.animate.set_stroke(width=5, opacity=1.0),
                     Circumscribe(src, color=theme.HIGHLIGHT, buff=0.04, stroke_width=5)]
            if prev is not None:
                anims.append(prev.animate.set_stroke(width=1.5, opacity=0.25))
            self.play(*anims, run_time=0.55)
            prev = g
        end = caption(f"{len(d.edges)} connections, not {d.dense_edges}; "
                      f"only {d.weights} weights + {d.biases} bias = {d.weights + d.biases} parameters",
                      color=theme.TEXT)
        self.play(all_edges.animate.set_stroke(width=3, opacity=0.9), FadeIn(end), run_time=0.6)
        self.beat(2.0)
        self.clear_all()

    @staticmethod
    def equation(d, step, k, es, x_names, width: float):
        """z_k = Σ x·w + b with names, and with the numbers: each a VGroup of 1–3 lines at most ``width`` wide."""
        cx, cb, co = theme.INPUT, theme.BIAS, theme.OUTPUT
        xv, wv = d.x.ravel(), d.w.ravel()
        sym_terms = [rf"{{\color{{{cx}}}x_{{{x_names[e.in_index][1:].translate(_UNSUB)}}}}}\,"
                     rf"{{\color{{{theme.kernel_color(e.weight_index)}}}w_{{{e.weight_index + 1}}}}}" for e in es]
        num_terms = [rf"{{\color{{{cx}}}{_tex_num(xv[e.in_index])}}}\cdot"
                     rf"{{\color{{{theme.kernel_color(e.weight_index)}}}{_tex_num(wv[e.weight_index])}}}" for e in es]
        sym = _formula_lines(rf"{{\color{{{co}}}z_{{{k + 1}}}}} = ", sym_terms, rf" + {{\color{{{cb}}}b}}", width)
        num = _formula_lines(r"= ", num_terms,
                             rf" + {{\color{{{cb}}}{_tex_num(step.bias)}}} = {{\color{{{co}}}{fmt_num(step.output)}}}",
                             width)
        return sym, num


def _formula_lines(head: str, terms: list[str], tail: str, width: float, font_size: float = 34,
                   min_size: float = 26) -> VGroup:
    """``head t₁ + t₂ + … tail`` as Formula lines (split between terms) no wider than ``width``.

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
        if lines.width <= width:
            return lines
    return lines.scale(max(width / lines.width, min_size / font_size))


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


def sparse_vs_dense_data(in_shape=(3, 3), kernel_shape=(2, 2)) -> SparseDenseData:
    """The same layer of neurons, n_in → n_out, wired densely and as a convolution (the notebook's II.4)."""
    in_shape, kernel_shape = tuple(in_shape), tuple(kernel_shape)
    out_shape = core.conv_output_shape(in_shape, kernel_shape)
    n_in, n_out = int(np.prod(in_shape)), int(np.prod(out_shape))
    (dense_w, dense_b), = core.mlp_param_terms([n_in, n_out])
    channels = in_shape[2] if len(in_shape) == 3 else 1
    conv_w, conv_b = core.conv_param_terms(kernel_shape[:2], channels, 1)
    return SparseDenseData(in_shape, kernel_shape, out_shape, n_in, n_out, dense_w, dense_b,
                           core.dense_params(n_in, n_out), core.conv_connections(in_shape, kernel_shape),
                           conv_w, conv_b, core.conv_params(kernel_shape[:2], channels, 1))


class SparseVsDense(CnnvizScene):
    data = staticmethod(sparse_vs_dense_data)

    def construct(self):
        d = self.data()
        head = title(f"Fully connected vs convolution: the same {d.n_in} → {d.n_out} layer", size=32)
        top, bottom = 2.3, -1.45
        spacing = min(0.5, (top - bottom) / (d.n_in + 0.2))
        radius = min(0.2, spacing * 0.4)
        out_spacing = min(0.95, (top - bottom) / max(d.n_out, 1))

        def network(x_in: float, x_out: float, bias_name: str):
            ins = NeuronLayer(d.n_in, radius=radius, spacing=spacing, color=theme.INPUT)
            ins.move_to([x_in, top - (d.n_in - 1) * spacing / 2, 0])
            outs = NeuronLayer(d.n_out, radius=0.28, spacing=out_spacing, color=theme.OUTPUT)
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
        self.beat(0.5)

        # --- dense: every input to every output, each edge its own weight
        count = None
        dense_edges = VGroup()
        for o in range(d.n_out):
            lines = connect(d_in, d_out, pairs=[(i, o) for i in range(d.n_in)], color=theme.MUTED, width=2,
                            opacity=0.8)
            dense_edges.add(lines)
            n_edges = (o + 1) * d.n_in
            new = label(f"{n_edges} connections, {n_edges} weights", size=24)
            new.move_to([-4.05, -2.4, 0])
            self.play(Create(lines), FadeIn(new) if count is None else ReplacementTransform(count, new),
                      run_time=0.7 if o == 0 else 0.4)
            count = new
        d_bias_edges = connect(d_bias, d_out, color=theme.BIAS, width=2, opacity=0.9)
        d_sum = label(f"{fmt_int(d.dense_weights)} weights + {d.dense_biases} biases = {fmt_int(d.dense_total)}",
                      size=theme.BODY_SIZE).move_to([-4.05, -2.95, 0])
        self.play(FadeIn(d_bias), FadeIn(d_bname), Create(d_bias_edges), FadeIn(d_sum), run_time=0.8)
        self.beat(0.8)

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
            n_edges = sum(len(by_out.get(k, [])) for k in range(o + 1))
            new = label(f"{n_edges} connections, {d.conv_weights} weights", size=24)
            new.move_to([2.65, -2.4, 0])
            self.play(Create(lines), FadeIn(new) if ccount is None else ReplacementTransform(ccount, new),
                      run_time=0.8 if o < 2 else 0.45)
            if o < 2:
                self.beat(0.3)
            ccount = new
        c_bias_edges = connect(c_bias, c_out, color=theme.BIAS, width=2, opacity=0.9)
        c_sum = label(f"{d.conv_weights} weights + {d.conv_biases} bias = {fmt_int(d.conv_total)}",
                      size=theme.BODY_SIZE).move_to([2.65, -2.95, 0])
        self.play(FadeIn(c_bias), FadeIn(c_bname), Create(c_bias_edges), FadeIn(c_sum), run_time=0.8)
        self.beat(0.8)

        # --- one colour = one shared weight: each lights up on every output
        self.play(conv_lines.animate.set_stroke(opacity=0.25), run_time=0.4)
        for m in sorted(by_weight):
            self.play(by_weight[m].animate.set_stroke(width=5, opacity=1.0),
                      Circumscribe(legend.cells[m], color=theme.HIGHLIGHT, buff=0.03), run_time=0.5)
            self.play(by_weight[m].animate.set_stroke(width=3, opacity=0.25), run_time=0.2)
        self.play(conv_lines.animate.set_stroke(opacity=1.0), run_time=0.4)
        ratio = d.dense_total / d.conv_total
        end = caption(f"{fmt_int(d.dense_total)} parameters vs {fmt_int(d.conv_total)}: "
                      f"sparse, shared connections ({fmt_num(ratio, 1)}× fewer)", color=theme.HIGHLIGHT)
        self.play(FadeIn(end), run_time=0.6)
        self.beat(2.0)
        self.clear_all()


# ============================================================ ActivationFunctionStep
@dataclass(frozen=True)
class ActivationData:
    z: np.ndarray            # the linear map Z (both signs)
    a: np.ndarray            # A = ReLU(Z), same shape
    n_explained: int         # entries explained one by one; the rest go faster
    from_conv: bool          # Z was computed here as X ⊛ W + b (not given)


def activation_data(x=((2, 0, 1), (1, 3, 2), (0, 1, 4)), w=((-1, 2), (1, -2)), b=1, z=None,
                    n_explained: int = 2) -> ActivationData:
    """A = ReLU(Z) for the Z of ConvView_Final_Title_SharedBias (X ⋆ W + b), or for a given ``z``."""
    from_conv = z is None
    z = core.conv2d(np.array(x), np.array(w), b) if from_conv else np.array(z)
    if z.ndim != 2:
        raise ValueError(f"Z must be a 2-D map, got shape {core.fmt_shape(z.shape)}")
    return ActivationData(z, core.relu(z), n_explained, from_conv)


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
        rows, cols = d.z.shape
        head = title("The activation: A = ReLU(Z), entry by entry", size=32)
        vmax = float(max(np.abs(d.z).max(), 1))
        cell = min(1.1, 2.8 / max(rows, cols))
        z_grid = ValueGrid(d.z, color=theme.OUTPUT, cell_size=cell, shade="signed", vrange=(-vmax, vmax),
                           font_size=30 * cell / 1.1).move_to([-5.25, 0.1, 0])
        a_grid = ValueGrid(d.a, color=theme.OUTPUT, cell_size=cell, font_size=z_grid.font_size,
                           show_values=False).move_to([5.25, 0.1, 0])  # cells take their shade as values arrive
        z_head = z_grid.heading(f"{'Z = X ⊛ W + b' if d.from_conv else 'Z'}  {core.fmt_shape(d.z.shape)}")
        a_head = a_grid.heading(f"A = ReLU(Z)  {core.fmt_shape(d.a.shape)}")
        for h in (z_head, a_head):
            h.set_color(theme.TEXT)

        # the ReLU graph, equal scales on both axes so the positive part rises at 45°
        step = _nice_step(vmax)
        reach = step * np.ceil(vmax / step)
        x_len = 6.6
        axes = Axes(x_range=[-reach, reach, step], y_range=[0, reach, step], x_length=x_len, y_length=x_len / 2,
                    tips=False, axis_config={"include_numbers": False, "color": theme.MUTED, "stroke_width": 2})
        axes.move_to([0, -0.1, 0])
        ticks = VGroup(*(label(fmt_num(v), size=theme.MIN_FONT, color=theme.MUTED).next_to(axes.c2p(v, 0), DOWN, 0.15)
                         for v in np.arange(-reach, reach + step / 2, step)))
        ticks.add(*(label(fmt_num(v), size=theme.MIN_FONT, color=theme.MUTED).next_to(axes.c2p(0, v), LEFT, 0.12)
                    for v in np.arange(step, reach + step / 2, step)))
        graph = VGroup(Line(axes.c2p(-reach, 0), axes.c2p(0, 0)), Line(axes.c2p(0, 0), axes.c2p(reach, reach)))
        graph.set_stroke(theme.HIGHLIGHT, width=5)
        rule = Formula(r"\mathrm{ReLU}(z) = \max(0,\, z)", font_size=34).next_to(axes, UP, buff=0.45)

        self.play(FadeIn(head), FadeIn(z_grid), FadeIn(z_head), FadeIn(a_grid), FadeIn(a_head), run_time=0.8)
        self.play(Create(axes), FadeIn(ticks), FadeIn(rule), run_time=0.8)
        self.play(Create(graph), run_time=0.8)
        self.beat(0.6)

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
            src = z_grid.label_at(i, j).copy()
            value = a_grid.value_label(i, j, a, color=contrast_text(shade_signed(a, vmax)))
            shade = a_grid.cell(i, j).animate.set_fill(shade_signed(a, vmax), opacity=1)
            color = theme.NEGATIVE if z < 0 else theme.POSITIVE if z > 0 else theme.MUTED
            guide = DashedLine(axes.c2p(z, 0), axes.c2p(z, a), color=color, stroke_width=3) if a else VGroup()
            if slow:
                calc = Formula(rf"\max(0,\, {{\color{{{color}}}{fmt_num(z)}}}) = {fmt_num(a)}", font_size=34)
                calc.next_to(ticks, DOWN, buff=0.35).set_x(axes.get_center()[0])
                self.play(ReplacementTransform(src, dot), run_time=rt)
                self.play(dot.animate.move_to(axes.c2p(z, a)), Create(guide), FadeIn(calc), run_time=rt)
                why = label("negative → 0" if z < 0 else "positive: kept as is" if z > 0 else "zero stays 0",
                            size=theme.BODY_SIZE, color=color).next_to(calc, DOWN, buff=0.25)
                self.play(FadeIn(why), TransformFromCopy(calc[-len(fmt_num(a)):], value), shade, run_time=0.8)
                self.beat(0.8)
                self.play(FadeOut(calc), FadeOut(why), FadeOut(dot), FadeOut(guide), run_time=0.3)
            else:
                self.play(ReplacementTransform(src, dot), run_time=0.3)
                self.play(dot.animate.move_to(axes.c2p(z, a)), Create(guide), run_time=0.35)
                self.play(FadeIn(value), shade, FadeOut(dot), FadeOut(guide), run_time=0.35)
            if not slow:
                self.beat(0.2)
        n_neg = int((d.z < 0).sum())
        end = caption(f"{n_neg} negative → 0, {d.z.size - n_neg} unchanged: A keeps the shape of Z, "
                      f"{core.fmt_shape(d.a.shape)}", color=theme.TEXT)
        self.play(FadeOut(frame_z), FadeOut(frame_a), FadeIn(end), run_time=0.6)
        self.beat(2.0)
        self.clear_all()


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


def dimension_examples_data(examples=(((28, 28, 1), 32, 3), ((32, 32, 3), 64, 5)), stride: int = 1,
                            padding: int = 0) -> DimensionData:
    """The notebook's two examples: ``(input H×W×C, number of filters, kernel size)`` each."""
    return DimensionData(tuple(dimension_example(s, m, f, stride, padding) for s, m, f in examples))


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
        self.play(FadeIn(head), FadeIn(rule), run_time=0.8)
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
        end.arrange(DOWN, buff=0.12).to_edge(DOWN, buff=0.25)

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
        for k, (ex, row, g, cx) in enumerate(zip(d.examples, rows, lines, centres)):
            g.move_to([cx, 0, 0]).align_to([0, lines_top, 0], UP)
            self.show_example(heads[k], row, g)
        self.play(FadeIn(end), run_time=0.6)
        self.beat(2.5)
        self.clear_all()

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

    def show_example(self, sub_head, parts, lines):
        inp, star, filt, times, arrow, out, row = parts
        self.play(FadeIn(sub_head), FadeIn(inp), run_time=0.6)
        self.play(GrowArrow(arrow), FadeIn(star), FadeIn(filt), FadeIn(times), FadeIn(lines[0]), run_time=0.8)
        self.beat(0.6)
        self.play(FadeIn(lines[1]), run_time=0.5)
        self.play(FadeIn(lines[2]), run_time=0.6)
        self.beat(0.6)
        self.play(FadeIn(out), FadeIn(lines[3]), run_time=0.8)
        self.beat(1.0)

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


# ============================================================ TinyCNN_ImageInput, NeuralNetworkAnimation: one real CNN
@dataclass(frozen=True)
class TinyCNNData:
    image: np.ndarray        # H×W uint8: the picture
    x: np.ndarray            # H×W×1 float: image / 255, the network's input
    kernels: np.ndarray      # F×F×1×M conv weights (seeded, rounded to 0.1 to be readable)
    conv_bias: np.ndarray    # M
    z: np.ndarray            # conv output H'×W'×M
    a: np.ndarray            # ReLU(z)
    p: np.ndarray            # max-pooled a: H''×W''×M
    flat: np.ndarray         # flatten(p), row by row, channels last
    dense_w: np.ndarray      # n×K dense weights (seeded)
    dense_b: np.ndarray      # K
    logits: np.ndarray       # dense(flat)
    probs: np.ndarray        # softmax(logits)
    classes: tuple           # class names, "0" … "9"
    pool: int                # pooling window (= stride)
    seed: int
    conv_params: int         # F·F·C·M + M
    dense_params: int        # n·K + K
    focus: tuple             # (m, r, c): the pooled neuron with the strongest activation (NeuralNetworkAnimation)

    @property
    def stages(self) -> tuple:
        """(name, shape) of every tensor, input to output: the shapes the scenes print."""
        return (("input", self.x.shape), ("conv", self.z.shape), ("ReLU", self.a.shape),
                ("max-pool", self.p.shape), ("flatten", self.flat.shape), ("dense", self.logits.shape),
                ("softmax", self.probs.shape))


def tiny_cnn_data(image=None, digit: int = 5, n_filters: int = 4, kernel_size: int = 3, pool: int = 2,
                  n_classes: int = 10, seed: int = 0) -> TinyCNNData:
    """Conv → ReLU → MaxPool → Flatten → Dense → Softmax on a real picture, with seeded (untrained) weights.

    ``image``: an H×W uint8 array (default: the Chapter 1 digit ``images.digit(digit)``, 28×28).
    Conv weights ~ N(0, 0.6²) rounded to 0.1, biases ~ N(0, 0.1²) rounded to 0.1;
    dense weights ~ N(0, (2/√n)²), biases ~ N(0, 0.1²) — all from ``np.random.default_rng(seed)``.
    """
    img = images.digit(digit) if image is None else np.asarray(image)
    if img.ndim != 2 or img.dtype != np.uint8:
        raise ValueError(f"the picture must be an H×W uint8 array, got {core.fmt_shape(img.shape)} {img.dtype}")
    x = img.astype(np.float64)[:, :, None] / 255.0
    rng = np.random.default_rng(seed)
    kernels = np.round(rng.normal(0.0, 0.6, (kernel_size, kernel_size, 1, n_filters)), 1)
    conv_bias = np.round(rng.normal(0.0, 0.1, n_filters), 1)
    z = core.conv2d(x, kernels, conv_bias)
    a = core.relu(z)
    p = core.max_pool(a, pool)
    flat = core.flatten(p)
    dense_w = rng.normal(0.0, 2.0 / np.sqrt(flat.size), (flat.size, n_classes))
    dense_b = np.round(rng.normal(0.0, 0.1, n_classes), 1)
    logits = core.dense(flat, dense_w, dense_b)
    probs = core.softmax(logits)
    m, r, c = np.unravel_index(int(np.argmax(np.moveaxis(p, 2, 0))), (p.shape[2], p.shape[0], p.shape[1]))
    return TinyCNNData(img, x, kernels, conv_bias, z, a, p, flat, dense_w, dense_b, logits, probs,
                       tuple(str(k) for k in range(n_classes)), pool, seed,
                       core.conv_params(kernel_size, 1, n_filters), core.dense_params(flat.size, n_classes),
                       (int(m), int(r), int(c)))


PIPELINE = ("Conv", "ReLU", "MaxPool", "Flatten", "Dense", "Softmax")


def _focus(scene, pipe, k):
    """Light stage k of the pipeline header, moved to the front first: Manim redraws every frame whatever
    follows an animated mobject in ``scene.mobjects``, so the pictures behind the header stay cached."""
    scene.bring_to_front(pipe)
    return pipe.focus(k)


def _map_block(maps: np.ndarray, cell: float, vrange, signed: bool, gap: float = 0.1) -> Group:
    """The M maps of an H×W×M tensor as pictures in a near-square block, each map ``cell`` units per pixel."""
    M = maps.shape[2]
    cols = int(np.ceil(np.sqrt(M)))
    block = Group(*(PixelImage(map_pixels(maps[:, :, m], vrange, signed), height=maps.shape[0] * cell)
                    for m in range(M)))
    block.arrange_in_grid(cols=cols, buff=gap)
    return block


class TinyCNN_ImageInput(CnnvizScene):
    data = staticmethod(tiny_cnn_data)

    def construct(self):
        d = self.data()
        H, W = d.image.shape
        oh, ow, M = d.z.shape
        ph, pw, _ = d.p.shape
        F = d.kernels.shape[0]
        pipe = Pipeline(PIPELINE, size=24).to_edge(UP, buff=0.3)
        self.play(FadeIn(pipe), run_time=0.6)

        # --- page 1: feature extraction, the real maps as pictures, three stages a page: input → conv → ReLU,
        # then the row moves on one stage (conv → ReLU → MaxPool). Sizes from the room the text leaves.
        zmax = float(np.abs(d.z).max())
        amax = float(max(d.a.max(), 1e-9))
        kmax = float(np.abs(d.kernels).max())
        note = VGroup(label(f"maps as pictures, one scale per layer — conv: {map_note((-zmax, zmax), signed=True)}",
                            size=theme.SMALL_SIZE, color=theme.MUTED),
                      label(f"after ReLU and pooling: {map_note((0, amax))}", size=theme.SMALL_SIZE,
                            color=theme.MUTED)).arrange(DOWN, buff=0.1)
        fit_width(note, config.frame_width - 0.6).to_edge(DOWN, buff=0.25)
        k_note = label(f"{M} kernels {F}×{F}:", size=theme.SMALL_SIZE, color=theme.KERNEL)
        names = [label(n, size=theme.SMALL_SIZE, color=c) for n, c in
                 (("input / 255", theme.INPUT), (f"{M} feature maps", theme.OUTPUT), ("after ReLU", theme.OUTPUT),
                  (f"pooled {d.pool}×{d.pool}", theme.OUTPUT))]
        shapes = [label(core.fmt_shape(t.shape), size=theme.SMALL_SIZE) for t in (d.x, d.z, d.a, d.p)]
        name_h, shape_h = max(n.height for n in names), max(s.height for s in shapes)
        arrow_gap, margin, buff = 0.9, 0.3, 0.2
        slot_w = (config.frame_width - 2 * margin - 2 * arrow_gap) / 3
        slots = [-config.frame_width / 2 + margin + slot_w / 2 + k * (slot_w + arrow_gap) for k in range(3)]
        # the kernels' row under the conv maps: M pictures after their name, at most a fifth of a slot each
        k_side = min(0.9, slot_w / 5, (slot_w + 2 * arrow_gap - k_note.width - 0.2) / M - 0.12)
        top = pipe.get_bottom()[1] - 0.3 - name_h - buff
        bottom = note.get_top()[1] + 0.3 + k_side + 0.3 + shape_h + buff
        y_c = (top + bottom) / 2
        room = top - bottom
        cols = int(np.ceil(np.sqrt(M)))
        rows = int(np.ceil(M / cols))

        def cell_for(h, w):  # scene units per map pixel for a block of M h×w maps in one slot
            return min((slot_w - 0.1 * (cols - 1)) / (cols * w), (room - 0.1 * (rows - 1)) / (rows * h))

        img = PixelImage(d.image, height=min(room, slot_w * H / W)).move_to([slots[0], y_c, 0])
        conv = _map_block(d.z, cell_for(oh, ow), (-zmax, zmax), signed=True).move_to([slots[1], y_c, 0])
        act = _map_block(d.a, cell_for(oh, ow), (0, amax), signed=False).move_to([slots[2], y_c, 0])
        pooled = _map_block(d.p, cell_for(ph, pw), (0, amax), signed=False).move_to([slots[2], y_c, 0])
        blocks = (img, conv, act, pooled)
        for n, s_, b in zip(names, shapes, blocks):
            n.move_to([b.get_x(), top + buff + name_h / 2, 0])
            s_.move_to([b.get_x(), bottom - buff - shape_h / 2, 0])
        arrows = [Arrow(a.get_right(), b.get_left(), buff=0.15, stroke_width=4, color=theme.MUTED,
                        max_tip_length_to_length_ratio=0.25) for a, b in ((img, conv), (conv, act))]

        self.play(FadeIn(img), FadeIn(names[0]), FadeIn(shapes[0]), run_time=0.7)
        self.beat(0.5)
        # conv: the kernels (seeded), a window sweeping the picture, the maps
        kern = Group(*(PixelImage(map_pixels(d.kernels[:, :, 0, m], signed=True, vrange=(-kmax, kmax)),
                                  height=k_side, border=theme.KERNEL) for m in range(M)))
        Group(k_note, kern.arrange(RIGHT, buff=0.12)).arrange(RIGHT, buff=0.2) \
            .move_to([slots[1], shapes[1].get_bottom()[1] - 0.3 - k_side / 2, 0])
        box = img.box(0, 0, F, F)
        self.play(_focus(self, pipe, 0), GrowArrow(arrows[0]), FadeIn(kern), FadeIn(k_note), Create(box), run_time=0.8)
        self.play(box.animate.move_to(img.box(H - F, W - F, F, F)), FadeIn(conv[0]), run_time=1.2)
        self.play(FadeOut(box), *(FadeIn(m) for m in conv[1:]), FadeIn(names[1]), FadeIn(shapes[1]), FadeIn(note),
                  run_time=0.8)
        self.beat(1.0)
        self.play(_focus(self, pipe, 1), GrowArrow(arrows[1]), FadeIn(act), FadeIn(names[2]), FadeIn(shapes[2]),
                  run_time=0.9)
        self.beat(0.8)

        # max-pool: the row moves on one stage (the input and the kernels have done their work)
        self.play(FadeOut(Group(img, names[0], shapes[0], arrows[0], kern, k_note)), run_time=0.5)
        step = slots[0] - slots[1]
        self.play(_focus(self, pipe, 2), Group(conv, names[1], shapes[1], arrows[1], act, names[2], shapes[2])
                  .animate.shift(RIGHT * step), run_time=0.8)
        arrows.append(Arrow(act.get_right(), pooled.get_left(), buff=0.15, stroke_width=4, color=theme.MUTED,
                            max_tip_length_to_length_ratio=0.25))
        # the pooling window: a p×p block of a ReLU map → one pixel of its pooled map, over the whole map
        # (the map of the strongest activation, d.focus: the one with most to see), then every map
        f = d.focus[0]
        last = ((ph - 1) * d.pool, (pw - 1) * d.pool)
        win, pix = act[f].box(0, 0, d.pool, d.pool), pooled[f].box(0, 0, 1, 1)
        self.play(GrowArrow(arrows[2]), Create(win), Create(pix), FadeIn(names[3]), run_time=0.7)
        self.play(win.animate.move_to(act[f].box(*last, d.pool, d.pool)),
                  pix.animate.move_to(pooled[f].box(ph - 1, pw - 1, 1, 1)), FadeIn(pooled[f]), run_time=1.2)
        self.play(FadeOut(win), FadeOut(pix), *(FadeIn(m) for k, m in enumerate(pooled) if k != f),
                  FadeIn(shapes[3]), run_time=0.7)
        self.beat(1.2)

        # --- page 2: classification
        pooled_group = Group(pooled, names[3], shapes[3])
        self.fade_out_around(keep=[pooled_group, pipe], top=pipe.get_bottom()[1] - 0.1, run_time=0.5)
        flat_px = map_pixels(d.flat[:, None], (0, amax))
        strip_h = 4.9
        strip = PixelImage(np.repeat(flat_px, max(1, round(0.3 / strip_h * d.flat.size)), axis=1), height=strip_h)
        strip.move_to([-3.75, -0.3, 0])
        # the pooled maps move left of the strip, as large as the room there allows
        left, right = -config.frame_width / 2 + 0.3, strip.get_left()[0] - 0.75
        k = min((right - left) / pooled.width, (strip_h - 2 * (0.2 + shape_h + 0.2)) / pooled.height, 1.0)
        new_c = np.array([(left + right) / 2, 0.2, 0])
        self.play(pooled.animate.scale(k).move_to(new_c),
                  names[3].animate.move_to(new_c + UP * (k * pooled.height / 2 + 0.2 + names[3].height / 2)),
                  shapes[3].animate.move_to(new_c + DOWN * (k * pooled.height / 2 + 0.2 + shapes[3].height / 2)),
                  run_time=0.6)
        s_name = label(f"{fmt_int(d.flat.size)} values", size=theme.SMALL_SIZE, color=theme.OUTPUT)
        s_name.next_to(strip, UP, buff=0.15)
        flat_arrow = Arrow(pooled.get_right(), strip.get_left(), buff=0.12, stroke_width=4, color=theme.MUTED,
                           max_tip_length_to_length_ratio=0.3)
        self.play(_focus(self, pipe, 3), GrowArrow(flat_arrow), FadeIn(strip, shift=DOWN * 0.3), FadeIn(s_name),
                  run_time=1.0)
        self.beat(0.8)

        # bars to one scale, the longest 4.2 units (the values are printed)
        bars = ProbabilityBars(d.probs, d.classes, bar_length=4.2 / float(d.probs.max()),
                               row_height=min(0.46, 4.6 / len(d.probs)))
        bars.shift([1.4 - bars.bars.get_left()[0], -0.3 - bars.get_y(), 0])
        ys = [b.get_y() for b in bars.bars]
        logits = VGroup(*(label(fmt_num(v), size=theme.SMALL_SIZE, mono=True,
                                color=theme.NEGATIVE if v < 0 else theme.POSITIVE).move_to([-1.05, y, 0])
                          for v, y in zip(d.logits, ys)))
        for t in logits:
            t.align_to([-0.55, 0, 0], RIGHT)
        l_head = label("logits", size=theme.SMALL_SIZE).next_to(logits, UP, buff=0.25)
        p_head = label("probabilities", size=theme.SMALL_SIZE).next_to(bars, UP, buff=0.25)
        p_head.align_to(l_head, DOWN)
        # dense: every value of the strip feeds every logit (a sample of the edges drawn)
        n_src = 12
        src_y = np.linspace(strip.image.get_top()[1] - 0.1, strip.image.get_bottom()[1] + 0.1, n_src)
        fan = VMobject(stroke_color=theme.MUTED, stroke_width=1, stroke_opacity=0.35)  # one path: cheap to draw
        for y0 in src_y:
            for y1 in ys:
                fan.start_new_path(np.array([strip.get_right()[0] + 0.05, y0, 0]))
                fan.add_line_to(np.array([logits.get_left()[0] - 0.15, y1, 0]))
        dense_note = label(f"dense: {fmt_int(d.flat.size)}·{len(d.probs)} + {len(d.probs)} = "
                           f"{fmt_int(d.dense_params)} parameters", size=theme.SMALL_SIZE, color=theme.MUTED)
        dense_note.move_to([-1.9, -3.05, 0])
        self.play(_focus(self, pipe, 4), Create(fan), FadeIn(dense_note), run_time=1.0)
        self.play(FadeIn(logits, lag_ratio=0.1), FadeIn(l_head), run_time=0.8)
        self.beat(0.8)
        soft = Arrow([logits.get_right()[0] + 0.1, -0.3, 0], [bars.get_left()[0] - 0.1, -0.3, 0], buff=0,
                     stroke_width=4, color=theme.MUTED, max_tip_length_to_length_ratio=0.3)
        soft_name = label("softmax", size=theme.SMALL_SIZE, color=theme.MUTED).next_to(soft, UP, buff=0.1)
        self.play(_focus(self, pipe, 5), GrowArrow(soft), FadeIn(soft_name), FadeIn(bars.names), FadeIn(p_head), run_time=0.6)
        self.play(*(GrowFromEdge(b, LEFT) for b in bars.bars), FadeIn(bars.values), run_time=1.2)
        best = bars.best
        end = caption(f"untrained (seed {d.seed}): it bets on \"{d.classes[best]}\", p = {fmt_num(d.probs[best])} — "
                      f"training tunes the {fmt_int(d.conv_params + d.dense_params)} parameters",
                      size=theme.SMALL_SIZE, color=theme.HIGHLIGHT)
        self.play(_focus(self, pipe, None), FadeIn(end), run_time=0.6)
        self.beat(2.5)
        self.clear_all()


class NeuralNetworkAnimation(CnnvizScene):
    """The tiny CNN of TinyCNN_ImageInput drawn as one network of neurons (sampled, with ⋮ for the rest)."""

    data = staticmethod(tiny_cnn_data)

    def construct(self):
        d = self.data()
        H, W = d.image.shape
        oh, ow, M = d.z.shape
        ph, pw, _ = d.p.shape
        F, P = d.kernels.shape[0], d.pool
        m, r, c = d.focus
        n_cls = len(d.probs)
        amax = float(max(d.a.max(), 1e-9))
        head = title("The same CNN as one network of neurons", size=30)

        # --- which neurons are drawn: the input patch under one pooling window, its conv neurons, a few pooled
        side = P + F - 1                                   # the input patch feeding one pooled neuron
        r0, c0 = r * P, c * P                              # its top-left pixel (= the window's first conv neuron)
        patch = [(r0 + i, c0 + j) for i in range(side) for j in range(side)]
        conv_pos = [(r0 + i, c0 + j) for i in range(P) for j in range(P)]
        focus_flat = (r * pw + c) * M + m
        n_flat = d.flat.size
        pooled_idx, groups = NeuronLayer.sampling(n_flat, sorted({0, 1, focus_flat, n_flat - 2, n_flat - 1}))

        top, bottom = 2.35, -2.45
        in_sp = (top - bottom) / (side * side - 1 + (side - 1) * 1.6)
        dots = dict(gap=0.6, ellipsis_size=theme.SMALL_SIZE)  # rows of a patch, runs of the flat vector
        inputs = NeuronLayer([side] * side, radius=min(0.11, in_sp * 0.42), spacing=in_sp, **dots)
        convs = NeuronLayer([P] * P, radius=0.33, spacing=0.8, color=theme.OUTPUT, **dots)
        pooled = NeuronLayer.sample(n_flat, pooled_idx, radius=0.33, color=theme.OUTPUT,
                                    spacing=min(0.8, (top - bottom) / (len(pooled_idx) + 0.6 * (len(groups) - 1))), **dots)
        out_sp = min(0.48, (top - bottom) / max(n_cls - 1, 1))
        outputs = NeuronLayer(n_cls, radius=min(0.17, out_sp * 0.36), spacing=out_sp, color=theme.OUTPUT)
        for col, x in ((inputs, -3.3), (convs, -0.75), (pooled, 1.75), (outputs, 4.1)):
            col.move_to([x, (top + bottom) / 2, 0])

        img = PixelImage(d.image, height=2.0).move_to([-5.75, 1.05, 0])
        box = img.box(r0, c0, side, side, stroke_width=3)
        k_cell = min(0.7, 2.2 / F)
        legend = KernelGrid(d.kernels[:, :, 0, m], cell_size=k_cell, show_names=False, font_size=20,
                            show_values=k_cell >= 0.62)  # a kernel too big for readable numbers: its colours only
        legend.move_to([-5.75, -1.75, 0])
        legend_head = label(f"kernel {m + 1} of {M}", size=theme.SMALL_SIZE, color=theme.KERNEL)
        legend_head.next_to(legend, UP, buff=0.15)

        def header(name, shape, col):
            return VGroup(label(name, size=theme.SMALL_SIZE, color=theme.MUTED),
                          label(f"{core.fmt_shape(shape)}" + (f" = {fmt_int(int(np.prod(shape)))}" if len(shape) > 1 else ""),
                                size=theme.MIN_FONT, color=theme.MUTED)
                          ).arrange(DOWN, buff=0.06).move_to([col.get_x(), 2.85, 0])

        heads = VGroup(header("input", d.x.shape, inputs), header("conv + ReLU", d.z.shape, convs),
                       header("max-pool", d.p.shape, pooled), header("dense", d.logits.shape, outputs))
        row_names = VGroup(*(label(f"row {r0 + i}", size=theme.MIN_FONT, color=theme.MUTED)
                             .next_to(inputs.neurons[i * side], LEFT, buff=0.12)
                             .set_y(inputs.neurons[i * side: (i + 1) * side].get_y()) for i in range(side)))
        self.play(FadeIn(head), FadeIn(heads), FadeIn(img), FadeIn(inputs), FadeIn(row_names), FadeIn(convs),
                  FadeIn(pooled), FadeIn(outputs), run_time=1.0)
        self.beat(0.5)

        # --- the input: one real patch of the picture
        fills = [shade_gray(d.image[p]) for p in patch]
        patch_frame = SurroundingRectangle(inputs.neurons, color=theme.HIGHLIGHT, buff=0.1, stroke_width=2.5)
        patch_note = label(f"{side}×{side} patch\n= {side * side} inputs", size=theme.SMALL_SIZE,
                           color=theme.HIGHLIGHT).next_to(img, DOWN, buff=0.15)
        self.play(Create(box), Create(patch_frame), FadeIn(patch_note), *(n.animate.set_fill(col, opacity=1)
                                                 for n, col in zip(inputs.neurons, fills)), run_time=1.0)
        self.beat(0.5)

        # --- conv: local edges (9 per neuron), coloured by the kernel weight they use: the same 9 colours everywhere
        outs = {(i * ow + j) * M + m: k for k, (i, j) in enumerate(conv_pos)}
        patch_index = {(pr * W + pc): k for k, (pr, pc) in enumerate(patch)}
        edges_by_conv = {k: [] for k in range(len(conv_pos))}
        for e in core.conv_connections(d.x.shape, d.kernels.shape):
            if e.out_index in outs:
                edges_by_conv[outs[e.out_index]].append((patch_index[e.in_index], e.weight_index // M))
        self.play(FadeOut(patch_note), FadeIn(legend), FadeIn(legend_head), run_time=0.5)
        conv_edges = VGroup()
        c_fill = [shade_gray(d.a[i, j, m], 0, amax) for i, j in conv_pos]
        conv_vals = convs.values_inside([d.a[i, j, m] for i, j in conv_pos], size=theme.MIN_FONT,
                                        color=[contrast_text(f) for f in c_fill])
        for k, (fill, val) in enumerate(zip(c_fill, conv_vals)):
            pairs = edges_by_conv[k]
            lines = connect(inputs, convs, pairs=[(a, k) for a, _ in pairs], colors=[theme.kernel_color(w) for _, w in pairs],
                            width=2.5, opacity=0.95)
            conv_edges.add(lines)
            slow = k == 0
            self.play(Create(lines), run_time=1.0 if slow else 0.5)
            self.play(convs.neurons[k].animate.set_fill(fill, opacity=1), FadeIn(val), run_time=0.5 if slow else 0.3)
            if slow:
                note = label(f"{len(pairs)} local inputs,\n{len(pairs)} shared weights", size=theme.SMALL_SIZE,
                             color=theme.HIGHLIGHT).next_to(convs, DOWN, buff=0.25)
                self.play(FadeIn(note), Circumscribe(legend, color=theme.HIGHLIGHT, buff=0.06), run_time=0.8)
                self.beat(0.8)
        self.beat(0.6)

        # --- max-pool: the strongest of the window's conv neurons goes through
        win = [d.a[i, j, m] for i, j in conv_pos]
        best = int(np.argmax(win))
        f_pos = pooled_idx.index(focus_flat)
        pool_edges = VGroup(*(edge(convs.neurons[k], pooled.neurons[f_pos],
                                   color=theme.HIGHLIGHT if k == best else theme.MUTED,
                                   width=4 if k == best else 1.5, opacity=1.0 if k == best else 0.5)
                              for k in range(len(conv_pos))))
        p_fill = [shade_gray(d.flat[idx], 0, amax) for idx in pooled_idx]
        p_vals = pooled.values_inside(d.flat[pooled_idx], size=theme.MIN_FONT, color=[contrast_text(f) for f in p_fill])
        max_note = label(f"max of {len(win)} = {fmt_num(d.p[r, c, m])}", size=theme.SMALL_SIZE, color=theme.HIGHLIGHT)
        max_note.next_to(convs, DOWN, buff=0.25)
        self.play(FadeOut(note), Create(pool_edges), run_time=0.7)
        self.play(pooled.neurons[f_pos].animate.set_fill(p_fill[f_pos], opacity=1), FadeIn(p_vals[f_pos]),
                  FadeIn(max_note), run_time=0.6)
        self.beat(0.8)
        others = [k for k in range(len(pooled_idx)) if k != f_pos]
        self.play(FadeOut(max_note), *(pooled.neurons[k].animate.set_fill(p_fill[k], opacity=1) for k in others),
                  *(FadeIn(p_vals[k]) for k in others), run_time=0.6)

        # --- dense: every pooled neuron to every output; softmax
        dense_edges = connect(pooled, outputs, color=theme.MUTED, width=1, opacity=0.45)
        bars = ProbabilityBars(d.probs, d.classes, bar_length=1.4 / float(d.probs.max()), row_height=out_sp,
                               size=theme.MIN_FONT)
        bars.shift(outputs.neurons[0].get_center() + RIGHT * 0.35 - bars.names[0].get_left() * [1, 0, 0]
                   - bars.bars[0].get_center() * [0, 1, 0])
        self.play(Create(dense_edges), run_time=1.0)
        self.play(*(n.animate.set_fill(theme.OUTPUT, opacity=float(0.15 + 0.85 * p / d.probs.max()))
                    for n, p in zip(outputs.neurons, d.probs)), FadeIn(bars.names),
                  *(GrowFromEdge(b, LEFT) for b in bars.bars), FadeIn(bars.values), run_time=1.0)
        self.beat(0.8)

        # --- one forward signal through the whole network
        sig = dict(color=theme.HIGHLIGHT, width=4)
        for group, rt in ((conv_edges, 0.7), (pool_edges, 0.4), (dense_edges, 0.7)):
            flash = group.copy().set_stroke(sig["color"], width=sig["width"], opacity=1)
            self.play(ShowPassingFlash(flash, time_width=0.6), run_time=rt)
        fan_in = len(edges_by_conv[0])
        end = caption(f"conv: {fmt_int(d.z.size)} neurons, {fan_in} local edges each, {d.conv_params} shared parameters"
                      f" · dense: {fmt_int(d.dense_params)} parameters", size=theme.SMALL_SIZE, color=theme.TEXT)
        self.play(FadeIn(end), run_time=0.6)
        self.beat(2.0)
        self.clear_all()
