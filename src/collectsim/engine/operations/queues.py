"""Work queues of a team: the outbound work list and the inbound call queue.

Outbound items (one per account per team) arrive in daily batches from the policy,
are ordered once a day by the priority rule, and are taken in that order. An item
remembers the rule that queued it: when the queue opens each day, items whose rule
no longer applies are *voided* (an account that cured, was placed, left the stage, or
whose call today belongs to a team of higher precedence), and the agent checks again
when it takes one. Every item the day started with ends the day done, voided or left
over, so done ≤ due − voided always holds.

Under contact-hours rules the day's list is split by the borrower's contact window (time
zone and the hours of the item's channel): an agent takes the first item, in the day's order,
whose borrower may be called now, as a dialer skips numbers outside their hours and comes back
to them when the window opens. Items a cap stops when the list is made wait in the queue, in
their place, for the next opening.

Inbound calls queue first-come first-served and are answered before outbound work.
Both queues keep an exact time-weighted length and the total time items spent
waiting, so Little's law (∫Q dt = Σ waits) can be checked on every queue.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections import deque
from collections.abc import Callable, Iterable, Iterator

import numpy as np

from collectsim.engine.operations.timeweighted import TimeWeighted

PriorityKey = Callable[[np.ndarray, np.ndarray], np.ndarray]
Windows = list[list[tuple[float, float]]]  # per group, today's [from, to) intervals in run time


Item = tuple[int, int, int, int, float]  # (position in today's list, account, channel, rule, enqueue time)


class _Stretches:
    """One group's items, read front to back, turned into Python tuples in growing stretches (a carried backlog
    is long and agents reach only its front). ``head`` is the next item (None: none left) and ``step`` moves it
    on: both are plain attributes, so the picker reads them with no method call in between. An item leads with
    its position, which is unique, so comparing two items compares their places in the day's order."""

    __slots__ = ("head", "step")

    def __init__(self, positions: np.ndarray, columns: tuple[np.ndarray, ...]) -> None:
        self.step = itertools.chain.from_iterable(self._pieces(positions, columns)).__next__
        self.head = self.step()

    @staticmethod
    def _pieces(positions: np.ndarray, columns: tuple[np.ndarray, ...]) -> Iterator[Iterable[Item | None]]:
        size, at = 256, 0
        while at < positions.size:
            part = positions[at : at + size]
            yield zip(part.tolist(), *(c[part].tolist() for c in columns), strict=True)
            at += size
            size *= 2
        yield [None]


class _WindowPicker:
    """Today's list split into groups by contact window: the next item is the earliest in the day's order
    among the groups whose window is open now. Which groups are open changes only at a window's edge, so the
    open set is kept until the next edge."""

    def __init__(self, groups: np.ndarray, windows: Windows, columns: tuple[np.ndarray, ...]) -> None:
        """``groups`` holds one window group per item of today's list (held items excluded); ``columns`` are the
        queue's whole item arrays (accounts, channels, rules, enqueue times), of which only the first
        ``groups.size`` are read."""
        order = np.argsort(groups, kind="stable")  # positions grouped, each group in the day's order
        bounds = np.concatenate(([0], np.cumsum(np.bincount(groups, minlength=len(windows)))))
        self._groups = [
            (_Stretches(order[bounds[g] : bounds[g + 1]], columns), windows[g])
            for g in range(len(windows))
            if bounds[g + 1] > bounds[g]
        ]
        self._edges = sorted({e for _, w in self._groups for iv in w for e in iv if math.isfinite(e)})
        self._until = -math.inf  # the next window edge: ``_open`` holds until then (agents' time only moves on)
        self._open: list[_Stretches] = []

    def _reopen(self, now: float) -> None:
        """The groups open at ``now``, and the next window edge, up to which they stay so."""
        k = bisect.bisect_right(self._edges, now)
        self._until = self._edges[k] if k < len(self._edges) else math.inf
        self._open = [items for items, windows in self._groups if any(lo <= now < hi for lo, hi in windows)]

    def pick(self, now: float) -> Item | None:
        if now >= self._until:
            self._reopen(now)
        best, first = None, None
        for items in self._open:
            head = items.head
            if head is not None and (first is None or head < first):
                best, first = items, head
        if best is None:
            return None
        best.head = best.step()
        return first

    def openings(self, now: float) -> list[float]:
        """When windows of groups with items open later than ``now``."""
        return sorted({lo for _, windows in self._groups for lo, _ in windows if lo > now})


