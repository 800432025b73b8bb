"""Direct identifiers in a tabular extract: by column name, by cell content, in linear time.

A column is an identifier risk when its name says so (``IDENTIFIER_PATTERNS``) or when its
cells do. Cells are classified one at a time by ``kind_of_value``: e-mail addresses, IBANs
(mod-97 checked), payment card numbers (Luhn checked), national ID numbers (US SSN, UK
NINO, Chinese resident ID), phone numbers and other long digit runs, dates of birth,
street addresses, personal names and free text. ``IdentifierScan`` tallies every row of a
file chunk by chunk, so nothing is sampled and nothing is held twice.

Every check is linear in the cell's length: plain string methods and anchored patterns
without nested quantifiers, run only on short pieces. A cell longer than
``MAX_CELL_CHARS`` is not inspected at all: no field of an account extract is that long,
so it is free text and its column is refused as such. No function here returns or quotes
a cell; findings are a column, a kind and a row number.
"""

from __future__ import annotations

import datetime as _dt
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

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
        "passport", "tax_id", "nino", "身份证", "证件",
    ),
    "address": (
        "address", "addr", "street", "zip", "zipcode", "zip_code", "postcode", "post_code",
        "postal_code", "house_number", "地址", "住址", "邮编",
    ),
    "iban": ("iban", "bank_account_number", "sort_code"),
    "card": ("card_number", "cardnumber", "pan", "credit_card_number", "cc_number"),
    "birth_date": ("dob", "date_of_birth", "birth_date", "birthdate", "birthday", "born", "出生", "生日"),
    "free_text": ("notes", "note", "comment", "comments", "remarks", "memo", "free_text", "备注"),
    "long_text": (),
}  # fmt: skip

KIND_LABELS: dict[str, str] = {
    "name": "personal name",
    "email": "e-mail address",
    "phone": "phone number",
    "national_id": "national ID number",
    "address": "postal address",
    "iban": "IBAN / bank account",
    "card": "payment card number",
    "birth_date": "date of birth",
    "free_text": "free text, which may hold names or addresses",
    "long_text": "free text: a cell over 4,096 characters",
}

MAX_CELL_CHARS = 4096
CONTENT_SHARE = 0.2  # a column is an identifier when this share of its non-empty cells look like one
# Kinds whose checks almost never fire by accident: one cell anywhere is enough to refuse a column.
STRONG_KINDS = frozenset({"email", "iban", "long_text"})


def _word_set(text: str) -> frozenset[str]:
    """A set of words written as a block of text, so long vocabularies stay readable."""
    return frozenset(text.split())


# Common given names across the languages the project's users write in. Names that are
# also ordinary English words (Will, Mark, Grace, May, ...) are left out on purpose.
GIVEN_NAMES = _word_set(
    """
    aaron adam adrian ahmed ali alice amanda amy andrea andrew angela anna anne anthony antonio
    ashley barbara ben benjamin brian carlos carmen carol catherine charles charlotte chris
    christine christopher claire daniel david deborah dennis diana donald dorothy edward elena
    elizabeth emily emma eric fatima francesca francisco gary george giulia giuseppe hannah
    hans helen henry isabel jacob james jane janet jason javier jean jennifer jessica joan john
    jonathan jose joseph joshua juan julia karen katherine kevin kimberly laura linda lisa
    lucas lucy luis maria marie marco margaret martin mary matthew michael michelle mohammed
    muhammad nancy nicholas olivia oliver pamela patricia paul peter pierre rachel rebecca
    richard robert ronald ryan samuel sandra sarah sophie stephanie stephen steven susan thomas
    timothy william wei li wang zhang liu chen yang ming hiroshi yuki sven lars ingrid fritz
    klaus jurgen giovanni luca sofia mateo diego lucia ana pedro miguel rosa priya rahul amit
    """
)
TITLES = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "madam", "herr", "frau", "mme", "mlle"})
STREET_WORDS = _word_set(
    """
    street st road rd avenue ave lane ln drive boulevard blvd way court ct place pl square sq
    terrace close crescent highway hwy parkway pkwy alley row mews grove strasse straße str weg
    gasse platz allee rue avenida calle via viale corso piazza straat laan
    """
)
NUMBER_FIRST_WORDS = frozenset({"rue", "avenue", "avenida", "calle", "via", "viale", "corso", "piazza", "boulevard"})
NUMBER_AFTER_SUFFIXES = (
    "strasse",
    "straße",
    "str.",
    "weg",
    "gasse",
    "platz",
    "allee",
    "straat",
    "laan",
    "vej",
    "gatan",
)
NUMBER_AFTER_WORDS = frozenset({"str", "street", "road", "avenue", "lane", "drive"})
CJK_ADDRESS = ("路", "街", "号", "弄", "巷", "丁目", "番地", "大道")

