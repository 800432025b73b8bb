"""The only step that reads scenario files: TOML → overrides → validated ``Scenario``."""

from __future__ import annotations

import difflib
import tomllib
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from collectsim.errors import ScenarioError
from collectsim.scenario.checks import cross_reference_problems
from collectsim.scenario.overrides import apply_overrides
from collectsim.scenario.schema import CrossReferenceError, Scenario
from collectsim.scenario.schema_base import file_safe_name


def load_scenario(path: str | Path, overrides: Mapping[str, Any] | None = None) -> Scenario:
    """Read, override and validate a scenario file; raise ``ScenarioError`` listing every problem."""
    return scenario_from_dict(read_toml(path), overrides, source=str(path))


def read_toml(path: str | Path) -> dict[str, Any]:
    """A TOML file as a dict, its ``name`` defaulting to the file's (file-safe) stem; one-line errors."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError([("file", f"'{path}' does not exist")], str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([("file", f"cannot read '{path}': {exc}")], str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError([("file", f"not valid TOML: {exc}")], str(path)) from None
    raw.setdefault("name", file_safe_name(path.stem))
    return raw


def scenario_from_dict(
    raw: Mapping[str, Any], overrides: Mapping[str, Any] | None = None, *, source: str = "scenario"
) -> Scenario:
    """Validate raw scenario data (after overrides) into a frozen ``Scenario``."""
    data = apply_overrides(raw, overrides or {}, may_create=is_section)
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        problems = validation_problems(exc)
        # Field errors stop the model before its cross-reference check: run it on the raw data too.
        for extra in cross_reference_problems(data):
            if extra not in problems:
                problems.append(extra)
        raise ScenarioError(problems, source) from None


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


def validation_problems(exc: ValidationError, root: type[BaseModel] = Scenario) -> list[tuple[str, str]]:
    """Each pydantic error as (field path, message); unknown keys get a did-you-mean from ``root``."""
    out: list[tuple[str, str]] = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        path = ".".join(str(p) for p in loc) or "(top level)"
        cause = (err.get("ctx") or {}).get("error")
        if isinstance(cause, CrossReferenceError):
            out += cause.problems
        elif err["type"] == "extra_forbidden":
            out.append((path, _unknown_key_message(loc, root)))
        elif err["type"] == "missing":
            out.append((path, "required field is missing"))
        else:
            msg = err["msg"].removeprefix("Value error, ")
            value = err.get("input")
            out.append((path, msg if isinstance(value, dict) else f"{msg}; got {_short(value)}"))
    return out


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
            args = [a for a in typing.get_args(ann) if a is not type(None)]
            ann = args[0]
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
