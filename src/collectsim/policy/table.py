"""A table policy: one contact option per (segment, DPD bucket) cell — what a learning agent sets.

The table is an integer array, one entry per cell, segment-major (cell = segment × buckets +
bucket), each entry an index into the option menu. Bucket ``b`` holds the DPDs from
``buckets[b]`` up to the next edge (the last is open-ended); accounts below the first edge sit
in no cell and get nothing. An option names the channels it sends, or per first DPD: the default
``call`` is the early callers' ``call`` up to DPD 30 and the late callers' ``late_call`` after,
as the shipped ladders split the work.

Each business day every in-house account with no promise pending and no open court case gets
each channel of its cell's option whose last send to it is at least ``every_days[channel]`` days
old (default: ``call`` every 2, ``late_call`` every 3, any other channel weekly); a call also waits
until the last conversation is more than the scenario's ``policy.recent_days`` old. Only sends
start a channel's clock, so an account is treated as soon as its cell switches from ``none``.
Legal and agency are not on the menu: the ``base`` ladder's rungs of those kinds run as they are
(the scenario's ladder by default), so the table chooses contact and the pipelines stay
comparable. Queued team work is voided when it comes up and the account's cell no longer holds
the option that queued it, or a send would now be stopped.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np

from collectsim.errors import CollectsimError
from collectsim.policy import NEVER, AccountView, ActionPlan, PolicyContext
from collectsim.policy.ladder import LadderPolicy
from collectsim.scenario.schema import Scenario

DEFAULT_BUCKETS = (1, 8, 31, 61, 91)  # DPD 1–7, 8–30, 31–60, 61–90, 91+
OptionSpec = Sequence[str] | Mapping[int, Sequence[str]]  # channels, or first DPD -> channels
DEFAULT_OPTIONS: Mapping[str, OptionSpec] = {
    "none": (),
    "digital": ("sms", "email"),
    "call": {1: ("call",), 31: ("late_call",)},
    "digital+call": {1: ("sms", "email", "call"), 31: ("sms", "email", "late_call")},
    "letter": ("letter",),
}
# Days between two sends of one channel to one account (others: EVERY_DAYS), as the shipped ladders repeat them.
DEFAULT_EVERY: Mapping[str, int] = {"call": 2, "late_call": 3}
EVERY_DAYS = 7
CONVERSATIONS = ("call", "visit")
KEPT_KINDS = ("legal", "agency")
RULE_PREFIX = "table"


def bucket_labels(buckets: Sequence[int]) -> list[str]:
    """``['1-7', '8-30', …, '91+']``: each bucket's DPD range."""
    ends = [f"-{b - 1}" for b in buckets[1:]] + ["+"]
    return [f"{a}{e}" for a, e in zip(buckets, ends, strict=True)]


def channels_by_bucket(spec: OptionSpec, buckets: Sequence[int]) -> list[tuple[str, ...]]:
    """The channels an option sends in each bucket: the entry with the largest first DPD at or below its edge."""
    if not isinstance(spec, Mapping):
        return [tuple(spec)] * len(buckets)
    starts = sorted(spec)
    out = []
    for edge in buckets:
        below = [s for s in starts if s <= edge]
        out.append(tuple(spec[below[-1]]) if below else ())
    return out


def menu_channels(
    options: Mapping[str, OptionSpec], buckets: Sequence[int], sc: Scenario
) -> list[list[tuple[str, ...]]]:
    """Per option (in menu order), per bucket, the channels it sends; every channel must be the scenario's."""
    sends = [channels_by_bucket(spec, buckets) for spec in options.values()]
    unknown = sorted({ch for per_bucket in sends for chans in per_bucket for ch in chans} - set(sc.channels))
    if unknown:
        raise CollectsimError(
            f"options: channel(s) {', '.join(unknown)} not in scenario '{sc.name}' (defined: {', '.join(sc.channels)})"
        )
    return sends


def check_buckets(buckets: Sequence[int]) -> tuple[int, ...]:
    b = tuple(buckets)
    if not b or any(isinstance(x, bool) or not isinstance(x, int) for x in b) or b[0] < 0:
        raise CollectsimError(f"buckets: {list(b)} must be DPD edges, integers ≥ 0")
    if any(y <= x for x, y in itertools.pairwise(b)):
        raise CollectsimError(f"buckets: {list(b)} must be strictly increasing")
    return b


