"""Shared base of the scenario models: frozen, unknown keys forbidden; common constrained types.

Numbers are strict, finite and bounded: a scenario file is data from a user, and the engine
cannot run ``"12"``, ``true``, NaN, infinity or 1e308 as a count, a rate or an amount of money.
``Int`` accepts only integers; ``Real`` accepts integers and floats but not booleans or strings;
``Model`` forbids NaN and infinity in every float. Bounds are wide enough for any real portfolio
and narrow enough that sums over millions of accounts and thousands of days stay finite.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Strict

MONEY_MAX = 1e12  # one amount (a balance, a fee, a day's pay): a trillion, far beyond any account or team
RATE_MAX = 10.0  # a daily hazard, an intensity jump or a multiplier of one: e^10 and beyond is no longer a rate
DAYS_MAX = 3650  # ten years: the longest horizon, delay or waiting time a scenario may name
DPD_MAX = 10_000  # days past due: entry DPD (≤ 720) plus the longest horizon, with room to spare
HEADCOUNT_MAX = 10_000  # agents in one team: each is a simulated process, so the run's work grows with it

Int = Annotated[int, Strict()]
Real = Annotated[float, Strict()]
Prob = Annotated[Real, Field(ge=0.0, le=1.0)]
NonNeg = Annotated[Real, Field(ge=0.0, le=RATE_MAX)]
Pos = Annotated[Real, Field(gt=0.0, le=RATE_MAX)]
Money = Annotated[Real, Field(ge=0.0, le=MONEY_MAX)]
Days = Annotated[Int, Field(ge=0, le=DAYS_MAX)]
Dpd = Annotated[Int, Field(ge=0, le=DPD_MAX)]
Hour = Annotated[Real, Field(ge=0, le=24)]
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
Text = Annotated[str, Field(max_length=10_000)]  # free text (a description): printed and saved, never parsed


def file_safe_name(text: str, fallback: str = "scenario") -> str:
    """``text`` made file-safe: other characters become '_', leading '.', '_' and '-' go (a file's default name)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", text).lstrip("._-")[:100] or fallback


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
