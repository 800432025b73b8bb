"""Random streams derived from one run seed.

``Streams`` spawns a named ``numpy.random.Generator`` per purpose from one root
``SeedSequence``, so adding a new purpose never shifts the draws of another.
``KeyedUniforms`` gives account *i* its *n*-th uniform for a purpose independently
of which other accounts drew before it: two policies that treat accounts in a
different order still hand the same account the same luck (common random numbers).
It computes each draw from a counter instead of storing columns of draws.
"""

from __future__ import annotations

import zlib

import numpy as np


def _purpose_key(name: str) -> int:
    return zlib.crc32(name.encode())


class Streams:
    """Named, independent generators from one root seed."""

    def __init__(self, seed: int) -> None:
        if not isinstance(seed, int | np.integer) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        self.seed = int(seed)

    def sequence(self, name: str, *extra: int) -> np.random.SeedSequence:
        return np.random.SeedSequence(self.seed, spawn_key=(_purpose_key(name), *extra))

    def generator(self, name: str, *extra: int) -> np.random.Generator:
        return np.random.default_rng(self.sequence(name, *extra))


class KeyedUniforms:
    """Per-account sequences of uniforms in (0, 1) for one purpose, computed, not stored.

    Account *i*'s *n*-th draw is a hash of (purpose key, i, n): SplitMix64's output
    function (Steele, Lea & Flood 2014) applied to the counter, as in counter-based
    generators (Salmon et al. 2011, "Random123"). Nothing depends on draw order or on
    how many draws other accounts made, so two policies that treat accounts in a
    different order still hand the same account the same luck, for every draw. Memory
    is one counter per account, whatever the number of draws: a ``uint32``, since the
    draw number only has the counter's low 32 bits anyway (a run holds a score of these
    counters, and at 1M accounts 64-bit ones would cost 80 MB more for nothing).
    """

    def __init__(self, streams: Streams, purpose: str, n_accounts: int) -> None:
        self.key = int(streams.sequence(purpose).generate_state(1, np.uint64)[0])
        self.count = np.zeros(n_accounts, dtype=np.uint32)

    def draw(self, idx: np.ndarray) -> np.ndarray:
        """The next uniform for each account in ``idx`` (accounts must be distinct)."""
        idx = np.asarray(idx)
        drawn = self.count[idx]  # read once: the counter's bits, and plus one the new count
        self.count[idx] = drawn + np.uint32(1)
        z = idx.astype(np.uint64)
        z <<= _SHIFT
        z |= drawn
        z ^= np.uint64(self.key)
        return _uniform(_mix(z))

    def draw_one(self, i: int) -> float:
        n = self.count.item(i)  # a Python int straight away, no numpy scalar made
        self.count[i] = n + 1
        return _uniform_one(_mix_one(((int(i) << 32) | n) ^ self.key))


# Account in the high 32 bits, draw number in the low 32: distinct for up to 4.29e9 of each.
_SHIFT = np.uint64(32)
_MASK = (1 << 64) - 1
_GAMMA, _M1, _M2 = 0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB


def _mix(z: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser on a Weyl step, element-wise and in place (``z`` is the draw's own scratch
    counter array, so no new array is made per step); uint64 arithmetic wraps."""
    z *= np.uint64(_GAMMA)
    z += np.uint64(_GAMMA)
    shifted = z >> np.uint64(30)
    z ^= shifted
    z *= np.uint64(_M1)
    z ^= np.right_shift(z, np.uint64(27), out=shifted)
    z *= np.uint64(_M2)
    z ^= np.right_shift(z, np.uint64(31), out=shifted)
    return z


def _mix_one(z: int) -> int:
    """``_mix`` on one Python integer, bit for bit."""
    z = (z * _GAMMA + _GAMMA) & _MASK
    z = ((z ^ (z >> 30)) * _M1) & _MASK
    z = ((z ^ (z >> 27)) * _M2) & _MASK
    return z ^ (z >> 31)


def _uniform(z: np.ndarray) -> np.ndarray:
    """The top 53 bits as a double strictly inside (0, 1), so -log(u) and quantiles stay finite."""
    u = (z >> np.uint64(11)).astype(np.float64)
    u += 0.5
    u *= 2.0**-53
    return u


def _uniform_one(z: int) -> float:
    return ((z >> 11) + 0.5) * 2.0**-53
