"""Lists without a NIK link, as a new user would try them: two person lists with only a name, a
birth date and an address; a list with a phone number; and a set with nothing to learn from."""

from __future__ import annotations

import csv
import itertools
import math
import random
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from faker import Faker

from graph_schema.port import GraphStore
from loaders.mapping import load_mapping
from loaders.run import load_file
from matching import model
from matching.addresses import fold_address
from matching.pipeline import ACCEPT, run_match
from tests.conftest import open_graph

HUB = [sys.executable, "-m", "hub.cli"]
# Cypher only this test sends: which person each record of a list joined.
RECORD_PERSONS = "MATCH (s:SourceRecord)-[:RESOLVES_TO]->(p:Person) RETURN s.record_id AS record_id, p.person_id AS person"
RECORD_PHONES = "MATCH (s:SourceRecord) RETURN s.record_id AS record_id, s.phone AS phone"


def mapping_text(source: str, fields: dict[str, str]) -> str:
    lines = [f'source = "{source}"', 'key = "ID"', "[fields]"]
    lines += [f"{name} = {spec}" for name, spec in fields.items()]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Person:
    name: str
    born: str  # ISO
    address: str
    phone: str  # 08...


def people(count: int, seed: int) -> list[Person]:
    fake = Faker("id_ID")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    return [Person(fake.name(), fake.date_of_birth(minimum_age=3, maximum_age=90).isoformat(),
                   f"{fake.street_address()} RT {rng.randint(1, 15):03d} RW {rng.randint(1, 9):03d}",
                   fake.numerify("08##########")) for _ in range(count)]


def written_otherwise(person: Person, rng: random.Random) -> tuple[str, str, str]:
    """(name, birth date DD/MM/YYYY, address) as another office writes the same person."""
    name = person.name.upper()
    roll = rng.random()
    tokens = name.split(" ")
    if roll < 0.15 and len(tokens) > 2:
        name = " ".join([tokens[0][0] + ".", *tokens[1:]])  # "S. MAYASARI"
    elif roll < 0.30:
        at = rng.randrange(1, len(name) - 1)
        name = name[:at] + rng.choice("AEIOU") + name[at + 1:]  # a typo
    elif roll < 0.40:
        name = "H. " + name  # a title
    year, month, day = person.born.split("-")
    born = f"{day}/{month}/{year}"
    if rng.random() < 0.05 and int(day) <= 12 and day != month:
        born = f"{month}/{day}/{year}"  # day and month swapped
    elif rng.random() < 0.05:
        born = ""
    address = (person.address.upper().replace("JL.", "JALAN").replace("GG.", "GANG")
               .replace(" RT ", " RT.").replace(" RW ", "/RW."))
    if rng.random() < 0.1:
        address = ""
    return name, born, address


