"""The few places where FalkorDB's Cypher and Neo4j's differ, as one table per adapter.

Queries in ``queries.py`` are written once in the dialect both engines share. Where they
cannot be, the query text holds a ``%%TOKEN%%`` that each adapter's table fills in.
Schema DDL differs more (FalkorDB declares constraints with a Redis command, not Cypher),
so each table also renders the abstract schema of ``schema.py`` into its own operations.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from graph_schema.model import Label
from graph_schema.schema import (
    FULLTEXT_INDEXES,
    LOOKUP_INDEXES,
    RETIRED_FULLTEXT_INDEXES,
    RETIRED_LOOKUP_INDEXES,
    RETIRED_UNIQUE_KEYS,
    UNIQUE_KEYS,
    FulltextIndex,
)

TOKEN = re.compile(r"%%([A-Z_]+)%%")
_NOT_WORD = re.compile(r"[^0-9A-Za-z]")
# A full-text form this long or longer also matches one edit away (shorter ones: too many hits).
FUZZY_FROM = 4


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
    # One word of a full-text query: any of its forms, each also one edit away when long enough.
    fulltext_word: Callable[[Sequence[str]], str]
    schema_ops: Callable[[str], list[SchemaOp]]
    _cache: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def render(self, query: str) -> str:
        """The query with this dialect's tokens filled in (cached per text)."""
        rendered = self._cache.get(query)
        if rendered is None:
            rendered = TOKEN.sub(lambda m: self.tokens[m.group(1)], query)
            self._cache[query] = rendered
        return rendered

    def fulltext_query(self, words: Sequence[Sequence[str]]) -> str:
        """A full-text query that every word must match, each by any of its forms (fuzzy when long).

        Characters other than letters and digits are dropped from the forms; a word left with no
        form is left out. Empty when no word is left.
        """
        cleaned = [[f for f in (_NOT_WORD.sub("", form) for form in forms) if f] for forms in words]
        return " ".join(self.fulltext_word(forms) for forms in cleaned if forms)


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
                            cypher=f"CREATE FULLTEXT INDEX {ft.name} IF NOT EXISTS FOR (n:{ft.label}) ON EACH [{fields}] "
                                   "OPTIONS {indexConfig: {`fulltext.analyzer`: 'standard-no-stop-words'}}"))
    for ft in RETIRED_FULLTEXT_INDEXES:
        ops.append(SchemaOp(f"drop full-text {ft.name}", cypher=f"DROP INDEX {ft.name} IF EXISTS"))
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
    # Retired fields go first: a label has one RediSearch index, shared with its exact-match ones.
    for ft in RETIRED_FULLTEXT_INDEXES:
        for prop in ft.properties:
            ops.append(SchemaOp(f"drop full-text {ft.name}({prop})",
                                cypher=f"DROP FULLTEXT INDEX FOR (n:{ft.label}) ON (n.{prop})",
                                already_exists=("no such index",)))
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
    # FalkorDB's full-text indexes have no stop words; stemming is turned off per field. (Index
    # options such as stopwords cannot be given again once set: "Can not override index configuration".)
    fields = ", ".join(f"{{field: '{p}', nostem: true}}" for p in ft.properties)
    return SchemaOp(f"full-text {ft.name}",
                    cypher=f"CALL db.idx.fulltext.createNodeIndex('{ft.label}', {fields})",
                    already_exists=("already indexed", "already exists"))


def _redisearch_word(forms: Sequence[str]) -> str:
    # %form% is a Levenshtein-1 match; | is OR; words side by side must all match.
    return "(" + "|".join(f"{f}|%{f}%" if len(f) >= FUZZY_FROM else f for f in forms) + ")"


def _lucene_word(forms: Sequence[str]) -> str:
    # +(...) must match; form~1 is an edit-distance-1 match. Forms hold letters and digits only.
    return "+(" + " ".join(f"{f} {f}~1" if len(f) >= FUZZY_FROM else f for f in (f.lower() for f in forms)) + ")"


NEO4J = Dialect(
    name="neo4j",
    tokens={
        "NODE_ID": "elementId",
        "FULLTEXT_PERSON_NAMES": "CALL db.index.fulltext.queryNodes('person_search_names', $query)",
    },
    fulltext_word=_lucene_word,
    schema_ops=_neo4j_schema,
)

FALKORDB = Dialect(
    name="falkordb",
    tokens={
        "NODE_ID": "id",
        "FULLTEXT_PERSON_NAMES": "CALL db.idx.fulltext.queryNodes('Person', $query)",
    },
    fulltext_word=_redisearch_word,
    schema_ops=_falkordb_schema,
)
