"""Execution: a plan's tasks as dask tasks, on a local cluster or on an existing one.

:func:`connect` gives a dask ``Client``:

* ``connect(jobs=N)`` starts a ``LocalCluster`` of N worker processes with one
  thread each (Manim's config is one global per process).  A worker imports
  Manim once and renders many scenes (warm workers).  Ctrl-C in the terminal
  reaches only the client (workers ignore SIGINT); on the way out every worker
  process this run started is stopped, killed if need be;
* ``connect(address="tcp://HOST:8786")`` submits to a running scheduler
  (``dask scheduler`` + ``dask worker --nthreads 1`` on each machine with the
  project installed).

:func:`run` submits :func:`cnnviz.engine.worker.render_scene` once per task,
longest first, and handles each result as it arrives: the worker returns the
finished file's **bytes** and the client writes them under ``--out`` through a
hidden temporary file renamed into place (no shared disk needed, never a
partial output), records the manifest, or writes ``DIR/logs/<Name>.log``.

Reliability: a scene whose worker dies (SIGKILL, a crash, or the nanny
stopping it above the per-worker memory limit) is tried once more on a live
worker; if that worker dies too, the scene fails with a log saying why each
died, while the other scenes go on.  The tries are counted by cnnviz, not by
dask: a worker announces each scene it really starts (an event), because
dask's ``KilledWorker`` also counts a scene that was only queued on the worker
that died.  Each death and each retry is told as it happens (``on_event``).

Failures at the edges are one line, never a hang or a traceback: a remote
address is checked (:func:`parse_address`, :func:`check_scheduler`, within
:data:`CONNECT_TIMEOUT` seconds) before any dask client exists; a memory limit
below what a worker needs to start (:data:`MIN_WORKER_MEMORY`) is refused; a
signal while the local cluster starts is held until it has started, then stops
it like any interruption; a lost scheduler fails the scenes it had with one
line.
"""

from __future__ import annotations

import contextlib
import dataclasses
import ipaddress
import logging
import os
import queue
import re
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

from cnnviz.engine.manifest import Manifest
from cnnviz.engine.plan import ROOT, Plan, Task
from cnnviz.engine.outputs import sha256_bytes, write_output
from cnnviz.engine.worker import ATTEMPT_TOPIC, RenderJob, RenderResult, render_scene
from cnnviz.files import atomic_write_text, clean_stale_temp_dirs, printable

__all__ = ["DASK_CONFIG", "ClusterError", "Interrupted", "connect", "run", "run_in_process", "LOG_DIR_NAME",
           "parse_address", "parse_memory_limit", "check_scheduler", "MIN_WORKER_MEMORY", "CONNECT_TIMEOUT"]

LOG_DIR_NAME = "logs"

#: dask settings of the local cluster (a remote scheduler keeps its own: see the README)
DASK_CONFIG = {
    # dask never retries a scene whose worker died: cnnviz does, once, counting the times it really
    # started (dask's count would include scenes only queued on the dying worker): see run()
    "distributed.scheduler.allowed-failures": 0,
    # one scene per single-threaded worker at a time (no scene queued behind a busy worker)
    "distributed.scheduler.worker-saturation": 1.0,
    # workers hold no dask data: no spilling, and never pause (a paused worker would wait
    # forever for memory that Python keeps); above 95 % of the limit the nanny stops the worker
    "distributed.worker.memory.target": False,
    "distributed.worker.memory.spill": False,
    "distributed.worker.memory.pause": False,
    "distributed.worker.memory.terminate": 0.95,
    # rendering holds the GIL for a while: no "event loop unresponsive" warnings
    "distributed.admin.tick.limit": "60s",
    # what makes a dask worker a slow Manim renderer (see cnnviz.engine.worker.dask_setup, which
    # also undoes them on workers started by hand): the statistical profiler, and the nanny's
    # MALLOC_TRIM_THRESHOLD_ (NumPy's threads stay at one per single-threaded worker)
    "distributed.worker.profile.enabled": False,
    "distributed.nanny.pre-spawn-environ": {"OMP_NUM_THREADS": 1, "MKL_NUM_THREADS": 1, "OPENBLAS_NUM_THREADS": 1},
}


class ClusterError(RuntimeError):
    """The cluster could not be started or reached (the message says why)."""


class Interrupted(BaseException):
    """Raised by the CLI's SIGTERM handler (Ctrl-C is KeyboardInterrupt); ``code`` is the exit code.
    Like KeyboardInterrupt, it is no ``Exception``: nothing that handles a scene's failure catches it."""

    def __init__(self, code: int):
        super().__init__(code)
        self.code = code


# ------------------------------------------------------------------------------------------ signals


