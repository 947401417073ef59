"""One raw row, checked and normalised against its mapping: a record ready to write, or a reject.

The raw cells are kept verbatim (``raw``, as JSON) and hashed (``content_hash``), so a newer
export can be compared row by row and every normalised value traced back to what was typed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from loaders.mapping import FieldSpec, FieldType, Mapping
from loaders.normalise import parse_cell, parse_nik_cell
from loaders.reading import RawRow

# Cells seen per field whose parse is remembered: enough for every code, region, date and
# place of an export, bounded for the columns (names) where nearly every cell is new.
CELL_CACHE_SIZE = 50_000
# The same encoder for every row: ``json.dumps`` with options builds a new one per call.
_RAW_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True)
_encode_text: Callable[[str], str] = json.encoder.encode_basestring  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Problem:
    """A reason a row (reject) or one of its values (warning) could not be taken as it is."""

    row: int
    field: str
    column: str
    value: str
    reason: str


@dataclass(slots=True)
class Prepared:
    row: int
    key: str
    fields: dict[str, Any]
    props: dict[str, Any]  # SourceRecord properties (identity, raw, hash), without batch data
    warnings: list[Problem] = field(default_factory=list)

    @property
    def content_hash(self) -> str:
        return str(self.props["content_hash"])


class _Field:
    """One mapped field, with its spec read once and the parse of each cell text remembered
    (``parse_cell`` depends on nothing else during a load). Dates are kept as ISO text.

    A remembered parse is ``(value, problem, bad)``; ``bad`` says the row needs a closer look:
    a problem, or no value where one is required.
    """

    def __init__(self, name: str, spec: FieldSpec) -> None:
        self.name, self.spec, self.column = name, spec, spec.column
        self.nik = spec.type is FieldType.NIK
        self.required, self.reject_invalid = spec.required, spec.reject_invalid
        self.cache: dict[str, tuple[Any, str | None, bool]] = {}

    def parse(self, cell: str, reference: dt.date) -> tuple[Any, str | None, bool]:
        value, problem = parse_cell(cell, self.spec, reference)
        if isinstance(value, dt.date):
            value = value.isoformat()
        parsed = (value, problem, problem is not None or (value is None and self.required))
        if len(self.cache) < CELL_CACHE_SIZE:
            self.cache[cell] = parsed
        return parsed


class RowPreparer:
    """``prepare`` for every row of one load: the mapping read once, repeated cells parsed once.

    A row whose every value is fine takes a fast path: its cells are looked up, not parsed, and
    nothing is checked twice. Any other row goes through ``_checked``, field by field in mapping
    order, so its first reject and its warnings are the same as if every row went that way.
    """

    def __init__(self, mapping: Mapping, reference: dt.date) -> None:
        self.mapping = mapping
        self.reference = reference
        self._fields = [_Field(name, spec) for name, spec in mapping.fields.items()]
        self._plain = [f for f in self._fields if not f.nik]
        self._niks = [f for f in self._fields if f.nik]
        self._plain_columns = operator.itemgetter(*(f.column for f in self._plain)) if self._plain else None
        self._plain_names = [f.name for f in self._plain]
        self._lookups = [f.cache.get for f in self._plain]
        self._identity = [(name, IDENTITY_PROPERTIES[name]) for name in mapping.fields if name in IDENTITY_PROPERTIES]
        self._constant = {"source": mapping.source, **({"encounter": True} if mapping.recorded_as == "encounter" else {})}
        self._raw_keys: tuple[str, ...] = ()
        self._raw_prefixes: list[str] = []

    def raw_json(self, cells: dict[str, str]) -> str:
        """``json.dumps(cells, ensure_ascii=False, sort_keys=True)``, the same text in C calls only:
        every row of a file has the same columns, so they are sorted and encoded once."""
        try:
            if len(cells) != len(self._raw_keys):
                raise KeyError
            values = list(map(cells.__getitem__, self._raw_keys))
        except KeyError:  # the first row, or a row with other columns
            self._raw_keys = tuple(sorted(cells))
            self._raw_prefixes = [_encode_text(k) + ": " for k in self._raw_keys]
            values = list(map(cells.__getitem__, self._raw_keys))
        return "{" + ", ".join(map(operator.add, self._raw_prefixes, map(_encode_text, values))) + "}"

    def __call__(self, raw: RawRow) -> Prepared | Problem:
        """The row as a record, or the first reason it cannot be loaded."""
        if raw.problem:
            sample = ",".join(raw.cells.values())[:80]
            return Problem(raw.number, "(row)", "", sample, raw.problem)
        cells = raw.cells
        key = cells.get(self.mapping.key, "").strip()
        if not key:
            return Problem(raw.number, "key", self.mapping.key, "",
                           f"{self.mapping.key} is empty: every row needs its own key")
        props: dict[str, Any] = {}
        fields = self._fast(cells, props)
        if fields is None:
            props = {}
            checked = self._checked(raw, props)
            if isinstance(checked, Problem):
                return checked
            fields, warnings = checked
        else:
            warnings = []
        return self._record(raw, key, fields, props, warnings)

    def _fast(self, cells: dict[str, str], props: dict[str, Any]) -> dict[str, Any] | None:
        """The fields of a row with nothing wrong in it; ``None`` for any other row."""
        fields: dict[str, Any] = {}
        if self._plain_columns is not None:
            texts = self._plain_columns(cells)
            if len(self._plain) == 1:
                texts = (texts,)
            parsed = [lookup(text) for lookup, text in zip(self._lookups, texts, strict=True)]
            if None in parsed:
                for i, known in enumerate(parsed):
                    if known is None:
                        parsed[i] = self._plain[i].parse(texts[i], self.reference)
            if any(map(_BAD, parsed)):
                return None
            fields = dict(zip(self._plain_names, map(_VALUE, parsed), strict=True))
        for plan in self._niks:
            cell = cells.get(plan.column, "")
            nik_props, problem = parse_nik_cell(cell, self.reference)
            if problem is not None or (plan.required and nik_props["nik"] is None):
                return None
            if plan.name == "nik":
                props.update(nik_props)
                props["nik_raw"] = cell
            fields[plan.name] = nik_props["nik"]
        return fields

    def _checked(self, raw: RawRow, props: dict[str, Any]) -> tuple[dict[str, Any], list[Problem]] | Problem:
        """Every field in mapping order: the fields and warnings, or the first reject."""
        fields: dict[str, Any] = {}
        warnings: list[Problem] = []
        for plan in self._fields:
            cell = raw.cells.get(plan.column, "")
            if plan.nik:
                nik_props, problem = parse_nik_cell(cell, self.reference)
                if plan.name == "nik":
                    props.update(nik_props)
                    props["nik_raw"] = cell
                value = nik_props["nik"]
            else:
                value, problem, _ = plan.cache.get(cell) or plan.parse(cell, self.reference)
            if problem is None and value is None and plan.required:
                problem = f"{plan.column} is empty but required"
            if problem is not None:
                issue = Problem(raw.number, plan.name, plan.column, cell, problem)
                if plan.reject_invalid or (plan.required and value is None):
                    return issue
                warnings.append(issue)
                value = None
            fields[plan.name] = value
        return fields, warnings

    def _record(self, raw: RawRow, key: str, fields: dict[str, Any], props: dict[str, Any],
                warnings: list[Problem]) -> Prepared:
        for name, prop in self._identity:
            value = fields[name]
            if value is not None:
                props[prop] = value
        born = fields.get("birth_date")
        if born is not None:
            _add_birth(props, born)
        raw_json = self.raw_json(raw.cells)
        props["raw"] = raw_json
        props["content_hash"] = hashlib.sha256(raw_json.encode()).hexdigest()[:32]
        props["record_id"] = f"{self.mapping.source}:{key}"
        props["source_key"] = key
        props["row_number"] = raw.number
        props.update(self._constant)
        return Prepared(raw.number, key, fields, props, warnings)


_BAD = operator.itemgetter(2)
_VALUE = operator.itemgetter(0)


def prepare(raw: RawRow, mapping: Mapping, reference: dt.date) -> Prepared | Problem:
    """One row as a record, or the first reason it cannot be loaded (``RowPreparer`` for many)."""
    return RowPreparer(mapping, reference)(raw)


# Fields that are identity properties of the SourceRecord, by the name the matcher reads.
IDENTITY_PROPERTIES = {"kk": "kk", "name": "name", "sex": "sex", "mother_name": "mother_name",
                       "birth_place": "birth_place", "address": "address", "age": "age", "region": "region_code"}


def _add_birth(props: dict[str, Any], born: Any) -> None:
    if isinstance(born, dict):  # only the year was known
        props["birth_year"] = born["year"]
    else:  # ISO text
        props["birth_date"] = born
        props["birth_year"] = int(born[:4])
