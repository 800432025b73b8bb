"""The sweep journal is checked line by line: a damaged journal resumes to exactly the uninterrupted sweep."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

import collectsim as cs
from collectsim.experiments import sweep, sweep_identities
from collectsim.experiments.design import Parameter, grid
from collectsim.store import SweepStore
from collectsim.store.journal import encode

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
SEED, N = 4, 2
DESIGN = grid(
    [
        Parameter("teams.late_callers.headcount", levels=(2, 6)),
        Parameter("legal.court_days.mean", levels=(30.0, 90.0)),
    ]
)
IDENTITIES = sweep_identities(DESIGN, N, seed=SEED)
Lines = list[bytes]


@pytest.fixture(scope="module")
def base() -> cs.Scenario:
    return cs.load_scenario(SCENARIOS / "baseline.toml", {"population.accounts": 400, "horizon.days": 45})


@pytest.fixture(scope="module")
def uninterrupted(base: cs.Scenario, tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, Lines]:
    """The sweep run once without a break, and the journal lines it wrote (in job order)."""
    store = SweepStore(tmp_path_factory.mktemp("whole"), "s", "k", IDENTITIES)
    with store:
        table = sweep(base, DESIGN, N, seed=SEED, on_rows=store.append).to_frame()
    lines = store.journal.read_bytes().splitlines()
    return table, sorted(lines, key=lambda raw: json.loads(raw)["job"])


def _rows(lines: Lines, job: int) -> list[dict]:
    return json.loads(lines[job])["rows"]


def _altered(lines: Lines, job: int) -> dict:
    rows = _rows(lines, job)
    return {"rows": [{**rows[0], "recovery_rate": 0.99}]}


# Each case turns the full journal into a damaged one: (lines, number of damaged lines, jobs to recompute).
CASES: dict[str, Callable[[Lines], tuple[Lines, int, int]]] = {
    "garbage line": lambda ls: ([*ls[:3], b"this is not json", *ls[3:5]], 1, 3),
    "two blank lines": lambda ls: ([*ls[:2], b"", b"", *ls[2:6]], 2, 2),
    "job without rows key": lambda ls: ([*ls[:5], b'{"job": 12}'], 1, 3),
    "non-UTF-8 byte": lambda ls: ([*ls[:2], ls[2].replace(b'"rows"', b'"r\xffws"'), *ls[3:]], 1, 1),
    "empty rows with a valid checksum": lambda ls: (
        [*ls[:4], encode(4, IDENTITIES[4], []).rstrip(b"\n"), *ls[5:]],
        1,
        1,
    ),
    "altered duplicate": lambda ls: ([*ls, ls[3].replace(b'"recovery_rate": 0.', b'"recovery_rate": 0.9')], 1, 0),
    "conflicting duplicate with a valid checksum": lambda ls: (
        [*ls, encode(3, IDENTITIES[3], _altered(ls, 3)["rows"]).rstrip(b"\n")],
        2,
        1,
    ),
    "line moved to another job": lambda ls: (
        [*ls[:6], encode(6, IDENTITIES[6], _rows(ls, 7)).rstrip(b"\n")],
        1,
        2,
    ),
    "line without checksum (older journal)": lambda ls: (
        [*ls[:7], json.dumps({"job": 7, "rows": _rows(ls, 7)}).encode()],
        1,
        1,
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_damaged_journal_resumes_to_the_uninterrupted_tables(
    case: str, base: cs.Scenario, uninterrupted: tuple[pd.DataFrame, Lines], tmp_path: Path
) -> None:
    """Damaged lines are skipped and named, their jobs recomputed; the table equals the unbroken sweep."""
    table, lines = uninterrupted
    damaged_lines, n_damaged, n_rerun = CASES[case](lines)
    with SweepStore(tmp_path, "s", "k", IDENTITIES) as store:
        store.journal.write_bytes(b"".join(raw + b"\n" for raw in damaged_lines))
        found = store.resume()
        assert len(found.damaged) == n_damaged
        warning = found.warning(store.journal)
        assert warning is not None and "\n" not in warning
        assert f"skipped {n_damaged} damaged line(s) (line {found.damaged[0]}" in warning
        rerun: list[int] = []
        result = sweep(
            base,
            DESIGN,
            N,
            seed=SEED,
            done=found.done,
            on_rows=lambda j, rows: (rerun.append(j), store.append(j, rows)),
        )
        assert len(rerun) == n_rerun
        pd.testing.assert_frame_equal(result.to_frame(), table, check_exact=True)
        again = store.resume()
    assert again.damaged == [] and len(again.done) == len(IDENTITIES), "damage is reported once"
    assert len((tmp_path / "s-k" / "journal.damaged").read_bytes().splitlines()) == n_damaged


def test_conflicting_duplicate_is_recomputed_not_trusted(uninterrupted: tuple[pd.DataFrame, Lines], tmp_path) -> None:
    """Two intact lines for one job with different rows: neither is trusted, the job is named."""
    _, lines = uninterrupted
    forged = encode(3, IDENTITIES[3], _altered(lines, 3)["rows"]).rstrip(b"\n")
    with SweepStore(tmp_path, "s", "k", IDENTITIES) as store:
        store.journal.write_bytes(b"".join(raw + b"\n" for raw in [*lines, forged]))
        found = store.resume()
    assert 3 not in found.done and found.conflicts == [3]
    assert "conflicting duplicates of job(s) 3" in (found.warning(store.journal) or "")


def test_sweep_never_drops_a_point_given_empty_rows(base: cs.Scenario, uninterrupted) -> None:
    """Rows already done that are empty, or name a job outside the sweep, are computed again."""
    table, lines = uninterrupted
    done = {j: _rows(lines, j) for j in range(len(lines))}
    done[2] = []
    done[99] = _rows(lines, 0)
    pd.testing.assert_frame_equal(sweep(base, DESIGN, N, seed=SEED, done=done).to_frame(), table, check_exact=True)
