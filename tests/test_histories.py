"""Fit from account histories: parameter recovery, honest errors, one-line refusals of bad files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import collectsim as cs
from collectsim.calibration.histories import load_histories, prepare
from collectsim.calibration.likelihood import loglik
from collectsim.calibration.synthetic import TrueParams, simulate_histories
from collectsim.cli import main

ROOT = Path(__file__).resolve().parents[1]
BASELINE = str(ROOT / "scenarios" / "baseline.toml")
TRUE = TrueParams(
    lambda_inf=0.01,
    lambda_0=0.05,
    kappa=0.1,
    delta_10=0.01,
    delta_11=0.05,
    p_full=0.3,
    r_alpha=2.0,
    r_beta=5.0,
    delta_2={"sms": 0.005, "call": 0.02, "letter": 0.01},
)


def _coverage(seeds: range, accounts: int) -> tuple[int, int, pd.DataFrame]:
    """Count true values inside the 95% Wald intervals over fits of exact histories."""
    truth = TRUE.as_dict()
    hits = total = 0
    rows = []
    for seed in seeds:
        a, e = simulate_histories({"all": TRUE}, accounts=accounts, seed=seed, cents=False)
        table = cs.fit_histories(a, e, seed=seed).table()
        for r in table.itertuples():
            inside = abs(r.estimate - truth[r.parameter]) <= 1.96 * r.std_error
            hits += inside
            total += 1
            rows.append({"seed": seed, "parameter": r.parameter, "estimate": r.estimate, "inside": inside})
    return hits, total, pd.DataFrame(rows)


def test_true_values_lie_in_the_intervals() -> None:
    """Fits of histories drawn exactly from the model cover the truth (3 seeds × 11 parameters)."""
    hits, total, _ = _coverage(range(3), 1500)
    assert total == 33
    # At a true 95% rate, 7 or more misses in 33 has probability < 0.5%.
    assert hits >= 27


@pytest.mark.slow
def test_coverage_rate_is_near_95_percent() -> None:
    """Over 20 seeds × 11 parameters the 95% intervals cover the truth 90–99% of the time."""
    hits, total, rows = _coverage(range(100, 120), 3000)
    assert 0.90 <= hits / total <= 0.99, rows.groupby("parameter")["inside"].mean()


def test_gradient_matches_finite_differences() -> None:
    """The analytic gradient of the log-likelihood is the derivative of it."""
    a, e = simulate_histories({"all": TRUE}, accounts=200, seed=4, cents=False)
    h = load_histories(a, e)
    stream = prepare(h, np.arange(h.accounts)).stream
    theta = np.array([0.012, 0.04, 0.12, 0.008, 0.06, 0.02, 0.01, 0.004])
    _, grad = loglik(theta, stream)
    for j in range(theta.size):
        step = np.zeros_like(theta)
        step[j] = 1e-7
        num = (loglik(theta + step, stream)[0] - loglik(theta - step, stream)[0]) / 2e-7
        assert num == pytest.approx(grad[j], rel=1e-4, abs=1e-3)


def test_no_treatments_reports_no_delta_2() -> None:
    """Histories without treatments give no δ₂ at all (not a zero with a tiny error)."""
    a, e = simulate_histories({"all": TRUE}, accounts=600, seed=2, ladder=(), cents=False)
    fit = cs.fit_histories(a, e)
    params = set(fit.table()["parameter"])
    assert not [p for p in params if p.startswith("delta_2")]
    assert {"lambda_0", "lambda_inf", "kappa", "delta_10", "delta_11", "p_full", "r_alpha", "r_beta"} <= params


def test_a_channel_that_does_nothing_gets_bootstrap_errors() -> None:
    """A channel with no effect is fitted at its bound 0, and its segment's errors come from a bootstrap."""
    inert = TrueParams(**{**TRUE.__dict__, "delta_2": {"sms": 0.0, "call": 0.02, "letter": 0.01}})
    a, e = simulate_histories({"all": inert}, accounts=800, seed=7, cents=False)
    fit = cs.fit_histories(a, e, bootstrap=8)
    sms = fit.segments["all"].params["delta_2.sms"]
    if sms.at_bound:
        assert sms.method == "bootstrap" and np.isfinite(sms.std_error)
        assert any("bootstrap" in n for n in fit.segments["all"].notes)
    else:  # an interior optimum near 0 is allowed; its interval must then reach 0
        assert sms.estimate - 1.96 * sms.std_error <= 0.0


