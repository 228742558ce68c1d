"""Chapter 3, section III.1–III.2 — pooling and the whole CNN pipeline: a digit through conv, ReLU, pooling, flattening, a dense layer and softmax, drawn as maps and as neurons.

Each scene: a pure data function (inputs → every number shown, from ``cnnviz.core``)
and the choreography that draws it with the shared drawings.
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
    Arrow,
    Circumscribe,
    Create,
    FadeIn,
    FadeOut,
    GrowArrow,
    GrowFromEdge,
    Group,
    ShowPassingFlash,
    Rectangle,
    SurroundingRectangle,
    TransformFromCopy,
    VGroup,
    VMobject,
    config,
)

from cnnviz import core, images, notation, theme, trained
from cnnviz.drawings import (
    CnnvizScene,
    KernelGrid,
    NeuronLayer,
    Pipeline,
    PixelImage,
    ProbabilityBars,
    SlidingWindow,
    ValueGrid,
    caption,
    connect,
    contrast_text,
    edge,
    fit_width,
    fmt_factor,
    fmt_int,
    fmt_num,
    label,
    map_note,
    map_pixels,
    shade_gray,
    title,
)
from cnnviz.formula import Formula
from cnnviz.params import Grid, Param


# ============================================================ TinyMaxPoolingFixed
NOTEBOOK_MAP = ((164, 0, 12, 80), (1, 0, 45, 30), (7, 3, 55, 61), (90, 22, 18, 200))
MAX_POOLED = 3  # the largest pooled output (per side) whose max and average grids fit side by side


def _names(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


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
    dropped: tuple           # (row, col) of every cell no window covers
    notebook: bool           # the notebook's own example

    @property
    def first_sentence(self) -> str:
        """What the first window's two results say, from its numbers."""
        k = self.size * self.size
        mx, av = self.max_out[0, 0], self.avg_out[0, 0]
        if mx == av:
            return f"all {k} values are equal: max and average agree, {fmt_num(mx)}"
        return (f"max keeps the largest value, {fmt_num(mx)}; the average mixes it with the other "
                f"{k - 1} to {fmt_num(av)}")

    @property
    def dropped_sentence(self) -> str:
        """Which cells the windows leave out, in words ('' when the windows tile the map)."""
        if not self.dropped:
            return ""
        H, W = self.x.shape
        covered = np.zeros((H, W), bool)
        for r, c in self.windows:
            covered[r:r + self.size, c:c + self.size] = True
        rows = [r for r in range(H) if not covered[r].any()]
        cols = [c for c in range(W) if not covered[:, c].any()]
        n = len(self.dropped)
        cells = f"{n} cell{'s' if n > 1 else ''} in no window"
        parts = ([f"row{'s' if len(rows) > 1 else ''} {_names([str(r + 1) for r in rows])}"] if rows else []) + \
                ([f"column{'s' if len(cols) > 1 else ''} {_names([str(c + 1) for c in cols])}"] if cols else [])
        in_lines = sum(1 for r, c in self.dropped if r in rows or c in cols)
        where = f" ({' and '.join(parts)})" if parts and in_lines == n else ""
        return f"{cells}{where}: pooling drops {'them' if n > 1 else 'it'}"


