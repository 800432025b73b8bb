"""Random streams derived from one run seed.

``Streams`` spawns a named ``numpy.random.Generator`` per purpose from one root
``SeedSequence``, so adding a new purpose never shifts the draws of another.
``KeyedUniforms`` gives account *i* its *n*-th uniform for a purpose independently
of which other accounts drew before it: two policies that treat accounts in a
different order still hand the same account the same luck (common random numbers).
"""

from __future__ import annotations

import zlib

import numpy as np

MAX_KEYED_COLUMNS = 24


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
    """Per-account sequences of uniforms in (0, 1) for one purpose.

    Column *n* holds every account's *n*-th draw and is generated lazily, whole,
    from its own seed, so the value does not depend on draw order. Past
    ``MAX_KEYED_COLUMNS`` draws an account falls back to a shared overflow stream:
    still deterministic, no longer paired across policies.
    """

    def __init__(self, streams: Streams, purpose: str, n_accounts: int) -> None:
        self._streams = streams
        self._purpose = purpose
        self._n = n_accounts
        self._columns: list[np.ndarray] = []
        self.count = np.zeros(n_accounts, dtype=np.int32)
        self._overflow = streams.generator(purpose, 1_000_000)

    def _column(self, c: int) -> np.ndarray:
        while len(self._columns) <= c:
            gen = self._streams.generator(self._purpose, len(self._columns))
            # (0, 1): never exactly 0, so -log(u) and quantiles stay finite.
            self._columns.append(1.0 - gen.random(self._n))
        return self._columns[c]

    def draw(self, idx: np.ndarray) -> np.ndarray:
        """The next uniform for each account in ``idx`` (accounts must be distinct)."""
        out = np.empty(idx.size)
        if idx.size == 0:
            return out
        n = self.count[idx]
        for c in np.unique(n):
            sel = n == c
            if c < MAX_KEYED_COLUMNS:
                out[sel] = self._column(int(c))[idx[sel]]
            else:
                out[sel] = 1.0 - self._overflow.random(int(sel.sum()))
        self.count[idx] += 1
        return out

    def draw_one(self, i: int) -> float:
        c = int(self.count[i])
        self.count[i] = c + 1
        if c < MAX_KEYED_COLUMNS:
            return float(self._column(c)[i])
        return 1.0 - float(self._overflow.random())
