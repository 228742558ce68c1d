"""Chapter 1, section II — the naive approach, a multilayer perceptron on the flattened image, and its three limits: spatial neighbourhood lost, a giant number of parameters, no translation invariance.

Each scene: a pure data function (inputs → every number shown, from ``cnnviz.core``)
and the choreography that draws it with the shared drawings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from manim import (
    DOWN,
    LEFT,
    PI,
    RIGHT,
    UP,
    ArcBetweenPoints,
    Create,
    FadeIn,
    FadeOut,
    LaggedStart,
    Line,
    Rectangle,
    ReplacementTransform,
    VGroup,
)

from cnnviz import core, images, theme
from cnnviz.drawings import (
    photo_box,
    preview_step,
    readable_cell,
    CnnvizScene,
    Fade,
    MLPDiagram,
    PixelCells,
    PixelImage,
    ValueGrid,
    caption,
    fit_width,
    fmt_int,
    label,
    shade_gray,
    title,
    zoom_callout,
)


# ============================================================ FlatteningSimple
@dataclass(frozen=True)
class FlatteningData:
    name: str
    photo_size: tuple
    preview: np.ndarray      # the whole photo as shown: every ``preview_step``-th pixel
    preview_step: int
    box: tuple               # the crop (photo pixels)
    factor: int
    pixels: np.ndarray       # H×W: the grid that is flattened
    vector: np.ndarray       # core.flatten(pixels)
    landing: np.ndarray      # H×W: where pixel (r, c) lands in the vector
    stripe: int              # the darkest column: a vertical stripe of the picture
    vertical: tuple          # ((r, c), (r + 1, c)): vertical neighbours in the image
    v_distance: int          # how far apart they land in the vector
    horizontal: tuple        # ((r, c), (r, c + 1))
    h_distance: int
    big_shape: tuple         # e.g. MNIST's 28×28
    big_distance: int        # where vertical neighbours land in its flattened vector


def landing_positions(shape: tuple) -> np.ndarray:
    """Where each pixel (r, c) of an H×W grid lands once flattened by ``core.flatten``: tag every
    pixel with a unique code, flatten the tags, and look each code up in the flat vector."""
    h, w = shape
    tags = np.arange(h * w).reshape(h, w) * 7 + 3  # any distinct codes
    flat = core.flatten(tags)
    where = {int(t): k for k, t in enumerate(flat)}
    return np.array([[where[int(tags[r, c])] for c in range(w)] for r in range(h)])


def flattening_data(name: str = "camera", box: tuple = (280, 400, 296, 416), factor: int = 4,
                    big_shape: tuple = (28, 28)) -> FlatteningData:
    """A 4×4 patch of the cameraman's tripod: its pole is a dark vertical stripe (column 2)."""
    full = images.photo(name, "L")
    step = preview_step(full.shape)
    px = images.photo(name, "L", box=box, factor=factor)
    h, w = px.shape
    landing = landing_positions((h, w))
    stripe = int(np.argmin(px.mean(axis=0)))
    vert = ((0, stripe), (1, stripe))
    hc = stripe + 1 if stripe + 1 < w else stripe - 1
    horiz = ((0, min(stripe, hc)), (0, max(stripe, hc)))
    big = landing_positions(big_shape)
    return FlatteningData(
        name, full.shape[:2], full[::step, ::step].copy(), step, tuple(box), factor, px, core.flatten(px), landing,
        stripe, vert, int(landing[vert[1]] - landing[vert[0]]), horiz, int(landing[horiz[1]] - landing[horiz[0]]),
        tuple(big_shape), int(big[1, 0] - big[0, 0]))


