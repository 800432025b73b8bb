"""Debt sale: charged-off accounts sold to a debt buyer at a price per unit of face value.

Banks sell charged-off debt rather than hold it: the FTC's 2006–09 sample paid 4.0¢ per
dollar of face value on average, fresh debt about 12–17¢ and older debt less (docs/sources.md,
Debt sale). Each morning, after charge-off, the desk sells the written-off accounts whose sale
day has come (``after_days`` after their charge-off day), at ``price`` less
``price_drop_per_year`` per year since charge-off (floored at 0). An account at an agency
(``skip_placed``) or with an open court case (``skip_legal``) waits until it is recalled or the
case closes, and one in in-house recovery waits for the stage to end; each is sold then if still
written off. A sold account is the buyer's: it never
pays the lender again and is worth nothing at the horizon. The proceeds are the lender's cash
but not a borrower payment, so they are kept apart from ``paid``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from collectsim.engine.accounts.state import WRITTEN_OFF, AccountState
from collectsim.scenario.schema import DebtSale

DAYS_PER_YEAR = 365.0


@dataclass
class SaleTally:
    accounts: int = 0
    face: float = 0.0
    proceeds: float = 0.0


class DebtSaleDesk:
    def __init__(self, spec: DebtSale | None, state: AccountState) -> None:
        self.spec = spec
        self.s = state
        self.tally = SaleTally()

    def eligible(self, day: int) -> np.ndarray:
        """Written-off accounts whose sale day has come and that nothing else holds."""
        s, spec = self.s, self.spec
        if spec is None:
            return np.empty(0, dtype=np.int64)
        # A written-off account's resolution day is its charge-off day.
        ok = (s.status == WRITTEN_OFF) & (s.resolution_day >= 0) & (day - s.resolution_day >= spec.after_days)
        ok &= ~s.in_recovery  # in-house recovery first: the sale waits for the stage to end
        if spec.skip_placed:
            ok &= ~s.placed
        if spec.skip_legal:
            ok &= ~s.legal_active
        return np.flatnonzero(ok)

    def price(self, idx: np.ndarray, day: int) -> np.ndarray:
        """Price per unit of face value: falls linearly with the days since charge-off, floored at 0."""
        spec = self.spec
        assert spec is not None
        years = (day - self.s.resolution_day[idx]) / DAYS_PER_YEAR
        return np.maximum(0.0, spec.price - spec.price_drop_per_year * years)

    def sell(self, day: int) -> np.ndarray:
        """Sell today's eligible accounts; returns them."""
        idx = self.eligible(day)
        if idx.size == 0:
            return idx
        s = self.s
        face = s.written_off[idx].copy()
        price = self.price(idx, day)
        s.sell(idx, price, day)
        self.tally.accounts += idx.size
        self.tally.face += float(face.sum())
        self.tally.proceeds += float((price * face).sum())
        return idx
