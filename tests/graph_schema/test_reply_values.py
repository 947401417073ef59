"""What a statement returns comes back as plain Python values on every backend: the FalkorDB adapter
reads a reply of plain values itself and hands nodes, edges and maps to its client."""

from __future__ import annotations

from graph_schema.port import GraphStore


async def test_plain_values_lists_maps_and_nodes(store: GraphStore) -> None:
    (row,) = await store.run("RETURN 1.5 AS d, 7 AS i, true AS t, false AS f, null AS n, 'Ngadirejo é' AS s, "
                             "[1, 'a', null, [2.5, false]] AS a")
    assert row == {"d": 1.5, "i": 7, "t": True, "f": False, "n": None, "s": "Ngadirejo é", "a": [1, "a", None, [2.5, False]]}
    assert [type(v) for v in row.values()] == [float, int, bool, bool, type(None), str, list]
    assert await store.run_values("RETURN 1 AS x, 'y' AS y UNION RETURN 2 AS x, null AS y") in (
        [[1, "y"], [2, None]], [[2, None], [1, "y"]])
    # a map, and a node among plain values: the whole reply goes through the client's parsing
    (mixed,) = await store.run("CREATE (r:Region {code: '33.99', name: 'Uji'}) RETURN r, {k: 1, l: ['x']} AS m, 3 AS n",
                               write=True)
    assert mixed == {"r": {"code": "33.99", "name": "Uji"}, "m": {"k": 1, "l": ["x"]}, "n": 3}
    assert await store.run("MATCH (r:Region {code: '33.99'}) RETURN r.name AS name, r") == [
        {"name": "Uji", "r": {"code": "33.99", "name": "Uji"}}]
    assert await store.run("MATCH (r:Region {code: 'none'}) RETURN r.name AS name") == []
