"""The few places where FalkorDB's Cypher and Neo4j's differ, as one table per adapter.

Queries in ``queries.py`` are written once in the dialect both engines share. Where they
cannot be, the query text holds a ``%%TOKEN%%`` that each adapter's table fills in.
Schema DDL differs more (FalkorDB declares constraints with a Redis command, not Cypher),
so each table also renders the abstract schema of ``schema.py`` into its own operations.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from graph_schema.model import Label
from graph_schema.schema import (
    FULLTEXT_INDEXES,
    LOOKUP_INDEXES,
    RETIRED_LOOKUP_INDEXES,
    RETIRED_UNIQUE_KEYS,
    UNIQUE_KEYS,
    FulltextIndex,
)

TOKEN = re.compile(r"%%([A-Z_]+)%%")
_LUCENE_SPECIAL = re.compile(r'([+\-!(){}\[\]^"~*?:\\/&|])')
_REDISEARCH_SPECIAL = re.compile(r"[^\w]")


@dataclass(frozen=True)
class SchemaOp:
    """One idempotent schema operation: a Cypher statement or (FalkorDB) a raw command."""

    description: str
    cypher: str | None = None
    command: tuple[str, ...] | None = None
    # Error texts that mean "already there" (or, for a drop, "already gone"), for engines
    # without IF [NOT] EXISTS.
    already_exists: tuple[str, ...] = ()


@dataclass(frozen=True)
class Dialect:
    name: str
    tokens: dict[str, str]
    fulltext_term: Callable[[str], str]
    schema_ops: Callable[[str], list[SchemaOp]]
    _cache: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def render(self, query: str) -> str:
        """The query with this dialect's tokens filled in (cached per text)."""
        rendered = self._cache.get(query)
        if rendered is None:
            rendered = TOKEN.sub(lambda m: self.tokens[m.group(1)], query)
            self._cache[query] = rendered
        return rendered

    def fulltext_query(self, text: str) -> str:
        """A fuzzy, all-terms full-text query for the words of ``text``."""
        words = [w for w in re.split(r"\s+", text.strip()) if w]
        return " ".join(self.fulltext_term(w) for w in words)


def _neo4j_name(*parts: str) -> str:
    return "_".join(p.lower() for p in parts)


def _neo4j_schema(_graph: str) -> list[SchemaOp]:
    ops: list[SchemaOp] = []
    for label, props in UNIQUE_KEYS:
        name = _neo4j_name(label, *props, "unique")
        fields = ", ".join(f"n.{p}" for p in props)
        subject = f"({fields})" if len(props) > 1 else fields
        ops.append(SchemaOp(f"unique {label}({', '.join(props)})",
                            cypher=f"CREATE CONSTRAINT {name} IF NOT EXISTS FOR (n:{label}) REQUIRE {subject} IS UNIQUE"))
    for label, prop in LOOKUP_INDEXES:
        ops.append(SchemaOp(f"index {label}({prop})",
                            cypher=f"CREATE INDEX {_neo4j_name(label, prop)} IF NOT EXISTS FOR (n:{label}) ON (n.{prop})"))
    for ft in FULLTEXT_INDEXES:
        fields = ", ".join(f"n.{p}" for p in ft.properties)
        ops.append(SchemaOp(f"full-text {ft.name}",
                            cypher=f"CREATE FULLTEXT INDEX {ft.name} IF NOT EXISTS FOR (n:{ft.label}) ON EACH [{fields}]"))
    for label, props in RETIRED_UNIQUE_KEYS:
        ops.append(SchemaOp(f"drop unique {label}({', '.join(props)})",
                            cypher=f"DROP CONSTRAINT {_neo4j_name(label, *props, 'unique')} IF EXISTS"))
    for label, prop in RETIRED_LOOKUP_INDEXES:
        ops.append(SchemaOp(f"drop index {label}({prop})", cypher=f"DROP INDEX {_neo4j_name(label, prop)} IF EXISTS"))
    return ops


def _falkordb_schema(graph: str) -> list[SchemaOp]:
    ops: list[SchemaOp] = []
    indexed: set[tuple[Label, str]] = set()
    # A FalkorDB unique constraint needs an exact-match index on each of its properties first.
    for label, props in UNIQUE_KEYS:
        for prop in props:
            indexed.add((label, prop))
    indexed.update(LOOKUP_INDEXES)
    for label, prop in sorted(indexed):
        ops.append(SchemaOp(f"index {label}({prop})", cypher=f"CREATE INDEX FOR (n:{label}) ON (n.{prop})",
                            already_exists=("already indexed",)))
    for label, props in UNIQUE_KEYS:
        ops.append(SchemaOp(f"unique {label}({', '.join(props)})",
                            command=("GRAPH.CONSTRAINT", "CREATE", graph, "UNIQUE", "NODE", label,
                                     "PROPERTIES", str(len(props)), *props),
                            already_exists=("already exists",)))
    for ft in FULLTEXT_INDEXES:
        ops.append(_falkordb_fulltext(ft))
    for label, props in RETIRED_UNIQUE_KEYS:  # the constraint first: it holds its indexes
        ops.append(SchemaOp(f"drop unique {label}({', '.join(props)})",
                            command=("GRAPH.CONSTRAINT", "DROP", graph, "UNIQUE", "NODE", label,
                                     "PROPERTIES", str(len(props)), *props),
                            already_exists=("no such constraint", "empty key")))
    for label, prop in RETIRED_LOOKUP_INDEXES:
        ops.append(SchemaOp(f"drop index {label}({prop})", cypher=f"DROP INDEX ON :{label}({prop})",
                            already_exists=("no such index",)))
    return ops


def _falkordb_fulltext(ft: FulltextIndex) -> SchemaOp:
    fields = ", ".join(f"'{p}'" for p in ft.properties)
    return SchemaOp(f"full-text {ft.name}",
                    cypher=f"CALL db.idx.fulltext.createNodeIndex('{ft.label}', {fields})",
                    already_exists=("already indexed", "already exists"))


NEO4J = Dialect(
    name="neo4j",
    tokens={
        "NODE_ID": "elementId",
        "FULLTEXT_PERSON_NAMES": "CALL db.index.fulltext.queryNodes('person_name', $query)",
    },
    # Lucene: escape the syntax characters, then ask for an edit-distance match.
    fulltext_term=lambda w: _LUCENE_SPECIAL.sub(r"\\\1", w) + "~",
    schema_ops=_neo4j_schema,
)

FALKORDB = Dialect(
    name="falkordb",
    tokens={
        "NODE_ID": "id",
        "FULLTEXT_PERSON_NAMES": "CALL db.idx.fulltext.queryNodes('Person', $query)",
    },
    # RediSearch: %term% is a Levenshtein-1 match; drop characters its syntax reserves.
    fulltext_term=lambda w: f"%{_REDISEARCH_SPECIAL.sub('', w)}%" if len(w) > 3 else _REDISEARCH_SPECIAL.sub("", w),
    schema_ops=_falkordb_schema,
)