class FlatteningSimple(CnnvizScene):
    data = staticmethod(flattening_data)

    def construct(self):
        d = self.data()
        h, w = d.pixels.shape
        n = h * w
        head = title("Flattening: the image is read row by row", size=32)

        # the vector along the bottom, as wide as the frame allows
        vcell = min(0.8, (theme.FRAME_WIDTH - 0.8) / n)
        show_v = vcell >= readable_cell(d.vector)
        vec = ValueGrid(d.vector.reshape(1, -1), cell_size=vcell, shade="gray", vrange=(0, 255),
                        color=theme.GRID_LINE, stroke_width=1.0, show_values=show_v,
                        font_size=max(theme.MIN_FONT, theme.CELL_FONT * vcell / theme.CELL_SIZE))
        vec.move_to([0, -1.2, 0])
        index_size = theme.MIN_FONT if vcell * 0.9 >= label(str(n - 1), size=theme.MIN_FONT).width else None
        idx = VGroup(*(label(str(k), size=theme.MIN_FONT, color=theme.MUTED).next_to(vec.cell(0, k), DOWN, buff=0.1)
                       for k in range(n))) if index_size else VGroup()

        # the grid, top centre; the photo it comes from, top left
        gcell = min(0.8, 3.1 / h, 4.4 / w)
        grid = ValueGrid(d.pixels, cell_size=gcell, shade="gray", vrange=(0, 255), color=theme.GRID_LINE,
                         stroke_width=1.0, font_size=max(theme.MIN_FONT, theme.CELL_FONT * gcell / theme.CELL_SIZE))
        grid.move_to([0.4, 1.35, 0])
        ph, pw = d.photo_size
        photo = PixelImage(d.preview, height=min(2.7, 3.6 * ph / pw))
        photo.move_to([-5.2, 1.5, 0])
        crop = photo_box(photo, d.box, d.preview_step)
        lines = zoom_callout(crop, grid)
        gname = label(f"{core.fmt_shape(d.pixels.shape)} image", size=theme.BODY_SIZE, color=theme.INPUT)
        gname.next_to(grid, RIGHT, buff=0.5).align_to(grid, UP)
        self.reveal(head, photo, run_time=0.5)
        self.play(Create(crop), Create(lines), Fade(grid, out=False), FadeIn(gname), run_time=0.8)
        self.beat(hold=0.8)

        # 1. row by row into one vector: pixel (r, c) lands at r·W + c
        frame = None
        for r in range(h):
            row = grid.window(r, 0, 1, w)
            slots = [int(d.landing[r, c]) for c in range(w)]
            src = VGroup(*(grid.cell(r, c).copy() for c in range(w)), *(grid.label_at(r, c).copy() for c in range(w)))
            dst = VGroup(*(vec.cell(0, k) for k in slots), *(vec.label_at(0, k) for k in slots if show_v))
            if not show_v:
                src = VGroup(*src[:w])
            anims = [ReplacementTransform(src, dst)]
            if idx:
                anims.append(FadeIn(VGroup(*(idx[k] for k in slots))))
            if frame is None:
                frame = row
                anims += [Create(frame), FadeOut(lines)]
            else:
                anims.append(frame.animate.move_to(row))
            self.play(*anims, run_time=0.9 if r < 2 else 0.5)
        vname = label(f"vector of {n}", size=theme.BODY_SIZE, color=theme.INPUT)
        vname.next_to(vec, UP, buff=0.2).align_to(vec, RIGHT)
        self.play(FadeOut(frame), FadeIn(vname), run_time=0.4)
        self.beat(hold=0.8)

        # 2. a vertical stripe of the picture ends up scattered
        c = d.stripe
        marks = VGroup(*(grid.window(r, c, 1, 1, stroke_width=5) for r in range(h)))
        vmarks = VGroup(*(vec.window(0, int(d.landing[r, c]), 1, 1, stroke_width=5) for r in range(h)))
        note = label(f"one vertical stripe of the image → every {d.v_distance}th position of the vector",
                     size=theme.SMALL_SIZE, color=theme.HIGHLIGHT).to_edge(DOWN, buff=0.35)
        fit_width(note, theme.FRAME_WIDTH - 0.6)
        self.play(Create(marks), Create(vmarks), FadeIn(note), run_time=0.9)
        self.beat(hold=1.2)

        # 3. the distances: vertical neighbours W apart, horizontal neighbours 1 apart
        (a, b), (p, q) = d.vertical, d.horizontal
        ka, kb = int(d.landing[a]), int(d.landing[b])
        kp, kq = int(d.landing[p]), int(d.landing[q])
        below = (idx if idx else vec).get_bottom()[1] - 0.1
        v_arc = ArcBetweenPoints(vec.cell(0, ka).get_bottom() * [1, 0, 0] + [0, below, 0],
                                 vec.cell(0, kb).get_bottom() * [1, 0, 0] + [0, below, 0], angle=PI / 2.2,
                                 color=theme.HIGHLIGHT, stroke_width=4)
        v_txt = label(f"{d.v_distance} positions apart", size=theme.SMALL_SIZE, color=theme.HIGHLIGHT)
        v_txt.next_to(v_arc, DOWN, buff=0.08)
        h_arc = ArcBetweenPoints(vec.cell(0, kp).get_top(), vec.cell(0, kq).get_top(), angle=-PI / 1.6,
                                 color=theme.OUTPUT, stroke_width=4)
        h_txt = label(f"{d.h_distance} apart", size=theme.SMALL_SIZE, color=theme.OUTPUT)
        h_txt.next_to(h_arc, UP, buff=0.08)
        g_pair = VGroup(grid.window(*a, 2, 1, color=theme.HIGHLIGHT, stroke_width=7))
        g_h = grid.window(*p, 1, 2, color=theme.OUTPUT, stroke_width=7)
        touching = VGroup(label("vertical neighbours", size=theme.SMALL_SIZE, color=theme.HIGHLIGHT),
                          label("horizontal neighbours", size=theme.SMALL_SIZE, color=theme.OUTPUT))
        touching.arrange(DOWN, buff=0.15, aligned_edge=LEFT).next_to(gname, DOWN, buff=0.35).align_to(gname, LEFT)
        self.play(FadeOut(note), FadeOut(marks), FadeOut(vmarks), FadeIn(touching), Create(g_pair), Create(g_h),
                  run_time=0.6)
        self.play(Create(v_arc), FadeIn(v_txt), Create(h_arc), FadeIn(h_txt), run_time=0.9)
        self.beat(hold=1.5)

        big = d.big_shape
        end = caption(f"A {core.fmt_shape(big)} image: vertical neighbours end up {d.big_distance} positions apart. "
                      f"The geometry is lost.", size=theme.SMALL_SIZE, color=theme.TEXT)
        self.play(FadeIn(end), run_time=0.5)
        self.beat(hold=2.0)
        self.clear_all()