class TablePolicy:
    """Contact by a table of options per (segment, DPD bucket); legal and agency from the ``base`` ladder.

    ``table`` is an integer array with one entry per cell (flat, segment-major, or shaped
    (segments, buckets)) indexing ``options``; ``None`` starts every cell at option 0. It may be
    changed between days with ``set_table`` (``collectsim.gym`` does so every step).
    """

    def __init__(
        self,
        table: Sequence[int] | np.ndarray | None = None,
        *,
        buckets: Sequence[int] = DEFAULT_BUCKETS,
        options: Mapping[str, OptionSpec] = DEFAULT_OPTIONS,
        every_days: Mapping[str, int] = DEFAULT_EVERY,
        base: LadderPolicy | None = None,
    ) -> None:
        if not options:
            raise CollectsimError("options: the menu needs at least one option")
        for ch, days in every_days.items():
            if isinstance(days, bool) or not isinstance(days, int) or days < 1:
                raise CollectsimError(f"every_days: {ch} every {days!r} days; use an integer ≥ 1")
        self.buckets = check_buckets(buckets)
        self.options = dict(options)
        self.option_names = tuple(self.options)
        self.every_days = dict(every_days)
        self.base = base or LadderPolicy()
        self._raw = None if table is None else np.array(table)
        self.table: np.ndarray | None = None

    @property
    def n_options(self) -> int:
        return len(self.option_names)

    def set_table(self, table: Sequence[int] | np.ndarray) -> None:
        """Use ``table`` from the next decision on (checked against the segments and the menu)."""
        if self.table is None:
            raise CollectsimError("set_table: reset the policy first (the run sets its segments)")
        self.table = self._checked(np.asarray(table), self.table.size)

    def _checked(self, table: np.ndarray, cells: int) -> np.ndarray:
        shape = (cells // len(self.buckets), len(self.buckets))
        if table.shape not in ((cells,), shape):
            raise CollectsimError(
                f"table: shape {table.shape} does not fit {shape[0]} segments × {shape[1]} buckets "
                f"(give {cells} entries, flat and segment-major, or shape {shape})"
            )
        if table.dtype.kind not in "iu" and not (table.dtype.kind == "f" and np.all(table == np.round(table))):
            raise CollectsimError(f"table: entries must be option indices (integers), got dtype {table.dtype}")
        flat = table.astype(np.int64).reshape(-1)
        bad = flat[(flat < 0) | (flat >= self.n_options)]
        if bad.size:
            raise CollectsimError(
                f"table: option {int(bad[0])} is not on the menu; use 0 … {self.n_options - 1} "
                f"({', '.join(self.option_names)})"
            )
        return flat

    def reset(self, ctx: PolicyContext) -> None:
        sc = ctx.scenario
        self.base.reset(ctx)
        self._kinds = {k: c.kind for k, c in sc.channels.items()}
        self._sends = menu_channels(self.options, self.buckets, sc)  # option -> bucket -> channels
        self._rules = {f"{RULE_PREFIX}/{o}/{ch}": k for k, o in enumerate(self.option_names) for ch in sc.channels}
        cells = len(ctx.segment_names) * len(self.buckets)
        self.table = np.zeros(cells, dtype=np.int64) if self._raw is None else self._checked(self._raw, cells)
        self._edges = np.asarray(self.buckets)
        used = sorted({ch for per_bucket in self._sends for chans in per_bucket for ch in chans})
        self._last = {ch: np.full(ctx.n_accounts, NEVER, dtype=np.int32) for ch in used}
        self._every = {ch: self.every_days.get(ch, EVERY_DAYS) for ch in used}
        self._talk = {ch for ch in used if self._kinds[ch] in CONVERSATIONS}
        self._recent = sc.policy.recent_days

    def cells(self, view: AccountView, idx: np.ndarray) -> np.ndarray:
        """The cell of each account in ``idx`` (−1 below the first bucket)."""
        bucket = np.searchsorted(self._edges, view.dpd[idx], side="right") - 1
        return np.where(bucket >= 0, view.segment[idx] * len(self.buckets) + bucket, -1)

    def decide(self, day: int, view: AccountView) -> ActionPlan:
        plan = ActionPlan()
        for d in self.base.decide(day, view).dispatches:
            if self._kinds[d.channel] in KEPT_KINDS:
                plan.add(d.channel, d.accounts, d.rule)
        cand = np.flatnonzero(view.in_house & (view.promise_due_day < day) & ~view.legal_active)
        cell = self.cells(view, cand)
        cand, cell = cand[cell >= 0], cell[cell >= 0]
        option = self.table[cell]
        bucket = cell % len(self.buckets)
        for k, name in enumerate(self.option_names):
            for b, channels in enumerate(self._sends[k]):
                idx = cand[(option == k) & (bucket == b)] if channels else cand[:0]
                for ch in channels if idx.size else ():
                    last = self._last[ch]
                    due = idx[day - last[idx] >= self._every[ch]]
                    if ch in self._talk:
                        due = due[day - view.last_rpc_day[due] > self._recent]
                    last[due] = day
                    plan.add(ch, due, f"{RULE_PREFIX}/{name}/{ch}")
        return plan

    def still_due(self, rule: str, accounts: np.ndarray, day: int, view: AccountView) -> np.ndarray:
        """Queued table work stays due while the account's cell holds the option that queued it and nothing
        that stops a send (a pending promise, a court case, a recent conversation for a call) has happened."""
        k = self._rules.get(rule)
        if k is None:
            return self.base.still_due(rule, accounts, day, view)
        cell = self.cells(view, accounts)
        ok = (cell >= 0) & (self.table[np.maximum(cell, 0)] == k)
        ok &= (view.promise_due_day[accounts] < day) & ~view.legal_active[accounts]
        if rule.rsplit("/", 1)[1] in self._talk:
            ok &= day - view.last_rpc_day[accounts] > self._recent
        return ok
