"""Money is conserved on every account: opening = paid + discount + written off + sold + outstanding."""

from __future__ import annotations

import numpy as np
import pytest

import collectsim as cs
from collectsim.engine.daily.loop import InvariantError


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_conserved_every_day(small: cs.Scenario, seed: int) -> None:
    """The engine checks the identity on every account at the end of every day and raises if broken."""
    r = cs.simulate(small, seed=seed, check_invariants=True)
    acc = r.accounts
    gap = acc["opening_balance"] - acc["paid"] - acc["discount"] - acc["written_off"] - acc["sold"] - acc["outstanding"]
    assert np.abs(gap).max() < 1e-6
    assert (acc[["paid", "discount", "written_off", "sold", "outstanding"]] >= -1e-9).all().all()


def test_settlement_discount_is_conserved(small: cs.Scenario) -> None:
    """Settling after service at a discount books the discount, not recovery, and still balances."""
    sc = cs.with_overrides(small, {"legal.settle_after_service": 1.0, "legal.settle_discount": 0.4})
    r = cs.simulate(sc, seed=3, check_invariants=True)
    settled = r.accounts[r.accounts["status"] == "settled"]
    assert len(settled) > 0
    assert (settled["discount"] > 0).all()
    assert r.kpis["discount"] == pytest.approx(r.accounts["discount"].sum())


def test_kpis_add_up(small_run: cs.RunResult) -> None:
    """Portfolio totals close: collected + discount + written off + sold + outstanding = opening."""
    k = small_run.kpis
    assert k["collected"] + k["discount"] + k["written_off"] + k["debt_sold"] + k["outstanding"] == pytest.approx(
        k["opening_balance"], rel=1e-9
    )
    assert k["net_recovery"] == pytest.approx(k["collected"] + k["sale_proceeds"] - k["total_cost"])
    assert small_run.costs["cost"].sum() == pytest.approx(k["total_cost"])


def test_invariant_check_can_fail(small: cs.Scenario, monkeypatch: pytest.MonkeyPatch) -> None:
    """A payment booked without reducing the balance is caught by the daily check."""
    from collectsim.engine.accounts import state

    original = state.AccountState.book_payment

    def leaky(self, idx, amount, day):
        self.paid[idx] += 1.0
        return original(self, idx, amount, day)

    monkeypatch.setattr(state.AccountState, "book_payment", leaky)
    with pytest.raises(InvariantError, match="not conserved"):
        cs.simulate(small, seed=1, check_invariants=True)


def test_conservation_check_counts_the_sold_balance() -> None:
    """The identity includes the face value sold: moving a written-off balance to sold keeps the gap at 0."""
    from collectsim.engine.accounts.state import WRITTEN_OFF, AccountState, Population

    n = 3
    z = np.zeros(n)
    pop = Population(*(np.full(n, 100.0) if f == "balance" else z.copy() for f in Population.__dataclass_fields__))
    s = AccountState(pop)
    s.status[:] = 1
    s.charge_off(np.arange(n), day=5)
    assert (s.status == WRITTEN_OFF).all() and s.conservation_error() == 0.0
    s.sell(np.array([0, 2]), np.array([0.1, 0.2]), day=6)
    assert s.conservation_error() == 0.0
    assert s.sold.tolist() == [100.0, 0.0, 100.0] and s.sale_proceeds.tolist() == [10.0, 0.0, 20.0]
    s.sold[0] = 90.0  # a sale that lost face value is caught
    assert s.conservation_error() == pytest.approx(10.0)