def test_segments_are_fitted_separately_and_the_scenario_runs() -> None:
    """Each segment gets its own estimates; the calibrated scenario carries them and simulates."""
    other = TrueParams(**{**TRUE.__dict__, "lambda_inf": 0.003, "lambda_0": 0.02, "p_full": 0.15})
    a, e = simulate_histories({"prime": TRUE, "near_prime": other}, accounts=1200, seed=3)
    fit = cs.fit_histories(a, e)
    assert set(fit.table()["segment"]) == {"prime", "near_prime"}
    base = cs.load_scenario(BASELINE)
    sc = fit.to_scenario(base)
    assert set(sc.population.segments["prime"].reasons) == {"fitted_prime"}
    lam = fit.segments["near_prime"].params["lambda_inf"].estimate
    assert sc.reasons["fitted_near_prime"].lambda_inf == pytest.approx(lam, rel=1e-8)
    assert sc.reasons["fitted_prime"].ability == pytest.approx(fit.segments["prime"].params["p_full"].estimate)
    assert sc.channels["call"].fatigue == 0.0
    small = cs.with_overrides(sc, {"population.accounts": 200, "horizon.days": 20})
    assert cs.simulate(small, 1).kpis["collected"] > 0


def test_fitted_curves_follow_the_observed_ones() -> None:
    """On data from the model, the compensator curves stay within a few points of the observed curves."""
    a, e = simulate_histories({"all": TRUE}, accounts=1500, seed=9)
    c = cs.fit_histories(a, e).curves
    assert (c["first_payment_fitted"] - c["first_payment_observed"]).abs().max() < 0.03
    assert (c["liquidation_fitted"] - c["liquidation_observed"]).abs().max() < 0.04


def test_holdout_predicts_the_held_out_liquidation() -> None:
    """The back-test fits without the last 30 days and its 95% interval contains what they collected."""
    a, e = simulate_histories({"all": TRUE}, accounts=1500, seed=11)
    fit = cs.fit_histories(a, e, holdout_days=30, holdout_draws=40)
    row = fit.holdout.iloc[0]
    assert row["predicted_low"] <= row["observed"] <= row["predicted_high"]
    assert abs(row["error"]) < 0.06


# --- the command and bad files -----------------------------------------------------------------