def no_nik_lists(work: Path, persons: int = 400, seed: int = 13) -> dict[str, str]:
    """Two lists, "daftar_a" (everyone once) and "daftar_b" (60% of them, written otherwise, and
    newcomers): name, birth date and address only. Returns record id -> true person."""
    rng = random.Random(seed)
    everyone = people(persons + persons // 4, seed)
    known, newcomers = everyone[:persons], everyone[persons:]
    truth: dict[str, str] = {}
    with (work / "a.csv").open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["ID", "NAMA", "TGL_LAHIR", "ALAMAT"])
        for i, p in enumerate(known):
            out.writerow([f"A{i}", p.name, "-".join(reversed(p.born.split("-"))), p.address])
            truth[f"daftar_a:A{i}"] = f"P{i}"
    with (work / "b.csv").open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["NO", "NAMA_LENGKAP", "TANGGAL_LAHIR", "ALAMAT_RUMAH"])
        chosen = [(i, known[i]) for i in sorted(rng.sample(range(persons), persons * 3 // 5))]
        for i, p in [*chosen, *((persons + j, p) for j, p in enumerate(newcomers))]:
            out.writerow([f"B{i}", *written_otherwise(p, rng)])
            truth[f"daftar_b:B{i}"] = f"P{i}"
    (work / "a.toml").write_text(mapping_text("daftar_a", {
        "name": '{ column = "NAMA", type = "name", required = true }',
        "birth_date": '{ column = "TGL_LAHIR", type = "birth_date" }',
        "address": '{ column = "ALAMAT", type = "text" }'}))
    (work / "b.toml").write_text(mapping_text("daftar_b", {
        "name": '{ column = "NAMA_LENGKAP", type = "name", required = true }',
        "birth_date": '{ column = "TANGGAL_LAHIR", type = "birth_date", formats = ["%d/%m/%Y"] }',
        "address": '{ column = "ALAMAT_RUMAH", type = "text" }'}).replace('key = "ID"', 'key = "NO"'))
    return truth


def pairs_of(groups: dict[str, str]) -> set[tuple[str, str]]:
    by_group: dict[str, list[str]] = {}
    for record, group in groups.items():
        by_group.setdefault(group, []).append(record)
    return {pair for members in by_group.values() for pair in itertools.combinations(sorted(members), 2)}


def precision_recall(found: dict[str, str], truth: dict[str, str]) -> tuple[float, float, int]:
    predicted, true = pairs_of(found), pairs_of(truth)
    hits = len(predicted & true)
    return hits / max(len(predicted), 1), hits / max(len(true), 1), len(true)


def hub(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*HUB, *args], env=env, capture_output=True, text=True, timeout=900, check=False)


async def resolved(env: dict[str, str]) -> dict[str, str]:
    store = await open_graph(env)
    try:
        return {r["record_id"]: r["person"] for r in await store.run(RECORD_PERSONS)}
    finally:
        await store.clear()
        await store.close()


@pytest.mark.slow
async def test_two_lists_with_only_name_birth_date_and_address_link(graph_env: dict[str, str], tmp_path: Path) -> None:
    truth = no_nik_lists(tmp_path)
    env = graph_env
    for source, data in (("daftar_a", "a"), ("daftar_b", "b")):
        loaded = hub(env, "load", source, str(tmp_path / f"{data}.csv"), "--mapping", str(tmp_path / f"{data}.toml"))
        assert loaded.returncode == 0, loaded.stderr
    matched = hub(env, "match", "--retrain")
    assert matched.returncode == 0, matched.stderr
    assert "no two records had the fields of sex, mother_folded, nik, phone, register_id" in matched.stdout
    found = await resolved(env)
    assert set(found) == set(truth)
    precision, recall, true_pairs = precision_recall(found, truth)
    assert true_pairs == 240
    assert precision >= 0.95 and recall >= 0.9, (precision, recall)
    # What no record has (a NIK, a phone, a mother's name...) gives no evidence, and the model says so.
    saved = model.load(Path(env["HUB_HOME"]) / "models" / f"{env['HUB_GRAPH_NAME']}.splink.json")
    assert saved is not None
    assert set(model.untrained_comparisons(saved)) == {"sex", "mother_folded", "nik", "phone", "register_id"}
    assert all(level["m_probability"] == level["u_probability"] for c in saved["comparisons"]
               if c["output_column_name"] == "nik" for level in c["comparison_levels"] if not level.get("is_null_level"))


async def test_a_list_with_a_phone_links_on_it(store: GraphStore, tmp_path: Path) -> None:
    """List B writes names otherwise (an initial for a word), no birth date, and the phone in
    another format: the phone, stored as 62..., is what joins them; the name alone cannot."""
    rng = random.Random(5)
    fake = Faker("id_ID")
    fake.seed_instance(21)
    # Names without titles, whose first letter is not H or M (an "H." or "M." is read as Haji or Muhammad).
    everyone = [Person(f"{fake.first_name()} {fake.last_name()}", p.born, p.address, p.phone) for p in people(360, 21)]
    everyone = [p for p in everyone if p.name[0] not in "HM"][:300]
    with (tmp_path / "a.csv").open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["ID", "NAMA", "TGL_LAHIR", "NO_HP"])
        for i, p in enumerate(everyone):
            out.writerow([f"A{i}", p.name, p.born, f"{p.phone[:4]}-{p.phone[4:8]}-{p.phone[8:]}"])
    truth = {f"hp_a:A{i}": f"P{i}" for i in range(len(everyone))}
    initials = set()
    with (tmp_path / "b.csv").open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["ID", "NAMA", "TELEPON"])
        for i in sorted(rng.sample(range(len(everyone)), 150)):
            p = everyone[i]
            tokens = p.name.upper().split(" ")
            name = " ".join([tokens[0][0] + ".", *tokens[1:]]) if i % 2 and len(tokens) > 1 else p.name
            initials.update({f"hp_b:B{i}"} if name != p.name else set())
            out.writerow([f"B{i}", name, f"+62 {p.phone[1:4]} {p.phone[4:8]} {p.phone[8:]}"])
            truth[f"hp_b:B{i}"] = f"P{i}"
    for source, data, fields in (
            ("hp_a", "a", {"name": '{ column = "NAMA", type = "name", required = true }',
                           "birth_date": '{ column = "TGL_LAHIR", type = "birth_date" }',
                           "phone": '{ column = "NO_HP", type = "phone" }'}),
            ("hp_b", "b", {"name": '{ column = "NAMA", type = "name", required = true }',
                           "phone": '{ column = "TELEPON", type = "phone" }'})):
        (tmp_path / f"{data}.toml").write_text(mapping_text(source, fields))
        loaded = await load_file(store, load_mapping(tmp_path / f"{data}.toml"), tmp_path / f"{data}.csv", tmp_path)
        assert loaded.rejected == 0
    phones = {r["record_id"]: r["phone"] for r in await store.run(RECORD_PHONES)}
    assert all(phones[r] == "62" + everyone[int(r.split(":")[1][1:])].phone[1:] for r in truth)
    matched = await run_match(store, tmp_path / "model.json", retrain=True)
    found = dict(zip(matched.assigned["record_id"], matched.assigned["cluster"], strict=True))
    precision, recall, _ = precision_recall(found, truth)
    assert precision >= 0.95 and recall >= 0.95, (precision, recall)
    assert initials and all(found[r] == found[r.replace("hp_b:B", "hp_a:A")] for r in initials)
    # The name written with an initial is far from enough on its own: the phone carried them.
    saved = model.load(tmp_path / "model.json")
    assert saved is not None
    weights = {c["output_column_name"]: c["comparison_levels"] for c in saved["comparisons"]}
    initial_level = next(lv for lv in weights["name"] if lv.get("label_for_charts", "").endswith("as its initial"))
    phone_level = next(lv for lv in weights["phone"] if str(lv.get("label_for_charts", "")).startswith("Exact"))
    assert math.log2(initial_level["m_probability"] / initial_level["u_probability"]) < ACCEPT
    assert math.log2(phone_level["m_probability"] / phone_level["u_probability"]) >= 8


