"""One new record against everyone already known: "have we met this person before?"

A ``KnownRecords`` holds the features of every record (and the person each resolves to) in
DuckDB, with the name term frequencies precomputed, and the saved model. ``candidates`` scores
one record against them with Splink's ``predict_between`` (the blocking rules pick the few
records worth scoring) and ranks the persons by their best pair. Read-only: nothing is written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
from splink import Linker, block_on

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
        # One record can afford wider blocks than a whole population: everyone sharing its first
        # name or its NIK is scored, so a call name and a guessed age still find their person.
        self.rules = [*saved["blocking_rules_to_generate_predictions"], block_on("name_first"), block_on("nik")]
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
        new = self.db.register(features(pd.DataFrame([row]), dt.date.today()), table_name=f"new_record_{self._count}")
        try:
            scored = self.linker.inference.predict_between(
                self.known, new, link_type="link_only", threshold_match_weight=self.prior + low,
                blocking_rules_to_generate_predictions=self.rules)
            pairs = scored.as_pandas_dataframe()  # type: ignore[no-untyped-call]
            scored.drop_table_from_database_and_remove_from_cache()
        finally:
            new.drop_table_from_database_and_remove_from_cache(force_non_splink_table=True)
        if pairs.empty:
            return []
        pairs["evidence"] = pairs["match_weight"] - self.prior
        pairs["person_id"] = pairs["unique_id_l"].map(self.persons)
        best = pairs.sort_values("evidence", ascending=False).drop_duplicates(subset=["person_id"]).head(limit)
        return [Candidate(None if pd.isna(p) else str(p), str(r), float(prob), float(w), self.names.get(str(r)))
                for p, r, prob, w in zip(best["person_id"], best["unique_id_l"], best["match_probability"],
                                         best["evidence"], strict=True)]


