"""An optimisation's folder: the optuna study journal, locked while in use, final tables sealed at the end.

The folder's name is a fingerprint of the search space, so the same command finds its own study and
resumes it (``kill -9`` loses at most the runs in flight). The study lives in optuna's journal file
(``study.journal``, one JSON line per change): appending a line is all a trial's progress costs, and
a line torn by a kill is cut off before the study is reopened. The folder lock (``.lock``, released
by the operating system even on ``kill -9``) keeps a second process out, which also makes optuna's
own journal lock file, if a kill left one behind, safe to remove.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import tomli_w

from collectsim.errors import CollectsimError
from collectsim.scenario import Scenario
from collectsim.store import integrity
from collectsim.store.files import atomic_write, json_text
from collectsim.store.folders import _inside
from collectsim.store.locked import LockedFolder

if TYPE_CHECKING:
    from optuna.storages import JournalStorage

JOURNAL = "study.journal"


def journal_storage(path: Path) -> JournalStorage:
    """Optuna's journal storage on ``path``, with a torn last line (a kill mid-write) cut off first."""
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    if path.exists():
        data = path.read_bytes()
        if data and not data.endswith(b"\n"):
            with open(path, "r+b") as fh:
                fh.truncate(data.rfind(b"\n") + 1)
    return JournalStorage(JournalFileBackend(str(path)))


class StudyStore(LockedFolder):
    """An optimisation's folder; use it as a context manager, which holds the folder's lock."""

    what = "optimisation folder"

    def __init__(self, root: str | Path, name: str, key: str) -> None:
        super().__init__(Path(root), _inside(Path(root), Path(root) / f"optimise-{name}-{key}"))
        self.journal = self.folder / JOURNAL

    def _held(self) -> None:
        # We hold the folder: an optuna journal lock still here was left by a killed process.
        for stale in self.folder.glob(f"{JOURNAL}.lock*"):
            stale.unlink(missing_ok=True)

    def complete(self, trials: int, confirm_n: int) -> bool:
        """Whether a sealed result for this many trials and confirmation replications is already here."""
        if not (self.folder / integrity.MANIFEST).exists() or not (self.folder / "trials.csv").exists():
            return False
        try:
            integrity.verify(self.folder, what="optimisation folder")
        except CollectsimError:
            return False
        man = integrity.read_manifest(self.folder)
        return man.get("trials") == trials and man.get("confirm_replications") == confirm_n

    def unseal(self) -> None:
        """Forget an earlier result before the study changes (more trials, another confirmation)."""
        (self.folder / integrity.MANIFEST).unlink(missing_ok=True)

    def finish(
        self,
        tables: Mapping[str, pd.DataFrame],
        scenarios: Mapping[str, Scenario],
        summary: dict[str, Any],
        manifest: dict[str, Any],
    ) -> None:
        """Write ``<name>.csv`` per table and ``<name>.toml`` per scenario, then the manifest with their
        checksums (the study journal included); scenario files of an earlier result are removed first."""
        f = self.folder
        for old in [*f.glob("candidate_*.toml"), f / "best.toml"]:
            old.unlink(missing_ok=True)
        for name, df in tables.items():
            atomic_write(_inside(f, f / f"{name}.csv"), lambda p, df=df: df.to_csv(p, index=False))
        for name, sc in scenarios.items():
            _scenario(_inside(f, f / f"{name}.toml"), sc.model_dump(mode="json", exclude_none=True))
        text = json_text(summary, indent=2, default=str)
        atomic_write(f / "optimise.json", lambda p: p.write_text(text, encoding="utf-8"))
        integrity.seal(f, manifest)


def _scenario(path: Path, data: dict[str, Any]) -> None:
    atomic_write(path, lambda p: p.write_text(tomli_w.dumps(data), encoding="utf-8"))
