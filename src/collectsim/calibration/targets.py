"""Targets files: aggregate KPI targets and the scenario parameters free to meet them.

Validated like sweep files: unknown keys, a KPI the simulator does not report, a dotted
path that is not a numeric field of the scenario, or bounds with ``low ≥ high`` are
errors naming the field and what is allowed, raised before any simulation starts.

.. code-block:: toml

    name = "us_card_fit"
    [targets.roll_rate_30_60]        # any KPI name simulate() returns
    value = 0.20
    tolerance = 0.02                 # absolute; scales the objective
    weight = 1.0                     # default 1
    [free."reasons.forgetful.lambda_inf"]   # a dotted scenario path, as --set uses
    low = 0.05
    high = 0.4
    log = false                      # search in log space (needs low > 0)
    start = 0.1                      # default: the middle of [low, high] (geometric if log)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError, field_validator, model_validator

from collectsim.errors import ScenarioError
from collectsim.experiments.kpinames import known_kpis, not_a_kpi
from collectsim.scenario import Scenario, with_overrides
from collectsim.scenario.load import read_toml, validation_problems
from collectsim.scenario.schema import Model, Slug

Finite = Annotated[float, Field(allow_inf_nan=False)]


class Target(Model):
    """One aggregate target: the model's mean KPI should be within ``tolerance`` of ``value``."""

    value: Finite
    tolerance: Annotated[float, Field(gt=0, allow_inf_nan=False)]
    weight: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 1.0


class FreeParameter(Model):
    """A scenario field the fit may move within ``[low, high]`` (in log space if ``log``)."""

    low: Finite
    high: Finite
    log: bool = False
    start: Finite | None = None

    @model_validator(mode="after")
    def _bounds(self) -> FreeParameter:
        if not self.low < self.high:
            raise ValueError(f"low ({self.low:g}) must be below high ({self.high:g})")
        if self.log and self.low <= 0:
            raise ValueError(f"log = true needs low > 0 (got low = {self.low:g})")
        if self.start is not None and not self.low <= self.start <= self.high:
            raise ValueError(f"start ({self.start:g}) must lie in [low, high] = [{self.low:g}, {self.high:g}]")
        return self

    def to_unit(self, value: float) -> float:
        """The value's position in the search cube [0, 1] (log-scaled if ``log``)."""
        if self.log:
            return (math.log(value) - math.log(self.low)) / (math.log(self.high) - math.log(self.low))
        return (value - self.low) / (self.high - self.low)

    def from_unit(self, u: float) -> float:
        """The parameter value at position ``u`` of the search cube (clipped to [0, 1])."""
        u = min(1.0, max(0.0, float(u)))
        if self.log:
            value = math.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low)))
        else:
            value = self.low + u * (self.high - self.low)
        return min(self.high, max(self.low, float(f"{value:.10g}")))  # 10 digits: clean scenario files

    @property
    def start_unit(self) -> float:
        return 0.5 if self.start is None else self.to_unit(self.start)


class TargetsSpec(Model):
    """A targets file: what the portfolio shows, and which parameters may move to match it."""

    name: Slug | None = None
    description: str | None = None
    targets: dict[str, Target]
    free: dict[str, FreeParameter]

    @field_validator("targets")
    @classmethod
    def _some_targets(cls, v: dict[str, Target]) -> dict[str, Target]:
        if not v:
            raise ValueError("at least one target is required, e.g. [targets.recovery_rate]")
        if not any(t.weight > 0 for t in v.values()):
            raise ValueError("at least one target needs weight > 0")
        return v

    @field_validator("free")
    @classmethod
    def _some_free(cls, v: dict[str, FreeParameter]) -> dict[str, FreeParameter]:
        if not v:
            raise ValueError('at least one free parameter is required, e.g. [free."channels.call.effect"]')
        return v


def load_targets(path: str | Path, scenario: Scenario) -> TargetsSpec:
    """Read a targets file and check it against ``scenario``; raises ``ScenarioError`` naming the field."""
    source = str(path)
    raw = read_toml(path)
    return check_targets(raw, scenario, source=source)


def check_targets(raw: Mapping[str, Any] | TargetsSpec, scenario: Scenario, *, source: str = "targets") -> TargetsSpec:
    """Validate a targets mapping (or spec) against ``scenario``: schema, KPI names, free paths and bounds."""
    if isinstance(raw, TargetsSpec):
        spec = raw
    else:
        try:
            spec = TargetsSpec.model_validate(dict(raw))
        except ValidationError as exc:
            raise ScenarioError(validation_problems(exc, TargetsSpec), source) from None
    for path, p in spec.free.items():
        _check_free(scenario, path, p, source)
    _check_kpis(spec, scenario, source)
    return spec


def _check_free(scenario: Scenario, path: str, p: FreeParameter, source: str) -> None:
    field = f"free.{path}"
    current = _lookup(scenario.model_dump(mode="json", exclude_none=True), path)
    if current is None:  # a misspelt path, or an optional field left unset: the override says which
        try:
            current = _lookup(with_overrides(scenario, {path: p.low}).model_dump(mode="json"), path)
        except ScenarioError as exc:
            where, msg = exc.problems[0]
            raise ScenarioError([(field, msg if path.startswith(where) else f"{where}: {msg}")], source) from None
    if isinstance(current, bool) or not isinstance(current, float):
        kind = (
            "a table"
            if isinstance(current, dict | list)
            else "a whole-number field"
            if isinstance(current, int) and not isinstance(current, bool)
            else "not a number"
        )
        raise ScenarioError(
            [(field, f"'{path}' is {kind}; allowed: a real-valued scenario field, e.g. 'channels.call.effect'")],
            source,
        )
    for bound in ("low", "high"):
        value = getattr(p, bound)
        try:
            with_overrides(scenario, {path: value})
        except ScenarioError as exc:
            where, msg = exc.problems[0]
            at = "" if where == path else f"{where}: "
            raise ScenarioError([(field, f"{bound} = {value:g} is not allowed: {at}{msg}")], source) from None


def _lookup(data: Any, path: str) -> Any:
    node = data
    for key in path.split("."):
        if isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        elif isinstance(node, dict) and key in node:
            node = node[key]
        else:
            return None
    return node


def _check_kpis(spec: TargetsSpec, scenario: Scenario, source: str) -> None:
    known = known_kpis(scenario)
    for k in spec.targets:
        if k not in known:
            extra = (
                f"liquidation points run to liquidation_d{scenario.horizon.days // 10 * 10:03d} over this horizon; "
                if k.startswith("liquidation_d")
                else ""
            )
            raise ScenarioError([(f"targets.{k}", not_a_kpi(k, known, extra))], source)
