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


async def test_typed_columns_read_as_the_untyped_ones(store: GraphStore) -> None:
    """``run_values(types=...)`` (FalkorDB: its verbose reply, booleans and doubles as text) gives the
    very values the untyped read gives, nulls included, in every typed column."""
    await store.run("UNWIND [[1, 'a', true, 0.999999999472565], [2, 'true', false, 1.0], [3, null, null, null], "
                    "[4, '0.5', true, 1e-300]] AS row "
                    "CREATE (:Region {code: '33.9' + toString(row[0]), n: row[0], name: row[1], b: row[2], p: row[3]})",
                    write=True)
    statement = ("MATCH (r:Region) WHERE r.code STARTS WITH '33.9' "
                 "RETURN r.n AS n, r.name AS name, r.b AS b, r.p AS p ORDER BY n")
    typed = await store.run_values(statement, types=(int, str, bool, float))
    assert typed == await store.run_values(statement) == [[1, "a", True, 0.999999999472565], [2, "true", False, 1.0],
                                                          [3, None, None, None], [4, "0.5", True, 1e-300]]
    assert [[type(v) for v in row] for row in typed][:2] == [[int, str, bool, float]] * 2
    assert await store.run_values(statement + " LIMIT 0", types=(int, str, bool, float)) == []
