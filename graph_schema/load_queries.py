"""The loader's write statements. Their rows are lists in a fixed column order, not maps.

Why lists: FalkorDB parses 5,000 rows sent as lists in less than half the time it needs for
the same rows as maps, and the FalkorDB adapter encodes lists of plain values with orjson
instead of walking every key in Python (``falkordb_store.py``). The columns of a statement are
its node's or relationship's properties in the model's order (``COLUMNS``), so the rows the
loader builds and the statements that read them agree by construction.

What each kind of statement does with a row:

* ``UPSERT_<entities>`` MERGE on the node key. A null column leaves the stored value: a later
  mention fills in what an earlier stub lacked and never erases it.
* ``UPSERT_SOURCE_RECORDS`` MERGEs on ``record_id`` and sets every column, nulls included: a
  record is replaced by its newer row (the loader keeps what it was in ``previous``).
* ``LINK_<facts>`` MATCH both ends and MERGE the relationship on its identity properties;
  a null column leaves the stored value, as for entities.
* ``CREATE_SOURCE_RECORDS`` and ``CREATE_<record facts>`` are for records the load has just
  found absent (``loaders/run.py``). A record that does not exist has no relationships, so
  there is nothing to MERGE against, and CREATE skips that search (a third of the server's
  time per DTKS row). Running them again stays safe: a batch resumed after a crash finds its
  records present and sends the MERGE forms, and ``record_id`` is unique, so a CREATE can
  never make a second record.
"""

from __future__ import annotations

from graph_schema.model import ACTOR_RECORDED_IN, NODES, REFERRED_TO_PROGRAM, RELATIONSHIPS, Label, RelSpec, RelType

Columns = tuple[str, ...]


def node_columns(label: Label) -> Columns:
    return NODES[label].all_properties


def link_columns(spec: RelSpec) -> Columns:
    """``start.<key>``, ``end.<key>``, then the relationship's properties."""
    return (*(f"start.{k}" for k in NODES[spec.start].key), *(f"end.{k}" for k in NODES[spec.end].key),
            *spec.properties)


def _match(var: str, label: Label, first: int) -> str:
    keys = ", ".join(f"{k}: row[{first + i}]" for i, k in enumerate(NODES[label].key))
    return f"MATCH ({var}:{label} {{{keys}}})"


def _set(var: str, columns: Columns, first: int, *, keep_stored: bool, only: Columns | None = None) -> str:
    """SET of the columns (row positions from ``first``); ``keep_stored``: a null leaves the stored value."""
    assignments = [f"{var}.`{c}` = coalesce(row[{first + i}], {var}.`{c}`)" if keep_stored
                   else f"{var}.`{c}` = row[{first + i}]" for i, c in enumerate(columns) if only is None or c in only]
    return f" SET {', '.join(assignments)}" if assignments else ""


# The columns of every statement of this module, by statement text; for the facts whose one
# end is a record, which end (by the MERGE form) and the CREATE form. Filled as they are made.
COLUMNS: dict[str, Columns] = {}
RECORD_END: dict[str, str] = {}
CREATE_FORM: dict[str, str] = {}


def upsert_nodes(label: Label) -> str:
    spec = NODES[label]
    keys = ", ".join(f"{k}: row[{i}]" for i, k in enumerate(spec.key))
    text = (f"UNWIND $rows AS row MERGE (n:{label} {{{keys}}})"
            f"{_set('n', tuple(spec.properties), len(spec.key), keep_stored=True)} RETURN count(n) AS written")
    COLUMNS[text] = node_columns(label)
    return text


