"""Chapter 3 — how a CNN learns (III.3.3, III.4): backpropagation through a shared kernel, and
mini-batches of images through one vectorised forward pass.

Each scene: a pure data function (keyword inputs whose defaults are the
notebook's example → a frozen dataclass of every number shown, from
``cnnviz.core``) and the choreography that draws it with the shared drawings.
Render one with ``python render.py render MiniBatchTraining -q l``.
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
    Create,
    FadeIn,
    Group,
    Indicate,
    LaggedStart,
    Line,
    Rectangle,
    VGroup,
    VMobject,
)

from cnnviz import core, theme
from cnnviz.notation import CONV, as_code, photo_name
from cnnviz.params import Grid, Param
from cnnviz.drawings import (
    CnnvizScene,
    Fade,
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
)
from cnnviz.formula import Formula


# ============================================================ BackpropWeightSharing
@dataclass(frozen=True)
class BackpropData:
    x: np.ndarray             # input X
    w: np.ndarray             # kernel W
    y: np.ndarray             # Y = X ⋆ W (core.conv2d)
    delta: np.ndarray         # upstream gradient δ = ∂L/∂Y
    weight: tuple             # (a, b): the weight followed through its paths (0-based; (0, 0) is w11)
    paths: tuple              # one per output (i, j): (i, j, x value, δ value, δ·x)
    grad_weight: float        # Σ δ·x over the paths
    dw: np.ndarray            # ∇W = ∂L/∂W (core.conv2d_backward)
    dw_steps: tuple           # core.conv_step(x, delta, a, b) for every weight: X ⋆ δ, window by window


def backprop_data(
    x: Annotated[Grid, Param("the input X: rows of numbers", min=-9, max=9, max_shape=(4, 4), noun="input")]
    = ((1, 2, 0), (3, 1, 2), (2, 0, 1)),
    w: Annotated[Grid, Param("the kernel W", min=-9, max=9, max_shape=(3, 3), noun="kernel")] = ((1, -1), (2, 0)),
    delta: Annotated[Grid, Param("the upstream gradient δ = ∂L/∂Y, in the shape of the output Y", min=-9, max=9,
                                 max_shape=(2, 2), noun="gradient")] = ((2, -1), (1, 3)),
    weight: Annotated[tuple[int, ...], Param("(row, column) of the weight followed through its paths, from 1: "
                                             "(1, 1) is w₁₁", min=1, max=3, max_shape=(2,))] = (1, 1),
) -> BackpropData:
    """The notebook's bonus (III.6): a 3×3 X, a 2×2 W, a 2×2 Y and an upstream δ.

    The weight ``weight`` (default w11) is used by every output pixel, so its
    gradient sums one δ·x term per output; ``∇W = X ⋆ δ`` for all weights at
    once (stride 1, no padding). Numbers come from ``core.conv2d``,
    ``core.conv2d_backward`` and ``core.conv_step``.
    """
    x, w, delta = np.asarray(x), np.asarray(w), np.asarray(delta)
    y = core.conv2d(x, w)
    if delta.shape != y.shape:
        raise ValueError(f"delta must have the shape of the output Y = X {CONV} W: {core.fmt_shape(y.shape)} "
                         f"(X {core.fmt_shape(x.shape)}, W {core.fmt_shape(w.shape)}), got {core.fmt_shape(delta.shape)}")
    grads = core.conv2d_backward(x, w, delta)
    if len(weight) != 2:
        raise ValueError(f"weight is a (row, column) pair, got {weight!r}")
    a, b = weight[0] - 1, weight[1] - 1
    if not (0 <= a < w.shape[0] and 0 <= b < w.shape[1]):
        raise ValueError(f"weight {tuple(weight)!r} is not in the {core.fmt_shape(w.shape)} kernel (rows and "
                         "columns count from 1)")
    paths = tuple((i, j, _num(x[i + a, j + b]), _num(delta[i, j]), _num(x[i + a, j + b] * delta[i, j]))
                  for i in range(y.shape[0]) for j in range(y.shape[1]))
    dw_steps = tuple(core.conv_step(x, delta, r, c) for r in range(w.shape[0]) for c in range(w.shape[1]))
    return BackpropData(x=x, w=w, y=y, delta=delta, weight=(a, b), paths=paths,
                        grad_weight=_num(grads.dW[a, b]), dw=grads.dW, dw_steps=dw_steps)


def _num(v):
    """A NumPy scalar as a plain Python number."""
    return v.item() if hasattr(v, "item") else v


def _sub(a: int, b: int) -> str:
    """A weight's subscript from 0-based indices, 1-based as on screen: (0, 1) → "₁₂"."""
    digits = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
    return f"{a + 1}{b + 1}".translate(digits)


