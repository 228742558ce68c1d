"""Chapter 3 — training the CNN: dropout, backpropagation through a shared kernel,
batch normalisation, mini-batches, and what changes between ``train()`` and ``eval()``.

Each scene: a pure data function (keyword inputs whose defaults are the
notebook's example → a frozen dataclass of every number shown, from
``cnnviz.core``) and the choreography that draws it with the shared drawings.
Render one with ``python render.py render Dropout -q l``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    Arrow,
    Create,
    FadeIn,
    Group,
    Indicate,
    LaggedStart,
    Line,
    Rectangle,
    ReplacementTransform,
    Transform,
    TransformFromCopy,
    VGroup,
    VMobject,
)

from cnnviz import core, theme
from cnnviz.drawings import (
    CnnvizScene,
    Fade,
    MLPDiagram,
    NeuronLayer,
    Pipeline,
    SlidingWindow,
    ValueGrid,
    caption,
    fit_width,
    fmt_int,
    fmt_num,
    label,
    map_pixels,
    title,
    value_vector,
)
from cnnviz.formula import Formula


def _ordinal_list(indices) -> str:
    """1-based neuron numbers the notebook's way: "2", "2 and 4", "1, 3 and 5"; "none"."""
    names = [str(int(i) + 1) for i in indices]
    if not names:
        return "none"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


# ============================================================ Dropout
@dataclass(frozen=True)
class DropoutData:
    sizes: tuple              # the MLP's layer sizes (input, hidden…, output)
    p: float                  # dropout rate
    seeds: tuple              # one seed per training step of the MLP
    net_masks: tuple          # per step: one 0/1 mask per hidden layer (core.dropout_mask)
    z: np.ndarray             # the notebook's activations of one hidden layer
    masks: tuple              # the notebook's masks, one per iteration
    applied: tuple            # z ⊙ m per iteration
    outputs: tuple            # core.dropout(z, p, mask) per iteration: z ⊙ m / (1 − p)
    keep: float               # 1 − p
    scale: float              # 1 / (1 − p)
    eval_output: np.ndarray   # core.dropout(z, p, training=False): z unchanged
    always_kept: tuple        # neurons (0-based) kept by every mask


def dropout_data(
    z: Sequence[float] = (10, 20, 30, 40, 50),
    p: float = 0.4,
    masks: Sequence[Sequence[int]] = ((1, 0, 1, 0, 1), (0, 1, 1, 1, 0)),
    sizes: Sequence[int] | None = None,
    steps: int = 3,
    seed: int = 1,
) -> DropoutData:
    """The notebook's dropout example, and an MLP trained for ``steps`` steps with seeded masks.

    ``z``, ``p`` and ``masks`` are the notebook's numbers (III.3.4.2). The MLP has
    layer sizes ``sizes`` (default: 3 inputs, two hidden layers of ``len(z)``
    neurons, 2 outputs); at training step t every hidden layer gets a fresh
    mask from ``core.dropout_mask`` with the generator ``default_rng(seed + t)``,
    so the same call always gives the same masks.
    """
    z = np.asarray(z)
    sizes = tuple(sizes) if sizes is not None else (3, z.size, z.size, 2)
    if len(sizes) < 3:
        raise ValueError(f"the MLP needs at least one hidden layer, got layer sizes {sizes}")
    if sizes[1] != z.size:
        raise ValueError(f"the first hidden layer ({sizes[1]} neurons) must have one neuron per value of z "
                         f"({core.fmt_shape(z.shape)})")
    seeds = tuple(seed + t for t in range(steps))
    net_masks = []
    for s in seeds:
        rng = np.random.default_rng(s)
        net_masks.append(tuple(core.dropout_mask(n, p, rng=rng) for n in sizes[1:-1]))
    masks = tuple(np.asarray(m) for m in masks)
    outputs = tuple(core.dropout(z, p, mask=m) for m in masks)
    applied = tuple(z * m for m in masks)
    kept = np.all(np.stack(masks) == 1, axis=0) if masks else np.zeros(z.size, bool)
    scale = float(core.dropout([1.0], p, mask=[1])[0])  # what the core multiplies a kept value by: 1 / (1 − p)
    return DropoutData(
        sizes=sizes, p=p, seeds=seeds, net_masks=tuple(net_masks), z=z, masks=masks, applied=applied,
        outputs=outputs, keep=1 / scale, scale=scale, eval_output=core.dropout(z, p, training=False),
        always_kept=tuple(int(i) for i in np.flatnonzero(kept)),
    )


