"""``hub match`` end to end on a loaded synthetic population, against its truth."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from graph_schema import api_queries, queries
from graph_schema.port import GraphStore
from hub.embedded_db import EmbeddedServer
from hub.synth.config import SynthConfig
from hub.synth.run import SOURCE_ORDER, synthesize
from loaders.mapping import mapping_for
from loaders.run import load_file
from matching.evaluate import pairwise_scores
from matching.judgement import Judgement
from matching.pipeline import run_match
from matching.review import judge
from tests.conftest import train_on, use_model
from tests.graph_schema import lookups


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("match-synth")
    synthesize(SynthConfig(persons=4000, seed=21, xlsx=False), out, workers=1)
    return out


@pytest.fixture(scope="module")
def population_model(population: Path, falkordb_server: EmbeddedServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The population's linking model, trained once for the module: the tests after the first are about
    linking with a model, not training one (the first trains its own)."""
    return train_on(falkordb_server, population, tmp_path_factory.mktemp("match-model"))


async def load_all(store: GraphStore, data: Path, reports: Path) -> None:
    for source in SOURCE_ORDER:
        await load_file(store, mapping_for(source), data / f"{source}.csv", reports)


@pytest.mark.slow
async def test_records_become_persons_as_the_truth_says(store: GraphStore, population: Path, tmp_path: Path) -> None:
    await load_all(store, population, tmp_path)
    report = await run_match(store, tmp_path / "model.json")
    truth = pd.read_csv(population / "truth.csv", dtype=str, keep_default_na=False)
    scores = pairwise_scores(report.assigned[["record_id", "cluster"]], truth)
    assert scores["records_evaluated"] == len(truth)
    assert scores["precision"] > 0.9 and scores["recall"] > 0.9, scores
    assert report.trained and (tmp_path / "model.json").exists()

    # Every record resolves to exactly one person, with how it was linked.
    resolved = await store.run(queries.CURRENT_RESOLUTIONS)
    assert len(resolved) == len(truth) == len({r["record_id"] for r in resolved})
    nodes = {r["label"]: r["count"] for r in await store.run(queries.NODE_COUNTS)}
    assert nodes["Person"] == report.persons
    # Each record's facts reach its person.
    rels = {r["type"]: r["count"] for r in await store.run(queries.RELATIONSHIP_COUNTS)}
    assert rels["ENROLLED_IN"] == rels["LISTS_ENROLMENT"] and rels["HAS_CONDITION"] == rels["LISTS_CONDITION"]
    assert rels["RESIDENT_OF"] == rels["LISTS_STAY"] and rels["ABOUT"] == nodes["ServiceEvent"]

    # The review band: open candidates with both sides and the weight of each comparison.
    candidates = await store.run(queries.OPEN_CANDIDATES, {"limit": 1000})
    assert len(candidates) == report.review_candidates > 0
    top = candidates[0]
    assert {s["side"] for s in top["sides"]} == {"left", "right"}
    assert set(json.loads(top["candidate"]["match_weights"])) >= {"name", "birth", "nik"}
    priorities = [c["candidate"]["priority"] for c in candidates]
    assert priorities == sorted(priorities, reverse=True)

    # A rerun keeps every person id.
    before = {r["record_id"]: r["person_id"] for r in resolved}
    again = await run_match(store, tmp_path / "model.json")
    assert not again.trained and again.relinked == 0
    after = {r["record_id"]: r["person_id"] for r in await store.run(queries.CURRENT_RESOLUTIONS)}
    assert after == before

    # A steward's SAME joins the two persons on the next run; the question is then closed.
    left, right = (s["record"]["record_id"] for s in top["sides"])
    assert await judge(store, top["candidate"]["candidate_id"], Judgement.SAME, "steward-1", "same mother, same KK")
    third = await run_match(store, tmp_path / "model.json")
    now = {r["record_id"]: r["person_id"] for r in await store.run(queries.CURRENT_RESOLUTIONS)}
    assert now[left] == now[right] and third.relinked > 0
    (merged,) = await store.run(lookups.PERSON_BY_ID, {"person_id": now[left]})
    history = [json.loads(line) for line in merged["person"]["history"].splitlines()]
    assert history[-1]["kind"] == "merge" and "steward" in history[-1]["linked_by"]
    open_ids = {c["candidate"]["candidate_id"] for c in await store.run(queries.OPEN_CANDIDATES, {"limit": 1000})}
    assert top["candidate"]["candidate_id"] not in open_ids
    # ... and DIFFERENT splits them again.
    assert await judge(store, top["candidate"]["candidate_id"], Judgement.DIFFERENT, "steward-2", "other birth date")
    await run_match(store, tmp_path / "model.json")
    final = {r["record_id"]: r["person_id"] for r in await store.run(queries.CURRENT_RESOLUTIONS)}
    assert final[left] != final[right]
    (split,) = await store.run(lookups.PERSON_BY_ID, {"person_id": final[right]})
    assert json.loads(split["person"]["history"].splitlines()[-1])["kind"] == "split"
    (judged,) = [r for r in await store.run(queries.JUDGED_CANDIDATES)
                 if r["candidate_id"] == top["candidate"]["candidate_id"]]
    assert judged["decision"] == "DIFFERENT"


