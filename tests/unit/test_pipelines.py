"""Legal, agency, charge-off, promises, inflow, economy and queue priority behave as specified."""

from __future__ import annotations

import numpy as np
import pytest

import collectsim as cs

REASONS = ("forgetful", "illiquid", "unwilling", "insolvent")
CHANNELS = ("sms", "email", "push", "ivr", "call", "late_call", "letter", "visit", "legal")
# Nobody pays unprompted and no treatment moves the intensity: only promises bring money.
QUIET = {f"reasons.{r}.lambda_inf": 1e-5 for r in REASONS} | {f"channels.{c}.effect": 0.0 for c in CHANNELS}


def test_legal_fees_and_flow(small: cs.Scenario) -> None:
    """Fees are filing × cases + enforcement × enforced; outcomes never exceed what was served."""
    sc = cs.with_overrides(small, {"policy.ladders.standard.stages.2.actions.0.balance_min": 0.0})
    r = cs.simulate(sc, seed=5, record_events=True)
    k, legal = r.kpis, sc.legal
    assert k["legal_filed"] > 50
    fees = k["legal_filed"] * legal.filing_fee + k["legal_enforcing"] * legal.enforcement_fee
    assert k["legal_fees"] == pytest.approx(fees)
    assert k["legal_settled"] + k["legal_won"] + k["legal_lost"] <= k["legal_served"] <= k["legal_filed"]
    assert (r.events["outcome"] == "filed").sum() == k["legal_filed"]
    assert k["legal_pending"] == (r.accounts["legal_stage"].isin(["filed", "served", "won", "enforcing"])).sum()


def test_judgement_and_settlement_switches(small: cs.Scenario) -> None:
    """If every case is contested and lost nobody wins; if none is contested every judgement is a default one;
    if everyone settles once served, nobody reaches court."""
    base = {"policy.ladders.standard.stages.2.actions.0.balance_min": 0.0, "horizon.days": 180}
    quick = {"legal.contested_days": {"dist": "constant", "value": 20.0}}
    lose = {**base, **quick, "legal.contested_prob": 1.0, "legal.contested_win_prob": 0.0}
    never = cs.simulate(cs.with_overrides(small, lose), seed=2).kpis
    assert never["legal_won"] == never["legal_default_judgements"] == 0 and never["legal_lost"] > 0
    assert never["legal_contested"] >= never["legal_lost"]
    default = cs.simulate(cs.with_overrides(small, {**base, "legal.contested_prob": 0.0}), seed=2).kpis
    assert default["legal_won"] == default["legal_default_judgements"] > 0
    assert default["legal_lost"] == default["legal_contested"] == 0
    settle = cs.simulate(cs.with_overrides(small, {**base, "legal.settle_after_service": 1.0}), seed=2).kpis
    assert settle["legal_settled"] == settle["legal_served"] > 0
    assert settle["legal_won"] == settle["legal_lost"] == 0


def test_legal_needs_legal_team_capacity(small: cs.Scenario) -> None:
    """With no legal officers, no case is filed: the work waits in their queue until agency
    placement at DPD 120 overtakes it, and is then voided."""
    r = cs.simulate(cs.with_overrides(small, {"teams.legal_officers.headcount": 0}), seed=1)
    assert r.kpis["legal_filed"] == 0
    legal = r.teams.set_index("team").loc["legal_officers"]
    assert legal["done"] == 0 and legal["due"] > 0
    assert r.kpis["team.legal_officers.voided"] > 0
    assert r.daily["queue_legal_officers"].max() > 0


def test_agency_commission_and_recall(small: cs.Scenario) -> None:
    """Commission is the rate × what the agency collected; placements end and accounts return."""
    sc = cs.with_overrides(small, {"agency.placement_days": 20, "agency.commission": 0.3})
    r = cs.simulate(sc, seed=3, record_events=True)
    k = r.kpis
    assert k["agency_placements"] > 0 and k["agency_collected"] > 0
    assert k["agency_commission"] == pytest.approx(0.3 * k["agency_collected"])
    assert k["agency_recalled"] > 0
    ev = r.events
    placed = ev[ev["outcome"] == "placed"].set_index("account")["time"]
    later = ev[ev["account"].isin(placed.index) & (ev["outcome"] != "placed")]
    t_place = placed.loc[later["account"]].to_numpy()
    during = (later["time"].to_numpy() > t_place) & (later["time"].to_numpy() < t_place + 20)
    assert not during.any(), "an account was treated in-house while placed"
    assert (later["time"].to_numpy() >= t_place + 20).any(), "no recalled account came back in-house"


def test_charge_off_writes_off_at_dpd(small: cs.Scenario) -> None:
    """At the charge-off DPD every open balance is written off and nothing stays outstanding."""
    sc = cs.with_overrides(small, {"chargeoff.dpd": 60, "horizon.days": 90})
    acc = cs.simulate(sc, seed=4).accounts
    wo = acc[acc["status"] == "written_off"]
    assert len(wo) > 0
    assert (wo["resolution_dpd"] == 60).all()
    assert (wo["outstanding"] == 0).all()
    assert (acc["status"] != "active").all()