def _tex_num(v, paren: bool = True) -> str:
    """A number for a formula: negatives braced (a unary minus) and, in a product, in parentheses."""
    s = fmt_num(v)
    if v < 0:
        return f"({{{s}}})" if paren else f"{{{s}}}"
    return s


class BackpropWeightSharing(CnnvizScene):
    data = staticmethod(backprop_data)

    def must_show(self, d) -> list[str]:
        return [fmt_num(v) for g in (d.x, d.w, d.y, d.delta, d.dw) for v in g.ravel()]

    def construct(self):
        d = self.data()
        a, b = d.weight
        oh, ow = d.y.shape
        kh, kw = d.w.shape
        hl = theme.HIGHLIGHT
        wsub = f"{a + 1}{b + 1}"
        w_tex = rf"{{\color{{{hl}}}w_{{{wsub}}}}}"
        head = title("Backpropagation through a shared weight", size=30)

        # ---- the setting: X ⋆ W = Y, the upstream δ, an empty ∇W
        cells = d.x.shape[1] + 2 * kw + 2 * ow
        c = min(0.95, (13.4 - 2.9) / cells)
        vmax = float(np.abs(d.delta).max()) or 1.0
        dw_head = label("∇W = ∂L/∂W", size=theme.SMALL_SIZE)
        while True:  # the largest cells (font at least the minimum) at which the five grids fit across the frame
            fs = max(float(theme.MIN_FONT), 30 * c / 0.95)
            x_grid = ValueGrid(d.x, cell_size=c, font_size=fs, color=theme.INPUT)
            w_grid = ValueGrid(d.w, cell_size=c, font_size=fs, color=theme.KERNEL)
            y_grid = ValueGrid(d.y, cell_size=c, font_size=fs, color=theme.OUTPUT)
            g_grid = ValueGrid(d.delta, cell_size=c, font_size=fs, color=theme.TEXT, shade="signed",
                               vrange=(-vmax, vmax))
            dw_grid = ValueGrid(d.dw, cell_size=c, font_size=fs, color=theme.KERNEL, show_values=False)  # fills in
            star, eq = label(CONV, size=40), label("=", size=40)
            row = VGroup(x_grid, star, w_grid, eq, y_grid).arrange(RIGHT, buff=0.25)
            whole = VGroup(row, g_grid, dw_grid).arrange(RIGHT, buff=0.65)
            width = whole.width + max(0.0, (dw_head.width - dw_grid.width) / 2)
            if width <= 13.4 or fs <= theme.MIN_FONT:
                break
            c = max(c - 0.03, 0.95 * theme.MIN_FONT / 30)
        whole.move_to([-max(0.0, (dw_head.width - dw_grid.width) / 4), 1.2, 0])
        for g in (w_grid, y_grid, g_grid, dw_grid):
            g.set_y(x_grid.get_y())
        top = x_grid.get_top()[1] + 0.4  # the headings' tops, level whatever their letters
        heads = VGroup(*(label(t, size=theme.SMALL_SIZE, color=col).move_to([g.get_x(), 0, 0]).align_to([0, top, 0], UP)
                         for t, col, g in (
            ("input X", theme.INPUT, x_grid), ("kernel W", theme.KERNEL, w_grid), ("output Y", theme.OUTPUT, y_grid),
            ("δ = ∂L/∂Y", theme.TEXT, g_grid), ("∇W = ∂L/∂W", theme.KERNEL, dw_grid))))
        self.add(head, row, heads, g_grid, dw_grid)
        self.beat(note=f"The forward pass: Y = X {CONV} W. Backpropagation brings the loss's gradient δ = ∂L/∂Y "
                       "for every output; we want ∇W, the gradient of every weight.", hold=1.0)

        # ---- 1. weight sharing: w_ab is used at every position of the window
        wbox = w_grid.window(a, b, 1, 1, color=hl)
        window = SlidingWindow(x_grid, kh, kw).place(0, 0)
        n_paths = len(d.paths)
        x_sub = "x_{ij}" if (a, b) == (0, 0) else f"x_{{i+{a},\\,j+{b}}}"
        used = Formula(rf"y_{{ij}} = {w_tex}\, {x_sub} + \dots \quad\Rightarrow\quad "
                       rf"\frac{{\partial y_{{ij}}}}{{\partial {w_tex}}} = {x_sub}", font_size=32).move_to([0, -1.2, 0])
        self.play(Create(wbox), Create(window), Fade(used, out=False), run_time=0.8)
        x_marks, y_marks = VGroup(), VGroup()
        for k, (i, j, *_rest) in enumerate(d.paths):
            if k:
                self.play(window.step_to(i, j), run_time=0.4 if k < 2 else 0.25)
            xm, ym = x_grid.window(i + a, j + b, 1, 1, color=hl), y_grid.window(i, j, 1, 1, color=hl)
            self.play(Create(xm), Create(ym), run_time=0.4 if k < 2 else 0.25)
            x_marks.add(xm)
            y_marks.add(ym)
        shared = label(f"the same weight, {n_paths} outputs: {n_paths} paths to the loss", color=hl)
        shared.move_to([0, -2.5, 0])
        self.play(Fade(window), Fade(shared, out=False), run_time=0.5)
        self.beat(note=f"Weight sharing: w{_sub(a, b)} is used at every position of the window, so it touches all "
                       f"{n_paths} outputs — {n_paths} paths from this one weight to the loss.", hold=1.2)

        # ---- 2. the chain rule: ∂L/∂w = Σ δ_ij · x_ij, one term per path
        chain = Formula(rf"\frac{{\partial L}}{{\partial {w_tex}}} = \sum_{{i,j}} "
                        rf"\frac{{\partial L}}{{\partial y_{{ij}}}}\,\frac{{\partial y_{{ij}}}}{{\partial {w_tex}}}"
                        rf" = \sum_{{i,j}} \delta_{{ij}}\, {x_sub}", font_size=32).move_to(used)
        self.play(Fade(shared), Fade(used), run_time=0.4)
        self.play(Fade(chain, out=False), run_time=0.6)
        cols = 2 if n_paths <= 4 else 3
        terms = VGroup()
        for i, j, xv, dv, pv in d.paths:
            xi = f"x_{{{i + a + 1}{j + b + 1}}}"
            terms.add(Formula(rf"\delta_{{{i + 1}{j + 1}}}\,{{\color{{{theme.INPUT}}}{xi}}} = {_tex_num(dv)} \cdot "
                              rf"{{\color{{{theme.INPUT}}}{_tex_num(xv)}}} = {_tex_num(pv, paren=False)}", font_size=28))
        terms.arrange_in_grid(cols=cols, buff=(0.9, 0.25)).move_to([0, -2.75, 0])
        d_marks = VGroup()
        for k, ((i, j, *_rest), term) in enumerate(zip(d.paths, terms)):
            dm = g_grid.window(i, j, 1, 1, color=hl)
            slow = k < 2
            self.play(Create(dm), Indicate(x_marks[k], color=hl), FadeIn(term, shift=0.2 * UP),
                      run_time=0.7 if slow else 0.4)
            d_marks.add(dm)
        total = Formula(rf"\frac{{\partial L}}{{\partial {w_tex}}} = "
                        + " + ".join(_tex_num(p[4]) for p in d.paths) + rf" = {_tex_num(d.grad_weight, paren=False)}",
                        font_size=32, color=hl).move_to(chain)
        self.play(Fade(chain), run_time=0.4)
        self.play(Fade(total, out=False), run_time=0.6)
        result = dw_grid.value_label(a, b, d.dw[a, b])
        self.play(Fade(result, out=False), Indicate(dw_grid.cell(a, b), color=hl), run_time=0.7)
        self.beat(note=f"The chain rule sums one term δ·x per path: ∂L/∂w{_sub(a, b)} = "
                       f"{' + '.join(fmt_num(p[4]) for p in d.paths)} = {fmt_num(d.grad_weight)}.", hold=1.6)

        # ---- 3. every weight at once: ∇W = X ⋆ δ, δ sliding over X like a kernel
        self.play(Fade(VGroup(terms, total, x_marks, y_marks, d_marks, wbox)), run_time=0.5)
        rule = Formula(r"\nabla W = X \circledast \delta", font_size=36).move_to([0, -1.0, 0])
        sub = label(f"δ ({core.fmt_shape(d.delta.shape)}) slides over X like a kernel", size=theme.SMALL_SIZE,
                    color=theme.MUTED).next_to(rule, DOWN, buff=0.25)
        dwin = SlidingWindow(x_grid, oh, ow).place(0, 0)
        wcell = w_grid.window(0, 0, 1, 1, color=hl)
        self.play(Fade(rule, out=False), Fade(sub, out=False), Create(dwin), Create(wcell), run_time=0.8)
        line = None
        hold = 1.4 if len(d.dw_steps) <= 4 else 0.9
        for k, step in enumerate(d.dw_steps):
            r, cc = step.out_pos
            if k:  # the old formula leaves, then the window and the weight move together, then the new formula
                self.play(Fade(line), run_time=0.3)
                self.play(dwin.step_to(r, cc), wcell.animate.move_to(w_grid.cell(r, cc)), run_time=0.4)
            prods = " + ".join(rf"{_tex_num(g)} \cdot {{\color{{{theme.INPUT}}}{_tex_num(v)}}}"
                               for v, g in zip(step.window.ravel(), step.kernel.ravel()))
            line = Formula(rf"\frac{{\partial L}}{{\partial w_{{{r + 1}{cc + 1}}}}} = {prods} = "
                           rf"{_tex_num(step.output, paren=False)}", font_size=32, color=theme.KERNEL)
            fit_width(line, 13.4).move_to([0, -2.9, 0])
            if (r, cc) == (a, b):
                self.play(Fade(line, out=False), Indicate(result, color=hl), run_time=0.6)
            else:
                value = dw_grid.value_label(r, cc, d.dw[r, cc])
                self.play(Fade(line, out=False), FadeIn(value, scale=1.5), run_time=0.6)
            self.beat(note=f"∂L/∂w{_sub(r, cc)}: δ slides over X like a kernel; at this position the window's "
                           f"products add up to {fmt_num(step.output)}.", hold=hold)
        end = caption(f"Each weight's gradient sums δ·x over all {n_paths} positions it was used at",
                      color=theme.KERNEL)
        self.play(Fade(dwin), Fade(wcell), Fade(line), Fade(rule), Fade(sub), run_time=0.5)
        self.play(Fade(end, out=False), run_time=0.5)
        self.beat(note=f"∇W = X {CONV} δ: every weight's gradient sums δ·x over the {n_paths} positions where it "
                       "was used. One update then changes the shared kernel everywhere at once.", hold=1.6)
        self.clear_all()