def _link(spec: RelSpec, *, create: bool) -> str:
    ends = len(NODES[spec.start].key) + len(NODES[spec.end].key)
    props = tuple(spec.properties)
    head = (f"UNWIND $rows AS row {_match('a', spec.start, 0)} "
            f"{_match('b', spec.end, len(NODES[spec.start].key))} ")
    if create:
        text = (f"{head}CREATE (a)-[r:{spec.rel_type}]->(b){_set('r', props, ends, keep_stored=False)} "
                "RETURN count(r) AS written")
    else:
        identity = ", ".join(f"`{p}`: row[{ends + props.index(p)}]" for p in spec.identity)
        identity = f" {{{identity}}}" if identity else ""
        rest = tuple(p for p in props if p not in spec.identity)
        text = (f"{head}MERGE (a)-[r:{spec.rel_type}{identity}]->(b)"
                f"{_set('r', props, ends, keep_stored=True, only=rest)} RETURN count(r) AS written")
    COLUMNS[text] = link_columns(spec)
    return text


def upsert_links(spec: RelSpec) -> str:
    return _link(spec, create=False)


def record_facts(spec: RelSpec, record_end: str) -> tuple[str, str]:
    """The MERGE and the CREATE form of a fact whose ``record_end`` ("start"/"end") is a record."""
    merge, create = _link(spec, create=False), _link(spec, create=True)
    RECORD_END[merge], CREATE_FORM[merge] = record_end, create
    return merge, create


# What every record of one load shares is a parameter of its own, not a column: sent once, not
# once a row (a sixth of a DTKS row's bytes).
BATCH_PARAMETERS = ("batch_id", "file_hash", "loaded_at")
# A SourceRecord's row: its properties in the model's order, less the batch's (``loaders/records.py``
# builds records in this order).
RECORD_COLUMNS = tuple(c for c in node_columns(Label.SOURCE_RECORD) if c not in BATCH_PARAMETERS)
_SET_BATCH = ", ".join(f"n.{p} = ${p}" for p in BATCH_PARAMETERS)

# --- source records (parameters: $rows, $batch_id, $file_hash, $loaded_at) -----------------
CREATE_SOURCE_RECORDS = (
    f"UNWIND $rows AS row CREATE (n:{Label.SOURCE_RECORD}){_set('n', RECORD_COLUMNS, 0, keep_stored=False)}, "
    f"{_SET_BATCH} RETURN count(n) AS written"
)
UPSERT_SOURCE_RECORDS = (
    f"UNWIND $rows AS row MERGE (n:{Label.SOURCE_RECORD} {{record_id: row[0]}})"
    f"{_set('n', RECORD_COLUMNS[1:], 1, keep_stored=False)}, {_SET_BATCH} RETURN count(n) AS written"
)
COLUMNS[CREATE_SOURCE_RECORDS] = COLUMNS[UPSERT_SOURCE_RECORDS] = RECORD_COLUMNS

# A new record and the household its row names, in one statement: the record is linked as it
# is made, not looked up again by a statement of its own (a tenth of the server's time per
# DTKS row). The household is written earlier in the batch. A row without one has a null kk,
# which matches no household, so its record is made and not linked. (Not a WHERE on the row:
# FalkorDB moves it ahead of the CREATE, and the row's record would not be made at all.)
_IN_HOUSEHOLD = RELATIONSHIPS[RelType.IN_HOUSEHOLD]
_AFTER_RECORD = len(RECORD_COLUMNS)
CREATE_SOURCE_RECORDS_IN_HOUSEHOLDS = (
    f"{CREATE_SOURCE_RECORDS.removesuffix(' RETURN count(n) AS written')} "
    f"WITH n, row {_match('h', Label.HOUSEHOLD, _AFTER_RECORD)} "
    f"CREATE (n)-[r:{RelType.IN_HOUSEHOLD}]->(h)"
    f"{_set('r', tuple(_IN_HOUSEHOLD.properties), _AFTER_RECORD + 1, keep_stored=False)} RETURN count(r) AS written"
)
COLUMNS[CREATE_SOURCE_RECORDS_IN_HOUSEHOLDS] = (*RECORD_COLUMNS, *link_columns(_IN_HOUSEHOLD)[1:])

