"""UU PDP 27/2022 duties of the office that runs the hub: a subject's data on request, the processing record.

``subject_export`` gathers everything the graph holds about one person (the person, every
source record with its raw row and earlier versions, facts, events, households, match
candidates and verdicts, retired ids that point at them) and every audit entry that names
them, for the right of access (art. 7; answer within 3x24 hours). The export itself is an
audited act: its entry is written first, and no file is made if it cannot be.

``processing_record`` states what the hub processes and why (art. 31): the sources from
their mappings, the purposes (``pdp_record.toml``), each role and what it sees, the retention
of the audit log and of the data, and where each is kept.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from graph_schema import api_queries, queries
from graph_schema.port import GraphStore
from hub.privacy.access import Principal, role_specs
from hub.privacy.audit import Action, AuditEntry, AuditLog, Outcome
from hub.privacy.masking import third_party_columns
from hub.settings import Settings
from loaders.mapping import IDENTITY_FIELDS, FieldType, Mapping, mapping_for, shipped_sources

RECORD_FILE = Path(__file__).with_name("pdp_record.toml")
EXPORT_OPERATION = "hub pdp export"
PERSONAL_TYPES = {FieldType.NIK, FieldType.KK, FieldType.NAME, FieldType.BIRTH_DATE, FieldType.REGION}
SECTIONS = ("person", "records", "enrolments", "conditions", "stays", "households", "events", "match_candidates",
            "redirects", "audit")


def _decoded(value: Any) -> Any:
    """A property the graph keeps as JSON text (a raw row, an earlier version), as data; anything else as is."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _history(text: Any) -> list[Any]:
    """A person's merges and splits (one JSON line each), as a list."""
    return [_decoded(line) for line in str(text or "").splitlines() if line.strip()]


def subject_record(record: dict[str, Any]) -> dict[str, Any]:
    """A source record as its subject receives it: raw row and earlier version as data, other people's identifiers masked."""
    hidden = third_party_columns(str(record.get("source", "")))

    def masked(raw: Any) -> Any:
        if isinstance(raw, dict) and hidden:
            return {column: "***" if column in hidden and value not in (None, "") else value
                    for column, value in raw.items()}
        return raw

    previous = _decoded(record.get("previous"))
    if isinstance(previous, dict) and "raw" in previous:
        previous = {**previous, "raw": masked(_decoded(previous["raw"]))}
    return {**record, "raw": masked(_decoded(record.get("raw"))), "previous": previous}


@dataclass(frozen=True)
class SubjectExport:
    """What ``hub pdp export`` writes: ``data`` is the JSON file; ``person_id`` None when no one holds the NIK."""

    person_id: str | None
    data: dict[str, Any]


