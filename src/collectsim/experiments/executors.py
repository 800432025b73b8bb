"""Swappable ways to run many independent jobs: in-process, on local processes or on a Dask cluster.

Experiments (replications, comparisons, sweeps) hand a job function and a list of items to one small
interface, :class:`Executor`, and get ``(index, result)`` pairs back as the jobs finish. The executor
decides only *where* a job runs, never *what* it computes: each job carries its own seed, so every
executor returns bit-identical results and the caller puts them back in order by index.

* :class:`SequentialExecutor` runs in-process, in order: the default for one worker, for debugging and
  for tests.
* :class:`ProcessExecutor` uses a local process pool. It is the one to prefer on a single machine:
  on 2 cores it costs ~0.3 ms per task and little to start, against ~1 s start and 2.9 ms per task for
  a local Dask cluster (measured on a 2-core machine; `benchmarks/sweep.py` repeats the comparison).
* :class:`DaskExecutor` runs on a Dask cluster, local or remote; it only pays off on several machines.
  ``dask[distributed]`` is an optional extra and is imported only when this executor is built.

Jobs run in other processes, so ``fn`` and every item must be picklable: ``fn`` must be a top-level
function (or a ``functools.partial`` of one) importable by module path in the worker, not a lambda,
closure or function defined in ``__main__`` of an interactive session.

Workers are forked from multiprocessing's *fork server* where the platform has one (Linux, macOS),
else started with ``spawn``; never with plain ``fork``, which is unsafe when the parent has threads.
The fork server is a fresh, single-threaded interpreter that imports the engine once
(:data:`PRELOAD`); each worker is a copy of it, so a worker is ready in milliseconds instead of
paying ~1.3 s of CPU for numpy, scipy, pandas and the engine (measured by `benchmarks/targets.py
--only sweep`). The server lives as long as this process, so later pools reuse it. This module has
no import-time side effects; in particular it never calls ``set_start_method``.

Any executor is a context manager; leaving the ``with`` block closes it. If a job raises, or the caller
is interrupted (``KeyboardInterrupt``) or stops iterating, the jobs not yet started are cancelled and a
process pool's workers are stopped at once (their results are no longer wanted); a job's exception
reaches the caller with its own type.

Workers die with their parent: pool workers run :func:`lifeline.die_with_parent` as their initializer,
and the workers of a local Dask cluster are watched by ``distributed`` itself (each exits when the pipe
from its parent closes), so a ``kill -9`` of collectsim leaves no process behind.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar, runtime_checkable

from collectsim.errors import CollectsimError
from collectsim.experiments.lifeline import die_with_parent

__all__ = ["DaskExecutor", "Executor", "ProcessExecutor", "SequentialExecutor", "make_executor"]

T = TypeVar("T")
R = TypeVar("R")

DASK_MISSING = "--dask needs the optional 'dask' extra: pip install 'collectsim[dask]'"


@runtime_checkable
class Executor(Protocol):
    """Runs independent jobs ``fn(item)`` and yields their results as they finish."""

    workers: int

    def map_unordered(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[tuple[int, R]]:
        """Yield (index into items, fn(item)) as each job finishes, in completion order."""
        ...

    def close(self) -> None:
        """Release the workers; the executor cannot be used afterwards."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...


def _check_workers(workers: object) -> int:
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be an integer >= 1 (1 = in-process, more = parallel), got {workers!r}")
    return workers


class _ContextManager:
    """Context-manager support shared by the executors: leaving the block calls ``close()``."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class SequentialExecutor(_ContextManager):
    """Runs every job in this process, one after another, in the order of the items."""

    workers = 1

    def map_unordered(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[tuple[int, R]]:
        """Yield (index, fn(item)) for each item in order; a job's exception propagates unchanged."""
        for i, item in enumerate(items):
            yield i, fn(item)

    def close(self) -> None:
        """Nothing to release."""

    def __repr__(self) -> str:
        return "SequentialExecutor()"


PRELOAD = ["collectsim.experiments.runner"]
"""Modules the fork server imports once for all workers: the job function and the engine behind it."""


