"""Chapter 1, section I — what an image is to a computer: a grayscale photo as a matrix of 0–255 values, a colour photo as three matrices (R, G, B) stacked into a tensor, and tensors of 0 to 3 axes.

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
    Create,
    FadeIn,
    FadeOut,
    MoveToTarget,
    Rectangle,
    Transform,
    VGroup,
)

from cnnviz import core, images, notation, theme
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
    fmt_int,
    fmt_num,
    label,
    shade_gray,
    title,
    zoom_callout,
)
from cnnviz.params import Param, Photo, Vector

# ============================================================ RealGrayscaleToMatrixV2
#: The largest matrix RealGrayscaleToMatrixV2 draws: its cells stay at least 0.2 units (7 px at 500 px wide).
GRAY_MAX_SIDE = 32
#: The largest zoomed patch whose numbers stay at the half-width scene's minimum font size.
GRAY_MAX_ZOOM = 5


@dataclass(frozen=True)
class GrayscaleMatrixData:
    photo: str               # the photo as given (a built-in name or a path)
    name: str                # how it is named on screen (notation.photo_name)
    photo_size: tuple        # (H, W) of the whole photo, in pixels
    preview: np.ndarray      # the whole photo as shown on the left: every ``preview_step``-th pixel
    preview_step: int
    box: tuple               # (left, top, right, bottom) of the crop averaged, in photo pixels
    factor: int              # each matrix pixel averages factor×factor photo pixels
    pixels: np.ndarray       # H×W uint8: the matrix shown
    shape: tuple             # (H, W, 1)
    darkest: tuple           # (row, col) of the smallest value
    brightest: tuple         # (row, col) of the largest value
    zoom: tuple              # (row, col, size) of the patch whose values are shown, zoomed
    source: str              # what is averaged, in words: "a 480×480 crop" or "the whole photo"
    blocks: str              # "40×40 blocks averaged"
    result: str              # "→ 12×12 pixels"


def crop_box(photo: str, box, factor: int) -> tuple:
    """The crop a photo scene averages: ``box`` as given, or (``box=None``) the whole photo trimmed,
    centred, to a multiple of ``factor`` on each side (as :func:`cnnviz.images.photo` does)."""
    if box is not None:
        if len(box) != 4:
            raise ValueError(f"box: a crop box is four numbers (left, top, right, bottom), got {len(box)}")
        return tuple(int(v) for v in box)
    W, H = images.photo_size(photo)
    left, top = (W % factor) // 2, (H % factor) // 2
    return (left, top, left + W - W % factor, top + H - H % factor)


def own_photo(photo, box, factor, notebook: tuple, side: int, limit: int) -> tuple:
    """(box, factor) for a photo scene: the given ones, except that on a photo other than the notebook's the
    notebook's crop (``notebook = (photo, box, factor)``) means the whole photo, and its block size one that
    averages the crop to about ``side`` (at most ``limit``) pixels on its longer side (``--photo my.png``
    alone then works)."""
    nb_photo, nb_box, nb_factor = notebook
    if photo == nb_photo:
        return box, factor
    if box is not None and tuple(box) == tuple(nb_box):
        box = None
    if factor == nb_factor:
        if box is None:
            W, H = images.photo_size(photo)
        else:
            W, H = box[2] - box[0], box[3] - box[1]
        longest = max(W, H)
        factor = max(1, longest // side)
        while longest // factor > limit:
            factor += 1
    return box, factor


def averaged_photo(photo, mode: str, box, factor: int, notebook: tuple, side: int, limit: int, noun: str) -> tuple:
    """(box, factor, pixels): the crop a photo scene shows (:func:`own_photo`, :func:`crop_box`), averaged in
    factor×factor blocks; refused, naming the limit, when it is more than ``limit`` pixels a side."""
    box, factor = own_photo(photo, box, factor, notebook, side, limit)
    box = crop_box(photo, box, factor)
    px = images.photo(photo, mode, box=box, factor=factor)
    h, w = px.shape[:2]
    if max(h, w) > limit:
        raise ValueError(f"factor: a {h}×{w} {noun} is too large: at most {limit}×{limit} pixels fit this scene at "
                         "a readable size (take larger blocks or a smaller box)")
    return box, factor, px


def crop_words(box: tuple, photo_size: tuple) -> str:
    """What a scene averages, in words: "the whole photo", or "a 480×480 crop" (height×width, rows ×
    columns, as every size on screen is written: H × W × C)."""
    left, top, right, bottom = box
    H, W = photo_size
    if (left, top, right, bottom) == (0, 0, W, H):
        return "the whole photo"
    return f"a {bottom - top}×{right - left} crop"


def grayscale_matrix_data(
    photo: Annotated[Photo, Param("the photo: camera, chelsea, astronaut, or your PNG/JPEG file")] = "camera",
    box: Annotated[tuple[int, ...] | None, Param("the crop averaged, in the photo's pixels: left, top, right, "
                                                 "bottom (default: the cameraman's top-left 480×480; none, or "
                                                 "another photo: the whole photo)", min=0, max_shape=(4,))] = (0, 0, 480, 480),
    factor: Annotated[int, Param("block size: each matrix pixel averages factor×factor photo pixels "
                                 f"(the matrix may be at most {GRAY_MAX_SIDE}×{GRAY_MAX_SIDE})",
                                 min=1, max=1024)] = 40,
    zoom_size: Annotated[int, Param("the zoomed patch shows this many values a side", min=2,
                                    max=GRAY_MAX_ZOOM)] = 4,
) -> GrayscaleMatrixData:
    """The cameraman photo's top-left 480×480 pixels, averaged in 40×40 blocks: a 12×12 matrix of 0–255 values.

    ``zoom``: the ``zoom_size``×``zoom_size`` patch with the widest spread of values (its numbers are
    shown large: the whole matrix is too fine for readable numbers at the notebook's half width).
    """
    if not 2 <= zoom_size <= GRAY_MAX_ZOOM:
        raise ValueError(f"zoom_size: {zoom_size} is out of range: a patch of 2×2 to "
                         f"{GRAY_MAX_ZOOM}×{GRAY_MAX_ZOOM} values fits this scene at a readable size")
    box, factor, pixels = averaged_photo(photo, "L", box, factor, ("camera", (0, 0, 480, 480), 40), 12,
                                         GRAY_MAX_SIDE, "matrix")
    full = images.photo(photo, "L")
    H, W = full.shape
    h, w = pixels.shape
    if min(h, w) < 2:
        raise ValueError(f"factor: a {h}×{w} matrix is too small to show as a matrix (take smaller blocks)")
    step = preview_step(full.shape)
    darkest = tuple(int(v) for v in np.unravel_index(np.argmin(pixels), pixels.shape))
    brightest = tuple(int(v) for v in np.unravel_index(np.argmax(pixels), pixels.shape))
    k = min(zoom_size, h, w)
    spreads = {(r, c): np.ptp(pixels[r:r + k, c:c + k]) for r in range(h - k + 1) for c in range(w - k + 1)}
    r, c = max(spreads, key=lambda rc: (spreads[rc], -rc[0], -rc[1]))
    return GrayscaleMatrixData(
        str(photo), notation.photo_name(photo), (H, W), full[::step, ::step].copy(), step, box, factor, pixels,
        (h, w, 1), darkest, brightest, (r, c, k), crop_words(box, (H, W)),
        f"{factor}×{factor} blocks averaged", f"→ {h}×{w} pixels")


class RealGrayscaleToMatrixV2(CnnvizScene):
    """A grayscale photo → the matrix of its (block-averaged) 0–255 values; a zoom shows the numbers large."""

    data = staticmethod(grayscale_matrix_data)
    FONT = 30  # the notebook shows this scene at half width

    def must_show(self, d) -> list[str]:
        r, c, k = d.zoom
        h, w, _ = d.shape
        shown = [fmt_int(v) for v in d.pixels[r:r + k, c:c + k].ravel()]
        shown += [fmt_int(d.pixels[d.darkest]), fmt_int(d.pixels[d.brightest])]
        H, W = d.photo_size
        return shown + [f"{H}×{W}", f"{d.factor}×{d.factor}", f"{h}×{w}", core.fmt_shape(d.shape)]

    def construct(self):
        d = self.data()
        h, w, _ = d.shape
        s = self.FONT
        head = title("A grayscale image is a matrix of numbers", size=32)
        edge = theme.FRAME_WIDTH / 2 - 0.4

        # the right column: the matrix (shaded cells), as large as the frame allows
        area_top, area_bottom, area_left, area_right = head.get_bottom()[1] - 0.3, -3.6, 0.3, edge
        cell = min((area_top - area_bottom) / h, (area_right - area_left) / w)
        grid = ValueGrid(d.pixels, cell_size=cell, shade="gray", vrange=(0, 255), color=theme.GRID_LINE,
                         stroke_width=1.0, show_values=False, fit_values=False)
        grid.move_to([(area_left + area_right) / 2, (area_top + area_bottom) / 2, 0])
        small = PixelImage(d.pixels, height=grid.height, border=None).move_to(grid)

        # the left column: the photo, what is averaged
        col_l, col_r = -edge, area_left - 0.3
        col_w, left_x = col_r - col_l, (col_l + col_r) / 2
        ph, pw = d.photo_size
        name = VGroup(label(f"{d.name},", size=s, color=theme.MUTED),
                      label(f"{ph}×{pw} pixels", size=s, color=theme.MUTED)).arrange(DOWN, buff=0.1)
        words = VGroup(label(f"{d.source},", size=s, color=theme.INPUT),
                       label(d.blocks, size=s, color=theme.INPUT),
                       label(d.result, size=s, color=theme.INPUT)).arrange(DOWN, buff=0.1)
        room = area_top - area_bottom - name.height - words.height - 0.5
        photo = PixelImage(d.preview, height=min(room, col_w * ph / pw))
        photo.move_to([left_x, area_top - photo.height / 2, 0])
        crop = photo_box(photo, d.box, d.preview_step)
        name.next_to(photo, DOWN, buff=0.2).set_x(left_x)
        words.next_to(name, DOWN, buff=0.3).set_x(left_x)

        self.add(head, photo, name, crop)
        self.beat(note=f"A grayscale photo: {d.name}, {ph}×{pw} pixels. To a computer it is only numbers; "
                       "let's read them.", hold=1.0)

        # 1. the photo, downsampled: every f×f block of pixels becomes one pixel
        left, top, right, bottom = (v // d.preview_step for v in d.box)
        ghost = PixelImage(d.preview[top:bottom, left:right], height=crop.height, border=None).move_to(crop)
        self.play(FadeIn(words), run_time=0.5)
        self.play(ghost.animate.move_to(small).set(height=small.height), run_time=0.8)
        self.play(FadeIn(small), FadeOut(ghost), run_time=0.4)
        self.beat(note=f"We average {d.source} in {d.factor}×{d.factor} blocks: each block becomes one pixel "
                       f"of a {h}×{w} image.")

        # 2. each pixel is one number between 0 and 255: a zoom shows a few of them, large
        self.play(Fade(grid.cells, out=False), run_time=0.3)
        self.remove(small)
        r, c, k = d.zoom
        legend = self.legend(min(col_w, 5.6), s)
        below = legend.height + 0.3 + label("H × W × C = 8", size=34).height + 0.15 + label("a", size=s).height + 0.35
        pcell = min(1.1, col_w / k, (area_top - area_bottom - below) / k)
        font = max(s, min(36, s * pcell / readable_cell(d.pixels, s)))  # as large as the cells allow
        patch = ValueGrid(d.pixels[r:r + k, c:c + k], shade="gray", vrange=(0, 255), color=theme.GRID_LINE,
                          cell_size=pcell, font_size=font)
        patch.move_to([left_x, area_top - patch.height / 2, 0])
        legend.next_to(patch, DOWN, buff=0.3).set_x(left_x)
        frame = grid.window(r, c, k, k)
        callout = VGroup(frame, zoom_callout(frame, patch))
        self.play(FadeOut(photo), FadeOut(crop), FadeOut(name), FadeOut(words), run_time=0.4)
        self.play(Create(frame), FadeIn(patch), Create(callout[1]), run_time=1.0)
        self.play(FadeIn(legend), run_time=0.4)
        self.beat(note="Each pixel is one number between 0 and 255: 0 is pure black, 255 pure white, and "
                       "everything between is a shade of grey.", hold=2.0)

        # 3. the darkest and the brightest pixel of this picture
        marks = VGroup()
        notes = VGroup()
        for (i, j), what in ((d.darkest, "darkest"), (d.brightest, "brightest")):
            marks.add(grid.window(i, j, 1, 1, color=theme.HIGHLIGHT, stroke_width=5))
            notes.add(label(f"{what}: {fmt_int(d.pixels[i, j])}", size=s, color=theme.HIGHLIGHT))
        notes.arrange(RIGHT, buff=0.5).next_to(legend, DOWN, buff=0.3).set_x(left_x)
        if notes.width > col_w:
            notes.arrange(DOWN, buff=0.1, aligned_edge=LEFT).next_to(legend, DOWN, buff=0.3).set_x(left_x)
        self.play(*(Create(m) for m in marks), FadeIn(notes), run_time=0.8)
        self.beat(note=f"The darkest pixel of this matrix is {fmt_int(d.pixels[d.darkest])}, the brightest "
                       f"{fmt_int(d.pixels[d.brightest])}.", hold=1.5)

        # 4. the shape: H × W × 1 channel
        row_box = grid.window(0, 0, 1, w, color=theme.INPUT, stroke_width=5)
        col_box = grid.window(0, 0, h, 1, color=theme.INPUT, stroke_width=5)
        shape = label(f"H × W × C = {core.fmt_shape(d.shape)}", size=34, color=theme.INPUT)
        sub = label("a tensor with 1 channel", size=s, color=theme.MUTED)
        VGroup(shape, sub).arrange(DOWN, buff=0.15).next_to(legend, DOWN, buff=0.3).set_x(left_x)
        self.play(FadeOut(marks), FadeOut(notes), run_time=0.3)  # the shape takes the notes' place
        self.play(Create(row_box), Create(col_box), FadeIn(shape), FadeIn(sub), run_time=0.7)
        self.beat(note=f"Height × width × channels: {core.fmt_shape(d.shape)}. A grayscale image is a tensor "
                       "with one channel, a single slice.", hold=2.0)
        self.clear_all()

    @staticmethod
    def legend(width: float, size: float = theme.SMALL_SIZE) -> VGroup:
        """A 0 → 255 grey ramp with its two ends named."""
        n = 32
        ramp = VGroup(*(Rectangle(width=width / n, height=0.32, stroke_width=0)
                        .set_fill(shade_gray(255 * k / (n - 1)), opacity=1) for k in range(n)))
        ramp.arrange(RIGHT, buff=0)
        lo = label("0 = black", size=size).next_to(ramp, DOWN, buff=0.12).align_to(ramp, LEFT)
        hi = label("255 = white", size=size).next_to(ramp, DOWN, buff=0.12).align_to(ramp, RIGHT)
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


#: The most channel counts TensorExplanationFastSimple draws side by side, and the longest vector.
TENSOR_MAX_STACKS = 4
TENSOR_MAX_VECTOR = 6


def tensor_data(
    scalar: Annotated[float, Param("the 0D example: one number", min=-999, max=999)] = 5,
    vector: Annotated[Vector, Param("the 1D example: a list of numbers", min=-999, max=999,
                                    max_shape=(TENSOR_MAX_VECTOR,), noun="vector")] = (0, 255, 12, 45),
    photo: Annotated[Photo, Param("the photo of the 2D example: camera, chelsea, astronaut, or your PNG/JPEG "
                                  "file")] = "camera",
    box: Annotated[tuple[int, ...] | None, Param("the crop of the 2D example, in the photo's pixels: left, top, "
                                                 "right, bottom (none: the whole photo)", min=0,
                                                 max_shape=(4,))] = (120, 60, 330, 270),
    factor: Annotated[int, Param("block size of the 2D example: each value averages factor×factor photo pixels "
                                 "(at most 4×4 values)", min=1, max=1024)] = 70,
    channel_counts: Annotated[tuple[int, ...], Param("the channels C of the 3D tensors drawn side by side",
                                                     min=1, max=9999, max_shape=(TENSOR_MAX_STACKS,),
                                                     noun="list of channel counts")] = (2, 5, 7, 100),
) -> TensorData:
    """The notebook's tensors: the scalar 5, the vector [0, 255, 12, 45], a 3×3 grayscale map
    (the cameraman's head, box-downsampled 70×), a 3×3×3 colour volume, and 3-D tensors
    with 2, 5, 7 and 100 channels."""
    if len(vector) < 1 or len(vector) > TENSOR_MAX_VECTOR:
        raise ValueError(f"vector: {len(vector)} numbers: a vector of 1 to {TENSOR_MAX_VECTOR} numbers fits this "
                         "scene at a readable size")
    if not 1 <= len(channel_counts) <= TENSOR_MAX_STACKS or min(channel_counts) < 1:
        raise ValueError(f"channel_counts: give 1 to {TENSOR_MAX_STACKS} positive channel counts, "
                         f"got {tuple(channel_counts)!r}")
    box, factor, m = averaged_photo(photo, "L", box, factor, ("camera", (120, 60, 330, 270), 70), 3, 4, "matrix")
    s = np.asarray(scalar)
    v = np.asarray(vector)
    h, w = m.shape
    vol = np.zeros((h, w, 3)).shape
    stacks = tuple(np.zeros((h, w, c)).shape for c in channel_counts)
    ndims = tuple(np.ndim(a) for a in (s, v, m, np.zeros(vol))) + tuple(len(sh) for sh in stacks)
    return TensorData(s, v, m, vol, tuple(channel_counts), stacks, ndims)


#: What the teacher says as each of the four panels appears ({scalar}: the 0D example; {shape}: the panel's shape).
_PANEL_NOTES = (
    "A 0D tensor is a scalar: one number, here {scalar}. It has no axis.",
    "A 1D tensor is a vector, a list of numbers: one axis, shape {shape}.",
    "A 2D tensor is a matrix, a sheet of rows and columns, like one grayscale image: shape {shape}.",
    "A 3D tensor is matrices stacked together, like a colour image's R, G and B: shape {shape}.",
)


def _dims(shape) -> str:
    """A shape as on screen, thousands separated: ``4×4×9,999``."""
    return "×".join(fmt_int(v) for v in shape)


def _axes(n: int) -> str:
    return f"{n} axis" if n == 1 else f"{n} axes"


class TensorExplanationFastSimple(CnnvizScene):
    """Tensors of 0, 1, 2 and 3 axes side by side; then 3-D tensors with more channels keep 3 axes."""

    data = staticmethod(tensor_data)
    PANEL_NOTES = _PANEL_NOTES

    def must_show(self, d) -> list[str]:
        shown = [fmt_num(d.scalar)] + [fmt_num(v) for v in d.vector] + [fmt_int(v) for v in d.matrix.ravel()]
        shown += [core.fmt_shape(np.shape(d.vector)), core.fmt_shape(d.matrix.shape), core.fmt_shape(d.volume)]
        return shown + [_dims(sh) for sh in d.stacks] + [f"C = {fmt_int(c)}," for c in d.channel_counts]

    def construct(self):
        d = self.data()
        head = title("What is a tensor? Matrices, stacked", size=32)
        self.play(FadeIn(head), run_time=0.5)

        # 1. 0-D, 1-D, 2-D, 3-D side by side, each with its number of axes and its shape
        xs = np.linspace(-4.95, 4.95, 4)
        slot_w = xs[1] - xs[0] - 0.35
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
                    "a colour image: RGB")
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
            for t in (top, ax, ex):  # a gap between neighbouring panels' words
                fit_width(t, slot_w)
            panels.add(VGroup(top, obj, ax, ex))
            self.play(FadeIn(top), FadeIn(obj), FadeIn(ax), FadeIn(ex), run_time=0.6)
            self.beat(note=self.PANEL_NOTES[k].format(scalar=fmt_num(d.scalar), shape=shapes[k]), hold=0.7)
        steps = " → ".join(str(n) for n in d.ndims[:4])
        rule = label(f"Each step adds one axis: {steps}", size=theme.BODY_SIZE).to_edge(DOWN, buff=0.45)
        self.play(FadeIn(rule), run_time=0.4)
        self.beat(note="A tensor generalises matrices to more axes: each step from scalar to vector to matrix to "
                       "stack adds one axis.", hold=1.0)
        panels.add(rule)

        # 2. a 3-D tensor keeps three axes, whatever its number of channels
        self.play(Fade(panels), run_time=0.4)
        sub = label("A 3D tensor is not limited to 3 channels", size=theme.BODY_SIZE, color=theme.INPUT)
        sub.move_to([0, 2.55, 0])
        h, w = d.matrix.shape
        n = len(d.stacks)
        xs = np.linspace(-4.95, 4.95, n) if n > 1 else np.zeros(1)
        slot_w = (xs[1] - xs[0] - 0.4) if n > 1 else 6.0
        stacks = VGroup()
        for x, shape in zip(xs, d.stacks):
            sheets = min(shape[2], 8)
            st = TensorStack(*shape, unit=1.0, max_sheets=8, label_text=_dims(shape),
                             label_size=theme.BODY_SIZE, max_side=min(2.2, slot_w - 0.16 * (sheets - 1)))
            st.move_to([x, 0, 0]).shift(UP * (-0.9 - st.front.get_bottom()[1]))  # front sheets on one line
            ax = label(f"C = {fmt_int(shape[2])}, still {_axes(len(shape))}", size=theme.SMALL_SIZE,
                       color=theme.HIGHLIGHT)
            ax.next_to(st, DOWN, buff=0.2)
            fit_width(ax, slot_w + 0.3)
            g = VGroup(st, ax)
            if shape[2] > sheets:
                g.add(label(f"({sheets} of {fmt_int(shape[2])} drawn)", size=theme.MIN_FONT, color=theme.MUTED)
                      .next_to(ax, DOWN, buff=0.12))
                fit_width(g[-1], slot_w + 0.3)
            stacks.add(g)
        self.play(FadeIn(sub), run_time=0.4)
        for g in stacks:
            self.play(FadeIn(g, shift=0.2 * UP), run_time=0.5)
        counts = ", ".join(fmt_int(c) for c in d.channel_counts)
        self.beat(note=f"A 3D tensor is not limited to 3 channels: stack {counts} matrices, it keeps 3 axes, "
                       "height × width × channels.", hold=0.6)
        book = label("Like a book: 3 pages or 500, still a 3D object — H × W × C",
                     size=theme.BODY_SIZE).to_edge(DOWN, buff=0.45)
        fit_width(book, theme.FRAME_WIDTH - 0.6)
        self.play(FadeIn(book), run_time=0.5)
        self.beat(note="Think of a book: 3 pages or 500, it is still a 3D object. Just see a tensor as a container "
                       "of matrices stacked on top of each other.", hold=2.0)
        self.clear_all()


# ============================================================ RGBAbstractTensor
#: The largest crop (after averaging) RGBAbstractTensor shows as numbers at the half-width scene's font size.
RGB_MAX_SIDE = 6


@dataclass(frozen=True)
class RGBTensorData:
    photo: str
    name: str                # how the photo is named on screen (notation.photo_name)
    photo_size: tuple        # (H, W) of the whole photo
    preview: np.ndarray      # the whole photo as shown: every ``preview_step``-th pixel, H×W×3
    preview_step: int
    box: tuple               # (left, top, right, bottom) of the crop, in photo pixels
    factor: int
    pixels: np.ndarray       # h×w×3 uint8: the crop, downsampled
    channels: tuple          # its R, G and B matrices (h×w each)
    shape: tuple             # (h, w, 3)
    pick: tuple              # (row, col) of the most colourful pixel (largest max − min over R, G, B)
    source: str              # what is averaged, in words ("a 64×64 crop")


def rgb_tensor_data(
    photo: Annotated[Photo, Param("the photo: camera, chelsea, astronaut, or your PNG/JPEG file")] = "chelsea",
    box: Annotated[tuple[int, ...] | None, Param("the crop, in the photo's pixels: left, top, right, bottom "
                                                 "(default: the cat's nose; none, or another photo: the whole "
                                                 "photo)", min=0, max_shape=(4,))] = (228, 208, 292, 272),
    factor: Annotated[int, Param("block size: each pixel shown averages factor×factor photo pixels (at most "
                                 f"{RGB_MAX_SIDE}×{RGB_MAX_SIDE} pixels are shown)", min=1, max=1024)] = 16,
) -> RGBTensorData:
    """Chelsea's nose (pink-orange, with white fur below), box-downsampled 16× to 4×4×3."""
    box, factor, px = averaged_photo(photo, "RGB", box, factor, ("chelsea", (228, 208, 292, 272), 16), 4,
                                     RGB_MAX_SIDE, "crop")
    full = images.photo(photo, "RGB")
    step = preview_step(full.shape)
    chans = tuple(px[:, :, k].copy() for k in range(3))
    spread = px.max(axis=2).astype(int) - px.min(axis=2).astype(int)
    pick = tuple(int(v) for v in np.unravel_index(np.argmax(spread), spread.shape))
    return RGBTensorData(str(photo), notation.photo_name(photo), full.shape[:2], full[::step, ::step].copy(), step,
                         box, factor, px, chans, px.shape, pick, crop_words(box, full.shape[:2]))


class RGBAbstractTensor(CnnvizScene):
    """A colour crop → its R, G and B matrices, one at a time at full size → stacked into an H×W×3 tensor."""

    data = staticmethod(rgb_tensor_data)
    FONT = 30  # the notebook shows this scene at half width
    CHANNEL_NAMES = ("R · red", "G · green", "B · blue")

    def must_show(self, d) -> list[str]:
        h, w, c = d.shape
        return ([fmt_int(v) for ch in d.channels for v in ch.ravel()]
                + [f"{d.factor}×{d.factor}", f"{h}×{w}", core.fmt_shape(d.shape)])

    def construct(self):
        d = self.data()
        h, w, c = d.shape
        s = self.FONT
        edge = theme.FRAME_WIDTH / 2 - 0.4
        head = title("A colour image is 3 matrices: R, G, B", size=32)
        top, bottom = head.get_bottom()[1] - 0.3, -3.6

        # 1. the photo, and the crop we read
        ph, pw = d.photo_size
        name = VGroup(label(f"{d.name}:", size=s, color=theme.MUTED),
                      label(d.source, size=s, color=theme.MUTED)).arrange(DOWN, buff=0.1)
        col_l, col_r = -edge, -0.3
        col_w, left_x = col_r - col_l, (col_l + col_r) / 2
        photo = PixelImage(d.preview, height=min(top - bottom - name.height - 0.3, col_w * ph / pw))
        photo.move_to([left_x, (top + bottom + name.height + 0.2) / 2, 0])
        name.next_to(photo, DOWN, buff=0.2).set_x(left_x)
        crop = photo_box(photo, d.box, d.preview_step)
        right_x = (0.3 + edge) / 2
        blocks = VGroup(label(f"{d.factor}×{d.factor} blocks averaged", size=s, color=theme.MUTED),
                        label(f"→ {core.fmt_shape((h, w))} pixels", size=s, color=theme.MUTED)).arrange(DOWN, buff=0.1)
        side = min(4.0, top - bottom - blocks.height - 0.3)
        tile = color_cells(d.pixels, cell_size=side / max(h, w)).move_to([right_x, top - side / 2, 0])
        blocks.next_to(tile, DOWN, buff=0.3)
        lines = zoom_callout(crop, tile)
        self.add(head, photo, name, crop, lines, tile, blocks)
        self.beat(note=f"A colour photo: {d.name}. We read {d.source}, averaged in {d.factor}×{d.factor} blocks: "
                       f"{core.fmt_shape((h, w))} coloured pixels.", hold=1.0)

        # 2. the crop moves aside; each channel is a matrix of its own, shown at full size, one after the other
        small = min(2.6, (top - bottom) / 2.2)
        i, j = d.pick
        tile_target = tile.copy().scale(small / tile.height).move_to([left_x, top - small / 2, 0])
        pick_box = tile_target.window(i, j, 1, 1, color=theme.HIGHLIGHT, stroke_width=5)
        self.play(Fade(photo, name, crop, lines, blocks), run_time=0.4)
        self.play(tile.animate.scale(small / tile.height).move_to(tile_target), run_time=0.6)
        one = label("one pixel =", size=s, color=theme.HIGHLIGHT).next_to(tile, DOWN, buff=0.35).set_x(left_x)
        self.play(Create(pick_box), FadeIn(one), run_time=0.4)

        big = min(top - bottom - 0.8, edge - 0.3) / max(h, w)
        font = max(s, min(40, s * big / readable_cell(d.pixels, s)))
        values = VGroup()
        grid = None
        for k in range(c):
            g = ChannelGrid(d.channels[k], theme.CHANNELS[k], cell_size=big, font_size=font)
            g.move_to([right_x, (top - 0.7 + bottom) / 2, 0])
            g_name = label(self.CHANNEL_NAMES[k], size=34, color=theme.CHANNELS[k]).next_to(g, UP, buff=0.2)
            mark = g.window(i, j, 1, 1, color=theme.HIGHLIGHT, stroke_width=6)
            v = label(f"{'RGB'[k]} = {fmt_int(d.pixels[i, j, k])}", size=34, color=theme.CHANNELS[k])
            v.next_to(one if k == 0 else values[-1], DOWN, buff=0.2).set_x(left_x)
            values.add(v)
            if grid is not None:
                self.play(Fade(*grid), run_time=0.4)
            grid = (g, g_name, mark)
            self.play(Fade(g, g_name, out=False), run_time=0.6)
            self.play(Create(mark), FadeIn(v), run_time=0.5)
            self.beat(note=f"The {('red', 'green', 'blue')[k]} matrix: how much {('red', 'green', 'blue')[k]} each "
                           f"pixel holds, 0 to 255. The marked pixel has {('red', 'green', 'blue')[k]} "
                           f"{fmt_int(d.pixels[i, j, k])}.", hold=1.5)

        # 3. stacked: one H×W×3 tensor
        stack = TensorStack(h, w, c, unit=1.0, colors=theme.CHANNELS, offset=0.45, max_side=3.4,
                            label_text=f"H × W × C = {core.fmt_shape(d.shape)}", label_size=34)
        stack.move_to([right_x, (top + bottom) / 2 + 0.3, 0])
        stack.shape_label.set_color(theme.INPUT)
        sentence = label(f"{c} matrices stacked: a 3D tensor", size=s).next_to(stack, DOWN, buff=0.3)
        sentence.set_x(right_x)
        self.play(Fade(*grid), run_time=0.4)
        self.play(FadeIn(stack.sheets, lag_ratio=0.3), run_time=0.8)
        self.play(FadeIn(stack.shape_label), FadeIn(sentence), run_time=0.6)
        triple = ", ".join(fmt_int(v) for v in d.pixels[i, j])
        self.beat(note=f"Stacked, the three matrices make one {core.fmt_shape(d.shape)} tensor: each pixel is "
                       f"3 numbers, here ({triple}).", hold=2.0)
        self.clear_all()
