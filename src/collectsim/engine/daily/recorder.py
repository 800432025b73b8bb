"""Daily series and the event log, kept in memory as columns; handed over at the end as ``Columns``."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from collectsim.engine.accounts.state import ACTIVE, AccountState
from collectsim.results import Columns, Rows

EVENT_TABLE = ("day", "time", "account", "channel", "rule", "outcome")


class Recorder:
    def __init__(self, record_events: bool) -> None:
        self.daily: dict[str, list[float]] = defaultdict(list)
        self.record_events = record_events
        self._log = EventColumns()
        self._paid_before = 0.0
        self._cost_before = 0.0
        self._proceeds_before = 0.0

    def day_end(self, day: int, s: AccountState, cost_to_date: float, teams: dict) -> None:
        paid = float(s.paid.sum())
        proceeds = float(s.sale_proceeds.sum())
        active = s.status == ACTIVE
        row = self.daily
        row["day"].append(day)
        row["active"].append(int(np.count_nonzero(active)))  # counting flags is ~10x a sum of them at 1M accounts
        row["in_house"].append(int(np.count_nonzero(s.in_house)))
        row["placed"].append(int(np.count_nonzero(s.placed)))
        row["legal_active"].append(int(np.count_nonzero(s.legal_active)))
        row["outstanding"].append(float((s.balance * active).sum()))  # 5x a masked gather's sum at 1M accounts
        row["collected"].append(paid - self._paid_before)
        row["collected_cum"].append(paid)
        row["written_off_cum"].append(float(s.written_off.sum()))
        row["sold_cum"].append(float(s.sold.sum()))
        row["sale_proceeds"].append(proceeds - self._proceeds_before)
        row["sale_proceeds_cum"].append(proceeds)
        row["cost"].append(cost_to_date - self._cost_before)
        row["cost_cum"].append(cost_to_date)
        for name, desk in teams.items():
            c = desk.closed
            today = c.day == day
            row[f"queue_{name}"].append(desk.queue_length)
            row[f"due_{name}"].append(c.due if today else 0)
            row[f"done_{name}"].append(c.done if today else 0)
            row[f"voided_{name}"].append(c.voided if today else 0)
            row[f"overtime_min_{name}"].append(c.overtime_minutes if today else 0.0)
            row[f"floor_min_{name}"].append(c.floor_minutes if today else 0.0)
            row[f"inbound_{name}"].append(desk.inbound.arrivals)
            worked = today and c.floor_minutes > 0
            # Utilisation is busy ÷ on-floor minutes (overtime included), as in the teams table.
            row[f"util_{name}"].append(c.busy_minutes / c.floor_minutes if worked else float("nan"))
        self._paid_before = paid
        self._proceeds_before = proceeds
        self._cost_before = cost_to_date

    def event_one(self, time: float, account: int, channel: int, rule: int, outcome: int) -> None:
        """One team action (the hot path: nothing is built unless events are recorded)."""
        if self.record_events:
            self._log.one(time, account, channel, rule, outcome)

    def events(
        self, day: float | np.ndarray, accounts: np.ndarray, channel: int, rule: int, outcome: np.ndarray | int
    ) -> None:
        if self.record_events:
            self._log.many(day, accounts, channel, rule, outcome)

    def daily_columns(self) -> Columns:
        """The daily series so far, one array per column (its table is made when a caller asks for it)."""
        return Columns({k: np.asarray(v) for k, v in self.daily.items()})

    def events_table(self, channels: list[str], rules: list[str], outcomes: tuple[str, ...]) -> Columns | Rows | None:
        """The event log in time order (ties as logged), channel, rule and outcome as categories; None if off."""
        if not self.record_events:
            return None
        cols = self._log.columns()
        if not cols:
            return Rows([], EVENT_TABLE)
        order = np.argsort(cols["time"], kind="stable")
        t = cols["time"][order]
        data = {
            "day": np.floor(t).astype(int),
            "time": t,
            "account": cols["account"][order],
            "channel": cols["channel"][order],
            "rule": cols["rule"][order],
            "outcome": cols["outcome"][order],
        }
        return Columns(data, categories={"channel": channels, "rule": rules, "outcome": outcomes})


EVENT_COLUMNS = {"time": np.float64, "account": np.int64, "channel": np.int16, "rule": np.int32, "outcome": np.int8}


class EventColumns:
    """The event log as five columns, in the order the events happened.

    Team actions arrive one at a time (hundreds of thousands a run) and are appended to
    plain lists; a batch of sends first turns the scalars gathered so far into one chunk,
    then adds its own arrays as the next. Order is kept exactly, so the stable sort by
    time at the end breaks ties as the engine made them (a shift starting on the hour
    the automated sends go out), while each team action costs five list appends rather
    than five one-element arrays.
    """

    def __init__(self) -> None:
        self._chunks: dict[str, list[np.ndarray]] = {k: [] for k in EVENT_COLUMNS}
        self._time: list[float] = []
        self._account: list[int] = []
        self._channel: list[int] = []
        self._rule: list[int] = []
        self._outcome: list[int] = []

    def one(self, time: float, account: int, channel: int, rule: int, outcome: int) -> None:
        self._time.append(time)
        self._account.append(account)
        self._channel.append(channel)
        self._rule.append(rule)
        self._outcome.append(outcome)

    def many(
        self, time: float | np.ndarray, accounts: np.ndarray, channel: int, rule: int, outcome: np.ndarray | int
    ) -> None:
        self._flush()
        n = accounts.size
        c = self._chunks
        c["time"].append(np.broadcast_to(np.asarray(time, dtype=float), (n,)).copy())
        c["account"].append(accounts.astype(np.int64))
        c["channel"].append(np.full(n, channel, dtype=np.int16))
        c["rule"].append(np.full(n, rule, dtype=np.int32))
        c["outcome"].append(np.broadcast_to(np.asarray(outcome, dtype=np.int8), (n,)).copy())

    def _flush(self) -> None:
        if not self._time:
            return
        singles = (self._time, self._account, self._channel, self._rule, self._outcome)
        for (k, dtype), values in zip(EVENT_COLUMNS.items(), singles, strict=True):
            self._chunks[k].append(np.array(values, dtype=dtype))
            values.clear()

    def columns(self) -> dict[str, np.ndarray]:
        """Every event so far, one array per column; empty if nothing was ever logged."""
        self._flush()
        return {k: np.concatenate(v) for k, v in self._chunks.items() if v}
