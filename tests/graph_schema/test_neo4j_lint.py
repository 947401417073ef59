"""Neo4j fidelity without a Neo4j server.

Every statement the Neo4j adapter can send (all queries rendered in the Neo4j dialect, the
schema DDL, the bulk delete) goes through ``lintCypherQuery`` of Neo4j's own
``@neo4j-cypher/language-support``, with its parameters declared and the model's labels,
relationship types and property keys known. Any diagnostic, warning or error, fails.
The npm package is installed here from the npm registry on first use.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from graph_schema import queries
from graph_schema.dialect import NEO4J
from graph_schema.model import NODES, RELATIONSHIPS, Label, RelType
from graph_schema.schema import BLOCKING_KEY_PROPERTIES

LINT_DIR = Path(__file__).parent / "cypher_lint"
PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def neo4j_statements() -> dict[str, str]:
    statements = {name: NEO4J.render(q) for name, q in queries.all_statements().items()}
    for op in NEO4J.schema_ops("neo4j"):
        assert op.cypher is not None, op
        statements[f"schema: {op.description}"] = op.cypher
    return statements


def property_keys() -> list[str]:
    keys = {p for spec in NODES.values() for p in spec.all_properties}
    keys |= {p for spec in RELATIONSHIPS.values() for p in spec.properties}
    # Map keys of the UNWIND row shape (see queries.py) read like properties to the linter.
    keys |= {"start", "end", "props"}
    # What live linking keeps on a record besides its row (graph_schema/schema.py, matching/blocking.py).
    keys |= {*BLOCKING_KEY_PROPERTIES, "bk_hash"}
    return sorted(keys)


@pytest.fixture(scope="module")
def linter() -> Path:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        if os.environ.get("CI"):
            pytest.fail("node and npm are needed for the Neo4j Cypher lint (apt-get install nodejs npm)")
        pytest.skip("node/npm not installed: the Neo4j Cypher lint needs them")
    if not (LINT_DIR / "node_modules" / "@neo4j-cypher" / "language-support").exists():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=LINT_DIR, check=True,
                       timeout=300)
    return LINT_DIR / "lint.mjs"


def lint(script: Path, statements: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    payload = {
        "labels": [str(label) for label in Label],
        "relationshipTypes": [str(rel) for rel in RelType],
        "propertyKeys": property_keys(),
        "statements": [
            {"name": name, "query": query, "parameters": {p: "x" for p in PARAM.findall(query)}}
            for name, query in statements.items()
        ],
    }
    done = subprocess.run(["node", str(script)], input=json.dumps(payload), capture_output=True, text=True,
                          cwd=LINT_DIR, check=True, timeout=300)
    return {item["name"]: item["diagnostics"] for item in json.loads(done.stdout)}


def test_every_neo4j_statement_passes_neo4j_semantic_analysis(linter: Path) -> None:
    statements = neo4j_statements()
    results = lint(linter, statements)
    assert set(results) == set(statements)
    failures = {name: diags for name, diags in results.items() if diags}
    assert failures == {}


def test_the_lint_catches_falkordb_only_cypher(linter: Path) -> None:
    from graph_schema.dialect import FALKORDB

    bad = {
        "falkordb fulltext": FALKORDB.render(queries.PERSONS_BY_NAME),
        "undeclared parameter": "MATCH (p:Person {person_id: $x}) RETURN p.person_id, $undeclared",
        "unknown label": "MATCH (p:Persn) RETURN p",
        "syntax": "MATCH (p:Person RETURN p",
    }
    payload_results = lint(linter, bad)
    # The undeclared one: lint() declares only the parameters it finds, so check it by hand.
    assert all(payload_results[name] for name in ("falkordb fulltext", "unknown label", "syntax"))
    assert any("db.idx.fulltext.queryNodes" in d["message"] for d in payload_results["falkordb fulltext"])
