"""Debt sale: written-off accounts sold to a debt buyer at a price per unit of face value."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

import collectsim as cs
from collectsim.engine.accounts.state import AccountState
from collectsim.errors import ScenarioError

# Charge-off at DPD 140, inside the horizon: placements from DPD 120 last 30 days, so accounts placed at
# charge-off are recalled ten days later; court cases filed from DPD 91 are still open at charge-off.
SHORT = {"population.accounts": 2000, "chargeoff.dpd": 140, "agency.placement_days": 30}
SALE = {"debt_sale.price": 0.12}


@dataclass
class Sold:
    """What the engine's ``sell`` saw: per sale, the day, the accounts and their state just before."""

    day: list[int]
    idx: list[np.ndarray]
    placed: list[np.ndarray]
    legal: list[np.ndarray]


_RUNS: dict[tuple[str, int], tuple[cs.RunResult, Sold]] = {}


def _run(small: cs.Scenario, extra: dict, seed: int = 1) -> tuple[cs.RunResult, Sold]:
    """A checked run with what ``sell`` saw; kept per scenario and seed (the tests only read them): the run
    without a sale, the run that sells placed and court accounts and the plain sale each serve two tests."""
    sc = cs.with_overrides(small, {**SHORT, **extra})
    key = (sc.model_dump_json(), seed)
    if key not in _RUNS:
        _RUNS[key] = _spied_run(sc, seed)
    return _RUNS[key]


def _spied_run(sc: cs.Scenario, seed: int) -> tuple[cs.RunResult, Sold]:
    seen = Sold([], [], [], [])
    original = AccountState.sell

    def spy(self, idx, price, day):
        seen.day.append(day)
        seen.idx.append(idx.copy())
        seen.placed.append(self.placed[idx].copy())
        seen.legal.append(self.legal_active[idx].copy())
        return original(self, idx, price, day)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(AccountState, "sell", spy)
        r = cs.simulate(sc, seed=seed, check_invariants=True)
    return r, seen


@pytest.fixture(scope="module")
def sale(small: cs.Scenario) -> tuple[cs.RunResult, Sold]:
    return _run(small, SALE)


def test_proceeds_are_price_times_face(sale) -> None:
    """Every sold account was bought at 0.12 of its written-off balance; the KPIs and daily series add up."""
    r, _ = sale
    acc, k = r.accounts, r.kpis
    sold = acc[acc["status"] == "sold"]
    assert len(sold) > 100
    assert (sold["sale_proceeds"] == 0.12 * sold["sold"]).all()  # exact: one product per account
    assert (sold["written_off"] == 0).all() and (sold["sold"] > 0).all()
    rest = acc[acc["status"] != "sold"]
    assert (rest["sold"] == 0).all() and (rest["sale_proceeds"] == 0).all() and rest["sale_day"].isna().all()
    assert k["accounts_sold"] == len(sold)
    assert k["debt_sold"] == pytest.approx(sold["sold"].sum(), rel=1e-12)
    assert k["sale_proceeds"] == pytest.approx(sold["sale_proceeds"].sum(), rel=1e-12)
    assert k["sale_price_realised"] == pytest.approx(0.12, rel=1e-12)
    assert r.daily["sale_proceeds"].sum() == pytest.approx(k["sale_proceeds"], rel=1e-12)
    assert r.daily["sale_proceeds_cum"].iloc[-1] == pytest.approx(k["sale_proceeds"], rel=1e-12)
    # Proceeds are the lender's cash, not a borrower payment.
    assert k["recovery_rate"] == pytest.approx(acc["paid"].sum() / k["opening_balance"], rel=1e-12)
    assert k["recovery_rate_with_sale"] == pytest.approx((k["collected"] + k["sale_proceeds"]) / k["opening_balance"])
    assert k["net_recovery"] == pytest.approx(k["collected"] + k["sale_proceeds"] - k["total_cost"], rel=1e-12)
    assert k["collected"] + k["discount"] + k["written_off"] + k["debt_sold"] + k["outstanding"] == pytest.approx(
        k["opening_balance"], rel=1e-9
    )