async def subject_export(store: GraphStore, audit: AuditLog, principal: Principal, *, nik: str | None = None,
                         person_id: str | None = None, reason: str = "") -> SubjectExport:
    """Everything held about the person a NIK (or a person id) names, and every audit entry naming them.

    The export's own audit entry (action ``export``) is written before anything is returned.

    Raises:
        AuditWriteError: the export could not be audited; nothing is returned.
    """
    asked = {"nik": nik} if nik is not None else {"person_id": person_id}
    if nik is not None:
        cores = await store.run(api_queries.PERSON_CORE_BY_NIKS, {"keys": [nik]})
    else:
        cores = await store.run(api_queries.PERSON_CORE_BY_IDS, {"keys": [person_id]})
    made = {"asked_for": asked, "made_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "made_by": {"key_id": principal.key_id, "name": principal.name, "officer": principal.officer,
                        "office": principal.office}, "reason": reason}
    if not cores:
        retired = [] if person_id is None else await store.run(api_queries.PERSON_REDIRECTS_BY_IDS,
                                                               {"keys": [person_id]})
        await audit.record(principal, EXPORT_OPERATION, [person_id] if person_id else [], [], action=Action.EXPORT,
                           outcome=Outcome.NOT_FOUND, detail=reason or None)
        moved = _decoded(retired[0]["redirect"]) if retired else None
        return SubjectExport(None, {"export": made, "person": None, "retired_id": moved})
    core = cores[0]
    pid = str(core["person"]["person_id"])
    person = {**core["person"], "history": _history(core["person"].get("history"))}
    records = [{**r, "record": subject_record(r["record"])} for r in core["records"]]
    households = []
    for membership in core["households"]:
        for row in await store.run(queries.HOUSEHOLD_BY_KK, {"kk": membership["kk"]}):
            # Relatives appear by name and relation only: their own data is theirs to ask for.
            households.append({"relation": membership["relation"], "household": row["household"],
                               "region_code": row["region_code"],
                               "members": [{"name": m["name"], "relation": m["relation"]} for m in row["members"]
                                           if m["person_id"] != pid]})
    events = (await store.run(api_queries.EVENTS_BY_PERSONS, {"keys": [pid]}) or [{}])[0]
    candidates = await store.run(queries.MATCH_CANDIDATES_OF_PERSON, {"person_id": pid})
    redirects = [r["redirect"] for r in await store.run(queries.PERSON_REDIRECTS_TO, {"person_id": pid})]
    # The export is logged before the log is read, so the file lists itself too.
    await audit.record(principal, EXPORT_OPERATION, [pid], list(SECTIONS), action=Action.EXPORT,
                       detail=reason or None)
    ids = {pid, *(str(r["person_id"]) for r in redirects)}
    entries = [_entry_data(e) for e in audit.entries(person_ids=ids, newest_first=False)]
    data = {
        "export": made, "person": person, "region": core["region"], "region_above": core["region_above"],
        "records": records, "enrolments": core["enrolments"], "conditions": core["conditions"],
        "stays": core["stays"], "households": households,
        "events": {k: events.get(k, []) for k in ("events", "handlers", "referrals", "follow_ups", "attendance")},
        "match_candidates": [{"candidate": c["candidate"], "sides": c["sides"]} for c in candidates],
        "redirects": redirects, "audit": entries,
    }
    return SubjectExport(pid, data)


def _entry_data(entry: AuditEntry) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(entry.to_line())
    return data


def write_export(export: SubjectExport, out: Path) -> tuple[Path, Path]:
    """Write the JSON file and its summary (Bahasa Indonesia) into ``out``, readable by the owner only."""
    out.mkdir(mode=0o700, parents=True, exist_ok=True)
    stamp = export.data["export"]["made_at"].replace(":", "").replace("+0000", "Z")
    stem = f"pdp-{export.person_id or 'tidak-ditemukan'}-{stamp}"
    paths = out / f"{stem}.json", out / f"{stem}.txt"
    texts = (json.dumps(export.data, ensure_ascii=False, indent=2, default=str) + "\n", summary(export))
    for path, text in zip(paths, texts, strict=True):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
    return paths


def summary(export: SubjectExport) -> str:
    """A short, human-readable account of the export, for the person who asked."""
    data = export.data
    asked = ", ".join(f"{k} {v}" for k, v in data["export"]["asked_for"].items())
    lines = [f"Ringkasan data pribadi (UU PDP 27/2022, hak akses) — dibuat {data['export']['made_at']}", ""]
    if data["person"] is None:
        lines.append(f"Hub tidak menyimpan data seseorang dengan {asked}.")
        if data.get("retired_id"):
            lines.append(f"ID itu sudah digabung/dipisah ke: {', '.join(data['retired_id'].get('to', []))}.")
        return "\n".join(lines) + "\n"
    person = data["person"]
    sources: dict[str, int] = {}
    for record in data["records"]:
        sources[record["record"]["source"]] = sources.get(record["record"]["source"], 0) + 1
    reads: dict[str, int] = {}
    for entry in data["audit"]:
        who = " / ".join(x for x in (entry["officer"] or entry["key_name"], entry["office"]) if x) or entry["key_id"]
        reads[f"{who} ({entry['action']})"] = reads.get(f"{who} ({entry['action']})", 0) + 1
    lines += [
        f"Orang: {person.get('name')} (ID hub {export.person_id}), diminta dengan {asked}.",
        f"Catatan sumber: {len(data['records'])} dari {len(sources)} sumber ("
        + ", ".join(f"{s} {n}" for s, n in sorted(sources.items())) + ").",
        f"Program: {len(data['enrolments'])}; kondisi PPKS: {len(data['conditions'])}; tinggal di panti: "
        f"{len(data['stays'])}; keluarga (KK): {len(data['households'])}; layanan/kejadian: "
        f"{len(data['events']['events'])}.",
        f"Pencocokan yang ditinjau petugas: {len(data['match_candidates'])}; ID lama yang digabung ke orang ini: "
        f"{len(data['redirects'])}.",
        f"Akses ke data ini menurut log audit: {len(data['audit'])} catatan.",
        *(f"  - {who}: {count} kali" for who, count in sorted(reads.items(), key=lambda kv: (-kv[1], kv[0]))),
        "", "Rincian lengkap ada di berkas JSON yang menyertai ringkasan ini.",
    ]
    return "\n".join(lines) + "\n"


