"""The lossless intermediate of a GIF or WebP render: each frame's changed rectangles, compressed.

Manim hands its file writer every frame of a scene (``write_frame(pixels, repeat=n)``). For a
GIF or a WebP the engine needs those frames twice, in order, losslessly (one pass samples the
palette, the next encodes), so they are kept on disk in between. Manim's own way, a QuickTime
RLE movie, spends about 7 ms per 720p frame encoding (and again decoding, twice), most of it on
pixels that did not change: a scene's frames differ from the one before in a small rectangle,
or not at all while a picture is held. A *frame store* keeps only that:

* per frame, the pixels that differ from the previous frame (the first frame of each of Manim's
  segments is whole), as a few rectangles: the frame is cut into bands of :data:`BAND_ROWS`
  rows, each band's changed pixels get their bounding box, and neighbouring boxes merge when
  that adds at most :data:`MERGE_SLACK` pixels. Two things moving apart (a label at the top, a
  highlight at the bottom) cost their own pixels, not the rectangle between them: over the 36
  scenes at 720p30 the rectangles hold 2.3× fewer pixels than one bounding box per frame would.
  Each rectangle's pixels are compressed with zlib at level 1, and a held picture is one record
  (how many frames in a row show it), whatever its length;
* the segments of a scene, one file per ``play``/``wait`` as Manim plans them, concatenated.

Reading gives back every frame bit for bit (``tests/test_framestore.py``), each with its repeat
count, the rectangles that changed and their bounding box: the GIF writers compare and map
inside the rectangles only. Memory is
the previous frame on the writing side and one canvas on the reading side, whatever the length.

The format (little-endian): a segment is a header ``b"CNVZFRM2"``, width, height (uint16),
channels (uint8: 3 RGB, 4 RGBA), a pad byte, the frame rate as numerator and denominator
(uint32), then records: ``repeat`` (uint32) and the number of rectangles (uint16), then for each
rectangle ``x0, y0, x1, y1`` (uint16), the compressed size (uint32) and the compressed
``(y1-y0, x1-x0, channels)`` pixels. A record with ``repeat == 0`` ends the segment; a record
without rectangles repeats the previous picture. Stores of the first format (``b"CNVZFRM1"``:
one rectangle per record, no count) are still read.
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

from cnnviz.engine.gifenc import Box, _diff_mask, _union

__all__ = ["MAGIC", "FrameStoreEncoder", "StoredFrame", "count_frames", "is_frame_store", "read_frames"]

MAGIC = b"CNVZFRM2"
_MAGIC_V1 = b"CNVZFRM1"  # one rectangle per record: read, no longer written
_HEADER = struct.Struct("<8sHHBxII")
_RECORD_V1 = struct.Struct("<IHHHHI")
_RECORD = struct.Struct("<IH")  # repeat, rectangles
_RECT = struct.Struct("<HHHHI")  # x0, y0, x1, y1, compressed size
#: zlib level: 1 compresses a scene's rectangles about 30× in a tenth of the time RLE takes
LEVEL = 1
#: rows per band when a frame's changes are cut into rectangles
BAND_ROWS = 16
#: two neighbouring rectangles merge when their bounding box has at most this many pixels more
#: than the two (a record and a zlib stream cost about as much as compressing that many)
MERGE_SLACK = 2048


def _area(box: Box) -> int:
    return (box[2] - box[0]) * (box[3] - box[1])


def _changed_rects(a: np.ndarray, b: np.ndarray) -> list[Box]:
    """The rectangles holding the pixels that differ between two (H, W, C) frames ([] when none):
    each band of BAND_ROWS rows gives the bounding box of its changed pixels, and boxes merge, in
    order, while their union adds at most MERGE_SLACK pixels. Their union's bounding box is
    :func:`~cnnviz.engine.gifenc._diff_bbox`'s."""
    w = a.shape[1]
    diff = _diff_mask(a, b)
    rows = np.flatnonzero(diff.any(axis=1))
    if rows.size == 0:
        return []
    y0 = int(rows[0]) // BAND_ROWS * BAND_ROWS
    y1 = int(rows[-1]) + 1
    n = -(-(y1 - y0) // BAND_ROWS)
    sub = diff[y0:y1]
    if n * BAND_ROWS != y1 - y0:
        sub = np.concatenate([sub, np.zeros((n * BAND_ROWS - (y1 - y0), sub.shape[1]), bool)])
    bands = sub.reshape(n, BAND_ROWS, -1)
    cols = bands.any(axis=1).reshape(n, w, -1).any(axis=2)  # (n, w)
    lines = bands.any(axis=2)  # (n, BAND_ROWS)
    has = lines.any(axis=1)
    first_col, last_col = cols.argmax(axis=1), w - cols[:, ::-1].argmax(axis=1)
    first_row, last_row = lines.argmax(axis=1), BAND_ROWS - lines[:, ::-1].argmax(axis=1)
    out: list[Box] = []
    for k in np.flatnonzero(has).tolist():
        top = y0 + k * BAND_ROWS
        box = (int(first_col[k]), top + int(first_row[k]), int(last_col[k]), top + int(last_row[k]))
        if out:
            p = out[-1]
            u = (min(p[0], box[0]), p[1], max(p[2], box[2]), box[3])
            if _area(u) <= _area(p) + _area(box) + MERGE_SLACK:
                out[-1] = u
                continue
        out.append(box)
    return out


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
        self._held: list | None = None  # [repeat, [(box, data), ...]]: written when the next picture differs
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
            rects: list[Box] = [(0, 0, self.width, self.height)]
        else:
            rects = _changed_rects(pixels, self._prev)
        self._prev = pixels
        if not rects:
            self._held[0] += repeat
            return
        self._write_held()
        self._held = [repeat, [((x0, y0, x1, y1), zlib.compress(np.ascontiguousarray(
            pixels[y0:y1, x0:x1, : self.channels]), LEVEL)) for x0, y0, x1, y1 in rects]]

    def _write_held(self) -> None:
        if self._held is None:
            return
        repeat, rects = self._held
        parts = [_RECORD.pack(repeat, len(rects))]
        for (x0, y0, x1, y1), data in rects:
            parts += [_RECT.pack(x0, y0, x1, y1, len(data)), data]
        self._fp.write(b"".join(parts))
        self._held = None

    def finish(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self._write_held()
            self._fp.write(_RECORD.pack(0, 0))
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
        return fp.read(len(MAGIC)) in (MAGIC, _MAGIC_V1)


@dataclass
class StoredFrame:
    """One record: ``pixels`` (the reader's canvas, valid until the next record: copy what you
    keep), shown for ``repeat`` frames of ``duration`` seconds each; outside ``rects`` it equals
    the previous record's picture (the first record of each segment has the whole frame), and
    ``box`` is their bounding box (empty, ``x0 == x1``, when nothing changed)."""

    pixels: np.ndarray
    repeat: int
    duration: Fraction
    rects: tuple[Box, ...]

    @property
    def box(self) -> Box:
        return functools.reduce(_union, self.rects) if self.rects else (0, 0, 0, 0)


def _segments(fp) -> Iterator[tuple[int, int, int, Fraction, bool]]:
    """Each segment's width, height, channels, frame rate, and whether it is of the first format."""
    while True:
        raw = fp.read(_HEADER.size)
        if not raw:
            return
        if len(raw) != _HEADER.size:
            raise ValueError(f"truncated frame store {fp.name}")
        magic, width, height, channels, num, den = _HEADER.unpack(raw)
        if magic not in (MAGIC, _MAGIC_V1) or channels not in (3, 4) or den == 0 or num == 0:
            raise ValueError(f"not a frame store segment in {fp.name}")
        yield width, height, channels, Fraction(num, den), magic == _MAGIC_V1


def _read(fp, st: struct.Struct) -> tuple:
    raw = fp.read(st.size)
    if len(raw) != st.size:
        raise ValueError(f"truncated frame store {fp.name}")
    return st.unpack(raw)


def _records(fp, v1: bool, data: bool = True) -> Iterator[tuple[int, list[tuple[Box, bytes | None]]]]:
    """A segment's records: the repeat count and the rectangles, each with its compressed pixels
    (None with ``data=False``: skipped, not read)."""
    def heads(count: int) -> Iterator[tuple[Box, int]]:  # read one by one: each is followed by its pixels
        for _ in range(count):
            *corners, size = _read(fp, _RECT)
            yield tuple(corners), size

    while True:
        if v1:
            repeat, *box, size = _read(fp, _RECORD_V1)
            rect_heads = [(tuple(box), size)] if box[2] > box[0] and box[3] > box[1] else []
            if repeat and not rect_heads:
                fp.seek(size, 1)  # an empty rectangle: the picture held
        else:
            repeat, count = _read(fp, _RECORD)
            rect_heads = heads(count)
        if repeat == 0:
            return
        rects = []
        for box, size in rect_heads:
            if data:
                raw = fp.read(size)
                if len(raw) != size:
                    raise ValueError(f"truncated frame store {fp.name}")
            else:
                fp.seek(size, 1)
                raw = None
            rects.append((box, raw))
        yield repeat, rects


def read_frames(path: Path, channels: int | None = None) -> Iterator[StoredFrame]:
    """Every record of the store at ``path``, in order (see :class:`StoredFrame`).

    ``channels`` 3 or 4 asks for RGB or RGBA (RGB from an RGBA store drops alpha; RGBA from an
    RGB store is opaque); None gives the store's own."""
    canvas = None
    with open(path, "rb") as fp:
        for width, height, have, rate, v1 in _segments(fp):
            want = channels or have
            if canvas is None:
                canvas = np.zeros((height, width, want), np.uint8)
                if want == 4:
                    canvas[..., 3] = 255
            elif canvas.shape[:2] != (height, width):
                raise ValueError(f"frame store {path}: segments of different sizes")
            duration = 1 / rate
            n = min(have, want)
            for repeat, rects in _records(fp, v1):
                for (x0, y0, x1, y1), raw in rects:
                    crop = np.frombuffer(zlib.decompress(raw), np.uint8).reshape(y1 - y0, x1 - x0, have)
                    canvas[y0:y1, x0:x1, :n] = crop[..., :n]
                yield StoredFrame(canvas, repeat, duration, tuple(r for r, _ in rects))


def count_frames(path: Path) -> int:
    """The number of frames in the store (repeats counted), without decompressing."""
    n = 0
    with open(path, "rb") as fp:
        for *_, v1 in _segments(fp):
            for repeat, _rects in _records(fp, v1, data=False):
                n += repeat
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
