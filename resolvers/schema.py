"""The GraphQL schema: root fields for apps, analysts and stewards, and the request guards.

Every root field checks the caller's role first and starts the audit write of what it reads;
``AuditBarrier`` holds the response until those writes are done, and a failed write fails the
request.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial

import strawberry
from strawberry.extensions import MaxTokensLimiter, ParserCache, SchemaExtension

from graph_schema import api_queries
from hub.errors import InputError, prefix, quote
from hub.privacy.access import Permission, Personal
from hub.privacy.audit import Outcome
from hub.privacy.disclosure import K, Known, level_of, singles_out
from matching.judgement import Judgement
from matching.search_names import name_query
from matching.steward import apply_judgement
from resolvers.arguments import Born, born_argument, kk_argument, nik_argument, region_argument
from resolvers.audit_barrier import AuditBarrier
from resolvers.audit_fields import selected_fields
from resolvers.caller_errors import CallerErrors
from resolvers.context import Context, Info
from resolvers.redirects import PersonRedirect, follow
from resolvers.scope import not_in_region, persons_in_scope, region_within, scope_param, scoped
from resolvers.seen_before import EncounterResult, SeenBefore, register_encounter, seen_before_field
from resolvers.statistics import statistic_field
from resolvers.steward_actions import (
    UNDO_DESCRIPTION,
    OwnVerdict,
    join_persons_field,
    match_candidate_field,
    my_verdicts_field,
    split_person_field,
    undo_verdict_field,
)
from resolvers.types.aggregates import ProgramOverlap, RegionCoverage, coverage, overlap, region_prefix
from resolvers.types.candidates import (
    CandidateStatus,
    Decision,
    JudgeResult,
    MatchCandidate,
    MatchCandidateConnection,
    MatchCandidateEdge,
)
from resolvers.types.conflicts import ConflictingPerson, ConflictingPersonConnection, ConflictingPersonEdge
from resolvers.types.household import Household
from resolvers.types.network import Network, walk
from resolvers.types.pagination import PageInfo, decode_cursor, encode_cursor, page_size
from resolvers.types.person import Person
from resolvers.types.statistics import Statistic
from resolvers.types.worklist import WorklistConnection, WorklistRule
from resolvers.validation import Brakes, LimitRules, ValidateWithLimits
from resolvers.worklists import worklist_field, worklist_rules_field
from resolvers.writes import WriteResult, write_records

log = logging.getLogger("hub.api")

MAX_DEPTH = 12
MAX_ALIASES = 15
MAX_TOKENS = 2000


@strawberry.type
class PersonEdge:
    cursor: str
    score: float
    node: Person


@strawberry.type
class PersonConnection:
    edges: list[PersonEdge]
    page_info: PageInfo
    withheld: str | None = strawberry.field(default=None, description="Why no persons are given although some "
                                            "may match: filters that fewer than 5 persons match would single them "
                                            "out to a role that does not see who they are.")


async def _any_in_scope(ctx: Context, person_ids: list[str]) -> bool:
    """Whether any of the persons belongs to the key's region (always true without a scope)."""
    if scope_param(ctx.principal) is None:
        return True
    return any(row is not None for row in await ctx.loaders.person_in_scope.load_many(person_ids))


async def _missed_person(ctx: Context, by: str, asked: str) -> None:
    """Audit a ``person`` lookup that found no one; a scoped key is refused alike for a miss and an outsider.

    The caller is not told which it was (that would confirm the person exists); the log is,
    naming the person asked for.

    Raises:
        OutsideRegion: the key is scoped to a region.
    """
    if scope_param(ctx.principal) is None:
        ctx.audit_failed("person", Outcome.NOT_FOUND, f"no person with this {by}")
        return
    query = api_queries.PERSON_CORE_BY_NIKS if by == "nik" else api_queries.PERSON_CORE_BY_IDS
    outside = [row["person"]["person_id"] for row in await ctx.store.run(query, {"keys": [asked]})]
    if outside:
        ctx.audit_failed("person", Outcome.REFUSED, f"the person with this {by} is outside the key's region", outside)
    else:
        ctx.audit_failed("person", Outcome.NOT_FOUND, f"no person with this {by}")
    raise not_in_region(ctx.principal, f"person: no person with this {'NIK' if by == 'nik' else 'person id'}")