class OutboundQueue:
    def __init__(self, n_accounts: int) -> None:
        self.pending = np.zeros(n_accounts, dtype=bool)
        self._acct = np.empty(0, dtype=np.int64)
        self._chan = np.empty(0, dtype=np.int16)
        self._rule = np.empty(0, dtype=np.int32)
        self._enq = np.empty(0, dtype=np.float64)
        self._ptr = 0
        self._today = 0  # items [0, _today) of the arrays are today's ordered work list
        self._lists: tuple[list, list, list, list] = ([], [], [], [])  # items [_from, _from + len) as lists
        self._from = 0
        self.open_day = -1
        self.length = TimeWeighted()
        self.arrivals = 0
        self.total_wait = 0.0
        self.due_today = 0
        self.done_today = 0
        self.voided_today = 0
        self.voided = 0
        self._urgent: deque[tuple[int, int, int, float]] = deque()
        self._late: list[tuple[int, int, int, float]] = []
        self._picker: _WindowPicker | None = None  # today's list by contact window, under hours rules
        self._gone = np.zeros(0, dtype=bool)  # with a picker: the positions taken today
        self._ntaken = 0
        self.held_today = 0
        self.in_window = False  # the item ``pop`` just gave came from the picker, inside its contact window

    @property
    def waiting(self) -> int:
        return self._acct.size - self._ptr - self._ntaken + len(self._urgent) + len(self._late)

    def push_urgent(self, account: int, channel: int, rule: int, now: float) -> None:
        """Work that a rule deferred to later today: taken before the rest of today's list."""
        if self.pending[account]:
            return
        self.pending[account] = True
        self._urgent.append((account, channel, rule, now))
        self.arrivals += 1
        self.length.update(now, self.waiting)

    def enqueue_one(self, account: int, channel: int, rule: int, now: float) -> None:
        """``enqueue`` for one account (work a rule deferred to another day).

        Kept in a list until the arrays are next read: appending one item to the arrays
        copied the whole backlog each time, quadratic under a cap that defers thousands a day.
        """
        if self.pending[account]:
            return
        self.pending[account] = True
        self._late.append((account, channel, rule, now))
        self.arrivals += 1
        self.length.update(now, self.waiting)

    def _settle_late(self) -> None:
        """Append the items of ``enqueue_one`` to the arrays, in the order they came."""
        if not self._late:
            return
        acct, chan, rule, enq = zip(*self._late, strict=True)
        self._late.clear()
        self._acct = np.concatenate([self._acct, np.array(acct, dtype=np.int64)])
        self._chan = np.concatenate([self._chan, np.array(chan, dtype=np.int16)])
        self._rule = np.concatenate([self._rule, np.array(rule, dtype=np.int32)])
        self._enq = np.concatenate([self._enq, np.array(enq, dtype=np.float64)])

    def enqueue(self, accounts: np.ndarray, channel: int, rule: int, now: float) -> None:
        """Add work for accounts not already waiting for this team (taken from the next opening on)."""
        new = accounts[~self.pending[accounts]]
        if new.size == 0:
            return
        self._settle_late()
        self.pending[new] = True
        self._acct = np.concatenate([self._acct, new])
        self._chan = np.concatenate([self._chan, np.full(new.size, channel, dtype=np.int16)])
        self._rule = np.concatenate([self._rule, np.full(new.size, rule, dtype=np.int32)])
        self._enq = np.concatenate([self._enq, np.full(new.size, now)])
        self.arrivals += int(new.size)
        self.length.update(now, self.waiting)

    def queued(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The items the next opening starts with: (accounts, channel ids, rule ids)."""
        self._settle_late()
        rest = slice(self._ptr, None)
        return self._acct[rest], self._chan[rest], self._rule[rest]

    def open(
        self,
        day: int,
        now: float,
        key: PriorityKey,
        wanted: np.ndarray | None = None,
        held: np.ndarray | None = None,
        groups: np.ndarray | None = None,
        windows: Windows | None = None,
    ) -> None:
        """Void the items not ``wanted`` (a mask over ``queued()``; None keeps all), then order today's work by the
        priority rule (smallest key first, ties by arrival). Items ``held`` (a cap stops them) stay queued
        for the next opening; with ``groups`` (per item) and their ``windows``, an item is taken only inside its
        group's window."""
        self._settle_late()
        rest = slice(self._ptr, None)
        self._acct, self._chan, self._rule, self._enq = (
            a[rest] for a in (self._acct, self._chan, self._rule, self._enq)
        )
        self._ptr = 0
        self.due_today = self._acct.size
        self.voided_today = 0
        acct, enq, kept = self._acct, self._enq, None
        if wanted is not None and acct.size and not wanted.all():
            self._void_unwanted(wanted, now)
            kept = np.flatnonzero(wanted)
            acct, enq = acct[kept], enq[kept]
            held = None if held is None else held[wanted]
            groups = None if groups is None else groups[wanted]
        order = np.argsort(key(acct, enq), kind="stable")
        if held is not None and held.any():
            held_in_order = held[order]
            order = np.concatenate([order[~held_in_order], order[held_in_order]])  # held ones after today's
            self.held_today = int(held.sum())
        else:
            self.held_today = 0
        if groups is not None:
            groups = groups[order]
        # One gather of the item arrays drops the voided items and orders the rest.
        pick = order if kept is None else kept[order]
        self._acct, self._chan, self._rule, self._enq = (
            a[pick] for a in (self._acct, self._chan, self._rule, self._enq)
        )
        if kept is not None:
            self.length.update(now, self.waiting)
        self._today = self._acct.size - self.held_today
        self._picker = None
        if groups is not None and windows is not None:
            columns = (self._acct, self._chan, self._rule, self._enq)
            self._picker = _WindowPicker(groups[: self._today], windows, columns)
            self._gone = np.zeros(self._today, dtype=bool)
        self._ntaken = 0
        self.in_window = False
        self._unlist()
        self.open_day = day
        self.done_today = 0

    def openings(self, now: float) -> list[float]:
        """When contact windows with work in them open later today (none without hours rules)."""
        return [] if self._picker is None else self._picker.openings(now)

    def _void_unwanted(self, wanted: np.ndarray, now: float) -> None:
        """The items not ``wanted`` leave the queue now: counted as voided, their waiting time ends."""
        gone = ~wanted
        self.pending[self._acct[gone]] = False
        self.total_wait += float(np.sum(now - self._enq[gone]))
        self.voided_today = int(gone.sum())
        self.voided += self.voided_today

    def done(self) -> None:
        """The item just taken was worked."""
        self.done_today += 1

    def void(self) -> None:
        """The item just taken no longer applied: neither done nor left for capacity."""
        self.voided_today += 1
        self.voided += 1

    def pop(self, now: float) -> tuple[int, int, int] | None:
        if self._urgent:
            self.in_window = False
            acct, chan, rule, enq = self._urgent.popleft()
            return self._taken(acct, chan, rule, enq, now)
        if self._picker is not None:
            item = self._picker.pick(now)
            if item is None:
                return None
            p, acct, chan, rule, enq = item
            self.in_window = True
            self._gone[p] = True
            self._ntaken += 1
            return self._taken(acct, chan, rule, enq, now)
        k = self._ptr
        if k >= self._today:
            return None
        self._ptr = k + 1
        j = k - self._from
        if j >= len(self._lists[0]):
            self._list_from(k)
            j = 0
        accts, chans, rules, enqs = self._lists
        return self._taken(accts[j], chans[j], rules[j], enqs[j], now)

    def _list_from(self, k: int) -> None:
        """Turn the next stretch of today's list, from item ``k``, into Python lists for ``pop``.

        Agents take a small part of a long carried backlog each day, so the list is converted
        in stretches as they reach it (each twice the last, from 256), never all of it.
        """
        size = max(256, 2 * len(self._lists[0]))
        part = slice(k, min(k + size, self._today))
        self._lists = (
            self._acct[part].tolist(),
            self._chan[part].tolist(),
            self._rule[part].tolist(),
            self._enq[part].tolist(),
        )
        self._from = k

    def _unlist(self) -> None:
        self._lists = ([], [], [], [])
        self._from = self._ptr

    def _taken(self, acct: int, chan: int, rule: int, enq: float, now: float) -> tuple[int, int, int]:
        self.pending[acct] = False
        self.total_wait += now - enq
        self.length.update(now, self.waiting)
        return acct, chan, rule

    def _compact(self) -> None:
        """Drop the items a picker took today from the arrays (the rest keep their order)."""
        if self._picker is None:
            return
        keep = np.concatenate([~self._gone, np.ones(self._acct.size - self._gone.size, dtype=bool)])
        self._acct, self._chan, self._rule, self._enq = (
            a[keep] for a in (self._acct, self._chan, self._rule, self._enq)
        )
        self._picker, self._gone, self._ntaken = None, np.zeros(0, dtype=bool), 0

    def close(self, now: float, expire: bool) -> int:
        """End of the working day: leftovers are carried (returned count) or dropped."""
        self._settle_late()
        self._compact()
        if self._urgent:
            acct, chan, rule, enq = (np.array(col) for col in zip(*self._urgent, strict=True))
            self._urgent.clear()
            self._acct = np.concatenate([self._acct, acct.astype(np.int64)])
            self._chan = np.concatenate([self._chan, chan.astype(np.int16)])
            self._rule = np.concatenate([self._rule, rule.astype(np.int32)])
            self._enq = np.concatenate([self._enq, enq.astype(np.float64)])
        left = self.waiting
        if expire and left:
            rest = slice(self._ptr, None)
            self.pending[self._acct[rest]] = False
            self.total_wait += float(np.sum(now - self._enq[rest]))
            self._ptr = self._acct.size
            self.length.update(now, 0)
        self._today = self._ptr
        self._unlist()
        self.open_day = -1
        return left

    def residual_wait(self, now: float) -> float:
        """Waiting time so far of items still queued at ``now`` (for Little's law at the horizon)."""
        self._settle_late()
        enq = self._enq[self._ptr :]
        if self._picker is not None:
            enq = enq[np.concatenate([~self._gone, np.ones(enq.size - self._gone.size, dtype=bool)])]
        return float(np.sum(now - enq))


class InboundQueue:
    """First-come first-served inbound calls; waits recorded when answered."""

    def __init__(self) -> None:
        self._calls: deque[tuple[float, int, int]] = deque()
        self.length = TimeWeighted()
        self.arrivals = 0
        self.total_wait = 0.0
        self.waits: list[float] = []
        self.answered_at: list[float] = []

    def __len__(self) -> int:
        return len(self._calls)

    def arrive(self, now: float, account: int, channel: int) -> None:
        self._calls.append((now, account, channel))
        self.arrivals += 1
        self.length.update(now, len(self._calls))

    def pop(self, now: float) -> tuple[int, int] | None:
        if not self._calls:
            return None
        t, account, channel = self._calls.popleft()
        wait = now - t
        self.total_wait += wait
        self.waits.append(wait)
        self.answered_at.append(now)
        self.length.update(now, len(self._calls))
        return account, channel

    def residual_wait(self, now: float) -> float:
        return sum(now - t for t, _, _ in self._calls)
