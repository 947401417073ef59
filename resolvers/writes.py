"""Writes from stakeholder apps: rows of a known source, loaded and linked as a file load is.

``write_rows`` is the one path (the GraphQL mutation ``writeRecords``, ``registerEncounter`` and
``hub bench live`` call it): the caller's role must list the source (``roles.toml``: ``writes``);
the rows go through the loader's checks and history (``loaders/rows.py``) and the records that
are new or changed are linked at once (``matching/incremental.py``). A row sent again is
unchanged and answers with the same person; a newer version of a row (a complaint's status
moving on) keeps what it was in the record's history. Each row's outcome says what happened.

A key scoped to a region writes rows of its region only, and never reaches a person outside it
through a write: a row whose key names a record that such a person holds is refused, and a row
that would link to such a person (by NIK, score, reference or verdict) is a new person of the
region, the link held as a match candidate for a steward (``matching.incremental``, ``may_join``).
The answer says nothing of the outside person; the audit log records each refused link.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import partial
from pathlib import Path
from typing import Annotated, Any, cast

import strawberry
from strawberry.scalars import JSON

from graph_schema import queries
from graph_schema.port import GraphStore, Row
from hub.errors import ConfigError, InputError, quote
from hub.privacy.access import Forbidden, Permission, Principal
from hub.privacy.audit import Action, AuditLog, Outcome
from loaders.mapping import Mapping as SourceMapping
from loaders.mapping import mapping_for, shipped_sources
from loaders.records import Problem, record_id
from loaders.rows import MAX_ROWS, RegionScope, load_rows, raw_rows
from matching.incremental import link_records
from matching.seen import live_model
from resolvers.audit_fields import selected_fields
from resolvers.context import Info
from resolvers.scope import covers, persons_in_scope, scope_param
from resolvers.types.person import Person
from resolvers.types.records import LinkMethod


@dataclass
class RowOutcome:
    """What became of one row sent."""

    index: int
    status: str  # new, updated, unchanged or rejected
    source_key: str | None = None
    record_id: str | None = None
    problem: Problem | None = None
    warnings: list[Problem] = field(default_factory=list)
    person_id: str | None = None
    method: str | None = None
    probability: float | None = None
    refused: bool = False  # rejected because its region lies outside the caller's (an officer's key)
    held_candidate: str | None = None  # a link to a person outside the key's region, held for a steward

    @property
    def audit_outcome(self) -> Outcome:
        """ok for a row written or unchanged, refused for one outside the key's region, failed for a bad one."""
        return Outcome.REFUSED if self.refused else Outcome.FAILED if self.status == "rejected" else Outcome.OK


def require_writer(principal: Principal, source: str) -> None:
    """Raises ``Forbidden`` unless the caller's role may write ``source``."""
    principal.require(Permission.WRITE_RECORDS)
    if not principal.may_write(source):
        raise Forbidden(f"the {principal.role} role may not write {source} rows; ask an admin for a key with a "
                        "role whose `writes` in roles.toml lists it")


