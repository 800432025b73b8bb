"""Result types returned by the engine: tidy tables, one row per thing.

``RunResult`` columns (``accounts``): account, segment, reason, entry_day,
entry_dpd, opening_balance, score, paid, discount, written_off,
recovered_after_write_off, sold, sale_proceeds, sale_day, outstanding, status, resolution_day, resolution_dpd,
first_payment_day, payments, attempts, contacts, rpcs, ever_called, intense_calls_week,
intense_any_week, promises, promises_kept, promises_broken, promises_cancelled,
legal_stage, ever_placed, direct_cost,
and the latent traits (self_cure_label, lambda_inf, willingness, ability,
contactability) that a policy never sees but an analyst may.

A day that has not happened (no payment yet, never resolved, never sold, no broken plan) is NA in
a nullable ``Int64`` column, never a sentinel number: ``mean()`` skips it, a CSV leaves it empty
and JSON writes ``null``. The engine keeps its sentinels inside; ``day_or_na`` converts them here.

A run's tables are built on first access: the engine hands over ``Columns`` (plain numpy arrays, which
the KPIs are computed from) and the DataFrame is made when a caller asks for it. A sweep worker returns
only KPIs, so it never imports pandas (~0.35 s of its start); that is why pandas is imported inside the
functions here that make or read a DataFrame.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import FrozenInstanceError, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

# Columns of the accounts table whose missing value is NA ("has not happened"); the engine's own
# arrays hold a negative sentinel there, as do accounts tables saved by earlier versions (-1, -1_000_000).
# With a contractual schedule ([product]) there are also first_cure_day and reached_dpd_<d>_day.
MISSING_DAY_COLUMNS = ("sale_day", "resolution_day", "resolution_dpd", "first_payment_day", "broken_plan_day")
SCHEDULE_DAY_COLUMNS = re.compile(r"^(first_cure_day|reached_dpd_\d+_day)$")


def missing_day_columns(columns) -> list[str]:
    """The columns among ``columns`` that hold a day (or DPD) which may not have happened."""
    return [c for c in columns if c in MISSING_DAY_COLUMNS or SCHEDULE_DAY_COLUMNS.match(str(c))]


def day_or_na(days: np.ndarray, missing: np.ndarray | None = None) -> pd.arrays.IntegerArray:
    """A day (or DPD) column as nullable ``Int64``: NA where ``missing`` is true, else where the day is negative.

    Every day of a run is ≥ 0, so a negative value can only be an engine sentinel (-1, ``NEVER``).
    """
    import pandas as pd

    days, mask = _never(days, missing)
    return pd.arrays.IntegerArray(np.where(mask, 0, days).astype(np.int64), mask)


def day_or_nan(days: np.ndarray, missing: np.ndarray | None = None) -> np.ndarray:
    """A day (or DPD) column as floats, NaN where it did not happen (as ``day_or_na``): the form KPIs read."""
    days, mask = _never(days, missing)
    return np.where(mask, np.nan, days.astype(float))


def _never(days: np.ndarray, missing: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """``days`` as an array, and where the day did not happen: ``missing``, else a negative day (a sentinel)."""
    days = np.asarray(days)
    return days, days < 0 if missing is None else np.asarray(missing, dtype=bool)


def frame_days(col: pd.Series) -> np.ndarray:
    """A DataFrame's day column as floats, NaN where the event did not happen (NA, a negative sentinel, or text
    that is no number, as in a column read back from CSV).

    Only text goes through ``pd.to_numeric``: on the engine's nullable integers it is a no-op that costs ~20x
    the conversion itself.
    """
    import pandas as pd

    if not pd.api.types.is_numeric_dtype(col):
        col = pd.to_numeric(col, errors="coerce")  # what is not a number did not happen
    days = col.to_numpy(dtype=float, na_value=np.nan)
    return np.where(days >= 0, days, np.nan)


CATEGORY_COLUMNS = frozenset({"segment", "reason", "status", "legal_stage", "channel", "rule", "outcome"})
"""Columns that are labels whatever their dtype in a table passed in (segments named 1, 2 read back from CSV)."""


class Columns:
    """A table as 1-D numpy columns, what the KPIs (``collectsim.metrics``) are computed from.

    A categorical column (status, segment, legal_stage …) is read only through ``is_in``, ``labels`` and
    ``codes`` (integer codes, −1: missing), never as numbers: ``table[name]`` refuses it, so a column of labels
    cannot be summed by mistake. A day column (``days``) is floats, NaN where the day did not happen.
    ``to_frame`` makes the DataFrame a run returns, ``from_frame`` reads one a caller passes in (a saved run, a
    user's table).
    """

    def __init__(
        self,
        data: Mapping[str, np.ndarray],
        *,
        categories: Mapping[str, Sequence[Any]] | None = None,
        days: Iterable[str] = (),
    ) -> None:
        self._data = dict(data)
        self._categories = {k: tuple(v) for k, v in (categories or {}).items()}
        self.days = frozenset(days)
        self.rows = len(next(iter(self._data.values()))) if self._data else 0

    def __contains__(self, name: object) -> bool:
        return name in self._data

    def __getitem__(self, name: str) -> np.ndarray:
        """A column of numbers, as a view the caller should not write to (it may be the engine's own array)."""
        if name in self._categories:
            raise TypeError(f"column {name!r} holds labels: read it with is_in, labels or codes")
        view = self._data[name].view()
        view.flags.writeable = False
        return view

    def get(self, name: str, default: Any = None) -> Any:
        """A column of numbers, or ``default`` where the table has no such column."""
        return self[name] if name in self._data else default

    def codes(self, name: str) -> np.ndarray:
        """A categorical column's integer codes (−1: missing), positions in ``labels(name)``."""
        self.labels(name)
        return self._data[name]

    def labels(self, name: str) -> tuple[Any, ...]:
        """A categorical column's labels, in code order."""
        if name not in self._categories:
            raise TypeError(f"column {name!r} holds numbers, not labels")
        return self._categories[name]

    def is_in(self, name: str, labels: Iterable[Any]) -> np.ndarray:
        """Where categorical column ``name`` is one of ``labels`` (never where it is missing), as a boolean array:
        one ``==`` per code, ~20x faster than pandas' ``isin`` at 1M accounts."""
        wanted = set(labels)
        codes = self.codes(name)
        mask = np.zeros(codes.shape, dtype=bool)
        for code, label in enumerate(self._categories[name]):
            if label in wanted:
                mask |= codes == code
        return mask

    def to_frame(self) -> pd.DataFrame:
        """The DataFrame: categoricals as ``Categorical``, day columns as nullable ``Int64``; no column copied."""
        import pandas as pd

        cols: dict[str, Any] = {}
        for name, values in self._data.items():
            if name in self._categories:
                cols[name] = pd.Categorical.from_codes(values, list(self._categories[name]))
            elif name in self.days:
                cols[name] = day_or_na(values, missing=np.isnan(values))
            else:
                cols[name] = values
        return pd.DataFrame(cols, copy=False)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> Columns:
        """A DataFrame's columns: day columns (``missing_day_columns``) as floats with NaN; ``CATEGORY_COLUMNS``,
        categoricals and text that is not numbers as labels; numbers as they are, nullable ones and numbers
        written as text (a CSV's, a user's objects) as floats with NaN where missing."""
        import pandas as pd

        data: dict[str, np.ndarray] = {}
        categories: dict[str, Sequence[Any]] = {}
        days = missing_day_columns(frame.columns)
        for name in frame.columns:
            col = frame[name]
            if name in days:
                data[name] = frame_days(col)
            elif name not in CATEGORY_COLUMNS and (values := _numbers(col)) is not None:
                data[name] = values
            else:
                cat = col.array if isinstance(col.dtype, pd.CategoricalDtype) else pd.Categorical(col)
                data[name], categories[name] = np.asarray(cat.codes), list(cat.categories)
        return cls(data, categories=categories, days=days)


def _numbers(col: pd.Series) -> np.ndarray | None:
    """A column as numbers (None if it holds labels): numpy dtypes as they are, nullable ones as floats with NaN
    for NA (booleans without NA stay booleans, a mask), anything else only if every value present is a number."""
    import pandas as pd

    if isinstance(col.dtype, pd.CategoricalDtype):
        return None
    if isinstance(col.dtype, np.dtype) and col.dtype.kind in "biuf":
        return col.to_numpy()
    if pd.api.types.is_bool_dtype(col) and not col.hasnans:
        return col.to_numpy(dtype=bool)
    if pd.api.types.is_numeric_dtype(col):
        return col.to_numpy(dtype=float, na_value=np.nan)
    if pd.api.types.infer_dtype(col, skipna=True) == "boolean":
        return _numbers(col.astype("boolean"))
    parsed = pd.to_numeric(col, errors="coerce")
    if parsed.isna().sum() > col.isna().sum():
        return None  # text that is not numbers: labels
    return parsed.to_numpy(dtype=float, na_value=np.nan)


def as_columns(table: Columns | pd.DataFrame) -> Columns:
    """``table`` as ``Columns``: converted once if it is a DataFrame."""
    return table if isinstance(table, Columns) else Columns.from_frame(table)


@dataclass(frozen=True)
class Rows:
    """A table as its rows (dicts or tuples), made into a DataFrame on first access."""

    rows: list
    columns: tuple[str, ...]

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self.rows, columns=list(self.columns))


TableSource = Columns | Rows


class _Table:
    """A ``RunResult`` table: made from its source on first access, then kept in its place (a non-data
    descriptor), so the run holds one copy of it, not the source and the table."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, result: RunResult | None, owner: type) -> Any:
        if result is None:
            return self
        state = vars(result)
        sources = state["_sources"]
        source = sources[self.name]
        table = source.to_frame() if isinstance(source, TableSource) else source
        # A new dict of the sources left: a copy of the result (``copy.copy``) shares the old one and still
        # makes its own table from it.
        state["_sources"] = {k: v for k, v in sources.items() if k != self.name}
        state[self.name] = table
        return table


class RunResult:
    """One simulated run: KPIs, daily series, per-account outcomes, per-team figures, costs, events.

    The tables (``daily``, ``accounts``, ``teams``, ``costs``, ``events``: None unless recorded) are
    DataFrames, made on first access from the ``Columns`` or ``Rows`` the engine handed over and then
    kept; a DataFrame passed in is kept as it is. Its attributes cannot be assigned (it is not a dataclass:
    ``dataclasses.replace`` does not apply).
    """

    daily = _Table()
    accounts = _Table()
    teams = _Table()
    costs = _Table()
    events = _Table()

    def __init__(
        self,
        kpis: dict[str, float],
        daily: pd.DataFrame | TableSource,
        accounts: pd.DataFrame | TableSource,
        teams: pd.DataFrame | TableSource,
        costs: pd.DataFrame | TableSource,
        events: pd.DataFrame | TableSource | None = None,
        meta: dict[str, Any] | None = None,
    ) -> None:
        sources = {"daily": daily, "accounts": accounts, "teams": teams, "costs": costs, "events": events}
        vars(self).update(kpis=kpis, meta={} if meta is None else meta, _sources=sources)

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field '{name}'")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field '{name}'")

    def __repr__(self) -> str:
        return f"RunResult(kpis=<{len(self.kpis)} KPIs>, meta={self.meta!r})"

    def kpi_frame(self) -> pd.DataFrame:
        """KPIs as a two-column table (kpi, value), in definition order."""
        import pandas as pd

        return pd.DataFrame({"kpi": list(self.kpis), "value": list(self.kpis.values())})


LABEL_COLUMNS = ("policy", "test", "arm", "point", "replication", "seed")
PLAIN_COLUMNS = ("mean", "half_width", "diff", "diff_half_width", "p_better")


def kpi_columns(table: pd.DataFrame, exclude: tuple[str, ...] = ()) -> list[str]:
    """Numeric KPI columns of a long table: everything but labels and design parameters."""
    import pandas as pd

    return [
        c
        for c in table.columns
        if c not in LABEL_COLUMNS and c not in exclude and pd.api.types.is_numeric_dtype(table[c])
    ]


@dataclass(frozen=True)
class ExperimentResult:
    """Many runs as one long table: one row per run (labels, design parameters, seed, every KPI).

    ``parameters`` names the design columns of a sweep; ``sobol`` holds Sobol indices
    when the design was a Saltelli sample.
    """

    table: pd.DataFrame
    group: tuple[str, ...] = ()
    parameters: tuple[str, ...] = ()
    sobol: pd.DataFrame | None = None

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def summary(self, level: float = 0.95) -> pd.DataFrame:
        """Mean and Student-t half-width of every KPI, per group."""
        import pandas as pd

        from collectsim.experiments.stats import mean_ci

        rows = []
        groups = self.table.groupby(list(self.group), sort=False) if self.group else [((), self.table)]
        for key, sub in groups:
            key = key if isinstance(key, tuple) else (key,)
            for kpi in kpi_columns(self.table, self.parameters):
                mean, half = mean_ci(sub[kpi].to_numpy(), level)
                rows.append(
                    {
                        **dict(zip(self.group, key, strict=True)),
                        "kpi": kpi,
                        "mean": mean,
                        "half_width": half,
                        "n": len(sub),
                    }
                )
        return pd.DataFrame(rows)


@dataclass(frozen=True)
class Comparison:
    """Policies run on the same replications; the first is the champion.

    ``table``: one row per (policy, replication). ``in_run``: one row per (test,
    arm, replication) when champion/challenger arms shared one run. With parameter
    uncertainty ``table`` holds the runs with each replication's parameter draw,
    ``plain`` the same seeds with the fit's estimates (simulation noise only) and
    ``draws`` one row per replication with the drawn ``<segment>.<parameter>`` values.
    """

    table: pd.DataFrame
    policies: tuple[str, ...]
    common_random_numbers: bool = True
    in_run: pd.DataFrame | None = None
    plain: pd.DataFrame | None = None
    draws: pd.DataFrame | None = None

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def summary(self, kpis: list[str] | None = None, level: float = 0.95) -> pd.DataFrame:
        """Per KPI and policy: mean ± half-width; for challengers the paired difference with the
        champion, its half-width, P(challenger better) and the variance-reduction factor.

        With parameter uncertainty these include it, and ``plain_mean``, ``plain_half_width``,
        ``plain_diff``, ``plain_diff_half_width``, ``plain_p_better`` are the same figures from
        the runs at the estimates (simulation noise only), side by side.
        """
        import pandas as pd

        from collectsim.experiments.stats import mean_ci, paired_difference, variance_reduction

        kpis = kpis or kpi_columns(self.table)
        if self.plain is not None:
            out = Comparison(self.table, self.policies, self.common_random_numbers).summary(kpis, level)
            plain = Comparison(self.plain, self.policies, self.common_random_numbers).summary(kpis, level)
            for col in PLAIN_COLUMNS:
                out[f"plain_{col}"] = plain[col] if col in plain else float("nan")
            return out
        wide = {p: self.table[self.table["policy"] == p].sort_values("replication") for p in self.policies}
        champ = wide[self.policies[0]]
        rows = []
        for kpi in kpis:
            for p in self.policies:
                mean, half = mean_ci(wide[p][kpi].to_numpy(), level)
                row = {"kpi": kpi, "policy": p, "mean": mean, "half_width": half, "n": len(wide[p])}
                if p != self.policies[0]:
                    a, b = wide[p][kpi].to_numpy(), champ[kpi].to_numpy()
                    row |= paired_difference(a, b, kpi, level)
                    row["variance_reduction"] = variance_reduction(a, b)
                rows.append(row)
        return pd.DataFrame(rows)

    def in_run_summary(self, level: float = 0.95) -> pd.DataFrame | None:
        """Per in-run test and size-free KPI (rates, per-account figures): each arm's mean and the
        paired challenger − champion difference over replications."""
        import pandas as pd

        from collectsim.experiments.stats import mean_ci, paired_difference

        if self.in_run is None:
            return None
        kpis = [k for k in kpi_columns(self.in_run) if "rate" in k or "per_account" in k or "per_unit" in k]
        rows = []
        for test, sub in self.in_run.groupby("test", sort=False):
            champ = sub[sub["arm"] == "champion"].sort_values("replication")
            chall = sub[sub["arm"] == "challenger"].sort_values("replication")
            for kpi in kpis:
                m0, h0 = mean_ci(champ[kpi].to_numpy(), level)
                m1, h1 = mean_ci(chall[kpi].to_numpy(), level)
                rows.append(
                    {
                        "test": test,
                        "kpi": kpi,
                        "champion": m0,
                        "champion_half_width": h0,
                        "challenger": m1,
                        "challenger_half_width": h1,
                        **paired_difference(chall[kpi].to_numpy(), champ[kpi].to_numpy(), kpi, level),
                    }
                )
        return pd.DataFrame(rows)
