"""Live linking on a real graph: blocking keys kept on the records, neighbours found by index."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from splink import Linker, block_on

from graph_schema import queries
from graph_schema.port import GraphStore
from graph_schema.schema import BLOCKING_KEY_PROPERTIES
from hub.embedded_db import EmbeddedServer
from hub.live_bench import DELTA_SOURCES, hold_back, pairs_with, pairwise
from hub.synth.config import SynthConfig
from hub.synth.run import SOURCE_ORDER, synthesize
from loaders.mapping import mapping_for
from loaders.run import load_file
from matching import blocking, frequencies, model
from matching import incremental as linking
from matching.extract import load_records
from matching.features import features
from matching.incremental import link_records, records_of_loads, score
from matching.judgement import Judgement
from matching.pipeline import links_current, run_match
from matching.review import candidate_id, write_candidates
from matching.steward import apply_judgement
from tests.conftest import open_graph, train_on, use_model
from tests.graph_schema import lookups


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("live-synth")
    synthesize(SynthConfig(persons=1000, seed=13, xlsx=False), out, workers=1)
    return out


@pytest.fixture(scope="module")
def population_model(population: Path, falkordb_server: EmbeddedServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The population's linking model, trained once for the module: these tests are about linking with a
    model, not training one (the `hub load-dir` test below trains its own)."""
    return train_on(falkordb_server, population, tmp_path_factory.mktemp("live-model"))


async def load_all(store: GraphStore, data: Path, reports: Path) -> None:
    for source in SOURCE_ORDER:
        await load_file(store, mapping_for(source), data / f"{source}.csv", reports)


def test_every_blocking_key_has_a_property_an_index_and_a_lookup() -> None:
    keys = set(model.BLOCKING_KEYS) | set(model.ENCOUNTER_KEYS)
    assert keys == set(blocking.KEY_PROPERTIES) | set(blocking.INDEXED_KEYS)
    props = {*blocking.KEY_PROPERTIES.values(), blocking.MET_PROPERTY}
    assert props == set(BLOCKING_KEY_PROPERTIES) == set(blocking.LOOKUPS)
    # One round trip for a few records: every lookup, in the order neighbours() asks them.
    assert [*blocking.INDEXED_KEYS.values(), *blocking.LOOKUPS.values()] == queries.RECORDS_SHARING_PARTS


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
        store: GraphStore, population: Path, population_model: Path, tmp_path: Path) -> None:
    await load_all(store, population, tmp_path)
    model_path = use_model(population_model, tmp_path / "model.json")
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