@contextlib.contextmanager
def deferred_signals(second_goes_through: bool = False) -> Iterator[None]:
    """Hold SIGINT/SIGTERM while an output is replaced, the cluster starts or is shut down, then
    deliver them.  (Masking is not enough: dask's threads would receive the signal instead.)
    With ``second_goes_through``, a second signal is delivered at once (a start that hangs can
    still be interrupted)."""
    try:
        old = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
        caught: list[int] = []

        def hold(signum, frame):
            caught.append(signum)
            if second_goes_through and len(caught) > 1:
                caught.clear()  # delivered now, not again on the way out
                handler = old[signum]
                if callable(handler):
                    handler(signum, frame)
                elif handler == signal.SIG_DFL:
                    signal.signal(signum, signal.SIG_DFL)
                    signal.raise_signal(signum)

        for s in old:
            signal.signal(s, hold)
    except ValueError:  # not the main thread: nothing to defer
        yield
        return
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
        if caught:
            signal.raise_signal(caught[0])


# ------------------------------------------------------------------------------------------ cluster


def _our_worker_processes():
    """Processes started under this one by the local cluster (not multiprocessing's resource tracker)."""
    import psutil

    procs = []
    with contextlib.suppress(psutil.Error):
        for p in psutil.Process().children(recursive=True):
            with contextlib.suppress(psutil.Error):
                if "resource_tracker" not in " ".join(p.cmdline()):
                    procs.append(p)
    return procs


def _kill_leftovers(grace: float = 2.0) -> None:
    import psutil

    procs = _our_worker_processes()
    _, alive = psutil.wait_procs(procs, timeout=grace)
    for p in alive:
        with contextlib.suppress(psutil.Error):
            p.kill()
    psutil.wait_procs(alive, timeout=5)


def _quiet_resource_tracker() -> None:
    """Start multiprocessing's resource tracker without its warning about the semaphores of
    worker processes we killed (it cleans them up; the warning would only alarm)."""
    from multiprocessing import resource_tracker

    opt = "ignore:resource_tracker:UserWarning"
    sys.warnoptions.append(opt)
    try:
        resource_tracker.ensure_running()
    except Exception:  # noqa: BLE001 - only a warning is at stake
        pass
    finally:
        sys.warnoptions.remove(opt)


# ------------------------------------------------------------------------------------------ addresses, limits


#: the port of ``dask scheduler`` when an address names none
DEFAULT_PORT = 8786
#: seconds a remote scheduler has to answer (name resolution, connection, dask's handshake)
CONNECT_TIMEOUT = 10
#: a local worker's smallest memory limit: a dask worker with this preload takes about 65 MB before it
#: renders anything (measured: 64.8–66.5 MB of peak RSS, Python 3.11, distributed 2026.8), and the
#: nanny stops it at 95 % of its limit: below this it would be restarted forever without rendering
MIN_WORKER_MEMORY = 100 * 2**20
_HOST_LABEL = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$")


def parse_address(text: str) -> str:
    """The ``tcp://HOST:PORT`` a ``--cluster`` value names (``HOST:PORT`` and ``tcp://HOST`` are
    accepted, the port then being 8786); ValueError saying what is wrong, before anything
    connects.  Only tcp is supported (the schedulers this project documents)."""
    text = text.strip()
    if not text:
        raise ValueError("the address is empty")
    scheme, sep, rest = text.partition("://")
    if not sep:
        if ":" not in text:
            raise ValueError("no scheme and no port")
        scheme, rest = "tcp", text
    if scheme.lower() != "tcp":
        raise ValueError(f"{scheme}:// is not supported, only tcp://")
    if not rest:
        raise ValueError("no host after tcp://")
    bad = next((c for c in rest if c in "/?#@\\" or c.isspace() or not c.isprintable()), None)
    if bad is not None:
        raise ValueError(f"{bad!r} has no place in HOST:PORT")
    if rest.startswith("["):
        close = rest.find("]")
        if close < 0:
            raise ValueError("the IPv6 address lacks its closing ]")
        host, after = rest[1:close], rest[close + 1 :]
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise ValueError(f"{host!r} is not an IPv6 address") from None
        if after and not after.startswith(":"):
            raise ValueError(f"{after!r} after the IPv6 address is not :PORT")
        shown_host, port_text = f"[{host}]", (after[1:] if after else None)
    else:
        host, colon, port_text = rest.partition(":")
        if ":" in port_text:
            raise ValueError("an IPv6 address goes in brackets, e.g. tcp://[::1]:8786")
        if not host:
            raise ValueError("no host before the port")
        labels = host.rstrip(".").split(".")
        if len(host) > 253 or not all(_HOST_LABEL.match(label) for label in labels):
            raise ValueError(f"{host!r} is not a host name or an IP address")
        shown_host, port_text = host, (port_text if colon else None)
    if port_text is None:
        port = DEFAULT_PORT
    elif not port_text:
        raise ValueError("no port after ':'")
    elif not (port_text.isascii() and port_text.isdigit()):
        raise ValueError(f"{port_text!r} is not a port number")
    else:
        port = int(port_text)
        if not 1 <= port <= 65535:
            raise ValueError(f"port {port} is out of range (1–65535)")
    return f"tcp://{shown_host}:{port}"


