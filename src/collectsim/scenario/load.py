"""The only step that reads scenario files: TOML → overrides → validated ``Scenario``."""

from __future__ import annotations

import difflib
import stat
import tomllib
import types
import typing
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from collectsim.errors import ScenarioError
from collectsim.scenario.checks import cross_reference_problems
from collectsim.scenario.overrides import apply_overrides
from collectsim.scenario.schema import UNION_TAGS, CrossReferenceError, Scenario
from collectsim.scenario.schema_base import file_safe_name

Blame = Callable[[str], tuple[str, str] | None]
"""Who to name for a problem an override caused: override path → (source, label), or None for the file."""


def load_scenario(
    path: str | Path, overrides: Mapping[str, Any] | None = None, *, blame: Blame | None = None
) -> Scenario:
    """Read, override and validate a scenario file; raise ``ScenarioError`` listing every problem.

    ``blame`` names the origin of each override (a ``--set`` flag, a sweep file's key), so a
    problem an override caused is reported against it rather than against the file.
    """
    raw = read_toml(path)
    if "scenario" in raw and "parameters" in raw:
        problem = (
            "this is a sweep file, not a scenario file (a scenario file has [population], [teams], "
            "[channels] and [policy]; run it with `collectsim sweep`)"
        )
        raise ScenarioError([("", problem)], str(path))
    return scenario_from_dict(raw, overrides, source=str(path), blame=blame)


MAX_TOML_BYTES = 10_000_000  # a scenario is a few kB; a sweep with 10,000 levels well under 1 MB


def read_toml(path: str | Path) -> dict[str, Any]:
    """A TOML file as a dict, its ``name`` defaulting to the file's (file-safe) stem; one-line errors."""
    path = Path(path)
    raw = _parse_toml(read_text(path, MAX_TOML_BYTES, "TOML"), path)
    raw.setdefault("name", file_safe_name(path.stem))
    return raw


