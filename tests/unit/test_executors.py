"""Executors: same results everywhere, completion order, error propagation, argument checks."""

from __future__ import annotations

import math
import sys
import threading
import time
from collections.abc import Callable, Iterator

import numpy as np
import pytest

from collectsim.errors import CollectsimError
from collectsim.experiments import executors
from collectsim.experiments.executors import (
    DaskExecutor,
    Executor,
    ProcessExecutor,
    SequentialExecutor,
    make_executor,
)

# Job functions are top-level so that spawned workers can import them by module path: spawned
# processes inherit the parent's sys.path, which pytest has extended with this folder.
SEEDS = [5, 17, 3, 17, 99, 0, 42, 5, 7, 1234, 8, 64]  # repeated seeds: equal items are still separate jobs


class JobFailedError(Exception):
    """Raised by a job on purpose."""


def noisy_sum(seed: int) -> float:
    """Deterministic numpy work from a seeded generator."""
    return float(np.random.default_rng(seed).standard_normal(20_000).sum())


def fail_on_three(x: int) -> int:
    """Return x, except for 3."""
    if x == 3:
        raise JobFailedError(f"job {x} failed")
    return x


def sleep_then_return(seconds: float) -> float:
    """Sleep, then return the time slept."""
    time.sleep(seconds)
    return seconds


@pytest.fixture(scope="module")
def process_executor() -> Iterator[ProcessExecutor]:
    with ProcessExecutor(workers=2) as ex:
        yield ex


@pytest.fixture(scope="module")
def dask_executor() -> Iterator[DaskExecutor]:
    pytest.importorskip("distributed")
    with DaskExecutor("local", workers=2) as ex:
        yield ex


@pytest.fixture(params=["sequential", "process", "dask"])
def executor(request: pytest.FixtureRequest) -> Executor:
    if request.param == "sequential":
        return SequentialExecutor()
    return request.getfixturevalue(f"{request.param}_executor")


def test_every_executor_gives_the_same_results(executor: Executor) -> None:
    """Each executor runs every item exactly once and returns the results of the in-process run."""
    expected = {i: noisy_sum(s) for i, s in enumerate(SEEDS)}
    pairs = list(executor.map_unordered(noisy_sum, SEEDS))
    assert sorted(i for i, _ in pairs) == list(range(len(SEEDS)))
    assert dict(pairs) == expected


def test_sequential_yields_in_order() -> None:
    """The sequential executor runs the items in their order, in this process."""
    ex = SequentialExecutor()
    assert ex.workers == 1
    assert [i for i, _ in ex.map_unordered(noisy_sum, SEEDS)] == list(range(len(SEEDS)))


def test_process_results_arrive_as_they_finish(process_executor: ProcessExecutor) -> None:
    """A slow first job does not hold back the results of later, quick jobs."""
    list(process_executor.map_unordered(noisy_sum, [1, 2, 3, 4]))  # warm both workers up
    start = time.perf_counter()
    arrived = []
    for i, _ in process_executor.map_unordered(sleep_then_return, [3.0, 0.0, 0.0, 0.0]):
        arrived.append((i, time.perf_counter() - start))
    assert [i for i, _ in arrived][-1] == 0
    assert arrived[0][1] < 2.0  # well before the slow job's 3 s, with headroom for a busy machine


def test_job_exception_propagates_with_its_type(executor: Executor) -> None:
    """An exception raised inside a job reaches the caller with its original type."""
    with pytest.raises(JobFailedError, match="job 3 failed"):
        list(executor.map_unordered(fail_on_three, [1, 2, 3, 4]))


def test_process_pool_recovers_after_a_failed_map() -> None:
    """After a job fails the pool is shut down, and the next map runs on a fresh one."""
    with ProcessExecutor(workers=2) as ex:  # stdlib jobs: the workers need not import this module
        with pytest.raises(ValueError, match="math domain error"):
            list(ex.map_unordered(math.sqrt, [-1.0]))
        assert ex._pool is None
        assert dict(ex.map_unordered(math.sqrt, [4.0, 9.0])) == {0: 2.0, 1: 3.0}


