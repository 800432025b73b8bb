"""Contractual delinquency: statements, arrears, DPD from the oldest unpaid due, re-ageing, re-default.

Without a ``[product]`` an account owes its whole balance and its DPD only rises. With one it owes
*arrears*, the dues it has missed, as banks age accounts (docs/model-mechanics.md):

- A due of fixed size ``m`` falls every ``c`` = ``statement_days`` (revolving: a share of the balance
  at entry with a floor; instalment: the balance at entry ÷ the term). What is collectible is the
  arrears, at most the balance (``AccountState.collectible``); payments clear the oldest due first.
- With ``next_due`` the account's next due date and k = ⌈arrears ÷ m⌉ unpaid dues, the oldest
  unpaid due fell on ``next_due − k·c``, so DPD = day − next_due + k·c. Paying one due a cycle keeps
  k, so the bucket holds; paying more lowers it; paying the arrears cures.
- A plan or payment holiday moves the whole schedule one day per day: DPD stands still.
- A court case accelerates the debt (the whole balance falls due): its DPD rises daily.
- A cure leaves collection with the balance performing; the account re-defaults after an
  exponential time with its reason's monthly odds and comes back at DPD 1, a new episode.
- Re-ageing (a policy option): after ``consecutive_payments`` cycles each paying at least one due,
  and within the 12-month and 5-year limits, the arrears are capitalised (left in the balance) and
  the account is current again.

Simplifications: the due size is fixed at entry (a card's minimum due would follow the balance);
late fees and interest raise the balance, not the arrears.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

from collectsim.engine.accounts.offers import OfferDesk
from collectsim.engine.accounts.state import ACTIVE, CENT, CURED, NO_CASE, SETTLED, AccountState, distinct
from collectsim.rng import KeyedUniforms, Streams
from collectsim.scenario.schema import Product, Reage

ROLL_STARTS = (1, 31, 61, 91, 121, 151)  # the first DPD of each 30-day bucket whose arrival is recorded
ROLL_STARTS_ARRAY = np.array(ROLL_STARTS)
IS_ROLL_START = np.isin(np.arange(ROLL_STARTS[-1] + 2), ROLL_STARTS_ARRAY)  # by DPD; later DPDs read the last
STATEMENT_ROLLS = 4  # monthly rolls counted from 1, 2, 3 and 4 months late (30→60 … 120→150)
MONTH_DAYS = 30.0
YEAR_DAYS, FIVE_YEARS = 365, 1825
LONG_AGO = -10_000_000
DUE_TOLERANCE = 1e-9


def due_amounts(spec: Product, balance: np.ndarray) -> np.ndarray:
    """Each account's due: a minimum payment (a share of the balance, floored) or a loan instalment, capped."""
    if spec.kind == "revolving":
        due = np.maximum(spec.minimum_due_floor, spec.minimum_due_share * balance)
    else:
        due = balance / spec.term_months
    return np.minimum(due, balance)


def daily_hazard(monthly: float) -> float:
    """The daily hazard h with P(event within 30 days) = ``monthly``."""
    return -math.log1p(-monthly) / MONTH_DAYS if monthly < 1.0 else math.inf


