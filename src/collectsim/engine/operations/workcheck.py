"""Is queued work still wanted? Checked when a queue opens each day and when an agent takes an item.

A rule queued the item, perhaps days ago; since then the account may have cured,
settled, been placed with an agency, left the rule's DPD stage, made a promise or
been sued. The engine's own conditions are checked here — the account is in house,
a filing finds no open case, an account gets at most one outbound call a day across
teams (field visits are not calls) — and the policy's rule conditions through its
optional ``still_due`` method. Between the daily opening and the moment an agent
takes an item, only what happens to the account that day can change a rule's
answer, so the policy is asked again only for accounts touched today.

Whose call it is: every call channel carries the rank of its team in
``policy.call_precedence`` (listed first ranks highest; unlisted teams rank 0). When
the queues open each day, of the call items still wanted for one account the
highest-ranked team's are kept and the others voided (``outranked``). Between equal
ranks, and for work added during the day, the first call taken wins (``keep_one``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from collectsim.engine.accounts.state import NO_CASE, AccountState
from collectsim.policy import AccountView, Policy

OUTBOUND_CALLS = ("call",)


class WorkCheck:
    def __init__(
        self,
        state: AccountState,
        policy: Policy,
        view: AccountView,
        kinds: list[str],
        *,
        one_call_per_day: bool,
        channel_teams: Sequence[str | None] | None = None,
        call_precedence: Sequence[str] = (),
    ) -> None:
        self.s = state
        self.view = view
        self.one_call_per_day = one_call_per_day
        self._still_due = getattr(policy, "still_due", None)
        self._is_call = np.array([k in OUTBOUND_CALLS for k in kinds], dtype=bool)
        self._is_legal = np.array([k == "legal" for k in kinds], dtype=bool)
        # The same per channel as Python lists, for the scalar checks of the hot path (no numpy scalars).
        self._legal_one = self._is_legal.tolist()
        self._call_one = self._is_call.tolist()
        self._once_a_day = [one_call_per_day and call for call in self._call_one]
        # Rank of each channel's team for calls: listed first ranks highest, unlisted 0.
        rank = {team: len(call_precedence) - k for k, team in enumerate(call_precedence)}
        teams = channel_teams if channel_teams is not None else [None] * len(kinds)
        self._call_rank = np.array([rank.get(t, 0) for t in teams], dtype=np.int16)
        # Can one team's call outrank another's? Only then must every team's queue open at once.
        self.ranks_calls = one_call_per_day and np.unique(self._call_rank[self._is_call]).size > 1
        # Scratch for ``outranked``: the best call rank per account, back to -1 after each use.
        self._best = np.full(state.n if self.ranks_calls else 0, -1, dtype=np.int16)
        self.rule_names: list[str] = []
        self._rule_ids: dict[str, int] = {}
        self.touched = np.full(state.n, -1, dtype=np.int32)  # last day something a rule reads changed
        self.called = np.full(state.n, -1, dtype=np.int32)  # last day with an outbound call
        self._last_call_day = -1  # the last day anybody got one

    def rule_id(self, name: str) -> int:
        """A small integer for a rule name, kept with each queued item."""
        rid = self._rule_ids.get(name)
        if rid is None:
            rid = self._rule_ids[name] = len(self.rule_names)
            self.rule_names.append(name)
        return rid

    def keep(self, acct: np.ndarray, chan: np.ndarray, rule: np.ndarray, day: int) -> np.ndarray:
        """Which queued items (account, channel id, rule id) are still wanted on ``day``."""
        s = self.s
        ok = s.in_house[acct].copy()
        legal = self._is_legal[chan]
        ok[legal] &= s.legal_stage[acct[legal]] == NO_CASE
        if self.one_call_per_day and self._last_call_day == day:  # else nobody has been called today yet
            ok &= ~(self._is_call[chan] & (self.called[acct] == day))
        if self._still_due is not None:
            for r in _distinct_small(rule[ok]):
                sel = np.flatnonzero(ok & (rule == r))
                ok[sel] = np.asarray(self._still_due(self.rule_names[r], acct[sel], day, self.view), dtype=bool)
        return ok

    def outranked(
        self, items: Sequence[tuple[np.ndarray, np.ndarray]], wanted: Sequence[np.ndarray]
    ) -> list[np.ndarray]:
        """Of each team's items (accounts, channel ids) still ``wanted`` at today's opening, the calls
        that lose to another team's wanted call for the same account with a higher precedence."""
        lost = [np.zeros(acct.size, dtype=bool) for acct, _ in items]
        if not self.ranks_calls:
            return lost
        calls = [w & self._is_call[chan] for (_, chan), w in zip(items, wanted, strict=True)]
        accts = [acct[c] for (acct, _), c in zip(items, calls, strict=True)]
        ranks = [self._call_rank[chan[c]] for (_, chan), c in zip(items, calls, strict=True)]
        every = np.concatenate(accts)
        if every.size == 0:
            return lost
        best = self._best
        np.maximum.at(best, every, np.concatenate(ranks))
        for out, c, acct, rank in zip(lost, calls, accts, ranks, strict=True):
            out[c] = rank < best[acct]
        best[every] = -1
        return lost

    def keep_one(self, i: int, cid: int, rule: int, day: int) -> bool:
        """Scalar check as an agent takes the item on ``day`` (the hot path)."""
        s = self.s
        if not s.in_house[i]:
            return False
        if self._legal_one[cid] and s.legal_stage[i] != NO_CASE:
            return False
        if self._once_a_day[cid] and self.called[i] == day:
            return False
        if self._still_due is None or rule < 0 or self.touched[i] != day:
            return True
        return bool(self._still_due(self.rule_names[rule], np.array([i]), day, self.view)[0])

    def touch(self, idx: np.ndarray | int, day: int) -> None:
        """Something a rule may read changed today for these accounts (a conversation, a promise, a case)."""
        self.touched[idx] = day

    def note_call(self, cid: int, i: int, day: int) -> None:
        """An agent made an outbound attempt of channel ``cid`` on account ``i`` today (counted if a call)."""
        if self._call_one[cid]:
            self.called[i] = day
            self._last_call_day = day


def _distinct_small(ids: np.ndarray) -> np.ndarray:
    """The distinct values of small non-negative integers (rule ids), ascending: a count, not a sort."""
    return np.flatnonzero(np.bincount(ids))
