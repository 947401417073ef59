"""All Cypher of the hub, as constants named for what they return or do.

Written in the dialect FalkorDB and Neo4j share; ``%%TOKEN%%`` marks the few spots each
adapter fills in from its dialect table (``dialect.py``). Values are always ``$parameters``.

Upserts take ``$rows``, a list of maps, and are idempotent (MERGE on the node key, or on
the relationship's identity properties) because a retried transaction or a re-run load
must not duplicate anything. Row shapes:

* node upserts: ``{<key properties>..., props: {...}}``
* relationship upserts: ``{start: {<start key>}, end: {<end key>}, props: {...}}``

The loader's writes are in ``load_queries.py``: their rows are lists, for speed.
"""

from __future__ import annotations

from graph_schema.model import NODES, RELATIONSHIPS, Label, RelSpec, RelType


def _key_pattern(label: Label, source: str) -> str:
    keys = ", ".join(f"{k}: {source}.{k}" for k in NODES[label].key)
    return f"{{{keys}}}"


def merge_nodes(label: Label) -> str:
    """UNWIND-batched MERGE on the node key; ``props`` are set on create and on match."""
    return (
        f"UNWIND $rows AS row MERGE (n:{label} {_key_pattern(label, 'row')}) "
        "SET n += row.props RETURN count(n) AS written"
    )


def merge_relationships(spec: RelSpec) -> str:
    """UNWIND-batched MERGE of one relationship type between two existing nodes."""
    identity = ", ".join(f"{p}: row.props.{p}" for p in spec.identity)
    identity = f" {{{identity}}}" if identity else ""
    return (
        f"UNWIND $rows AS row "
        f"MATCH (a:{spec.start} {_key_pattern(spec.start, 'row.start')}) "
        f"MATCH (b:{spec.end} {_key_pattern(spec.end, 'row.end')}) "
        f"MERGE (a)-[r:{spec.rel_type}{identity}]->(b) SET r += row.props RETURN count(r) AS written"
    )


# --- node upserts -------------------------------------------------------------------------
UPSERT_PERSONS = merge_nodes(Label.PERSON)
UPSERT_MATCH_CANDIDATES = merge_nodes(Label.MATCH_CANDIDATE)
UPSERT_LOAD_BATCHES = merge_nodes(Label.LOAD_BATCH)

# --- relationship upserts -----------------------------------------------------------------
LINK_RECORDS_TO_PERSONS = merge_relationships(RELATIONSHIPS[RelType.RESOLVES_TO])
LINK_CANDIDATE_RECORDS = merge_relationships(RELATIONSHIPS[RelType.COMPARES])







HOUSEHOLD_BY_KK = (
    f"MATCH (h:{Label.HOUSEHOLD} {{kk: $kk}}) "
    f"OPTIONAL MATCH (h)-[:{RelType.LOCATED_IN}]->(r:{Label.REGION}) "
    "RETURN h {.*} AS household, r.code AS region_code, "
    f"[(p:{Label.PERSON})-[m:{RelType.MEMBER_OF}]->(h) | "
    "{person_id: p.person_id, name: p.name, relation: m.relation}] AS members"
)


PROGRAM_BY_CODE = f"MATCH (n:{Label.PROGRAM} {{code: $code}}) RETURN n {{.*}} AS program"







# --- loading --------------------------------------------------------------------------------
LOAD_BATCH_BY_ID = f"MATCH (b:{Label.LOAD_BATCH} {{batch_id: $batch_id}}) RETURN b {{.*}} AS batch"

# What is stored for each key of one source, to tell new, changed and unchanged rows apart.
SOURCE_RECORD_VERSIONS = (
    f"UNWIND $ids AS id MATCH (s:{Label.SOURCE_RECORD} {{record_id: id}}) "
    "RETURN id, s.content_hash AS content_hash, s.raw AS raw, s.batch_id AS batch_id, s.loaded_at AS loaded_at, "
    "s.previous AS previous, s.kk AS kk"
)

# Regions already in the graph, whole (a province, or linked to its parent: a load cut short
# between writing a region and its link must write both again): a load writes only the rest.
REGION_CODES = (
    f"MATCH (r:{Label.REGION}) WHERE r.level = 1 OR (r)-[:{RelType.PART_OF}]->() RETURN r.code AS code"
)

