"""Account state as numpy arrays, one slot per account, and the money ledger.

Status codes: accounts are ``PENDING`` until their entry day, ``ACTIVE`` while
delinquent, and end ``CURED`` (paid in full), ``SETTLED`` (paid after a discount)
or ``WRITTEN_OFF`` (charged off; in-house recovery, agency and legal may still recover afterwards). A
written-off account whose written-off balance is later paid in full becomes
``RECOVERED``: its own status, so it is neither a cure nor a loss. A written-off
account sold to a debt buyer becomes ``SOLD``: its written-off balance moves to
``sold`` (face value sold), the price received to ``sale_proceeds``, and it is no
longer the lender's (it never pays again).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from collectsim.engine.accounts.ledger import BucketLedger
from collectsim.policy import NEVER

PENDING, ACTIVE, CURED, SETTLED, WRITTEN_OFF, RECOVERED, SOLD = 0, 1, 2, 3, 4, 5, 6  # charged off: ≥ WRITTEN_OFF
STATUS_NAMES = ("pending", "active", "cured", "settled", "written_off", "recovered", "sold")

# Legal stages.
NO_CASE, FILED, SERVED, WON, LOST, ENFORCING, CLOSED = 0, 1, 2, 3, 4, 5, 6
LEGAL_NAMES = ("none", "filed", "served", "won", "lost", "enforcing", "closed")

CENT = 0.005
BUCKET_DAYS = 30


def distinct(idx: np.ndarray) -> np.ndarray:
    """The distinct account indices of ``idx``, ascending (what ``np.unique`` returns).

    Policies hand over index arrays that are almost always sorted already; numpy's
    hash-based ``unique`` costs as much on those as on random input (a third of a 1M-account
    run), while a sortedness check is one pass.
    """
    if idx.size < 2 or bool(np.all(idx[1:] > idx[:-1])):
        return idx
    idx = np.sort(idx, kind="stable")
    return idx[np.concatenate(([True], idx[1:] != idx[:-1]))]


@dataclass
class Population:
    """What the population generator draws: observable attributes and latent traits."""

    segment: np.ndarray
    reason: np.ndarray
    entry_day: np.ndarray
    entry_dpd: np.ndarray
    balance: np.ndarray
    score: np.ndarray
    self_cure_label: np.ndarray
    lam_inf: np.ndarray
    lam_0: np.ndarray
    propensity_mult: np.ndarray
    willingness: np.ndarray
    ability: np.ndarray
    contactability: np.ndarray
    responsiveness: np.ndarray
    promise_kept: np.ndarray
    vulnerable: np.ndarray
    refusal_prob: np.ndarray
    dispute_prob: np.ndarray
    hardship: np.ndarray


class AccountState:
    """Mutable per-account arrays advanced by the engine; the policy sees a read-only view."""

    def __init__(self, pop: Population) -> None:
        n = pop.balance.size
        self.n = n
        self.pop = pop
        self.status = np.full(n, PENDING, dtype=np.int8)
        self.opening = pop.balance.copy()
        self.balance = pop.balance.copy()
        self.paid = np.zeros(n)
        self.interest = np.zeros(n)
        self.fees = np.zeros(n)
        self.discount = np.zeros(n)
        self.written_off = np.zeros(n)
        self.sold = np.zeros(n)  # face value sold to a debt buyer
        self.sale_proceeds = np.zeros(n)  # what the buyer paid for it: lender's cash, not a borrower payment
        self.sale_day = np.full(n, -1, dtype=np.int32)
        self.dpd = np.zeros(n, dtype=np.int32)
        self.arrears: np.ndarray | None = None  # missed dues, with a contractual schedule (engine/accounts/schedule.py)
        self.minimum_due: np.ndarray | None = None  # the size of one due, with a schedule
        self.paid_down: list[np.ndarray] = []  # with a schedule: arrears lowered by payments since its morning
        self.episode_start = pop.entry_day.copy()  # start of the current delinquency: entry, or a re-default
        self.in_house = np.zeros(n, dtype=bool)
        self.excite = np.zeros(n)
        self.jump_integral = np.zeros(n)
        self.jump_end = np.zeros(n)
        self.threshold = np.zeros(n)
        self.promise_due = np.full(n, NEVER, dtype=np.int32)
        self.promise_amount = np.zeros(n)
        self.promise_keep = np.zeros(n, dtype=bool)
        self.broken_promise_day = np.full(n, NEVER, dtype=np.int32)
        self.last_payment_day = np.full(n, NEVER, dtype=np.int32)
        self.last_rpc_day = np.full(n, NEVER, dtype=np.int32)
        self.first_payment_day = np.full(n, -1, dtype=np.int32)
        self.resolution_day = np.full(n, -1, dtype=np.int32)
        self.placed = np.zeros(n, dtype=bool)
        self.placement_end = np.full(n, -1, dtype=np.int32)
        self.placement_start = np.full(n, -1, dtype=np.int32)
        self.agency_tier = np.zeros(n, dtype=np.int8)  # tier of the current (or last) placement; 0 primary
        self.ever_placed = np.zeros(n, dtype=bool)
        self.agency_paid = np.zeros(n)  # collected by the agency while placed
        self.in_recovery = np.zeros(n, dtype=bool)  # charged off, with the in-house recovery unit
        self.recovery_start = np.full(n, -1, dtype=np.int32)  # the day the stage began (the charge-off day)
        self.recovery_end = np.full(n, -1, dtype=np.int32)
        self.legal_stage = np.full(n, NO_CASE, dtype=np.int8)
        self.legal_active = np.zeros(n, dtype=bool)
        self.legal_next = np.zeros(n)  # time of the case's next step (service, judgement, enforcement): the court date
        self.legal_contested = np.zeros(n, dtype=bool)
        self.garnish_amount = np.zeros(n)
        self.garnish_next = np.full(n, -1, dtype=np.int32)
        self.attempts = np.zeros(n, dtype=np.int32)
        self.contacts = np.zeros(n, dtype=np.int32)
        self.rpcs = np.zeros(n, dtype=np.int32)
        self.promises = np.zeros(n, dtype=np.int32)
        self.promises_kept = np.zeros(n, dtype=np.int32)
        self.promises_broken = np.zeros(n, dtype=np.int32)
        self.promises_cancelled = np.zeros(n, dtype=np.int32)  # resolved another way while the promise pended
        self.recovered_after_write_off = np.zeros(n)  # paid after charge-off
        self.payments = np.zeros(n, dtype=np.int32)
        self.paid_buckets = np.zeros(n, dtype=np.int32)  # bit b: a payment while DPD was in bucket b (1–30 is 0)
        self.on_plan = np.zeros(n, dtype=bool)
        self.plan_next = np.full(n, -1, dtype=np.int32)
        self.plan_amount = np.zeros(n)
        self.plan_left = np.zeros(n, dtype=np.int16)
        self.plan_every = np.zeros(n, dtype=np.int32)
        self.broken_plan_day = np.full(n, NEVER, dtype=np.int32)
        self.holiday_until = np.full(n, -1, dtype=np.int32)
        self.offered = np.zeros(n, dtype=bool)  # ever heard a plan, settlement or deferral offer
        self.complaints = np.zeros(n, dtype=np.int16)
        self.direct_cost = np.zeros(n)  # channel costs, legal fees and agency commission, per account
        self.team_minutes = np.zeros(n)  # team time spent on the account (to share team cost)
        self.ledger = BucketLedger(self.dpd, self.status, WRITTEN_OFF)  # cost and collections by bucket

    def charge(self, idx: np.ndarray, amount: np.ndarray | float) -> None:
        """A direct cost (channel, fee, commission, complaint) on accounts ``idx`` (repeats add up)."""
        np.add.at(self.direct_cost, idx, amount)
        self.ledger.spend(idx, amount)

    def charge_one(self, i: int, amount: float) -> None:
        self.direct_cost[i] += amount
        self.ledger.spend_one(i, amount)

    def work(self, team: str, i: int, minutes: float) -> None:
        """Team time spent on account ``i``."""
        self.team_minutes[i] += minutes
        self.ledger.work(team, i, minutes)

    def debt(self, idx: np.ndarray) -> np.ndarray:
        """All that is owed: the balance, or after charge-off what was written off."""
        return self._debt_of(idx, self.status[idx] == WRITTEN_OFF)

    def _debt_of(self, idx: np.ndarray, co: np.ndarray) -> np.ndarray:
        """``debt`` of accounts whose charge-off flags ``co`` (status written off) the caller has read."""
        return np.where(co, self.written_off[idx], self.balance[idx])

    def collectible(self, idx: np.ndarray) -> np.ndarray:
        """What collection asks for: the debt, or with a contractual schedule the arrears of a live account.

        A court case accelerates the debt, so an account in court owes its whole balance.
        """
        status = self.status[idx]
        return self._collectible_read(idx, status, status == WRITTEN_OFF)

    def book_payment(self, idx: np.ndarray, amount: np.ndarray, day: int) -> np.ndarray:
        """Book payments; returns the accounts among ``idx`` now cured (arrears paid) or paid in full.

        Status and DPD are read once: nothing here changes them before the paid-off accounts close.
        """
        status, dpd = self.status[idx], self.dpd[idx]
        co = status == WRITTEN_OFF
        amount = np.minimum(amount, self._debt_of(idx, co))
        self.ledger.receive_in(self.ledger.buckets_of(dpd, status), amount)
        self.paid[idx] += amount
        live_idx, live_amount = idx[~co], amount[~co]
        self.balance[live_idx] -= live_amount
        self.written_off[idx[co]] -= amount[co]
        if self.arrears is not None:
            self.arrears[live_idx] = np.maximum(0.0, self.arrears[live_idx] - live_amount)
            self.paid_down.append(live_idx)
        self.recovered_after_write_off[idx[co]] += amount[co]
        self.payments[idx] += 1
        bucket = np.clip((dpd - 1) // BUCKET_DAYS, 0, 30)
        self.paid_buckets[idx] |= np.left_shift(1, bucket).astype(np.int32)
        self.last_payment_day[idx] = day
        first = self.first_payment_day[idx] < 0
        self.first_payment_day[idx[first]] = day
        paid_off = self._collectible_read(idx, status, co) <= CENT
        done, done_status = idx[paid_off], status[paid_off]
        if self.arrears is None:
            self._clear_dust(done)
        else:
            self.arrears[done] = 0.0
            self._clear_dust(done[self.debt(done) <= CENT])
        self.close(done[done_status == ACTIVE], CURED, day)
        self.status[done[done_status == WRITTEN_OFF]] = RECOVERED
        self.placed[done] = False
        self.in_recovery[done] = False
        self.garnish_amount[done] = 0.0
        return done

    def _collectible_read(self, idx: np.ndarray, status: np.ndarray, co: np.ndarray) -> np.ndarray:
        """``collectible(idx)`` for accounts whose ``status`` (and ``co``, status is written off) are read."""
        debt = self._debt_of(idx, co)
        if self.arrears is None:
            return debt
        scheduled = (status == ACTIVE) & ~self.legal_active[idx]
        return np.where(scheduled, np.minimum(self.arrears[idx], self.balance[idx]), debt)

    def settle(self, idx: np.ndarray, discount_share: float, day: int) -> None:
        """Settle the whole debt (not only the arrears) in one payment less a discount, booked as discount.

        After charge-off the waived part simply stays written off.
        """
        owed = self.debt(idx)
        disc = owed * discount_share
        live = self.status[idx] != WRITTEN_OFF
        self.discount[idx[live]] += disc[live]
        self.balance[idx[live]] -= disc[live]
        self.book_payment(idx, owed - disc, day)
        self.close(idx[live], SETTLED, day, force=True)
        self.placed[idx] = False
        self.garnish_amount[idx] = 0.0

    def _clear_dust(self, idx: np.ndarray) -> None:
        # Sub-cent remainders from float arithmetic are paid off, not left outstanding.
        co = self.status[idx] == WRITTEN_OFF
        self.paid[idx[~co]] += self.balance[idx[~co]]
        self.balance[idx[~co]] = 0.0
        self.paid[idx[co]] += self.written_off[idx[co]]
        self.recovered_after_write_off[idx[co]] += self.written_off[idx[co]]
        self.written_off[idx[co]] = 0.0

    def close(self, idx: np.ndarray, status: int, day: int, *, force: bool = False) -> None:
        if not force:
            idx = idx[self.status[idx] == ACTIVE]
        self.status[idx] = status
        self.in_house[idx] = False
        if self.arrears is not None:
            self.arrears[idx] = 0.0
        self.cancel_promises(idx)
        self.resolution_day[idx] = np.where(self.resolution_day[idx] < 0, day, self.resolution_day[idx])

    def cancel_promises(self, idx: np.ndarray) -> None:
        """Drop pending promises of accounts resolved another way, counted apart so they are neither kept nor broken."""
        pending = idx[self.promise_due[idx] != NEVER]
        self.promises_cancelled[pending] += 1
        self.promise_due[pending] = NEVER

    def charge_off(self, idx: np.ndarray, day: int) -> None:
        self.written_off[idx] += self.balance[idx]
        self.balance[idx] = 0.0
        self.close(idx, WRITTEN_OFF, day)

    def sell(self, idx: np.ndarray, price: np.ndarray, day: int) -> None:
        """Sell written-off accounts ``idx`` at ``price`` per unit of face value: they leave the lender's books.

        Whatever was under way on them ends: an agency placement, a court case and its garnishment.
        """
        if np.any(self.status[idx] != WRITTEN_OFF):
            raise ValueError("only written-off accounts can be sold")
        face = self.written_off[idx]
        self.sold[idx] += face
        self.sale_proceeds[idx] += price * face
        self.written_off[idx] = 0.0
        self.status[idx] = SOLD
        self.sale_day[idx] = day
        self.placed[idx] = False
        self.in_recovery[idx] = False
        court = idx[self.legal_active[idx]]
        self.legal_stage[court] = CLOSED
        self.legal_active[court] = False
        self.garnish_amount[idx] = 0.0
        self.garnish_next[idx] = -1

    def conservation_error(self) -> float:
        """Largest |opening + interest + fees − paid − discount − written off − sold − outstanding| over accounts."""
        owed = self.opening + self.interest + self.fees
        gap = owed - self.paid - self.discount - self.written_off - self.sold - self.balance
        return float(np.max(np.abs(gap))) if self.n else 0.0
