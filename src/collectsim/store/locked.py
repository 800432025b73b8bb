"""A results folder held by one process at a time: sweeps and optimisations resume into their own folder.

Two processes on one folder would compute everything twice and race on its files, so the folder is
locked (``.lock``, released by the operating system even on ``kill -9``) and a second process stops at
once with one line naming the holder's pid (kept in ``.owner``). Taking the lock also clears what a
killed writer left behind (stale ``.partial-*`` folders here and in the results root).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from types import TracebackType
from typing import Self

from filelock import FileLock, Timeout

from collectsim.errors import CollectsimError
from collectsim.store.files import atomic_write, clean_stale

OWNER = ".owner"


class LockedFolder:
    """``folder`` under ``root``, locked while used as a context manager; ``what`` names it in the refusal."""

    what = "folder"

    def __init__(self, root: Path, folder: Path) -> None:
        self.root = root
        self.folder = folder
        self._lock = FileLock(folder / ".lock", timeout=0)

    def __enter__(self) -> Self:
        self.folder.mkdir(parents=True, exist_ok=True)
        try:
            self._lock.acquire()
        except Timeout:
            raise CollectsimError(
                f"{self.what} {self.folder} is in use by another collectsim process (pid {self._owner()}); "
                "wait for it to finish, or stop it and run the same command to resume"
            ) from None
        try:
            atomic_write(self.folder / OWNER, lambda p: p.write_text(str(os.getpid()), encoding="utf-8"))
            self._held()
            clean_stale(self.folder)
            clean_stale(self.root)
        except BaseException:
            self._release()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._release()

    def _held(self) -> None:
        """Called once the lock is ours: a place to clear what only a dead holder could have left."""

    def _release(self) -> None:
        """Forget the owner before unlocking, so a later refusal never names a finished process."""
        (self.folder / OWNER).unlink(missing_ok=True)
        self._lock.release()

    def _owner(self) -> str:
        with contextlib.suppress(OSError, UnicodeDecodeError):
            return (self.folder / OWNER).read_text(encoding="utf-8").strip() or "unknown"
        return "unknown"