def test_a_set_with_nothing_to_learn_from_says_so(graph_env: dict[str, str], tmp_path: Path) -> None:
    env = graph_env
    with (tmp_path / "names.csv").open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["ID", "NAMA", "JK"])
        for i, p in enumerate(people(60, 3)):
            out.writerow([f"N{i}", p.name, "L" if i % 2 else "P"])
    (tmp_path / "names.toml").write_text(mapping_text("nama_saja", {
        "name": '{ column = "NAMA", type = "name", required = true }',
        "sex": '{ column = "JK", type = "code", codes = { "L" = "L", "P" = "P" } }'}))
    assert hub(env, "load", "nama_saja", str(tmp_path / "names.csv"), "--mapping",
               str(tmp_path / "names.toml")).returncode == 0
    matched = hub(env, "match", "--retrain")
    assert matched.returncode != 0 and "Traceback" not in matched.stderr + matched.stdout
    assert "nothing to learn a linking model from" in matched.stderr
    assert "a name and a birth date" in matched.stderr and "nothing says which records are one person" in matched.stderr
    assert "EMTrainingException" not in matched.stderr


@pytest.mark.parametrize(("written", "folded"), [
    ("Jl. Merdeka No.5 RT.01/RW.002", "JALAN MERDEKA 5 RT1 RW2"),
    ("JALAN MERDEKA 5 RT 1 RW 2", "JALAN MERDEKA 5 RT1 RW2"),
    ("Gg. Mawar 12, Kp. Sawah", "GANG MAWAR 12 KAMPUNG SAWAH"),
    ("Dsn Krajan RT01 RW02", "DUSUN KRAJAN RT1 RW2"),
    ("  ", None),
])
def test_addresses_fold_to_one_spelling(written: str, folded: str | None) -> None:
    assert fold_address(written) == folded


@pytest.mark.parametrize(("cell", "phone", "problem"), [
    ("0812-3456-7890", "6281234567890", None),
    ("+62 812 3456 7890", "6281234567890", None),
    ("62812.3456.7890", "6281234567890", None),
    ("812 3456 7890", "6281234567890", None),
    ("(024) 354-1234", "62243541234", None),
    ("0812-ABC", None, "not a telephone number (only digits"),
    ("12345", None, "5 digits after the 0 or 62"),
])
def test_phones_are_stored_as_62(cell: str, phone: str | None, problem: str | None) -> None:
    from loaders.normalise import parse_phone

    value, why = parse_phone(cell)
    assert value == phone
    assert (why is None) if problem is None else (why is not None and problem in why)


def test_a_phone_in_a_raw_row_is_masked_like_an_address() -> None:
    """A list's phone column, whatever its header, is masked for roles not cleared for contact details."""
    from hub.privacy.access import Principal, Role
    from hub.privacy.masking import raw_cells

    record = {"source": "hp_b", "phone": "6281234567890",
              "raw": '{"ID": "B1", "NAMA": "SITI AMINAH", "TELEPON": "+62 812-3456-7890"}'}
    analyst = dict(raw_cells(record, Principal("k1", "analyst", Role.ANALYST)))
    steward = dict(raw_cells(record, Principal("k2", "steward", Role.STEWARD)))
    assert analyst == {"ID": "B1", "NAMA": "SITI AMINAH", "TELEPON": "***"}
    assert steward["TELEPON"] == "+62 812-3456-7890"


def test_records_read_without_the_identifying_columns_still_have_features() -> None:
    """Rows from before these fields (or an app's rows) may lack the columns: no address, phone or id."""
    import pandas as pd

    from matching.extract import COLUMNS
    from matching.features import FEATURES, features

    old = [c for c in COLUMNS if c not in ("address", "phone", "register_id")]
    records = pd.DataFrame([dict.fromkeys(old), dict.fromkeys(old)], columns=old, dtype=object)
    records["record_id"], records["source"], records["name"] = ["a:1", "a:2"], ["a", "a"], ["SITI", "SITI"]
    frame = features(records)
    assert list(frame.columns) == FEATURES
    assert frame[["address_folded", "phone", "register_id"]].isna().all().all()
