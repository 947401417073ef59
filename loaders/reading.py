"""Reading an export as the offices produce it: CSV in UTF-8 or cp1252/latin-1, delimited by
comma, semicolon or tab; or XLSX (first or named sheet, through pandas and openpyxl).

Rows come out as ``RawRow`` (row number as a spreadsheet shows it, header = 1) with every
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
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from hub.errors import InputError
from loaders.mapping import Mapping

DELIMITERS = [",", ";", "\t"]


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


def _check_header(path: Path, header: list[str], mapping: Mapping) -> list[str]:
    header = [h.strip().lstrip("\ufeff") for h in header]
    missing = [c for c in mapping.columns if c not in header]
    if missing:
        raise InputError(f"{path.name}: column(s) {', '.join(missing)} missing (file has: {', '.join(header)}); "
                         "write a mapping for this export with --mapping")
    return header


def read_csv(path: Path, mapping: Mapping) -> Iterator[RawRow]:
    text, _ = _decode(path, mapping.read.encoding)
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line, mapping.read.delimiter))
    try:
        header = _check_header(path, next(reader), mapping)
    except StopIteration:
        raise InputError(f"{path.name}: the file is empty") from None
    wanted = [(i, name) for i, name in enumerate(header) if name in set(mapping.columns)]
    names = [name for _, name in wanted]
    take = operator.itemgetter(*(i for i, _ in wanted))
    number = 1
    for number, cells in enumerate(reader, start=2):
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
    header = _check_header(path, [_cell_text(v) for v in frame.iloc[0].tolist()], mapping)
    wanted = [(i, name) for i, name in enumerate(header) if name in set(mapping.columns)]
    for offset, values in enumerate(frame.iloc[1:].itertuples(index=False, name=None)):
        cells = [_cell_text(v) for v in values]
        number = offset + 2
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
