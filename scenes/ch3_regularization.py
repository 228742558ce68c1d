"""Chapter 3 — stabilisation and regularisation (III.3.4, III.4.5): dropout, batch normalisation,
and what changes between training mode and evaluation mode.

Each scene: a pure data function (keyword inputs whose defaults are the notebook's example,
declared with their meaning and limits → a frozen dataclass of every number shown, from
``cnnviz.core``) and the choreography that draws it with the shared drawings. Render one with
``python render.py render Dropout -q l``.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Annotated

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
    VGroup,
)

from cnnviz import core, theme
from cnnviz.notation import CONV, as_code
from cnnviz.params import Grid, Param, Photo, Vector
from cnnviz.drawings import (
    CnnvizScene,
    Fade,
    MLPDiagram,
    NeuronLayer,
    Pipeline,
    ValueGrid,
    caption,
    fit_width,
    fmt_int,
    fmt_num,
    label,
    title,
    value_vector,
)
from cnnviz.formula import Formula
from scenes.ch3_training import _tex_num


# ============================================================ BatchNormStep
#: the largest mini-batch this scene draws readably (samples × features): measured with the layout check
BATCH_NORM_MAX = (7, 3)


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
    x_hat_var: np.ndarray     # the variance of each normalised feature (≈ 1; 0 for a constant feature)
    summary: str              # what normalising did, from x_hat_mean and x_hat_var


def _listed(texts) -> str:
    texts = list(texts)
    return texts[0] if len(texts) == 1 else ", ".join(texts[:-1]) + " and " + texts[-1]


def _per_feature(values, decimals: int = 2) -> tuple[str, ...]:
    """Each value as shown (2 decimals; a rounded −0 is 0)."""
    return tuple(fmt_num(round(float(v), decimals) + 0.0, decimals) for v in values)


def batch_norm_data(
    x: Annotated[Grid, Param("the mini-batch z = xW + b: one row per sample, one column per feature",
                             min=-999, max=999, max_shape=BATCH_NORM_MAX, noun="mini-batch")]
    = ((2, 150, -3), (6, 300, -1), (4, 100, 0), (12, 250, -4)),
    gamma: Annotated[Vector, Param("γ, the learned scale: one per feature (or one number for all)", min=-99,
                                   max=99, max_shape=(BATCH_NORM_MAX[1],))] = (2.0, 1.0, 0.5),
    beta: Annotated[Vector, Param("β, the learned shift: one per feature (or one number for all)", min=-99,
                                  max=99, max_shape=(BATCH_NORM_MAX[1],))] = (1.0, 0.0, -1.0),
    eps: Annotated[float, Param("ε, added to the variance before the square root", min=1e-8, max=1.0)] = 1e-5,
) -> BatchNormData:
    """A mini-batch of raw outputs z = xW + b (B samples × D features, on very different scales)
    through batch normalisation in training mode (III.3.4.1): the batch's μ_B and σ²_B per
    feature, x̂, then γ x̂ + β — all from ``core.batch_norm``."""
    x = np.asarray(x)
    if x.ndim != 2 or x.shape[0] < 2:
        raise ValueError(f"the mini-batch x must be B×D (samples × features) with at least 2 samples, "
                         f"got shape {core.fmt_shape(x.shape)}")
    d = x.shape[1]
    vecs = []
    for name, v in (("gamma", gamma), ("beta", beta)):
        v = np.asarray(v, dtype=float)
        if v.ndim == 0:
            v = np.full(d, float(v))
        if v.shape != (d,):
            raise ValueError(f"{name} must hold one number per feature: the mini-batch has {d} features "
                             f"(shape {core.fmt_shape(x.shape)}), {name} has {v.size} number{'s' if v.size != 1 else ''}")
        vecs.append(v)
    gamma, beta = vecs
    bn = core.batch_norm(x, gamma, beta, eps=eps, axis=0)
    stats = core.batch_norm(bn.x_hat, eps=1.0, axis=0)  # its mean and var only (eps does not touch them)
    means, vars_ = _per_feature(stats.mean), _per_feature(stats.var)
    mean_text = f"mean {means[0]}" if len(set(means)) == 1 else f"means {_listed(means)}"
    var_text = f"variance {vars_[0]}" if len(set(vars_)) == 1 else f"variances {_listed(vars_)}"
    every = "every feature now has" if len(set(means)) == 1 and len(set(vars_)) == 1 else "the features now have"
    summary = f"{every} {mean_text} and {var_text}"
    const = [j for j in range(d) if bn.var[j] == 0]
    if const:
        summary += (f" (feature{'s' if len(const) > 1 else ''} {_listed([str(j + 1) for j in const])}: "
                    f"constant, nothing to scale)")
    _batch_norm_fits(x, bn, gamma, beta)
    return BatchNormData(x=x, gamma=gamma, beta=beta, eps=eps, mean=bn.mean, var=bn.var,
                         std=np.sqrt(bn.var + eps), x_hat=bn.x_hat, y=bn.y,
                         x_hat_mean=stats.mean, x_hat_var=stats.var, summary=summary)


def _batch_norm_gap() -> tuple[float, float]:
    """The room between BatchNormStep's grids (their arrows and names) and left of the batch (the row names)."""
    names = (label("normalise", size=theme.SMALL_SIZE), label("scale, shift", size=theme.SMALL_SIZE))
    return max(1.4, *(n.width + 0.3 for n in names)), 0.95


def _batch_norm_cell(b: int) -> float:
    """The cells' height (and least width) for a batch of ``b`` samples: the batch and its two rows of statistics
    fill the room between the headings and the bottom line."""
    return min(0.9, 5.05 / (b + 2))


#: how wide the three grids of BatchNormStep may be together (the frame less the gaps and margins)
_BN_WIDTH = 13.58


