"""Atomic writes with unique temporary names, and the clean-up of what a killed writer left behind.

Every temporary name carries the writer's pid and a random token: two processes writing the same
file at once never share a temporary, so neither can rename or delete the other's (the old fixed
``.name.partial`` made concurrent writers crash with FileNotFoundError). A temporary whose owner has
died (``kill -9`` mid-write) is removed by the next writer into the same folder. Folders and files are
created with the default modes, so the user's umask decides who can read results.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

PARTIAL_DIR = ".partial-"
PARTIAL_FILE = ".partial"
_OWNER = re.compile(r"^\.(?:.*?\.)?partial-(\d+)-[0-9a-f]+$|^\..*\.(\d+)-[0-9a-f]+\.partial$")


def finite(value: Any) -> Any:
    """``value`` with every NaN or infinite float (recursively, numpy ones too) made ``None``."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


def json_text(value: Any, **kwargs: Any) -> str:
    """``value`` as standard JSON: a non-finite float is written ``null``, never the invalid bare ``NaN``."""
    return json.dumps(finite(value), allow_nan=False, **kwargs)


def _token() -> str:
    return f"{os.getpid()}-{secrets.token_hex(4)}"


def partial_dir(parent: Path, prefix: str = PARTIAL_DIR) -> Path:
    """A new empty temporary folder in ``parent`` named ``<prefix><pid>-<token>``; the umask applies."""
    while True:
        path = parent / f"{prefix}{_token()}"
        try:
            path.mkdir()
        except FileExistsError:
            continue
        return path


def atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """Call ``write(tmp)`` on a fresh temporary beside ``path``, then rename it over ``path``."""
    tmp = _partial_file(path)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    atomic_write(path, lambda p: p.write_bytes(data))


def _partial_file(path: Path) -> Path:
    while True:
        tmp = path.with_name(f".{path.name}.{_token()}{PARTIAL_FILE}")
        try:
            os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
        except FileExistsError:
            continue
        return tmp


def owner_pid(name: str) -> int | None:
    """The pid in a temporary's name, or None for a name this module did not make."""
    m = _OWNER.match(name)
    if m is None:
        return None
    return int(m.group(1) or m.group(2))


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists (a zombie counts as dead: it can write nothing)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    return True


def clean_stale(folder: Path) -> list[Path]:
    """Remove the temporaries in ``folder`` whose writer is dead; returns what was removed."""
    removed = []
    if not folder.is_dir():
        return removed
    for entry in folder.iterdir():
        pid = owner_pid(entry.name)
        if pid is None or pid == os.getpid() or pid_alive(pid):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed.append(entry)
    return removed
