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
    Fade,
    PixelImage,
    fit_width,
    fmt_int,
    fmt_num,
    label,
    title,
)
from cnnviz.params import Param, Photo
from scenes.ch1_mlp import landing_positions


# ============================================================ STRATEGIE1
#: The longest side (in pixels, after averaging) STRATEGIE1 scans: its pixels stay ≥ 0.08 units, the cursor visible.
SCAN_MAX_SIDE = 64
#: The most pixels, and rows, read slowly before the scan speeds up: each adds time. Measured with the layout check
#: on the longest scan (64 pixels wide, 42 rows: the fast rows take their longest, 2.5 s): 61 pixels and 8 rows last
#: under 40 s; 62 pixels (40.2 s), or 9 rows (40.1 s), do not.
MAX_FIRST_PIXELS, MAX_FIRST_ROWS = 61, 8


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
                                                 "bottom (none, or another photo: the whole photo)", min=0,
                                                 max_shape=(4,))] = (0, 0, 450, 300),
    factor: Annotated[int, Param("block size: each scanned pixel averages factor×factor photo pixels (at "
                                 f"most {SCAN_MAX_SIDE} pixels a side are scanned)", min=1, max=1024)] = 10,
    first_pixels: Annotated[int, Param("pixels of row 1 read one by one, slowly", min=1, max=MAX_FIRST_PIXELS)] = 5,
    first_rows: Annotated[int, Param("rows after row 1 read one by one, slowly (the rest go fast)",
                                     min=0, max=MAX_FIRST_ROWS)] = 5,
) -> ScanData:
    """Chelsea the cat, box-downsampled 10× to 30×45 pixels: 1,350 pixels to scan one by one."""
    from scenes.ch1_images import averaged_photo

    if not 1 <= first_pixels <= MAX_FIRST_PIXELS:
        raise ValueError(f"first_pixels: {first_pixels} is out of range (1 to {MAX_FIRST_PIXELS})")
    if not 0 <= first_rows <= MAX_FIRST_ROWS:
        raise ValueError(f"first_rows: {first_rows} is out of range (0 to {MAX_FIRST_ROWS})")
    box, factor, px = averaged_photo(photo, "RGB", box, factor, ("chelsea", (0, 0, 450, 300), 10), 45,
                                     SCAN_MAX_SIDE, "image")
    h, w = px.shape[:2]
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
                self.linger(0.45)
        if len(pixels) > 1:
            self.beat(note=f"Then the next one, and the next: {len(pixels)} pixels read, each on its own.", hold=0.5)

        # 2. the rest of row 1 and the next rows, slowly
        slow = [st for st in d.steps if st.kind == "row"]
        if slow:
            self.play(FadeOut(info), run_time=0.3)
            for st in slow:
                self.show_scan(st)
                self.linger(0.35)
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
        text = f"pixel {fmt_int(st.count)} / {fmt_int(d.total)}"
        self.counter.become(label(text, size=36, color=theme.HIGHLIGHT).move_to([self.panel_x, self.counter_y, 0]))
        self.bring_to_front(self.cursor)
        self.shown.append((st, text, self.cursor.get_center().copy(), self.cursor.width))


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


#: The regions of the cat photo (left, top, right, bottom in photo pixels), chosen by looking at the photo.
CAT_REGIONS = (
    ("edges", "the rim of the left eye", (130, 80, 214, 152)),
    ("ears", "the right ear's pointed tip", (324, 0, 402, 76)),
    ("whiskers", "thin white lines, lower left", (10, 204, 130, 286)),
    ("fur", "the striped forehead", (204, 0, 296, 76)),
)
#: A plain patch for comparison: the blurred dark background, top right.
CAT_BACKGROUND = (402, 0, 450, 60)
#: The detectors, in the order the scene looks for them on a photo without chosen regions.
DETECTORS = ("edges", "ears", "whiskers", "fur")
#: The largest block size of any photo; the cat's own boxes (CAT_REGIONS, CAT_BACKGROUND) are whole multiples of
#: 2 pixels a side (their sides' greatest common divisor), so on the cat 2×2 blocks tile them and 3×3 or larger do
#: not: the data function refuses those for the cat, in one line, before anything renders.
MAX_FEATURE_FACTOR = 8
#: One region per detector, so at most as many regions as there are detectors (a limit of the scene's story, not of
#: the room: the layout check passes with 9 regions).
MAX_DETECTORS = len(DETECTORS)


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
    photo: str
    name: str                # the photo, as named on screen (notation.photo_name)
    photo_size: tuple
    preview: np.ndarray      # the photo as shown (RGB, every ``preview_step``-th pixel)
    preview_step: int
    factor: int              # regions are read in grayscale, box-downsampled by this factor
    background_box: tuple
    fire_ratio: float
    detections: tuple
    evidence: int            # how many detectors fired
    chosen: bool             # the regions were chosen by a person (the cat's, or given): a verdict may name "cat"


