"""Digits 0–9 made offline, MNIST-like: the data the course's two networks are trained on.

Nothing is downloaded. Every image is 28×28 uint8 (0 background, up to 255 ink)
made the way MNIST's were normalised, like :func:`cnnviz.images.digit`: the
glyph fits a 20×20 box and its centre of mass sits at the image's centre. The
glyphs come from four *styles*, all available on a fresh machine:

==========  ===================================================================
``stix``    STIX Two Math, the font shipped inside ziamath (serif digits)
``dejavu``  DejaVu Sans, the font shipped inside ziafont (ziamath's dependency)
``aileron`` Pillow's built-in default font (Aileron Regular)
``strokes`` handwriting-like pen strokes: a template per digit (two for 1, 4,
            7 and 9, written two ways), every control point jittered, pen width
            and slant drawn at random
==========  ===================================================================

Each sample then gets its own random rotation (±15°), slant (shear ±0.3),
scale (0.8–1.05) and aspect (0.85–1.15), ink thickness, shift (±2 pixels)
and, for half of them, Gaussian noise: see :data:`AUGMENT`. The transform is
applied to a glyph drawn at twice the resolution, sampled bilinearly and
averaged down (anti-aliased), all in NumPy.

Everything is deterministic: the same ``n``, ``seed`` and styles give the same
pixels (with the same Pillow/FreeType build, which draws the font glyphs).
Different seeds give different samples: the held-out digits of the tests are
made with other seeds than the training data.

>>> d = make_digits(100, seed=1)
>>> d.images.shape, d.images.dtype, d.labels.shape
((100, 28, 28), dtype('uint8'), (100,))
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple, Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

__all__ = ["AUGMENT", "STYLES", "DigitSet", "make_digits", "style_glyphs"]

STYLES = ("stix", "dejavu", "aileron", "strokes")

#: The random augmentation of every sample: uniform ranges (``noise``: the
#: standard deviation of the Gaussian noise, on a 0..1 scale, given to half the samples).
AUGMENT = {
    "rotation_deg": (-15.0, 15.0),
    "shear": (-0.3, 0.3),
    "scale": (0.8, 1.05),
    "aspect": (0.85, 1.15),
    "thickness": (-1.0, 1.0),   # ink thickness: −1 thinnest … +1 thickest (see _bank)
    "shift_px": (-2.0, 2.0),
    "noise": (0.0, 0.12),
}

SIZE = 28        # the image, pixels
BOX = 20         # the box the glyph fits, pixels
SUPER = 2        # glyphs are transformed at SUPER × the resolution, then averaged down
_HI = 96         # the height glyphs are first drawn at (pixels)
_STROKE_INSTANCES = 40   # jittered stroke drawings per digit and seed


class DigitSet(NamedTuple):
    """A set of digits: ``images`` (N, 28, 28) uint8, ``labels`` (N,) int64 in 0..9, and each
    image's style as an index into ``styles``."""

    images: np.ndarray
    labels: np.ndarray
    style: np.ndarray
    styles: tuple[str, ...]


# ---------------------------------------------------------------- glyphs
def _font(style: str, size: int) -> ImageFont.FreeTypeFont:
    if style == "aileron":
        return ImageFont.load_default(size)
    # the fonts ship inside these pip packages (ziamath needs ziafont): found, not imported
    package, name = {"stix": ("ziamath", "STIXTwoMath-Regular.ttf"), "dejavu": ("ziafont", "DejaVuSans.ttf")}[style]
    folder = importlib.util.find_spec(package).submodule_search_locations[0]
    return ImageFont.truetype(str(Path(folder) / "fonts" / name), size)


def _normalised(ink: np.ndarray) -> np.ndarray:
    """A drawn glyph (float, 0..1) in the MNIST box at SUPER × the resolution: the ink's bounding
    box scaled to fit BOX·SUPER (aspect kept, box filter), placed in SIZE·SUPER by centre of mass."""
    ys, xs = np.nonzero(ink > 0.02)
    crop = Image.fromarray(np.round(ink[ys.min():ys.max() + 1, xs.min():xs.max() + 1] * 255).astype(np.uint8))
    scale = BOX * SUPER / max(crop.size)
    crop = crop.resize((max(1, round(crop.size[0] * scale)), max(1, round(crop.size[1] * scale))),
                       Image.Resampling.BOX)
    glyph = np.asarray(crop, dtype=np.float64) / 255
    gy, gx = np.indices(glyph.shape)
    cy, cx = (gy * glyph).sum() / glyph.sum(), (gx * glyph).sum() / glyph.sum()
    n = SIZE * SUPER
    top = int(np.clip(round((n - 1) / 2 - cy), 0, n - glyph.shape[0]))
    left = int(np.clip(round((n - 1) / 2 - cx), 0, n - glyph.shape[1]))
    out = np.zeros((n, n))
    out[top:top + glyph.shape[0], left:left + glyph.shape[1]] = glyph
    return out


