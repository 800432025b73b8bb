"""WorkCheck: which queued items are still wanted, at the daily opening and as an agent takes one."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from collectsim.engine.accounts.state import FILED, NO_CASE
from collectsim.engine.operations.workcheck import WorkCheck

KINDS = ["message", "call", "legal", "visit"]
MSG, CALL, LEGAL, VISIT = range(4)


class Rule:
    """A policy whose rule 'ok' always applies and 'gone' never does; it records what it was asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, list[int], int]] = []

    def still_due(self, rule: str, accounts: np.ndarray, day: int, view) -> np.ndarray:
        self.asked.append((rule, accounts.tolist(), day))
        return np.full(accounts.size, rule == "ok")


def _check(one_call: bool = True, policy=None) -> tuple[WorkCheck, SimpleNamespace, Rule]:
    s = SimpleNamespace(n=4, in_house=np.ones(4, dtype=bool), legal_stage=np.full(4, NO_CASE, dtype=np.int8))
    pol = policy if policy is not None else Rule()
    return WorkCheck(s, pol, view=None, kinds=KINDS, one_call_per_day=one_call), s, pol


def test_batch_applies_engine_conditions_then_the_rule() -> None:
    """Out of house, a filing on an open case, a second call today, and a lapsed rule are all voided."""
    wc, s, pol = _check()
    ok, gone = wc.rule_id("ok"), wc.rule_id("gone")
    assert (ok, gone, wc.rule_id("ok")) == (0, 1, 0)
    s.in_house[0] = False
    s.legal_stage[2] = FILED
    wc.note_call(CALL, 3, 5)
    acct = np.array([0, 1, 2, 3, 1])
    chan = np.array([CALL, CALL, LEGAL, CALL, MSG])
    rule = np.array([ok, ok, ok, ok, gone])
    assert wc.keep(acct, chan, rule, 5).tolist() == [False, True, False, False, False]
    assert wc.keep(acct, chan, rule, 6).tolist() == [False, True, False, True, False]
    # The policy is asked only about items that passed the engine's own conditions.
    assert pol.asked[0] == ("ok", [1], 5)


def test_visits_are_not_calls_and_the_limit_can_be_lifted() -> None:
    """A visit after a call the same day is kept; without one_call_per_day a second call is kept too."""
    wc, _, _ = _check()
    wc.note_call(CALL, 1, 5)
    wc.note_call(VISIT, 2, 5)
    ok = wc.rule_id("ok")
    assert wc.keep(np.array([1, 1, 2]), np.array([VISIT, CALL, CALL]), np.array([ok] * 3), 5).tolist() == [
        True,
        False,
        True,
    ]
    free, _, _ = _check(one_call=False)
    free.note_call(CALL, 1, 5)
    assert free.keep(np.array([1]), np.array([CALL]), np.array([free.rule_id("ok")]), 5).tolist() == [True]
    # The same as an agent takes the item.
    assert wc.keep_one(2, CALL, ok, 5) and not wc.keep_one(1, CALL, ok, 5) and wc.keep_one(1, VISIT, ok, 5)
    assert free.keep_one(1, CALL, free.rule_id("ok"), 5)


def test_taking_an_item_rechecks_only_what_changed_today() -> None:
    """As an agent takes an item the policy is asked again only if the account was touched today."""
    wc, s, pol = _check()
    ok, gone = wc.rule_id("ok"), wc.rule_id("gone")
    assert wc.keep_one(1, CALL, gone, 5)  # untouched: the morning's answer stands
    assert pol.asked == []
    wc.touch(np.array([1]), 5)
    assert not wc.keep_one(1, CALL, gone, 5)
    assert wc.keep_one(1, CALL, ok, 5)
    assert wc.keep_one(1, CALL, gone, 6)  # touched yesterday, not today
    assert wc.keep_one(1, CALL, -1, 5)  # an item with no rule (inbound) is never asked about
    wc.note_call(CALL, 2, 5)
    assert not wc.keep_one(2, CALL, ok, 5) and wc.keep_one(2, CALL, ok, 6)
    s.legal_stage[3] = FILED
    assert not wc.keep_one(3, LEGAL, ok, 5) and wc.keep_one(3, CALL, ok, 5)
    s.in_house[0] = False
    assert not wc.keep_one(0, MSG, ok, 5)


def test_a_policy_without_still_due_gets_engine_checks_only() -> None:
    """A research policy with no still_due method: only the engine's own conditions apply."""
    wc, s, _ = _check(policy=object())
    r = wc.rule_id("anything")
    wc.touch(np.array([1]), 5)
    assert wc.keep_one(1, CALL, r, 5)
    s.in_house[2] = False
    assert wc.keep(np.array([1, 2]), np.array([CALL, CALL]), np.array([r, r]), 5).tolist() == [True, False]
