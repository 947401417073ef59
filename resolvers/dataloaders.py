"""The per-request DataLoaders: one batched query per kind of thing a history needs.

Every loader is the same function over a different ``UNWIND $keys`` query (from
``graph_schema.api_queries``), so they live together rather than one file each: a file per
loader would be five copies of these ten lines. Results come back in key order, ``None``
for a key the graph does not know.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from strawberry.dataloader import DataLoader

from graph_schema import api_queries
from graph_schema.port import GraphStore, Row


def keyed(store: GraphStore, query: str) -> Callable[[list[str]], Awaitable[list[Row | None]]]:
    async def load(keys: list[str]) -> list[Row | None]:
        rows = await store.run(query, {"keys": keys})
        found = {row["key"]: row for row in rows}
        return [found.get(key) for key in keys]

    return load


@dataclass(frozen=True)
class DataLoaders:
    person_core_by_id: DataLoader[str, Row | None]
    person_core_by_nik: DataLoader[str, Row | None]
    events_by_person: DataLoader[str, Row | None]
    household_by_kk: DataLoader[str, Row | None]
    region_by_code: DataLoader[str, Row | None]

    @classmethod
    def fresh(cls, store: GraphStore) -> DataLoaders:
        """New loaders (and so an empty cache) for one request."""
        return cls(
            person_core_by_id=DataLoader(keyed(store, api_queries.PERSON_CORE_BY_IDS)),
            person_core_by_nik=DataLoader(keyed(store, api_queries.PERSON_CORE_BY_NIKS)),
            events_by_person=DataLoader(keyed(store, api_queries.EVENTS_BY_PERSONS)),
            household_by_kk=DataLoader(keyed(store, api_queries.HOUSEHOLDS_BY_KKS)),
            region_by_code=DataLoader(keyed(store, api_queries.REGIONS_BY_CODES)),
        )
