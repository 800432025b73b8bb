"""Runs allocate on ordinary pages and leave numpy's huge-page hint as they found it."""

from __future__ import annotations

import pytest

import collectsim as cs
from collectsim.engine import memory
from collectsim.policy.ladder import LadderPolicy

pytestmark = pytest.mark.skipif(memory._set_madvise_hugepage is None, reason="this numpy has no huge-page hint")


def _hint() -> bool:
    """numpy's current hint, read by setting it and putting it back."""
    now = memory._set_madvise_hugepage(True)
    memory._set_madvise_hugepage(now)
    return now


class _Watching(LadderPolicy):
    def __init__(self) -> None:
        super().__init__()
        self.seen: set[bool] = set()

    def decide(self, day, view):
        self.seen.add(_hint())
        return super().decide(day, view)


@pytest.mark.parametrize("before", [True, False])
def test_a_run_works_without_the_hint_and_restores_it(small: cs.Scenario, before: bool) -> None:
    """During the days of a run the hint is off; afterwards it is what it was, also after a failed run."""
    old = memory._set_madvise_hugepage(before)
    try:
        watch = _Watching()
        cs.simulate(cs.with_overrides(small, {"horizon.days": 5}), seed=1, policy=watch)
        assert watch.seen == {False}
        assert _hint() is before
        with pytest.raises(RuntimeError), memory.ordinary_pages():
            raise RuntimeError("a run that fails half-way")
        assert _hint() is before
    finally:
        memory._set_madvise_hugepage(old)
