"""The manifest ``DIR/.cnnviz-manifest.json``: for each output path under DIR, how it was made.

One JSON object ``{"version": 1, "outputs": {REL: ENTRY}}`` where ``REL`` is the
output's path relative to DIR and ``ENTRY`` records the cache key it was
rendered with and the output's size and SHA-256 (see
:func:`cnnviz.engine.plan.is_unchanged`), the scene, chapter and section, the
options, the render time and peak memory.

Reading is forgiving: a missing or unreadable manifest is an empty one, and an
entry of the wrong shape (not an object, a field of the wrong type, a path
leaving DIR) is ignored on its own — that output just renders again.  Saving
merges: under a lock (``DIR/.cnnviz-manifest.lock``), the file is read again
and this run's entries are written over it, so two runs into one DIR keep each
other's entries.
"""

from __future__ import annotations

import contextlib
import json
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
    "theme": (str,), "kind": (str,), "beats": (int,),
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


def _read(path: Path) -> dict[str, dict]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    outputs = data.get("outputs") if isinstance(data, dict) else None
    if not isinstance(outputs, dict):
        return {}
    return {rel: entry for rel, entry in outputs.items() if valid_entry(rel, entry)}


class Manifest:
    def __init__(self, out: Path):
        self.path = out / MANIFEST_NAME
        self.entries: dict[str, dict] = _read(self.path)
        self._mine: dict[str, dict] = {}  # recorded by this run

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
            merged = _read(self.path)
            merged.update(self._mine)
            atomic_write_text(self.path, json.dumps({"version": 1, "outputs": merged}, indent=1, sort_keys=True))
            self.entries = merged

    def previous_seconds(self, scene: str) -> float | None:
        times = [e["seconds"] for e in self.entries.values() if e.get("scene") == scene and e.get("seconds")]
        return max(times) if times else None