# ============================================================ MLPParameterCount
@dataclass(frozen=True)
class MLPParamData:
    sizes: tuple             # layer sizes, input first
    terms: tuple             # (weights, biases) of each layer, core.mlp_param_terms
    layer_totals: tuple      # weights + biases of each layer
    total: int               # core.mlp_params
    image_shape: tuple       # a realistic photo, H×W×C
    big_inputs: int          # its number of values once flattened
    big_terms: tuple         # (weights, biases) of the first layer for that photo
    big_first: int           # the first layer alone
    ratio: float             # big_first / total


def mlp_param_data(sizes: tuple = (784, 100, 100, 10), image_shape: tuple = (1000, 1000, 3)) -> MLPParamData:
    """The notebook's MLP for 28×28 MNIST digits, and its first layer for a 1000×1000 colour photo."""
    terms = tuple(core.mlp_param_terms(sizes))
    big_inputs = int(core.flatten(np.zeros(image_shape, dtype=np.uint8)).size)
    big_terms = core.mlp_param_terms((big_inputs, sizes[1]))[0]
    big_first = int(sum(big_terms))
    total = core.mlp_params(sizes)
    return MLPParamData(tuple(sizes), terms, tuple(w + b for w, b in terms), total, tuple(image_shape), big_inputs,
                        tuple(big_terms), big_first, big_first / total)


def term_row(cells: list, gap: float = 0.18) -> VGroup:
    """Labels placed left to right, one line (a row of a computation table)."""
    return VGroup(*cells).arrange(RIGHT, buff=gap)


