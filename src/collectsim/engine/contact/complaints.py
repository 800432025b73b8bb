"""Complaints: every contact may end in one, more likely under recent intrusive contact.

p = base(kind) × (1 + pressure × recent intrusive contacts) × (vulnerability multiplier),
where recent intrusive contacts counts only contacts of the pressure kinds (calls and
visits by default), decaying with a half-life (a week by default): a burst of calls
raises the odds of every contact, a burst of text messages does not.
"""

from __future__ import annotations

import math

import numpy as np

from collectsim.engine.accounts.state import AccountState
from collectsim.rng import KeyedUniforms, Streams
from collectsim.scenario.schema import Scenario


class ComplaintBook:
    def __init__(self, sc: Scenario, state: AccountState, streams: Streams) -> None:
        spec = sc.complaints
        self.s = state
        self.base = dict(spec.base_prob)
        self.pressing = frozenset(spec.pressure_kinds)
        self.pressure_w = spec.pressure
        self.rate = math.log(2) / spec.pressure_half_life_days
        self.mult = np.where(state.pop.vulnerable, spec.vulnerable_multiplier, 1.0)
        self.cost = spec.cost
        self.level = np.zeros(state.n)
        self.last = np.zeros(state.n)
        self.u = KeyedUniforms(streams, "complaint", state.n)
        self.total = 0
        # Contacts that could complain and complaints made, by kind: per-contact rates for validation.
        self.contacts_by_kind: dict[str, int] = {}
        self.by_kind: dict[str, int] = {}

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
        if kind in self.pressing:
            self.level[idx] = level + 1.0
            self.last[idx] = now
        self._count(kind, idx.size)
        return self._book(idx[made], kind)

    def contact_one(self, kind: str, i: int, now: float) -> int:
        """Scalar twin of ``contact`` for team work (the hot path)."""
        level = float(self.level[i]) * math.exp(-self.rate * (now - float(self.last[i])))
        base = self.base.get(kind, 0.0)
        made = 0
        if base > 0:
            p = min(1.0, base * (1.0 + self.pressure_w * level) * float(self.mult[i]))
            made = self.u.draw_one(i) < p
        if kind in self.pressing:
            self.level[i] = level + 1.0
            self.last[i] = now
        self._count(kind, 1)
        return self._book(np.array([i]), kind) if made else 0

    def _count(self, kind: str, n: int) -> None:
        self.contacts_by_kind[kind] = self.contacts_by_kind.get(kind, 0) + n

    def _book(self, idx: np.ndarray, kind: str) -> int:
        self.s.complaints[idx] += 1
        self.s.charge(idx, self.cost)
        self.total += idx.size
        self.by_kind[kind] = self.by_kind.get(kind, 0) + int(idx.size)
        return int(idx.size)
