"""Constraints and indexes, said once, abstractly; each dialect renders them as DDL.

Bump ``SCHEMA_VERSION`` whenever this file changes: ``hub db init`` records it in the graph.
"""

from __future__ import annotations

from dataclasses import dataclass

from graph_schema.model import NODES, Label

SCHEMA_VERSION = 3


@dataclass(frozen=True)
class FulltextIndex:
    name: str
    label: Label
    properties: tuple[str, ...]


# Every node key is unique: (SourceRecord.source, SourceRecord.source_key) included.
# SourceRecord is keyed by record_id ("<source>:<source_key>", one index lookup per write), and
# the (source, source_key) pair it is made of is unique as well.
UNIQUE_KEYS: list[tuple[Label, tuple[str, ...]]] = [(spec.label, spec.key) for spec in NODES.values()] + [
    (Label.SOURCE_RECORD, ("source", "source_key")),
]

LOOKUP_INDEXES: list[tuple[Label, str]] = [
    (Label.PERSON, "nik"),
    (Label.PERSON, "kk"),
    (Label.SOURCE_RECORD, "nik"),
    (Label.SOURCE_RECORD, "kk"),
    (Label.SOURCE_RECORD, "batch_id"),
    (Label.MATCH_CANDIDATE, "status"),
    (Label.SERVICE_EVENT, "kind"),
]

FULLTEXT_INDEXES: list[FulltextIndex] = [FulltextIndex("person_name", Label.PERSON, ("name",))]
