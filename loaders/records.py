"""Raw rows, checked and normalised against their mapping: records ready to write, or rejects.

The raw cells are kept verbatim (``raw``, as JSON) and hashed (``content_hash``), so a newer
export can be compared row by row and every normalised value traced back to what was typed.

``RowPreparer.batch`` works a column at a time: a column's cells go through one ``map`` over
the field's parser, and a cell text seen before is looked up, not parsed again (a parse
depends on nothing else during a load). Only a row with something wrong in it is then taken
field by field (``_checked``), so its first reject and its warnings are exactly those of the
rule "check every field in mapping order".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import operator
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any

from graph_schema.load_queries import RECORD_COLUMNS
from loaders.mapping import FieldSpec, FieldType, Mapping
from loaders.normalise import CLEANERS, parse_cell, parse_nik_cell
from loaders.reading import RawRow

# Cells seen per field whose parse is remembered: enough for every code, region, date and
# place of an export, bounded for columns where nearly every cell is new.
CELL_CACHE_SIZE = 50_000
_encode_text: Callable[[str], str] = json.encoder.encode_basestring

# Fields that are identity properties of the SourceRecord, by the name the matcher reads.
IDENTITY_PROPERTIES = {"kk": "kk", "name": "name", "sex": "sex", "mother_name": "mother_name",
                       "birth_place": "birth_place", "address": "address", "age": "age", "region": "region_code",
                       "phone": "phone", "register_id": "register_id"}


@dataclass(frozen=True)
class Problem:
    """A reason a row (reject) or one of its values (warning) could not be taken as it is."""

    row: int
    field: str
    column: str
    value: str
    reason: str


# Where a record's properties sit in its row (``Prepared.values``).
_AT = {name: i for i, name in enumerate(RECORD_COLUMNS)}
_RECORD_ID, _CONTENT_HASH, _PREVIOUS = _AT["record_id"], _AT["content_hash"], _AT["previous"]
_REGION_CODE = _AT["region_code"]


@dataclass(slots=True)
class Prepared:
    row: int
    key: str
    fields: dict[str, Any]
    values: list[Any]  # SourceRecord properties in RECORD_COLUMNS order (null where it has none), no batch data
    warnings: list[Problem] = field(default_factory=list)

    @property
    def record_id(self) -> str:
        return self.values[_RECORD_ID]  # type: ignore[no-any-return]  # text by construction

    @property
    def content_hash(self) -> str:
        return str(self.values[_CONTENT_HASH])

    @property
    def region_code(self) -> str | None:
        """The region the row places the person in (dotted code), if it names one."""
        code = self.values[_REGION_CODE]
        return str(code) if code else None

    @property
    def props(self) -> dict[str, Any]:
        """The properties the record has, by name."""
        return {name: value for name, value in zip(RECORD_COLUMNS, self.values, strict=True) if value is not None}

    def get(self, prop: str) -> Any:
        return self.values[_AT[prop]]

    def keep_previous(self, previous: str | None) -> None:
        """What the record was before this row (JSON), kept on the record."""
        self.values[_PREVIOUS] = previous


CellParse = tuple[Any, str | None, bool]  # value (dates as ISO text), problem, whether the row needs a closer look
_VALUE = operator.itemgetter(0)
_NIK = operator.itemgetter("nik")
_NIK_STATUS = operator.itemgetter("nik_status")
_BAD = operator.itemgetter(2)


class _Field:
    """One mapped field: its spec read once, its parses remembered."""

    def __init__(self, name: str, spec: FieldSpec) -> None:
        self.name, self.spec, self.column = name, spec, spec.column
        self.nik = spec.type is FieldType.NIK
        self.cleaner = CLEANERS.get(spec.type)
        self.required, self.reject_invalid = spec.required, spec.reject_invalid
        self.cache: dict[str, CellParse] = {}

    def parse(self, cell: str, reference: dt.date) -> CellParse:
        known = self.cache.get(cell)
        if known is not None:
            return known
        value, problem = parse_cell(cell, self.spec, reference)
        if isinstance(value, dt.date):
            value = value.isoformat()
        parsed = (value, problem, problem is not None or (value is None and self.required))
        if len(self.cache) < CELL_CACHE_SIZE:
            self.cache[cell] = parsed
        return parsed

    def parse_column(self, cells: Sequence[str], reference: dt.date) -> tuple[list[Any], list[int]]:
        """The values of a column, and the positions of the cells that need a closer look."""
        if self.cleaner is not None:  # nothing to refuse; empty is all that can be wrong
            values = list(map(self.cleaner, cells))
            return values, ([i for i, v in enumerate(values) if v is None] if self.required else [])
        parsed = [known if known is not None else self.parse(cells[i], reference)
                  for i, known in enumerate(map(self.cache.get, cells))]
        bad = [i for i, p in enumerate(parsed) if p[2]] if any(map(_BAD, parsed)) else []
        return list(map(_VALUE, parsed)), bad


class RowPreparer:
    """Rows to records for one load: the mapping read once, repeated cells parsed once."""

    def __init__(self, mapping: Mapping, reference: dt.date) -> None:
        self.mapping = mapping
        self.reference = reference
        self._fields = [_Field(name, spec) for name, spec in mapping.fields.items()]
        self._plain = [f for f in self._fields if not f.nik]
        self._niks = [f for f in self._fields if f.nik]
        self._identity = [(name, IDENTITY_PROPERTIES[name]) for name in mapping.fields if name in IDENTITY_PROPERTIES]
        self._constant = {"source": mapping.source, **({"encounter": True} if mapping.recorded_as == "encounter" else {})}

    def batch(self, raws: Sequence[RawRow]) -> list[Prepared | Problem]:
        """Each row as a record, or the first reason it cannot be loaded; in order."""
        results: list[Prepared | Problem | None] = [None] * len(raws)
        todo: list[int] = []
        keys: list[str] = []
        for i, raw in enumerate(raws):
            key = self._key(raw)
            if isinstance(key, Problem):
                results[i] = key
                continue
            todo.append(i)
            keys.append(key)
        cells = [raws[i].cells for i in todo]
        by_column = _by_column(cells)
        closer_look: set[int] = set()
        columns: dict[str, list[Any]] = {}
        for plan in self._plain:
            columns[plan.name], bad = plan.parse_column(_column(cells, by_column, plan.column), self.reference)
            closer_look.update(bad)
        own_nik: tuple[Sequence[str], list[dict[str, Any]]] | None = None
        for plan in self._niks:
            texts = _column(cells, by_column, plan.column)
            parsed = [parse_nik_cell(t, self.reference) for t in texts]
            closer_look.update(i for i, (nik, problem) in enumerate(parsed)
                               if problem is not None or (plan.required and nik["nik"] is None))
            found = list(map(_VALUE, parsed))
            columns[plan.name] = list(map(_NIK, found))
            if plan.name == "nik":
                own_nik = (texts, found)
        numbers = [raws[i].number for i in todo]
        raw_texts = _raw_json(cells, by_column)
        values = self._values(keys, numbers, columns, own_nik, raw_texts)
        names = list(columns)
        rows: Iterable[tuple[Any, ...]] = zip(*columns.values(), strict=True) if columns else repeat(())
        for j, (i, row_values) in enumerate(zip(todo, rows, strict=False)):
            if j in closer_look:
                results[i] = self._closer_look(raws[i], keys[j], raw_texts[j])
            else:
                results[i] = Prepared(numbers[j], keys[j], dict(zip(names, row_values, strict=True)), values[j], [])
        return results  # type: ignore[return-value]  # every slot is filled above

    def one_by_one(self, raw: RawRow) -> Prepared | Problem:
        """The rule ``batch`` follows, a row and a field at a time (what its tests compare with)."""
        key = self._key(raw)
        return key if isinstance(key, Problem) else self._closer_look(raw, key, raw_json(raw.cells))

    def _closer_look(self, raw: RawRow, key: str, raw_text: str) -> Prepared | Problem:
        checked = self._checked(raw)
        if isinstance(checked, Problem):
            return checked
        fields, own_nik, warnings = checked
        values = self._values([key], [raw.number], {name: [value] for name, value in fields.items()},
                              ([own_nik[0]], [own_nik[1]]) if own_nik else None, [raw_text])
        return Prepared(raw.number, key, fields, values[0], warnings)

    def _key(self, raw: RawRow) -> str | Problem:
        """The row's key, or why the row cannot be taken at all (a broken line, no key)."""
        if raw.problem:
            sample = ",".join(raw.cells.values())[:80]
            return Problem(raw.number, "(row)", "", sample, raw.problem)
        column = self.mapping.key
        key = raw.cells.get(column, "").strip()
        return key or Problem(raw.number, "key", column, "", f"{column} is empty: every row needs its own key")

    def _checked(self, raw: RawRow) -> tuple[dict[str, Any], tuple[str, dict[str, Any]] | None, list[Problem]] | Problem:
        """Every field in mapping order: the fields, the record's own NIK (cell, parse) and the
        warnings; or the first reject."""
        fields: dict[str, Any] = {}
        own_nik = None
        warnings: list[Problem] = []
        for plan in self._fields:
            cell = raw.cells.get(plan.column, "")
            if plan.nik:
                nik, problem = parse_nik_cell(cell, self.reference)
                value = nik["nik"]
                if plan.name == "nik":
                    own_nik = (cell, nik)
            else:
                value, problem, _ = plan.parse(cell, self.reference)
            if problem is None and value is None and plan.required:
                problem = f"{plan.column} is empty but required"
            if problem is not None:
                issue = Problem(raw.number, plan.name, plan.column, cell, problem)
                if plan.reject_invalid or (plan.required and value is None):
                    return issue
                warnings.append(issue)
                value = None
            fields[plan.name] = value
        return fields, own_nik, warnings

    def _values(self, keys: list[str], numbers: list[int], fields: dict[str, list[Any]],
                own_nik: tuple[Sequence[str], list[dict[str, Any]]] | None, raw: list[str]) -> list[list[Any]]:
        """The SourceRecord rows (``Prepared.values``) of rows given a column at a time: their
        keys, row numbers, field values, own NIK cells and parses, and raw JSON."""
        known: dict[str, Iterable[Any]] = {prop: fields[name] for name, prop in self._identity}
        born = fields.get("birth_date")
        if born is not None:  # ISO text, or {"year": ...} where only the year was known
            known["birth_date"] = [b if type(b) is str else None for b in born]
            known["birth_year"] = [int(b[:4]) if type(b) is str else b["year"] if b else None for b in born]
        if own_nik is not None:
            cells, niks = own_nik
            nik_values = list(map(_NIK, niks))
            known["nik"] = nik_values
            known["nik_status"] = list(map(_NIK_STATUS, niks))
            known["nik_birth_date"] = [nik.get("nik_birth_date") for nik in niks]
            known["nik_sex"] = [nik.get("nik_sex") for nik in niks]
            # The cell as typed, where it is not the NIK itself (repaired, or not a NIK).
            known["nik_raw"] = [None if cell == nik else cell for cell, nik in zip(cells, nik_values, strict=True)]
        known["raw"] = raw
        known["content_hash"] = [hashlib.sha256(text.encode()).hexdigest()[:32] for text in raw]
        known["record_id"] = [record_id(self.mapping.source, key) for key in keys]
        known["source_key"] = keys
        known["row_number"] = numbers
        for prop, value in self._constant.items():
            known[prop] = repeat(value)
        unknown = repeat(None)  # one iterator for every absent column: zip stops with the lists
        return list(map(list, zip(*(known.get(prop, unknown) for prop in RECORD_COLUMNS), strict=False)))


