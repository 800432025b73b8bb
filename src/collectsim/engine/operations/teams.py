"""Teams of agents working their queues during their shifts (simpy).

Each agent on the floor is a simpy process with a post (shift hours, weekdays).
During its shift it answers waiting inbound calls first, then takes the next item
of its team's outbound work list (ordered once a day by the policy's priority
rule), then helps the teams it is skilled for; with nothing to do it sleeps until a
call arrives or its shift ends. An item that no longer applies when taken is voided
and costs no time. A call or visit in progress at shift end is finished (overtime,
paid at the team's overtime rate); nothing new starts after the shift. Work left
after the day's last shift is carried to the next working day or dropped, which is
the shortfall headcount planning measures.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import simpy

from collectsim.dists import Distribution
from collectsim.engine.operations.queues import InboundQueue, OutboundQueue, PriorityKey, Windows
from collectsim.scenario.schema import WEEKDAYS, Shift, Team

MINUTES_PER_DAY = 1440.0
DAY_CLOSE = 1.0 - 2e-6  # fraction of a day; before the daily driver's evening step
BUFFER = 1024
EPS_DAY = 1e-9  # float slack: an item ending exactly at shift end leaves no room for another


@dataclass
class TeamTally:
    attempts: int = 0
    rpcs: int = 0
    inbound_answered: int = 0
    busy_minutes: float = 0.0
    available_minutes: float = 0.0
    rostered_days: float = 0.0
    carried: int = 0
    dropped: int = 0
    voided: int = 0
    overtime_minutes: float = 0.0
    overtime_cost: float = 0.0
    days_worked: int = 0
    daily_queue: list[int] = field(default_factory=list)
    daily_done: list[int] = field(default_factory=list)
    daily_voided: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class DayClose:
    """One team's figures for its last closed working day (read by the daily series)."""

    day: int = -1
    due: int = 0
    done: int = 0
    voided: int = 0
    busy_minutes: float = 0.0
    floor_minutes: float = 0.0  # shift minutes of the agents on the floor, plus their overtime
    overtime_minutes: float = 0.0


VOID, DEFERRED = "void", "deferred"
# attempt(desk, account, channel_id, rule_id, now, queue taken from) -> (handle minutes, right party?), VOID
# if the item no longer applies, or DEFERRED if a conduct rule moved it to later (it is back in its queue).
Attempt = Callable[["TeamDesk", int, int, int, float, OutboundQueue], "tuple[float, bool] | str"]
# answer(desk, account, channel_id, now) -> (handle minutes, right party?) for an inbound call, or VOID.
Answer = Callable[["TeamDesk", int, int, float], "tuple[float, bool] | str"]
# opening(desk, day): open the desk's outbound queue for today (with every other team's that works today).
Opening = Callable[["TeamDesk", int], None]


@dataclass(frozen=True)
class Post:
    """One agent's place in the roster: shift hours (fractions of a day), weekdays, and which
    shift it belongs to and its rank there (a weekly plan staffs the first n posts of a shift)."""

    start: float
    end: float
    weekdays: frozenset[int]
    shift: int = 0
    rank: int = 0


def split_headcount(total: int, shares: list[float]) -> list[int]:
    """Largest-remainder split of ``total`` agents over shares that sum to 1."""
    raw = [total * s for s in shares]
    base = [int(np.floor(r)) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: raw[i] - base[i], reverse=True)
    for i in order[: total - sum(base)]:
        base[i] += 1
    return base


def roster(
    spec: Team, default_days: tuple[str, ...], headcount: int | None = None, fielded: np.ndarray | None = None
) -> tuple[list[Post], list[tuple[int, frozenset[int]]]]:
    """Posts an agent may fill, and (rostered agents, weekdays) per shift for costing.

    A shift of n rostered agents has n(1 - shrinkage) of them on the floor on an average day, which is
    rarely whole: it gets ⌈n(1 - shrinkage)⌉ posts, and ``attendance`` says how many are filled each day.
    ``headcount`` replaces the team's (one week of a weekly plan). ``fielded`` (per shift, the most agents
    ``attendance`` ever puts on its floor) adds posts where a smaller week of a weekly plan gives a shift
    more agents than the peak week does: the largest-remainder split of three or more shifts is not
    monotone in the headcount (5 agents over shares 0.3, 0.1, 0.6 split 2, 0, 3; 4 agents split 1, 1, 2),
    and an agent without a post would be paid and never work.
    """
    posts, paid = [], []
    for k, (sh, n, days) in enumerate(_shifts(spec, default_days, headcount)):
        paid.append((n, days))
        on_floor = math.ceil(n * (1.0 - spec.shrinkage) - 1e-9)
        if fielded is not None:
            on_floor = max(on_floor, int(fielded[k]))
        posts += [Post(sh.start / 24.0, sh.end / 24.0, days, k, r) for r in range(on_floor)]
    return posts, paid


