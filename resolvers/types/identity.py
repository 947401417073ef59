"""Who a person is: the best value of each field, and every value each source gave."""

from __future__ import annotations

from collections import Counter

import strawberry

from graph_schema.port import Row
from hub.privacy.access import Personal, Principal, mask
from hub.privacy.disclosure import QuasiView


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
    def of(cls, person: Row, links: list[Row], principal: Principal, view: QuasiView | None = None) -> Identity:
        """The identity as ``principal`` may see it; ``view``: the person's k-anonymous quasi-identifiers,
        for a role that does not see birth date, sex and village (``Principal.quasi_masked``)."""
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

        def generalised(name: str, value: str | None) -> IdentityField:
            # Each source's own value would tell more than the view allows: one value, every source behind it.
            stated = [record for record in records if record.get(name) not in (None, "")]
            return IdentityField(best=value, values=[SourcedValue(
                value=value, sources=sorted({r["source"] for r in stated}), records=len(stated))] if value else [])

        if principal.quasi_masked:  # without a view: nothing of them (never the values in clear)
            birth_date = generalised("birth_date", view.birth if view else None)
            sex = generalised("sex", view.sex if view else None)
        else:
            birth_date, sex = field("birth_date"), field("sex")
        return cls(name=field("name", Personal.NAME), nik=field("nik", Personal.NIK), kk=field("kk", Personal.KK),
                   birth_date=birth_date, sex=sex,
                   mother_name=field("mother_name", Personal.MOTHER_NAME),
                   birth_place=field("birth_place", Personal.BIRTH_PLACE), address=field("address", Personal.ADDRESS))
