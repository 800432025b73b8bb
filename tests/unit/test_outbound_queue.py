"""OutboundQueue takes work in the order a plain list model of it gives, day after day.

The queue keeps its items in arrays, turns today's ordered list into Python lists only in
stretches as agents reach it, and keeps single late arrivals (work a rule deferred to
another day) in a list until the arrays are next read. The reference here is the rule
itself on Python lists: at each opening the items left, in the order they stand, are
sorted stably by the day's key; agents take from the front (urgent returns first); new
work joins the end in the order it came; leftovers keep their place for the next day.
"""

from __future__ import annotations

import numpy as np

from collectsim.engine.operations.queues import OutboundQueue

N = 5_000


class _ListQueue:
    def __init__(self) -> None:
        self.items: list[tuple[int, int, int, float]] = []  # (account, channel, rule, enqueued at)
        self.today: list[tuple[int, int, int, float]] = []
        self.urgent: list[tuple[int, int, int, float]] = []
        self.pending: set[int] = set()

    def add(self, accounts: list[int], channel: int, rule: int, now: float) -> None:
        for a in accounts:
            if a not in self.pending:
                self.pending.add(a)
                self.items.append((a, channel, rule, now))

    def open(self, key: np.ndarray) -> None:
        self.items = [it for _, _, it in sorted((key[it[0]], k, it) for k, it in enumerate(self.items))]
        self.today, self.items = self.items, []

    def pop(self) -> tuple[int, int, int] | None:
        src = self.urgent if self.urgent else self.today
        if not src:
            return None
        a, c, r, _ = src.pop(0)
        self.pending.discard(a)
        return a, c, r

    def close(self) -> None:
        self.items = self.today + self.items + self.urgent
        self.today, self.urgent = [], []


def test_pop_order_matches_the_list_model_across_days() -> None:
    rng = np.random.default_rng(4)
    q, ref = OutboundQueue(N), _ListQueue()
    taken, expected = [], []
    for day in range(6):
        t = float(day)
        batch = rng.choice(N, size=1_200, replace=False)
        q.enqueue(batch, 1, day, t)
        ref.add(batch.tolist(), 1, day, t)
        key = rng.integers(0, 40, N).astype(float)  # many ties: order among equals is the queue's own
        q.open(day, t + 0.3, lambda acct, enq, key=key: key[acct])
        ref.open(key)
        for k in range(900 + 100 * day):  # past several list stretches
            now = t + 0.3 + k * 1e-4
            if k % 50 == 7:  # a deferred item back today, and one put off to another day
                a, b = (int(x) for x in rng.integers(0, N, 2))
                q.push_urgent(a, 2, 0, now)
                if a not in ref.pending:
                    ref.pending.add(a)
                    ref.urgent.append((a, 2, 0, now))
                q.enqueue_one(b, 3, 0, now)
                ref.add([b], 3, 0, now)
            taken.append(q.pop(now))
            expected.append(ref.pop())
        assert q.waiting == len(ref.today) + len(ref.items) + len(ref.urgent)
        q.close(t + 0.7, expire=False)
        ref.close()
        assert [tuple(map(int, x)) for x in zip(*q.queued(), strict=True)] == [(a, c, r) for a, c, r, _ in ref.items]
    assert taken == expected
    assert sum(x is None for x in taken) == 0


def test_expired_backlog_includes_late_arrivals() -> None:
    q = OutboundQueue(10)
    q.enqueue(np.array([1, 2, 3]), 0, 0, 0.0)
    q.open(0, 0.4, lambda acct, enq: enq)
    assert q.pop(0.4) == (1, 0, 0)
    q.enqueue_one(7, 0, 1, 0.5)
    assert q.waiting == 3
    assert q.close(0.75, expire=True) == 3
    assert q.waiting == 0 and not q.pending.any()
    assert q.total_wait == (0.4 - 0.0) + 2 * (0.75 - 0.0) + (0.75 - 0.5)


