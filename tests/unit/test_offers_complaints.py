"""Repayment plans, settlements, deferrals; complaints and vulnerable customers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import collectsim as cs

ROOT = Path(__file__).resolve().parents[2]
REASONS = ("forgetful", "illiquid", "unwilling", "insolvent")
QUIET = {f"reasons.{r}.lambda_inf": 1e-5 for r in REASONS}


@pytest.fixture(scope="module")
def conduct() -> cs.Scenario:
    return cs.load_scenario(ROOT / "scenarios" / "conduct_none.toml", {"population.accounts": 3000})


def _plans(conduct: cs.Scenario, kept: float, **offer: float) -> cs.RunResult:
    over = {
        **QUIET,
        "channels.plan_offer.offer": {"accept_prob": 1.0, "instalments": 3, "instalment_days": 10, **offer},
        "horizon.days": 150,
    }
    over |= {f"reasons.{r}.promise_kept": kept for r in REASONS} | {f"reasons.{r}.willingness": 0.99 for r in REASONS}
    return cs.simulate(cs.with_overrides(conduct, over), seed=2, record_events=True, check_invariants=True)


def test_all_instalments_kept_cures(conduct: cs.Scenario) -> None:
    """A plan whose instalments are all kept ends with the account cured, money conserved."""
    r = _plans(conduct, 1.0)
    k = r.kpis
    assert k["plans_accepted"] > 20
    assert k["plans_broken"] == 0
    on_time = r.events[(r.events["channel"] == "plan_offer") & (r.events["outcome"] == "right_party")]
    accepted = on_time.groupby("account")["day"].min()
    done = accepted[accepted + 3 * 10 < 150].index
    acc = r.accounts.set_index("account").loc[done]
    assert (acc["status"] == "cured").all()
    assert k["plans_completed"] >= len(done)


def test_missed_instalment_breaks_plan(conduct: cs.Scenario) -> None:
    """When no instalment is kept, every plan breaks and the account returns to collections."""
    r = _plans(conduct, 0.0, miss_first=1.0)
    k = r.kpis
    # Every plan breaks at its first instalment, except those whose account paid off another way before it
    # (its own payments): those end completed, never broken.
    assert k["plans_accepted"] > 20 and k["plans_broken"] + k["plans_completed"] == k["plans_accepted"]
    assert k["plans_completed"] <= 0.1 * k["plans_accepted"]
    broken = r.accounts[r.accounts["broken_plan_day"].notna()]
    later = r.events.merge(broken[["account", "broken_plan_day"]], on="account")
    assert (later["day"] > later["broken_plan_day"]).any(), "broken plans never returned to collections"


def test_settlement_discount_booked_and_acceptance_rises(conduct: cs.Scenario) -> None:
    """Settlements book their discount as discount, and a deeper discount is accepted more often."""

    def run(discount: float) -> cs.RunResult:
        offer = {"accept_prob": 0.05, "discount": discount, "accept_per_discount": 1.0}
        return cs.simulate(
            cs.with_overrides(conduct, {"channels.settlement_offer.offer": offer}), seed=4, check_invariants=True
        )

    small, deep = run(0.1), run(0.5)
    assert deep.kpis["settlements_accepted"] > small.kpis["settlements_accepted"] > 0
    # Legal settlements after service carry no discount here; every offer accepted does.
    assert (deep.accounts["discount"] > 0).sum() == deep.kpis["settlements_accepted"]
    assert deep.kpis["discount"] == pytest.approx(deep.accounts["discount"].sum())


def test_deferral_only_for_hardship_and_pauses_contact(conduct: cs.Scenario) -> None:
    """Only hardship borrowers take a payment holiday, and nobody contacts them during it."""
    over = {"channels.hardship_deferral.offer": {"accept_prob": 1.0, "holiday_days": 20}}
    over |= {f"reasons.{r}.willingness": 0.99 for r in REASONS}  # every hardship borrower offered accepts
    r = cs.simulate(cs.with_overrides(conduct, over), seed=5, record_events=True)
    assert r.kpis["deferrals_accepted"] > 0
    ev, acc = r.events, r.accounts.set_index("account")
    got = ev[(ev["channel"] == "hardship_deferral") & (ev["outcome"] == "right_party")]
    hardship = {name for name, reason in conduct.reasons.items() if reason.hardship}
    takers = got[acc.loc[got["account"], "reason"].astype(str).isin(hardship).to_numpy()]
    for acct, day in zip(takers["account"].head(50), takers["day"].head(50), strict=True):
        during = ev[(ev["account"] == acct) & (ev["day"] > day) & (ev["day"] < day + 20)]
        assert during.empty or set(during["outcome"].astype(str)) <= {"inbound"}


def test_complaints_grow_with_pressure_and_vulnerability(conduct: cs.Scenario) -> None:
    """More recent contact means more complaints; vulnerable borrowers complain more per account."""
    base = {"complaints.base_prob": {"call": 0.02, "visit": 0.02, "message": 0.005}}
    calm = cs.simulate(cs.with_overrides(conduct, {**base, "complaints.pressure": 0.0}), seed=6).kpis
    hot = cs.simulate(cs.with_overrides(conduct, {**base, "complaints.pressure": 2.0}), seed=6).kpis
    assert hot["complaints"] > calm["complaints"] > 0
    assert hot["vulnerable_complaints_per_1000"] > hot["complaints_per_1000"]
    assert hot["cost_complaints"] == pytest.approx(hot["complaints"] * conduct.complaints.cost)


def test_vulnerable_share_follows_reasons(conduct: cs.Scenario) -> None:
    """The vulnerable flag is drawn at each reason's share, and reported separately."""
    r = cs.simulate(conduct, seed=7)
    acc = r.accounts
    for name, reason in conduct.reasons.items():
        share = acc.loc[acc["reason"] == name, "vulnerable"].mean()
        assert share == pytest.approx(reason.vulnerable_share, abs=0.06)
    assert r.kpis["vulnerable_accounts"] == acc["vulnerable"].sum()
    assert 0 < r.kpis["vulnerable_recovery_rate"] < 1
    assert np.isfinite(r.kpis["vulnerable_complaints_per_1000"])