class Dropout(CnnvizScene):
    data = staticmethod(dropout_data)

    def construct(self):
        d = self.data()
        p = fmt_num(d.p)
        head = title("Dropout: random neurons off at every training step", size=30)

        # ---- 1. an MLP in training: each step switches off a fresh seeded set of hidden neurons
        net = MLPDiagram(d.sizes, width=10.6, height=4.9, max_radius=0.3, fill_opacity=0.45, edge_width=1.5,
                         edge_opacity=0.6, size_labels=False).move_to([0, -0.15, 0])
        names = ["input"] + [f"hidden {k}" for k in range(1, len(d.sizes) - 1)] + ["output"]
        name_y = net.get_bottom()[1] - 0.3
        layer_names = VGroup(*(label(n, size=theme.SMALL_SIZE, color=theme.MUTED).move_to([layer.get_x(), name_y, 0])
                               for n, layer in zip(names, net.layers)))
        note = caption(f"Training, p = {p}: every hidden neuron is switched off with probability {p}")
        self.play(Fade(head, out=False), Fade(net, out=False), Fade(layer_names, out=False), Fade(note, out=False), run_time=1.0)
        self.play(net.pulse(run_time=1.0))
        self.beat(hold=0.4)

        step_label = None
        for t, (seed, masks) in enumerate(zip(d.seeds, d.net_masks)):
            off = "; ".join(f"hidden {k + 1}: {_ordinal_list(np.flatnonzero(m == 0))}" for k, m in enumerate(masks))
            new_label = label(f"step {t + 1} (seed {seed}) — off: {off}", size=theme.SMALL_SIZE,
                              color=theme.HIGHLIGHT).next_to(head, DOWN, buff=0.3)
            swap = Fade(new_label, out=False) if step_label is None else ReplacementTransform(step_label, new_label)
            self.play(*net.mask_animations({k + 1: m for k, m in enumerate(masks)}), swap, run_time=0.7)
            step_label = new_label
            self.play(net.pulse(run_time=0.9))
            self.beat(hold=0.5)

        # ---- 2. the notebook's numbers: one hidden layer, z, the mask, the scaling
        n = d.z.size
        cell = min(1.0, 5.0 / n)
        rows_y = -0.5
        layer = NeuronLayer(n, radius=0.3 * cell, spacing=cell, color=theme.TEXT, fill_opacity=0.45)
        layer.move_to([-5.9, rows_y, 0])
        xs = [-4.3, -2.4, -0.5, 1.4]
        kw = dict(vertical=True, cell_size=cell, font_size=26 * cell, decimals=1)
        z_col = value_vector(d.z, color=theme.INPUT, **kw).move_to([xs[0], rows_y, 0])
        z_head = label("z", color=theme.INPUT).next_to(z_col, UP, buff=0.2)
        layer_name = label(names[1], size=theme.SMALL_SIZE, color=theme.MUTED).move_to([layer.get_x(), z_head.get_y(), 0])
        self.play(Fade(net), Fade(layer_names), Fade(step_label), Fade(note),
                  ReplacementTransform(net.layers[1].copy(), layer), Fade(layer_name, out=False), run_time=0.8)
        self.play(Fade(z_col, out=False), Fade(z_head, out=False), run_time=0.6)

        def columns(k):
            m = value_vector(d.masks[k], color=theme.MUTED, **kw).move_to([xs[1], rows_y, 0])
            for cell_sq, on in zip(m.cells, d.masks[k]):
                if not on:
                    cell_sq.set_fill(theme.DROPPED, opacity=1)
            a = value_vector(d.applied[k], color=theme.TEXT, **kw).move_to([xs[2], rows_y, 0])
            o = value_vector(d.outputs[k], color=theme.OUTPUT, **kw).move_to([xs[3], rows_y, 0])
            return m, a, o

        heads = VGroup(label("mask m", color=theme.MUTED), label("z ⊙ m", color=theme.TEXT),
                       label(f"÷ {fmt_num(d.keep)}", color=theme.OUTPUT))
        for h, x in zip(heads, xs[1:]):
            h.move_to([x, z_head.get_y(), 0])
        panel_x = 4.8
        scale_note = VGroup(
            label(f"÷ (1 − p) = ÷ {fmt_num(d.keep)}", color=theme.OUTPUT),
            label(f"i.e. × {fmt_num(d.scale)}", color=theme.OUTPUT),
        ).arrange(DOWN, buff=0.2).move_to([panel_x, -1.6, 0])

        cols = None
        info = None
        for k, mask in enumerate(d.masks):
            off = np.flatnonzero(mask == 0)
            new_info = VGroup(
                label(f"Iteration {k + 1}", size=30, color=theme.HIGHLIGHT),
                label(f"neurons {_ordinal_list(off)} off", color=theme.TEXT),
                label(f"(p = {p})", size=theme.SMALL_SIZE, color=theme.MUTED),
            ).arrange(DOWN, buff=0.25).move_to([panel_x, 1.0, 0])
            m, a, o = columns(k)
            if cols is None:
                self.play(Fade(new_info, out=False), Fade(heads[0], out=False), Fade(m, out=False), *layer.switch(mask), run_time=0.8)
                self.play(Fade(heads[1], out=False), TransformFromCopy(VGroup(z_col, m), a), run_time=0.8)
                self.play(Fade(heads[2], out=False), Fade(scale_note, out=False), TransformFromCopy(a, o), run_time=0.8)
                self.beat(hold=1.2)
            else:
                self.play(ReplacementTransform(info, new_info), *layer.switch(mask),
                          Transform(cols[0], m), run_time=0.8)
                self.play(Transform(cols[1], a), run_time=0.6)
                self.play(Transform(cols[2], o), run_time=0.6)
                self.beat(hold=1.0)
                m, a, o = cols
            cols = (m, a, o)
            info = new_info

        if len(d.masks) > 1 and d.always_kept:
            rows = VGroup(*(z_col.window(i, 0, 1, 1, color=theme.HIGHLIGHT).stretch_to_fit_width(
                xs[-1] - xs[0] + cell).set_x((xs[0] + xs[-1]) / 2) for i in d.always_kept))
            who = ("Neuron " if len(d.always_kept) == 1 else "Neurons ") + _ordinal_list(d.always_kept)
            obs = caption(f"{who} stayed on every time, next to different neighbours: it cannot rely on them",
                          size=theme.SMALL_SIZE, color=theme.HIGHLIGHT)
            self.play(Fade(rows, out=False), Fade(obs, out=False), *(Indicate(layer.neurons[i], color=theme.HIGHLIGHT)
                                                    for i in d.always_kept), run_time=0.9)
            self.beat(hold=1.2)
            self.play(Fade(rows), Fade(obs), run_time=0.4)

        # ---- 3. test time: every neuron on, no mask, no scaling
        eval_col = value_vector(d.eval_output, color=theme.OUTPUT, **kw).move_to([xs[3], rows_y, 0])
        eval_head = label("output", color=theme.OUTPUT).move_to(heads[2])
        eval_info = VGroup(
            label("Test: model.eval()", size=30, color=theme.OUTPUT),
            label("all neurons on", color=theme.TEXT),
            label("no mask, no scaling", color=theme.TEXT),
        ).arrange(DOWN, buff=0.25).move_to([panel_x, 1.0, 0])
        same = label("output = z", size=30, color=theme.OUTPUT).move_to([panel_x, -1.3, 0])
        self.play(ReplacementTransform(info, eval_info), *layer.switch(np.ones(n, int)),
                  Fade(VGroup(*cols, heads[0], heads[1], scale_note)),
                  ReplacementTransform(heads[2], eval_head), run_time=0.9)
        self.play(TransformFromCopy(z_col, eval_col), Fade(same, out=False), run_time=0.8)
        end = caption(f"Training divides by 1 − p = {fmt_num(d.keep)}, so the expected value is already z: "
                      f"(1 − p) · z / (1 − p) = z", size=theme.SMALL_SIZE)
        self.play(Fade(end, out=False), run_time=0.5)
        self.beat(hold=1.6)
        self.clear_all()


# ============================================================ BackpropWeightSharing
@dataclass(frozen=True)
class BackpropData:
    x: np.ndarray             # input X
    w: np.ndarray             # kernel W
    y: np.ndarray             # Y = X ⋆ W (core.conv2d)
    delta: np.ndarray         # upstream gradient δ = ∂L/∂Y
    weight: tuple             # (a, b): the weight followed through its paths (0-based; (0, 0) is w11)
    paths: tuple              # one per output (i, j): (i, j, x value, δ value, δ·x)
    grad_weight: float        # Σ δ·x over the paths
    dw: np.ndarray            # ∇W = ∂L/∂W (core.conv2d_backward)
    dw_steps: tuple           # core.conv_step(x, delta, a, b) for every weight: X ⋆ δ, window by window


def backprop_data(
    x: Sequence[Sequence[float]] = ((1, 2, 0), (3, 1, 2), (2, 0, 1)),
    w: Sequence[Sequence[float]] = ((1, -1), (2, 0)),
    delta: Sequence[Sequence[float]] = ((2, -1), (1, 3)),
    weight: tuple[int, int] = (0, 0),
) -> BackpropData:
    """The notebook's bonus (III.6): a 3×3 X, a 2×2 W, a 2×2 Y and an upstream δ.

    The weight ``weight`` (default w11) is used by every output pixel, so its
    gradient sums one δ·x term per output; ``∇W = X ⋆ δ`` for all weights at
    once (stride 1, no padding). Numbers come from ``core.conv2d``,
    ``core.conv2d_backward`` and ``core.conv_step``.
    """
    x, w, delta = np.asarray(x), np.asarray(w), np.asarray(delta)
    y = core.conv2d(x, w)
    grads = core.conv2d_backward(x, w, delta)
    a, b = weight
    if not (0 <= a < w.shape[0] and 0 <= b < w.shape[1]):
        raise ValueError(f"weight {weight!r} is not in the {core.fmt_shape(w.shape)} kernel")
    paths = tuple((i, j, _num(x[i + a, j + b]), _num(delta[i, j]), _num(x[i + a, j + b] * delta[i, j]))
                  for i in range(y.shape[0]) for j in range(y.shape[1]))
    dw_steps = tuple(core.conv_step(x, delta, r, c) for r in range(w.shape[0]) for c in range(w.shape[1]))
    return BackpropData(x=x, w=w, y=y, delta=delta, weight=(a, b), paths=paths,
                        grad_weight=_num(grads.dW[a, b]), dw=grads.dW, dw_steps=dw_steps)


def _num(v):
    """A NumPy scalar as a plain Python number."""
    return v.item() if hasattr(v, "item") else v


def _tex_num(v, paren: bool = True) -> str:
    """A number for a formula: negatives braced (a unary minus) and, in a product, in parentheses."""
    s = fmt_num(v)
    if v < 0:
        return f"({{{s}}})" if paren else f"{{{s}}}"
    return s


