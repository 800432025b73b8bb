"""Fit a scenario's population from a real portfolio extract without copying anyone into it.

``fit_portfolio`` streams a CSV extract (one row per account) in chunks, checks every cell
of every kept column for direct identifiers (``collectsim.identifiers``: names, e-mail,
phone, IBAN, card and national ID numbers, dates of birth, addresses, free text — by column
name or by content) and refuses the file while any remains. It keeps only the balance, DPD
and segment columns and reduces them to per-segment aggregates: share, balance mean and sd
(a lognormal fitted by moments) and the spread of entry DPD (days grouped by tens, each group
with its share and the days it spans). Segments of fewer than ``MIN_SEGMENT_ROWS`` rows are
merged into ``"other"`` so no small group can describe an individual (an ``"other"`` still that
small joins the largest segment), and a segment label that itself looks like an identifier is
replaced by ``segment_1``, ``segment_2``, … ``write_scenario`` puts those aggregates into a
template scenario and writes it as TOML; no row or cell of the extract is ever written, and no
error message quotes one (they name a column and a row number). Whatever the fit had to assume
(merged segments, DPD beyond the schema's limit, settings borrowed from another template
segment) is one line each in ``assumptions`` and in the written file's header.
"""

from __future__ import annotations

import math
import re
import shlex
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import tomli_w

from collectsim.errors import CollectsimError
from collectsim.identifiers import (
    GIVEN_NAMES,
    IDENTIFIER_PATTERNS,
    KIND_LABELS,
    TITLES,
    Finding,
    IdentifierScan,
    header_problem,
    identifier_columns,
    kind_of_value,
)
from collectsim.scenario import scenario_from_dict
from collectsim.scenario.schema import LOGNORMAL_CV_MAX, MONEY_MAX
from collectsim.scenario.schema_base import file_safe_name

__all__ = [
    "IDENTIFIER_PATTERNS",
    "KIND_LABELS",
    "MIN_SEGMENT_ROWS",
    "PortfolioFit",
    "assumptions",
    "fit_portfolio",
    "identifier_columns",
    "write_scenario",
]

MIN_SEGMENT_ROWS = 30
CHUNK_ROWS = 100_000  # rows per chunk when streaming the extract: memory is bounded by the columns the fit keeps
OTHER = "other"
DPD_BUCKETS: tuple[tuple[int, int | None, str], ...] = (
    (1, 30, "dpd_1_30"),
    (31, 60, "dpd_31_60"),
    (61, 90, "dpd_61_90"),
    (91, None, "dpd_91_plus"),
)
MAX_ENTRY_DPD = 720  # the scenario schema's bound on population.segments.*.entry_dpd
DPD_GROUP_DAYS = 10  # entry DPD is kept as a spread over groups of this many days (1–10, 11–20, …)
MAX_ACCOUNTS = 20_000_000  # the scenario schema's bound on population.accounts
MAX_LABEL_CHARS = 48  # a longer segment label is free text, not a category
MAX_COLUMN_NAME = 128  # a longer header cell is data, not a column name


@dataclass(frozen=True)
class PortfolioFit:
    """Aggregates of an extract: one entry per segment, nothing about any single row.

    ``segments`` maps a segment name to ``{"share", "balance_mean", "balance_sd", "entry_dpd",
    "entry_dpd_median", "count"}``, where ``entry_dpd`` is one day when every row has the same DPD,
    else ``{"ranges": [[low, high], …], "shares": […]}`` (the scenario's spread form); ``accounts``
    counts the delinquent rows (DPD ≥ 1) the fit used and ``rows_read`` every data row of the file.
    ``segment_column`` is None when segments are DPD buckets. ``renamed`` counts segment labels
    replaced by ``segment_<n>`` because they looked like identifiers; ``notes`` says, one line
    each, what the fit merged or clipped.
    """

    accounts: int
    segments: dict[str, dict]
    dpd_column: str
    balance_column: str
    segment_column: str | None
    rows_read: int = 0
    renamed: int = 0
    notes: tuple[str, ...] = ()


