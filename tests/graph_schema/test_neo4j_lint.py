"""Neo4j fidelity without a Neo4j server.

Every statement the Neo4j adapter can send (all queries rendered in the Neo4j dialect, the
schema DDL, the bulk delete) goes through ``lintCypherQuery`` of Neo4j's own
``@neo4j-cypher/language-support``, with its parameters declared and the model's labels,
relationship types and property keys known, and the function and procedure registry of Neo4j
5.26 Community itself (``cypher_lint/neo4j-registry.json``, committed; ``dump_registry.py``
rewrites it from a running Neo4j). Any diagnostic, warning or error, fails.
The npm package comes locked (``package-lock.json``) from ``make install``; a test installs it
only where that step was skipped.
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

from graph_schema import api_queries, queries
from graph_schema.dialect import FALKORDB, NEO4J
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


def lint(script: Path, statements: dict[str, str], declared: dict[str, list[str]] | None = None,
         ) -> dict[str, list[dict[str, Any]]]:
    """Each statement's diagnostics. Its parameters are declared as found in its text, unless
    ``declared`` names them for it."""
    declared = declared or {}
    payload = {
        "labels": [str(label) for label in Label],
        "relationshipTypes": [str(rel) for rel in RelType],
        "propertyKeys": property_keys(),
        "statements": [
            {"name": name, "query": query,
             "parameters": {p: "x" for p in declared.get(name, PARAM.findall(query))}}
            for name, query in statements.items()
        ],
    }
    done = subprocess.run(["node", str(script)], input=json.dumps(payload), capture_output=True, text=True,
                          cwd=LINT_DIR, check=True, timeout=300)
    return {item["name"]: item["diagnostics"] for item in json.loads(done.stdout)}


@pytest.mark.slow
def test_every_neo4j_statement_passes_neo4j_semantic_analysis(linter: Path) -> None:
    statements = neo4j_statements()
    results = lint(linter, statements)
    assert set(results) == set(statements)
    failures = {name: diags for name, diags in results.items() if diags}
    assert failures == {}


def test_the_registry_is_neo4j_526_community() -> None:
    registry = json.loads((LINT_DIR / "neo4j-registry.json").read_text())
    assert registry["neo4j"].startswith("5.26.") and registry["neo4j"].endswith("community")
    procedures = registry["procedures"]["CYPHER 5"]
    assert "db.index.fulltext.queryNodes" in procedures and "db.idx.fulltext.queryNodes" not in procedures
    assert not any(name.startswith(("apoc.", "gds.")) for name in procedures)
    assert {"elementId", "toString", "coalesce"} <= set(registry["functions"]["CYPHER 5"])


BAD: dict[str, tuple[str, str]] = {  # name: (statement, what its diagnostic names)
    "falkordb fulltext": (FALKORDB.render(api_queries.PERSON_SEARCH_BY_NAME), "db.idx.fulltext.queryNodes"),
    "falkordb function": ("MATCH (p:Person) RETURN id(p) AS i, toJSON(p) AS j", "toJSON"),
    "undeclared parameter": ("MATCH (p:Person {person_id: $x}) RETURN p.person_id, $undeclared",
                             "undeclared"),
    "unknown label": ("MATCH (p:Persn) RETURN p", "Persn"),
    "unknown relationship type": ("MATCH (:Person)-[:RESOLVE_TO]->(p:Person) RETURN p", "RESOLVE_TO"),
    "unknown property": ("MATCH (p:Person) RETURN p.nikk", "nikk"),
    "syntax": ("MATCH (p:Person RETURN p", ""),
}


def test_the_lint_catches_what_it_claims_to(linter: Path) -> None:
    statements = {name: query for name, (query, _) in BAD.items()}
    results = lint(linter, statements, declared={"undeclared parameter": ["x"]})
    for name, (_, named) in BAD.items():
        assert results[name], f"{name}: no diagnostic for {statements[name]!r}"
        assert any(named in d["message"] for d in results[name]), (name, results[name])
    good = lint(linter, {"declared": "MATCH (p:Person {person_id: $x}) RETURN p.person_id"})
    assert good == {"declared": []}
