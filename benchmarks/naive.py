"""A naive model of a scenario's ladder: one simpy process per borrower, the yardstick of the speed targets.

This is how the problem is usually first written, and what the engine's numpy-accounts-plus-simpy-teams
design is measured against (``benchmarks/targets.py`` times both in the same run). It reads the same
scenario as the engine and walks the same ladder with the same channels and teams, so the ratio compares
two implementations of one model rather than two models:

* every borrower is a simpy process woken once a day; on a working day it walks its ladder's rungs
  (stage DPD window, start DPD, repeat interval, max times, minimum balance, the stop conditions
  ``promise_pending``, ``paid_recently``, ``contacted_recently``, ``legal_active``) and acts on each due rung;
* an automated channel (message, letter) draws its outcome at once; a team channel spawns a work process
  that queues for the team's agents (a ``simpy.Resource`` of the on-floor headcount) during the team's shift,
  re-checks that the rung still applies when an agent takes it, holds the agent for a handle time drawn from
  the team's distributions, and waits for the next shift if the day ended first (the carried backlog);
* a right-party contact adds the channel's intensity jump (× responsiveness) and may end in a promise
  (kept or broken on its date; a broken one queues the ladder's broken-promise call);
* each day ends with a payment draw from the borrower's intensity λ∞ + excitation (decaying at κ):
  a full payment with the borrower's ability, else a partial one sized by the scenario's partial law,
  which excites the intensity by δ₁₀ + δ₁₁ × share;
* a legal filing starts a court process (service, a default or contested judgement, enforcement recovering
  the enforceable share); an agency placement lasts its placement days with a contact every
  ``contact_every_days``; the account is written off at the charge-off DPD.

What it simplifies, none of which makes it slower: the population has no inflow, score, heterogeneity
multipliers or initial intensity λ₀ (λ₀ = λ∞); a day holds at most one payment drawn as a Bernoulli
trial (the engine integrates the intensity exactly); automated sends and letters take effect at once
(no send hour, no delivery delay); team work is first come first served (no priority rule, no call
precedence between teams, no helpers, occupancy cap or dialer pacing); no conduct rules, complaints,
offers, interest, debt sale or ECL. Randomness is one ``random.Random`` (scalar draws are what a
per-borrower model makes; numpy's per-call overhead would slow it unfairly) plus pre-drawn handle-time
buffers.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import numpy as np
import simpy

from collectsim.scenario.schema import WEEKDAYS, Action, DistSpec, Scenario

MINUTES_PER_DAY = 1440.0


@dataclass(frozen=True)
class Rung:
    """One action of one ladder stage, with the stage's DPD window."""

    index: int
    from_dpd: int
    to_dpd: int
    start: int
    action: Action


class Borrower:
    """One account's state, as a per-borrower model keeps it."""

    __slots__ = (
        "ability", "balance", "broken_day", "contactability", "excite", "in_house", "lam", "last_paid",
        "last_rpc", "last_sent", "legal", "open", "pending", "placed_until", "promise_due", "promise_keep",
        "promise_kept", "responsiveness", "sent", "willingness",
    )  # fmt: skip

    def __init__(self, n_rungs: int) -> None:
        self.sent = [0] * n_rungs
        self.last_sent = [-(10**9)] * n_rungs
        self.pending: set[str] = set()
        self.excite = 0.0
        self.in_house = True
        self.open = True
        self.last_paid = self.last_rpc = self.broken_day = -(10**9)
        self.promise_due = -1
        self.promise_keep = False
        self.legal = False
        self.placed_until = -1


class Draws:
    """Scalar draws from the scenario's distributions, taken from buffers drawn 4,096 at a time."""

    def __init__(self, rng: np.random.Generator, **dists: DistSpec) -> None:
        self._dists = {k: d.build() for k, d in dists.items()}
        self._rng = rng
        self._buf: dict[str, list[float]] = {k: [] for k in dists}

    def take(self, kind: str) -> float:
        buf = self._buf[kind]
        if not buf:
            buf.extend(np.maximum(self._dists[kind].sample(self._rng, 4096), 0.0).tolist())
        return buf.pop()


class Team:
    """A team's agents as a simpy resource, its shift and its handle times."""

    def __init__(self, env: simpy.Environment, sc: Scenario, name: str, rng: np.random.Generator) -> None:
        spec = sc.teams[name]
        self.agents = simpy.Resource(env, capacity=max(1, int(np.floor(spec.headcount * (1 - spec.shrinkage) + 0.5))))
        self.start, self.end = spec.shift[0] / 24.0, spec.shift[1] / 24.0
        self.days = {WEEKDAYS.index(d) for d in (spec.working_days or sc.calendar.working_days)}
        hm = spec.handle_minutes
        self.minutes = Draws(
            rng,
            no=hm.no_answer,
            right=hm.right_party,
            wrap=hm.wrap_up,
            filing=sc.legal.filing_minutes,
        ).take