# Whether a source has any record yet: the range of the record_id index that is its own.
SOURCE_HAS_RECORDS = (
    f"MATCH (s:{Label.SOURCE_RECORD}) WHERE s.record_id > $after AND s.record_id < $before "
    "RETURN s.record_id AS record_id LIMIT 1"
)

SOURCE_RECORDS_PRESENT = (
    f"UNWIND $ids AS id MATCH (s:{Label.SOURCE_RECORD} {{record_id: id}}) RETURN id"
)

# A changed record's facts are restated from its new row: its old fact links go first.
DELETE_RECORD_FACTS = (
    f"UNWIND $rows AS row MATCH (s:{Label.SOURCE_RECORD} {{record_id: row.record_id}})"
    f"-[r:{RelType.IN_HOUSEHOLD}|{RelType.LISTS_ENROLMENT}|{RelType.LISTS_CONDITION}"
    f"|{RelType.LISTS_STAY}|{RelType.REFERS_TO}]->() DELETE r RETURN count(r) AS deleted"
)
# A household that no record places anyone in any more (every row that named its KK now names
# another: a KK reissued, a family split) is no household: it goes, with its members' links and its
# decile, after its records' new facts are written. ``kks``: the KKs the changed records named before.
DELETE_EMPTIED_HOUSEHOLDS = (
    f"UNWIND $kks AS kk MATCH (h:{Label.HOUSEHOLD} {{kk: kk}}) WHERE NOT ()-[:{RelType.IN_HOUSEHOLD}]->(h) "
    "DETACH DELETE h RETURN count(*) AS deleted"
)
DELETE_EVENT_LINKS = (
    f"UNWIND $rows AS row MATCH (e:{Label.SERVICE_EVENT} {{event_id: row.event_id}})-[r:{RelType.REFERRED_TO}]->() "
    "DELETE r RETURN count(r) AS deleted"
)
DELETE_EVENT_HANDLERS = (
    f"UNWIND $rows AS row MATCH (:{Label.PSKS_ACTOR})-[r:{RelType.HANDLED}]->(e:{Label.SERVICE_EVENT} "
    "{event_id: row.event_id}) DELETE r RETURN count(r) AS deleted"
)


# --- matching ------------------------------------------------------------------------------
# The identity of every record of one source, for the linker (paged by record_id).
# One page of one source's records. record_id is "<source>:<key>", so the source is a range of
# the record_id index, [$after, $before) with $before = "<source>;" (';' follows ':'): each page
# reads that range only, not every record whose id sorts after it.
# What the linker reads of a record ``s`` (matching/extract.py COLUMNS): one fragment for every read.
_RECORD_IDENTITY = (
    "s.record_id AS record_id, s.source AS source, s.nik AS nik, s.nik_birth_date AS nik_birth_date, "
    "s.nik_sex AS nik_sex, s.kk AS kk, s.name AS name, s.birth_date AS birth_date, s.birth_year AS birth_year, "
    "s.age AS age, s.sex AS sex, s.mother_name AS mother_name, s.region_code AS region_code, "
    "s.encounter AS encounter, s.address AS address, s.phone AS phone, s.register_id AS register_id"
)
RECORDS_FOR_MATCHING = (
    f"MATCH (s:{Label.SOURCE_RECORD}) WHERE s.record_id > $after AND s.record_id < $before "
    f"RETURN {_RECORD_IDENTITY} ORDER BY record_id LIMIT $limit"
)
SOURCES_LOADED = f"MATCH (s:{Label.SOURCE_RECORD}) RETURN DISTINCT s.source AS source ORDER BY source"
RECORD_REFERENCES = (
    f"MATCH (a:{Label.SOURCE_RECORD})-[:{RelType.REFERS_TO}]->(b:{Label.SOURCE_RECORD}) "
    "RETURN a.record_id AS record_id, b.record_id AS target"
)
CURRENT_RESOLUTIONS = (
    f"MATCH (s:{Label.SOURCE_RECORD})-[r:{RelType.RESOLVES_TO}]->(p:{Label.PERSON}) "
    "RETURN s.record_id AS record_id, p.person_id AS person_id, r.method AS method, r.probability AS probability"
)
# A record that changes person leaves the old one and joins the new one in one statement (atomic on
# both backends): sent as two, a graph server killed between them left the record with no person.
MOVE_RECORDS = (
    f"UNWIND $rows AS row MATCH (s:{Label.SOURCE_RECORD} {{record_id: row.record_id}})-[r:{RelType.RESOLVES_TO}]->() "
    f"MATCH (p:{Label.PERSON} {{person_id: row.end.person_id}}) "
    f"DELETE r WITH DISTINCT s, p, row MERGE (s)-[n:{RelType.RESOLVES_TO}]->(p) SET n += row.props "
    "RETURN count(n) AS moved"
)

