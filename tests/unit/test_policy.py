"""Policies: the ladder's rules appear in the event log; a Python policy plugs in."""

from __future__ import annotations

import numpy as np
import pytest

import collectsim as cs
from collectsim.policy import AccountView, PolicyContext
from collectsim.policy.ladder import _in_range


def test_event_log_names_rules(small_run: cs.RunResult) -> None:
    """Each event carries the ladder rule behind it (ladder/stage/action)."""
    ev = small_run.events
    assert ev is not None and len(ev) > 0
    rules = set(ev["rule"].astype(str))
    assert "standard/early/sms_reminder" in rules
    assert "standard/early/agent_call" in rules
    calls = ev[ev["channel"] == "call"]
    assert set(calls["outcome"].astype(str)) <= {"no_answer", "wrong_party", "right_party"}


def test_ladder_respects_timing(small_run: cs.RunResult) -> None:
    """The demand letter goes once, after DPD 31; SMS reminders at most four times per account."""
    ev, acc = small_run.events, small_run.accounts
    letters = ev[ev["rule"] == "standard/mid/demand_letter"]
    assert letters.groupby("account").size().max() == 1
    entry_dpd = acc.set_index("account").loc[letters["account"], "entry_dpd"].to_numpy()
    dpd_at_send = entry_dpd + letters["day"].to_numpy()
    # Letters are delivered 3 days after they are sent at DPD ≥ 31.
    assert dpd_at_send.min() >= 31 + 3
    sms = ev[ev["rule"] == "standard/early/sms_reminder"]
    assert sms.groupby("account").size().max() <= 4


class CallEveryone:
    """A research policy: call every in-house account every business day."""

    def reset(self, ctx: PolicyContext) -> None:
        self.n = ctx.n_accounts

    def decide(self, day: int, view: AccountView) -> cs.ActionPlan:
        plan = cs.ActionPlan()
        plan.add("call", np.flatnonzero(view.in_house), "call_everyone")
        return plan


def test_python_policy(small: cs.Scenario) -> None:
    """A class with reset/decide replaces the ladder; its rule name reaches the log."""
    r = cs.simulate(small, seed=2, policy=CallEveryone(), record_events=True)
    assert set(r.events["rule"].astype(str)) == {"call_everyone"}
    assert r.kpis["channel.sms.sent"] == 0
    assert r.kpis["channel.call.sent"] > 0


class UnknownChannel(CallEveryone):
    def decide(self, day: int, view: AccountView) -> cs.ActionPlan:
        plan = cs.ActionPlan()
        plan.add("carrier_pigeon", np.flatnonzero(view.in_house), "bad")
        return plan


def test_python_policy_unknown_channel(small: cs.Scenario) -> None:
    """A policy naming an undefined channel gets a clear error listing the channels."""
    with pytest.raises(cs.CollectsimError, match=r"carrier_pigeon.*defined: sms"):
        cs.simulate(small, seed=2, policy=UnknownChannel())


def test_view_is_read_only(small: cs.Scenario) -> None:
    """A policy cannot write to the account state through its view."""

    class Vandal(CallEveryone):
        def decide(self, day: int, view: AccountView) -> cs.ActionPlan:
            view.balance[:] = 0.0
            return cs.ActionPlan()

    with pytest.raises(ValueError, match="read-only"):
        cs.simulate(small, seed=2, policy=Vandal())


@pytest.mark.parametrize(("start", "end"), [(0, 99), (10, 20), (40, 60), (5, 9), (30, 30), (31, 70), (-5, 12)])
@pytest.mark.parametrize("spread", [0, 1, 40])
def test_a_rung_range_selects_what_a_mask_would(start: int, end: int, spread: int) -> None:
    """The stage-range shortcut (no mask when all DPDs fall inside or outside a rung) picks exactly the
    accounts a mask picks, in order, for a cohort (one DPD) and for spread DPDs."""
    rng = np.random.default_rng(spread)
    cand = np.sort(rng.choice(1000, 300, replace=False))
    dpd = 12 + rng.integers(0, spread + 1, cand.size)
    got = _in_range(cand, dpd, int(dpd.min()), int(dpd.max()), start, end)
    np.testing.assert_array_equal(got, cand[(dpd >= start) & (dpd <= end)])


def test_each_segment_follows_its_own_ladder(small: cs.Scenario) -> None:
    """With a ladder per segment, prime accounts get only their ladder's texts and near-prime accounts only
    their ladder's calls."""
    ladders = {
        "texts": {
            "segments": ["prime"],
            "stages": [
                {"name": "early", "from_dpd": 1, "to_dpd": 60, "actions": [{"channel": "sms", "every_days": 7}]}
            ],
        },
        "calls": {
            "segments": ["near_prime"],
            "stages": [
                {"name": "early", "from_dpd": 1, "to_dpd": 60, "actions": [{"channel": "call", "every_days": 7}]}
            ],
        },
    }
    sc = cs.with_overrides(small, {"policy.ladders": ladders, "horizon.days": 30})
    r = cs.simulate(sc, seed=2, record_events=True)
    ev = r.events.merge(r.accounts[["account", "segment"]], on="account")
    by_channel = ev.groupby(ev["channel"].astype(str))["segment"].agg(lambda s: set(s.astype(str)))
    assert by_channel["sms"] == {"prime"} and by_channel["call"] == {"near_prime"}
    assert (ev["rule"].astype(str).str.startswith("texts/") == (ev["channel"] == "sms")).all()
