"""The API's reads: a person's history, households, networks, aggregates and the review queue.

Each history query takes a list of keys (``UNWIND``) so one DataLoader batch is one round
trip, and returns flat lists of maps: nested pattern comprehensions do not behave alike on
both engines (FalkorDB yields null for the inner one), so events and their handlers or
referrals come back as separate lists and are joined in Python.
"""

from __future__ import annotations

from graph_schema.model import Label, RelType


# --- officer scope ---------------------------------------------------------------------------
# A key may be scoped to a region ($scope: a dotted Kemendagri code, "33.16" or "33.16.01"); a
# person belongs to every region that places them: their home village, each linked record's
# region, each household's region and every village a source placed a household in. A statement
# that returns persons has a scoped twin (``*_IN_SCOPE``) that keeps only those, placed after its
# cheaper filters so that only their survivors are placed. Twins rather than a null $scope in one
# statement: FalkorDB evaluates every pattern comprehension of a WITH whatever CASE surrounds it,
# and a search that gathered the codes for nothing took 9.1 s instead of 1.5 s over 10,000 persons.
# The codes are gathered in a WITH because FalkorDB cannot evaluate a comprehension in a WHERE;
# aliases carry a tag, since FalkorDB mixes up a name reused across comprehensions.
def _placed(person: str, tag: str) -> str:
    """The region codes of ``person``'s records and households (a list; the home village is beside it)."""
    return (f"[({tag}r:{Label.SOURCE_RECORD})-[:{RelType.RESOLVES_TO}]->({person}) | {tag}r.region_code] + "
            f"[({person})-[:{RelType.MEMBER_OF}]->({tag}h:{Label.HOUSEHOLD}) | {tag}h.region_code] + "
            f"[({person})-[:{RelType.MEMBER_OF}]->(:{Label.HOUSEHOLD})-[:{RelType.LOCATED_IN}]->"
            f"({tag}l:{Label.REGION}) | {tag}l.code]")


def _in_scope(carried: str, person: str = "p", tag: str = "sc") -> str:
    """A WITH that carries ``carried`` on and keeps the rows whose ``person`` belongs to $scope."""
    return (f"WITH {carried}, {_placed(person, tag)} AS placed WHERE {person}.region_code STARTS WITH $scope "
            "OR any(code IN placed WHERE code STARTS WITH $scope) ")


# What a person is made of, for the history: node, region, linked records, facts, households.
_PERSON_CORE = (
    f"OPTIONAL MATCH (pr:{Label.REGION} {{code: p.region_code}}) "
    "RETURN key, p {.*} AS person, pr {.*} AS region, "
    f"[(pr)-[:{RelType.PART_OF}*1..3]->(up:{Label.REGION}) | up {{.*}}] AS region_above, "
    f"[(s:{Label.SOURCE_RECORD})-[r:{RelType.RESOLVES_TO}]->(p) | "
    "{record: s {.*}, method: r.method, probability: r.probability, linked_at: r.linked_at}] AS records, "
    f"[(p)-[e:{RelType.ENROLLED_IN}]->(g:{Label.PROGRAM}) | {{program: g.code, name: g.name, funding: g.funding, "
    "from: e.from, to: e.to, status: e.status, source: e.source, source_key: e.source_key}] AS enrolments, "
    f"[(p)-[hc:{RelType.HAS_CONDITION}]->(c:{Label.PPKS_CATEGORY}) | {{code: c.code, name: c.name, "
    "recorded_on: hc.recorded_on, source: hc.source, source_key: hc.source_key}] AS conditions, "
    f"[(p)-[t:{RelType.RESIDENT_OF}]->(n:{Label.PANTI}) | {{panti_id: n.panti_id, name: n.name, kind: n.kind, "
    "from: t.from, to: t.to, source: t.source, source_key: t.source_key}] AS stays, "
    f"[(p)-[m:{RelType.MEMBER_OF}]->(h:{Label.HOUSEHOLD}) | {{kk: h.kk, relation: m.relation}}] AS households"
)