# Person-level facts, projected from what each record states (provenance kept on the link).
_RESOLVED = f"(p:{Label.PERSON})<-[:{RelType.RESOLVES_TO}]-(s:{Label.SOURCE_RECORD})"
PROJECT_ENROLMENTS = (
    f"MATCH {_RESOLVED}-[l:{RelType.LISTS_ENROLMENT}]->(g:{Label.PROGRAM}) "
    f"MERGE (p)-[e:{RelType.ENROLLED_IN} {{source: s.source, source_key: s.source_key}}]->(g) "
    "SET e.from = l.from, e.to = l.to, e.status = l.status, e.batch_id = s.batch_id RETURN count(e) AS written"
)
PROJECT_CONDITIONS = (
    f"MATCH {_RESOLVED}-[l:{RelType.LISTS_CONDITION}]->(c:{Label.PPKS_CATEGORY}) "
    f"MERGE (p)-[h:{RelType.HAS_CONDITION} {{source: s.source, source_key: s.source_key}}]->(c) "
    "SET h.recorded_on = l.recorded_on, h.batch_id = s.batch_id RETURN count(h) AS written"
)
PROJECT_PANTI_STAYS = (
    f"MATCH {_RESOLVED}-[l:{RelType.LISTS_STAY}]->(t:{Label.PANTI}) "
    f"MERGE (p)-[r:{RelType.RESIDENT_OF} {{source: s.source, source_key: s.source_key}}]->(t) "
    "SET r.from = l.from, r.to = l.to, r.batch_id = s.batch_id RETURN count(r) AS written"
)
# The facts above are one link per record (identity: source, source_key), so a record's values
# never meet another's. A household membership is one link per person and household, however
# many records state it: it takes the values of one record chosen per pair, the latest loaded
# that states a relation (a roster naming the KK but no relation never erases DTKS's), with that
# record as provenance. Chosen by aggregation, not by a row-by-row SET coalesce(l.x, m.x):
# FalkorDB evaluates every row's SET against the graph as it was before the statement, so the
# last row won, null or not. Made from the records alone, so a value that a newer export of its
# source clears is cleared here too.
PROJECT_HOUSEHOLDS = (
    f"MATCH {_RESOLVED}-[l:{RelType.IN_HOUSEHOLD}]->(h:{Label.HOUSEHOLD}) "
    "WITH p, h, s, l ORDER BY l.relation IS NULL, s.loaded_at DESC, s.record_id "
    "WITH p, h, collect([l.relation, s.source, s.source_key, s.batch_id])[0] AS stated "
    f"MERGE (p)-[m:{RelType.MEMBER_OF}]->(h) "
    "SET m.relation = stated[0], m.source = stated[1], m.source_key = stated[2], m.batch_id = stated[3] "
    "RETURN count(m) AS written"
)
PROJECT_EVENT_SUBJECTS = (
    f"MATCH {_RESOLVED}<-[:{RelType.RECORDED_IN}]-(e:{Label.SERVICE_EVENT}) "
    f"MERGE (e)-[a:{RelType.ABOUT}]->(p) RETURN count(a) AS written"
)
# First, a person's fact goes when the record it came from (still the person's) no longer states
# it: a newer export moved the member to another KK, or corrected the category, program or
# panti. The projections then restate what the records do state, another record's membership
# included. (A record that moved to another person took its facts along: DELETE_MOVED_FACTS.)
# Only a record whose row changed (it has a ``previous``) can have dropped a fact, so only those
# are looked at (a full run over 100,000 persons: 0.05 s, not 3). One pattern per type: FalkorDB
# expands a pattern of several types between two known nodes far more slowly.
RETRACT_UNSTATED_FACTS = (
    f"MATCH (p:{Label.PERSON})<-[:{RelType.RESOLVES_TO}]-(s:{Label.SOURCE_RECORD}) WHERE s.previous IS NOT NULL "
    f"MATCH (p)-[f:{RelType.ENROLLED_IN}|{RelType.HAS_CONDITION}|{RelType.RESIDENT_OF}|{RelType.MEMBER_OF}]->(t) "
    "WHERE f.source = s.source AND f.source_key = s.source_key "
    + " ".join(f"AND NOT (s)-[:{stated}]->(t)" for stated in (RelType.LISTS_ENROLMENT, RelType.LISTS_CONDITION,
                                                              RelType.LISTS_STAY, RelType.IN_HOUSEHOLD))
    + " DELETE f RETURN count(f) AS deleted"
)
PERSON_FACT_PROJECTIONS = [RETRACT_UNSTATED_FACTS, PROJECT_ENROLMENTS, PROJECT_CONDITIONS, PROJECT_PANTI_STAYS,
                           PROJECT_HOUSEHOLDS, PROJECT_EVENT_SUBJECTS]


