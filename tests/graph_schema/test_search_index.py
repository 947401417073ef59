"""The full-text index over every folded name of a person, and the ranked search over it, on
every backend; and the move from the schema-4 index on the best name (FalkorDB)."""

from __future__ import annotations

import uuid
from typing import Any

from graph_schema import api_queries, queries
from graph_schema.falkordb_store import FalkorDBStore
from graph_schema.port import GraphStore
from graph_schema.schema import SCHEMA_VERSION
from hub.embedded_db import HOST, EmbeddedServer
from matching.search_names import SEPARATOR, name_query

PERSONS = {
    "P-JOKO-1": "JOKO", "P-JOKO-2": "JOKO", "P-JONO": "JONO", "P-KOKO": "KOKO",
    "P-PRASETYO": f"J PRASETYO{SEPARATOR}JOKO PRASETYO", "P-PRAS-SWAP": "PRASETYO JOKO",
    "P-SUTRISNO": "A SUTRISNO", "P-SUPARMAN": "SUPARMAN", "P-S-DWI": "S DWI",
}


async def write_persons(store: GraphStore) -> None:
    rows = [{"person_id": p, "props": {"search_names": names, "name": names.split(SEPARATOR)[0],
                                       "region_code": "33.16.01.2001", "birth_date": "1955-12-13"}}
            for p, names in PERSONS.items()]
    await store.run(queries.UPSERT_PERSONS, {"rows": rows}, write=True)


async def search(store: GraphStore, typed: str, **filters: Any) -> list[tuple[str, int]]:
    searched = name_query(typed)
    assert searched is not None
    params = {"query": store.dialect.fulltext_query(searched.searchable), "words": searched.as_params(),
              "birth_date": None, "birth_year": None, "region": None, "after": None, "limit": 50, **filters}
    return [(r["person"]["person_id"], r["fit"]) for r in await store.run(api_queries.PERSON_SEARCH_BY_NAME, params)]


def fitting(found: list[tuple[str, int]]) -> list[tuple[str, int]]:
    return [hit for hit in found if hit[1] > 0]


async def test_exact_names_rank_before_fuzzy_ones(store: GraphStore) -> None:
    await write_persons(store)
    found = await search(store, "Joko")
    # exact JOKO first, then a name that holds it, and only then JONO and KOKO (one edit away)
    assert sorted(found[:2]) == [("P-JOKO-1", 3), ("P-JOKO-2", 3)]
    assert {p for p, fit in found[2:] if fit > 0} == {"P-PRASETYO", "P-PRAS-SWAP"}
    assert {p for p, fit in found if fit == 0} == {"P-JONO", "P-KOKO"}
    assert [fit for _, fit in found] == sorted((fit for _, fit in found), reverse=True)


async def test_every_name_initials_and_word_order(store: GraphStore) -> None:
    await write_persons(store)
    assert (await search(store, "Joko Prasetyo"))[0] == ("P-PRASETYO", 3)  # its second name
    assert (await search(store, "J. Prasetyo"))[0] == ("P-PRASETYO", 3)  # its first name, initial and all
    assert ("P-PRAS-SWAP", 1) in await search(store, "Joko Prasetyo")  # same words, other order
    # a one-letter word is a word to find (no English stop words): "A" is not dropped
    assert fitting(await search(store, "A. Sutrisno")) == [("P-SUTRISNO", 3)]
    assert (await search(store, "Ahmad Sutrisno"))[0] == ("P-SUTRISNO", 2)
    # one stored initial stands for one word: "S. DWI" is found through its S, but fits "Sri Sutrisno" not at all
    assert ("P-S-DWI", 0) in await search(store, "Sri Sutrisno")


async def test_filters_by_year_and_region_prefix(store: GraphStore) -> None:
    await write_persons(store)
    assert fitting(await search(store, "Soeparman", birth_year="1955", region="33.16")) == [("P-SUPARMAN", 3)]
    assert await search(store, "Soeparman", birth_year="1956") == []
    assert await search(store, "Soeparman", birth_date="1955-12-13", region="33.17") == []


def test_the_separator_is_the_one_the_statement_splits_on() -> None:
    assert f"split(p.search_names, '{SEPARATOR}')" in api_queries.PERSON_SEARCH_BY_NAME


async def test_a_schema_4_graph_moves_to_the_index_on_search_names(falkordb_server: EmbeddedServer) -> None:
    store = FalkorDBStore(HOST, falkordb_server.port, f"test_{uuid.uuid4().hex[:12]}")
    try:
        # the Person indexes as schema 4 made them: exact-match ones, then full-text on the best name
        for statement in ("CREATE INDEX FOR (n:Person) ON (n.person_id)", "CREATE INDEX FOR (n:Person) ON (n.nik)",
                          "CALL db.idx.fulltext.createNodeIndex('Person', 'name')"):
            await store.run(statement, write=True)
        await write_persons(store)
        created = await store.ensure_schema("2026-03-03T00:00:00+00:00")
        assert "drop full-text person_name(name)" in created and "full-text person_search_names" in created
        assert await store.ensure_schema("2026-03-04T00:00:00+00:00") == []  # idempotent
        (index,) = [r for r in await store.run("CALL db.indexes() YIELD label, types RETURN label, types")
                    if r["label"] == "Person"]
        assert [p for p, kinds in index["types"].items() if "FULLTEXT" in kinds] == ["search_names"]
        assert await search(store, "Ahmad Sutrisno") == [("P-SUTRISNO", 2)]  # "A" is no stop word
        assert (await store.run(queries.SCHEMA_VERSION))[0]["version"] == SCHEMA_VERSION
    finally:
        await store.clear()
        await store.close()
