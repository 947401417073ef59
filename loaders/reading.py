"""Reading an export as the offices produce it: CSV in UTF-8 or cp1252/latin-1, delimited by
comma, semicolon or tab; or XLSX (first or named sheet, through pandas and openpyxl).

Offices print their exports with a title block above the header (a title, the office's name,
a blank row), so the header is the first of the first ``HEADER_SEARCH_ROWS`` rows that holds
every column the mapping reads, or the row the mapping names (``read.header_row``).

Rows come out as ``RawRow`` (row number as a spreadsheet shows it, the first row = 1) with every
cell as text; a row that does not fit the header (a truncated last line, say) comes out with
``problem`` set instead of being dropped.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import operator
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple, TypeVar

import pandas as pd

from hub.errors import InputError
from loaders.mapping import Mapping

DELIMITERS = [",", ";", "\t"]
HEADER_SEARCH_ROWS = 20  # how far down a header is looked for when the mapping does not say
At = TypeVar("At")  # where a header candidate was found, as each reader needs to go on from it


class RawRow(NamedTuple):  # a tuple: one per row, so it is made as cheaply as Python can
    number: int
    cells: dict[str, str]
    problem: str | None = None


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _decode(path: Path, encoding: str | None) -> tuple[str, str]:
    raw = path.read_bytes()
    if raw.startswith(codecs.BOM_UTF8):
        return raw[len(codecs.BOM_UTF8):].decode("utf-8"), "utf-8-sig"
    for candidate in [encoding] if encoding else ["utf-8", "cp1252", "latin-1"]:
        try:
            return raw.decode(candidate), candidate
        except UnicodeDecodeError as exc:
            if encoding:
                raise InputError(
                    f"{path.name}: not {encoding} (byte {exc.start}); fix read.encoding in the mapping") from None
        except LookupError:
            raise InputError(f"{path.name}: unknown encoding {candidate!r} in the mapping") from None
    raise InputError(f"{path.name}: cannot be decoded")  # latin-1 decodes any byte; kept for the type checker


def _delimiter(header_line: str, configured: str | None) -> str:
    if configured:
        return "\t" if configured in ("\\t", "tab") else configured
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _find_header(path: Path, candidates: Iterable[tuple[int, list[str], At]], mapping: Mapping
                 ) -> tuple[int, list[str], At]:
    """The header among the candidate rows (number, cells, where): the row ``read.header_row``
    names, else the first that holds every column the mapping reads.

    Raises:
        InputError: naming the file, the columns missing and the row that came closest.
    """
    wanted = list(dict.fromkeys(mapping.columns))  # two fields may read one column
    named = mapping.read.header_row
    closest: tuple[int, list[str], list[str]] | None = None  # number, header, missing
    rows = 0
    for number, cells, where in candidates:
        rows = number
        if named is not None and number != named:
            continue
        header = [h.strip().lstrip("\ufeff") for h in cells]
        missing = [c for c in wanted if c not in header]
        if not missing:
            return number, header, where
        if closest is None or len(missing) < len(closest[2]):
            closest = (number, header, missing)
    if closest is None and named is not None and rows:
        raise InputError(f"{path.name}: read.header_row is {named}, but the file has {rows} rows")
    if closest is None:
        raise InputError(f"{path.name}: the file is empty")
    number, header, missing = closest
    has = ", ".join(h for h in header if h)
    if named is not None:
        raise InputError(f"{path.name}: row {number} (read.header_row) lacks column(s) {', '.join(missing)} "
                         f"(it has: {has}); fix read.header_row or the columns in the mapping")
    raise InputError(f"{path.name}: column(s) {', '.join(missing)} missing: none of the first {HEADER_SEARCH_ROWS} rows "
                     f"holds all the mapping's columns (row {number}, the closest, has: {has}); if the header is "
                     "further down, set read.header_row in the mapping, else write a mapping for this export "
                     "with --mapping")


def _lines(text: str, last: int) -> Iterator[tuple[int, str, int]]:
    """(number, text, offset after it) of the file's first ``last`` lines."""
    start = 0
    for number in range(1, last + 1):
        if start >= len(text):
            return
        end = text.find("\n", start)
        end = len(text) if end < 0 else end + 1
        yield number, text[start:end], end
        start = end


def read_csv(path: Path, mapping: Mapping) -> Iterator[RawRow]:
    text, _ = _decode(path, mapping.read.encoding)

    def candidates() -> Iterator[tuple[int, list[str], tuple[str, int]]]:
        # Each line with the delimiter it shows: a title line may have none, or other ones.
        for number, line, end in _lines(text, mapping.read.header_row or HEADER_SEARCH_ROWS):
            delimiter = _delimiter(line, mapping.read.delimiter)
            yield number, next(csv.reader([line.rstrip("\r\n")], delimiter=delimiter), []), (delimiter, end)

    header_number, header, (delimiter, end) = _find_header(path, candidates(), mapping)
    reader = csv.reader(io.StringIO(text[end:], newline=""), delimiter=delimiter)
    wanted = [(i, name) for i, name in enumerate(header) if name in set(mapping.columns)]
    names = [name for _, name in wanted]
    take = operator.itemgetter(*(i for i, _ in wanted))
    for number, cells in enumerate(reader, start=header_number + 1):
        if not cells or not "".join(cells).strip():
            yield RawRow(number, {}, "empty row")
        elif len(cells) != len(header):
            yield RawRow(number, dict(zip(header, cells, strict=False)),
                         f"row has {len(cells)} of {len(header)} columns (truncated or shifted line)")
        else:
            yield RawRow(number, dict(zip(names, take(cells), strict=True)) if len(names) > 1 else {names[0]: take(cells)})


def _cell_text(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_xlsx(path: Path, mapping: Mapping) -> Iterator[RawRow]:
    sheet = mapping.read.sheet if mapping.read.sheet is not None else 0
    try:
        frame = pd.read_excel(path, sheet_name=sheet, dtype=object, header=None, engine="openpyxl")
    except ValueError as exc:
        raise InputError(f"{path.name}: sheet {sheet!r} not found ({exc})") from None
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise InputError(f"{path.name}: not a readable XLSX file ({type(exc).__name__}: {exc})") from None
    if frame.empty:
        raise InputError(f"{path.name}: the sheet is empty")
    last = mapping.read.header_row or HEADER_SEARCH_ROWS
    header_number, header, _ = _find_header(
        path, ((i + 1, [_cell_text(v) for v in frame.iloc[i].tolist()], None) for i in range(min(last, len(frame)))),
        mapping)
    wanted = [(i, name) for i, name in enumerate(header) if name in set(mapping.columns)]
    for offset, values in enumerate(frame.iloc[header_number:].itertuples(index=False, name=None)):
        cells = [_cell_text(v) for v in values]
        number = offset + header_number + 1
        if all(not c.strip() for c in cells):
            yield RawRow(number, {}, "empty row")
        else:
            yield RawRow(number, {name: cells[i] for i, name in wanted})


def read_rows(path: Path, mapping: Mapping) -> Iterator[RawRow]:
    """Every row of the file, in order.

    Raises:
        InputError: the file is missing, of an unknown kind, undecodable, or lacks mapped columns.
    """
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return read_xlsx(path, mapping)
    if suffix in (".csv", ".txt", ".tsv"):
        return read_csv(path, mapping)
    raise InputError(f"{path.name}: unknown file type {suffix!r}; the hub reads .csv and .xlsx")