def _for_persons(projection: str) -> str:
    """The statement limited to the persons in ``$person_ids`` (a steward's verdict moves few)."""
    # Each person is found by its index first and the pattern expanded from it (``WITH p``): with
    # the pattern in the same MATCH, FalkorDB may start from a filtered record (a label scan of
    # every SourceRecord per person: 11 s for 1,000 persons of a 30,000-person graph).
    return projection.replace(f"MATCH (p:{Label.PERSON})",
                              f"UNWIND $person_ids AS pid MATCH (p:{Label.PERSON} {{person_id: pid}}) WITH p MATCH (p)", 1)


RETRACT_UNSTATED_FACTS_FOR_PERSONS = _for_persons(RETRACT_UNSTATED_FACTS)
PROJECT_ENROLMENTS_FOR_PERSONS = _for_persons(PROJECT_ENROLMENTS)
PROJECT_CONDITIONS_FOR_PERSONS = _for_persons(PROJECT_CONDITIONS)
PROJECT_PANTI_STAYS_FOR_PERSONS = _for_persons(PROJECT_PANTI_STAYS)
PROJECT_HOUSEHOLDS_FOR_PERSONS = _for_persons(PROJECT_HOUSEHOLDS)
PROJECT_EVENT_SUBJECTS_FOR_PERSONS = _for_persons(PROJECT_EVENT_SUBJECTS)
PERSON_FACT_PROJECTIONS_FOR_PERSONS = [RETRACT_UNSTATED_FACTS_FOR_PERSONS, PROJECT_ENROLMENTS_FOR_PERSONS,
                                       PROJECT_CONDITIONS_FOR_PERSONS,
                                       PROJECT_PANTI_STAYS_FOR_PERSONS, PROJECT_HOUSEHOLDS_FOR_PERSONS,
                                       PROJECT_EVENT_SUBJECTS_FOR_PERSONS]
# Before a record moves to another person, the facts it gave its old person go.
DELETE_MOVED_FACTS = (
    f"UNWIND $rows AS row MATCH (p:{Label.PERSON} {{person_id: row.person_id}})-[f]->() "
    "WHERE f.source = row.source AND f.source_key = row.source_key DELETE f RETURN count(f) AS deleted"
)
DELETE_MOVED_SUBJECTS = (
    f"UNWIND $rows AS row MATCH (e:{Label.SERVICE_EVENT})-[:{RelType.RECORDED_IN}]->"
    f"(:{Label.SOURCE_RECORD} {{record_id: row.record_id}}) "
    f"MATCH (e)-[a:{RelType.ABOUT}]->(:{Label.PERSON} {{person_id: row.person_id}}) DELETE a RETURN count(a) AS deleted"
)