# ============================================================ MiniBatchTraining
@dataclass(frozen=True)
class MiniBatchData:
    images: np.ndarray        # (B, H, W, C) uint8: B crops of the course's photos, channels last
    sources: tuple            # (photo, crop box, downsampling factor) of each image
    batch: np.ndarray         # (B, C, H, W): np.stack of the images, in PyTorch's layout — the notebook's X
    kernel: np.ndarray        # (F, F, C, M): the conv layer's seeded filters (filter 0 a vertical-edge detector)
    bias: np.ndarray          # (M,)
    padding: int
    out: np.ndarray           # (B, M, H', W'): the layer's output, one vectorised call (core.conv2d_batch)
    feature_maps: np.ndarray  # (B, H', W') uint8: |filter 0's output| of each image, scaled to 0–255 to draw
    schedule: core.TrainingSchedule


def minibatch_data(
    dataset_size: Annotated[int, Param("N, the images in the training set", min=1, max=1_000_000)] = 8000,
    batch_size: Annotated[int, Param("B, the images in one mini-batch", min=1, max=64)] = 32,
    epochs: Annotated[int, Param("how many times the training set is seen", min=1, max=100)] = 20,
    image_size: Annotated[int, Param("H = W, the side of each image in pixels", min=8, max=64)] = 64,
    channels: Annotated[int, Param("C, 3 for RGB or 1 for grey", choices=(1, 3))] = 3,
    filters: Annotated[int, Param("M, the conv layer's filters", min=1, max=16)] = 8,
    kernel_size: Annotated[int, Param("F, the side of each filter (odd: 'same' padding)", choices=(1, 3, 5))] = 3,
    seed: Annotated[int, Param("the random seed of the crops and the filters", min=0, max=10_000)] = 0,
) -> MiniBatchData:
    """The notebook's III.4 example: 32 RGB 64×64 images become one (32, 3, 64, 64) tensor;
    one conv layer runs on the whole batch at once; N = 8000 and B = 32 give 250 steps per
    epoch, and 20 epochs 5,000 updates (``core.training_schedule``).

    The images are seeded random crops of the course's photos (``cnnviz.images.photo``:
    a random photo, a random square of ``image_size × factor`` pixels, shrunk by ``factor``).
    """
    from cnnviz import images

    if channels not in (1, 3):
        raise ValueError(f"images have 1 (grey) or 3 (RGB) channels, got {channels!r}")
    if isinstance(image_size, bool) or not isinstance(image_size, int) or image_size < 8:
        raise ValueError(f"the image size must be an integer >= 8, got {image_size!r}")
    sched = core.training_schedule(dataset_size, batch_size, epochs)
    mode = "RGB" if channels == 3 else "L"
    rng = np.random.default_rng(seed)
    sizes = {name: images.photo(name, mode).shape[:2] for name in images.PHOTOS}
    crops, sources = [], []
    for _ in range(batch_size):
        name = images.PHOTOS[rng.integers(len(images.PHOTOS))]
        h, w = sizes[name]
        fits = [f for f in (1, 2, 4) if f * image_size <= min(h, w)]
        if not fits:
            raise ValueError(f"a {image_size}×{image_size} image does not fit the {w}×{h} photo {name!r}")
        f = int(rng.choice(fits))
        side = f * image_size
        left, top = int(rng.integers(0, w - side + 1)), int(rng.integers(0, h - side + 1))
        box = (left, top, left + side, top + side)
        crop = images.photo(name, mode, box=box, factor=f)
        crops.append(crop if crop.ndim == 3 else crop[:, :, None])
        sources.append((name, box, f))
    stacked = np.stack(crops)                 # (B, H, W, C): one array, channels last
    batch = stacked.transpose(0, 3, 1, 2)     # (B, C, H, W): PyTorch's layout, as the notebook writes it
    kernel = rng.normal(0.0, 0.1, (kernel_size, kernel_size, channels, filters))
    if kernel_size == 3:
        kernel[:, :, :, 0] = core.edge_kernel("vertical")[:, :, None] / channels
    bias = np.zeros(filters)
    padding = kernel_size // 2
    out = core.conv2d_batch(stacked, kernel, bias, padding=padding)   # (B, H', W', M), one call
    maps = map_pixels(out[..., 0], magnitude=True)   # |response| of filter 0, one scale for the batch
    return MiniBatchData(images=stacked, sources=tuple(sources), batch=batch, kernel=kernel, bias=bias,
                         padding=padding, out=out.transpose(0, 3, 1, 2), feature_maps=maps, schedule=sched)