class BackpropWeightSharing(CnnvizScene):
    data = staticmethod(backprop_data)

    def construct(self):
        d = self.data()
        a, b = d.weight
        oh, ow = d.y.shape
        kh, kw = d.w.shape
        hl = theme.HIGHLIGHT
        wsub = f"{a + 1}{b + 1}"
        w_tex = rf"{{\color{{{hl}}}w_{{{wsub}}}}}"
        head = title("Backpropagation through a shared weight", size=30)

        # ---- the setting: X ⋆ W = Y, the upstream δ, an empty ∇W
        cells = d.x.shape[1] + 2 * kw + 2 * ow
        c = min(0.95, (13.4 - 2.9) / cells)
        fs = 30 * c / 0.95
        x_grid = ValueGrid(d.x, cell_size=c, font_size=fs, color=theme.INPUT)
        w_grid = ValueGrid(d.w, cell_size=c, font_size=fs, color=theme.KERNEL)
        y_grid = ValueGrid(d.y, cell_size=c, font_size=fs, color=theme.OUTPUT)
        vmax = float(np.abs(d.delta).max()) or 1.0
        g_grid = ValueGrid(d.delta, cell_size=c, font_size=fs, color=theme.TEXT, shade="signed", vrange=(-vmax, vmax))
        dw_grid = ValueGrid(d.dw, cell_size=c, font_size=fs, color=theme.KERNEL, show_values=False)
        star, eq = label("⋆", size=48), label("=", size=40)
        row = VGroup(x_grid, star, w_grid, eq, y_grid).arrange(RIGHT, buff=0.25)
        VGroup(row, g_grid, dw_grid).arrange(RIGHT, buff=0.65).move_to([0, 1.2, 0])
        for g in (w_grid, y_grid, g_grid, dw_grid):
            g.set_y(x_grid.get_y())
        top = x_grid.get_top()[1] + 0.4  # the headings' tops, level whatever their letters
        heads = VGroup(*(label(t, size=theme.SMALL_SIZE, color=col).move_to([g.get_x(), 0, 0]).align_to([0, top, 0], UP)
                         for t, col, g in (
            ("input X", theme.INPUT, x_grid), ("kernel W", theme.KERNEL, w_grid), ("output Y", theme.OUTPUT, y_grid),
            ("δ = ∂L/∂Y", theme.TEXT, g_grid), ("∇W = ∂L/∂W", theme.KERNEL, dw_grid))))
        self.play(Fade(head, out=False), Fade(row, out=False), Fade(heads, out=False), run_time=1.0)
        self.play(Fade(g_grid, out=False), Fade(dw_grid, out=False), run_time=0.6)
        self.beat(hold=0.6)

        # ---- 1. weight sharing: w_ab is used at every position of the window
        wbox = w_grid.window(a, b, 1, 1, color=hl)
        window = SlidingWindow(x_grid, kh, kw).place(0, 0)
        n_paths = len(d.paths)
        x_sub = "x_{ij}" if (a, b) == (0, 0) else f"x_{{i+{a},\\,j+{b}}}"
        used = Formula(rf"y_{{ij}} = {w_tex}\, {x_sub} + \dots \quad\Rightarrow\quad "
                       rf"\frac{{\partial y_{{ij}}}}{{\partial {w_tex}}} = {x_sub}", font_size=32).move_to([0, -1.2, 0])
        self.play(Create(wbox), Create(window), Fade(used, out=False), run_time=0.8)
        x_marks, y_marks = VGroup(), VGroup()
        for k, (i, j, *_rest) in enumerate(d.paths):
            if k:
                self.play(window.step_to(i, j), run_time=0.4 if k < 2 else 0.25)
            xm, ym = x_grid.window(i + a, j + b, 1, 1, color=hl), y_grid.window(i, j, 1, 1, color=hl)
            self.play(Create(xm), Create(ym), run_time=0.4 if k < 2 else 0.25)
            x_marks.add(xm)
            y_marks.add(ym)
        shared = label(f"the same weight, {n_paths} outputs: {n_paths} paths to the loss", color=hl)
        shared.move_to([0, -2.5, 0])
        self.play(Fade(window), Fade(shared, out=False), run_time=0.5)
        self.beat(hold=1.0)

        # ---- 2. the chain rule: ∂L/∂w = Σ δ_ij · x_ij, one term per path
        chain = Formula(rf"\frac{{\partial L}}{{\partial {w_tex}}} = \sum_{{i,j}} "
                        rf"\frac{{\partial L}}{{\partial y_{{ij}}}}\,\frac{{\partial y_{{ij}}}}{{\partial {w_tex}}}"
                        rf" = \sum_{{i,j}} \delta_{{ij}}\, {x_sub}", font_size=32).move_to(used)
        self.play(Fade(shared), ReplacementTransform(used, chain), run_time=0.8)
        cols = 2 if n_paths <= 4 else 3
        terms = VGroup()
        for i, j, xv, dv, pv in d.paths:
            xi = f"x_{{{i + a + 1}{j + b + 1}}}"
            terms.add(Formula(rf"\delta_{{{i + 1}{j + 1}}}\,{{\color{{{theme.INPUT}}}{xi}}} = {_tex_num(dv)} \cdot "
                              rf"{{\color{{{theme.INPUT}}}{_tex_num(xv)}}} = {_tex_num(pv, paren=False)}", font_size=28))
        terms.arrange_in_grid(cols=cols, buff=(0.9, 0.25)).move_to([0, -2.75, 0])
        d_marks = VGroup()
        for k, ((i, j, *_rest), term) in enumerate(zip(d.paths, terms)):
            dm = g_grid.window(i, j, 1, 1, color=hl)
            slow = k < 2
            self.play(Create(dm), Indicate(x_marks[k], color=hl), FadeIn(term, shift=0.2 * UP),
                      run_time=0.7 if slow else 0.4)
            d_marks.add(dm)
        total = Formula(rf"\frac{{\partial L}}{{\partial {w_tex}}} = "
                        + " + ".join(_tex_num(p[4]) for p in d.paths) + rf" = {_tex_num(d.grad_weight, paren=False)}",
                        font_size=32, color=hl).move_to(chain)
        self.play(ReplacementTransform(chain, total), run_time=0.9)
        result = dw_grid.value_label(a, b, d.dw[a, b])
        self.play(TransformFromCopy(total[-len(fmt_num(d.grad_weight)):], result), run_time=0.8)
        self.beat(hold=1.2)

        # ---- 3. every weight at once: ∇W = X ⋆ δ, δ sliding over X like a kernel
        self.play(Fade(VGroup(terms, total, x_marks, y_marks, d_marks, wbox)), run_time=0.5)
        rule = Formula(r"\nabla W = X \star \delta", font_size=36).move_to([0, -1.0, 0])
        sub = label(f"δ ({core.fmt_shape(d.delta.shape)}) slides over X like a kernel", size=theme.SMALL_SIZE,
                    color=theme.MUTED).next_to(rule, DOWN, buff=0.25)
        dwin = SlidingWindow(x_grid, oh, ow).place(0, 0)
        wcell = w_grid.window(0, 0, 1, 1, color=hl)
        self.play(Fade(rule, out=False), Fade(sub, out=False), Create(dwin), Create(wcell), run_time=0.8)
        line = None
        for k, step in enumerate(d.dw_steps):
            r, cc = step.out_pos
            if k:
                self.play(dwin.step_to(r, cc), wcell.animate.move_to(w_grid.cell(r, cc)), run_time=0.4)
            prods = " + ".join(rf"{_tex_num(g)} \cdot {{\color{{{theme.INPUT}}}{_tex_num(v)}}}"
                               for v, g in zip(step.window.ravel(), step.kernel.ravel()))
            new_line = Formula(rf"\frac{{\partial L}}{{\partial w_{{{r + 1}{cc + 1}}}}} = {prods} = "
                               rf"{_tex_num(step.output, paren=False)}", font_size=32, color=theme.KERNEL)
            fit_width(new_line, 13.6).move_to([0, -2.9, 0])
            swap = Fade(new_line, out=False) if line is None else ReplacementTransform(line, new_line)
            if (r, cc) == (a, b):
                self.play(swap, Indicate(result, color=hl), run_time=0.6)
            else:
                value = dw_grid.value_label(r, cc, d.dw[r, cc])
                self.play(swap, run_time=0.5 if k < 2 else 0.35)
                self.play(FadeIn(value, scale=1.5), run_time=0.4 if k < 2 else 0.3)
            line = new_line
            self.beat(hold=0.6 if k < 2 else 0.3)
        end = caption(f"Each weight's gradient sums δ·x over all {n_paths} positions it was used at",
                      color=theme.KERNEL)
        self.play(Fade(dwin), Fade(wcell), Fade(line), Fade(end, out=False), run_time=0.6)
        self.beat(hold=1.5)
        self.clear_all()


# ============================================================ BatchNormStep
@dataclass(frozen=True)
class BatchNormData:
    x: np.ndarray             # the mini-batch, B×D: one row per sample, one column per feature
    gamma: np.ndarray         # learned scale, one per feature
    beta: np.ndarray          # learned shift, one per feature
    eps: float
    mean: np.ndarray          # μ_B per feature (core.batch_norm)
    var: np.ndarray           # σ²_B per feature (biased, as in training)
    std: np.ndarray           # √(σ²_B + ε)
    x_hat: np.ndarray         # (x − μ_B) / √(σ²_B + ε)
    y: np.ndarray             # γ x̂ + β
    x_hat_mean: np.ndarray    # the mean of each normalised feature (≈ 0)
    x_hat_var: np.ndarray     # the variance of each normalised feature (≈ 1)