# --- reading the extract ------------------------------------------------------------------


def _fail(source: str, message: str) -> CollectsimError:
    return CollectsimError(f"{source}: {message}")


def _delimiter(path: Path, source: str) -> str:
    """The extract's delimiter: whichever of , ; tab | occurs most in the header line."""
    try:
        with path.open("rb") as fh:
            head = fh.read(64 * 1024)
    except FileNotFoundError:
        raise _fail(source, "file does not exist") from None
    except OSError as exc:
        raise _fail(source, f"cannot read the file ({exc.strerror or exc})") from None
    if not head.strip():
        raise _fail(source, "file is empty; expected a CSV with a header line and one row per account")
    if b"\x00" in head:
        raise _fail(source, "is a binary file, not a CSV")
    try:
        first = head.decode("utf-8-sig", errors="strict").splitlines()[0]
    except UnicodeDecodeError:
        # The 64 KiB cut may split a character; only the header line matters here.
        first = head.split(b"\n", 1)[0].decode("utf-8-sig", errors="replace")
    counts = {sep: first.count(sep) for sep in (",", ";", "\t", "|")}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] else ","


def _read_error(source: str, exc: Exception) -> CollectsimError:
    """The one-line error for a CSV pandas cannot read; pandas' own text is used only when it quotes no cell."""
    if isinstance(exc, pd.errors.EmptyDataError):
        return _fail(source, "file is empty; expected a CSV with a header line and one row per account")
    if isinstance(exc, UnicodeDecodeError):
        return _fail(source, "is not UTF-8 text; is it a CSV? (re-save it as UTF-8 CSV)")
    if isinstance(exc, pd.errors.ParserError):
        detail = str(exc).strip().splitlines()[-1] if str(exc).strip() else "cannot parse"
        if not re.fullmatch(r"[\w .,:;()-]{1,160}", detail) or kind_of_value(detail) is not None:
            detail = "cannot parse"
        return _fail(source, f"is not a readable CSV ({detail})")
    return _fail(source, f"is not a readable CSV ({type(exc).__name__})")


_READ_ERRORS = (pd.errors.EmptyDataError, UnicodeDecodeError, pd.errors.ParserError, OSError, ValueError)
_CSV_OPTIONS: dict[str, Any] = {"dtype": str, "encoding": "utf-8-sig", "skipinitialspace": True}


def _header_columns(path: Path, source: str, sep: str) -> list[str]:
    """The header line's column names; a first line that is really data is refused without quoting it."""
    try:
        columns = [str(c).strip() for c in pd.read_csv(path, sep=sep, nrows=0, **_CSV_OPTIONS).columns]
    except _READ_ERRORS as exc:
        raise _read_error(source, exc) from None
    problem = header_problem(columns)
    if problem is not None:
        position, kind = problem
        raise _not_a_header(source, position, f"looks like data ({KIND_LABELS[kind]})")
    for position, col in enumerate(columns, start=1):
        if len(col) > MAX_COLUMN_NAME or re.search(r"[\x00-\x1f\x7f]", col):
            raise _not_a_header(source, position, "is too long or holds a line break")
    return columns


def _not_a_header(source: str, position: int, what: str) -> CollectsimError:
    """A first line that is a data row, named by field position: quoting it would print a cell."""
    return _fail(
        source,
        f"the first line does not look like a header: its field {position} {what}, not a column name; "
        "add a header line naming the columns",
    )


def _chunks(path: Path, source: str, sep: str, columns: set[str]) -> Iterator[pd.DataFrame]:
    """The extract's ``columns`` in chunks of ``CHUNK_ROWS`` rows (header names stripped); one-line errors."""
    try:
        reader = pd.read_csv(
            path, sep=sep, usecols=lambda c: str(c).strip() in columns, chunksize=CHUNK_ROWS, **_CSV_OPTIONS
        )
        with reader:
            for chunk in reader:
                chunk.columns = [str(c).strip() for c in chunk.columns]
                yield chunk.loc[:, ~chunk.columns.duplicated()]
    except _READ_ERRORS as exc:
        raise _read_error(source, exc) from None