# The review band: candidates with both sides, and stewards' verdicts on them.
# A verdict sets status 'decided' with the decision: the status index finds the verdicts alone,
# not every candidate (read by every live link).
JUDGED_CANDIDATES = (
    f"MATCH (c:{Label.MATCH_CANDIDATE} {{status: 'decided'}}) WHERE c.decision IS NOT NULL "
    f"RETURN c.candidate_id AS candidate_id, c.decision AS decision, c.left_records AS left_records, "
    f"c.right_records AS right_records, [(c)-[x:{RelType.COMPARES}]->(s:{Label.SOURCE_RECORD}) | s.record_id] AS records"
)
OPEN_CANDIDATES = (
    f"MATCH (c:{Label.MATCH_CANDIDATE} {{status: 'open'}}) "
    "RETURN c {.*} AS candidate, "
    f"[(c)-[x:{RelType.COMPARES}]->(s:{Label.SOURCE_RECORD}) | {{side: x.side, record: s {{.*}}}}] AS sides "
    "ORDER BY c.priority DESC, c.candidate_id LIMIT $limit"
)
# Undecided candidates this run did not propose again are no longer a question, except those held
# apart until a steward decides (a link a region-scoped write could not make: ``held_apart``).
DELETE_STALE_CANDIDATES = (
    f"MATCH (c:{Label.MATCH_CANDIDATE}) WHERE c.decision IS NULL AND c.run_id <> $run_id AND c.held_apart IS NULL "
    "DETACH DELETE c RETURN count(c) AS deleted"
)
# Open candidates whose records stay apart until a steward decides: the sides, as a verdict's are.
HELD_CANDIDATES = (
    f"MATCH (c:{Label.MATCH_CANDIDATE} {{held_apart: true}}) WHERE c.status = 'open' "
    f"RETURN c.candidate_id AS candidate_id, c.left_records AS left_records, c.right_records AS right_records, "
    f"[(c)-[x:{RelType.COMPARES}]->(s:{Label.SOURCE_RECORD}) | s.record_id] AS records"
)
JUDGE_CANDIDATE = (
    f"MATCH (c:{Label.MATCH_CANDIDATE} {{candidate_id: $candidate_id}}) "
    "SET c.history = coalesce(c.history, '') + $history_entry, c.decision = $decision, c.decided_by = $by, "
    "c.decided_at = $at, c.reason = $reason, c.status = 'decided', c.left_records = $left_records, "
    "c.right_records = $right_records RETURN c.candidate_id AS candidate_id"
)
# Open candidates a verdict has settled: both sides now one person, or the two persons a
# DIFFERENT keeps apart. Each pair is [person, person].
# The person is found by its index first (``WITH``): in one MATCH FalkorDB scanned every candidate per pair.
DELETE_SETTLED_CANDIDATES = (
    f"UNWIND $pairs AS pair MATCH (p:{Label.PERSON} {{person_id: pair[0]}}) WITH pair, p "
    f"MATCH (c:{Label.MATCH_CANDIDATE})-[:{RelType.COMPARES}]->(:{Label.SOURCE_RECORD})"
    f"-[:{RelType.RESOLVES_TO}]->(p) WHERE c.decision IS NULL "
    f"WITH DISTINCT c, pair, [(c)-[:{RelType.COMPARES}]->(:{Label.SOURCE_RECORD})-[:{RelType.RESOLVES_TO}]->"
    f"(q:{Label.PERSON}) | q.person_id] AS sides "
    "WHERE size(sides) = 2 AND ((sides[0] = pair[0] AND sides[1] = pair[1]) OR (sides[0] = pair[1] AND sides[1] = pair[0])) "
    "DETACH DELETE c RETURN count(*) AS deleted"
)
# The records a verdict binds (see matching/review.py), as stored with it.
CANDIDATE_BINDINGS = (
    f"MATCH (c:{Label.MATCH_CANDIDATE} {{candidate_id: $candidate_id}}) "
    "RETURN c.decision AS decision, c.left_records AS left_records, c.right_records AS right_records"
)

# A person's merges and splits, one JSON line each, in the order they happened.
APPEND_PERSON_HISTORY = (
    f"UNWIND $rows AS row MATCH (p:{Label.PERSON} {{person_id: row.person_id}}) "
    "SET p.history = coalesce(p.history, '') + row.entry RETURN count(p) AS written"
)