def record_id(source: str, key: str) -> str:
    return f"{source}:{key}"


def raw_json(cells: dict[str, str]) -> str:
    """The raw cells as stored: ``json.dumps(cells, ensure_ascii=False, sort_keys=True)``."""
    return _raw_json([cells], _by_column([cells]))[0]


def _by_column(rows: list[dict[str, str]]) -> dict[str, Sequence[str]] | None:
    """The cells of each column, read off all rows at once; ``None`` unless every row has the
    same columns (as every row of a file does)."""
    if not rows or not rows[0] or len(set(map(len, rows))) != 1:
        return None
    names = tuple(rows[0])
    try:
        cells = list(map(operator.itemgetter(*names), rows)) if len(names) > 1 else [(row[names[0]],) for row in rows]
    except KeyError:
        return None
    return dict(zip(names, zip(*cells, strict=True), strict=True))


def _column(rows: list[dict[str, str]], by_column: dict[str, Sequence[str]] | None, name: str) -> Sequence[str]:
    """One column's cells, "" where a row lacks it."""
    if by_column is None:
        return [row.get(name, "") for row in rows]
    return by_column[name] if name in by_column else [""] * len(rows)


def _raw_json(rows: list[dict[str, str]], by_column: dict[str, Sequence[str]] | None) -> list[str]:
    """``raw_json`` of many rows in C calls only, a column at a time (rows with the same columns,
    as a file's are; any others are done a row at a time)."""
    if by_column is None:
        return [json.dumps(row, ensure_ascii=False, sort_keys=True) for row in rows]
    parts = [list(map(operator.add, repeat(_encode_text(k) + ": "), map(_encode_text, by_column[k])))
             for k in sorted(by_column)]
    return list(map("{%s}".__mod__, map(", ".join, zip(*parts, strict=True))))
