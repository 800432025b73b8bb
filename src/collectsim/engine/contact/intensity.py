"""Contact intensity: was an account ever attempted 4 times within 7 days (CFPB 2017 survey)?

The CFPB's 2017 survey found about 40% of consumers in collection contacted at least
four times a week (before Regulation F's 7-in-7 call cap). Its denominator is consumers
contacted about a debt, so whether an account was ever called or visited is kept too: a
borrower who paid after one reminder is in a log's denominator, not in the survey's. Two measures are kept,
because a survey respondent counts calls and visits while a log counts everything:
calls and visits (collectors' attempts, answered or not; a borrower's own inbound
call is not one), and every send or attempt of any channel. Each keeps a ring of
the last three attempt times per account (``RecentTimes``, shared with the conduct
caps), so the check is O(1) per attempt and exact, as attempts arrive in time order.
"""

from __future__ import annotations

import numpy as np

from collectsim.engine.contact.recent import RecentTimes

TIMES = 4
SLOTS = TIMES - 1  # the current attempt and the three before it
WINDOW_DAYS = 7.0
CALL_KINDS = ("call", "visit")


class _Ring:
    """Whether ``TIMES`` attempts ever fell within ``WINDOW_DAYS`` for each account.

    A flagged account stays flagged, so it is no longer tracked (most accounts are flagged early for "any channel").
    """

    def __init__(self, n: int) -> None:
        self.times = RecentTimes(n, SLOTS)
        self.hit = np.zeros(n, dtype=bool)

    def record(self, idx: np.ndarray, t: float) -> None:
        """One attempt at time ``t`` on each of ``idx`` (distinct accounts)."""
        idx = idx[~self.hit[idx]]
        self.hit[idx] = t - self.times.oldest(idx) < WINDOW_DAYS
        self.times.add(idx, t)

    def record_one(self, i: int, t: float) -> None:
        if self.hit[i]:
            return
        if t - self.times.push_one(i, t) < WINDOW_DAYS:
            self.hit[i] = True  # else it stays False: no write


class ContactIntensity:
    """Per-account flags: ever called or visited; ≥ 4 calls and visits in some 7 days; ≥ 4 sends or attempts
    of any channel."""

    def __init__(self, n: int, kinds: list[str]) -> None:
        self.is_call = [k in CALL_KINDS for k in kinds]
        self.called = np.zeros(n, dtype=bool)
        self.calls = _Ring(n)
        self.any = _Ring(n)

    def record(self, cid: int, idx: np.ndarray, t: float) -> None:
        """Sends or attempts of channel ``cid`` at time ``t`` (in days) on distinct accounts ``idx``."""
        if idx.size == 0:
            return
        self.any.record(idx, t)
        if self.is_call[cid]:
            self.called[idx] = True
            self.calls.record(idx, t)

    def record_one(self, cid: int, i: int, t: float) -> None:
        self.any.record_one(i, t)
        if self.is_call[cid]:
            self.called[i] = True
            self.calls.record_one(i, t)

    @property
    def calls_week(self) -> np.ndarray:
        return self.calls.hit

    @property
    def any_week(self) -> np.ndarray:
        return self.any.hit