async def test_one_new_record_finds_the_person_it_belongs_to(store: GraphStore, population: Path,
                                                              population_model: Path, tmp_path: Path) -> None:
    from matching import model
    from matching.one_record import KnownRecords

    await load_all(store, population, tmp_path)
    await run_match(store, use_model(population_model, tmp_path / "model.json"))
    saved = model.load(tmp_path / "model.json")
    assert saved is not None
    known = await KnownRecords.from_graph(store, saved)
    resolved = {r["record_id"]: r["person_id"] for r in await store.run(queries.CURRENT_RESOLUTIONS)}
    persons = pd.read_csv(population / "truth_persons.csv", dtype=str, keep_default_na=False)
    truth = pd.read_csv(population / "truth.csv", dtype=str, keep_default_na=False)
    dtks = truth[(truth["source"] == "dtks") & (truth["dirt"] == "")].merge(persons, on="person_id").iloc[0]
    # An outreach officer types the name in a variant spelling, with the birth date and village.
    found = known.candidates({"name": dtks["name"].title() + " bin Karto", "birth_date": dtks["birth_date"],
                              "sex": dtks["sex"], "region_code": dtks["village_code"]})
    assert found and found[0].person_id == resolved[f"dtks:{dtks['source_key']}"]
    assert found[0].evidence > 10
    assert known.candidates({"name": "ZZZYX QWERTY", "birth_date": "1901-01-01", "sex": "L"}) == []
    # Street outreach asks with a call name and a guessed age: the person is among the candidates.
    first = persons["name"].str.split(" ").str[0]
    rare = persons.assign(first=first)[first.map(first.value_counts()) == 1].iloc[0]
    guessed = 2025 - int(rare["birth_date"][:4]) + 3
    found = known.candidates({"name": f"Mbah {str(rare['first']).title()}", "age": guessed, "sex": rare["sex"],
                              "encounter": True})  # as `hub find --street` asks
    record_of = truth[truth["person_id"] == rare["person_id"]].iloc[0]
    wanted = resolved[f"{record_of['source']}:{record_of['source_key']}"]
    assert wanted in [c.person_id for c in found]
    from matching.explain import explain

    other = f"dtks:{truth[truth['source'] == 'dtks'].iloc[1]['source_key']}"
    files = explain(known, [(f"dtks:{dtks['source_key']}", other)], tmp_path / "explain")
    assert sorted(f.name for f in files) == ["m_u_parameters.html", "match_weights.html", "waterfall.html"]
    waterfall = (tmp_path / "explain" / "waterfall.html").read_text()
    assert "<script src=" not in waterfall  # everything inlined: opens without a network
    assert "household_place" in waterfall and str(dtks["birth_date"]) in waterfall


