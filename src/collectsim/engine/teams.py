"""Teams of collectors working a prioritised queue during their shifts (simpy).

Work items (one per account per team) wait in numpy arrays. At shift start the
queue is ordered once by the policy's priority rule; each of ``headcount`` worker
processes then takes the next item, spends its handle time, and takes another
while the shift lasts. Items left at shift end are carried to the next working
day or dropped, which is the shortfall headcount planning measures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import simpy

from collectsim.dists import Distribution
from collectsim.scenario.schema import WEEKDAYS, Team

MINUTES_PER_DAY = 1440.0
BUFFER = 1024


@dataclass
class TeamTally:
    attempts: int = 0
    rpcs: int = 0
    busy_minutes: float = 0.0
    available_minutes: float = 0.0
    carried: int = 0
    dropped: int = 0
    days_worked: int = 0
    daily_queue: list[int] = field(default_factory=list)
    daily_done: list[int] = field(default_factory=list)


# attempt(account, channel_id, rule_id, now) -> handle minutes, or None if the item is void.
Attempt = Callable[[int, int, int, float], float | None]


class TeamDesk:
    """One team: its queue, its workers and its tallies."""

    def __init__(
        self,
        env: simpy.Environment,
        name: str,
        spec: Team,
        working_days: tuple[str, ...],
        start_weekday: int,
        horizon: int,
        n_accounts: int,
    ) -> None:
        self.env = env
        self.name = name
        self.spec = spec
        self.headcount = spec.headcount
        self.workdays = {WEEKDAYS.index(d) for d in (spec.working_days or working_days)}
        self.start_weekday = start_weekday
        self.horizon = horizon
        self.shift = (spec.shift[0] / 24.0, spec.shift[1] / 24.0)
        self.pending = np.zeros(n_accounts, dtype=bool)
        self._acct = np.empty(0, dtype=np.int64)
        self._chan = np.empty(0, dtype=np.int16)
        self._rule = np.empty(0, dtype=np.int32)
        self._enq = np.empty(0, dtype=np.int32)
        self._order: list[int] = []
        self._ptr = 0
        self._end = 0.0
        self.tally = TeamTally()
        self.attempt: Attempt | None = None
        self.priority: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None
        self._opened = env.event()

    def works_on(self, day: int) -> bool:
        return (self.start_weekday + day) % 7 in self.workdays

    @property
    def queue_length(self) -> int:
        return self._acct.size - self._ptr

    def enqueue(self, accounts: np.ndarray, channel: int, rule: int, day: int) -> None:
        """Add work for accounts not already waiting for this team."""
        new = accounts[~self.pending[accounts]]
        if new.size == 0:
            return
        self.pending[new] = True
        self._acct = np.concatenate([self._acct, new])
        self._chan = np.concatenate([self._chan, np.full(new.size, channel, dtype=np.int16)])
        self._rule = np.concatenate([self._rule, np.full(new.size, rule, dtype=np.int32)])
        self._enq = np.concatenate([self._enq, np.full(new.size, day, dtype=np.int32)])

    def run(self) -> None:
        """Start the shift manager and the workers."""
        self.env.process(self._manager())
        for _ in range(self.headcount):
            self.env.process(self._worker())

    def _manager(self):
        for day in range(self.horizon):
            yield self.env.timeout(max(0.0, day + self.shift[0] - self.env.now))
            if not self.works_on(day):
                continue
            self._open(day)
            opened, self._opened = self._opened, self.env.event()
            opened.succeed()
            yield self.env.timeout(day + self.shift[1] - self.env.now)
            self._close(day)

    def _open(self, day: int) -> None:
        key = self.priority(self._acct, self._enq)
        order = np.argsort(key, kind="stable")
        self._acct, self._chan = self._acct[order], self._chan[order]
        self._rule, self._enq = self._rule[order], self._enq[order]
        self._order = self._acct.tolist()
        self._chan_list = self._chan.tolist()
        self._rule_list = self._rule.tolist()
        self._ptr = 0
        self._end = day + self.shift[1]
        self.tally.days_worked += 1
        self.tally.available_minutes += self.headcount * (self.shift[1] - self.shift[0]) * MINUTES_PER_DAY
        self.tally.daily_queue.append(self._acct.size)

    def _close(self, day: int) -> None:
        done = self._ptr
        rest = slice(self._ptr, None)
        self.pending[self._acct[: self._ptr]] = False
        self._acct, self._chan = self._acct[rest], self._chan[rest]
        self._rule, self._enq = self._rule[rest], self._enq[rest]
        self._ptr = 0
        self._order = []
        self.tally.daily_done.append(done)
        if self.spec.backlog == "carry":
            self.tally.carried += self._acct.size
        else:
            self.tally.dropped += self._acct.size
            self.pending[self._acct] = False
            self._acct = self._acct[:0]
            self._chan, self._rule, self._enq = self._chan[:0], self._rule[:0], self._enq[:0]

    def _worker(self):
        env = self.env
        while True:
            yield self._opened
            while env.now < self._end and self._ptr < len(self._order):
                k = self._ptr
                self._ptr += 1
                minutes = self.attempt(self._order[k], self._chan_list[k], self._rule_list[k], env.now)
                if minutes is None:
                    continue
                # Overtime to finish the last item is worked but not counted as shift capacity used.
                self.tally.busy_minutes += min(minutes, (self._end - env.now) * MINUTES_PER_DAY)
                yield env.timeout(minutes / MINUTES_PER_DAY)


NO_ANSWER_SLOT, WRONG_PARTY_SLOT, RIGHT_PARTY_SLOT, FILING_SLOT, WRAP_UP_SLOT = range(5)


class HandleTimeBuffer:
    """Handle times drawn in batches from the team's own stream (the per-attempt hot path).

    ``minutes(outcome)`` takes the outcome codes 0 no answer, 1 wrong party, 2 right
    party; a right-party contact adds the team's wrap-up time.
    """

    def __init__(self, spec: Team, rng: np.random.Generator, filing: Distribution) -> None:
        hm = spec.handle_minutes
        self._dists = (hm.no_answer.build(), hm.wrong_party.build(), hm.right_party.build(), filing, hm.wrap_up.build())
        self._rng = rng
        self._buf: list[list[float]] = [[] for _ in self._dists]

    def _next(self, k: int) -> float:
        buf = self._buf[k]
        if not buf:
            buf.extend(np.maximum(self._dists[k].sample(self._rng, BUFFER), 0.0).tolist())
            buf.reverse()
        return buf.pop()

    def minutes(self, outcome: int) -> float:
        if outcome == RIGHT_PARTY_SLOT:
            return self._next(RIGHT_PARTY_SLOT) + self._next(WRAP_UP_SLOT)
        return self._next(outcome)

    def filing(self) -> float:
        return self._next(FILING_SLOT)
