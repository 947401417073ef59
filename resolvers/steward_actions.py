"""A steward's own actions through the API: one candidate for review, split, join, and undo of
their own last verdicts of the day.

Each follows the judgement rule (``matching/steward.py``): a split or a join is a verdict that
binds records, kept on a candidate like any verdict, so every later ``hub match`` and live link
keeps it. Only a role that may judge acts; a key scoped to a region acts only on persons inside
it (the refusal is the one for a missing person); a reason is required; every action is audited
with the persons it touched.
"""

from __future__ import annotations

import strawberry

from graph_schema import api_queries, steward_queries
from hub.errors import InputError, prefix
from hub.privacy.access import Permission, Principal
from hub.privacy.audit import Outcome
from matching.steward import Verdict, join_persons, split_person
from matching.undo import UNDO_LIMIT, own_verdicts, undo_verdict
from resolvers.audit_fields import selected_fields
from resolvers.context import Context, Info
from resolvers.scope import not_in_region, persons_in_scope, scope_param
from resolvers.types.candidates import Decision, JudgeResult, MatchCandidate


def steward_of(principal: Principal) -> str:
    """Who a verdict is by, as ``judgeMatch`` records it: undo matches on it."""
    return f"{principal.name} (key {principal.key_id})"


def _reason(operation: str, reason: str) -> str:
    if not reason.strip():
        raise InputError(f"{operation}: reason must say why (it is kept with the verdict)")
    return reason.strip()


async def _require_in_scope(ctx: Context, operation: str, person_ids: set[str], what: str) -> None:
    """Refuse (as for a missing one) a scoped key acting on a person outside its region."""
    if scope_param(ctx.principal) is None or not person_ids:
        return
    if await persons_in_scope(ctx.store, ctx.principal, person_ids) != person_ids:
        ctx.audit_failed(operation, Outcome.REFUSED, f"{what} outside the key's region", sorted(person_ids))
        raise not_in_region(ctx.principal, f"{operation}: no {what}")


def _result(ctx: Context, operation: str, candidate_id: str, verdict: Verdict, message: str) -> JudgeResult:
    ctx.audit_read(operation, sorted(set(verdict.persons_before) | set(verdict.persons_after)), ["judgement"])
    return JudgeResult(ok=True, message=message, candidate_id=strawberry.ID(candidate_id),
                       decision=Decision(verdict.decision.value),
                       persons_before=[strawberry.ID(p) for p in verdict.persons_before],
                       persons_after=[strawberry.ID(p) for p in verdict.persons_after],
                       records_moved=verdict.records_moved)


def _missing(ctx: Context, operation: str, what: str, decision: Decision) -> JudgeResult:
    ctx.audit_failed(operation, Outcome.NOT_FOUND, f"no {what}")
    if scope_param(ctx.principal) is not None:
        raise not_in_region(ctx.principal, f"{operation}: no {what}")
    return JudgeResult(ok=False, message=f"no {what}", candidate_id=strawberry.ID(""), decision=decision,
                       persons_before=[], persons_after=[], records_moved=0)


async def split_person_field(info: Info, person_id: strawberry.ID, record_ids: list[str], reason: str) -> JudgeResult:
    ctx = info.context
    ctx.principal.require(Permission.JUDGE)
    why = _reason("splitPerson", reason)
    await _require_in_scope(ctx, "splitPerson", {str(person_id)}, f"person {prefix(person_id)}")
    verdict = await split_person(ctx.store, str(person_id), record_ids, steward_of(ctx.principal), why)
    if not verdict.found:
        return _missing(ctx, "splitPerson", f"person {prefix(person_id)}", Decision.DIFFERENT)
    return _result(ctx, "splitPerson", verdict.candidate_id, verdict,
                   f"{len(record_ids)} record(s) moved out into a person of their own")


async def join_persons_field(info: Info, person_id: strawberry.ID, other_person_id: strawberry.ID,
                             reason: str) -> JudgeResult:
    ctx = info.context
    ctx.principal.require(Permission.JUDGE)
    why = _reason("joinPersons", reason)
    await _require_in_scope(ctx, "joinPersons", {str(person_id), str(other_person_id)}, "such persons")
    verdict = await join_persons(ctx.store, str(person_id), str(other_person_id), steward_of(ctx.principal), why)
    if not verdict.found:
        return _missing(ctx, "joinPersons", f"persons {prefix(person_id)} and {prefix(other_person_id)}",
                        Decision.SAME)
    return _result(ctx, "joinPersons", verdict.candidate_id, verdict,
                   "joined into one person")


async def undo_verdict_field(info: Info, candidate_id: strawberry.ID) -> JudgeResult:
    ctx = info.context
    ctx.principal.require(Permission.JUDGE)
    persons = {r["person_id"] for r in await ctx.store.run(api_queries.CANDIDATE_PERSON_RECORDS,
                                                           {"candidate_id": str(candidate_id)})}
    await _require_in_scope(ctx, "undoVerdict", persons, f"match candidate {prefix(candidate_id)}")
    verdict = await undo_verdict(ctx.store, str(candidate_id), steward_of(ctx.principal))
    if not verdict.found:
        return _missing(ctx, "undoVerdict", f"match candidate {prefix(candidate_id)}", Decision.UNSURE)
    return _result(ctx, "undoVerdict", str(candidate_id), verdict, "undone: as it was before the verdict")


@strawberry.type(description="One of the caller's own verdicts of today that they may still undo.")
class OwnVerdict:
    candidate_id: strawberry.ID
    decision: Decision
    decided_at: str
    reason: str | None
    origin: str | None = strawberry.field(description="split or join: a steward's action; null: a queue verdict.")
    record_count: int = strawberry.field(description="How many records the verdict binds.")


async def my_verdicts_field(info: Info) -> list[OwnVerdict]:
    ctx = info.context
    ctx.principal.require(Permission.JUDGE)
    return [OwnVerdict(candidate_id=strawberry.ID(r["candidate_id"]), decision=Decision(r["decision"]),
                       decided_at=r["decided_at"], reason=r["reason"], origin=r["origin"],
                       record_count=len(r["left_records"] or []) + len(r["right_records"] or []))
            for r in await own_verdicts(ctx.store, steward_of(ctx.principal))]


async def match_candidate_field(info: Info, candidate_id: strawberry.ID) -> MatchCandidate | None:
    ctx = info.context
    ctx.principal.require(Permission.REVIEW)
    rows = await ctx.store.run(steward_queries.MATCH_CANDIDATE_FOR_REVIEW, {"candidate_id": str(candidate_id)})
    persons = {p["person_id"] for r in rows for p in r["persons"] or []}
    await _require_in_scope(ctx, "matchCandidate", persons, f"match candidate {prefix(candidate_id)}")
    if not rows:
        ctx.audit_failed("matchCandidate", Outcome.NOT_FOUND, "no such match candidate")
        if scope_param(ctx.principal) is not None:
            raise not_in_region(ctx.principal, f"matchCandidate: no match candidate {prefix(candidate_id)}")
        return None
    node = MatchCandidate.of(rows[0], ctx.principal)
    ctx.audit_read("matchCandidate", sorted(persons), selected_fields(info))
    return node


UNDO_DESCRIPTION = (f"Undo one of your own last {UNDO_LIMIT} verdicts of today (a split and a join are verdicts): "
                    "the records go back to the persons and ids they had, the candidate to its state before.")