def _shifts(
    spec: Team, default_days: tuple[str, ...], headcount: int | None
) -> list[tuple[Shift, int, frozenset[int]]]:
    """Each shift with its rostered agents and its weekdays (0 = Monday)."""
    team_days = spec.working_days or default_days
    shifts = spec.shifts or (Shift(start=spec.shift[0], end=spec.shift[1]),)
    total = spec.headcount if headcount is None else headcount
    rostered = split_headcount(total, [sh.share for sh in shifts])
    return [
        (sh, n, frozenset(WEEKDAYS.index(d) for d in (sh.working_days or team_days)))
        for sh, n in zip(shifts, rostered, strict=True)
    ]


def attendance(
    spec: Team, default_days: tuple[str, ...], start_weekday: int, plan: tuple[int, ...], horizon: int
) -> np.ndarray:
    """Agents on the floor per shift (rows) and day (columns).

    Shrinkage is absence: on its j-th working day a shift of n rostered agents fields
    ⌊(j+1)x + ½⌋ − ⌊jx + ½⌋ agents, x = n(1 - shrinkage), i.e. ⌊x⌋ or ⌈x⌉, spread evenly so that
    any run of working days is within half an agent-day of x per day. Rounding x once instead (as
    planners round a headcount) would put 2, 3 and 4 rostered agents at 30% shrinkage all at 2 on
    the floor over two shifts, and pay agents who never work. Counting working days, not calendar
    days, keeps the extra agent from always falling on the same weekday. ``plan`` is the weekly
    headcount (weeks past it keep its last value).
    """
    days = np.arange(horizon)
    weekday = (start_weekday + days) % 7
    week_plan = np.asarray(plan)[np.minimum(days // 7, len(plan) - 1)]
    weeks = {h: _shifts(spec, default_days, h) for h in set(plan)}
    out = np.zeros((len(weeks[plan[0]]), horizon), dtype=np.int64)
    for k, row in enumerate(out):
        rostered = np.zeros(horizon)
        works = np.zeros(horizon, dtype=bool)
        for h, shifts in weeks.items():
            _, n, weekdays = shifts[k]
            week = week_plan == h
            rostered[week] = n
            works[week] = np.isin(weekday[week], list(weekdays))
        x = rostered[works] * (1.0 - spec.shrinkage)
        j = np.arange(x.size)  # the shift's working days so far
        row[works] = np.floor((j + 1) * x + 0.5) - np.floor(j * x + 0.5)
    return out


class TeamDesk:
    """One team: its queues, its agents (simpy processes) and its tallies.

    What an agent does with an item is given, not known here: ``attempt`` works an
    outbound item, ``answer`` an inbound call (each is told which desk's agent does it),
    ``priority`` orders the day's work list and ``opening`` opens it (default: this
    desk's alone). ``floor`` holds every team's desk by name; the teams this one
    helps (``spec.helps``) are looked up there when the run starts, as teams may help
    each other.
    """

    def __init__(
        self,
        env: simpy.Environment,
        name: str,
        spec: Team,
        working_days: tuple[str, ...],
        start_weekday: int,
        horizon: int,
        n_accounts: int,
        *,
        priority: PriorityKey,
        attempt: Attempt | None = None,
        answer: Answer | None = None,
        opening: Opening | None = None,
        floor: Mapping[str, TeamDesk] | None = None,
    ) -> None:
        self.env = env
        self.name = name
        self.spec = spec
        self.headcount = spec.headcount
        self.start_weekday = start_weekday
        self.horizon = horizon
        # A weekly plan: per distinct weekly headcount, the rostered agents and weekdays per shift (for costing).
        plan = spec.weekly_headcount or (spec.headcount,)
        self._plan = plan
        self._week_paid = {h: [(n, days) for _, n, days in _shifts(spec, working_days, h)] for h in set(plan)}
        self.attendance = attendance(spec, working_days, start_weekday, plan, horizon)
        self.posts, self.paid = roster(spec, working_days, fielded=self.attendance.max(axis=1, initial=0))
        self.outbound = OutboundQueue(n_accounts)
        self.inbound = InboundQueue()
        self.helps: list[TeamDesk] = []
        self._idle: list[tuple[simpy.Event, float]] = []
        self.tally = TeamTally()
        self.closed = DayClose()
        self._day_busy = 0.0
        self._day_avail = 0.0
        self._day_over = 0.0
        self.attempt = attempt
        self.answer = answer
        self.priority = priority
        self.opening = opening
        self.floor = floor or {}
        self._idle_factor = 1.0 / spec.max_occupancy - 1.0
        self._rpc_spacing = None if spec.max_rpc_per_hour is None else 60.0 / spec.max_rpc_per_hour
        # Per weekday, when its last shift ends (None: nobody works): asked on every deferral.
        self._last_end = [max((p.end for p in self.posts if wd in p.weekdays), default=None) for wd in range(7)]

    def weekday(self, day: int) -> int:
        return (self.start_weekday + day) % 7

    def works_on(self, day: int) -> bool:
        wd = self.weekday(day)
        return any(wd in days for _, days in self.paid)

    def planned(self, day: int) -> int:
        """The headcount rostered in the week of ``day`` (weeks past the plan keep its last value)."""
        return self._plan[min(day // 7, len(self._plan) - 1)]

    def rostered_on(self, day: int) -> int:
        wd = self.weekday(day)
        paid = self._week_paid[self.planned(day)]
        return sum(n for n, days in paid if wd in days)

    def _staffed(self, post: Post, day: int) -> bool:
        return post.rank < self.attendance[post.shift, day]

    @property
    def mean_on_floor(self) -> float:
        """Agents on the floor on an average day the team works (0.0 if it never does)."""
        per_day = self.attendance.sum(axis=0)
        worked = [self.works_on(d) for d in range(self.horizon)]
        return float(per_day[worked].mean()) if any(worked) else 0.0

    @property
    def mean_shift_minutes(self) -> float:
        """Mean paid shift length of the team's posts (the unit its day rate is paid for)."""
        if not self.posts:
            return 8 * 60.0
        return float(np.mean([(p.end - p.start) * MINUTES_PER_DAY for p in self.posts]))

    @property
    def queue_length(self) -> int:
        return self.outbound.waiting

    def enqueue(self, accounts: np.ndarray, channel: int, rule: int, day: int) -> None:
        self.outbound.enqueue(accounts, channel, rule, self.env.now)

    def day_end(self, day: int) -> float:
        """When the last shift of ``day`` ends (the day's start if nobody works then)."""
        last = self._last_end[self.weekday(day)]
        return day + last if last is not None else float(day)

    def wake_one(self) -> None:
        self._wake(1)

    def call_in(self, account: int, channel: int) -> None:
        """An inbound call arrives now; wake one idle agent if any."""
        self.inbound.arrive(self.env.now, account, channel)
        self._wake(1)

    def run(self) -> None:
        """Start the day manager and one process per agent on the floor."""
        self.helps = [self.floor[h] for h in self.spec.helps]
        self.env.process(self._manager())
        for post in self.posts:
            self.env.process(self._agent(post))

    def _manager(self):
        """Close each working day after its last shift: carry or drop what is left."""
        env = self.env
        for day in range(self.horizon):
            wd = self.weekday(day)
            # A day with nobody on the floor still closes, at the day's end, after the day's work arrived.
            ends = sorted({p.end for p in self.posts if wd in p.weekdays}) or [DAY_CLOSE]
            for end in ends:
                yield env.timeout(day + end - env.now)
                self._wake_ended(env.now)
            if self.works_on(day):
                self._close(day)

    def _ensure_open(self, day: int) -> None:
        if self.outbound.open_day != day:
            if self.opening is None:
                self.open(day)
            else:
                self.opening(self, day)

    def open(
        self,
        day: int,
        wanted: np.ndarray | None = None,
        held: np.ndarray | None = None,
        groups: np.ndarray | None = None,
        windows: Windows | None = None,
    ) -> None:
        """Open today's outbound queue: void the items not ``wanted`` (None keeps all), order the rest; items
        ``held`` wait for the next opening, and with contact windows (``groups``, ``windows``) idle agents are
        woken as each opens."""
        now = self.env.now
        self.outbound.open(day, now, self.priority, wanted, held, groups, windows)
        for t in self.outbound.openings(now):
            if t < self.day_end(day):
                self.env.timeout(t - now).callbacks.append(self._window_opens)
        self.tally.days_worked += 1
        self.tally.daily_queue.append(self.outbound.due_today)

    def _window_opens(self, _: simpy.Event) -> None:
        self._wake(len(self._idle))

    def _close(self, day: int) -> None:
        if self.outbound.open_day != day:
            self._ensure_open(day)
        out = self.outbound
        self.tally.daily_done.append(out.done_today)
        self.tally.daily_voided.append(out.voided_today)
        self.closed = DayClose(
            day, out.due_today, out.done_today, out.voided_today, self._day_busy, self._day_avail, self._day_over
        )
        self._day_busy = self._day_avail = self._day_over = 0.0
        left = self.outbound.close(self.env.now, self.spec.backlog == "expire")
        if self.spec.backlog == "carry":
            self.tally.carried += left
        else:
            self.tally.dropped += left

    def _next_work(self, day: int, now: float) -> tuple[OutboundQueue | None, int, int, int] | None:
        """(queue the item came from, account, channel, rule); the queue is None for an inbound call.

        Inbound calls first, then own work, then helped teams'.
        """
        call = self.inbound.pop(now)
        if call is not None:
            return None, call[0], call[1], -1
        if self.outbound.open_day != day:
            self._ensure_open(day)
        item = self.outbound.pop(now)
        if item is not None:
            return self.outbound, *item
        for desk in self.helps:
            if desk.works_on(day):
                desk._ensure_open(day)
                item = desk.outbound.pop(now)
                if item is not None:
                    return desk.outbound, *item
        return None

    def _agent(self, post: Post):
        env = self.env
        for day in range(self.horizon):
            if self.weekday(day) not in post.weekdays or not self._staffed(post, day):
                continue
            start, end = day + post.start, day + post.end
            if env.now < start:
                yield env.timeout(start - env.now)
            shift_minutes = (end - start) * MINUTES_PER_DAY
            self.tally.available_minutes += shift_minutes
            self._day_avail += shift_minutes
            while env.now < end - EPS_DAY:
                work = self._next_work(day, env.now)
                if work is None:
                    woken = env.event()
                    self._idle.append((woken, end))
                    yield woken
                    continue
                queue, account, channel, rule = work
                now = env.now
                if queue is None:
                    done = self.answer(self, account, channel, now)
                else:
                    done = self.attempt(self, account, channel, rule, now, queue)
                if done == DEFERRED:
                    continue
                if done == VOID:
                    if queue is not None:
                        queue.void()
                    continue
                if queue is not None:
                    queue.done()
                minutes, rpc = done
                self._book_busy(minutes, (now - end) * MINUTES_PER_DAY + minutes, shift_minutes)
                handle = minutes / MINUTES_PER_DAY
                done_at = now + handle  # the instant simpy's timeout(handle) would end at
                if done_at >= end - EPS_DAY:
                    yield env.timeout(handle)
                    break
                rest = minutes * self._idle_factor
                if rpc and self._rpc_spacing is not None:
                    # Dialer pacing: the next right-party contact starts no sooner than 60/cap minutes after this one.
                    rest = max(rest, self._rpc_spacing - minutes)
                if rest <= 0:
                    yield env.timeout(handle)
                    continue
                both = one_delay(now, done_at, rest / MINUTES_PER_DAY)
                if both is not None:
                    yield env.timeout(both)
                else:
                    yield env.timeout(handle)
                    yield env.timeout(rest / MINUTES_PER_DAY)

    def _book_busy(self, minutes: float, past_end: float, shift_minutes: float) -> None:
        """Busy time of an item as it starts; the part past shift end is overtime, on the floor and paid extra."""
        over = past_end if past_end > 1e-6 else 0.0  # float dust of an item that ends on the bell is not overtime
        t = self.tally
        t.busy_minutes += minutes
        self._day_busy += minutes
        if over > 0:
            t.overtime_minutes += over
            t.available_minutes += over
            t.overtime_cost += over * self.spec.overtime_rate * self.spec.cost_per_fte_day / shift_minutes
            self._day_avail += over
            self._day_over += over

    def _wake(self, n: int) -> None:
        while n > 0 and self._idle:
            ev, _ = self._idle.pop(0)
            ev.succeed()
            n -= 1

    def _wake_ended(self, now: float) -> None:
        keep = []
        for ev, end in self._idle:
            if end <= now + 1e-12:
                ev.succeed()
            else:
                keep.append((ev, end))
        self._idle = keep


def one_delay(now: float, done_at: float, rest: float) -> float | None:
    """One delay from ``now`` ending at the very instant a timeout to ``done_at`` and then one of ``rest``
    would (``(done_at + rest)``, bit for bit), or None where float rounding makes that impossible (early
    on day 0). An agent's item and its rest are then one simpy event instead of two, a sixth of an attempt's cost.
    """
    wake = done_at + rest
    delay = wake - now
    return delay if now + delay == wake else None


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