def parse_memory_limit(text: str | int | None, total: int | None = None, cores: int | None = None) -> int | None:
    """Bytes per local worker for a ``--memory-limit`` value, as dask reads it ('2GiB', '600MB',
    a number of bytes, a fraction ≤ 1 of the machine's memory ``total``; 'auto': ``total`` shared
    by its ``cores``; 0: none); ValueError saying what is wrong, and for a limit a worker could
    not even start under (:data:`MIN_WORKER_MEMORY`)."""
    if total is None:
        import psutil

        total = psutil.virtual_memory().total
    value = str(text).strip() if text is not None else "0"
    if value == "auto":
        limit = int(total * min(1.0, 1 / (cores or os.cpu_count() or 1)))
    else:
        from dask.utils import parse_bytes

        try:
            number = float(value)
        except ValueError:
            try:
                number = float(parse_bytes(value))
            except (ValueError, TypeError, KeyError):
                raise ValueError("not a size: give one like 2GiB, 600MB, or 0 for no limit") from None
        if number != number or number < 0 or number == float("inf"):
            raise ValueError("not a size: give one like 2GiB, 600MB, or 0 for no limit")
        if number == 0:
            return None
        limit = int(number * total) if number <= 1 else int(number)
    if limit < MIN_WORKER_MEMORY:
        raise ValueError(f"{_mib(limit)} per worker is below what a worker needs to start: at least "
                         f"{_mib(MIN_WORKER_MEMORY)} (an idle worker takes about 65 MB; rendering a scene "
                         f"takes 200–460 MB at 720p30)")
    return limit


def _mib(n: int) -> str:
    return f"{n / 2**20:.0f} MiB" if n >= 2**20 else f"{n} bytes"


# ------------------------------------------------------------------------------------------ connect


def _quiet_dask_logs(verbose: bool) -> None:
    """Without -v, dask's own log lines (its connection errors, a closing cluster's complaints) and
    asyncio's (a task of dask's that failed while we stopped it) stay out of the terminal: what
    matters reaches the user as cnnviz's own one-line messages."""
    if verbose:
        return
    import distributed  # noqa: F401 - its import sets its loggers' levels: set ours after

    level = logging.CRITICAL + 1  # not even dask's "critical" complaints about a comm closed on the way out
    for name in ("distributed", "asyncio", "tornado"):
        logger = logging.getLogger(name)
        logger.setLevel(level)
        for handler in logger.handlers:
            handler.setLevel(level)
    for name in ("distributed.client", "distributed.core", "distributed.comm", "distributed.batched"):
        logging.getLogger(name).setLevel(level)


def check_scheduler(address: str, timeout: float = CONNECT_TIMEOUT) -> None:
    """Make sure a dask scheduler answers at ``address`` (from :func:`parse_address`) within
    ``timeout`` seconds in all: its name resolves, it accepts a connection, and it answers dask's
    handshake as a scheduler.  ClusterError with one line saying which step failed.  No dask
    ``Client`` exists yet, so nothing is left to time out or complain later."""
    import asyncio

    host, _, port = address.removeprefix("tcp://").rpartition(":")
    host = host.strip("[]")
    where = f"the dask scheduler at {address}"

    async def probe() -> None:
        from distributed.comm import connect as dask_connect

        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout

        def left() -> float:
            return max(0.1, deadline - loop.time())

        try:
            await asyncio.wait_for(loop.getaddrinfo(host, int(port), type=socket.SOCK_STREAM), left())
        except socket.gaierror as exc:
            raise ClusterError(f"cannot reach {where}: unknown host {host} ({exc.strerror})") from None
        except TimeoutError:
            raise ClusterError(f"cannot reach {where}: {host} could not be resolved within {timeout:g} s") from None
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)), left())
            writer.close()
        except TimeoutError:
            raise ClusterError(f"cannot reach {where}: no answer within {timeout:g} s") from None
        except OSError as exc:
            why = "connection refused (is `dask scheduler` running there?)" if isinstance(
                exc, ConnectionRefusedError) else (exc.strerror or str(exc))
            raise ClusterError(f"cannot reach {where}: {why}") from None
        try:
            comm = await asyncio.wait_for(dask_connect(address, timeout=left()), left())
            try:
                await asyncio.wait_for(comm.write({"op": "identity", "reply": True}), left())
                info = await asyncio.wait_for(comm.read(), left())
            finally:
                comm.abort()
        except Exception:  # noqa: BLE001 - a timeout, a closed connection, bytes that are not dask's
            raise ClusterError(f"{address} is not a dask scheduler: something answers there, but not dask's "
                               f"handshake within {timeout:g} s") from None
        kind = info.get("type") if isinstance(info, dict) else None
        if kind != "Scheduler":
            what = f"a dask {kind}" if isinstance(kind, str) else "not a dask scheduler"
            raise ClusterError(f"{address} is {printable(what, limit=40)}, not the scheduler: give the address "
                               "`dask scheduler` printed")

    try:
        asyncio.get_running_loop()
    except RuntimeError:  # the usual case: no event loop here
        asyncio.run(probe())
        return
    # called from a running event loop (a notebook): the probe gets its own, in a thread
    outcome: list[BaseException] = []

    def in_thread() -> None:
        try:
            asyncio.run(probe())
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            outcome.append(exc)

    thread = threading.Thread(target=in_thread, name="cnnviz-check-scheduler", daemon=True)
    thread.start()
    thread.join()
    if outcome:
        raise outcome[0]


