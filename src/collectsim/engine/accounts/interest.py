"""Interest and late fees: what a delinquent account owes grows while it is collected in house.

A card or loan keeps accruing contractual interest after it falls behind, and each missed due
date adds a late fee, until the lender freezes them (a plan or payment holiday, a court case,
placement, charge-off, or a DPD the lender chooses). Both raise the balance the borrower is
chased for, so they change what a full payment is and what charge-off writes off; the amounts
are kept per account so money stays conserved: opening + interest + fees = paid + discount +
written off + sold + outstanding.
"""

from __future__ import annotations

import numpy as np

from collectsim.engine.accounts.schedule import Schedule
from collectsim.engine.accounts.state import ACTIVE, AccountState
from collectsim.scenario.schema import Interest

DAYS_PER_YEAR = 365.0


class Accrual:
    def __init__(self, spec: Interest | None, state: AccountState, schedule: Schedule | None = None) -> None:
        self.spec = spec
        self.s = state
        self.schedule = schedule

    def _accruing(self, idx: np.ndarray) -> np.ndarray:
        """Those of ``idx``, accounts in collection, charged interest today: in house (not placed, on a plan or a
        payment holiday) and not in court, below the freeze DPD."""
        s = self.s
        idx = idx[s.in_house[idx] & ~s.legal_active[idx]]
        if self.spec.freeze_from_dpd is not None:
            idx = idx[s.dpd[idx] < self.spec.freeze_from_dpd]
        return idx

    def morning(self, day: int) -> None:
        """Today's interest on yesterday's balance, and a late fee where today is a due date after entry."""
        spec, s = self.spec, self.s
        if spec is None:
            return
        # With a schedule, this morning's accounts in collection are at hand: no pass over every account.
        live = np.flatnonzero(s.status == ACTIVE) if self.schedule is None else self.schedule.active
        idx = self._accruing(live)
        if spec.apr > 0:
            balance = s.balance[idx]
            add = balance * (spec.apr / DAYS_PER_YEAR)
            s.balance[idx] = balance + add
            s.interest[idx] += add
        if spec.late_fee > 0 and self.schedule is not None:
            # With statements, a fee falls on each due date that finds the last due still unpaid.
            late = self._accruing(self.schedule.missed_today)
            s.balance[late] += spec.late_fee
            s.fees[late] += spec.late_fee
        elif spec.late_fee > 0:
            dpd = s.dpd[idx]
            due = idx[(dpd > s.pop.entry_dpd[idx]) & ((dpd - 1) % spec.fee_cycle == 0)]
            s.balance[due] += spec.late_fee
            s.fees[due] += spec.late_fee