# IBAN length by country (the SWIFT IBAN registry).
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29,
    "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29,
    "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28,
    "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20,
    "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
    "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29,
    "RO": 24, "RS": 22, "SA": 24, "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}  # fmt: skip

_SSN = re.compile(r"\d{3}-\d{2}-\d{4}", re.ASCII)
_NINO = re.compile(r"[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]", re.ASCII)
_CN_ID = re.compile(r"\d{17}[\dXx]", re.ASCII)
_PHONE = re.compile(r"\+?[\d(][\d ()\-]{6,30}\d", re.ASCII)
_CARD = re.compile(r"\d{4}[ -]?\d{4}[ -]?\d{4}[ -]?\d{1,7}", re.ASCII)
_IBAN = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", re.ASCII)
_UK_POSTCODE = re.compile(r"[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}", re.ASCII)
_TIME = r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?Z?)?"
_YMD = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})" + _TIME, re.ASCII)
_DMY = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})" + _TIME, re.ASCII)
_COMPACT_YMD = re.compile(r"(\d{4})(\d{2})(\d{2})", re.ASCII)
# Cells that cannot be any kind (short numbers, letter-prefixed codes): matched for a whole
# chunk at once so the per-cell checks run only on the rest. A test keeps it consistent
# with ``kind_of_value``.
PLAIN_CELL = r"[+-]?[0-9]{1,7}(?:[.,][0-9]{1,4})?|[A-Za-z]{1,4}[0-9]{1,12}"
_SPLIT = re.compile(r"[\s<>,;:()\[\]{}\"'|]+")
_WORD_EDGE = ".,;:!?()[]{}\"'"


# --- column names --------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", str(text)[:MAX_CELL_CHARS])
    return [w for w in re.split(r"[\W_]+", text.lower()) if w]


def _name_matches(column: str, pattern: str) -> bool:
    words, pat = _words(column), _words(pattern)
    if any(words[i : i + len(pat)] == pat for i in range(len(words) - len(pat) + 1)):
        return True
    compact, pat_compact = "".join(words), "".join(pat)
    if compact == pat_compact:
        return True
    return (len(pat_compact) >= 5 or not pat_compact.isascii()) and pat_compact in compact


def kind_by_name(column: str) -> str | None:
    """The identifier kind a column's name announces, if any."""
    for kind, patterns in IDENTIFIER_PATTERNS.items():
        if any(_name_matches(column, p) for p in patterns):
            return kind
    return None


# --- one cell ------------------------------------------------------------------------------


def has_email(text: str) -> bool:
    """Whether any token of ``text`` is shaped like local@domain.tld; one pass, no regex backtracking."""
    if "@" not in text:
        return False
    for token in _SPLIT.split(text):
        if "@" not in token or len(token) > 254:
            continue
        local, _, domain = token.strip(_WORD_EDGE).partition("@")
        if not local or "@" in domain or "." not in domain:
            continue
        labels = domain.split(".")
        if all(labels) and len(labels[-1]) >= 2 and labels[-1].isalpha():
            return True
    return False


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _iban_valid(compact: str) -> bool:
    """A registered country's IBAN length and a mod-97 check of 1: about one random code in 10,000 passes."""
    if IBAN_LENGTHS.get(compact[:2]) != len(compact) or not _IBAN.fullmatch(compact):
        return False
    moved = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def _has_iban(words: list[str]) -> bool:
    """An IBAN written whole or in groups ("GB82 WEST 1234 ..."): joins up to 34 characters from each start."""
    for i, word in enumerate(words):
        head = word.upper()
        if len(head) < 4 or not (head[:2].isalpha() and head[2:4].isdigit()):
            continue
        compact = ""
        for part in words[i : i + 9]:
            part = part.upper().strip(_WORD_EDGE)
            if not part.isalnum() or len(compact) + len(part) > 34:
                break
            compact += part
            if len(compact) >= 15 and _iban_valid(compact):
                return True
    return False


def _date_parts(text: str) -> tuple[int, int, int] | None:
    """(year, month, day) of a calendar date in a common numeric layout, or None."""
    if m := _YMD.fullmatch(text) or _COMPACT_YMD.fullmatch(text):
        y, a, b = (int(g) for g in m.groups())
    elif m := _DMY.fullmatch(text):
        b, a, y = (int(g) for g in m.groups())
        if a > 12 >= b:  # month/day/year
            a, b = b, a
    else:
        return None
    return (y, a, b) if 1 <= a <= 12 and 1 <= b <= 31 else None


