"""The lossless intermediate of a GIF or WebP render: each frame's changed rectangle, compressed.

Manim hands its file writer every frame of a scene (``write_frame(pixels, repeat=n)``). For a
GIF or a WebP the engine needs those frames twice, in order, losslessly (one pass samples the
palette, the next encodes), so they are kept on disk in between. Manim's own way, a QuickTime
RLE movie, spends about 7 ms per 720p frame encoding (and again decoding, twice), most of it on
pixels that did not change: a scene's frames differ from the one before in a small rectangle,
or not at all while a picture is held. A *frame store* keeps only that:

* per frame, the bounding box of the pixels that differ from the previous frame (the first
  frame of each of Manim's segments is whole), its pixels compressed with zlib at level 1,
  and how many frames in a row show it (a held picture is one record, whatever its length);
* the segments of a scene, one file per ``play``/``wait`` as Manim plans them, concatenated.

Reading gives back every frame bit for bit (``tests/test_framestore.py``), each with its repeat
count and the rectangle that changed, which the GIF writer uses to compare less. Memory is the
previous frame on the writing side and one canvas on the reading side, whatever the length.

The format (little-endian): a segment is a header ``b"CNVZFRM1"``, width, height (uint16),
channels (uint8: 3 RGB, 4 RGBA), a pad byte, the frame rate as numerator and denominator
(uint32), then records ``repeat`` (uint32), ``x0, y0, x1, y1`` (uint16), the compressed size
(uint32) and the compressed ``(y1-y0, x1-x0, channels)`` pixels. A record with ``repeat == 0``
ends the segment; an empty rectangle (``x0 == x1``) repeats the previous picture.
"""

from __future__ import annotations

import functools
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from cnnviz.engine.gifenc import Box, _diff_bbox

__all__ = ["MAGIC", "FrameStoreEncoder", "StoredFrame", "count_frames", "is_frame_store", "read_frames"]

MAGIC = b"CNVZFRM1"
_HEADER = struct.Struct("<8sHHBxII")
_RECORD = struct.Struct("<IHHHHI")
#: zlib level: 1 compresses a scene's rectangles about 30× in a tenth of the time RLE takes
LEVEL = 1

