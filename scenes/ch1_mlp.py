"""Chapter 1, section II — the naive approach, a multilayer perceptron on the flattened image, and its three limits: spatial neighbourhood lost, a giant number of parameters, no translation invariance.

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

from cnnviz import core, images, notation, theme, trained
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
    fmt_num,
    label,
    shade_gray,
    title,
    zoom_callout,
)
from cnnviz.params import Param, Photo


# ============================================================ FlatteningSimple
#: the largest crop the vector shows with readable numbers: 20 cells of 3-digit values at font ≥ 20 fill the
#: frame's width (2 to 5 rows and columns)
FLAT_MAX_PIXELS, FLAT_MAX_SIDE = 20, 5


@dataclass(frozen=True)
class FlatteningData:
    name: str                # the photo: a built-in name or a file's path
    photo_size: tuple
    preview: np.ndarray      # the whole photo as shown: every ``preview_step``-th pixel
    preview_step: int
    box: tuple               # the crop (photo pixels)
    factor: int
    pixels: np.ndarray       # H×W: the grid that is flattened
    vector: np.ndarray       # core.flatten(pixels)
    landing: np.ndarray      # H×W: where pixel (r, c) lands in the vector (0-based; shown 1-based)
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


def flattening_data(
    photo: Annotated[Photo, Param("the photo: camera, chelsea, astronaut, or your PNG/JPEG file")] = "camera",
    box: Annotated[tuple[int, ...], Param("crop of the photo in its pixels: left, top, right, bottom; cut "
                                          "in factor×factor blocks it gives the grid: 2×2 up to 20 pixels, at "
                                          "most 5 a side", min=0, max_shape=(4,))] = (280, 400, 296, 416),
    factor: Annotated[int, Param("block size: each grid value is the mean of factor×factor photo pixels",
                                 min=1, max=256)] = 4,
    big_shape: Annotated[tuple[int, ...], Param("a larger image (height, width) whose vertical neighbours are "
                                                "measured too", min=2, max=10_000, max_shape=(2,))] = (28, 28),
) -> FlatteningData:
    """A 4×4 patch of the cameraman's tripod: its pole is a dark vertical stripe (column 3)."""
    if len(box) != 4:
        raise ValueError(f"box: a crop is four numbers (left, top, right, bottom), got {len(box)}")
    if len(big_shape) != 2:
        raise ValueError(f"big_shape: an image's height and width (2 numbers), got {len(big_shape)}")
    full = images.photo(photo, "L")
    step = preview_step(full.shape)
    px = images.photo(photo, "L", box=box, factor=factor)
    h, w = px.shape
    if h < 2 or w < 2:
        raise ValueError(f"box: the crop gives a {h}×{w} grid; it needs at least 2×2 (vertical and horizontal "
                         "neighbours)")
    if h * w > FLAT_MAX_PIXELS or max(h, w) > FLAT_MAX_SIDE:
        raise ValueError(f"box: the crop gives a {h}×{w} grid: a grid of at most {FLAT_MAX_PIXELS} pixels "
                         f"(4×5 or 5×4) fits this scene at a readable size")
    landing = landing_positions((h, w))
    stripe = int(np.argmin(px.mean(axis=0)))
    vert = ((0, stripe), (1, stripe))
    hc = stripe + 1 if stripe + 1 < w else stripe - 1
    horiz = ((0, min(stripe, hc)), (0, max(stripe, hc)))
    big = landing_positions(big_shape)
    return FlatteningData(
        str(photo), full.shape[:2], full[::step, ::step].copy(), step, tuple(box), factor, px, core.flatten(px),
        landing, stripe, vert, int(landing[vert[1]] - landing[vert[0]]), horiz,
        int(landing[horiz[1]] - landing[horiz[0]]), tuple(big_shape), int(big[1, 0] - big[0, 0]))


