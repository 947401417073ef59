"""Output files of a ``hub synth`` run: each source as CSV (always) and XLSX (optional), the truth.

Chunks are rendered to CSV text where they are generated (in worker processes) and appended
here in chunk order, so memory stays bounded by the chunks in flight. XLSX uses xlsxwriter's
constant-memory mode; a sheet holds at most 1,048,576 rows, so a bigger source continues on
a second sheet, as an office splitting a large export would.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import IO

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import xlsxwriter

XLSX_MAX_ROWS = 1_048_576
FIXED_TIME = dt.datetime(2026, 1, 1)  # fixed document metadata: same seed, same bytes
TRUTH_COLUMNS = ["source", "source_key", "person_id", "dirt"]
PERSON_COLUMNS = ["person_id", "nik", "kk", "name", "sex", "birth_date", "birth_place", "mother_name", "village_code",
                  "role", "decile", "in_dtks"]


def csv_text(frame: pd.DataFrame) -> str:
    """The frame's rows as CSV text, no header (comma, minimal quoting, "\\n" line ends)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(zip(*(frame[c].to_numpy() for c in frame.columns), strict=True))
    return buffer.getvalue()


def quoted_csv_text(frame: pd.DataFrame) -> str:
    """The frame as CSV with every value quoted, written by Arrow's C++ writer.

    For the hub's own truth files only (twice as fast as the csv module, which matters at
    millions of rows); source files keep the offices' minimal quoting.
    """
    table = pa.table({column: pa.array(["" if v is None else str(v) for v in frame[column].to_numpy()], pa.string())
                      for column in frame.columns})
    sink = io.BytesIO()
    pa_csv.write_csv(table, sink, pa_csv.WriteOptions(include_header=False))
    return sink.getvalue().decode("utf-8")


class _Workbook:
    def __init__(self, path: Path, sheet: str, header: list[str]) -> None:
        self.book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False,
                                                    "strings_to_formulas": False, "strings_to_urls": False})
        self.book.set_properties({"created": FIXED_TIME, "author": "hub synth"})
        self.base = sheet[:28]
        self.header = header
        self.sheets = 0
        self._new_sheet()

    def _new_sheet(self) -> None:
        self.sheets += 1
        self.sheet = self.book.add_worksheet(self.base if self.sheets == 1 else f"{self.base}_{self.sheets}")
        self.sheet.write_row(0, 0, self.header)
        self.row = 1

    def write(self, frame: pd.DataFrame) -> None:
        for values in frame.itertuples(index=False, name=None):
            if self.row >= XLSX_MAX_ROWS:
                self._new_sheet()
            self.sheet.write_row(self.row, 0, values)
            self.row += 1

    def close(self) -> None:
        self.book.close()


class SourceWriter:
    """All output files of one run; ``append`` takes one chunk's rendered pieces."""

    def __init__(self, out: Path, headers: dict[str, list[str]], xlsx: bool) -> None:
        out.mkdir(parents=True, exist_ok=True)
        self._csv: dict[str, IO[str]] = {}
        self._xlsx: dict[str, _Workbook] = {}
        for source, header in headers.items():
            handle = open(out / f"{source}.csv", "w", newline="", encoding="utf-8")  # noqa: SIM115 - closed in close()
            handle.write(",".join(header) + "\n")
            self._csv[source] = handle
            if xlsx:
                self._xlsx[source] = _Workbook(out / f"{source}.xlsx", source.upper(), header)
        self.counts = dict.fromkeys(headers, 0)
        self._truth = open(out / "truth.csv", "w", newline="", encoding="utf-8")  # noqa: SIM115
        self._truth.write(",".join(TRUTH_COLUMNS) + "\n")
        self._persons = open(out / "truth_persons.csv", "w", newline="", encoding="utf-8")  # noqa: SIM115
        self._persons.write(",".join(PERSON_COLUMNS) + "\n")

    def append(self, source: str, text: str, rows: int, frame: pd.DataFrame | None) -> None:
        self._csv[source].write(text)
        self.counts[source] += rows
        if frame is not None and source in self._xlsx:
            self._xlsx[source].write(frame)

    def append_truth(self, truth_text: str, persons_text: str) -> None:
        self._truth.write(truth_text)
        self._persons.write(persons_text)

    def close(self) -> None:
        for handle in [*self._csv.values(), self._truth, self._persons]:
            handle.close()
        for book in self._xlsx.values():
            book.close()
