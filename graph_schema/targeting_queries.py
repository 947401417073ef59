"""Worklists: the persons or households of a region that a gap rule (resolvers/gaps.toml) flags.

A rule is data, not Cypher: the statements take it as parameters (``$when``: a map of every
condition kind, null where the rule does not name it; ``$when_any``: a list of such maps;
``$unless``: the same map, holding when any condition it names holds), so an office's edit of
the rules file is the next request's query without a code change. The facts a rule can see are
those resolvers/gaps.py ``Facts`` lists, gathered here from the graph as the person's history
gathers them (their best household: the one of their own KK, else the lowest KK).

Every statement starts from an index: ``$codes`` are the region's own code and every code below
it (``WORKLIST_REGION_CODES``, from the Region key), and persons are sought by
``Person.region_code`` (a lookup index since schema 7), households through their village's
``LOCATED_IN``. Pages take a few villages at a time (``$codes`` a slice, in code order), so a
first page reads the first villages, not the whole region.
"""

from __future__ import annotations

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

# --- what a person's rule can see ---------------------------------------------------------------
# Aliases carry a tag each: FalkorDB mixes up a name reused across comprehensions. The cheap facts
# (NIK, the best household's decile: properties and one KK seek) come first and $when's tests on
# them filter before the comprehensions of the rest are gathered: most rules name a decile or a
# NIK, and most persons fail them.
_PERSON_FACTS = (
    f"WITH p, p.nik IS NOT NULL AND p.nik <> '' AS has_nik, [(p)-[:{RelType.MEMBER_OF}]->(wh:{Label.HOUSEHOLD}) | "
    "wh.kk] AS kks WHERE ($when.has_nik IS NULL OR has_nik = $when.has_nik) "
    "WITH p, has_nik, CASE WHEN p.kk IS NOT NULL AND p.kk IN kks THEN p.kk "
    "ELSE reduce(low = null, k IN kks | CASE WHEN low IS NULL OR k < low THEN k ELSE low END) END AS home_kk "
    f"OPTIONAL MATCH (home:{Label.HOUSEHOLD} {{kk: home_kk}}) "
    "WITH p, has_nik, home, home.decile AS decile "
    "WHERE ($when.decile_at_most IS NULL OR (decile IS NOT NULL AND decile <= $when.decile_at_most)) "
    f"WITH p, has_nik, home, decile, [(ws:{Label.SOURCE_RECORD})-[:{RelType.RESOLVES_TO}]->(p) | ws.source] AS sources, "
    f"[(p)-[:{RelType.ENROLLED_IN}]->(wg:{Label.PROGRAM}) | wg.code] AS programs, "
    f"[(p)-[:{RelType.HAS_CONDITION}]->(wc:{Label.PPKS_CATEGORY}) | wc.code] AS conditions, "
    f"size([(p)-[:{RelType.RESIDENT_OF}]->(wn:{Label.PANTI}) | 1]) > 0 AS panti_resident, "
    f"[(we:{Label.SERVICE_EVENT})-[:{RelType.ABOUT}]->(p) | [we.kind, we.summary, left(we.date, 4)]] AS events, "
    f"[(home)<-[:{RelType.MEMBER_OF}]-(wm:{Label.PERSON})-[:{RelType.ENROLLED_IN}]->(wmg:{Label.PROGRAM}) | wmg.code] "
    "AS member_programs "
    "WITH p, has_nik, decile, sources, programs, conditions, panti_resident, member_programs + programs AS "
    "household_programs, [e IN events WHERE e[0] = 'proposal' | e[1]] AS proposals, "
    "[e IN events WHERE e[0] = 'outreach' AND e[2] IS NOT NULL | e[2]] AS met_years "
    "WITH p, has_nik, decile, sources, programs, conditions, panti_resident, household_programs, proposals, "
    "reduce(most = 0, y IN met_years | CASE WHEN size([z IN met_years WHERE z = y]) > most "
    "THEN size([z IN met_years WHERE z = y]) ELSE most END) AS met_in_a_year "
)
_FACT_COLUMNS = ("sources", "decile", "panti_resident", "conditions", "programs", "household_programs", "proposals",
                 "has_nik", "met_in_a_year")

# --- a household's rule: its decile and its members' programs ---------------------------------------
_HOUSEHOLD_FACTS = (
    f"WITH h, h.decile AS decile, [(h)<-[:{RelType.MEMBER_OF}]-(wm:{Label.PERSON})-[:{RelType.ENROLLED_IN}]->"
    f"(wmg:{Label.PROGRAM}) | wmg.code] AS household_programs, "
    f"[(h)<-[:{RelType.MEMBER_OF}]-(wq:{Label.PERSON}) | wq.person_id] AS members "
    "WITH h, decile, household_programs, members, "
    f"[(ws:{Label.SOURCE_RECORD})-[:{RelType.IN_HOUSEHOLD}]->(h) | ws.source] AS sources, "
    "[] AS programs, [] AS conditions, false AS panti_resident, [] AS proposals, true AS has_nik, 0 AS met_in_a_year "
)


def _holds(c: str) -> list[str]:
    """Each condition of the map ``c`` as a Cypher test that is true where ``c`` does not name it."""
    return [
        f"({c}.in_sources IS NULL OR any(x IN sources WHERE x IN {c}.in_sources))",
        f"({c}.decile_at_most IS NULL OR (decile IS NOT NULL AND decile <= {c}.decile_at_most))",
        f"({c}.panti_resident IS NULL OR panti_resident = {c}.panti_resident)",
        f"({c}.conditions IS NULL OR any(x IN conditions WHERE x IN {c}.conditions))",
        f"({c}.programs IS NULL OR any(x IN programs WHERE x IN {c}.programs))",
        f"({c}.household_programs IS NULL OR any(x IN household_programs WHERE x IN {c}.household_programs))",
        f"({c}.proposals IS NULL OR any(x IN proposals WHERE x IN {c}.proposals))",
        f"({c}.has_nik IS NULL OR has_nik = {c}.has_nik)",
        f"({c}.met_in_a_year_at_least IS NULL OR met_in_a_year >= {c}.met_in_a_year_at_least)",
    ]


