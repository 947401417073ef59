"""Reading what the linker needs out of the graph: every record's identity, and the references
between records (an attendance row points at its resident row)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from graph_schema import queries
from graph_schema.port import GraphStore

PAGE = 50_000
COLUMNS = ["record_id", "source", "nik", "nik_birth_date", "nik_sex", "kk", "name", "birth_date", "birth_year", "age",
           "sex", "mother_name", "region_code", "encounter", "address", "phone", "register_id"]


async def load_records(store: GraphStore) -> pd.DataFrame:
    """One row per SourceRecord, identity columns only."""
    frames = []
    for row in await store.run(queries.SOURCES_LOADED):
        after, before = f"{row['source']}:", f"{row['source']};"
        while True:
            page = await store.run(queries.RECORDS_FOR_MATCHING, {"after": after, "before": before, "limit": PAGE})
            if not page:
                break
            frames.append(pd.DataFrame(page, columns=COLUMNS))
            after = page[-1]["record_id"]
            if len(page) < PAGE:
                break
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    return pd.concat(frames, ignore_index=True)


async def load_references(store: GraphStore) -> pd.DataFrame:
    rows = await store.run(queries.RECORD_REFERENCES)
    return pd.DataFrame(rows, columns=["record_id", "target"])


@dataclass(frozen=True)
class Resolutions:
    """Who each record resolves to now, and how (to rewrite only the links that change)."""

    person: dict[str, str]
    how: dict[str, tuple[str, float]]


async def load_resolutions(store: GraphStore) -> Resolutions:
    rows = await store.run(queries.CURRENT_RESOLUTIONS)
    return Resolutions({r["record_id"]: r["person_id"] for r in rows},
                       {r["record_id"]: (r["method"], float(r["probability"] or 0.0)) for r in rows})
