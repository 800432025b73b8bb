"""Agency placement: the account leaves in-house collection for a period, the agency
treats it on its own cadence and keeps a commission on what it collects (US
contingency fees 15–50%, ACA International), and the account is recalled at the end.

A placed borrower keeps its own repayment process: the agency changes who treats the
account, not why the borrower pays, so recovery at the agency is ordered by latent
reason just as in-house recovery is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from collectsim.engine.accounts.state import ACTIVE, WRITTEN_OFF, AccountState
from collectsim.rng import KeyedUniforms, Streams
from collectsim.scenario.schema import Agency, Recovery, Scenario


@dataclass
class AgencyTally:
    placements: int = 0
    recalled: int = 0
    collected: float = 0.0
    commission: float = 0.0
    by_tier: dict[str, list[float]] = field(default_factory=dict)  # tier → [placements, collected, commission]


class AgencyDesk:
    def __init__(self, sc: Scenario, state: AccountState) -> None:
        self.spec = sc.agency
        self.s = state
        self.tally = AgencyTally()
        tiers = self.spec.tiers
        self.names = [t[0] for t in tiers]
        self.rates = np.array([t[1] for t in tiers])
        self.days = np.array([t[2] for t in tiers], dtype=np.int32)
        self.tally.by_tier = {name: [0, 0.0, 0.0] for name in self.names}

    def place(self, idx: np.ndarray, day: int) -> np.ndarray:
        """Place accounts in collection and not already placed with the primary agency; returns those placed."""
        s = self.s
        return self._start(idx[~s.placed[idx] & (s.status[idx] == ACTIVE)], day, 0)

    def place_charged_off(self, idx: np.ndarray, day: int) -> None:
        """With ``place_at_chargeoff``, at charge-off or when in-house recovery ends: accounts written off and
        neither placed, in court nor in recovery go to the primary agency."""
        if self.spec.place_at_chargeoff:
            s = self.s
            held = s.placed[idx] | s.legal_active[idx] | s.in_recovery[idx]
            self._start(idx[~held & (s.status[idx] == WRITTEN_OFF)], day, 0)

    def _start(self, idx: np.ndarray, day: int, tier: int) -> np.ndarray:
        s = self.s
        s.placed[idx] = True
        s.ever_placed[idx] = True
        s.in_house[idx] = False
        s.agency_tier[idx] = tier
        s.placement_start[idx] = day
        s.placement_end[idx] = day + self.days[tier]
        self.tally.placements += idx.size
        self.tally.by_tier[self.names[tier]][0] += idx.size
        return idx

    def recall(self, day: int) -> None:
        """End placements due today: charged-off debt moves to the next tier, open accounts return in house."""
        s = self.s
        due = np.flatnonzero(s.placed & (s.placement_end <= day))
        s.placed[due] = False
        s.in_house[due[s.status[due] == ACTIVE]] = True
        self.tally.recalled += due.size
        onward = due[(s.status[due] == WRITTEN_OFF) & (s.agency_tier[due] < len(self.names) - 1)]
        for tier in np.unique(s.agency_tier[onward]):
            self._start(onward[s.agency_tier[onward] == tier], day, int(tier) + 1)

    def charge(self, idx: np.ndarray, amounts: np.ndarray) -> float:
        """Commission on what the agency collected today at each account's tier, booked to its direct cost."""
        tier = self.s.agency_tier[idx]
        self.s.charge(idx, amounts * self.rates[tier])
        np.add.at(self.s.agency_paid, idx, amounts)
        fee = 0.0
        for t in np.unique(tier):
            collected = float(amounts[tier == t].sum())
            row = self.tally.by_tier[self.names[t]]
            row[1] += collected
            row[2] += collected * self.rates[t]
            fee += collected * self.rates[t]
        self.tally.collected += float(amounts.sum())
        self.tally.commission += fee
        return fee


class CadenceContact:
    """A contact every ``every`` days from each holding account's start day: the agency's, or in-house recovery's.

    Accounts are held while ``holding`` (a state array, read in place) is set, from their ``start``
    day (also read in place). Each contact reaches the borrower with ``prob`` × contactability; the
    reach draws come from their own keyed stream, so the n-th contact of an account meets the same
    luck whatever other accounts did. A reach adds the intensity jump ``effect`` × responsiveness.
    """

    def __init__(
        self,
        sc: Scenario,
        state: AccountState,
        streams: Streams,
        purpose: str,
        *,
        holding: np.ndarray,
        start: np.ndarray,
        every: int,
        prob: float,
        effect: float,
    ) -> None:
        self.s = state
        self.u = KeyedUniforms(streams, purpose, state.n)
        self.holding, self.start = holding, start
        self.every, self.prob, self.effect = every, prob, effect
        self.frac = sc.calendar.contact_hours[0] / 24.0  # contacts happen from the start of contact hours

    def due(self, day: int) -> np.ndarray:
        """Held accounts with a contact today."""
        held = np.flatnonzero(self.holding)
        since = day - self.start[held]
        return held[(since > 0) & (since % self.every == 0)]

    def reach(self, due: np.ndarray) -> np.ndarray:
        """Those of ``due`` the contact reaches."""
        p = np.minimum(1.0, self.prob * self.s.pop.contactability[due])
        return due[self.u.draw(due) < p]

    def reached(self, day: int) -> np.ndarray:
        """Held accounts contacted today and reached."""
        return self.reach(self.due(day))


def agency_contact(sc: Scenario, state: AccountState, streams: Streams) -> CadenceContact:
    """The agency's own treatment of placed accounts, on its cadence rather than the policy's."""
    return cadence_of(sc, sc.agency, state, streams, "agency_contact", state.placed, state.placement_start)


def cadence_of(
    sc: Scenario,
    spec: Agency | Recovery,
    state: AccountState,
    streams: Streams,
    purpose: str,
    holding: np.ndarray,
    start: np.ndarray,
) -> CadenceContact:
    """The contacts a table's ``contact_every_days``, ``contact_prob`` and ``effect`` describe."""
    return CadenceContact(
        sc,
        state,
        streams,
        purpose,
        holding=holding,
        start=start,
        every=spec.contact_every_days,
        prob=spec.contact_prob,
        effect=spec.effect,
    )