def _batch_norm_fits(x, bn, gamma, beta) -> None:
    """Refuse a mini-batch whose numbers, at the smallest readable font, make the three grids (batch with μ_B
    and σ²_B under it, x̂, y with γ and β under it) wider than the frame — measured as ValueGrid draws them."""
    from cnnviz.drawings import _text_width

    gap, margin = _batch_norm_gap()
    d = x.shape[1]
    groups = (("x, μ_B and σ²_B", (x, bn.mean, bn.var)), ("x̂", (bn.x_hat,)), ("y, γ and β", (bn.y, gamma, beta)))
    widths, widest = [], []
    for name, arrays in groups:
        texts = {fmt_num(v) for a in arrays for v in np.ravel(a)}
        w, t = max((_text_width(t, theme.MIN_FONT), t) for t in texts)
        widths.append(d * max(_batch_norm_cell(x.shape[0]), w / theme.CELL_FILL))
        widest.append(f"{t!r} ({name})")
    if sum(widths) + 2 * gap + margin > _BN_WIDTH:
        raise ValueError(f"x: the numbers of this mini-batch are too wide to draw its {d} features three times side "
                         f"by side at a readable size (the widest: {', '.join(widest)}): use fewer features or "
                         "smaller values")


def _tex_sci(v: float) -> str:
    """A small constant for a formula: 1e-05 → 10^{-5}, 2e-03 → 2·10^{-3}, 0.5 → 0.5."""
    if v >= 0.01:
        return fmt_num(v, 4)
    mant, exp = f"{v:.0e}".split("e")
    power = f"10^{{{int(exp)}}}"
    return power if mant == "1" else rf"{mant} \cdot {power}"


