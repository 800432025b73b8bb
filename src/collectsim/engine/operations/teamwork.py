"""What an agent does with a work item: outbound attempts, legal filings, inbound callbacks.

Gives each ``TeamDesk`` its work on the account state: ``attempt`` and ``answer`` here
check that the item still applies (else it is voided), draw the outcome, book its
effects and return the handle time, drawn from the team's own handle-time buffer.
Inbound callbacks are scheduled here too: a share of borrowers reached by a message
call back later that day.

When a queue opens each day its items are checked (``WorkCheck.keep``). When the policy
gives teams a call precedence, the first queue to open opens every working team's at
the same moment, so that of the calls still wanted for one account in several teams
only the highest-precedence team's survive (``WorkCheck.outranked``); without one, each
queue opens when its team first needs it.
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np
import simpy

from collectsim.engine.accounts.state import AccountState
from collectsim.engine.contact.channels import Contact
from collectsim.engine.contact.conduct import ConductRules
from collectsim.engine.contact.outcomes import FILED_OUTCOME, INBOUND_OUTCOME, RIGHT_PARTY
from collectsim.engine.operations.deferrals import DeferredReturns
from collectsim.engine.operations.legal import LegalDesk
from collectsim.engine.operations.queues import OutboundQueue, PriorityKey
from collectsim.engine.operations.teams import DEFERRED, VOID, HandleTimeBuffer, TeamDesk
from collectsim.engine.operations.workcheck import WorkCheck
from collectsim.rng import KeyedUniforms, Streams
from collectsim.scenario.schema import WEEKDAYS, Scenario


class EventLog(Protocol):
    """Where team actions are logged (the run's recorder)."""

    def event_one(self, time: float, account: int, channel: int, rule: int, outcome: int) -> None: ...


class TeamWork:
    def __init__(
        self,
        env: simpy.Environment,
        sc: Scenario,
        state: AccountState,
        contact: Contact,
        conduct: ConductRules,
        legal: LegalDesk,
        recorder: EventLog,
        streams: Streams,
        *,
        check: WorkCheck,
        priority: PriorityKey,
    ) -> None:
        self.env, self.sc, self.s = env, sc, state
        self.contact, self.conduct, self.legal, self.recorder = contact, conduct, legal, recorder
        self.check = check
        self.callback_u = {
            k: KeyedUniforms(streams, f"callback:{k}", state.n)
            for k, ch in sc.channels.items()
            if ch.callback is not None and ch.callback_prob > 0
        }
        self.teams: dict[str, TeamDesk] = {}
        filing = sc.legal.filing_minutes.build()
        self._handle = {
            name: HandleTimeBuffer(spec, streams.generator("handle", ti), filing)
            for ti, (name, spec) in enumerate(sc.teams.items())
        }
        for name, spec in sc.teams.items():
            self.teams[name] = TeamDesk(
                env,
                name,
                spec,
                sc.calendar.working_days,
                WEEKDAYS.index(sc.horizon.start_weekday),
                sc.horizon.days,
                state.n,
                priority=priority,
                attempt=self._attempt,
                answer=self._answer,
                opening=self._open_day,
                floor=self.teams,
            )
        self._owner = {id(d.outbound): d for d in self.teams.values()}
        self._returns = DeferredReturns(env)

    def _open_day(self, first: TeamDesk, day: int) -> None:
        """Open ``first``'s queue for today and, when calls have a precedence, every other working team's."""
        desks = [first]
        if self.check.ranks_calls:
            desks += [
                d for d in self.teams.values() if d is not first and d.outbound.open_day != day and d.works_on(day)
            ]
        items = [d.outbound.queued() for d in desks]
        wanted = [self.check.keep(a, c, r, day) if a.size else np.ones(0, dtype=bool) for a, c, r in items]
        lost = self.check.outranked([(a, c) for a, c, _ in items], wanted)
        for desk, (acct, chan, _), w, out in zip(desks, items, wanted, lost, strict=True):
            w = w & ~out
            if not self.conduct.active:
                desk.open(day, w)
                continue
            # A dialer's list: what a cap stops now is not dialled today; the rest by the borrower's hours.
            held = self.conduct.held_today(acct, chan, self.env.now) & w
            dial = self.conduct.dial_groups(acct, chan, day)
            desk.open(day, w, held, *(dial or (None, None)))

    def _attempt(
        self, desk: TeamDesk, i: int, cid: int, rule: int, now: float, queue: OutboundQueue
    ) -> tuple[float, bool] | str:
        """An agent of ``desk`` takes outbound item (account ``i``, channel ``cid``, ``rule``) at ``now``."""
        s, contact, conduct, check = self.s, self.contact, self.conduct, self.check
        day = math.floor(now)
        if not check.keep_one(i, cid, rule, day):
            return VOID
        ch = contact.specs[cid]
        if conduct.active:
            allowed, deferrable = conduct.screen_one(cid, i, now, queue.in_window)
            if not allowed:
                if deferrable:
                    self._defer(queue, i, cid, rule, now)
                    return DEFERRED
                return VOID
        handle = self._handle[desk.name]
        if ch.kind == "legal":
            self.legal.file(i, now, ch.effect)
            check.touch(i, day)
            contact.book_action(cid, np.array([i]))
            self.recorder.event_one(now, i, cid, rule, FILED_OUTCOME)
            minutes = handle.filing()
            s.work(desk.name, i, minutes)
            return minutes, False
        outcome = contact.attempt_one(cid, i, day, now - day)
        check.note_call(cid, i, day)
        desk.tally.attempts += 1
        rpc = outcome == RIGHT_PARTY
        if rpc:
            check.touch(i, day)
        desk.tally.rpcs += rpc
        self.recorder.event_one(now, i, cid, rule, outcome)
        minutes = handle.minutes(outcome)
        if ch.kind == "visit":
            minutes *= conduct.crew_factor()  # a crew of collectors is tied up for the visit
        s.work(desk.name, i, minutes)
        return minutes, rpc

    def _defer(self, queue: OutboundQueue, i: int, cid: int, rule: int, now: float) -> None:
        """Deferred work returns to its queue later today when contact hours open for the borrower, else tomorrow."""
        desk = self._owner[id(queue)]
        when = self.conduct.next_allowed_one(i, now + 1e-9, desk.day_end(math.floor(now)))
        if math.isnan(when) or when <= now + 1e-6:
            queue.enqueue_one(i, cid, rule, now)
        else:
            self._returns.add(desk, i, cid, rule, when)

    def _answer(self, desk: TeamDesk, i: int, cid: int, now: float) -> tuple[float, bool] | str:
        """An agent of ``desk`` answers account ``i``'s inbound call on channel ``cid`` at ``now``."""
        s = self.s
        if not s.in_house[i]:
            return VOID
        day = math.floor(now)
        self.contact.attempt_one(cid, i, day, now - day, forced=RIGHT_PARTY)
        self.check.touch(i, day)
        desk.tally.inbound_answered += 1
        desk.tally.rpcs += 1
        self.recorder.event_one(now, i, cid, -1, INBOUND_OUTCOME)
        minutes = self._handle[desk.name].minutes(RIGHT_PARTY)
        s.work(desk.name, i, minutes)
        return minutes, True

    def schedule_callbacks(self, cid: int, reached: np.ndarray, now: float) -> None:
        """Some borrowers reached by channel ``cid`` call back before contact hours end today."""
        name = self.contact.names[cid]
        if name not in self.callback_u or reached.size == 0:
            return
        ch = self.contact.specs[cid]
        u = self.callback_u[name].draw(reached)
        calling = u < ch.callback_prob
        close = math.floor(now) + self.sc.calendar.contact_hours[1] / 24.0
        if close <= now:
            return
        # The same uniform, rescaled, places the call uniformly in the rest of the contact day.
        times = now + (u[calling] / ch.callback_prob) * (close - now)
        target = self.contact.names.index(ch.callback)
        desk = self.teams[self.contact.specs[target].team]
        order = np.argsort(times, kind="stable")
        self.env.process(self._ring(desk, target, times[order].tolist(), reached[calling][order].tolist()))

    def _ring(self, desk: TeamDesk, cid: int, times: list[float], accounts: list[int]):
        for t, i in zip(times, accounts, strict=True):
            if t > self.env.now:
                yield self.env.timeout(t - self.env.now)
            desk.call_in(i, cid)
