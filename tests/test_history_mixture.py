"""Latent classes by EM: a two-type portfolio is recovered, BIC tells one type from two, classes become reasons."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pytest

import collectsim as cs
from collectsim.calibration.histories import load_histories, prepare
from collectsim.calibration.mixture import fit_mixture
from collectsim.calibration.synthetic import TrueParams, simulate_histories
from collectsim.cli import main
from collectsim.errors import CollectsimError

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.toml"

FAST = TrueParams(
    lambda_inf=0.04, lambda_0=0.2, kappa=0.1, delta_10=0.01, delta_11=0.05, p_full=0.5, r_alpha=2.0, r_beta=5.0
)
SLOW = TrueParams(**{**FAST.__dict__, "lambda_inf": 0.002, "lambda_0": 0.01, "p_full": 0.1})

TWO_REASONS = """
name = "two_types"
[population]
accounts = 2000
[population.segments.all]
share = 1.0
balance = { dist = "lognormal", mean = 1200.0, sd = 900.0 }
reasons = { payer = 0.5, stalled = 0.5 }
[reasons.payer]
lambda_inf = 0.02
contactability = 0.9
[reasons.stalled]
lambda_inf = 0.001
contactability = 0.3
[channels.sms]
[policy.ladders.none]
stages = []
"""


def extract(groups: dict[str, TrueParams], accounts: int = 600, seed: int = 5):
    """A one-segment extract (the types are hidden) without treatments: fast to fit."""
    a, e = simulate_histories(groups, accounts=accounts, seed=seed, cents=False, ladder=())
    return a.drop(columns=["segment"], errors="ignore"), e


def prepared(a, e):
    h = load_histories(a, e)
    return prepare(h, np.arange(h.accounts))


@pytest.fixture(scope="module")
def two_types():
    return extract({"fast": FAST, "slow": SLOW})


@pytest.fixture(scope="module")
def two_class_fit(two_types):
    """The two-class fit of the two-type extract (seed 1): checked against the truth and by its BIC."""
    return fit_mixture(prepared(*two_types), 2, seed=1)


@pytest.fixture(scope="module")
def fitted(two_types):
    return cs.fit_histories(*two_types, classes=2, bootstrap=0)


def test_two_hidden_types_are_recovered_within_their_errors(two_class_fit) -> None:
    m = two_class_fit
    assert m.converged and m.k == 2
    for cls, true in zip(m.classes, (FAST, SLOW), strict=True):  # fastest first
        assert abs(cls["weight"].estimate - 0.5) < 3 * cls["weight"].std_error + 0.02
        for name in ("lambda_inf", "lambda_0", "p_full"):
            est = cls[name]
            assert abs(est.estimate - getattr(true, name)) < 3.5 * est.std_error, (name, est, getattr(true, name))
    assert m.shared["kappa"].estimate == pytest.approx(0.1, rel=0.35)
    assert np.allclose(m.responsibilities.sum(axis=1), 1.0)
    # Accounts are told apart: the fast type's accounts (the first half) mostly in class 1.
    assert (m.responsibilities[:300, 0] > 0.5).mean() > 0.7 and (m.responsibilities[300:, 1] > 0.5).mean() > 0.7


def test_bic_tells_one_type_from_two(two_types, two_class_fit) -> None:
    one_type = extract({"fast": FAST})
    for (a, e), want in ((two_types, 2), (one_type, 1)):
        prep = prepared(a, e)
        # The two-type extract's 2-class fit is the module's (the same call: same data, k and seed).
        bic = {k: (two_class_fit if want == 2 and k == 2 else fit_mixture(prep, k, seed=1)).bic for k in (1, 2)}
        assert min(bic, key=bic.get) == want, bic


def test_each_class_becomes_a_reason_paired_by_speed(fitted) -> None:
    fit = fitted
    base = cs.scenario.scenario_from_dict(tomllib.loads(TWO_REASONS))
    sc = fit.to_scenario(base)
    mix = sc.population.segments["all"].reasons
    assert set(mix) == {"fitted_all_payer", "fitted_all_stalled"}  # payer is the faster base reason
    m = fit.mixtures["all"]
    assert mix["fitted_all_payer"] == pytest.approx(m.classes[0]["weight"].estimate)
    assert sum(mix.values()) == pytest.approx(1.0, abs=1e-12)
    payer = sc.reasons["fitted_all_payer"]
    assert payer.lambda_inf == pytest.approx(m.classes[0]["lambda_inf"].estimate, rel=1e-9)
    assert payer.ability == pytest.approx(m.classes[0]["p_full"].estimate, rel=1e-9)
    assert payer.contactability == 0.9  # traits the histories cannot tell come from the paired reason
    table = fit.table()
    assert {"class1.weight", "class2.lambda_inf", "mixture.kappa"} <= set(table["parameter"])
    assert fit.to_dict()["classes"]["all"]["k"] == 2
    assert cs.simulate(sc, seed=1).kpis["accounts"] == 2000


def test_without_pairing_classes_get_their_own_names(fitted) -> None:
    sc = fitted.to_scenario(cs.load_scenario(BASELINE))  # four reasons, two classes
    assert set(sc.population.segments["prime"].reasons) == {"fitted_all_class1", "fitted_all_class2"}


@pytest.mark.parametrize("bad", [0, 7, True, "two", 2.5])
def test_a_bad_number_of_classes_is_one_clear_error(two_types, bad) -> None:
    with pytest.raises(CollectsimError, match="classes"):
        cs.fit_histories(*two_types, classes=bad)


def test_cli_refuses_a_bad_classes_flag(tmp_path, capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["calibrate", "histories", "--accounts", "a.csv", "--events", "e.csv", "--classes", "x", "--out", "o"])
    assert exit_.value.code == 2
    assert "1 to 6, or bic" in capsys.readouterr().err


@pytest.mark.slow
def test_class_intervals_cover_the_truth_at_their_rate() -> None:
    """Over 20 seeds, the 95% intervals of the six class parameters hold the truth about 95% of the time."""
    hits, total = 0, 0
    for seed in range(20):
        m = fit_mixture(prepared(*extract({"fast": FAST, "slow": SLOW}, seed=100 + seed)), 2, seed=seed)
        for cls, true in zip(m.classes, (FAST, SLOW), strict=True):
            for name in ("lambda_inf", "lambda_0", "p_full"):
                est = cls[name]
                hits += abs(est.estimate - getattr(true, name)) <= 1.96 * est.std_error
                total += 1
    assert hits / total >= 0.85, hits / total