# --- the processing record ---------------------------------------------------------------------
@cache
def record_statements() -> dict[str, Any]:
    """``pdp_record.toml``: purposes, legal basis, recipients and retention, as the office declares them."""
    data: dict[str, Any] = tomllib.loads(RECORD_FILE.read_text(encoding="utf-8"))
    return data


def identifying_fields(mapping: Mapping) -> list[str]:
    """The fields of a mapping that identify a person: identity fields, identifier types, or declared ``personal``.

    Every other field of a row about a person is personal data too once linked to them (a case
    note, a status); the record lists those as what the source also holds.
    """
    out = []
    for name, spec in mapping.fields.items():
        declared = getattr(spec, "personal", None)  # declared per field where the mapping says so
        if declared == "none":
            continue
        if declared or name in IDENTITY_FIELDS or spec.type in PERSONAL_TYPES:
            out.append(name)
    return out


def where_kept(settings: Settings) -> dict[str, str]:
    graph = (f"embedded FalkorDB, data in {settings.data_dir} (append-only file and snapshots)" if settings.embedded
             else f"{settings.backend} at {urlparse(settings.graph_uri).hostname}")
    return {
        "graph": f"{graph}, graph {settings.graph_name!r}: persons, source records with raw rows, facts, events",
        "keys": "Redis (the embedded server, or HUB_REDIS_URL): API keys as SHA-256 digests, rate counters",
        "audit_log": f"{settings.home / 'audit' / settings.graph_name}: one JSON Lines file per day, mode 0600",
        "files": f"{settings.home}: rejects and reports of loads, the demo's files",
    }


def processing_record(settings: Settings) -> dict[str, Any]:
    """The record of processing (UU PDP art. 31): sources, purposes, roles, retention, places."""
    statements = record_statements()
    sources = []
    for source in shipped_sources():
        mapping = mapping_for(source)
        sources.append({"source": source, "description": mapping.description, "recorded_as": mapping.recorded_as,
                        "identifying_fields": identifying_fields(mapping),
                        "other_fields": [f for f in mapping.fields if f not in identifying_fields(mapping)]})
    roles = [{"role": str(role), "description": spec.description, "sees_in_clear": sorted(str(s) for s in spec.sees),
              "may": sorted(str(m) for m in spec.may), "writes": sorted(spec.writes)}
             for role, spec in role_specs().items()]
    return {
        "controller": statements["controller"],
        "purposes": statements["purposes"],
        "legal_basis": statements["legal_basis"],
        "recipients": statements["recipients"],
        "sources": sources,
        "roles": roles,
        "retention": {
            "audit_log": f"{settings.audit_retention_days} days (HUB_AUDIT_RETENTION_DAYS), pruned when `hub serve` "
                         "starts and by `hub audit prune`",
            "data": statements["retention"]["data"],
        },
        "where_kept": where_kept(settings),
        "subject_rights": statements["subject_rights"],
        "breach": statements["breach"],
    }