# Records no person holds yet (loaded since the last link, or a link cut short).
UNRESOLVED_RECORD_COUNT = (
    f"MATCH (s:{Label.SOURCE_RECORD}) WHERE NOT (s)-[:{RelType.RESOLVES_TO}]->() RETURN count(s) AS unresolved"
)

# A retired person id points at the persons its records belong to now (one: a merge; several: a
# split); an id in use again (a verdict reversed) points nowhere.
UPSERT_PERSON_REDIRECTS = (
    f"UNWIND $rows AS row MERGE (r:{Label.PERSON_REDIRECT} {{person_id: row.person_id}}) "
    "SET r.to = row.to, r.kind = row.kind, r.at = row.at, r.run_id = row.run_id RETURN count(r) AS written"
)
DELETE_PERSON_REDIRECTS = (
    f"UNWIND $ids AS id MATCH (r:{Label.PERSON_REDIRECT} {{person_id: id}}) DELETE r RETURN count(*) AS deleted"
)

# Persons that no record resolves to any more (merged into another) are removed.
DELETE_ORPHAN_PERSONS = (
    f"MATCH (p:{Label.PERSON}) WHERE NOT ()-[:{RelType.RESOLVES_TO}]->(p) DETACH DELETE p RETURN count(p) AS deleted"
)

# --- subject access (hub pdp export) -----------------------------------------------------------
# Match candidates that compare a record now held by the person, with their verdicts; the other
# side is named by record id only (it may be someone else).
MATCH_CANDIDATES_OF_PERSON = (
    f"MATCH (:{Label.PERSON} {{person_id: $person_id}})<-[:{RelType.RESOLVES_TO}]-(:{Label.SOURCE_RECORD})"
    f"<-[:{RelType.COMPARES}]-(c:{Label.MATCH_CANDIDATE}) WITH DISTINCT c "
    "RETURN c.candidate_id AS candidate_id, c {.*} AS candidate, "
    f"[(c)-[x:{RelType.COMPARES}]->(s:{Label.SOURCE_RECORD}) | {{side: x.side, record_id: s.record_id}}] AS sides "
    "ORDER BY candidate_id"
)
# Retired person ids whose records went (all, or some after a split) to the person.
PERSON_REDIRECTS_TO = (
    f"MATCH (r:{Label.PERSON_REDIRECT}) WHERE $person_id IN r.to "
    "RETURN r.person_id AS person_id, r {.*} AS redirect ORDER BY person_id"
)

# --- live linking (matching/blocking.py, matching/incremental.py) -----------------------------
# Each record carries its blocking-key values (bk_*, strings; schema.BLOCKING_KEY_PROPERTIES), so
# the records that share a key with a few new ones are index lookups, never a read of every
# record. A NIK is looked up on the record's own nik, a KK through its Household.
_RESOLVED_TO = (f"OPTIONAL MATCH (s)-[r:{RelType.RESOLVES_TO}]->(p:{Label.PERSON}) "
                f"RETURN {_RECORD_IDENTITY}, p.person_id AS person_id, r.method AS method, "
                "r.probability AS probability")


# The columns of every read ending in _RESOLVED_TO, typed (``GraphStore.run_values(types=...)``).
RESOLVED_RECORD_TYPES: tuple[type, ...] = (str, str, str, str, str, str, str, str, int, int, str, str, str, bool, str, str,
                                           str, str, str, float)


def _records_sharing(prop: str) -> str:
    return f"UNWIND $values AS v MATCH (s:{Label.SOURCE_RECORD} {{{prop}: v}}) {_RESOLVED_TO}"


