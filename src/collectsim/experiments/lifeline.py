"""Worker processes die with the process that started them, even when it is killed with ``kill -9``.

A killed parent cannot stop its pool, and its ~200 MB workers (and multiprocessing's resource tracker,
which waits for them) would live on and pile up with every kill. :func:`die_with_parent` is run as the
pool's initializer in every worker: a daemon thread blocks on multiprocessing's *parent sentinel*, a
pipe whose other end only the parent holds. The kernel closes it when the parent dies, however it
dies (and it is already closed if the parent died before the thread started), and the thread then
ends the worker at once.

The sentinel rather than ``os.getppid()`` or Linux's ``PR_SET_PDEATHSIG``: pool workers are forked
by multiprocessing's fork server (see :mod:`executors`), so their direct parent is that server, not
collectsim, and both of those would watch the wrong process.

Workers also ignore Ctrl-C: the parent handles the interrupt and stops them, so a keyboard interrupt
does not print one traceback per worker.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.process
import os
import signal
import threading

EXIT_ORPHANED = 1


def die_with_parent(parent: int) -> None:
    """Worker initializer: end this process as soon as process ``parent`` is gone; ignore Ctrl-C."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    proc = multiprocessing.parent_process()
    if proc is None or proc.pid != parent:
        raise RuntimeError(f"die_with_parent: this process was not started by process {parent} via multiprocessing")
    threading.Thread(target=_watch, args=(proc,), name="collectsim-lifeline", daemon=True).start()


def _watch(parent: multiprocessing.process.BaseProcess) -> None:
    parent.join()  # returns when the parent sentinel closes: the parent is gone
    os._exit(EXIT_ORPHANED)
