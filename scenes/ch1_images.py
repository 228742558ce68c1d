"""Chapter 1, section I — what an image is to a computer: a grayscale photo as a matrix of 0–255 values, a colour photo as three matrices (R, G, B) stacked into a tensor, and tensors of 0 to 3 axes.

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
    Create,
    FadeIn,
    FadeOut,
    MoveToTarget,
    Rectangle,
    Transform,
    VGroup,
)

from cnnviz import core, images, theme
from cnnviz.drawings import (
    photo_box,
    preview_step,
    readable_cell,
    ChannelGrid,
    CnnvizScene,
    Fade,
    PixelImage,
    TensorStack,
    ValueGrid,
    color_cells,
    fit_width,
    fmt_num,
    label,
    shade_gray,
    title,
    zoom_callout,
)

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
        left_x = (-theme.FRAME_WIDTH / 2 + 0.3 + area_left - 0.4) / 2
        col_w = area_left - 0.4 - (-theme.FRAME_WIDTH / 2 + 0.3)
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
        fit_width(book, theme.FRAME_WIDTH - 0.6)
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
        right_x = (photo.get_right()[0] + theme.FRAME_WIDTH / 2) / 2
        tile = color_cells(d.pixels, cell_size=side / max(h, w)).move_to([right_x, 0.3, 0])
        lines = zoom_callout(crop, tile)
        left, top, right, bottom = d.box
        name = VGroup(
            label(f"{d.name}.png: a {core.fmt_shape((bottom - top, right - left))} crop", size=theme.SMALL_SIZE,
                  color=theme.MUTED),
            label(f"{d.factor}×{d.factor} blocks averaged → {core.fmt_shape((h, w))} pixels", size=theme.SMALL_SIZE,
                  color=theme.MUTED),
        ).arrange(DOWN, buff=0.12).next_to(tile, DOWN, buff=0.3)
        fit_width(name, theme.FRAME_WIDTH / 2 - 0.3 - (photo.get_right()[0] + 0.3)).set_x(right_x)
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
