"""Animated WebP from the lossless intermediate (a frame store or a movie), streaming.

A GIF has 256 colours per frame; an animated WebP keeps full colour (photos stay photos) and
is smaller, but not every viewer plays it (browsers and Jupyter do; PowerPoint does not).

Pillow writes animated WebP through libwebp's ``WebPAnimEncoder``, which keeps only the
*encoded* frames. Its ``save(save_all=True)`` reads each source with ``seek(i)`` for
``i < n_frames``, so :class:`_Frames` hands it the decoded video one frame at a time: memory
stays at a few frames whatever the length or the resolution.
"""

from __future__ import annotations

import time
from fractions import Fraction
from pathlib import Path

#: Lossless: the frames are the lossless render's, pixel for pixel (the theme's flat colours and thin
#: coloured text survive, which lossy WebP's 4:2:0 chroma does not: lossy quality 90 gave 36 dB).
#: Compression effort ``quality`` 25 with ``method`` 1 (libwebp's lossless scale) makes files 6× smaller
#: than effort 0 for about 1.8× the CPU (measured on 60 frames of a diagram scene at 720p:
#: 0.33 against 2.11 MB, 37 against 21 ms a frame; a photo scene 1.46 against 5.04 MB).
LOSSLESS = True
EFFORT = 25
METHOD = 1


class _Frames:
    """The frames of a video as a multi-frame image for Pillow's WebP writer (sequential ``seek``)."""

    def __init__(self, path: Path, mode: str, n: int):
        # a frame store or a movie, read as the GIF path reads it
        from cnnviz.engine.worker import _decode

        self._frames = _decode(path, "rgba" if mode == "RGBA" else "rgb24")
        self.mode = mode
        self.n_frames = n
        self.duration: Fraction | None = None  # seconds per frame
        self._at = -1
        self._image = None

    def seek(self, index: int) -> None:
        from PIL import Image

        if index < self._at:
            raise ValueError("frames are read in order")
        while self._at < index:
            arr, self.duration = next(self._frames)
            self._at += 1
        self._image = Image.fromarray(arr, self.mode)

    def tell(self) -> int:
        return self._at

    def getim(self):
        return self._image.getim()

    @property
    def size(self):
        return self._image.size

    def close(self) -> None:
        self._frames.close()


def video_to_webp(src: Path, dst: Path, *, transparent: bool = False, lossless: bool = LOSSLESS,
                  method: int = METHOD) -> dict:
    """Encode the video ``src`` as a looping animated WebP at ``dst`` (bounded memory)."""
    from PIL import Image

    from cnnviz.engine.worker import _count_frames  # the GIF path counts the same way

    n = _count_frames(src)
    if n == 0:
        raise RuntimeError(f"no frames in {src}")
    mode = "RGBA" if transparent else "RGB"
    t0 = time.perf_counter()
    frames = _Frames(src, mode, n)
    try:
        frames.seek(0)
        first = Image.frombytes(mode, frames.size, frames._image.tobytes())
        rest = _Rest(frames)
        first.save(dst, format="WEBP", save_all=True, append_images=[rest] if n > 1 else [],
                   duration=float(1000 * frames.duration), loop=0, lossless=lossless, quality=EFFORT if lossless else 90,
                   method=method,
                   background=(0, 0, 0, 0))
    finally:
        frames.close()
    return {"frames_in": n, "webp_seconds": round(time.perf_counter() - t0, 3), "webp_lossless": lossless}


class _Rest:
    """Frames 1… of ``frames`` (frame 0 is the image ``save`` is called on)."""

    def __init__(self, frames: _Frames):
        self._frames = frames
        self.mode = frames.mode
        self.n_frames = frames.n_frames - 1

    def seek(self, index: int) -> None:
        self._frames.seek(index + 1)

    def tell(self) -> int:
        return self._frames.tell() - 1

    def getim(self):
        return self._frames.getim()
