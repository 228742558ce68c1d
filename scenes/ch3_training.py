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
    FadeIn,
    FadeOut,
    Indicate,
    ReplacementTransform,
    Transform,
    TransformFromCopy,
    VGroup,
)

from cnnviz import core, theme
from cnnviz.drawings import (
    CnnvizScene,
    NeuronLayer,
    NeuronNetwork,
    ValueGrid,
    caption,
    fmt_num,
    label,
    title,
    value_vector,
)


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
    return DropoutData(
        sizes=sizes, p=p, seeds=seeds, net_masks=tuple(net_masks), z=z, masks=masks, applied=applied,
        outputs=outputs, keep=1 - p, scale=1 / (1 - p), eval_output=core.dropout(z, p, training=False),
        always_kept=tuple(int(i) for i in np.flatnonzero(kept)),
    )


def _switch(layer: NeuronLayer, mask, color: str, fill_opacity: float = 0.45) -> list:
    """Animations that switch the neurons of a lone layer off (mask 0) or on (mask 1), drawn as
    :class:`NeuronNetwork` draws them."""
    anims = []
    for neuron, on in zip(layer.neurons, mask):
        c = color if on else theme.DROPPED
        anims.append(neuron.animate.set_stroke(c).set_fill(c, opacity=fill_opacity if on else 0.5))
    return anims


class Dropout(CnnvizScene):
    data = staticmethod(dropout_data)

    def construct(self):
        d = self.data()
        p = fmt_num(d.p)
        head = title("Dropout: random neurons off at every training step", size=30)

        # ---- 1. an MLP in training: each step switches off a fresh seeded set of hidden neurons
        net = NeuronNetwork(d.sizes, width=10.0, height=4.3).move_to([0, -0.15, 0])
        names = ["input"] + [f"hidden {k}" for k in range(1, len(d.sizes) - 1)] + ["output"]
        name_y = net.get_bottom()[1] - 0.3
        layer_names = VGroup(*(label(n, size=theme.SMALL_SIZE, color=theme.MUTED).move_to([layer.get_x(), name_y, 0])
                               for n, layer in zip(names, net.layers)))
        note = caption(f"Training, p = {p}: every hidden neuron is switched off with probability {p}")
        self.play(FadeIn(head), FadeIn(net), FadeIn(layer_names), FadeIn(note), run_time=1.0)
        self.play(net.pulse(run_time=1.0))
        self.beat(0.4)

        step_label = None
        for t, (seed, masks) in enumerate(zip(d.seeds, d.net_masks)):
            off = "; ".join(f"hidden {k + 1}: {_ordinal_list(np.flatnonzero(m == 0))}" for k, m in enumerate(masks))
            new_label = label(f"step {t + 1} (seed {seed}) — off: {off}", size=theme.SMALL_SIZE,
                              color=theme.HIGHLIGHT).next_to(head, DOWN, buff=0.3)
            target = net.animate
            for k, m in enumerate(masks):
                target = target.set_mask(k + 1, m)
            swap = FadeIn(new_label) if step_label is None else ReplacementTransform(step_label, new_label)
            self.play(target, swap, run_time=0.7)
            step_label = new_label
            self.play(net.pulse(run_time=0.9))
            self.beat(0.5)

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
        self.play(FadeOut(net), FadeOut(layer_names), FadeOut(step_label), FadeOut(note),
                  ReplacementTransform(net.layers[1].copy(), layer), FadeIn(layer_name), run_time=0.8)
        self.play(FadeIn(z_col), FadeIn(z_head), run_time=0.6)

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
                self.play(FadeIn(new_info), FadeIn(heads[0]), FadeIn(m), *_switch(layer, mask, theme.TEXT), run_time=0.8)
                self.play(FadeIn(heads[1]), TransformFromCopy(VGroup(z_col, m), a), run_time=0.8)
                self.play(FadeIn(heads[2]), FadeIn(scale_note), TransformFromCopy(a, o), run_time=0.8)
                self.beat(1.2)
            else:
                self.play(ReplacementTransform(info, new_info), *_switch(layer, mask, theme.TEXT),
                          Transform(cols[0], m), run_time=0.8)
                self.play(Transform(cols[1], a), run_time=0.6)
                self.play(Transform(cols[2], o), run_time=0.6)
                self.beat(1.0)
                m, a, o = cols
            cols = (m, a, o)
            info = new_info

        if len(d.masks) > 1 and d.always_kept:
            rows = VGroup(*(z_col.window(i, 0, 1, 1, color=theme.HIGHLIGHT).stretch_to_fit_width(
                xs[-1] - xs[0] + cell).set_x((xs[0] + xs[-1]) / 2) for i in d.always_kept))
            who = ("Neuron " if len(d.always_kept) == 1 else "Neurons ") + _ordinal_list(d.always_kept)
            obs = caption(f"{who} stayed on every time, next to different neighbours: it cannot rely on them",
                          size=theme.SMALL_SIZE, color=theme.HIGHLIGHT)
            self.play(FadeIn(rows), FadeIn(obs), *(Indicate(layer.neurons[i], color=theme.HIGHLIGHT)
                                                    for i in d.always_kept), run_time=0.9)
            self.beat(1.2)
            self.play(FadeOut(rows), FadeOut(obs), run_time=0.4)

        # ---- 3. test time: every neuron on, no mask, no scaling
        eval_col = value_vector(d.eval_output, color=theme.OUTPUT, **kw).move_to([xs[3], rows_y, 0])
        eval_head = label("output", color=theme.OUTPUT).move_to(heads[2])
        eval_info = VGroup(
            label("Test: model.eval()", size=30, color=theme.OUTPUT),
            label("all neurons on", color=theme.TEXT),
            label("no mask, no scaling", color=theme.TEXT),
        ).arrange(DOWN, buff=0.25).move_to([panel_x, 1.0, 0])
        same = label("output = z", size=30, color=theme.OUTPUT).move_to([panel_x, -1.3, 0])
        self.play(ReplacementTransform(info, eval_info), *_switch(layer, np.ones(n, int), theme.TEXT),
                  FadeOut(VGroup(*cols, heads[0], heads[1], scale_note)),
                  ReplacementTransform(heads[2], eval_head), run_time=0.9)
        self.play(TransformFromCopy(z_col, eval_col), FadeIn(same), run_time=0.8)
        end = caption(f"Training divides by 1 − p = {fmt_num(d.keep)}, so the expected value is already z: "
                      f"(1 − p) · z / (1 − p) = z", size=theme.SMALL_SIZE)
        self.play(FadeIn(end), run_time=0.5)
        self.beat(1.6)
        self.clear_all()