class BatchNormStep(CnnvizScene):
    data = staticmethod(batch_norm_data)

    def must_show(self, d) -> list[str]:
        return ([fmt_num(v) for v in d.x.ravel()] + [fmt_num(v) for v in d.mean] + [fmt_num(v) for v in d.var]
                + [fmt_num(v) for v in d.x_hat.ravel()] + [fmt_num(v) for v in d.y.ravel()]
                + [fmt_num(v) for v in d.gamma] + [fmt_num(v) for v in d.beta] + [d.summary])

    def construct(self):
        d = self.data()
        B, D = d.x.shape
        head = title("Batch normalisation: one mini-batch, feature by feature", size=30)

        # ---- the batch, x̂ and y side by side across the frame; the statistics under the batch, γ and β under y
        c = _batch_norm_cell(B)
        arrow_names = VGroup(label("normalise", size=theme.SMALL_SIZE, color=theme.MUTED),
                             label("scale, shift", size=theme.SMALL_SIZE, color=theme.MUTED))
        gap, margin = _batch_norm_gap()  # margin: room for the row names left of μ_B and σ²_B

        def build(fs):
            kw = dict(cell_size=c, font_size=fs, decimals=2)
            grids = (ValueGrid(d.x, color=theme.INPUT, **kw),
                     ValueGrid(d.x_hat, color=theme.TEXT, show_values=False, **kw),
                     ValueGrid(d.y, color=theme.OUTPUT, show_values=False, **kw),
                     value_vector(d.mean, color=theme.HIGHLIGHT, show_values=False, **kw),
                     value_vector(d.var, color=theme.HIGHLIGHT, show_values=False, **kw),
                     value_vector(d.gamma, color=theme.KERNEL, **kw),
                     value_vector(d.beta, color=theme.BIAS, **kw))
            # a column as wide as its widest number anywhere (its grid or a row under it)
            for members in ((grids[0], grids[3], grids[4]), (grids[2], grids[5], grids[6])):
                width = max(g.cell_width for g in members)
                for g in members:
                    g.stretch_to_fit_width(width * D)
                    g.cell_width = width
            return grids, margin + sum(g.width for g in grids[:3]) + 2 * gap

        # the largest font (at most 26, at least the minimum) at which the three grids fit across the frame
        fs = max(float(theme.MIN_FONT), min(26.0, 26 * c / 0.9))
        (x_grid, xh_grid, y_grid, mu_row, var_row, g_row, b_row), total = build(fs)
        while total > _BN_WIDTH and fs > theme.MIN_FONT:
            fs = max(float(theme.MIN_FONT), fs - 1)
            (x_grid, xh_grid, y_grid, mu_row, var_row, g_row, b_row), total = build(fs)
        left = -total / 2 + margin
        top = 2.4
        for g in (x_grid, xh_grid, y_grid):
            g.move_to([left + g.width / 2, 0, 0]).align_to([0, top, 0], UP)
            left += g.width + gap
        arrows = VGroup(*(Arrow(a.get_right(), b.get_left(), buff=0.15, stroke_width=4, color=theme.MUTED,
                                max_tip_length_to_length_ratio=0.2) for a, b in ((x_grid, xh_grid), (xh_grid, y_grid))))
        for name, arr in zip(arrow_names, arrows):
            name.next_to(arr, UP, buff=0.1)
        heads = VGroup(
            label(f"mini-batch: {B} samples × {D} features", size=theme.SMALL_SIZE, color=theme.INPUT),
            label("x̂", size=theme.BODY_SIZE, color=theme.TEXT),
            label("y = γ x̂ + β", size=theme.SMALL_SIZE, color=theme.OUTPUT),
        )
        for h, g in zip(heads, (x_grid, xh_grid, y_grid)):
            h.next_to(g, UP, buff=0.15)
            if h.get_left()[0] < -6.8:  # a heading wider than its grid stays in the frame
                h.align_to([-6.8, 0, 0], LEFT)
        for k, (r, g) in enumerate(((mu_row, x_grid), (var_row, x_grid), (g_row, y_grid), (b_row, y_grid))):
            r.next_to(g, DOWN, buff=0.25 + (k % 2) * c, aligned_edge=LEFT)
        row_names = VGroup(
            Formula(r"\mu_B", font_size=30, color=theme.HIGHLIGHT).next_to(mu_row, LEFT, buff=0.2),
            Formula(r"\sigma^2_B", font_size=30, color=theme.HIGHLIGHT).next_to(var_row, LEFT, buff=0.2),
            Formula(r"\gamma", font_size=30, color=theme.KERNEL).next_to(g_row, LEFT, buff=0.2),
            Formula(r"\beta", font_size=30, color=theme.BIAS).next_to(b_row, LEFT, buff=0.2),
        )
        line_y = -3.3  # the one line for formulas and sentences: one at a time

        def bottom(mob):
            return fit_width(mob, 13.4).move_to([0, line_y, 0])

        self.add(head, x_grid, heads[0])
        self.beat(note=f"A mini-batch of {B} samples with {D} features each: the raw outputs z = xW + b of a layer, "
                       "on very different scales.")

        # ---- 1. μ_B and σ²_B of each feature, over the batch (this batch only)
        col = x_grid.window(0, 0, B, 1)
        v = d.x[:, 0]
        mu_f = bottom(Formula(rf"\mu_B = ({' + '.join(_tex_num(a, paren=False) for a in v)})\,/\,{B} = "
                              rf"{_tex_num(d.mean[0], paren=False)}", font_size=30, color=theme.HIGHLIGHT))
        var_f = Formula(rf"\sigma^2_B = ({' + '.join(f'({_tex_num(a, paren=False)} - {_tex_num(d.mean[0])})^2' for a in v)})"
                        rf"\,/\,{B} = {_tex_num(d.var[0], paren=False)}", font_size=30, color=theme.HIGHLIGHT)
        if var_f.width > 13.4 * 30 / theme.MIN_FONT:  # every term would be too small: the sum, written short
            var_f = Formula(rf"\sigma^2_B = \text{{mean of }} (x_i - {_tex_num(d.mean[0])})^2 = "
                            rf"{_tex_num(d.var[0], paren=False)}", font_size=30, color=theme.HIGHLIGHT)
        var_f = bottom(var_f)
        self.play(Create(col), Fade(mu_f, out=False), Fade(row_names[0], out=False), Fade(mu_row.cells, out=False),
                  run_time=0.8)
        mu0 = mu_row.value_label(0, 0, d.mean[0])
        self.play(Fade(mu0, out=False), run_time=0.5)
        self.beat(note=f"Feature 1: its mean over the batch, μ_B = {fmt_num(d.mean[0])}. Only this mini-batch "
                       "counts.", hold=1.2)
        self.play(Fade(mu_f), run_time=0.3)
        self.play(Fade(var_f, out=False), Fade(row_names[1], out=False), Fade(var_row.cells, out=False), run_time=0.7)
        var0 = var_row.value_label(0, 0, d.var[0])
        self.play(Fade(var0, out=False), run_time=0.5)
        self.beat(note=f"Its variance over the batch, σ²_B = {fmt_num(d.var[0])}: the mean of the squared "
                       "distances to μ_B.", hold=1.2)
        rest = VGroup(*(mu_row.value_label(0, j, d.mean[j]) for j in range(1, D)),
                      *(var_row.value_label(0, j, d.var[j]) for j in range(1, D)))
        note = bottom(label("the same for every feature: statistics over the batch, one column at a time",
                            size=theme.SMALL_SIZE))
        self.play(Fade(var_f), run_time=0.3)
        self.play(col.animate.stretch_to_fit_width(x_grid.width).move_to(x_grid), Fade(note, out=False),
                  LaggedStart(*(Fade(t, out=False) for t in rest), lag_ratio=0.15), run_time=1.0)
        self.beat(note="The same for every feature: each column gets its own mean and variance, computed over the "
                       "samples of the batch.", hold=1.2)

        # ---- 2. x̂ = (x − μ_B) / √(σ²_B + ε): each feature centred and scaled
        xh_f = bottom(Formula(rf"\hat{{x}} = ({_tex_num(d.x[0, 0], paren=False)} - {_tex_num(d.mean[0])})\,/\,"
                              rf"\sqrt{{{_tex_num(d.var[0], paren=False)} + {_tex_sci(d.eps)}}} = "
                              rf"{_tex_num(round(float(d.x_hat[0, 0]), 2), paren=False)}", font_size=30))
        cell0 = x_grid.window(0, 0, 1, 1)
        self.play(Fade(col), Fade(note), run_time=0.3)
        self.play(Fade(xh_grid, out=False), Fade(heads[1], out=False), Create(arrows[0]),
                  Fade(arrow_names[0], out=False), Create(cell0), Fade(xh_f, out=False), run_time=0.9)
        first = xh_grid.value_label(0, 0, d.x_hat[0, 0])
        self.play(Fade(first, out=False), run_time=0.5)
        self.beat(note=f"Normalise: subtract μ_B and divide by √(σ²_B + ε). The first sample's feature 1 becomes "
                       f"{fmt_num(d.x_hat[0, 0])}.", hold=1.2)
        others = VGroup(*(xh_grid.value_label(i, j, d.x_hat[i, j]) for j in range(D) for i in range(B) if (i, j) != (0, 0)))
        centred = bottom(label(d.summary, size=theme.SMALL_SIZE))
        self.play(Fade(cell0), Fade(xh_f), run_time=0.3)
        self.play(LaggedStart(*(Fade(t, out=False) for t in others), lag_ratio=0.08), run_time=1.2)
        self.play(Fade(centred, out=False), run_time=0.5)
        self.beat(note=f"After normalising, {d.summary}: the scales no longer differ.", hold=1.4)

        # ---- 3. y = γ x̂ + β: a learned scale and shift per feature
        y_f = bottom(Formula(rf"y = {_tex_num(d.gamma[0])} \cdot {_tex_num(round(float(d.x_hat[0, 0]), 2))} + "
                             rf"{_tex_num(d.beta[0])} = {_tex_num(round(float(d.y[0, 0]), 2), paren=False)}",
                             font_size=30, color=theme.OUTPUT))
        self.play(Fade(centred), run_time=0.3)
        self.play(Fade(y_grid.cells, out=False), Fade(heads[2], out=False), Create(arrows[1]),
                  Fade(arrow_names[1], out=False), Fade(g_row, out=False), Fade(b_row, out=False),
                  Fade(row_names[2:], out=False), run_time=0.9)
        self.play(Fade(y_f, out=False), run_time=0.6)
        y_first = y_grid.value_label(0, 0, d.y[0, 0])
        self.play(Fade(y_first, out=False), run_time=0.5)
        self.beat(note=f"Scale and shift: y = γ x̂ + β, here {fmt_num(d.gamma[0])} · {fmt_num(d.x_hat[0, 0])} + "
                       f"{fmt_num(d.beta[0])} = {fmt_num(d.y[0, 0])}.", hold=1.2)
        y_rest = VGroup(*(y_grid.value_label(i, j, d.y[i, j]) for j in range(D) for i in range(B) if (i, j) != (0, 0)))
        learned = bottom(label("γ and β are learned: the network picks each feature's scale and shift",
                               size=theme.SMALL_SIZE))
        self.play(Fade(y_f), run_time=0.3)
        self.play(LaggedStart(*(Fade(t, out=False) for t in y_rest), lag_ratio=0.08), Fade(learned, out=False),
                  run_time=1.2)
        self.beat(note="γ and β are learned like weights: the network can pick, per feature, the scale and shift "
                       "that suit the next layer.", hold=1.5)

        # ---- 4. where it sits: Conv → BN → ReLU; never right before the softmax
        table = VGroup(x_grid, xh_grid, y_grid, first, others, y_first, y_rest, mu_row, var_row, mu0, var0, rest,
                       g_row, b_row, row_names, arrows, arrow_names, heads, learned)
        where = label("Where the layer sits", size=30, color=theme.HIGHLIGHT).move_to([0, 2.4, 0])
        conv = Pipeline([("Conv2d", theme.KERNEL), ("BatchNorm2d", theme.HIGHLIGHT), ("ReLU", theme.OUTPUT),
                         ("MaxPool", theme.MUTED)], size=30, boxed=True).move_to([0, 1.05, 0])
        conv_note = label(f"between the convolution and the activation: it normalises z = x {CONV} W + b",
                          size=theme.BODY_SIZE).next_to(conv, DOWN, buff=0.3)
        mlp = Pipeline([("Linear", theme.KERNEL), ("BatchNorm1d", theme.HIGHLIGHT), ("ReLU", theme.OUTPUT),
                        ("Linear", theme.KERNEL), ("Softmax", theme.OUTPUT)], size=30, boxed=True).move_to([0, -1.6, 0])
        cross = label("✗ no BN here", size=theme.BODY_SIZE, color=theme.NEGATIVE)
        cross.move_to([mlp.arrows[-1].get_x(), mlp.stages.get_top()[1] + 0.35, 0])
        mlp_note = label("never right before the softmax: the logits keep their scale between classes",
                         size=theme.BODY_SIZE, color=theme.NEGATIVE).next_to(mlp, DOWN, buff=0.3)
        self.play(Fade(table), run_time=0.5)
        self.play(Fade(where, out=False), Fade(conv, out=False), Fade(conv_note, out=False), run_time=0.8)
        self.beat(note="In a CNN, batch norm sits between the convolution and the activation: it normalises the raw "
                       "output z before ReLU.", hold=1.2)
        self.play(Fade(mlp, out=False), run_time=0.7)
        self.play(Fade(cross, out=False), Fade(mlp_note, out=False), Indicate(mlp.arrows[-1], color=theme.NEGATIVE),
                  run_time=0.8)
        self.beat(note="In the MLP it follows the linear layers, but never the last one before the softmax: the "
                       "logits must keep their scale between classes.", hold=1.6)
        self.clear_all()