@contextlib.contextmanager
def connect(jobs: int | None = None, address: str | None = None, memory_limit: str | int | None = "auto",
            verbose: bool = False, dashboard: bool = True):
    """Yield a dask ``Client`` (see the module doc); ``client.cnnviz_local`` says which kind.

    ClusterError (one line) if the cluster cannot be started or reached: a remote address is
    checked (:func:`parse_address`, :func:`check_scheduler`) before any dask client exists, and a
    memory limit (:func:`parse_memory_limit`) before any worker starts.  A signal while the
    local cluster starts is held until it has started, then stops it like any interruption."""
    _quiet_dask_logs(verbose)
    if address is not None:
        try:
            address = parse_address(address)
        except ValueError as exc:
            raise ClusterError(f"--cluster {printable(address, limit=200)}: {exc}") from None
        check_scheduler(address)
        from distributed import Client

        try:
            with deferred_signals(second_goes_through=True):
                client = Client(address, timeout=f"{CONNECT_TIMEOUT}s", set_as_default=False)
        except Exception as exc:  # noqa: BLE001 - OSError, TimeoutError, … (it answered a moment ago)
            raise ClusterError(f"cannot reach the dask scheduler at {address}: {printable(exc, limit=300)}") from None
        try:
            if not client.scheduler_info().get("workers"):
                try:
                    client.wait_for_workers(1, timeout=10)
                except TimeoutError as exc:
                    raise ClusterError(f"the scheduler at {address} has no workers: start some with "
                                       f"`dask worker --nthreads 1 {address}`") from exc
            client.cnnviz_local = False
            yield client
        finally:
            with deferred_signals():
                with contextlib.suppress(Exception):
                    client.close(timeout=5)
        return

    import dask
    from dask.system import CPU_COUNT
    from distributed import Client, LocalCluster
    from distributed.system import MEMORY_LIMIT

    try:  # as dask reads it (its memory total knows cgroup limits)
        limit = parse_memory_limit(memory_limit, MEMORY_LIMIT, CPU_COUNT)
    except ValueError as exc:
        raise ClusterError(f"--memory-limit {printable(memory_limit, limit=100)}: {exc}") from None
    _quiet_resource_tracker()
    with dask.config.set(DASK_CONFIG):
        quiet = logging.CRITICAL + 1 if not verbose else logging.WARNING
        cluster = None
        scratch = tempfile.mkdtemp(prefix=f"cnnviz-dask-{os.getpid()}-")  # the workers' own files, removed at the end
        before = _clusters()
        try:
            # a signal now would leave dask half started (its tasks failing unseen, an atexit error):
            # held until the cluster is up, then raised here and handled below (a second one goes through)
            with deferred_signals(second_goes_through=True):
                with warnings.catch_warnings():  # "Port 8787 is already in use": the link printed is the real one
                    warnings.filterwarnings("ignore", message="Port .* is already in use")
                    cluster = LocalCluster(
                        n_workers=jobs or os.cpu_count() or 1,
                        threads_per_worker=1,
                        processes=True,
                        memory_limit=limit if limit is not None else 0,
                        host="127.0.0.1",
                        dashboard_address=":8787" if dashboard else None,
                        preload=["cnnviz.engine.worker"],  # workers ignore SIGINT
                        silence_logs=quiet,
                        local_directory=scratch,
                    )
                client = Client(cluster, set_as_default=False)
        except BaseException as exc:
            with deferred_signals():
                if cluster is not None:
                    with contextlib.suppress(Exception):
                        cluster.close(timeout=5)
                _close_half_started_clusters(before)
                _kill_leftovers(grace=0)
                shutil.rmtree(scratch, ignore_errors=True)
            if isinstance(exc, Exception) and not isinstance(exc, Interrupted):
                raise ClusterError(f"could not start a local dask cluster: {printable(exc, limit=300)}") from exc
            raise
        client.cnnviz_local = True
        client.cnnviz_memory_limit = limit
        interrupted = False
        try:
            yield client
        except BaseException:
            interrupted = True
            raise
        finally:
            with deferred_signals():
                with contextlib.suppress(Exception):
                    client.close(timeout=5)
                if interrupted:  # do not wait for busy workers to finish their scene: kill them
                    _stop_workers_now(cluster)
                with contextlib.suppress(Exception):
                    cluster.close(timeout=10)
                _kill_leftovers()
                shutil.rmtree(scratch, ignore_errors=True)
                clean_stale_temp_dirs()  # scenes whose worker was killed cannot clean up themselves


def _clusters() -> set:
    """The dask clusters of this process (to tell the one a failed start made from a caller's own)."""
    with contextlib.suppress(Exception):
        from distributed.deploy.spec import SpecCluster

        return set(SpecCluster._instances)
    return set()


def _close_half_started_clusters(before: set) -> None:
    """A ``LocalCluster`` whose start failed was never returned to us, but dask's atexit hook would
    still try to close it (and fail loudly): close it now, quietly (only one made since ``before``)."""
    for cluster in _clusters() - before:
        with contextlib.suppress(Exception):
            cluster.close(timeout=5)
        with contextlib.suppress(Exception):
            cluster.shutdown_on_close = False  # nothing left for dask's atexit hook


