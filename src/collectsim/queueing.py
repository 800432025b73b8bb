"""Erlang C (M/M/c) formulas: the workforce planner's first estimate and the simulator's validation targets.

Units, everywhere in this module: arrival rates are **per hour**, average handle time (AHT) is in **minutes**,
service-level thresholds (``within_s``) are in **seconds**; mean waits are in minutes unless the name says
``_s``. Offered load is in Erlangs, A = λ·AHT (both converted to minutes).

Erlang B is computed by the standard recursion B(k) = A·B(k−1) / (k + A·B(k−1)), which only ever divides
numbers in [0, 1] and so neither overflows (A^N/N!) nor underflows for large N; Erlang C follows as
C = N·B / (N − A·(1 − B)). The formulas and the worked example are in docs/sources.md (Staffing and queues); the tests
check the values against the worked example and a simulated M/M/c.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from collectsim.errors import CollectsimError

__all__ = [
    "ErlangReport",
    "agents_needed",
    "erlang_b",
    "erlang_c",
    "erlang_report",
    "erlang_table",
    "mean_wait_min",
    "occupancy",
    "offered_load",
    "service_level",
    "square_root_staffing",
]


# ---------------------------------------------------------------------------------------------------------------
# input checks: one-line messages that name the CLI flag, so `collectsim erlang` can show them as they are


def _checked(flag: str, value: float, allowed: str, ok: Callable[[float], bool]) -> float:
    """``value`` as a finite float for which ``ok`` holds, else an error naming the flag and what is allowed."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise CollectsimError(f"{flag} must be {allowed}, got {value!r}") from None
    if not (math.isfinite(x) and ok(x)):
        raise CollectsimError(f"{flag} must be {allowed}, got {value!r}")
    return x


MAX_ARRIVALS_PER_HOUR = 1e6
MAX_AHT_MIN = 24 * 60.0
MAX_LOAD = 100_000.0  # Erlangs: staffing searches one agent at a time, so the work grows with the load


def _arrivals(value: float) -> float:
    return _checked(
        "--arrivals-per-hour",
        value,
        f"a number > 0 and at most {MAX_ARRIVALS_PER_HOUR:g} (calls per hour)",
        lambda x: 0 < x <= MAX_ARRIVALS_PER_HOUR,
    )


def _aht(value: float) -> float:
    return _checked(
        "--aht-min", value, f"a number > 0 and at most {MAX_AHT_MIN:g} (minutes)", lambda x: 0 < x <= MAX_AHT_MIN
    )


def _within(value: float) -> float:
    return _checked("--within-s", value, "a finite number >= 0 (seconds)", lambda x: x >= 0)


def _target(value: float) -> float:
    return _checked("--target", value, "a fraction strictly between 0 and 1, e.g. 0.8", lambda x: 0 < x < 1)


def _shrinkage(value: float) -> float:
    return _checked("--shrinkage", value, "a fraction in [0, 1), e.g. 0.3", lambda x: 0 <= x < 1)


def _agents(value: int) -> int:
    try:
        n = operator.index(value)
    except TypeError:
        raise CollectsimError(f"--agents must be an integer >= 0, got {value!r}") from None
    if n < 0:
        raise CollectsimError(f"--agents must be an integer >= 0, got {value!r}")
    return n


def _load(value: float) -> float:
    return _checked("load", value, "a finite number >= 0 (Erlangs)", lambda x: x >= 0)


# ---------------------------------------------------------------------------------------------------------------
# core formulas


def offered_load(arrivals_per_hour: float, aht_min: float) -> float:
    """Offered load A = λ·AHT in Erlangs: the mean number of busy agents if nobody ever waited."""
    load = _arrivals(arrivals_per_hour) * _aht(aht_min) / 60.0
    if load > MAX_LOAD:
        raise CollectsimError(
            f"--arrivals-per-hour × --aht-min: offered load {load:,.0f} Erlangs exceeds {MAX_LOAD:,.0f}; "
            "split the queue into smaller ones"
        )
    return load


def _erlang_b_step(k: int, load: float, b_prev: float) -> float:
    """One step of the Erlang B recursion, B(k) from B(k−1); stable because every quantity stays in [0, 1]."""
    ab = load * b_prev
    return ab / (k + ab)


def _erlang_c_from_b(agents: int, load: float, b: float) -> float:
    """P(wait > 0) from Erlang B; 1.0 once the queue is unstable (N <= A), where every caller eventually waits."""
    if agents <= load:
        return 1.0
    return agents * b / (agents - load * (1.0 - b))


def erlang_b(agents: int, load: float) -> float:
    """Blocking probability of M/M/N/N (Erlang loss), the stable building block for Erlang C."""
    n, a = _agents(agents), _load(load)
    b = 1.0
    for k in range(1, n + 1):
        b = _erlang_b_step(k, a, b)
    return b


def erlang_c(agents: int, load: float) -> float:
    """Probability an arriving caller waits at all in M/M/N; 1.0 when agents <= load (unstable queue)."""
    n, a = _agents(agents), _load(load)
    if n <= a:
        return 1.0
    return _erlang_c_from_b(n, a, erlang_b(n, a))


def _metrics(agents: int, load: float, aht_min: float, within_s: float) -> tuple[float, float, float]:
    """(P(wait), ASA in minutes, SL) for valid inputs; shared so a report computes Erlang B only once."""
    if agents <= load:
        return 1.0, math.inf, 0.0
    pw = erlang_c(agents, load)
    gap = agents - load
    asa = pw * aht_min / gap
    sl = 1.0 - pw * math.exp(-gap * (within_s / 60.0) / aht_min)
    return pw, asa, sl