def align_columns(rows: list, x0: float, gap: float = 0.18) -> None:
    """Line up the k-th label of every row in one column (left-aligned), starting at ``x0``."""
    ncol = max(len(r) for r in rows)
    widths = [max(r[k].width for r in rows if k < len(r)) for k in range(ncol)]
    for r in rows:
        x = x0
        for k, t in enumerate(r):
            t.move_to([x + t.width / 2, r.get_y(), 0])
            x += widths[k] + gap


class MLPParameterCount(CnnvizScene):
    data = staticmethod(mlp_param_data)

    def construct(self):
        d = self.data()
        arrow = " → ".join(fmt_int(n) for n in d.sizes)
        head = title(f"Parameters of the MLP {arrow}", size=32)
        fit_width(head, theme.FRAME_WIDTH - 0.8)
        net = MLPDiagram(d.sizes, width=9.0, height=3.1, edge_opacity=0.3).move_to([0, 1.05, 0])
        self.reveal(head, net, run_time=0.8)
        self.beat(hold=0.6)

        # 1. layer by layer: weights (one per edge) + biases (one per receiving neuron)
        rows = []
        for k, ((wts, bias), tot) in enumerate(zip(d.terms, d.layer_totals)):
            a, b = d.sizes[k], d.sizes[k + 1]
            rows.append(term_row([
                label(f"layer {k + 1}", size=theme.BODY_SIZE, color=theme.MUTED),
                label(f"{fmt_int(a)} × {fmt_int(b)}", size=theme.BODY_SIZE, color=theme.KERNEL),
                label("+", size=theme.BODY_SIZE),
                label(fmt_int(bias), size=theme.BODY_SIZE, color=theme.BIAS),
                label("=", size=theme.BODY_SIZE),
                label(fmt_int(tot), size=theme.BODY_SIZE),
            ]))
        ys = -1.25 - 0.52 * np.arange(len(rows))
        for r, y in zip(rows, ys):
            r.set_y(y)
        align_columns(rows, x0=-4.6)
        legend = VGroup(label("weights: one per edge", size=theme.SMALL_SIZE, color=theme.KERNEL),
                        label("biases: one per neuron", size=theme.SMALL_SIZE, color=theme.BIAS))
        legend.arrange(DOWN, aligned_edge=LEFT, buff=0.15).next_to(VGroup(*rows), RIGHT, buff=0.7).align_to(rows[0], UP)
        self.play(FadeIn(legend), run_time=0.4)
        for k, r in enumerate(rows):
            edges, receivers = net.edges[k], net.layers[k + 1].neurons
            self.bring_to_front(edges, receivers)  # only what changes is redrawn on each frame
            self.play(edges.animate.set_stroke(theme.KERNEL, opacity=0.8),
                      receivers.animate.set_stroke(theme.BIAS), FadeIn(r), run_time=0.7)
            self.beat(hold=0.8 if k == 0 else 0.5)
            self.play(edges.animate.set_stroke(theme.MUTED, opacity=0.3), run_time=0.25)

        # 2. the total
        parts = " + ".join(fmt_int(t) for t in d.layer_totals)
        total = label(f"total: {parts} = {fmt_int(d.total)} parameters", size=30, color=theme.HIGHLIGHT)
        total.move_to([0, ys[-1] - 0.7, 0])
        fit_width(total, theme.FRAME_WIDTH - 0.6)
        self.play(FadeIn(total, shift=0.2 * UP), run_time=0.6)
        self.beat(hold=1.5)

        # 3. a realistic photo: the first layer alone
        shape = core.fmt_shape(d.image_shape)
        bw, bb = d.big_terms
        big = VGroup(
            label(f"A {shape} photo, flattened: {fmt_int(d.big_inputs)} inputs", size=theme.BODY_SIZE,
                  color=theme.INPUT),
            term_row([label("layer 1 alone:", size=theme.BODY_SIZE, color=theme.MUTED),
                      label(f"{fmt_int(d.big_inputs)} × {fmt_int(d.sizes[1])}", size=theme.BODY_SIZE,
                            color=theme.KERNEL),
                      label("+", size=theme.BODY_SIZE), label(fmt_int(bb), size=theme.BODY_SIZE, color=theme.BIAS),
                      label("=", size=theme.BODY_SIZE), label(fmt_int(d.big_first), size=theme.BODY_SIZE)]),
            label(f"{fmt_int(round(d.ratio))} times the whole MNIST network — and it has learnt nothing yet",
                  size=theme.BODY_SIZE, color=theme.NEGATIVE),
        ).arrange(DOWN, buff=0.3)
        big.move_to([0, -2.2, 0])
        for t in big:
            fit_width(t, theme.FRAME_WIDTH - 0.6)
        self.play(Fade(*rows, legend, total), run_time=0.4)
        self.play(FadeIn(big[0]), run_time=0.5)
        self.bring_to_front(net.edges[0])
        n_in = label(fmt_int(d.big_inputs), size=net.size_labels[0].font_size, color=theme.NEGATIVE)
        n_in.move_to(net.size_labels[0])
        self.play(FadeIn(big[1]), net.edges[0].animate.set_stroke(theme.NEGATIVE, opacity=0.9),
                  ReplacementTransform(net.size_labels[0], n_in), run_time=0.7)
        self.play(FadeIn(big[2]), run_time=0.5)
        self.beat(hold=2.5)
        self.clear_all()