def test_sale_waits_for_after_days(small: cs.Scenario) -> None:
    """An account is sold no earlier than ``after_days`` after its charge-off day."""
    r, _ = _run(small, {**SALE, "debt_sale.after_days": 20})
    sold = r.accounts[r.accounts["status"] == "sold"]
    assert len(sold) > 0
    assert sold["sale_day"].notna().all()
    assert ((sold["sale_day"] - sold["resolution_day"]) >= 20).all()


def test_nothing_sold_without_the_table(small: cs.Scenario) -> None:
    """Without [debt_sale] nothing is sold; with a sale day beyond the horizon every figure is unchanged."""
    off, seen = _run(small, {})
    assert seen.day == []
    assert off.kpis["accounts_sold"] == 0 and off.kpis["sale_proceeds"] == 0
    assert (off.accounts["status"] != "sold").all() and (off.daily["sale_proceeds"] == 0).all()
    late, _ = _run(small, {**SALE, "debt_sale.after_days": 1000})
    pd.testing.assert_series_equal(pd.Series(off.kpis), pd.Series(late.kpis), check_exact=True)
    pd.testing.assert_frame_equal(off.accounts, late.accounts)


def test_placed_and_legal_accounts_wait(sale, small: cs.Scenario) -> None:
    """With the skips on, no account is sold while placed or in court; they are sold once recalled or closed."""
    r, seen = sale
    assert not np.concatenate(seen.placed).any()
    assert not np.concatenate(seen.legal).any()
    sold = r.accounts[r.accounts["status"] == "sold"]
    waited = sold[sold["sale_day"] > sold["resolution_day"]]
    assert waited["ever_placed"].sum() > 50  # placed at charge-off, sold after the recall
    assert (waited["legal_stage"] != "none").sum() > 0  # in court at charge-off, sold once the case ended
    # Held written-off accounts are still in court (the placements have all ended by the horizon).
    held = r.accounts[r.accounts["status"] == "written_off"]
    assert len(held) > 0 and held["legal_stage"].isin(["filed", "served", "won", "enforcing"]).all()
    # The check can fail: without the skips, placed and court accounts are sold on the charge-off day.
    _, eager = _run(small, {**SALE, "debt_sale.skip_placed": False, "debt_sale.skip_legal": False})
    assert np.concatenate(eager.placed).any() and np.concatenate(eager.legal).any()


def test_a_sold_account_never_pays_again_and_is_worth_nothing(small: cs.Scenario) -> None:
    """Sold while placed or in court, an account pays nothing more and has no value at the horizon."""
    r, _ = _run(small, {**SALE, "debt_sale.skip_placed": False, "debt_sale.skip_legal": False})
    off, _ = _run(small, {})
    acc, base = r.accounts, off.accounts
    sold = acc["status"] == "sold"
    assert sold.sum() > 100
    # Same borrowers, same history up to the sale (charge-off day): what they paid is what they had paid
    # by then in the run without a sale, and nothing after.
    assert (acc.loc[sold, "sale_day"] == acc.loc[sold, "resolution_day"]).all()
    by_then = base.loc[sold, "paid"] - base.loc[sold, "recovered_after_write_off"]
    np.testing.assert_allclose(acc.loc[sold, "paid"], by_then, rtol=0, atol=1e-9)
    assert (acc.loc[sold, "recovered_after_write_off"] == 0).all()
    assert base.loc[sold, "recovered_after_write_off"].sum() > 0  # unsold, some would have paid afterwards
    assert not acc.loc[sold, "open_at_horizon"].any()
    assert (acc.loc[sold, ["expected_after_horizon", "expected_after_horizon_pv"]] == 0).all().all()
    assert (acc.loc[sold, ["expected_costs_after_horizon", "expected_costs_after_horizon_pv"]] == 0).all().all()
    assert base.loc[sold, "expected_after_horizon"].sum() > 0  # unsold, the agency and the court were worth something