def _birth_year(year: int) -> bool:
    """A year in which a living adult debtor was born: 16 to 110 years ago."""
    this_year = _dt.date.today().year
    return this_year - 110 <= year <= this_year - 16


def _phone_run(words: list[str]) -> bool:
    """A run of digit-ish tokens (within free text) holding 8–15 digits, as phone numbers are written."""
    digits = 0
    for word in [*words, ""]:
        token = word.strip(_WORD_EDGE)
        if token and all(c.isdigit() or c in "+-()." for c in token) and any(c.isdigit() for c in token):
            digits += sum(c.isdigit() for c in token)
            continue
        if 8 <= digits <= 15:
            return True
        digits = 0
    return False


def _is_address(words: list[str], text: str) -> bool:
    """A street address: "12 Oak Street", "5 rue de la Paix", "Hauptstraße 5", a UK postcode, a PO box.

    The house number must sit where addresses put it, so a segment such as "legal court 2"
    is not an address.
    """
    lower = [w.strip(_WORD_EDGE).lower() for w in words]
    numbered = [any(c.isdigit() for c in w) and len(w) <= 6 for w in lower]
    for i, is_number in enumerate(numbered):
        if not is_number:
            continue
        after = lower[i + 1 : i + 5]
        if any(w in STREET_WORDS for w in after[1:]):
            return True
        if len(after) > 1 and after[0] in NUMBER_FIRST_WORDS:
            return True
        if i and (lower[i - 1] in NUMBER_AFTER_WORDS or lower[i - 1].endswith(NUMBER_AFTER_SUFFIXES)):
            return True
    if lower[:2] in (["po", "box"], ["p.o.", "box"]):
        return True
    upper = [w.strip(_WORD_EDGE).upper() for w in words]
    if any(_UK_POSTCODE.fullmatch(a + " " + b) for a, b in itertools.pairwise(upper)):
        return True
    return any(c.isdigit() for c in text) and any(marker in text for marker in CJK_ADDRESS)


def _is_name_word(word: str) -> bool:
    core = word.replace("-", "").replace("'", "").replace(".", "")
    return bool(core) and core.isalpha()


def _is_name(words: list[str]) -> bool:
    """A cell that is a name ("Jane Doe", "Doe, Jane", "Mr Smith"), or free text mentioning one."""
    clean = [w.strip(_WORD_EDGE) for w in words]
    clean = [w for w in clean if w]
    if 2 <= len(clean) <= 4 and all(_is_name_word(w) for w in clean):
        lower = [w.lower().rstrip(".") for w in clean]
        if lower[0] in GIVEN_NAMES or lower[0] in TITLES or lower[-1] in GIVEN_NAMES:
            return True
    for first, second in itertools.pairwise(clean):
        key = first.lower().rstrip(".")
        capitalised = first[:1].isupper() and second[:1].isupper() and _is_name_word(second)
        if capitalised and (key in GIVEN_NAMES or key in TITLES):
            return True
    return False


def kind_of_value(value: object) -> str | None:
    """The identifier kind one cell looks like, or None; linear in its length and never raises.

    Order matters where shapes overlap: an 18-digit Chinese ID is not read as a card, and a
    date is never a phone number. A date is a date of birth only when it falls 16 to 110
    years ago (an account-opening date rarely does).
    """
    text = str(value).strip()
    if not text:
        return None
    if len(text) > MAX_CELL_CHARS:
        return "long_text"
    if has_email(text):
        return "email"
    if len(text) < 8 and " " not in text:  # too short for any other kind: the common numeric cell
        return None
    words = text.split()
    if len(text) >= 15 and _has_iban(words):
        return "iban"
    first = text[0]
    if len(text) <= 40 and (first.isdigit() or first in "+("):
        date = _date_parts(text)
        if date is not None:
            return "birth_date" if _birth_year(date[0]) else None
        if _SSN.fullmatch(text) or _CN_ID.fullmatch(text):
            return "national_id"
        if _CARD.fullmatch(text):
            digits = "".join(c for c in text if c.isdigit())
            if 13 <= len(digits) <= 19 and _luhn(digits):
                return "card"
        if _PHONE.fullmatch(text) and 8 <= sum(c.isdigit() for c in text) <= 15:
            return "phone"
    elif len(text) <= 13 and first.isalpha() and _NINO.fullmatch(text.upper()):
        return "national_id"
    if len(words) < 2:  # one word: only a CJK address (no spaces there) is left to find
        return "address" if not text.isascii() and _is_address(words, text) else None
    if _is_address(words, text):
        return "address"
    if _is_name(words):
        return "name"
    if len(words) >= 4 and _phone_run(words):
        return "phone"
    if len(words) >= 4 and sum(any(c.isalpha() for c in w) for w in words) >= 3:
        return "free_text"
    return None


