"""What the bank's own logs show each evening, fed to a policy's collectability filter (policy/collectability.py).

Today's treatment jumps are read before payments excite the process; each is divided by the borrower's
responsiveness, so the filter sees only what the bank knows: that a treatment reached the borrower,
when, and its channel's nominal effect × wear. Payments are reported with their share of the amount
then owed and their source; broken promises by account.
"""

from __future__ import annotations

import numpy as np

from collectsim.engine.accounts.behaviour import PROMISE, SELF, DayPayments, repaying
from collectsim.engine.accounts.state import AccountState
from collectsim.policy.collectability import Collectability


def treatments_today(s: AccountState) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Accounts a treatment reached today, with its nominal jump at day end and over the rest of the day."""
    idx = np.flatnonzero(s.jump_end)
    resp = s.pop.responsiveness[idx]
    idx, resp = idx[resp > 0], resp[resp > 0]
    return idx, s.jump_end[idx] / resp, s.jump_integral[idx] / resp


def report_day(
    filt: Collectability,
    s: AccountState,
    day: int,
    treated: tuple[np.ndarray, np.ndarray, np.ndarray],
    paid: DayPayments,
) -> None:
    live = np.flatnonzero(repaying(s))
    owed = s.collectible(paid.accounts)
    share = np.where(owed > 0, paid.amounts / np.maximum(owed + paid.amounts, 1e-12), 1.0)
    kind = np.where(paid.source == SELF, 0, np.where(paid.source == PROMISE, 1, 2))
    broken = np.flatnonzero(s.broken_promise_day == day)
    filt.observe(day, live, *treated, paid.accounts, share, kind, broken)