# ============================================================ Dropout
NOTEBOOK_DROPOUT = dict(z=(10, 20, 30, 40, 50), p=0.4, masks=((1, 0, 1, 0, 1), (0, 1, 1, 1, 0)))


def _ordinal_list(indices) -> str:
    """1-based neuron numbers the notebook's way: "2", "2 and 4", "1, 3 and 5"; "none"."""
    names = [str(int(i) + 1) for i in indices]
    if not names:
        return "none"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _neurons(indices) -> str:
    """0-based neuron indices in words, 1-based: "neuron 3", "neurons 2 and 4", "no neuron"."""
    idx = list(indices)
    if not idx:
        return "no neuron"
    return ("neuron " if len(idx) == 1 else "neurons ") + _ordinal_list(idx)


def _decimal_text(q: Fraction, places: int = 3) -> str:
    """An exact fraction as a decimal: every digit when it ends within ``places`` + 1 digits (5/2 → "2.5"),
    else ``places`` digits, cut (not rounded), and "…" (5/3 → "1.666…")."""
    whole, rest = divmod(q.numerator, q.denominator)
    digits = ""
    for _ in range(places + 1):
        if not rest:
            break
        rest *= 10
        d, rest = divmod(rest, q.denominator)
        digits += str(d)
    if not rest:
        return fmt_int(whole) + ("." + digits if digits else "")
    return fmt_int(whole) + "." + digits[:places] + "…"


@dataclass(frozen=True)
class DropoutData:
    sizes: tuple              # the MLP's layer sizes (input, hidden…, output); hidden 1 is z's layer
    p: float                  # dropout rate
    seed: int
    net_masks: tuple          # per iteration: one 0/1 mask per hidden layer; hidden 1's is ``masks[t]``
    z: np.ndarray             # the activations of hidden layer 1 before dropout
    masks: tuple              # hidden 1's mask at each iteration
    applied: tuple            # z ⊙ m per iteration
    outputs: tuple            # core.dropout(z, p, mask) per iteration: z ⊙ m / (1 − p)
    keep: float               # 1 − p
    scale: float              # 1 / (1 − p)
    keep_text: str            # 1 − p, exactly ("0.6")
    scale_text: str           # 1 / (1 − p), exactly or cut with "…" ("1.666…")
    eval_output: np.ndarray   # core.dropout(z, p, training=False): z unchanged
    always_kept: tuple        # neurons (0-based) kept by every mask
    notebook: bool            # z, p and masks are the notebook's (III.3.4.2)
    rounding: str             # what rounding the factor to 2 decimals would write instead ("" if it is exact)
    off_texts: tuple          # per iteration: "hidden 1: neurons 2 and 4; hidden 2: neuron 5"