def batch_norm_data(
    x: Sequence[Sequence[float]] = ((2, 150, -3), (6, 300, -1), (4, 100, 0), (12, 250, -4)),
    gamma: Sequence[float] | float = (2.0, 1.0, 0.5),
    beta: Sequence[float] | float = (1.0, 0.0, -1.0),
    eps: float = 1e-5,
) -> BatchNormData:
    """A mini-batch of raw outputs z = xW + b (B samples × D features, on very different scales)
    through batch normalisation in training mode (III.3.4.1): the batch's μ_B and σ²_B per
    feature, x̂, then γ x̂ + β — all from ``core.batch_norm``."""
    x = np.asarray(x)
    if x.ndim != 2:
        raise ValueError(f"the mini-batch must be B×D (samples × features), got shape {core.fmt_shape(x.shape)}")
    d = x.shape[1]
    gamma = np.broadcast_to(np.asarray(gamma, dtype=float), (d,)).copy()
    beta = np.broadcast_to(np.asarray(beta, dtype=float), (d,)).copy()
    bn = core.batch_norm(x, gamma, beta, eps=eps, axis=0)
    stats = core.batch_norm(bn.x_hat, eps=1.0, axis=0)  # its mean and var only (eps does not touch them)
    return BatchNormData(x=x, gamma=gamma, beta=beta, eps=eps, mean=bn.mean, var=bn.var,
                         std=np.sqrt(bn.var + eps), x_hat=bn.x_hat, y=bn.y,
                         x_hat_mean=stats.mean, x_hat_var=stats.var)


def _tex_sci(v: float) -> str:
    """A small constant for a formula: 1e-05 → 10^{-5}, 2e-03 → 2·10^{-3}."""
    mant, exp = f"{v:.0e}".split("e")
    power = f"10^{{{int(exp)}}}"
    return power if mant == "1" else rf"{mant} \cdot {power}"


class BatchNormStep(CnnvizScene):
    data = staticmethod(batch_norm_data)

    def construct(self):
        d = self.data()
        B, D = d.x.shape
        head = title("Batch normalisation: one mini-batch, feature by feature", size=30)

        # ---- the batch, x̂ and y side by side; the statistics under the batch, γ and β under y
        c = min(0.94, 5.55 / (B + 2), 9.0 / (3 * D))
        fs = max(float(theme.MIN_FONT), 22 * c / 0.94)
        kw = dict(cell_size=c, font_size=fs, decimals=2 if c >= 0.9 else 1)  # a big batch: one decimal fits
        x_grid = ValueGrid(d.x, color=theme.INPUT, **kw)
        xh_grid = ValueGrid(d.x_hat, color=theme.TEXT, show_values=False, **kw)
        y_grid = ValueGrid(d.y, color=theme.OUTPUT, show_values=False, **kw)
        gap = 1.75
        VGroup(x_grid, xh_grid, y_grid).arrange(RIGHT, buff=gap).move_to([0.35, 0, 0])
        top = 2.65
        for g in (x_grid, xh_grid, y_grid):
            g.align_to([0, top, 0], UP)
        arrows = VGroup(*(Arrow(a.get_right(), b.get_left(), buff=0.15, stroke_width=4, color=theme.MUTED,
                                max_tip_length_to_length_ratio=0.2) for a, b in ((x_grid, xh_grid), (xh_grid, y_grid))))
        arrow_names = VGroup(label("normalise", size=theme.SMALL_SIZE, color=theme.MUTED).next_to(arrows[0], UP, 0.1),
                             label("scale, shift", size=theme.SMALL_SIZE, color=theme.MUTED).next_to(arrows[1], UP, 0.1))
        heads = VGroup(
            label(f"mini-batch: {B} samples × {D} features", size=theme.SMALL_SIZE, color=theme.INPUT),
            label("x̂", size=theme.BODY_SIZE, color=theme.TEXT),
            label("y = γ x̂ + β", size=theme.SMALL_SIZE, color=theme.OUTPUT),
        )
        for h, g in zip(heads, (x_grid, xh_grid, y_grid)):
            h.next_to(g, UP, buff=0.15)
        row_kw = dict(kw, font_size=fs)

        def stat_row(values, grid, k, color):
            r = value_vector(values, color=color, **row_kw)
            return r.next_to(grid, DOWN, buff=0.25 + k * c, aligned_edge=LEFT)

        mu_row = stat_row(d.mean, x_grid, 0, theme.HIGHLIGHT)
        var_row = stat_row(d.var, x_grid, 1, theme.HIGHLIGHT)
        g_row = stat_row(d.gamma, y_grid, 0, theme.KERNEL)
        b_row = stat_row(d.beta, y_grid, 1, theme.BIAS)
        row_names = VGroup(
            Formula(r"\mu_B", font_size=30, color=theme.HIGHLIGHT).next_to(mu_row, LEFT, buff=0.2),
            Formula(r"\sigma^2_B", font_size=30, color=theme.HIGHLIGHT).next_to(var_row, LEFT, buff=0.2),
            Formula(r"\gamma", font_size=30, color=theme.KERNEL).next_to(g_row, LEFT, buff=0.2),
            Formula(r"\beta", font_size=30, color=theme.BIAS).next_to(b_row, LEFT, buff=0.2),
        )
        line_y = -3.5
        self.play(Fade(head, out=False), Fade(x_grid, out=False), Fade(heads[0], out=False), run_time=1.0)
        self.beat(hold=0.5)

        # ---- 1. μ_B and σ²_B of each feature, over the batch (this batch only)
        col = x_grid.window(0, 0, B, 1)
        v = d.x[:, 0]
        mu_f = Formula(rf"\mu_B = ({' + '.join(_tex_num(a, paren=False) for a in v)})\,/\,{B} = "
                       rf"{_tex_num(d.mean[0], paren=False)}", font_size=30, color=theme.HIGHLIGHT)
        var_f = Formula(rf"\sigma^2_B = ({' + '.join(f'({_tex_num(a, paren=False)} - {_tex_num(d.mean[0])})^2' for a in v)})"
                        rf"\,/\,{B} = {_tex_num(d.var[0], paren=False)}", font_size=30, color=theme.HIGHLIGHT)
        for f in (mu_f, var_f):
            fit_width(f, 13.6).move_to([0, line_y, 0])
        self.play(Create(col), Fade(mu_f, out=False), Fade(row_names[0], out=False), Fade(mu_row.cells, out=False), run_time=0.8)
        self.play(TransformFromCopy(mu_f[-len(fmt_num(d.mean[0])):], mu_row.labels[0]), run_time=0.6)
        self.beat(hold=0.8)
        self.play(ReplacementTransform(mu_f, var_f), Fade(row_names[1], out=False), Fade(var_row.cells, out=False), run_time=0.8)
        self.play(TransformFromCopy(var_f[-len(fmt_num(d.var[0])):], var_row.labels[0]), run_time=0.6)
        self.beat(hold=0.8)
        rest = VGroup(*mu_row.labels[1:], *var_row.labels[1:])
        note = label("the same for every feature: statistics over the batch, one column at a time",
                     size=theme.SMALL_SIZE).move_to([0, line_y, 0])
        self.play(col.animate.stretch_to_fit_width(D * c).move_to(x_grid), Fade(var_f), Fade(note, out=False),
                  LaggedStart(*(Fade(t, out=False) for t in rest), lag_ratio=0.15), run_time=1.0)
        self.beat(hold=1.0)

        # ---- 2. x̂ = (x − μ_B) / √(σ²_B + ε): each feature centred and scaled
        xh_f = Formula(rf"\hat{{x}} = ({_tex_num(d.x[0, 0], paren=False)} - {_tex_num(d.mean[0])})\,/\,"
                       rf"\sqrt{{{_tex_num(d.var[0], paren=False)} + {_tex_sci(d.eps)}}} = "
                       rf"{_tex_num(round(float(d.x_hat[0, 0]), 2), paren=False)}", font_size=30)
        fit_width(xh_f, 13.6).move_to([0, line_y, 0])
        cell0 = x_grid.window(0, 0, 1, 1)
        self.play(Fade(col), Fade(note), Fade(xh_grid, out=False), Fade(heads[1], out=False), Create(arrows[0]),
                  Fade(arrow_names[0], out=False), Create(cell0), Fade(xh_f, out=False), run_time=0.9)
        first = xh_grid.value_label(0, 0, d.x_hat[0, 0])
        self.play(TransformFromCopy(xh_f[-len(fmt_num(d.x_hat[0, 0])):], first), run_time=0.6)
        self.beat(hold=0.8)
        others = VGroup(*(xh_grid.value_label(i, j, d.x_hat[i, j]) for j in range(D) for i in range(B) if (i, j) != (0, 0)))
        centred = label(f"every feature now has mean {fmt_num(float(np.abs(d.x_hat_mean).max()))} "
                        f"and variance {fmt_num(float(d.x_hat_var.mean()))}", size=theme.SMALL_SIZE)
        centred.move_to([0, line_y, 0])
        self.play(Fade(cell0), Fade(xh_f), LaggedStart(*(Fade(t, out=False) for t in others), lag_ratio=0.08), run_time=1.2)
        self.play(Fade(centred, out=False), run_time=0.5)
        self.beat(hold=1.2)

        # ---- 3. y = γ x̂ + β: a learned scale and shift per feature
        y_f = Formula(rf"y = {_tex_num(d.gamma[0])} \cdot {_tex_num(round(float(d.x_hat[0, 0]), 2))} + "
                      rf"{_tex_num(d.beta[0])} = {_tex_num(round(float(d.y[0, 0]), 2), paren=False)}",
                      font_size=30, color=theme.OUTPUT)
        fit_width(y_f, 13.6).move_to([0, line_y, 0])
        self.play(Fade(centred), Fade(y_grid.cells, out=False), Fade(heads[2], out=False), Create(arrows[1]), Fade(arrow_names[1], out=False),
                  Fade(g_row, out=False), Fade(b_row, out=False), Fade(row_names[2:], out=False), run_time=0.9)
        self.play(Fade(y_f, out=False), run_time=0.6)
        y_first = y_grid.value_label(0, 0, d.y[0, 0])
        self.play(TransformFromCopy(y_f[-len(fmt_num(d.y[0, 0])):], y_first), run_time=0.6)
        y_rest = VGroup(*(y_grid.value_label(i, j, d.y[i, j]) for j in range(D) for i in range(B) if (i, j) != (0, 0)))
        learned = label("γ and β are learned: the network picks each feature's scale and shift",
                        size=theme.SMALL_SIZE).move_to([0, line_y, 0])
        self.play(Fade(y_f), LaggedStart(*(Fade(t, out=False) for t in y_rest), lag_ratio=0.08), Fade(learned, out=False), run_time=1.2)
        self.beat(hold=1.5)

        # ---- 4. where it sits: Conv → BN → ReLU; never right before the softmax
        table = VGroup(x_grid, xh_grid, y_grid, first, others, y_first, y_rest, mu_row, var_row, g_row, b_row, row_names,
                       arrows, arrow_names, heads, learned)
        where = label("Where the layer sits", size=30, color=theme.HIGHLIGHT).move_to([0, 2.4, 0])
        conv = Pipeline([("Conv2d", theme.KERNEL), ("BatchNorm2d", theme.HIGHLIGHT), ("ReLU", theme.OUTPUT),
                         ("MaxPool", theme.MUTED)], size=30, boxed=True).move_to([0, 1.05, 0])
        conv_note = label("between the convolution and the activation: it normalises z = x ⋆ W + b",
                          size=theme.BODY_SIZE).next_to(conv, DOWN, buff=0.3)
        mlp = Pipeline([("Linear", theme.KERNEL), ("BatchNorm1d", theme.HIGHLIGHT), ("ReLU", theme.OUTPUT),
                        ("Linear", theme.KERNEL), ("Softmax", theme.OUTPUT)], size=30, boxed=True).move_to([0, -1.6, 0])
        cross = label("✗ no BN here", size=theme.BODY_SIZE, color=theme.NEGATIVE)
        cross.move_to([mlp.arrows[-1].get_x(), mlp.stages.get_top()[1] + 0.35, 0])
        mlp_note = label("never right before the softmax: the logits keep their scale between classes",
                         size=theme.BODY_SIZE, color=theme.NEGATIVE).next_to(mlp, DOWN, buff=0.3)
        self.play(Fade(table), Fade(where, out=False), run_time=0.7)
        self.play(Fade(conv, out=False), Fade(conv_note, out=False), run_time=0.8)
        self.beat(hold=1.0)
        self.play(Fade(mlp, out=False), run_time=0.7)
        self.play(Fade(cross, out=False), Fade(mlp_note, out=False), Indicate(mlp.arrows[-1], color=theme.NEGATIVE), run_time=0.8)
        self.beat(hold=1.6)
        self.clear_all()


