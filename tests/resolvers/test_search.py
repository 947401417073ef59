"""searchPersons and person/household lookups as users type them (issue 18): the hub's own name
folding, every name a person was recorded with, exact matches first, and the offices' own forms
of dates, region codes, NIKs and KKs.

The world: a small synthetic population plus a register of hand-picked persons (valid NIKs, so
each links by NIK alone), loaded, linked and served over real HTTP.
"""

from __future__ import annotations

import asyncio
import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hub.privacy.access import Role
from hub.settings import load_settings
from hub.store import open_store
from hub.synth.config import SynthConfig
from hub.synth.name_variants import vary_name
from hub.synth.run import synthesize
from loaders.mapping import mapping_for
from loaders.run import load_file
from matching.names import fold_name
from matching.pipeline import run_match
from tests.conftest import hold_graph
from tests.resolvers.conftest import Api, build_world, serve, target_env

VILLAGE = "3316012001"  # Bangkleyan, Jati, Kabupaten Blora
# key, NIK (district 33.16.01, DDMMYY, serial), name, birth date as the register writes it, sex
REGISTER = [
    ("S1", "3316011312550001", "SOEPARMAN", "13-12-1955"),
    ("S2", "3316010203600002", "SUPARMAN", "02-03-1960"),
    ("S3", "3316010506710003", "SOEPARMAN", "05-06-1971"),
    ("S4", "3316011404560004", "MOEHAMMAD SOEPARMAN", "14-04-1956"),
    ("S5", "3316010101800005", "MUHAMMAD SUPARMAN", "01-01-1980"),
    ("J1", "3316010707700006", "JOKO", "07-07-1970"),
    ("J2", "3316010808750007", "JOKO", "08-08-1975"),
    ("N1", "3316010909650008", "JONO", "09-09-1965"),
    ("N2", "3316011010660009", "JONO", "10-10-1966"),
    ("K1", "3316011111670010", "KOKO", "11-11-1967"),
    ("K2", "3316011212680011", "KOKO", "12-12-1968"),
    # one person, mostly recorded with an initial: the best name is "J. PRASETYO"
    ("P1a", "3316011503810012", "J. PRASETYO", "15-03-1981"),
    ("P1b", "3316011503810012", "J. PRASETYO", "15-03-1981"),
    ("P1c", "3316011503810012", "JOKO PRASETYO", "15-03-1981"),
]
NIK = {key: nik for key, nik, _, _ in REGISTER}

SEARCH = """query($name: String, $birthDate: String, $region: String, $first: Int = 20, $after: String) {
  searchPersons(name: $name, birthDate: $birthDate, region: $region, first: $first, after: $after) {
    edges { cursor score node { personId identity { nik { best } name { best values { value } }
      birthDate { best } } region { code } } }
    pageInfo { hasNextPage endCursor } } }"""


def write_register(path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["ID", "NIK", "NO_KK", "NAMA", "TGL_LAHIR", "JENIS_KELAMIN", "KODE_WILAYAH"])
        for key, nik, name, born in REGISTER:
            out.writerow([key, nik, "", name, born, "L", VILLAGE])


async def add_register(api_settings: Any, work: Path) -> None:
    store = await open_store(api_settings, autostart=False)
    try:
        write_register(work / "register.csv")
        await load_file(store, mapping_for("generic"), work / "register.csv", work)
        await run_match(store, api_settings.model_path)  # the model build_world linked with
    finally:
        await store.close()


@pytest.fixture(scope="module")
def world(request: pytest.FixtureRequest, backend: str, tmp_path_factory: pytest.TempPathFactory,
          trained_model: Path) -> Iterator[Api]:
    work = tmp_path_factory.mktemp(f"search-{backend}")
    synthesize(SynthConfig(persons=600, seed=18, xlsx=False), work / "data", workers=1)
    with hold_graph(request, backend, "search") as target:
        env = target_env(target, work / "hub")
        settings = load_settings(env)
        keys, showcase = asyncio.run(build_world(settings, work / "data", work, trained_model))
        asyncio.run(add_register(settings, work))
        served = serve(settings)
        try:
            yield Api(served.url, served.app, settings, keys, showcase, work / "data", env)
        finally:
            served.stop()