@strawberry.type
class Query:
    seen_before: list[SeenBefore] = strawberry.field(resolver=seen_before_field, description=(
        "Have we met this person before? Known persons the one described may be, most likely first, each with "
        "the probability and every comparison's level and weight (the saved linking model)."))
    match_candidate: MatchCandidate | None = strawberry.field(resolver=match_candidate_field, description=(
        "One candidate of the review queue, with both records, the fields they state differently and the waterfall "
        "of its score."))
    my_verdicts: list[OwnVerdict] = strawberry.field(resolver=my_verdicts_field, description=(
        "Your own verdicts of today that you may still undo (the last ten), newest first."))
    worklist: WorklistConnection = strawberry.field(resolver=worklist_field, description=(
        "The persons (or households) of a region that a gap rule (gaps.toml) flags, in village order, with the "
        "count per sub-region and why each is on the list. region: a regency (3316 or 33.16), a district, a "
        "village or the province; a key scoped to a region lists only inside it."))
    worklist_rules: list[WorklistRule] = strawberry.field(resolver=worklist_rules_field, description=(
        "The gap rules a worklist can evaluate, as gaps.toml says them now."))

    @strawberry.field(description="One person's whole history, by NIK or by person id. A person id that a merge "
                      "retired gives the person it became (see personRedirect).")
    async def person(self, info: Info, nik: str | None = None, person_id: strawberry.ID | None = None) -> Person | None:
        ctx = info.context
        ctx.principal.require(Permission.READ_PERSON)
        if (nik is None) == (person_id is None):
            raise InputError("person: give exactly one of nik or personId")
        if nik is not None:
            ctx.principal.require_sight(Personal.NIK, "person(nik:)", "person(personId:)")
            asked = nik_argument(nik)
            core = await ctx.loaders.person_core_by_nik.load(asked)
        else:
            asked = str(person_id)
            core = await ctx.loaders.person_core_by_id.load(asked)
            if core is None:
                redirect = await follow(ctx.store, asked)
                if redirect is not None and len(redirect.current_ids) == 1:
                    core = await ctx.loaders.person_core_by_id.load(str(redirect.current_ids[0]))
        if core is None or core.get("person") is None:
            await _missed_person(ctx, "nik" if nik is not None else "personId", asked)
            return None
        ctx.loaders.person_core_by_id.prime(core["person"]["person_id"], core)
        fields = selected_fields(info)
        ctx.audit_read("person", [core["person"]["person_id"]], fields)
        person = Person.of(core)
        await person.prefetch(info, fields)
        return person

    @strawberry.field(description="Where a person id that is no longer in use went: the person a merge joined it "
                      "into, or the persons a split divided it into (null for an id in use or never given).")
    async def person_redirect(self, info: Info, person_id: strawberry.ID) -> PersonRedirect | None:
        ctx = info.context
        ctx.principal.require(Permission.READ_PERSON)
        redirect = await follow(ctx.store, str(person_id))
        if redirect is None or scope_param(ctx.principal) is None:
            return redirect
        # A scoped key learns only where an id went inside its region; none there reads as never retired.
        inside = await ctx.loaders.person_in_scope.load_many([str(i) for i in redirect.current_ids])
        redirect.current_ids = [i for i, row in zip(redirect.current_ids, inside, strict=True) if row is not None]
        return redirect if redirect.current_ids else None

    @strawberry.field(description="Persons by name (fuzzy), birth date and region; best matches first.")
    async def search_persons(self, info: Info, name: str | None = None, birth_date: str | None = None,
                             region: str | None = None, first: int = 20, after: str | None = None) -> PersonConnection:
        ctx = info.context
        ctx.principal.require(Permission.SEARCH)
        size, key = page_size(first), decode_cursor("persons", after, (int, float, str))
        born = born_argument(birth_date)
        if ctx.principal.quasi_masked:  # a role that sees a birth band, not a date, filters by the year at most
            born = Born(year=born.date[:4]) if born.date else born
        asked = region_argument(region)
        params = {"birth_date": born.date, "birth_year": born.year, "region": asked, "after": key,
                  "limit": size + 1, "scope": scope_param(ctx.principal)}
        if name and name.strip():
            ctx.principal.require_sight(Personal.NAME, "searchPersons(name:)", "birthDate and region")
            searched = name_query(name)
            query = ctx.store.dialect.fulltext_query(searched.searchable) if searched else ""
            if searched is None or not query:
                raise InputError(f"name: {quote(name)} has no name to search once titles and initials are set "
                                 "aside; give at least one name of two letters or more")
            rows = await ctx.store.run(scoped(ctx.principal, api_queries.PERSON_SEARCH_BY_NAME,
                                              api_queries.PERSON_SEARCH_BY_NAME_IN_SCOPE),
                                       {**params, "query": query, "words": searched.as_params()})
        elif born.date or born.year or params["region"]:
            statement = scoped(ctx.principal, api_queries.PERSON_SEARCH_BY_FILTERS,
                               api_queries.PERSON_SEARCH_BY_FILTERS_IN_SCOPE)
            if ctx.principal.quasi_masked and await singles_out(ctx.store, params, statement):
                ctx.audit_read("searchPersons", [], selected_fields(info, "edges", "node"))
                return PersonConnection(edges=[], page_info=PageInfo(has_next_page=False, end_cursor=None),
                                        withheld=f"fewer than {K} persons match these filters; the {ctx.principal.role} "
                                        "role is given no persons for them (widen the region or give a year alone)")
            rows = await ctx.store.run(statement, params)
        else:
            raise InputError("searchPersons: give a name, a birth date or a region")
        page = rows[:size]
        cores = await ctx.loaders.person_core_by_id.load_many([r["person"]["person_id"] for r in page])
        # Everyone found lives in the region asked for and, with a year, was born in it: the caller knows that.
        known = Known(level_of(asked), 1 if born.year or born.date else None)
        edges = [PersonEdge(cursor=encode_cursor("persons", (r["fit"], float(r["score"]), core["person"]["person_id"])),
                            score=float(r["score"]), node=Person.of(core, known))
                 for r, core in zip(page, cores, strict=True) if core is not None]
        ctx.audit_read("searchPersons", [str(e.node.person_id) for e in edges], selected_fields(info, "edges", "node"))
        return PersonConnection(edges=edges, page_info=PageInfo(has_next_page=len(rows) > size,
                                                                 end_cursor=edges[-1].cursor if edges else None))

    @strawberry.field(description="A household by KK number, with its members.")
    async def household(self, info: Info, kk: str) -> Household | None:
        ctx = info.context
        ctx.principal.require(Permission.HOUSEHOLD)
        ctx.principal.require_sight(Personal.KK, "household(kk:)", "householdNetwork(personId:)")
        row = await ctx.loaders.household_by_kk.load(kk_argument(kk))
        if row is None or not await _any_in_scope(ctx, [m["person_id"] for m in row["members"] or []]):
            ctx.audit_failed("household", Outcome.REFUSED if row else Outcome.NOT_FOUND,
                             "no household with this KK" + (" in the key's region" if row else ""),
                             [m["person_id"] for m in row["members"] or []] if row else [])
            if scope_param(ctx.principal) is not None:
                raise not_in_region(ctx.principal, "household: no household with this KK")
            return None
        household = await Household.shown(row, info)
        # The household's own fields (KK, address, ...) are about its members; the members' own are
        # audited where they are sent (Household.members).
        ctx.audit_read("household", household.member_ids(),
                       [f for f in selected_fields(info) if not f.startswith("members.")])
        return household

    @strawberry.field(description="Persons and households linked through shared households, up to depth hops.")
    async def household_network(self, info: Info, person_id: strawberry.ID | None = None, kk: str | None = None,
                                depth: int = 2, with_programs: bool = False) -> Network:
        ctx = info.context
        ctx.principal.require(Permission.HOUSEHOLD)
        network = await walk(ctx.store, ctx.loaders, ctx.principal, str(person_id) if person_id else None,
                             kk_argument(kk) if kk else None, depth, with_programs, ctx.disclosure)
        if not network.nodes:
            ctx.audit_failed("householdNetwork", Outcome.NOT_FOUND, "no such start " + ("person" if person_id else "KK"))
            if scope_param(ctx.principal) is not None:
                raise not_in_region(ctx.principal, "householdNetwork: no such " + ("person" if person_id else "KK"))
        ctx.audit_read("householdNetwork", network.person_ids(), selected_fields(info, "nodes"))
        return network

    @strawberry.field(description="How many persons of each sub-region a program reaches (counts only): per regency "
                      "without a region, else per region one level below it, or at `level` (1-4).")
    async def program_coverage(self, info: Info, program: str, region: str | None = None,
                               level: int | None = None) -> list[RegionCoverage]:
        ctx = info.context
        ctx.principal.require(Permission.AGGREGATES)
        return await coverage(ctx.store, ctx.principal, program, region_within(ctx.principal, region), level,
                              ctx.stats_cache)

    @strawberry.field(description="How the persons of a region overlap across programs (counts only).")
    async def program_overlap(self, info: Info, programs: list[str], region: str | None = None) -> ProgramOverlap:
        ctx = info.context
        ctx.principal.require(Permission.AGGREGATES)
        return await overlap(ctx.store, ctx.principal, programs, region_within(ctx.principal, region),
                             ctx.stats_cache)

    statistic: Statistic = strawberry.field(resolver=statistic_field, description=(
        "Counts per region beyond programs (PPKS, PSKS, SLRT complaints and referrals, outreach, KIS-PBI APBD "
        "proposals, panti): per regency without a region, else one level below it, or at `level` (1-4); per month "
        "with month: true where the kind is dated. Counts only; cached until the data changes."))

    @strawberry.field(description="Persons whose linked records disagree on who they are (two valid NIKs, both "
                      "sexes, birth dates more than two years apart), those most likely two people first.")
    async def conflicting_persons(self, info: Info, region: str | None = None, first: int = 20,
                                  after: str | None = None) -> ConflictingPersonConnection:
        ctx = info.context
        ctx.principal.require(Permission.REVIEW)
        size, key = page_size(first), decode_cursor("conflicts", after, (int, int, str))
        rows = await ctx.store.run(scoped(ctx.principal, api_queries.CONFLICTING_PERSONS_PAGE,
                                          api_queries.CONFLICTING_PERSONS_PAGE_IN_SCOPE), {
            "region": region_prefix(region) or None, "after": key, "limit": size + 1,
            "scope": scope_param(ctx.principal)})
        edges = [ConflictingPersonEdge(cursor=encode_cursor("conflicts", (r["rank"], r["record_count"], r["person_id"])),
                                       node=ConflictingPerson.of(r)) for r in rows[:size]]
        ctx.audit_read("conflictingPersons", [str(e.node.person_id) for e in edges],
                       selected_fields(info, "edges", "node"))
        return ConflictingPersonConnection(edges=edges, page_info=PageInfo(
            has_next_page=len(rows) > size, end_cursor=edges[-1].cursor if edges else None))

    @strawberry.field(description="The review queue: uncertain pairs, most consequential first.")
    async def match_candidates(self, info: Info, status: CandidateStatus | None = CandidateStatus.OPEN,
                               region: str | None = None, first: int = 20,
                               after: str | None = None) -> MatchCandidateConnection:
        ctx = info.context
        ctx.principal.require(Permission.REVIEW)
        size, key = page_size(first), decode_cursor("candidates", after, (float, str))
        rows = await ctx.store.run(scoped(ctx.principal, api_queries.MATCH_CANDIDATES_PAGE,
                                          api_queries.MATCH_CANDIDATES_PAGE_IN_SCOPE), {
            "status": status.value if status else None, "region": region_prefix(region) or None,
            "after": key, "limit": size + 1, "scope": scope_param(ctx.principal)})
        nodes = [MatchCandidate.of(r, ctx.principal) for r in rows[:size]]
        ctx.audit_read("matchCandidates", sorted({p for n in nodes for p in n.person_ids()}),
                       selected_fields(info, "edges", "node"))
        edges = [MatchCandidateEdge(cursor=encode_cursor("candidates", (r["candidate"]["priority"],
                                                                         r["candidate"]["candidate_id"])), node=n)
                 for r, n in zip(rows, nodes, strict=False)]
        return MatchCandidateConnection(edges=edges, page_info=PageInfo(
            has_next_page=len(rows) > size, end_cursor=edges[-1].cursor if edges else None))