# ============================================================ MiniBatchTraining
@dataclass(frozen=True)
class MiniBatchData:
    images: np.ndarray        # (B, H, W, C) uint8: B crops of the course's photos, channels last
    sources: tuple            # (photo, crop box, downsampling factor) of each image
    batch: np.ndarray         # (B, C, H, W): np.stack of the images, in PyTorch's layout — the notebook's X
    kernel: np.ndarray        # (F, F, C, M): the conv layer's seeded filters (filter 0 a vertical-edge detector)
    bias: np.ndarray          # (M,)
    padding: int
    out: np.ndarray           # (B, M, H', W'): the layer's output, one vectorised call (core.conv2d_batch)
    feature_maps: np.ndarray  # (B, H', W') uint8: |filter 0's output| of each image, scaled to 0–255 to draw
    schedule: core.TrainingSchedule


def minibatch_data(
    dataset_size: int = 8000,
    batch_size: int = 32,
    epochs: int = 20,
    image_size: int = 64,
    channels: int = 3,
    filters: int = 8,
    kernel_size: int = 3,
    seed: int = 0,
) -> MiniBatchData:
    """The notebook's III.4 example: 32 RGB 64×64 images become one (32, 3, 64, 64) tensor;
    one conv layer runs on the whole batch at once; N = 8000 and B = 32 give 250 steps per
    epoch, and 20 epochs 5,000 updates (``core.training_schedule``).

    The images are seeded random crops of the course's photos (``cnnviz.images.photo``:
    a random photo, a random square of ``image_size × factor`` pixels, shrunk by ``factor``).
    """
    from cnnviz import images

    if channels not in (1, 3):
        raise ValueError(f"images have 1 (grey) or 3 (RGB) channels, got {channels!r}")
    if isinstance(image_size, bool) or not isinstance(image_size, int) or image_size < 8:
        raise ValueError(f"the image size must be an integer >= 8, got {image_size!r}")
    sched = core.training_schedule(dataset_size, batch_size, epochs)
    mode = "RGB" if channels == 3 else "L"
    rng = np.random.default_rng(seed)
    sizes = {name: images.photo(name, mode).shape[:2] for name in images.PHOTOS}
    crops, sources = [], []
    for _ in range(batch_size):
        name = images.PHOTOS[rng.integers(len(images.PHOTOS))]
        h, w = sizes[name]
        fits = [f for f in (1, 2, 4) if f * image_size <= min(h, w)]
        if not fits:
            raise ValueError(f"a {image_size}×{image_size} image does not fit the {w}×{h} photo {name!r}")
        f = int(rng.choice(fits))
        side = f * image_size
        left, top = int(rng.integers(0, w - side + 1)), int(rng.integers(0, h - side + 1))
        box = (left, top, left + side, top + side)
        crop = images.photo(name, mode, box=box, factor=f)
        crops.append(crop if crop.ndim == 3 else crop[:, :, None])
        sources.append((name, box, f))
    stacked = np.stack(crops)                 # (B, H, W, C): one array, channels last
    batch = stacked.transpose(0, 3, 1, 2)     # (B, C, H, W): PyTorch's layout, as the notebook writes it
    kernel = rng.normal(0.0, 0.1, (kernel_size, kernel_size, channels, filters))
    if kernel_size == 3:
        kernel[:, :, :, 0] = core.edge_kernel("vertical")[:, :, None] / channels
    bias = np.zeros(filters)
    padding = kernel_size // 2
    out = core.conv2d_batch(stacked, kernel, bias, padding=padding)   # (B, H', W', M), one call
    maps = map_pixels(out[..., 0], magnitude=True)   # |response| of filter 0, one scale for the batch
    return MiniBatchData(images=stacked, sources=tuple(sources), batch=batch, kernel=kernel, bias=bias,
                         padding=padding, out=out.transpose(0, 3, 1, 2), feature_maps=maps, schedule=sched)


