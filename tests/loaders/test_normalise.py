"""Cell normalisation: behaviour tables for NIK repair, dates, codes and regions."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from loaders.mapping import FieldSpec, FieldType
from loaders.normalise import parse_cell, parse_date, parse_nik_cell

TODAY = dt.date(2026, 1, 1)

NIK_CASES: list[tuple[str, str | None, str]] = [
    ("3374014506880003", "3374014506880003", "valid"),
    ("'3374014506880003", "3374014506880003", "repaired: apostrophe"),
    ("3374014506880003.0", "3374014506880003", "repaired: float text"),
    ("3.374014506880003E+15", "3374014506880003", "repaired: scientific"),
    ("3,374014506880003E+15", "3374014506880003", "repaired: scientific"),
    ("3374 0145 0688 0003", "3374014506880003", "repaired: separators"),
    ("3374.0145.0688.0003", "3374014506880003", "repaired: separators"),
    ("3.37401E+15", None, "invalid: Excel shortened it to 3.37401E+15: the last digits are lost"),
    ("33740145068800", None, "invalid: has 14 digits, not 16"),
    ("33740145O6880003", None, "invalid: contains characters other than digits"),
    ("9974014506880003", None, 'invalid: Kode provinsi "99" tidak dikenal.'),
    ("3374019906880003", None, "invalid: Tanggal lahir di NIK tidak valid."),
    ("3374014506880000", None, "invalid: Nomor urut NIK tidak boleh 0000."),
    ("3399014506880003", None, "invalid: district 33.99.01 is not a Kemendagri district"),
    ("", None, "missing"),
]


@pytest.mark.parametrize(("cell", "nik", "status"), NIK_CASES)
def test_nik_repair_and_structure(cell: str, nik: str | None, status: str) -> None:
    props, problem = parse_nik_cell(cell, TODAY)
    assert props["nik"] == nik and props["nik_status"] == status
    assert (problem is None) == (nik is not None or status == "missing")


def test_nik_gives_birth_date_and_sex() -> None:
    props, _ = parse_nik_cell("3374014506880003", TODAY)
    assert (props["nik_birth_date"], props["nik_sex"]) == ("1988-06-05", "P")


DATE_CASES: list[tuple[str, Any, str | None]] = [
    ("05-06-1988", dt.date(1988, 6, 5), None),
    ("05/06/1988", dt.date(1988, 6, 5), None),
    ("1988-06-05", dt.date(1988, 6, 5), None),
    ("32372", dt.date(1988, 8, 17), None),  # an Excel day number
    ("1988-06-05 00:00:00", dt.date(1988, 6, 5), None),
    ("31-02-1980", None, "31-02-1980 is not a date that exists"),
    ("kemarin", None, "kemarin is not a date in a known format (DD-MM-YYYY, DD/MM/YYYY, YYYY-MM-DD, Excel day number)"),
    ("", None, None),
]


@pytest.mark.parametrize(("cell", "value", "problem"), DATE_CASES)
def test_dates_in_office_formats(cell: str, value: Any, problem: str | None) -> None:
    assert parse_date(cell, []) == (value, problem)


def test_year_only_is_kept_as_a_year_for_birth_dates() -> None:
    assert parse_date("1955", [], year_only=True) == ({"year": 1955}, None)
    assert parse_date("1955", [])[0] is None


CELL_CASES: list[tuple[FieldSpec, str, Any, str | None]] = [
    (FieldSpec(column="X", type=FieldType.NAME), "  siti   aminah ", "SITI AMINAH", None),
    (FieldSpec(column="X", type=FieldType.INT, min=1, max=10), "3", 3, None),
    (FieldSpec(column="X", type=FieldType.INT, min=1, max=10), "11", None, "11 is outside 1..10"),
    (FieldSpec(column="X", type=FieldType.INT), "2.5", None, "2.5 is not a whole number"),
    (FieldSpec(column="X", type=FieldType.FLOAT, min=-11.5, max=6.5), "-7,25", -7.25, None),
    (FieldSpec(column="X", type=FieldType.CODE, codes={"LAKI-LAKI": "L"}), "laki-laki", "L", None),
    (FieldSpec(column="X", type=FieldType.CODE, codes={"LAKI-LAKI": "L"}), "PRIA", None, "PRIA is not one of LAKI-LAKI"),
    (FieldSpec(column="X", type=FieldType.CODE, pattern=r"^\s*(\d{1,2})\b"), "24 - FAKIR MISKIN", "24", None),
    (FieldSpec(column="X", type=FieldType.REGION), "3374011001", "33.74.01.1001", None),
    (FieldSpec(column="X", type=FieldType.REGION), "33.74", "33.74", None),
    (FieldSpec(column="X", type=FieldType.REGION), "3374999999", None, "3374999999 is not a known Kemendagri region"),
    (FieldSpec(column="X", type=FieldType.DATE), "01-01-2030", None, "01-01-2030 is in the future"),
]


@pytest.mark.parametrize(("spec", "cell", "value", "problem"), CELL_CASES)
def test_cells(spec: FieldSpec, cell: str, value: Any, problem: str | None) -> None:
    assert parse_cell(cell, spec, TODAY) == (value, problem)
