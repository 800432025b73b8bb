"""Validation mode: the team machinery as a plain M/M/c queue, to be compared with Erlang C.

Calls arrive as a Poisson stream, handle times are exponential, ``agents`` agents
work around the clock and answer in FIFO order — the same ``TeamDesk``, agents and
inbound queue that serve borrowers' callbacks in a full run. Only calls arriving
after the warm-up are measured; the run continues until all of them are answered.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import simpy

from collectsim.engine.operations.teams import MINUTES_PER_DAY, TeamDesk
from collectsim.rng import Streams
from collectsim.scenario.schema import WEEKDAYS, Shift, Team

HOURS_PER_DAY = 24.0


@dataclass(frozen=True)
class QueueStats:
    calls: int
    p_wait: float
    mean_wait_min: float
    service_level: float
    utilisation: float
    mean_queue: float  # time-average number waiting (Little's law: = arrival rate × mean wait)
    arrival_rate_per_min: float


def simulate_mmc(
    arrivals_per_hour: float,
    aht_min: float,
    agents: int,
    *,
    hours: float,
    warmup_hours: float,
    within_s: float,
    seed: int,
) -> QueueStats:
    """One replication of an M/M/c queue run on a ``TeamDesk`` (time unit inside: days)."""
    env = simpy.Environment()
    streams = Streams(seed)
    days = math.ceil((warmup_hours + hours) / HOURS_PER_DAY) + 2
    spec = Team(headcount=agents, shifts=(Shift(start=0.0, end=24.0),), working_days=WEEKDAYS)
    service = streams.generator("service")
    desk = TeamDesk(
        env,
        "mmc",
        spec,
        WEEKDAYS,
        0,
        days,
        1,
        priority=lambda acct, enq: enq,
        answer=lambda desk, i, cid, now: (float(service.exponential(aht_min)), False),
    )
    desk.run()
    env.process(_arrivals(env, desk, streams.generator("arrivals"), arrivals_per_hour, warmup_hours + hours))
    env.run(until=days)
    return _measure(desk, warmup_hours, hours, within_s, aht_min)


def _arrivals(env: simpy.Environment, desk: TeamDesk, rng: np.random.Generator, per_hour: float, until_h: float):
    mean_gap_days = 1.0 / (per_hour * HOURS_PER_DAY)
    stop = until_h / HOURS_PER_DAY
    while True:
        gap = float(rng.exponential(mean_gap_days))
        if env.now + gap > stop:
            return
        yield env.timeout(gap)
        desk.call_in(0, 0)


def _measure(desk: TeamDesk, warmup_h: float, hours: float, within_s: float, aht_min: float) -> QueueStats:
    inb = desk.inbound
    arrived = np.asarray(inb.answered_at) - np.asarray(inb.waits)
    waits_min = np.asarray(inb.waits) * MINUTES_PER_DAY
    lo, hi = warmup_h / HOURS_PER_DAY, (warmup_h + hours) / HOURS_PER_DAY
    keep = (arrived >= lo) & (arrived < hi)
    w = waits_min[keep]
    span_min = hours * 60.0
    return QueueStats(
        calls=int(keep.sum()),
        p_wait=float((w > 1e-9).mean()),
        mean_wait_min=float(w.mean()),
        service_level=float((w <= within_s / 60.0).mean()),
        utilisation=float(keep.sum()) * aht_min / (desk.mean_on_floor * span_min),
        mean_queue=float(w.sum()) / span_min,
        arrival_rate_per_min=float(keep.sum()) / span_min,
    )
