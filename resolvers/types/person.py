"""A person's whole history, from at most three batched queries.

1. the person with its region, linked records, enrolments, conditions, stays and household
   keys (``PERSON_CORE_BY_*``, fetched by the root field or the ``person_core_by_id`` loader);
2. service events with handlers, referrals and attendance (``events_by_person``);
3. households with members and their programs (``household_by_kk``).

Everything else (identity, gaps, attendance summaries) is computed from those rows, so the
number of round trips does not grow with the number of programs or events.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json

import strawberry

from graph_schema.port import Row
from hub.privacy.access import Personal
from hub.privacy.disclosure import NOTHING_KNOWN, Known, QuasiView, known_by
from resolvers.context import Info
from resolvers.gaps import Facts, gaps_for, load_rules, met_in_a_year
from resolvers.types.events import EventKind, ServiceEvent, events_of
from resolvers.types.facts import Condition, Enrolment, PantiStay
from resolvers.types.gap import Gap
from resolvers.types.household import Household
from resolvers.types.identity import Identity
from resolvers.types.records import LinkedRecord
from resolvers.types.region import Region

PREFETCH_TURNS = 2


@strawberry.type(description="A merge or split of this person, and what caused it.")
class IdentityChange:
    kind: str
    at: str | None
    run_id: str | None
    detail: str = strawberry.field(description="The change as recorded (JSON).")


@strawberry.type(description="A resolved person: one NIK, one history.")
class Person:
    person_id: strawberry.ID
    record_count: int | None
    core: strawberry.Private[Row]
    # The person's k-anonymous quasi-identifiers, worked out once per request (masked roles only).
    quasi: strawberry.Private[list[QuasiView]] = dataclasses.field(default_factory=list)
    # What the caller knew of the person before it was shown them (a region or year it listed by).
    known: strawberry.Private[Known] = NOTHING_KNOWN

    @classmethod
    def of(cls, core: Row, known: Known = NOTHING_KNOWN) -> Person:
        return cls(person_id=strawberry.ID(core["person"]["person_id"]),
                   record_count=core["person"].get("record_count"), core=core, known=known)

    @strawberry.field(description="Best value of each identity field, and every source's value. Birth date, sex "
                      "and village: for a role that does not see them, a birth band and as coarse as 5 persons share.")
    async def identity(self, info: Info) -> Identity:
        return Identity.of(self.core["person"], self.core["records"] or [], info.context.principal,
                           await self.view(info))

    @strawberry.field(description="The village the person's records place them in, with the regions above (for a "
                      "role that does not see villages: the district or regency, as finely as 5 persons share).")
    async def region(self, info: Info) -> Region | None:
        view = await self.view(info)
        region, above = self.core.get("region"), self.core.get("region_above") or []
        if view is not None and region:
            return Region.at_level(region, above, view.level)
        return Region.of(region, above)

    @strawberry.field(description="The person's household (their best KK), with members and relations.")
    async def household(self, info: Info) -> Household | None:
        households = await self._households(info, self._kks()[:1])
        return households[0] if households else None

    @strawberry.field(description="Every household a source places the person in.")
    async def households(self, info: Info) -> list[Household]:
        return await self._households(info, self._kks())

    @strawberry.field(description="Program enrolments, as each roster states them.")
    def enrolments(self) -> list[Enrolment]:
        rows = sorted(self.core["enrolments"] or [], key=lambda e: (e["program"], e.get("from") or ""))
        return [Enrolment.of(e) for e in rows]

    @strawberry.field(description="PPKS conditions registered for the person.")
    def conditions(self) -> list[Condition]:
        return [Condition.of(c) for c in sorted(self.core["conditions"] or [], key=lambda c: c["code"])]

    @strawberry.field(description="Panti stays, each with a summary of its attendance rows.")
    async def panti_stays(self, info: Info) -> list[PantiStay]:
        stays = self.core["stays"] or []
        if not stays:
            return []
        events = await info.context.loaders.events_by_person.load(str(self.person_id))
        attendance = (events or {}).get("attendance") or []
        return [PantiStay.of(s, attendance) for s in sorted(stays, key=lambda s: s.get("from") or "")]

    @strawberry.field(description="Service events about the person, newest first.")
    async def events(self, info: Info, kinds: list[EventKind] | None = None) -> list[ServiceEvent]:
        return events_of(await info.context.loaders.events_by_person.load(str(self.person_id)), kinds,
                         info.context.principal, await self.view(info))

    @strawberry.field(description="The source rows linked to this person, with link method and probability.")
    async def records(self, info: Info) -> list[LinkedRecord]:
        links = sorted(self.core["records"] or [], key=lambda r: r["record"]["record_id"])
        view = await self.view(info)
        ctx = info.context
        # What each row's mapping declared of its columns (one query per load batch, once per process),
        # for a role that does not see every kind of personal data.
        batches = sorted({str(link["record"].get("batch_id") or "") for link in links})
        masked = not all(map(ctx.principal.sees, Personal))
        declared = {batch: await ctx.disclosure.batch_columns(ctx.store, batch) if masked else None
                    for batch in batches}
        return [LinkedRecord.of(link, ctx.principal, view, declared[str(link["record"].get("batch_id") or "")])
                for link in links]

    @strawberry.field(description="Services the person appears eligible for but does not receive.")
    async def gaps(self, info: Info) -> list[Gap]:
        households, events = await asyncio.gather(self._households(info, self._kks()[:1]),
                                                  info.context.loaders.events_by_person.load(str(self.person_id)))
        household = households[0] if households else None
        facts = Facts(
            sources=frozenset(link["record"]["source"] for link in self.core["records"] or []),
            decile=household.decile if household else None,
            panti_resident=bool(self.core["stays"]),
            conditions=frozenset(c["code"] for c in self.core["conditions"] or []),
            programs=frozenset(e["program"] for e in self.core["enrolments"] or []),
            household_programs=frozenset(household.programs_of_members if household else [])
            | frozenset(e["program"] for e in self.core["enrolments"] or []),
            proposals=frozenset(e.get("summary") or "" for e in (events or {}).get("events") or []
                                if e.get("kind") == "proposal"),
            has_nik=bool(self.core["person"].get("nik")),
            met_in_a_year=met_in_a_year([e.get("date") for e in (events or {}).get("events") or []
                                         if e.get("kind") == "outreach"]))
        return [Gap.of(rule) for rule in gaps_for(facts, load_rules())]

    @strawberry.field(description="Merges and splits of this person, oldest first.")
    def history(self) -> list[IdentityChange]:
        changes = []
        for line in (self.core["person"].get("history") or "").splitlines():
            if line.strip():
                entry = json.loads(line)
                changes.append(IdentityChange(kind=entry.get("kind", ""), at=entry.get("at"),
                                              run_id=entry.get("run_id"), detail=line))
        return changes

    async def prefetch(self, info: Info, selected: list[str]) -> None:
        """Send now the events and household queries that ``selected`` (audit-style names) will need.

        Left to themselves, the loaders would send them only after every synchronous field
        (identity, records, enrolments) had been computed; sent first, the graph answers them
        while that work runs. Same queries, same count: only the waiting overlaps.
        """
        roots = {name.split(".", 1)[0] for name in selected}
        loaders = info.context.loaders
        if roots & {"events", "pantiStays", "gaps"}:
            loaders.events_by_person.load(str(self.person_id))
        kks = self._kks() if "households" in roots else self._kks()[:1] if roots & {"household", "gaps"} else []
        if kks:
            loaders.household_by_kk.load_many(kks)
        # A load schedules its batch; the batch's task starts on the next turn of the loop and
        # sends the query on the one after.
        for _ in range(PREFETCH_TURNS):
            await asyncio.sleep(0)

    def _kks(self) -> list[str]:
        """The person's household keys, their best KK first."""
        best = self.core["person"].get("kk")
        return sorted({h["kk"] for h in self.core["households"] or []}, key=lambda kk: (kk != best, kk))

    async def _households(self, info: Info, kks: list[str]) -> list[Household]:
        rows = await info.context.loaders.household_by_kk.load_many(kks)
        return [await Household.shown(row, info, self.known) for row in rows if row is not None]

    async def view(self, info: Info) -> QuasiView | None:
        """What a masked role may see of the person's birth band, sex and region; None for a role that sees them."""
        if not info.context.principal.quasi_masked:
            return None
        if not self.quasi:
            person = self.core["person"]
            known = self.known.narrowed(known_by(info.context.principal))
            self.quasi.append(await info.context.disclosure.view(info.context.store, person.get("birth_date"),
                                                                 person.get("sex"), person.get("region_code"), known))
        return self.quasi[0]

