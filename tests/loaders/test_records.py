"""Rows to records a batch at a time give what checking each row field by field gives."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from loaders.mapping import mapping_for, shipped_sources
from loaders.reading import RawRow, read_rows
from loaders.records import Prepared, Problem, RowPreparer, raw_json

REFERENCE = dt.date(2026, 1, 1)


@pytest.mark.parametrize("source", [s for s in shipped_sources() if s != "generic"])
def test_batches_equal_the_field_by_field_rule(small_synth: Path, source: str) -> None:
    # The synthetic exports carry the default dirt: bad NIKs, impossible dates, empty names, ...
    mapping = mapping_for(source)
    rows = list(read_rows(small_synth / f"{source}.csv", mapping))
    batched = RowPreparer(mapping, REFERENCE)
    one_by_one = RowPreparer(mapping, REFERENCE)
    results = [r for i in range(0, len(rows), 700) for r in batched.batch(rows[i:i + 700])]
    expected = [one_by_one.one_by_one(row) for row in rows]
    assert results == expected
    assert any(isinstance(r, Prepared) and not r.warnings for r in results)


def test_dirty_rows_take_the_closer_look() -> None:
    mapping = mapping_for("dtks")
    good = {c: "" for c in mapping.columns} | {"ID_DTKS": "D1", "NIK": "3374014506880003", "NAMA": "siti  aminah",
                                               "TGL_LAHIR": "05-06-1988", "KODE_WILAYAH": "3374011001", "DESIL": "2"}
    rows = [RawRow(2, good), RawRow(3, good | {"ID_DTKS": "D2", "TGL_LAHIR": "31-02-1988"}),
            RawRow(4, good | {"ID_DTKS": "D3", "NAMA": " "}), RawRow(5, good | {"ID_DTKS": ""}),
            RawRow(6, {}, "empty row")]
    first, warned, rejected, no_key, empty = RowPreparer(mapping, REFERENCE).batch(rows)
    assert isinstance(first, Prepared) and first.fields["name"] == "SITI AMINAH" and not first.warnings
    assert first.props["birth_date"] == "1988-06-05" and first.props["region_code"] == "33.74.01.1001"
    assert isinstance(warned, Prepared) and [w.field for w in warned.warnings] == ["birth_date"]
    assert "birth_date" not in warned.props
    assert isinstance(rejected, Problem) and rejected.field == "name"
    assert isinstance(no_key, Problem) and no_key.field == "key"
    assert isinstance(empty, Problem) and empty.reason == "empty row"


@pytest.mark.parametrize("cells", [
    {"B": "x", "A": 'q",', "É": "中文 \u2028 \x01 \\ \" end", "Z": ""},
    {"A": "1"},
    {},
])
def test_raw_json_is_json_dumps(cells: dict[str, str]) -> None:
    assert raw_json(cells) == json.dumps(cells, ensure_ascii=False, sort_keys=True)


def test_rows_with_other_columns_are_read_alike() -> None:
    # An XLSX row or a hand-made list need not hold every column: such a batch is read row by row.
    mapping = mapping_for("dtks")
    full = {c: "" for c in mapping.columns} | {"ID_DTKS": "D1", "NAMA": "siti", "TGL_LAHIR": "05-06-1988"}
    rows = [RawRow(2, full), RawRow(3, {"ID_DTKS": "D2", "NAMA": "budi", "EXTRA": "x"}),
            RawRow(4, {k: v for k, v in full.items() if k != "NIK"} | {"ID_DTKS": "D3"})]
    batched = RowPreparer(mapping, REFERENCE).batch(rows)
    assert batched == [RowPreparer(mapping, REFERENCE).one_by_one(row) for row in rows]
    assert all(isinstance(r, Prepared) for r in batched)
    assert [json.loads(r.props["raw"]) for r in batched if isinstance(r, Prepared)] == [row.cells for row in rows]