class NaiveModel:
    """The scenario as one process per borrower; ``run()`` returns a few KPIs to compare with the engine's."""

    def __init__(self, sc: Scenario, seed: int) -> None:
        self.sc = sc
        self.env = simpy.Environment()
        self.rnd = random.Random(seed)
        np_rng = np.random.default_rng(seed)
        self.start_weekday = WEEKDAYS.index(sc.horizon.start_weekday)
        self.workdays = {WEEKDAYS.index(d) for d in sc.calendar.working_days}
        self.teams = {name: Team(self.env, sc, name, np_rng) for name in sc.teams}
        ladder = next(iter(sc.policy.ladders.values()))
        self.rungs = [
            Rung(k, st.from_dpd, st.to_dpd, st.from_dpd if a.start_dpd is None else a.start_dpd, a)
            for k, (st, a) in enumerate((st, a) for st in ladder.stages for a in st.actions)
        ]
        self.broken_call = ladder.on_broken_promise
        self.broken_action = None if self.broken_call is None else Action(channel=self.broken_call.channel)
        self.recent = sc.policy.recent_days
        self.decay = math.exp(-sc.repayment.kappa)
        lg = sc.legal
        self.draws = Draws(
            np_rng,
            partial=sc.repayment.partial_fraction,
            service=lg.service_days,
            court=lg.court_days,
            contested=lg.contested_days,
        ).take
        self.opening = self.collected = self.cost = 0.0
        self.attempts = 0
        self._population(np_rng)

    def _population(self, rng: np.random.Generator) -> None:
        sc, n = self.sc, self.sc.population.accounts
        segs = list(sc.population.segments.values())
        seg = rng.choice(len(segs), size=n, p=np.array([s.share for s in segs]) / sum(s.share for s in segs))
        names = list(sc.reasons)
        self.borrowers: list[Borrower] = []
        for k, s in enumerate(segs):
            idx = np.flatnonzero(seg == k)
            balances = np.round(np.maximum(s.balance.build().sample(rng, idx.size), 1.0), 2)
            mix = np.array([s.reasons.get(r, 0.0) for r in names])
            reasons = rng.choice(len(names), size=idx.size, p=mix / mix.sum())
            for bal, r in zip(balances.tolist(), reasons.tolist(), strict=True):
                b = Borrower(len(self.rungs))
                why = sc.reasons[names[r]]
                b.balance, b.lam = bal, why.lambda_inf
                b.ability, b.willingness, b.promise_kept = why.ability, why.willingness, why.promise_kept
                b.contactability, b.responsiveness = why.contactability, why.responsiveness
                self.opening += bal
                self.borrowers.append(b)

    def run(self) -> dict[str, float]:
        for b in self.borrowers:
            self.env.process(self._borrower(b))
        self.env.run(until=self.sc.horizon.days)
        return {
            "recovery_rate": self.collected / self.opening,
            "attempts_per_account": self.attempts / len(self.borrowers),
            "simpy_events": float(next(self.env._eid)),
        }

    # --- the borrower's day ----------------------------------------------------------------------------------

    def _borrower(self, b: Borrower):
        sc, env = self.sc, self.env
        entry_dpd = next(iter(sc.population.segments.values())).entry_dpd
        for day in range(sc.horizon.days):
            if not b.open:
                return
            dpd = entry_dpd + day
            if dpd >= sc.chargeoff.dpd:
                b.open = False
                return
            if b.placed_until == day:
                b.in_house, b.placed_until = True, -1
            if b.promise_due == day:
                self._promise_due(b, day)
            if b.in_house and (self.start_weekday + day) % 7 in self.workdays:
                for rung in self.rungs:
                    if self._due(b, rung, day, dpd):
                        self._act(b, rung, day)
            elif (
                not b.in_house
                and day % sc.agency.contact_every_days == 0
                and self.rnd.random() < sc.agency.contact_prob
            ):
                b.excite += sc.agency.effect * b.responsiveness
            self._payment(b, day)
            yield env.timeout(1)

    def _due(self, b: Borrower, rung: Rung, day: int, dpd: int) -> bool:
        a = rung.action
        if not rung.from_dpd <= dpd <= rung.to_dpd or dpd < rung.start:
            return False
        if a.max_times is not None and b.sent[rung.index] >= a.max_times:
            return False
        if a.every_days is None and b.sent[rung.index] > 0:
            return False
        if a.every_days is not None and day - b.last_sent[rung.index] < a.every_days:
            return False
        if a.balance_min is not None and b.balance < a.balance_min:
            return False
        return self._still_due(b, a, day)

    def _still_due(self, b: Borrower, a: Action, day: int) -> bool:
        if not (b.open and b.in_house):
            return False
        for stop in a.stop_on:
            if stop == "promise_pending" and b.promise_due >= day:
                return False
            if stop == "paid_recently" and day - b.last_paid < self.recent:
                return False
            if stop == "contacted_recently" and day - b.last_rpc < self.recent:
                return False
            if stop == "legal_active" and b.legal:
                return False
        return True

    def _act(self, b: Borrower, rung: Rung, day: int) -> None:
        ch = self.sc.channels[rung.action.channel]
        b.sent[rung.index] += 1
        b.last_sent[rung.index] = day
        if ch.kind == "agency":
            b.in_house, b.placed_until = False, day + self.sc.agency.placement_days
        elif ch.team is not None:
            if ch.team not in b.pending:
                b.pending.add(ch.team)
                self.env.process(self._team_job(b, rung.action, ch.team))
        else:
            self._contact(b, rung.action.channel, day)

    def _contact(self, b: Borrower, channel: str, day: int) -> bool:
        """One attempt on ``channel``: cost, outcome and its effects; True for a right-party contact."""
        ch = self.sc.channels[channel]
        self.cost += ch.cost
        u = self.rnd.random()
        if u >= ch.contact_prob * min(1.0, ch.rpc_prob * b.contactability):
            return False
        if ch.kind in ("call", "visit"):
            b.last_rpc = day
        b.excite += ch.effect * b.responsiveness
        if ch.promise_prob > 0 and b.promise_due < day and self.rnd.random() < ch.promise_prob * b.willingness:
            lo, hi = self.sc.repayment.promise_days
            b.promise_due = day + self.rnd.randint(lo, hi)
            b.promise_keep = self.rnd.random() < b.promise_kept
        return True

    def _team_job(self, b: Borrower, action: Action, team_name: str):
        env, team = self.env, self.teams[team_name]
        ch = self.sc.channels[action.channel]
        while True:
            day = int(env.now)
            if (self.start_weekday + day) % 7 not in team.days or env.now >= day + team.end:
                yield env.timeout(day + 1 + team.start - env.now)
                continue
            if env.now < day + team.start:
                yield env.timeout(day + team.start - env.now)
            with team.agents.request() as req:
                yield req
                if env.now >= int(env.now) + team.end:
                    continue  # the shift ended while waiting: carried to the next one
                b.pending.discard(team_name)
                if not self._still_due(b, action, int(env.now)):
                    return
                self.attempts += 1
                if ch.kind == "legal":
                    b.legal = True
                    self.cost += self.sc.legal.filing_fee
                    env.process(self._court(b))
                    yield env.timeout(team.minutes("filing") / MINUTES_PER_DAY)
                    return
                rpc = self._contact(b, action.channel, int(env.now))
                minutes = team.minutes("right") + team.minutes("wrap") if rpc else team.minutes("no")
                yield env.timeout(minutes / MINUTES_PER_DAY)
                return

    def _court(self, b: Borrower):
        lg, rnd = self.sc.legal, self.rnd
        yield self.env.timeout(self.draws("service"))
        if rnd.random() >= lg.contested_prob:
            yield self.env.timeout(self.draws("court"))
        else:
            yield self.env.timeout(self.draws("contested"))
            if rnd.random() >= lg.contested_win_prob:
                b.legal = False
                return
        yield self.env.timeout(lg.enforcement_delay_days)
        if b.open:
            self._pay(b, b.balance * lg.enforceable_share, int(self.env.now))
        b.legal = False

    def _promise_due(self, b: Borrower, day: int) -> None:
        b.promise_due = -1
        if b.promise_keep:
            self._pay(b, b.balance, day)
        else:
            b.broken_day = day
            if self.broken_call is not None:
                self.env.process(self._broken_promise_call(b, day + self.broken_call.delay_days))

    def _broken_promise_call(self, b: Borrower, when: int):
        yield self.env.timeout(when - self.env.now)
        ch = self.sc.channels[self.broken_call.channel]
        if b.open and b.in_house and ch.team is not None and ch.team not in b.pending:
            b.pending.add(ch.team)
            yield self.env.process(self._team_job(b, self.broken_action, ch.team))

    def _payment(self, b: Borrower, day: int) -> None:
        rnd, rep = self.rnd, self.sc.repayment
        if rnd.random() < 1.0 - math.exp(-(b.lam + b.excite)):
            share = 1.0 if rnd.random() < b.ability else min(1.0, self.draws("partial"))
            self._pay(b, b.balance * share, day)
            b.excite += rep.delta_10 + rep.delta_11 * share
        b.excite *= self.decay

    def _pay(self, b: Borrower, amount: float, day: int) -> None:
        b.balance -= amount
        self.collected += amount
        b.last_paid = day
        if b.balance < 0.01:
            b.open = False