RECORDS_SHARING_NIK = _records_sharing("nik")
RECORDS_SHARING_KK = (
    f"UNWIND $values AS v MATCH (:{Label.HOUSEHOLD} {{kk: v}})<-[:{RelType.IN_HOUSEHOLD}]-(s:{Label.SOURCE_RECORD}) "
    f"{_RESOLVED_TO}"
)
RECORDS_SHARING_NAME_YEAR = _records_sharing("bk_name_year")
RECORDS_SHARING_FIRST_DATE = _records_sharing("bk_first_date")
RECORDS_SHARING_SORTED_DISTRICT = _records_sharing("bk_sorted_district")
RECORDS_SHARING_FIRST_VILLAGE = _records_sharing("bk_first_village")
RECORDS_SHARING_DATE_VILLAGE = _records_sharing("bk_date_village")
RECORDS_SHARING_FIRST_REGENCY = _records_sharing("bk_first_regency")
RECORDS_SHARING_PHONE = _records_sharing("bk_phone")
RECORDS_SHARING_REGISTER_ID = _records_sharing("bk_register_id")
RECORDS_SHARING_SORTED_ADDRESS = _records_sharing("bk_sorted_address")
RECORDS_SHARING_LAST_DATE = _records_sharing("bk_last_date")
RECORDS_SHARING_DATE_ADDRESS = _records_sharing("bk_date_address")
# Encounters only (bk_met_first_regency is set on encounter records): what a registered record
# is compared with by ENCOUNTER_KEYS, without reading every record of its first name in the regency.
RECORDS_SHARING_MET_FIRST_REGENCY = _records_sharing("bk_met_first_regency")
# Every lookup above in one statement (one round trip: "seen before?" and a single-row write ask
# with one record). Each part takes its values as $k0, $k1, ... in the order of RECORDS_SHARING_PARTS.
RECORDS_SHARING_PARTS = [
    RECORDS_SHARING_NIK, RECORDS_SHARING_KK, RECORDS_SHARING_NAME_YEAR, RECORDS_SHARING_FIRST_DATE,
    RECORDS_SHARING_SORTED_DISTRICT, RECORDS_SHARING_FIRST_VILLAGE, RECORDS_SHARING_DATE_VILLAGE,
    RECORDS_SHARING_FIRST_REGENCY, RECORDS_SHARING_MET_FIRST_REGENCY, RECORDS_SHARING_PHONE,
    RECORDS_SHARING_REGISTER_ID, RECORDS_SHARING_SORTED_ADDRESS, RECORDS_SHARING_LAST_DATE,
    RECORDS_SHARING_DATE_ADDRESS,
]
RECORDS_SHARING_ANY_KEY = " UNION ALL ".join(q.replace("$values", f"$k{i}") for i, q in enumerate(RECORDS_SHARING_PARTS))
# The keys of a record are written when they differ from those it holds (bk_hash): a full run
# over unchanged records writes none. A key a record no longer has is removed (set to null), and
# so is the key schema 9 retired (bk_first_district): the first run of model 9 rewrites every key.
WRITE_BLOCKING_KEYS = (
    f"UNWIND $rows AS row MATCH (s:{Label.SOURCE_RECORD} {{record_id: row.record_id}}) "
    "WITH s, row WHERE coalesce(s.bk_hash, '') <> row.bk_hash "
    "SET s.bk_hash = row.bk_hash, s.bk_name_year = row.bk_name_year, s.bk_first_date = row.bk_first_date, "
    "s.bk_sorted_district = row.bk_sorted_district, s.bk_first_village = row.bk_first_village, "
    "s.bk_date_village = row.bk_date_village, s.bk_first_regency = row.bk_first_regency, "
    "s.bk_met_first_regency = row.bk_met_first_regency, s.bk_phone = row.bk_phone, "
    "s.bk_register_id = row.bk_register_id, s.bk_sorted_address = row.bk_sorted_address, "
    "s.bk_last_date = row.bk_last_date, s.bk_date_address = row.bk_date_address, s.bk_first_district = null "
    "RETURN count(s) AS written"
)
# Named records whose keys were never written (loaded with --no-link, or before schema 6).
UNKEYED_RECORD_COUNT = (
    f"MATCH (s:{Label.SOURCE_RECORD}) WHERE s.name IS NOT NULL AND s.bk_hash IS NULL RETURN count(s) AS unkeyed"
)
# The records to link, with the person each resolves to now.
RECORDS_BY_IDS = f"UNWIND $ids AS id MATCH (s:{Label.SOURCE_RECORD} {{record_id: id}}) {_RESOLVED_TO}"
# Every record of some persons (a delta record's person, and those it may join).
RECORDS_OF_PERSONS = (
    f"UNWIND $person_ids AS pid MATCH (s:{Label.SOURCE_RECORD})-[r:{RelType.RESOLVES_TO}]->"
    f"(p:{Label.PERSON} {{person_id: pid}}) "
    f"RETURN {_RECORD_IDENTITY}, p.person_id AS person_id, r.method AS method, r.probability AS probability"
)
# References from some records (an attendance row to its resident), and to them.
REFERENCES_FROM_RECORDS = (
    f"UNWIND $ids AS id MATCH (a:{Label.SOURCE_RECORD} {{record_id: id}})-[:{RelType.REFERS_TO}]->"
    f"(b:{Label.SOURCE_RECORD}) RETURN a.record_id AS record_id, b.record_id AS target"
)
REFERENCES_TO_RECORDS = (
    f"UNWIND $ids AS id MATCH (a:{Label.SOURCE_RECORD})-[:{RelType.REFERS_TO}]->"
    f"(b:{Label.SOURCE_RECORD} {{record_id: id}}) RETURN a.record_id AS record_id, b.record_id AS target"
)
# The records one load wrote (new or changed: an unchanged row keeps its earlier batch), read in
# its source's range of the record_id index: what a load links before it returns.
RECORD_IDS_OF_BATCH = (
    f"MATCH (s:{Label.SOURCE_RECORD}) WHERE s.record_id > $after AND s.record_id < $before "
    "AND s.batch_id = $batch_id RETURN s.record_id AS record_id"
)
# Persons (of those given) that no record resolves to any more: a live link retires only these.
DELETE_ORPHAN_PERSONS_AMONG = (
    f"UNWIND $person_ids AS pid MATCH (p:{Label.PERSON} {{person_id: pid}}) "
    f"WHERE NOT ()-[:{RelType.RESOLVES_TO}]->(p) DETACH DELETE p RETURN count(*) AS deleted"
)
# Undecided candidates comparing one of the given records that this run did not propose again.
# The record is found by its index first (``WITH``): in one MATCH FalkorDB scanned every candidate per record.
DELETE_STALE_CANDIDATES_OF_RECORDS = (
    f"UNWIND $ids AS id MATCH (s:{Label.SOURCE_RECORD} {{record_id: id}}) WITH s "
    f"MATCH (c:{Label.MATCH_CANDIDATE})-[:{RelType.COMPARES}]->(s) WHERE c.decision IS NULL AND c.run_id <> $run_id "
    "AND c.held_apart IS NULL WITH DISTINCT c DETACH DELETE c RETURN count(*) AS deleted"
)

