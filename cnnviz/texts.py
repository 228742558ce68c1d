"""Texts built once: in memory for the process, and their glyph outlines on disk across renders.

Building a Manim ``Text`` costs 40–180 ms: Pango writes an SVG, svgelements parses it and every glyph
becomes a ``VMobject``. Scenes build hundreds, most of them the same from one render to the next.

* **In memory** (:func:`make_text`): the same arguments give a copy of the Text built the first time
  in this process (a warm worker keeps them from scene to scene). A copy costs 1–4 ms.
* **On disk** (:class:`Text`): the glyph outlines parsed from Pango's SVG are kept under
  ``CNNVIZ_TEXT_CACHE`` (default ``~/.cache/cnnviz/texts``), keyed by the SVG's own bytes (so a
  changed font, text, size or colour is a different key), the styles applied to it and the versions
  of Python, NumPy and Manim. A later render reads them back (about 10 ms) instead of parsing.

Both give the same points and colours as a new ``manim.Text``, so the same pixels (the tests compare
whole scenes' lossless frames). ``CNNVIZ_FRAME_CACHES=0`` turns both off (and ``CnnvizCamera``), for
benchmarks. The disk cache keeps at most ``_DISK_MAX_BYTES``, dropping the least recently used; a
directory another user could write to is never read (its files are pickles).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import stat
import sys
import tempfile
from collections import OrderedDict
from pathlib import Path

import manim
import numpy as np

from .formula import lean

__all__ = ["Text", "make_text", "frame_caches", "text_cache_dir"]

#: bumped when what is stored changes
_FORMAT = b"cnnviz-text-glyphs-1"
_DISK_MAX_BYTES = 256 << 20
_PRUNE_EVERY = 200  # files written by this process between two size checks


def frame_caches() -> bool:
    """Whether the frame caches are on: the text caches, ``CnnvizCamera`` and the frame store (the
    GIF and WebP intermediate, :mod:`cnnviz.engine.framestore`). They change no pixel;
    ``CNNVIZ_FRAME_CACHES=0`` turns them off, for benchmarks and the tests that compare."""
    return os.environ.get("CNNVIZ_FRAME_CACHES", "1") != "0"


def text_cache_dir() -> Path | None:
    """The disk cache's directory (created private), or None when it cannot be used safely."""
    raw = os.environ.get("CNNVIZ_TEXT_CACHE")
    if raw is not None and raw.strip() in ("", "0", "off"):
        return None
    if raw:
        d = Path(raw).expanduser()
    else:
        base = os.environ.get("XDG_CACHE_HOME")
        if not base:
            try:
                base = str(Path.home() / ".cache")
            except RuntimeError:  # no home directory
                base = None
        d = Path(base) / "cnnviz" / "texts" if base else Path(tempfile.gettempdir()) / f"cnnviz-texts-{os.getuid()}"
    try:
        d.mkdir(parents=True, exist_ok=True, mode=0o700)
        st = d.stat()
    except OSError:
        return None
    # pickles are code: only a directory of ours that nobody else can write to
    if st.st_uid != os.getuid() or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return None
    return d


_written = 0


def _disk_key(svg: bytes, mob: manim.SVGMobject) -> str:
    h = hashlib.sha256(_FORMAT)
    for part in (sys.version_info[:2], np.__version__, manim.__version__, mob.generate_config_style_dict(),
                 mob.path_string_config):
        h.update(b"|" + repr(part).encode())
    h.update(b"|" + svg)
    return h.hexdigest()


def _load(d: Path, key: str) -> list | None:
    path = d / f"{key}.pkl"
    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        mobjects = pickle.loads(data)
    except Exception:  # a damaged file (a full disk, another version): built again and rewritten
        return None
    if not (isinstance(mobjects, list) and all(isinstance(m, manim.VMobject) for m in mobjects)):
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # recently used: pruned last
    return mobjects


def _store(d: Path, key: str, mobjects: list) -> None:
    global _written
    try:
        fd, tmp = tempfile.mkstemp(dir=d, prefix=f".{key}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(mobjects, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, d / f"{key}.pkl")
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError:  # a full or read-only disk: the cache is only an optimisation
        return
    _written += 1
    if _written % _PRUNE_EVERY == 1:
        prune(d)


def prune(d: Path, max_bytes: int | None = None) -> None:
    """Drop the least recently used files until the directory holds at most 80 % of ``max_bytes``
    (when it holds more than ``max_bytes``)."""
    max_bytes = _DISK_MAX_BYTES if max_bytes is None else max_bytes
    files = []
    with contextlib.suppress(OSError):
        for entry in os.scandir(d):
            if entry.name.endswith(".pkl"):
                with contextlib.suppress(OSError):
                    st = entry.stat()
                    files.append((st.st_mtime, st.st_size, entry.path))
    total = sum(size for _, size, _ in files)
    if total <= max_bytes:
        return
    for _, size, path in sorted(files):
        with contextlib.suppress(OSError):
            os.unlink(path)
            total -= size
        if total <= 0.8 * max_bytes:
            break


class Text(manim.Text):
    """``manim.Text`` whose glyph outlines come from the disk cache when Pango's SVG was seen before."""

    def generate_mobject(self):
        d = text_cache_dir() if frame_caches() else None
        if d is None:
            return super().generate_mobject()
        try:
            svg = self.get_file_path().read_bytes()
        except OSError:
            return super().generate_mobject()
        key = _disk_key(svg, self)
        mobjects = _load(d, key)
        if mobjects is not None:
            self.add(*mobjects)
            self.id_to_vgroup_dict = {}
            return self
        super().generate_mobject()  # parses, adds the glyphs and flips them (y up)
        for m in self.submobjects:
            if getattr(m, "path_obj", None) is not None:
                m.path_obj = None  # the parsed svgelements path: only needed to build the points
        self.id_to_vgroup_dict = {}
        _store(d, key, list(self.submobjects))
        return self


#: Texts already built in this process: the arguments → a lean template and its size, copied on each
#: use. The least recently used go first beyond _TEXTS_MAX_BYTES of points (a 55-character line holds
#: ≈75 kB).
_TEXTS: OrderedDict[tuple, tuple[manim.Text, int]] = OrderedDict()
_TEXTS_MAX_BYTES = 48 << 20
_texts_bytes = 0


def make_text(s: str, **kw) -> manim.Text:
    """``Text(s, **kw)``, lean (:func:`cnnviz.formula.lean`), built once per process for the same arguments."""
    global _texts_bytes
    if not frame_caches():
        return lean(manim.Text(s, **kw))
    try:
        key = (s, tuple(sorted((k, repr(v)) for k, v in kw.items())))
        hit = _TEXTS.get(key)
    except TypeError:  # an argument without a faithful repr: build it every time
        return lean(Text(s, **kw))
    if hit is None:
        template = lean(Text(s, **kw))
        size = sum(m.points.nbytes for m in template.get_family())
        _TEXTS[key] = (template, size)
        _texts_bytes += size
        while _texts_bytes > _TEXTS_MAX_BYTES and len(_TEXTS) > 1:
            _texts_bytes -= _TEXTS.popitem(last=False)[1][1]
    else:
        _TEXTS.move_to_end(key)
        template = hit[0]
    return template.copy()