def pooling_data(
    x: Annotated[Grid, Param("the feature map: rows of numbers", max_shape=(6, 6), noun="map")] = NOTEBOOK_MAP,
    size: Annotated[int, Param("the pooling window's side", min=2, max=3)] = 2,
    stride: Annotated[int | None, Param("how far the window moves (default: the window's side)", min=1, max=3)] = None,
    n_explained: Annotated[int, Param("windows explained with both formulas; the rest fill in faster",
                                      min=0, max=4)] = 4,
) -> PoolingData:
    """The notebook's window [[164, 0], [1, 0]] sits top-left of a 4×4 feature map; 2×2 windows, stride 2."""
    try:
        xa = np.array(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("x (the feature map) must be rows of numbers of equal length") from None
    if xa.ndim != 2 or 0 in xa.shape:
        raise ValueError(f"x (the feature map) must be a non-empty grid of rows of numbers, got shape "
                         f"{core.fmt_shape(xa.shape)}")
    if not np.isfinite(xa).all():
        raise ValueError("x (the feature map) must hold finite numbers")
    if np.array_equal(xa, np.round(xa)):
        xa = xa.astype(np.int64)
    for name, v in (("size", size), ("stride", stride), ("n_explained", n_explained)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, np.integer))):
            raise ValueError(f"{name} must be a whole number, got {v!r}")
    if size < 2 or size > min(xa.shape):
        raise ValueError(f"size {size}: the pooling window must be at least 2 and fit the "
                         f"{core.fmt_shape(xa.shape)} map")
    stride = size if stride is None else stride
    if stride < 1:
        raise ValueError(f"stride must be at least 1, got {stride}")
    if n_explained < 0:
        raise ValueError(f"n_explained must be at least 0, got {n_explained}")
    windows = tuple(core.pool_windows(xa.shape, size, stride))
    out = ((xa.shape[0] - size) // stride + 1, (xa.shape[1] - size) // stride + 1)
    if max(out) > MAX_POOLED:
        raise ValueError(f"a pooled output of at most {MAX_POOLED}×{MAX_POOLED} fits this scene at a readable size: "
                         f"this map, window and stride give {core.fmt_shape(out)}")
    covered = np.zeros(xa.shape, bool)
    for r, c in windows:
        covered[r:r + size, c:c + size] = True
    dropped = tuple((int(r), int(c)) for r, c in zip(*np.nonzero(~covered)))
    notebook = xa.shape == (4, 4) and np.array_equal(xa, NOTEBOOK_MAP) and size == 2 and stride == 2
    return PoolingData(xa, size, stride, windows, core.max_pool(xa, size, stride), core.avg_pool(xa, size, stride),
                       core.pool_params(size), n_explained, dropped, notebook)


class TinyMaxPoolingFixed(CnnvizScene):
    data = staticmethod(pooling_data)

    def must_show(self, d) -> list[str]:
        return [fmt_num(v) for v in d.max_out.ravel()] + [fmt_num(v) for v in d.avg_out.ravel()]

    def construct(self):
        d = self.data()
        k = d.size
        H, W = d.x.shape
        oh, ow = d.max_out.shape
        head = title(f"Pooling: {core.fmt_shape(d.x.shape)} map, {k}×{k} window, stride {d.stride} "
                     f"→ {core.fmt_shape(d.max_out.shape)}", size=30)
        fit_width(head, config.frame_width - 0.8)
        # the map as large as the height under the title allows (5 units), the two results side by side on
        # the right with the formulas under them; every grid hangs from the same line under the title
        top, gap, margin = 2.55, 0.8, 0.55  # the sliding window's stroke stays 0.3 clear of the edge
        map_w = 5.2 if k == 2 else 4.3  # a 3×3 window's formulas (9 values) need more room on the right
        # wide results (e.g. 2-decimal averages of 3-digit values) take room from the map: the two result grids
        # side by side at the minimum font, each number in 80 % of its cell
        widest = max(label(fmt_num(v), size=34, mono=True).width for v in np.r_[d.max_out.ravel(), d.avg_out.ravel()])
        need = 2 * ow * widest * theme.MIN_FONT / 34 / theme.CELL_FILL + 0.4 + gap
        map_w = min(map_w, config.frame_width - margin - 0.4 - gap - need)
        cell = min(1.3, map_w / max(H, W))
        widest_x = max(label(fmt_num(v), size=36, mono=True).width for v in d.x.ravel())
        font = max(theme.MIN_FONT, min(36.0, 22 * cell / 0.62, 36 * theme.CELL_FILL * cell / widest_x))
        x_grid = ValueGrid(d.x, color=theme.INPUT, cell_size=cell, font_size=font)
        left_w = max(map_w, x_grid.width)
        right_w = config.frame_width - margin - 0.4 - left_w - gap          # the room right of the map
        ocell = min(1.3, 3.4 / max(oh, ow), (right_w - gap) / (2 * ow))
        # one font for both results: the widest average (2 decimals) in 80 % of a cell, never below the minimum
        # … and the two results side by side (0.4 apart) within the room right of the map, however wide the numbers
        fits = 34 * theme.CELL_FILL * (right_w - 0.4) / (2 * ow) / widest
        o_font = max(theme.MIN_FONT, min(34.0, 30 * ocell / 1.1, 0.95 * 34 * theme.CELL_FILL * ocell / widest, fits))
        mx = ValueGrid(d.max_out, color=theme.OUTPUT, cell_size=ocell, show_values=False, font_size=o_font)
        av = ValueGrid(d.avg_out, color=theme.OUTPUT, cell_size=ocell, show_values=False, font_size=o_font)
        # apart enough for their headings (a 1×1 result is narrower than "average pooling")
        hw = (mx.heading("max pooling").width + av.heading("average pooling").width) / 2
        pair = VGroup(mx, av).arrange(RIGHT, buff=max(min(gap, max(0.4, right_w - mx.width - av.width)),
                                                      hw - (mx.width + av.width) / 2 + 0.4))
        x0 = -config.frame_width / 2 + margin
        x_grid.move_to([x0 + left_w / 2, 0, 0])
        r_mid = x0 + left_w + gap + right_w / 2
        pair.move_to([r_mid, 0, 0])
        for g in (x_grid, mx, av):
            g.align_to([0, top, 0], UP)
        names = VGroup(
            x_grid.heading("feature map"), mx.heading("max pooling"), av.heading("average pooling"),
        )
        self.add(head, x_grid, mx, av, names)
        self.beat(note=("The notebook's example: a" if d.notebook else "A")
                       + f" {core.fmt_shape(d.x.shape)} feature map; a {k}×{k} window moves over it "
                       f"{d.stride} cell{'s' if d.stride > 1 else ''} at a time and keeps one number per window.")

        caption_y = -config.frame_height / 2 + 0.55
        if d.dropped:  # a window that does not tile the map: its dropped cells, shown and said
            marks = VGroup(*(x_grid.cell(r, c).copy().set_fill(theme.DROPPED, opacity=0.55).set_stroke(width=0)
                             for r, c in d.dropped))
            drop_note = label(d.dropped_sentence, size=theme.SMALL_SIZE, color=theme.HIGHLIGHT)
            fit_width(drop_note, config.frame_width - 0.8).move_to([0, caption_y, 0])
            self.play(FadeIn(marks), FadeIn(drop_note), run_time=0.6)
            self.beat(note=f"The windows do not tile this map: {d.dropped_sentence}. "
                           "Their values never reach the output.")
            self.play(FadeOut(drop_note), run_time=0.3)

        formula_y = min(mx.get_bottom()[1], av.get_bottom()[1]) - 0.55
        window = SlidingWindow(x_grid, k)
        rest = max(len(d.windows) - d.n_explained, 1)
        fast = min(0.25, 6.0 / rest)
        results = VGroup(mx, av, names[1], names[2])  # grown into the formulas' room at the end
        for n, (r, c) in enumerate(d.windows):
            i, j = divmod(n, ow)
            if n == 0:
                window.place(r, c)
                self.play(Create(window), run_time=0.5)
            else:
                self.play(window.step_to(r, c), run_time=0.4 if n < d.n_explained else fast)
            m_val = mx.value_label(i, j, d.max_out[i, j])
            a_val = av.value_label(i, j, d.avg_out[i, j])
            results.add(m_val, a_val)
            if n >= d.n_explained:  # the rule is clear by now: the results only
                self.play(FadeIn(m_val), FadeIn(a_val), run_time=fast)
                continue
            vals = d.x[r:r + k, c:c + k].ravel()
            f_max = Formula(rf"\max({', '.join(fmt_num(v) for v in vals)}) = {{\color{{{theme.OUTPUT}}}"
                            rf"{fmt_num(d.max_out[i, j])}}}", font_size=34)
            f_avg = Formula(rf"\frac{{{' + '.join(fmt_factor(v) for v in vals)}}}{{{vals.size}}}"
                            rf" = {{\color{{{theme.OUTPUT}}}{fmt_num(d.avg_out[i, j])}}}", font_size=34)
            for f in (f_max, f_avg):
                fit_width(f, right_w)
            VGroup(f_max, f_avg).arrange(DOWN, buff=0.35).move_to([r_mid, 0, 0]).align_to([0, formula_y, 0], UP)
            slow = n == 0  # the first window, explained; the others faster
            self.play(FadeIn(f_max), FadeIn(f_avg), run_time=0.8 if slow else 0.4)
            # the results appear in their cells (no flight across the formulas)
            self.play(FadeIn(m_val, shift=UP * 0.2), FadeIn(a_val, shift=UP * 0.2), run_time=0.6 if slow else 0.4)
            if slow:
                note = label(d.first_sentence, size=theme.SMALL_SIZE, color=theme.HIGHLIGHT)
                fit_width(note, config.frame_width - 0.8).move_to([0, caption_y, 0])
                self.play(FadeIn(note), run_time=0.5)
                self.beat(note=f"Max pooling keeps the strongest response of the window, average pooling its mean: "
                               f"{d.first_sentence}.", hold=1.5)
                self.play(FadeOut(note), run_time=0.3)
            else:
                self.beat(note=f"The window moves {d.stride} cell{'s' if d.stride > 1 else ''} on: max "
                               f"{fmt_num(d.max_out[i, j])}, average {fmt_num(d.avg_out[i, j])}.", hold=0.4)
            self.play(FadeOut(f_max), FadeOut(f_avg), run_time=0.3)

        # the summary in the right column: both results as large as it allows, now that no formula needs its
        # room, and the conclusion under them
        end = VGroup(label(f"Pooling learns nothing: {d.params} parameters", size=theme.BODY_SIZE, color=theme.TEXT),
                     label(f"(no W, no b). {core.fmt_shape(d.x.shape)} → {core.fmt_shape(d.max_out.shape)}",
                           size=theme.BODY_SIZE, color=theme.TEXT)).arrange(DOWN, buff=0.15)
        fit_width(end, right_w)
        top_y, floor_y = results.get_top()[1], -config.frame_height / 2 + 0.45
        grow = min(1.8, right_w / results.width, (top_y - floor_y - end.height - 0.5) / results.height)
        moves = []
        if grow > 1.02:
            moves = [results.animate.scale(grow).move_to([r_mid, top_y - results.height * grow / 2, 0])]
        end.move_to([r_mid, top_y - results.height * max(grow, 1.0) - 0.5 - end.height / 2, 0])
        self.play(FadeOut(window), FadeIn(end), *moves, run_time=0.8)
        self.beat(note=f"Pooling has no weights to learn ({d.params} parameters): it only shrinks the map, "
                       f"{core.fmt_shape(d.x.shape)} to {core.fmt_shape(d.max_out.shape)}, keeping the strongest "
                       f"responses.", hold=1.5)
        self.clear_all()


# ============================================================ TinyCNN_ImageInput, NeuralNetworkAnimation: one real CNN
#: 3×3 edge templates (+1 bright, −1 dark) a learned kernel is compared with, named by what they respond to;
#: each template's negative is the opposite edge
EDGE_TEMPLATES = (
    ("bright above, dark below", ((1, 1, 1), (0, 0, 0), (-1, -1, -1))),
    ("bright left, dark right", ((1, 0, -1), (1, 0, -1), (1, 0, -1))),
    ("bright top-left, dark bottom-right", ((1, 1, 0), (1, 0, -1), (0, -1, -1))),
    ("bright top-right, dark bottom-left", ((0, 1, 1), (-1, 0, 1), (-1, -1, 0))),
)
_OPPOSITE = {"above": "below", "below": "above", "left": "right", "right": "left", "top": "bottom",
             "bottom": "top"}
#: a kernel "responds to" an edge when its cosine similarity with the template is at least this
EDGE_LIKENESS = 0.7


def _opposite(name: str) -> str:
    """'bright above, dark below' → 'bright below, dark above' written as 'dark above, bright below'."""
    bright, dark = (p.split(" ", 1)[1] for p in name.split(", "))
    return f"dark {bright}, bright {dark}"


def edge_likeness(kernel) -> tuple[str, float]:
    """The edge a 3×3 kernel looks most like, and how much: ``(name, cosine similarity)`` over the
    templates of :data:`EDGE_TEMPLATES` and their negatives (a kernel with no positive likeness: ``("", 0)``)."""
    k = np.asarray(kernel, dtype=np.float64)
    if k.shape != (3, 3):
        raise ValueError(f"edge likeness is measured on 3×3 kernels, got {core.fmt_shape(k.shape)}")
    norm = float(np.linalg.norm(k))
    best = ("", 0.0)
    if norm == 0:
        return best
    for name, t in EDGE_TEMPLATES:
        t = np.asarray(t, dtype=np.float64)
        cos = float((k * t).sum() / (norm * np.linalg.norm(t)))
        for n, c in ((name, cos), (_opposite(name), -cos)):
            if c > best[1]:
                best = (n, c)
    return best


def kernel_word(kernel) -> str:
    """What a learned 3×3 kernel responds to, in words, only where it is clear (likeness ≥ EDGE_LIKENESS)."""
    name, cos = edge_likeness(kernel)
    return name if cos >= EDGE_LIKENESS else "no single edge"


@dataclass(frozen=True)
class TinyCNNData:
    digit: int               # the digit drawn (the true class)
    image: np.ndarray        # 28×28 uint8: the picture
    x: np.ndarray            # 28×28×1 float: image / 255, the network's input
    kernels: np.ndarray      # 3×3×1×4 learned conv weights (cnnviz.trained.tiny_cnn())
    conv_bias: np.ndarray    # 4
    z: np.ndarray            # conv output 26×26×4
    a: np.ndarray            # ReLU(z)
    p: np.ndarray            # max-pooled a: 13×13×4
    flat: np.ndarray         # flatten(p), row by row, channels last
    dense_w: np.ndarray      # 676×10 learned dense weights
    dense_b: np.ndarray      # 10
    logits: np.ndarray       # dense(flat)
    probs: np.ndarray        # softmax(logits)
    classes: tuple           # class names, "0" … "9"
    pool: int                # pooling window (= stride)
    conv_params: int         # F·F·C·M + M
    dense_params: int        # n·K + K
    focus: tuple             # (m, r, c): the pooled neuron with the strongest activation (NeuralNetworkAnimation)
    predicted: int           # argmax of probs
    kernel_words: tuple      # what each learned kernel responds to (kernel_word)
    held_out: float          # the trained network's accuracy on held-out digits

    @property
    def stages(self) -> tuple:
        """(name, shape) of every tensor, input to output: the shapes the scenes print."""
        return (("input", self.x.shape), ("conv", self.z.shape), ("ReLU", self.a.shape),
                ("max-pool", self.p.shape), ("flatten", self.flat.shape), ("dense", self.logits.shape),
                ("softmax", self.probs.shape))

    @property
    def verdict(self) -> str:
        """The classification in words: right or wrong, from the numbers."""
        p = fmt_prob(self.probs[self.predicted])
        if self.predicted == self.digit:
            return f"it reads \"{self.predicted}\" with {p}: right"
        return f"it reads \"{self.predicted}\" with {p}: wrong, the digit is {self.digit}"


def tiny_cnn_data(
    digit: Annotated[int, Param("the digit drawn (0–9) that the trained TinyCNN classifies", min=0, max=9)] = 5,
) -> TinyCNNData:
    """Conv → ReLU → MaxPool → Flatten → Dense → Softmax of the trained TinyCNN (``cnnviz.trained``)
    on the course's digit ``images.digit(digit)`` (28×28, pixel value / 255)."""
    if isinstance(digit, bool) or not isinstance(digit, (int, np.integer)) or not 0 <= int(digit) <= 9:
        raise ValueError(f"digit must be a whole number 0–9, got {digit!r}")
    digit = int(digit)
    img = images.digit(digit)
    net = trained.tiny_cnn()
    f = core.tiny_cnn_forward(img[None].astype(np.float64) / 255.0, net)
    x, z, a, p, flat, logits, probs = (t[0] for t in f)
    pool = 2
    m, r, c = np.unravel_index(int(np.argmax(np.moveaxis(p, 2, 0))), (p.shape[2], p.shape[0], p.shape[1]))
    F, M = net.kernels.shape[0], net.kernels.shape[3]
    return TinyCNNData(digit, img, x, net.kernels, net.conv_bias, z, a, p, flat, net.dense_w, net.dense_b, logits,
                       probs, tuple(str(k) for k in range(probs.size)), pool,
                       core.conv_params(F, 1, M), core.dense_params(flat.size, probs.size),
                       (int(m), int(r), int(c)), int(np.argmax(probs)),
                       tuple(kernel_word(net.kernels[:, :, 0, k]) for k in range(M)), trained.held_out_accuracy())


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


def fmt_prob(p: float) -> str:
    """A probability as a percentage that never rounds to certainty: ``99.25 %``, ``> 99.99 %``, ``< 0.01 %``."""
    pct = 100.0 * float(p)
    if pct > 99.99:
        return "> 99.99 %"
    if 0 < pct < 0.01:
        return "< 0.01 %"
    return f"{fmt_num(pct)} %"


F_HALF = 30  # the font of the two half-width scenes (registry.min_font): legible 500 px wide


class TinyCNN_ImageInput(CnnvizScene):
    data = staticmethod(tiny_cnn_data)

    def must_show(self, d) -> list[str]:
        return ([fmt_prob(v) for v in d.probs] + [fmt_num(v) for v in d.logits]
                + [core.fmt_shape(s) for _, s in d.stages[:4]] + [fmt_int(d.flat.size)])

    def construct(self):
        d = self.data()
        H, W = d.image.shape
        oh, ow, M = d.z.shape
        ph, pw, _ = d.p.shape
        F = d.kernels.shape[0]
        fs = F_HALF
        pipe = Pipeline(PIPELINE, size=fs).to_edge(UP, buff=0.3)

        # --- page 1: feature extraction, the real maps as pictures, three stages a page: input → conv → ReLU,
        # then the row moves on one stage (conv → ReLU → MaxPool). Sizes from the room the text leaves.
        zmax = float(np.abs(d.z).max())
        amax = float(max(d.a.max(), 1e-9))
        kmax = float(np.abs(d.kernels).max())
        notes = [label(t, size=fs, color=theme.MUTED) for t in (
            f"conv maps: {map_note((-zmax, zmax), signed=True)}",
            f"after ReLU and pooling: {map_note((0, amax))}")]
        for n in notes:
            fit_width(n, config.frame_width - 0.8).to_edge(DOWN, buff=0.35)
        names = [label(n, size=fs, color=c) for n, c in
                 ((f"the digit {d.digit}", theme.INPUT), (f"{M} feature maps", theme.OUTPUT),
                  ("after ReLU", theme.OUTPUT), (f"pooled {d.pool}×{d.pool}", theme.OUTPUT))]
        shapes = [label(core.fmt_shape(t.shape), size=fs) for t in (d.x, d.z, d.a, d.p)]
        name_h, shape_h = max(n.height for n in names), max(s.height for s in shapes)
        arrow_gap, margin, buff = 0.8, 0.35, 0.2
        slot_w = (config.frame_width - 2 * margin - 2 * arrow_gap) / 3
        slots = [-config.frame_width / 2 + margin + slot_w / 2 + k * (slot_w + arrow_gap) for k in range(3)]
        top = pipe.get_bottom()[1] - 0.25 - name_h - buff
        bottom = notes[0].get_top()[1] + 0.25 + shape_h + buff
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
        self.add(pipe, img, names[0], shapes[0])
        self.beat(note=f"The trained TinyCNN reads the digit {d.digit}: a {core.fmt_shape(d.image.shape)} picture, "
                       "its pixel values divided by 255.")

        # the learned kernels, one row each: the picture of its weights and what it responds to (computed)
        rows_k = Group()
        k_h = min(0.95, (room + name_h + shape_h) / M - 0.25)
        for k in range(M):
            pic = PixelImage(map_pixels(d.kernels[:, :, 0, k], (-kmax, kmax), signed=True, linear=True),
                             height=k_h, border=theme.KERNEL)
            word = VGroup(label(f"kernel {k + 1}" + (": an edge" if d.kernel_words[k] != "no single edge" else ""),
                                size=fs, color=theme.KERNEL),
                          label(d.kernel_words[k], size=fs)).arrange(DOWN, aligned_edge=LEFT, buff=0.08)
            rows_k.add(Group(pic, word).arrange(RIGHT, buff=0.3))
        rows_k.arrange(DOWN, aligned_edge=LEFT, buff=0.22)
        right_l = img.get_right()[0] + 0.8
        fit_width(rows_k, config.frame_width / 2 - 0.4 - right_l)
        rows_k.move_to([(right_l + config.frame_width / 2 - 0.4) / 2, (pipe.get_bottom()[1] - 0.2 + notes[0].get_top()[1]) / 2, 0])
        k_note = label(f"learned {F}×{F} kernels: {map_note((-kmax, kmax), signed=True)}", size=fs, color=theme.MUTED)
        fit_width(k_note, config.frame_width - 0.8).move_to(notes[0])
        self.play(FadeIn(rows_k), FadeIn(k_note), run_time=0.8)
        self.beat(note=f"Training shaped its {M} kernels; compared with edge patterns: " + "; ".join(
            f"kernel {k + 1}: {w}" for k, w in enumerate(d.kernel_words)) + ".")

        # conv: a window sweeping the picture, the maps
        self.play(FadeOut(rows_k), FadeOut(k_note), run_time=0.4)
        box = img.box(0, 0, F, F)
        self.play(_focus(self, pipe, 0), GrowArrow(arrows[0]), Create(box), FadeIn(notes[0]), run_time=0.6)
        self.play(box.animate.move_to(img.box(H - F, W - F, F, F)), FadeIn(conv[0]), run_time=1.0)
        self.play(FadeOut(box), *(FadeIn(m) for m in conv[1:]), FadeIn(names[1]), FadeIn(shapes[1]), run_time=0.6)
        self.beat(note=f"Each kernel slides over the picture and gives one feature map: {M} maps of "
                       f"{core.fmt_shape((oh, ow))}, green where the kernel's pattern is found.")
        self.play(_focus(self, pipe, 1), GrowArrow(arrows[1]), FadeOut(notes[0]), run_time=0.5)
        self.play(FadeIn(act), FadeIn(names[2]), FadeIn(shapes[2]), FadeIn(notes[1]), run_time=0.7)
        self.beat(note="ReLU keeps the positive responses and sets the negative ones to zero.")

        # the row moves on one stage: the input leaves, the pooled maps come in on the right
        self.play(FadeOut(Group(img, names[0], shapes[0], arrows[0])), run_time=0.4)
        step = slots[0] - slots[1]
        self.play(_focus(self, pipe, 2), Group(conv, names[1], shapes[1], arrows[1], act, names[2], shapes[2])
                  .animate.shift(RIGHT * step), run_time=0.7)
        arrows.append(Arrow(act.get_right(), pooled.get_left(), buff=0.15, stroke_width=4, color=theme.MUTED,
                            max_tip_length_to_length_ratio=0.25))
        f = d.focus[0]
        last = ((ph - 1) * d.pool, (pw - 1) * d.pool)
        win, pix = act[f].box(0, 0, d.pool, d.pool), pooled[f].box(0, 0, 1, 1)
        self.play(GrowArrow(arrows[2]), Create(win), Create(pix), FadeIn(names[3]), run_time=0.6)
        self.play(win.animate.move_to(act[f].box(*last, d.pool, d.pool)),
                  pix.animate.move_to(pooled[f].box(ph - 1, pw - 1, 1, 1)), FadeIn(pooled[f]), run_time=1.0)
        self.play(FadeOut(win), FadeOut(pix), *(FadeIn(m) for k, m in enumerate(pooled) if k != f),
                  FadeIn(shapes[3]), run_time=0.6)
        self.beat(note=f"Max pooling keeps the strongest value of each {d.pool}×{d.pool} block: "
                       f"{core.fmt_shape(d.a.shape)} becomes {core.fmt_shape(d.p.shape)}, the features kept.")

        # --- page 2: classification
        pooled_group = Group(pooled, names[3], shapes[3])
        self.fade_out_around(keep=[pooled_group, pipe], top=pipe.get_bottom()[1] - 0.1, run_time=0.5)
        row_h = min(0.56, (pipe.get_bottom()[1] - 0.3 - name_h - 0.25 - (-config.frame_height / 2 + 0.35 + 0.45))
                    / len(d.probs))
        y_top = pipe.get_bottom()[1] - 0.3 - name_h - 0.3 - row_h / 2
        ys = [y_top - k * row_h for k in range(len(d.probs))]
        y_mid = (ys[0] + ys[-1]) / 2
        strip_h = ys[0] - ys[-1] + row_h
        flat_px = map_pixels(d.flat[:, None], (0, amax))
        strip = PixelImage(np.repeat(flat_px, max(1, round(0.3 / strip_h * d.flat.size)), axis=1), height=strip_h)
        strip.move_to([-3.2, y_mid, 0])
        left, right = -config.frame_width / 2 + 0.35, strip.get_left()[0] - 0.6
        k = min((right - left) / pooled.width, (strip_h - 2 * (0.2 + shape_h)) / pooled.height, 1.0)
        new_c = np.array([(left + right) / 2, y_mid, 0])
        self.play(pooled.animate.scale(k).move_to(new_c),
                  names[3].animate.move_to(new_c + UP * (k * pooled.height / 2 + 0.2 + names[3].height / 2)),
                  shapes[3].animate.move_to(new_c + DOWN * (k * pooled.height / 2 + 0.2 + shapes[3].height / 2)),
                  run_time=0.6)
        s_name = label(f"{fmt_int(d.flat.size)} values", size=fs, color=theme.OUTPUT)
        s_name.next_to(strip, UP, buff=0.15)
        flat_arrow = Arrow(pooled.get_right(), strip.get_left(), buff=0.1, stroke_width=4, color=theme.MUTED,
                           max_tip_length_to_length_ratio=0.3)
        self.play(_focus(self, pipe, 3), FadeOut(notes[1]), GrowArrow(flat_arrow), FadeIn(strip, shift=DOWN * 0.3),
                  FadeIn(s_name), run_time=0.8)
        self.beat(note=f"Flatten lines the pooled maps up into one vector of {fmt_int(d.flat.size)} values.")

        # logits, right-aligned; then the probabilities as bars to one scale (the values printed)
        logits = VGroup(*(label(fmt_num(v), size=fs, mono=True, color=theme.NEGATIVE if v < 0 else theme.POSITIVE)
                          for v in d.logits))
        l_right = -0.35
        for t, y in zip(logits, ys):
            t.move_to([0, y, 0]).align_to([l_right, 0, 0], RIGHT)
        l_head = label("logits", size=fs).move_to([logits.get_x(), ys[0] + row_h / 2 + 0.15 + name_h / 2, 0])
        names_c = VGroup(*(label(c, size=fs, color=theme.HIGHLIGHT if k == d.predicted else theme.OUTPUT)
                           .move_to([0.95, y, 0]) for k, (c, y) in enumerate(zip(d.classes, ys))))
        vals = [label(fmt_prob(v), size=fs, mono=True,
                      color=theme.HIGHLIGHT if k == d.predicted else theme.OUTPUT) for k, v in enumerate(d.probs)]
        val_w = max(v.width for v in vals)
        bar_x0 = names_c.get_right()[0] + 0.2
        bar_len = config.frame_width / 2 - 0.35 - val_w - 0.15 - bar_x0
        bars = VGroup()
        for k, (v, y, pk) in enumerate(zip(vals, ys, d.probs)):
            col = theme.HIGHLIGHT if k == d.predicted else theme.OUTPUT
            bar = Rectangle(width=max(float(pk) * bar_len, 0.02), height=row_h * 0.6, stroke_width=0,
                            fill_color=col, fill_opacity=0.85)
            bars.add(bar.move_to([bar_x0 + bar.width / 2, y, 0]))
            v.next_to(bar, RIGHT, buff=0.15)
        p_head = label("probabilities", size=fs).move_to([bar_x0 + bar_len / 2, l_head.get_y(), 0])
        n_src = 12
        src_y = np.linspace(strip.image.get_top()[1] - 0.1, strip.image.get_bottom()[1] + 0.1, n_src)
        fan = VMobject(stroke_color=theme.MUTED, stroke_width=1, stroke_opacity=0.35)  # one path: cheap to draw
        for y0 in src_y:
            for y1 in ys:
                fan.start_new_path(np.array([strip.get_right()[0] + 0.05, y0, 0]))
                fan.add_line_to(np.array([logits.get_left()[0] - 0.15, y1, 0]))
        dense_note = label(f"dense: {fmt_int(d.flat.size)}·{len(d.probs)} + {len(d.probs)} = "
                           f"{fmt_int(d.dense_params)} learned parameters", size=fs, color=theme.MUTED)
        fit_width(dense_note, config.frame_width - 0.8).to_edge(DOWN, buff=0.35)
        self.play(_focus(self, pipe, 4), Create(fan), FadeIn(dense_note), run_time=0.8)
        self.play(FadeIn(logits, lag_ratio=0.1), FadeIn(l_head), run_time=0.7)
        self.beat(note=f"The dense layer weighs all {fmt_int(d.flat.size)} values once per class: one score "
                       f"(logit) per digit; the highest is {fmt_num(d.logits[d.predicted])} for "
                       f"\"{d.classes[d.predicted]}\".")
        self.play(_focus(self, pipe, 5), FadeIn(names_c), FadeIn(p_head), run_time=0.5)
        self.play(*(GrowFromEdge(b, LEFT) for b in bars), *(FadeIn(v) for v in vals), run_time=1.0)
        end = label(f"trained: {d.verdict}",
                    size=fs, color=theme.HIGHLIGHT)
        fit_width(end, config.frame_width - 0.8).move_to(dense_note)
        self.play(_focus(self, pipe, None), FadeOut(dense_note), run_time=0.4)
        self.play(FadeIn(end), run_time=0.5)
        self.beat(note=f"Softmax turns the scores into probabilities: the trained network reads "
                       f"\"{d.classes[d.predicted]}\" with {fmt_prob(d.probs[d.predicted])}"
                       + (" — right." if d.predicted == d.digit else f", but the digit is {d.digit}.")
                       + f" On digits it never saw it is right {fmt_num(100 * d.held_out, 1)} % of the time.",
                  hold=2.5)
        self.clear_all()


class NeuralNetworkAnimation(CnnvizScene):
    """The trained TinyCNN of TinyCNN_ImageInput drawn as one network of neurons (sampled, with ⋮ for the rest)."""

    data = staticmethod(tiny_cnn_data)

    @staticmethod
    def window(d):
        """The drawn part of the network: the input patch under the strongest pooled neuron's window
        (top-left pixel, side), the window's conv positions, and the first one's weighted sum Σ w·x."""
        m, r, c = d.focus
        F, P = d.kernels.shape[0], d.pool
        side = P + F - 1
        r0, c0 = r * P, c * P
        conv_pos = [(r0 + i, c0 + j) for i in range(P) for j in range(P)]
        i, j = conv_pos[0]
        wsum = float(d.z[i, j, m] - d.conv_bias[m])
        return (r0, c0), side, conv_pos, wsum

    #: the products w·x are shown to 3 decimals, so that they visibly add up to the 2-decimal Σ w·x
    PRODUCT_DECIMALS = 3

    @staticmethod
    def products(d) -> np.ndarray:
        """The F×F products w·x of the window's first conv neuron: the focus kernel's weights times the
        pixels under them (their sum is ``window(d)``'s Σ w·x)."""
        m = d.focus[0]
        F = d.kernels.shape[0]
        (i, j) = NeuralNetworkAnimation.window(d)[2][0]
        return d.kernels[:, :, 0, m] * d.x[i:i + F, j:j + F, 0]

    @staticmethod
    def sum_lines(d) -> tuple[str, ...]:
        """The panel's sum: ("Σ w·x = 1.82",), plus a second line when the products as shown
        (:attr:`PRODUCT_DECIMALS`) add up to something else at 2 decimals ("rounded, they add to 1.81")."""
        cls = NeuralNetworkAnimation
        _, _, _, wsum = cls.window(d)
        shown = sum(float(fmt_num(v, cls.PRODUCT_DECIMALS).replace(",", "")) for v in cls.products(d).ravel())
        if fmt_num(shown) == fmt_num(wsum):
            return (f"Σ w·x = {fmt_num(wsum)}",)
        return (f"Σ w·x = {fmt_num(wsum)}", f"(rounded, they add to {fmt_num(shown)})")

    def must_show(self, d) -> list[str]:
        m, r, c = d.focus
        _, _, conv_pos, _ = NeuralNetworkAnimation.window(d)
        return ([fmt_num(d.a[i, j, m]) for i, j in conv_pos] + [fmt_num(d.p[r, c, m])]
                + [fmt_prob(v) for v in d.probs] + [fmt_num(v, NeuralNetworkAnimation.PRODUCT_DECIMALS)
                                                  for v in NeuralNetworkAnimation.products(d).ravel()])

    @staticmethod
    def products_panel(d, fs: float) -> VGroup:
        """The F×F products w·x of the first conv neuron, each cell framed in its weight's colour (the colour
        of its edge and of the kernel legend), and their sum."""
        pr = NeuralNetworkAnimation.products(d)
        grid = ValueGrid(pr, cell_size=0.95, font_size=fs, decimals=NeuralNetworkAnimation.PRODUCT_DECIMALS)
        for k, sq in enumerate(grid.cells):
            sq.set_stroke(theme.kernel_color(k), width=3)
        head = label(f"w·x: kernel {d.focus[0] + 1} × pixels", size=fs, color=theme.HIGHLIGHT)
        sums = VGroup(*(label(t, size=fs, color=theme.HIGHLIGHT if k == 0 else theme.MUTED)
                        for k, t in enumerate(NeuralNetworkAnimation.sum_lines(d)))).arrange(DOWN, buff=0.12)
        return VGroup(head, grid, sums).arrange(DOWN, buff=0.25)

    def construct(self):
        d = self.data()
        H, W = d.image.shape
        oh, ow, M = d.z.shape
        ph, pw, _ = d.p.shape
        F, P = d.kernels.shape[0], d.pool
        m, r, c = d.focus
        n_cls = len(d.probs)
        amax = float(max(d.a.max(), 1e-9))
        fs = F_HALF
        head = title("The trained CNN as one network of neurons", size=fs)
        (r0, c0), side, conv_pos, wsum = self.window(d)

        # --- which neurons are drawn: the input patch under one pooling window, its conv neurons, a few pooled
        patch = [(r0 + i, c0 + j) for i in range(side) for j in range(side)]
        focus_flat = (r * pw + c) * M + m
        n_flat = d.flat.size
        pooled_idx, groups = NeuronLayer.sampling(n_flat, sorted({0, focus_flat, n_flat - 1}))

        top, bottom = 2.05, -3.15   # the room between the column headers and the bottom caption
        in_sp = (top - bottom) / (side * side - 1 + (side - 1) * 1.6)
        dots = dict(gap=0.6, ellipsis_size=fs)  # rows of a patch, runs of the flat vector
        inputs = NeuronLayer([side] * side, radius=min(0.11, in_sp * 0.42), spacing=in_sp, **dots)
        r_val = 0.6  # a value at the scene's font in 80 % of the neuron's width
        convs = NeuronLayer(P * P, radius=r_val, spacing=min(1.3, (top - bottom - 2 * r_val) / max(P * P - 1, 1)),
                            color=theme.OUTPUT)
        pooled = NeuronLayer.sample(n_flat, pooled_idx, radius=r_val, color=theme.OUTPUT,
                                    spacing=min(1.3, (top - bottom - 2 * r_val) / (len(pooled_idx) - 1
                                                                                  + 0.6 * (len(groups) - 1))),
                                    **dots)
        out_sp = min(0.5, (top - bottom - 0.4) / max(n_cls - 1, 1))
        outputs = NeuronLayer(n_cls, radius=min(0.17, out_sp * 0.36), spacing=out_sp, color=theme.OUTPUT)
        for col, x in ((inputs, -2.85), (convs, -0.55), (pooled, 1.85), (outputs, 3.75)):
            col.move_to([x, (top + bottom) / 2, 0])

        img = PixelImage(d.image, height=1.9).move_to([-5.6, 1.0, 0])
        box = img.box(r0, c0, side, side, stroke_width=3)
        legend = KernelGrid(d.kernels[:, :, 0, m], cell_size=0.5, show_names=False, show_values=False)
        legend.move_to([-5.6, -2.3, 0])
        legend_head = label(f"kernel {m + 1}", size=fs, color=theme.KERNEL)
        legend_head.next_to(legend, UP, buff=0.15)

        def header(name, shape, col):
            return VGroup(label(name, size=fs, color=theme.MUTED), label(core.fmt_shape(shape), size=fs,
                                                                          color=theme.MUTED)
                          ).arrange(DOWN, buff=0.08).move_to([col.get_x(), 2.55, 0])

        heads = VGroup(header("input", d.x.shape, inputs), header("conv+ReLU", d.z.shape, convs),
                       header("max-pool", d.p.shape, pooled), header("dense", d.logits.shape, outputs))
        head.to_edge(UP, buff=0.3)
        row_names = VGroup(*(label(notation.row_name(r0 + i), size=fs, color=theme.MUTED)
                             .next_to(inputs.neurons[i * side], LEFT, buff=0.15)
                             .set_y(inputs.neurons[i * side: (i + 1) * side].get_y()) for i in range(side)))
        img_name = label(f"the digit {d.digit}", size=fs, color=theme.INPUT).next_to(img, DOWN, buff=0.15)
        self.add(head, heads, img, img_name, inputs, row_names, convs, pooled, outputs)
        self.beat(note=f"The same trained TinyCNN, drawn as neurons: the {fmt_int(H * W)} pixels of the digit "
                       f"{d.digit}, then the conv, pooled and dense neurons; ⋮ stands for the ones not drawn.")

        # --- the input: one real patch of the picture
        fills = [shade_gray(d.image[p]) for p in patch]
        patch_frame = SurroundingRectangle(inputs.neurons, color=theme.HIGHLIGHT, buff=0.1, stroke_width=2.5)
        cols_note = VGroup(label("columns", size=fs, color=theme.HIGHLIGHT),
                           label(f"{c0 + 1}–{c0 + side}", size=fs, color=theme.HIGHLIGHT)).arrange(DOWN, buff=0.08)
        cols_note.next_to(img_name, DOWN, buff=0.2).set_x(img.get_x())
        self.play(Create(box), Create(patch_frame), FadeIn(cols_note), *(n.animate.set_fill(col, opacity=1)
                                                 for n, col in zip(inputs.neurons, fills)), run_time=0.8)
        self.beat(note=f"One {side}×{side} patch of the picture ({notation.row_name(r0)}–{r0 + side}, "
                       f"{notation.column_name(c0)}–{c0 + side}): the {side * side} input neurons that feed one "
                       f"pooled neuron.")

        # --- conv: local edges (9 per neuron), coloured by the kernel weight they use: the same 9 colours everywhere
        outs = {(i * ow + j) * M + m: k for k, (i, j) in enumerate(conv_pos)}
        patch_index = {(pr * W + pc): k for k, (pr, pc) in enumerate(patch)}
        edges_by_conv = {k: [] for k in range(len(conv_pos))}
        for e in core.conv_connections(d.x.shape, d.kernels.shape):
            if e.out_index in outs:
                edges_by_conv[outs[e.out_index]].append((patch_index[e.in_index], e.weight_index // M))
        self.play(FadeOut(cols_note), run_time=0.3)
        self.play(FadeIn(legend), FadeIn(legend_head), run_time=0.4)
        conv_edges = VGroup()
        c_fill = [shade_gray(d.a[i, j, m], 0, amax) for i, j in conv_pos]
        conv_vals = convs.values_inside([d.a[i, j, m] for i, j in conv_pos], size=fs,
                                        color=[contrast_text(f) for f in c_fill])
        i0, j0 = conv_pos[0]
        z0, b = float(d.z[i0, j0, m]), float(d.conv_bias[m])
        terms = label(f"z = Σ w·x + b = {fmt_num(wsum)} + {fmt_factor(b)} = {fmt_num(z0)}, "
                      f"ReLU: {fmt_num(d.a[i0, j0, m])}", size=fs, color=theme.HIGHLIGHT)
        fit_width(terms, config.frame_width - 0.8).to_edge(DOWN, buff=0.35)
        panel = self.products_panel(d, fs).move_to([(0.45 + config.frame_width / 2 - 0.4) / 2,
                                                       (top + terms.get_top()[1] + 0.2) / 2, 0])
        for k, (fill, val) in enumerate(zip(c_fill, conv_vals)):
            pairs = edges_by_conv[k]
            lines = connect(inputs, convs, pairs=[(a, k) for a, _ in pairs], colors=[theme.kernel_color(w) for _, w in pairs],
                            width=2.5, opacity=0.95)
            conv_edges.add(lines)
            slow = k == 0
            self.play(Create(lines), run_time=0.8 if slow else 0.4)
            self.play(convs.neurons[k].animate.set_fill(fill, opacity=1), FadeIn(val), *([FadeIn(terms)] if slow else []),
                      run_time=0.5 if slow else 0.3)
            if slow:
                self.play(Circumscribe(legend, color=theme.HIGHLIGHT, buff=0.06), run_time=0.6)
                # the products w·x, in the room the pooled and dense columns leave until they are used
                later = VGroup(pooled, outputs, heads[2], heads[3])
                self.play(FadeOut(later), run_time=0.3)
                self.play(FadeIn(panel), run_time=0.6)
                self.beat(note=f"A conv neuron sees only {len(pairs)} inputs, through the kernel's {len(pairs)} "
                               f"shared weights (the colours): each weight times the pixel under it, "
                               f"{fmt_num(wsum)} in all, plus the bias {fmt_num(b)}: "
                               f"{fmt_num(wsum)} + {fmt_factor(b)} = {fmt_num(z0)}; ReLU gives "
                               f"{fmt_num(d.a[i0, j0, m])}.")
                self.play(FadeOut(panel), run_time=0.4)
                self.play(FadeIn(later), run_time=0.3)
        self.beat(note=f"The window's other conv neurons use the same {F * F} weights and bias, one pixel further.",
                  hold=0.6)

        # --- max-pool: the strongest of the window's conv neurons goes through
        win = [d.a[i, j, m] for i, j in conv_pos]
        best = int(np.argmax(win))
        f_pos = pooled_idx.index(focus_flat)
        pool_edges = VGroup(*(edge(convs.neurons[k], pooled.neurons[f_pos],
                                   color=theme.HIGHLIGHT if k == best else theme.MUTED,
                                   width=4 if k == best else 1.5, opacity=1.0 if k == best else 0.5)
                              for k in range(len(conv_pos))))
        p_fill = [shade_gray(d.flat[idx], 0, amax) for idx in pooled_idx]
        p_vals = pooled.values_inside(d.flat[pooled_idx], size=fs, color=[contrast_text(f) for f in p_fill])
        max_note = label(f"max-pool: max({', '.join(fmt_num(v) for v in win)}) = {fmt_num(d.p[r, c, m])}",
                         size=fs, color=theme.HIGHLIGHT)
        fit_width(max_note, config.frame_width - 0.8).to_edge(DOWN, buff=0.35)
        self.play(FadeOut(terms), Create(pool_edges), run_time=0.6)
        self.play(pooled.neurons[f_pos].animate.set_fill(p_fill[f_pos], opacity=1), FadeIn(p_vals[f_pos]),
                  FadeIn(max_note), run_time=0.6)
        self.beat(note=f"Max pooling passes on the strongest of the {len(win)} conv neurons: "
                       f"{fmt_num(d.p[r, c, m])}, the strongest pooled value of the whole network.")
        others = [k for k in range(len(pooled_idx)) if k != f_pos]
        self.play(FadeOut(max_note), *(pooled.neurons[k].animate.set_fill(p_fill[k], opacity=1) for k in others),
                  *(FadeIn(p_vals[k]) for k in others), run_time=0.6)

        # --- dense: every pooled neuron to every output; softmax
        dense_edges = connect(pooled, outputs, color=theme.MUTED, width=1, opacity=0.45)
        names = VGroup(*(label(cl, size=fs, color=theme.HIGHLIGHT if k == d.predicted else theme.OUTPUT)
                         .next_to(n, RIGHT, buff=0.2) for k, (cl, n) in enumerate(zip(d.classes, outputs.neurons))))
        vals = VGroup(*(label(fmt_prob(v), size=fs, mono=True, color=theme.HIGHLIGHT if k == d.predicted else theme.OUTPUT)
                        .set_y(n.get_y()) for k, (v, n) in enumerate(zip(d.probs, outputs.neurons))))
        for v in vals:
            v.align_to([config.frame_width / 2 - 0.4, 0, 0], RIGHT)
        dense_note = label(f"dense: {fmt_int(n_flat)}·{n_cls} + {n_cls} = {fmt_int(d.dense_params)} weights and biases",
                           size=fs, color=theme.MUTED)
        fit_width(dense_note, config.frame_width - 0.8).to_edge(DOWN, buff=0.35)
        self.play(Create(dense_edges), FadeIn(dense_note), run_time=0.8)
        self.play(*(n.animate.set_fill(theme.OUTPUT, opacity=float(0.1 + 0.9 * p / d.probs.max()))
                    for n, p in zip(outputs.neurons, d.probs)), FadeIn(names), FadeIn(vals), run_time=0.8)
        self.beat(note=f"Every pooled neuron feeds every output neuron; softmax turns the 10 scores into "
                       f"probabilities: \"{d.classes[d.predicted]}\" gets {fmt_prob(d.probs[d.predicted])}.")

        # --- one forward signal through the whole network
        sig = dict(color=theme.HIGHLIGHT, width=4)
        for group, rt in ((conv_edges, 0.6), (pool_edges, 0.4), (dense_edges, 0.6)):
            flash = group.copy().set_stroke(sig["color"], width=sig["width"], opacity=1)
            self.play(ShowPassingFlash(flash, time_width=0.6), run_time=rt)
        end = label(f"trained: {d.verdict}", size=fs, color=theme.HIGHLIGHT)
        fit_width(end, config.frame_width - 0.8).to_edge(DOWN, buff=0.35)
        self.play(FadeOut(dense_note), run_time=0.3)
        self.play(FadeIn(end), run_time=0.5)
        self.beat(note=f"One forward pass through the trained network: {d.verdict}. "
                       f"{fmt_int(d.z.size)} conv neurons share {d.conv_params} parameters; the dense layer has "
                       f"{fmt_int(d.dense_params)}.", hold=2.0)
        self.clear_all()
