"""A GIF writer that gives each frame its own colours: ``--gif-colors per-frame``.

:class:`~cnnviz.engine.gifenc.GifWriter` maps every frame to one palette of 255 colours
chosen for the whole scene. That keeps diagrams exact and files small, but a photo fading in
over a dark background needs thousands of colours across its frames, and one shared table
leaves it at about 39 dB PSNR. This writer keeps the picture on screen in full colour
(RGB) and, for each frame, writes only the pixels that are still *wrong* on screen:

* a pixel is wrong when its squared RGB error on screen exceeds the tolerance; the others stay
  (the transparent index), so a frame costs only what changed. While the picture moves the
  tolerance is ``tolerance``, and once it is held (a frame equal to the one before)
  ``hold_tolerance`` (6: for example off by 1, 1 and 2): a moving frame is soon replaced, a
  held one is looked at;
* if the scene's shared palette (the file's global table) holds every wrong pixel within the
  tolerance, the frame uses it; if the wrong pixels have at most 255 colours, they become the
  frame's own table, exactly; otherwise the frame gets a **local colour table** of 255 colours
  made for its wrong pixels (Pillow's median cut on a sample, then ``lloyd`` k-means steps),
  each pixel taking its nearest colour;
* a pixel keeps what is on screen when that is closer than its nearest new colour, and while
  a picture is held each repeated frame mends what is still wrong, down to ``hold_tolerance``;
* a stretch of pixels left as they are (in scan order) takes the index of the pixel before or
  after it when that colour is no further from the frame, pixel for pixel, than what is on
  screen (:func:`~cnnviz.engine.gifenc._fill_runs`): fewer runs for LZW, and never a worse
  picture. Each image is encoded both ways and the smaller is written.

Each frame is one GIF image, so timing works as in :class:`GifWriter`: frames start at their
ideal time rounded to the centisecond, and a frame closer than ``min_delay_cs`` to the one on
screen (browsers show shorter delays as 10 cs) is folded into the next one when it is that
short itself (at 60 fps, one frame in three, as the shared palette does), else waits until the
one on screen has shown for ``min_delay_cs``.

The writer measures what it wrote as it goes (:attr:`LocalTableGifWriter.psnr_db`: each frame
given against the picture on screen at its start; :attr:`~LocalTableGifWriter.colour_psnr_db`:
the same without the frames a 60 fps scene shows late), so ``--gif-colors per-frame`` writes a
scene with the most lenient moving tolerance that keeps its colours at :data:`PER_FRAME_DB`: first
:data:`FIRST_TOLERANCE`, then, if the scene fell short, tolerances guessed from the shortfall, a
lenient one and a careful one (:func:`retry_tolerances`), then :data:`HOLD_TOLERANCE`
(``worker.video_to_gif``). Figures:
``benchmarks/gif_colors.py`` and the README's "GIF colours".
Opaque GIFs only (``--transparent`` keeps the shared palette).
"""

from __future__ import annotations

import math
import os
import struct
from fractions import Fraction
from typing import BinaryIO

import numpy as np
from PIL import Image

from cnnviz.engine.gifenc import (
    Box,
    GifPalette,
    GifWriter,
    _bbox,
    _fill_runs,
    _pack_rgb,
    _round_half_up,
    _sl,
    _smaller_image,
)

__all__ = ["FIRST_TOLERANCE", "PER_FRAME_DB", "LocalTableGifWriter", "retry_tolerances"]

#: what ``--gif-colors per-frame`` keeps a scene at, at least (PSNR against its lossless frames)
PER_FRAME_DB = 50.0
#: the moving frames' tolerance tried first (the fewest bytes); a scene short of PER_FRAME_DB is
#: written again with :func:`retry_tolerances`
FIRST_TOLERANCE = 100
#: the tolerance of held pictures, and the last one tried for moving frames
HOLD_TOLERANCE = 6


#: dB per halving of the moving tolerance, as the two retries count them: the first (lenient) and
#: the second (careful). Measured from 100 on the photo scenes at 720p30: 1.5 to 3.6 dB per
#: halving (FeatureDetectionRGB 48.3 dB at 100, 50.1 at 50, 50.6 at 40, 50.9 at 30;
#: FeatureDetectionGray 49.1 at 100, 50.2 at 80, 51.4 at 65, 51.7 at 50)
DB_PER_HALVING = (1.5, 1.0)


