"""Worklists: every gap rule evaluated across a region's whole population, in the graph.

The rule is the one ``gaps.toml`` gives a person's history (``resolvers.gaps``), handed to
graph_schema/targeting_queries.py as parameters: the graph evaluates it for the region's persons
(or households) and returns the facts of those it flags; ``GapRule.reasons`` says why in the
rule's words. The region's codes come from its Region node; persons are sought village by village
through the ``Person.region_code`` index, a page a few villages at a time (more when they flag
few), so the first page does not wait for the whole region.

A region is where the person lives (their home village). An officer's key reads only inside its
region (``resolvers.scope.region_within``); every person a worklist of a region inside the scope
gives lives there, so belongs to the scope.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graph_schema import targeting_queries as tq
from graph_schema.port import GraphStore, Row
from hub.errors import InputError, quote
from hub.privacy.access import Permission, Principal
from hub.privacy.disclosure import Known, level_of, shown_count
from resolvers.audit_fields import selected_fields
from resolvers.context import Info
from resolvers.gaps import Facts, GapRule, Subject, load_rules, rule_by_id
from resolvers.scope import region_within
from resolvers.types.aggregates import CHILD_WIDTH
from resolvers.types.household import Household
from resolvers.types.pagination import PageInfo, decode_cursor, encode_cursor, page_size
from resolvers.types.person import Person
from resolvers.types.worklist import RegionCount, WorklistConnection, WorklistEdge, WorklistItem, WorklistRule

FIRST_VILLAGES = 8  # villages a page's first query reads; each further query of the page reads twice as many


@dataclass(frozen=True)
class RegionCodes:
    """A region and every code below it, in code order (the region's own first)."""

    code: str
    name: str | None
    codes: list[str]

    @property
    def child_width(self) -> int:
        return CHILD_WIDTH[len(self.code)]


@dataclass(frozen=True)
class Flagged:
    """One person (or household) a rule flags: its id and village, and (read from its row where they
    are shown, not for every one an export reads) its facts and the reasons."""

    id: str
    code: str
    row: Row  # what the rule's statement returned for it
    rule: GapRule

    @property
    def facts(self) -> Facts:
        return Facts.of_row(self.row)

    @property
    def reasons(self) -> list[str]:
        """Why the rule flags it, in the rule's words."""
        return self.rule.reasons(self.facts)

    @property
    def members(self) -> list[str]:
        """A household's member person ids ([] for a person)."""
        return sorted(self.row.get("members") or [])


@dataclass(frozen=True)
class SubRegionCount:
    code: str
    name: str | None
    count: int


def rule_named(rule_id: str) -> GapRule:
    """The rule of gaps.toml with this id, as the file is now.

    Raises:
        InputError: no rule has this id (the known ids are named).
    """
    rule = rule_by_id(rule_id)
    if rule is None:
        known = ", ".join(r.id for r in load_rules())
        raise InputError(f"rule: {quote(rule_id)} is not a gap rule of gaps.toml (known: {known})")
    return rule


def worklist_region(principal: Principal, region: str | None) -> str:
    """The dotted region a worklist reads: required, and inside an officer's region.

    Raises:
        InputError: no region (or a malformed one).
        OutsideRegion: the region lies outside the key's region.
    """
    if region is None or not region.strip():
        raise InputError("region: give the region to list (a regency such as 3316 or 33.16, a district, a village, "
                         "or the province 33)")
    return region_within(principal, region)


async def region_codes(store: GraphStore, region: str) -> RegionCodes:
    """The region's code and every code below it (one query, from the Region key).

    Raises:
        InputError: the graph holds no region with this code.
    """
    rows = await store.run(tq.WORKLIST_REGION_CODES, {"region": region})
    if not rows:
        raise InputError(f"region: {quote(region)} holds no one in this hub (no region with this code is loaded)")
    row = rows[0]
    return RegionCodes(code=row["code"], name=row["name"], codes=[row["code"], *sorted(set(row["below"] or []))])


def _statements(rule: GapRule) -> tuple[str, str, str]:
    """The rule's page, count and list statements: those of the condition kinds it names (read each request)."""
    return _built(rule.subject, rule.named_kinds())


@lru_cache(maxsize=64)
def _built(subject: Subject, kinds: frozenset[str]) -> tuple[str, str, str]:
    build = tq.household_worklist if subject is Subject.HOUSEHOLD else tq.person_worklist
    return build(kinds, tq.Shape.PAGE), build(kinds, tq.Shape.COUNT), build(kinds, tq.Shape.ALL)


def _flagged(rule: GapRule, row: Row) -> Flagged:
    return Flagged(id=row["id"], code=row["code"], row=row, rule=rule)


async def counts(store: GraphStore, rule: GapRule, region: RegionCodes) -> list[SubRegionCount]:
    """How many the rule flags in each region one level below ``region`` (those with none left out)."""
    rows = await store.run(_statements(rule)[1], {**rule.as_params(), "codes": region.codes,
                                                  "width": region.child_width})
    names = {r["code"]: r["name"] for r in await store.run(tq.WORKLIST_REGION_NAMES,
                                                              {"codes": [r["area"] for r in rows]})}
    return [SubRegionCount(code=r["area"], name=names.get(r["area"]), count=r["flagged"]) for r in rows]


async def page(store: GraphStore, rule: GapRule, region: RegionCodes, after: tuple[str, str | int] | None,
               size: int) -> tuple[list[tuple[Flagged, tuple[str, str | int]]], bool]:
    """Up to ``size`` flagged after the keyset ``after``, each with its own keyset, and whether more follow.

    A keyset is the village code and then the person id, or for households how many of that
    village were given (a household's key is its KK, which no cursor may carry).
    """
    households = rule.subject is Subject.HOUSEHOLD
    after_code = after[0] if after else None
    start = 0 if after_code is None else next((i for i, c in enumerate(region.codes) if c >= after_code),
                                              len(region.codes))
    skip = int(after[1]) if after and households else 0
    found: list[tuple[Row, tuple[str, str | int]]] = []
    width = FIRST_VILLAGES
    while len(found) <= size and start < len(region.codes):
        chunk = region.codes[start:start + width]
        start, width = start + width, width * 2
        params: dict[str, Any] = {**rule.as_params(), "codes": chunk, "limit": size + 1 - len(found) + skip,
                                  "after_code": after_code, "after_id": None if households or not after else after[1]}
        given: dict[str, int] = {}
        for row in await store.run(statement_for_page(rule), params):
            if households:
                seen = given.get(row["code"], 0)
                given[row["code"]] = seen + 1
                if row["code"] == after_code and seen < skip:
                    continue
                found.append((row, (row["code"], seen + 1)))
            else:
                found.append((row, (row["code"], row["id"])))
        skip = 0
        after_code = None if households else after_code
    return [(_flagged(rule, r), key) for r, key in found[:size]], len(found) > size


def statement_for_page(rule: GapRule) -> str:
    return _statements(rule)[0]


async def every_flagged(store: GraphStore, rule: GapRule, region: RegionCodes) -> list[Flagged]:
    """Everyone the rule flags in the region, in village order (an export)."""
    rows = await store.run(_statements(rule)[2], {**rule.as_params(), "codes": region.codes})
    return [_flagged(rule, r) for r in rows]


def allowed(principal: Principal) -> None:
    principal.require(Permission.WORKLIST)


def shown_counts(found: list[SubRegionCount], principal: Principal) -> list[tuple[SubRegionCount, int | None]]:
    """Each sub-region's count as ``principal`` may see it (``shown_count``: 1 to 4 withheld where it must)."""
    return [(c, shown_count(c.count, principal)) for c in found]


# --- the GraphQL fields ------------------------------------------------------------------------------

def _cursor_kind(rule: GapRule, region: RegionCodes) -> str:
    return f"worklist:{rule.id}:{region.code}"


async def worklist_field(info: Info, rule: str, region: str, first: int = 50,
                         after: str | None = None) -> WorklistConnection:
    """The GraphQL ``worklist``: a page of what ``rule`` flags in ``region``, its counts, and why each is there."""
    ctx = info.context
    ctx.principal.require(Permission.WORKLIST)
    size, the_rule = page_size(first), rule_named(rule)
    codes = await region_codes(ctx.store, worklist_region(ctx.principal, region))
    households = the_rule.subject is Subject.HOUSEHOLD
    key = decode_cursor(_cursor_kind(the_rule, codes), after, (str, int if households else str))
    counted, (flagged, more) = await asyncio.gather(
        counts(ctx.store, the_rule, codes),
        page(ctx.store, the_rule, codes, (str(key[0]), key[1] if isinstance(key[1], str) else int(key[1] or 0))
             if key else None, size))
    shown: list[tuple[Flagged, tuple[str, str | int], Person | None, Household | None]]
    known = Known(level_of(codes.code))  # everyone listed lives in the region asked for
    if households:
        rows = await ctx.loaders.household_by_kk.load_many([f.id for f, _ in flagged])
        shown = [(f, k, None, await Household.shown(row, info, known)) for (f, k), row in zip(flagged, rows, strict=True)
                 if row is not None]
    else:
        cores = await ctx.loaders.person_core_by_id.load_many([f.id for f, _ in flagged])
        shown = [(f, k, Person.of(core, known), None) for (f, k), core in zip(flagged, cores, strict=True)
                 if core is not None]
    edges = [WorklistEdge(cursor=encode_cursor(_cursor_kind(the_rule, codes), k),
                          node=WorklistItem(person=person, household=household, reasons=f.reasons))
             for f, k, person, household in shown]
    read = [str(e.node.person.person_id) for e in edges if e.node.person] + \
        [m for e in edges if e.node.household for m in e.node.household.member_ids()]
    ctx.audit_read("worklist", read, [f for f in selected_fields(info, "edges", "node")
                                      if not f.startswith("household.members.")])
    return WorklistConnection(
        rule=WorklistRule.of(the_rule), region=codes.code, total_count=sum(c.count for c in counted),
        counts_by_sub_region=[RegionCount(code=c.code, name=c.name, count=n) for c, n in
                              shown_counts(counted, ctx.principal)],
        edges=edges, page_info=PageInfo(has_next_page=more, end_cursor=edges[-1].cursor if edges else None))


def worklist_rules_field(info: Info) -> list[WorklistRule]:
    """The GraphQL ``worklistRules``: every rule of gaps.toml as the file is now."""
    info.context.principal.require(Permission.WORKLIST)
    return [WorklistRule.of(rule) for rule in load_rules()]