class FrameStoreEncoder:
    """Writes one segment (the part of :class:`manim.scene.video_segment_encoder.VideoSegmentEncoder`
    that Manim's file writer uses: ``target``, ``write_frame``, ``finish``, ``abort``).

    Frames are Manim's (H, W, 4) RGBA uint8 arrays, handed over (not modified afterwards, so the
    previous one is kept by reference). ``channels=3`` keeps RGB, ``4`` keeps RGBA (transparent).
    """

    def __init__(self, target: Path, width: int, height: int, frame_rate: Fraction, channels: int = 3):
        if channels not in (3, 4):
            raise ValueError(f"channels must be 3 or 4, got {channels}")
        rate = Fraction(frame_rate)
        self.target = Path(target)
        self.width, self.height, self.channels = int(width), int(height), channels
        self.target.parent.mkdir(parents=True, exist_ok=True)
        self._fp = open(self.target, "wb")  # noqa: SIM115 (open across write_frame calls; closed by finish/abort)
        self._fp.write(_HEADER.pack(MAGIC, self.width, self.height, channels, rate.numerator, rate.denominator))
        self._prev: np.ndarray | None = None
        self._held: list | None = None  # [repeat, box, data]: written when the next picture differs
        self._closed = False

    def write_frame(self, pixels: np.ndarray, *, repeat: int = 1) -> None:
        if self._closed:
            raise RuntimeError(f"frame store {self.target} is closed")
        if isinstance(repeat, bool) or not isinstance(repeat, int) or repeat <= 0:
            raise ValueError(f"repeat must be a positive integer, got {repeat!r}")
        if pixels.shape != (self.height, self.width, 4) or pixels.dtype != np.uint8 or not pixels.flags.c_contiguous:
            raise ValueError(f"frames must be C-contiguous ({self.height}, {self.width}, 4) uint8, "
                             f"got {pixels.shape} {pixels.dtype}")
        if self._prev is None:
            box: Box | None = (0, 0, self.width, self.height)
        else:
            box = _diff_bbox(pixels, self._prev)
        self._prev = pixels
        if box is None:
            self._held[0] += repeat
            return
        self._write_held()
        x0, y0, x1, y1 = box
        crop = np.ascontiguousarray(pixels[y0:y1, x0:x1, : self.channels])
        self._held = [repeat, box, zlib.compress(crop, LEVEL)]

    def _write_held(self) -> None:
        if self._held is None:
            return
        repeat, (x0, y0, x1, y1), data = self._held
        self._fp.write(_RECORD.pack(repeat, x0, y0, x1, y1, len(data)))
        self._fp.write(data)
        self._held = None

    def finish(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self._write_held()
            self._fp.write(_RECORD.pack(0, 0, 0, 0, 0, 0))
        finally:
            self._prev = None
            self._fp.close()

    def abort(self) -> None:
        self._closed = True
        self._prev = self._held = None
        self._fp.close()
        self.target.unlink(missing_ok=True)


def is_frame_store(path: Path) -> bool:
    """Whether ``path`` is a frame store (else a video for PyAV)."""
    with open(path, "rb") as fp:
        return fp.read(len(MAGIC)) == MAGIC


@dataclass
class StoredFrame:
    """One record: ``pixels`` (the reader's canvas, valid until the next record: copy what you
    keep), shown for ``repeat`` frames of ``duration`` seconds each; outside ``box`` it equals
    the previous record's picture (the first record of each segment has the whole frame)."""

    pixels: np.ndarray
    repeat: int
    duration: Fraction
    box: Box


def _segments(fp) -> Iterator[tuple[int, int, int, Fraction]]:
    while True:
        raw = fp.read(_HEADER.size)
        if not raw:
            return
        if len(raw) != _HEADER.size:
            raise ValueError(f"truncated frame store {fp.name}")
        magic, width, height, channels, num, den = _HEADER.unpack(raw)
        if magic != MAGIC or channels not in (3, 4) or den == 0 or num == 0:
            raise ValueError(f"not a frame store segment in {fp.name}")
        yield width, height, channels, Fraction(num, den)


def _records(fp) -> Iterator[tuple[int, Box, int]]:
    while True:
        raw = fp.read(_RECORD.size)
        if len(raw) != _RECORD.size:
            raise ValueError(f"truncated frame store {fp.name}")
        repeat, x0, y0, x1, y1, size = _RECORD.unpack(raw)
        if repeat == 0:
            return
        yield repeat, (x0, y0, x1, y1), size


def read_frames(path: Path, channels: int | None = None) -> Iterator[StoredFrame]:
    """Every record of the store at ``path``, in order (see :class:`StoredFrame`).

    ``channels`` 3 or 4 asks for RGB or RGBA (RGB from an RGBA store drops alpha; RGBA from an
    RGB store is opaque); None gives the store's own."""
    canvas = None
    with open(path, "rb") as fp:
        for width, height, have, rate in _segments(fp):
            want = channels or have
            if canvas is None:
                canvas = np.zeros((height, width, want), np.uint8)
                if want == 4:
                    canvas[..., 3] = 255
            elif canvas.shape[:2] != (height, width):
                raise ValueError(f"frame store {path}: segments of different sizes")
            duration = 1 / rate
            for repeat, box, size in _records(fp):
                x0, y0, x1, y1 = box
                if x1 > x0 and y1 > y0:
                    crop = np.frombuffer(zlib.decompress(fp.read(size)), np.uint8).reshape(y1 - y0, x1 - x0, have)
                    n = min(have, want)
                    canvas[y0:y1, x0:x1, :n] = crop[..., :n]
                else:
                    fp.seek(size, 1)
                yield StoredFrame(canvas, repeat, duration, box)


def count_frames(path: Path) -> int:
    """The number of frames in the store (repeats counted), without decompressing."""
    n = 0
    with open(path, "rb") as fp:
        for _ in _segments(fp):
            for repeat, _box, size in _records(fp):
                n += repeat
                fp.seek(size, 1)
    return n


@functools.cache
def file_writer_class():
    """Manim's ``SceneFileWriter`` writing frame stores instead of its partial movie files, and
    concatenating them instead of combining movies (imported lazily: this module needs no Manim)."""
    import shutil

    from manim.scene.scene_file_writer import SceneFileWriter

    class FrameStoreFileWriter(SceneFileWriter):
        def _create_segment_encoder(self, target: Path) -> FrameStoreEncoder:
            spec = self.video_encoder
            if spec is None:
                raise RuntimeError("a frame store needs Manim's resolved video settings")
            return FrameStoreEncoder(target, spec.width, spec.height, spec.frame_rate,
                                     channels=4 if self.output_spec.transparent else 3)

        def combine_files(self, input_files, output_file, create_gif=False, includes_sound=False):
            output_file = Path(output_file)
            output_file.parent.mkdir(parents=True, exist_ok=True)
            with open(output_file, "wb") as out:
                for name in input_files:
                    with open(name, "rb") as part:
                        shutil.copyfileobj(part, out)

    return FrameStoreFileWriter