def _deck(n: int, spread: float = 1.6) -> list:
    """Offsets that fan ``n`` pictures into a deck: picture 0 in front, the others behind it,
    up and to the right (like a TensorStack), at most ``spread`` units from front to back."""
    step = min(0.07, spread / max(n - 1, 1))
    return [np.array([k * step, k * step, 0.0]) for k in range(n)]


def _montage(pictures, centers, height: float, ppu: float = 120.0):
    """Many equal pictures as ONE raster, to draw cheaply: each frame costs one image, not one per picture.

    ``pictures``: (n, H, W, 3) uint8; picture k is drawn ``height`` units tall centred on
    ``centers[k]`` (scene units), later pictures over earlier ones, each with a thin border in
    ``theme.GRID_LINE`` (like :class:`PixelImage`); ``ppu`` pixels per unit. Returns a
    ``PixelImage`` (RGBA, transparent between pictures) placed where those pictures would be.
    """
    from manim import ManimColor

    from cnnviz.drawings import PixelImage

    pictures = np.asarray(pictures)
    n, h, w = pictures.shape[:3]
    ph = max(1, round(height * ppu))
    pw = max(1, round(height * w / h * ppu))
    rows, cols = (np.arange(ph) * h) // ph, (np.arange(pw) * w) // pw   # nearest-neighbour upscaling
    centers = np.asarray(centers, dtype=float)[:, :2]
    x0, y1 = (centers[:, 0] - pw / ppu / 2).min(), (centers[:, 1] + ph / ppu / 2).max()
    x1, y0 = (centers[:, 0] + pw / ppu / 2).max(), (centers[:, 1] - ph / ppu / 2).min()
    canvas = np.zeros((int(round((y1 - y0) * ppu)) + 1, int(round((x1 - x0) * ppu)) + 1, 4), dtype=np.uint8)
    border = (np.array(ManimColor(theme.GRID_LINE).to_rgb()) * 255).round().astype(np.uint8)
    for pic, (cx, cy) in zip(pictures, centers):
        r0 = int(round((y1 - (cy + ph / ppu / 2)) * ppu))
        c0 = int(round((cx - pw / ppu / 2 - x0) * ppu))
        tile = np.empty((ph, pw, 4), dtype=np.uint8)
        tile[..., :3] = pic[rows][:, cols]
        tile[..., 3] = 255
        tile[:2, :, :3] = tile[-2:, :, :3] = border
        tile[:, :2, :3] = tile[:, -2:, :3] = border
        canvas[r0:r0 + ph, c0:c0 + pw] = tile
    img = PixelImage(canvas, height=canvas.shape[0] / ppu, border=None)
    return img.move_to([x0 + canvas.shape[1] / ppu / 2, y1 - canvas.shape[0] / ppu / 2, 0])


class MiniBatchTraining(CnnvizScene):
    data = staticmethod(minibatch_data)

    def construct(self):
        from cnnviz.drawings import PixelImage

        d = self.data()
        s = d.schedule
        B, C, H, W = d.batch.shape
        M = d.out.shape[1]
        head = title("Mini-batches: many images, one tensor, one forward pass", size=30)

        # ---- 1. the naive idea: one image at a time
        one = PixelImage(d.images[0] if C == 3 else d.images[0, :, :, 0], height=1.8)
        chain = Pipeline([("forward", theme.OUTPUT), ("backward", theme.KERNEL), ("update", theme.HIGHLIGHT)], size=30,
                         boxed=True)
        naive = Group(one, chain).arrange(RIGHT, buff=0.6).move_to([0, 0.8, 0])
        arrow0 = Arrow(one.get_right(), chain.stages[0].get_left(), buff=0.1, stroke_width=3, color=theme.MUTED,
                       max_tip_length_to_length_ratio=0.3)
        naive_head = label("The naive idea: one image at a time", size=30).next_to(naive, UP, buff=0.6)
        naive_note = label(f"× {fmt_int(s.dataset_size)} images: {fmt_int(s.dataset_size)} noisy updates per epoch, "
                           f"one after the other", color=theme.NEGATIVE)
        naive_note.next_to(naive, DOWN, buff=0.5)
        cross = Line(naive.get_corner(DOWN + LEFT), naive.get_corner(UP + RIGHT), stroke_color=theme.NEGATIVE,
                     stroke_width=6)
        self.play(Fade(head, out=False), Fade(naive_head, out=False), Fade(one, out=False), Fade(arrow0, out=False), Fade(chain, out=False), run_time=1.0)
        self.play(Fade(naive_note, out=False), Create(cross), run_time=0.8)
        self.beat(hold=1.0)
        self.play(Fade(Group(one, arrow0, chain, naive_head, naive_note, cross)), run_time=0.5)

        # ---- 2. B images become one (B, C, H, W) tensor
        rgb = d.images if C == 3 else np.repeat(d.images, 3, axis=3)
        cols = int(np.ceil(np.sqrt(2 * B)))
        rows = int(np.ceil(B / cols))
        thumb = min(1.0, 12.5 / cols - 0.12, 5.0 / rows - 0.12)
        pics = [PixelImage(img, height=thumb) for img in rgb]
        grid = Group(*pics).arrange_in_grid(rows=rows, cols=cols, buff=0.12).move_to([0, -0.1, 0])
        # drawn as one raster while it stands still; the B pictures only while they fly
        grid_raster = _montage(rgb, [p.get_center() for p in pics], thumb)
        photos = sorted({src[0] for src in d.sources})
        grid_head = label(f"{B} images, each {H}×{W}×{C} (random crops of {', '.join(photos)})",
                          color=theme.INPUT).next_to(grid, UP, buff=0.35)
        fit_width(grid_head, 13.4)
        self.play(Fade(grid_raster, out=False), Fade(grid_head, out=False), run_time=1.0)
        self.beat(hold=0.8)

        deck_h = 2.1
        front = np.array([-5.4, -0.3, 0.0])
        offsets = _deck(B)
        deck_centers = [front + o for o in offsets]
        deck = _montage(rgb[::-1], deck_centers[::-1], deck_h)  # image 0 drawn last: the front of the deck
        self.remove(grid_raster)
        self.add(*reversed(pics))
        moves = [p.animate.scale_to_fit_height(deck_h).move_to(c) for p, c in zip(pics, deck_centers)]
        shape_txt = label(f"X.shape = {tuple(int(v) for v in d.batch.shape)}", size=24, mono=True, color=theme.INPUT)
        legend = label("(B, C, H, W)", size=theme.SMALL_SIZE, color=theme.MUTED)
        VGroup(shape_txt, legend).arrange(DOWN, buff=0.15).next_to(deck, DOWN, buff=0.35).align_to(deck, LEFT)
        stack_note = caption(f"np.stack: {B} arrays of {H}×{W}×{C} → one 4-D tensor", color=theme.INPUT)
        self.play(*moves, Fade(grid_head), run_time=1.0)
        self.remove(*pics)
        self.add(deck)
        self.play(Fade(shape_txt, out=False), Fade(legend, out=False), Fade(stack_note, out=False), run_time=0.6)
        self.beat(hold=1.0)

        # ---- 3. one vectorised forward: the whole batch through a conv layer at once
        conv = Pipeline([("Conv2d", theme.KERNEL)], size=30, boxed=True).move_to([-0.2, front[1] + 0.55, 0])
        conv_sub = label(f"{M} filters {core.fmt_shape(d.kernel.shape[:3])}, padding {d.padding}",
                         size=theme.SMALL_SIZE, color=theme.KERNEL).next_to(conv, DOWN, buff=0.2)
        maps = np.repeat(d.feature_maps[..., None], 3, axis=3)
        out_front = np.array([3.3, -0.3, 0.0])
        out_deck = _montage(maps[::-1], [out_front + o for o in offsets[::-1]], deck_h)
        out_txt = label(f"shape {tuple(int(v) for v in d.out.shape)}", size=24, mono=True, color=theme.OUTPUT)
        out_legend = label("filter 1's map of each image", size=theme.SMALL_SIZE, color=theme.MUTED)
        VGroup(out_txt, out_legend).arrange(DOWN, buff=0.15).next_to(out_deck, DOWN, buff=0.35)
        a1 = Arrow(deck.get_right() + 0.1 * RIGHT, conv.get_left(), buff=0.1, stroke_width=4, color=theme.MUTED,
                   max_tip_length_to_length_ratio=0.15)
        a2 = Arrow(conv.get_right(), out_deck.get_left() + 0.1 * LEFT, buff=0.1, stroke_width=4, color=theme.MUTED,
                   max_tip_length_to_length_ratio=0.15)
        fwd_note = caption(f"one vectorised call on all {B} images at once, not {B} separate forward passes",
                           color=theme.OUTPUT)
        self.play(Fade(conv, out=False), Fade(conv_sub, out=False), Create(a1), ReplacementTransform(stack_note, fwd_note), run_time=0.8)
        self.play(Create(a2), Fade(out_deck, out=False), Fade(out_txt, out=False), Fade(out_legend, out=False), run_time=1.2)
        self.beat(hold=1.5)

        # ---- 4. steps and epochs
        self.play(Fade(Group(deck, shape_txt, legend, conv, conv_sub, a1, a2, out_deck, out_txt, out_legend,
                                fwd_note)), run_time=0.6)
        step_f = Formula(rf"\text{{steps per epoch}} = \frac{{N}}{{B}} = \frac{{{s.dataset_size}}}{{{s.batch_size}}}"
                         rf" = {s.steps_per_epoch}", font_size=34).move_to([0, 2.1, 0])
        bar_w = 12.0
        bar = Rectangle(width=bar_w, height=0.45, stroke_color=theme.INPUT, stroke_width=2).move_to([0, 0.9, 0])
        ticks = VMobject(stroke_color=theme.GRID_LINE, stroke_width=1)  # one path of many strokes: cheap to draw
        for k in range(1, s.steps_per_epoch):
            ticks.start_new_path(bar.get_corner(DOWN + LEFT) + RIGHT * bar_w * k / s.steps_per_epoch)
            ticks.add_line_to(bar.get_corner(UP + LEFT) + RIGHT * bar_w * k / s.steps_per_epoch)
        fill = Rectangle(width=bar_w, height=0.45, stroke_width=0).set_fill(theme.INPUT, opacity=0.55).move_to(bar)
        ends = VGroup(label("step 1", size=theme.SMALL_SIZE, color=theme.MUTED).next_to(bar, DOWN, buff=0.15)
                      .align_to(bar, LEFT),
                      label(f"step {fmt_int(s.steps_per_epoch)}", size=theme.SMALL_SIZE, color=theme.MUTED)
                      .next_to(bar, DOWN, buff=0.15).align_to(bar, RIGHT))
        epoch_name = label(f"1 epoch = {fmt_int(s.dataset_size)} images seen once = {fmt_int(s.steps_per_epoch)} "
                           f"updates of {s.batch_size}", size=theme.SMALL_SIZE, color=theme.INPUT)
        epoch_name.next_to(ends, DOWN, buff=0.15)
        self.play(Fade(step_f, out=False), Fade(bar, out=False), Fade(ticks, out=False), Fade(ends, out=False), run_time=0.8)
        fill.stretch_to_fit_width(0.01).align_to(bar, LEFT)  # the epoch fills up from step 1 to the last
        self.add(fill)
        self.play(fill.animate.stretch_to_fit_width(bar_w).align_to(bar, LEFT), Fade(epoch_name, out=False), run_time=1.5)
        self.beat(hold=1.0)

        e = s.epochs
        cell_w = min(0.6, (bar_w - 0.05 * (e - 1)) / e)
        blocks = VGroup(*(Rectangle(width=cell_w, height=0.45, stroke_color=theme.OUTPUT, stroke_width=1.5)
                          for _ in range(e))).arrange(RIGHT, buff=0.05).move_to([0, -1.3, 0])
        filled = VGroup(*(b.copy().set_fill(theme.OUTPUT, opacity=0.6) for b in blocks))
        ep_label = label(f"{e} epochs", size=theme.SMALL_SIZE, color=theme.OUTPUT).next_to(blocks, UP, buff=0.15)
        total_f = Formula(rf"\text{{updates}} = {s.steps_per_epoch} \times {e} = "
                          rf"\mathbf{{{fmt_int(s.total_updates).replace(',', '{,}')}}}", font_size=38,
                          color=theme.OUTPUT).move_to([0, -2.55, 0])
        self.play(Fade(blocks, out=False), Fade(ep_label, out=False), run_time=0.6)
        self.play(LaggedStart(*(Fade(b, out=False) for b in filled), lag_ratio=0.3), run_time=1.6)
        self.play(Fade(total_f, out=False), run_time=0.7)
        self.beat(hold=1.8)
        self.clear_all()