def test_conserved_every_day_with_a_sale(small: cs.Scenario, monkeypatch: pytest.MonkeyPatch) -> None:
    """opening = paid + discount + written off + sold + outstanding, checked daily; a leaky sale is caught."""
    from collectsim.engine.daily.loop import InvariantError

    r, _ = _run(small, {**SALE, "debt_sale.skip_placed": False})
    acc = r.accounts
    gap = acc["opening_balance"] - acc[["paid", "discount", "written_off", "sold", "outstanding"]].sum(axis=1)
    assert np.abs(gap).max() < 1e-6
    original = AccountState.sell

    def leaky(self, idx, price, day):
        original(self, idx, price, day)
        self.sold[idx] *= 1.01

    monkeypatch.setattr(AccountState, "sell", leaky)  # after _run: the run it keeps never sees the leak
    with pytest.raises(InvariantError, match="not conserved"):
        cs.simulate(cs.with_overrides(small, {**SHORT, **SALE}), seed=1, check_invariants=True)


def test_price_falls_with_age(small: cs.Scenario) -> None:
    """With ``price_drop_per_year`` an account sold d days after charge-off fetches 0.12 − drop × d/365."""
    r, _ = _run(small, {**SALE, "debt_sale.price_drop_per_year": 1.0})
    sold = r.accounts[r.accounts["status"] == "sold"]
    age = (sold["sale_day"] - sold["resolution_day"]).to_numpy()
    price = sold["sale_proceeds"].to_numpy() / sold["sold"].to_numpy()
    np.testing.assert_allclose(price, np.maximum(0.0, 0.12 - age / 365.0), rtol=1e-12)
    assert np.unique(age).size > 1  # sales at different ages
    assert price[age == age.max()].max() < price[age == age.min()].min()
    flat, _ = _run(small, SALE)
    assert r.kpis["sale_price_realised"] < flat.kpis["sale_price_realised"] == pytest.approx(0.12)
    # Floored at zero: 30 days after charge-off at 1.0 a year, 0.05 − 0.082 < 0, so the debt goes for nothing.
    free, _ = _run(small, {"debt_sale.price": 0.05, "debt_sale.after_days": 30, "debt_sale.price_drop_per_year": 1.0})
    assert free.kpis["accounts_sold"] > 0 and free.kpis["debt_sold"] > 0
    assert free.kpis["sale_proceeds"] == 0 and free.kpis["sale_price_realised"] == 0


@pytest.mark.parametrize(
    ("override", "path", "phrase"),
    [
        ({"debt_sale.price": 1.5}, "debt_sale.price", "less than or equal to 1"),
        ({"debt_sale.price": -0.1}, "debt_sale.price", "greater than or equal to 0"),
        ({"debt_sale.after_days": -1}, "debt_sale.after_days", "greater than or equal to 0"),
        ({"debt_sale.price_drop_per_year": 2.0}, "debt_sale.price_drop_per_year", "less than or equal to 1"),
        ({"debt_sale.skip_placed": "maybe"}, "debt_sale.skip_placed", "valid boolean"),
        ({"debt_sale.prise": 0.1}, "debt_sale.prise", "did you mean 'price'"),
    ],
)
def test_bad_value_names_the_field(small: cs.Scenario, override: dict, path: str, phrase: str) -> None:
    assert_one_line_field_error(small, override, path, phrase)


def assert_one_line_field_error(sc: cs.Scenario, override: dict, path: str, phrase: str) -> None:
    """Applying ``override`` fails with one line that names ``path`` and says ``phrase``."""
    with pytest.raises(ScenarioError) as err:
        cs.with_overrides(sc, override)
    msg = str(err.value)
    assert "\n" not in msg and f"{path}: " in msg and phrase in msg
