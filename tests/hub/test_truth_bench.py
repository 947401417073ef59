"""``hub bench truth``: what the API tells about people, measured against the synthesiser's truth,
and shown able to fail: a graph that lies is caught."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from graph_schema.port import GraphStore
from hub.embedded_db import EmbeddedServer
from hub.settings import load_settings
from hub.store import open_redis, open_store
from hub.synth.config import SynthConfig
from hub.synth.name_variants import MUHAMMAD_FORMS, written_as
from hub.synth.run import synthesize
from hub.truth_bench import create_keys, load_and_link, revoke_keys
from hub.truth_files import TruePerson, Truth, read_truth
from hub.truth_measures import ApiClient, Links, Samples, conflicting_persons, lookup_verdicts, worst_cell
from tests.conftest import free_port
from tests.resolvers.conftest import serve, settings_for

SHARES = ["lookup_complete", "lookup_missing", "lookup_foreign", "lookup_null", "relation_present",
          "search_recall_at_10"]
KEYS = [*SHARES, "benchmark", "persons", "records", "lookups", "conflicting_persons", "conflicting_unhandled",
        "conflict_queue", "coverage_max_rel_error", "coverage_worst_cell", "overlap_max_rel_error",
        "search_recall_by_kind", "seconds", "lookup_nik_unstated", "conflicting_truly_mixed"]

# Test-only Cypher: a linker's error made on purpose, one record taken from its person and given to another.
UNLINK_RECORD = "MATCH (s:SourceRecord {source: $source, source_key: $key})-[l:RESOLVES_TO]->() DELETE l"
LINK_RECORD = ("MATCH (s:SourceRecord {source: $source, source_key: $key}), (p:Person {person_id: $person}) "
               "CREATE (s)-[:RESOLVES_TO {method: 'steward', probability: 1.0}]->(p)")


@pytest.fixture
def env(hub_env: dict[str, str]) -> Iterator[dict[str, str]]:
    yield hub_env
    subprocess.run([sys.executable, "-m", "hub.cli", "db", "stop"], env=hub_env, capture_output=True, timeout=120,
                   check=False)


@pytest.mark.slow
def test_the_truth_check_prints_every_figure_and_removes_its_graph(env: dict[str, str]) -> None:
    hub = [sys.executable, "-m", "hub.cli", "bench", "truth"]
    done = subprocess.run([*hub, "--persons", "500", "--lookups", "100", "--searches", "100", "--relations", "100",
                           "--port", str(free_port())], env=env, capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    assert set(KEYS) <= set(figures), set(KEYS) - set(figures)
    assert figures["benchmark"] == "truth" and figures["persons"] == 500 and figures["records"] > 350
    assert figures["lookups"] == 100 and figures["searches"] == 100 and figures["relation_rows"] == 100
    assert all(0 <= figures[k] <= 1 for k in SHARES), {k: figures[k] for k in SHARES}
    assert figures["lookup_complete"] + figures["lookup_missing"] == pytest.approx(1)
    # A hub that links at all finds most people; the targets are stricter than this.
    assert figures["lookup_complete"] > 0.5 and figures["search_recall_at_10"] > 0.5
    assert figures["relation_present"] > 0.5
    assert 0 <= figures["conflicting_unhandled"] <= figures["conflicting_persons"]
    assert 0 <= figures["conflicting_truly_mixed"] <= figures["conflicting_persons"]
    assert sum(k["asked"] for k in figures["search_recall_by_kind"].values()) == 100
    assert figures["overlap_max_rel_error"] is not None and figures["overlap_max_rel_error"] >= 0
    assert all(v >= 0 for v in figures["seconds"].values())

    async def graphs() -> list[str]:
        redis = await open_redis(load_settings(env))
        try:
            listed: list[bytes] = await redis.execute_command("GRAPH.LIST")  # type: ignore[no-untyped-call]
            return [g.decode() for g in listed]
        finally:
            await redis.aclose()

    assert not [g for g in asyncio.run(graphs()) if g.startswith("bench_truth")]
    bad = subprocess.run([*hub, "--persons", "500", "--lookups", "0"], env=env, capture_output=True, text=True,
                         timeout=120, check=False)
    assert bad.returncode != 0 and "--lookups must be at least 1" in bad.stderr and "Traceback" not in bad.stderr


def test_a_record_given_to_another_person_is_caught(falkordb_server: EmbeddedServer, tmp_path: Path) -> None:
    synthesize(SynthConfig(persons=300, seed=11, xlsx=False), tmp_path / "data", workers=1)
    settings = settings_for(falkordb_server, tmp_path / "hub", f"truth_{uuid.uuid4().hex[:10]}", "production")
    truth = read_truth(tmp_path / "data")

    async def with_store(work: Any) -> Any:
        store = await open_store(settings, autostart=False)
        try:
            return await work(store)
        finally:
            await store.close()

    async def verdicts(store: GraphStore) -> dict[str, Any]:
        keys, key_ids = await create_keys(settings)
        api = ApiClient(served.url, keys)
        try:  # 1,000 lookups: every eligible true person of 300 is asked for
            return {v.true_person: v for v in await lookup_verdicts(api, truth, await Links.read(store), Samples())}
        finally:
            await api.close()
            await revoke_keys(settings, key_ids)

    asyncio.run(with_store(lambda store: load_and_link(store, tmp_path / "data", tmp_path)))
    served = serve(settings)  # in a thread of this process: quicker to start than `hub serve`
    try:
        before = asyncio.run(with_store(verdicts))
        sound = sorted(p for p, v in before.items() if v.complete and not v.foreign and v.answered)
        assert len(sound) > len(before) / 2
        taker, giver = sound[0], sound[-1]
        moved = next(k for k in truth.records_of_person[giver] if k[0] == "dtks" or k[0].startswith("program_"))

        async def move(store: GraphStore) -> None:
            params = {"source": moved[0], "key": moved[1], "person": before[taker].answered}
            await store.run(UNLINK_RECORD, params, write=True)
            await store.run(LINK_RECORD, params, write=True)

        asyncio.run(with_store(move))
        after = asyncio.run(with_store(verdicts))
    finally:
        served.stop()
        asyncio.run(with_store(lambda store: store.clear()))
    assert after[taker].foreign and after[taker].complete  # it has its own records, and one of another's
    assert not (after[giver].complete and not after[giver].foreign)  # the giver lost one, or is answered as the taker
    unchanged = set(before) - {taker, giver}
    assert all(after[p] == before[p] for p in unchanged)


CONFLICT_CASES = [
    ("one person, agreeing records", [("3374014506880003", "P", "1988-06-05", False)] * 2, []),
    ("two valid NIKs", [("3374014506880003", "P", None, False), ("3374011203850001", "P", None, False)], ["nik"]),
    ("a missing NIK is no conflict", [("3374014506880003", "P", None, False), (None, "P", None, False)], []),
    ("both sexes", [(None, "P", None, False), (None, "L", None, False)], ["sex"]),
    ("born three years apart", [(None, None, "1988-06-05", False), (None, None, "1985-06-05", False)], ["birth_date"]),
    ("born two years apart", [(None, None, "1988-06-05", False), (None, None, "1986-06-06", False)], []),
    ("an outreach guess is no birth date", [(None, None, "1988-06-05", False), (None, None, "1970-01-01", True)], []),
    ("all three", [("3374014506880003", "P", "1988-06-05", False), ("3374011203850001", "L", "1960-01-01", False)],
     ["nik", "sex", "birth_date"]),
]


@pytest.mark.parametrize(("case", "records", "reasons"), CONFLICT_CASES, ids=[c[0] for c in CONFLICT_CASES])
def test_conflicting_persons(case: str, records: list[tuple[str | None, str | None, str | None, bool]],
                             reasons: list[str]) -> None:
    rows = [{"person_id": "PRS-1", "nik": nik, "sex": sex, "birth_date": born, "encounter": encounter}
            for nik, sex, born, encounter in records]
    rows.append({"person_id": None, "nik": "3374011203850009", "sex": "L", "birth_date": None, "encounter": None})
    assert conflicting_persons(rows) == ({"PRS-1": reasons} if reasons else {})


def test_the_worst_cell_counts_only_cells_big_enough() -> None:
    truth = {"PKH 33.01": {f"P{i}" for i in range(40)}, "PKH 33.02": {f"P{i}" for i in range(100)},
             "PKH 33.03": {"P1"}, "SEMBAKO 33.01": {f"P{i}" for i in range(25)}}
    api = {"PKH 33.01": 38, "PKH 33.02": 103, "PKH 33.03": 9}  # SEMBAKO 33.01 missing: the API counts none
    assert worst_cell(api, truth) == (1.0, "SEMBAKO 33.01: api 0, true 25", 3)
    api["SEMBAKO 33.01"] = 25
    assert worst_cell(api, truth) == (0.05, "PKH 33.01: api 38, true 40", 3)
    assert worst_cell({}, {"PKH 33.03": {"P1"}}) == (None, None, 0)


def test_a_person_is_expected_where_the_sources_place_them() -> None:
    home = "33.10.04.2008"
    persons = {p: TruePerson(p, None, "SITI", "P", "1970-01-01", home) for p in ("A", "B", "C", "D", "E")}
    records = {"A": [("program_pkh", "1"), ("dtks", "1")], "B": [("program_pkh", "2")],
               "C": [("program_pkh", "3"), ("program_blt", "3"), ("dtks", "3")],
               "D": [("program_pkh", "4"), ("dtks", "4")], "E": [("penjangkauan", "5")]}
    truth = Truth(persons, {k: p for p, keys in records.items() for k in keys}, records)
    stated = {("program_pkh", "1"): "33.22", ("dtks", "1"): "33.10",  # a tie: the registry's
              ("program_pkh", "2"): "33.22",  # their one row names another regency: nothing says home
              ("program_pkh", "3"): "33.22", ("program_blt", "3"): "33.22", ("dtks", "3"): "33.10",  # most say 33.22
              ("program_pkh", "4"): "33.10", ("dtks", "4"): "33.22",  # a tie the registry settles wrongly
              ("penjangkauan", "5"): None}  # met by street outreach: no place stated
    links = Links([], {}, {}, stated)
    assert [links.knowable_regency(truth, p) for p in "ABCDE"] == [
        ("33.10", True), ("33.22", False), ("33.22", False), ("33.22", False), ("33.10", True)]


WRITTEN_AS_CASES = [
    ("spelling", "SITI RAHAYU", lambda v: v in {"SITI RAHAJU", "SITI RAHAYOE"}),
    ("spelling", "SOEKARTI", lambda v: v == "SUKARTI"),
    ("muhammad", "MUHAMMAD EKO", lambda v: v.endswith(" EKO") and v.split()[0] in MUHAMMAD_FORMS[1:]),
    ("muhammad", "SITI RAHAYU", lambda v: v is None),
    ("initial", "SEKAR WATI", lambda v: v == "S. WATI"),
    ("initial", "YUDI", lambda v: v is None),
]


@pytest.mark.parametrize(("kind", "name", "expected"), WRITTEN_AS_CASES,
                         ids=[f"{c[0]}-{c[1]}" for c in WRITTEN_AS_CASES])
def test_names_written_as_one_kind_of_variant(kind: str, name: str, expected: Callable[[str | None], bool]) -> None:
    variant = written_as(kind, name, np.random.default_rng(3))
    assert expected(variant), variant
    with pytest.raises(ValueError, match="is not one of spelling, muhammad, initial"):
        written_as("title", name, np.random.default_rng(3))
