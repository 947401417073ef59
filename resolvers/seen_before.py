"""On the street: "have we met this person before?" and registering the encounter.

``seenBefore`` scores what an officer knows against the persons already known
(``matching/seen.py``: blocking keys in the graph, the saved model, the exact scorer) and returns
them ranked, each with its probability and every comparison's level and weight.
``registerEncounter`` writes the encounter as a street-outreach (penjangkauan) row through the
same path as any write (``resolvers/writes.py``), so it is linked by the batch run's encounter
rules: it joins the registered person it fits best, never two registered persons into one. The
answer is that person (with their earlier encounters) or a new one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from functools import partial
from typing import Annotated, Any

import strawberry

from hub.errors import ConfigError, InputError, quote
from hub.privacy.access import Permission
from hub.privacy.audit import Outcome
from loaders.mapping import mapping_for
from loaders.normalise import parse_nik_cell
from matching.seen import SeenPerson, live_model, seen_before
from resolvers.arguments import born_argument, kk_argument, nik_argument, region_argument
from resolvers.audit_fields import selected_fields
from resolvers.context import Info
from resolvers.scope import persons_in_scope, scope_param
from resolvers.types.events import EventKind, ServiceEvent, events_of
from resolvers.types.person import Person
from resolvers.writes import WrittenRow, audit_rows, person_of, write_rows, written_rows

ENCOUNTERS = "penjangkauan"
MAX_FIRST = 50
SEXES = {"L": "L", "P": "P", "LAKI-LAKI": "L", "PEREMPUAN": "P"}
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


@strawberry.type(description="One comparison of the probe with the person's best record: its level and weight.")
class ComparisonWeight:
    comparison: str = strawberry.field(description="name, birth, sex, mother_folded, household_place, nik, ...")
    level: str = strawberry.field(description="The level the pair reached, as the model labels it.")
    weight: float = strawberry.field(description="Bits of evidence (with the name's rarity), negative against.")


@strawberry.type(description="A known person the one asked about may be, with the evidence.")
class SeenBefore:
    person_id: strawberry.ID
    probability: float = strawberry.field(description="That the probe and the person's best record are one person.")
    match_weight: float = strawberry.field(description="The pair's total weight in bits, prior included.")
    record_id: str = strawberry.field(description="The person's record that fits best.")
    source: str
    comparisons: list[ComparisonWeight]
    person: Person | None = strawberry.field(description="The person, as the caller's role may see them.")

    @classmethod
    def of(cls, seen: SeenPerson, person: Person | None) -> SeenBefore:
        return cls(person_id=strawberry.ID(seen.person_id), probability=seen.probability,
                   match_weight=seen.match_weight, record_id=seen.record_id, source=seen.source,
                   comparisons=[ComparisonWeight(comparison=p.comparison, level=p.level, weight=p.weight)
                                for p in seen.parts], person=person)


def _sex(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    code = SEXES.get(value.strip().upper())
    if code is None:
        raise InputError(f"sex: {quote(value)} is not a sex; give L or P (LAKI-LAKI, PEREMPUAN)")
    return code


def _age(value: int | None) -> int | None:
    if value is not None and not 0 <= value <= 120:
        raise InputError(f"age: {value} is not an age; give years, 0 to 120")
    return value


def probe_of(name: str, age: int | None, birth_date: str | None, sex: str | None, region: str | None,
             nik: str | None, kk: str | None, mother_name: str | None, street: bool) -> dict[str, Any]:
    """What the officer knows as a record the linker reads (``extract.COLUMNS``), each argument
    checked with the loader's rules. Raises ``InputError`` naming the argument."""
    if not name.strip():
        raise InputError("name: give the name or alias the person gives")
    born = born_argument(birth_date)
    probe: dict[str, Any] = {"name": name.strip(), "birth_date": born.date,
                             "birth_year": int(born.date[:4]) if born.date else int(born.year) if born.year else None,
                             "age": _age(age), "sex": _sex(sex), "region_code": region_argument(region),
                             "kk": kk_argument(kk) if kk else None,
                             "mother_name": mother_name.strip() if mother_name and mother_name.strip() else None,
                             "encounter": street}
    if nik:
        fields, _ = parse_nik_cell(nik_argument(nik), dt.date.today())
        birth = fields.get("nik_birth_date")
        probe |= {"nik": fields.get("nik"), "nik_sex": fields.get("nik_sex"),
                  "nik_birth_date": birth.isoformat() if isinstance(birth, dt.date) else birth}
    return probe


