"""Chapter 2, section I — the convolution operator with numbers: a window, its products, their sum and the
output cell (``NumericConvChoreography``), for one filter, two filters and three channels with a bias.

The notebook shows these three scenes side by side with the architecture diagrams, at half width
(about 500 px): every text here is at least 30 (``registry.min_font``), so the scenes show less at
once — one kernel or one channel at full size, then the next, and a position's products only while
it is explained.

Each scene: a pure data function (inputs → every number and every sentence shown, from ``cnnviz.core``)
and the choreography that draws it with the shared drawings.
Render one with ``manim -ql scenes/ch2_numeric.py ConvExampleExplainedClean``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import numpy as np
from manim import (
    DOWN,
    RIGHT,
    UP,
    FadeIn,
    FadeOut,
    Indicate,
    VGroup,
    config,
)

from cnnviz import core, notation, theme
from cnnviz.drawings import (
    CnnvizScene,
    SlidingWindow,
    ValueGrid,
    fmt_factor,
    fmt_num,
    label,
    title,
)
from cnnviz.params import Grid, Param, Tensor3

#: every text of these half-width scenes (the notebook shows them ~500 px wide): registry.min_font
FONT = 30
#: the largest cell of a value grid (scene units)
CELL = 0.9


def _font(cell: float) -> float:
    """The grids' numbers: 30 in a cell 0.75 tall, larger in a larger cell (up to 36)."""
    return max(FONT, min(36.0, FONT * cell / 0.75))
#: the grids' tops (below the title and their headings); the input on the left goes down to LEFT_BOTTOM,
#: the kernel and the output on the right to RIGHT_BOTTOM, and the products are written below them
GRIDS_TOP, LEFT_BOTTOM, RIGHT_BOTTOM = 2.6, -2.3, -0.15
#: the most rows a grid may have: 7 rows of cells 0.47 tall hold numbers 0.32 tall apart. Padding follows from it:
#: ConvExampleExplainedClean passes the layout check with 3 rings around a 1×1 input (7×7, 49 positions), not
#: with 4 (9×9: 81 positions overrun the 40 s and their values cross mid-animation).
MAX_ROWS = 7


#: ConvExampleExplainedClean's most explained positions: at its most positions (a 6×6 input, a 1×1 kernel: 36), 8
#: explained positions keep the scene within 40 s, 9 do not (43.1 s); with fewer positions all may be explained.
#: (Conv2FiltersExample: 2 per kernel at its most positions, 3 take 42.0 s.)
N_EXPLAINED_MAX = 8


# ============================================================ shared data helpers
#: The 5×5 integer input of ConvExampleExplainedClean (the README's picture) and Conv2FiltersExample.
EXAMPLE_INPUT = (
    (3, 0, 1, 2, 7),
    (1, 5, 8, 9, 3),
    (2, 7, 2, 5, 1),
    (0, 1, 3, 1, 7),
    (4, 2, 1, 6, 2),
)


def _grid(value, name: str) -> np.ndarray:
    """``value`` as a 2-D array of numbers, or a ValueError naming the argument."""
    try:
        a = np.asarray(value)
    except ValueError:  # ragged rows
        raise ValueError(f"{name} must be rows of numbers of equal length") from None
    if a.ndim != 2 or a.size == 0 or not (np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)):
        raise ValueError(f"{name} must be rows of numbers, like [[1, 2], [3, 4]]: got {value!r:.60}")
    return a


def _check_int(v, name: str, lo: int) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
        raise ValueError(f"{name} must be a whole number ≥ {lo}: got {v!r}")
    return int(v)


def _all_steps(x, w, b=None, m=None, stride: int = 1, padding: int = 0) -> tuple:
    """``core.conv_step`` for every output pixel of ``conv2d(x, w, b, stride, padding)``, in raster order."""
    g = core.conv_geometry(np.shape(x), np.shape(w), stride, padding)
    return tuple(core.conv_step(x, w, i, j, stride=stride, padding=padding, b=b, m=m)
                 for i in range(g.out_h) for j in range(g.out_w))


def size_lines(in_hw, k_hw, stride: int = 1, padding: int = 0) -> tuple[str, ...]:
    """How the output's size follows from the input's, the kernel's, the stride and the padding: one line
    ("each side: 5 − 3 + 1 = 3") when both sides agree, else one per side (rows, columns)."""
    def one(n, f):
        out = core.output_size(n, f, padding, stride)
        top = f"{n} + 2×{padding} − {f}" if padding else f"{n} − {f}"
        if stride == 1:
            return f"{top} + 1 = {out}"
        return f"⌊({top}) / {stride}⌋ + 1 = {out}"

    (h, w), (kh, kw) = in_hw, k_hw
    if (h, kh) == (w, kw):
        return (f"each side: {one(h, kh)}",)
    return (f"rows: {one(h, kh)}", f"columns: {one(w, kw)}")


def _check_padded(shape, padding: int) -> None:
    """The padded input must fit the scene's row of grids: at most MAX_ROWS rows and columns."""
    hp, wp = shape[0] + 2 * padding, shape[1] + 2 * padding
    if max(hp, wp) > MAX_ROWS:
        raise ValueError(f"padding {padding} makes the {core.fmt_shape(shape[:2])} input {hp}×{wp}: a padded input "
                         f"of at most {MAX_ROWS}×{MAX_ROWS} fits this scene at a readable size")


def _sign_color(v) -> str:
    return theme.NEGATIVE if v < 0 else theme.POSITIVE if v > 0 else theme.MUTED


