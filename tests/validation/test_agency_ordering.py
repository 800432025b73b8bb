"""Agency recovery is ordered by latent reason the way in-house recovery is.

A placed borrower keeps its own repayment process and the agency adds its own
contacts, so who pays at the agency follows why the borrower is delinquent:
forgetful > illiquid > unwilling > insolvent, as share of the placed balance.
"""

from __future__ import annotations

import pandas as pd
import pytest

import collectsim as cs

ORDER = ["forgetful", "illiquid", "unwilling", "insolvent"]
EARLY_AGENCY = {"name": "early_agency", "channel": "agency", "start_dpd": 10, "stop_on": ["promise_pending"]}


def _early_placement(small: cs.Scenario) -> cs.Scenario:
    """Everyone still owing at DPD 10 goes to the agency and stays there for the whole run."""
    early = [a.model_dump(exclude_none=True) for a in small.policy.ladders["standard"].stages[0].actions]
    over = {
        "policy.ladders.standard.stages.0.actions": [*early, EARLY_AGENCY],
        "agency.placement_days": small.horizon.days + 1,
    }
    return cs.with_overrides(small, over)


def _by_reason(values: pd.Series, reasons: pd.Series) -> pd.Series:
    return values.groupby(reasons, observed=True).sum()


def test_agency_recovery_ordered_like_in_house(small: cs.Scenario) -> None:
    """Share of placed balance the agency collects, by reason, sorts as in-house recovery does."""
    home = cs.simulate(small, seed=3).accounts
    in_house = _by_reason(home["paid"] - home["agency_paid"], home["reason"]) / _by_reason(
        home["opening_balance"], home["reason"]
    )
    r = cs.simulate(_early_placement(small), seed=3, check_invariants=True)
    acc = r.accounts[r.accounts["ever_placed"]]
    # Placed for the rest of the run with no legal action: everything paid after placement is the agency's.
    placed_balance = acc["opening_balance"] - (acc["paid"] - acc["agency_paid"])
    at_agency = _by_reason(acc["agency_paid"], acc["reason"]) / _by_reason(placed_balance, acc["reason"])
    assert acc["reason"].value_counts().min() > 50, "too few placed accounts of some reason"
    assert list(in_house.sort_values(ascending=False).index) == ORDER
    assert list(at_agency.sort_values(ascending=False).index) == ORDER, at_agency.round(4).to_dict()
    assert r.accounts["agency_paid"].sum() == pytest.approx(r.kpis["agency_collected"])


def test_agency_contacts_add_to_the_borrowers_own_repayment(small: cs.Scenario) -> None:
    """Placement keeps the borrower's own process (the agency collects even without effect) and contacts add to it."""
    sc = _early_placement(small)
    none = cs.simulate(cs.with_overrides(sc, {"agency.effect": 0.0}), seed=4).kpis["agency_collected"]
    some = cs.simulate(sc, seed=4).kpis["agency_collected"]
    never = cs.simulate(cs.with_overrides(sc, {"agency.contact_prob": 0.0}), seed=4).kpis["agency_collected"]
    assert 0 < none < some
    assert never == pytest.approx(none)
