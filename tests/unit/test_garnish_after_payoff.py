"""An account under enforcement that pays off by other means leaves the garnishment roll."""

from __future__ import annotations

import numpy as np

import collectsim as cs
from collectsim.engine.accounts.state import ACTIVE, CURED
from collectsim.engine.daily.loop import Simulation
from collectsim.policy.ladder import LadderPolicy


def test_a_paid_off_account_is_not_garnished_again(small: cs.Scenario) -> None:
    """Paying the whole debt clears the weekly instalment: the next garnishment day books nothing (no zero
    payment, no payment counted), where a stale instalment would book a payment of 0 and count it."""
    sim = Simulation(small, 3, LadderPolicy(), record_events=False, check_invariants=False, progress=None)
    s, i = sim.state, 7
    s.status[i], s.in_house[i] = ACTIVE, True
    s.garnish_amount[i], s.garnish_next[i] = 25.0, 17
    owed = float(s.balance[i])
    s.book_payment(np.array([i]), np.array([owed]), 12)
    assert s.status[i] == CURED and s.garnish_amount[i] == 0.0
    payments, paid = int(s.payments[i]), float(s.paid[i])
    due, amount = sim.legal.garnish(17)
    assert i not in due and amount.sum() == 0.0
    assert int(s.payments[i]) == payments and float(s.paid[i]) == paid
