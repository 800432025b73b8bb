"""Dotted-path overrides ("teams.early_callers.headcount=12") applied to raw scenario data.

Overrides act on the raw mapping before validation, so an override that names an
unknown field or sets an impossible value gets exactly the error a file would.
"""

from __future__ import annotations

import copy
import difflib
import tomllib
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from collectsim.errors import ScenarioError


def parse_assignment(text: str) -> tuple[str, Any]:
    """``"a.b=12"`` → ``("a.b", 12)``; the value is read as TOML, else kept as a string."""
    path, sep, raw = text.partition("=")
    path = path.strip()
    if not sep or not path:
        raise ScenarioError([("--set", f"'{text}' is not of the form path.to.field=value")], "override")
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return path, value


def apply_overrides(
    raw: Mapping[str, Any], overrides: Mapping[str, Any], may_create: Callable[[tuple[str, ...]], bool] | None = None
) -> dict[str, Any]:
    """A deep copy of ``raw`` with each dotted path set.

    A missing top-level section is created (its defaults then apply), and so is any
    deeper table ``may_create`` accepts (a fixed section of the schema); a table keyed
    by name must exist, so a misspelt team or channel name is an error, not a new team.
    A whole new table can still be added by assigning it, e.g. ``channels.chat={...}``.
    """
    data = plain(copy.deepcopy(dict(raw)))
    for path, value in overrides.items():
        keys = path.split(".")
        node: Any = data
        for depth, key in enumerate(keys[:-1]):
            creatable = depth == 0 or (may_create is not None and may_create(tuple(keys[: depth + 1])))
            node = _child(node, key, ".".join(keys[: depth + 1]), creatable)
        _assign(node, keys[-1], plain(value), path)
    return data


def _child(node: Any, key: str, where: str, creatable: bool) -> Any:
    if isinstance(node, list):
        idx = _index(node, key, where)
        return node[idx]
    if not isinstance(node, dict):
        raise ScenarioError([(where, "cannot descend into a value that is not a table")], "override")
    if key not in node:
        if not creatable:
            known = sorted(node)
            close = difflib.get_close_matches(key, known, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise ScenarioError([(where, f"no table '{key}' here; {hint}existing: {', '.join(known)}")], "override")
        node[key] = {}
    return node[key]


def _assign(node: Any, key: str, value: Any, path: str) -> None:
    if isinstance(node, list):
        node[_index(node, key, path)] = value
    elif isinstance(node, dict):
        node[key] = value
    else:
        raise ScenarioError([(path, "cannot set a field inside a value that is not a table")], "override")


def _index(node: list, key: str, where: str) -> int:
    if not key.isdigit() or int(key) >= len(node):
        raise ScenarioError([(where, f"'{key}' is not an index; allowed: 0–{len(node) - 1}")], "override")
    return int(key)


def plain(value: Any) -> Any:
    """``value`` with numpy scalars made Python ones (recursively), as a TOML file would give them.

    The schema's numbers are strict (no ``"12"`` or ``true`` for a count), and strict integers refuse
    ``numpy.int64``; designs, staffing and calibration build overrides from numpy arrays.
    """
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value