PERSON_CORE_BY_IDS = f"UNWIND $keys AS key MATCH (p:{Label.PERSON} {{person_id: key}}) {_PERSON_CORE}"
_SCOPE_P = _in_scope("key, p")
# For a key scoped to a region: the persons of the keys that belong to $scope (others: no row).
PERSON_CORE_BY_IDS_IN_SCOPE = (
    f"UNWIND $keys AS key MATCH (p:{Label.PERSON} {{person_id: key}}) {_SCOPE_P}{_PERSON_CORE}"
)
# Which of the person ids belong to $scope: the one test every scoped read asks (resolvers/scope.py).
PERSONS_IN_SCOPE = f"UNWIND $keys AS key MATCH (p:{Label.PERSON} {{person_id: key}}) {_SCOPE_P}RETURN key"

# A NIK names the person whose best NIK it is; failing that, the person most of the records
# bearing it resolve to (a NIK a record gives need not be its person's best one), among those
# who own it (``niks``: never a person whose record carries a relative's NIK; matching/resolve.py).
_CHOSEN_BY_NIK = (
    f"UNWIND $keys AS key MATCH (ns:{Label.SOURCE_RECORD} {{nik: key}})-[:{RelType.RESOLVES_TO}]->(q:{Label.PERSON}) "
    "WHERE q.nik = key OR key IN coalesce(q.niks, [key]) "
    "WITH key, q, count(ns) AS stated, CASE WHEN q.nik = key THEN 1 ELSE 0 END AS own "
    "ORDER BY own DESC, stated DESC, q.person_id "
    f"WITH key, collect(q.person_id)[0] AS chosen MATCH (p:{Label.PERSON} {{person_id: chosen}}) "
)
PERSON_CORE_BY_NIKS = f"{_CHOSEN_BY_NIK}{_PERSON_CORE}"
# The same person, only when they belong to $scope: a NIK whose person is outside gives no row,
# as a NIK nobody holds does (never another person inside the scope who also stated it).
PERSON_CORE_BY_NIKS_IN_SCOPE = f"{_CHOSEN_BY_NIK}{_SCOPE_P}{_PERSON_CORE}"

# Where retired person ids went (see UPSERT_PERSON_REDIRECTS).
PERSON_REDIRECTS_BY_IDS = (
    f"UNWIND $keys AS key MATCH (r:{Label.PERSON_REDIRECT} {{person_id: key}}) RETURN key, r {{.*}} AS redirect"
)

EVENTS_BY_PERSONS = (
    f"UNWIND $keys AS key MATCH (p:{Label.PERSON} {{person_id: key}}) RETURN key, "
    f"[(e:{Label.SERVICE_EVENT})-[:{RelType.ABOUT}]->(p) WHERE e.kind <> 'attendance' | e {{.*}}] AS events, "
    f"[(a:{Label.PSKS_ACTOR})-[h:{RelType.HANDLED}]->(he:{Label.SERVICE_EVENT})-[:{RelType.ABOUT}]->(p) | "
    "{event_id: he.event_id, actor_id: a.actor_id, name: a.name, kind: a.kind, role: h.role}] AS handlers, "
    f"[(p)<-[:{RelType.ABOUT}]-(re:{Label.SERVICE_EVENT})-[x:{RelType.REFERRED_TO}]->(t) | "
    "{event_id: re.event_id, target: coalesce(t.agency_id, t.code), name: t.name, status: x.status, date: x.date}] "
    "AS referrals, "
    f"[(p)<-[:{RelType.ABOUT}]-(fe:{Label.SERVICE_EVENT})-[:{RelType.FOLLOWS_UP}]->(o:{Label.SERVICE_EVENT}) | "
    "{event_id: fe.event_id, follows: o.event_id}] AS follow_ups, "
    f"[(ae:{Label.SERVICE_EVENT})-[:{RelType.ABOUT}]->(p) WHERE ae.kind = 'attendance' | "
    "{panti_id: ae.summary, date: ae.date, status: ae.status}] AS attendance"
)
# Aliases are unique across the comprehensions of one statement: FalkorDB mixes up a name
# reused in two of them (the second comes back empty).

