"""Agency placement: the account leaves in-house collection for a period, the agency
treats it on its own cadence and keeps a commission on what it collects (US
contingency fees 15–50%, ACA International), and the account is recalled at the end.

A placed borrower keeps its own repayment process: the agency changes who treats the
account, not why the borrower pays, so recovery at the agency is ordered by latent
reason just as in-house recovery is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from collectsim.engine.accounts.state import ACTIVE, AccountState
from collectsim.rng import KeyedUniforms, Streams
from collectsim.scenario.schema import Scenario


@dataclass
class AgencyTally:
    placements: int = 0
    recalled: int = 0
    collected: float = 0.0
    commission: float = 0.0


class AgencyDesk:
    def __init__(self, sc: Scenario, state: AccountState) -> None:
        self.spec = sc.agency
        self.s = state
        self.tally = AgencyTally()

    def place(self, idx: np.ndarray, day: int) -> np.ndarray:
        """Place accounts not already placed; returns those placed."""
        s = self.s
        idx = idx[~s.placed[idx] & (s.status[idx] == ACTIVE)]
        s.placed[idx] = True
        s.ever_placed[idx] = True
        s.in_house[idx] = False
        s.placement_end[idx] = day + self.spec.placement_days
        self.tally.placements += idx.size
        return idx

    def recall(self, day: int) -> None:
        """End placements due today; open accounts return to the in-house ladder."""
        s = self.s
        due = np.flatnonzero(s.placed & (s.placement_end <= day))
        s.placed[due] = False
        s.in_house[due[s.status[due] == ACTIVE]] = True
        self.tally.recalled += due.size

    def charge(self, idx: np.ndarray, amounts: np.ndarray) -> float:
        """Commission on what the agency collected today, booked to each account's direct cost."""
        total = float(amounts.sum())
        fee = total * self.spec.commission
        self.s.charge(idx, amounts * self.spec.commission)
        np.add.at(self.s.agency_paid, idx, amounts)
        self.tally.collected += total
        self.tally.commission += fee
        return fee


class AgencyContact:
    """The agency's own treatment: a contact every ``contact_every_days`` after placement.

    Each contact reaches the borrower with ``contact_prob`` × contactability; the reach
    draws come from their own keyed stream, so the n-th agency contact of an account
    meets the same luck whatever other accounts did.
    """

    def __init__(self, sc: Scenario, state: AccountState, streams: Streams) -> None:
        self.spec = sc.agency
        self.s = state
        self.u = KeyedUniforms(streams, "agency_contact", state.n)
        self.frac = sc.calendar.contact_hours[0] / 24.0  # the agency works from the start of contact hours

    def reached(self, day: int) -> np.ndarray:
        """Placed accounts the agency contacts today and reaches."""
        s, spec = self.s, self.spec
        placed = np.flatnonzero(s.placed)
        since = day - (s.placement_end[placed] - spec.placement_days)
        due = placed[(since > 0) & (since % spec.contact_every_days == 0)]
        p = np.minimum(1.0, spec.contact_prob * s.pop.contactability[due])
        return due[self.u.draw(due) < p]
