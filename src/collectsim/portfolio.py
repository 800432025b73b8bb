"""Fit a scenario's population from a real portfolio extract without copying anyone into it.

``fit_portfolio`` reads a CSV extract (one row per account), refuses it while any column
looks like a direct identifier (names, phone numbers, national ID numbers, e-mail, postal
addresses — by column name or by content), and reduces it to per-segment aggregates:
share, balance mean and sd (a lognormal fitted by moments) and median days past due.
Segments of fewer than ``MIN_SEGMENT_ROWS`` rows are merged into ``"other"`` so no small
group can describe an individual. ``write_scenario`` puts those aggregates into a template
scenario and writes it as TOML; no row or cell of the extract is ever written.
"""

from __future__ import annotations

import math
import re
import shlex
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import tomli_w

from collectsim.errors import CollectsimError
from collectsim.scenario import scenario_from_dict
from collectsim.scenario.schema_base import file_safe_name

# Column-name patterns by kind of direct identifier. A pattern matches a column whose name,
# split into lower-case words (at underscores, spaces, dashes, dots and camelCase), contains
# the pattern's words in a row; or whose letters and digits alone equal the pattern's, or
# contain them when the pattern is at least 5 characters long or not ASCII ("homeaddress", "身份证号").
IDENTIFIER_PATTERNS: dict[str, tuple[str, ...]] = {
    "name": (
        "name", "first_name", "last_name", "full_name", "given_name", "family_name", "middle_name",
        "maiden_name", "customer_name", "client_name", "borrower_name", "debtor_name", "holder_name",
        "account_holder", "surname", "forename", "firstname", "lastname", "fullname", "姓名", "名字",
    ),
    "email": ("email", "e_mail", "email_address", "邮箱", "电子邮件"),
    "phone": (
        "phone", "telephone", "tel", "mobile", "cell", "cellphone", "msisdn", "fax", "phone_number",
        "手机", "电话",
    ),
    "national_id": (
        "ssn", "social_security", "national_id", "national_insurance", "id_card", "identity_card",
        "passport", "tax_id", "身份证", "证件",
    ),
    "address": (
        "address", "addr", "street", "zip", "zipcode", "zip_code", "postcode", "post_code",
        "postal_code", "house_number", "地址", "住址", "邮编",
    ),
}  # fmt: skip

KIND_LABELS: dict[str, str] = {
    "name": "personal name",
    "email": "e-mail address",
    "phone": "phone number",
    "national_id": "national ID number",
    "address": "postal address",
}

MIN_SEGMENT_ROWS = 30
SAMPLE_ROWS = 5000
CONTENT_SHARE = 0.2  # a column is an identifier when this share of its sampled values look like one
OTHER = "other"
DPD_BUCKETS: tuple[tuple[int, int | None, str], ...] = (
    (1, 30, "dpd_1_30"),
    (31, 60, "dpd_31_60"),
    (61, 90, "dpd_61_90"),
    (91, None, "dpd_91_plus"),
)
MAX_ENTRY_DPD = 720  # the scenario schema's bound on population.segments.*.entry_dpd
MAX_ACCOUNTS = 20_000_000  # the scenario schema's bound on population.accounts

_EMAIL = re.compile(r"[^@\s<>]+@[^@\s<>]+\.[A-Za-z]{2,}")
_SSN = re.compile(r"\d{3}-\d{2}-\d{4}")
_CN_ID = re.compile(r"\d{17}[\dXx]")
_PHONE = re.compile(r"\+?[\d(][\d ()\-]*\d")
_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}-\d{1,2}-\d{4}")


@dataclass(frozen=True)
class PortfolioFit:
    """Aggregates of an extract: one entry per segment, nothing about any single row.

    ``segments`` maps a segment name to ``{"share", "balance_mean", "balance_sd", "entry_dpd",
    "count"}``; ``accounts`` counts the delinquent rows (DPD ≥ 1) the fit used and
    ``rows_read`` every data row of the file. ``segment_column`` is None when segments are
    DPD buckets.
    """

    accounts: int
    segments: dict[str, dict]
    dpd_column: str
    balance_column: str
    segment_column: str | None
    rows_read: int = 0


# --- identifier detection ---------------------------------------------------------------


def _words(text: str) -> list[str]:
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", str(text))
    return [w for w in re.split(r"[\W_]+", text.lower()) if w]


