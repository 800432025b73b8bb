"""A sweep's folder: locked while in use, rows journaled as jobs finish, final tables sealed at the end.

The folder's name is a fingerprint of the sweep, so the same command always finds its own folder and
resumes it. Two processes on one folder would compute everything twice and race on its files, so the
folder is locked (``.lock``, released by the operating system even on ``kill -9``) and a second process
stops at once with one line naming the holder's pid (kept in ``.owner``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from collectsim.errors import CollectsimError
from collectsim.results import ExperimentResult
from collectsim.store import integrity, journal
from collectsim.store.files import atomic_write
from collectsim.store.folders import _inside
from collectsim.store.locked import LockedFolder

WHAT = "sweep folder"


class SweepStore(LockedFolder):
    """A sweep's folder; use it as a context manager, which holds the folder's lock.

    ``identities`` are the jobs' labels and seeds in job order: each journal line is checked against
    its job's identity, so a line cannot stand in for another job.
    """

    what = WHAT

    def __init__(self, root: str | Path, name: str, key: str, identities: Sequence[Mapping[str, Any]]) -> None:
        super().__init__(Path(root), _inside(Path(root), Path(root) / f"{name}-{key}"))
        self.journal = self.folder / "journal.jsonl"
        self.identities = list(identities)

    def status(self) -> tuple[bool, str | None]:
        """(complete, warning): complete when the final tables are in place and match their checksums.

        A sealed folder whose tables are damaged is not complete; the warning says which file, and the
        tables are rebuilt from the journal. A folder from before checksums is trusted as it is.
        """
        if not (self.folder / "sweep.parquet").exists() or not (self.folder / integrity.MANIFEST).exists():
            return False, None
        try:
            integrity.verify(self.folder, what=WHAT)
        except CollectsimError as exc:
            return False, f"warning: {exc}; rebuilding it from the journal"
        return True, None

    def resume(self) -> journal.JournalRead:
        """Jobs already finished (intact journal lines), and which lines were damaged."""
        return journal.read(self.journal, self.identities)

    def append(self, job: int, rows: list[dict[str, Any]]) -> None:
        """Journal one finished job, durably."""
        journal.append(self.journal, journal.encode(job, self.identities[job], rows))

    def write_text(self, name: str, text: str) -> None:
        atomic_write(self.folder / name, lambda p: p.write_text(text, encoding="utf-8"))

    def finish(self, result: ExperimentResult, manifest: dict[str, Any]) -> None:
        """Write the final tables, then the manifest with their checksums: its presence marks the sweep complete."""
        (self.folder / integrity.MANIFEST).unlink(missing_ok=True)
        atomic_write(self.folder / "sweep.csv", lambda p: result.table.to_csv(p, index=False))
        if result.sobol is not None:
            atomic_write(self.folder / "sobol.csv", lambda p: result.sobol.to_csv(p, index=False))
        atomic_write(self.folder / "summary.csv", lambda p: result.summary().to_csv(p, index=False))
        atomic_write(self.folder / "sweep.parquet", lambda p: result.table.to_parquet(p, index=False))
        integrity.seal(self.folder, manifest)