def retry_tolerances(psnr_db: float, tolerance: int = FIRST_TOLERANCE, target_db: float = PER_FRAME_DB) -> list[int]:
    """The moving tolerances to try, in order, after ``tolerance`` gave ``psnr_db`` < ``target_db``.

    A lenient guess (1.5 dB per halving: the fewest bytes that likely keep the target), then a
    careful one (1 dB per halving, at least one halving), then HOLD_TOLERANCE; each below the one
    before. FeatureDetectionRGB: 48.3 dB at 100, so 45 (50.4 dB), 30, 6; FeatureDetectionGray:
    49.1 dB at 100, so 67 (51.3 dB), 50, 6. Empty when nothing is short, or nothing is lower."""
    short = target_db - psnr_db
    if short <= 0:
        return []
    tries: list[int] = []
    for i, per_halving in enumerate(DB_PER_HALVING):
        guess = int(tolerance / 2 ** max(short / per_halving, float(i)))
        if HOLD_TOLERANCE < guess < (tries[-1] if tries else tolerance):
            tries.append(guess)
    return [*tries, HOLD_TOLERANCE] if HOLD_TOLERANCE < tolerance else tries


def _sq_error(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Squared RGB distance of two (..., 3) uint8 arrays, as int32."""
    d = a.astype(np.int32) - b
    return np.einsum("...k,...k->...", d, d)


def _unpack(packed: np.ndarray) -> np.ndarray:
    return np.stack([(packed >> 16) & 255, (packed >> 8) & 255, packed & 255], axis=1).astype(np.uint8)


def _median_cut(colors: np.ndarray, n: int) -> np.ndarray:
    """Pillow's median cut of (N, 3) uint8 colours to at most ``n`` colours (no dithering)."""
    width = 1024
    pad = (-len(colors)) % width
    montage = np.concatenate([colors, np.repeat(colors[-1:], pad, axis=0)]) if pad else colors
    quant = Image.fromarray(montage.reshape(-1, width, 3), "RGB").quantize(
        colors=n, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    used = len(quant.getcolors(n + 1) or [])
    return np.frombuffer(bytes(quant.getpalette()[: 3 * max(used, 1)]), dtype=np.uint8).reshape(-1, 3)


def local_table(colors: np.ndarray, *, n: int = 255, lloyd: int = 3, sample: int = 65536,
                seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A table of at most ``n`` colours for the (N, 3) uint8 ``colors``, and each colour's index in it.

    At most ``n`` distinct colours: the table is exactly those. Otherwise median cut on a sample
    of ``sample`` colours, then ``lloyd`` k-means steps on all of them; every colour takes its
    nearest table entry (squared RGB distance).
    """
    from scipy.spatial import cKDTree  # a dependency of Manim

    uniq, inverse = np.unique(_pack_rgb(colors), return_inverse=True)
    inverse = inverse.reshape(-1)
    if len(uniq) <= n:
        return _unpack(uniq), inverse
    ucols = _unpack(uniq)
    pick = colors
    if len(colors) > sample:
        pick = colors[np.random.default_rng(seed).choice(len(colors), sample, replace=False)]
    table = _median_cut(pick, n).astype(np.float64)
    _, nearest = cKDTree(table).query(ucols)
    for _ in range(lloyd):
        idx = nearest[inverse]
        count = np.bincount(idx, minlength=len(table))
        sums = np.stack([np.bincount(idx, colors[:, k], minlength=len(table)) for k in range(3)], axis=1)
        used = count > 0
        table[used] = np.clip(np.round(sums[used] / count[used, None]), 0, 255)
        _, nearest = cKDTree(table).query(ucols)
    return table.astype(np.uint8), nearest[inverse]


class LocalTableGifWriter(GifWriter):
    """Write an opaque animated GIF frame by frame, each frame with the colours it needs.

    The interface is :class:`~cnnviz.engine.gifenc.GifWriter`'s (``add_frame``, ``close``,
    ``abort``, the statistics, and ``local_tables``: how many frames carry their own table),
    without ``transparent``. ``palette`` becomes the file's global table, used by every frame it
    serves within ``tolerance``. Memory: the picture on screen (RGB) and one encoded frame
    waiting for its delay.
    """

    def __init__(self, target: str | os.PathLike | BinaryIO, width: int, height: int, palette: GifPalette, *,
                 tolerance: int = 24, hold_tolerance: int = HOLD_TOLERANCE, lloyd: int = 3, **options):
        """``options``: ``loop``, ``min_delay_cs``, ``comment``, as for :class:`GifWriter`."""
        if options.get("transparent"):
            raise ValueError("LocalTableGifWriter writes opaque GIFs: use GifWriter for transparency")
        super().__init__(target, width, height, palette, **options)
        self._base = None  # GifWriter's screen of palette indices: this writer keeps RGB instead
        self.moving_tolerance, self.hold_tolerance = int(tolerance), int(hold_tolerance)
        self.tolerance = self.moving_tolerance  # this frame's: _step sets it
        self._given: np.ndarray | None = None  # the last frame given (RGB), to tell a held picture
        self.lloyd = int(lloyd)
        self._shown: np.ndarray | None = None  # (H, W, 3): the picture on screen after the last image
        self._encoded: tuple[bytes, int] | None = None  # an encoded image (no delay yet), its start in cs
        self._late: np.ndarray | None = None  # a frame folded away that no later frame has replaced yet
        self.local_tables = 0
        # the error of what is shown, frame by frame: each frame given against the picture on
        # screen at its start (the GIF's own, measured while writing it: see psnr_db)
        self._err_before = self._err_after = 0  # of the last image: squared RGB error summed, before / after
        self._sq_sum = 0.0  # sum over the frames given of their mean squared error per channel
        self._last_sq = 0.0
        self._measured = 0
        self._colour_sq_sum = 0.0  # the same, each frame against its own image (timing left out)
        self._colour_measured = 0

    @property
    def psnr_db(self) -> float:
        """PSNR of the GIF against the frames given, frame by frame in time: each frame against the
        picture on screen at its start (its start rounded to the centisecond, as the delays are).
        ``inf`` when every frame is shown exactly."""
        if self._sq_sum == 0:
            return math.inf
        return 10 * math.log10(255.0**2 * self._measured / self._sq_sum)

    @property
    def colour_psnr_db(self) -> float:
        """The colours' share of :attr:`psnr_db`: each frame against the picture its own image
        leaves on screen, frames folded away left out. The same at 30 fps and below; at 60 fps a
        frame that waits for the 2 cs minimum shows late whatever its colours, which psnr_db
        counts and this does not (``--gif-colors per-frame`` chooses its tolerance on this)."""
        if self._colour_sq_sum == 0:
            return math.inf
        return 10 * math.log10(255.0**2 * self._colour_measured / self._colour_sq_sum)

    def _count(self, err_sum: int, own: int | None) -> None:
        """Count a frame: ``err_sum`` at its start, ``own`` after its own image (None: folded)."""
        self._sq_sum += err_sum / (3 * self.width * self.height)
        self._measured += 1
        if own is not None:
            self._last_sq = own / (3 * self.width * self.height)
            self._colour_sq_sum += self._last_sq
            self._colour_measured += 1

    def add_frame(self, pixels: np.ndarray, duration: float | Fraction, *, repeat: int = 1,
                  changed: Box | None = None) -> None:
        super().add_frame(pixels, duration, repeat=repeat, changed=changed)
        merged = self.frames_in - self._measured  # repeats that would write nothing: shown as the last
        self._sq_sum += merged * self._last_sq
        self._measured += merged
        self._colour_sq_sum += merged * self._last_sq
        self._colour_measured += merged

    # -- one image -------------------------------------------------------------------------
    def _image(self, pixels: np.ndarray) -> bytes | None:
        """Encode the pixels still wrong on screen (all of them for the first image); update the screen."""
        first = self._shown is None
        if first:
            self._shown = np.zeros((self.height, self.width, 3), np.uint8)
        target, screen = pixels, self._shown
        keep_err = _sq_error(target, screen)
        self._err_before = self._err_after = int(keep_err.sum(dtype=np.int64))
        wrong = np.ones(keep_err.shape, bool) if first else keep_err > self.tolerance
        box = _bbox(wrong)
        if box is None:
            return None
        bys, bxs = _sl(box)
        wrong = wrong[bys, bxs]
        wanted = target[bys, bxs][wrong]
        idx = self.palette.map(wanted.reshape(-1, 1, 3)).reshape(-1)
        new = self.palette.colors[idx]
        new_err = _sq_error(wanted, new)
        if (new_err <= self.tolerance).all():  # the scene's palette serves them
            table, T = None, self.palette.transparent_index
        else:
            table, idx = local_table(wanted, lloyd=self.lloyd, seed=self.frames_written)
            T, new = len(table), table[idx]
            new_err = _sq_error(wanted, new)
        old = keep_err[bys, bxs][wrong]
        use = np.ones(len(idx), bool) if first else new_err < old
        if not use.any():
            return None
        out = np.full(wrong.shape, T, np.uint8)
        out[wrong] = np.where(use, idx, T)
        colours = self.palette.colors if table is None else table
        region, before = target[bys, bxs], keep_err[bys, bxs]
        candidates = [out]
        if not first:  # stretches left as they are, filled where the neighbour's colour is no worse
            flat_region, flat_before = region.reshape(-1, 3), before.reshape(-1)
            filled = _fill_runs(out, T, fits=lambda pos, k: _sq_error(flat_region[pos], colours[k]) <= flat_before[pos],
                                least=0)  # however few: a second encoding is cheap beside the colour table
            if filled is not out:
                candidates.append(filled)
        placed = []
        for c in candidates:
            tight = _bbox(c != T)
            assert tight is not None
            placed.append((c[tight[1]:tight[3], tight[0]:tight[2]], box[0] + tight[0], box[1] + tight[1]))
        chosen, chunks = _smaller_image(placed)
        written = candidates[chosen] != T
        patch = screen[bys, bxs]
        patch[written] = colours[candidates[chosen][written]]
        self._err_after -= int(before[written].sum(dtype=np.int64)
                               - _sq_error(region[written], patch[written]).sum(dtype=np.int64))
        if table is not None:  # the image descriptor (first chunk) gains a local colour table
            bits = max(1, math.ceil(math.log2(len(table) + 1)))
            descriptor = bytearray(chunks[0])
            descriptor[-1] |= 0x80 | (bits - 1)
            padded = np.zeros((1 << bits, 3), np.uint8)
            padded[: len(table)] = table
            chunks = [bytes(descriptor), padded.tobytes(), *chunks[1:]]
            self.local_tables += 1
        gce = struct.pack("<B", T)  # the transparent index, written with the delay in _emit
        return gce + b"".join(chunks)

    def _emit(self, end: int) -> None:
        """Write the image waiting for its delay, shown until ``end`` cs."""
        if self._encoded is None:
            return
        block, start = self._encoded
        delay = max(end - start, 1)
        first = min(delay, 0xFFFF)
        self._fp.write(b"!\xf9\x04" + struct.pack("<BHB", (1 << 2) | 1, first, block[0]) + b"\x00")
        self._fp.write(block[1:])
        self.frames_written += 1
        self.total_cs += first
        if delay > first:  # a delay above 655 s: held by transparent 1×1 images
            self._write_frame(np.full((1, 1), self.T, np.uint8), 0, 0, delay - first, 1)
        self._encoded = None

    # -- frames ----------------------------------------------------------------------------
    def _step(self, pixels: np.ndarray, duration: Fraction, changed: Box | None) -> bool:
        """Add one frame (``add_frame`` calls it once per repeat); False when it wrote nothing.

        ``changed`` is not used: every frame is compared with the screen everywhere, so a pixel an
        earlier frame left off by more than the tolerance is mended as soon as a table can, and
        while a picture is held each repeat mends what is still wrong (FeatureDetectionRGB: +0.5 dB
        against looking only inside ``changed``, in about the same time)."""
        pixels = pixels[..., :3]
        held = self._given is not None and np.array_equal(pixels, self._given)  # _given is a copy: compare
        if not held:
            self._given = pixels.copy()
        self.tolerance = self.hold_tolerance if held else self.moving_tolerance
        start = nominal = _round_half_up(self._t * 100)
        self._t += duration
        end = _round_half_up(self._t * 100)
        self.frames_in += 1
        if self._encoded is not None and start - self._encoded[1] < self.min_delay_cs:
            # The frame on screen has not shown long enough. A frame as short as that is folded into
            # the next one (delaying it would delay the next, and so on: at 60 fps every frame would
            # show late); a longer one waits until the frame on screen has shown min_delay_cs, or is
            # folded too when that leaves it no time.
            waited = self._encoded[1] + self.min_delay_cs
            if end - start <= self.min_delay_cs or waited >= end:  # the next frame (or close) shows it
                self.frames_folded += 1
                self._late = self._given  # this frame's pixels (never changed in place: replaced)
                self._count(int(_sq_error(pixels, self._shown).sum(dtype=np.int64)), None)  # it shows the last picture
                return True
            start = waited
        block = self._image(pixels)
        self._count(self._err_before if start != nominal else self._err_after, self._err_after)  # delayed: the last picture shows at its start
        self._late = None
        if block is None:
            self.frames_merged += 1
            return False
        self._emit(start)
        self._encoded = (block, start)
        return True

    def close(self) -> None:
        """Write the last frame and the trailer (closes the file if the writer opened it)."""
        if self._closed:
            return
        self._closed = True
        try:
            end = _round_half_up(self._t * 100)
            if self._late is not None and self._encoded is not None:
                start = self._encoded[1] + self.min_delay_cs
                block = self._image(self._late)
                if block is not None:
                    self._emit(start)
                    self._encoded = (block, start)
            if self._encoded is not None:
                self._emit(max(end, self._encoded[1] + self.min_delay_cs))
            self._fp.write(b";")
            self._fp.flush()
        finally:
            self._shown = self._late = self._given = None
            if self._own:
                self._fp.close()
