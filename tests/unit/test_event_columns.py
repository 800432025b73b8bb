"""The columnar event log gives the table the per-event arrays gave, ties in time included.

Team actions are logged one at a time into lists and batches of sends as arrays; the table
is sorted by time with a stable sort, so the order events were logged in decides ties
(a shift that starts the moment automated sends go out). The reference below is the
former recorder's way: every event, single or batch, as its own arrays, concatenated.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from collectsim.engine.daily.recorder import Recorder

CHANNELS, RULES, OUTCOMES = ["sms", "call", "letter"], ["a", "b", "c"], ("none", "wrong", "right", "filed")

# (kind, time, accounts, channel, rule, outcome): singles and batches at the same instants, an empty
# batch, an inbound call (rule -1) and a batch with one outcome per account.
LOG = [
    ("one", 0.375, 4, 1, 1, 0),
    ("many", 0.375, [7, 2, 9], 0, 0, 2),
    ("one", 0.375, 5, 1, 1, 2),
    ("one", 0.4, 6, 1, -1, 2),
    ("many", 0.25, [], 2, 2, 1),
    ("many", 1.375, [1, 3], 0, 0, [1, 2]),
    ("one", 1.1, 8, 1, 1, 1),
    ("one", 1.375, 0, 1, 2, 3),
]


def _reference() -> pd.DataFrame:
    cols: dict[str, list[np.ndarray]] = {k: [] for k in ("time", "account", "channel", "rule", "outcome")}
    for _, t, acc, ch, rule, out in LOG:
        acc = np.atleast_1d(np.asarray(acc, dtype=np.int64))
        n = acc.size
        cols["time"].append(np.full(n, t, dtype=float))
        cols["account"].append(acc)
        cols["channel"].append(np.full(n, ch, dtype=np.int16))
        cols["rule"].append(np.full(n, rule, dtype=np.int32))
        cols["outcome"].append(np.broadcast_to(np.asarray(out, dtype=np.int8), (n,)).copy())
    c = {k: np.concatenate(v) for k, v in cols.items()}
    order = np.argsort(c["time"], kind="stable")
    t = c["time"][order]
    return pd.DataFrame(
        {
            "day": np.floor(t).astype(int),
            "time": t,
            "account": c["account"][order],
            "channel": pd.Categorical.from_codes(c["channel"][order], CHANNELS),
            "rule": pd.Categorical.from_codes(c["rule"][order], RULES),
            "outcome": pd.Categorical.from_codes(c["outcome"][order], OUTCOMES),
        }
    )


def test_columnar_log_gives_the_per_event_table() -> None:
    rec = Recorder(record_events=True)
    for kind, t, acc, ch, rule, out in LOG:
        if kind == "one":
            rec.event_one(t, acc, ch, rule, out)
        else:
            rec.events(t, np.asarray(acc, dtype=np.int64), ch, rule, np.asarray(out) if isinstance(out, list) else out)
    got = rec.events_table(CHANNELS, RULES, OUTCOMES).to_frame()
    pd.testing.assert_frame_equal(got, _reference(), check_exact=True)
    # Ties at 0.375 keep the order they were logged in: the single before the batch, the batch, the single after.
    assert got["account"].tolist()[:5] == [4, 7, 2, 9, 5]


def test_nothing_logged_gives_an_empty_table_and_off_gives_none() -> None:
    assert Recorder(record_events=True).events_table(CHANNELS, RULES, OUTCOMES).to_frame().empty
    off = Recorder(record_events=False)
    off.event_one(0.5, 1, 1, 1, 2)
    assert off.events_table(CHANNELS, RULES, OUTCOMES) is None
