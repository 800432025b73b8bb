"""Flexible repayment: settlements at a discount, instalment plans, deferrals (docs/sources.md, Repayment plans).

An offer reaching the borrower is accepted with odds that rise with the discount
and with willingness. A settlement is paid at once, the discount booked as such; a
plan pays instalments on schedule until one is missed (the plan breaks and the
account returns to collections) or all are paid (cured). Missing is likelier for
borrowers who break promises, and likeliest on the first instalment: once one is
kept, paying has become a habit (a monthly break hazard of about 0.10 is the
industry rule of thumb, so about half of 6-month plans complete); a deferral pauses
collection for borrowers in hardship. Accounts on a plan or holiday are not
treated by the ladder, and their charge-off clock is paused.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from collectsim.engine.accounts.state import ACTIVE, AccountState
from collectsim.rng import KeyedUniforms, Streams
from collectsim.scenario.schema import Channel, Scenario


@dataclass
class OfferTally:
    offered: int = 0
    accepted: int = 0
    completed: int = 0
    broken: int = 0


class OfferDesk:
    def __init__(self, sc: Scenario, state: AccountState, streams: Streams) -> None:
        self.s = state
        self.accept_u = KeyedUniforms(streams, "offer_accept", state.n)
        self.keep_u = KeyedUniforms(streams, "plan_keep", state.n)
        # Per account on a plan: the factor on (1 − promise_kept) for the next instalment, and after a kept one.
        self.miss_next = np.zeros(state.n)
        self.miss_after = np.zeros(state.n)
        self.tally = {k: OfferTally() for k in ("settlement", "plan", "deferral")}

    def make(self, ch: Channel, reached: np.ndarray, day: int) -> None:
        """The right party heard an offer of channel ``ch``: draw acceptance and act on it."""
        s, spec = self.s, ch.offer
        reached = reached[(s.status[reached] == ACTIVE) & ~s.on_plan[reached]]
        if reached.size == 0 or spec is None:
            return
        t = self.tally[ch.kind]
        s.offered[reached] = True
        t.offered += reached.size
        p = min(1.0, spec.accept_prob + spec.accept_per_discount * spec.discount)
        p = np.minimum(1.0, p * 2.0 * s.pop.willingness[reached])
        yes = reached[self.accept_u.draw(reached) < p]
        if ch.kind == "deferral":
            yes = yes[s.pop.hardship[yes]]
        t.accepted += yes.size
        if ch.kind == "settlement":
            s.settle(yes, spec.discount, day)
        elif ch.kind == "plan":
            s.on_plan[yes] = True
            s.in_house[yes] = False
            s.cancel_promises(yes)
            s.plan_left[yes] = spec.instalments
            s.plan_amount[yes] = s.collectible(yes) / spec.instalments
            s.plan_next[yes] = day + spec.instalment_days
            s.plan_every[yes] = spec.instalment_days
            self.miss_next[yes] = spec.miss_first
            self.miss_after[yes] = spec.miss_after_kept
        else:
            s.holiday_until[yes] = day + spec.holiday_days
            s.in_house[yes] = False

    def instalments(self, day: int) -> tuple[np.ndarray, np.ndarray]:
        """Instalments due today: paid (kept) or missed (the plan breaks)."""
        s = self.s
        due = np.flatnonzero(s.on_plan & (s.plan_next == day))
        # Paid off another way (its own payments, a settlement) before this date: the plan is done, not due.
        gone = due[s.status[due] != ACTIVE]
        self.tally["plan"].completed += gone.size
        s.on_plan[gone] = False
        s.plan_next[gone] = -1
        due = due[s.status[due] == ACTIVE]
        if due.size == 0:
            return due, np.zeros(0)
        miss = (1.0 - s.pop.promise_kept[due]) * self.miss_next[due]
        kept = self.keep_u.draw(due) >= miss
        paying = due[kept]
        self.miss_next[paying] = self.miss_after[paying]
        last = s.plan_left[paying] == 1
        owed = s.collectible(paying)
        amount = np.where(last, owed, np.minimum(s.plan_amount[paying], owed))
        done = s.book_payment(paying, amount, day)
        s.plan_left[paying] -= 1
        s.plan_next[paying] += s.plan_every[paying]
        finished = np.union1d(done, paying[s.plan_left[paying] <= 0])
        broken = due[~kept]
        self.tally["plan"].completed += finished.size
        self.tally["plan"].broken += broken.size
        for ended in (finished, broken):
            s.on_plan[ended] = False
            s.plan_next[ended] = -1
        s.broken_plan_day[broken] = day
        s.in_house[broken[s.status[broken] == ACTIVE]] = True
        return paying, amount

    def holidays(self, day: int) -> None:
        """Deferrals ending today: the account returns to collections."""
        s = self.s
        back = np.flatnonzero(s.holiday_until == day)
        s.holiday_until[back] = -1
        s.in_house[back[(s.status[back] == ACTIVE) & ~s.placed[back] & ~s.on_plan[back]]] = True

    @staticmethod
    def paused(s: AccountState, idx: np.ndarray) -> np.ndarray:
        """Whether each account of ``idx`` has its charge-off clock standing still (on a plan or a payment
        holiday)."""
        return s.on_plan[idx] | (s.holiday_until[idx] >= 0)
