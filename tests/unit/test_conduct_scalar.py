"""The scalar conduct checks of team work give what the vectorised ones give, account by account.

Team attempts are screened one at a time (``screen_one``, with each rule's test bound once)
and deferred ones get their return time from ``next_allowed_one``; automated sends use the
vectorised ``screen`` and ``next_allowed_time``. Both must agree exactly, float for float,
on every rule of every shipped rulebook.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import collectsim as cs
from collectsim.engine.contact.conduct import ConductRules
from collectsim.engine.daily.loop import Simulation
from collectsim.policy.ladder import LadderPolicy
from collectsim.scenario.rulebooks import PRESETS

NO_RULES = Path(__file__).resolve().parents[2] / "scenarios" / "conduct_none.toml"
N = 300


def _rules(preset: str, mode: str = "enforce", **extra: object) -> ConductRules:
    over = {"population.accounts": N, "conduct.presets": [preset], "conduct.mode": mode, **extra}
    sc = cs.load_scenario(NO_RULES, over)
    sim = Simulation(sc, 3, LadderPolicy(), record_events=False, check_invariants=False, progress=None)
    c, rng = sim.conduct, np.random.default_rng(5)
    # A mixed history: conversations, refusals, disputes, offers and capped actions at varied times.
    c.conv_time[:] = np.where(rng.random(N) < 0.5, rng.uniform(0, 10, N), -np.inf)
    c.refused[:] = rng.random(N) < 0.1
    c.dispute_until[:] = np.where(rng.random(N) < 0.2, rng.uniform(0, 12, N), -np.inf)
    c.s.offered[:] = rng.random(N) < 0.5
    for cap in c.caps:
        for _ in range(cap.rule.max + 1):
            some = np.flatnonzero(rng.random(N) < 0.6)
            cap.times.add(some, rng.uniform(0, 10, some.size))
    return c


@pytest.mark.parametrize("mode", ["enforce", "audit"])
@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_screen_one_agrees_with_screen(preset: str, mode: str) -> None:
    c = _rules(preset, mode)
    rng = np.random.default_rng(11)
    for cid in range(len(c.kinds)):
        idx = np.arange(N)
        now = float(rng.uniform(5, 12))
        allowed, deferrable = c.screen(cid, idx, now)
        c.settle(np.zeros(N, dtype=bool) if mode == "audit" else deferrable)
        tallies = (Counter(c.blocked), Counter(c.deferred), Counter(c.violations))
        for k in (c.blocked, c.deferred, c.violations):
            k.clear()
        one = [c.screen_one(cid, i, now) for i in range(N)]
        assert [a for a, _ in one] == allowed.tolist()
        assert [d for _, d in one] == deferrable.tolist()
        assert (Counter(c.blocked), Counter(c.deferred), Counter(c.violations)) == tallies
        for k in (c.blocked, c.deferred, c.violations):
            k.clear()


@pytest.mark.parametrize("preset", sorted(p for p in PRESETS if PRESETS[p].hours))
def test_next_allowed_one_agrees_with_next_allowed_time(preset: str) -> None:
    c = _rules(preset)
    c.offset[:] = np.random.default_rng(2).choice([-0.25, -0.125, 0.0, 1 / 24], N)
    seen = []
    for now in (3.1, 3.3, 3.4583, 3.7, 3.95):
        latest = math.floor(now) + 17 / 24
        vec = c.next_allowed_time(np.arange(N), now, latest)
        one = np.array([c.next_allowed_one(i, now, latest) for i in range(N)])
        np.testing.assert_array_equal(one, vec)  # NaN where no time today, bit-equal floats elsewhere
        seen.append(vec)
    assert np.isnan(seen).any() and not np.isnan(seen).all()


NARROW = {"conduct.rules.hours": [{"name": "narrow_10_18", "start": 10, "end": 18, "kinds": ["call"]}]}


@pytest.mark.parametrize("preset,extra", [(p, {}) for p in sorted(PRESETS)] + [("us_reg_f", NARROW)])
def test_a_team_list_holds_what_a_cap_stops_and_groups_by_the_hours(preset: str, extra: dict) -> None:
    """Held: exactly the items a cap stops when the list is made (each tallied once as deferred); grouped: each
    item's windows are where its channel's hours rules (all of them: Reg F's and a narrower one on calls), as the
    scalar check reads them, allow contact, probed across the day."""
    c = _rules(preset, **extra)
    rng = np.random.default_rng(8)
    chan = rng.integers(0, len(c.kinds), N).astype(np.int16)
    idx = np.arange(N)
    day, now = 8, 8.3
    for cap in c.caps:  # a third of the accounts at their cap since this morning
        for _ in range(cap.rule.max):
            cap.times.add(idx[: N // 3], float(day))
    caps = [[r for r in rules if r.__class__.__name__ == "_CapState"] for rules in c._applies]
    held = c.held_today(idx, chan, now)
    assert sum(c.deferred.values()) == held.sum()
    assert held.any() == bool(c.caps) and not held.all()
    for i in range(N):
        assert held[i] == any(cap.full_one(i, now) for cap in caps[chan[i]]), i
    dial = c.dial_groups(idx, chan, day)
    hours = [[r for r in rules if r.__class__.__name__ == "Hours"] for rules in c._applies]
    if not c.rules.hours:
        assert dial is None
        return
    groups, windows = dial
    assert len({tuple(windows[g]) for g in groups}) > 1  # borrowers in more than one time zone
    for i in range(0, N, 7):
        for t in day + (np.arange(97) + 0.5) / 97:
            open_ = any(lo <= t < hi for lo, hi in windows[groups[i]])
            inside = all(r.start <= ((t + c.offset[i]) % 1.0) * 24 < r.end for r in hours[chan[i]])
            assert open_ == inside, (i, t)


def test_a_cap_of_zero_stops_every_action_in_both_checks() -> None:
    """``max = 0`` keeps no ring to read: both the scalar and the vectorised check answer "full" for everyone (a
    mask); with ``max = 1`` both free the account exactly ``window_days`` after its action, not before."""
    from collectsim.engine.contact.conduct import _CapState
    from collectsim.scenario.conduct import Cap

    none, one = (_CapState(Cap(name="c", kinds=("call",), max=m, window_days=7.0), 3) for m in (0, 1))
    everyone = none.full(np.arange(3), np.full(3, 5.0))
    assert everyone.dtype == bool and everyone.all() and all(none.full_one(i, 5.0) for i in range(3))
    one.times.add(np.array([1]), 4.0)
    for now, full in ((5.0, [False, True, False]), (10.9, [False, True, False]), (11.0, [False, False, False])):
        assert [one.full_one(i, now) for i in range(3)] == one.full(np.arange(3), np.full(3, now)).tolist() == full


@pytest.mark.parametrize("mode", ["enforce", "audit"])
@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_record_one_agrees_with_record(preset: str, mode: str) -> None:
    """Counting attempts one at a time leaves the caps' rings, the conversation times and the audit's crew
    tally as counting them all at once does, for every channel and outcome (caps that count only connected or
    only unanswered attempts included)."""
    vec, one = _rules(preset, mode), _rules(preset, mode)
    rng = np.random.default_rng(4)
    for step, cid in enumerate(rng.integers(0, len(vec.kinds), 40).tolist()):
        idx = np.sort(rng.choice(N, 25, replace=False))
        outcome = rng.integers(0, 3, idx.size)
        now = 12.0 + step * 0.37
        vec.record(cid, idx, outcome, now)
        for i, o in zip(idx.tolist(), outcome.tolist(), strict=True):
            one.record_one(cid, i, o, now)
    for a, b in zip(vec.caps, one.caps, strict=True):
        np.testing.assert_array_equal(a.times.ring, b.times.ring)
        np.testing.assert_array_equal(a.times.ptr, b.times.ptr)
    np.testing.assert_array_equal(vec.conv_time, one.conv_time)
    assert vec.violations == one.violations
    assert any((c.times.ptr > 0).any() for c in one.caps) or not one.caps


@pytest.mark.parametrize("mode", ["enforce", "audit"])
def test_a_list_of_one_item_at_its_cap_is_held_unless_audited(mode: str) -> None:
    """The list-time cap screen works item by item, down to a list (and a channel) of one; audit mode stops
    nothing, so it holds nothing and tallies no deferral."""
    c = _rules("us_ma", mode)
    cap = next(cap for cap in c.caps if "call" in cap.rule.kinds)
    call = next(cid for cid, caps in enumerate(c._caps_of) if cap in caps and c.kinds[cid] == "call")
    c.deferred.clear()
    i, now = 7, 20.0
    for _ in range(cap.rule.max):
        cap.times.add(np.array([i]), now - 0.5)
    held = c.held_today(np.array([i]), np.array([call], dtype=np.int16), now)
    assert held.tolist() == [mode == "enforce"]
    assert sum(c.deferred.values()) == (mode == "enforce")
    j = next(j for j in range(N) if not cap.full_one(j, now))
    assert c.held_today(np.array([j]), np.array([call], dtype=np.int16), now).tolist() == [False]


@pytest.mark.parametrize("preset,extra", [("us_ma", {}), ("cn_cba_2026", {}), ("us_reg_f", NARROW)])
def test_an_item_the_dial_list_gives_inside_its_window_passes_every_hours_rule(
    preset: str, extra: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dial list hands out an item only inside its borrower's contact window, so an agent's screen skips the
    hours rules for it (``in_window``): in a whole run, every such item passes them all, and asking them changes
    no answer. Most items of the run come that way, at every hour the windows open."""
    asked = Counter()
    full = ConductRules.screen_one

    def both(self: ConductRules, cid: int, i: int, now: float, in_window: bool = False) -> tuple[bool, bool]:
        if in_window:
            hours = [r for r in self._applies[cid] if r.__class__.__name__ == "Hours"]
            assert all(r.start <= ((now + self.offset[i]) % 1.0) * 24 < r.end for r in hours), (i, now)
            asked[round((now % 1.0) * 24)] += 1
        return full(self, cid, i, now, in_window)

    monkeypatch.setattr(ConductRules, "screen_one", both)
    over = {"population.accounts": 3_000, "horizon.days": 40, "conduct.presets": [preset], "conduct.mode": "enforce"}
    cs.simulate(cs.load_scenario(NO_RULES, {**over, **extra}), seed=4)
    assert sum(asked.values()) > 1_000 and len(asked) >= 4, asked
