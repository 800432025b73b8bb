"""Fuzzing the command line: mutated scenario files, sweep files and argument lists.

Every invocation must end in exit 0, or exit 2 with exactly one line on stderr and no traceback;
a failure writes nothing anywhere, a success writes only under the results root, and every KPI of
a successful run is possible (``metrics.impossible_kpis``). Each example runs in a fresh temporary
working directory whose whole tree is compared before and after.

Mutations leave ``population.accounts`` and ``horizon.days`` small (the inputs are shrunk shipped
scenarios) so a draw cannot ask for an hour of simulation; those two fields' own bounds are checked
exhaustively in ``tests/unit/test_schema_bounds.py``. Outcome counts are printed at the end (``-s``).
"""

from __future__ import annotations

import collections
import contextlib
import io
import json
import math
import os
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collectsim import metrics, readback
from collectsim.cli import main
from strategies import SHIPPED, shipped

FAST = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
SLOW = settings(FAST, max_examples=400)
OUTCOMES: collections.Counter[str] = collections.Counter()
PROTECTED = ("population.accounts", "horizon.days")
SMALL = {"accounts": 60, "days": 20}


@pytest.fixture(scope="module", autouse=True)
def _report_outcomes() -> Iterator[None]:
    yield
    print("\nfuzz outcomes:", dict(sorted(OUTCOMES.items())))


# ------------------------------------------------------------------------------------------------ strategies

EXTREME = st.sampled_from(
    [math.nan, math.inf, -math.inf, 1e308, -1e308, 5e-324, 0.0, -0.0, -1.0, 1e12, 0, -1, 2**31, 2**63, 10**12]
)
WEIRD_TEXT = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["", " ", "../../etc", "/tmp/x", "ünïcödé", "名前", "\x00", "a" * 100_000, "12", "true", "nan"]),
)
OTHER_TYPE = st.one_of(
    st.booleans(), WEIRD_TEXT, st.lists(st.integers(-3, 3), max_size=3), st.just({}), st.just({"x": 1}), EXTREME
)