# ============================================================ MLP_Style_NoText_Fixed
@dataclass(frozen=True)
class MLPFlowData:
    value: int               # the digit drawn
    digit: np.ndarray        # 28×28 uint8, drawn procedurally by cnnviz.images.digit (no file, no download)
    vector: np.ndarray       # core.flatten(digit): the 784 inputs
    landing: np.ndarray      # 28×28: where each pixel lands in the vector
    sizes: tuple             # the MLP's layer sizes
    input_shown: tuple       # the input neurons drawn: half inked pixels, half background, in vector order
    activations: tuple       # every layer's activations (core.mlp_forward): inputs in 0..1, ReLU, softmax
    seed: int


def mlp_flow_data(value: int = 5, sizes: tuple = (784, 100, 100, 10), seed: int = 0,
                  n_shown: int = 10) -> MLPFlowData:
    """The procedural 28×28 digit 5 (``images.digit``) flattened into 784 inputs of an MLP
    784 → 100 → 100 → 10 with seeded random weights (``core.mlp_init``): an untrained network,
    shown for the flow of activations, not for a prediction."""
    img = images.digit(value)
    vec = core.flatten(img)
    if vec.size != sizes[0]:
        raise ValueError(f"a {core.fmt_shape(img.shape)} digit has {vec.size} pixels, not {sizes[0]} inputs")
    lit = core.lit_positions(img, threshold=1)
    dark = np.setdiff1d(np.arange(lit.min(), lit.max() + 1), lit)
    k_lit = n_shown // 2

    def pick(pool: np.ndarray, k: int) -> np.ndarray:  # k evenly spaced members of pool
        return pool[np.round(np.linspace(0, pool.size - 1, k)).astype(int)]

    shown = tuple(int(i) for i in np.sort(np.concatenate([pick(lit, k_lit), pick(dark, n_shown - k_lit)])))
    acts = core.mlp_forward(vec / 255.0, core.mlp_init(sizes, seed))
    return MLPFlowData(value, img, vec, landing_positions(img.shape), tuple(sizes), shown, tuple(acts), seed)


