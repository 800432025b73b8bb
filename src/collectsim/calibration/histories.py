"""Account-history extracts: read, check, and turn into the event streams the likelihood reads.

Two files (CSV, or Parquet by suffix): *accounts* — ``account``, ``opening_balance`` (> 0),
``entry_dpd`` (≥ 0), ``observed_days`` (> 0), optional ``segment``; *events* — ``account``,
``day`` (days since entry, 0 ≤ day ≤ observed_days), ``kind`` (``payment`` or ``treatment``),
``channel`` (treatments), ``amount`` (payments, > 0). Every problem is one line naming the
file, the column, the first bad data row and what is allowed — never a cell's value, since
the value may be personal. Columns that look like direct identifiers are refused as by
``portfolio import`` (the account column too when it holds e-mail addresses or ID numbers;
numeric account numbers look like phone numbers and are the key, so that one kind is let
through there). Account keys are replaced by positions at load time and never kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from collectsim.calibration.likelihood import Stream, make_stream
from collectsim.errors import CollectsimError
from collectsim.identifiers import KIND_LABELS, identifier_columns

ACCOUNT_COLUMNS = ("account", "opening_balance", "entry_dpd", "observed_days")
EVENT_COLUMNS = ("account", "day", "kind")
KINDS = ("payment", "treatment")
ALL = "all"
FULL_TOLERANCE = 0.005  # a payment within half a cent of the balance clears it


@dataclass(frozen=True)
class Histories:
    """A checked extract with keys replaced by positions (nothing here names a borrower)."""

    segment: np.ndarray  # per account: code into ``segments``
    segments: tuple[str, ...]
    opening: np.ndarray
    entry_dpd: np.ndarray
    observed: np.ndarray
    ev_acc: np.ndarray  # per event, sorted by account, time, treatments first
    ev_day: np.ndarray
    ev_pay: np.ndarray  # bool: payment (else treatment)
    ev_channel: np.ndarray  # code into ``channels`` (−1 for payments)
    ev_amount: np.ndarray
    channels: tuple[str, ...]

    @property
    def accounts(self) -> int:
        return int(self.opening.size)

    def truncated(self, days: float) -> Histories:
        """The extract as it looked ``days`` before each account's end of observation (for a back-test).

        Accounts watched for ``days`` or less are dropped; events at or after the cut are removed.
        """
        cut = self.observed - days
        keep = cut > 0
        pos = np.cumsum(keep) - 1
        ev = keep[self.ev_acc] & (self.ev_day < cut[self.ev_acc])
        return Histories(
            self.segment[keep],
            self.segments,
            self.opening[keep],
            self.entry_dpd[keep],
            cut[keep],
            pos[self.ev_acc[ev]],
            self.ev_day[ev],
            self.ev_pay[ev],
            self.ev_channel[ev],
            self.ev_amount[ev],
            self.channels,
        )


def _fail(source: str, message: str) -> CollectsimError:
    return CollectsimError(f"{source}: {message}")


def read_table(path: str | Path, source: str | None = None) -> pd.DataFrame:
    """A CSV (any of , ; tab |) or Parquet file as strings; one-line errors."""
    path = Path(path)
    source = source or str(path)
    if not path.is_file():
        raise _fail(source, "file does not exist" if not path.exists() else "is not a file")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            df = pd.read_parquet(path)
            return df.astype({c: str for c in df.columns if df[c].dtype == object})
        return pd.read_csv(path, dtype=str, sep=_delimiter(path), encoding="utf-8-sig", skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise _fail(source, "file is empty; expected a header line and one row per record") from None
    except UnicodeDecodeError:
        raise _fail(source, "is not UTF-8 text; is it a CSV? (re-save it as UTF-8 CSV)") from None
    except (pd.errors.ParserError, OSError, ValueError, ImportError) as exc:
        detail = str(exc).strip().splitlines()[-1][:120] if str(exc).strip() else type(exc).__name__
        raise _fail(source, f"is not a readable CSV or Parquet file ({detail})") from None


def _delimiter(path: Path) -> str:
    """Whichever of , ; tab | occurs most in the header line."""
    with path.open("rb") as fh:
        first = fh.readline(64 * 1024).decode("utf-8-sig", errors="replace")
    counts = {sep: first.count(sep) for sep in (",", ";", "\t", "|")}
    best = max(counts, key=lambda k: counts[k])
    return best if counts[best] else ","


def _refuse_identifiers(df: pd.DataFrame, source: str) -> None:
    found = identifier_columns(list(df.columns), df.astype(str))  # every row, not a sample
    if found.get("account") == "phone":  # numeric account numbers: the key itself, replaced at load
        del found["account"]
    if found:
        col, kind = next(iter(found.items()))
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        what = "the account column holds" if col == "account" else f"column '{col}' looks like"
        raise _fail(
            source,
            f"{what} a direct identifier ({KIND_LABELS[kind]}){more}; remove it from the file "
            "(allowed: pseudonymous keys and the columns the command reads)",
        )


def _require(df: pd.DataFrame, columns: tuple[str, ...], source: str, optional: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise _fail(
            source,
            f"missing column '{missing[0]}'; allowed: a file with the columns {', '.join(columns)}{optional}; "
            f"columns found: {', '.join(map(str, df.columns)) or '(none)'}",
        )


def _numbers(df: pd.DataFrame, col: str, source: str, *, low: float, strict: bool, rows: np.ndarray | None = None):
    """A column as floats (on ``rows`` only if given); names the first bad row, never its value."""
    raw = df[col] if rows is None else df[col][rows]
    values = pd.to_numeric(raw.astype(str).str.strip(), errors="coerce").to_numpy(dtype=float)
    allowed = f"a number {'>' if strict else '≥'} {low:g}"
    bad = ~np.isfinite(values)
    if bad.any():
        row = _row(bad, rows)
        raise _fail(source, f"column '{col}' has a missing or non-numeric value in row {row}; allowed: {allowed}")
    bad = values <= low if strict else values < low
    if bad.any():
        raise _fail(source, f"column '{col}' has a value out of range in row {_row(bad, rows)}; allowed: {allowed}")
    return values


def _row(bad: np.ndarray, rows: np.ndarray | None) -> int:
    """The first bad data row, counted from 1 after the header."""
    first = int(np.flatnonzero(bad)[0])
    return (int(np.flatnonzero(rows)[first]) if rows is not None else first) + 1


def _clean_label(value: str) -> str:
    return re.sub(r"\W+", "_", str(value).strip().lower()).strip("_") or "unknown"


def load_histories(accounts: str | Path | pd.DataFrame, events: str | Path | pd.DataFrame) -> Histories:
    """Read and check an extract (paths, or data frames as read); raises ``CollectsimError`` in one line."""
    a_src = "accounts" if isinstance(accounts, pd.DataFrame) else str(accounts)
    e_src = "events" if isinstance(events, pd.DataFrame) else str(events)
    adf = accounts if isinstance(accounts, pd.DataFrame) else read_table(accounts)
    edf = events if isinstance(events, pd.DataFrame) else read_table(events)
    _refuse_identifiers(adf, a_src)
    _refuse_identifiers(edf, e_src)
    _require(adf, ACCOUNT_COLUMNS, a_src, " (optional: segment)")
    _require(edf, EVENT_COLUMNS, e_src, " (channel for treatments, amount for payments)")
    if len(adf) == 0:
        raise _fail(a_src, "has no data rows; expected one row per account")
    keys = adf["account"].astype(str).str.strip()
    dup = keys.duplicated().to_numpy()
    if dup.any():
        raise _fail(a_src, f"column 'account' repeats a key in row {_row(dup, None)}; allowed: one row per account")
    opening = _numbers(adf, "opening_balance", a_src, low=0, strict=True)
    entry_dpd = _numbers(adf, "entry_dpd", a_src, low=0, strict=False)
    observed = _numbers(adf, "observed_days", a_src, low=0, strict=True)
    if "segment" in adf.columns:
        labels = adf["segment"].fillna("unknown").map(_clean_label)
        segments = tuple(sorted(labels.unique()))
        seg = pd.Categorical(labels, categories=segments).codes.astype(np.int64)
    else:
        segments, seg = (ALL,), np.zeros(len(adf), dtype=np.int64)
    # Events: account, kind, then the day and the kind's own column.
    acc = pd.Index(keys).get_indexer(edf["account"].astype(str).str.strip())
    if (acc < 0).any():
        raise _fail(
            e_src,
            f"column 'account' in row {_row(acc < 0, None)} names an account not in {a_src}; "
            f"allowed: the keys of {a_src}",
        )
    kind = edf["kind"].astype(str).str.strip().str.lower()
    bad = ~kind.isin(KINDS).to_numpy()
    if bad.any():
        raise _fail(e_src, f"column 'kind' has an unknown kind in row {_row(bad, None)}; allowed: {', '.join(KINDS)}")
    day = _numbers(edf, "day", e_src, low=0, strict=False)
    late = day > observed[acc]
    if late.any():
        raise _fail(
            e_src,
            f"column 'day' is beyond the account's observed_days ({a_src}) in row {_row(late, None)}; "
            "allowed: 0 ≤ day ≤ observed_days",
        )
    pay = (kind == "payment").to_numpy()
    amount = np.full(len(edf), np.nan)
    if pay.any():
        if "amount" not in edf.columns:
            raise _fail(
                e_src, "missing column 'amount'; allowed: a file with an amount (a number > 0) on every payment"
            )
        amount[pay] = _numbers(edf, "amount", e_src, low=0, strict=True, rows=pay)
    channel = np.full(len(edf), -1, dtype=np.int64)
    channels: tuple[str, ...] = ()
    if (~pay).any():
        if "channel" not in edf.columns:
            raise _fail(
                e_src,
                "missing column 'channel'; allowed: a file with the reaching channel on every treatment",
            )
        names = edf["channel"][~pay]
        empty = (names.isna() | (names.astype(str).str.strip() == "")).to_numpy()
        if empty.any():
            raise _fail(
                e_src,
                f"column 'channel' is empty in row {_row(empty, ~pay)}; allowed: a channel name on every treatment",
            )
        labels = names.map(_clean_label)
        channels = tuple(sorted(labels.unique()))
        channel[~pay] = pd.Categorical(labels, categories=channels).codes
    # Sorted by account, then day, treatments before payments on a tie, then file order.
    order = np.lexsort((np.arange(len(edf)), pay, day, acc))
    return Histories(
        seg,
        segments,
        opening,
        entry_dpd,
        observed,
        acc[order].astype(np.int64),
        day[order],
        pay[order],
        channel[order],
        amount[order],
        channels,
    )


@dataclass(frozen=True)
class Prepared:
    """One segment's stream with its payment marks (R = amount ÷ balance before, 1 = paid in full)."""

    stream: Stream
    channels: tuple[str, ...]  # the treatment channels seen in this segment (the stream's δ₂ columns)
    r: np.ndarray  # per payment (stream order)
    full: np.ndarray
    account_rows: np.ndarray  # positions in the Histories of the stream's accounts
    balance_after: np.ndarray  # per stream event: the balance just after it
    opening: np.ndarray  # per stream account
    watched: np.ndarray  # per stream account: observed_days (an account paid in full stays in the cohort)
    amount: np.ndarray  # per stream event: the payment (0 for a treatment)
    dropped_events: int  # events after a payment in full (ignored)