def _column_list(columns: Sequence[str]) -> str:
    """The available columns for an error message, unless the 'header' is really a data row."""
    numeric = sum(bool(re.fullmatch(r"[+-]?\d+([.,]\d*)?", c.strip())) for c in columns)
    if numeric or any(kind_of_value(c) is not None for c in columns):
        return "the first line does not look like a header (does the file lack one?)"
    return "columns: " + (", ".join(columns) if columns else "(none)")


def _numbers(df: pd.DataFrame, col: str, what: str, source: str, *, whole: bool = False) -> np.ndarray:
    """A column as floats; an error names the column and the first bad row number, never a value."""
    raw = df[col]
    values = pd.to_numeric(raw.str.strip(), errors="coerce").to_numpy(dtype=float)
    problems = (
        (~np.isfinite(values), "a missing or non-numeric value", ""),
        (values < 0, "a negative value", f"; {what} must be ≥ 0"),
        (values > MONEY_MAX, "a value above 1e12", f"; {what} must be at most 1e12 (sums of larger ones overflow)"),
    )
    if whole:
        problems += ((np.isfinite(values) & (values % 1 != 0), "a fractional value", "; DPD counts whole days"),)
    bad = np.flatnonzero(np.logical_or.reduce([mask for mask, _, _ in problems]))
    if bad.size:
        first = int(bad[0])
        message, hint = next((m, h) for mask, m, h in problems if mask[first])
        raise _fail(
            source,
            f"column '{col}' has {message} in row {first + 1} (data rows counted from 1 after the header){hint}",
        )
    return values


def _refusal(source: str, found: Mapping[str, Finding], columns: Sequence[str]) -> CollectsimError:
    """One line naming each refused column, its kind and first row (never a cell), with the --drop fix."""
    cols = list(found)
    for col in cols:
        if kind_of_value(col) is not None:  # the "name" is itself data: a header-less file
            return _not_a_header(source, columns.index(col) + 1, f"looks like data ({KIND_LABELS[found[col].kind]})")
    flags = " ".join(f"--drop {shlex.quote(c)}" for c in cols)

    def where(finding: Finding) -> str:
        return f"first in data row {finding.row:,}" if finding.row is not None else "from its name"

    if len(cols) == 1:
        col = cols[0]
        finding = found[col]
        return _fail(
            source,
            f"column '{col}' looks like a direct identifier ({KIND_LABELS[finding.kind]}); "
            f"{where(finding)}; drop it with {flags}",
        )
    listed = ", ".join(f"'{c}' ({KIND_LABELS[f.kind]}) {where(f)}" for c, f in found.items())
    return _fail(source, f"columns {listed} look like direct identifiers; drop them with {flags}")


# --- fitting ---------------------------------------------------------------------------


def _slug(label: Any) -> str:
    text = re.sub(r"\W+", "_", str(label).strip().lower()).strip("_")
    return text or "unknown"


def _slugs(raw: pd.Series) -> pd.Series:
    """Each raw segment value as a slug ("unknown" when missing), slugging each distinct value once."""
    codes, uniques = pd.factorize(raw)
    slugs = np.array([_slug(v) for v in uniques] + ["unknown"], dtype=object)
    return pd.Series(slugs[codes])  # code -1 (missing) picks the trailing "unknown"


def _dpd_bucket(dpd: np.ndarray) -> np.ndarray:
    labels = np.empty(dpd.shape, dtype=object)
    for lo, hi, name in DPD_BUCKETS:
        labels[(dpd >= lo) & (dpd <= (np.inf if hi is None else hi))] = name
    return labels