def header_problem(columns: Sequence[str]) -> tuple[int, str] | None:
    """(1-based position, kind) of the first header cell that is data rather than a column name.

    A header-less file's first line is a data row; naming its "columns" in a message would
    print a cell, so callers refuse such a file without quoting its first line.
    """
    for i, col in enumerate(columns, start=1):
        kind = kind_of_value(col)
        if kind is not None and kind != "free_text":
            return i, kind
    return None


# --- whole columns -------------------------------------------------------------------------


@dataclass
class _Tally:
    nonempty: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    first_row: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Finding:
    """Why a column is refused: its kind, and the first data row (from 1) showing it (None: by name)."""

    kind: str
    row: int | None


class IdentifierScan:
    """Running per-column tallies over every chunk of a file; ``findings`` decides once all are seen.

    A column is refused by its name, or when one cell of a strong kind (e-mail, IBAN, an
    over-long cell) appears anywhere, or when at least ``CONTENT_SHARE`` of its non-empty
    cells are of one other kind. Each distinct value of a chunk is classified once.
    """

    def __init__(self, columns: Sequence[str]) -> None:
        self.columns = list(columns)
        self._tallies = {c: _Tally() for c in self.columns}

    def add(self, chunk: pd.DataFrame, first_row: int = 1) -> None:
        """Tally a chunk whose first row is data row ``first_row`` (counted from 1 after the header)."""
        for col in self.columns:
            if col not in chunk.columns:
                continue
            values = chunk[col]
            if isinstance(values, pd.DataFrame):  # duplicated column name: the first one
                values = values.iloc[:, 0]
            values = values.dropna().astype(str)
            tally = self._tallies[col]
            kinds: dict[str, list[str]] = {}
            counts = values.value_counts(sort=False)
            plain = np.asarray(counts.index.str.fullmatch(PLAIN_CELL), dtype=bool)
            tally.nonempty += int(counts[plain].sum())
            for value, count in counts[~plain].items():
                kind = kind_of_value(value)
                if kind is None:
                    if str(value).strip():
                        tally.nonempty += int(count)
                    continue
                tally.nonempty += int(count)
                tally.counts[kind] = tally.counts.get(kind, 0) + int(count)
                kinds.setdefault(kind, []).append(value)
            for kind, hits in kinds.items():
                if kind not in tally.first_row:
                    position = int(values.isin(hits).to_numpy().argmax())
                    tally.first_row[kind] = first_row + _offset(values, chunk, position)

    def findings(self) -> dict[str, Finding]:
        """Refused columns in file order, each with its kind and first row."""
        out: dict[str, Finding] = {}
        for col in self.columns:
            kind = kind_by_name(col)
            if kind is not None:
                out[col] = Finding(kind, None)
                continue
            tally = self._tallies[col]
            strong = [k for k in tally.counts if k in STRONG_KINDS]
            if strong:
                kind = min(strong, key=lambda k: tally.first_row[k])
                out[col] = Finding(kind, tally.first_row[kind])
                continue
            if not tally.counts or sum(tally.counts.values()) < CONTENT_SHARE * tally.nonempty:
                continue
            kind = max(tally.counts, key=lambda k: tally.counts[k])
            out[col] = Finding(kind, tally.first_row[kind])
        return out


def _offset(values: pd.Series, chunk: pd.DataFrame, position: int) -> int:
    """Row offset within ``chunk`` of the ``position``-th non-missing value (missing cells were dropped)."""
    return int(chunk.index.get_loc(values.index[position])) if len(chunk.index) else 0


def identifier_columns(columns: Sequence[str], sample: pd.DataFrame | None = None) -> dict[str, str]:
    """Columns that look like direct identifiers, each with its kind (a key of ``IDENTIFIER_PATTERNS``).

    A column is flagged by its name, or by its content when ``sample`` holds it (every row of
    ``sample`` is read; pass the whole table, not a head, to check every row). See
    ``IdentifierScan`` for the content rule and ``kind_of_value`` for the kinds.
    """
    scan = IdentifierScan(columns)
    if sample is not None:
        scan.add(sample.reset_index(drop=True))
    return {col: finding.kind for col, finding in scan.findings().items()}