def _name_matches(column: str, pattern: str) -> bool:
    words, pat = _words(column), _words(pattern)
    if any(words[i : i + len(pat)] == pat for i in range(len(words) - len(pat) + 1)):
        return True
    compact, pat_compact = "".join(words), "".join(pat)
    if compact == pat_compact:
        return True
    return (len(pat_compact) >= 5 or not pat_compact.isascii()) and pat_compact in compact


def _kind_by_name(column: str) -> str | None:
    for kind, patterns in IDENTIFIER_PATTERNS.items():
        if any(_name_matches(column, p) for p in patterns):
            return kind
    return None


def _looks_like_date(value: str) -> bool:
    if _DATE.fullmatch(value):
        return True
    if len(value) == 8 and value.isdigit():
        y, m, d = int(value[:4]), int(value[4:6]), int(value[6:])
        return 1900 <= y <= 2100 and 1 <= m <= 12 and 1 <= d <= 31
    return False


def _kind_of_value(value: str) -> str | None:
    if _EMAIL.search(value):
        return "email"
    if _SSN.fullmatch(value) or _CN_ID.fullmatch(value):
        return "national_id"
    if _PHONE.fullmatch(value) and not _looks_like_date(value):
        digits = sum(c.isdigit() for c in value)
        if 8 <= digits <= 15:
            return "phone"
    return None


def _kind_by_content(values: pd.Series) -> str | None:
    texts = [str(v).strip() for v in values.dropna()]
    texts = [t for t in texts if t]
    if not texts:
        return None
    counts: dict[str, int] = {}
    for t in texts:
        kind = _kind_of_value(t)
        if kind is not None:
            counts[kind] = counts.get(kind, 0) + 1
    if not counts or sum(counts.values()) < CONTENT_SHARE * len(texts):
        return None
    return max(counts, key=lambda k: counts[k])


def identifier_columns(columns: Sequence[str], sample: pd.DataFrame | None = None) -> dict[str, str]:
    """Columns that look like direct identifiers, each with its kind (a key of ``IDENTIFIER_PATTERNS``).

    A column is flagged by its name, or by its content when ``sample`` holds it: at least
    ``CONTENT_SHARE`` of its non-empty values are e-mail addresses, US SSNs, Chinese resident
    ID numbers or phone numbers (8–15 digits with optional +, spaces, dashes, parentheses;
    dates such as 2024-01-31 or 20240131 are not phone numbers).
    """
    out: dict[str, str] = {}
    for col in columns:
        kind = _kind_by_name(col)
        if kind is None and sample is not None and col in sample.columns:
            kind = _kind_by_content(sample[col])
        if kind is not None:
            out[col] = kind
    return out


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


def _read(path: Path, source: str, **kwargs: Any) -> pd.DataFrame:
    try:
        return pd.read_csv(path, dtype=str, encoding="utf-8-sig", skipinitialspace=True, **kwargs)
    except pd.errors.EmptyDataError:
        raise _fail(source, "file is empty; expected a CSV with a header line and one row per account") from None
    except UnicodeDecodeError:
        raise _fail(source, "is not UTF-8 text; is it a CSV? (re-save it as UTF-8 CSV)") from None
    except pd.errors.ParserError as exc:
        detail = str(exc).strip().splitlines()[-1] if str(exc).strip() else "cannot parse"
        raise _fail(source, f"is not a readable CSV ({detail})") from None
    except (OSError, ValueError) as exc:
        raise _fail(source, f"is not a readable CSV ({type(exc).__name__})") from None


def _column_list(columns: Sequence[str]) -> str:
    """The available columns for an error message, unless the 'header' is really a data row."""
    numeric = sum(bool(re.fullmatch(r"[+-]?\d+([.,]\d*)?", c.strip())) for c in columns)
    if numeric:
        return "the first line does not look like a header (does the file lack one?)"
    return "columns: " + (", ".join(columns) if columns else "(none)")