@pytest.mark.parametrize("path", ["as it is", "a big delta's"])
async def test_a_delta_linked_live_agrees_with_a_full_run(store: GraphStore, population: Path, population_model: Path,
                                                          tmp_path: Path, path: str,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    if path == "a big delta's":  # lookups in batches, features made per reply and the core's once, pairs by numpy
        monkeypatch.setattr(blocking, "BATCH", 20)
        monkeypatch.setattr(linking, "SMALL_FRAME", 10)
        monkeypatch.setattr(linking, "SMALL_BLOCKING", 10)
    held = hold_back(population, tmp_path / "split", 100, seed=5, writes=0)
    await load_all(store, held.base, tmp_path / "reports")
    model_path = use_model(population_model, tmp_path / "model.json")
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


def _one_row_file(data: Path, source: str, key: str, tmp: Path, **changes: str) -> Path:
    """One row of a synthesised export, changed as given, as a file of its own."""
    frame = pd.read_csv(data / f"{source}.csv", dtype=str, keep_default_na=False)
    row = frame[frame[mapping_for(source).key] == key].copy()
    for column, value in changes.items():
        row[column] = value
    path = tmp / f"{source}-{key}.csv"
    row.to_csv(path, index=False)
    return path


async def _linked_base(store: GraphStore, population: Path, model: Path, tmp_path: Path) -> tuple[Path, pd.DataFrame]:
    """The population loaded and linked by a full run (with ``model``); each record with its person and method."""
    await load_all(store, population, tmp_path / "reports")
    model_path = use_model(model, tmp_path / "model.json")
    await run_match(store, model_path)
    rows = await store.run("MATCH (s:SourceRecord)-[r:RESOLVES_TO]->(p:Person) RETURN s.record_id AS record_id, "
                           "s.source_key AS key, s.source AS source, p.person_id AS person_id, r.method AS method")
    return model_path, pd.DataFrame(rows)


async def test_a_record_whose_identity_changed_leaves_its_person(store: GraphStore, population: Path,
                                                                 population_model: Path, tmp_path: Path) -> None:
    model_path, links = await _linked_base(store, population, population_model, tmp_path)
    dtks = links[(links["source"] == "dtks") & (links["method"] == "nik")]
    sizes = links.groupby("person_id").size()
    record = dtks[dtks["person_id"].map(sizes) >= 3].iloc[0]
    person = str(record["person_id"])
    rest = set(links.loc[links["person_id"] == person, "record_id"]) - {record["record_id"]}
    # The office reused the row for someone else: another name, birth date and NIK.
    path = _one_row_file(population, "dtks", str(record["key"]), tmp_path, NAMA="KRISTOFORUS WANGGE",
                         TGL_LAHIR="02-11-1931", NIK="3301014211310007", NAMA_IBU_KANDUNG="MARTHA LEDA")
    loaded = await load_file(store, mapping_for("dtks"), path, tmp_path / "reports")
    assert loaded.updated == 1
    live = await link_records(store, model_path, [str(record["record_id"])])
    (linked,) = live.records
    # A person of its own (its new NIK agrees with it: method nik, as the full run names a lone trusted record).
    assert linked.person_id != person and linked.method == "nik" and live.persons_new == 1
    now = await _resolutions(store)
    assert {r for r in rest if now[r] == person} == rest  # the rest stay together, under their id
    (row,) = await store.run(lookups.PERSON_BY_ID, {"person_id": person})
    assert row["person"]["name"] != "KRISTOFORUS WANGGE" and row["person"]["record_count"] == len(rest)
    assert '"kind": "split"' in row["person"]["history"]


async def test_a_value_no_record_states_any_more_leaves_the_person(store: GraphStore, population: Path,
                                                                   population_model: Path, tmp_path: Path) -> None:
    model_path, links = await _linked_base(store, population, population_model, tmp_path)
    sizes = links.groupby("person_id").size()
    alone = links[(links["source"] == "dtks") & (links["person_id"].map(sizes) == 1)]
    stated = {r["person_id"]: r["person"] for r in await store.run(
        "MATCH (p:Person) WHERE p.person_id IN $ids AND p.mother_name IS NOT NULL "
        "RETURN p.person_id AS person_id, properties(p) AS person", {"ids": list(alone["person_id"])})}
    record = alone[alone["person_id"].isin(stated)].iloc[0]
    # The office cleared a mother's name it had wrong: the person's only record says nothing now.
    path = _one_row_file(population, "dtks", str(record["key"]), tmp_path, NAMA_IBU_KANDUNG="")
    assert (await load_file(store, mapping_for("dtks"), path, tmp_path / "reports")).updated == 1
    await link_records(store, model_path, [str(record["record_id"])])
    person = (await _resolutions(store))[str(record["record_id"])]
    (row,) = await store.run(lookups.PERSON_BY_ID, {"person_id": person})
    assert row["person"].get("mother_name") is None, row["person"]
    assert row["person"]["name"] == stated[record["person_id"]]["name"]


async def test_a_stewards_different_holds_when_a_record_is_linked_again(store: GraphStore, population: Path,
                                                                         population_model: Path, tmp_path: Path) -> None:
    model_path, links = await _linked_base(store, population, population_model, tmp_path)
    by_nik = links[(links["method"] == "nik") & (links["source"] == "dtks")]
    sizes = links[links["method"] == "nik"].groupby("person_id").size()
    left = by_nik[by_nik["person_id"].map(sizes) >= 2].iloc[0]
    person = str(left["person_id"])
    right = links[(links["person_id"] == person) & (links["record_id"] != left["record_id"])
                  & (links["method"] == "nik")].iloc[0]
    band = pd.DataFrame([{"unique_id_l": left["record_id"], "unique_id_r": right["record_id"],
                          "match_probability": 0.99, "evidence": 20.0, "priority": 1.0}])
    assert await write_candidates(store, band, "test-run", only_records=[]) == 1
    verdict = await apply_judgement(store, candidate_id(str(left["record_id"]), str(right["record_id"])),
                                    Judgement.DIFFERENT, "steward-1", "two people, one NIK")
    assert verdict.found and len(verdict.persons_after) == 2
    apart = await _resolutions(store)
    assert apart[str(left["record_id"])] != apart[str(right["record_id"])]
    # A new export of the left row (a new address): linked again, its trusted NIK and every field
    # still say it is the right one's person, but the verdict binds.
    path = _one_row_file(population, "dtks", str(left["key"]), tmp_path, ALAMAT="JL. BARU NO. 7")
    assert (await load_file(store, mapping_for("dtks"), path, tmp_path / "reports")).updated == 1
    live = await link_records(store, model_path, [str(left["record_id"])])
    now = await _resolutions(store)
    assert now[str(left["record_id"])] != now[str(right["record_id"])], live
    assert now[str(left["record_id"])] == apart[str(left["record_id"])]


HUB = [sys.executable, "-m", "hub.cli"]


@pytest.mark.slow
async def test_hub_load_links_a_new_export_at_once_and_no_link_leaves_it(
        graph_env: dict[str, str], population: Path, tmp_path: Path) -> None:
    env = graph_env
    graph = env["HUB_GRAPH_NAME"]

    def hub(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*HUB, *args], env=env, capture_output=True, text=True, timeout=600, check=False)

    held = hold_back(population, tmp_path / "split", 100, seed=9, writes=0)
    first = hub("load-dir", str(held.base))
    assert first.returncode == 0, first.stderr
    assert "no saved model yet, so every record was linked and the model trained" in first.stdout
    # A new DTKS export with new and changed rows: linked by the load, no `hub match`.
    loaded = hub("load", "dtks", str(held.delta / "dtks.csv"))
    assert loaded.returncode == 0, loaded.stderr
    new_dtks = [r for r in held.new if r.startswith("dtks:")]
    changed_dtks = [r for r in held.changed if r.startswith("dtks:")]
    assert f"linking: {len(new_dtks) + len(changed_dtks):,} records linked" in loaded.stdout, loaded.stdout
    delta = pd.read_csv(held.delta / "dtks.csv", dtype=str, keep_default_na=False)
    fresh = delta[delta["ID_DTKS"].isin({r.split(":", 1)[1] for r in new_dtks}) & (delta["NIK"].str.len() == 16)]
    store = await open_graph(env)
    try:
        answered = 0
        for key, nik in zip(fresh["ID_DTKS"], fresh["NIK"], strict=True):
            for row in await store.run(lookups.PERSONS_BY_NIK, {"nik": nik}):
                records = await store.run(lookups.PERSON_SOURCE_RECORDS, {"person_id": row["person"]["person_id"]})
                answered += any(r["record"]["source_key"] == key for r in records)
        assert answered >= len(fresh) * 0.9 and answered > 0, (answered, len(fresh))
        # --no-link: the records wait for `hub match`, as its help says.
        assert "until `hub match`" in " ".join(hub("load", "--help").stdout.split())
        skipped = hub("load", "ppks", str(held.delta / "ppks.csv"), "--no-link")
        assert skipped.returncode == 0 and "linking" not in skipped.stdout
        unlinked = len([r for r in held.new if r.startswith("ppks:")])  # its changed rows keep their old link
        assert await store.run(queries.UNRESOLVED_RECORD_COUNT) == [{"unresolved": unlinked}]
        assert unlinked > 0 and not await links_current(store, Path(env["HUB_HOME"]) / "models" /
                                                         f"{graph}.splink.json")
    finally:
        await store.clear()
        await store.close()