def _encounter(key: str, name: str, age: int, sex: str, village: str) -> dict[str, str]:
    return {"ID_PENJANGKAUAN": key, "TGL_PENJANGKAUAN": "14-03-2025", "NAMA_ATAU_ALIAS": name,
            "PERKIRAAN_UMUR": str(age), "JENIS_KELAMIN": "LAKI-LAKI" if sex == "L" else "PEREMPUAN", "NIK": "",
            "KATEGORI": "PENGEMIS", "LOKASI": "PASAR", "KODE_WILAYAH": village.replace(".", ""), "LATITUDE": "",
            "LONGITUDE": "", "TIM": "TIM REAKSI CEPAT"}


async def test_street_encounters_without_nik_join_the_one_registered_person_they_fit(
        store: GraphStore, population: Path, population_model: Path, tmp_path: Path) -> None:
    """Two outreach encounters give only a call name, a guessed age and where they were met: they join
    the registered person they fit, and an encounter that fits two registered namesakes merges neither."""
    import datetime as dt
    import shutil

    data = tmp_path / "data"
    shutil.copytree(population, data)
    persons = pd.read_csv(population / "truth_persons.csv", dtype=str, keep_default_na=False)
    truth = pd.read_csv(population / "truth.csv", dtype=str, keep_default_na=False)
    sources = truth.groupby("person_id")["source"].agg(set)
    persons["first"] = persons["name"].str.split(" ").str[0]
    persons["regency"] = persons["village_code"].str[:5]
    registered = persons["person_id"].map(lambda p: "dtks" in sources.get(p, set()))
    on_roster = persons["person_id"].map(lambda p: any(s.startswith("program_") for s in sources.get(p, set())))
    unique_first = persons["first"].map(persons["first"].value_counts()) == 1
    target = persons[registered & on_roster & unique_first].iloc[0]
    age = dt.date.today().year - 1 - int(target["birth_date"][:4])
    # The rarest first name two registered persons of one regency share, of one sex, born within two years.
    both = persons[registered].merge(persons[registered], on=["regency", "first", "sex"], suffixes=("", "_other"))
    years = both["birth_date"].str[:4].astype(int), both["birth_date_other"].str[:4].astype(int)
    both = both[(both["person_id"] < both["person_id_other"]) & ((years[0] - years[1]).abs() <= 2)]
    decoy = both.assign(n=both["first"].map(persons["first"].value_counts())).sort_values(["n", "person_id"]).iloc[0]
    decoy_age = dt.date.today().year - 1 - int(decoy["birth_date"][:4])
    street = pd.read_csv(data / "penjangkauan.csv", dtype=str, keep_default_na=False)
    extra = pd.DataFrame([
        _encounter("JKN9000000001", str(target["first"]), age + 2, target["sex"], target["village_code"]),
        _encounter("JKN9000000002", f"MBAH {target['first']}", age - 1, target["sex"], target["village_code"]),
        _encounter("JKN9000000003", str(decoy["first"]), decoy_age, decoy["sex"], decoy["village_code"]),
    ])
    pd.concat([street, extra]).to_csv(data / "penjangkauan.csv", index=False)

    await load_all(store, data, tmp_path / "reports")
    await run_match(store, use_model(population_model, tmp_path / "model.json"))
    resolved = {r["record_id"]: r["person_id"] for r in await store.run(queries.CURRENT_RESOLUTIONS)}
    theirs = truth[truth["person_id"] == target["person_id"]]
    records = [f"{s}:{k}" for s, k in zip(theirs["source"], theirs["source_key"], strict=True)]
    assert {resolved[r] for r in [*records, "penjangkauan:JKN9000000001", "penjangkauan:JKN9000000002"]} == {
        resolved[records[0]]}
    (shown,) = await store.run(api_queries.STREET_SHOWCASE_PERSON,
                               {"registry": "dtks", "roster_prefix": "program_", "min_met": 2})
    assert shown["met_without_nik"] >= 2
    # The third encounter fits both registered namesakes: they stay two persons.
    namesakes = [truth[(truth["person_id"] == pid) & (truth["source"] == "dtks")].iloc[0]
                 for pid in (decoy["person_id"], decoy["person_id_other"])]
    assert len({resolved[f"dtks:{row['source_key']}"] for row in namesakes}) == 2