@dataclass(frozen=True)
class _Merges:
    """What ``_merge_small`` did: how many small labels (and rows) went into 'other', and where a small 'other' went."""

    small_labels: int = 0
    small_rows: int = 0
    other_rows: int = 0  # rows of 'other' when it was too small to stand alone
    folded_into: str | None = None  # the largest segment, which took that 'other'


def _merge_small(labels: pd.Series) -> tuple[pd.Series, _Merges]:
    """Segments under ``MIN_SEGMENT_ROWS`` rows become 'other'; a still-small 'other' joins the largest segment."""
    counts = labels.value_counts()
    small = counts.index[(counts < MIN_SEGMENT_ROWS) & (counts.index != OTHER)]
    labels = labels.where(~labels.isin(small), OTHER)
    merges = _Merges(small_labels=len(small), small_rows=int(counts[small].sum()))
    counts = labels.value_counts()
    if OTHER in counts and counts[OTHER] < MIN_SEGMENT_ROWS and len(counts) > 1:
        largest = counts.drop(OTHER).idxmax()
        labels = labels.where(labels != OTHER, largest)
        merges = _Merges(merges.small_labels, merges.small_rows, int(counts[OTHER]), str(largest))
    return labels, merges


def _merge_notes(merges: _Merges, public: Mapping[str, str]) -> list[str]:
    """One line per merge, naming no merged label (a rare label may itself describe someone)."""
    notes = []
    if merges.small_labels:
        notes.append(
            f"{merges.small_labels} segment label(s) with fewer than {MIN_SEGMENT_ROWS} rows each "
            f"({merges.small_rows:,} rows together) were merged into '{OTHER}'"
        )
    if merges.folded_into is not None:
        notes.append(
            f"'{OTHER}' had only {merges.other_rows:,} rows (fewer than {MIN_SEGMENT_ROWS}), too few to be a segment: "
            f"merged into '{public[merges.folded_into]}', the largest segment"
        )
    return notes


def _entry_dpd_spread(dpd: np.ndarray) -> int | dict[str, list]:
    """A segment's entry DPD: one day if every row has it, else its spread over groups of ``DPD_GROUP_DAYS`` days.

    Each group becomes the range of days its rows span (1–10 holding only DPD 1 gives [1, 1]) with
    its share of the rows, so a draw keeps the observed shape at a resolution of ten days.
    """
    days = np.minimum(dpd.astype(np.int64), MAX_ENTRY_DPD)
    if days.min() == days.max():
        return int(days[0])
    group = (days - 1) // DPD_GROUP_DAYS
    ranges, counts = [], {}
    for i, g in enumerate(np.unique(group)):
        members = days[group == g]
        ranges.append([int(members.min()), int(members.max())])
        counts[str(i)] = members.size / days.size
    shares = _rounded_shares(counts)
    return {"ranges": ranges, "shares": [shares[str(i)] for i in range(len(ranges))]}


def _label_is_private(label: str) -> bool:
    """Whether a segment label could name or locate a person, rather than a group of accounts.

    A label is private when it reads as an identifier on its own (``kind_of_value`` on the
    label with its underscores as spaces: "jane_doe", "12_oak_street_springfield",
    "555_123_4567"), contains a common given name or a title as a word, carries a run of
    six or more digits (account, customer or ID numbers), or is long enough to be free text.
    """
    words = label.split("_")
    if len(label) > MAX_LABEL_CHARS or any(w in GIVEN_NAMES or w in TITLES for w in words):
        return True
    if re.search(r"\d{6}", label.replace("_", "")):
        return True
    return kind_of_value(label.replace("_", " ")) is not None


def _private_labels(raw: pd.Series, labels: pd.Series) -> set[str]:
    """Kept labels that look like identifiers, judged on the label and on every raw value behind it.

    The raw values matter because slugging loses the '@' of an e-mail address.
    """
    kept = set(labels.unique()) - {OTHER}
    private = {label for label in kept if _label_is_private(label)}
    behind = pd.DataFrame({"raw": raw.to_numpy(), "label": labels.to_numpy()}).dropna().drop_duplicates()
    for value, label in behind[behind["label"].isin(kept - private)].itertuples(index=False):
        if label not in private and kind_of_value(value) is not None:
            private.add(label)
    return private