def _stop_workers_now(cluster) -> None:
    """Tell every nanny not to restart its worker, then SIGKILL the worker processes."""
    import psutil

    async def no_restarts():
        for nanny in list(cluster.workers.values()):
            with contextlib.suppress(Exception):
                nanny.close_gracefully(reason="cnnviz-interrupted")

    pids = []
    with contextlib.suppress(Exception):
        cluster.sync(no_restarts)
        pids = [n.process.pid for n in cluster.workers.values() if getattr(n, "process", None) and n.process.pid]
    procs = []
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            p = psutil.Process(pid)
            procs += [p, *p.children(recursive=True)]
    for p in procs:
        with contextlib.suppress(psutil.Error):
            p.kill()
    psutil.wait_procs(procs, timeout=5)


# ------------------------------------------------------------------------------------------ outputs


def _write_log(plan: Plan, task: Task, lines: list[str]) -> None:
    """Write ``DIR/logs/<Name>.log``; a log that cannot be written (a full disk) is said in the error."""
    log = plan.out / LOG_DIR_NAME / f"{task.label}.log"
    try:
        atomic_write_text(log, "\n".join(lines) + "\n")
        task.log = log
    except OSError as exc:
        task.log = None
        task.error += f"; its log could not be written ({_why(exc)})"


def _why(exc: OSError) -> str:
    return f"[Errno {exc.errno}] {exc.strerror}" if exc.errno and exc.strerror else str(exc)


def _display(path: Path) -> str:
    with contextlib.suppress(ValueError):
        return str(path.relative_to(Path.cwd()))
    return str(path)


def _record_ok(plan: Plan, manifest: Manifest, task: Task, result: RenderResult, verbose: bool) -> None:
    assert result.data is not None
    try:
        files = _write_deck_files(task.output.parent, result.files) if result.files else None
        write_output(task.output, result.data)
    except OSError as exc:  # a full disk, a folder that went away, …: this scene fails, the run goes on
        result.error = f"cannot write {_display(task.output)}: {_why(exc)}"
        result.traceback = ""
        _record_failed(plan, task, result, verbose)
        return
    task.status = "ok"
    task.size = len(result.data) + sum(len(d) for d in result.files.values())
    with contextlib.suppress(OSError):
        (plan.out / LOG_DIR_NAME / f"{task.label}.log").unlink()
    manifest.record(task.rel, {
        "scene": task.spec.name,
        "chapter": task.spec.chapter,
        "section": task.spec.section,
        "key": task.key,
        "bytes": len(result.data),
        "sha256": sha256_bytes(result.data),
        "seconds": task.seconds,
        "peak_rss_mb": task.peak_rss_mb,
        "worker_peak_rss_mb": result.worker_peak_rss_mb,
        "worker": task.worker,
        "import_seconds": result.import_seconds,
        "rendered_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        **plan.options.as_dict(),
        **{k: result.stats[k] for k in ("frames_in", "frames_written", "palette_colors", "local_tables",
                                              "gif_tolerance", "gif_psnr_db", "gif_colour_psnr_db", "gif_colors_used",
                                              "palette_psnr_db", "beats") if k in result.stats},
        **({"files": files} if files is not None else {}),
        **_variant_fields(task),
    })
    try:
        manifest.save()
    except OSError as exc:  # the output is complete; without its entry it is only rendered again next time
        note = f"the manifest could not be saved ({_why(exc)}): rendered again next run"
        plan.notes.setdefault(note, []).append(task.spec.name)
    while manifest.notes:  # a manifest damaged during the run, set aside by save()
        plan.notes.setdefault(manifest.notes.pop(0), [])


def _write_deck_files(folder: Path, files: dict[str, bytes]) -> dict[str, list]:
    """Write a slides job's clips and posters under ``folder`` (each atomically), remove the clips and
    posters of an earlier render that this one no longer has; return ``{rel: [bytes, sha256]}``."""
    written = {}
    for rel, data in sorted(files.items()):
        write_output(folder / rel, data)
        written[rel] = [len(data), sha256_bytes(data)]
    for sub in {Path(rel).parts[0] for rel in files if len(Path(rel).parts) > 1}:
        for old in (folder / sub).glob("*"):
            if old.is_file() and not old.name.startswith(".") and f"{sub}/{old.name}" not in files:
                with contextlib.suppress(OSError):
                    old.unlink()
    return written


def _variant_fields(task: Task) -> dict:
    """What the manifest records of a custom render: its values, photo files (``photos``: by SHA-256) and suffix."""
    if not task.suffix:
        return {}
    from cnnviz.params import to_json

    return {"variant": task.suffix, "values": {k: to_json(v) for k, v in task.values.items()},
            "photos": {path: sha256_bytes(data) for path, data in task.files.items()}}


