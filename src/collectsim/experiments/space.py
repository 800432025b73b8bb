"""Search-space files for ``optimise``: the champion scenario, free parameters, objectives, constraints.

Validated like sweep files: unknown keys and impossible values are one-line errors naming the field
and the allowed values, and every parameter's extremes (each bound, each choice, each switch
position) are applied to the champion up front, so a bad path or value fails before any simulation.

A parameter is a dotted scenario path (as ``--set`` takes it) with ``low``/``high`` (``integer``,
``log``), ``choices`` or ``switch = true``. A switch addresses a ladder step
(``policy.ladders.<ladder>.stages.<i>.actions.<j>``): *off* removes the step from the ladder. The
schema has no ``enabled`` flag, and removing the step is what a strategy team would write by hand.
Steps are removed after every other override, from the highest index down, so other parameters keep
addressing steps by their index in the champion.

``[headcount]`` holds a team budget fixed: the listed teams share exactly ``total`` collectors (by
default the champion's), split by one weight per team. "At equal resources" is then true of every
candidate by construction, rather than a constraint most samples would break (a sum ≤ N over four
free headcounts wastes most trials outside the budget or below it). A ``headcount <= N`` constraint
is still accepted for spaces with free headcounts.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, model_validator

from collectsim.errors import ScenarioError
from collectsim.experiments.kpinames import known_kpis, not_a_kpi
from collectsim.experiments.stats import direction
from collectsim.experiments.sweepfile import spec_and_scenario
from collectsim.scenario import Scenario
from collectsim.scenario.load import read_toml, scenario_from_dict
from collectsim.scenario.overrides import apply_overrides
from collectsim.scenario.schema import Model, Slug

HEADCOUNT = "headcount"  # pseudo-KPI: the candidate's total headcount, known before it runs
STEP = re.compile(r"^policy\.ladders\.[^.]+\.stages\.\d+\.actions\.\d+$")
CONSTRAINT = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*(<=|>=)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$")
WEIGHT = "headcount_weight."  # optuna parameter name prefix of a team's share of the budget


class SpaceParameter(Model):
    low: float | None = None
    high: float | None = None
    integer: bool = False
    log: bool = False
    choices: tuple[Any, ...] | None = None
    switch: bool = False

    @model_validator(mode="after")
    def _one_kind(self) -> SpaceParameter:
        kinds = [self.low is not None or self.high is not None, self.choices is not None, self.switch]
        if sum(kinds) != 1:
            raise ValueError("give exactly one of: low and high, choices, or switch = true")
        if kinds[0]:
            if self.low is None or self.high is None or not self.low < self.high:
                raise ValueError(f"needs low < high, got low={self.low}, high={self.high}")
            if self.integer and not (float(self.low).is_integer() and float(self.high).is_integer()):
                raise ValueError("integer needs whole-number low and high")
            if self.log and self.low <= 0:
                raise ValueError(f"log scale needs low > 0, got {self.low}")
        elif self.integer or self.log:
            raise ValueError("integer and log apply only to a low/high range")
        if self.choices is not None and len(self.choices) < 2:
            raise ValueError("choices needs at least two values")
        return self


class HeadcountBudget(Model):
    teams: tuple[str, ...]
    total: Annotated[int, Field(ge=1)] | None = None
    min: Annotated[int, Field(ge=0)] = 1

    @model_validator(mode="after")
    def _two(self) -> HeadcountBudget:
        if len(self.teams) < 2 or len(set(self.teams)) < len(self.teams):
            raise ValueError("teams: list two or more different teams to share the budget")
        return self


class Confirm(Model):
    replications: Annotated[int, Field(ge=2, le=10_000)] = 20
    top: Annotated[int, Field(ge=1, le=20)] = 1


class SpaceSpec(Model):
    name: Slug | None = None
    scenario: str
    seed: Annotated[int, Field(ge=0)] = 1
    trials: Annotated[int, Field(ge=1, le=100_000)] = 40
    batch: Annotated[int, Field(ge=1, le=256)] = 4
    replications: Annotated[int, Field(ge=1, le=1000)] = 2
    full_replications: Annotated[int, Field(ge=1, le=1000)] = 6
    promote: Annotated[float, Field(gt=0, le=1)] = 0.25
    population: Annotated[int, Field(ge=2, le=1000)] = 8
    start_from_champion: bool = True
    objective: str | tuple[str, ...] = "npv"
    constraints: tuple[str, ...] = ()
    confirm: Confirm = Confirm()
    set: dict[str, Any] = Field(default_factory=dict)
    headcount: HeadcountBudget | None = None
    parameters: dict[str, SpaceParameter] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _sizes(self) -> SpaceSpec:
        if self.full_replications < self.replications:
            raise ValueError(
                f"full_replications: {self.full_replications} is below replications ({self.replications}); "
                "allowed: full_replications ≥ replications"
            )
        if not self.parameters and self.headcount is None:
            raise ValueError("parameters: at least one parameter (or a [headcount] budget) is required")
        return self


@dataclass(frozen=True)
class Objective:
    kpi: str
    sign: int  # +1 maximise, −1 minimise

    @property
    def direction(self) -> str:
        return "maximize" if self.sign > 0 else "minimize"


@dataclass(frozen=True)
class Constraint:
    kpi: str
    op: str  # "<=" or ">="
    bound: float

    def violation(self, value: float) -> float:
        """≤ 0 when met (optuna's convention), else how far off."""
        return value - self.bound if self.op == "<=" else self.bound - value

    def __str__(self) -> str:
        return f"{self.kpi} {self.op} {self.bound:g}"


@dataclass(frozen=True)
class Space:
    """A checked search space: the champion scenario and how a parameter set becomes a candidate."""

    spec: SpaceSpec
    champion: Scenario
    objectives: tuple[Objective, ...]
    constraints: tuple[Constraint, ...]
    source: str = "space"

    @property
    def name(self) -> str:
        return self.spec.name or self.champion.name

    @property
    def budget_total(self) -> int:
        hc = self.spec.headcount
        if hc is None:
            return 0
        return hc.total if hc.total is not None else sum(self.champion.teams[t].headcount for t in hc.teams)

    def candidate(self, params: Mapping[str, Any]) -> Scenario:
        """The champion with one trial's parameters applied (budget allocated, switched-off steps removed)."""
        return _build(self.champion, self.spec, params, self.budget_total, self.name)

    def champion_params(self) -> dict[str, Any] | None:
        """The champion as a point of the space, or None when one of its values lies outside it."""
        raw = self.champion.model_dump(mode="json", exclude_none=True)
        out: dict[str, Any] = {}
        for path, p in self.spec.parameters.items():
            try:
                value = _lookup(raw, path)
            except (KeyError, IndexError, ValueError):
                return None
            if p.switch:
                out[path] = True
            elif p.choices is not None:
                if value not in p.choices:
                    return None
                out[path] = value
            elif value is None or not p.low <= value <= p.high:
                return None
            else:
                out[path] = int(value) if p.integer else float(value)
        if self.spec.headcount is not None:
            counts = [self.champion.teams[t].headcount for t in self.spec.headcount.teams]
            if sum(counts) != self.budget_total:
                return None
            top = max(counts)
            for t, c in zip(self.spec.headcount.teams, counts, strict=True):
                out[WEIGHT + t] = c / top if top else 1.0
        return out


def space_key(space: Space) -> str:
    """A short stable hash of what decides a study's results; ``trials`` and ``confirm`` may change (to extend it)."""
    spec = space.spec.model_dump(mode="json", exclude={"trials", "confirm"})
    text = json.dumps([spec, space.champion.model_dump(mode="json")], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def allocate(total: int, weights: list[float], floor: int) -> list[int]:
    """``total`` whole collectors split in proportion to ``weights``, each team at least ``floor``.

    Largest remainders: the counts always sum to ``total``, and weights proportional to a
    champion's counts give back exactly those counts.
    """
    free = total - floor * len(weights)
    w = [max(0.0, x) for x in weights]
    s = sum(w)
    w = [x / s for x in w] if s > 0 else [1 / len(w)] * len(w)
    exact = [free * x for x in w]
    base = [math.floor(x + 1e-9) for x in exact]
    order = sorted(range(len(w)), key=lambda i: (-(exact[i] - base[i]), i))
    for i in order[: free - sum(base)]:
        base[i] += 1
    return [floor + b for b in base]


def _build(champion: Scenario, spec: SpaceSpec, params: Mapping[str, Any], total: int, name: str) -> Scenario:
    plain = {k: v for k, v in params.items() if not k.startswith(WEIGHT) and not spec.parameters[k].switch}
    if spec.headcount is not None:
        teams = spec.headcount.teams
        counts = allocate(total, [float(params[WEIGHT + t]) for t in teams], spec.headcount.min)
        plain |= {f"teams.{t}.headcount": c for t, c in zip(teams, counts, strict=True)}
    raw = apply_overrides(champion.model_dump(mode="json", exclude_none=True), plain)
    off = [k for k, v in params.items() if k in spec.parameters and spec.parameters[k].switch and not v]
    for path in sorted(off, key=lambda p: [int(x) if x.isdigit() else x for x in p.split(".")], reverse=True):
        *table, index = path.split(".")
        _lookup(raw, ".".join(table)).pop(int(index))
    raw["name"] = f"{name}-candidate"
    return scenario_from_dict(raw, source="candidate")


def _lookup(raw: Any, path: str) -> Any:
    node = raw
    for key in path.split("."):
        node = node[int(key)] if isinstance(node, list) else node[key]
    return node


def load_space(path: str | Path) -> Space:
    """Read and check a search-space file; every problem is one line naming the field."""
    path = Path(path)
    source = str(path)
    raw = read_toml(path)
    spec, champion = spec_and_scenario(raw, SpaceSpec, path)
    return check_space(spec, champion, source)


def check_space(spec: SpaceSpec, champion: Scenario, source: str = "space") -> Space:
    """Objectives, constraints and parameters checked against the champion; returns the ``Space``."""
    known = known_kpis(champion)
    objectives = tuple(
        _objective(text, f"objective.{i}" if not isinstance(spec.objective, str) else "objective", known, source)
        for i, text in enumerate(_as_tuple(spec.objective))
    )
    if not objectives:
        raise ScenarioError([("objective", "name at least one KPI, e.g. 'npv'")], source)
    if len({o.kpi for o in objectives}) < len(objectives):
        raise ScenarioError([("objective", "each KPI may appear once")], source)
    constraints = tuple(_constraint(t, f"constraints.{i}", known, source) for i, t in enumerate(spec.constraints))
    if spec.headcount is not None:
        _check_budget(spec, champion, source)
    space = Space(spec, champion, objectives, constraints, source)
    for path, p in spec.parameters.items():
        _check_parameter(space, path, p, source)
    return space


def _as_tuple(x: str | tuple[str, ...]) -> tuple[str, ...]:
    return (x,) if isinstance(x, str) else tuple(x)


def _objective(text: str, where: str, known: list[str], source: str) -> Objective:
    prefix, _, kpi = text.rpartition(":")
    if prefix not in ("", "max", "min"):
        raise ScenarioError([(where, f"'{text}': prefix '{prefix}:' is not allowed; allowed: max:, min:")], source)
    _known_kpi(kpi, where, known, source)
    sign = {"max": 1, "min": -1}.get(prefix) or direction(kpi)
    if sign == 0:
        raise ScenarioError([(where, f"'{kpi}' has no natural direction; write 'max:{kpi}' or 'min:{kpi}'")], source)
    return Objective(kpi, sign)


def _constraint(text: str, where: str, known: list[str], source: str) -> Constraint:
    m = CONSTRAINT.match(text)
    if m is None:
        raise ScenarioError(
            [(where, f"'{text}' is not a constraint; allowed: 'kpi <= number' or 'kpi >= number'")], source
        )
    kpi, op, bound = m.group(1), m.group(2), float(m.group(3))
    if kpi != HEADCOUNT:
        _known_kpi(kpi, where, [*known, HEADCOUNT], source)
    return Constraint(kpi, op, bound)


def _known_kpi(kpi: str, where: str, known: list[str], source: str) -> None:
    if kpi not in known:
        raise ScenarioError([(where, not_a_kpi(kpi, known))], source)


def _check_budget(spec: SpaceSpec, champion: Scenario, source: str) -> None:
    hc = spec.headcount
    assert hc is not None
    for t in hc.teams:
        if t not in champion.teams:
            raise ScenarioError(
                [("headcount.teams", f"'{t}' is not a team; defined: {', '.join(champion.teams)}")], source
            )
        if f"teams.{t}.headcount" in spec.parameters:
            raise ScenarioError(
                [
                    (
                        f'parameters."teams.{t}.headcount"',
                        "this team's headcount is set by [headcount]; remove one of the two",
                    )
                ],
                source,
            )
        if champion.teams[t].weekly_headcount is not None:
            raise ScenarioError(
                [("headcount.teams", f"'{t}' has a weekly_headcount roster; allowed: teams without")], source
            )
    total = hc.total if hc.total is not None else sum(champion.teams[t].headcount for t in hc.teams)
    if total < hc.min * len(hc.teams):
        raise ScenarioError(
            [
                (
                    "headcount.total",
                    f"{total} cannot give {len(hc.teams)} teams {hc.min} each; allowed: ≥ {hc.min * len(hc.teams)}",
                )
            ],
            source,
        )


def _check_parameter(space: Space, path: str, p: SpaceParameter, source: str) -> None:
    where = f'parameters."{path}"'
    if p.switch:
        raw = space.champion.model_dump(mode="json", exclude_none=True)
        try:
            ok = STEP.match(path) is not None and isinstance(_lookup(raw, path), dict)
        except (KeyError, IndexError, ValueError):
            ok = False
        if not ok:
            raise ScenarioError(
                [(where, "a switch needs an existing ladder step: policy.ladders.<ladder>.stages.<i>.actions.<j>")],
                source,
            )
        tries: list[Any] = [False]
    elif p.choices is not None:
        tries = list(p.choices)
    else:
        tries = [int(p.low), int(p.high)] if p.integer else [p.low, p.high]
    for value in tries:
        try:
            if p.switch:
                scenario_from_dict(_without(space, path))
            else:
                scenario_from_dict(
                    apply_overrides(space.champion.model_dump(mode="json", exclude_none=True), {path: value})
                )
        except ScenarioError as exc:
            field, msg = exc.problems[0]
            raise ScenarioError([(where, f"{value!r} gives an invalid scenario ({field}: {msg})")], source) from None


def _without(space: Space, path: str) -> dict[str, Any]:
    raw = space.champion.model_dump(mode="json", exclude_none=True)
    *table, index = path.split(".")
    _lookup(raw, ".".join(table)).pop(int(index))
    return raw