def dropout_data(
    z: Annotated[Vector, Param("the activations of the hidden layer before dropout (one per neuron)",
                               min=-999, max=999, max_shape=(7,), noun="layer")] = NOTEBOOK_DROPOUT["z"],
    p: Annotated[float, Param("the dropout rate: the probability that a neuron is switched off",
                              min=0.05, max=0.8)] = NOTEBOOK_DROPOUT["p"],
    masks: Annotated[Grid | None, Param("hidden layer 1's 0/1 mask at each training iteration (default: the "
                                        "notebook's two); none: drawn at random with the seed", min=0, max=1,
                                        max_shape=(4, 7), noun="set of masks")] = NOTEBOOK_DROPOUT["masks"],
    iterations: Annotated[int, Param("how many iterations get random masks when masks is none", min=1, max=4)] = 2,
    hidden: Annotated[int, Param("neurons of the network's second hidden layer", min=2, max=7)] = 5,
    seed: Annotated[int, Param("the random seed of the masks drawn (iteration t uses seed + t)", min=0,
                               max=10_000)] = 1,
) -> DropoutData:
    """The notebook's dropout example (III.3.4.2) inside a small MLP in training.

    The MLP is 3 → len(z) → ``hidden`` → 2; hidden layer 1 holds ``z``. At iteration t it gets the
    mask ``masks[t]`` (the notebook's two by default; with ``masks=None``, ``iterations`` masks from
    ``core.dropout_mask`` with ``default_rng(seed + t)``) and hidden layer 2 a mask drawn with the
    same generator — one story: the network's iteration t is the numbers' iteration t.
    """
    z = np.asarray(z)
    if z.ndim != 1 or z.size < 2:
        raise ValueError(f"z must be a list of at least 2 activations, got shape {core.fmt_shape(z.shape)}")
    n = z.size
    sizes = (3, n, int(hidden), 2)
    if masks is not None:
        m = np.asarray(masks)
        if m.ndim != 2 or m.shape[1] != n:
            raise ValueError(f"masks must hold one 0/1 entry per value of z ({n}) per iteration, "
                             f"got shape {core.fmt_shape(m.shape)}")
        if not np.isin(m, (0, 1)).all():
            raise ValueError("masks may only hold 0 (neuron off) and 1 (neuron kept)")
        masks = tuple(row.astype(np.int64) for row in m)
    net_masks = []
    drawn = []
    for t in range(len(masks) if masks is not None else iterations):
        rng = np.random.default_rng(seed + t)
        first = core.dropout_mask(n, p, rng=rng)
        second = core.dropout_mask(sizes[2], p, rng=rng)
        drawn.append(first)
        net_masks.append(((masks[t] if masks is not None else first), second))
    masks = masks if masks is not None else tuple(drawn)
    outputs = tuple(core.dropout(z, p, mask=m) for m in masks)
    applied = tuple(z * m for m in masks)
    kept = np.all(np.stack(masks) == 1, axis=0)
    scale = float(core.dropout([1.0], p, mask=[1])[0])  # what the core multiplies a kept value by: 1 / (1 − p)
    keep_q = 1 - Fraction(repr(float(p)))
    scale_q = 1 / keep_q
    notebook = (z.tolist() == list(NOTEBOOK_DROPOUT["z"]) and p == NOTEBOOK_DROPOUT["p"]
                and [m.tolist() for m in masks] == [list(m) for m in NOTEBOOK_DROPOUT["masks"]])
    rounding = ""
    rounded = round(float(scale_q), 2)
    if Fraction(repr(rounded)) != scale_q:
        # the kept values of iteration 1 where ×rounded shows most off the exact value (at most two)
        kept1 = [i for i in np.flatnonzero(masks[0])]
        worst = sorted(kept1, key=lambda i: (-abs(z[i] * (rounded - scale)), i))[:2]
        worst = sorted(worst)
        if worst:
            wrong = " and ".join(f"{fmt_num(z[i])} × {fmt_num(rounded)} = {fmt_num(z[i] * rounded)}" for i in worst)
            right = " and ".join(fmt_num(outputs[0][i]) for i in worst)
            who = "The notebook rounds the factor to" if notebook else "Rounding the factor to"
            rounding = (f"{who} × {fmt_num(rounded)}: {wrong}; the exact × {_decimal_text(scale_q)} gives {right}")
    off_texts = tuple("; ".join(f"hidden {k + 1}: {_neurons(np.flatnonzero(m == 0))}" for k, m in enumerate(ms))
                      for ms in net_masks)
    return DropoutData(
        sizes=sizes, p=p, seed=seed, net_masks=tuple(net_masks), z=z, masks=masks, applied=applied,
        outputs=outputs, keep=1 / scale, scale=scale, keep_text=_decimal_text(keep_q), scale_text=_decimal_text(scale_q),
        eval_output=core.dropout(z, p, training=False),
        always_kept=tuple(int(i) for i in np.flatnonzero(kept)), notebook=notebook, rounding=rounding,
        off_texts=off_texts,
    )


