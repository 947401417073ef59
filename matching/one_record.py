"""One new record against everyone already known: "have we met this person before?"

A ``KnownRecords`` holds the features of every record (and the person each resolves to), an
index of them by each blocking key, the name term frequencies and the saved model.
``candidates`` looks up the records that share a key with the new one and scores those alone
with Splink's ``score_pairs``, then ranks the persons by their best pair. Read-only: nothing is
written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
from splink import Linker

from graph_schema.port import GraphStore
from matching import model
from matching.extract import COLUMNS, load_records, load_resolutions
from matching.features import features


@dataclass(frozen=True)
class Candidate:
    person_id: str | None
    record_id: str
    probability: float
    evidence: float
    name: str | None


# One record can afford wider blocks than a whole population: everyone of its first name in its
# regency (a call name and a guessed age still find their person), or in the whole province when
# the record says no region.
SEARCH_KEYS = [*model.BLOCKING_KEYS, *model.ENCOUNTER_KEYS]
WIDE_KEY = ("name_first",)


class KnownRecords:
    def __init__(self, records: pd.DataFrame, persons: dict[str, str], saved: dict[str, Any]) -> None:
        self.records = records
        self.frame = frame = features(records)
        self.persons = persons
        self.prior = model.prior_weight(saved)
        self.db = model.duckdb_api()
        self.known = self.db.register(frame, table_name="known_records")
        self.linker = Linker(self.known, saved, log_level=None)
        for column in model.tf_columns(saved):
            self.linker.table_management.compute_tf_table(column)
        self.names = dict(zip(frame["unique_id"], frame["name_folded"], strict=True))
        # Which known records share each blocking key value, so that a search scores those alone:
        # a join of one record against a million in DuckDB reads the million, once per rule.
        self.index = {key: frame.groupby(list(key), sort=False).indices for key in (*SEARCH_KEYS, WIDE_KEY)}
        self._count = 0

    @classmethod
    async def from_graph(cls, store: GraphStore, saved: dict[str, Any]) -> KnownRecords:
        return cls(await load_records(store), (await load_resolutions(store)).person, saved)

    def features_by_id(self) -> dict[str, dict[str, Any]]:
        """Each named record's features (with the name term frequency), as Splink scores them."""
        return {str(row["unique_id"]): {str(k): (None if pd.isna(v) else v) for k, v in row.items()}
                for row in self.frame.to_dict("records")}

    @property
    def size(self) -> int:
        return len(self.records)

    def sample(self, count: int, seed: int) -> list[dict[str, Any]]:
        """Known records with a name, as search inputs (for benchmarks)."""
        named = self.records[self.records["name"].notna()]
        rows = named.sample(min(count, len(named)), random_state=seed)
        return [{str(k): (None if pd.isna(v) else v) for k, v in row.items() if k not in ("record_id", "source")}
                for row in rows.to_dict("records")]

    def candidates(self, record: dict[str, Any], limit: int = 5, low: float = 0.0) -> list[Candidate]:
        """Persons the record may be, best first (evidence in bits; ``low`` drops weaker ones)."""
        self._count += 1
        row = {column: record.get(column) for column in COLUMNS}
        row["record_id"] = row["record_id"] or f"new:{self._count}"
        row["source"] = row["source"] or "new"
        searched = features(pd.DataFrame([row]), dt.date.today())
        if searched.empty:
            return []
        found = self._sharing_a_key(searched.iloc[0])
        if not found:
            return []
        known = self.db.register(self.frame.iloc[found], table_name=f"known_{self._count}")
        new = self.db.register(searched, table_name=f"new_record_{self._count}")
        try:
            scored = self.linker.inference.score_pairs(known, new)
            pairs = scored.as_pandas_dataframe()  # type: ignore[no-untyped-call]
            scored.drop_table_from_database_and_remove_from_cache()
        finally:
            for table in (known, new):
                table.drop_table_from_database_and_remove_from_cache(force_non_splink_table=True)
        pairs = pairs[pairs["match_weight"] >= self.prior + low]
        if pairs.empty:
            return []
        pairs["evidence"] = pairs["match_weight"] - self.prior
        # A comprehension, not Series.map: map turns the million-entry dict into a Series on every call.
        pairs["person_id"] = [self.persons.get(str(r)) for r in pairs["unique_id_l"]]
        best = pairs.sort_values("evidence", ascending=False).drop_duplicates(subset=["person_id"]).head(limit)
        return [Candidate(None if pd.isna(p) else str(p), str(r), float(prob), float(w), self.names.get(str(r)))
                for p, r, prob, w in zip(best["person_id"], best["unique_id_l"], best["match_probability"],
                                         best["evidence"], strict=True)]

    def _sharing_a_key(self, searched: pd.Series) -> list[int]:
        """Positions of the known records that share a blocking key with ``searched``."""
        keys = [*SEARCH_KEYS, *([WIDE_KEY] if pd.isna(searched["regency"]) else [])]
        found: set[int] = set()
        for key in keys:
            values = tuple(searched[column] for column in key)
            if any(pd.isna(v) for v in values):
                continue
            hit = self.index[key].get(values[0] if len(key) == 1 else values)
            if hit is not None:
                found.update(int(i) for i in hit)
        return sorted(found)