HOUSEHOLDS_BY_KKS = (
    f"UNWIND $keys AS key MATCH (h:{Label.HOUSEHOLD} {{kk: key}}) "
    f"OPTIONAL MATCH (hr:{Label.REGION} {{code: h.region_code}}) RETURN key, h {{.*}} AS household, "
    f"hr {{.*}} AS region, [(hr)-[:{RelType.PART_OF}*1..3]->(up:{Label.REGION}) | up {{.*}}] AS region_above, "
    f"[(h)-[:{RelType.LOCATED_IN}]->(r:{Label.REGION}) | r.code] AS located_in, "
    f"[(m:{Label.PERSON})-[x:{RelType.MEMBER_OF}]->(h) | {{person_id: m.person_id, name: m.name, nik: m.nik, "
    "sex: m.sex, birth_date: m.birth_date, relation: x.relation}] AS members, "
    f"[(g:{Label.PROGRAM})<-[:{RelType.ENROLLED_IN}]-(pm:{Label.PERSON})-[:{RelType.MEMBER_OF}]->(h) | "
    "{person_id: pm.person_id, program: g.code}] AS member_programs"
)

# A region and the regions above it (village -> district -> regency -> province).
REGIONS_BY_CODES = (
    f"UNWIND $keys AS key MATCH (r:{Label.REGION} {{code: key}}) RETURN key, r {{.*}} AS region, "
    f"[(r)-[:{RelType.PART_OF}*1..3]->(up:{Label.REGION}) | up {{.*}}] AS above"
)

# --- analysts -------------------------------------------------------------------------------
# Who is searched for: $birth_date (ISO) is the best birth date; $birth_year ("1955") the best
# date's year or, for a person without a date, a year one of their records gives; $region a
# prefix of the person's dotted region code. Each is null when not asked. The records' years are
# gathered in a WITH, not in the WHERE: FalkorDB cannot evaluate a pattern comprehension there.
_SEARCH_FILTERS = (
    "WITH p, score, CASE WHEN $birth_year IS NULL OR p.birth_date IS NOT NULL THEN [] ELSE "
    f"[(y:{Label.SOURCE_RECORD})-[:{RelType.RESOLVES_TO}]->(p) | y.birth_year] END AS years "
    "WHERE ($birth_date IS NULL OR p.birth_date = $birth_date) "
    "AND ($birth_year IS NULL OR p.birth_date STARTS WITH $birth_year OR toInteger($birth_year) IN years) "
    "AND ($region IS NULL OR p.region_code STARTS WITH $region)"
)
# How well a name t (its words) fits the searched words ($words: per word, in order, the forms
# it may take; a one-letter form is an initial). A word fits a form equal to it; "as initials"
# also lets an initial on either side fit a word it starts (position by position, so one
# initial never stands for two words).
_EXACTLY = "size(t) = size($words) AND all(i IN range(0, size(t) - 1) WHERE t[i] IN $words[i])"
_IN_ORDER_WITH_INITIALS = (
    "size(t) = size($words) AND all(i IN range(0, size(t) - 1) WHERE t[i] IN $words[i] "
    "OR any(a IN $words[i] WHERE left(t[i], 1) = a OR left(a, 1) = t[i]))"
)
_HOLDS_EVERY_WORD = "all(w IN $words WHERE any(x IN t WHERE x IN w OR any(a IN w WHERE size(a) = 1 AND left(x, 1) = a)))"
# Persons by the full-text index over every folded name (search_names, `` | `` between names),
# ranked first by how well their best-fitting name fits, then by the index's score: fit 3, a
# name is exactly the words; 2, the words in order, some as initials; 1, a name holds every word
# (in another order, or among more words); 0, only the index's fuzzy match. So an exact match
# ranks first whatever the engine's scores. Keyset order: fit, score, person_id.
def _search_by_name(scope: str) -> str:
    return (
        "%%FULLTEXT_PERSON_NAMES%% YIELD node, score "
        f"WITH node AS p, score {_SEARCH_FILTERS} {scope}"
        "WITH p, score, [n IN split(p.search_names, ' | ') | split(n, ' ')] AS names "
        f"WITH p, score, CASE WHEN any(t IN names WHERE {_EXACTLY}) THEN 3 "
        f"WHEN any(t IN names WHERE {_IN_ORDER_WITH_INITIALS}) THEN 2 "
        f"WHEN any(t IN names WHERE {_HOLDS_EVERY_WORD}) THEN 1 ELSE 0 END AS fit "
        "WHERE $after IS NULL OR fit < $after[0] OR (fit = $after[0] AND (score < $after[1] "
        "OR (score = $after[1] AND p.person_id > $after[2]))) "
        "RETURN p {.*} AS person, fit, score ORDER BY fit DESC, score DESC, p.person_id LIMIT $limit"
    )


