"""Distribution value objects parsed from scenario specs.

A spec such as ``{dist = "lognormal", mean = 6.0, sd = 2.5}`` becomes an object that
samples with an explicit ``numpy.random.Generator`` and knows its own mean and
variance, so tests can compare samples against theory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Constant:
    value: float

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.full(size, self.value, dtype=float)

    def quantile(self, u: np.ndarray) -> np.ndarray:
        return np.full(np.shape(u), self.value, dtype=float)

    @property
    def mean(self) -> float:
        return self.value

    @property
    def variance(self) -> float:
        return 0.0


@dataclass(frozen=True)
class Exponential:
    mean_value: float

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.exponential(self.mean_value, size)

    def quantile(self, u: np.ndarray) -> np.ndarray:
        return -self.mean_value * np.log1p(-np.asarray(u))

    @property
    def mean(self) -> float:
        return self.mean_value

    @property
    def variance(self) -> float:
        return self.mean_value**2


@dataclass(frozen=True)
class LogNormal:
    """Parameterised by its own mean and standard deviation (not the log's), as analysts quote them."""

    mean_value: float
    sd: float

    @property
    def _log_params(self) -> tuple[float, float]:
        s2 = math.log1p((self.sd / self.mean_value) ** 2)
        return math.log(self.mean_value) - s2 / 2, math.sqrt(s2)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        mu, sigma = self._log_params
        return rng.lognormal(mu, sigma, size)

    def quantile(self, u: np.ndarray) -> np.ndarray:
        from scipy.special import ndtri

        mu, sigma = self._log_params
        return np.exp(mu + sigma * ndtri(np.asarray(u)))

    @property
    def mean(self) -> float:
        return self.mean_value

    @property
    def variance(self) -> float:
        return self.sd**2


@dataclass(frozen=True)
class Uniform:
    low: float
    high: float

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, size)

    def quantile(self, u: np.ndarray) -> np.ndarray:
        return self.low + (self.high - self.low) * np.asarray(u)

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    @property
    def variance(self) -> float:
        return (self.high - self.low) ** 2 / 12


@dataclass(frozen=True)
class Beta:
    a: float
    b: float

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.beta(self.a, self.b, size)

    def quantile(self, u: np.ndarray) -> np.ndarray:
        from scipy.special import betaincinv

        return betaincinv(self.a, self.b, np.asarray(u))

    @property
    def mean(self) -> float:
        return self.a / (self.a + self.b)

    @property
    def variance(self) -> float:
        s = self.a + self.b
        return self.a * self.b / (s * s * (s + 1))


@dataclass(frozen=True)
class Triangular:
    low: float
    mode: float
    high: float

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.triangular(self.low, self.mode, self.high, size)

    def quantile(self, u: np.ndarray) -> np.ndarray:
        u = np.asarray(u)
        a, c, b = self.low, self.mode, self.high
        fc = (c - a) / (b - a)
        left = a + np.sqrt(u * (b - a) * (c - a))
        right = b - np.sqrt((1 - u) * (b - a) * (b - c))
        return np.where(u < fc, left, right)

    @property
    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3

    @property
    def variance(self) -> float:
        a, c, b = self.low, self.mode, self.high
        return (a * a + b * b + c * c - a * b - a * c - b * c) / 18


@dataclass(frozen=True)
class DayRanges:
    """Whole days spread over ranges: a range is drawn with its share, then a day in it uniformly.

    ``DayRanges(((1, 10), (11, 59)), (0.6, 0.4))`` keeps the shape of an observed spread of days
    (entry DPD of a portfolio) at the resolution of its ranges; a range of one day is a point mass.
    """

    ranges: tuple[tuple[int, int], ...]
    shares: tuple[float, ...]

    def _arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        p = np.asarray(self.shares, dtype=float)
        lo, hi = (np.array([r[i] for r in self.ranges], dtype=np.int64) for i in (0, 1))
        return p / p.sum(), lo, hi

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        p, lo, hi = self._arrays()
        k = rng.choice(len(self.ranges), size=size, p=p)
        return rng.integers(lo[k], hi[k] + 1)

    @property
    def mean(self) -> float:
        p, lo, hi = self._arrays()
        return float(p @ ((lo + hi) / 2))

    @property
    def variance(self) -> float:
        p, lo, hi = self._arrays()
        mid, width = (lo + hi) / 2, hi - lo + 1
        second = ((width**2 - 1) / 12 + mid**2) @ p  # E[X²] of each discrete uniform, mixed
        return float(second - self.mean**2)


Distribution = Constant | Exponential | LogNormal | Uniform | Beta | Triangular