def test_forbearance_before_legal(conduct: cs.Scenario) -> None:
    """Under eu_ccd2 no case is filed against a borrower who was never offered a plan or settlement."""
    over = {"conduct.presets": ["eu_ccd2"], "policy.ladders.standard.stages.2.actions.0.balance_min": 0.0}
    r = cs.simulate(cs.with_overrides(conduct, over), seed=8, record_events=True)
    ev = r.events
    offers = (
        ev[
            ev["channel"].isin(["plan_offer", "settlement_offer", "hardship_deferral"])
            & (ev["outcome"] == "right_party")
        ]
        .groupby("account")["time"]
        .min()
    )
    filed = ev[ev["outcome"] == "filed"].set_index("account")["time"]
    assert len(filed) > 0 and r.kpis["blocked.ccd2_forbearance_before_enforcement"] > 0
    assert filed.index.isin(offers.index).all()
    assert (offers.loc[filed.index].to_numpy() < filed.to_numpy()).all()
    audit = cs.simulate(cs.with_overrides(conduct, {**over, "conduct.mode": "audit"}), seed=8).kpis
    assert audit["violations.ccd2_forbearance_before_enforcement"] > 0



def test_a_plan_never_breaks_after_the_account_was_paid_off() -> None:
    """A plan whose account paid off another way (its own payments, a settlement) ends completed, never broken."""
    root = Path(__file__).resolve().parents[2] / "scenarios"
    over = {"population.accounts": 4000, "horizon.days": 180, "reasons.illiquid.lambda_inf": 0.08}
    acc = cs.simulate(cs.load_scenario(root / "conduct_none.toml", over), seed=3).accounts
    broken, resolved = acc["broken_plan_day"], acc["resolution_day"]
    paid_first = (broken > resolved).fillna(False)  # NA on either side: no broken plan, or never resolved
    assert broken.notna().any()
    assert not paid_first.any(), int(paid_first.sum())
