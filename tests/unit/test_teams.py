"""Teams: capacity limits attempts, backlog is carried or dropped, utilisation stays in [0, 1]."""

from __future__ import annotations

import pytest

import collectsim as cs


@pytest.mark.parametrize("seed", [1, 2])
def test_more_collectors_never_fewer_attempts(small: cs.Scenario, seed: int) -> None:
    """Attempts never fall as headcount grows when calls cannot change behaviour (no one answers)."""
    base = cs.with_overrides(small, {"channels.late_call.contact_prob": 0.0})
    attempts = []
    for hc in (1, 2, 4, 8, 16, 32):
        sc = cs.with_overrides(base, {"teams.late_callers.headcount": hc})
        attempts.append(cs.simulate(sc, seed=seed).kpis["team.late_callers.attempts"])
    assert attempts == sorted(attempts), attempts
    assert attempts[-1] > attempts[0]


@pytest.mark.parametrize("seed", [1, 2])
def test_more_collectors_more_attempts_while_saturated(small: cs.Scenario, seed: int) -> None:
    """In the full model, while the team is the bottleneck, each added collector adds attempts.

    Past saturation attempts may dip: calls cure accounts sooner, so less work is asked for.
    """
    attempts = []
    for hc in (1, 2, 4):
        sc = cs.with_overrides(small, {"teams.late_callers.headcount": hc})
        attempts.append(cs.simulate(sc, seed=seed).kpis["team.late_callers.attempts"])
    assert attempts == sorted(attempts), attempts


def test_capacity_binds(small: cs.Scenario) -> None:
    """A team of one cannot attempt more than one collector's shift allows."""
    sc = cs.with_overrides(small, {"teams.early_callers.headcount": 1, "horizon.days": 30})
    r = cs.simulate(sc, seed=3)
    team = r.teams.set_index("team").loc["early_callers"]
    min_minutes = 2.0  # the shortest handle time in the baseline (no answer: triangular from 2)
    shift_minutes = 8 * 60
    assert team["attempts"] <= team["days_worked"] * (shift_minutes / min_minutes + 1)
    assert team["utilisation"] > 0.75


def test_expire_drops_and_carry_keeps(small: cs.Scenario) -> None:
    """With 'expire' unfinished work is dropped each evening; with 'carry' it waits."""
    tight = {"teams.late_callers.headcount": 1}
    carry = cs.simulate(cs.with_overrides(small, {**tight, "teams.late_callers.backlog": "carry"}), seed=4)
    expire = cs.simulate(cs.with_overrides(small, {**tight, "teams.late_callers.backlog": "expire"}), seed=4)
    assert carry.kpis["team.late_callers.dropped"] == 0
    assert carry.kpis["team.late_callers.carried_over"] > 0
    assert expire.kpis["team.late_callers.dropped"] > 0
    assert expire.kpis["team.late_callers.carried_over"] == 0


def test_utilisation_in_unit_interval(small_run: cs.RunResult) -> None:
    """Busy time never exceeds rostered shift time."""
    u = small_run.teams["utilisation"]
    assert ((u >= 0) & (u <= 1)).all()


def test_no_work_on_days_off(small: cs.Scenario) -> None:
    """A team that works Mondays only works one day in seven."""
    sc = cs.with_overrides(small, {"teams.early_callers.working_days": ["mon"], "horizon.days": 28})
    r = cs.simulate(sc, seed=1)
    assert r.teams.set_index("team").loc["early_callers", "days_worked"] == 4


def test_an_item_and_its_rest_are_one_delay_only_when_it_ends_at_the_same_instant() -> None:
    """One timeout for handle + rest must wake the agent at exactly (now + handle) + rest, as two would."""
    from collectsim.engine.operations.teams import one_delay

    now, handle, rest = 17.41, 6.5 / 1440, 1.3 / 1440
    delay = one_delay(now, now + handle, rest)
    assert delay is not None and now + delay == (now + handle) + rest
    # Early on day 0 the float sum of one delay misses that instant by a bit: two timeouts then.
    now, handle, rest = 0.004508147532203405, 0.010177174042678924, 0.006400613343965188
    assert now + ((now + handle) + rest - now) != (now + handle) + rest
    assert one_delay(now, now + handle, rest) is None
