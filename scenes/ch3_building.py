"""Chapter 3 — building the CNN.

Each scene: a pure data function (inputs → every number shown, from
``cnnviz.core``) and the choreography that draws it with the shared drawings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from manim import Create, FadeIn, FadeOut, TransformFromCopy, VGroup

from cnnviz import core, theme
from cnnviz.drawings import CnnvizScene, ValueGrid, caption, fmt_num, label, title
from cnnviz.formula import Formula


# ============================================================ TinyMaxPoolingFixed
@dataclass(frozen=True)
class PoolingData:
    x: np.ndarray            # 4×4 feature map
    size: int                # window
    stride: int
    windows: tuple           # top-left (row, col) of each window
    max_out: np.ndarray      # 2×2
    avg_out: np.ndarray      # 2×2
    params: int              # learnable parameters of a pooling layer


def pooling_data() -> PoolingData:
    """The notebook's window [[164, 0], [1, 0]] sits top-left of a 4×4 feature map."""
    x = np.array([
        [164, 0, 12, 80],
        [1, 0, 45, 30],
        [7, 3, 55, 61],
        [90, 22, 18, 200],
    ])
    size = stride = 2
    windows = tuple(core.pool_windows(x.shape, size, stride))
    return PoolingData(x, size, stride, windows, core.max_pool(x, size, stride), core.avg_pool(x, size, stride),
                       core.pool_params())


class TinyMaxPoolingFixed(CnnvizScene):
    data = staticmethod(pooling_data)

    def construct(self):
        d = self.data()
        k = d.size
        head = title(f"Pooling: {core.fmt_shape(d.x.shape)} map, {k}×{k} window, stride {d.stride} "
                     f"→ {core.fmt_shape(d.max_out.shape)}", size=30)
        x_grid = ValueGrid(d.x, color=theme.INPUT, cell_size=0.8).move_to([-4.4, 0.9, 0])
        mx = ValueGrid(d.max_out, color=theme.OUTPUT, cell_size=1.1, show_values=False,
                        font_size=26).move_to([0.9, 0.9, 0])
        av = ValueGrid(d.avg_out, color=theme.KERNEL, cell_size=1.1, show_values=False,
                        font_size=26).move_to([4.6, 0.9, 0])
        names = VGroup(
            x_grid.heading("feature map"), mx.heading("max pooling"), av.heading("average pooling"),
        )
        self.play(FadeIn(head), FadeIn(x_grid), FadeIn(mx), FadeIn(av), FadeIn(names), run_time=1.0)

        frame = None
        for n, (r, c) in enumerate(d.windows):
            i, j = r // d.stride, c // d.stride
            vals = d.x[r:r + k, c:c + k].ravel()
            new_frame = x_grid.window(r, c, k, k)
            if frame is None:
                self.play(Create(new_frame), run_time=0.5)
            else:
                self.play(frame.animate.move_to(new_frame), run_time=0.4)
                new_frame = frame
            frame = new_frame
            m_val = mx.value_label(i, j, d.max_out[i, j])
            a_val = av.value_label(i, j, d.avg_out[i, j])
            f_max = Formula(rf"\max({', '.join(fmt_num(v) for v in vals)}) = {fmt_num(d.max_out[i, j])}",
                            font_size=30, color=theme.OUTPUT).move_to([2.75, -1.25, 0])
            f_avg = Formula(rf"\frac{{{' + '.join(fmt_num(v) for v in vals)}}}{{{vals.size}}}"
                            rf" = {fmt_num(d.avg_out[i, j])}", font_size=30, color=theme.KERNEL).move_to([2.75, -2.2, 0])
            slow = n == 0  # the notebook's window, explained; the others faster
            self.play(FadeIn(f_max), FadeIn(f_avg), run_time=0.8 if slow else 0.4)
            # the result's glyphs (one SVG path per glyph) fly into the output cells
            m_res = f_max[-len(fmt_num(d.max_out[i, j])):]
            a_res = f_avg[-len(fmt_num(d.avg_out[i, j])):]
            self.play(TransformFromCopy(m_res, m_val), TransformFromCopy(a_res, a_val), run_time=0.8 if slow else 0.5)
            if slow:
                note = label(f"max keeps the strong {fmt_num(d.max_out[i, j])}; "
                             f"the average dilutes it to {fmt_num(d.avg_out[i, j])}",
                             size=theme.SMALL_SIZE, color=theme.TEXT).move_to([0, -3.3, 0])
                self.play(FadeIn(note), run_time=0.5)
                self.beat(1.5)
                self.play(FadeOut(note), run_time=0.3)
            else:
                self.beat(0.4)
            self.play(FadeOut(f_max), FadeOut(f_avg), run_time=0.3)

        end = caption(f"Pooling learns nothing: {d.params} parameters. "
                      f"{core.fmt_shape(d.x.shape)} → {core.fmt_shape(d.max_out.shape)}", color=theme.TEXT)
        self.play(FadeOut(frame), FadeIn(end), run_time=0.6)
        self.beat(1.5)
        self.clear_all()
