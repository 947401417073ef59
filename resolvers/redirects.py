"""Where a retired person id went: a merge points at the one person that absorbed it, a split at
the persons its records were divided into. Apps that stored an id never lose the person."""

from __future__ import annotations

from enum import Enum

import strawberry

from graph_schema import api_queries
from graph_schema.port import GraphStore

MAX_HOPS = 20  # a chain of merges and splits longer than this is not followed further


@strawberry.enum(description="What retired a person id.")
class RedirectKind(Enum):
    MERGE = "merge"
    SPLIT = "split"


@strawberry.type(description="A person id no longer in use, and the persons its records belong to now.")
class PersonRedirect:
    person_id: strawberry.ID
    kind: RedirectKind
    at: str
    current_ids: list[strawberry.ID]


async def follow(store: GraphStore, person_id: str) -> PersonRedirect | None:
    """The redirect of ``person_id``, followed through later merges and splits to ids in use now;
    None when the id was never retired."""
    first = None
    frontier, current = [person_id], set[str]()
    for _ in range(MAX_HOPS):
        rows = {r["key"]: r["redirect"] for r in await store.run(api_queries.PERSON_REDIRECTS_BY_IDS,
                                                                 {"keys": frontier})}
        if first is None:
            first = rows.get(person_id)
            if first is None:
                return None
        current.update(i for i in frontier if i not in rows)
        frontier = sorted({t for r in rows.values() for t in r["to"]} - current)
        if not frontier:
            break
    ids = sorted(current | set(frontier))
    assert first is not None  # the first hop returned early otherwise
    return PersonRedirect(person_id=strawberry.ID(person_id),
                          kind=RedirectKind.MERGE if len(ids) == 1 else RedirectKind.SPLIT,
                          at=first["at"], current_ids=[strawberry.ID(i) for i in ids])