class Schedule:
    def __init__(
        self,
        spec: Product,
        reage: Reage | None,
        reasons: tuple[str, ...],
        state: AccountState,
        streams: Streams,
        *,
        horizon: int,
    ) -> None:
        s, p = state, state.pop
        self.spec, self.reage, self.s = spec, reage, state
        self.horizon = horizon  # days in the run: a re-default planned on a later day never comes
        self.cycle = spec.statement_days
        self.due = np.maximum(due_amounts(spec, p.balance), CENT)  # a due is never zero: DPD divides by it
        s.minimum_due = self.due
        missed = np.maximum(1, -(-p.entry_dpd // self.cycle))
        s.arrears = missed * self.due
        self.next_due = (p.entry_day - p.entry_dpd + missed * self.cycle).astype(np.int32)
        hazard = np.array([daily_hazard(spec.redefault_monthly.get(r, 0.0)) for r in reasons])
        self.hazard = hazard[p.reason]
        self.clock = KeyedUniforms(streams, "redefault", s.n)
        self.comebacks: dict[int, list[np.ndarray]] = defaultdict(list)  # day -> the cures that re-default then
        self.cured_day = np.full(s.n, -1, dtype=np.int32)  # the day the current cure began
        self.first_cure_day = np.full(s.n, -1, dtype=np.int32)
        self.first_redefault_day = np.full(s.n, -1, dtype=np.int32)
        self.cured_days_done = np.zeros(s.n, dtype=np.int32)  # days at risk of re-default in cures that ended
        self.cures = np.zeros(s.n, dtype=np.int16)
        self.redefaults = np.zeros(s.n, dtype=np.int16)
        self.reach_day = np.full((len(ROLL_STARTS), s.n), -1, dtype=np.int32)  # first day at each bucket
        self.reached = np.zeros(s.n, dtype=np.int8)  # how many buckets each account has reached
        self.paid_at_due = np.zeros(s.n)
        # The statement panel (UCI's "no payment next month" by months late): months late at the last
        # statement, and per class (1–2, 3+) the cycles observed and those with no payment at all.
        self.months_late = np.zeros(s.n, dtype=np.int16)
        self.cycles = np.zeros((2, s.n), dtype=np.int16)
        self.unpaid_cycles = np.zeros((2, s.n), dtype=np.int16)
        # The monthly roll (the industry's): per months late k at a statement, the cycles observed and those
        # whose next statement found the account k + 1 or more months late.
        self.roll_cycles = np.zeros((STATEMENT_ROLLS, s.n), dtype=np.int16)
        self.rolled = np.zeros((STATEMENT_ROLLS, s.n), dtype=np.int16)
        self.streak = np.zeros(s.n, dtype=np.int16)
        self.reages = np.zeros(s.n, dtype=np.int16)
        keep = max(reage.per_12_months, reage.per_5_years) if reage else 0
        self.reage_days = np.full((s.n, keep), LONG_AGO, dtype=np.int32)  # most recent first
        self.missed_today = np.zeros(0, dtype=np.int64)
        self.active = np.zeros(0, dtype=np.int64)  # the accounts in collection after this morning's changes
        self.cured_since = np.zeros(0, dtype=np.int64)  # cured since the last morning: their DPD becomes 0
        self.cured_this_morning = np.zeros(0, dtype=np.int64)  # paid up or re-aged at this morning's statement

    def morning(self, day: int, entering: np.ndarray) -> None:
        """Re-defaults come back; held schedules slide; dues fall; re-ageing; every account's DPD."""
        s = self.s
        back = self._redefault(day)
        active = np.flatnonzero(s.status == ACTIVE)
        # An account out of court whose arrears a payment clears cures there and then (``book_payment``); one
        # whose case has ended with them paid in court cures here.
        cased = active[s.legal_stage[active] != NO_CASE]
        out_of_court = cased[~s.legal_active[cased]]
        settled = out_of_court[s.arrears[out_of_court] <= CENT]
        s.close(settled, CURED, day)
        this_morning = [settled]
        if settled.size:
            active = active[s.status[active] == ACTIVE]
        held = active[OfferDesk.paused(s, active)]
        self.next_due[held] += 1
        due = active[self.next_due[active] == day]
        before = s.arrears[due]
        # A due still unpaid when the next one falls earns a late fee (from the first due after entry).
        self.missed_today = due[(before > CENT) & (s.pop.entry_day[due] < day)]
        self._count_cycle(due, before)
        s.arrears[due] = before + self.due[due]
        self.next_due[due] += self.cycle
        if self.reage is not None:
            this_morning.append(self._reage(due, day))
            active = active[s.status[active] == ACTIVE]
        self.active = active
        self.cured_this_morning = np.concatenate(this_morning)
        moved = np.concatenate([entering, back, out_of_court, *s.paid_down])
        s.paid_down.clear()
        self._age(active, held, moved, np.concatenate([self.cured_since, self.cured_this_morning]), day)

    def _age(self, live: np.ndarray, held: np.ndarray, moved: np.ndarray, cured: np.ndarray, day: int) -> None:
        """Every account's DPD for today: by the calendar in court or closed, 0 once cured, and in collection
        from the arrears.

        In collection the DPD follows from the schedule (day − next_due + k·cycle with k unpaid dues), and
        yesterday's schedule gives yesterday's DPD, so only what moved the schedule other than by a day needs
        the formula: a due falling adds a cycle to both terms (a day older), a held schedule slides with the
        day (DPD stands still). The formula is applied to ``moved``: accounts that entered or re-defaulted,
        whose arrears a payment lowered, or whose court case ended (the calendar aged them there). At 1M
        accounts this is a few thousand a day instead of the ~200k in collection."""
        s = self.s
        np.add(s.dpd, 1, out=s.dpd, where=s.status >= SETTLED)
        s.dpd[cured] = 0
        dpd = s.dpd[live] + 1
        held = held[~s.legal_active[held]]  # accelerated in court: the calendar ages it
        dpd[np.searchsorted(live, held)] -= 1
        moved = distinct(moved)
        moved = moved[(s.status[moved] == ACTIVE) & ~s.legal_active[moved]]
        k = np.ceil(s.arrears[moved] / self.due[moved] - DUE_TOLERANCE).astype(np.int64)
        at = np.searchsorted(live, moved)
        dpd[at] = day - self.next_due[moved] + k * self.cycle
        s.dpd[live] = dpd
        # A DPD a day older reaches a new bucket only on the bucket's first day; the formula's can jump.
        look = IS_ROLL_START[np.minimum(dpd, IS_ROLL_START.size - 1)]
        look[at] = True
        look = np.flatnonzero(look)
        self._record_reach(live[look], dpd[look], day)

    def _record_reach(self, live: np.ndarray, dpd: np.ndarray, day: int) -> None:
        """The first day each of accounts ``live`` is at or past each bucket's first DPD (``dpd``, today's, aligned
        with ``live``). The buckets an account has reached are always the first
        ``reached`` of them (DPD past one start is past every earlier one), so one sorted lookup finds who reached a
        new bucket today and only those few are written."""
        now = np.searchsorted(ROLL_STARTS_ARRAY, dpd, side="right").astype(np.int8)
        up = now > self.reached[live]
        acc, old, new = live[up], self.reached[live[up]], now[up]
        for j in range(len(ROLL_STARTS)):
            self.reach_day[j, acc[(old <= j) & (new > j)]] = day
        self.reached[acc] = new

    def _count_cycle(self, due: np.ndarray, arrears: np.ndarray) -> None:
        """At each statement: how much the cycle just ended brought, for the panel and the re-age streak."""
        s = self.s
        paid = s.paid[due] - self.paid_at_due[due]
        late = np.ceil(arrears / self.due[due] - DUE_TOLERANCE).astype(np.int16)
        self._observe(due, paid <= 0, late)
        self.months_late[due] = late
        self.streak[due] = np.where(paid >= self.due[due] - CENT, self.streak[due] + 1, 0)
        self.paid_at_due[due] = s.paid[due]

    def _observe(self, idx: np.ndarray, unpaid: np.ndarray | bool, late_now: np.ndarray | int) -> None:
        """Count a cycle that began with the account 1–2 or 3+ months late, whether it brought nothing, and
        whether it ended ``late_now`` ≥ one month later than it began (a roll; a cure ends it at 0)."""
        late = self.months_late[idx]
        for c, where in enumerate(((late >= 1) & (late <= 2), late >= 3)):
            self.cycles[c, idx[where]] += 1
            self.unpaid_cycles[c, idx[where & unpaid]] += 1
        counted = (late >= 1) & (late <= STATEMENT_ROLLS)
        row, col = late[counted] - 1, idx[counted]  # accounts are distinct: one cell each
        self.roll_cycles[row, col] += 1
        self.rolled[row, col] += np.broadcast_to(late_now, idx.shape)[counted] > late[counted]

    def _reage(self, due: np.ndarray, day: int) -> np.ndarray:
        """Bring current the accounts with a long enough streak, within the 12-month and 5-year limits; returns
        them."""
        s, spec = self.s, self.reage
        ready = due[self.streak[due] >= spec.consecutive_payments]
        recent = self.reage_days[ready]
        in_year = (recent > day - YEAR_DAYS).sum(axis=1)
        in_five = (recent > day - FIVE_YEARS).sum(axis=1)
        go = ready[(in_year < spec.per_12_months) & (in_five < spec.per_5_years)]
        self.reage_days[go, 1:] = self.reage_days[go, :-1]
        self.reage_days[go, 0] = day
        self.reages[go] += 1
        self.streak[go] = 0
        self.months_late[go] = 0  # current again: its next cycle is not a delinquent one
        s.arrears[go] = 0.0
        s.placed[go] = False
        s.close(go, CURED, day)
        return go

    def evening(self, day: int) -> None:
        """Today's cures start their clock: each may re-default after Exp(hazard) days.

        Only an account in collection cures (``AccountState.close`` takes active accounts), so today's cures are
        this morning's and those among the accounts in collection after it: no pass over every account."""
        s = self.s
        later = self.active[s.status[self.active] == CURED]
        new = np.sort(np.concatenate([self.cured_this_morning, later]))
        self.cured_since = new
        self._observe(new, False, 0)  # the cycle a cure ends paid, not rolled
        self.months_late[new] = 0
        self.cured_day[new] = day
        self.first_cure_day[new[self.first_cure_day[new] < 0]] = day
        self.cures[new] += 1
        owing = new[(s.balance[new] > CENT) & (self.hazard[new] > 0)]
        wait = -np.log(self.clock.draw(owing)) / self.hazard[owing]
        self.plan_redefault(owing, day + np.maximum(1, np.ceil(np.minimum(wait, 1e7))).astype(np.int32))

    def plan_redefault(self, idx: np.ndarray, when: np.ndarray) -> None:
        """Cured accounts ``idx`` fall behind again on days ``when``: kept by day, so a morning looks up its own
        few instead of scanning every account. Days past the horizon are not kept (no morning asks for them;
        with a long Exp wait most cures' days are), and the rest are split by one stable sort, each day's
        accounts in ``idx``'s order: a mask per distinct day cost O(cures × days), ~1 s of a 300k-account
        card run."""
        soon = when < self.horizon
        idx, when = idx[soon], when[soon]
        if idx.size == 0:
            return
        order = np.argsort(when, kind="stable")
        when, idx = when[order], idx[order]
        starts = np.flatnonzero(np.diff(when, prepend=when[:1] - 1))
        for d, part in zip(when[starts].tolist(), np.split(idx, starts[1:]), strict=True):
            self.comebacks[d].append(part)

    def _redefault(self, day: int) -> np.ndarray:
        """Bring back the cures whose re-default falls today; returns them."""
        s = self.s
        due = self.comebacks.pop(day, None)
        if due is None:
            return np.zeros(0, dtype=np.int64)
        back = np.sort(np.concatenate(due))  # still cured: only a re-default ends a cure
        self.redefaults[back] += 1
        first = back[self.first_redefault_day[back] < 0]
        self.first_redefault_day[first] = day
        self.cured_days_done[back] += day - self.cured_day[back]
        self.cured_day[back] = -1
        s.status[back] = ACTIVE
        s.in_house[back] = True
        s.resolution_day[back] = -1
        s.arrears[back] = self.due[back]
        self.next_due[back] = day - 1 + self.cycle  # yesterday's due was missed: DPD 1 today
        self.paid_at_due[back] = s.paid[back]
        self.streak[back] = 0
        s.episode_start[back] = day
        s.excite[back] = 0.0
        s.dpd[back] = 0  # _age computes it from the arrears
        return back

    def cured_days(self, horizon: int) -> np.ndarray:
        """Days each account spent cured with a balance, at risk of re-default: the days after each cure's
        day up to its re-default, or to the horizon's last day (a bank sees the balance, not the reason, so
        an account whose reason never re-defaults counts too)."""
        s = self.s
        now = (s.status == CURED) & (self.cured_day >= 0) & (s.balance > CENT)
        return self.cured_days_done + np.where(now, horizon - 1 - self.cured_day, 0)

    def remaining_life_days(self) -> np.ndarray:
        """Each account's remaining life, the horizon of a lifetime (CECL) loss: an instalment loan's dues
        left (balance ÷ instalment, at most the term) × the cycle; a revolving line's behavioural life."""
        spec = self.spec
        if spec.kind == "revolving":
            return np.full(self.s.n, spec.behavioural_life_months * YEAR_DAYS / 12)
        dues = np.minimum(np.ceil(self.s.balance / self.due - DUE_TOLERANCE), spec.term_months)
        return np.maximum(dues, 0.0) * self.cycle

    def sustained(self, horizon: int) -> np.ndarray:
        """1 where the first cure lasted ``sustained_days`` without a re-default, else 0; NaN where there was
        no cure or the first came too late to tell."""
        days = self.spec.sustained_days
        lasted = (self.first_redefault_day < 0) | (self.first_redefault_day - self.first_cure_day >= days)
        judged = (self.first_cure_day >= 0) & (horizon - self.first_cure_day >= days)
        return np.where(judged, lasted.astype(float), np.nan)
