"""Chapter 1, section III — two strategies to recognise a cat: scanning pixel by pixel, and detecting features whose evidence adds up.

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
    Rectangle,
    Transform,
    UpdateFromAlphaFunc,
    VGroup,
    linear,
)
from manim.utils.color import ManimColor

from cnnviz import core, images, notation, theme
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
from cnnviz.params import Param, Photo
from scenes.ch1_mlp import landing_positions


# ============================================================ STRATEGIE1
#: The longest side (in pixels, after averaging) STRATEGIE1 scans: its pixels stay ≥ 0.08 units, the cursor visible.
SCAN_MAX_SIDE = 64


@dataclass(frozen=True)
class ScanStep:
    kind: str                # "pixel" (one pixel), "row" (the rest of a row, or a whole row, slowly), "fast" (a row, quickly)
    r: int                   # the row the cursor is on after this step
    c0: int                  # the columns it covers
    c1: int
    count: int               # pixels read so far: every pixel up to (r, c1) in reading order


@dataclass(frozen=True)
class ScanData:
    photo: str
    name: str                # the photo, as named on screen (notation.photo_name)
    box: tuple
    factor: int
    pixels: np.ndarray       # H×W×3 uint8: the photo as scanned
    total: int               # H·W: pixels to read, one at a time
    steps: tuple             # the cursor's schedule: the first pixels one by one, then rows slowly, then fast


def scan_data(
    photo: Annotated[Photo, Param("the photo: camera, chelsea, astronaut, or your PNG/JPEG file")] = "chelsea",
    box: Annotated[tuple[int, ...] | None, Param("the crop scanned, in the photo's pixels: left, top, right, "
                                                 "bottom (none: the whole photo)", min=0,
                                                 max_shape=(4,))] = (0, 0, 450, 300),
    factor: Annotated[int, Param("block size: each scanned pixel averages factor×factor photo pixels (at "
                                 f"most {SCAN_MAX_SIDE} pixels a side are scanned)", min=1, max=1024)] = 10,
    first_pixels: Annotated[int, Param("pixels of row 1 read one by one, slowly", min=1, max=8)] = 5,
    first_rows: Annotated[int, Param("rows after row 1 read one by one, slowly (the rest go fast)",
                                     min=0, max=8)] = 5,
) -> ScanData:
    """Chelsea the cat, box-downsampled 10× to 30×45 pixels: 1,350 pixels to scan one by one."""
    from scenes.ch1_images import crop_box

    if not 1 <= first_pixels <= 8:
        raise ValueError(f"first_pixels: {first_pixels} is out of range (1 to 8)")
    if not 0 <= first_rows <= 8:
        raise ValueError(f"first_rows: {first_rows} is out of range (0 to 8)")
    box = crop_box(photo, box, factor)
    px = images.photo(photo, "RGB", box=box, factor=factor)
    h, w = px.shape[:2]
    if max(h, w) > SCAN_MAX_SIDE:
        raise ValueError(f"factor: a {h}×{w} image is too large: at most {SCAN_MAX_SIDE} pixels a side fits "
                         "this scene at a readable size (take larger blocks)")
    read = landing_positions((h, w)) + 1  # pixel (r, c) is the read-th pixel of the scan
    total = int(core.flatten(px[:, :, 0]).size)
    first_pixels = min(first_pixels, w)
    steps = [ScanStep("pixel", 0, c, c, int(read[0, c])) for c in range(first_pixels)]
    if first_pixels < w:
        steps.append(ScanStep("row", 0, first_pixels, w - 1, int(read[0, w - 1])))
    for r in range(1, h):
        steps.append(ScanStep("row" if r <= first_rows else "fast", r, 0, w - 1, int(read[r, w - 1])))
    return ScanData(str(photo), notation.photo_name(photo), box, factor, px, total, tuple(steps))


def fast_step(alpha: float, n: int) -> int:
    """Which of ``n`` fast steps the scan shows at ``alpha`` (0 → 1) of its animation: each step holds
    an equal share of the time, the last from ``alpha = (n − 1)/n`` to the end."""
    return min(n - 1, max(0, int(alpha * n)))


class STRATEGIE1(CnnvizScene):
    """Strategy 1, scanning pixel by pixel: a cursor reads the photo in reading order; the counter is set with
    the cursor at every frame (one method draws both), so it always says how many pixels the cursor has read."""

    data = staticmethod(scan_data)
    FONT = 30  # the notebook shows this scene at half width

    def must_show(self, d) -> list[str]:
        h, w = d.pixels.shape[:2]
        first = d.steps[0]
        r, c = first.r, first.c0
        return [fmt_int(d.total), f"{h}×{w}", notation.row_col(r, c), *(str(int(v)) for v in d.pixels[r, c])]

    def construct(self):
        d = self.data()
        h, w = d.pixels.shape[:2]
        s = self.FONT
        edge = theme.FRAME_WIDTH / 2 - 0.4
        head = title("Strategy 1: read the image pixel by pixel", size=32)
        size = label(f"{d.name}: {core.fmt_shape((h, w))} pixels", size=s, color=theme.MUTED)
        top = head.get_bottom()[1] - 0.3
        room = top - size.height - 0.15 - (-3.6)
        img = PixelImage(d.pixels, height=min(room, 7.3 * h / w))
        img.move_to([-edge + img.width / 2, -3.6 + room / 2, 0])  # the picture and its name, centred in the room
        size.next_to(img, UP, buff=0.15).align_to(img, LEFT)
        panel_l = img.get_right()[0] + 0.4
        panel_x, panel_w = (panel_l + edge) / 2, edge - panel_l
        self.counter_y = min(img.get_top()[1], 2.2) - 0.3
        self.add(head, img, size)
        self.beat(note=f"Strategy 1: read the photo as a computer stores it, {fmt_int(d.total)} pixels "
                       "one after the other.", hold=0.8)

        self.counter = label(f"pixel 0 / {fmt_int(d.total)}", size=36, color=theme.HIGHLIGHT)
        self.counter.move_to([panel_x, self.counter_y, 0])
        self.cursor = img.box(0, 0, 1, 1, stroke_width=4)
        # the rows already read, dimmed
        self.done = Rectangle(width=img.image.width, height=img.pixel_size, stroke_width=0)
        self.done.set_fill(theme.BACKGROUND, opacity=0.55)
        self.img, self.d, self.panel_x, self.panel_w = img, d, panel_x, panel_w
        self.shown: list[tuple] = []  # every scan state drawn: (step, counter text, cursor centre)

        def readout(r: int, c: int):
            t = label(notation.row_col(r, c), size=s, color=theme.MUTED)
            v = VGroup(*(label(f"{ch} {int(x)}", size=s, color=col)
                         for ch, x, col in zip("RGB", d.pixels[r, c], theme.CHANNELS))).arrange(RIGHT, buff=0.3)
            sw = Rectangle(width=0.5, height=0.5, stroke_color=theme.TEXT, stroke_width=1.5)
            sw.set_fill(ManimColor.from_rgb(tuple(int(x) for x in d.pixels[r, c])), opacity=1)
            return VGroup(t, VGroup(v, sw).arrange(RIGHT, buff=0.3)).arrange(DOWN, buff=0.2).move_to([panel_x, self.counter_y - 1.3, 0])

        # 1. the first pixels, one at a time, with their values
        pixels = [st for st in d.steps if st.kind == "pixel"]
        info = None
        for k, st in enumerate(pixels):
            new_info = readout(st.r, st.c0)
            if info is not None:
                self.remove(info)
            self.add(new_info)
            info = new_info
            if k == 0:
                self.show_scan(st)
                self.play(FadeIn(self.counter), Create(self.cursor), FadeIn(info), run_time=0.5)
                self.beat(note=f"The first pixel, {notation.row_col(st.r, st.c0)}: three numbers, its red, green "
                               "and blue.", hold=1.2)
            else:
                self.show_scan(st)
                self.wait(0.45)
        if len(pixels) > 1:
            self.beat(note=f"Then the next one, and the next: {len(pixels)} pixels read, each on its own.", hold=0.5)

        # 2. the rest of row 1 and the next rows, slowly
        slow = [st for st in d.steps if st.kind == "row"]
        if slow:
            self.play(FadeOut(info), run_time=0.3)
            for st in slow:
                self.show_scan(st)
                self.wait(0.35)
            self.beat(note=f"Row after row: after {fmt_int(slow[-1].r + 1)} rows, {fmt_int(slow[-1].count)} of "
                           f"{fmt_int(d.total)} pixels are read.", hold=0.6)
        elif info is not None:
            self.play(FadeOut(info), run_time=0.3)

        # 3. the remaining rows, fast: the counter follows the cursor frame by frame
        fast = [st for st in d.steps if st.kind == "fast"]
        if fast:
            self.fast = fast
            self.play(UpdateFromAlphaFunc(VGroup(self.cursor, self.done, self.counter),
                                          lambda _, a: self.show_scan(fast[fast_step(a, len(fast))])),
                      run_time=min(2.5, 0.1 * len(fast)), rate_func=linear)
            self.beat(note=f"And so on to the last pixel: {fmt_int(d.total)} pixels in all.", hold=0.6)

        verdict = VGroup(
            label(f"{fmt_int(d.total)} pixels, one at a time:", size=s),
            label("slow, and blind to shapes:", size=s, color=theme.NEGATIVE),
            label("no edge, no ear, no \u201ccat\u201d", size=s, color=theme.NEGATIVE),
        ).arrange(DOWN, buff=0.2, aligned_edge=LEFT)
        verdict.move_to([panel_x, 0, 0]).align_to(img, DOWN)
        self.play(FadeIn(verdict), run_time=0.6)
        self.beat(note="One pixel at a time is slow, and no single pixel says \u201cear\u201d or \u201cedge\u201d: "
                       "this strategy never sees shapes.", hold=2.0)
        self.clear_all()

    def show_scan(self, st: ScanStep):
        """Draw the scan after step ``st``: the cursor on its pixels, the rows above it dimmed, and the counter
        with its count — together, so that the counter always matches the cursor."""
        img, d = self.img, self.d
        self.cursor.become(img.box(st.r, st.c0, 1, st.c1 - st.c0 + 1, stroke_width=4))
        if st.r > 0:
            self.done.stretch_to_fit_height(st.r * img.pixel_size).move_to(img.pixel_center((st.r - 1) / 2, (img.cols - 1) / 2))
            if self.done not in self.mobjects:
                self.add(self.done)
        self.counter.become(label(f"pixel {fmt_int(st.count)} / {fmt_int(d.total)}", size=36, color=theme.HIGHLIGHT)
                            .move_to([self.panel_x, self.counter_y, 0]))
        self.bring_to_front(self.cursor)
        self.shown.append((st, self.counter.original_text if hasattr(self.counter, "original_text") else None,
                           self.cursor.get_center().copy(), self.cursor.width))


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
