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

Reliability, from dask's scheduler (configured in :data:`DASK_CONFIG` for the
local cluster): a scene whose worker dies (SIGKILL, a crash, or the nanny
stopping it above the per-worker memory limit) is retried once on a live worker;
if that worker dies too, the scene fails with ``KilledWorker`` and a log saying
why, while the other scenes go on.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

from cnnviz.engine.manifest import Manifest
from cnnviz.engine.plan import ROOT, Plan, Task
from cnnviz.engine.outputs import sha256_bytes, write_output
from cnnviz.engine.worker import RenderJob, RenderResult, render_scene
from cnnviz.files import atomic_write_text, clean_stale_temp_dirs

__all__ = ["DASK_CONFIG", "ClusterError", "Interrupted", "connect", "run", "LOG_DIR_NAME"]

LOG_DIR_NAME = "logs"

#: dask settings of the local cluster (a remote scheduler keeps its own: see the README)
DASK_CONFIG = {
    # a scene whose worker dies is retried once on another worker, then reported failed
    "distributed.scheduler.allowed-failures": 1,
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


class Interrupted(Exception):
    """Raised by the CLI's SIGTERM handler (Ctrl-C is KeyboardInterrupt); ``code`` is the exit code."""

    def __init__(self, code: int):
        super().__init__(code)
        self.code = code


# ------------------------------------------------------------------------------------------ signals


@contextlib.contextmanager
def deferred_signals() -> Iterator[None]:
    """Hold SIGINT/SIGTERM while an output is replaced or the cluster is shut down, then deliver
    them.  (Masking is not enough: dask's threads would receive the signal instead.)"""
    try:
        old = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
        caught: list[int] = []
        for s in old:
            signal.signal(s, lambda signum, frame: caught.append(signum))
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


@contextlib.contextmanager
def connect(jobs: int | None = None, address: str | None = None, memory_limit: str | int | None = "auto",
            verbose: bool = False, dashboard: bool = True):
    """Yield a dask ``Client`` (see the module doc); ``client.cnnviz_local`` says which kind."""
    import dask
    from distributed import Client, LocalCluster

    quiet = logging.CRITICAL if not verbose else logging.WARNING
    if address:
        try:
            client = Client(address, timeout="10s", set_as_default=False)
        except Exception as exc:  # noqa: BLE001 - OSError, TimeoutError, ValueError for a bad address, …
            raise ClusterError(f"cannot reach the dask scheduler at {address}: {exc}") from exc
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
                client.close(timeout=5)
        return

    _quiet_resource_tracker()
    with dask.config.set(DASK_CONFIG):
        if not verbose:
            logging.getLogger("distributed").setLevel(quiet)
        cluster = None
        scratch = tempfile.mkdtemp(prefix=f"cnnviz-dask-{os.getpid()}-")  # the workers' own files, removed at the end
        try:
            with warnings.catch_warnings():  # "Port 8787 is already in use": the link printed is the real one
                warnings.filterwarnings("ignore", message="Port .* is already in use")
                cluster = LocalCluster(
                    n_workers=jobs or os.cpu_count() or 1,
                    threads_per_worker=1,
                    processes=True,
                    memory_limit=memory_limit,
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
                _kill_leftovers(grace=0)
                shutil.rmtree(scratch, ignore_errors=True)
            if isinstance(exc, Exception):
                raise ClusterError(f"could not start a local dask cluster: {exc}") from exc
            raise
        client.cnnviz_local = True
        with contextlib.suppress(Exception):
            from distributed.worker_memory import parse_memory_limit

            client.cnnviz_memory_limit = parse_memory_limit(memory_limit, 1, logger=logging.getLogger("distributed"))
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
    log = plan.out / LOG_DIR_NAME / f"{task.spec.name}.log"
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
        (plan.out / LOG_DIR_NAME / f"{task.spec.name}.log").unlink()
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
        **{k: result.stats[k] for k in ("frames_in", "frames_written", "palette_colors", "beats") if k in result.stats},
        **({"files": files} if files is not None else {}),
    })
    try:
        manifest.save()
    except OSError as exc:  # the output is complete; without its entry it is only rendered again next time
        note = f"the manifest could not be saved ({_why(exc)}): rendered again next run"
        plan.notes.setdefault(note, []).append(task.spec.name)


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