# ============================================================ TrainVsEval
@dataclass(frozen=True)
class TrainVsEvalData:
    image: np.ndarray         # a photo crop (H, W, 3) uint8: the input of the augmentation
    pad: int
    augmented: tuple          # core.AugmentResult per training step (seed + t): a random flip and shift
    evaluated: tuple          # core.AugmentResult per evaluation step: augmentation off, the image itself
    batches: np.ndarray       # (n_batches, B): the training mini-batches of one feature, seeded
    momentum: float
    running: core.RunningStats  # batch norm's running mean and variance after every training batch
    batch: np.ndarray         # the last batch: the input both modes are shown on
    bn_train: core.BatchNormResult  # train mode: the batch's own μ_B, σ²_B
    bn_eval: core.BatchNormResult   # eval mode: the running statistics
    z: np.ndarray             # hidden activations entering dropout
    p: float
    mask: np.ndarray          # core.dropout_mask(len(z), p, seed)
    drop_train: np.ndarray    # core.dropout(z, p, mask): masked and scaled
    drop_eval: np.ndarray     # core.dropout(z, p, training=False): z
    sizes: tuple              # the MLP drawn around the dropout layer


def train_vs_eval_data(
    photo: str = "chelsea",
    box: tuple[int, int, int, int] = (78, 6, 366, 294),
    factor: int = 6,
    pad: int = 6,
    flip_p: float = 0.5,
    steps: int = 3,
    batch_size: int = 5,
    n_batches: int = 50,
    feature_mean: float = 5.0,
    feature_std: float = 2.0,
    momentum: float = 0.1,
    eps: float = 1e-5,
    z: Sequence[float] = (10, 20, 30, 40, 50),
    p: float = 0.5,
    seed: int = 3,
) -> TrainVsEvalData:
    """III.4.5: what ``model.train()`` and ``model.eval()`` change, on the same inputs.

    * augmentation: ``steps`` training steps of ``core.random_flip_crop`` (seed + t) on a
      crop of a course photo; in evaluation the image passes unchanged;
    * batch norm: ``n_batches`` seeded training batches of one feature (integers around
      ``feature_mean``) update the running statistics (``core.running_stats_update``,
      from PyTorch's start 0 and 1); the last batch is then normalised with its own
      statistics (train) and with the running ones (eval, ``core.batch_norm_eval``);
    * dropout: the activations ``z`` with a seeded mask and 1/(1 − p) in training, unchanged in evaluation.
    """
    from cnnviz import images

    image = images.photo(photo, "RGB", box=box, factor=factor)
    augmented = tuple(core.random_flip_crop(image, pad, flip_p, seed=seed + t) for t in range(steps))
    evaluated = tuple(core.random_flip_crop(image, pad, flip_p, training=False) for _ in range(steps))
    rng = np.random.default_rng(seed)
    batches = np.round(rng.normal(feature_mean, feature_std, (n_batches, batch_size)))
    running = core.RunningStats(np.float64(0.0), np.float64(1.0))
    for b in batches:
        running = core.running_stats_update(running.mean, running.var, b, momentum=momentum)
    batch = batches[-1]
    z = np.asarray(z)
    mask = core.dropout_mask(z.size, p, seed=seed)
    return TrainVsEvalData(
        image=image, pad=pad, augmented=augmented, evaluated=evaluated, batches=batches, momentum=momentum,
        running=running, batch=batch, bn_train=core.batch_norm(batch, eps=eps),
        bn_eval=core.batch_norm_eval(batch, running.mean, running.var, eps=eps), z=z, p=p, mask=mask,
        drop_train=core.dropout(z, p, mask=mask), drop_eval=core.dropout(z, p, training=False),
        sizes=(3, z.size, 2),
    )


def _shift_text(shift) -> str:
    dy, dx = shift
    return f"shift ({dy:+d}, {dx:+d})" if (dy, dx) != (0, 0) else "shift (0, 0)"


