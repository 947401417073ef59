"""Cypher that only the tests send: lookups by key that check what the product wrote, the world's
own links, and the whole-graph delete. The product's statements live in ``graph_schema/``; these run
on both backends through the same adapters (so they are written in the shared dialect too).
"""

from __future__ import annotations

from graph_schema import queries
from graph_schema.model import RELATIONSHIPS, Label, RelType
from graph_schema.queries import merge_relationships


def statement(name: str) -> str:
    """The statement called ``name``: one of these, else the product's."""
    found = globals().get(name)
    return found if isinstance(found, str) and name.isupper() else queries.all_statements()[name]


def names() -> set[str]:
    """The names of the statements kept here."""
    return {name for name, value in globals().items() if name.isupper() and isinstance(value, str)}


LINK_HOUSEHOLD_MEMBERS = merge_relationships(RELATIONSHIPS[RelType.MEMBER_OF])

LINK_ENROLMENTS = merge_relationships(RELATIONSHIPS[RelType.ENROLLED_IN])

LINK_CONDITIONS = merge_relationships(RELATIONSHIPS[RelType.HAS_CONDITION])

LINK_PANTI_STAYS = merge_relationships(RELATIONSHIPS[RelType.RESIDENT_OF])

LINK_EVENT_SUBJECTS = merge_relationships(RELATIONSHIPS[RelType.ABOUT])

# --- lookups ------------------------------------------------------------------------------
PERSON_BY_ID = f"MATCH (p:{Label.PERSON} {{person_id: $person_id}}) RETURN p {{.*}} AS person"

PERSONS_BY_NIK = (
    f"MATCH (p:{Label.PERSON} {{nik: $nik}}) RETURN p {{.*}} AS person ORDER BY p.person_id"
)

PERSONS_BY_NAME = (
    "%%FULLTEXT_PERSON_NAMES%% YIELD node, score "
    "RETURN node {.*} AS person, score ORDER BY score DESC, node.person_id LIMIT $limit"
)

PERSON_SOURCE_RECORDS = (
    f"MATCH (s:{Label.SOURCE_RECORD})-[r:{RelType.RESOLVES_TO}]->(p:{Label.PERSON} {{person_id: $person_id}}) "
    "RETURN s {.*} AS record, r.method AS method, r.probability AS probability "
    "ORDER BY s.source, s.source_key"
)

# record_id is "<source>:<source_key>", so the pair is one index lookup.
SOURCE_RECORD_BY_KEY = (
    f"MATCH (s:{Label.SOURCE_RECORD} {{record_id: $source + ':' + $source_key}}) "
    f"OPTIONAL MATCH (s)-[r:{RelType.RESOLVES_TO}]->(p:{Label.PERSON}) "
    "RETURN s {.*} AS record, p.person_id AS person_id"
)

SOURCE_RECORDS_BY_NIK = (
    f"MATCH (s:{Label.SOURCE_RECORD} {{nik: $nik}}) RETURN s {{.*}} AS record ORDER BY s.source, s.source_key"
)

REGION_BY_CODE = (
    f"MATCH (r:{Label.REGION} {{code: $code}}) "
    f"OPTIONAL MATCH (r)-[:{RelType.PART_OF}]->(parent:{Label.REGION}) "
    "RETURN r {.*} AS region, parent.code AS parent_code"
)

PPKS_CATEGORY_BY_CODE = f"MATCH (n:{Label.PPKS_CATEGORY} {{code: $code}}) RETURN n {{.*}} AS category"

PANTI_BY_ID = f"MATCH (n:{Label.PANTI} {{panti_id: $panti_id}}) RETURN n {{.*}} AS panti"

PSKS_ACTOR_BY_ID = f"MATCH (n:{Label.PSKS_ACTOR} {{actor_id: $actor_id}}) RETURN n {{.*}} AS actor"

AGENCY_BY_ID = f"MATCH (n:{Label.AGENCY} {{agency_id: $agency_id}}) RETURN n {{.*}} AS agency"

SERVICE_EVENT_BY_ID = (
    f"MATCH (e:{Label.SERVICE_EVENT} {{event_id: $event_id}}) "
    "RETURN e {.*} AS event, "
    f"[(e)-[:{RelType.ABOUT}]->(p:{Label.PERSON}) | p.person_id] AS person_ids, "
    f"[(a:{Label.PSKS_ACTOR})-[:{RelType.HANDLED}]->(e) | a.actor_id] AS handler_ids, "
    f"[(e)-[x:{RelType.REFERRED_TO}]->(t) | {{target: coalesce(t.agency_id, t.code), status: x.status}}] AS referrals"
)

MATCH_CANDIDATE_BY_ID = (
    f"MATCH (c:{Label.MATCH_CANDIDATE} {{candidate_id: $candidate_id}}) "
    "RETURN c {.*} AS candidate, "
    f"[(c)-[x:{RelType.COMPARES}]->(s:{Label.SOURCE_RECORD}) | {{side: x.side, record: s {{.*}}}}] AS sides"
)

PERSON_ENROLMENTS = (
    f"MATCH (p:{Label.PERSON} {{person_id: $person_id}})-[e:{RelType.ENROLLED_IN}]->(g:{Label.PROGRAM}) "
    "RETURN g.code AS program, e.from AS from, e.to AS to, e.status AS status, e.source AS source "
    "ORDER BY program, from"
)

PERSON_CONDITIONS = (
    f"MATCH (p:{Label.PERSON} {{person_id: $person_id}})-[h:{RelType.HAS_CONDITION}]->(c:{Label.PPKS_CATEGORY}) "
    "RETURN c.code AS code, c.name AS name, h.recorded_on AS recorded_on, h.source AS source ORDER BY code"
)

PERSON_PANTI_STAYS = (
    f"MATCH (p:{Label.PERSON} {{person_id: $person_id}})-[s:{RelType.RESIDENT_OF}]->(t:{Label.PANTI}) "
    "RETURN t.panti_id AS panti_id, t.name AS name, s.from AS from, s.to AS to ORDER BY from"
)

# The hub's own node ids, for clients that address nodes (network views): elementId on Neo4j.
NODE_IDS_OF_PERSON_HOUSEHOLDS = (
    f"MATCH (p:{Label.PERSON} {{person_id: $person_id}})-[:{RelType.MEMBER_OF}]->(h:{Label.HOUSEHOLD}) "
    "RETURN toString(%%NODE_ID%%(h)) AS node_id, h.kk AS kk ORDER BY kk"
)

SOURCE_RECORD_COUNTS = (
    f"MATCH (s:{Label.SOURCE_RECORD}) RETURN s.source AS source, count(*) AS records ORDER BY source"
)

DELETE_ALL = "MATCH (n) DETACH DELETE n"
