"""Conduct rules and complaints, as scenario data (docs/sources.md, Conduct rules).

A rulebook is a list of named rules of a few kinds — contact caps per account in a
rolling window, contact hours in the borrower's local time, cool-off after a
conversation, stop after a refusal or during a dispute, crews for field visits,
forbearance before legal action — applied in ``enforce`` mode (an action beyond a
rule is blocked or deferred) or ``audit`` mode (it happens and is counted).
Shipped presets (``presets = ["us_reg_f"]``) expand to rules of the same kinds.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from collectsim.scenario.schema_base import DAYS_MAX, Int, Model, Money, NonNeg, Prob, Real

Kind = Literal["message", "call", "letter", "visit", "legal", "agency"]
CONTACT_KINDS: tuple[str, ...] = ("message", "call", "visit")


class Cap(Model):
    """At most ``max`` counted actions per account in any ``window_days`` (rolling)."""

    name: str
    kinds: tuple[Kind, ...] = ()
    channels: tuple[str, ...] = ()
    counts: Literal["attempts", "connected", "unanswered"] = "attempts"
    max: Annotated[Int, Field(ge=0, le=1000)]
    window_days: Annotated[Real, Field(gt=0, le=366)]

    @model_validator(mode="after")
    def _targets(self) -> Cap:
        if not self.kinds and not self.channels:
            raise ValueError(f"cap '{self.name}' needs 'kinds' or 'channels' to say what it counts")
        return self


class Hours(Model):
    """Contact only between ``start`` and ``end`` o'clock in the borrower's local time."""

    name: str
    start: Annotated[Real, Field(ge=0, le=24)]
    end: Annotated[Real, Field(ge=0, le=24)]
    kinds: tuple[Kind, ...] = CONTACT_KINDS

    @model_validator(mode="after")
    def _order(self) -> Hours:
        if self.start >= self.end:
            raise ValueError(f"hours '{self.name}': start {self.start} must be before end {self.end}")
        return self


class CoolOff(Model):
    """No action of ``kinds`` on the ``days`` calendar days starting with a conversation's day."""

    name: str
    days: Annotated[Int, Field(ge=1, le=365)]
    kinds: tuple[Kind, ...] = ("call",)


class Stop(Model):
    """No contact after the borrower refuses it, or while a dispute is being verified."""

    name: str
    on: Literal["refusal", "dispute"]
    kinds: tuple[Kind, ...] = CONTACT_KINDS


class Crew(Model):
    """Field visits by at least ``min_collectors`` collectors (each visit ties up that many)."""

    name: str
    min_collectors: Annotated[Int, Field(ge=2, le=5)] = 2


class Forbearance(Model):
    """Legal action only after a repayment plan or settlement has been offered."""

    name: str


Rule = Cap | Hours | CoolOff | Stop | Crew | Forbearance


class Rules(Model):
    caps: tuple[Cap, ...] = ()
    hours: tuple[Hours, ...] = ()
    cool_offs: tuple[CoolOff, ...] = ()
    stops: tuple[Stop, ...] = ()
    crews: tuple[Crew, ...] = ()
    forbearance: tuple[Forbearance, ...] = ()

    def all(self) -> list[Rule]:
        return [*self.caps, *self.hours, *self.cool_offs, *self.stops, *self.crews, *self.forbearance]


class Conduct(Model):
    """Which rules apply and how: ``enforce`` blocks or defers; ``audit`` lets it happen and counts."""

    mode: Literal["enforce", "audit"] = "enforce"
    presets: tuple[Literal["us_reg_f", "us_ma", "cn_national_standard_2025", "cn_cba_2026", "eu_ccd2"], ...] = ()
    rules: Rules = Rules()
    dispute_hold_days: Annotated[Int, Field(ge=0, le=365)] = 30


class Complaints(Model):
    """Each contact may end in a complaint: base odds by kind, raised by recent contact pressure
    and by vulnerability. Complaints cost money.

    Complaints follow intrusiveness, not volume: repeated calls and visits are what
    harassment rules target (Regulation F's 7-calls-in-7-days presumption caps calls, not
    messages), so the base odds are ordered visit ≫ call ≫ letter ≫ message, and only contacts
    of ``pressure_kinds`` raise the pressure level (a count decaying with
    ``pressure_half_life_days``) that multiplies the odds of every kind.
    """

    base_prob: dict[Kind, Prob] = Field(
        default_factory=lambda: {"visit": 0.004, "call": 0.001, "letter": 0.0003, "message": 0.00002}
    )
    pressure_kinds: tuple[Kind, ...] = ("call", "visit")
    pressure: NonNeg = 0.3
    pressure_half_life_days: Annotated[Real, Field(gt=0, le=DAYS_MAX)] = 7.0
    vulnerable_multiplier: Annotated[Real, Field(ge=0.0, le=100.0)] = 3.0
    cost: Money = 150.0
