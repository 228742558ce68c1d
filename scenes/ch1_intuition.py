"""Chapter 1 — the intuition behind CNNs: images as numbers, tensors, and why a plain MLP is not enough.

Each scene: a pure data function (inputs → every number shown, from
``cnnviz.core`` and ``cnnviz.images``) and the choreography that draws it with
the shared drawings. Every pixel value on screen is an actual pixel of the
photo on screen (``cnnviz.images.photo`` crops and box-downsamples the course's
photos); the digit is drawn procedurally by ``cnnviz.images.digit`` (no file,
nothing downloaded).
Render one with ``manim -ql scenes/ch1_intuition.py RealGrayscaleToMatrixV2``.
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
    MoveToTarget,
    Rectangle,
    ReplacementTransform,
    Transform,
    VGroup,
)
from manim.utils.color import ManimColor

from cnnviz import core, images, theme
from cnnviz.drawings import (
    ChannelGrid,
    CnnvizScene,
    Fade,
    MLPDiagram,
    PixelCells,
    PixelImage,
    TensorStack,
    ValueGrid,
    caption,
    color_cells,
    fit_width,
    fmt_int,
    fmt_num,
    label,
    shade_gray,
    title,
    zoom_callout,
)

#: The frame's width in scene units (Manim's default 14.2 × 8 frame), for layouts computed ahead of time.
FRAME_W = 14.2


def readable_cell(values, font_size: float = theme.MIN_FONT) -> float:
    """The smallest cell (scene units) in which the widest of ``values`` reads at ``font_size``.

    :class:`ValueGrid` shrinks a number to 86 % of its cell, so the cell must be
    the number's width / 0.86.
    """
    digits = max(len(str(int(v))) for v in np.ravel(values))
    return label("8" * digits, size=font_size, mono=True).width / 0.86


def preview_step(shape, longest: int = 300) -> int:
    """The stride that shows a whole photo with at most ``longest`` pixels on its long side: a photo
    drawn a few units wide needs no more, and a smaller raster is cheaper to draw on every frame."""
    return max(1, -(-max(shape[:2]) // longest))


def photo_box(img: PixelImage, box: tuple, step: int = 1, **kw) -> Rectangle:
    """The frame of a crop ``box = (left, top, right, bottom)`` (photo pixels) on a preview drawn
    with every ``step``-th pixel."""
    left, top, right, bottom = box
    kw.setdefault("stroke_width", 3)
    return img.box(top / step, left / step, (bottom - top) / step, (right - left) / step, **kw)


# ============================================================ RealGrayscaleToMatrixV2
@dataclass(frozen=True)
class GrayscaleMatrixData:
    name: str                # the photo
    photo_size: tuple        # (H, W) of the whole photo, in pixels
    preview: np.ndarray      # the whole photo as shown on the left: every ``preview_step``-th pixel
    preview_step: int
    box: tuple               # (left, top, right, bottom) of the crop, in photo pixels
    factor: int              # each matrix pixel averages factor×factor photo pixels
    pixels: np.ndarray       # H×W uint8: the matrix shown
    shape: tuple             # (H, W, 1)
    darkest: tuple           # (row, col) of the smallest value
    brightest: tuple         # (row, col) of the largest value
    zoom: tuple              # (row, col, size) of the patch whose values are zoomed when the grid is too fine


def grayscale_matrix_data(name: str = "camera", box: tuple = (0, 0, 480, 480), factor: int = 40,
                          zoom_size: int = 5) -> GrayscaleMatrixData:
    """The cameraman photo, box-downsampled 40× to a 12×12 matrix of 0–255 values.

    ``zoom``: the ``zoom_size``×``zoom_size`` patch with the widest spread of
    values (used when the grid is too fine for readable numbers).
    """
    full = images.photo(name, "L")
    step = preview_step(full.shape)
    pixels = images.photo(name, "L", box=box, factor=factor)
    h, w = pixels.shape
    darkest = tuple(int(v) for v in np.unravel_index(np.argmin(pixels), pixels.shape))
    brightest = tuple(int(v) for v in np.unravel_index(np.argmax(pixels), pixels.shape))
    k = min(zoom_size, h, w)
    spreads = {(r, c): np.ptp(pixels[r:r + k, c:c + k]) for r in range(h - k + 1) for c in range(w - k + 1)}
    r, c = max(spreads, key=lambda rc: (spreads[rc], -rc[0], -rc[1]))
    return GrayscaleMatrixData(name, full.shape[:2], full[::step, ::step].copy(), step, tuple(box), factor, pixels, (h, w, 1), darkest, brightest, (r, c, k))


class RealGrayscaleToMatrixV2(CnnvizScene):
    data = staticmethod(grayscale_matrix_data)

    def construct(self):
        d = self.data()
        h, w, _ = d.shape
        head = title("A grayscale image is a matrix of numbers", size=32)

        # the right column: the matrix, as large as the frame allows
        area_top, area_bottom, area_left, area_right = head.get_bottom()[1] - 0.25, -3.85, 0.1, 6.9
        cell = min((area_top - area_bottom) / h, (area_right - area_left) / w, 0.9)
        readable = cell >= readable_cell(d.pixels)
        grid = ValueGrid(d.pixels, cell_size=cell, font_size=theme.MIN_FONT if cell < 0.62 else None,
                         shade="gray", vrange=(0, 255), color=theme.GRID_LINE, stroke_width=1.0,
                         show_values=readable)
        grid.move_to([(area_left + area_right) / 2, (area_top + area_bottom) / 2, 0])
        small = PixelImage(d.pixels, height=grid.height, border=None).move_to(grid)

        # the left column: the photo, a legend, the shape
        left_x = (-FRAME_W / 2 + 0.3 + area_left - 0.4) / 2
        col_w = area_left - 0.4 - (-FRAME_W / 2 + 0.3)
        ph, pw = d.photo_size
        photo = PixelImage(d.preview, height=min(3.5, col_w * ph / pw))
        photo.move_to([left_x, area_top - photo.height / 2, 0])
        crop = photo_box(photo, d.box, d.preview_step)
        photo_name = label(f"{d.name}.png, {pw}×{ph} pixels", size=theme.SMALL_SIZE, color=theme.MUTED)
        photo_name.next_to(photo, DOWN, buff=0.15)

        self.reveal(head, photo, photo_name, run_time=0.7)
        self.beat(hold=0.8)

        # 1. the photo, downsampled: every f×f block of pixels becomes one pixel
        down = label(f"{d.factor}×{d.factor} blocks averaged → {h}×{w} pixels", size=theme.SMALL_SIZE,
                     color=theme.INPUT)
        down.next_to(photo_name, DOWN, buff=0.15)
        fit_width(down, col_w)
        left, top, right, bottom = (v // d.preview_step for v in d.box)
        ghost = PixelImage(d.preview[top:bottom, left:right], height=crop.height, border=None).move_to(crop)
        self.play(Create(crop), FadeIn(down), run_time=0.6)
        self.play(ghost.animate.move_to(small).set(height=small.height), run_time=0.8)
        self.play(FadeIn(small), FadeOut(ghost), run_time=0.4)
        self.beat()

        # 2. each pixel is one number between 0 and 255
        self.play(Fade(grid.cells, out=False), run_time=0.3)
        self.remove(small)
        legend = self.legend(col_w)
        legend.next_to(down, DOWN, buff=0.35).set_x(left_x)
        if readable:
            self.play(FadeIn(legend), Fade(grid.labels, out=False), run_time=0.6)
            callout = VGroup()
        else:
            r, c, k = d.zoom
            patch = ValueGrid(d.pixels[r:r + k, c:c + k], shade="gray", vrange=(0, 255), color=theme.GRID_LINE,
                              cell_size=min(0.75, 3.6 / k))
            patch.move_to(photo)
            frame = grid.window(r, c, k, k)
            callout = VGroup(frame, zoom_callout(frame, patch))
            self.play(FadeOut(photo), FadeOut(crop), FadeOut(photo_name), FadeOut(down), run_time=0.4)
            self.play(Create(frame), FadeIn(patch), Create(callout[1]), FadeIn(legend), run_time=1.2)
        self.beat(hold=2.0)

        # 3. 0 = black, 255 = white: the darkest and the brightest pixel of this picture
        marks = VGroup()
        notes = VGroup()
        for (i, j), what in ((d.darkest, "darkest"), (d.brightest, "brightest")):
            marks.add(grid.window(i, j, 1, 1, color=theme.HIGHLIGHT, stroke_width=5))
            notes.add(label(f"{what}: {int(d.pixels[i, j])}", size=theme.SMALL_SIZE, color=theme.HIGHLIGHT))
        notes.arrange(RIGHT, buff=0.5).next_to(legend, DOWN, buff=0.3)
        fit_width(notes, col_w)
        self.play(*(Create(m) for m in marks), FadeIn(notes), run_time=0.8)
        self.beat(hold=1.5)

        # 4. the shape: H × W × 1 channel
        row_box = grid.window(0, 0, 1, w, color=theme.INPUT, stroke_width=5)
        col_box = grid.window(0, 0, h, 1, color=theme.INPUT, stroke_width=5)
        shape = label(f"H × W × C = {core.fmt_shape(d.shape)}", size=34, color=theme.INPUT)
        sub = label("1 channel: a tensor with one slice", size=theme.SMALL_SIZE, color=theme.MUTED)
        VGroup(shape, sub).arrange(DOWN, buff=0.15).next_to(legend, DOWN, buff=0.35).set_x(left_x)
        fit_width(shape, col_w)
        self.play(FadeOut(marks), FadeOut(notes), run_time=0.3)  # the shape takes the notes' place
        self.play(Create(row_box), Create(col_box), FadeIn(shape), FadeIn(sub), run_time=0.7)
        self.beat(hold=2.0)
        self.clear_all()

    @staticmethod
    def legend(width: float) -> VGroup:
        """A 0 → 255 grey ramp with its two ends named."""
        n = 32
        ramp = VGroup(*(Rectangle(width=width * 0.8 / n, height=0.32, stroke_width=0)
                        .set_fill(shade_gray(255 * k / (n - 1)), opacity=1) for k in range(n)))
        ramp.arrange(RIGHT, buff=0)
        lo = label("0 = black", size=theme.SMALL_SIZE).next_to(ramp, DOWN, buff=0.12).align_to(ramp, LEFT)
        hi = label("255 = white", size=theme.SMALL_SIZE).next_to(ramp, DOWN, buff=0.12).align_to(ramp, RIGHT)
        return VGroup(ramp, lo, hi)


# ============================================================ TensorExplanationFastSimple
@dataclass(frozen=True)
class TensorData:
    scalar: np.ndarray       # 0-D
    vector: np.ndarray       # 1-D
    matrix: np.ndarray       # 2-D: a tiny grayscale picture (pixel values of a photo)
    volume: tuple            # the 3-D example's shape: the matrix's H×W with 3 colour channels
    channel_counts: tuple    # C of the "still 3-D" examples
    stacks: tuple            # their shapes, (H, W, C) of an actual array each
    ndims: tuple             # number of axes of scalar, vector, matrix, volume, then of each stack


def tensor_data(scalar: float = 5, vector: tuple = (0, 255, 12, 45), photo: str = "camera",
                box: tuple = (120, 60, 330, 270), factor: int = 70,
                channel_counts: tuple = (2, 5, 7, 100)) -> TensorData:
    """The notebook's tensors: the scalar 5, the vector [0, 255, 12, 45], a 3×3 grayscale map
    (the cameraman's head, box-downsampled 70×), a 3×3×3 colour volume, and 3-D tensors
    with 2, 5, 7 and 100 channels."""
    s = np.asarray(scalar)
    v = np.asarray(vector)
    m = images.photo(photo, "L", box=box, factor=factor)
    h, w = m.shape
    vol = np.zeros((h, w, 3)).shape
    stacks = tuple(np.zeros((h, w, c)).shape for c in channel_counts)
    ndims = tuple(np.ndim(a) for a in (s, v, m, np.zeros(vol))) + tuple(len(sh) for sh in stacks)
    return TensorData(s, v, m, vol, tuple(channel_counts), stacks, ndims)


def _axes(n: int) -> str:
    return f"{n} axis" if n == 1 else f"{n} axes"


class TensorExplanationFastSimple(CnnvizScene):
    data = staticmethod(tensor_data)

    def construct(self):
        d = self.data()
        head = title("What is a tensor? Matrices, stacked", size=32)
        self.play(FadeIn(head), run_time=0.5)

        # 1. 0-D, 1-D, 2-D, 3-D side by side, each with its number of axes and its shape
        xs = np.linspace(-5.2, 5.2, 4)
        slot_w = xs[1] - xs[0] - 0.45
        max_h = 3.0
        v_cells = d.vector.reshape(1, -1)
        cell = min(0.8, slot_w / v_cells.shape[1], slot_w / d.matrix.shape[1], max_h / d.matrix.shape[0])
        font = max(theme.MIN_FONT, theme.CELL_FONT * cell / theme.CELL_SIZE)
        objects = [
            ValueGrid(d.scalar.reshape(1, 1), cell_size=max(cell, 1.0), font_size=theme.BODY_SIZE + 4, color=theme.INPUT),
            ValueGrid(v_cells, cell_size=cell, font_size=font, color=theme.INPUT),
            ValueGrid(d.matrix, cell_size=cell, font_size=font, shade="gray", vrange=(0, 255),
                      color=theme.GRID_LINE),
            TensorStack(*d.volume, unit=cell, colors=theme.CHANNELS, label_text="", offset=0.3,
                        max_side=min(slot_w - 0.6, max_h)),
        ]
        names = ("scalar", "vector", "matrix", "tensor")
        examples = (f"e.g. {fmt_num(d.scalar)}", "a list of numbers", "one grayscale image",
                    "a colour image: R, G, B")
        shapes = [core.fmt_shape(np.shape(a)) for a in (d.scalar, d.vector, d.matrix)] + [core.fmt_shape(d.volume)]
        panels = VGroup()
        for k, (x, obj) in enumerate(zip(xs, objects)):
            if isinstance(obj, TensorStack):
                obj.remove(obj.shape_label)
            obj.move_to([x, 0.35, 0])
            top = label(f"{d.ndims[k]}D · {names[k]}", size=theme.BODY_SIZE, color=theme.INPUT)
            top.move_to([x, 2.55, 0])
            ax = label(_axes(d.ndims[k]) + ("" if d.ndims[k] == 0 else f": {shapes[k]}"), size=theme.SMALL_SIZE)
            ax.move_to([x, -1.75, 0])
            ex = label(examples[k], size=theme.SMALL_SIZE, color=theme.MUTED).next_to(ax, DOWN, buff=0.15)
            for t in (top, ax, ex):
                fit_width(t, slot_w + 0.3)
            panels.add(VGroup(top, obj, ax, ex))
            self.play(FadeIn(top), FadeIn(obj), FadeIn(ax), FadeIn(ex), run_time=0.6)
            self.beat(hold=0.7)
        steps = " → ".join(str(n) for n in d.ndims[:4])
        rule = label(f"Each step adds one axis: {steps}", size=theme.BODY_SIZE).to_edge(DOWN, buff=0.45)
        self.play(FadeIn(rule), run_time=0.4)
        self.beat(hold=1.0)
        panels.add(rule)

        # 2. a 3-D tensor keeps three axes, whatever its number of channels
        self.play(Fade(panels), run_time=0.4)
        sub = label("A 3D tensor is not limited to 3 channels", size=theme.BODY_SIZE, color=theme.INPUT)
        sub.move_to([0, 2.55, 0])
        h, w = d.matrix.shape
        n = len(d.stacks)
        xs = np.linspace(-5.2, 5.2, n) if n > 1 else np.zeros(1)
        slot_w = (xs[1] - xs[0] - 0.4) if n > 1 else 6.0
        stacks = VGroup()
        for x, shape in zip(xs, d.stacks):
            sheets = min(shape[2], 8)
            st = TensorStack(*shape, unit=1.0, max_sheets=8, label_text=core.fmt_shape(shape),
                             label_size=theme.BODY_SIZE, max_side=min(2.2, slot_w - 0.16 * (sheets - 1)))
            st.move_to([x, 0, 0]).shift(UP * (-0.9 - st.front.get_bottom()[1]))  # front sheets on one line
            ax = label(f"C = {shape[2]} · {_axes(len(shape))}", size=theme.SMALL_SIZE, color=theme.HIGHLIGHT)
            ax.next_to(st, DOWN, buff=0.2)
            fit_width(ax, slot_w + 0.3)
            g = VGroup(st, ax)
            if shape[2] > sheets:
                g.add(label(f"({sheets} of {shape[2]} sheets drawn)", size=theme.MIN_FONT, color=theme.MUTED)
                      .next_to(ax, DOWN, buff=0.12))
                fit_width(g[-1], slot_w + 0.3)
            stacks.add(g)
        self.play(FadeIn(sub), run_time=0.4)
        for g in stacks:
            self.play(FadeIn(g, shift=0.2 * UP), run_time=0.5)
        self.beat(hold=0.6)
        book = label("Like a book: 3 pages or 500, still a 3D object — H × W × C",
                     size=theme.BODY_SIZE).to_edge(DOWN, buff=0.45)
        fit_width(book, FRAME_W - 0.6)
        self.play(FadeIn(book), run_time=0.5)
        self.beat(hold=2.0)
        self.clear_all()


# ============================================================ RGBAbstractTensor
@dataclass(frozen=True)
class RGBTensorData:
    name: str
    photo_size: tuple        # (H, W) of the whole photo
    preview: np.ndarray      # the whole photo as shown: every ``preview_step``-th pixel, H×W×3
    preview_step: int
    box: tuple               # (left, top, right, bottom) of the crop, in photo pixels
    factor: int
    pixels: np.ndarray       # h×w×3 uint8: the crop, downsampled
    channels: tuple          # its R, G and B matrices (h×w each)
    shape: tuple             # (h, w, 3)
    pick: tuple              # (row, col) of the most colourful pixel (largest max − min over R, G, B)


def rgb_tensor_data(name: str = "chelsea", box: tuple = (228, 208, 292, 272), factor: int = 16) -> RGBTensorData:
    """Chelsea's nose (pink-orange, with white fur below), box-downsampled 16× to 4×4×3."""
    full = images.photo(name, "RGB")
    step = preview_step(full.shape)
    px = images.photo(name, "RGB", box=box, factor=factor)
    chans = tuple(px[:, :, k].copy() for k in range(3))
    spread = px.max(axis=2).astype(int) - px.min(axis=2).astype(int)
    pick = tuple(int(v) for v in np.unravel_index(np.argmax(spread), spread.shape))
    return RGBTensorData(name, full.shape[:2], full[::step, ::step].copy(), step, tuple(box), factor, px, chans,
                         px.shape, pick)


class RGBAbstractTensor(CnnvizScene):
    data = staticmethod(rgb_tensor_data)

    def construct(self):
        d = self.data()
        h, w, c = d.shape
        head = title("A colour image is 3 matrices: R, G, B", size=32)

        # 1. the photo, and the crop we read
        ph, pw = d.photo_size
        photo = PixelImage(d.preview, height=min(5.0, 7.4 * ph / pw))
        photo.move_to([-6.8 + photo.width / 2, -0.1, 0])
        crop = photo_box(photo, d.box, d.preview_step)
        side = 3.4
        right_x = (photo.get_right()[0] + FRAME_W / 2) / 2
        tile = color_cells(d.pixels, cell_size=side / max(h, w)).move_to([right_x, 0.3, 0])
        lines = zoom_callout(crop, tile)
        left, top, right, bottom = d.box
        name = VGroup(
            label(f"{d.name}.png: a {core.fmt_shape((bottom - top, right - left))} crop", size=theme.SMALL_SIZE,
                  color=theme.MUTED),
            label(f"{d.factor}×{d.factor} blocks averaged → {core.fmt_shape((h, w))} pixels", size=theme.SMALL_SIZE,
                  color=theme.MUTED),
        ).arrange(DOWN, buff=0.12).next_to(tile, DOWN, buff=0.3)
        fit_width(name, FRAME_W / 2 - 0.3 - (photo.get_right()[0] + 0.3)).set_x(right_x)
        self.reveal(head, photo, run_time=0.6)
        self.play(Create(crop), Create(lines), FadeIn(tile), FadeIn(name), run_time=0.8)
        self.beat()

        # 2. the crop splits into its red, green and blue matrices, with their actual values
        xs = np.linspace(-4.5, 4.5, c)
        cell = min(0.85, (xs[1] - xs[0] - 0.6) / w, 3.6 / h)
        grids = VGroup(*(ChannelGrid(d.channels[k], theme.CHANNELS[k], cell_size=cell,
                                     font_size=max(theme.MIN_FONT, theme.CELL_FONT * cell / theme.CELL_SIZE))
                         .move_to([xs[k], 0.15, 0]) for k in range(c)))
        names = VGroup(*(label(n, size=theme.BODY_SIZE, color=theme.CHANNELS[k]).next_to(grids[k], UP, buff=0.2)
                         for k, n in enumerate(("R · red", "G · green", "B · blue"))))
        self.play(Fade(photo, crop, lines, name), run_time=0.4)
        copies = [tile.copy() for _ in range(c)]
        self.play(*(Transform(copies[k], VGroup(*grids[k].cells)) for k in range(c)), FadeOut(tile),
                  FadeIn(names), run_time=0.8)
        self.add(*(g.cells for g in grids))
        self.remove(*copies)
        self.play(Fade(*(g.labels for g in grids), out=False), run_time=0.6)
        self.beat(hold=1.2)

        i, j = d.pick
        marks = VGroup(*(g.window(i, j, 1, 1, color=theme.HIGHLIGHT, stroke_width=5) for g in grids))
        triple = ", ".join(str(int(v)) for v in d.pixels[i, j])
        note = label(f"one pixel = 3 numbers: (R, G, B) = ({triple})", size=theme.BODY_SIZE, color=theme.HIGHLIGHT)
        note.next_to(grids, DOWN, buff=0.45)
        swatch = Rectangle(width=0.45, height=0.45, stroke_color=theme.TEXT, stroke_width=1.5)
        swatch.set_fill(tile.cell(i, j).get_fill_color(), opacity=1).next_to(note, RIGHT, buff=0.25)
        self.play(*(Create(m) for m in marks), FadeIn(note), FadeIn(swatch), run_time=0.7)
        self.beat(hold=1.5)

        # 3. stacked: one H×W×3 tensor
        stack = TensorStack(h, w, c, unit=1.0, colors=theme.CHANNELS, offset=0.45, max_side=3.2,
                            label_text=f"H × W × C = {core.fmt_shape(d.shape)}", label_size=34)
        stack.move_to([0, 0.0, 0])
        stack.shape_label.set_color(theme.INPUT)
        self.play(Fade(marks, note, swatch), run_time=0.3)
        for g in grids:
            g.generate_target()
        for k, g in enumerate(grids):
            g.target.scale(stack.sheet(k).width / g.width).move_to(stack.sheet(k))
            if k:  # only the front matrix keeps its numbers readable
                g.target.labels.set_opacity(0)
        for k in reversed(range(c)):  # blue at the back, red in front
            self.bring_to_front(grids[k])
        self.play(*(MoveToTarget(g) for g in grids), *(n.animate.next_to(g.target, LEFT, buff=0.2)
                                                           .align_to(g.target, UP) for n, g in zip(names, grids)),
                  run_time=0.9)
        self.beat(hold=0.6)
        sentence = label(f"{c} matrices stacked: a 3D tensor", size=theme.BODY_SIZE).to_edge(DOWN, buff=0.4)
        self.play(FadeIn(stack.shape_label), FadeIn(sentence), run_time=0.6)
        self.beat(hold=2.0)
        self.clear_all()


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
        vcell = min(0.8, (FRAME_W - 0.8) / n)
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
        fit_width(note, FRAME_W - 0.6)
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
        fit_width(head, FRAME_W - 0.8)
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
        fit_width(total, FRAME_W - 0.6)
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
            fit_width(t, FRAME_W - 0.6)
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
        fit_width(end, FRAME_W - 0.6)
        self.play(FadeIn(legend), run_time=0.5)
        self.beat(hold=0.8)
        self.play(FadeIn(end), run_time=0.5)
        self.beat(hold=2.5)
        self.clear_all()


# ============================================================ STRATEGIE1
@dataclass(frozen=True)
class ScanStep:
    kind: str                # "pixel" (one pixel), "row" (the rest of a row, or a whole row), "jump" (to the end)
    r: int                   # the row the cursor is on after this step
    c0: int                  # the columns it covers
    c1: int
    count: int               # pixels read so far


@dataclass(frozen=True)
class ScanData:
    name: str
    box: tuple
    factor: int
    pixels: np.ndarray       # H×W×3 uint8: the photo as scanned
    total: int               # H·W: pixels to read, one at a time
    steps: tuple             # the cursor's schedule: the first pixels one by one, then rows, then a jump


def scan_data(name: str = "chelsea", box: tuple = (0, 0, 450, 300), factor: int = 10, first_pixels: int = 5,
              first_rows: int = 5) -> ScanData:
    """Chelsea the cat, box-downsampled 10× to 30×45 pixels: 1,350 pixels to scan one by one."""
    px = images.photo(name, "RGB", box=box, factor=factor)
    h, w = px.shape[:2]
    read = landing_positions((h, w)) + 1  # pixel (r, c) is the read-th pixel of the scan
    total = int(core.flatten(px[:, :, 0]).size)
    first_pixels = min(first_pixels, w)
    steps = [ScanStep("pixel", 0, c, c, int(read[0, c])) for c in range(first_pixels)]
    if first_pixels < w:
        steps.append(ScanStep("row", 0, first_pixels, w - 1, int(read[0, w - 1])))
    for r in range(1, min(1 + first_rows, h)):
        steps.append(ScanStep("row", r, 0, w - 1, int(read[r, w - 1])))
    if steps[-1].count < total:
        steps.append(ScanStep("jump", h - 1, 0, w - 1, total))
    return ScanData(name, tuple(box), factor, px, total, tuple(steps))


class STRATEGIE1(CnnvizScene):
    data = staticmethod(scan_data)

    def construct(self):
        d = self.data()
        h, w = d.pixels.shape[:2]
        head = title("Strategy 1: read the image pixel by pixel", size=32)
        img = PixelImage(d.pixels, height=min(5.9, 8.2 * h / w))
        img.move_to([-6.85 + img.width / 2, -0.3, 0])
        panel_x = (img.get_right()[0] + FRAME_W / 2) / 2
        panel_w = FRAME_W / 2 - 0.3 - img.get_right()[0] - 0.3
        size = label(f"{core.fmt_shape((h, w))} pixels", size=theme.SMALL_SIZE, color=theme.MUTED)
        size.next_to(img, UP, buff=0.12).align_to(img, LEFT)
        self.reveal(head, img, size, run_time=0.6)
        self.beat(hold=0.5)

        def counter(n: int):
            t = label(f"pixel {fmt_int(n)} / {fmt_int(d.total)}", size=36, color=theme.HIGHLIGHT)
            return fit_width(t, panel_w).move_to([panel_x, 1.9, 0])

        def readout(r: int, c: int):
            t = label(f"row {r + 1}, column {c + 1}", size=theme.BODY_SIZE, color=theme.MUTED)
            v = VGroup(*(label(f"{ch} {int(x)}", size=30, color=col)
                         for ch, x, col in zip("RGB", d.pixels[r, c], theme.CHANNELS))).arrange(RIGHT, buff=0.3)
            sw = Rectangle(width=0.5, height=0.5, stroke_color=theme.TEXT, stroke_width=1.5)
            sw.set_fill(ManimColor.from_rgb(tuple(int(x) for x in d.pixels[r, c])), opacity=1)
            g = VGroup(t, VGroup(v, sw).arrange(RIGHT, buff=0.3)).arrange(DOWN, buff=0.15)
            return fit_width(g, panel_w).move_to([panel_x, 0.9, 0])

        cursor = img.box(0, 0, 1, 1, stroke_width=4)
        # the rows already read, dimmed
        done = Rectangle(width=img.image.width, height=img.pixel_size, stroke_width=0)
        done.set_fill(theme.BACKGROUND, opacity=0.55).move_to(img.pixel_center(0, (w - 1) / 2))
        shown = None
        info = None
        for k, st in enumerate(d.steps):
            new = counter(st.count)
            target = img.box(st.r, st.c0, 1, st.c1 - st.c0 + 1, stroke_width=4)
            if shown is not None:  # a counter ticks: the new number replaces the old one at once
                self.remove(shown)
            self.add(new)
            if st.kind == "pixel":
                new_info = readout(st.r, st.c0)
                if k == 0:
                    self.play(Create(cursor), FadeIn(new_info), run_time=0.5)
                else:
                    self.remove(info)
                    self.add(new_info)
                    self.play(Transform(cursor, target), run_time=0.35)
                info = new_info
                self.beat(hold=0.35 if k == 0 else 0.2)
            else:
                anims = [Transform(cursor, target)]
                if info is not None:
                    anims.append(FadeOut(info))
                    info = None
                if st.r > 0:  # rows above the cursor are read
                    rows_done = st.r if st.kind == "row" else h
                    cover = done.copy().stretch_to_fit_height(rows_done * img.pixel_size)
                    cover.align_to(img.image, UP)
                    if done not in self.mobjects:
                        self.add(done.stretch_to_fit_height(1e-3).align_to(img.image, UP))
                    anims.append(Transform(done, cover))
                self.bring_to_front(cursor)
                self.play(*anims, run_time={"row": 0.35, "jump": 1.4}[st.kind])
            shown = new
        self.beat(hold=0.3)

        verdict = VGroup(
            label(f"{fmt_int(d.total)} pixels, one at a time:", size=30),
            label("slow, and blind to shapes:", size=30, color=theme.NEGATIVE),
            label("no edge, no ear, no \u201ccat\u201d", size=30, color=theme.NEGATIVE),
        ).arrange(DOWN, buff=0.2, aligned_edge=LEFT)
        fit_width(verdict, panel_w).move_to([panel_x, -0.6, 0])
        self.play(FadeIn(verdict), run_time=0.6)
        self.beat(hold=2.0)
        self.clear_all()


# ============================================================ STRATEGIE2
#: A thin bright horizontal line on a darker surround (the classic line-detection kernel): whiskers.
LINE_KERNEL = np.array([[-1, -1, -1], [2, 2, 2], [-1, -1, -1]])


def detector_kernels(name: str) -> tuple:
    """The 3×3 kernels of each feature detector (their responses combine as √(Σ response²))."""
    v, h = core.edge_kernel("vertical"), core.edge_kernel("horizontal")
    kernels = {
        "edges": (v, h),              # contours in any direction: the gradient's magnitude (Sobel)
        "ears": (v + h, v - h),       # slanted edges, the sides of a pointed ear (diagonal Sobel)
        "whiskers": (LINE_KERNEL,),   # thin bright lines
        "fur": (v,),                  # dense vertical stripes (vertical Sobel)
    }
    if name not in kernels:
        raise ValueError(f"no detector named {name!r}: choose one of {', '.join(kernels)}")
    return kernels[name]


#: The regions of chelsea.png (left, top, right, bottom in photo pixels), chosen by looking at the photo.
CAT_REGIONS = (
    ("edges", "the rim of the left eye", (130, 80, 214, 152)),
    ("ears", "the right ear's pointed tip", (324, 0, 402, 76)),
    ("whiskers", "thin white lines, lower left", (10, 204, 130, 286)),
    ("fur", "the striped forehead", (204, 0, 296, 76)),
)
#: A plain patch for comparison: the blurred dark background, top right.
CAT_BACKGROUND = (402, 0, 450, 60)


@dataclass(frozen=True)
class Detection:
    name: str
    what: str                # the region, in words
    box: tuple               # (left, top, right, bottom), photo pixels
    response: np.ndarray     # √(Σ conv2d(region, kernel)²) over the region (downsampled gray), valid positions
    peak: float              # its strongest response
    background: float        # the same detector's strongest response on the plain background
    fired: bool              # peak ≥ fire_ratio × background


@dataclass(frozen=True)
class FeatureData:
    name: str
    photo_size: tuple
    preview: np.ndarray      # the photo as shown (RGB, every ``preview_step``-th pixel)
    preview_step: int
    factor: int              # regions are read in grayscale, box-downsampled by this factor
    background_box: tuple
    fire_ratio: float
    detections: tuple
    evidence: int            # how many detectors fired


def detector_response(name: str, photo: str, box: tuple, factor: int) -> np.ndarray:
    """A detector's response map on a region: its kernels convolved (core.conv2d) with the region's
    gray pixels, combined as √(Σ response²)."""
    g = images.photo(photo, "L", box=box, factor=factor).astype(np.float64)
    return np.sqrt(sum(core.conv2d(g, k) ** 2 for k in detector_kernels(name)))


def feature_data(name: str = "chelsea", regions: tuple = CAT_REGIONS, background: tuple = CAT_BACKGROUND,
                 factor: int = 2, fire_ratio: float = 3.0) -> FeatureData:
    """Four detectors (edges, ears, whiskers, fur) on their regions of the cat, each compared with
    its response on a plain patch of background."""
    full = images.photo(name, "RGB")
    step = preview_step(full.shape)
    dets = []
    for det, what, box in regions:
        resp = detector_response(det, name, box, factor)
        bg = float(detector_response(det, name, background, factor).max())
        peak = float(resp.max())
        dets.append(Detection(det, what, tuple(box), resp, peak, bg, peak >= fire_ratio * bg))
    return FeatureData(name, full.shape[:2], full[::step, ::step].copy(), step, factor, tuple(background),
                       fire_ratio, tuple(dets), sum(d.fired for d in dets))


def response_overlay(resp: np.ndarray, color: str = theme.HIGHLIGHT) -> np.ndarray:
    """A response map as an RGBA picture: the colour everywhere, opaque where the response is strong."""
    rgb = np.array(ManimColor(color).to_int_rgb(), dtype=np.uint8)
    out = np.zeros(resp.shape + (4,), dtype=np.uint8)
    out[..., :3] = rgb
    peak = resp.max() if resp.max() > 0 else 1.0
    out[..., 3] = np.clip(np.round(255 * (resp / peak) ** 0.8), 0, 255).astype(np.uint8)
    return out


class STRATEGIE2(CnnvizScene):
    data = staticmethod(feature_data)

    def construct(self):
        d = self.data()
        head = title("Strategy 2: look for features", size=32)
        ph, pw = d.photo_size
        img = PixelImage(d.preview, height=min(5.6, 7.9 * ph / pw))
        img.move_to([-6.85 + img.width / 2, -0.35, 0])
        panel_l = img.get_right()[0] + 0.35
        panel_w = FRAME_W / 2 - 0.25 - panel_l
        self.reveal(head, img, run_time=0.6)
        self.beat(hold=0.4)

        bg_box = photo_box(img, d.background_box, d.preview_step, color=theme.MUTED, stroke_width=3)
        bg_name = label("plain background", size=theme.MIN_FONT, color=theme.MUTED)
        side = RIGHT if bg_box.get_x() > img.get_x() else LEFT  # keep the name over the photo
        bg_name.next_to(bg_box, UP, buff=0.1).align_to(bg_box, side)
        self.play(Create(bg_box), FadeIn(bg_name), run_time=0.4)

        n = len(d.detections)
        seg_w = panel_w / max(n, 1)
        bar_y = -2.55
        bar = Rectangle(width=panel_w, height=0.42, stroke_color=theme.OUTPUT, stroke_width=2)
        bar.move_to([panel_l + panel_w / 2, bar_y, 0])
        bar_name = label("evidence for \u201ccat\u201d", size=theme.SMALL_SIZE, color=theme.OUTPUT)
        bar_name.next_to(bar, UP, buff=0.12).align_to(bar, LEFT)
        self.play(Create(bar), FadeIn(bar_name), run_time=0.4)

        row_h = (3.25 - (bar_name.get_top()[1] + 0.25)) / max(n, 1)
        for k, det in enumerate(d.detections):
            left, top, right, bottom = det.box
            box = photo_box(img, det.box, d.preview_step, color=theme.HIGHLIGHT, stroke_width=3)
            over = PixelImage(response_overlay(det.response), border=None,
                              height=(bottom - top) / d.preview_step * img.pixel_size
                              * det.response.shape[0] / ((bottom - top) / d.factor))
            over.move_to(box)
            mark = "\u2713" if det.fired else "\u2717"
            head_row = label(f"{mark} {det.name}: {det.what}", size=theme.SMALL_SIZE,
                             color=theme.HIGHLIGHT if det.fired else theme.MUTED)
            nums = label(f"peak response {round(det.peak)}, background {round(det.background)}",
                         size=theme.SMALL_SIZE, color=theme.TEXT)
            for t in (head_row, nums):  # shrink a long line, never below the readable size
                fit_width(t, panel_w)
                t.font_size = max(t.font_size, theme.MIN_FONT)
            row = VGroup(head_row, nums).arrange(DOWN, buff=0.08, aligned_edge=LEFT)
            row.move_to([panel_l + row.width / 2, 3.25 - (k + 0.5) * row_h, 0])
            seg = Rectangle(width=seg_w, height=0.42, stroke_width=0)
            seg.set_fill(theme.OUTPUT, opacity=0.85 if det.fired else 0.0)
            seg.move_to([panel_l + (k + 0.5) * seg_w, bar_y, 0])
            slow = k == 0
            self.play(Create(box), FadeIn(row), run_time=0.6 if slow else 0.4)
            self.play(FadeIn(over), run_time=0.7 if slow else 0.5)  # the detector lights up where its feature is
            self.play(FadeIn(seg), box.animate.set_stroke(theme.OUTPUT), run_time=0.4)
            self.beat(hold=0.9 if slow else 0.5)

        verdict = label(f"{d.evidence} of {n} features found → cat" if d.evidence == n else
                        f"{d.evidence} of {n} features found", size=30, color=theme.OUTPUT)
        verdict.next_to(bar, DOWN, buff=0.3)
        fit_width(verdict, panel_w).set_x(panel_l + panel_w / 2)
        self.play(FadeIn(verdict, scale=1.2), run_time=0.6)
        self.beat(hold=2.5)
        self.clear_all()
