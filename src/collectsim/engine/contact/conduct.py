"""Conduct rules applied to every action: enforce (block or defer) or audit (count violations).

Rules are evaluated for many accounts at once for automated sends and for one
account at a time for team work; both paths share the same per-rule state
(rolling-window rings for caps, conversation times for cool-offs, refusal and
dispute flags). Each block, deferral or violation is tallied by the rule's name.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable

import numpy as np

from collectsim.engine.accounts.state import AccountState
from collectsim.engine.contact.outcomes import NO_ANSWER, RIGHT_PARTY
from collectsim.engine.contact.recent import RecentTimes
from collectsim.scenario.conduct import Cap, CoolOff, Crew, Forbearance, Hours, Stop
from collectsim.scenario.rulebooks import rulebook
from collectsim.scenario.schema import Scenario

CONVERSATIONS = ("call", "visit")


class _CapState:
    """A cap's state: the times of each account's last ``max`` counted actions; the oldest decides."""

    def __init__(self, rule: Cap, n: int) -> None:
        self.rule = rule
        self.times = RecentTimes(n, rule.max)
        self.full_one = self._make_full_one()

    def full(self, idx: np.ndarray, now: np.ndarray | float) -> np.ndarray:
        if self.rule.max == 0:
            return np.ones(idx.size, dtype=bool)
        return now - self.times.oldest(idx) < self.rule.window_days

    def _make_full_one(self) -> Callable[[int, float], bool]:
        """``full`` for one account (the check on every team attempt): a closure over the ring, which saves
        the attribute lookups and a call of a method (~0.4 → 0.25 µs)."""
        if self.rule.max == 0:
            return lambda i, now: True
        ring, ptr, window = self.times.ring, self.times.ptr, self.rule.window_days
        return lambda i, now: now - ring.item(i, ptr.item(i)) < window


def _offsets_by_account(by_segment: np.ndarray, segment: np.ndarray) -> list[float]:
    """Each account's UTC offset (days) as a Python float, for the scalar hours check (``screen_one``).

    The accounts of a segment share one float object: ``offset.tolist()`` made a million distinct floats
    at 1M accounts (32 MB rather than the list's 8 MB, issue 15). Same values as ``by_segment[segment]``.
    """
    floats = by_segment.tolist()
    return [floats[k] for k in segment.tolist()]


class ConductRules:
    def __init__(self, sc: Scenario, state: AccountState, channel_names: list[str], kinds: list[str]) -> None:
        self.s = state
        self.audit = sc.conduct.mode == "audit"
        self.hold_days = sc.conduct.dispute_hold_days
        self.rules = rulebook(sc.conduct)
        self.kinds = kinds
        n = state.n
        offsets = np.array([seg.utc_offset_h for seg in sc.population.segments.values()]) / 24.0
        self.offset = offsets[state.pop.segment]
        self.conv_time = np.full(n, -np.inf)
        self.refused = np.zeros(n, dtype=bool)
        self.dispute_until = np.full(n, -np.inf)
        self.blocked: Counter[str] = Counter()
        self.deferred: Counter[str] = Counter()
        self.violations: Counter[str] = Counter()
        self.caps = [_CapState(c, n) for c in self.rules.caps]
        # Which rules apply to each channel id.
        self._applies: list[list[object]] = []
        for cid, name in enumerate(channel_names):
            kind = kinds[cid]
            rules: list[object] = [c for c in self.caps if kind in c.rule.kinds or name in c.rule.channels]
            rules += [r for r in (*self.rules.hours, *self.rules.cool_offs, *self.rules.stops) if kind in r.kinds]
            if kind == "legal":
                rules += list(self.rules.forbearance)
            self._applies.append(rules)
        self.crew = max((c.min_collectors for c in self.rules.crews), default=1)
        self.crew_rules: list[Crew] = list(self.rules.crews)
        self.active = bool(self.rules.all())
        self._offset_list = _offsets_by_account(offsets, state.pop.segment) if self.rules.hours else []
        self._checks_one = [[self._check_one(r) for r in rules] for rules in self._applies]
        self._tests_one = [[violates for _, violates, _ in checks] for checks in self._checks_one]
        # The same without the hours tests, for an item the dial list gave inside its borrower's window: the
        # window is the intersection of the channel's hours rules, a hair inside each end (``_windows``).
        self._tests_in_window = [
            [violates for (_, violates, _), rule in zip(checks, rules, strict=True) if not isinstance(rule, Hours)]
            for checks, rules in zip(self._checks_one, self._applies, strict=True)
        ]
        # Per channel: its caps (for ``held_today``) and how ``record_one`` counts an attempt towards them.
        self._caps_of = [[r for r in rs if isinstance(r, _CapState)] for rs in self._applies]
        self._counters_one = [[self._counter_one(c) for c in caps] for caps in self._caps_of]
        self._conversation = [k in CONVERSATIONS for k in kinds]
        self._crew_counted = [k == "visit" and self.audit for k in kinds]
        # Team work under hours rules: each borrower's time zone, and each channel's local window (the
        # intersection of the hours rules that apply to it; index 0, always open, where none does).
        # An item's group is zone × spans + span, in the smallest integer type that holds every group: the day's
        # list is gathered from these per account (a small type is fewer cache misses) and then sorted by group
        # (numpy's stable sort of 8- or 16-bit keys is a radix sort, ~5× faster).
        zone_offsets, zone = np.unique(offsets, return_inverse=True)
        self._zone_offsets = zone_offsets.tolist()
        spans = [self._local_window(cid) for cid in range(len(channel_names))]
        self._spans = [None, *sorted({s for s in spans if s is not None})]
        group = np.min_scalar_type(len(self._zone_offsets) * len(self._spans))
        self._group_base = (zone * len(self._spans)).astype(group)[state.pop.segment]
        self._span_of = np.array([self._spans.index(s) for s in spans], dtype=group)

    def _local_window(self, cid: int) -> tuple[float, float] | None:
        """The local hours (from, to) in which every hours rule of channel ``cid`` allows contact (None: no rule)."""
        hours = [r for r in self._applies[cid] if isinstance(r, Hours)]
        if not hours:
            return None
        return max(r.start for r in hours), min(r.end for r in hours)

    # --- checks ----------------------------------------------------------------------------------------------

    def _violates(self, rule: object, idx: np.ndarray, now: np.ndarray) -> np.ndarray:
        if isinstance(rule, _CapState):
            return rule.full(idx, now)
        if isinstance(rule, Hours):
            hour = ((now + self.offset[idx]) % 1.0) * 24.0
            return (hour < rule.start) | (hour >= rule.end)
        if isinstance(rule, CoolOff):
            conv = self.conv_time[idx]
            return (now > conv) & (np.floor(now) - np.floor(conv) < rule.days)
        if isinstance(rule, Stop):
            return self.refused[idx] if rule.on == "refusal" else self.dispute_until[idx] > now
        if isinstance(rule, Forbearance):
            return ~self.s.offered[idx]
        raise TypeError(rule)

    @staticmethod
    def _name(rule: object) -> str:
        return rule.rule.name if isinstance(rule, _CapState) else rule.name

    def screen(self, cid: int, idx: np.ndarray, now: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
        """(allowed, deferrable) masks for an action of channel ``cid`` on ``idx`` at ``now``.

        In enforce mode a blocked action is deferrable when only hours, caps or cool-offs
        stopped it (it may be allowed later); in audit mode everything is allowed and each
        breach is counted.
        """
        allowed = np.ones(idx.size, dtype=bool)
        deferrable = np.ones(idx.size, dtype=bool)
        rules = self._applies[cid]
        self._first = np.full(idx.size, -1)
        self._first_rules = rules
        if not rules or idx.size == 0:
            return allowed, np.zeros(idx.size, dtype=bool)
        now = np.broadcast_to(np.asarray(now, dtype=float), idx.shape)
        for k, rule in enumerate(rules):
            hit = self._violates(rule, idx, now)
            if self.audit:
                self.violations[self._name(rule)] += int(hit.sum())
                continue
            self._first[hit & allowed] = k
            allowed &= ~hit
            if isinstance(rule, Stop | Forbearance):
                deferrable &= ~hit
        return allowed, deferrable & ~allowed

    def settle(self, deferred: np.ndarray) -> None:
        """Tally the last ``screen``: each stopped action under its first rule, as deferred or blocked."""
        stopped = self._first >= 0
        for k in np.unique(self._first[stopped]):
            name = self._name(self._first_rules[k])
            mine = self._first == k
            self.deferred[name] += int((mine & deferred).sum())
            self.blocked[name] += int((mine & ~deferred).sum())

    def screen_one(self, cid: int, i: int, now: float, in_window: bool = False) -> tuple[bool, bool]:
        """Scalar twin of ``screen`` for team work (the hot path); a stopped item is tallied here:
        deferred (it goes back to the queue) unless a stop or forbearance rule blocks it for good.

        ``in_window``: the dial list gave the item inside its borrower's contact window, so the hours rules
        allow it and are not asked (``us_ma`` at 100k accounts: 0.24 G fewer instructions, 5% of its cost over
        no rules)."""
        for violates in (self._tests_in_window if in_window else self._tests_one)[cid]:
            if violates(i, now):
                return self._stopped_one(cid, i, now)
        return True, False

    def _stopped_one(self, cid: int, i: int, now: float) -> tuple[bool, bool]:
        """``screen_one`` of an item some rule stops: every rule asked in order (the tests are pure), so the first
        is tallied, a later final rule makes it a block, and audit mode counts each breach."""
        allowed, deferrable, first = True, True, None
        for name, violates, final in self._checks_one[cid]:
            if not violates(i, now):
                continue
            if self.audit:
                self.violations[name] += 1
                continue
            if allowed:
                first = name
                allowed = False
            if final:
                deferrable = False
        if first is not None:
            (self.deferred if deferrable else self.blocked)[first] += 1
        return allowed, deferrable and not allowed

    def _check_one(self, rule: object) -> tuple[str, Callable[[int, float], bool], bool]:
        """(name, violates(i, now), final) of one rule for ``screen_one``: the rule's test bound once,
        so the hot path does no type dispatch; ``final`` marks rules that block for good (no deferral)."""
        if isinstance(rule, _CapState):
            return rule.rule.name, rule.full_one, False
        if isinstance(rule, Hours):
            offset, start, end = self._offset_list, rule.start, rule.end

            def outside(i: int, now: float) -> bool:
                hour = ((now + offset[i]) % 1.0) * 24.0
                return hour < start or hour >= end

            return rule.name, outside, False
        if isinstance(rule, CoolOff):
            conv_time, days = self.conv_time, rule.days

            def cooling(i: int, now: float) -> bool:
                conv = conv_time.item(i)
                return math.isfinite(conv) and now > conv and math.floor(now) - math.floor(conv) < days

            return rule.name, cooling, False
        if isinstance(rule, Stop):
            refused, dispute_until = self.refused, self.dispute_until
            if rule.on == "refusal":
                return rule.name, lambda i, now: refused.item(i), True
            return rule.name, lambda i, now: dispute_until.item(i) > now, True
        offered = self.s.offered
        return self._name(rule), lambda i, now: not offered.item(i), True

    # --- team work lists ------------------------------------------------------------------------------------

    def held_today(self, idx: np.ndarray, chan: np.ndarray, now: float) -> np.ndarray:
        """Team items (accounts ``idx`` on channel ids ``chan``) that a cap stops when the day's list is made at
        ``now``: not dialled today, as a compliance screen suppresses an account at its cap when the list is
        built; they wait in their queue for the next opening, each tallied once as a deferral under its first
        such cap."""
        held = np.zeros(idx.size, dtype=bool)
        if self.audit or not self.caps or idx.size == 0:
            return held
        for cid, caps in enumerate(self._caps_of):
            sel = np.flatnonzero(chan == cid) if caps else None
            if sel is None or sel.size == 0:
                continue
            for cap in caps:
                hit = sel[cap.full(idx[sel], now)]
                new = hit[~held[hit]]
                held[new] = True
                self.deferred[cap.rule.name] += int(new.size)
        return held

    def dial_groups(self, idx: np.ndarray, chan: np.ndarray, day: int) -> tuple[np.ndarray, list] | None:
        """Team items grouped by when today their borrower may be called: (group of each item, per group its
        windows today in run time). A group is a time zone and a channel's local window; None without hours
        rules (in audit mode too: nothing is stopped)."""
        if self.audit or not self.rules.hours:
            return None
        windows = [self._windows(day, o, s) for o in self._zone_offsets for s in self._spans]
        return self._group_base[idx] + self._span_of[chan], windows

    @staticmethod
    def _windows(day: int, offset: float, span: tuple[float, float] | None) -> list[tuple[float, float]]:
        """Run-time intervals of ``day`` inside the local window ``span`` of a borrower ``offset`` days from run
        time; a hair inside each end, so the hours check at a window's edge never sees it closed."""
        if span is None:
            return [(-math.inf, math.inf)]
        out = []
        for local_day in (day - 1, day, day + 1):
            lo = max(float(day), local_day + span[0] / 24.0 - offset + 1e-7)
            hi = min(day + 1.0, local_day + span[1] / 24.0 - offset - 1e-7)
            if lo < hi:
                out.append((lo, hi))
        return out

    # --- what happened ---------------------------------------------------------------------------------------

    def record(self, cid: int, idx: np.ndarray, outcome: np.ndarray, now: np.ndarray | float) -> None:
        """Count performed actions towards caps; note conversations for cool-offs."""
        if not self.active or idx.size == 0:
            return
        now = np.broadcast_to(np.asarray(now, dtype=float), idx.shape)
        for cap in self._applies[cid]:
            if not isinstance(cap, _CapState):
                continue
            counts = cap.rule.counts
            sel = (
                np.ones(idx.size, dtype=bool)
                if counts == "attempts"
                else outcome == (RIGHT_PARTY if counts == "connected" else NO_ANSWER)
            )
            cap.times.add(idx[sel], now[sel])
        if self.kinds[cid] in CONVERSATIONS:
            rpc = outcome == RIGHT_PARTY
            self.conv_time[idx[rpc]] = now[rpc]
        if self.kinds[cid] == "visit" and self.audit:
            for crew in self.crew_rules:
                self.violations[crew.name] += idx.size

    @staticmethod
    def _counter_one(cap: _CapState) -> tuple[Callable[[int, float], None], int | None]:
        """How ``record_one`` counts an attempt towards a cap: the ring's ``add_one``, and the outcome the cap
        counts (None: any attempt)."""
        counts = cap.rule.counts
        want = None if counts == "attempts" else RIGHT_PARTY if counts == "connected" else NO_ANSWER
        return cap.times.add_one, want

    def record_one(self, cid: int, i: int, outcome: int, now: float) -> None:
        """Scalar twin of ``record``."""
        for add_one, want in self._counters_one[cid]:
            if want is None or outcome == want:
                add_one(i, now)
        if outcome == RIGHT_PARTY and self._conversation[cid]:
            self.conv_time[i] = now
        if self._crew_counted[cid]:
            for crew in self.crew_rules:
                self.violations[crew.name] += 1

    def refuse(self, idx: np.ndarray) -> None:
        self.refused[idx] = True

    def dispute(self, idx: np.ndarray, now: float) -> None:
        self.dispute_until[idx] = now + self.hold_days

    def crew_factor(self) -> int:
        """How many collectors a visit ties up (enforce mode); audit lets one go alone."""
        return 1 if self.audit else self.crew

    def next_allowed_time(self, idx: np.ndarray, now: float, latest: float) -> np.ndarray:
        """Earliest time today, not before ``now`` nor after ``latest``, inside every hours rule (NaN if none)."""
        t = np.full(idx.size, now)
        for rule in self.rules.hours:
            # A hair past the opening, so rounding never lands the time just before it.
            local_start = math.floor(now) + rule.start / 24.0 - self.offset[idx] + 1e-7
            t = np.maximum(t, local_start)
        ok = t <= latest
        for rule in self.rules.hours:
            hour = ((t + self.offset[idx]) % 1.0) * 24.0
            ok &= (hour >= rule.start) & (hour < rule.end)
        return np.where(ok, t, np.nan)

    def next_allowed_one(self, i: int, now: float, latest: float) -> float:
        """Scalar twin of ``next_allowed_time`` for one account (a deferred team item), same float steps."""
        t = now
        offset = float(self.offset[i])
        for rule in self.rules.hours:
            t = max(t, math.floor(now) + rule.start / 24.0 - offset + 1e-7)
        if not t <= latest:
            return math.nan
        for rule in self.rules.hours:
            hour = ((t + offset) % 1.0) * 24.0
            if not rule.start <= hour < rule.end:
                return math.nan
        return t
