"""Complaints: every contact may end in one, more likely under recent contact pressure.

p = base(kind) × (1 + pressure × recent contacts) × (vulnerability multiplier), where
recent contacts is a count that decays with a half-life (a week by default), so a
burst of calls raises the odds and a quiet month lowers them again.
"""

from __future__ import annotations

import math

import numpy as np

from collectsim.engine.state import AccountState
from collectsim.rng import KeyedUniforms, Streams
from collectsim.scenario.schema import Scenario


class ComplaintBook:
    def __init__(self, sc: Scenario, state: AccountState, streams: Streams) -> None:
        spec = sc.complaints
        self.s = state
        self.base = dict(spec.base_prob)
        self.pressure_w = spec.pressure
        self.rate = math.log(2) / spec.pressure_half_life_days
        self.mult = np.where(state.pop.vulnerable, spec.vulnerable_multiplier, 1.0)
        self.cost = spec.cost
        self.level = np.zeros(state.n)
        self.last = np.zeros(state.n)
        self.u = KeyedUniforms(streams, "complaint", state.n)
        self.total = 0

    def contact(self, kind: str, idx: np.ndarray, now: float) -> int:
        """Contacts of ``kind`` to ``idx`` at ``now``: update pressure, draw complaints; returns how many."""
        base = self.base.get(kind, 0.0)
        if idx.size == 0:
            return 0
        level = self.level[idx] * np.exp(-self.rate * (now - self.last[idx]))
        made = np.zeros(idx.size, dtype=bool)
        if base > 0:
            p = np.minimum(1.0, base * (1.0 + self.pressure_w * level) * self.mult[idx])
            made = self.u.draw(idx) < p
        self.level[idx] = level + 1.0
        self.last[idx] = now
        return self._book(idx[made])

    def contact_one(self, kind: str, i: int, now: float) -> int:
        """Scalar twin of ``contact`` for team work (the hot path)."""
        level = float(self.level[i]) * math.exp(-self.rate * (now - float(self.last[i])))
        base = self.base.get(kind, 0.0)
        made = 0
        if base > 0:
            p = min(1.0, base * (1.0 + self.pressure_w * level) * float(self.mult[i]))
            made = self.u.draw_one(i) < p
        self.level[i] = level + 1.0
        self.last[i] = now
        return self._book(np.array([i])) if made else 0

    def _book(self, idx: np.ndarray) -> int:
        self.s.complaints[idx] += 1
        self.s.direct_cost[idx] += self.cost
        self.total += idx.size
        return int(idx.size)