PERSON_SEARCH_BY_NAME = _search_by_name("")
PERSON_SEARCH_BY_NAME_IN_SCOPE = _search_by_name(_in_scope("p, score"))
# Without a name: every person the filters keep, by person_id (fit 0 and score 1.0 for all, so
# both searches share one cursor shape).
_FILTERED = (
    f"MATCH (p:{Label.PERSON}) WITH p, 1.0 AS score {_SEARCH_FILTERS} "
    "AND ($after IS NULL OR p.person_id > $after[2]) "
)
_FILTERED_PAGE = "RETURN p {.*} AS person, 0 AS fit, score ORDER BY p.person_id LIMIT $limit"
PERSON_SEARCH_BY_FILTERS = f"{_FILTERED}{_FILTERED_PAGE}"
PERSON_SEARCH_BY_FILTERS_IN_SCOPE = f"{_FILTERED}{_in_scope('p, score')}{_FILTERED_PAGE}"

# One step of a household network walk, from persons to their households and back.
HOUSEHOLDS_OF_PERSONS = (
    f"UNWIND $keys AS key MATCH (p:{Label.PERSON} {{person_id: key}})-[m:{RelType.MEMBER_OF}]->(h:{Label.HOUSEHOLD}) "
    "RETURN key AS person_id, p.name AS name, h.kk AS kk, h.decile AS decile, h.region_code AS region_code, "
    "m.relation AS relation "
    "ORDER BY person_id, kk"
)
_MEMBERS = f"UNWIND $keys AS key MATCH (p:{Label.PERSON})-[m:{RelType.MEMBER_OF}]->(h:{Label.HOUSEHOLD} {{kk: key}}) "
_MEMBER_ROWS = ("RETURN key AS kk, p.person_id AS person_id, p.name AS name, p.sex AS sex, p.birth_date AS birth_date, "
                "m.relation AS relation ORDER BY kk, person_id")
MEMBERS_OF_HOUSEHOLDS = f"{_MEMBERS}{_MEMBER_ROWS}"
# A scoped walk never steps onto a person outside the region.
MEMBERS_OF_HOUSEHOLDS_IN_SCOPE = f"{_MEMBERS}{_in_scope('key, p, m')}{_MEMBER_ROWS}"
PROGRAMS_OF_PERSONS = (
    f"UNWIND $keys AS key MATCH (p:{Label.PERSON} {{person_id: key}})-[e:{RelType.ENROLLED_IN}]->(g:{Label.PROGRAM}) "
    "RETURN DISTINCT key AS person_id, g.code AS program, g.name AS name ORDER BY person_id, program"
)

# Persons of a region per sub-region (the first $width characters of their village code).
PROGRAM_COVERAGE = (
    f"MATCH (p:{Label.PERSON}) WHERE p.region_code STARTS WITH $region "
    "WITH left(p.region_code, $width) AS area, "
    f"size([(p)-[:{RelType.ENROLLED_IN}]->(g:{Label.PROGRAM} {{code: $program}}) | 1]) > 0 AS enrolled, "
    f"size([(p)<-[:{RelType.RESOLVES_TO}]-(s:{Label.SOURCE_RECORD} {{source: 'dtks'}}) | 1]) > 0 AS registered "
    "WITH area, count(*) AS persons, sum(CASE WHEN registered THEN 1 ELSE 0 END) AS dtks_persons, "
    "sum(CASE WHEN enrolled THEN 1 ELSE 0 END) AS enrolled, "
    "sum(CASE WHEN enrolled AND registered THEN 1 ELSE 0 END) AS enrolled_in_dtks "
    f"OPTIONAL MATCH (r:{Label.REGION} {{code: area}}) "
    "RETURN area, r.name AS name, persons, dtks_persons, enrolled, enrolled_in_dtks ORDER BY area"
)
# The set of the asked programs each enrolled person of the region has (order within a set is
# the engine's; the caller folds equal sets).
PROGRAM_OVERLAP = (
    f"MATCH (p:{Label.PERSON})-[:{RelType.ENROLLED_IN}]->(g:{Label.PROGRAM}) "
    "WHERE g.code IN $programs AND p.region_code STARTS WITH $region "
    "WITH p, collect(DISTINCT g.code) AS programs RETURN programs, count(*) AS persons"
)
# How many persons share each (village, birth year, sex) within each of $regions (dotted regency
# codes): the census that k-anonymity reads (hub/privacy/disclosure.py caches it per regency, so
# no request scans the persons). Year and sex are null where the person's best value is unknown.
QUASI_IDENTIFIER_COUNTS = (
    f"UNWIND $regions AS region MATCH (p:{Label.PERSON}) WHERE p.region_code STARTS WITH region "
    "RETURN region, p.region_code AS village, left(p.birth_date, 4) AS year, p.sex AS sex, count(*) AS persons"
)