def test_kept_promise_pays_on_its_date(small: cs.Scenario) -> None:
    """When every promise is kept and nobody pays unprompted, a promise's account is paid 1–14 days after
    the call that got the promise: its last right-party call (the ladder does not call while a promise is
    pending). Not always the first such call: a borrower's own willingness is drawn around the reason's."""
    over = {**QUIET, "channels.call.promise_prob": 1.0, "horizon.days": 60}
    over |= {f"reasons.{r}.promise_kept": 1.0 for r in REASONS}
    over |= {f"reasons.{r}.willingness": 0.999 for r in REASONS}
    r = cs.simulate(cs.with_overrides(small, over), seed=6, record_events=True)
    ev, acc = r.events, r.accounts.set_index("account")
    calls = ev[ev["channel"].isin(["call", "late_call"]) & (ev["outcome"] == "right_party")]
    promised = acc[(acc["promises"] > 0) & acc.index.isin(calls.loc[calls["channel"] == "call", "account"])]
    assert len(promised) > 20
    assert (promised["status"] == "cured").all()
    calls = calls[calls["account"].isin(promised.index)]
    before = calls["day"].to_numpy() < promised.loc[calls["account"], "resolution_day"].to_numpy()
    last_rpc = calls[before].groupby("account")["day"].max()
    lag = promised["resolution_day"] - last_rpc.reindex(promised.index)
    assert lag.between(1, 14).all(), lag[~lag.between(1, 14)]
    first_rpc = calls.groupby("account")["day"].min()
    assert (last_rpc == first_rpc.loc[last_rpc.index]).mean() > 0.95  # nearly always the first conversation
    assert r.kpis["promises_kept"] == r.kpis["promises_made"] - (acc["promises"] - acc["promises_kept"]).sum()


def test_broken_promise_triggers_follow_up(small: cs.Scenario) -> None:
    """A broken promise is visible to the policy: the ladder's follow-up fires the next day."""
    over = {**QUIET, "channels.call.promise_prob": 1.0, "horizon.days": 60}
    over |= {f"reasons.{r}.promise_kept": 0.0 for r in REASONS}
    r = cs.simulate(cs.with_overrides(small, over), seed=6, record_events=True)
    assert r.kpis["promises_made"] > 0 and r.kpis["promises_kept"] == 0
    follow = r.events[r.events["rule"] == "standard/on_broken_promise"]
    assert len(follow) > 0


def test_inflow_spreads_entry(baseline: cs.Scenario) -> None:
    """In inflow mode accounts enter evenly over the inflow days and are only counted once observable."""
    sc = cs.with_overrides(
        baseline,
        {"population.mode": "inflow", "population.accounts": 3000, "population.inflow_days": 60, "horizon.days": 120},
    )
    r = cs.simulate(sc, seed=1, check_invariants=True)
    entry = r.accounts["entry_day"]
    assert entry.min() == 0 and entry.max() == 59
    assert entry.value_counts().max() - entry.value_counts().min() <= 1
    assert r.daily["active"].iloc[0] < r.daily["active"].iloc[30]
    assert 0 < r.kpis["cure_rate_dpd60"] < 1


def test_worse_economy_recovers_less(small: cs.Scenario) -> None:
    """Three points more unemployment lower payment intensity and so recovery (same borrowers)."""
    good = cs.simulate(small, seed=2).kpis["recovery_rate"]
    bad = cs.simulate(cs.with_overrides(small, {"economy.unemployment_change_pp": 3.0}), seed=2).kpis["recovery_rate"]
    assert bad < good


@pytest.mark.parametrize("rule", ["expected_value", "expected_loss"])
def test_score_priority(small: cs.Scenario, rule: str) -> None:
    """When callers cannot reach everyone, the first day's calls go to the highest balance × score
    (expected value) or balance × (1 − score) (expected loss: most money at risk of not self-curing)."""
    over = {"teams.early_callers.headcount": 1, "horizon.days": 5, "policy.priority": rule}
    sc = cs.with_overrides(small, over)
    r = cs.simulate(sc, seed=1, record_events=True)
    calls = r.events[r.events["channel"] == "call"]
    day = calls["day"].min()
    acc = r.accounts.set_index("account")
    ev = acc["outstanding"] + acc["paid"]  # balance on the day of the call, for accounts not yet paid
    called = calls[calls["day"] == day]["account"].to_numpy()
    value = (ev * (acc["score"] if rule == "expected_value" else 1 - acc["score"])).to_numpy()
    queued = acc.index[
        (acc["entry_dpd"] + day >= 3)
        & ~np.isin(acc.index, called)
        & (acc["resolution_day"].isna() | (acc["resolution_day"] > day)).to_numpy(dtype=bool)
    ]
    assert np.median(value[called]) > np.quantile(value[queued], 0.75)