def detector_response(name: str, photo: str, box: tuple, factor: int) -> np.ndarray:
    """A detector's response map on a region: its kernels convolved (core.conv2d) with the region's
    gray pixels, combined as √(Σ response²)."""
    g = images.photo(photo, "L", box=box, factor=factor).astype(np.float64)
    return np.sqrt(sum(core.conv2d(g, k) ** 2 for k in detector_kernels(name)))


def place_words(box: tuple, photo_size: tuple) -> str:
    """Where a box lies on the photo, in words, from its centre: "top left", "middle", "bottom centre"…"""
    H, W = photo_size
    left, top, right, bottom = box
    x, y = (left + right) / 2 / W, (top + bottom) / 2 / H
    v = ("top", "middle", "bottom")[min(2, int(y * 3))]
    h = ("left", "centre", "right")[min(2, int(x * 3))]
    return "the middle" if (v, h) == ("middle", "centre") else f"{v} {h}"


def find_regions(photo: str, factor: int, detectors: tuple = DETECTORS) -> tuple:
    """Regions for a photo nobody chose them for: each detector's box (a fifth of the photo's shorter side,
    on a grid of half a box) where its response on the whole photo peaks, no two boxes overlapping; and the
    plain background: the box where the strongest of every detector's response is the weakest."""
    H, W = images.photo_size(photo)[::-1]
    factor = factor * max(1, min(H, W) // 64 // factor)  # search on about 64 pixels a side (a multiple of factor)
    side = max(3 * factor, (min(H, W) // 5) // factor * factor)
    gray = images.photo(photo, "L", box=(0, 0, W // factor * factor, H // factor * factor), factor=factor)
    gray = gray.astype(np.float64)
    maps = {n: np.sqrt(sum(core.conv2d(gray, k) ** 2 for k in detector_kernels(n))) for n in detectors}
    s, step = side // factor, max(1, side // factor // 2)
    oh, ow = next(iter(maps.values())).shape
    windows = [(r, c) for r in range(0, oh - s + 3, step) for c in range(0, ow - s + 3, step)
               if (r + s) * factor <= H and (c + s) * factor <= W]
    if not windows:
        raise ValueError(f"photo: the {H}×{W} photo is too small to look for features in")

    def peak(n, r, c):
        return float(maps[n][r:r + s - 2, c:c + s - 2].max())

    def box(r, c):
        return (c * factor, r * factor, (c + s) * factor, (r + s) * factor)

    chosen, regions = [], []
    for n in detectors:
        free = [w for w in windows if all(abs(w[0] - a) >= s or abs(w[1] - b) >= s for a, b in chosen)] or windows
        r, c = max(free, key=lambda w: (peak(n, *w), -w[0], -w[1]))
        chosen.append((r, c))
        regions.append((n, f"its strongest patch, {place_words(box(r, c), (H, W))}", box(r, c)))
    r, c = min(windows, key=lambda w: (max(peak(n, *w) for n in detectors), w[0], w[1]))
    return tuple(regions), box(r, c)


def feature_data(
    photo: Annotated[Photo, Param("the photo: camera, chelsea, astronaut, or your PNG/JPEG file (without "
                                  "chosen regions, each detector looks where it responds most)")] = "chelsea",
    regions: tuple | None = None,
    background: tuple | None = None,
    factor: Annotated[int, Param("block size: the regions are read in grey, averaged in factor×factor blocks "
                                 "(on the cat photo 1 or 2: its regions are whole multiples of 2 pixels)",
                                 min=1, max=MAX_FEATURE_FACTOR)] = 2,
    fire_ratio: Annotated[float, Param("a feature is found when its peak response is at least this many times "
                                       "its response on the plain background", min=1, max=100)] = 3.0,
) -> FeatureData:
    """Four detectors (edges, ears, whiskers, fur) on their regions of the cat, each compared with
    its response on a plain patch of background.

    ``regions``: (detector, the region in words, (left, top, right, bottom)) for each detector, and
    ``background`` the plain patch; both default to the cat photo's (:data:`CAT_REGIONS`) for the cat, and
    to :func:`find_regions` for any other photo.
    """
    if isinstance(factor, bool) or not isinstance(factor, (int, np.integer)) or not 1 <= factor <= MAX_FEATURE_FACTOR:
        raise ValueError(f"factor: 1 to {MAX_FEATURE_FACTOR}, got {factor!r}")
    chosen = regions is not None or photo == "chelsea"
    if regions is None or background is None:
        found, plain = (CAT_REGIONS, CAT_BACKGROUND) if photo == "chelsea" else find_regions(photo, factor)
        regions = found if regions is None else regions
        background = plain if background is None else background
    if not 1 <= len(regions) <= MAX_DETECTORS:
        raise ValueError(f"regions: {len(regions)} regions: one region for each of 1 to {MAX_DETECTORS} detectors "
                         f"({', '.join(DETECTORS)})")
    names = [r[0] for r in regions]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"regions: one region per detector, but {', '.join(twice)} has more than one")
    full = images.photo(photo, "RGB")
    step = preview_step(full.shape)
    dets = []
    for det, what, box in regions:
        resp = detector_response(det, photo, box, factor)
        bg = float(detector_response(det, photo, background, factor).max())
        peak = float(resp.max())
        dets.append(Detection(det, what, tuple(box), resp, peak, bg, peak >= fire_ratio * bg))
    return FeatureData(str(photo), notation.photo_name(photo), full.shape[:2], full[::step, ::step].copy(), step,
                       factor, tuple(background), fire_ratio, tuple(dets), sum(d.fired for d in dets), chosen)


def response_overlay(resp: np.ndarray, color: str = theme.HIGHLIGHT) -> np.ndarray:
    """A response map as an RGBA picture: the colour everywhere, opaque where the response is strong."""
    rgb = np.array(ManimColor(color).to_int_rgb(), dtype=np.uint8)
    out = np.zeros(resp.shape + (4,), dtype=np.uint8)
    out[..., :3] = rgb
    peak = resp.max() if resp.max() > 0 else 1.0
    out[..., 3] = np.clip(np.round(255 * (resp / peak) ** 0.8), 0, 255).astype(np.uint8)
    return out


def wrap_words(text: str, size: float, width: float) -> list[str]:
    """``text`` cut into lines no wider than ``width`` at font ``size`` (a word longer than that stays whole)."""
    lines: list[str] = []
    for word in text.split():
        if lines and label(f"{lines[-1]} {word}", size=size).width <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return lines or [""]


class STRATEGIE2(CnnvizScene):
    """Strategy 2, looking for features: each detector lights up its region, its peak response compared with a
    plain patch; the features found add up to the evidence for "cat". One detector's words at a time."""

    data = staticmethod(feature_data)
    FONT = 30  # the notebook shows this scene at half width

    def must_show(self, d) -> list[str]:
        shown = [fmt_int(round(det.peak)) for det in d.detections] + [fmt_int(round(det.background))
                                                                       for det in d.detections]
        return shown + [f"{d.evidence} of {len(d.detections)}"]

    @staticmethod
    def verdict_text(d) -> str:
        """"4 of 4 features found → cat" where a person chose the regions and every detector fired; on regions
        found automatically, only what fired (a detector fires somewhere on any photo)."""
        n = len(d.detections)
        if not d.chosen:
            return f"{d.evidence} of {n} detectors fired"
        return f"{d.evidence} of {n} features found → cat" if d.evidence == n else f"{d.evidence} of {n} features found"

    @staticmethod
    def verdict_note(d) -> str:
        n = len(d.detections)
        if not d.chosen:
            return (f"{d.evidence} of {n} detectors fired, each on its strongest patch of {d.name}. A detector "
                    "fires somewhere on any photo: features count as evidence only where they belong.")
        if d.evidence == n:
            return (f"{d.evidence} of {n} features found: the evidence adds up, and we conclude \u201ccat\u201d. "
                    "A CNN's convolutions are such automatic feature detectors.")
        return f"Only {d.evidence} of {n} features found: not enough evidence for \u201ccat\u201d."

    def construct(self):
        d = self.data()
        s = self.FONT
        edge = theme.FRAME_WIDTH / 2 - 0.4
        head = title("Strategy 2: look for features", size=32)
        top, bottom = head.get_bottom()[1] - 0.3, -3.6
        ph, pw = d.photo_size
        name = label(d.name, size=s, color=theme.MUTED)
        img = PixelImage(d.preview, height=min(top - bottom - name.height - 0.2, 7.2 * ph / pw))
        img.move_to([-edge + img.width / 2, (top + bottom + name.height + 0.2) / 2, 0])
        name.next_to(img, DOWN, buff=0.2).align_to(img, LEFT)
        panel_l = img.get_right()[0] + 0.4
        panel_w = edge - panel_l
        panel_x = panel_l + panel_w / 2
        self.add(head, img, name)
        self.beat(note=f"Strategy 2: look at {d.name} as we do, for features \u2014 edges, textures, patterns.",
                  hold=0.8)

        bg_box = photo_box(img, d.background_box, d.preview_step, color=theme.MUTED, stroke_width=4)
        bg_words = VGroup(*(label(t, size=s, color=theme.MUTED) for t in
                            wrap_words("the grey box: a plain patch, for comparison", s, panel_w)))
        bg_words.arrange(DOWN, buff=0.1, aligned_edge=LEFT).move_to([panel_x, 1.2, 0])
        n = len(d.detections)
        seg_w = panel_w / max(n, 1)
        bar_y = -2.3
        bar = Rectangle(width=panel_w, height=0.45, stroke_color=theme.OUTPUT, stroke_width=2)
        bar.move_to([panel_x, bar_y, 0])
        bar_name = label("evidence for \u201ccat\u201d" if d.chosen else "detectors fired", size=s, color=theme.OUTPUT)
        bar_name.next_to(bar, UP, buff=0.15).align_to(bar, LEFT)
        self.play(Create(bg_box), FadeIn(bg_words), Create(bar), FadeIn(bar_name), run_time=0.6)
        self.beat(note="Each detector is compared with a plain patch of the same photo: a feature counts only "
                       "where the response is much stronger than there.", hold=1.0)

        words = bg_words
        for k, det in enumerate(d.detections):
            left, top_px, right, bottom_px = det.box
            box = photo_box(img, det.box, d.preview_step, color=theme.HIGHLIGHT, stroke_width=4)
            over = PixelImage(response_overlay(det.response), border=None,
                              height=(bottom_px - top_px) / d.preview_step * img.pixel_size
                              * det.response.shape[0] / ((bottom_px - top_px) / d.factor))
            over.move_to(box)
            mark = "\u2713" if det.fired else "\u2717"
            colour = theme.HIGHLIGHT if det.fired else theme.MUTED
            lines = VGroup(label(f"{mark} {det.name}", size=36, color=colour),
                           *(label(t, size=s, color=colour) for t in wrap_words(det.what, s, panel_w)),
                           label(f"peak {fmt_int(round(det.peak))},", size=s),
                           label(f"background {fmt_int(round(det.background))}", size=s))
            lines.arrange(DOWN, buff=0.12, aligned_edge=LEFT)
            lines.move_to([panel_l + lines.width / 2, (top + bar_name.get_top()[1]) / 2, 0])
            seg = Rectangle(width=seg_w, height=0.45, stroke_width=0)
            seg.set_fill(theme.OUTPUT, opacity=0.85 if det.fired else 0.0)
            seg.move_to([panel_l + (k + 0.5) * seg_w, bar_y, 0])
            self.play(Fade(words), run_time=0.3)
            self.play(Create(box), FadeIn(lines), run_time=0.5)
            self.play(FadeIn(over), run_time=0.6)  # the detector lights up where its feature is
            self.play(FadeIn(seg), box.animate.set_stroke(theme.OUTPUT), run_time=0.4)
            times = det.peak / det.background if det.background else float("inf")
            found = (f"found: its peak, {fmt_int(round(det.peak))}, is {fmt_num(times, 1)} times the plain patch's"
                     if det.fired else f"not found: its peak, {fmt_int(round(det.peak))}, is not {fmt_num(d.fire_ratio)} "
                     f"times the plain patch's {fmt_int(round(det.background))}")
            self.beat(note=f"The {det.name} detector lights up on {det.what}: {found}.", hold=0.9 if k == 0 else 0.6)
            words = lines

        verdict = label(self.verdict_text(d), size=s, color=theme.OUTPUT)
        verdict.next_to(bar, DOWN, buff=0.3).set_x(panel_x)
        self.play(FadeIn(verdict, scale=1.2), run_time=0.6)
        self.beat(note=self.verdict_note(d), hold=2.5)
        self.clear_all()