def _renamed(names: Sequence[str], private: set[str]) -> dict[str, str]:
    """Each label, with private ones replaced by segment_1, segment_2, … (in size order, skipping names in use)."""
    taken = set(names) - private
    out: dict[str, str] = {}
    n = 0
    for name in names:
        if name not in private:
            out[name] = name
            continue
        n += 1
        while f"segment_{n}" in taken:
            n += 1
        out[name] = f"segment_{n}"
    return out


def fit_portfolio(
    csv_path: str | Path,
    *,
    balance_column: str = "balance",
    dpd_column: str = "dpd",
    segment_column: str | None = "segment",
    segment_required: bool = False,
    drop: Sequence[str] = (),
) -> PortfolioFit:
    """Per-segment share, balance mean/sd and entry-DPD spread of a CSV extract; refuses identifier columns.

    Segments come from ``segment_column`` when the file has it, otherwise from DPD buckets
    (1–30, 31–60, 61–90, 91+); with ``segment_required`` (a column the user named) a missing one is an error,
    as a misspelt name must not quietly become DPD buckets. Rows with DPD < 1 are left out (not delinquent); segments of
    fewer than ``MIN_SEGMENT_ROWS`` rows are merged into "other", and kept labels that look
    like identifiers are renamed ``segment_<n>``. Every row of every column not in ``drop``
    is checked for identifiers while the file streams by; only the balance, DPD and segment
    columns are kept in memory. Every error is a one-line ``CollectsimError`` that names the
    file, and at most a column and a row number; none quotes a cell of it.
    """
    path = Path(csv_path)
    source = str(csv_path)
    sep = _delimiter(path, source)
    columns = _header_columns(path, source, sep)

    drop = [drop] if isinstance(drop, str) else list(drop)
    unknown = [c for c in drop if c not in columns]
    if unknown:
        names = ", ".join(f"'{c}'" for c in unknown)
        raise _fail(source, f"--drop names no column of the file: {names}; {_column_list(columns)}")
    kept = [c for c in columns if c not in set(drop)]
    roles = {balance_column: "the balance column", dpd_column: "the days-past-due column"}
    for col, role in roles.items():
        if col not in kept:
            dropped = " (it was dropped)" if col in drop else ""
            raise _fail(source, f"no column '{col}' ({role}){dropped}; {_column_list(kept)}")
    if segment_required and segment_column not in kept:
        dropped = " (it was dropped)" if segment_column in drop else ""
        raise _fail(source, f"no column '{segment_column}' (the segment column){dropped}; {_column_list(kept)}")
    seg_col = segment_column if segment_column in kept else None
    wanted = [balance_column, dpd_column] + ([seg_col] if seg_col else [])

    scan = IdentifierScan(kept)
    parts: list[pd.DataFrame] = []
    rows_read = 0
    for chunk in _chunks(path, source, sep, set(kept)):
        scan.add(chunk, first_row=rows_read + 1)
        parts.append(chunk[wanted].reset_index(drop=True))
        rows_read += len(chunk)
    found = scan.findings()
    if found:
        raise _refusal(source, found, columns)
    if rows_read == 0:
        raise _fail(source, "has a header line but no data rows")
    df = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    del parts

    balance = _numbers(df, balance_column, "balances", source)
    dpd = _numbers(df, dpd_column, "days past due", source, whole=True)
    delinquent = dpd >= 1
    n = int(delinquent.sum())
    if n < MIN_SEGMENT_ROWS:
        raise _fail(
            source,
            f"only {n} delinquent rows (DPD ≥ 1) of {rows_read}; at least {MIN_SEGMENT_ROWS} are needed "
            "so the fit cannot describe an individual",
        )
    balance, dpd = balance[delinquent], dpd[delinquent]
    if seg_col is not None:
        raw = df.loc[delinquent, seg_col].reset_index(drop=True)
        labels, merges = _merge_small(_slugs(raw))
        private = _private_labels(raw, labels)
    else:
        labels, merges = _merge_small(pd.Series(_dpd_bucket(dpd)))
        private = set()

    segments: dict[str, dict] = {}
    order = labels.value_counts()
    names = [s for s in order.index if s != OTHER] + ([OTHER] if OTHER in order.index else [])
    public = _renamed(names, private)
    for name in names:
        mask = (labels == name).to_numpy()
        bal = balance[mask]
        mean = float(bal.mean())
        if mean <= 0:
            raise _fail(source, f"segment '{public[name]}' has no positive balance; a lognormal fit needs a mean > 0")
        segments[public[name]] = {
            "share": int(mask.sum()) / n,
            "balance_mean": mean,
            "balance_sd": float(bal.std(ddof=1)),
            "entry_dpd": _entry_dpd_spread(dpd[mask]),
            "entry_dpd_median": max(1, math.floor(float(np.median(dpd[mask])) + 0.5)),
            "count": int(mask.sum()),
        }
    notes = _merge_notes(merges, public)
    beyond = int((dpd > MAX_ENTRY_DPD).sum())
    if beyond:
        notes.append(
            f"{beyond:,} row(s) with DPD above {MAX_ENTRY_DPD} enter at DPD {MAX_ENTRY_DPD}, the most a scenario allows"
        )
    return PortfolioFit(
        accounts=n,
        segments=segments,
        dpd_column=dpd_column,
        balance_column=balance_column,
        segment_column=seg_col,
        rows_read=rows_read,
        renamed=len(private),
        notes=tuple(notes),
    )


