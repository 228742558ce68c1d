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
from collections.abc import Sequence
from fractions import Fraction
from typing import BinaryIO

import numpy as np
from PIL import Image

from cnnviz.engine.gifenc import (
    Box,
    GifPalette,
    GifWriter,
    _bbox,
    _changed_boxes,
    _fill_runs,
    _pack_rgb,
    _round_half_up,
    _shift,
    _sl,
    _smaller_image,
    _sq_error,
    _union,
    _unpack,
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

    uniq, inverse, counts = np.unique(_pack_rgb(colors), return_inverse=True, return_counts=True)
    inverse = inverse.reshape(-1)
    if len(uniq) <= n:
        return _unpack(uniq), inverse
    ucols = _unpack(uniq)
    pick = colors
    if len(colors) > sample:
        pick = colors[np.random.default_rng(seed).choice(len(colors), sample, replace=False)]
    table = _median_cut(pick, n).astype(np.float64)
    _, nearest = cKDTree(table).query(ucols)
    weighted = ucols * counts[:, None].astype(np.float64)  # each distinct colour times its count
    for _ in range(lloyd):  # the mean of the colours nearest each entry, as sums over the distinct colours
        count = np.bincount(nearest, counts, minlength=len(table))
        sums = np.stack([np.bincount(nearest, weighted[:, k], minlength=len(table)) for k in range(3)], axis=1)
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
        self.lloyd = int(lloyd)
        # The last frame given (RGB, updated in place), the picture on screen after the last image,
        # and the squared RGB error between them, pixel by pixel (int32) and summed. They are kept up
        # to date inside each frame's changed rectangle only; outside ``_dirty`` no pixel is off by
        # more than the lowest tolerance, so a frame is searched for wrong pixels in
        # ``_dirty`` alone (FeatureDetectionRGB: 2.8 of 17.6 s went to comparing whole frames).
        self._given: np.ndarray | None = None
        self._shown: np.ndarray | None = None
        self._err: np.ndarray | None = None
        self._err_total = 0
        self._dirty: Box | None = None
        self._fresh = True  # no image written yet: the first writes every pixel
        self._repeating: np.ndarray | None = None  # the frame add_frame is repeating (the same array)
        self._encoded: tuple[bytes, int] | None = None  # an encoded image (no delay yet), its start in cs
        self._late = False  # the last frame given was folded away and no later frame has replaced it
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
                  changed: Box | Sequence[Box] | None = None) -> None:
        self._repeating = None
        try:
            super().add_frame(pixels, duration, repeat=repeat, changed=changed)
        finally:
            self._repeating = None
        merged = self.frames_in - self._measured  # repeats that would write nothing: shown as the last
        self._sq_sum += merged * self._last_sq
        self._measured += merged
        self._colour_sq_sum += merged * self._last_sq
        self._colour_measured += merged

    # -- one image -------------------------------------------------------------------------
    def _image(self) -> bytes | None:
        """Encode the pixels of the last frame given still wrong on screen (all of them for the
        first image); update the screen and the error map."""
        target, screen, err = self._given, self._shown, self._err
        assert target is not None and screen is not None and err is not None
        self._err_before = self._err_after = self._err_total
        first = self._fresh
        if first:
            box: Box | None = (0, 0, self.width, self.height)
            wrong = np.ones(err.shape, bool)
        else:
            if self._dirty is None:
                return None
            dys, dxs = _sl(self._dirty)
            wrong = err[dys, dxs] > self.tolerance
            local = _bbox(wrong)
            if local is None:
                return None
            wrong = wrong[_sl(local)]
            box = _shift(local, self._dirty[0], self._dirty[1])
        x0, y0, bw = box[0], box[1], box[2] - box[0]

        def on_screen(pos: np.ndarray) -> np.ndarray:  # flat positions in the box -> in the frame
            return (pos // bw + y0) * self.width + (pos % bw + x0)

        flat_target, flat_screen, flat_err = target.reshape(-1, 3), screen.reshape(-1, 3), err.reshape(-1)
        where = on_screen(np.flatnonzero(wrong))
        wanted = flat_target[where]
        idx = self.palette.map(wanted.reshape(-1, 1, 3)).reshape(-1)
        new = self.palette.colors[idx]
        new_err = _sq_error(wanted, new)
        if (new_err <= self.tolerance).all():  # the scene's palette serves them
            table, T = None, self.palette.transparent_index
        else:
            table, idx = local_table(wanted, lloyd=self.lloyd, seed=self.frames_written)
            T, new = len(table), table[idx]
            new_err = _sq_error(wanted, new)
        use = np.ones(len(idx), bool) if first else new_err < flat_err[where]
        if not use.any():
            return None
        out = np.full(wrong.shape, T, np.uint8)
        out[wrong] = np.where(use, idx, T)
        colours = self.palette.colors if table is None else table
        candidates = [out]
        if not first:  # stretches left as they are, filled where the neighbour's colour is no worse
            def fits(pos: np.ndarray, k: np.ndarray) -> np.ndarray:
                at = on_screen(pos)
                return _sq_error(flat_target[at], colours[k]) <= flat_err[at]

            filled = _fill_runs(out, T, fits=fits, least=0)  # however few: a second encoding is cheap beside the table
            if filled is not out:
                candidates.append(filled)
        placed = []
        for c in candidates:
            tight = _bbox(c != T)
            assert tight is not None
            placed.append((c[tight[1]:tight[3], tight[0]:tight[2]], x0 + tight[0], y0 + tight[1]))
        chosen, chunks = _smaller_image(placed)
        cand = candidates[chosen].reshape(-1)
        pos = np.flatnonzero(cand != T)
        at, written = on_screen(pos), colours[cand[pos]]
        now = _sq_error(flat_target[at], written)
        self._err_after -= int(flat_err[at].sum(dtype=np.int64) - now.sum(dtype=np.int64))
        flat_screen[at] = written
        flat_err[at] = now
        self._err_total = self._err_after
        self._fresh = False
        self._shrink_dirty()
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

    def _shrink_dirty(self) -> None:
        """Shrink ``_dirty`` to the pixels off by more than the lowest tolerance."""
        if self._dirty is not None:
            assert self._err is not None
            dys, dxs = _sl(self._dirty)
            local = _bbox(self._err[dys, dxs] > min(self.moving_tolerance, self.hold_tolerance))
            self._dirty = _shift(local, self._dirty[0], self._dirty[1])

    def _take(self, pixels: np.ndarray, changed: Box | Sequence[Box] | None) -> bool:
        """Make ``pixels`` the last frame given; update the error map where it changed. False when
        it equals the frame given before (a held picture)."""
        if self._given is None:
            self._given = pixels.copy()
            self._shown = np.zeros_like(self._given)
            self._err = _sq_error(self._given, self._shown)
            self._err_total = int(self._err.sum(dtype=np.int64))
            self._dirty = (0, 0, self.width, self.height)
            return True
        if pixels is self._repeating:  # add_frame's next repeat of the same array
            return False
        boxes = _changed_boxes(pixels, self._given, changed)
        if not boxes:
            return False
        assert self._err is not None and self._shown is not None
        for box in boxes:
            ys, xs = _sl(box)
            self._given[ys, xs] = pixels[ys, xs]
            now = _sq_error(self._given[ys, xs], self._shown[ys, xs])
            self._err_total += int(now.sum(dtype=np.int64)) - int(self._err[ys, xs].sum(dtype=np.int64))
            self._err[ys, xs] = now
            self._dirty = _union(self._dirty, box)
        return True

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
    def _step(self, pixels: np.ndarray, duration: Fraction, changed: Box | Sequence[Box] | None) -> bool:
        """Add one frame (``add_frame`` calls it once per repeat); False when it wrote nothing.

        Every frame is compared with the screen everywhere (through the error map, which
        ``changed`` keeps up to date), so a pixel an earlier frame left off by more than the
        tolerance is mended as soon as a table can, and while a picture is held each repeat mends
        what is still wrong (FeatureDetectionRGB: +0.5 dB against mending only inside ``changed``)."""
        if pixels.shape[2] != 3:
            pixels = pixels[..., :3]
        held = not self._take(pixels, changed)
        self._repeating = pixels
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
                self._late = True
                self._count(self._err_total, None)  # it shows the last picture
                return True
            start = waited
        block = self._image()
        self._count(self._err_before if start != nominal else self._err_after, self._err_after)  # delayed: the last picture shows at its start
        self._late = False
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
            if self._late and self._encoded is not None:
                start = self._encoded[1] + self.min_delay_cs
                block = self._image()
                if block is not None:
                    self._emit(start)
                    self._encoded = (block, start)
            if self._encoded is not None:
                self._emit(max(end, self._encoded[1] + self.min_delay_cs))
            self._fp.write(b";")
            self._fp.flush()
        finally:
            self._shown = self._given = self._err = None
            if self._own:
                self._fp.close()
