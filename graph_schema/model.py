"""The graph model: every node label and relationship type, with their keys and properties.

Labels and relationship types are Enums so that no query spells one by hand. ``NODES`` and
``RELATIONSHIPS`` are the typed definitions the upsert statements, the schema DDL and the
Neo4j lint are all generated from: change the model here and everything follows.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Label(StrEnum):
    PERSON = "Person"
    SOURCE_RECORD = "SourceRecord"
    HOUSEHOLD = "Household"
    REGION = "Region"
    PROGRAM = "Program"
    PPKS_CATEGORY = "PpksCategory"
    PANTI = "Panti"
    PSKS_ACTOR = "PsksActor"
    AGENCY = "Agency"
    SERVICE_EVENT = "ServiceEvent"
    MATCH_CANDIDATE = "MatchCandidate"
    LOAD_BATCH = "LoadBatch"
    HUB_META = "HubMeta"
    PERSON_REDIRECT = "PersonRedirect"


class RelType(StrEnum):
    RESOLVES_TO = "RESOLVES_TO"
    MEMBER_OF = "MEMBER_OF"
    ENROLLED_IN = "ENROLLED_IN"
    HAS_CONDITION = "HAS_CONDITION"
    RESIDENT_OF = "RESIDENT_OF"
    ABOUT = "ABOUT"
    REFERRED_TO = "REFERRED_TO"
    HANDLED = "HANDLED"
    LOCATED_IN = "LOCATED_IN"
    PART_OF = "PART_OF"
    RECORDED_IN = "RECORDED_IN"
    COMPARES = "COMPARES"
    # Record-level facts, as the loader finds them; matching projects them onto persons.
    IN_HOUSEHOLD = "IN_HOUSEHOLD"
    LISTS_ENROLMENT = "LISTS_ENROLMENT"
    LISTS_CONDITION = "LISTS_CONDITION"
    LISTS_STAY = "LISTS_STAY"
    ASSIGNED_TO = "ASSIGNED_TO"
    REFERS_TO = "REFERS_TO"
    FOLLOWS_UP = "FOLLOWS_UP"


@dataclass(frozen=True)
class NodeSpec:
    """A node type: its label, the properties that identify it, and the others it may carry."""

    label: Label
    key: tuple[str, ...]
    properties: dict[str, type]

    @property
    def all_properties(self) -> tuple[str, ...]:
        return (*self.key, *self.properties)


@dataclass(frozen=True)
class RelSpec:
    """A relationship type between two node types.

    ``identity`` are the relationship properties that tell two parallel relationships apart
    (for example the source record that stated an enrolment): MERGE matches on them, so the
    same fact stated twice is one relationship and two different facts stay two.
    """

    rel_type: RelType
    start: Label
    end: Label
    properties: dict[str, type]
    identity: tuple[str, ...] = ()


PROVENANCE: dict[str, type] = {"source": str, "source_key": str, "batch_id": str}

NODES: dict[Label, NodeSpec] = {
    spec.label: spec
    for spec in (
        NodeSpec(Label.PERSON, ("person_id",), {
            "nik": str, "name": str, "birth_date": str, "sex": str, "mother_name": str,
            "kk": str, "region_code": str, "created_at": str, "updated_at": str, "record_count": int, "history": str,
            "search_names": str, "conflicts": list, "conflict_rank": int,
            # the valid NIKs its own records carry (a relative's NIK typed into a row is none of them)
            "niks": list,
        }),
        # A person id that a merge or a split retired, and the persons its records belong to now.
        NodeSpec(Label.PERSON_REDIRECT, ("person_id",), {"to": list, "kind": str, "at": str, "run_id": str}),
        NodeSpec(Label.SOURCE_RECORD, ("record_id",), {
            "source": str, "source_key": str, "nik": str, "nik_raw": str, "nik_status": str, "nik_birth_date": str,
            "nik_sex": str, "kk": str, "name": str, "birth_date": str, "birth_year": int, "age": int, "sex": str,
            "mother_name": str, "birth_place": str, "address": str, "region_code": str, "phone": str, "register_id": str,
            "raw": str, "content_hash": str, "batch_id": str, "file_hash": str, "row_number": int,
            "loaded_at": str, "previous": str, "encounter": bool,
        }),
        NodeSpec(Label.HOUSEHOLD, ("kk",), {"region_code": str, "address": str, "decile": int}),
        NodeSpec(Label.REGION, ("code",), {"name": str, "level": int, "type": str}),
        NodeSpec(Label.PROGRAM, ("code",), {"name": str, "funding": str}),
        NodeSpec(Label.PPKS_CATEGORY, ("code",), {"name": str}),
        NodeSpec(Label.PANTI, ("panti_id",), {"name": str, "region_code": str, "kind": str}),
        NodeSpec(Label.PSKS_ACTOR, ("actor_id",), {"name": str, "kind": str, "nik": str, "region_code": str}),
        NodeSpec(Label.AGENCY, ("agency_id",), {"name": str, "kind": str}),
        NodeSpec(Label.SERVICE_EVENT, ("event_id",), {
            "kind": str, "date": str, "status": str, "status_history": str, "summary": str,
            "region_code": str, "latitude": float, "longitude": float, "source": str, "source_key": str,
        }),
        NodeSpec(Label.MATCH_CANDIDATE, ("candidate_id",), {
            "probability": float, "match_weight": float, "match_weights": str, "status": str, "priority": float,
            "decision": str, "decided_by": str, "decided_at": str, "reason": str, "created_at": str, "run_id": str,
            "history": str, "left_records": list, "right_records": list,
            # A link a region-scoped write could not make, held for a steward (matching/review.py).
            "held_apart": bool, "proposed_because": str,
            "origin": str, "undo": str,  # a steward's split or join; what undo puts back (matching/steward.py)
        }),
        NodeSpec(Label.LOAD_BATCH, ("batch_id",), {
            "source": str, "file_name": str, "file_hash": str, "started_at": str, "finished_at": str, "status": str,
            "rows_read": int, "records": int, "rejected": int,
        }),
        NodeSpec(Label.HUB_META, ("key",), {"version": int, "applied_at": str}),
    )
}

RELATIONSHIPS: dict[RelType, RelSpec] = {
    spec.rel_type: spec
    for spec in (
        RelSpec(RelType.RESOLVES_TO, Label.SOURCE_RECORD, Label.PERSON,
                {"method": str, "probability": float, "linked_at": str, "run_id": str}),
        RelSpec(RelType.MEMBER_OF, Label.PERSON, Label.HOUSEHOLD, {"relation": str, **PROVENANCE}),
        RelSpec(RelType.ENROLLED_IN, Label.PERSON, Label.PROGRAM,
                {"from": str, "to": str, "status": str, **PROVENANCE}, identity=("source", "source_key")),
        RelSpec(RelType.HAS_CONDITION, Label.PERSON, Label.PPKS_CATEGORY,
                {"recorded_on": str, **PROVENANCE}, identity=("source", "source_key")),
        RelSpec(RelType.RESIDENT_OF, Label.PERSON, Label.PANTI,
                {"from": str, "to": str, **PROVENANCE}, identity=("source", "source_key")),
        RelSpec(RelType.ABOUT, Label.SERVICE_EVENT, Label.PERSON, {"role": str}),
        RelSpec(RelType.REFERRED_TO, Label.SERVICE_EVENT, Label.AGENCY, {"status": str, "date": str}),
        RelSpec(RelType.HANDLED, Label.PSKS_ACTOR, Label.SERVICE_EVENT, {"role": str}),
        RelSpec(RelType.LOCATED_IN, Label.HOUSEHOLD, Label.REGION, {}),
        RelSpec(RelType.PART_OF, Label.REGION, Label.REGION, {}),
        RelSpec(RelType.RECORDED_IN, Label.SERVICE_EVENT, Label.SOURCE_RECORD, {}),
        RelSpec(RelType.COMPARES, Label.MATCH_CANDIDATE, Label.SOURCE_RECORD, {"side": str}),
        RelSpec(RelType.IN_HOUSEHOLD, Label.SOURCE_RECORD, Label.HOUSEHOLD, {"relation": str}),
        RelSpec(RelType.LISTS_ENROLMENT, Label.SOURCE_RECORD, Label.PROGRAM, {"from": str, "to": str, "status": str}),
        RelSpec(RelType.LISTS_CONDITION, Label.SOURCE_RECORD, Label.PPKS_CATEGORY, {"recorded_on": str}),
        RelSpec(RelType.LISTS_STAY, Label.SOURCE_RECORD, Label.PANTI, {"from": str, "to": str, "reason": str}),
        RelSpec(RelType.ASSIGNED_TO, Label.PSKS_ACTOR, Label.REGION, {}),
        RelSpec(RelType.REFERS_TO, Label.SOURCE_RECORD, Label.SOURCE_RECORD, {"via": str}),
        RelSpec(RelType.FOLLOWS_UP, Label.SERVICE_EVENT, Label.SERVICE_EVENT, {}),
    )
}

# REFERRED_TO may also end at a Program (a referral to a program rather than an agency).
REFERRED_TO_PROGRAM = RelSpec(RelType.REFERRED_TO, Label.SERVICE_EVENT, Label.PROGRAM, {"status": str, "date": str})
# A PSKS actor is described by its register row, as an event is by its own.
ACTOR_RECORDED_IN = RelSpec(RelType.RECORDED_IN, Label.PSKS_ACTOR, Label.SOURCE_RECORD, {})
