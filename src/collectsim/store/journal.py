"""The sweep journal: one self-checking line per finished job, so a resume trusts only what it can verify.

A line is ``{"job": j, "key": k, "rows": [...], "sum": s}``. ``key`` hashes the job's identity (its
design point's parameters, replication and seed) and ``sum`` is a sha256 over job, key and rows. When a
sweep resumes, a line is *damaged* if it is blank, not UTF-8, not a JSON object, lacks a field, fails
its checksum, names a job outside the sweep or with another identity, or carries no rows (or rows that
disagree with the identity). Damaged lines are skipped and reported by line number, and their jobs are
computed again; the journal is then rewritten with the intact lines only (the damaged ones are kept in
``journal.damaged`` for inspection), so each damage is reported once.

Two intact lines for one job with *different* rows are a conflicting duplicate. The simulator is
deterministic, so they cannot both come from it: one was edited (with its checksum recomputed) or written
by other code. Both are treated as damaged and the job is computed again, rather than refusing to resume:
the simulation, not the journal, decides the value, so recomputing is always right, and the user gets a
correct sweep plus a warning instead of a journal to repair by hand. Identical duplicates are kept once.
A torn last line (a kill mid-write) is cut off before anything else is appended.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from collectsim.store.files import atomic_bytes

Row = dict[str, Any]
SHOWN_LINES = 10


def job_key(identity: Mapping[str, Any]) -> str:
    """A short stable hash of a job's identity (labels and seed)."""
    text = json.dumps(dict(identity), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _checksum(job: int, key: str, rows: list[Row]) -> str:
    text = json.dumps([job, key, rows], sort_keys=True, allow_nan=True)
    return hashlib.sha256(text.encode()).hexdigest()


def encode(job: int, identity: Mapping[str, Any], rows: list[Row]) -> bytes:
    """One journal line for a finished job, newline included."""
    key = job_key(identity)
    entry = {"job": job, "key": key, "rows": rows, "sum": _checksum(job, key, rows)}
    return (json.dumps(entry) + "\n").encode("utf-8")


@dataclass
class JournalRead:
    """What a resume found: intact rows by job index, and the numbers of the damaged lines."""

    done: dict[int, list[Row]] = field(default_factory=dict)
    damaged: list[int] = field(default_factory=list)
    conflicts: list[int] = field(default_factory=list)

    def warning(self, path: Path) -> str | None:
        """One line for the user, or None when every line was intact."""
        if not self.damaged:
            return None
        shown = ", ".join(map(str, self.damaged[:SHOWN_LINES])) + (" …" if len(self.damaged) > SHOWN_LINES else "")
        jobs = f"; conflicting duplicates of job(s) {', '.join(map(str, self.conflicts))}" if self.conflicts else ""
        return (
            f"warning: {path}: skipped {len(self.damaged)} damaged line(s) (line {shown}){jobs}; "
            "their runs are computed again"
        )


def _intact_job(raw: bytes, identities: Sequence[Mapping[str, Any]]) -> int | None:
    """The job index of an intact line, or None if the line is damaged."""
    try:
        e = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(e, dict) or set(e) != {"job", "key", "rows", "sum"}:
        return None
    job, key, rows = e["job"], e["key"], e["rows"]
    if not isinstance(job, int) or isinstance(job, bool) or not 0 <= job < len(identities):
        return None
    if key != job_key(identities[job]) or e["sum"] != _checksum(job, key, rows):
        return None
    if not _rows_match(rows, identities[job]):
        return None
    return job


def _rows_match(rows: Any, identity: Mapping[str, Any]) -> bool:
    if not isinstance(rows, list) or not rows:
        return False
    return all(isinstance(r, dict) and all(r.get(k) == v for k, v in identity.items()) for r in rows)


def read(path: Path, identities: Sequence[Mapping[str, Any]]) -> JournalRead:
    """Intact entries of the journal at ``path`` for a sweep whose jobs have these identities.

    Repairs the file as it reads: a torn last line is cut off, and damaged lines are moved out.
    """
    out = JournalRead()
    if not path.exists():
        return out
    data = path.read_bytes()
    torn = data[data.rfind(b"\n") + 1 :]
    lines = data[: len(data) - len(torn)].split(b"\n")[:-1]
    seen: dict[int, list[tuple[int, bytes]]] = {}  # job -> [(line number, raw)]
    for number, raw in enumerate(lines, start=1):
        job = _intact_job(raw, identities)
        if job is None:
            out.damaged.append(number)
        else:
            seen.setdefault(job, []).append((number, raw))
    kept: dict[int, bytes] = {}
    for job, copies in sorted(seen.items()):
        if len({raw for _, raw in copies}) > 1:
            out.conflicts.append(job)
            out.damaged += [n for n, _ in copies]
        else:
            kept[job] = copies[0][1]
    out.damaged.sort()
    out.done = {job: json.loads(raw)["rows"] for job, raw in kept.items()}
    if out.damaged or torn:
        _rewrite(path, list(kept.values()), [lines[n - 1] for n in out.damaged])
    return out


def _rewrite(path: Path, intact: list[bytes], damaged: list[bytes]) -> None:
    """Replace the journal by its intact lines; append the damaged ones to ``journal.damaged``."""
    if damaged:
        with open(path.with_suffix(".damaged"), "ab") as fh:
            fh.write(b"".join(raw + b"\n" for raw in damaged))
    atomic_bytes(path, b"".join(raw + b"\n" for raw in intact))


def append(path: Path, line: bytes) -> None:
    """Append one line and make it durable before the job is counted as done."""
    with open(path, "ab") as fh:
        fh.write(line)
        fh.flush()
        os.fsync(fh.fileno())