# --- entities the rows mention ------------------------------------------------------------
UPSERT_HOUSEHOLDS = upsert_nodes(Label.HOUSEHOLD)
UPSERT_REGIONS = upsert_nodes(Label.REGION)
UPSERT_PROGRAMS = upsert_nodes(Label.PROGRAM)
UPSERT_PPKS_CATEGORIES = upsert_nodes(Label.PPKS_CATEGORY)
UPSERT_PANTI = upsert_nodes(Label.PANTI)
UPSERT_PSKS_ACTORS = upsert_nodes(Label.PSKS_ACTOR)
UPSERT_AGENCIES = upsert_nodes(Label.AGENCY)
UPSERT_SERVICE_EVENTS = upsert_nodes(Label.SERVICE_EVENT)

# Households with the region their row names, in one statement: the household is linked as it
# is written, not matched again by a statement of its own. A null region matches no region (the
# household is still written); a household named with another region elsewhere in the batch is
# linked to that one by LINK_HOUSEHOLD_REGIONS.
HOUSEHOLD_REGION = node_columns(Label.HOUSEHOLD).index("region_code")  # the column the statement links by
UPSERT_HOUSEHOLDS_IN_REGIONS = (
    f"{UPSERT_HOUSEHOLDS.removesuffix(' RETURN count(n) AS written')} WITH n, row "
    f"{_match('r', Label.REGION, HOUSEHOLD_REGION)} MERGE (n)-[:{RelType.LOCATED_IN}]->(r) RETURN count(n) AS written"
)
COLUMNS[UPSERT_HOUSEHOLDS_IN_REGIONS] = COLUMNS[UPSERT_HOUSEHOLDS]

# --- facts: a record's own (MERGE, and CREATE for a record created in this batch) ----------
LINK_RECORD_HOUSEHOLDS, CREATE_RECORD_HOUSEHOLDS = record_facts(RELATIONSHIPS[RelType.IN_HOUSEHOLD], "start")
LINK_RECORD_ENROLMENTS, CREATE_RECORD_ENROLMENTS = record_facts(RELATIONSHIPS[RelType.LISTS_ENROLMENT], "start")
LINK_RECORD_CONDITIONS, CREATE_RECORD_CONDITIONS = record_facts(RELATIONSHIPS[RelType.LISTS_CONDITION], "start")
LINK_RECORD_STAYS, CREATE_RECORD_STAYS = record_facts(RELATIONSHIPS[RelType.LISTS_STAY], "start")
LINK_RECORD_REFERENCES, CREATE_RECORD_REFERENCES = record_facts(RELATIONSHIPS[RelType.REFERS_TO], "start")
LINK_ACTOR_RECORDS, CREATE_ACTOR_RECORDS = record_facts(ACTOR_RECORDED_IN, "end")
LINK_EVENT_RECORDS, CREATE_EVENT_RECORDS = record_facts(RELATIONSHIPS[RelType.RECORDED_IN], "end")

# --- facts between the entities -----------------------------------------------------------
LINK_HOUSEHOLD_REGIONS = upsert_links(RELATIONSHIPS[RelType.LOCATED_IN])
LINK_REGION_PARENTS = upsert_links(RELATIONSHIPS[RelType.PART_OF])
LINK_ACTOR_REGIONS = upsert_links(RELATIONSHIPS[RelType.ASSIGNED_TO])
LINK_EVENT_HANDLERS = upsert_links(RELATIONSHIPS[RelType.HANDLED])
LINK_REFERRALS_TO_AGENCIES = upsert_links(RELATIONSHIPS[RelType.REFERRED_TO])
LINK_REFERRALS_TO_PROGRAMS = upsert_links(REFERRED_TO_PROGRAM)
LINK_EVENT_FOLLOW_UPS = upsert_links(RELATIONSHIPS[RelType.FOLLOWS_UP])
