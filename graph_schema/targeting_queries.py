"""Worklists: the persons or households of a region that a gap rule (resolvers/gaps.toml) flags.

A rule is data, not Cypher: the statements take it as parameters (``$when``: a map of every
condition kind, null where the rule does not name it; ``$when_any``: a list of such maps;
``$unless``: the same map, holding when any condition it names holds), so an office's edit of
the rules file is the next request's query without a code change. The facts a rule can see are
those resolvers/gaps.py ``Facts`` lists, gathered here from the graph as the person's history
gathers them (their best household: the one of their own KK, else the lowest KK).

A statement gathers only the facts its rule names: ``person_worklist`` and ``household_worklist``
join fixed fragments, one per fact, chosen by the condition kinds the rule names (the rule's
values stay parameters), cheap and selective facts first, each followed by the tests of the rule
that it settles, so most persons drop out before the costlier facts are read. Facts are gathered
with ``OPTIONAL MATCH`` and ``collect`` (FalkorDB runs a pattern comprehension per row several
times slower); a fact the rule does not name is not returned (``Facts.of_row`` takes it as empty). The module's
``WORKLIST_*`` constants are the statements of a rule that names every kind (what the contract
tests and the Neo4j lint walk: every fragment is in them).

Every statement starts from an index: ``$codes`` are the region's own code and every code below
it (``WORKLIST_REGION_CODES``, from the Region key), and persons are sought by
``Person.region_code`` (a lookup index since schema 7), households through their village's
``LOCATED_IN``. Pages take a few villages at a time (``$codes`` a slice, in code order), so a
first page reads the first villages, not the whole region.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from graph_schema.model import Label, RelType

# The codes of a region and of every region below it, in code order (the region itself first).
WORKLIST_REGION_CODES = (
    f"MATCH (r:{Label.REGION} {{code: $region}}) "
    f"OPTIONAL MATCH (r)<-[:{RelType.PART_OF}*1..3]-(d:{Label.REGION}) "
    "WITH r, collect(d.code) AS below RETURN r.code AS code, r.name AS name, below"
)
# Names of regions by code (the sub-regions a count is given for).
WORKLIST_REGION_NAMES = (
    f"UNWIND $codes AS code MATCH (r:{Label.REGION} {{code: code}}) RETURN r.code AS code, r.name AS name"
)


class Shape(StrEnum):
    """What a worklist statement returns: a keyset page, counts per sub-region, or every one flagged."""

    PAGE = "page"
    COUNT = "count"
    ALL = "all"


# Each condition kind of a rule: the fact it reads, and its test on a condition map ``{c}``.
_CONDITION_TESTS: dict[str, tuple[str, str]] = {
    "has_nik": ("has_nik", "has_nik = {c}.has_nik"),
    "decile_at_most": ("decile", "(decile IS NOT NULL AND decile <= {c}.decile_at_most)"),
    "programs": ("programs", "any(x IN programs WHERE x IN {c}.programs)"),
    "in_sources": ("sources", "any(x IN sources WHERE x IN {c}.in_sources)"),
    "conditions": ("conditions", "any(x IN conditions WHERE x IN {c}.conditions)"),
    "panti_resident": ("panti_resident", "panti_resident = {c}.panti_resident"),
    "proposals": ("proposals", "any(x IN proposals WHERE x IN {c}.proposals)"),
    "met_in_a_year_at_least": ("met_in_a_year", "met_in_a_year >= {c}.met_in_a_year_at_least"),
    "household_programs": ("household_programs", "any(x IN household_programs WHERE x IN {c}.household_programs)"),
}
# The facts a statement can return, in the order it returns them (a fact its rule does not name is left out).
_FACT_COLUMNS = ("sources", "decile", "panti_resident", "conditions", "programs", "household_programs", "proposals",
                 "has_nik", "met_in_a_year")


def _holds(c: str, kinds: Iterable[str]) -> list[str]:
    """Each of ``kinds`` on the map ``c`` as a test that is true where ``c`` does not name it."""
    return [f"({c}.{k} IS NULL OR {_CONDITION_TESTS[k][1].format(c=c)})" for k in kinds]


def _named(c: str, kinds: Iterable[str]) -> list[str]:
    """Each of ``kinds`` on ``c`` as a test true only where ``c`` names it and it holds (for ``unless``)."""
    return [f"({c}.{k} IS NOT NULL AND {_CONDITION_TESTS[k][1].format(c=c)})" for k in kinds]


def _any_holds(kinds: list[str]) -> str:
    """``$when_any`` on the facts gathered (``$when`` and ``$unless`` were tested as each fact came)."""
    return f"(size($when_any) = 0 OR any(wa IN $when_any WHERE {' AND '.join(_holds('wa', kinds)) or 'true'}))"


def _settled(facts: Iterable[str], kinds: list[str]) -> list[str]:
    """The tests of ``$when`` and ``$unless`` that ``facts`` settle: they drop a row as soon as it fails."""
    mine = [k for k in kinds if _CONDITION_TESTS[k][0] in facts]
    return [*_holds("$when", mine), f"NOT ({' OR '.join(_named('$unless', mine))})"] if mine else []


def _joined(steps: list[tuple[str, list[str]]], kinds: list[str], carried: list[str]) -> str:
    """Each step (a clause ending in WITH, and the tests its WHERE makes), then ``$when_any`` in a WITH of its
    own and a plain WITH after it: without them FalkorDB's count of a rule that names ``when_any`` and
    proposals is 0 where its list is not (FalkorDB 4.x; the contract tests compare the two)."""
    return "".join(text + (f"WHERE {' AND '.join(tests)} " if tests else "") for text, tests in steps) + (
        f"WITH {', '.join(carried)} WHERE {_any_holds(kinds)} WITH {', '.join(carried)} ")


# --- what a person's rule can see: one fragment per fact, in the order they are gathered ------------
# ``{carry}`` is the variables gathered before (Cypher's WITH must name them). Aliases carry a tag
# each: FalkorDB mixes up a name reused in one statement.
_HOME = (  # the best household: the one of the person's own KK, else the lowest KK
    f"OPTIONAL MATCH (p)-[:{RelType.MEMBER_OF}]->(wh:{Label.HOUSEHOLD}) WITH {{carry}}, collect(wh) AS whs "
    "WITH {carry}, CASE WHEN size(whs) = 0 THEN null "
    "WHEN p.kk IS NOT NULL AND any(x IN whs WHERE x.kk = p.kk) THEN [x IN whs WHERE x.kk = p.kk][0] "
    "ELSE reduce(low = whs[0], x IN whs | CASE WHEN x.kk < low.kk THEN x ELSE low END) END AS home "
)
_PERSON_FACTS: dict[str, str] = {
    "has_nik": "WITH {carry}, p.nik IS NOT NULL AND p.nik <> '' AS has_nik ",
    "decile": "WITH {carry}, home.decile AS decile ",
    "programs": (f"OPTIONAL MATCH (p)-[:{RelType.ENROLLED_IN}]->(wg:{Label.PROGRAM}) "
                 "WITH {carry}, collect(wg.code) AS programs "),
    "sources": (f"OPTIONAL MATCH (ws:{Label.SOURCE_RECORD})-[:{RelType.RESOLVES_TO}]->(p) "
                "WITH {carry}, collect(ws.source) AS sources "),
    "conditions": (f"OPTIONAL MATCH (p)-[:{RelType.HAS_CONDITION}]->(wc:{Label.PPKS_CATEGORY}) "
                   "WITH {carry}, collect(wc.code) AS conditions "),
    "panti_resident": (f"OPTIONAL MATCH (p)-[:{RelType.RESIDENT_OF}]->(wn:{Label.PANTI}) "
                       "WITH {carry}, count(wn) > 0 AS panti_resident "),
    "events": (f"OPTIONAL MATCH (we:{Label.SERVICE_EVENT})-[:{RelType.ABOUT}]->(p) "
               "WITH {carry}, collect(CASE WHEN we.kind = 'proposal' THEN we.summary END) AS proposals, "
               "collect(CASE WHEN we.kind = 'outreach' THEN left(we.date, 4) END) AS met_years "
               "WITH {carry}, proposals, reduce(most = 0, y IN met_years | CASE WHEN size([z IN met_years "
               "WHERE z = y]) > most THEN size([z IN met_years WHERE z = y]) ELSE most END) AS met_in_a_year "),
    "household_programs": (f"OPTIONAL MATCH (home)<-[:{RelType.MEMBER_OF}]-(:{Label.PERSON})-[:{RelType.ENROLLED_IN}]"
                           f"->(wmg:{Label.PROGRAM}) WITH {{carry}}, collect(wmg.code) + programs AS household_programs "),
}
# The facts each fragment adds, and what it needs gathered before it.
_PERSON_GIVES = {"has_nik": ("has_nik",), "home": ("home",), "decile": ("decile",), "programs": ("programs",),
                 "sources": ("sources",), "conditions": ("conditions",), "panti_resident": ("panti_resident",),
                 "events": ("proposals", "met_in_a_year"), "household_programs": ("household_programs",)}
_PERSON_NEEDS = {"decile": ("home",), "household_programs": ("home", "programs"),
                 "proposals": ("events",), "met_in_a_year": ("events",)}
_PERSON_ORDER = ("has_nik", "home", "decile", "programs", "sources", "conditions", "panti_resident", "events",
                 "household_programs")

_PERSONS_OF_CODES = f"UNWIND $codes AS code MATCH (p:{Label.PERSON} {{region_code: code}}) "
_KEYSET = "($after_code IS NULL OR code > $after_code OR (code = $after_code AND p.person_id > $after_id))"


def _fragments_for(kinds: list[str]) -> list[str]:
    """The person fragments ``kinds`` need, in gathering order."""
    wanted: set[str] = set()
    for kind in kinds:
        fact = _CONDITION_TESTS[kind][0]
        for need in (*_PERSON_NEEDS.get(fact, ()), fact):
            wanted |= {need, *_PERSON_NEEDS.get(need, ())}
    return [f for f in _PERSON_ORDER if f in wanted or any(g in wanted for g in _PERSON_GIVES[f])]


def _returned(shape: Shape, node: str, gathered: list[str], extra: str = "") -> str:
    """The RETURN of ``shape``: the facts gathered (``Facts.of_row`` takes the others as empty)."""
    if shape is Shape.COUNT:
        return f"RETURN left({node}.region_code, $width) AS area, count(*) AS flagged ORDER BY area"
    key = "h.kk" if node == "h" else "p.person_id"
    facts = "".join(f", {c}" for c in _FACT_COLUMNS if c in gathered)  # the others are their empty values
    order = "ORDER BY code, id" + (" LIMIT $limit" if shape is Shape.PAGE else "")
    return f"RETURN {key} AS id, {node}.region_code AS code{extra}{facts} {order}"


def person_worklist(kinds: Iterable[str], shape: Shape) -> str:
    """The statement of ``shape`` for a person rule that names the condition ``kinds`` (gaps.Condition's keys)."""
    named = [k for k in _CONDITION_TESTS if k in set(kinds)]
    steps = [("WITH p, code ", [_KEYSET] if shape is Shape.PAGE else [])]
    carried = ["p", "code"]
    for fragment in _fragments_for(named):
        text = _HOME if fragment == "home" else _PERSON_FACTS[fragment]
        steps.append((text.format(carry=", ".join(carried)), _settled(_PERSON_GIVES[fragment], named)))
        carried += _PERSON_GIVES[fragment]
    gathered = [c for c in carried if c in _FACT_COLUMNS]
    return _PERSONS_OF_CODES + _joined(steps, named, carried) + _returned(shape, "p", gathered)


# --- a household's rule: its decile, its members' programs, the sources that list it ----------------
_HOUSEHOLDS_OF_CODES = (
    f"UNWIND $codes AS code MATCH (:{Label.REGION} {{code: code}})<-[:{RelType.LOCATED_IN}]-(h:{Label.HOUSEHOLD}) "
    "WITH code, h WHERE h.region_code = code "  # in a WITH: a WHERE on h makes FalkorDB scan every Household
)
_HOUSEHOLD_FACTS: dict[str, str] = {
    "decile": "WITH {carry}, h.decile AS decile ",
    "household_programs": (f"OPTIONAL MATCH (h)<-[:{RelType.MEMBER_OF}]-(:{Label.PERSON})-[:{RelType.ENROLLED_IN}]->"
                           f"(wmg:{Label.PROGRAM}) WITH {{carry}}, collect(wmg.code) AS household_programs "),
    "sources": (f"OPTIONAL MATCH (ws:{Label.SOURCE_RECORD})-[:{RelType.IN_HOUSEHOLD}]->(h) "
                "WITH {carry}, collect(ws.source) AS sources "),
}
_MEMBERS = (f"OPTIONAL MATCH (h)<-[:{RelType.MEMBER_OF}]-(wq:{Label.PERSON}) "
            "WITH {carry}, collect(wq.person_id) AS members ")


def household_worklist(kinds: Iterable[str], shape: Shape) -> str:
    """The statement of ``shape`` for a household rule that names the condition ``kinds``."""
    named = [k for k in _CONDITION_TESTS if k in set(kinds)]
    facts = {_CONDITION_TESTS[k][0] for k in named}
    steps: list[tuple[str, list[str]]] = [("WITH h, code ", [])]
    carried = ["h", "code"]
    for fact, text in _HOUSEHOLD_FACTS.items():
        if fact in facts:
            steps.append((text.format(carry=", ".join(carried)), _settled((fact,), named)))
            carried.append(fact)
    text = _joined(steps, named, carried)
    if shape is not Shape.COUNT:
        text += _MEMBERS.format(carry=", ".join(carried))
    gathered = [c for c in carried if c in _FACT_COLUMNS]
    return _HOUSEHOLDS_OF_CODES + text + _returned(shape, "h", gathered, "" if shape is Shape.COUNT else ", members")


_EVERY_KIND = tuple(_CONDITION_TESTS)
_HOUSEHOLD_KINDS = ("in_sources", "decile_at_most", "household_programs")  # gaps.HOUSEHOLD_CONDITIONS

# A rule that names every kind: a page of the persons it flags among those of $codes (a few
# villages), after the keyset ($after_code, $after_id): their id, village and the facts that put them there.
WORKLIST_PERSONS_PAGE = person_worklist(_EVERY_KIND, Shape.PAGE)
# How many persons a rule flags in each sub-region ($width: the length of its codes).
WORKLIST_PERSONS_COUNT = person_worklist(_EVERY_KIND, Shape.COUNT)
# Every person a rule flags in $codes (an export: ids in village order, no page).
WORKLIST_PERSONS_ALL = person_worklist(_EVERY_KIND, Shape.ALL)

# Households: a page of those a rule flags in $codes (the caller skips those of the cursor's village
# already given: a cursor never carries a KK, which a masked role must not read).
WORKLIST_HOUSEHOLDS_PAGE = household_worklist(_HOUSEHOLD_KINDS, Shape.PAGE)
WORKLIST_HOUSEHOLDS_COUNT = household_worklist(_HOUSEHOLD_KINDS, Shape.COUNT)
WORKLIST_HOUSEHOLDS_ALL = household_worklist(_HOUSEHOLD_KINDS, Shape.ALL)

# The persons of a batch of proposals (KIS-PBI APBD proposals file) with a status, in a region.
PROPOSAL_PERSONS = (
    f"{_PERSONS_OF_CODES}MATCH (e:{Label.SERVICE_EVENT})-[:{RelType.ABOUT}]->(p) "
    "WHERE e.kind = 'proposal' AND e.summary = $kind AND e.status = $status "
    "RETURN DISTINCT p.person_id AS id, p.region_code AS code ORDER BY code, id"
)

# What an export row is made of, for a batch of person ids ($keys, a few thousand): the person with
# each household they belong to (a row per household, one with no household values where they have
# none; the caller picks the best household, as _HOME does), and their records. Two flat statements,
# read as lists of values (``GraphStore.run_values``), in the column order ``EXPORT_PERSON_COLUMNS`` and
# ``EXPORT_RECORD_COLUMNS`` name: FalkorDB's grouping, its client's parsing of nested values, and
# string concatenation cost several times what flat rows of plain values do.
EXPORT_PERSON_COLUMNS = ("key", "nik", "kk", "name", "birth_date", "sex", "region_code",
                         "household_kk", "decile", "address", "household_region")
EXPORT_RECORD_COLUMNS = ("key", "source", "birth_place", "address")
EXPORT_PERSONS_BY_IDS = (
    f"UNWIND $keys AS key MATCH (p:{Label.PERSON} {{person_id: key}}) "
    f"OPTIONAL MATCH (p)-[:{RelType.MEMBER_OF}]->(h:{Label.HOUSEHOLD}) "
    "RETURN key, p.nik AS nik, p.kk AS kk, p.name AS name, p.birth_date AS birth_date, p.sex AS sex, "
    "p.region_code AS region_code, h.kk AS household_kk, h.decile AS decile, h.address AS address, "
    "h.region_code AS household_region"
)
EXPORT_RECORDS_BY_IDS = (
    f"UNWIND $keys AS key MATCH (:{Label.PERSON} {{person_id: key}})<-[:{RelType.RESOLVES_TO}]-(s:{Label.SOURCE_RECORD}) "
    "RETURN key, s.source AS source, s.birth_place AS birth_place, s.address AS address"
)
