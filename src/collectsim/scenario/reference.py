"""The scenario-file reference, written from the schema itself so the two cannot drift apart.

Every table of a scenario file is a model here; each field's type, default and bounds come from its
annotation, and each table's description from its docstring. ``docs/scenario-reference.md`` is
this module's output (``python -m collectsim.scenario.reference > docs/scenario-reference.md``), and
a test fails when they differ.
"""

from __future__ import annotations

import inspect
import types
import typing
from typing import Any

import annotated_types as at
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from collectsim.scenario.schema import Scenario

BOUNDS = ((at.Gt, "gt", ">"), (at.Ge, "ge", "≥"), (at.Lt, "lt", "<"), (at.Le, "le", "≤"))
LENGTHS = ((at.MinLen, "min_length", "at least"), (at.MaxLen, "max_length", "at most"))


def _bounds(metadata: list[Any]) -> list[str]:
    out = []
    for item in metadata:
        if isinstance(item, FieldInfo):
            out += _bounds(item.metadata)
        for kind, attr, sign in BOUNDS:
            if isinstance(item, kind):
                out.append(f"{sign} {getattr(item, attr):g}")
        for kind, attr, words in LENGTHS:
            if isinstance(item, kind):
                out.append(f"{words} {getattr(item, attr)} items")
        pattern = getattr(item, "pattern", None)
        if isinstance(pattern, str):
            out.append(f"matches `{pattern}`")
    return out


def _type(tp: Any, models: list[type[BaseModel]]) -> tuple[str, list[str]]:
    """A readable type name and the bounds carried inside it; nested models are queued for their own section."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        base, *meta = typing.get_args(tp)
        name, inner = _type(base, models)
        bounds = _bounds(meta)
        if base is str:
            bounds = [b.replace(" items", " characters") for b in bounds]
        return name, inner + bounds
    if origin in (typing.Union, types.UnionType):
        parts = [_type(a, models) for a in typing.get_args(tp) if a is not type(None)]
        optional = len(parts) < len(typing.get_args(tp))
        name = " or ".join(p[0] for p in parts) + (" (optional)" if optional else "")
        return name, [b for p in parts for b in p[1]]
    if origin is typing.Literal:
        return "one of " + ", ".join(f"`{a}`" for a in typing.get_args(tp)), []
    if origin is dict:
        _, value = typing.get_args(tp)
        name, inner = _type(value, models)
        return f"table of name → {name}", inner
    if origin in (tuple, list):
        args = [a for a in typing.get_args(tp) if a is not Ellipsis]
        items = [_type(a, models) for a in args]
        names = sorted({n for n, _ in items})
        shape = f"list of {names[0]}" if len(names) == 1 else "list of " + ", ".join(names)
        if origin is tuple and Ellipsis not in typing.get_args(tp):
            shape = f"[{', '.join(n for n, _ in items)}]"
        return shape, sorted({b for _, bounds in items for b in bounds})
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        if tp not in models:
            models.append(tp)
        return f"[{tp.__name__}](#{tp.__name__.lower()})", []
    plain = {int: "integer", float: "number", str: "text", bool: "true/false"}
    return plain.get(tp, getattr(tp, "__name__", str(tp))), []


def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "required"
    value = field.default if field.default is not PydanticUndefined else field.default_factory()  # type: ignore[misc]
    if isinstance(value, BaseModel):
        return "its defaults"
    if value is None:
        return "none"
    if isinstance(value, tuple):
        value = list(value)
    return f"`{value!r}`".replace("'", '"').replace("True", "true").replace("False", "false")


def _section(model: type[BaseModel], models: list[type[BaseModel]]) -> list[str]:
    doc = inspect.cleandoc(model.__doc__ or "").replace("\n\n", "\n\n> ").replace("\n", " ")
    lines = [f"## {model.__name__}", ""]
    if doc:
        lines += [doc.replace(" >  ", "\n\n"), ""]
    lines += ["| field | type | default | bounds |", "|---|---|---|---|"]
    for name, field in model.model_fields.items():
        tp, inner = _type(field.annotation, models)
        bounds = inner + _bounds(field.metadata)
        if field.annotation is str:
            bounds = [b.replace(" items", " characters") for b in bounds]
        bounds = sorted(dict.fromkeys(bounds), key=lambda b: b[0] not in "≥>")  # lower bounds first
        lines.append(f"| `{name}` | {tp} | {_default(field)} | {', '.join(bounds) or '—'} |")
    return [*lines, ""]


def scenario_reference() -> str:
    """Markdown: one section per table of a scenario file, starting from the top level."""
    models: list[type[BaseModel]] = [Scenario]
    out = [
        "# Scenario file reference",
        "",
        "Generated from the schema (`python -m collectsim.scenario.reference`); every field of every table,",
        "its type, its default and the bounds validation enforces. Numbers are strict: `12` and `1.5` are",
        "numbers, `\"12\"` and `true` are not, and NaN or infinity are refused everywhere.",
        "",
    ]
    i = 0
    while i < len(models):
        out += _section(models[i], models)
        i += 1
    return "\n".join(out)


if __name__ == "__main__":
    print(scenario_reference(), end="")
