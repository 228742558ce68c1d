"""Small file helpers shared by the engine, its workers and the formula cache (no Manim import)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same directory, then
    ``os.replace`` it into place: readers see the old file or the new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def sha256_file(path: Path) -> str:
    """SHA-256 hex digest of a file's bytes, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists (on this machine)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


#: temporary directories named ``<prefix><pid>-…``: a render's Manim files, a local cluster's scratch space
TEMP_DIR_PREFIXES = ("cnnviz-work-", "cnnviz-dask-")


def clean_stale_temp_dirs(tmp: Path | None = None) -> int:
    """Remove the ``TEMP_DIR_PREFIXES`` directories under ``tmp`` (default: the temporary directory)
    whose process no longer exists; return how many were removed."""
    import re
    import shutil

    pattern = re.compile("^(?:" + "|".join(map(re.escape, TEMP_DIR_PREFIXES)) + r")(\d+)-")
    removed = 0
    with contextlib.suppress(OSError):
        for d in Path(tmp or tempfile.gettempdir()).iterdir():
            m = pattern.match(d.name)
            if m and not pid_alive(int(m.group(1))) and d.is_dir():
                shutil.rmtree(d, ignore_errors=True)
                removed += not d.exists()
    return removed
