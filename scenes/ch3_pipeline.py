"""Chapter 3, section III.1–III.2 — pooling and the whole CNN pipeline: a digit through conv, ReLU, pooling, flattening, a dense layer and softmax, drawn as maps and as neurons.

Each scene: a pure data function (inputs → every number shown, from ``cnnviz.core``)
and the choreography that draws it with the shared drawings.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    SurroundingRectangle,
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
                self.beat(hold=1.5)
                self.play(FadeOut(note), run_time=0.3)
            else:
                self.beat(hold=0.4)
            self.play(FadeOut(f_max), FadeOut(f_avg), run_time=0.3)

        end = caption(f"Pooling learns nothing: {d.params} parameters (no W, no b). "
                      f"{core.fmt_shape(d.x.shape)} → {core.fmt_shape(d.max_out.shape)}", color=theme.TEXT)
        self.play(FadeOut(window), FadeIn(end), run_time=0.6)
        self.beat(hold=1.5)
        self.clear_all()


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
        self.beat(hold=0.5)
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
        self.beat(hold=1.0)
        self.play(_focus(self, pipe, 1), GrowArrow(arrows[1]), FadeIn(act), FadeIn(names[2]), FadeIn(shapes[2]),
                  run_time=0.9)
        self.beat(hold=0.8)

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
        self.beat(hold=1.2)

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
        self.beat(hold=0.8)

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
        self.beat(hold=0.8)
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
        self.beat(hold=2.5)
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
        self.beat(hold=0.5)

        # --- the input: one real patch of the picture
        fills = [shade_gray(d.image[p]) for p in patch]
        patch_frame = SurroundingRectangle(inputs.neurons, color=theme.HIGHLIGHT, buff=0.1, stroke_width=2.5)
        patch_note = label(f"{side}×{side} patch\n= {side * side} inputs", size=theme.SMALL_SIZE,
                           color=theme.HIGHLIGHT).next_to(img, DOWN, buff=0.15)
        self.play(Create(box), Create(patch_frame), FadeIn(patch_note), *(n.animate.set_fill(col, opacity=1)
                                                 for n, col in zip(inputs.neurons, fills)), run_time=1.0)
        self.beat(hold=0.5)

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
                self.beat(hold=0.8)
        self.beat(hold=0.6)

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
        self.beat(hold=0.8)
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
        self.beat(hold=0.8)

        # --- one forward signal through the whole network
        sig = dict(color=theme.HIGHLIGHT, width=4)
        for group, rt in ((conv_edges, 0.7), (pool_edges, 0.4), (dense_edges, 0.7)):
            flash = group.copy().set_stroke(sig["color"], width=sig["width"], opacity=1)
            self.play(ShowPassingFlash(flash, time_width=0.6), run_time=rt)
        fan_in = len(edges_by_conv[0])
        end = caption(f"conv: {fmt_int(d.z.size)} neurons, {fan_in} local edges each, {d.conv_params} shared parameters"
                      f" · dense: {fmt_int(d.dense_params)} parameters", size=theme.SMALL_SIZE, color=theme.TEXT)
        self.play(FadeIn(end), run_time=0.6)
        self.beat(hold=2.0)
        self.clear_all()
