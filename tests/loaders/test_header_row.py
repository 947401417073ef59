"""Exports as offices print them: a title block (a title, the office's name, a blank row) above
the header. The header is the first of the first 20 rows that holds the mapping's columns, or
the row the mapping names (``read.header_row``); rows keep the numbers a spreadsheet shows."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl  # type: ignore[import-untyped]  # no stubs; only the tests write workbooks by hand
import pytest

from graph_schema.port import GraphStore
from hub.errors import InputError
from loaders.mapping import Mapping, load_mapping, mapping_for
from loaders.reading import read_rows
from loaders.run import load_file

TITLE = [["DATA PPKS KABUPATEN CILACAP TAHUN 2024"], ["DINAS SOSIAL KABUPATEN CILACAP"], []]


def with_title_xlsx(original: Path, out: Path, title: list[list[str]]) -> Path:
    book = openpyxl.load_workbook(original)
    sheet = book.worksheets[0]
    sheet.insert_rows(1, len(title))
    for number, cells in enumerate(title, start=1):
        for column, value in enumerate(cells, start=1):
            sheet.cell(row=number, column=column, value=value)
    book.save(out)
    return out


def with_title_csv(original: Path, out: Path, title: list[list[str]], delimiter: str = ",") -> Path:
    with open(original, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    with open(out, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerows(title)
        writer.writerows(rows)
    return out


def numbered(path: str) -> set[tuple[int, str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return {(int(r["row"]), r["field"], r["reason"]) for r in csv.DictReader(handle)}


def shifted(problems: set[tuple[int, str, str]], by: int) -> set[tuple[int, str, str]]:
    return {(row + by, field, reason) for row, field, reason in problems}


@pytest.mark.parametrize("kind", ["xlsx", "csv", "csv-semicolon"])
async def test_a_title_block_above_the_header_is_skipped(
        store: GraphStore, small_synth: Path, tmp_path: Path, kind: str) -> None:
    suffix = kind.split("-")[0]
    original = small_synth / f"ppks.{suffix}"
    titled = tmp_path / f"ppks_cilacap.{suffix}"
    if suffix == "xlsx":
        with_title_xlsx(original, titled, TITLE)
    else:
        # Offices' CSVs pad the title rows with the delimiter, or not; the header's delimiter counts.
        title = [TITLE[0] + [""] * 5, TITLE[1], []] if kind == "csv" else TITLE
        with_title_csv(original, titled, title, ";" if kind == "csv-semicolon" else ",")
    first = await load_file(store, mapping_for("ppks"), original, tmp_path / "a")
    again = await load_file(store, mapping_for("ppks"), titled, tmp_path / "b")
    assert first.rejected + first.warnings > 0  # the synthetic dirt: there are row numbers to compare
    assert (again.rows_read, again.unchanged, again.new, again.updated) == (first.rows_read, first.loaded, 0, 0)
    assert numbered(again.rejects_file) == shifted(numbered(first.rejects_file), len(TITLE))
    assert numbered(again.warnings_file) == shifted(numbered(first.warnings_file), len(TITLE))


def header_deep_down(path: Path, above: int) -> Path:
    lines = [f"baris judul {i}" for i in range(above)] + ["ID,NIK,NO_KK,NAMA,TGL_LAHIR,JENIS_KELAMIN,KODE_WILAYAH",
                                                           "1,3374014506880003,,Siti Aminah,1988-06-05,P,"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def generic(header_row: int | None = None) -> Mapping:
    mapping = mapping_for("generic").model_copy(deep=True)
    mapping.read.header_row = header_row
    return mapping


def test_a_header_below_row_20_needs_the_mapping_to_name_it(tmp_path: Path) -> None:
    path = header_deep_down(tmp_path / "daftar.csv", 24)
    with pytest.raises(InputError) as caught:
        list(read_rows(path, generic()))
    message = str(caught.value)
    assert message.startswith("daftar.csv: column(s) ID, NIK, NO_KK, NAMA, TGL_LAHIR, JENIS_KELAMIN, KODE_WILAYAH "
                              "missing")
    assert "first 20 rows" in message and "read.header_row" in message
    (row,) = list(read_rows(path, generic(header_row=25)))
    assert row.number == 26 and row.cells["NAMA"] == "Siti Aminah" and row.problem is None
    (row,) = list(read_rows(header_deep_down(tmp_path / "daftar_19.csv", 19), generic()))
    assert row.number == 21 and row.cells["NIK"] == "3374014506880003"


def test_a_named_header_row_without_the_columns_is_a_clear_error(tmp_path: Path) -> None:
    path = header_deep_down(tmp_path / "daftar.csv", 3)
    with pytest.raises(InputError, match=r"^daftar.csv: row 2 \(read.header_row\) lacks column\(s\) ID, NIK, .*"
                                         r"\(it has: baris judul 1\)"):
        list(read_rows(path, generic(header_row=2)))
    with pytest.raises(InputError, match=r"^daftar.csv: read.header_row is 40, but the file has 5 rows"):
        list(read_rows(path, generic(header_row=40)))
    xlsx = tmp_path / "daftar.xlsx"
    book = openpyxl.Workbook()
    for cells in [["DAFTAR"], ["ID", "NIK"], ["1", "3374014506880003"]]:
        book.active.append(cells)
    book.save(xlsx)
    with pytest.raises(InputError, match=r"^daftar.xlsx: column\(s\) NO_KK, NAMA, TGL_LAHIR, JENIS_KELAMIN, "
                                         r"KODE_WILAYAH missing: .*row 2, .*has: ID, NIK\)"):
        list(read_rows(xlsx, generic()))
    with pytest.raises(InputError, match=r"^daftar.xlsx: row 1 \(read.header_row\) lacks column\(s\)"):
        list(read_rows(xlsx, generic(header_row=1)))


def test_header_row_is_checked_in_the_mapping(tmp_path: Path) -> None:
    text = (Path(__file__).parents[2] / "loaders" / "mappings" / "generic.toml").read_text()
    path = tmp_path / "m.toml"
    # The template's example, taken as written.
    path.write_text(text.replace("# [read]\n# header_row = 25", "[read]\nheader_row = 25", 1))
    assert load_mapping(path).read.header_row == 25
    path.write_text(text.replace("# [read]\n# header_row = 25", "[read]\nheader_row = 0", 1))
    with pytest.raises(InputError, match=r"m.toml: read.header_row: Input should be greater than or equal to 1"):
        load_mapping(path)