# ============================================================ shared drawing helpers
def _heading(mob, text: str, color: str):
    return label(text, size=FONT, color=color).next_to(mob, UP, buff=0.15)


def _operand_grid(a, padding: int, cell: float, color: str) -> ValueGrid:
    """An input drawn with its ring of ``padding`` zeros (the ring's cells in the padding colour)."""
    padded = np.pad(a, padding) if padding else a
    g = ValueGrid(padded, cell_size=cell, font_size=_font(cell), color=color)
    if padding:
        H, W = padded.shape
        for i in range(H):
            for j in range(W):
                if not (padding <= i < H - padding and padding <= j < W - padding):
                    g.cell(i, j).set_fill(theme.PADDING, opacity=1).set_stroke(theme.GRID_LINE)
                    g.label_at(i, j).set_color(theme.PAD_LABEL)
    return g


def _cell(left_shape, right_shapes, n_signs: int) -> float:
    """One cell size for the input (``left_shape``) on the left and the grids of ``right_shapes`` side by side
    on the right, with ``n_signs`` signs (⊛, =, +) between them: as large as the room allows."""
    cols = left_shape[1] + sum(s[1] for s in right_shapes)
    room_w = config.frame_width - 0.9 - 0.75 * n_signs - 0.4 * (len(right_shapes) - 1)
    return min(CELL, (GRIDS_TOP - LEFT_BOTTOM) / left_shape[0],
               (GRIDS_TOP - RIGHT_BOTTOM) / max(s[0] for s in right_shapes), room_w / cols)


def _fitted(cell: float, build, n_signs: int):
    """``build(cell)`` → (the grids drawn side by side in the row, anything else it built): the largest cell from
    ``cell`` down (never below 0.5; the numbers never below 30, their cells widen) whose row fits the frame."""
    room = config.frame_width - 0.9 - 0.75 * n_signs
    while True:
        row, built = build(cell)
        if sum(g.width for g in row) + 0.4 * (len(row) - 1) <= room or cell <= 0.5:
            return cell, built
        cell = round(cell - 0.05, 2)


def _place(left, sign, right: VGroup, grids, top: float = GRIDS_TOP) -> tuple[float, float]:
    """The input ``left`` against the frame's left margin, ``sign`` (⊛) after it, and the row ``right``
    (kernel, =, output …) centred in the rest, every grid's top at ``top``. Returns where the products
    go: (centre x, top y) below the right side."""
    edge = config.frame_width / 2 - 0.45
    left.move_to([-edge + left.width / 2, top - left.height / 2, 0])
    sign.next_to(left, RIGHT, buff=0.3)
    start = sign.get_right()[0] + 0.3
    parts = sum(m.width for m in right)
    right.arrange(RIGHT, buff=max(0.2, min(0.45, (edge - start - parts) / max(len(right) - 1, 1))))
    right.move_to([(start + edge) / 2, 0, 0])
    for g in grids:
        g.align_to([0, top, 0], UP)
    ys = grids[0].get_y()
    for m in right:  # the signs (not the grids, nor a group of them) at the kernel's middle
        if not any(g in m.get_family() for g in grids):
            m.set_y(ys)
    sign.set_y(ys)
    return (start + edge) / 2, min(g.get_bottom()[1] for g in grids) - 0.35


def _balanced_top(left_h: float, right_h: float, below_right: float, summary_h: float) -> float:
    """The grids' top that centres the composition between the title and the frame's bottom margin.

    The input (``left_h`` tall) and, on the right, grids ``right_h`` tall with ``below_right`` under them
    (the products); the input stays clear of the summary's ``summary_h`` at the bottom. Never above
    GRIDS_TOP (the headings sit between it and the title)."""
    bottom = -config.frame_height / 2 + theme.EDGE_MARGIN + 0.05
    used = max(left_h, right_h + below_right)
    top = (GRIDS_TOP + bottom + used) / 2  # equal room above the headings' line and below the lowest part
    top = max(top, bottom + summary_h + 0.25 + left_h)  # the input's bottom stays above the summary
    return min(GRIDS_TOP, top)


def _products(step: core.ConvStep, c: int, center_x: float, top: float, with_head: str = "", size: float = FONT):
    """One channel's ``a×b`` expressions and their products, written in the kernel's rows and columns.

    Every text at ``size`` (at least FONT); the columns as wide as the widest expression, so no two ever touch
    (floats like 0.5 included). Returns (head, expressions, products): products sit where their
    expressions were."""
    kh, kw = step.kernel.shape[:2]
    window = step.window.reshape(kh, kw, -1)[:, :, c]
    kernel = step.kernel.reshape(kh, kw, -1)[:, :, c]
    products = step.products.reshape(kh, kw, -1)[:, :, c]
    exprs = [label(f"{fmt_num(window[a, b])}×{fmt_factor(kernel[a, b])}", size=size, mono=True)
             for a in range(kh) for b in range(kw)]
    prods = [label(fmt_num(products[a, b]), size=size, mono=True, color=_sign_color(products[a, b]))
             for a in range(kh) for b in range(kw)]
    pitch_x = max(t.width for t in exprs + prods) + 0.4
    pitch_y = 0.5 * size / FONT
    head = label(with_head, size=size, color=theme.MUTED) if with_head else VGroup()
    y0 = top
    if with_head:
        head.move_to([center_x, top - head.height / 2, 0])
        y0 = head.get_bottom()[1] - 0.15
    y0 -= 0.2
    for k, (e, p) in enumerate(zip(exprs, prods)):
        a, b = divmod(k, kw)
        pos = [center_x + (b - (kw - 1) / 2) * pitch_x, y0 - a * pitch_y, 0]
        e.move_to(pos)
        p.move_to(pos)
    return head, VGroup(*exprs), VGroup(*prods)


