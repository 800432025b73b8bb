"""Team work a conduct rule deferred to later today, returned to its queue in batches.

An outbound item taken outside the borrower's contact hours goes back to its queue when
the hours open for that borrower. All items deferred to one instant wait behind a single
simpy timeout and are released together, in the order they were deferred: each goes to
the front of its queue (``push_urgent``) and wakes one idle agent of its team.

This is the schedule one process per deferral would give, event for event. Such a
process's timeout fires at ``now + (t − now)`` (simpy's own arithmetic, kept here as
the batch key, so items whose float instants differ by a rounding are not merged), and
timeouts of one instant fire in the order they were made; each woke its agent with an
event scheduled after every timeout already due at that instant, so no agent ran
before the last item of the batch was back in its queue. A batch does the same pushes
and wakes in the same order, at the same instant, without a process, an
initialisation event and an end event per item (at 100k accounts under a rulebook
that was 120k processes and most of the run's simpy events).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import simpy

if TYPE_CHECKING:
    from collectsim.engine.operations.teams import TeamDesk


class DeferredReturns:
    def __init__(self, env: simpy.Environment) -> None:
        self.env = env
        self._due: dict[float, list[tuple[TeamDesk, int, int, int]]] = {}

    def add(self, desk: TeamDesk, account: int, channel: int, rule: int, t: float) -> None:
        """Return (``account``, ``channel``, ``rule``) to ``desk``'s queue at ``t`` (later today)."""
        now = self.env.now
        delay = t - now
        at = now + delay
        batch = self._due.get(at)
        if batch is None:
            batch = self._due[at] = []
            self.env.timeout(delay).callbacks.append(self._release)
        batch.append((desk, account, channel, rule))

    def _release(self, _: simpy.Event) -> None:
        now = self.env.now
        for desk, account, channel, rule in self._due.pop(now):
            desk.outbound.push_urgent(account, channel, rule, now)
            desk.wake_one()
