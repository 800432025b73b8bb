"""The declarative escalation ladder of a scenario, as a ``Policy``.

Each action rung is evaluated for all accounts at once: the accounts in its stage's
DPD range, inside its score and balance filters, due by its repeat interval, under
its cap, and not stopped by one of its stop conditions. Queued team work is asked
again when it is done (``still_due``): the same conditions, less the repeat timing.
A broken-promise follow-up "N days after" fires on the first business day at or
after the break + N, so a break on a Friday is followed up on Monday.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from collectsim.policy import NEVER, AccountView, ActionPlan, PolicyContext
from collectsim.scenario.schema import Action, Ladder
from collectsim.scenario.schema import Policy as PolicySpec


@dataclass(frozen=True)
class _Rung:
    ladder: int
    rule: str
    stage_to: int
    start: int
    action: Action


class LadderPolicy:
    """Runs a scenario's ladders; per-account rung counters live here, reset per run.

    By default the ladders of the simulated scenario; pass ``spec`` to run another
    scenario's ladders on the same portfolio and teams (a challenger).
    """

    def __init__(self, spec: PolicySpec | None = None) -> None:
        self._spec = spec
        self._rungs: list[_Rung] = []

    def reset(self, ctx: PolicyContext) -> None:
        pol = self._spec or ctx.scenario.policy
        self._recent = pol.recent_days
        names = list(pol.ladders)
        default = next((k for k, lad in pol.ladders.items() if lad.segments is None), None)
        seg_ladder = []
        for seg in ctx.segment_names:
            owner = next((k for k, lad in pol.ladders.items() if lad.segments and seg in lad.segments), default)
            seg_ladder.append(names.index(owner))
        self._seg_ladder = np.asarray(seg_ladder, dtype=np.int16)
        self._ladders: list[Ladder] = [pol.ladders[k] for k in names]
        self._names = names
        self._rungs = []
        for li, (lname, lad) in enumerate(zip(names, self._ladders, strict=True)):
            for stage in lad.stages:
                for ai, act in enumerate(stage.actions):
                    label = act.name or f"{act.channel}#{ai}"
                    start = stage.from_dpd if act.start_dpd is None else act.start_dpd
                    self._rungs.append(_Rung(li, f"{lname}/{stage.name}/{label}", stage.to_dpd, start, act))
        n = ctx.n_accounts
        # One row per rung and account: int16, as days and counts are < 2^15 (schema bounds); at 1M
        # accounts and a dozen rungs int32 days cost ~20 MB more resident memory (issue 15). The day a
        # rung last fired is read only once it has (``_times`` > 0), so it starts at 0.
        self._times = np.zeros((len(self._rungs), n), dtype=np.int16)
        self._last = np.zeros((len(self._rungs), n), dtype=np.int16)
        self._ladder_of: np.ndarray | None = None
        self._rung_of = {rung.rule: r for r, rung in enumerate(self._rungs)}
        self._followup_rules = {self._followup_rule(li) for li in range(len(names))}
        # Per ladder: the broken-promise day each account was last followed up for.
        self._followed = np.full((len(names), n), NEVER, dtype=np.int32)

    def _followup_rule(self, ladder: int) -> str:
        return f"{self._names[ladder]}/on_broken_promise"

    def decide(self, day: int, view: AccountView) -> ActionPlan:
        if self._ladder_of is None:
            self._ladder_of = self._seg_ladder[view.segment]
        plan = ActionPlan()
        cand = np.flatnonzero(view.in_house)
        if cand.size == 0:
            return plan
        dpd = view.dpd[cand]
        lo, hi = int(dpd.min()), int(dpd.max())
        for r, rung in enumerate(self._rungs):
            sel = _in_range(cand, dpd, lo, hi, rung.start, rung.stage_to)
            if sel.size == 0:
                continue
            if len(self._ladders) > 1:
                sel = sel[self._ladder_of[sel] == rung.ladder]
            sel = sel[self._eligible(r, rung.action, sel, day, view)]
            self._times[r, sel] += 1
            self._last[r, sel] = day
            plan.add(rung.action.channel, sel, rung.rule)
        for li, lad in enumerate(self._ladders):
            if lad.on_broken_promise is not None:
                plan.add(lad.on_broken_promise.channel, self._followups(li, day, view), self._followup_rule(li))
        return plan

    def _followups(self, li: int, day: int, view: AccountView) -> np.ndarray:
        """Accounts of ladder ``li`` due a broken-promise follow-up today; each break is followed up once."""
        broken = view.broken_promise_day
        delay = self._ladders[li].on_broken_promise.delay_days
        due = np.flatnonzero((broken > self._followed[li]) & (broken + delay <= day))
        due = due[self._ladder_of[due] == li]
        self._followed[li, due] = broken[due]
        return due[view.in_house[due] & (view.promise_due_day[due] < day)]

    def still_due(self, rule: str, accounts: np.ndarray, day: int, view: AccountView) -> np.ndarray:
        """Whether the rule that queued work for ``accounts`` still applies to them on ``day``."""
        r = self._rung_of.get(rule)
        if r is None:
            # A broken-promise follow-up lapses once a new promise is pending.
            if rule in self._followup_rules:
                return view.promise_due_day[accounts] < day
            return np.ones(accounts.size, dtype=bool)
        rung = self._rungs[r]
        if accounts.size == 1:  # an agent taking one item: the common question, asked thousands of times a run
            return np.array([self._still_due_one(rung, int(accounts[0]), day, view)])
        dpd = view.dpd[accounts]
        ok = (dpd >= rung.start) & (dpd <= rung.stage_to) & self._in_bands(rung.action, accounts, view)
        for cond in rung.action.stop_on:
            ok &= ~self._stopped(cond, accounts, day, view)
        return ok

    def _still_due_one(self, rung: _Rung, i: int, day: int, view: AccountView) -> bool:
        """``still_due`` of one account: the same conditions on the account's values, as a chain that stops at the
        first that fails, since building one-element arrays cost more than the conditions themselves."""
        act = rung.action
        if not rung.start <= view.dpd[i] <= rung.stage_to:
            return False
        if (act.score_min > 0 or act.score_max < 1) and not act.score_min <= view.score[i] <= act.score_max:
            return False
        if act.balance_min > 0 and not view.balance[i] >= act.balance_min:
            return False
        return not any(self._stopped(cond, i, day, view) for cond in act.stop_on)

    def _eligible(self, r: int, act: Action, sel: np.ndarray, day: int, view: AccountView) -> np.ndarray:
        times = self._times[r, sel]
        ok = times == 0
        if act.every_days > 0:
            ok |= day - self._last[r, sel] >= act.every_days
        if act.max_times is not None:
            ok &= times < act.max_times
        ok &= self._in_bands(act, sel, view)
        for cond in act.stop_on:
            ok &= ~self._stopped(cond, sel, day, view)
        return ok

    @staticmethod
    def _in_bands(act: Action, sel: np.ndarray, view: AccountView) -> np.ndarray:
        """Inside the rung's score band and above its balance floor."""
        ok = np.ones(sel.size, dtype=bool)
        if act.score_min > 0 or act.score_max < 1:
            s = view.score[sel]
            ok &= (s >= act.score_min) & (s <= act.score_max)
        if act.balance_min > 0:
            ok &= view.balance[sel] >= act.balance_min
        return ok

    def _stopped(self, cond: str, sel: np.ndarray | int, day: int, view: AccountView) -> np.ndarray | np.bool_:
        """Which of ``sel`` (accounts, or one account) ``cond`` stops."""
        match cond:
            case "promise_pending":
                return view.promise_due_day[sel] >= day
            case "paid_recently":
                return day - view.last_payment_day[sel] <= self._recent
            case "contacted_recently":
                return day - view.last_rpc_day[sel] <= self._recent
            case _:
                return view.legal_active[sel]


def _in_range(cand: np.ndarray, dpd: np.ndarray, lo: int, hi: int, start: int, end: int) -> np.ndarray:
    """The accounts ``cand`` whose ``dpd`` (ranging over [lo, hi]) lies in [start, end]. No mask is built when
    [lo, hi] lies wholly inside or outside the rung's range, as it does on every rung of a cohort (its accounts
    share one DPD) and on most rungs of an inflow."""
    if start <= lo and hi <= end:
        return cand
    if end < lo or hi < start:
        return cand[:0]
    return cand[(dpd >= start) & (dpd <= end)]