def _record_failed(plan: Plan, task: Task, result: RenderResult, verbose: bool) -> None:
    task.status = "failed"
    task.error = result.error or "failed"
    lines = [f"scene {task.spec.name} ({task.spec.module_name}) failed: {task.error}",
             f"worker {task.worker or '?'}, {task.seconds} s", ""]
    if result.traceback:
        lines += ["Traceback from the worker:", result.traceback.rstrip(), ""]
    if result.output:
        lines += ["Output of the scene:", result.output.rstrip(), ""]
    _write_log(plan, task, lines)
    if not verbose and (result.traceback or result.output):
        tail = "\n".join((result.traceback or result.output).rstrip().splitlines()[-25:])
        sys.stderr.write(f"--- {task.spec.name} (worker traceback, last lines) ---\n{tail}\n")
        sys.stderr.flush()


def _killed_result(task: Task, exc: BaseException, client) -> RenderResult:
    """A result for a scene whose workers died: say whether the memory limit stopped them."""
    last = getattr(getattr(exc, "last_worker", None), "address", "") or ""
    memory = []
    with contextlib.suppress(Exception):
        memory = [e for _, e in client.get_events("worker-restart-memory") if e.get("worker") == last]
    limit = getattr(client, "cnnviz_memory_limit", None)  # the local cluster's, in bytes
    if limit is None:
        with contextlib.suppress(Exception):
            limit = client.scheduler_info()["workers"][last]["memory_limit"]
    if memory:
        rss = max(e.get("rss", 0) for e in memory) / 2**20
        limit_txt = f", limit {limit / 2**20:.0f} MB" if limit else ""
        why = f"stopped: its worker went over the memory limit on both tries ({rss:.0f} MB used{limit_txt})"
    else:
        why = "the worker rendering it died on both tries (killed by a signal, or it crashed)"
    return RenderResult(scene=task.spec.name, error=why, traceback=f"{type(exc).__name__}: {exc}", host=last)


# ------------------------------------------------------------------------------------------ run


def make_job(plan: Plan, task: Task, verbose: bool) -> RenderJob:
    return RenderJob(
        scene=task.spec.name,
        module=task.spec.module_name,
        quality=plan.options.quality,
        fmt=plan.options.fmt,
        transparent=plan.options.transparent,
        verbose=verbose,
        theme=plan.options.theme,
        kind=plan.options.kind,
        sys_path=(str(ROOT),),
        expected_files={**plan.ctx.worker_files(), **task.modules},
        versions={k: v for k, v in plan.ctx.versions.items() if k != "pipeline"},
    )


def run(plan: Plan, manifest: Manifest, client, *, verbose: bool = False,
        on_start: Callable[[Task], None] = lambda task: None,
        on_done: Callable[[Task], None] = lambda task: None) -> None:
    """Render ``plan.todo`` on ``client``'s cluster; each task ends ``ok`` or ``failed``
    (or ``interrupted`` when this raises KeyboardInterrupt / Interrupted)."""
    from distributed import as_completed

    futures = {}
    order = len(plan.todo)
    for i, task in enumerate(plan.todo):  # longest first: the highest priority
        key = f"{task.spec.name}-{uuid.uuid4().hex[:8]}"
        fut = client.submit(render_scene, make_job(plan, task, verbose), key=key, pure=False, priority=order - i)
        futures[fut] = task
    pending = set(futures)
    by_key = {f.key: t for f, t in futures.items()}
    finished = as_completed(futures, loop=client.loop)
    started = time.monotonic()
    try:
        while pending:
            if not finished.has_ready():
                _note_running(client, by_key, on_start)
                time.sleep(0.2)
                continue
            for fut in finished.next_batch(block=False):
                pending.discard(fut)
                task = futures[fut]
                try:
                    result = fut.result()
                except Exception as exc:  # noqa: BLE001 - KilledWorker, or the engine's own failure
                    if type(exc).__name__ == "KilledWorker":
                        result = _killed_result(task, exc, client)
                    else:
                        import traceback

                        result = RenderResult(scene=task.spec.name, error=f"{type(exc).__name__}: {exc}",
                                              traceback="".join(traceback.format_exception(exc)))
                    result.seconds = round(time.monotonic() - started, 2)
                task.seconds = result.seconds
                task.peak_rss_mb = result.peak_rss_mb
                task.worker = result.host or task.worker
                with deferred_signals():
                    if result.status == "ok" and result.data is not None:
                        _record_ok(plan, manifest, task, result, verbose)
                    else:
                        _record_failed(plan, task, result, verbose)
                on_done(task)
    except BaseException:
        with deferred_signals():
            with contextlib.suppress(Exception):
                client.cancel(list(pending), force=True)
            for fut in pending:
                task = futures[fut]
                task.status = "interrupted" if task.status == "running" else "not started"
        raise


def _note_running(client, by_key: dict, on_start) -> None:
    with contextlib.suppress(Exception):
        for keys in client.processing().values():
            for key in keys:
                task = by_key.get(key)
                if task is not None and task.status == "pending":
                    task.status = "running"
                    on_start(task)
