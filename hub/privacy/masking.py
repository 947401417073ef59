"""Masking a source record's raw cells: the columns its mapping maps to personal fields, and
any cell that repeats a personal value of the record (a custom mapping we do not ship)."""

from __future__ import annotations

import json
from functools import cache

from graph_schema.port import Row
from hub.errors import HubError
from hub.privacy.access import Personal, Principal, mask
from loaders.mapping import mapping_for
from loaders.normalise import parse_phone

# The record fields (SourceRecord properties and mapping field names) that are personal.
PERSONAL_FIELDS: dict[str, Personal] = {
    "nik": Personal.NIK, "nik_raw": Personal.NIK, "kk": Personal.NIK,
    "mother_name": Personal.MOTHER_NAME, "address": Personal.ADDRESS,
    # A phone number is a contact detail, as the street address is: the same clearance.
    "phone": Personal.ADDRESS,
}


@cache
def personal_columns(source: str) -> dict[str, Personal]:
    """Column -> personal field, from the mapping shipped for ``source`` (empty if none)."""
    try:
        mapping = mapping_for(source)
    except HubError:
        return {}
    return {spec.column: PERSONAL_FIELDS[name] for name, spec in mapping.fields.items() if name in PERSONAL_FIELDS}


def raw_cells(record: Row, principal: Principal) -> list[tuple[str, str | None]]:
    """(column, value) of the row as the office exported it, masked for ``principal``."""
    raw = json.loads(record.get("raw") or "{}")
    by_column = personal_columns(str(record.get("source", "")))
    by_value: dict[str, Personal] = {}
    phone = record.get("phone")
    for name, personal in PERSONAL_FIELDS.items():
        value = record.get(name)
        if isinstance(value, str) and value.strip():
            by_value[value.strip().upper()] = personal
    cells: list[tuple[str, str | None]] = []
    for column, value in raw.items():
        text = None if value is None else str(value)
        field: Personal | None = by_column.get(column) or (by_value.get(text.strip().upper()) if text else None)
        if field is None and text and phone and parse_phone(text)[0] == phone:  # stored as 62..., typed as 08...
            field = PERSONAL_FIELDS["phone"]
        cells.append((column, mask(text, field, principal) if field else text))
    return cells