def search(api: Api, **variables: Any) -> list[dict[str, Any]]:
    edges: list[dict[str, Any]] = api.data_of(SEARCH, variables, role=Role.STEWARD)["searchPersons"]["edges"]
    return edges


def error_of(api: Api, query: str, variables: dict[str, Any]) -> str:
    body = api.post(query, variables, role=Role.ADMIN).json()
    assert body.get("data") in (None, {}) or "errors" in body, body
    message: str = body["errors"][0]["message"]
    assert "Traceback" not in message and "errMsg" not in message
    return message


def niks(edges: list[dict[str, Any]]) -> list[str | None]:
    return [e["node"]["identity"]["nik"]["best"] for e in edges]


def folded_names(edge: dict[str, Any]) -> set[str | None]:
    return {fold_name(v["value"]) for v in edge["node"]["identity"]["name"]["values"]}


def test_old_spelling_finds_every_person_of_the_name(world: Api) -> None:
    for typed in ("Suparman", "Soeparman", "SOEPARMAN"):
        found = niks(search(world, name=typed, first=50))
        assert {NIK["S1"], NIK["S2"], NIK["S3"]} <= set(found), typed
        assert {NIK["S4"], NIK["S5"]} <= set(found), typed  # a name that contains SUPARMAN


def test_muhammad_forms_find_each_other(world: Api) -> None:
    for typed in ("Moehammad Soeparman", "Muhammad Suparman", "Moch. Suparman", "M. Suparman"):
        found = niks(search(world, name=typed, first=10))
        assert found[:2] and set(found[:2]) == {NIK["S4"], NIK["S5"]}, (typed, found)


def test_exact_folded_name_ranks_first(world: Api) -> None:
    edges = search(world, name="Joko", first=50)
    exact = [i for i, e in enumerate(edges) if "JOKO" in folded_names(e)]
    others = [i for i, e in enumerate(edges) if "JOKO" not in folded_names(e)
              and not any(n and "JOKO" in n.split(" ") for n in folded_names(e))]
    assert {NIK["J1"], NIK["J2"]} <= set(niks([edges[i] for i in exact]))
    assert NIK["N1"] in niks(edges) and NIK["K1"] in niks(edges)  # still fuzzy: JONO, KOKO are found ...
    assert max(exact) < min(others), [(e["node"]["identity"]["name"]["best"], e["score"]) for e in edges]


def test_every_name_of_a_person_is_searched(world: Api) -> None:
    edges = search(world, name="Joko Prasetyo")
    assert niks(edges)[:1] == [NIK["P1a"]], edges
    assert edges[0]["node"]["identity"]["name"]["best"] == "J. PRASETYO"
    assert niks(search(world, name="J. Prasetyo"))[:1] == [NIK["P1a"]]
    assert niks(search(world, name="Djoko Prasetyo"))[:1] == [NIK["P1a"]]
    assert niks(search(world, name="Joko Prasetjo"))[:1] == [NIK["P1a"]]  # J for today's Y


