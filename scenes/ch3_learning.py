"""Chapter 3, section III.4 — how a CNN learns, from the real training run: the loss and the accuracy
over the training steps, and the TinyCNN's kernels changing from random to edge-like.

Every number comes from the training log stored with the trained networks (``cnnviz.trained.log``,
made by ``python -m cnnviz.train``): the data function reads it and derives the sentences; the
choreography draws it with the shared drawings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Axes, Create, FadeIn, FadeOut, Group, SurroundingRectangle, VGroup, VMobject, config

from cnnviz import theme, trained
from cnnviz.drawings import CnnvizScene, PixelImage, fit_width, fmt_int, fmt_num, label, map_note, map_pixels, title
from cnnviz.params import Param
from scenes.ch3_pipeline import edge_likeness

#: the scene's names of the two networks → the names of ``cnnviz.trained``
NETWORKS = {"cnn": "tiny_cnn", "mlp": "mlp"}
NETWORK_NAMES = {"cnn": "the TinyCNN (conv 4×3×3 → ReLU → max-pool → dense 676 → 10)",
                 "mlp": "the MLP 784 → 100 → 100 → 10"}


def fmt_pct(v: float, decimals: int = 1) -> str:
    """A fraction as a percentage: 0.965 → '96.5 %'."""
    return f"{fmt_num(100 * float(v), decimals)} %"


@dataclass(frozen=True)
class TrainingCurveData:
    network: str                 # "cnn" or "mlp"
    name: str                    # the network in words
    steps: np.ndarray            # (K,) the update count at each log entry
    loss: np.ndarray             # (K,) mean cross-entropy over the last updates' batches
    accuracy: np.ndarray         # (K,) accuracy on those training batches
    val_accuracy: np.ndarray     # (K,) accuracy on held-out digits (never trained on)
    snapshot_steps: np.ndarray   # (S,) steps of the kernel snapshots (empty for the MLP)
    kernels: np.ndarray          # (S, 3, 3, 1, 4) the TinyCNN's kernels at those steps
    likeness: np.ndarray         # (S, 4) each kernel's cosine likeness to its closest edge pattern
    edge_names: tuple            # the closest edge pattern of each kernel at the end
    tracked: int                 # the kernel whose likeness grew the most (0-based)
    first_90: int | None         # the first logged step with held-out accuracy ≥ 90 %, or None
    held_out: float              # final held-out accuracy of the stored weights

    @property
    def loss_sentence(self) -> str:
        return (f"the loss falls from {fmt_num(self.loss[0])} to {fmt_num(self.loss[-1])} "
                f"in {fmt_int(int(self.steps[-1]))} updates")

    @property
    def accuracy_sentence(self) -> str:
        s = (f"held-out accuracy: {fmt_pct(self.val_accuracy[0])} at step {fmt_int(int(self.steps[0]))}, "
             f"{fmt_pct(self.val_accuracy[-1])} at the end")
        if self.first_90 is not None:
            s += f" (90 % passed at step {fmt_int(self.first_90)})"
        return s

    @property
    def kernel_lines(self) -> tuple[str, str]:
        """What the kernel whose edge likeness grew most became, in two lines (empty for the MLP)."""
        if not len(self.snapshot_steps):
            return ("", "")
        k = self.tracked
        return (f"kernel {k + 1} became an edge pattern: {self.edge_names[k]}",
                f"likeness {fmt_num(self.likeness[0, k])} at the random start, {fmt_num(self.likeness[-1, k])} "
                f"after {fmt_int(int(self.snapshot_steps[-1]))} updates")

    @property
    def kernel_sentence(self) -> str:
        return "; ".join(self.kernel_lines) if len(self.snapshot_steps) else ""


def training_curve_data(
    network: Annotated[Literal["cnn", "mlp"], Param("which trained network's log: the TinyCNN or the MLP")] = "cnn",
) -> TrainingCurveData:
    """The training log of ``network`` (``cnnviz.trained.log``), and what the scene says about it."""
    if network not in NETWORKS:
        raise ValueError(f"network must be one of {', '.join(NETWORKS)}, got {network!r}")
    log = trained.log(NETWORKS[network])
    kernels = np.asarray(log.kernels)
    snaps = np.asarray(log.snapshot_steps).astype(int)
    if len(snaps):
        like = np.array([[edge_likeness(kernels[s, :, :, 0, k])[1] for k in range(kernels.shape[-1])]
                         for s in range(len(snaps))])
        names = tuple(edge_likeness(kernels[-1, :, :, 0, k])[0] for k in range(kernels.shape[-1]))
        tracked = int(np.argmax(like[-1] - like[0]))
    else:
        like, names, tracked = np.zeros((0, 0)), (), 0
    val = np.asarray(log.val_accuracy)
    above = np.flatnonzero(val >= 0.9)
    return TrainingCurveData(network, NETWORK_NAMES[network], np.asarray(log.steps).astype(int), np.asarray(log.loss),
                             np.asarray(log.accuracy), val, snaps, kernels, like, names, tracked,
                             int(log.steps[above[0]]) if above.size else None,
                             trained.held_out_accuracy(NETWORKS[network]))


def _nice_top(v: float) -> float:
    """The axis top above ``v``: 1, 2 or 5 × a power of ten."""
    e = 10 ** np.floor(np.log10(v))
    return float(next(m * e for m in (1, 2, 5, 10) if m * e >= v))


class TrainingCurve(CnnvizScene):
    data = staticmethod(training_curve_data)

    def must_show(self, d) -> list[str]:
        out = [fmt_num(d.loss[0]), fmt_num(d.loss[-1]), fmt_pct(d.val_accuracy[-1]), fmt_pct(d.accuracy[-1]),
               fmt_int(int(d.steps[-1]))]
        if len(d.snapshot_steps):
            out += [fmt_int(int(s)) for s in d.snapshot_steps]
            out += [fmt_num(v) for v in d.likeness[:, d.tracked]]
        return out

    def _plot(self, x0: float, width: float, y_top: float, height: float, ymax: float, ystep: float, ylab: str,
              fmt) -> tuple[Axes, VGroup]:
        """Axes over the steps (0 … last step) and 0 … ymax, with tick labels (no LaTeX)."""
        d = self._d
        last = int(d.steps[-1])
        xstep = _nice_top(last / 4) / 2 if last / (_nice_top(last / 4) / 2) <= 6 else _nice_top(last / 4)
        ax = Axes(x_range=[0, last, xstep], y_range=[0, ymax, ystep], x_length=width, y_length=height, tips=False,
                  axis_config={"include_numbers": False, "color": theme.MUTED, "stroke_width": 2})
        ax.move_to([x0 + width / 2, y_top - height / 2, 0])
        ticks = VGroup(*(label(fmt_int(int(v)), size=theme.MIN_FONT, color=theme.MUTED)
                         .next_to(ax.c2p(v, 0), DOWN, buff=0.12) for v in np.arange(0, last + 1, xstep)))
        ticks.add(*(label(fmt(v), size=theme.MIN_FONT, color=theme.MUTED).next_to(ax.c2p(0, v), LEFT, buff=0.12)
                    for v in np.arange(0, ymax + ystep / 2, ystep)))
        ticks.add(label(ylab, size=theme.SMALL_SIZE, color=theme.TEXT).next_to(ax, UP, buff=0.2).align_to(ax, LEFT))
        ticks.add(label("updates", size=theme.MIN_FONT, color=theme.MUTED).next_to(ax.x_axis, DOWN, buff=0.5)
                  .align_to(ax, RIGHT))
        return ax, ticks

    @staticmethod
    def _curve(ax: Axes, xs, ys, color: str) -> VMobject:
        line = VMobject(stroke_color=color, stroke_width=4)
        line.set_points_as_corners([ax.c2p(float(x), float(y)) for x, y in zip(xs, ys)])
        return line

    def construct(self):
        d = self._d = self.data()
        head = title(f"Training the {'TinyCNN' if d.network == 'cnn' else 'MLP'}: "
                     f"{fmt_int(int(d.steps[-1]))} updates", size=theme.TITLE_SIZE)
        head.to_edge(UP, buff=0.3)
        sub = label(d.name, size=theme.SMALL_SIZE, color=theme.MUTED).next_to(head, DOWN, buff=0.15)
        # two plots side by side under the title: the loss, the accuracies
        y_top, h = sub.get_bottom()[1] - 0.85, 4.4
        w = (config.frame_width - 1.0 - 2 * 0.9 - 0.7) / 2
        x_l = -config.frame_width / 2 + 0.5 + 0.9
        x_r = x_l + w + 0.7 + 0.9
        lmax = _nice_top(float(d.loss.max()))
        ax_l, t_l = self._plot(x_l, w, y_top, h, lmax, lmax / 4, "loss (cross-entropy)", fmt_num)
        ax_r, t_r = self._plot(x_r, w, y_top, h, 1.0, 0.25, "accuracy", lambda v: f"{fmt_num(100 * v)} %")
        self.add(head, sub, ax_l, t_l, ax_r, t_r)
        self.beat(note=f"The real training run of {d.name}: {fmt_int(int(d.steps[-1]))} updates of mini-batch "
                       f"gradient descent; the log kept the loss and the accuracy every "
                       f"{fmt_int(int(d.steps[1] - d.steps[0]))} updates.")

        loss = self._curve(ax_l, d.steps, d.loss, theme.NEGATIVE)
        ends = VGroup(
            label(fmt_num(d.loss[0]), size=theme.SMALL_SIZE, color=theme.NEGATIVE)
            .next_to(ax_l.c2p(float(d.steps[0]), float(d.loss[0])), RIGHT, buff=0.15),
            label(fmt_num(d.loss[-1]), size=theme.SMALL_SIZE, color=theme.NEGATIVE)
            .next_to(ax_l.c2p(float(d.steps[-1]), float(d.loss[-1])), UP, buff=0.2),
        )
        self.play(Create(loss), run_time=1.5)
        self.play(FadeIn(ends), run_time=0.5)
        self.beat(note=f"Each update nudges every weight against its gradient: {d.loss_sentence}.")

        acc = self._curve(ax_r, d.steps, d.accuracy, theme.OUTPUT)
        val = self._curve(ax_r, d.steps, d.val_accuracy, theme.HIGHLIGHT)
        key = VGroup(label(f"training batches: {fmt_pct(d.accuracy[-1])}", size=theme.SMALL_SIZE, color=theme.OUTPUT),
                     label(f"held-out digits: {fmt_pct(d.val_accuracy[-1])}", size=theme.SMALL_SIZE,
                           color=theme.HIGHLIGHT)).arrange(DOWN, aligned_edge=LEFT, buff=0.12)
        key.next_to(ax_r.c2p(float(d.steps[-1]), 0.0), UP + LEFT, buff=0.25)
        self.play(Create(acc), Create(val), run_time=1.5)
        self.play(FadeIn(key), run_time=0.5)
        cap = label(d.accuracy_sentence, size=theme.SMALL_SIZE, color=theme.TEXT)
        fit_width(cap, config.frame_width - 0.8).to_edge(DOWN, buff=0.35)
        self.play(FadeIn(cap), run_time=0.5)
        self.beat(note=f"Accuracy on the training batches and on digits the network never saw rise together: "
                       f"{d.accuracy_sentence}.")

        if not len(d.snapshot_steps):
            return

        # --- the kernels at each snapshot: one row per kernel, one column per snapshot
        self.fade_out_around(keep=[head], run_time=0.5)
        S, M = d.kernels.shape[0], d.kernels.shape[-1]
        kmax = float(np.abs(d.kernels).max())
        col_heads = VGroup(*(label(fmt_int(int(s)), size=theme.SMALL_SIZE, color=theme.MUTED) for s in d.snapshot_steps))
        size = min(1.1, (config.frame_width - 0.6 - 2.0 - 0.15 * (S - 1)) / S, (4.4 - 0.15 * (M - 1)) / M)
        grid = Group()
        for k in range(M):
            for s in range(S):
                grid.add(PixelImage(map_pixels(d.kernels[s, :, :, 0, k], (-kmax, kmax), signed=True, linear=True),
                                    height=size, border=theme.KERNEL))
        grid.arrange_in_grid(rows=M, cols=S, buff=0.15)
        grid.move_to([1.0, -0.15, 0])
        for s, t in enumerate(col_heads):
            t.next_to(grid[s], UP, buff=0.15)
        steps_name = label("after update", size=theme.SMALL_SIZE, color=theme.MUTED).next_to(col_heads, UP, buff=0.15)
        rows = VGroup(*(label(f"kernel {k + 1}", size=theme.SMALL_SIZE, color=theme.KERNEL)
                        .next_to(grid[k * S], LEFT, buff=0.25) for k in range(M)))
        legend = label(f"weights: {map_note((-kmax, kmax), signed=True)}", size=theme.SMALL_SIZE, color=theme.MUTED)
        fit_width(legend, config.frame_width - 0.8).next_to(grid, DOWN, buff=0.3)
        self.play(FadeIn(grid), FadeIn(col_heads), FadeIn(steps_name), FadeIn(rows), FadeIn(legend), run_time=0.8)
        self.beat(note=f"The 4 kernels, saved at {S} moments of the run: random at the start, patterns after "
                       f"{fmt_int(int(d.snapshot_steps[-1]))} updates.")

        k = d.tracked
        # the tracked kernel's row framed, its likeness to the edge pattern under every column
        frame = SurroundingRectangle(Group(*grid[k * S:(k + 1) * S]), color=theme.HIGHLIGHT, buff=0.06)
        y_like = grid.get_bottom()[1] - 0.3
        marks = VGroup(*(label(fmt_num(d.likeness[s, k]), size=theme.SMALL_SIZE, color=theme.HIGHLIGHT)
                         .move_to([grid[s].get_x(), y_like, 0]) for s in range(S)))
        marks.add(label("likeness", size=theme.SMALL_SIZE, color=theme.HIGHLIGHT)
                  .move_to([rows.get_x(), y_like, 0]))
        cap2 = VGroup(*(label(t, size=theme.SMALL_SIZE, color=theme.HIGHLIGHT) for t in d.kernel_lines))
        cap2.arrange(DOWN, buff=0.1)
        fit_width(cap2, config.frame_width - 0.8).to_edge(DOWN, buff=0.35)
        self.play(FadeOut(legend), run_time=0.3)
        self.play(Create(frame), FadeIn(marks), FadeIn(cap2), run_time=0.6)
        self.beat(note=f"Nobody designed these patterns: gradient descent found them. {d.kernel_sentence[0].upper()}"
                       f"{d.kernel_sentence[1:]} (1 would be the edge pattern exactly).", hold=2.0)
        self.clear_all()