async def write_rows(store: GraphStore, principal: Principal, source: str, rows: Sequence[Mapping[str, Any]],
                     model_path: Path) -> list[RowOutcome]:
    """Load ``rows`` of ``source`` (cells keyed by the export's column names) and link them.

    Raises:
        Forbidden: the caller's role may not write the source.
        InputError: an unknown source, too many rows, or a row that is not an object of cells.
        ModelMissing: no linking model of this hub's version (a new hub, or one just upgraded): linking
            would be a full run, training included, inside the request. No row is stored.
    """
    if source not in shipped_sources():
        raise InputError(f"source: {quote(source)} is not a source the hub knows; sources are "
                         f"{', '.join(shipped_sources())}")
    require_writer(principal, source)
    live_model(model_path)
    mapping = mapping_for(source)
    raw_rows(mapping, rows)  # the rows as a whole are checked before any is set aside
    scope = scope_param(principal)
    out_of_reach = await _held_out_of_reach(store, principal, mapping, rows)
    kept = [i for i in range(len(rows)) if i not in out_of_reach]
    report = await load_rows(store, mapping, [rows[i] for i in kept], f"api:{principal.key_id}",
                             region_scope=None if scope is None else RegionScope(scope, partial(covers, principal)))
    outcomes = [RowOutcome(kept[r.index], r.status, r.key, r.record_id, r.rejected, r.warnings)
                for r in report.results]
    for outcome in outcomes:
        problem = outcome.problem
        outcome.refused = (scope is not None and problem is not None and problem.field == "region"
                           and not covers(principal, problem.value or None))
    outcomes += [RowOutcome(i, "rejected", problem.value, problem=problem, refused=True)
                 for i, problem in out_of_reach.items()]
    outcomes.sort(key=lambda o: o.index)
    may_join = None if scope is None else partial(persons_in_scope, store, principal)
    held: dict[str, str] = {}
    links: dict[str, dict[str, Any]] = {}
    changed = [o.record_id for o in outcomes if o.record_id and o.status in ("new", "updated")]
    if changed:  # the load renewed the data's stamp (cached statistics lapse); linking renews it again
        live = await link_records(store, model_path, changed, may_join=may_join)
        held |= {h.record_id: h.candidate_id for h in live.held}
        links |= {r.record_id: {"person_id": r.person_id, "method": r.method, "probability": r.probability}
                  for r in live.records}
    ids = [o.record_id for o in outcomes if o.record_id]
    links |= await _links(store, [i for i in ids if i not in links])
    # An unchanged row whose record holds no person (a write cut short before it was linked) is linked now.
    unlinked = [i for i in ids if links.get(i, {}).get("person_id") is None]
    if unlinked:
        held |= {h.record_id: h.candidate_id for h in (await link_records(store, model_path, unlinked,
                                                                          may_join=may_join)).held}
        links |= await _links(store, unlinked)
    for outcome in outcomes:
        link = links.get(outcome.record_id or "")
        outcome.held_candidate = held.get(outcome.record_id or "")
        if link and link.get("person_id"):
            outcome.person_id = str(link["person_id"])
            outcome.method = str(link["method"]) if link.get("method") else None
            outcome.probability = float(link["probability"]) if link.get("probability") is not None else None
    return outcomes


async def _held_out_of_reach(store: GraphStore, principal: Principal, mapping: SourceMapping,
                             rows: Sequence[Mapping[str, Any]]) -> dict[int, Problem]:
    """The rows (by index) whose key names a record a scoped key may not change: one a person
    outside its region holds, or (held by nobody) one placed outside it. None without a scope."""
    if scope_param(principal) is None:
        return {}
    wanted: dict[str, list[int]] = {}
    for index, row in enumerate(rows):
        key = str(row.get(mapping.key, "")).strip()
        if key:
            wanted.setdefault(record_id(mapping.source, key), []).append(index)
    found = await _links(store, sorted(wanted))
    reachable = await persons_in_scope(store, principal, [str(r["person_id"]) for r in found.values()
                                                          if r.get("person_id")])
    problems: dict[int, Problem] = {}
    for rid, link in found.items():
        person = link.get("person_id")
        if str(person) in reachable if person else covers(principal, link.get("region_code")):
            continue
        key = rid.split(":", 1)[1]
        for index in wanted[rid]:
            problems[index] = Problem(index + 1, "key", mapping.key, key, f"{key} names a record this key may not "
                                      f"change: it is not of your region {principal.region}; send the row with a "
                                      "key of your own")
    return problems


async def _links(store: GraphStore, ids: list[str]) -> dict[str, dict[str, Any]]:
    if not ids:
        return {}
    return {str(r["record_id"]): r for r in await store.run(queries.RECORDS_BY_IDS, {"ids": ids})}


@strawberry.enum(description="What became of a row: written as a new record, as a newer version of one (its "
                 "previous version kept in the record's history), unchanged, or rejected.")
class WriteStatus(Enum):
    NEW = "new"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REJECTED = "rejected"


@strawberry.type(description="Why a row, or one of its values, could not be taken as it is.")
class RowProblem:
    field: str = strawberry.field(description="The mapping's field (nik, birth_date, key, region, ...).")
    column: str = strawberry.field(description="The export's column that holds it.")
    reason: str

    @classmethod
    def of(cls, problem: Problem) -> RowProblem:
        return cls(field=problem.field, column=problem.column, reason=problem.reason)