def test_interrupt_cancels_pending_jobs_without_waiting() -> None:
    """A KeyboardInterrupt while iterating returns at once instead of running the queued jobs."""
    with ProcessExecutor(workers=1) as ex:
        results = ex.map_unordered(time.sleep, [0.0] + [0.4] * 8)
        assert next(results) == (0, None)
        start = time.perf_counter()
        with pytest.raises(KeyboardInterrupt):
            results.throw(KeyboardInterrupt())
        assert time.perf_counter() - start < 1.5  # the queued jobs would take 3.2 s
        assert ex._pool is None


@pytest.mark.parametrize(
    "make",
    [
        ProcessExecutor,
        lambda w: DaskExecutor("local", w),
        lambda w: make_executor(w),
        lambda w: make_executor(w, dask="local"),
    ],
    ids=["process", "dask", "make_executor", "make_executor-dask"],
)
def test_workers_below_one_is_rejected(make: Callable[[int], object]) -> None:
    """workers=0 raises a ValueError that names workers and the allowed values, before starting anything."""
    with pytest.raises(ValueError, match=r"workers must be an integer >= 1 \(1 = in-process, more = parallel\), got 0"):
        make(0)


def test_make_executor_picks_the_class(monkeypatch: pytest.MonkeyPatch) -> None:
    """One worker runs in-process, more use a process pool, and a Dask address uses Dask."""
    assert isinstance(make_executor(1), SequentialExecutor)
    with make_executor(3) as ex:
        assert isinstance(ex, ProcessExecutor) and ex.workers == 3
    with make_executor() as ex:
        assert isinstance(ex, ProcessExecutor) and ex.workers >= 1
    monkeypatch.setattr(executors, "DaskExecutor", lambda address, workers: ("dask", address, workers))
    assert make_executor(dask="tcp://10.0.0.1:8786") == ("dask", "tcp://10.0.0.1:8786", 2)
    assert make_executor(4, dask="local") == ("dask", "local", 4)


def test_dask_reports_an_unreachable_scheduler() -> None:
    """A scheduler that cannot be reached gives a CollectsimError naming its address, within the timeout."""
    pytest.importorskip("distributed")
    start = time.perf_counter()
    with pytest.raises(CollectsimError, match=r"tcp://127\.0\.0\.1:1"):
        DaskExecutor("tcp://127.0.0.1:1", timeout="2s")
    assert time.perf_counter() - start < 6


def test_dask_missing_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without dask installed, the Dask executor says which extra to install."""
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(CollectsimError, match=r"pip install 'collectsim\[dask\]'"):
        DaskExecutor("local", workers=2)


def test_workers_outlive_the_thread_that_started_them() -> None:
    """Linux signals a worker when the *thread* that started it ends; a worker whose parent lives on keeps working."""
    with ProcessExecutor(workers=1) as ex:
        starter = threading.Thread(target=lambda: list(ex.map_unordered(noisy_sum, [1])))
        starter.start()
        starter.join()
        time.sleep(0.3)  # the parent-death signal, if any, has arrived by now
        assert dict(ex.map_unordered(noisy_sum, [2])) == {0: noisy_sum(2)}


@pytest.mark.skipif(sys.platform != "linux", reason="the fork server is used where the platform has one")
def test_workers_are_forked_warm_from_the_fork_server(process_executor: ProcessExecutor) -> None:
    """Workers are copies of a fork server that imported the engine once, so none pays the imports
    again; multiprocessing still names this process as their parent (the lifeline watches it).

    The probes are expressions given to the built-in ``eval``, so that unpickling a job does not
    import anything; the server's memory map shows the engine's compiled modules loaded there."""
    import os

    probes = ["__import__('os').getppid()", "__import__('multiprocessing').parent_process().pid"]
    server, named_parent = (r for _, r in sorted(process_executor.map_unordered(eval, probes)))
    assert server != os.getpid()  # forked by the server, not spawned by us
    assert named_parent == os.getpid()
    with open(f"/proc/{server}/maps") as maps:
        loaded = maps.read()
    assert "scipy/special" in loaded and "numpy" in loaded  # the server imported the engine
