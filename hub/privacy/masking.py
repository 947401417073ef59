"""Masking a source record's raw cells (the row as the office exported it), deny-by-default.

Each column is masked by what its mapping declares it holds (``personal = "phone"``, inferred for
the usual fields: ``Mapping.personal_columns``). For a role that does not see identifiers, a
column the mapping does not declare at all (a custom mapping's, or one nobody marked) is masked
wherever it holds something that looks like one: a run of 8 or more digits (NIK, KK, card and
account numbers), a phone number, or a personal value of the record itself. Only a column
declared ``personal = "none"`` is shown as it is. Cells naming someone other than the record's
person (a complaint's reporter, a village operator: ``third_party_columns``) are masked for every
role but steward and admin, whatever the role sees of the person itself.
"""

from __future__ import annotations

import json
import re
from functools import cache

from graph_schema.port import Row
from hub.errors import HubError
from hub.privacy.access import MASKED, MASKED_NUMBER, QUASI_IDENTIFIERS, Personal, Principal, Role, mask
from loaders.mapping import mapping_for

# The roles that see other people's identifiers in a record's raw row (they handle the case).
SEES_OTHERS = frozenset({Role.STEWARD, Role.ADMIN})
# The record's own properties that are personal: a cell repeating one is that kind of data.
RECORD_PERSONAL: dict[str, Personal] = {
    "nik": Personal.NIK, "nik_raw": Personal.NIK, "kk": Personal.KK, "name": Personal.NAME,
    "mother_name": Personal.MOTHER_NAME, "address": Personal.ADDRESS, "birth_place": Personal.BIRTH_PLACE,
    "phone": Personal.PHONE,
}
# Identifier-looking text inside a cell: long digit runs (a NIK or KK, even as Excel leaves it:
# "3327…0001.0", "'3327…"), Indonesian phone numbers written with spaces, dots or dashes.
IDENTIFIER = re.compile(r"\d{8,}|(?:\+62|\b62|\b0)[\s.-]?8\d{1,3}(?:[\s.-]?\d{2,5}){2,3}\b|\(0\d{2,3}\)\s?\d{5,8}")


@cache
def declared_columns(source: str) -> dict[str, Personal | None]:
    """Column -> kind of personal data (None: declared not personal), from the mapping shipped for ``source``."""
    try:
        mapping = mapping_for(source)
    except HubError:
        return {}
    return mapping.personal_columns()


@cache
def third_party_columns(source: str) -> frozenset[str]:
    """Columns of ``source``'s rows that name someone else (``Mapping.third_party_columns``); none
    for a source without a shipped mapping."""
    try:
        mapping = mapping_for(source)
    except HubError:
        return frozenset()
    return mapping.third_party_columns()


def scrub(text: str) -> str:
    """``text`` with every identifier-looking run replaced by ``***``."""
    return IDENTIFIER.sub(MASKED, text)


def shown_text(text: str | None, principal: Principal) -> str | None:
    """Free text of no declared kind (a complaint's description, an undeclared column) as ``principal`` may
    see it: whatever looks like an identifier goes, unless the role sees NIKs and phone numbers."""
    if text is None or (principal.sees(Personal.NIK) and principal.sees(Personal.PHONE)):
        return text
    return scrub(text)


def raw_cells(record: Row, principal: Principal,
              declared: dict[str, Personal | None] | None = None) -> list[tuple[str, str | None]]:
    """(column, value) of the row as the office exported it, masked for ``principal``.

    ``declared``: what the mapping the row was loaded with declared (kept on its load batch, see
    ``Disclosure.batch_columns``); without it, the mapping shipped for the record's source.
    """
    raw = json.loads(record.get("raw") or "{}")
    if declared is None:
        declared = declared_columns(str(record.get("source", "")))
    by_value: dict[str, Personal] = {}
    for name, personal in RECORD_PERSONAL.items():
        value = record.get(name)
        if isinstance(value, str) and value.strip():
            by_value[value.strip().upper()] = personal
    # Someone else's NIK or name (a complaint's reporter) is not the person's to show, whatever a role
    # sees of the person: only those who handle the case (stewards, admins) see it.
    others = frozenset() if principal.role in SEES_OTHERS else third_party_columns(str(record.get("source", "")))
    cells: list[tuple[str, str | None]] = []
    for column, value in raw.items():
        text = None if value is None else str(value)
        if text is not None and column in others and text.strip():
            cells.append((column, MASKED_NUMBER if declared.get(column) in (Personal.NIK, Personal.KK) else MASKED))
        else:
            cells.append((column, text if text is None else _cell(column, text, declared, by_value, principal)))
    return cells


def _cell(column: str, text: str, declared: dict[str, Personal | None], by_value: dict[str, Personal],
          principal: Principal) -> str | None:
    if column in declared:
        kind = declared[column]
        if kind is None:
            return text
    else:
        kind = by_value.get(text.strip().upper())
        if kind is None:
            return shown_text(text, principal)
    if kind in QUASI_IDENTIFIERS and principal.quasi_masked:
        return MASKED  # the person's view shows them, as coarse as needed; a cell would tell more
    return mask(text, kind, principal)
