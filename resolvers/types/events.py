"""Service events about a person: complaints, referrals, outreach, case notes, proposals."""

from __future__ import annotations

from enum import Enum

import strawberry

from graph_schema.port import Row
from hub.privacy.access import Principal, mask_coordinate
from hub.privacy.disclosure import QuasiView
from hub.privacy.masking import shown_text


@strawberry.enum(description="What kind of service event.")
class EventKind(Enum):
    COMPLAINT = "complaint"
    REFERRAL = "referral"
    OUTREACH = "outreach"
    CASE_NOTE = "case_note"
    PROPOSAL = "proposal"
    PPKS_REGISTRATION = "ppks_registration"


@strawberry.type(description="A PSKS actor (TKSK, social worker, ...) who handled an event.")
class Handler:
    actor_id: str
    name: str | None
    kind: str | None
    role: str | None


@strawberry.type(description="Where a referral went, and how far it got.")
class Referral:
    target: str | None
    target_name: str | None
    status: str | None
    date: str | None


@strawberry.type(description="One step of an event's status history.")
class StatusChange:
    date: str | None
    status: str


@strawberry.type(description="A service event about the person.")
class ServiceEvent:
    event_id: str
    kind: EventKind
    date: str | None
    status: str | None
    summary: str | None
    region_code: str | None
    latitude: float | None = strawberry.field(description="Where it happened; rounded to 0.1 degree for a role "
                                              "that does not see coordinates.")
    longitude: float | None
    source: str | None
    source_key: str | None
    status_history: list[StatusChange]
    handlers: list[Handler]
    referrals: list[Referral]
    follows_up: list[str] = strawberry.field(description="Events this one follows up (event ids).")

    @classmethod
    def of(cls, event: Row, handlers: list[Row], referrals: list[Row], follows: list[str], principal: Principal,
           view: QuasiView | None) -> ServiceEvent:
        region = event.get("region_code")
        if principal.quasi_masked:  # where it happened tells where they live: no finer than their own region
            region = view.region(region) if view else None
        return cls(
            event_id=event["event_id"], kind=EventKind(event["kind"]), date=event.get("date"),
            status=event.get("status"), summary=shown_text(event.get("summary"), principal), region_code=region,
            latitude=mask_coordinate(event.get("latitude"), principal),
            longitude=mask_coordinate(event.get("longitude"), principal), source=event.get("source"),
            source_key=event.get("source_key"), status_history=status_history(event.get("status_history")),
            handlers=[Handler(actor_id=h["actor_id"], name=h.get("name"), kind=h.get("kind"), role=h.get("role"))
                      for h in handlers],
            referrals=[Referral(target=r.get("target"), target_name=r.get("name"), status=r.get("status"),
                                date=r.get("date")) for r in referrals],
            follows_up=follows)


def status_history(text: str | None) -> list[StatusChange]:
    """``"2025-01-19 DIUSULKAN; 2025-01-23 DIVERIFIKASI"`` as steps (a step may lack its date)."""
    steps = []
    for part in (text or "").split(";"):
        part = part.strip()
        if not part:
            continue
        head, _, rest = part.partition(" ")
        if len(head) == 10 and head[4] == "-" and head[7] == "-" and rest:
            steps.append(StatusChange(date=head, status=rest.strip()))
        else:
            steps.append(StatusChange(date=None, status=part))
    return steps


def events_of(row: Row | None, kinds: list[EventKind] | None, principal: Principal,
              view: QuasiView | None = None) -> list[ServiceEvent]:
    """The events of an ``EVENTS_BY_PERSONS`` row, newest first, joined with their handlers, as ``principal``
    may see them (``view``: the person's k-anonymous quasi-identifiers, for a role that needs them)."""
    if row is None:
        return []
    wanted = {k.value for k in kinds} if kinds else None
    handlers: dict[str, list[Row]] = {}
    for h in row["handlers"] or []:
        handlers.setdefault(h["event_id"], []).append(h)
    referrals: dict[str, list[Row]] = {}
    for r in row["referrals"] or []:
        referrals.setdefault(r["event_id"], []).append(r)
    follows: dict[str, list[str]] = {}
    for f in row["follow_ups"] or []:
        follows.setdefault(f["event_id"], []).append(f["follows"])
    events = [ServiceEvent.of(e, handlers.get(e["event_id"], []), referrals.get(e["event_id"], []),
                              sorted(follows.get(e["event_id"], [])), principal, view)
              for e in row["events"] or [] if wanted is None or e.get("kind") in wanted]
    return sorted(events, key=lambda e: (e.date or "", e.event_id), reverse=True)
