"""Persistent blocking keys: which known records share a blocking key with some new ones.

Every named record carries, as string properties, the value of each of the model's blocking
keys (``model.BLOCKING_KEYS`` and ``model.ENCOUNTER_KEYS``; a NIK and a KK are looked up on the
record's own NIK and through its Household), each with an index. So the records that a new row
must be scored against are a few batched UNWIND lookups on those indexes, never a read of every
record: the live path (``matching/incremental.py``) and "seen before?" (``resolvers``) both ask here.

Public API (used by the GraphQL writes and "seen before?"):

* ``await neighbours(store, frame) -> pd.DataFrame``: ``frame`` is a features frame
  (``matching.features.features(records)``); the result has ``extract.COLUMNS`` plus
  ``person_id`` (None when the record holds no person yet), ``method`` and ``probability`` of
  its link, one row per known record sharing any key with any row of ``frame`` (the frame's own
  ``unique_id``s left out).
* ``await write_keys(store, frame) -> int``: stores the keys of the frame's records (those whose
  keys changed); returns how many were written. ``key_statements(frame)``: the same writes as
  statements, for a caller that sends them as a batch of its own (a live link, while it scores).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Iterable, Set

import pandas as pd

from graph_schema import queries
from graph_schema.port import GraphStore, Statement
from matching.extract import COLUMNS
from matching.membership import absent

# Each blocking key and the record property holding its value. A key added to the model needs a
# property here, an index in graph_schema/schema.py and a lookup in graph_schema/queries.py
# (tests/matching/test_incremental.py checks that every key has all three).
KEY_PROPERTIES: dict[tuple[str, ...], str] = {
    ("name_folded", "birth_year"): "bk_name_year",
    ("name_first", "birth_date"): "bk_first_date",
    ("name_sorted", "district"): "bk_sorted_district",
    ("name_first", "village"): "bk_first_village",
    ("birth_date", "village"): "bk_date_village",
    ("name_first", "regency"): "bk_first_regency",
    ("phone",): "bk_phone",
    ("register_id",): "bk_register_id",
    ("name_sorted", "address_folded"): "bk_sorted_address",
    ("name_last", "birth_date"): "bk_last_date",
    ("birth_date", "address_folded"): "bk_date_address",
}
# The encounter key again, on encounter records only: a registered record is compared with the
# encounters of its first name in the regency, not with everyone of that name there.
MET_PROPERTY = "bk_met_first_regency"
# Keys looked up on what the graph already indexes.
INDEXED_KEYS: dict[tuple[str, ...], str] = {("nik",): queries.RECORDS_SHARING_NIK, ("kk",): queries.RECORDS_SHARING_KK}
LOOKUPS: dict[str, str] = {
    "bk_name_year": queries.RECORDS_SHARING_NAME_YEAR,
    "bk_first_date": queries.RECORDS_SHARING_FIRST_DATE,
    "bk_sorted_district": queries.RECORDS_SHARING_SORTED_DISTRICT,
    "bk_first_village": queries.RECORDS_SHARING_FIRST_VILLAGE,
    "bk_date_village": queries.RECORDS_SHARING_DATE_VILLAGE,
    "bk_first_regency": queries.RECORDS_SHARING_FIRST_REGENCY,
    MET_PROPERTY: queries.RECORDS_SHARING_MET_FIRST_REGENCY,
    "bk_phone": queries.RECORDS_SHARING_PHONE,
    "bk_register_id": queries.RECORDS_SHARING_REGISTER_ID,
    "bk_sorted_address": queries.RECORDS_SHARING_SORTED_ADDRESS,
    "bk_last_date": queries.RECORDS_SHARING_LAST_DATE,
    "bk_date_address": queries.RECORDS_SHARING_DATE_ADDRESS,
}
# Lookup batches: values per UNWIND.
BATCH = 2000
WRITE_BATCH = 5000
NEIGHBOUR_COLUMNS = [*COLUMNS, "person_id", "method", "probability"]


def _text(value: object) -> str | None:
    return None if absent(value) else str(value)


def key_values(frame: pd.DataFrame, key: tuple[str, ...],
               texts: dict[str, list[str | None]] | None = None) -> list[str | None]:
    """Per row of a features frame: the key's value as stored (its columns joined by '|'), None
    when a column is missing (such a row does not block on the key, as in Splink's ``block_on``).
    ``texts``: columns already read as text (``key_columns`` reads each once for every key)."""
    texts = {} if texts is None else texts
    for column in key:
        if column not in texts:
            texts[column] = [_text(v) for v in frame[column].tolist()]
    return [None if any(v is None for v in values) else "|".join(v for v in values if v is not None)
            for values in zip(*(texts[column] for column in key), strict=True)]


def key_columns(frame: pd.DataFrame) -> dict[str, list[str | None]]:
    """Each key property (``KEY_PROPERTIES``, ``MET_PROPERTY``) of a features frame's rows, as plain
    lists (no frame built: a live link's few records would pay pandas' fixed cost for nothing)."""
    texts: dict[str, list[str | None]] = {}
    out = {prop: key_values(frame, key, texts) for key, prop in KEY_PROPERTIES.items()}
    met = frame["encounter"].astype(bool).tolist()
    out[MET_PROPERTY] = [v if m else None for v, m in zip(out["bk_first_regency"], met, strict=True)]
    return out


async def write_keys(store: GraphStore, frame: pd.DataFrame) -> int:
    """Store the blocking keys of the records of a features frame; returns the records written
    (those whose keys changed since they were last written)."""
    written = 0
    for statement in key_statements(frame):
        (result,) = await store.run(statement.query, statement.params, write=True)
        written += int(result["written"])
    return written


def key_statements(frame: pd.DataFrame) -> list[Statement]:
    """The statements storing the blocking keys of a features frame's records (``write_keys``')."""
    keys = key_columns(frame)
    props = [*KEY_PROPERTIES.values(), MET_PROPERTY]
    rows = []
    for i, record_id in enumerate(frame["unique_id"].astype(str).tolist()):
        values = {prop: keys[prop][i] for prop in props}
        digest = hashlib.blake2b("\x1f".join(v or "" for v in values.values()).encode(), digest_size=8).hexdigest()
        rows.append({"record_id": record_id, **values, "bk_hash": digest})
    return [Statement(queries.WRITE_BLOCKING_KEYS, {"rows": rows[start:start + WRITE_BATCH]})
            for start in range(0, len(rows), WRITE_BATCH)]


async def neighbours(store: GraphStore, frame: pd.DataFrame,
                     each_reply: Callable[[list[list[object]]], None] | None = None) -> pd.DataFrame:
    """The known records that share any blocking key with a row of ``frame`` (a features frame),
    with the person each resolves to: ``extract.COLUMNS`` + ``person_id``, ``method``,
    ``probability``. The frame's own records are left out. Batched index lookups only.

    ``each_reply``: called with each lookup's rows (``NEIGHBOUR_COLUMNS``) as they come in, while
    the server answers the next one; only where the lookups go in batches (a big frame's)."""
    lookups: list[tuple[str, list[str]]] = []
    for key, statement in INDEXED_KEYS.items():
        lookups.append((statement, [v for v in key_values(frame, key) if v is not None]))
    keys = key_columns(frame)
    met = frame["encounter"].astype(bool).tolist()
    for prop, statement in LOOKUPS.items():
        if prop == "bk_first_regency":  # an encounter against every record of its first name in the regency
            values = [v for v, m in zip(keys["bk_first_regency"], met, strict=True) if m and v is not None]
        elif prop == MET_PROPERTY:  # a registered record against the encounters of its first name there
            values = [v for v, m in zip(keys["bk_first_regency"], met, strict=True) if not m and v is not None]
        else:
            values = [v for v in keys[prop] if v is not None]
        lookups.append((statement, values))
    own = set(frame["unique_id"].astype(str))
    asked = [sorted(set(values)) for _, values in lookups]
    if sum(map(len, asked)) <= BATCH and [s for s, _ in lookups] == queries.RECORDS_SHARING_PARTS:
        replies = [await store.run_values(queries.RECORDS_SHARING_ANY_KEY, {f"k{i}": v for i, v in enumerate(asked)},
                                          queries.RESOLVED_RECORD_TYPES)]
    else:
        replies = await _in_flight(store, [(statement, distinct[start:start + BATCH])
                                           for (statement, _), distinct in zip(lookups, asked, strict=True)
                                           for start in range(0, len(distinct), BATCH)], each_reply)
    return records_frame((row for rows in replies for row in rows), leave_out=own)


def records_frame(rows: Iterable[list[object]], leave_out: Set[str] = frozenset()) -> pd.DataFrame:
    """Records read as rows in ``NEIGHBOUR_COLUMNS``' order (a statement typed by
    ``queries.RESOLVED_RECORD_TYPES``), each once (its first row), those in ``leave_out`` left out:
    objects, a missing value None (not NaN)."""
    found: dict[str, list[object]] = {}
    for row in rows:
        record_id = str(row[0])
        if record_id not in leave_out:
            found.setdefault(record_id, row)
    return pd.DataFrame(list(found.values()), columns=NEIGHBOUR_COLUMNS, dtype=object)


# Lookups of a big delta kept in flight at once: the server answers one while the hub reads the
# rows of another (a 10,000-record delta at a million persons reads some 400,000 rows).
IN_FLIGHT = 2


async def _in_flight(store: GraphStore, lookups: list[tuple[str, list[str]]],
                     each_reply: Callable[[list[list[object]]], None] | None) -> list[list[list[object]]]:
    """Each (statement, values) lookup's rows, in order, ``IN_FLIGHT`` of them asked at a time;
    ``each_reply`` called with each as it comes in."""
    replies: list[list[list[object]]] = [[] for _ in lookups]
    pending = iter(enumerate(lookups))

    async def worker() -> None:
        for i, (statement, values) in pending:
            replies[i] = await store.run_values(statement, {"values": values}, queries.RESOLVED_RECORD_TYPES)
            if each_reply is not None:
                each_reply(replies[i])

    await asyncio.gather(*(worker() for _ in range(min(IN_FLIGHT, len(lookups)))))
    return replies
