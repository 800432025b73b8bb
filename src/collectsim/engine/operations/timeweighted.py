"""Time-weighted statistics: the area under a step function, kept exactly, never sampled.

A queue length or a count of busy agents changes only at events; between events it
is constant, so its time average is the area under the steps divided by the time.
"""

from __future__ import annotations


class TimeWeighted:
    __slots__ = ("_last_t", "_value", "area", "peak", "start")

    def __init__(self, start: float = 0.0, value: float = 0.0) -> None:
        self.start = start
        self._last_t = start
        self._value = value
        self.area = 0.0
        self.peak = value

    def update(self, t: float, value: float) -> None:
        """The tracked quantity becomes ``value`` at time ``t`` (t never decreases)."""
        self.area += self._value * (t - self._last_t)
        self._last_t = t
        self._value = value
        if value > self.peak:
            self.peak = value

    def area_until(self, t: float) -> float:
        return self.area + self._value * (t - self._last_t)

    def mean(self, t: float) -> float:
        """Time average over [start, t]."""
        span = t - self.start
        return self.area_until(t) / span if span > 0 else float("nan")