@strawberry.type
class Mutation:
    write_records: WriteResult = strawberry.mutation(resolver=write_records, description=(
        "Rows of a known source, as its export has them, checked, stored with their history and linked to "
        "persons at once, as a file load is; per row: new, updated, unchanged or rejected, and its person."))
    register_encounter: EncounterResult = strawberry.mutation(resolver=register_encounter, description=(
        "A street encounter (outreach), stored and linked: the person it joined, with their earlier "
        "encounters, or a new person."))
    split_person: JudgeResult = strawberry.mutation(resolver=split_person_field, description=(
        "Move records out of a person the linker merged wrongly into a person of their own (a DIFFERENT verdict "
        "on records: both parts get new ids, the old id points at both; every later run keeps them apart)."))
    join_persons: JudgeResult = strawberry.mutation(resolver=join_persons_field, description=(
        "Join two persons into one (a SAME verdict on every record of both): the absorbed id points at the person "
        "it became; every later run keeps them together."))
    undo_verdict: JudgeResult = strawberry.mutation(resolver=undo_verdict_field, description=UNDO_DESCRIPTION)

    @strawberry.mutation(description="A steward's verdict on a candidate, applied to the graph at once.")
    async def judge_match(self, info: Info, candidate_id: strawberry.ID, decision: Decision,
                          reason: str) -> JudgeResult:
        ctx = info.context
        ctx.principal.require(Permission.JUDGE)
        if not reason.strip():
            raise InputError("judgeMatch: reason must say why (it is kept with the verdict)")
        if scope_param(ctx.principal) is not None:  # both sides' persons must belong to the key's region
            sides = {r["person_id"] for r in await ctx.store.run(api_queries.CANDIDATE_PERSON_RECORDS,
                                                                 {"candidate_id": str(candidate_id)})}
            if not sides or await persons_in_scope(ctx.store, ctx.principal, sides) != sides:
                ctx.audit_failed("judgeMatch", Outcome.REFUSED if sides else Outcome.NOT_FOUND,
                                 f"match candidate {prefix(candidate_id)} outside the key's region or unknown",
                                 sorted(sides))
                raise not_in_region(ctx.principal, f"judgeMatch: no match candidate {prefix(candidate_id)}")
        by = f"{ctx.principal.name} (key {ctx.principal.key_id})"
        verdict = await apply_judgement(ctx.store, str(candidate_id), Judgement(decision.value), by, reason.strip())
        if not verdict.found:
            return JudgeResult(ok=False, message=f"no match candidate {prefix(candidate_id)}", candidate_id=candidate_id,
                               decision=decision, persons_before=[], persons_after=[], records_moved=0)
        ctx.audit_read("judgeMatch", list(verdict.persons_before), ["judgement"])
        changed = verdict.persons_before != verdict.persons_after
        message = {Judgement.SAME: "joined into one person" if changed else "already one person",
                   Judgement.DIFFERENT: "parted into two persons" if changed else "kept apart",
                   Judgement.UNSURE: "recorded; the scores decide"}[verdict.decision]
        return JudgeResult(ok=True, message=message, candidate_id=candidate_id, decision=decision,
                           persons_before=[strawberry.ID(p) for p in verdict.persons_before],
                           persons_after=[strawberry.ID(p) for p in verdict.persons_after],
                           records_moved=verdict.records_moved)


def build_schema(development: bool, brakes: Brakes | None = None) -> strawberry.Schema:
    # Factories, not instances: strawberry builds each extension anew for every operation.
    limits = LimitRules(MAX_DEPTH, MAX_ALIASES, introspection=development, brakes=brakes)
    extensions: list[Callable[[], SchemaExtension]] = [
        partial(MaxTokensLimiter, max_token_count=MAX_TOKENS), partial(ParserCache, maxsize=256),
        partial(ValidateWithLimits, limits), AuditBarrier]
    extensions.append(partial(CallerErrors, mask=not development))
    return strawberry.Schema(query=Query, mutation=Mutation, extensions=extensions)


SCHEMA = build_schema(development=True)  # the committed schema.graphql is printed from this