def _shape(shape) -> str:
    """A shape as Python prints it, numbers with separators: (32, 3, 64, 64)."""
    return "(" + ", ".join(fmt_int(int(v)) for v in shape) + ("," if len(shape) == 1 else "") + ")"


def _tex_int(n: int) -> str:
    """An integer for a formula, with its thousands separator: 8{,}000."""
    return fmt_int(int(n)).replace(",", "{,}")


def _deck(n: int, spread: float = 1.6) -> list:
    """Offsets that fan ``n`` pictures into a deck: picture 0 in front, the others behind it,
    up and to the right (like a TensorStack), at most ``spread`` units from front to back."""
    step = min(0.07, spread / max(n - 1, 1))
    return [np.array([k * step, k * step, 0.0]) for k in range(n)]


def _montage(pictures, centers, height: float, ppu: float = 120.0):
    """Many equal pictures as ONE raster, to draw cheaply: each frame costs one image, not one per picture.

    ``pictures``: (n, H, W, 3) uint8; picture k is drawn ``height`` units tall centred on
    ``centers[k]`` (scene units), later pictures over earlier ones, each with a thin border in
    ``theme.GRID_LINE`` (like :class:`PixelImage`); ``ppu`` pixels per unit. Returns a
    ``PixelImage`` (RGBA, transparent between pictures) placed where those pictures would be.
    """
    from manim import ManimColor

    from cnnviz.drawings import PixelImage

    pictures = np.asarray(pictures)
    n, h, w = pictures.shape[:3]
    ph = max(1, round(height * ppu))
    pw = max(1, round(height * w / h * ppu))
    rows, cols = (np.arange(ph) * h) // ph, (np.arange(pw) * w) // pw   # nearest-neighbour upscaling
    centers = np.asarray(centers, dtype=float)[:, :2]
    x0, y1 = (centers[:, 0] - pw / ppu / 2).min(), (centers[:, 1] + ph / ppu / 2).max()
    x1, y0 = (centers[:, 0] + pw / ppu / 2).max(), (centers[:, 1] - ph / ppu / 2).min()
    canvas = np.zeros((int(round((y1 - y0) * ppu)) + 1, int(round((x1 - x0) * ppu)) + 1, 4), dtype=np.uint8)
    border = (np.array(ManimColor(theme.GRID_LINE).to_rgb()) * 255).round().astype(np.uint8)
    for pic, (cx, cy) in zip(pictures, centers):
        r0 = int(round((y1 - (cy + ph / ppu / 2)) * ppu))
        c0 = int(round((cx - pw / ppu / 2 - x0) * ppu))
        tile = np.empty((ph, pw, 4), dtype=np.uint8)
        tile[..., :3] = pic[rows][:, cols]
        tile[..., 3] = 255
        tile[:2, :, :3] = tile[-2:, :, :3] = border
        tile[:, :2, :3] = tile[:, -2:, :3] = border
        canvas[r0:r0 + ph, c0:c0 + pw] = tile
    img = PixelImage(canvas, height=canvas.shape[0] / ppu, border=None)
    return img.move_to([x0 + canvas.shape[1] / ppu / 2, y1 - canvas.shape[0] / ppu / 2, 0])


