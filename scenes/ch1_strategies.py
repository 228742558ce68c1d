"""Chapter 1, section III — two strategies to recognise a cat: scanning pixel by pixel, and detecting features whose evidence adds up.

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
    Rectangle,
    Transform,
    VGroup,
)
from manim.utils.color import ManimColor

from cnnviz import core, images, theme
from cnnviz.drawings import (
    photo_box,
    preview_step,
    CnnvizScene,
    PixelImage,
    fit_width,
    fmt_int,
    label,
    title,
)
from scenes.ch1_mlp import landing_positions


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
        panel_x = (img.get_right()[0] + theme.FRAME_WIDTH / 2) / 2
        panel_w = theme.FRAME_WIDTH / 2 - 0.3 - img.get_right()[0] - 0.3
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
        panel_w = theme.FRAME_WIDTH / 2 - 0.25 - panel_l
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
