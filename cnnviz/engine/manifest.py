"""The manifest ``DIR/.cnnviz-manifest.json``: for each output path under DIR, how it was made.

One JSON object ``{"version": 1, "outputs": {REL: ENTRY}}`` where ``REL`` is the
output's path relative to DIR and ``ENTRY`` records the cache key it was
rendered with (see :func:`cnnviz.engine.plan.is_unchanged`), its size, the
scene, chapter and section, the options, the render time and peak memory.  A
missing or unreadable manifest is an empty one: everything renders again.
"""

from __future__ import annotations

import json
from pathlib import Path

from cnnviz.files import atomic_write_text

__all__ = ["MANIFEST_NAME", "Manifest"]

MANIFEST_NAME = ".cnnviz-manifest.json"


class Manifest:
    def __init__(self, out: Path):
        self.path = out / MANIFEST_NAME
        self.entries: dict[str, dict] = {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if isinstance(data, dict) and isinstance(data.get("outputs"), dict):
                self.entries = data["outputs"]
        except (OSError, ValueError):
            pass

    def get(self, rel: str) -> dict | None:
        return self.entries.get(rel)

    def record(self, rel: str, entry: dict) -> None:
        self.entries[rel] = entry

    def save(self) -> None:
        atomic_write_text(self.path, json.dumps({"version": 1, "outputs": self.entries}, indent=1, sort_keys=True))

    def previous_seconds(self, scene: str) -> float | None:
        times = [e.get("seconds") for e in self.entries.values() if e.get("scene") == scene and e.get("seconds")]
        return max(times) if times else None
