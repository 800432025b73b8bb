"""RecentTimes: each account's last k event times in a ring."""

from __future__ import annotations

import numpy as np

from collectsim.engine.contact.intensity import ContactIntensity
from collectsim.engine.contact.recent import RecentTimes


def test_push_one_is_oldest_then_add() -> None:
    """``push_one`` returns the oldest time (the slot the next event takes) and leaves the ring as ``add_one`` would."""
    pushed, added = RecentTimes(3, 3), RecentTimes(3, 3)
    for t in (0.5, 1.0, 2.5, 4.0, 9.0):
        assert pushed.push_one(1, t) == added.ring[1, added.ptr[1]]
        added.add_one(1, t)
        assert np.array_equal(pushed.ring, added.ring) and np.array_equal(pushed.ptr, added.ptr)
    assert pushed.push_one(2, 1.0) == -np.inf  # fewer than k events so far
    none = RecentTimes(2, 0)
    assert none.push_one(0, 3.0) == -np.inf and none.push_one(0, 4.0) == -np.inf  # k = 0 keeps nothing


def test_intensity_flags_four_attempts_within_a_week() -> None:
    """The fourth call inside seven days flags the account; four spread wider do not."""
    ci = ContactIntensity(2, ["call", "message"])
    for t in (0.0, 2.0, 4.0, 6.9):
        ci.record_one(0, 0, t)
    for t in (0.0, 3.0, 6.0, 7.5):
        ci.record_one(0, 1, t)
    assert ci.calls_week.tolist() == [True, False] and ci.any_week.tolist() == [True, False]
    ci.record_one(1, 1, 8.0)  # a message: counted for any channel only (7.5, 6.0, 3.0 and now 8.0)
    assert ci.calls_week.tolist() == [True, False] and ci.any_week.tolist() == [True, True]
    assert ci.called.tolist() == [True, True]


def test_vector_ring_matches_the_scalar_ring() -> None:
    """``oldest``/``add`` on many accounts (one flat index into the ring) read the slot each account's next event
    takes and keep the same ring as ``add_one`` account by account, for several ring sizes, int32 and int64 ids."""
    rng = np.random.default_rng(5)
    for k in (1, 3, 7):
        vec, one = RecentTimes(50, k), RecentTimes(50, k)
        for step in range(40):
            idx = np.sort(rng.choice(50, 12, replace=False)).astype(np.int32 if step % 2 else np.int64)
            t = float(step) + rng.random()
            np.testing.assert_array_equal(vec.oldest(idx), [one.ring[i, one.ptr[i]] for i in idx])
            vec.add(idx, t)
            for i in idx:
                one.add_one(int(i), t)
            np.testing.assert_array_equal(vec.ring, one.ring)
            np.testing.assert_array_equal(vec.ptr, one.ptr)
