"""The stewards' review queue: uncertain pairs with both records side by side."""

from __future__ import annotations

import json
from enum import Enum

import strawberry

from graph_schema.port import Row
from hub.privacy.access import Principal
from matching.pair_weights import differing_fields
from resolvers.context import Info
from resolvers.types.pagination import PageInfo
from resolvers.types.records import LinkedRecord
from resolvers.types.waterfall import Waterfall, waterfall_of


@strawberry.enum(description="Where a candidate is in the review queue.")
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


@strawberry.type(description="One steward's verdict on a candidate, as it was given.")
class Verdict:
    decision: Decision
    by: str
    at: str
    reason: str
    undone_at: str | None = strawberry.field(default=None, description="When its steward undid it (null: it stands).")

    @classmethod
    def of(cls, line: str) -> Verdict:
        entry = json.loads(line)
        return cls(decision=Decision(entry["decision"]), by=entry["by"], at=entry["at"], reason=entry["reason"],
                   undone_at=entry.get("undone_at"))


def verdicts(history: str | None) -> list[Verdict]:
    """The verdicts ``matching.review.judge`` appended to a candidate's ``history``, one JSON line each."""
    return [Verdict.of(line) for line in (history or "").splitlines() if line.strip()]


@strawberry.type(description="A pair the linker was unsure about.")
class MatchCandidate:
    candidate_id: strawberry.ID
    status: CandidateStatus
    probability: float | None
    match_weight: float | None
    priority: float | None = strawberry.field(description="How much a decision would change (higher first).")
    weights: list[FieldWeight]
    left: CandidateSide | None
    right: CandidateSide | None
    decision: Decision | None = strawberry.field(description="The latest verdict's decision.")
    decided_by: str | None
    decided_at: str | None
    reason: str | None = strawberry.field(description="The latest verdict's reason; every verdict is in history.")
    history: list[Verdict] = strawberry.field(description="Every verdict on the candidate, oldest first: a reversal "
                                              "keeps the verdict it reverses.")
    differing: list[str] = strawberry.field(description="The identity fields both records state, differently "
                                            "(name, nik, kk, birth_date, sex, mother_name, address, region_code).")
    origin: str | None = strawberry.field(description="split or join: made by a steward's action, not the linker.")
    proposed_because: str | None = strawberry.field(description="Why the pair is asked about beyond its score: a "
                                                    "link a key scoped to a region could not make, held apart until "
                                                    "a steward decides (null for the model's own questions).")
    record_ids: strawberry.Private[tuple[str, str] | None]

    @strawberry.field(description="The saved model's score of the two records: the prior and each comparison's level "
                      "and weight, adding up to the match weight (null without a model).")
    async def waterfall(self, info: Info) -> Waterfall | None:
        return await waterfall_of(info.context, *self.record_ids) if self.record_ids else None

    @classmethod
    def of(cls, row: Row, principal: Principal) -> MatchCandidate:
        c = row["candidate"]
        persons = {p["side"]: p["person_id"] for p in row["persons"] or []}
        sides = {s["side"]: CandidateSide(person_id=strawberry.ID(persons[s["side"]]) if s["side"] in persons else None,
                                          record=LinkedRecord.of({"record": s["record"]}, principal))
                 for s in row["sides"] or []}
        weights = json.loads(c.get("match_weights") or "{}")
        raw = {s["side"]: s["record"] for s in row["sides"] or []}
        both = (raw["left"], raw["right"]) if {"left", "right"} <= raw.keys() else None
        return cls(candidate_id=strawberry.ID(c["candidate_id"]), status=CandidateStatus(c["status"]),
                   probability=c.get("probability"), match_weight=c.get("match_weight"), priority=c.get("priority"),
                   weights=[FieldWeight(comparison=k, weight=float(v)) for k, v in weights.items()],
                   left=sides.get("left"), right=sides.get("right"),
                   decision=Decision(c["decision"]) if c.get("decision") else None, decided_by=c.get("decided_by"),
                   decided_at=c.get("decided_at"), reason=c.get("reason"), history=verdicts(c.get("history")),
                   differing=differing_fields(*both) if both else [], origin=c.get("origin"),
                   proposed_because=c.get("proposed_because"),
                   record_ids=(both[0]["record_id"], both[1]["record_id"]) if both else None)

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
