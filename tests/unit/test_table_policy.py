"""The table policy: a cell's option, sent at each channel's cadence, stopped as the ladder stops a send."""

from __future__ import annotations

import numpy as np
import pytest

import collectsim as cs
from collectsim.policy import NEVER, AccountView, PolicyContext
from collectsim.policy.table import DEFAULT_OPTIONS, TablePolicy, bucket_labels, channels_by_bucket

NONE, DIGITAL, CALL, DIGITAL_CALL, LETTER = range(5)


def view(dpd, segment, **fields) -> AccountView:
    n = len(dpd)
    arrays = {
        "dpd": np.asarray(dpd),
        "segment": np.asarray(segment),
        "balance": np.full(n, 1000.0),
        "opening_balance": np.full(n, 1000.0),
        "score": np.full(n, 0.5),
        "in_house": np.ones(n, dtype=bool),
        "promise_due_day": np.full(n, NEVER),
        "broken_promise_day": np.full(n, NEVER),
        "last_payment_day": np.full(n, NEVER),
        "last_rpc_day": np.full(n, NEVER),
        "legal_active": np.zeros(n, dtype=bool),
        "on_plan": np.zeros(n, dtype=bool),
        "broken_plan_day": np.full(n, NEVER),
    }
    arrays.update({k: np.asarray(v) for k, v in fields.items()})
    return AccountView(**arrays)


def sends(policy: TablePolicy, day: int, v: AccountView) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for d in policy.decide(day, v).dispatches:
        out[d.channel] = sorted(out.get(d.channel, []) + d.accounts.tolist())
    return out


def started(small: cs.Scenario, table, n: int) -> TablePolicy:
    policy = TablePolicy(table)
    policy.reset(PolicyContext(small, n, tuple(small.population.segments), np.random.default_rng(0)))
    return policy


def test_option_channels_by_bucket() -> None:
    """An option given per first DPD sends, in each bucket, the entry at or below the bucket's edge."""
    buckets = (1, 8, 31, 61, 91)
    assert channels_by_bucket(DEFAULT_OPTIONS["call"], buckets) == [("call",)] * 2 + [("late_call",)] * 3
    assert channels_by_bucket(("sms",), buckets) == [("sms",)] * 5
    assert channels_by_bucket({10: ("sms",)}, buckets) == [(), ()] + [("sms",)] * 3
    assert bucket_labels(buckets) == ["1-7", "8-30", "31-60", "61-90", "91+"]


def test_each_account_gets_its_cells_option(small: cs.Scenario) -> None:
    """Accounts get what their (segment, bucket) cell names; below the first bucket, nothing."""
    table = np.array([[DIGITAL, CALL, CALL, LETTER, NONE], [NONE, DIGITAL_CALL, LETTER, CALL, CALL]])
    v = view(dpd=[3, 10, 40, 70, 100, 3, 10, 40, 70, 0], segment=[0, 0, 0, 0, 0, 1, 1, 1, 1, 1])
    got = sends(started(small, table, 10), 0, v)
    assert got == {"sms": [0, 6], "email": [0, 6], "call": [1, 6], "late_call": [2, 8], "letter": [3, 7]}


def test_each_channel_repeats_at_its_own_cadence(small: cs.Scenario) -> None:
    """digital+call: calls every 2 days, SMS and email weekly; a cell set to none stops them and starts no clock."""
    policy = started(small, [DIGITAL_CALL] * 10, 1)
    v = view(dpd=[5], segment=[0])
    days = {d: sends(policy, d, v) for d in range(8)}
    assert [d for d in days if "call" in days[d]] == [0, 2, 4, 6]
    assert [d for d in days if "sms" in days[d]] == [0, 7]
    policy.set_table([NONE] * 10)
    assert sends(policy, 8, v) == {}
    policy.set_table([CALL] * 10)
    assert sends(policy, 9, v) == {"call": [0]}


def test_a_send_is_stopped_as_the_ladder_stops_it(small: cs.Scenario) -> None:
    """No send with a promise pending, in court or out of house; no call within recent_days of a conversation."""
    recent = small.policy.recent_days
    policy = started(small, [DIGITAL_CALL] * 10, 5)
    v = view(
        dpd=[5] * 5,
        segment=[0] * 5,
        promise_due_day=[20, NEVER, NEVER, NEVER, NEVER],
        legal_active=[False, True, False, False, False],
        in_house=[True, True, False, True, True],
        last_rpc_day=[NEVER, NEVER, NEVER, 10 - recent, 9 - recent],
    )
    assert sends(policy, 10, v) == {"sms": [3, 4], "email": [3, 4], "call": [4]}
    rule = "table/digital+call/call"
    assert policy.still_due(rule, np.arange(5), 10, v).tolist() == [False, False, True, False, True]
    policy.set_table([CALL] * 10)
    assert not policy.still_due(rule, np.array([4]), 10, v).any()  # the cell no longer holds the option


def test_bad_menus_and_cadences_are_named() -> None:
    """An empty menu, a bad cadence or unordered buckets: one clear error each."""
    with pytest.raises(cs.CollectsimError, match="at least one option"):
        TablePolicy(options={})
    with pytest.raises(cs.CollectsimError, match="call every 0 days"):
        TablePolicy(every_days={"call": 0})
    with pytest.raises(cs.CollectsimError, match="integers ≥ 0"):
        TablePolicy(buckets=(1.5, 8))
    with pytest.raises(cs.CollectsimError, match="reset the policy first"):
        TablePolicy().set_table([0] * 10)
