"""A worklist: the persons or households of a region that one gap rule flags, with the reasons."""

from __future__ import annotations

from enum import Enum

import strawberry

from resolvers.gaps import GapRule
from resolvers.types.household import Household
from resolvers.types.pagination import PageInfo
from resolvers.types.person import Person


@strawberry.enum(description="What a worklist lists.")
class WorklistSubject(Enum):
    PERSON = "person"
    HOUSEHOLD = "household"


@strawberry.type(description="A gap rule (resolvers/gaps.toml, edited by the office) that a worklist evaluates.")
class WorklistRule:
    id: str
    title: str
    explanation: str
    suggest: str
    subject: WorklistSubject

    @classmethod
    def of(cls, rule: GapRule) -> WorklistRule:
        return cls(id=rule.id, title=rule.title, explanation=rule.explanation, suggest=rule.suggest,
                   subject=WorklistSubject(rule.subject.value))


@strawberry.type(description="How many a worklist flags in one sub-region.")
class RegionCount:
    code: str
    name: str | None
    count: int | None = strawberry.field(description="null where 1 to 4 for a role that sees quasi-identifiers "
                                         "masked (they would be singled out).")


@strawberry.type(description="One flagged person (person rules) or household (household rules), and why.")
class WorklistItem:
    person: Person | None
    household: Household | None
    reasons: list[str] = strawberry.field(description="Why it is on the list, in the words of the rule: what holds, "
                                          "then what is missing.")


@strawberry.type
class WorklistEdge:
    cursor: str
    node: WorklistItem


@strawberry.type(description="The persons or households of a region one gap rule flags, in village order.")
class WorklistConnection:
    rule: WorklistRule
    region: str = strawberry.field(description="The dotted region code counted.")
    total_count: int
    counts_by_sub_region: list[RegionCount] = strawberry.field(description="Counts one level below the region.")
    edges: list[WorklistEdge]
    page_info: PageInfo