@lru_cache(maxsize=None)
def _font_glyph(style: str, digit: int) -> np.ndarray:
    """Digit ``digit`` of a font, drawn large and normalised (read-only)."""
    font = _font(style, _HI)
    canvas = Image.new("L", (2 * _HI, 2 * _HI), 0)
    ImageDraw.Draw(canvas).text((_HI // 2, _HI // 4), str(digit), fill=255, font=font)
    out = _normalised(np.asarray(canvas, dtype=np.float64) / 255)
    out.flags.writeable = False
    return out


#: Pen strokes of each digit in a unit box (x right, y down): polylines given as
#: ("line", x0, y0, x1, y1, …) or ("arc", cx, cy, rx, ry, from_deg, to_deg) with
#: angles clockwise from 3 o'clock (y points down). Several templates: written two ways.
_TEMPLATES: dict[int, tuple[tuple[tuple, ...], ...]] = {
    0: ((("arc", .5, .5, .3, .45, -90, 270),),),
    1: ((("line", .55, .05, .48, .95),),
        (("line", .38, .2, .58, .05, .5, .95),)),
    2: ((("arc", .5, .3, .3, .25, 190, 390), ("line", .76, .43, .15, .95, .88, .95)),),
    3: ((("arc", .48, .27, .27, .22, 200, 450), ("arc", .48, .71, .3, .24, 270, 520)),),
    4: ((("line", .66, .95, .66, .05, .12, .66, .9, .66),),
        (("line", .25, .05, .15, .58, .88, .58), ("line", .66, .3, .66, .95))),
    5: ((("line", .8, .05, .3, .06, .25, .45), ("arc", .48, .67, .3, .27, 220, 500)),),
    6: ((("arc", .72, .62, .52, .57, 258, 175), ("arc", .48, .7, .28, .24, 0, 360)),),
    7: ((("line", .15, .06, .85, .05, .4, .95),),
        (("line", .15, .06, .85, .05, .42, .95), ("line", .38, .5, .78, .5))),
    8: ((("arc", .5, .27, .24, .21, 0, 360), ("arc", .5, .71, .3, .24, 0, 360)),),
    9: ((("arc", .5, .3, .3, .25, 0, 360), ("line", .8, .3, .7, .95)),
        (("arc", .5, .3, .3, .25, 0, 360), ("arc", .3, .3, .5, .62, 0, 80))),
}


def _points(stroke: tuple, jitter) -> list[tuple[float, float]]:
    """The points of one stroke, each control number moved by ``jitter(scale)``."""
    if stroke[0] == "line":
        return [(x + jitter(.04), y + jitter(.04)) for x, y in zip(stroke[1::2], stroke[2::2])]
    _, cx, cy, rx, ry, a0, a1 = stroke
    cx, cy, rx, ry = cx + jitter(.03), cy + jitter(.03), rx * (1 + jitter(.1)), ry * (1 + jitter(.1))
    angles = np.radians(np.linspace(a0 + jitter(12), a1 + jitter(12), 24))
    return list(zip((cx + rx * np.cos(angles)).tolist(), (cy + ry * np.sin(angles)).tolist()))


def pen_strokes(digit: int) -> list[list[tuple[float, float]]]:
    """The pen strokes of ``digit``'s first template, unjittered: each a list of (x, y) points in a
    0..1 box (x right, y down). :func:`cnnviz.images.digit` draws the course's digits from these."""
    if isinstance(digit, bool) or digit not in _TEMPLATES:
        raise ValueError(f"no strokes for digit {digit!r}: choose one of 0–9")
    return [_points(stroke, lambda s: 0.0) for stroke in _TEMPLATES[digit][0]]


def _stroke_glyph(digit: int, rng: np.random.Generator) -> np.ndarray:
    """One jittered pen drawing of ``digit``, normalised."""
    templates = _TEMPLATES[digit]
    strokes = templates[int(rng.integers(len(templates)))]
    jitter = lambda s: float(rng.normal(0.0, s))  # noqa: E731
    slant = float(rng.uniform(-0.15, 0.35))     # the top leans right, as handwriting does
    width = float(rng.uniform(0.07, 0.15)) * _HI
    pad = _HI * 0.25
    canvas = Image.new("L", (int(_HI * 1.5), int(_HI * 1.5)), 0)
    draw = ImageDraw.Draw(canvas)
    for stroke in strokes:
        pts = [(pad + (x + slant * (0.5 - y)) * _HI, pad + y * _HI) for x, y in _points(stroke, jitter)]
        draw.line(pts, fill=255, width=max(1, round(width)), joint="curve")
        r = width / 2
        for px, py in (pts[0], pts[-1]):  # round pen ends
            draw.ellipse([px - r, py - r, px + r, py + r], fill=255)
    return _normalised(np.asarray(canvas, dtype=np.float64) / 255)


def style_glyphs(style: str, digit: int, seed: int = 0) -> np.ndarray:
    """The normalised glyphs (before augmentation) a style draws for ``digit``:
    ``(k, 56, 56)`` floats in 0..1 — one per font, ``_STROKE_INSTANCES`` pen drawings."""
    if style not in STYLES:
        raise ValueError(f"unknown digit style {style!r}: choose from {', '.join(STYLES)}")
    if style != "strokes":
        return _font_glyph(style, digit)[None]
    return _stroke_glyphs(digit, seed)


@lru_cache(maxsize=40)
def _stroke_glyphs(digit: int, seed: int) -> np.ndarray:
    """The ``_STROKE_INSTANCES`` pen drawings of ``digit`` for ``seed`` (read-only, kept for reuse)."""
    rng = np.random.default_rng([seed, digit])
    out = np.stack([_stroke_glyph(digit, rng) for _ in range(_STROKE_INSTANCES)])
    out.flags.writeable = False
    return out


# ---------------------------------------------------------------- augmentation
def _smooth(g: np.ndarray) -> np.ndarray:
    """The mean of each 2×2 block of pixels, at every position: sampling it at an output pixel's
    centre averages the SUPER×SUPER (2×2) glyph pixels under it (the anti-aliasing)."""
    p = np.pad(g, ((0, 0), (0, 1), (0, 1)))
    return (p[:, :-1, :-1] + p[:, 1:, :-1] + p[:, :-1, 1:] + p[:, 1:, 1:]) / 4


class _Bank(NamedTuple):
    """Every glyph of some styles, smoothed (:func:`_smooth`) and padded for sampling, in three
    versions: as drawn, thinnest and thickest; with where each (style, digit)'s glyphs start."""

    glyphs: np.ndarray    # (3, G, n + 3, n + 3): as drawn, thin, thick
    start: np.ndarray     # (len(styles), 10)
    count: np.ndarray     # (len(styles), 10)


def _bank(styles: tuple[str, ...], seed: int) -> _Bank:
    """The glyphs of ``styles`` (see :class:`_Bank`). The thickness variants are a 3×3 min (max)
    filter at SUPER × the resolution: about one pixel less (more) ink on each side, at 2×."""
    parts = [[style_glyphs(s, d, seed) for d in range(10)] for s in styles]
    count = np.array([[len(g) for g in row] for row in parts])
    start = (np.cumsum(count.reshape(-1)) - count.reshape(-1)).reshape(count.shape)
    glyphs = np.concatenate([g for row in parts for g in row])
    n = glyphs.shape[1]
    p = np.pad(glyphs, ((0, 0), (1, 1), (1, 1)))
    shifted = [p[:, a:a + n, b:b + n] for a in range(3) for b in range(3)]
    versions = np.stack([glyphs, np.minimum.reduce(shifted), np.maximum.reduce(shifted)])
    smoothed = _smooth(versions.reshape(-1, n, n)).reshape(versions.shape)
    return _Bank(np.pad(smoothed, ((0, 0), (0, 0), (1, 2), (1, 2))), start, count)


def _warp(bank: _Bank, which: np.ndarray, params: dict[str, np.ndarray]) -> np.ndarray:
    """Glyphs ``which`` of the bank, each under its own thickness and affine map about the centre
    (rotation · shear · scale, then the shift): output pixel (r, c) reads the smoothed glyph
    bilinearly at A⁻¹(u − centre − shift) + centre, u its centre at SUPER × the resolution."""
    N = len(which)
    n = bank.glyphs.shape[2] - 3
    t = np.radians(params["rotation_deg"])
    sx, sy = params["scale"] * params["aspect"], params["scale"]
    k = params["shear"]
    cos, sin = np.cos(t), np.sin(t)
    a11, a12 = cos * sx, (cos * k - sin) * sy
    a21, a22 = sin * sx, (sin * k + cos) * sy
    det = a11 * a22 - a12 * a21
    c = (n - 1) / 2
    grid = np.arange(SIZE) * SUPER + (SUPER - 1) / 2  # output pixel centres at SUPER × the resolution
    ux = np.tile(grid, SIZE)[None, :] - c - (params["shift_px"][:, 0] * SUPER)[:, None]
    uy = np.repeat(grid, SIZE)[None, :] - c - (params["shift_px"][:, 1] * SUPER)[:, None]
    # the smoothed glyph's entry (i, j) is centred at (i + ½, j + ½): that is ½ less as an index;
    # +1 for the padding (zeros around: outside the glyph is background)
    vx = np.clip((a22[:, None] * ux - a12[:, None] * uy) / det[:, None] + c - (SUPER - 1) / 2 + 1, 0, n + 1)
    vy = np.clip((-a21[:, None] * ux + a11[:, None] * uy) / det[:, None] + c - (SUPER - 1) / 2 + 1, 0, n + 1)
    x0 = np.floor(vx).astype(np.int64)
    y0 = np.floor(vy).astype(np.int64)
    fx, fy = vx - x0, vy - y0
    w = n + 3
    flat = bank.glyphs.reshape(3, -1)
    at = (which * w * w)[:, None] + y0 * w + x0

    def sample(version: np.ndarray) -> np.ndarray:
        top = (1 - fx) * version[at] + fx * version[at + 1]
        bottom = (1 - fx) * version[at + w] + fx * version[at + w + 1]
        return (1 - fy) * top + fy * bottom

    a = params["thickness"][:, None]
    drawn = sample(flat[0])
    other = np.where(a > 0, sample(flat[2]), sample(flat[1]))  # thicker or thinner ink, blended by |a|
    return (drawn + np.abs(a) * (other - drawn)).reshape(N, SIZE, SIZE)


def _draw(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Augmentation parameters of ``n`` samples (see :data:`AUGMENT`)."""
    params = {name: rng.uniform(lo, hi, size=(n, 2) if name == "shift_px" else n)
              for name, (lo, hi) in AUGMENT.items()}
    params["noise"] = params["noise"] * (rng.random(n) < 0.5)
    return params


def make_digits(n: int, seed: int = 0, styles: Sequence[str] = STYLES) -> DigitSet:
    """``n`` augmented 28×28 digits, labels balanced over 0–9 and shuffled, styles taken in turn.

    ``seed`` decides everything: which glyph, its pen drawing (``strokes``), its
    augmentation, the noise. ``styles``: a subset of :data:`STYLES` (e.g. a font
    held out of training).
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"the number of digits n must be a positive integer, got {n!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"the seed must be an integer >= 0, got {seed!r}")
    styles = tuple(styles)
    if not styles or any(s not in STYLES for s in styles):
        raise ValueError(f"styles must be a non-empty selection of {', '.join(STYLES)}, got {styles!r}")
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n) % 10)
    style = rng.permutation(np.arange(n) % len(styles))
    bank = _bank(styles, seed)
    which = bank.start[style, labels] + (rng.random(n) * bank.count[style, labels]).astype(np.int64)
    params = _draw(rng, n)
    images = np.empty((n, SIZE, SIZE), dtype=np.uint8)
    for lo in range(0, n, 1024):  # in chunks: the sampling grids of 1024 glyphs at a time
        part = {k: v[lo:lo + 1024] for k, v in params.items()}
        x = _warp(bank, which[lo:lo + 1024], part)
        x = x + part["noise"][:, None, None] * rng.standard_normal(x.shape)
        images[lo:lo + 1024] = np.round(np.clip(x, 0.0, 1.0) * 255).astype(np.uint8)
    return DigitSet(images, labels.astype(np.int64), style.astype(np.int64), styles)