def _explained_note(step: core.ConvStep, what: str = "window") -> str:
    r0, c0 = step.out_pos
    kh, kw = step.kernel.shape[:2]
    return (f"Output {notation.row_col(r0, c0)}: the {kh}×{kw} {what} under the window, multiplied cell by cell "
            f"with the kernel, then the {kh * kw} products added up.")


def _explanation(step, head_text: str, at: tuple[float, float], size: float = FONT):
    """One position's head, a×b expressions, products (see :func:`_products`) and their sum, at ``at``."""
    head, exprs, prods = _products(step, 0, *at, with_head=head_text, size=size)
    total = label(f"sum = {fmt_num(step.output)}", size=size, color=theme.OUTPUT)
    total.next_to(prods, RIGHT, buff=0.6)
    if total.get_right()[0] > config.frame_width / 2 - 0.35:
        total.next_to(prods, DOWN, buff=0.2)
    return head, exprs, prods, total


def _explain_one(scene, step, k_grid, value, head_text: str, first: bool, note_products: str, note_sum: str):
    """One position of a one-channel convolution: the a×b expressions (``first``: the scene's first time),
    then the products, their sum, and the output cell. The products go where ``scene.products_at`` says."""
    head, exprs, prods, total = _explanation(step, head_text, scene.products_at,
                                             size=getattr(scene, "products_size", FONT))
    if first:
        scene.play(FadeIn(head), FadeIn(exprs), Indicate(k_grid.labels, scale_factor=1.08), run_time=0.8)
        scene.beat(note=note_products, hold=1.0)
        scene.play(FadeOut(exprs), run_time=0.3)
        scene.play(FadeIn(prods), run_time=0.4)
    else:
        scene.play(FadeIn(head), FadeIn(prods), Indicate(k_grid.labels, scale_factor=1.08), run_time=0.8)
    scene.play(FadeIn(total, shift=RIGHT * 0.2), run_time=0.5)
    scene.beat(note=note_sum, hold=1.0)
    scene.play(FadeOut(VGroup(head, prods, total)), FadeIn(value, scale=1.3), run_time=0.6)


#: the most seconds a sweep spends on the positions it only fills in (many positions go faster, so that the scene
#: keeps to its 40 s: a 6×6 input with two 1×1 kernels has 72)
FILL_BUDGET = 8.0


def _sweep(scene, steps, window, target, grid, n_explained: int, explain):
    """The window over every position of ``steps``, its target over the output ``grid``'s cell: the first
    ``n_explained`` positions explained in full (``explain(k, step, value)``), the others just filled in
    (0.25 s a move and 0.25 s a value, faster when there are more than FILL_BUDGET seconds of them)."""
    rest = max(1, len(steps) - n_explained)
    dt = min(0.25, FILL_BUDGET / (2 * rest))
    for k, step in enumerate(steps):
        i, j = step.out_pos
        if k:
            scene.play(window.step_to(*step.window_pos), target.animate.move_to(grid.cell(i, j)),
                       run_time=0.5 if k < n_explained else dt)
        value = grid.value_label(i, j, step.output, color=theme.OUTPUT)
        if k < n_explained:
            explain(k, step, value)
        else:
            scene.play(FadeIn(value, scale=1.3), run_time=dt)


def _summary(scene, lines, window, target, note: str, hold: float = 1.5):
    """The last beat: the window and its target leave, the summary's lines arrive at the bottom."""
    done = VGroup(*(label(t, size=FONT, color=theme.OUTPUT) for t in lines))
    done.arrange(DOWN, buff=0.12).to_edge(DOWN, buff=0.35)
    scene.play(FadeOut(window), FadeOut(target), FadeIn(done), run_time=0.6)
    scene.beat(note=note, hold=hold)


# ============================================================ ConvExampleExplainedClean
@dataclass(frozen=True)
class ConvExampleData:
    x: np.ndarray            # H×W input
    w: np.ndarray            # kh×kw kernel
    stride: int
    padding: int
    out: np.ndarray          # the output map
    steps: tuple             # one core.ConvStep per output pixel, raster order
    n_explained: int         # the first steps shown with all their products
    labels: tuple            # ("input 5×5", "kernel 3×3", "output 3×3")
    size_lines: tuple        # how the output's size follows (see size_lines)
    summary: str             # the last caption's first line