class MLP_Style_NoText_Fixed(CnnvizScene):  # noqa: N801 (the notebook's name)
    data = staticmethod(mlp_flow_data)

    def construct(self):
        d = self.data()

        # the digit, left; its vector, a thin vertical bar; the network, right
        digit = PixelCells(d.digit, height=4.2).move_to([-4.6, 0.3, 0])
        shape = label(core.fmt_shape(d.digit.shape), size=theme.SMALL_SIZE, color=theme.MUTED)
        shape.next_to(digit, DOWN, buff=0.2)
        top, length, strip_x = 3.45, 6.9, -2.0
        strip = digit.flat_layout(d.landing, start=[strip_x, top, 0], length=length, thickness=0.32, direction=DOWN)
        frame = Rectangle(width=0.32, height=length, stroke_color=theme.INPUT, stroke_width=1.5)
        frame.move_to([strip_x, top - length / 2, 0])
        net = MLPDiagram(d.sizes, width=7.2, height=5.4, shown=[d.input_shown], edge_opacity=0.25)
        net.move_to([2.95, 0.15, 0])
        slot = length / d.vector.size
        feeds = VGroup(*(Line([strip_x + 0.16, top - (k + 0.5) * slot, 0], neuron.get_left(),
                              stroke_color=theme.INPUT, stroke_width=1.2, stroke_opacity=0.5)
                         for k, neuron in zip(d.input_shown, net.layers[0].neurons)))

        self.play(Fade(digit, out=False), FadeIn(shape), run_time=0.6)
        self.beat(hold=0.6)

        # 1. flattened: the rows, one after the other, become one long vector
        self.play(LaggedStart(*(ReplacementTransform(row.copy(), target) for row, target in zip(digit.rows, strip)),
                              lag_ratio=0.12), Create(frame), run_time=2.0)
        self.beat(hold=0.6)

        # 2. the vector feeds the network's input layer, one neuron per pixel
        self.play(Fade(net, out=False), Create(feeds), run_time=0.8)
        self.beat(hold=0.4)

        # 3. activation flows forward, layer by layer (brightness = the computed activation)
        inputs = net.layers[0].neurons
        self.play(feeds.animate.set_stroke(theme.HIGHLIGHT, opacity=0.9),
                  *(n.animate.set_fill(shade_gray(d.vector[k]), opacity=1)
                    for k, n in zip(d.input_shown, inputs)), run_time=0.6)
        self.play(feeds.animate.set_stroke(theme.INPUT, opacity=0.5), run_time=0.2)
        for k in range(1, len(d.sizes)):
            act = d.activations[k]
            peak = act.max() if act.max() > 0 else 1.0
            color = theme.OUTPUT if k == len(d.sizes) - 1 else theme.HIGHLIGHT
            edges = net.edges[k - 1]
            self.bring_to_front(edges, net.layers[k])  # only what changes is redrawn on each frame
            self.play(edges.animate.set_stroke(theme.HIGHLIGHT, opacity=0.7), run_time=0.35)
            self.play(edges.animate.set_stroke(theme.MUTED, opacity=0.25),
                      *(n.animate.set_fill(color, opacity=0.1 + 0.9 * act[i] / peak)
                        for i, n in zip(net.shown[k], net.layers[k].neurons)), run_time=0.45)
        self.beat(hold=1.8)
        self.clear_all()


# ============================================================ DigitShiftBig
@dataclass(frozen=True)
class DigitShiftData:
    value: int
    threshold: int           # a pixel is "lit" from this value on
    shifts: tuple            # dx of each shifted copy (negative: left)
    images: tuple            # the original, then each shifted copy (28×28, procedural digit)
    lit: tuple               # lit positions of each image's flattened 784-vector (core.lit_positions)
    overlaps: tuple          # per shift: (positions lit in both, that count / the original's lit count)
    landing: np.ndarray      # where each pixel lands in the vector


def digit_shift_data(value: int = 5, shifts: tuple = (-3, 3), threshold: int = 128) -> DigitShiftData:
    """The procedural digit 5 (``images.digit``) moved 3 pixels left and 3 right (``images.shift``)."""
    base = images.digit(value)
    imgs = (base,) + tuple(images.shift(base, dx=dx) for dx in shifts)
    lit = tuple(core.lit_positions(im, threshold) for im in imgs)
    overlaps = tuple(core.position_overlap(lit[0], l) for l in lit[1:])
    return DigitShiftData(value, threshold, tuple(shifts), imgs, lit, overlaps, landing_positions(base.shape))


def _shift_name(dx: int) -> str:
    return "original" if dx == 0 else f"{abs(dx)} px {'left' if dx < 0 else 'right'}"