class Dropout(CnnvizScene):
    data = staticmethod(dropout_data)

    def must_show(self, d) -> list[str]:
        shown = [fmt_num(v) for v in d.z] + [fmt_num(v) for out in d.outputs for v in out]
        return shown + [d.scale_text, d.keep_text] + [f"iteration {t + 1} — off: {o}" for t, o in enumerate(d.off_texts)]

    def construct(self):
        d = self.data()
        p = fmt_num(d.p)
        head = title("Dropout: random neurons off at every training iteration", size=30)

        # ---- 1. an MLP in training: each iteration switches off a fresh random set of hidden neurons
        net = MLPDiagram(d.sizes, width=10.6, height=4.6, max_radius=0.3, fill_opacity=0.45, edge_width=1.5,
                         edge_opacity=0.6, size_labels=False).move_to([0, -0.1, 0])
        names = ["input"] + [f"hidden {k}" for k in range(1, len(d.sizes) - 1)] + ["output"]
        name_y = net.get_bottom()[1] - 0.3
        layer_names = VGroup(*(label(n, size=theme.SMALL_SIZE, color=theme.MUTED).move_to([layer.get_x(), name_y, 0])
                               for n, layer in zip(names, net.layers)))
        note = caption(f"Training, p = {p}: every hidden neuron is switched off with probability {p}")
        self.add(head, net, layer_names, note)
        self.beat(note=f"A small network in training. With dropout rate p = {p}, every hidden neuron is "
                       f"switched off with probability {p} at each iteration.")

        step_label = None
        for t, masks in enumerate(d.net_masks):
            new_label = label(f"iteration {t + 1} — off: {d.off_texts[t]}", size=theme.SMALL_SIZE,
                              color=theme.HIGHLIGHT).next_to(head, DOWN, buff=0.3)
            fit_width(new_label, 13.4)
            if step_label is not None:
                self.play(Fade(step_label), run_time=0.3)
            self.play(*net.mask_animations({k + 1: m for k, m in enumerate(masks)}), Fade(new_label, out=False),
                      run_time=0.7)
            step_label = new_label
            self.play(net.pulse(run_time=0.9))
            self.beat(note=f"Iteration {t + 1}: {d.off_texts[t]} are off. The signal only flows through the "
                           "neurons that are on; the next iteration draws a new random set.", hold=0.8)

        # ---- 2. hidden layer 1's numbers: z, the mask, z ⊙ m, the scaling
        n = d.z.size
        cell = min(1.0, 5.0 / n)
        rows_y = -0.25
        layer = NeuronLayer(n, radius=0.3 * cell, spacing=cell, color=theme.TEXT, fill_opacity=0.45)
        layer.move_to([-6.0, rows_y, 0])
        numbers = layer.labels_beside([str(i + 1) for i in range(n)], LEFT, size=theme.MIN_FONT, color=theme.MUTED)
        xs = [-4.5, -2.75, -1.0, 0.9]
        kw = dict(vertical=True, cell_size=cell, font_size=max(float(theme.MIN_FONT), 26 * cell), decimals=2)
        z_col = value_vector(d.z, color=theme.INPUT, **kw).move_to([xs[0], rows_y, 0])
        z_head = label("z", color=theme.INPUT).next_to(z_col, UP, buff=0.2)
        layer_name = label(names[1], size=theme.SMALL_SIZE, color=theme.MUTED).move_to([layer.get_x(), z_head.get_y(), 0])
        self.play(Fade(net), Fade(layer_names), Fade(step_label), Fade(note), run_time=0.5)
        self.play(Fade(layer, out=False), Fade(numbers, out=False), Fade(layer_name, out=False),
                  Fade(z_col, out=False), Fade(z_head, out=False), run_time=0.6)

        def columns(k):
            m = value_vector(d.masks[k], color=theme.MUTED, **kw).move_to([xs[1], rows_y, 0])
            for cell_sq, on in zip(m.cells, d.masks[k]):
                if not on:
                    cell_sq.set_fill(theme.DROPPED, opacity=1)
            a = value_vector(d.applied[k], color=theme.TEXT, **kw).move_to([xs[2], rows_y, 0])
            o = value_vector(d.outputs[k], color=theme.OUTPUT, **kw).move_to([xs[3], rows_y, 0])
            return m, a, o

        heads = VGroup(label("mask m", color=theme.MUTED), label("z ⊙ m", color=theme.TEXT),
                       label(f"× {d.scale_text}", color=theme.OUTPUT))
        for h, x in zip(heads, xs[1:]):
            h.move_to([x, z_head.get_y(), 0])
        panel_x = 4.5
        scale_note = VGroup(
            label(f"÷ (1 − p) = ÷ {d.keep_text}", color=theme.OUTPUT),
            label(f"= × {d.scale_text}", color=theme.OUTPUT),
        ).arrange(DOWN, buff=0.2).move_to([panel_x, -1.2, 0])
        rounding = None
        if d.rounding:  # two lines at the bottom: the rounded products, then the exact ones
            rounding = VGroup(*(label(t, size=theme.SMALL_SIZE, color=theme.MUTED) for t in d.rounding.split("; ")))
            rounding.arrange(DOWN, buff=0.12).to_edge(DOWN, buff=0.3)

        cols = None
        info = None
        for k, mask in enumerate(d.masks):
            off = np.flatnonzero(mask == 0)
            new_info = VGroup(
                label(f"Iteration {k + 1}", size=30, color=theme.HIGHLIGHT),
                label(f"{_neurons(off)} off", size=theme.SMALL_SIZE, color=theme.TEXT),
                label(f"(p = {p})", size=theme.SMALL_SIZE, color=theme.MUTED),
            ).arrange(DOWN, buff=0.25).move_to([panel_x, 1.1, 0])
            m, a, o = columns(k)
            if cols is not None:
                self.play(Fade(info), Fade(*cols), *([Fade(rounding)] if rounding is not None else []), run_time=0.4)
                rounding = None
            self.play(Fade(new_info, out=False), Fade(m, out=False), *layer.switch(mask),
                      *([Fade(heads[0], out=False)] if cols is None else []), run_time=0.7)
            self.play(Fade(a, out=False), *([Fade(heads[1], out=False)] if cols is None else []), run_time=0.6)
            extra = [Fade(heads[2], out=False), Fade(scale_note, out=False)] if cols is None else []
            if cols is None and rounding is not None:
                extra.append(Fade(rounding, out=False))
            self.play(Fade(o, out=False), *extra, run_time=0.6)
            kept_out = [fmt_num(d.outputs[k][i]) for i in np.flatnonzero(mask)]
            what = (f"Iteration {k + 1}: the mask switches off {_neurons(off)}; z ⊙ m keeps the others, and "
                    f"dividing by 1 − p = {d.keep_text} (× {d.scale_text}) gives {', '.join(kept_out) or 'nothing'}.")
            if k == 0 and d.rounding:
                what += " " + d.rounding + "."
            self.beat(note=what, hold=1.4)
            cols = (m, a, o)
            info = new_info

        if len(d.masks) > 1 and d.always_kept:
            rows = VGroup(*(z_col.window(i, 0, 1, 1, color=theme.HIGHLIGHT).stretch_to_fit_width(
                xs[-1] - xs[0] + 0.5 * (z_col.cell_width + cols[2].cell_width)).set_x((xs[0] + xs[-1]) / 2)
                for i in d.always_kept))
            who = _neurons(d.always_kept)
            varied = len({tuple(m.tolist()) for m in d.masks}) > 1
            text = (f"{who[0].upper()}{who[1:]} stayed on in every iteration" +
                    (", next to different neighbours: it cannot rely on them" if varied else ""))
            obs = caption(text, size=theme.SMALL_SIZE, color=theme.HIGHLIGHT)
            self.play(Fade(rows, out=False), Fade(obs, out=False), *(Indicate(layer.neurons[i], color=theme.HIGHLIGHT)
                                                                    for i in d.always_kept), run_time=0.9)
            self.beat(note=text + (". It has to be useful on its own: that is what makes the network robust."
                                   if varied else "."), hold=1.4)
            self.play(Fade(rows), Fade(obs), run_time=0.4)

        # ---- 3. test time: every neuron on, no mask, no scaling
        eval_col = value_vector(d.eval_output, color=theme.OUTPUT, **kw).move_to([xs[3], rows_y, 0])
        eval_head = label("output", color=theme.OUTPUT).move_to(heads[2])
        code = as_code(label("model.eval()", size=26, color=theme.OUTPUT, mono=True))
        eval_info = VGroup(
            label("Test time", size=30, color=theme.OUTPUT), code,
            label("all neurons on", color=theme.TEXT),
            label("no mask, no scaling", color=theme.TEXT),
        ).arrange(DOWN, buff=0.25).move_to([panel_x, 1.0, 0])
        same = label("output = z", size=30, color=theme.OUTPUT).move_to([panel_x, -1.2, 0])
        gone = [m for m in (rounding,) if m is not None]
        self.play(Fade(info), Fade(*cols, heads[0], heads[1], heads[2], scale_note, *gone), run_time=0.5)
        self.play(Fade(eval_info, out=False), *layer.switch(np.ones(n, int)), Fade(eval_head, out=False), run_time=0.7)
        self.play(Fade(eval_col, out=False), Fade(same, out=False), run_time=0.6)
        end = caption(f"Training divided by 1 − p = {d.keep_text}: on average each neuron already passed z",
                      size=theme.SMALL_SIZE)
        self.play(Fade(end, out=False), run_time=0.5)
        self.beat(note="At test time (model.eval()) dropout is off: all neurons are used, with no mask and no "
                       f"scaling. Dividing by 1 − p = {d.keep_text} during training already made the expected "
                       "values match.", hold=1.8)
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
    photo: Annotated[Photo, Param("the input photo: a built-in name or a PNG/JPEG file")] = "chelsea",
    box: Annotated[tuple[int, ...] | None, Param("the crop (left, top, right, bottom) in the photo's pixels; "
                                                 "none: the whole photo", min=0, max=100_000, max_shape=(4,))]
    = (78, 6, 366, 294),
    factor: Annotated[int, Param("the crop is shrunk by this factor (each pixel averages factor×factor)",
                                 min=1, max=64)] = 6,
    pad: Annotated[int, Param("augmentation: the largest shift, in pixels of the shrunk image", min=0, max=16)] = 6,
    flip_p: Annotated[float, Param("augmentation: the probability of a horizontal flip", min=0, max=1)] = 0.5,
    steps: Annotated[int, Param("how many training steps of augmentation are shown", min=1, max=3)] = 3,
    batch_size: Annotated[int, Param("the samples of one batch-norm mini-batch", min=2, max=5)] = 5,
    n_batches: Annotated[int, Param("training batches that update the running statistics", min=1,
                                    max=1_000)] = 50,
    feature_mean: Annotated[float, Param("the feature's mean over the training data", min=-99, max=99)] = 5.0,
    feature_std: Annotated[float, Param("the feature's spread over the training data", min=0.1, max=30)] = 2.0,
    momentum: Annotated[float, Param("batch norm's momentum: the weight of each new batch in the running "
                                     "averages", min=0.01, max=1)] = 0.1,
    eps: Annotated[float, Param("ε, added to the variance before the square root", min=1e-8, max=1.0)] = 1e-5,
    z: Annotated[Vector, Param("dropout: the activations entering it (after ReLU: ≥ 0)", min=0, max=99,
                               max_shape=(5,), noun="layer")] = (10, 20, 30, 40, 50),
    p: Annotated[float, Param("dropout: the rate", min=0.05, max=0.5)] = 0.5,
    seed: Annotated[int, Param("the random seed (augmentation, batches, dropout mask)", min=0,
                               max=10_000)] = 3,
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


