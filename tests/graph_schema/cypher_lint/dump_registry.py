"""Write ``neo4j-registry.json``: the function and procedure registry of a running Neo4j, as the lint needs it.

Run once per Neo4j version the hub targets (now 5.26 LTS, Community, as the managed Neo4j runs it):

    hub db start --engine neo4j
    python tests/graph_schema/cypher_lint/dump_registry.py bolt://127.0.0.1:7687 neo4j "$(cat .hub/neo4j/password)"

The file is keyed like ``@neo4j-cypher/language-support``'s ``DbSchema`` (Cypher version, then name), so
``lint.mjs`` hands it over as it is; the tests never need a server or the package's own test data.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import neo4j

OUT = Path(__file__).with_name("neo4j-registry.json")


def dump(uri: str, user: str, password: str) -> dict[str, Any]:
    with neo4j.GraphDatabase.driver(uri, auth=(user, password)) as driver:
        functions, _, _ = driver.execute_query("SHOW FUNCTIONS YIELD * RETURN * ORDER BY name")
        procedures, _, _ = driver.execute_query("SHOW PROCEDURES YIELD * RETURN * ORDER BY name")
        component, _, _ = driver.execute_query(
            "CALL dbms.components() YIELD versions, edition RETURN versions[0] AS version, edition")
    return {
        "neo4j": f"{component[0]['version']} {component[0]['edition']}",
        "functions": {"CYPHER 5": {r["name"]: r.data() for r in functions}},
        "procedures": {"CYPHER 5": {r["name"]: r.data() for r in procedures}},
    }


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: dump_registry.py BOLT_URI USER PASSWORD")
    OUT.write_text(json.dumps(dump(*sys.argv[1:]), indent=1, sort_keys=True) + "\n")
    print(f"wrote {OUT}")