def test_late_single_keeps_its_place_before_a_later_batch() -> None:
    q = OutboundQueue(10)
    q.enqueue_one(5, 1, 2, 0.1)
    q.enqueue(np.array([3, 5, 4]), 0, 0, 0.2)
    acct, chan, rule = q.queued()
    assert acct.tolist() == [5, 3, 4] and chan.tolist() == [1, 0, 0] and rule.tolist() == [2, 0, 0]
    assert acct.dtype == np.int64 and chan.dtype == np.int16 and rule.dtype == np.int32


def test_under_contact_windows_the_first_item_whose_window_is_open_is_taken() -> None:
    """Even accounts may be called in [0.3, 0.5), odd ones in [0.4, 0.9): before 0.3 nothing, then evens in order,
    then whichever open group's next item comes first in the day's order; the day's leftovers keep their order."""
    q = OutboundQueue(20)
    q.enqueue(np.arange(10), 0, 0, 0.0)
    groups = np.arange(10) % 2
    q.open(0, 0.25, lambda acct, enq: acct.astype(float), None, None, groups, [[(0.3, 0.5)], [(0.4, 0.9)]])
    assert q.openings(0.25) == [0.3, 0.4] and q.openings(0.45) == []
    assert q.pop(0.25) is None
    assert [q.pop(0.35)[0] for _ in range(2)] == [0, 2]
    assert [q.pop(0.45)[0] for _ in range(3)] == [1, 3, 4]
    assert [q.pop(0.6)[0] for _ in range(3)] == [5, 7, 9]
    assert q.pop(0.6) is None and q.waiting == 2
    assert q.residual_wait(0.6) == 2 * 0.6
    assert q.close(0.95, expire=False) == 2
    assert q.queued()[0].tolist() == [6, 8]


def test_items_a_cap_holds_all_day_keep_their_place_for_the_next_opening() -> None:
    q = OutboundQueue(20)
    q.enqueue(np.array([5, 1, 3, 2]), 0, 0, 0.0)
    held = np.array([False, True, False, True])  # accounts 1 and 2
    q.open(0, 0.3, lambda acct, enq: acct.astype(float), None, held)
    assert q.held_today == 2 and q.due_today == 4 and q.waiting == 4
    assert [q.pop(0.3)[0] for _ in range(2)] == [3, 5] and q.pop(0.3) is None
    assert q.close(0.9, expire=False) == 2
    q.enqueue(np.array([0]), 0, 0, 1.0)
    q.open(1, 1.3, lambda acct, enq: acct.astype(float))
    assert [q.pop(1.3)[0] for _ in range(3)] == [0, 1, 2]
    assert q.total_wait == 0.3 + 0.3 + 1.3 + 1.3 + 0.3


def test_only_an_item_the_picker_gives_is_marked_inside_its_window() -> None:
    """``in_window`` lets the agent's screen skip the hours rules, so it may be true only for an item the picker
    gave while its group's window was open. A deferred item back at the front (``push_urgent``) is not: it may
    be taken after its borrower's window closed (every agent busy until then), and must be screened again."""
    q = OutboundQueue(20)
    q.enqueue(np.arange(4), 0, 0, 0.0)
    q.open(0, 0.25, lambda acct, enq: acct.astype(float), None, None, np.zeros(4, dtype=np.int8), [[(0.3, 0.5)]])
    assert not q.in_window
    assert q.pop(0.35)[0] == 0 and q.in_window
    q.push_urgent(9, 0, 0, 0.45)
    assert q.pop(0.55) == (9, 0, 0) and not q.in_window  # after the window closed
    assert q.pop(0.55) is None
    q.close(0.95, expire=False)
    q.open(1, 1.25, lambda acct, enq: acct.astype(float))  # no windows today: no picker
    assert q.pop(1.3)[0] == 1 and not q.in_window
