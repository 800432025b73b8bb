"""Cost to collect by delinquency bucket: what was spent and what came in while accounts were in each bucket.

A strategy team prices its stages separately (early reminders are cheap per unit collected, late
calls and legal are dear), so every cost is booked to the bucket its account was in when the
cost arose (DPD 1–30, 31–60, …, 181+, or after charge-off), and every payment likewise. Team
time is booked in minutes per team and bucket; a team's cost (paid days and overtime) is shared
over buckets in proportion to its minutes when the run ends.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

BUCKET_DAYS = 30
IN_HOUSE_BUCKETS = 7  # 1–30 … 151–180, 181+
BUCKET_NAMES = ("1_30", "31_60", "61_90", "91_120", "121_150", "151_180", "181_plus", "after_chargeoff")
AFTER_CHARGEOFF = len(BUCKET_NAMES) - 1


class BucketLedger:
    def __init__(self, dpd: np.ndarray, status: np.ndarray, charged_off_from: int) -> None:
        self.dpd = dpd  # the state's arrays, read at booking time
        self.status = status
        self.charged_off_from = charged_off_from  # status codes from this one on were charged off
        self.cost = np.zeros(len(BUCKET_NAMES))
        self.collected = np.zeros(len(BUCKET_NAMES))
        # Per team and bucket, as Python floats: added to on every team attempt, where a numpy element costs more.
        self.minutes: dict[str, list[float]] = defaultdict(lambda: [0.0] * len(BUCKET_NAMES))

    def buckets(self, idx: np.ndarray) -> np.ndarray:
        return self.buckets_of(self.dpd[idx], self.status[idx])

    def buckets_of(self, dpd: np.ndarray, status: np.ndarray) -> np.ndarray:
        """The buckets of accounts at ``dpd`` with ``status``, for a caller that has read both already."""
        inside = np.clip((dpd - 1) // BUCKET_DAYS, 0, IN_HOUSE_BUCKETS - 1)
        return np.where(status >= self.charged_off_from, AFTER_CHARGEOFF, inside)

    def bucket_one(self, i: int) -> int:
        """``buckets`` of one account; ``item`` reads Python ints, with no numpy scalar made (the team hot path)."""
        if self.status.item(i) >= self.charged_off_from:
            return AFTER_CHARGEOFF
        return min(max((self.dpd.item(i) - 1) // BUCKET_DAYS, 0), IN_HOUSE_BUCKETS - 1)

    def spend(self, idx: np.ndarray, amount: np.ndarray | float) -> None:
        weights = np.broadcast_to(np.asarray(amount, dtype=float), idx.shape)
        self.cost += np.bincount(self.buckets(idx), weights=weights, minlength=len(BUCKET_NAMES))

    def spend_one(self, i: int, amount: float) -> None:
        self.cost[self.bucket_one(i)] += amount

    def receive_in(self, buckets: np.ndarray, amount: np.ndarray) -> None:
        """Payments ``amount`` collected in ``buckets`` (as ``buckets`` or ``buckets_of`` gave them)."""
        self.collected += np.bincount(buckets, weights=amount, minlength=len(BUCKET_NAMES))

    def work(self, team: str, i: int, minutes: float) -> None:
        self.minutes[team][self.bucket_one(i)] += minutes

    def team_cost(self, costs: dict[str, float]) -> tuple[np.ndarray, float]:
        """Each team's cost shared over buckets by its minutes; and what no minute explains (an idle team)."""
        shared = np.zeros(len(BUCKET_NAMES))
        idle = 0.0
        for team, cost in costs.items():
            m = np.array(self.minutes[team]) if team in self.minutes else None
            total = float(m.sum()) if m is not None else 0.0
            if total > 0:
                shared += cost * m / total
            else:
                idle += cost
        return shared, idle
