"""A person's whole history in one call, over real HTTP, in a fixed number of round trips."""

from __future__ import annotations

import asyncio

from hub.api.example import FULL_HISTORY
from tests.resolvers.conftest import Api


def test_full_history_by_nik_has_every_part(api: Api) -> None:
    person = api.data_of(FULL_HISTORY, {"nik": api.showcase["nik"]})["person"]
    assert person["personId"] == api.showcase["person_id"]
    sources = {r["source"] for r in person["records"]}
    assert len(sources) == api.showcase["sources"] >= 3
    assert {r["method"] for r in person["records"]} <= {"NIK", "SPLINK", "REFERENCE", "STEWARD", "SINGLE"}
    assert all(0.0 < r["probability"] <= 1.0 for r in person["records"])
    # Identity: the best value, and every source's values with the sources that state them.
    name = person["identity"]["name"]
    assert name["best"] and {s for v in name["values"] for s in v["sources"]} <= sources
    assert person["identity"]["nik"]["best"] == api.showcase["nik"]
    assert person["household"]["members"] and person["household"]["region"]["name"]
    assert any(m["personId"] == person["personId"] for m in person["household"]["members"])
    assert person["enrolments"] and all(e["program"] and e["source"] for e in person["enrolments"])
    assert person["events"] and all(e["kind"] and e["source"] for e in person["events"])
    dates = [e["date"] or "" for e in person["events"]]
    assert dates == sorted(dates, reverse=True)
    assert person["region"]["above"][-1]["name"] == "Jawa Tengah"


def test_by_person_id_is_the_same_person(api: Api) -> None:
    by_nik = api.data_of(FULL_HISTORY, {"nik": api.showcase["nik"]})["person"]
    by_id = api.data_of(FULL_HISTORY, {"personId": api.showcase["person_id"]})["person"]
    assert by_id == by_nik


def test_history_costs_at_most_three_round_trips_whatever_its_size(api: Api) -> None:
    rows = asyncio.run(api.cypher(
        "MATCH (p:Person)<-[:RESOLVES_TO]-(s:SourceRecord) WITH p, count(s) AS n "
        "RETURN p.person_id AS person_id, n ORDER BY n DESC, person_id LIMIT 1"))
    big = rows[0]
    small = asyncio.run(api.cypher(
        "MATCH (p:Person)<-[:RESOLVES_TO]-(s:SourceRecord) WITH p, count(s) AS n WHERE n = 1 "
        "RETURN p.person_id AS person_id, n ORDER BY person_id LIMIT 1"))[0]
    assert big["n"] > 5 * small["n"]
    for person_id in (big["person_id"], small["person_id"], api.showcase["person_id"]):
        before = api.round_trips
        api.data_of(FULL_HISTORY, {"personId": person_id})
        assert api.round_trips - before <= 3, person_id


def test_unknown_person_is_null_not_an_error(api: Api) -> None:
    body = api.post(FULL_HISTORY, {"personId": "PRS-NOPE"}).json()
    assert body == {"data": {"person": None}}


def test_user_mistakes_get_a_clear_message(api: Api) -> None:
    body = api.post("{ person(nik: \"12AB\") { personId } }").json()
    assert body["errors"][0]["message"] == "nik: '12AB' contains characters other than digits"
    both = api.post("{ person(nik: \"3374010101800001\", personId: \"x\") { personId } }").json()
    assert "exactly one of nik or personId" in both["errors"][0]["message"]
    typo = api.post("{ person(nik: \"3374010101800001\") { personID } }").json()
    assert "Cannot query field 'personID'" in typo["errors"][0]["message"]
    assert "Traceback" not in str(typo)