def _scored_by_splink(saved: dict[str, Any], tf: dict[str, pd.DataFrame], frame: pd.DataFrame, core: set[str],
                      threshold: float) -> pd.DataFrame:
    """What ``score`` finds, by Splink itself: its blocking (``predict_between`` of every record
    against the core, the encounter rule kept where a side is an encounter) and its scoring."""
    db = model.duckdb_api()
    every = db.register(frame, table_name="every_record")
    mine = db.register(frame[frame["unique_id"].isin(core)], table_name="core_records")
    linker = Linker(mine, saved, log_level=None, validate_settings=False)
    for column, table in tf.items():
        linker.table_management.register_term_frequency_lookup(db.register(table, table_name=f"tf_{column}"), column)
    met = set(frame.loc[frame["encounter"].astype(bool), "unique_id"])
    found = []
    for keys, encounters_only in ((model.BLOCKING_KEYS, False), (model.ENCOUNTER_KEYS, True)):
        predicted = linker.inference.predict_between(every, mine, link_type="link_only", threshold_match_weight=threshold,
                                                     blocking_rules_to_generate_predictions=[block_on(*k) for k in keys])
        pairs = predicted.as_pandas_dataframe()[["unique_id_l", "unique_id_r", "match_weight"]]  # type: ignore[no-untyped-call]
        pairs = pairs[pairs["unique_id_l"] != pairs["unique_id_r"]]
        if encounters_only:
            pairs = pairs[pairs["unique_id_l"].isin(met) | pairs["unique_id_r"].isin(met)]
        found.append(pairs)
    pairs = pd.concat(found, ignore_index=True)
    swap = pairs["unique_id_l"] > pairs["unique_id_r"]
    pairs.loc[swap, ["unique_id_l", "unique_id_r"]] = pairs.loc[swap, ["unique_id_r", "unique_id_l"]].to_numpy()
    unique: pd.DataFrame = pairs.drop_duplicates(subset=["unique_id_l", "unique_id_r"]).reset_index(drop=True)
    return unique


@pytest.mark.falkordb_only("compares the scorer with Splink on the same records; the graph only holds them, and the "
                           "backends read records back alike (tests/graph_schema/test_reply_values.py)")
async def test_the_exact_scorer_finds_and_weighs_the_pairs_splink_does(store: GraphStore, population: Path,
                                                                      population_model: Path, tmp_path: Path) -> None:
    await load_all(store, population, tmp_path)
    model_path = use_model(population_model, tmp_path / "model.json")
    await run_match(store, model_path)
    saved = model.load(model_path)
    assert saved is not None
    tf = frequencies.load(model_path, model.tf_columns(saved))
    assert tf is not None
    frame = features(await load_records(store))
    core = set(pd.concat([frame[frame["encounter"].astype(bool)].head(3), frame.sample(120, random_state=4)])["unique_id"])
    by_splink = _scored_by_splink(saved, tf, frame, core, -40.0)
    exactly = score(model_path, frame, core, -40.0)
    assert len(by_splink) > 50
    both = by_splink.merge(exactly, on=["unique_id_l", "unique_id_r"], suffixes=("_s", "_e"))
    assert len(both) == len(by_splink) == len(exactly)
    assert (both["match_weight_s"] - both["match_weight_e"]).abs().max() < 1e-6