class MiniBatchTraining(CnnvizScene):
    data = staticmethod(minibatch_data)

    def must_show(self, d) -> list[str]:
        s = d.schedule
        return [_shape(d.images.shape), _shape(d.batch.shape), _shape(d.out.shape), fmt_int(s.dataset_size),
                fmt_int(s.steps_per_epoch), fmt_int(s.total_updates)]

    def construct(self):
        from cnnviz.drawings import PixelImage

        d = self.data()
        s = d.schedule
        B, C, H, W = d.batch.shape
        M = d.out.shape[1]
        head = title("Mini-batches: many images, one tensor, one forward pass", size=30)

        # ---- 1. the naive idea: one image at a time
        one = PixelImage(d.images[0] if C == 3 else d.images[0, :, :, 0], height=1.8)
        chain = Pipeline([("forward", theme.OUTPUT), ("backward", theme.KERNEL), ("update", theme.HIGHLIGHT)], size=30,
                         boxed=True)
        naive = Group(one, chain).arrange(RIGHT, buff=0.6).move_to([0, 0.8, 0])
        arrow0 = Arrow(one.get_right(), chain.stages[0].get_left(), buff=0.1, stroke_width=3, color=theme.MUTED,
                       max_tip_length_to_length_ratio=0.3)
        naive_head = label("The naive idea: one image at a time", size=30).next_to(naive, UP, buff=0.6)
        naive_note = label(f"× {fmt_int(s.dataset_size)} images: {fmt_int(s.dataset_size)} noisy updates per epoch, "
                           f"one after the other", color=theme.NEGATIVE)
        fit_width(naive_note, 13.4).next_to(naive, DOWN, buff=0.5)
        cross = Line(naive.get_corner(DOWN + LEFT), naive.get_corner(UP + RIGHT), stroke_color=theme.NEGATIVE,
                     stroke_width=6)
        self.add(head, naive_head, one, arrow0, chain)
        self.beat(note="The naive idea: show the network one image, run forward, backward and update, then the "
                       "next image.", hold=0.8)
        self.play(Fade(naive_note, out=False), Create(cross), run_time=0.8)
        self.beat(note=f"With {fmt_int(s.dataset_size)} images that is {fmt_int(s.dataset_size)} noisy updates per "
                       "epoch, one after the other: slow, and each update follows a single image.", hold=1.0)
        self.play(Fade(Group(one, arrow0, chain, naive_head, naive_note, cross)), run_time=0.5)

        # ---- 2. B images become one (B, C, H, W) tensor
        rgb = d.images if C == 3 else np.repeat(d.images, 3, axis=3)
        cols = int(np.ceil(np.sqrt(2 * B)))
        rows = int(np.ceil(B / cols))
        thumb = min(1.0, 12.5 / cols - 0.12, 4.6 / rows - 0.12)
        pics = [PixelImage(img, height=thumb) for img in rgb]
        grid = Group(*pics).arrange_in_grid(rows=rows, cols=cols, buff=0.12).move_to([0, -0.3, 0])
        # drawn as one raster while it stands still; the B pictures only while they fly
        grid_raster = _montage(rgb, [p.get_center() for p in pics], thumb)
        photos = [photo_name(p) for p in sorted({src[0] for src in d.sources})]
        listed = photos[0] if len(photos) == 1 else ", ".join(photos[:-1]) + " and " + photos[-1]
        grid_head = VGroup(label(f"{B} image{'s' if B > 1 else ''}, each {H}×{W}×{C}", color=theme.INPUT),
                           label(f"random crops of {listed}", size=theme.SMALL_SIZE, color=theme.MUTED))
        grid_head.arrange(DOWN, buff=0.1).next_to(grid, UP, buff=0.25)
        self.play(Fade(grid_raster, out=False), Fade(grid_head, out=False), run_time=1.0)
        self.beat(note=f"Instead we process images in mini-batches: here B = {B} images of {H}×{W} pixels with "
                       f"{C} channel{'s' if C > 1 else ''} each.", hold=1.0)

        deck_h = 2.1
        front = np.array([-5.4, -0.3, 0.0])
        offsets = _deck(B)
        deck_centers = [front + o for o in offsets]
        deck = _montage(rgb[::-1], deck_centers[::-1], deck_h)  # image 0 drawn last: the front of the deck
        self.remove(grid_raster)
        self.add(*reversed(pics))
        moves = [p.animate.scale_to_fit_height(deck_h).move_to(c) for p, c in zip(pics, deck_centers)]
        shape_txt = as_code(label(f"X.shape = {_shape(d.batch.shape)}", size=24, mono=True, color=theme.INPUT))
        legend = label("(B, C, H, W)", size=theme.SMALL_SIZE, color=theme.MUTED)
        VGroup(shape_txt, legend).arrange(DOWN, buff=0.15).next_to(deck, DOWN, buff=0.35).align_to(deck, LEFT)
        # the code that makes X, with the shape after each step: stacking keeps channels last, then the transpose
        stack_note = as_code(VGroup(
            label(f"np.stack(images)        → {_shape(d.images.shape)}   (B, H, W, C)", size=theme.SMALL_SIZE,
                  mono=True, color=theme.INPUT),
            label(f"   .transpose(0, 3, 1, 2) → {_shape(d.batch.shape)}   (B, C, H, W)", size=theme.SMALL_SIZE,
                  mono=True, color=theme.INPUT),
        ).arrange(DOWN, buff=0.12, aligned_edge=LEFT))
        fit_width(stack_note, 13.4).to_edge(DOWN, buff=0.3)
        self.play(*moves, Fade(grid_head), run_time=1.0)
        self.remove(*pics)
        self.add(deck)
        self.play(Fade(shape_txt, out=False), Fade(legend, out=False), Fade(stack_note, out=False), run_time=0.6)
        self.beat(note=f"Stacking the {B} arrays gives one 4-D tensor {_shape(d.images.shape)}, channels last; "
                       f"PyTorch wants channels first, so a transpose makes it {_shape(d.batch.shape)}: (B, C, H, W).",
                  hold=1.6)

        # ---- 3. one vectorised forward: the whole batch through a conv layer at once
        conv = Pipeline([("Conv2d", theme.KERNEL)], size=30, boxed=True).move_to([-0.2, front[1] + 0.55, 0])
        conv_sub = label(f"{M} filters {core.fmt_shape(d.kernel.shape[:3])}, padding {d.padding}",
                         size=theme.SMALL_SIZE, color=theme.KERNEL).next_to(conv, DOWN, buff=0.2)
        maps = np.repeat(d.feature_maps[..., None], 3, axis=3)
        out_front = np.array([3.3, -0.3, 0.0])
        out_deck = _montage(maps[::-1], [out_front + o for o in offsets[::-1]], deck_h)
        out_txt = label(f"shape {_shape(d.out.shape)}", size=24, mono=True, color=theme.OUTPUT)
        out_legend = label("filter 1's map of each image", size=theme.SMALL_SIZE, color=theme.MUTED)
        VGroup(out_txt, out_legend).arrange(DOWN, buff=0.15).next_to(out_deck, DOWN, buff=0.35)
        a1 = Arrow(deck.get_right() + 0.1 * RIGHT, conv.get_left(), buff=0.1, stroke_width=4, color=theme.MUTED,
                   max_tip_length_to_length_ratio=0.15)
        a2 = Arrow(conv.get_right(), out_deck.get_left() + 0.1 * LEFT, buff=0.1, stroke_width=4, color=theme.MUTED,
                   max_tip_length_to_length_ratio=0.15)
        fwd_note = caption(f"one vectorised call on all {B} images at once, not {B} separate forward passes",
                           color=theme.OUTPUT)
        self.play(Fade(stack_note), run_time=0.3)
        self.play(Fade(conv, out=False), Fade(conv_sub, out=False), Create(a1), Fade(fwd_note, out=False), run_time=0.8)
        self.play(Create(a2), Fade(out_deck, out=False), Fade(out_txt, out=False), Fade(out_legend, out=False), run_time=1.2)
        self.beat(note=f"The whole batch goes through the convolution layer in one vectorised call: {M} filters give "
                       f"an output of shape {_shape(d.out.shape)}, one set of maps per image.", hold=1.5)

        # ---- 4. steps and epochs
        self.play(Fade(Group(deck, shape_txt, legend, conv, conv_sub, a1, a2, out_deck, out_txt, out_legend,
                                fwd_note)), run_time=0.6)
        step_f = Formula(rf"\text{{steps per epoch}} = \frac{{N}}{{B}} = \frac{{{_tex_int(s.dataset_size)}}}{{{_tex_int(s.batch_size)}}}"
                         rf" = {_tex_int(s.steps_per_epoch)}", font_size=34).move_to([0, 2.1, 0])
        bar_w = 12.0
        bar = Rectangle(width=bar_w, height=0.45, stroke_color=theme.INPUT, stroke_width=2).move_to([0, 0.9, 0])
        ticks = VMobject(stroke_color=theme.GRID_LINE, stroke_width=1)  # one path of many strokes: cheap to draw
        for k in range(1, s.steps_per_epoch if s.steps_per_epoch <= 400 else 0):  # a tick per step, where they show
            ticks.start_new_path(bar.get_corner(DOWN + LEFT) + RIGHT * bar_w * k / s.steps_per_epoch)
            ticks.add_line_to(bar.get_corner(UP + LEFT) + RIGHT * bar_w * k / s.steps_per_epoch)
        fill = Rectangle(width=bar_w, height=0.45, stroke_width=0).set_fill(theme.INPUT, opacity=0.55).move_to(bar)
        ends = VGroup(label("step 1", size=theme.SMALL_SIZE, color=theme.MUTED).next_to(bar, DOWN, buff=0.15)
                      .align_to(bar, LEFT),
                      label(f"step {fmt_int(s.steps_per_epoch)}", size=theme.SMALL_SIZE, color=theme.MUTED)
                      .next_to(bar, DOWN, buff=0.15).align_to(bar, RIGHT))
        epoch_name = label(f"1 epoch = {fmt_int(s.dataset_size)} images seen once = {fmt_int(s.steps_per_epoch)} "
                           f"updates of {s.batch_size}", size=theme.SMALL_SIZE, color=theme.INPUT)
        epoch_name.next_to(ends, DOWN, buff=0.15)
        self.play(Fade(step_f, out=False), Fade(bar, out=False), Fade(ticks, out=False), Fade(ends, out=False), run_time=0.8)
        fill.stretch_to_fit_width(0.01).align_to(bar, LEFT)  # the epoch fills up from step 1 to the last
        self.add(fill)
        self.play(fill.animate.stretch_to_fit_width(bar_w).align_to(bar, LEFT), Fade(epoch_name, out=False), run_time=1.5)
        self.beat(note=f"One epoch sees every image once: N / B = {fmt_int(s.dataset_size)} / {s.batch_size} gives "
                       f"{fmt_int(s.steps_per_epoch)} steps, each one update of the weights from {s.batch_size} "
                       "images.", hold=1.2)

        e = s.epochs
        cell_w = min(0.6, (bar_w - 0.05 * (e - 1)) / e)
        blocks = VGroup(*(Rectangle(width=cell_w, height=0.45, stroke_color=theme.OUTPUT, stroke_width=1.5)
                          for _ in range(e))).arrange(RIGHT, buff=0.05).move_to([0, -1.3, 0])
        filled = VGroup(*(b.copy().set_fill(theme.OUTPUT, opacity=0.6) for b in blocks))
        ep_label = label(f"{e} epochs", size=theme.SMALL_SIZE, color=theme.OUTPUT).next_to(blocks, UP, buff=0.15)
        total_f = Formula(rf"\text{{updates}} = {_tex_int(s.steps_per_epoch)} \times {_tex_int(e)} = "
                          rf"\mathbf{{{fmt_int(s.total_updates).replace(',', '{,}')}}}", font_size=38,
                          color=theme.OUTPUT).move_to([0, -2.55, 0])
        self.play(Fade(blocks, out=False), Fade(ep_label, out=False), run_time=0.6)
        self.play(LaggedStart(*(Fade(b, out=False) for b in filled), lag_ratio=0.3), run_time=1.6)
        self.play(Fade(total_f, out=False), run_time=0.7)
        self.beat(note=f"Training repeats this for {e} epoch{'s' if e > 1 else ''}: "
                       f"{fmt_int(s.steps_per_epoch)} × {e} = {fmt_int(s.total_updates)} updates of the weights.",
                  hold=1.8)
        self.clear_all()


