"""A household (KK) with its members, their relations and the programs that reach them."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from graph_schema.port import Row
from hub.privacy.access import Personal, Principal, mask
from resolvers.context import Info
from resolvers.types.region import Region

if TYPE_CHECKING:
    from resolvers.types.person import Person


@strawberry.enum(description="How a member relates to the household's head (DTKS HUBUNGAN_KELUARGA).")
class Relation(Enum):
    HEAD = "head"
    SPOUSE = "spouse"
    CHILD = "child"
    PARENT = "parent"
    GRANDCHILD = "grandchild"
    OTHER = "other"


def relation_of(value: str | None) -> Relation | None:
    return Relation(value) if value else None


@strawberry.type(description="A member of a household, as the registers relate them.")
class HouseholdMember:
    person_id: strawberry.ID
    name: str | None
    nik: str | None
    sex: str | None
    birth_date: str | None
    relation: Relation | None
    programs: list[str]

    @strawberry.field(description="The member's own history (one more batched query for all members asked).")
    async def person(self, info: Info) -> Annotated[Person, strawberry.lazy("resolvers.types.person")] | None:
        from resolvers.audit_fields import selected_fields
        from resolvers.types.person import Person

        core = await info.context.loaders.person_core_by_id.load(str(self.person_id))
        if core is None:
            return None
        info.context.audit_read("household.member", [str(self.person_id)], selected_fields(info))
        return Person.of(core)


@strawberry.type(description="A household (Kartu Keluarga).")
class Household:
    kk: str | None
    decile: int | None = strawberry.field(description="DTKS welfare decile (1 = poorest).")
    address: str | None
    region: Region | None
    located_in: list[str] = strawberry.field(description="Every village code a source placed the household in.")
    members: list[HouseholdMember]
    programs: list[str] = strawberry.field(description="Programs any member is enrolled in.")

    @classmethod
    def of(cls, row: Row, principal: Principal) -> Household:
        programs: dict[str, set[str]] = {}
        for entry in row["member_programs"] or []:
            programs.setdefault(entry["person_id"], set()).add(entry["program"])
        order = {relation.value: rank for rank, relation in enumerate(Relation)}
        members = sorted(row["members"] or [], key=lambda m: (order.get(m.get("relation") or "", len(order)),
                                                              m.get("birth_date") or "", m["person_id"]))
        h = row["household"]
        return cls(
            kk=mask(h.get("kk"), Personal.NIK, principal), decile=h.get("decile"),
            address=mask(h.get("address"), Personal.ADDRESS, principal),
            region=Region.of(row.get("region"), row.get("region_above")),
            located_in=sorted(row["located_in"] or []),
            members=[HouseholdMember(person_id=strawberry.ID(m["person_id"]), name=m.get("name"),
                                     nik=mask(m.get("nik"), Personal.NIK, principal), sex=m.get("sex"),
                                     birth_date=m.get("birth_date"), relation=relation_of(m.get("relation")),
                                     programs=sorted(programs.get(m["person_id"], set())))
                     for m in members],
            programs=sorted(set().union(*programs.values())) if programs else [])

    def member_ids(self) -> list[str]:
        return [str(m.person_id) for m in self.members]
