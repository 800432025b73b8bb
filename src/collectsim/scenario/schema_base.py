"""Shared base of the scenario models: frozen, unknown keys forbidden; common constrained types."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

Prob = Annotated[float, Field(ge=0.0, le=1.0)]
NonNeg = Annotated[float, Field(ge=0.0)]
Pos = Annotated[float, Field(gt=0.0)]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def _file_safe(value: str) -> str:
    """A name that becomes part of a results folder's name: never a path, never hidden, never huge."""
    if not _SLUG.fullmatch(value):
        raise ValueError(
            "must be a file-safe name (it names the results folder): letters, digits, '.', '_' or '-', "
            "starting with a letter or digit, at most 100 characters"
        )
    return value


Slug = Annotated[str, AfterValidator(_file_safe)]


def file_safe_name(text: str, fallback: str = "scenario") -> str:
    """``text`` made file-safe: other characters become '_', leading '.', '_' and '-' go (a file's default name)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", text).lstrip("._-")[:100] or fallback


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
