"""One raw row, checked and normalised against its mapping: a record ready to write, or a reject.

The raw cells are kept verbatim (``raw``, as JSON) and hashed (``content_hash``), so a newer
export can be compared row by row and every normalised value traced back to what was typed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from loaders.mapping import FieldType, Mapping
from loaders.normalise import parse_cell, parse_nik_cell
from loaders.reading import RawRow


@dataclass(frozen=True)
class Problem:
    """A reason a row (reject) or one of its values (warning) could not be taken as it is."""

    row: int
    field: str
    column: str
    value: str
    reason: str


@dataclass
class Prepared:
    row: int
    key: str
    fields: dict[str, Any]
    props: dict[str, Any]  # SourceRecord properties (identity, raw, hash), without batch data
    warnings: list[Problem] = field(default_factory=list)

    @property
    def content_hash(self) -> str:
        return str(self.props["content_hash"])


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def prepare(raw: RawRow, mapping: Mapping, reference: dt.date) -> Prepared | Problem:
    """The row as a record, or the first reason it cannot be loaded."""
    if raw.problem:
        sample = ",".join(raw.cells.values())[:80]
        return Problem(raw.number, "(row)", "", sample, raw.problem)
    key = raw.cells.get(mapping.key, "").strip()
    if not key:
        return Problem(raw.number, "key", mapping.key, "", f"{mapping.key} is empty: every row needs its own key")
    fields: dict[str, Any] = {}
    props: dict[str, Any] = {}
    warnings: list[Problem] = []
    for name, spec in mapping.fields.items():
        cell = raw.cells.get(spec.column, "")
        if spec.type is FieldType.NIK:
            nik_props, problem = parse_nik_cell(cell, reference)
            if name == "nik":
                props.update(nik_props)
                props["nik_raw"] = cell
            value = nik_props["nik"]
        else:
            value, problem = parse_cell(cell, spec, reference)
        if problem is None and value is None and spec.required:
            problem = f"{spec.column} is empty but required"
        if problem is not None:
            issue = Problem(raw.number, name, spec.column, cell, problem)
            if spec.reject_invalid or (spec.required and value is None):
                return issue
            warnings.append(issue)
            value = None
        fields[name] = value
    props.update(_identity(fields))
    if mapping.recorded_as == "encounter":
        props["encounter"] = True
    raw_json = json.dumps(raw.cells, ensure_ascii=False, sort_keys=True)
    props["raw"] = raw_json
    props["content_hash"] = hashlib.sha256(raw_json.encode()).hexdigest()[:32]
    props["record_id"] = f"{mapping.source}:{key}"
    props["source"] = mapping.source
    props["source_key"] = key
    props["row_number"] = raw.number
    return Prepared(raw.number, key, {k: _plain(v) for k, v in fields.items()}, props, warnings)


def _identity(fields: dict[str, Any]) -> dict[str, Any]:
    """The SourceRecord's identity properties, named as the matcher reads them."""
    out: dict[str, Any] = {}
    born = fields.get("birth_date")
    if isinstance(born, dict):  # only the year was known
        out["birth_year"] = born["year"]
    elif isinstance(born, dt.date):
        out["birth_date"] = born.isoformat()
        out["birth_year"] = born.year
    for name in ("kk", "name", "sex", "mother_name", "birth_place", "address", "age"):
        if fields.get(name) is not None:
            out[name] = fields[name]
    if fields.get("region") is not None:
        out["region_code"] = fields["region"]
    return {k: v for k, v in out.items() if v is not None}
