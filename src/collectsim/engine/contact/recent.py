"""Each account's last k event times, kept in a ring: the shared piece behind rolling-window rules.

"Is this the (k+1)-th event within w days?" is "is the oldest of the last k events less
than w days ago?", answered in O(1) per event because events arrive in time order.
Conduct caps ("7 calls in 7 days") and the contact-intensity measure ("4 contacts in a
week") both ask it.
"""

from __future__ import annotations

import numpy as np


class RecentTimes:
    def __init__(self, n: int, k: int) -> None:
        self.k = k
        self.ring = np.full((n, max(k, 1)), -np.inf)
        self.ptr = np.zeros(n, dtype=np.int32)
        # The ring as one flat view: account i's slot p is element i × width + p. Reading many accounts' slots
        # by one flat index is ~40% faster than numpy's two-array indexing (a cap checks the whole day's queue).
        self._flat = self.ring.reshape(-1)
        self._width = self.ring.shape[1]

    def _slots(self, idx: np.ndarray) -> np.ndarray:
        """Flat positions of the slot each account's next event takes (holding its oldest time); int64, as
        accounts × slots can pass 2³¹."""
        at = idx * np.int64(self._width)
        at += self.ptr[idx]
        return at

    def oldest(self, idx: np.ndarray) -> np.ndarray:
        """The time of each account's k-th most recent event (−inf if it has had fewer)."""
        return self._flat.take(self._slots(idx))

    def add(self, idx: np.ndarray, t: np.ndarray | float) -> None:
        """An event at ``t`` for each of the distinct accounts ``idx``."""
        if self.k == 0 or idx.size == 0:
            return
        self._flat[self._slots(idx)] = t
        self.ptr[idx] = (self.ptr[idx] + 1) % self.k

    def add_one(self, i: int, t: float) -> None:
        if self.k == 0:
            return
        p = self.ptr.item(i)
        self.ring[i, p] = t
        self.ptr[i] = (p + 1) % self.k

    def push_one(self, i: int, t: float) -> float:
        """The oldest time (as ``oldest``) then ``add_one`` in one step: the event at ``t`` takes the oldest's slot
        in the ring, so the slot is found once (the contact-intensity check asks this on every team attempt)."""
        p = self.ptr.item(i)
        oldest = self.ring.item(i, p)
        if self.k:
            self.ring[i, p] = t
            self.ptr[i] = (p + 1) % self.k
        return oldest
