"""Complaints follow intrusiveness, not digital volume.

Only calls and visits raise the contact pressure, and a message carries far lower
odds than a call, so tripling text reminders leaves complaints where they were,
while calling three times as often raises them.
"""

from __future__ import annotations

import math

import collectsim as cs
from collectsim.engine.daily.loop import Simulation
from collectsim.policy.ladder import LadderPolicy

CALL_RUNGS = ("stages.0.actions.4", "stages.1.actions.1", "stages.2.actions.1")
SMS_RUNG = "policy.ladders.standard.stages.0.actions.0"
SEEDS = (1, 2, 3)


def _calls_every(days: int) -> dict[str, object]:
    """Every call rung fires each ``days`` days (no 'contacted recently' pause), so frequency is the only lever."""
    over: dict[str, object] = {}
    for rung in CALL_RUNGS:
        over[f"policy.ladders.standard.{rung}.every_days"] = days
        over[f"policy.ladders.standard.{rung}.stop_on"] = ["promise_pending", "legal_active"]
    return over


def _totals(sc: cs.Scenario) -> tuple[float, float, float]:
    """Complaints, SMS sent and calls made, summed over the same seeds (paired replications)."""
    out = [0.0, 0.0, 0.0]
    for seed in SEEDS:
        k = cs.simulate(sc, seed=seed).kpis
        out[0] += k["complaints"]
        out[1] += k["channel.sms.sent"]
        out[2] += k["channel.call.sent"] + k["channel.late_call.sent"]
    return out[0], out[1], out[2]


def test_more_sms_leaves_complaints_more_calls_raise_them(baseline: cs.Scenario) -> None:
    """Three times the SMS rate: complaints within noise. Three times the call rate: clearly more complaints."""
    staffed = {"population.accounts": 6000, "teams.early_callers.headcount": 40, "teams.late_callers.headcount": 40}
    ref = cs.with_overrides(baseline, staffed | _calls_every(3))
    sms3 = cs.with_overrides(ref, {f"{SMS_RUNG}.every_days": 1, f"{SMS_RUNG}.max_times": 12})
    calls3 = cs.with_overrides(ref, _calls_every(1))
    c_ref, sms_ref, calls_ref = _totals(ref)
    c_sms, sms_more, _ = _totals(sms3)
    c_calls, _, calls_more = _totals(calls3)
    # The rates really rose, by less than 3×: the extra reminders and calls make more borrowers pay early.
    assert sms_more > 2.0 * sms_ref and calls_more > 1.8 * calls_ref
    assert abs(c_sms - c_ref) < 3 * math.sqrt(c_sms + c_ref), (c_ref, c_sms)
    assert c_calls - c_ref > 3 * math.sqrt(c_calls + c_ref), (c_ref, c_calls)


def test_per_contact_rate_ordered_by_intrusiveness(baseline: cs.Scenario) -> None:
    """Complaints per contact that reached someone: visit > call > letter > message.

    Base odds are the defaults × 10 (same order and ratios) so that every kind draws enough complaints.
    """
    base = {kind: 10 * p for kind, p in baseline.complaints.base_prob.items()}
    sc = cs.with_overrides(baseline, {"complaints.base_prob": base})
    sim = Simulation(sc, 1, LadderPolicy(), record_events=False, check_invariants=False, progress=None)
    sim.run()
    book = sim.complaints
    rate = {kind: book.by_kind.get(kind, 0) / n for kind, n in book.contacts_by_kind.items()}
    assert sum(book.by_kind.values()) == book.total
    assert min(book.by_kind.get(k, 0) for k in ("visit", "call", "letter", "message")) >= 5, book.by_kind
    assert rate["visit"] > rate["call"] > rate["letter"] > rate["message"], rate