def _shift_lines(shift) -> list[str]:
    """Where augmentation moved the content, in words, rows first: ["4 px down", "3 px right"], ["not moved"]."""
    dy, dx = shift
    parts = ([f"{abs(dy)} px {'down' if dy > 0 else 'up'}"] if dy else []) + \
            ([f"{abs(dx)} px {'right' if dx > 0 else 'left'}"] if dx else [])
    return parts or ["not moved"]


def _shift_text(shift) -> str:
    """The same in one line: "moved 4 px down, 3 px right", "not moved"."""
    parts = _shift_lines(shift)
    return "not moved" if parts == ["not moved"] else "moved " + ", ".join(parts)


class TrainVsEval(CnnvizScene):
    data = staticmethod(train_vs_eval_data)

    def must_show(self, d) -> list[str]:
        shown = [t for r in d.augmented for t in _shift_lines(r.shift)] + [fmt_num(v) for v in d.batch]
        shown += [fmt_num(v) for v in d.bn_train.x_hat] + [fmt_num(v) for v in d.bn_eval.x_hat]
        shown += [fmt_num(float(d.bn_train.mean)), fmt_num(float(d.running.mean))]
        return shown + [fmt_num(v, 1) for v in d.drop_train] + [fmt_num(v, 1) for v in d.z]

    def construct(self):
        from cnnviz.drawings import PixelImage

        d = self.data()
        head = title("Training vs evaluation: the same input, two behaviours", size=30)
        xl, xr = -3.55, 3.55
        h_train = as_code(label("model.train()", size=30, color=theme.HIGHLIGHT, mono=True)).move_to([xl, 2.75, 0])
        h_eval = as_code(label("model.eval()", size=30, color=theme.OUTPUT, mono=True)).move_to([xr, 2.75, 0])
        divider = Line([0, 2.95, 0], [0, -2.95, 0], stroke_color=theme.GRID_LINE, stroke_width=2)

        # ---- the opening: the same input photo on both sides
        n = len(d.augmented)
        hs = min(2.1, (6.4 - 0.3 * (n - 1)) / n)
        inputs = Group(*(PixelImage(d.image, height=2.1).move_to([x, 0.85, 0]) for x in (xl, xr)))
        in_names = VGroup(*(label("the input", size=theme.SMALL_SIZE, color=theme.MUTED).next_to(pic, DOWN, buff=0.25)
                            for pic in inputs))
        cap0 = caption("One network, two modes: what changes between training and evaluation",
                       size=theme.SMALL_SIZE, color=theme.TEXT)
        self.add(head, h_train, h_eval, divider, inputs, in_names, cap0)
        self.beat(note="The same network has two modes: model.train() while it learns, model.eval() when it "
                       "predicts. Three layers behave differently: augmentation, batch norm and dropout.", hold=1.0)

        # ---- 1. data augmentation: a new random flip and shift each step, or the image itself
        def row_of(results, x):
            pics = Group(*(PixelImage(r.image, height=hs) for r in results)).arrange(RIGHT, buff=0.3)
            pics.move_to([x, 0.85, 0])
            notes = VGroup()
            for t, (pic, r) in enumerate(zip(pics, results)):
                lines = VGroup(label(f"step {t + 1}", size=theme.SMALL_SIZE, color=theme.MUTED),
                               label("flipped" if r.flipped else "not flipped", size=theme.SMALL_SIZE),
                               *(label(t, size=theme.SMALL_SIZE) for t in _shift_lines(r.shift)))
                lines.arrange(DOWN, buff=0.12).next_to(pic, DOWN, buff=0.25)
                notes.add(lines)
            return pics, notes

        a_pics, a_notes = row_of(d.augmented, xl)
        e_pics, e_notes = row_of(d.evaluated, xr)
        cap1 = caption("Augmentation: a new random flip and shift at every training step; off in evaluation",
                       size=theme.SMALL_SIZE, color=theme.TEXT)
        self.play(Fade(inputs), Fade(in_names), Fade(cap0), run_time=0.5)
        self.play(Fade(cap1, out=False), Fade(e_pics, out=False), Fade(e_notes, out=False), run_time=0.8)
        for pic, note in zip(a_pics, a_notes):
            self.play(FadeIn(pic, shift=0.2 * DOWN), Fade(note, out=False), run_time=0.6)
        flips = sum(r.flipped for r in d.augmented)
        self.beat(note=f"Augmentation: in training each step sees the photo randomly flipped ({flips} of {n} here) "
                       f"and moved by up to {d.pad} pixels (what moves out is lost, zeros come in). In evaluation the "
                       "image passes unchanged.", hold=1.8)
        self.play(Fade(Group(a_pics, a_notes, e_pics, e_notes, cap1)), run_time=0.5)

        # ---- 2. batch norm: the batch's own statistics, or the running averages saved in training
        B = d.batch.size
        c = min(1.05, 6.0 / B)
        kw = dict(cell_size=c, font_size=max(float(theme.MIN_FONT), 22 * c / 1.05), decimals=2)
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
        self.beat(note=f"Batch norm gets the same mini-batch of {B} values of one feature in both modes.", hold=0.8)
        for p in parts:
            self.play(Fade(p[2], out=False), run_time=0.5)
            self.play(Fade(p[3], out=False), Fade(p[4], out=False), run_time=0.6)
            self.play(Fade(p[5], out=False), run_time=0.4)
        self.beat(note=f"Training normalises with this batch's own mean {fmt_num(float(d.bn_train.mean))}; "
                       f"evaluation uses the running mean {fmt_num(float(d.running.mean))} saved over {nb} training "
                       "batches, so one image's result no longer depends on the others.", hold=1.8)
        self.play(Fade(VGroup(parts, cap2)), run_time=0.5)

        # ---- 3. dropout: a random mask and 1/(1 − p), or every neuron and no scaling
        zc = min(0.9, 5.0 / d.z.size)
        zkw = dict(cell_size=zc, font_size=max(float(theme.MIN_FONT), 24 * zc / 0.9), decimals=1)
        drops = Group()
        for x, mask, out, out_name in ((xl, d.mask, d.drop_train, f"÷ {fmt_num(1 - d.p)}"),
                                       (xr, np.ones_like(d.mask), d.drop_eval, "out")):
            net = MLPDiagram(d.sizes, width=3.9, height=2.2, max_radius=0.3, fill_opacity=0.45, edge_width=1.5,
                             edge_opacity=0.6, size_labels=False).move_to([x, 1.1, 0])
            z_row = value_vector(d.z, color=theme.INPUT, **zkw).move_to([x + 0.4, -0.6, 0])
            z_name = label("z", color=theme.INPUT).next_to(z_row, LEFT, buff=0.25)
            o_row = value_vector(out, color=theme.OUTPUT, **zkw).move_to([x + 0.4, -0.6 - zc - 0.25, 0])
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
        self.play(*(Fade(g[3], out=False) for g in drops), *(Fade(g[4], out=False) for g in drops), run_time=0.8)
        off = np.flatnonzero(d.mask == 0)
        self.beat(note=f"Dropout: in training a random mask switches off {_neurons(off)} and the others are divided "
                       f"by 1 − p = {fmt_num(1 - d.p)}; in evaluation every neuron is on and nothing is scaled.",
                  hold=1.8)
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
        self.beat(note="The notebook's table: before evaluating, always switch to model.eval(); forgetting it leaves "
                       "augmentation, batch statistics and dropout on, and the predictions noisy.", hold=2.0)
        self.clear_all()