def test_pages_of_a_ranked_search_neither_skip_nor_repeat(world: Api) -> None:
    whole = [e["node"]["personId"] for e in search(world, name="Suparman", first=50)]
    paged: list[str] = []
    after = None
    while True:
        page = world.data_of(SEARCH, {"name": "Suparman", "first": 2, "after": after},
                             role=Role.STEWARD)["searchPersons"]
        paged += [e["node"]["personId"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert paged == whole and len(whole) >= 5


@pytest.mark.parametrize("born", ["13-12-1955", "13/12/1955", "1955-12-13", " 13-12-1955 "])
def test_birth_date_in_the_offices_forms(world: Api, born: str) -> None:
    edges = search(world, name="Suparman", birthDate=born)
    assert niks(edges) == [NIK["S1"]]


def test_birth_year_alone(world: Api) -> None:
    edges = search(world, name="Suparman", birthDate="1956")
    assert niks(edges) == [NIK["S4"]]
    by_year = search(world, birthDate="1955", region="3316", first=100)
    assert NIK["S1"] in niks(by_year)
    assert all((e["node"]["identity"]["birthDate"]["best"] or "1955").startswith("1955") for e in by_year)


@pytest.mark.parametrize(("born", "reason"), [
    ("kemarin", "not a date"), ("31-02-1955", "not a date that exists"), ("2999", "in the future"),
    ("19550", "not a date"), ("x" * 300, "not a date"),
])
def test_nonsense_birth_date_is_an_error_naming_the_argument(world: Api, born: str, reason: str) -> None:
    message = error_of(world, SEARCH, {"name": "Suparman", "birthDate": born})
    assert message.startswith("birthDate: ") and reason in message, message
    assert "DD-MM-YYYY" in message and len(message) < 300, message


@pytest.mark.parametrize("region", ["3316", "33.16", "331601", "33.16.01", VILLAGE, "33.16.01.2001"])
def test_region_codes_dotted_or_not(world: Api, region: str) -> None:
    assert NIK["S1"] in niks(search(world, name="Suparman", region=region))


@pytest.mark.parametrize(("region", "reason"), [
    ("Blora", "not a Kemendagri region code"), ("3316010", "not a Kemendagri region code"),
    ("99.99", "no Kemendagri region"),
])
def test_not_a_region_code(world: Api, region: str, reason: str) -> None:
    message = error_of(world, SEARCH, {"name": "Suparman", "region": region})
    assert message.startswith("region: ") and reason in message, message


@pytest.mark.parametrize("typed", ["'3316011312550001", "3316011312550001.0", "3316 0113 1255 0001",
                                   " 3316011312550001 "])
def test_person_by_nik_as_excel_leaves_it(world: Api, typed: str) -> None:
    person = world.data_of("query($n: String) { person(nik: $n) { identity { nik { best } } } }", {"n": typed})
    assert person["person"]["identity"]["nik"]["best"] == NIK["S1"]


@pytest.mark.parametrize(("typed", "reason"), [("12345", "not 16"), ("3316011312550001x", "digits"),
                                               ("9999011312550001", "not a valid NIK")])
def test_person_by_nik_refuses_what_the_loader_refuses(world: Api, typed: str, reason: str) -> None:
    message = error_of(world, "query($n: String) { person(nik: $n) { personId } }", {"n": typed})
    assert message.startswith("nik: ") and reason in message, message


def test_household_by_kk_as_excel_leaves_it(world: Api) -> None:
    (row,) = asyncio.run(world.cypher("MATCH (h:Household) RETURN h.kk AS kk ORDER BY kk LIMIT 1"))
    query = "query($kk: String!) { household(kk: $kk) { members { personId } } }"
    for typed in (f"'{row['kk']}", f"{row['kk']}.0"):
        assert world.data_of(query, {"kk": typed})["household"]["members"], typed
    assert error_of(world, query, {"kk": "12"}).startswith("kk: ")
    network = "query($kk: String) { householdNetwork(kk: $kk) { nodes { id kind } } }"
    nodes = world.data_of(network, {"kk": f"'{row['kk']}"})["householdNetwork"]["nodes"]
    assert any(n["kind"].lower() == "household" for n in nodes)
    assert error_of(world, network, {"kk": "12"}).startswith("kk: ")


def test_recall_on_name_variants_with_birth_year_and_regency(world: Api) -> None:
    """A small truth benchmark: persons asked for by a variant of one of their names (old or new
    spelling, a Muhammad form, an initial, ...) with their birth year and regency."""
    rows = asyncio.run(world.cypher(
        "MATCH (p:Person)<-[:RESOLVES_TO]-(s:SourceRecord) WHERE p.birth_date IS NOT NULL AND s.name IS NOT NULL "
        "AND p.region_code IS NOT NULL RETURN p.person_id AS person_id, p.sex AS sex, p.birth_date AS born, "
        "p.region_code AS region, collect(s.name) AS names ORDER BY person_id"))
    rng = np.random.default_rng(18)
    picked = [rows[i] for i in rng.choice(len(rows), size=80, replace=False)]
    hits = 0
    for row in picked:
        name = str(rng.choice(sorted(row["names"])))
        variant, _ = vary_name(name, row["sex"] == "P", "SLAMET", rng)
        found = search(world, name=variant, birthDate=row["born"][:4], region=row["region"][:5].replace(".", ""),
                       first=10)
        hits += row["person_id"] in [e["node"]["personId"] for e in found]
    assert hits / len(picked) >= 0.95, hits
