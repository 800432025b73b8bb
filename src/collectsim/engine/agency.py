"""Agency placement: the account leaves in-house collection for a period, pays at the
agency's own intensity, the agency keeps a commission on what it collects, and the
account is recalled at the end of the placement (DOMAIN.md §2.4, §5.4)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from collectsim.engine.state import ACTIVE, AccountState
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
        np.add.at(self.s.direct_cost, idx, amounts * self.spec.commission)
        self.tally.collected += total
        self.tally.commission += fee
        return fee
