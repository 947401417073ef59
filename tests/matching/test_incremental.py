"""Live linking on a real graph: blocking keys kept on the records, neighbours found by index."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from graph_schema import queries
from graph_schema.port import GraphStore
from graph_schema.schema import BLOCKING_KEY_PROPERTIES
from hub.live_bench import DELTA_SOURCES, hold_back, pairs_with, pairwise
from hub.synth.config import SynthConfig
from hub.synth.run import SOURCE_ORDER, synthesize
from loaders.mapping import mapping_for
from loaders.run import load_file
from matching import blocking, model
from matching.extract import load_records
from matching.features import features
from matching.incremental import link_records, records_of_loads
from matching.pipeline import links_current, run_match


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("live-synth")
    synthesize(SynthConfig(persons=1000, seed=13, xlsx=False), out, workers=1)
    return out


async def load_all(store: GraphStore, data: Path, reports: Path) -> None:
    for source in SOURCE_ORDER:
        await load_file(store, mapping_for(source), data / f"{source}.csv", reports)


def test_every_blocking_key_has_a_property_an_index_and_a_lookup() -> None:
    keys = set(model.BLOCKING_KEYS) | set(model.ENCOUNTER_KEYS)
    assert keys == set(blocking.KEY_PROPERTIES) | set(blocking.INDEXED_KEYS)
    props = {*blocking.KEY_PROPERTIES.values(), blocking.MET_PROPERTY}
    assert props == set(BLOCKING_KEY_PROPERTIES) == set(blocking.LOOKUPS)


def _sharing(frame: pd.DataFrame, records: pd.DataFrame, asked: pd.DataFrame) -> set[str]:
    """What ``neighbours`` must find, computed from every record in memory (the test's oracle)."""
    found: set[str] = set()
    for key in model.BLOCKING_KEYS:
        if key == ("nik",):  # looked up on each record's stored NIK
            found |= set(records.loc[records["nik"].isin(asked["nik"].dropna()), "record_id"])
            continue
        hits = frame.merge(asked[list(key)].dropna().drop_duplicates(), on=list(key))
        found |= set(hits["unique_id"])
    met_key = list(model.ENCOUNTER_KEYS[0])
    met = asked["encounter"].astype(bool)
    found |= set(frame.merge(asked.loc[met, met_key].dropna().drop_duplicates(), on=met_key)["unique_id"])
    found |= set(frame[frame["encounter"].astype(bool)].merge(
        asked.loc[~met, met_key].dropna().drop_duplicates(), on=met_key)["unique_id"])
    return found - set(asked["unique_id"])


async def test_a_full_run_keys_every_record_and_neighbours_are_those_sharing_a_key(
        store: GraphStore, population: Path, tmp_path: Path) -> None:
    await load_all(store, population, tmp_path)
    model_path = tmp_path / "model.json"
    assert not await links_current(store, model_path)
    report = await run_match(store, model_path)
    assert await store.run(queries.UNKEYED_RECORD_COUNT) == [{"unkeyed": 0}]
    assert await links_current(store, model_path)
    # A second full run over unchanged records writes no key again.
    assert await blocking.write_keys(store, features(await load_records(store))) == 0

    records = await load_records(store)
    frame = features(records)
    asked = pd.concat([frame[frame["encounter"].astype(bool)].head(10), frame.sample(60, random_state=3)])
    asked = asked.drop_duplicates("unique_id")
    found = await blocking.neighbours(store, asked)
    assert list(found.columns) == blocking.NEIGHBOUR_COLUMNS
    assert set(found["record_id"]) == _sharing(frame, records, asked)
    person = dict(zip(report.assigned["record_id"], report.assigned["cluster"], strict=True))
    assert found["person_id"].notna().all() and len(person) == len(records)


async def _resolutions(store: GraphStore) -> dict[str, str]:
    return {str(r["record_id"]): str(r["person_id"]) for r in await store.run(queries.CURRENT_RESOLUTIONS)}


async def test_a_delta_linked_live_agrees_with_a_full_run(store: GraphStore, population: Path, tmp_path: Path) -> None:
    held = hold_back(population, tmp_path / "split", 100, seed=5, writes=0)
    await load_all(store, held.base, tmp_path / "reports")
    model_path = tmp_path / "model.json"
    await run_match(store, model_path)
    loads = []
    for source in DELTA_SOURCES:
        report = await load_file(store, mapping_for(source), held.delta / f"{source}.csv", tmp_path / "reports")
        loads.append((source, report.batch_id))
    ids = await records_of_loads(store, loads)
    assert sorted(ids) == sorted(held.records) and len(ids) >= 95
    assert not await links_current(store, model_path)  # the new records hold no person yet

    live = await link_records(store, model_path, ids)
    assert sorted(r.record_id for r in live.records) == sorted(ids) and not live.trained
    assert await links_current(store, model_path)
    incremental = await _resolutions(store)
    assert set(incremental) >= set(ids)
    full = await run_match(store, model_path)
    assert not full.trained
    batch = dict(zip(full.assigned["record_id"], full.assigned["cluster"], strict=True))
    delta = set(ids)
    agreement = pairwise(pairs_with(incremental, delta), pairs_with(batch, delta))
    assert agreement["f1"] >= 0.995, agreement
    truth = pd.read_csv(population / "truth.csv", dtype=str, keep_default_na=False)
    true_person = dict(zip(truth["source"] + ":" + truth["source_key"], truth["person_id"], strict=True))
    expected = pairs_with({r: true_person[r] for r in incremental}, delta)
    assert pairwise(pairs_with(incremental, delta), expected)["f1"] > 0.9