# --- writing ---------------------------------------------------------------------------


def _rounded_shares(shares: Mapping[str, float]) -> dict[str, float]:
    """Shares rounded to 4 decimals whose sum is 1 within 1e-6 (the remainder goes to the largest)."""
    out = {k: round(v, 4) for k, v in shares.items()}
    largest = max(out, key=lambda k: out[k])
    out[largest] = round(out[largest] + 1.0 - sum(out.values()), 4)
    return out


def _comment_safe(text: str) -> str:
    return re.sub(r"[\x00-\x1f\x7f]", " ", text)


def _header(fit: PortfolioFit, template_name: str, assumed: Sequence[str]) -> str:
    cols = [f"'{fit.balance_column}' (balance)", f"'{fit.dpd_column}' (days past due)"]
    cols.append(f"'{fit.segment_column}' (segment)" if fit.segment_column else "no segment column: DPD buckets")
    read = f" of {fit.rows_read:,} read" if fit.rows_read else ""
    lines = [
        "Population fitted from a portfolio extract by collectsim (portfolio import).",
        f"Rows used: {fit.accounts:,} delinquent accounts (DPD ≥ 1){read}.",
        f"Columns used: {', '.join(cols)}.",
        "Only aggregates are stored: per segment its share (4 decimals), balance mean and sd",
        f"(lognormal by moments, 2 decimals) and entry DPD spread over groups of {DPD_GROUP_DAYS} days (each",
        f"group's share and the days it spans); segments under {MIN_SEGMENT_ROWS} rows are merged into '{OTHER}'.",
        *(
            [f"{fit.renamed} segment label(s) that looked like identifiers were renamed segment_<n>."]
            if fit.renamed
            else []
        ),
        "No row or cell of the extract is copied into this file.",
        f"Everything else (reasons, channels, teams, policy) comes from the template '{template_name}'.",
        *(f"Assumed: {line}." for line in assumed),
    ]
    return "".join(f"# {_comment_safe(line)}\n" for line in lines) + "\n"