def _record_failed(plan: Plan, task: Task, result: RenderResult, verbose: bool, from_worker: bool = True) -> None:
    """Mark ``task`` failed and write its log.  Without -v, the end of a scene's own traceback (or
    output) is also shown; a failure of the engine's (``from_worker=False``: a lost scheduler, …)
    is said by the one-line error, its client-side traceback going to the log only."""
    task.status = "failed"
    task.error = result.error or "failed"
    lines = [f"scene {task.spec.name} ({task.spec.module_name}) failed: {task.error}",
             f"worker {task.worker or '?'}, {task.seconds} s", ""]
    if result.traceback:
        lines += ["Traceback from the worker:" if from_worker else "Traceback (on this machine):",
                  result.traceback.rstrip(), ""]
    if result.output:
        lines += ["Output of the scene:", result.output.rstrip(), ""]
    _write_log(plan, task, lines)
    if from_worker and not verbose and (result.traceback or result.output):
        tail = "\n".join(printable(line) for line in (result.traceback or result.output).rstrip().splitlines()[-25:])
        sys.stderr.write(f"--- {printable(task.spec.name)} (worker traceback, last lines) ---\n{tail}\n")
        sys.stderr.flush()


# ------------------------------------------------------------------------------------------ attempts

#: how many times a scene is really started when its worker dies (one retry), counted by cnnviz:
#: dask's own count (``allowed-failures``) also counts a scene that was only queued on a dying worker
MAX_TRIES = 2
#: how many more times a scene may be submitted when dask gave up on it although it did not die
#: while rendering (it was only queued on a dying worker): a bound, in case workers keep dying
MAX_RESUBMITS = 3
@dataclasses.dataclass
class _Try:
    worker: str
    pid: int
    host: str
    died: str = ""  # why its worker died ('' while it runs, or when it did not die)
    ended: bool = False  # the render ended (its result may still be lost with its worker)


@dataclasses.dataclass
class _Tries:
    """What cnnviz knows of one task's real attempts (from the workers' own announcements)."""

    task: Task
    tries: list[_Try] = dataclasses.field(default_factory=list)
    resubmits: int = 0
    done: bool = False

    @property
    def deaths(self) -> list[str]:
        """Why its worker died, for each try that a worker's death ended."""
        return [t.died for t in self.tries if t.died]

    @property
    def given_up(self) -> bool:
        """Its worker died during :data:`MAX_TRIES` of its tries."""
        return len(self.deaths) >= MAX_TRIES


class _Attempts:
    """Follows real attempts and worker deaths through the scheduler's events: a worker announces
    each scene it really starts (:data:`cnnviz.engine.worker.ATTEMPT_TOPIC`), the scheduler says
    when a worker is removed, the nanny when it stopped one over its memory limit."""

    TOPICS = (ATTEMPT_TOPIC, "all", "worker-restart-memory")

    def __init__(self, client, by_key: dict, say: Callable[[str], None]):
        self.client, self.by_key, self.say = client, by_key, say
        self.of: dict[int, _Tries] = {}
        self.events: queue.SimpleQueue = queue.SimpleQueue()
        self.memory: dict[str, dict] = {}  # worker address → the nanny's "worker-restart-memory" event
        for topic in self.TOPICS:
            with contextlib.suppress(Exception):
                client.subscribe_topic(topic, lambda event, topic=topic: self.events.put((topic, event[1])))

    def __call__(self, task: Task) -> _Tries:
        return self.of.setdefault(id(task), _Tries(task))

    def update(self, on_start: Callable[[Task], None]) -> None:
        """Handle the events received so far, in their order."""
        while True:
            try:
                topic, msg = self.events.get_nowait()
            except queue.Empty:
                break
            if not isinstance(msg, dict):
                continue
            if topic == ATTEMPT_TOPIC:
                self._started(msg, on_start)
            elif topic == "worker-restart-memory" and msg.get("worker"):
                self.memory[msg["worker"]] = msg
            elif topic == "all" and msg.get("action") == "remove-worker" and msg.get("worker"):
                self._died(msg["worker"])

    def close(self) -> None:
        """Stop the events (before the client closes: the scheduler would complain of a closed comm)."""
        for topic in self.TOPICS:
            with contextlib.suppress(Exception):
                self.client.unsubscribe_topic(topic)

    def _started(self, msg: dict, on_start: Callable[[Task], None]) -> None:
        task = self.by_key.get(msg.get("key"))
        if task is None:
            return
        state = self(task)
        if state.done:
            return
        worker = str(msg.get("worker", ""))
        if msg.get("what") == "end":
            for t in reversed(state.tries):
                if t.worker == worker and not t.died:
                    t.ended = True
                    break
            return
        before = state.tries[-1] if state.tries else None
        state.tries.append(_Try(worker, int(msg.get("pid") or 0), str(msg.get("host", ""))))
        name, where = printable(task.spec.name), _short(worker)
        if before is not None and before.ended:  # its file was lost with the worker holding it
            self.say(f"rendering {name} again on worker {where}: the worker holding its finished file died")
        elif before is not None:
            n = len(state.deaths) + 1
            self.say(f"retrying {name} on worker {where} (try {n} of {max(n, MAX_TRIES)})")
        if task.status == "pending":
            task.status = "running"
            on_start(task)

    def _died(self, worker: str) -> None:
        """``worker`` was removed: a try of an unfinished scene that was rendering there is over."""
        why = None
        for state in self.of.values():
            for t in state.tries:
                if state.done or t.died or t.ended or t.worker != worker:
                    continue
                t.died = why = why or self._why(worker)
                n = len(state.deaths)
                then = "it will be retried on another worker" if n < MAX_TRIES else "it is not retried again"
                self.say(f"worker {_short(worker)} (pid {t.pid}) {t.died} while rendering "
                         f"{printable(state.task.spec.name)} (try {n}): {then}")

    def _why(self, worker: str) -> str:
        event = self.memory.get(worker)
        if event is None:  # not received yet? ask the scheduler once
            with contextlib.suppress(Exception):
                for _, e in self.client.get_events("worker-restart-memory"):
                    if isinstance(e, dict) and e.get("worker"):
                        self.memory[e["worker"]] = e
            event = self.memory.get(worker)
        if event is None:
            return "died (killed by a signal, or it crashed)"
        limit = _memory_limit(self.client, worker)
        limit_txt = f", limit {limit / 2**20:.0f} MB" if limit else ""
        return f"went over the memory limit ({event.get('rss', 0) / 2**20:.0f} MB used{limit_txt})"