def _named(c: str) -> list[str]:
    """Each condition of ``c`` as a test that is true only where ``c`` names it and it holds (for ``unless``)."""
    return [f"({test[1:test.index(' IS NULL OR ')]} IS NOT NULL AND {test[test.index(' IS NULL OR ') + 12:]}"
            for test in _holds(c)]


_RULE_HOLDS = (
    f"WHERE {' AND '.join(_holds('$when'))} "
    f"AND (size($when_any) = 0 OR any(wa IN $when_any WHERE {' AND '.join(_holds('wa'))})) "
    f"AND NOT ({' OR '.join(_named('$unless'))}) "
)

_PERSONS_OF_CODES = f"UNWIND $codes AS code MATCH (p:{Label.PERSON} {{region_code: code}}) "
_HOUSEHOLDS_OF_CODES = (
    f"UNWIND $codes AS code MATCH (:{Label.REGION} {{code: code}})<-[:{RelType.LOCATED_IN}]-(h:{Label.HOUSEHOLD}) "
    "WITH code, h WHERE h.region_code = code "  # in a WITH: a WHERE on h makes FalkorDB scan every Household
)

# A page of the persons a rule flags among those of $codes (a few villages), after the keyset
# ($after_code, $after_id): their id, village and the facts that put them there.
WORKLIST_PERSONS_PAGE = (
    f"{_PERSONS_OF_CODES}WITH p, code WHERE $after_code IS NULL OR code > $after_code OR "
    f"(code = $after_code AND p.person_id > $after_id) {_PERSON_FACTS}{_RULE_HOLDS}"
    f"RETURN p.person_id AS id, p.region_code AS code, {', '.join(_FACT_COLUMNS)} "
    "ORDER BY code, id LIMIT $limit"
)
# How many persons a rule flags in each sub-region ($width: the length of its codes).
WORKLIST_PERSONS_COUNT = (
    f"{_PERSONS_OF_CODES}{_PERSON_FACTS}{_RULE_HOLDS}"
    "RETURN left(p.region_code, $width) AS area, count(*) AS flagged ORDER BY area"
)
# Every person a rule flags in $codes (an export: ids in village order, no page).
WORKLIST_PERSONS_ALL = (
    f"{_PERSONS_OF_CODES}{_PERSON_FACTS}{_RULE_HOLDS}"
    f"RETURN p.person_id AS id, p.region_code AS code, {', '.join(_FACT_COLUMNS)} ORDER BY code, id"
)

# Households: a page of those a rule flags in $codes (the caller skips those of the cursor's village
# already given: a cursor never carries a KK, which a masked role must not read).
WORKLIST_HOUSEHOLDS_PAGE = (
    f"{_HOUSEHOLDS_OF_CODES}{_HOUSEHOLD_FACTS}{_RULE_HOLDS}"
    f"RETURN h.kk AS id, h.region_code AS code, members, {', '.join(_FACT_COLUMNS)} ORDER BY code, id LIMIT $limit"
)
WORKLIST_HOUSEHOLDS_COUNT = (
    f"{_HOUSEHOLDS_OF_CODES}{_HOUSEHOLD_FACTS}{_RULE_HOLDS}"
    "RETURN left(h.region_code, $width) AS area, count(*) AS flagged ORDER BY area"
)
WORKLIST_HOUSEHOLDS_ALL = (
    f"{_HOUSEHOLDS_OF_CODES}{_HOUSEHOLD_FACTS}{_RULE_HOLDS}"
    f"RETURN h.kk AS id, h.region_code AS code, members, {', '.join(_FACT_COLUMNS)} ORDER BY code, id"
)

# The persons of a batch of proposals (KIS-PBI APBD proposals file) with a status, in a region.
PROPOSAL_PERSONS = (
    f"{_PERSONS_OF_CODES}MATCH (e:{Label.SERVICE_EVENT})-[:{RelType.ABOUT}]->(p) "
    "WHERE e.kind = 'proposal' AND e.summary = $kind AND e.status = $status "
    "RETURN DISTINCT p.person_id AS id, p.region_code AS code ORDER BY code, id"
)

# What an export row is made of: the person, their best household and their DTKS record.
EXPORT_ROWS_BY_IDS = (
    f"UNWIND $keys AS key MATCH (p:{Label.PERSON} {{person_id: key}}) "
    f"WITH key, p, [(p)-[:{RelType.MEMBER_OF}]->(xh:{Label.HOUSEHOLD}) | xh.kk] AS kks, "
    f"[(xs:{Label.SOURCE_RECORD})-[:{RelType.RESOLVES_TO}]->(p) | xs {{.source, .birth_place, .address, "
    ".region_code}] AS records "
    "WITH key, p, records, CASE WHEN p.kk IS NOT NULL AND p.kk IN kks THEN p.kk "
    "ELSE reduce(low = null, k IN kks | CASE WHEN low IS NULL OR k < low THEN k ELSE low END) END AS home_kk "
    f"OPTIONAL MATCH (home:{Label.HOUSEHOLD} {{kk: home_kk}}) "
    "RETURN key, p {.person_id, .nik, .kk, .name, .birth_date, .sex, .region_code} AS person, "
    "home {.kk, .decile, .address, .region_code} AS household, records"
)