# --- housekeeping -------------------------------------------------------------------------
PING = "RETURN 1 AS ok"
NODE_COUNTS = "MATCH (n) UNWIND labels(n) AS label RETURN label, count(*) AS count ORDER BY label"
RELATIONSHIP_COUNTS = "MATCH ()-[r]->() RETURN type(r) AS type, count(*) AS count ORDER BY type"

SCHEMA_VERSION = f"MATCH (m:{Label.HUB_META} {{key: 'schema'}}) RETURN m.version AS version, m.applied_at AS applied_at"
RECORD_SCHEMA_VERSION = (
    f"MERGE (m:{Label.HUB_META} {{key: 'schema'}}) SET m.version = $version, m.applied_at = $applied_at "
    "RETURN m.version AS version"
)

# Neo4j only (FalkorDB drops a whole graph with GRAPH.DELETE): bounded transactions for big graphs.
DELETE_ALL_IN_BATCHES = "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"
NEO4J_ONLY = frozenset({"DELETE_ALL_IN_BATCHES"})


def all_statements() -> dict[str, str]:
    """Every constant of this module, by name: what the contract tests and the Neo4j lint walk."""
    from graph_schema import api_queries, load_queries, statistics_queries, steward_queries, targeting_queries

    modules = (globals(), vars(api_queries), vars(load_queries), vars(steward_queries), vars(statistics_queries),
               vars(targeting_queries))
    return {name: value for module in modules for name, value in module.items()
            if name.isupper() and not name.startswith("_") and isinstance(value, str)}


def shared_statements() -> dict[str, str]:
    """The statements both backends run (all but the Neo4j-only ones)."""
    return {name: q for name, q in all_statements().items() if name not in NEO4J_ONLY}
