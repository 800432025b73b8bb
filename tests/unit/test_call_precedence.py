"""policy.call_precedence: when two teams hold a call for one account on one day, the listed-first team's wins."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

import collectsim as cs
from collectsim.engine.accounts.state import NO_CASE
from collectsim.engine.operations.workcheck import WorkCheck
from collectsim.errors import ScenarioError

KINDS = ["call", "call", "visit", "call"]
TEAMS = ["early", "late", "field", "other"]
EARLY, LATE, VISIT, OTHER = range(4)


def _check(precedence: tuple[str, ...], one_call: bool = True) -> WorkCheck:
    s = SimpleNamespace(n=6, in_house=np.ones(6, dtype=bool), legal_stage=np.full(6, NO_CASE, dtype=np.int8))
    return WorkCheck(
        s, object(), None, KINDS, one_call_per_day=one_call, channel_teams=TEAMS, call_precedence=precedence
    )


def _items(*pairs: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    acct, chan = zip(*pairs, strict=True)
    return np.array(acct), np.array(chan, dtype=np.int16)


def test_the_listed_first_team_outranks_the_others() -> None:
    """Accounts 0 and 1 are held by both call teams: the late team's call wins, the early one loses;
    a visit is not a call, an unlisted team ranks below listed ones, a lone call is kept."""
    wc = _check(("late", "early"))
    assert wc.ranks_calls
    early = _items((0, EARLY), (1, EARLY), (2, EARLY), (4, EARLY))
    late = _items((0, LATE), (1, LATE), (3, LATE))
    field = _items((0, VISIT), (3, VISIT))
    other = _items((4, OTHER), (5, OTHER))
    wanted = [np.ones(a.size, dtype=bool) for a, _ in (early, late, field, other)]
    lost = wc.outranked([early, late, field, other], wanted)
    assert [m.tolist() for m in lost] == [
        [True, True, False, False],  # early loses 0 and 1 to late; 2 alone; 4 beats the unlisted team
        [False, False, False],
        [False, False],
        [True, False],
    ]
    flipped = _check(("early", "late")).outranked([early, late], wanted[:2])
    assert [m.tolist() for m in flipped] == [[False] * 4, [True, True, False]]


def test_a_winner_no_longer_wanted_outranks_nobody() -> None:
    """The late call for account 0 lapsed at the opening (say its rule stopped): the early call stands."""
    wc = _check(("late", "early"))
    early, late = _items((0, EARLY), (1, EARLY)), _items((0, LATE), (1, LATE))
    lost = wc.outranked([early, late], [np.array([True, True]), np.array([False, True])])
    assert [m.tolist() for m in lost] == [[False, True], [False, False]]
    # The scratch array is reset: a second day's resolution sees only its own items.
    again = wc.outranked([early], [np.array([True, True])])
    assert again[0].tolist() == [False, False]


def test_equal_ranks_or_no_daily_limit_leave_it_to_the_first_call_taken() -> None:
    """Without a precedence, or with one_call_per_day off, nothing is outranked at the opening."""
    early, late = _items((0, EARLY)), _items((0, LATE))
    both = [np.array([True]), np.array([True])]
    for wc in (_check(()), _check(("late", "early"), one_call=False)):
        assert not wc.ranks_calls
        assert [m.tolist() for m in wc.outranked([early, late], both)] == [[False], [False]]


# Both teams call every in-house account every other day from DPD 1: each day every account
# called has an item in both teams. Both teams are staffed to work all of it.
BOTH_CALL = {
    "population.accounts": 600,
    "horizon.days": 30,
    "teams.early_callers.headcount": 30,
    "teams.late_callers.headcount": 30,
    "policy.ladders": {
        "standard": {
            "stages": [
                {
                    "name": "all",
                    "from_dpd": 1,
                    "to_dpd": 179,
                    "actions": [
                        {"name": "early_call", "channel": "call", "every_days": 2},
                        {"name": "late_call", "channel": "late_call", "every_days": 2},
                    ],
                }
            ]
        }
    },
}


def _run(small: cs.Scenario, precedence: list[str] | None) -> cs.RunResult:
    over = dict(BOTH_CALL)
    if precedence is not None:
        over["policy.call_precedence"] = precedence
    return cs.simulate(cs.with_overrides(small, over), seed=7, record_events=True)


def _outbound_calls(r: cs.RunResult) -> pd.DataFrame:
    ev = r.events
    return ev[ev["channel"].astype(str).isin(["call", "late_call"]) & (ev["outcome"].astype(str) != "inbound")]


@pytest.mark.parametrize(
    ("precedence", "winner", "loser"),
    [
        (["late_callers", "early_callers"], "late_callers", "early_callers"),
        (["early_callers", "late_callers"], "early_callers", "late_callers"),
        (["late_callers"], "late_callers", "early_callers"),  # an unlisted team ranks below a listed one
    ],
)
def test_only_the_higher_precedence_team_calls(small: cs.Scenario, precedence, winner, loser) -> None:
    """Every account-day with calls queued in both teams is called by the winner only; the loser's
    items are voided (never done, never dropped) and no account-day has two outbound calls."""
    r = _run(small, precedence)
    calls = _outbound_calls(r)
    channel = {"early_callers": "call", "late_callers": "late_call"}
    rule = {"early_callers": "standard/all/early_call", "late_callers": "standard/all/late_call"}
    assert len(calls) > 0
    assert set(calls["channel"].astype(str)) == {channel[winner]}
    assert set(calls["rule"].astype(str)) == {rule[winner]}
    assert calls.groupby(["account", "day"]).size().max() == 1
    teams = r.teams.set_index("team")
    assert teams.loc[loser, "attempts"] == 0 and teams.loc[loser, "done"] == 0
    assert teams.loc[loser, "voided"] > 0 and teams.loc[loser, "dropped"] == 0
    assert teams.loc[winner, "attempts"] == len(calls)


def test_without_precedence_both_teams_call_but_never_twice_a_day(small: cs.Scenario) -> None:
    """The contrast: with no precedence the first call taken wins, so both teams make calls."""
    calls = _outbound_calls(_run(small, None))
    assert set(calls["channel"].astype(str)) == {"call", "late_call"}
    assert calls.groupby(["account", "day"]).size().max() == 1


@pytest.mark.parametrize(
    ("order", "message"),
    [
        (["late_caller"], "'late_caller' is not a team that makes calls; allowed: early_callers, late_callers"),
        (["field_agents"], "'field_agents' is not a team that makes calls; allowed: early_callers, late_callers"),
        (["late_callers", "late_callers"], "'late_callers' is listed twice; list each team once"),
    ],
)
def test_a_bad_team_name_is_one_line_naming_the_field(small: cs.Scenario, order, message) -> None:
    """A misspelt or non-calling team, or a repeat, is a one-line error naming the field and the allowed teams."""
    with pytest.raises(ScenarioError) as info:
        cs.with_overrides(small, {"policy.call_precedence": order})
    text = str(info.value)
    assert "\n" not in text
    assert info.value.problems == [("policy.call_precedence", message)]