def _short(worker: str) -> str:
    return printable(worker.removeprefix("tcp://"))


def _memory_limit(client, worker: str) -> int | None:
    limit = getattr(client, "cnnviz_memory_limit", None)  # the local cluster's, in bytes
    if limit is None:
        with contextlib.suppress(Exception):
            limit = client.scheduler_info()["workers"][worker]["memory_limit"]
    return limit or None


def _killed_result(task: Task, state: _Tries, exc: BaseException | None) -> RenderResult:
    """A result for a scene whose worker died on every real try: say why each died."""
    deaths = state.deaths or ["died (killed by a signal, or it crashed)"]
    memory = [d for d in deaths if d.startswith("went over the memory limit")]
    if len(state.deaths) >= MAX_TRIES and len(memory) == len(deaths):
        why = f"stopped: its worker went over the memory limit on both tries ({memory[-1].partition('(')[2]}"
    elif len(state.deaths) >= MAX_TRIES and not memory:
        why = "the worker rendering it died on both tries (killed by a signal, or it crashed)"
    elif len(state.deaths) >= MAX_TRIES:
        why = f"the worker rendering it died on both tries: first it {deaths[0]}, then it {deaths[-1]}"
    else:
        n = len(state.tries)
        why = (f"its workers kept dying before it could render (it started {n} time{'s' if n != 1 else ''} "
               f"in {state.resubmits + 1} submissions; last: {deaths[-1]})")
    tries = [f"try {i}: worker {t.worker} (pid {t.pid}) {t.died or ('ended' if t.ended else 'did not end')}"
             for i, t in enumerate(state.tries, 1)]
    last = getattr(getattr(exc, "last_worker", None), "address", "") or (state.tries[-1].worker if state.tries else "")
    told = ([f"{type(exc).__name__}: {exc}"] if exc is not None else
            ["(stopped by cnnviz after its worker died on both tries; the scheduler would have retried it)"])
    return RenderResult(scene=task.spec.name, error=why, host=last, traceback="\n".join([*tries, *told]))


def _engine_result(task: Task, exc: BaseException, client) -> RenderResult:
    """A result for a scene that failed in the engine, not in its own code (one line, no newline)."""
    import traceback

    if type(exc).__name__ == "FutureCancelledError" and getattr(exc, "reason", "") == "scheduler-connection-lost":
        where = getattr(client, "scheduler", None)
        address = getattr(where, "address", "") or "the scheduler"
        error = (f"the connection to the dask scheduler at {address} was lost (did the scheduler stop?): "
                 "not rendered")
    else:
        error = " ".join(f"{type(exc).__name__}: {exc}".split())
    return RenderResult(scene=task.spec.name, error=error, traceback="".join(traceback.format_exception(exc)))


# ------------------------------------------------------------------------------------------ run


def make_job(plan: Plan, task: Task, verbose: bool) -> RenderJob:
    return RenderJob(
        scene=task.spec.name,
        module=task.spec.module_name,
        quality=plan.options.quality,
        fmt=plan.options.fmt,
        transparent=plan.options.transparent,
        gif_colors=plan.options.gif_colors,
        verbose=verbose,
        theme=plan.options.theme,
        kind=plan.options.kind,
        sys_path=(str(ROOT),),
        expected_files={**plan.ctx.worker_files(), **task.modules},
        versions={k: v for k, v in plan.ctx.versions.items() if k != "pipeline"},
        values=dict(task.values),
        files=dict(task.files),
        module_file=task.spec.path,
    )


