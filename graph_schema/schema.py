"""Constraints and indexes, said once, abstractly; each dialect renders them as DDL.

Bump ``SCHEMA_VERSION`` whenever this file changes: ``hub db init`` records it in the graph.
"""

from __future__ import annotations

from dataclasses import dataclass

from graph_schema.model import NODES, Label

SCHEMA_VERSION = 9


@dataclass(frozen=True)
class FulltextIndex:
    name: str
    label: Label
    properties: tuple[str, ...]


# Every node key is unique. SourceRecord is keyed by record_id, "<source>:<source_key>": its
# uniqueness is that of the pair, and lookups by the pair ask for the record_id.
UNIQUE_KEYS: list[tuple[Label, tuple[str, ...]]] = [(spec.label, spec.key) for spec in NODES.values()]

# Since schema 6 each record carries its blocking-key values (matching/blocking.py), so that live
# linking finds the records sharing a key with a new one by index, not by reading every record.
BLOCKING_KEY_PROPERTIES: tuple[str, ...] = (
    "bk_name_year", "bk_first_date", "bk_sorted_district", "bk_first_village", "bk_date_village",
    "bk_first_regency", "bk_met_first_regency", "bk_phone", "bk_register_id", "bk_sorted_address",
    "bk_last_date", "bk_date_address",
)

LOOKUP_INDEXES: list[tuple[Label, str]] = [
    (Label.PERSON, "nik"),
    (Label.PERSON, "kk"),
    (Label.SOURCE_RECORD, "nik"),
    (Label.MATCH_CANDIDATE, "status"),
    (Label.SERVICE_EVENT, "kind"),
    # Since schema 7: a region's persons are found village by village (worklists, graph_schema/targeting_queries.py).
    (Label.PERSON, "region_code"),
    # Since schema 7: statistics count a region's events and PSKS actors by range on these (statistics_queries.py).
    (Label.SERVICE_EVENT, "region_code"),
    (Label.PSKS_ACTOR, "region_code"),
    # Since schema 8: every live link reads the candidates held apart (few), not every open one (tens of thousands).
    (Label.MATCH_CANDIDATE, "held_apart"),
    *((Label.SOURCE_RECORD, prop) for prop in BLOCKING_KEY_PROPERTIES),
]

# A person is searched by every name their records give, folded (matching/search_names.py), not
# by the best name alone. Full-text indexes here hold names: no stemming, no stop words (an
# initial "A" is a word to find, and an English stemmer has no business with Javanese names);
# each dialect renders that.
FULLTEXT_INDEXES: list[FulltextIndex] = [FulltextIndex("person_search_names", Label.PERSON, ("search_names",))]

# Dropped in schema 4 from graphs made before it. Every index is paid on every write: the
# (source, source_key) constraint, which record_id's already implies, cost a seventh of the
# server's time per loaded row; nothing looks records up by batch_id, and a household's
# records are found through its Household node, not by the kk on each record.
RETIRED_UNIQUE_KEYS: list[tuple[Label, tuple[str, ...]]] = [(Label.SOURCE_RECORD, ("source", "source_key"))]
RETIRED_LOOKUP_INDEXES: list[tuple[Label, str]] = [
    (Label.SOURCE_RECORD, "source"), (Label.SOURCE_RECORD, "source_key"), (Label.SOURCE_RECORD, "batch_id"),
    (Label.SOURCE_RECORD, "kk"),
    # Dropped in schema 9: the (first name, district) blocking key, replaced by (first name, village)
    # (matching/model.py). A record keyed before it keeps the old value, unread, until its keys change.
    (Label.SOURCE_RECORD, "bk_first_district"),
]

# Dropped in schema 5: the full-text index on the best name, replaced by the one on search_names.
# A person written before schema 5 has no search_names until the next `hub match` writes it.
RETIRED_FULLTEXT_INDEXES: list[FulltextIndex] = [FulltextIndex("person_name", Label.PERSON, ("name",))]
