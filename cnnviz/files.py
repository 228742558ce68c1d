"""Small helpers shared by the engine, its workers, the CLI and the formula cache (no Manim import):
files written atomically, digests, leftovers of dead processes, and :func:`printable` for echoed text."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
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


#: characters that must never reach a terminal as they are: C0/C1 controls (ESC sequences, BEL,
#: newlines, carriage returns), DEL, line/paragraph separators and the bidirectional overrides
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: object, limit: int | None = None) -> str:
    r"""``text`` as it may be echoed to a terminal or a log line: every control character escaped the
    way Python writes it (``\x1b``, ``\n``, ``\u202e``), so that a user-supplied name, path or value
    can neither run a terminal escape sequence nor fake another line.  With ``limit``, a longer
    text is cut to that many characters and says how long it was.  The one helper for everything
    cnnviz echoes (names, paths, parameter values, cluster addresses)."""
    text = str(text)
    if limit is not None and len(text) > limit:
        text = f"{text[:limit]}… ({len(text):,} characters)"
    return _UNPRINTABLE.sub(_escape_char, text)


def _escape_char(m: re.Match) -> str:
    c = m.group()
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(c)
    return named or (f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}")