def _ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 22nd …"""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


class FlatteningSimple(CnnvizScene):
    data = staticmethod(flattening_data)

    def must_show(self, d) -> list[str]:
        return [*(fmt_int(v) for v in d.vector), core.fmt_shape(d.pixels.shape) + " image",
                f"vector of {d.vector.size}", f"{d.v_distance} positions apart", f"{d.h_distance} apart"]

    def construct(self):
        d = self.data()
        h, w = d.pixels.shape
        n = h * w
        head = title("Flattening: the image is read row by row", size=32)

        # the vector along the bottom, as wide as the frame allows, its numbers as large as its cells allow
        vcell = min(0.8, (theme.FRAME_WIDTH - 0.8) / n)
        vfont = min(theme.CELL_FONT * 1.2, theme.MIN_FONT * vcell / readable_cell(d.vector))
        vec = ValueGrid(d.vector.reshape(1, -1), cell_size=vcell, shade="gray", vrange=(0, 255),
                        color=theme.GRID_LINE, stroke_width=1.0, font_size=max(theme.MIN_FONT, vfont))
        vec.move_to([0, -1.2, 0])
        idx = VGroup(*(label(str(k + 1), size=theme.MIN_FONT, color=theme.MUTED)
                       .next_to(vec.cell(0, k), DOWN, buff=0.1) for k in range(n)))

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
        self.add(head, photo, crop, lines, grid, gname)
        self.beat(note=f"An image is not just a random list of numbers: it is a 2D structured object. Here, a "
                       f"{core.fmt_shape(d.pixels.shape)} patch of {notation.photo_name(d.name)}.", hold=1.0)

        # 1. row by row into one vector: pixel (r, c) lands at r·W + c (position r·W + c + 1, counted from 1)
        frame = None
        for r in range(h):
            row = grid.window(r, 0, 1, w)
            slots = [int(d.landing[r, c]) for c in range(w)]
            src = VGroup(*(grid.cell(r, c).copy() for c in range(w)))  # the cells fly; the numbers never cross
            dst = VGroup(*(vec.cell(0, k) for k in slots))
            numbers = VGroup(*(vec.label_at(0, k) for k in slots), *(idx[k] for k in slots))
            anims = [LaggedStart(ReplacementTransform(src, dst), FadeIn(numbers), lag_ratio=1.0)]
            if frame is None:
                frame = row
                anims += [Create(frame), FadeOut(lines)]
            else:
                anims.append(frame.animate.move_to(row))
            self.play(*anims, run_time=1.0 if r < 2 else 0.6)
        vname = label(f"vector of {n}", size=theme.BODY_SIZE, color=theme.INPUT)
        vname.next_to(vec, UP, buff=0.2).align_to(vec, RIGHT)
        self.play(FadeOut(frame), FadeIn(vname), run_time=0.4)
        self.beat(note=f"To feed an MLP we flatten the image: row 1, then row 2, and so on, one after the other, "
                       f"into a single vector of {n} values.", hold=0.8)

        # 2. a vertical stripe of the picture ends up scattered
        c = d.stripe
        marks = VGroup(*(grid.window(r, c, 1, 1, stroke_width=5) for r in range(h)))
        vmarks = VGroup(*(vec.window(0, int(d.landing[r, c]), 1, 1, stroke_width=5) for r in range(h)))
        note = label(f"one vertical stripe of the image → every {_ordinal(d.v_distance)} position of the vector",
                     size=theme.SMALL_SIZE, color=theme.HIGHLIGHT).to_edge(DOWN, buff=0.35)
        fit_width(note, theme.FRAME_WIDTH - 0.6)
        self.play(Create(marks), Create(vmarks), FadeIn(note), run_time=0.9)
        self.beat(note=f"Neighbouring pixels work together to form shapes: the darkest column, "
                       f"{notation.column_name(c)}, is one stripe of the picture. In the vector it is scattered "
                       f"over every {_ordinal(d.v_distance)} position.", hold=1.2)

        # 3. the distances: vertical neighbours W apart, horizontal neighbours 1 apart
        (a, b), (p, q) = d.vertical, d.horizontal
        ka, kb = int(d.landing[a]), int(d.landing[b])
        kp, kq = int(d.landing[p]), int(d.landing[q])
        below = idx.get_bottom()[1] - 0.1
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
        self.beat(note=f"Pixels that touch in the image drift apart: horizontal neighbours stay {d.h_distance} "
                       f"apart, but vertical neighbours end up {d.v_distance} positions apart.", hold=1.5)

        big = d.big_shape
        end = caption(f"A {core.fmt_shape(big)} image: vertical neighbours end up {fmt_int(d.big_distance)} "
                      f"positions apart. The geometry is lost.", size=theme.SMALL_SIZE, color=theme.TEXT)
        self.play(FadeIn(end), run_time=0.5)
        self.beat(note=f"In a {core.fmt_shape(big)} image they are {fmt_int(d.big_distance)} positions apart: the "
                       "network reads the image pixel by pixel, without its geometry.", hold=2.0)
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
    hidden: int              # the hidden width of the network for that photo
    big_sizes: tuple         # that network: (big_inputs, hidden, …, hidden, sizes[-1])
    big_terms: tuple         # (weights, biases) of each of its layers
    big_totals: tuple        # weights + biases of each of its layers
    big_total: int           # core.mlp_params(big_sizes)
    ratio: float             # big_total / total
    scale_words: str         # big_total in words: "3.0 billion", "12.3 million", ""


def in_words(n: int) -> str:
    """A large count rounded in words: ``3,001,012,010`` → "3.0 billion", ``12,345,678`` → "12.3 million"; ""
    below a million."""
    for size, word in ((10**12, "trillion"), (10**9, "billion"), (10**6, "million")):
        if n >= size:
            return f"{fmt_num(round(n / size, 1), 1)} {word}"
    return ""


def mlp_param_data(
    sizes: Annotated[tuple[int, ...], Param("the MLP's layer sizes, input first (2 to 5 layers)", min=1,
                                            max=100_000, max_shape=(5,))] = (784, 100, 100, 10),
    image_shape: Annotated[tuple[int, ...], Param("a realistic photo: height, width, channels", min=1,
                                                  max=10_000, max_shape=(3,))] = (1000, 1000, 3),
    hidden: Annotated[int, Param("neurons per hidden layer of the network for that photo", min=1,
                                 max=100_000)] = 1000,
) -> MLPParamData:
    """The notebook's MLP for 28×28 MNIST digits, layer by layer, then the same number of hidden layers,
    ``hidden`` neurons each, on a flattened 1000×1000 colour photo: billions of parameters."""
    sizes, image_shape = tuple(sizes), tuple(image_shape)
    if not 2 <= len(sizes) <= 5:
        raise ValueError(f"sizes: an MLP of 2 to 5 layers fits this scene, got {len(sizes)}")
    if len(image_shape) != 3:
        raise ValueError(f"image_shape: height, width and channels (3 numbers), got {len(image_shape)}")
    if not 1 <= image_shape[2] <= 4:
        raise ValueError(f"image_shape: a photo has 1 to 4 channels, got {image_shape[2]}")
    terms = tuple(core.mlp_param_terms(sizes))
    big_inputs = int(np.prod(image_shape))
    big_sizes = (big_inputs,) + (int(hidden),) * (len(sizes) - 2) + (sizes[-1],)
    big_terms = tuple(core.mlp_param_terms(big_sizes))
    total, big_total = core.mlp_params(sizes), core.mlp_params(big_sizes)
    return MLPParamData(sizes, terms, tuple(w + b for w, b in terms), total, image_shape, big_inputs,
                        int(hidden), big_sizes, big_terms, tuple(w + b for w, b in big_terms), big_total,
                        big_total / total, in_words(big_total))


def shape_text(shape: tuple) -> str:
    """A shape with thousands separators: ``(1000, 1000, 3)`` → "1,000×1,000×3"."""
    return "×".join(fmt_int(n) for n in shape)


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


def _param_rows(sizes: tuple, terms: tuple, totals: tuple, top: float) -> VGroup:
    """One row per layer: "layer k   a × b   +   biases   =   total", columns aligned, centred."""
    rows = []
    for k, ((_, bias), tot) in enumerate(zip(terms, totals)):
        rows.append(term_row([
            label(f"layer {k + 1}", size=theme.BODY_SIZE, color=theme.MUTED),
            label(f"{fmt_int(sizes[k])} × {fmt_int(sizes[k + 1])}", size=theme.BODY_SIZE, color=theme.KERNEL),
            label("+", size=theme.BODY_SIZE),
            label(fmt_int(bias), size=theme.BODY_SIZE, color=theme.BIAS),
            label("=", size=theme.BODY_SIZE),
            label(fmt_int(tot), size=theme.BODY_SIZE),
        ]).set_y(top - 0.5 * k))
    align_columns(rows, x0=0)
    table = VGroup(*rows)
    return table.move_to([0, table.get_y(), 0])


class MLPParameterCount(CnnvizScene):
    data = staticmethod(mlp_param_data)

    def must_show(self, d) -> list[str]:
        out = [fmt_int(n) for n in d.sizes + d.big_sizes + d.layer_totals + d.big_totals]
        out += [fmt_int(b) for _, b in d.terms + d.big_terms]
        out += [f"{fmt_int(d.total)} parameters", f"{fmt_int(d.big_total)} parameters", shape_text(d.image_shape)]
        return out

    def construct(self):
        d = self.data()
        arrow = " → ".join(fmt_int(n) for n in d.sizes)
        head = fit_width(title(f"Parameters of the MLP {arrow}", size=32), theme.FRAME_WIDTH - 0.8)
        net = MLPDiagram(d.sizes, width=8.4, height=2.7, edge_opacity=0.3).move_to([-1.3, 1.05, 0])
        legend = VGroup(label("weights: one per edge", size=theme.SMALL_SIZE, color=theme.KERNEL),
                        label("biases: one per neuron", size=theme.SMALL_SIZE, color=theme.BIAS))
        legend.arrange(DOWN, aligned_edge=LEFT, buff=0.12).move_to([0, 1.05, 0]).to_edge(RIGHT, buff=0.35)
        self.add(head, net, legend)
        self.beat(note=f"Let's do the math for this MLP: {fmt_int(d.sizes[0])} inputs, then layers of "
                       f"{', '.join(fmt_int(n) for n in d.sizes[1:])} neurons. Every parameter is a weight (one per "
                       f"edge) or a bias (one per neuron).", hold=1.0)

        # 1. layer by layer: weights (one per edge) + biases (one per receiving neuron)
        top = -1.15
        rows = _param_rows(d.sizes, d.terms, d.layer_totals, top)
        for k, r in enumerate(rows):
            edges, receivers = net.edges[k], net.layers[k + 1].neurons
            (wts, bias), tot = d.terms[k], d.layer_totals[k]
            self.bring_to_front(edges, receivers)  # only what changes is redrawn on each frame
            self.play(edges.animate.set_stroke(theme.KERNEL, opacity=0.8),
                      receivers.animate.set_stroke(theme.BIAS), FadeIn(r), run_time=0.7)
            self.beat(note=f"Layer {k + 1}: {fmt_int(d.sizes[k])} × {fmt_int(d.sizes[k + 1])} = {fmt_int(wts)} "
                           f"weights, plus {fmt_int(bias)} biases, one per neuron: {fmt_int(tot)}.",
                      hold=0.8 if k == 0 else 0.5)
            self.play(edges.animate.set_stroke(theme.MUTED, opacity=0.3), run_time=0.25)

        # 2. the total
        parts = " + ".join(fmt_int(t) for t in d.layer_totals)
        total = label(f"total: {parts} = {fmt_int(d.total)} parameters", size=30, color=theme.HIGHLIGHT)
        if total.width * theme.MIN_FONT / 30 > theme.FRAME_WIDTH - 0.8:  # too long for one readable line
            total = label(f"total, the sum of the layers: {fmt_int(d.total)} parameters", size=30,
                          color=theme.HIGHLIGHT)
        total.move_to([0, rows.get_bottom()[1] - 0.45, 0])
        fit_width(total, theme.FRAME_WIDTH - 0.8)
        self.play(FadeIn(total, shift=0.2 * UP), run_time=0.6)
        self.beat(note=f"In total {fmt_int(d.total)} parameters, for an input of just {fmt_int(d.sizes[0])} "
                       f"values.", hold=1.5)

        # 3. a realistic photo: the same depth, wider layers; the title follows the diagram
        big_arrow = " → ".join(fmt_int(n) for n in d.big_sizes)
        head2 = fit_width(title(f"Parameters of the MLP {big_arrow}", size=32), theme.FRAME_WIDTH - 0.8)
        photo = label(f"a {shape_text(d.image_shape)} photo, flattened: {fmt_int(d.big_inputs)} inputs",
                      size=theme.BODY_SIZE, color=theme.NEGATIVE)
        photo.next_to(head2, DOWN, buff=0.2)
        fit_width(photo, theme.FRAME_WIDTH - 0.8)
        new_sizes = VGroup(*(label(fmt_int(n), size=old.font_size, color=theme.NEGATIVE if n != m else theme.TEXT)
                             .move_to(old) for n, m, old in zip(d.big_sizes, d.sizes, net.size_labels)))
        changed = [k for k, (n, m) in enumerate(zip(d.big_sizes, d.sizes)) if n != m]
        self.play(FadeOut(head), FadeOut(rows), FadeOut(total), *(FadeOut(net.size_labels[k]) for k in changed),
                  run_time=0.5)
        big_rows = _param_rows(d.big_sizes, d.big_terms, d.big_totals, top)
        fit_width(big_rows, theme.FRAME_WIDTH - 0.8)
        words = f" ≈ {d.scale_words}" if d.scale_words else ""
        big_total = label(f"total: {fmt_int(d.big_total)} parameters{words}", size=30, color=theme.NEGATIVE)
        big_total.move_to([0, big_rows.get_bottom()[1] - 0.45, 0])
        fit_width(big_total, theme.FRAME_WIDTH - 0.8)
        self.bring_to_front(net.edges)
        self.play(FadeIn(head2), FadeIn(photo), *(FadeIn(new_sizes[k]) for k in changed),
                  net.edges.animate.set_stroke(theme.NEGATIVE, opacity=0.6), FadeIn(big_rows), run_time=0.8)
        self.beat(note=f"On a realistic {shape_text(d.image_shape)} colour photo the input is "
                       f"{fmt_int(d.big_inputs)} values; with {fmt_int(d.hidden)} neurons per hidden layer, "
                       f"layer 1 alone has {fmt_int(d.big_totals[0])} parameters.", hold=1.5)
        self.play(FadeIn(big_total, shift=0.2 * UP), run_time=0.6)
        times = f": {fmt_int(round(d.ratio))} times the small network" if d.ratio >= 2 else ""
        self.beat(note=f"{fmt_int(d.big_total)} parameters{words}{times}. The more inputs and neurons, the more "
                       f"parameters: a model this size is impossible to train efficiently.", hold=2.5)
        self.clear_all()


# ============================================================ MLP_Style_NoText_Fixed
@dataclass(frozen=True)
class MLPFlowData:
    value: int               # the digit drawn
    digit: np.ndarray        # 28×28 uint8, drawn procedurally by cnnviz.images.digit (no file, no download)
    vector: np.ndarray       # core.flatten(digit): the 784 inputs
    landing: np.ndarray      # 28×28: where each pixel lands in the vector
    sizes: tuple             # the trained MLP's layer sizes (784, 100, 100, 10)
    input_shown: tuple       # the input neurons drawn: half inked pixels, half background, in vector order
    activations: tuple       # every layer's activations (core.mlp_forward with the trained weights)
    probabilities: np.ndarray  # the 10 class probabilities (the last activations)
    predicted: int           # the most probable class
    confidence: str          # its probability as written on screen ("> 99.9 %", "87.3 %")
    verdict: str             # the sentence under the network


def percent(p: float) -> str:
    """A probability as a percentage with one decimal; one that rounds to 100 % is written "> 99.9 %"
    (it is never exactly certain), one that rounds to 0 % "< 0.1 %"."""
    pct = 100.0 * float(p)
    if round(pct, 1) >= 100.0 and pct < 100.0:
        return "> 99.9 %"
    if round(pct, 1) <= 0.0 < pct:
        return "< 0.1 %"
    return f"{pct:.1f} %"


def mlp_flow_data(
    digit: Annotated[int, Param("the handwritten-style digit drawn and classified", min=0, max=9)] = 5,
    n_shown: Annotated[int, Param("input neurons drawn (half on inked pixels, half on background)",
                                  min=2, max=10)] = 10,
) -> MLPFlowData:
    """The procedural 28×28 ``digit`` (``images.digit``) flattened into the 784 inputs of the course's
    **trained** MLP 784 → 100 → 100 → 10 (``cnnviz.trained.mlp``): its activations layer by layer
    (``core.mlp_forward``), the class it predicts and that class's probability."""
    if isinstance(digit, bool) or not isinstance(digit, (int, np.integer)) or not 0 <= digit <= 9:
        raise ValueError(f"digit must be one of 0–9, got {digit!r}")
    if isinstance(n_shown, bool) or not isinstance(n_shown, (int, np.integer)) or not 2 <= n_shown <= 10:
        raise ValueError(f"n_shown: from 2 to 10 input neurons fit this scene, got {n_shown!r}")
    img = images.digit(int(digit))
    vec = core.flatten(img)
    params = trained.mlp()
    sizes = (int(params[0][0].shape[0]),) + tuple(int(w.shape[1]) for w, _ in params)
    lit = core.lit_positions(img, threshold=1)
    dark = np.setdiff1d(np.arange(lit.min(), lit.max() + 1), lit)
    k_lit = n_shown // 2

    def pick(pool: np.ndarray, k: int) -> np.ndarray:  # k evenly spaced members of pool
        return pool[np.round(np.linspace(0, pool.size - 1, k)).astype(int)]

    shown = tuple(int(i) for i in np.sort(np.concatenate([pick(lit, k_lit), pick(dark, n_shown - k_lit)])))
    acts = tuple(core.mlp_forward(vec / 255.0, params))
    probs = acts[-1]
    pred = int(np.argmax(probs))
    conf = percent(probs[pred])
    if pred == digit:
        verdict = f"The trained MLP reads a {pred}: probability {conf}"
    else:
        verdict = f"The trained MLP reads this {digit} as a {pred}: probability {conf}"
    return MLPFlowData(int(digit), img, vec, landing_positions(img.shape), sizes, shown, acts, probs, pred, conf,
                       verdict)


