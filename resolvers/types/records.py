"""The source rows behind a person, with how each was linked."""

from __future__ import annotations

from enum import Enum

import strawberry

from graph_schema.port import Row
from hub.privacy.access import Personal, Principal, mask
from hub.privacy.disclosure import QuasiView
from hub.privacy.masking import raw_cells


@strawberry.type(description="One cell of the row as the office exported it.")
class RawCell:
    column: str
    value: str | None


@strawberry.enum(description="How a record was linked to its person.")
class LinkMethod(Enum):
    NIK = strawberry.enum_value("nik", description="A valid NIK that agrees with the record's birth date and sex.")
    SPLINK = strawberry.enum_value("splink", description="Scored by the probabilistic model (Splink).")
    REFERENCE = strawberry.enum_value("reference", description="The record points at another (its resident, "
                                      "its complaint).")
    STEWARD = strawberry.enum_value("steward", description="A steward's verdict.")
    SINGLE = strawberry.enum_value("single", description="No other record is the same person.")


@strawberry.type(description="A source row linked to the person, with how it was linked and where it came from.")
class LinkedRecord:
    record_id: str
    source: str
    source_key: str
    method: LinkMethod | None
    probability: float | None
    linked_at: str | None
    batch_id: str | None
    file_hash: str | None
    row_number: int | None
    loaded_at: str | None
    name: str | None
    nik: str | None
    nik_status: str | None
    kk: str | None
    birth_date: str | None
    sex: str | None
    mother_name: str | None
    address: str | None
    region_code: str | None
    raw: list[RawCell]

    @classmethod
    def of(cls, link: Row, principal: Principal, view: QuasiView | None = None,
           declared: dict[str, Personal | None] | None = None) -> LinkedRecord:
        """The record as ``principal`` may see it; ``view``: its person's k-anonymous quasi-identifiers,
        shown instead of the record's own for a role that does not see them (``Principal.quasi_masked``);
        ``declared``: what the mapping it was loaded with declared of its columns (see ``raw_cells``)."""
        s = link["record"]
        if principal.quasi_masked:
            birth_date, sex = (view.birth, view.sex) if view else (None, None)
            region_code = view.region(s.get("region_code")) if view else None
        else:
            birth_date, sex, region_code = s.get("birth_date"), s.get("sex"), s.get("region_code")
        return cls(
            record_id=s["record_id"], source=s["source"], source_key=s["source_key"],
            method=LinkMethod(link["method"]) if link.get("method") else None,
            probability=link.get("probability"), linked_at=link.get("linked_at"), batch_id=s.get("batch_id"),
            file_hash=s.get("file_hash"), row_number=s.get("row_number"), loaded_at=s.get("loaded_at"),
            name=mask(s.get("name"), Personal.NAME, principal), nik=mask(s.get("nik"), Personal.NIK, principal),
            nik_status=s.get("nik_status"), kk=mask(s.get("kk"), Personal.KK, principal), birth_date=birth_date,
            sex=sex, mother_name=mask(s.get("mother_name"), Personal.MOTHER_NAME, principal),
            address=mask(s.get("address"), Personal.ADDRESS, principal), region_code=region_code,
            raw=[RawCell(column=c, value=v) for c, v in raw_cells(s, principal, declared)])