@strawberry.type(description="One row sent: what became of it and the person its record is linked to.")
class WrittenRow:
    index: int = strawberry.field(description="The row's position in `rows`, from 0.")
    status: WriteStatus
    source_key: str | None
    record_id: str | None
    problem: RowProblem | None = strawberry.field(description="Why the row was rejected (null when it was not).")
    warnings: list[RowProblem] = strawberry.field(description="Values loaded without (unusable but not fatal).")
    person_id: strawberry.ID | None
    method: LinkMethod | None = strawberry.field(description="How the record is linked to its person.")
    probability: float | None
    person: Person | None = strawberry.field(description="The person, as the caller's role may see them.")

    @classmethod
    def of(cls, outcome: RowOutcome, person: Person | None) -> WrittenRow:
        return cls(index=outcome.index, status=WriteStatus(outcome.status), source_key=outcome.source_key,
                   record_id=outcome.record_id, problem=RowProblem.of(outcome.problem) if outcome.problem else None,
                   warnings=[RowProblem.of(w) for w in outcome.warnings],
                   person_id=strawberry.ID(outcome.person_id) if outcome.person_id else None,
                   method=LinkMethod(outcome.method) if outcome.method else None, probability=outcome.probability,
                   person=person)


@strawberry.type(description="What a write did, row by row; rows = written + unchanged + rejected.")
class WriteResult:
    source: str
    rows: list[WrittenRow]

    @strawberry.field(description="Rows written as new records or newer versions.")
    def written(self) -> int:
        return sum(r.status in (WriteStatus.NEW, WriteStatus.UPDATED) for r in self.rows)

    @strawberry.field
    def unchanged(self) -> int:
        return sum(r.status is WriteStatus.UNCHANGED for r in self.rows)

    @strawberry.field
    def rejected(self) -> int:
        return sum(r.status is WriteStatus.REJECTED for r in self.rows)


async def written_rows(info: Info, operation: str, outcomes: list[RowOutcome], fields: list[str]) -> list[WrittenRow]:
    """The outcomes with their persons (masked for the caller by the Person type), each row audited as a write.

    A person outside the caller's region (which a row inside it cannot link to, but a key's region
    is the last word) is not shown: neither the person nor their id.
    """
    ctx = info.context
    person_ids = sorted({o.person_id for o in outcomes if o.person_id})
    cores = dict(zip(person_ids, await ctx.loaders.person_core_by_id.load_many(person_ids), strict=True))
    for outcome in outcomes:
        if outcome.person_id and person_of(cores.get(outcome.person_id)) is None:
            outcome.person_id = outcome.method = outcome.probability = None
    audit_rows(info, operation, outcomes, fields or ["personId"])
    return [WrittenRow.of(o, person_of(cores.get(o.person_id or ""))) for o in outcomes]


def audit_rows(info: Info, operation: str, outcomes: list[RowOutcome], fields: list[str]) -> None:
    """One write entry per row sent: ok (with the person and the fields sent), refused or failed, and
    a refused entry for each link to a person outside the key's region that the row did not make.

    A rejected row's detail names its index, field and column, never the value or the reason
    (which may quote it): the log must not become a copy of what it protects.
    """
    entries = []
    for o in outcomes:
        outcome = o.audit_outcome
        detail = None
        if o.problem is not None:
            why = "outside the key's region" if o.refused else "rejected"
            detail = f"row {o.index}: {o.problem.field} ({o.problem.column or 'no column'}) {why}"
        entries.append(AuditLog.entry(info.context.principal, operation, [o.person_id] if o.person_id else [],
                                      fields if o.person_id else [], action=Action.WRITE, outcome=outcome,
                                      detail=detail, request_id=info.context.request_id, client=info.context.client))
        if o.held_candidate:
            entries.append(AuditLog.entry(
                info.context.principal, operation, [], [], action=Action.WRITE, outcome=Outcome.REFUSED,
                detail=f"row {o.index}: a link to a person outside the key's region was refused and put before a "
                f"steward ({o.held_candidate})", request_id=info.context.request_id, client=info.context.client))
    info.context.audit_entries(entries)


def person_of(core: Row | None) -> Person | None:
    """The person of a ``person_core_by_id`` row (masked by the Person type's fields), None for a miss."""
    return Person.of(core) if core is not None and core.get("person") is not None else None


RowsArgument = Annotated[list[JSON], strawberry.argument(
    description=f"Rows as the source's export has them: column name -> cell (text or number), at most {MAX_ROWS}.")]


async def write_records(info: Info, source: str, rows: RowsArgument) -> WriteResult:
    """Rows of a known source, checked, stored with their history and linked to persons at once."""
    ctx = info.context
    if ctx.model_path is None:
        raise ConfigError("the API was started without a linking model path")
    outcomes = await write_rows(ctx.store, ctx.principal, source.strip(), cast(list[Mapping[str, Any]], rows),
                                ctx.model_path)
    return WriteResult(source=source.strip(), rows=await written_rows(
        info, "writeRecords", outcomes, selected_fields(info, "rows", "person")))
