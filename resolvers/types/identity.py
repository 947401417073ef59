"""Who a person is: the best value of each field, and every value each source gave."""

from __future__ import annotations

from collections import Counter

import strawberry

from graph_schema.port import Row
from hub.privacy.access import Personal, Principal, mask


@strawberry.type(description="A value and the sources that state it.")
class SourcedValue:
    value: str
    sources: list[str]
    records: int


@strawberry.type(description="One identity field: the value the hub holds best, and all values stated.")
class IdentityField:
    best: str | None
    values: list[SourcedValue]


@strawberry.type(description="Identity fields, each with its best value and every source's value.")
class Identity:
    name: IdentityField
    nik: IdentityField
    kk: IdentityField
    birth_date: IdentityField
    sex: IdentityField
    mother_name: IdentityField
    birth_place: IdentityField
    address: IdentityField

    @classmethod
    def of(cls, person: Row, links: list[Row], principal: Principal) -> Identity:
        records = [link["record"] for link in links]

        def field(name: str, personal: Personal | None = None) -> IdentityField:
            seen: dict[str, set[str]] = {}
            counts: Counter[str] = Counter()
            for record in records:
                value = record.get(name)
                if value is None or value == "":
                    continue
                seen.setdefault(str(value), set()).add(record["source"])
                counts[str(value)] += 1
            best = person.get(name)
            if best is None and counts:
                best = max(sorted(counts), key=lambda v: counts[v])

            def shown(value: str | None) -> str | None:
                return mask(value, personal, principal) if personal else value

            values = [SourcedValue(value=shown(v) or "", sources=sorted(seen[v]), records=counts[v])
                      for v in sorted(counts, key=lambda v: (-counts[v], v))]
            return IdentityField(best=shown(best), values=values)

        return cls(name=field("name"), nik=field("nik", Personal.NIK), kk=field("kk", Personal.NIK),
                   birth_date=field("birth_date"), sex=field("sex"),
                   mother_name=field("mother_name", Personal.MOTHER_NAME), birth_place=field("birth_place"),
                   address=field("address", Personal.ADDRESS))