@pytest.fixture(scope="module")
def extract(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("extract")
    a, e = simulate_histories({"all": TRUE}, accounts=600, seed=21)
    a.to_csv(folder / "accounts.csv", index=False)
    e.to_csv(folder / "events.csv", index=False)
    return folder / "accounts.csv", folder / "events.csv"


def _cli(accounts: Path, events: Path, out: Path, *extra: str) -> int:
    return main(["calibrate", "histories", "--accounts", str(accounts), "--events", str(events), "--out", str(out),
                 "--scenario", BASELINE, *extra])  # fmt: skip


def test_command_writes_the_fit_scenario_and_report(extract: tuple[Path, Path], tmp_path: Path) -> None:
    """fit.json, fit.csv, scenario.toml (valid), curves, hold-out and report.html; no account key anywhere."""
    out = tmp_path / "fit"
    assert _cli(*extract, out, "--holdout-days", "20") == 0
    names = {p.name for p in out.iterdir()}
    assert {"fit.json", "fit.csv", "scenario.toml", "curves.csv", "holdout.csv", "report.html", "figures"} <= names
    body = json.loads((out / "fit.json").read_text())
    assert set(body["segments"]) == {"all"}
    kappa = body["segments"]["all"]["kappa"]
    assert kappa["estimate"] > 0 and kappa["std_error"] > 0
    table = pd.read_csv(out / "fit.csv")
    assert list(table.columns) == ["segment", "parameter", "estimate", "std_error"]
    assert {"delta_2.call", "delta_2.sms", "delta_2.letter"} <= set(table["parameter"])
    assert cs.load_scenario(out / "scenario.toml").repayment.kappa == pytest.approx(kappa["estimate"], rel=1e-6)
    key = pd.read_csv(extract[0])["account"].iloc[0]
    for f in out.rglob("*"):
        if f.is_file() and f.suffix != ".png":
            assert key not in f.read_text(encoding="utf-8")


def _broken(tmp_path: Path, extract: tuple[Path, Path], which: str, change) -> tuple[Path, Path]:
    a, e = (pd.read_csv(p, dtype=str) for p in extract)
    a, e = change(a, e)
    pa, pe = tmp_path / "accounts.csv", tmp_path / "events.csv"
    a.to_csv(pa, index=False)
    e.to_csv(pe, index=False)
    return pa, pe


def _set(frame: pd.DataFrame, col: str, row: int, value: str) -> pd.DataFrame:
    frame = frame.copy()
    frame.loc[row, col] = value
    return frame


BAD = {
    "missing column": (lambda a, e: (a.drop(columns="observed_days"), e), "accounts.csv", "observed_days"),
    "negative balance": (lambda a, e: (_set(a, "opening_balance", 2, "-5"), e), "accounts.csv", "opening_balance"),
    "day beyond observation": (lambda a, e: (a, _set(e, "day", 3, "9999")), "events.csv", "day"),
    "unknown account": (lambda a, e: (a, _set(e, "account", 0, "nobody")), "events.csv", "account"),
    "non-numeric amount": (
        lambda a, e: (a, _set(e, "amount", int(np.flatnonzero(e["kind"] == "payment")[0]), "abc")),
        "events.csv",
        "amount",
    ),
    "unknown kind": (lambda a, e: (a, _set(e, "kind", 1, "refund")), "events.csv", "kind"),
    "identifier column": (lambda a, e: (a.assign(email="x@example.com"), e), "accounts.csv", "email"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_files_fail_in_one_line_and_write_nothing(
    case: str, extract: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Exit 2, one line naming the file and the column, nothing written."""
    change, file, column = BAD[case]
    pa, pe = _broken(tmp_path, extract, file, change)
    out = tmp_path / "out"
    assert _cli(pa, pe, out) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and file in err and column in err and "allowed" in err
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert "nobody" not in err and "x@example.com" not in err


def test_shipped_example_fits_near_its_true_values() -> None:
    """examples/histories (≤ 2 MB) fits, and each segment's call effect is within 3 errors of make.py's value."""
    folder = ROOT / "examples" / "histories"
    assert sum(p.stat().st_size for p in folder.glob("*.csv")) <= 2_000_000
    fit = cs.fit_histories(folder / "accounts.csv", folder / "events.csv")
    truth = {"prime": 0.02, "near_prime": 0.015}
    for seg, value in truth.items():
        e = fit.segments[seg].params["delta_2.call"]
        assert abs(e.estimate - value) <= 3 * e.std_error


def test_default_scenario_read_from_another_folder_names_the_flag(
    extract: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --scenario, outside the project folder, the error says which flag to give; nothing is fitted."""
    accounts, events = extract
    monkeypatch.chdir(tmp_path)
    argv = ["calibrate", "histories", "--accounts", str(accounts), "--events", str(events), "--out", "fit"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("collectsim calibrate histories: error: --scenario scenarios/baseline.toml: no such file")
    assert not (tmp_path / "fit").exists()
