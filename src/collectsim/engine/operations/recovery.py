"""In-house recovery: charged-off debt stays with the lender's own recovery unit for a while.

Card issuers do not hand all charged-off debt to agencies at once: part of it stays in house
(CFPB 2014: about 10% of charged-off card balances go to internal recovery first; docs/sources.md,
In-house recovery). Each morning the accounts charged off in house that day (neither placed nor in
court) enter the stage for ``days``; the unit contacts them on its own low cadence
(``CadenceContact``, as an agency does), paying ``cost_per_contact`` per contact, booked to the
account's after-charge-off bucket. The borrower's own repayment process keeps running, with the
stage's payment law; what it pays reduces the written-off balance. When the stage ends unpaid the
account is free for what follows: the primary agency (``place_at_chargeoff``) or a debt sale.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from collectsim.engine.accounts.state import RECOVERED, WRITTEN_OFF, AccountState
from collectsim.engine.operations.agency import cadence_of
from collectsim.rng import Streams
from collectsim.scenario.schema import Recovery, Scenario


@dataclass
class RecoveryTally:
    entered: int = 0
    balance: float = 0.0  # written-off balance entering the stage
    ended: int = 0  # the stage ran its course with debt still owed
    paid_off: int = 0  # left the stage by paying the written-off balance in full
    contacts: int = 0
    reached: int = 0
    collected: float = 0.0
    cost: float = 0.0


class RecoveryDesk:
    """The recovery unit: who is in the stage, its contacts (a ``behaviour.AgencyContacts``) and its tally."""

    def __init__(self, sc: Scenario, spec: Recovery, state: AccountState, streams: Streams) -> None:
        self.spec = spec
        self.s = state
        self.tally = RecoveryTally()
        self.contact = cadence_of(sc, spec, state, streams, "recovery_contact", state.in_recovery, state.recovery_start)
        self.effect = spec.effect
        self.frac = self.contact.frac

    def enter(self, idx: np.ndarray, day: int) -> None:
        """Accounts charged off today that nothing else holds (no placement, no court case) enter the stage."""
        s = self.s
        idx = idx[(s.status[idx] == WRITTEN_OFF) & ~s.placed[idx] & ~s.legal_active[idx]]
        s.in_recovery[idx] = True
        s.recovery_start[idx] = day
        s.recovery_end[idx] = day + self.spec.days
        self.tally.entered += idx.size
        self.tally.balance += float(s.written_off[idx].sum())

    def end(self, day: int) -> np.ndarray:
        """End the stages due today; returns the accounts leaving it still written off."""
        s = self.s
        due = np.flatnonzero(s.in_recovery & (s.recovery_end <= day))
        s.in_recovery[due] = False
        self.tally.ended += due.size
        return due

    def reached(self, day: int) -> np.ndarray:
        """Today's contacts, each costing ``cost_per_contact``; returns the accounts reached."""
        due = self.contact.due(day)
        if due.size:
            self.s.charge(due, self.spec.cost_per_contact)
            self.tally.contacts += due.size
            self.tally.cost += due.size * self.spec.cost_per_contact
        reached = self.contact.reach(due)
        self.tally.reached += reached.size
        return reached

    def collect(self, idx: np.ndarray, amounts: np.ndarray) -> None:
        """What the borrowers in the stage paid today (accounts ``idx``), and who paid it all."""
        self.tally.collected += float(amounts.sum())
        self.tally.paid_off += int((self.s.status[idx] == RECOVERED).sum())
