"""Worker processes die with the process that started them, even when it is killed with ``kill -9``.

A killed parent cannot stop its pool, and its ~200 MB workers (and multiprocessing's resource tracker,
which waits for them) would live on and pile up with every kill. :func:`die_with_parent` is run as the
pool's initializer in every worker:

* On Linux, ``prctl(PR_SET_PDEATHSIG)`` asks the kernel to signal the worker the moment its parent
  goes. The kernel sends it when the *thread* that started the worker ends, and a pool may start
  workers from a helper thread, so the signal is a catchable one whose handler exits only if the
  parent process is really gone (``os.getppid()`` has changed).
* Everywhere, a daemon thread polls ``os.getppid()`` as a fallback (other systems, or a signal that
  arrives while the worker is stuck in native code).

Workers also ignore Ctrl-C: the parent handles the interrupt and stops them, so a keyboard interrupt
does not print one traceback per worker.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1
DEATH_SIGNAL = signal.SIGUSR1 if hasattr(signal, "SIGUSR1") else None
POLL_SECONDS = 0.5
EXIT_ORPHANED = 1


def die_with_parent(parent: int) -> None:
    """Worker initializer: end this process as soon as process ``parent`` is gone; ignore Ctrl-C."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _arm_death_signal(parent)
    threading.Thread(target=_watch, args=(parent,), name="collectsim-lifeline", daemon=True).start()
    if os.getppid() != parent:  # the parent died before the guards were armed
        os._exit(EXIT_ORPHANED)


def _arm_death_signal(parent: int) -> bool:
    """Ask the Linux kernel for ``DEATH_SIGNAL`` when the parent goes; False where that is not possible."""
    if not sys.platform.startswith("linux") or DEATH_SIGNAL is None:
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        armed = libc.prctl(PR_SET_PDEATHSIG, int(DEATH_SIGNAL), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False
    if armed:
        signal.signal(DEATH_SIGNAL, lambda signum, frame: _exit_if_orphaned(parent))
    return armed


def _exit_if_orphaned(parent: int) -> None:
    if os.getppid() != parent:
        os._exit(EXIT_ORPHANED)


def _watch(parent: int) -> None:
    while True:
        _exit_if_orphaned(parent)
        time.sleep(POLL_SECONDS)