# --- stewards -------------------------------------------------------------------------------
# Persons whose records disagree on who they are (matching/identity.py), those most likely two
# people first, then those with most records: the most consequential errors a steward can fix.
# Keyset-paged on (conflict_rank, record_count, person_id).
_CONFLICTING = (
    f"MATCH (p:{Label.PERSON}) WHERE p.conflicts IS NOT NULL "
    "AND ($region IS NULL OR p.region_code STARTS WITH $region) "
    "AND ($after IS NULL OR p.conflict_rank < $after[0] OR (p.conflict_rank = $after[0] AND "
    "(p.record_count < $after[1] OR (p.record_count = $after[1] AND p.person_id > $after[2])))) "
)
_CONFLICTING_PAGE = ("RETURN p.person_id AS person_id, p.conflict_rank AS rank, p.record_count AS record_count, "
                     "p.conflicts AS reasons, p.name AS name ORDER BY rank DESC, record_count DESC, person_id LIMIT $limit")
CONFLICTING_PERSONS_PAGE = f"{_CONFLICTING}{_CONFLICTING_PAGE}"
CONFLICTING_PERSONS_PAGE_IN_SCOPE = f"{_CONFLICTING}{_in_scope('p')}{_CONFLICTING_PAGE}"
_CANDIDATES = (
    f"MATCH (c:{Label.MATCH_CANDIDATE}) WHERE ($status IS NULL OR c.status = $status) "
    f"WITH c, [(c)-[:{RelType.COMPARES}]->(rs:{Label.SOURCE_RECORD}) | rs.region_code] AS regions "
    "WHERE ($region IS NULL OR any(code IN regions WHERE code STARTS WITH $region)) "
    "AND ($after IS NULL OR c.priority < $after[0] OR (c.priority = $after[0] AND c.candidate_id > $after[1])) "
)
_CANDIDATES_PAGE = (
    "RETURN c {.*} AS candidate, "
    f"[(c)-[x:{RelType.COMPARES}]->(s:{Label.SOURCE_RECORD}) | {{side: x.side, record: s {{.*}}}}] AS sides, "
    f"[(c)-[y:{RelType.COMPARES}]->(:{Label.SOURCE_RECORD})-[:{RelType.RESOLVES_TO}]->(p:{Label.PERSON}) | "
    "{side: y.side, person_id: p.person_id}] AS persons "
    "ORDER BY c.priority DESC, c.candidate_id LIMIT $limit"
)
MATCH_CANDIDATES_PAGE = f"{_CANDIDATES}{_CANDIDATES_PAGE}"
# Scoped: every side's person belongs to $scope (a side whose record no person holds: the record's region).
MATCH_CANDIDATES_PAGE_IN_SCOPE = (
    f"{_CANDIDATES}"
    f"MATCH (c)-[:{RelType.COMPARES}]->(cs:{Label.SOURCE_RECORD}) "
    f"OPTIONAL MATCH (cs)-[:{RelType.RESOLVES_TO}]->(cp:{Label.PERSON}) "
    f"WITH c, cs, cp, CASE WHEN cp IS NULL THEN [] ELSE {_placed('cp', 'cs')} END AS placed "
    "WITH c, collect(CASE WHEN coalesce(cp.region_code, cs.region_code) STARTS WITH $scope "
    "OR any(code IN placed WHERE code STARTS WITH $scope) THEN null ELSE 1 END) AS outside "
    f"WHERE size(outside) = 0 {_CANDIDATES_PAGE}"
)