def _template_segments(template: Path) -> tuple[dict, dict]:
    """The template scenario as a dict, and its population.segments; one-line errors."""
    try:
        raw = tomllib.loads(template.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CollectsimError(f"{template}: template scenario does not exist") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CollectsimError(f"{template}: cannot read the template scenario ({exc})") from None
    population = raw.get("population")
    base_segments = population.get("segments") if isinstance(population, dict) else None
    if not isinstance(base_segments, dict) or not base_segments:
        raise CollectsimError(f"{template}: the template has no population.segments to take reason mixes from")
    return raw, base_segments


def _borrowed(fit: PortfolioFit, base_segments: Mapping[str, Any]) -> dict[str, str]:
    """Fitted segments with no namesake in the template, each with the template segment it takes settings from."""
    first = next(iter(base_segments))
    return {name: first for name in fit.segments if name not in base_segments}


def assumptions(fit: PortfolioFit, template: str | Path) -> list[str]:
    """What the scenario written from ``fit`` on ``template`` assumes, one line each: merges, clipped DPD,
    and each segment whose reason mix (and other settings) comes from another template segment."""
    template = Path(template)
    raw, base_segments = _template_segments(template)
    name = str(raw.get("name", template.stem))
    return [*fit.notes] + [
        f"segment '{seg}' is not in the template '{name}': it takes the reason mix and other settings of "
        f"template segment '{src}'"
        for seg, src in _borrowed(fit, base_segments).items()
    ]


def write_scenario(fit: PortfolioFit, out: str | Path, *, template: str | Path, overwrite: bool = False) -> Path:
    """Write the template scenario with its population replaced by ``fit``; return the path written.

    Each segment takes the template's segment of the same name as a base (its reason mix and
    any other per-segment settings), else the template's first segment, and the file's header
    says so (``assumptions``); share, balance and entry DPD come from the fit. The result is
    validated before anything is written, and an existing file is replaced only with ``overwrite=True``.
    """
    out = Path(out)
    if out.exists() and not overwrite:
        raise CollectsimError(f"{out}: already exists; refusing to overwrite it (choose another path, or --overwrite)")
    template = Path(template)
    raw, base_segments = _template_segments(template)
    population = raw["population"]
    if not fit.segments:
        raise CollectsimError("the portfolio fit has no segments")

    borrowed = _borrowed(fit, base_segments)
    shares = _rounded_shares({k: v["share"] for k, v in fit.segments.items()})
    segments: dict[str, dict] = {}
    for name, seg in fit.segments.items():
        base = base_segments[borrowed.get(name, name)]
        entry = {k: v for k, v in base.items() if k not in ("share", "balance", "entry_dpd")}
        sd = seg["balance_sd"]
        segments[name] = {
            "share": shares[name],
            "balance": {
                "dist": "lognormal",
                "mean": round(seg["balance_mean"], 2),
                "sd": min(
                    max(round(sd, 2) if math.isfinite(sd) else 0.0, 0.01), LOGNORMAL_CV_MAX * seg["balance_mean"]
                ),
                # sd of a one-balance or constant-balance segment is 0 or NaN; the schema needs > 0
            },
            "entry_dpd": seg["entry_dpd"],
            **entry,
        }
    template_name = str(raw.get("name", template.stem))
    raw["name"] = file_safe_name(out.stem, "portfolio")
    raw["description"] = (
        f"Population fitted from a portfolio extract ({fit.accounts:,} accounts); rest: {template_name}"
    )
    raw["population"] = {**population, "accounts": min(fit.accounts, MAX_ACCOUNTS), "segments": segments}
    scenario_from_dict(raw, source=str(out))

    text = _header(fit, template_name, assumptions(fit, template)) + tomli_w.dumps(raw)
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        with out.open("w" if overwrite else "x", encoding="utf-8") as fh:
            fh.write(text)
    except FileExistsError:
        raise CollectsimError(f"{out}: already exists; refusing to overwrite it") from None
    return out
