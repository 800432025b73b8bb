"""Sweep files: a base scenario, parameters with levels or ranges, a design, replications.

Validated like scenarios: unknown keys and impossible values are errors naming the
field; every design point is applied to the base scenario up front, so a bad path
or value fails before any simulation starts.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, model_validator

from collectsim.errors import ScenarioError
from collectsim.experiments.design import Parameter, SaltelliDesign, grid, latin_hypercube, sobol_saltelli
from collectsim.experiments.kpinames import known_kpis, not_a_kpi
from collectsim.scenario import Scenario, load_scenario
from collectsim.scenario.load import read_toml, scenario_from_dict, validation_problems
from collectsim.scenario.schema import Int, Model, Real, Slug

MAX_RUNS = 100_000  # design points × replications: a day of work on a large machine, loaded in seconds
MAX_LEVELS = 10_000


class SweepParameter(Model):
    levels: Annotated[tuple[Any, ...], Field(max_length=MAX_LEVELS)] | None = None
    low: Annotated[Real, Field(ge=-1e15, le=1e15)] | None = None  # high − low must stay finite when sampled
    high: Annotated[Real, Field(ge=-1e15, le=1e15)] | None = None
    integer: bool = False


class SweepSpec(Model):
    name: Slug | None = None
    scenario: str
    design: Literal["grid", "lhs", "sobol"] = "grid"
    points: Annotated[Int, Field(ge=1, le=MAX_RUNS)] | None = None
    replications: Annotated[Int, Field(ge=1, le=10_000)] = 3
    seed: Annotated[Int, Field(ge=0, le=2**63 - 1)] = 1
    kpis: Annotated[tuple[str, ...], Field(min_length=1, max_length=100)] = (
        "recovery_rate",
        "net_recovery",
        "total_cost",
    )
    set: dict[str, Any] = Field(default_factory=dict)
    parameters: dict[str, SweepParameter]
    # A research policy (MODULE:CLASS) run at every point instead of the scenario's ladder.
    policy: Annotated[str, Field(pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")] | None = None

    @model_validator(mode="after")
    def _design_needs(self) -> SweepSpec:
        if not self.parameters:
            raise ValueError("parameters: at least one parameter is required")
        for path, p in self.parameters.items():
            if self.design == "grid" and not p.levels:
                raise ValueError(f"parameters.{path}: a grid needs 'levels' (a list of values)")
            if self.design != "grid" and (p.low is None or p.high is None or p.low >= p.high):
                raise ValueError(f"parameters.{path}: a {self.design} design needs 'low' < 'high'")
            if self.design != "grid" and p.integer and not (float(p.low).is_integer() and float(p.high).is_integer()):
                raise ValueError(f"parameters.{path}: an integer parameter needs whole-number 'low' and 'high'")
        if self.design != "grid" and self.points is None:
            raise ValueError(f"points: a {self.design} design needs 'points' (sample size)")
        if self.runs > MAX_RUNS:
            raise ValueError(
                f"{self.runs:,} runs ({self.design} design points × {self.replications} replications) exceed "
                f"the limit of {MAX_RUNS:,}; use fewer levels, points or replications"
            )
        return self

    @property
    def runs(self) -> int:
        """Design points × replications, counted without building the design (a grid may be huge)."""
        match self.design:
            case "grid":
                points = math.prod(len(p.levels or ()) for p in self.parameters.values())
            case "lhs":
                points = self.points or 0
            case _:
                points = (self.points or 0) * (len(self.parameters) + 2)
        return points * self.replications


def spec_and_scenario(raw: dict[str, Any], model: type[Model], path: Path) -> tuple[Any, Scenario]:
    """A sweep or search-space file's spec, and the scenario it names (relative to the file) with its ``set``.

    Problems are one line naming the file and the field; a typo in ``set`` is blamed on the file's key.
    """
    source = str(path)
    try:
        spec = model.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(validation_problems(exc, model), source) from None
    base_path = (path.parent / spec.scenario).resolve()
    if not base_path.exists():
        raise ScenarioError([("scenario", f"'{spec.scenario}' not found (looked for {base_path})")], source)
    return spec, load_scenario(base_path, spec.set, blame=lambda key: (source, f"set.{key}"))


def load_sweep(path: str | Path) -> tuple[SweepSpec, Scenario, list[dict[str, Any]] | SaltelliDesign]:
    """Read and check a sweep file; returns the spec, the base scenario (with ``set``) and the design."""
    path = Path(path)
    source = str(path)
    raw = read_toml(path)
    if "scenario" not in raw and "parameters" not in raw and set(raw) & (set(Scenario.model_fields) - {"name"}):
        problem = (
            "this is a scenario file, not a sweep file (a sweep file has `scenario = …` and `[parameters]`; "
            "run it with `collectsim run`)"
        )
        raise ScenarioError([("", problem)], source)
    spec, base = spec_and_scenario(raw, SweepSpec, path)
    design = build_design(spec)
    for i, point in enumerate(design.points if isinstance(design, SaltelliDesign) else design):
        try:
            scenario_from_dict(
                base.model_dump(mode="json", exclude_none=True),
                point,
                source=base.name,
                blame=lambda key: (source, f"parameters.{key}"),
            )
        except ScenarioError as exc:
            field, msg = exc.problems[0]
            if exc.source != source:  # a value that breaks a rule spanning several fields
                field = f"parameters ({field})"
            raise ScenarioError([(field, f"{msg} at design point {i}")], source) from None
    _check_kpis(spec, base, source)
    return spec, base, design


def build_design(spec: SweepSpec) -> list[dict[str, Any]] | SaltelliDesign:
    params = [Parameter(path, p.low, p.high, p.levels, p.integer) for path, p in spec.parameters.items()]
    match spec.design:
        case "grid":
            return grid(params)
        case "lhs":
            return latin_hypercube(params, spec.points, spec.seed)
        case _:
            return sobol_saltelli(params, spec.points, spec.seed)


def _check_kpis(spec: SweepSpec, base: Scenario, source: str) -> None:
    known = known_kpis(base)
    for k in spec.kpis:
        if k not in known:
            raise ScenarioError([("kpis", not_a_kpi(k, known))], source)
