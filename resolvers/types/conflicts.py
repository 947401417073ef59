"""The stewards' queue of conflicting persons: records linked into one person that disagree on
who they are (two valid NIKs, both sexes, birth dates more than two years apart)."""

from __future__ import annotations

from enum import Enum

import strawberry

from graph_schema.port import Row
from matching import identity
from resolvers.types.pagination import PageInfo


@strawberry.enum(description="Why a person's records look like more than one person.")
class ConflictReason(Enum):
    TWO_TRUSTED_NIKS = identity.TRUSTED_NIKS
    TWO_NIKS = identity.NIKS
    BOTH_SEXES = identity.SEXES
    BIRTH_DATES_APART = identity.BIRTH_DATES


@strawberry.type(description="A person whose linked records disagree: split the wrong ones out, or confirm them.")
class ConflictingPerson:
    person_id: strawberry.ID
    name: str | None
    record_count: int
    rank: int = strawberry.field(description="How likely the reasons say two people were joined (the queue's order).")
    reasons: list[ConflictReason]

    @classmethod
    def of(cls, row: Row) -> ConflictingPerson:
        return cls(person_id=strawberry.ID(row["person_id"]), name=row["name"], record_count=int(row["record_count"]),
                   rank=int(row["rank"]), reasons=[ConflictReason(r) for r in row["reasons"] or []])


@strawberry.type
class ConflictingPersonEdge:
    cursor: str
    node: ConflictingPerson


@strawberry.type
class ConflictingPersonConnection:
    edges: list[ConflictingPersonEdge]
    page_info: PageInfo