def conv_example_data(
    x: Annotated[Grid, Param("the input image: rows of numbers", min=-99, max=99, max_shape=(6, 6),
                             noun="input")] = EXAMPLE_INPUT,
    w: Annotated[Grid | None, Param("the kernel (default: a 3×3 vertical-edge detector)", min=-99, max=99,
                                    max_shape=(4, 4), noun="kernel")] = None,
    stride: Annotated[int, Param("how many cells the window moves per step", min=1, max=3)] = 1,
    padding: Annotated[int, Param("rings of zeros around the input (the padded input counts toward its "
                                  f"{MAX_ROWS}×{MAX_ROWS})", min=0, max=(MAX_ROWS - 1) // 2)] = 0,
    n_explained: Annotated[int, Param("how many window positions are explained product by product",
                                      min=0, max=N_EXPLAINED_MAX)] = 2,
) -> ConvExampleData:
    """A 5×5 integer image and a vertical-edge kernel (``core.edge_kernel("vertical", "prewitt")``); any
    input and kernel (not only square ones), a stride and a padding."""
    x = _grid(x, "x (the input)")
    w = core.edge_kernel("vertical", "prewitt") if w is None else _grid(w, "w (the kernel)")
    stride = _check_int(stride, "stride", 1)
    padding = _check_int(padding, "padding", 0)
    n_explained = _check_int(n_explained, "n_explained", 0)
    out = core.conv2d(x, w, stride=stride, padding=padding)
    _check_padded(x.shape, padding)
    steps = _all_steps(x, w, stride=stride, padding=padding)
    labels = (f"input {core.fmt_shape(x.shape)}", f"kernel {core.fmt_shape(w.shape)}",
              f"output {core.fmt_shape(out.shape)}")
    n = len(steps)
    summary = f"{n} window position{'s' if n != 1 else ''} → a {core.fmt_shape(out.shape)} output"
    return ConvExampleData(x, w, stride, padding, out, steps, min(n_explained, n), labels,
                           size_lines(x.shape, w.shape, stride, padding), summary)


def _conv_title(base: str, stride: int, padding: int) -> str:
    extra = [f"stride {stride}"] * (stride != 1) + [f"padding {padding}"] * (padding != 0)
    return f"{base}, {', '.join(extra)}" if extra else base


class ConvExampleExplainedClean(CnnvizScene):
    data = staticmethod(conv_example_data)

    def must_show(self, d) -> list[str]:
        texts = [fmt_num(v) for v in d.out.ravel()]
        for step in d.steps[:d.n_explained]:
            texts += [fmt_num(v) for v in step.products.ravel()] + [fmt_num(step.output)]
        return texts + list(d.labels)

    def construct(self):
        d = self.data()
        p, s = d.padding, d.stride
        kh, kw = d.w.shape
        head = title(_conv_title("Convolution", s, p), size=FONT + 4)
        padded = (d.x.shape[0] + 2 * p, d.x.shape[1] + 2 * p)
        def build(cell):
            grids = (_operand_grid(d.x, p, cell, theme.INPUT),
                     ValueGrid(d.w, cell_size=cell, font_size=_font(cell), color=theme.KERNEL),
                     ValueGrid(d.out, cell_size=cell, font_size=_font(cell), color=theme.OUTPUT, show_values=False))
            return grids, grids

        cell, (x_grid, k_grid, o_grid) = _fitted(_cell(padded, [d.w.shape, d.out.shape], 2), build, 2)
        star, eq = label("⊛", size=40), label("=", size=40)
        self.products_at = _place(x_grid, star, VGroup(k_grid, eq, o_grid), [k_grid, o_grid])
        names = VGroup(*(_heading(g, t, c) for g, t, c in zip(
            (x_grid, k_grid, o_grid), d.labels, (theme.INPUT, theme.KERNEL, theme.OUTPUT))))
        top = max(n.get_top()[1] for n in names)
        for n in names:
            n.shift(UP * (top - n.get_top()[1]))
        window = SlidingWindow(x_grid, kh, kw)
        target = o_grid.window(0, 0, 1, 1, color=theme.HIGHLIGHT)
        self.add(head, x_grid, k_grid, o_grid, star, eq, names, window, target)
        self.beat(note=f"Our image is a {core.fmt_shape(d.x.shape)} matrix of numbers and our kernel a "
                       f"{core.fmt_shape(d.w.shape)} filter we choose. We slide the kernel over the image"
                       + (f", {s} cells at a time" if s > 1 else "")
                       + (f", around a border of zeros" if p else "")
                       + ", and at every position compute a multiplication + sum.")

        _sweep(self, d.steps, window, target, o_grid, d.n_explained,
               lambda k, step, value: self._explain(step, k_grid, value, k))

        done = VGroup(*(label(t, size=FONT, color=theme.OUTPUT) for t in (d.summary, *d.size_lines)))
        done.arrange(DOWN, buff=0.12).to_edge(DOWN, buff=0.35)
        self.play(FadeOut(window), FadeOut(target), FadeIn(done), run_time=0.6)
        self.beat(note=f"{d.summary[0].upper()}{d.summary[1:]}: every number of the feature map is one window "
                       f"times the kernel, summed. Its size: {'; '.join(d.size_lines)}.", hold=1.5)
        self.clear_all()

    def _explain(self, step, k_grid, value, k):
        """One position: the a×b expressions (the first time), the products, their sum, the output cell."""
        _explain_one(self, step, k_grid, value, "window × kernel, cell by cell", k == 0,
                     _explained_note(step) + " First, each pair of numbers on top of each other.",
                     f"The {step.products.size} products add up to {fmt_num(step.output)}: the output's "
                     f"{notation.row_col(*step.out_pos)}.")


# ============================================================ Conv2FiltersExample
#: what the notebook's two kernels detect
EDGE_NAMES = ("vertical edge", "horizontal edge")


@dataclass(frozen=True)
class TwoFiltersData:
    x: np.ndarray            # H×W input
    bank: np.ndarray         # kh×kw×1×M kernel bank (the notebook: a vertical- and a horizontal-edge kernel)
    names: tuple             # what each kernel detects ("" when the scene cannot say)
    stride: int
    padding: int
    out: np.ndarray          # H'×W'×M output: one map per kernel
    steps: tuple             # steps[m]: one core.ConvStep per output pixel of kernel m, raster order
    n_explained: int         # the first positions shown with all their products (for every kernel)
    summary: tuple           # the last caption's two lines


def two_filters_data(
    x: Annotated[Grid, Param("the input image: rows of numbers", min=-99, max=99, max_shape=(6, 6),
                             noun="input")] = EXAMPLE_INPUT,
    kernels: Annotated[Tensor3 | None, Param("the kernels, all of one size (default: a vertical- and a "
                                             "horizontal-edge detector)", min=-99, max=99, max_shape=(2, 4, 4),
                                             noun="kernel bank")] = None,
    names: Annotated[tuple[str, ...] | None, Param("what each kernel detects, one name per kernel (default: the "
                                                   "edge detectors' names; none for your own kernels)",
                                                   max_shape=(2,))] = None,
    stride: Annotated[int, Param("how many cells the window moves per step", min=1, max=3)] = 1,
    padding: Annotated[int, Param("rings of zeros around the input", min=0, max=1)] = 0,
    n_explained: Annotated[int, Param("how many window positions are explained product by product, per kernel",
                                      min=0, max=2)] = 1,
) -> TwoFiltersData:
    """The same input as ConvExampleExplainedClean, two kernels (``core.edge_kernel(..., "prewitt")``,
    vertical and horizontal), stacked into a kh×kw×1×M bank: one output map per kernel."""
    x = _grid(x, "x (the input)")
    if kernels is None:
        kernels = (core.edge_kernel("vertical", "prewitt"), core.edge_kernel("horizontal", "prewitt"))
        names = EDGE_NAMES if names is None else names
    if isinstance(kernels, np.ndarray) and kernels.ndim == 3:
        kernels = list(kernels)
    if not isinstance(kernels, (list, tuple)) or not kernels:
        raise ValueError("kernels must be a list of kernels (each rows of numbers), like [[[1, -1]], [[-1, 1]]]")
    ks = [_grid(k, f"kernels[{m}]") for m, k in enumerate(kernels)]
    for m, k in enumerate(ks[1:], 1):
        if k.shape != ks[0].shape:
            raise ValueError(f"kernels must all have one size: kernel {m + 1} is {core.fmt_shape(k.shape)}, "
                             f"kernel 1 is {core.fmt_shape(ks[0].shape)}")
    names = tuple("" for _ in ks) if names is None else tuple(str(n) for n in names)
    if len(names) != len(ks):
        raise ValueError(f"names: {len(ks)} kernels but {len(names)} names (give one name per kernel, or none)")
    stride = _check_int(stride, "stride", 1)
    padding = _check_int(padding, "padding", 0)
    n_explained = _check_int(n_explained, "n_explained", 0)
    bank = np.stack(ks, axis=-1)[:, :, None, :]  # kh×kw×1×M
    out = core.conv2d(x, bank, stride=stride, padding=padding)
    _check_padded(x.shape, padding)
    steps = tuple(_all_steps(x, bank, m=m, stride=stride, padding=padding) for m in range(bank.shape[3]))
    M, shape = bank.shape[3], core.fmt_shape(out.shape[:2])
    summary = (f"{M} kernel{'s' if M != 1 else ''} → {M} map{'s' if M != 1 else ''} of {shape}, one per kernel",
               f"stacked: output {core.fmt_shape(out.shape)}")
    return TwoFiltersData(x, bank, names, stride, padding, out, steps, min(n_explained, len(steps[0])), summary)


class Conv2FiltersExample(CnnvizScene):
    data = staticmethod(two_filters_data)

    def must_show(self, d) -> list[str]:
        texts = [fmt_num(v) for v in d.out.ravel()]
        for steps in d.steps:
            for step in steps[:d.n_explained]:
                texts += [fmt_num(v) for v in step.products.ravel()]
        return texts + [f"input {core.fmt_shape(d.x.shape)}"]

    def construct(self):
        d = self.data()
        p, s = d.padding, d.stride
        kh, kw, _, M = d.bank.shape
        oh, ow = d.out.shape[:2]
        head = title(_conv_title(f"One input, {M} kernels", s, p), size=FONT + 4)
        padded = (d.x.shape[0] + 2 * p, d.x.shape[1] + 2 * p)
        def build(cell):
            font = _font(cell)
            x_grid = _operand_grid(d.x, p, cell, theme.INPUT)
            k_grids = [ValueGrid(d.bank[:, :, 0, m], cell_size=cell, font_size=font, color=theme.KERNEL)
                       for m in range(M)]
            o_grids = [ValueGrid(d.out[:, :, m], cell_size=cell, font_size=font, color=theme.OUTPUT,
                                 show_values=False) for m in range(M)]
            return [x_grid, k_grids[0], *o_grids], (x_grid, k_grids, o_grids)

        cell, (x_grid, k_grids, o_grids) = _fitted(_cell(padded, [(kh, kw), *[(oh, ow)] * M], 2), build, 2)
        star, eq = label("⊛", size=40), label("=", size=40)
        maps = VGroup(*o_grids).arrange(RIGHT, buff=0.4)
        row = VGroup(k_grids[0], eq, maps)
        at = _place(x_grid, star, row, [k_grids[0], *o_grids])
        # the products as large as the room under the row allows (up to 36), the whole in the middle of the
        # frame's height; the products stay right of the input and inside the frame
        right_h = max(k_grids[0].height, o_grids[0].height)
        bottom = -config.frame_height / 2 + theme.EDGE_MARGIN + 0.05
        x_min, x_max = x_grid.get_right()[0] + 0.3, config.frame_width / 2 - theme.EDGE_MARGIN - 0.05
        for size in (36, 34, 32, FONT):
            parts = [VGroup(*_explanation(step, self._head(m, d.names[m]), at, size=size))
                     for m in range(M) for step in d.steps[m][:d.n_explained]]
            below = max((GRIDS_TOP - right_h - p.get_bottom()[1] for p in parts), default=0.0)
            fits = all(p.get_left()[0] >= x_min and p.get_right()[0] <= x_max for p in parts)
            if size == FONT or fits and right_h + below <= GRIDS_TOP - bottom - 0.6:
                break
        self.products_size = size
        summary_h = VGroup(*(label(t, size=FONT) for t in d.summary)).arrange(DOWN, buff=0.12).height
        top = _balanced_top(x_grid.height, right_h, below, summary_h)
        self.products_at = _place(x_grid, star, row, [k_grids[0], *o_grids], top=top)
        for k in k_grids[1:]:
            k.move_to(k_grids[0])
        x_name = _heading(x_grid, f"input {core.fmt_shape(d.x.shape)}", theme.INPUT)
        k_names = [_heading(k, f"kernel {m + 1}" + (f" of {M}" if M > 1 else ""), theme.KERNEL)
                   for m, k in enumerate(k_grids)]
        o_names = [_heading(g, f"map {m + 1}", theme.OUTPUT) for m, g in enumerate(o_grids)]
        for t in [x_name, *k_names, *o_names]:
            t.set_y(x_name.get_y())
        window = SlidingWindow(x_grid, kh, kw)
        target = o_grids[0].window(0, 0, 1, 1, color=theme.HIGHLIGHT)
        self.add(head, x_grid, x_name, star, k_grids[0], k_names[0], eq, maps, *o_names, window, target)
        what = [f"a {n} detector" if n else "its own weights" for n in d.names]
        self.beat(note=f"The same {core.fmt_shape(d.x.shape)} input, now with {M} kernels: "
                       + ", ".join(f"kernel {m + 1} is {w}" for m, w in enumerate(what))
                       + ". Each kernel slides over the whole input on its own and makes its own map.")

        for m in range(M):
            og = o_grids[m]
            if m:
                self.play(FadeOut(k_grids[m - 1]), FadeOut(k_names[m - 1]), run_time=0.3)
                self.play(FadeIn(k_grids[m]), FadeIn(k_names[m]), window.step_to(*d.steps[m][0].window_pos),
                          target.animate.move_to(og.cell(0, 0)), run_time=0.5)
                self.bring_to_front(window, target)
                self.beat(note=f"Kernel {m + 1}" + (f", the {d.names[m]} detector," if d.names[m] else "")
                               + f" goes over the same input from the start: map {m + 1}.", hold=0.8)
            _sweep(self, d.steps[m], window, target, og, d.n_explained,
                   lambda k, step, value, m=m: self._explain(step, k_grids[m], value, m, d.names[m],
                                                              first=(m == 0 and k == 0)))

        _summary(self, d.summary, window, target,
                 note=f"{M} kernels give {M} different maps of {core.fmt_shape(d.out.shape[:2])}, one per kernel; "
                      f"stacked, they make the {core.fmt_shape(d.out.shape)} output: its depth is the number of "
                      "kernels.")
        self.clear_all()

    @staticmethod
    def _head(m: int, name: str) -> str:
        return f"window × kernel {m + 1}" + (f" ({name})" if name else "")

    def _explain(self, step, k_grid, value, m, name, first):
        what = f"kernel {m + 1}" + (f" ({name})" if name else "")
        _explain_one(self, step, k_grid, value, self._head(m, name), first,
                     _explained_note(step) + " Each pair of numbers on top of each other is multiplied.",
                     f"With {what}, the window's products add up to {fmt_num(step.output)}: map {m + 1}'s "
                     f"{notation.row_col(*step.out_pos)}.")


# ============================================================ RGBConvStepByStepCentered
#: A small 5×5 RGB input, one 5×5 matrix per channel (R, G, B), and one 3×3 kernel slice per channel.
RGB_CHANNELS = (
    ((4, 2, 1, 2, 4), (2, 3, 1, 0, 1), (4, 4, 0, 2, 4), (4, 1, 2, 2, 1), (2, 4, 1, 2, 3)),
    ((2, 4, 1, 1, 3), (1, 2, 2, 0, 0), (3, 2, 2, 0, 0), (3, 4, 0, 1, 0), (4, 3, 1, 4, 3)),
    ((1, 4, 2, 1, 4), (1, 2, 0, 4, 0), (0, 0, 3, 2, 3), (1, 3, 1, 1, 4), (3, 1, 1, 3, 1)),
)
RGB_KERNEL_SLICES = (
    ((1, 0, -1), (1, 0, -1), (1, 0, -1)),
    ((0, -1, 0), (-1, 2, -1), (0, -1, 0)),
    ((1, 1, 1), (0, 0, 0), (-1, -1, -1)),
)


@dataclass(frozen=True)
class RGBConvData:
    x: np.ndarray            # H×W×C input, channels last
    w: np.ndarray            # kh×kw×C kernel: one slice per channel
    b: int | float           # the kernel's one bias
    stride: int
    padding: int
    out: np.ndarray          # H'×W' output: ONE map
    steps: tuple             # one core.ConvStep per output pixel (channel_sums, total, bias, output)
    n_explained: int         # the first positions shown in full
    channel_names: tuple     # ("R", "G", "B")
    summary: tuple           # the last caption's two lines


def rgb_conv_data(
    channels: Annotated[Tensor3, Param("the input: one matrix per channel (intensities)", min=0, max=99,
                                       max_shape=(3, 5, 5),
                                       noun="input")] = RGB_CHANNELS,
    kernel_slices: Annotated[Tensor3, Param("the kernel: one slice per channel, each of one size", min=-9, max=9,
                                            max_shape=(3, 3, 3), noun="kernel")] = RGB_KERNEL_SLICES,
    bias: Annotated[float, Param("the kernel's one bias, added once per position", min=-99, max=99)] = 1,
    stride: Annotated[int, Param("how many cells the window moves per step", min=1, max=2)] = 1,
    padding: Annotated[int, Param("rings of zeros around the input", min=0, max=1)] = 0,
    n_explained: Annotated[int, Param("how many window positions are explained channel by channel",
                                      min=0, max=2)] = 2,
    channel_names: Annotated[tuple[str, ...], Param("the channels' names", max_shape=(3,))] = ("R", "G", "B"),
) -> RGBConvData:
    """An H×W×C input (one matrix per channel) convolved with one kh×kw×C kernel (one slice per
    channel) and its single bias: ``core.conv2d`` gives one H'×W' map."""
    xs = [_grid(c, f"channels[{k}]") for k, c in enumerate(channels)]
    ws = [_grid(k, f"kernel_slices[{i}]") for i, k in enumerate(kernel_slices)]
    for what, arrs in (("channels", xs), ("kernel_slices", ws)):
        for k, a in enumerate(arrs[1:], 2):
            if a.shape != arrs[0].shape:
                raise ValueError(f"{what} must all have one size: number {k} is {core.fmt_shape(a.shape)}, "
                                 f"number 1 is {core.fmt_shape(arrs[0].shape)}")
    if len(ws) != len(xs):
        raise ValueError(f"kernel_slices: {len(xs)} channels need {len(xs)} kernel slices, got {len(ws)}")
    if len(channel_names) != len(xs):
        raise ValueError(f"channel_names: {len(xs)} channels but {len(channel_names)} channel names")
    if isinstance(bias, bool) or not isinstance(bias, (int, float, np.integer, np.floating)):
        raise ValueError(f"bias must be a number: got {bias!r}")
    bias = int(bias) if float(bias).is_integer() else float(bias)
    stride = _check_int(stride, "stride", 1)
    padding = _check_int(padding, "padding", 0)
    n_explained = _check_int(n_explained, "n_explained", 0)
    x, w = np.stack(xs, axis=-1), np.stack(ws, axis=-1)
    out = core.conv2d(x, w, bias, stride=stride, padding=padding)
    _check_padded(x.shape, padding)
    steps = _all_steps(x, w, b=bias, stride=stride, padding=padding)
    C = x.shape[2]
    summary = (f"{C} channel sum{'s' if C != 1 else ''} + 1 bias → one number per position",
               f"→ ONE {core.fmt_shape(out.shape)} map")
    return RGBConvData(x, w, bias, stride, padding, out, steps, min(n_explained, len(steps)),
                       tuple(str(n) for n in channel_names), summary)


def _sum_line(terms, result, y: float) -> tuple[VGroup, VGroup, VGroup]:
    """``a + b + (c) + d = r`` with each term's name above it: (numbers, signs, names); the result is the
    last of the numbers. ``terms``: (name, value, colour)."""
    numbers = [label(fmt_num(v) if k == 0 else fmt_factor(v), size=FONT, mono=True, color=col)
               for k, (_, v, col) in enumerate(terms)]
    names = [label(n, size=FONT, color=col) for n, _, col in terms]
    res = label(fmt_num(result), size=FONT, mono=True, color=theme.OUTPUT)
    signs = [label("+", size=FONT) for _ in terms[1:]] + [label("=", size=FONT)]
    parts = []
    for k, number in enumerate(numbers):
        parts.append(number)
        parts.append(signs[k])
    parts.append(res)
    x = 0.0
    for part in parts:  # a term is as wide as its name
        wid = max(part.width, names[numbers.index(part)].width) if part in numbers else part.width
        part.set_x(x + wid / 2)
        x += wid + 0.25
    row = VGroup(*parts).set_y(y).set_x(0)
    for number, name in zip(numbers, names):
        name.next_to(number, UP, buff=0.15)
        name.set_y(y + 0.5)
    return VGroup(*numbers, res), VGroup(*signs), VGroup(*names)


class RGBConvStepByStepCentered(CnnvizScene):
    data = staticmethod(rgb_conv_data)

    def must_show(self, d) -> list[str]:
        texts = [fmt_num(v) for v in d.out.ravel()]
        for step in d.steps[:d.n_explained]:
            texts += [fmt_num(v) for v in step.products.ravel()]
        return texts + [fmt_num(d.b)] + [f"{n} channel" for n in d.channel_names]

    def construct(self):
        d = self.data()
        p, s = d.padding, d.stride
        kh, kw, C = d.w.shape
        colors = [theme.CHANNELS[c] if C == 3 else theme.INPUT for c in range(C)]
        head = title(_conv_title(f"{core.fmt_shape(d.x.shape)} ⊛ {core.fmt_shape(d.w.shape)} + bias "
                                 f"→ {core.fmt_shape(d.out.shape)}", s, p), size=FONT + 4)
        padded = (d.x.shape[0] + 2 * p, d.x.shape[1] + 2 * p)
        def build(cell):
            font = _font(cell)
            x_grids = [_operand_grid(d.x[:, :, c], p, cell, colors[c]) for c in range(C)]
            k_grids = [ValueGrid(d.w[:, :, c], cell_size=cell, font_size=font, color=theme.KERNEL) for c in range(C)]
            b_grid = ValueGrid(np.array([[d.b]]), cell_size=cell, font_size=font, color=theme.BIAS)
            o_grid = ValueGrid(d.out, cell_size=cell, font_size=font, color=theme.OUTPUT, show_values=False)
            return [x_grids[0], k_grids[0], b_grid, o_grid], (x_grids, k_grids, b_grid, o_grid)

        cell, (x_grids, k_grids, b_grid, o_grid) = _fitted(_cell(padded, [(kh, kw), (1, 1), d.out.shape], 3),
                                                           build, 3)
        star, plus, eq = label("⊛", size=40), label("+", size=40), label("=", size=40)
        self.products_at = _place(x_grids[0], star, VGroup(k_grids[0], plus, b_grid, eq, o_grid),
                                  [k_grids[0], b_grid, o_grid])
        b_grid.set_y(k_grids[0].get_y())  # the one bias beside the kernel's middle row
        for g in x_grids[1:]:
            g.move_to(x_grids[0])
        for g in k_grids[1:]:
            g.move_to(k_grids[0])
        x_names = [_heading(g, f"{d.channel_names[c]} channel", colors[c]) for c, g in enumerate(x_grids)]
        k_names = [_heading(g, f"{d.channel_names[c]} slice", theme.KERNEL) for c, g in enumerate(k_grids)]
        b_name = _heading(b_grid, "bias", theme.BIAS)
        o_name = _heading(o_grid, "output", theme.OUTPUT)
        for t in [*x_names, *k_names, b_name, o_name]:
            t.set_y(x_names[0].get_y())
        window = SlidingWindow(x_grids[0], kh, kw)
        target = o_grid.window(0, 0, 1, 1, color=theme.HIGHLIGHT)
        self.add(head, x_grids[0], x_names[0], star, k_grids[0], k_names[0], plus, b_grid, b_name, eq, o_grid,
                 o_name, window, target)
        names = ", ".join(d.channel_names)
        self.beat(note=f"A colour image has {C} channels ({names}), so the kernel has {C} slices, one per channel, "
                       f"and one bias. We look at one channel at a time: here {d.channel_names[0]}.")
        self.shown = 0

        _sweep(self, d.steps, window, target, o_grid, d.n_explained,
               lambda k, step, value: self._explain(d, step, k, x_grids, x_names, k_grids, k_names, b_grid, window,
                                                    target, value, colors))

        _summary(self, d.summary, window, target,
                 note=f"At every position the {C} channels' sums and the one bias add up to a single number: "
                      f"one filter on a {C}-channel input gives ONE {core.fmt_shape(d.out.shape)} map.")
        self.clear_all()

    def _show_channel(self, c, x_grids, x_names, k_grids, k_names, window, target):
        """Bring channel ``c`` and its kernel slice to the front: the shown ones leave, then these arrive."""
        old = self.shown
        if old == c:
            return
        self.play(FadeOut(x_grids[old]), FadeOut(x_names[old]), FadeOut(k_grids[old]), FadeOut(k_names[old]),
                  run_time=0.25)
        self.play(FadeIn(x_grids[c]), FadeIn(x_names[c]), FadeIn(k_grids[c]), FadeIn(k_names[c]), run_time=0.3)
        self.bring_to_front(window, target)
        self.shown = c

    def _explain(self, d, step, k, x_grids, x_names, k_grids, k_names, b_grid, window, target, value, colors):
        C = len(x_grids)
        terms = [(d.channel_names[c], step.channel_sums[c], colors[c]) for c in range(C)] + [("bias", d.b, theme.BIAS)]
        numbers, signs, names = _sum_line(terms, step.output, y=-3.35)
        where = notation.row_col(*step.out_pos)
        for c in range(C):
            self._show_channel(c, x_grids, x_names, k_grids, k_names, window, target)
            _, exprs, prods = _products(step, c, *self.products_at)
            if k == 0 and c == 0:
                self.play(FadeIn(exprs), Indicate(k_grids[c].labels, scale_factor=1.08), run_time=0.8)
                self.beat(note=_explained_note(step, f"{d.channel_names[c]} values")
                          + " First each pair of numbers on top of each other.", hold=1.0)
                self.play(FadeOut(exprs), run_time=0.3)
                self.play(FadeIn(prods), run_time=0.4)
            else:
                self.play(FadeIn(prods), run_time=0.5)
            sign = [signs[c - 1]] if c else []
            self.play(FadeIn(numbers[c]), FadeIn(names[c]), *(FadeIn(t) for t in sign), run_time=0.5)
            if k == 0:
                self.beat(note=f"The {d.channel_names[c]} channel's products add up to "
                               f"{fmt_num(step.channel_sums[c])}.", hold=0.8)
            self.play(FadeOut(prods), run_time=0.3)
        self.play(FadeIn(numbers[C]), FadeIn(names[C]), FadeIn(signs[C - 1]),
                  Indicate(b_grid.labels, scale_factor=1.08), run_time=0.6)
        self.play(FadeIn(signs[C]), FadeIn(numbers[C + 1]), run_time=0.4)
        self.beat(note=f"The {C} channel sums plus the one bias ({fmt_num(d.b)}) give {fmt_num(step.output)}: "
                       f"the output's {where}. One number per position, whatever the number of channels.", hold=1.0)
        self.play(FadeOut(VGroup(numbers, signs, names)), FadeIn(value, scale=1.3), run_time=0.6)