class MLP_Style_NoText_Fixed(CnnvizScene):  # noqa: N801 (the notebook's name)
    data = staticmethod(mlp_flow_data)

    def must_show(self, d) -> list[str]:
        return [core.fmt_shape(d.digit.shape), *(fmt_int(n) for n in d.sizes), *(str(k) for k in range(d.sizes[-1])),
                d.confidence, d.verdict]

    def construct(self):
        d = self.data()
        sizes = " → ".join(fmt_int(n) for n in d.sizes)
        head = title("An MLP reads the flattened digit", size=32)

        # the digit, left; its vector, a thin vertical bar; the network, right; the class names beside its outputs
        digit = PixelCells(d.digit, height=3.9).move_to([-4.75, 0.55, 0])
        shape = label(core.fmt_shape(d.digit.shape), size=theme.SMALL_SIZE, color=theme.MUTED)
        shape.next_to(digit, DOWN, buff=0.2)
        top, length, strip_x = 2.95, 6.35, -2.3
        strip = digit.flat_layout(d.landing, start=[strip_x, top, 0], length=length, thickness=0.3, direction=DOWN)
        frame = Rectangle(width=0.3, height=length, stroke_color=theme.INPUT, stroke_width=1.5)
        frame.move_to([strip_x, top - length / 2, 0])
        vname = label(f"{fmt_int(d.vector.size)} inputs", size=theme.SMALL_SIZE, color=theme.INPUT)
        vname.next_to(frame, LEFT, buff=0.15).align_to(frame, DOWN)
        net = MLPDiagram(d.sizes, width=5.8, height=4.8, shown=[d.input_shown], edge_opacity=0.25)
        net.move_to([1.85, 0.45, 0])
        slot = length / d.vector.size
        feeds = VGroup(*(Line([strip_x + 0.15, top - (k + 0.5) * slot, 0], neuron.get_left(),
                              stroke_color=theme.INPUT, stroke_width=1.2, stroke_opacity=0.5)
                         for k, neuron in zip(d.input_shown, net.layers[0].neurons)))
        outputs = net.layers[-1]
        classes = outputs.labels_beside([str(k) for k in outputs.indices], side=RIGHT, color=theme.OUTPUT,
                                        buff=0.15)
        best = outputs.neurons[list(outputs.indices).index(d.predicted)]
        prob = label(d.confidence, size=theme.SMALL_SIZE, color=theme.HIGHLIGHT)
        prob.next_to(classes[list(outputs.indices).index(d.predicted)], RIGHT, buff=0.25)
        verdict = label(d.verdict, size=theme.BODY_SIZE, color=theme.HIGHLIGHT)
        fit_width(verdict, theme.FRAME_WIDTH / 2 - 0.3 - (strip_x + 0.45))
        verdict.move_to([0, -3.35, 0]).align_to([strip_x + 0.45, 0, 0], LEFT)
        self.add(head, digit, shape)
        self.beat(note=f"MNIST digits are {core.fmt_shape(d.digit.shape)} grayscale images, pixel values from 0 "
                       f"to 255. To classify this {d.value}, the first method that comes to mind is an MLP.",
                  hold=1.0)

        # 1. flattened: the rows, one after the other, become one long vector
        self.play(LaggedStart(*(ReplacementTransform(row.copy(), target) for row, target in zip(digit.rows, strip)),
                              lag_ratio=0.12), Create(frame), FadeIn(vname), run_time=2.0)
        self.beat(note=f"An MLP expects a flat vector, not a matrix: we flatten the {core.fmt_shape(d.digit.shape)} "
                       f"image, row after row, into a single vector of {fmt_int(d.vector.size)} pixels.", hold=0.8)

        # 2. the vector feeds the network's input layer, one neuron per pixel
        self.play(Fade(net, out=False), Create(feeds), FadeIn(classes), run_time=0.8)
        self.beat(note=f"Each pixel feeds one input neuron of the MLP {sizes}; every neuron is connected to "
                       f"every neuron of the next layer. The {d.sizes[-1]} outputs are the classes 0 to "
                       f"{d.sizes[-1] - 1}.", hold=0.8)

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
        self.beat(note="The activations flow forward layer by layer: the brighter a neuron, the larger its "
                       "activation. These weights were learnt on thousands of digits.", hold=1.0)

        # 4. the prediction: the most probable class lights up, with its probability
        ring = best.copy().set_fill(opacity=0).set_stroke(theme.HIGHLIGHT, width=5).scale(1.35)
        self.play(best.animate.set_fill(theme.HIGHLIGHT, opacity=1), Create(ring),
                  classes[list(outputs.indices).index(d.predicted)].animate.set_color(theme.HIGHLIGHT),
                  FadeIn(prob), FadeIn(verdict), run_time=0.7)
        second = int(np.argsort(d.probabilities)[-2])
        self.beat(note=f"The output with the largest probability is the prediction: {d.predicted}, with "
                       f"{d.confidence}; the next best, {second}, gets {percent(d.probabilities[second])}.",
                  hold=2.5)
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
    newly_lit: tuple         # per shift: positions lit in the copy but not in the original (sorted)
    gone_dark: tuple         # per shift: positions lit in the original but not in the copy (sorted)
    landing: np.ndarray      # where each pixel lands in the vector
    max_shift: int           # the largest shift that keeps all the digit's ink inside the image


