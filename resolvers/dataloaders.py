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


def keyed(store: GraphStore, query: str,
          params: dict[str, str | None] | None = None) -> Callable[[list[str]], Awaitable[list[Row | None]]]:
    async def load(keys: list[str]) -> list[Row | None]:
        rows = await store.run(query, {**(params or {}), "keys": keys})
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

    # Of person ids, those that belong to the caller's region (a row: in; None: outside or unknown).
    person_in_scope: DataLoader[str, Row | None]

    @classmethod
    def fresh(cls, store: GraphStore, scope: str | None) -> DataLoaders:
        """New loaders (and so an empty cache) for one request by a key scoped to ``scope`` (None: the province).

        With a scope, a person outside it is not found, as if the graph did not hold them
        (``resolvers/scope.py``).
        """
        params: dict[str, str | None] = {}
        by_id, by_nik = api_queries.PERSON_CORE_BY_IDS, api_queries.PERSON_CORE_BY_NIKS
        if scope is not None:
            by_id, by_nik = api_queries.PERSON_CORE_BY_IDS_IN_SCOPE, api_queries.PERSON_CORE_BY_NIKS_IN_SCOPE
            params = {"scope": scope}
        return cls(
            person_core_by_id=DataLoader(keyed(store, by_id, params)),
            person_core_by_nik=DataLoader(keyed(store, by_nik, params)),
            events_by_person=DataLoader(keyed(store, api_queries.EVENTS_BY_PERSONS)),
            household_by_kk=DataLoader(keyed(store, api_queries.HOUSEHOLDS_BY_KKS)),
            region_by_code=DataLoader(keyed(store, api_queries.REGIONS_BY_CODES)),
            person_in_scope=DataLoader(keyed(store, api_queries.PERSONS_IN_SCOPE, {"scope": scope})),
        )