# Everything a verdict moves: both sides' persons and every record they hold, with identity.
CANDIDATE_PERSON_RECORDS = (
    f"MATCH (c:{Label.MATCH_CANDIDATE} {{candidate_id: $candidate_id}})-[x:{RelType.COMPARES}]->"
    f"(:{Label.SOURCE_RECORD})-[:{RelType.RESOLVES_TO}]->(p:{Label.PERSON}) "
    f"MATCH (p)<-[r:{RelType.RESOLVES_TO}]-(s:{Label.SOURCE_RECORD}) "
    "RETURN DISTINCT x.side AS side, p.person_id AS person_id, s.record_id AS record_id, r.method AS method, "
    "r.probability AS probability, s.source AS source, s.nik AS nik, s.nik_birth_date AS nik_birth_date, "
    "s.nik_sex AS nik_sex, s.kk AS kk, s.name AS name, s.birth_date AS birth_date, s.birth_year AS birth_year, "
    "s.age AS age, s.sex AS sex, s.mother_name AS mother_name, s.region_code AS region_code, "
    "s.encounter AS encounter ORDER BY side, record_id"
)
CANDIDATE_RECORD_SIDES = (
    f"MATCH (c:{Label.MATCH_CANDIDATE} {{candidate_id: $candidate_id}})-[x:{RelType.COMPARES}]->"
    f"(s:{Label.SOURCE_RECORD}) RETURN x.side AS side, s.record_id AS record_id ORDER BY side"
)

# --- demo -----------------------------------------------------------------------------------
# A person worth showing: records from the most sources, with a household, programs and events.
SHOWCASE_PERSON = (
    f"MATCH (p:{Label.PERSON})<-[:{RelType.RESOLVES_TO}]-(s:{Label.SOURCE_RECORD}) WHERE p.nik IS NOT NULL "
    "WITH p, count(DISTINCT s.source) AS sources "
    f"WITH p, sources, size([(p)-[:{RelType.MEMBER_OF}]->(h:{Label.HOUSEHOLD}) | h]) AS households, "
    f"size([(p)-[:{RelType.ENROLLED_IN}]->(g:{Label.PROGRAM}) | g]) AS programs, "
    f"size([(e:{Label.SERVICE_EVENT})-[:{RelType.ABOUT}]->(p) | e]) AS events "
    "WHERE households > 0 AND programs > 0 AND events > 0 "
    "RETURN p.person_id AS person_id, p.nik AS nik, p.name AS name, sources "
    "ORDER BY sources DESC, person_id LIMIT 1"
)

# A person the registers know and street outreach met without a NIK, linked into one: what
# `make demo` shows for "have we met this person before?".
STREET_SHOWCASE_PERSON = (
    f"MATCH (p:{Label.PERSON})<-[:{RelType.RESOLVES_TO}]-(s:{Label.SOURCE_RECORD}) "
    "WITH p, collect(DISTINCT s.source) AS sources, "
    "sum(CASE WHEN s.encounter = true AND s.nik IS NULL THEN 1 ELSE 0 END) AS met_without_nik "
    "WHERE $registry IN sources AND any(x IN sources WHERE x STARTS WITH $roster_prefix) "
    "AND met_without_nik >= $min_met "
    "RETURN p.person_id AS person_id, p.name AS name, sources, met_without_nik "
    "ORDER BY met_without_nik DESC, size(sources) DESC, person_id LIMIT 1"
)

# --- benchmarks -----------------------------------------------------------------------------
PERSON_KEYS = f"MATCH (p:{Label.PERSON}) RETURN p.person_id AS person_id, p.kk AS kk ORDER BY person_id"
# Every source record with the person it resolves to (none: null) and the identity fields a
# person's records show through the API: what ``hub bench truth`` compares with the truth.
RECORD_PERSON_LINKS = (
    f"MATCH (s:{Label.SOURCE_RECORD}) OPTIONAL MATCH (s)-[:{RelType.RESOLVES_TO}]->(p:{Label.PERSON}) "
    "RETURN s.source AS source, s.source_key AS source_key, p.person_id AS person_id, s.nik AS nik, "
    "s.sex AS sex, s.birth_date AS birth_date, s.encounter AS encounter, s.region_code AS region_code, s.kk AS kk "
    "ORDER BY source, source_key"
)
