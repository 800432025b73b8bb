"""Worker processes die with the process that started them, even when it is killed with ``kill -9``.

A killed parent cannot stop its pool, and its ~200 MB workers (and multiprocessing's resource tracker,
which waits for them) would live on and pile up with every kill. :func:`die_with_parent` is run as the
pool's initializer in every worker:

* A daemon thread blocks on multiprocessing's *parent sentinel*, a pipe whose other end only the
  parent holds: the kernel closes it when the parent dies, however it dies, and the thread then ends
  the worker. This holds for ``spawn`` workers and for ``forkserver`` workers, whose direct parent
  is the fork server rather than collectsim (``os.getppid()`` would name the wrong process).
* On Linux, ``prctl(PR_SET_PDEATHSIG)`` also asks the kernel to signal the worker when its direct
  parent goes. The kernel sends it when the *thread* that started the worker ends, and a pool may
  start workers from a helper thread, so the signal is a catchable one whose handler exits only if
  the watched parent is really gone.
* Where there is no sentinel (a worker not started by multiprocessing) the thread polls instead.

Workers also ignore Ctrl-C: the parent handles the interrupt and stops them, so a keyboard interrupt
does not print one traceback per worker.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading
import time
from collections.abc import Callable

PR_SET_PDEATHSIG = 1
DEATH_SIGNAL = signal.SIGUSR1 if hasattr(signal, "SIGUSR1") else None
POLL_SECONDS = 0.5
EXIT_ORPHANED = 1


def die_with_parent(parent: int) -> None:
    """Worker initializer: end this process as soon as process ``parent`` is gone; ignore Ctrl-C."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gone = _gone_test(parent)
    _arm_death_signal(gone)
    threading.Thread(target=_watch, args=(parent, gone), name="collectsim-lifeline", daemon=True).start()
    if gone():  # the parent died before the guards were armed
        os._exit(EXIT_ORPHANED)


def _sentinel(parent: int) -> int | None:
    """The parent-sentinel fd multiprocessing gave this worker, if ``parent`` is the process it names."""
    proc = multiprocessing.parent_process()
    if proc is None or proc.pid != parent:
        return None
    return getattr(proc, "sentinel", None)


def _gone_test(parent: int) -> Callable[[], bool]:
    """A cheap check that ``parent`` has died: its sentinel is readable, or it is no longer our parent."""
    sentinel = _sentinel(parent)
    if sentinel is not None:
        return lambda: bool(multiprocessing.connection.wait([sentinel], timeout=0))
    return lambda: os.getppid() != parent


def _arm_death_signal(gone: Callable[[], bool]) -> bool:
    """Ask the Linux kernel for ``DEATH_SIGNAL`` when the direct parent goes; False where not possible."""
    if not sys.platform.startswith("linux") or DEATH_SIGNAL is None:
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        armed = libc.prctl(PR_SET_PDEATHSIG, int(DEATH_SIGNAL), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False
    if armed:
        signal.signal(DEATH_SIGNAL, lambda signum, frame: _exit_if(gone))
    return armed


def _exit_if(gone: Callable[[], bool]) -> None:
    if gone():
        os._exit(EXIT_ORPHANED)


def _watch(parent: int, gone: Callable[[], bool]) -> None:
    sentinel = _sentinel(parent)
    if sentinel is not None:
        multiprocessing.connection.wait([sentinel])
        os._exit(EXIT_ORPHANED)
    while True:
        _exit_if(gone)
        time.sleep(POLL_SECONDS)