def prepare(h: Histories, accounts: np.ndarray) -> Prepared:
    """The stream of ``accounts`` (positions in ``h``): marks, risk ends, jump basis."""
    pos = np.full(h.accounts, -1)
    pos[accounts] = np.arange(accounts.size)
    sel = pos[h.ev_acc] >= 0
    acc, day, pay = pos[h.ev_acc[sel]], h.ev_day[sel], h.ev_pay[sel]
    ch, amount = h.ev_channel[sel], np.where(h.ev_pay[sel], h.ev_amount[sel], 0.0)
    opening = h.opening[accounts]
    # Balance before each event: opening less the account's earlier payments.
    paid_before = _group_cumsum(acc, amount) - amount
    before = opening[acc] - paid_before
    full = pay & (amount >= before - FULL_TOLERANCE)
    # The risk set ends at a payment in full; anything later is ignored.
    cleared = _group_cumsum(acc, full.astype(np.int64)) - full
    live = cleared == 0
    dropped = int((~live).sum())
    acc, day, pay, ch, amount, before, full = (v[live] for v in (acc, day, pay, ch, amount, before, full))
    end = h.observed[accounts].copy()
    end[acc[full]] = day[full]
    seen = np.unique(ch[~pay])
    x = np.zeros((acc.size, 2 + seen.size))
    r = np.where(pay, np.minimum(amount / np.maximum(before, FULL_TOLERANCE), 1.0), 0.0)
    partial = pay & ~full
    x[partial, 0] = 1.0
    x[partial, 1] = r[partial]
    if seen.size:
        col = np.searchsorted(seen, ch[~pay])
        x[np.flatnonzero(~pay), 2 + col] = 1.0
    return Prepared(
        stream=make_stream(acc, day, x, pay, end),
        channels=tuple(h.channels[c] for c in seen),
        r=r[pay],
        full=full[pay],
        account_rows=accounts,
        balance_after=np.where(full, 0.0, before - amount),
        opening=opening,
        watched=h.observed[accounts],
        amount=np.where(pay, amount, 0.0),
        dropped_events=dropped,
    )


def _group_cumsum(group: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Cumulative sum of ``values`` within runs of equal ``group`` (sorted)."""
    c = np.cumsum(values)
    if not values.size:
        return c
    start = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    offset = np.repeat(c[start] - values[start], np.diff(np.r_[start, values.size]))
    return c - offset
