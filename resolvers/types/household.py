"""A household (KK) with its members, their relations and the programs that reach them."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from graph_schema.port import Row
from hub.privacy.access import Forbidden, Permission, Personal, Principal, mask, role_specs
from hub.privacy.disclosure import NOTHING_KNOWN, PROVINCE, VILLAGE, Known, QuasiView, known_by, region_at, shown_beside
from resolvers.audit_fields import selected_fields
from resolvers.context import Info
from resolvers.scope import scope_param
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

    @strawberry.field(description="The member's own history (one more batched query for all members asked). Only "
                      "for roles that read households: an app asks for a relative with person(personId:).")
    async def person(self, info: Info) -> Annotated[Person, strawberry.lazy("resolvers.types.person")] | None:
        from resolvers.types.person import Person

        if not reads_households(info.context.principal):
            raise Forbidden(f"household.members.person: the {info.context.principal.role} role may not read a "
                            "relative's history through a household; ask for it with person(personId:), which is "
                            "audited on its own")
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
    # The members the caller may see (those of the key's region), as it may see them; the programs
    # of all of them (what gaps reason with, never sent as such to a role that does not read households).
    listed: strawberry.Private[list[HouseholdMember]]
    programs_of_members: strawberry.Private[list[str]]

    @strawberry.field(description="The members (of the key's region, for a key scoped to one). A role that does not "
                      "read households (app) gets each relative's name, relation and person id only.")
    def members(self, info: Info) -> list[HouseholdMember]:
        ctx = info.context
        fields = selected_fields(info)
        if not reads_households(ctx.principal):
            fields = [f for f in fields if f in RELATIVE_FIELDS]
        ctx.audit_read("household.members", self.member_ids(), fields)
        return self.listed

    @strawberry.field(description="Programs any member shown is enrolled in (none for a role that does not read "
                      "households: a relative's programs are theirs).")
    def programs(self, info: Info) -> list[str]:
        if not reads_households(info.context.principal):
            return []
        return sorted({p for m in self.listed for p in m.programs})

    @classmethod
    async def shown(cls, row: Row, info: Info, known: Known = NOTHING_KNOWN) -> Household:
        """The household as the caller may see it. For a role that does not see birth dates, sex and
        villages: each member's birth band and sex as coarse as 5 persons of the household's region
        share, and the region (and the villages a source placed it in) no finer than every member allows;
        judged on what the caller knew of the members before (``known``: the region it listed by)."""
        ctx = info.context
        if scope_param(ctx.principal) is not None:  # only the members of the key's region, and their programs
            members = row["members"] or []
            inside = await ctx.loaders.person_in_scope.load_many([m["person_id"] for m in members])
            kept = {m["person_id"] for m, found in zip(members, inside, strict=True) if found is not None}
            row = {**row, "members": [m for m in members if m["person_id"] in kept],
                   "member_programs": [e for e in row["member_programs"] or [] if e["person_id"] in kept]}
        if not ctx.principal.quasi_masked:
            return cls.of(row, ctx.principal)
        village = row["household"].get("region_code")
        known = known.narrowed(known_by(ctx.principal))
        views = {m["person_id"]: await ctx.disclosure.view(ctx.store, m.get("birth_date"), m.get("sex"), village, known)
                 for m in row["members"] or []}
        level = min([await ctx.disclosure.place_level(ctx.store, village), *(v.level for v in views.values())])
        return cls.of(row, ctx.principal, views, level)

    @classmethod
    def of(cls, row: Row, principal: Principal, views: dict[str, QuasiView] | None = None,
           level: int | None = None) -> Household:
        """``views`` (by person id) and ``level``: see ``shown``; without them a masked role sees none of
        the members' birth dates and sex, nor the region."""
        programs: dict[str, set[str]] = {}
        for entry in row["member_programs"] or []:
            programs.setdefault(entry["person_id"], set()).add(entry["program"])
        order = {relation.value: rank for rank, relation in enumerate(Relation)}
        members = sorted(row["members"] or [], key=lambda m: (order.get(m.get("relation") or "", len(order)),
                                                              m.get("birth_date") or "", m["person_id"]))
        h = row["household"]
        if principal.quasi_masked:
            views = views or {}
            hidden = QuasiView(birth=None, sex=None, level=PROVINCE, shared_by=0)
            shown = {m["person_id"]: views.get(m["person_id"], hidden) for m in members}
            level = PROVINCE if level is None else level
            region = Region.at_level(row["region"], row.get("region_above") or [], level) if row.get("region") else None
            place = region_at(h.get("region_code"), level)
            located_in = sorted({code for code in (shown_beside(c, level, place) for c in row["located_in"] or [])
                                 if code})
        else:
            shown = {m["person_id"]: QuasiView(birth=m.get("birth_date"), sex=m.get("sex"), level=VILLAGE, shared_by=0)
                     for m in members}
            region = Region.of(row.get("region"), row.get("region_above"))
            located_in = sorted(row["located_in"] or [])
        return cls(
            kk=mask(h.get("kk"), Personal.KK, principal), decile=h.get("decile"),
            address=mask(h.get("address"), Personal.ADDRESS, principal), region=region, located_in=located_in,
            listed=[relative(HouseholdMember(
                person_id=strawberry.ID(m["person_id"]), name=mask(m.get("name"), Personal.NAME, principal),
                nik=mask(m.get("nik"), Personal.NIK, principal), sex=shown[m["person_id"]].sex,
                birth_date=shown[m["person_id"]].birth, relation=relation_of(m.get("relation")),
                programs=sorted(programs.get(m["person_id"], set()))), principal) for m in members],
            programs_of_members=sorted(set().union(*programs.values())) if programs else [])

    def member_ids(self) -> list[str]:
        return [str(m.person_id) for m in self.listed]


# What a role that does not read households (an app: one person's history) is shown of each relative.
RELATIVE_FIELDS = frozenset({"personId", "name", "relation"})


def reads_households(principal: Principal) -> bool:
    return Permission.HOUSEHOLD in role_specs()[principal.role].may


def relative(member: HouseholdMember, principal: Principal) -> HouseholdMember:
    """``member`` as ``principal`` may see a relative: whole, or only name, relation and person id."""
    if reads_households(principal):
        return member
    return HouseholdMember(person_id=member.person_id, name=member.name, nik=None, sex=None, birth_date=None,
                           relation=member.relation, programs=[])