def _paths(data: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path into nested dicts and lists (tables, arrays and leaves)."""
    out = []
    if isinstance(data, dict):
        items = data.items()
    elif isinstance(data, list):
        items = enumerate(data)
    else:
        return out
    for k, v in items:
        out.append((*prefix, k))
        out += _paths(v, (*prefix, k))
    return out


def _mutable(path: tuple) -> bool:
    dotted = ".".join(str(p) for p in path)
    return not any(dotted == p or p.startswith(dotted + ".") for p in PROTECTED) and path not in (("name",),)


@st.composite
def mutated_scenario(draw: st.DrawFn) -> dict[str, Any]:
    """A shrunk shipped scenario with 1–4 random deletions, type swaps, extreme numbers, odd text or renamed keys."""
    data = json.loads(json.dumps(shipped(draw(st.sampled_from(SHIPPED)))))
    data["population"]["accounts"] = SMALL["accounts"]
    data.setdefault("horizon", {})["days"] = SMALL["days"]
    if data["population"].get("mode") == "inflow":
        data["population"]["inflow_days"] = min(data["population"].get("inflow_days", 1), SMALL["days"])
    for _ in range(draw(st.integers(1, 4))):
        paths = [p for p in _paths(data) if _mutable(p)]
        path = draw(st.sampled_from(paths))
        parent = data
        for key in path[:-1]:
            parent = parent[key]
        key = path[-1]
        kind = draw(st.sampled_from(["delete", "type", "extreme", "text", "rename"]))
        if kind == "delete":
            del parent[key]
        elif kind == "rename" and isinstance(parent, dict):
            taken = set(parent)
            parent[draw(WEIRD_TEXT.filter(lambda t, taken=taken: t not in taken))] = parent.pop(key)
        elif kind == "type":
            parent[key] = draw(OTHER_TYPE)
        elif kind == "extreme":
            parent[key] = draw(EXTREME)
        else:
            parent[key] = draw(WEIRD_TEXT)
    return data


def _write_toml(path: Path, data: dict[str, Any]) -> None:
    """TOML has nan and inf but not NUL; a value TOML cannot hold is written as text, as a user's editor would."""
    try:
        path.write_text(tomli_w.dumps(data), encoding="utf-8")
    except (TypeError, ValueError):
        path.write_text(json.dumps(data, default=str), encoding="utf-8")  # not TOML: the loader must say so


SWEEP_PATHS = st.sampled_from(
    [
        "teams.early_callers.headcount",
        "teams.late_callers.headcount",
        "channels.sms.cost",
        "reasons.forgetful.lambda_inf",
        "economy.beta",
        "economy.unemployment_change_pp",
        "legal.court_days.mean",
        "no.such.field",
        "population.accounts",
    ]
)
SWEEP_NUMBER = st.one_of(st.integers(-2, 6), st.floats(-1, 5), EXTREME)


def _mostly(draw: st.DrawFn, usual: st.SearchStrategy, odd: st.SearchStrategy) -> Any:
    """``usual`` four times in five, so a good share of sweeps is valid and runs; ``odd`` otherwise."""
    return draw(odd if draw(st.integers(0, 4)) == 0 else usual)


@st.composite
def sweep_file(draw: st.DrawFn) -> dict[str, Any]:
    """A sweep over the small scenario: a design, 1–2 parameters, bounds or levels often odd."""
    design = _mostly(draw, st.sampled_from(["grid", "lhs", "sobol"]), st.sampled_from(["random", "", "GRID"]))
    params: dict[str, Any] = {}
    for path in draw(st.lists(SWEEP_PATHS, min_size=0, max_size=2, unique=True)):
        if design == "grid" or draw(st.integers(0, 4)) == 0:
            level = st.integers(0, 4) if draw(st.integers(0, 4)) else SWEEP_NUMBER
            params[path] = {"levels": draw(st.lists(level, max_size=3))}
        else:
            low, high = _mostly(draw, st.integers(0, 2), SWEEP_NUMBER), _mostly(draw, st.integers(3, 5), SWEEP_NUMBER)
            params[path] = {"low": low, "high": high, "integer": draw(st.booleans())}
    body: dict[str, Any] = {"scenario": "small.toml", "design": design, "parameters": params}
    body["replications"] = _mostly(draw, st.just(1), EXTREME)
    if design != "grid" or draw(st.integers(0, 4)) == 0:
        body["points"] = _mostly(draw, st.integers(1, 3), EXTREME)
    kpi = st.sampled_from(["recovery_rate", "total_cost", "roll_rate_1_30"])
    odd_kpi = st.sampled_from(["nope", "", "x" * 1000])
    body["kpis"] = draw(st.lists(kpi if draw(st.integers(0, 4)) else odd_kpi, max_size=2))
    if draw(st.booleans()):
        body["seed"] = draw(st.one_of(st.integers(0, 5), EXTREME))
    return body


FLAG_VALUE = st.one_of(
    st.sampled_from(["nan", "inf", "-inf", "-1", "0", "1", "0.5", "1e308", "1e12", "abc", "", "5,10", "1:3", "2:1"]),
    st.integers(-5, 20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)
SET_VALUE = st.sampled_from(
    [
        "teams.early_callers.headcount=3",
        "teams.early_callers.headcount=nan",
        "teams.early_callers.headcount='3'",
        "channels.sms.cost=1e308",
        "channels.sms.cost=true",
        "economy.beta=inf",
        "reasons={}",
        "legal.court_days={dist='constant', value=-30}",
        "repayment.promise_days=[1, 1000000000000]",
        "population.segments.prime.balance.value=inf",
        "name='../x'",
        "no.such=1",
        "garbage",
    ]
)


@st.composite
def argv(draw: st.DrawFn) -> list[str]:
    """An argument list for a cheap command, with flags and values drawn from odd and ordinary ones."""
    command = draw(st.sampled_from(["run", "validate", "compare", "staff", "erlang", "bogus"]))
    args = [command]
    if command in ("run", "validate", "staff"):
        args.append(draw(st.sampled_from(["small.toml", "missing.toml", ".", "small.toml/x"])))
    if command == "compare":
        args += ["small.toml", draw(st.sampled_from(["small.toml", "missing.toml"])), "-n", draw(FLAG_VALUE)]
    flags = {
        "run": ["--seed", "--results"],
        "validate": [],
        "compare": ["--seed", "--in-run", "--target-half-width", "--max-n", "--workers", "--results"],
        "staff": ["--headcount", "-n", "--target-service", "--max-runs", "--workers", "--results"],
        "erlang": ["--arrivals-per-hour", "--aht-min", "--target", "--within-s", "--shrinkage", "--simulate-hours"],
        "bogus": ["--x"],
    }[command]
    if command == "staff":
        args += ["--team", draw(st.sampled_from(["early_callers", "nobody"]))]
    for flag in draw(st.lists(st.sampled_from(flags), unique=True, max_size=4)) if flags else []:
        value = draw(FLAG_VALUE) if flag != "--results" else draw(st.sampled_from(["results", "small.toml", "r/s"]))
        if flag == "--simulate-hours" and value not in ("nan", "inf", "-1", "abc", "1e308"):
            value = "0.5"  # short: 25 replications of it run
        if flag in ("--workers", "-n", "--max-n", "--max-runs") and value.isdigit() and int(value) > 3:
            value = "1" if flag == "--workers" else "3"  # valid but small: fuzz the parser, not the pool
        args += [flag, value]
    if command in ("run", "validate", "compare", "staff"):
        for item in draw(st.lists(SET_VALUE, max_size=2)):
            args += ["--set", item]
    if command in ("run", "compare", "staff"):
        args += ["--quiet", "--no-report"]
        if "--workers" not in args and command != "run":
            args += ["--workers", "1"]
        if "--results" not in args:
            args += ["--results", "results"]
    if command == "erlang" and "--arrivals-per-hour" not in args:
        args += ["--arrivals-per-hour", "100", "--aht-min", "5"]
    return args


# ------------------------------------------------------------------------------------------------ the harness


def _tree(root: Path) -> dict[str, int]:
    """Every file and folder under ``root`` with its size (folders: -1)."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for d in dirnames:
            out[os.path.relpath(os.path.join(dirpath, d), root)] = -1
        for f in filenames:
            p = os.path.join(dirpath, f)
            out[os.path.relpath(p, root)] = os.lstat(p).st_size
    return out


def _small_scenario(folder: Path) -> None:
    data = json.loads(json.dumps(shipped("baseline.toml")))
    data["population"]["accounts"] = SMALL["accounts"]
    data.setdefault("horizon", {})["days"] = SMALL["days"]
    (folder / "small.toml").write_text(tomli_w.dumps(data), encoding="utf-8")


def invoke(args: list[str], folder: Path, label: str) -> int:
    """Run the CLI in ``folder`` and check the contract; returns the exit code."""
    results = folder / (args[args.index("--results") + 1] if "--results" in args[:-1] else "results")
    before = _tree(folder)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.chdir(folder), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(args)
            except SystemExit as exc:
                code = exc.code
    after = _tree(folder)
    lines = [ln for ln in err.getvalue().splitlines() if ln.strip()]
    OUTCOMES[f"{label} exit {code}"] += 1
    for w in caught:
        OUTCOMES[f"{label} warning: {str(w.message)[:60]}"] += 1
    assert code in (0, 2), (args, code, err.getvalue())
    assert "Traceback" not in err.getvalue()
    if code == 2:
        assert len(lines) == 1, (args, err.getvalue())
        assert not caught, (args, [str(w.message) for w in caught])  # a warning would be a second stderr line
        assert after == before, (args, set(after) ^ set(before))
        return code
    root = results.resolve()
    outside = {  # the results root, its new parent folders and what is under it may appear; nothing else
        p
        for p in set(after) - set(before)
        if not ({root, *root.parents} & {(folder / p).resolve()} or (folder / p).resolve().is_relative_to(root))
    }
    assert not outside, (args, outside)
    for kpis in results.rglob("kpis.json"):
        found = metrics.impossible_kpis(readback.kpis_json(kpis))
        assert not found, (args, found)
    return code


@contextlib.contextmanager
def _workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="collectsim-fuzz-") as tmp:
        folder = Path(tmp)
        _small_scenario(folder)
        yield folder


def _scenario_case(data: dict[str, Any]) -> None:
    with _workdir() as folder:
        _write_toml(folder / "fuzzed.toml", data)
        invoke(["validate", "fuzzed.toml"], folder, "scenario validate")
        invoke(["run", "fuzzed.toml", "--quiet", "--no-report", "--results", "results"], folder, "scenario run")


def _sweep_case(body: dict[str, Any]) -> None:
    with _workdir() as folder:
        _write_toml(folder / "sweep.toml", body)
        invoke(["sweep", "sweep.toml", "--workers", "1", "--quiet", "--no-report"], folder, "sweep")


def _argv_case(args: list[str]) -> None:
    with _workdir() as folder:
        invoke(args, folder, f"cli {args[0]}")


@FAST
@given(mutated_scenario())
def test_fuzz_scenario_files(data: dict[str, Any]) -> None:
    """Mutated scenario files: validate and run end in exit 0 or one line and exit 2, writing nothing on failure."""
    _scenario_case(data)


@settings(FAST, max_examples=10)
@given(sweep_file())
def test_fuzz_sweep_files(body: dict[str, Any]) -> None:
    """Random sweep files: exit 0 or one line and exit 2; nothing written on failure."""
    _sweep_case(body)


@FAST
@given(argv())
def test_fuzz_argument_lists(args: list[str]) -> None:
    """Random argument lists for cheap commands: exit 0 or one line and exit 2; NaN and odd numbers refused."""
    _argv_case(args)


@pytest.mark.slow
@SLOW
@given(mutated_scenario())
def test_fuzz_scenario_files_many(data: dict[str, Any]) -> None:
    """The scenario-file fuzz with many more inputs (run with -m slow)."""
    _scenario_case(data)


@pytest.mark.slow
@SLOW
@given(sweep_file())
def test_fuzz_sweep_files_many(body: dict[str, Any]) -> None:
    """The sweep-file fuzz with many more inputs (run with -m slow)."""
    _sweep_case(body)


@pytest.mark.slow
@SLOW
@given(argv())
def test_fuzz_argument_lists_many(args: list[str]) -> None:
    """The argument-list fuzz with many more inputs (run with -m slow)."""
    _argv_case(args)