def _worker_context() -> multiprocessing.context.BaseContext:
    """The fork server where there is one (its workers start warm), else ``spawn``."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["__main__", *PRELOAD])
    return ctx


class ProcessExecutor(_ContextManager):
    """Runs jobs on a pool of local worker processes (``concurrent.futures``), forked warm.

    The pool starts on first use. After a failed or interrupted map the pool is shut down without
    waiting, and the next map starts a fresh one.
    """

    def __init__(self, workers: int | None = None) -> None:
        self.workers = _check_workers((os.cpu_count() or 1) if workers is None else workers)
        self._pool: ProcessPoolExecutor | None = None
        self._closed = False

    def _get_pool(self) -> ProcessPoolExecutor:
        if self._closed:
            raise RuntimeError("ProcessExecutor is closed")
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=_worker_context(),
                initializer=die_with_parent,
                initargs=(os.getpid(),),
            )
        return self._pool

    def map_unordered(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[tuple[int, R]]:
        """Yield (index, fn(item)) as each job finishes; ``fn`` and items must be picklable."""
        pool = self._get_pool()
        futures: dict[Future[R], int] = {}
        try:
            for i, item in enumerate(items):
                futures[pool.submit(fn, item)] = i
            for fut in as_completed(futures):
                yield futures[fut], fut.result()
        except BaseException:  # job error, KeyboardInterrupt, or the caller stopped iterating
            _stop_now(pool)
            self._pool = None
            raise

    def close(self) -> None:
        """Wait for running jobs, then stop the worker processes."""
        self._closed = True
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __repr__(self) -> str:
        return f"ProcessExecutor(workers={self.workers})"


def _stop_now(pool: ProcessPoolExecutor) -> None:
    """Stop the pool without waiting for running jobs (their results are no longer wanted).

    The workers are terminated first; the pool then fails every future still open with BrokenProcessPool,
    which nobody reads. Futures are not cancelled beforehand: on Python 3.11 the pool's manager thread
    would then try to fail a cancelled future and print an InvalidStateError traceback.
    """
    terminate = getattr(pool, "terminate_workers", None)  # Python 3.14+
    if terminate is not None:
        terminate()
        return
    for proc in list((getattr(pool, "_processes", None) or {}).values()):
        if proc.is_alive():
            proc.terminate()
    pool.shutdown(wait=False)


class DaskExecutor(_ContextManager):
    """Runs jobs on a Dask cluster: a fresh local one (``address="local"``) or an existing scheduler.

    With ``"local"`` a ``LocalCluster`` of ``workers`` single-threaded worker processes is started and
    closed by :meth:`close`. Otherwise ``address`` (e.g. ``"tcp://host:8786"``) names a running
    scheduler, ``workers`` is ignored and set to the number of workers the scheduler reports, and
    :meth:`close` only disconnects. ``timeout`` bounds connecting to the scheduler (seconds or a Dask
    duration string such as ``"2s"``). On a remote cluster the job function's module must be
    importable on the workers too.
    """

    def __init__(self, address: str = "local", workers: int = 2, *, timeout: float | str = 10) -> None:
        workers = _check_workers(workers)
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:
            raise CollectsimError(DASK_MISSING) from exc
        self.address = address
        self._cluster: Any = None
        if address == "local":
            self._cluster = LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
            )
            try:
                self._client: Any = Client(self._cluster, timeout=timeout)
            except BaseException:
                self._cluster.close()
                raise
            self.workers = workers
        else:
            try:
                self._client = Client(address, timeout=timeout)
            except (OSError, ValueError, TypeError) as exc:
                raise CollectsimError(f"cannot connect to the Dask scheduler at {address!r}: {exc}") from exc
            reported = len(self._client.scheduler_info(n_workers=-1)["workers"])
            self.workers = max(1, reported)

    def map_unordered(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[tuple[int, R]]:
        """Yield (index, fn(item)) as each job finishes; ``fn`` and items must be picklable."""
        from distributed import as_completed as dask_as_completed

        futures: dict[Any, int] = {}
        try:
            for i, item in enumerate(items):
                futures[self._client.submit(fn, item, pure=False)] = i
            for fut in dask_as_completed(list(futures)):
                yield futures[fut], fut.result()
        except BaseException:  # job error, KeyboardInterrupt, or the caller stopped iterating
            pending = [f for f in futures if not f.done()]
            if pending and self._client.status == "running":
                self._client.cancel(pending)
            raise
        finally:
            futures.clear()  # release the results held on the cluster

    def close(self) -> None:
        """Disconnect the client and, for a local cluster, stop it."""
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def __repr__(self) -> str:
        return f"DaskExecutor(address={self.address!r}, workers={self.workers})"


def make_executor(workers: int | None = None, dask: str | None = None) -> Executor:
    """Pick an executor: Dask if ``dask`` names an address (or ``"local"``), in-process for one worker,
    else a process pool (``workers=None`` means one per CPU)."""
    if dask is not None:
        return DaskExecutor(dask, 2 if workers is None else workers)
    if workers == 1:
        return SequentialExecutor()
    return ProcessExecutor(workers)
