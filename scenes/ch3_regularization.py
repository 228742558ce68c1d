"""Chapter 3 — stabilisation and regularisation (III.3.4, III.4.5): dropout, batch normalisation,
and what changes between training mode and evaluation mode.

Each scene: a pure data function (keyword inputs whose defaults are the notebook's example,
declared with their meaning and limits → a frozen dataclass of every number shown, from
``cnnviz.core``) and the choreography that draws it with the shared drawings. Render one with
``python render.py render Dropout -q l``.
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
from scenes.ch3_training import _tex_num


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
