"""Large arrays on ordinary pages while a run builds and works its accounts.

NumPy asks Linux for transparent huge pages (``madvise``) on every array of 4 MB or more.
Where the kernel then compacts memory on the spot to find them (THP ``defrag`` set to
``madvise``, a common default), each such allocation can stall, and a run allocates
thousands: on the 2-core machine of ``benchmarks/`` building 3M accounts took 3.7–5.3 s of
CPU with the hint and 1.9 s without (10M: 22.8 s and 18.5 s), and 300k-account runs were
3–15% faster without it. The hint is process-wide, so a run turns it off and puts back
what it found. Only speed changes, never a result.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

try:  # numpy ≥ 2 keeps it in numpy._core; 1.26 in numpy.core
    from numpy._core.multiarray import _set_madvise_hugepage
except ImportError:  # pragma: no cover - numpy 1.26
    try:
        from numpy.core.multiarray import _set_madvise_hugepage
    except ImportError:
        _set_madvise_hugepage = None


@contextmanager
def ordinary_pages() -> Iterator[None]:
    """Within the block, numpy does not ask for huge pages (a no-op where it cannot be told)."""
    if _set_madvise_hugepage is None:
        yield
        return
    before = _set_madvise_hugepage(False)
    try:
        yield
    finally:
        _set_madvise_hugepage(before)


__all__ = ["ordinary_pages"]
