"""The manifest ``DIR/.cnnviz-manifest.json``: for each output path under DIR, how it was made.

One JSON object ``{"version": 1, "outputs": {REL: ENTRY}}`` where ``REL`` is the
output's path relative to DIR and ``ENTRY`` records the cache key it was
rendered with and the output's size and SHA-256 (see
:func:`cnnviz.engine.plan.is_unchanged`), the scene, chapter and section, the
options, the render time and peak memory.

Reading is forgiving: a missing manifest is an empty one, and an entry of the
wrong shape (not an object, a field of the wrong type, a path leaving DIR) is
ignored on its own — that output just renders again.  A manifest that cannot
be read as one (not UTF-8, not JSON, nested too deep, not ``{"outputs": {…}}``)
is an empty one too, and :meth:`Manifest.set_aside` renames it to
``DIR/.cnnviz-manifest.unreadable-<time>-<pid>.json`` before anything is recorded,
returning the one line that says so (it is never replaced silently).  Saving
merges: under a lock (``DIR/.cnnviz-manifest.lock``), the file is read again
and this run's entries are written over it, so two runs into one DIR keep each
other's entries.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path, PurePosixPath

from cnnviz.files import atomic_write_text

__all__ = ["MANIFEST_NAME", "Manifest", "valid_entry"]

MANIFEST_NAME = ".cnnviz-manifest.json"
LOCK_NAME = ".cnnviz-manifest.lock"

_NUMBER = (int, float)
#: field → accepted types (None is accepted for every optional field)
FIELDS: dict[str, tuple[type, ...]] = {
    "scene": (str,), "key": (str,), "bytes": (int,), "sha256": (str,),
    "chapter": (int,), "section": (str,), "quality": (str,), "format": (str,), "layout": (str,),
    "transparent": (bool,), "seconds": _NUMBER, "peak_rss_mb": _NUMBER, "worker_peak_rss_mb": _NUMBER,
    "import_seconds": _NUMBER, "worker": (str,), "rendered_at": (str,),
    "frames_in": (int,), "frames_written": (int,), "palette_colors": (int,),
    # a custom render: the suffix of its file name, its values, its photo files (path → SHA-256)
    "variant": (str,), "values": (dict,), "photos": (dict,),
    "theme": (str,), "kind": (str,), "beats": (int,), "gif_colors": (str,), "local_tables": (int,),
    # per-frame GIF colours: the tolerance used, the PSNR reached (and its colours' share: see giflocal)
    "gif_tolerance": (int,), "gif_psnr_db": _NUMBER, "gif_colour_psnr_db": _NUMBER,
    # the colours a GIF got (shared or per-frame: auto chooses) and what the shared palette keeps of its samples
    "gif_colors_used": (str,), "palette_psnr_db": _NUMBER,
    "files": (dict,),  # a deck: relative path → [bytes, sha256] of each clip and poster beside the entry's file
}
REQUIRED = ("scene", "key", "bytes")


def valid_entry(rel: object, entry: object) -> bool:
    """Whether ``rel: entry`` is an entry this code can rely on."""
    if not isinstance(rel, str) or not isinstance(entry, dict) or not rel:
        return False
    path = PurePosixPath(rel)
    if path.is_absolute() or ".." in path.parts or "\\" in rel:
        return False
    if any(entry.get(f) is None for f in REQUIRED):
        return False
    for field, types in FIELDS.items():
        value = entry.get(field)
        if value is None:
            continue
        if isinstance(value, bool) and bool not in types:  # True is an int to Python, not to us
            return False
        if not isinstance(value, types):
            return False
    files = entry.get("files")
    if files is not None:
        for name, value in files.items():
            sub = PurePosixPath(name)
            if (not name or sub.is_absolute() or ".." in sub.parts or "\\" in name or not isinstance(value, list)
                    or len(value) != 2 or not isinstance(value[0], int) or isinstance(value[0], bool)
                    or not isinstance(value[1], str)):
                return False
    return entry["bytes"] >= 0


class Unreadable(ValueError):
    """The manifest file exists but is not a manifest (the message says why)."""


def _read(path: Path) -> dict[str, dict]:
    """The valid entries of the manifest at ``path`` ({} if there is none); :class:`Unreadable` if
    the file is not a manifest at all."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise Unreadable(f"cannot be read ({exc.strerror or exc})") from exc
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise Unreadable("is not UTF-8 text") from exc
    except RecursionError as exc:  # e.g. 100,000 nested [
        raise Unreadable("is nested too deeply to be read") from exc
    except ValueError as exc:
        raise Unreadable(f"is not valid JSON ({exc})") from exc
    outputs = data.get("outputs") if isinstance(data, dict) else None
    if not isinstance(outputs, dict):
        raise Unreadable('is not a manifest (no {"outputs": {...}} object)')
    return {rel: entry for rel, entry in outputs.items() if valid_entry(rel, entry)}


class Manifest:
    def __init__(self, out: Path):
        self.path = out / MANIFEST_NAME
        #: why the manifest on disk is not one ('' when it is, or there is none): see :meth:`set_aside`
        self.problem = ""
        try:
            self.entries: dict[str, dict] = _read(self.path)
        except Unreadable as exc:
            self.entries, self.problem = {}, str(exc)
        self._mine: dict[str, dict] = {}  # recorded by this run
        self.notes: list[str] = []  # manifests set aside by save()

    def set_aside(self) -> str:
        """If the manifest on disk is unreadable, rename it out of the way (so that it is never
        replaced silently) and return the line that says so; '' if there was nothing to set aside.
        :meth:`save` does the same for a manifest damaged during the run (its line goes to ``notes``)."""
        try:
            _read(self.path)
            return ""  # the common case: no lock taken, no lock file made (the gallery only reads)
        except Unreadable:
            pass
        with self._locked():
            return self._set_aside_locked()

    def _set_aside_locked(self) -> str:
        try:
            _read(self.path)
            return ""
        except Unreadable as exc:
            why = str(exc)
        aside = self.path.with_name(f"{self.path.stem}.unreadable-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.json")
        try:
            os.replace(self.path, aside)
        except OSError as exc:
            return (f"the manifest {self.path} {why}, and could not be set aside "
                    f"({exc.strerror or exc}); the outputs it recorded render again")
        return f"the manifest {self.path} {why}: set aside as {aside.name}; the outputs it recorded render again"

    def get(self, rel: str) -> dict | None:
        return self.entries.get(rel)

    def record(self, rel: str, entry: dict) -> None:
        self.entries[rel] = entry
        self._mine[rel] = entry

    @contextlib.contextmanager
    def _locked(self):
        try:
            import fcntl

            fh = open(self.path.with_name(LOCK_NAME), "a+b")  # noqa: SIM115
        except (ImportError, OSError):  # no flock here (or a full disk): save without it
            yield
            return
        try:
            with contextlib.suppress(OSError):
                fcntl.flock(fh, fcntl.LOCK_EX)
            yield
        finally:
            fh.close()  # releases the lock

    def save(self) -> None:
        """Merge this run's entries into the manifest on disk (under the lock) and write it atomically."""
        with self._locked():
            try:
                merged = _read(self.path)
            except Unreadable:  # damaged since this run read it: kept aside, not replaced silently
                self.notes.append(self._set_aside_locked())
                merged = {}
            merged.update(self._mine)
            atomic_write_text(self.path, json.dumps({"version": 1, "outputs": merged}, indent=1, sort_keys=True))
            self.entries = merged

    def previous_seconds(self, scene: str) -> float | None:
        times = [e["seconds"] for e in self.entries.values() if e.get("scene") == scene and e.get("seconds")]
        return max(times) if times else None
