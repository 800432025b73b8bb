"""The daily driver: one simpy process advances all accounts a day at a time.

Each day, at midnight: accounts enter, agency placements and in-house recovery stages end,
accounts reaching the charge-off DPD are written off (into in-house recovery, or to the
agency), written-off debt due for sale is sold, delayed sends arrive, and (on a business day) the
policy decides. Automated sends go out at the start of contact hours; team work
waits in queues that workers drain during their shifts; court cases run as their
own processes. Just before midnight every account's repayment intensity for the
day is integrated and payments are booked.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import numpy as np
import simpy

from collectsim.engine.accounts.behaviour import AGENCY, RECOVERY, Repayment
from collectsim.engine.accounts.horizon import HorizonValuer
from collectsim.engine.accounts.interest import Accrual
from collectsim.engine.accounts.offers import OfferDesk
from collectsim.engine.accounts.population import generate
from collectsim.engine.accounts.schedule import Schedule
from collectsim.engine.accounts.state import ACTIVE, NO_CASE, PENDING, AccountState, distinct
from collectsim.engine.contact.channels import Contact
from collectsim.engine.contact.complaints import ComplaintBook
from collectsim.engine.contact.conduct import ConductRules
from collectsim.engine.contact.outcomes import FILED_OUTCOME, PLACED_OUTCOME
from collectsim.engine.daily.observed import report_day, treatments_today
from collectsim.engine.daily.recorder import Recorder
from collectsim.engine.operations.agency import AgencyDesk, agency_contact
from collectsim.engine.operations.legal import LegalDesk
from collectsim.engine.operations.recovery import RecoveryDesk
from collectsim.engine.operations.sale import DebtSaleDesk
from collectsim.engine.operations.teamwork import TeamWork
from collectsim.engine.operations.workcheck import WorkCheck
from collectsim.errors import CollectsimError
from collectsim.policy import AccountView, Policy, PolicyContext
from collectsim.policy.collectability import for_policy
from collectsim.rng import KeyedUniforms, Streams
from collectsim.scenario.schema import WEEKDAYS, Scenario

DAY_END = 1.0 - 1e-6
LETTER_DELIVERY = 10.0 / 24.0  # letters arrive mid-morning
Progress = Callable[[int, int], None]


class InvariantError(CollectsimError):
    """An accounting identity failed: a bug in the engine, never a user error."""


class PolicyError(CollectsimError):
    """A policy asked for something the scenario does not define."""


class Simulation:
    def __init__(
        self,
        sc: Scenario,
        seed: int,
        policy: Policy,
        *,
        record_events: bool,
        check_invariants: bool,
        progress: Progress | None,
    ) -> None:
        self.sc = sc
        self.env = simpy.Environment()
        self.streams = Streams(seed)
        n = sc.population.accounts
        thresholds = KeyedUniforms(self.streams, "self_cure", n)
        first = -np.log(thresholds.draw(np.arange(n)))
        self.state = AccountState(generate(sc, self.streams, first))
        self.state.threshold[:] = first
        self.recovery = RecoveryDesk(sc, sc.recovery, self.state, self.streams) if sc.recovery else None
        self.behaviour = Repayment(
            sc, self.state, self.streams, thresholds, agency_contact(sc, self.state, self.streams), self.recovery
        )
        self.legal = LegalDesk(self.env, sc, self.state, self.behaviour, self.streams)
        self.conduct = ConductRules(sc, self.state, list(sc.channels), [c.kind for c in sc.channels.values()])
        self.complaints = ComplaintBook(sc, self.state, self.streams)
        self.offers = OfferDesk(sc, self.state, self.streams)
        self.schedule = (
            Schedule(sc.product, sc.policy.reage, tuple(sc.reasons), self.state, self.streams, horizon=sc.horizon.days)
            if sc.product
            else None
        )
        self.accrual = Accrual(sc.interest, self.state, self.schedule)
        # Accounts by entry day (ascending within a day), so a morning finds its arrivals without a pass over all.
        self.arrivals = np.argsort(self.state.pop.entry_day, kind="stable")
        self.arrival_days = self.state.pop.entry_day[self.arrivals]
        self.contact = Contact(
            sc,
            self.state,
            self.behaviour,
            self.streams,
            conduct=self.conduct,
            complaints=self.complaints,
            offers=self.offers,
        )
        self.agency = AgencyDesk(sc, self.state)
        self.sale = DebtSaleDesk(sc.debt_sale, self.state)
        self.horizon = HorizonValuer(sc, self.state, self.offers.miss_next, self.offers.miss_after)
        self.recorder = Recorder(record_events)
        self.policy = policy
        self.check_invariants = check_invariants
        self.progress = progress
        self.channel_ids = {k: i for i, k in enumerate(sc.channels)}
        self.delayed: dict[int, list[tuple[int, np.ndarray, int]]] = defaultdict(list)
        self.team_cost = 0.0
        self.start_weekday = WEEKDAYS.index(sc.horizon.start_weekday)
        self.workdays = {WEEKDAYS.index(d) for d in sc.calendar.working_days}
        s = self.state
        self.collectability = for_policy(policy, sc, s.pop.segment, s.pop.entry_day)
        self.view = AccountView(
            dpd=_ro(s.dpd),
            balance=_ro(s.balance),
            opening_balance=_ro(s.opening),
            score=_ro(s.pop.score),
            segment=_ro(s.pop.segment),
            in_house=_ro(s.in_house),
            promise_due_day=_ro(s.promise_due),
            broken_promise_day=_ro(s.broken_promise_day),
            last_payment_day=_ro(s.last_payment_day),
            last_rpc_day=_ro(s.last_rpc_day),
            legal_active=_ro(s.legal_active),
            on_plan=_ro(s.on_plan),
            broken_plan_day=_ro(s.broken_plan_day),
            collectability=self.collectability,
        )
        kinds = [c.kind for c in sc.channels.values()]
        self.check = WorkCheck(
            s,
            policy,
            self.view,
            kinds,
            one_call_per_day=sc.policy.one_call_per_day,
            channel_teams=[c.team for c in sc.channels.values()],
            call_precedence=sc.policy.call_precedence,
        )
        self.work = TeamWork(
            self.env,
            sc,
            s,
            self.contact,
            self.conduct,
            self.legal,
            self.recorder,
            self.streams,
            check=self.check,
            priority=self._priority_key,
        )
        self.teams = self.work.teams
        policy.reset(PolicyContext(sc, n, tuple(sc.population.segments), self.streams.generator("policy")))

    def _priority_key(self, acct: np.ndarray, enq: np.ndarray) -> np.ndarray:
        s = self.state
        match self.sc.policy.priority:
            case "expected_value":
                return -(s.balance[acct] * s.pop.score[acct])
            case "expected_loss":
                # Most money at risk first: balance × P(no self-cure); a self-curer waits, it may pay anyway.
                return -(s.balance[acct] * (1.0 - s.pop.score[acct]))
            case "dpd":
                return -s.dpd[acct].astype(float)
            case _:
                return enq.astype(float)

    def run(self) -> None:
        self.start()
        self.env.run(until=self.sc.horizon.days)

    def start(self) -> None:
        """Start the teams and the daily driver; nothing is simulated until the environment runs."""
        for desk in self.teams.values():
            desk.run()
        self.env.process(self._days())

    def run_until(self, day: int) -> None:
        """Simulate up to midnight before ``day``: every day before it has ended, ``day`` has not begun.

        A day's morning runs at exactly ``day`` (each wait lands on a whole day) and simpy takes a
        stop before other events at the same time, so a run paused and resumed at whole days follows
        the same events in the same order as one run straight through.
        """
        self.env.run(until=day)

    def _days(self):
        env, sc = self.env, self.sc
        horizon = sc.horizon.days
        frac_send = sc.calendar.contact_hours[0] / 24.0
        for day in range(horizon):
            self._morning(day)
            if (self.start_weekday + day) % 7 in self.workdays:
                self._dispatch(day, self.policy.decide(day, self.view), frac_send)
            yield env.timeout(day + DAY_END - env.now)
            self._evening(day)
            if self.progress is not None:
                self.progress(day + 1, horizon)
            yield env.timeout(day + 1 - env.now)

    def _morning(self, day: int) -> None:
        s, p = self.state, self.state.pop
        lo, hi = self._entering(day)
        entering = self.arrivals[lo:hi]
        if self.schedule is None:  # without a contract DPD is the calendar's: a day older, from the DPD at entry
            self._age(lo)
            s.dpd[entering] = p.entry_dpd[entering]
        s.status[entering] = ACTIVE
        s.in_house[entering] = True
        if self.schedule is not None:
            self.schedule.morning(day, entering)
        self.agency.recall(day)
        if self.recovery is not None:
            self.agency.place_charged_off(self.recovery.end(day), day)
        self.offers.holidays(day)
        self.accrual.morning(day)
        due = np.flatnonzero((s.dpd >= self.sc.chargeoff.dpd) & (s.status == ACTIVE))
        due = due[~OfferDesk.paused(s, due)]
        s.charge_off(due, day)
        if self.recovery is not None:
            self.recovery.enter(due, day)
        self.agency.place_charged_off(due, day)
        self.sale.sell(day)
        for cid, idx, rule in self.delayed.pop(day, []):
            self.env.process(self._send_later(cid, idx, rule, day + LETTER_DELIVERY))

    def _entering(self, day: int) -> tuple[int, int]:
        """Where today's arrivals start and end in ``arrivals``.

        The days are searched for in the arrival days' own dtype: a list of Python ints would make
        numpy convert all of ``arrival_days`` to int64 first, a pass over every account each morning.
        """
        lo, hi = np.searchsorted(self.arrival_days, np.array([day, day + 1], dtype=self.arrival_days.dtype))
        return int(lo), int(hi)

    def _age(self, entered: int) -> None:
        """Every account that entered before today (the first ``entered`` of ``arrivals``) is a day more past due.

        Those are the accounts not ``PENDING``: entry days are never negative, so each was made active on its
        day, and status never returns to ``PENDING``. Once all have entered the add needs no mask.
        """
        s = self.state
        if entered == self.arrivals.size:
            np.add(s.dpd, 1, out=s.dpd)
        else:
            np.add(s.dpd, 1, out=s.dpd, where=s.status != PENDING)

    def _dispatch(self, day: int, plan, frac: float) -> None:
        s = self.state
        for d in plan.dispatches:
            cid = self.channel_ids.get(d.channel)
            if cid is None:
                raise PolicyError(
                    f"policy rule '{d.rule}' used channel '{d.channel}'; defined: {', '.join(self.channel_ids)}"
                )
            rule = self.check.rule_id(d.rule)
            idx = distinct(np.asarray(d.accounts))
            idx = idx[s.in_house[idx]]
            ch = self.contact.specs[cid]
            if ch.kind == "agency":
                placed = self.agency.place(idx, day)
                self.contact.book_action(cid, placed)
                self.recorder.events(day + frac, placed, cid, rule, PLACED_OUTCOME)
            elif ch.kind == "legal":
                idx = idx[s.legal_stage[idx] == NO_CASE]
                if ch.team is not None:
                    self.teams[ch.team].enqueue(idx, cid, rule, day)
                else:
                    allowed, _ = self.conduct.screen(cid, idx, day + frac)
                    self.conduct.settle(np.zeros(idx.size, dtype=bool))
                    idx = idx[allowed]
                    for i in idx.tolist():
                        self.legal.file(i, day + frac, ch.effect)
                    self.check.touch(idx, day)
                    self.contact.book_action(cid, idx)
                    self.recorder.events(day + frac, idx, cid, rule, FILED_OUTCOME)
            elif ch.team is not None:
                self.teams[ch.team].enqueue(idx, cid, rule, day)
            elif ch.delivery_days > 0:
                self.delayed[day + ch.delivery_days].append((cid, idx, rule))
            else:
                # Sent when contact hours open, so every rule and log sees the true time of the send.
                self.env.process(self._send_later(cid, idx, rule, day + frac))

    def _send(self, cid: int, idx: np.ndarray, rule: int, day: int, frac: float) -> None:
        """An automated send now, after the conduct rules; sends outside contact hours wait for them."""
        now = day + frac
        allowed, deferrable = self.conduct.screen(cid, idx, now)
        deferred = np.zeros(idx.size, dtype=bool)
        if deferrable.any():
            latest = day + self.sc.calendar.contact_hours[1] / 24.0
            later = idx[deferrable]
            when = self.conduct.next_allowed_time(later, now + 1e-9, latest)
            ok = ~np.isnan(when) & (when > now + 1e-6)
            deferred[np.flatnonzero(deferrable)[ok]] = True
            for t in np.unique(when[ok]):
                self.env.process(self._send_later(cid, later[ok & (when == t)], rule, float(t)))
        self.conduct.settle(deferred)
        idx = idx[allowed]
        outcome = self.contact.outcomes(cid, idx)
        reached = self.contact.apply(cid, idx, outcome, day, frac)
        self.check.touch(reached, day)
        self.recorder.events(day + frac, idx, cid, rule, outcome)
        self.work.schedule_callbacks(cid, reached, day + frac)

    def _send_later(self, cid: int, idx: np.ndarray, rule: int, t: float):
        yield self.env.timeout(max(0.0, t - self.env.now))
        idx = idx[self.state.in_house[idx]]
        self._send(cid, idx, rule, int(np.floor(t)), t - np.floor(t))

    def _evening(self, day: int) -> None:
        s = self.state
        treated = treatments_today(s) if self.collectability is not None else None
        self.offers.instalments(day)
        paid = self.behaviour.end_of_day(day)
        if treated is not None:
            report_day(self.collectability, s, day, treated, paid)
        self.legal.garnish(day)
        if self.schedule is not None:
            self.schedule.evening(day)
        by_agency = paid.source == AGENCY
        self.agency.charge(paid.accounts[by_agency], paid.amounts[by_agency])
        if self.recovery is not None:
            by_unit = paid.source == RECOVERY
            self.recovery.collect(paid.accounts[by_unit], paid.amounts[by_unit])
        for desk in self.teams.values():
            rostered = desk.rostered_on(day)
            desk.tally.rostered_days += rostered
            self.team_cost += rostered * desk.spec.cost_per_fte_day
        self.recorder.day_end(day, s, self.total_cost(), self.teams)
        if self.check_invariants:
            err = s.conservation_error()
            if not err <= 1e-6 * max(1.0, float(s.opening.max(initial=1.0))):  # NaN fails too
                raise InvariantError(f"day {day}: money not conserved or not finite (max gap {err:.6g})")

    def total_cost(self) -> float:
        channels = sum(t.cost for t in self.contact.tally.values())
        complaints = self.complaints.total * self.complaints.cost
        overtime = sum(desk.tally.overtime_cost for desk in self.teams.values())
        total = channels + self.team_cost + overtime + self.legal.tally.fees + self.agency.tally.commission + complaints
        return total if self.recovery is None else total + self.recovery.tally.cost


def _ro(a: np.ndarray) -> np.ndarray:
    v = a.view()
    v.flags.writeable = False
    return v
