"""Writes through GraphQL (writeRecords, registerEncounter), over real HTTP, on a world of their own:
they change the graph, which the package's shared world must not see."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hub.privacy.access import Principal, Role
from hub.privacy.audit import Action, AuditEntry, AuditLog, Outcome
from hub.store import open_store
from matching.names import first_token, fold_name
from matching.pipeline import run_match
from matching.seen import ModelMissing
from resolvers.writes import RowOutcome, write_rows
from tests.resolvers.conftest import Api, served_world

WRITE = """mutation($source: String!, $rows: [JSON!]!) { writeRecords(source: $source, rows: $rows) {
  source written unchanged rejected
  rows { index status sourceKey recordId personId method probability
         problem { field column reason } warnings { field reason }
         person { personId identity { nik { best } } events { kind status sourceKey statusHistory { status } } } } } }"""
ENCOUNTER = """mutation($name: String!, $age: Int, $sex: String, $region: String, $date: String!, $id: String) {
  registerEncounter(name: $name, age: $age, sex: $sex, region: $region, date: $date, team: "TIM REAKSI CEPAT",
                    category: "GELANDANGAN", place: "ALUN-ALUN", latitude: -7.0, longitude: 110.4, encounterId: $id) {
    joined row { status personId method probability }
    person { personId records { source sourceKey } }
    earlierEncounters { source sourceKey date } } }"""


@pytest.fixture(scope="module")
def live(request: pytest.FixtureRequest, backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    yield from served_world(request, backend, tmp_path_factory, "writes", 1000)


# The person's fields WRITE's answer sends, as the audit log names them.
FIELDS_SENT = ("events.kind", "events.sourceKey", "events.status", "events.statusHistory", "identity.nik", "personId")


def _one(api: Api, query: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    rows = asyncio.run(api.cypher(query, params))
    assert rows, query
    return rows[0]


def _complaint(api: Api, status: str, history: str, ticket: str = "API-T0001") -> dict[str, Any]:
    """A complaint about the showcase person, as an SLRT desk app exports it."""
    me = _one(api, "MATCH (s:SourceRecord {nik: $nik}) WHERE s.birth_date IS NOT NULL AND s.sex IS NOT NULL "
              "AND s.region_code IS NOT NULL RETURN s.name AS name, s.birth_date AS birth_date, s.sex AS sex, "
              "s.region_code AS region ORDER BY s.record_id LIMIT 1", {"nik": api.showcase["nik"]})
    born = dt.date.fromisoformat(me["birth_date"])
    return {"NO_TIKET": ticket, "TGL_PENGADUAN": "02-11-2026", "NIK": api.showcase["nik"], "NAMA": me["name"],
            "TGL_LAHIR": born.strftime("%d-%m-%Y"), "JENIS_KELAMIN": "LAKI-LAKI" if me["sex"] == "L" else "PEREMPUAN",
            "KODE_WILAYAH": me["region"].replace(".", ""), "JENIS_PENGADUAN": "KEPESERTAAN",
            "URAIAN": "belum menerima PKH", "STATUS": status, "RIWAYAT_STATUS": history, "PETUGAS": ""}


def _write(api: Api, source: str, rows: list[dict[str, Any]], role: Role = Role.APP) -> dict[str, Any]:
    result: dict[str, Any] = api.data_of(WRITE, {"source": source, "rows": rows}, role=role)["writeRecords"]
    return result


def test_a_complaint_is_written_linked_retried_and_updated_with_its_history(live: Api) -> None:
    received = _complaint(live, "DITERIMA", "2026-11-02 DITERIMA")
    first = _write(live, "slrt_pengaduan", [received])
    (row,) = first["rows"]
    assert (row["status"], first["written"], row["sourceKey"]) == ("NEW", 1, "API-T0001")
    # Linked at once, by its NIK, to the person the registers know under that NIK.
    assert row["personId"] == live.showcase["person_id"] == row["person"]["personId"]
    assert row["method"] == "NIK" and row["probability"] == 1.0
    assert row["person"]["identity"]["nik"]["best"] == live.showcase["nik"]  # the app role sees NIKs
    complaint = [e for e in row["person"]["events"] if e["sourceKey"] == "API-T0001"]
    assert [e["status"] for e in complaint] == ["DITERIMA"]

    # The app retries: the same answer, nothing written again.
    again = _write(live, "slrt_pengaduan", [received])
    assert again["rows"][0]["status"] == "UNCHANGED" and again["unchanged"] == 1
    assert {k: again["rows"][0][k] for k in ("personId", "method", "recordId")} == {
        k: row[k] for k in ("personId", "method", "recordId")}

    # The desk refers the complaint: a newer version of the row, the old one kept in the record's history.
    referred = _complaint(live, "DIRUJUK", "2026-11-02 DITERIMA; 2026-11-06 DIRUJUK")
    update = _write(live, "slrt_pengaduan", [referred])["rows"][0]
    assert update["status"] == "UPDATED" and update["personId"] == row["personId"]
    event = next(e for e in update["person"]["events"] if e["sourceKey"] == "API-T0001")
    assert event["status"] == "DIRUJUK" and [s["status"] for s in event["statusHistory"]] == ["DITERIMA", "DIRUJUK"]
    stored = _one(live, "MATCH (s:SourceRecord {record_id: $id}) RETURN s.previous AS previous, s.raw AS raw",
                  {"id": row["recordId"]})
    (before,) = json.loads(stored["previous"])
    assert before["raw"]["STATUS"] == "DITERIMA" and json.loads(stored["raw"])["STATUS"] == "DIRUJUK"

    # Every write is audited: who wrote about whom, and which of the person's fields the answer sent.
    newest = AuditLog.of(live.settings).latest(1, row["personId"])[0]
    assert (newest.operation, newest.role, newest.action, newest.outcome) == (
        "writeRecords", "app", Action.WRITE, Outcome.OK)
    assert newest.person_ids == (row["personId"],) and newest.fields == FIELDS_SENT


def test_a_bad_row_is_rejected_with_field_column_and_reason_and_the_rest_is_written(live: Api) -> None:
    good = _complaint(live, "DITERIMA", "2026-11-03 DITERIMA", ticket="API-T0002")
    bad = _complaint(live, "DITERIMA", "2026-11-03 DITERIMA", ticket="API-T0003") | {"TGL_PENGADUAN": "31-02-2026"}
    nameless = _complaint(live, "DITERIMA", "2026-11-03 DITERIMA", ticket="API-T0004") | {"NAMA": "  "}
    result = _write(live, "slrt_pengaduan", [good, bad, nameless])
    assert [r["status"] for r in result["rows"]] == ["NEW", "REJECTED", "REJECTED"]
    assert (result["written"], result["rejected"]) == (1, 2)
    date, name = result["rows"][1]["problem"], result["rows"][2]["problem"]
    assert (date["field"], date["column"]) == ("opened", "TGL_PENGADUAN") and "exist" in date["reason"]
    assert (name["field"], name["column"]) == ("name", "NAMA") and date["reason"]
    assert result["rows"][1]["personId"] is None and result["rows"][0]["personId"]
    assert [r["sourceKey"] for r in result["rows"]] == ["API-T0002", "API-T0003", "API-T0004"]


def test_a_role_writes_only_the_sources_roles_toml_lists(live: Api) -> None:
    row = _complaint(live, "DITERIMA", "2026-11-02 DITERIMA", ticket="API-T0009")
    refused = live.post(WRITE, {"source": "dtks", "rows": [{"ID_DTKS": "X"}]}, role=Role.APP).json()
    assert refused["errors"][0]["message"].startswith("the app role may not write dtks rows")
    analyst = live.post(WRITE, {"source": "slrt_pengaduan", "rows": [row]}, role=Role.ANALYST).json()
    assert analyst["errors"][0]["message"].startswith("the analyst role may not write records of a source")
    unknown = live.post(WRITE, {"source": "bansos", "rows": [row]}, role=Role.APP).json()
    assert unknown["errors"][0]["message"].startswith("source: 'bansos' is not a source the hub knows")
    too_many = live.post(WRITE, {"source": "slrt_pengaduan", "rows": [row] * 501}, role=Role.APP).json()
    assert "send at most 500" in too_many["errors"][0]["message"]
    nested = live.post(WRITE, {"source": "slrt_pengaduan", "rows": [row | {"NAMA": ["A"]}]}, role=Role.APP).json()
    assert nested["errors"][0]["message"].startswith("rows[0].NAMA: a list is not a cell")
    # Nothing of the refused calls was written.
    assert not asyncio.run(live.cypher("MATCH (s:SourceRecord {source_key: 'API-T0009'}) RETURN s.record_id AS id"))


def test_a_street_encounter_of_a_registered_person_joins_that_person(live: Api) -> None:
    rows = asyncio.run(live.cypher(
        "MATCH (d:SourceRecord {source: 'dtks'})-[:RESOLVES_TO]->(p:Person) WHERE d.birth_date IS NOT NULL "
        "AND d.sex IS NOT NULL RETURN d.name AS name, d.birth_date AS born, d.sex AS sex, d.region_code AS region, "
        "p.person_id AS person_id ORDER BY d.record_id"))
    names = Counter(r["name"] for r in asyncio.run(live.cypher("MATCH (s:SourceRecord) RETURN s.name AS name")))
    me = next(r for r in rows if names[r["name"]] == 1)
    # Met in their own regency, their age guessed a year off, no NIK: what street outreach writes.
    variables = {"name": me["name"], "age": dt.date.today().year - int(me["born"][:4]) - 1, "sex": me["sex"],
                 "region": me["region"], "date": "2026-11-20", "id": None}
    answer = live.data_of(ENCOUNTER, variables, role=Role.APP)["registerEncounter"]
    assert answer["row"]["status"] == "NEW" and answer["joined"] and answer["row"]["method"] == "SPLINK"
    assert answer["row"]["personId"] == answer["person"]["personId"] == me["person_id"]
    assert "dtks" in {r["source"] for r in answer["person"]["records"]} and answer["earlierEncounters"] == []
    # A retry (same content, so the same id) registers nothing new and gives the same person.
    retry = live.data_of(ENCOUNTER, variables, role=Role.APP)["registerEncounter"]
    assert retry["row"]["status"] == "UNCHANGED" and retry["row"]["personId"] == me["person_id"]
    # Met again a month later: the first encounter is now an earlier one.
    later = live.data_of(ENCOUNTER, variables | {"date": "27-11-2026"}, role=Role.APP)["registerEncounter"]
    assert later["row"]["personId"] == me["person_id"]
    assert [e["date"] for e in later["earlierEncounters"]] == ["2026-11-20"]
    bad = live.post(ENCOUNTER, variables | {"date": "31-02-2026"}, role=Role.APP).json()
    assert bad["errors"][0]["message"].startswith("date: ") and "Traceback" not in str(bad)


def test_an_encounter_between_two_registered_persons_never_joins_them(live: Api) -> None:
    rows = asyncio.run(live.cypher(
        "MATCH (d:SourceRecord {source: 'dtks'})-[:RESOLVES_TO]->(p:Person) WHERE d.birth_date IS NOT NULL "
        "RETURN d.name AS name, d.birth_date AS born, d.sex AS sex, d.region_code AS region, p.person_id AS person_id"))
    groups: dict[tuple[str, str, str], dict[str, dict[str, Any]]] = {}
    for r in rows:
        key = (first_token(fold_name(r["name"])) or "", r["region"][:5], r["sex"])
        groups.setdefault(key, {})[r["person_id"]] = r
    pairs = [list(g.values())[:2] for g in groups.values() if len(g) >= 2]
    pairs = [p for p in pairs if abs(int(p[0]["born"][:4]) - int(p[1]["born"][:4])) <= 4]
    assert pairs, "the synthetic world has two registered persons of one first name in one regency"
    a, b = pairs[0]
    year = (int(a["born"][:4]) + int(b["born"][:4])) // 2
    answer = live.data_of(ENCOUNTER, {
        "name": first_token(fold_name(a["name"])), "age": dt.date.today().year - year, "sex": a["sex"],
        "region": a["region"][:5], "date": "2026-11-21", "id": "JKN-BOTH-1"}, role=Role.APP)["registerEncounter"]
    assert answer["row"]["status"] == "NEW" and answer["row"]["personId"]

    def persons_of(record: dict[str, Any]) -> set[str]:
        """The persons that the DTKS records of this name and birth date resolve to now."""
        found = asyncio.run(live.cypher(
            "MATCH (d:SourceRecord {source: 'dtks'})-[:RESOLVES_TO]->(p:Person) WHERE d.name = $name "
            "AND d.birth_date = $born RETURN p.person_id AS person_id", {"name": record["name"], "born": record["born"]}))
        return {r["person_id"] for r in found}

    assert persons_of(a) and persons_of(b) and persons_of(a).isdisjoint(persons_of(b))


def test_a_key_scoped_to_a_region_writes_only_rows_of_that_region(live: Api) -> None:
    inside = _complaint(live, "DITERIMA", "2026-11-04 DITERIMA", ticket="API-T0021")
    region = ".".join([inside["KODE_WILAYAH"][:2], inside["KODE_WILAYAH"][2:4]])
    other = _one(live, "MATCH (s:SourceRecord) WHERE s.region_code IS NOT NULL AND NOT s.region_code STARTS WITH $r "
                 "RETURN s.region_code AS code LIMIT 1", {"r": region})["code"]
    elsewhere = inside | {"NO_TIKET": "API-T0022", "KODE_WILAYAH": other.replace(".", "")}
    nowhere = inside | {"NO_TIKET": "API-T0023", "KODE_WILAYAH": ""}
    officer = Principal("k-officer", "officer", Role.APP, office="Dinsos", region=region)

    async def write() -> list[RowOutcome]:
        store = await open_store(live.settings, autostart=False)
        try:
            return await write_rows(store, officer, "slrt_pengaduan", [inside, elsewhere, nowhere],
                                    live.settings.model_path)
        finally:
            await store.close()

    ok, outside, unstated = asyncio.run(write())
    assert ok.status == "new" and ok.person_id == live.showcase["person_id"]
    assert outside.status == "rejected" and outside.problem is not None and outside.person_id is None
    assert (outside.problem.field, outside.problem.column) == ("region", "KODE_WILAYAH")
    assert f"outside {region}" in outside.problem.reason
    assert unstated.status == "rejected" and unstated.problem is not None
    assert "states no region" in unstated.problem.reason




def _entries(api: Api, key_id: str) -> list[AuditEntry]:
    return list(AuditLog.of(api.settings).entries(key_id=key_id, newest_first=False))


def _elsewhere(api: Api, regency: str) -> str:
    """A village code of another regency (dotted)."""
    code: str = _one(api, "MATCH (s:SourceRecord) WHERE s.region_code IS NOT NULL AND NOT s.region_code STARTS WITH $r "
                     "AND size(s.region_code) = 13 RETURN s.region_code AS code ORDER BY code LIMIT 1",
                     {"r": regency})["code"]
    return code


def test_an_officer_writes_only_its_region_and_every_row_is_audited_without_its_values(live: Api) -> None:
    inside = _complaint(live, "DITERIMA", "2026-11-05 DITERIMA", ticket="API-T0031")
    regency = f"{inside['KODE_WILAYAH'][:2]}.{inside['KODE_WILAYAH'][2:4]}"
    other = _elsewhere(live, regency)
    elsewhere = inside | {"NO_TIKET": "API-T0032", "KODE_WILAYAH": other.replace(".", "")}
    nowhere = inside | {"NO_TIKET": "API-T0033", "KODE_WILAYAH": ""}
    bad_date = inside | {"NO_TIKET": "API-T0034", "TGL_PENGADUAN": "31-02-2026"}
    key_id, key = live.officer_key(Role.APP, regency)
    body = live.post(WRITE, {"source": "slrt_pengaduan", "rows": [inside, elsewhere, nowhere, bad_date]}, key=key).json()
    assert "errors" not in body, body
    rows = body["data"]["writeRecords"]["rows"]
    assert [r["status"] for r in rows] == ["NEW", "REJECTED", "REJECTED", "REJECTED"]
    assert rows[0]["personId"] == live.showcase["person_id"] == rows[0]["person"]["personId"]
    assert [r["problem"]["field"] for r in rows[1:]] == ["region", "region", "opened"]
    assert all(r["personId"] is None and r["person"] is None for r in rows[1:])

    written = [e for e in _entries(live, key_id) if e.operation == "writeRecords"]
    assert [(e.action, e.outcome) for e in written] == [(Action.WRITE, Outcome.OK), (Action.WRITE, Outcome.REFUSED),
                                                        (Action.WRITE, Outcome.REFUSED), (Action.WRITE, Outcome.FAILED)]
    assert written[0].person_ids == (live.showcase["person_id"],)
    assert written[0].fields == FIELDS_SENT and written[0].region == regency
    assert all(e.person_ids == () and e.fields == () for e in written[1:])
    assert len({e.request_id for e in written}) == 1 and written[0].request_id and written[0].client == "127.0.0.1"
    assert [e.detail for e in written[1:]] == ["row 1: region (KODE_WILAYAH) outside the key's region",
                                               "row 2: region (KODE_WILAYAH) outside the key's region",
                                               "row 3: opened (TGL_PENGADUAN) rejected"]
    sent = json.dumps([inside, elsewhere])
    assert all(e.detail and e.detail not in sent and other not in e.detail and "31-02" not in e.detail
               for e in written[1:])


PERSON_SEEN = """identity { nik { best } kk { best } motherName { best } birthDate { best } address { best } }
  household { members { personId name nik birthDate programs } }"""


def test_a_written_person_is_masked_for_the_role_exactly_as_person_masks_them(live: Api) -> None:
    row = _complaint(live, "DITERIMA", "2026-11-07 DITERIMA", ticket="API-T0041")
    query = WRITE.replace("person { personId identity { nik { best } } events { kind status sourceKey statusHistory "
                          "{ status } } }", "person { personId " + PERSON_SEEN + " }")
    assert query != WRITE
    written = _write(live, "slrt_pengaduan", [row])["rows"][0]["person"]
    read = live.data_of("query($p: ID) { person(personId: $p) { personId " + PERSON_SEEN + " } }",
                        {"p": written["personId"]}, role=Role.APP)["person"]
    written = live.data_of(query, {"source": "slrt_pengaduan", "rows": [row | {"NO_TIKET": "API-T0042"}]},
                           role=Role.APP)["writeRecords"]["rows"][0]["person"]
    assert written == read
    # The app role sees the person's NIK, not their mother's name; a relative by name, relation and id only.
    steward = live.data_of("query($p: ID) { person(personId: $p) { personId " + PERSON_SEEN + " } }",
                           {"p": read["personId"]}, role=Role.STEWARD)["person"]
    assert read["identity"]["nik"]["best"] == live.showcase["nik"]
    assert read["identity"]["motherName"]["best"] != steward["identity"]["motherName"]["best"]
    assert all(m["nik"] is None and m["birthDate"] is None and m["programs"] == []
               for m in read["household"]["members"])


def test_an_officer_registers_encounters_only_in_its_region(live: Api) -> None:
    inside = _complaint(live, "DITERIMA", "2026-11-08 DITERIMA")
    regency = f"{inside['KODE_WILAYAH'][:2]}.{inside['KODE_WILAYAH'][2:4]}"
    key_id, key = live.officer_key(Role.APP, regency)
    here = {"name": "SI KUMIS", "age": 40, "sex": "L", "region": regency, "date": "2026-11-22", "id": "OFF-1"}
    answer = live.post(ENCOUNTER, here, key=key).json()
    assert "errors" not in answer, answer
    person = answer["data"]["registerEncounter"]["person"]
    assert person and answer["data"]["registerEncounter"]["row"]["status"] == "NEW"
    outside = _elsewhere(live, regency)[:5]
    there = live.post(ENCOUNTER, here | {"region": outside, "id": "OFF-2"}, key=key).json()
    assert there["data"] is None
    assert there["errors"][0]["message"] == f"region: {outside} is outside {regency}, the region this key may write"
    nowhere = live.post(ENCOUNTER, here | {"region": None, "id": "OFF-3"}, key=key).json()
    assert nowhere["errors"][0]["message"].startswith("region: states no region")
    assert not asyncio.run(live.cypher("MATCH (s:SourceRecord) WHERE s.source_key IN ['OFF-2', 'OFF-3'] "
                                       "RETURN s.record_id AS id"))
    audited = [(e.action, e.outcome, e.person_ids) for e in _entries(live, key_id)
               if e.operation == "registerEncounter"]
    assert audited == [(Action.WRITE, Outcome.OK, (person["personId"],)), (Action.WRITE, Outcome.REFUSED, ()),
                       (Action.WRITE, Outcome.REFUSED, ())]


@pytest.mark.parametrize("role", [Role.ANALYST, Role.STEWARD])
def test_analysts_and_stewards_neither_write_nor_register_encounters(live: Api, role: Role) -> None:
    row = _complaint(live, "DITERIMA", "2026-11-09 DITERIMA", ticket="API-T0051")
    write = live.post(WRITE, {"source": "slrt_pengaduan", "rows": [row]}, role=role).json()
    assert write["data"] is None
    assert write["errors"][0]["message"].startswith(f"the {role} role may not write records of a source")
    met = live.post(ENCOUNTER, {"name": "SI KUMIS", "date": "2026-11-22", "id": "ROLE-1"}, role=role).json()
    assert met["errors"][0]["message"].startswith(f"the {role} role may not ask whether a person was seen before")
    assert not asyncio.run(live.cypher("MATCH (s:SourceRecord) WHERE s.source_key IN ['API-T0051', 'ROLE-1'] "
                                       "RETURN s.record_id AS id"))


def test_write_brakes_count_rows_and_check_every_cell(live: Api) -> None:
    nameless = {"NO_TIKET": "", "NAMA": ""}
    one = "mutation($rows: [JSON!]!) { w: writeRecords(source: \"slrt_pengaduan\", rows: $rows) { rejected } }"
    full = live.post(one, {"rows": [nameless] * 500}, role=Role.APP).json()
    assert "errors" not in full and full["data"]["w"]["rejected"] == 500, "one write of 500 rows is within the cost"
    fifteen = "mutation($rows: [JSON!]!) { " + " ".join(
        f'w{i}: writeRecords(source: "slrt_pengaduan", rows: $rows) {{ rejected }}' for i in range(15)) + " }"
    refused = live.post(fifteen, {"rows": [nameless] * 500}, role=Role.APP).json()
    assert refused["data"] is None
    assert refused["errors"][0]["message"].startswith("this query costs 7,875, more than the 1,000 a request may")
    two = live.post(fifteen.split(" w2:")[0] + " }", {"rows": [nameless] * 500}, role=Role.APP).json()
    assert two["errors"][0]["message"].startswith("this query costs 1,050,")

    row = _complaint(live, "DITERIMA", "2026-11-10 DITERIMA", ticket="API-T0061")
    long_cell = live.post(one, {"rows": [row | {"URAIAN": "x" * 1_001}]}, role=Role.APP).json()
    assert long_cell["errors"][0]["message"] == ("$rows (writeRecords(rows:)) holds a string of 1,001 characters; "
                                                 "at most 1,000 are accepted")
    nul = live.post(one, {"rows": [row | {"URAIAN": "a\u0000b"}]}, role=Role.APP).json()
    assert nul["errors"][0]["message"] == ("$rows (writeRecords(rows:)) holds a NUL character (U+0000), which no "
                                           "argument may")
    literal = live.post('mutation { writeRecords(source: "slrt_pengaduan", rows: [{URAIAN: "' + "y" * 1_001
                        + '"}]) { rejected } }', role=Role.APP).json()
    assert literal["errors"][0]["message"] == ("writeRecords(rows:) is 1,001 characters long; at most 1,000 are "
                                               "accepted")
    assert not asyncio.run(live.cypher("MATCH (s:SourceRecord {source_key: 'API-T0061'}) RETURN s.record_id AS id"))


# Issue 13's privacy hole: a row an officer may write (its region is theirs) carrying the NIK of a person
# who lives elsewhere must not join that person, or the officer could then read their whole history.
OUTSIDER = (
    "MATCH (d:SourceRecord {source: 'dtks'})-[:RESOLVES_TO]->(p:Person) WHERE d.nik IS NOT NULL "
    "AND d.birth_date IS NOT NULL AND d.sex IS NOT NULL AND NOT p.region_code STARTS WITH $r "
    "WITH d, p, [(s:SourceRecord)-[:RESOLVES_TO]->(p) | s.region_code] + "
    "[(p)-[:MEMBER_OF]->(h:Household) | h.region_code] AS codes WHERE none(c IN codes WHERE c STARTS WITH $r) "
    "RETURN p.person_id AS person_id, d.record_id AS record_id, d.nik AS nik, d.name AS name, "
    "d.birth_date AS born, d.sex AS sex ORDER BY d.record_id SKIP $skip LIMIT 1"
)
PERSON_BY_ID = "query($p: ID) { person(personId: $p) { personId records { source } } }"
CANDIDATES_OF = (
    "MATCH (c:MatchCandidate {status: 'open'})-[:COMPARES]->(:SourceRecord {record_id: $mine}) "
    "MATCH (c)-[:COMPARES]->(o:SourceRecord)-[:RESOLVES_TO]->(p:Person) WHERE o.record_id <> $mine "
    "RETURN c.candidate_id AS candidate_id, c.proposed_because AS because, p.person_id AS person_id"
)


def _outsider(api: Api, regency: str, skip: int) -> dict[str, Any]:
    return _one(api, OUTSIDER, {"r": regency, "skip": skip})


def _their_complaint(inside: dict[str, Any], outsider: dict[str, Any], ticket: str) -> dict[str, Any]:
    """A complaint written in the officer's regency that carries the outsider's NIK, name, birth date and sex."""
    born = dt.date.fromisoformat(outsider["born"])
    return inside | {"NO_TIKET": ticket, "NIK": outsider["nik"], "NAMA": outsider["name"],
                     "TGL_LAHIR": born.strftime("%d-%m-%Y"),
                     "JENIS_KELAMIN": "LAKI-LAKI" if outsider["sex"] == "L" else "PEREMPUAN"}


def test_an_officer_cannot_pull_a_person_of_another_region_into_its_own_by_writing_their_nik(live: Api) -> None:
    inside = _complaint(live, "DITERIMA", "2026-11-10 DITERIMA", ticket="API-X0001")
    regency = f"{inside['KODE_WILAYAH'][:2]}.{inside['KODE_WILAYAH'][2:4]}"
    outsider = _outsider(live, regency, 0)
    key_id, key = live.officer_key(Role.APP, regency)
    assert live.post(PERSON_BY_ID, {"p": outsider["person_id"]}, key=key).json()["data"]["person"] is None

    body = live.post(WRITE, {"source": "slrt_pengaduan", "rows": [_their_complaint(inside, outsider, "API-X0001")]},
                     key=key).json()
    assert "errors" not in body, body
    (row,) = body["data"]["writeRecords"]["rows"]
    # Written, answered as a new person of the officer's region: nothing of the outsider, not even a hint.
    assert row["status"] == "NEW" and row["personId"] and row["personId"] != outsider["person_id"]
    assert row["person"]["personId"] == row["personId"]
    assert outsider["person_id"] not in json.dumps(body)
    # The outsider stays outside: their history is still refused to the officer, and reads the same for an admin.
    assert live.post(PERSON_BY_ID, {"p": outsider["person_id"]}, key=key).json()["data"]["person"] is None
    theirs = live.data_of(PERSON_BY_ID, {"p": outsider["person_id"]})["person"]
    assert "slrt_pengaduan" not in {r["source"] for r in theirs["records"]}
    mine = live.data_of(PERSON_BY_ID, {"p": row["personId"]})["person"]
    assert [r["source"] for r in mine["records"]] == ["slrt_pengaduan"]
    # The possible link is before a steward, with the reason, and the refusal is audited (no value in it).
    (candidate,) = asyncio.run(live.cypher(CANDIDATES_OF, {"mine": row["recordId"]}))
    assert candidate["person_id"] == outsider["person_id"] and "region" in candidate["because"]
    refused = [e for e in _entries(live, key_id) if e.operation == "writeRecords" and e.outcome == Outcome.REFUSED]
    assert [e.detail for e in refused] == [f"row 0: a link to a person outside the key's region was refused and "
                                           f"put before a steward ({candidate['candidate_id']})"]
    assert refused[0].person_ids == () and outsider["nik"] not in str(refused[0])
    # A province steward's queue shows the question with its reason; the officer's does not (a side is outside).
    queue = ("query($r: String) { matchCandidates(region: $r, first: 100) { edges { node { candidateId "
             "proposedBecause } } } }")
    asked = {e["node"]["candidateId"]: e["node"]["proposedBecause"] for e in live.data_of(
        queue, {"r": regency}, role=Role.STEWARD)["matchCandidates"]["edges"]}
    assert "region" in asked[candidate["candidate_id"]]
    _, steward = live.officer_key(Role.STEWARD, regency)
    mine_only = live.post(queue, {"r": regency}, key=steward).json()["data"]["matchCandidates"]["edges"]
    assert candidate["candidate_id"] not in {e["node"]["candidateId"] for e in mine_only}
    # Held apart until a steward decides: a full run (same model) neither links them nor drops the question.
    asyncio.run(_full_run(live))
    (after,) = asyncio.run(live.cypher(CANDIDATES_OF, {"mine": row["recordId"]}))
    assert after == candidate
    assert live.post(PERSON_BY_ID, {"p": outsider["person_id"]}, key=key).json()["data"]["person"] is None
    assert "slrt_pengaduan" not in {r["source"] for r in live.data_of(
        PERSON_BY_ID, {"p": outsider["person_id"]})["person"]["records"]}


async def _full_run(api: Api) -> None:
    store = await open_store(api.settings, autostart=False)
    try:
        await run_match(store, api.settings.model_path)
    finally:
        await store.close()


def test_an_officer_registers_an_encounter_as_its_own_never_an_outsiders(live: Api) -> None:
    inside = _complaint(live, "DITERIMA", "2026-11-11 DITERIMA")
    regency = f"{inside['KODE_WILAYAH'][:2]}.{inside['KODE_WILAYAH'][2:4]}"
    outsider = _outsider(live, regency, 1)
    key_id, key = live.officer_key(Role.APP, regency)
    met = ENCOUNTER.replace("$id: String)", "$id: String, $nik: String)").replace(
        "encounterId: $id)", "encounterId: $id, nik: $nik)")
    variables = {"name": outsider["name"], "age": dt.date.today().year - int(outsider["born"][:4]),
                 "sex": outsider["sex"], "region": regency, "date": "2026-11-23", "id": "OFF-NIK-1",
                 "nik": outsider["nik"]}
    answer = live.post(met, variables, key=key).json()
    assert "errors" not in answer, answer
    encounter = answer["data"]["registerEncounter"]
    assert encounter["joined"] is False and encounter["earlierEncounters"] == []
    assert encounter["row"]["personId"] != outsider["person_id"] and outsider["person_id"] not in json.dumps(answer)
    assert [r["source"] for r in encounter["person"]["records"]] == ["penjangkauan"]
    assert live.post(PERSON_BY_ID, {"p": outsider["person_id"]}, key=key).json()["data"]["person"] is None
    # An encounter id already used elsewhere names a record this key may not change: refused, nothing told.
    theirs = _one(live, "MATCH (s:SourceRecord {source: 'penjangkauan'})-[:RESOLVES_TO]->(p:Person) "
                  "WHERE NOT s.region_code STARTS WITH $r AND NOT p.region_code STARTS WITH $r "
                  "WITH s, p, [(o:SourceRecord)-[:RESOLVES_TO]->(p) | o.region_code] AS codes "
                  "WHERE none(c IN codes WHERE c STARTS WITH $r) RETURN s.source_key AS id, p.person_id AS person_id "
                  "ORDER BY id LIMIT 1", {"r": regency})
    reused = live.post(met, variables | {"id": theirs["id"]}, key=key).json()
    assert reused["data"] is None and reused["errors"][0]["message"].startswith(f"encounterId: {theirs['id']} names "
                                                                                 "a record this key may not change")
    assert theirs["person_id"] not in json.dumps(reused)
    assert [e.outcome for e in _entries(live, key_id) if e.operation == "registerEncounter"] == [Outcome.OK,
                                                                                              Outcome.REFUSED]


def test_an_officer_cannot_rewrite_a_record_held_by_a_person_outside_its_region(live: Api) -> None:
    inside = _complaint(live, "DITERIMA", "2026-11-12 DITERIMA")
    regency = f"{inside['KODE_WILAYAH'][:2]}.{inside['KODE_WILAYAH'][2:4]}"
    outsider = _outsider(live, regency, 2)
    # The province's desk writes the outsider's complaint in their own region; an officer elsewhere then
    # sends a row of the same ticket placed in its regency.
    theirs = _their_complaint(inside, outsider, "API-X0003") | {"KODE_WILAYAH": _one(
        live, "MATCH (s:SourceRecord {record_id: $r}) RETURN s.region_code AS c",
        {"r": outsider["record_id"]})["c"].replace(".", "")}
    first = _write(live, "slrt_pengaduan", [theirs])["rows"][0]
    assert first["status"] == "NEW" and first["personId"] == outsider["person_id"]
    key_id, key = live.officer_key(Role.APP, regency)
    body = live.post(WRITE, {"source": "slrt_pengaduan", "rows": [theirs | {
        "KODE_WILAYAH": inside["KODE_WILAYAH"], "STATUS": "DIRUJUK"}]}, key=key).json()
    (row,) = body["data"]["writeRecords"]["rows"]
    assert row["status"] == "REJECTED" and row["personId"] is None and row["person"] is None
    assert (row["problem"]["field"], row["problem"]["column"]) == ("key", "NO_TIKET")
    assert outsider["person_id"] not in json.dumps(body)
    stored = _one(live, "MATCH (s:SourceRecord {record_id: $id})-[:RESOLVES_TO]->(p:Person) "
                  "RETURN s.region_code AS region, p.person_id AS person_id", {"id": first["recordId"]})
    assert stored["person_id"] == outsider["person_id"] and not stored["region"].startswith(regency)
    assert live.post(PERSON_BY_ID, {"p": outsider["person_id"]}, key=key).json()["data"]["person"] is None
    assert [e.outcome for e in _entries(live, key_id) if e.operation == "writeRecords"] == [Outcome.REFUSED]


def test_without_a_model_of_this_version_a_write_is_refused_before_any_row_is_stored(live: Api, tmp_path: Path) -> None:
    """A hub just upgraded to a model version it has not trained yet (or a new one): linking would be
    a full run, training included, inside the request. The write is refused, nothing is stored, and
    the app is told what an administrator does."""
    row = _complaint(live, "DITERIMA", "2026-11-20 DITERIMA", ticket="API-T0090")
    older = tmp_path / "kesos.splink.json"
    older.write_text(json.dumps({**json.loads(live.settings.model_path.read_text()), "hub_model_version": 1}))

    async def write(model_path: Path) -> list[RowOutcome]:
        store = await open_store(live.settings, autostart=False)
        try:
            return await write_rows(store, Principal("k-app", "app", Role.APP), "slrt_pengaduan", [row], model_path)
        finally:
            await store.close()

    for model_path in (tmp_path / "none.splink.json", older):
        with pytest.raises(ModelMissing, match="an administrator runs `hub match` once"):
            asyncio.run(write(model_path))
    assert not asyncio.run(live.cypher("MATCH (s:SourceRecord {source_key: $k}) RETURN s.record_id AS r",
                                       {"k": "API-T0090"}))
    # With the hub's own model the same row is written and linked.
    (written,) = asyncio.run(write(live.settings.model_path))
    assert written.status == "new" and written.person_id
