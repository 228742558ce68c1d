"""Chapter 2, section V — feature detection: edge kernels on real photos, grey and colour.

Each scene: a pure data function (inputs → every number shown, from ``cnnviz.core``)
and the choreography that draws it with the shared drawings.
Render one with ``manim -ql scenes/ch2_features.py FeatureDetectionGray``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from manim import (
    DOWN,
    LEFT,
    Group,
    RIGHT,
    UP,
    Arrow,
    Create,
    FadeIn,
    FadeOut,
    GrowArrow,
    TransformFromCopy,
    VGroup,
    config,
)

from cnnviz import core, images, notation, theme
from cnnviz.params import Param, Photo
from cnnviz.drawings import (
    CnnvizScene,
    PixelImage,
    PixelZoom,
    fmt_int,
    map_pixels,
    ValueGrid,
    caption,
    fmt_factor,
    fmt_num,
    label,
    title,
)


# ============================================================ FeatureDetectionGray / FeatureDetectionRGB
@dataclass(frozen=True)
class FeatureMap:
    direction: str           # "vertical" or "horizontal": what the kernel detects
    kernel: np.ndarray       # F×F (grey photo) or F×F×C: the 2-D edge kernel on every channel
    response: np.ndarray     # core.conv2d(photo, kernel): the feature map, signed
    channel_responses: tuple  # per channel: core.conv2d(channel, its kernel slice); they sum to ``response``
    peak: int                # the largest |response|: white in ``display``
    display: np.ndarray      # uint8 picture of the map: round(255·|response| / peak)
    channel_peak: int        # the largest |channel response|: white in ``channel_displays``
    channel_displays: tuple  # uint8 pictures of the channel responses, scaled by ``channel_peak``
    patch_partials: tuple    # per channel: its response on the zoomed patch (s×s)
    patch_out: np.ndarray    # the feature map on the zoomed patch (s×s): the partials' sum


@dataclass(frozen=True)
class FeatureData:
    photo: str               # how the photo is named on screen (notation.photo_name): "the cameraman photo"
    mode: str                # "L" (grey) or "RGB"
    box: tuple | None        # crop of the original photo (left, top, right, bottom)
    factor: int              # block size of the downsampling
    source_shape: tuple      # the crop's size before downsampling (H, W)
    image: np.ndarray        # the photo as the convolution sees it: H×W or H×W×3, uint8
    kind: str                # edge kernel family ("sobel" or "prewitt")
    maps: tuple              # one FeatureMap per direction
    patch: tuple             # (row, col) top-left of the zoomed patch, in map coordinates
    patch_size: int          # s: the zoom shows s×s map values
    patch_in: np.ndarray     # the photo pixels they are computed from: (s+F−1)×(s+F−1)(×C)
    source: str = ""         # the photo as given: a built-in's name or the file's path


#: the side (in pixels) a photo is shrunk to when the scene chooses the block size
FEATURE_SIDE = 64
#: the largest zoomed patch (map values a side) that is readable at half width (measured with the layout check)
PATCH_MAX = 3
#: every text's size: the notebook shows both scenes at half width (registry.min_font = 30)
_SIZE = 30
#: the channels' width once they make room for the zoomed numbers (colour photos)
THUMB_WIDTH = 1.5
#: the photo's largest height and width at the opening beat (its name above, its provenance below)
INTRO_HEIGHT, INTRO_WIDTH = 4.8, 10.0


def feature_data(
    photo: Annotated[Photo, Param("the photo: camera, chelsea, astronaut, or your PNG/JPEG file")] = "camera",
    mode: str = "L",
    box: Annotated[tuple[int, ...] | None, Param("crop of the photo in its pixels: left, top, right, bottom "
                                                 "(default: the whole photo)", min=0, max_shape=(4,))] = None,
    factor: Annotated[int | None, Param(f"block size of the downsampling (default: the crop's longer side "
                                        f"÷ {FEATURE_SIDE}, so the photo is about {FEATURE_SIDE} pixels a side); "
                                        f"at most the crop's shorter side ÷ (patch_size + 2): the photo's limit, "
                                        f"the 3×3 kernel and the zoom need that many pixels", min=1)] = None,
    directions=("vertical", "horizontal"),
    kind: Annotated[Literal["sobel", "prewitt"], Param("the edge kernels: Sobel (centre weighted 2) or "
                                                       "Prewitt (all weights 1)")] = "sobel",
    patch=None,
    patch_size: Annotated[int, Param("the zoomed patch shows this many map values a side", min=1,
                                     max=PATCH_MAX)] = 2,
) -> FeatureData:
    """Real edge kernels on a real photo (default: the cameraman, grey, 512×512 → 64×64 by 8×8 block means).

    ``photo`` is a built-in photo's name or a path to a PNG/JPEG file; ``factor=None`` shrinks
    the photo (or its ``box``) to about ``FEATURE_SIDE`` pixels on its longer side.

    ``patch=None`` zooms where the first kernel responds most strongly compared with the others: the s×s
    block of the map with the largest total |response| of the first kernel minus the largest total of any
    other kernel there (with one kernel: its largest total |response|). The zoom stays readable on a slide:
    at most 7×7 photo values for a grey photo, 3×3 per channel for a colour one (``patch_size`` + F − 1).
    """
    if box is not None:
        if len(box) != 4:
            raise ValueError(f"box: a crop is four numbers (left, top, right, bottom), got {len(box)}")
        if not (box[0] < box[2] and box[1] < box[3]):
            raise ValueError(f"box: {tuple(box)} is empty (left < right and top < bottom)")
    crop = (box[2] - box[0], box[3] - box[1]) if box is not None else images.photo_size(photo)  # width, height
    if factor is None:
        factor = max(1, round(max(crop) / FEATURE_SIDE))
    need = 2 + min(patch_size, PATCH_MAX)  # photo pixels a side: the 3×3 edge kernels and a zoom need this many
    if isinstance(factor, (int, np.integer)) and not isinstance(factor, bool) and min(crop) // factor < need:
        most = largest_factor(crop, box is not None, need)
        raise ValueError(f"factor: {factor}×{factor} blocks leave a photo under {need}×{need} pixels, too small for a "
                         f"3×3 kernel and a {patch_size}×{patch_size} zoom: a factor of at most {most} fits this "
                         f"photo{' and crop' if box is not None else ''}")
    image = images.photo(photo, mode, box=box, factor=factor)
    C = 1 if image.ndim == 2 else image.shape[2]
    maps = []
    for direction in directions:
        k2 = core.edge_kernel(direction, kind)
        kernel = k2 if C == 1 else np.stack([k2] * C, axis=-1)
        response = core.conv2d(image, kernel)
        channels = ((response,) if C == 1 else
                    tuple(core.conv2d(image[..., ch], kernel[..., ch]) for ch in range(C)))
        peak = int(np.abs(response).max())
        channel_peak = int(max(np.abs(r).max() for r in channels))
        maps.append(dict(direction=direction, kernel=kernel, response=response, channel_responses=channels,
                         peak=peak, display=map_pixels(response, (0, peak), magnitude=True), channel_peak=channel_peak,
                         channel_displays=tuple(map_pixels(r, (0, channel_peak), magnitude=True) for r in channels)))
    s = patch_size
    out_h, out_w = maps[0]["response"].shape
    f = maps[0]["kernel"].shape[0]
    if not 1 <= s <= min(out_h, out_w):
        raise ValueError(f"a {s}×{s} patch does not fit the {out_h}×{out_w} feature map")
    most = PATCH_MAX + 2 if C == 1 else 3
    if s + f - 1 > most:
        raise ValueError(f"patch_size: a {s}×{s} patch needs {s + f - 1}×{s + f - 1} photo values per channel: "
                         f"a patch of at most {most - f + 1}×{most - f + 1} ({most}×{most} values of a "
                         f"{'grey' if C == 1 else 'colour'} photo) fits this scene at a readable size")
    if patch is None:
        sums = [sliding_window_view(np.abs(m["response"]).astype(np.int64), (s, s)).sum(axis=(2, 3)) for m in maps]
        score = sums[0] - (np.max(sums[1:], axis=0) if len(sums) > 1 else 0)
        patch = tuple(int(v) for v in np.unravel_index(np.argmax(score), score.shape))
    r, c = patch
    if not (0 <= r <= out_h - s and 0 <= c <= out_w - s):
        raise ValueError(f"a {s}×{s} patch at {patch} does not fit the {out_h}×{out_w} feature map")
    patch_in = image[r:r + s + f - 1, c:c + s + f - 1].copy()
    fmaps = tuple(FeatureMap(**m, patch_partials=tuple(ch[r:r + s, c:c + s].copy() for ch in m["channel_responses"]),
                             patch_out=m["response"][r:r + s, c:c + s].copy()) for m in maps)
    H, W = image.shape[:2]
    return FeatureData(notation.photo_name(photo), mode, None if box is None else tuple(box), factor,
                       (H * factor, W * factor), image, kind, fmaps, (r, c), s, patch_in, str(photo))


def largest_factor(crop: tuple[int, int], cropped: bool, need: int) -> int:
    """The largest block size that leaves at least ``need`` pixels a side of a ``crop`` (width, height); a crop
    box must divide into whole blocks (``images.photo``), the whole photo is trimmed to them."""
    for f in range(max(1, min(crop) // need), 0, -1):
        if not cropped or (crop[0] % f == 0 and crop[1] % f == 0):
            return f
    return 1


def feature_data_rgb(
    photo: Annotated[Photo, Param("the colour photo: camera, chelsea, astronaut, or your PNG/JPEG file")] = "chelsea",
    mode: str = "RGB",
    box: Annotated[tuple[int, ...] | None, Param("crop of the photo in its pixels: left, top, right, bottom "
                                                 "(None: the whole photo)", min=0, max_shape=(4,))] = (11, 6, 443, 294),
    factor: Annotated[int | None, Param(f"block size of the downsampling (None: the crop's longer side "
                                        f"÷ {FEATURE_SIDE}); at most the crop's shorter side ÷ 3: the photo's limit, "
                                        f"the 3×3 kernel needs that many pixels", min=1)] = 6,
    directions=("vertical",),
    kind: Annotated[Literal["sobel", "prewitt"], Param("the edge kernel: Sobel (centre weighted 2) or "
                                                       "Prewitt (all weights 1)")] = "sobel",
    patch=None, patch_size: int = 1,
) -> FeatureData:
    """The colour example: Chelsea the cat (432×288 crop → 72×48), one 3×3×3 kernel: the vertical-edge kernel
    on each of R, G and B, whose three channel responses sum into one feature map."""
    return feature_data(photo, mode, box, factor, directions, kind, patch, patch_size)


def _cell_for(values, cell: float, font: float = _SIZE) -> float:
    """``cell``, or larger if the longest of ``values`` would not fit a cell at ``font`` (ValueGrid fits 86 %)."""
    longest = max((fmt_num(v) for v in np.asarray(values).ravel()), key=len)
    return max(cell, len(longest) * 0.17 * font / 22 / 0.86 + 0.02)  # 0.17: a DejaVu Sans Mono digit at 22


def _channel_picture(values: np.ndarray, ch: int) -> np.ndarray:
    """One channel (H×W uint8) drawn in its own colour: an RGB picture whose other channels are 0."""
    out = np.zeros(values.shape + (3,), dtype=np.uint8)
    out[..., ch] = values
    return out


_CHANNEL_NAMES = ("R", "G", "B")


class _FeatureDetection:
    """Edge kernels on a real photo: one choreography, whatever the photo (grey or colour), its size, the
    kernels and the zoomed patch. The two catalogued scenes differ only in their data (a mixin, so that
    the module's CnnvizScene classes are exactly the catalogued ones).

    1. the photo (a colour photo splits into its channels);
    2. the first kernel ⊛ the photo = its feature map, drawn as a picture (the normalisation said on screen);
       with C channels, each channel's response, and their sum: one map;
    3. a zoomed patch: the photo's numbers ⊛ the kernel = the map's numbers (per channel, then summed);
    4. every further kernel on the same patch; 5. the photo and every map side by side.
    """

    def construct(self):
        d = self.data()
        self.C = 1 if d.image.ndim == 2 else d.image.shape[2]
        self.F = d.maps[0].kernel.shape[0]
        kernels = "Edge kernels" if len(d.maps) > 1 else f"One {core.fmt_shape(d.maps[0].kernel.shape)} kernel"
        self.head = title(f"{kernels} on a {'colour' if self.C > 1 else 'grey'} photo", size=32)
        photo = self.intro(d)
        parts = self.overview(d, d.maps[0], photo)
        parts = self.zoom(d, d.maps[0], parts)
        for fmap in d.maps[1:]:
            parts = self.next_kernel(d, fmap, parts)
        self.summary(d)
        self.clear_all()

    def must_show(self, d: FeatureData) -> list[str]:
        """The photo's name and size, the zoomed pixels, every kernel's weights, the per-channel sums (colour),
        every value of the zoomed map, and each map's largest |value| (its white)."""
        nums = lambda a: [fmt_num(v) for v in np.asarray(a).ravel()]  # noqa: E731
        out = [d.photo, core.fmt_shape(d.image.shape)] + nums(d.patch_in)
        for m in d.maps:
            out += nums(m.kernel) + nums(m.patch_out) + [fmt_int(m.peak), f"{m.direction}"]
            if len(m.patch_partials) > 1:
                out += nums(np.stack(m.patch_partials))
        if d.image.ndim == 3:  # the channel responses are drawn for the first kernel only
            out.append(fmt_int(d.maps[0].channel_peak))
        return list(dict.fromkeys(out))

    def play(self, *animations, **kwargs):
        """Pictures first in the drawing order, so that they stay static unless they move themselves.

        Manim redraws every mobject after the first moving one on every frame, and drawing a picture costs
        a whole-frame composite (≈25 ms at 720p); nothing is drawn under a picture, so this changes no pixel.
        """
        animations = self.compile_animations(*animations, **kwargs)
        moving: set = set()

        def collect(anims):
            for a in anims:
                moving.update(id(m) for m in a.mobject.get_family())
                collect(getattr(a, "animations", ()))

        collect(animations)
        pictures = [m for m in self.mobjects if isinstance(m, PixelImage) and id(m) not in moving]
        if pictures:
            self.bring_to_back(*pictures)
        super().play(*animations, **kwargs)

    # ------------------------------------------------------------ helpers
    def _kernel_grid(self, k2: np.ndarray, cell: float) -> ValueGrid:
        return ValueGrid(k2, color=theme.KERNEL, shade="signed", cell_size=cell, font_size=_SIZE)

    def _symbol(self, text: str, between_a, between_b, size: float = 36):
        x = (between_a.get_right()[0] + between_b.get_left()[0]) / 2
        return label(text, size=size).move_to([x, between_b.get_y(), 0])

    @staticmethod
    def _norm_note(peak: int, what: str = "|value|") -> str:
        return f"drawn as {what}: 0 black … {fmt_int(peak)} white"

    @staticmethod
    def _heading(mob, text: str, color: str):
        return label(text, size=_SIZE, color=color).next_to(mob, UP, buff=0.15)

    # ------------------------------------------------------------ 1. the photo
    def intro(self, d: FeatureData) -> PixelImage:
        H, W = d.image.shape[:2]
        h = min(INTRO_HEIGHT, INTRO_WIDTH * H / W)  # as large as the frame allows between title and labels
        photo = PixelImage(d.image, height=h).move_to([0, -0.1, 0])
        name = label(f"{d.photo}: {core.fmt_shape(d.image.shape)} pixels", size=_SIZE, color=theme.INPUT)
        name.next_to(photo, UP, buff=0.15)
        how = label(f"{d.factor}×{d.factor} block means of {d.source_shape[0]}×{d.source_shape[1]}",
                    size=_SIZE, color=theme.MUTED).next_to(photo, DOWN, buff=0.15)
        self.add(self.head, photo, name, how)
        self.beat(note=f"A real photo is a grid of numbers: {d.photo}, shrunk to {core.fmt_shape(d.image.shape)} "
                       f"pixels by averaging {d.factor}×{d.factor} blocks. What does an edge kernel find in it?",
                  hold=1.0)
        self.photo_labels = VGroup(name, how)
        return photo

    def _move_photo(self, photo: PixelImage, height: float, centre) -> list:
        """Animations moving/resizing the photo with its two labels (name above, provenance below)."""
        name, how = self.photo_labels
        k = height / photo.height
        centre = np.array(centre, dtype=float)
        top = centre[1] + height / 2
        bottom = centre[1] - height / 2

        def x_in_frame(mob):  # a label wider than the photo stays inside the frame
            half = config.frame_width / 2 - theme.EDGE_MARGIN - 0.05 - mob.width / 2
            return float(np.clip(centre[0], -half, half))

        return [photo.animate.scale(k).move_to(centre),
                name.animate.move_to([x_in_frame(name), top + 0.15 + name.height / 2, 0]),
                how.animate.move_to([x_in_frame(how), bottom - 0.15 - how.height / 2, 0])]

    # ------------------------------------------------------------ 2. kernel ⊛ photo = feature map
    def overview(self, d: FeatureData, m: FeatureMap, photo: PixelImage) -> dict:
        return self._overview_grey(d, m, photo) if self.C == 1 else self._overview_colour(d, m, photo)

    def _overview_grey(self, d: FeatureData, m: FeatureMap, photo: PixelImage) -> dict:
        H, W = d.image.shape[:2]
        Ho, Wo = m.display.shape
        h = min(4.4, 4.6 * H / W)
        w = h * W / H
        self.play(*self._move_photo(photo, h, [-6.8 + w / 2, -0.1, 0]), run_time=0.8)
        pic = PixelImage(m.display, height=h * Ho / H)
        pic.move_to([6.8 - pic.width / 2, -0.1, 0])
        kernel = self._kernel_grid(m.kernel, 0.62)
        kernel.move_to([(photo.get_right()[0] + pic.get_left()[0]) / 2, -0.1, 0])
        k_name = self._heading(kernel, f"{m.direction}-edge kernel", theme.KERNEL)
        star, eq = self._symbol("⊛", photo, kernel), self._symbol("=", kernel, pic)
        m_name = _inside(label(f"{m.direction} edges", size=_SIZE, color=theme.OUTPUT).next_to(pic, UP, buff=0.15))
        note = caption(self._norm_note(m.peak), size=_SIZE, color=theme.OUTPUT)
        self.play(FadeIn(kernel), FadeIn(k_name), FadeIn(star), run_time=0.7)
        self.beat(note=f"The {m.direction}-edge kernel ({d.kind.capitalize()}) slides over every "
                       f"{self.F}×{self.F} window of the photo: multiply and sum.", hold=0.6)
        self.play(FadeIn(eq), FadeIn(pic), FadeIn(m_name), FadeIn(note), run_time=1.0)
        self.beat(note=f"The result is a {core.fmt_shape(m.response.shape)} feature map, drawn as a picture: "
                       f"bright where the photo has {m.direction} edges (the strongest response is "
                       f"{fmt_int(m.peak)}).", hold=1.5)
        return dict(photo=photo, kernel=kernel, k_name=k_name, star=star, eq=eq, map=pic, m_name=m_name, note=note)

    def _rows(self, d: FeatureData, m: FeatureMap) -> dict:
        """Geometry of the per-channel rows (colour photos): one row per channel."""
        H, W = d.image.shape[:2]
        pitch = min(1.93, 5.8 / self.C)
        row_h = pitch - 0.23
        ys = [2.6 - row_h / 2 - k * pitch for k in range(self.C)]
        ch_h = min(row_h, 2.35 * H / W)
        cell = min(0.62, row_h / self.F)
        return dict(ys=ys, ch_h=ch_h, cell=cell, row_h=row_h)

    def _overview_colour(self, d: FeatureData, m: FeatureMap, photo: PixelImage) -> dict:
        H, W = d.image.shape[:2]
        Ho, Wo = m.display.shape
        g = self._rows(d, m)
        ys, ch_h, cell = g["ys"], g["ch_h"], g["cell"]
        # the photo splits into its channels, one row each
        chans, names = Group(), VGroup()
        for ch in range(self.C):
            pic = PixelImage(_channel_picture(d.image[..., ch], ch), height=ch_h)
            pic.move_to([-6.3 + pic.width / 2, ys[ch], 0])
            chans.add(pic)
            names.add(label(_CHANNEL_NAMES[ch % 3], size=_SIZE, color=theme.CHANNELS[ch % 3])
                      .next_to(pic, LEFT, buff=0.12))
        split = caption(f"a colour photo is {self.C} channels: {core.fmt_shape(d.image.shape)}",
                        size=_SIZE, color=theme.INPUT)
        # the photo steps aside to the right while its channels come out of it (the frame stays used)
        right = min(3.4, 5.1 * H / W)
        aside = [6.75 - right * W / H / 2, ys[self.C // 2] if self.C % 2 else (ys[0] + ys[-1]) / 2, 0]
        self.play(*(TransformFromCopy(photo, pic) for pic in chans), photo.animate.scale(right / photo.height)
                  .move_to(aside), FadeOut(self.photo_labels), FadeIn(names), FadeIn(split), run_time=1.2)
        self.beat(note=f"A colour photo is {self.C} matrices, one per channel (red, green, blue): "
                       f"{core.fmt_shape(d.image.shape)} numbers.", hold=1.0)
        # one kernel slice per channel ⊛ that channel = the channel's response
        kernels = VGroup(*(self._kernel_grid(m.kernel[..., ch], cell).move_to(
            [chans[ch].get_right()[0] + 0.55 + self.F * cell / 2, ys[ch], 0]) for ch in range(self.C)))
        resp = Group(*(PixelImage(_channel_picture(m.channel_displays[ch], ch), height=ch_h * Ho / H)
                       for ch in range(self.C)))
        for ch, pic in enumerate(resp):
            pic.move_to([kernels[ch].get_right()[0] + 0.55 + pic.width / 2, ys[ch], 0])
        stars = VGroup(*(self._symbol("⊛", chans[ch], kernels[ch], size=30) for ch in range(self.C)))
        eqs = VGroup(*(self._symbol("=", kernels[ch], resp[ch], size=30) for ch in range(self.C)))
        k_name = label(f"kernel {core.fmt_shape(m.kernel.shape)}", size=_SIZE, color=theme.KERNEL)
        k_name.next_to(kernels, UP, buff=0.12)
        k_note = caption(f"the {m.direction}-edge kernel on each channel",
                         size=_SIZE, color=theme.KERNEL)
        self.play(FadeOut(split), run_time=0.3)  # the photo stays aside until the map takes its place
        self.play(FadeIn(kernels), FadeIn(stars), FadeIn(k_name), FadeIn(k_note), run_time=0.9)
        self.beat(note=f"So the kernel has {self.C} channels too: {core.fmt_shape(m.kernel.shape)}, here the "
                       f"{m.direction}-edge kernel on each channel.", hold=1.0)
        r_name = label("responses", size=_SIZE, color=theme.OUTPUT).next_to(resp, UP, buff=0.12)
        r_name.set_x(max(r_name.get_x(), k_name.get_right()[0] + 0.3 + r_name.width / 2))
        r_note = caption(self._norm_note(m.channel_peak), size=_SIZE, color=theme.OUTPUT)
        self.play(FadeOut(k_note), run_time=0.3)
        self.play(FadeIn(eqs), FadeIn(resp), FadeIn(r_name), FadeIn(r_note), run_time=0.9)
        self.beat(note=f"Each channel ⊛ its slice of the kernel gives a response "
                       f"(the strongest: {fmt_int(m.channel_peak)}).", hold=1.0)
        # the responses add up: one feature map
        pluses = VGroup(*(label("+", size=30).move_to([resp.get_x(), (ys[k] + ys[k + 1]) / 2, 0])
                          for k in range(self.C - 1)))
        pic = PixelImage(m.display, height=min(3.0, 4.2 * Ho / Wo))
        pic.move_to([6.75 - pic.width / 2, ys[self.C // 2] if self.C % 2 else (ys[0] + ys[-1]) / 2, 0])
        arrow = Arrow([resp.get_right()[0] + 0.05, pic.get_y(), 0], [pic.get_left()[0] - 0.05, pic.get_y(), 0],
                      buff=0.1, stroke_color=theme.MUTED, stroke_width=4, max_tip_length_to_length_ratio=0.3)
        m_name = label(f"sum: {core.fmt_shape(m.response.shape)} map", size=_SIZE,
                       color=theme.OUTPUT).next_to(pic, UP, buff=0.15)
        m_name.set_x(min(m_name.get_x(), config.frame_width / 2 - theme.EDGE_MARGIN - 0.05 - m_name.width / 2))
        note = caption(self._norm_note(m.peak), size=_SIZE, color=theme.OUTPUT)
        self.play(FadeOut(r_note), run_time=0.3)
        self.play(FadeIn(pluses), GrowArrow(arrow), FadeOut(photo), FadeIn(pic), FadeIn(m_name), FadeIn(note),
                  run_time=1.0)
        self.beat(note=f"The {self.C} responses are added: one kernel gives one "
                       f"{core.fmt_shape(m.response.shape)} feature map (strongest: {fmt_int(m.peak)}), "
                       f"bright at the photo's {m.direction} edges.", hold=1.8)
        return dict(chans=chans, names=names, kernel=kernels, k_name=k_name, star=stars, eq=eqs, resp=resp,
                    r_name=r_name, pluses=pluses, arrow=arrow, map=pic, m_name=m_name, note=note)

    # ------------------------------------------------------------ 3. a zoomed patch: the numbers
    def zoom(self, d: FeatureData, m: FeatureMap, parts: dict) -> dict:
        return self._zoom_grey(d, m, parts) if self.C == 1 else self._zoom_colour(d, m, parts)

    def _zoom_grey(self, d: FeatureData, m: FeatureMap, parts: dict) -> dict:
        H, W = d.image.shape[:2]
        F, s = self.F, d.patch_size
        n_in = s + F - 1
        r, c = d.patch
        photo, pic, kernel = parts["photo"], parts["map"], parts["kernel"]
        name, how = self.photo_labels
        # photo and map become thumbnails at the top; the numbers go below them
        top = 3.15 - parts["m_name"].height - 0.15
        ht = min(2.2, 3.4 * H / W, top + 2.95 - 0.3 - n_in * 0.6)  # leave the numbers room to be readable
        photo_c = np.array([photo.get_x(), top - ht / 2, 0])
        pic_h = ht * pic.height / photo.height
        pic_c = np.array([pic.get_x(), top - pic_h / 2, 0])
        self.play(FadeOut(how), FadeOut(name), FadeOut(parts["note"]), FadeOut(parts["star"]), FadeOut(parts["eq"]),
                  FadeOut(parts["k_name"]),
                  photo.animate.scale(ht / photo.height).move_to(photo_c),
                  pic.animate.scale(pic_h / pic.height).move_to(pic_c),
                  parts["m_name"].animate.move_to(_inside(parts["m_name"].copy().move_to(
                      pic_c + UP * (pic_h / 2 + 0.15 + parts["m_name"].height / 2)))),
                  run_time=1.0)
        cell = min(0.8, (top - ht - 0.35 - (-3.1)) / n_in)  # the grids end above the caption
        patch = PixelZoom(photo, r, c, n_in, n_in, cell_size=cell, direction=DOWN, buff=0.35, font_size=_SIZE)
        both = np.concatenate([f.patch_out.ravel() for f in d.maps])  # the widest number of every kernel
        out_cell = ValueGrid(both.reshape(1, -1), cell_size=cell, font_size=_SIZE, show_values=False).cell_width
        out = PixelZoom(pic, r, c, s, s, values=m.patch_out, cell_size=max(cell, out_cell), direction=DOWN,
                        buff=0.35, shade="signed", color=theme.OUTPUT, font_size=_SIZE)
        out.grid.align_to(patch.grid, UP)
        x_max = config.frame_width / 2 - theme.EDGE_MARGIN - 0.05
        for z in (patch, out):  # keep the grids inside the frame
            x0, x1 = z.grid.get_left()[0], z.grid.get_right()[0]
            z.grid.shift(RIGHT * (max(0, -x_max - x0) - max(0, x1 - x_max)))
            z.reconnect()
        k_target = kernel.copy().move_to([(patch.grid.get_right()[0] + out.grid.get_left()[0]) / 2,
                                          patch.grid.get_y(), 0])
        k_name = self._heading(k_target, f"{m.direction}-edge kernel", theme.KERNEL)
        star, eq = self._symbol("⊛", patch.grid, k_target), self._symbol("=", k_target, out.grid)
        self.play(Create(patch.box), Create(out.box), kernel.animate.move_to(k_target), run_time=0.8)
        self.play(Create(patch.lines), FadeIn(patch.grid), FadeIn(k_name), run_time=0.8)
        self.play(FadeIn(star), FadeIn(eq), Create(out.lines), FadeIn(out.grid), run_time=0.8)
        rc = notation.row_col(r, c)
        self.beat(note=f"Zoom in on a patch where the {m.direction} kernel answers strongly: the photo's numbers "
                       f"from {rc} on, "
                       f"⊛ the kernel, give these {s * s} numbers of the map.", hold=1.0)
        # which window gives which value: the F×F window for each of the s×s values
        win = patch.grid.window(0, 0, F, F)
        cell_frame = out.grid.window(0, 0, 1, 1)
        self.play(Create(win), Create(cell_frame), run_time=0.5)
        v00 = m.patch_out[0, 0]
        self.beat(note=f"Each value comes from one {F}×{F} window: these {F * F} pixels times the kernel's weights, "
                       f"summed, give {fmt_num(v00)}.", hold=0.6)
        for k in range(1, s * s):
            i, j = divmod(k, s)
            self.play(win.animate.move_to(patch.grid.block_center(i, j, F, F)),
                      cell_frame.animate.move_to(out.grid.cell(i, j)), run_time=0.3)
        self.play(FadeOut(win), FadeOut(cell_frame), run_time=0.3)
        big = np.abs(m.patch_out).max()
        self.beat(note=f"The window moves one pixel at a time; across this {m.direction} edge the map reaches "
                       f"{fmt_int(big)}: a large value means the feature is there.", hold=0.8)
        parts.update(k_name=k_name, star=star, eq=eq, patch=patch, out=out)
        return parts

    def _zoom_colour(self, d: FeatureData, m: FeatureMap, parts: dict) -> dict:
        F, s = self.F, d.patch_size
        n_in = s + F - 1
        r, c = d.patch
        g = self._rows(d, m)
        ys = g["ys"]
        cz = min(g["cell"], g["row_h"] / n_in)
        chans, kernels = parts["chans"], parts["kernel"]
        # the channels become thumbnails (their patch still framed), so that the map keeps its size
        q = min(1.0, THUMB_WIDTH / chans[0].width)
        thumbs = [chans[ch].copy().scale(q).move_to([-6.3 + chans[ch].width * q / 2, ys[ch], 0])
                  for ch in range(self.C)]
        zooms = [PixelZoom(thumbs[ch], r, c, n_in, n_in, values=d.patch_in[..., ch], cell_size=cz,
                           direction=RIGHT, buff=0.4, shade="gray", vrange=(0, 255), color=theme.CHANNELS[ch % 3],
                           font_size=_SIZE)
                 for ch in range(self.C)]
        for ch, z in enumerate(zooms):  # the rows stay aligned
            z.grid.set_y(ys[ch])
            z.reconnect()
        k_targets = [kernels[ch].copy().move_to([zooms[ch].grid.get_right()[0] + 0.55 + kernels[ch].width / 2,
                                                 ys[ch], 0]) for ch in range(self.C)]
        pz = _cell_for(np.concatenate([p.ravel() for p in m.patch_partials]), cz)
        partials = VGroup(*(ValueGrid(m.patch_partials[ch], cell_size=pz, shade="signed", color=theme.OUTPUT,
                                      font_size=_SIZE)
                            .move_to([k_targets[ch].get_right()[0] + 0.45 + s * pz / 2, ys[ch], 0])
                            for ch in range(self.C)))
        stars = VGroup(*(self._symbol("⊛", zooms[ch].grid, k_targets[ch], size=30) for ch in range(self.C)))
        eqs = VGroup(*(self._symbol("=", k_targets[ch], partials[ch], size=30) for ch in range(self.C)))
        pluses = VGroup(*(label("+", size=30).move_to([partials.get_x(), (ys[k] + ys[k + 1]) / 2, 0])
                          for k in range(self.C - 1)))
        pic, m_name = parts["map"], parts["m_name"]
        # the map makes room for the per-channel sums: right of them, past an arrow, inside the frame
        x_max = config.frame_width / 2 - theme.EDGE_MARGIN - 0.05
        left = partials.get_right()[0] + 0.8
        k = min(1.0, (x_max - left) / pic.width)
        k_name = parts["k_name"].copy().next_to(VGroup(*k_targets), UP, buff=0.12)
        # the map's name on the kernel's name's line, the map under it: its zoomed value below has room
        name_y = k_name.get_y()
        centre = np.array([left + k * pic.width / 2, name_y - m_name.height / 2 - 0.15 - k * pic.height / 2, 0])
        name_x = min(centre[0], x_max - m_name.width / 2)
        total = self._sum_line(m)
        self.play(FadeOut(parts["resp"]), FadeOut(parts["r_name"]), FadeOut(parts["eq"]), FadeOut(parts["star"]),
                  FadeOut(parts["pluses"]), FadeOut(parts["arrow"]), FadeOut(parts["note"]), run_time=0.5)
        self.play(*(kernels[ch].animate.move_to(k_targets[ch]) for ch in range(self.C)),
                  *(chans[ch].animate.scale(q).move_to(thumbs[ch]) for ch in range(self.C)),
                  *(parts["names"][ch].animate.next_to(thumbs[ch], LEFT, buff=0.12) for ch in range(self.C)),
                  pic.animate.scale(k).move_to(centre), m_name.animate.move_to([name_x, name_y, 0]),
                  parts["k_name"].animate.move_to(k_name), run_time=0.9)
        self.play(*(Create(z.box) for z in zooms), run_time=0.4)
        out = PixelZoom(pic, r, c, s, s, values=m.patch_out, cell_size=_cell_for(m.patch_out, max(cz, 0.6)),
                        direction=DOWN, buff=0.3, shade="signed", color=theme.OUTPUT, font_size=_SIZE)
        arrow = Arrow([partials.get_right()[0] + 0.05, pic.get_y(), 0], [pic.get_left()[0] - 0.05, pic.get_y(), 0],
                      buff=0.1, stroke_color=theme.MUTED, stroke_width=4, max_tip_length_to_length_ratio=0.3)
        self.play(*(Create(z.lines) for z in zooms), *(FadeIn(z.grid) for z in zooms), FadeIn(stars), run_time=0.9)
        n = (s + F - 1) ** 2
        self.beat(note=f"Zoom in at {notation.row_col(r, c)}: {n} numbers of each channel under the kernel's window.",
                  hold=0.8)
        self.play(FadeIn(eqs), FadeIn(partials), FadeIn(pluses), run_time=0.8)
        sums = ", ".join(fmt_num(p[0, 0]) for p in m.patch_partials)
        self.beat(note=f"Each channel is multiplied by its kernel slice and summed: {sums}.", hold=0.8)
        self.play(GrowArrow(arrow), Create(out.box), Create(out.lines), FadeIn(out.grid), FadeIn(total),
                  run_time=1.0)
        self.beat(note=f"The map's value is the sum over the channels: {fmt_num(m.patch_out[0, 0])}. "
                       f"One kernel, {self.C} channels, one number per position.", hold=2.0)
        parts.update(zooms=zooms, partials=partials, star=stars, eq=eqs, pluses=pluses, arrow=arrow, out=out,
                     total=total)
        return parts

    def _sum_line(self, m: FeatureMap) -> VGroup:
        """A caption: R + G + B = the map, for the patch's top-left value, each term in its channel's colour."""
        terms = [label(f"{' + '.join(_CHANNEL_NAMES[:self.C])}:", size=_SIZE, color=theme.HIGHLIGHT)]
        for ch, part in enumerate(m.patch_partials):
            if ch:
                terms.append(label("+", size=_SIZE))
            terms.append(label(fmt_factor(part[0, 0]), size=_SIZE, color=theme.CHANNELS[ch % 3]))
        terms += [label("=", size=_SIZE), label(fmt_num(m.patch_out[0, 0]), size=_SIZE,
                                                            color=theme.OUTPUT)]
        line = VGroup(*terms).arrange(RIGHT, buff=0.15)
        return line.to_edge(DOWN, buff=theme.EDGE_MARGIN + 0.05)

    # ------------------------------------------------------------ 4. the next kernel, on the same patch
    def next_kernel(self, d: FeatureData, m: FeatureMap, parts: dict) -> dict:
        """The next kernel on the same patch: what changes fades out, then the new values fade in (no text
        morphs into another)."""
        prev = parts.get("fmap", d.maps[0])
        old, new = [], []

        def swap(key, mob):
            old.append(parts[key])
            new.append(mob)
            parts[key] = mob

        kernels = parts["kernel"]
        if self.C == 1:
            swap("kernel", self._kernel_grid(m.kernel, kernels.cell_size).move_to(kernels))
            swap("m_name", _inside(label(f"{m.direction} edges", size=_SIZE, color=theme.OUTPUT)
                                   .move_to(parts["m_name"])))
            swap("k_name", label(f"{m.direction}-edge kernel", size=_SIZE, color=theme.KERNEL)
                 .move_to(parts["k_name"]))
        else:
            swap("kernel", VGroup(*(self._kernel_grid(m.kernel[..., ch], kernels[ch].cell_size)
                                    .move_to(kernels[ch]) for ch in range(self.C))))
        old_pic = parts["map"]
        pic = PixelImage(m.display, height=old_pic.height).move_to(old_pic)
        parts["map"] = pic
        out = parts["out"].grid
        new_out = ValueGrid(m.patch_out, cell_size=out.cell_size, shade="signed", color=theme.OUTPUT,
                            font_size=out.font_size).move_to(out)
        old.append(out)
        new.append(new_out)
        parts["out"].grid = new_out
        if self.C > 1:
            swap("partials", VGroup(*(
                ValueGrid(m.patch_partials[ch], cell_size=parts["partials"][ch].cell_size, shade="signed",
                          color=theme.OUTPUT, font_size=_SIZE).move_to(parts["partials"][ch])
                for ch in range(self.C))))
            swap("total", self._sum_line(m))
        a, b = np.abs(prev.patch_out).max(), np.abs(m.patch_out).max()
        note = caption(f"{prev.direction}: up to {fmt_int(a)} · {m.direction}: up to {fmt_int(b)}",
                       size=_SIZE, color=theme.HIGHLIGHT)
        if "cmp" in parts:
            old.append(parts["cmp"])
        if self.C == 1:
            new.append(note)
            parts["cmp"] = note
        self.play(*(FadeOut(mob) for mob in old), FadeOut(old_pic), FadeIn(pic), run_time=0.7)
        self.bring_to_front(parts["out"].box, parts["out"].lines)  # the map's frame stays above the pictures
        self.play(*(FadeIn(mob) for mob in new), run_time=0.7)
        stronger = prev.direction if a > b else m.direction
        self.beat(note=f"Same pixels, the {m.direction}-edge kernel: its values reach {fmt_int(b)} here, the "
                       f"{prev.direction} one's {fmt_int(a)}. " + (
                           f"This patch holds a {stronger} edge: each kernel detects its own feature."
                           if a != b else "Both kernels answer equally here."), hold=2.0)
        parts["fmap"] = m
        return parts

    # ------------------------------------------------------------ 5. the photo and every map
    def summary(self, d: FeatureData):
        self.play(*(FadeOut(mob) for mob in self.mobjects if mob is not self.head), run_time=0.6)
        H, W = d.image.shape[:2]
        arrays = [d.image] + [m.display for m in d.maps]
        gap = 0.5
        room = config.frame_width - 2 * theme.EDGE_MARGIN - 0.2
        # as tall as the band between the title and the caption allows, with a label above and one below
        text_h = label("Ag", size=_SIZE).height
        band = self.head.get_bottom()[1] - (-config.frame_height / 2 + theme.EDGE_MARGIN + text_h)
        h = min(band - 4 * 0.15 - 2 * text_h - 0.3,
                (room - gap * (len(arrays) - 1)) / sum(a.shape[1] / H for a in arrays))
        centre_y = (self.head.get_bottom()[1] + (-config.frame_height / 2 + theme.EDGE_MARGIN + text_h)) / 2
        pics = Group(*(PixelImage(a, height=h * a.shape[0] / H) for a in arrays)).arrange(RIGHT, buff=gap)
        pics.move_to([0, centre_y, 0])
        tops = [[d.photo, "the photo"]] + [[f"{m.direction} edges", m.direction] for m in d.maps]
        bottoms = [[core.fmt_shape(d.image.shape)]] + [
            [f"{core.fmt_shape(m.response.shape)}, white = {fmt_int(m.peak)}", f"white = {fmt_int(m.peak)}"]
            for m in d.maps]
        names, notes = VGroup(), VGroup()
        for pic, top, bottom in zip(pics, tops, bottoms):
            width = pic.width + 0.2  # neighbours' labels stay apart
            names.add(_fitting(top, width, theme.INPUT if pic is pics[0] else theme.OUTPUT)
                      .next_to(pic, UP, buff=0.15))
            notes.add(_fitting(bottom, width, theme.MUTED).next_to(pic, DOWN, buff=0.15))
        k = d.maps[0].kernel
        if self.C == 1:
            moral = "each kernel lights up where its feature is"
        else:
            moral = (f"{self.C} channels ⊛ one {core.fmt_shape(k.shape)} kernel → one "
                     f"{core.fmt_shape(d.maps[0].response.shape)} map")
        self.play(FadeIn(pics), FadeIn(names), FadeIn(notes), run_time=1.0)
        self.play(FadeIn(caption(moral, size=_SIZE, color=theme.OUTPUT)), run_time=0.6)
        maps = " and ".join(f"the {m.direction} map" for m in d.maps)
        self.beat(note=f"The photo and {maps}: the convolution acts as a feature detector, each kernel lights "
                       f"up where its own feature is. A CNN learns its kernels from the data instead of being "
                       f"given them.", hold=2.0)


def _inside(mob):
    """``mob`` moved left or right just enough to keep clear of the frame's side margins."""
    half = config.frame_width / 2 - theme.EDGE_MARGIN - 0.05
    mob.shift(RIGHT * (max(0.0, -half - mob.get_left()[0]) - max(0.0, mob.get_right()[0] - half)))
    return mob


def _fitting(candidates, width: float, color: str):
    """The first of ``candidates`` that fits ``width`` at the scene's size (else the last, which must)."""
    for text in candidates:
        t = label(text, size=_SIZE, color=color)
        if t.width <= width:
            return t
    return t


class FeatureDetectionGray(_FeatureDetection, CnnvizScene):
    data = staticmethod(feature_data)


class FeatureDetectionRGB(_FeatureDetection, CnnvizScene):
    data = staticmethod(feature_data_rgb)
