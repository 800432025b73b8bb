"""Deferred team work comes back in batches with the schedule one process per deferral gave.

The engine used to start a simpy process per deferred item (a timeout to the instant the
borrower's contact hours open, then back to the front of the queue and wake an agent).
``DeferredReturns`` batches the items of one instant behind one timeout; these tests run
both on the same crafted day and compare every push and every agent wake-up, in order
and with its time.
"""

from __future__ import annotations

import simpy

from collectsim.engine.operations.deferrals import DeferredReturns


class _Queue:
    def __init__(self, name: str, log: list) -> None:
        self.name, self.log = name, log

    def push_urgent(self, account: int, channel: int, rule: int, now: float) -> None:
        self.log.append(("push", self.name, account, channel, rule, now))


class _Desk:
    """A desk whose idle agent, when woken, runs after the events already due now (as simpy's agents do)."""

    def __init__(self, env: simpy.Environment, name: str, log: list) -> None:
        self.env, self.name, self.log = env, name, log
        self.outbound = _Queue(name, log)

    def wake_one(self) -> None:
        woken = self.env.event()
        woken.callbacks.append(lambda _: self.log.append(("agent", self.name, self.env.now)))
        woken.succeed()


def _per_process(env: simpy.Environment, desk: _Desk, account: int, channel: int, rule: int, t: float):
    """The old mechanism, verbatim: one process per deferred item."""
    yield env.timeout(t - env.now)
    desk.outbound.push_urgent(account, channel, rule, env.now)
    desk.wake_one()


# (time the item is deferred, desk, account, instant it returns): two desks, one instant shared by
# items deferred at different times, and a second instant.
PLAN = [
    (0.10, "a", 1, 0.5),
    (0.10, "b", 2, 0.5),
    (0.20, "a", 3, 0.75),
    (0.25, "a", 4, 0.5),
    (0.30, "b", 5, 0.75),
    (0.40, "b", 6, 0.5),
]


def _run(batched: bool) -> list:
    env, log = simpy.Environment(), []
    desks = {k: _Desk(env, k, log) for k in "ab"}
    returns = DeferredReturns(env)

    def agents():
        for when, desk, account, back in PLAN:
            yield env.timeout(when - env.now)
            if batched:
                returns.add(desks[desk], account, 7, 9, back)
            else:
                env.process(_per_process(env, desks[desk], account, 7, 9, back))

    def bystander():
        # Something else due at the same instants, scheduled before any deferral.
        for t in (0.5, 0.75):
            yield env.timeout(t - env.now)
            log.append(("bystander", env.now))

    env.process(bystander())
    env.process(agents())
    env.run(until=1.0)
    return log


def test_batched_returns_repeat_the_per_process_schedule() -> None:
    old, new = _run(batched=False), _run(batched=True)
    assert new == old
    # The crafted case exercises what matters: every item of an instant is back before any woken agent runs.
    at_half = [e for e in new if e[-1] == 0.5]
    assert [e[0] for e in at_half] == ["bystander", "push", "push", "push", "push", "agent", "agent", "agent", "agent"]
    assert [e[2] for e in at_half if e[0] == "push"] == [1, 2, 4, 6]


def test_an_instant_is_released_once() -> None:
    env, log = simpy.Environment(), []
    desk = _Desk(env, "a", log)
    returns = DeferredReturns(env)
    returns.add(desk, 1, 0, 0, 0.5)
    env.run(until=0.6)
    returns.add(desk, 2, 0, 0, 0.8)  # a new batch after the first was released
    env.run(until=1.0)
    assert [(e[2], e[-1]) for e in log if e[0] == "push"] == [(1, 0.5), (2, 0.8)]
