"""The stewards' review queue: uncertain pairs with both records side by side."""

from __future__ import annotations

import json
from enum import Enum

import strawberry

from graph_schema.port import Row
from hub.api.access import Principal
from resolvers.types.pagination import PageInfo
from resolvers.types.records import LinkedRecord


@strawberry.enum
class CandidateStatus(Enum):
    OPEN = "open"
    DECIDED = "decided"


@strawberry.enum(description="A steward's verdict.")
class Decision(Enum):
    SAME = "SAME"
    DIFFERENT = "DIFFERENT"
    UNSURE = "UNSURE"


@strawberry.type(description="How much one comparison (name, birth, sex, ...) weighed, in bits of evidence.")
class FieldWeight:
    comparison: str
    weight: float


@strawberry.type(description="One side of a candidate pair: the record and the person it belongs to now.")
class CandidateSide:
    person_id: strawberry.ID | None
    record: LinkedRecord


@strawberry.type(description="A pair the linker was unsure about.")
class MatchCandidate:
    candidate_id: strawberry.ID
    status: str | None
    probability: float | None
    match_weight: float | None
    priority: float | None = strawberry.field(description="How much a decision would change (higher first).")
    weights: list[FieldWeight]
    left: CandidateSide | None
    right: CandidateSide | None
    decision: str | None
    decided_by: str | None
    decided_at: str | None
    reason: str | None

    @classmethod
    def of(cls, row: Row, principal: Principal) -> MatchCandidate:
        c = row["candidate"]
        persons = {p["side"]: p["person_id"] for p in row["persons"] or []}
        sides = {s["side"]: CandidateSide(person_id=strawberry.ID(persons[s["side"]]) if s["side"] in persons else None,
                                          record=LinkedRecord.of({"record": s["record"]}, principal))
                 for s in row["sides"] or []}
        weights = json.loads(c.get("match_weights") or "{}")
        return cls(candidate_id=strawberry.ID(c["candidate_id"]), status=c.get("status"),
                   probability=c.get("probability"), match_weight=c.get("match_weight"), priority=c.get("priority"),
                   weights=[FieldWeight(comparison=k, weight=float(v)) for k, v in weights.items()],
                   left=sides.get("left"), right=sides.get("right"), decision=c.get("decision"),
                   decided_by=c.get("decided_by"), decided_at=c.get("decided_at"), reason=c.get("reason"))

    def person_ids(self) -> list[str]:
        return [str(s.person_id) for s in (self.left, self.right) if s is not None and s.person_id]


@strawberry.type
class MatchCandidateEdge:
    cursor: str
    node: MatchCandidate


@strawberry.type
class MatchCandidateConnection:
    edges: list[MatchCandidateEdge]
    page_info: PageInfo


@strawberry.type(description="What a verdict did to the graph.")
class JudgeResult:
    ok: bool
    message: str
    candidate_id: strawberry.ID
    decision: Decision
    persons_before: list[strawberry.ID]
    persons_after: list[strawberry.ID]
    records_moved: int
