"""Counts per region (and per month where dated) beyond programs: PPKS, PSKS, SLRT, outreach, proposals, panti.

Every statement returns the same columns, one row per cell: ``area`` (the first ``$width``
characters of a dotted region code) and ``area_name``, ``month`` ("2024-03", or null unless
``$month``), ``grp`` and ``label`` (what is counted apart: a category, a status, an agency...),
``n`` (events, actors or stays), ``persons`` (distinct persons they are about, or null) and
``extra`` (a third count some statistics have, or null).

A region is asked as the range ``$lo <= code < $hi`` (``region_range``), not ``STARTS WITH``:
FalkorDB answers a range from the property's index, and scans every node for ``STARTS WITH``.
Events carry the region of their source row (complaints, outreach, PPKS registrations,
proposals); referrals count in the region of the complaint they follow up; panti figures in
the region their residents come from.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from graph_schema.model import Label, RelType
from graph_schema.port import GraphStore, Statement

# Above every character of a Kemendagri code (digits and dots): "33.16" <= code < "33.16~" holds exactly for codes
# under 33.16. ("\uffff" would do in Neo4j, but FalkorDB finds nothing below a string of it alone.)
_TOP = "~"


def region_range(prefix: str) -> dict[str, str]:
    """The ``$lo``/``$hi`` parameters of the codes that start with ``prefix`` ("" for every code)."""
    return {"lo": prefix, "hi": prefix + _TOP}


def _events(kind: str, alias: str = "e") -> str:
    return (f"MATCH ({alias}:{Label.SERVICE_EVENT}) WHERE {alias}.region_code >= $lo AND {alias}.region_code < $hi "
            f"AND {alias}.kind = '{kind}' ")


_AREA = "left(e.region_code, $width) AS area"
_MONTH = "CASE WHEN $month THEN left({date}, 7) ELSE null END AS month"
_SUBJECT = f"OPTIONAL MATCH (e)-[:{RelType.ABOUT}]->(p:{Label.PERSON}) "
_COUNTS = "count(DISTINCT e) AS n, count(DISTINCT p) AS persons, null AS extra "
_CELLS = (f"OPTIONAL MATCH (r:{Label.REGION} {{code: area}}) "
          "RETURN area, r.name AS area_name, month, grp, label, n, persons, extra ORDER BY area, month, grp")

# PPKS registrations per category (the category their register row lists), and the persons registered.
PPKS_BY_CATEGORY = (
    f"{_events('ppks_registration')}"
    f"OPTIONAL MATCH (e)-[:{RelType.RECORDED_IN}]->(:{Label.SOURCE_RECORD})-[:{RelType.LISTS_CONDITION}]->"
    f"(c:{Label.PPKS_CATEGORY}) {_SUBJECT}"
    f"WITH {_AREA}, {_MONTH.format(date='e.date')}, c.code AS grp, c.name AS label, {_COUNTS}{_CELLS}"
)
# PSKS actors per kind, in the district they are assigned to (undated: the register gives no date the graph keeps).
PSKS_BY_KIND = (
    f"MATCH (a:{Label.PSKS_ACTOR}) WHERE a.region_code >= $lo AND a.region_code < $hi "
    "WITH left(a.region_code, $width) AS area, null AS month, a.kind AS grp, a.kind AS label, count(*) AS n, "
    f"null AS persons, null AS extra {_CELLS}"
)
COMPLAINTS_BY_STATUS = (
    f"{_events('complaint')}{_SUBJECT}"
    f"WITH {_AREA}, {_MONTH.format(date='e.date')}, e.status AS grp, e.status AS label, {_COUNTS}{_CELLS}"
)
_REFERRALS = (
    f"{_events('complaint', 'c')}"
    f"MATCH (e:{Label.SERVICE_EVENT})-[:{RelType.FOLLOWS_UP}]->(c) WHERE e.kind = 'referral' {_SUBJECT}"
)
REFERRALS_BY_STATUS = (
    f"{_REFERRALS}WITH left(c.region_code, $width) AS area, {_MONTH.format(date='e.date')}, e.status AS grp, "
    f"e.status AS label, {_COUNTS}{_CELLS}"
)
# The agency or program a referral went to (a referral names one).
REFERRALS_BY_AGENCY = (
    f"{_REFERRALS}OPTIONAL MATCH (e)-[:{RelType.REFERRED_TO}]->(t) "
    f"WITH left(c.region_code, $width) AS area, {_MONTH.format(date='e.date')}, coalesce(t.agency_id, t.code) AS grp, "
    f"coalesce(t.name, t.agency_id, t.code) AS label, {_COUNTS}{_CELLS}"
)
# Encounters, persons met, and persons met twice or more in the cell (extra).
OUTREACH_ENCOUNTERS = (
    f"{_events('outreach')}{_SUBJECT}"
    f"WITH {_AREA}, {_MONTH.format(date='e.date')}, p, count(DISTINCT e) AS times "
    "WITH area, month, null AS grp, null AS label, sum(times) AS n, count(p) AS persons, "
    f"sum(CASE WHEN p IS NOT NULL AND times >= 2 THEN 1 ELSE 0 END) AS extra {_CELLS}"
)
# KIS-PBI APBD proposals (the event's summary is the proposal's kind code).
_PROPOSALS = f"{_events('proposal')}AND e.summary = 'kis_pbi_apbd' {_SUBJECT}"
PROPOSALS_BY_STATUS = (
    f"{_PROPOSALS}WITH {_AREA}, {_MONTH.format(date='e.date')}, e.status AS grp, e.status AS label, {_COUNTS}{_CELLS}"
)
# The welfare category is kept only in the proposal's raw row: $welfare_key is the JSON text before its value
# ('"KATEGORI_KESEJAHTERAAN": "', from the mapping), so the value is what follows it up to the closing quote.
PROPOSALS_BY_WELFARE = (
    f"{_PROPOSALS}OPTIONAL MATCH (e)-[:{RelType.RECORDED_IN}]->(s:{Label.SOURCE_RECORD}) "
    f"WITH e, p, split(split(s.raw, $welfare_key)[1], '\"')[0] AS welfare "
    f"WITH {_AREA}, {_MONTH.format(date='e.date')}, welfare AS grp, welfare AS label, {_COUNTS}{_CELLS}"
)
# Stays per panti by the month they began; extra: stays still open (current residents); the region is that of
# the resident. Started from the panti (a few hundred, with a few thousand residents in a province), not from the
# region's persons: filtered on a projected code, which FalkorDB cannot push down to read a province's persons
# by the region index first (as it does a filter on p.region_code, even after a WITH).
PANTI_RESIDENTS = (
    f"MATCH (t:{Label.PANTI})<-[s:{RelType.RESIDENT_OF}]-(p:{Label.PERSON}) "
    "WITH t, s, p, p.region_code AS code WHERE code >= $lo AND code < $hi "
    f"WITH left(code, $width) AS area, {_MONTH.format(date='s.from')}, t.panti_id AS grp, t.name AS label, "
    "count(s) AS n, count(DISTINCT p) AS persons, sum(CASE WHEN s.to IS NULL THEN 1 ELSE 0 END) AS extra "
    f"{_CELLS}"
)
# Attendance checks per panti (the event's summary is the panti code) and those present (extra). Started from
# the checks (kind index; a panti resident's few dozen each), as the residents above.
PANTI_ATTENDANCE = (
    f"MATCH (e:{Label.SERVICE_EVENT} {{kind: 'attendance'}})-[:{RelType.ABOUT}]->(p:{Label.PERSON}) "
    "WITH e, p WHERE p.region_code >= $lo AND p.region_code < $hi "
    f"WITH left(p.region_code, $width) AS area, {_MONTH.format(date='e.date')}, e.summary AS grp, "
    "count(DISTINCT e) AS n, count(DISTINCT p) AS persons, "
    "sum(CASE WHEN e.status = 'present' THEN 1 ELSE 0 END) AS extra "
    f"OPTIONAL MATCH (t:{Label.PANTI} {{panti_id: grp}}) "
    "WITH area, month, grp, coalesce(t.name, grp) AS label, n, persons, extra "
    f"{_CELLS}"
)

# When the data the statistics count last changed: a fresh stamp on every load, link and write that changes it.
# Cached answers are keyed by it (resolvers/stats_cache.py). applied_at, like the schema's, is a time: kept
# out of graph comparisons that set times aside, so a re-run that ends in the same graph compares equal.
DATA_STAMP = f"MATCH (m:{Label.HUB_META} {{key: 'data'}}) RETURN m.applied_at AS stamp"
MARK_DATA_CHANGED = f"MERGE (m:{Label.HUB_META} {{key: 'data'}}) SET m.applied_at = $stamp RETURN m.applied_at AS stamp"


def data_changed() -> Statement:
    """The statement giving the graph's data a new stamp, for a batch that changes it to end with."""
    return Statement(MARK_DATA_CHANGED, {"stamp": f"{datetime.now(UTC).isoformat()}~{uuid4().hex[:12]}"})


async def mark_data_changed(store: GraphStore) -> str:
    """Give the graph's data a new stamp (after a load, link or write has committed): cached statistics lapse."""
    statement = data_changed()
    await store.run(statement.query, statement.params, write=True)
    return str(statement.params["stamp"])


async def data_stamp(store: GraphStore) -> str:
    """The current stamp ("" before the first change was marked)."""
    rows = await store.run(DATA_STAMP)
    return str(rows[0]["stamp"]) if rows and rows[0]["stamp"] else ""


# The regency holding most persons (what `hub bench statistics` asks a regency's figures of).
BIGGEST_REGENCY = (
    f"MATCH (p:{Label.PERSON}) WHERE p.region_code >= '' RETURN left(p.region_code, 5) AS regency, count(*) AS n "
    "ORDER BY n DESC, regency LIMIT 1"
)
