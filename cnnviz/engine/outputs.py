"""The files under ``--out``: checked before a run, written atomically, and cleaned after killed runs.

* :func:`check_output_dir` — before anything renders, changing nothing on
  disk: ``--out`` can be created and written (not under a regular file, not
  read-only, not without permission), and no planned output's folder is a
  file.  Raises :class:`OutputDirError` naming the directory.
  :func:`create_output_dir` creates it once the run is sure to render.
* :func:`write_output` — the client writes a finished file through
  ``.NAME.<pid>.part`` in the same folder, renamed into place once complete:
  readers see the old file or the new one, never a part; a failed write (a
  full disk) removes the part and raises.
* :func:`clean_stale` — at the start of every run: hidden ``.NAME.<pid>.part``
  files under ``--out`` and ``cnnviz-work-<pid>-*`` / ``cnnviz-dask-<pid>-*``
  temporary directories whose process no longer exists (a run or worker that
  was killed hard) are removed; those of live processes are left alone.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from pathlib import Path

from cnnviz.files import clean_stale_temp_dirs, pid_alive

__all__ = ["OutputDirError", "check_output_dir", "create_output_dir", "write_output", "clean_stale", "sha256_bytes"]

_PART = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.part$")


class OutputDirError(ValueError):
    """Outputs cannot be written where asked (the message names the directory)."""


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


def check_output_dir(out: Path, outputs: list[Path] = ()) -> None:
    """Make sure files can be written in ``out`` (see the module doc) **without changing anything on
    disk**: a usage error leaves no empty folder behind.  The run creates ``out`` with
    :func:`create_output_dir` once it is sure to render."""
    existing = out
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if existing.exists() and not existing.is_dir():
        raise OutputDirError(f"--out {out}: {existing} is a file, not a directory")
    if existing == out:
        try:  # the truest test; the probe is removed at once
            fd, probe = tempfile.mkstemp(dir=out, prefix=".cnnviz-probe-")
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            raise OutputDirError(f"--out {out} is not writable ({_why(exc)})") from exc
    elif not os.access(existing, os.W_OK | os.X_OK):
        why = "Read-only file system" if _read_only(existing) else "Permission denied"
        raise OutputDirError(f"--out {out}: cannot create it: {existing} is not writable ({why})")
    for path in outputs:
        for parent in path.parents:
            if parent == out or out not in parent.parents:
                break
            if parent.exists() and not parent.is_dir():
                raise OutputDirError(f"--out {out}: {parent} is a file, but {path.name} goes in a folder of that name")


def _read_only(path: Path) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def create_output_dir(out: Path) -> None:
    """Create ``out`` (and its parents) when the run is sure to render; OutputDirError if it cannot."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputDirError(f"--out {out}: cannot create it ({_why(exc)})") from exc


def write_output(path: Path, data: bytes) -> None:
    """Write ``data`` at ``path`` atomically (see the module doc); OSError if it cannot."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def clean_stale(out: Path | None = None, tmp: Path | None = None) -> int:
    """Remove the leftovers of dead processes (see the module doc); return how many were removed."""
    removed = 0
    if out is not None and out.is_dir():
        with contextlib.suppress(OSError):
            for p in out.rglob(".*.part"):
                m = _PART.match(p.name)
                if m and not pid_alive(int(m["pid"])):
                    with contextlib.suppress(OSError):
                        p.unlink()
                        removed += 1
    return removed + clean_stale_temp_dirs(tmp)