def _numbers(df: pd.DataFrame, col: str, what: str, source: str, *, whole: bool = False) -> np.ndarray:
    """A column as floats; an error names the column and the first bad row number, never a value."""
    raw = df[col]
    values = pd.to_numeric(raw.str.strip(), errors="coerce").to_numpy(dtype=float)
    problems = (
        (~np.isfinite(values), "a missing or non-numeric value", ""),
        (values < 0, "a negative value", f"; {what} must be ≥ 0"),
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


def _refusal(source: str, found: Mapping[str, str]) -> CollectsimError:
    cols = list(found)
    flags = " ".join(f"--drop {shlex.quote(c)}" for c in cols)
    if len(cols) == 1:
        col = cols[0]
        return _fail(
            source,
            f"column '{col}' looks like a direct identifier ({KIND_LABELS[found[col]]}); drop it with {flags}",
        )
    listed = ", ".join(f"'{c}' ({KIND_LABELS[k]})" for c, k in found.items())
    return _fail(source, f"columns {listed} look like direct identifiers; drop them with {flags}")


# --- fitting ---------------------------------------------------------------------------


def _slug(label: Any) -> str:
    text = re.sub(r"\W+", "_", str(label).strip().lower()).strip("_")
    return text or "unknown"


def _dpd_bucket(dpd: np.ndarray) -> np.ndarray:
    labels = np.empty(dpd.shape, dtype=object)
    for lo, hi, name in DPD_BUCKETS:
        labels[(dpd >= lo) & (dpd <= (np.inf if hi is None else hi))] = name
    return labels


def _merge_small(labels: pd.Series) -> pd.Series:
    """Segments under ``MIN_SEGMENT_ROWS`` rows become 'other'; a still-small 'other' joins the largest segment."""
    counts = labels.value_counts()
    small = counts.index[counts < MIN_SEGMENT_ROWS]
    labels = labels.where(~labels.isin(small), OTHER)
    counts = labels.value_counts()
    if OTHER in counts and counts[OTHER] < MIN_SEGMENT_ROWS and len(counts) > 1:
        largest = counts.drop(OTHER).idxmax()
        labels = labels.where(labels != OTHER, largest)
    return labels


def fit_portfolio(
    csv_path: str | Path,
    *,
    balance_column: str = "balance",
    dpd_column: str = "dpd",
    segment_column: str | None = "segment",
    drop: Sequence[str] = (),
) -> PortfolioFit:
    """Per-segment share, balance mean/sd and median DPD of a CSV extract; refuses identifier columns.

    Segments come from ``segment_column`` when the file has it, otherwise from DPD buckets
    (1–30, 31–60, 61–90, 91+). Rows with DPD < 1 are left out (not delinquent); segments of
    fewer than ``MIN_SEGMENT_ROWS`` rows are merged into "other". Every error is a one-line
    ``CollectsimError`` that names the file; none quotes a cell of it.
    """
    path = Path(csv_path)
    source = str(csv_path)
    sep = _delimiter(path, source)
    sample = _read(path, source, sep=sep, nrows=SAMPLE_ROWS)
    sample.columns = [str(c).strip() for c in sample.columns]
    columns = list(sample.columns)

    drop = [drop] if isinstance(drop, str) else list(drop)
    unknown = [c for c in drop if c not in columns]
    if unknown:
        names = ", ".join(f"'{c}'" for c in unknown)
        raise _fail(source, f"--drop names no column of the file: {names}; {_column_list(columns)}")
    kept = [c for c in columns if c not in set(drop)]
    found = identifier_columns(kept, sample[kept])
    if found:
        raise _refusal(source, found)

    roles = {balance_column: "the balance column", dpd_column: "the days-past-due column"}
    for col, role in roles.items():
        if col not in kept:
            dropped = " (it was dropped)" if col in drop else ""
            raise _fail(source, f"no column '{col}' ({role}){dropped}; {_column_list(kept)}")
    seg_col = segment_column if segment_column in kept else None
    wanted = {balance_column, dpd_column} | ({seg_col} if seg_col else set())

    df = _read(path, source, sep=sep, usecols=lambda c: str(c).strip() in wanted)
    df.columns = [str(c).strip() for c in df.columns]
    df = df.loc[:, ~df.columns.duplicated()].reset_index(drop=True)
    rows_read = len(df)
    if rows_read == 0:
        raise _fail(source, "has a header line but no data rows")

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
        labels = raw.map(lambda v: "unknown" if pd.isna(v) else _slug(v))
    else:
        labels = pd.Series(_dpd_bucket(dpd))
    labels = _merge_small(labels)

    segments: dict[str, dict] = {}
    order = labels.value_counts()
    names = [s for s in order.index if s != OTHER] + ([OTHER] if OTHER in order.index else [])
    for name in names:
        mask = (labels == name).to_numpy()
        bal = balance[mask]
        mean = float(bal.mean())
        if mean <= 0:
            raise _fail(source, f"segment '{name}' has no positive balance; a lognormal fit needs a mean > 0")
        segments[str(name)] = {
            "share": int(mask.sum()) / n,
            "balance_mean": mean,
            "balance_sd": float(bal.std(ddof=1)),
            "entry_dpd": max(1, math.floor(float(np.median(dpd[mask])) + 0.5)),
            "count": int(mask.sum()),
        }
    return PortfolioFit(
        accounts=n,
        segments=segments,
        dpd_column=dpd_column,
        balance_column=balance_column,
        segment_column=seg_col,
        rows_read=rows_read,
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


def _header(fit: PortfolioFit, template_name: str) -> str:
    cols = [f"'{fit.balance_column}' (balance)", f"'{fit.dpd_column}' (days past due)"]
    cols.append(f"'{fit.segment_column}' (segment)" if fit.segment_column else "no segment column: DPD buckets")
    read = f" of {fit.rows_read:,} read" if fit.rows_read else ""
    lines = [
        "Population fitted from a portfolio extract by collectsim (portfolio import).",
        f"Rows used: {fit.accounts:,} delinquent accounts (DPD ≥ 1){read}.",
        f"Columns used: {', '.join(cols)}.",
        "Only aggregates are stored: per segment its share (4 decimals), balance mean and sd",
        "(lognormal by moments, 2 decimals) and median DPD; segments under "
        f"{MIN_SEGMENT_ROWS} rows are merged into '{OTHER}'.",
        "No row or cell of the extract is copied into this file.",
        f"Everything else (reasons, channels, teams, policy) comes from the template '{template_name}'.",
    ]
    return "".join(f"# {_comment_safe(line)}\n" for line in lines) + "\n"


def write_scenario(fit: PortfolioFit, out: str | Path, *, template: str | Path, overwrite: bool = False) -> Path:
    """Write the template scenario with its population replaced by ``fit``; return the path written.

    Each segment takes the template's segment of the same name as a base (its reason mix and
    any other per-segment settings), else the template's first segment; share, balance and
    entry DPD come from the fit. The result is validated before anything is written, and an
    existing file is replaced only with ``overwrite=True``.
    """
    out = Path(out)
    if out.exists() and not overwrite:
        raise CollectsimError(f"{out}: already exists; refusing to overwrite it (choose another path or overwrite)")
    template = Path(template)
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
    if not fit.segments:
        raise CollectsimError("the portfolio fit has no segments")

    first = next(iter(base_segments.values()))
    shares = _rounded_shares({k: v["share"] for k, v in fit.segments.items()})
    segments: dict[str, dict] = {}
    for name, seg in fit.segments.items():
        base = base_segments.get(name, first)
        entry = {k: v for k, v in base.items() if k not in ("share", "balance", "entry_dpd")}
        sd = seg["balance_sd"]
        segments[name] = {
            "share": shares[name],
            "balance": {
                "dist": "lognormal",
                "mean": round(seg["balance_mean"], 2),
                "sd": max(round(sd, 2) if math.isfinite(sd) else 0.0, 0.01),
                # sd of a one-balance or constant-balance segment is 0 or NaN; the schema needs > 0
            },
            "entry_dpd": min(int(seg["entry_dpd"]), MAX_ENTRY_DPD),
            **entry,
        }
    template_name = str(raw.get("name", template.stem))
    raw["name"] = file_safe_name(out.stem, "portfolio")
    raw["description"] = (
        f"Population fitted from a portfolio extract ({fit.accounts:,} accounts); rest: {template_name}"
    )
    raw["population"] = {**population, "accounts": min(fit.accounts, MAX_ACCOUNTS), "segments": segments}
    scenario_from_dict(raw, source=str(out))

    text = _header(fit, template_name) + tomli_w.dumps(raw)
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        with out.open("w" if overwrite else "x", encoding="utf-8") as fh:
            fh.write(text)
    except FileExistsError:
        raise CollectsimError(f"{out}: already exists; refusing to overwrite it") from None
    return out
