"""File sizes and sha256 checksums in a results folder's manifest, written with the folder, checked on reading.

A truncated CSV still parses (to fewer rows), so without checksums a damaged folder gives a report from
partial data. ``seal`` records every data file under ``"files"`` in ``manifest.json``; ``verify``
checks them before anything reads the folder back and names the first damaged file in one line.
Folders written before checksums existed have no ``"files"`` and are read unverified.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from collectsim.errors import CollectsimError
from collectsim.store.files import PARTIAL_FILE, atomic_write, finite, json_text

MANIFEST = "manifest.json"
SELF = "manifest_sha256"
# Written after sealing, and rebuilt from the sealed files whenever asked: not part of the record.
DERIVED = ("report.html", "figures", "journal.jsonl", "journal.damaged", ".lock", ".owner")


def digest(path: Path) -> dict[str, Any]:
    """Size in bytes and sha256 of one file."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return {"bytes": path.stat().st_size, "sha256": h.hexdigest()}


def data_files(folder: Path) -> list[str]:
    """Every file of the folder that the manifest records, as sorted POSIX paths relative to it."""
    out = []
    for p in folder.rglob("*"):
        rel = p.relative_to(folder)
        if p.is_file() and rel.parts[0] not in (MANIFEST, *DERIVED) and not _temporary(rel):
            out.append(rel.as_posix())
    return sorted(out)


def _temporary(rel: Path) -> bool:
    return any(part.startswith(".") and (PARTIAL_FILE in part) for part in rel.parts)


def seal(folder: Path, manifest: dict[str, Any]) -> None:
    """Write ``manifest.json`` with ``manifest``, the size and checksum of every data file, and its own checksum.

    The manifest's own checksum tells a damaged manifest from a damaged data file (a flipped digit in a
    recorded checksum would otherwise blame the table), and a sealed manifest from an older one.
    """
    files = {name: digest(folder / name) for name in data_files(folder)}
    body = finite(json.loads(json.dumps({**manifest, "files": files}, default=str)))
    text = json_text({**body, SELF: _self_sum(body)}, indent=2)
    atomic_write(folder / MANIFEST, lambda p: p.write_text(text, encoding="utf-8"))


def _self_sum(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def read_manifest(folder: Path, *, what: str = "results folder") -> dict[str, Any]:
    """The folder's manifest, ``{}`` if it has none; a damaged one is a one-line error."""
    path = folder / MANIFEST
    if not path.exists():
        return {}
    try:
        man = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, OSError) as exc:
        raise CollectsimError(f"{what} '{folder}': {MANIFEST} is damaged ({_short(exc)})") from None
    if not isinstance(man, dict):
        raise CollectsimError(f"{what} '{folder}': {MANIFEST} is damaged (not a JSON object)")
    return man


def verify(folder: Path, *, what: str = "results folder") -> bool:
    """Check the manifest and every file it records; False when there are no checksums (an older folder)."""
    body = read_manifest(folder, what=what)
    if "files" not in body and SELF not in body:
        return False
    want = body.pop(SELF, None)
    files = body.get("files")
    if want != _self_sum(body) or not isinstance(files, dict):
        raise CollectsimError(f"{what} '{folder}': {MANIFEST} is damaged (its own checksum differs)")
    for name, want in files.items():
        problem = _problem(folder, name, want)
        if problem:
            raise CollectsimError(f"{what} '{folder}': {name} is damaged ({problem}); rerun the command that wrote it")
    return True


def _problem(folder: Path, name: str, want: Any) -> str | None:
    path = folder / name
    if not isinstance(want, dict) or not path.resolve().is_relative_to(folder.resolve()):
        return f"{MANIFEST} entry is not valid"
    if not path.is_file():
        return "missing" if not path.exists() else "not a file"
    got = digest(path)
    if got["bytes"] != want.get("bytes"):
        return f"{got['bytes']:,} bytes, expected {want.get('bytes')!r}"
    if got["sha256"] != want.get("sha256"):
        return "checksum differs"
    return None


def _short(exc: BaseException) -> str:
    return str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
