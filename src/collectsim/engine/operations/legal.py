"""The legal pipeline: filing → service → court delay → judgement → enforcement (simpy).

Each case is one simpy process that sleeps through its delays and checks, when it
wakes, whether the account is still owing: a paid account withdraws its case. Some
borrowers settle once served. Most of the rest never answer the summons: more than
70% of US collection suits end in default judgement (Pew 2020), reached about 1–2
months after service; a contested case takes 6–12 months and may be lost. A won,
enforceable judgement starts weekly garnishment, collected for all accounts at once
in ``garnish``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import simpy

from collectsim.engine.accounts.behaviour import Repayment
from collectsim.engine.accounts.state import (
    ACTIVE,
    CENT,
    CLOSED,
    ENFORCING,
    FILED,
    LOST,
    SERVED,
    WON,
    WRITTEN_OFF,
    AccountState,
)
from collectsim.rng import KeyedUniforms, Streams
from collectsim.scenario.schema import Scenario

WEEK = 7


@dataclass
class LegalTally:
    filed: int = 0
    served: int = 0
    settled: int = 0
    won: int = 0
    lost: int = 0
    enforcing: int = 0
    withdrawn: int = 0
    contested: int = 0
    default_judgements: int = 0
    fees: float = 0.0
    collected: float = 0.0
    # One (contested, days from service to judgement) per decided case: the court-timing record.
    decided: list[tuple[bool, float]] = field(default_factory=list)


class LegalDesk:
    def __init__(
        self, env: simpy.Environment, sc: Scenario, state: AccountState, behaviour: Repayment, streams: Streams
    ) -> None:
        self.env = env
        self.spec = sc.legal
        self.s = state
        self.behaviour = behaviour
        self.u = KeyedUniforms(streams, "legal", state.n)
        self.service = self.spec.service_days.build()
        self.court = self.spec.court_days.build()
        self.contested_court = self.spec.contested_days.build()
        self.tally = LegalTally()

    def file(self, i: int, now: float, effect: float) -> None:
        """Open a case for account ``i`` at time ``now``; the filing fee is paid now."""
        s = self.s
        s.legal_stage[i] = FILED
        s.legal_active[i] = True
        self.tally.filed += 1
        self.tally.fees += self.spec.filing_fee
        s.charge_one(i, self.spec.filing_fee)
        if effect > 0:
            frac = now - math.floor(now)
            self.behaviour.excite_one(i, effect * float(s.pop.responsiveness[i]), frac)
        self.env.process(self._case(i))

    def _owing(self, i: int) -> bool:
        s = self.s
        if s.status[i] not in (ACTIVE, WRITTEN_OFF):
            return False
        owed = s.written_off[i] if s.status[i] == WRITTEN_OFF else s.balance[i]
        return owed > CENT

    def _end(self, i: int, stage: int) -> None:
        self.s.legal_stage[i] = stage
        self.s.legal_active[i] = False

    def _case(self, i: int):
        env, spec, s = self.env, self.spec, self.s
        # Draw purposes: 0 service, 1 settle, 2 default-judgement delay, 3 contested outcome,
        # 4 enforceable, 5 contested or not, 6 contested delay (new purposes go at the end).
        draws = [self.u.draw_one(i) for _ in range(7)]
        yield self._until_next(i, float(self.service.quantile(np.array(draws[0]))))
        if not self._owing(i):
            self.tally.withdrawn += 1
            return self._end(i, CLOSED)
        s.legal_stage[i] = SERVED
        self.tally.served += 1
        if draws[1] < spec.settle_after_service:
            self.tally.settled += 1
            before = float(s.paid[i])
            s.settle(np.array([i]), spec.settle_discount, math.floor(env.now))
            self.tally.collected += float(s.paid[i]) - before
            return self._end(i, CLOSED)
        won = yield from self._judgement(i, draws)
        if won is None:
            return None
        if not won:
            return self._end(i, LOST)
        yield self._until_next(i, spec.enforcement_delay_days)
        if not self._owing(i) or draws[4] >= spec.enforceable_share:
            return self._end(i, CLOSED)
        s.legal_stage[i] = ENFORCING
        self.tally.enforcing += 1
        self.tally.fees += spec.enforcement_fee
        s.charge_one(i, spec.enforcement_fee)
        owed = s.written_off[i] if s.status[i] == WRITTEN_OFF else s.balance[i]
        s.garnish_amount[i] = spec.weekly_fraction * (0.5 + float(s.pop.ability[i])) * owed
        s.garnish_next[i] = math.floor(env.now) + WEEK
        return None

    def _until_next(self, i: int, delay: float) -> simpy.Timeout:
        """Sleep until the case's next step, whose date the desk knows (it values open cases at the horizon)."""
        self.s.legal_next[i] = self.env.now + delay
        return self.env.timeout(delay)

    def _judgement(self, i: int, draws: list[float]):
        """Wait for the court: True won, False lost, None withdrawn (paid meanwhile)."""
        served, contested = self.env.now, draws[5] < self.spec.contested_prob
        self.tally.contested += contested
        self.s.legal_contested[i] = contested
        court = self.contested_court if contested else self.court
        yield self._until_next(i, float(court.quantile(np.array(draws[6 if contested else 2]))))
        if not self._owing(i):
            self.tally.withdrawn += 1
            self._end(i, CLOSED)
            return None
        self.tally.decided.append((contested, self.env.now - served))
        won = not contested or draws[3] < self.spec.contested_win_prob
        if won:
            self.s.legal_stage[i] = WON
            self.tally.won += 1
            self.tally.default_judgements += not contested
        else:
            self.tally.lost += 1
        return won

    def garnish(self, day: int) -> tuple[np.ndarray, np.ndarray]:
        """Collect this week's garnishment from every account whose instalment falls due today."""
        s = self.s
        due = np.flatnonzero((s.garnish_next == day) & (s.garnish_amount > 0))
        amount = np.minimum(s.garnish_amount[due], s.collectible(due))
        done = s.book_payment(due, amount, day)
        s.garnish_next[due] = day + WEEK
        s.legal_stage[done] = CLOSED
        s.legal_active[done] = False
        s.garnish_next[done] = -1
        self.tally.collected += float(amount.sum())
        return due, amount