def digit_shift_data(
    digit: Annotated[int, Param("the handwritten-style digit that is shifted", min=0, max=9)] = 5,
    shift: Annotated[int, Param("how many pixels it moves left, and right (at most its blank margin)",
                                min=1, max=10)] = 3,
    threshold: Annotated[int, Param("a pixel counts as lit from this value on", min=1, max=255)] = 128,
) -> DigitShiftData:
    """The procedural ``digit`` (``images.digit``) moved ``shift`` pixels left and right (``images.shift``):
    which positions of the flattened 784-vector are lit in both, newly lit, or no longer lit."""
    for name, v, lo, hi in (("digit", digit, 0, 9), ("shift", shift, 1, 27), ("threshold", threshold, 1, 255)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not lo <= v <= hi:
            raise ValueError(f"{name} must be a whole number from {lo} to {hi}, got {v!r}")
    base = images.digit(int(digit))
    inked = np.flatnonzero(base.max(axis=0) > 0)
    margin = int(min(inked.min(), base.shape[1] - 1 - inked.max()))
    if shift > margin:
        raise ValueError(f"shift: moving the {digit} by {shift} pixels pushes its ink out of the image: a shift of "
                         f"at most {margin} keeps the whole {digit}")
    shifts = (-int(shift), int(shift))
    imgs = (base,) + tuple(images.shift(base, dx=dx) for dx in shifts)
    lit = tuple(core.lit_positions(im, threshold) for im in imgs)
    overlaps = tuple(core.position_overlap(lit[0], l) for l in lit[1:])
    newly = tuple(np.setdiff1d(l, lit[0]) for l in lit[1:])
    gone = tuple(np.setdiff1d(lit[0], l) for l in lit[1:])
    return DigitShiftData(int(digit), int(threshold), shifts, imgs, lit, overlaps, newly, gone,
                          landing_positions(base.shape), margin)


def _shift_name(dx: int) -> str:
    return "original" if dx == 0 else f"{abs(dx)} px {'left' if dx < 0 else 'right'}"


def _pct(frac: float) -> str:
    return f"{round(100 * frac)} %"


class DigitShiftBig(CnnvizScene):
    data = staticmethod(digit_shift_data)

    def must_show(self, d) -> list[str]:
        n0 = len(d.lit[0])
        out = [f"original: {fmt_int(n0)} lit pixels"]
        for dx, (cnt, frac), new, gone in zip(d.shifts, d.overlaps, d.newly_lit, d.gone_dark):
            out += [f"{fmt_int(cnt)} of {fmt_int(n0)} still lit ({_pct(frac)})",
                    f"{fmt_int(len(new))} newly lit, {fmt_int(len(gone))} gone dark"]
        return out

    def construct(self):
        d = self.data()
        base_lit = set(d.lit[0].tolist())
        n0 = len(base_lit)
        head = title("The same digit, shifted: other inputs light up", size=32)

        dxs = (0,) + d.shifts
        order = sorted(range(len(dxs)), key=lambda k: dxs[k])  # left to right on screen
        xs = np.linspace(-4.6, 4.6, len(dxs))
        strip_left, strip_len, thick = -5.0, 11.7, 0.34
        strip_ys = -0.75 - 0.75 * np.arange(len(dxs))
        pos = d.landing
        lit_sets = [set(l.tolist()) for l in d.lit]
        slot = strip_len / d.images[0].size

        def colour(k):
            """Original: lit = input colour; a copy: lit in both = highlight, newly lit = negative,
            lit in the original only (gone dark) = bias colour."""
            def f(r, c, v):
                p = int(pos[r, c])
                if k == 0:
                    return theme.INPUT if v >= d.threshold else shade_gray(v * 0.6)
                if v >= d.threshold:
                    return theme.HIGHLIGHT if p in base_lit else theme.NEGATIVE
                return theme.BIAS if p in base_lit else shade_gray(v * 0.6)
            return f

        def shown(k):  # the copy's pixels, with the original's lit pixels that went dark kept visible
            if k == 0:
                return d.images[0]
            gone = np.isin(pos, d.gone_dark[k - 1])
            return np.where(gone, np.maximum(d.images[k], 1), d.images[k])

        def ticks(k):
            """The changed positions of copy k on its strip, each drawn at least 0.045 wide to be seen."""
            out = VGroup()
            for ps, col in ((d.newly_lit[k - 1], theme.NEGATIVE), (d.gone_dark[k - 1], theme.BIAS)):
                for p in ps:
                    out.add(Rectangle(width=max(slot, 0.045), height=thick * 1.5, stroke_width=0)
                            .set_fill(col, opacity=1).move_to([strip_left + (p + 0.5) * slot, strip_ys[k], 0]))
            return out

        digits = [None] * len(dxs)
        for slot_k, k in enumerate(order):
            digits[k] = PixelCells(shown(k), height=2.45, color_of=colour(k)).move_to([xs[slot_k], 1.85, 0])
        strips, names, counts = [], [], []
        for k in range(len(dxs)):
            pc = digits[k]
            strips.append(pc.flat_layout(pos, start=[strip_left, strip_ys[k], 0], length=strip_len, thickness=thick))
            names.append(label(_shift_name(dxs[k]), size=theme.SMALL_SIZE,
                               color=theme.INPUT if k == 0 else theme.TEXT)
                         .next_to([strip_left, strip_ys[k], 0], LEFT, buff=0.2))
            if k == 0:
                lines = [(f"original: {fmt_int(n0)} lit pixels", theme.INPUT)]
            else:
                cnt, frac = d.overlaps[k - 1]
                lines = [(f"{fmt_int(cnt)} of {fmt_int(n0)} still lit ({_pct(frac)})", theme.HIGHLIGHT),
                         (f"{fmt_int(len(d.newly_lit[k - 1]))} newly lit, {fmt_int(len(d.gone_dark[k - 1]))} "
                          f"gone dark", theme.NEGATIVE)]
            txt = VGroup(*(label(t, size=theme.SMALL_SIZE, color=col) for t, col in lines)).arrange(DOWN, buff=0.1)
            counts.append(fit_width(txt, xs[1] - xs[0] - 0.25).next_to(pc, DOWN, buff=0.15))
        self.add(head, digits[0], counts[0], names[0], strips[0])
        self.beat(note=f"To a human, a {d.value} is a {d.value} wherever it is. An MLP looks at each pixel position "
                       f"separately: this {d.value} lights {n0} of the {fmt_int(d.images[0].size)} inputs.", hold=1.2)

        # each shift: its digit, its vector; positions lit in both, newly lit, gone dark
        for k in range(1, len(dxs)):
            pc = digits[k]
            ghost = digits[0].copy()
            self.play(ghost.animate.move_to(pc), run_time=0.5)
            self.add(pc)
            self.remove(ghost)
            self.play(LaggedStart(*(ReplacementTransform(row.copy(), t) for row, t in zip(pc.rows, strips[k])),
                                  lag_ratio=0.05), FadeIn(names[k]), run_time=1.0)
            marks = ticks(k)
            self.play(FadeIn(marks), FadeIn(counts[k]), run_time=0.6)
            cnt, frac = d.overlaps[k - 1]
            self.beat(note=f"Shifted {_shift_name(dxs[k])}, different input pixels light up: "
                           f"{len(d.newly_lit[k - 1])} positions are newly lit (red), {len(d.gone_dark[k - 1])} "
                           f"went dark; only {cnt} of {n0} stay lit.", hold=1.2)

        legend = VGroup(
            label("■ lit in both", size=theme.SMALL_SIZE, color=theme.HIGHLIGHT),
            label("■ newly lit", size=theme.SMALL_SIZE, color=theme.NEGATIVE),
            label("■ gone dark", size=theme.SMALL_SIZE, color=theme.BIAS),
            label("■ lit in the original", size=theme.SMALL_SIZE, color=theme.INPUT),
        ).arrange(RIGHT, buff=0.5)
        legend.next_to([0, strip_ys[-1], 0], DOWN, buff=0.45)
        fit_width(legend, theme.FRAME_WIDTH - 0.8)
        worst = min(f for _, f in d.overlaps)
        end = label(f"To an MLP this is a new input: only {_pct(worst)} of the {d.value}'s lit pixels "
                    f"still match", size=theme.BODY_SIZE).to_edge(DOWN, buff=0.3)
        fit_width(end, theme.FRAME_WIDTH - 0.6)
        self.play(FadeIn(legend), FadeIn(end), run_time=0.6)
        self.beat(note=f"To the MLP this looks like a completely different input: only {_pct(worst)} of the lit "
                       f"pixels still match. It has to re-learn what a {d.value} looks like for every position: "
                       f"no translation invariance.", hold=2.5)
        self.clear_all()
