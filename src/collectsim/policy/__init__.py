"""The policy interface: each business day, decide which accounts get which action.

The declarative ladder from a scenario file (``LadderPolicy``) and any research
policy written in Python implement the same two methods, ``reset`` and ``decide``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from collectsim.policy.collectability import Collectability
    from collectsim.scenario.schema import Scenario


@dataclass(frozen=True)
class Dispatch:
    """Send ``channel`` to ``accounts`` today; ``rule`` names why (kept in the event log)."""

    channel: str
    accounts: np.ndarray
    rule: str


@dataclass
class ActionPlan:
    dispatches: list[Dispatch] = field(default_factory=list)

    def add(self, channel: str, accounts: np.ndarray, rule: str) -> None:
        if accounts.size:
            self.dispatches.append(Dispatch(channel, np.asarray(accounts, dtype=np.int64), rule))


@dataclass(frozen=True)
class PolicyContext:
    """What a policy may know before day 0: the scenario, the account index space, its random stream."""

    scenario: Scenario
    n_accounts: int
    segment_names: tuple[str, ...]
    rng: np.random.Generator  # the policy's own stream (e.g. to split accounts into test arms)


@dataclass(frozen=True)
class AccountView:
    """Read-only observable state of every account; latent traits are deliberately absent.

    Every field is an array indexed by account (0 … n − 1, as in ``PolicyContext.n_accounts``).
    ``in_house`` marks accounts the in-house policy may treat today (entered, open,
    not placed with an agency). Day fields hold ``NEVER`` when the event has not happened.
    """

    dpd: np.ndarray  # int: days past due today (entry DPD + days since entry)
    balance: np.ndarray  # float: what the account owes now (after payments, interest and fees)
    opening_balance: np.ndarray  # float: what it owed on entry
    score: np.ndarray  # float in (0, 1): calibrated probability of untreated self-cure within score.horizon_days
    segment: np.ndarray  # int: index into PolicyContext.segment_names
    in_house: np.ndarray  # bool: the in-house policy may treat it today
    promise_due_day: np.ndarray  # int: day a pending promise to pay falls due, else NEVER
    broken_promise_day: np.ndarray  # int: day the last promise was broken, else NEVER
    last_payment_day: np.ndarray  # int: day of the last payment, else NEVER
    last_rpc_day: np.ndarray  # int: day of the last right-party contact, else NEVER
    legal_active: np.ndarray  # bool: a court case is open
    on_plan: np.ndarray  # bool: paying an instalment plan (not in house meanwhile)
    broken_plan_day: np.ndarray  # int: day the last plan broke, else NEVER
    collectability: Collectability | None = None  # set when the policy has uses_collectability = True

    @property
    def intensity(self) -> np.ndarray:
        """Estimated repayment intensity per day, from observable history (policy/collectability.py)."""
        return self._filter().intensity()

    @property
    def dcs(self) -> np.ndarray:
        """Dynamic collectability score: P(a share ``dcs_share`` of the balance is paid within ``dcs_days``)."""
        return self._filter().dcs()

    def _filter(self) -> Collectability:
        if self.collectability is None:
            raise AttributeError("set uses_collectability = True on the policy to read view.dcs / view.intensity")
        return self.collectability


NEVER = -1_000_000


@runtime_checkable
class Policy(Protocol):
    """A collection policy: ``reset`` once per run, then ``decide`` every business day.

    A policy may also define ``still_due(rule, accounts, day, view) -> bool array``:
    the engine asks it, when queued team work comes up, whether the rule that queued
    it still applies (work that no longer does is voided). Without it the engine
    checks only its own conditions (in house, no open case for a filing, one call a day).
    """

    def reset(self, ctx: PolicyContext) -> None: ...

    def decide(self, day: int, view: AccountView) -> ActionPlan: ...


__all__ = ["NEVER", "AccountView", "ActionPlan", "Dispatch", "Policy", "PolicyContext"]