async def seen_before_field(
        info: Info, name: str,
        alias: Annotated[str | None, strawberry.argument(description="Another name the person goes by.")] = None,
        age: Annotated[int | None, strawberry.argument(description="Age in years, a guess is fine.")] = None,
        birth_date: str | None = None, sex: str | None = None,
        region: Annotated[str | None, strawberry.argument(description="Where they were met or live.")] = None,
        nik: str | None = None, kk: str | None = None, mother_name: str | None = None,
        met_on_street: Annotated[bool, strawberry.argument(
            description="Met on the street: the name may be a call name, the age a guess, the region where "
            "they were met (scored as an outreach encounter is).")] = True,
        first: int = 10) -> list[SeenBefore]:
    """Known persons the one described may be, most likely first."""
    ctx = info.context
    ctx.principal.require(Permission.SEEN_BEFORE)
    if not 1 <= first <= MAX_FIRST:
        raise InputError(f"first: {first}; ask for 1 to {MAX_FIRST}")
    if ctx.model_path is None:
        raise ConfigError("the API was started without a linking model path")
    live = live_model(ctx.model_path)
    # A key with a region weighs only the persons of its region: they are kept before scoring, so
    # its `first` are the best inside it, not what is left of the province's best.
    among = None if scope_param(ctx.principal) is None else partial(persons_in_scope, ctx.store, ctx.principal)
    best: dict[str, SeenPerson] = {}
    for given in [name, *([alias] if alias and alias.strip() else [])]:
        probe = probe_of(given, age, birth_date, sex, region, nik, kk, mother_name, met_on_street)
        for seen in await seen_before(ctx.store, live, probe, first, among=among):
            if seen.person_id not in best or seen.match_weight > best[seen.person_id].match_weight:
                best[seen.person_id] = seen
    ranked = sorted(best.values(), key=lambda s: (-s.match_weight, s.person_id))[:first]
    ids = [s.person_id for s in ranked]
    cores = dict(zip(ids, await ctx.loaders.person_core_by_id.load_many(ids), strict=True))
    ranked = [s for s in ranked if person_of(cores.get(s.person_id)) is not None]
    if not ranked:
        ctx.audit_failed("seenBefore", Outcome.NOT_FOUND, "no known person fits the description")
        return []
    ctx.audit_read("seenBefore", [s.person_id for s in ranked], _sent(info))
    return [SeenBefore.of(s, person_of(cores.get(s.person_id))) for s in ranked]


def _sent(info: Info) -> list[str]:
    """The fields a seenBefore answer sends about each person: the person's, and the evidence's."""
    evidence = [f for f in selected_fields(info) if f.split(".")[0] in ("probability", "matchWeight", "recordId",
                                                                        "source", "comparisons")]
    return sorted(set(selected_fields(info, "person")) | set(evidence)) or ["personId"]


@strawberry.type(description="A street encounter registered: the person it joined (with their earlier "
                 "encounters) or a new person.")
class EncounterResult:
    row: WrittenRow
    joined: bool = strawberry.field(description="True when the encounter joined a person already known "
                                    "(from the registers or earlier encounters); false for a new person.")
    person: Person | None
    earlier_encounters: list[ServiceEvent] = strawberry.field(description="The person's other outreach "
                                                              "encounters, newest first.")


def _encounter_row(cells: dict[str, str | None]) -> dict[str, Any]:
    """The encounter as a penjangkauan export's row, by the mapping's own column names."""
    fields = mapping_for(ENCOUNTERS).fields
    return {fields[name].column: value for name, value in cells.items() if value is not None}


# The mapping's field -> the argument of registerEncounter that fills it, to name it in errors.
_ARGUMENTS = {"met_on": "date", "name": "name", "age": "age", "sex": "sex", "nik": "nik", "category": "category",
              "place": "place", "region": "region", "latitude": "latitude", "longitude": "longitude", "team": "team",
              "key": "encounterId"}


async def register_encounter(
        info: Info, name: str,
        date: Annotated[str, strawberry.argument(description="When they were met: DD-MM-YYYY or YYYY-MM-DD.")],
        team: str, age: int | None = None, sex: str | None = None,
        category: Annotated[str | None, strawberry.argument(
            description="GELANDANGAN, PENGEMIS, PENGAMEN or ANAK JALANAN.")] = None,
        place: str | None = None, region: str | None = None, latitude: float | None = None,
        longitude: float | None = None, nik: str | None = None,
        encounter_id: Annotated[str | None, strawberry.argument(
            description="The team's own id for the encounter; by default one made from its content, so a "
            "retry registers it once.")] = None) -> EncounterResult:
    """Register a street encounter and link it at once."""
    ctx = info.context
    ctx.principal.require(Permission.SEEN_BEFORE)
    if ctx.model_path is None:
        raise ConfigError("the API was started without a linking model path")
    iso = _ISO_DATE.match(date.strip())
    cells: dict[str, str | None] = {
        "met_on": f"{iso[3]}-{iso[2]}-{iso[1]}" if iso else date.strip(), "name": name, "team": team,
        "age": None if age is None else str(age), "sex": sex, "category": category, "place": place,
        "region": region.replace(".", "") if region else None, "nik": nik,
        "latitude": None if latitude is None else repr(latitude),
        "longitude": None if longitude is None else repr(longitude)}
    key = encounter_id.strip() if encounter_id and encounter_id.strip() else "API-" + hashlib.sha256(
        json.dumps(cells, sort_keys=True).encode()).hexdigest()[:12].upper()
    row = _encounter_row(cells) | {mapping_for(ENCOUNTERS).key: key}
    (outcome,) = await write_rows(ctx.store, ctx.principal, ENCOUNTERS, [row], ctx.model_path)
    if outcome.problem is not None:
        audit_rows(info, "registerEncounter", [outcome], [])
        argument = _ARGUMENTS.get(outcome.problem.field, outcome.problem.field)
        raise InputError(f"{argument}: {outcome.problem.reason}")
    fields = selected_fields(info, "person") + (["earlierEncounters"] if "earlierEncounters" in selected_fields(info)
                                                 else [])
    (written,) = await written_rows(info, "registerEncounter", [outcome], fields)
    person = written.person
    earlier: list[ServiceEvent] = []
    joined = False
    if person is not None:
        joined = len(person.core["records"] or []) > 1
        events = await ctx.loaders.events_by_person.load(str(person.person_id))
        earlier = [e for e in events_of(events, [EventKind.OUTREACH], ctx.principal, await person.view(info))
                   if not (e.source == ENCOUNTERS and e.source_key == key)]
    return EncounterResult(row=written, joined=joined, person=person, earlier_encounters=earlier)