def mean_wait_min(agents: int, arrivals_per_hour: float, aht_min: float) -> float:
    """Average speed of answer (mean wait over all callers) in minutes; inf when agents <= load."""
    load = offered_load(arrivals_per_hour, aht_min)
    return _metrics(_agents(agents), load, aht_min, 0.0)[1]


def service_level(agents: int, arrivals_per_hour: float, aht_min: float, within_s: float) -> float:
    """P(wait <= within_s seconds) = 1 − C·exp(−(N − A)·t/AHT); 0.0 when agents <= load."""
    load = offered_load(arrivals_per_hour, aht_min)
    return _metrics(_agents(agents), load, aht_min, _within(within_s))[2]


def occupancy(agents: int, arrivals_per_hour: float, aht_min: float) -> float:
    """Fraction of agent time spent handling calls, A / N, capped at 1 because agents cannot be busier than busy."""
    load = offered_load(arrivals_per_hour, aht_min)
    n = _agents(agents)
    return 1.0 if n <= load else load / n


def agents_needed(arrivals_per_hour: float, aht_min: float, target: float, within_s: float) -> int:
    """Smallest N > A whose service level P(wait <= within_s) reaches target.

    SL rises with N once N > A, so the first N that meets the target is the answer. Erlang B is carried
    along incrementally, so the search costs O(N) in total rather than O(N²).
    """
    load = offered_load(arrivals_per_hour, aht_min)
    tgt, t_min = _target(target), _within(within_s) / 60.0
    b, n = 1.0, 0
    while True:
        n += 1
        b = _erlang_b_step(n, load, b)
        if n > load:
            pw = _erlang_c_from_b(n, load, b)
            if 1.0 - pw * math.exp(-(n - load) * t_min / aht_min) >= tgt:
                return n


def square_root_staffing(load: float, beta: float) -> int:
    """Halfin–Whitt rule N = ceil(A + β·√A): a closed-form staffing estimate that is accurate for large loads."""
    a = _load(load)
    b = _checked("beta", beta, "a finite number (safety factor)", lambda x: True)
    return max(0, math.ceil(_clean(a + b * math.sqrt(a))))


def _clean(x: float) -> float:
    """Round away float noise before ceil, so 21 / 0.7 = 30.000000000000004 rosters 30 agents, not 31."""
    return round(x, 9)


def _rostered(agents: int, shrinkage: float) -> int:
    return math.ceil(_clean(agents / (1.0 - shrinkage)))


# ---------------------------------------------------------------------------------------------------------------
# reports for `collectsim erlang`


@dataclass(frozen=True)
class ErlangReport:
    """Everything `collectsim erlang` prints for one staffing level.

    Units: arrivals per hour, AHT in minutes, load in Erlangs, mean wait in seconds, within_s in seconds;
    p_wait, service_level, occupancy and target are fractions. ``rostered`` is the headcount to schedule
    so that ``agents`` are on the phones after shrinkage (breaks, training, absence).
    """

    arrivals_per_hour: float
    aht_min: float
    load: float
    agents: int
    p_wait: float
    mean_wait_s: float
    service_level: float
    occupancy: float
    target: float
    within_s: float
    rostered: int

    @property
    def meets_target(self) -> bool:
        """Whether this staffing level reaches the service-level target."""
        return self.service_level >= self.target


def _report(
    arrivals_per_hour: float, aht_min: float, load: float, agents: int, target: float, within_s: float, shrink: float
) -> ErlangReport:
    pw, asa_min, sl = _metrics(agents, load, aht_min, within_s)
    return ErlangReport(
        arrivals_per_hour=arrivals_per_hour,
        aht_min=aht_min,
        load=load,
        agents=agents,
        p_wait=pw,
        mean_wait_s=asa_min * 60.0,
        service_level=sl,
        occupancy=1.0 if agents <= load else load / agents,
        target=target,
        within_s=within_s,
        rostered=_rostered(agents, shrink),
    )


def erlang_report(
    arrivals_per_hour: float, aht_min: float, target: float, within_s: float, shrinkage: float = 0.0
) -> ErlangReport:
    """The staffing answer: the fewest agents meeting target within within_s seconds, and its rostered headcount."""
    lam, aht = _arrivals(arrivals_per_hour), _aht(aht_min)
    tgt, t_s, shrink = _target(target), _within(within_s), _shrinkage(shrinkage)
    n = agents_needed(lam, aht, tgt, t_s)
    return _report(lam, aht, offered_load(lam, aht), n, tgt, t_s, shrink)


def erlang_table(
    arrivals_per_hour: float,
    aht_min: float,
    within_s: float,
    agents: Sequence[int],
    *,
    target: float = 0.8,
    shrinkage: float = 0.0,
) -> list[ErlangReport]:
    """One report per staffing level, to show the trade-off around the answer (unstable rows get inf wait).

    ``target`` and ``shrinkage`` only fill the ``target`` and ``rostered`` fields; the default is the common
    80 % target and no shrinkage.
    """
    lam, aht, t_s = _arrivals(arrivals_per_hour), _aht(aht_min), _within(within_s)
    tgt, shrink = _target(target), _shrinkage(shrinkage)
    load = offered_load(lam, aht)
    return [_report(lam, aht, load, _agents(n), tgt, t_s, shrink) for n in agents]