class DigitShiftBig(CnnvizScene):
    data = staticmethod(digit_shift_data)

    def construct(self):
        d = self.data()
        base_lit = set(d.lit[0].tolist())
        n0 = len(base_lit)
        head = title("The same digit, shifted: other inputs light up", size=32)
        self.play(FadeIn(head), run_time=0.5)

        dxs = (0,) + d.shifts
        order = sorted(range(len(dxs)), key=lambda k: dxs[k])  # left to right on screen
        xs = np.linspace(-4.6, 4.6, len(dxs)) if len(dxs) > 1 else np.zeros(1)
        strip_left, strip_len, thick = -5.0, 11.7, 0.34
        strip_ys = -0.95 - 0.62 * np.arange(len(dxs))
        pos = d.landing

        def colour(k):
            """Original: lit = input colour; shifted: lit in both = highlight, newly lit = negative."""
            def f(r, c, v):
                if v < d.threshold:
                    return shade_gray(v * 0.6)
                if k == 0:
                    return theme.INPUT
                return theme.HIGHLIGHT if int(pos[r, c]) in base_lit else theme.NEGATIVE
            return f

        digits, strips, names, counts = [], [], [], []
        for slot, k in enumerate(order):
            pc = PixelCells(d.images[k], height=2.85, color_of=colour(k)).move_to([xs[slot], 1.6, 0])
            digits.append(pc)
        for k in range(len(dxs)):
            pc = digits[order.index(k)]
            strips.append(pc.flat_layout(pos, start=[strip_left, strip_ys[k], 0], length=strip_len, thickness=thick))
            names.append(label(_shift_name(dxs[k]), size=theme.SMALL_SIZE, color=theme.INPUT if k == 0 else theme.TEXT)
                         .next_to([strip_left, strip_ys[k], 0], LEFT, buff=0.2))
            if k == 0:
                text, col = f"original: {n0} lit pixels", theme.INPUT
            else:
                cnt, frac = d.overlaps[k - 1]
                text, col = f"{_shift_name(dxs[k])}: {cnt} of {n0} ({round(100 * frac)} %)", theme.HIGHLIGHT
            counts.append(fit_width(label(text, size=theme.SMALL_SIZE, color=col), xs[1] - xs[0] - 0.2 if len(xs) > 1
                                    else 6.0).next_to(pc, DOWN, buff=0.18))

        # 1. the original and its lit positions in the 784-vector
        k0 = order.index(0)
        self.play(Fade(digits[k0], out=False), FadeIn(counts[0]), run_time=0.6)
        self.play(LaggedStart(*(ReplacementTransform(row.copy(), t) for row, t in zip(digits[k0].rows, strips[0])),
                              lag_ratio=0.08), FadeIn(names[0]), run_time=1.3)
        self.beat(hold=1.0)

        # 2. each shift: its digit, its vector; positions lit in both vs newly lit
        for k in range(1, len(dxs)):
            pc = digits[order.index(k)]
            ghost = digits[k0].copy()
            self.play(ghost.animate.move_to(pc), run_time=0.5)
            self.add(pc)
            self.remove(ghost)
            self.play(LaggedStart(*(ReplacementTransform(row.copy(), t) for row, t in zip(pc.rows, strips[k])),
                                  lag_ratio=0.05), FadeIn(names[k]), run_time=1.0)
            self.play(FadeIn(counts[k]), run_time=0.5)
            self.beat(hold=1.2)

        legend = VGroup(
            label("■ lit in both", size=theme.SMALL_SIZE, color=theme.HIGHLIGHT),
            label("■ newly lit", size=theme.SMALL_SIZE, color=theme.NEGATIVE),
            label("■ lit in the original", size=theme.SMALL_SIZE, color=theme.INPUT),
        ).arrange(RIGHT, buff=0.6)
        legend.next_to([0, strip_ys[-1], 0], DOWN, buff=0.35)
        worst = min(f for _, f in d.overlaps) if d.overlaps else 1.0
        end = label(f"To an MLP this is a new input: only {round(100 * worst)} % of the {d.value}'s lit pixels "
                    f"still match",
                    size=theme.SMALL_SIZE).to_edge(DOWN, buff=0.3)
        fit_width(end, theme.FRAME_WIDTH - 0.6)
        self.play(FadeIn(legend), run_time=0.5)
        self.beat(hold=0.8)
        self.play(FadeIn(end), run_time=0.5)
        self.beat(hold=2.5)
        self.clear_all()