def _parse_toml(text: str, path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError([("file", f"not valid TOML: {exc}")], str(path)) from None
    except RecursionError:
        raise ScenarioError([("file", "not valid TOML: nested too deeply")], str(path)) from None


def read_text(path: Path, limit: int, kind: str) -> str:
    """A regular UTF-8 file of at most ``limit`` bytes, else a one-line ``ScenarioError``.

    A FIFO would block ``open`` forever and ``/dev/zero`` never ends, so the file's type is checked
    before it is opened and at most ``limit`` + 1 bytes are read (a file may grow after ``stat``).
    """
    where = str(path)
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            raise ScenarioError([("", "not a regular file")], where)
        with path.open("rb") as fh:
            data = fh.read(limit + 1)
    except FileNotFoundError:
        raise ScenarioError([("", "file does not exist")], where) from None
    except OSError as exc:
        raise ScenarioError([("", f"cannot read: {exc.strerror or exc}")], where) from None
    if len(data) > limit:
        problem = f"larger than the {limit / 1e6:g} MB allowed for a {kind} file"
        raise ScenarioError([("", problem)], where)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        problem = f"cannot read: not UTF-8 text ({exc.reason} at byte {exc.start})"
        raise ScenarioError([("", problem)], where) from None


def scenario_from_dict(
    raw: Mapping[str, Any],
    overrides: Mapping[str, Any] | None = None,
    *,
    source: str = "scenario",
    blame: Blame | None = None,
) -> Scenario:
    """Validate raw scenario data (after overrides) into a frozen ``Scenario``."""
    overrides = overrides or {}
    try:
        data = apply_overrides(raw, overrides, may_create=is_section)
    except ScenarioError as exc:
        raise pointed_error(exc.problems, overrides, source, blame) from None
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        problems = validation_problems(exc)
        # Field errors stop the model before its cross-reference check: run it on the raw data too.
        for extra in cross_reference_problems(data):
            if extra not in problems:
                problems.append(extra)
        raise pointed_error(problems, overrides, source, blame) from None


def pointed_error(
    problems: list[tuple[str, str]], overrides: Mapping[str, Any], source: str, blame: Blame | None
) -> ScenarioError:
    """The problems with the likely cause first: one an override caused (named by ``blame``), else an unknown key.

    A misspelt key also makes its table miss the real one, so "unknown key … did you mean" goes before
    the consequent "required field is missing".
    """
    problems = sorted(problems, key=lambda p: not p[1].startswith("unknown key"))
    for i, (path, msg) in enumerate(problems):
        culprit = _override_at(path, overrides)
        named = None if blame is None or culprit is None else blame(culprit)
        if culprit is not None and named is not None:
            where, label = named
            inner = f": {path}" if len(path) > len(culprit) else ""
            return ScenarioError([(f"{label}{inner}", msg), *problems[:i], *problems[i + 1 :]], where)
    return ScenarioError(problems, source)


def _override_at(path: str, overrides: Mapping[str, Any]) -> str | None:
    """The override whose path is ``path``, lies under it or above it, if any."""
    for op in overrides:
        if path == op or path.startswith(f"{op}.") or op.startswith(f"{path}."):
            return op
    return None


def is_section(keys: tuple[str, ...]) -> bool:
    """Is ``keys`` a fixed section of the schema (a model), rather than an entry of a table keyed by name?"""
    ann: Any = Scenario
    for key in keys:
        parent = _unwrap(ann)
        if not (isinstance(parent, type) and issubclass(parent, BaseModel)):
            return False
        ann = _descend(ann, key)
        if ann is None:
            return False
    ann = _unwrap(ann)
    return isinstance(ann, type) and issubclass(ann, BaseModel)


def with_overrides(scenario: Scenario, overrides: Mapping[str, Any]) -> Scenario:
    """A new scenario with dotted-path overrides applied; the original is untouched."""
    raw = scenario.model_dump(mode="json", exclude_none=True)
    return scenario_from_dict(raw, overrides, source=scenario.name)


def same_settings(a: Scenario, b: Scenario) -> bool:
    """Whether two scenarios would run alike: every field equal but the name (a search's candidate against its
    champion)."""
    return a.model_dump(exclude={"name"}) == b.model_dump(exclude={"name"})


def validation_problems(exc: ValidationError, root: type[BaseModel] = Scenario) -> list[tuple[str, str]]:
    """Each pydantic error as (field path, message); unknown keys get a did-you-mean from ``root``, and come first:
    a misspelt key is also a missing one, and the one-line error shows the first problem, which is the cause."""
    out: list[tuple[str, str]] = []
    unknown: list[tuple[str, str]] = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if p not in UNION_TAGS)  # a tagged union's branch is not a key
        path = ".".join(str(p) for p in loc) or "(top level)"
        cause = (err.get("ctx") or {}).get("error")
        if isinstance(cause, CrossReferenceError):
            out += cause.problems
        elif err["type"] == "extra_forbidden":
            unknown.append((path, _unknown_key_message(loc, root)))
        elif err["type"] == "missing":
            out.append((path, "required field is missing"))
        elif err["type"] == "too_short" and not err.get("input"):
            out.append((path, "must not be empty"))
        else:
            msg = err["msg"].removeprefix("Value error, ")
            value = err.get("input")
            out.append((path, msg if isinstance(value, dict) else f"{msg}; got {_short(value)}"))
    return unknown + out


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _unknown_key_message(loc: tuple, root: type[BaseModel]) -> str:
    key = str(loc[-1])
    allowed = _allowed_keys(loc[:-1], root)
    if not allowed:
        return f"unknown key '{key}'"
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"unknown key '{key}'{hint} allowed: {', '.join(sorted(allowed))}"


def _allowed_keys(loc: tuple, root: type[BaseModel]) -> list[str]:
    """Field names of the model found by walking ``loc`` down from ``root``."""
    ann: Any = root
    for key in loc:
        ann = _descend(ann, key)
        if ann is None:
            return []
    ann = _unwrap(ann)
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return list(ann.model_fields)
    return []


def _unwrap(ann: Any) -> Any:
    while True:
        origin = typing.get_origin(ann)
        if origin is typing.Annotated:
            ann = typing.get_args(ann)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [_unwrap(a) for a in typing.get_args(ann) if a is not type(None)]
            tables = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
            ann = (tables or args)[0]  # a key can only be wrong in the form that is a table
        else:
            return ann


def _descend(ann: Any, key: Any) -> Any:
    ann = _unwrap(ann)
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        field = ann.model_fields.get(str(key))
        return None if field is None else field.annotation
    origin = typing.get_origin(ann)
    if origin is dict:
        return typing.get_args(ann)[1]
    if origin is tuple:
        return typing.get_args(ann)[0]
    return None