class TrainVsEval(CnnvizScene):
    data = staticmethod(train_vs_eval_data)

    def construct(self):
        from cnnviz.drawings import PixelImage

        d = self.data()
        head = title("train() vs eval(): the same input, two behaviours", size=30)
        xl, xr = -3.6, 3.6
        h_train = label("model.train()", size=30, color=theme.HIGHLIGHT, mono=True).move_to([xl, 2.75, 0])
        h_eval = label("model.eval()", size=30, color=theme.OUTPUT, mono=True).move_to([xr, 2.75, 0])
        divider = Line([0, 2.95, 0], [0, -2.95, 0], stroke_color=theme.GRID_LINE, stroke_width=2)
        self.play(Fade(head, out=False), Fade(h_train, out=False), Fade(h_eval, out=False), Create(divider), run_time=0.9)

        # ---- 1. data augmentation: a new random flip and shift each step, or the image itself
        n = len(d.augmented)
        hs = min(2.1, (6.6 - 0.3 * (n - 1)) / n)
        def row_of(results, x):
            pics = Group(*(PixelImage(r.image, height=hs) for r in results)).arrange(RIGHT, buff=0.3)
            pics.move_to([x, 0.85, 0])
            notes = VGroup()
            for t, (pic, r) in enumerate(zip(pics, results)):
                lines = VGroup(label(f"step {t + 1}", size=theme.SMALL_SIZE, color=theme.MUTED),
                               label("flipped" if r.flipped else "not flipped", size=theme.SMALL_SIZE),
                               label(_shift_text(r.shift), size=theme.SMALL_SIZE))
                lines.arrange(DOWN, buff=0.12).next_to(pic, DOWN, buff=0.25)
                notes.add(lines)
            return pics, notes

        a_pics, a_notes = row_of(d.augmented, xl)
        e_pics, e_notes = row_of(d.evaluated, xr)
        cap1 = caption("Augmentation: a new random flip and shift at every training step; off in evaluation",
                       size=theme.SMALL_SIZE, color=theme.TEXT)
        self.play(Fade(cap1, out=False), Fade(e_pics, out=False), Fade(e_notes, out=False), run_time=0.8)
        for pic, note in zip(a_pics, a_notes):
            self.play(FadeIn(pic, shift=0.2 * DOWN), Fade(note, out=False), run_time=0.6)
        self.beat(hold=1.5)
        self.play(Fade(Group(a_pics, a_notes, e_pics, e_notes, cap1)), run_time=0.5)

        # ---- 2. batch norm: the batch's own statistics, or the running averages saved in training
        B = d.batch.size
        c = min(1.05, 6.0 / B)
        kw = dict(cell_size=c, font_size=22 * c / 1.05, decimals=2)
        nb = d.batches.shape[0]
        m = fmt_num(d.momentum)
        parts = VGroup()
        for x, res, stats, note in (
            (xl, d.bn_train, f"batch μ = {fmt_num(float(d.bn_train.mean))}   σ² = {fmt_num(float(d.bn_train.var))}",
             ("the batch's own statistics:", "each output depends on the others")),
            (xr, d.bn_eval, f"running μ = {fmt_num(float(d.running.mean))}   σ² = {fmt_num(float(d.running.var))}",
             (f"saved while training, over {nb} batches:", f"μ ← {fmt_num(1 - d.momentum)} μ + {m} batch μ")),
        ):
            x_row = value_vector(d.batch, color=theme.INPUT, **kw).move_to([x + 0.3, 1.5, 0])
            x_name = label("x", color=theme.INPUT).next_to(x_row, LEFT, buff=0.25)
            s_line = label(stats, color=theme.HIGHLIGHT).move_to([x, 0.45, 0])
            y_row = value_vector(res.x_hat, color=theme.OUTPUT, **kw).move_to([x + 0.3, -0.6, 0])
            y_name = label("x̂", color=theme.OUTPUT).next_to(y_row, LEFT, buff=0.25)
            n_line = VGroup(*(label(t, size=theme.SMALL_SIZE, color=theme.MUTED) for t in note))
            n_line.arrange(DOWN, buff=0.12).move_to([x, -1.85, 0])
            parts.add(VGroup(x_row, x_name, s_line, y_row, y_name, n_line))
        cap2 = caption("Batch norm: batch statistics in training, the running averages in evaluation",
                       size=theme.SMALL_SIZE, color=theme.TEXT)
        self.play(Fade(cap2, out=False), *(Fade(VGroup(p[0], p[1]), out=False) for p in parts), run_time=0.7)
        self.beat(hold=0.5)
        for p in parts:
            self.play(Fade(p[2], out=False), run_time=0.5)
            self.play(TransformFromCopy(p[0], p[3]), Fade(p[4], out=False), run_time=0.8)
            self.play(Fade(p[5], out=False), run_time=0.4)
        self.beat(hold=1.6)
        self.play(Fade(VGroup(parts, cap2)), run_time=0.5)

        # ---- 3. dropout: a random mask and 1/(1 − p), or every neuron and no scaling
        zc = min(1.0, 5.6 / d.z.size)
        zkw = dict(cell_size=zc, font_size=24 * zc, decimals=1)
        drops = Group()
        for x, mask, out, out_name in ((xl, d.mask, d.drop_train, f"÷ {fmt_num(1 - d.p)}"),
                                       (xr, np.ones_like(d.mask), d.drop_eval, "out")):
            net = MLPDiagram(d.sizes, width=3.9, height=2.2, max_radius=0.3, fill_opacity=0.45, edge_width=1.5,
                             edge_opacity=0.6, size_labels=False).move_to([x, 1.1, 0])
            z_row = value_vector(d.z, color=theme.INPUT, **zkw).move_to([x + 0.3, -0.6, 0])
            z_name = label("z", color=theme.INPUT).next_to(z_row, LEFT, buff=0.25)
            o_row = value_vector(out, color=theme.OUTPUT, **zkw).move_to([x + 0.3, -0.6 - zc - 0.25, 0])
            for cell_sq, on in zip(o_row.cells, mask):
                if not on:
                    cell_sq.set_fill(theme.DROPPED, opacity=1)
            o_name = label(out_name, color=theme.OUTPUT).next_to(o_row, LEFT, buff=0.25)
            drops.add(Group(net, z_row, z_name, o_row, o_name))
        cap3 = caption(f"Dropout (p = {fmt_num(d.p)}): random mask and ÷ (1 − p) in training; "
                       f"all neurons, no scaling, in evaluation", size=theme.SMALL_SIZE, color=theme.TEXT)
        self.play(Fade(cap3, out=False), *(Fade(Group(g[0], g[1], g[2]), out=False) for g in drops), run_time=0.8)
        self.play(*drops[0][0].mask_animations({1: d.mask}), run_time=0.7)
        self.play(*(drops[k][0].pulse(run_time=0.9) for k in (0, 1)))
        self.play(*(TransformFromCopy(g[1], g[3]) for g in drops), *(Fade(g[4], out=False) for g in drops), run_time=0.8)
        self.beat(hold=1.6)
        self.play(Fade(Group(drops, cap3)), run_time=0.5)

        # ---- 4. the notebook's table
        rows = (
            ("Augmentation", "ON: random variations", "OFF: the original images"),
            ("Batch norm", "this batch's μ and σ²", "running averages of μ, σ²"),
            ("Dropout", "ON: mask, ÷ (1 − p)", "OFF: all neurons, no scaling"),
        )
        xs = (-5.2, -1.2, 4.0)
        table = VGroup()
        for k, (name, tr, ev) in enumerate(rows):
            y = 1.0 - 1.4 * k
            table.add(label(name, color=theme.TEXT, weight="BOLD").move_to([xs[0], y, 0]),
                      label(tr, color=theme.HIGHLIGHT).move_to([xs[1], y, 0]),
                      label(ev, color=theme.OUTPUT).move_to([xs[2], y, 0]))
        rule = Line([-6.6, 1.75, 0], [6.6, 1.75, 0], stroke_color=theme.GRID_LINE, stroke_width=2)
        self.play(Fade(divider), h_train.animate.move_to([xs[1], 2.3, 0]), h_eval.animate.move_to([xs[2], 2.3, 0]),
                  Create(rule), run_time=0.6)
        self.play(LaggedStart(*(Fade(t, out=False) for t in table), lag_ratio=0.15), run_time=1.5)
        self.beat(hold=2.0)
        self.clear_all()
