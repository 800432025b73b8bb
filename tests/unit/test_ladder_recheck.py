"""The ladder answers again when queued work comes up, and follow-ups never fall through the calendar."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import collectsim as cs
from collectsim.policy import NEVER, AccountView, PolicyContext
from collectsim.policy.ladder import LadderPolicy

N = 4


def _view(**fields) -> AccountView:
    base = {
        "dpd": np.full(N, 10, dtype=np.int32),
        "balance": np.full(N, 2000.0),
        "opening_balance": np.full(N, 2000.0),
        "score": np.full(N, 0.5),
        "segment": np.zeros(N, dtype=np.int16),
        "in_house": np.ones(N, dtype=bool),
        "promise_due_day": np.full(N, NEVER, dtype=np.int32),
        "broken_promise_day": np.full(N, NEVER, dtype=np.int32),
        "last_payment_day": np.full(N, NEVER, dtype=np.int32),
        "last_rpc_day": np.full(N, NEVER, dtype=np.int32),
        "legal_active": np.zeros(N, dtype=bool),
        "on_plan": np.zeros(N, dtype=bool),
        "broken_plan_day": np.full(N, NEVER, dtype=np.int32),
    }
    return AccountView(**(base | fields))


@pytest.fixture
def ladder(small: cs.Scenario) -> LadderPolicy:
    pol = LadderPolicy()
    pol.reset(PolicyContext(small, N, tuple(small.population.segments), np.random.default_rng(0)))
    return pol


ALL = np.arange(N)


def test_still_due_follows_the_rule(ladder: LadderPolicy) -> None:
    """An early call lapses past DPD 30, with a promise pending or after a recent conversation."""
    rule = "standard/early/agent_call"
    assert ladder.still_due(rule, ALL, 10, _view()).all()
    dpd = np.array([10, 30, 31, 60], dtype=np.int32)
    assert ladder.still_due(rule, ALL, 10, _view(dpd=dpd)).tolist() == [True, True, False, False]
    promise = np.array([NEVER, 12, 10, 9], dtype=np.int32)
    assert ladder.still_due(rule, ALL, 10, _view(promise_due_day=promise)).tolist() == [True, False, False, True]
    rpc = np.array([NEVER, 10, 3, 2], dtype=np.int32)  # recent_days = 7
    assert ladder.still_due(rule, ALL, 10, _view(last_rpc_day=rpc)).tolist() == [True, False, False, True]


def test_still_due_rechecks_balance_floor_and_legal(ladder: LadderPolicy) -> None:
    """A filing lapses when the balance fell below its floor; a late call lapses once a case is open."""
    dpd = np.full(N, 100, dtype=np.int32)
    bal = np.array([2000.0, 1499.0, 1500.0, 10.0])
    got = ladder.still_due("standard/late/legal_review", ALL, 100, _view(dpd=dpd, balance=bal))
    assert got.tolist() == [True, False, True, False]
    legal = np.array([False, True, False, True])
    got = ladder.still_due("standard/late/late_call", ALL, 100, _view(dpd=dpd, legal_active=legal))
    assert got.tolist() == [True, False, True, False]


@pytest.mark.parametrize("broken_weekday", range(7))
def test_broken_promise_followed_up_on_next_working_day(ladder: LadderPolicy, broken_weekday: int) -> None:
    """A break on any weekday is followed up once, on the first working day at or after break + 1 day."""
    broken = np.full(N, NEVER, dtype=np.int32)
    broken[1] = 7 + broken_weekday  # day 7 is a Monday (start_weekday = mon)
    view = _view(broken_promise_day=broken)
    fired = []
    for day in range(7 + broken_weekday, 7 + broken_weekday + 10):
        if day % 7 >= 5:  # the policy decides on working days only
            continue
        plan = ladder.decide(day, view)
        hits = [d for d in plan.dispatches if d.rule.endswith("on_broken_promise")]
        if hits:
            fired.append((day, hits[0].accounts.tolist()))
    due = 7 + broken_weekday + 1
    first_working = next(d for d in range(due, due + 7) if d % 7 < 5)
    assert fired == [(first_working, [1])]


def test_follow_up_skipped_when_a_new_promise_is_pending(ladder: LadderPolicy) -> None:
    """A new promise made since the break supersedes the follow-up."""
    broken = np.array([5, 5, NEVER, NEVER], dtype=np.int32)
    promise = np.array([NEVER, 12, NEVER, NEVER], dtype=np.int32)
    plan = ladder.decide(8, _view(broken_promise_day=broken, promise_due_day=promise))
    hits = [d for d in plan.dispatches if d.rule.endswith("on_broken_promise")]
    assert [h.accounts.tolist() for h in hits] == [[0]]
    assert not ladder.still_due("standard/on_broken_promise", np.array([1]), 8, _view(promise_due_day=promise))[0]


def test_follow_ups_run_on_working_days(small: cs.Scenario) -> None:
    """In a run, follow-up calls are made, on working days only."""
    r = cs.simulate(cs.with_overrides(small, {"horizon.days": 120}), seed=7, record_events=True)
    ev = r.events
    follow = ev[ev["rule"].astype(str).str.endswith("on_broken_promise")]
    assert len(follow) > 0
    assert set((follow["day"] % 7).unique()) <= {0, 1, 2, 3, 4}
    assert (follow["day"] % 7 == 0).any()


def test_one_account_answers_as_many(ladder: LadderPolicy) -> None:
    """Asked about one account (an agent taking an item), every rung answers as it does for that account among
    many: DPD range, score band, balance floor and every stop condition."""
    rng = np.random.default_rng(3)
    n = 400
    view = AccountView(
        dpd=rng.integers(0, 200, n).astype(np.int32),
        balance=rng.uniform(0, 3000, n),
        opening_balance=np.full(n, 3000.0),
        score=rng.uniform(0, 1, n),
        segment=np.zeros(n, dtype=np.int16),
        in_house=np.ones(n, dtype=bool),
        promise_due_day=rng.choice([NEVER, 40, 50, 60], n).astype(np.int32),
        broken_promise_day=np.full(n, NEVER, dtype=np.int32),
        last_payment_day=rng.choice([NEVER, 40, 45, 49], n).astype(np.int32),
        last_rpc_day=rng.choice([NEVER, 40, 45, 49], n).astype(np.int32),
        legal_active=rng.uniform(size=n) < 0.2,
        on_plan=np.zeros(n, dtype=bool),
        broken_plan_day=np.full(n, NEVER, dtype=np.int32),
    )
    banded = {"score_min": 0.3, "score_max": 0.7, "balance_min": 800.0}
    view.score[:40:2], view.score[1:40:2], view.balance[::5] = 0.3, 0.7, 800.0  # on the band's edges
    stops = ("promise_pending", "paid_recently", "contacted_recently", "legal_active")
    rungs = list(ladder._rungs)
    rungs += [replace(r, action=r.action.model_copy(update=banded)) for r in rungs]
    rungs += [replace(r, action=r.action.model_copy(update={"stop_on": stops})) for r in rungs]
    every, mixed = np.arange(n), 0
    for k, rung in enumerate(rungs):
        ladder._rungs[0] = rung
        ladder._rung_of[rung.rule] = 0
        many = ladder.still_due(rung.rule, every, 50, view)
        one = [bool(ladder.still_due(rung.rule, np.array([i]), 50, view)[0]) for i in range(n)]
        assert one == many.tolist(), (k, rung.rule)
        mixed += 0 < many.sum() < n
    assert mixed >= len(rungs) // 2  # the draws leave both answers to compare on most rungs