def run(plan: Plan, manifest: Manifest, client, *, verbose: bool = False,
        on_start: Callable[[Task], None] = lambda task: None,
        on_done: Callable[[Task], None] = lambda task: None,
        on_event: Callable[[str], None] = lambda line: None) -> None:
    """Render ``plan.todo`` on ``client``'s cluster; each task ends ``ok`` or ``failed``
    (or ``interrupted`` when this raises KeyboardInterrupt / Interrupted).

    A scene whose worker dies is tried again once (:data:`MAX_TRIES`), counting the times it
    really started; ``on_event`` gets one line as a worker dies and one as the retry starts."""
    from distributed import as_completed

    futures: dict = {}
    by_key: dict = {}
    order = len(plan.todo)
    priority = {}
    attempts = _Attempts(client, by_key, on_event)  # subscribed before anything can start

    def submit(task: Task):
        key = f"{task.spec.name}-{uuid.uuid4().hex[:8]}"
        fut = client.submit(render_scene, make_job(plan, task, verbose), key=key, pure=False,
                            priority=priority[id(task)])
        futures[fut] = task
        by_key[key] = task
        return fut

    for i, task in enumerate(plan.todo):  # longest first: the highest priority
        priority[id(task)] = order - i
        submit(task)
    pending = set(futures)
    finished = as_completed(list(futures), loop=client.loop)
    started = time.monotonic()

    def finish(task: Task, result: RenderResult, from_worker: bool = True) -> None:
        attempts(task).done = True
        task.seconds = result.seconds
        task.peak_rss_mb = result.peak_rss_mb
        task.worker = result.host or task.worker
        with deferred_signals():
            if result.status == "ok" and result.data is not None:
                _record_ok(plan, manifest, task, result, verbose)
            else:
                _record_failed(plan, task, result, verbose, from_worker=from_worker)
        on_done(task)

    try:
        while pending:
            attempts.update(on_start)
            for state in list(attempts.of.values()):
                # a remote scheduler may allow more retries than cnnviz's one (the local one allows none)
                if state.given_up and not state.done and not getattr(client, "cnnviz_local", False):
                    gone = [f for f in pending if futures[f] is state.task]
                    pending.difference_update(gone)
                    with contextlib.suppress(Exception):
                        client.cancel(gone, force=True)
                    for f in gone:
                        futures.pop(f, None)
                    result = _killed_result(state.task, state, None)
                    result.seconds = round(time.monotonic() - started, 2)
                    finish(state.task, result, from_worker=False)
            if not finished.has_ready():
                time.sleep(0.05)  # soon after a scene ends, its file is fetched (and no longer on its worker)
                continue
            for fut in finished.next_batch(block=False):
                if fut not in pending:  # given up above
                    continue
                pending.discard(fut)
                task = futures.pop(fut)
                from_worker = True
                try:
                    result = fut.result()
                except Exception as exc:  # noqa: BLE001 - KilledWorker, or the engine's own failure
                    if type(exc).__name__ == "KilledWorker":
                        attempts.update(on_start)
                        state = attempts(task)
                        if state.done:
                            continue
                        if len(state.deaths) < MAX_TRIES and state.resubmits < MAX_TRIES - 1 + MAX_RESUBMITS:
                            # the retry after a death during a real try, or dask gave up on a scene that
                            # was only queued on a dying worker: submitted again (a new key)
                            state.resubmits += 1
                            again = submit(task)
                            pending.add(again)
                            finished.add(again)
                            continue
                        result = _killed_result(task, state, exc)
                        from_worker = False  # its deaths were told as they happened
                    else:
                        result = _engine_result(task, exc, client)
                        from_worker = False
                    result.seconds = round(time.monotonic() - started, 2)
                finally:
                    # its result is here: dask must not compute it again if the worker holding it dies
                    with contextlib.suppress(Exception):
                        fut.release()
                finish(task, result, from_worker)
    except BaseException:
        with deferred_signals():
            with contextlib.suppress(Exception):
                client.cancel(list(pending), force=True)
            for fut in pending:
                task = futures[fut]
                task.status = "interrupted" if task.status == "running" else "not started"
        raise
    finally:
        attempts.close()


def run_in_process(plan: Plan, manifest: Manifest, *, verbose: bool = False, cancel=None,
                   on_start: Callable[[Task], None] = lambda task: None,
                   on_done: Callable[[Task], None] = lambda task: None) -> None:
    """Render ``plan.todo`` one after the other in this process, without dask (the Python and
    Jupyter API: no cluster to start, Manim imported once).  Same jobs, same worker function,
    same atomic outputs and manifest as :func:`run`.  ``cancel`` (a ``threading.Event``) stops
    the scene being rendered at its next animation: that task ends ``cancelled`` (no log)."""
    started = time.monotonic()
    for task in plan.todo:
        if cancel is not None and cancel.is_set():
            task.status = "cancelled"
            continue
        task.status = "running"
        on_start(task)
        result = render_scene(make_job(plan, task, verbose), cancel=cancel)
        task.seconds = result.seconds or round(time.monotonic() - started, 2)
        task.peak_rss_mb = result.peak_rss_mb
        task.worker = result.host
        if result.status != "ok" and result.error == "cancelled":
            task.status = "cancelled"
        elif result.status == "ok" and result.data is not None:
            _record_ok(plan, manifest, task, result, verbose)
        else:
            _record_failed(plan, task, result, verbose)
        on_done(task)
